//! Property tests: generated session documents, mostly valid with random
//! wrong types, and raw random JSON, checked against the invariants in
//! `support/invariants.rs`.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/invariants.rs"]
mod invariants;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{json, Value};
use zephr_session::{encode_uri_component, Session};

/// Ids that tend to break naive code: JavaScript prototype names, the empty
/// string, URL parameter markers and non-ASCII text.
const TRICKY_IDS: &[&str] = &[
    "m1",
    "m2",
    "c1",
    "c2",
    "premium",
    "basic",
    "a",
    "a?x",
    "a#y",
    "a?",
    "?",
    "#",
    "",
    "__proto__",
    "constructor",
    "toString",
    "hasOwnProperty",
    "prototype",
    "\u{FFFD}",
    "Ω/ü",
];

fn id() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(TRICKY_IDS).prop_map(str::to_owned),
        2 => "[ac?#/]{0,5}",
        1 => "\\PC{0,8}",
    ]
}

/// Generates an id from a small pool, so that entitlements often name meters and
/// credits that exist and content ids often match recorded ones.
fn pooled_id(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        8 => select(pool).prop_map(str::to_owned),
        1 => id(),
    ]
}

const SOURCE_IDS: &[&str] = &["m1", "m2", "__proto__", "constructor"];
const CONTENT_IDS: &[&str] = &["a", "a?x", "a#y", "b", "__proto__"];
const ENTITLEMENT_IDS: &[&str] = &["premium", "basic", "a", "__proto__"];

/// Any JSON value, nested a few levels.
fn raw_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "\\PC{0,10}".prop_map(Value::from),
        id().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((id(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Generates a field's value: usually from `strategy`, sometimes a random
/// value of any type.
fn field<S: Strategy<Value = Value>>(strategy: S) -> impl Strategy<Value = Value> {
    prop_oneof![8 => strategy, 1 => raw_json()]
}

fn count() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => (0i64..4).prop_map(Value::from),
        2 => (4i64..10).prop_map(Value::from),
        2 => (-5i64..0).prop_map(Value::from),
        2 => select(vec![
            2.5,
            -0.5,
            -0.0,
            3.0,
            1e20,
            9_007_199_254_740_991.0,
            9_007_199_254_740_992.0,
            -9_007_199_254_740_991.0,
        ])
        .prop_map(Value::from),
        2 => select(vec![
            json!(null),
            json!("4"),
            json!("NaN"),
            json!("Infinity"),
            json!(true),
            json!([]),
            json!({}),
            json!(u64::MAX),
            json!(i64::MIN),
            json!(9_007_199_254_740_993_u64),
        ]),
        1 => any::<f64>().prop_map(Value::from),
    ]
}

fn transform() -> impl Strategy<Value = Value> {
    select(vec![
        json!("NONE"),
        json!("STRIP_PARAMS"),
        json!("PREPEND_RANDOM"),
        json!("LOWERCASE"),
        json!("none"),
        json!(null),
        json!(5),
    ])
}

fn date() -> impl Strategy<Value = Value> {
    select(vec![
        json!("2025-02-08 14:29 PM UTC"),
        json!("2025-02-08 02:29 PM UTC"),
        json!("2025-02-08 14:29 AM UTC"),
        json!("2024-06-01 00:00:00"),
        json!("2024-02-08T08:48:33.056008906Z[UTC]"),
        json!("2024-02-30 10:00"),
        json!("next tuesday"),
        json!(""),
        json!(1_707_230_240_685_i64),
        json!(null),
    ])
}

fn content_ids() -> impl Strategy<Value = Value> {
    field(
        prop::collection::vec(
            prop_oneof![8 => pooled_id(CONTENT_IDS).prop_map(Value::from), 1 => raw_json()],
            0..6,
        )
        .prop_map(Value::Array),
    )
}

fn source_ids() -> impl Strategy<Value = Value> {
    field(
        prop::collection::vec(pooled_id(SOURCE_IDS).prop_map(Value::from), 0..4)
            .prop_map(Value::Array),
    )
}

fn bundle_ids() -> impl Strategy<Value = Value> {
    field(prop::collection::vec(id().prop_map(Value::from), 0..4).prop_map(Value::Array))
}

/// An optional field, present most of the time so that generated documents
/// reach deep into the rules.
fn present<S: Strategy>(strategy: S) -> impl Strategy<Value = Option<S::Value>> {
    proptest::option::weighted(0.85, strategy)
}

/// Builds an object from optional fields, leaving out the absent ones.
fn object(fields: Vec<(&str, Option<Value>)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_owned(), value?)))
            .collect(),
    )
}

fn meter() -> impl Strategy<Value = Value> {
    (
        present(count()),
        present(count()),
        present(content_ids()),
        present(transform()),
        present(date()),
    )
        .prop_map(|(size, remaining, content, transform, refresh)| {
            object(vec![
                ("meterSize", size),
                ("remainingCredits", remaining),
                ("contentIds", content),
                ("contentIdTransform", transform),
                ("refreshTime", refresh),
            ])
        })
}

/// A map of meters or credits: usually an object of entries, sometimes `[]`
/// or a value of another type.
fn sources() -> impl Strategy<Value = Value> {
    prop_oneof![
        8 => prop::collection::vec((pooled_id(SOURCE_IDS), field(meter())), 0..5)
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        1 => Just(json!([])),
        1 => raw_json(),
    ]
}

fn entitlement() -> impl Strategy<Value = Value> {
    (
        present(field(pooled_id(ENTITLEMENT_IDS).prop_map(Value::from))),
        present(field(
            prop_oneof![3 => Just(json!(false)), 1 => Just(json!(true))],
        )),
        present(source_ids()),
        present(source_ids()),
    )
        .prop_map(|(id, direct, metered_by, credited_by)| {
            object(vec![
                ("id", id),
                ("direct", direct),
                ("meteredBy", metered_by),
                ("creditedBy", credited_by),
            ])
        })
}

fn session_entry() -> impl Strategy<Value = Value> {
    (
        present(field(id().prop_map(Value::from))),
        present(field(any::<bool>().prop_map(Value::from))),
        present(date()),
        present(date()),
    )
        .prop_map(|(session_id, authenticated, start, expiry)| {
            object(vec![
                ("session_id", session_id),
                ("authenticated", authenticated),
                ("startDate", start),
                ("expiryDate", expiry),
            ])
        })
}

fn access_model() -> impl Strategy<Value = Value> {
    (
        present(sources()),
        present(sources()),
        present(field(
            prop::collection::vec(field(entitlement()), 0..5).prop_map(Value::Array),
        )),
        present(bundle_ids()),
        present(bundle_ids()),
        present(field(id().prop_map(Value::from))),
    )
        .prop_map(|(meters, credits, delivered, granted, jwt, user_state)| {
            object(vec![
                ("meters", meters),
                ("credits", credits),
                ("delivered_entitlements", delivered),
                ("granted_bundles", granted),
                ("jwt_bundles", jwt),
                ("user_state", user_state),
            ])
        })
}

/// A session document: mostly valid, with random wrong types, nulls, odd
/// counts and ids, and unknown fields.
fn document() -> impl Strategy<Value = Value> {
    (
        present(field(access_model())),
        present(field(
            prop::collection::vec(field(session_entry()), 0..3).prop_map(Value::Array),
        )),
        present(field(any::<bool>().prop_map(Value::from))),
        present(count()),
        present(raw_json()),
        present(count()),
        present(raw_json()),
    )
        .prop_map(
            |(access, sessions, authenticated, version, variables, updated, unknown)| {
                object(vec![
                    ("access_model", access),
                    ("sessions", sessions),
                    ("authenticated", authenticated),
                    ("v", version),
                    ("session_variables", variables),
                    ("last_updated", updated),
                    ("future_field", unknown),
                ])
            },
        )
}

/// One piece of a JSON string literal, with the UTF-16 code units JavaScript
/// reads from it.
#[derive(Clone, Debug)]
enum Piece {
    /// A `\uXXXX` escape of any code unit, surrogates included.
    Escape { unit: u16, upper: bool },
    /// A short escape such as `\n` or `\\`.
    Short(&'static str, u16),
    /// A character written as itself.
    Char(char),
}

impl Piece {
    fn write(&self, literal: &mut String, units: &mut Vec<u16>) {
        match self {
            Piece::Escape { unit, upper } => {
                if *upper {
                    literal.push_str(&format!("\\u{unit:04X}"));
                } else {
                    literal.push_str(&format!("\\u{unit:04x}"));
                }
                units.push(*unit);
            }
            Piece::Short(escape, unit) => {
                literal.push_str(escape);
                units.push(*unit);
            }
            Piece::Char(character) => {
                literal.push(*character);
                let mut buffer = [0; 2];
                units.extend_from_slice(character.encode_utf16(&mut buffer));
            }
        }
    }
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        3 => (0xD7F0u16..0xE010, any::<bool>())
            .prop_map(|(unit, upper)| Piece::Escape { unit, upper }),
        1 => (any::<u16>(), any::<bool>()).prop_map(|(unit, upper)| Piece::Escape { unit, upper }),
        2 => select(vec![
            ("\\\\", u16::from(b'\\')),
            ("\\\"", u16::from(b'"')),
            ("\\/", u16::from(b'/')),
            ("\\n", u16::from(b'\n')),
            ("\\t", u16::from(b'\t')),
        ])
        .prop_map(|(escape, unit)| Piece::Short(escape, unit)),
        2 => select(vec!['u', 'd', '8', '0', 'a', 'é', '😀', '\u{FFFD}'])
            .prop_map(Piece::Char),
    ]
}

/// The text of a JSON string literal built from pieces, and the string that
/// JavaScript's `JSON.parse` reads from it, as wasm-bindgen would pass it to
/// Rust: each lone surrogate replaced by U+FFFD.
fn literal(pieces: &[Piece]) -> (String, String) {
    let mut text = String::from("\"");
    let mut units = Vec::new();
    for piece in pieces {
        piece.write(&mut text, &mut units);
    }
    text.push('"');
    (text, String::from_utf16_lossy(&units))
}

/// The count JavaScript reads from a number in JSON text: `Number(text)`,
/// then the reader's rule for integers.
fn js_count(number_text: &str) -> Option<u64> {
    let number: f64 = number_text.parse().ok()?;
    if !number.is_finite() || number.fract() != 0.0 || number.abs() > 9_007_199_254_740_991.0 {
        return None;
    }
    Some(if number < 0.0 { 0 } else { number as u64 })
}

/// The bytes that `encodeURIComponent` encodes, for the percent-encoding
/// crate: every byte but ASCII letters, digits and `-_.!~*'()`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encoding_agrees_with_percent_encoding(text in any::<String>()) {
        let expected = utf8_percent_encode(&text, URI_COMPONENT).to_string();
        prop_assert_eq!(encode_uri_component(&text), expected);
    }

    #[test]
    fn generated_documents_hold_invariants(document in document(), pretty in any::<bool>()) {
        let text = if pretty {
            serde_json::to_string_pretty(&document)
        } else {
            serde_json::to_string(&document)
        };
        let text = text.unwrap_or_default();
        let result = invariants::check_text(&text);
        prop_assert!(result.is_ok(), "{:?}", result.err());
    }

    #[test]
    fn raw_json_holds_invariants(value in raw_json()) {
        let text = serde_json::to_string(&value).unwrap_or_default();
        let result = invariants::check_text(&text);
        prop_assert_eq!(result.is_ok(), value.is_object());
    }

    #[test]
    fn random_bytes_hold_invariants(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        invariants::check_bytes(&bytes);
    }

    #[test]
    fn duplicate_keys_keep_last_value(
        pairs in prop::collection::vec(
            (select(vec!["v", "access_model", "x", "__proto__", ""]), field(count())),
            0..8,
        ),
    ) {
        let members: Vec<String> = pairs
            .iter()
            .map(|(key, value)| format!("{}:{}", Value::from(*key), value))
            .collect();
        let text = format!("{{{}}}", members.join(","));
        // What `JSON.parse` builds: the last value, at the position of the first key.
        let mut expected: Vec<(String, Value)> = Vec::new();
        for (key, value) in &pairs {
            match expected.iter_mut().find(|(seen, _)| seen == key) {
                Some(entry) => entry.1 = value.clone(),
                None => expected.push(((*key).to_owned(), value.clone())),
            }
        }
        let session = invariants::check_text(&text);
        prop_assert!(session.is_ok(), "{:?}", session.err());
        let session = session.unwrap_or_else(|_| unreachable!());
        let actual: Vec<(String, Value)> = session
            .document()
            .iter()
            .map(|(key, value)| (key.clone(), invariants::value_as_serde(value)))
            .collect();
        prop_assert_eq!(actual, expected);
    }

    #[test]
    fn escaped_strings_read_as_javascript(
        value_pieces in prop::collection::vec(piece(), 0..8),
        key_pieces in prop::collection::vec(piece(), 1..4),
    ) {
        let (value_literal, value) = literal(&value_pieces);
        let (key_literal, key) = literal(&key_pieces);
        let text = format!(
            r#"{{"session_variables": {{"s": {value_literal}}},
                "access_model": {{"meters": {{{key_literal}: {{"remainingCredits": 1, "contentIds": [{value_literal}]}}}}}}}}"#
        );
        let session = invariants::check_text(&text);
        prop_assert!(session.is_ok(), "{:?}\n{}", session.err(), text);
        let session = session.unwrap_or_else(|_| unreachable!());
        prop_assert_eq!(
            session.session_variable("s").and_then(|variable| variable.as_str()),
            Some(value.as_str())
        );
        prop_assert_eq!(session.remaining_credits(&key), Some(1));
        let meter = session.meter(&key);
        prop_assert!(meter.is_some());
        prop_assert_eq!(meter.map(|meter| meter.content_ids.clone()), Some(vec![value]));
    }

    #[test]
    fn floats_round_trip_exactly(number in any::<f64>()) {
        // `to_string` writes the shortest text that reads back as the same
        // number, as `JSON.stringify` does.
        prop_assume!(number.is_finite());
        let written = serde_json::to_string(&number).unwrap_or_default();
        let text = format!(r#"{{"session_variables": {{"x": {written}}}}}"#);
        let session = invariants::check_text(&text);
        prop_assert!(session.is_ok(), "{:?}", session.err());
        let session = session.unwrap_or_else(|_| unreachable!());
        let read = session
            .session_variable("x")
            .and_then(|variable| variable.as_number())
            .map(|number| number.as_f64());
        prop_assert_eq!(read.map(f64::to_bits), Some(number.to_bits()), "{}", written);
    }

    #[test]
    fn number_forms_read_as_javascript(
        negative in any::<bool>(),
        integer in "0|[1-9][0-9]{0,20}",
        fraction in present("[0-9]{1,4}"),
        exponent in present((select(vec!["e", "E"]), select(vec!["", "+", "-"]), 0u32..500)),
    ) {
        let mut number = String::new();
        if negative {
            number.push('-');
        }
        number.push_str(&integer);
        if let Some(fraction) = &fraction {
            number.push('.');
            number.push_str(fraction);
        }
        if let Some((marker, sign, digits)) = exponent {
            number.push_str(&format!("{marker}{sign}{digits}"));
        }
        let text = format!(r#"{{"access_model": {{"meters": {{"m": {{"remainingCredits": {number}}}}}}}}}"#);
        let session = invariants::check_text(&text);
        prop_assert!(session.is_ok(), "{:?}", session.err());
        let session = session.unwrap_or_else(|_| unreachable!());
        prop_assert_eq!(session.remaining_credits("m"), js_count(&number), "{}", number);
    }
}

#[test]
fn float_parses_correctly_rounded() {
    // serde_json's default float parser reads this as 1.9477003958951618e-169,
    // one unit in the last place off; `JSON.parse` and Rust's `str::parse`
    // round correctly.
    let number = "1.947700395895162e-169";
    let text = format!(r#"{{"session_variables": {{"x": {number}}}}}"#);
    let session = invariants::check_text(&text).unwrap();
    let expected: f64 = number.parse().unwrap();
    let read = session
        .session_variable("x")
        .and_then(|variable| variable.as_number())
        .map(|number| number.as_f64());
    assert_eq!(read, Some(expected));
    assert!(session.document().to_json().contains(number));
}

#[test]
fn generated_documents_parse_to_sessions() {
    // A fixed document from the same shapes, so that a broken strategy that
    // generates only rejected documents does not pass unnoticed.
    let document = json!({
        "access_model": {
            "meters": {"__proto__": {"remainingCredits": 2, "contentIds": ["a?x"], "contentIdTransform": "STRIP_PARAMS"}},
            "delivered_entitlements": [{"id": "constructor", "meteredBy": ["__proto__"]}]
        }
    });
    let text = serde_json::to_string(&document).unwrap();
    let session = invariants::check_text(&text).unwrap();
    assert_eq!(session.remaining_credits("__proto__"), Some(2));
    let decision = session.decide("a#y", Some("constructor")).unwrap();
    assert!(decision.granted);
    assert_eq!(decision.meter_id.as_deref(), Some("__proto__"));
    let map = session.document().clone();
    assert!(Session::from_value(zephr_session::json::Value::Object(map), None).is_ok());
}
