//! Changing a workflow's code while its runs are open, with patches: four
//! versions of one workflow type, deployed in turn, each taking over the
//! runs the previous one left open.
//!
//! * `ReminderV1`, the deployed code: a 1 ms timer.
//! * `ReminderV2` patches it: `ctx.patched("shorter")` takes a 2 ms timer.
//! * `ReminderV3` deprecates the patch once no run of V1 is open.
//! * `ReminderV4` drops the call once no run of V2 is open.

use std::time::Duration;

use workflow::{
    EventKind, Marker, Nondeterminism, ReplayError, Replayer, StartOptions, WorkflowContext, WorkflowHandle,
    WorkflowResult,
};

use crate::support::{matrix, Env};

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
async fn until_waiting(handle: &WorkflowHandle<ReminderV1>) {
    for _ in 0..1_000 {
        let history = handle.fetch_history().await.unwrap();
        if let Some(fired) = history.events_named("TimerFired").next() {
            let after = history.events.iter().filter(|e| e.id > fired.id);
            if after
                .clone()
                .any(|e| matches!(e.kind, EventKind::WorkflowTaskCompleted))
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the run never got past its timer");
}

async fn start(env: &Env, id: &str) -> WorkflowHandle<ReminderV1> {
    let options = StartOptions::new(env.id(id)).task_queue(env.tq("remind"));
    let handle = env.client.start_workflow(ReminderV1::run, (), options).await.unwrap();
    until_waiting(&handle).await;
    handle
}

/// The patch markers of a run's history, as (id, deprecated).
async fn markers(handle: &WorkflowHandle<ReminderV1>) -> Vec<(String, bool)> {
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

async fn finish(handle: &WorkflowHandle<ReminderV1>) -> String {
    handle.signal(ReminderV1::go, ()).await.unwrap();
    handle.result().await.unwrap()
}

matrix! {
    async fn a_patch_keeps_old_runs_on_old_code_and_deprecation_then_removal_replay(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let deploy = |version: fn(workflow::WorkerBuilder) -> workflow::WorkerBuilder| {
            version(env.engine.worker(env.tq("remind"))).start().unwrap()
        };

        let worker = deploy(|w| w.workflow::<ReminderV1>());
        let a = start(&env, "a").await;
        worker.shutdown();

        // V2 takes over a run recorded without the marker: the old branch.
        let worker = deploy(|w| w.workflow::<ReminderV2>());
        let b = start(&env, "b").await;
        assert_eq!(finish(&a).await, "old");
        assert_eq!(markers(&a).await, []);
        assert_eq!(markers(&b).await, [("shorter".to_owned(), false)], "a new run records the marker");
        worker.shutdown();

        // V3 takes over a run recorded with the marker.
        let worker = deploy(|w| w.workflow::<ReminderV3>());
        let c = start(&env, "c").await;
        assert_eq!(finish(&b).await, "new");
        assert_eq!(markers(&c).await, [("shorter".to_owned(), true)]);
        worker.shutdown();

        // V4 passes over the deprecated marker.
        let _worker = deploy(|w| w.workflow::<ReminderV4>());
        let d = start(&env, "d").await;
        assert_eq!(finish(&c).await, "new");
        assert_eq!(finish(&d).await, "new");
        assert_eq!(markers(&d).await, []);

        // The same verdicts from the replayer, on the closed runs' histories.
        let [a, b, c, d] = [
            a.fetch_history().await.unwrap(),
            b.fetch_history().await.unwrap(),
            c.fetch_history().await.unwrap(),
            d.fetch_history().await.unwrap(),
        ];
        let v2 = Replayer::new().workflow::<ReminderV2>();
        let v3 = Replayer::new().workflow::<ReminderV3>();
        let v4 = Replayer::new().workflow::<ReminderV4>();
        for (replayer, history) in [(&v2, &a), (&v2, &b), (&v3, &b), (&v3, &c), (&v3, &d), (&v4, &c), (&v4, &d)] {
            replayer.replay(history).unwrap_or_else(|e| panic!("{} on {}: {e}", history.workflow_id, history.run_id));
        }
        let marker = |h: &workflow::History| h.events_named("MarkerRecorded").next().unwrap().id;
        // The code before the patch does not replay a run recorded with it.
        let v1 = Replayer::new().workflow::<ReminderV1>();
        assert_eq!(
            v1.replay(&b),
            Err(ReplayError::Nondeterminism(Nondeterminism {
                event_id: marker(&b),
                expected: "MarkerRecorded(patch `shorter`)".to_owned(),
                actual: "StartTimer(seq 1, 1ms)".to_owned(),
            }))
        );
        // Nor does code without the call replay a marker that is not deprecated.
        assert_eq!(
            v4.replay(&b),
            Err(ReplayError::Nondeterminism(Nondeterminism {
                event_id: marker(&b),
                expected: "MarkerRecorded(patch `shorter`)".to_owned(),
                actual: "StartTimer(seq 1, 2ms)".to_owned(),
            }))
        );
    }
}
