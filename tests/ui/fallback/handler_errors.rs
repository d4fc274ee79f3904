//! Handlers with mistakes: each is reported once, and the workflow's API is
//! still generated, so registering it and calling its handlers add no errors.

use workflow::{Engine, StartOptions, WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        ctx.wait_condition(|s| s.value > 10).await?;
        Ok(ctx.state(|s| s.value))
    }

    #[workflow::signal]
    fn add(&mut self, n: u32) -> u32 {
        self.value += n;
        self.value
    }

    #[workflow::query]
    fn next(&mut self) -> u32 {
        self.value += 1;
        self.value
    }

    #[workflow::update]
    fn reset(&mut self, to: u32) -> u32 {
        std::mem::replace(&mut self.value, to)
    }
}

async fn start(engine: Engine) -> Result<u32, Box<dyn std::error::Error>> {
    let _worker = engine.worker("counters").workflow::<Counter>().start()?;
    let handle = engine
        .client()
        .start_workflow(Counter::run, (), StartOptions::new("counter-1").task_queue("counters"))
        .await?;
    handle.signal(Counter::add, 1).await?;
    let next: u32 = handle.query(Counter::next, ()).await?;
    let before: u32 = handle.execute_update(Counter::reset, 11).await?;
    let total: u32 = handle.result().await?;
    Ok(next + before + total)
}

fn main() {
    let _ = start;
}
