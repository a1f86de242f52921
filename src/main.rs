//! The `duijie` binary: parse the command line, set up logging, run.

use clap::Parser;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = duijie::cli::Cli::parse();
    duijie::telemetry::init(cli.config.log_format);
    match duijie::cli::run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 / error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
