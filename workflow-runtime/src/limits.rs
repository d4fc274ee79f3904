//! Per-execution limits, enforced by the embedded engine and counted by the
//! executor on both engines.

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
    /// Updates one execution may have in flight, sent and not yet
    /// completed (default 10).
    pub max_in_flight_updates: usize,
    /// Updates one execution may receive in all; a long-lived workflow
    /// continues as new before it is reached (default 2,000).
    pub max_total_updates: usize,
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
            max_in_flight_updates: 10,
            max_total_updates: 2_000,
            continue_as_new_history_events: 4_096,
        }
    }
}
