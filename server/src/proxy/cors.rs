//! CORS for the lookup route: credentials allowed for the origins of `ZEPHR_ALLOWED_ORIGINS`.
//!
//! A request whose `Origin` is allowed gets `Access-Control-Allow-Origin` (that origin) and
//! `Access-Control-Allow-Credentials: true`. Other origins get no CORS headers, so a browser
//! hides the response from their pages. Every lookup response carries `Vary: Origin`, because
//! its headers depend on `Origin`.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Time in seconds that a browser may reuse a preflight response.
const PREFLIGHT_MAX_AGE_SECONDS: &str = "600";

/// Allowed origins, exactly as browsers send them in `Origin`.
#[derive(Debug, Clone, Default)]
pub struct CorsPolicy {
    origins: Arc<BTreeSet<String>>,
}

impl CorsPolicy {
    /// Creates a policy that allows `origins`.
    pub fn new(origins: BTreeSet<String>) -> Self {
        Self {
            origins: Arc::new(origins),
        }
    }

    /// Returns the request's `Origin` when it is allowed.
    fn allowed_origin<'a>(&self, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
        headers.get(header::ORIGIN).filter(|origin| {
            origin
                .to_str()
                .is_ok_and(|text| self.origins.contains(text))
        })
    }
}

/// Middleware of the lookup route.
///
/// Responds to a preflight (`OPTIONS`) from an allowed origin with 204: only `GET` and the `Accept`
/// header are allowed, since the proxy forwards no other request header. Any other `OPTIONS`
/// request, and every `HEAD` request, gets 405 with `Allow: GET`, because the route exists only
/// for `GET`. Adds the CORS headers to every other response.
pub async fn cors(State(policy): State<CorsPolicy>, request: Request, next: Next) -> Response {
    let origin = policy.allowed_origin(request.headers()).cloned();
    let method = request.method().clone();

    let mut response = if method == Method::OPTIONS && origin.is_some() {
        let mut preflight = StatusCode::NO_CONTENT.into_response();
        let headers = preflight.headers_mut();
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("accept"),
        );
        headers.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static(PREFLIGHT_MAX_AGE_SECONDS),
        );
        preflight
    } else if method == Method::OPTIONS || method == Method::HEAD {
        (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, HeaderValue::from_static("GET"))],
        )
            .into_response()
    } else {
        next.run(request).await
    };

    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
    }
    response
}
