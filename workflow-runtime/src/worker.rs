//! Workers: which workflows and activities serve a task queue.

use std::sync::Arc;
use std::time::Duration;

use workflow_client::{ApplicationError, Payload};

use crate::activity::{Activities, Activity, Execute, Instance, IntoInstance, VisitActivity};
use crate::backend::RunningWorker;
use crate::definition::WorkflowDefinition;
use crate::engine::Engine;
use crate::interceptor::WorkerInterceptor;
use crate::metrics::WorkerMetrics;
use crate::registry::Offer;
use crate::setup_error::WorkerError;

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
    /// Why `start` refuses the worker, found while registering.
    refused: Option<WorkerError>,
}

impl Engine {
    /// Starts building a worker for `task_queue`.
    pub fn worker(&self, task_queue: impl Into<String>) -> WorkerBuilder {
        let task_queue = task_queue.into();
        let mut offer = Offer::default();
        offer.set_codec(self.codec());
        offer.set_metrics(WorkerMetrics::new(&task_queue));
        WorkerBuilder {
            engine: self.clone(),
            task_queue,
            offer,
            refused: None,
        }
    }
}

impl WorkerBuilder {
    /// Registers workflow `W` (a `dynamic` one serves every unregistered type name).
    pub fn workflow<W: WorkflowDefinition>(mut self) -> Self {
        self.offer.add_workflow::<W>();
        self
    }

    /// Registers an `#[workflow::activity]` function (a `dynamic` one
    /// serves every unregistered name). A method of an
    /// `#[workflow::activities]` impl block runs on an instance, registered
    /// with [`activities`](Self::activities): given here, it makes
    /// [`start`](Self::start) fail with [`WorkerError::ActivityWithoutInstance`].
    pub fn activity<A, O>(mut self, activity: Activity<A, O>) -> Self {
        match activity.owner() {
            None => self.offer.add_activity(activity, None),
            Some(owner) => {
                self.refused
                    .get_or_insert_with(|| WorkerError::ActivityWithoutInstance {
                        task_queue: self.task_queue.clone(),
                        activity: activity.name().to_owned(),
                        owner: owner.to_owned(),
                    });
            }
        }
        self
    }

    /// Registers every activity of an `#[workflow::activities]` impl block,
    /// run on `instance` (a `T`, or an `Arc<T>` to keep a handle on it):
    /// the worker shares it between the attempts running at once.
    ///
    /// The facade's guide shows one (its "Activities with state" chapter).
    pub fn activities<T: Activities>(mut self, instance: impl IntoInstance<T>) -> Self {
        T::__visit(&mut OnInstance {
            offer: &mut self.offer,
            instance: instance.into_instance(),
        });
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
        self.offer.add_mock(name, execute);
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
        self.offer.set_slow_activations(threshold);
        self
    }

    /// Passes this worker's runs and activities through `interceptor`,
    /// which reads the headers clients and workflows send and adds headers
    /// to what runs send out. Interceptors see calls in the order installed.
    pub fn interceptor(mut self, interceptor: impl WorkerInterceptor) -> Self {
        self.offer.add_interceptor(Arc::new(interceptor));
        self
    }

    /// Starts polling the task queue. Activities run on the current tokio
    /// runtime; workflow code runs on a thread of the engine's own.
    pub fn start(self) -> Result<Worker, WorkerError> {
        if let Some(refused) = self.refused {
            return Err(refused);
        }
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| WorkerError::NoRuntime)?;
        let running = self
            .engine
            .backend()
            .start_worker(self.task_queue, self.offer, &runtime)?;
        Ok(Worker { running })
    }
}

/// Registers the activities of an `#[workflow::activities]` impl block on
/// the instance they share.
struct OnInstance<'a> {
    offer: &'a mut Offer,
    instance: Arc<Instance>,
}

impl VisitActivity for OnInstance<'_> {
    fn activity<A, O>(&mut self, activity: Activity<A, O>) {
        self.offer.add_activity(activity, Some(self.instance.clone()));
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
    running: Box<dyn RunningWorker>,
}

impl Worker {
    /// The task queue it serves.
    pub fn task_queue(&self) -> &str {
        self.running.task_queue()
    }

    /// Stops taking new tasks; activities already running finish and report.
    pub fn shutdown(self) {
        self.running.shutdown();
    }
}
