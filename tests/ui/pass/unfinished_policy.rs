//! `unfinished_policy` on signal and update handlers, static and dynamic:
//! the abandoned ones are listed by wire name, a dynamic one as "*".

use workflow::{RawValue, WorkflowContext, WorkflowDefinition};

#[derive(Default)]
struct Jobs;

#[workflow::defn]
impl Jobs {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(unfinished_policy = "abandon")]
    async fn work(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal(name = "rest", unfinished_policy = "warn_and_abandon")]
    async fn pause(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::update(name = "drain", unfinished_policy = "abandon")]
    async fn flush(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::update(dynamic, unfinished_policy = "abandon")]
    async fn any_update(_ctx: &mut WorkflowContext<Self>, _name: String, _args: Vec<RawValue>) {}
}

#[derive(Default)]
struct Plain;

#[workflow::defn]
impl Plain {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) {}

    #[workflow::signal]
    async fn work(_ctx: &mut WorkflowContext<Self>) {}
}

fn main() {
    assert_eq!(Jobs::ABANDON_UNFINISHED, ["work", "drain", "*"]);
    assert!(Plain::ABANDON_UNFINISHED.is_empty());
}
