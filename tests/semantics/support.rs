//! The engine matrix every semantic test runs on.

use std::time::Duration;

use workflow::{Client, Engine, EngineBuilder};

/// Which engine a test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Flavor {
    /// In-memory store, run cache on.
    Memory,
    /// SQLite file (WAL, full sync), run cache on.
    Sqlite,
    /// In-memory store with the run cache off: every activation replays history.
    Replay,
}

/// An engine, its client, and the directory holding its file.
pub struct Env {
    pub engine: Engine,
    pub client: Client,
    _dir: Option<tempfile::TempDir>,
}

impl Env {
    pub fn new(flavor: Flavor) -> Env {
        Env::with(flavor, Engine::builder().worker_wait(Duration::from_millis(500)))
    }

    pub fn with(flavor: Flavor, builder: EngineBuilder) -> Env {
        let (engine, dir) = match flavor {
            Flavor::Memory => (builder.in_memory().unwrap(), None),
            Flavor::Replay => (builder.cache_capacity(0).in_memory().unwrap(), None),
            Flavor::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                (builder.open(dir.path().join("wf.db")).unwrap(), Some(dir))
            }
        };
        let client = engine.client();
        Env {
            engine,
            client,
            _dir: dir,
        }
    }
}

/// Declares `async fn name(flavor: Flavor)` once and runs it on every flavor.
macro_rules! matrix {
    ($(#[$meta:meta])* async fn $name:ident($flavor:ident: Flavor) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($flavor: $crate::support::Flavor) $body

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
        }
    };
}
pub(crate) use matrix;
