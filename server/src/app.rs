//! HTTP routes of the demo server, the session lookup route shared with the proxy, and the
//! request log.

use std::borrow::Cow;
use std::path::Path as FsPath;
use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;

use crate::cookies;
use crate::demo;
use crate::proxy::cache::CacheStatus;
use crate::sessions::{Binding, SessionLookup, SessionSource};

/// Route of the session lookup.
pub const SESSION_ROUTE: &str = "/v4/sessions/{site}/{session_id}";

/// Session id that names the session of the request's `blaize_session` cookie, so that a page
/// whose cookie is HttpOnly can still look itself up.
pub const CURRENT_SESSION: &str = "current";

/// Path prefix of the session lookup route.
const SESSIONS_PREFIX: &str = "/v4/sessions/";

/// Path prefix of the demo purchase route.
const PURCHASE_PREFIX: &str = "/demo/purchase/";

/// Number of leading characters of a session id that the request log shows.
const LOGGED_ID_CHARS: usize = 4;

/// Builds the demo router: session lookups from `source`, the purchase flow of a demo source,
/// `root/pkg/` at `/pkg/` and `root/www/` at every other path.
pub fn router(source: SessionSource, root: &FsPath) -> Router {
    let mut router = Router::new()
        .route(SESSION_ROUTE, get(get_session))
        .nest_service("/pkg", ServeDir::new(root.join("pkg")))
        .fallback_service(ServeDir::new(root.join("www")))
        .with_state(source.clone());
    if let SessionSource::Demo(demo_source) = source {
        router = router.merge(demo::routes(demo_source));
    }
    router.layer(middleware::from_fn(log_request))
}

/// Handles `GET /v4/sessions/{site}/{sessionId}` in both modes.
///
/// Checks the site, binds the id to the `blaize_session` cookie by the rule of
/// [`SessionSource::binding`], then fetches. Responds with 200 and the document, or 404 with no body, because the
/// upstream API documents no error body. A segment that does not decode to UTF-8 cannot name a
/// known session, so it is a 404 too. A refused binding is 403, and upstream failures are 502,
/// 503 or 504, each with a short plain-text body.
pub async fn get_session(
    State(source): State<SessionSource>,
    headers: HeaderMap,
    segments: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let Ok(Path((site, requested_id))) = segments else {
        return not_found();
    };
    if !source.serves_site(&site) {
        return not_found();
    }
    let cookie = cookies::session_cookie(&headers);
    let session_id = match bind_session_id(source.binding(), &requested_id, cookie) {
        Ok(session_id) => session_id,
        Err(refusal) => return refusal.into_response(),
    };

    let accept = headers.get(header::ACCEPT);
    let (lookup, cache) = source.fetch(&site, session_id, accept).await;
    let mut response = match lookup {
        SessionLookup::Found(document) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
            document,
        )
            .into_response(),
        SessionLookup::NotFound => not_found(),
        SessionLookup::BadGateway => plain_text(StatusCode::BAD_GATEWAY, "upstream lookup failed"),
        SessionLookup::GatewayTimeout => {
            plain_text(StatusCode::GATEWAY_TIMEOUT, "upstream lookup timed out")
        }
        SessionLookup::Outage => plain_text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the demo lookup is switched off (simulated outage)",
        ),
        SessionLookup::Busy => {
            let mut busy = plain_text(
                StatusCode::SERVICE_UNAVAILABLE,
                "too many lookups in flight, retry later",
            );
            busy.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            busy
        }
    };
    if let Some(cache) = cache {
        response.extensions_mut().insert(cache);
    }
    response
}

/// Reason a lookup is refused before any fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    /// `current` without a cookie in demo mode: 404.
    NoCurrentSession,
    /// No valid `blaize_session` cookie under [`Binding::Cookie`]: 403.
    MissingCookie,
    /// The id differs from the cookie under [`Binding::Cookie`]: 403.
    OtherSession,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::NoCurrentSession => not_found(),
            Self::MissingCookie => plain_text(
                StatusCode::FORBIDDEN,
                "missing or invalid blaize_session cookie",
            ),
            Self::OtherSession => plain_text(
                StatusCode::FORBIDDEN,
                "the session id does not match the blaize_session cookie",
            ),
        }
    }
}

/// Returns the session id to look up for `requested_id`.
///
/// `current` names the cookie's session. Under [`Binding::Cookie`] a request without a valid
/// cookie, or whose id differs from the cookie, is refused with 403. Under
/// [`Binding::CurrentOnly`], `current` without a cookie is refused with 404 and other ids pass
/// unchanged.
fn bind_session_id<'a>(
    binding: Binding,
    requested_id: &'a str,
    cookie: Option<&'a str>,
) -> Result<&'a str, Refusal> {
    if requested_id == CURRENT_SESSION {
        return cookie.ok_or(match binding {
            Binding::CurrentOnly => Refusal::NoCurrentSession,
            Binding::Cookie => Refusal::MissingCookie,
        });
    }
    match (binding, cookie) {
        (Binding::CurrentOnly, _) => Ok(requested_id),
        (Binding::Cookie, None) => Err(Refusal::MissingCookie),
        (Binding::Cookie, Some(cookie)) if cookie == requested_id => Ok(requested_id),
        (Binding::Cookie, Some(_)) => Err(Refusal::OtherSession),
    }
}

/// Returns an empty 404 that no cache may store.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response()
}

/// Returns a response with a one-line plain-text body that no cache may store.
pub fn plain_text(status: StatusCode, message: &'static str) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        format!("{message}\n"),
    )
        .into_response()
}

/// Logs one line per request: method, path with the session id shortened, status, the time
/// until the response head in ms and, for lookups that reached a cached source, `cache=hit` or
/// `cache=miss`. The query string and the headers are never logged.
pub async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = shorten_session_id(request.uri().path()).into_owned();
    let started = Instant::now();

    let response = next.run(request).await;

    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    match response.extensions().get::<CacheStatus>() {
        Some(cache) => tracing::info!(
            %method,
            %path,
            status,
            duration_ms = %format_args!("{duration_ms:.1}"),
            cache = %cache.as_str(),
            "request"
        ),
        None => tracing::info!(
            %method,
            %path,
            status,
            duration_ms = %format_args!("{duration_ms:.1}"),
            "request"
        ),
    }
    response
}

/// Shortens a session id to its first [`LOGGED_ID_CHARS`] characters followed by `…`, because
/// the id is the value of a reader's session cookie.
pub fn shorten_id(session_id: &str) -> String {
    let prefix: String = session_id.chars().take(LOGGED_ID_CHARS).collect();
    format!("{prefix}…")
}

/// Shortens the session id in a `/v4/sessions/{site}/{sessionId}` or
/// `/demo/purchase/{sessionId}` path to its first [`LOGGED_ID_CHARS`] characters followed by
/// `…`, because the id is the value of a reader's session cookie.
///
/// Everything after the site segment, or after `/demo/purchase/`, counts as the id, extra
/// segments included. A path with a single segment after `/v4/sessions/` may be an id sent
/// without a site, so that segment is shortened too. Other paths are returned unchanged.
pub fn shorten_session_id(path: &str) -> Cow<'_, str> {
    if let Some(id) = path.strip_prefix(PURCHASE_PREFIX) {
        if id.is_empty() {
            return Cow::Borrowed(path);
        }
        return Cow::Owned(format!("{PURCHASE_PREFIX}{}", shorten_id(id)));
    }
    let Some(rest) = path.strip_prefix(SESSIONS_PREFIX) else {
        return Cow::Borrowed(path);
    };
    let (kept, secret) = match rest.split_once('/') {
        Some((site, id)) => (format!("{SESSIONS_PREFIX}{site}/"), id),
        None => (SESSIONS_PREFIX.to_owned(), rest),
    };
    if secret.is_empty() {
        return Cow::Borrowed(path);
    }
    Cow::Owned(format!("{kept}{}", shorten_id(secret)))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use axum::body::{to_bytes, Body};
    use axum::http::Method;
    use tower::ServiceExt;

    use super::*;
    use crate::sessions::DemoSource;

    /// Session ids of the demo table with the fixture each one returns.
    const DEMO_TABLE: [(&str, &str); 6] = [
        (
            "9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d",
            include_str!("../../tests/fixtures/subscriber.json"),
        ),
        (
            "0a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f",
            include_str!("../../tests/fixtures/subscriber.json"),
        ),
        (
            "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11",
            include_str!("../../tests/fixtures/anonymous-metered.json"),
        ),
        (
            "e3b0c442-98fc-4c14-9afb-f4c8996fb924",
            include_str!("../../tests/fixtures/meter-exhausted.json"),
        ),
        (
            "26a73b7a-f7d0-48d8-85dd-a04b07313895",
            include_str!("../../tests/fixtures/seed-session.json"),
        ),
        (
            "4c9e2f1a-7b3d-4e8f-a1c2-d3e4f5a6b7c8",
            include_str!("../../tests/fixtures/transforms.json"),
        ),
    ];

    /// Temporary project folder with `www/` and `pkg/`, removed on drop.
    struct TempRoot(PathBuf);

    impl TempRoot {
        fn new(name: &str) -> Self {
            let path = std::env::temp_dir().join(format!(
                "zephr-session-server-{}-{name}",
                std::process::id()
            ));
            let files = [
                ("www/index.html", "<!doctype html><title>demo</title>"),
                ("www/app.js", "export {};"),
                ("pkg/zephr_session.js", "export default function init() {}"),
                ("pkg/zephr_session_bg.wasm", "\0asm"),
            ];
            for (relative, contents) in files {
                let file = path.join(relative);
                if let Some(parent) = file.parent() {
                    std::fs::create_dir_all(parent).ok();
                }
                std::fs::write(&file, contents).ok();
            }
            Self(path)
        }
    }

    impl Drop for TempRoot {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    fn demo_router(root: &FsPath) -> Router {
        router(SessionSource::Demo(DemoSource::default()), root)
    }

    /// Sends one request through the router and returns its status, headers and body.
    async fn send(
        router: Router,
        method: Method,
        uri: &str,
    ) -> (StatusCode, header::HeaderMap, String) {
        send_with_cookie(router, method, uri, None).await
    }

    /// Sends one request with an optional `Cookie` header line and returns its status, headers
    /// and body.
    async fn send_with_cookie(
        router: Router,
        method: Method,
        uri: &str,
        cookie: Option<&str>,
    ) -> (StatusCode, header::HeaderMap, String) {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(cookie) = cookie {
            builder = builder.header(header::COOKIE, cookie);
        }
        let request = match builder.body(Body::empty()) {
            Ok(request) => request,
            Err(error) => panic!("invalid test request {uri}: {error}"),
        };
        let response = match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let status = response.status();
        let headers = response.headers().clone();
        let body = match to_bytes(response.into_body(), 1 << 20).await {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(error) => panic!("failed to read the body of {uri}: {error}"),
        };
        (status, headers, body)
    }

    fn header_text(headers: &header::HeaderMap, name: header::HeaderName) -> &str {
        headers
            .get(&name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    #[tokio::test]
    async fn session_table_answers_documents() {
        let root = TempRoot::new("table");
        for (session_id, expected) in DEMO_TABLE {
            let uri = format!("/v4/sessions/www/{session_id}");
            let (status, headers, body) = send(demo_router(&root.0), Method::GET, &uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(
                header_text(&headers, header::CONTENT_TYPE),
                "application/json",
                "{uri}"
            );
            assert_eq!(
                header_text(&headers, header::CACHE_CONTROL),
                "no-store",
                "{uri}"
            );
            assert_eq!(body, expected, "{uri}");
        }
    }

    #[tokio::test]
    async fn session_id_is_percent_decoded() {
        let root = TempRoot::new("decoded");
        let uri = "/v4/sessions/%77ww/5b0f4a52%2D9a7e-4c1e-8d51-3b8f0e2a7c11";
        let (status, _, body) = send(demo_router(&root.0), Method::GET, uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, DEMO_TABLE[2].1);
    }

    #[tokio::test]
    async fn unknown_sessions_are_empty_404() {
        let root = TempRoot::new("unknown");
        let uris = [
            "/v4/sessions/www/00000000-0000-4000-8000-000000000000",
            "/v4/sessions/news/9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d",
            "/v4/sessions/www/9D4C2B7A-0E1F-4A3B-8C5D-6E7F8A9B0C1D",
            "/v4/sessions/www/%FF%FE",
            "/v4/sessions/www/9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d%2Fextra",
            "/v4/sessions/www/9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d/extra",
            "/v4/sessions/9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d",
        ];
        for uri in uris {
            let (status, _, body) = send(demo_router(&root.0), Method::GET, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(body, "", "{uri}");
        }
    }

    #[tokio::test]
    async fn session_route_rejects_post() {
        let root = TempRoot::new("post");
        let uri = "/v4/sessions/www/9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d";
        let (status, _, _) = send(demo_router(&root.0), Method::POST, uri).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }

    #[tokio::test]
    async fn static_files_from_root() {
        let root = TempRoot::new("static");

        let (status, headers, body) = send(demo_router(&root.0), Method::GET, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(header_text(&headers, header::CONTENT_TYPE).starts_with("text/html"));
        assert!(body.contains("<title>demo</title>"), "{body}");

        let (status, headers, _) = send(demo_router(&root.0), Method::GET, "/app.js").await;
        assert_eq!(status, StatusCode::OK);
        assert!(header_text(&headers, header::CONTENT_TYPE).contains("javascript"));

        let uri = "/pkg/zephr_session_bg.wasm";
        let (status, headers, _) = send(demo_router(&root.0), Method::GET, uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            header_text(&headers, header::CONTENT_TYPE),
            "application/wasm"
        );

        let uri = "/pkg/zephr_session.js";
        let (status, _, body) = send(demo_router(&root.0), Method::GET, uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("init"), "{body}");
    }

    #[tokio::test]
    async fn unknown_static_paths_are_404() {
        let root = TempRoot::new("missing");
        for uri in [
            "/missing.html",
            "/pkg/missing.js",
            "/../Cargo.toml",
            "/pkg/../www/app.js/x",
        ] {
            let (status, _, _) = send(demo_router(&root.0), Method::GET, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        }
    }

    #[tokio::test]
    async fn current_resolves_from_cookie() {
        let root = TempRoot::new("current");
        let (metered_id, metered_document) = DEMO_TABLE[2];
        let cookie = format!("theme=dark; blaize_session={metered_id}");
        let uri = "/v4/sessions/www/current";
        let (status, headers, body) =
            send_with_cookie(demo_router(&root.0), Method::GET, uri, Some(&cookie)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(header_text(&headers, header::CACHE_CONTROL), "no-store");
        assert_eq!(body, metered_document);
    }

    #[tokio::test]
    async fn current_without_known_cookie_is_404() {
        let root = TempRoot::new("current-missing");
        let cases = [
            ("/v4/sessions/www/current", None),
            ("/v4/sessions/www/current", Some("theme=dark")),
            ("/v4/sessions/www/current", Some("blaize_session=")),
            ("/v4/sessions/www/current", Some("blaize_session=a b")),
            (
                "/v4/sessions/www/current",
                Some("blaize_session=00000000-0000-4000-8000-000000000000"),
            ),
            (
                "/v4/sessions/news/current",
                Some("blaize_session=5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11"),
            ),
        ];
        for (uri, cookie) in cases {
            let (status, _, body) =
                send_with_cookie(demo_router(&root.0), Method::GET, uri, cookie).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri} {cookie:?}");
            assert_eq!(body, "", "{uri} {cookie:?}");
        }
    }

    #[tokio::test]
    async fn demo_ids_need_no_cookie() {
        let root = TempRoot::new("no-binding");
        let (id, document) = DEMO_TABLE[3];
        let uri = format!("/v4/sessions/www/{id}");
        let cookie = Some("blaize_session=5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11");
        let (status, _, body) =
            send_with_cookie(demo_router(&root.0), Method::GET, &uri, cookie).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, document);
    }

    /// Parses a response body as a JSON object, or fails the test.
    fn json_body(body: &str) -> serde_json::Value {
        match serde_json::from_str(body) {
            Ok(value) => value,
            Err(error) => panic!("body is not JSON: {error}: {body}"),
        }
    }

    #[tokio::test]
    async fn purchase_makes_subscriber() {
        let root = TempRoot::new("purchase");
        let router = demo_router(&root.0);
        let (id, original) = DEMO_TABLE[2];
        let uri = format!("/v4/sessions/www/{id}");
        let before_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_millis());

        let purchase_uri = format!("/demo/purchase/{id}");
        let (status, _, body) = send(router.clone(), Method::POST, &purchase_uri).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        assert_eq!(body, "");

        let (status, headers, body) = send(router.clone(), Method::GET, &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            header_text(&headers, header::CONTENT_TYPE),
            "application/json"
        );
        let changed = json_body(&body);
        let expected_original = json_body(original);
        assert_eq!(changed["access_model"]["user_state"], "subscribed");
        let premium = changed["access_model"]["delivered_entitlements"]
            .as_array()
            .and_then(|entries| entries.iter().find(|entry| entry["id"] == "premium"));
        assert_eq!(
            premium,
            Some(&serde_json::json!({
                "id": "premium", "direct": true, "meteredBy": [], "creditedBy": []
            }))
        );
        let original_version = expected_original["v"].as_i64().unwrap_or(0);
        assert_eq!(changed["v"].as_i64(), Some(original_version + 1));
        let last_updated = changed["last_updated"].as_u64().map(u128::from);
        assert!(
            last_updated >= Some(before_ms),
            "{last_updated:?} < {before_ms}"
        );
        assert_eq!(
            changed["access_model"]["meters"],
            expected_original["access_model"]["meters"]
        );
        assert_eq!(changed["sessions"], expected_original["sessions"]);

        let (status, _, _) = send(router.clone(), Method::POST, &purchase_uri).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, _, body) = send(router.clone(), Method::GET, &uri).await;
        assert_eq!(json_body(&body)["v"].as_i64(), Some(original_version + 2));

        let (other_id, other_document) = DEMO_TABLE[3];
        let other_uri = format!("/v4/sessions/www/{other_id}");
        let (_, _, body) = send(router.clone(), Method::GET, &other_uri).await;
        assert_eq!(body, other_document);

        let (status, _, _) = send(router.clone(), Method::POST, "/demo/reset").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, body) = send(router, Method::GET, &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, original);
    }

    #[tokio::test]
    async fn outage_switch_fails_lookups() {
        let root = TempRoot::new("outage");
        let router = demo_router(&root.0);
        let (id, original) = DEMO_TABLE[2];
        let uri = format!("/v4/sessions/www/{id}");

        let (status, _, _) = send(router.clone(), Method::POST, "/demo/outage?on=true").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, body) = send(router.clone(), Method::GET, &uri).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("simulated outage"), "{body}");

        for bad in [
            "/demo/outage",
            "/demo/outage?on=yes",
            "/demo/outage?on=true&x=1",
        ] {
            let (status, _, _) = send(router.clone(), Method::POST, bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
        }

        let (status, _, _) = send(router.clone(), Method::POST, "/demo/outage?on=false").await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _, body) = send(router, Method::GET, &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, original);
    }

    #[tokio::test]
    async fn purchase_of_shared_fixture_changes_one_id() {
        let root = TempRoot::new("purchase-one");
        let router = demo_router(&root.0);
        let (first_id, _) = DEMO_TABLE[0];
        let (second_id, shared_document) = DEMO_TABLE[1];
        let uri = format!("/demo/purchase/{first_id}");
        let (status, _, _) = send(router.clone(), Method::POST, &uri).await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let uri = format!("/v4/sessions/www/{second_id}");
        let (_, _, body) = send(router, Method::GET, &uri).await;
        assert_eq!(body, shared_document);
    }

    #[tokio::test]
    async fn purchase_current_uses_cookie() {
        let root = TempRoot::new("purchase-current");
        let router = demo_router(&root.0);
        let (id, _) = DEMO_TABLE[4];
        let cookie = format!("blaize_session={id}");

        let (status, _, _) = send(router.clone(), Method::POST, "/demo/purchase/current").await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (status, _, _) = send_with_cookie(
            router.clone(),
            Method::POST,
            "/demo/purchase/current",
            Some(&cookie),
        )
        .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (_, _, body) = send_with_cookie(
            router,
            Method::GET,
            "/v4/sessions/www/current",
            Some(&cookie),
        )
        .await;
        assert_eq!(json_body(&body)["access_model"]["user_state"], "subscribed");
    }

    #[tokio::test]
    async fn purchase_unknown_id_is_404() {
        let root = TempRoot::new("purchase-unknown");
        let router = demo_router(&root.0);
        for uri in [
            "/demo/purchase/00000000-0000-4000-8000-000000000000",
            "/demo/purchase/5B0F4A52-9A7E-4C1E-8D51-3B8F0E2A7C11",
            "/demo/purchase/%FF",
        ] {
            let (status, _, body) = send(router.clone(), Method::POST, uri).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(body, "", "{uri}");
        }
    }

    #[tokio::test]
    async fn purchase_routes_need_post() {
        let root = TempRoot::new("purchase-get");
        let router = demo_router(&root.0);
        let id = DEMO_TABLE[2].0;
        for uri in [format!("/demo/purchase/{id}"), "/demo/reset".to_owned()] {
            let (status, _, _) = send(router.clone(), Method::GET, &uri).await;
            assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{uri}");
        }
        let uri = format!("/v4/sessions/www/{id}");
        let (_, _, body) = send(router, Method::GET, &uri).await;
        assert_eq!(body, DEMO_TABLE[2].1);
    }

    #[test]
    fn binding_table() {
        use Binding::{Cookie, CurrentOnly};
        const ID: &str = "26a73b7a-f7d0-48d8-85dd-a04b07313895";
        const OTHER: &str = "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11";
        let cases = [
            (CurrentOnly, "current", Some(ID), Ok(ID)),
            (CurrentOnly, "current", None, Err(Refusal::NoCurrentSession)),
            (CurrentOnly, OTHER, Some(ID), Ok(OTHER)),
            (CurrentOnly, OTHER, None, Ok(OTHER)),
            (Cookie, "current", Some(ID), Ok(ID)),
            (Cookie, "current", None, Err(Refusal::MissingCookie)),
            (Cookie, ID, Some(ID), Ok(ID)),
            (Cookie, OTHER, Some(ID), Err(Refusal::OtherSession)),
            (Cookie, ID, None, Err(Refusal::MissingCookie)),
            (Cookie, "CURRENT", Some(ID), Err(Refusal::OtherSession)),
        ];
        for (binding, requested, cookie, expected) in cases {
            assert_eq!(
                bind_session_id(binding, requested, cookie),
                expected,
                "{binding:?} {requested} {cookie:?}"
            );
        }
    }

    #[test]
    fn shorten_session_id_paths() {
        let cases = [
            (
                "/v4/sessions/www/9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d",
                "/v4/sessions/www/9d4c…",
            ),
            (
                "/v4/sessions/www/9d4c2b7a/extra/segments",
                "/v4/sessions/www/9d4c…",
            ),
            ("/v4/sessions/www/ab", "/v4/sessions/www/ab…"),
            ("/v4/sessions/www/%C3%A9t%C3%A9", "/v4/sessions/www/%C3%…"),
            ("/v4/sessions/9d4c2b7a-0e1f-4a3b", "/v4/sessions/9d4c…"),
            ("/v4/sessions/www/", "/v4/sessions/www/"),
            ("/v4/sessions/", "/v4/sessions/"),
            (
                "/demo/purchase/5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11",
                "/demo/purchase/5b0f…",
            ),
            ("/demo/purchase/", "/demo/purchase/"),
            ("/demo/reset", "/demo/reset"),
            ("/pkg/zephr_session.js", "/pkg/zephr_session.js"),
            ("/", "/"),
        ];
        for (path, expected) in cases {
            assert_eq!(shorten_session_id(path), expected, "{path}");
        }
    }
}
