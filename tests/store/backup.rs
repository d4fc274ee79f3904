//! `StoreFile::backup` copies a file while its owner runs; the copy opens
//! and carries on.

use workflow::{Engine, StartOptions, StoreFile};

use crate::ledger::{Ledger, Plan, TASK_QUEUE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_taken_while_the_owner_runs_opens_and_continues() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("live.db");
    let copy = dir.path().join("copy.db");
    let engine = Engine::open(&path).unwrap();
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let client = engine.client();
    let options = StartOptions::new("ledger").task_queue(TASK_QUEUE);
    let handle = client
        .start_workflow(Ledger::run, Plan::default(), options)
        .await
        .unwrap();
    for n in 0..100 {
        handle.signal(Ledger::add, format!("before-{n}")).await.unwrap();
    }
    // Signals keep arriving while the copy is taken.
    let writer = {
        let handle = handle.clone();
        tokio::spawn(async move {
            for n in 0..200 {
                handle.signal(Ledger::add, format!("during-{n}")).await.unwrap();
            }
        })
    };
    StoreFile::open(&path).unwrap().backup(&copy).unwrap();
    writer.await.unwrap();
    let err = StoreFile::open(&path).unwrap().backup(&copy).unwrap_err();
    assert!(err.to_string().contains("exists"), "{err}");
    engine.close();

    let restored = Engine::open(&copy).unwrap();
    let _worker = restored.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let handle = restored.client().get_workflow_handle_for(Ledger::run, "ledger");
    handle.signal(Ledger::finish, ()).await.unwrap();
    let entries = handle.result().await.unwrap();
    let expected: Vec<String> = (0..100).map(|n| format!("before-{n}")).collect();
    assert_eq!(
        entries[..100],
        expected[..],
        "everything before the backup is in the copy"
    );
    // The copy is a consistent snapshot: a prefix of the signals sent during it, in order.
    let during: Vec<String> = (0..entries.len() - 100).map(|n| format!("during-{n}")).collect();
    assert_eq!(entries[100..], during[..]);
    restored.close();
}
