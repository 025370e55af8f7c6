//! The log of a client created with `debug: true`: one `console.debug`
//! line for each lookup, cache hit, retry, stale answer and decision, each
//! starting with `[zephr-session]`.
//!
//! A line names the site and a shortened session id ([`short_id`]). It
//! never contains a whole session id, a cookie, a header, the base URL or
//! an error message, because those can carry credentials.

use wasm_bindgen::prelude::*;

use crate::error::Error;
use crate::rules::Decision;

/// The prefix of every line, so that a page can filter the console by it.
pub(crate) const PREFIX: &str = "[zephr-session]";

/// How many characters of a session id a line shows, at most.
const SHORT_ID_CHARS: usize = 4;

#[wasm_bindgen]
extern "C" {
    // `catch`, so that a console that throws (or a page that replaced
    // `console.debug` with something broken) cannot break a lookup.
    #[wasm_bindgen(js_namespace = console, js_name = debug, catch)]
    fn console_debug(message: &str) -> Result<(), JsValue>;
}

/// Writes one line with the prefix.
pub(crate) fn log(message: &str) {
    let _ = console_debug(&format!("{PREFIX} {message}"));
}

/// Shortens a session id for a log line: its first 4 characters, or half
/// of a shorter id, followed by `…`, so that a line never shows the whole
/// id (the value of the reader's cookie).
pub(crate) fn short_id(session_id: &str) -> String {
    let length = session_id.chars().count();
    let shown_chars = SHORT_ID_CHARS.min(length / 2);
    let prefix: String = session_id.chars().take(shown_chars).collect();
    format!("{prefix}…")
}

/// Names a lookup in a line: `site "www", session 9d4c…`.
pub(crate) fn lookup_label(site: &str, session_id: &str) -> String {
    format!("site {site:?}, session {}", short_id(session_id))
}

/// Describes an error by its code and HTTP status only, because its
/// message may name the base URL.
pub(crate) fn describe_error(error: &Error) -> String {
    match error.status {
        Some(status) => format!("{} (HTTP {status})", error.code.as_str()),
        None => error.code.as_str().to_owned(),
    }
}

/// Logs a decision as the JSON that `decide` returns.
pub(crate) fn log_decision(
    method: &str,
    content_id: &str,
    entitlement_id: Option<&str>,
    decision: &Decision,
) {
    let decision = decision.to_json();
    let entitlement = entitlement_id
        .map(|id| format!(", entitlementId {id:?}"))
        .unwrap_or_default();
    log(&format!(
        "{method}: content {content_id:?}{entitlement}: {decision}"
    ));
}
