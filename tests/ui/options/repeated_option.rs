use workflow::WorkflowContext;

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(name = "a", name = "b")]
    fn add(&mut self, n: u32) {
        self.value += n;
    }
}

#[workflow::activity(dynamic, dynamic)]
async fn any_activity(_name: String, _args: Vec<workflow::RawValue>) {}

fn main() {}
