//! Closed runs older than the retention are deleted; open runs never are.

use std::time::{Duration, Instant};

use workflow::{ClientError, Engine, StartOptions, StoreFile, WorkflowStatus};

use crate::ledger::{Ledger, Plan, TASK_QUEUE};

/// Starts `id` and, with `close`, finishes it.
async fn run(engine: &Engine, id: &str, close: bool) {
    let options = StartOptions::new(id).task_queue(TASK_QUEUE);
    let handle = engine
        .client()
        .start_workflow(Ledger::run, Plan::default(), options)
        .await
        .unwrap();
    if close {
        handle.signal(Ledger::finish, ()).await.unwrap();
        handle.result().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_runs_past_retention_are_deleted_and_then_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("retention.db");
    let retention = Some(Duration::from_millis(300));
    {
        let engine = Engine::builder().retention(retention).open(&path).unwrap();
        let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
        run(&engine, "closed", true).await;
        run(&engine, "open", false).await;
        engine.close();
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    // Opening sweeps once; later sweeps follow while the engine runs.
    let engine = Engine::builder().retention(retention).open(&path).unwrap();
    let client = engine.client();
    let closed = client.get_workflow_handle("closed");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match closed.describe().await {
            Err(ClientError::NotFound { workflow_id }) => {
                assert_eq!(workflow_id, "closed");
                break;
            }
            Ok(d) => assert_eq!(d.status, WorkflowStatus::Completed),
            Err(e) => panic!("{e}"),
        }
        assert!(Instant::now() < deadline, "the closed run was never deleted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(matches!(
        closed.fetch_history().await,
        Err(ClientError::NotFound { .. })
    ));
    let open = client.get_workflow_handle("open").describe().await.unwrap();
    assert_eq!(
        open.status,
        WorkflowStatus::Running,
        "open runs are kept whatever their age"
    );
    // The id is free again.
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    run(&engine, "closed", true).await;
    engine.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prune_deletes_closed_runs_from_another_process_and_keeps_recent_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("prune.db");
    let engine = Engine::builder().retention(None).open(&path).unwrap();
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    for n in 0..450 {
        run(&engine, &format!("done-{n}"), true).await;
    }
    run(&engine, "open", false).await;

    let file = StoreFile::open(&path).unwrap();
    assert_eq!(file.prune(Duration::from_secs(3600)).unwrap(), 0, "none is an hour old");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // More than one batch, while the owner runs.
    assert_eq!(file.prune(Duration::from_millis(10)).unwrap(), 450);
    let left = file.list(&workflow::ListFilter::new()).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].workflow_id, "open");
    let err = engine
        .client()
        .get_workflow_handle("done-7")
        .describe()
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::NotFound { .. }), "{err}");
    engine.close();
}
