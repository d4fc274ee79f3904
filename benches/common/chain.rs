//! The `Chain` workflow of workloads X and XL: sequential activities in
//! one run, regular or local.

use std::time::Duration;

use workflow::{ActivityOptions, ApplicationError, WorkflowContext, WorkflowResult};

/// Adds one.
#[workflow::activity]
pub async fn step(n: u64) -> Result<u64, ApplicationError> {
    Ok(n + 1)
}

/// Calls `step` `count` times, each call on the previous one's result, as
/// local activities when `local` is set.
#[derive(Default)]
pub struct Chain;

#[workflow::defn]
impl Chain {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, count: u64, local: bool) -> WorkflowResult<u64> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(30));
        let mut value = 0;
        for _ in 0..count {
            value = match local {
                true => ctx.execute_local_activity(step, value, options.clone()).await?,
                false => ctx.execute_activity(step, value, options.clone()).await?,
            };
        }
        Ok(value)
    }
}
