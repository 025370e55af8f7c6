//! Sorted lookup tables from string keys to positions, built once when a
//! document is read.
//!
//! One concrete type serves every lookup of the crate (meters, credits,
//! entitlements, bundles, recorded content ids), so the sort and the search
//! are compiled once. A B-tree map per value type measured about 30 KB of
//! the wasm module before this table replaced them.
//!
//! A table that a session keeps for lookups is [`Index::hashed`]. It also
//! has a hash table of its keys, so a lookup usually reads one slot and
//! compares at most one key, instead of about log2(n) keys spread over the
//! heap. A decision hashes its ids once for all the tables it reads. Then a
//! small table costs about what a binary search over it does, and a document
//! with many small tables, one per meter, is faster to decide on. On
//! `wasm32-unknown-unknown` the standard library has no random source to
//! seed a hash, so a document could be crafted for collisions. A table in
//! which a key lands more than [`MAX_PROBES`] slots from its hash's slot
//! keeps no hash table, and its lookups take the binary search.

use alloc::boxed::Box;
use alloc::vec;
use alloc::vec::Vec;

use core::cell::Cell;

/// Keys in ascending order, each with its position in the list it indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Index {
    entries: Vec<(Box<str>, usize)>,
    /// Empty, or after [`Index::hashed`] an open-addressing hash table with
    /// linear probing: slots of the low 32 bits of a key's hash and its place
    /// in `entries`, or [`EMPTY`]. A power of two long, at most half full.
    /// Eight bytes a slot, so 16 to 32 bytes per key.
    slots: Vec<(u32, u32)>,
}

/// The place of an empty slot.
const EMPTY: u32 = u32::MAX;

/// How far past its hash's slot a key may land before the table gives up
/// its hash table.
const MAX_PROBES: usize = 32;

impl Index {
    /// Builds the table. When a key repeats, the entry with the smallest
    /// position wins.
    pub(crate) fn new(mut entries: Vec<(Box<str>, usize)>) -> Self {
        // Ties between repeated keys go to the smaller position, which in
        // every table of this crate is the entry that came first.
        sort(&mut entries, &|a, b| {
            a.0.cmp(&b.0).then(a.1.cmp(&b.1)).is_lt()
        });
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        Index {
            entries,
            slots: Vec::new(),
        }
    }

    /// Adds the hash table, for a table that a session keeps for lookups:
    /// content ids, entitlements, meters, credits and bundles.
    pub(crate) fn hashed(mut self) -> Self {
        self.slots = hash_table(&self.entries, hash);
        self
    }

    /// Builds the table of a list, mapping each key to its position.
    pub(crate) fn of<'k>(keys: impl IntoIterator<Item = &'k str>) -> Self {
        Index::new(
            keys.into_iter()
                .enumerate()
                .map(|(position, key)| (Box::from(key), position))
                .collect(),
        )
    }

    /// Returns the position mapped to `key`.
    pub(crate) fn get(&self, key: &str) -> Option<usize> {
        self.find(&Key::new(key))
    }

    /// Returns the position mapped to `key`, hashing it only if this table
    /// has a hash table and no other table hashed it before.
    pub(crate) fn find(&self, key: &Key<'_>) -> Option<usize> {
        if !self.slots.is_empty() {
            return self.get_with_hash(key.text, key.hash());
        }
        let place = self
            .entries
            .binary_search_by(|(known, _)| (**known).cmp(key.text))
            .ok()?;
        self.entries.get(place).map(|(_, position)| *position)
    }

    /// Returns the position mapped to `key`, whose hash is `hash`, through
    /// the hash table.
    fn get_with_hash(&self, key: &str, hash: u64) -> Option<usize> {
        let mask = self.slots.len() - 1;
        let mut at = home_slot(hash, self.slots.len());
        let tag = hash as u32;
        for _ in 0..=MAX_PROBES {
            let &(known, place) = self.slots.get(at)?;
            if place == EMPTY {
                return None;
            }
            if known == tag {
                if let Some((candidate, position)) = self.entries.get(place as usize) {
                    if **candidate == *key {
                        return Some(*position);
                    }
                }
            }
            at = (at + 1) & mask;
        }
        None
    }

    /// Returns whether the table has no key.
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns whether `key` is in the table.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Returns the keys in ascending order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|(key, _)| &**key)
    }

    /// Returns the key at `place` in ascending order, or the place past the
    /// last key when the table has fewer.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn key(&self, place: usize) -> Result<&str, usize> {
        match self.entries.get(place) {
            Some((key, _)) => Ok(key),
            None => Err(place - self.entries.len()),
        }
    }

    /// Returns the positions in ascending order of their keys.
    pub(crate) fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|(_, position)| *position)
    }
}

/// A key to look up in several tables, whose hash is computed once, by the
/// first table that needs it.
pub(crate) struct Key<'a> {
    text: &'a str,
    hash: Cell<Option<u64>>,
}

impl<'a> Key<'a> {
    /// Wraps a key that has not been hashed yet.
    pub(crate) fn new(text: &'a str) -> Self {
        Key {
            text,
            hash: Cell::new(None),
        }
    }

    /// Returns the key's text.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    fn hash(&self) -> u64 {
        if let Some(known) = self.hash.get() {
            return known;
        }
        let computed = hash(self.text);
        self.hash.set(Some(computed));
        computed
    }
}

/// Builds the hash table of `entries` with the hash function `hash`, or
/// returns an empty one when `entries` is empty, when a key would land more
/// than [`MAX_PROBES`] slots past its hash's slot, or when a place does not
/// fit in a slot.
fn hash_table(entries: &[(Box<str>, usize)], hash: impl Fn(&str) -> u64) -> Vec<(u32, u32)> {
    // Places run to one less than the length, so they never equal EMPTY.
    if entries.is_empty() || u32::try_from(entries.len()).is_err() {
        return Vec::new();
    }
    let length = (entries.len() * 2).next_power_of_two();
    let mask = length - 1;
    let mut slots = vec![(0, EMPTY); length];
    for (place, (key, _)) in (0..).zip(entries) {
        let hash = hash(key);
        let mut at = home_slot(hash, length);
        let mut probes = 0;
        loop {
            match slots.get_mut(at) {
                Some(slot) if slot.1 == EMPTY => {
                    *slot = (hash as u32, place);
                    break;
                }
                Some(_) if probes < MAX_PROBES => {
                    probes += 1;
                    at = (at + 1) & mask;
                }
                _ => return Vec::new(),
            }
        }
    }
    slots
}

/// Returns the slot where a key with this hash is looked for first, from
/// the hash's top bits, in a table of `length` slots, a power of two.
fn home_slot(hash: u64, length: usize) -> usize {
    let bits = length.trailing_zeros();
    if bits == 0 {
        return 0;
    }
    // The top bits mix every byte of the key; the low bits of a product do
    // not depend on the high bits of its factors.
    (hash >> (64 - bits)) as usize
}

/// Hashes a key for the table: FxHash's rotate, xor and multiply over 8-byte
/// words, starting from the length, so that keys that differ only in trailing
/// zero bytes differ.
pub(crate) fn hash(key: &str) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mix = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    let mut hash = mix(0, key.len() as u64);
    let mut chunks = key.as_bytes().chunks_exact(8);
    for chunk in &mut chunks {
        if let &[a, b, c, d, e, f, g, h] = chunk {
            hash = mix(hash, u64::from_le_bytes([a, b, c, d, e, f, g, h]));
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        hash = mix(hash, little_endian(rest));
    }
    hash
}

/// Reads up to 8 bytes as a little-endian number, the missing high bytes
/// zero.
fn little_endian(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .rev()
        .fold(0, |word, &byte| word << 8 | u64::from(byte))
}

/// Sorts items by ascending key. Of items with the same key, only the first
/// is kept.
pub(crate) fn sorted_by_key<T>(items: Vec<T>, key: impl Fn(&T) -> &str) -> Vec<T> {
    let order = Index::of(items.iter().map(&key));
    let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
    order
        .positions()
        .filter_map(|position| slots.get_mut(position).and_then(Option::take))
        .collect()
}

/// Sorts `items` in place by `less`, a strict order. It uses quicksort with
/// the median of three as pivot and insertion sort below 16 items. Past a
/// depth of twice the length's bit count it switches to heapsort, so no
/// input takes more than O(n log n) comparisons. The standard library's
/// sort made the gzipped bundle 1.2 KB larger.
// The loops keep every index below the length of the slice they index.
#[allow(clippy::indexing_slicing)]
pub(crate) fn sort<T>(items: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    // A document may list its ids in order. Finding that takes one pass,
    // which stops at the first pair out of order, where quicksort would
    // still partition every range.
    let len = items.len();
    let descending = len > 1 && less(&items[1], &items[0]);
    if (2..len).all(|at| less(&items[at], &items[at - 1]) == descending) {
        if descending {
            items.reverse();
        }
        return;
    }
    let depth = 2 * (usize::BITS - items.len().leading_zeros());
    quicksort(items, less, depth);
}

#[allow(clippy::indexing_slicing)]
fn quicksort<T>(mut items: &mut [T], less: &impl Fn(&T, &T) -> bool, mut depth: u32) {
    loop {
        let len = items.len();
        if len <= 16 {
            for end in 1..len {
                let mut at = end;
                while at > 0 && less(&items[at], &items[at - 1]) {
                    items.swap(at, at - 1);
                    at -= 1;
                }
            }
            return;
        }
        if depth == 0 {
            heapsort(items, less);
            return;
        }
        depth -= 1;
        // The median of the first, middle and last items becomes the pivot,
        // at the front. The last item is then no smaller than the pivot,
        // which stops the upward scan, and the pivot stops the downward one.
        let middle = len / 2;
        if less(&items[middle], &items[0]) {
            items.swap(middle, 0);
        }
        if less(&items[len - 1], &items[0]) {
            items.swap(len - 1, 0);
        }
        if less(&items[len - 1], &items[middle]) {
            items.swap(len - 1, middle);
        }
        items.swap(0, middle);
        let mut low = 1;
        let mut high = len - 1;
        loop {
            while less(&items[low], &items[0]) {
                low += 1;
            }
            while less(&items[0], &items[high]) {
                high -= 1;
            }
            if low >= high {
                break;
            }
            items.swap(low, high);
            low += 1;
            high -= 1;
        }
        items.swap(0, high);
        // The smaller side is sorted by a call and the larger by the loop,
        // so the calls nest at most log2(n) deep.
        let (left, right) = items.split_at_mut(high);
        let right = &mut right[1..];
        if left.len() < right.len() {
            quicksort(left, less, depth);
            items = right;
        } else {
            quicksort(right, less, depth);
            items = left;
        }
    }
}

#[allow(clippy::indexing_slicing)]
fn heapsort<T>(items: &mut [T], less: &impl Fn(&T, &T) -> bool) {
    let len = items.len();
    for start in (0..len / 2).rev() {
        sift_down(items, start, len, less);
    }
    for end in (1..len).rev() {
        items.swap(0, end);
        sift_down(items, 0, end, less);
    }
}

/// Moves `items[root]` down the heap in `items[..end]` until neither child
/// is larger.
#[allow(clippy::indexing_slicing)]
fn sift_down<T>(items: &mut [T], mut root: usize, end: usize, less: &impl Fn(&T, &T) -> bool) {
    loop {
        let mut child = 2 * root + 1;
        if child >= end {
            return;
        }
        if child + 1 < end && less(&items[child], &items[child + 1]) {
            child += 1;
        }
        if !less(&items[root], &items[child]) {
            return;
        }
        items.swap(root, child);
        root = child;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cell::Cell;
    use std::boxed::Box;
    use std::string::String;
    use std::vec::Vec;
    use std::{format, vec};

    /// Sorts with the crate's sort and returns the result and the number
    /// of comparisons it made.
    fn sorted_counting(mut items: Vec<u32>) -> (Vec<u32>, usize) {
        let comparisons = Cell::new(0);
        sort(&mut items, &|a: &u32, b: &u32| {
            comparisons.set(comparisons.get() + 1);
            a < b
        });
        (items, comparisons.get())
    }

    /// Returns inputs of `len` items in the patterns that make a naive
    /// quicksort quadratic, and others that partitioning handles differently.
    fn patterns(len: u32) -> Vec<(&'static str, Vec<u32>)> {
        let mut seed = 0x2545_f491_u32;
        let random = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                seed % (len + 1)
            })
            .collect();
        vec![
            ("random", random),
            ("ascending", (0..len).collect()),
            ("descending", (0..len).rev().collect()),
            ("equal", vec![7; len as usize]),
            ("two values", (0..len).map(|n| n % 2).collect()),
            ("organ pipe", (0..len).map(|n| n.min(len - n)).collect()),
            ("sawtooth", (0..len).map(|n| n % 64).collect()),
        ]
    }

    #[test]
    fn sort_matches_standard_sort() {
        for len in [0, 1, 2, 3, 15, 16, 17, 100, 1_000] {
            for (name, items) in patterns(len) {
                let mut expected = items.clone();
                expected.sort_unstable();
                assert_eq!(sorted_counting(items).0, expected, "{name}, {len} items");
            }
        }
    }

    #[test]
    fn sort_comparisons_stay_n_log_n() {
        let len = 20_000u32;
        // 4 n log2(n), with log2(20,000) below 15: the organ pipe takes
        // about 3 n log2(n), while a quadratic sort would take n²/2, over 150
        // times the bound.
        let bound = 4 * len as usize * 15;
        for (name, items) in patterns(len) {
            let (_, comparisons) = sorted_counting(items);
            assert!(comparisons <= bound, "{name}: {comparisons} comparisons");
        }
    }

    #[test]
    fn sorted_input_takes_one_pass() {
        let (ascending, comparisons) = sorted_counting((0..1_000).collect());
        assert_eq!(ascending, (0..1_000).collect::<Vec<_>>());
        assert_eq!(comparisons, 999);
        let (descending, comparisons) = sorted_counting((0..1_000).rev().collect());
        assert_eq!(descending, (0..1_000).collect::<Vec<_>>());
        assert_eq!(comparisons, 999);
    }

    #[test]
    fn heapsort_sorts_past_the_depth() {
        for (name, items) in patterns(1_000) {
            let mut expected = items.clone();
            expected.sort_unstable();
            let mut sorted = items;
            quicksort(&mut sorted, &|a: &u32, b: &u32| a < b, 0);
            assert_eq!(sorted, expected, "{name}");
        }
    }

    #[test]
    fn first_entry_of_a_repeated_key_wins() {
        let index = Index::new(vec![
            ("b".into(), 0),
            ("a".into(), 1),
            ("b".into(), 2),
            ("c".into(), 3),
            ("a".into(), 4),
        ]);
        assert_eq!(index.get("a"), Some(1));
        assert_eq!(index.get("b"), Some(0));
        assert_eq!(index.get("c"), Some(3));
        assert_eq!(index.get("d"), None);
        assert_eq!(index.get(""), None);
        assert_eq!(index.positions().collect::<Vec<_>>(), [1, 0, 3]);
    }

    #[test]
    fn keys_compare_by_bytes() {
        let index = Index::of(["é", "Z", "a", "", "\u{FFFD}"]);
        assert_eq!(index.positions().collect::<Vec<_>>(), [3, 1, 2, 0, 4]);
        assert!(index.contains(""));
        assert!(!index.contains("z"));
    }

    #[test]
    fn sorting_keeps_the_first_of_equal_keys() {
        let items = vec![("m", 1), ("a", 2), ("m", 3)];
        assert_eq!(sorted_by_key(items, |item| item.0), [("a", 2), ("m", 1)]);
        assert!(sorted_by_key(Vec::<(&str, i32)>::new(), |item| item.0).is_empty());
    }

    #[test]
    fn large_table_finds_every_key() {
        let keys: Vec<String> = (0..500)
            .map(|n| format!("/section-{}/article-{n}", n % 7))
            .collect();
        let index = Index::of(keys.iter().map(String::as_str)).hashed();
        assert!(!index.slots.is_empty());
        for (position, key) in keys.iter().enumerate() {
            assert_eq!(index.get(key), Some(position), "{key}");
        }
        assert_eq!(index.get("/section-1/article-"), None);
        assert_eq!(index.get(""), None);
        assert_eq!(index.get("/section-0/article-0\0"), None);
    }

    #[test]
    fn small_and_empty_tables_hash() {
        let index = Index::of(["b", "a", "b"]).hashed();
        assert_eq!(index.slots.len(), 4);
        assert_eq!(index.get("a"), Some(1));
        assert_eq!(index.get("b"), Some(0));
        assert_eq!(index.get("c"), None);
        assert_eq!(index.get(""), None);
        let empty = Index::of([]).hashed();
        assert!(empty.slots.is_empty());
        assert_eq!(empty.get("a"), None);
    }

    #[test]
    fn unhashed_table_searches_by_halves() {
        let index = Index::of(["b", "a", "c"]);
        assert!(index.slots.is_empty());
        assert_eq!(index.get("c"), Some(2));
        assert_eq!(index.get("d"), None);
    }

    #[test]
    fn colliding_hashes_within_the_probe_limit() {
        let entries: Vec<(Box<str>, usize)> = (0..=MAX_PROBES)
            .map(|n| (Box::from(format!("k{n:02}").as_str()), n))
            .collect();
        let index = Index {
            slots: hash_table(&entries, |_| 7),
            entries,
        };
        assert!(!index.slots.is_empty());
        for n in 0..=MAX_PROBES {
            assert_eq!(index.get_with_hash(&format!("k{n:02}"), 7), Some(n));
        }
        assert_eq!(index.get_with_hash("k99", 7), None);
        assert_eq!(index.get_with_hash("k01", 8), None);
    }

    #[test]
    fn colliding_hashes_past_the_limit_give_up() {
        let entries: Vec<(Box<str>, usize)> = (0..=MAX_PROBES + 1)
            .map(|n| (Box::from(format!("k{n:02}").as_str()), n))
            .collect();
        assert!(hash_table(&entries, |_| 7).is_empty());
        assert!(!hash_table(&entries, hash).is_empty());
    }

    #[test]
    fn key_keeps_its_hash() {
        let key = Key::new("/politics/article-1");
        assert_eq!(key.hash.get(), None);
        assert_eq!(key.hash(), hash("/politics/article-1"));
        assert_eq!(key.hash.get(), Some(hash("/politics/article-1")));
        assert_eq!(key.text(), "/politics/article-1");
    }

    #[test]
    fn words_are_little_endian() {
        assert_eq!(little_endian(&[1, 2]), 0x0201);
        assert_eq!(little_endian(&[]), 0);
        assert_eq!(little_endian(&[0xff; 8]), u64::MAX);
    }

    #[test]
    fn hash_by_words_matches_bytes() {
        const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mix = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(SEED);
        for key in [
            "",
            "a",
            "12345678",
            "/news/article-17?ref=home",
            "é/π/𝄞 tail",
        ] {
            let bytewise = key
                .as_bytes()
                .chunks(8)
                .fold(mix(0, key.len() as u64), |hash, chunk| {
                    mix(hash, little_endian(chunk))
                });
            assert_eq!(hash(key), bytewise, "{key}");
        }
    }

    #[test]
    fn home_slot_takes_the_top_bits() {
        assert_eq!(home_slot(u64::MAX, 64), 63);
        assert_eq!(home_slot(1 << 58, 64), 1);
        assert_eq!(home_slot(0, 64), 0);
        assert_eq!(home_slot(u64::MAX, 1), 0);
    }

    #[test]
    fn hash_depends_on_every_byte_and_the_length() {
        assert_ne!(hash("abc"), hash("abc\0"));
        assert_ne!(hash("abcdefgh"), hash("abcdefgi"));
        assert_ne!(hash("abcdefghi"), hash("abcdefghj"));
        assert_ne!(hash(""), hash("\0"));
    }

    #[test]
    fn empty_table_finds_nothing() {
        let index = Index::default();
        assert!(index.is_empty());
        assert!(!Index::of(["a"]).is_empty());
        assert_eq!(index.get("a"), None);
        assert_eq!(index.positions().count(), 0);
    }
}
