//! The workflow the crash test drives: it records every signal and update it
//! applies, ticks a timer, runs one activity per update, one long activity
//! that heartbeats its progress, and a chain of local activities.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow::{ActivityContext, ActivityOptions, ApplicationError, WorkflowContext, WorkflowResult};

/// The workflow id every process uses.
pub const WORKFLOW_ID: &str = "crash-target";
/// The task queue of its worker.
pub const TASK_QUEUE: &str = "crash";
/// The period of the workflow's timer loop.
const TICK: Duration = Duration::from_millis(50);

/// What the workflow applied, as its queries and its result report it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    /// Values of the `add` signals, in the order they were applied.
    pub signals: Vec<u64>,
    /// `(key, result)` of every completed `apply` update, in completion order.
    pub updates: Vec<(String, String)>,
    /// Timers fired by the run's loop.
    pub ticks: u64,
    /// What the `progress` activity returned.
    pub progress: u64,
    /// Where the chain of `increment` local activities got to.
    #[serde(default)]
    pub local_steps: u64,
}

/// The result an `apply(key, n)` update must return: built from the
/// activity's result, `2 * n`.
pub fn expected_update_result(key: &str, n: u64) -> String {
    format!("{key}:{}", n * 2)
}

/// Doubles `n`. Reports each execution on the child's protocol, so the
/// parent can count re-executions (activities are at-least-once).
#[workflow::activity]
pub async fn record(ctx: ActivityContext, key: String, n: u64) -> Result<u64, ApplicationError> {
    crate::child::emit(&format!("activity {key} {}", ctx.info().attempt));
    Ok(n * 2)
}

/// The steps `progress` counts to.
pub const PROGRESS_STEPS: u64 = 1_500;

/// Counts to [`PROGRESS_STEPS`], a step every 2 ms, heartbeating each step.
/// An execution starts from the last heartbeat the engine kept, and reports
/// where on the child's protocol (`progress <from>`).
#[workflow::activity]
pub async fn progress(ctx: ActivityContext) -> Result<u64, ApplicationError> {
    let from: u64 = ctx.heartbeat_details().unwrap_or(0);
    crate::child::emit(&format!("progress {from}"));
    for step in from..PROGRESS_STEPS {
        tokio::time::sleep(Duration::from_millis(2)).await;
        ctx.heartbeat(&(step + 1))?;
    }
    Ok(PROGRESS_STEPS)
}

/// The local activities the run chains.
pub const LOCAL_STEPS: u64 = 2_000;

/// Adds one, after a millisecond, so the chain spans kills.
#[workflow::activity]
pub async fn increment(n: u64) -> Result<u64, ApplicationError> {
    tokio::time::sleep(Duration::from_millis(1)).await;
    Ok(n + 1)
}

#[derive(Default)]
pub struct CrashTarget {
    applied: Applied,
    finished: bool,
}

#[workflow::defn]
impl CrashTarget {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Applied> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(300));
        let work = ctx.execute_activity(progress, (), options);
        let ticks = async {
            while !ctx.state(|s| s.finished) {
                ctx.sleep(TICK).await?;
                ctx.state_mut(|s| s.applied.ticks += 1);
            }
            WorkflowResult::Ok(())
        };
        let chain = async {
            let options = ActivityOptions::start_to_close(Duration::from_secs(10));
            let mut value = 0;
            while value < LOCAL_STEPS {
                value = ctx.execute_local_activity(increment, value, options.clone()).await?;
            }
            ctx.state_mut(|s| s.applied.local_steps = value);
            WorkflowResult::Ok(())
        };
        let (done, ticked, chained) = futures::join!(work, ticks, chain);
        ticked?;
        chained?;
        let done = done?;
        ctx.state_mut(|s| s.applied.progress = done);
        let handlers = ctx.clone();
        ctx.wait_condition(move |_| handlers.all_handlers_finished()).await?;
        Ok(ctx.state(|s| s.applied.clone()))
    }

    #[workflow::signal]
    fn add(&mut self, n: u64) {
        self.applied.signals.push(n);
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.finished = true;
    }

    #[workflow::update]
    async fn apply(ctx: &mut WorkflowContext<Self>, key: String, n: u64) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        let doubled = ctx.execute_activity(record, (key.clone(), n), options).await?;
        let result = format!("{key}:{doubled}");
        ctx.state_mut(|s| s.applied.updates.push((key, result.clone())));
        Ok(result)
    }

    #[workflow::query]
    fn applied(&self) -> Applied {
        self.applied.clone()
    }
}

/// The tokio runtime the child and the final check run the engine on.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}
