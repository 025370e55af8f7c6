//! Configuration of proxy mode, read from environment variables and validated at start.
//!
//! Secrets come only from the environment or a file, never from the command line, because
//! arguments are visible to every user of the machine in the process list.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use reqwest::Url;

/// Base URL of the Admin API, such as `https://TENANT.api.zephr.com`.
pub const UPSTREAM: &str = "ZEPHR_UPSTREAM";
/// Access key of the admin key pair.
pub const ACCESS_KEY: &str = "ZEPHR_ACCESS_KEY";
/// Secret key of the admin key pair.
pub const SECRET_KEY: &str = "ZEPHR_SECRET_KEY";
/// File that contains the secret key, as an alternative to [`SECRET_KEY`].
pub const SECRET_KEY_FILE: &str = "ZEPHR_SECRET_KEY_FILE";
/// Comma-separated sites that may be looked up.
pub const SITES: &str = "ZEPHR_SITES";
/// Comma-separated origins allowed to read lookups from a browser (CORS with credentials).
pub const ALLOWED_ORIGINS: &str = "ZEPHR_ALLOWED_ORIGINS";
/// Upstream timeout in milliseconds.
pub const UPSTREAM_TIMEOUT_MS: &str = "ZEPHR_UPSTREAM_TIMEOUT_MS";
/// Time in milliseconds that the micro-cache keeps a response.
pub const CACHE_MS: &str = "ZEPHR_CACHE_MS";
/// Lookups allowed per second and client address.
pub const RATE_PER_SECOND: &str = "ZEPHR_RATE_PER_SECOND";
/// Trimming of the document: `sessions` or `none`.
pub const TRIM: &str = "ZEPHR_TRIM";
/// Source of the client address for the rate limit: `peer` or `x-forwarded-for`.
pub const CLIENT_ADDRESS: &str = "ZEPHR_CLIENT_ADDRESS";

const DEFAULT_UPSTREAM_TIMEOUT_MS: u64 = 2_000;
const MAX_UPSTREAM_TIMEOUT_MS: u64 = 60_000;
const DEFAULT_CACHE_MS: u64 = 1_000;
const MAX_CACHE_MS: u64 = 60_000;
const DEFAULT_RATE_PER_SECOND: u64 = 10;
const MAX_RATE_PER_SECOND: u64 = 1_000_000;
const MAX_ACCESS_KEY_BYTES: usize = 256;

/// Validated settings of proxy mode.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Base URL of the Admin API, without a trailing slash in its path.
    pub upstream: Url,
    /// Access key of the admin key pair.
    pub access_key: String,
    /// Secret key of the admin key pair.
    pub secret_key: SecretKey,
    /// Sites that may be looked up; any other site gets 404 without an upstream request.
    pub sites: BTreeSet<String>,
    /// Origins that receive CORS headers with credentials, in `scheme://host[:port]` form.
    pub allowed_origins: BTreeSet<String>,
    /// Time allowed for the whole upstream exchange, body included.
    pub upstream_timeout: Duration,
    /// Time the micro-cache keeps a response; zero turns the cache off.
    pub cache_ttl: Duration,
    /// Lookups allowed per second and client address; zero turns the rate limit off.
    pub rate_per_second: u32,
    /// Whether `sessions` keeps only the caller's own entry.
    pub trim: Trim,
    /// Source of the client address for the rate limit.
    pub client_address: ClientAddress,
}

/// Trimming applied to a document before it reaches the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// Keep only the entry of `sessions` whose `session_id` is the caller's (`ZEPHR_TRIM=sessions`,
    /// the default).
    Sessions,
    /// Pass the document through unchanged (`ZEPHR_TRIM=none`).
    None,
}

/// Source of the client address that the rate limit counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAddress {
    /// The TCP peer of the connection (`ZEPHR_CLIENT_ADDRESS=peer`, the default).
    Peer,
    /// The last address of the last `X-Forwarded-For` header, which the load balancer in front
    /// appends (`ZEPHR_CLIENT_ADDRESS=x-forwarded-for`). Requests without a valid one count
    /// against the TCP peer.
    XForwardedFor,
}

/// Secret key whose `Debug` output is redacted, so that logging a configuration never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Wraps a secret key.
    pub fn new(secret: String) -> Self {
        Self(secret)
    }

    /// Returns the secret itself, for signing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(redacted)")
    }
}

/// Missing or invalid environment variable. The message names the variable and the fix, and
/// never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Name of the variable that failed.
    pub variable: &'static str,
    message: String,
}

impl ConfigError {
    fn new(variable: &'static str, message: impl Into<String>) -> Self {
        Self {
            variable,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

impl ProxyConfig {
    /// Reads and validates every variable through `lookup`, which returns a variable's value or
    /// `None` when it is unset (`std::env::var_os` in the program, a table in tests).
    ///
    /// An optional variable set to the empty string takes its default.
    pub fn from_env(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Self, ConfigError> {
        let read = |name: &'static str| read_variable(&lookup, name);

        let upstream = parse_upstream(&required(UPSTREAM, read(UPSTREAM)?, UPSTREAM_EXAMPLE)?)?;
        let access_key = parse_access_key(required(ACCESS_KEY, read(ACCESS_KEY)?, "AK12345")?)?;
        let secret_key = read_secret_key(read(SECRET_KEY)?, read(SECRET_KEY_FILE)?)?;
        let sites = parse_sites(&required(SITES, read(SITES)?, "www,news")?)?;
        let allowed_origins = match optional(read(ALLOWED_ORIGINS)?) {
            Some(value) => parse_origins(&value)?,
            None => BTreeSet::new(),
        };
        let upstream_timeout_ms = parse_number(
            UPSTREAM_TIMEOUT_MS,
            optional(read(UPSTREAM_TIMEOUT_MS)?),
            DEFAULT_UPSTREAM_TIMEOUT_MS,
            1..=MAX_UPSTREAM_TIMEOUT_MS,
        )?;
        let cache_ms = parse_number(
            CACHE_MS,
            optional(read(CACHE_MS)?),
            DEFAULT_CACHE_MS,
            0..=MAX_CACHE_MS,
        )?;
        let rate_per_second = parse_number(
            RATE_PER_SECOND,
            optional(read(RATE_PER_SECOND)?),
            DEFAULT_RATE_PER_SECOND,
            0..=MAX_RATE_PER_SECOND,
        )?;
        let trim = match optional(read(TRIM)?).as_deref() {
            None | Some("sessions") => Trim::Sessions,
            Some("none") => Trim::None,
            Some(other) => {
                return Err(ConfigError::new(
                    TRIM,
                    format!(
                        "invalid {TRIM} '{other}': expected 'sessions' (the default) or 'none'"
                    ),
                ))
            }
        };
        let client_address = match optional(read(CLIENT_ADDRESS)?).as_deref() {
            None | Some("peer") => ClientAddress::Peer,
            Some("x-forwarded-for") => ClientAddress::XForwardedFor,
            Some(other) => {
                return Err(ConfigError::new(
                    CLIENT_ADDRESS,
                    format!(
                        "invalid {CLIENT_ADDRESS} '{other}': expected 'peer' (the default) or \
                         'x-forwarded-for' (only behind a load balancer that sets that header)"
                    ),
                ))
            }
        };

        Ok(Self {
            upstream,
            access_key,
            secret_key,
            sites,
            allowed_origins,
            upstream_timeout: Duration::from_millis(upstream_timeout_ms),
            cache_ttl: Duration::from_millis(cache_ms),
            // The range check above keeps the value within u32.
            rate_per_second: u32::try_from(rate_per_second).unwrap_or(u32::MAX),
            trim,
            client_address,
        })
    }
}

const UPSTREAM_EXAMPLE: &str = "https://TENANT.api.zephr.com";

/// Reads one variable as UTF-8.
fn read_variable(
    lookup: &impl Fn(&str) -> Option<OsString>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match lookup(name) {
        None => Ok(None),
        Some(raw) => raw
            .into_string()
            .map(Some)
            .map_err(|_| ConfigError::new(name, format!("{name} is not valid UTF-8"))),
    }
}

fn required(
    name: &'static str,
    value: Option<String>,
    example: &str,
) -> Result<String, ConfigError> {
    match value {
        None => Err(ConfigError::new(
            name,
            format!("{name} is not set. Set it, such as {name}={example}"),
        )),
        Some(value) if value.trim().is_empty() => Err(ConfigError::new(
            name,
            format!("{name} is empty. Set it, such as {name}={example}"),
        )),
        Some(value) => Ok(value),
    }
}

fn optional(value: Option<String>) -> Option<String> {
    value.filter(|value| !value.is_empty())
}

/// Parses the upstream base URL: `https`, or `http` for a loopback host only, because the
/// signature and the documents would otherwise cross the network in clear text.
fn parse_upstream(value: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: &str| {
        ConfigError::new(
            UPSTREAM,
            format!("invalid {UPSTREAM} '{value}': {reason}. Set it to the Admin API base URL, such as {UPSTREAM_EXAMPLE}"),
        )
    };
    let mut url = Url::parse(value).map_err(|error| invalid(&error.to_string()))?;
    let host = url.host_str().ok_or_else(|| invalid("it has no host"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(host) => {}
        "http" => {
            return Err(invalid(
                "http is allowed only for a loopback host, so use https",
            ))
        }
        _ => return Err(invalid("the scheme must be https")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("it must not contain a user name or password"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("it must not contain a query or fragment"));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>()
        .is_ok_and(|address| address.is_loopback())
}

/// Checks the access key: visible ASCII without `:`, because the `Authorization` header
/// separates its parts with colons.
fn parse_access_key(value: String) -> Result<String, ConfigError> {
    let valid = value.len() <= MAX_ACCESS_KEY_BYTES
        && value
            .bytes()
            .all(|byte| byte.is_ascii_graphic() && byte != b':');
    if valid {
        Ok(value)
    } else {
        Err(ConfigError::new(
            ACCESS_KEY,
            format!(
                "invalid {ACCESS_KEY}: expected at most {MAX_ACCESS_KEY_BYTES} visible ASCII \
                 characters without spaces or ':'. Copy the access key of the admin key pair"
            ),
        ))
    }
}

/// Takes the secret from exactly one of [`SECRET_KEY`] and [`SECRET_KEY_FILE`]. A file's
/// trailing line break is removed. Messages never contain the secret.
fn read_secret_key(inline: Option<String>, file: Option<String>) -> Result<SecretKey, ConfigError> {
    let secret = match (optional(inline), optional(file)) {
        (Some(_), Some(_)) => {
            return Err(ConfigError::new(
                SECRET_KEY,
                format!("both {SECRET_KEY} and {SECRET_KEY_FILE} are set. Set only one of them"),
            ))
        }
        (None, None) => {
            return Err(ConfigError::new(
                SECRET_KEY,
                format!(
                    "{SECRET_KEY} is not set. Set it, or set {SECRET_KEY_FILE} to a file that \
                     contains the secret key"
                ),
            ))
        }
        (Some(secret), None) => secret,
        (None, Some(path)) => read_secret_file(PathBuf::from(path))?,
    };
    if secret.trim().is_empty() {
        return Err(ConfigError::new(
            SECRET_KEY,
            format!("the secret key from {SECRET_KEY} or {SECRET_KEY_FILE} is blank"),
        ));
    }
    Ok(SecretKey::new(secret))
}

fn read_secret_file(path: PathBuf) -> Result<String, ConfigError> {
    let bytes = std::fs::read(&path).map_err(|error| {
        ConfigError::new(
            SECRET_KEY_FILE,
            format!(
                "failed to read {SECRET_KEY_FILE} '{}': {error}",
                path.display()
            ),
        )
    })?;
    let mut secret = String::from_utf8(bytes).map_err(|_| {
        ConfigError::new(
            SECRET_KEY_FILE,
            format!("{SECRET_KEY_FILE} '{}' is not valid UTF-8", path.display()),
        )
    })?;
    if secret.ends_with('\n') {
        secret.pop();
        if secret.ends_with('\r') {
            secret.pop();
        }
    }
    Ok(secret)
}

/// Parses the site list. A site is made of URL-unreserved characters (`A-Z a-z 0-9 - . _ ~`),
/// so that it needs no escaping in the upstream path, and is not `.` or `..`.
fn parse_sites(value: &str) -> Result<BTreeSet<String>, ConfigError> {
    let mut sites = BTreeSet::new();
    for site in value.split(',').map(str::trim) {
        let valid = !site.is_empty()
            && site != "."
            && site != ".."
            && site
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || b"-._~".contains(&byte));
        if !valid {
            return Err(ConfigError::new(
                SITES,
                format!(
                    "invalid site '{site}' in {SITES}: a site is one or more of the characters \
                     A-Z a-z 0-9 - . _ ~. Set a comma-separated list, such as {SITES}=www,news"
                ),
            ));
        }
        sites.insert(site.to_owned());
    }
    Ok(sites)
}

/// Parses the origin list. Each origin must be exactly what browsers send in `Origin`:
/// `scheme://host[:port]` in lower case, with no path, no trailing slash and no default port.
fn parse_origins(value: &str) -> Result<BTreeSet<String>, ConfigError> {
    let mut origins = BTreeSet::new();
    for origin in value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        let serialized = Url::parse(origin)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .map(|url| url.origin().ascii_serialization());
        match serialized {
            Some(expected) if expected == origin => {
                origins.insert(expected);
            }
            Some(expected) => {
                return Err(ConfigError::new(
                    ALLOWED_ORIGINS,
                    format!(
                        "invalid origin '{origin}' in {ALLOWED_ORIGINS}: browsers send it as \
                         '{expected}', so write that"
                    ),
                ))
            }
            None => {
                return Err(ConfigError::new(
                    ALLOWED_ORIGINS,
                    format!(
                        "invalid origin '{origin}' in {ALLOWED_ORIGINS}: expected \
                         scheme://host[:port], such as https://www.example.com. A wildcard is \
                         not allowed, because responses carry credentials"
                    ),
                ))
            }
        }
    }
    Ok(origins)
}

fn parse_number(
    name: &'static str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let Some(text) = value else {
        return Ok(default);
    };
    match text.trim().parse::<u64>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(ConfigError::new(
            name,
            format!(
                "invalid {name} '{text}': expected a whole number from {} to {} [default: {default}]",
                range.start(),
                range.end()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const MINIMAL: [(&str, &str); 4] = [
        (UPSTREAM, "https://tenant.api.zephr.com"),
        (ACCESS_KEY, "AK123"),
        (SECRET_KEY, "s3cr3t"),
        (SITES, "www"),
    ];

    fn load(pairs: &[(&str, &str)]) -> Result<ProxyConfig, ConfigError> {
        let table: HashMap<String, OsString> = pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), OsString::from(value)))
            .collect();
        ProxyConfig::from_env(|name| table.get(name).cloned())
    }

    /// Loads the minimal configuration with `changes` applied; a change with value `None`
    /// removes the variable.
    fn load_with(changes: &[(&str, Option<&str>)]) -> Result<ProxyConfig, ConfigError> {
        let mut pairs: Vec<(&str, &str)> = MINIMAL.to_vec();
        for (name, value) in changes {
            pairs.retain(|(existing, _)| existing != name);
            if let Some(value) = value {
                pairs.push((name, value));
            }
        }
        load(&pairs)
    }

    fn error_with(changes: &[(&str, Option<&str>)]) -> ConfigError {
        match load_with(changes) {
            Err(error) => error,
            Ok(config) => panic!("expected an error for {changes:?}, got {config:?}"),
        }
    }

    fn config_with(changes: &[(&str, Option<&str>)]) -> ProxyConfig {
        match load_with(changes) {
            Ok(config) => config,
            Err(error) => panic!("expected a configuration for {changes:?}, got: {error}"),
        }
    }

    #[test]
    fn defaults_of_minimal_config() {
        let config = config_with(&[]);
        assert_eq!(config.upstream.as_str(), "https://tenant.api.zephr.com/");
        assert_eq!(config.access_key, "AK123");
        assert_eq!(config.secret_key.expose(), "s3cr3t");
        assert_eq!(config.sites, BTreeSet::from(["www".to_owned()]));
        assert!(config.allowed_origins.is_empty());
        assert_eq!(config.upstream_timeout, Duration::from_millis(2000));
        assert_eq!(config.cache_ttl, Duration::from_millis(1000));
        assert_eq!(config.rate_per_second, 10);
        assert_eq!(config.trim, Trim::Sessions);
        assert_eq!(config.client_address, ClientAddress::Peer);
    }

    #[test]
    fn every_option_set() {
        let config = config_with(&[
            (UPSTREAM, Some("http://127.0.0.1:9000/gateway/")),
            (SITES, Some(" www , news,www ")),
            (
                ALLOWED_ORIGINS,
                Some("https://www.example.com, http://localhost:8080"),
            ),
            (UPSTREAM_TIMEOUT_MS, Some("250")),
            (CACHE_MS, Some("0")),
            (RATE_PER_SECOND, Some("0")),
            (TRIM, Some("none")),
            (CLIENT_ADDRESS, Some("x-forwarded-for")),
        ]);
        assert_eq!(config.upstream.as_str(), "http://127.0.0.1:9000/gateway");
        let sites: Vec<&str> = config.sites.iter().map(String::as_str).collect();
        assert_eq!(sites, ["news", "www"]);
        let origins: Vec<&str> = config.allowed_origins.iter().map(String::as_str).collect();
        assert_eq!(
            origins,
            ["http://localhost:8080", "https://www.example.com"]
        );
        assert_eq!(config.upstream_timeout, Duration::from_millis(250));
        assert_eq!(config.cache_ttl, Duration::ZERO);
        assert_eq!(config.rate_per_second, 0);
        assert_eq!(config.trim, Trim::None);
        assert_eq!(config.client_address, ClientAddress::XForwardedFor);
    }

    #[test]
    fn empty_optional_values_take_defaults() {
        let config = config_with(&[
            (ALLOWED_ORIGINS, Some("")),
            (CACHE_MS, Some("")),
            (TRIM, Some("")),
        ]);
        assert!(config.allowed_origins.is_empty());
        assert_eq!(config.cache_ttl, Duration::from_millis(1000));
        assert_eq!(config.trim, Trim::Sessions);
    }

    #[test]
    fn missing_required_variables() {
        for name in [UPSTREAM, ACCESS_KEY, SECRET_KEY, SITES] {
            let error = error_with(&[(name, None)]);
            assert_eq!(error.variable, name);
            let message = error.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains("not set"), "{message}");
        }
        for name in [UPSTREAM, ACCESS_KEY, SITES] {
            let error = error_with(&[(name, Some("  "))]);
            assert_eq!(error.variable, name);
            assert!(error.to_string().contains("is empty"), "{error}");
        }
    }

    #[test]
    fn invalid_upstream_urls() {
        let cases = [
            ("tenant.api.zephr.com", "relative URL"),
            ("http://tenant.api.zephr.com", "only for a loopback host"),
            ("http://10.0.0.8:8080", "only for a loopback host"),
            ("ftp://tenant.api.zephr.com", "must be https"),
            (
                "https://user:pass@tenant.api.zephr.com",
                "user name or password",
            ),
            ("https://tenant.api.zephr.com/?x=1", "query or fragment"),
            ("https://tenant.api.zephr.com/#top", "query or fragment"),
        ];
        for (value, reason) in cases {
            let error = error_with(&[(UPSTREAM, Some(value))]);
            assert_eq!(error.variable, UPSTREAM, "{value}");
            let message = error.to_string();
            assert!(message.contains(reason), "{value}: {message}");
            assert!(message.contains(UPSTREAM_EXAMPLE), "{value}: {message}");
        }
    }

    #[test]
    fn loopback_http_upstreams() {
        for value in [
            "http://127.0.0.1:1",
            "http://localhost",
            "http://[::1]:8080",
        ] {
            let config = config_with(&[(UPSTREAM, Some(value))]);
            assert_eq!(config.upstream.scheme(), "http", "{value}");
        }
    }

    #[test]
    fn invalid_access_keys() {
        let long = "A".repeat(MAX_ACCESS_KEY_BYTES + 1);
        for value in ["AK:123", "AK 123", "clé", long.as_str()] {
            let error = error_with(&[(ACCESS_KEY, Some(value))]);
            assert_eq!(error.variable, ACCESS_KEY, "{value}");
            assert!(error.to_string().contains("':'"), "{error}");
        }
    }

    #[test]
    fn secret_key_sources() {
        let folder = std::env::temp_dir().join(format!(
            "zephr-session-server-secret-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&folder).ok();
        let file = folder.join("secret");
        std::fs::write(&file, "from-file\r\n").ok();
        let path = file.to_string_lossy().into_owned();

        let config = config_with(&[(SECRET_KEY, None), (SECRET_KEY_FILE, Some(&path))]);
        assert_eq!(config.secret_key.expose(), "from-file");

        let error = error_with(&[(SECRET_KEY_FILE, Some(&path))]);
        assert_eq!(error.variable, SECRET_KEY);
        assert!(error.to_string().contains("Set only one"), "{error}");

        std::fs::write(&file, "\n").ok();
        let error = error_with(&[(SECRET_KEY, None), (SECRET_KEY_FILE, Some(&path))]);
        assert!(error.to_string().contains("blank"), "{error}");

        let missing = folder.join("missing").to_string_lossy().into_owned();
        let error = error_with(&[(SECRET_KEY, None), (SECRET_KEY_FILE, Some(&missing))]);
        assert_eq!(error.variable, SECRET_KEY_FILE);
        assert!(error.to_string().contains(&missing), "{error}");

        std::fs::remove_dir_all(&folder).ok();
    }

    #[test]
    fn errors_never_show_the_secret() {
        let error = error_with(&[
            (SECRET_KEY, Some("s3cr3t-value")),
            (SECRET_KEY_FILE, Some("/x")),
        ]);
        assert!(!error.to_string().contains("s3cr3t-value"), "{error}");
        let config = config_with(&[(SECRET_KEY, Some("s3cr3t-value"))]);
        let debug = format!("{config:?}");
        assert!(!debug.contains("s3cr3t-value"), "{debug}");
        assert!(debug.contains("redacted"), "{debug}");
    }

    #[test]
    fn invalid_sites() {
        for value in [
            "www,",
            "www,,news",
            "w/w",
            "..",
            ".",
            "www news",
            "caf%C3%A9",
        ] {
            let error = error_with(&[(SITES, Some(value))]);
            assert_eq!(error.variable, SITES, "{value}");
            assert!(error.to_string().contains("A-Z a-z 0-9"), "{error}");
        }
    }

    #[test]
    fn invalid_origins() {
        let cases = [
            ("*", "wildcard"),
            ("null", "scheme://host"),
            ("www.example.com", "scheme://host"),
            ("ftp://www.example.com", "scheme://host"),
            ("https://www.example.com/", "'https://www.example.com'"),
            ("https://WWW.example.com", "'https://www.example.com'"),
            ("https://www.example.com:443", "'https://www.example.com'"),
            ("https://www.example.com/page", "'https://www.example.com'"),
        ];
        for (value, expected) in cases {
            let error = error_with(&[(ALLOWED_ORIGINS, Some(value))]);
            assert_eq!(error.variable, ALLOWED_ORIGINS, "{value}");
            assert!(error.to_string().contains(expected), "{value}: {error}");
        }
    }

    #[test]
    fn invalid_numbers() {
        let cases = [
            (UPSTREAM_TIMEOUT_MS, "0"),
            (UPSTREAM_TIMEOUT_MS, "60001"),
            (UPSTREAM_TIMEOUT_MS, "2s"),
            (CACHE_MS, "-1"),
            (CACHE_MS, "1.5"),
            (RATE_PER_SECOND, "1000001"),
            (RATE_PER_SECOND, "ten"),
        ];
        for (name, value) in cases {
            let error = error_with(&[(name, Some(value))]);
            assert_eq!(error.variable, name, "{value}");
            let message = error.to_string();
            assert!(message.contains(name), "{message}");
            assert!(message.contains("whole number"), "{message}");
        }
    }

    #[test]
    fn invalid_choices() {
        let error = error_with(&[(TRIM, Some("all"))]);
        assert_eq!(error.variable, TRIM);
        assert!(error.to_string().contains("'none'"), "{error}");

        let error = error_with(&[(CLIENT_ADDRESS, Some("X-Forwarded-For"))]);
        assert_eq!(error.variable, CLIENT_ADDRESS);
        assert!(error.to_string().contains("'x-forwarded-for'"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_value() {
        use std::os::unix::ffi::OsStringExt;
        let error = ProxyConfig::from_env(|name| {
            (name == UPSTREAM).then(|| OsString::from_vec(vec![0x68, 0xff]))
        });
        let message = error
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default();
        assert!(
            message.contains("ZEPHR_UPSTREAM is not valid UTF-8"),
            "{message}"
        );
    }
}
