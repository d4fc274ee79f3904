use workflow::WorkflowContext;

struct Secret(u32);

struct Report {
    total: u32,
}

#[derive(Default)]
struct Counter {
    value: u32,
}

#[workflow::defn]
impl Counter {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal]
    fn add(&mut self, n: Secret) {
        self.value += n.0;
    }

    #[workflow::query]
    fn report(&self) -> Report {
        Report { total: self.value }
    }
}

#[workflow::activity]
async fn reveal(secret: Secret) -> u32 {
    secret.0
}

fn main() {}
