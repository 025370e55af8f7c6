//! `SessionClient`: fetches session documents from the lookup endpoint.

use std::cell::Cell;
use std::rc::Rc;

use gloo_net::http::Request;
use js_sys::{Function, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::{AbortController, AbortSignal, Headers, RequestCredentials};

use super::convert::{get, optional_string, options_object, required_string, type_name};
use super::session::JsSession;
use super::{invalid_argument, to_js_error};
use crate::error::{Error, ErrorCode};
use crate::model::Session;
use crate::url::{check_base_url, check_segment, encode_uri_component, lookup_url};

/// The timeout when the options set none, in milliseconds.
const DEFAULT_TIMEOUT_MS: f64 = 3000.0;

/// The maximum delay `setTimeout` accepts, 2^31 - 1 milliseconds.
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

#[wasm_bindgen]
extern "C" {
    // The global functions, so that the client works in windows, workers and Node.
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, delay_ms: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(handle: &JsValue);
}

/// Fetches reader sessions from a lookup endpoint, exported to JavaScript as `SessionClient`.
#[wasm_bindgen]
pub struct SessionClient {
    config: Rc<Config>,
}

struct Config {
    base_url: String,
    site: String,
    credentials: RequestCredentials,
    headers: Vec<(String, String)>,
    timeout_ms: i32,
}

#[wasm_bindgen]
impl SessionClient {
    /// Creates a client from `{ baseUrl, site, credentials, headers, timeoutMs }`.
    ///
    /// `baseUrl` (absolute, or relative to the page) and `site` are required.
    /// `credentials` is `"omit"`, `"same-origin"` (the default) or
    /// `"include"`; `headers` an object of extra request headers; `timeoutMs`
    /// the time allowed for a complete response (3000 by default).
    ///
    /// # Errors
    ///
    /// `invalid_argument` naming the option that is missing or wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<SessionClient, JsValue> {
        if !options.is_object() {
            return Err(invalid_argument(format!(
                "SessionClient options must be an object with baseUrl and site, but they are {}",
                type_name(&options)
            )));
        }
        let base_url = required_string(&get(&options, "baseUrl"), "baseUrl")?;
        check_base_url(&base_url).map_err(to_js_error)?;
        let site = required_string(&get(&options, "site"), "site")?;
        check_segment("site", &site).map_err(to_js_error)?;
        let config = Config {
            base_url,
            site,
            credentials: read_credentials(&get(&options, "credentials"))?,
            headers: read_headers(&get(&options, "headers"))?,
            timeout_ms: read_timeout(&get(&options, "timeoutMs"))?,
        };
        Ok(SessionClient {
            config: Rc::new(config),
        })
    }

    /// Fetches `GET {baseUrl}/v4/sessions/{site}/{sessionId}` and resolves
    /// to a `Session`. `options.signal` is an `AbortSignal` that cancels the
    /// request.
    ///
    /// The promise rejects with a `ZephrSessionError` whose `code` is
    /// `invalid_argument`, `unauthorized`, `not_found`, `http_error`,
    /// `network`, `timeout`, `aborted` or `invalid_response`.
    #[wasm_bindgen(js_name = fetchSession)]
    pub fn fetch_session(&self, session_id: JsValue, options: JsValue) -> js_sys::Promise {
        let lookup = self.fetch(&session_id, &options);
        future_to_promise(async move { Ok(lookup.await?.into()) })
    }

    /// Returns the base URL the client sends lookups to.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.config.base_url.clone()
    }

    /// Returns the site the client looks sessions up in.
    #[wasm_bindgen(getter)]
    pub fn site(&self) -> String {
        self.config.site.clone()
    }
}

impl SessionClient {
    /// Returns the lookup behind `fetchSession`, as a Rust future for Rust callers.
    ///
    /// # Errors
    ///
    /// A `ZephrSessionError`, as for `fetchSession`.
    pub fn fetch(
        &self,
        session_id: &JsValue,
        options: &JsValue,
    ) -> impl std::future::Future<Output = Result<JsSession, JsValue>> + 'static {
        let config = Rc::clone(&self.config);
        let arguments = read_fetch_arguments(session_id, options);
        async move {
            let (session_id, signal) = arguments?;
            let session = fetch(&config, &session_id, signal.as_ref()).await?;
            Ok(JsSession::new(session))
        }
    }
}

fn read_credentials(value: &JsValue) -> Result<RequestCredentials, JsValue> {
    match optional_string(value, "credentials")?.as_deref() {
        None | Some("same-origin") => Ok(RequestCredentials::SameOrigin),
        Some("omit") => Ok(RequestCredentials::Omit),
        Some("include") => Ok(RequestCredentials::Include),
        Some(other) => Err(invalid_argument(format!(
            "credentials {other:?} is not valid; pass \"omit\", \"same-origin\" or \"include\""
        ))),
    }
}

/// Reads the extra headers and checks each with the platform's `Headers`,
/// so that a bad name or value fails here and not on every lookup.
fn read_headers(value: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    let value = options_object(value, "headers")?;
    if value.is_undefined() {
        return Ok(Vec::new());
    }
    let probe = Headers::new()?;
    let mut headers = Vec::new();
    for entry in Object::entries(value.unchecked_ref::<Object>()) {
        let name = js_sys::Reflect::get_u32(&entry, 0)?
            .as_string()
            .unwrap_or_default();
        let value = js_sys::Reflect::get_u32(&entry, 1)?;
        // The message names the header but never shows its value, which may be a secret.
        let Some(value) = value.as_string() else {
            return Err(invalid_argument(format!(
                "header {name:?} must have a string value, but it is {}",
                type_name(&value)
            )));
        };
        if probe.append(&name, &value).is_err() {
            return Err(invalid_argument(format!(
                "header {name:?} has an invalid name or value; use a token name and a value \
                 without line breaks"
            )));
        }
        headers.push((name, value));
    }
    Ok(headers)
}

fn read_timeout(value: &JsValue) -> Result<i32, JsValue> {
    if value.is_undefined() {
        return Ok(DEFAULT_TIMEOUT_MS as i32);
    }
    match value.as_f64() {
        Some(ms) if (1.0..=MAX_TIMEOUT_MS).contains(&ms) => Ok(ms.ceil() as i32),
        _ => {
            Err(invalid_argument(format!(
            "timeoutMs must be a number of milliseconds from 1 to {MAX_TIMEOUT_MS}, but it is {}",
            value.as_f64().map_or_else(|| type_name(value), |ms| ms.to_string())
        )))
        }
    }
}

fn read_fetch_arguments(
    session_id: &JsValue,
    options: &JsValue,
) -> Result<(String, Option<AbortSignal>), JsValue> {
    let session_id = required_string(session_id, "sessionId")?;
    check_segment("sessionId", &session_id).map_err(to_js_error)?;
    let options = options_object(options, "fetchSession options")?;
    let signal = get(&options, "signal");
    if signal.is_undefined() || signal.is_null() {
        return Ok((session_id, None));
    }
    match signal.dyn_into::<AbortSignal>() {
        Ok(signal) => Ok((session_id, Some(signal))),
        Err(other) => Err(invalid_argument(format!(
            "signal must be an AbortSignal, but it is {}",
            type_name(&other)
        ))),
    }
}

/// The cause that ended a request early, if any.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cancel {
    None,
    Timeout,
    Caller,
}

/// Aborts the request when the timeout fires or the caller's signal does,
/// and records which one it was. Dropping it clears the timer and removes
/// the listener.
struct Canceller {
    controller: AbortController,
    cause: Rc<Cell<Cancel>>,
    timer: JsValue,
    _on_timeout: Closure<dyn FnMut()>,
    caller: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

impl Canceller {
    fn start(timeout_ms: i32, caller_signal: Option<&AbortSignal>) -> Result<Self, Error> {
        let controller = AbortController::new()
            .map_err(|_| Error::new(ErrorCode::Network, "AbortController is not available"))?;
        let cause = Rc::new(Cell::new(Cancel::None));
        let on_timeout = abort_with(&controller, &cause, Cancel::Timeout);
        let timer = set_timeout(on_timeout.as_ref().unchecked_ref(), timeout_ms);
        let caller = caller_signal.map(|signal| {
            let on_abort = abort_with(&controller, &cause, Cancel::Caller);
            let _ =
                signal.add_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
            (signal.clone(), on_abort)
        });
        Ok(Canceller {
            controller,
            cause,
            timer,
            _on_timeout: on_timeout,
            caller,
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
        if let Some((signal, on_abort)) = &self.caller {
            let _ = signal
                .remove_event_listener_with_callback("abort", on_abort.as_ref().unchecked_ref());
        }
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

async fn fetch(
    config: &Config,
    session_id: &str,
    caller_signal: Option<&AbortSignal>,
) -> Result<Session, JsValue> {
    if caller_signal.is_some_and(AbortSignal::aborted) {
        return Err(to_js_error(aborted_error()));
    }
    let url = lookup_url(&config.base_url, &config.site, session_id).map_err(to_js_error)?;
    let canceller = Canceller::start(config.timeout_ms, caller_signal).map_err(to_js_error)?;
    let signal = canceller.signal();

    let mut request = Request::get(&url)
        .header("Accept", "application/json")
        .credentials(config.credentials)
        .abort_signal(Some(&signal));
    for (name, value) in &config.headers {
        request = request.header(name, value);
    }

    let failure = |error: gloo_net::Error| {
        to_js_error(request_error(config, session_id, canceller.cause(), &error))
    };
    let response = request.send().await.map_err(failure)?;
    let status = response.status();
    if !(200..300).contains(&status) {
        return Err(to_js_error(Error::from_status(status, &config.site)));
    }
    let text = response.text().await.map_err(failure)?;
    drop(canceller);

    Session::parse(&text, Some(session_id)).map_err(|mut error| {
        error.status = Some(status);
        to_js_error(error)
    })
}

fn aborted_error() -> Error {
    Error::new(
        ErrorCode::Aborted,
        "the session lookup was aborted by the caller's AbortSignal",
    )
}

/// Names why a request failed, from what cancelled it, if anything. The
/// platform's message is kept with the session id removed, because the id
/// is the value of the reader's cookie.
fn request_error(
    config: &Config,
    session_id: &str,
    cause: Cancel,
    error: &gloo_net::Error,
) -> Error {
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
            let detail = error
                .to_string()
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
