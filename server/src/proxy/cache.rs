//! Micro-cache of upstream responses, which absorbs bursts of lookups of the same session.
//!
//! A response is kept for a short time (`ZEPHR_CACHE_MS`, 1 s by default). Concurrent lookups
//! of a key that is being fetched wait for that fetch and share its response, so a burst costs one
//! upstream request. The cache is bounded by [`MAX_ENTRIES`] entries and [`MAX_BYTES`] bytes of
//! responses. When it is full, new responses are served but not stored.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

/// Maximum number of entries, in flight or stored.
pub const MAX_ENTRIES: usize = 10_000;

/// Maximum total size in bytes of the stored responses, as reported by [`Weigh`].
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Minimum time between two sweeps of a full cache, so that a full cache under load does not
/// scan every entry on every miss.
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Size of a value for the [`MAX_BYTES`] bound.
pub trait Weigh {
    /// Returns the value's size in bytes.
    fn weight(&self) -> usize;
}

/// Whether a response came from the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// The response was stored, or another request was already fetching it and shared it.
    Hit,
    /// This request fetched the response upstream.
    Miss,
}

impl CacheStatus {
    /// Returns the name written in the request log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
        }
    }
}

/// Result of one fetch, with the time it arrived and whether it counts in the cache's size.
#[derive(Debug)]
struct Stored<V> {
    value: V,
    arrived: Instant,
    /// Bytes added to [`Inner::bytes`]; zero for a result that was not stored.
    weight: usize,
}

type Slot<V> = Arc<OnceCell<Stored<V>>>;

#[derive(Debug)]
struct Inner<K, V> {
    entries: HashMap<K, Slot<V>>,
    bytes: usize,
    last_sweep: Option<Instant>,
}

/// Bounded time-to-live cache with request coalescing.
#[derive(Debug)]
pub struct MicroCache<K, V> {
    ttl: Duration,
    inner: Mutex<Inner<K, V>>,
}

impl<K, V> MicroCache<K, V>
where
    K: Eq + Hash + Clone,
    V: Clone + Weigh,
{
    /// Creates an empty cache that keeps results for `ttl`. A zero `ttl` turns caching and
    /// coalescing off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                bytes: 0,
                last_sweep: None,
            }),
        }
    }

    /// Returns the fresh result for `key`, or runs `fetch` and stores its result when
    /// `is_cacheable` accepts it.
    ///
    /// Requests for a key whose fetch is in flight wait for it and get [`CacheStatus::Hit`].
    /// If the request running a fetch is cancelled, a waiting request runs its own `fetch`.
    pub async fn get_or_fetch<F, Fut>(
        &self,
        key: K,
        fetch: F,
        is_cacheable: impl Fn(&V) -> bool,
    ) -> (V, CacheStatus)
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = V>,
    {
        if self.ttl.is_zero() {
            return (fetch().await, CacheStatus::Miss);
        }

        let Some(slot) = self.slot_for(&key) else {
            // The cache is full of live entries, so this result is served without being stored.
            return (fetch().await, CacheStatus::Miss);
        };
        if let Some(stored) = slot.get() {
            return (stored.value.clone(), CacheStatus::Hit);
        }

        let mut fetched_here = false;
        let stored = slot
            .get_or_init(|| async {
                fetched_here = true;
                let value = fetch().await;
                // No await follows, so the accounting below and the cell's initialisation happen
                // together even if the request is cancelled.
                self.admit(&key, &slot, value, &is_cacheable)
            })
            .await;
        let status = if fetched_here {
            CacheStatus::Miss
        } else {
            CacheStatus::Hit
        };
        (stored.value.clone(), status)
    }

    /// Returns the slot of `key`: the existing one when it is fresh or in flight, else a new
    /// empty one. Returns `None` when the cache is full even after a sweep.
    fn slot_for(&self, key: &K) -> Option<Slot<V>> {
        let now = Instant::now();
        let mut inner = self.lock();

        if let Some(slot) = inner.entries.get(key) {
            match slot.get() {
                None => return Some(Arc::clone(slot)),
                Some(stored) if now.duration_since(stored.arrived) < self.ttl => {
                    return Some(Arc::clone(slot))
                }
                Some(_) => {
                    if let Some(expired) = inner.entries.remove(key) {
                        inner.release(&expired);
                    }
                }
            }
        }

        if inner.entries.len() >= MAX_ENTRIES {
            self.sweep(&mut inner, now);
            if inner.entries.len() >= MAX_ENTRIES {
                return None;
            }
        }
        let slot: Slot<V> = Arc::new(OnceCell::new());
        inner.entries.insert(key.clone(), Arc::clone(&slot));
        Some(slot)
    }

    /// Counts a fetched result in the cache, or removes its slot when the result is not
    /// cacheable or does not fit in [`MAX_BYTES`].
    fn admit(
        &self,
        key: &K,
        slot: &Slot<V>,
        value: V,
        is_cacheable: impl Fn(&V) -> bool,
    ) -> Stored<V> {
        let arrived = Instant::now();
        let weight = value.weight();
        let mut inner = self.lock();
        let fits = inner.bytes.saturating_add(weight) <= MAX_BYTES;
        if is_cacheable(&value) && fits {
            inner.bytes += weight;
            return Stored {
                value,
                arrived,
                weight,
            };
        }
        let is_own_slot = inner
            .entries
            .get(key)
            .is_some_and(|current| Arc::ptr_eq(current, slot));
        if is_own_slot {
            inner.entries.remove(key);
        }
        Stored {
            value,
            arrived,
            weight: 0,
        }
    }

    /// Removes expired entries and abandoned in-flight entries (whose request was cancelled
    /// with no request waiting), at most once per [`SWEEP_INTERVAL`].
    fn sweep(&self, inner: &mut Inner<K, V>, now: Instant) {
        if inner
            .last_sweep
            .is_some_and(|last| now.duration_since(last) < SWEEP_INTERVAL)
        {
            return;
        }
        inner.last_sweep = Some(now);
        let ttl = self.ttl;
        let mut released = 0;
        inner.entries.retain(|_, slot| {
            let keep = match slot.get() {
                Some(stored) => now.duration_since(stored.arrived) < ttl,
                None => Arc::strong_count(slot) > 1,
            };
            if !keep {
                released += slot.get().map_or(0, |stored| stored.weight);
            }
            keep
        });
        inner.bytes = inner.bytes.saturating_sub(released);
        if inner.entries.len() >= MAX_ENTRIES {
            tracing::warn!(
                entries = inner.entries.len(),
                max_entries = MAX_ENTRIES,
                "micro-cache is full of live entries, so new responses are not cached"
            );
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // The lock guards plain bookkeeping that every critical section leaves consistent, so
        // a panic elsewhere while it was held does not make the data unusable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Returns the number of entries and the stored bytes, for tests.
    #[cfg(test)]
    fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

impl<K, V> Inner<K, V> {
    fn release(&mut self, slot: &Slot<V>) {
        if let Some(stored) = slot.get() {
            self.bytes = self.bytes.saturating_sub(stored.weight);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Fetched(&'static str, usize);

    impl Weigh for Fetched {
        fn weight(&self) -> usize {
            self.1
        }
    }

    fn always(_: &Fetched) -> bool {
        true
    }

    #[tokio::test]
    async fn second_lookup_is_hit() {
        let cache = MicroCache::new(Duration::from_secs(60));
        let first = cache
            .get_or_fetch("a", || async { Fetched("one", 3) }, always)
            .await;
        let second = cache
            .get_or_fetch("a", || async { Fetched("two", 3) }, always)
            .await;
        assert_eq!(first, (Fetched("one", 3), CacheStatus::Miss));
        assert_eq!(second, (Fetched("one", 3), CacheStatus::Hit));
        assert_eq!(cache.usage(), (1, 3));
    }

    #[tokio::test]
    async fn keys_are_separate() {
        let cache = MicroCache::new(Duration::from_secs(60));
        cache
            .get_or_fetch("a", || async { Fetched("a", 1) }, always)
            .await;
        let other = cache
            .get_or_fetch("b", || async { Fetched("b", 1) }, always)
            .await;
        assert_eq!(other, (Fetched("b", 1), CacheStatus::Miss));
    }

    #[tokio::test]
    async fn expired_entry_is_fetched_again() {
        let cache = MicroCache::new(Duration::from_millis(20));
        cache
            .get_or_fetch("a", || async { Fetched("old", 5) }, always)
            .await;
        tokio::time::sleep(Duration::from_millis(40)).await;
        let again = cache
            .get_or_fetch("a", || async { Fetched("new", 2) }, always)
            .await;
        assert_eq!(again, (Fetched("new", 2), CacheStatus::Miss));
        assert_eq!(cache.usage(), (1, 2));
    }

    #[tokio::test]
    async fn uncacheable_result_is_not_stored() {
        let cache = MicroCache::new(Duration::from_secs(60));
        let never = |_: &Fetched| false;
        cache
            .get_or_fetch("a", || async { Fetched("error", 1) }, never)
            .await;
        assert_eq!(cache.usage(), (0, 0));
        let again = cache
            .get_or_fetch("a", || async { Fetched("ok", 1) }, always)
            .await;
        assert_eq!(again, (Fetched("ok", 1), CacheStatus::Miss));
    }

    #[tokio::test]
    async fn zero_ttl_never_stores() {
        let cache = MicroCache::new(Duration::ZERO);
        cache
            .get_or_fetch("a", || async { Fetched("one", 1) }, always)
            .await;
        let second = cache
            .get_or_fetch("a", || async { Fetched("two", 1) }, always)
            .await;
        assert_eq!(second, (Fetched("two", 1), CacheStatus::Miss));
        assert_eq!(cache.usage(), (0, 0));
    }

    #[tokio::test]
    async fn result_over_byte_bound_not_stored() {
        let cache = MicroCache::new(Duration::from_secs(60));
        cache
            .get_or_fetch("a", || async { Fetched("big", MAX_BYTES - 10) }, always)
            .await;
        let too_big = cache
            .get_or_fetch("b", || async { Fetched("b", 11) }, always)
            .await;
        assert_eq!(too_big.1, CacheStatus::Miss);
        assert_eq!(cache.usage(), (1, MAX_BYTES - 10));
        let fits = cache
            .get_or_fetch("c", || async { Fetched("c", 10) }, always)
            .await;
        assert_eq!(fits.1, CacheStatus::Miss);
        assert_eq!(cache.usage(), (2, MAX_BYTES));
    }

    #[tokio::test]
    async fn full_cache_serves_without_storing() {
        let cache = MicroCache::new(Duration::from_secs(60));
        for index in 0..MAX_ENTRIES {
            cache
                .get_or_fetch(index, || async { Fetched("x", 1) }, always)
                .await;
        }
        assert_eq!(cache.usage(), (MAX_ENTRIES, MAX_ENTRIES));
        let extra = cache
            .get_or_fetch(MAX_ENTRIES, || async { Fetched("y", 1) }, always)
            .await;
        assert_eq!(extra, (Fetched("y", 1), CacheStatus::Miss));
        assert_eq!(cache.usage(), (MAX_ENTRIES, MAX_ENTRIES));
    }

    #[tokio::test]
    async fn full_cache_sweeps_expired_entries() {
        let cache = MicroCache::new(Duration::from_millis(20));
        for index in 0..MAX_ENTRIES {
            cache
                .get_or_fetch(index, || async { Fetched("x", 1) }, always)
                .await;
        }
        tokio::time::sleep(Duration::from_millis(40)).await;
        let extra = cache
            .get_or_fetch(MAX_ENTRIES, || async { Fetched("y", 1) }, always)
            .await;
        assert_eq!(extra.1, CacheStatus::Miss);
        assert_eq!(cache.usage(), (1, 1));
    }

    #[tokio::test]
    async fn concurrent_lookups_share_one_fetch() {
        let cache = MicroCache::new(Duration::from_secs(60));
        let fetches = AtomicUsize::new(0);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Fetched("shared", 1)
        };
        let (first, second, third) = tokio::join!(
            cache.get_or_fetch("a", fetch, always),
            cache.get_or_fetch("a", fetch, always),
            cache.get_or_fetch("a", fetch, always),
        );
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        let statuses = [first.1, second.1, third.1];
        assert_eq!(
            statuses.iter().filter(|s| **s == CacheStatus::Miss).count(),
            1
        );
        assert_eq!(third.0, Fetched("shared", 1));
    }

    #[tokio::test]
    async fn cancelled_fetch_is_taken_over() {
        let cache = MicroCache::new(Duration::from_secs(60));
        let slow = cache.get_or_fetch(
            "a",
            || async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Fetched("never", 1)
            },
            always,
        );
        let cancelled = tokio::time::timeout(Duration::from_millis(10), slow).await;
        assert!(cancelled.is_err());
        let next = cache
            .get_or_fetch("a", || async { Fetched("next", 1) }, always)
            .await;
        assert_eq!(next, (Fetched("next", 1), CacheStatus::Miss));
    }
}
