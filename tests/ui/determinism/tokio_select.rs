use std::time::Duration;

use futures::FutureExt;
use tokio::select;
use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Race {
    done: bool,
}

#[workflow::defn]
impl Race {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<bool> {
        tokio::select! {
            _ = ctx.sleep(Duration::from_secs(60)) => {}
            _ = ctx.wait_condition(|s| s.done) => {}
        }
        // Polled in the order written: deterministic.
        let done = futures::select_biased! {
            _ = ctx.wait_condition(|s| s.done).fuse() => true,
            _ = ctx.sleep(Duration::from_secs(60)).fuse() => false,
        };
        tokio::select! {
            biased;
            _ = ctx.wait_condition(|s| s.done) => {}
            _ = ctx.sleep(Duration::from_secs(60)) => {}
        }
        Ok(done)
    }

    #[workflow::update]
    async fn wait(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        select! {
            _ = ctx.sleep(Duration::from_secs(1)) => {}
            _ = ctx.wait_condition(|s| s.done) => {}
        }
        Ok(())
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }
}

fn main() {}
