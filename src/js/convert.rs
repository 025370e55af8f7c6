//! Small conversions between JavaScript values and Rust values.

use js_sys::{Array, Date, JsString, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};

use super::invalid_argument;
use crate::date::Timestamp;

/// Sets `object[key] = value` on an object this crate created. Setting a
/// plain data property on such an object cannot fail, so the result is
/// dropped.
pub(crate) fn set(object: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// Reads `object[key]`, or `undefined` when `object` is not an object or the
/// getter throws.
pub(crate) fn get(object: &JsValue, key: &str) -> JsValue {
    if !object.is_object() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Describes a JavaScript value's type for a message, without its contents.
pub(crate) fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        return "null".to_owned();
    }
    if Array::is_array(value) {
        return "an array".to_owned();
    }
    value.js_typeof().as_string().unwrap_or_default()
}

/// Reads a required, non-empty string argument named `name`.
pub(crate) fn required_string(value: &JsValue, name: &str) -> Result<String, JsValue> {
    match optional_string(value, name)? {
        Some(text) if !text.is_empty() => Ok(text),
        Some(_) => Err(invalid_argument(format!(
            "{name} is empty; pass a non-empty string"
        ))),
        None => Err(invalid_argument(format!(
            "{name} is missing; pass a non-empty string"
        ))),
    }
}

/// Reads an optional string argument: `undefined` and `null` are absent, and
/// any other type than a string is an error.
pub(crate) fn optional_string(value: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    let Some(text) = value.dyn_ref::<JsString>() else {
        return Err(invalid_argument(format!(
            "{name} must be a string, but it is {}",
            type_name(value)
        )));
    };
    if !text.is_valid_utf16() {
        return Err(invalid_argument(format!(
            "{name} contains a lone surrogate, which cannot be encoded in a URL; pass well-formed \
             text"
        )));
    }
    Ok(Some(String::from(text)))
}

/// Reads an options object: `undefined` and `null` are an empty object, and
/// any other type than an object is an error.
pub(crate) fn options_object(
    value: &JsValue,
    name: &str,
    allowed: &[&str],
) -> Result<JsValue, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(JsValue::UNDEFINED);
    }
    if !value.is_object() || Array::is_array(value) {
        return Err(invalid_argument(format!(
            "{name} must be an object, but it is {}",
            type_name(value)
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
    allowed: &[&str],
) -> Result<(), JsValue> {
    for key in Object::keys(options.unchecked_ref::<Object>()) {
        let key = key.as_string().unwrap_or_default();
        if !allowed.contains(&key.as_str()) {
            return Err(invalid_argument(format!(
                "{name} have no option {key:?}; the options are {}",
                allowed.join(", ")
            )));
        }
    }
    Ok(())
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
