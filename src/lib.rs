//! duijie — 产学研技术对接服务: matching enterprises' technology needs with the
//! capabilities of universities, institutes and leading enterprises.
//!
//! Start reading at `cli` (commands) and `http` (the API); the rules live in
//! `domain`, the database in `storage`, the file format in `interchange`.

pub mod bench;
pub mod cli;
pub mod config;
pub mod corpus_gen;
pub mod credentials;
pub mod demo;
pub mod domain;
pub mod exports;
pub mod http;
pub mod interchange;
pub mod kpi;
pub mod matching;
pub mod password;
pub mod search;
pub mod semantic;
pub mod startup;
pub mod storage;
pub mod telemetry;
pub mod web;
pub mod webhooks;
