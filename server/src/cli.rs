//! Command-line arguments of the server.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Address the server listens on when `--listen` is not given.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// Usage text printed by `--help`.
pub const USAGE: &str = "\
Usage: zephr-session-server [demo] [--listen ADDR] [--root DIR]
       zephr-session-server proxy [--listen ADDR]

Serves session lookups at GET /v4/sessions/{site}/{sessionId}.

Modes:
  demo           Serve the demo page (www/), the wasm bundle (pkg/) and the built-in
                 sample documents, with no network access (the default)
  proxy          Sign each lookup with an admin key pair and forward it to a Zephr
                 Admin API. A reader may look up only the session of their
                 blaize_session cookie, or 'current' for that session

Options:
  --listen ADDR  IP address and TCP port to listen on [default: 127.0.0.1:8787].
                 Port 0 picks a free port, and the printed URL shows it.
  --root DIR     Demo mode only: project folder that contains www/ and pkg/
                 [default: the workspace root this binary was built from]
  -h, --help     Print this help and exit

Proxy mode reads its settings from environment variables, never from arguments,
so that secrets stay out of the process list. A missing or invalid value exits
with status 2 and a message naming the variable.
  ZEPHR_UPSTREAM             Admin API base URL, such as https://TENANT.api.zephr.com
                             (http only for a loopback host) [required]
  ZEPHR_ACCESS_KEY           Access key of the admin key pair [required]
  ZEPHR_SECRET_KEY           Secret key of the admin key pair [required, unless
                             ZEPHR_SECRET_KEY_FILE is set]
  ZEPHR_SECRET_KEY_FILE      File that contains the secret key, in place of
                             ZEPHR_SECRET_KEY; one trailing line break is removed
  ZEPHR_SITES                Comma-separated sites that may be looked up [required]
  ZEPHR_ALLOWED_ORIGINS      Comma-separated origins allowed to read lookups with
                             credentials (CORS), such as https://www.example.com
                             [default: none]
  ZEPHR_UPSTREAM_TIMEOUT_MS  Time allowed for an upstream response, in ms [default: 2000]
  ZEPHR_CACHE_MS             Time the micro-cache keeps a response, in ms; 0 turns it
                             off [default: 1000]
  ZEPHR_RATE_PER_SECOND      Lookups per second per client address; 0 turns the
                             limit off [default: 10]
  ZEPHR_TRIM                 'sessions' keeps only the caller's entry of 'sessions',
                             'none' passes documents unchanged [default: sessions]
  ZEPHR_CLIENT_ADDRESS       Client address for the rate limit: 'peer' (the TCP peer)
                             or 'x-forwarded-for' (the last X-Forwarded-For address,
                             only behind a load balancer that sets it) [default: peer]
";

/// Action requested on the command line.
#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    /// Print [`USAGE`] and exit successfully.
    Help,
    /// Run the demo server.
    Demo(Config),
    /// Run the signing proxy, configured further by environment variables.
    Proxy(ProxyArgs),
}

/// Settings of a demo server run.
#[derive(Debug, PartialEq, Eq)]
pub struct Config {
    /// Socket address to bind.
    pub listen: SocketAddr,
    /// Canonical path of the folder that contains `www/` and `pkg/`.
    pub root: PathBuf,
}

/// Command-line settings of a proxy run.
#[derive(Debug, PartialEq, Eq)]
pub struct ProxyArgs {
    /// Socket address to bind.
    pub listen: SocketAddr,
}

/// Invalid command line. The message names the value and the fix.
#[derive(Debug, PartialEq, Eq)]
pub struct ArgError(String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ArgError {}

/// Parses the arguments that follow the program name.
///
/// In demo mode, `default_root` is used when `--root` is absent. Both the default and a given
/// root must be existing folders, and the returned [`Config`] contains their canonical paths.
/// Proxy mode takes no `--root` and never checks the default root.
pub fn parse_args<I>(args: I, default_root: PathBuf) -> Result<Command, ArgError>
where
    I: IntoIterator<Item = OsString>,
{
    let mut args = args.into_iter();
    let mut mode: Option<String> = None;
    let mut listen: Option<String> = None;
    let mut root: Option<PathBuf> = None;

    while let Some(arg) = args.next() {
        let arg = arg.into_string().map_err(|raw| {
            ArgError(format!(
                "argument {raw:?} is not valid UTF-8. Pass every argument, --root included, as UTF-8"
            ))
        })?;

        let (name, inline_value) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name.to_owned(), Some(value)),
            _ => (arg.clone(), None),
        };

        match name.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--listen" => {
                listen = Some(option_value(
                    &name,
                    inline_value,
                    &mut args,
                    DEFAULT_LISTEN,
                )?);
            }
            "--root" => {
                let value = option_value(&name, inline_value, &mut args, "/path/to/project")?;
                root = Some(PathBuf::from(value));
            }
            _ if name.starts_with('-') => {
                return Err(ArgError(format!(
                    "unknown option '{name}' (the options are --listen, --root and --help)"
                )));
            }
            _ => {
                if let Some(previous) = &mode {
                    return Err(ArgError(format!(
                        "unexpected argument '{arg}' after mode '{previous}'. Give at most one mode"
                    )));
                }
                if arg != "demo" && arg != "proxy" {
                    return Err(ArgError(format!(
                        "unknown mode '{arg}' (the modes are 'demo' and 'proxy')"
                    )));
                }
                mode = Some(arg);
            }
        }
    }

    let listen = parse_listen(listen.as_deref().unwrap_or(DEFAULT_LISTEN))?;
    if mode.as_deref() == Some("proxy") {
        if root.is_some() {
            return Err(ArgError(
                "--root applies to demo mode only, because proxy mode serves no files. \
                 Remove --root"
                    .to_owned(),
            ));
        }
        return Ok(Command::Proxy(ProxyArgs { listen }));
    }
    let root = resolve_root(root, default_root)?;
    Ok(Command::Demo(Config { listen, root }))
}

/// Takes the value of `--name`, either inline (`--name=value`) or from the next argument.
fn option_value(
    name: &str,
    inline_value: Option<&str>,
    args: &mut impl Iterator<Item = OsString>,
    example: &str,
) -> Result<String, ArgError> {
    let value =
        match inline_value {
            Some(value) => Some(value.to_owned()),
            None => match args.next() {
                Some(raw) => Some(raw.into_string().map_err(|raw| {
                    ArgError(format!("value {raw:?} of {name} is not valid UTF-8"))
                })?),
                None => None,
            },
        };
    match value {
        Some(value) if !value.is_empty() && !value.starts_with('-') => Ok(value),
        _ => Err(ArgError(format!(
            "{name} needs a value, such as {name} {example}"
        ))),
    }
}

fn parse_listen(value: &str) -> Result<SocketAddr, ArgError> {
    value.parse().map_err(|_| {
        ArgError(format!(
            "invalid --listen address '{value}': expected an IP address and port, \
             such as 127.0.0.1:8787 (port 0 picks a free port)"
        ))
    })
}

fn resolve_root(root_option: Option<PathBuf>, default_root: PathBuf) -> Result<PathBuf, ArgError> {
    let from_option = root_option.is_some();
    let root = root_option.unwrap_or(default_root);
    let canonical = std::fs::canonicalize(&root)
        .ok()
        .filter(|path| path.is_dir());
    canonical.ok_or_else(|| {
        let fix = if from_option {
            "Pass --root the project folder that contains www/ and pkg/"
        } else {
            "The default is the workspace this binary was built from, so pass --root \
             the project folder that contains www/ and pkg/"
        };
        ArgError(format!(
            "root folder '{}' does not exist or is not a folder. {fix}",
            root.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project_root() -> PathBuf {
        PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
    }

    fn parse(args: &[&str]) -> Result<Command, ArgError> {
        parse_args(args.iter().map(OsString::from), project_root())
    }

    fn parse_error(args: &[&str]) -> String {
        match parse(args) {
            Err(error) => error.to_string(),
            Ok(command) => panic!("expected an error for {args:?}, got {command:?}"),
        }
    }

    fn parse_config(args: &[&str]) -> Config {
        match parse(args) {
            Ok(Command::Demo(config)) => config,
            other => panic!("expected a demo config for {args:?}, got {other:?}"),
        }
    }

    #[test]
    fn defaults_without_arguments() {
        let config = parse_config(&[]);
        assert_eq!(config.listen.to_string(), DEFAULT_LISTEN);
        let expected_root = std::fs::canonicalize(project_root()).ok();
        assert_eq!(Some(config.root), expected_root);
    }

    #[test]
    fn explicit_demo_mode() {
        assert_eq!(parse_config(&["demo"]), parse_config(&[]));
    }

    #[test]
    fn listen_forms() {
        let separate = parse_config(&["demo", "--listen", "127.0.0.1:0"]);
        assert_eq!(separate.listen.to_string(), "127.0.0.1:0");

        let inline = parse_config(&["--listen=[::1]:9000"]);
        assert_eq!(inline.listen.to_string(), "[::1]:9000");
    }

    #[test]
    fn root_option() {
        let server_dir = env!("CARGO_MANIFEST_DIR");
        let config = parse_config(&["--root", server_dir]);
        assert_eq!(Some(config.root), std::fs::canonicalize(server_dir).ok());
    }

    #[test]
    fn help_wins_over_errors() {
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert_eq!(parse(&["demo", "-h"]), Ok(Command::Help));
    }

    #[test]
    fn invalid_listen_address() {
        for value in [
            "localhost:8787",
            "127.0.0.1",
            "8787",
            "127.0.0.1:99999",
            "not an address",
        ] {
            let message = parse_error(&["--listen", value]);
            assert!(message.contains(value), "{message}");
            assert!(message.contains("127.0.0.1:8787"), "{message}");
        }
    }

    #[test]
    fn missing_option_values() {
        let message = parse_error(&["--listen"]);
        assert!(message.contains("--listen needs a value"), "{message}");

        let message = parse_error(&["--listen", "--root", "."]);
        assert!(message.contains("--listen needs a value"), "{message}");

        let message = parse_error(&["--root="]);
        assert!(message.contains("--root needs a value"), "{message}");
    }

    #[test]
    fn unknown_option_and_mode() {
        let message = parse_error(&["--port", "80"]);
        assert!(message.contains("'--port'"), "{message}");
        assert!(message.contains("--listen, --root and --help"), "{message}");

        let message = parse_error(&["mirror"]);
        assert!(message.contains("'mirror'"), "{message}");
        assert!(message.contains("'demo' and 'proxy'"), "{message}");

        let message = parse_error(&["demo", "demo"]);
        assert!(message.contains("at most one mode"), "{message}");
    }

    #[test]
    fn proxy_mode() {
        let missing_root = PathBuf::from("/nonexistent/zephr-session-build");
        let parsed = parse_args(
            ["proxy", "--listen", "127.0.0.1:0"].map(OsString::from),
            missing_root.clone(),
        );
        let expected_listen = parse_listen("127.0.0.1:0").ok();
        assert_eq!(
            parsed.ok(),
            expected_listen.map(|listen| Command::Proxy(ProxyArgs { listen }))
        );

        let parsed = parse_args([OsString::from("proxy")], missing_root);
        let expected_listen = parse_listen(DEFAULT_LISTEN).ok();
        assert_eq!(
            parsed.ok(),
            expected_listen.map(|listen| Command::Proxy(ProxyArgs { listen }))
        );
    }

    #[test]
    fn proxy_mode_rejects_root() {
        for args in [&["proxy", "--root", "."][..], &["--root", ".", "proxy"]] {
            let message = parse_error(args);
            assert!(
                message.contains("--root applies to demo mode only"),
                "{message}"
            );
        }
        let message = parse_error(&["proxy", "demo"]);
        assert!(message.contains("at most one mode"), "{message}");
    }

    #[test]
    fn help_lists_proxy_variables() {
        for name in [
            "ZEPHR_UPSTREAM ",
            "ZEPHR_ACCESS_KEY",
            "ZEPHR_SECRET_KEY ",
            "ZEPHR_SECRET_KEY_FILE",
            "ZEPHR_SITES",
            "ZEPHR_ALLOWED_ORIGINS",
            "ZEPHR_UPSTREAM_TIMEOUT_MS",
            "ZEPHR_CACHE_MS",
            "ZEPHR_RATE_PER_SECOND",
            "ZEPHR_TRIM",
            "ZEPHR_CLIENT_ADDRESS",
        ] {
            assert!(USAGE.contains(name), "{name}");
        }
    }

    #[test]
    fn missing_root_folder() {
        let missing = concat!(env!("CARGO_MANIFEST_DIR"), "/no-such-folder");
        let message = parse_error(&["--root", missing]);
        assert!(message.contains(missing), "{message}");
        assert!(message.contains("www/ and pkg/"), "{message}");

        let file = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
        let message = parse_error(&["--root", file]);
        assert!(message.contains("is not a folder"), "{message}");
    }

    #[test]
    fn missing_default_root() {
        let missing = PathBuf::from("/nonexistent/zephr-session-build");
        let result = parse_args(Vec::<OsString>::new(), missing);
        let message = result
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(message.contains("pass --root"), "{message}");
    }
}
