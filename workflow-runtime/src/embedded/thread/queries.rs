//! Queries, answered after the batch's workflow tasks so they see its signals.

use std::time::Duration;

use workflow_client::ClientError;

use super::*;

impl EngineThread {
    pub(super) fn answer_queries(&mut self, now: u64) -> StoreResult<()> {
        for query in std::mem::take(&mut self.waiters.queries) {
            let row = match self.resolve(&query.target)? {
                Target::Open(key) => self.open_run(key)?.row.clone(),
                Target::Closed(row) => *row,
                Target::Missing => {
                    let answer = Err(not_found(&query.target));
                    self.reply(query.responder, answer);
                    continue;
                }
            };
            let workflow_id = query.target.workflow_id.clone();
            match self.acquire(&row)? {
                Ok(instance) => {
                    let answer = instance.query(&query.query.name, query.query.args.clone(), &query.query.header);
                    self.release(row.key, instance);
                    let answer = match answer {
                        Ok(payload) => {
                            self.outbox.answered.push(Answered {
                                workflow_id: workflow_id.clone(),
                                run_id: row.run_id.clone(),
                                name: query.query.name.clone(),
                                args: query.query.args,
                                answer: payload.clone(),
                            });
                            Ok(Reply::Payload(payload))
                        }
                        Err(QueryError::Unknown { known }) => Err(ClientError::UnknownQuery {
                            workflow_type: row.workflow_type.clone(),
                            name: query.query.name.clone(),
                            known,
                        }),
                        Err(QueryError::Failed(failure)) => Err(ClientError::QueryFailed {
                            name: query.query.name.clone(),
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
                    self.waiters.queries.push(query);
                }
                Err(Unavailable::NoWorker) => {
                    let task_queue = row.task_queue.clone();
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
}
