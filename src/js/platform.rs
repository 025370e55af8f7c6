//! What the client needs from its JavaScript host, read from the global
//! object so that it works in windows, workers and Node: timers, the clock,
//! cookies, prerendering and Web Storage. Every access that can throw is
//! caught, and a missing feature reads as absent.

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, AddEventListenerOptions, EventTarget, Storage};

/// The maximum delay `setTimeout` accepts, 2^31 - 1 milliseconds.
pub(crate) const MAX_TIMER_MS: f64 = 2_147_483_647.0;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    pub(crate) fn set_timeout(handler: &Function, delay_ms: i32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    pub(crate) fn clear_timeout(handle: &JsValue);
}

/// Returns the current time in milliseconds since the epoch.
pub(crate) fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Returns a random number in `[0, 1)`.
pub(crate) fn random() -> f64 {
    js_sys::Math::random()
}

fn global_property(name: &str) -> Option<JsValue> {
    Reflect::get(&js_sys::global(), &JsValue::from_str(name))
        .ok()
        .filter(|value| !value.is_undefined() && !value.is_null())
}

/// Whether the host has a page URL (`location`) that relative URLs resolve
/// against: windows and workers have one, Node has none.
pub(crate) fn has_page_url() -> bool {
    global_property("location").is_some()
}

fn document() -> Option<JsValue> {
    global_property("document")
}

/// Waits `delay_ms`, or until `signal` aborts; returns false when it aborted.
pub(crate) async fn sleep(delay_ms: f64, signal: &AbortSignal) -> bool {
    if signal.aborted() {
        return false;
    }
    let delay = delay_ms.clamp(0.0, MAX_TIMER_MS) as i32;
    let mut timer = JsValue::UNDEFINED;
    let mut on_abort: Option<Closure<dyn FnMut()>> = None;
    let wait = Promise::new(&mut |resolve, _reject| {
        timer = set_timeout(&resolve, delay);
        let resolve_now = resolve.clone();
        let closure = Closure::new(move || {
            let _ = resolve_now.call0(&JsValue::UNDEFINED);
        });
        let _ = signal.add_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
        on_abort = Some(closure);
    });
    let _ = JsFuture::from(wait).await;
    clear_timeout(&timer);
    if let Some(closure) = &on_abort {
        let _ =
            signal.remove_event_listener_with_callback("abort", closure.as_ref().unchecked_ref());
    }
    !signal.aborted()
}

/// Reads the `blaize_session` cookie when the page can read it (not in a
/// worker or Node, and not when the cookie is HttpOnly).
pub(crate) fn session_cookie() -> Option<String> {
    let cookies = Reflect::get(&document()?, &JsValue::from_str("cookie"))
        .ok()?
        .as_string()?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        (name.trim() == "blaize_session")
            .then(|| value.trim().trim_matches('"').to_owned())
            .filter(|value| !value.is_empty())
    })
}

/// Waits while the page is being prerendered, until it is shown; returns at
/// once when it is not prerendering or the host has no `document`.
pub(crate) async fn wait_until_shown() {
    let Some(document) = document() else {
        return;
    };
    let prerendering = Reflect::get(&document, &JsValue::from_str("prerendering"))
        .ok()
        .and_then(|value| value.as_bool())
        .unwrap_or(false);
    let Ok(target) = document.dyn_into::<EventTarget>() else {
        return;
    };
    if !prerendering {
        return;
    }
    let shown = Promise::new(&mut |resolve, _reject| {
        let options = AddEventListenerOptions::new();
        options.set_once(true);
        let _ = target.add_event_listener_with_callback_and_add_event_listener_options(
            "prerenderingchange",
            &resolve,
            &options,
        );
    });
    let _ = JsFuture::from(shown).await;
}

/// The Web Storage area a cache mode uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum StorageArea {
    /// `sessionStorage`.
    Session,
    /// `localStorage`.
    Local,
}

impl StorageArea {
    /// Returns the storage object, or `None` when the host has none or
    /// denies access to it (as sandboxed frames and some privacy modes do).
    pub(crate) fn open(self) -> Option<Storage> {
        let name = match self {
            StorageArea::Session => "sessionStorage",
            StorageArea::Local => "localStorage",
        };
        global_property(name)?.dyn_into::<Storage>().ok()
    }
}

/// Returns every key of a storage area that starts with `prefix`.
pub(crate) fn storage_keys(storage: &Storage, prefix: &str) -> Vec<String> {
    let length = storage.length().unwrap_or(0);
    (0..length)
        .filter_map(|index| storage.key(index).ok().flatten())
        .filter(|key| key.starts_with(prefix))
        .collect()
}
