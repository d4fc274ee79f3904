//! The client side of the Temporal engine: each [`Backend`] call is a gRPC
//! call to the server's workflow service, and the server's errors become the
//! same typed [`ClientError`]s the embedded engine returns.

mod schedules;
use std::time::Duration;

use prost::Message as _;
use temporalio_client::grpc::WorkflowService;
use temporalio_client::tonic::{Code, Request, Status};
use temporalio_client::Connection as GrpcConnection;
use temporalio_common::protos::google::rpc::Status as RpcStatus;
use temporalio_common::protos::temporal::api::common::v1::{WorkflowExecution, WorkflowType};
use temporalio_common::protos::temporal::api::enums::v1::{
    HistoryEventFilterType, TaskQueueKind, UpdateWorkflowExecutionLifecycleStage as Stage,
    WorkflowExecutionStatus as ProtoStatus, WorkflowIdConflictPolicy, WorkflowIdReusePolicy,
};
use temporalio_common::protos::temporal::api::errordetails::v1::{
    MultiOperationExecutionFailure, QueryFailedFailure, WorkflowExecutionAlreadyStartedFailure,
};
use temporalio_common::protos::temporal::api::history::v1::{history_event::Attributes as A, HistoryEvent};
use temporalio_common::protos::temporal::api::query::v1::WorkflowQuery;
use temporalio_common::protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_common::protos::temporal::api::update::v1::{self as update, outcome, Outcome};
use temporalio_common::protos::temporal::api::workflow::v1::WorkflowExecutionInfo;
use temporalio_common::protos::temporal::api::workflowservice::v1::execute_multi_operation_request::operation::Operation;
use temporalio_common::protos::temporal::api::workflowservice::v1::execute_multi_operation_response::response::Response;
use temporalio_common::protos::temporal::api::workflowservice::v1::*;
use workflow_client::id::unique_id;
use workflow_client::schedule::{ScheduleOp, ScheduleReply, ScheduleSummary};
use workflow_client::visibility::{WorkflowPage, WorkflowSummary};
use workflow_client::{
    ApplicationError, Backend, BoxFuture, ClientError, Description, Execution, Failure, History, IdConflictPolicy,
    IdReusePolicy, Limit, Message, Payload, StartRequest, TaskToken, UpdateRequest, UpdateStatus, WaitStage,
    WorkflowStatus,
};

use super::activation::{UNHANDLED_SIGNALS_QUERY, UNKNOWN_QUERY, UNKNOWN_UPDATE};
use super::convert::{
    duration_out, failure_in, failure_out, header_out, memo_in, memo_out, millis_in, payloads_out, pending_activity_in,
    result_in, retry_policy_out, search_attributes_in, search_attributes_out,
};
use super::history::Translator;
use super::ConnectOptions;

/// The server's default limit of signals per execution
/// (`history.maximumSignalsPerExecution`).
const SERVER_MAX_SIGNALS: usize = 10_000;
/// The failure type the server gives an accepted update whose run closed first.
const UPDATE_OUTLIVED_RUN: &str = "AcceptedUpdateCompletedWorkflow";
/// The server's default payload size limit (`limit.blobSize.error`).
const SERVER_MAX_PAYLOAD: usize = 2 * 1024 * 1024;
/// The server's default updates in flight per execution.
const SERVER_MAX_IN_FLIGHT_UPDATES: usize = 10;
/// The server's default updates per execution in all.
const SERVER_MAX_TOTAL_UPDATES: usize = 2_000;

/// Calls a Temporal server on behalf of a [`Client`](workflow_client::Client).
#[derive(Clone)]
pub(super) struct TemporalBackend {
    grpc: GrpcConnection,
    namespace: String,
    identity: String,
    rpc_wait: Duration,
}

type Call<T> = BoxFuture<Result<T, ClientError>>;

impl TemporalBackend {
    pub(super) fn new(grpc: GrpcConnection, options: &ConnectOptions) -> Self {
        TemporalBackend {
            grpc,
            namespace: options.namespace.clone(),
            identity: options.identity.clone(),
            rpc_wait: options.rpc_wait,
        }
    }

    fn service(&self) -> Box<dyn WorkflowService> {
        self.grpc.workflow_service()
    }

    /// Fails unless the namespace exists.
    pub(super) async fn check_namespace(&self) -> Result<(), ClientError> {
        self.service()
            .describe_namespace(Request::new(DescribeNamespaceRequest {
                namespace: self.namespace.clone(),
                ..Default::default()
            }))
            .await
            .map_err(|s| server_error(&s))?;
        Ok(())
    }

    async fn describe_execution(&self, target: &Execution) -> Result<DescribeWorkflowExecutionResponse, ClientError> {
        self.service()
            .describe_workflow_execution(Request::new(DescribeWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                execution: Some(execution(target)),
            }))
            .await
            .map(|r| r.into_inner())
            .map_err(|s| missing_or_server(target, &s))
    }

    /// The error for a call the server refused with `status`: a closed run
    /// reports how it closed; a missing one, that it is missing.
    async fn refusal(&self, target: &Execution, status: Status, what: &'static str) -> ClientError {
        match status.code() {
            Code::NotFound => match self.describe_execution(target).await {
                Ok(d) => {
                    let info = d.workflow_execution_info.unwrap_or_default();
                    ClientError::Closed {
                        workflow_id: target.workflow_id.clone(),
                        status: status_in(info.status),
                        what,
                    }
                }
                Err(e) => e,
            },
            // A deadline the server or this client (`Cancelled`) enforced.
            Code::DeadlineExceeded | Code::Cancelled => match self.describe_execution(target).await {
                Ok(d) => ClientError::NoWorker {
                    task_queue: d
                        .workflow_execution_info
                        .and_then(|i| i.task_queue.into())
                        .unwrap_or_default(),
                    waited: self.rpc_wait,
                },
                Err(e) => e,
            },
            Code::InvalidArgument | Code::ResourceExhausted | Code::FailedPrecondition => {
                limit_error(&target.workflow_id, &status).unwrap_or_else(|| server_error(&status))
            }
            _ => server_error(&status),
        }
    }

    async fn workflow_type_of(&self, target: &Execution) -> String {
        self.describe_execution(target)
            .await
            .ok()
            .and_then(|d| d.workflow_execution_info)
            .and_then(|i| i.r#type)
            .map(|t| t.name)
            .unwrap_or_default()
    }

    /// One page of a run's history; with `close_only`, a long poll for its
    /// closing event.
    async fn history_page(
        &self,
        target: &Execution,
        next_page_token: Vec<u8>,
        close_only: bool,
    ) -> Result<GetWorkflowExecutionHistoryResponse, ClientError> {
        let filter = if close_only {
            HistoryEventFilterType::CloseEvent
        } else {
            HistoryEventFilterType::AllEvent
        };
        self.service()
            .get_workflow_execution_history(Request::new(GetWorkflowExecutionHistoryRequest {
                namespace: self.namespace.clone(),
                execution: Some(execution(target)),
                next_page_token,
                wait_new_event: close_only,
                history_event_filter_type: filter as i32,
                skip_archival: true,
                ..Default::default()
            }))
            .await
            .map(|r| r.into_inner())
            .map_err(|s| missing_or_server(target, &s))
    }

    /// All events of one run, page by page.
    async fn events(&self, target: &Execution) -> Result<Vec<HistoryEvent>, ClientError> {
        let mut events = Vec::new();
        let mut next_page_token = Vec::new();
        loop {
            let page = self.history_page(target, next_page_token, false).await?;
            events.extend(page.history.map(|h| h.events).unwrap_or_default());
            if page.next_page_token.is_empty() {
                return Ok(events);
            }
            next_page_token = page.next_page_token;
        }
    }

    /// Waits for the run's closing event.
    async fn close_event(&self, target: &Execution) -> Result<HistoryEvent, ClientError> {
        let mut next_page_token = Vec::new();
        loop {
            let page = self.history_page(target, next_page_token, true).await?;
            if let Some(event) = page.history.and_then(|h| h.events.into_iter().last()) {
                return Ok(event);
            }
            next_page_token = page.next_page_token;
        }
    }

    /// Whether the run recorded the acceptance of update `update_id`.
    async fn was_accepted(&self, target: &Execution, update_id: &str) -> Result<bool, ClientError> {
        let accepted = |event: &HistoryEvent| match &event.attributes {
            Some(A::WorkflowExecutionUpdateAcceptedEventAttributes(a)) => a
                .accepted_request
                .as_ref()
                .and_then(|r| r.meta.as_ref())
                .is_some_and(|m| m.update_id == update_id),
            _ => false,
        };
        Ok(self.events(target).await?.iter().any(accepted))
    }

    /// An update's outcome in client terms: a failure before acceptance is a
    /// rejection, after it a failed handler.
    async fn update_outcome(
        &self,
        target: &Execution,
        name: &str,
        update_id: &str,
        outcome: Outcome,
    ) -> Result<UpdateStatus, ClientError> {
        match outcome.value {
            Some(outcome::Value::Success(payloads)) => Ok(UpdateStatus::Completed(Ok(result_in(Some(payloads))))),
            Some(outcome::Value::Failure(failure)) => {
                let failure = failure_in(failure);
                let error_type = failure.application_error().and_then(|e| e.error_type());
                if error_type == Some(UPDATE_OUTLIVED_RUN) {
                    return Err(match self.describe_execution(target).await {
                        Ok(d) => ClientError::UpdateUnfinished {
                            workflow_id: target.workflow_id.clone(),
                            update_id: update_id.to_owned(),
                            status: status_in(d.workflow_execution_info.unwrap_or_default().status),
                        },
                        Err(e) => e,
                    });
                }
                if let Some(known) = unknown_name(&failure, UNKNOWN_UPDATE) {
                    return Err(ClientError::UnknownUpdate {
                        workflow_type: self.workflow_type_of(target).await,
                        name: name.to_owned(),
                        known,
                    });
                }
                if self.was_accepted(target, update_id).await? {
                    Ok(UpdateStatus::Completed(Err(failure)))
                } else {
                    Err(ClientError::UpdateRejected {
                        name: name.to_owned(),
                        failure,
                    })
                }
            }
            None => Err(ClientError::Server {
                message: format!("update `{name}` completed without an outcome"),
            }),
        }
    }

    fn start_request(&self, request: StartRequest) -> StartWorkflowExecutionRequest {
        // The server deprecates `TerminateIfRunning` for the conflict policy
        // that says the same.
        let (reuse, conflict) = match (request.id_reuse_policy, request.id_conflict_policy) {
            (IdReusePolicy::TerminateIfRunning, None) => (
                WorkflowIdReusePolicy::AllowDuplicate,
                WorkflowIdConflictPolicy::TerminateExisting,
            ),
            (reuse, conflict) => (
                reuse_policy_out(reuse),
                conflict.map_or(WorkflowIdConflictPolicy::Unspecified, conflict_policy_out),
            ),
        };
        let run = request.run;
        StartWorkflowExecutionRequest {
            workflow_id_reuse_policy: reuse as i32,
            workflow_id_conflict_policy: conflict as i32,
            workflow_execution_timeout: run.execution_timeout.map(duration_out),
            workflow_run_timeout: run.run_timeout.map(duration_out),
            workflow_task_timeout: run.task_timeout.map(duration_out),
            retry_policy: run.retry_policy.map(retry_policy_out),
            workflow_start_delay: run.start_delay.map(duration_out),
            memo: memo_out(run.memo),
            search_attributes: search_attributes_out(&run.search_attributes),
            namespace: self.namespace.clone(),
            workflow_id: request.workflow_id,
            workflow_type: Some(WorkflowType {
                name: request.workflow_type,
            }),
            task_queue: Some(task_queue(request.task_queue)),
            input: payloads_out(request.args),
            identity: self.identity.clone(),
            request_id: unique_id(),
            header: header_out(request.header),
            ..Default::default()
        }
    }

    async fn start_workflow(self, mut request: StartRequest) -> Result<String, ClientError> {
        let workflow_id = request.workflow_id.clone();
        let start_signal = request.start_signal.take();
        let start = self.start_request(request);
        let mut service = self.service();
        let started = match start_signal {
            None => service
                .start_workflow_execution(Request::new(start))
                .await
                .map(|r| r.into_inner().run_id),
            Some((signal_name, signal_args)) => service
                .signal_with_start_workflow_execution(Request::new(SignalWithStartWorkflowExecutionRequest {
                    namespace: start.namespace,
                    workflow_id: start.workflow_id,
                    workflow_type: start.workflow_type,
                    task_queue: start.task_queue,
                    input: start.input,
                    identity: start.identity,
                    request_id: start.request_id,
                    signal_name,
                    signal_input: payloads_out(signal_args),
                    workflow_id_reuse_policy: start.workflow_id_reuse_policy,
                    workflow_id_conflict_policy: start.workflow_id_conflict_policy,
                    workflow_execution_timeout: start.workflow_execution_timeout,
                    workflow_run_timeout: start.workflow_run_timeout,
                    workflow_task_timeout: start.workflow_task_timeout,
                    retry_policy: start.retry_policy,
                    workflow_start_delay: start.workflow_start_delay,
                    memo: start.memo,
                    search_attributes: start.search_attributes,
                    header: start.header,
                    ..Default::default()
                }))
                .await
                .map(|r| r.into_inner().run_id),
        };
        match started {
            Ok(run_id) => Ok(run_id),
            Err(s) if s.code() == Code::AlreadyExists => {
                let run_id =
                    detail::<WorkflowExecutionAlreadyStartedFailure>(&s, "WorkflowExecutionAlreadyStartedFailure")
                        .map(|d| d.run_id)
                        .unwrap_or_default();
                Err(ClientError::AlreadyStarted { workflow_id, run_id })
            }
            // Options the server refuses (a search attribute of the wrong type).
            Err(s) if s.code() == Code::InvalidArgument && limit_error(&workflow_id, &s).is_none() => {
                Err(ClientError::InvalidOptions {
                    message: s.message().to_owned(),
                })
            }
            Err(s) => Err(limit_error(&workflow_id, &s).unwrap_or_else(|| server_error(&s))),
        }
    }

    async fn signal_workflow(self, target: Execution, signal: Message) -> Result<(), ClientError> {
        let sent = self
            .service()
            .signal_workflow_execution(Request::new(SignalWorkflowExecutionRequest {
                namespace: self.namespace.clone(),
                workflow_execution: Some(execution(&target)),
                signal_name: signal.name,
                input: payloads_out(signal.args),
                identity: self.identity.clone(),
                request_id: unique_id(),
                header: header_out(signal.header),
                ..Default::default()
            }))
            .await;
        match sent {
            Ok(_) => Ok(()),
            Err(s) => Err(self.refusal(&target, s, "signals").await),
        }
    }

    async fn query_workflow(self, target: Execution, query: Message) -> Result<Payload, ClientError> {
        let Message { name, args, header } = query;
        let mut request = Request::new(QueryWorkflowRequest {
            namespace: self.namespace.clone(),
            execution: Some(execution(&target)),
            query: Some(WorkflowQuery {
                query_type: name.clone(),
                query_args: payloads_out(args),
                header: header_out(header),
            }),
            query_reject_condition: 0,
        });
        request.set_timeout(self.rpc_wait);
        match self.service().query_workflow(request).await {
            Ok(response) => Ok(result_in(response.into_inner().query_result)),
            Err(s) if s.code() == Code::InvalidArgument && limit_error(&target.workflow_id, &s).is_none() => {
                // A failed query handler: the server forwards its message.
                let failure = query_failure(&s);
                match unknown_name(&failure, UNKNOWN_QUERY) {
                    Some(known) => Err(ClientError::UnknownQuery {
                        workflow_type: self.workflow_type_of(&target).await,
                        name,
                        known,
                    }),
                    None => Err(ClientError::QueryFailed { name, failure }),
                }
            }
            Err(s) => Err(self.refusal(&target, s, "queries").await),
        }
    }

    async fn update_workflow(self, target: Execution, request: UpdateRequest) -> Result<UpdateStatus, ClientError> {
        let mut call = Request::new(self.update_request(&target, &request));
        call.set_timeout(self.rpc_wait);
        match self.service().update_workflow_execution(call).await {
            Ok(r) => self.update_reached(target, request, r.into_inner()).await,
            Err(s) => Err(self.refusal(&target, s, "updates").await),
        }
    }

    /// Update-with-start: the server's multi-operation call, a start that
    /// uses an open run of the id, and the update.
    async fn update_with_start(self, start: StartRequest, request: UpdateRequest) -> Result<UpdateStatus, ClientError> {
        let target = Execution {
            workflow_id: start.workflow_id.clone(),
            run_id: None,
        };
        let start = StartWorkflowExecutionRequest {
            workflow_id_conflict_policy: WorkflowIdConflictPolicy::UseExisting as i32,
            ..self.start_request(start)
        };
        let operations = [
            Operation::StartWorkflow(start),
            Operation::UpdateWorkflow(self.update_request(&target, &request)),
        ];
        let mut call = Request::new(ExecuteMultiOperationRequest {
            namespace: self.namespace.clone(),
            operations: operations
                .into_iter()
                .map(|operation| execute_multi_operation_request::Operation {
                    operation: Some(operation),
                })
                .collect(),
            ..Default::default()
        });
        call.set_timeout(self.rpc_wait);
        let refused = match self.service().execute_multi_operation(call).await {
            Ok(response) => {
                let update = response
                    .into_inner()
                    .responses
                    .into_iter()
                    .find_map(|r| match r.response {
                        Some(Response::UpdateWorkflow(update)) => Some(update),
                        _ => None,
                    });
                return match update {
                    Some(update) => self.update_reached(target, request, update).await,
                    None => Err(ClientError::Server {
                        message: "update-with-start answered without the update's response".to_owned(),
                    }),
                };
            }
            Err(s) => s,
        };
        // The operation that failed; the others are reported as aborted.
        let failed = detail::<MultiOperationExecutionFailure>(&refused, "MultiOperationExecutionFailure")
            .and_then(|f| f.statuses.into_iter().find(|s| s.code != Code::Aborted as i32));
        match failed {
            Some(status) => {
                let status = Status::new(Code::from(status.code), status.message);
                Err(self.refusal(&target, status, "updates").await)
            }
            None => Err(self.refusal(&target, refused, "updates").await),
        }
    }

    fn update_request(&self, target: &Execution, request: &UpdateRequest) -> UpdateWorkflowExecutionRequest {
        UpdateWorkflowExecutionRequest {
            namespace: self.namespace.clone(),
            workflow_execution: Some(execution(target)),
            first_execution_run_id: String::new(),
            wait_policy: Some(update::WaitPolicy {
                lifecycle_stage: Stage::Accepted as i32,
            }),
            request: Some(update::Request {
                meta: Some(update::Meta {
                    update_id: request.update_id.clone(),
                    identity: self.identity.clone(),
                }),
                input: Some(update::Input {
                    header: header_out(request.header.clone()),
                    name: request.name.clone(),
                    args: payloads_out(request.args.clone()),
                }),
                ..Default::default()
            }),
        }
    }

    /// The update's status from the server's answer at acceptance, waiting
    /// for completion when the caller asked for it.
    async fn update_reached(
        &self,
        target: Execution,
        request: UpdateRequest,
        response: UpdateWorkflowExecutionResponse,
    ) -> Result<UpdateStatus, ClientError> {
        let UpdateRequest {
            update_id, name, wait, ..
        } = request;
        if let Some(outcome) = response.outcome {
            return self.update_outcome(&target, &name, &update_id, outcome).await;
        }
        match wait {
            WaitStage::Accepted => Ok(UpdateStatus::Accepted),
            WaitStage::Completed => self
                .poll_update(target, name, update_id)
                .await
                .map(UpdateStatus::Completed),
        }
    }

    /// Long-polls an accepted update until it completes.
    async fn poll_update(
        &self,
        target: Execution,
        name: String,
        update_id: String,
    ) -> Result<Result<Payload, Failure>, ClientError> {
        loop {
            let polled = self
                .service()
                .poll_workflow_execution_update(Request::new(PollWorkflowExecutionUpdateRequest {
                    namespace: self.namespace.clone(),
                    update_ref: Some(update::UpdateRef {
                        workflow_execution: Some(execution(&target)),
                        update_id: update_id.clone(),
                    }),
                    identity: self.identity.clone(),
                    wait_policy: Some(update::WaitPolicy {
                        lifecycle_stage: Stage::Completed as i32,
                    }),
                }))
                .await;
            match polled {
                Ok(response) => {
                    if let Some(outcome) = response.into_inner().outcome {
                        return match self.update_outcome(&target, &name, &update_id, outcome).await? {
                            UpdateStatus::Completed(outcome) => Ok(outcome),
                            UpdateStatus::Accepted => continue,
                        };
                    }
                }
                Err(s) if s.code() == Code::DeadlineExceeded => continue,
                // The run exists (open or closed) and has no such update.
                Err(s) if s.code() == Code::NotFound => {
                    return Err(match self.describe_execution(&target).await {
                        Ok(_) => ClientError::UpdateNotFound {
                            workflow_id: target.workflow_id.clone(),
                            update_id,
                        },
                        Err(e) => e,
                    })
                }
                Err(s) => return Err(self.refusal(&target, s, "updates").await),
            }
        }
    }

    async fn workflow_result(self, mut target: Execution) -> Result<Payload, ClientError> {
        loop {
            let event = self.close_event(&target).await?;
            let failed = |failure| {
                Err(ClientError::WorkflowFailed {
                    workflow_id: target.workflow_id.clone(),
                    failure,
                })
            };
            // A retried run names the run that retries it: its result is
            // the chain's, as with continue-as-new.
            let next_run_id = match &event.attributes {
                Some(A::WorkflowExecutionFailedEventAttributes(a)) => Some(&a.new_execution_run_id),
                Some(A::WorkflowExecutionTimedOutEventAttributes(a)) => Some(&a.new_execution_run_id),
                Some(A::WorkflowExecutionContinuedAsNewEventAttributes(a)) => Some(&a.new_execution_run_id),
                _ => None,
            };
            if let Some(next) = next_run_id.filter(|id| !id.is_empty()) {
                target.run_id = Some(next.clone());
                continue;
            }
            return match event.attributes {
                Some(A::WorkflowExecutionCompletedEventAttributes(a)) => Ok(result_in(a.result)),
                Some(A::WorkflowExecutionFailedEventAttributes(a)) => {
                    failed(a.failure.map(failure_in).unwrap_or(Failure::Canceled))
                }
                Some(A::WorkflowExecutionCanceledEventAttributes(_)) => failed(Failure::Canceled),
                Some(A::WorkflowExecutionTerminatedEventAttributes(a)) => {
                    failed(Failure::Terminated { reason: a.reason })
                }
                Some(A::WorkflowExecutionTimedOutEventAttributes(_)) => failed(Failure::Timeout {
                    kind: workflow_client::TimeoutKind::StartToClose,
                }),
                _ => Err(ClientError::Server {
                    message: "the closing event of the run is not one the client knows".to_owned(),
                }),
            };
        }
    }

    async fn list_page(
        self,
        query: String,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    ) -> Result<WorkflowPage, ClientError> {
        let listed = self
            .service()
            .list_workflow_executions(Request::new(ListWorkflowExecutionsRequest {
                namespace: self.namespace.clone(),
                page_size: i32::try_from(page_size).unwrap_or(i32::MAX),
                next_page_token: page_token.unwrap_or_default(),
                query,
            }))
            .await
            .map_err(|s| query_error(&s))?
            .into_inner();
        Ok(WorkflowPage {
            runs: listed.executions.into_iter().map(summary_in).collect(),
            next_page_token: Some(listed.next_page_token).filter(|t| !t.is_empty()),
        })
    }

    async fn count(self, query: String) -> Result<u64, ClientError> {
        let counted = self
            .service()
            .count_workflow_executions(Request::new(CountWorkflowExecutionsRequest {
                namespace: self.namespace.clone(),
                query,
            }))
            .await
            .map_err(|s| query_error(&s))?;
        Ok(u64::try_from(counted.into_inner().count).unwrap_or(0))
    }

    async fn describe_workflow(self, target: Execution) -> Result<Description, ClientError> {
        let described = self.describe_execution(&target).await?;
        let pending_activities = described
            .pending_activities
            .into_iter()
            .map(pending_activity_in)
            .collect();
        let info = described.workflow_execution_info.unwrap_or_default();
        let execution = info.execution.unwrap_or_default();
        let exact = Execution {
            workflow_id: execution.workflow_id.clone(),
            run_id: Some(execution.run_id.clone()),
        };
        let mut signals_received = 0;
        let mut task_failure = None;
        for event in self.events(&exact).await? {
            match event.attributes {
                Some(A::WorkflowExecutionSignaledEventAttributes(_)) => signals_received += 1,
                Some(A::WorkflowTaskFailedEventAttributes(a)) => {
                    task_failure = a.failure.map(|f| f.message);
                }
                Some(A::WorkflowTaskCompletedEventAttributes(_)) => task_failure = None,
                _ => {}
            }
        }
        let status = status_in(info.status);
        // Only a worker knows which signals no handler took; ask it, briefly.
        let unhandled_signals = if status.is_running() {
            self.clone()
                .query_workflow(exact, Message::new(UNHANDLED_SIGNALS_QUERY, Vec::new()))
                .await
                .ok()
                .and_then(|p| p.decode().ok())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Ok(Description {
            workflow_id: execution.workflow_id,
            run_id: execution.run_id,
            workflow_type: info.r#type.map(|t| t.name).unwrap_or_default(),
            task_queue: info.task_queue,
            status,
            start_time_ms: millis_in(info.start_time),
            close_time_ms: info.close_time.map(|t| millis_in(Some(t))),
            history_length: u64::try_from(info.history_length).unwrap_or_default(),
            signals_received,
            unhandled_signals,
            task_failure,
            pending_activities,
            memo: memo_in(info.memo),
            search_attributes: search_attributes_in(info.search_attributes),
        })
    }

    async fn history_of(self, target: Execution) -> Result<History, ClientError> {
        let run_id = match &target.run_id {
            Some(run_id) => run_id.clone(),
            None => self
                .describe_execution(&target)
                .await?
                .workflow_execution_info
                .and_then(|i| i.execution)
                .map(|e| e.run_id)
                .unwrap_or_default(),
        };
        let exact = Execution {
            workflow_id: target.workflow_id.clone(),
            run_id: Some(run_id.clone()),
        };
        let mut translator = Translator::default();
        let events = self
            .events(&exact)
            .await?
            .into_iter()
            .filter_map(|e| translator.event(e))
            .collect();
        Ok(History {
            workflow_id: target.workflow_id,
            run_id,
            events,
        })
    }
}

impl TemporalBackend {
    /// Completes or fails an attempt that completes asynchronously.
    async fn respond_activity(
        self,
        token: TaskToken,
        outcome: Result<Payload, ApplicationError>,
    ) -> Result<(), ClientError> {
        let (namespace, identity, task_token) =
            (self.namespace.clone(), self.identity.clone(), token.as_bytes().to_vec());
        let sent = match outcome {
            Ok(result) => self
                .service()
                .respond_activity_task_completed(Request::new(RespondActivityTaskCompletedRequest {
                    task_token,
                    result: payloads_out(vec![result]),
                    identity,
                    namespace,
                    ..Default::default()
                }))
                .await
                .map(drop),
            Err(error) => self
                .service()
                .respond_activity_task_failed(Request::new(RespondActivityTaskFailedRequest {
                    task_token,
                    failure: Some(failure_out(Failure::Application(error))),
                    identity,
                    namespace,
                    ..Default::default()
                }))
                .await
                .map(drop),
        };
        sent.map_err(|status| activity_refusal(&token, &status))
    }

    /// Records a heartbeat of an attempt that completes asynchronously.
    async fn record_heartbeat(self, token: TaskToken, details: Vec<Payload>) -> Result<(), ClientError> {
        self.service()
            .record_activity_task_heartbeat(Request::new(RecordActivityTaskHeartbeatRequest {
                task_token: token.as_bytes().to_vec(),
                details: payloads_out(details),
                identity: self.identity.clone(),
                namespace: self.namespace.clone(),
                ..Default::default()
            }))
            .await
            .map(drop)
            .map_err(|status| activity_refusal(&token, &status))
    }
}

fn reuse_policy_out(policy: IdReusePolicy) -> WorkflowIdReusePolicy {
    match policy {
        IdReusePolicy::AllowDuplicate => WorkflowIdReusePolicy::AllowDuplicate,
        IdReusePolicy::AllowDuplicateFailedOnly => WorkflowIdReusePolicy::AllowDuplicateFailedOnly,
        IdReusePolicy::RejectDuplicate => WorkflowIdReusePolicy::RejectDuplicate,
        // Sent as the conflict policy it stands for (`start_request`).
        IdReusePolicy::TerminateIfRunning => WorkflowIdReusePolicy::AllowDuplicate,
    }
}

fn conflict_policy_out(policy: IdConflictPolicy) -> WorkflowIdConflictPolicy {
    match policy {
        IdConflictPolicy::Fail => WorkflowIdConflictPolicy::Fail,
        IdConflictPolicy::UseExisting => WorkflowIdConflictPolicy::UseExisting,
        IdConflictPolicy::TerminateExisting => WorkflowIdConflictPolicy::TerminateExisting,
    }
}

/// Why the server refused a call about an activity attempt.
fn activity_refusal(token: &TaskToken, status: &Status) -> ClientError {
    match status.code() {
        // An unknown token, or one of an attempt that is over.
        Code::NotFound | Code::InvalidArgument => ClientError::ActivityNotFound {
            token: token.to_string(),
        },
        _ => server_error(status),
    }
}

impl Backend for TemporalBackend {
    fn complete_activity(&self, token: TaskToken, outcome: Result<Payload, ApplicationError>) -> Call<()> {
        Box::pin(self.clone().respond_activity(token, outcome))
    }

    fn heartbeat_activity(&self, token: TaskToken, details: Vec<Payload>) -> Call<()> {
        Box::pin(self.clone().record_heartbeat(token, details))
    }

    fn start(&self, request: StartRequest) -> Call<String> {
        Box::pin(self.clone().start_workflow(request))
    }

    fn signal(&self, target: Execution, signal: Message) -> Call<()> {
        Box::pin(self.clone().signal_workflow(target, signal))
    }

    fn query(&self, target: Execution, query: Message) -> Call<Payload> {
        Box::pin(self.clone().query_workflow(target, query))
    }

    fn update(&self, target: Execution, request: UpdateRequest) -> Call<UpdateStatus> {
        Box::pin(self.clone().update_workflow(target, request))
    }

    fn update_with_start(&self, start: StartRequest, update: UpdateRequest) -> Call<UpdateStatus> {
        Box::pin(self.clone().update_with_start(start, update))
    }

    fn update_result(&self, target: Execution, update_id: String) -> Call<Result<Payload, Failure>> {
        let this = self.clone();
        Box::pin(async move { this.poll_update(target, String::new(), update_id).await })
    }

    fn result(&self, target: Execution) -> Call<Payload> {
        Box::pin(self.clone().workflow_result(target))
    }

    fn cancel(&self, target: Execution, reason: String) -> Call<()> {
        let this = self.clone();
        Box::pin(async move {
            let sent = this
                .service()
                .request_cancel_workflow_execution(Request::new(RequestCancelWorkflowExecutionRequest {
                    namespace: this.namespace.clone(),
                    workflow_execution: Some(execution(&target)),
                    identity: this.identity.clone(),
                    request_id: unique_id(),
                    reason,
                    ..Default::default()
                }))
                .await;
            match sent {
                Ok(_) => Ok(()),
                Err(s) => Err(this.refusal(&target, s, "cancellation").await),
            }
        })
    }

    fn terminate(&self, target: Execution, reason: String) -> Call<()> {
        let this = self.clone();
        Box::pin(async move {
            let sent = this
                .service()
                .terminate_workflow_execution(Request::new(TerminateWorkflowExecutionRequest {
                    namespace: this.namespace.clone(),
                    workflow_execution: Some(execution(&target)),
                    reason,
                    identity: this.identity.clone(),
                    ..Default::default()
                }))
                .await;
            match sent {
                Ok(_) => Ok(()),
                Err(s) => Err(this.refusal(&target, s, "termination").await),
            }
        })
    }

    fn list_workflows(&self, query: String, page_size: usize, page_token: Option<Vec<u8>>) -> Call<WorkflowPage> {
        Box::pin(self.clone().list_page(query, page_size, page_token))
    }

    fn count_workflows(&self, query: String) -> Call<u64> {
        Box::pin(self.clone().count(query))
    }

    fn schedule(&self, schedule_id: String, op: ScheduleOp) -> Call<ScheduleReply> {
        Box::pin(self.clone().schedule_call(schedule_id, op))
    }

    fn list_schedules(&self) -> Call<Vec<ScheduleSummary>> {
        Box::pin(self.clone().all_schedules())
    }

    fn describe(&self, target: Execution) -> Call<Description> {
        Box::pin(self.clone().describe_workflow(target))
    }

    fn history(&self, target: Execution) -> Call<History> {
        Box::pin(self.clone().history_of(target))
    }
}

fn execution(target: &Execution) -> WorkflowExecution {
    WorkflowExecution {
        workflow_id: target.workflow_id.clone(),
        run_id: target.run_id.clone().unwrap_or_default(),
    }
}

fn task_queue(name: String) -> TaskQueue {
    TaskQueue {
        name,
        kind: TaskQueueKind::Normal as i32,
        normal_name: String::new(),
    }
}

fn not_found(target: &Execution) -> ClientError {
    ClientError::NotFound {
        workflow_id: target.workflow_id.clone(),
    }
}

/// A read refused: the run is missing, or the server failed.
fn missing_or_server(target: &Execution, status: &Status) -> ClientError {
    match status.code() {
        Code::NotFound => not_found(target),
        _ => server_error(status),
    }
}

/// A refused visibility query is the caller's to fix; anything else is
/// the server's.
fn query_error(status: &Status) -> ClientError {
    match status.code() {
        Code::InvalidArgument => ClientError::InvalidQuery {
            message: status.message().to_owned(),
            position: None,
        },
        _ => server_error(status),
    }
}

/// A run as the server lists it.
fn summary_in(info: WorkflowExecutionInfo) -> WorkflowSummary {
    let execution = info.execution.unwrap_or_default();
    WorkflowSummary {
        workflow_id: execution.workflow_id,
        run_id: execution.run_id,
        workflow_type: info.r#type.map(|t| t.name).unwrap_or_default(),
        task_queue: info.task_queue,
        status: status_in(info.status),
        start_time_ms: millis_in(info.start_time),
        close_time_ms: info.close_time.map(|t| millis_in(Some(t))),
        memo: memo_in(info.memo),
        search_attributes: search_attributes_in(info.search_attributes),
    }
}

fn server_error(status: &Status) -> ClientError {
    ClientError::Server {
        message: format!("{:?}: {}", status.code(), status.message()),
    }
}

/// The typed limit error for a refusal that names a server limit.
fn limit_error(workflow_id: &str, status: &Status) -> Option<ClientError> {
    let message = status.message().to_ascii_lowercase();
    let (limit, max) = if message.contains("limit for signal") || message.contains("signals limit") {
        (Limit::ReceivedSignals, SERVER_MAX_SIGNALS)
    } else if message.contains("size exceeds limit") || message.contains("blob") {
        (Limit::PayloadSize, SERVER_MAX_PAYLOAD)
    } else if message.contains("in-flight updates") {
        (
            Limit::InFlightUpdates,
            stated_max(&message).unwrap_or(SERVER_MAX_IN_FLIGHT_UPDATES),
        )
    } else if message.contains("distinct updates") || message.contains("total updates") {
        (
            Limit::TotalUpdates,
            stated_max(&message).unwrap_or(SERVER_MAX_TOTAL_UPDATES),
        )
    } else {
        return None;
    };
    Some(ClientError::LimitExceeded {
        workflow_id: workflow_id.to_owned(),
        limit,
        max,
    })
}

/// The limit a refusal states, as in "... has been reached (10)".
fn stated_max(message: &str) -> Option<usize> {
    let (_, after) = message.split_once("reached (")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The failure of a query handler, from the status details the server
/// attaches (its message alone if they are missing).
fn query_failure(status: &Status) -> Failure {
    detail::<QueryFailedFailure>(status, "QueryFailedFailure")
        .and_then(|d| d.failure)
        .map(failure_in)
        .unwrap_or_else(|| Failure::Application(workflow_client::ApplicationError::new(status.message())))
}

/// A typed detail of a refusal (`google.rpc.Status.details`).
fn detail<T: prost::Message + Default>(status: &Status, type_name: &str) -> Option<T> {
    let rpc = RpcStatus::decode(status.details()).ok()?;
    let any = rpc.details.into_iter().find(|d| d.type_url.ends_with(type_name))?;
    T::decode(any.value.as_slice()).ok()
}

/// The known names in the failure that answers an unknown query or update.
fn unknown_name(failure: &Failure, prefix: &str) -> Option<Vec<String>> {
    let message = failure.application_error()?.message();
    if !message.starts_with(prefix) {
        return None;
    }
    let list = message.rsplit_once('[')?.1.trim_end_matches(']');
    Some(list.split_whitespace().map(str::to_owned).collect())
}

fn status_in(status: i32) -> WorkflowStatus {
    match ProtoStatus::try_from(status) {
        Ok(ProtoStatus::Completed) => WorkflowStatus::Completed,
        Ok(ProtoStatus::Failed) => WorkflowStatus::Failed,
        Ok(ProtoStatus::TimedOut) => WorkflowStatus::TimedOut,
        Ok(ProtoStatus::Canceled) => WorkflowStatus::Canceled,
        Ok(ProtoStatus::Terminated) => WorkflowStatus::Terminated,
        Ok(ProtoStatus::ContinuedAsNew) => WorkflowStatus::ContinuedAsNew,
        _ => WorkflowStatus::Running,
    }
}
