use workflow::{RawValue, WorkflowContext};

#[derive(Default)]
struct Anything;

#[workflow::defn]
impl Anything {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(dynamic)]
    fn first(&mut self, _name: String, _args: Vec<RawValue>) {}

    #[workflow::signal(dynamic)]
    fn second(&mut self, _name: String, _args: Vec<RawValue>) {}
}

fn main() {}
