//! Runs the server binary in proxy mode against an in-process mock of the Admin API, which
//! checks every signature on its own and counts requests.
//!
//! Covered: binding, the site allow-list, header stripping, upstream failures, the micro-cache,
//! the rate limit, CORS and configuration errors.

#[path = "support/mock_upstream.rs"]
mod mock_upstream;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use mock_upstream::{MockOptions, MockUpstream, OTHER_DEVICE_ID};
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;
use serde_json::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_zephr-session-server");
const ACCESS_KEY: &str = "AK-test-0001";
const SECRET_KEY: &str = "s3cr3t-test-key";
const READER_ID: &str = "26a73b7a-f7d0-48d8-85dd-a04b07313895";
const OTHER_READER_ID: &str = "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11";

/// Proxy process that is killed on drop, with its stderr collected by a thread.
struct Proxy {
    child: Child,
    url: String,
    stderr: Arc<Mutex<String>>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Proxy {
    /// Starts the proxy on a free loopback port with the test key pair, sites `www,news`,
    /// `upstream` and the variables of `overrides` (an empty value removes a variable).
    fn start(upstream: &str, overrides: &[(&str, &str)]) -> Self {
        let mut variables = vec![
            ("ZEPHR_UPSTREAM", upstream),
            ("ZEPHR_ACCESS_KEY", ACCESS_KEY),
            ("ZEPHR_SECRET_KEY", SECRET_KEY),
            ("ZEPHR_SITES", "www,news"),
        ];
        for (name, value) in overrides {
            variables.retain(|(existing, _)| existing != name);
            if !value.is_empty() {
                variables.push((name, value));
            }
        }
        let spawned = Command::new(BINARY)
            .args(["proxy", "--listen", "127.0.0.1:0"])
            .env_clear()
            .envs(variables)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(error) => panic!("failed to start {BINARY}: {error}"),
        };

        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut text = sink.lock().unwrap_or_else(PoisonError::into_inner);
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }

        let Some(stdout) = child.stdout.take() else {
            panic!("proxy stdout is not piped");
        };
        let mut first_line = String::new();
        if let Err(error) = BufReader::new(stdout).read_line(&mut first_line) {
            panic!("failed to read the first stdout line: {error}");
        }
        let url = first_line
            .trim_end()
            .strip_prefix("zephr-session proxy: ")
            .map(|url| url.trim_end_matches('/').to_owned());
        let Some(url) = url else {
            let log = stderr
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .clone();
            panic!("unexpected first stdout line {first_line:?}; stderr: {log}");
        };
        Self { child, url, stderr }
    }

    fn log(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits up to 5 s for `text` to appear in the log and returns the log.
    fn wait_for_log(&self, text: &str) -> String {
        self.wait_for_log_count(text, 1)
    }

    /// Waits up to 5 s until the log contains `text` at least `count` times, because the
    /// proxy writes a request's log line after the client may have read the response.
    fn wait_for_log_count(&self, text: &str, count: usize) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = self.log();
            if log.matches(text).count() >= count || Instant::now() > deadline {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops the proxy with SIGTERM and returns whether it exited successfully.
    fn stop(&mut self) -> bool {
        let signalled = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        signalled && self.child.wait().is_ok_and(|status| status.success())
    }
}

async fn start_mock(secret_key: &str) -> MockUpstream {
    let options = MockOptions {
        access_key: ACCESS_KEY.to_owned(),
        secret_key: secret_key.to_owned(),
        verify: true,
        record: true,
    };
    match MockUpstream::start(options, "127.0.0.1:0").await {
        Ok(mock) => mock,
        Err(error) => panic!("failed to start the mock upstream: {error}"),
    }
}

fn client() -> reqwest::Client {
    match reqwest::Client::builder().no_proxy().build() {
        Ok(client) => client,
        Err(error) => panic!("failed to build the test client: {error}"),
    }
}

/// Response of the proxy, read whole.
#[derive(Debug)]
struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    fn json(&self) -> Value {
        match serde_json::from_str(&self.body) {
            Ok(value) => value,
            Err(error) => panic!("body is not JSON: {error}: {}", self.body),
        }
    }
}

/// Sends `method path` to the proxy with the given extra headers.
async fn send(
    proxy: &Proxy,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    send_to(&proxy.url, method, path, headers).await
}

/// Sends `method path` to `base_url` with the given extra headers.
async fn send_to(
    base_url: &str,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Response {
    let mut request = client().request(method, format!("{base_url}{path}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let sent = match request.send().await {
        Ok(sent) => sent,
        Err(error) => panic!("request {path} failed: {error}"),
    };
    let status = sent.status();
    let headers = sent.headers().clone();
    let body = match sent.text().await {
        Ok(body) => body,
        Err(error) => panic!("failed to read the body of {path}: {error}"),
    };
    Response {
        status,
        headers,
        body,
    }
}

/// Sends a GET with `path` exactly as given, which an URL parser would normalize (dot
/// segments), over a plain TCP connection, and returns the status code and the body.
fn raw_get(proxy: &Proxy, path: &str, cookie: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let host_port = proxy.url.trim_start_matches("http://");
    let mut stream = match std::net::TcpStream::connect(host_port) {
        Ok(stream) => stream,
        Err(error) => panic!("failed to connect to {host_port}: {error}"),
    };
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host_port}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    if let Err(error) = stream.write_all(request.as_bytes()) {
        panic!("failed to send {path}: {error}");
    }
    let mut raw_response = String::new();
    if let Err(error) = stream.read_to_string(&mut raw_response) {
        panic!("failed to read the response to {path}: {error}");
    }
    let status = raw_response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = raw_response
        .split_once("\r\n\r\n")
        .map_or_else(String::new, |(_, body)| body.to_owned());
    (status, body)
}

/// Looks up `id` on site `www` with `blaize_session` set to `cookie_id`.
async fn lookup_as(proxy: &Proxy, id: &str, cookie_id: &str) -> Response {
    let cookie = format!("blaize_session={cookie_id}");
    let path = format!("/v4/sessions/www/{id}");
    send(proxy, reqwest::Method::GET, &path, &[("cookie", &cookie)]).await
}

#[tokio::test]
async fn lookup_is_signed_and_trimmed() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);

    let cookie = format!("theme=dark; blaize_session={READER_ID}; consent=yes");
    let response = send(
        &proxy,
        reqwest::Method::GET,
        &format!("/v4/sessions/www/{READER_ID}"),
        &[
            ("cookie", &cookie),
            ("accept", "application/json"),
            ("authorization", "Bearer reader-token"),
            ("user-agent", "reader-browser/1.0"),
            ("x-forwarded-for", "203.0.113.9"),
            ("x-custom", "reader-value"),
            ("referer", "https://www.example.com/article"),
        ],
    )
    .await;

    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("set-cookie"), None);
    let document = response.json();
    let sessions = document["sessions"].as_array().cloned().unwrap_or_default();
    assert_eq!(sessions.len(), 1, "{document}");
    assert_eq!(sessions[0]["session_id"], READER_ID);
    assert_eq!(sessions[0]["city"], "Lyon");
    assert!(
        !response.body.contains(OTHER_DEVICE_ID),
        "{}",
        response.body
    );
    assert_eq!(document["access_model"]["user_state"], "registered");

    let requests = mock.state.requests();
    assert_eq!(requests.len(), 1);
    let upstream = &requests[0];
    assert!(upstream.signature_valid);
    assert_eq!(upstream.method, reqwest::Method::GET);
    assert_eq!(
        upstream.path_and_query,
        format!("/v4/sessions/www/{READER_ID}")
    );
    for name in upstream.headers.keys() {
        assert!(
            ["host", "accept", "authorization", "user-agent"].contains(&name.as_str()),
            "unexpected upstream header {name}"
        );
    }
    let upstream_header = |name: header::HeaderName| {
        upstream
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert_eq!(upstream_header(header::ACCEPT), "application/json");
    assert!(upstream_header(header::USER_AGENT).starts_with("zephr-session-server/"));
    let authorization = upstream_header(header::AUTHORIZATION);
    let prefix = format!("ZEPHR-HMAC-SHA256 {ACCESS_KEY}:");
    assert!(authorization.starts_with(&prefix), "{authorization}");
    let hash = authorization.rsplit(':').next().unwrap_or("").to_owned();
    assert_eq!(hash.len(), 64, "{authorization}");

    let log = proxy.wait_for_log("status=200");
    assert!(log.contains("path=/v4/sessions/www/26a7…"), "{log}");
    assert!(log.contains("cache=miss"), "{log}");
    assert!(log.contains("duration_ms="), "{log}");
    for secret in [
        READER_ID,
        "26a73",
        SECRET_KEY,
        ACCESS_KEY,
        &hash,
        "reader-token",
        "theme=dark",
    ] {
        assert!(!log.contains(secret), "log contains {secret}: {log}");
    }
}

#[tokio::test]
async fn nonces_are_fresh_per_request() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[("ZEPHR_CACHE_MS", "0")]);
    for _ in 0..3 {
        let response = lookup_as(&proxy, READER_ID, READER_ID).await;
        assert_eq!(response.status, StatusCode::OK);
    }
    let requests = mock.state.requests();
    assert_eq!(requests.len(), 3);
    assert!(requests.iter().all(|request| request.signature_valid));
}

#[tokio::test]
async fn current_names_the_cookie_session() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);

    let response = lookup_as(&proxy, "current", READER_ID).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(response.json()["sessions"][0]["session_id"], READER_ID);
    let requests = mock.state.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].path_and_query,
        format!("/v4/sessions/www/{READER_ID}")
    );
}

#[tokio::test]
async fn binding_rejects_other_readers() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[("ZEPHR_RATE_PER_SECOND", "0")]);

    let response = lookup_as(&proxy, OTHER_READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(
        response.body.contains("does not match"),
        "{}",
        response.body
    );

    let no_cookie = [
        format!("/v4/sessions/www/{READER_ID}"),
        "/v4/sessions/www/current".to_owned(),
    ];
    for path in &no_cookie {
        let response = send(&proxy, reqwest::Method::GET, path, &[]).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{path}");
        assert!(
            response.body.contains("blaize_session cookie"),
            "{}",
            response.body
        );
    }

    let bad_cookies = [
        "blaize_session=",
        "other_cookie=26a73b7a-f7d0-48d8-85dd-a04b07313895",
        "blaize_session=\"unterminated",
        "BLAIZE_SESSION=26a73b7a-f7d0-48d8-85dd-a04b07313895",
    ];
    for cookie in bad_cookies {
        let path = format!("/v4/sessions/www/{READER_ID}");
        let response = send(&proxy, reqwest::Method::GET, &path, &[("cookie", cookie)]).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{cookie}");
        let response = send(
            &proxy,
            reqwest::Method::GET,
            "/v4/sessions/www/current",
            &[("cookie", cookie)],
        )
        .await;
        assert_eq!(
            response.status,
            StatusCode::FORBIDDEN,
            "current with {cookie}"
        );
    }

    // The id in the path is compared after percent-decoding, case included.
    let upper = READER_ID.to_uppercase();
    let response = lookup_as(&proxy, &upper, READER_ID).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);

    assert_eq!(mock.state.count(), 0);
}

#[tokio::test]
async fn cached_response_stays_with_reader() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[("ZEPHR_CACHE_MS", "60000")]);

    let response = lookup_as(&proxy, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::OK);
    let response = lookup_as(&proxy, READER_ID, OTHER_READER_ID).await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    let response = lookup_as(&proxy, "current", OTHER_READER_ID).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.json()["sessions"][0]["session_id"],
        OTHER_READER_ID
    );
    assert_eq!(mock.state.count(), 2);
}

#[tokio::test]
async fn sites_outside_allow_list_are_404() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);
    let cookie = format!("blaize_session={READER_ID}");

    for site in ["shop", "WWW", "www%2Fnews", "..", "%2E%2E", "%77ww%00"] {
        let path = format!("/v4/sessions/{site}/{READER_ID}");
        let (status, body) = raw_get(&proxy, &path, &cookie);
        assert_eq!(status, 404, "{site}");
        assert_eq!(body, "", "{site}");
    }
    assert_eq!(mock.state.count(), 0);

    let path = format!("/v4/sessions/news/{READER_ID}");
    let response = send(&proxy, reqwest::Method::GET, &path, &[("cookie", &cookie)]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["subTenantId"], "mock|news");
}

#[tokio::test]
async fn hostile_ids_stay_one_segment() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);

    // Each cookie value is valid, and the path carries the same id percent-encoded.
    let cases = [
        ("a/b", "a%2Fb", "/v4/sessions/www/a%2Fb"),
        ("a:b=c", "a%3Ab%3Dc", "/v4/sessions/www/a%3Ab%3Dc"),
        ("x?y#z", "x%3Fy%23z", "/v4/sessions/www/x%3Fy%23z"),
        ("%2e%2e", "%252e%252e", "/v4/sessions/www/%252e%252e"),
    ];
    for (cookie_id, path_id, expected_upstream) in cases {
        let response = lookup_as(&proxy, path_id, cookie_id).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{cookie_id}: {}",
            response.body
        );
        assert_eq!(response.json()["sessions"][0]["session_id"], cookie_id);
        let requests = mock.state.requests();
        let last = requests
            .last()
            .map(|request| (request.path_and_query.clone(), request.signature_valid));
        assert_eq!(
            last,
            Some((expected_upstream.to_owned(), true)),
            "{cookie_id}"
        );
    }

    for dots in ["..", "."] {
        let cookie = format!("blaize_session={dots}");
        for path_id in [dots.to_owned(), dots.replace('.', "%2E")] {
            let path = format!("/v4/sessions/www/{path_id}");
            let (status, _) = raw_get(&proxy, &path, &cookie);
            assert_eq!(status, 404, "{path}");
        }
    }
    assert_eq!(mock.state.count(), cases.len());
}

#[tokio::test]
async fn upstream_404_passes_through() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);
    let response = lookup_as(&proxy, "missing-session", "missing-session").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.body, "");
    assert_eq!(response.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn rejected_credentials_are_502() {
    let mock = start_mock("the-secret-upstream-expects").await;
    let proxy = Proxy::start(&mock.url, &[]);

    let response = lookup_as(&proxy, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::BAD_GATEWAY);
    assert_eq!(response.body, "upstream lookup failed\n");
    let requests = mock.state.requests();
    assert_eq!(requests.len(), 1);
    assert!(!requests[0].signature_valid);

    let log = proxy.wait_for_log("credentials");
    assert!(log.contains("ERROR"), "{log}");
    assert!(
        log.contains("upstream rejected the proxy's own credentials"),
        "{log}"
    );
    assert!(log.contains("status=401"), "{log}");
    assert!(log.contains("session=26a7…"), "{log}");
    assert!(!log.contains(SECRET_KEY), "{log}");
    assert!(!log.contains(READER_ID), "{log}");

    let accepting_mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&accepting_mock.url, &[]);
    let response = lookup_as(&proxy, "status-403", "status-403").await;
    assert_eq!(response.status, StatusCode::BAD_GATEWAY);
    let log = proxy.wait_for_log("credentials");
    assert!(
        log.contains("upstream rejected the proxy's own credentials"),
        "{log}"
    );
    assert!(log.contains("status=403"), "{log}");
}

#[tokio::test]
async fn upstream_errors_are_502() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);
    for id in [
        "status-500",
        "status-503",
        "status-400",
        "status-429",
        "status-302",
    ] {
        let response = lookup_as(&proxy, id, id).await;
        assert_eq!(response.status, StatusCode::BAD_GATEWAY, "{id}");
        assert_eq!(response.body, "upstream lookup failed\n", "{id}");
    }
    // The redirect is not followed, so the mock saw five requests.
    assert_eq!(mock.state.count(), 5);
    let log = proxy.wait_for_log("status=302");
    assert!(log.contains("upstream failed"), "{log}");
    assert!(log.contains("unexpected status"), "{log}");

    // Failures are not cached: the next lookup goes upstream again.
    let response = lookup_as(&proxy, "status-500", "status-500").await;
    assert_eq!(response.status, StatusCode::BAD_GATEWAY);
    assert_eq!(mock.state.count(), 6);
}

#[tokio::test]
async fn unreachable_upstream_is_502() {
    // Bind and drop a listener to find a loopback port with nothing behind it.
    let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(address) => address.port(),
        Err(error) => panic!("failed to find a free port: {error}"),
    };
    let proxy = Proxy::start(&format!("http://127.0.0.1:{port}"), &[]);
    let response = lookup_as(&proxy, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::BAD_GATEWAY);
    let log = proxy.wait_for_log("failed to connect");
    assert!(log.contains("failed to connect to the upstream"), "{log}");
    assert!(!log.contains(READER_ID), "{log}");
}

#[tokio::test]
async fn slow_upstream_is_504() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[("ZEPHR_UPSTREAM_TIMEOUT_MS", "200")]);
    for id in ["slow-head", "slow-body"] {
        let started = Instant::now();
        let response = lookup_as(&proxy, id, id).await;
        let elapsed = started.elapsed();
        assert_eq!(response.status, StatusCode::GATEWAY_TIMEOUT, "{id}");
        assert_eq!(response.body, "upstream lookup timed out\n", "{id}");
        assert!(elapsed >= Duration::from_millis(190), "{id}: {elapsed:?}");
        assert!(elapsed < mock_upstream::SLOW_DELAY, "{id}: {elapsed:?}");
    }
    let log = proxy.wait_for_log("did not respond");
    assert!(log.contains("timeout_ms=200"), "{log}");
}

#[tokio::test]
async fn oversized_responses_are_502() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);
    for id in ["big-length", "big-chunked"] {
        let response = lookup_as(&proxy, id, id).await;
        assert_eq!(response.status, StatusCode::BAD_GATEWAY, "{id}");
    }
    let log = proxy.wait_for_log("exceeds the maximum size");
    assert!(log.contains("max_bytes=1048576"), "{log}");

    let response = lookup_as(&proxy, "exact-limit", "exact-limit").await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.json()["sessions"][0]["session_id"], "exact-limit");
}

#[tokio::test]
async fn trim_none_passes_documents_through() {
    let mock = start_mock(SECRET_KEY).await;
    let trimming = Proxy::start(&mock.url, &[]);
    let response = lookup_as(&trimming, "not-json", "not-json").await;
    assert_eq!(response.status, StatusCode::BAD_GATEWAY);

    let untrimmed = Proxy::start(&mock.url, &[("ZEPHR_TRIM", "none")]);
    let response = lookup_as(&untrimmed, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::OK);
    let sessions = response.json()["sessions"].as_array().map_or(0, Vec::len);
    assert_eq!(sessions, 2);
    assert!(response.body.contains(OTHER_DEVICE_ID));

    let response = lookup_as(&untrimmed, "not-json", "not-json").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.contains("maintenance"), "{}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn micro_cache_absorbs_repeats() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[("ZEPHR_CACHE_MS", "1000")]);

    for _ in 0..5 {
        let response = lookup_as(&proxy, READER_ID, READER_ID).await;
        assert_eq!(response.status, StatusCode::OK);
    }
    assert_eq!(mock.state.count(), 1);
    // The last line can be written after its response is read, so wait for all four.
    let log = proxy.wait_for_log_count("cache=hit", 4);
    assert_eq!(log.matches("cache=miss").count(), 1, "{log}");
    assert_eq!(log.matches("cache=hit").count(), 4, "{log}");

    let response = lookup_as(&proxy, "missing-1", "missing-1").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    let response = lookup_as(&proxy, "missing-1", "missing-1").await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(mock.state.count(), 2);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = lookup_as(&proxy, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(mock.state.count(), 3);
}

#[tokio::test]
async fn concurrent_burst_costs_one_request() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(
        &mock.url,
        &[("ZEPHR_CACHE_MS", "5000"), ("ZEPHR_RATE_PER_SECOND", "0")],
    );

    // The mock responds to slow-burst after 1 s, so all ten lookups arrive while the first
    // is in flight.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let url = proxy.url.clone();
        tasks.spawn(async move {
            let headers = [("cookie", "blaize_session=slow-burst")];
            let path = "/v4/sessions/www/slow-burst";
            send_to(&url, reqwest::Method::GET, path, &headers)
                .await
                .status
        });
    }
    while let Some(joined) = tasks.join_next().await {
        assert_eq!(joined.ok(), Some(StatusCode::OK));
    }
    assert_eq!(mock.state.count(), 1);
    let log = proxy.wait_for_log_count("cache=hit", 9);
    assert_eq!(log.matches("cache=hit").count(), 9, "{log}");
}

#[tokio::test]
async fn cache_off_forwards_every_lookup() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[("ZEPHR_CACHE_MS", "0")]);
    for _ in 0..3 {
        let response = lookup_as(&proxy, READER_ID, READER_ID).await;
        assert_eq!(response.status, StatusCode::OK);
    }
    assert_eq!(mock.state.count(), 3);
}

#[tokio::test]
async fn rate_limit_responds_429() {
    let mock = start_mock(SECRET_KEY).await;
    // A rate of 1 gives a burst of 1, so every request of the next second gets 429 however
    // slowly this machine runs. Larger bursts are covered by the rate limiter's unit tests.
    let proxy = Proxy::start(&mock.url, &[("ZEPHR_RATE_PER_SECOND", "1")]);

    let response = lookup_as(&proxy, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::OK);
    let response = lookup_as(&proxy, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.body, "too many lookups, retry later\n");

    // X-Forwarded-For is not trusted by default, so a forged one changes nothing.
    let cookie = format!("blaize_session={READER_ID}");
    let path = format!("/v4/sessions/www/{READER_ID}");
    let headers = [
        ("cookie", cookie.as_str()),
        ("x-forwarded-for", "198.51.100.7"),
    ];
    let response = send(&proxy, reqwest::Method::GET, &path, &headers).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);

    // Refused lookups count too, and /healthz is not limited.
    let response = lookup_as(&proxy, OTHER_READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS);
    let response = send(&proxy, reqwest::Method::GET, "/healthz", &[]).await;
    assert_eq!(response.status, StatusCode::OK);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let response = lookup_as(&proxy, READER_ID, READER_ID).await;
    assert_eq!(response.status, StatusCode::OK);
}

#[tokio::test]
async fn forwarded_for_opt_in_separates_clients() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(
        &mock.url,
        &[
            ("ZEPHR_RATE_PER_SECOND", "1"),
            ("ZEPHR_CLIENT_ADDRESS", "x-forwarded-for"),
        ],
    );
    let cookie = format!("blaize_session={READER_ID}");
    let path = format!("/v4/sessions/www/{READER_ID}");
    let as_client = |address: &'static str| {
        let cookie = cookie.clone();
        let path = path.clone();
        let proxy = &proxy;
        async move {
            let headers = [("cookie", cookie.as_str()), ("x-forwarded-for", address)];
            send(proxy, reqwest::Method::GET, &path, &headers)
                .await
                .status
        }
    };
    assert_eq!(as_client("198.51.100.7").await, StatusCode::OK);
    assert_eq!(
        as_client("198.51.100.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Only the last entry counts, since the load balancer appends it.
    assert_eq!(
        as_client("198.51.100.8, 198.51.100.7").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        as_client("198.51.100.7, 198.51.100.8").await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn cors_for_allowed_origins_only() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(
        &mock.url,
        &[(
            "ZEPHR_ALLOWED_ORIGINS",
            "https://www.example.com,http://localhost:8080",
        )],
    );
    let cookie = format!("blaize_session={READER_ID}");
    let path = format!("/v4/sessions/www/{READER_ID}");

    let allowed = send(
        &proxy,
        reqwest::Method::GET,
        &path,
        &[("cookie", &cookie), ("origin", "https://www.example.com")],
    )
    .await;
    assert_eq!(allowed.status, StatusCode::OK);
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://www.example.com")
    );
    assert_eq!(
        allowed.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(allowed.header("vary"), Some("Origin"));

    let refused = send(
        &proxy,
        reqwest::Method::GET,
        &path,
        &[("cookie", &cookie), ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(refused.header("access-control-allow-origin"), None);
    assert_eq!(refused.header("access-control-allow-credentials"), None);
    assert_eq!(refused.header("vary"), Some("Origin"));

    let forbidden = send(
        &proxy,
        reqwest::Method::GET,
        &path,
        &[("origin", "http://localhost:8080")],
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert_eq!(
        forbidden.header("access-control-allow-origin"),
        Some("http://localhost:8080")
    );

    let preflight_headers = [
        ("origin", "https://www.example.com"),
        ("access-control-request-method", "GET"),
        ("access-control-request-headers", "accept"),
    ];
    let preflight = send(&proxy, reqwest::Method::OPTIONS, &path, &preflight_headers).await;
    assert_eq!(preflight.status, StatusCode::NO_CONTENT);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://www.example.com")
    );
    assert_eq!(
        preflight.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        preflight.header("access-control-allow-methods"),
        Some("GET")
    );
    assert_eq!(
        preflight.header("access-control-allow-headers"),
        Some("accept")
    );
    assert_eq!(preflight.header("access-control-max-age"), Some("600"));

    let foreign_preflight = [
        ("origin", "https://evil.example"),
        ("access-control-request-method", "GET"),
    ];
    let response = send(&proxy, reqwest::Method::OPTIONS, &path, &foreign_preflight).await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.header("access-control-allow-origin"), None);

    // The second GET came from the micro-cache.
    assert_eq!(mock.state.count(), 1);
}

#[tokio::test]
async fn only_get_lookups_and_healthz_exist() {
    let mock = start_mock(SECRET_KEY).await;
    let proxy = Proxy::start(&mock.url, &[]);
    let cookie = format!("blaize_session={READER_ID}");
    let path = format!("/v4/sessions/www/{READER_ID}");

    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
        reqwest::Method::HEAD,
        reqwest::Method::OPTIONS,
    ] {
        let response = send(&proxy, method.clone(), &path, &[("cookie", &cookie)]).await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }

    for other in [
        "/",
        "/index.html",
        "/pkg/zephr_session.js",
        "/v4/sessions/www",
        "/v4/sessions/www/",
        "/v3/sessions/26a73b7a-f7d0-48d8-85dd-a04b07313895",
        "/v4/sessions/www/26a73b7a-f7d0-48d8-85dd-a04b07313895/extra",
        "/demo/reset",
    ] {
        let response = send(&proxy, reqwest::Method::GET, other, &[("cookie", &cookie)]).await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{other}");
    }
    let response = send(&proxy, reqwest::Method::POST, "/demo/reset", &[]).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);

    let health = send(&proxy, reqwest::Method::GET, "/healthz", &[]).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, "ok\n");
    assert_eq!(mock.state.count(), 0);
}

#[tokio::test]
async fn stops_on_sigterm() {
    let mock = start_mock(SECRET_KEY).await;
    let mut proxy = Proxy::start(&mock.url, &[("ZEPHR_SITES", "www")]);
    let log = proxy.wait_for_log("proxy server started");
    assert!(log.contains("sites=www"), "{log}");
    assert!(log.contains(&mock.url), "{log}");
    assert!(!log.contains(SECRET_KEY), "{log}");
    assert!(!log.contains(ACCESS_KEY), "{log}");
    assert!(proxy.stop());
    let log = proxy.wait_for_log("proxy server stopped");
    assert!(log.contains("proxy server stopped"), "{log}");
}

#[test]
fn configuration_errors_exit_two() {
    let base = [
        ("ZEPHR_UPSTREAM", "https://tenant.api.zephr.com"),
        ("ZEPHR_ACCESS_KEY", ACCESS_KEY),
        ("ZEPHR_SECRET_KEY", SECRET_KEY),
        ("ZEPHR_SITES", "www"),
    ];
    let cases: [(&str, Option<&str>, &str); 9] = [
        ("ZEPHR_UPSTREAM", None, "ZEPHR_UPSTREAM is not set"),
        (
            "ZEPHR_UPSTREAM",
            Some("http://tenant.api.zephr.com"),
            "ZEPHR_UPSTREAM",
        ),
        ("ZEPHR_ACCESS_KEY", None, "ZEPHR_ACCESS_KEY is not set"),
        ("ZEPHR_SECRET_KEY", None, "ZEPHR_SECRET_KEY is not set"),
        ("ZEPHR_SITES", Some("www,,news"), "ZEPHR_SITES"),
        ("ZEPHR_ALLOWED_ORIGINS", Some("*"), "ZEPHR_ALLOWED_ORIGINS"),
        (
            "ZEPHR_UPSTREAM_TIMEOUT_MS",
            Some("fast"),
            "ZEPHR_UPSTREAM_TIMEOUT_MS",
        ),
        ("ZEPHR_CACHE_MS", Some("-5"), "ZEPHR_CACHE_MS"),
        (
            "ZEPHR_RATE_PER_SECOND",
            Some("1e3"),
            "ZEPHR_RATE_PER_SECOND",
        ),
    ];
    for (name, value, expected) in cases {
        let mut command = Command::new(BINARY);
        command
            .args(["proxy", "--listen", "127.0.0.1:0"])
            .env_clear();
        for (base_name, base_value) in base {
            if base_name != name {
                command.env(base_name, base_value);
            }
        }
        if let Some(value) = value {
            command.env(name, value);
        }
        let output = match command.output() {
            Ok(output) => output,
            Err(error) => panic!("failed to run {BINARY}: {error}"),
        };
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(stderr.contains("--help"), "{name}: {stderr}");
        assert!(!stderr.contains(SECRET_KEY), "{name}: {stderr}");
        assert!(output.stdout.is_empty(), "{name}");
    }

    let output = Command::new(BINARY)
        .args(["proxy", "--root", "."])
        .env_clear()
        .envs(base)
        .output();
    let Ok(output) = output else {
        panic!("failed to run {BINARY}");
    };
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--root applies to demo mode only"));
}
