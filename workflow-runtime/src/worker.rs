//! Workers: which workflows and activities serve a task queue, and the
//! tokio side that runs activities.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::FutureExt as _;
use tokio::sync::mpsc;
use workflow_client::{ApplicationError, Payload};

use crate::activity::{Activity, ActivityContext, ActivityInfo, ExecuteFn};
use crate::definition::WorkflowDefinition;
use crate::engine::Engine;
use crate::executor::{new_instance, RunInstance};

/// Builds a fresh run instance of one workflow type.
pub(crate) type Factory = fn(usize) -> Box<dyn RunInstance>;

/// One attempt of an activity, sent to a worker.
pub(crate) struct ActivityTask {
    pub(crate) run_id: String,
    pub(crate) seq: u32,
    pub(crate) info: ActivityInfo,
    pub(crate) args: Vec<Payload>,
    pub(crate) execute: ExecuteFn,
}

/// A finished activity attempt, reported to the engine.
pub(crate) struct ActivityDone {
    pub(crate) run_id: String,
    pub(crate) seq: u32,
    pub(crate) attempt: u32,
    pub(crate) result: Result<Payload, ApplicationError>,
}

/// What a started worker offers on its task queue.
pub(crate) struct Registration {
    pub(crate) id: u64,
    pub(crate) task_queue: String,
    workflows: HashMap<&'static str, Factory>,
    dynamic_workflow: Option<Factory>,
    activities: HashMap<&'static str, ExecuteFn>,
    dynamic_activity: Option<ExecuteFn>,
    tasks: mpsc::UnboundedSender<ActivityTask>,
}

impl Registration {
    /// The factory for a workflow type: its own, else the dynamic workflow.
    pub(crate) fn workflow(&self, workflow_type: &str) -> Option<Factory> {
        self.workflows.get(workflow_type).copied().or(self.dynamic_workflow)
    }

    /// The function of an activity: its own, else the dynamic activity.
    pub(crate) fn activity(&self, activity_type: &str) -> Option<ExecuteFn> {
        self.activities.get(activity_type).copied().or(self.dynamic_activity)
    }

    /// Hands an activity attempt to the worker; false if it has stopped.
    pub(crate) fn dispatch(&self, task: ActivityTask) -> bool {
        self.tasks.send(task).is_ok()
    }
}

/// Builds a worker: register workflows and activities, then [`start`](Self::start).
///
/// ```no_run
/// # async fn demo(engine: workflow_runtime::Engine) {
/// let worker = engine.worker("signal-tq") /* .workflow::<MyWorkflow>().activity(my_activity) */ .start();
/// // ...
/// worker.shutdown();
/// # }
/// ```
pub struct WorkerBuilder {
    engine: Engine,
    task_queue: String,
    workflows: HashMap<&'static str, Factory>,
    dynamic_workflow: Option<Factory>,
    activities: HashMap<&'static str, ExecuteFn>,
    dynamic_activity: Option<ExecuteFn>,
}

impl WorkerBuilder {
    pub(crate) fn new(engine: Engine, task_queue: String) -> Self {
        WorkerBuilder {
            engine,
            task_queue,
            workflows: HashMap::new(),
            dynamic_workflow: None,
            activities: HashMap::new(),
            dynamic_activity: None,
        }
    }

    /// Registers workflow `W` (a `dynamic` one serves every unregistered type name).
    pub fn workflow<W: WorkflowDefinition>(mut self) -> Self {
        if W::DYNAMIC {
            self.dynamic_workflow = Some(new_instance::<W>);
        } else {
            self.workflows.insert(W::NAME, new_instance::<W>);
        }
        self
    }

    /// Registers an activity (a `dynamic` one serves every unregistered name).
    pub fn activity<A, O>(mut self, activity: Activity<A, O>) -> Self {
        if activity.is_dynamic() {
            self.dynamic_activity = Some(activity.executor());
        } else {
            self.activities.insert(activity.name(), activity.executor());
        }
        self
    }

    /// Starts polling the task queue. Activities run on the current tokio
    /// runtime; workflow code runs on the engine's own thread.
    ///
    /// # Panics
    /// When called outside a tokio runtime.
    pub fn start(self) -> Worker {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (tasks, mut inbox) = mpsc::unbounded_channel::<ActivityTask>();
        let results = self.engine.activity_sender();
        tokio::spawn(async move {
            while let Some(task) = inbox.recv().await {
                let results = results.clone();
                tokio::spawn(async move {
                    let attempt = task.info.attempt;
                    let name = task.info.activity_type.clone();
                    let run = (task.execute)(ActivityContext::new(task.info), task.args);
                    let result = AssertUnwindSafe(run).catch_unwind().await.unwrap_or_else(|_| {
                        Err(ApplicationError::new(format!("activity `{name}` panicked")).with_type("Panic"))
                    });
                    results.send(ActivityDone {
                        run_id: task.run_id,
                        seq: task.seq,
                        attempt,
                        result,
                    });
                });
            }
        });
        self.engine.register(Registration {
            id,
            task_queue: self.task_queue.clone(),
            workflows: self.workflows,
            dynamic_workflow: self.dynamic_workflow,
            activities: self.activities,
            dynamic_activity: self.dynamic_activity,
            tasks,
        });
        Worker {
            engine: self.engine,
            task_queue: self.task_queue,
            id,
        }
    }
}

/// A running worker. Dropping the handle leaves it running; call
/// [`shutdown`](Worker::shutdown) to stop it.
pub struct Worker {
    engine: Engine,
    task_queue: String,
    id: u64,
}

impl Worker {
    /// The task queue it serves.
    pub fn task_queue(&self) -> &str {
        &self.task_queue
    }

    /// Stops taking new tasks; activities already running finish and report.
    pub fn shutdown(self) {
        self.engine.unregister(self.task_queue, self.id);
    }
}
