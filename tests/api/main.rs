//! Integration tests: one binary (faster to link), one module per area.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod cli;
mod crash;
mod demo;
mod health;
mod import;
mod listing;
mod problems;
mod search;
mod segmentation;
mod storage;
