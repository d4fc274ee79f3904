//! A run whose history cannot be decoded is marked; the rest of the file
//! opens and works.

use std::time::{Duration, Instant};

use workflow::{Engine, ListFilter, StartOptions, StoreFile, WorkflowStatus};

use crate::ledger::{Ledger, Plan, TASK_QUEUE};

/// Overwrites event `event` of the run of `workflow_id` with bytes no record decodes.
fn corrupt(path: &std::path::Path, workflow_id: &str, event: u64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let changed = conn
        .execute(
            "UPDATE events SET data = x'ff00ff' WHERE id = ?2 AND run_key =
                 (SELECT run_key FROM workflows WHERE workflow_id = ?1)",
            rusqlite::params![workflow_id, event as i64],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_history_marks_only_its_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("contained.db");
    {
        let engine = Engine::open(&path).unwrap();
        let worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
        let client = engine.client();
        for id in ["healthy", "broken", "broken-idle"] {
            let options = StartOptions::new(id).task_queue(TASK_QUEUE);
            let handle = client
                .start_workflow(Ledger::run, Plan::default(), options)
                .await
                .unwrap();
            handle.signal(Ledger::add, "a".to_owned()).await.unwrap();
            assert_eq!(handle.query(Ledger::entries, ()).await.unwrap(), ["a"]);
        }
        worker.shutdown();
        // Input waiting for a workflow task: `broken` is loaded at open.
        let broken = client.get_workflow_handle("broken");
        broken.signal_by_name("add", ("b",)).await.unwrap();
        engine.close();
    }
    corrupt(&path, "broken", 3);
    corrupt(&path, "broken-idle", 3);

    let engine = Engine::open(&path).expect("one bad run does not stop the file from opening");
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let client = engine.client();

    let healthy = client.get_workflow_handle_for(Ledger::run, "healthy");
    healthy.signal(Ledger::finish, ()).await.unwrap();
    assert_eq!(healthy.result().await.unwrap(), ["a"]);

    for id in ["broken", "broken-idle"] {
        let handle = client.get_workflow_handle(id);
        // Signals are still recorded; the run waits for a fix, as after nondeterminism.
        handle.signal_by_name("add", ("c",)).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let failure = loop {
            let d = handle.describe().await.unwrap();
            assert_eq!(d.status, WorkflowStatus::Running);
            if let Some(failure) = d.task_failure {
                break failure;
            }
            assert!(Instant::now() < deadline, "{id} was never marked");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(failure.contains("history event 3 cannot be decoded"), "{id}: {failure}");
    }

    // Other processes see the mark too.
    let file = StoreFile::open(&path).unwrap();
    let runs = file.list(&ListFilter::new()).unwrap();
    let marked: Vec<&str> = runs
        .iter()
        .filter(|r| r.task_failure.is_some())
        .map(|r| r.workflow_id.as_str())
        .collect();
    assert_eq!(marked.len(), 2, "{runs:?}");
    assert!(marked.contains(&"broken") && marked.contains(&"broken-idle"));
    engine.close();
}
