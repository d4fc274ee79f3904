//! An activity with a mistake is reported once; registering it and calling
//! it from a workflow add no errors.

use std::time::Duration;

use workflow::{ActivityOptions, Engine, WorkflowContext, WorkflowResult};

#[workflow::activity]
fn greet(name: String) -> String {
    format!("Hello, {name}!")
}

#[derive(Default)]
struct Greeter;

#[workflow::defn]
impl Greeter {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, name: String) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(5));
        ctx.execute_activity(greet, name, options).await
    }
}

fn register(engine: Engine) -> Result<(), Box<dyn std::error::Error>> {
    let _worker = engine.worker("greetings").workflow::<Greeter>().activity(greet).start()?;
    Ok(())
}

fn main() {
    let _ = register;
}
