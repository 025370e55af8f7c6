//! Tolerant reading of a session document into a [`Session`].
//!
//! Every field is optional and `null` means absent. A field of the wrong JSON
//! type is read as absent and adds one warning that starts with its path.
//! Only a document that is not a JSON object fails.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use alloc::borrow::Cow;

use crate::date::{parse_date, Timestamp};
use crate::error::Error;
use crate::index::{sorted_by_key, Index};
use crate::json::{self, Map, Quoted, Value};
use crate::model::{
    ContentIdTransform, Credit, Entitlement, EntitlementSources, FirstRecorded, Meter,
    RecordedContent, Session, SessionEntry,
};

/// How many warnings a session keeps; the rest are counted in one last line,
/// so that a hostile document cannot fill memory with warnings.
const MAX_WARNINGS: usize = 100;

/// The largest integer that a JavaScript number represents exactly, `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// How many characters of a wrong value a warning quotes.
const MAX_QUOTED_CHARS: usize = 60;

impl Session {
    /// Parses a session document from JSON text.
    ///
    /// `session_id` is the id the document was fetched for; it picks
    /// [`Session::current_session`] among several entries of `sessions`.
    ///
    /// The text is read as JavaScript's `JSON.parse` reads it, with one
    /// difference: an escaped lone surrogate such as `"\ud800"` reads as
    /// U+FFFD. A number beyond the range of an `f64`, such as `1e400`, reads
    /// as `null`. An object that repeats a key keeps the last value at the
    /// position of the first.
    ///
    /// Text with more than 127 arrays and objects nested in each other,
    /// counting the top-level object, fails, so deep nesting cannot exhaust
    /// the stack.
    ///
    /// # Errors
    ///
    /// `invalid_response` when the text is not JSON, is nested too deeply, or
    /// is not a JSON object.
    pub fn parse(text: &str, session_id: Option<&str>) -> Result<Session, Error> {
        #[cfg(target_arch = "wasm32")]
        reserve_memory(text);
        let value = json::parse(text).map_err(not_json)?;
        Session::from_value(value, session_id)
    }

    /// Parses a session document from the bytes of JSON text, as
    /// [`Session::parse`] does.
    ///
    /// # Errors
    ///
    /// `invalid_response` when the bytes are not UTF-8, or when
    /// [`Session::parse`] fails on the text.
    pub fn from_slice(bytes: &[u8], session_id: Option<&str>) -> Result<Session, Error> {
        let text = core::str::from_utf8(bytes).map_err(|error| {
            Error::invalid_response(text!(
                "the session document is not valid UTF-8 (invalid byte at offset ",
                error.valid_up_to(),
                "); check \
                 that the lookup endpoint sends UTF-8 JSON"
            ))
        })?;
        Session::parse(text, session_id)
    }

    /// Reads a session document that is already parsed.
    ///
    /// # Errors
    ///
    /// `invalid_response` when the value is not a JSON object.
    pub fn from_value(value: Value, session_id: Option<&str>) -> Result<Session, Error> {
        match value {
            Value::Object(document) => Ok(read_session(document, session_id)),
            other => Err(Error::invalid_response(text!(
                "the session document must be a JSON object, but it is ",
                describe_document(&other),
                "; pass the document \
                 object as the session lookup returns it"
            ))),
        }
    }
}

/// Grows WebAssembly memory once, before a large document is read, to about
/// the size that reading it takes.
///
/// The allocator grows WebAssembly memory as allocations need it, and V8
/// spends time proportional to the page's JavaScript heap on each
/// `memory.grow`. Reading 1,000,000 content ids takes 17 MB of text and
/// about 10 times that in memory. It took 11 s without this and under 1 s
/// with it, in a release build in Node 20 on a 2-core machine. That was
/// measured with dlmalloc, which grew memory 64 KiB at a time. The memory is freed at once
/// and reused by the allocations that follow, and by later parses.
///
/// WebAssembly memory never shrinks, so only a text that starts as a JSON
/// object does would reserve: a large HTML page passed by mistake does not.
#[cfg(target_arch = "wasm32")]
fn reserve_memory(text: &str) {
    /// Below this size a document needs few growth steps.
    const MIN_TEXT_LEN: usize = 64 * 1024;
    /// Bytes of memory per byte of text, as measured (9 to 13) for
    /// documents made of many short strings.
    const BYTES_PER_TEXT_BYTE: usize = 12;
    /// A bound on the memory reserved for a text that may turn out not to be
    /// JSON at all. WebAssembly memory never shrinks, so it stays reserved.
    const MAX_RESERVE: usize = 256 << 20;

    let text_len = text.len();
    let starts_as_object = text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{');
    if text_len < MIN_TEXT_LEN || !starts_as_object {
        return;
    }
    let size = text_len
        .saturating_mul(BYTES_PER_TEXT_BYTE)
        .min(MAX_RESERVE);
    let mut reserve: Vec<u8> = Vec::new();
    // A failed reservation only means that memory grows step by step.
    if reserve.try_reserve_exact(size).is_ok() {
        // Keeps the compiler from removing an allocation that is never used.
        core::hint::black_box(&reserve);
    }
}

fn not_json(error: json::ParseError) -> Error {
    // Text nested this deep may be valid JSON, but no session document is.
    if error.reason == json::TOO_DEEP {
        return Error::invalid_response(text!(
            "the session document nests arrays and objects more than ",
            json::MAX_DEPTH,
            " deep (",
            error.describe(),
            "); a session \
             document has a few levels, so check what produced it"
        ));
    }
    Error::invalid_response(text!(
        "the session document is not valid JSON (",
        error.describe(),
        "); if it came from a lookup, check that \
         baseUrl points at the session endpoint"
    ))
}

fn read_session(document: Map, session_id: Option<&str>) -> Session {
    let mut reader = Reader::default();
    let top = &document;

    let tenant_id = reader.string("tenantId", top.get("tenantId"));
    let sub_tenant_id = reader.string("subTenantId", top.get("subTenantId"));
    let authenticated = reader.boolean("authenticated", top.get("authenticated"));
    let version = reader.integer("v", top.get("v"));
    // Read from the document when asked for; this only checks the type.
    reader.map("session_variables", top.get("session_variables"));
    let user_id = reader.string("user_id", top.get("user_id"));
    let sessions = reader.sessions(top.get("sessions"));
    let last_updated = reader.epoch_millis("last_updated", top.get("last_updated"));
    let test_groups = reader.string_map("test_groups", top.get("test_groups"));
    let second_party_data = reader.string_map("second_party_data", top.get("second_party_data"));

    let empty = Map::new();
    let access = reader
        .map("access_model", top.get("access_model"))
        .unwrap_or(&empty);
    let meters = reader.meters(access.get("meters"));
    let credits = reader.credits(access.get("credits"));
    let (entitlements, entitlement_index) =
        reader.entitlements(access.get("delivered_entitlements"));
    let granted_bundles = reader.string_list(
        "access_model.granted_bundles",
        access.get("granted_bundles"),
    );
    let jwt_bundles = reader.string_list("access_model.jwt_bundles", access.get("jwt_bundles"));
    let bundle_index = Index::of(
        granted_bundles
            .iter()
            .chain(&jwt_bundles)
            .map(String::as_str),
    )
    .hashed();
    let user_state = reader.string("access_model.user_state", access.get("user_state"));
    let meter_index = Index::of(meters.iter().map(|meter| meter.id.as_str())).hashed();
    let credit_index = Index::of(credits.iter().map(|credit| credit.id.as_str())).hashed();
    let entitlement_sources =
        reader.entitlement_sources(&entitlements, &meter_index, &credit_index);
    let first_recorded = [
        FirstRecorded::new(meters.iter().map(|meter| &meter.recorded)),
        FirstRecorded::new(credits.iter().map(|credit| &credit.recorded)),
    ];

    let current_session = find_current_session(&sessions, session_id);
    Session {
        requested_session_id: session_id.map(str::to_owned),
        tenant_id,
        sub_tenant_id,
        authenticated,
        version,
        user_id,
        sessions,
        current_session,
        meters,
        credits,
        first_recorded,
        entitlements,
        entitlement_index,
        meter_index,
        credit_index,
        entitlement_sources,
        granted_bundles,
        jwt_bundles,
        bundle_index,
        user_state,
        last_updated,
        test_groups,
        second_party_data,
        warnings: reader.finish(),
        document,
    }
}

/// Picks the entry whose `session_id` is the requested id. Without a match,
/// or without a requested id, the only entry is the current one when there
/// is exactly one.
fn find_current_session(sessions: &[SessionEntry], session_id: Option<&str>) -> Option<usize> {
    let matching = session_id.and_then(|id| {
        sessions
            .iter()
            .position(|entry| entry.session_id.as_deref() == Some(id))
    });
    matching.or_else(|| (sessions.len() == 1).then_some(0))
}

/// Collects warnings while fields are read.
#[derive(Default)]
struct Reader {
    warnings: Vec<String>,
    dropped: usize,
}

impl Reader {
    /// Adds the warning that `message` builds, or only counts it once the
    /// list is full, so that a document with millions of wrong values costs
    /// no formatting for the warnings left out.
    fn warn(&mut self, message: impl FnOnce() -> String) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(message());
        } else {
            self.dropped += 1;
        }
    }

    fn wrong_type(&mut self, path: &str, expected: &str, found: &Value) {
        self.warn(|| {
            text!(
                path,
                ": expected ",
                expected,
                ", found ",
                describe(found),
                "; read as absent"
            )
        });
    }

    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            let dropped = self.dropped;
            self.warnings
                .push(text!(dropped, " more warnings were left out"));
        }
        self.warnings
    }

    fn string(&mut self, path: &str, value: Option<&Value>) -> Option<String> {
        match value? {
            Value::Null => None,
            Value::String(text) => Some(text.clone()),
            other => {
                self.wrong_type(path, "a string", other);
                None
            }
        }
    }

    fn boolean(&mut self, path: &str, value: Option<&Value>) -> Option<bool> {
        match value? {
            Value::Null => None,
            Value::Bool(flag) => Some(*flag),
            other => {
                self.wrong_type(path, "true or false", other);
                None
            }
        }
    }

    /// Reads an integer. A JSON number with no fractional part, such as `5`,
    /// `5.0` or `5e0`, is an integer, as it is in JavaScript. Integers beyond
    /// 2^53 - 1 in size are read as absent, because a JavaScript number
    /// cannot hold them exactly.
    fn integer(&mut self, path: &str, value: Option<&Value>) -> Option<i64> {
        let value = value?;
        if value.is_null() {
            return None;
        }
        let Some((written, number)) = value
            .as_number()
            .map(|number| (number, number.as_f64()))
            .filter(|(_, number)| number % 1.0 == 0.0)
        else {
            self.wrong_type(path, "an integer", value);
            return None;
        };
        if number.abs() > MAX_SAFE_INTEGER as f64 {
            self.warn(|| {
                text!(
                    path,
                    ": ",
                    written.as_str(),
                    " is beyond 2^53 - 1, the largest integer a JavaScript number \
                 holds exactly; read as absent"
                )
            });
            return None;
        }
        Some(written.as_i64().unwrap_or(number as i64))
    }

    /// Reads a count, which cannot be negative: a negative integer reads as 0.
    fn count(&mut self, path: &str, value: Option<&Value>) -> Option<u64> {
        let integer = self.integer(path, value)?;
        if integer < 0 {
            self.warn(|| text!(path, ": ", integer, " is negative; read as 0"));
        }
        Some(u64::try_from(integer).unwrap_or(0))
    }

    fn epoch_millis(&mut self, path: &str, value: Option<&Value>) -> Option<Timestamp> {
        let millis = self.integer(path, value)?;
        let timestamp = Timestamp::from_millis(millis);
        if timestamp.is_none() {
            self.warn(|| {
                text!(
                    path,
                    ": ",
                    millis,
                    " is outside the range of a date; read as absent"
                )
            });
        }
        timestamp
    }

    fn date(&mut self, path: &str, value: Option<&Value>) -> Option<Timestamp> {
        let text = self.string(path, value)?;
        let timestamp = parse_date(&text);
        if timestamp.is_none() {
            self.warn(|| {
                text!(
                    path,
                    ": ",
                    quote(&text),
                    " is not a valid date; read as absent"
                )
            });
        }
        timestamp
    }

    /// Reads an object. An empty array reads as an empty object without a
    /// warning, because the upstream documentation shows `[]` for empty maps.
    fn map<'v>(&mut self, path: &str, value: Option<&'v Value>) -> Option<&'v Map> {
        static EMPTY: Map = Map::new();
        match value? {
            Value::Null => None,
            Value::Object(map) => Some(map),
            Value::Array(items) if items.is_empty() => Some(&EMPTY),
            other => {
                self.wrong_type(path, "an object", other);
                None
            }
        }
    }

    fn array<'v>(&mut self, path: &str, value: Option<&'v Value>) -> Option<&'v [Value]> {
        match value? {
            Value::Null => None,
            Value::Array(items) => Some(items),
            other => {
                self.wrong_type(path, "an array", other);
                None
            }
        }
    }

    /// Reads an array of strings, dropping each element that is not a string.
    fn string_list(&mut self, path: &str, value: Option<&Value>) -> Vec<String> {
        let items = self.array(path, value).unwrap_or_default();
        let mut strings = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            match item {
                Value::String(text) => strings.push(text.clone()),
                other => self.warn(|| {
                    text!(
                        path,
                        "[",
                        index,
                        "]: expected a string, found ",
                        describe(other),
                        "; dropped"
                    )
                }),
            }
        }
        strings
    }

    /// Reads a map from string to string, dropping each value that is not a string.
    /// Returns the pairs sorted by key.
    fn string_map(&mut self, path: &str, value: Option<&Value>) -> Vec<(String, String)> {
        let mut strings = Vec::new();
        for (key, item) in self.map(path, value).into_iter().flatten() {
            match item {
                Value::String(text) => strings.push((key.clone(), text.clone())),
                Value::Null => {}
                other => self.warn(|| {
                    text!(
                        path,
                        ".",
                        cut(key),
                        ": expected a string, found ",
                        describe(other),
                        "; dropped"
                    )
                }),
            }
        }
        sorted_by_key(strings, |(key, _)| key)
    }

    fn sessions(&mut self, value: Option<&Value>) -> Vec<SessionEntry> {
        let items = self.array("sessions", value).unwrap_or_default();
        let mut sessions = Vec::with_capacity(items.len());
        for (index, item) in items.iter().enumerate() {
            let path = text!("sessions[", index, "]");
            match item {
                Value::Object(fields) => sessions.push(self.session_entry(&path, fields)),
                other => self.warn(|| {
                    text!(
                        path,
                        ": expected an object, found ",
                        describe(other),
                        "; dropped"
                    )
                }),
            }
        }
        sessions
    }

    fn session_entry(&mut self, path: &str, fields: &Map) -> SessionEntry {
        let text =
            |reader: &mut Self, key: &str| reader.string(&text!(path, ".", key), fields.get(key));
        SessionEntry {
            session_id: text(self, "session_id"),
            state: text(self, "state"),
            device: text(self, "device"),
            browser: text(self, "browser"),
            os: text(self, "os"),
            city: text(self, "city"),
            geo_state: text(self, "geoState"),
            device_name: text(self, "deviceName"),
            country: text(self, "country"),
            user_id: text(self, "user_id"),
            tenant_id: text(self, "tenantId"),
            sub_tenant_id: text(self, "subTenantId"),
            authenticated: self
                .boolean(&text!(path, ".authenticated"), fields.get("authenticated")),
            supplied: self.boolean(&text!(path, ".supplied"), fields.get("supplied")),
            start_date: self.date(&text!(path, ".startDate"), fields.get("startDate")),
            expiry_date: self.date(&text!(path, ".expiryDate"), fields.get("expiryDate")),
        }
    }

    /// Reads the entries of a map of meters or credits, dropping entries that
    /// are not objects.
    fn entries<'v>(
        &mut self,
        path: &str,
        value: Option<&'v Value>,
    ) -> Vec<(String, String, &'v Map)> {
        let mut entries = Vec::new();
        for (id, item) in self.map(path, value).into_iter().flatten() {
            match item {
                Value::Object(fields) => {
                    entries.push((id.clone(), text!(path, ".", cut(id)), fields));
                }
                Value::Null => {}
                other => self.warn(|| {
                    text!(
                        path,
                        ".",
                        cut(id),
                        ": expected an object, found ",
                        describe(other),
                        "; dropped"
                    )
                }),
            }
        }
        entries
    }

    /// Returns the meters sorted by id.
    fn meters(&mut self, value: Option<&Value>) -> Vec<Meter> {
        let path = "access_model.meters";
        let mut meters = Vec::new();
        for (id, entry_path, fields) in self.entries(path, value) {
            let (content_ids, content_id_transform, recorded) =
                self.recorded_content(&entry_path, fields);
            let meter = Meter {
                meter_size: self.count(&text!(entry_path, ".meterSize"), fields.get("meterSize")),
                remaining_credits: self.count(
                    &text!(entry_path, ".remainingCredits"),
                    fields.get("remainingCredits"),
                ),
                refresh_time: self.date(
                    &text!(entry_path, ".refreshTime"),
                    fields.get("refreshTime"),
                ),
                id,
                content_ids,
                content_id_transform,
                recorded,
            };
            meters.push(meter);
        }
        sorted_by_key(meters, |meter| &meter.id)
    }

    /// Returns the credits sorted by id.
    fn credits(&mut self, value: Option<&Value>) -> Vec<Credit> {
        let path = "access_model.credits";
        let mut credits = Vec::new();
        for (id, entry_path, fields) in self.entries(path, value) {
            let (content_ids, content_id_transform, recorded) =
                self.recorded_content(&entry_path, fields);
            let credit = Credit {
                remaining_credits: self.count(
                    &text!(entry_path, ".remainingCredits"),
                    fields.get("remainingCredits"),
                ),
                id,
                content_ids,
                content_id_transform,
                recorded,
            };
            credits.push(credit);
        }
        sorted_by_key(credits, |credit| &credit.id)
    }

    /// Reads `contentIds` and `contentIdTransform`, shared by meters and credits.
    fn recorded_content(
        &mut self,
        path: &str,
        fields: &Map,
    ) -> (Vec<String>, Option<String>, RecordedContent) {
        let content_ids = self.string_list(&text!(path, ".contentIds"), fields.get("contentIds"));
        let transform_path = text!(path, ".contentIdTransform");
        let name = self.string(&transform_path, fields.get("contentIdTransform"));
        let transform = match name.as_deref() {
            None => ContentIdTransform::None,
            Some(name) => ContentIdTransform::from_name(name).unwrap_or_else(|| {
                self.warn(|| {
                    text!(
                        transform_path,
                        ": unknown transform ",
                        quote(name),
                        "; content ids are compared exactly, \
                     as with NONE"
                    )
                });
                ContentIdTransform::None
            }),
        };
        let recorded = RecordedContent::new(transform, &content_ids);
        (content_ids, name, recorded)
    }

    /// Reads `delivered_entitlements`. Entries that repeat an id are merged
    /// into the first: direct when any of them is, with their meters and
    /// credits in order of appearance.
    fn entitlements(&mut self, value: Option<&Value>) -> (Vec<Entitlement>, Index) {
        let path = "access_model.delivered_entitlements";
        let items = self.array(path, value).unwrap_or_default();
        let mut read: Vec<(usize, Entitlement)> = Vec::new();
        for (position, item) in items.iter().enumerate() {
            if let Some(entitlement) = self.entitlement(&text!(path, "[", position, "]"), item) {
                read.push((position, entitlement));
            }
        }
        let first = Index::of(read.iter().map(|(_, entitlement)| entitlement.id.as_str()));
        // Each entry's own lists, kept as they are, and how long they were
        // before entries that repeat its id were appended.
        let mut entitlements: Vec<(Entitlement, usize, usize)> = Vec::new();
        // Where each kept entry went in `entitlements`, by its place in `read`.
        let mut kept_at: Vec<Option<usize>> = Vec::with_capacity(read.len());
        for (at, (position, entitlement)) in read.into_iter().enumerate() {
            let target = first
                .get(&entitlement.id)
                .filter(|&target| target != at)
                .and_then(|target| kept_at.get(target).copied().flatten());
            let Some(target) = target else {
                kept_at.push(Some(entitlements.len()));
                let lengths = (entitlement.metered_by.len(), entitlement.credited_by.len());
                entitlements.push((entitlement, lengths.0, lengths.1));
                continue;
            };
            kept_at.push(None);
            self.warn(|| {
                text!(
                    path,
                    "[",
                    position,
                    "]: repeats entitlement id ",
                    quote(&entitlement.id),
                    "; merged with the first entry"
                )
            });
            if let Some((merged, _, _)) = entitlements.get_mut(target) {
                merged.direct |= entitlement.direct;
                merged.metered_by.extend(entitlement.metered_by);
                merged.credited_by.extend(entitlement.credited_by);
            }
        }
        let entitlements: Vec<Entitlement> = entitlements
            .into_iter()
            .map(|(mut entitlement, meters, credits)| {
                drop_repeats_after(&mut entitlement.metered_by, meters);
                drop_repeats_after(&mut entitlement.credited_by, credits);
                entitlement
            })
            .collect();
        let index = Index::of(
            entitlements
                .iter()
                .map(|entitlement| entitlement.id.as_str()),
        )
        .hashed();
        (entitlements, index)
    }

    fn entitlement(&mut self, path: &str, item: &Value) -> Option<Entitlement> {
        let Value::Object(fields) = item else {
            self.warn(|| {
                text!(
                    path,
                    ": expected an object, found ",
                    describe(item),
                    "; dropped"
                )
            });
            return None;
        };
        let Some(Value::String(id)) = fields.get("id") else {
            let found = fields.get("id").map_or("no id".to_owned(), describe);
            self.warn(|| {
                text!(
                    path,
                    ".id: expected a string, found ",
                    found,
                    "; entitlement dropped"
                )
            });
            return None;
        };
        let direct = match fields.get("direct") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(direct)) => *direct,
            Some(other) => {
                self.warn(|| {
                    text!(
                        path,
                        ".direct: expected true or false, found ",
                        describe(other),
                        "; read as false"
                    )
                });
                false
            }
        };
        Some(Entitlement {
            id: id.clone(),
            direct,
            metered_by: self.string_list(&text!(path, ".meteredBy"), fields.get("meteredBy")),
            credited_by: self.string_list(&text!(path, ".creditedBy"), fields.get("creditedBy")),
        })
    }

    /// Finds the meters and credits that each entitlement lists, and warns
    /// about each one the document does not define; decisions skip those.
    fn entitlement_sources(
        &mut self,
        entitlements: &[Entitlement],
        meter_index: &Index,
        credit_index: &Index,
    ) -> Vec<EntitlementSources> {
        // The meter and credit loops stay apart: one helper that took the
        // message's words as arguments made the module 1.2 KB larger gzipped.
        let mut all = Vec::with_capacity(entitlements.len());
        for entitlement in entitlements {
            let mut sources = EntitlementSources::default();
            for meter_id in &entitlement.metered_by {
                match meter_index.get(meter_id) {
                    Some(at) => sources.meters.push(at),
                    None => self.warn(|| {
                        text!(
                            "access_model.delivered_entitlements: entitlement ",
                            quote(&entitlement.id),
                            " is metered by \
                             ",
                            quote(meter_id),
                            ", which is not in access_model.meters; skipped"
                        )
                    }),
                }
            }
            for credit_id in &entitlement.credited_by {
                match credit_index.get(credit_id) {
                    Some(at) => sources.credits.push(at),
                    None => self.warn(|| {
                        text!(
                            "access_model.delivered_entitlements: entitlement ",
                            quote(&entitlement.id),
                            " is credited by \
                             ",
                            quote(credit_id),
                            ", which is not in access_model.credits; skipped"
                        )
                    }),
                }
            }
            all.push(sources);
        }
        all
    }
}

/// Drops each id at or after `from` that appears earlier in `ids`, so that
/// ids appended from repeated entries are listed once, in order of
/// appearance. The ids before `from` are kept as the first entry had them.
fn drop_repeats_after(ids: &mut Vec<String>, from: usize) {
    if ids.len() == from {
        return;
    }
    let first = Index::of(ids.iter().map(String::as_str));
    let mut position = 0;
    ids.retain(|id| {
        let keep = position < from || first.get(id) == Some(position);
        position += 1;
        keep
    });
}

/// Counts the characters of a text, as `text.chars().count()` does, with a
/// loop over the bytes that the module compiles smaller.
pub(crate) fn char_count(text: &str) -> usize {
    // Every byte but a UTF-8 continuation byte (0b10xx_xxxx) starts a character.
    text.bytes().filter(|&byte| byte & 0xC0 != 0x80).count()
}

/// Describes a document that is not an object by its type and size only,
/// because a body sent in its place may hold the session id or other secrets.
fn describe_document(value: &Value) -> String {
    match value {
        Value::String(text) => text!("a string of ", char_count(text), " characters"),
        Value::Array(items) if items.len() == 1 => "an array of 1 item".to_owned(),
        Value::Array(items) => text!("an array of ", items.len(), " items"),
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(_) => "a number".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Describes a JSON value for a message: its type, and for short scalars the value.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => String::from(if *flag { "true" } else { "false" }),
        Value::Number(number) => number.as_str().to_owned(),
        Value::String(text) => text!("the string ", quote(text)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// Quotes text for a message, cut to [`MAX_QUOTED_CHARS`] characters.
fn quote(text: &str) -> String {
    match text.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => text!(Quoted(text.get(..end).unwrap_or_default()), "…"),
        None => text!(Quoted(text)),
    }
}

/// Cuts a key to [`MAX_QUOTED_CHARS`] characters for the path at the start of
/// a warning. A meter can add a warning for each of its fields and content
/// ids, so a path that contained a long key in full would let a small document
/// fill memory with copies of it.
fn cut(key: &str) -> Cow<'_, str> {
    match key.char_indices().nth(MAX_QUOTED_CHARS) {
        Some((end, _)) => Cow::Owned(text!(key.get(..end).unwrap_or_default(), "…")),
        None => Cow::Borrowed(key),
    }
}

#[cfg(test)]
mod tests {
    use super::char_count;

    #[test]
    fn char_count_matches_chars() {
        for text in [
            "",
            "a",
            "abc",
            "é",
            "añb",
            "✓ ok",
            "😀😀",
            "a\u{0}b",
            "\u{10FFFF}",
        ] {
            assert_eq!(char_count(text), text.chars().count(), "{text:?}");
        }
    }
}
