use workflow::{Engine, StartOptions, WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Counter {
    value: u64,
}

#[workflow::defn]
impl Counter {
    async fn run(ctx: &mut WorkflowContext<Self>, start: u64) -> WorkflowResult<u64> {
        ctx.state_mut(|s| s.value = start);
        ctx.wait_condition(|s| s.value >= 10).await?;
        Ok(ctx.state(|s| s.value))
    }

    #[workflow::signal]
    fn add(&mut self, n: u64) {
        self.value += n;
    }

    #[workflow::query]
    fn value(&self) -> u64 {
        self.value
    }
}

// The unmarked method is taken as the run method for the generated API, so
// these uses, written for the fixed workflow, add no errors of their own.
async fn start(engine: Engine) -> Result<u64, Box<dyn std::error::Error>> {
    let _worker = engine.worker("counters").workflow::<Counter>().start()?;
    let handle = engine
        .client()
        .start_workflow(Counter::run, 5, StartOptions::new("counter-1").task_queue("counters"))
        .await?;
    handle.signal(Counter::add, 5).await?;
    let value: u64 = handle.query(Counter::value, ()).await?;
    let total: u64 = handle.result().await?;
    Ok(value + total)
}

fn main() {
    let _ = start;
}
