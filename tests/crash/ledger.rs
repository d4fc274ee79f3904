//! The parent's record of what it sent and what the children acknowledged.

use std::collections::{BTreeMap, BTreeSet};

/// One logical update (a key), possibly sent more than once.
#[derive(Debug, Default)]
pub struct UpdateRecord {
    /// Its argument.
    pub n: u64,
    /// How many times it was sent (resends after a kill included).
    pub sends: u32,
    /// Update ids whose durable acceptance a child reported.
    pub accepted: Vec<String>,
    /// The result a child reported.
    pub result: Option<String>,
    in_flight: bool,
}

impl UpdateRecord {
    /// Whether a child acknowledged it: accepted (durably) or completed.
    pub fn acknowledged(&self) -> bool {
        !self.accepted.is_empty() || self.result.is_some()
    }
}

/// Everything sent and acknowledged, across all children.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Values of the `add` signals sent, in order.
    pub signals_sent: Vec<u64>,
    /// Values whose signal call returned `Ok`.
    pub signals_acked: BTreeSet<u64>,
    /// Values sent to a child that was killed before acknowledging them.
    pub signals_unacked: BTreeSet<u64>,
    signals_in_flight: BTreeSet<u64>,
    /// Updates by key.
    pub updates: BTreeMap<String, UpdateRecord>,
    /// Activity executions a child reported, by update key.
    pub activity_runs: BTreeMap<String, u32>,
    /// Where each execution of the `progress` activity started, in order.
    pub progress_starts: Vec<u64>,
}

impl Ledger {
    /// Calls sent to the current child and not answered yet.
    pub fn in_flight(&self) -> usize {
        self.signals_in_flight.len() + self.updates.values().filter(|u| u.in_flight).count()
    }

    pub fn signal_sent(&mut self, n: u64) {
        self.signals_sent.push(n);
        self.signals_in_flight.insert(n);
    }

    pub fn update_sent(&mut self, key: &str, n: u64) {
        let record = self.updates.entry(key.to_owned()).or_default();
        record.n = n;
        record.sends += 1;
        record.in_flight = true;
    }

    pub fn signal_acked(&mut self, n: u64) -> Result<(), String> {
        if !self.signals_in_flight.remove(&n) {
            return Err(format!("signal {n} acknowledged but not in flight"));
        }
        self.signals_acked.insert(n);
        Ok(())
    }

    pub fn update_accepted(&mut self, key: &str, update_id: &str) -> Result<(), String> {
        let record = self.in_flight_update(key)?;
        record.accepted.push(update_id.to_owned());
        Ok(())
    }

    pub fn update_acked(&mut self, key: &str, result: &str) -> Result<(), String> {
        let record = self.in_flight_update(key)?;
        record.in_flight = false;
        match record.result.replace(result.to_owned()) {
            Some(earlier) => Err(format!("update {key} acknowledged twice: `{earlier}`, then `{result}`")),
            None => Ok(()),
        }
    }

    pub fn activity_ran(&mut self, key: &str) {
        *self.activity_runs.entry(key.to_owned()).or_default() += 1;
    }

    fn in_flight_update(&mut self, key: &str) -> Result<&mut UpdateRecord, String> {
        match self.updates.get_mut(key) {
            Some(record) if record.in_flight => Ok(record),
            _ => Err(format!("update {key} answered but not in flight")),
        }
    }

    /// The child was killed and every answer it wrote has been read: what is
    /// still in flight is unacknowledged. Signals are not resent (they may
    /// be applied at most once); the updates to send again are returned:
    /// those not known to be durably accepted.
    pub fn abandon_in_flight(&mut self) -> Vec<(String, u64)> {
        self.signals_unacked.append(&mut self.signals_in_flight);
        let mut resend = Vec::new();
        for (key, record) in &mut self.updates {
            if std::mem::take(&mut record.in_flight) && !record.acknowledged() {
                resend.push((key.clone(), record.n));
            }
        }
        resend
    }
}
