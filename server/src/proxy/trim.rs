//! Removes the reader's other sessions from a session document.
//!
//! The `sessions` array of a document lists every session of the reader, with the device,
//! browser, operating system and location of each. A page needs only its own entry, so the
//! proxy keeps the entry whose `session_id` equals the caller's session id and drops the rest.

use axum::body::Bytes;
use serde_json::Value;

/// Document that could not be trimmed because it is not a JSON object.
#[derive(Debug)]
pub struct NotAnObject;

/// Returns `document` with `sessions` reduced to the entries whose `session_id` is
/// `session_id`.
///
/// A document without `sessions` is returned unchanged. A `sessions` value that is not an array
/// cannot be filtered, so it is removed. Object keys keep their order.
pub fn keep_own_session(document: &[u8], session_id: &str) -> Result<Bytes, NotAnObject> {
    let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(document) else {
        return Err(NotAnObject);
    };

    match fields.get_mut("sessions") {
        None => return Ok(Bytes::copy_from_slice(document)),
        Some(Value::Array(entries)) => entries
            .retain(|entry| entry.get("session_id").and_then(Value::as_str) == Some(session_id)),
        Some(_) => {
            fields.shift_remove("sessions");
        }
    }

    serde_json::to_vec(&Value::Object(fields))
        .map(Bytes::from)
        .map_err(|_| NotAnObject)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn trimmed(document: &Value, session_id: &str) -> Value {
        let bytes = match serde_json::to_vec(document) {
            Ok(bytes) => bytes,
            Err(error) => panic!("failed to serialize the test document: {error}"),
        };
        match keep_own_session(&bytes, session_id) {
            Ok(output) => match serde_json::from_slice(&output) {
                Ok(value) => value,
                Err(error) => panic!("trimmed output is not JSON: {error}"),
            },
            Err(NotAnObject) => panic!("failed to trim {document}"),
        }
    }

    #[test]
    fn keeps_only_own_entry() {
        let document = json!({
            "user_id": "U1",
            "sessions": [
                {"session_id": "other", "city": "Paris", "browser": "Safari"},
                {"session_id": "mine", "city": "Lyon", "browser": "Firefox"},
                {"city": "Nice"},
                "not an object",
            ],
            "access_model": {"user_state": "registered"},
        });
        let expected = json!({
            "user_id": "U1",
            "sessions": [{"session_id": "mine", "city": "Lyon", "browser": "Firefox"}],
            "access_model": {"user_state": "registered"},
        });
        assert_eq!(trimmed(&document, "mine"), expected);
    }

    #[test]
    fn no_matching_entry_leaves_empty_array() {
        let document = json!({"sessions": [{"session_id": "other"}]});
        assert_eq!(trimmed(&document, "mine"), json!({"sessions": []}));
    }

    #[test]
    fn session_id_match_is_exact() {
        let document = json!({"sessions": [
            {"session_id": "MINE"},
            {"session_id": "mine "},
            {"session_id": 7},
        ]});
        assert_eq!(trimmed(&document, "mine"), json!({"sessions": []}));
    }

    #[test]
    fn document_without_sessions_is_unchanged() {
        let input = br#"{"b": 1,  "a": [2]}"#;
        let output = keep_own_session(input, "mine").ok();
        assert_eq!(output.as_deref(), Some(&input[..]));
    }

    #[test]
    fn sessions_of_wrong_type_are_removed() {
        let document = json!({"v": 3, "sessions": {"session_id": "mine"}});
        assert_eq!(trimmed(&document, "mine"), json!({"v": 3}));
    }

    #[test]
    fn key_order_is_kept() {
        let input = br#"{"z": 1, "sessions": [{"session_id": "mine", "b": 1, "a": 2}], "a": 2}"#;
        let output = keep_own_session(input, "mine").ok().unwrap_or_default();
        assert_eq!(
            String::from_utf8_lossy(&output),
            r#"{"z":1,"sessions":[{"session_id":"mine","b":1,"a":2}],"a":2}"#
        );
    }

    #[test]
    fn non_objects_are_rejected() {
        for input in [
            &b"[]"[..],
            b"null",
            b"\"text\"",
            b"<html>",
            b"{\"a\": ",
            b"",
        ] {
            assert!(keep_own_session(input, "mine").is_err(), "{input:?}");
        }
    }
}
