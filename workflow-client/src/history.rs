//! Workflow history: the durable, ordered record of one run.
//!
//! Event names follow Temporal's. `seq` fields tie a command's events to the
//! workflow-side call that issued it (a timer, an activity, a signal, a child).

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::WorkflowStatus;
use crate::failure::Failure;
use crate::header::Headers;
use crate::options::ActivityOptions;
use crate::payload::Payload;
use crate::search_attribute::{SearchAttributeUpdate, SearchAttributes};

/// One history event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the run's history, from 1.
    pub id: u64,
    /// When it was recorded, in milliseconds since the Unix epoch.
    pub time_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

impl Event {
    /// When it was recorded.
    pub fn time(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.time_ms)
    }
}

/// The parent of a child workflow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentInfo {
    /// The parent's workflow id.
    pub workflow_id: String,
    /// The parent's run id.
    pub run_id: String,
    /// The `seq` of the parent's start-child command.
    pub seq: u32,
}

/// Why a signal or cancellation to another workflow failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExternalFailureCause {
    /// No open execution has that id.
    NotFound,
    /// The target reached its received-signals limit.
    LimitExceeded,
}

/// What happened, with its data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event")]
pub enum EventKind {
    /// The run started; always the first event.
    WorkflowExecutionStarted {
        /// The workflow type's name.
        workflow_type: String,
        /// The task queue its worker polls.
        task_queue: String,
        /// Run arguments, one payload each.
        input: Vec<Payload>,
        /// The parent, for a child workflow.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<ParentInfo>,
        /// The run this one continued, after continue-as-new.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        continued_from_run_id: Option<String>,
        /// Seed of the run's deterministic randomness.
        randomness_seed: u64,
        /// Which attempt of the workflow this run is, from 1; a run started
        /// again by the workflow's retry policy counts on.
        #[serde(default = "first_attempt", skip_serializing_if = "is_first_attempt")]
        attempt: u32,
        /// Headers the start carried.
        #[serde(default, skip_serializing_if = "Headers::is_empty")]
        header: Headers,
    },
    /// A signal arrived.
    WorkflowExecutionSignaled {
        /// The signal's wire name.
        signal_name: String,
        /// Its arguments.
        input: Vec<Payload>,
        /// Headers the signal carried.
        #[serde(default, skip_serializing_if = "Headers::is_empty")]
        header: Headers,
    },
    /// An update passed its validator and will run.
    WorkflowExecutionUpdateAccepted {
        /// The update's id.
        update_id: String,
        /// The update's wire name.
        update_name: String,
        /// Its arguments.
        input: Vec<Payload>,
        /// Headers the update carried.
        #[serde(default, skip_serializing_if = "Headers::is_empty")]
        header: Headers,
    },
    /// An accepted update's handler finished.
    WorkflowExecutionUpdateCompleted {
        /// The update's id.
        update_id: String,
        /// Its result or failure.
        outcome: Result<Payload, Failure>,
    },
    /// Cancellation of the run was requested.
    WorkflowExecutionCancelRequested {
        /// Why, if the requester said.
        reason: String,
    },
    /// Ends one workflow task: the events before it were the task's input,
    /// the events after it (up to the next input) its commands.
    WorkflowTaskCompleted,
    /// The workflow started a durable timer.
    TimerStarted {
        /// The timer's command.
        seq: u32,
        /// How long it runs, in milliseconds.
        duration_ms: u64,
    },
    /// A timer fired.
    TimerFired {
        /// The timer's command.
        seq: u32,
    },
    /// The workflow canceled a timer before it fired.
    TimerCanceled {
        /// The timer's command.
        seq: u32,
    },
    /// The workflow asked a running activity to stop.
    ActivityTaskCancelRequested {
        /// The activity's command.
        seq: u32,
    },
    /// The workflow called an activity.
    ActivityTaskScheduled {
        /// The activity's command.
        seq: u32,
        /// The activity's name.
        activity_type: String,
        /// The task queue it runs on.
        task_queue: String,
        /// Its arguments.
        input: Vec<Payload>,
        /// Its timeouts and retry policy.
        options: ActivityOptions,
        /// Headers the schedule carried.
        #[serde(default, skip_serializing_if = "Headers::is_empty")]
        header: Headers,
    },
    /// An activity returned a value.
    ActivityTaskCompleted {
        /// The activity's command.
        seq: u32,
        /// The value.
        result: Payload,
        /// The attempt that succeeded, from 1.
        attempt: u32,
    },
    /// An activity stopped after the workflow asked it to: an attempt that
    /// was running acknowledged the request, or none was running.
    ActivityTaskCanceled {
        /// The activity's command.
        seq: u32,
    },
    /// An activity failed for good (its retry policy gave up).
    ActivityTaskFailed {
        /// The activity's command.
        seq: u32,
        /// The last attempt's failure.
        failure: Failure,
        /// Attempts made.
        attempt: u32,
    },
    /// The workflow sent a signal to another workflow.
    SignalExternalWorkflowExecutionInitiated {
        /// The signal's command.
        seq: u32,
        /// The target workflow id.
        workflow_id: String,
        /// The signal's wire name.
        signal_name: String,
        /// Its arguments.
        input: Vec<Payload>,
        /// Headers the signal carried.
        #[serde(default, skip_serializing_if = "Headers::is_empty")]
        header: Headers,
    },
    /// The other workflow received the signal.
    ExternalWorkflowExecutionSignaled {
        /// The signal's command.
        seq: u32,
    },
    /// The signal could not be delivered.
    SignalExternalWorkflowExecutionFailed {
        /// The signal's command.
        seq: u32,
        /// Why.
        cause: ExternalFailureCause,
    },
    /// The workflow asked to cancel another workflow.
    RequestCancelExternalWorkflowExecutionInitiated {
        /// The request's command.
        seq: u32,
        /// The target workflow id.
        workflow_id: String,
    },
    /// The other workflow received the cancellation request.
    ExternalWorkflowExecutionCancelRequested {
        /// The request's command.
        seq: u32,
    },
    /// The cancellation request could not be delivered.
    RequestCancelExternalWorkflowExecutionFailed {
        /// The request's command.
        seq: u32,
        /// Why.
        cause: ExternalFailureCause,
    },
    /// The workflow started a child workflow.
    StartChildWorkflowExecutionInitiated {
        /// The child's command.
        seq: u32,
        /// The child's workflow id.
        workflow_id: String,
        /// The child's workflow type.
        workflow_type: String,
        /// The child's task queue.
        task_queue: String,
        /// The child's run arguments.
        input: Vec<Payload>,
        /// Headers the start carried.
        #[serde(default, skip_serializing_if = "Headers::is_empty")]
        header: Headers,
    },
    /// The child workflow is running.
    ChildWorkflowExecutionStarted {
        /// The child's command.
        seq: u32,
        /// The child's run id.
        run_id: String,
    },
    /// The child could not start: its workflow id is in use.
    StartChildWorkflowExecutionFailed {
        /// The child's command.
        seq: u32,
        /// The run already using the id.
        existing_run_id: String,
    },
    /// The child workflow returned a value.
    ChildWorkflowExecutionCompleted {
        /// The child's command.
        seq: u32,
        /// The value.
        result: Payload,
    },
    /// The child workflow closed without a value.
    ChildWorkflowExecutionFailed {
        /// The child's command.
        seq: u32,
        /// Why.
        failure: Failure,
    },
    /// The run returned a value; it is closed.
    WorkflowExecutionCompleted {
        /// The value.
        result: Payload,
    },
    /// The run returned an error; it is closed.
    WorkflowExecutionFailed {
        /// The error.
        failure: Failure,
    },
    /// The run finished as canceled; it is closed.
    WorkflowExecutionCanceled,
    /// The run changed its search attributes (`ctx.upsert_search_attributes`).
    UpsertWorkflowSearchAttributes {
        /// The changes, in order.
        updates: Vec<SearchAttributeUpdate>,
    },
    /// The run changed its memo (`ctx.upsert_memo`).
    WorkflowPropertiesModified {
        /// The new values by key; `None` removes the key.
        memo: BTreeMap<String, Option<Payload>>,
    },
    /// The run ran out of its run or execution timeout; it is closed.
    WorkflowExecutionTimedOut,
    /// The run was terminated; it is closed.
    WorkflowExecutionTerminated {
        /// The reason given to `terminate`.
        reason: String,
    },
    /// The run continued as a new run of the same workflow id; it is closed.
    WorkflowExecutionContinuedAsNew {
        /// The new run's id.
        new_run_id: String,
        /// The new run's arguments.
        input: Vec<Payload>,
    },
    /// The workflow recorded a marker: a fact replay must see again.
    MarkerRecorded {
        /// What the marker records.
        marker: Marker,
    },
}

/// What a [`MarkerRecorded`](EventKind::MarkerRecorded) event records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Marker {
    /// `ctx.patched(id)` took the new code (or `ctx.deprecate_patch(id)`
    /// ran): replays of this history take the new code too. Temporal's
    /// `core_patch` marker, shared with the other SDKs.
    Patch {
        /// The patch id given to `patched`.
        patch_id: String,
        /// Recorded by `deprecate_patch`: replay may skip it once the call
        /// is gone from the code.
        deprecated: bool,
    },
    /// A local activity finished for good (`ctx.execute_local_activity`):
    /// replay resolves the call with this outcome instead of running the
    /// activity again. Temporal's `core_local_activity` marker.
    LocalActivity {
        /// The call's sequence number.
        seq: u32,
        /// The activity's name.
        activity_type: String,
        /// The attempt that ended it.
        attempt: u32,
        /// Its value, or why it failed or was canceled.
        result: Result<Payload, Failure>,
    },
}

/// The headers of the kinds of event that carry them, by reference or by
/// mutable reference as `kind` is.
macro_rules! header_of {
    ($kind:expr) => {
        match $kind {
            EventKind::WorkflowExecutionStarted { header, .. }
            | EventKind::WorkflowExecutionSignaled { header, .. }
            | EventKind::WorkflowExecutionUpdateAccepted { header, .. }
            | EventKind::ActivityTaskScheduled { header, .. }
            | EventKind::SignalExternalWorkflowExecutionInitiated { header, .. }
            | EventKind::StartChildWorkflowExecutionInitiated { header, .. } => Some(header),
            _ => None,
        }
    };
}

impl EventKind {
    /// The headers of an event that may carry them: a start, a signal, an
    /// accepted update, a scheduled activity, a signal to another workflow
    /// or a child's start.
    pub fn header(&self) -> Option<&Headers> {
        header_of!(self)
    }

    /// The headers of an event that may carry them, to set.
    pub fn header_mut(&mut self) -> Option<&mut Headers> {
        header_of!(self)
    }

    /// The event's name, as Temporal spells it.
    pub fn name(&self) -> &'static str {
        macro_rules! names {
            ($($v:ident)*) => {
                match self { $(EventKind::$v { .. } => stringify!($v),)* }
            };
        }
        names!(
            WorkflowExecutionStarted WorkflowExecutionSignaled WorkflowExecutionUpdateAccepted
            WorkflowExecutionUpdateCompleted WorkflowExecutionCancelRequested WorkflowTaskCompleted
            TimerStarted TimerFired TimerCanceled ActivityTaskCancelRequested ActivityTaskScheduled ActivityTaskCompleted
            ActivityTaskCanceled ActivityTaskFailed SignalExternalWorkflowExecutionInitiated ExternalWorkflowExecutionSignaled
            SignalExternalWorkflowExecutionFailed RequestCancelExternalWorkflowExecutionInitiated
            ExternalWorkflowExecutionCancelRequested RequestCancelExternalWorkflowExecutionFailed
            StartChildWorkflowExecutionInitiated ChildWorkflowExecutionStarted
            StartChildWorkflowExecutionFailed ChildWorkflowExecutionCompleted
            ChildWorkflowExecutionFailed WorkflowExecutionCompleted WorkflowExecutionFailed
            WorkflowExecutionCanceled WorkflowExecutionTimedOut WorkflowExecutionTerminated WorkflowExecutionContinuedAsNew
            MarkerRecorded UpsertWorkflowSearchAttributes WorkflowPropertiesModified
        )
    }

    /// The status a run has after this event, if the event closes it.
    pub fn closing_status(&self) -> Option<WorkflowStatus> {
        Some(match self {
            EventKind::WorkflowExecutionCompleted { .. } => WorkflowStatus::Completed,
            EventKind::WorkflowExecutionFailed { .. } => WorkflowStatus::Failed,
            EventKind::WorkflowExecutionCanceled => WorkflowStatus::Canceled,
            EventKind::WorkflowExecutionTimedOut => WorkflowStatus::TimedOut,
            EventKind::WorkflowExecutionTerminated { .. } => WorkflowStatus::Terminated,
            EventKind::WorkflowExecutionContinuedAsNew { .. } => WorkflowStatus::ContinuedAsNew,
            _ => return None,
        })
    }
}

fn first_attempt() -> u32 {
    1
}

fn is_first_attempt(attempt: &u32) -> bool {
    *attempt == 1
}

/// The history of one run.
///
/// ```
/// # use workflow_client::{Client, ClientError, EventKind};
/// # async fn demo(client: Client) -> Result<(), ClientError> {
/// let history = client.get_workflow_handle("greeting-1").fetch_history().await?;
/// for event in &history.events {
///     if let EventKind::WorkflowExecutionSignaled { signal_name, input, .. } = &event.kind {
///         println!("#{} {signal_name} {input:?}", event.id);
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// The workflow id.
    pub workflow_id: String,
    /// The run id.
    pub run_id: String,
    /// Its events in order.
    pub events: Vec<Event>,
}

impl History {
    /// The events of one kind, by name (e.g. `"WorkflowExecutionSignaled"`).
    pub fn events_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Event> + 'a {
        self.events.iter().filter(move |e| e.kind.name() == name)
    }

    /// The history as JSON, for keeping next to tests and replaying later
    /// (`Replayer::replay_json`).
    ///
    /// ```
    /// # use workflow_client::History;
    /// let history = History { workflow_id: "w".into(), run_id: "r".into(), events: Vec::new() };
    /// assert_eq!(History::from_json(&history.to_json()).unwrap(), history);
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a history serializes to JSON")
    }

    /// A history exported with [`to_json`](Self::to_json).
    pub fn from_json(text: &str) -> Result<History, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// What [`describe`](crate::WorkflowHandle::describe) reports about a run.
///
/// ```
/// # use workflow_client::{Client, ClientError, WorkflowStatus};
/// # async fn demo(client: Client) -> Result<(), ClientError> {
/// let d = client.get_workflow_handle("account-42").describe().await?;
/// if d.status == WorkflowStatus::Running && d.signals_received > 8_000 {
///     println!("{} is close to its signal limit; is it continuing as new?", d.workflow_id);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Description {
    /// The workflow id.
    pub workflow_id: String,
    /// The run described (the latest one unless a run id was given).
    pub run_id: String,
    /// The workflow type.
    pub workflow_type: String,
    /// The task queue.
    pub task_queue: String,
    /// Its status.
    pub status: WorkflowStatus,
    /// When the run started, in ms since the Unix epoch.
    pub start_time_ms: u64,
    /// When it closed, if it has.
    pub close_time_ms: Option<u64>,
    /// Events in its history.
    pub history_length: u64,
    /// Signals it has received.
    pub signals_received: u64,
    /// Names of received signals no handler took (no static or dynamic
    /// handler, or arguments that did not decode); they stay in history.
    pub unhandled_signals: Vec<String>,
    /// Why its last workflow task failed, if it is stuck (a panic or
    /// nondeterminism); cleared when a task succeeds.
    pub task_failure: Option<String>,
    /// Activities it called that have not resolved, oldest first.
    #[serde(default)]
    pub pending_activities: Vec<PendingActivity>,
    /// Its memo: values shown with it, not indexed.
    #[serde(default)]
    pub memo: BTreeMap<String, Payload>,
    /// Its search attributes.
    #[serde(default)]
    pub search_attributes: SearchAttributes,
}

/// An activity a run called that has not resolved yet, as
/// [`describe`](crate::WorkflowHandle::describe) reports it: how to tell an
/// activity that is making progress from one failing over and over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingActivity {
    /// The call's id in its run (the command's `seq`, as Temporal's Core
    /// numbers activities).
    pub activity_id: String,
    /// The activity's name.
    pub activity_type: String,
    /// Whether an attempt is running.
    pub state: PendingActivityState,
    /// The current attempt, from 1.
    pub attempt: u32,
    /// Why the previous attempt failed, if one did.
    pub last_failure: Option<Failure>,
    /// When the next attempt is due (ms since the Unix epoch), while it
    /// waits out its retry backoff.
    pub next_attempt_time_ms: Option<u64>,
    /// When its last heartbeat arrived (ms since the Unix epoch).
    pub last_heartbeat_time_ms: Option<u64>,
    /// The last heartbeat's details.
    pub heartbeat_details: Vec<Payload>,
}

/// Where a [`PendingActivity`] stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PendingActivityState {
    /// Waiting for a worker or for its next attempt.
    Scheduled,
    /// An attempt is running.
    Started,
    /// The workflow asked it to stop and the running attempt has not yet.
    CancelRequested,
}
