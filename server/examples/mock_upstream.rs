//! Runs the mock Admin API of the integration tests as a standalone process, for
//! `scripts/bench-proxy.sh`.
//!
//! Usage: `mock_upstream [--listen ADDR] [--no-verify]`. It prints
//! `mock upstream: http://ADDR` on stdout once it listens, and serves until it is killed.
//! It records no requests, so memory stays flat under load. It checks signatures against
//! `ZEPHR_ACCESS_KEY` and `ZEPHR_SECRET_KEY` from the environment. `--no-verify` turns the
//! checks off, so that unsigned requests can also be sent straight to it.

#[path = "../tests/support/mock_upstream.rs"]
mod mock_upstream;

use std::io::Write;
use std::process::ExitCode;

use mock_upstream::{MockOptions, MockUpstream};

#[tokio::main]
async fn main() -> ExitCode {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut verify = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--no-verify" => verify = false,
            "--listen" => match args.next() {
                Some(value) => listen = value,
                None => {
                    eprintln!("mock_upstream: --listen needs a value, such as 127.0.0.1:0");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!(
                    "mock_upstream: unknown argument '{other}' (expected --listen or --no-verify)"
                );
                return ExitCode::from(2);
            }
        }
    }

    let options = MockOptions {
        access_key: std::env::var("ZEPHR_ACCESS_KEY").unwrap_or_default(),
        secret_key: std::env::var("ZEPHR_SECRET_KEY").unwrap_or_default(),
        verify,
        record: false,
    };
    let mock = match MockUpstream::start(options, &listen).await {
        Ok(mock) => mock,
        Err(error) => {
            eprintln!("mock_upstream: failed to listen on {listen}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("mock upstream: {}", mock.url);
    std::io::stdout().flush().ok();
    std::future::pending::<()>().await;
    ExitCode::SUCCESS
}
