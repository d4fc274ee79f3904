//! The embedded engine: history in SQLite (a file or in memory), one engine
//! thread that runs workflow tasks, timers and activity dispatch, and the
//! client [`Backend`] that talks to it.

mod agenda;
mod config;
mod inbox;
mod memo;
mod registration;
mod request;
mod run_settings;
mod runs;
mod schedules;
mod spin;
mod store;
mod store_file;
mod task_token;
mod thread;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::{mpsc as channel, oneshot};
use workflow_client::schedule::{ScheduleOp, ScheduleReply, ScheduleSummary};
use workflow_client::visibility::WorkflowPage;
use workflow_client::{
    ApplicationError, Backend, BoxFuture, Client, ClientError, Description, Execution, Failure, History, Message,
    Payload, StartRequest, TaskToken, UpdateRequest, UpdateStatus,
};

use crate::activity::run_activity;
use crate::activity_context::ActivityContext;
use crate::backend::{EngineBackend, RunningWorker};
use crate::registry::Offer;
use crate::setup_error::{EngineError, WorkerError};
pub(crate) use config::Config;
pub use config::DEFAULT_RETENTION;
use registration::{ActivityDone, ActivityTask, Registration};
use request::{Reply, Request};
pub use store_file::{ListFilter, RunSummary, StoreFile};
use thread::{Clock, EngineThread, Msg};

/// A running embedded engine: the sending side of its thread's channel.
pub(crate) struct Embedded {
    tx: Sender<Msg>,
    thread: Mutex<Option<JoinHandle<()>>>,
    /// Query answers clients may reuse without asking the engine thread.
    memo: Arc<memo::QueryMemo>,
    /// How long a client polls for a reply before sleeping: only in memory,
    /// where no sync stands between a call and its reply.
    spin: Duration,
}

impl Embedded {
    /// Starts an engine on the file at `path`, or in memory.
    pub(crate) fn start(config: Config, path: Option<PathBuf>) -> Result<Arc<Embedded>, EngineError> {
        let (tx, rx) = mpsc::channel();
        let (ready_tx, ready_rx) = mpsc::sync_channel(1);
        let store_path = path.clone();
        let memo = Arc::new(memo::QueryMemo::default());
        let engine_memo = memo.clone();
        // Run instances are not `Send`: the engine state is built on its own thread.
        let thread = std::thread::Builder::new()
            .name("workflow-engine".to_owned())
            .spawn(move || {
                let loaded = store::Store::open(store_path.as_deref(), config.max_store_bytes).and_then(|store| {
                    let clock = Clock::new(config.time_skipping);
                    EngineThread::load(store, &config, engine_memo, clock)
                });
                match loaded {
                    Ok(engine) => {
                        let (runs, timers, activities) = engine.loaded();
                        let path = store_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                        tracing::info!(path, runs, timers, activities, "opened the workflow store");
                        let _ = ready_tx.send(Ok(()));
                        engine.run(rx);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e.to_string()));
                    }
                }
            })
            .map_err(|e| EngineError::Open {
                path: path.clone(),
                message: e.to_string(),
            })?;
        let ready = ready_rx
            .recv()
            .unwrap_or_else(|_| Err("the engine thread stopped while starting".to_owned()));
        if let Err(message) = ready {
            let _ = thread.join();
            return Err(EngineError::Open { path, message });
        }
        Ok(Arc::new(Embedded {
            tx,
            thread: Mutex::new(Some(thread)),
            memo,
            spin: if path.is_none() {
                Duration::from_micros(50)
            } else {
                Duration::ZERO
            },
        }))
    }

    /// Stops the engine thread after the messages already sent.
    fn stop(&self) {
        let _ = self.tx.send(Msg::Close);
        self.memo.clear();
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }

    /// Moves a time-skipping engine's clock forward by `by`; resolves with
    /// the new time, or fails if the engine stopped or does not skip time.
    pub(crate) fn advance(&self, by: Duration) -> oneshot::Receiver<u64> {
        let (tx, rx) = oneshot::channel();
        let _ = self.tx.send(Msg::Advance(by, tx));
        rx
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.stop();
    }
}

impl EngineBackend for Embedded {
    fn client(self: Arc<Self>) -> Client {
        Client::new(self)
    }

    /// Registers the worker with the engine thread, and runs the activity
    /// attempts it is sent on `runtime`.
    fn start_worker(
        self: Arc<Self>,
        task_queue: String,
        offer: Offer,
        runtime: &Handle,
    ) -> Result<Box<dyn RunningWorker>, WorkerError> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let (tasks, mut inbox) = channel::unbounded_channel::<ActivityTask>();
        let results = self.tx.clone();
        runtime.spawn(async move {
            while let Some(task) = inbox.recv().await {
                let results = results.clone();
                tokio::spawn(async move {
                    let attempt = task.info.attempt;
                    let heartbeat = {
                        let (slot, engine, activity) = (task.heartbeat.clone(), results.clone(), task.activity);
                        Box::new(move |details| {
                            if slot.put(details) {
                                let _ = engine.send(Msg::Heartbeat { activity, attempt });
                            }
                        })
                    };
                    let ctx = ActivityContext::with_engine(
                        task.info,
                        task.heartbeat_details,
                        task.cancel,
                        Some(heartbeat),
                        task.task_token,
                    );
                    let this = ctx.clone();
                    let result = run_activity(task.execute, ctx, task.args).await;
                    // Its outcome comes later, through a client.
                    if this.completes_async() {
                        return;
                    }
                    let done = ActivityDone {
                        activity: task.activity,
                        attempt,
                        result,
                    };
                    let _ = results.send(Msg::ActivityDone(done));
                });
            }
        });
        let registration = Registration {
            id,
            task_queue: task_queue.clone(),
            offer,
            tasks,
        };
        let _ = self.tx.send(Msg::Register(Arc::new(registration)));
        Ok(Box::new(EmbeddedWorker {
            engine: self,
            task_queue,
            id,
        }))
    }

    fn close(&self) {
        self.stop();
    }
}

/// A worker registered with the engine thread.
struct EmbeddedWorker {
    engine: Arc<Embedded>,
    task_queue: String,
    /// Its [`Registration::id`].
    id: u64,
}

impl RunningWorker for EmbeddedWorker {
    fn task_queue(&self) -> &str {
        &self.task_queue
    }

    fn shutdown(self: Box<Self>) {
        let message = Msg::Unregister {
            task_queue: self.task_queue,
            worker_id: self.id,
        };
        let _ = self.engine.tx.send(message);
    }
}

impl Embedded {
    /// Sends a request to the engine thread and waits for its reply.
    fn call<T: Send + 'static>(
        &self,
        request: Request,
        extract: fn(Reply) -> Option<T>,
    ) -> BoxFuture<Result<T, ClientError>> {
        let (tx, mut rx) = oneshot::channel();
        let sent = self.tx.send(Msg::Call(request, tx));
        let spin_budget = self.spin;
        Box::pin(async move {
            sent.map_err(|_| ClientError::EngineClosed)?;
            // An in-memory engine answers within microseconds, sooner than a
            // sleeping task can be woken.
            let early = spin::spin(spin_budget, || match rx.try_recv() {
                Ok(reply) => ControlFlow::Break(Some(reply)),
                Err(oneshot::error::TryRecvError::Empty) => ControlFlow::Continue(()),
                Err(oneshot::error::TryRecvError::Closed) => ControlFlow::Break(None),
            });
            let reply = match early {
                Some(reply) => reply,
                None => rx.await.map_err(|_| ClientError::EngineClosed)?,
            }?;
            extract(reply).ok_or_else(|| ClientError::Storage("engine answered with an unexpected reply".to_owned()))
        })
    }
}

impl Backend for Embedded {
    fn start(&self, request: StartRequest) -> BoxFuture<Result<String, ClientError>> {
        self.call(Request::Start(Box::new(request)), |r| match r {
            Reply::RunId(id) => Some(id),
            _ => None,
        })
    }

    fn signal(&self, target: Execution, signal: Message) -> BoxFuture<Result<(), ClientError>> {
        self.call(Request::Signal(target, signal), unit)
    }

    fn query(&self, target: Execution, query: Message) -> BoxFuture<Result<Payload, ClientError>> {
        // A query with headers is for the run's interceptors to see.
        if query.header.is_empty() {
            if let Some(answer) = self.memo.get(&target, &query.name, &query.args) {
                return Box::pin(std::future::ready(Ok(answer)));
            }
        }
        self.call(Request::Query(target, query), payload)
    }

    fn update(&self, target: Execution, request: UpdateRequest) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        self.call(Request::Update(target, request), |r| match r {
            Reply::Update(status) => Some(status),
            _ => None,
        })
    }

    fn update_with_start(
        &self,
        start: StartRequest,
        update: UpdateRequest,
    ) -> BoxFuture<Result<UpdateStatus, ClientError>> {
        self.call(Request::UpdateWithStart(Box::new(start), update), |r| match r {
            Reply::Update(status) => Some(status),
            _ => None,
        })
    }

    fn update_result(
        &self,
        target: Execution,
        update_id: String,
    ) -> BoxFuture<Result<Result<Payload, Failure>, ClientError>> {
        self.call(Request::UpdateResult(target, update_id), |r| match r {
            Reply::Update(UpdateStatus::Completed(outcome)) => Some(outcome),
            _ => None,
        })
    }

    fn result(&self, target: Execution) -> BoxFuture<Result<Payload, ClientError>> {
        self.call(Request::Result(target), payload)
    }

    fn cancel(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.call(Request::Cancel(target, reason), unit)
    }

    fn terminate(&self, target: Execution, reason: String) -> BoxFuture<Result<(), ClientError>> {
        self.call(Request::Terminate(target, reason), unit)
    }

    fn complete_activity(
        &self,
        token: TaskToken,
        outcome: Result<Payload, ApplicationError>,
    ) -> BoxFuture<Result<(), ClientError>> {
        self.call(Request::CompleteActivity(token, outcome), unit)
    }

    fn heartbeat_activity(&self, token: TaskToken, details: Vec<Payload>) -> BoxFuture<Result<(), ClientError>> {
        self.call(Request::HeartbeatActivity(token, details), unit)
    }

    fn describe(&self, target: Execution) -> BoxFuture<Result<Description, ClientError>> {
        self.call(Request::Describe(target), |r| match r {
            Reply::Description(d) => Some(*d),
            _ => None,
        })
    }

    fn list_workflows(
        &self,
        query: String,
        page_size: usize,
        page_token: Option<Vec<u8>>,
    ) -> BoxFuture<Result<WorkflowPage, ClientError>> {
        let request = Request::ListWorkflows {
            query,
            page_size,
            page_token,
        };
        self.call(request, |r| match r {
            Reply::Page(page) => Some(page),
            _ => None,
        })
    }

    fn count_workflows(&self, query: String) -> BoxFuture<Result<u64, ClientError>> {
        self.call(Request::CountWorkflows(query), |r| match r {
            Reply::Count(count) => Some(count),
            _ => None,
        })
    }

    fn schedule(&self, schedule_id: String, op: ScheduleOp) -> BoxFuture<Result<ScheduleReply, ClientError>> {
        self.call(Request::Schedule(schedule_id, op), |r| match r {
            Reply::Schedule(reply) => Some(reply),
            _ => None,
        })
    }

    fn list_schedules(&self) -> BoxFuture<Result<Vec<ScheduleSummary>, ClientError>> {
        self.call(Request::ListSchedules, |r| match r {
            Reply::Schedules(all) => Some(all),
            _ => None,
        })
    }

    fn history(&self, target: Execution) -> BoxFuture<Result<History, ClientError>> {
        self.call(Request::History(target), |r| match r {
            Reply::History(h) => Some(h),
            _ => None,
        })
    }
}

fn unit(reply: Reply) -> Option<()> {
    matches!(reply, Reply::Unit).then_some(())
}

fn payload(reply: Reply) -> Option<Payload> {
    match reply {
        Reply::Payload(p) => Some(p),
        _ => None,
    }
}
