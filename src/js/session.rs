//! `Session`: a session document and every query a paywall makes of it.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use alloc::rc::Rc;

use js_sys::{Array, Date, Object, JSON};
use wasm_bindgen::prelude::*;

use super::convert::{
    instance_description, is_array, is_plain_object, optional_string, options_object,
    parse_own_json, plain_object, read_option, required_string, set, to_date, to_optional_date,
    to_optional_number, to_optional_string, to_string_array, type_name,
};
use super::{debug, invalid_argument, to_js_error, Local};
use crate::date::{Timestamp, MAX_JS_DATE_MS};
use crate::error::Error;
use crate::model::{Credit, Meter, Session, SessionEntry};
use crate::rules::{Decision, Reason, Source, Verdict};

/// A reader's session document, exported to JavaScript as `Session`.
#[wasm_bindgen(js_name = Session)]
pub struct JsSession {
    inner: Rc<Session>,
    /// The error of the failed lookup this stale document answered, if any.
    stale_error: Option<JsValue>,
    /// Whether `decide` and `isEntitled` log their results, for a session
    /// fetched by a client created with `debug: true`.
    debug: bool,
}

impl JsSession {
    fn new(inner: Session) -> Self {
        JsSession::shared(Rc::new(inner), None, false)
    }

    /// Returns the document this session decides on, which the copies made
    /// for the client's cache share.
    pub(crate) fn inner(&self) -> &Rc<Session> {
        &self.inner
    }

    /// Wraps a document that the cache or other callers may share.
    pub(crate) fn shared(inner: Rc<Session>, stale_error: Option<JsValue>, debug: bool) -> Self {
        JsSession {
            inner,
            stale_error,
            debug,
        }
    }
}

#[wasm_bindgen(js_class = Session)]
impl JsSession {
    /// Rejects `new Session()`: a session comes from `Session.parse`,
    /// `Session.fromJson` or `SessionClient.fetchSession`.
    ///
    /// # Errors
    ///
    /// Always `invalid_argument`.
    #[wasm_bindgen(constructor)]
    pub fn new_rejected() -> Result<JsSession, JsValue> {
        Err(invalid_argument(
            "Session has no public constructor; use Session.parse(text), Session.fromJson(value) \
             or SessionClient.fetchSession(id)"
                .to_owned(),
        ))
    }

    /// Builds a session from a document already parsed into a JavaScript value.
    ///
    /// `options.sessionId` is the id the document belongs to; it picks
    /// `currentSession()` among several sessions.
    ///
    /// # Errors
    ///
    /// `invalid_response` when the value is not a plain JSON object;
    /// `invalid_argument` when `options.sessionId` is not a string.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(
        #[wasm_bindgen(unchecked_param_type = "object")] value: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: JsValue,
    ) -> Result<JsSession, JsValue> {
        let session_id = session_id_option(&options)?;
        check_plain_document(&value).map_err(to_js_error)?;
        // Reading the JSON text, `fromJson(x)` and `parse(JSON.stringify(x))`
        // agree.
        let text = JSON::stringify(&value)
            .map_err(|error| {
                to_js_error(Error::invalid_response(text!(
                    "the session document cannot be read as JSON (",
                    js_message(&error),
                    "); pass a plain JSON object"
                )))
            })?
            .as_string()
            .unwrap_or_default();
        let inner = Session::parse(&text, session_id.as_deref()).map_err(to_js_error)?;
        Ok(JsSession::new(inner))
    }

    /// Builds a session from JSON text.
    ///
    /// # Errors
    ///
    /// `invalid_response` when the text is not JSON or not a JSON object;
    /// `invalid_argument` when `text` is not a string.
    pub fn parse(
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "SessionOptions")] options: JsValue,
    ) -> Result<JsSession, JsValue> {
        let session_id = session_id_option(&options)?;
        let Some(text) = text.as_string() else {
            return Err(invalid_argument(text!(
                "Session.parse expects JSON text, but got ",
                type_name(&text),
                "; use Session.fromJson for objects"
            )));
        };
        let inner = Session::parse(&text, session_id.as_deref()).map_err(to_js_error)?;
        Ok(JsSession::new(inner))
    }

    /// Returns the credits left on a meter in this period, or `undefined` when the
    /// meter or its count is absent.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `meterId` is not a non-empty string.
    #[wasm_bindgen(js_name = remainingCredits)]
    pub fn remaining_credits(
        &self,
        #[wasm_bindgen(js_name = meterId, unchecked_param_type = "string")] meter_id: JsValue,
    ) -> Result<Option<f64>, JsValue> {
        let meter_id = required_string(&meter_id, "meterId")?;
        Ok(self
            .inner
            .remaining_credits(&meter_id)
            .map(|count| count as f64))
    }

    /// Returns the meter with this id as `{ id, meterSize, remainingCredits,
    /// refreshTime, contentIds, contentIdTransform }`, or `undefined`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `meterId` is not a non-empty string.
    #[wasm_bindgen(unchecked_return_type = "Meter | undefined")]
    pub fn meter(
        &self,
        #[wasm_bindgen(js_name = meterId, unchecked_param_type = "string")] meter_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let meter_id = required_string(&meter_id, "meterId")?;
        Ok(self
            .inner
            .meter(&meter_id)
            .map_or(JsValue::UNDEFINED, meter_object))
    }

    /// Returns the ids of every meter, in ascending order.
    #[wasm_bindgen(js_name = meterIds)]
    pub fn meter_ids(&self) -> Vec<String> {
        self.inner.meters().map(|meter| meter.id.clone()).collect()
    }

    /// Returns the credit with this id as `{ id, remainingCredits, contentIds,
    /// contentIdTransform }`, or `undefined`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `creditId` is not a non-empty string.
    #[wasm_bindgen(unchecked_return_type = "Credit | undefined")]
    pub fn credit(
        &self,
        #[wasm_bindgen(js_name = creditId, unchecked_param_type = "string")] credit_id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let credit_id = required_string(&credit_id, "creditId")?;
        Ok(self
            .inner
            .credit(&credit_id)
            .map_or(JsValue::UNDEFINED, credit_object))
    }

    /// Returns the ids of every credit, in ascending order.
    #[wasm_bindgen(js_name = creditIds)]
    pub fn credit_ids(&self) -> Vec<String> {
        self.inner
            .credits()
            .map(|credit| credit.id.clone())
            .collect()
    }

    /// Returns whether the reader may see `contentId`: `decide(contentId).granted`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `contentId` is not a non-empty string.
    #[wasm_bindgen(js_name = isEntitled)]
    pub fn is_entitled(
        &self,
        #[wasm_bindgen(js_name = contentId, unchecked_param_type = "string")] content_id: JsValue,
    ) -> Result<bool, JsValue> {
        let content_id = required_string(&content_id, "contentId")?;
        if !self.debug {
            return self.inner.is_entitled(&content_id).map_err(to_js_error);
        }
        let decision = self.inner.decide(&content_id, None).map_err(to_js_error)?;
        debug::log_decision("isEntitled", &content_id, None, &decision);
        Ok(decision.granted)
    }

    /// Decides whether the reader may see `contentId`, checking
    /// `options.entitlementId` or, without it, the content id itself.
    /// Returns `{ granted, reason, entitlementId?, meterId?, creditId?,
    /// remainingCredits? }`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `contentId` is not a non-empty string, or
    /// `options.entitlementId` is given and is not one.
    #[wasm_bindgen(unchecked_return_type = "Decision")]
    pub fn decide(
        &self,
        #[wasm_bindgen(js_name = contentId, unchecked_param_type = "string")] content_id: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "DecideOptions")] options: JsValue,
    ) -> Result<JsValue, JsValue> {
        let content_id = required_string(&content_id, "contentId")?;
        let options = options_object(&options, "decide options", &["entitlementId"])?;
        let entitlement_id =
            optional_string(&read_option(&options, "entitlementId")?, "entitlementId")?;
        let decision = self
            .inner
            .decide(&content_id, entitlement_id.as_deref())
            .map_err(to_js_error)?;
        if self.debug {
            debug::log_decision("decide", &content_id, entitlement_id.as_deref(), &decision);
        }
        Ok(decision_object(&decision))
    }

    /// Returns whether the entitlement is delivered, whatever its source or remaining credits.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `entitlementId` is not a non-empty string.
    #[wasm_bindgen(js_name = hasEntitlement)]
    pub fn has_entitlement(
        &self,
        #[wasm_bindgen(js_name = entitlementId, unchecked_param_type = "string")]
        entitlement_id: JsValue,
    ) -> Result<bool, JsValue> {
        let entitlement_id = required_string(&entitlement_id, "entitlementId")?;
        Ok(self.inner.has_entitlement(&entitlement_id))
    }

    /// Returns the ids of every delivered entitlement, in document order.
    #[wasm_bindgen(js_name = entitlementIds)]
    pub fn entitlement_ids(&self) -> Vec<String> {
        self.inner
            .entitlements()
            .iter()
            .map(|entitlement| entitlement.id.clone())
            .collect()
    }

    /// Returns whether the bundle is in `granted_bundles` or `jwt_bundles`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `bundleId` is not a non-empty string.
    #[wasm_bindgen(js_name = hasBundle)]
    pub fn has_bundle(
        &self,
        #[wasm_bindgen(js_name = bundleId, unchecked_param_type = "string")] bundle_id: JsValue,
    ) -> Result<bool, JsValue> {
        let bundle_id = required_string(&bundle_id, "bundleId")?;
        Ok(self.inner.has_bundle(&bundle_id))
    }

    /// Returns whether the reader is logged in.
    #[wasm_bindgen(getter, js_name = isAuthenticated)]
    pub fn is_authenticated(&self) -> bool {
        self.inner.is_authenticated()
    }

    /// Returns the logged-in user's id; empty or `undefined` for anonymous readers.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> Option<String> {
        self.inner.user_id().map(str::to_owned)
    }

    /// `access_model.user_state`, such as `"anonymous"` or `"registered"`.
    #[wasm_bindgen(getter, js_name = userState)]
    pub fn user_state(&self) -> Option<String> {
        self.inner.user_state().map(str::to_owned)
    }

    /// Returns the document version, the `v` field.
    #[wasm_bindgen(getter)]
    pub fn version(&self) -> Option<f64> {
        self.inner.version().map(|version| version as f64)
    }

    /// Returns when the document was last updated, as a `Date`.
    #[wasm_bindgen(getter, js_name = lastUpdated, unchecked_return_type = "Date | undefined")]
    pub fn last_updated(&self) -> JsValue {
        to_optional_date(self.inner.last_updated())
    }

    /// `tenantId`.
    #[wasm_bindgen(getter, js_name = tenantId)]
    pub fn tenant_id(&self) -> Option<String> {
        self.inner.tenant_id().map(str::to_owned)
    }

    /// `subTenantId`.
    #[wasm_bindgen(getter, js_name = subTenantId)]
    pub fn sub_tenant_id(&self) -> Option<String> {
        self.inner.sub_tenant_id().map(str::to_owned)
    }

    /// Returns one line for each field that was read as absent or corrected, each
    /// starting with the field's path.
    #[wasm_bindgen(getter)]
    pub fn warnings(&self) -> Vec<String> {
        self.inner.warnings().to_vec()
    }

    /// Returns the reader's group in an A/B test, from `test_groups`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `name` is not a non-empty string.
    #[wasm_bindgen(js_name = testGroup)]
    pub fn test_group(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue,
    ) -> Result<Option<String>, JsValue> {
        let name = required_string(&name, "name")?;
        Ok(self.inner.test_group(&name).map(str::to_owned))
    }

    /// Returns the publisher's value for a key, from `second_party_data`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `key` is not a non-empty string.
    #[wasm_bindgen(js_name = secondPartyData)]
    pub fn second_party_data(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<Option<String>, JsValue> {
        let key = required_string(&key, "key")?;
        Ok(self.inner.second_party_data(&key).map(str::to_owned))
    }

    /// Returns the value of a session variable, of any JSON type, or `undefined`.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `key` is not a non-empty string.
    #[wasm_bindgen(js_name = sessionVariable, unchecked_return_type = "JsonValue | undefined")]
    pub fn session_variable(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = required_string(&key, "key")?;
        Ok(self
            .inner
            .session_variable(&key)
            .map_or(JsValue::UNDEFINED, |value| json_to_js(&value.to_json())))
    }

    /// Returns every entry of `sessions`, in document order.
    #[wasm_bindgen(unchecked_return_type = "SessionEntry[]")]
    pub fn sessions(&self) -> Array {
        self.inner.sessions().iter().map(session_object).collect()
    }

    /// Returns the session the document was fetched for, or `undefined`.
    #[wasm_bindgen(js_name = currentSession, unchecked_return_type = "SessionEntry | undefined")]
    pub fn current_session(&self) -> JsValue {
        self.inner
            .current_session()
            .map_or(JsValue::UNDEFINED, |entry| session_object(entry).into())
    }

    /// Returns whether the current session's expiry is at or before `now` (a `Date`
    /// or milliseconds since the epoch; the current time by default). A
    /// session whose expiry is unknown has not expired.
    ///
    /// # Errors
    ///
    /// `invalid_argument` when `now` is not a valid date.
    #[wasm_bindgen(js_name = isExpired)]
    pub fn is_expired(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "Date | number")] now: JsValue,
    ) -> Result<bool, JsValue> {
        let millis = if now.is_undefined() {
            Date::now()
        } else if let Some(date) = now.dyn_ref::<Date>() {
            date.get_time()
        } else if let Some(number) = now.as_f64() {
            number
        } else {
            return Err(invalid_argument(text!(
                "now must be a Date or a number of milliseconds, but it is ",
                type_name(&now)
            )));
        };
        if !millis.is_finite() || millis.abs() > MAX_JS_DATE_MS as f64 {
            return Err(invalid_argument(
                "now is an invalid date; pass a valid Date or leave it out".to_owned(),
            ));
        }
        Ok(self.inner.is_expired(Timestamp::floor(millis)))
    }

    /// Returns whether this document is a cached one that answered a failed
    /// lookup, for a client set to `onError: "stale"`.
    #[wasm_bindgen(getter, js_name = isStale)]
    pub fn is_stale(&self) -> bool {
        self.stale_error.is_some()
    }

    /// Returns the error of the failed lookup that this stale document
    /// answered, or `undefined`.
    #[wasm_bindgen(
        getter,
        js_name = staleError,
        unchecked_return_type = "ZephrSessionError | undefined"
    )]
    pub fn stale_error(&self) -> JsValue {
        self.stale_error.clone().unwrap_or(JsValue::UNDEFINED)
    }

    /// Returns the document exactly as it came, unknown fields included, so that
    /// `JSON.stringify(session)` round-trips.
    #[wasm_bindgen(js_name = toJSON, unchecked_return_type = "SessionDocument")]
    pub fn to_json(&self) -> JsValue {
        json_to_js(&self.inner.document().to_json())
    }

    // The methods below serve the package's JavaScript (`src/js/fast_paths.js`),
    // which returns the results of `decide`, `isEntitled` and `remainingCredits` as object
    // literals for the common arguments and calls the methods above for the
    // rest. It removes them from `Session.prototype` when the module loads, so
    // callers never see them. Their ids come through the scratch buffer
    // ([`JsSession::scratch`]), which costs no allocation per call.

    /// Applies the rules to the content id in the first `content_len` bytes
    /// of the scratch buffer and, when `entitlement_len` is not negative, the
    /// entitlement id in the next `entitlement_len` bytes. Returns the verdict
    /// as one number: see [`verdict_code`]. Returns [`SLOW_PATH`] when the
    /// session logs its decisions, when an id is empty or not UTF-8, and
    /// when a position does not fit, so that the caller uses `decide`.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __verdictCode, skip_typescript)]
    pub fn verdict_code(&self, content_len: usize, entitlement_len: i32) -> u32 {
        if self.debug {
            return SLOW_PATH;
        }
        SCRATCH.with(|bytes| {
            let bytes = bytes.borrow();
            let Some(content_id) = scratch_str(&bytes, 0, content_len) else {
                return SLOW_PATH;
            };
            let entitlement_id = match usize::try_from(entitlement_len) {
                Err(_) => None,
                Ok(length) => match scratch_str(&bytes, content_len, length) {
                    Some(id) => Some(id),
                    None => return SLOW_PATH,
                },
            };
            self.inner
                .verdict(content_id, entitlement_id)
                .map_or(SLOW_PATH, |verdict| verdict_code(&verdict))
        })
    }

    /// Applies the rules to ids that the package's JavaScript looked up in
    /// its maps: `content` is a position in [`JsSession::recorded_ids`], or
    /// -1 for a content id that no table records, and `entitlement` is the
    /// position of a delivered entitlement in
    /// [`JsSession::entitlement_ids_by_position`], or -1 for one that is not
    /// delivered. Returns the verdict as [`JsSession::verdict_code`] does,
    /// or [`SLOW_PATH`] when the session logs its decisions or a position is
    /// past the end.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __verdictAt, skip_typescript)]
    pub fn verdict_at(&self, content: i32, entitlement: i32) -> u32 {
        if self.debug {
            return SLOW_PATH;
        }
        let content_id = match usize::try_from(content) {
            Err(_) => None,
            Ok(position) => match self.inner.recorded_id(position) {
                Some(id) => Some(id),
                None => return SLOW_PATH,
            },
        };
        self.inner
            .verdict_at(content_id, usize::try_from(entitlement).ok())
            .map_or(SLOW_PATH, |verdict| verdict_code(&verdict))
    }

    /// Returns the content ids the meters' and credits' tables record, in
    /// the form each compares, for the package's JavaScript to map to their
    /// positions. An id may appear more than once.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __recordedIds, skip_typescript)]
    pub fn recorded_ids(&self) -> Vec<String> {
        self.inner.recorded_ids().map(str::to_owned).collect()
    }

    /// Returns how many ids [`JsSession::recorded_ids`] and
    /// [`JsSession::entitlement_ids_by_position`] return together, so that
    /// the package's JavaScript can tell what its maps would cost to build.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __lookupSize, skip_typescript)]
    pub fn lookup_size(&self) -> f64 {
        (self.inner.recorded_ids().count() + self.inner.entitlements.len()) as f64
    }

    /// Returns the ids of the delivered entitlements by position, each once.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __entitlementIdsByPosition, skip_typescript)]
    pub fn entitlement_ids_by_position(&self) -> Vec<String> {
        self.inner
            .entitlements
            .iter()
            .map(|entitlement| entitlement.id.clone())
            .collect()
    }

    /// Returns whether a queried content id with `?` or `#` can match a
    /// recorded id that it does not equal, through a `STRIP_PARAMS` source.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __stripsParams, skip_typescript)]
    pub fn strips_params(&self) -> bool {
        self.inner.strips_params()
    }

    /// Returns the id of the meter or credit that a verdict code names.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __sourceId, skip_typescript)]
    pub fn source_id(&self, code: u32) -> Option<String> {
        self.inner.source_id(code_source(code)?).map(str::to_owned)
    }

    /// Returns the credits left on the meter or credit that a verdict code
    /// names, or -1 when its count is absent.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __sourceRemaining, skip_typescript)]
    pub fn source_remaining(&self, code: u32) -> f64 {
        code_source(code)
            .and_then(|source| self.inner.source_remaining_credits(source))
            .map_or(-1.0, |count| count as f64)
    }

    /// Makes the scratch buffer at least `length` bytes long and returns its
    /// address in the module's memory, for the package's JavaScript, or 0
    /// when the memory cannot grow. The address stays valid until a call
    /// requests more room.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __scratch, skip_typescript)]
    pub fn scratch(length: usize) -> usize {
        SCRATCH.with(|bytes| {
            let mut bytes = bytes.borrow_mut();
            let more = length.saturating_sub(bytes.len());
            // Reserving can fail where `resize` would abort, and an abort here
            // would leave the buffer borrowed for the rest of the page.
            if more > 0 {
                if bytes.try_reserve_exact(more).is_err() {
                    return 0;
                }
                bytes.resize(length, 0);
            }
            bytes.as_ptr() as usize
        })
    }

    /// Returns the credits left on each meter, in the order of `meterIds()`,
    /// with -1 for a meter whose count is absent.
    #[doc(hidden)]
    #[wasm_bindgen(js_name = __meterCounts, skip_typescript)]
    pub fn meter_counts(&self) -> Vec<f64> {
        self.inner
            .meters()
            .map(|meter| meter.remaining_credits.map_or(-1.0, |count| count as f64))
            .collect()
    }
}

fn session_id_option(options: &JsValue) -> Result<Option<String>, JsValue> {
    let options = options_object(options, "Session options", &["sessionId"])?;
    let session_id = optional_string(&read_option(&options, "sessionId")?, "sessionId")?;
    if session_id.as_deref() == Some("") {
        return Err(invalid_argument(
            "sessionId is empty; pass the session id or leave it out".to_owned(),
        ));
    }
    Ok(session_id)
}

/// Rejects a value that `JSON.stringify` would not write as the object it
/// is: `undefined`, a function or symbol (no JSON at all), JSON text (which
/// `Session.parse` reads), and an instance of a class such as `Map` or
/// `Date`, which would read as an empty object or a string. An array, a
/// number or `null` fails later, as a document that is not an object.
fn check_plain_document(value: &JsValue) -> Result<(), Error> {
    let problem = if value.is_undefined() {
        "the session document is undefined; pass the parsed JSON object".to_owned()
    } else if value.is_function() || value.is_symbol() {
        text!(
            "the session document is ",
            type_name(value),
            ", which has no JSON form; pass the parsed JSON object"
        )
    } else if let Some(text) = value.as_string() {
        text!(
            "the session document is a string of ",
            crate::read::char_count(&text),
            " characters; use Session.parse for JSON \
             text, or pass the parsed object"
        )
    } else if value.is_object() && !is_array(value).unwrap_or(true) {
        // A Proxy whose trap throws cannot be read as JSON either, so it
        // fails as a document that is not a plain object.
        if is_plain_object(value).unwrap_or(false) {
            return Ok(());
        }
        text!(
            "the session document is ",
            instance_description(value),
            ", not a plain object; pass the parsed JSON object"
        )
    } else {
        return Ok(());
    };
    Err(Error::invalid_response(problem))
}

fn js_message(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .unwrap_or_else(|| type_name(error))
}

/// Converts a JSON value to JavaScript through `JSON.parse`, which creates
/// keys such as `__proto__` as own properties instead of touching prototypes.
fn json_to_js(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or(JsValue::UNDEFINED)
}

/// Builds the decision object from its JSON text. Parsing the text creates
/// each field as an own property, so a setter or read-only property that a
/// page defined on `Object.prototype` cannot change the decision or throw.
/// Assigning the fields one by one was faster, but not safe from that.
fn decision_object(decision: &Decision) -> JsValue {
    parse_own_json(&decision.to_json())
}

fn meter_object(meter: &Meter) -> JsValue {
    let object = plain_object(
        r#"{"id":"","meterSize":null,"remainingCredits":null,"refreshTime":null,"contentIds":null,"contentIdTransform":null}"#,
    );
    set(&object, "id", &JsValue::from_str(&meter.id));
    set(&object, "meterSize", &to_optional_number(meter.meter_size));
    set(
        &object,
        "remainingCredits",
        &to_optional_number(meter.remaining_credits),
    );
    set(
        &object,
        "refreshTime",
        &to_optional_date(meter.refresh_time),
    );
    set(&object, "contentIds", &to_string_array(&meter.content_ids));
    set(
        &object,
        "contentIdTransform",
        &to_optional_string(meter.content_id_transform.as_deref()),
    );
    object.into()
}

fn credit_object(credit: &Credit) -> JsValue {
    let object = plain_object(
        r#"{"id":"","remainingCredits":null,"contentIds":null,"contentIdTransform":null}"#,
    );
    set(&object, "id", &JsValue::from_str(&credit.id));
    set(
        &object,
        "remainingCredits",
        &to_optional_number(credit.remaining_credits),
    );
    set(&object, "contentIds", &to_string_array(&credit.content_ids));
    set(
        &object,
        "contentIdTransform",
        &to_optional_string(credit.content_id_transform.as_deref()),
    );
    object.into()
}

fn session_object(entry: &SessionEntry) -> Object {
    let object = plain_object(concat!(
        r#"{"sessionId":null,"state":null,"authenticated":null,"supplied":null,"#,
        r#""startDate":null,"expiryDate":null,"device":null,"browser":null,"os":null,"#,
        r#""city":null,"geoState":null,"deviceName":null,"country":null,"userId":null,"#,
        r#""tenantId":null,"subTenantId":null}"#
    ));
    let text = |key: &'static str, value: &Option<String>| {
        set(&object, key, &to_optional_string(value.as_deref()))
    };
    let flag = |key: &'static str, value: Option<bool>| {
        set(
            &object,
            key,
            &value.map_or(JsValue::UNDEFINED, JsValue::from_bool),
        )
    };
    text("sessionId", &entry.session_id);
    text("state", &entry.state);
    flag("authenticated", entry.authenticated);
    flag("supplied", entry.supplied);
    set(
        &object,
        "startDate",
        &entry.start_date.map_or(JsValue::UNDEFINED, to_date),
    );
    set(
        &object,
        "expiryDate",
        &entry.expiry_date.map_or(JsValue::UNDEFINED, to_date),
    );
    text("device", &entry.device);
    text("browser", &entry.browser);
    text("os", &entry.os);
    text("city", &entry.city);
    text("geoState", &entry.geo_state);
    text("deviceName", &entry.device_name);
    text("country", &entry.country);
    text("userId", &entry.user_id);
    text("tenantId", &entry.tenant_id);
    text("subTenantId", &entry.sub_tenant_id);
    object
}

/// The verdict code that sends the package's JavaScript to the full method.
const SLOW_PATH: u32 = u32::MAX;

/// The bits of a verdict code that hold the position of its meter or credit.
const POSITION_SHIFT: u32 = 5;

/// Packs a verdict into one number for the package's JavaScript:
///
/// - bits 0-2: the reason, in the order of [`Reason`]: 0 `entitlement`,
///   1 `consumed`, 2 `meter`, 3 `credit`, 4 `exhausted`, 5 `none`;
/// - bit 3: set when the decision names its entitlement, whose id is then the
///   one the caller checked;
/// - bit 4: set when the decision names a credit, clear for a meter;
/// - bits 5-31: the meter's or credit's position plus one, or 0 for none.
///
/// A position that does not fit gives [`SLOW_PATH`].
fn verdict_code(verdict: &Verdict<'_>) -> u32 {
    let reason = match verdict.reason {
        Reason::Entitlement => 0,
        Reason::Consumed => 1,
        Reason::Meter => 2,
        Reason::Credit => 3,
        Reason::Exhausted => 4,
        Reason::None => 5,
    };
    let named = if verdict.entitlement.is_some() { 8 } else { 0 };
    let (kind, at) = match verdict.source {
        None => return reason | named,
        Some(Source::Meter(at)) => (0, at),
        Some(Source::Credit(at)) => (16, at),
    };
    match u32::try_from(at).ok().and_then(|at| at.checked_add(1)) {
        Some(slot) if slot < 1 << (32 - POSITION_SHIFT) => {
            reason | named | kind | slot << POSITION_SHIFT
        }
        _ => SLOW_PATH,
    }
}

/// Reads the meter or credit that a verdict code names.
fn code_source(code: u32) -> Option<Source> {
    let at = usize::try_from((code >> POSITION_SHIFT).checked_sub(1)?).ok()?;
    Some(if code & 16 == 0 {
        Source::Meter(at)
    } else {
        Source::Credit(at)
    })
}

/// The buffer to which the package's JavaScript writes the ids of a quick
/// call, as UTF-8.
static SCRATCH: Local<Vec<u8>> = Local::new(Vec::new());

/// Reads `length` bytes of the scratch buffer from `start` as text.
fn scratch_str(bytes: &[u8], start: usize, length: usize) -> Option<&str> {
    let end = start.checked_add(length)?;
    core::str::from_utf8(bytes.get(start..end)?).ok()
}
