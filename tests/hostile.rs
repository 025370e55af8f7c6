//! Hostile documents, each with its expected outcome: the small ones are
//! files in `tests/hostile/`, the large ones are generated here.
//!
//! Each large case prints how long it took. Run
//! `cargo test --test hostile -- --nocapture` to see the times. No test
//! asserts a time, because timings on a shared machine are noisy. Instead,
//! the code paths involved are linear in the size of the document.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Instant;

use serde_json::{json, Value};
use zephr_session::{Decision, Error, ErrorCode, Reason, Session};

fn hostile(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/hostile/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|error| panic!("cannot read {path}: {error}"))
}

fn parse_file(name: &str) -> Result<Session, Error> {
    Session::from_slice(&hostile(name), None)
}

fn session_from(name: &str) -> Session {
    parse_file(name).unwrap_or_else(|error| panic!("{name} was rejected: {error}"))
}

/// Parses `text`, printing how long the parse took.
fn timed_parse(case: &str, text: &str) -> Result<Session, Error> {
    let start = Instant::now();
    let result = Session::parse(text, None);
    println!(
        "{case}: {} bytes parsed in {:?}",
        text.len(),
        start.elapsed()
    );
    result
}

fn decide(session: &Session, content_id: &str, entitlement_id: Option<&str>) -> Decision {
    session
        .decide(content_id, entitlement_id)
        .unwrap_or_else(|error| panic!("decide({content_id:?}) failed: {error}"))
}

fn assert_invalid_response(result: Result<Session, Error>, context: &str) -> Error {
    match result {
        Ok(_) => panic!("{context}: the document was accepted"),
        Err(error) => {
            assert_eq!(error.code, ErrorCode::InvalidResponse, "{context}: {error}");
            error
        }
    }
}

fn warned_paths(session: &Session) -> Vec<String> {
    session
        .warnings()
        .iter()
        .map(|warning| warning.split(':').next().unwrap_or_default().to_owned())
        .collect()
}

// Small documents from tests/hostile/.

#[test]
fn duplicate_keys_last_value_wins() {
    let session = session_from("duplicate-keys.json");
    assert_eq!(session.version(), Some(2));
    assert_eq!(session.remaining_credits("m"), Some(3));
    assert_eq!(session.meter("m").unwrap().content_ids, ["new"]);
    assert!(!session.entitlement("e").unwrap().direct);
    let decision = decide(&session, "old", Some("e"));
    assert_eq!(decision.reason, Reason::Meter);
    assert_eq!(decision.remaining_credits, Some(3));
    // As in JavaScript, a repeated key keeps the position of its first use.
    let keys: Vec<&String> = session.document().keys().collect();
    assert_eq!(keys, ["v", "access_model"]);
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
}

#[test]
fn lone_surrogates_read_as_replacement() {
    let session = session_from("lone-surrogates.json");
    assert_eq!(
        session.document()["note"],
        "a lone high \u{FFFD}, a lone low \u{FFFD}, reversed \u{FFFD}\u{FFFD}, a pair 😀, \
         high then letter \u{FFFD}A"
    );
    assert_eq!(session.document()["\u{FFFD}"], "key with a lone surrogate");
    assert_eq!(session.remaining_credits("m\u{FFFD}"), Some(2));
    assert_eq!(
        session.meter("m\u{FFFD}").unwrap().content_ids,
        ["article\u{FFFD}", "\\ud800 is text"]
    );

    let decision = decide(&session, "new", Some("premium\u{FFFD}"));
    assert_eq!(decision.reason, Reason::Meter);
    assert_eq!(decision.meter_id.as_deref(), Some("m\u{FFFD}"));
    let decision = decide(&session, "article\u{FFFD}", Some("premium\u{FFFD}"));
    assert_eq!(decision.reason, Reason::Consumed);
    // An escaped backslash followed by `ud800` is text, not an escape.
    let decision = decide(&session, "\\ud800 is text", None);
    assert_eq!(decision.reason, Reason::Consumed);
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
}

#[test]
fn lone_surrogates_tricky_escapes() {
    let cases = [
        (r#"{"s": "\ud800"}"#, "\u{FFFD}"),
        (r#"{"s": "\uDFFF"}"#, "\u{FFFD}"),
        (r#"{"s": "\\ud800"}"#, "\\ud800"),
        (r#"{"s": "\\\ud800"}"#, "\\\u{FFFD}"),
        (r#"{"s": "\\\\ud800"}"#, "\\\\ud800"),
        (r#"{"s": "\"\ud800\""}"#, "\"\u{FFFD}\""),
        (r#"{"s": "\ud800\ud800\udc00"}"#, "\u{FFFD}\u{10000}"),
        (r#"{"s": "\ud83d\ude00\udc00"}"#, "😀\u{FFFD}"),
        (r#"{"s": "\ud800\n"}"#, "\u{FFFD}\n"),
        (r#"{"s": "\ud800\\udc00"}"#, "\u{FFFD}\\udc00"),
    ];
    for (text, expected) in cases {
        let session = Session::parse(text, None)
            .unwrap_or_else(|error| panic!("{text} was rejected: {error}"));
        assert_eq!(session.document()["s"], expected, "{text}");
    }
}

#[test]
fn lone_surrogate_does_not_hide_syntax_errors() {
    for text in [
        r#"{"s": "\ud800", }"#,
        r#"{"s": "\ud800"#,
        r#"{"s": "\ud80"}"#,
        r#"{"s": "\ud800\u"}"#,
        r#"{"s": "\ud800\x"}"#,
    ] {
        assert_invalid_response(Session::parse(text, None), text);
    }
    // The line and column still point into the original text: the same as
    // for a text of the same shape without the lone surrogate.
    let error = assert_invalid_response(
        Session::parse("{\"s\": \"\\ud800\", \"n\": 1e400,\n \"t\": oops}", None),
        "syntax error after a lone surrogate",
    );
    let plain = assert_invalid_response(
        Session::parse("{\"s\": \"\\u0041\", \"n\": 1e100,\n \"t\": oops}", None),
        "syntax error",
    );
    assert_eq!(error.message, plain.message);
    assert!(error.message.contains("line 2"), "{}", error.message);
}

#[test]
fn invalid_utf8_is_invalid_response() {
    for name in [
        "invalid-utf8.bin",
        "utf8-encoded-surrogate.bin",
        "overlong-utf8.bin",
    ] {
        let error = assert_invalid_response(parse_file(name), name);
        assert!(
            error.message.contains("not valid UTF-8"),
            "{}",
            error.message
        );
        assert!(error.message.contains("offset 10"), "{}", error.message);
    }
}

#[test]
fn byte_order_mark_is_invalid_response() {
    // JavaScript's `JSON.parse` rejects a leading U+FEFF too.
    assert_invalid_response(parse_file("bom.json"), "bom.json");
}

#[test]
fn numbers_beyond_safe_integers() {
    let session = session_from("big-numbers.json");
    let expected = [
        ("max-safe", Some(9_007_199_254_740_991)),
        ("above-safe", None),
        ("u64-max", None),
        ("beyond-u64", None),
        ("overflow", None),
        ("negative-overflow", None),
        ("underflow", Some(0)),
        ("exponent", Some(25)),
        ("capital-exponent", Some(3)),
        ("fraction-by-exponent", None),
        ("negative-zero", Some(0)),
        ("min-safe", Some(0)),
    ];
    for (meter, count) in expected {
        assert_eq!(session.remaining_credits(meter), count, "{meter}");
    }
    assert_eq!(session.version(), None);
    assert_eq!(session.last_updated(), None);

    // Out-of-range numbers become null, as `JSON.stringify(JSON.parse(text))` writes them.
    let document = invariants::as_serde(session.document());
    assert_eq!(document["last_updated"], Value::Null);
    assert_eq!(document["huge"], Value::Null);
    assert_eq!(document["tiny"], json!(0.0));
    assert_eq!(
        document["access_model"]["meters"]["overflow"]["remainingCredits"],
        Value::Null
    );

    assert_eq!(
        warned_paths(&session),
        [
            "v",
            "access_model.meters.above-safe.remainingCredits",
            "access_model.meters.u64-max.remainingCredits",
            "access_model.meters.beyond-u64.remainingCredits",
            "access_model.meters.fraction-by-exponent.remainingCredits",
            "access_model.meters.min-safe.remainingCredits",
        ]
    );
}

#[test]
fn nan_like_strings_are_wrong_types() {
    let session = session_from("nan-like.json");
    for meter in [
        "nan",
        "infinity",
        "number-text",
        "exponent-text",
        "empty-text",
    ] {
        assert_eq!(session.remaining_credits(meter), None, "{meter}");
    }
    assert_eq!(session.meter("nan").unwrap().meter_size, None);
    assert_eq!(session.version(), None);
    assert_eq!(session.last_updated(), None);
    assert_eq!(session.warnings().len(), 8, "{:?}", session.warnings());
    assert!(session
        .warnings()
        .iter()
        .all(|warning| warning.contains("expected an integer")));
}

#[test]
fn bare_nan_and_infinity_are_invalid() {
    for name in ["bare-nan.txt", "bare-infinity.txt"] {
        assert_invalid_response(parse_file(name), name);
    }
}

#[test]
fn empty_keys_are_ordinary_ids() {
    let session = session_from("empty-keys.json");
    assert_eq!(session.document()[""], "an empty top-level key");
    assert_eq!(session.remaining_credits(""), Some(2));
    assert_eq!(session.credit("").unwrap().remaining_credits, Some(1));
    assert!(session.has_entitlement(""));
    assert!(session.has_bundle(""));
    assert_eq!(session.test_group(""), Some("A"));
    assert_eq!(
        session.session_variable("").map(invariants::value_as_serde),
        Some(json!(1))
    );

    let decision = decide(&session, "a", Some("e"));
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.meter_id.as_deref(), Some(""));
    let decision = decide(&session, "new", Some("e"));
    assert_eq!(decision.reason, Reason::Meter);
    assert_eq!(decision.meter_id.as_deref(), Some(""));
    assert_eq!(decision.remaining_credits, Some(2));

    // An empty id in a query is still a caller's mistake.
    let error = session.decide("x", Some("")).unwrap_err();
    assert_eq!(error.code, ErrorCode::InvalidArgument);
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
}

#[test]
fn prototype_names_are_ordinary_ids() {
    let session = session_from("prototype-ids.json");
    // A top-level `__proto__` key is data, not a source of defaults.
    assert!(!session.is_authenticated());
    assert_eq!(session.user_id(), None);
    assert!(session.meter("injected").is_none());
    assert!(session.document().contains_key("__proto__"));

    assert_eq!(session.remaining_credits("__proto__"), Some(3));
    assert_eq!(session.remaining_credits("constructor"), Some(0));
    assert_eq!(session.remaining_credits("hasOwnProperty"), Some(1));
    assert_eq!(session.remaining_credits("toString"), None);
    assert_eq!(
        session.credit("toString").unwrap().remaining_credits,
        Some(2)
    );

    let decision = decide(&session, "a", Some("__proto__"));
    assert_eq!(decision.reason, Reason::Consumed);
    assert_eq!(decision.meter_id.as_deref(), Some("__proto__"));
    let decision = decide(&session, "new", Some("__proto__"));
    assert_eq!(decision.reason, Reason::Meter);
    assert_eq!(decision.meter_id.as_deref(), Some("__proto__"));
    assert_eq!(decision.remaining_credits, Some(3));
    assert_eq!(
        decide(&session, "x", Some("constructor")).reason,
        Reason::Entitlement
    );
    let decision = decide(&session, "x", Some("valueOf"));
    assert_eq!(decision.reason, Reason::Credit);
    assert_eq!(decision.credit_id.as_deref(), Some("toString"));
    assert_eq!(decide(&session, "x", Some("toString")).reason, Reason::None);
    assert!(!session.has_entitlement("toString"));
    assert!(!session.has_entitlement("prototype"));

    assert_eq!(session.test_group("__proto__"), Some("A"));
    assert_eq!(session.test_group("constructor"), None);
    assert_eq!(session.second_party_data("constructor"), Some("B"));
    assert!(session.warnings().is_empty(), "{:?}", session.warnings());
}

#[test]
fn corpus_files_hold_invariants() {
    let folder = format!("{}/tests/hostile", env!("CARGO_MANIFEST_DIR"));
    let entries = std::fs::read_dir(&folder).unwrap();
    let mut count = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|extension| extension == "md") {
            continue;
        }
        invariants::check_bytes(&std::fs::read(&path).unwrap());
        count += 1;
    }
    assert!(count >= 10, "only {count} files in {folder}");
}

#[path = "support/invariants.rs"]
mod invariants;

// Large documents, generated.

/// Wraps `inner` in `depth` arrays inside `session_variables`.
fn nested_arrays(depth: usize, inner: &str) -> String {
    format!(
        r#"{{"session_variables": {{"deep": {}{inner}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

#[test]
fn nesting_100000_deep_is_rejected() {
    let arrays = nested_arrays(100_000, "1");
    let error = assert_invalid_response(timed_parse("100000 nested arrays", &arrays), "arrays");
    assert!(
        error.message.contains("nested too deeply"),
        "{}",
        error.message
    );
    // Such text may be valid JSON, so the message must not say otherwise.
    assert!(
        !error.message.contains("not valid JSON"),
        "{}",
        error.message
    );

    let objects = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let error = assert_invalid_response(timed_parse("100000 nested objects", &objects), "objects");
    assert!(
        error.message.contains("nested too deeply"),
        "{}",
        error.message
    );

    let unclosed = "[".repeat(100_000);
    assert_invalid_response(timed_parse("100000 unclosed arrays", &unclosed), "unclosed");

    // The same depth inside a string is only text.
    let in_string = format!(r#"{{"s": "{}"}}"#, "[{".repeat(100_000));
    assert!(timed_parse("nesting inside a string", &in_string).is_ok());
}

#[test]
fn nesting_limit_is_127_levels() {
    // The top-level object and `session_variables` are two levels, so 125
    // arrays inside make 127, the deepest that the parser reads.
    let session = Session::parse(&nested_arrays(125, "1"), None).unwrap();
    let mut value = session.session_variable("deep").unwrap();
    for _ in 0..125 {
        value = &value[0];
    }
    assert_eq!(value.to_json(), "1");
    let error = assert_invalid_response(Session::parse(&nested_arrays(126, "1"), None), "128");
    assert!(
        error.message.contains("nested too deeply"),
        "{}",
        error.message
    );
}

#[test]
fn nesting_100_levels_parses() {
    let text = format!(
        r#"{{"session_variables": {{"deep": {}"bottom"{}}}, "access_model": {{"meters": {{"m": {{"remainingCredits": 1}}}}}}}}"#,
        r#"{"level":"#.repeat(100),
        "}".repeat(100)
    );
    let session = timed_parse("100 nested objects", &text).unwrap();
    let mut value = session.session_variable("deep").unwrap();
    for _ in 0..100 {
        value = &value["level"];
    }
    assert_eq!(value, "bottom");
    assert_eq!(session.remaining_credits("m"), Some(1));
    assert!(session.warnings().is_empty());
}

/// Builds a document with one meter that recorded `count` content ids.
fn meter_with_content_ids(count: usize, transform: &str, suffix: &str) -> String {
    let ids: Vec<String> = (0..count)
        .map(|index| format!(r#""article-{index}{suffix}""#))
        .collect();
    format!(
        r#"{{"access_model": {{"meters": {{"m": {{"remainingCredits": 4, "contentIdTransform": "{transform}", "contentIds": [{}]}}}},
            "delivered_entitlements": [{{"id": "premium", "meteredBy": ["m"]}}]}}}}"#,
        ids.join(",")
    )
}

#[test]
fn million_content_ids() {
    let text = meter_with_content_ids(1_000_000, "NONE", "");
    let session = timed_parse("1000000 content ids", &text).unwrap();
    assert_eq!(session.meter("m").unwrap().content_ids.len(), 1_000_000);
    assert!(session.warnings().is_empty());

    // A lookup is one search of the index built at parse time.
    let start = Instant::now();
    let consumed = decide(&session, "article-999999", Some("premium"));
    let metered = decide(&session, "article-1000000", Some("premium"));
    let unscoped = decide(&session, "article-0", None);
    println!(
        "1000000 content ids: three decisions in {:?}",
        start.elapsed()
    );
    assert_eq!(consumed.reason, Reason::Consumed);
    assert_eq!(metered.reason, Reason::Meter);
    assert_eq!(metered.remaining_credits, Some(4));
    assert_eq!(unscoped.reason, Reason::Consumed);
}

#[test]
fn content_ids_strip_params() {
    let text = meter_with_content_ids(100_000, "STRIP_PARAMS", "?ref=home");
    let session = timed_parse("100000 content ids with parameters", &text).unwrap();
    assert_eq!(
        decide(&session, "article-50000#top", Some("premium")).reason,
        Reason::Consumed
    );
    assert_eq!(
        decide(&session, "article-x?ref=home", Some("premium")).reason,
        Reason::Meter
    );
}

#[test]
fn million_wrong_content_ids_cap_warnings() {
    let items = vec!["7"; 1_000_000].join(",");
    let text = format!(
        r#"{{"access_model": {{"meters": {{"m": {{"remainingCredits": 1, "contentIds": [{items}]}}}}}}}}"#
    );
    let session = timed_parse("1000000 wrong-typed content ids", &text).unwrap();
    assert_eq!(session.warnings().len(), 101);
    assert_eq!(
        session.warnings()[100],
        "999900 more warnings were left out"
    );
    assert!(session.meter("m").unwrap().content_ids.is_empty());
}

#[test]
fn ten_megabyte_string() {
    let blob = "x".repeat(10 * 1024 * 1024);
    let text = format!(
        r#"{{"session_variables": {{"blob": "{blob}"}}, "access_model": {{"meters": {{"m": {{"remainingCredits": 2, "contentIds": ["{blob}"]}}}}}}}}"#
    );
    let session = timed_parse("10 MB strings", &text).unwrap();
    assert_eq!(
        session
            .session_variable("blob")
            .and_then(|value| value.as_str())
            .map(str::len),
        Some(blob.len())
    );
    assert_eq!(decide(&session, &blob, None).reason, Reason::Consumed);
    assert_eq!(decide(&session, &blob[1..], None).reason, Reason::None);
    let round_trip = session.document().to_json();
    assert_eq!(round_trip.len(), text.len() - text.matches(' ').count());
}

#[test]
fn ten_megabytes_of_meters() {
    let meters: Vec<String> = (0..100_000)
        .map(|index| {
            format!(
                r#""meter-{index:06}": {{"meterSize": 5, "remainingCredits": {}, "contentIds": ["c-{index}"], "contentIdTransform": "NONE"}}"#,
                index % 3
            )
        })
        .collect();
    let text = format!(
        r#"{{"access_model": {{"meters": {{{}}}, "delivered_entitlements": [{{"id": "premium", "meteredBy": ["meter-099999", "meter-000001"]}}]}}}}"#,
        meters.join(",")
    );
    assert!(text.len() > 10_000_000, "{} bytes", text.len());
    let session = timed_parse("10 MB of meters", &text).unwrap();
    assert_eq!(session.meters().count(), 100_000);
    assert_eq!(
        decide(&session, "c-99998", None).meter_id.as_deref(),
        Some("meter-099998")
    );
    let decision = decide(&session, "new", Some("premium"));
    assert_eq!(decision.reason, Reason::Meter);
    assert_eq!(decision.meter_id.as_deref(), Some("meter-000001"));
}

#[test]
fn long_ids_keep_warnings_small() {
    // Each wrong field of a meter adds a warning whose path names the meter,
    // so the path must not copy a long id in full.
    let id = "m".repeat(1024 * 1024);
    let wrong: Vec<String> = (0..200).map(|index| index.to_string()).collect();
    let text = format!(
        r#"{{"access_model": {{"meters": {{"{id}": {{"remainingCredits": "1", "contentIds": [{}]}}}},
            "delivered_entitlements": [{{"id": "{id}", "meteredBy": ["{id}x"]}}]}}, "test_groups": {{"{id}": 1}}}}"#,
        wrong.join(",")
    );
    let session = timed_parse("1 MB ids with wrong fields", &text).unwrap();
    assert_eq!(session.warnings().len(), 101);
    let total: usize = session.warnings().iter().map(String::len).sum();
    assert!(total < 64 * 1024, "the warnings hold {total} bytes");
    let cut_path = format!("access_model.meters.{}….contentIds[0]", "m".repeat(60));
    assert!(
        session
            .warnings()
            .iter()
            .any(|warning| warning.starts_with(&cut_path)),
        "{:?}",
        session.warnings()
    );
    assert!(session.meter(&id).is_some());
    assert_eq!(decide(&session, "x", Some(&id)).reason, Reason::Exhausted);
}

#[test]
fn repeated_entitlements_merge_in_linear_time() {
    // Two entries of one entitlement with 100,000 meters each, half shared.
    let first: Vec<String> = (0..100_000).map(|index| format!(r#""m{index}""#)).collect();
    let second: Vec<String> = (50_000..150_000)
        .map(|index| format!(r#""m{index}""#))
        .collect();
    let text = format!(
        r#"{{"access_model": {{"meters": {{"m149999": {{"remainingCredits": 1}}}}, "delivered_entitlements": [
            {{"id": "e", "meteredBy": [{}]}}, {{"id": "e", "meteredBy": [{}]}}]}}}}"#,
        first.join(","),
        second.join(",")
    );
    let session = timed_parse("two entitlements with 100000 meters each", &text).unwrap();
    let metered_by = &session.entitlement("e").unwrap().metered_by;
    assert_eq!(metered_by.len(), 150_000);
    assert_eq!(metered_by[149_999], "m149999");
    assert_eq!(
        decide(&session, "x", Some("e")).meter_id.as_deref(),
        Some("m149999")
    );

    // 100,000 entries of one entitlement, each with a meter of its own.
    let entries: Vec<String> = (0..100_000)
        .map(|index| format!(r#"{{"id": "e", "creditedBy": ["c{index}"]}}"#))
        .collect();
    let text = format!(
        r#"{{"access_model": {{"delivered_entitlements": [{}]}}}}"#,
        entries.join(",")
    );
    let session = timed_parse("100000 entries of one entitlement", &text).unwrap();
    assert_eq!(session.entitlements().len(), 1);
    assert_eq!(session.entitlement("e").unwrap().credited_by.len(), 100_000);
    assert_eq!(session.warnings().len(), 101);
}
