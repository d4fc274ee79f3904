//! Replaying recorded histories against the current workflow code: the test
//! that a change to a workflow still replays the runs already in flight.

use workflow_client::{EventKind, History};

use crate::definition::WorkflowDefinition;
use crate::limits::Limits;
use crate::registry::Offer;
use crate::replay::{replay, ReplayError};

/// Replays histories (from `fetch_history`, or JSON exported with
/// `History::to_json`) against registered workflow types, without an engine.
///
/// ```
/// # use workflow_runtime::{ReplayError, Replayer};
/// # use workflow_client::History;
/// let replayer = Replayer::new(); // .workflow::<MyWorkflow>()
/// let empty = History::default();
/// assert!(matches!(replayer.replay(&empty), Err(ReplayError::History(_))));
/// ```
#[derive(Default)]
pub struct Replayer {
    offer: Offer,
    limits: Limits,
}

impl Replayer {
    /// A replayer with no workflow types.
    pub fn new() -> Self {
        Replayer::default()
    }

    /// Registers workflow `W` (a `dynamic` one replays every unregistered type).
    pub fn workflow<W: WorkflowDefinition>(mut self) -> Self {
        self.offer.add_workflow::<W>();
        self
    }

    /// Limits the recorded run ran under, if not the defaults (they decide
    /// when `continue_as_new_suggested()` turned true).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Replays one run's history; `Ok` if the code issues the recorded commands.
    pub fn replay(&self, history: &History) -> Result<(), ReplayError> {
        let workflow_type = match history.events.first().map(|e| &e.kind) {
            Some(EventKind::WorkflowExecutionStarted { workflow_type, .. }) => workflow_type,
            _ => {
                return Err(ReplayError::History(
                    "a history starts with WorkflowExecutionStarted".to_owned(),
                ))
            }
        };
        let factory = self
            .offer
            .workflow(workflow_type)
            .ok_or_else(|| ReplayError::UnknownWorkflowType {
                workflow_type: workflow_type.clone(),
            })?;
        let mut instance = factory(self.limits.max_pending_outgoing_signals);
        replay(
            &mut *instance,
            &history.events,
            &history.workflow_id,
            &history.run_id,
            &self.limits,
        )
    }

    /// Replays a history exported as JSON.
    pub fn replay_json(&self, json: &str) -> Result<(), ReplayError> {
        let history = History::from_json(json).map_err(|e| ReplayError::History(e.to_string()))?;
        self.replay(&history)
    }
}
