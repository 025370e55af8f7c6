//! Small conversions between JavaScript values and Rust values.

use alloc::borrow::ToOwned;
use alloc::string::String;
use alloc::vec::Vec;

use js_sys::{Array, Date, JsString, Object, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::{invalid_argument, Local};
use crate::date::Timestamp;
use crate::json::Quoted;

/// The JavaScript strings of [`interned`].
static INTERNED: Local<Vec<(&'static str, JsValue)>> = Local::new(Vec::new());

/// Returns the JavaScript string of a fixed Rust string, made on first use
/// and reused after. Decoding a string out of wasm memory costs more than
/// the rest of a small call, such as `decide`, together.
pub(crate) fn interned(text: &'static str) -> JsValue {
    INTERNED.with(|cache| {
        let Ok(mut cache) = cache.try_borrow_mut() else {
            return JsValue::from_str(text);
        };
        // The same literal has the same address, which is faster to compare
        // than its text; another copy of a text only adds an entry.
        if let Some((_, value)) = cache.iter().find(|(known, _)| core::ptr::eq(*known, text)) {
            return value.clone();
        }
        let value = JsValue::from_str(text);
        cache.push((text, value.clone()));
        value
    })
}

#[wasm_bindgen]
extern "C" {
    /// `Reflect.set` without the exception handling of `js_sys::Reflect::set`,
    /// which costs more than the call itself. It is used only on plain
    /// objects this crate created, where setting a property cannot throw.
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    fn reflect_set(target: &Object, key: &JsValue, value: &JsValue) -> bool;

    /// `JSON.parse` without the exception handling of `js_sys::JSON::parse`,
    /// only for JSON text that this crate's own writer produced.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    pub(crate) fn parse_own_json(text: &str) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, which throws for a revoked `Proxy`.
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    pub(crate) fn is_array(value: &JsValue) -> Result<bool, JsValue>;

    /// `Object.keys`, which runs the traps of a `Proxy` and so may throw.
    #[wasm_bindgen(js_namespace = Object, js_name = keys, catch)]
    fn own_keys(value: &JsValue) -> Result<Array, JsValue>;

    /// `Object.entries`, which runs getters and the traps of a `Proxy` and so
    /// may throw.
    #[wasm_bindgen(js_namespace = Object, js_name = entries, catch)]
    pub(crate) fn own_entries(value: &JsValue) -> Result<Array, JsValue>;

    /// `Object.getPrototypeOf`, which runs the trap of a `Proxy` and so may
    /// throw.
    #[wasm_bindgen(js_namespace = Object, js_name = getPrototypeOf, catch)]
    pub(crate) fn prototype_of(value: &JsValue) -> Result<JsValue, JsValue>;

    /// `JSON.parse` of a JavaScript string, only for the fixed texts of
    /// [`plain_object`].
    #[wasm_bindgen(js_namespace = JSON, js_name = parse)]
    fn parse_fixed_json(text: &JsValue) -> Object;
}

/// Creates a plain object that already owns each key of `skeleton`, a JSON
/// object text whose values are placeholders. Setting a key that the object
/// owns never reaches `Object.prototype`, so a setter or read-only property
/// that a page defined there cannot change the result or throw.
pub(crate) fn plain_object(skeleton: &'static str) -> Object {
    parse_fixed_json(&interned(skeleton))
}

/// Sets `object[key] = value` on a plain object from [`plain_object`] that
/// owns `key`.
pub(crate) fn set(object: &Object, key: &'static str, value: &JsValue) {
    reflect_set(object, &interned(key), value);
}

/// Reads `object[key]`, or `undefined` when `object` is neither an object
/// nor a function, or when the getter throws.
pub(crate) fn get(object: &JsValue, key: &'static str) -> JsValue {
    if !object.is_object() && !object.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &interned(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Reads the option `key` of a caller's options object, `undefined` when
/// `options` is not an object. A getter that throws fails as
/// `invalid_argument`, so that a broken option is never read as absent. The
/// message names the exception's type only, because its text may hold
/// anything.
pub(crate) fn read_option(options: &JsValue, key: &'static str) -> Result<JsValue, JsValue> {
    if !options.is_object() {
        return Ok(JsValue::UNDEFINED);
    }
    Reflect::get(options, &interned(key)).map_err(|error| option_threw(key, &error))
}

/// Builds the `invalid_argument` error for an option whose getter threw `error`.
fn option_threw(key: &str, error: &JsValue) -> JsValue {
    let kind = thrown_kind(error);
    invalid_argument(text!(
        "reading the option ",
        key,
        " threw ",
        kind,
        "; pass a plain value for ",
        key
    ))
}

/// Describes a JavaScript value's type for a message, without its contents:
/// `a number`, `an array`, `null`, `undefined`.
pub(crate) fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".to_owned();
    }
    if is_array(value).unwrap_or(false) {
        return "an array".to_owned();
    }
    let kind = value.js_typeof().as_string().unwrap_or_default();
    match kind.as_str() {
        "undefined" => kind,
        "object" => "an object".to_owned(),
        _ => text!("a ", kind),
    }
}

/// Reads a required, non-empty string argument named `name`.
pub(crate) fn required_string(value: &JsValue, name: &str) -> Result<String, JsValue> {
    match optional_string(value, name)? {
        Some(text) if !text.is_empty() => Ok(text),
        Some(_) => Err(invalid_argument(text!(
            name,
            " is empty; pass a non-empty string"
        ))),
        None => Err(invalid_argument(text!(
            name,
            " is missing; pass a non-empty string"
        ))),
    }
}

/// Reads an optional string argument: `undefined` and `null` are absent, and
/// any other type than a string is an error.
pub(crate) fn optional_string(value: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    // One call across the boundary in the common case: the string comes back
    // as UTF-8, with U+FFFD for each lone surrogate. The other types are
    // checked only when the value is not a string.
    let Some(text) = value.as_string() else {
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        return Err(invalid_argument(text!(
            name,
            " must be a string, but it is ",
            type_name(value),
            "; pass a non-empty string"
        )));
    };
    // Only a string with U+FFFD may have had a lone surrogate, so only such a
    // string is checked code unit by code unit. U+FFFD is EF BF BD in UTF-8,
    // and a search for its first byte made the module 2.6 KB smaller (1.3 KB
    // gzipped) than `str::contains` with a char, which it alone used.
    let lone_surrogate = text.bytes().any(|byte| byte == 0xEF)
        && !value.unchecked_ref::<JsString>().is_valid_utf16();
    if lone_surrogate {
        return Err(invalid_argument(text!(
            name,
            " contains a lone surrogate, which no id or URL can hold; pass well-formed text"
        )));
    }
    Ok(Some(text))
}

/// Joins option names with ", ", as `join` does, in a loop that made the
/// module about 1 KB smaller than the standard library's `join`.
fn list(names: &[&str]) -> String {
    let mut text = String::new();
    for name in names {
        if !text.is_empty() {
            text.push_str(", ");
        }
        text.push_str(name);
    }
    text
}

/// Reads an options object: `undefined` and `null` are an empty object, and
/// any other type than an object is an error.
pub(crate) fn options_object(
    value: &JsValue,
    name: &str,
    allowed: &[&'static str],
) -> Result<JsValue, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    let array = is_array(value).map_err(|error| unreadable(name, &error, "a plain object"))?;
    if !value.is_object() || array {
        return Err(invalid_argument(text!(
            name,
            " must be an object, but it is ",
            type_name(value),
            "; pass an object with the options ",
            list(allowed),
            ", or \
             leave it out"
        )));
    }
    if !is_plain_object(value).map_err(|error| unreadable(name, &error, "a plain object"))? {
        return Err(invalid_argument(text!(
            name,
            " must be a plain object, but it is ",
            instance_description(value),
            "; pass an object literal with the \
             options ",
            list(allowed),
            ", or leave it out"
        )));
    }
    check_option_names(value, name, allowed)?;
    Ok(value.clone())
}

/// Rejects an options object with a key outside `allowed`, so that a
/// misspelled option such as `entitlement` for `entitlementId` fails at once
/// instead of being ignored.
pub(crate) fn check_option_names(
    options: &JsValue,
    name: &str,
    allowed: &[&'static str],
) -> Result<(), JsValue> {
    let keys = own_keys(options).map_err(|error| unreadable(name, &error, "a plain object"))?;
    for index in 0..keys.length() {
        let key = keys.get(index);
        // Compared as JavaScript strings, so that a valid key is never
        // copied into wasm memory.
        if allowed
            .iter()
            .any(|allowed_key| key == interned(allowed_key))
        {
            continue;
        }
        let key = key.as_string().unwrap_or_default();
        return Err(invalid_argument(text!(
            name,
            " have no option ",
            Quoted(&key),
            "; the options are ",
            list(allowed)
        )));
    }
    Ok(())
}

#[wasm_bindgen]
extern "C" {
    /// This realm's `Object.prototype`.
    #[wasm_bindgen(thread_local_v2, js_namespace = Object, js_name = prototype)]
    static OBJECT_PROTOTYPE: JsValue;
}

/// Returns whether `value`, an object, is a plain object: one whose
/// prototype is `null` or the `Object.prototype` of its realm, as for an
/// object literal made here or in another frame. A `Map`, a `Date`, a class
/// instance or an object that inherits its fields is not.
///
/// # Errors
///
/// The exception that a `Proxy` trap threw.
pub(crate) fn is_plain_object(value: &JsValue) -> Result<bool, JsValue> {
    let prototype = prototype_of(value)?;
    if prototype.is_null() || OBJECT_PROTOTYPE.with(|known| *known == prototype) {
        return Ok(true);
    }
    // Another realm's Object.prototype has no prototype of its own, and its
    // constructor is that realm's Object, whose prototype it is.
    if !prototype.is_object() || !prototype_of(&prototype)?.is_null() {
        return Ok(false);
    }
    let constructor = get(&prototype, "constructor");
    Ok(constructor.is_function()
        && get(&constructor, "prototype") == prototype
        && get(&constructor, "name").as_string().as_deref() == Some("Object"))
}

/// Describes an object that is not plain, for a message: `an instance of
/// Map`, or `an instance of a class` when its constructor has no name.
pub(crate) fn instance_description(value: &JsValue) -> String {
    // A prototype need not have a constructor, nor a constructor a name.
    let class = prototype_of(value)
        .ok()
        .map(|prototype| get(&prototype, "constructor"))
        .filter(JsValue::is_function)
        .and_then(|constructor| get(&constructor, "name").as_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "a class".to_owned());
    // Only called for a value that is not a plain object, so a constructor
    // named Object means a prototype chain that does not end at once in
    // Object.prototype, as `Object.create(other)` gives.
    if class == "Object" {
        return "an object whose prototype is not Object.prototype".to_owned();
    }
    text!("an instance of ", class)
}

/// Builds the `invalid_argument` error for an argument that threw `error`
/// when it was inspected, as a revoked `Proxy` or one whose traps throw
/// does. `expected` names what to pass instead.
pub(crate) fn unreadable(name: &str, error: &JsValue, expected: &str) -> JsValue {
    invalid_argument(text!(
        name,
        " could not be read: inspecting them threw ",
        thrown_kind(error),
        "; pass ",
        expected
    ))
}

/// Names what was thrown, for a message: the error's `name`, such as
/// `TypeError`, or else the thrown value's type. Its text may hold anything,
/// so a message never quotes it.
fn thrown_kind(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.name()))
        .unwrap_or_else(|| type_name(error))
}

/// Converts a timestamp to a JavaScript `Date`.
pub(crate) fn to_date(timestamp: Timestamp) -> JsValue {
    Date::new(&JsValue::from_f64(timestamp.millis() as f64)).into()
}

/// Converts an optional timestamp to a `Date` or `undefined`.
pub(crate) fn to_optional_date(timestamp: Option<Timestamp>) -> JsValue {
    timestamp.map_or(JsValue::UNDEFINED, to_date)
}

/// Converts an optional string to a JavaScript string or `undefined`.
pub(crate) fn to_optional_string(text: Option<&str>) -> JsValue {
    text.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

/// Converts an optional count to a number or `undefined`. Counts are at
/// most 2^53 - 1, so the number is exact.
pub(crate) fn to_optional_number(count: Option<u64>) -> JsValue {
    count.map_or(JsValue::UNDEFINED, |count| JsValue::from_f64(count as f64))
}

/// Converts a list of strings to a JavaScript array.
pub(crate) fn to_string_array<'a>(items: impl IntoIterator<Item = &'a String>) -> Array {
    items
        .into_iter()
        .map(|item| JsValue::from_str(item))
        .collect()
}
