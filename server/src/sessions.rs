//! Session documents served under `GET /v4/sessions/{site}/{sessionId}`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use axum::body::Bytes;
use axum::http::HeaderValue;

use crate::demo;
use crate::proxy::cache::CacheStatus;
use crate::proxy::upstream::UpstreamSource;

/// Site identifier under which the demo documents are served.
pub const DEMO_SITE: &str = "www";

/// Session ids of the demo table and the documents they return, embedded at build time so the
/// binary needs no data files.
const DEMO_SESSIONS: &[(&str, &str)] = &[
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

/// Outcome of a session lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionLookup {
    /// The session document, as JSON bytes.
    Found(Bytes),
    /// The site or the session id is unknown.
    NotFound,
    /// The upstream failed, rejected the proxy's credentials or sent an unusable response (502).
    BadGateway,
    /// The upstream did not respond within the timeout (504).
    GatewayTimeout,
    /// Too many upstream requests were in flight to start this one (503).
    Busy,
    /// The demo's simulated outage is on (503).
    Outage,
}

/// Rule that ties the `sessionId` of a lookup to the reader's `blaize_session` cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    /// The literal id `current` names the cookie's session, and any other id is served to
    /// anyone. Without a cookie, `current` is not found.
    CurrentOnly,
    /// A reader may read only their own session: the id must equal the cookie, and `current`
    /// names the cookie's session. Without a cookie, every lookup is forbidden.
    Cookie,
}

/// Source of session documents for the `/v4/sessions` route: the built-in samples in demo
/// mode, the signed upstream lookup in proxy mode.
#[derive(Debug, Clone)]
pub enum SessionSource {
    /// Built-in sample documents.
    Demo(DemoSource),
    /// The Admin API, through the signing proxy.
    Upstream(Arc<UpstreamSource>),
}

impl SessionSource {
    /// Returns the binding rule of this source's lookups.
    pub fn binding(&self) -> Binding {
        match self {
            Self::Demo(_) => Binding::CurrentOnly,
            Self::Upstream(_) => Binding::Cookie,
        }
    }

    /// Returns whether lookups on `site` may be served at all.
    pub fn serves_site(&self, site: &str) -> bool {
        match self {
            Self::Demo(_) => site == DEMO_SITE,
            Self::Upstream(upstream) => upstream.serves_site(site),
        }
    }

    /// Looks up the session document of `session_id` on `site`.
    ///
    /// Both values are the decoded path segments of the request, after binding. `accept` is
    /// the reader's `Accept` header, which only the upstream source forwards. The second value
    /// is the micro-cache status, `None` for the demo source, which has no cache.
    pub async fn fetch(
        &self,
        site: &str,
        session_id: &str,
        accept: Option<&HeaderValue>,
    ) -> (SessionLookup, Option<CacheStatus>) {
        match self {
            Self::Demo(demo) => (demo.lookup(site, session_id), None),
            Self::Upstream(upstream) => {
                let (lookup, cache) = upstream.lookup(site, session_id, accept).await;
                (lookup, Some(cache))
            }
        }
    }
}

/// Table of sample session documents, all under site [`DEMO_SITE`], with the changes made by
/// demo purchases. Clones share the same purchases.
#[derive(Debug, Clone, Default)]
pub struct DemoSource {
    /// Changed documents by session id, in memory only.
    purchased: Arc<Mutex<HashMap<&'static str, Bytes>>>,
    /// Whether lookups fail with 503, to show how a page rides out an outage.
    outage: Arc<AtomicBool>,
}

/// Result of a demo purchase.
#[derive(Debug)]
pub enum PurchaseOutcome {
    /// The session's document now describes a subscriber.
    Done,
    /// No sample session has this id.
    UnknownSession,
}

impl DemoSource {
    /// Returns the sample document of `session_id`, as changed by purchases, or
    /// [`SessionLookup::NotFound`] for any other site or id. Ids match exactly, case included.
    pub fn lookup(&self, site: &str, session_id: &str) -> SessionLookup {
        if site != DEMO_SITE {
            return SessionLookup::NotFound;
        }
        if self.outage.load(Ordering::Relaxed) {
            return SessionLookup::Outage;
        }
        let Some((id, document)) = DEMO_SESSIONS.iter().find(|(id, _)| *id == session_id) else {
            return SessionLookup::NotFound;
        };
        let purchased = self.lock().get(id).cloned();
        SessionLookup::Found(purchased.unwrap_or_else(|| Bytes::from_static(document.as_bytes())))
    }

    /// Changes the document of `session_id` to a subscriber's, as
    /// [`demo::subscribe`] describes, with `now_ms` as its `last_updated`.
    ///
    /// Each purchase applies to the current document, so a second purchase raises `v` again.
    pub fn purchase(
        &self,
        session_id: &str,
        now_ms: u64,
    ) -> Result<PurchaseOutcome, serde_json::Error> {
        let Some((id, original)) = DEMO_SESSIONS.iter().find(|(id, _)| *id == session_id) else {
            return Ok(PurchaseOutcome::UnknownSession);
        };
        let mut purchased = self.lock();
        let current = purchased
            .get(id)
            .cloned()
            .unwrap_or_else(|| Bytes::from_static(original.as_bytes()));
        let changed = demo::subscribe(&current, now_ms)?;
        purchased.insert(id, Bytes::from(changed));
        Ok(PurchaseOutcome::Done)
    }

    /// Restores every sample document.
    pub fn reset(&self) {
        self.lock().clear();
    }

    /// Turns the simulated outage on or off: while it is on, every lookup of a known site
    /// fails with 503.
    pub fn set_outage(&self, on: bool) {
        self.outage.store(on, Ordering::Relaxed);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<&'static str, Bytes>> {
        // Each critical section is a single map operation, so a poisoned map is still whole.
        self.purchased
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_known_id() {
        let lookup = DemoSource::default().lookup("www", "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11");
        let expected = include_str!("../../tests/fixtures/anonymous-metered.json");
        assert_eq!(
            lookup,
            SessionLookup::Found(Bytes::from_static(expected.as_bytes()))
        );
    }

    #[test]
    fn outage_fails_known_site_only() {
        let source = DemoSource::default();
        let id = "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11";
        source.set_outage(true);
        assert_eq!(source.lookup("www", id), SessionLookup::Outage);
        assert_eq!(source.lookup("other", id), SessionLookup::NotFound);
        source.set_outage(false);
        assert!(matches!(source.lookup("www", id), SessionLookup::Found(_)));
    }

    #[test]
    fn lookup_is_case_sensitive() {
        let lookup = DemoSource::default().lookup("www", "5B0F4A52-9A7E-4C1E-8D51-3B8F0E2A7C11");
        assert_eq!(lookup, SessionLookup::NotFound);
        assert_eq!(
            DemoSource::default().lookup("WWW", "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11"),
            SessionLookup::NotFound
        );
    }

    #[test]
    fn table_ids_are_unique() {
        let mut ids: Vec<&str> = DEMO_SESSIONS.iter().map(|(id, _)| *id).collect();
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count);
        assert_eq!(count, 6);
    }
}
