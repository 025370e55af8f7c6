//! Properties that every parse and every decision must have, whatever the
//! input, checked by the property tests and the fuzz target.
//!
//! Decisions are checked against a second implementation of the access rules
//! that reads the raw JSON value directly, so a bug in the tolerant reader or
//! in the rules shows up as a disagreement between the two.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use zephr_session::{Decision, ErrorCode, Reason, Session};

/// `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// The maximum number of warning lines: 100 warnings and one line that counts the rest.
const MAX_WARNING_LINES: usize = 101;

/// A generous bound on the bytes of one warning. A warning has a path with a
/// key cut to 60 characters and at most two quoted values cut to 60
/// characters each, and a quoted character may be an escape of up to 10 bytes.
const MAX_WARNING_BYTES: usize = 2048;

/// At most this many content ids and entitlement ids are tried on each document.
const MAX_PROBES: usize = 16;

/// Parses `bytes` through [`Session::from_slice`] and, when they are UTF-8, through
/// [`Session::parse`], checks that both agree, and checks every invariant.
pub fn check_bytes(bytes: &[u8]) {
    let from_slice = Session::from_slice(bytes, None);
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let parsed = check_text(text);
            assert_eq!(
                from_slice.as_ref().map(|session| session.document()),
                parsed.as_ref().map(|session| session.document()),
                "from_slice and parse disagree"
            );
        }
        Err(_) => {
            let error = from_slice.err().unwrap_or_else(|| {
                panic!("from_slice accepted bytes that are not UTF-8");
            });
            assert_eq!(error.code, ErrorCode::InvalidResponse);
        }
    }
}

/// Returns the document as serde_json reads the crate's own JSON text of it,
/// so that it compares with what serde_json reads from the input.
pub fn as_serde(document: &zephr_session::json::Map) -> Map<String, Value> {
    let text = document.to_json();
    serde_json::from_str(&text).unwrap_or_else(|error| {
        panic!("the document's JSON text does not parse: {error}\n{text}");
    })
}

/// Returns a value as serde_json reads the crate's own JSON text of it.
pub fn value_as_serde(value: &zephr_session::json::Value) -> Value {
    let text = value.to_json();
    serde_json::from_str(&text).unwrap_or_else(|error| {
        panic!("the value's JSON text does not parse: {error}\n{text}");
    })
}

/// Parses `text`, checks the error or every invariant of the session, and
/// returns the result.
pub fn check_text(text: &str) -> Result<Session, zephr_session::Error> {
    let result = Session::parse(text, None);
    match &result {
        Ok(session) => {
            // Where serde_json reads the text unchanged, the document is exactly that value.
            if let Ok(Value::Object(expected)) = serde_json::from_str::<Value>(text) {
                assert_eq!(
                    as_serde(session.document()),
                    expected,
                    "document differs from the input"
                );
            }
            check_session(session);
        }
        Err(error) => {
            assert_eq!(error.code, ErrorCode::InvalidResponse, "{error}");
            assert_eq!(error.status, None);
            assert!(
                error.message.starts_with("the session document"),
                "{}",
                error.message
            );
            if let Ok(value) = serde_json::from_str::<Value>(text) {
                assert!(!value.is_object(), "a JSON object was rejected: {error}");
            }
        }
    }
    result
}

/// Checks every invariant of a session read from a document.
pub fn check_session(session: &Session) {
    let document = &as_serde(session.document());
    check_round_trip(session);
    check_warnings(session);
    check_counts(session, document);
    check_entitlements(session, document);
    check_decisions(session, document);
}

/// Checks that the document serializes to text that parses back to the same
/// document, in the same key order, and that reading that text gives the same
/// warnings, meters, credits and entitlements.
fn check_round_trip(session: &Session) {
    let document = session.document();
    let text = document.to_json();
    let reparsed: Map<String, Value> = serde_json::from_str(&text).unwrap_or_else(|error| {
        panic!("the serialized document does not parse: {error}\n{text}");
    });
    let keys: Vec<&String> = reparsed.keys().collect();
    let own_keys: Vec<&String> = document.keys().collect();
    assert_eq!(keys, own_keys, "the key order does not round-trip");

    let again = Session::parse(&text, None).unwrap_or_else(|error| {
        panic!("the serialized document is rejected: {error}");
    });
    assert_eq!(
        again.document(),
        document,
        "the document does not round-trip"
    );
    assert_eq!(
        again.document().to_json(),
        text,
        "the text does not round-trip"
    );
    assert_eq!(again.warnings(), session.warnings());
    assert!(again.meters().eq(session.meters()));
    assert!(again.credits().eq(session.credits()));
    assert_eq!(again.entitlements(), session.entitlements());
}

fn check_warnings(session: &Session) {
    let warnings = session.warnings();
    assert!(
        warnings.len() <= MAX_WARNING_LINES,
        "{} warning lines",
        warnings.len()
    );
    for warning in warnings {
        assert!(
            warning.len() <= MAX_WARNING_BYTES,
            "a warning of {} bytes: {:.200}",
            warning.len(),
            warning
        );
    }
}

/// Checks meters and credits, and their counts, against the raw document.
fn check_counts(session: &Session, document: &Map<String, Value>) {
    let meters = entries(document, "meters");
    let credits = entries(document, "credits");
    assert_eq!(session.meters().count(), meters.len(), "meter count");
    assert_eq!(session.credits().count(), credits.len(), "credit count");

    for (id, fields) in &meters {
        let meter = session
            .meter(id)
            .unwrap_or_else(|| panic!("meter {id:?} is missing"));
        assert_eq!(&meter.id, id);
        let expected = expected_count(fields.get("remainingCredits"));
        assert_eq!(meter.remaining_credits, expected, "meter {id:?}");
        assert_eq!(session.remaining_credits(id), expected, "meter {id:?}");
        assert_eq!(
            meter.meter_size,
            expected_count(fields.get("meterSize")),
            "meter {id:?}"
        );
        assert_eq!(meter.content_ids, strings(fields.get("contentIds")));
    }
    for (id, fields) in &credits {
        let credit = session
            .credit(id)
            .unwrap_or_else(|| panic!("credit {id:?} is missing"));
        assert_eq!(
            credit.remaining_credits,
            expected_count(fields.get("remainingCredits")),
            "credit {id:?}"
        );
        assert_eq!(credit.content_ids, strings(fields.get("contentIds")));
    }
}

/// Checks delivered entitlements against the raw document.
fn check_entitlements(session: &Session, document: &Map<String, Value>) {
    let delivered = delivered(document);
    assert_eq!(session.entitlements().len(), delivered.len());
    for (id, expected) in &delivered {
        assert!(session.has_entitlement(id), "{id:?} is not delivered");
        let entitlement = session
            .entitlement(id)
            .unwrap_or_else(|| panic!("entitlement {id:?} is missing"));
        assert_eq!(entitlement.direct, expected.direct, "{id:?}");
    }
    for probe in ["__proto__", "constructor", "toString", "hasOwnProperty"] {
        assert_eq!(
            session.has_entitlement(probe),
            delivered.contains_key(probe),
            "{probe}"
        );
    }
}

/// Decides on content ids taken from the document and a few fixed ones, and
/// compares every decision with the reference rules below.
fn check_decisions(session: &Session, document: &Map<String, Value>) {
    let rules = ReferenceRules::new(document);
    let mut content_ids: Vec<String> = Vec::new();
    for meter in session.meters() {
        content_ids.extend(meter.content_ids.iter().take(2).cloned());
    }
    for credit in session.credits() {
        content_ids.extend(credit.content_ids.iter().take(2).cloned());
    }
    let mut probes: Vec<String> = Vec::new();
    for id in content_ids.iter().take(MAX_PROBES / 2) {
        probes.push(id.clone());
        probes.push(format!("{id}?x"));
        let stripped = id.split(['?', '#']).next().unwrap_or_default();
        probes.push(stripped.to_owned());
    }
    for fixed in ["__proto__", "constructor", "x", "?", "#", "\u{FFFD}", ""] {
        probes.push(fixed.to_owned());
    }
    let mut entitlement_ids: Vec<Option<String>> = vec![None, Some("__proto__".to_owned())];
    entitlement_ids.extend(
        session
            .entitlements()
            .iter()
            .take(MAX_PROBES / 2)
            .map(|entitlement| Some(entitlement.id.clone())),
    );
    probes.extend(entitlement_ids.iter().flatten().take(4).cloned());

    for content_id in &probes {
        for entitlement_id in &entitlement_ids {
            check_decision(session, &rules, content_id, entitlement_id.as_deref());
        }
    }
}

fn check_decision(
    session: &Session,
    rules: &ReferenceRules,
    content_id: &str,
    entitlement_id: Option<&str>,
) {
    let result = session.decide(content_id, entitlement_id);
    if content_id.is_empty() || entitlement_id == Some("") {
        let error = result.err().unwrap_or_else(|| {
            panic!("decide accepted an empty id: {content_id:?} {entitlement_id:?}")
        });
        assert_eq!(error.code, ErrorCode::InvalidArgument);
        return;
    }
    let decision = result.unwrap_or_else(|error| panic!("decide({content_id:?}) failed: {error}"));
    let context = format!("decide({content_id:?}, {entitlement_id:?}) = {decision:?}");

    let granted_reason = matches!(
        decision.reason,
        Reason::Entitlement | Reason::Consumed | Reason::Meter | Reason::Credit
    );
    assert_eq!(decision.granted, granted_reason, "{context}");
    if let Some(meter_id) = &decision.meter_id {
        assert!(session.meter(meter_id).is_some(), "{context}");
    }
    if let Some(credit_id) = &decision.credit_id {
        assert!(session.credit(credit_id).is_some(), "{context}");
    }
    if matches!(decision.reason, Reason::Meter | Reason::Credit) {
        assert!(
            decision.remaining_credits.is_some_and(|count| count > 0),
            "{context}"
        );
    } else {
        assert_eq!(decision.remaining_credits, None, "{context}");
    }

    let expected = rules.decide(content_id, entitlement_id);
    assert_eq!(decision, expected, "{context}");

    if entitlement_id.is_none() {
        let entitled = session.is_entitled(content_id).unwrap_or_else(|error| {
            panic!("is_entitled({content_id:?}) failed: {error}");
        });
        assert_eq!(entitled, decision.granted, "{context}");
    }
}

/// Returns the meters or credits of the document: the entries of
/// `access_model.<name>` whose value is an object.
fn entries<'d>(
    document: &'d Map<String, Value>,
    name: &str,
) -> BTreeMap<String, &'d Map<String, Value>> {
    let mut found = BTreeMap::new();
    if let Some(Value::Object(map)) = access_model(document).and_then(|access| access.get(name)) {
        for (id, value) in map {
            if let Value::Object(fields) = value {
                found.insert(id.clone(), fields);
            }
        }
    }
    found
}

fn access_model(document: &Map<String, Value>) -> Option<&Map<String, Value>> {
    document.get("access_model")?.as_object()
}

/// The count the reader must make of a field: an integral number within the
/// safe integer range, with negative numbers read as 0.
fn expected_count(value: Option<&Value>) -> Option<u64> {
    let number = value?.as_f64()?;
    if number.fract() != 0.0 || number.abs() > MAX_SAFE_INTEGER {
        return None;
    }
    Some(if number < 0.0 { 0 } else { number as u64 })
}

/// Returns the string elements of an array field, in order.
fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| item.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

/// One delivered entitlement, with every entry that repeats its id merged in.
#[derive(Default)]
struct ReferenceEntitlement {
    direct: bool,
    metered_by: Vec<String>,
    credited_by: Vec<String>,
}

fn delivered(document: &Map<String, Value>) -> BTreeMap<String, ReferenceEntitlement> {
    let mut delivered: BTreeMap<String, ReferenceEntitlement> = BTreeMap::new();
    let items = access_model(document)
        .and_then(|access| access.get("delivered_entitlements"))
        .and_then(Value::as_array);
    for item in items.into_iter().flatten() {
        let Some(fields) = item.as_object() else {
            continue;
        };
        let Some(id) = fields.get("id").and_then(Value::as_str) else {
            continue;
        };
        let entry = delivered.entry(id.to_owned()).or_default();
        entry.direct |= fields.get("direct") == Some(&Value::Bool(true));
        entry.metered_by.extend(strings(fields.get("meteredBy")));
        entry.credited_by.extend(strings(fields.get("creditedBy")));
    }
    delivered
}

/// A meter or credit as the access rules see it.
struct Source {
    remaining: Option<u64>,
    content_ids: Vec<String>,
    transform: Option<String>,
}

impl Source {
    fn new(fields: &Map<String, Value>) -> Self {
        Source {
            remaining: expected_count(fields.get("remainingCredits")),
            content_ids: strings(fields.get("contentIds")),
            transform: fields
                .get("contentIdTransform")
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }

    fn has_recorded(&self, content_id: &str) -> bool {
        let strip = |id: &'_ str| id.split(['?', '#']).next().unwrap_or_default().to_owned();
        match self.transform.as_deref() {
            Some("PREPEND_RANDOM") => false,
            Some("STRIP_PARAMS") => {
                let wanted = strip(content_id);
                self.content_ids.iter().any(|id| strip(id) == wanted)
            }
            _ => self.content_ids.iter().any(|id| id == content_id),
        }
    }
}

/// The access rules, written a second time straight from their description
/// and applied to the raw document.
struct ReferenceRules {
    meters: BTreeMap<String, Source>,
    credits: BTreeMap<String, Source>,
    delivered: BTreeMap<String, ReferenceEntitlement>,
}

impl ReferenceRules {
    fn new(document: &Map<String, Value>) -> Self {
        let sources = |name: &str| {
            entries(document, name)
                .into_iter()
                .map(|(id, fields)| (id, Source::new(fields)))
                .collect()
        };
        ReferenceRules {
            meters: sources("meters"),
            credits: sources("credits"),
            delivered: delivered(document),
        }
    }

    fn decide(&self, content_id: &str, entitlement_id: Option<&str>) -> Decision {
        let checked = entitlement_id.unwrap_or(content_id);
        let entitlement = self.delivered.get(checked);
        let decision = |granted, reason| Decision {
            granted,
            reason,
            entitlement_id: entitlement.map(|_| checked.to_owned()),
            meter_id: None,
            credit_id: None,
            remaining_credits: None,
        };
        if entitlement.is_some_and(|entitlement| entitlement.direct) {
            return decision(true, Reason::Entitlement);
        }

        let (meter_scope, credit_scope): (Vec<&String>, Vec<&String>) = match entitlement {
            Some(entitlement) => (
                entitlement.metered_by.iter().collect(),
                entitlement.credited_by.iter().collect(),
            ),
            None => (self.meters.keys().collect(), self.credits.keys().collect()),
        };
        let consumed_meter = meter_scope.iter().find(|id| {
            self.meters
                .get(id.as_str())
                .is_some_and(|meter| meter.has_recorded(content_id))
        });
        if let Some(id) = consumed_meter {
            return Decision {
                meter_id: Some((*id).clone()),
                ..decision(true, Reason::Consumed)
            };
        }
        let consumed_credit = credit_scope.iter().find(|id| {
            self.credits
                .get(id.as_str())
                .is_some_and(|credit| credit.has_recorded(content_id))
        });
        if let Some(id) = consumed_credit {
            return Decision {
                credit_id: Some((*id).clone()),
                ..decision(true, Reason::Consumed)
            };
        }

        let Some(entitlement) = entitlement else {
            return decision(false, Reason::None);
        };
        for id in &entitlement.metered_by {
            if let Some(remaining) = self.meters.get(id).and_then(|meter| meter.remaining) {
                if remaining > 0 {
                    return Decision {
                        meter_id: Some(id.clone()),
                        remaining_credits: Some(remaining),
                        ..decision(true, Reason::Meter)
                    };
                }
            }
        }
        for id in &entitlement.credited_by {
            if let Some(remaining) = self.credits.get(id).and_then(|credit| credit.remaining) {
                if remaining > 0 {
                    return Decision {
                        credit_id: Some(id.clone()),
                        remaining_credits: Some(remaining),
                        ..decision(true, Reason::Credit)
                    };
                }
            }
        }
        decision(false, Reason::Exhausted)
    }
}
