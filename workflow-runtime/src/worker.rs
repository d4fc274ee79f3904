//! Workers: which workflows and activities serve a task queue, and the
//! tokio side that runs activities.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::mpsc;
use tracing::Instrument as _;
use workflow_client::{ApplicationError, Payload};

use crate::activity::{Activity, ActivityContext, ActivityInfo, Execute};
use crate::definition::WorkflowDefinition;
use crate::engine::{ActivityKey, Engine, EngineKind, Shared};
use crate::executor::{new_instance, RunInstance};

/// Builds a fresh run instance of one workflow type.
pub(crate) type Factory = fn(usize) -> Box<dyn RunInstance>;

/// One attempt of an activity, sent to a worker.
pub(crate) struct ActivityTask {
    pub(crate) activity: ActivityKey,
    pub(crate) info: ActivityInfo,
    pub(crate) args: Vec<Payload>,
    pub(crate) execute: Execute,
}

/// A finished activity attempt, reported to the engine.
pub(crate) struct ActivityDone {
    pub(crate) activity: ActivityKey,
    pub(crate) attempt: u32,
    pub(crate) result: Result<Payload, ApplicationError>,
}

/// What a worker serves: its workflow types and activities.
#[derive(Default)]
pub(crate) struct Offer {
    workflows: HashMap<&'static str, Factory>,
    dynamic_workflow: Option<Factory>,
    activities: HashMap<String, Execute>,
    dynamic_activity: Option<Execute>,
    /// Replacements registered with `mock_activity`; they win over the rest.
    mocks: HashMap<String, Execute>,
    /// The worker's `log_slow_activations` threshold; it travels with the
    /// offer because that is what both engines keep of a worker.
    slow_activations: Option<Duration>,
}

impl Offer {
    /// Activations slower than this are logged (`log_slow_activations`).
    pub(crate) fn slow_activations(&self) -> Option<Duration> {
        self.slow_activations
    }

    /// Adds workflow `W` (a `dynamic` one serves every unregistered type name).
    pub(crate) fn add_workflow<W: WorkflowDefinition>(&mut self) {
        if W::DYNAMIC {
            self.dynamic_workflow = Some(new_instance::<W>);
        } else {
            self.workflows.insert(W::NAME, new_instance::<W>);
        }
    }

    /// The factory for a workflow type: its own, else the dynamic workflow.
    pub(crate) fn workflow(&self, workflow_type: &str) -> Option<Factory> {
        self.workflows.get(workflow_type).copied().or(self.dynamic_workflow)
    }

    /// The function of an activity: its own, else the dynamic activity.
    pub(crate) fn activity(&self, activity_type: &str) -> Option<Execute> {
        let named = self
            .mocks
            .get(activity_type)
            .or_else(|| self.activities.get(activity_type));
        named.or(self.dynamic_activity.as_ref()).cloned()
    }

    /// Whether any workflow type is registered.
    #[cfg_attr(not(feature = "temporal"), allow(dead_code))]
    pub(crate) fn serves_workflows(&self) -> bool {
        !self.workflows.is_empty() || self.dynamic_workflow.is_some()
    }

    /// Whether any activity is registered.
    #[cfg_attr(not(feature = "temporal"), allow(dead_code))]
    pub(crate) fn serves_activities(&self) -> bool {
        !self.activities.is_empty() || self.dynamic_activity.is_some()
    }
}

/// What a started worker offers the embedded engine on its task queue.
pub(crate) struct Registration {
    pub(crate) id: u64,
    pub(crate) task_queue: String,
    pub(crate) offer: Offer,
    tasks: mpsc::UnboundedSender<ActivityTask>,
}

impl Registration {
    /// Hands an activity attempt to the worker; false if it has stopped.
    pub(crate) fn dispatch(&self, task: ActivityTask) -> bool {
        self.tasks.send(task).is_ok()
    }
}

/// A worker could not start.
///
/// ```
/// # use workflow_runtime::{Engine, WorkerError};
/// let engine = Engine::in_memory()?;
/// // Activities run on the caller's tokio runtime, and there is none here.
/// let refused = engine.worker("signal-tq").start();
/// assert!(matches!(refused, Err(WorkerError::NoRuntime)));
///
/// let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// let worker = runtime.block_on(async { engine.worker("signal-tq").start() })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// `start` was called outside a tokio runtime.
    #[error("a worker starts inside a tokio runtime: call `start` from async code or within `Runtime::enter`")]
    NoRuntime,
    /// The engine refused the worker.
    #[error("cannot start a worker for task queue `{task_queue}`: {message}")]
    Refused {
        /// The task queue.
        task_queue: String,
        /// What went wrong.
        message: String,
    },
}

/// Builds a worker: register workflows and activities, then [`start`](Self::start).
///
/// A worker serves one task queue. Start one per task queue, in any process
/// that has an engine on the same store (or the same Temporal server).
///
/// ```
/// # use workflow_runtime::Engine;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::in_memory()?;
/// let worker = engine
///     .worker("signal-tq")
///     // .workflow::<GreetingWorkflow>()
///     // .activity(greet)
///     .start()?;
/// assert_eq!(worker.task_queue(), "signal-tq");
/// worker.shutdown();
/// # Ok(()) }
/// ```
pub struct WorkerBuilder {
    engine: Engine,
    task_queue: String,
    offer: Offer,
}

impl WorkerBuilder {
    pub(crate) fn new(engine: Engine, task_queue: String) -> Self {
        WorkerBuilder {
            engine,
            task_queue,
            offer: Offer::default(),
        }
    }

    /// Registers workflow `W` (a `dynamic` one serves every unregistered type name).
    pub fn workflow<W: WorkflowDefinition>(mut self) -> Self {
        self.offer.add_workflow::<W>();
        self
    }

    /// Registers an activity (a `dynamic` one serves every unregistered name).
    pub fn activity<A, O>(mut self, activity: Activity<A, O>) -> Self {
        if activity.is_dynamic() {
            self.offer.dynamic_activity = Some(activity.executor());
        } else {
            self.offer
                .activities
                .insert(activity.name().to_owned(), activity.executor());
        }
        self
    }

    /// Runs `replacement` whenever a workflow calls the activity `name`, in
    /// place of any activity registered under that name: how tests stub out
    /// activities that reach the outside world. The closure takes the call's
    /// arguments as one tuple (`(String,)` for a single `String`).
    ///
    /// ```
    /// # use workflow_runtime::Engine;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let engine = Engine::in_memory()?;
    /// let worker = engine
    ///     .worker("orders")
    ///     // .workflow::<Checkout>()
    ///     .mock_activity("charge_card", |(customer, cents): (String, u64)| async move {
    ///         Ok::<_, workflow_client::ApplicationError>(format!("receipt for {customer}: {cents}"))
    ///     })
    ///     .start()?;
    /// # worker.shutdown(); Ok(()) }
    /// ```
    pub fn mock_activity<A, O, F, Fut>(mut self, name: &str, replacement: F) -> Self
    where
        A: serde::de::DeserializeOwned + Send + 'static,
        O: serde::Serialize + 'static,
        F: Fn(A) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<O, ApplicationError>> + Send + 'static,
    {
        let replacement = Arc::new(replacement);
        let execute: Execute = Arc::new(move |_ctx, args: Vec<Payload>| {
            let replacement = replacement.clone();
            Box::pin(async move {
                let args = args_tuple::<A>(&args)?;
                let output = replacement(args).await?;
                Payload::encode(&output).map_err(|e| ApplicationError::new(e.to_string()).non_retryable())
            })
        });
        self.offer.mocks.insert(name.to_owned(), execute);
        self
    }

    /// Logs every activation of a run served by this worker that keeps the
    /// executor busy longer than `threshold`: a `tracing` warning "slow
    /// workflow activation" with the workflow id, run id, workflow type,
    /// elapsed milliseconds and number of jobs. Workflow code runs one
    /// activation at a time, so a slow one delays the other runs waiting
    /// behind it. Off by default.
    ///
    /// ```no_run
    /// # async fn demo(engine: workflow_runtime::Engine) -> Result<(), workflow_runtime::WorkerError> {
    /// use std::time::Duration;
    ///
    /// let worker = engine
    ///     .worker("signal-tq")
    ///     /* .workflow::<MyWorkflow>() */
    ///     .log_slow_activations(Duration::from_millis(50))
    ///     .start()?;
    /// # Ok(()) }
    /// ```
    pub fn log_slow_activations(mut self, threshold: Duration) -> Self {
        self.offer.slow_activations = Some(threshold);
        self
    }

    /// Starts polling the task queue. Activities run on the current tokio
    /// runtime; workflow code runs on a thread of the engine's own.
    pub fn start(self) -> Result<Worker, WorkerError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| WorkerError::NoRuntime)?;
        let stop = match self.engine.kind().clone() {
            EngineKind::Embedded(shared) => self.start_embedded(shared, &runtime),
            #[cfg(feature = "temporal")]
            EngineKind::Temporal(connection) => Stop::Temporal(crate::temporal::start_worker(
                &connection,
                self.task_queue,
                self.offer,
                &runtime,
            )?),
        };
        Ok(Worker { stop })
    }

    fn start_embedded(self, engine: Arc<Shared>, runtime: &tokio::runtime::Handle) -> Stop {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (tasks, mut inbox) = mpsc::unbounded_channel::<ActivityTask>();
        let results = engine.activity_sender();
        runtime.spawn(async move {
            while let Some(task) = inbox.recv().await {
                let results = results.clone();
                tokio::spawn(async move {
                    let attempt = task.info.attempt;
                    let result = run_activity(task.execute, ActivityContext::new(task.info), task.args).await;
                    results.send(ActivityDone {
                        activity: task.activity,
                        attempt,
                        result,
                    });
                });
            }
        });
        engine.register(Registration {
            id,
            task_queue: self.task_queue.clone(),
            offer: self.offer,
            tasks,
        });
        Stop::Embedded {
            engine,
            task_queue: self.task_queue,
            id,
        }
    }
}

/// Decodes a call's arguments, one payload each, as one tuple.
fn args_tuple<A: serde::de::DeserializeOwned>(args: &[Payload]) -> Result<A, ApplicationError> {
    let bad = |e: String| {
        ApplicationError::new(format!("mocked activity arguments: {e}"))
            .with_type("PayloadError")
            .non_retryable()
    };
    let values = args
        .iter()
        .map(|p| p.decode::<serde_json::Value>().map_err(|e| bad(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    serde_json::from_value(serde_json::Value::Array(values)).map_err(|e| bad(e.to_string()))
}

/// Runs one activity attempt; a panic becomes a retryable `Panic` error.
pub(crate) async fn run_activity(
    execute: Execute,
    ctx: ActivityContext,
    args: Vec<Payload>,
) -> Result<Payload, ApplicationError> {
    let name = ctx.info().activity_type.clone();
    let span = {
        let info = ctx.info();
        tracing::info_span!(
            "activity",
            workflow_id = info.workflow_id.as_str(),
            run_id = info.run_id.as_str(),
            activity = name.as_str(),
            attempt = info.attempt
        )
    };
    AssertUnwindSafe(execute(ctx, args))
        .catch_unwind()
        .instrument(span)
        .await
        .unwrap_or_else(|_| Err(ApplicationError::new(format!("activity `{name}` panicked")).with_type("Panic")))
}

/// A running worker. Dropping the handle leaves it running; call
/// [`shutdown`](Worker::shutdown) to stop it.
///
/// Runs keep their history while no worker serves them: signals and starts
/// wait, and the next worker on the task queue carries on.
///
/// ```
/// # use workflow_runtime::Engine;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::in_memory()?;
/// let old = engine.worker("orders").start()?;
/// // A new version of the code takes over the task queue.
/// old.shutdown();
/// let new = engine.worker("orders").start()?;
/// # let _ = new; Ok(()) }
/// ```
pub struct Worker {
    stop: Stop,
}

/// How a worker is stopped, per engine.
enum Stop {
    Embedded {
        engine: Arc<Shared>,
        task_queue: String,
        id: u64,
    },
    #[cfg(feature = "temporal")]
    Temporal(crate::temporal::WorkerHandle),
}

impl Worker {
    /// The task queue it serves.
    pub fn task_queue(&self) -> &str {
        match &self.stop {
            Stop::Embedded { task_queue, .. } => task_queue,
            #[cfg(feature = "temporal")]
            Stop::Temporal(handle) => handle.task_queue(),
        }
    }

    /// Stops taking new tasks; activities already running finish and report.
    pub fn shutdown(self) {
        match self.stop {
            Stop::Embedded { engine, task_queue, id } => engine.unregister(task_queue, id),
            #[cfg(feature = "temporal")]
            Stop::Temporal(handle) => handle.shutdown(),
        }
    }
}
