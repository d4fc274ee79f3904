//! Changing a workflow's code while its runs are open, with patches: the
//! four versions of `Reminder` deployed in turn, each taking over the runs
//! the previous one left open.

use workflow::{Nondeterminism, ReplayError, Replayer, StartOptions, WorkflowHandle};

use crate::reminder::{markers, until_waiting, ReminderV1, ReminderV2, ReminderV3, ReminderV4};
use crate::support::{matrix, Env};

async fn start(env: &Env, id: &str) -> WorkflowHandle<ReminderV1> {
    let options = StartOptions::new(env.id(id)).task_queue(env.tq("remind"));
    let handle = env.client.start_workflow(ReminderV1::run, (), options).await.unwrap();
    until_waiting(&handle).await;
    handle
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
