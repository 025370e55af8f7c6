//! One lookup over the network: each attempt with its timeout, and the
//! retries after failures that may pass.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, AbortSignal, Headers, ReadableStream, ReadableStreamDefaultReader, Request,
    RequestCredentials, RequestInit, Response,
};

use super::debug;
use super::platform::{clear_timeout, now_ms, random, set_timeout, sleep, wait_until_shown};
use crate::error::{Error, ErrorCode};
use crate::retry::{backoff_delay_ms, is_retryable, parse_retry_after};
use crate::url::{encode_uri_component, lookup_url};

/// The settings of a client that shape its requests.
pub(crate) struct RequestConfig {
    pub(crate) base_url: String,
    pub(crate) site: String,
    pub(crate) credentials: RequestCredentials,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) timeout_ms: i32,
    pub(crate) retries: u32,
    pub(crate) retry_base_ms: f64,
    pub(crate) retry_max_ms: f64,
    pub(crate) defer_while_prerendering: bool,
    pub(crate) max_bytes: usize,
    /// Whether to log each lookup and retry with `console.debug`.
    pub(crate) debug: bool,
}

/// Fetches the document body of `session_id`, trying again after failures
/// that may pass, until `signal` aborts. The error of the last attempt is
/// the one returned.
pub(crate) async fn fetch_body(
    config: &RequestConfig,
    session_id: &str,
    signal: &AbortSignal,
) -> Result<Body, Error> {
    if config.defer_while_prerendering {
        wait_until_shown().await;
    }
    let mut retry = 0;
    loop {
        let (error, retry_after_ms) = match attempt(config, session_id, signal).await {
            Ok(body) => return Ok(body),
            Err(failure) => failure,
        };
        if retry >= config.retries || !is_retryable(&error) {
            return Err(error);
        }
        let delay_ms = match retry_after_ms {
            Some(delay_ms) => delay_ms.min(config.retry_max_ms),
            None => backoff_delay_ms(retry, config.retry_base_ms, config.retry_max_ms, random()),
        };
        if config.debug {
            debug::log(&format!(
                "retry {} of {} in {} ms after {}: {}",
                retry + 1,
                config.retries,
                delay_ms.round() as i64,
                debug::describe_error(&error),
                debug::lookup_label(&config.site, session_id)
            ));
        }
        if !sleep(delay_ms, signal).await {
            return Err(aborted_error());
        }
        retry += 1;
    }
}

/// Makes one request. A failure carries the delay its `Retry-After` header
/// requested, if any.
async fn attempt(
    config: &RequestConfig,
    session_id: &str,
    signal: &AbortSignal,
) -> Result<Body, (Error, Option<f64>)> {
    if signal.aborted() {
        return Err((aborted_error(), None));
    }
    let url =
        lookup_url(&config.base_url, &config.site, session_id).map_err(|error| (error, None))?;
    let canceller = Canceller::start(config.timeout_ms, signal).map_err(|error| (error, None))?;

    let failure = |error: JsValue| {
        let error = request_error(
            config,
            session_id,
            canceller.cause(),
            &js_error_text(&error),
        );
        (error, None)
    };
    let request = new_request(&url, config, &canceller.signal()).map_err(failure)?;
    let pending = global_fetch(&request);
    // The parser and the quick paths compile while the request is on the
    // network, unless the task scheduled at load has compiled them.
    super::warm_up();
    let response: Response = JsFuture::from(pending)
        .await
        .map_err(failure)?
        .unchecked_into();
    let status = response.status();
    let headers = response.headers();
    let header = |name: &str| headers.get(name).ok().flatten();
    if !(200..300).contains(&status) {
        let retry_after_ms =
            header("Retry-After").and_then(|value| parse_retry_after(&value, now_ms()));
        return Err((Error::from_status(status, &config.site), retry_after_ms));
    }
    let content_type = header("Content-Type").unwrap_or_default();
    let declared_length =
        header("Content-Length").and_then(|length| length.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > config.max_bytes as u64) {
        return Err((too_large(config.max_bytes), None));
    }
    let Some(body) = response.body() else {
        return Err((empty_body(status, &content_type), None));
    };
    let bytes = read_body(body, config.max_bytes)
        .await
        .map_err(|failure| match failure {
            BodyFailure::TooLarge => (too_large(config.max_bytes), None),
            BodyFailure::Read(message) => {
                let error = request_error(config, session_id, canceller.cause(), &message);
                (error, None)
            }
        })?;
    drop(canceller);
    if bytes.is_empty() {
        return Err((empty_body(status, &content_type), None));
    }
    Ok(Body {
        text: decode_utf8(bytes),
        content_type,
    })
}

/// A successful response's body and its `Content-Type`.
pub(crate) struct Body {
    pub(crate) text: String,
    pub(crate) content_type: String,
}

enum BodyFailure {
    TooLarge,
    Read(String),
}

#[wasm_bindgen]
extern "C" {
    /// Calls the global `fetch`, which browsers, workers and Node all have.
    #[wasm_bindgen(js_name = fetch)]
    fn global_fetch(request: &Request) -> js_sys::Promise;
}

/// Builds the `GET` request of one attempt: `Accept: application/json`, the
/// client's headers and credentials, and the attempt's abort signal.
fn new_request(
    url: &str,
    config: &RequestConfig,
    signal: &AbortSignal,
) -> Result<Request, JsValue> {
    let headers = Headers::new()?;
    headers.append("Accept", "application/json")?;
    for (name, value) in &config.headers {
        headers.append(name, value)?;
    }
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_headers(&headers);
    init.set_credentials(config.credentials);
    init.set_signal(Some(signal));
    Request::new_with_str_and_init(url, &init)
}

/// Reads a response body chunk by chunk and stops, cancelling the stream,
/// as soon as it would pass `max_bytes`, so no more than that is buffered.
async fn read_body(body: ReadableStream, max_bytes: usize) -> Result<Vec<u8>, BodyFailure> {
    let reader: ReadableStreamDefaultReader = body.get_reader().unchecked_into();
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|error| BodyFailure::Read(js_error_text(&error)))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done"))
            .ok()
            .and_then(|done| done.as_bool())
            .unwrap_or(true);
        if done {
            return Ok(bytes);
        }
        let Ok(value) = Reflect::get(&chunk, &JsValue::from_str("value"))
            .and_then(|value| value.dyn_into::<Uint8Array>())
        else {
            return Err(BodyFailure::Read(
                "the body stream sent a chunk that is not bytes".to_owned(),
            ));
        };
        if bytes.len().saturating_add(value.length() as usize) > max_bytes {
            let _ = reader.cancel();
            return Err(BodyFailure::TooLarge);
        }
        bytes.extend_from_slice(&value.to_vec());
    }
}

/// Decodes a body as `Response.text()` does: UTF-8, with a leading byte
/// order mark dropped and invalid bytes replaced by U+FFFD.
fn decode_utf8(bytes: Vec<u8>) -> String {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

fn js_error_text(error: &JsValue) -> String {
    match error.dyn_ref::<js_sys::Error>() {
        Some(error) => format!(
            "{}: {}",
            String::from(error.name()),
            String::from(error.message())
        ),
        None => "the body stream failed".to_owned(),
    }
}

fn too_large(max_bytes: usize) -> Error {
    Error::invalid_response(format!(
        "the session document is larger than maxBytes ({max_bytes} bytes); check that the \
         endpoint answers with one session document, or raise maxBytes"
    ))
}

fn empty_body(status: u16, content_type: &str) -> Error {
    let mut error = Error::invalid_response(format!(
        "the session lookup answered HTTP {status} with an empty body{}; the endpoint should \
         answer 200 with the session document as JSON",
        describe_content_type(content_type)
    ));
    error.status = Some(status);
    error
}

/// Returns ` (Content-Type: …)` for a message, or nothing without one.
pub(crate) fn describe_content_type(content_type: &str) -> String {
    if content_type.is_empty() {
        String::new()
    } else {
        format!(" (Content-Type: {content_type})")
    }
}

/// The cause that ended a request early, if any.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cancel {
    None,
    Timeout,
    Caller,
}

/// Aborts one request when its timeout fires or the outer signal does, and
/// records which one it was. Dropping it clears the timer and removes the
/// listener.
struct Canceller {
    controller: AbortController,
    cause: Rc<Cell<Cancel>>,
    timer: JsValue,
    _on_timeout: Closure<dyn FnMut()>,
    outer: (AbortSignal, Closure<dyn FnMut()>),
}

impl Canceller {
    fn start(timeout_ms: i32, outer_signal: &AbortSignal) -> Result<Self, Error> {
        let controller = AbortController::new()
            .map_err(|_| Error::new(ErrorCode::Network, "AbortController is not available"))?;
        let cause = Rc::new(Cell::new(Cancel::None));
        let on_timeout = abort_with(&controller, &cause, Cancel::Timeout);
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), timeout_ms);
        let on_abort = abort_with(&controller, &cause, Cancel::Caller);
        let _ = outer_signal
            .add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        Ok(Canceller {
            controller,
            cause,
            timer,
            _on_timeout: on_timeout,
            outer: (outer_signal.clone(), on_abort),
        })
    }

    fn signal(&self) -> AbortSignal {
        self.controller.signal()
    }

    fn cause(&self) -> Cancel {
        self.cause.get()
    }
}

impl Drop for Canceller {
    fn drop(&mut self) {
        clear_timeout(&self.timer);
        let (signal, on_abort) = &self.outer;
        let _ =
            signal.remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
    }
}

fn abort_with(
    controller: &AbortController,
    cause: &Rc<Cell<Cancel>>,
    reason: Cancel,
) -> Closure<dyn FnMut()> {
    let controller = controller.clone();
    let cause = Rc::clone(cause);
    Closure::new(move || {
        if cause.get() == Cancel::None {
            cause.set(reason);
            controller.abort();
        }
    })
}

/// Returns the error for a lookup that the caller's `AbortSignal` ended.
pub(crate) fn aborted_error() -> Error {
    Error::new(
        ErrorCode::Aborted,
        "the session lookup was aborted by the caller's AbortSignal",
    )
}

/// Names why a request failed, from what cancelled it, if anything. The
/// platform's message is kept with the session id removed, because the id
/// is the value of the reader's cookie.
fn request_error(config: &RequestConfig, session_id: &str, cause: Cancel, detail: &str) -> Error {
    match cause {
        Cancel::Caller => aborted_error(),
        Cancel::Timeout => Error::new(
            ErrorCode::Timeout,
            format!(
                "the session lookup for site {:?} sent no complete response within {} ms; \
                 check the endpoint, or raise timeoutMs",
                config.site, config.timeout_ms
            ),
        ),
        Cancel::None => {
            let detail = detail
                .replace(&encode_uri_component(session_id), "{sessionId}")
                .replace(session_id, "{sessionId}");
            Error::new(
                ErrorCode::Network,
                format!(
                    "the session lookup for site {:?} failed before a response ({detail}); check \
                     the network, the baseUrl {:?} and, for another origin, its CORS headers",
                    config.site, config.base_url
                ),
            )
        }
    }
}
