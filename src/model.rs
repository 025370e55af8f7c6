//! The session document as typed values, read by the tolerant rules in [`crate::read`].

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use crate::date::Timestamp;
use core::cell::OnceCell;

use crate::index::{Index, Key};
use crate::json::{Map, Value};

/// A reader's session document, with every field read and checked.
///
/// Build one with [`Session::parse`] or [`Session::from_value`]. Fields of the
/// wrong type were read as absent and left a line in [`Session::warnings`];
/// [`Session::document`] returns the document exactly as it came.
#[derive(Clone, Debug)]
pub struct Session {
    pub(crate) document: Map,
    pub(crate) requested_session_id: Option<String>,
    pub(crate) tenant_id: Option<String>,
    pub(crate) sub_tenant_id: Option<String>,
    pub(crate) authenticated: Option<bool>,
    pub(crate) version: Option<i64>,
    pub(crate) user_id: Option<String>,
    pub(crate) sessions: Vec<SessionEntry>,
    pub(crate) current_session: Option<usize>,
    /// In ascending id order, ids unique.
    pub(crate) meters: Vec<Meter>,
    /// In ascending id order, ids unique.
    pub(crate) credits: Vec<Credit>,
    /// The first meter, and the first credit, to record each content id.
    pub(crate) first_recorded: [FirstRecorded; 2],
    pub(crate) entitlements: Vec<Entitlement>,
    pub(crate) entitlement_index: Index,
    /// The ids of `meters`, to their positions.
    pub(crate) meter_index: Index,
    /// The ids of `credits`, to their positions.
    pub(crate) credit_index: Index,
    /// For each entry of `entitlements`, at the same position, the meters and
    /// credits it lists that the document defines, by position, so that a
    /// decision finds them without a search.
    pub(crate) entitlement_sources: Vec<EntitlementSources>,
    pub(crate) granted_bundles: Vec<String>,
    pub(crate) jwt_bundles: Vec<String>,
    /// The ids of `granted_bundles` and `jwt_bundles` together, for lookups.
    pub(crate) bundle_index: Index,
    pub(crate) user_state: Option<String>,
    pub(crate) last_updated: Option<Timestamp>,
    /// In ascending key order, keys unique.
    pub(crate) test_groups: Vec<(String, String)>,
    /// In ascending key order, keys unique.
    pub(crate) second_party_data: Vec<(String, String)>,
    pub(crate) warnings: Vec<String>,
}

/// One entry of the document's `sessions` array: a session of this reader on one device.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionEntry {
    /// `session_id`: the value of the `blaize_session` cookie for this session.
    pub session_id: Option<String>,
    /// `state`: `anonymous`, `recognised`, `partially_registered` or `authenticated`.
    pub state: Option<String>,
    /// `authenticated`: whether the reader logged in on this session.
    pub authenticated: Option<bool>,
    /// `supplied`: whether the session id was supplied by the caller.
    pub supplied: Option<bool>,
    /// `startDate`: when the session began.
    pub start_date: Option<Timestamp>,
    /// `expiryDate`: when the session ends.
    pub expiry_date: Option<Timestamp>,
    /// `device`, such as `pc` or `mobile`.
    pub device: Option<String>,
    /// `browser`, such as `Chrome`.
    pub browser: Option<String>,
    /// `os`, such as `Mac OSX`.
    pub os: Option<String>,
    /// `city`.
    pub city: Option<String>,
    /// `geoState`: the region within the country.
    pub geo_state: Option<String>,
    /// `deviceName`, such as `Apple Macintosh`.
    pub device_name: Option<String>,
    /// `country`: an ISO 3166 code.
    pub country: Option<String>,
    /// `user_id`: the logged-in user, empty or absent for anonymous readers.
    pub user_id: Option<String>,
    /// `tenantId`.
    pub tenant_id: Option<String>,
    /// `subTenantId`.
    pub sub_tenant_id: Option<String>,
}

/// A meter: recurring limited access, such as five free articles a month.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Meter {
    /// The meter's key in `access_model.meters`.
    pub id: String,
    /// `meterSize`: how many credits each period starts with.
    pub meter_size: Option<u64>,
    /// `remainingCredits`: credits left in this period; a negative count reads as 0.
    pub remaining_credits: Option<u64>,
    /// `refreshTime`: when the meter resets.
    pub refresh_time: Option<Timestamp>,
    /// `contentIds`: the content already counted in this period.
    pub content_ids: Vec<String>,
    /// `contentIdTransform` as the document wrote it.
    pub content_id_transform: Option<String>,
    pub(crate) recorded: RecordedContent,
}

/// A credit: limited access like a meter's that never recurs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    /// The credit's key in `access_model.credits`.
    pub id: String,
    /// `remainingCredits`: credits left; a negative count reads as 0.
    pub remaining_credits: Option<u64>,
    /// `contentIds`: the content already counted.
    pub content_ids: Vec<String>,
    /// `contentIdTransform` as the document wrote it.
    pub content_id_transform: Option<String>,
    pub(crate) recorded: RecordedContent,
}

/// An entry of `access_model.delivered_entitlements`: an entitlement the
/// reader has, directly or through meters and credits.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entitlement {
    /// The entitlement id.
    pub id: String,
    /// Whether a product or bundle grants it outright.
    pub direct: bool,
    /// The meters, by id, that may grant it, in the listed order.
    pub metered_by: Vec<String>,
    /// The credits, by id, that may grant it, in the listed order.
    pub credited_by: Vec<String>,
}

/// The meters and credits an entitlement lists, by their positions in
/// `Session::meters` and `Session::credits`, in the listed order, without
/// the ids the document does not define.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EntitlementSources {
    /// Positions in `Session::meters`.
    pub(crate) meters: Vec<usize>,
    /// Positions in `Session::credits`.
    pub(crate) credits: Vec<usize>,
}

/// The comparison a meter or credit uses between a content id and the ids it recorded,
/// from its `contentIdTransform`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentIdTransform {
    /// `NONE`, absent or unknown: exact, case-sensitive equality.
    None,
    /// `STRIP_PARAMS`: equality after cutting both ids at the first `?` or `#`.
    StripParams,
    /// `PREPEND_RANDOM`: each view was recorded under a fresh random prefix,
    /// so a recorded id never shows that the content was unlocked before.
    PrependRandom,
}

impl ContentIdTransform {
    /// Reads a `contentIdTransform` value; `None` for a value this crate does not know.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "NONE" => Some(ContentIdTransform::None),
            "STRIP_PARAMS" => Some(ContentIdTransform::StripParams),
            "PREPEND_RANDOM" => Some(ContentIdTransform::PrependRandom),
            _ => None,
        }
    }

    /// Returns the part of a content id that this transform compares.
    fn comparable(self, content_id: &str) -> &str {
        match self {
            // A byte search: `?` and `#` are ASCII, so the cut is on a
            // character boundary, and this runs on every decision.
            ContentIdTransform::StripParams => content_id
                .bytes()
                .position(|byte| byte == b'?' || byte == b'#')
                .and_then(|end| content_id.get(..end))
                .unwrap_or(content_id),
            _ => content_id,
        }
    }
}

/// The recorded content ids of a meter or credit, indexed once at parse so
/// that a lookup takes logarithmic time in the number of ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RecordedContent {
    transform: ContentIdTransform,
    ids: Index,
}

impl RecordedContent {
    pub(crate) fn new(transform: ContentIdTransform, content_ids: &[String]) -> Self {
        let ids = match transform {
            ContentIdTransform::PrependRandom => Index::default(),
            _ => Index::of(content_ids.iter().map(|id| transform.comparable(id))).hashed(),
        };
        RecordedContent { transform, ids }
    }

    /// Returns whether the queried content id was already counted.
    pub(crate) fn contains(&self, query: &ContentQuery<'_>) -> bool {
        match self.transform {
            ContentIdTransform::PrependRandom => false,
            ContentIdTransform::StripParams => self.ids.find(query.stripped()).is_some(),
            _ => self.ids.find(query.exact()).is_some(),
        }
    }
}

/// A content id being decided on, in the forms that tables compare: as it
/// is, and cut at `?` or `#`. Each form is cut and hashed at most once per
/// decision, however many tables it is looked up in.
pub(crate) struct ContentQuery<'a> {
    exact: Key<'a>,
    stripped: OnceCell<Key<'a>>,
}

impl<'a> ContentQuery<'a> {
    /// Wraps a content id.
    pub(crate) fn new(content_id: &'a str) -> Self {
        ContentQuery {
            exact: Key::new(content_id),
            stripped: OnceCell::new(),
        }
    }

    /// Returns the content id as it is.
    pub(crate) fn exact(&self) -> &Key<'a> {
        &self.exact
    }

    /// Returns the content id cut at its first `?` or `#`.
    pub(crate) fn stripped(&self) -> &Key<'a> {
        self.stripped
            .get_or_init(|| Key::new(ContentIdTransform::StripParams.comparable(self.exact.text())))
    }
}

/// For the meters or the credits of a session: the first of them, in
/// ascending id order, that recorded each content id. A decision without a
/// delivered entitlement searches them all, and with this table its cost
/// does not grow with the number of meters or content ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FirstRecorded {
    /// Content ids of the sources compared exactly, to the source's position.
    exact: Index,
    /// Content ids cut at `?` or `#`, of the `STRIP_PARAMS` sources.
    stripped: Index,
}

impl FirstRecorded {
    /// Builds the table from the sources' recorded content, in ascending id order.
    pub(crate) fn new<'s>(sources: impl Iterator<Item = &'s RecordedContent>) -> Self {
        let mut exact = Vec::new();
        let mut stripped = Vec::new();
        for (position, recorded) in sources.enumerate() {
            let list = match recorded.transform {
                ContentIdTransform::None => &mut exact,
                ContentIdTransform::StripParams => &mut stripped,
                ContentIdTransform::PrependRandom => continue,
            };
            list.extend(
                recorded
                    .ids
                    .keys()
                    .map(|id| (Box::<str>::from(id), position)),
            );
        }
        FirstRecorded {
            exact: Index::new(exact).hashed(),
            stripped: Index::new(stripped).hashed(),
        }
    }

    /// Returns the recorded ids, those of the exact table first.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.exact.keys().chain(self.stripped.keys())
    }

    /// Returns the id at `position` of [`FirstRecorded::keys`], or the
    /// position past this table's ids when it has fewer.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn key(&self, position: usize) -> Result<&str, usize> {
        self.exact
            .key(position)
            .or_else(|after| self.stripped.key(after))
    }

    /// Returns whether a `STRIP_PARAMS` source recorded any content.
    #[cfg_attr(
        not(target_arch = "wasm32"),
        allow(dead_code, reason = "only the JavaScript layer calls it")
    )]
    pub(crate) fn strips_params(&self) -> bool {
        !self.stripped.is_empty()
    }

    /// Returns the position of the first source that recorded the queried
    /// content id.
    pub(crate) fn find(&self, query: &ContentQuery<'_>) -> Option<usize> {
        let exact = self.exact.find(query.exact());
        // Most documents have no STRIP_PARAMS source, and then the search for
        // `?` and `#` is skipped.
        let stripped = if self.stripped.is_empty() {
            None
        } else {
            self.stripped.find(query.stripped())
        };
        match (exact, stripped) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (found, None) | (None, found) => found,
        }
    }
}

impl Meter {
    /// Returns whether this meter already counted `content_id` in this period,
    /// compared as its `contentIdTransform` specifies.
    pub fn has_recorded(&self, content_id: &str) -> bool {
        self.recorded.contains(&ContentQuery::new(content_id))
    }
}

impl Credit {
    /// Returns whether this credit already counted `content_id`, compared as its
    /// `contentIdTransform` specifies.
    pub fn has_recorded(&self, content_id: &str) -> bool {
        self.recorded.contains(&ContentQuery::new(content_id))
    }
}

impl Session {
    /// Returns the document exactly as it came, unknown fields included.
    pub fn document(&self) -> &Map {
        &self.document
    }

    /// Returns the session id the document was fetched for or given with, if any.
    pub fn requested_session_id(&self) -> Option<&str> {
        self.requested_session_id.as_deref()
    }

    /// Returns one line for each field that was read as absent or corrected, each
    /// starting with the field's path, such as
    /// `access_model.meters.negative.remainingCredits: -1 is negative; read as 0`.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// `tenantId`.
    pub fn tenant_id(&self) -> Option<&str> {
        self.tenant_id.as_deref()
    }

    /// `subTenantId`.
    pub fn sub_tenant_id(&self) -> Option<&str> {
        self.sub_tenant_id.as_deref()
    }

    /// `v`: the document version.
    pub fn version(&self) -> Option<i64> {
        self.version
    }

    /// `user_id`: the logged-in user, empty or absent for anonymous readers.
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// `access_model.user_state`, such as `anonymous` or `registered`.
    pub fn user_state(&self) -> Option<&str> {
        self.user_state.as_deref()
    }

    /// `last_updated`.
    pub fn last_updated(&self) -> Option<Timestamp> {
        self.last_updated
    }

    /// Returns the value of `session_variables[key]`, of any JSON type.
    pub fn session_variable(&self, key: &str) -> Option<&Value> {
        match self.document.get("session_variables") {
            Some(Value::Object(variables)) => variables.get(key),
            _ => None,
        }
    }

    /// Returns the reader's group in the A/B test `name`, from `test_groups`.
    pub fn test_group(&self, name: &str) -> Option<&str> {
        find_sorted(&self.test_groups, name, |(key, _)| key).map(|(_, group)| group.as_str())
    }

    /// Returns the publisher's value for `key`, from `second_party_data`.
    pub fn second_party_data(&self, key: &str) -> Option<&str> {
        find_sorted(&self.second_party_data, key, |(known, _)| known)
            .map(|(_, value)| value.as_str())
    }

    /// Returns every entry of `sessions`, in document order.
    pub fn sessions(&self) -> &[SessionEntry] {
        &self.sessions
    }

    /// Returns the meter with this id.
    pub fn meter(&self, meter_id: &str) -> Option<&Meter> {
        self.meters.get(self.meter_position(meter_id)?)
    }

    /// Returns the position of a meter in [`Session::meters`].
    pub(crate) fn meter_position(&self, meter_id: &str) -> Option<usize> {
        self.meter_index.get(meter_id)
    }

    /// Returns every meter, in ascending id order.
    pub fn meters(&self) -> impl Iterator<Item = &Meter> {
        self.meters.iter()
    }

    /// Returns the credit with this id.
    pub fn credit(&self, credit_id: &str) -> Option<&Credit> {
        self.credits.get(self.credit_position(credit_id)?)
    }

    /// Returns the position of a credit in [`Session::credits`].
    pub(crate) fn credit_position(&self, credit_id: &str) -> Option<usize> {
        self.credit_index.get(credit_id)
    }

    /// Returns every credit, in ascending id order.
    pub fn credits(&self) -> impl Iterator<Item = &Credit> {
        self.credits.iter()
    }

    /// Returns the delivered entitlement with this id. Entries that repeat an id were
    /// merged into the first one when the document was read.
    pub fn entitlement(&self, entitlement_id: &str) -> Option<&Entitlement> {
        let index = self.entitlement_index.get(entitlement_id)?;
        self.entitlements.get(index)
    }

    /// Returns every delivered entitlement, in document order.
    pub fn entitlements(&self) -> &[Entitlement] {
        &self.entitlements
    }

    /// `access_model.granted_bundles`.
    pub fn granted_bundles(&self) -> &[String] {
        &self.granted_bundles
    }

    /// `access_model.jwt_bundles`.
    pub fn jwt_bundles(&self) -> &[String] {
        &self.jwt_bundles
    }
}

/// Finds the item with key `key` in a list sorted by ascending, unique keys.
pub(crate) fn find_sorted<'a, T>(
    items: &'a [T],
    key: &str,
    key_of: impl Fn(&T) -> &String,
) -> Option<&'a T> {
    let at = items
        .binary_search_by(|item| key_of(item).as_str().cmp(key))
        .ok()?;
    items.get(at)
}
