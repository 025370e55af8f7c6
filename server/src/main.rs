//! Demo server for zephr-session.
//!
//! Serves the demo article page from `ROOT/www/`, the wasm bundle from `ROOT/pkg/`, and sample
//! session documents at `GET /v4/sessions/{site}/{sessionId}`. Run with `--help` for the options.

mod app;
mod cli;
mod sessions;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tokio::net::TcpListener;

use crate::cli::{Command, Config};
use crate::sessions::{DemoSource, SessionSource};

/// Exit status for an invalid command line, as is usual for command-line programs.
const EXIT_USAGE: u8 = 2;

/// Bundle entry point that the demo page imports.
const BUNDLE_ENTRY: &str = "pkg/zephr_session.js";

fn main() -> ExitCode {
    let default_root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let config = match cli::parse_args(std::env::args_os().skip(1), default_root) {
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Run(config)) => config,
        Err(error) => {
            eprintln!("zephr-session-server: error: {error}");
            eprintln!("Run 'zephr-session-server --help' for usage.");
            return ExitCode::from(EXIT_USAGE);
        }
    };

    tracing_subscriber::fmt()
        .compact()
        .with_writer(std::io::stderr)
        .init();

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "failed to start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve(config))
}

/// Binds the listener, prints the page URL on stdout and serves until SIGINT or SIGTERM.
async fn serve(config: Config) -> ExitCode {
    let listener = match TcpListener::bind(config.listen).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(
                address = %config.listen,
                %error,
                "failed to listen. Pass a free address with --listen, \
                 such as --listen 127.0.0.1:0"
            );
            return ExitCode::FAILURE;
        }
    };
    let address = match listener.local_addr() {
        Ok(address) => address,
        Err(error) => {
            tracing::error!(%error, "failed to read the bound address");
            return ExitCode::FAILURE;
        }
    };

    warn_about_missing_files(&config.root);

    // Tests read this line to find the port, so it goes out at once and alone on stdout.
    let mut stdout = std::io::stdout().lock();
    let printed =
        writeln!(stdout, "zephr-session demo: http://{address}/").and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(error) = printed {
        tracing::warn!(%error, "failed to print the page URL on stdout");
    }
    tracing::info!(%address, root = %config.root.display(), "demo server started");

    let router = app::router(SessionSource::Demo(DemoSource), &config.root);
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    match served {
        Ok(()) => {
            tracing::info!("demo server stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "demo server failed");
            ExitCode::FAILURE
        }
    }
}

/// Logs a warning for each file of `root` that the demo page needs and that is missing.
fn warn_about_missing_files(root: &Path) {
    let page = root.join("www/index.html");
    if !page.is_file() {
        tracing::warn!(
            path = %page.display(),
            "demo page not found. Pass --root the project folder that contains www/"
        );
    }
    let bundle = root.join(BUNDLE_ENTRY);
    if !bundle.is_file() {
        tracing::warn!(
            path = %bundle.display(),
            "wasm bundle not found, so the demo page cannot load. Build the bundle into pkg/ \
             first with scripts/build.sh"
        );
    }
}

/// Resolves when the process receives SIGINT (Ctrl-C) or, on Unix, SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut stream) => {
                stream.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "failed to listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = interrupt => tracing::info!("received SIGINT, stopping"),
        () = terminate => tracing::info!("received SIGTERM, stopping"),
    }
}
