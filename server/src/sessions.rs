//! Session documents served under `GET /v4/sessions/{site}/{sessionId}`.

use axum::body::Bytes;

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
}

/// Source of session documents for the `/v4/sessions` route.
///
/// A later upstream mode (a proxy that signs requests to the Zephr Admin API) will be another
/// variant behind the same `fetch` method.
#[derive(Debug, Clone)]
pub enum SessionSource {
    /// Built-in sample documents.
    Demo(DemoSource),
}

impl SessionSource {
    /// Looks up the session document of `session_id` on `site`.
    ///
    /// Both values are the decoded path segments of the request.
    pub async fn fetch(&self, site: &str, session_id: &str) -> SessionLookup {
        match self {
            Self::Demo(demo) => demo.lookup(site, session_id),
        }
    }
}

/// Fixed table of sample session documents, all under site [`DEMO_SITE`].
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoSource;

impl DemoSource {
    /// Returns the sample document of `session_id`, or [`SessionLookup::NotFound`] for any other
    /// site or id. Ids match exactly, case included.
    pub fn lookup(&self, site: &str, session_id: &str) -> SessionLookup {
        if site != DEMO_SITE {
            return SessionLookup::NotFound;
        }
        DEMO_SESSIONS
            .iter()
            .find(|(id, _)| *id == session_id)
            .map_or(SessionLookup::NotFound, |(_, document)| {
                SessionLookup::Found(Bytes::from_static(document.as_bytes()))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_known_id() {
        let lookup = DemoSource.lookup("www", "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11");
        let expected = include_str!("../../tests/fixtures/anonymous-metered.json");
        assert_eq!(
            lookup,
            SessionLookup::Found(Bytes::from_static(expected.as_bytes()))
        );
    }

    #[test]
    fn lookup_is_case_sensitive() {
        let lookup = DemoSource.lookup("www", "5B0F4A52-9A7E-4C1E-8D51-3B8F0E2A7C11");
        assert_eq!(lookup, SessionLookup::NotFound);
        assert_eq!(
            DemoSource.lookup("WWW", "5b0f4a52-9a7e-4c1e-8d51-3b8f0e2a7c11"),
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
