//! The Temporal engine: workers poll a Temporal server through Temporal's
//! Core SDK and feed its activations to this crate's executor; clients call
//! the server's gRPC API. Payloads use Temporal's standard JSON converter, so
//! workers and clients of other SDKs interoperate.

mod activation;
mod backend;
mod convert;
mod core_metrics;
mod history;
mod tls;
mod worker;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use temporalio_client::{Connection as GrpcConnection, ConnectionOptions};
use temporalio_common::telemetry::metrics::CoreMeter;
use temporalio_common::telemetry::TelemetryOptions;
use temporalio_sdk_core::{CoreRuntime, RuntimeOptions, Url};
use workflow_client::Client;

use crate::backend::{EngineBackend, RunningWorker};
use crate::registry::Offer;
use crate::setup_error::{EngineError, WorkerError};

use core_metrics::CoreMetrics;
use worker::start_worker;

pub use tls::{ClientIdentity, TlsConfig};

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
///
/// A secured cluster or Temporal Cloud takes TLS, and an API key or a
/// client certificate:
///
/// ```
/// use workflow_runtime::{ConnectOptions, TlsConfig};
///
/// let cloud = ConnectOptions::new("my-ns.a1b2c.tmprl.cloud:7233")
///     .namespace("my-ns.a1b2c")
///     .tls(TlsConfig::new())
///     .api_key(std::env::var("TEMPORAL_API_KEY").unwrap_or_default())
///     .header("x-team", "payments");
/// assert_eq!(format!("{:?}", cloud.api_key), "Some(ApiKey(<redacted>))");
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
    /// TLS towards the server (default none: a dev server speaks in clear).
    /// A target given as `https://…` uses TLS with the system's roots even
    /// when this is `None`.
    pub tls: Option<TlsConfig>,
    /// An API key, sent with every call as `authorization: Bearer <key>`
    /// (Temporal Cloud). It does not turn TLS on by itself.
    pub api_key: Option<ApiKey>,
    /// Extra gRPC headers sent with every call, clients' and workers'.
    pub headers: BTreeMap<String, String>,
}

/// An API key; its `Debug` form hides it, so options can be logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// The key itself.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl<S: Into<String>> From<S> for ApiKey {
    fn from(key: S) -> Self {
        ApiKey(key.into())
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(<redacted>)")
    }
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
            tls: None,
            api_key: None,
            headers: BTreeMap::new(),
        }
    }

    /// Uses `namespace` instead of `"default"`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Connects over TLS.
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Sends `key` as the API key with every call.
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(ApiKey(key.into()));
        self
    }

    /// Sends the gRPC header `name: value` with every call.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }

    /// The URL to dial and its TLS settings: `https` when TLS is set, and
    /// no TLS over a target that says `http://`.
    fn endpoint(&self) -> Result<(Url, Option<TlsConfig>), String> {
        let (url, tls) = match self.target.split_once("://") {
            None => {
                let scheme = if self.tls.is_some() { "https" } else { "http" };
                (format!("{scheme}://{}", self.target), self.tls.clone())
            }
            Some(("https", _)) => (self.target.clone(), Some(self.tls.clone().unwrap_or_default())),
            Some(("http", _)) if self.tls.is_some() => {
                return Err("TLS is set but the target says `http://`: give `https://` or no scheme".to_owned())
            }
            Some(_) => (self.target.clone(), self.tls.clone()),
        };
        let url = Url::parse(&url).map_err(|e| format!("not an address: {e}"))?;
        Ok((url, tls))
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
        // TLS failures are worded for whoever set the options.
        let (url, tls) = options.endpoint().map_err(refused)?;
        let failed = |message: String| {
            let explained = tls.as_ref().and_then(|tls| tls::explain(&message, tls));
            refused(explained.unwrap_or(message))
        };
        let core_metrics: Arc<dyn CoreMeter> = Arc::new(CoreMetrics::new());
        let runtime_options = RuntimeOptions::builder()
            .telemetry_options(TelemetryOptions::builder().metrics(core_metrics).build())
            .heartbeat_interval(None)
            .build()
            .map_err(refused)?;
        let runtime = CoreRuntime::new_assume_tokio(runtime_options).map_err(|e| refused(e.to_string()))?;
        let headers: HashMap<String, String> = options.headers.clone().into_iter().collect();
        let grpc = GrpcConnection::connect(
            ConnectionOptions::new(url)
                .identity(options.identity.clone())
                .connect_timeout(options.rpc_wait)
                .maybe_tls_options(tls.as_ref().map(TlsConfig::to_options))
                .maybe_api_key(options.api_key.as_ref().map(|key| key.secret().to_owned()))
                .headers(headers)
                .build(),
        )
        .await
        .map_err(|e| failed(e.to_string()))?;
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
            .map_err(|e| failed(e.to_string()))?;
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
