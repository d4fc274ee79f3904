use workflow::WorkflowContext;

#[derive(Default)]
struct Counter;

#[workflow::defn]
impl Counter {
    #[workflow::run]
    fn run(_ctx: &mut WorkflowContext<Self>) -> u32 {
        0
    }
}

fn main() {}
