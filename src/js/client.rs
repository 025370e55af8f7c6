//! `SessionClient`: fetches session documents, with a cache, one request per
//! session at a time, retries, stale answers, refreshes and change events.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};
use web_sys::{AbortController, AbortSignal, Headers, RequestCredentials};

use super::convert::{
    check_option_names, get, instance_description, is_plain_object, optional_string,
    options_object, own_entries, plain_object, read_option, required_string, set, type_name,
    unreadable,
};
use super::platform::{has_page_url, now_ms, session_cookie, sleep, StorageArea, MAX_TIMER_MS};
use super::registry::{self, Age, CacheMode, InFlight};
use super::request::{aborted_error, describe_content_type, fetch_body, RequestConfig};
use super::session::JsSession;
use super::{debug, invalid_argument, to_js_error};
use crate::cache::{cache_key, cache_key_prefix};
use crate::error::{Error, ErrorCode};
use crate::model::Session;
use crate::url::{check_base_url, check_segment, is_absolute_url};

/// The session id that requests the session named by the request's own cookie.
const CURRENT_SESSION_ID: &str = "current";

/// The largest document body read by default, 1 MiB.
const DEFAULT_MAX_BYTES: f64 = 1_048_576.0;

/// The largest `maxBytes` accepted, 256 MiB.
const MAX_MAX_BYTES: f64 = 268_435_456.0;

/// The largest `retries` accepted; more would only delay a certain failure.
const MAX_RETRIES: f64 = 10.0;

/// Fetches reader sessions from a lookup endpoint, exported to JavaScript as `SessionClient`.
#[wasm_bindgen]
pub struct SessionClient {
    config: Rc<Config>,
}

struct Config {
    request: RequestConfig,
    cache: CacheMode,
    cache_ttl_ms: f64,
    stale_on_error: bool,
}

impl Config {
    fn key(&self, session_id: &str) -> String {
        cache_key(&self.request.base_url, &self.request.site, session_id)
    }
}

#[wasm_bindgen]
impl SessionClient {
    /// Creates a client. `baseUrl` (absolute, or relative to the page) and
    /// `site` are required; every other option has a default, given in
    /// parentheses:
    ///
    /// - `credentials`: `"omit"`, `"same-origin"` (default) or `"include"`.
    /// - `headers`: an object of extra request headers.
    /// - `timeoutMs` (3000): the time allowed for each attempt's complete response.
    /// - `retries` (2): extra attempts after a network error, a timeout, or
    ///   HTTP 429, 502, 503 or 504, with exponential backoff and full jitter
    ///   from `retryBaseMs` (200) up to `retryMaxMs` (5000), which also caps
    ///   a `Retry-After` delay.
    /// - `cache` (`"memory"`): `"none"`, `"memory"`, `"session"`
    ///   (sessionStorage) or `"local"` (localStorage), for `cacheTtlMs` (60000).
    /// - `onError` (`"throw"`): with `"stale"`, a failed lookup resolves with
    ///   the last cached document, marked `isStale`.
    /// - `deferWhilePrerendering` (true): a prerendered page sends no lookup
    ///   until it is shown.
    /// - `maxBytes` (1048576): the largest document body read; a larger one
    ///   fails as `invalid_response` without being buffered whole.
    /// - `debug` (false): logs each lookup, cache hit, retry, stale answer
    ///   and decision with `console.debug`, prefixed `[zephr-session]`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` naming the option that is missing or wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "SessionClientOptions")] options: JsValue,
    ) -> Result<SessionClient, JsValue> {
        super::panic::install_panic_hook();
        if !options.is_object() {
            return Err(invalid_argument(format!(
                "SessionClient options must be an object with baseUrl and site, but they are {}",
                type_name(&options)
            )));
        }
        let plain = is_plain_object(&options)
            .map_err(|error| unreadable("SessionClient options", &error, "a plain object"))?;
        if !plain {
            return Err(invalid_argument(format!(
                "SessionClient options must be a plain object with baseUrl and site, but they \
                 are {}",
                instance_description(&options)
            )));
        }
        check_option_names(&options, "SessionClient options", &OPTION_NAMES)?;
        let config = Config {
            request: read_request_config(&options)?,
            cache: read_cache_mode(&read_option(&options, "cache")?)?,
            cache_ttl_ms: read_number(
                &read_option(&options, "cacheTtlMs")?,
                "cacheTtlMs",
                60_000.0,
                0.0,
                MAX_TIMER_MS,
            )?,
            stale_on_error: read_on_error(&read_option(&options, "onError")?)?,
        };
        Ok(SessionClient {
            config: Rc::new(config),
        })
    }

    /// Fetches `GET {baseUrl}/v4/sessions/{site}/{sessionId}` and resolves
    /// to a `Session`.
    ///
    /// Without `sessionId`, the id is the page's `blaize_session` cookie when
    /// the page can read it, else `"current"`, which the endpoint resolves
    /// from the request's own cookie. A fresh cached document resolves with
    /// no request, unless `options.fresh` is true; calls for the same
    /// session while a lookup is in flight share it. `options.signal` is an
    /// `AbortSignal` that ends this call's wait (and the request, when no
    /// other call waits for it).
    ///
    /// The promise rejects with a `ZephrSessionError` whose `code` is
    /// `invalid_argument`, `unauthorized`, `not_found`, `http_error`,
    /// `network`, `timeout`, `aborted` or `invalid_response`.
    #[wasm_bindgen(js_name = fetchSession, unchecked_return_type = "Promise<Session>")]
    pub fn fetch_session(
        &self,
        #[wasm_bindgen(js_name = sessionId, unchecked_optional_param_type = "string | null")]
        session_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "FetchSessionOptions")] options: JsValue,
    ) -> Promise {
        let lookup = self.fetch(&session_id, &options);
        future_to_promise(async move { Ok(lookup.await?.into()) })
    }

    /// Fetches the session again, skipping the cache, as after a login or
    /// a purchase: `fetchSession(sessionId, { fresh: true, signal })`.
    #[wasm_bindgen(unchecked_return_type = "Promise<Session>")]
    pub fn refresh(
        &self,
        #[wasm_bindgen(js_name = sessionId, unchecked_optional_param_type = "string | null")]
        session_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RefreshOptions")] options: JsValue,
    ) -> Promise {
        let arguments = read_fetch_arguments(&session_id, &options)
            .map(|(session_id, signal, _)| (session_id, signal));
        let config = Rc::clone(&self.config);
        future_to_promise(async move {
            let (session_id, signal) = arguments?;
            Ok(lookup(config, session_id, signal, true).await?.into())
        })
    }

    /// Fetches the session fresh, again and again, until
    /// `predicate(session)` returns a truthy value, as after a checkout
    /// until the new entitlement shows. Options: `attempts` (default 5),
    /// `intervalMs` (default 1000) between attempts, and `signal`.
    ///
    /// Resolves to `{ session, satisfied }` with the last session fetched;
    /// rejects when no attempt fetched a session (with the last error), when
    /// the predicate throws, or when `signal` aborts.
    #[wasm_bindgen(js_name = refreshUntil, unchecked_return_type = "Promise<RefreshUntilResult>")]
    pub fn refresh_until(
        &self,
        #[wasm_bindgen(js_name = sessionId, unchecked_param_type = "string | undefined | null")]
        session_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "(session: Session) => unknown")] predicate: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "RefreshUntilOptions")] options: JsValue,
    ) -> Promise {
        let config = Rc::clone(&self.config);
        let arguments = read_refresh_until_arguments(&session_id, &predicate, &options);
        future_to_promise(async move {
            let (session_id, predicate, attempts, interval_ms, signal) = arguments?;
            let mut last: Result<JsValue, JsValue> = Err(JsValue::UNDEFINED);
            for attempt in 0..attempts {
                if attempt > 0 {
                    let waited = match &signal {
                        Some(signal) => sleep(interval_ms, signal).await,
                        None => sleep(interval_ms, &never_aborted()?).await,
                    };
                    if !waited {
                        return Err(to_js_error(aborted_error()));
                    }
                }
                match lookup(Rc::clone(&config), session_id.clone(), signal.clone(), true).await {
                    Ok(session) => {
                        let session: JsValue = session.into();
                        if predicate.call1(&JsValue::NULL, &session)?.is_truthy() {
                            return Ok(refresh_result(&session, true));
                        }
                        last = Ok(session);
                    }
                    Err(error) if is_code(&error, ErrorCode::Aborted) => return Err(error),
                    Err(error) => {
                        if last.is_err() {
                            last = Err(error);
                        }
                    }
                }
            }
            last.map(|session| refresh_result(&session, false))
        })
    }

    /// Calls `callback(sessionId, session)` each time a fetched document
    /// differs from the one before for that session (by content, which
    /// includes `v` and `last_updated`), and for the first one fetched; never
    /// for a cache hit. Returns a function that unsubscribes.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `callback` is not a function.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(sessionId: string, session: Session) => void")]
        callback: JsValue,
    ) -> Result<Function, JsValue> {
        let Some(callback) = callback.dyn_ref::<Function>() else {
            return Err(invalid_argument(format!(
                "subscribe expects a function, but got {}",
                type_name(&callback)
            )));
        };
        let id = registry::subscribe(callback.clone());
        let unsubscribe = Closure::<dyn FnMut()>::new(move || registry::unsubscribe(id));
        Ok(unsubscribe.into_js_value().unchecked_into())
    }

    /// Drops the cached document of one session, or with no id every cached
    /// document of this base URL and site, from memory and Web Storage (on logout).
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `sessionId` is given and is not a non-empty string.
    pub fn clear(
        &self,
        #[wasm_bindgen(js_name = sessionId, unchecked_optional_param_type = "string | null")]
        session_id: JsValue,
    ) -> Result<(), JsValue> {
        let request = &self.config.request;
        match optional_string(&session_id, "sessionId")? {
            Some(session_id) => {
                check_segment("sessionId", &session_id).map_err(to_js_error)?;
                registry::clear(&self.config.key(&session_id));
            }
            None => registry::clear(&cache_key_prefix(&request.base_url, &request.site)),
        }
        Ok(())
    }

    /// The base URL the client sends lookups to.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.config.request.base_url.clone()
    }

    /// The site the client looks sessions up in.
    #[wasm_bindgen(getter)]
    pub fn site(&self) -> String {
        self.config.request.site.clone()
    }
}

impl SessionClient {
    /// Runs `fetchSession` as a Rust future, for Rust callers.
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
            let (session_id, signal, fresh) = arguments?;
            lookup(config, session_id, signal, fresh).await
        }
    }
}

/// Serves a lookup from the cache, from a lookup in flight, or from a new
/// request, and falls back to a stale document when configured.
async fn lookup(
    config: Rc<Config>,
    session_id: String,
    signal: Option<AbortSignal>,
    fresh: bool,
) -> Result<JsSession, JsValue> {
    if signal.as_ref().is_some_and(AbortSignal::aborted) {
        return Err(to_js_error(aborted_error()));
    }
    let key = config.key(&session_id);
    let debug = config.request.debug;
    if !fresh {
        let age = Age::Fresh {
            keep_expired: config.stale_on_error,
        };
        if let Some(cached) =
            registry::cached(config.cache, &key, &session_id, config.cache_ttl_ms, age)
        {
            if debug {
                debug::log(&format!(
                    "cache hit: {}, fetched {} ms ago",
                    debug::lookup_label(&config.request.site, &session_id),
                    (now_ms() - cached.fetched_at_ms).round() as i64
                ));
            }
            registry::note_seen(&key, cached.session.document());
            return Ok(JsSession::shared(cached.session, None, debug));
        }
    }
    let flight = match registry::in_flight(&key).filter(|_| !fresh) {
        Some(flight) => {
            if debug {
                debug::log(&format!(
                    "joining the lookup in flight: {}",
                    debug::lookup_label(&config.request.site, &session_id)
                ));
            }
            flight
        }
        None => start_flight(&config, &key, &session_id)?,
    };
    match wait_for(&flight, signal.as_ref()).await {
        Ok(session) => Ok(JsSession::shared(session, None, debug)),
        Err(error) if error.code == ErrorCode::Aborted => Err(to_js_error(error)),
        Err(error) => stale_or(&config, &key, &session_id, error),
    }
}

/// Answers a failed lookup with the last cached document, at any age, when
/// the client is set to `onError: "stale"`; else with the error. A 404 is
/// never answered stale, because the session no longer exists.
fn stale_or(
    config: &Config,
    key: &str,
    session_id: &str,
    error: Error,
) -> Result<JsSession, JsValue> {
    let eligible = config.stale_on_error
        && !matches!(error.code, ErrorCode::NotFound | ErrorCode::InvalidArgument);
    let cached = eligible
        .then(|| registry::cached(config.cache, key, session_id, config.cache_ttl_ms, Age::Any))
        .flatten();
    let debug = config.request.debug;
    match cached {
        Some(cached) => {
            if debug {
                debug::log(&format!(
                    "stale answer after {}: {}, fetched {} ms ago",
                    debug::describe_error(&error),
                    debug::lookup_label(&config.request.site, session_id),
                    (now_ms() - cached.fetched_at_ms).round() as i64
                ));
            }
            let stale_error = Some(to_js_error(error));
            Ok(JsSession::shared(cached.session, stale_error, debug))
        }
        None => Err(to_js_error(error)),
    }
}

/// Starts the request for `key` and records it as in flight.
fn start_flight(config: &Rc<Config>, key: &str, session_id: &str) -> Result<Rc<InFlight>, JsValue> {
    let controller = AbortController::new()?;
    let flight_slot: Rc<RefCell<Option<Rc<InFlight>>>> = Rc::new(RefCell::new(None));
    let task = {
        let config = Rc::clone(config);
        let key = key.to_owned();
        let session_id = session_id.to_owned();
        let signal = controller.signal();
        let flight_slot = Rc::clone(&flight_slot);
        async move {
            let outcome = fetch_session_document(&config, &key, &session_id, &signal).await;
            if let Some(flight) = flight_slot.borrow_mut().take() {
                *flight.result.borrow_mut() = Some(outcome);
                registry::end_flight(&key, &flight);
            }
            Ok(JsValue::UNDEFINED)
        }
    };
    let flight = Rc::new(InFlight {
        done: future_to_promise(task),
        result: RefCell::new(None),
        controller,
        waiters: Cell::new(0),
    });
    *flight_slot.borrow_mut() = Some(Rc::clone(&flight));
    registry::start_flight(key, &flight);
    Ok(flight)
}

/// Fetches and parses the document, caches it and notifies the subscribers,
/// logging the lookup for a client created with `debug: true`.
async fn fetch_session_document(
    config: &Config,
    key: &str,
    session_id: &str,
    signal: &AbortSignal,
) -> Result<Rc<Session>, Error> {
    let debug = config.request.debug;
    if debug {
        debug::log(&format!(
            "lookup started: {}",
            debug::lookup_label(&config.request.site, session_id)
        ));
    }
    let outcome = fetch_and_parse(config, session_id, signal).await;
    if debug {
        let label = debug::lookup_label(&config.request.site, session_id);
        match &outcome {
            Ok(session) => debug::log(&format!(
                "lookup succeeded: {label}, {} warnings",
                session.warnings().len()
            )),
            Err(error) => debug::log(&format!(
                "lookup failed with {}: {label}",
                debug::describe_error(error)
            )),
        }
    }
    let session = Rc::new(outcome?);
    registry::store(config.cache, key, &session, now_ms());
    registry::publish(key, session_id, &session, debug);
    Ok(session)
}

/// Fetches the document body, trying again as configured, and parses it.
async fn fetch_and_parse(
    config: &Config,
    session_id: &str,
    signal: &AbortSignal,
) -> Result<Session, Error> {
    let body = fetch_body(&config.request, session_id, signal).await?;
    Session::parse(&body.text, Some(session_id)).map_err(|mut error| {
        // An HTML or plain-text page in place of the document usually means
        // the URL reached a login page or another service, so the message
        // names the type and the likely fix.
        if !body.content_type.is_empty() && !is_json_type(&body.content_type) {
            error.message = format!(
                "the session lookup answered{} instead of a JSON session document, often a \
                 login or error page; check that baseUrl points at the session endpoint",
                describe_content_type(&body.content_type)
            );
        }
        error.status = Some(200);
        error
    })
}

/// Waits for a lookup in flight, or for this caller's signal to abort. The
/// last caller to give up aborts the request itself.
async fn wait_for(
    flight: &Rc<InFlight>,
    signal: Option<&AbortSignal>,
) -> Result<Rc<Session>, Error> {
    flight.waiters.set(flight.waiters.get() + 1);
    let waited = match signal {
        Some(signal) => race_abort(&flight.done, signal).await,
        None => JsFuture::from(flight.done.clone()).await.is_ok(),
    };
    flight.waiters.set(flight.waiters.get().saturating_sub(1));
    if !waited {
        if flight.waiters.get() == 0 {
            flight.controller.abort();
        }
        return Err(aborted_error());
    }
    match flight.result.borrow().as_ref() {
        Some(result) => result.clone(),
        None => Err(Error::new(
            ErrorCode::Network,
            "the session lookup ended without a result",
        )),
    }
}

/// Waits for `done` unless `signal` aborts first; returns false on abort.
async fn race_abort(done: &Promise, signal: &AbortSignal) -> bool {
    let mut on_abort: Option<Closure<dyn FnMut()>> = None;
    let aborted = Promise::new(&mut |_resolve, reject| {
        let closure = Closure::new(move || {
            let _ = reject.call0(&JsValue::UNDEFINED);
        });
        let _ = signal.add_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
        on_abort = Some(closure);
    });
    let race = Promise::race(&js_sys::Array::of2(done, &aborted));
    let finished = JsFuture::from(race).await.is_ok();
    if let Some(closure) = &on_abort {
        let _ =
            signal.remove_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
    }
    finished && !signal.aborted()
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

fn never_aborted() -> Result<AbortSignal, JsValue> {
    Ok(AbortController::new()?.signal())
}

fn is_code(error: &JsValue, code: ErrorCode) -> bool {
    get(error, "code").as_string().as_deref() == Some(code.as_str())
}

fn refresh_result(session: &JsValue, satisfied: bool) -> JsValue {
    let result = plain_object(r#"{"session":null,"satisfied":false}"#);
    set(&result, "session", session);
    set(&result, "satisfied", &JsValue::from_bool(satisfied));
    result.into()
}

/// Reads the options that shape each request: the endpoint, credentials,
/// headers, timeout, retries, prerendering, body limit and debug log.
fn read_request_config(options: &JsValue) -> Result<RequestConfig, JsValue> {
    let option = |name: &'static str| read_option(options, name);
    let base_url = required_string(&option("baseUrl")?, "baseUrl")?;
    check_base_url(&base_url).map_err(to_js_error)?;
    if !is_absolute_url(&base_url) && !has_page_url() {
        return Err(invalid_argument(format!(
            "baseUrl {base_url:?} is relative, but this host (such as Node) has no page URL \
             to resolve it against; pass an absolute http: or https: URL"
        )));
    }
    let site = required_string(&option("site")?, "site")?;
    check_segment("site", &site).map_err(to_js_error)?;
    let retry_base_ms = read_number(
        &option("retryBaseMs")?,
        "retryBaseMs",
        200.0,
        0.0,
        MAX_TIMER_MS,
    )?;
    let retry_max_ms = read_number(
        &option("retryMaxMs")?,
        "retryMaxMs",
        5000.0,
        0.0,
        MAX_TIMER_MS,
    )?;
    Ok(RequestConfig {
        base_url,
        site,
        credentials: read_credentials(&option("credentials")?)?,
        headers: read_headers(&option("headers")?)?,
        timeout_ms: read_number(
            &option("timeoutMs")?,
            "timeoutMs",
            3000.0,
            1.0,
            MAX_TIMER_MS,
        )?
        .ceil() as i32,
        retries: read_integer(&option("retries")?, "retries", 2.0, 0.0, MAX_RETRIES)? as u32,
        retry_base_ms,
        retry_max_ms,
        defer_while_prerendering: read_flag(
            &option("deferWhilePrerendering")?,
            "deferWhilePrerendering",
            true,
        )?,
        max_bytes: read_integer(
            &option("maxBytes")?,
            "maxBytes",
            DEFAULT_MAX_BYTES,
            1.0,
            MAX_MAX_BYTES,
        )? as usize,
        debug: read_flag(&option("debug")?, "debug", false)?,
    })
}

/// The options `SessionClient` reads. Any other name is rejected, so that a
/// misspelled option such as `timeoutMS` fails at once instead of being ignored.
const OPTION_NAMES: [&str; 14] = [
    "baseUrl",
    "site",
    "credentials",
    "headers",
    "timeoutMs",
    "retries",
    "retryBaseMs",
    "retryMaxMs",
    "cache",
    "cacheTtlMs",
    "onError",
    "deferWhilePrerendering",
    "maxBytes",
    "debug",
];

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

fn read_cache_mode(value: &JsValue) -> Result<CacheMode, JsValue> {
    match optional_string(value, "cache")?.as_deref() {
        None | Some("memory") => Ok(CacheMode::Memory),
        Some("none") => Ok(CacheMode::None),
        Some("session") => Ok(CacheMode::Storage(StorageArea::Session)),
        Some("local") => Ok(CacheMode::Storage(StorageArea::Local)),
        Some(other) => Err(invalid_argument(format!(
            "cache {other:?} is not valid; pass \"none\", \"memory\", \"session\" or \"local\""
        ))),
    }
}

fn read_on_error(value: &JsValue) -> Result<bool, JsValue> {
    match optional_string(value, "onError")?.as_deref() {
        None | Some("throw") => Ok(false),
        Some("stale") => Ok(true),
        Some(other) => Err(invalid_argument(format!(
            "onError {other:?} is not valid; pass \"throw\" or \"stale\""
        ))),
    }
}

fn read_flag(value: &JsValue, name: &str, default: bool) -> Result<bool, JsValue> {
    if value.is_undefined() {
        return Ok(default);
    }
    value.as_bool().ok_or_else(|| {
        invalid_argument(format!(
            "{name} must be true or false, but it is {}",
            type_name(value)
        ))
    })
}

/// Reads a number option from `min` to `max`, or `default` when it is absent.
fn read_number(
    value: &JsValue,
    name: &str,
    default: f64,
    min: f64,
    max: f64,
) -> Result<f64, JsValue> {
    if value.is_undefined() {
        return Ok(default);
    }
    match value.as_f64() {
        Some(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(invalid_argument(format!(
            "{name} must be a number from {} to {}, but it is {}",
            format_number(min),
            format_number(max),
            value
                .as_f64()
                .map_or_else(|| type_name(value), format_number)
        ))),
    }
}

/// Formats a number as JavaScript's `String(number)` does, the form a
/// JavaScript caller expects. Rust's float formatting measured about 20 KB of
/// the wasm module before compression.
fn format_number(number: f64) -> String {
    js_sys::Number::from(number)
        .to_string_with_radix(10)
        .map(String::from)
        .unwrap_or_default()
}

fn read_integer(
    value: &JsValue,
    name: &str,
    default: f64,
    min: f64,
    max: f64,
) -> Result<f64, JsValue> {
    let number = read_number(value, name, default, min, max)?;
    if number.fract() != 0.0 {
        return Err(invalid_argument(format!(
            "{name} must be a whole number, but it is {}",
            format_number(number)
        )));
    }
    Ok(number)
}

/// Reads the extra headers, from a plain object, a `Headers`, a `Map` or an
/// array of `[name, value]` pairs, and checks each with the platform's
/// `Headers`, so that a bad name or value fails here and not on every lookup.
fn read_headers(value: &JsValue) -> Result<Vec<(String, String)>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    if !value.is_object() {
        return Err(invalid_argument(format!(
            "headers must be an object, a Headers, a Map or an array of pairs, but it is {}",
            type_name(value)
        )));
    }
    let entries: Vec<JsValue> = match js_sys::try_iter(value) {
        Ok(Some(iterator)) => iterator.collect::<Result<_, _>>(),
        _ => match is_plain_object(value) {
            Ok(true) => own_entries(value).map(|entries| entries.iter().collect()),
            Ok(false) => {
                return Err(invalid_argument(format!(
                    "headers must be a plain object, a Headers, a Map or an array of pairs, \
                     but it is {}",
                    instance_description(value)
                )))
            }
            Err(error) => Err(error),
        },
    }
    .map_err(|error| {
        unreadable(
            "headers",
            &error,
            "a plain object, a Headers, a Map or an array of pairs",
        )
    })?;
    let probe = Headers::new()?;
    let mut headers = Vec::new();
    for entry in entries {
        let name = js_sys::Reflect::get_u32(&entry, 0).unwrap_or(JsValue::UNDEFINED);
        let Some(name) = name.as_string() else {
            return Err(invalid_argument(format!(
                "each header must be a [name, value] pair of strings, but a name is {}",
                type_name(&name)
            )));
        };
        let value = js_sys::Reflect::get_u32(&entry, 1).unwrap_or(JsValue::UNDEFINED);
        // The message names the header but never shows its value, which may be a secret.
        let Some(value) = value.as_string() else {
            return Err(invalid_argument(format!(
                "header {name:?} must have a string value, but it is {}",
                type_name(&value)
            )));
        };
        if probe.append(&name, &value).is_err() {
            // The platform rejects both in one error, so the name is checked
            // here to say which one is wrong.
            return Err(invalid_argument(if is_token(&name) {
                format!(
                    "header {name:?} has an invalid value; use Latin-1 text without line \
                     breaks or NUL characters"
                )
            } else {
                format!(
                    "header {name:?} has an invalid name; use letters, digits and \
                     !#$%&'*+-.^_`|~ only"
                )
            }));
        }
        headers.push((name, value));
    }
    Ok(headers)
}

/// Returns whether `name` is an HTTP token (RFC 9110, section 5.6.2), as a
/// header name must be.
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&byte))
}

/// Reads the session id (from the argument, the cookie, or `"current"`),
/// the signal and the `fresh` flag of a `fetchSession` call.
fn read_fetch_arguments(
    session_id: &JsValue,
    options: &JsValue,
) -> Result<(String, Option<AbortSignal>, bool), JsValue> {
    let session_id = match optional_string(session_id, "sessionId")? {
        Some(session_id) => session_id,
        None => session_cookie().unwrap_or_else(|| CURRENT_SESSION_ID.to_owned()),
    };
    check_segment("sessionId", &session_id).map_err(to_js_error)?;
    let options = options_object(options, "fetchSession options", &["signal", "fresh"])?;
    let fresh = read_flag(&read_option(&options, "fresh")?, "fresh", false)?;
    Ok((
        session_id,
        read_signal(&read_option(&options, "signal")?)?,
        fresh,
    ))
}

fn read_signal(signal: &JsValue) -> Result<Option<AbortSignal>, JsValue> {
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    match signal.clone().dyn_into::<AbortSignal>() {
        Ok(signal) => Ok(Some(signal)),
        Err(other) => Err(invalid_argument(format!(
            "signal must be an AbortSignal, but it is {}",
            type_name(&other)
        ))),
    }
}

type RefreshUntilArguments = (String, Function, u32, f64, Option<AbortSignal>);

fn read_refresh_until_arguments(
    session_id: &JsValue,
    predicate: &JsValue,
    options: &JsValue,
) -> Result<RefreshUntilArguments, JsValue> {
    let (session_id, _, _) = read_fetch_arguments(session_id, &JsValue::UNDEFINED)?;
    let Some(predicate) = predicate.dyn_ref::<Function>() else {
        return Err(invalid_argument(format!(
            "refreshUntil expects a predicate function, but got {}",
            type_name(predicate)
        )));
    };
    let options = options_object(
        options,
        "refreshUntil options",
        &["attempts", "intervalMs", "signal"],
    )?;
    let attempts = read_integer(
        &read_option(&options, "attempts")?,
        "attempts",
        5.0,
        1.0,
        1000.0,
    )?;
    let interval_ms = read_number(
        &read_option(&options, "intervalMs")?,
        "intervalMs",
        1000.0,
        0.0,
        MAX_TIMER_MS,
    )?;
    let signal = read_signal(&read_option(&options, "signal")?)?;
    Ok((
        session_id,
        predicate.clone(),
        attempts as u32,
        interval_ms,
        signal,
    ))
}
