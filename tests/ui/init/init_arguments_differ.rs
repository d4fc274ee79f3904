use workflow::WorkflowContext;

struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::init]
    fn new(start: u64) -> Self {
        Counter { value: start as u32 }
    }

    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, _start: u32) -> u32 {
        ctx.state(|s| s.value)
    }
}

struct Named {
    name: String,
}

#[workflow::defn]
impl Named {
    #[workflow::init]
    fn new() -> Self {
        Named { name: String::new() }
    }

    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, _name: String) -> String {
        ctx.state(|s| s.name.clone())
    }
}

fn main() {}
