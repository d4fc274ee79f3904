//! Workflow history: the durable, ordered record of one run.
//!
//! Event names follow Temporal's. `seq` fields tie a command's events to the
//! workflow-side call that issued it (a timer, an activity, a signal, a child).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::error::WorkflowStatus;
use crate::failure::Failure;
use crate::options::ActivityOptions;
use crate::payload::Payload;

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
#[allow(missing_docs)]
pub enum EventKind {
    WorkflowExecutionStarted {
        workflow_type: String,
        task_queue: String,
        input: Vec<Payload>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<ParentInfo>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        continued_from_run_id: Option<String>,
        randomness_seed: u64,
    },
    WorkflowExecutionSignaled {
        signal_name: String,
        input: Vec<Payload>,
    },
    WorkflowExecutionUpdateAccepted {
        update_id: String,
        update_name: String,
        input: Vec<Payload>,
    },
    WorkflowExecutionUpdateCompleted {
        update_id: String,
        outcome: Result<Payload, Failure>,
    },
    WorkflowExecutionCancelRequested {
        reason: String,
    },
    /// Ends one workflow task: the events before it were the task's input,
    /// the events after it (up to the next input) its commands.
    WorkflowTaskCompleted,
    TimerStarted {
        seq: u32,
        duration_ms: u64,
    },
    TimerFired {
        seq: u32,
    },
    TimerCanceled {
        seq: u32,
    },
    ActivityTaskCancelRequested {
        seq: u32,
    },
    ActivityTaskScheduled {
        seq: u32,
        activity_type: String,
        task_queue: String,
        input: Vec<Payload>,
        options: ActivityOptions,
    },
    ActivityTaskCompleted {
        seq: u32,
        result: Payload,
        attempt: u32,
    },
    ActivityTaskFailed {
        seq: u32,
        failure: Failure,
        attempt: u32,
    },
    SignalExternalWorkflowExecutionInitiated {
        seq: u32,
        workflow_id: String,
        signal_name: String,
        input: Vec<Payload>,
    },
    ExternalWorkflowExecutionSignaled {
        seq: u32,
    },
    SignalExternalWorkflowExecutionFailed {
        seq: u32,
        cause: ExternalFailureCause,
    },
    RequestCancelExternalWorkflowExecutionInitiated {
        seq: u32,
        workflow_id: String,
    },
    ExternalWorkflowExecutionCancelRequested {
        seq: u32,
    },
    RequestCancelExternalWorkflowExecutionFailed {
        seq: u32,
        cause: ExternalFailureCause,
    },
    StartChildWorkflowExecutionInitiated {
        seq: u32,
        workflow_id: String,
        workflow_type: String,
        task_queue: String,
        input: Vec<Payload>,
    },
    ChildWorkflowExecutionStarted {
        seq: u32,
        run_id: String,
    },
    StartChildWorkflowExecutionFailed {
        seq: u32,
        /// The run already using the id.
        existing_run_id: String,
    },
    ChildWorkflowExecutionCompleted {
        seq: u32,
        result: Payload,
    },
    ChildWorkflowExecutionFailed {
        seq: u32,
        failure: Failure,
    },
    WorkflowExecutionCompleted {
        result: Payload,
    },
    WorkflowExecutionFailed {
        failure: Failure,
    },
    WorkflowExecutionCanceled,
    WorkflowExecutionTerminated {
        reason: String,
    },
    WorkflowExecutionContinuedAsNew {
        new_run_id: String,
        input: Vec<Payload>,
    },
}

impl EventKind {
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
            ActivityTaskFailed SignalExternalWorkflowExecutionInitiated ExternalWorkflowExecutionSignaled
            SignalExternalWorkflowExecutionFailed RequestCancelExternalWorkflowExecutionInitiated
            ExternalWorkflowExecutionCancelRequested RequestCancelExternalWorkflowExecutionFailed
            StartChildWorkflowExecutionInitiated ChildWorkflowExecutionStarted
            StartChildWorkflowExecutionFailed ChildWorkflowExecutionCompleted
            ChildWorkflowExecutionFailed WorkflowExecutionCompleted WorkflowExecutionFailed
            WorkflowExecutionCanceled WorkflowExecutionTerminated WorkflowExecutionContinuedAsNew
        )
    }

    /// The status a run has after this event, if the event closes it.
    pub fn closing_status(&self) -> Option<WorkflowStatus> {
        Some(match self {
            EventKind::WorkflowExecutionCompleted { .. } => WorkflowStatus::Completed,
            EventKind::WorkflowExecutionFailed { .. } => WorkflowStatus::Failed,
            EventKind::WorkflowExecutionCanceled => WorkflowStatus::Canceled,
            EventKind::WorkflowExecutionTerminated { .. } => WorkflowStatus::Terminated,
            EventKind::WorkflowExecutionContinuedAsNew { .. } => WorkflowStatus::ContinuedAsNew,
            _ => return None,
        })
    }
}

/// The history of one run.
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

/// What `describe` reports about a run.
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
}
