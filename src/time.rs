//! Time stamps as logs write them, parsed into [`Stamp`]s, and their resolution to UTC.
//!
//! Zone-less stamps stay naive until [`resolve`] applies the `--tz` offset; the machine's own
//! zone is never consulted, so output does not depend on where the tool runs.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

use crate::record::Stamp;

/// RFC 3339 / ISO 8601 with or without a zone (`2025-10-02T16:31:12.408Z`,
/// `2025-10-02T08:41:17.123456`, `2025-10-02 16:20:11+02:00`).
pub fn iso(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if s.len() < 19 || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    if let Some(stamp) = iso_fixed(s.as_bytes()) {
        return Some(stamp);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(Stamp::Utc(t.with_timezone(&Utc)));
    }
    let normalized = s.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&normalized) {
        return Some(Stamp::Utc(t.with_timezone(&Utc)));
    }
    if let Ok(t) = DateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(Stamp::Utc(t.with_timezone(&Utc)));
    }
    NaiveDateTime::parse_from_str(&normalized, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(Stamp::Naive)
}

/// The common layouts read by position: `YYYY-MM-DD[T ]HH:MM:SS`, an optional fraction of
/// up to nine digits, then nothing, `Z`, or `+HH:MM` / `+HHMM`. `None` for anything else,
/// which [`iso`] then hands to chrono's parsers, so this only ever answers what they would.
/// Stamps are parsed for every dated line of an application log; chrono's format strings
/// cost several times more.
fn iso_fixed(b: &[u8]) -> Option<Stamp> {
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, d| {
            d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let (h, m, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if sec > 59 {
        return None; // leap seconds: chrono's rules
    }
    let mut i = 19;
    let mut nanos = 0u32;
    if b.get(i) == Some(&b'.') {
        let digits = b[i + 1..].iter().take_while(|d| d.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = num(i + 1..i + 1 + digits)? * 10u32.pow(9 - digits as u32);
        i += 1 + digits;
    }
    let t = date.and_hms_nano_opt(h, m, sec, nanos)?;
    let rest = &b[i..];
    let offset = match rest {
        [] => return Some(Stamp::Naive(t)),
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let two = |a: u8, b: u8| -> Option<i64> {
                (a.is_ascii_digit() && b.is_ascii_digit())
                    .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let (oh, om) = (two(*h1, *h2)?, two(*m1, *m2)?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = oh * 3600 + om * 60;
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    let utc = t.checked_sub_signed(chrono::TimeDelta::try_seconds(offset)?)?;
    Some(Stamp::Utc(utc.and_utc()))
}

/// nginx `$time_local`: `02/Oct/2025:16:20:11 +0000`. Read by position (this runs once per
/// access log line); anything off the fixed layout falls back to chrono's parser.
pub fn nginx_local(s: &str) -> Option<Stamp> {
    let s = s.trim();
    let b = s.as_bytes();
    let fast = (|| {
        if b.len() != 26 || b[2] != b'/' || b[6] != b'/' || b[11] != b':' || b[20] != b' ' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            s.get(r)?.bytes().try_fold(0u32, |acc, d| {
                d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0'))
            })
        };
        const MONTHS: [&[u8; 3]; 12] = [
            b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
            b"Dec",
        ];
        let month = MONTHS.iter().position(|m| m[..] == b[3..6])? as u32 + 1;
        let date = NaiveDate::from_ymd_opt(num(7..11)? as i32, month, num(0..2)?)?;
        let t = date.and_hms_opt(num(12..14)?, num(15..17)?, num(18..20)?)?;
        let sign = match b[21] {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let offset = sign * (num(22..24)? as i32 * 3600 + num(24..26)? as i32 * 60);
        let utc = t - chrono::TimeDelta::try_seconds(i64::from(offset))?;
        Some(Stamp::Utc(utc.and_utc()))
    })();
    fast.or_else(|| {
        DateTime::parse_from_str(s, "%d/%b/%Y:%H:%M:%S %z")
            .ok()
            .map(|t| Stamp::Utc(t.with_timezone(&Utc)))
    })
}

/// Zone-less `2025/10/02 16:30:01` (nginx error.log, Go `log`) or `2025/10/02 - 16:20:11` (Gin).
pub fn slashed(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if let Some(t) = slashed_by_position(s) {
        return Some(Stamp::Naive(t));
    }
    for fmt in [
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d - %H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(Stamp::Naive(t));
        }
    }
    None
}

/// The length of the slashed stamp `b` starts with, by shape alone (digits and separators):
/// 19 for `2025/10/02 16:30:01` (nginx error.log, Go `log`), 21 for `2025/10/02 - 16:20:11`
/// (Gin); `None` otherwise.
pub(crate) fn slashed_shape(b: &[u8]) -> Option<usize> {
    let time_at = match b.get(10..13)? {
        b" - " => 13,
        [b' ', _, _] => 11,
        _ => return None,
    };
    let end = time_at + 8;
    let b = b.get(..end)?;
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let shape = digits(0..4)
        && b[4] == b'/'
        && digits(5..7)
        && b[7] == b'/'
        && digits(8..10)
        && digits(time_at..time_at + 2)
        && b[time_at + 2] == b':'
        && digits(time_at + 3..time_at + 5)
        && b[time_at + 5] == b':'
        && digits(time_at + 6..end);
    shape.then_some(end)
}

/// The two slashed shapes at their fixed widths, without chrono's format parser (which was
/// a fifth of the time of a Gin access log); anything else is left to it.
fn slashed_by_position(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if slashed_shape(b)? != b.len() {
        return None;
    }
    let time_at = b.len() - 8;
    let num = |at: usize, len: usize| -> Option<u32> {
        b[at..at + len].iter().try_fold(0u32, |n, d| {
            d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    date.and_hms_opt(num(time_at, 2)?, num(time_at + 3, 2)?, num(time_at + 6, 2)?)
}

/// Seconds since the epoch (integer or fractional).
pub fn epoch_seconds(v: f64) -> Option<Stamp> {
    if !v.is_finite() || v <= 0.0 {
        return None;
    }
    let ms = if v > 1e12 { v } else { v * 1000.0 };
    DateTime::from_timestamp_millis(ms as i64).map(Stamp::Utc)
}

/// A `--tz` setting: `UTC`, `Z`, or a fixed offset such as `+02:00`, `-0530`.
pub fn parse_offset(s: &str) -> Option<FixedOffset> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("utc") || s == "Z" || s.eq_ignore_ascii_case("gmt") {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !(digits.len() == 2 || digits.len() == 4) || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let h: i32 = digits[..2].parse().ok()?;
    let m: i32 = if digits.len() == 4 {
        digits[2..].parse().ok()?
    } else {
        0
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

/// The UTC instant of a stamp; naive stamps are read in `tz`.
pub fn resolve(stamp: Stamp, tz: FixedOffset) -> Option<DateTime<Utc>> {
    match stamp {
        Stamp::Utc(t) => Some(t),
        Stamp::Naive(n) => tz
            .from_local_datetime(&n)
            .single()
            .map(|t| t.with_timezone(&Utc)),
    }
}

/// RFC 3339 in UTC with millisecond precision only when the log had it.
pub fn format_rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// `--since` / `--until`: RFC 3339 (a zone-less time is read in `tz`), a date, or a span
/// back from `now` (`30m`, `2h`, `7d`, `1w`, `45s`).
pub fn parse_when(s: &str, now: DateTime<Utc>, tz: FixedOffset) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Some(stamp) = iso(s) {
        return resolve(stamp, tz);
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return resolve(Stamp::Naive(d.and_time(NaiveTime::MIN)), tz);
    }
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].trim().parse().ok()?;
    let secs = match unit {
        's' => 1,
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    now.checked_sub_signed(chrono::TimeDelta::try_seconds(n.checked_mul(secs)?)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: Stamp) -> String {
        format_rfc3339(resolve(s, FixedOffset::east_opt(0).unwrap()).unwrap())
    }

    #[test]
    fn parses_the_stamps_logs_write() {
        assert_eq!(
            utc(iso("2025-10-02T16:31:12.408Z").unwrap()),
            "2025-10-02T16:31:12.408Z"
        );
        assert_eq!(
            utc(iso("2025-10-02T08:41:17.123456").unwrap()),
            "2025-10-02T08:41:17.123456Z"
        );
        assert_eq!(
            utc(iso("2025-10-02T18:00:00+02:00").unwrap()),
            "2025-10-02T16:00:00Z"
        );
        assert_eq!(
            utc(nginx_local("02/Oct/2025:16:20:11 +0200").unwrap()),
            "2025-10-02T14:20:11Z"
        );
        assert_eq!(
            utc(slashed("2025/10/02 - 16:20:11").unwrap()),
            "2025-10-02T16:20:11Z"
        );
        assert!(iso("16:20:11").is_none());
        // The shape alone, on every prefix (never out of bounds).
        for full in ["2025/10/02 16:30:01 [error]", "2025/10/02 - 16:20:11 |"] {
            for cut in 0..=full.len() {
                let want = match (full.contains(" - "), cut) {
                    (false, 19..) => Some(19),
                    (true, 21..) => Some(21),
                    _ => None,
                };
                assert_eq!(super::slashed_shape(&full.as_bytes()[..cut]), want, "{cut}");
            }
        }
        // Read by position as chrono reads them, including what neither accepts.
        for t in [
            "2025/10/02 16:20:11",
            "2025/10/02 - 16:20:11",
            "2024/02/29 23:59:59",
            "2025/02/29 10:00:00",
            "2025/13/01 10:00:00",
            "2025/10/02 24:00:00",
            "2025/10/02 23:59:60",
            "2025/10/02 - 23:60:00",
            "2025/1/02 16:20:11",
            "2025/10/02  16:20:11",
            "2025/10/02 16:20:1x",
            "0000/01/01 00:00:00",
            "2025/10/02 -16:20:11",
        ] {
            let chrono = ["%Y/%m/%d %H:%M:%S", "%Y/%m/%d - %H:%M:%S"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok());
            if let Some(fast) = super::slashed_by_position(t) {
                assert_eq!(Some(fast), chrono, "{t}");
            }
            assert_eq!(slashed(t), chrono.map(Stamp::Naive), "{t}");
        }
        assert_eq!(
            utc(nginx_local("31/Dec/2025:23:30:00 -0130").unwrap()),
            "2026-01-01T01:00:00Z"
        );
        assert!(nginx_local("32/Oct/2025:16:20:11 +0000").is_none());
        assert!(nginx_local("02/Okt/2025:16:20:11 +0000").is_none());
    }

    /// The positional reader answers exactly what chrono's parsers answer.
    #[test]
    fn fixed_layout_agrees_with_chrono() {
        fn chrono_only(s: &str) -> Option<Stamp> {
            let n = s.replacen(' ', "T", 1);
            DateTime::parse_from_rfc3339(&n)
                .or_else(|_| DateTime::parse_from_str(&n, "%Y-%m-%dT%H:%M:%S%.f%z"))
                .map(|t| Stamp::Utc(t.with_timezone(&Utc)))
                .ok()
                .or_else(|| {
                    NaiveDateTime::parse_from_str(&n, "%Y-%m-%dT%H:%M:%S%.f")
                        .ok()
                        .map(Stamp::Naive)
                })
        }
        for s in [
            "2025-10-02T16:31:12.408Z",
            "2025-10-02 16:31:12",
            "2025-10-02 16:31:12.1",
            "2025-10-02T16:31:12.123456789",
            "2025-10-02T16:31:12+02:00",
            "2025-10-02T16:31:12.5-0530",
            "2025-12-31T23:59:59-23:59",
            "2024-02-29T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-13-02T16:31:12Z",
            "2025-10-02T24:00:00Z",
            "2025-10-02T16:60:00Z",
            "2025-10-02T16:31:12.Z",
            "2025-10-02T16:31:12+2:00",
            "2025-10-02T16:31:12+24:00",
            "2025-10-02T16:31:12 trailing",
            "2025-10-02T16:31:12,5",
            "0000-01-01T00:00:00Z",
        ] {
            let fixed = iso_fixed(s.as_bytes());
            if fixed.is_some() {
                assert_eq!(fixed, chrono_only(s), "{s}");
            }
            assert_eq!(iso(s), chrono_only(s), "{s}");
        }
        assert!(iso_fixed(b"2025-10-02T16:31:12.408Z").is_some());
        assert!(iso_fixed(b"2025-10-02 16:31:12+0000").is_some());
    }

    #[test]
    fn naive_stamps_use_the_given_zone_not_the_machine() {
        let tz = parse_offset("+02:00").unwrap();
        let t = resolve(slashed("2025/10/02 16:30:01").unwrap(), tz).unwrap();
        assert_eq!(format_rfc3339(t), "2025-10-02T14:30:01Z");
        assert_eq!(
            parse_offset("-0530").unwrap().local_minus_utc(),
            -(5 * 3600 + 30 * 60)
        );
        assert!(parse_offset("Europe/Paris").is_none());
    }

    #[test]
    fn relative_and_absolute_since() {
        let now = DateTime::parse_from_rfc3339("2025-10-02T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let utc = FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            format_rfc3339(parse_when("2h", now, utc).unwrap()),
            "2025-10-02T10:00:00Z"
        );
        assert_eq!(
            format_rfc3339(parse_when("7d", now, utc).unwrap()),
            "2025-09-25T12:00:00Z"
        );
        assert_eq!(
            format_rfc3339(parse_when("2025-10-01", now, utc).unwrap()),
            "2025-10-01T00:00:00Z"
        );
        assert!(parse_when("yesterday", now, utc).is_none());
    }
}
