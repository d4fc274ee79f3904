//! Client interceptors: code that sees every call a client makes, may add
//! headers to the calls that carry them or refuse a call, and wraps what the
//! call answers. Trace propagation and call logging are built on them.

use std::sync::Arc;

use crate::backend::{Backend, BoxFuture, Execution, Message, StartRequest, UpdateRequest, UpdateStatus};
use crate::error::ClientError;
use crate::failure::{ApplicationError, Failure};
use crate::header::Headers;
use crate::history::{Description, History};
use crate::payload::Payload;
use crate::schedule::{ScheduleOp, ScheduleReply, ScheduleSummary};
use crate::task_token::TaskToken;
use crate::visibility::WorkflowPage;

/// Which call a client makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallKind {
    /// Starts a workflow.
    StartWorkflow,
    /// Signal-with-start.
    SignalWithStartWorkflow,
    /// Signals a workflow.
    SignalWorkflow,
    /// Queries a workflow.
    QueryWorkflow,
    /// Sends an update.
    StartWorkflowUpdate,
    /// Update-with-start.
    UpdateWithStartWorkflow,
    /// Waits for an accepted update's outcome.
    GetWorkflowUpdateResult,
    /// Waits for a workflow's result.
    GetWorkflowResult,
    /// Requests cancellation.
    CancelWorkflow,
    /// Terminates a run.
    TerminateWorkflow,
    /// Describes a run.
    DescribeWorkflow,
    /// Reads a run's history.
    FetchWorkflowHistory,
    /// Completes an asynchronous activity.
    CompleteAsyncActivity,
    /// Heartbeats an asynchronous activity.
    HeartbeatAsyncActivity,
    /// Lists workflows.
    ListWorkflows,
    /// Counts workflows.
    CountWorkflows,
    /// A call on one schedule.
    Schedule,
    /// Lists schedules.
    ListSchedules,
}

impl CallKind {
    /// The call's name, as Temporal's SDKs name their spans
    /// (`StartWorkflow`, `SignalWorkflow`, ...).
    pub fn name(self) -> &'static str {
        match self {
            CallKind::StartWorkflow => "StartWorkflow",
            CallKind::SignalWithStartWorkflow => "SignalWithStartWorkflow",
            CallKind::SignalWorkflow => "SignalWorkflow",
            CallKind::QueryWorkflow => "QueryWorkflow",
            CallKind::StartWorkflowUpdate => "StartWorkflowUpdate",
            CallKind::UpdateWithStartWorkflow => "UpdateWithStartWorkflow",
            CallKind::GetWorkflowUpdateResult => "GetWorkflowUpdateResult",
            CallKind::GetWorkflowResult => "GetWorkflowResult",
            CallKind::CancelWorkflow => "CancelWorkflow",
            CallKind::TerminateWorkflow => "TerminateWorkflow",
            CallKind::DescribeWorkflow => "DescribeWorkflow",
            CallKind::FetchWorkflowHistory => "FetchWorkflowHistory",
            CallKind::CompleteAsyncActivity => "CompleteAsyncActivity",
            CallKind::HeartbeatAsyncActivity => "HeartbeatAsyncActivity",
            CallKind::ListWorkflows => "ListWorkflows",
            CallKind::CountWorkflows => "CountWorkflows",
            CallKind::Schedule => "Schedule",
            CallKind::ListSchedules => "ListSchedules",
        }
    }
}

/// What sends a call on once its interceptor is done with its headers.
type SendFn<T> = Box<dyn FnOnce(Headers) -> BoxFuture<Result<T, ClientError>> + Send>;

/// One call on its way out of a client, answering `T`: what it is, its
/// headers if it carries any, and [`send`](Self::send) to pass it on.
pub struct OutboundCall<T> {
    /// Which call.
    kind: CallKind,
    /// The workflow it targets, if one.
    workflow_id: Option<String>,
    /// The workflow type, signal, query or update it names, if one.
    name: Option<String>,
    /// Its headers; `None` for a call that carries none.
    headers: Option<Headers>,
    /// Passes the call on.
    send: SendFn<T>,
}

impl<T> OutboundCall<T> {
    /// Which call this is.
    pub fn kind(&self) -> CallKind {
        self.kind
    }

    /// The workflow id it targets, for calls on one workflow.
    pub fn workflow_id(&self) -> Option<&str> {
        self.workflow_id.as_deref()
    }

    /// The workflow type a start names, or the signal, query or update's name.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Its headers, for the calls that carry them to the run: starts,
    /// signals, queries and updates.
    pub fn headers(&self) -> Option<&Headers> {
        self.headers.as_ref()
    }

    /// Its headers, to add to; `None` for a call that carries none.
    pub fn headers_mut(&mut self) -> Option<&mut Headers> {
        self.headers.as_mut()
    }

    /// Passes the call on, to the next interceptor or the engine.
    pub fn send(self) -> BoxFuture<Result<T, ClientError>> {
        (self.send)(self.headers.unwrap_or_default())
    }
}

/// Sees every call a client makes. Install one with
/// [`Client::with_interceptor`](crate::Client::with_interceptor); a worker
/// interceptor sees the headers on the other side.
///
/// ```
/// # use workflow_client::{BoxFuture, ClientError, ClientInterceptor, OutboundCall, Payload};
/// /// Tags every start, signal, query and update with the tenant.
/// struct Tenant(&'static str);
///
/// impl ClientInterceptor for Tenant {
///     fn intercept<T: Send + 'static>(&self, mut call: OutboundCall<T>) -> BoxFuture<Result<T, ClientError>> {
///         if let Some(headers) = call.headers_mut() {
///             match Payload::encode(self.0) {
///                 Ok(tenant) => headers.insert("tenant", tenant),
///                 Err(e) => return Box::pin(async move { Err(e.into()) }),
///             };
///         }
///         call.send()
///     }
/// }
/// ```
pub trait ClientInterceptor: Send + Sync + 'static {
    /// Handles one call: inspect it, add headers, and [`send`](OutboundCall::send)
    /// it, wrapping the answer; or answer an error without sending it.
    fn intercept<T: Send + 'static>(&self, call: OutboundCall<T>) -> BoxFuture<Result<T, ClientError>>;
}

/// `inner`, with every call going through `interceptor` first.
pub(crate) struct Intercepted<I> {
    pub(crate) inner: Arc<dyn Backend>,
    pub(crate) interceptor: I,
}

impl<I: ClientInterceptor> Intercepted<I> {
    /// Hands the call to the interceptor; `send` passes it to `inner`.
    fn call<T: Send + 'static>(
        &self,
        kind: CallKind,
        workflow_id: Option<&str>,
        name: Option<&str>,
        headers: Option<Headers>,
        send: impl FnOnce(&dyn Backend, Headers) -> BoxFuture<Result<T, ClientError>> + Send + 'static,
    ) -> BoxFuture<Result<T, ClientError>> {
        let inner = self.inner.clone();
        self.interceptor.intercept(OutboundCall {
            kind,
            workflow_id: workflow_id.map(str::to_owned),
            name: name.map(str::to_owned),
            headers,
            send: Box::new(move |headers| send(&*inner, headers)),
        })
    }

    /// A call on one workflow that carries no headers.
    fn on<T: Send + 'static>(
        &self,
        kind: CallKind,
        target: Execution,
        send: impl FnOnce(&dyn Backend, Execution) -> BoxFuture<Result<T, ClientError>> + Send + 'static,
    ) -> BoxFuture<Result<T, ClientError>> {
        let workflow_id = target.workflow_id.clone();
        self.call(kind, Some(&workflow_id), None, None, move |inner, _| {
            send(inner, target)
        })
    }

    /// A call on no one workflow.
    fn plain<T: Send + 'static>(
        &self,
        kind: CallKind,
        send: impl FnOnce(&dyn Backend) -> BoxFuture<Result<T, ClientError>> + Send + 'static,
    ) -> BoxFuture<Result<T, ClientError>> {
        self.call(kind, None, None, None, move |inner, _| send(inner))
    }
}

/// Which start a request is.
fn start_kind(request: &StartRequest) -> CallKind {
    if request.start_signal.is_some() {
        CallKind::SignalWithStartWorkflow
    } else {
        CallKind::StartWorkflow
    }
}

impl<I: ClientInterceptor> Backend for Intercepted<I> {
    fn start(&self, mut request: StartRequest) -> BoxFuture<Result<String, ClientError>> {
        let (kind, id, name) = (
            start_kind(&request),
            request.workflow_id.clone(),
            request.workflow_type.clone(),
        );
        let headers = std::mem::take(&mut request.header);
        self.call(kind, Some(&id), Some(&name), Some(headers), move |inner, header| {
            inner.start(StartRequest { header, ..request })
        })
    }

    fn signal(&self, target: Execution, mut signal: Message) -> BoxFuture<Result<(), ClientError>> {
        let (id, name, headers) = (
            target.workflow_id.clone(),
            signal.name.clone(),
            std::mem::take(&mut signal.header),
        );
        self.call(
            CallKind::SignalWorkflow,
            Some(&id),
            Some(&name),
            Some(headers),
            move |inner, header| inner.signal(target, Message { header, ..signal }),
        )
    }

    fn query(&self, target: Execution, mut query: Message) -> BoxFuture<Result<Payload, ClientError>> {
        let (id, name, headers) = (
            target.workflow_id.clone(),
            query.name.clone(),
            std::mem::take(&mut query.header),
        );
        self.call(
            CallKind::QueryWorkflow,
            Some(&id),
            Some(&name),
            Some(headers),
            move |inner, header| inner.query(target, Message { header, ..query }),
        )
    }

    fn update(&self, target: Execution, mut request: UpdateRequest) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        let (id, name) = (target.workflow_id.clone(), request.name.clone());
        let headers = std::mem::take(&mut request.header);
        self.call(
            CallKind::StartWorkflowUpdate,
            Some(&id),
            Some(&name),
            Some(headers),
            move |inner, header| inner.update(target, UpdateRequest { header, ..request }),
        )
    }

    fn update_with_start(
        &self,
        mut start: StartRequest,
        mut update: UpdateRequest,
    ) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        let (id, name) = (start.workflow_id.clone(), update.name.clone());
        // One set of headers, as Temporal's update-with-start sends: each
        // half gets them.
        let mut headers = std::mem::take(&mut start.header);
        headers.extend(std::mem::take(&mut update.header));
        self.call(
            CallKind::UpdateWithStartWorkflow,
            Some(&id),
            Some(&name),
            Some(headers),
            move |inner, header| {
                let start = StartRequest {
                    header: header.clone(),
                    ..start
                };
                inner.update_with_start(start, UpdateRequest { header, ..update })
            },
        )
    }

    fn update_result(
        &self,
        target: Execution,
        update_id: String,
    ) -> BoxFuture<Result<Result<Payload, Failure>, ClientError>> {
        self.on(CallKind::GetWorkflowUpdateResult, target, move |inner, target| {
            inner.update_result(target, update_id)
        })
    }

    fn result(&self, target: Execution) -> BoxFuture<Result<Payload, ClientError>> {
        self.on(CallKind::GetWorkflowResult, target, |inner, target| {
            inner.result(target)
        })
    }

    fn cancel(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.on(CallKind::CancelWorkflow, target, move |inner, target| {
            inner.cancel(target, reason)
        })
    }

    fn terminate(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.on(CallKind::TerminateWorkflow, target, move |inner, target| {
            inner.terminate(target, reason)
        })
    }

    fn describe(&self, target: Execution) -> BoxFuture<Result<Description, ClientError>> {
        self.on(CallKind::DescribeWorkflow, target, |inner, target| {
            inner.describe(target)
        })
    }

    fn history(&self, target: Execution) -> BoxFuture<Result<History, ClientError>> {
        self.on(CallKind::FetchWorkflowHistory, target, |inner, target| {
            inner.history(target)
        })
    }

    fn complete_activity(
        &self,
        token: TaskToken,
        outcome: Result<Payload, ApplicationError>,
    ) -> BoxFuture<Result<(), ClientError>> {
        self.plain(CallKind::CompleteAsyncActivity, move |inner| {
            inner.complete_activity(token, outcome)
        })
    }

    fn heartbeat_activity(&self, token: TaskToken, details: Vec<Payload>) -> BoxFuture<Result<(), ClientError>> {
        self.plain(CallKind::HeartbeatAsyncActivity, move |inner| {
            inner.heartbeat_activity(token, details)
        })
    }

    fn list_workflows(
        &self,
        query: String,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    ) -> BoxFuture<Result<WorkflowPage, ClientError>> {
        self.plain(CallKind::ListWorkflows, move |inner| {
            inner.list_workflows(query, page_size, page_token)
        })
    }

    fn count_workflows(&self, query: String) -> BoxFuture<Result<u64, ClientError>> {
        self.plain(CallKind::CountWorkflows, move |inner| inner.count_workflows(query))
    }

    fn schedule(&self, schedule_id: String, op: ScheduleOp) -> BoxFuture<Result<ScheduleReply, ClientError>> {
        self.plain(CallKind::Schedule, move |inner| inner.schedule(schedule_id, op))
    }

    fn list_schedules(&self) -> BoxFuture<Result<Vec<ScheduleSummary>, ClientError>> {
        self.plain(CallKind::ListSchedules, |inner| inner.list_schedules())
    }
}
