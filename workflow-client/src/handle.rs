//! Handles to workflow executions and to updates.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::backend::{Backend, Execution, UpdateRequest, UpdateStatus};
use crate::error::ClientError;
use crate::failure::Failure;
use crate::history::{Description, History};
use crate::marker::{Query, Signal, Untyped, Update, WorkflowType};
use crate::options::WaitStage;
use crate::payload::{IntoArgs, Payload};

/// A handle to a workflow execution: typed (`WorkflowHandle<MyWorkflow>`)
/// when obtained from a run marker, [`Untyped`] when obtained by id alone.
pub struct WorkflowHandle<W = Untyped> {
    backend: Arc<dyn Backend>,
    target: Execution,
    _workflow: PhantomData<fn() -> W>,
}

impl<W> Clone for WorkflowHandle<W> {
    fn clone(&self) -> Self {
        WorkflowHandle {
            backend: self.backend.clone(),
            target: self.target.clone(),
            _workflow: PhantomData,
        }
    }
}

impl<W> fmt::Debug for WorkflowHandle<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkflowHandle").field("target", &self.target).finish()
    }
}

impl<W: WorkflowType> WorkflowHandle<W> {
    pub(crate) fn new(backend: Arc<dyn Backend>, target: Execution) -> Self {
        WorkflowHandle {
            backend,
            target,
            _workflow: PhantomData,
        }
    }

    /// The workflow id.
    pub fn id(&self) -> &str {
        &self.target.workflow_id
    }

    /// The run this handle is bound to, or `None` when it follows the latest run.
    pub fn run_id(&self) -> Option<&str> {
        self.target.run_id.as_deref()
    }

    /// Binds the handle to one run.
    pub fn with_run_id(mut self, run_id: impl Into<String>) -> Self {
        self.target.run_id = Some(run_id.into());
        self
    }

    /// Forgets the workflow type; calls then go by name.
    pub fn untyped(self) -> WorkflowHandle<Untyped> {
        WorkflowHandle::new(self.backend, self.target)
    }

    /// Sends a signal; returns once it is durably recorded.
    pub async fn signal<A>(&self, signal: Signal<W, A>, args: A) -> Result<(), ClientError> {
        let args = signal.encode(args)?;
        self.send_signal(signal.name().to_owned(), args).await
    }

    /// Sends a signal by name (dynamic handlers, other SDKs' workflows).
    /// Each element of an argument tuple is one payload.
    pub async fn signal_by_name(&self, name: &str, args: impl IntoArgs) -> Result<(), ClientError> {
        self.send_signal(name.to_owned(), args.into_args()?).await
    }

    async fn send_signal(&self, name: String, args: Vec<Payload>) -> Result<(), ClientError> {
        self.backend.signal(self.target.clone(), name, args).await
    }

    /// Runs a query against the workflow's state (open or closed).
    pub async fn query<A, O: DeserializeOwned>(&self, query: Query<W, A, O>, args: A) -> Result<O, ClientError> {
        let args = query.encode(args)?;
        self.query_payload(query.name().to_owned(), args).await
    }

    /// Runs a query by name, decoding the answer as `O`.
    pub async fn query_by_name<O: DeserializeOwned>(&self, name: &str, args: impl IntoArgs) -> Result<O, ClientError> {
        self.query_payload(name.to_owned(), args.into_args()?).await
    }

    async fn query_payload<O: DeserializeOwned>(&self, name: String, args: Vec<Payload>) -> Result<O, ClientError> {
        let answer = self.backend.query(self.target.clone(), name, args).await?;
        Ok(answer.decode()?)
    }

    /// Sends an update and waits for its result.
    pub async fn execute_update<A, O: DeserializeOwned>(
        &self,
        update: Update<W, A, O>,
        args: A,
    ) -> Result<O, ClientError> {
        self.start_update(update, args, WaitStage::Completed)
            .await?
            .result()
            .await
    }

    /// Sends an update by name and waits for its result, decoded as `O`.
    pub async fn execute_update_by_name<O: DeserializeOwned>(
        &self,
        name: &str,
        args: impl IntoArgs,
    ) -> Result<O, ClientError> {
        self.start_update_by_name(name, args, WaitStage::Completed)
            .await?
            .result()
            .await
    }

    /// Sends an update and returns once it reached `wait`
    /// ([`WaitStage::Accepted`] returns before the handler finishes).
    pub async fn start_update<A, O: DeserializeOwned>(
        &self,
        update: Update<W, A, O>,
        args: A,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        let args = update.encode(args)?;
        self.send_update(crate::id::unique_id(), update.name().to_owned(), args, wait)
            .await
    }

    /// [`start_update`](Self::start_update) with the caller's update id. A
    /// retry with the same id (after a crash, say) is the same update: it is
    /// applied once, and the retry gets its status or outcome.
    pub async fn start_update_with_id<A, O: DeserializeOwned>(
        &self,
        update: Update<W, A, O>,
        args: A,
        update_id: impl Into<String>,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        let args = update.encode(args)?;
        self.send_update(update_id.into(), update.name().to_owned(), args, wait)
            .await
    }

    /// [`start_update`](Self::start_update) by name.
    pub async fn start_update_by_name<O: DeserializeOwned>(
        &self,
        name: &str,
        args: impl IntoArgs,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        self.send_update(crate::id::unique_id(), name.to_owned(), args.into_args()?, wait)
            .await
    }

    async fn send_update<O: DeserializeOwned>(
        &self,
        update_id: String,
        name: String,
        args: Vec<Payload>,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        let request = UpdateRequest {
            update_id: update_id.clone(),
            name: name.clone(),
            args,
            wait,
        };
        let status = self.backend.update(self.target.clone(), request).await?;
        let outcome = match status {
            UpdateStatus::Accepted => None,
            UpdateStatus::Completed(outcome) => Some(outcome),
        };
        Ok(UpdateHandle {
            backend: self.backend.clone(),
            target: self.target.clone(),
            update_id,
            name,
            outcome,
            _output: PhantomData,
        })
    }

    /// Waits for the workflow to close (following continue-as-new) and
    /// returns its result.
    pub async fn result(&self) -> Result<W::Output, ClientError> {
        let payload = self.backend.result(self.target.clone()).await?;
        Ok(payload.decode()?)
    }

    /// Requests cancellation; the workflow sees it at its next await.
    pub async fn cancel(&self) -> Result<(), ClientError> {
        self.backend.cancel(self.target.clone(), String::new()).await
    }

    /// Ends the run at once, recording `reason`.
    pub async fn terminate(&self, reason: &str) -> Result<(), ClientError> {
        self.backend.terminate(self.target.clone(), reason.to_owned()).await
    }

    /// Describes the run.
    pub async fn describe(&self) -> Result<Description, ClientError> {
        self.backend.describe(self.target.clone()).await
    }

    /// Reads the run's history.
    pub async fn fetch_history(&self) -> Result<History, ClientError> {
        self.backend.history(self.target.clone()).await
    }
}

/// A handle to an accepted update.
pub struct UpdateHandle<O> {
    backend: Arc<dyn Backend>,
    target: Execution,
    update_id: String,
    name: String,
    outcome: Option<Result<Payload, Failure>>,
    _output: PhantomData<fn() -> O>,
}

impl<O: DeserializeOwned> UpdateHandle<O> {
    /// The update's id.
    pub fn id(&self) -> &str {
        &self.update_id
    }

    /// Waits for the handler to finish and returns its result.
    pub async fn result(self) -> Result<O, ClientError> {
        let outcome = match self.outcome {
            Some(outcome) => outcome,
            None => self.backend.update_result(self.target, self.update_id).await?,
        };
        match outcome {
            Ok(payload) => Ok(payload.decode()?),
            Err(failure) => Err(ClientError::UpdateFailed {
                name: self.name,
                failure,
            }),
        }
    }
}
