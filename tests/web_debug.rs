//! The `debug` option of `SessionClient` in headless Chromium: which lines
//! it writes to `console.debug`, that they never contain a whole session
//! id, a cookie or a header value, and that a client without the option
//! writes nothing. Runs against the mock lookup in `tests/mock/server.mjs`.
#![cfg(target_arch = "wasm32")]
// A failed expectation in a test helper is a failed test, so panicking there is right.
#![allow(clippy::expect_used)]

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use zephr_session::js::{JsSession, SessionClient};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/browser.rs"]
mod browser;

use browser::*;

// `capture_debug` replaces `console.debug` with a function that records
// each call's arguments as one line; the function it returns restores the
// original and returns the lines. The test runner also wraps the console,
// so the original is put back before any assertion runs.
#[wasm_bindgen(inline_js = r#"
export function capture_debug() {
  const original = console.debug;
  const lines = [];
  console.debug = (...parts) => { lines.push(parts.map(String).join(" ")); };
  return () => { console.debug = original; return lines; };
}
export function capture_debug_throwing() {
  const original = console.debug;
  console.debug = () => { throw new Error("console.debug is broken"); };
  return () => { console.debug = original; };
}
export function set_cookie(text) { document.cookie = text; }
"#)]
extern "C" {
    fn capture_debug() -> Function;
    fn capture_debug_throwing() -> Function;
    fn set_cookie(text: &str);
}

const PREFIX: &str = "[zephr-session] ";

/// Creates a client for `site` with extra options written as JSON members.
fn client(site: &str, extra_options: &str) -> SessionClient {
    let options = format!(
        r#"{{"baseUrl": "{}", "site": "{site}" {extra_options}}}"#,
        mock_url()
    );
    SessionClient::new(json(&options)).expect("valid client options")
}

async fn fetch(client: &SessionClient, session_id: &str) -> Result<JsSession, JsValue> {
    client
        .fetch(&JsValue::from_str(session_id), &JsValue::UNDEFINED)
        .await
}

/// Restores `console.debug` and returns the lines captured since `capture_debug`.
fn finish_capture(restore: &Function) -> Vec<String> {
    let lines = restore
        .call0(&JsValue::NULL)
        .expect("restoring console.debug succeeds");
    js_sys::Array::from(&lines)
        .iter()
        .map(|line| line.as_string().unwrap_or_default())
        .collect()
}

fn decide(session: &JsSession, content_id: &str, options: &str) -> JsValue {
    session
        .decide(JsValue::from_str(content_id), json(options))
        .expect("decide succeeds")
}

fn lines_containing<'a>(lines: &'a [String], needle: &str) -> Vec<&'a String> {
    lines.iter().filter(|line| line.contains(needle)).collect()
}

/// Returns the one line that contains `needle`, and fails unless there is exactly one.
fn only_line<'a>(lines: &'a [String], needle: &str) -> &'a String {
    match lines_containing(lines, needle).as_slice() {
        [line] => line,
        other => panic!("expected one line with {needle:?}, found {other:?} in {lines:?}"),
    }
}

fn assert_all_prefixed(lines: &[String]) {
    for line in lines {
        assert!(line.starts_with(PREFIX), "line without the prefix: {line}");
    }
}

fn assert_none_contains(lines: &[String], secret: &str) {
    for line in lines {
        assert!(!line.contains(secret), "line shows {secret:?}: {line}");
    }
}

#[wasm_bindgen_test]
async fn debug_logs_lookup_cache_hit_and_decision() {
    let session_id = "debug-lookup-0123456789";
    let client = client(
        "ok",
        r#", "debug": true, "headers": {"X-Requested-With": "header-value-secret"}"#,
    );
    let restore = capture_debug();
    let session = fetch(&client, session_id).await.expect("lookup succeeds");
    fetch(&client, session_id).await.expect("cached lookup");
    decide(&session, "article-1", r#"{"entitlementId": "premium"}"#);
    let granted = session
        .is_entitled(JsValue::from_str("article-2"))
        .expect("isEntitled succeeds");
    let lines = finish_capture(&restore);

    assert!(!granted);
    assert_all_prefixed(&lines);
    assert_none_contains(&lines, session_id);
    assert_none_contains(&lines, "header-value-secret");
    assert_none_contains(&lines, mock_url());
    let started = only_line(&lines, "lookup started");
    assert!(started.contains(r#"site "ok", session debu…"#), "{started}");
    only_line(&lines, "lookup succeeded");
    only_line(&lines, "cache hit");
    let decided = only_line(&lines, "decide: ");
    assert!(
        decided.contains(r#"content "article-1", entitlementId "premium""#),
        "{decided}"
    );
    assert!(
        decided.contains(r#""granted":true,"reason":"meter""#),
        "{decided}"
    );
    let entitled = only_line(&lines, "isEntitled: ");
    assert!(
        entitled.contains(r#""granted":false,"reason":"none""#),
        "{entitled}"
    );
}

#[wasm_bindgen_test]
async fn debug_logs_retry_and_failure() {
    let client = client(
        "script",
        r#", "debug": true, "retries": 2, "retryBaseMs": 1, "retryMaxMs": 1"#,
    );
    let restore = capture_debug();
    let session = fetch(&client, "dbg-retry~503,502,200")
        .await
        .expect("the third attempt succeeds");
    let failed = fetch(&client, "dbg-fail~404").await;
    let lines = finish_capture(&restore);

    assert_eq!(session.version(), Some(3.0));
    assert!(failed.is_err());
    assert_all_prefixed(&lines);
    assert_none_contains(&lines, "dbg-retry~503,502,200");
    let retries = lines_containing(&lines, "retry ");
    let [first, second] = retries.as_slice() else {
        panic!("expected two retry lines in {lines:?}");
    };
    assert!(first.contains("retry 1 of 2 in "), "{first}");
    assert!(first.contains("after http_error (HTTP 503)"), "{first}");
    assert!(second.contains("retry 2 of 2 in "), "{second}");
    assert!(second.contains("after http_error (HTTP 502)"), "{second}");
    only_line(&lines, "lookup failed with not_found (HTTP 404)");
}

#[wasm_bindgen_test]
async fn debug_logs_stale_answer() {
    let client = client(
        "script",
        r#", "debug": true, "retries": 0, "onError": "stale""#,
    );
    fetch(&client, "dbg-stale~200,500")
        .await
        .expect("the first lookup succeeds");
    let restore = capture_debug();
    let stale =
        JsFuture::from(client.refresh(JsValue::from_str("dbg-stale~200,500"), JsValue::UNDEFINED))
            .await
            .expect("a stale answer resolves");
    let lines = finish_capture(&restore);

    let is_stale = Reflect::get(&stale, &JsValue::from_str("isStale")).expect("isStale");
    assert_eq!(is_stale, JsValue::TRUE);
    let stale_line = only_line(&lines, "stale answer after http_error (HTTP 500)");
    assert!(stale_line.contains("session dbg-…"), "{stale_line}");
}

#[wasm_bindgen_test]
async fn debug_never_logs_cookie() {
    set_cookie("blaize_session=cookie-value-secret; path=/");
    let client = client("ok", r#", "debug": true"#);
    let restore = capture_debug();
    let fetched = client.fetch(&JsValue::UNDEFINED, &JsValue::UNDEFINED).await;
    let lines = finish_capture(&restore);
    set_cookie("blaize_session=; path=/; max-age=0");

    fetched.expect("lookup with the cookie's id succeeds");
    assert!(!lines.is_empty());
    assert_none_contains(&lines, "cookie-value-secret");
    assert_eq!(
        lines_containing(&lines, "session cook…").len(),
        2,
        "{lines:?}"
    );
}

#[wasm_bindgen_test]
async fn short_session_ids_are_cut() {
    let client = client("ok", r#", "debug": true, "cache": "none""#);
    let restore = capture_debug();
    for session_id in ["abcdefgh", "abc", "a"] {
        fetch(&client, session_id).await.expect("lookup succeeds");
    }
    let lines = finish_capture(&restore);

    let started = lines_containing(&lines, "lookup started");
    let [eight, three, one] = started.as_slice() else {
        panic!("expected three lookups in {lines:?}");
    };
    assert!(eight.ends_with("session abcd…"), "{eight}");
    assert!(three.ends_with("session a…"), "{three}");
    assert!(one.ends_with("session …"), "{one}");
}

#[wasm_bindgen_test]
async fn silent_by_default() {
    for extra in ["", r#", "debug": false"#] {
        let options = format!(r#", "retries": 1, "retryBaseMs": 1, "retryMaxMs": 1 {extra}"#);
        let scripted = client("script", &options);
        let plain = client("ok", extra);
        let restore = capture_debug();
        let session = fetch(&plain, "quiet-1").await.expect("lookup succeeds");
        fetch(&plain, "quiet-1").await.expect("cached lookup");
        decide(&session, "article-1", r#"{"entitlementId": "premium"}"#);
        session
            .is_entitled(JsValue::from_str("article-1"))
            .expect("isEntitled succeeds");
        let retried_id = format!("quiet-retry{}~503,200", extra.len());
        fetch(&scripted, &retried_id)
            .await
            .expect("the retry succeeds");
        let lines = finish_capture(&restore);
        assert!(lines.is_empty(), "options {extra:?} logged {lines:?}");
    }
}

#[wasm_bindgen_test]
fn parsed_session_does_not_log() {
    let session = JsSession::parse(
        JsValue::from_str(r#"{"access_model": {}}"#),
        JsValue::UNDEFINED,
    )
    .expect("valid document");
    let restore = capture_debug();
    decide(&session, "article-1", "{}");
    let lines = finish_capture(&restore);
    assert!(lines.is_empty(), "{lines:?}");
}

#[wasm_bindgen_test]
async fn throwing_console_does_not_break_lookup() {
    let client = client("ok", r#", "debug": true"#);
    let restore = capture_debug_throwing();
    let fetched = fetch(&client, "dbg-throwing-console").await;
    let decided = fetched
        .as_ref()
        .map(|session| session.decide(JsValue::from_str("article-1"), JsValue::UNDEFINED));
    restore
        .call0(&JsValue::NULL)
        .expect("restoring console.debug succeeds");

    let decided = decided.expect("lookup succeeds");
    assert!(decided.is_ok(), "decide failed: {decided:?}");
}

#[wasm_bindgen_test]
fn debug_must_be_boolean() {
    let options = format!(
        r#"{{"baseUrl": "{}", "site": "ok", "debug": "yes"}}"#,
        mock_url()
    );
    let error = SessionClient::new(json(&options))
        .err()
        .expect("a string debug option is rejected");
    let code = Reflect::get(&error, &JsValue::from_str("code")).expect("code");
    assert_eq!(code.as_string().as_deref(), Some("invalid_argument"));
    let message = Reflect::get(&error, &JsValue::from_str("message")).expect("message");
    assert!(
        message.as_string().unwrap_or_default().contains("debug"),
        "{message:?}"
    );
}
