//! Mock of the Admin API session lookup, for the proxy's integration tests and load run.
//!
//! It listens on 127.0.0.1, counts requests and can record them. It checks the
//! `ZEPHR-HMAC-SHA256` signature of every request with its own code: the access key, a timestamp
//! within 5 minutes, a UUID v4 nonce never seen before, and the SHA-256 hash of
//! `secret + body + path + query + METHOD + timestamp + nonce` over the raw path. A wrong
//! signature gets 401. Otherwise the session id chooses the response:
//!
//! | id | response |
//! |---|---|
//! | `missing…` | 404 |
//! | `status-N` | status N with an empty body (`status-302` adds a `Location`) |
//! | `slow…` | 200 after 1 s |
//! | `slow-body…` | 200 headers at once, the body after 1 s |
//! | `big-length` | 200 with a 2 MiB body and `Content-Length` |
//! | `big-chunked` | 200 with a 2 MiB chunked body |
//! | `exact-limit` | 200 with a JSON object of exactly 1 MiB |
//! | `not-json` | 200 with an HTML page |
//! | anything else | 200 with a document listing this session and another device's |

#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::convert::Infallible;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use http_body::Frame;
use percent_encoding::percent_decode_str;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::time::Sleep;

/// Size of the bodies that exceed the proxy's 1 MiB limit.
pub const OVERSIZED_BYTES: usize = 2 * 1024 * 1024;
/// Size of the `exact-limit` body: the proxy's limit itself.
pub const LIMIT_BYTES: usize = 1024 * 1024;
/// Delay of the `slow…` responses.
pub const SLOW_DELAY: Duration = Duration::from_secs(1);
/// Session id of the other device listed in every generated document.
pub const OTHER_DEVICE_ID: &str = "other-device-0000";
/// Maximum clock difference accepted in a signature's timestamp.
const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

/// Settings of a mock.
#[derive(Debug, Clone)]
pub struct MockOptions {
    /// Access key that signatures must name.
    pub access_key: String,
    /// Secret key that signatures must be made with.
    pub secret_key: String,
    /// Whether signatures are checked. The load run turns this off so that it can also send
    /// unsigned requests straight to the mock.
    pub verify: bool,
    /// Whether every request is kept for [`MockState::requests`]. The load run turns this off
    /// to keep memory flat.
    pub record: bool,
}

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// Method.
    pub method: Method,
    /// Raw path and query, percent-encoding included.
    pub path_and_query: String,
    /// Every request header.
    pub headers: HeaderMap,
    /// Whether the signature was valid (always `true` when verification is off).
    pub signature_valid: bool,
}

/// Counters and records shared with the test.
#[derive(Debug, Default)]
pub struct MockState {
    options: Option<MockOptions>,
    count: AtomicUsize,
    requests: Mutex<Vec<RecordedRequest>>,
    nonces: Mutex<HashSet<String>>,
}

impl MockState {
    /// Returns the number of requests received so far.
    pub fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// Returns a copy of every recorded request.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A running mock.
#[derive(Debug)]
pub struct MockUpstream {
    /// Base URL, such as `http://127.0.0.1:PORT`.
    pub url: String,
    /// Counters and records.
    pub state: Arc<MockState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for MockUpstream {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl MockUpstream {
    /// Starts a mock on `listen` (use `127.0.0.1:0` for a free port).
    pub async fn start(options: MockOptions, listen: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen).await?;
        let address = listener.local_addr()?;
        let state = Arc::new(MockState {
            options: Some(options),
            ..MockState::default()
        });
        let router = Router::new()
            .fallback(handle_request)
            .with_state(Arc::clone(&state));
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                eprintln!("mock upstream failed: {error}");
            }
        });
        Ok(Self {
            url: format!("http://{address}"),
            state,
            task,
        })
    }
}

async fn handle_request(State(state): State<Arc<MockState>>, request: Request) -> Response {
    state.count.fetch_add(1, Ordering::SeqCst);
    let Some(options) = state.options.clone() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let signature_valid =
        !options.verify || signature_is_valid(&state, &options, &request, &path, &query);

    if options.record {
        let recorded = RecordedRequest {
            method: request.method().clone(),
            path_and_query: request
                .uri()
                .path_and_query()
                .map_or_else(String::new, |value| value.as_str().to_owned()),
            headers: request.headers().clone(),
            signature_valid,
        };
        state
            .requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(recorded);
    }

    if !signature_valid {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Some((site, session_id)) = parse_lookup_path(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    respond(&site, &session_id).await
}

/// Splits `/v4/sessions/{site}/{id}` into its decoded segments.
fn parse_lookup_path(path: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix("/v4/sessions/")?;
    let (site, id) = rest.split_once('/')?;
    if site.is_empty() || id.is_empty() || id.contains('/') {
        return None;
    }
    let decode = |segment: &str| {
        percent_decode_str(segment)
            .decode_utf8()
            .ok()
            .map(|text| text.into_owned())
    };
    Some((decode(site)?, decode(id)?))
}

/// Checks the `Authorization` header independently of the proxy's code.
fn signature_is_valid(
    state: &MockState,
    options: &MockOptions,
    request: &Request,
    path: &str,
    query: &str,
) -> bool {
    let Some(value) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    let Some(credentials) = value.strip_prefix("ZEPHR-HMAC-SHA256 ") else {
        return false;
    };
    let parts: Vec<&str> = credentials.split(':').collect();
    let [access_key, timestamp, nonce, hash] = parts.as_slice() else {
        return false;
    };
    if *access_key != options.access_key {
        return false;
    }
    let Ok(timestamp_ms) = timestamp.parse::<u64>() else {
        return false;
    };
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        });
    if now_ms.abs_diff(timestamp_ms) > MAX_CLOCK_SKEW_MS {
        return false;
    }
    let is_uuid_v4 = uuid::Uuid::parse_str(nonce).is_ok_and(|parsed| {
        parsed.get_version_num() == 4 && parsed.hyphenated().to_string() == *nonce
    });
    if !is_uuid_v4 {
        return false;
    }

    // A lookup has an empty body, so the body adds nothing between the secret and the path.
    let mut hasher = Sha256::new();
    hasher.update(options.secret_key.as_bytes());
    hasher.update(path.as_bytes());
    hasher.update(query.as_bytes());
    hasher.update(request.method().as_str().as_bytes());
    hasher.update(timestamp.as_bytes());
    hasher.update(nonce.as_bytes());
    if hex::encode(hasher.finalize()) != *hash {
        return false;
    }

    // A replayed nonce is rejected even with a valid hash.
    state
        .nonces
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((*nonce).to_owned())
}

async fn respond(site: &str, session_id: &str) -> Response {
    if session_id.starts_with("missing") {
        return StatusCode::NOT_FOUND.into_response();
    }
    if let Some(code) = session_id.strip_prefix("status-") {
        let status = code
            .parse::<u16>()
            .ok()
            .and_then(|code| StatusCode::from_u16(code).ok())
            .unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = status.into_response();
        if status.is_redirection() {
            response.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_static("http://127.0.0.1:9/elsewhere"),
            );
        }
        return response;
    }
    if session_id.starts_with("slow-body") {
        let body = SlowBody {
            delay: Box::pin(tokio::time::sleep(SLOW_DELAY)),
            chunks: VecDeque::from([Bytes::from(document(site, session_id))]),
        };
        return json_response(Body::new(body));
    }
    if session_id.starts_with("slow") {
        tokio::time::sleep(SLOW_DELAY).await;
        return json_response(Body::from(document(site, session_id)));
    }
    match session_id {
        "big-length" => json_response(Body::from(padded_document(session_id, OVERSIZED_BYTES))),
        "big-chunked" => {
            let whole = Bytes::from(padded_document(session_id, OVERSIZED_BYTES));
            let chunks = (0..whole.len())
                .step_by(64 * 1024)
                .map(|start| whole.slice(start..whole.len().min(start + 64 * 1024)))
                .collect();
            json_response(Body::new(SlowBody {
                delay: Box::pin(tokio::time::sleep(Duration::ZERO)),
                chunks,
            }))
        }
        "exact-limit" => json_response(Body::from(padded_document(session_id, LIMIT_BYTES))),
        "not-json" => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>maintenance</body></html>",
        )
            .into_response(),
        _ => json_response(Body::from(document(site, session_id))),
    }
}

fn json_response(body: Body) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Returns a session document in which `session_id` is one of two sessions of the reader.
pub fn document(site: &str, session_id: &str) -> String {
    serde_json::json!({
        "tenantId": "mock",
        "subTenantId": format!("mock|{site}"),
        "authenticated": true,
        "v": 3,
        "user_id": "U-mock-0001",
        "sessions": [
            {
                "session_id": OTHER_DEVICE_ID,
                "device": "mobile",
                "browser": "Safari",
                "city": "Paris",
                "state": "authenticated",
            },
            {
                "session_id": session_id,
                "device": "pc",
                "browser": "Firefox",
                "city": "Lyon",
                "state": "authenticated",
            },
        ],
        "access_model": {
            "meters": {
                "monthly-free": {"meterSize": 5, "remainingCredits": 2, "contentIds": []},
            },
            "delivered_entitlements": [
                {"id": "premium", "direct": false, "meteredBy": ["monthly-free"], "creditedBy": []},
            ],
            "user_state": "registered",
        },
        "last_updated": 1_707_230_240_685_u64,
    })
    .to_string()
}

/// Returns a JSON object of exactly `size` bytes that lists `session_id` as its only session.
fn padded_document(session_id: &str, size: usize) -> String {
    let head = format!(r#"{{"sessions":[{{"session_id":"{session_id}"}}],"pad":""#);
    let tail = r#""}"#;
    let padding = size.saturating_sub(head.len() + tail.len());
    format!("{head}{}{tail}", "x".repeat(padding))
}

/// Body that waits for `delay`, then sends `chunks` one frame each, with no declared length.
struct SlowBody {
    delay: Pin<Box<Sleep>>,
    chunks: VecDeque<Bytes>,
}

impl http_body::Body for SlowBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.delay.as_mut().poll(context).is_pending() {
            return Poll::Pending;
        }
        Poll::Ready(self.chunks.pop_front().map(|chunk| Ok(Frame::data(chunk))))
    }
}
