use std::time::Duration;

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Poller {
    ready: bool,
}

#[workflow::defn]
impl Poller {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<bool> {
        let waited = tokio::time::timeout(Duration::from_secs(5), ctx.wait_condition(|s| s.ready)).await;
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        ticks.tick().await;
        Ok(waited.is_ok())
    }
}

fn main() {}
