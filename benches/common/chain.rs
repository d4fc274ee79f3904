//! The `Chain` workflow of workload X: sequential activities in one run.

use std::time::Duration;

use workflow::{ActivityOptions, ApplicationError, WorkflowContext, WorkflowResult};

/// Adds one.
#[workflow::activity]
pub async fn step(n: u64) -> Result<u64, ApplicationError> {
    Ok(n + 1)
}

/// Calls `step` `count` times, each call on the previous one's result.
#[derive(Default)]
pub struct Chain;

#[workflow::defn]
impl Chain {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, count: u64) -> WorkflowResult<u64> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(30));
        let mut value = 0;
        for _ in 0..count {
            value = ctx.execute_activity(step, value, options.clone()).await?;
        }
        Ok(value)
    }
}
