use std::time::{Duration, Instant};

use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Timed {
    took: Duration,
}

#[workflow::defn]
impl Timed {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Duration> {
        let started = Instant::now();
        ctx.sleep(Duration::from_secs(1)).await?;
        let took = started.elapsed();
        ctx.state_mut(|s| s.took = took);
        Ok(took)
    }
}

fn main() {}
