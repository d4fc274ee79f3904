//! Errors of client calls.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::failure::Failure;
use crate::payload::PayloadError;

/// A per-execution limit (Temporal's, configurable on the engine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Limit {
    /// Signals one execution may receive (default 10,000).
    ReceivedSignals,
    /// Outgoing signals one execution may have in flight (default 2,000).
    PendingOutgoingSignals,
    /// Size of one payload in bytes (default 2 MiB).
    PayloadSize,
    /// Updates one execution may have admitted or accepted and not yet
    /// completed (default 10).
    InFlightUpdates,
    /// Updates one execution may receive in all (default 2,000).
    TotalUpdates,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Limit::ReceivedSignals => "received signals per execution",
            Limit::PendingOutgoingSignals => "pending outgoing signals per execution",
            Limit::PayloadSize => "payload size",
            Limit::InFlightUpdates => "in-flight updates per execution",
            Limit::TotalUpdates => "total updates per execution",
        })
    }
}

/// The lifecycle state of a workflow execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WorkflowStatus {
    /// Open.
    Running,
    /// Returned a value.
    Completed,
    /// Returned an error.
    Failed,
    /// Was canceled and finished as canceled.
    Canceled,
    /// Was terminated.
    Terminated,
    /// Continued as a new run of the same workflow id.
    ContinuedAsNew,
    /// Ran out of its run or execution timeout.
    TimedOut,
}

impl std::str::FromStr for WorkflowStatus {
    type Err = String;

    /// Parses a status name, ignoring case, `-` and `_`.
    ///
    /// ```
    /// use workflow_client::WorkflowStatus;
    /// assert_eq!("continued-as-new".parse(), Ok(WorkflowStatus::ContinuedAsNew));
    /// assert_eq!("running".parse(), Ok(WorkflowStatus::Running));
    /// ```
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted: String = text.chars().filter(|c| !matches!(c, '-' | '_')).collect();
        WorkflowStatus::ALL
            .into_iter()
            .find(|s| s.to_string().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| {
                let names: Vec<String> = WorkflowStatus::ALL.iter().map(|s| s.to_string()).collect();
                format!("unknown status `{text}` (one of {})", names.join(", "))
            })
    }
}

impl WorkflowStatus {
    /// Every status, in the order messages and filters list them.
    pub const ALL: [WorkflowStatus; 7] = [
        WorkflowStatus::Running,
        WorkflowStatus::Completed,
        WorkflowStatus::Failed,
        WorkflowStatus::Canceled,
        WorkflowStatus::Terminated,
        WorkflowStatus::ContinuedAsNew,
        WorkflowStatus::TimedOut,
    ];

    /// Whether the execution is still open.
    pub fn is_running(self) -> bool {
        self == WorkflowStatus::Running
    }
}

impl fmt::Display for WorkflowStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Why a client call failed.
///
/// Every engine reports the same variants, so code that handles them works
/// on the embedded engine and on Temporal alike.
///
/// ```
/// # use workflow_client::{Client, ClientError, WorkflowStatus};
/// # async fn demo(client: Client) -> Result<(), ClientError> {
/// let handle = client.get_workflow_handle("order-42");
/// match handle.signal_by_name("cancel_item", ("apples",)).await {
///     Ok(()) => {}
///     Err(ClientError::Closed { status: WorkflowStatus::Completed, .. }) => println!("too late: already shipped"),
///     Err(ClientError::NotFound { workflow_id }) => println!("no order {workflow_id}"),
///     Err(e) => return Err(e),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// No execution has this workflow id (or run id).
    #[error("workflow `{workflow_id}` not found")]
    NotFound {
        /// The id asked for.
        workflow_id: String,
    },
    /// An open execution already has this workflow id.
    #[error("workflow `{workflow_id}` is already running (run `{run_id}`)")]
    AlreadyStarted {
        /// The id asked for.
        workflow_id: String,
        /// The open run.
        run_id: String,
    },
    /// The call needs an open execution and this one has closed.
    #[error("workflow `{workflow_id}` is closed ({status}): it no longer accepts {what}")]
    Closed {
        /// The workflow.
        workflow_id: String,
        /// How it closed.
        status: WorkflowStatus,
        /// What was refused (signals, updates, cancellation).
        what: &'static str,
    },
    /// The workflow has no query handler of that name and no dynamic one.
    #[error("workflow `{workflow_type}` has no query `{name}` (known queries: {})", known.join(", "))]
    UnknownQuery {
        /// The workflow's type.
        workflow_type: String,
        /// The name asked for.
        name: String,
        /// The static query names it has.
        known: Vec<String>,
    },
    /// The workflow has no update handler of that name and no dynamic one.
    #[error("workflow `{workflow_type}` has no update `{name}` (known updates: {})", known.join(", "))]
    UnknownUpdate {
        /// The workflow's type.
        workflow_type: String,
        /// The name asked for.
        name: String,
        /// The static update names it has.
        known: Vec<String>,
    },
    /// No update with this id was accepted by the workflow (a handle from
    /// `get_update_handle` with an id nobody sent, or one the validator
    /// rejected).
    #[error("workflow `{workflow_id}` has no update with id `{update_id}`")]
    UpdateNotFound {
        /// The workflow.
        workflow_id: String,
        /// The update id asked for.
        update_id: String,
    },
    /// The workflow closed while the update's handler was still running:
    /// the update was accepted and has no result. Wait for
    /// `ctx.all_handlers_finished()` before returning from the run method
    /// to let handlers finish.
    #[error("workflow `{workflow_id}` closed ({status}) before update `{update_id}` finished")]
    UpdateUnfinished {
        /// The workflow.
        workflow_id: String,
        /// The update.
        update_id: String,
        /// How the run closed.
        status: WorkflowStatus,
    },
    /// The query handler returned an error.
    #[error("query `{name}` failed: {failure}")]
    QueryFailed {
        /// The query.
        name: String,
        /// The handler's error.
        failure: Failure,
    },
    /// The update's validator (or argument decoding) rejected it; nothing was recorded.
    #[error("update `{name}` rejected: {failure}")]
    UpdateRejected {
        /// The update.
        name: String,
        /// The validator's error.
        failure: Failure,
    },
    /// The update was accepted and its handler returned an error.
    #[error("update `{name}` failed: {failure}")]
    UpdateFailed {
        /// The update.
        name: String,
        /// The handler's error.
        failure: Failure,
    },
    /// The workflow closed without a value (failed, canceled, terminated).
    #[error("workflow `{workflow_id}` did not complete: {failure}")]
    WorkflowFailed {
        /// The workflow.
        workflow_id: String,
        /// Why.
        failure: Failure,
    },
    /// A per-execution limit was reached; nothing already accepted was lost.
    #[error("workflow `{workflow_id}` reached the {limit} limit of {max}")]
    LimitExceeded {
        /// The workflow.
        workflow_id: String,
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: usize,
    },
    /// An argument or result did not encode or decode.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// No attempt that completes asynchronously has this task token: it was
    /// completed already, timed out (and was retried), or its run closed.
    #[error("no activity attempt waits for completion under task token `{token}`: it completed, timed out or its run closed")]
    ActivityNotFound {
        /// The token, as text.
        token: String,
    },
    /// A visibility query that does not parse, or does not fit the types
    /// of the attributes it names.
    #[error("invalid visibility query: {message}")]
    InvalidQuery {
        /// What is wrong, and where.
        message: String,
        /// The byte offset in the query of what is wrong, for syntax errors.
        position: Option<usize>,
    },
    /// No schedule has this id.
    #[error("schedule `{schedule_id}` not found")]
    ScheduleNotFound {
        /// The id asked for.
        schedule_id: String,
    },
    /// A schedule with this id exists already.
    #[error("schedule `{schedule_id}` already exists")]
    ScheduleAlreadyExists {
        /// The id asked for.
        schedule_id: String,
    },
    /// The call's options do not go together; nothing was sent.
    #[error("invalid options: {message}")]
    InvalidOptions {
        /// What is wrong and how to fix it.
        message: String,
    },
    /// No worker serves the workflow's task queue, so nothing can answer.
    #[error("no worker is polling task queue `{task_queue}` (waited {waited:?}); start a worker for it")]
    NoWorker {
        /// The queue.
        task_queue: String,
        /// How long the call waited for one.
        waited: Duration,
    },
    /// No process owns the embedded workflow file, so nothing can answer a
    /// call that needs its workers (a start, query or update).
    #[error(
        "no process has the workflow file `{}` open; start the process that runs its workers",
        path.display()
    )]
    NotOwned {
        /// The file.
        path: std::path::PathBuf,
    },
    /// The workflow's code could not run (a panic, or history it no longer matches).
    #[error("workflow `{workflow_id}` cannot make progress: {message}")]
    WorkflowTask {
        /// The workflow.
        workflow_id: String,
        /// What went wrong.
        message: String,
    },
    /// The payload codec could not encode an argument or decode a result.
    #[error(transparent)]
    Codec(#[from] crate::codec::CodecError),
    /// A Temporal server refused the call for a reason with no variant of its own.
    #[error("the Temporal server refused the call: {message}")]
    Server {
        /// The server's status code and message.
        message: String,
    },
    /// The store failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// The engine has shut down.
    #[error("the engine has shut down")]
    EngineClosed,
}

impl From<crate::visibility::QueryError> for ClientError {
    fn from(e: crate::visibility::QueryError) -> Self {
        ClientError::InvalidQuery {
            message: e.to_string(),
            position: Some(e.position()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WorkflowStatus;

    #[test]
    fn all_lists_every_status_once_in_order() {
        // A new status fails to compile here until it has a place in `ALL`.
        let place = |status: WorkflowStatus| match status {
            WorkflowStatus::Running => 0,
            WorkflowStatus::Completed => 1,
            WorkflowStatus::Failed => 2,
            WorkflowStatus::Canceled => 3,
            WorkflowStatus::Terminated => 4,
            WorkflowStatus::ContinuedAsNew => 5,
            WorkflowStatus::TimedOut => 6,
        };
        let places: Vec<usize> = WorkflowStatus::ALL.into_iter().map(place).collect();
        assert_eq!(places, (0..WorkflowStatus::ALL.len()).collect::<Vec<_>>());
    }
}
