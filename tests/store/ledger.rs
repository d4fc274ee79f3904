//! The workflow the store fixtures are written with: one type whose input
//! picks what a run waits on (signals, a timer, an activity, an update),
//! so one file holds runs in every state a store must carry over.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use workflow::{ActivityOptions, ApplicationError, WorkflowContext, WorkflowResult};

/// Task queue of the fixture's workflows.
pub const TASK_QUEUE: &str = "ledger";
/// Task queue of its activity: no worker polls it while the fixture is
/// written, so the activity stays scheduled in the file.
pub const ACTIVITY_QUEUE: &str = "ledger-activities";

/// What a run does before it collects entries.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Plan {
    /// Sleep this long first (a durable timer).
    pub sleep_ms: u64,
    /// Call `stamp` first.
    pub activity: bool,
    /// Continue as new once this many entries are in (0: never).
    pub continue_after: usize,
    /// Entries carried over from the previous run.
    pub carried: Vec<String>,
}

/// Appends `stamped:` to its input.
#[workflow::activity]
pub async fn stamp(entry: String) -> Result<String, ApplicationError> {
    Ok(format!("stamped:{entry}"))
}

#[derive(Default)]
pub struct Ledger {
    entries: Vec<String>,
    released: bool,
    done: bool,
}

#[workflow::defn]
impl Ledger {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, plan: Plan) -> WorkflowResult<Vec<String>> {
        // Runs that start since schema version 2 record a patch marker (the
        // call changes nothing else), so the v2 fixture holds markers and
        // the older fixtures' runs replay without one.
        ctx.patched("ledger-v2");
        ctx.state_mut(|s| s.entries = plan.carried.clone());
        if plan.sleep_ms > 0 {
            ctx.sleep(Duration::from_millis(plan.sleep_ms)).await?;
            ctx.state_mut(|s| s.entries.push("slept".to_owned()));
        }
        if plan.activity {
            let options = ActivityOptions::start_to_close(Duration::from_secs(10)).task_queue(ACTIVITY_QUEUE);
            let stamped = ctx.execute_activity(stamp, "a".to_owned(), options).await?;
            ctx.state_mut(|s| s.entries.push(stamped));
        }
        let limit = plan.continue_after;
        ctx.wait_condition(move |s| s.done || (limit > 0 && s.entries.len() >= limit))
            .await?;
        if ctx.state(|s| s.done) {
            return Ok(ctx.state(|s| s.entries.clone()));
        }
        let carried = ctx.state(|s| s.entries.clone());
        ctx.continue_as_new(Plan {
            carried,
            ..Plan::default()
        })
    }

    #[workflow::signal]
    fn add(&mut self, entry: String) {
        self.entries.push(entry);
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }

    #[workflow::signal]
    fn release(&mut self) {
        self.released = true;
    }

    /// Waits for `release`, then records `tag`; answers with the entry count.
    #[workflow::update]
    async fn hold(ctx: &mut WorkflowContext<Self>, tag: String) -> WorkflowResult<usize> {
        ctx.wait_condition(|s| s.released).await?;
        Ok(ctx.state_mut(|s| {
            s.entries.push(tag);
            s.entries.len()
        }))
    }

    #[workflow::query]
    fn entries(&self) -> Vec<String> {
        self.entries.clone()
    }
}
