//! A test environment whose clock skips ahead, so workflows that wait for
//! days finish in milliseconds.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use workflow_client::Client;

use crate::embedded::Embedded;
use crate::engine::{Engine, EngineBuilder};
use crate::setup_error::EngineError;
use crate::worker::WorkerBuilder;

/// An in-memory engine for tests whose clock jumps to the next timer
/// whenever every run is waiting on time and the test awaits a result (a
/// workflow's `result()`, or an update's), the way Temporal's time-skipping
/// test server does. [`sleep`](Self::sleep) moves the clock by hand. Mock
/// activities with [`WorkerBuilder::mock_activity`].
///
/// Time does not skip while the test is between calls, so a signal it sends
/// right after starting a workflow is never overtaken by a timeout.
///
/// ```
/// use std::time::Duration;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let env = workflow_runtime::TestEnvironment::new()?;
/// let before = env.now().await;
/// let month = Duration::from_secs(30 * 24 * 3600);
/// env.sleep(month).await; // at once
/// assert!(env.now().await.duration_since(before)? >= month);
/// # Ok(()) }
/// ```
///
/// The facade's guide shows a whole workflow under test (its "Testing" chapter).
pub struct TestEnvironment {
    engine: Engine,
    /// The same engine, for its clock.
    embedded: Arc<Embedded>,
}

impl TestEnvironment {
    /// A fresh in-memory environment, its clock at the system time.
    pub fn new() -> Result<TestEnvironment, EngineError> {
        TestEnvironment::with_builder(EngineBuilder::new())
    }

    /// An environment with the engine options of `builder` (limits, cache),
    /// in memory and with a skipping clock.
    pub fn with_builder(builder: EngineBuilder) -> Result<TestEnvironment, EngineError> {
        let embedded = builder.time_skipping().in_memory_embedded()?;
        Ok(TestEnvironment {
            engine: Engine::on(embedded.clone()),
            embedded,
        })
    }

    /// The engine, for what the environment does not wrap.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// A client of the environment's engine.
    pub fn client(&self) -> Client {
        self.engine.client()
    }

    /// Starts building a worker for `task_queue`.
    pub fn worker(&self, task_queue: impl Into<String>) -> WorkerBuilder {
        self.engine.worker(task_queue)
    }

    /// Moves the clock forward by `duration`, firing every timer and timeout
    /// that falls due on the way, each at its own time; returns once the
    /// workflow tasks they cause have run.
    pub async fn sleep(&self, duration: Duration) {
        self.advance(duration).await;
    }

    /// The environment's current time, as workflows see it.
    pub async fn now(&self) -> SystemTime {
        self.advance(Duration::ZERO).await
    }

    async fn advance(&self, duration: Duration) -> SystemTime {
        // A stopped engine has no time left to move.
        let ms = self.embedded.advance(duration).await.unwrap_or(0);
        UNIX_EPOCH + Duration::from_millis(ms)
    }
}
