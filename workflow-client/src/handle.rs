//! Handles to workflow executions and to updates.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use crate::backend::{Backend, Execution, Message, UpdateRequest, UpdateStatus};
use crate::error::ClientError;
use crate::failure::Failure;
use crate::header::Headers;
use crate::history::{Description, History};
use crate::marker::{DecodeFn, Query, Signal, Untyped, Update, WorkflowType};
use crate::options::WaitStage;
use crate::payload::{IntoArgs, Payload};

/// A handle to a workflow execution: typed (`WorkflowHandle<MyWorkflow>`)
/// when obtained from a run marker, [`Untyped`] when obtained by id alone.
///
/// A handle names a workflow id and follows it to its latest run (across
/// continue-as-new) unless bound to one run with
/// [`with_run_id`](Self::with_run_id). Creating one makes no call; cloning
/// one is cheap.
///
/// ```
/// # #![allow(non_upper_case_globals)]
/// # use workflow_client::{ClientError, Payload, Query, Run, Signal, Update, WaitStage, WorkflowHandle, WorkflowType};
/// # struct GreetingWorkflow;
/// # impl WorkflowType for GreetingWorkflow { const NAME: &'static str = "GreetingWorkflow"; type Output = Vec<String>; }
/// # impl GreetingWorkflow {
/// #     const run: Run<Self, ()> = Run::__new("run", |()| Ok(Vec::new()));
/// #     const submit_greeting: Signal<Self, String> = Signal::__new("submit_greeting", |a| Ok(vec![Payload::encode(&a)?]));
/// #     const greetings: Query<Self, (), Vec<String>> = Query::__new("greetings", |()| Ok(Vec::new()), |p| p.decode());
/// #     const set_language: Update<Self, String, String> = Update::__new("set_language", |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode());
/// #     const wait_for_greetings: Update<Self, usize, Vec<String>> = Update::__new("wait_for_greetings", |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode());
/// # }
/// async fn talk(handle: &WorkflowHandle<GreetingWorkflow>) -> Result<(), ClientError> {
///     handle.signal(GreetingWorkflow::submit_greeting, "Ada".to_string()).await?;
///     let greetings: Vec<String> = handle.query(GreetingWorkflow::greetings, ()).await?;
///     let previous = handle.execute_update(GreetingWorkflow::set_language, "French".to_string()).await?;
///     // Returns once the update is accepted; `result` waits for its handler.
///     let pending = handle.start_update(GreetingWorkflow::wait_for_greetings, 2, WaitStage::Accepted).await?;
///     let two: Vec<String> = pending.result().await?;
///     Ok(())
/// }
/// ```
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
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let latest = client.get_workflow_handle("account-42");
    /// let run_id = latest.describe().await?.run_id;
    /// // Still this run after the workflow continues as new.
    /// let this_run = latest.with_run_id(run_id);
    /// let history = this_run.fetch_history().await?;
    /// # Ok(()) }
    /// ```
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
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("inventory");
    /// handle.signal_by_name("restock", ("apples", 12)).await?; // two arguments
    /// handle.signal_by_name("close", ()).await?; // none
    /// # Ok(()) }
    /// ```
    pub async fn signal_by_name(&self, name: &str, args: impl IntoArgs) -> Result<(), ClientError> {
        self.send_signal(name.to_owned(), args.into_args()?).await
    }

    async fn send_signal(&self, name: String, args: Vec<Payload>) -> Result<(), ClientError> {
        self.backend.signal(self.target.clone(), Message::new(name, args)).await
    }

    /// Runs a query against the workflow's state (open or closed). Adds
    /// nothing to history. A handler's error comes back as
    /// [`ClientError::QueryFailed`].
    pub async fn query<A, O>(&self, query: Query<W, A, O>, args: A) -> Result<O, ClientError> {
        let args = query.encode(args)?;
        self.query_payload(query.name().to_owned(), args, query.decoder()).await
    }

    /// Runs a query by name, decoding the answer as `O`.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("greeting-1");
    /// match handle.query_by_name::<Vec<String>>("greetings", ()).await {
    ///     Ok(greetings) => println!("{greetings:?}"),
    ///     // The error lists the names the workflow does answer.
    ///     Err(e @ ClientError::UnknownQuery { .. }) => eprintln!("{e}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn query_by_name<O: DeserializeOwned>(&self, name: &str, args: impl IntoArgs) -> Result<O, ClientError> {
        self.query_payload(name.to_owned(), args.into_args()?, Payload::decode::<O>)
            .await
    }

    async fn query_payload<O>(&self, name: String, args: Vec<Payload>, decode: DecodeFn<O>) -> Result<O, ClientError> {
        let answer = self
            .backend
            .query(self.target.clone(), Message::new(name, args))
            .await?;
        Ok(decode(&answer)?)
    }

    /// Sends an update and waits for its result.
    ///
    /// A validator's rejection is [`ClientError::UpdateRejected`] and leaves
    /// no trace in history; an error from the handler itself is
    /// [`ClientError::UpdateFailed`].
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{ClientError, Payload, Update, WorkflowHandle, WorkflowType};
    /// # struct GreetingWorkflow;
    /// # impl WorkflowType for GreetingWorkflow { const NAME: &'static str = "GreetingWorkflow"; type Output = Vec<String>; }
    /// # impl GreetingWorkflow {
    /// #     const set_language: Update<Self, String, String> = Update::__new("set_language", |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode());
    /// # }
    /// async fn switch(handle: &WorkflowHandle<GreetingWorkflow>, language: String) -> Result<(), ClientError> {
    ///     match handle.execute_update(GreetingWorkflow::set_language, language).await {
    ///         Ok(previous) => println!("switched from {previous}"),
    ///         Err(ClientError::UpdateRejected { failure, .. }) => println!("not switched: {failure}"),
    ///         Err(e) => return Err(e),
    ///     }
    ///     Ok(())
    /// }
    /// ```
    pub async fn execute_update<A, O>(&self, update: Update<W, A, O>, args: A) -> Result<O, ClientError> {
        self.start_update(update, args, WaitStage::Completed)
            .await?
            .result()
            .await
    }

    /// Sends an update by name and waits for its result, decoded as `O`.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("greeting-1");
    /// let previous: String = handle.execute_update_by_name("set_language", ("French",)).await?;
    /// # Ok(()) }
    /// ```
    pub async fn execute_update_by_name<O: DeserializeOwned>(
        &self,
        name: &str,
        args: impl IntoArgs,
    ) -> Result<O, ClientError> {
        self.start_update_by_name::<O>(name, args, WaitStage::Completed)
            .await?
            .result()
            .await
    }

    /// Sends an update and returns once it reached `wait`
    /// ([`WaitStage::Accepted`] returns before the handler finishes).
    pub async fn start_update<A, O>(
        &self,
        update: Update<W, A, O>,
        args: A,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        let args = update.encode(args)?;
        let update_id = crate::id::unique_id();
        self.send_update(
            self.update_handle(update.name().to_owned(), update_id, update.decoder()),
            args,
            wait,
        )
        .await
    }

    /// [`start_update`](Self::start_update) with the caller's update id. A
    /// retry with the same id (after a crash, say) is the same update: it is
    /// applied once, and the retry gets its status or outcome.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{ClientError, Payload, Update, WaitStage, WorkflowHandle, WorkflowType};
    /// # struct Order;
    /// # impl WorkflowType for Order { const NAME: &'static str = "Order"; type Output = (); }
    /// # impl Order {
    /// #     const pay: Update<Self, u64, String> = Update::__new("pay", |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode());
    /// # }
    /// async fn pay(order: &WorkflowHandle<Order>, amount: u64) -> Result<String, ClientError> {
    ///     // Derived from the request, so that sending it again cannot pay twice.
    ///     let update_id = format!("{}-payment-{amount}", order.id());
    ///     let update = order.start_update_with_id(Order::pay, amount, update_id, WaitStage::Completed).await?;
    ///     update.result().await
    /// }
    /// ```
    pub async fn start_update_with_id<A, O: DeserializeOwned>(
        &self,
        update: Update<W, A, O>,
        args: A,
        update_id: impl Into<String>,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        let args = update.encode(args)?;
        self.send_update(
            self.update_handle(update.name().to_owned(), update_id.into(), update.decoder()),
            args,
            wait,
        )
        .await
    }

    /// [`start_update`](Self::start_update) by name.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError, WaitStage};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("greeting-1");
    /// let update = handle.start_update_by_name::<Vec<String>>("wait_for_greetings", (2,), WaitStage::Accepted).await?;
    /// // The update is durably accepted; its handler may still be waiting.
    /// let greetings = update.result().await?;
    /// # Ok(()) }
    /// ```
    pub async fn start_update_by_name<O: DeserializeOwned>(
        &self,
        name: &str,
        args: impl IntoArgs,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        let handle = self.update_handle(name.to_owned(), crate::id::unique_id(), Payload::decode::<O>);
        self.send_update(handle, args.into_args()?, wait).await
    }

    /// A handle to an update sent elsewhere (another process, or an earlier
    /// call whose handle is gone), to wait for its result. Nothing is sent
    /// until [`result`](UpdateHandle::result), which fails with
    /// [`ClientError::UpdateNotFound`] when the run accepted no update of
    /// that id.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{ClientError, Payload, Update, WorkflowHandle, WorkflowType};
    /// # struct Order;
    /// # impl WorkflowType for Order { const NAME: &'static str = "Order"; type Output = (); }
    /// # impl Order {
    /// #     const approve: Update<Self, String, bool> = Update::__new("approve", |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode());
    /// # }
    /// async fn approval(order: &WorkflowHandle<Order>) -> Result<bool, ClientError> {
    ///     // Started by the approvals service with id `approve-<order id>`.
    ///     let update = order.get_update_handle(Order::approve, format!("approve-{}", order.id()));
    ///     update.result().await
    /// }
    /// ```
    pub fn get_update_handle<A, O>(&self, update: Update<W, A, O>, update_id: impl Into<String>) -> UpdateHandle<O> {
        self.update_handle(update.name().to_owned(), update_id.into(), update.decoder())
    }

    /// [`get_update_handle`](Self::get_update_handle) by the update's name.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("approval-3");
    /// let approved: bool = handle.get_update_handle_by_name("approve", "approve-3").result().await?;
    /// # Ok(()) }
    /// ```
    pub fn get_update_handle_by_name<O: DeserializeOwned>(
        &self,
        name: &str,
        update_id: impl Into<String>,
    ) -> UpdateHandle<O> {
        self.update_handle(name.to_owned(), update_id.into(), Payload::decode::<O>)
    }

    /// A handle to update `update_id` of this workflow, not yet sent or seen.
    pub(crate) fn update_handle<O>(&self, name: String, update_id: String, decode: DecodeFn<O>) -> UpdateHandle<O> {
        UpdateHandle {
            backend: self.backend.clone(),
            target: self.target.clone(),
            update_id,
            name,
            decode,
            outcome: None,
        }
    }

    /// Sends the update `handle` names, with `args`, and waits for `wait`.
    async fn send_update<O>(
        &self,
        mut handle: UpdateHandle<O>,
        args: Vec<Payload>,
        wait: WaitStage,
    ) -> Result<UpdateHandle<O>, ClientError> {
        let request = UpdateRequest {
            update_id: handle.update_id.clone(),
            name: handle.name.clone(),
            args,
            wait,
            header: Headers::default(),
        };
        handle.reached(self.backend.update(self.target.clone(), request).await?);
        Ok(handle)
    }

    /// Waits for the workflow to close (following continue-as-new) and
    /// returns its result. A run that failed, was canceled or was terminated
    /// gives [`ClientError::WorkflowFailed`] saying why.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("report-7");
    /// match handle.result().await {
    ///     // An untyped handle's result is a raw value, decoded here.
    ///     Ok(value) => println!("report: {}", value.decode::<String>()?),
    ///     Err(ClientError::WorkflowFailed { failure, .. }) => println!("no report: {failure}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn result(&self) -> Result<W::Output, ClientError> {
        let payload = self.backend.result(self.target.clone()).await?;
        Ok(payload.decode()?)
    }

    /// Requests cancellation; the workflow sees it at its next await.
    ///
    /// The workflow decides what to do with it: one that lets the error
    /// return from its run method closes as canceled.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError, Failure};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("report-7");
    /// handle.cancel().await?;
    /// if let Err(ClientError::WorkflowFailed { failure: Failure::Canceled, .. }) = handle.result().await {
    ///     println!("canceled");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn cancel(&self) -> Result<(), ClientError> {
        self.backend.cancel(self.target.clone(), String::new()).await
    }

    /// Ends the run at once, recording `reason`. Unlike
    /// [`cancel`](Self::cancel), the workflow gets no chance to clean up.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError, WorkflowStatus};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("report-7");
    /// handle.terminate("superseded by report-8").await?;
    /// assert_eq!(handle.describe().await?.status, WorkflowStatus::Terminated);
    /// # Ok(()) }
    /// ```
    pub async fn terminate(&self, reason: &str) -> Result<(), ClientError> {
        self.backend.terminate(self.target.clone(), reason.to_owned()).await
    }

    /// Describes the run: status, times, history length, signals received
    /// and those no handler took, and why it is stuck, if it is.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let description = client.get_workflow_handle("greeting-1").describe().await?;
    /// println!("{} is {}", description.workflow_id, description.status);
    /// if !description.unhandled_signals.is_empty() {
    ///     println!("no handler for {:?}", description.unhandled_signals);
    /// }
    /// if let Some(failure) = &description.task_failure {
    ///     println!("stuck: {failure}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn describe(&self) -> Result<Description, ClientError> {
        self.backend.describe(self.target.clone()).await
    }

    /// Reads the run's history.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let history = client.get_workflow_handle("greeting-1").fetch_history().await?;
    /// let signals = history.events_named("WorkflowExecutionSignaled").count();
    /// // Kept next to the tests, to replay against later versions of the code.
    /// let json = history.to_json();
    /// # Ok(()) }
    /// ```
    pub async fn fetch_history(&self) -> Result<History, ClientError> {
        self.backend.history(self.target.clone()).await
    }
}

/// A handle to an accepted update, from
/// [`start_update`](WorkflowHandle::start_update): its handler may still be
/// running, and [`result`](Self::result) waits for it.
///
/// ```
/// # use workflow_client::{Client, ClientError, UpdateHandle, WaitStage};
/// # async fn demo(client: Client) -> Result<(), ClientError> {
/// let handle = client.get_workflow_handle("approval-3");
/// let update: UpdateHandle<bool> = handle.start_update_by_name("approve", ("alice",), WaitStage::Accepted).await?;
/// println!("update {} accepted", update.id());
/// let approved = update.result().await?;
/// # Ok(()) }
/// ```
pub struct UpdateHandle<O> {
    backend: Arc<dyn Backend>,
    target: Execution,
    update_id: String,
    name: String,
    /// Decodes the handler's result (the marker's, for a typed call).
    decode: DecodeFn<O>,
    /// The outcome, once known.
    outcome: Option<Result<Payload, Failure>>,
}

impl<O> fmt::Debug for UpdateHandle<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpdateHandle")
            .field("workflow", &self.target)
            .field("update_id", &self.update_id)
            .field("name", &self.name)
            .field("completed", &self.outcome.is_some())
            .finish()
    }
}

impl<O> UpdateHandle<O> {
    /// The update's id.
    pub fn id(&self) -> &str {
        &self.update_id
    }

    /// Takes the stage the update reached; a completed one keeps its outcome.
    pub(crate) fn reached(&mut self, status: UpdateStatus) {
        if let UpdateStatus::Completed(outcome) = status {
            self.outcome = Some(outcome);
        }
    }

    /// Waits for the handler to finish and returns its result; the
    /// handler's error is [`ClientError::UpdateFailed`].
    pub async fn result(self) -> Result<O, ClientError> {
        let outcome = match self.outcome {
            Some(outcome) => outcome,
            None => self.backend.update_result(self.target, self.update_id).await?,
        };
        match outcome {
            Ok(payload) => Ok((self.decode)(&payload)?),
            Err(failure) => Err(ClientError::UpdateFailed {
                name: self.name,
                failure,
            }),
        }
    }
}
