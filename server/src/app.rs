//! HTTP routes of the demo server and its request log.

use std::borrow::Cow;
use std::path::Path as FsPath;
use std::time::Instant;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_http::services::ServeDir;

use crate::sessions::{SessionLookup, SessionSource};

/// Path prefix of the session lookup route.
const SESSIONS_PREFIX: &str = "/v4/sessions/";

/// Number of leading characters of a session id that the request log shows.
const LOGGED_ID_CHARS: usize = 4;

/// Builds the router: session lookups from `source`, `root/pkg/` at `/pkg/` and `root/www/` at
/// every other path.
pub fn router(source: SessionSource, root: &FsPath) -> Router {
    Router::new()
        .route("/v4/sessions/{site}/{session_id}", get(get_session))
        .nest_service("/pkg", ServeDir::new(root.join("pkg")))
        .fallback_service(ServeDir::new(root.join("www")))
        .layer(middleware::from_fn(log_request))
        .with_state(source)
}

/// Handles `GET /v4/sessions/{site}/{sessionId}`.
///
/// Responds with 200 and the document, or 404 with no body, because the upstream API documents no
/// error body. A segment that does not decode to UTF-8 cannot name a known session, so it is a
/// 404 too.
async fn get_session(
    State(source): State<SessionSource>,
    segments: Result<Path<(String, String)>, PathRejection>,
) -> Response {
    let Ok(Path((site, session_id))) = segments else {
        return not_found();
    };
    match source.fetch(&site, &session_id).await {
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
    }
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response()
}

/// Logs one line per request: method, path with the session id shortened, status and the time
/// until the response head in ms. The query string is never logged.
async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = shorten_session_id(request.uri().path()).into_owned();
    let started = Instant::now();

    let response = next.run(request).await;

    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        duration_ms = %format_args!("{duration_ms:.1}"),
        "request"
    );
    response
}

/// Shortens the session id in a `/v4/sessions/{site}/{sessionId}` path to its first
/// [`LOGGED_ID_CHARS`] characters followed by `…`, because the id is the value of a reader's
/// session cookie.
///
/// Everything after the site segment counts as the id, extra segments included. A path with a
/// single segment after `/v4/sessions/` may be an id sent without a site, so that segment is
/// shortened too. Other paths are returned unchanged.
pub fn shorten_session_id(path: &str) -> Cow<'_, str> {
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
    let id_prefix: String = secret.chars().take(LOGGED_ID_CHARS).collect();
    Cow::Owned(format!("{kept}{id_prefix}…"))
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
        router(SessionSource::Demo(DemoSource), root)
    }

    /// Sends one request through the router and returns its status, headers and body.
    async fn send(
        router: Router,
        method: Method,
        uri: &str,
    ) -> (StatusCode, header::HeaderMap, String) {
        let request = match Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
        {
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
            ("/pkg/zephr_session.js", "/pkg/zephr_session.js"),
            ("/", "/"),
        ];
        for (path, expected) in cases {
            assert_eq!(shorten_session_id(path), expected, "{path}");
        }
    }
}
