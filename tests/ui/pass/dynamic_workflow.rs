//! A dynamic workflow: runs for every workflow type no worker registered,
//! taking its arguments undecoded.

use workflow::{RawValue, WorkflowContext, WorkflowDefinition, WorkflowResult, WorkflowType};

pub struct Fallback {
    seen: usize,
}

#[workflow::defn(dynamic)]
impl Fallback {
    #[workflow::init]
    fn new(args: Vec<RawValue>) -> Self {
        Fallback { seen: args.len() }
    }

    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, args: Vec<RawValue>) -> WorkflowResult<usize> {
        Ok(args.len() + ctx.state(|s| s.seen))
    }

    #[workflow::signal(dynamic)]
    async fn any_signal(ctx: &mut WorkflowContext<Self>, _name: String, args: Vec<RawValue>) {
        ctx.state_mut(|s| s.seen += args.len());
    }
}

fn main() {
    assert!(Fallback::DYNAMIC);
    assert_eq!(Fallback::NAME, "Fallback");
    assert!(Fallback::SIGNALS.is_empty());
    let args = vec![RawValue::new(&1).unwrap(), RawValue::new(&"two").unwrap()];
    let payloads = Fallback::encode_input(args).unwrap();
    assert_eq!(payloads.len(), 2);
    assert_eq!(Fallback::create(&payloads).unwrap().seen, 2);
}
