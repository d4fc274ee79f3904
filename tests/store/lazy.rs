//! Opening a file loads only runs with work; an idle run loads on first touch.

use std::time::Duration;

use workflow::{Engine, StartOptions};

use crate::capture;
use crate::ledger::{Ledger, Plan, TASK_QUEUE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loads_only_runs_with_work_and_idle_runs_on_first_touch() {
    capture::install();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lazy.db");
    {
        let engine = Engine::open(&path).unwrap();
        let worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
        let client = engine.client();
        for n in 0..40 {
            let options = StartOptions::new(format!("idle-{n}")).task_queue(TASK_QUEUE);
            let handle = client
                .start_workflow(Ledger::run, Plan::default(), options)
                .await
                .unwrap();
            handle.signal(Ledger::add, format!("e{n}")).await.unwrap();
            // Once answered, the signal has been through a workflow task.
            assert_eq!(handle.query(Ledger::entries, ()).await.unwrap(), [format!("e{n}")]);
        }
        let plan = Plan {
            sleep_ms: 3_600_000,
            ..Plan::default()
        };
        let options = StartOptions::new("sleeper").task_queue(TASK_QUEUE);
        let sleeper = client.start_workflow(Ledger::run, plan, options).await.unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while sleeper
            .fetch_history()
            .await
            .unwrap()
            .events_named("TimerStarted")
            .next()
            .is_none()
        {
            assert!(std::time::Instant::now() < deadline, "the timer never started");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Two runs get input no workflow task has taken: work at the next open.
        worker.shutdown();
        for n in [3, 7] {
            let handle = client.get_workflow_handle_for(Ledger::run, format!("idle-{n}"));
            handle.signal(Ledger::add, "pending".to_owned()).await.unwrap();
        }
        engine.close();
    }

    let engine = Engine::open(&path).unwrap();
    let opened = capture::last_open(&path);
    assert_eq!(opened.runs, 2, "only the two runs with input are loaded: {opened:?}");
    assert_eq!(
        opened.timers, 1,
        "the pending timer is on the agenda, its run is not loaded"
    );

    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let client = engine.client();
    let pending = client.get_workflow_handle_for(Ledger::run, "idle-7");
    assert_eq!(pending.query(Ledger::entries, ()).await.unwrap(), ["e7", "pending"]);
    // An idle run is loaded (and replayed) when a signal reaches it.
    let idle = client.get_workflow_handle_for(Ledger::run, "idle-21");
    idle.signal(Ledger::add, "later".to_owned()).await.unwrap();
    idle.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(idle.result().await.unwrap(), ["e21", "later"]);
    let d = client.get_workflow_handle("idle-30").describe().await.unwrap();
    // Started, a task with its patch marker, the signal, the task that took it.
    assert_eq!((d.history_length, d.signals_received), (5, 1), "{d:?}");
    engine.close();
}
