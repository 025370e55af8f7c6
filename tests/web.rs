//! The JavaScript surface in headless Chromium: `SessionClient` against the
//! mock lookup in `tests/mock/server.mjs`, and `Session` built from values.
//!
//! The test command starts the mock and passes its URL at build time in
//! `ZEPHR_MOCK_URL`.
#![cfg(target_arch = "wasm32")]
// A failed expectation in a test helper is a failed test, so panicking there is right.
#![allow(clippy::expect_used)]

use js_sys::{Promise, Reflect, JSON};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use web_sys::AbortController;
use zephr_session::js::{JsSession, SessionClient};

wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/browser.rs"]
mod browser;

use browser::*;

fn client(extra_options: &str) -> SessionClient {
    let options = format!(
        r#"{{"baseUrl": "{}", "site": "ok" {extra_options}}}"#,
        mock_url()
    );
    SessionClient::new(json(&options)).expect("valid client options")
}

fn client_for_site(site: &str, timeout_ms: u32) -> SessionClient {
    let options = format!(
        r#"{{"baseUrl": "{}/", "site": "{site}", "timeoutMs": {timeout_ms}}}"#,
        mock_url()
    );
    SessionClient::new(json(&options)).expect("valid client options")
}

async fn fetch(client: &SessionClient, session_id: &str) -> Result<JsSession, JsValue> {
    client
        .fetch(&JsValue::from_str(session_id), &JsValue::UNDEFINED)
        .await
}

async fn expect_error(promise: Promise) -> JsValue {
    match JsFuture::from(promise).await {
        Ok(_) => panic!("the lookup was expected to fail"),
        Err(error) => {
            assert!(
                error.is_instance_of::<js_sys::Error>(),
                "not an Error: {error:?}"
            );
            assert_eq!(
                property(&error, "name").as_string().as_deref(),
                Some("ZephrSessionError")
            );
            error
        }
    }
}

async fn last_requested_path() -> Option<String> {
    requested_paths().await.pop()
}

async fn fetch_error(client: &SessionClient, session_id: &str) -> JsValue {
    expect_error(client.fetch_session(JsValue::from_str(session_id), JsValue::UNDEFINED)).await
}

#[wasm_bindgen_test]
async fn fetch_session_resolves_to_session() {
    let session = fetch(&client(""), "abc").await.expect("lookup succeeds");
    assert_eq!(
        session.remaining_credits(JsValue::from_str("monthly-free")),
        Ok(Some(2.0))
    );
    let decision = session
        .decide(
            JsValue::from_str("article-1"),
            json(r#"{"entitlementId": "premium"}"#),
        )
        .expect("decide succeeds");
    assert_eq!(property(&decision, "granted"), JsValue::TRUE);
    assert_eq!(
        property(&decision, "reason").as_string().as_deref(),
        Some("meter")
    );
    assert_eq!(
        property(&decision, "meterId").as_string().as_deref(),
        Some("monthly-free")
    );
    assert_eq!(property(&decision, "remainingCredits").as_f64(), Some(2.0));
    let current = session.current_session();
    assert_eq!(
        property(&current, "sessionId").as_string().as_deref(),
        Some("abc")
    );
    assert_eq!(
        last_requested_path().await.as_deref(),
        Some("/v4/sessions/ok/abc")
    );
}

#[wasm_bindgen_test]
async fn fetch_session_promise_resolves_to_js_session() {
    let promise = client("").fetch_session(JsValue::from_str("p"), JsValue::UNDEFINED);
    let session = JsFuture::from(promise).await.expect("lookup succeeds");
    let remaining_credits: js_sys::Function = property(&session, "remainingCredits")
        .dyn_into()
        .expect("Session has remainingCredits()");
    let remaining = remaining_credits
        .call1(&session, &JsValue::from_str("monthly-free"))
        .expect("remainingCredits succeeds");
    assert_eq!(remaining.as_f64(), Some(2.0));
}

#[wasm_bindgen_test]
async fn fetch_session_sends_accept_and_extra_headers() {
    let client = client(r#", "headers": {"X-Requested-With": "paywall"}"#);
    let session = fetch(&client, "h").await.expect("lookup succeeds");
    let accept = session
        .session_variable(JsValue::from_str("accept"))
        .expect("key is valid");
    assert_eq!(accept.as_string().as_deref(), Some("application/json"));
    let requested_with = session
        .session_variable(JsValue::from_str("requestedWith"))
        .expect("key is valid");
    assert_eq!(requested_with.as_string().as_deref(), Some("paywall"));
}

#[wasm_bindgen_test]
async fn headers_accept_headers_map_and_pairs() {
    let cases = [
        "new Headers({'X-Requested-With': 'from-headers'})",
        "new Map([['X-Requested-With', 'from-map']])",
        "[['X-Requested-With', 'from-pairs']]",
    ];
    for (index, source) in cases.iter().enumerate() {
        let headers = js_sys::eval(source).expect("test JavaScript runs");
        let options = json(&format!(r#"{{"baseUrl": "{}", "site": "ok"}}"#, mock_url()));
        Reflect::set(&options, &"headers".into(), &headers).expect("set headers");
        let client = SessionClient::new(options).expect("valid options");
        let session = fetch(&client, &format!("headers-{index}"))
            .await
            .expect("lookup succeeds");
        let sent = session
            .session_variable(JsValue::from_str("requestedWith"))
            .expect("key is valid");
        let expected = source.split('\'').nth(3).expect("test case names a value");
        assert_eq!(sent.as_string().as_deref(), Some(expected), "{source}");
    }
}

#[wasm_bindgen_test]
async fn ids_are_encoded_as_one_segment() {
    let cases = [
        ("a/b", "a%2Fb"),
        ("a?b=1", "a%3Fb%3D1"),
        ("a#b", "a%23b"),
        ("100%", "100%25"),
        ("two words", "two%20words"),
        ("café-✓", "caf%C3%A9-%E2%9C%93"),
        ("../admin", "..%2Fadmin"),
        ("...", "..."),
    ];
    let client = client("");
    for (session_id, encoded) in cases {
        let session = fetch(&client, session_id).await.expect("lookup succeeds");
        let path = session
            .session_variable(JsValue::from_str("path"))
            .expect("key is valid");
        assert_eq!(
            path.as_string(),
            Some(format!("/v4/sessions/ok/{encoded}")),
            "id {session_id:?}"
        );
        let current = session.current_session();
        assert_eq!(
            property(&current, "sessionId").as_string().as_deref(),
            Some(session_id),
            "the mock decoded id {session_id:?} to another value"
        );
    }
}

#[wasm_bindgen_test]
async fn site_is_encoded_too() {
    let options = format!(r#"{{"baseUrl": "{}", "site": "a/b c"}}"#, mock_url());
    let client = SessionClient::new(json(&options)).expect("valid options");
    let error = fetch_error(&client, "x").await;
    assert_eq!(code(&error).as_deref(), Some("not_found"));
    assert_eq!(
        last_requested_path().await.as_deref(),
        Some("/v4/sessions/a%2Fb%20c/x")
    );
}

#[wasm_bindgen_test]
async fn dot_segments_rejected_before_request() {
    let client = client("");
    let before = requested_paths().await.len();
    for session_id in [".", "..", ""] {
        let error = fetch_error(&client, session_id).await;
        assert_eq!(
            code(&error).as_deref(),
            Some("invalid_argument"),
            "id {session_id:?}"
        );
        assert_eq!(status(&error), None);
    }
    let not_a_string =
        expect_error(client.fetch_session(JsValue::from(42), JsValue::UNDEFINED)).await;
    assert_eq!(code(&not_a_string).as_deref(), Some("invalid_argument"));
    assert!(message(&not_a_string).contains("sessionId"));
    assert_eq!(requested_paths().await.len(), before);
}

#[wasm_bindgen_test]
async fn http_statuses_map_to_codes() {
    let cases = [
        (401, "unauthorized"),
        (403, "http_error"),
        (404, "not_found"),
        (429, "http_error"),
        (500, "http_error"),
        (503, "http_error"),
    ];
    for (http_status, expected_code) in cases {
        let client = client_for_site(&format!("status-{http_status}"), 3000);
        let error = fetch_error(&client, "s/1").await;
        assert_eq!(
            code(&error).as_deref(),
            Some(expected_code),
            "HTTP {http_status}"
        );
        assert_eq!(status(&error), Some(f64::from(http_status)));
        assert!(
            !message(&error).contains("s/1"),
            "message shows the session id"
        );
        assert_eq!(
            last_requested_path().await,
            Some(format!("/v4/sessions/status-{http_status}/s%2F1"))
        );
    }
}

#[wasm_bindgen_test]
async fn slow_answer_times_out() {
    let client = client_for_site("slow", 300);
    let error = fetch_error(&client, "t").await;
    assert_eq!(code(&error).as_deref(), Some("timeout"));
    assert_eq!(status(&error), None);
    assert!(message(&error).contains("300 ms"), "{}", message(&error));
}

#[wasm_bindgen_test]
async fn slow_body_times_out() {
    let client = client_for_site("slow-body", 300);
    let error = fetch_error(&client, "t").await;
    assert_eq!(code(&error).as_deref(), Some("timeout"));
}

#[wasm_bindgen_test]
async fn caller_abort_rejects_as_aborted() {
    let client = client_for_site("slow", 3000);
    let controller = AbortController::new().expect("AbortController exists");
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).expect("set signal");
    let promise = client.fetch_session(JsValue::from_str("a"), options.into());
    let abort_later = Promise::new(&mut |resolve, _| {
        let window = web_sys::window().expect("a browser window");
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 100)
            .expect("setTimeout");
    });
    JsFuture::from(abort_later).await.expect("timer fires");
    controller.abort();
    let error = expect_error(promise).await;
    assert_eq!(code(&error).as_deref(), Some("aborted"));
    assert_eq!(status(&error), None);
}

#[wasm_bindgen_test]
async fn aborted_signal_sends_nothing() {
    let client = client("");
    let controller = AbortController::new().expect("AbortController exists");
    controller.abort();
    let before = requested_paths().await.len();
    let options = js_sys::Object::new();
    Reflect::set(&options, &"signal".into(), &controller.signal()).expect("set signal");
    let error = expect_error(client.fetch_session(JsValue::from_str("a"), options.into())).await;
    assert_eq!(code(&error).as_deref(), Some("aborted"));
    assert_eq!(requested_paths().await.len(), before);
}

#[wasm_bindgen_test]
async fn signal_of_wrong_type_is_invalid() {
    let error =
        expect_error(client("").fetch_session(JsValue::from_str("a"), json(r#"{"signal": 1}"#)))
            .await;
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    assert!(message(&error).contains("signal"));
}

#[wasm_bindgen_test]
async fn html_body_is_invalid_response() {
    let error = fetch_error(&client_for_site("not-json", 3000), "x").await;
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert_eq!(status(&error), Some(200.0));
    assert!(message(&error).contains("text/html"), "{}", message(&error));
}

#[wasm_bindgen_test]
async fn json_array_is_invalid_response() {
    let error = fetch_error(&client_for_site("array", 3000), "x").await;
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
    assert!(message(&error).contains("an array"), "{}", message(&error));
}

#[wasm_bindgen_test]
async fn closed_port_is_network_error() {
    let options = r#"{"baseUrl": "http://127.0.0.1:9", "site": "www", "timeoutMs": 2000}"#;
    let client = SessionClient::new(json(options)).expect("valid options");
    let error = fetch_error(&client, "secret-id").await;
    assert_eq!(code(&error).as_deref(), Some("network"));
    assert_eq!(status(&error), None);
    assert!(!message(&error).contains("secret-id"));
}

#[wasm_bindgen_test]
fn constructor_rejects_bad_options() {
    let cases = [
        ("null", "options"),
        (r#"{"site": "www"}"#, "baseUrl"),
        (r#"{"baseUrl": "", "site": "www"}"#, "baseUrl"),
        (r#"{"baseUrl": "/z?x=1", "site": "www"}"#, "baseUrl"),
        (r#"{"baseUrl": "/z"}"#, "site"),
        (r#"{"baseUrl": "/z", "site": 5}"#, "site"),
        (r#"{"baseUrl": "/z", "site": ".."}"#, "site"),
        (
            r#"{"baseUrl": "/z", "site": "www", "credentials": "all"}"#,
            "credentials",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "timeoutMs": 0}"#,
            "timeoutMs",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "timeoutMs": "3000"}"#,
            "timeoutMs",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "headers": [1]}"#,
            "header",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "headers": "X-A: 1"}"#,
            "headers",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "timeoutMS": 10}"#,
            "timeoutMS",
        ),
        (
            r#"{"baseUrl": "data:text/plain,x", "site": "www"}"#,
            "scheme",
        ),
        (
            r#"{"baseUrl": "https://u:TOPSECRET@x.test", "site": "www"}"#,
            "password",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "headers": {"X-A": 1}}"#,
            "X-A",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "headers": {"bad name": "v"}}"#,
            "bad name",
        ),
        (
            r#"{"baseUrl": "/z", "site": "www", "headers": {"X-A": "line\nbreak"}}"#,
            "X-A",
        ),
    ];
    for (options, named) in cases {
        let error = match SessionClient::new(json(options)) {
            Ok(_) => panic!("options {options} were accepted"),
            Err(error) => error,
        };
        assert_eq!(
            code(&error).as_deref(),
            Some("invalid_argument"),
            "{options}"
        );
        assert!(
            message(&error).contains(named),
            "{options}: {}",
            message(&error)
        );
        assert!(
            !message(&error).contains("line\nbreak"),
            "message shows a header value"
        );
        assert!(
            !message(&error).contains("TOPSECRET"),
            "message shows a password"
        );
    }
}

#[wasm_bindgen_test]
fn session_from_json_gives_dates_and_round_trips() {
    let document = json(
        r#"{"sessions": [{"session_id": "s1", "expiryDate": "2025-02-08 02:29 PM UTC"}],
            "access_model": {"meters": {"m": {"refreshTime": "2024-06-01 00:00:00", "remainingCredits": 1}}},
            "future_field": {"kept": true}}"#,
    );
    let session =
        JsSession::from_json(document, json(r#"{"sessionId": "s1"}"#)).expect("an object");
    let current = session.current_session();
    let expiry: js_sys::Date = property(&current, "expiryDate").dyn_into().expect("a Date");
    assert_eq!(expiry.get_time(), 1_739_024_940_000.0);
    let meter = session.meter(JsValue::from_str("m")).expect("valid id");
    let refresh: js_sys::Date = property(&meter, "refreshTime").dyn_into().expect("a Date");
    assert_eq!(
        String::from(refresh.to_iso_string()),
        "2024-06-01T00:00:00.000Z"
    );
    let round_trip = JSON::stringify(&session.to_json()).expect("stringify");
    assert!(String::from(round_trip).contains(r#""future_field":{"kept":true}"#));
}

#[wasm_bindgen_test]
fn session_rejects_non_objects() {
    for text in ["[]", "\"text\"", "null", "{", ""] {
        let error = match JsSession::parse(JsValue::from_str(text), JsValue::UNDEFINED) {
            Ok(_) => panic!("{text:?} was accepted"),
            Err(error) => error,
        };
        assert_eq!(
            code(&error).as_deref(),
            Some("invalid_response"),
            "{text:?}"
        );
    }
    let error = match JsSession::parse(JsValue::from(1), JsValue::UNDEFINED) {
        Ok(_) => panic!("a number was accepted as text"),
        Err(error) => error,
    };
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    let error = match JsSession::from_json(JsValue::UNDEFINED, JsValue::UNDEFINED) {
        Ok(_) => panic!("undefined was accepted"),
        Err(error) => error,
    };
    assert_eq!(code(&error).as_deref(), Some("invalid_response"));
}

#[wasm_bindgen_test]
fn helpers_reject_wrong_argument_types() {
    let session = JsSession::parse(JsValue::from_str("{}"), JsValue::UNDEFINED).expect("an object");
    let error = session
        .remaining_credits(JsValue::from(1))
        .expect_err("a number is not an id");
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    let error = session
        .decide(JsValue::UNDEFINED, JsValue::UNDEFINED)
        .expect_err("missing id");
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    let error = session
        .decide(JsValue::from_str("a"), json(r#"{"entitlementId": 3}"#))
        .expect_err("a number is not an entitlement id");
    assert!(message(&error).contains("entitlementId"));
    let error = session
        .is_expired(JsValue::from_str("tomorrow"))
        .expect_err("not a date");
    assert_eq!(code(&error).as_deref(), Some("invalid_argument"));
    assert_eq!(
        session.remaining_credits(JsValue::from_str("nope")),
        Ok(None)
    );
}
