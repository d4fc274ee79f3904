//! Query answers kept between a run's state changes. Queries are read-only
//! functions of the state, and the state changes only when the run takes in
//! an event, so until then a repeated query is answered on the caller's
//! thread without a trip to the engine thread.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use workflow_client::{Execution, Payload};

/// Distinct queries remembered per workflow.
const PER_WORKFLOW: usize = 8;
/// Workflows remembered at most; past it the memo starts afresh.
const WORKFLOWS: usize = 65_536;

/// Successful query answers by workflow id, for the run they were computed on.
#[derive(Default)]
pub(crate) struct QueryMemo {
    workflows: Mutex<HashMap<String, Answers>>,
}

struct Answers {
    run_id: String,
    entries: Vec<Entry>,
}

struct Entry {
    name: String,
    args: Vec<Payload>,
    answer: Payload,
}

/// An answer the engine computed, to remember once its batch commits.
pub(crate) struct Answered {
    pub(crate) workflow_id: String,
    pub(crate) run_id: String,
    pub(crate) name: String,
    pub(crate) args: Vec<Payload>,
    pub(crate) answer: Payload,
}

impl QueryMemo {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Answers>> {
        self.workflows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The remembered answer to this query, if the state has not changed since.
    pub(crate) fn get(&self, target: &Execution, name: &str, args: &[Payload]) -> Option<Payload> {
        let workflows = self.lock();
        let answers = workflows.get(&target.workflow_id)?;
        if target.run_id.as_ref().is_some_and(|r| *r != answers.run_id) {
            return None;
        }
        let entry = answers.entries.iter().find(|e| e.name == name && e.args == args)?;
        Some(entry.answer.clone())
    }

    /// Remembers an answer.
    pub(crate) fn put(&self, answered: Answered) {
        let mut workflows = self.lock();
        if workflows.len() >= WORKFLOWS && !workflows.contains_key(&answered.workflow_id) {
            workflows.clear();
        }
        let answers = workflows.entry(answered.workflow_id).or_insert_with(|| Answers {
            run_id: answered.run_id.clone(),
            entries: Vec::new(),
        });
        if answers.run_id != answered.run_id {
            answers.run_id = answered.run_id;
            answers.entries.clear();
        }
        answers
            .entries
            .retain(|e| !(e.name == answered.name && e.args == answered.args));
        if answers.entries.len() >= PER_WORKFLOW {
            answers.entries.remove(0);
        }
        answers.entries.push(Entry {
            name: answered.name,
            args: answered.args,
            answer: answered.answer,
        });
    }

    /// Forgets a workflow's answers: its state is about to change.
    pub(crate) fn forget(&self, workflow_id: &str) {
        self.lock().remove(workflow_id);
    }

    /// Forgets everything.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(run_id: Option<&str>) -> Execution {
        Execution {
            workflow_id: "w".into(),
            run_id: run_id.map(str::to_owned),
        }
    }

    #[test]
    fn answers_last_until_forgotten_and_only_for_their_run() {
        let memo = QueryMemo::default();
        let answer = Payload::encode(&7).unwrap();
        memo.put(Answered {
            workflow_id: "w".into(),
            run_id: "r1".into(),
            name: "value".into(),
            args: Vec::new(),
            answer: answer.clone(),
        });
        assert_eq!(memo.get(&target(None), "value", &[]), Some(answer.clone()));
        assert_eq!(memo.get(&target(Some("r1")), "value", &[]), Some(answer));
        assert_eq!(memo.get(&target(Some("r0")), "value", &[]), None);
        assert_eq!(memo.get(&target(None), "other", &[]), None);
        memo.forget("w");
        assert_eq!(memo.get(&target(None), "value", &[]), None);
    }
}
