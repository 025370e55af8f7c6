//! Rewrites the two kinds of JSON text that JavaScript's `JSON.parse` accepts
//! and serde_json rejects, so that one odd value does not make a whole
//! session document unreadable.
//!
//! - An escape of an unpaired UTF-16 surrogate, such as `"\ud800"`.
//!   `JSON.stringify` writes these for strings that hold a lone surrogate,
//!   but a Rust `String` cannot hold one. Each becomes `\uFFFD`, the
//!   replacement character, which is also what a JavaScript string with a lone
//!   surrogate turns into when wasm-bindgen passes it to Rust.
//! - A number beyond the range of an `f64`, such as `1e400`. `JSON.parse`
//!   reads it as `Infinity` and `JSON.stringify` writes `Infinity` as `null`,
//!   so it becomes `null`, as if the document had made that round trip.
//!
//! Every rewrite keeps the length of the text, so the line and column of a
//! later syntax error still point at the original text.

/// The escape that replaces an unpaired surrogate escape, of the same length.
const REPLACEMENT_ESCAPE: &[u8; 6] = b"\\uFFFD";

/// Returns `text` with unpaired surrogate escapes inside strings replaced by
/// `\uFFFD`, and out-of-range numbers replaced by `null` padded with spaces
/// to the same length. Returns `None` when there is nothing to rewrite.
///
/// The scan follows JSON's string syntax, so an escaped backslash followed
/// by `ud800` (the JSON text `"\\ud800"`) is left alone. Text that is not
/// JSON is scanned all the same. A rewrite never makes text readable that
/// `JSON.parse` rejects, because it only swaps an escape for another escape,
/// or a number for `null`, which JSON allows in the same places.
pub(crate) fn rewrite_for_serde(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut patched: Option<Vec<u8>> = None;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        at = match byte {
            b'"' => scan_string(bytes, at + 1, &mut patched),
            b'-' | b'+' | b'.' | b'0'..=b'9' => scan_number(bytes, at, &mut patched),
            _ => at + 1,
        };
    }
    // Each rewrite swaps ASCII bytes for ASCII bytes, so the text stays UTF-8.
    patched.and_then(|bytes| String::from_utf8(bytes).ok())
}

/// Scans a string from just after its opening quote and returns the position
/// just after its closing quote, or the end of the text.
fn scan_string(bytes: &[u8], mut at: usize, patched: &mut Option<Vec<u8>>) -> usize {
    loop {
        let Some(offset) = bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == b'"' || b == b'\\'))
        else {
            return bytes.len();
        };
        at += offset;
        if bytes.get(at) == Some(&b'"') {
            return at + 1;
        }
        // `at` is a backslash. Only a `\u` escape needs a closer look; any
        // other escape is two bytes long, and an invalid one is left for
        // serde_json to reject.
        at = match unicode_escape(bytes, at) {
            Some(0xD800..=0xDBFF) => {
                if unicode_escape(bytes, at + 6).is_some_and(is_low_surrogate) {
                    at + 12
                } else {
                    patch(bytes, patched, at, REPLACEMENT_ESCAPE);
                    at + 6
                }
            }
            Some(unit) if is_low_surrogate(unit) => {
                patch(bytes, patched, at, REPLACEMENT_ESCAPE);
                at + 6
            }
            Some(_) => at + 6,
            None => at + 2,
        };
    }
}

/// Reads the code unit of the `\uXXXX` escape that starts at `at`, if there is one.
fn unicode_escape(bytes: &[u8], at: usize) -> Option<u16> {
    let escape = bytes.get(at..at + 6)?;
    let (prefix, digits) = escape.split_at(2);
    if prefix != b"\\u" {
        return None;
    }
    let digits = std::str::from_utf8(digits).ok()?;
    if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

fn is_low_surrogate(unit: u16) -> bool {
    (0xDC00..=0xDFFF).contains(&unit)
}

/// Scans the run of number characters that starts at `at` and returns the
/// position after it. When the run is a JSON number whose value is beyond the
/// range of an `f64`, it is replaced by `null` and spaces.
fn scan_number(bytes: &[u8], at: usize, patched: &mut Option<Vec<u8>>) -> usize {
    let length = bytes
        .get(at..)
        .unwrap_or_default()
        .iter()
        .take_while(|&&byte| matches!(byte, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
        .count();
    let end = at + length;
    let Some(token) = bytes.get(at..end) else {
        return end;
    };
    if is_json_number(token) && overflows_f64(token) {
        // An out-of-range number has at least five characters, such as `2e308`.
        let mut replacement = b"null".to_vec();
        replacement.resize(length.max(4), b' ');
        patch(bytes, patched, at, &replacement);
    }
    end
}

/// Returns whether `token` matches JSON's number grammar,
/// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(token: &[u8]) -> bool {
    let mut rest = token.strip_prefix(b"-").unwrap_or(token);
    rest = match rest.split_first() {
        Some((b'0', after)) => after,
        Some((b'1'..=b'9', after)) => skip_digits(after),
        _ => return false,
    };
    if let Some(after) = rest.strip_prefix(b".") {
        let fraction = skip_digits(after);
        if fraction.len() == after.len() {
            return false;
        }
        rest = fraction;
    }
    if let Some(after) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        let after = after
            .strip_prefix(b"+")
            .or_else(|| after.strip_prefix(b"-"))
            .unwrap_or(after);
        let exponent = skip_digits(after);
        if exponent.len() == after.len() {
            return false;
        }
        rest = exponent;
    }
    rest.is_empty()
}

fn skip_digits(bytes: &[u8]) -> &[u8] {
    let digits = bytes
        .iter()
        .take_while(|byte| byte.is_ascii_digit())
        .count();
    bytes.get(digits..).unwrap_or_default()
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
/// `f64` round to zero, which serde_json accepts.
///
/// The decimal digits are compared with [`OVERFLOW_THRESHOLD`] exactly, so
/// the float parser and its tables (16 KB of the wasm module, measured) stay out of the bundle.
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
    let digits: Vec<u8> = whole.iter().chain(fraction).copied().collect();
    let Some(first) = digits.iter().position(|&digit| digit != b'0') else {
        return false;
    };
    let significant = digits.get(first..).unwrap_or_default();
    // The value is 0.d1d2d3... x 10^places, so it overflows from 309 places on.
    let places = saturating_exponent(exponent)
        .saturating_add(whole.len() as i64)
        .saturating_sub(first as i64);
    let threshold_places = OVERFLOW_THRESHOLD.len() as i64;
    if places != threshold_places {
        return places > threshold_places;
    }
    let length = significant.len().max(OVERFLOW_THRESHOLD.len());
    for at in 0..length {
        let digit = significant.get(at).copied().unwrap_or(b'0');
        let limit = OVERFLOW_THRESHOLD.get(at).copied().unwrap_or(b'0');
        if digit != limit {
            return digit > limit;
        }
    }
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
            .saturating_add(i64::from(digit - b'0'))
            .min(1 << 40)
    });
    if negative {
        -magnitude
    } else {
        magnitude
    }
}

/// Copies `replacement` over the bytes at `at` in the patched copy of the
/// text, making that copy on the first patch.
fn patch(bytes: &[u8], patched: &mut Option<Vec<u8>>, at: usize, replacement: &[u8]) {
    let copy = patched.get_or_insert_with(|| bytes.to_vec());
    if let Some(target) = copy.get_mut(at..at + replacement.len()) {
        target.copy_from_slice(replacement);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(text: &str) -> String {
        rewrite_for_serde(text).unwrap_or_else(|| text.to_owned())
    }

    #[test]
    fn lone_surrogates_become_replacement_escapes() {
        assert_eq!(rewrite(r#"["\ud800"]"#), r#"["\uFFFD"]"#);
        assert_eq!(rewrite(r#"["\uDFFF"]"#), r#"["\uFFFD"]"#);
        assert_eq!(rewrite(r#"["a\udc00b"]"#), r#"["a\uFFFDb"]"#);
        assert_eq!(rewrite(r#"["\udc00\ud800"]"#), r#"["\uFFFD\uFFFD"]"#);
        assert_eq!(rewrite(r#"["\ud800\u0041"]"#), r#"["\uFFFD\u0041"]"#);
        assert_eq!(
            rewrite(r#"["\ud800\ud800\udc00"]"#),
            r#"["\uFFFD\ud800\udc00"]"#
        );
        assert_eq!(rewrite(r#"{"\ud800":1}"#), r#"{"\uFFFD":1}"#);
    }

    #[test]
    fn surrogate_pairs_and_other_escapes_are_kept() {
        for text in [
            r#"["\ud83d\ude00"]"#,
            r#"["\uD83D\uDE00"]"#,
            r#"["\u00e9\n\t\"\/\\"]"#,
            r#"["\\ud800"]"#,
            r#"["\\\\ud800"]"#,
            r#"["\"\ud83d\ude00"]"#,
            r#"["plain", 1, 2.5e10, -0, true, null]"#,
        ] {
            assert_eq!(rewrite_for_serde(text), None, "{text}");
        }
    }

    #[test]
    fn escaped_backslash_before_surrogate_escape() {
        // `\\` is one backslash, so the `\ud800` after it is a real escape.
        assert_eq!(rewrite(r#"["\\\ud800"]"#), r#"["\\\uFFFD"]"#);
    }

    #[test]
    fn truncated_escapes_are_left_alone() {
        for text in [
            r#"["\ud8"]"#,
            r#"["\ud800"#,
            r#"["\ud800\"]"#,
            r#"["\ud800\u"]"#,
            "\"\\",
        ] {
            let rewritten = rewrite(text);
            assert_eq!(rewritten.len(), text.len(), "{text}");
        }
        assert_eq!(rewrite(r#"["\ud800\ud"]"#), r#"["\uFFFD\ud"]"#);
    }

    #[test]
    fn out_of_range_numbers_become_null() {
        assert_eq!(rewrite(r#"{"a":1e400}"#), r#"{"a":null }"#);
        let long_integer = "9".repeat(400);
        for number in [
            "-1E+400",
            "2e308",
            "1.5e99999999999999999999",
            &long_integer,
        ] {
            let padded_null = format!("null{}", " ".repeat(number.len() - 4));
            assert_eq!(
                rewrite(&format!("[{number},2]")),
                format!("[{padded_null},2]"),
                "{number}"
            );
        }
    }

    #[test]
    fn numbers_in_range_or_invalid_are_kept() {
        for text in [
            "[1e308, 1e-400, 0e999999, 1.7976931348623157e308]",
            "[01e400]",
            "[1e400e5]",
            "[1e400.5]",
            "[--1e400]",
            "[1.e400]",
            "[.1e400]",
            "[1e+-400]",
            r#"["1e400"]"#,
        ] {
            assert_eq!(rewrite_for_serde(text), None, "{text}");
        }
    }

    #[test]
    fn overflow_threshold_is_exact() {
        let threshold = std::str::from_utf8(OVERFLOW_THRESHOLD).unwrap();
        assert_eq!(threshold.len(), 309);
        let below = format!("{}1", &threshold[..308]);
        let below = below.replace("797792", "797791");
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
            ("000".to_owned(), false),
        ] {
            assert_eq!(overflows_f64(token.as_bytes()), overflows, "{token}");
        }
    }

    #[test]
    fn overflow_agrees_with_the_float_parser() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
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

    #[test]
    fn json_number_grammar() {
        for good in ["0", "-0", "12", "1.5", "1e5", "1E+5", "-1.25e-7", "0.0"] {
            assert!(is_json_number(good.as_bytes()), "{good}");
        }
        for bad in [
            "", "-", "01", "1.", ".5", "1e", "1e+", "+1", "1.5.2", "--1", "1-",
        ] {
            assert!(!is_json_number(bad.as_bytes()), "{bad}");
        }
    }
}
