//! Sorted lookup tables from string keys to positions, built once when a
//! document is read.
//!
//! One concrete type serves every lookup of the crate (meters, credits,
//! entitlements, bundles, recorded content ids), so the sort and the search
//! are compiled once. A B-tree map per value type measured about 30 KB of
//! the wasm module before this table replaced them.
//!
//! The table is ordered rather than hashed: on `wasm32-unknown-unknown` the
//! standard library has no random source to seed a hash, so a document
//! crafted for collisions could slow every lookup.

/// Keys in ascending order, each with its position in the list it indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Index {
    entries: Vec<(Box<str>, usize)>,
}

impl Index {
    /// Builds the table. When a key repeats, the entry with the smallest
    /// position wins.
    pub(crate) fn new(mut entries: Vec<(Box<str>, usize)>) -> Self {
        // Ties between repeated keys go to the smaller position, which in
        // every table of this crate is the entry that came first. The
        // unstable sort compiles to fewer bytes than the stable one.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        entries.dedup_by(|later, earlier| later.0 == earlier.0);
        Index { entries }
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
        let at = self
            .entries
            .binary_search_by(|(known, _)| (**known).cmp(key))
            .ok()?;
        self.entries.get(at).map(|(_, position)| *position)
    }

    /// Returns whether `key` is in the table.
    pub(crate) fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Returns the keys in ascending order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.entries.iter().map(|(key, _)| &**key)
    }

    /// Returns the positions in ascending order of their keys.
    pub(crate) fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries.iter().map(|(_, position)| *position)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn empty_table_finds_nothing() {
        let index = Index::default();
        assert_eq!(index.get("a"), None);
        assert_eq!(index.positions().count(), 0);
    }
}
