//! Demo server and signing proxy for zephr-session.
//!
//! Demo mode serves the demo article page from `ROOT/www/`, the wasm bundle from `ROOT/pkg/`,
//! and sample session documents at `GET /v4/sessions/{site}/{sessionId}`. Proxy mode signs each
//! lookup with an admin key pair and forwards it to a Zephr Admin API. Run with `--help` for
//! the options and variables.

mod app;
mod cli;
mod cookies;
mod demo;
mod proxy;
mod sessions;

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use axum::Router;
use tokio::net::TcpListener;

use crate::cli::{Command, Config};
use crate::proxy::config::ProxyConfig;
use crate::sessions::{DemoSource, SessionSource};

/// Exit status for an invalid command line or configuration, as is usual for command-line
/// programs.
const EXIT_USAGE: u8 = 2;

/// Bundle entry point that the demo page imports.
const BUNDLE_ENTRY: &str = "pkg/zephr_session.js";

/// Mode to run, with its validated settings.
enum Mode {
    Demo(Config),
    Proxy(SocketAddr, Box<ProxyConfig>),
}

fn main() -> ExitCode {
    let default_root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mode = match cli::parse_args(std::env::args_os().skip(1), default_root) {
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Ok(Command::Demo(config)) => Mode::Demo(config),
        Ok(Command::Proxy(args)) => match ProxyConfig::from_env(|name| std::env::var_os(name)) {
            Ok(config) => Mode::Proxy(args.listen, Box::new(config)),
            Err(error) => {
                eprintln!("zephr-session-server: error: {error}");
                eprintln!("Run 'zephr-session-server --help' for the variables of proxy mode.");
                return ExitCode::from(EXIT_USAGE);
            }
        },
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

    // The demo serves one reader, so one thread is enough. The proxy uses one worker thread
    // per core.
    let mut builder = match mode {
        Mode::Demo(_) => tokio::runtime::Builder::new_current_thread(),
        Mode::Proxy(..) => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "failed to start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match mode {
        Mode::Demo(config) => runtime.block_on(serve_demo(config)),
        Mode::Proxy(listen, config) => runtime.block_on(serve_proxy(listen, &config)),
    }
}

/// Serves demo mode: binds the listener, prints the page URL on stdout and serves until SIGINT
/// or SIGTERM.
async fn serve_demo(config: Config) -> ExitCode {
    let Some((listener, address)) = bind(config.listen).await else {
        return ExitCode::FAILURE;
    };
    let shutdown = shutdown_signal();
    warn_about_missing_files(&config.root);
    print_url("demo", address);
    tracing::info!(%address, root = %config.root.display(), "demo server started");

    let router = app::router(SessionSource::Demo(DemoSource::default()), &config.root);
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    finish("demo", served)
}

/// Serves proxy mode until SIGINT or SIGTERM. The log names the upstream and the settings but
/// never the keys.
async fn serve_proxy(listen: SocketAddr, config: &ProxyConfig) -> ExitCode {
    let router: Router = match proxy::router(config) {
        Ok(router) => router,
        Err(error) => {
            tracing::error!(%error, "failed to create the upstream HTTP client");
            return ExitCode::FAILURE;
        }
    };
    let Some((listener, address)) = bind(listen).await else {
        return ExitCode::FAILURE;
    };
    print_url("proxy", address);
    let join = |items: &std::collections::BTreeSet<String>| {
        items
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(",")
    };
    let shutdown = shutdown_signal();
    tracing::info!(
        %address,
        upstream = %config.upstream,
        sites = %join(&config.sites),
        allowed_origins = %join(&config.allowed_origins),
        timeout_ms = config.upstream_timeout.as_millis(),
        cache_ms = config.cache_ttl.as_millis(),
        rate_per_second = config.rate_per_second,
        trim = ?config.trim,
        client_address = ?config.client_address,
        "proxy server started"
    );

    let service = router.into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await;
    finish("proxy", served)
}

/// Binds `listen` and returns the listener with its actual address, or logs why it failed.
async fn bind(listen: SocketAddr) -> Option<(TcpListener, SocketAddr)> {
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(
                address = %listen,
                %error,
                "failed to listen. Pass a free address with --listen, \
                 such as --listen 127.0.0.1:0"
            );
            return None;
        }
    };
    match listener.local_addr() {
        Ok(address) => Some((listener, address)),
        Err(error) => {
            tracing::error!(%error, "failed to read the bound address");
            None
        }
    }
}

/// Prints `zephr-session MODE: http://ADDRESS/` on stdout.
fn print_url(mode: &str, address: SocketAddr) {
    // Tests read this line to find the port, so it goes out at once and alone on stdout.
    let mut stdout = std::io::stdout().lock();
    let printed =
        writeln!(stdout, "zephr-session {mode}: http://{address}/").and_then(|()| stdout.flush());
    drop(stdout);
    if let Err(error) = printed {
        tracing::warn!(%error, "failed to print the URL on stdout");
    }
}

/// Logs how serving ended and returns the exit code.
fn finish(mode: &str, served: std::io::Result<()>) -> ExitCode {
    match served {
        Ok(()) => {
            tracing::info!("{mode} server stopped");
            ExitCode::SUCCESS
        }
        Err(error) => {
            tracing::error!(%error, "{mode} server failed");
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

/// Starts listening for SIGINT (Ctrl-C) and, on Unix, SIGTERM, and returns a future that
/// resolves when either arrives.
///
/// The handlers are installed by this call, not when the future is first polled, so that a
/// signal sent right after the "started" line stops the server gracefully instead of killing it.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &'static str| {
            let stream = signal(kind);
            if let Err(error) = &stream {
                tracing::error!(%error, "failed to listen for {name}");
            }
            async move {
                match stream {
                    Ok(mut stream) => {
                        stream.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            }
        };
        let interrupt = listen(SignalKind::interrupt(), "SIGINT");
        let terminate = listen(SignalKind::terminate(), "SIGTERM");
        async move {
            tokio::select! {
                () = interrupt => tracing::info!("received SIGINT, stopping"),
                () = terminate => tracing::info!("received SIGTERM, stopping"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            match tokio::signal::ctrl_c().await {
                Ok(()) => tracing::info!("received SIGINT, stopping"),
                Err(error) => {
                    tracing::error!(%error, "failed to listen for Ctrl-C");
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}
