//! State shared by every `SessionClient` of the page: the memory cache, the
//! lookups in flight and the subscribers. Sharing it lets several widgets,
//! each with its own client, send one request for the same session.
//!
//! Borrows of the state never span an `await` or a call into JavaScript,
//! so a callback that calls the client again cannot find it borrowed.

use std::cell::RefCell;
use std::rc::Rc;

use crate::json::{Map, Value};
use js_sys::Function;
use wasm_bindgen::JsValue;

use super::platform::{now_ms, storage_keys, StorageArea};
use super::session::JsSession;
use crate::cache::{decode_entry, encode_entry, fingerprint, is_fresh, storage_key};
use crate::error::Error;
use crate::model::Session;

/// How many sessions the memory cache keeps; the oldest fetch goes first.
const MAX_MEMORY_ENTRIES: usize = 64;

/// The store in which a client keeps the documents it fetched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CacheMode {
    /// Nothing is cached.
    None,
    /// Memory only, for the life of the page.
    Memory,
    /// Memory, backed by a Web Storage area that outlives the page.
    Storage(StorageArea),
}

/// A cached document with its fetch time.
#[derive(Clone)]
pub(crate) struct Cached {
    pub(crate) fetched_at_ms: f64,
    pub(crate) session: Rc<Session>,
}

/// A lookup in flight, awaited by every caller that asked for the same
/// session meanwhile.
pub(crate) struct InFlight {
    /// Settles (always resolving) when the lookup ends.
    pub(crate) done: js_sys::Promise,
    /// The lookup's result, set just before `done` settles.
    pub(crate) result: RefCell<Option<Result<Rc<Session>, Error>>>,
    /// Aborts the lookup when the last caller waiting for it gives up.
    pub(crate) controller: web_sys::AbortController,
    /// How many callers are waiting.
    pub(crate) waiters: std::cell::Cell<usize>,
}

/// A small map kept as a list. A page has a few sessions at most, and a
/// list costs far fewer bundle bytes than a hash map.
struct Keyed<V>(Vec<(String, V)>);

impl<V> Default for Keyed<V> {
    fn default() -> Self {
        Keyed(Vec::new())
    }
}

impl<V> Keyed<V> {
    fn position(&self, key: &str) -> Option<usize> {
        self.0.iter().position(|(known, _)| known == key)
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.0
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, value)| value)
    }

    fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    /// Sets the value of `key` and returns the one it replaced.
    fn insert(&mut self, key: &str, value: V) -> Option<V> {
        match self.0.iter_mut().find(|(known, _)| known == key) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                self.0.push((key.to_owned(), value));
                None
            }
        }
    }

    fn remove(&mut self, key: &str) {
        if let Some(position) = self.position(key) {
            self.0.swap_remove(position);
        }
    }

    fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.0.retain(|(key, _)| keep(key));
    }
}

#[derive(Default)]
struct Registry {
    memory: Keyed<Cached>,
    in_flight: Keyed<Rc<InFlight>>,
    last_seen: Keyed<u64>,
    subscribers: Vec<(u64, Function)>,
    next_subscriber: u64,
}

thread_local! {
    static REGISTRY: RefCell<Registry> = RefCell::new(Registry::default());
}

fn with_registry<T>(action: impl FnOnce(&mut Registry) -> T) -> Option<T> {
    REGISTRY.with(|registry| {
        registry
            .try_borrow_mut()
            .ok()
            .map(|mut registry| action(&mut registry))
    })
}

/// The age limit for serving a cached document.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    /// Only a fresh one, younger than the time to live. An expired entry is
    /// deleted unless the client keeps them for stale answers.
    Fresh { keep_expired: bool },
    /// Any age, for a stale answer after a failed lookup.
    Any,
}

/// Returns the cached document of `key`, the cache key of `session_id`.
/// A corrupt or foreign stored entry is deleted.
pub(crate) fn cached(
    mode: CacheMode,
    key: &str,
    session_id: &str,
    ttl_ms: f64,
    age: Age,
) -> Option<Cached> {
    if mode == CacheMode::None {
        return None;
    }
    let now = now_ms();
    let usable = |cached: &Cached| age == Age::Any || is_fresh(cached.fetched_at_ms, now, ttl_ms);
    let delete_expired = age
        == (Age::Fresh {
            keep_expired: false,
        });

    let in_memory = with_registry(|registry| registry.memory.get(key).cloned()).flatten();
    if let Some(cached) = in_memory {
        if usable(&cached) {
            return Some(cached);
        }
        if delete_expired {
            with_registry(|registry| registry.memory.remove(key));
        }
    }

    let CacheMode::Storage(area) = mode else {
        return None;
    };
    let storage = area.open()?;
    let storage_key = storage_key(key);
    let text = storage.get_item(&storage_key).ok().flatten()?;
    let entry = decode_entry(&text, key).and_then(|(fetched_at_ms, document)| {
        let session = Session::from_value(Value::Object(document), Some(session_id)).ok()?;
        Some(Cached {
            fetched_at_ms,
            session: Rc::new(session),
        })
    });
    match entry {
        Some(cached) if usable(&cached) => {
            remember(key, cached.clone());
            Some(cached)
        }
        Some(_) if !delete_expired => None,
        _ => {
            let _ = storage.remove_item(&storage_key);
            None
        }
    }
}

/// Stores a freshly fetched document in memory and, for a storage mode, in
/// Web Storage. A storage that throws (private browsing, a full quota) is
/// skipped, so the memory copy still serves.
pub(crate) fn store(mode: CacheMode, key: &str, session: &Rc<Session>, fetched_at_ms: f64) {
    if mode == CacheMode::None {
        return;
    }
    remember(
        key,
        Cached {
            fetched_at_ms,
            session: Rc::clone(session),
        },
    );
    if let CacheMode::Storage(area) = mode {
        if let Some(storage) = area.open() {
            let text = encode_entry(key, fetched_at_ms, session.document());
            let _ = storage.set_item(&storage_key(key), &text);
        }
    }
}

fn remember(key: &str, cached: Cached) {
    with_registry(|registry| {
        if registry.memory.len() >= MAX_MEMORY_ENTRIES && !registry.memory.contains_key(key) {
            let oldest = registry
                .memory
                .0
                .iter()
                .enumerate()
                .min_by(|(_, a), (_, b)| a.1.fetched_at_ms.total_cmp(&b.1.fetched_at_ms))
                .map(|(position, _)| position);
            if let Some(oldest) = oldest {
                registry.memory.0.swap_remove(oldest);
            }
        }
        registry.memory.insert(key, cached);
    });
}

/// Drops the cached entries whose keys start with `prefix` (one key, or every
/// key of a base URL and site), from memory and from both storage areas.
pub(crate) fn clear(prefix: &str) {
    with_registry(|registry| {
        registry.memory.retain(|key| !key.starts_with(prefix));
        registry.last_seen.retain(|key| !key.starts_with(prefix));
    });
    for area in [StorageArea::Session, StorageArea::Local] {
        if let Some(storage) = area.open() {
            for key in storage_keys(&storage, &storage_key(prefix)) {
                let _ = storage.remove_item(&key);
            }
        }
    }
}

/// Returns the lookup in flight for `key`, if any.
pub(crate) fn in_flight(key: &str) -> Option<Rc<InFlight>> {
    with_registry(|registry| registry.in_flight.get(key).cloned()).flatten()
}

/// Records a new lookup in flight for `key`, replacing an older one.
pub(crate) fn start_flight(key: &str, flight: &Rc<InFlight>) {
    with_registry(|registry| registry.in_flight.insert(key, Rc::clone(flight)));
}

/// Forgets the lookup in flight for `key` if it is still `flight`.
pub(crate) fn end_flight(key: &str, flight: &Rc<InFlight>) {
    with_registry(|registry| {
        if registry
            .in_flight
            .get(key)
            .is_some_and(|current| Rc::ptr_eq(current, flight))
        {
            registry.in_flight.remove(key);
        }
    });
}

/// Notes the document a cache hit served, so that the next fetched document
/// is compared with it.
pub(crate) fn note_seen(key: &str, document: &Map) {
    let print = fingerprint(document);
    with_registry(|registry| {
        if !registry.last_seen.contains_key(key) {
            registry.last_seen.insert(key, print);
        }
    });
}

/// Records a fetched document and, when it differs from the one seen before
/// for `key` (or none was), calls every subscriber with
/// `(sessionId, session)`. An exception in one subscriber does not stop the
/// others, and none reaches the lookup. `debug` is the option of the client
/// that fetched the document, passed on to the sessions the subscribers get.
pub(crate) fn publish(key: &str, session_id: &str, session: &Rc<Session>, debug: bool) {
    let print = fingerprint(session.document());
    let subscribers = with_registry(|registry| {
        let before = registry.last_seen.insert(key, print);
        if before == Some(print) {
            Vec::new()
        } else {
            registry
                .subscribers
                .iter()
                .map(|(_, callback)| callback.clone())
                .collect()
        }
    })
    .unwrap_or_default();
    for callback in subscribers {
        let value: JsValue = JsSession::shared(Rc::clone(session), None, debug).into();
        // NOTE: a subscriber's exception is dropped, because the library logs nothing by default.
        let _ = callback.call2(&JsValue::NULL, &JsValue::from_str(session_id), &value);
    }
}

/// Adds a subscriber and returns its id.
pub(crate) fn subscribe(callback: Function) -> u64 {
    with_registry(|registry| {
        registry.next_subscriber += 1;
        let id = registry.next_subscriber;
        registry.subscribers.push((id, callback));
        id
    })
    .unwrap_or(0)
}

/// Removes a subscriber; removing one twice does nothing.
pub(crate) fn unsubscribe(id: u64) {
    with_registry(|registry| {
        registry
            .subscribers
            .retain(|(subscriber, _)| *subscriber != id)
    });
}
