//! Dates as Zephr session documents write them.
//!
//! Two forms occur. Session dates look like `2025-02-08 14:29 PM UTC`: a
//! 24-hour clock followed by a redundant AM/PM marker and a zone name. Other
//! Zephr documents use ISO 8601, sometimes with a zone id appended, as in
//! `2024-02-08T08:48:33.056008906Z[UTC]`. Both parse to a [`Timestamp`].

use alloc::string::String;
use core::fmt;

use crate::text::{push_number, Part};

/// Milliseconds since the Unix epoch, in UTC, as JavaScript's `Date` counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

/// The largest distance from the epoch that a JavaScript `Date` can hold, in
/// milliseconds (ECMAScript, section "Time Values and Time Range").
pub const MAX_JS_DATE_MS: i64 = 8_640_000_000_000_000;

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

impl Timestamp {
    /// Returns the timestamp for `ms` milliseconds since the epoch, or `None`
    /// when a JavaScript `Date` could not hold it.
    pub fn from_millis(ms: i64) -> Option<Timestamp> {
        (-MAX_JS_DATE_MS..=MAX_JS_DATE_MS)
            .contains(&ms)
            .then_some(Timestamp(ms))
    }

    /// Returns the timestamp of the whole millisecond at or before `ms`, as
    /// `Math.floor` would, for a number of milliseconds that a JavaScript
    /// `Date` can hold. Other numbers saturate: NaN gives 0, and an infinity
    /// or a number past the range of `i64` gives `i64::MIN` or `i64::MAX`. `f64::floor` is in the standard library, which the
    /// module is built without.
    pub fn floor(ms: f64) -> Timestamp {
        let whole = ms as i64;
        Timestamp(whole.saturating_sub(i64::from(whole as f64 > ms)))
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }
}

impl fmt::Display for Timestamp {
    /// Writes the timestamp in ISO 8601 UTC form, with milliseconds only when
    /// they are not zero: `2025-02-08T14:29:00Z`, `2024-02-08T08:48:33.056Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&text!(self))
    }
}

impl Part for Timestamp {
    /// Appends the timestamp as its `Display` writes it, without `core::fmt`.
    fn push_to(&self, out: &mut String) {
        let days = self.0.div_euclid(MS_PER_DAY);
        let ms_of_day = self.0.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = ms_of_day / 1000;
        // Four characters at least, the sign included, as `{:04}` writes a
        // year: `0999`, `-099`, `12345`.
        if year < 0 {
            out.push('-');
            push_number(out, year.unsigned_abs(), 3);
        } else {
            push_number(out, year.unsigned_abs(), 4);
        }
        let fields = [
            ('-', month),
            ('-', day),
            ('T', seconds / 3600),
            (':', seconds / 60 % 60),
            (':', seconds % 60),
        ];
        for (separator, value) in fields {
            out.push(separator);
            push_number(out, value.unsigned_abs(), 2);
        }
        let ms = ms_of_day % 1000;
        if ms != 0 {
            out.push('.');
            push_number(out, ms.unsigned_abs(), 3);
        }
        out.push('Z');
    }
}

/// Parses a date in either accepted form; `None` when the text is not a valid date.
///
/// Accepted forms, where the zone is `UTC`, `GMT`, `Z`, `+HH:MM`, `-HH:MM`,
/// or missing (read as UTC, the zone Zephr's servers run in):
///
/// - `YYYY-MM-DD HH:mm[:ss][ AM| PM][ zone]`
/// - `YYYY-MM-DDTHH:mm[:ss[.fraction]][zone][[zone id]]`, where the zone is
///   written without a space and digits past milliseconds are truncated.
///
/// The hour is read on a 24-hour clock. An AM/PM marker that agrees with it
/// changes nothing. One that disagrees with an hour from 1 to 12 marks a
/// 12-hour time (`02:29 PM` is 14:29, `12:05 AM` is 00:05), and one that
/// disagrees with hour 0 or 13 to 23 (`14:29 AM`, `00:10 PM`) makes the date
/// invalid.
pub fn parse_date(text: &str) -> Option<Timestamp> {
    let mut cursor = Cursor::new(text);
    let year = cursor.digits(4)?;
    cursor.expect(b'-')?;
    let month = cursor.digits(2)?;
    cursor.expect(b'-')?;
    let day = cursor.digits(2)?;
    let iso = match cursor.next()? {
        b'T' => true,
        b' ' => false,
        _ => return None,
    };
    let mut hour = cursor.digits(2)?;
    cursor.expect(b':')?;
    let minute = cursor.digits(2)?;
    let mut second = 0;
    let mut millis = 0;
    if cursor.eat(b':') {
        second = cursor.digits(2)?;
        if iso && cursor.eat(b'.') {
            millis = cursor.fraction_millis()?;
        }
    }

    let offset_minutes = if iso {
        let offset = cursor.zone(false)?;
        cursor.zone_id()?;
        offset
    } else {
        if let Some(pm) = cursor.meridiem() {
            hour = hour_for_meridiem(hour, pm)?;
        }
        cursor.zone(true)?
    };
    if !cursor.at_end() {
        return None;
    }

    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day)?;
    let minutes_of_day = i64::from(hour * 60 + minute) - offset_minutes;
    let ms = days * MS_PER_DAY
        + minutes_of_day * MS_PER_MINUTE
        + i64::from(second) * 1000
        + i64::from(millis);
    Timestamp::from_millis(ms)
}

/// Applies an AM/PM marker to an hour read on a 24-hour clock; `None` when
/// the two contradict each other.
fn hour_for_meridiem(hour: u32, pm: bool) -> Option<u32> {
    match (pm, hour) {
        (false, 0..=11) | (true, 12..=23) => Some(hour),
        (false, 12) => Some(0),
        (true, 1..=11) => Some(hour + 12),
        _ => None,
    }
}

/// Returns the number of days from 1970-01-01 to the given date of the
/// proleptic Gregorian calendar, or `None` when the date does not exist.
pub(crate) fn days_from_civil(year: u32, month: u32, day: u32) -> Option<i64> {
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    // Count from 0000-03-01, so that the leap day is the last day of a year.
    let year_from_march = i64::from(year) - i64::from(month <= 2);
    let era = year_from_march.div_euclid(400);
    let year_of_era = year_from_march.rem_euclid(400);
    let month_from_march = (i64::from(month) + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    // 719_468 days lie between 0000-03-01 and 1970-01-01.
    Some(era * 146_097 + day_of_era - 719_468)
}

/// Returns the (year, month, day) of the date `days` after 1970-01-01; the
/// inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let from_march_0000 = days + 719_468;
    let era = from_march_0000.div_euclid(146_097);
    let day_of_era = from_march_0000.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A read position in the bytes of a date.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Cursor {
            bytes: text.as_bytes(),
            at: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.at == self.bytes.len()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Option<()> {
        self.eat(byte).then_some(())
    }

    fn eat_str(&mut self, text: &str) -> bool {
        let found = self
            .bytes
            .get(self.at..)
            .is_some_and(|rest| rest.starts_with(text.as_bytes()));
        if found {
            self.at += text.len();
        }
        found
    }

    /// Reads exactly `count` ASCII digits as a number.
    fn digits(&mut self, count: usize) -> Option<u32> {
        let mut value = 0;
        for _ in 0..count {
            let byte = self.next()?;
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(byte - b'0');
        }
        Some(value)
    }

    /// Reads one or more digits of a decimal fraction of a second and returns
    /// the whole milliseconds it contains, truncating finer digits.
    fn fraction_millis(&mut self) -> Option<u32> {
        let start = self.at;
        let mut millis = 0;
        while let Some(byte) = self.peek().filter(u8::is_ascii_digit) {
            if self.at - start < 3 {
                millis = millis * 10 + u32::from(byte - b'0');
            }
            self.at += 1;
        }
        match self.at - start {
            0 => None,
            1 => Some(millis * 100),
            2 => Some(millis * 10),
            _ => Some(millis),
        }
    }

    /// Reads an optional ` AM` or ` PM`; returns whether it was PM.
    fn meridiem(&mut self) -> Option<bool> {
        if self.eat_str(" AM") {
            Some(false)
        } else if self.eat_str(" PM") {
            Some(true)
        } else {
            None
        }
    }

    /// Reads an optional zone and returns its offset from UTC in minutes;
    /// `None` when a zone is present but invalid. The session form writes a
    /// space before the zone and the ISO form does not.
    fn zone(&mut self, after_space: bool) -> Option<i64> {
        if self.at_end() || self.peek() == Some(b'[') {
            return Some(0);
        }
        if after_space {
            self.expect(b' ')?;
        }
        if self.eat_str("UTC") || self.eat_str("GMT") || self.eat(b'Z') {
            return Some(0);
        }
        let sign = match self.next()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let hours = self.digits(2)?;
        self.expect(b':')?;
        let minutes = self.digits(2)?;
        if hours > 23 || minutes > 59 {
            return None;
        }
        Some(sign * i64::from(hours * 60 + minutes))
    }

    /// Reads an optional bracketed zone id such as `[UTC]`. The offset before
    /// it already fixes the instant, so the id itself is not interpreted.
    fn zone_id(&mut self) -> Option<()> {
        if !self.eat(b'[') {
            return Some(());
        }
        let start = self.at;
        while let Some(byte) = self.next() {
            if byte == b']' {
                return (self.at - 1 > start && self.at_end()).then_some(());
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::string::String;
    use std::string::ToString;

    fn iso(text: &str) -> Option<String> {
        parse_date(text).map(|timestamp| timestamp.to_string())
    }

    #[test]
    fn floor_rounds_toward_negative_infinity() {
        let cases = [
            (0.0, 0),
            (1.9, 1),
            (-1.1, -2),
            (-0.5, -1),
            (-3.0, -3),
            (1.7e12 + 0.25, 1_700_000_000_000),
        ];
        for (ms, expected) in cases {
            assert_eq!(Timestamp::floor(ms), Timestamp(expected), "{ms}");
        }
        let largest = MAX_JS_DATE_MS as f64;
        assert_eq!(Timestamp::floor(largest), Timestamp(MAX_JS_DATE_MS));
        assert_eq!(Timestamp::floor(-largest), Timestamp(-MAX_JS_DATE_MS));
        assert_eq!(Timestamp::floor(f64::NEG_INFINITY), Timestamp(i64::MIN));
        assert_eq!(Timestamp::floor(f64::INFINITY), Timestamp(i64::MAX));
        assert_eq!(Timestamp::floor(f64::NAN), Timestamp(0));
    }

    #[test]
    fn session_form_with_agreeing_marker() {
        assert_eq!(
            iso("2025-02-08 14:29 PM UTC").as_deref(),
            Some("2025-02-08T14:29:00Z")
        );
        assert_eq!(
            iso("2026-12-01 09:15 AM UTC").as_deref(),
            Some("2026-12-01T09:15:00Z")
        );
    }

    #[test]
    fn twelve_hour_times() {
        assert_eq!(
            iso("2025-02-08 02:29 PM UTC").as_deref(),
            Some("2025-02-08T14:29:00Z")
        );
        assert_eq!(
            iso("2025-02-09 12:05 AM UTC").as_deref(),
            Some("2025-02-09T00:05:00Z")
        );
        assert_eq!(
            iso("2025-02-08 12:05 PM UTC").as_deref(),
            Some("2025-02-08T12:05:00Z")
        );
        assert_eq!(
            iso("2025-02-08 00:00 AM").as_deref(),
            Some("2025-02-08T00:00:00Z")
        );
    }

    #[test]
    fn contradicting_marker_is_invalid() {
        assert_eq!(iso("2025-02-08 14:29 AM UTC"), None);
        assert_eq!(iso("2025-02-08 00:10 PM UTC"), None);
        assert_eq!(iso("2025-02-08 23:59 AM"), None);
    }

    #[test]
    fn naive_time_is_utc() {
        assert_eq!(
            iso("2024-06-01 00:00:00").as_deref(),
            Some("2024-06-01T00:00:00Z")
        );
        assert_eq!(
            iso("2024-06-01 23:59:59 UTC").as_deref(),
            Some("2024-06-01T23:59:59Z")
        );
    }

    #[test]
    fn session_form_zones() {
        assert_eq!(
            iso("2024-06-01 10:00 GMT").as_deref(),
            Some("2024-06-01T10:00:00Z")
        );
        assert_eq!(
            iso("2024-06-01 10:00 Z").as_deref(),
            Some("2024-06-01T10:00:00Z")
        );
        assert_eq!(
            iso("2024-06-01 10:00 +02:00").as_deref(),
            Some("2024-06-01T08:00:00Z")
        );
        assert_eq!(
            iso("2024-06-01 01:30 AM -05:30").as_deref(),
            Some("2024-06-01T07:00:00Z")
        );
    }

    #[test]
    fn iso_with_zone_id_and_long_fraction() {
        assert_eq!(
            iso("2024-02-08T08:48:33.056008906Z[UTC]").as_deref(),
            Some("2024-02-08T08:48:33.056Z")
        );
        assert_eq!(
            iso("2024-02-08T08:00:00Z").as_deref(),
            Some("2024-02-08T08:00:00Z")
        );
    }

    #[test]
    fn iso_short_fractions_and_offsets() {
        assert_eq!(
            iso("2024-02-08T08:00:00.5Z").as_deref(),
            Some("2024-02-08T08:00:00.500Z")
        );
        assert_eq!(
            iso("2024-02-08T08:00:00.25+01:00").as_deref(),
            Some("2024-02-08T07:00:00.250Z")
        );
        assert_eq!(
            iso("2024-02-08T23:30-01:00").as_deref(),
            Some("2024-02-09T00:30:00Z")
        );
        assert_eq!(
            iso("2024-02-08T08:00:00").as_deref(),
            Some("2024-02-08T08:00:00Z")
        );
    }

    #[test]
    fn calendar_edges() {
        assert_eq!(
            iso("2024-02-29 12:00").as_deref(),
            Some("2024-02-29T12:00:00Z")
        );
        assert_eq!(
            iso("2000-02-29 12:00").as_deref(),
            Some("2000-02-29T12:00:00Z")
        );
        assert_eq!(
            iso("1969-12-31 23:59:59").as_deref(),
            Some("1969-12-31T23:59:59Z")
        );
        assert_eq!(parse_date("1970-01-01 00:00"), Some(Timestamp(0)));
        assert_eq!(iso("2023-02-29 12:00"), None);
        assert_eq!(iso("1900-02-29 12:00"), None);
        assert_eq!(iso("2024-04-31 12:00"), None);
        assert_eq!(iso("2024-13-01 12:00"), None);
        assert_eq!(iso("2024-00-01 12:00"), None);
        assert_eq!(iso("2024-01-00 12:00"), None);
    }

    #[test]
    fn malformed_dates_are_rejected() {
        for text in [
            "",
            "next tuesday",
            "2024-06-01",
            "2024-06-01 24:00",
            "2024-06-01 12:60",
            "2024-06-01 12:00:60",
            "2024-6-01 12:00",
            "2024-06-01  12:00",
            "2024-06-01 12:00 PM  UTC",
            "2024-06-01 12:00 CEST",
            "2024-06-01 12:00 pm",
            "2024-06-01 12:00 UTC extra",
            "2024-06-01 12:00 +0200",
            "2024-06-01 12:00 +24:00",
            "2024-06-01 12:00:00.5",
            "2024-06-01T12:00 PM",
            "2024-06-01T12:00 UTC",
            "2024-06-01T12:00:00.Z",
            "2024-06-01T12:00:00Z[]",
            "2024-06-01T12:00:00Z[UTC",
            "2024-06-01T12:00:00Z[UTC]x",
            "２０２４-06-01 12:00",
        ] {
            assert_eq!(parse_date(text), None, "{text:?}");
        }
    }

    /// Writes a timestamp with `format!`, as `Display` did before it was
    /// written without `core::fmt`.
    fn iso_with_format(ms: i64) -> String {
        let days = ms.div_euclid(MS_PER_DAY);
        let ms_of_day = ms.rem_euclid(MS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let seconds = ms_of_day / 1000;
        let millis = match ms_of_day % 1000 {
            0 => String::new(),
            ms => format!(".{ms:03}"),
        };
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{millis}Z",
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }

    #[test]
    fn display_matches_format_across_range() {
        let mut ms = -MAX_JS_DATE_MS;
        while ms <= MAX_JS_DATE_MS {
            assert_eq!(Timestamp(ms).to_string(), iso_with_format(ms));
            ms += 86_400_000 * 3_652 + 3_723_004;
        }
        let edges = [
            -MAX_JS_DATE_MS,
            -62_198_755_200_001,
            -1,
            0,
            999,
            MAX_JS_DATE_MS,
        ];
        for ms in edges {
            assert_eq!(Timestamp(ms).to_string(), iso_with_format(ms), "{ms}");
        }
    }

    #[test]
    fn display_round_trips_through_parse() {
        for ms in [
            0,
            1,
            -1,
            1_707_230_240_685,
            -62_135_596_800_000,
            253_402_300_799_999,
        ] {
            let text = Timestamp(ms).to_string();
            assert_eq!(parse_date(&text), Some(Timestamp(ms)), "{text}");
        }
    }

    #[test]
    fn from_millis_enforces_js_range() {
        assert_eq!(
            Timestamp::from_millis(MAX_JS_DATE_MS),
            Some(Timestamp(MAX_JS_DATE_MS))
        );
        assert_eq!(Timestamp::from_millis(MAX_JS_DATE_MS + 1), None);
        assert_eq!(Timestamp::from_millis(-MAX_JS_DATE_MS - 1), None);
    }
}
