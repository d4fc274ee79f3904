//! A determinism error is reported once; the workflow stays usable.

use std::time::Duration;

use workflow::{Engine, StartOptions, WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Reminder;

#[workflow::defn]
impl Reminder {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>, after: Duration) -> WorkflowResult<String> {
        tokio::time::sleep(after).await;
        Ok("time is up".to_owned())
    }
}

async fn start(engine: Engine) -> Result<String, Box<dyn std::error::Error>> {
    let _worker = engine.worker("reminders").workflow::<Reminder>().start()?;
    let handle = engine
        .client()
        .start_workflow(
            Reminder::run,
            Duration::from_secs(60),
            StartOptions::new("reminder-1").task_queue("reminders"),
        )
        .await?;
    Ok(handle.result().await?)
}

fn main() {
    let _ = start;
}
