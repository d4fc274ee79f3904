//! The typed client.

use std::sync::Arc;

use crate::backend::{Backend, Execution, StartRequest};
use crate::error::ClientError;
use crate::handle::WorkflowHandle;
use crate::marker::{Run, Untyped, WorkflowType};
use crate::options::StartOptions;
use crate::payload::{IntoArgs, Payload, PayloadError};

/// Starts workflows and hands out handles to them. Cheap to clone; the same
/// calls work on every engine.
#[derive(Clone)]
pub struct Client {
    backend: Arc<dyn Backend>,
}

impl Client {
    /// A client over an engine's backend.
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Client { backend }
    }

    /// Starts a workflow and returns a typed handle to it.
    ///
    /// With [`StartOptions::start_signal`] this is signal-with-start: a running
    /// workflow with the same id is signalled instead of failing.
    pub async fn start_workflow<W: WorkflowType, A>(
        &self,
        run: Run<W, A>,
        args: A,
        options: StartOptions<W>,
    ) -> Result<WorkflowHandle<W>, ClientError> {
        let args = run.encode(args);
        self.start(W::NAME, args, options).await
    }

    /// Starts a workflow by type name (dynamic workflows, other SDKs).
    pub async fn start_workflow_by_name(
        &self,
        workflow_type: &str,
        args: impl IntoArgs,
        options: StartOptions,
    ) -> Result<WorkflowHandle, ClientError> {
        self.start(workflow_type, args.into_args(), options).await
    }

    async fn start<W: WorkflowType>(
        &self,
        workflow_type: &str,
        args: Result<Vec<Payload>, PayloadError>,
        options: StartOptions<W>,
    ) -> Result<WorkflowHandle<W>, ClientError> {
        let start_signal = match options.start_signal {
            Some((name, args)) => Some((name, args?)),
            None => None,
        };
        let request = StartRequest {
            workflow_type: workflow_type.to_owned(),
            workflow_id: options.workflow_id.clone(),
            task_queue: options.task_queue,
            args: args?,
            start_signal,
        };
        self.backend.start(request).await?;
        Ok(WorkflowHandle::new(
            self.backend.clone(),
            Execution {
                workflow_id: options.workflow_id,
                run_id: None,
            },
        ))
    }

    /// A typed handle to an existing workflow by id (no call is made).
    pub fn get_workflow_handle_for<W: WorkflowType, A>(
        &self,
        _run: Run<W, A>,
        workflow_id: impl Into<String>,
    ) -> WorkflowHandle<W> {
        WorkflowHandle::new(self.backend.clone(), latest(workflow_id))
    }

    /// An untyped handle to an existing workflow by id (no call is made).
    pub fn get_workflow_handle(&self, workflow_id: impl Into<String>) -> WorkflowHandle<Untyped> {
        WorkflowHandle::new(self.backend.clone(), latest(workflow_id))
    }
}

fn latest(workflow_id: impl Into<String>) -> Execution {
    Execution {
        workflow_id: workflow_id.into(),
        run_id: None,
    }
}
