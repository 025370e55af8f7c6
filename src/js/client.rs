//! The Rust half of `SessionClient`: the policy and the messages that the
//! client in the package's JavaScript (`src/js/client.js`) calls, as hidden
//! static methods of `Session`.
//!
//! The class itself, its option checks and its lookups (requests, timers, the
//! cache and the subscribers) are JavaScript. Async Rust against the
//! browser's APIs, and reading every option across the boundary, cost about
//! 21 KB of the gzipped bundle, and the same steps in JavaScript about 3.5 KB.
//! Rust keeps the pure logic that has host tests: the lookup URL, the cache
//! keys and stored entries, the retry policy and the text of every lookup
//! error. The package's JavaScript removes these methods from `Session` when
//! the module loads, so callers never see them.

use alloc::string::String;

use alloc::rc::Rc;

use js_sys::Array;
use wasm_bindgen::prelude::*;

use super::session::JsSession;
use super::to_js_error;
use crate::cache::{cache_key, cache_key_prefix, decode_entry, encode_entry, storage_key};
use crate::error::{Error, ErrorCode};
use crate::json::{Quoted, Value};
use crate::model::Session;
use crate::retry::{backoff_delay_ms, is_retryable, parse_retry_after};
use crate::url::{check_base_url, check_segment, is_absolute_url, lookup_url};

// The kinds of [`JsSession::lookup_failure`], as `src/js/client.js` numbers them.
const FAILURE_ABORTED: u32 = 0;
const FAILURE_TIMEOUT: u32 = 1;
const FAILURE_NETWORK: u32 = 2;
const FAILURE_STATUS: u32 = 3;
const FAILURE_TOO_LARGE: u32 = 4;
const FAILURE_EMPTY_BODY: u32 = 5;

#[wasm_bindgen(js_class = Session)]
impl JsSession {
    /// Quotes a text for a message as every other message of the crate
    /// quotes the values it names: as `JSON.stringify` does.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __quote, skip_typescript)]
    pub fn quote(text: String) -> String {
        text!(Quoted(&text))
    }

    /// Checks the `baseUrl` and the `site` of a new client, each when given,
    /// in two calls so that the client reads its options in order.
    /// `has_page_url` is whether the host has a page URL (`location`) that
    /// a relative `baseUrl` resolves against.
    ///
    /// # Errors
    ///
    /// `invalid_argument` naming the option that is wrong.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __checkEndpoint, skip_typescript)]
    pub fn check_endpoint(
        base_url: Option<String>,
        site: Option<String>,
        has_page_url: bool,
    ) -> Result<(), JsValue> {
        if let Some(base_url) = base_url {
            check_base_url(&base_url).map_err(to_js_error)?;
            if !is_absolute_url(&base_url) && !has_page_url {
                return Err(to_js_error(Error::invalid_argument(text!(
                    "baseUrl ",
                    Quoted(&base_url),
                    " is relative, but this host (such as Node) has no page \
                     URL to resolve it against; pass an absolute http: or https: URL"
                ))));
            }
        }
        match site {
            Some(site) => check_segment("site", &site).map_err(to_js_error),
            None => Ok(()),
        }
    }

    /// Returns `[url, cacheKey, storageKey]` for a lookup of `session_id`.
    /// Without one, for `SessionClient.clear()`, the URL is empty and the
    /// keys are the prefixes of every session of this base URL and site.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `session_id` is not a valid path segment.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __cacheTarget, skip_typescript)]
    pub fn cache_target(
        base_url: String,
        site: String,
        session_id: Option<String>,
    ) -> Result<Array, JsValue> {
        let (url, key) = match session_id {
            Some(session_id) => (
                lookup_url(&base_url, &site, &session_id).map_err(to_js_error)?,
                cache_key(&base_url, &site, &session_id),
            ),
            None => (String::new(), cache_key_prefix(&base_url, &site)),
        };
        let stored = storage_key(&key);
        Ok(Array::of3(&url.into(), &key.into(), &stored.into()))
    }

    /// Builds the error of a failed lookup, as a `ZephrSessionError` that
    /// the caller throws: see the `FAILURE_*` constants above. `status` is
    /// the HTTP status (or 0) and `detail` the platform's message or the
    /// `Content-Type`, by kind; the other arguments are the client's
    /// settings.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __lookupFailure, skip_typescript)]
    pub fn lookup_failure(
        kind: u32,
        status: u16,
        detail: String,
        site: String,
        base_url: String,
        timeout_ms: f64,
        max_bytes: f64,
    ) -> JsValue {
        let error = match kind {
            FAILURE_ABORTED => Error::new(
                ErrorCode::Aborted,
                "the session lookup was aborted by the caller's AbortSignal",
            ),
            FAILURE_TIMEOUT => Error::new(
                ErrorCode::Timeout,
                text!(
                    "the session lookup for site ",
                    Quoted(&site),
                    " sent no complete response within ",
                    timeout_ms as u64,
                    " \
                     ms; check the endpoint, or raise timeoutMs"
                ),
            ),
            FAILURE_NETWORK => Error::new(
                ErrorCode::Network,
                text!(
                    "the session lookup for site ",
                    Quoted(&site),
                    " failed before a response (",
                    detail,
                    "); \
                     check the network, the baseUrl ",
                    Quoted(&base_url),
                    " and, for another origin, its CORS \
                     headers"
                ),
            ),
            FAILURE_STATUS => Error::from_status(status, &site),
            FAILURE_TOO_LARGE => Error::invalid_response(text!(
                "the session document is larger than maxBytes (",
                max_bytes as u64,
                " bytes); check that the \
                 endpoint answers with one session document, or raise maxBytes"
            )),
            FAILURE_EMPTY_BODY => {
                let mut error = Error::invalid_response(text!(
                    "the session lookup answered HTTP ",
                    status,
                    " with an empty body",
                    describe_content_type(&detail),
                    "; the \
                     endpoint should answer 200 with the session document as JSON"
                ));
                error.status = Some(status);
                error
            }
            _ => Error::new(
                ErrorCode::Network,
                "the session lookup ended without a result",
            ),
        };
        to_js_error(error)
    }

    /// Returns the delay in milliseconds before retry number `retry` (0 for
    /// the first) after a failed attempt with `code` and `status`, or -1 when
    /// the failure is final: not worth another attempt, or the `retries` are
    /// spent. A `Retry-After` value, when given, sets the delay, capped by
    /// `max_ms`; else it is the backoff with full jitter from `random`.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = __retryDelay, skip_typescript)]
    pub fn retry_delay(
        retry: u32,
        retries: u32,
        code: String,
        status: Option<u16>,
        retry_after: Option<String>,
        now_ms: f64,
        random: f64,
        base_ms: f64,
        max_ms: f64,
    ) -> f64 {
        let Some(code) = ErrorCode::from_name(&code) else {
            return -1.0;
        };
        let mut error = Error::new(code, "");
        error.status = status;
        if retry >= retries || !is_retryable(&error) {
            return -1.0;
        }
        match retry_after.and_then(|value| parse_retry_after(&value, now_ms)) {
            Some(delay_ms) => delay_ms.min(max_ms),
            None => backoff_delay_ms(retry, base_ms, max_ms, random),
        }
    }

    /// Returns 53 bits of the crate's hash of a text, exact as a JavaScript
    /// number: the client names a variant of its Web Storage keys with it.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __hash, skip_typescript)]
    pub fn hash(text: String) -> f64 {
        (crate::index::hash(&text) >> 11) as f64
    }

    /// Parses a small document and has the quick paths decide on it, so that
    /// V8 compiles them while the first request is on the network. Later
    /// calls do nothing; see `warm_up` in `src/js/mod.rs`.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __warmUp, skip_typescript)]
    pub fn warm_up() {
        super::warm_up();
    }

    /// Returns a new session that shares this one's document, as the cache
    /// hands it to a caller. `staleError` is the error of the failed lookup
    /// it replaces (or `undefined`), and `debug` whether its decisions log.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __share, skip_typescript)]
    pub fn share(&self, stale_error: JsValue, debug: bool) -> JsSession {
        let stale_error = (!stale_error.is_undefined()).then_some(stale_error);
        JsSession::shared(Rc::clone(self.inner()), stale_error, debug)
    }

    /// Builds a session from the body of a lookup's response.
    ///
    /// # Errors
    ///
    /// `invalid_response` with status 200 when the body is not a JSON
    /// object. When `contentType` is given and is not JSON, the message names
    /// the type of page the lookup returned.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __fromBody, skip_typescript)]
    pub fn from_body(
        text: String,
        session_id: String,
        content_type: String,
    ) -> Result<JsSession, JsValue> {
        let inner = Session::parse(&text, Some(&session_id)).map_err(|mut error| {
            // An HTML or plain-text page in place of the document usually
            // means the URL reached a login page or another service, so the
            // message names the type and the likely fix.
            if !content_type.is_empty() && !is_json_type(&content_type) {
                error.message = text!(
                    "the session lookup answered",
                    describe_content_type(&content_type),
                    " instead of a JSON session document, often \
                     a login or error page; check that baseUrl points at the session endpoint"
                );
            }
            error.status = Some(200);
            to_js_error(error)
        })?;
        Ok(JsSession::shared(Rc::new(inner), None, false))
    }

    /// Reads an entry that [`JsSession::storage_entry`] wrote and returns
    /// `[fetchedAt, session]`, or `undefined` when the text is corrupt, of
    /// another format, or stored under another key.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __fromStorage, skip_typescript)]
    pub fn from_storage(text: String, key: String, session_id: String) -> JsValue {
        let Some((fetched_at_ms, document)) = decode_entry(&text, &key) else {
            return JsValue::UNDEFINED;
        };
        match Session::from_value(Value::Object(document), Some(&session_id)) {
            Ok(inner) => {
                let session = JsSession::shared(Rc::new(inner), None, false);
                Array::of2(&fetched_at_ms.into(), &session.into()).into()
            }
            Err(_) => JsValue::UNDEFINED,
        }
    }

    /// Returns the Web Storage entry of this document under the cache key
    /// `key`, fetched at `fetchedAt` milliseconds since the epoch.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __storageEntry, skip_typescript)]
    pub fn storage_entry(&self, key: String, fetched_at_ms: f64) -> String {
        encode_entry(&key, fetched_at_ms, self.inner().document())
    }

    /// Returns a hash of the document's content, with 53 of its 64 bits so
    /// that it is exact as a JavaScript number, to tell whether a fetched
    /// document differs from the one before.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __fingerprint, skip_typescript)]
    pub fn fingerprint(&self) -> f64 {
        (crate::cache::fingerprint(self.inner().document()) >> 11) as f64
    }
}

/// Returns ` (Content-Type: …)` for a message, or nothing without one.
fn describe_content_type(content_type: &str) -> String {
    if content_type.is_empty() {
        String::new()
    } else {
        text!(" (Content-Type: ", content_type, ")")
    }
}

/// Whether a `Content-Type` names JSON: `application/json` or a `+json` type.
fn is_json_type(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence.ends_with("+json")
}
