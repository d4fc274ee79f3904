//! A full disk (or a file at its size cap) fails the call whose commit
//! needs the space, with a typed error; nothing acknowledged is lost, the
//! file opens and reads, and the engine serves again once space returns.

use std::path::Path;
use std::time::Duration;

use workflow::{ClientError, Engine, EngineBuilder, StartOptions, StoreFile, WorkflowHandle};

use crate::ledger::{Ledger, Plan, TASK_QUEUE};

/// An entry of about `ENTRY_BYTES`, numbered.
const ENTRY_BYTES: usize = 16 * 1024;

fn entry(n: usize) -> String {
    format!("{n:06}{}", "x".repeat(ENTRY_BYTES))
}

fn is_full(e: &ClientError) -> bool {
    matches!(e, ClientError::Storage(message) if message.contains("full"))
}

/// Signals entries from `from` on until one fails for want of space;
/// returns the next entry's number (the first one not acknowledged).
async fn fill(handle: &WorkflowHandle<Ledger>, from: usize) -> usize {
    for n in from..from + 10_000 {
        match handle.signal(Ledger::add, entry(n)).await {
            Ok(()) => {}
            Err(e) if is_full(&e) => return n,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    panic!("the store never filled up");
}

/// Signals `count` entries from `from` on; all must be acknowledged.
async fn add(handle: &WorkflowHandle<Ledger>, from: usize, count: usize) -> usize {
    for n in from..from + count {
        handle.signal(Ledger::add, entry(n)).await.unwrap();
    }
    from + count
}

/// Finishes the ledger on a fresh engine without limits and checks that
/// it holds exactly the acknowledged entries, in order.
async fn check_ledger(path: &Path, acknowledged: &[usize]) {
    let engine = Engine::builder().retention(None).open(path).unwrap();
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let handle = engine.client().get_workflow_handle_for(Ledger::run, "ledger");
    handle.signal(Ledger::finish, ()).await.unwrap();
    let entries = handle.result().await.unwrap();
    let expected: Vec<String> = acknowledged.iter().map(|n| entry(*n)).collect();
    assert_eq!(entries.len(), expected.len());
    assert!(entries == expected, "every acknowledged entry, in order, and no other");
    engine.close();
}

async fn start_ledger(engine: &Engine) -> WorkflowHandle<Ledger> {
    let options = StartOptions::new("ledger").task_queue(TASK_QUEUE);
    engine
        .client()
        .start_workflow(Ledger::run, Plan::default(), options)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_at_its_cap_fails_calls_loses_nothing_and_serves_once_space_is_freed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capped.db");
    let builder = || EngineBuilder::new().retention(None).max_store_bytes(1024 * 1024);
    let engine = builder().open(&path).unwrap();
    let _worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    // Closed runs holding space that pruning can free later.
    for n in 0..8 {
        let options = StartOptions::new(format!("old-{n}")).task_queue(TASK_QUEUE);
        let plan = Plan {
            carried: vec![entry(n); 2],
            ..Plan::default()
        };
        let old = engine
            .client()
            .start_workflow(Ledger::run, plan, options)
            .await
            .unwrap();
        old.signal(Ledger::finish, ()).await.unwrap();
        old.result().await.unwrap();
    }
    let ledger = start_ledger(&engine).await;
    let full_at = fill(&ledger, 0).await;
    assert!(full_at > 5, "some entries fit first");
    let err = ledger.signal(Ledger::add, entry(full_at)).await.unwrap_err();
    assert!(is_full(&err), "still full: {err}");
    // Reads work on a full file.
    assert_eq!(ledger.describe().await.unwrap().signals_received, full_at as u64);

    tokio::time::sleep(Duration::from_millis(20)).await;
    let freed = StoreFile::open(&path)
        .unwrap()
        .prune(Duration::from_millis(10))
        .unwrap();
    assert_eq!(freed, 8);
    let next = add(&ledger, full_at, 10).await;
    engine.close();

    let acknowledged: Vec<usize> = (0..next).collect();
    check_ledger(&path, &acknowledged).await;
}

/// The same on a real file system that fills up: `.ci/run` mounts a small
/// tmpfs and names it in `WORKFLOW_SMALL_FS`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_calls_loses_nothing_opens_and_serves_once_space_returns() {
    let Some(fs) = std::env::var_os("WORKFLOW_SMALL_FS") else {
        eprintln!("skipped: WORKFLOW_SMALL_FS is unset (.ci/run mounts a small tmpfs for this test)");
        return;
    };
    let dir = tempfile::tempdir_in(fs).unwrap();
    let path = dir.path().join("full.db");
    // Space given back later, as an operator would by deleting files.
    let ballast = dir.path().join("ballast");
    std::fs::write(&ballast, vec![0u8; 3 * 1024 * 1024]).unwrap();

    let engine = Engine::builder().retention(None).open(&path).unwrap();
    let worker = engine.worker(TASK_QUEUE).workflow::<Ledger>().start().unwrap();
    let ledger = start_ledger(&engine).await;
    let full_at = fill(&ledger, 0).await;
    let err = ledger.signal(Ledger::add, entry(full_at)).await.unwrap_err();
    assert!(is_full(&err), "still full: {err}");
    worker.shutdown();
    engine.close();

    // The file opens and reads on the full disk.
    let engine = Engine::builder().retention(None).open(&path).unwrap();
    let ledger = engine.client().get_workflow_handle_for(Ledger::run, "ledger");
    assert_eq!(ledger.describe().await.unwrap().signals_received, full_at as u64);
    let history = ledger.fetch_history().await.unwrap();
    assert_eq!(history.events_named("WorkflowExecutionSignaled").count(), full_at);

    std::fs::remove_file(&ballast).unwrap();
    // Not one more: many more commit once space is back.
    let next = add(&ledger, full_at, 40).await;
    engine.close();

    let acknowledged: Vec<usize> = (0..next).collect();
    check_ledger(&path, &acknowledged).await;
}
