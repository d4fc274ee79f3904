//! What an engine stores per schedule, and the step that turns the passing
//! of time into actions: Temporal's scheduler workflow without the I/O.

use serde::{Deserialize, Serialize};

use super::buffer::{self, BufferedStart};
use super::policy::{OverlapPolicy, SchedulePolicies};
use super::spec::ScheduleSpec;
use crate::timestamp::format_rfc3339;

/// The most starts a buffer holds, as in Temporal; more are dropped and
/// counted in [`ScheduleInfo::buffer_dropped`].
const MAX_BUFFERED: usize = 1000;
/// How many actions [`ScheduleInfo::recent_actions`] keeps, as in Temporal.
const RECENT_ACTIONS: usize = 10;

/// A workflow start a schedule asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleStart {
    /// The time the spec matched, or the trigger time, in milliseconds
    /// since the epoch.
    pub nominal_ms: i64,
    /// The nominal time plus jitter: when the start was due.
    pub actual_ms: i64,
    /// The action's workflow id, `-`, and the nominal time to the second in
    /// RFC 3339 (`report-2026-12-02T03:00:00Z`), as Temporal names them.
    pub workflow_id: String,
    /// Triggered by hand. Temporal starts scheduled runs with
    /// `IdReusePolicy::RejectDuplicate`, so a start repeated after a crash
    /// cannot run twice, and manual ones with `AllowDuplicate`.
    pub manual: bool,
}

/// What [`ScheduleState::tick`] asks the engine to do, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ScheduleAction {
    /// Start the schedule's workflow with this id.
    Start(ScheduleStart),
    /// Request cancellation of the running workflow; the start that asked
    /// for it waits in the buffer until the workflow closes. Repeated by
    /// each tick until then, so it survives a crash: treat it as
    /// idempotent.
    CancelRunning {
        /// The running workflow's id.
        workflow_id: String,
    },
    /// Terminate the running workflow; as `CancelRunning` otherwise.
    TerminateRunning {
        /// The running workflow's id.
        workflow_id: String,
    },
}

/// How a workflow a schedule started ended, for
/// [`ScheduleState::action_closed`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ActionOutcome {
    /// Returned a value.
    Completed,
    /// Failed after its retries.
    Failed {
        /// The failure's message, for the pause note.
        message: String,
    },
    /// Ran out of its run or execution timeout.
    TimedOut,
    /// Was canceled.
    Canceled,
    /// Was terminated.
    Terminated,
}

/// What a schedule has done so far, as Temporal's `ScheduleInfo`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScheduleInfo {
    /// Workflows started.
    pub num_actions: u64,
    /// Actions dropped because a workflow was running
    /// ([`OverlapPolicy::Skip`] and [`OverlapPolicy::BufferOne`]).
    pub num_actions_skipped_overlap: u64,
    /// Actions dropped because their time was older than the catch-up
    /// window when the schedule was processed.
    pub num_actions_missed_catchup_window: u64,
    /// Actions dropped because the buffer already held 1000 starts.
    pub buffer_dropped: u64,
    /// The last ten starts, oldest first.
    pub recent_actions: Vec<ScheduleStart>,
}

/// What an engine stores per schedule, next to its spec and policies:
/// how far time has been processed, the paused flag, the starts waiting
/// their turn, the workflow running, and [`ScheduleInfo`].
///
/// The engine drives it without I/O of its own:
///
/// - sleep until [`next_wake`](Self::next_wake), then [`tick`](Self::tick)
///   and carry out the actions it returns, in order;
/// - when the workflow in [`running_workflow_id`](Self::running_workflow_id)
///   closes, report it with [`action_closed`](Self::action_closed) and
///   tick, so a start waiting for it goes;
/// - after [`trigger_now`](Self::trigger_now), [`unpause`](Self::unpause)
///   or [`updated`](Self::updated), tick;
/// - on startup, check that the running workflow is still open, then tick:
///   times missed while no process ran are caught up within the
///   catch-up window and counted as missed beyond it.
///
/// ```
/// # use workflow_client::schedule::*;
/// let spec = ScheduleSpec::new().cron("0 3 * * *".parse()?);
/// let policies = SchedulePolicies::new();
/// let created = 1_796_169_600_000; // 2026-12-02T00:00:00Z
/// let mut state = ScheduleState::new(created);
///
/// let wake = state.next_wake(&spec, "nightly").unwrap();
/// assert_eq!(wake, created + 3 * 3_600_000);
/// let actions = state.tick(&spec, &policies, "nightly", "report", wake);
/// let [ScheduleAction::Start(start)] = &actions[..] else { panic!("{actions:?}") };
/// assert_eq!(start.workflow_id, "report-2026-12-02T03:00:00Z");
/// assert_eq!(state.running_workflow_id(), Some("report-2026-12-02T03:00:00Z"));
///
/// // The run completes; nothing else is due until tomorrow.
/// state.action_closed(&start.workflow_id, ActionOutcome::Completed, &policies);
/// assert!(state.tick(&spec, &policies, "nightly", "report", wake + 1).is_empty());
/// assert_eq!(state.next_wake(&spec, "nightly"), Some(wake + 86_400_000));
/// # Ok::<(), CronError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScheduleState {
    /// Every time the spec matches up to this one has been processed.
    last_processed_ms: i64,
    paused: bool,
    note: String,
    buffered_starts: Vec<BufferedStart>,
    /// The tracked workflow, which later actions overlap with.
    running_workflow_id: Option<String>,
    info: ScheduleInfo,
}

impl ScheduleState {
    /// The state of a schedule created at `created_ms`: times before it
    /// are not caught up.
    pub fn new(created_ms: i64) -> Self {
        ScheduleState {
            last_processed_ms: created_ms,
            paused: false,
            note: String::new(),
            buffered_starts: Vec::new(),
            running_workflow_id: None,
            info: ScheduleInfo::default(),
        }
    }

    /// Processes the times from the last tick to `now_ms`, then returns
    /// what to do now. `schedule_id` seeds the jitter; `workflow_id` is
    /// the action's workflow id, which each start's nominal time is
    /// appended to.
    ///
    /// Each time whose actual time has come goes into the buffer, oldest
    /// first, unless it is older than the catch-up window (then it is
    /// counted as missed) or the schedule is paused (then it passes
    /// unseen, counted nowhere, as in Temporal). The buffer then gives at
    /// most one tracked start per tick, plus any [`OverlapPolicy::AllowAll`]
    /// ones: the times after it overlap with it even if it closes at once.
    /// So after a month away, a daily schedule that catches up with
    /// [`OverlapPolicy::Skip`] starts the oldest time and skips the rest,
    /// while with [`OverlapPolicy::BufferAll`] it starts them all, one per
    /// tick after each run closes.
    pub fn tick(
        &mut self,
        spec: &ScheduleSpec,
        policies: &SchedulePolicies,
        schedule_id: &str,
        workflow_id: &str,
        now_ms: i64,
    ) -> Vec<ScheduleAction> {
        self.buffer_due(spec, policies, schedule_id, now_ms);
        self.take_buffered(policies, workflow_id)
    }

    /// When to tick next: the actual time of the next time the spec
    /// matches, or `None` while paused or when no time is left.
    pub fn next_wake(&self, spec: &ScheduleSpec, schedule_id: &str) -> Option<i64> {
        if self.paused {
            return None;
        }
        spec.next_fire(schedule_id, self.last_processed_ms)
            .map(|fire| fire.actual_ms)
    }

    /// Records that the tracked workflow `workflow_id` closed, so the next
    /// start no longer overlaps it; if it failed or timed out and the
    /// policies say so, pauses the schedule with a note saying why. Returns
    /// whether `workflow_id` was the tracked workflow: runs started with
    /// [`OverlapPolicy::AllowAll`] are not tracked and change nothing.
    pub fn action_closed(&mut self, workflow_id: &str, outcome: ActionOutcome, policies: &SchedulePolicies) -> bool {
        if self.running_workflow_id.as_deref() != Some(workflow_id) {
            return false;
        }
        self.running_workflow_id = None;
        if policies.pause_on_failure && !self.paused {
            match outcome {
                ActionOutcome::Failed { message } => {
                    self.pause(format!("paused due to workflow failure: {workflow_id}: {message}"));
                }
                ActionOutcome::TimedOut => self.pause(format!("paused due to workflow timeout: {workflow_id}")),
                ActionOutcome::Completed | ActionOutcome::Canceled | ActionOutcome::Terminated => {}
            }
        }
        true
    }

    /// Buffers an action at `now_ms`, taken at the next tick even while
    /// paused, under `overlap` or, if `None`, the schedule's policy.
    pub fn trigger_now(&mut self, now_ms: i64, overlap: Option<OverlapPolicy>) {
        self.buffer(BufferedStart {
            nominal_ms: now_ms,
            actual_ms: now_ms,
            overlap,
            manual: true,
        });
    }

    /// Pauses the schedule: no scheduled action is taken, or counted as
    /// missed, until [`unpause`](Self::unpause).
    pub fn pause(&mut self, note: impl Into<String>) {
        self.paused = true;
        self.note = note.into();
    }

    /// Unpauses the schedule at `now_ms`: the times that passed while it
    /// was paused are not caught up.
    pub fn unpause(&mut self, now_ms: i64, note: impl Into<String>) {
        if self.paused {
            self.skip_to(now_ms);
        }
        self.paused = false;
        self.note = note.into();
    }

    /// Records that the schedule's spec or policies changed at `now_ms`:
    /// times before it are not caught up under the new spec (Temporal
    /// drops them too).
    pub fn updated(&mut self, now_ms: i64) {
        self.skip_to(now_ms);
    }

    /// Whether the schedule is paused.
    pub fn paused(&self) -> bool {
        self.paused
    }

    /// Why it was last paused or unpaused.
    pub fn note(&self) -> &str {
        &self.note
    }

    /// The tracked workflow it started last, while that runs.
    pub fn running_workflow_id(&self) -> Option<&str> {
        self.running_workflow_id.as_deref()
    }

    /// The starts waiting their turn, oldest first.
    pub fn buffered_starts(&self) -> &[BufferedStart] {
        &self.buffered_starts
    }

    /// Every time the spec matches up to this one has been processed: the
    /// next action times follow it ([`ScheduleSpec::next_fire`]).
    pub fn last_processed_ms(&self) -> i64 {
        self.last_processed_ms
    }

    /// Counts and recent actions.
    pub fn info(&self) -> &ScheduleInfo {
        &self.info
    }

    fn buffer_due(&mut self, spec: &ScheduleSpec, policies: &SchedulePolicies, schedule_id: &str, now_ms: i64) {
        if self.paused {
            return self.skip_to(now_ms);
        }
        let window = policies.catchup_window_ms();
        let due = |after| {
            spec.next_fire(schedule_id, after)
                .filter(|fire| fire.actual_ms <= now_ms)
        };
        while let Some(fire) = due(self.last_processed_ms) {
            // Processed up to this actual time, not to `now_ms`: a time
            // whose nominal time has passed but whose actual time has not
            // is found again by the next tick.
            self.last_processed_ms = fire.actual_ms;
            if now_ms.saturating_sub(fire.actual_ms) > window {
                self.info.num_actions_missed_catchup_window += 1;
            } else {
                self.buffer(BufferedStart {
                    nominal_ms: fire.nominal_ms,
                    actual_ms: fire.actual_ms,
                    overlap: None,
                    manual: false,
                });
            }
        }
    }

    fn take_buffered(&mut self, policies: &SchedulePolicies, workflow_id: &str) -> Vec<ScheduleAction> {
        let mut actions = Vec::new();
        loop {
            let buffered = std::mem::take(&mut self.buffered_starts);
            let decision = buffer::decide(buffered, self.running_workflow_id.is_some(), policies.overlap);
            self.buffered_starts = decision.buffer;
            self.info.num_actions_skipped_overlap += decision.skipped;
            let mut dropped = false;
            let starts = decision.overlapping.into_iter().map(|start| (start, false));
            for (start, tracked) in starts.chain(decision.next.map(|start| (start, true))) {
                // A scheduled start that comes up while paused is dropped,
                // one triggered by hand still goes.
                if self.paused && !start.manual {
                    dropped = true;
                    continue;
                }
                actions.push(ScheduleAction::Start(self.record_start(start, workflow_id, tracked)));
            }
            if let Some(workflow_id) = self.running_workflow_id.clone() {
                if decision.terminate {
                    actions.push(ScheduleAction::TerminateRunning { workflow_id });
                } else if decision.cancel {
                    actions.push(ScheduleAction::CancelRunning { workflow_id });
                }
            }
            // A dropped start makes way for the next one in the buffer.
            if !dropped {
                return actions;
            }
        }
    }

    fn record_start(&mut self, start: BufferedStart, workflow_id: &str, tracked: bool) -> ScheduleStart {
        let nominal_second = start.nominal_ms - start.nominal_ms.rem_euclid(1000);
        let started = ScheduleStart {
            nominal_ms: start.nominal_ms,
            actual_ms: start.actual_ms,
            workflow_id: format!("{workflow_id}-{}", format_rfc3339(nominal_second)),
            manual: start.manual,
        };
        if tracked {
            self.running_workflow_id = Some(started.workflow_id.clone());
        }
        self.info.num_actions += 1;
        if self.info.recent_actions.len() == RECENT_ACTIONS {
            self.info.recent_actions.remove(0);
        }
        self.info.recent_actions.push(started.clone());
        started
    }

    fn buffer(&mut self, start: BufferedStart) {
        if self.buffered_starts.len() < MAX_BUFFERED {
            self.buffered_starts.push(start);
        } else {
            self.info.buffer_dropped += 1;
        }
    }

    fn skip_to(&mut self, now_ms: i64) {
        self.last_processed_ms = self.last_processed_ms.max(now_ms);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::schedule::test_time::utc;
    use OverlapPolicy::*;

    const SCHEDULE: &str = "nightly";
    const WORKFLOW: &str = "report";
    const DAY: i64 = 86_400_000;

    fn daily() -> ScheduleSpec {
        ScheduleSpec::new().cron("0 3 * * *".parse().unwrap())
    }

    fn policies(overlap: OverlapPolicy, catchup_days: u64) -> SchedulePolicies {
        SchedulePolicies::new()
            .overlap(overlap)
            .catchup_window(Duration::from_secs(catchup_days * 86_400))
    }

    /// The starts among `actions`, which must all be starts.
    fn started(actions: Vec<ScheduleAction>) -> Vec<ScheduleStart> {
        actions
            .into_iter()
            .map(|action| match action {
                ScheduleAction::Start(start) => start,
                other => panic!("expected only starts, got {other:?}"),
            })
            .collect()
    }

    fn nov_3am(day: u32) -> i64 {
        utc(2026, 11, day, 3, 0)
    }

    /// A daily schedule created on 1 November whose owner was away for 30
    /// days, ticked on 1 December, with each run closing before the next
    /// tick: what an engine loop sees.
    fn catch_up_with_runs_closing(policies: &SchedulePolicies) -> (ScheduleState, Vec<ScheduleStart>) {
        let mut state = ScheduleState::new(utc(2026, 11, 1, 0, 0));
        let now = utc(2026, 12, 1, 0, 0);
        let mut starts = Vec::new();
        loop {
            let batch = started(state.tick(&daily(), policies, SCHEDULE, WORKFLOW, now));
            let Some(last) = batch.last() else {
                return (state, starts);
            };
            assert_eq!(batch.len(), 1, "one tracked start per tick");
            assert!(state.action_closed(&last.workflow_id, ActionOutcome::Completed, policies));
            starts.extend(batch);
        }
    }

    #[test]
    fn buffer_all_catches_up_every_missed_day_one_run_at_a_time() {
        let (state, starts) = catch_up_with_runs_closing(&policies(BufferAll, 40));
        let nominal: Vec<i64> = starts.iter().map(|start| start.nominal_ms).collect();
        assert_eq!(nominal, (1..=30).map(nov_3am).collect::<Vec<_>>());
        assert_eq!(starts[0].workflow_id, "report-2026-11-01T03:00:00Z");
        assert_eq!(starts[29].workflow_id, "report-2026-11-30T03:00:00Z");
        assert!(starts
            .iter()
            .all(|start| start.actual_ms == start.nominal_ms && !start.manual));
        assert_eq!(
            (state.info().num_actions, state.info().num_actions_skipped_overlap),
            (30, 0)
        );
        assert_eq!(state.info().recent_actions, starts[20..]);
        assert_eq!(state.next_wake(&daily(), SCHEDULE), Some(utc(2026, 12, 1, 3, 0)));
    }

    #[test]
    fn skip_catch_up_starts_the_oldest_time_and_skips_the_rest_while_it_runs() {
        let mut state = ScheduleState::new(utc(2026, 11, 1, 0, 0));
        let policies = policies(Skip, 40);
        let now = utc(2026, 12, 1, 0, 0);
        let starts = started(state.tick(&daily(), &policies, SCHEDULE, WORKFLOW, now));
        assert_eq!(
            starts.iter().map(|start| start.nominal_ms).collect::<Vec<_>>(),
            [nov_3am(1)]
        );
        assert_eq!(state.running_workflow_id(), Some("report-2026-11-01T03:00:00Z"));
        assert!(state
            .tick(&daily(), &policies, SCHEDULE, WORKFLOW, now + 1000)
            .is_empty());
        assert_eq!(
            (state.info().num_actions, state.info().num_actions_skipped_overlap),
            (1, 29)
        );
    }

    #[test]
    fn skip_catch_up_skips_the_rest_even_when_each_run_closes_at_once() {
        // The missed times overlap with the first start, which they are
        // decided with, as in Temporal: use BufferAll to run them all.
        let (state, starts) = catch_up_with_runs_closing(&policies(Skip, 40));
        assert_eq!(starts.len(), 1);
        assert_eq!(state.info().num_actions_skipped_overlap, 29);
    }

    #[test]
    fn times_older_than_the_catch_up_window_are_counted_missed() {
        let (state, starts) = catch_up_with_runs_closing(&policies(BufferAll, 5));
        assert_eq!(state.info().num_actions_missed_catchup_window, 25);
        let nominal: Vec<i64> = starts.iter().map(|start| start.nominal_ms).collect();
        assert_eq!(nominal, (26..=30).map(nov_3am).collect::<Vec<_>>());
    }

    /// A daily schedule whose 2 December run is still open, ticked at 03:00
    /// on the 3rd and the 4th.
    fn overlapping(overlap: OverlapPolicy) -> (ScheduleState, SchedulePolicies, Vec<Vec<ScheduleAction>>) {
        let policies = policies(overlap, 365);
        let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
        let first = started(state.tick(&daily(), &policies, SCHEDULE, WORKFLOW, utc(2026, 12, 2, 3, 0)));
        assert_eq!(first[0].workflow_id, "report-2026-12-02T03:00:00Z");
        let ticks = [3, 4].map(|day| state.tick(&daily(), &policies, SCHEDULE, WORKFLOW, utc(2026, 12, day, 3, 0)));
        (state, policies, ticks.into())
    }

    /// Closes the running workflow and ticks.
    fn close_and_tick(state: &mut ScheduleState, policies: &SchedulePolicies) -> Vec<ScheduleStart> {
        let running = state.running_workflow_id().expect("a running workflow").to_owned();
        assert!(state.action_closed(&running, ActionOutcome::Completed, policies));
        started(state.tick(&daily(), policies, SCHEDULE, WORKFLOW, utc(2026, 12, 4, 4, 0)))
    }

    fn ids(starts: &[ScheduleStart]) -> Vec<&str> {
        starts.iter().map(|start| start.workflow_id.as_str()).collect()
    }

    #[test]
    fn buffer_one_keeps_the_first_overlapping_start_for_when_the_run_closes() {
        let (mut state, policies, ticks) = overlapping(BufferOne);
        assert!(ticks.iter().all(Vec::is_empty));
        assert_eq!(state.info().num_actions_skipped_overlap, 1);
        assert_eq!(
            ids(&close_and_tick(&mut state, &policies)),
            ["report-2026-12-03T03:00:00Z"]
        );
        assert!(close_and_tick(&mut state, &policies).is_empty());
    }

    #[test]
    fn buffer_all_starts_each_overlapping_start_after_the_one_before() {
        let (mut state, policies, ticks) = overlapping(BufferAll);
        assert!(ticks.iter().all(Vec::is_empty));
        assert_eq!(state.buffered_starts().len(), 2);
        assert_eq!(
            ids(&close_and_tick(&mut state, &policies)),
            ["report-2026-12-03T03:00:00Z"]
        );
        assert_eq!(
            ids(&close_and_tick(&mut state, &policies)),
            ["report-2026-12-04T03:00:00Z"]
        );
        assert!(close_and_tick(&mut state, &policies).is_empty());
    }

    #[test]
    fn cancel_other_asks_to_cancel_until_the_run_closes_then_starts_the_latest() {
        let (mut state, policies, ticks) = overlapping(CancelOther);
        let cancel = ScheduleAction::CancelRunning {
            workflow_id: "report-2026-12-02T03:00:00Z".into(),
        };
        assert_eq!(ticks, [vec![cancel.clone()], vec![cancel]]);
        assert_eq!(
            ids(&close_and_tick(&mut state, &policies)),
            ["report-2026-12-04T03:00:00Z"]
        );
        assert!(close_and_tick(&mut state, &policies).is_empty());
    }

    #[test]
    fn terminate_other_asks_to_terminate_then_starts_when_the_run_closes() {
        let (mut state, policies, ticks) = overlapping(TerminateOther);
        let terminate = ScheduleAction::TerminateRunning {
            workflow_id: "report-2026-12-02T03:00:00Z".into(),
        };
        assert_eq!(ticks, [vec![terminate.clone()], vec![terminate]]);
        assert_eq!(
            ids(&close_and_tick(&mut state, &policies)),
            ["report-2026-12-04T03:00:00Z"]
        );
    }

    #[test]
    fn allow_all_starts_while_running_and_leaves_the_tracked_run_alone() {
        let (mut state, policies, ticks) = overlapping(AllowAll);
        let ticks: Vec<Vec<ScheduleStart>> = ticks.into_iter().map(started).collect();
        assert_eq!(ids(&ticks[0]), ["report-2026-12-03T03:00:00Z"]);
        assert_eq!(ids(&ticks[1]), ["report-2026-12-04T03:00:00Z"]);
        // AllowAll runs are never tracked: not even the first.
        assert_eq!(state.running_workflow_id(), None);
        let failed = ActionOutcome::Failed { message: "boom".into() };
        assert!(!state.action_closed("report-2026-12-03T03:00:00Z", failed, &policies.pause_on_failure(true)));
        assert!(!state.paused());
    }

    #[test]
    fn paused_schedules_let_times_pass_without_acting_or_counting_them_missed() {
        let policies = policies(Skip, 365);
        let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
        state.pause("maintenance");
        assert_eq!((state.paused(), state.note()), (true, "maintenance"));
        assert_eq!(state.next_wake(&daily(), SCHEDULE), None);
        assert!(state
            .tick(&daily(), &policies, SCHEDULE, WORKFLOW, utc(2026, 12, 5, 0, 0))
            .is_empty());
        state.unpause(utc(2026, 12, 7, 12, 0), "done");
        assert_eq!((state.paused(), state.note()), (false, "done"));
        assert!(state
            .tick(&daily(), &policies, SCHEDULE, WORKFLOW, utc(2026, 12, 7, 12, 0))
            .is_empty());
        assert_eq!(state.info(), &ScheduleInfo::default());
        assert_eq!(state.next_wake(&daily(), SCHEDULE), Some(utc(2026, 12, 8, 3, 0)));
    }

    #[test]
    fn pausing_drops_buffered_scheduled_starts_as_they_come_up() {
        let (mut state, policies, _) = overlapping(BufferAll);
        state.pause("maintenance");
        assert!(close_and_tick(&mut state, &policies).is_empty());
        assert!(state.buffered_starts().is_empty());
        assert_eq!(state.info().num_actions, 1);
    }

    #[test]
    fn triggered_actions_go_even_when_paused_under_the_overlap_policy_given() {
        let policies = policies(Skip, 365);
        let now = utc(2026, 12, 2, 10, 30) + 250;
        let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
        state.pause("maintenance");
        state.trigger_now(now, None);
        let starts = started(state.tick(&daily(), &policies, SCHEDULE, WORKFLOW, now));
        assert_eq!(
            starts,
            [ScheduleStart {
                nominal_ms: now,
                actual_ms: now,
                workflow_id: "report-2026-12-02T10:30:00Z".into(),
                manual: true,
            }]
        );
        // Now one runs: a Skip trigger is skipped, an AllowAll one goes.
        state.trigger_now(now + 1000, None);
        state.trigger_now(now + 2000, Some(AllowAll));
        let starts = started(state.tick(&daily(), &policies, SCHEDULE, WORKFLOW, now + 2000));
        assert_eq!(ids(&starts), ["report-2026-12-02T10:30:02Z"]);
        assert_eq!(state.info().num_actions_skipped_overlap, 1);
    }

    #[test]
    fn pause_on_failure_pauses_with_a_note_naming_the_run() {
        let policies = policies(Skip, 365).pause_on_failure(true);
        let run = |outcome: ActionOutcome| {
            let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
            state.tick(&daily(), &policies, SCHEDULE, WORKFLOW, utc(2026, 12, 2, 3, 0));
            assert!(state.action_closed("report-2026-12-02T03:00:00Z", outcome, &policies));
            assert_eq!(state.running_workflow_id(), None);
            state.paused().then(|| state.note().to_owned())
        };
        assert_eq!(
            run(ActionOutcome::Failed { message: "boom".into() }).as_deref(),
            Some("paused due to workflow failure: report-2026-12-02T03:00:00Z: boom")
        );
        assert_eq!(
            run(ActionOutcome::TimedOut).as_deref(),
            Some("paused due to workflow timeout: report-2026-12-02T03:00:00Z")
        );
        for outcome in [
            ActionOutcome::Completed,
            ActionOutcome::Canceled,
            ActionOutcome::Terminated,
        ] {
            assert_eq!(run(outcome), None);
        }
    }

    #[test]
    fn jittered_times_fire_at_their_actual_time_under_their_nominal_name() {
        let spec = daily().jitter(Duration::from_secs(3600));
        let policies = policies(Skip, 365);
        let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
        let wake = state.next_wake(&spec, SCHEDULE).unwrap();
        let nominal = utc(2026, 12, 2, 3, 0);
        assert_eq!(wake, nominal + spec.jitter_ms(SCHEDULE, nominal));
        assert!(wake > nominal, "this id and time have a jitter");
        assert!(state.tick(&spec, &policies, SCHEDULE, WORKFLOW, wake - 1).is_empty());
        let starts = started(state.tick(&spec, &policies, SCHEDULE, WORKFLOW, wake));
        assert_eq!(
            starts.iter().map(|s| (s.nominal_ms, s.actual_ms)).collect::<Vec<_>>(),
            [(nominal, wake)]
        );
        assert_eq!(starts[0].workflow_id, "report-2026-12-02T03:00:00Z");
    }

    #[test]
    fn recent_actions_keep_the_last_ten() {
        let spec = ScheduleSpec::new().cron("@hourly".parse().unwrap());
        let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
        let starts = started(state.tick(
            &spec,
            &policies(AllowAll, 365),
            SCHEDULE,
            WORKFLOW,
            utc(2026, 12, 2, 12, 0),
        ));
        assert_eq!(starts.len(), 12);
        assert_eq!(state.info().num_actions, 12);
        assert_eq!(state.info().recent_actions, starts[2..]);
    }

    #[test]
    fn the_buffer_holds_at_most_a_thousand_starts() {
        let spec = ScheduleSpec::new().cron("* * * * *".parse().unwrap());
        let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
        state.tick(
            &spec,
            &policies(BufferAll, 365),
            SCHEDULE,
            WORKFLOW,
            utc(2026, 12, 4, 0, 0),
        );
        assert_eq!(state.info().buffer_dropped, 2 * 1440 - 1000);
        assert_eq!((state.info().num_actions, state.buffered_starts().len()), (1, 999));
    }

    #[test]
    fn an_update_does_not_catch_up_times_before_it() {
        let policies = policies(Skip, 365);
        let mut state = ScheduleState::new(utc(2026, 12, 2, 0, 0));
        let hourly = ScheduleSpec::new().cron("@hourly".parse().unwrap());
        state.updated(utc(2026, 12, 2, 15, 30));
        let starts = started(state.tick(&hourly, &policies, SCHEDULE, WORKFLOW, utc(2026, 12, 2, 16, 0)));
        assert_eq!(ids(&starts), ["report-2026-12-02T16:00:00Z"]);
    }

    #[test]
    fn the_state_round_trips_through_json() {
        let (mut state, _, _) = overlapping(BufferAll);
        state.pause("maintenance");
        state.trigger_now(utc(2026, 12, 4, 5, 0), Some(AllowAll));
        let json = serde_json::to_value(&state).unwrap();
        for field in [
            "last_processed_ms",
            "paused",
            "note",
            "buffered_starts",
            "running_workflow_id",
            "info",
        ] {
            assert!(json.get(field).is_some(), "{field} in {json}");
        }
        assert_eq!(serde_json::from_value::<ScheduleState>(json).unwrap(), state);
    }

    #[test]
    fn times_before_the_epoch_name_their_second() {
        let mut state = ScheduleState::new(-DAY);
        let spec = ScheduleSpec::new().cron("* * * * *".parse().unwrap());
        let starts = started(state.tick(&spec, &policies(Skip, 365), SCHEDULE, WORKFLOW, -DAY + 60_000));
        assert_eq!(ids(&starts), ["report-1969-12-31T00:01:00Z"]);
    }
}
