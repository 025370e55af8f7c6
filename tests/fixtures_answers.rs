//! Every expected answer for the sample documents in `tests/fixtures/`.
#![cfg(not(target_arch = "wasm32"))]

use zephr_session::{parse_date, Decision, Reason, Session, Timestamp};

fn load(name: &str, session_id: Option<&str>) -> Session {
    let text = match name {
        "seed-session" => include_str!("fixtures/seed-session.json"),
        "anonymous-metered" => include_str!("fixtures/anonymous-metered.json"),
        "subscriber" => include_str!("fixtures/subscriber.json"),
        "meter-exhausted" => include_str!("fixtures/meter-exhausted.json"),
        "transforms" => include_str!("fixtures/transforms.json"),
        "odd-dates" => include_str!("fixtures/odd-dates.json"),
        "docs-empty-arrays" => include_str!("fixtures/docs-empty-arrays.json"),
        "wrong-types" => include_str!("fixtures/wrong-types.json"),
        other => panic!("no fixture named {other}"),
    };
    match Session::parse(text, session_id) {
        Ok(session) => session,
        Err(error) => panic!("fixture {name} failed to parse: {error}"),
    }
}

fn decide(session: &Session, content_id: &str, entitlement_id: Option<&str>) -> Decision {
    match session.decide(content_id, entitlement_id) {
        Ok(decision) => decision,
        Err(error) => panic!("decide({content_id:?}, {entitlement_id:?}) failed: {error}"),
    }
}

fn date(text: &str) -> Timestamp {
    match parse_date(text) {
        Some(timestamp) => timestamp,
        None => panic!("test date {text:?} does not parse"),
    }
}

fn expiry_of(session: &Session, session_id: &str) -> Option<Timestamp> {
    let entry = session
        .sessions()
        .iter()
        .find(|entry| entry.session_id.as_deref() == Some(session_id));
    match entry {
        Some(entry) => entry.expiry_date,
        None => panic!("no session entry {session_id}"),
    }
}

fn has_warning_for(session: &Session, path: &str) -> bool {
    session
        .warnings()
        .iter()
        .any(|warning| warning.starts_with(path))
}

#[test]
fn seed_remaining_credits() {
    let session = load("seed-session", None);
    assert_eq!(session.remaining_credits("property1"), Some(5));
    assert_eq!(session.remaining_credits("nope"), None);
}

#[test]
fn seed_direct_entitlement() {
    let session = load("seed-session", None);
    let decision = decide(&session, "0123456789ABCD", None);
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Entitlement);
    assert_eq!(decision.entitlement_id.as_deref(), Some("0123456789ABCD"));
}

#[test]
fn seed_consumed_by_first_meter() {
    let session = load("seed-session", None);
    let decision = decide(&session, "123456789ABCD", None);
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.meter_id.as_deref(), Some("property1"));
    assert_eq!(decision.credit_id, None);
    assert_eq!(decision.entitlement_id, None);
}

#[test]
fn seed_unknown_content_denied() {
    let session = load("seed-session", None);
    assert_eq!(session.is_entitled("ABCD"), Ok(false));
    assert_eq!(decide(&session, "ABCD", None).reason, Reason::None);
}

#[test]
fn seed_bundle_and_expiry() {
    let session = load("seed-session", None);
    assert!(session.has_bundle("e10a5ff3-fc63-47fb-af04-75c2ec3fdf1c"));
    assert!(!session.has_bundle("e10a5ff3"));
    let current = session.current_session().expect("seed has one session");
    assert_eq!(current.expiry_date, Some(date("2025-02-08T14:29:00Z")));
    assert_eq!(
        current
            .expiry_date
            .map(|expiry| expiry.to_string())
            .as_deref(),
        Some("2025-02-08T14:29:00Z")
    );
}

#[test]
fn seed_reader_fields() {
    let session = load("seed-session", Some("26a73b7a-f7d0-48d8-85dd-a04b07313895"));
    assert!(session.is_authenticated());
    assert_eq!(session.user_id(), Some("UU0123456789ABCD"));
    assert_eq!(session.user_state(), Some("registered"));
    assert_eq!(session.version(), Some(0));
    assert_eq!(session.tenant_id(), Some("company"));
    assert_eq!(session.sub_tenant_id(), Some("company|demo"));
    assert_eq!(session.last_updated(), Some(Timestamp(1_707_230_240_685)));
    assert_eq!(session.test_group("property1"), Some("string"));
    assert_eq!(session.second_party_data("property2"), Some("string"));
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
    let current = session.current_session().expect("seed has one session");
    assert_eq!(current.device_name.as_deref(), Some("Apple Macintosh"));
    assert_eq!(current.geo_state.as_deref(), Some("London"));
    assert_eq!(current.start_date, Some(date("2024-02-08T14:29:00Z")));
    assert!(session.is_expired(date("2026-12-04T00:00:00Z")));
    assert!(!session.is_expired(date("2025-02-08T14:28:59Z")));
    assert!(session.is_expired(date("2025-02-08T14:29:00Z")));
}

#[test]
fn anonymous_meter_grants() {
    let session = load("anonymous-metered", None);
    let decision = decide(&session, "article-2000", Some("premium"));
    assert_eq!(
        decision,
        Decision {
            granted: true,
            reason: Reason::Meter,
            entitlement_id: Some("premium".into()),
            meter_id: Some("monthly-free".into()),
            credit_id: None,
            remaining_credits: Some(3),
        }
    );
}

#[test]
fn anonymous_consumed_article() {
    let session = load("anonymous-metered", None);
    let decision = decide(&session, "article-1002", Some("premium"));
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.meter_id.as_deref(), Some("monthly-free"));
    assert_eq!(decision.remaining_credits, None);
}

#[test]
fn anonymous_without_entitlement_denied() {
    let session = load("anonymous-metered", None);
    assert_eq!(session.is_entitled("article-2000"), Ok(false));
    assert_eq!(decide(&session, "article-2000", None).reason, Reason::None);
    assert!(!session.is_authenticated());
}

#[test]
fn subscriber_direct_entitlement() {
    let session = load("subscriber", None);
    let decision = decide(&session, "any-article", Some("premium"));
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Entitlement);
    assert_eq!(decision.entitlement_id.as_deref(), Some("premium"));
}

#[test]
fn subscriber_current_session_by_id() {
    let session = load("subscriber", Some("0a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f"));
    let current = session.current_session().expect("mobile session is listed");
    assert_eq!(current.device.as_deref(), Some("mobile"));
    assert_eq!(current.os.as_deref(), Some("iOS"));
    assert!(session.is_expired(date("2026-12-04T00:00:00Z")));

    let desktop = load("subscriber", Some("9d4c2b7a-0e1f-4a3b-8c5d-6e7f8a9b0c1d"));
    assert_eq!(
        desktop
            .current_session()
            .and_then(|entry| entry.device.as_deref()),
        Some("pc")
    );
    assert!(!desktop.is_expired(date("2026-12-04T00:00:00Z")));
}

#[test]
fn subscriber_without_id_has_no_current_session() {
    let session = load("subscriber", None);
    assert_eq!(session.current_session(), None);
    assert!(!session.is_expired(date("2030-01-01T00:00:00Z")));
    assert!(session.is_authenticated());
}

#[test]
fn exhausted_meter_denied() {
    let session = load("meter-exhausted", None);
    let decision = decide(&session, "article-6", Some("premium"));
    assert!(!decision.granted);
    assert_eq!(decision.reason, Reason::Exhausted);
    assert_eq!(decision.entitlement_id.as_deref(), Some("premium"));
}

#[test]
fn exhausted_meter_still_opens_counted_article() {
    let session = load("meter-exhausted", None);
    let decision = decide(&session, "article-3", Some("premium"));
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.meter_id.as_deref(), Some("monthly-free"));
    assert!(session.has_entitlement("premium"));
    assert!(!session.has_entitlement("monthly-free"));
}

#[test]
fn prepend_random_never_matches() {
    let session = load("transforms", None);
    let decision = decide(&session, "article-77", Some("section-politics"));
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Meter);
    assert_eq!(decision.meter_id.as_deref(), Some("page-views"));
    assert_eq!(decision.remaining_credits, Some(8));
    let recorded = decide(&session, "a81f3c-article-77", Some("section-politics"));
    assert_eq!(recorded.reason, Reason::Meter);
}

#[test]
fn strip_params_matches_credit() {
    let session = load("transforms", None);
    let decision = decide(
        &session,
        "/sport/final-score?utm=x",
        Some("section-politics"),
    );
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.credit_id.as_deref(), Some("url-pack"));
    assert_eq!(decision.meter_id, None);
    for content_id in [
        "/sport/final-score",
        "/sport/final-score#comments",
        "https://news.example/politics/budget-vote?ref=home#top",
    ] {
        assert_eq!(
            decide(&session, content_id, Some("section-politics"))
                .credit_id
                .as_deref(),
            Some("url-pack"),
            "{content_id}"
        );
    }
    let other_case = decide(&session, "/SPORT/final-score", Some("section-politics"));
    assert_eq!(other_case.reason, Reason::Meter);
}

#[test]
fn odd_dates_twelve_hour_forms() {
    let session = load("odd-dates", None);
    assert_eq!(
        expiry_of(&session, "s-12h-afternoon"),
        Some(date("2025-02-08T14:29:00Z"))
    );
    assert_eq!(
        expiry_of(&session, "s-12h-midnight"),
        Some(date("2025-02-09T00:05:00Z"))
    );
    assert_eq!(
        expiry_of(&session, "s-24h-with-marker"),
        Some(date("2025-02-08T14:29:00Z"))
    );
    assert_eq!(
        expiry_of(&session, "s-iso"),
        Some(date("2024-02-08T08:48:33.056Z"))
    );
}

#[test]
fn odd_dates_invalid_read_as_absent() {
    let session = load("odd-dates", None);
    assert_eq!(expiry_of(&session, "s-contradiction"), None);
    assert_eq!(expiry_of(&session, "s-garbage"), None);
    assert!(has_warning_for(&session, "sessions[3].expiryDate"));
    assert!(has_warning_for(&session, "sessions[3].startDate"));
    assert!(has_warning_for(&session, "sessions[5].expiryDate"));
    assert!(has_warning_for(&session, "sessions[5].startDate"));
    assert_eq!(session.warnings().len(), 4, "{:?}", session.warnings());
}

#[test]
fn odd_dates_refresh_times() {
    let session = load("odd-dates", None);
    let naive = session.meter("naive-time").expect("meter naive-time");
    assert_eq!(naive.refresh_time, Some(date("2024-06-01T00:00:00Z")));
    let zoned = session
        .meter("with-seconds-and-zone")
        .expect("meter with-seconds-and-zone");
    assert_eq!(zoned.refresh_time, Some(date("2024-06-01T23:59:59Z")));
}

#[test]
fn empty_arrays_read_as_empty_maps() {
    let session = load("docs-empty-arrays", None);
    assert_eq!(session.remaining_credits("x"), None);
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
    assert_eq!(session.meters().count(), 0);
    assert_eq!(session.credits().count(), 0);
}

#[test]
fn wrong_types_remaining_credits() {
    let session = load("wrong-types", None);
    assert_eq!(session.remaining_credits("good"), Some(4));
    assert_eq!(session.remaining_credits("credits-as-string"), None);
    assert_eq!(session.remaining_credits("fractional"), None);
    assert_eq!(session.remaining_credits("negative"), Some(0));
    assert!(session.warnings().iter().any(|warning| warning
        == "access_model.meters.negative.remainingCredits: -1 is negative; read as 0"));
}

#[test]
fn wrong_types_entitlements() {
    let session = load("wrong-types", None);
    assert_eq!(session.is_entitled("sports"), Ok(true));
    assert_eq!(session.is_entitled("premium"), Ok(false));
    assert!(session.has_entitlement("premium"));
    assert_eq!(session.entitlements().len(), 2);
    assert!(has_warning_for(
        &session,
        "access_model.delivered_entitlements[0].direct"
    ));
    assert!(has_warning_for(
        &session,
        "access_model.delivered_entitlements[1].id"
    ));
    assert!(has_warning_for(
        &session,
        "access_model.delivered_entitlements[2]"
    ));
}

#[test]
fn wrong_types_keeps_unknown_fields() {
    let session = load("wrong-types", None);
    assert_eq!(
        session
            .document()
            .get("future_field")
            .map(|value| value.to_json()),
        Some(r#"{"kept":true}"#.to_owned())
    );
}

#[test]
fn wrong_types_warn_once_per_field() {
    let session = load("wrong-types", None);
    let expected_paths = [
        "authenticated:",
        "v:",
        "user_id:",
        "sessions:",
        "access_model.meters.credits-as-string.remainingCredits:",
        "access_model.meters.fractional.remainingCredits:",
        "access_model.meters.negative.remainingCredits:",
        "access_model.meters.unknown-transform.contentIdTransform:",
        "access_model.meters.not-an-object:",
        "access_model.delivered_entitlements[0].direct:",
        "access_model.delivered_entitlements[1].id:",
        "access_model.delivered_entitlements[2]:",
        "access_model.granted_bundles[1]:",
        "access_model.granted_bundles[2]:",
        "access_model.user_state:",
        "last_updated:",
        "test_groups.bad:",
    ];
    for path in expected_paths {
        let count = session
            .warnings()
            .iter()
            .filter(|warning| warning.starts_with(path))
            .count();
        assert_eq!(count, 1, "warnings for {path}: {:?}", session.warnings());
    }
    assert_eq!(
        session.warnings().len(),
        expected_paths.len(),
        "{:#?}",
        session.warnings()
    );
    assert!(!session.is_authenticated());
    assert_eq!(session.version(), None);
    assert_eq!(session.user_id(), None);
    assert_eq!(session.user_state(), None);
    assert!(session.sessions().is_empty());
    assert_eq!(session.last_updated(), None);
    assert_eq!(session.test_group("ok"), Some("A"));
    assert_eq!(session.test_group("bad"), None);
    assert!(session.has_bundle("b-1"));
    assert_eq!(session.granted_bundles().len(), 1);
}

#[test]
fn wrong_types_unknown_transform_compares_exactly() {
    let session = load("wrong-types", None);
    let decision = decide(&session, "c", None);
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.meter_id.as_deref(), Some("unknown-transform"));
    assert_eq!(decide(&session, "C", None).reason, Reason::None);
    let meter = session.meter("unknown-transform").expect("meter is kept");
    assert_eq!(meter.content_id_transform.as_deref(), Some("LOWERCASE"));
}
