//! History <-> activations: which events feed a run, which record its
//! commands, and replay with nondeterminism detection.

use std::collections::BTreeSet;
use std::time::Duration;

use workflow_client::{Event, EventKind, Failure, Marker, SearchAttributeUpdate};

use crate::executor::{RunInstance, TaskFailure};
use crate::protocol::{Activation, Command, Job, WorkflowInfo};

/// Replay found a command that differs from recorded history.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("nondeterminism at event {event_id}: history has {expected}, workflow code issued {actual}")]
pub struct Nondeterminism {
    /// The history event that does not match.
    pub event_id: u64,
    /// What history recorded there.
    pub expected: String,
    /// What the code produced instead.
    pub actual: String,
}

/// Why a replay stopped.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// The code issues different commands than history recorded.
    #[error(transparent)]
    Nondeterminism(#[from] Nondeterminism),
    /// The code failed (panicked) while replaying.
    #[error(transparent)]
    Task(#[from] TaskFailure),
    /// The history is not one a run could have recorded.
    #[error("not a workflow history: {0}")]
    History(String),
    /// No registered workflow type replays this history.
    #[error("workflow type `{workflow_type}` is not registered with the replayer")]
    UnknownWorkflowType {
        /// The type the history names.
        workflow_type: String,
    },
    /// The histories to replay could not be read (a workflow file or a
    /// directory of exports).
    #[error("cannot read histories from {}: {message}", path.display())]
    Source {
        /// The file or directory.
        path: std::path::PathBuf,
        /// Why.
        message: String,
    },
}

/// Inputs to the "continue as new suggested" flag, a pure function of
/// history so that replay sees what the live run saw.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Suggest {
    pub(crate) history_events: u64,
    pub(crate) signals: u64,
}

impl Suggest {
    pub(crate) fn suggested(self, limits: &crate::limits::Limits) -> bool {
        self.history_events >= limits.continue_as_new_history_events
            || self.signals.saturating_mul(10) >= (limits.max_received_signals as u64).saturating_mul(8)
    }
}

/// Whether an event records a command (as opposed to an input to the run).
pub(crate) fn is_command_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::TimerStarted { .. }
            | EventKind::TimerCanceled { .. }
            | EventKind::ActivityTaskScheduled { .. }
            | EventKind::ActivityTaskCancelRequested { .. }
            | EventKind::SignalExternalWorkflowExecutionInitiated { .. }
            | EventKind::RequestCancelExternalWorkflowExecutionInitiated { .. }
            | EventKind::StartChildWorkflowExecutionInitiated { .. }
            | EventKind::WorkflowExecutionUpdateCompleted { .. }
            | EventKind::WorkflowExecutionCompleted { .. }
            | EventKind::WorkflowExecutionFailed { .. }
            | EventKind::WorkflowExecutionCanceled
            | EventKind::WorkflowExecutionContinuedAsNew { .. }
            | EventKind::MarkerRecorded { .. }
            | EventKind::UpsertWorkflowSearchAttributes { .. }
            | EventKind::WorkflowPropertiesModified { .. }
    )
}

/// The job a local activity's marker delivers: the call's outcome. The
/// marker is recorded among the commands of the task that took it in, after
/// those the run issued before it resolved, as Temporal's Core records it.
pub(crate) fn local_activity_resolution(kind: &EventKind) -> Option<Job> {
    match kind {
        EventKind::MarkerRecorded {
            marker: Marker::LocalActivity { seq, result, .. },
        } => Some(Job::ResolveActivity {
            seq: *seq,
            result: result.clone(),
        }),
        _ => None,
    }
}

/// The patch a marker event records, with its deprecated flag.
fn patch_marker(kind: &EventKind) -> Option<(&str, bool)> {
    match kind {
        EventKind::MarkerRecorded {
            marker: Marker::Patch { patch_id, deprecated },
        } => Some((patch_id, *deprecated)),
        _ => None,
    }
}

/// The patches whose markers are among the commands recorded from
/// `events[0]` on: what replay announces to the run before that task, so
/// `ctx.patched` answers as it did when the task ran live.
pub(crate) fn patches_ahead(events: &[Event]) -> impl Iterator<Item = Job> + '_ {
    events
        .iter()
        .take_while(|e| is_command_event(&e.kind))
        .filter_map(|e| patch_marker(&e.kind))
        .map(|(patch_id, _)| Job::NotifyHasPatch {
            patch_id: patch_id.to_owned(),
        })
}

/// The job an input event delivers to the run, if any.
pub(crate) fn job_for(event: &EventKind, workflow_id: &str, run_id: &str) -> Option<Job> {
    Some(match event.clone() {
        EventKind::WorkflowExecutionStarted {
            workflow_type,
            task_queue,
            input,
            parent,
            continued_from_run_id,
            randomness_seed,
            attempt,
            header,
        } => Job::Start {
            info: WorkflowInfo {
                workflow_id: workflow_id.to_owned(),
                run_id: run_id.to_owned(),
                workflow_type,
                task_queue,
                parent,
                continued_from_run_id,
                attempt,
            },
            args: input,
            randomness_seed,
            header,
        },
        EventKind::WorkflowExecutionSignaled {
            signal_name,
            input,
            header,
        } => Job::Signal {
            name: signal_name,
            args: input,
            header,
        },
        EventKind::WorkflowExecutionUpdateAccepted {
            update_id,
            update_name,
            input,
            header,
        } => Job::Update {
            id: update_id,
            name: update_name,
            args: input,
            validate: false,
            header,
        },
        EventKind::WorkflowExecutionCancelRequested { .. } => Job::Cancel,
        EventKind::TimerFired { seq } => Job::FireTimer { seq },
        EventKind::ActivityTaskCompleted { seq, result, .. } => Job::ResolveActivity {
            seq,
            result: Ok(result),
        },
        EventKind::ActivityTaskFailed { seq, failure, .. } => Job::ResolveActivity {
            seq,
            result: Err(failure),
        },
        EventKind::ActivityTaskCanceled { seq } => Job::ResolveActivity {
            seq,
            result: Err(Failure::Canceled),
        },
        EventKind::ExternalWorkflowExecutionSignaled { seq } => Job::ResolveSignalExternal { seq, result: Ok(()) },
        EventKind::SignalExternalWorkflowExecutionFailed { seq, cause } => Job::ResolveSignalExternal {
            seq,
            result: Err(cause),
        },
        EventKind::ExternalWorkflowExecutionCancelRequested { seq } => {
            Job::ResolveCancelExternal { seq, result: Ok(()) }
        }
        EventKind::RequestCancelExternalWorkflowExecutionFailed { seq, cause } => Job::ResolveCancelExternal {
            seq,
            result: Err(cause),
        },
        EventKind::ChildWorkflowExecutionStarted { seq, run_id } => Job::ResolveChildStart {
            seq,
            result: Ok(run_id),
        },
        EventKind::StartChildWorkflowExecutionFailed { seq, existing_run_id } => Job::ResolveChildStart {
            seq,
            result: Err(existing_run_id),
        },
        EventKind::ChildWorkflowExecutionCompleted { seq, result } => Job::ResolveChild {
            seq,
            result: Ok(result),
        },
        EventKind::ChildWorkflowExecutionFailed { seq, failure } => Job::ResolveChild {
            seq,
            result: Err(failure),
        },
        _ => return None,
    })
}

/// Whether a command is the one history recorded in `event`.
pub(crate) fn command_matches(command: &Command, event: &EventKind) -> bool {
    match (command, event) {
        (Command::StartTimer { seq, duration }, EventKind::TimerStarted { seq: s, duration_ms }) => {
            seq == s && duration.as_millis() == u128::from(*duration_ms)
        }
        (Command::CancelTimer { seq }, EventKind::TimerCanceled { seq: s })
        | (Command::RequestCancelActivity { seq }, EventKind::ActivityTaskCancelRequested { seq: s }) => seq == s,
        (
            Command::ScheduleActivity { seq, activity_type, .. },
            EventKind::ActivityTaskScheduled {
                seq: s,
                activity_type: t,
                ..
            },
        ) => seq == s && activity_type == t,
        (
            Command::SignalExternal {
                seq, workflow_id, name, ..
            },
            EventKind::SignalExternalWorkflowExecutionInitiated {
                seq: s,
                workflow_id: w,
                signal_name,
                ..
            },
        ) => seq == s && workflow_id == w && name == signal_name,
        (
            Command::CancelExternal { seq, workflow_id },
            EventKind::RequestCancelExternalWorkflowExecutionInitiated { seq: s, workflow_id: w },
        ) => seq == s && workflow_id == w,
        (
            Command::StartChild {
                seq,
                workflow_type,
                workflow_id,
                ..
            },
            EventKind::StartChildWorkflowExecutionInitiated {
                seq: s,
                workflow_type: t,
                workflow_id: w,
                ..
            },
        ) => seq == s && workflow_type == t && workflow_id == w,
        (Command::UpdateCompleted { id, .. }, EventKind::WorkflowExecutionUpdateCompleted { update_id, .. }) => {
            id == update_id
        }
        (
            Command::SetPatchMarker { patch_id, .. },
            EventKind::MarkerRecorded {
                marker: Marker::Patch { patch_id: p, .. },
            },
        ) => patch_id == p,
        (Command::UpsertSearchAttributes(updates), EventKind::UpsertWorkflowSearchAttributes { updates: recorded }) => {
            // Temporal records the changes as a map: compare the names as sets.
            let names = |list: &[SearchAttributeUpdate]| list.iter().map(|u| u.name.clone()).collect::<BTreeSet<_>>();
            names(updates) == names(recorded)
        }
        (Command::UpsertMemo(memo), EventKind::WorkflowPropertiesModified { memo: recorded }) => {
            memo.keys().eq(recorded.keys())
        }
        (Command::Complete(_), EventKind::WorkflowExecutionCompleted { .. })
        | (Command::Fail(_), EventKind::WorkflowExecutionFailed { .. })
        | (Command::CancelWorkflow, EventKind::WorkflowExecutionCanceled)
        | (Command::ContinueAsNew { .. }, EventKind::WorkflowExecutionContinuedAsNew { .. }) => true,
        _ => false,
    }
}

/// Whether a command is recorded in history (update acceptance is recorded
/// as an input event instead, and rejections leave no trace).
pub(crate) fn is_recorded(command: &Command) -> bool {
    !matches!(
        command,
        Command::UpdateAccepted { .. }
            | Command::UpdateRejected { .. }
            | Command::ScheduleLocalActivity { .. }
            | Command::RequestCancelLocalActivity { .. }
    )
}

fn describe_command(command: &Command) -> String {
    match command {
        Command::StartTimer { seq, duration } => format!("StartTimer(seq {seq}, {duration:?})"),
        Command::ScheduleActivity { seq, activity_type, .. } => {
            format!("ScheduleActivity(seq {seq}, `{activity_type}`)")
        }
        Command::SignalExternal {
            seq, workflow_id, name, ..
        } => {
            format!("SignalExternal(seq {seq}, `{name}` to `{workflow_id}`)")
        }
        Command::StartChild {
            seq,
            workflow_type,
            workflow_id,
            ..
        } => {
            format!("StartChild(seq {seq}, `{workflow_type}` as `{workflow_id}`)")
        }
        Command::SetPatchMarker { patch_id, deprecated } => {
            format!(
                "SetPatchMarker(`{patch_id}`{})",
                if *deprecated { ", deprecated" } else { "" }
            )
        }
        Command::Complete(_) => "CompleteWorkflow".to_owned(),
        Command::Fail(f) => format!("FailWorkflow({f})"),
        other => format!("{other:?}"),
    }
}

fn describe_event(event: &Event) -> String {
    match &event.kind {
        EventKind::TimerStarted { seq, duration_ms } => format!("TimerStarted(seq {seq}, {duration_ms}ms)"),
        EventKind::ActivityTaskScheduled { seq, activity_type, .. } => {
            format!("ActivityTaskScheduled(seq {seq}, `{activity_type}`)")
        }
        EventKind::SignalExternalWorkflowExecutionInitiated {
            seq,
            workflow_id,
            signal_name,
            ..
        } => {
            format!("SignalExternalWorkflowExecutionInitiated(seq {seq}, `{signal_name}` to `{workflow_id}`)")
        }
        EventKind::StartChildWorkflowExecutionInitiated {
            seq,
            workflow_type,
            workflow_id,
            ..
        } => {
            format!("StartChildWorkflowExecutionInitiated(seq {seq}, `{workflow_type}` as `{workflow_id}`)")
        }
        EventKind::MarkerRecorded {
            marker: Marker::Patch { patch_id, deprecated },
        } => format!(
            "MarkerRecorded(patch `{patch_id}`{})",
            if *deprecated { ", deprecated" } else { "" }
        ),
        other => other.name().to_owned(),
    }
}

/// The search attribute Temporal's Core upserts after each patch marker,
/// listing the run's patches so that visibility can find them.
const CHANGE_VERSION_ATTRIBUTE: &str = "TemporalChangeVersion";

/// Whether replay may pass over a recorded event the code did not issue a
/// command for: a deprecated patch's marker, once the call is gone, and the
/// upsert of the patches' search attribute that Core records on its own.
fn skippable(event: &Event) -> bool {
    match &event.kind {
        EventKind::UpsertWorkflowSearchAttributes { updates } => {
            !updates.is_empty() && updates.iter().all(|u| u.name == CHANGE_VERSION_ATTRIBUTE)
        }
        kind => patch_marker(kind).is_some_and(|(_, deprecated)| deprecated),
    }
}

/// Whether a command may be missing from history: `deprecate_patch` in a
/// run recorded before the patch, or after the call was dropped.
fn optional(command: &Command) -> bool {
    matches!(command, Command::SetPatchMarker { deprecated: true, .. })
}

/// Whether an event is the marker of local activity `seq`.
pub(crate) fn is_local_marker_of(kind: &EventKind, seq: u32) -> bool {
    matches!(kind, EventKind::MarkerRecorded { marker: Marker::LocalActivity { seq: s, .. } } if *s == seq)
}

/// Whether a command event is one the run issued (a local activity's
/// marker is the engine's record of an outcome).
fn is_issued(kind: &EventKind) -> bool {
    is_command_event(kind) && local_activity_resolution(kind).is_none()
}

/// Matches one activation's commands with the command events recorded
/// after it, from `events[i]` on, up to the next local activity marker;
/// returns the index after them.
pub(crate) fn match_commands(events: &[Event], mut i: usize, commands: &[Command]) -> Result<usize, Nondeterminism> {
    let task_event = i.checked_sub(1).and_then(|t| events.get(t)).map_or(0, |e| e.id);
    for command in commands {
        if let Command::RequestCancelLocalActivity { seq } = command {
            // Try-cancel resolves the call at once, and its marker is
            // recorded where the request was made.
            if events.get(i).is_some_and(|e| is_local_marker_of(&e.kind, *seq)) {
                i += 1;
            }
            continue;
        }
        if !is_recorded(command) {
            continue;
        }
        loop {
            match events.get(i) {
                Some(recorded) if is_issued(&recorded.kind) => {
                    if command_matches(command, &recorded.kind) {
                        i += 1;
                        break;
                    }
                    if skippable(recorded) {
                        i += 1;
                        continue;
                    }
                    if optional(command) {
                        break;
                    }
                    return Err(Nondeterminism {
                        event_id: recorded.id,
                        expected: describe_event(recorded),
                        actual: describe_command(command),
                    });
                }
                _ if optional(command) => break,
                next => {
                    return Err(Nondeterminism {
                        event_id: next.map_or(task_event + 1, |e| e.id),
                        expected: "no further command".to_owned(),
                        actual: describe_command(command),
                    })
                }
            }
        }
    }
    while events.get(i).is_some_and(skippable) {
        i += 1;
    }
    match events.get(i).filter(|e| is_issued(&e.kind)) {
        Some(recorded) => Err(Nondeterminism {
            event_id: recorded.id,
            expected: describe_event(recorded),
            actual: "no command".to_owned(),
        }),
        None => Ok(i),
    }
}

/// Feeds recorded history to a fresh run instance, checking that it issues
/// the recorded commands. `events` must end at a task boundary (pending
/// inputs after the last task's commands are not replayed).
pub(crate) fn replay(
    instance: &mut dyn RunInstance,
    events: &[Event],
    workflow_id: &str,
    run_id: &str,
    limits: &crate::limits::Limits,
) -> Result<(), ReplayError> {
    let mut jobs = Vec::new();
    let mut suggest = Suggest {
        history_events: 0,
        signals: 0,
    };
    let mut i = 0;
    while i < events.len() {
        let event = &events[i];
        i += 1;
        if !matches!(event.kind, EventKind::WorkflowTaskCompleted) {
            if !matches!(event.kind, EventKind::WorkflowExecutionUpdateAccepted { .. }) {
                suggest.history_events = event.id;
            }
            if matches!(event.kind, EventKind::WorkflowExecutionSignaled { .. }) {
                suggest.signals += 1;
            }
            jobs.extend(job_for(&event.kind, workflow_id, run_id));
            continue;
        }
        jobs.splice(0..0, patches_ahead(&events[i..]));
        let activation = Activation {
            now: event.time(),
            replaying: true,
            history_length: suggest.history_events,
            continue_as_new_suggested: suggest.suggested(limits),
            jobs: std::mem::take(&mut jobs),
        };
        let commands = instance.activate(activation)?;
        i = match_commands(events, i, &commands)?;
        // Local activities that resolved during the task: each group of
        // markers is an activation of its own, whose commands follow it.
        loop {
            let resolved: Vec<Job> = events[i..]
                .iter()
                .map_while(|e| local_activity_resolution(&e.kind))
                .collect();
            if resolved.is_empty() {
                break;
            }
            i += resolved.len();
            let activation = Activation {
                now: event.time(),
                replaying: true,
                history_length: suggest.history_events,
                continue_as_new_suggested: suggest.suggested(limits),
                jobs: resolved,
            };
            let commands = instance.activate(activation)?;
            i = match_commands(events, i, &commands)?;
        }
        suggest.history_events = events.get(i.saturating_sub(1)).map_or(0, |e| e.id);
    }
    Ok(())
}

/// A timer duration as recorded in history (milliseconds).
pub(crate) fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Canned histories in, commands or nondeterminism out, with no engine: as
/// Temporal's Core tests its state machines.
#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use workflow_client::{
        ActivityOptions, Event, EventKind, Headers, Payload, PayloadError, SearchAttributeValue, WorkflowType,
    };

    use super::*;
    use crate::context::WorkflowContext;
    use crate::definition::{Dispatch, LocalFuture, WorkflowDefinition};
    use crate::error::WorkflowResult;
    use crate::executor::new_instance;
    use crate::limits::Limits;

    /// Sleeps a minute, then greets its name through the `greet` activity;
    /// a `rename` signal changes the name. Written by hand, as the macro would.
    struct Greeter {
        name: String,
    }

    impl WorkflowType for Greeter {
        const NAME: &'static str = "Greeter";
        type Output = String;
    }

    const MINUTE: Duration = Duration::from_secs(60);

    fn options() -> ActivityOptions {
        ActivityOptions::start_to_close(Duration::from_secs(10))
    }

    impl WorkflowDefinition for Greeter {
        const DYNAMIC: bool = false;
        const SIGNALS: &'static [&'static str] = &["rename"];
        const QUERIES: &'static [&'static str] = &[];
        const UPDATES: &'static [&'static str] = &[];
        type Input = ();

        fn encode_input((): ()) -> Result<Vec<Payload>, PayloadError> {
            Ok(Vec::new())
        }

        fn create(_args: &[Payload]) -> WorkflowResult<Self> {
            Ok(Greeter {
                name: "world".to_owned(),
            })
        }

        fn run(ctx: WorkflowContext<Self>, _args: Vec<Payload>) -> LocalFuture<WorkflowResult<Payload>> {
            Box::pin(async move {
                ctx.sleep(MINUTE).await?;
                let name = ctx.state(|s| s.name.clone());
                let greeting: String = ctx.execute_activity_by_name("greet", (name,), options()).await?;
                Ok(Payload::encode(&greeting)?)
            })
        }

        fn signal(ctx: &WorkflowContext<Self>, name: &str, args: Vec<Payload>) -> Option<Dispatch<WorkflowResult<()>>> {
            (name == "rename").then(|| {
                let renamed = args.first().map(|p| p.decode::<String>());
                Dispatch::Done(match renamed {
                    Some(Ok(new_name)) => {
                        ctx.state_mut(|s| s.name = new_name);
                        Ok(())
                    }
                    _ => Ok(()),
                })
            })
        }

        fn query(&self, _name: &str, _args: Vec<Payload>) -> Option<WorkflowResult<Payload>> {
            None
        }

        fn validate_update(&self, _name: &str, _args: &[Payload]) -> Option<WorkflowResult<()>> {
            None
        }

        fn update(
            _ctx: &WorkflowContext<Self>,
            _name: &str,
            _args: Vec<Payload>,
        ) -> Option<Dispatch<WorkflowResult<Payload>>> {
            None
        }
    }

    fn text(value: &str) -> Payload {
        Payload::encode(&value).unwrap()
    }

    fn started() -> EventKind {
        EventKind::WorkflowExecutionStarted {
            workflow_type: "Greeter".to_owned(),
            task_queue: "q".to_owned(),
            input: Vec::new(),
            parent: None,
            continued_from_run_id: None,
            randomness_seed: 7,
            attempt: 1,
            header: Headers::default(),
        }
    }

    fn timer_started(duration: Duration) -> EventKind {
        EventKind::TimerStarted {
            seq: 1,
            duration_ms: duration_ms(duration),
        }
    }

    fn scheduled(activity_type: &str, name: &str) -> EventKind {
        EventKind::ActivityTaskScheduled {
            seq: 2,
            activity_type: activity_type.to_owned(),
            task_queue: "q".to_owned(),
            input: vec![text(name)],
            options: options(),
            header: Headers::default(),
        }
    }

    /// Events numbered from 1.
    fn history(kinds: Vec<EventKind>) -> Vec<Event> {
        kinds
            .into_iter()
            .enumerate()
            .map(|(i, kind)| Event {
                id: i as u64 + 1,
                time_ms: 1_000,
                kind,
            })
            .collect()
    }

    /// The whole life of a greeter: timer, activity, completion.
    fn complete_history(timer: Duration, activity_type: &str) -> Vec<Event> {
        history(vec![
            started(),
            EventKind::WorkflowTaskCompleted,
            timer_started(timer),
            EventKind::TimerFired { seq: 1 },
            EventKind::WorkflowTaskCompleted,
            scheduled(activity_type, "world"),
            EventKind::ActivityTaskCompleted {
                seq: 2,
                result: text("hello world"),
                attempt: 1,
            },
            EventKind::WorkflowTaskCompleted,
            EventKind::WorkflowExecutionCompleted {
                result: text("hello world"),
            },
        ])
    }

    fn replayed(events: &[Event]) -> Result<(), ReplayError> {
        let mut instance = new_instance::<Greeter>(10);
        replay(&mut *instance, events, "greeter-1", "run-1", &Limits::default())
    }

    fn nondeterminism(events: &[Event]) -> Nondeterminism {
        match replayed(events) {
            Err(ReplayError::Nondeterminism(n)) => n,
            other => panic!("expected nondeterminism, got {other:?}"),
        }
    }

    fn activation(jobs: Vec<Job>) -> Activation {
        Activation {
            now: UNIX_EPOCH + Duration::from_secs(1),
            replaying: false,
            history_length: 1,
            continue_as_new_suggested: false,
            jobs,
        }
    }

    #[test]
    fn unchanged_code_replays_its_history() {
        assert_eq!(replayed(&complete_history(MINUTE, "greet")), Ok(()));
    }

    #[test]
    fn jobs_in_give_the_recorded_commands_out() {
        let mut instance = new_instance::<Greeter>(10);
        let events = history(vec![
            started(),
            EventKind::WorkflowExecutionSignaled {
                signal_name: "rename".to_owned(),
                input: vec![text("Ada")],
                header: Headers::default(),
            },
        ]);
        let jobs = events
            .iter()
            .filter_map(|e| job_for(&e.kind, "greeter-1", "run-1"))
            .collect();
        // A signal that arrived with the start is applied before the run's first step.
        let commands = instance.activate(activation(jobs)).unwrap();
        assert_eq!(
            commands,
            [Command::StartTimer {
                seq: 1,
                duration: MINUTE
            }]
        );
        let commands = instance.activate(activation(vec![Job::FireTimer { seq: 1 }])).unwrap();
        assert_eq!(
            commands,
            [Command::ScheduleActivity {
                seq: 2,
                activity_type: "greet".to_owned(),
                args: vec![text("Ada")],
                options: options(),
                header: Headers::default(),
            }]
        );
        let resolved = Job::ResolveActivity {
            seq: 2,
            result: Ok(text("hello Ada")),
        };
        let commands = instance.activate(activation(vec![resolved])).unwrap();
        assert_eq!(commands, [Command::Complete(text("hello Ada"))]);
    }

    #[test]
    fn a_changed_timer_is_named_at_its_event() {
        let n = nondeterminism(&complete_history(Duration::from_secs(30), "greet"));
        assert_eq!(n.event_id, 3);
        assert!(n.expected.contains("TimerStarted"), "{n}");
        assert!(n.actual.contains("StartTimer"), "{n}");
    }

    #[test]
    fn a_renamed_activity_is_named_at_its_event() {
        let n = nondeterminism(&complete_history(MINUTE, "salute"));
        assert_eq!(n.event_id, 6);
        assert!(n.expected.contains("salute") && n.actual.contains("greet"), "{n}");
    }

    #[test]
    fn a_recorded_command_the_code_no_longer_issues_is_nondeterminism() {
        let events = history(vec![
            started(),
            EventKind::WorkflowTaskCompleted,
            timer_started(MINUTE),
            EventKind::TimerStarted { seq: 2, duration_ms: 5 },
        ]);
        let n = nondeterminism(&events);
        assert_eq!((n.event_id, n.actual.as_str()), (4, "no command"));
    }

    #[test]
    fn a_command_history_lacks_is_nondeterminism() {
        let events = history(vec![started(), EventKind::WorkflowTaskCompleted]);
        let n = nondeterminism(&events);
        assert_eq!((n.event_id, n.expected.as_str()), (3, "no further command"));
    }

    /// Calls patch `p` as `CALL` says (0: no call, 1: `patched`, 2:
    /// `deprecate_patch`), then sleeps a minute on the new code or a second
    /// on the old.
    struct Patchy<const CALL: u8>;

    impl<const CALL: u8> WorkflowType for Patchy<CALL> {
        const NAME: &'static str = "Patchy";
        type Output = ();
    }

    impl<const CALL: u8> WorkflowDefinition for Patchy<CALL> {
        const DYNAMIC: bool = false;
        const SIGNALS: &'static [&'static str] = &[];
        const QUERIES: &'static [&'static str] = &[];
        const UPDATES: &'static [&'static str] = &[];
        type Input = ();

        fn encode_input((): ()) -> Result<Vec<Payload>, PayloadError> {
            Ok(Vec::new())
        }

        fn create(_args: &[Payload]) -> WorkflowResult<Self> {
            Ok(Patchy)
        }

        fn run(ctx: WorkflowContext<Self>, _args: Vec<Payload>) -> LocalFuture<WorkflowResult<Payload>> {
            Box::pin(async move {
                let new = match CALL {
                    1 => ctx.patched("p"),
                    2 => {
                        ctx.deprecate_patch("p");
                        true
                    }
                    _ => true,
                };
                ctx.sleep(if new { MINUTE } else { Duration::from_secs(1) }).await?;
                Ok(Payload::null())
            })
        }

        fn signal(_: &WorkflowContext<Self>, _: &str, _: Vec<Payload>) -> Option<Dispatch<WorkflowResult<()>>> {
            None
        }

        fn query(&self, _: &str, _: Vec<Payload>) -> Option<WorkflowResult<Payload>> {
            None
        }

        fn validate_update(&self, _: &str, _: &[Payload]) -> Option<WorkflowResult<()>> {
            None
        }

        fn update(_: &WorkflowContext<Self>, _: &str, _: Vec<Payload>) -> Option<Dispatch<WorkflowResult<Payload>>> {
            None
        }
    }

    fn marker(deprecated: bool) -> EventKind {
        EventKind::MarkerRecorded {
            marker: Marker::Patch {
                patch_id: "p".to_owned(),
                deprecated,
            },
        }
    }

    /// A first task recording `commands`, then the timer fired.
    fn patch_history(commands: Vec<EventKind>) -> Vec<Event> {
        let mut kinds = vec![started(), EventKind::WorkflowTaskCompleted];
        kinds.extend(commands);
        kinds.push(EventKind::TimerFired { seq: 1 });
        history(kinds)
    }

    fn replayed_by<const CALL: u8>(events: &[Event]) -> Result<(), ReplayError> {
        let mut instance = new_instance::<Patchy<CALL>>(10);
        replay(&mut *instance, events, "patchy-1", "run-1", &Limits::default())
    }

    const NONE: u8 = 0;
    const PATCHED: u8 = 1;
    const DEPRECATED: u8 = 2;

    #[test]
    fn a_live_patched_call_takes_the_new_code_and_records_a_marker() {
        let mut instance = new_instance::<Patchy<PATCHED>>(10);
        let start = job_for(&started(), "patchy-1", "run-1").unwrap();
        let commands = instance.activate(activation(vec![start])).unwrap();
        let marker = Command::SetPatchMarker {
            patch_id: "p".to_owned(),
            deprecated: false,
        };
        assert_eq!(
            commands,
            [
                marker,
                Command::StartTimer {
                    seq: 1,
                    duration: MINUTE
                }
            ]
        );
    }

    #[test]
    fn patched_replays_both_histories_each_on_its_branch() {
        let with_marker = patch_history(vec![marker(false), timer_started(MINUTE)]);
        let without = patch_history(vec![timer_started(Duration::from_secs(1))]);
        assert_eq!(replayed_by::<PATCHED>(&with_marker), Ok(()));
        assert_eq!(replayed_by::<PATCHED>(&without), Ok(()));
        let deprecated = patch_history(vec![marker(true), timer_started(MINUTE)]);
        assert_eq!(replayed_by::<PATCHED>(&deprecated), Ok(()));
    }

    #[test]
    fn deprecate_patch_replays_with_or_without_the_marker() {
        for commands in [
            vec![marker(false), timer_started(MINUTE)],
            vec![marker(true), timer_started(MINUTE)],
            vec![timer_started(MINUTE)],
        ] {
            assert_eq!(replayed_by::<DEPRECATED>(&patch_history(commands)), Ok(()));
        }
    }

    #[test]
    fn without_the_call_a_deprecated_marker_is_passed_over_and_a_live_one_is_nondeterminism() {
        let deprecated = patch_history(vec![marker(true), timer_started(MINUTE)]);
        assert_eq!(replayed_by::<NONE>(&deprecated), Ok(()));
        let live = patch_history(vec![marker(false), timer_started(MINUTE)]);
        let Err(ReplayError::Nondeterminism(n)) = replayed_by::<NONE>(&live) else {
            panic!("expected nondeterminism");
        };
        assert_eq!((n.event_id, n.expected.as_str()), (3, "MarkerRecorded(patch `p`)"));
    }

    #[test]
    fn the_change_version_upsert_core_records_after_a_marker_is_passed_over() {
        let change_version = || EventKind::UpsertWorkflowSearchAttributes {
            updates: vec![SearchAttributeUpdate {
                name: CHANGE_VERSION_ATTRIBUTE.to_owned(),
                value: Some(SearchAttributeValue::KeywordList(vec!["p".to_owned()])),
            }],
        };
        let live = patch_history(vec![marker(false), change_version(), timer_started(MINUTE)]);
        assert_eq!(replayed_by::<PATCHED>(&live), Ok(()));
        assert_eq!(replayed_by::<DEPRECATED>(&live), Ok(()));
        let deprecated = patch_history(vec![marker(true), change_version(), timer_started(MINUTE)]);
        assert_eq!(replayed_by::<NONE>(&deprecated), Ok(()));
        let trailing = patch_history(vec![timer_started(MINUTE), marker(true), change_version()]);
        assert_eq!(replayed_by::<DEPRECATED>(&trailing), Ok(()));
    }

    #[test]
    fn a_marker_for_another_patch_is_nondeterminism() {
        let other = EventKind::MarkerRecorded {
            marker: Marker::Patch {
                patch_id: "q".to_owned(),
                deprecated: false,
            },
        };
        let events = patch_history(vec![other, timer_started(MINUTE)]);
        let Err(ReplayError::Nondeterminism(n)) = replayed_by::<PATCHED>(&events) else {
            panic!("expected nondeterminism");
        };
        assert_eq!(n.event_id, 3);
        assert!(n.expected.contains("`q`"), "{n}");
    }
}
