use std::time::{Duration, SystemTime};

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Logger;

#[workflow::defn]
impl Logger {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        #[workflow::nondeterministic]
        let handle = tokio::spawn(async {});
        drop(handle);
        Self::log(ctx).await;
        Ok(())
    }

    /// The opt-out covers the clock, which merely differs on replay, not
    /// the timer, which cannot work in workflow code.
    #[workflow::nondeterministic]
    async fn log(_ctx: &mut WorkflowContext<Self>) {
        eprintln!("{:?}", SystemTime::now());
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn main() {}
