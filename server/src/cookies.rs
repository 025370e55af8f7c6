//! Reads the reader's `blaize_session` cookie from request headers.

use axum::http::{header, HeaderMap};

/// Name of the cookie in which Zephr stores the reader's session id.
pub const SESSION_COOKIE: &str = "blaize_session";

/// Maximum length in bytes of a session id read from the cookie. Zephr session ids are UUIDs
/// (36 bytes), so a longer value is not a session id.
pub const MAX_SESSION_ID_BYTES: usize = 256;

/// Returns the value of the first `blaize_session` cookie in the request's `Cookie` headers, or
/// `None` when there is none or when that value is not a valid session id.
///
/// Parsing follows RFC 6265 section 5.4: pairs are separated by `;`, spaces and tabs around
/// names and values are ignored, names are case-sensitive and one pair of double quotes around
/// a value is removed. A valid value is 1 to [`MAX_SESSION_ID_BYTES`] bytes of RFC 6265
/// `cookie-octet`s, so it contains no space, comma, semicolon, backslash or double quote.
/// Browsers send the cookie with the longest path first, which is why the first one wins.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    let first_value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim_matches([' ', '\t']) == SESSION_COOKIE)
        .map(|(_, value)| value.trim_matches([' ', '\t']))?;

    let unquoted = first_value
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(first_value);
    is_valid_session_id(unquoted).then_some(unquoted)
}

/// Checks that `value` is a non-empty run of RFC 6265 `cookie-octet`s of at most
/// [`MAX_SESSION_ID_BYTES`] bytes.
fn is_valid_session_id(value: &str) -> bool {
    let is_cookie_octet =
        |byte: u8| matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E);
    !value.is_empty() && value.len() <= MAX_SESSION_ID_BYTES && value.bytes().all(is_cookie_octet)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    const ID: &str = "26a73b7a-f7d0-48d8-85dd-a04b07313895";

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            match HeaderValue::from_str(line) {
                Ok(value) => headers.append(header::COOKIE, value),
                Err(error) => panic!("invalid test header {line:?}: {error}"),
            };
        }
        headers
    }

    #[test]
    fn cookie_found_among_others() {
        let cases = [
            format!("blaize_session={ID}"),
            format!("theme=dark; blaize_session={ID}; lang=fr"),
            format!("theme=dark;blaize_session={ID}"),
            format!("  blaize_session =\t{ID} ; x=y"),
            format!("blaize_session=\"{ID}\""),
        ];
        for line in &cases {
            assert_eq!(session_cookie(&headers(&[line])), Some(ID), "{line}");
        }
    }

    #[test]
    fn cookie_in_second_header_line() {
        let second_line = format!("blaize_session={ID}");
        let map = headers(&["theme=dark", &second_line]);
        assert_eq!(session_cookie(&map), Some(ID));
    }

    #[test]
    fn first_cookie_wins() {
        let line = format!("blaize_session={ID}; blaize_session=other");
        assert_eq!(session_cookie(&headers(&[&line])), Some(ID));
    }

    #[test]
    fn missing_or_invalid_cookie() {
        let too_long = format!("blaize_session={}", "a".repeat(MAX_SESSION_ID_BYTES + 1));
        let cases = [
            "",
            "theme=dark",
            "blaize_session",
            "blaize_session=",
            "blaize_session=\"\"",
            "Blaize_Session=abc",
            "xblaize_session=abc",
            "blaize_session=a b",
            "blaize_session=a\\b",
            "blaize_session=a,b",
            "blaize_session=\"abc",
            too_long.as_str(),
        ];
        for line in cases {
            assert_eq!(session_cookie(&headers(&[line])), None, "{line}");
        }
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }

    #[test]
    fn longest_valid_cookie() {
        let id = "a".repeat(MAX_SESSION_ID_BYTES);
        let line = format!("blaize_session={id}");
        assert_eq!(session_cookie(&headers(&[&line])), Some(id.as_str()));
    }

    #[test]
    fn non_ascii_header_is_skipped() {
        let mut map = HeaderMap::new();
        match HeaderValue::from_bytes(b"blaize_session=caf\xc3\xa9") {
            Ok(value) => map.append(header::COOKIE, value),
            Err(error) => panic!("invalid test header: {error}"),
        };
        assert_eq!(session_cookie(&map), None);
    }
}
