use workflow::WorkflowContext;

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn(nme = "counter")]
impl Counter {
    #[workflow::run(name = "start")]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(rename = "plus")]
    fn add(&mut self, n: u32) {
        self.value += n;
    }
}

fn main() {}
