//! The activation protocol between an engine and the executor of one run,
//! modelled on Temporal Core's: an activation is a batch of jobs, and the
//! executor answers with commands.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use workflow_client::{
    ActivityOptions, ExternalFailureCause, Failure, Headers, ParentClosePolicy, ParentInfo, Payload, RunOptions,
    SearchAttributeUpdate,
};

/// A batch of jobs for one run, applied in order.
#[derive(Clone, Debug)]
pub struct Activation {
    /// Workflow time for this activation (what `ctx.now()` returns).
    pub now: SystemTime,
    /// Whether the jobs come from recorded history.
    pub replaying: bool,
    /// Events in the run's history so far.
    pub history_length: u64,
    /// Whether the engine suggests continuing as new.
    pub continue_as_new_suggested: bool,
    /// The jobs.
    pub jobs: Vec<Job>,
}

/// Facts about the run, as `ctx.info()` returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkflowInfo {
    /// The workflow id.
    pub workflow_id: String,
    /// This run's id.
    pub run_id: String,
    /// The workflow type name.
    pub workflow_type: String,
    /// The task queue.
    pub task_queue: String,
    /// The parent, for a child workflow.
    pub parent: Option<ParentInfo>,
    /// The run this one continued, after continue-as-new or a retry.
    pub continued_from_run_id: Option<String>,
    /// Which attempt of the workflow this run is, from 1: a run started
    /// again by the workflow's retry policy counts on.
    pub attempt: u32,
}

/// One thing for the run to take in.
#[derive(Clone, Debug)]
pub enum Job {
    /// Create the state and start the run method.
    Start {
        /// Facts about the run.
        info: WorkflowInfo,
        /// Run arguments.
        args: Vec<Payload>,
        /// Seed of `ctx.random()`.
        randomness_seed: u64,
        /// Headers the start carried.
        header: Headers,
    },
    /// Deliver a signal.
    Signal {
        /// Its name.
        name: String,
        /// Its arguments.
        args: Vec<Payload>,
        /// Headers the signal carried.
        header: Headers,
    },
    /// Run an update; `validate` is false when replaying an accepted one.
    Update {
        /// Its id.
        id: String,
        /// Its name.
        name: String,
        /// Its arguments.
        args: Vec<Payload>,
        /// Whether to run the validator.
        validate: bool,
        /// Headers the update carried.
        header: Headers,
    },
    /// A timer fired.
    FireTimer {
        /// The timer.
        seq: u32,
    },
    /// An activity (or local activity) finished for good.
    ResolveActivity {
        /// The activity call.
        seq: u32,
        /// Its outcome.
        result: Result<Payload, Failure>,
    },
    /// A signal to another workflow was delivered or failed.
    ResolveSignalExternal {
        /// The signal call.
        seq: u32,
        /// Its outcome.
        result: Result<(), ExternalFailureCause>,
    },
    /// A cancellation request to another workflow was delivered or failed.
    ResolveCancelExternal {
        /// The cancel call.
        seq: u32,
        /// Its outcome.
        result: Result<(), ExternalFailureCause>,
    },
    /// A child workflow started (its run id) or could not (the run using its id).
    ResolveChildStart {
        /// The start call.
        seq: u32,
        /// Its outcome.
        result: Result<String, String>,
    },
    /// A child workflow closed.
    ResolveChild {
        /// The start call.
        seq: u32,
        /// The child's outcome.
        result: Result<Payload, Failure>,
    },
    /// Cancellation was requested.
    Cancel,
    /// Replay: history holds a marker for this patch among the commands of
    /// the task being replayed, so `ctx.patched(id)` takes the new code.
    /// Comes before the activation's other jobs.
    NotifyHasPatch {
        /// The patch id.
        patch_id: String,
    },
}

/// Why an update was turned down before being accepted.
#[derive(Clone, Debug, PartialEq)]
pub enum Rejection {
    /// No handler of that name (and no dynamic one).
    Unknown {
        /// The static update names.
        known: Vec<String>,
    },
    /// Its arguments did not decode, or its validator returned an error.
    Invalid(Failure),
}

/// What the run asks the engine to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Start a durable timer.
    StartTimer {
        /// Its sequence number.
        seq: u32,
        /// How long.
        duration: Duration,
    },
    /// Cancel a timer that has not fired.
    CancelTimer {
        /// The timer.
        seq: u32,
    },
    /// Schedule an activity.
    ScheduleActivity {
        /// Its sequence number.
        seq: u32,
        /// The activity name.
        activity_type: String,
        /// Its arguments.
        args: Vec<Payload>,
        /// Timeouts, retries, task queue.
        options: ActivityOptions,
        /// Headers for the activity.
        header: Headers,
    },
    /// Stop waiting for an activity.
    RequestCancelActivity {
        /// The activity call.
        seq: u32,
    },
    /// Run an activity on the workflow's own worker, with no task queue
    /// dispatch; its outcome is recorded as a marker.
    ScheduleLocalActivity {
        /// Its sequence number.
        seq: u32,
        /// The activity name.
        activity_type: String,
        /// Its arguments.
        args: Vec<Payload>,
        /// Timeouts and retries (its task queue and heartbeat timeout are not used).
        options: ActivityOptions,
        /// Headers for the local activity.
        header: Headers,
    },
    /// Stop waiting for a local activity.
    RequestCancelLocalActivity {
        /// The local activity call.
        seq: u32,
    },
    /// Signal another workflow.
    SignalExternal {
        /// Its sequence number.
        seq: u32,
        /// Target workflow id.
        workflow_id: String,
        /// Signal name.
        name: String,
        /// Signal arguments.
        args: Vec<Payload>,
        /// Headers for the signal.
        header: Headers,
    },
    /// Request cancellation of another workflow.
    CancelExternal {
        /// Its sequence number.
        seq: u32,
        /// Target workflow id.
        workflow_id: String,
    },
    /// Start a child workflow.
    StartChild {
        /// Its sequence number.
        seq: u32,
        /// The child's type.
        workflow_type: String,
        /// The child's id.
        workflow_id: String,
        /// The child's task queue.
        task_queue: String,
        /// Its arguments.
        args: Vec<Payload>,
        /// Its timeouts, retries, memo and search attributes.
        run: Box<RunOptions>,
        /// What happens to it when the parent closes first.
        parent_close_policy: ParentClosePolicy,
        /// Headers for the child's start.
        header: Headers,
    },
    /// The validator accepted an update.
    UpdateAccepted {
        /// The update.
        id: String,
    },
    /// The update was turned down; nothing is recorded.
    UpdateRejected {
        /// The update.
        id: String,
        /// Why.
        rejection: Rejection,
    },
    /// An accepted update's handler finished.
    UpdateCompleted {
        /// The update.
        id: String,
        /// Its outcome.
        outcome: Result<Payload, Failure>,
    },
    /// Record that the run takes the patched code (`ctx.patched`), or that
    /// the patch is deprecated (`ctx.deprecate_patch`). Uses no `seq`, so
    /// the other commands number the same with and without it.
    SetPatchMarker {
        /// The patch id.
        patch_id: String,
        /// Whether `deprecate_patch` issued it.
        deprecated: bool,
    },
    /// Change the run's search attributes. Uses no `seq`.
    UpsertSearchAttributes(Vec<SearchAttributeUpdate>),
    /// Change the run's memo; `None` removes a key. Uses no `seq`.
    UpsertMemo(BTreeMap<String, Option<Payload>>),
    /// The run method returned a value.
    Complete(Payload),
    /// The run failed.
    Fail(Failure),
    /// The run finished as canceled.
    CancelWorkflow,
    /// Continue as a new run.
    ContinueAsNew {
        /// The new run's arguments.
        args: Vec<Payload>,
        /// Headers for the new run's start.
        header: Headers,
    },
}

impl Command {
    /// Whether this command closes the run.
    pub fn is_closing(&self) -> bool {
        matches!(
            self,
            Command::Complete(_) | Command::Fail(_) | Command::CancelWorkflow | Command::ContinueAsNew { .. }
        )
    }
}
