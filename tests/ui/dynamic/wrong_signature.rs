use workflow::{RawValue, WorkflowContext};

#[derive(Default)]
struct Anything;

#[workflow::defn]
impl Anything {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(dynamic)]
    fn any_signal(&mut self, _args: Vec<RawValue>) {}

    #[workflow::query(dynamic)]
    fn any_query(&self, _name: &str, _args: Vec<String>) -> u32 {
        0
    }
}

#[derive(Default)]
struct Fallback;

#[workflow::defn(dynamic)]
impl Fallback {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>, _input: String) {}
}

fn main() {}
