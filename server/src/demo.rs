//! Demo-only controls: `POST /demo/purchase/{sessionId}` turns a sample session into a
//! subscriber, `POST /demo/reset` restores every sample, and `POST /demo/outage?on=true|false`
//! makes lookups fail with 503 or work again. All change in-memory state only.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::app::{shorten_id, CURRENT_SESSION};
use crate::cookies;
use crate::sessions::{DemoSource, PurchaseOutcome};

/// Entitlement id that a demo purchase grants.
pub const PURCHASED_ENTITLEMENT: &str = "premium";

/// Builds the routes of the purchase flow.
pub fn routes(source: DemoSource) -> Router {
    Router::new()
        .route("/demo/purchase/{session_id}", post(purchase))
        .route("/demo/reset", post(reset))
        .route("/demo/outage", post(outage))
        .with_state(source)
}

/// Handles `POST /demo/purchase/{sessionId}`: 204 when the sample session is now a subscriber,
/// 404 for an unknown id. The id `current` names the session of the `blaize_session` cookie.
async fn purchase(
    State(source): State<DemoSource>,
    headers: HeaderMap,
    segment: Result<Path<String>, PathRejection>,
) -> Response {
    let Ok(Path(requested_id)) = segment else {
        return empty(StatusCode::NOT_FOUND);
    };
    let session_id = if requested_id == CURRENT_SESSION {
        match cookies::session_cookie(&headers) {
            Some(id) => id.to_owned(),
            None => return empty(StatusCode::NOT_FOUND),
        }
    } else {
        requested_id
    };

    match source.purchase(&session_id, unix_time_ms()) {
        Ok(PurchaseOutcome::Done) => {
            tracing::info!(session = %shorten_id(&session_id), "demo purchase: session is now a subscriber");
            empty(StatusCode::NO_CONTENT)
        }
        Ok(PurchaseOutcome::UnknownSession) => empty(StatusCode::NOT_FOUND),
        Err(error) => {
            tracing::error!(
                session = %shorten_id(&session_id),
                %error,
                "demo purchase failed: the sample document is not a JSON object"
            );
            empty(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// Handles `POST /demo/reset`: restores every sample document and responds with 204.
async fn reset(State(source): State<DemoSource>) -> Response {
    source.reset();
    tracing::info!("demo reset: every sample session is restored");
    empty(StatusCode::NO_CONTENT)
}

/// Handles `POST /demo/outage?on=true|false`: 204, or 400 for another query.
async fn outage(State(source): State<DemoSource>, RawQuery(query): RawQuery) -> Response {
    let on = match query.as_deref() {
        Some("on=true") => true,
        Some("on=false") => false,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                "pass ?on=true or ?on=false to switch the simulated outage\n",
            )
                .into_response()
        }
    };
    source.set_outage(on);
    tracing::info!(on, "demo outage switched");
    empty(StatusCode::NO_CONTENT)
}

fn empty(status: StatusCode) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response()
}

/// Returns `document` changed to a subscriber's: `access_model.delivered_entitlements` gets a
/// direct [`PURCHASED_ENTITLEMENT`] entitlement (replacing an existing entry of that id, in
/// place), `access_model.user_state` becomes `subscribed`, `v` increases by 1 and
/// `last_updated` becomes `now_ms`.
///
/// Missing or mistyped parts are created: an `access_model` or `delivered_entitlements` of the
/// wrong type is replaced, and a `v` that is not a whole number counts as 0. Fails only when
/// `document` is not a JSON object.
pub fn subscribe(document: &[u8], now_ms: u64) -> Result<Vec<u8>, serde_json::Error> {
    let mut fields: Map<String, Value> = serde_json::from_slice(document)?;

    let access_model = object_field(&mut fields, "access_model");
    let entitlement = json!({
        "id": PURCHASED_ENTITLEMENT,
        "direct": true,
        "meteredBy": [],
        "creditedBy": [],
    });
    let entitlements = match access_model.get_mut("delivered_entitlements") {
        Some(Value::Array(entries)) => entries,
        _ => {
            access_model.insert(
                "delivered_entitlements".to_owned(),
                Value::Array(Vec::new()),
            );
            match access_model.get_mut("delivered_entitlements") {
                Some(Value::Array(entries)) => entries,
                _ => unreachable!("delivered_entitlements was just set to an array"),
            }
        }
    };
    let existing = entitlements
        .iter_mut()
        .find(|entry| entry.get("id").and_then(Value::as_str) == Some(PURCHASED_ENTITLEMENT));
    match existing {
        Some(entry) => *entry = entitlement,
        None => entitlements.push(entitlement),
    }
    access_model.insert("user_state".to_owned(), json!("subscribed"));

    let version = fields.get("v").and_then(Value::as_i64).unwrap_or(0);
    fields.insert("v".to_owned(), json!(version.saturating_add(1)));
    fields.insert("last_updated".to_owned(), json!(now_ms));

    serde_json::to_vec_pretty(&Value::Object(fields))
}

/// Returns the object stored under `name`, first replacing a missing or non-object value with
/// an empty object.
fn object_field<'a>(fields: &'a mut Map<String, Value>, name: &str) -> &'a mut Map<String, Value> {
    if !fields.get(name).is_some_and(Value::is_object) {
        fields.insert(name.to_owned(), Value::Object(Map::new()));
    }
    match fields.get_mut(name) {
        Some(Value::Object(object)) => object,
        _ => unreachable!("{name} was just set to an object"),
    }
}

fn unix_time_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW_MS: u64 = 1_800_000_000_000;

    fn subscribed(document: &Value) -> Value {
        let bytes = serde_json::to_vec(document).unwrap_or_default();
        match subscribe(&bytes, NOW_MS).map(|out| serde_json::from_slice::<Value>(&out)) {
            Ok(Ok(value)) => value,
            Ok(Err(error)) => panic!("output is not JSON: {error}"),
            Err(error) => panic!("failed to subscribe {document}: {error}"),
        }
    }

    #[test]
    fn adds_premium_entitlement() {
        let document = json!({
            "v": 4,
            "access_model": {
                "delivered_entitlements": [{"id": "basic", "direct": true}],
                "user_state": "registered",
                "meters": {"monthly-free": {"remainingCredits": 0}},
            },
            "last_updated": 1,
        });
        let expected = json!({
            "v": 5,
            "access_model": {
                "delivered_entitlements": [
                    {"id": "basic", "direct": true},
                    {"id": "premium", "direct": true, "meteredBy": [], "creditedBy": []},
                ],
                "user_state": "subscribed",
                "meters": {"monthly-free": {"remainingCredits": 0}},
            },
            "last_updated": NOW_MS,
        });
        assert_eq!(subscribed(&document), expected);
    }

    #[test]
    fn replaces_metered_premium_in_place() {
        let document = json!({"access_model": {"delivered_entitlements": [
            {"id": "premium", "direct": false, "meteredBy": ["monthly-free"], "creditedBy": []},
            {"id": "other", "direct": true},
        ]}});
        let output = subscribed(&document);
        assert_eq!(
            output["access_model"]["delivered_entitlements"],
            json!([
                {"id": "premium", "direct": true, "meteredBy": [], "creditedBy": []},
                {"id": "other", "direct": true},
            ])
        );
        assert_eq!(output["v"], json!(1));
    }

    #[test]
    fn creates_missing_parts() {
        let output = subscribed(&json!({"v": "seven", "access_model": [1]}));
        assert_eq!(
            output,
            json!({
                "v": 1,
                "access_model": {
                    "delivered_entitlements": [
                        {"id": "premium", "direct": true, "meteredBy": [], "creditedBy": []},
                    ],
                    "user_state": "subscribed",
                },
                "last_updated": NOW_MS,
            })
        );
    }

    #[test]
    fn rejects_non_objects() {
        for input in [&b"[]"[..], b"null", b"not json"] {
            assert!(subscribe(input, NOW_MS).is_err(), "{input:?}");
        }
    }

    #[test]
    fn keeps_key_order() {
        let input = br#"{"z": 1, "v": 2, "a": 3}"#;
        let output = subscribe(input, NOW_MS).unwrap_or_default();
        let text = String::from_utf8_lossy(&output);
        let positions: Vec<Option<usize>> = ["\"z\"", "\"v\"", "\"a\"", "\"access_model\""]
            .iter()
            .map(|key| text.find(key))
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }
}
