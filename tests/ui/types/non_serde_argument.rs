use std::time::Duration;

use workflow::{ActivityOptions, Engine, StartOptions, WorkflowContext, WorkflowResult};

struct Secret(u32);

struct Report {
    total: u32,
}

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<u32> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(5));
        ctx.execute_activity(reveal, Secret(1), options).await
    }

    #[workflow::signal]
    fn add(&mut self, n: Secret) {
        self.value += n.0;
    }

    #[workflow::signal]
    fn add_twice(&mut self, n: Secret, again: Secret) {
        self.value += n.0 + again.0;
    }

    #[workflow::query]
    fn report(&self) -> Report {
        Report { total: self.value }
    }
}

#[workflow::activity]
async fn reveal(secret: Secret) -> u32 {
    secret.0
}

// Each type is reported once per macro, at its first use there; passing
// values of it adds nothing.
async fn start(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine.worker("counters").workflow::<Counter>().activity(reveal).start()?;
    let handle = engine
        .client()
        .start_workflow(Counter::run, (), StartOptions::new("counter-1").task_queue("counters"))
        .await?;
    handle.signal(Counter::add, Secret(2)).await?;
    handle.signal(Counter::add_twice, (Secret(3), Secret(4))).await?;
    Ok(())
}

fn main() {
    let _ = (start, Report { total: 0 }.total);
}
