//! Four versions of one workflow type, `Reminder`, as a team deploys them
//! in turn:
//!
//! * `ReminderV1`, the deployed code: a 1 ms timer.
//! * `ReminderV2` patches it: `ctx.patched("shorter")` takes a 2 ms timer.
//! * `ReminderV3` deprecates the patch once no run of V1 is open.
//! * `ReminderV4` drops the call once no run of V2 is open.
//!
//! Each takes its branch, waits for the `go` signal and returns the
//! branch's name. `tests/interop/py_worker.py` has V2 in Python.

use std::time::Duration;

use workflow::{EventKind, Marker, WorkflowContext, WorkflowHandle, WorkflowResult};

const OLD: Duration = Duration::from_millis(1);
const NEW: Duration = Duration::from_millis(2);

/// State shared by every version: set by the `go` signal.
#[derive(Default)]
pub struct Gate {
    go: bool,
}

macro_rules! version {
    ($(#[$doc:meta])* $name:ident, |$ctx:ident| $branch:block) => {
        $(#[$doc])*
        #[derive(Default)]
        pub struct $name {
            gate: Gate,
        }

        #[workflow::defn(name = "Reminder")]
        impl $name {
            /// Takes a branch, then waits for `go` and returns the branch's name.
            #[workflow::run]
            async fn run($ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
                let branch: &str = $branch;
                $ctx.wait_condition(|s| s.gate.go).await?;
                Ok(branch.to_owned())
            }

            #[workflow::signal]
            fn go(&mut self) {
                self.gate.go = true;
            }
        }
    };
}

version!(
    /// The deployed code.
    ReminderV1,
    |ctx| {
        ctx.sleep(OLD).await?;
        "old"
    }
);

version!(
    /// The patch: new runs take the shorter timer.
    ReminderV2,
    |ctx| {
        if ctx.patched("shorter") {
            ctx.sleep(NEW).await?;
            "new"
        } else {
            ctx.sleep(OLD).await?;
            "old"
        }
    }
);

version!(
    /// The patch deprecated: only the new code is left.
    ReminderV3,
    |ctx| {
        ctx.deprecate_patch("shorter");
        ctx.sleep(NEW).await?;
        "new"
    }
);

version!(
    /// The call gone.
    ReminderV4,
    |ctx| {
        ctx.sleep(NEW).await?;
        "new"
    }
);

/// Waits until the run has fired its timer and waits for `go`.
pub async fn until_waiting(handle: &WorkflowHandle<ReminderV1>) {
    for _ in 0..1_000 {
        let history = handle.fetch_history().await.unwrap();
        if let Some(fired) = history.events_named("TimerFired").next() {
            let task_after =
                |e: &workflow::Event| e.id > fired.id && matches!(e.kind, EventKind::WorkflowTaskCompleted);
            if history.events.iter().any(task_after) {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the run never got past its timer");
}

/// The patch markers of a run's history, as (id, deprecated).
pub async fn markers(handle: &WorkflowHandle<ReminderV1>) -> Vec<(String, bool)> {
    let history = handle.fetch_history().await.unwrap();
    history
        .events
        .into_iter()
        .filter_map(|e| match e.kind {
            EventKind::MarkerRecorded {
                marker: Marker::Patch { patch_id, deprecated },
            } => Some((patch_id, deprecated)),
            _ => None,
        })
        .collect()
}
