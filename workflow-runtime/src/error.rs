//! Errors inside workflow code.

use workflow_client::{ApplicationError, Failure, Limit, PayloadError};

/// The result type of workflow code: the run method, async handlers and
/// every awaitable call on the context.
pub type WorkflowResult<T> = Result<T, WorkflowError>;

/// Why a workflow operation did not produce a value. Returned from the run
/// method it closes the workflow: [`ContinueAsNew`](WorkflowError::ContinueAsNew)
/// continues it, [`Canceled`](WorkflowError::Canceled) cancels it, anything
/// else fails it.
///
/// ```
/// # use std::time::Duration;
/// # use workflow_client::ActivityOptions;
/// # use workflow_runtime::{WorkflowContext, WorkflowError, WorkflowResult};
/// async fn try_charge<W>(ctx: &WorkflowContext<W>, cents: u64) -> WorkflowResult<bool> {
///     let options = ActivityOptions::start_to_close(Duration::from_secs(30));
///     match ctx.execute_activity_by_name::<String>("charge_card", (cents,), options).await {
///         Ok(_receipt) => Ok(true),
///         // A declined card is an answer, not a failure of the workflow.
///         Err(WorkflowError::Failed(f)) if f.application_error().and_then(|e| e.error_type()) == Some("Declined") => {
///             Ok(false)
///         }
///         Err(e) => Err(e),
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum WorkflowError {
    /// User code raised an error.
    #[error(transparent)]
    Application(#[from] ApplicationError),
    /// An argument or result did not encode or decode.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// Cancellation was requested and reached this await.
    #[error("workflow canceled")]
    Canceled,
    /// An activity or child workflow failed; the failure says which and why.
    #[error(transparent)]
    Failed(Failure),
    /// A signal to another workflow could not be delivered: no open execution has that id.
    #[error("cannot signal workflow `{workflow_id}`: not found")]
    ExternalNotFound {
        /// The target workflow id.
        workflow_id: String,
    },
    /// A signal to another workflow was refused: it reached its received-signals limit.
    #[error("cannot signal workflow `{workflow_id}`: it reached its received-signals limit")]
    ExternalLimitExceeded {
        /// The target workflow id.
        workflow_id: String,
    },
    /// A child workflow could not start because its id is in use.
    #[error("cannot start child workflow `{workflow_id}`: already running")]
    ChildAlreadyStarted {
        /// The child's workflow id.
        workflow_id: String,
    },
    /// A per-execution limit was reached.
    #[error("the {limit} limit of {max} was reached")]
    LimitExceeded {
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: usize,
    },
    /// Returned from the run method: continue as a new run with these arguments.
    #[error("continue as new")]
    ContinueAsNew(Vec<workflow_client::Payload>),
}

impl WorkflowError {
    /// The failure recorded when this error closes a workflow or an update.
    pub fn to_failure(&self) -> Failure {
        match self {
            WorkflowError::Application(e) => Failure::Application(e.clone()),
            WorkflowError::Failed(f) => f.clone(),
            WorkflowError::Canceled => Failure::Canceled,
            other => Failure::Application(ApplicationError::new(other.to_string()).with_type(other.type_name())),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            WorkflowError::Payload(_) => "PayloadError",
            WorkflowError::ExternalNotFound { .. } => "ExternalWorkflowNotFound",
            WorkflowError::ExternalLimitExceeded { .. } => "LimitExceeded",
            WorkflowError::ChildAlreadyStarted { .. } => "WorkflowAlreadyStarted",
            WorkflowError::LimitExceeded { .. } => "LimitExceeded",
            _ => "WorkflowError",
        }
    }
}
