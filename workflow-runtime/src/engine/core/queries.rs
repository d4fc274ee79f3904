//! Queries, answered after the batch's workflow tasks so they see its signals.

use std::time::Duration;

use workflow_client::ClientError;

use super::*;

impl EngineCore {
    pub(super) fn answer_queries(&mut self, now: u64) -> StoreResult<()> {
        for query in std::mem::take(&mut self.queries) {
            let run_id = match self.resolve(&query.target)? {
                Target::Open(run_id) => run_id,
                Target::Closed(row) => row.run_id,
                Target::Missing => {
                    let answer = Err(not_found(&query.target));
                    self.reply(query.responder, answer);
                    continue;
                }
            };
            let workflow_id = query.target.workflow_id.clone();
            match self.acquire(&run_id)? {
                Ok(instance) => {
                    let answer = instance.query(&query.name, query.args.clone());
                    self.release(&run_id, instance);
                    let answer = match answer {
                        Ok(payload) => {
                            self.answered.push(Answered {
                                workflow_id: workflow_id.clone(),
                                run_id: run_id.clone(),
                                name: query.name.clone(),
                                args: query.args,
                                answer: payload.clone(),
                            });
                            Ok(Reply::Payload(payload))
                        }
                        Err(QueryError::Unknown { known }) => Err(ClientError::UnknownQuery {
                            workflow_type: self.workflow_type(&run_id)?,
                            name: query.name.clone(),
                            known,
                        }),
                        Err(QueryError::Failed(failure)) => Err(ClientError::QueryFailed {
                            name: query.name.clone(),
                            failure,
                        }),
                        Err(QueryError::NotStarted) => Err(ClientError::WorkflowTask {
                            workflow_id: workflow_id.clone(),
                            message: "the run has not started yet".to_owned(),
                        }),
                    };
                    self.reply(query.responder, answer);
                }
                Err(Unavailable::NoWorker) if now < query.deadline => {
                    self.agenda.at(query.deadline, Wake::WaitExpired);
                    self.queries.push(query);
                }
                Err(Unavailable::NoWorker) => {
                    let task_queue = self.task_queue_of(&run_id)?;
                    let waited = Duration::from_millis(self.worker_wait);
                    self.reply(query.responder, Err(ClientError::NoWorker { task_queue, waited }));
                }
                Err(Unavailable::Failed(message)) => {
                    self.reply(query.responder, Err(ClientError::WorkflowTask { workflow_id, message }));
                }
            }
        }
        Ok(())
    }

    pub(super) fn workflow_type(&self, run_id: &str) -> StoreResult<String> {
        Ok(match self.runs.get(run_id) {
            Some(run) => run.row.workflow_type.clone(),
            None => self.store.run(run_id)?.map(|r| r.workflow_type).unwrap_or_default(),
        })
    }

    pub(super) fn task_queue_of(&self, run_id: &str) -> StoreResult<String> {
        Ok(match self.runs.get(run_id) {
            Some(run) => run.row.task_queue.clone(),
            None => self.store.run(run_id)?.map(|r| r.task_queue).unwrap_or_default(),
        })
    }
}
