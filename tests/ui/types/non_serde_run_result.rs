//! A run method's result without serde derives: one error at the type,
//! whichever derive is missing, and starting the workflow and awaiting its
//! result add none.

use serde::Deserialize;
use workflow::{Engine, StartOptions, WorkflowContext, WorkflowResult};

pub struct Total {
    pub sum: u64,
}

#[derive(Default)]
struct Summing;

#[workflow::defn]
impl Summing {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>, n: u64) -> WorkflowResult<Total> {
        Ok(Total { sum: n })
    }
}

#[derive(Deserialize)]
pub struct Line {
    pub text: String,
}

#[derive(Default)]
struct Lines;

#[workflow::defn]
impl Lines {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<Line>> {
        Ok(Vec::new())
    }
}

async fn start(engine: Engine) -> Result<u64, Box<dyn std::error::Error>> {
    let _worker = engine.worker("sums").workflow::<Summing>().workflow::<Lines>().start()?;
    let client = engine.client();
    let total = client
        .start_workflow(Summing::run, 5, StartOptions::new("sum-1").task_queue("sums"))
        .await?
        .result()
        .await?;
    let lines = client
        .start_workflow(Lines::run, (), StartOptions::new("lines-1").task_queue("sums"))
        .await?
        .result()
        .await?;
    Ok(total.sum + lines.iter().map(|line| line.text.len() as u64).sum::<u64>())
}

fn main() {
    let _ = start;
}
