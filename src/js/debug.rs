//! The decision lines of the log of a client created with `debug: true`:
//! one `console.debug` line for each decision of a session it fetched,
//! starting with `[zephr-session]`. The lines for lookups, cache hits,
//! retries and stale documents are written by `src/js/client.js`.

use wasm_bindgen::prelude::*;

use crate::json::Quoted;
use crate::rules::Decision;

/// The prefix of every line, so that a page can filter the console by it.
pub(crate) const PREFIX: &str = "[zephr-session]";

#[wasm_bindgen]
extern "C" {
    // `catch`, so that a console that throws (or a page that replaced
    // `console.debug` with something broken) cannot break a lookup.
    #[wasm_bindgen(js_namespace = console, js_name = debug, catch)]
    fn console_debug(message: &str) -> Result<(), JsValue>;
}

/// Writes one line with the prefix.
pub(crate) fn log(message: &str) {
    let _ = console_debug(&text!(PREFIX, " ", message));
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
        .map(|id| text!(", entitlementId ", Quoted(id)))
        .unwrap_or_default();
    log(&text!(
        method,
        ": content ",
        Quoted(content_id),
        entitlement,
        ": ",
        decision
    ));
}
