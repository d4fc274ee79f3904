//! The engine-facing side of the client: what an engine implements so the
//! typed [`Client`](crate::Client) can drive it.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};

use crate::error::ClientError;
use crate::failure::{ApplicationError, Failure};
use crate::header::Headers;
use crate::history::{Description, History};
use crate::options::{IdConflictPolicy, IdReusePolicy, RunOptions, WaitStage};
use crate::payload::Payload;
use crate::schedule::{ScheduleOp, ScheduleReply, ScheduleSummary};
use crate::task_token::TaskToken;
use crate::visibility::WorkflowPage;

/// A boxed, sendable future.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// Which execution a call targets: the latest run of a workflow id, or one run.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Execution {
    /// The workflow id.
    pub workflow_id: String,
    /// A specific run, or `None` for the latest.
    pub run_id: Option<String>,
}

/// A request to start a workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartRequest {
    /// The workflow type's name.
    pub workflow_type: String,
    /// The workflow id.
    pub workflow_id: String,
    /// The task queue.
    pub task_queue: String,
    /// Run arguments.
    pub args: Vec<Payload>,
    /// Signal-with-start: name and arguments of the signal.
    pub start_signal: Option<(String, Vec<Payload>)>,
    /// Whether the id of a closed run may be reused.
    #[serde(default)]
    pub id_reuse_policy: IdReusePolicy,
    /// What to do when a run of the id is open; `None` for the call's
    /// default (fail a plain start, use the run for the others).
    #[serde(default)]
    pub id_conflict_policy: Option<IdConflictPolicy>,
    /// Timeouts, retries, start delay, memo and search attributes.
    #[serde(default)]
    pub run: RunOptions,
    /// Headers for the run's start (and its start signal).
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub header: Headers,
}

impl StartRequest {
    /// What the start does when a run of the id is open, defaults and
    /// `TerminateIfRunning` resolved.
    pub fn conflict_policy(&self) -> IdConflictPolicy {
        match (self.id_conflict_policy, self.id_reuse_policy) {
            (Some(policy), _) => policy,
            (None, IdReusePolicy::TerminateIfRunning) => IdConflictPolicy::TerminateExisting,
            (None, _) if self.start_signal.is_some() => IdConflictPolicy::UseExisting,
            (None, _) => IdConflictPolicy::Fail,
        }
    }
}

/// A request to run an update.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UpdateRequest {
    /// Unique id of this update (retries with the same id are deduplicated).
    pub update_id: String,
    /// The update's name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<Payload>,
    /// When to answer.
    pub wait: WaitStage,
    /// Headers for the update's handler.
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub header: Headers,
}

/// A signal or a query: a handler's name, its arguments and headers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The handler's wire name.
    pub name: String,
    /// Its arguments.
    pub args: Vec<Payload>,
    /// Headers for the handler.
    #[serde(default, skip_serializing_if = "Headers::is_empty")]
    pub header: Headers,
}

impl Message {
    /// A message with no headers.
    pub fn new(name: impl Into<String>, args: Vec<Payload>) -> Self {
        Message {
            name: name.into(),
            args,
            header: Headers::default(),
        }
    }
}

/// How far an update has got.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum UpdateStatus {
    /// Accepted and recorded; the handler is still running.
    Accepted,
    /// The handler finished with this outcome.
    Completed(Result<Payload, Failure>),
}

/// The operations an engine offers clients. Futures are `'static` so the
/// engine can answer from its own thread.
pub trait Backend: Send + Sync + 'static {
    /// Starts a workflow (or signals the running one, with a start signal);
    /// returns the run id.
    fn start(&self, request: StartRequest) -> BoxFuture<Result<String, ClientError>>;
    /// Records a signal.
    fn signal(&self, target: Execution, signal: Message) -> BoxFuture<Result<(), ClientError>>;
    /// Runs a query.
    fn query(&self, target: Execution, query: Message) -> BoxFuture<Result<Payload, ClientError>>;
    /// Sends an update and waits for the requested stage.
    fn update(&self, target: Execution, request: UpdateRequest) -> BoxFuture<Result<UpdateStatus, ClientError>>;
    /// Update-with-start: starts the workflow unless a run of its id is
    /// open, and sends the update to that run; a started run takes the
    /// update in its first workflow task, before its run method's first step.
    fn update_with_start(
        &self,
        start: StartRequest,
        update: UpdateRequest,
    ) -> BoxFuture<Result<UpdateStatus, ClientError>>;
    /// Waits for an accepted update's outcome.
    fn update_result(
        &self,
        target: Execution,
        update_id: String,
    ) -> BoxFuture<Result<Result<Payload, Failure>, ClientError>>;
    /// Waits for the workflow to close, following continue-as-new.
    fn result(&self, target: Execution) -> BoxFuture<Result<Payload, ClientError>>;
    /// Requests cancellation.
    fn cancel(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>>;
    /// Terminates the run at once.
    fn terminate(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>>;
    /// Describes the run.
    fn describe(&self, target: Execution) -> BoxFuture<Result<Description, ClientError>>;
    /// Reads the run's history.
    fn history(&self, target: Execution) -> BoxFuture<Result<History, ClientError>>;
    /// Finishes an attempt that completes asynchronously, with its value or
    /// its failure (retried per the activity's retry policy).
    fn complete_activity(
        &self,
        token: TaskToken,
        outcome: Result<Payload, ApplicationError>,
    ) -> BoxFuture<Result<(), ClientError>>;
    /// Records a heartbeat of an attempt that completes asynchronously.
    fn heartbeat_activity(&self, token: TaskToken, details: Vec<Payload>) -> BoxFuture<Result<(), ClientError>>;
    /// One page of the runs a visibility query (already checked to parse)
    /// selects, from `page_token` (`None`: the first page).
    fn list_workflows(
        &self,
        query: String,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    ) -> BoxFuture<Result<WorkflowPage, ClientError>>;
    /// How many runs a visibility query (already checked to parse) selects.
    fn count_workflows(&self, query: String) -> BoxFuture<Result<u64, ClientError>>;
    /// A call on one schedule.
    fn schedule(&self, schedule_id: String, op: ScheduleOp) -> BoxFuture<Result<ScheduleReply, ClientError>>;
    /// Every schedule, by id.
    fn list_schedules(&self) -> BoxFuture<Result<Vec<ScheduleSummary>, ClientError>>;
}
