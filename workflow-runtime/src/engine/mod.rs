//! The embedded engine: history in SQLite (a file or in memory), one engine
//! thread that runs workflow tasks, timers and activity dispatch, and a
//! [`Backend`] for the typed client.

mod agenda;
mod attached;
mod core;
mod inbox;
mod memo;
mod runs;
mod store;

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::oneshot;
use workflow_client::{
    Backend, BoxFuture, Client, ClientError, Description, Execution, Failure, History, Payload, StartRequest,
    UpdateRequest, UpdateStatus,
};

use crate::worker::{ActivityDone, Registration, WorkerBuilder};

pub use attached::{ListFilter, RunSummary, StoreFile};
pub(crate) use store::ActivityKey;

/// Per-execution limits; the defaults are Temporal's.
///
/// Past a limit the call fails with a typed error naming it
/// (`ClientError::LimitExceeded` for clients, [`WorkflowError::LimitExceeded`](crate::WorkflowError::LimitExceeded)
/// inside a workflow), and nothing already accepted is lost. A Temporal
/// server enforces its own limits instead.
///
/// ```
/// # use workflow_runtime::{Engine, Limits};
/// let limits = Limits {
///     max_received_signals: 50_000,
///     continue_as_new_history_events: 10_000,
///     ..Limits::default()
/// };
/// let engine = Engine::builder().limits(limits).in_memory()?;
/// # Ok::<(), workflow_runtime::EngineError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Signals one execution may receive (default 10,000).
    pub max_received_signals: usize,
    /// Outgoing signals one execution may have in flight (default 2,000).
    pub max_pending_outgoing_signals: usize,
    /// Largest payload accepted from a client, in bytes (default 2 MiB).
    pub max_payload_bytes: usize,
    /// History length at which `continue_as_new_suggested()` turns true
    /// (default 4,096 events; it also turns true at 80% of the signal limit).
    pub continue_as_new_history_events: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_received_signals: 10_000,
            max_pending_outgoing_signals: 2_000,
            max_payload_bytes: 2 * 1024 * 1024,
            continue_as_new_history_events: 4_096,
        }
    }
}

/// Options of an embedded engine.
///
/// ```
/// # use workflow_runtime::{EngineBuilder, Limits};
/// let engine = EngineBuilder::new()
///     .limits(Limits { max_received_signals: 100, ..Limits::default() })
///     .cache_capacity(0) // replay every activation from history
///     .in_memory()
///     .unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct EngineBuilder {
    limits: Limits,
    cache_capacity: usize,
    worker_wait: Duration,
    retention: Option<Duration>,
    max_store_bytes: Option<u64>,
    time_skipping: bool,
}

/// How long closed runs are kept by default: 7 days, as a Temporal namespace.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            limits: Limits::default(),
            cache_capacity: 10_000,
            worker_wait: Duration::from_secs(10),
            retention: Some(DEFAULT_RETENTION),
            max_store_bytes: None,
            time_skipping: false,
        }
    }
}

impl EngineBuilder {
    /// Default options.
    pub fn new() -> Self {
        EngineBuilder::default()
    }

    /// Sets the per-execution limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// How many runs stay in memory between activations (default 10,000). An
    /// evicted run is rebuilt by replaying its history; 0 replays every time.
    pub fn cache_capacity(mut self, runs: usize) -> Self {
        self.cache_capacity = runs;
        self
    }

    /// How long a query or update waits for a worker of the workflow's task
    /// queue before failing with [`ClientError::NoWorker`] (default 10 s).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_client::{ClientError, StartOptions};
    /// # use workflow_runtime::EngineBuilder;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let engine = EngineBuilder::new().worker_wait(Duration::from_millis(50)).in_memory()?;
    /// let client = engine.client();
    /// let options = StartOptions::new("report-1").task_queue("reports");
    /// let handle = client.start_workflow_by_name("Report", (), options).await?;
    ///
    /// // No worker polls `reports`, so nothing can answer.
    /// let err = handle.query_by_name::<u32>("progress", ()).await.unwrap_err();
    /// assert!(matches!(err, ClientError::NoWorker { .. }));
    /// # Ok(()) }
    /// ```
    pub fn worker_wait(mut self, wait: Duration) -> Self {
        self.worker_wait = wait;
        self
    }

    /// How long closed runs (and their histories) are kept after they close
    /// (default [`DEFAULT_RETENTION`], 7 days, as a Temporal namespace);
    /// `None` keeps them forever. Older runs are deleted a small batch at a
    /// time while the engine runs; a deleted run is
    /// [`NotFound`](ClientError::NotFound).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_runtime::EngineBuilder;
    /// let keep_a_day = EngineBuilder::new().retention(Some(Duration::from_secs(24 * 3600)));
    /// let keep_all = EngineBuilder::new().retention(None);
    /// # let _ = (keep_a_day, keep_all);
    /// ```
    pub fn retention(mut self, retention: Option<Duration>) -> Self {
        self.retention = retention;
        self
    }

    /// Caps the size of the store's file (default: none, only the disk
    /// limits it). A call whose commit would grow the file past the cap
    /// fails with [`ClientError::Storage`] ("database or disk is full"), as
    /// on a full disk; nothing acknowledged before is lost, and calls
    /// succeed again once space is freed (closed runs pruned). A file
    /// already larger keeps its size as its cap.
    ///
    /// ```
    /// # use workflow_runtime::EngineBuilder;
    /// let capped = EngineBuilder::new().max_store_bytes(512 * 1024 * 1024);
    /// # let _ = capped;
    /// ```
    pub fn max_store_bytes(mut self, bytes: u64) -> Self {
        self.max_store_bytes = Some(bytes);
        self
    }

    /// A clock that skips ahead instead of waiting (see [`TestEnvironment`](crate::TestEnvironment)).
    pub(crate) fn time_skipping(mut self) -> Self {
        self.time_skipping = true;
        self
    }

    /// Opens (or creates) an engine whose history lives in the SQLite file at `path`.
    pub fn open(self, path: impl AsRef<Path>) -> Result<Engine, EngineError> {
        self.start(Some(path.as_ref().to_path_buf()))
    }

    /// An engine whose history lives in memory and is gone when it stops.
    pub fn in_memory(self) -> Result<Engine, EngineError> {
        self.start(None)
    }

    fn start(self, path: Option<PathBuf>) -> Result<Engine, EngineError> {
        let (tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let store_path = path.clone();
        let memo = Arc::new(memo::QueryMemo::default());
        let engine_memo = memo.clone();
        // Run instances are not `Send`: the engine state is built on its own thread.
        let thread = std::thread::Builder::new()
            .name("workflow-engine".to_owned())
            .spawn(move || {
                let loaded = store::Store::open(store_path.as_deref(), self.max_store_bytes).and_then(|store| {
                    let clock = core::Clock::new(self.time_skipping);
                    let config = core::Config {
                        limits: self.limits,
                        cache_capacity: self.cache_capacity,
                        worker_wait: self.worker_wait,
                        // A skipping clock would race through retention sweeps.
                        retention: self.retention.filter(|_| !self.time_skipping),
                    };
                    core::EngineCore::load(store, config, engine_memo, clock)
                });
                match loaded {
                    Ok(core) => {
                        let (runs, timers, activities) = core.loaded();
                        let path = store_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                        tracing::info!(path, runs, timers, activities, "opened the workflow store");
                        let _ = ready_tx.send(Ok(()));
                        core.run(rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                }
            })
            .map_err(|e| EngineError::Open {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let ready = ready_rx
            .recv()
            .unwrap_or_else(|_| Err("the engine thread stopped while starting".to_owned()));
        if let Err(message) = ready {
            let _ = thread.join();
            return Err(EngineError::Open { path, message });
        }
        Ok(Engine {
            kind: EngineKind::Embedded(Arc::new(Shared {
                tx,
                thread: Mutex::new(Some(thread)),
                memo,
                spin: if path.is_none() {
                    Duration::from_micros(50)
                } else {
                    Duration::ZERO
                },
            })),
        })
    }
}

/// The engine could not start.
///
/// ```
/// # use workflow_runtime::{Engine, EngineError};
/// let err = Engine::open("/no/such/directory/app.db").err().expect("no such directory");
/// assert!(matches!(err, EngineError::Open { path: Some(_), .. }));
/// assert!(err.to_string().starts_with("cannot open the workflow store at /no/such/directory/app.db"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The store could not be opened or read.
    #[error("cannot open the workflow store{}: {message}", path.as_ref().map(|p| format!(" at {}", p.display())).unwrap_or_default())]
    Open {
        /// The file, unless in memory.
        path: Option<PathBuf>,
        /// What failed.
        message: String,
    },
    /// The Temporal server could not be reached.
    #[error("cannot connect to Temporal at `{target}`: {message}")]
    Connect {
        /// The address tried.
        target: String,
        /// What failed.
        message: String,
    },
}

/// An engine: the embedded one ([`open`](Engine::open),
/// [`in_memory`](Engine::in_memory)) or, with the `temporal` feature, a
/// Temporal server (`Engine::connect`). Workers and clients are the same on
/// both. Cheap to clone; an embedded engine stops when the last clone, client
/// and worker are dropped, or at [`close`](Engine::close).
///
/// ```
/// # use workflow_runtime::Engine;
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let engine = Engine::in_memory()?; // or Engine::open("app.db")?
/// let worker = engine
///     .worker("greetings")
///     // .workflow::<GreetingWorkflow>().activity(greet)
///     .start()?;
/// let client = engine.client();
/// // Start workflows and talk to them through `client`.
/// worker.shutdown();
/// # let _ = client; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Engine {
    kind: EngineKind,
}

/// Which engine an [`Engine`] is.
#[derive(Clone)]
pub(crate) enum EngineKind {
    Embedded(Arc<Shared>),
    #[cfg(feature = "temporal")]
    Temporal(Arc<crate::temporal::Connection>),
}

pub(crate) struct Shared {
    tx: Sender<core::Msg>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Query answers clients may reuse without asking the engine thread.
    memo: Arc<memo::QueryMemo>,
    /// How long a client polls for a reply before sleeping: only in memory,
    /// where no sync stands between a call and its reply.
    spin: Duration,
}

impl Shared {
    fn close(&self) {
        let _ = self.tx.send(core::Msg::Close);
        self.memo.clear();
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.close();
    }
}

impl Engine {
    /// Opens (or creates) an engine on the SQLite file at `path`, with default options.
    ///
    /// Every acknowledged call is committed before it returns, so what one
    /// engine accepted, the next engine on the same file carries on. One
    /// engine owns a file at a time.
    ///
    /// ```
    /// # use workflow_client::{StartOptions, WorkflowStatus};
    /// # use workflow_runtime::Engine;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("app.db");
    /// let engine = Engine::open(&path)?;
    /// let options = StartOptions::new("report-1").task_queue("reports");
    /// engine.client().start_workflow_by_name("Report", (), options).await?;
    /// engine.close();
    ///
    /// let engine = Engine::open(&path)?;
    /// let report = engine.client().get_workflow_handle("report-1").describe().await?;
    /// assert_eq!(report.status, WorkflowStatus::Running);
    /// # Ok(()) }
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Engine, EngineError> {
        EngineBuilder::new().open(path)
    }

    /// An in-memory engine with default options.
    pub fn in_memory() -> Result<Engine, EngineError> {
        EngineBuilder::new().in_memory()
    }

    /// Options for a new engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// Connects to a Temporal server: workers poll its task queues and
    /// clients call its API.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), workflow_runtime::EngineError> {
    /// use workflow_runtime::{ConnectOptions, Engine};
    /// let engine = Engine::connect(ConnectOptions::new("localhost:7233")).await?;
    /// # let _ = engine; Ok(()) }
    /// ```
    #[cfg(feature = "temporal")]
    pub async fn connect(options: crate::temporal::ConnectOptions) -> Result<Engine, EngineError> {
        Ok(Engine {
            kind: EngineKind::Temporal(Arc::new(crate::temporal::Connection::open(options).await?)),
        })
    }

    /// The embedded engine's shared state, unless this is a Temporal engine.
    pub(crate) fn embedded(&self) -> Option<&Arc<Shared>> {
        match &self.kind {
            EngineKind::Embedded(shared) => Some(shared),
            #[cfg(feature = "temporal")]
            EngineKind::Temporal(_) => None,
        }
    }

    pub(crate) fn kind(&self) -> &EngineKind {
        &self.kind
    }

    /// A typed client of this engine.
    pub fn client(&self) -> Client {
        match &self.kind {
            EngineKind::Embedded(shared) => Client::new(Arc::new(EmbeddedBackend { shared: shared.clone() })),
            #[cfg(feature = "temporal")]
            EngineKind::Temporal(connection) => Client::new(connection.backend()),
        }
    }

    /// Starts building a worker for `task_queue`.
    pub fn worker(&self, task_queue: impl Into<String>) -> WorkerBuilder {
        WorkerBuilder::new(self.clone(), task_queue.into())
    }

    /// Stops the embedded engine's thread after the requests already sent;
    /// everything acknowledged is on disk. Later calls fail with
    /// [`ClientError::EngineClosed`].
    ///
    /// On Temporal, this shuts down the workers started from this engine.
    ///
    /// ```
    /// # use workflow_client::ClientError;
    /// # use workflow_runtime::Engine;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let engine = Engine::in_memory()?;
    /// let client = engine.client();
    /// engine.close();
    /// let err = client.get_workflow_handle("report-1").describe().await.unwrap_err();
    /// assert_eq!(err, ClientError::EngineClosed);
    /// # Ok(()) }
    /// ```
    pub fn close(&self) {
        match &self.kind {
            EngineKind::Embedded(shared) => shared.close(),
            #[cfg(feature = "temporal")]
            EngineKind::Temporal(connection) => connection.close(),
        }
    }
}

impl Shared {
    pub(crate) fn register(&self, registration: Registration) {
        let _ = self.tx.send(core::Msg::Register(Arc::new(registration)));
    }

    pub(crate) fn unregister(&self, task_queue: String, worker_id: u64) {
        let _ = self.tx.send(core::Msg::Unregister { task_queue, worker_id });
    }

    /// Moves a time-skipping engine's clock forward by `by`; resolves with
    /// the new time, or fails if the engine stopped or does not skip time.
    pub(crate) fn advance(&self, by: Duration) -> oneshot::Receiver<u64> {
        let (tx, rx) = oneshot::channel();
        let _ = self.tx.send(core::Msg::Advance(by, tx));
        rx
    }

    pub(crate) fn activity_sender(&self) -> ActivitySender {
        ActivitySender(self.tx.clone())
    }
}

/// Where workers report finished activity attempts.
#[derive(Clone)]
pub(crate) struct ActivitySender(Sender<core::Msg>);

impl ActivitySender {
    pub(crate) fn send(&self, done: ActivityDone) {
        let _ = self.0.send(core::Msg::ActivityDone(done));
    }
}

struct EmbeddedBackend {
    shared: Arc<Shared>,
}

/// Tries `attempt` until it gives an answer (`Break`) or `budget` has
/// passed: a short busy wait that is cheaper than putting a thread to sleep
/// and waking it when the answer is microseconds away.
pub(crate) fn spin<T>(budget: Duration, mut attempt: impl FnMut() -> ControlFlow<Option<T>>) -> Option<T> {
    let started = std::time::Instant::now();
    loop {
        match attempt() {
            ControlFlow::Break(answer) => return answer,
            ControlFlow::Continue(()) if started.elapsed() < budget => std::hint::spin_loop(),
            ControlFlow::Continue(()) => return None,
        }
    }
}

impl EmbeddedBackend {
    fn call<T: Send + 'static>(
        &self,
        request: core::Request,
        extract: fn(core::Reply) -> Option<T>,
    ) -> BoxFuture<Result<T, ClientError>> {
        let (tx, mut rx) = oneshot::channel();
        let sent = self.shared.tx.send(core::Msg::Call(request, tx));
        let spin_budget = self.shared.spin;
        Box::pin(async move {
            sent.map_err(|_| ClientError::EngineClosed)?;
            // An in-memory engine answers within microseconds, sooner than a
            // sleeping task can be woken.
            let early = spin(spin_budget, || match rx.try_recv() {
                Ok(reply) => ControlFlow::Break(Some(reply)),
                Err(oneshot::error::TryRecvError::Empty) => ControlFlow::Continue(()),
                Err(oneshot::error::TryRecvError::Closed) => ControlFlow::Break(None),
            });
            let reply = match early {
                Some(reply) => reply,
                None => rx.await.map_err(|_| ClientError::EngineClosed)?,
            }?;
            extract(reply).ok_or_else(|| ClientError::Storage("engine answered with an unexpected reply".to_owned()))
        })
    }
}

impl Backend for EmbeddedBackend {
    fn start(&self, request: StartRequest) -> BoxFuture<Result<String, ClientError>> {
        self.call(core::Request::Start(request), |r| match r {
            core::Reply::RunId(id) => Some(id),
            _ => None,
        })
    }

    fn signal(&self, target: Execution, name: String, args: Vec<Payload>) -> BoxFuture<Result<(), ClientError>> {
        self.call(core::Request::Signal(target, name, args), unit)
    }

    fn query(&self, target: Execution, name: String, args: Vec<Payload>) -> BoxFuture<Result<Payload, ClientError>> {
        if let Some(answer) = self.shared.memo.get(&target, &name, &args) {
            return Box::pin(std::future::ready(Ok(answer)));
        }
        self.call(core::Request::Query(target, name, args), payload)
    }

    fn update(&self, target: Execution, request: UpdateRequest) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        self.call(core::Request::Update(target, request), |r| match r {
            core::Reply::Update(status) => Some(status),
            _ => None,
        })
    }

    fn update_result(
        &self,
        target: Execution,
        update_id: String,
    ) -> BoxFuture<Result<Result<Payload, Failure>, ClientError>> {
        self.call(core::Request::UpdateResult(target, update_id), |r| match r {
            core::Reply::Update(UpdateStatus::Completed(outcome)) => Some(outcome),
            _ => None,
        })
    }

    fn result(&self, target: Execution) -> BoxFuture<Result<Payload, ClientError>> {
        self.call(core::Request::Result(target), payload)
    }

    fn cancel(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.call(core::Request::Cancel(target, reason), unit)
    }

    fn terminate(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.call(core::Request::Terminate(target, reason), unit)
    }

    fn describe(&self, target: Execution) -> BoxFuture<Result<Description, ClientError>> {
        self.call(core::Request::Describe(target), |r| match r {
            core::Reply::Description(d) => Some(*d),
            _ => None,
        })
    }

    fn history(&self, target: Execution) -> BoxFuture<Result<History, ClientError>> {
        self.call(core::Request::History(target), |r| match r {
            core::Reply::History(h) => Some(h),
            _ => None,
        })
    }
}

fn unit(reply: core::Reply) -> Option<()> {
    matches!(reply, core::Reply::Unit).then_some(())
}

fn payload(reply: core::Reply) -> Option<Payload> {
    match reply {
        core::Reply::Payload(p) => Some(p),
        _ => None,
    }
}
