//! The cached form of a session document, as kept in memory and in Web Storage.
//!
//! A stored entry is JSON: `{"format": 1, "key": ..., "fetchedAt": ms,
//! "document": {...}}`, with `fetchedAt` in whole milliseconds. The format number changes whenever this layout
//! does, and the key inside the entry must equal the storage key, so an
//! entry written by another version or copied under another key is ignored.

use alloc::string::String;

use crate::json::{self, Map, Value};

use crate::url::encode_uri_component;

/// The version of the stored entry layout.
pub const CACHE_FORMAT: u64 = 1;

/// The prefix of every Web Storage key this crate writes.
pub const STORAGE_PREFIX: &str = "zephr-session:";

/// Returns the cache key of a session: base URL, site and session id, each
/// percent-encoded so that no part can pass for another.
pub fn cache_key(base_url: &str, site: &str, session_id: &str) -> String {
    text!(
        encode_uri_component(base_url),
        "|",
        encode_uri_component(site),
        "|",
        encode_uri_component(session_id)
    )
}

/// Returns the prefix that every cache key of one base URL and site starts with.
pub fn cache_key_prefix(base_url: &str, site: &str) -> String {
    text!(
        encode_uri_component(base_url),
        "|",
        encode_uri_component(site),
        "|"
    )
}

/// Returns the Web Storage key for a cache key.
pub fn storage_key(cache_key: &str) -> String {
    text!(STORAGE_PREFIX, cache_key)
}

/// Serializes a cache entry for Web Storage.
pub fn encode_entry(cache_key: &str, fetched_at_ms: f64, document: &Map) -> String {
    // Written as text, so that the document is not copied into an entry
    // object first. A timestamp is never negative, and a fraction of a
    // millisecond does not change whether an entry is fresh.
    // `f64::round` is in the standard library, which the module is built
    // without; the casts saturate, and NaN reads as 0.
    let fetched_at = fetched_at_ms.max(0.0);
    let whole = fetched_at as u64;
    let fetched_at = whole.saturating_add(u64::from(fetched_at - whole as f64 >= 0.5));
    let mut entry = text!("{\"format\":", CACHE_FORMAT, ",\"key\":");
    json::write_string(cache_key, &mut entry);
    entry.push_str(&text!(",\"fetchedAt\":", fetched_at, ",\"document\":"));
    entry.push_str(&document.to_json());
    entry.push('}');
    entry
}

/// Reads a stored entry back as its fetch time and document; `None` when
/// the text is corrupt, of another format, or stored for another key.
pub fn decode_entry(text: &str, cache_key: &str) -> Option<(f64, Map)> {
    let Value::Object(mut entry) = json::parse(text).ok()? else {
        return None;
    };
    let format = entry.get("format")?.as_number()?.as_i64()?;
    if u64::try_from(format).ok()? != CACHE_FORMAT || entry.get("key")?.as_str()? != cache_key {
        return None;
    }
    let fetched_at_ms = entry.get("fetchedAt")?.as_number()?.as_f64();
    if !fetched_at_ms.is_finite() {
        return None;
    }
    match entry.remove("document")? {
        Value::Object(document) => Some((fetched_at_ms, document)),
        _ => None,
    }
}

/// Returns a hash of a document's content, including `v` and `last_updated`,
/// to tell whether a newly fetched document differs from the one before.
pub fn fingerprint(document: &Map) -> u64 {
    // The hash of the lookup tables, which the module has already, in place
    // of the standard library's SipHash, which it would add. A change to
    // one 8-byte word of the text always changes it.
    crate::index::hash(&document_text(document))
}

fn document_text(document: &Map) -> String {
    document.to_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document(text: &str) -> Map {
        match json::parse(text) {
            Ok(Value::Object(map)) => map,
            _ => panic!("test document is not an object: {text}"),
        }
    }

    #[test]
    fn keys_separate_their_parts() {
        assert_eq!(cache_key("/z", "www", "id"), "%2Fz|www|id");
        assert_ne!(cache_key("/z", "a|b", "c"), cache_key("/z", "a", "b|c"));
        assert!(cache_key("/z", "www", "id").starts_with(&cache_key_prefix("/z", "www")));
        assert!(!cache_key("/z", "www2", "id").starts_with(&cache_key_prefix("/z", "www")));
        assert_eq!(storage_key("k"), "zephr-session:k");
    }

    #[test]
    fn entry_round_trips() {
        let original = document(r#"{"v": 3, "z": [1, {"a": null}], "access_model": {}}"#);
        let text = encode_entry("key", 1234.0, &original);
        assert_eq!(decode_entry(&text, "key"), Some((1234.0, original.clone())));
        // A key that JSON must escape, and a time with a fraction.
        let key = "a\"b\\c\u{1}|é";
        let text = encode_entry(key, 99.6, &original);
        assert_eq!(decode_entry(&text, key), Some((100.0, original)));
    }

    #[test]
    fn entry_times_round_and_saturate() {
        let original = document("{}");
        let cases = [
            (0.49, "\"fetchedAt\":0,"),
            (0.5, "\"fetchedAt\":1,"),
            (-5.0, "\"fetchedAt\":0,"),
            (f64::NAN, "\"fetchedAt\":0,"),
            (f64::INFINITY, "\"fetchedAt\":18446744073709551615,"),
            (1e30, "\"fetchedAt\":18446744073709551615,"),
        ];
        for (fetched_at, expected) in cases {
            let text = encode_entry("key", fetched_at, &original);
            assert!(text.contains(expected), "{fetched_at}: {text}");
        }
    }

    #[test]
    fn foreign_and_corrupt_entries_are_rejected() {
        let valid = encode_entry("key", 1.0, &document("{}"));
        assert_eq!(decode_entry(&valid, "other-key"), None);
        for text in [
            "",
            "not json",
            "[]",
            r#"{"format": 2, "key": "key", "fetchedAt": 1, "document": {}}"#,
            r#"{"format": "1", "key": "key", "fetchedAt": 1, "document": {}}"#,
            r#"{"key": "key", "fetchedAt": 1, "document": {}}"#,
            r#"{"format": 1, "key": "key", "fetchedAt": "1", "document": {}}"#,
            r#"{"format": 1, "key": "key", "document": {}}"#,
            r#"{"format": 1, "key": "key", "fetchedAt": 1, "document": []}"#,
            r#"{"format": 1, "key": "key", "fetchedAt": 1}"#,
        ] {
            assert_eq!(decode_entry(text, "key"), None, "{text}");
        }
    }

    #[test]
    fn fingerprint_follows_content() {
        let first = document(r#"{"v": 1, "last_updated": 5, "a": 1}"#);
        let same = document(r#"{"v": 1, "last_updated": 5, "a": 1}"#);
        let newer = document(r#"{"v": 2, "last_updated": 5, "a": 1}"#);
        let updated = document(r#"{"v": 1, "last_updated": 6, "a": 1}"#);
        let changed = document(r#"{"v": 1, "last_updated": 5, "a": 2}"#);
        assert_eq!(fingerprint(&first), fingerprint(&same));
        assert_ne!(fingerprint(&first), fingerprint(&newer));
        assert_ne!(fingerprint(&first), fingerprint(&updated));
        assert_ne!(fingerprint(&first), fingerprint(&changed));
    }
}
