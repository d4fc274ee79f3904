//! The typed client.

use std::sync::Arc;

use futures::stream::{self, Stream, TryStreamExt};

use crate::backend::{Backend, Execution, StartRequest, UpdateRequest};
use serde::Serialize;

use crate::error::ClientError;
use crate::failure::ApplicationError;
use crate::handle::{UpdateHandle, WorkflowHandle};
use crate::header::Headers;
use crate::marker::{Run, Untyped, Update, WorkflowType};
use crate::options::{IdConflictPolicy, IdReusePolicy, StartOptions, WaitStage};
use crate::payload::{IntoArgs, Payload, PayloadError};
use crate::schedule::{Schedule, ScheduleHandle, ScheduleOp, ScheduleSummary};
use crate::task_token::TaskToken;
use crate::visibility::{VisibilityQuery, WorkflowPage, WorkflowSummary};

/// Starts workflows and hands out handles to them. Cheap to clone; the same
/// calls work on every engine. Get one with `engine.client()`.
///
/// Typed calls take the marker constants `#[workflow::defn]` generates, so
/// the workflow type and the argument types are checked at compile time.
///
/// ```
/// # #![allow(non_upper_case_globals)]
/// # use workflow_client::{Client, ClientError, Payload, Run, Signal, StartOptions, WorkflowType};
/// # struct GreetingWorkflow;
/// # impl WorkflowType for GreetingWorkflow { const NAME: &'static str = "GreetingWorkflow"; type Output = Vec<String>; }
/// # impl GreetingWorkflow {
/// #     const run: Run<Self, ()> = Run::__new("run", |()| Ok(Vec::new()));
/// #     const submit_greeting: Signal<Self, String> = Signal::__new("submit_greeting", |a| Ok(vec![Payload::encode(&a)?]));
/// # }
/// async fn greet(client: &Client) -> Result<Vec<String>, ClientError> {
///     let options = StartOptions::new("greeting-1").task_queue("greetings");
///     let handle = client.start_workflow(GreetingWorkflow::run, (), options).await?;
///     handle.signal(GreetingWorkflow::submit_greeting, "Ada".to_string()).await?;
///
///     // Anywhere else, by workflow id:
///     let same = client.get_workflow_handle_for(GreetingWorkflow::run, "greeting-1");
///     same.result().await
/// }
/// ```
#[derive(Clone)]
pub struct Client {
    backend: Arc<dyn Backend>,
}

impl Client {
    /// A client over an engine's backend. Engines call this; applications
    /// get their client from the engine.
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Client { backend }
    }

    /// This client with `codec` applied to what it sends and reads back:
    /// arguments are encoded before they leave, results and history are
    /// decoded when they arrive. Engines built with a codec hand out such
    /// clients.
    pub fn with_codec(self, codec: Arc<dyn crate::codec::PayloadCodec>) -> Self {
        Client {
            backend: Arc::new(crate::codec::Encoded {
                inner: self.backend,
                codec,
            }),
        }
    }

    /// This client with every call going through `interceptor`, which may
    /// add headers that the run's worker interceptors read. Interceptors
    /// installed later see a call first.
    pub fn with_interceptor(self, interceptor: impl crate::ClientInterceptor) -> Self {
        Client {
            backend: Arc::new(crate::interceptor::Intercepted {
                inner: self.backend,
                interceptor,
            }),
        }
    }

    /// Starts a workflow and returns a typed handle to it.
    ///
    /// With [`StartOptions::start_signal`] this is signal-with-start: a running
    /// workflow with the same id is signalled instead of failing. Without it,
    /// an open run with the same id fails the call with
    /// [`ClientError::AlreadyStarted`].
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Client, ClientError, Payload, Run, Signal, StartOptions, WorkflowHandle, WorkflowType};
    /// # struct GreetingWorkflow;
    /// # impl WorkflowType for GreetingWorkflow { const NAME: &'static str = "GreetingWorkflow"; type Output = Vec<String>; }
    /// # impl GreetingWorkflow {
    /// #     const run: Run<Self, ()> = Run::__new("run", |()| Ok(Vec::new()));
    /// #     const submit_greeting: Signal<Self, String> = Signal::__new("submit_greeting", |a| Ok(vec![Payload::encode(&a)?]));
    /// # }
    /// // Starts the workflow unless it runs, and delivers the greeting either way.
    /// async fn greet(client: &Client, name: String) -> Result<WorkflowHandle<GreetingWorkflow>, ClientError> {
    ///     let options = StartOptions::new("greetings")
    ///         .task_queue("greetings")
    ///         .start_signal(GreetingWorkflow::submit_greeting, name);
    ///     client.start_workflow(GreetingWorkflow::run, (), options).await
    /// }
    /// ```
    pub async fn start_workflow<W: WorkflowType, A>(
        &self,
        run: Run<W, A>,
        args: A,
        options: StartOptions<W>,
    ) -> Result<WorkflowHandle<W>, ClientError> {
        let args = run.encode(args);
        self.start(W::NAME, args, options).await
    }

    /// Starts a workflow by type name (dynamic workflows, other SDKs). Each
    /// element of the argument tuple is one argument of the run method.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError, StartOptions};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let options = StartOptions::new("invoice-7").task_queue("billing");
    /// let handle = client.start_workflow_by_name("SendInvoice", ("ACME", 120), options).await?;
    /// let receipt: String = handle.result().await?.decode()?;
    /// # Ok(()) }
    /// ```
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
        let workflow_id = options.workflow_id.clone();
        self.backend.start(start_request(workflow_type, args, options)?).await?;
        Ok(WorkflowHandle::new(self.backend.clone(), latest(workflow_id)))
    }

    /// Update-with-start: starts the workflow unless a run of its id is
    /// open, sends it the update and waits for the update's result. A run
    /// started here takes the update in its first workflow task, before its
    /// run method's first step, so a workflow that needs its first item can
    /// have it with the start. Returns a handle to the workflow with the
    /// result.
    ///
    /// When the validator rejects the update the call fails with
    /// [`ClientError::UpdateRejected`], and a run it started stays started,
    /// as on Temporal. A start signal in the options is not allowed here.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Client, ClientError, Payload, Run, StartOptions, Update, WorkflowHandle, WorkflowType};
    /// # struct Cart;
    /// # impl WorkflowType for Cart { const NAME: &'static str = "Cart"; type Output = u64; }
    /// # impl Cart {
    /// #     const run: Run<Self, ()> = Run::__new("run", |()| Ok(Vec::new()));
    /// #     const add_item: Update<Self, String, usize> = Update::__new("add_item", |a| Ok(vec![Payload::encode(&a)?]), |p| p.decode());
    /// # }
    /// // The shopper's cart: started by the first item, which it counts.
    /// async fn add(client: &Client, shopper: &str, item: String) -> Result<usize, ClientError> {
    ///     let options = StartOptions::new(format!("cart-{shopper}")).task_queue("carts");
    ///     let (_cart, items) = client.execute_update_with_start(Cart::run, (), options, Cart::add_item, item).await?;
    ///     Ok(items)
    /// }
    /// ```
    pub async fn execute_update_with_start<W: WorkflowType, A, U, O>(
        &self,
        run: Run<W, A>,
        args: A,
        options: StartOptions<W>,
        update: Update<W, U, O>,
        update_args: U,
    ) -> Result<(WorkflowHandle<W>, O), ClientError> {
        let (handle, update) = self
            .start_update_with_start(run, args, options, update, update_args, WaitStage::Completed)
            .await?;
        Ok((handle, update.result().await?))
    }

    /// [`execute_update_with_start`](Self::execute_update_with_start) that
    /// returns once the update reached `wait`, with its handle.
    pub async fn start_update_with_start<W: WorkflowType, A, U, O>(
        &self,
        run: Run<W, A>,
        args: A,
        options: StartOptions<W>,
        update: Update<W, U, O>,
        update_args: U,
        wait: WaitStage,
    ) -> Result<(WorkflowHandle<W>, UpdateHandle<O>), ClientError> {
        let handle = WorkflowHandle::new(self.backend.clone(), latest(options.workflow_id.clone()));
        if options.start_signal.is_some() {
            return Err(ClientError::InvalidOptions {
                message: "update-with-start takes no start signal: make it the update, or signal afterwards".to_owned(),
            });
        }
        if !matches!(options.id_conflict_policy, None | Some(IdConflictPolicy::UseExisting)) {
            return Err(ClientError::InvalidOptions {
                message: "update-with-start sends the update to the running run (IdConflictPolicy::UseExisting)"
                    .to_owned(),
            });
        }
        let start = start_request(W::NAME, run.encode(args), options)?;
        let request = UpdateRequest {
            update_id: crate::id::unique_id(),
            name: update.name().to_owned(),
            args: update.encode(update_args)?,
            wait,
            header: Headers::default(),
        };
        let mut update = handle.update_handle(request.name.clone(), request.update_id.clone(), update.decoder());
        update.reached(self.backend.update_with_start(start, request).await?);
        Ok((handle, update))
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
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// # async fn demo(client: Client) -> Result<(), ClientError> {
    /// let handle = client.get_workflow_handle("greeting-1");
    /// handle.signal_by_name("submit_greeting", ("Ada",)).await?;
    /// let greetings: Vec<String> = handle.query_by_name("greetings", ()).await?;
    /// # Ok(()) }
    /// ```
    pub fn get_workflow_handle(&self, workflow_id: impl Into<String>) -> WorkflowHandle<Untyped> {
        WorkflowHandle::new(self.backend.clone(), latest(workflow_id))
    }

    /// A handle to an activity attempt that completes asynchronously, from
    /// the token it handed out (no call is made).
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError, TaskToken};
    /// // The token came with the work, from the activity's `ctx.task_token()`.
    /// async fn approved(client: &Client, token: TaskToken) -> Result<(), ClientError> {
    ///     let activity = client.async_activity(token);
    ///     activity.heartbeat(&"reviewing").await?;
    ///     activity.complete(&"approved").await
    /// }
    /// ```
    pub fn async_activity(&self, token: TaskToken) -> AsyncActivityHandle {
        AsyncActivityHandle {
            backend: self.backend.clone(),
            token,
        }
    }

    /// The runs a visibility query selects, as a stream that fetches a page
    /// of [`LIST_PAGE_SIZE`] at a time. The query language is described in
    /// [`visibility`](crate::visibility); a query that does not parse fails
    /// the first item with [`ClientError::InvalidQuery`] and nothing is sent.
    ///
    /// ```
    /// # use futures::TryStreamExt;
    /// # use workflow_client::{Client, ClientError};
    /// async fn open_orders(client: &Client) -> Result<Vec<String>, ClientError> {
    ///     let query = "WorkflowType = 'Order' AND ExecutionStatus = 'Running' AND CustomerId = 'c-42'";
    ///     let runs: Vec<_> = client.list_workflows(query).try_collect().await?;
    ///     Ok(runs.into_iter().map(|run| run.workflow_id).collect())
    /// }
    /// ```
    pub fn list_workflows(
        &self,
        query: &str,
    ) -> impl Stream<Item = Result<WorkflowSummary, ClientError>> + Send + 'static {
        let first = VisibilityQuery::parse(query).map(|_| (self.clone(), query.to_owned(), None));
        let pages = stream::try_unfold(Some(first), |state| async move {
            let Some((client, query, token)) = state.transpose()? else {
                return Ok::<_, ClientError>(None);
            };
            let page = client.list_workflows_page(&query, LIST_PAGE_SIZE, token).await?;
            let next = page.next_page_token.map(|t| Ok((client, query, Some(t))));
            Ok(Some((
                stream::iter(page.runs.into_iter().map(Ok::<_, ClientError>)),
                next,
            )))
        });
        pages.try_flatten()
    }

    /// One page of the runs a visibility query selects, from `page_token`
    /// (`None` for the first page; each page gives the next one's).
    pub async fn list_workflows_page(
        &self,
        query: &str,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    ) -> Result<WorkflowPage, ClientError> {
        VisibilityQuery::parse(query)?;
        let page_size = page_size.clamp(1, 1000);
        self.backend
            .list_workflows(query.to_owned(), page_size, page_token)
            .await
    }

    /// How many runs a visibility query selects.
    ///
    /// ```
    /// # use workflow_client::{Client, ClientError};
    /// async fn failed_today(client: &Client) -> Result<u64, ClientError> {
    ///     client.count_workflows("ExecutionStatus = 'Failed' AND CloseTime > '2026-12-02T00:00:00Z'").await
    /// }
    /// ```
    pub async fn count_workflows(&self, query: &str) -> Result<u64, ClientError> {
        VisibilityQuery::parse(query)?;
        self.backend.count_workflows(query.to_owned()).await
    }
}

impl Client {
    /// Creates a schedule; fails with
    /// [`ClientError::ScheduleAlreadyExists`] if the id is taken.
    ///
    /// ```
    /// # #![allow(non_upper_case_globals)]
    /// # use workflow_client::{Client, ClientError, Run, StartOptions, WorkflowType};
    /// # use workflow_client::schedule::Schedule;
    /// # struct Report;
    /// # impl WorkflowType for Report { const NAME: &'static str = "Report"; type Output = (); }
    /// # impl Report { const run: Run<Self, ()> = Run::__new("run", |()| Ok(Vec::new())); }
    /// async fn nightly(client: &Client) -> Result<(), ClientError> {
    ///     let options = StartOptions::new("report").task_queue("reports");
    ///     client.create_schedule("nightly", Schedule::cron("0 3 * * *").start(Report::run, (), options)).await?;
    ///     Ok(())
    /// }
    /// ```
    pub async fn create_schedule(&self, schedule_id: &str, schedule: Schedule) -> Result<ScheduleHandle, ClientError> {
        let definition = schedule.into_definition()?;
        let handle = self.get_schedule_handle(schedule_id);
        self.backend
            .schedule(schedule_id.to_owned(), ScheduleOp::Create(Box::new(definition)))
            .await?;
        Ok(handle)
    }

    /// A handle to a schedule by id (no call is made).
    pub fn get_schedule_handle(&self, schedule_id: &str) -> ScheduleHandle {
        ScheduleHandle {
            backend: self.backend.clone(),
            schedule_id: schedule_id.to_owned(),
        }
    }

    /// Every schedule, by id.
    pub async fn list_schedules(&self) -> Result<Vec<ScheduleSummary>, ClientError> {
        self.backend.list_schedules().await
    }
}

/// How many runs [`Client::list_workflows`] fetches per page.
pub const LIST_PAGE_SIZE: usize = 100;

/// Finishes (or heartbeats) an activity attempt that said it completes
/// later, from any process that can reach its engine; see
/// [`Client::async_activity`]. Each call fails with
/// [`ClientError::ActivityNotFound`] once the attempt is over: completed,
/// timed out, or its run closed.
#[derive(Clone)]
pub struct AsyncActivityHandle {
    backend: Arc<dyn Backend>,
    token: TaskToken,
}

impl AsyncActivityHandle {
    /// The attempt's token.
    pub fn token(&self) -> &TaskToken {
        &self.token
    }

    /// Completes the attempt with `value`, the activity's result.
    pub async fn complete<T: Serialize + ?Sized>(&self, value: &T) -> Result<(), ClientError> {
        let payload = Payload::encode(value)?;
        self.backend.complete_activity(self.token.clone(), Ok(payload)).await
    }

    /// Fails the attempt; it is retried per the activity's retry policy
    /// unless `error` is non-retryable.
    pub async fn fail(&self, error: ApplicationError) -> Result<(), ClientError> {
        self.backend.complete_activity(self.token.clone(), Err(error)).await
    }

    /// Records a heartbeat with `details`, which holds off the heartbeat
    /// timeout and is what the next attempt reads if this one fails.
    pub async fn heartbeat<T: Serialize + ?Sized>(&self, details: &T) -> Result<(), ClientError> {
        let details = vec![Payload::encode(details)?];
        self.backend.heartbeat_activity(self.token.clone(), details).await
    }
}

impl std::fmt::Debug for AsyncActivityHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncActivityHandle")
            .field("token", &self.token)
            .finish()
    }
}

/// What the backend needs to start a workflow.
pub(crate) fn start_request<W>(
    workflow_type: &str,
    args: Result<Vec<Payload>, PayloadError>,
    options: StartOptions<W>,
) -> Result<StartRequest, ClientError> {
    if let Some(e) = options.memo_error {
        return Err(e.into());
    }
    let start_signal = match options.start_signal {
        Some((name, args)) => Some((name, args?)),
        None => None,
    };
    let invalid = |message: &str| {
        Err(ClientError::InvalidOptions {
            message: message.to_owned(),
        })
    };
    match (options.id_reuse_policy, options.id_conflict_policy) {
        (IdReusePolicy::TerminateIfRunning, Some(_)) => {
            return invalid(
                "IdReusePolicy::TerminateIfRunning already says what to do with a running run; \
                 drop the IdConflictPolicy, or use IdConflictPolicy::TerminateExisting instead",
            )
        }
        (_, Some(IdConflictPolicy::Fail)) if start_signal.is_some() => {
            return invalid("signal-with-start signals the running run; IdConflictPolicy::Fail does not apply to it")
        }
        _ => {}
    }
    Ok(StartRequest {
        workflow_type: workflow_type.to_owned(),
        workflow_id: options.workflow_id,
        task_queue: options.task_queue,
        args: args?,
        start_signal,
        id_reuse_policy: options.id_reuse_policy,
        id_conflict_policy: options.id_conflict_policy,
        run: options.run,
        header: Headers::default(),
    })
}

fn latest(workflow_id: impl Into<String>) -> Execution {
    Execution {
        workflow_id: workflow_id.into(),
        run_id: None,
    }
}
