//! A worker on a Temporal task queue: Core polls the server; workflow
//! activations run on a thread of their own (run instances are not `Send`),
//! activities run on the caller's tokio runtime with heartbeats and
//! cancellation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use temporalio_common::protos::coresdk::activity_result::ActivityExecutionResult;
use temporalio_common::protos::coresdk::activity_task::{activity_task, ActivityTask, Start};
use temporalio_common::protos::coresdk::{ActivityHeartbeat, ActivityTaskCompletion};
use temporalio_common::worker::WorkerTaskTypes;
use temporalio_sdk_core::{init_worker, PollError, Worker as CoreWorker, WorkerConfig, WorkerVersioningStrategy};
use tokio::runtime::Handle;
use tokio::sync::watch;
use workflow_client::{ApplicationError, Failure, TaskToken};

use super::activation::Runs;
use super::convert::{failure_out, header_fields_in, payload_in, payload_out};
use super::Connection;
use crate::activity::run_activity;
use crate::activity_context::{ActivityContext, ActivityInfo};
use crate::backend::RunningWorker;
use crate::registry::{unregistered, Offer, Registrable};
use crate::setup_error::WorkerError;

/// A started worker, for [`Worker::shutdown`](crate::Worker::shutdown).
pub(crate) struct WorkerHandle {
    task_queue: String,
    core: Arc<CoreWorker>,
}

impl RunningWorker for WorkerHandle {
    fn task_queue(&self) -> &str {
        &self.task_queue
    }

    /// Stops polling; tasks in hand finish and report.
    fn shutdown(self: Box<Self>) {
        self.core.initiate_shutdown();
    }
}

/// Starts Core's pollers for `task_queue` and the loops that serve them.
pub(crate) fn start_worker(
    connection: &Arc<Connection>,
    task_queue: String,
    offer: Offer,
    runtime: &Handle,
) -> Result<WorkerHandle, WorkerError> {
    let refused = |message: String| WorkerError::Refused {
        task_queue: task_queue.clone(),
        message,
    };
    let options = &connection.options;
    let config = WorkerConfig::builder()
        .namespace(options.namespace.clone())
        .task_queue(task_queue.clone())
        .client_identity_override(options.identity.clone())
        .max_cached_workflows(options.max_cached_workflows)
        .task_types(WorkerTaskTypes {
            enable_workflows: offer.serves_workflows(),
            // A workflow's local activities run in its own worker.
            enable_local_activities: offer.serves_workflows(),
            enable_remote_activities: offer.serves_activities(),
            enable_nexus: false,
        })
        .versioning_strategy(WorkerVersioningStrategy::None {
            build_id: concat!("workflow-rs-", env!("CARGO_PKG_VERSION")).to_owned(),
        })
        .build()
        .map_err(refused)?;
    let core = {
        let _entered = runtime.enter();
        init_worker(&connection.runtime, config, connection.grpc.clone()).map_err(|e| refused(e.to_string()))?
    };
    let core = Arc::new(core);
    connection
        .workers
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(core.clone());
    let offer = Arc::new(offer);
    if offer.serves_workflows() {
        let core = core.clone();
        let (offer, queue, namespace) = (offer.clone(), task_queue.clone(), options.namespace.clone());
        let max_pending = options.max_pending_outgoing_signals;
        let local = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| refused(e.to_string()))?;
        // Run instances are not `Send`: they live on this thread, whose own
        // runtime outlives the application's at exit.
        std::thread::Builder::new()
            .name(format!("workflow-worker-{task_queue}"))
            .spawn(move || local.block_on(workflow_loop(core, Runs::new(offer, queue, namespace, max_pending))))
            .map_err(|e| refused(e.to_string()))?;
    }
    if offer.serves_activities() || offer.serves_workflows() {
        runtime.spawn(activity_loop(core.clone(), offer, task_queue.clone()));
    }
    Ok(WorkerHandle { task_queue, core })
}

/// A polled task, or `None` once the worker shuts down; a failed poll shuts it down.
fn polled<T>(core: &CoreWorker, polled: Result<T, PollError>, what: &str) -> Option<T> {
    match polled {
        Ok(task) => Some(task),
        Err(PollError::ShutDown) => None,
        Err(e) => {
            tracing::error!(error = %e, "polling {what} failed; the worker stops");
            core.initiate_shutdown();
            None
        }
    }
}

/// Polls workflow activations until shutdown. Workflow code runs here, one
/// activation at a time; completions go back to Core concurrently.
async fn workflow_loop(core: Arc<CoreWorker>, mut runs: Runs) {
    while let Some(activation) = polled(&core, core.poll_workflow_activation().await, "workflow tasks") {
        let completion = runs.activate(activation);
        let core = core.clone();
        tokio::spawn(async move {
            if let Err(e) = core.complete_workflow_activation(completion).await {
                tracing::error!(error = %e, "cannot complete a workflow activation");
            }
        });
    }
    core.shutdown().await;
}

/// Cancellation senders of the activity attempts in progress, by task token.
type Running = Arc<Mutex<HashMap<Vec<u8>, watch::Sender<bool>>>>;

/// Polls activity tasks until shutdown; each attempt runs as its own task.
async fn activity_loop(core: Arc<CoreWorker>, offer: Arc<Offer>, task_queue: String) {
    let running: Running = Arc::default();
    while let Some(task) = polled(&core, core.poll_activity_task().await, "activity tasks") {
        let ActivityTask { task_token, variant } = task;
        match variant {
            Some(activity_task::Variant::Start(start)) => {
                let attempt = Attempt {
                    core: core.clone(),
                    offer: offer.clone(),
                    running: running.clone(),
                    task_token,
                };
                tokio::spawn(attempt.run(start, task_queue.clone()));
            }
            Some(activity_task::Variant::Cancel(_)) => {
                if let Some(cancel) = running.lock().unwrap_or_else(|e| e.into_inner()).get(&task_token) {
                    let _ = cancel.send(true);
                }
            }
            None => {}
        }
    }
}

/// One activity attempt Core handed over.
struct Attempt {
    core: Arc<CoreWorker>,
    offer: Arc<Offer>,
    running: Running,
    task_token: Vec<u8>,
}

impl Attempt {
    /// Runs the attempt with a context wired to Core's heartbeats and
    /// cancellation, and reports its outcome.
    async fn run(self, start: Start, task_queue: String) {
        let (cancel_tx, cancel_rx) = watch::channel(false);
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(self.task_token.clone(), cancel_tx);
        let execution = start.workflow_execution.unwrap_or_default();
        let info = ActivityInfo {
            activity_type: start.activity_type,
            attempt: start.attempt,
            workflow_id: execution.workflow_id,
            run_id: execution.run_id,
            task_queue,
            is_local: start.is_local,
            headers: header_fields_in(start.header_fields),
            current_attempt_scheduled_time: start.current_attempt_scheduled_time.map_or_else(SystemTime::now, |t| {
                UNIX_EPOCH + Duration::new(t.seconds.max(0) as u64, t.nanos.max(0) as u32)
            }),
        };
        let heartbeat = {
            let (core, task_token) = (self.core.clone(), self.task_token.clone());
            Box::new(move |details: Vec<workflow_client::Payload>| {
                core.record_activity_heartbeat(ActivityHeartbeat {
                    task_token: task_token.clone(),
                    details: details.into_iter().map(payload_out).collect(),
                })
            })
        };
        let details = start.heartbeat_details.into_iter().map(payload_in).collect();
        let token = TaskToken::from_bytes(self.task_token.clone());
        let ctx = ActivityContext::with_engine(info, details, cancel_rx, Some(heartbeat), token);
        let args = start.input.into_iter().map(payload_in).collect();
        let result = match self.offer.activity(&ctx.info().activity_type) {
            Some(execute) => {
                let attempt = ctx.clone();
                let outcome = run_activity(execute, ctx, args).await;
                match attempt.completes_async() {
                    true => ActivityExecutionResult::will_complete_async(),
                    false => execution_result(outcome, attempt.is_cancelled()),
                }
            }
            None => {
                let info = ctx.info();
                let registered = self.offer.activity_names();
                let message = unregistered(Registrable::Activity, &info.activity_type, &info.task_queue, registered);
                tracing::warn!(
                    workflow_id = %info.workflow_id, attempt = info.attempt, error = %message,
                    "activity attempt failed: this worker has no such activity; it is retried per its retry policy"
                );
                let error = ApplicationError::new(message).with_type("NotFoundError");
                ActivityExecutionResult::fail(failure_out(Failure::Application(error)))
            }
        };
        self.running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.task_token);
        let completion = ActivityTaskCompletion {
            task_token: self.task_token,
            result: Some(result),
        };
        if let Err(e) = self.core.complete_activity_task(completion).await {
            tracing::error!(error = %e, "cannot complete an activity task");
        }
    }
}

/// What an attempt reports: an error after cancellation was requested
/// reports the cancellation.
fn execution_result(
    outcome: Result<workflow_client::Payload, ApplicationError>,
    cancelled: bool,
) -> ActivityExecutionResult {
    match outcome {
        Ok(payload) => ActivityExecutionResult::ok(payload_out(payload)),
        Err(_) if cancelled => ActivityExecutionResult::cancel(failure_out(Failure::Canceled)),
        Err(e) => ActivityExecutionResult::fail(failure_out(Failure::Application(e))),
    }
}
