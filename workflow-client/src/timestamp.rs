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

/// The proleptic Gregorian date of a day counted from 1970-01-01.
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
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
}
