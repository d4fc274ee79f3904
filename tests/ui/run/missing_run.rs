use workflow::{Engine, StartOptions};

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::signal]
    fn add(&mut self, n: u32) {
        self.value += n;
    }
}

// The workflow's API is still generated, with `run` taking no arguments,
// so these uses add no errors of their own.
async fn start(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine.worker("counters").workflow::<Counter>().start()?;
    let handle = engine
        .client()
        .start_workflow(Counter::run, (), StartOptions::new("counter-1").task_queue("counters"))
        .await?;
    handle.signal(Counter::add, 1).await?;
    handle.result().await?;
    Ok(())
}

fn main() {
    let _ = start;
}
