//! The lookup URL, built so that no site or session id can change its path.

use alloc::string::String;

use crate::error::Error;
use crate::json::Quoted;

/// Percent-encodes `text` as `encodeURIComponent` does, from its UTF-8 bytes.
pub fn encode_uri_component(text: &str) -> String {
    let hex_digit = |value: u8| {
        char::from(if value < 10 {
            b'0' + value
        } else {
            b'A' + value - 10
        })
    };
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        // `encodeURIComponent` leaves ASCII letters, digits and `-_.!~*'()` as they are.
        let unreserved = matches!(
            byte,
            b'-' | b'_' | b'.' | b'!' | b'~' | b'*' | b'\'' | b'(' | b')'
        );
        if byte.is_ascii_alphanumeric() || unreserved {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(hex_digit(byte >> 4));
            encoded.push(hex_digit(byte & 0x0F));
        }
    }
    encoded
}

/// Checks one path segment of the lookup URL: a non-empty string that is not
/// `.` or `..`, which URL resolution would remove or turn into a step up.
///
/// # Errors
///
/// `invalid_argument` naming `name` when the value is unusable.
pub fn check_segment(name: &str, value: &str) -> Result<(), Error> {
    match value {
        "" => Err(Error::invalid_argument(text!(
            name,
            " is empty; pass a non-empty string"
        ))),
        "." | ".." => Err(Error::invalid_argument(text!(
            name,
            " ",
            Quoted(value),
            " is not a valid path segment; pass the real ",
            name
        ))),
        _ => Ok(()),
    }
}

/// Checks the client's base URL: non-empty, `http:` or `https:` when it has
/// a scheme, with no user name or password (which would end up in
/// requests and messages), and with no query or fragment, which would
/// swallow the lookup path. A relative URL is resolved against the page.
///
/// # Errors
///
/// `invalid_argument` when the base URL is unusable. The message shows the
/// URL only when it cannot contain a password.
pub fn check_base_url(base_url: &str) -> Result<(), Error> {
    if base_url.trim().is_empty() {
        return Err(Error::invalid_argument(
            "baseUrl is empty; pass the lookup endpoint, such as \"/zephr\" or \
             \"https://www.example.com/zephr\"",
        ));
    }
    if let Some(scheme) = url_scheme(base_url) {
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(Error::invalid_argument(text!(
                "baseUrl has the scheme ",
                Quoted(scheme),
                "; pass an http: or https: URL, or a path \
                 relative to the page"
            )));
        }
        let authority = base_url
            .get(scheme.len() + 1..)
            .and_then(|rest| rest.strip_prefix("//"))
            .map(|rest| rest.split(['/', '?', '#']).next().unwrap_or_default())
            .unwrap_or_default();
        if authority.contains('@') {
            return Err(Error::invalid_argument(
                "baseUrl contains a user name or password; remove them, because the lookup \
                 endpoint must not need them and they would be sent with every request",
            ));
        }
    }
    if base_url.contains(['?', '#']) {
        return Err(Error::invalid_argument(text!(
            "baseUrl ",
            Quoted(base_url),
            " contains a query or fragment; pass only the endpoint's path, \
             without '?' or '#'"
        )));
    }
    Ok(())
}

/// Whether the base URL is absolute (has a scheme) and so can be fetched
/// where no page URL exists to resolve it against, as in Node.
pub fn is_absolute_url(base_url: &str) -> bool {
    url_scheme(base_url).is_some()
}

/// Returns the scheme of a URL such as `https://…`, or `None` for a
/// relative URL. A scheme is a letter followed by letters, digits, `+`, `-`
/// or `.`, then a colon.
fn url_scheme(url: &str) -> Option<&str> {
    let (scheme, _) = url.split_once(':')?;
    let mut characters = scheme.chars();
    let first = characters.next()?;
    let valid = first.is_ascii_alphabetic()
        && characters.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some(scheme)
}

/// Builds `{base_url}/v4/sessions/{site}/{session_id}` with both segments
/// percent-encoded. Trailing slashes on `base_url` are dropped.
///
/// # Errors
///
/// `invalid_argument` when a segment is empty, `.` or `..`.
pub fn lookup_url(base_url: &str, site: &str, session_id: &str) -> Result<String, Error> {
    check_segment("site", site)?;
    check_segment("sessionId", session_id)?;
    Ok(text!(
        base_url.trim_end_matches('/'),
        "/v4/sessions/",
        encode_uri_component(site),
        "/",
        encode_uri_component(session_id)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    #[test]
    fn encoding_matches_encode_uri_component() {
        // Expected values from `encodeURIComponent` in Node 20.
        let cases = [
            (
                "26a73b7a-f7d0-48d8-85dd-a04b07313895",
                "26a73b7a-f7d0-48d8-85dd-a04b07313895",
            ),
            ("a/b", "a%2Fb"),
            ("a?b#c", "a%3Fb%23c"),
            ("100%", "100%25"),
            ("a b+c", "a%20b%2Bc"),
            ("é✓😀", "%C3%A9%E2%9C%93%F0%9F%98%80"),
            ("-_.!~*'()", "-_.!~*'()"),
            ("..", ".."),
            (":@&=$,;", "%3A%40%26%3D%24%2C%3B"),
        ];
        for (text, encoded) in cases {
            assert_eq!(encode_uri_component(text), encoded, "{text:?}");
        }
    }

    #[test]
    fn lookup_url_encodes_both_segments() {
        assert_eq!(
            lookup_url("/zephr", "www", "a/b").as_deref(),
            Ok("/zephr/v4/sessions/www/a%2Fb")
        );
        assert_eq!(
            lookup_url("https://x.test/api/", "my site", "id").as_deref(),
            Ok("https://x.test/api/v4/sessions/my%20site/id")
        );
        assert_eq!(
            lookup_url("/", "www", "id").as_deref(),
            Ok("/v4/sessions/www/id")
        );
    }

    #[test]
    fn dot_segments_are_rejected() {
        for (site, id) in [
            (".", "id"),
            ("..", "id"),
            ("www", "."),
            ("www", ".."),
            ("", "id"),
            ("www", ""),
        ] {
            let error = lookup_url("/zephr", site, id).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidArgument, "{site:?} {id:?}");
        }
        assert!(lookup_url("/zephr", "www", "...").is_ok());
    }

    #[test]
    fn base_url_checks() {
        for valid in [
            "/zephr",
            "https://x.test",
            "HTTP://x.test:8080/api/",
            "zephr",
            "./api",
            "/a:b",
        ] {
            assert!(check_base_url(valid).is_ok(), "{valid}");
        }
        for invalid in [
            "",
            "  ",
            "/zephr?x=1",
            "/zephr#top",
            "ftp://x.test",
            "data:text/plain,x",
            "javascript:alert(1)",
            "file:///etc",
        ] {
            assert!(check_base_url(invalid).is_err(), "{invalid}");
        }
    }

    #[test]
    fn base_url_password_is_rejected_unseen() {
        let error = check_base_url("https://user:TOPSECRET@x.test/api").unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidArgument);
        assert!(!error.message.contains("TOPSECRET"), "{}", error.message);
        assert!(check_base_url("https://x.test/@handle").is_ok());
    }

    #[test]
    fn absolute_urls() {
        assert!(is_absolute_url("https://x.test"));
        assert!(is_absolute_url("http://127.0.0.1:8787/"));
        assert!(!is_absolute_url("/zephr"));
        assert!(!is_absolute_url("zephr/api"));
        assert!(!is_absolute_url("1http://x"));
    }
}
