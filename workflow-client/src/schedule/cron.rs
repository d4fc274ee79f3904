//! Cron expressions: the five fields `minute hour day-of-month month
//! day-of-week` and the `@daily`-style macros, matched in UTC.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::timestamp::{civil_from_days, days_from_civil};

const MS_PER_MINUTE: i64 = 60_000;
const MINUTES_PER_DAY: i64 = 1440;
/// The Gregorian calendar repeats every 400 years, and 400 years are a
/// whole number of weeks: a date pattern with no match in that span has
/// none ever.
const CYCLE_YEARS: i64 = 400;

const MACROS: [(&str, &str); 7] = [
    ("@yearly", "0 0 1 1 *"),
    ("@annually", "0 0 1 1 *"),
    ("@monthly", "0 0 1 * *"),
    ("@weekly", "0 0 * * 0"),
    ("@daily", "0 0 * * *"),
    ("@midnight", "0 0 * * *"),
    ("@hourly", "0 * * * *"),
];

const MONTH_NAMES: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const DAY_NAMES: [&str; 7] = [
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];

/// A standard five-field cron expression, `minute hour day-of-month month
/// day-of-week`, evaluated in UTC at minute resolution.
///
/// Each field takes `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or
/// `a/n` (from `a` to the field's end), or a comma list of those. Months
/// take names (`JAN`, `March`: any prefix of at least three letters) and
/// days of the week take names (`MON`, `tu`: at least two letters), in any
/// case; Sunday is `0` or `7`. The macros `@yearly`, `@annually`,
/// `@monthly`, `@weekly`, `@daily`, `@midnight` and `@hourly` stand for
/// their usual expansions.
///
/// A time matches when **every** field matches, day of month and day of
/// week included. This is what Temporal does with a cron string (it
/// compiles it to a calendar spec whose fields must all match); Vixie cron
/// instead fires when *either* day field matches if both are restricted. So
/// `0 0 13 * FRI` is midnight on each Friday the 13th.
///
/// Its text form ([`Display`](fmt::Display)) is canonical, parses back to
/// an equal expression, and is what serde reads and writes.
///
/// ```
/// # use workflow_client::schedule::CronExpr;
/// let weekdays: CronExpr = "0 9 * * MON-FRI".parse()?;
/// assert_eq!(weekdays.to_string(), "0 9 * * 1-5");
/// assert_eq!("@daily".parse::<CronExpr>()?.to_string(), "0 0 * * *");
///
/// // Friday 2026-01-02 at 09:00 UTC, then Monday the 5th.
/// let friday_9am = 1_767_344_400_000;
/// assert_eq!(weekdays.next_after(friday_9am), Some(friday_9am + 3 * 86_400_000));
/// # Ok::<(), workflow_client::schedule::CronError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CronExpr {
    /// One bit per allowed value, indexed by [`CronField`]; day of week
    /// keeps Sunday at bit 0 only.
    fields: [u64; 5],
}

/// One of the five fields of a [`CronExpr`], in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CronField {
    /// 0-59.
    Minute,
    /// 0-23.
    Hour,
    /// 1-31.
    DayOfMonth,
    /// 1-12 or `JAN`-`DEC`.
    Month,
    /// 0-7 or `SUN`-`SAT`; 0 and 7 are Sunday.
    DayOfWeek,
}

impl CronField {
    const ALL: [CronField; 5] = [
        CronField::Minute,
        CronField::Hour,
        CronField::DayOfMonth,
        CronField::Month,
        CronField::DayOfWeek,
    ];

    /// The values the field takes once parsed: Sunday is 0 only.
    fn domain(self) -> (u32, u32) {
        match self {
            CronField::Minute => (0, 59),
            CronField::Hour => (0, 23),
            CronField::DayOfMonth => (1, 31),
            CronField::Month => (1, 12),
            CronField::DayOfWeek => (0, 6),
        }
    }

    /// The values the field accepts in text: Sunday is also 7.
    fn accepted(self) -> (u32, u32) {
        match self {
            CronField::DayOfWeek => (0, 7),
            other => other.domain(),
        }
    }

    /// The names the field accepts, the shortest prefix of one that counts
    /// (Temporal's rule), and the value of the first name.
    fn names(self) -> Option<(&'static [&'static str], usize, u32)> {
        match self {
            CronField::Month => Some((&MONTH_NAMES, 3, 1)),
            CronField::DayOfWeek => Some((&DAY_NAMES, 2, 0)),
            _ => None,
        }
    }

    fn name_hint(self) -> &'static str {
        match self {
            CronField::Month => " or a month name (JAN-DEC)",
            CronField::DayOfWeek => " or a day name (SUN-SAT)",
            _ => "",
        }
    }
}

impl fmt::Display for CronField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CronField::Minute => "minute",
            CronField::Hour => "hour",
            CronField::DayOfMonth => "day-of-month",
            CronField::Month => "month",
            CronField::DayOfWeek => "day-of-week",
        })
    }
}

/// Text that is not a cron expression: what is wrong, in which field, and
/// where (a byte offset into the text).
///
/// ```
/// # use workflow_client::schedule::{CronExpr, CronField};
/// let err = "61 * * * *".parse::<CronExpr>().unwrap_err();
/// assert_eq!(err.to_string(), "minute `61` out of range 0-59 in `61 * * * *`");
/// assert_eq!((err.field(), err.position()), (Some(CronField::Minute), 0));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{problem} in `{expr}`")]
pub struct CronError {
    expr: String,
    position: usize,
    problem: CronProblem,
}

impl CronError {
    /// What is wrong.
    pub fn problem(&self) -> &CronProblem {
        &self.problem
    }

    /// The field at fault, if the problem lies in one field.
    pub fn field(&self) -> Option<CronField> {
        match &self.problem {
            CronProblem::FieldCount(_) | CronProblem::UnknownMacro(_) => None,
            CronProblem::OutOfRange { field, .. }
            | CronProblem::NotAValue { field, .. }
            | CronProblem::ReversedRange { field, .. }
            | CronProblem::BadStep { field, .. }
            | CronProblem::EmptyItem { field } => Some(*field),
        }
    }

    /// The byte offset in the text where the problem starts.
    pub fn position(&self) -> usize {
        self.position
    }
}

/// What is wrong with a cron expression (see [`CronError`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CronProblem {
    /// Not five fields and not a lone macro.
    #[error(
        "expected 5 fields (minute hour day-of-month month day-of-week) or one macro such as `@daily`, found {0} words"
    )]
    FieldCount(usize),
    /// A word starting with `@` that is not a known macro.
    #[error(
        "unknown macro `{0}`: expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly \
         (for `@every` use an IntervalSpec)"
    )]
    UnknownMacro(String),
    /// A number outside the field's range.
    #[error("{field} `{value}` out of range {min}-{max}")]
    OutOfRange {
        /// The field.
        field: CronField,
        /// The number as written.
        value: String,
        /// The smallest value the field takes.
        min: u32,
        /// The largest value the field takes.
        max: u32,
    },
    /// Neither a number nor a name the field takes.
    #[error("{field} `{value}` is not a number{}", .field.name_hint())]
    NotAValue {
        /// The field.
        field: CronField,
        /// The value as written.
        value: String,
    },
    /// A range `a-b` with `b` before `a`.
    #[error("{field} range `{range}` ends before it starts")]
    ReversedRange {
        /// The field.
        field: CronField,
        /// The range as written.
        range: String,
    },
    /// A step that is not a whole number from 1.
    #[error("{field} step `{step}` is not a whole number of at least 1")]
    BadStep {
        /// The field.
        field: CronField,
        /// The step as written, after the `/`.
        step: String,
    },
    /// An empty item in a comma list, as in `1,,2`.
    #[error("{field} list has an empty item")]
    EmptyItem {
        /// The field.
        field: CronField,
    },
}

/// A problem found while parsing one field, with its offset in the field.
type FieldError = (usize, CronProblem);

impl FromStr for CronExpr {
    type Err = CronError;

    fn from_str(text: &str) -> Result<Self, CronError> {
        let fail = |position, problem| CronError {
            expr: text.to_owned(),
            position,
            problem,
        };
        // Offsets of the words in `text`, for errors that point into it:
        // `split_whitespace` yields subslices of `text`.
        let words: Vec<(usize, &str)> = text
            .split_whitespace()
            .map(|word| (word.as_ptr() as usize - text.as_ptr() as usize, word))
            .collect();
        match words.as_slice() {
            [(position, word)] if word.starts_with('@') => {
                match MACROS.iter().find(|(name, _)| word.eq_ignore_ascii_case(name)) {
                    Some((_, expansion)) => expansion.parse(),
                    None => Err(fail(*position, CronProblem::UnknownMacro((*word).to_owned()))),
                }
            }
            [(position, word), ..] if word.starts_with('@') => {
                let problem = if MACROS.iter().any(|(name, _)| word.eq_ignore_ascii_case(name)) {
                    CronProblem::FieldCount(words.len())
                } else {
                    CronProblem::UnknownMacro((*word).to_owned())
                };
                Err(fail(*position, problem))
            }
            [_, _, _, _, _] => {
                let mut fields = [0; 5];
                for ((bits, field), (position, word)) in fields.iter_mut().zip(CronField::ALL).zip(&words) {
                    *bits = parse_field(field, word).map_err(|(offset, problem)| fail(position + offset, problem))?;
                }
                Ok(CronExpr { fields })
            }
            _ => Err(fail(
                words.get(5).map_or(0, |(position, _)| *position),
                CronProblem::FieldCount(words.len()),
            )),
        }
    }
}

/// The bits of one field's comma list.
fn parse_field(field: CronField, text: &str) -> Result<u64, FieldError> {
    let mut bits = 0;
    let mut offset = 0;
    for item in text.split(',') {
        bits |= parse_item(field, item).map_err(|(at, problem)| (offset + at, problem))?;
        offset += item.len() + 1;
    }
    if field == CronField::DayOfWeek {
        // 7 is another name for Sunday.
        bits = (bits | bits >> 7) & 0x7f;
    }
    Ok(bits)
}

/// The bits of one list item: `*`, `a`, `a-b`, each with an optional `/step`.
fn parse_item(field: CronField, item: &str) -> Result<u64, FieldError> {
    if item.is_empty() {
        return Err((0, CronProblem::EmptyItem { field }));
    }
    let (range, step) = match item.split_once('/') {
        Some((range, step)) => {
            let bad_step = || {
                (
                    range.len() + 1,
                    CronProblem::BadStep {
                        field,
                        step: step.to_owned(),
                    },
                )
            };
            let step = is_number(step)
                .then(|| step.parse().ok())
                .flatten()
                .filter(|&n: &u32| n >= 1);
            let step = step.ok_or_else(bad_step)?;
            (range, Some(step))
        }
        None => (item, None),
    };
    let (min, max) = field.accepted();
    let (first, last) = match range.split_once('-') {
        _ if range == "*" => (min, max),
        Some((from, to)) => {
            let first = parse_value(field, from).map_err(|problem| (0, problem))?;
            let last = parse_value(field, to).map_err(|problem| (from.len() + 1, problem))?;
            if last < first {
                return Err((
                    0,
                    CronProblem::ReversedRange {
                        field,
                        range: range.to_owned(),
                    },
                ));
            }
            (first, last)
        }
        // `a/n` runs from `a` to the end of the field, as in Temporal.
        None => {
            let first = parse_value(field, range).map_err(|problem| (0, problem))?;
            (first, if step.is_some() { max } else { first })
        }
    };
    let step = step.unwrap_or(1) as usize;
    Ok((first..=last).step_by(step).fold(0, |bits, value| bits | 1 << value))
}

/// A value of `field`, as a number or a name.
fn parse_value(field: CronField, text: &str) -> Result<u32, CronProblem> {
    if let Some((names, shortest, first)) = field.names() {
        let lower = text.to_ascii_lowercase();
        if let Some(index) = names
            .iter()
            .position(|name| lower.len() >= shortest && name.starts_with(&lower))
        {
            return Ok(first + index as u32);
        }
    }
    if !is_number(text) {
        return Err(CronProblem::NotAValue {
            field,
            value: text.to_owned(),
        });
    }
    let (min, max) = field.accepted();
    // Digits too many for a `u32` are out of range too.
    match text.parse() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(CronProblem::OutOfRange {
            field,
            value: text.to_owned(),
            min,
            max,
        }),
    }
}

/// Decimal digits only: `u32::from_str` also takes a sign.
fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

impl fmt::Display for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (field, bits)) in CronField::ALL.into_iter().zip(self.fields).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write_field(f, field, bits)?;
        }
        Ok(())
    }
}

/// `*`, `*/n`, `a-b/n`, or a list of values and `a-b` runs.
fn write_field(f: &mut fmt::Formatter<'_>, field: CronField, bits: u64) -> fmt::Result {
    let (min, max) = field.domain();
    let values: Vec<u32> = (min..=max).filter(|&v| bits >> v & 1 == 1).collect();
    if values.len() == (max - min + 1) as usize {
        return f.write_str("*");
    }
    // Steps only where they read better than a list: `*/n` from three
    // values, `a-b/n` from four.
    if let [first, second, _, ..] = values[..] {
        let step = second - first;
        let last = values[values.len() - 1];
        if step > 1 && values.windows(2).all(|w| w[1] - w[0] == step) {
            if first == min && last + step > max {
                return write!(f, "*/{step}");
            }
            if values.len() >= 4 {
                return write!(f, "{first}-{last}/{step}");
            }
        }
    }
    let mut runs = Vec::new();
    for &value in &values {
        match runs.last_mut() {
            Some((_, end)) if *end + 1 == value => *end = value,
            _ => runs.push((value, value)),
        }
    }
    for (i, (start, end)) in runs.into_iter().enumerate() {
        let sep = if i > 0 { "," } else { "" };
        match end - start {
            0 => write!(f, "{sep}{start}")?,
            1 => write!(f, "{sep}{start},{end}")?,
            _ => write!(f, "{sep}{start}-{end}")?,
        }
    }
    Ok(())
}

impl fmt::Debug for CronExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CronExpr({self})")
    }
}

impl TryFrom<String> for CronExpr {
    type Error = CronError;

    fn try_from(text: String) -> Result<Self, CronError> {
        text.parse()
    }
}

impl From<CronExpr> for String {
    fn from(expr: CronExpr) -> String {
        expr.to_string()
    }
}

impl CronExpr {
    /// The earliest matching minute strictly after `after_ms` (milliseconds
    /// since the Unix epoch, UTC), or `None` if no date ever matches (as
    /// `0 0 30 2 *`) or the answer does not fit in an `i64`.
    ///
    /// It skips whole months, days and hours that cannot match, so it costs
    /// at most one step per day of one 400-year calendar cycle.
    ///
    /// ```
    /// # use workflow_client::schedule::CronExpr;
    /// let leap_day: CronExpr = "0 12 29 2 *".parse()?;
    /// // From 2026-01-01 the next 29 February is in 2028.
    /// assert_eq!(leap_day.next_after(1_767_225_600_000), Some(1_835_438_400_000));
    /// assert_eq!("0 0 30 2 *".parse::<CronExpr>()?.next_after(0), None);
    /// # Ok::<(), workflow_client::schedule::CronError>(())
    /// ```
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        let first_minute = after_ms.div_euclid(MS_PER_MINUTE) + 1;
        let first_day = first_minute.div_euclid(MINUTES_PER_DAY);
        let (mut year, mut month, _) = civil_from_days(first_day);
        let mut from_day = first_day;
        let last_year = year + CYCLE_YEARS;
        while year <= last_year {
            let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
            let month_start = days_from_civil(year, i64::from(month), 1);
            let month_end = days_from_civil(next_year, i64::from(next_month), 1);
            if self.allows(CronField::Month, month) {
                for day in from_day..month_end {
                    let date = (day - month_start + 1) as u32;
                    let weekday = (day + 4).rem_euclid(7) as u32; // 1970-01-01 was a Thursday
                    if self.allows(CronField::DayOfMonth, date) && self.allows(CronField::DayOfWeek, weekday) {
                        let from = if day == first_day {
                            first_minute.rem_euclid(MINUTES_PER_DAY)
                        } else {
                            0
                        };
                        if let Some(minute) = self.first_minute_from(from as u32) {
                            return day
                                .checked_mul(MINUTES_PER_DAY)?
                                .checked_add(minute)?
                                .checked_mul(MS_PER_MINUTE);
                        }
                    }
                }
            }
            (from_day, year, month) = (month_end, next_year, next_month);
        }
        None
    }

    /// The first matching minute of a day at or after `from` (minutes since
    /// midnight).
    fn first_minute_from(&self, from: u32) -> Option<i64> {
        let minutes = self.fields[CronField::Minute as usize];
        (from / 60..24)
            .filter(|&hour| self.allows(CronField::Hour, hour))
            .find_map(|hour| {
                let start = if hour == from / 60 { from % 60 } else { 0 };
                let later = minutes >> start;
                (later != 0).then(|| i64::from(hour * 60 + start + later.trailing_zeros()))
            })
    }

    fn allows(&self, field: CronField, value: u32) -> bool {
        self.fields[field as usize] >> value & 1 == 1
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::schedule::test_time::utc;

    fn cron(text: &str) -> CronExpr {
        text.parse().unwrap_or_else(|err| panic!("{err}"))
    }

    fn error(text: &str) -> CronError {
        text.parse::<CronExpr>().expect_err(text)
    }

    #[test]
    fn lists_ranges_steps_and_names_have_a_canonical_text() {
        for (text, canonical) in [
            ("*/15 9-17 1,15 JAN-mar mon-FRI", "*/15 9-17 1,15 1-3 1-5"),
            ("5/20 * * * *", "5,25,45 * * * *"),
            ("5/10 * * * *", "5-55/10 * * * *"),
            ("0-59/1 0-23 1-31 1-12 0-7", "* * * * *"),
            ("0 0 * * 7", "0 0 * * 0"),
            ("0 0 * * 5-7", "0 0 * * 0,5,6"),
            ("0 0 * * Sunday,tu,THU", "0 0 * * 0,2,4"),
            ("1,2,3,10 0 1 September,may *", "1-3,10 0 1 5,9 *"),
            ("  0   3 *  *    *  ", "0 3 * * *"),
            ("0 */6 */2 * *", "0 */6 */2 * *"),
        ] {
            assert_eq!(cron(text).to_string(), canonical, "{text}");
        }
    }

    #[test]
    fn macros_expand_to_their_usual_fields() {
        for (text, canonical) in [
            ("@yearly", "0 0 1 1 *"),
            ("@Annually", "0 0 1 1 *"),
            ("@monthly", "0 0 1 * *"),
            ("@weekly", "0 0 * * 0"),
            ("@DAILY", "0 0 * * *"),
            ("@midnight", "0 0 * * *"),
            ("@hourly", "0 * * * *"),
        ] {
            assert_eq!(cron(text).to_string(), canonical, "{text}");
        }
    }

    #[test]
    fn errors_name_the_field_the_position_and_the_fix() {
        use CronField::*;
        for (text, message, field, position) in [
            ("61 * * * *", "minute `61` out of range 0-59", Some(Minute), 0),
            ("0 0 * 13 *", "month `13` out of range 1-12", Some(Month), 6),
            ("0 0 0 * *", "day-of-month `0` out of range 1-31", Some(DayOfMonth), 4),
            ("0 0 * * 1-8", "day-of-week `8` out of range 0-7", Some(DayOfWeek), 10),
            ("0 5,x * * *", "hour `x` is not a number", Some(Hour), 4),
            (
                "0 0 * foo *",
                "month `foo` is not a number or a month name (JAN-DEC)",
                Some(Month),
                6,
            ),
            (
                "0 0 * * m",
                "day-of-week `m` is not a number or a day name (SUN-SAT)",
                Some(DayOfWeek),
                8,
            ),
            ("0 17-9 * * *", "hour range `17-9` ends before it starts", Some(Hour), 2),
            (
                "*/0 * * * *",
                "minute step `0` is not a whole number of at least 1",
                Some(Minute),
                2,
            ),
            (
                "1/2/3 * * * *",
                "minute step `2/3` is not a whole number of at least 1",
                Some(Minute),
                2,
            ),
            ("1,,2 * * * *", "minute list has an empty item", Some(Minute), 2),
            ("+5 * * * *", "minute `+5` is not a number", Some(Minute), 0),
            (
                "99999999999 * * * *",
                "minute `99999999999` out of range 0-59",
                Some(Minute),
                0,
            ),
            (
                "* * * * * *",
                "expected 5 fields (minute hour day-of-month month day-of-week) or one macro such as `@daily`, \
                 found 6 words",
                None,
                10,
            ),
            (
                "",
                "expected 5 fields (minute hour day-of-month month day-of-week) or one macro such as `@daily`, \
                 found 0 words",
                None,
                0,
            ),
            (
                "@every 5m",
                "unknown macro `@every`: expected @yearly, @annually, @monthly, @weekly, @daily, @midnight or \
                 @hourly (for `@every` use an IntervalSpec)",
                None,
                0,
            ),
        ] {
            let err = error(text);
            assert_eq!(err.to_string(), format!("{message} in `{text}`"));
            assert_eq!((err.field(), err.position()), (field, position), "{text}");
        }
        assert_eq!(error("@daily 0").problem(), &CronProblem::FieldCount(2));
    }

    #[test]
    fn day_of_month_and_day_of_week_must_both_match_as_in_temporal() {
        let friday_13th = cron("0 0 13 * FRI");
        // 2026's first Friday the 13th is in February (Vixie cron would also fire every Friday).
        assert_eq!(
            friday_13th.next_after(utc(2026, 1, 1, 0, 0)),
            Some(utc(2026, 2, 13, 0, 0))
        );
        assert_eq!(
            friday_13th.next_after(utc(2026, 2, 13, 0, 0)),
            Some(utc(2026, 3, 13, 0, 0))
        );
    }

    #[test]
    fn next_after_is_strictly_later_and_skips_to_the_next_match() {
        let daily = cron("0 3 * * *");
        assert_eq!(
            daily.next_after(utc(2026, 12, 2, 3, 0) - 1),
            Some(utc(2026, 12, 2, 3, 0))
        );
        assert_eq!(daily.next_after(utc(2026, 12, 2, 3, 0)), Some(utc(2026, 12, 3, 3, 0)));
        assert_eq!(daily.next_after(utc(2026, 12, 31, 3, 0)), Some(utc(2027, 1, 1, 3, 0)));
        assert_eq!(
            cron("30 * * * *").next_after(utc(2026, 12, 31, 23, 30)),
            Some(utc(2027, 1, 1, 0, 30))
        );
        assert_eq!(
            cron("0 0 29 2 *").next_after(utc(2026, 1, 1, 0, 0)),
            Some(utc(2028, 2, 29, 0, 0))
        );
        // Years that are multiples of 100 but not of 400 have no 29 February.
        assert_eq!(
            cron("0 0 29 2 *").next_after(utc(2096, 3, 1, 0, 0)),
            Some(utc(2104, 2, 29, 0, 0))
        );
        assert_eq!(cron("* * * * *").next_after(-1), Some(0));
        assert_eq!(
            cron("59 23 31 12 *").next_after(utc(1969, 1, 1, 0, 0)),
            Some(-MS_PER_MINUTE)
        );
    }

    #[test]
    fn dates_that_never_come_give_none() {
        for text in ["0 0 30 2 *", "0 0 31 4,6,9,11 *", "0 0 31 2 MON"] {
            assert_eq!(cron(text).next_after(utc(2026, 1, 1, 0, 0)), None, "{text}");
        }
        assert_eq!(cron("* * * * *").next_after(i64::MAX - 1), None);
    }

    #[test]
    fn serde_uses_the_canonical_text() {
        let json = serde_json::to_string(&cron("0 9 * * MON-FRI")).unwrap();
        assert_eq!(json, r#""0 9 * * 1-5""#);
        assert_eq!(serde_json::from_str::<CronExpr>(&json).unwrap(), cron("0 9 * * 1-5"));
        let err = serde_json::from_str::<CronExpr>(r#""61 * * * *""#).unwrap_err();
        assert!(err.to_string().contains("minute `61` out of range 0-59"), "{err}");
    }

    fn bits(values: impl IntoIterator<Item = u32>) -> u64 {
        values.into_iter().fold(0, |bits, v| bits | 1 << v)
    }

    fn cron_of(field: impl Fn(CronField) -> BoxedStrategy<u64>) -> impl Strategy<Value = CronExpr> {
        let [minute, hour, dom, month, dow] = CronField::ALL.map(field);
        (minute, hour, dom, month, dow).prop_map(|(minute, hour, dom, month, dow)| CronExpr {
            fields: [minute, hour, dom, month, dow],
        })
    }

    /// A random non-empty set of each field's values.
    fn any_cron() -> impl Strategy<Value = CronExpr> {
        cron_of(|field| {
            let (min, max) = field.domain();
            proptest::collection::btree_set(min..=max, 1..=(max - min + 1) as usize)
                .prop_map(bits)
                .boxed()
        })
    }

    /// Mostly `*` or a few values, so that most specs match within the scan
    /// of `next_after_agrees_with_a_minute_by_minute_scan`.
    fn dense_cron() -> impl Strategy<Value = CronExpr> {
        cron_of(|field| {
            let (min, max) = field.domain();
            prop_oneof![
                Just(bits(min..=max)),
                proptest::collection::btree_set(min..=max, 1..=3).prop_map(bits)
            ]
            .boxed()
        })
    }

    fn matches(expr: &CronExpr, minute: i64) -> bool {
        let (day, in_day) = (
            minute.div_euclid(MINUTES_PER_DAY),
            minute.rem_euclid(MINUTES_PER_DAY) as u32,
        );
        let (_, month, date) = civil_from_days(day);
        expr.allows(CronField::Minute, in_day % 60)
            && expr.allows(CronField::Hour, in_day / 60)
            && expr.allows(CronField::DayOfMonth, date)
            && expr.allows(CronField::Month, month)
            && expr.allows(CronField::DayOfWeek, (day + 4).rem_euclid(7) as u32)
    }

    proptest! {
        #[test]
        fn display_parses_back_equal(expr in any_cron()) {
            let text = expr.to_string();
            prop_assert_eq!(text.parse::<CronExpr>(), Ok(expr), "{}", text);
        }

        #[test]
        fn parsing_never_panics(text in "\\PC{0,40}") {
            let _ = text.parse::<CronExpr>();
        }

        #[test]
        fn parsing_cron_like_text_never_panics_and_round_trips(text in "[0-9*/,@a-zA-Z -]{0,30}") {
            if let Ok(expr) = text.parse::<CronExpr>() {
                prop_assert_eq!(expr.to_string().parse::<CronExpr>(), Ok(expr));
            }
        }

        #[test]
        fn next_after_never_panics(expr in any_cron(), after in any::<i64>()) {
            let _ = expr.next_after(after);
        }

        #[test]
        fn next_after_agrees_with_a_minute_by_minute_scan(
            expr in dense_cron(),
            after in utc(1990, 1, 1, 0, 0)..utc(2110, 1, 1, 0, 0),
        ) {
            const SCAN_MINUTES: i64 = 40 * MINUTES_PER_DAY;
            let first = after.div_euclid(MS_PER_MINUTE) + 1;
            let scanned = (first..first + SCAN_MINUTES).find(|&minute| matches(&expr, minute));
            match (scanned, expr.next_after(after)) {
                (Some(minute), found) => prop_assert_eq!(found, Some(minute * MS_PER_MINUTE)),
                (None, Some(found)) => {
                    prop_assert!(found >= (first + SCAN_MINUTES) * MS_PER_MINUTE);
                    prop_assert!(matches(&expr, found / MS_PER_MINUTE));
                }
                (None, None) => {}
            }
        }
    }
}
