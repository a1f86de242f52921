//! Integration tests: one binary (faster to link), one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod accounts;
mod agreements;
mod browser;
mod cli;
mod crash;
mod curation;
mod demo;
mod exports;
mod flow;
mod health;
mod import;
mod kpis;
mod listing;
mod matching;
mod matrix;
mod permissions;
mod problems;
mod rate_limits;
mod replicas;
mod search;
mod segmentation;
mod semantic;
mod staff_scopes;
mod storage;
mod taxonomy_admin;
mod web_records;
mod web_staff;
mod webhooks;
