//! The Temporal engine: workers poll a Temporal server through Temporal's
//! Core SDK and feed its activations to this crate's executor; clients call
//! the server's gRPC API. Payloads use Temporal's standard JSON converter, so
//! workers and clients of other SDKs interoperate.

mod activation;
mod backend;
mod convert;
mod history;
mod worker;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use temporalio_client::{Connection as GrpcConnection, ConnectionOptions};
use temporalio_sdk_core::{CoreRuntime, RuntimeOptions, Url};
use workflow_client::Client;

use crate::backend::{EngineBackend, RunningWorker};
use crate::registry::Offer;
use crate::setup_error::{EngineError, WorkerError};

use worker::start_worker;

/// Where and how to reach a Temporal server, for
/// [`Engine::connect`](crate::Engine::connect).
///
/// ```
/// use std::time::Duration;
/// use workflow_runtime::ConnectOptions;
///
/// let options = ConnectOptions {
///     namespace: "orders".to_owned(),
///     rpc_wait: Duration::from_secs(5),
///     ..ConnectOptions::new("localhost:7233")
/// };
/// assert_eq!(options.target, "localhost:7233");
/// ```
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// `host:port` of the server's frontend (or a full `http://` URL).
    pub target: String,
    /// The namespace (default `"default"`).
    pub namespace: String,
    /// How this process names itself to the server (default `pid@host`).
    pub identity: String,
    /// Runs each worker keeps in memory between activations (default 1,000).
    pub max_cached_workflows: usize,
    /// Outgoing signals one execution may have in flight before
    /// `signal` fails locally with a typed limit error (default 2,000, the
    /// server's own limit).
    pub max_pending_outgoing_signals: usize,
    /// How long a query or the acceptance of an update waits for a worker
    /// before failing with `ClientError::NoWorker` (default 10 s).
    pub rpc_wait: Duration,
}

impl ConnectOptions {
    /// Default options for the server at `target`.
    pub fn new(target: impl Into<String>) -> Self {
        ConnectOptions {
            target: target.into(),
            namespace: "default".to_owned(),
            identity: format!("{}@{}", std::process::id(), host_name()),
            max_cached_workflows: 1_000,
            max_pending_outgoing_signals: 2_000,
            rpc_wait: Duration::from_secs(10),
        }
    }
}

fn host_name() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// A connection to a Temporal server, shared by the engine's clients and workers.
pub(crate) struct Connection {
    options: ConnectOptions,
    grpc: GrpcConnection,
    runtime: CoreRuntime,
    workers: Mutex<Vec<Arc<temporalio_sdk_core::Worker>>>,
}

impl Connection {
    /// Connects to the server and checks that the namespace exists.
    pub(crate) async fn open(options: ConnectOptions) -> Result<Connection, EngineError> {
        let target = options.target.clone();
        let refused = |message: String| EngineError::Connect {
            target: target.clone(),
            message,
        };
        let url = if options.target.contains("://") {
            options.target.clone()
        } else {
            format!("http://{}", options.target)
        };
        let url = Url::parse(&url).map_err(|e| refused(format!("not an address: {e}")))?;
        let runtime_options = RuntimeOptions::builder()
            .heartbeat_interval(None)
            .build()
            .map_err(refused)?;
        let runtime = CoreRuntime::new_assume_tokio(runtime_options).map_err(|e| refused(e.to_string()))?;
        let grpc = GrpcConnection::connect(
            ConnectionOptions::new(url)
                .identity(options.identity.clone())
                .connect_timeout(options.rpc_wait)
                .build(),
        )
        .await
        .map_err(|e| refused(e.to_string()))?;
        let connection = Connection {
            options,
            grpc,
            runtime,
            workers: Mutex::new(Vec::new()),
        };
        connection
            .backend_impl()
            .check_namespace()
            .await
            .map_err(|e| refused(e.to_string()))?;
        Ok(connection)
    }

    fn backend_impl(&self) -> backend::TemporalBackend {
        backend::TemporalBackend::new(self.grpc.clone(), &self.options)
    }
}

impl EngineBackend for Connection {
    fn client(self: Arc<Self>) -> Client {
        Client::new(Arc::new(self.backend_impl()))
    }

    fn start_worker(
        self: Arc<Self>,
        task_queue: String,
        offer: Offer,
        runtime: &tokio::runtime::Handle,
    ) -> Result<Box<dyn RunningWorker>, WorkerError> {
        Ok(Box::new(start_worker(&self, task_queue, offer, runtime)?))
    }

    /// Shuts down the workers started from this connection.
    fn close(&self) {
        let workers = std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        for worker in workers {
            worker.initiate_shutdown();
        }
    }
}
