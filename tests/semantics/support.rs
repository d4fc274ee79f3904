//! The engine matrix every semantic test runs on.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use workflow::codec::AesGcmCodec;
use workflow::{Client, Engine, EngineBuilder};

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Flavor {
    /// In-memory store, run cache on.
    Memory,
    /// SQLite file (WAL, full sync), run cache on.
    Sqlite,
    /// SQLite file behind an encrypting payload codec: every payload a
    /// test's calls and workflows exchange crosses it.
    Encoded,
    /// In-memory store with the run cache off: every activation replays history.
    Replay,
    /// A Temporal server (feature `temporal`, address in `WORKFLOW_TEMPORAL_ADDRESS`).
    #[cfg_attr(not(feature = "temporal"), allow(dead_code))]
    Temporal,
}

/// The variable that holds the address of the Temporal server the tests use.
pub const TEMPORAL_ADDRESS: &str = "WORKFLOW_TEMPORAL_ADDRESS";

/// The server's address, or `None` (with the reason printed) when the tests
/// that need one are skipped.
pub fn temporal_address() -> Option<String> {
    let address = std::env::var(TEMPORAL_ADDRESS).ok().filter(|a| !a.is_empty());
    if address.is_none() {
        eprintln!("skipped: {TEMPORAL_ADDRESS} is unset, so no Temporal server to test against (.ci/run starts one)");
    }
    address
}

/// An engine, its client, and the directory holding its file.
pub struct Env {
    pub engine: Engine,
    pub client: Client,
    /// Makes workflow ids and task queues unique to this test, so tests can
    /// share one Temporal server and run again against it.
    suffix: String,
    dir: Option<tempfile::TempDir>,
}

impl Env {
    pub async fn new(flavor: Flavor) -> Env {
        Env::with(flavor, Engine::builder().worker_wait(Duration::from_millis(500))).await
    }

    /// `builder` configures the embedded engines; the Temporal server has its own settings.
    pub async fn with(flavor: Flavor, builder: EngineBuilder) -> Env {
        let (engine, dir) = match flavor {
            Flavor::Memory => (builder.in_memory().unwrap(), None),
            Flavor::Replay => (builder.cache_capacity(0).in_memory().unwrap(), None),
            Flavor::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                (builder.open(dir.path().join("wf.db")).unwrap(), Some(dir))
            }
            Flavor::Encoded => {
                let dir = tempfile::tempdir().unwrap();
                let engine = builder.open(dir.path().join("wf.db")).unwrap();
                (engine.with_codec(AesGcmCodec::new("test-key", [9; 32])), Some(dir))
            }
            Flavor::Temporal => (connect().await, None),
        };
        let client = engine.client();
        let suffix = workflow::crates::client::id::unique_id()[..8].to_owned();
        Env {
            engine,
            client,
            suffix,
            dir,
        }
    }

    /// A workflow id unique to this test.
    pub fn id(&self, base: &str) -> String {
        format!("{base}-{}", self.suffix)
    }

    /// The engine's file, on the SQLite flavor.
    pub fn path(&self) -> Option<std::path::PathBuf> {
        self.dir.as_ref().map(|d| d.path().join("wf.db"))
    }

    /// A task queue unique to this test.
    pub fn tq(&self, base: &str) -> String {
        self.id(base)
    }
}

/// What the activities of each workflow id saw. Tests run in parallel, so
/// each reads only its own workflow's entry.
pub struct Probes<T>(Mutex<Option<HashMap<String, T>>>);

#[allow(dead_code)]
impl<T: Clone + Default> Probes<T> {
    pub const fn new() -> Self {
        Probes(Mutex::new(None))
    }

    /// What the activities of `workflow_id` saw so far.
    pub fn of(&self, workflow_id: &str) -> T {
        let probes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        probes
            .as_ref()
            .and_then(|p| p.get(workflow_id).cloned())
            .unwrap_or_default()
    }

    /// Changes what the calling workflow's activities saw.
    pub fn record(&self, ctx: &workflow::ActivityContext, change: impl FnOnce(&mut T)) {
        let mut probes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        change(
            probes
                .get_or_insert_with(HashMap::new)
                .entry(ctx.info().workflow_id.clone())
                .or_default(),
        );
    }
}

/// Waits until `done` holds (20 s at most).
#[allow(dead_code)]
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting until {what}");
}

/// The run's workflow-task failure, once `describe` reports one (3 s at most).
pub async fn task_failure(handle: &workflow::WorkflowHandle<impl workflow::WorkflowType>) -> String {
    for _ in 0..300 {
        if let Some(failure) = handle.describe().await.unwrap().task_failure {
            return failure;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no task failure was reported");
}

#[cfg(feature = "temporal")]
async fn connect() -> Engine {
    let address = std::env::var(TEMPORAL_ADDRESS).expect("checked by the matrix");
    let options = workflow::ConnectOptions {
        rpc_wait: Duration::from_secs(3),
        ..workflow::ConnectOptions::new(address)
    };
    Engine::connect(options).await.unwrap()
}

#[cfg(not(feature = "temporal"))]
async fn connect() -> Engine {
    unreachable!("the Temporal flavor runs only with the `temporal` feature")
}

/// Declares `async fn name(flavor: Flavor)` once and runs it on every engine:
/// the three embedded flavors and, with the `temporal` feature, a Temporal
/// server. `matrix!(embedded: ...)` runs only the embedded flavors, for
/// what only they have (configurable limits, the run cache).
macro_rules! matrix {
    (embedded: $(#[$meta:meta])* async fn $name:ident($flavor:ident: Flavor) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($flavor: $crate::support::Flavor) $body

            $crate::support::matrix!(@embedded);
        }
    };
    ($(#[$meta:meta])* async fn $name:ident($flavor:ident: Flavor) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($flavor: $crate::support::Flavor) $body

            $crate::support::matrix!(@embedded);

            #[cfg(feature = "temporal")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn temporal() {
                if $crate::support::temporal_address().is_some() {
                    body($crate::support::Flavor::Temporal).await
                }
            }
        }
    };
    (@embedded) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn memory() {
            body($crate::support::Flavor::Memory).await
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn sqlite() {
            body($crate::support::Flavor::Sqlite).await
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn replay() {
            body($crate::support::Flavor::Replay).await
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn encoded() {
            body($crate::support::Flavor::Encoded).await
        }
    };
}
pub(crate) use matrix;
