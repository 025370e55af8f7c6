//! Decision rules and tolerant reading on small documents written for each case.
#![cfg(not(target_arch = "wasm32"))]

use zephr_session::{ErrorCode, Reason, Session, Timestamp};

fn session(document: &str) -> Session {
    match Session::parse(document, None) {
        Ok(session) => session,
        Err(error) => panic!("test document failed to parse: {error}"),
    }
}

const METERED: &str = r#"{
  "access_model": {
    "meters": {
      "a-meter": {"remainingCredits": 0, "contentIds": ["read-on-a"]},
      "b-meter": {"remainingCredits": 2, "contentIds": ["read-on-b"]},
      "z-meter": {"remainingCredits": 7, "contentIds": ["read-on-z"]}
    },
    "credits": {
      "pack": {"remainingCredits": 4, "contentIds": ["read-on-pack"]},
      "spent": {"remainingCredits": 0, "contentIds": []}
    },
    "delivered_entitlements": [
      {"id": "premium", "direct": false, "meteredBy": ["z-meter", "a-meter", "b-meter"], "creditedBy": ["spent", "pack"]},
      {"id": "credits-only", "direct": false, "meteredBy": ["a-meter"], "creditedBy": ["spent", "pack"]},
      {"id": "narrow", "direct": false, "meteredBy": ["a-meter"], "creditedBy": []},
      {"id": "ghost", "direct": false, "meteredBy": ["missing-meter"], "creditedBy": ["missing-credit"]}
    ]
  }
}"#;

#[test]
fn meter_order_follows_entitlement_list() {
    let decision = session(METERED).decide("new", Some("premium")).unwrap();
    assert_eq!(decision.reason, Reason::Meter);
    assert_eq!(decision.meter_id.as_deref(), Some("z-meter"));
    assert_eq!(decision.remaining_credits, Some(7));
}

#[test]
fn credit_used_when_meters_empty() {
    let decision = session(METERED)
        .decide("new", Some("credits-only"))
        .unwrap();
    assert!(decision.granted);
    assert_eq!(decision.reason, Reason::Credit);
    assert_eq!(decision.credit_id.as_deref(), Some("pack"));
    assert_eq!(decision.meter_id, None);
    assert_eq!(decision.remaining_credits, Some(4));
}

#[test]
fn consumed_scope_is_entitlement_sources() {
    let session = session(METERED);
    // "narrow" is metered only by a-meter, so content counted on b-meter is out of scope.
    let decision = session.decide("read-on-b", Some("narrow")).unwrap();
    assert!(!decision.granted);
    assert_eq!(decision.reason, Reason::Exhausted);
    let decision = session.decide("read-on-a", Some("narrow")).unwrap();
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.meter_id.as_deref(), Some("a-meter"));
    assert_eq!(decision.entitlement_id.as_deref(), Some("narrow"));
}

#[test]
fn consumed_prefers_meters_over_credits() {
    let document = r#"{"access_model": {
        "meters": {"m": {"remainingCredits": 0, "contentIds": ["x"]}},
        "credits": {"c": {"remainingCredits": 0, "contentIds": ["x"]}},
        "delivered_entitlements": [{"id": "e", "meteredBy": ["m"], "creditedBy": ["c"]}]}}"#;
    let session = session(document);
    let scoped = session.decide("x", Some("e")).unwrap();
    assert_eq!(scoped.meter_id.as_deref(), Some("m"));
    assert_eq!(scoped.credit_id, None);
    let unscoped = session.decide("x", None).unwrap();
    assert_eq!(unscoped.reason, Reason::Consumed);
    assert_eq!(unscoped.meter_id.as_deref(), Some("m"));
    assert_eq!(unscoped.entitlement_id, None);
}

#[test]
fn consumed_without_entitlement_uses_id_order() {
    let session = session(METERED);
    let decision = session.decide("read-on-z", None).unwrap();
    assert_eq!(decision.meter_id.as_deref(), Some("z-meter"));
    let decision = session
        .decide("read-on-pack", Some("not-delivered"))
        .unwrap();
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.credit_id.as_deref(), Some("pack"));
}

#[test]
fn direct_entitlement_wins_first() {
    let document = r#"{"access_model": {
        "meters": {"m": {"remainingCredits": 3, "contentIds": ["x"]}},
        "delivered_entitlements": [{"id": "e", "direct": true, "meteredBy": ["m"]}]}}"#;
    let decision = session(document).decide("x", Some("e")).unwrap();
    assert_eq!(decision.reason, Reason::Entitlement);
    assert_eq!(decision.meter_id, None);
}

#[test]
fn missing_sources_are_skipped_with_warnings() {
    let session = session(METERED);
    let decision = session.decide("new", Some("ghost")).unwrap();
    assert!(!decision.granted);
    assert_eq!(decision.reason, Reason::Exhausted);
    let warnings = session.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings[0].contains("\"missing-meter\""), "{warnings:?}");
    assert!(warnings[1].contains("\"missing-credit\""), "{warnings:?}");
    assert_eq!(
        warnings[0],
        "access_model.delivered_entitlements: entitlement \"ghost\" is metered by \
         \"missing-meter\", which is not in access_model.meters; skipped"
    );
    assert_eq!(
        warnings[1],
        "access_model.delivered_entitlements: entitlement \"ghost\" is credited by \
         \"missing-credit\", which is not in access_model.credits; skipped"
    );
}

#[test]
fn unknown_content_without_entitlement_is_none() {
    let decision = session(METERED).decide("never-read", None).unwrap();
    assert!(!decision.granted);
    assert_eq!(decision.reason, Reason::None);
    assert_eq!(decision.entitlement_id, None);
}

#[test]
fn empty_ids_are_invalid_arguments() {
    let session = session(METERED);
    assert_eq!(
        session.decide("", None).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        session.decide("x", Some("")).unwrap_err().code,
        ErrorCode::InvalidArgument
    );
    assert_eq!(
        session.is_entitled("").unwrap_err().code,
        ErrorCode::InvalidArgument
    );
}

#[test]
fn duplicate_entitlements_merge() {
    let document = r#"{"access_model": {
        "meters": {"m1": {"remainingCredits": 0}, "m2": {"remainingCredits": 1}},
        "delivered_entitlements": [
            {"id": "e", "direct": false, "meteredBy": ["m1"]},
            {"id": "e", "direct": false, "meteredBy": ["m2", "m1"]}]}}"#;
    let session = session(document);
    assert_eq!(session.entitlements().len(), 1);
    assert_eq!(session.entitlement("e").unwrap().metered_by, ["m1", "m2"]);
    let decision = session.decide("x", Some("e")).unwrap();
    assert_eq!(decision.meter_id.as_deref(), Some("m2"));
    assert_eq!(session.warnings().len(), 1, "{:?}", session.warnings());
    assert!(session.warnings()[0].starts_with("access_model.delivered_entitlements[1]"));
}

#[test]
fn duplicate_entitlement_direct_if_any() {
    let document = r#"{"access_model": {"delivered_entitlements": [
        {"id": "e", "direct": false}, {"id": "e", "direct": true}]}}"#;
    let decision = session(document).decide("x", Some("e")).unwrap();
    assert_eq!(decision.reason, Reason::Entitlement);
}

#[test]
fn bundles_from_both_lists() {
    let document = r#"{"access_model": {"granted_bundles": ["g"], "jwt_bundles": ["j"]}}"#;
    let session = session(document);
    assert!(session.has_bundle("g"));
    assert!(session.has_bundle("j"));
    assert!(!session.has_bundle("G"));
}

#[test]
fn authenticated_falls_back_to_session() {
    let one = r#"{"sessions": [{"session_id": "s", "authenticated": true}]}"#;
    assert!(session(one).is_authenticated());
    let top_wins =
        r#"{"authenticated": false, "sessions": [{"session_id": "s", "authenticated": true}]}"#;
    assert!(!session(top_wins).is_authenticated());
    assert!(!session("{}").is_authenticated());
}

#[test]
fn current_session_rules() {
    let two = r#"{"sessions": [{"session_id": "a", "expiryDate": "2020-01-01 00:00"}, {"session_id": "b"}]}"#;
    let by_id = Session::parse(two, Some("a")).unwrap();
    assert_eq!(
        by_id
            .current_session()
            .and_then(|entry| entry.session_id.as_deref()),
        Some("a")
    );
    assert!(by_id.is_expired(Timestamp(1_577_836_800_000)));
    assert!(!by_id.is_expired(Timestamp(1_577_836_799_999)));
    assert_eq!(
        Session::parse(two, Some("c")).unwrap().current_session(),
        None
    );
    assert_eq!(Session::parse(two, None).unwrap().current_session(), None);

    let one = r#"{"sessions": [{"session_id": "a"}]}"#;
    let only = Session::parse(one, Some("current")).unwrap();
    assert_eq!(
        only.current_session()
            .and_then(|entry| entry.session_id.as_deref()),
        Some("a")
    );
    assert!(!only.is_expired(Timestamp(i64::MAX)));
}

#[test]
fn counts_accept_integral_numbers_only() {
    let document = r#"{"v": 5.0, "access_model": {"meters": {
        "exp": {"remainingCredits": 2e0, "meterSize": 1e1},
        "big": {"remainingCredits": 9007199254740992},
        "max": {"remainingCredits": 9007199254740991},
        "neg-frac": {"remainingCredits": -0.5},
        "bool": {"remainingCredits": true}}}}"#;
    let session = session(document);
    assert_eq!(session.version(), Some(5));
    assert_eq!(session.remaining_credits("exp"), Some(2));
    assert_eq!(session.meter("exp").unwrap().meter_size, Some(10));
    assert_eq!(session.remaining_credits("big"), None);
    assert_eq!(
        session.remaining_credits("max"),
        Some(9_007_199_254_740_991)
    );
    assert_eq!(session.remaining_credits("neg-frac"), None);
    assert_eq!(session.remaining_credits("bool"), None);
    assert_eq!(session.warnings().len(), 3, "{:?}", session.warnings());
}

#[test]
fn non_object_documents_fail() {
    for text in ["[]", "\"x\"", "null", "1", "", "{", "{\"a\":1} x"] {
        let error = Session::parse(text, None).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidResponse, "{text:?}");
    }
}

#[test]
fn null_fields_are_silently_absent() {
    let document = r#"{"authenticated": null, "v": null, "user_id": null, "sessions": null,
        "access_model": {"meters": {"m": null}, "credits": null, "delivered_entitlements": null,
        "granted_bundles": null, "user_state": null}, "last_updated": null, "test_groups": null}"#;
    let session = session(document);
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
    assert_eq!(session.meters().count(), 0);
}

#[test]
fn non_empty_array_for_map_warns() {
    let session = session(r#"{"access_model": {"meters": [{"remainingCredits": 1}]}}"#);
    assert_eq!(session.meters().count(), 0);
    assert_eq!(session.warnings().len(), 1);
    assert!(session.warnings()[0].starts_with("access_model.meters: expected an object"));
}

#[test]
fn warnings_are_capped() {
    let many: Vec<String> = (0..500).map(|index| index.to_string()).collect();
    let document = format!(
        r#"{{"access_model": {{"granted_bundles": [{}]}}}}"#,
        many.join(",")
    );
    let session = session(&document);
    assert_eq!(session.warnings().len(), 101);
    assert_eq!(session.warnings()[100], "400 more warnings were left out");
}

#[test]
fn long_values_are_cut_in_warnings() {
    let long = "x".repeat(10_000);
    let document = format!(r#"{{"sessions": [{{"expiryDate": "{long}"}}]}}"#);
    let session = session(&document);
    assert_eq!(session.warnings().len(), 1);
    assert!(
        session.warnings()[0].len() < 200,
        "{}",
        session.warnings()[0]
    );
}

#[test]
fn document_keeps_order_and_unknown_fields() {
    let text =
        r#"{"z":1,"a":{"nested":[1,2,{"k":null}]},"access_model":{"meters":{"m":{"extra":true}}}}"#;
    let session = session(text);
    assert_eq!(session.document().to_json(), text);
}

#[test]
fn non_object_error_hides_body_text() {
    let body = r#""26a73b7a-f7d0-48d8-85dd-a04b07313895 session expired""#;
    let error = Session::parse(body, None).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidResponse);
    assert!(!error.message.contains("26a73b7a"), "{}", error.message);
    assert!(
        error.message.contains("a string of 52 characters"),
        "{}",
        error.message
    );
}

#[test]
fn decision_json_has_only_present_fields() {
    let session = session(
        r#"{"access_model": {"meters": {"m\"1": {"remainingCredits": 2}},
            "delivered_entitlements": [{"id": "e", "meteredBy": ["m\"1"]}]}}"#,
    );
    let granted = session.decide("a", Some("e")).unwrap();
    assert_eq!(
        granted.to_json(),
        r#"{"granted":true,"reason":"meter","entitlementId":"e","meterId":"m\"1","remainingCredits":2}"#
    );
    let denied = session.decide("a", None).unwrap();
    assert_eq!(denied.to_json(), r#"{"granted":false,"reason":"none"}"#);
    let parsed: serde_json::Value = serde_json::from_str(&granted.to_json()).unwrap();
    assert_eq!(parsed["meterId"], "m\"1");
}
