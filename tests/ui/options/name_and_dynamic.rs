use workflow::{RawValue, WorkflowContext};

#[derive(Default)]
struct Anything;

#[workflow::defn(name = "anything", dynamic)]
impl Anything {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>, _args: Vec<RawValue>) {}

    #[workflow::signal(name = "any", dynamic)]
    fn any_signal(&mut self, _name: String, _args: Vec<RawValue>) {}

    #[workflow::query(dynamic, name = "any")]
    fn any_query(&self, name: String, _args: Vec<RawValue>) -> String {
        name
    }

    #[workflow::update(name = "any", dynamic)]
    fn any_update(&mut self, _name: String, _args: Vec<RawValue>) {}
}

#[workflow::activity(name = "any", dynamic)]
async fn any_activity(_name: String, _args: Vec<RawValue>) {}

fn main() {}
