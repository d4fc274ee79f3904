//! The engine users hold: the embedded engine or a Temporal server, chosen
//! once, behind one interface.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use workflow_client::codec::PayloadCodec;
use workflow_client::Client;

use crate::backend::EngineBackend;
use crate::codec::client_behind;
use crate::embedded::{Config, Embedded};
use crate::limits::Limits;
use crate::setup_error::EngineError;

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
#[derive(Clone, Debug, Default)]
pub struct EngineBuilder {
    config: Config,
}

impl EngineBuilder {
    /// Default options.
    pub fn new() -> Self {
        EngineBuilder::default()
    }

    /// Sets the per-execution limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// How many runs stay in memory between activations (default 10,000). An
    /// evicted run is rebuilt by replaying its history; 0 replays every time.
    pub fn cache_capacity(mut self, runs: usize) -> Self {
        self.config.cache_capacity = runs;
        self
    }

    /// How long a query or update waits for a worker of the workflow's task
    /// queue before failing with [`ClientError::NoWorker`](workflow_client::ClientError::NoWorker) (default 10 s).
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
        self.config.worker_wait = wait;
        self
    }

    /// How long closed runs (and their histories) are kept after they close
    /// (default [`DEFAULT_RETENTION`](crate::DEFAULT_RETENTION), 7 days, as a Temporal namespace);
    /// `None` keeps them forever. Older runs are deleted a small batch at a
    /// time while the engine runs; a deleted run is
    /// [`NotFound`](workflow_client::ClientError::NotFound).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use workflow_runtime::EngineBuilder;
    /// let keep_a_day = EngineBuilder::new().retention(Some(Duration::from_secs(24 * 3600)));
    /// let keep_all = EngineBuilder::new().retention(None);
    /// # let _ = (keep_a_day, keep_all);
    /// ```
    pub fn retention(mut self, retention: Option<Duration>) -> Self {
        self.config.retention = retention;
        self
    }

    /// Caps the size of the store's file (default: none, only the disk
    /// limits it). A call whose commit would grow the file past the cap
    /// fails with [`ClientError::Storage`](workflow_client::ClientError::Storage) ("database or disk is full"), as
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
        self.config.max_store_bytes = Some(bytes);
        self
    }

    /// A clock that skips ahead instead of waiting (see [`TestEnvironment`](crate::TestEnvironment)).
    pub(crate) fn time_skipping(mut self) -> Self {
        self.config.time_skipping = true;
        self
    }

    /// Opens (or creates) an engine whose history lives in the SQLite file at `path`.
    pub fn open(self, path: impl AsRef<Path>) -> Result<Engine, EngineError> {
        let embedded = Embedded::start(self.config, Some(path.as_ref().to_path_buf()))?;
        Ok(Engine::on(embedded))
    }

    /// An engine whose history lives in memory and is gone when it stops.
    pub fn in_memory(self) -> Result<Engine, EngineError> {
        Ok(Engine::on(self.in_memory_embedded()?))
    }

    /// The embedded engine `in_memory` wraps, for what only it can do
    /// (a test environment's clock).
    pub(crate) fn in_memory_embedded(self) -> Result<Arc<Embedded>, EngineError> {
        Embedded::start(self.config, None)
    }
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
    backend: Arc<dyn EngineBackend>,
    /// Applied to every payload this engine's clients and workers exchange.
    codec: Option<Arc<dyn PayloadCodec>>,
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
        let connection = crate::temporal::Connection::open(options).await?;
        Ok(Engine::on(Arc::new(connection)))
    }

    /// An engine on `backend`.
    pub(crate) fn on(backend: Arc<dyn EngineBackend>) -> Engine {
        Engine { backend, codec: None }
    }

    /// This engine with `codec` applied at its boundary: its clients encode
    /// the arguments they send and decode what they read back, its workers
    /// decode what their runs and activities take in and encode what they
    /// give out. So the SQLite file, or a Temporal server, holds only the
    /// codec's output (search attributes, memo, failure messages and
    /// heartbeat details stay as they are). Every engine and process on
    /// the same file or namespace needs the same codec.
    ///
    /// ```
    /// # use workflow_client::codec::AesGcmCodec;
    /// # use workflow_runtime::Engine;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let dir = tempfile::tempdir()?;
    /// # let path = dir.path().join("orders.db");
    /// let key = [7u8; 32]; // from a secret store
    /// let engine = Engine::open(&path)?.with_codec(AesGcmCodec::new("orders-2026", key));
    /// # Ok(()) }
    /// ```
    pub fn with_codec(mut self, codec: impl PayloadCodec) -> Engine {
        self.codec = Some(Arc::new(codec));
        self
    }

    /// The codec this engine applies, if any.
    pub(crate) fn codec(&self) -> Option<Arc<dyn PayloadCodec>> {
        self.codec.clone()
    }

    /// What it runs on.
    pub(crate) fn backend(&self) -> Arc<dyn EngineBackend> {
        self.backend.clone()
    }

    /// A typed client of this engine.
    pub fn client(&self) -> Client {
        client_behind(self.backend.clone().client(), self.codec.as_ref())
    }

    /// Stops the embedded engine's thread after the requests already sent;
    /// everything acknowledged is on disk. Later calls fail with
    /// [`ClientError::EngineClosed`](workflow_client::ClientError::EngineClosed).
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
        self.backend.close();
    }
}
