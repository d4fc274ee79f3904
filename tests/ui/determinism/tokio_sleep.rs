use std::time::Duration;

use tokio::time;
use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Waiter;

#[workflow::defn]
impl Waiter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        tokio::time::sleep(Duration::from_secs(1)).await;
        ctx.sleep(Duration::from_secs(1)).await?;
        Ok(())
    }

    #[workflow::update]
    async fn wait(_ctx: &mut WorkflowContext<Self>) {
        time::sleep(Duration::from_secs(1)).await;
    }
}

fn main() {}
