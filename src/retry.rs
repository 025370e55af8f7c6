//! When a failed lookup is tried again, and after how long.

use crate::date::days_from_civil;
use crate::error::{Error, ErrorCode};

/// Whether a failed attempt is worth another: network failures, timeouts
/// and HTTP 429, 502, 503 and 504. Other 4xx statuses, `invalid_response`
/// and `aborted` would fail the same way again.
pub fn is_retryable(error: &Error) -> bool {
    match error.code {
        ErrorCode::Network | ErrorCode::Timeout => true,
        ErrorCode::HttpError => matches!(error.status, Some(429 | 502 | 503 | 504)),
        _ => false,
    }
}

/// Returns the delay before retry number `retry` (0 for the first retry):
/// exponential backoff with full jitter, a uniformly random delay between 0
/// and `min(max_ms, base_ms * 2^retry)`. `random` is a number in `[0, 1)`.
pub fn backoff_delay_ms(retry: u32, base_ms: f64, max_ms: f64, random: f64) -> f64 {
    let ceiling = (base_ms * (1u64 << retry.min(52)) as f64).min(max_ms);
    (ceiling * random.clamp(0.0, 1.0)).max(0.0)
}

/// Reads a `Retry-After` header value as a delay in milliseconds from
/// `now_ms`: either whole seconds (`120`) or an HTTP date in IMF-fixdate
/// form (`Sun, 06 Nov 1994 08:49:37 GMT`). A date in the past is a delay
/// of 0. `None` when the value is neither.
///
/// NOTE: the two obsolete HTTP date forms (RFC 850 and asctime) are not
/// read; such a header falls back to the backoff delay.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|byte| byte.is_ascii_digit()) {
        // Digit by digit, so that the float parser stays out of the bundle;
        // the value is exact up to 2^53 seconds, far beyond any `retryMaxMs`.
        let seconds = value.bytes().fold(0.0, |seconds, digit| {
            seconds * 10.0 + f64::from(digit - b'0')
        });
        return Some(seconds * 1000.0);
    }
    let date_ms = parse_imf_fixdate(value)?;
    Some((date_ms - now_ms).max(0.0))
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT` into milliseconds since the epoch.
fn parse_imf_fixdate(value: &str) -> Option<f64> {
    let mut parts = value.split(' ');
    let weekday = parts.next()?;
    let day = parts.next()?;
    let month = parts.next()?;
    let year = parts.next()?;
    let time = parts.next()?;
    if parts.next() != Some("GMT") || parts.next().is_some() {
        return None;
    }
    const WEEKDAYS: [&str; 7] = ["Mon,", "Tue,", "Wed,", "Thu,", "Fri,", "Sat,", "Sun,"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    if !WEEKDAYS.contains(&weekday) || day.len() != 2 || year.len() != 4 {
        return None;
    }
    let month = MONTHS.iter().position(|name| *name == month)? as u32 + 1;
    let day: u32 = day.parse().ok()?;
    let year: u32 = year.parse().ok()?;
    let mut clock = time.split(':');
    let mut field = || -> Option<u32> {
        let text = clock.next()?;
        (text.len() == 2).then_some(())?;
        text.parse().ok()
    };
    let (hour, minute, second) = (field()?, field()?, field()?);
    if clock.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(seconds as f64 * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_error(status: u16) -> Error {
        Error::from_status(status, "www")
    }

    #[test]
    fn retryable_codes_and_statuses() {
        for status in [429, 502, 503, 504] {
            assert!(is_retryable(&http_error(status)), "{status}");
        }
        for status in [400, 401, 403, 404, 409, 500, 501] {
            assert!(!is_retryable(&http_error(status)), "{status}");
        }
        assert!(is_retryable(&Error::new(ErrorCode::Network, "offline")));
        assert!(is_retryable(&Error::new(ErrorCode::Timeout, "slow")));
        assert!(!is_retryable(&Error::new(ErrorCode::Aborted, "stop")));
        assert!(!is_retryable(&Error::invalid_response("html")));
        assert!(!is_retryable(&Error::invalid_argument("empty")));
    }

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_delay_ms(0, 200.0, 5000.0, 0.999_999), 199.9998);
        assert_eq!(backoff_delay_ms(1, 200.0, 5000.0, 0.5), 200.0);
        assert_eq!(backoff_delay_ms(3, 200.0, 5000.0, 0.5), 800.0);
        assert_eq!(backoff_delay_ms(10, 200.0, 5000.0, 0.5), 2500.0);
        assert_eq!(backoff_delay_ms(1000, 200.0, 5000.0, 0.5), 2500.0);
        assert_eq!(backoff_delay_ms(2, 200.0, 5000.0, 0.0), 0.0);
        assert_eq!(backoff_delay_ms(2, 200.0, 5000.0, 7.0), 800.0);
    }

    #[test]
    fn retry_after_seconds() {
        assert_eq!(parse_retry_after("1", 0.0), Some(1000.0));
        assert_eq!(parse_retry_after(" 120 ", 0.0), Some(120_000.0));
        assert_eq!(parse_retry_after("0", 0.0), Some(0.0));
        assert_eq!(parse_retry_after("-1", 0.0), None);
        assert_eq!(parse_retry_after("1.5", 0.0), None);
        assert_eq!(parse_retry_after("", 0.0), None);
        assert_eq!(parse_retry_after("soon", 0.0), None);
    }

    #[test]
    fn retry_after_http_date() {
        // 1994-11-06T08:49:37Z is 784111777 seconds after the epoch.
        let date_ms = 784_111_777_000.0;
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date_ms - 3000.0),
            Some(3000.0)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", date_ms + 5000.0),
            Some(0.0)
        );
        for value in [
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
        ] {
            assert_eq!(parse_retry_after(value, 0.0), None, "{value}");
        }
    }
}
