//! Signed session lookups on the upstream Admin API, behind the micro-cache.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Url;
use tokio::sync::Semaphore;
use tokio::time::{timeout_at, Instant};
use uuid::Uuid;

use super::cache::{CacheStatus, MicroCache, Weigh};
use super::config::{ProxyConfig, SecretKey, Trim};
use super::signing::{self, SignedRequest};
use super::trim;
use crate::app::shorten_id;
use crate::sessions::SessionLookup;

/// Maximum size of an upstream body. A larger body is rejected while it is read, so the proxy
/// never buffers more than this per request.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Maximum number of upstream requests in flight. A lookup that finds no free slot before its
/// timeout gets 503, so memory stays below this many bodies of [`MAX_BODY_BYTES`].
pub const MAX_IN_FLIGHT: usize = 256;

/// Longest `Accept` header forwarded upstream; a longer one is replaced by `application/json`.
const MAX_ACCEPT_BYTES: usize = 256;

/// Characters left as they are in a path segment: the URL-unreserved set `A-Z a-z 0-9 - . _ ~`.
/// Everything else is percent-encoded, `/` included, so an id always stays one segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Key of the micro-cache: site and session id.
type CacheKey = (String, String);

/// Client of the upstream Admin API that signs each lookup with the admin key pair.
#[derive(Debug)]
pub struct UpstreamSource {
    client: reqwest::Client,
    base: Url,
    access_key: String,
    secret_key: SecretKey,
    sites: BTreeSet<String>,
    timeout: Duration,
    trim: Trim,
    cache: MicroCache<CacheKey, SessionLookup>,
    slots: Semaphore,
}

impl Weigh for SessionLookup {
    fn weight(&self) -> usize {
        match self {
            Self::Found(document) => document.len(),
            _ => 0,
        }
    }
}

impl UpstreamSource {
    /// Creates the HTTP client and the micro-cache from `config`.
    ///
    /// The client follows no redirects and ignores the `HTTP_PROXY` family of variables, so a
    /// signed request goes only to `ZEPHR_UPSTREAM`.
    pub fn new(config: &ProxyConfig) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .user_agent(concat!("zephr-session-server/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .http1_only()
            .connect_timeout(config.upstream_timeout)
            .build()?;
        Ok(Self {
            client,
            base: config.upstream.clone(),
            access_key: config.access_key.clone(),
            secret_key: config.secret_key.clone(),
            sites: config.sites.clone(),
            timeout: config.upstream_timeout,
            trim: config.trim,
            cache: MicroCache::new(config.cache_ttl),
            slots: Semaphore::new(MAX_IN_FLIGHT),
        })
    }

    /// Returns whether `site` is one of `ZEPHR_SITES`.
    pub fn serves_site(&self, site: &str) -> bool {
        self.sites.contains(site)
    }

    /// Looks up `session_id` on `site` through the micro-cache.
    ///
    /// The caller has already checked the site and bound the id to the reader's cookie, so a
    /// cached response only ever reaches a reader of that same session. Found and not-found
    /// responses are cached, but failures are not.
    pub async fn lookup(
        &self,
        site: &str,
        session_id: &str,
        accept: Option<&HeaderValue>,
    ) -> (SessionLookup, CacheStatus) {
        // The URL parser would resolve these as dot segments and change the path.
        if session_id == "." || session_id == ".." {
            return (SessionLookup::NotFound, CacheStatus::Miss);
        }
        let accept = accept
            .filter(|value| value.len() <= MAX_ACCEPT_BYTES)
            .cloned()
            .unwrap_or_else(|| HeaderValue::from_static("application/json"));
        let key = (site.to_owned(), session_id.to_owned());
        self.cache
            .get_or_fetch(
                key,
                || self.fetch(site, session_id, accept),
                |lookup| matches!(lookup, SessionLookup::Found(_) | SessionLookup::NotFound),
            )
            .await
    }

    /// Builds the upstream URL. Site and id are percent-encoded with [`SEGMENT`], and the
    /// signature covers exactly the path of the returned URL.
    pub fn lookup_url(&self, site: &str, session_id: &str) -> Url {
        let prefix = self.base.path().trim_end_matches('/');
        let path = format!(
            "{prefix}/v4/sessions/{}/{}",
            utf8_percent_encode(site, SEGMENT),
            utf8_percent_encode(session_id, SEGMENT)
        );
        let mut url = self.base.clone();
        url.set_path(&path);
        url
    }

    /// Sends one signed lookup and maps the upstream response. Every failure is logged here with
    /// the site and the shortened session id.
    async fn fetch(&self, site: &str, session_id: &str, accept: HeaderValue) -> SessionLookup {
        let session = shorten_id(session_id);
        let deadline = Instant::now() + self.timeout;
        let timeout_ms = self.timeout.as_millis();

        let Ok(Ok(_permit)) = timeout_at(deadline, self.slots.acquire()).await else {
            tracing::warn!(
                %site,
                %session,
                max_in_flight = MAX_IN_FLIGHT,
                timeout_ms,
                "no upstream slot became free within the timeout, so the lookup gets 503"
            );
            return SessionLookup::Busy;
        };

        let url = self.lookup_url(site, session_id);
        let nonce = Uuid::new_v4().to_string();
        let signed = SignedRequest {
            body: b"",
            path: url.path(),
            query: url.query().unwrap_or(""),
            method: "GET",
            timestamp_ms: unix_time_ms(),
            nonce: &nonce,
        };
        let authorization =
            signing::authorization(&self.access_key, self.secret_key.expose(), &signed);
        let request = self
            .client
            .get(url)
            .header(header::AUTHORIZATION, authorization)
            .header(header::ACCEPT, accept);

        match timeout_at(deadline, self.exchange(request, site, session_id)).await {
            Ok(lookup) => lookup,
            Err(_elapsed) => {
                tracing::error!(
                    %site,
                    %session,
                    timeout_ms,
                    "upstream did not respond within ZEPHR_UPSTREAM_TIMEOUT_MS, so the lookup \
                     gets 504"
                );
                SessionLookup::GatewayTimeout
            }
        }
    }

    /// Sends `request`, reads the body of a 200 response and maps the status.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        site: &str,
        session_id: &str,
    ) -> SessionLookup {
        let session = shorten_id(session_id);
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => {
                let reason = if error.is_connect() {
                    "failed to connect to the upstream"
                } else {
                    "upstream request failed"
                };
                tracing::error!(
                    %site,
                    %session,
                    upstream = %self.base,
                    error = %error_chain(&error.without_url()),
                    "{reason}, so the lookup gets 502"
                );
                return SessionLookup::BadGateway;
            }
        };

        let status = response.status();
        match status {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => return SessionLookup::NotFound,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                tracing::error!(
                    %site,
                    %session,
                    status = status.as_u16(),
                    "upstream rejected the proxy's own credentials, so the lookup gets 502. \
                     Check ZEPHR_ACCESS_KEY, the secret key and this machine's clock"
                );
                return SessionLookup::BadGateway;
            }
            _ => {
                let kind = if status.is_server_error() {
                    "upstream failed"
                } else {
                    "upstream returned an unexpected status"
                };
                tracing::error!(
                    %site,
                    %session,
                    status = status.as_u16(),
                    "{kind}, so the lookup gets 502"
                );
                return SessionLookup::BadGateway;
            }
        }

        let document = match read_capped(response).await {
            Ok(document) => document,
            Err(BodyError::TooLarge) => {
                tracing::error!(
                    %site,
                    %session,
                    max_bytes = MAX_BODY_BYTES,
                    "upstream body exceeds the maximum size, so the lookup gets 502"
                );
                return SessionLookup::BadGateway;
            }
            Err(BodyError::Read(error)) => {
                tracing::error!(
                    %site,
                    %session,
                    error = %error_chain(&error.without_url()),
                    "failed to read the upstream body, so the lookup gets 502"
                );
                return SessionLookup::BadGateway;
            }
        };

        match self.trim {
            Trim::None => SessionLookup::Found(document),
            Trim::Sessions => match trim::keep_own_session(&document, session_id) {
                Ok(trimmed) => SessionLookup::Found(trimmed),
                Err(trim::NotAnObject) => {
                    tracing::error!(
                        %site,
                        %session,
                        bytes = document.len(),
                        "upstream returned a body that is not a JSON object, so it cannot be \
                         trimmed and the lookup gets 502"
                    );
                    SessionLookup::BadGateway
                }
            },
        }
    }
}

#[derive(Debug)]
enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// Reads the body chunk by chunk and stops as soon as it exceeds [`MAX_BODY_BYTES`].
async fn read_capped(mut response: reqwest::Response) -> Result<Bytes, BodyError> {
    let declared = response.content_length().unwrap_or(0);
    if declared > MAX_BODY_BYTES as u64 {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(body))
}

/// Returns the current time in milliseconds since the Unix epoch, or 0 for a clock set before
/// 1970 (the upstream then rejects the signature, which the logs report).
fn unix_time_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Formats an error followed by its sources, separated by `: `.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    fn source_for(upstream: &str) -> UpstreamSource {
        let variables = [
            ("ZEPHR_UPSTREAM", upstream),
            ("ZEPHR_ACCESS_KEY", "AK123"),
            ("ZEPHR_SECRET_KEY", "s3cr3t"),
            ("ZEPHR_SITES", "www"),
        ];
        let config = ProxyConfig::from_env(|name| {
            variables
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| OsString::from(value))
        });
        match config.map(|config| UpstreamSource::new(&config)) {
            Ok(Ok(source)) => source,
            Ok(Err(error)) => panic!("failed to build the client: {error}"),
            Err(error) => panic!("invalid test configuration: {error}"),
        }
    }

    #[test]
    fn lookup_url_encodes_segments() {
        let source = source_for("https://tenant.api.zephr.com");
        let cases = [
            (
                "26a73b7a-f7d0-48d8-85dd-a04b07313895",
                "/v4/sessions/www/26a73b7a-f7d0-48d8-85dd-a04b07313895",
            ),
            ("a/b", "/v4/sessions/www/a%2Fb"),
            ("a?b#c", "/v4/sessions/www/a%3Fb%23c"),
            ("%2e%2e", "/v4/sessions/www/%252e%252e"),
            ("a b", "/v4/sessions/www/a%20b"),
            ("café", "/v4/sessions/www/caf%C3%A9"),
            ("x.y_z~1", "/v4/sessions/www/x.y_z~1"),
        ];
        for (id, expected) in cases {
            let url = source.lookup_url("www", id);
            assert_eq!(url.path(), expected, "{id}");
            assert_eq!(url.query(), None, "{id}");
            assert_eq!(url.host_str(), Some("tenant.api.zephr.com"), "{id}");
        }
    }

    #[test]
    fn lookup_url_keeps_base_path() {
        let source = source_for("http://127.0.0.1:9/gateway/");
        let url = source.lookup_url("www", "abc");
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:9/gateway/v4/sessions/www/abc"
        );
    }

    #[tokio::test]
    async fn dot_ids_are_not_sent() {
        // Nothing listens on loopback port 9 here, so a request sent there would give 502, not 404.
        let source = source_for("http://127.0.0.1:9");
        for id in [".", ".."] {
            let (lookup, _) = source.lookup("www", id, None).await;
            assert_eq!(lookup, SessionLookup::NotFound, "{id}");
        }
    }

    #[test]
    fn error_chain_lists_sources() {
        #[derive(Debug)]
        struct Wrapper(std::io::Error);
        impl std::fmt::Display for Wrapper {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("connect failed")
            }
        }
        impl std::error::Error for Wrapper {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let wrapped = Wrapper(std::io::Error::other("refused"));
        assert_eq!(error_chain(&wrapped), "connect failed: refused");
    }
}
