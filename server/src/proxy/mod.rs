//! Proxy mode: a same-origin endpoint that signs each session lookup with the admin key pair
//! and forwards it to the Admin API, so the keys never reach a browser.
//!
//! Routes: `GET /v4/sessions/{site}/{sessionId}` (bound to the reader's `blaize_session`
//! cookie, rate-limited per client address, CORS for the allowed origins) and `GET /healthz`.
//! Every other path is 404 and every other method on the lookup route is 405.

pub mod cache;
pub mod config;
pub mod cors;
pub mod rate_limit;
pub mod signing;
pub mod trim;
pub mod upstream;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::app::{self, SESSION_ROUTE};
use crate::sessions::SessionSource;
use config::{ClientAddress, ProxyConfig};
use cors::CorsPolicy;
use rate_limit::RateLimiter;
use upstream::UpstreamSource;

/// Rate limit of the lookup route and where it reads the client address.
#[derive(Debug, Clone)]
struct RateLimit {
    limiter: Option<Arc<RateLimiter>>,
    client_address: ClientAddress,
}

/// Builds the proxy router from a validated configuration.
pub fn router(config: &ProxyConfig) -> Result<Router, reqwest::Error> {
    let upstream = Arc::new(UpstreamSource::new(config)?);
    let rate_limit = RateLimit {
        limiter: (config.rate_per_second > 0)
            .then(|| Arc::new(RateLimiter::new(config.rate_per_second))),
        client_address: config.client_address,
    };
    let cors_policy = CorsPolicy::new(config.allowed_origins.clone());

    // Layers run from the last added: CORS first, so that a preflight costs no token and a
    // 429 still carries CORS headers, then the rate limit, then the handler.
    let lookup = Router::new()
        .route(SESSION_ROUTE, get(app::get_session))
        .route_layer(middleware::from_fn_with_state(rate_limit, limit_rate))
        .route_layer(middleware::from_fn_with_state(cors_policy, cors::cors))
        .with_state(SessionSource::Upstream(upstream));

    Ok(Router::new()
        .route("/healthz", get(healthz))
        .merge(lookup)
        .layer(middleware::from_fn(app::log_request)))
}

/// Handles `GET /healthz`: 200 while the process serves requests. It does not contact the
/// upstream, so an upstream outage does not take every instance out of a load balancer.
async fn healthz() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        "ok\n",
    )
        .into_response()
}

/// Middleware that takes one token per lookup request from the client's bucket, or responds with 429
/// with `Retry-After` in whole seconds.
async fn limit_rate(State(rate_limit): State<RateLimit>, request: Request, next: Next) -> Response {
    let Some(limiter) = &rate_limit.limiter else {
        return next.run(request).await;
    };
    let client = client_address(rate_limit.client_address, &request);
    match limiter.check(client, Instant::now()) {
        Ok(()) => next.run(request).await,
        Err(retry_after_seconds) => {
            let mut response = app::plain_text(
                StatusCode::TOO_MANY_REQUESTS,
                "too many lookups, retry later",
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
            response
        }
    }
}

/// Returns the address that the rate limit counts a request against.
///
/// Without a TCP peer (only in tests that call the router directly) every request counts
/// against the unspecified address `0.0.0.0`.
fn client_address(source: ClientAddress, request: &Request) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(address)| {
            address.ip()
        });
    match source {
        ClientAddress::Peer => peer,
        ClientAddress::XForwardedFor => forwarded_for(request.headers()).unwrap_or(peer),
    }
}

/// Returns the last address of the last `X-Forwarded-For` header: the one that the nearest
/// load balancer appended, since a client can forge every earlier entry.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last_header = headers.get_all("x-forwarded-for").iter().next_back()?;
    let last_entry = last_header.to_str().ok()?.rsplit(',').next()?.trim();
    last_entry.parse::<IpAddr>().ok().or_else(|| {
        last_entry
            .parse::<SocketAddr>()
            .ok()
            .map(|address| address.ip())
    })
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn request_with(forwarded: &[&str], peer: Option<&str>) -> Request {
        let mut builder = Request::builder().uri("/v4/sessions/www/x");
        for value in forwarded {
            builder = builder.header("x-forwarded-for", *value);
        }
        let mut request = match builder.body(Body::empty()) {
            Ok(request) => request,
            Err(error) => panic!("invalid test request: {error}"),
        };
        if let Some(peer) = peer.and_then(|text| text.parse::<SocketAddr>().ok()) {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        request
    }

    fn address(text: &str) -> IpAddr {
        match text.parse() {
            Ok(address) => address,
            Err(error) => panic!("invalid test address {text}: {error}"),
        }
    }

    #[test]
    fn peer_ignores_forwarded_for() {
        let request = request_with(&["198.51.100.7"], Some("192.0.2.1:5000"));
        assert_eq!(
            client_address(ClientAddress::Peer, &request),
            address("192.0.2.1")
        );
    }

    #[test]
    fn forwarded_for_takes_last_entry() {
        let cases: [(&[&str], &str); 6] = [
            (&["198.51.100.7"], "198.51.100.7"),
            (&["203.0.113.1, 198.51.100.7"], "198.51.100.7"),
            (&["203.0.113.1", "10.0.0.1,198.51.100.7"], "198.51.100.7"),
            (&["2001:db8::1"], "2001:db8::1"),
            (&["198.51.100.7:4711"], "198.51.100.7"),
            (&["[2001:db8::2]:4711"], "2001:db8::2"),
        ];
        for (headers, expected) in cases {
            let request = request_with(headers, Some("192.0.2.1:5000"));
            assert_eq!(
                client_address(ClientAddress::XForwardedFor, &request),
                address(expected),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn invalid_forwarded_for_falls_back_to_peer() {
        for headers in [
            &[][..],
            &["unknown"],
            &["198.51.100.7, "],
            &["198.51.100.7, junk"],
        ] {
            let request = request_with(headers, Some("192.0.2.1:5000"));
            assert_eq!(
                client_address(ClientAddress::XForwardedFor, &request),
                address("192.0.2.1"),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn missing_peer_counts_as_unspecified() {
        let request = request_with(&[], None);
        assert_eq!(
            client_address(ClientAddress::Peer, &request),
            address("0.0.0.0")
        );
    }
}
