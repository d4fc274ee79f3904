//! Points in time as RFC 3339 text in UTC (`2026-12-02T03:00:00Z`), the
//! form Temporal's visibility queries, search attributes and schedule
//! workflow ids use. Civil dates from days since the epoch follow Howard
//! Hinnant's `civil_from_days`.

/// Formats milliseconds since the Unix epoch as RFC 3339 in UTC, with
/// milliseconds only when there are some.
///
/// ```
/// use workflow_client::timestamp::format_rfc3339;
/// assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
/// assert_eq!(format_rfc3339(1_796_180_400_250), "2026-12-02T03:00:00.250Z");
/// ```
pub fn format_rfc3339(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    let (secs, millis) = (in_day / 1000, in_day % 1000);
    let time = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
    match millis {
        0 => format!("{year:04}-{month:02}-{day:02}T{time}Z"),
        _ => format!("{year:04}-{month:02}-{day:02}T{time}.{millis:03}Z"),
    }
}

/// The instant an RFC 3339 datetime names, in milliseconds since the Unix
/// epoch; `None` if `text` is not one.
///
/// Strict: `YYYY-MM-DDTHH:MM:SS`, then optionally `.` and 1 to 9 digits of
/// fraction (cut to milliseconds), then `Z` or an offset `+HH:MM`/`-HH:MM`;
/// every date and time must exist (no leap seconds), with capital `T` and `Z`.
///
/// ```
/// use workflow_client::timestamp::parse_rfc3339;
/// assert_eq!(parse_rfc3339("1970-01-01T00:00:01.5Z"), Some(1_500));
/// assert_eq!(parse_rfc3339("1970-01-01T01:00:00+01:00"), Some(0));
/// assert_eq!(parse_rfc3339("2026-02-29T00:00:00Z"), None);
/// assert_eq!(parse_rfc3339("2026-12-02 10:00:00Z"), None);
/// ```
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let mut rest = text.as_bytes();
    let year = digits(&mut rest, 4)?;
    let month = punct(&mut rest, b'-').and_then(|()| digits(&mut rest, 2))?;
    let day = punct(&mut rest, b'-').and_then(|()| digits(&mut rest, 2))?;
    let hour = punct(&mut rest, b'T').and_then(|()| digits(&mut rest, 2))?;
    let minute = punct(&mut rest, b':').and_then(|()| digits(&mut rest, 2))?;
    let second = punct(&mut rest, b':').and_then(|()| digits(&mut rest, 2))?;
    let mut millis = 0;
    if punct(&mut rest, b'.').is_some() {
        let count = rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&count) {
            return None;
        }
        let (fraction, tail) = rest.split_at(count);
        millis = fraction
            .iter()
            .chain(b"00")
            .take(3)
            .fold(0, |ms, d| ms * 10 + i64::from(d - b'0'));
        rest = tail;
    }
    let offset_minutes = match rest.split_first()? {
        (b'Z', []) => 0,
        (&sign @ (b'+' | b'-'), mut tail) => {
            let hours = digits(&mut tail, 2).filter(|h| *h < 24)?;
            let minutes = punct(&mut tail, b':')
                .and_then(|()| digits(&mut tail, 2))
                .filter(|m| *m < 60)?;
            if !tail.is_empty() {
                return None;
            }
            let offset = hours * 60 + minutes;
            if sign == b'+' {
                offset
            } else {
                -offset
            }
        }
        _ => return None,
    };
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    let minutes = (days_from_civil(year, month, day) * 24 + hour) * 60 + minute - offset_minutes;
    Some((minutes * 60 + second) * 1000 + millis)
}

/// `count` ASCII digits, as a number.
fn digits(rest: &mut &[u8], count: usize) -> Option<i64> {
    let (head, tail) = rest.split_at_checked(count)?;
    if !head.iter().all(u8::is_ascii_digit) {
        return None;
    }
    *rest = tail;
    Some(head.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
}

fn punct(rest: &mut &[u8], byte: u8) -> Option<()> {
    let (&first, tail) = rest.split_first()?;
    (first == byte).then(|| *rest = tail)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`: years counted from March, so the
/// leap day ends the year).
pub(crate) fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The proleptic Gregorian date (year, month, day) of a day counted from
/// 1970-01-01.
///
/// ```
/// use workflow_client::timestamp::civil_from_days;
/// assert_eq!(civil_from_days(0), (1970, 1, 1));
/// assert_eq!(civil_from_days(-1), (1969, 12, 31));
/// ```
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_around_leap_days_and_before_the_epoch() {
        assert_eq!(format_rfc3339(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
    }

    #[test]
    fn formatted_times_parse_back() {
        for ms in [0, -1, 951_782_400_000, 1_796_180_400_250, 253_402_300_799_999] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Some(ms), "{ms}");
        }
    }
}
