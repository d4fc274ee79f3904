//! The options an embedded engine starts with.

use std::time::Duration;

use crate::limits::Limits;

/// How long closed runs are kept by default: 7 days, as a Temporal namespace.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What [`EngineBuilder`](crate::EngineBuilder) sets.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    /// Per-execution limits.
    pub(crate) limits: Limits,
    /// Run instances kept in memory between activations.
    pub(crate) cache_capacity: usize,
    /// How long queries and updates wait for a worker.
    pub(crate) worker_wait: Duration,
    /// How long closed runs are kept; `None` keeps them.
    pub(crate) retention: Option<Duration>,
    /// The store file's size cap.
    pub(crate) max_store_bytes: Option<u64>,
    /// Whether the clock skips ahead (a test environment).
    pub(crate) time_skipping: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            limits: Limits::default(),
            cache_capacity: 10_000,
            worker_wait: Duration::from_secs(10),
            retention: Some(DEFAULT_RETENTION),
            max_store_bytes: None,
            time_skipping: false,
        }
    }
}
