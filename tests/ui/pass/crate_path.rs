//! A crate that reaches the facade through a re-export names it with `crate = "..."`.

mod reexport {
    pub use workflow as wf;
}

use reexport::wf::{WorkflowContext, WorkflowType};

#[derive(Default)]
pub struct Renamed;

#[reexport::wf::defn(name = "renamed-workflow", crate = "crate::reexport::wf")]
impl Renamed {
    #[reexport::wf::run]
    async fn run(_ctx: &WorkflowContext<Self>, n: u32) -> u32 {
        n + 1
    }
}

#[reexport::wf::activity(crate = "crate::reexport::wf")]
async fn double(n: u32) -> u32 {
    n * 2
}

fn main() {
    assert_eq!(Renamed::NAME, "renamed-workflow");
    assert_eq!(Renamed::run.name(), "renamed-workflow");
    assert_eq!(double.name(), "double");
}
