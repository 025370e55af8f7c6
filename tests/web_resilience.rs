//! `SessionClient`'s resilience in headless Chromium: one request per
//! session at a time, the cache, retries, stale answers, refreshes and
//! change events, against the mock lookup in `tests/mock/server.mjs`, which
//! counts the requests it receives. Each test uses its own session ids,
//! because the cache and the lookups in flight are shared by the page.
#![cfg(target_arch = "wasm32")]
// A failed expectation in a test helper is a failed test, so panicking there is right.
#![allow(clippy::expect_used)]

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::AbortController;
use zephr_session::js::{JsSession, SessionClient};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/browser.rs"]
mod browser;

use browser::*;

#[wasm_bindgen(inline_js = r#"
export function set_cookie(text) { document.cookie = text; }
export function storage_set(area, key, value) { globalThis[area].setItem(key, value); }
export function storage_get(area, key) { return globalThis[area].getItem(key); }
export function storage_keys(area) { return Object.keys(globalThis[area]); }
export function break_storage() {
  const saved = { get: Storage.prototype.getItem, set: Storage.prototype.setItem };
  Storage.prototype.getItem = function () { throw new DOMException("denied", "SecurityError"); };
  Storage.prototype.setItem = function () { throw new DOMException("full", "QuotaExceededError"); };
  return () => { Storage.prototype.getItem = saved.get; Storage.prototype.setItem = saved.set; };
}
export function start_prerendering() {
  Object.defineProperty(document, "prerendering", { value: true, configurable: true });
  return () => {
    Object.defineProperty(document, "prerendering", { value: false, configurable: true });
    document.dispatchEvent(new Event("prerenderingchange"));
  };
}
export function delay(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
"#)]
extern "C" {
    fn set_cookie(text: &str);
    fn storage_set(area: &str, key: &str, value: &str);
    fn storage_get(area: &str, key: &str) -> Option<String>;
    fn storage_keys(area: &str) -> Vec<String>;
    fn break_storage() -> Function;
    fn start_prerendering() -> Function;
    fn delay(ms: u32) -> Promise;
}

/// Creates a client for `site` with extra options written as JSON members.
fn client(site: &str, extra_options: &str) -> SessionClient {
    let options = format!(
        r#"{{"baseUrl": "{}", "site": "{site}" {extra_options}}}"#,
        mock_url()
    );
    SessionClient::new(json(&options)).expect("valid client options")
}

async fn sleep(ms: u32) {
    JsFuture::from(delay(ms)).await.expect("timer fires");
}

/// Counts the requests the mock received for one site and session id, and
/// prints the count in the test output.
async fn request_count(site: &str, session_id: &str) -> usize {
    let path = format!(
        "/v4/sessions/{site}/{}",
        js_sys::encode_uri_component(session_id)
    );
    let count = requested_paths()
        .await
        .iter()
        .filter(|seen| **seen == path)
        .count();
    console_log!("requests for {path}: {count}");
    count
}

async fn fetch(
    client: &SessionClient,
    session_id: &str,
    options: &str,
) -> Result<JsSession, JsValue> {
    client
        .fetch(&JsValue::from_str(session_id), &json(options))
        .await
}

fn version(session: &JsSession) -> Option<f64> {
    session.version()
}

#[wasm_bindgen_test]
async fn concurrent_calls_share_one_request() {
    let client = client("delay-200", "");
    let calls: Vec<Promise> = (0..10)
        .map(|_| client.fetch_session(JsValue::from_str("share-10"), JsValue::UNDEFINED))
        .collect();
    let all = Promise::all(&calls.iter().collect::<js_sys::Array>());
    let sessions: js_sys::Array = JsFuture::from(all)
        .await
        .expect("all resolve")
        .unchecked_into();
    assert_eq!(sessions.length(), 10);
    assert_eq!(request_count("delay-200", "share-10").await, 1);
}

#[wasm_bindgen_test]
async fn calls_within_ttl_hit_cache() {
    let client = client("counter", "");
    for _ in 0..100 {
        let session = fetch(&client, "ttl-100", "{}")
            .await
            .expect("lookup succeeds");
        assert_eq!(version(&session), Some(1.0));
    }
    assert_eq!(request_count("counter", "ttl-100").await, 1);
}

#[wasm_bindgen_test]
async fn expired_entry_is_fetched_again() {
    let client = client("counter", r#", "cacheTtlMs": 50"#);
    fetch(&client, "ttl-expired", "{}")
        .await
        .expect("first lookup");
    sleep(80).await;
    let session = fetch(&client, "ttl-expired", "{}")
        .await
        .expect("second lookup");
    assert_eq!(version(&session), Some(2.0));
    assert_eq!(request_count("counter", "ttl-expired").await, 2);
}

#[wasm_bindgen_test]
async fn cache_none_always_requests() {
    let client = client("counter", r#", "cache": "none""#);
    for _ in 0..3 {
        fetch(&client, "no-cache", "{}")
            .await
            .expect("lookup succeeds");
    }
    assert_eq!(request_count("counter", "no-cache").await, 3);
}

#[wasm_bindgen_test]
async fn fresh_and_refresh_skip_cache() {
    let client = client("counter", "");
    fetch(&client, "fresh-1", "{}").await.expect("first lookup");
    let fresh = fetch(&client, "fresh-1", r#"{"fresh": true}"#)
        .await
        .expect("fresh lookup");
    assert_eq!(version(&fresh), Some(2.0));
    let refreshed =
        JsFuture::from(client.refresh(JsValue::from_str("fresh-1"), JsValue::UNDEFINED))
            .await
            .expect("refresh succeeds");
    assert_eq!(property(&refreshed, "version").as_f64(), Some(3.0));
    let cached = fetch(&client, "fresh-1", "{}")
        .await
        .expect("cached lookup");
    assert_eq!(version(&cached), Some(3.0));
    assert_eq!(request_count("counter", "fresh-1").await, 3);
}

#[wasm_bindgen_test]
async fn retries_until_success() {
    let client = client("script", r#", "retryBaseMs": 10"#);
    let session = fetch(&client, "seq~503,503,200", "{}")
        .await
        .expect("third attempt succeeds");
    assert_eq!(version(&session), Some(3.0));
    assert_eq!(request_count("script", "seq~503,503,200").await, 3);
}

#[wasm_bindgen_test]
async fn last_attempt_error_rejects() {
    let client = client("script", r#", "retryBaseMs": 10"#);
    let error = fetch(&client, "seq~502,503,504,200", "{}")
        .await
        .err()
        .expect("all attempts fail");
    assert_eq!(code(&error).as_deref(), Some("http_error"));
    assert_eq!(property(&error, "status").as_f64(), Some(504.0));
    assert_eq!(request_count("script", "seq~502,503,504,200").await, 3);
}

#[wasm_bindgen_test]
async fn not_found_is_not_retried() {
    let client = client("script", r#", "retryBaseMs": 10"#);
    for (session_id, expected) in [
        ("nf~404", "not_found"),
        ("auth~401", "unauthorized"),
        ("bad~400", "http_error"),
        ("srv~500", "http_error"),
    ] {
        let error = fetch(&client, session_id, "{}")
            .await
            .err()
            .expect("lookup fails");
        assert_eq!(code(&error).as_deref(), Some(expected), "{session_id}");
        assert_eq!(request_count("script", session_id).await, 1, "{session_id}");
    }
}

#[wasm_bindgen_test]
async fn rate_limit_is_retried() {
    let client = client("script", r#", "retryBaseMs": 10"#);
    let session = fetch(&client, "limited~429,200", "{}")
        .await
        .expect("second attempt succeeds");
    assert_eq!(version(&session), Some(2.0));
    assert_eq!(request_count("script", "limited~429,200").await, 2);
}

#[wasm_bindgen_test]
async fn invalid_response_is_not_retried() {
    let client = client("not-json", r#", "retryBaseMs": 10"#);
    let error = fetch(&client, "html-once", "{}")
        .await
        .err()
        .expect("lookup fails");
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert_eq!(request_count("not-json", "html-once").await, 1);
}

#[wasm_bindgen_test]
async fn retry_after_delays_next_attempt() {
    let client = client("script", r#", "retryBaseMs": 10"#);
    let started = js_sys::Date::now();
    let session = fetch(&client, "wait~503r1,200", "{}")
        .await
        .expect("second attempt succeeds");
    let elapsed = js_sys::Date::now() - started;
    console_log!("Retry-After: 1 took {elapsed} ms");
    assert_eq!(version(&session), Some(2.0));
    assert!(elapsed >= 950.0, "the retry came after {elapsed} ms");
    assert_eq!(request_count("script", "wait~503r1,200").await, 2);
}

#[wasm_bindgen_test]
async fn retry_after_is_capped() {
    let client = client("script", r#", "retryBaseMs": 10, "retryMaxMs": 100"#);
    let started = js_sys::Date::now();
    fetch(&client, "cap~503r1,200", "{}")
        .await
        .expect("second attempt succeeds");
    let elapsed = js_sys::Date::now() - started;
    console_log!("Retry-After: 1 capped at 100 ms took {elapsed} ms");
    assert!(elapsed < 900.0, "the cap was ignored: {elapsed} ms");
}

#[wasm_bindgen_test]
async fn timeouts_end_within_bound() {
    let client = client(
        "slow",
        r#", "timeoutMs": 200, "retries": 2, "retryBaseMs": 50, "retryMaxMs": 100"#,
    );
    let started = js_sys::Date::now();
    let error = fetch(&client, "always-slow", "{}")
        .await
        .err()
        .expect("every attempt times out");
    let elapsed = js_sys::Date::now() - started;
    // Three attempts of 200 ms and two backoffs of at most 100 ms make 800 ms;
    // the rest of the bound is slack for a loaded machine.
    console_log!("three timed-out attempts took {elapsed} ms");
    assert_eq!(code(&error).as_deref(), Some("timeout"));
    assert!(elapsed >= 600.0, "{elapsed} ms");
    assert!(elapsed < 800.0 + 2000.0, "{elapsed} ms");
    assert_eq!(request_count("slow", "always-slow").await, 3);
}

#[wasm_bindgen_test]
async fn one_caller_abort_spares_others() {
    let client = client("delay-300", "");
    let controller = AbortController::new().expect("AbortController");
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).expect("set signal");
    let aborted = client.fetch_session(JsValue::from_str("abort-one"), options.into());
    let patient = client.fetch_session(JsValue::from_str("abort-one"), JsValue::UNDEFINED);
    sleep(50).await;
    controller.abort();
    let error = JsFuture::from(aborted)
        .await
        .expect_err("aborted call rejects");
    assert_eq!(code(&error).as_deref(), Some("aborted"));
    let session = JsFuture::from(patient)
        .await
        .expect("the other call resolves");
    assert_eq!(property(&session, "version").as_f64(), Some(1.0));
    assert_eq!(request_count("delay-300", "abort-one").await, 1);
}

#[wasm_bindgen_test]
async fn last_waiter_abort_cancels_request() {
    let client = client("delay-300", "");
    let controller = AbortController::new().expect("AbortController");
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).expect("set signal");
    let aborted = client.fetch_session(JsValue::from_str("abort-all"), options.into());
    sleep(50).await;
    controller.abort();
    let error = JsFuture::from(aborted)
        .await
        .expect_err("aborted call rejects");
    assert_eq!(code(&error).as_deref(), Some("aborted"));
    // The cancelled request cached nothing, so the next call sends another.
    fetch(&client, "abort-all", "{}")
        .await
        .expect("next lookup succeeds");
    assert_eq!(request_count("delay-300", "abort-all").await, 2);
}

#[wasm_bindgen_test]
async fn tampered_storage_entries_are_replaced() {
    let client = client("counter", r#", "cache": "local""#);
    let key = format!(
        "zephr-session:{}|counter|",
        js_sys::encode_uri_component(mock_url())
    );
    let cases = [
        ("tamper-garbage", "{not json".to_owned()),
        (
            "tamper-foreign",
            format!(
                r#"{{"format":1,"key":"{key}someone-else","fetchedAt":{},"document":{{"v":99}}}}"#,
                js_sys::Date::now()
            ),
        ),
        (
            "tamper-format",
            format!(
                r#"{{"format":0,"key":"{key}tamper-format","fetchedAt":{},"document":{{"v":99}}}}"#,
                js_sys::Date::now()
            ),
        ),
        (
            "tamper-expired",
            format!(
                r#"{{"format":1,"key":"{key}tamper-expired","fetchedAt":1,"document":{{"v":99}}}}"#
            ),
        ),
        (
            "tamper-future",
            format!(
                r#"{{"format":1,"key":"{key}tamper-future","fetchedAt":{},"document":{{"v":99}}}}"#,
                js_sys::Date::now() + 1e9
            ),
        ),
    ];
    for (session_id, entry) in &cases {
        let storage_key = format!("{key}{session_id}");
        storage_set("localStorage", &storage_key, entry);
        let session = fetch(&client, session_id, "{}")
            .await
            .expect("lookup succeeds");
        assert_eq!(
            version(&session),
            Some(1.0),
            "{session_id} served the tampered entry"
        );
        assert_eq!(
            request_count("counter", session_id).await,
            1,
            "{session_id}"
        );
        let stored =
            storage_get("localStorage", &storage_key).expect("the fetched document is stored");
        assert!(stored.contains(r#""v":1"#), "{session_id}: {stored}");
    }
}

#[wasm_bindgen_test]
async fn valid_storage_entry_serves() {
    let key = format!(
        "zephr-session:{}|counter|stored-ok",
        js_sys::encode_uri_component(mock_url())
    );
    let entry = format!(
        r#"{{"format":1,"key":"{}","fetchedAt":{},"document":{{"v":42}}}}"#,
        &key["zephr-session:".len()..],
        js_sys::Date::now()
    );
    storage_set("sessionStorage", &key, &entry);
    let client = client("counter", r#", "cache": "session""#);
    let session = fetch(&client, "stored-ok", "{}")
        .await
        .expect("lookup succeeds");
    assert_eq!(version(&session), Some(42.0));
    assert_eq!(request_count("counter", "stored-ok").await, 0);
}

#[wasm_bindgen_test]
async fn throwing_storage_falls_back_to_memory() {
    let restore = break_storage();
    let client = client("counter", r#", "cache": "local""#);
    let first = fetch(&client, "broken-storage", "{}").await;
    let second = fetch(&client, "broken-storage", "{}").await;
    restore.call0(&JsValue::NULL).expect("restore storage");
    assert_eq!(version(&first.expect("lookup succeeds")), Some(1.0));
    assert_eq!(version(&second.expect("cached lookup succeeds")), Some(1.0));
    assert_eq!(request_count("counter", "broken-storage").await, 1);
}

#[wasm_bindgen_test]
async fn stale_answer_after_failure() {
    let client = client(
        "script",
        r#", "onError": "stale", "cacheTtlMs": 0, "retries": 0"#,
    );
    let first = fetch(&client, "stale~200,500", "{}")
        .await
        .expect("first lookup succeeds");
    assert!(!first.is_stale());
    let stale = fetch(&client, "stale~200,500", "{}")
        .await
        .expect("stale answer");
    assert!(stale.is_stale());
    assert_eq!(version(&stale), Some(1.0));
    let error = stale.stale_error();
    assert_eq!(code(&error).as_deref(), Some("http_error"));
    assert_eq!(property(&error, "status").as_f64(), Some(500.0));
    assert_eq!(request_count("script", "stale~200,500").await, 2);
}

#[wasm_bindgen_test]
async fn stale_without_cache_rejects() {
    let client = client("script", r#", "onError": "stale", "retries": 0"#);
    let error = fetch(&client, "stale-empty~500", "{}")
        .await
        .err()
        .expect("nothing cached");
    assert_eq!(code(&error).as_deref(), Some("http_error"));
}

#[wasm_bindgen_test]
async fn stale_never_answers_not_found() {
    let client = client(
        "script",
        r#", "onError": "stale", "cacheTtlMs": 0, "retries": 0"#,
    );
    fetch(&client, "gone~200,404", "{}")
        .await
        .expect("first lookup succeeds");
    let error = fetch(&client, "gone~200,404", "{}")
        .await
        .err()
        .expect("404 rejects");
    assert_eq!(code(&error).as_deref(), Some("not_found"));
}

#[wasm_bindgen_test]
async fn subscribe_fires_once_per_change() {
    let calls = Rc::new(Cell::new(0));
    let seen = Rc::clone(&calls);
    let callback = Closure::<dyn FnMut(JsValue, JsValue)>::new(
        move |session_id: JsValue, session: JsValue| {
            if session_id.as_string().as_deref() == Some("sub-stable")
                || session_id.as_string().as_deref() == Some("sub-counter")
            {
                assert!(property(&session, "version").as_f64().is_some());
                seen.set(seen.get() + 1);
            }
        },
    );
    let stable = client("stable", "");
    let unsubscribe = stable
        .subscribe(callback.as_ref().clone())
        .expect("a function");
    for _ in 0..3 {
        fetch(&stable, "sub-stable", r#"{"fresh": true}"#)
            .await
            .expect("lookup succeeds");
    }
    fetch(&stable, "sub-stable", "{}").await.expect("cache hit");
    console_log!(
        "subscriber calls for 3 identical documents: {}",
        calls.get()
    );
    assert_eq!(calls.get(), 1);

    let counter = client("counter", "");
    for _ in 0..3 {
        fetch(&counter, "sub-counter", r#"{"fresh": true}"#)
            .await
            .expect("lookup succeeds");
    }
    console_log!(
        "subscriber calls after 3 changed documents: {}",
        calls.get()
    );
    assert_eq!(calls.get(), 4);

    unsubscribe.call0(&JsValue::NULL).expect("unsubscribe");
    fetch(&counter, "sub-counter", r#"{"fresh": true}"#)
        .await
        .expect("lookup succeeds");
    assert_eq!(calls.get(), 4);
    unsubscribe
        .call0(&JsValue::NULL)
        .expect("a second unsubscribe does nothing");
}

#[wasm_bindgen_test]
async fn throwing_subscriber_does_not_fail_lookup() {
    let callback = Function::new_no_args("throw new Error('subscriber bug')");
    let client = client("counter", "");
    let unsubscribe = client.subscribe(callback.into()).expect("a function");
    let result = fetch(&client, "sub-throws", "{}").await;
    unsubscribe.call0(&JsValue::NULL).expect("unsubscribe");
    assert_eq!(version(&result.expect("lookup succeeds")), Some(1.0));
}

#[wasm_bindgen_test]
async fn refresh_until_stops_when_predicate_holds() {
    let client = client("counter", "");
    let predicate = Function::new_with_args("session", "return session.isEntitled('premium')");
    let promise = client.refresh_until(
        JsValue::from_str("until-premium"),
        predicate.into(),
        json(r#"{"attempts": 10, "intervalMs": 20}"#),
    );
    let result = JsFuture::from(promise)
        .await
        .expect("refreshUntil resolves");
    assert_eq!(property(&result, "satisfied"), JsValue::TRUE);
    let session = property(&result, "session");
    assert_eq!(property(&session, "version").as_f64(), Some(3.0));
    assert_eq!(request_count("counter", "until-premium").await, 3);
}

#[wasm_bindgen_test]
async fn refresh_until_gives_up_after_attempts() {
    let client = client("stable", "");
    let predicate = Function::new_with_args("session", "return session.isEntitled('premium')");
    let promise = client.refresh_until(
        JsValue::from_str("until-never"),
        predicate.into(),
        json(r#"{"attempts": 4, "intervalMs": 10}"#),
    );
    let result = JsFuture::from(promise)
        .await
        .expect("refreshUntil resolves");
    assert_eq!(property(&result, "satisfied"), JsValue::FALSE);
    assert_eq!(request_count("stable", "until-never").await, 4);
}

#[wasm_bindgen_test]
async fn refresh_until_rejects_bad_arguments() {
    let client = client("stable", "");
    for (predicate, options) in [
        (JsValue::from(1), JsValue::UNDEFINED),
        (
            Function::new_no_args("return true").into(),
            json(r#"{"attempts": 0}"#),
        ),
        (
            Function::new_no_args("return true").into(),
            json(r#"{"intervalMs": -1}"#),
        ),
    ] {
        let promise = client.refresh_until(JsValue::from_str("until-bad"), predicate, options);
        let error = JsFuture::from(promise)
            .await
            .expect_err("bad arguments reject");
        assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    }
    assert_eq!(request_count("stable", "until-bad").await, 0);
}

#[wasm_bindgen_test]
async fn missing_id_reads_cookie_then_current() {
    let client = client("ok", r#", "cache": "none""#);
    set_cookie("blaize_session=from-cookie; path=/");
    let session = client.fetch(&JsValue::UNDEFINED, &JsValue::UNDEFINED).await;
    set_cookie("blaize_session=; path=/; max-age=0");
    let path = session
        .expect("lookup succeeds")
        .session_variable(JsValue::from_str("path"))
        .expect("key is valid");
    assert_eq!(
        path.as_string().as_deref(),
        Some("/v4/sessions/ok/from-cookie")
    );

    let session = client
        .fetch(&JsValue::NULL, &JsValue::UNDEFINED)
        .await
        .expect("lookup succeeds");
    let path = session
        .session_variable(JsValue::from_str("path"))
        .expect("key is valid");
    assert_eq!(path.as_string().as_deref(), Some("/v4/sessions/ok/current"));
}

#[wasm_bindgen_test]
async fn clear_drops_memory_and_storage() {
    let client = client("counter", r#", "cache": "local""#);
    fetch(&client, "clear-one", "{}")
        .await
        .expect("lookup succeeds");
    fetch(&client, "clear-two", "{}")
        .await
        .expect("lookup succeeds");
    client
        .clear(JsValue::from_str("clear-one"))
        .expect("clear one");
    fetch(&client, "clear-one", "{}")
        .await
        .expect("lookup succeeds");
    fetch(&client, "clear-two", "{}").await.expect("cache hit");
    assert_eq!(request_count("counter", "clear-one").await, 2);
    assert_eq!(request_count("counter", "clear-two").await, 1);

    client.clear(JsValue::UNDEFINED).expect("clear all");
    let prefix = format!(
        "zephr-session:{}|counter|",
        js_sys::encode_uri_component(mock_url())
    );
    assert!(storage_keys("localStorage")
        .iter()
        .all(|key| !key.starts_with(&prefix)));
    fetch(&client, "clear-two", "{}")
        .await
        .expect("lookup succeeds");
    assert_eq!(request_count("counter", "clear-two").await, 2);
}

#[wasm_bindgen_test]
async fn prerendering_defers_request() {
    let show = start_prerendering();
    let client = client("counter", "");
    let pending = client.fetch_session(JsValue::from_str("prerendered"), JsValue::UNDEFINED);
    sleep(200).await;
    let before = request_count("counter", "prerendered").await;
    show.call0(&JsValue::NULL).expect("show the page");
    JsFuture::from(pending)
        .await
        .expect("lookup succeeds after activation");
    assert_eq!(before, 0);
    assert_eq!(request_count("counter", "prerendered").await, 1);
}

#[wasm_bindgen_test]
fn new_options_are_checked() {
    let cases = [
        (r#""retries": -1"#, "retries"),
        (r#""retries": 1.5"#, "retries"),
        (r#""retries": "2""#, "retries"),
        (r#""retryBaseMs": -5"#, "retryBaseMs"),
        (r#""retryMaxMs": "x""#, "retryMaxMs"),
        (r#""cache": "disk""#, "cache"),
        (r#""cacheTtlMs": -1"#, "cacheTtlMs"),
        (r#""onError": "ignore""#, "onError"),
        (
            r#""deferWhilePrerendering": "yes""#,
            "deferWhilePrerendering",
        ),
    ];
    for (option, named) in cases {
        let options = format!(r#"{{"baseUrl": "/z", "site": "www", {option}}}"#);
        let error = match SessionClient::new(json(&options)) {
            Ok(_) => panic!("{option} was accepted"),
            Err(error) => error,
        };
        assert_eq!(
            code(&error).as_deref(),
            Some("invalid_argument"),
            "{option}"
        );
        let message = property(&error, "message").as_string().unwrap_or_default();
        assert!(message.contains(named), "{option}: {message}");
    }
}

#[wasm_bindgen_test]
fn subscribe_rejects_non_function() {
    let client = client("stable", "");
    let error = client
        .subscribe(JsValue::from_str("not a function"))
        .expect_err("rejected");
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
}
