//! Running one activity in a test, with no engine: its context's attempt
//! and previous heartbeat are set by the test, its heartbeats are kept,
//! and the test can cancel it.

use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::watch;
use workflow_client::{ApplicationError, Payload, PayloadError, TaskToken};

use crate::activity::{run_attempt, Activities, Activity, Instance};
use crate::activity_context::{ActivityContext, ActivityInfo};

/// Runs an activity as a worker would, without an engine, so a test can
/// drive what its [`ActivityContext`] reports: the attempt number, the
/// heartbeat details of the previous attempt, and cancellation. Heartbeats
/// the activity sends are kept for the test to read.
///
/// ```
/// # use workflow_client::ApplicationError;
/// # use workflow_runtime::{Activity, ActivityContext, ActivityEnvironment};
/// // `#[workflow::activity] async fn copy(ctx: ActivityContext, files: u32) -> Result<u32, ApplicationError>`:
/// // copies `files` files, heartbeating how many are done.
/// # #[allow(non_upper_case_globals)]
/// # const copy: Activity<u32, u32> = Activity::__new("copy", false, |a| Ok(vec![workflow_client::Payload::encode(&a)?]), |p| p.decode(),
/// #     |ctx, args| Box::pin(async move {
/// #         let files: u32 = args[0].decode()?;
/// #         let start: u32 = ctx.heartbeat_details().unwrap_or(0);
/// #         for done in start..files { ctx.heartbeat(&(done + 1))?; }
/// #         Ok(workflow_client::Payload::encode(&(files - start))?)
/// #     }));
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The third attempt, resuming after 7 files.
/// let env = ActivityEnvironment::new().attempt(3).heartbeat_details(&7)?;
/// assert_eq!(env.run(copy, 10).await?, 3);
/// assert_eq!(env.heartbeats::<u32>(), [8, 9, 10]);
/// # Ok(()) }
/// ```
pub struct ActivityEnvironment {
    /// The attempt's info; its activity type is the activity run's name.
    info: ActivityInfo,
    /// What `heartbeat_details` returns: the previous attempt's last heartbeat.
    previous_heartbeat: Vec<Payload>,
    /// Every heartbeat the activity sent, in order.
    heartbeats: Arc<Mutex<Vec<Payload>>>,
    /// Set by [`cancel`](Self::cancel).
    cancel: watch::Sender<bool>,
}

impl Default for ActivityEnvironment {
    fn default() -> Self {
        ActivityEnvironment {
            info: ActivityInfo {
                activity_type: String::new(),
                attempt: 1,
                workflow_id: "test-workflow".to_owned(),
                run_id: "test-run".to_owned(),
                task_queue: "test".to_owned(),
                is_local: false,
                headers: Default::default(),
                current_attempt_scheduled_time: std::time::SystemTime::now(),
            },
            previous_heartbeat: Vec::new(),
            heartbeats: Arc::default(),
            cancel: watch::channel(false).0,
        }
    }
}

impl ActivityEnvironment {
    /// A first attempt, not canceled, called by workflow `test-workflow`.
    pub fn new() -> Self {
        ActivityEnvironment::default()
    }

    /// Runs as attempt `attempt` (from 1).
    pub fn attempt(mut self, attempt: u32) -> Self {
        self.info.attempt = attempt;
        self
    }

    /// Runs as a local activity (what `ctx.info().is_local` says).
    pub fn local(mut self, is_local: bool) -> Self {
        self.info.is_local = is_local;
        self
    }

    /// Runs as if the previous attempt's last heartbeat carried `details`.
    pub fn heartbeat_details<T: Serialize + ?Sized>(mut self, details: &T) -> Result<Self, PayloadError> {
        self.previous_heartbeat = vec![Payload::encode(details)?];
        Ok(self)
    }

    /// Requests cancellation: the running activity's `cancelled()` resolves
    /// and `is_cancelled()` turns true. Call it while [`run`](Self::run) is
    /// awaited (from `tokio::join!`, say), or before, to start canceled.
    pub fn cancel(&self) {
        self.cancel.send_replace(true);
    }

    /// The heartbeats the activity sent, decoded as `T` (those that do not
    /// decode are left out).
    pub fn heartbeats<T: DeserializeOwned>(&self) -> Vec<T> {
        let heartbeats = self.heartbeats.lock().unwrap_or_else(|e| e.into_inner());
        heartbeats.iter().filter_map(|p| p.decode().ok()).collect()
    }

    /// Runs `activity` on `args` to its end and returns its result, or the
    /// failure a worker would report (an error, a panic, arguments or a
    /// result that do not encode). A method of an `#[workflow::activities]`
    /// impl block fails here: run it with [`run_on`](Self::run_on).
    pub async fn run<A, O>(&self, activity: Activity<A, O>, args: A) -> Result<O, ApplicationError> {
        self.execute(None, activity, args).await
    }

    /// Runs `activity`, a method of the `#[workflow::activities]` impl block
    /// of `T`, on `instance`, as [`run`](Self::run) does.
    ///
    /// ```
    /// # use std::sync::atomic::{AtomicU64, Ordering};
    /// # use workflow_runtime::{Activities, Activity, ActivityEnvironment};
    /// // `#[workflow::activities] impl Counter { async fn next(&self) -> u64 { .. } }`
    /// pub struct Counter { count: AtomicU64 }
    /// # impl Counter {
    /// #     #[allow(non_upper_case_globals)]
    /// #     pub const next: Activity<(), u64> = Activity::__method("Counter", "next", false,
    /// #         |()| Ok(vec![]), |p| p.decode(), |instance, _ctx, _args| Box::pin(async move {
    /// #             let counter: &Counter = workflow_runtime::__activity_instance(instance)?;
    /// #             Ok(workflow_client::Payload::encode(&counter.count.fetch_add(1, Ordering::SeqCst))?)
    /// #         }));
    /// # }
    /// # impl Activities for Counter {
    /// #     fn __visit(visit: &mut impl workflow_runtime::VisitActivity) { visit.activity(Counter::next) }
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let counter = Counter { count: AtomicU64::new(41) };
    /// let env = ActivityEnvironment::new();
    /// assert_eq!(env.run_on(&counter, Counter::next, ()).await?, 41);
    /// assert_eq!(counter.count.load(Ordering::SeqCst), 42);
    /// # Ok(()) }
    /// ```
    pub async fn run_on<T: Activities, A, O>(
        &self,
        instance: &T,
        activity: Activity<A, O>,
        args: A,
    ) -> Result<O, ApplicationError> {
        self.execute(Some(instance), activity, args).await
    }

    /// One attempt of `activity`, a method on `instance`.
    async fn execute<A, O>(
        &self,
        instance: Option<&Instance>,
        activity: Activity<A, O>,
        args: A,
    ) -> Result<O, ApplicationError> {
        let args = activity.encode(args)?;
        let info = ActivityInfo {
            activity_type: activity.name().to_owned(),
            ..self.info.clone()
        };
        let heartbeats = self.heartbeats.clone();
        let heartbeat = Box::new(move |details: Vec<Payload>| {
            let mut heartbeats = heartbeats.lock().unwrap_or_else(|e| e.into_inner());
            heartbeats.extend(details);
        });
        let ctx = ActivityContext::with_engine(
            info,
            self.previous_heartbeat.clone(),
            self.cancel.subscribe(),
            Some(heartbeat),
            TaskToken::from_bytes(b"test".to_vec()),
        );
        let payload = run_attempt(ctx, |ctx| activity.start(instance, ctx, args)).await?;
        Ok(activity.decode(&payload)?)
    }
}
