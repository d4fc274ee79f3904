//! Retention: closed runs older than the engine's retention are deleted, a
//! small batch at a time, so a large backlog never holds up requests.

use super::*;

/// Closed runs deleted in one batch at most.
pub(crate) const PRUNE_BATCH: usize = 200;
/// How often the engine looks for closed runs past their retention.
const PRUNE_EVERY_MS: u64 = 60_000;

impl EngineThread {
    /// Deletes one batch of closed runs past the retention and plans the
    /// next look: soon when the batch was full, else in a minute.
    pub(super) fn prune_expired(&mut self, now: u64) -> StoreResult<()> {
        let Some(retention) = self.retention else {
            return Ok(());
        };
        let pruned = self.store.prune(now.saturating_sub(retention), PRUNE_BATCH)?;
        for run in &pruned {
            self.memo.forget(&run.workflow_id);
            self.cache.take(run.key);
        }
        let next = match pruned.len() {
            PRUNE_BATCH => now + 1,
            _ => now + PRUNE_EVERY_MS,
        };
        self.agenda.at(next, Wake::Retention);
        Ok(())
    }
}
