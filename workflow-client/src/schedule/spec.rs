//! When a schedule fires: cron expressions and fixed intervals, inside an
//! optional start/end window, each time shifted by a deterministic jitter.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::cron::CronExpr;
use crate::timestamp::format_rfc3339;

/// The shortest interval Temporal accepts.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// Fires at the Unix epoch plus a whole number of `every`, plus `offset`,
/// as Temporal's interval spec (`every` and `offset` in the Python SDK):
/// every hour at a quarter past is `every` one hour with `offset` fifteen
/// minutes.
///
/// ```
/// # use std::time::Duration;
/// # use workflow_client::schedule::{IntervalSpec, ScheduleSpec};
/// let quarter_past = IntervalSpec::new(Duration::from_secs(3600), Duration::from_secs(900))?;
/// let spec = ScheduleSpec::new().interval(quarter_past);
/// assert_eq!(spec.next_after(0), Some(900_000));
/// assert_eq!(spec.next_after(900_000), Some(4_500_000));
///
/// assert!(IntervalSpec::new(Duration::ZERO, Duration::ZERO).is_err());
/// # Ok::<(), workflow_client::schedule::SpecError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IntervalSpec {
    /// The period: at least one second.
    pub every: Duration,
    /// How far after each multiple of `every` it fires: less than `every`.
    #[serde(default)]
    pub offset: Duration,
}

impl IntervalSpec {
    /// An interval, checked as [`validate`](Self::validate) does.
    pub fn new(every: Duration, offset: Duration) -> Result<Self, SpecError> {
        let interval = IntervalSpec { every, offset };
        interval.validate()?;
        Ok(interval)
    }

    /// Whether Temporal would take it: `every` at least one second and
    /// `offset` shorter than `every`. An interval built by hand or read
    /// from disk skips this check; [`ScheduleSpec::validate`] repeats it.
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.every < MIN_INTERVAL {
            return Err(SpecError::IntervalTooShort { every: self.every });
        }
        if self.offset >= self.every {
            return Err(SpecError::OffsetNotShorter {
                every: self.every,
                offset: self.offset,
            });
        }
        Ok(())
    }

    fn next_after(&self, after_ms: i64) -> Option<i64> {
        // Like Temporal, never divide by zero, even for an interval that
        // `validate` refuses.
        let every = millis(self.every).max(1);
        let offset = millis(self.offset);
        let periods = after_ms.checked_sub(offset)?.div_euclid(every).checked_add(1)?;
        periods.checked_mul(every)?.checked_add(offset)
    }
}

/// When a schedule takes its action: at every time matched by one of its
/// cron expressions or intervals, from `start_at` to `end_at` (both
/// inclusive), each time delayed by up to `jitter`. Times are milliseconds
/// since the Unix epoch, in UTC.
///
/// Stored as JSON with these field names; cron expressions as their
/// canonical text.
///
/// ```
/// # use std::time::Duration;
/// # use workflow_client::schedule::ScheduleSpec;
/// let spec = ScheduleSpec::new()
///     .cron("0 3 * * MON-FRI".parse()?)
///     .cron("30 12 * * SAT".parse()?)
///     .jitter(Duration::from_secs(600));
/// // Friday 2026-01-02 at 03:00 UTC, then 12:30 on Saturday.
/// let friday_3am = 1_767_322_800_000;
/// assert_eq!(spec.next_after(friday_3am), Some(friday_3am + 33 * 3_600_000 + 1_800_000));
///
/// let fire = spec.next_fire("nightly", friday_3am - 1).unwrap();
/// assert_eq!(fire.nominal_ms, friday_3am);
/// assert!(fire.actual_ms - fire.nominal_ms < 600_000);
/// # Ok::<(), workflow_client::schedule::CronError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleSpec {
    /// Cron expressions, matched in UTC.
    pub cron: Vec<CronExpr>,
    /// Fixed intervals from the Unix epoch.
    pub intervals: Vec<IntervalSpec>,
    /// The most each time is delayed by, so that schedules due at the same
    /// moment spread out. Zero fires on time.
    pub jitter: Duration,
    /// No time before this one (milliseconds since the epoch) matches.
    pub start_at: Option<i64>,
    /// No time after this one (milliseconds since the epoch) matches.
    pub end_at: Option<i64>,
}

/// A time a schedule fires: its nominal time, as its spec says, and the
/// actual time, the nominal time plus jitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FireTime {
    /// The time the spec matches, in milliseconds since the epoch.
    pub nominal_ms: i64,
    /// When to take the action: the nominal time plus its jitter.
    pub actual_ms: i64,
}

impl ScheduleSpec {
    /// A spec that matches nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a cron expression.
    pub fn cron(mut self, expr: CronExpr) -> Self {
        self.cron.push(expr);
        self
    }

    /// Adds an interval.
    pub fn interval(mut self, interval: IntervalSpec) -> Self {
        self.intervals.push(interval);
        self
    }

    /// Sets the most each time is delayed by.
    pub fn jitter(mut self, jitter: Duration) -> Self {
        self.jitter = jitter;
        self
    }

    /// Matches no time before `at`.
    pub fn start_at(mut self, at: SystemTime) -> Self {
        self.start_at = Some(epoch_ms(at));
        self
    }

    /// Matches no time after `at`.
    pub fn end_at(mut self, at: SystemTime) -> Self {
        self.end_at = Some(epoch_ms(at));
        self
    }

    /// Whether Temporal would take it: every interval valid, and the end
    /// not before the start. Check a spec before storing it; one that fails
    /// still never panics, its bad intervals just fire oddly.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_client::schedule::{IntervalSpec, ScheduleSpec};
    /// let spec = ScheduleSpec::new().interval(IntervalSpec { every: Duration::from_millis(10), offset: Duration::ZERO });
    /// assert_eq!(spec.validate().unwrap_err().to_string(), "interval every 10ms is shorter than the minimum of 1s");
    /// ```
    pub fn validate(&self) -> Result<(), SpecError> {
        self.intervals.iter().try_for_each(IntervalSpec::validate)?;
        match (self.start_at, self.end_at) {
            (Some(start_at), Some(end_at)) if end_at < start_at => Err(SpecError::EndBeforeStart { start_at, end_at }),
            _ => Ok(()),
        }
    }

    /// The earliest nominal time strictly after `after_ms` that a cron
    /// expression or an interval matches, within `start_at..=end_at`; `None`
    /// when there is none.
    pub fn next_after(&self, after_ms: i64) -> Option<i64> {
        // Start just before `start_at`, so that `start_at` itself can match.
        let after_ms = match self.start_at {
            Some(start_at) if after_ms < start_at => start_at.saturating_sub(1),
            _ => after_ms,
        };
        let next = self.unbounded_next_after(after_ms)?;
        self.end_at.is_none_or(|end_at| next <= end_at).then_some(next)
    }

    /// The next time the schedule `schedule_id` fires after `after_ms`: the
    /// nominal time from [`next_after`](Self::next_after) and the actual
    /// time with [`jitter_ms`](Self::jitter_ms) added.
    ///
    /// To walk the times in order, pass the previous *actual* time, as
    /// Temporal does: jitter never delays a time past the next nominal one.
    pub fn next_fire(&self, schedule_id: &str, after_ms: i64) -> Option<FireTime> {
        let nominal_ms = self.next_after(after_ms)?;
        Some(FireTime {
            nominal_ms,
            actual_ms: nominal_ms.saturating_add(self.jitter_ms(schedule_id, nominal_ms)),
        })
    }

    /// How long after `nominal_ms` the schedule `schedule_id` fires: in
    /// `0..jitter`, and, as in Temporal, before the following nominal time.
    /// It is a hash of the id and the time (64-bit FNV-1a), so the same
    /// schedule always fires at the same actual time, across processes and
    /// restarts, while schedules sharing a spec spread out.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_client::schedule::ScheduleSpec;
    /// let spec = ScheduleSpec::new().cron("@hourly".parse()?).jitter(Duration::from_secs(60));
    /// let jitter = spec.jitter_ms("nightly", 0);
    /// assert!((0..60_000).contains(&jitter));
    /// assert_eq!(spec.jitter_ms("nightly", 0), jitter);
    /// # Ok::<(), workflow_client::schedule::CronError>(())
    /// ```
    pub fn jitter_ms(&self, schedule_id: &str, nominal_ms: i64) -> i64 {
        let jitter = millis(self.jitter);
        let limit = match self.unbounded_next_after(nominal_ms) {
            Some(following) => jitter.min(following.saturating_sub(nominal_ms)),
            None => jitter,
        };
        if limit <= 0 {
            return 0;
        }
        let hash = fnv1a(schedule_id.as_bytes().iter().chain(&nominal_ms.to_le_bytes()));
        // Scales the hash into 0..limit: its top bits, not a modulo, so
        // every value is about as likely.
        ((u128::from(hash) * limit as u128) >> 64) as i64
    }

    /// The earliest time any cron expression or interval matches, ignoring
    /// `start_at` and `end_at`.
    fn unbounded_next_after(&self, after_ms: i64) -> Option<i64> {
        let crons = self.cron.iter().filter_map(|expr| expr.next_after(after_ms));
        let intervals = self
            .intervals
            .iter()
            .filter_map(|interval| interval.next_after(after_ms));
        crons.chain(intervals).min()
    }
}

/// A spec Temporal would refuse (see [`ScheduleSpec::validate`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SpecError {
    /// An interval shorter than one second.
    #[error("interval every {every:?} is shorter than the minimum of 1s")]
    IntervalTooShort {
        /// The interval's period.
        every: Duration,
    },
    /// An interval offset as long as its period or longer.
    #[error("interval offset {offset:?} is not shorter than its period {every:?}")]
    OffsetNotShorter {
        /// The interval's period.
        every: Duration,
        /// The interval's offset.
        offset: Duration,
    },
    /// An end time before the start time.
    #[error("schedule ends at {} before it starts at {}", format_rfc3339(*end_at), format_rfc3339(*start_at))]
    EndBeforeStart {
        /// The start, in milliseconds since the epoch.
        start_at: i64,
        /// The end, in milliseconds since the epoch.
        end_at: i64,
    },
}

/// Whole milliseconds, saturating: no schedule spans 292 million years.
pub(super) fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn epoch_ms(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) => millis(since),
        Err(before) => -millis(before.duration()),
    }
}

/// 64-bit FNV-1a: stable across processes and Rust versions, unlike std's
/// randomly seeded hasher.
fn fnv1a<'a>(bytes: impl IntoIterator<Item = &'a u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::schedule::test_time::utc;

    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;

    fn every(secs: u64, offset_secs: u64) -> IntervalSpec {
        IntervalSpec::new(Duration::from_secs(secs), Duration::from_secs(offset_secs)).unwrap()
    }

    #[test]
    fn intervals_fire_at_multiples_of_every_from_the_epoch_plus_the_offset() {
        let spec = ScheduleSpec::new().interval(every(3600, 900));
        assert_eq!(spec.next_after(utc(2026, 12, 2, 3, 0)), Some(utc(2026, 12, 2, 3, 15)));
        assert_eq!(spec.next_after(utc(2026, 12, 2, 3, 15)), Some(utc(2026, 12, 2, 4, 15)));
        assert_eq!(spec.next_after(-HOUR), Some(-45 * MINUTE));
        // Seven days from the epoch, a Thursday, with no offset.
        let weekly = ScheduleSpec::new().interval(every(7 * 86_400, 0));
        assert_eq!(weekly.next_after(utc(2026, 12, 2, 0, 0)), Some(utc(2026, 12, 3, 0, 0)));
    }

    #[test]
    fn intervals_temporal_refuses_are_errors() {
        let check = |every, offset| IntervalSpec::new(every, offset).map_err(|err| err.to_string());
        assert_eq!(
            check(Duration::ZERO, Duration::ZERO),
            Err("interval every 0ns is shorter than the minimum of 1s".into())
        );
        assert_eq!(
            check(Duration::from_secs(60), Duration::from_secs(60)),
            Err("interval offset 60s is not shorter than its period 60s".into())
        );
        assert!(check(Duration::from_secs(1), Duration::from_millis(999)).is_ok());
        // A zero interval read from disk is refused by validate and still never panics.
        let zero = ScheduleSpec::new().interval(IntervalSpec {
            every: Duration::ZERO,
            offset: Duration::ZERO,
        });
        assert!(zero.validate().is_err());
        assert_eq!(zero.next_after(41), Some(42));
    }

    #[test]
    fn the_earliest_of_all_crons_and_intervals_wins() {
        let spec = ScheduleSpec::new()
            .cron("0 3 * * *".parse().unwrap())
            .cron("0 12 * * *".parse().unwrap())
            .interval(every(6 * 3600, 0));
        let times: Vec<i64> = std::iter::successors(spec.next_after(utc(2026, 12, 2, 0, 0)), |&t| spec.next_after(t))
            .take(5)
            .collect();
        // 12:00 matches twice and fires once.
        let expected = [3, 6, 12, 18].map(|h| utc(2026, 12, 2, h, 0));
        assert_eq!(times, [&expected[..], &[utc(2026, 12, 3, 0, 0)]].concat());
    }

    #[test]
    fn start_and_end_are_inclusive() {
        let start = utc(2026, 12, 2, 3, 0);
        let end = utc(2026, 12, 4, 3, 0);
        let spec = ScheduleSpec {
            start_at: Some(start),
            end_at: Some(end),
            ..ScheduleSpec::new()
        }
        .cron("0 3 * * *".parse().unwrap());
        assert_eq!(spec.next_after(utc(2026, 1, 1, 0, 0)), Some(start));
        assert_eq!(spec.next_after(start), Some(utc(2026, 12, 3, 3, 0)));
        assert_eq!(spec.next_after(utc(2026, 12, 3, 3, 0)), Some(end));
        assert_eq!(spec.next_after(end), None);
        let reversed = ScheduleSpec {
            start_at: Some(end),
            end_at: Some(start),
            ..ScheduleSpec::new()
        };
        assert_eq!(
            reversed.validate().unwrap_err().to_string(),
            "schedule ends at 2026-12-02T03:00:00Z before it starts at 2026-12-04T03:00:00Z"
        );
    }

    #[test]
    fn system_times_convert_to_epoch_milliseconds() {
        let spec = ScheduleSpec::new()
            .start_at(UNIX_EPOCH - Duration::from_millis(1500))
            .end_at(UNIX_EPOCH + Duration::from_secs(86_400));
        assert_eq!((spec.start_at, spec.end_at), (Some(-1500), Some(86_400_000)));
    }

    #[test]
    fn jitter_is_deterministic_bounded_and_spread() {
        let spec = ScheduleSpec::new()
            .interval(every(3600, 0))
            .jitter(Duration::from_secs(600));
        let jitters: Vec<i64> = (0..1000).map(|hour| spec.jitter_ms("nightly", hour * HOUR)).collect();
        assert!(jitters.iter().all(|j| (0..600_000).contains(j)));
        assert_eq!(
            jitters,
            (0..1000)
                .map(|hour| spec.jitter_ms("nightly", hour * HOUR))
                .collect::<Vec<_>>()
        );
        // Spread over the whole range, not bunched at one end.
        assert!(jitters.iter().any(|&j| j < 60_000) && jitters.iter().any(|&j| j > 540_000));
        // Another schedule with the same spec fires at other times.
        let others = (0..1000).filter(|&hour| spec.jitter_ms("hourly", hour * HOUR) != jitters[hour as usize]);
        assert!(others.count() > 990);
        assert_eq!(ScheduleSpec::new().interval(every(3600, 0)).jitter_ms("nightly", 0), 0);
    }

    #[test]
    fn jitter_never_delays_a_time_past_the_next_one() {
        let spec = ScheduleSpec::new()
            .interval(every(60, 0))
            .jitter(Duration::from_secs(3600));
        assert!((0..1000).all(|minute| spec.jitter_ms("s", minute * MINUTE) < MINUTE));
        let mut after = 0;
        for _ in 0..100 {
            let fire = spec.next_fire("s", after).unwrap();
            assert_eq!(
                fire.nominal_ms,
                after.div_euclid(MINUTE) * MINUTE + MINUTE,
                "no minute is skipped"
            );
            after = fire.actual_ms;
        }
    }

    #[test]
    fn json_uses_stable_field_names_and_cron_text() {
        let spec = ScheduleSpec::new()
            .cron("0 9 * * MON-FRI".parse().unwrap())
            .interval(every(3600, 60))
            .jitter(Duration::from_secs(30));
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "cron": ["0 9 * * 1-5"],
                "intervals": [{"every": {"secs": 3600, "nanos": 0}, "offset": {"secs": 60, "nanos": 0}}],
                "jitter": {"secs": 30, "nanos": 0},
                "start_at": null,
                "end_at": null,
            })
        );
        assert_eq!(serde_json::from_value::<ScheduleSpec>(json).unwrap(), spec);
        assert_eq!(
            serde_json::from_str::<ScheduleSpec>(r#"{"cron": ["@daily"]}"#).unwrap(),
            ScheduleSpec {
                cron: vec!["0 0 * * *".parse().unwrap()],
                ..ScheduleSpec::new()
            }
        );
    }

    const CRONS: [&str; 8] = [
        "*/7 * * * *",
        "0 3 * * *",
        "15,45 */2 * * MON-FRI",
        "0 0 13 * FRI",
        "30 12 29 2 *",
        "59 23 31 * *",
        "0 0 1 */3 *",
        "5-10 8 * * 0",
    ];

    proptest! {
        #[test]
        fn next_after_agrees_with_a_minute_by_minute_scan(
            crons in proptest::sample::subsequence(&CRONS[..], 0..3),
            intervals in proptest::collection::vec((1..=600u64, 0..600u64), 0..3),
            start_at in proptest::option::of(0..90 * 86_400_000i64),
            end_at in proptest::option::of(0..90 * 86_400_000i64),
            after in 0..60 * 86_400_000i64,
        ) {
            const SCAN_MINUTES: i64 = 3 * 1440;
            let base = utc(2026, 1, 1, 0, 0);
            let spec = ScheduleSpec {
                cron: crons.iter().map(|text| text.parse().unwrap()).collect(),
                intervals: intervals
                    .iter()
                    .map(|&(every, offset)| IntervalSpec {
                        every: Duration::from_secs(every * 60),
                        offset: Duration::from_secs(offset % every * 60),
                    })
                    .collect(),
                jitter: Duration::ZERO,
                start_at: start_at.map(|at| base + at),
                end_at: end_at.map(|at| base + at),
            };
            let matches = |t: i64| {
                spec.start_at.is_none_or(|start| t >= start)
                    && spec.end_at.is_none_or(|end| t <= end)
                    && (spec.cron.iter().any(|expr| expr.next_after(t - 1) == Some(t))
                        || spec.intervals.iter().any(|iv| (t - millis(iv.offset)) % millis(iv.every) == 0))
            };
            let after = base + after;
            let first = after.div_euclid(MINUTE) + 1;
            let scanned = (first..first + SCAN_MINUTES).map(|minute| minute * MINUTE).find(|&t| matches(t));
            match (scanned, spec.next_after(after)) {
                (Some(t), found) => prop_assert_eq!(found, Some(t)),
                (None, Some(found)) => prop_assert!(found >= (first + SCAN_MINUTES) * MINUTE && matches(found)),
                (None, None) => {}
            }
        }
    }
}
