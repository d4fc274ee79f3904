//! Core's workflow activations in, this crate's executor in the middle, Core's
//! commands out: the Temporal engine's translation of one activation.

use std::collections::HashMap;
use std::sync::Arc;

use temporalio_common::protos::coresdk::activity_result::{activity_resolution, ActivityResolution};
use temporalio_common::protos::coresdk::child_workflow::{child_workflow_result, ChildWorkflowResult};
use temporalio_common::protos::coresdk::common::NamespacedWorkflowExecution;
use temporalio_common::protos::coresdk::workflow_activation::{
    resolve_child_workflow_execution_start, workflow_activation_job::Variant as JobIn, InitializeWorkflow,
    WorkflowActivation,
};
use temporalio_common::protos::coresdk::workflow_commands::{
    self as cmd, query_result, signal_external_workflow_execution, update_response, workflow_command::Variant as Out,
    ActivityCancellationType,
};
use temporalio_common::protos::coresdk::workflow_completion::WorkflowActivationCompletion;
use temporalio_common::protos::temporal::api::enums::v1::SignalExternalWorkflowExecutionFailedCause as SignalCause;
use temporalio_common::protos::temporal::api::failure::v1::Failure as ProtoFailure;
use workflow_client::{ApplicationError, ExternalFailureCause, Failure, ParentInfo, Payload};
use workflow_client::{ParentClosePolicy, RunOptions};

use super::convert::{
    duration_out, failure_in, failure_out, header_fields_in, header_fields_out, memo_changes_out, payload_in,
    payload_out, retry_policy_out, search_attribute_updates_out, search_attributes_out, time_in,
};
use crate::executor::{activate_timed, QueryError, RunInstance, RunLabel};
use crate::protocol::{Activation, Command, Job, Rejection, WorkflowInfo};
use crate::registry::{unregistered, Offer, Registrable};

/// The runs a worker holds between activations; Core decides when to evict.
pub(super) struct Runs {
    offer: Arc<Offer>,
    task_queue: String,
    namespace: String,
    max_pending_outgoing_signals: usize,
    runs: HashMap<String, Run>,
}

/// One cached run.
struct Run {
    instance: Box<dyn RunInstance>,
    workflow_id: String,
    workflow_type: String,
    /// Open updates: id -> (Core's protocol instance id, update name).
    updates: HashMap<String, (String, String)>,
}

impl Runs {
    pub(super) fn new(offer: Arc<Offer>, task_queue: String, namespace: String, max_pending: usize) -> Self {
        Runs {
            offer,
            task_queue,
            namespace,
            max_pending_outgoing_signals: max_pending,
            runs: HashMap::new(),
        }
    }

    /// Applies one activation and says what to answer Core.
    pub(super) fn activate(&mut self, activation: WorkflowActivation) -> WorkflowActivationCompletion {
        let run_id = activation.run_id.clone();
        match self.apply(activation) {
            Ok(commands) => WorkflowActivationCompletion::from_cmds(run_id, commands),
            Err(message) => {
                tracing::warn!(run_id = %run_id, error = %message, "workflow task failed; the server retries it");
                WorkflowActivationCompletion::fail(run_id, ProtoFailure::application_failure(message, false), None)
            }
        }
    }

    fn apply(&mut self, activation: WorkflowActivation) -> Result<Vec<Out>, String> {
        let run_id = activation.run_id;
        let mut jobs = Vec::new();
        let mut queries = Vec::new();
        let mut evict = false;
        for job in activation.jobs.into_iter().filter_map(|j| j.variant) {
            match job {
                JobIn::InitializeWorkflow(init) => jobs.push(self.initialize(&run_id, init)?),
                JobIn::FireTimer(t) => jobs.push(Job::FireTimer { seq: t.seq }),
                JobIn::QueryWorkflow(q) => queries.push(q),
                JobIn::CancelWorkflow(_) => jobs.push(Job::Cancel),
                JobIn::SignalWorkflow(s) => jobs.push(Job::Signal {
                    name: s.signal_name,
                    args: s.input.into_iter().map(payload_in).collect(),
                    header: header_fields_in(s.headers),
                }),
                JobIn::ResolveActivity(a) => jobs.push(Job::ResolveActivity {
                    seq: a.seq,
                    result: activity_outcome(a.result),
                }),
                JobIn::ResolveChildWorkflowExecutionStart(s) => {
                    use resolve_child_workflow_execution_start::Status;
                    let result = match s.status {
                        Some(Status::Succeeded(ok)) => Ok(ok.run_id),
                        Some(Status::Failed(failed)) => Err(failed.workflow_id),
                        Some(Status::Cancelled(_)) | None => Err(String::new()),
                    };
                    jobs.push(Job::ResolveChildStart { seq: s.seq, result });
                }
                JobIn::ResolveChildWorkflowExecution(c) => jobs.push(Job::ResolveChild {
                    seq: c.seq,
                    result: child_outcome(c.result),
                }),
                JobIn::ResolveSignalExternalWorkflow(r) => jobs.push(Job::ResolveSignalExternal {
                    seq: r.seq,
                    result: external_outcome(r.failure, r.cause),
                }),
                JobIn::ResolveRequestCancelExternalWorkflow(r) => jobs.push(Job::ResolveCancelExternal {
                    seq: r.seq,
                    result: external_outcome(r.failure, 0),
                }),
                JobIn::DoUpdate(u) => {
                    let run = self
                        .runs
                        .get_mut(&run_id)
                        .ok_or("an update arrived before the run started")?;
                    run.updates
                        .insert(u.id.clone(), (u.protocol_instance_id, u.name.clone()));
                    jobs.push(Job::Update {
                        id: u.id,
                        name: u.name,
                        args: u.input.into_iter().map(payload_in).collect(),
                        validate: u.run_validator,
                        header: header_fields_in(u.headers),
                    });
                }
                JobIn::RemoveFromCache(_) => evict = true,
                JobIn::NotifyHasPatch(p) => jobs.push(Job::NotifyHasPatch { patch_id: p.patch_id }),
                // Reseeding after reset and Nexus are not part of this DSL.
                JobIn::UpdateRandomSeed(_) | JobIn::ResolveNexusOperationStart(_) | JobIn::ResolveNexusOperation(_) => {
                }
            }
        }
        if evict {
            self.runs.remove(&run_id);
            return Ok(Vec::new());
        }
        let run = self
            .runs
            .get_mut(&run_id)
            .ok_or_else(|| format!("run `{run_id}` is not in the worker's cache"))?;
        let mut out = Vec::new();
        if !jobs.is_empty() {
            let label = RunLabel {
                workflow_id: &run.workflow_id,
                run_id: &run_id,
                workflow_type: &run.workflow_type,
            };
            let activation = Activation {
                now: time_in(activation.timestamp),
                replaying: activation.is_replaying,
                history_length: u64::from(activation.history_length),
                continue_as_new_suggested: activation.continue_as_new_suggested,
                jobs,
            };
            let commands = activate_timed(&mut *run.instance, activation, self.offer.slow_activations(), label)
                .map_err(|failure| failure.message)?;
            for command in commands {
                out.push(run.command(command, &self.namespace, &self.task_queue));
            }
        }
        for query in queries {
            let args = query.arguments.into_iter().map(payload_in).collect();
            let header = header_fields_in(query.headers);
            let answer = if query.query_type == UNHANDLED_SIGNALS_QUERY {
                Payload::encode(run.instance.unhandled_signals())
                    .map_err(|e| QueryError::Failed(Failure::Application(e.into())))
            } else {
                run.instance.query(&query.query_type, args, &header)
            };
            let variant = match answer {
                Ok(answer) => query_result::Variant::Succeeded(cmd::QuerySuccess {
                    response: Some(payload_out(answer)),
                }),
                Err(e) => query_result::Variant::Failed(query_failure(&query.query_type, e)),
            };
            out.push(Out::RespondToQuery(cmd::QueryResult {
                query_id: query.query_id,
                variant: Some(variant),
            }));
        }
        Ok(out)
    }

    /// Creates the run's executor and its start job.
    fn initialize(&mut self, run_id: &str, init: InitializeWorkflow) -> Result<Job, String> {
        let factory = self.offer.workflow(&init.workflow_type).ok_or_else(|| {
            let registered = self.offer.workflow_names();
            unregistered(
                Registrable::WorkflowType,
                &init.workflow_type,
                &self.task_queue,
                registered,
            )
        })?;
        self.runs.insert(
            run_id.to_owned(),
            Run {
                instance: factory.instance(self.max_pending_outgoing_signals),
                workflow_id: init.workflow_id.clone(),
                workflow_type: init.workflow_type.clone(),
                updates: HashMap::new(),
            },
        );
        Ok(Job::Start {
            info: WorkflowInfo {
                workflow_id: init.workflow_id,
                run_id: run_id.to_owned(),
                workflow_type: init.workflow_type,
                task_queue: self.task_queue.clone(),
                parent: init.parent_workflow_info.map(|p| ParentInfo {
                    workflow_id: p.workflow_id,
                    run_id: p.run_id,
                    seq: 0,
                }),
                continued_from_run_id: Some(init.continued_from_execution_run_id).filter(|r| !r.is_empty()),
                attempt: u32::try_from(init.attempt).unwrap_or(1).max(1),
            },
            args: init.arguments.into_iter().map(payload_in).collect(),
            randomness_seed: init.randomness_seed,
            header: header_fields_in(init.headers),
        })
    }
}

impl Run {
    /// One command in Core's terms.
    fn command(&mut self, command: Command, namespace: &str, task_queue: &str) -> Out {
        let target = |workflow_id: String| NamespacedWorkflowExecution {
            namespace: namespace.to_owned(),
            workflow_id,
            run_id: String::new(),
        };
        match command {
            Command::StartTimer { seq, duration } => Out::StartTimer(cmd::StartTimer {
                seq,
                start_to_fire_timeout: Some(duration_out(duration)),
            }),
            Command::CancelTimer { seq } => Out::CancelTimer(cmd::CancelTimer { seq }),
            Command::ScheduleActivity {
                seq,
                activity_type,
                args,
                options,
                header,
            } => Out::ScheduleActivity(cmd::ScheduleActivity {
                seq,
                activity_id: seq.to_string(),
                activity_type,
                task_queue: options.task_queue.unwrap_or_else(|| task_queue.to_owned()),
                arguments: args.into_iter().map(payload_out).collect(),
                schedule_to_close_timeout: options.schedule_to_close_timeout.map(duration_out),
                start_to_close_timeout: options.start_to_close_timeout.map(duration_out),
                heartbeat_timeout: options.heartbeat_timeout.map(duration_out),
                retry_policy: Some(retry_policy_out(options.retry_policy)),
                cancellation_type: cancellation_type_out(options.cancellation_type) as i32,
                headers: header_fields_out(header),
                ..Default::default()
            }),
            Command::RequestCancelActivity { seq } => Out::RequestCancelActivity(cmd::RequestCancelActivity { seq }),
            Command::ScheduleLocalActivity {
                seq,
                activity_type,
                args,
                options,
                header,
            } => Out::ScheduleLocalActivity(cmd::ScheduleLocalActivity {
                seq,
                activity_id: seq.to_string(),
                activity_type,
                attempt: 1,
                arguments: args.into_iter().map(payload_out).collect(),
                schedule_to_close_timeout: options.schedule_to_close_timeout.map(duration_out),
                start_to_close_timeout: options.start_to_close_timeout.map(duration_out),
                retry_policy: Some(retry_policy_out(options.retry_policy)),
                // Core retries within the workflow task however long the
                // backoff, as the embedded engine does, rather than asking
                // the workflow to sleep on a timer between attempts.
                local_retry_threshold: Some(duration_out(LOCAL_RETRY_THRESHOLD)),
                cancellation_type: cancellation_type_out(options.cancellation_type) as i32,
                headers: header_fields_out(header),
                ..Default::default()
            }),
            Command::RequestCancelLocalActivity { seq } => {
                Out::RequestCancelLocalActivity(cmd::RequestCancelLocalActivity { seq })
            }
            Command::SignalExternal {
                seq,
                workflow_id,
                name,
                args,
                header,
            } => Out::SignalExternalWorkflowExecution(cmd::SignalExternalWorkflowExecution {
                seq,
                target: Some(signal_external_workflow_execution::Target::WorkflowExecution(target(
                    workflow_id,
                ))),
                signal_name: name,
                args: args.into_iter().map(payload_out).collect(),
                headers: header_fields_out(header),
            }),
            Command::CancelExternal { seq, workflow_id } => {
                Out::RequestCancelExternalWorkflowExecution(cmd::RequestCancelExternalWorkflowExecution {
                    seq,
                    workflow_execution: Some(target(workflow_id)),
                    reason: "requested by workflow code".to_owned(),
                })
            }
            Command::StartChild {
                seq,
                workflow_type,
                workflow_id,
                task_queue,
                args,
                run,
                parent_close_policy,
                header,
            } => {
                use temporalio_common::protos::coresdk::child_workflow::ParentClosePolicy as Policy;
                let policy = match parent_close_policy {
                    ParentClosePolicy::Terminate => Policy::Terminate,
                    ParentClosePolicy::RequestCancel => Policy::RequestCancel,
                    ParentClosePolicy::Abandon => Policy::Abandon,
                };
                let RunOptions {
                    execution_timeout,
                    run_timeout,
                    task_timeout,
                    retry_policy,
                    memo,
                    search_attributes,
                    ..
                } = *run;
                Out::StartChildWorkflowExecution(cmd::StartChildWorkflowExecution {
                    seq,
                    namespace: namespace.to_owned(),
                    workflow_id,
                    workflow_type,
                    task_queue,
                    input: args.into_iter().map(payload_out).collect(),
                    workflow_execution_timeout: execution_timeout.map(duration_out),
                    workflow_run_timeout: run_timeout.map(duration_out),
                    workflow_task_timeout: task_timeout.map(duration_out),
                    retry_policy: retry_policy.map(retry_policy_out),
                    memo: memo.into_iter().map(|(k, v)| (k, payload_out(v))).collect(),
                    search_attributes: search_attributes_out(&search_attributes),
                    parent_close_policy: policy as i32,
                    headers: header_fields_out(header),
                    ..Default::default()
                })
            }
            Command::UpdateAccepted { id } => self.update_response(&id, update_response::Response::Accepted(())),
            Command::UpdateRejected { id, rejection } => {
                let failure = match rejection {
                    Rejection::Unknown { known } => {
                        let name = self.updates.get(&id).map(|(_, name)| name.as_str()).unwrap_or_default();
                        unknown_update_failure(name, &known)
                    }
                    Rejection::Invalid(failure) => failure_out(failure),
                };
                let out = self.update_response(&id, update_response::Response::Rejected(failure));
                self.updates.remove(&id);
                out
            }
            Command::UpdateCompleted { id, outcome } => {
                let response = match outcome {
                    Ok(payload) => update_response::Response::Completed(payload_out(payload)),
                    Err(failure) => update_response::Response::Rejected(failure_out(failure)),
                };
                let out = self.update_response(&id, response);
                self.updates.remove(&id);
                out
            }
            Command::SetPatchMarker { patch_id, deprecated } => {
                Out::SetPatchMarker(cmd::SetPatchMarker { patch_id, deprecated })
            }
            Command::UpsertSearchAttributes(updates) => {
                Out::UpsertWorkflowSearchAttributes(cmd::UpsertWorkflowSearchAttributes {
                    search_attributes: Some(search_attribute_updates_out(updates)),
                })
            }
            Command::UpsertMemo(changes) => Out::ModifyWorkflowProperties(cmd::ModifyWorkflowProperties {
                upserted_memo: Some(memo_changes_out(changes)),
            }),
            Command::Complete(result) => Out::CompleteWorkflowExecution(cmd::CompleteWorkflowExecution {
                result: Some(payload_out(result)),
            }),
            Command::Fail(failure) => Out::FailWorkflowExecution(cmd::FailWorkflowExecution {
                failure: Some(failure_out(failure)),
            }),
            Command::CancelWorkflow => Out::CancelWorkflowExecution(cmd::CancelWorkflowExecution::default()),
            Command::ContinueAsNew { args, header } => {
                Out::ContinueAsNewWorkflowExecution(cmd::ContinueAsNewWorkflowExecution {
                    workflow_type: self.workflow_type.clone(),
                    arguments: args.into_iter().map(payload_out).collect(),
                    headers: header_fields_out(header),
                    ..Default::default()
                })
            }
        }
    }

    fn update_response(&self, id: &str, response: update_response::Response) -> Out {
        Out::UpdateResponse(cmd::UpdateResponse {
            protocol_instance_id: self.updates.get(id).map_or_else(|| id.to_owned(), |(p, _)| p.clone()),
            response: Some(response),
        })
    }
}

/// The longest retry backoff of a local activity that Core waits out itself
/// (the retry policy's maximum interval is far below it).
const LOCAL_RETRY_THRESHOLD: std::time::Duration = std::time::Duration::from_secs(365 * 24 * 3600);

/// The built-in query that lists the signals no handler took, for `describe`.
pub(super) const UNHANDLED_SIGNALS_QUERY: &str = "__workflow_unhandled_signals";

/// Prefix of the failure that answers a query no handler takes; the client
/// turns it back into `ClientError::UnknownQuery`. Python's SDK words it the same.
pub(super) const UNKNOWN_QUERY: &str = "Query handler for '";
/// Prefix of the rejection of an update no handler takes.
pub(super) const UNKNOWN_UPDATE: &str = "Update handler for '";

fn query_failure(name: &str, error: QueryError) -> ProtoFailure {
    match error {
        QueryError::Failed(failure) => failure_out(failure),
        QueryError::Unknown { known } => failure_out(Failure::Application(
            ApplicationError::new(format!(
                "{UNKNOWN_QUERY}{name}' expected but not found, known queries: [{}]",
                known.join(" ")
            ))
            .with_type("UnknownQuery"),
        )),
        QueryError::NotStarted => failure_out(Failure::Application(ApplicationError::new(
            "the run has not started yet",
        ))),
    }
}

fn unknown_update_failure(name: &str, known: &[String]) -> ProtoFailure {
    failure_out(Failure::Application(
        ApplicationError::new(format!(
            "{UNKNOWN_UPDATE}{name}' expected but not found, known updates: [{}]",
            known.join(" ")
        ))
        .with_type("UnknownUpdate"),
    ))
}

/// What canceling an activity does, as Core spells it.
fn cancellation_type_out(t: workflow_client::ActivityCancellationType) -> ActivityCancellationType {
    use workflow_client::ActivityCancellationType as T;
    match t {
        T::TryCancel => ActivityCancellationType::TryCancel,
        T::WaitCancellationCompleted => ActivityCancellationType::WaitCancellationCompleted,
        T::Abandon => ActivityCancellationType::Abandon,
    }
}

fn activity_outcome(resolution: Option<ActivityResolution>) -> Result<Payload, Failure> {
    use activity_resolution::Status;
    match resolution.and_then(|r| r.status) {
        Some(Status::Completed(ok)) => Ok(ok.result.map(payload_in).unwrap_or_else(Payload::null)),
        Some(Status::Failed(f)) => Err(f.failure.map(failure_in).unwrap_or(Failure::Canceled)),
        Some(Status::Cancelled(_)) => Err(Failure::Canceled),
        Some(Status::Backoff(_)) | None => Err(Failure::Application(ApplicationError::new(
            "the activity resolved without an outcome",
        ))),
    }
}

fn child_outcome(result: Option<ChildWorkflowResult>) -> Result<Payload, Failure> {
    use child_workflow_result::Status;
    match result.and_then(|r| r.status) {
        Some(Status::Completed(ok)) => Ok(ok.result.map(payload_in).unwrap_or_else(Payload::null)),
        Some(Status::Failed(f)) => Err(f.failure.map(failure_in).unwrap_or(Failure::Canceled)),
        // Core wraps the cancellation in the child's failure, as for a failed child.
        Some(Status::Cancelled(c)) => Err(c.failure.map(failure_in).unwrap_or(Failure::Canceled)),
        None => Err(Failure::Canceled),
    }
}

fn external_outcome(failure: Option<ProtoFailure>, cause: i32) -> Result<(), ExternalFailureCause> {
    match failure {
        None => Ok(()),
        Some(_) if cause == SignalCause::SignalCountLimitExceeded as i32 => Err(ExternalFailureCause::LimitExceeded),
        Some(_) => Err(ExternalFailureCause::NotFound),
    }
}
