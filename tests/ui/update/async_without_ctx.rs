use workflow::{WorkflowContext, WorkflowResult};

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::update]
    async fn add(&mut self, n: u32) -> WorkflowResult<u32> {
        self.value += n;
        Ok(self.value)
    }

    #[workflow::update]
    async fn double(n: u32) -> u32 {
        n * 2
    }
}

fn main() {}
