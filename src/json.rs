//! JSON values, a parser that reads text as JavaScript's `JSON.parse` does,
//! and a writer.
//!
//! This module replaces a general JSON library, which was most of the
//! bundle's parsing code and brought a float parser and printer that this
//! crate does not need. A number keeps the text it was written with, so it
//! is written back exactly and JavaScript reads the same value from it.
//!
//! Where the parser differs from a strict one, it reads what `JSON.parse`
//! reads, with one difference in the first case:
//! - An escaped lone surrogate such as `"\ud800"` reads as U+FFFD, where
//!   `JSON.parse` keeps it. A Rust string cannot hold one, and wasm-bindgen
//!   makes the same replacement when JavaScript passes such a string.
//! - A number beyond the range of an `f64`, such as `1e400`, reads as
//!   `null`, which is how `JSON.stringify` writes the `Infinity` that
//!   `JSON.parse` makes of it.
//! - An object that repeats a key keeps the last value at the position of
//!   the first.
//!
//! Arrays and objects nested more than [`MAX_DEPTH`] deep, counting the
//! outermost, are rejected, so deep nesting cannot exhaust the stack.

use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use core::ops::Index as IndexOp;

use crate::index::Index;

/// How many arrays and objects may be nested in each other.
pub const MAX_DEPTH: usize = 127;

/// The reason of a [`ParseError`] for arrays and objects nested deeper than
/// [`MAX_DEPTH`].
pub const TOO_DEEP: &str = "arrays and objects nested too deeply";

/// An object with more keys than this is checked for repeated keys with a
/// sorted table instead of by comparing each key with every other.
const LINEAR_KEYS: usize = 16;

/// A JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// A JSON number, kept as the text it was written with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number(Box<str>);

/// A JSON object: keys in the order they first appeared, each once.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Map(Vec<(String, Value)>);

/// The reason a text is not JSON, and its place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The reason, such as `expected a value`.
    pub reason: &'static str,
    /// The line of the error, from 1.
    pub line: usize,
    /// The column of the error, in bytes from 1.
    pub column: usize,
}

impl ParseError {
    /// Describes the error as `expected a value at line 1 column 5`.
    pub fn describe(&self) -> String {
        text!(self.reason, " at line ", self.line, " column ", self.column)
    }
}

/// Parses JSON text.
///
/// # Errors
///
/// A [`ParseError`] when the text is not one JSON value, with nothing but
/// whitespace around it, or nests too deeply.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    let mut parser = Parser {
        source: text,
        text: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let result = parser.value().and_then(|value| {
        parser.skip_whitespace();
        if parser.at < parser.text.len() {
            return Err("trailing characters");
        }
        Ok(value)
    });
    result.map_err(|reason| parser.error(reason))
}

impl Value {
    /// Returns the string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// Returns the boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(*flag),
            _ => None,
        }
    }

    /// Returns the number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(number) => Some(number),
            _ => None,
        }
    }

    /// Returns the items, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// Returns the object, if this is one.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    /// Returns whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Returns the value of `key`, if this is an object that has it.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object()?.get(key)
    }

    /// Writes the value as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(true) => out.push_str("true"),
            Value::Bool(false) => out.push_str("false"),
            Value::Number(number) => out.push_str(number.as_str()),
            Value::String(text) => write_string(text, out),
            Value::Array(items) => {
                out.push('[');
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Value::Object(map) => map.write(out),
        }
    }
}

impl IndexOp<&str> for Value {
    type Output = Value;

    /// Returns the value of `key` in an object, or `null` when this is not
    /// an object or has no such key.
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&Value::Null)
    }
}

impl IndexOp<usize> for Value {
    type Output = Value;

    /// Returns the item at `position` in an array, or `null` when this is
    /// not an array or is shorter.
    fn index(&self, position: usize) -> &Value {
        self.as_array()
            .and_then(|items| items.get(position))
            .unwrap_or(&Value::Null)
    }
}

impl PartialEq<str> for Value {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Self {
        Value::String(text.to_owned())
    }
}

impl Number {
    /// Returns the number's JSON text, as it was written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the number as a JavaScript number would read it: the nearest
    /// `f64`.
    pub fn as_f64(&self) -> f64 {
        // JavaScript's parser rounds correctly, as Rust's does, and keeps
        // Rust's float parser (16 KB) out of the bundle.
        #[cfg(target_arch = "wasm32")]
        {
            js_sys::parse_float(&self.0)
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.0.parse().unwrap_or(f64::NAN)
        }
    }

    /// Returns the number as an `i64` when it is written as an integer
    /// (no fraction, no exponent) in range.
    pub fn as_i64(&self) -> Option<i64> {
        self.0.parse().ok()
    }

    /// Makes a number from an integer.
    pub fn from_u64(number: u64) -> Number {
        Number(text!(number).into_boxed_str())
    }
}

impl Map {
    /// Makes an empty object.
    pub const fn new() -> Self {
        Map(Vec::new())
    }

    /// Makes an object from entries in order. A repeated key keeps the
    /// last value at the position of the first.
    pub fn from_entries(mut entries: Vec<(String, Value)>) -> Self {
        if entries.len() <= LINEAR_KEYS {
            let mut map = Map(Vec::with_capacity(entries.len()));
            for (key, value) in entries {
                map.insert(key, value);
            }
            return map;
        }
        let first = Index::of(entries.iter().map(|(key, _)| key.as_str()));
        if first.positions().count() == entries.len() {
            return Map(entries);
        }
        let mut repeated = vec![false; entries.len()];
        for position in 0..entries.len() {
            let Some(first_position) = entries
                .get(position)
                .and_then(|(key, _)| first.get(key))
                .filter(|&first_position| first_position != position)
            else {
                continue;
            };
            let value = match entries.get_mut(position) {
                Some((_, value)) => core::mem::replace(value, Value::Null),
                None => continue,
            };
            if let Some((_, slot)) = entries.get_mut(first_position) {
                *slot = value;
            }
            if let Some(flag) = repeated.get_mut(position) {
                *flag = true;
            }
        }
        let mut flags = repeated.into_iter();
        entries.retain(|_| !flags.next().unwrap_or(false));
        Map(entries)
    }

    /// Sets the value of `key`: in place when the key is there, else last.
    pub fn insert(&mut self, key: String, value: Value) {
        match self.0.iter_mut().find(|(known, _)| *known == key) {
            Some((_, slot)) => *slot = value,
            None => self.0.push((key, value)),
        }
    }

    /// Returns the value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(known, _)| known == key)
            .map(|(_, value)| value)
    }

    /// Returns whether the object has `key`.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Removes `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let position = self.0.iter().position(|(known, _)| known == key)?;
        Some(self.0.remove(position).1)
    }

    /// Returns the entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(key, value)| (key, value))
    }

    /// Returns the keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(key, _)| key)
    }

    /// Returns how many keys the object has.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Returns whether the object has no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Writes the object as compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        out.push('{');
        for (position, (key, value)) in self.0.iter().enumerate() {
            if position > 0 {
                out.push(',');
            }
            write_string(key, out);
            out.push(':');
            value.write(out);
        }
        out.push('}');
    }
}

impl<'m> IntoIterator for &'m Map {
    type Item = (&'m String, &'m Value);
    type IntoIter = Box<dyn Iterator<Item = (&'m String, &'m Value)> + 'm>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl IndexOp<&str> for Map {
    type Output = Value;

    /// Returns the value of `key`, or `null` when the key is missing.
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&Value::Null)
    }
}

/// Shows a text in a message as `JSON.stringify` quotes it. Messages quote
/// the values they name this way rather than with Rust's `{:?}`, whose
/// escaping tables cost the module about 5 KB.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl crate::text::Part for Quoted<'_> {
    fn push_to(&self, out: &mut String) {
        write_string(self.0, out);
    }
}

/// Writes a JSON string literal as `JSON.stringify` does: quotes, backslashes
/// and control characters escaped, everything else as it is.
pub fn write_string(text: &str, out: &mut String) {
    out.push('"');
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let escape: &str = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        out.push_str(text.get(start..at).unwrap_or_default());
        start = at + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            for nibble in [byte >> 4, byte & 0xf] {
                out.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
            }
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out.push('"');
}

struct Parser<'t> {
    source: &'t str,
    text: &'t [u8],
    at: usize,
    depth: usize,
}

type Step<T> = Result<T, &'static str>;

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> ParseError {
        let before = self.text.get(..self.at).unwrap_or(self.text);
        let line_start = before
            .iter()
            .rposition(|&byte| byte == b'\n')
            .map_or(0, |newline| newline + 1);
        ParseError {
            reason,
            line: 1 + before.iter().filter(|&&byte| byte == b'\n').count(),
            column: 1 + self.at - line_start,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn value(&mut self) -> Step<Value> {
        self.skip_whitespace();
        match self.peek() {
            None => Err("end of text while parsing a value"),
            Some(b'{') => self.nested(Self::object),
            Some(b'[') => self.nested(Self::array),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err("expected a value"),
        }
    }

    fn nested(&mut self, read: fn(&mut Self) -> Step<Value>) -> Step<Value> {
        if self.depth == MAX_DEPTH {
            return Err(TOO_DEEP);
        }
        self.depth += 1;
        self.at += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    fn literal(&mut self, word: &'static str, value: Value) -> Step<Value> {
        if self.text.get(self.at..self.at + word.len()) == Some(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err("expected a value")
        }
    }

    fn array(&mut self) -> Step<Value> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.at += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Value::Array(items));
                }
                None => return Err("end of text while parsing an array"),
                Some(_) => return Err("expected `,` or `]`"),
            }
        }
    }

    fn object(&mut self) -> Step<Value> {
        let mut entries = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.at += 1;
            return Ok(Value::Object(Map::new()));
        }
        loop {
            self.skip_whitespace();
            match self.peek() {
                Some(b'"') => {}
                None => return Err("end of text while parsing an object"),
                Some(_) => return Err("expected a string key"),
            }
            let key = self.string()?;
            self.skip_whitespace();
            match self.peek() {
                Some(b':') => self.at += 1,
                None => return Err("end of text while parsing an object"),
                Some(_) => return Err("expected `:`"),
            }
            let value = self.value()?;
            entries.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Value::Object(Map::from_entries(entries)));
                }
                None => return Err("end of text while parsing an object"),
                Some(_) => return Err("expected `,` or `}`"),
            }
        }
    }

    /// Reads a string; `at` is on the opening quote.
    fn string(&mut self) -> Step<String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            let rest = self.text.get(start..).unwrap_or_default();
            let run = rest
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                .unwrap_or(rest.len());
            self.at += run;
            // The run ends before an ASCII byte or at the end, so both ends
            // are character boundaries.
            let piece = self.source.get(start..self.at).unwrap_or_default();
            match self.peek() {
                None => return Err("end of text while parsing a string"),
                Some(b'"') => {
                    self.at += 1;
                    if out.is_empty() {
                        return Ok(piece.to_owned());
                    }
                    out.push_str(piece);
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.at += 1;
                    out.push_str(piece);
                    let character = self.escape()?;
                    out.push(character);
                }
                Some(_) => return Err("control character in a string"),
            }
        }
    }

    /// Reads the escape after a backslash.
    fn escape(&mut self) -> Step<char> {
        let byte = self.peek().ok_or("end of text while parsing a string")?;
        self.at += 1;
        Ok(match byte {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => match self.hex_unit()? {
                high @ 0xD800..=0xDBFF => self.low_surrogate(high)?,
                0xDC00..=0xDFFF => char::REPLACEMENT_CHARACTER,
                unit => char::from_u32(u32::from(unit)).unwrap_or(char::REPLACEMENT_CHARACTER),
            },
            _ => return Err("invalid escape"),
        })
    }

    /// Reads the four hex digits of a `\u` escape.
    fn hex_unit(&mut self) -> Step<u16> {
        let mut unit: u16 = 0;
        for _ in 0..4 {
            let byte = self.peek().ok_or("end of text while parsing a string")?;
            let digit = char::from(byte)
                .to_digit(16)
                .ok_or("invalid `\\u` escape")?;
            unit = unit * 16 + u16::try_from(digit).unwrap_or(0);
            self.at += 1;
        }
        Ok(unit)
    }

    /// Combines a high surrogate with the low surrogate escape that follows
    /// it; a high surrogate without one reads as U+FFFD.
    fn low_surrogate(&mut self, high: u16) -> Step<char> {
        let rest = self.text.get(self.at..).unwrap_or_default();
        if !rest.starts_with(b"\\u") {
            return Ok(char::REPLACEMENT_CHARACTER);
        }
        let mark = self.at;
        self.at += 2;
        let low = self.hex_unit()?;
        if !(0xDC00..=0xDFFF).contains(&low) {
            // Not a pair: the next escape is read on its own.
            self.at = mark;
            return Ok(char::REPLACEMENT_CHARACTER);
        }
        let code = 0x10000 + ((u32::from(high) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
        Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// Reads a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Step<Value> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek() {
            Some(b'0') => self.at += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err("invalid number"),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err("invalid number");
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err("invalid number");
            }
            self.digits();
        }
        let token = self.text.get(start..self.at).unwrap_or_default();
        if overflows_f64(token) {
            return Ok(Value::Null);
        }
        // The token is ASCII, so it is UTF-8.
        let text = core::str::from_utf8(token).map_err(|_| "invalid number")?;
        Ok(Value::Number(Number(Box::from(text))))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }
}

/// The smallest number that rounds to an infinite `f64`: 2^1024 - 2^970,
/// halfway between `f64::MAX` and 2^1024, which rounds to the even 2^1024.
const OVERFLOW_THRESHOLD: &[u8] =
    b"17976931348623158079372897140530341507993413271003782693617377898044\
49682927647509466490179775872070963302864166928879109465555478519404026306574886715058206819089\
02000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168\
444365510704342711559699508093042880177904174497792";

/// Returns whether a JSON number rounds to an infinite `f64`, as JavaScript's
/// `Number` does for `1e400` or a 400-digit integer. Numbers too small for an
/// `f64` round to zero and are kept.
///
/// The decimal digits are compared with [`OVERFLOW_THRESHOLD`] exactly, so
/// the float parser and its tables (16 KB of the wasm module, measured) stay
/// out of the bundle.
fn overflows_f64(token: &[u8]) -> bool {
    let unsigned = token.strip_prefix(b"-").unwrap_or(token);
    let (mantissa, exponent) = match unsigned.iter().position(|&byte| byte | 0x20 == b'e') {
        Some(at) => (
            unsigned.get(..at).unwrap_or_default(),
            unsigned.get(at + 1..).unwrap_or_default(),
        ),
        None => (unsigned, &b""[..]),
    };
    let (whole, fraction) = match mantissa.iter().position(|&byte| byte == b'.') {
        Some(at) => (
            mantissa.get(..at).unwrap_or_default(),
            mantissa.get(at + 1..).unwrap_or_default(),
        ),
        None => (mantissa, &b""[..]),
    };

    // Most numbers are short and have no exponent: they cannot overflow.
    if exponent.is_empty() && whole.len() < OVERFLOW_THRESHOLD.len() {
        return false;
    }
    let digits = || whole.iter().chain(fraction).copied();
    let Some(first) = digits().position(|digit| digit != b'0') else {
        return false;
    };
    // The value is 0.d1d2d3... x 10^places, so it overflows from 309 places on.
    let places = saturating_exponent(exponent)
        .saturating_add(whole.len() as i64)
        .saturating_sub(first as i64);
    let threshold_places = OVERFLOW_THRESHOLD.len() as i64;
    if places != threshold_places {
        return places > threshold_places;
    }

    let mut significant = digits().skip(first);
    for &limit in OVERFLOW_THRESHOLD {
        let digit = significant.next().unwrap_or(b'0');
        if digit != limit {
            return digit > limit;
        }
    }
    // Equal to the threshold, or above it by further digits.
    true
}

/// Reads an exponent such as `308`, `+5` or `-12`, saturating far beyond
/// any that matters.
fn saturating_exponent(text: &[u8]) -> i64 {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, text),
    };
    let magnitude = digits.iter().fold(0i64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(i64::from(digit.wrapping_sub(b'0')))
            .min(1 << 40)
    });
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

// The tests compare with serde_json, a dependency of the host tests only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use std::borrow::ToOwned;
    use std::format;
    use std::string::String;
    use std::vec::Vec;

    #[test]
    fn quoted_text_escapes_as_json_stringify() {
        let quoted = text!(Quoted("a\"b\\c\n\u{1}é\u{7f}"));
        assert_eq!(quoted, "\"a\\\"b\\\\c\\n\\u0001é\u{7f}\"");
        let error = crate::Error::from_status(404, "w\"w");
        assert!(
            error.message.contains(r#"site "w\"w" answered"#),
            "{}",
            error.message
        );
    }

    fn string_of(text: &str) -> String {
        match parse(text) {
            Ok(Value::Array(items)) => match items.first() {
                Some(Value::String(text)) => text.clone(),
                other => panic!("{text}: not a string: {other:?}"),
            },
            other => panic!("{text}: not an array: {other:?}"),
        }
    }

    #[test]
    fn lone_surrogates_read_as_replacement() {
        assert_eq!(string_of(r#"["\ud800"]"#), "\u{FFFD}");
        assert_eq!(string_of(r#"["\uDFFF"]"#), "\u{FFFD}");
        assert_eq!(string_of(r#"["a\udc00b"]"#), "a\u{FFFD}b");
        assert_eq!(string_of(r#"["\udc00\ud800"]"#), "\u{FFFD}\u{FFFD}");
        assert_eq!(string_of(r#"["\ud800\u0041"]"#), "\u{FFFD}A");
        assert_eq!(string_of(r#"["\ud800\ud800\udc00"]"#), "\u{FFFD}\u{10000}");
        assert_eq!(string_of(r#"["\ud800\\udc00"]"#), "\u{FFFD}\\udc00");
        assert_eq!(string_of(r#"["\\\ud800"]"#), "\\\u{FFFD}");
        let object = parse(r#"{"\ud800":1}"#).unwrap();
        assert_eq!(
            object.as_object().unwrap().keys().next().unwrap(),
            "\u{FFFD}"
        );
    }

    #[test]
    fn escapes_match_serde_json() {
        for text in [
            r#"["\ud83d\ude00"]"#,
            r#"["\uD83D\uDE00"]"#,
            r#"["\u00e9\n\t\"\/\\\b\f\r"]"#,
            r#"["\\ud800"]"#,
            r#"["\\\\ud800"]"#,
            r#"["\"\ud83d\ude00"]"#,
            r#"["é €😀 plain"]"#,
        ] {
            let expected: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(string_of(text), expected[0].as_str().unwrap(), "{text}");
        }
    }

    #[test]
    fn invalid_text_is_rejected() {
        for text in [
            "",
            " ",
            "[",
            "]",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{a:1}"#,
            "[1,]",
            "[1 2]",
            r#"["\ud8"]"#,
            r#"["\ud800"#,
            r#"["\ud800\"]"#,
            r#"["\ud800\u"]"#,
            r#"["\ud800\ud"]"#,
            r#"["\x"]"#,
            "[\"a\u{1}b\"]",
            "\"\\",
            "[01]",
            "[1.]",
            "[.1]",
            "[-]",
            "[1e]",
            "[1e+]",
            "[+1]",
            "[1e400e5]",
            "[NaN]",
            "[Infinity]",
            "[tru]",
            "[nul]",
            "{} {}",
            "{}x",
            "\u{feff}{}",
        ] {
            assert!(parse(text).is_err(), "{text:?} was accepted");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn errors_name_line_and_column() {
        let error = parse("{\n  \"a\": oops}").unwrap_err();
        assert_eq!(error.reason, "expected a value");
        assert_eq!((error.line, error.column), (2, 8));
        assert_eq!(error.describe(), "expected a value at line 2 column 8");
        assert_eq!(
            parse("").unwrap_err().describe(),
            "end of text while parsing a value at line 1 column 1"
        );
    }

    #[test]
    fn out_of_range_numbers_read_as_null() {
        let long_integer = "9".repeat(400);
        for number in [
            "1e400",
            "-1E+400",
            "2e308",
            "1.5e99999999999999999999",
            &long_integer,
        ] {
            assert_eq!(
                parse(&format!("[{number},2]")).unwrap().to_json(),
                "[null,2]",
                "{number}"
            );
        }
        for number in [
            "1e308",
            "1e-400",
            "0e999999",
            "1.7976931348623157e308",
            "-0",
            "0.0",
        ] {
            let text = format!("[{number}]");
            assert_eq!(parse(&text).unwrap().to_json(), text, "{number}");
        }
    }

    #[test]
    fn numbers_keep_their_text() {
        let value = parse("[5.50, 1E2, -0, 12345678901234567890123]").unwrap();
        assert_eq!(value.to_json(), "[5.50,1E2,-0,12345678901234567890123]");
        let number = value[1].as_number().unwrap();
        assert_eq!(number.as_f64(), 100.0);
        assert_eq!(number.as_i64(), None);
        assert_eq!(value[2].as_number().unwrap().as_i64(), Some(0));
        assert_eq!(value[3].as_number().unwrap().as_i64(), None);
        assert_eq!(Number::from_u64(42).as_str(), "42");
    }

    #[test]
    fn repeated_keys_keep_last_value_at_first_place() {
        let small = parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(small.to_json(), r#"{"a":3,"b":2}"#);
        // Past the linear limit, a sorted table finds the repeats.
        let members: Vec<String> = (0..40).map(|n| format!(r#""k{}":{n}"#, n % 25)).collect();
        let large = parse(&format!("{{{}}}", members.join(","))).unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&format!("{{{}}}", members.join(","))).unwrap();
        assert_eq!(large.to_json(), serde_json::to_string(&expected).unwrap());
        assert_eq!(large.as_object().unwrap().len(), 25);
    }

    #[test]
    fn nesting_stops_at_the_limit() {
        let deepest = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&deepest).is_ok());
        let deeper = format!("[{deepest}]");
        assert_eq!(
            parse(&deeper).unwrap_err().reason,
            "arrays and objects nested too deeply"
        );
    }

    #[test]
    fn writing_escapes_as_json_stringify() {
        let value = Value::from("q\"b\\n\nc\u{1}d\u{7f}é\u{8}\u{c}\r\t");
        assert_eq!(
            value.to_json(),
            r#""q\"b\\n\nc\u0001d\u{7f}é\b\f\r\t""#.replace("\\u{7f}", "\u{7f}")
        );
        let reparsed: serde_json::Value = serde_json::from_str(&value.to_json()).unwrap();
        assert_eq!(reparsed.as_str(), value.as_str());
    }

    #[test]
    fn text_round_trips_through_serde_json() {
        let text =
            r#"{"v":3,"z":[1,{"a":null,"b":[true,false]}],"s":"x\u0000y","n":-1.5e-7,"e":{}}"#;
        let value = parse(text).unwrap();
        let expected: serde_json::Value = serde_json::from_str(text).unwrap();
        let written: serde_json::Value = serde_json::from_str(&value.to_json()).unwrap();
        assert_eq!(written, expected);
        assert_eq!(parse(&value.to_json()).unwrap(), value);
    }

    #[test]
    fn indexing_missing_values_gives_null() {
        let value = parse(r#"{"a":[1]}"#).unwrap();
        assert!(value["b"].is_null());
        assert!(value["a"][3].is_null());
        assert!(value["a"]["x"].is_null());
        assert_eq!(value["a"][0].to_json(), "1");
        assert!(value.as_object().unwrap().contains_key("a"));
    }

    #[test]
    fn overflow_threshold_is_exact() {
        let threshold = core::str::from_utf8(OVERFLOW_THRESHOLD).unwrap();
        assert_eq!(threshold.len(), 309);
        // The last digit 2 becomes 1: one less than the threshold.
        let below = format!("{}1", &threshold[..308]);
        for (token, overflows) in [
            (threshold.to_owned(), true),
            (below, false),
            (format!("{threshold}.0"), true),
            (format!("{threshold}0e-1"), true),
            (format!("0.{threshold}e309"), true),
            (format!("0.{threshold}e308"), false),
            ("1.7976931348623157e308".to_owned(), false),
            ("1.7976931348623158e308".to_owned(), false),
            ("1.7976931348623159e308".to_owned(), true),
            ("-1.7976931348623159e308".to_owned(), true),
            ("1e309".to_owned(), true),
            ("1e308".to_owned(), false),
            ("0e999999999999999999999999".to_owned(), false),
            ("1e999999999999999999999999".to_owned(), true),
            ("1e-999999999999999999999999".to_owned(), false),
            ("0.000001e315".to_owned(), true),
            ("0".to_owned(), false),
        ] {
            assert_eq!(overflows_f64(token.as_bytes()), overflows, "{token}");
        }
    }

    #[test]
    fn overflow_agrees_with_float_parser() {
        // A fixed xorshift sequence, so that a failure repeats.
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..20_000 {
            let digits = 1 + next() % 40;
            let mut token = String::new();
            for at in 0..digits {
                token.push(char::from(b'0' + (next() % 10) as u8));
                if at == 0 && next() % 3 == 0 {
                    token.push('.');
                }
            }
            let token = token.trim_end_matches('.').to_owned();
            let exponent = 250 + (next() % 120) as i64 - digits as i64;
            let token = format!("{token}e{exponent}");
            let expected = token.parse::<f64>().unwrap().is_infinite();
            assert_eq!(overflows_f64(token.as_bytes()), expected, "{token}");
        }
    }
}
