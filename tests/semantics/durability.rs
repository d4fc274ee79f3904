use workflow::{Engine, StartOptions};

use crate::workflows::*;

/// An engine on a file, closed mid-workflow and reopened, continues the run
/// with every acknowledged signal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reopened_store_continues_the_run_with_all_acknowledged_signals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("durable.db");
    {
        let engine = Engine::open(&path).unwrap();
        let _worker = engine.worker("d").workflow::<Counter>().start().unwrap();
        let client = engine.client();
        let handle = client
            .start_workflow(Counter::run, (), StartOptions::new("dur").task_queue("d"))
            .await
            .unwrap();
        for n in 0..50 {
            handle.signal(Counter::add, n).await.unwrap();
        }
        engine.close();
    }
    {
        let engine = Engine::open(&path).unwrap();
        let client = engine.client();
        let handle = client.get_workflow_handle_for(Counter::run, "dur");
        // Signals are accepted while no worker runs, and wait in history.
        for n in 50..60 {
            handle.signal(Counter::add, n).await.unwrap();
        }
        engine.close();
    }
    let engine = Engine::open(&path).unwrap();
    let _worker = engine.worker("d").workflow::<Counter>().start().unwrap();
    let handle = engine.client().get_workflow_handle_for(Counter::run, "dur");
    handle.signal(Counter::finish, ()).await.unwrap();
    assert_eq!(handle.result().await.unwrap(), (0..60).collect::<Vec<u64>>());
}

/// A second engine on a file already in use is refused at open, so no run is
/// applied twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_engine_on_the_same_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("owned.db");
    let first = Engine::open(&path).unwrap();
    let second = Engine::open(&path).err().expect("the file is in use");
    assert!(second.to_string().contains("owned.db"), "{second}");
    first.close();
    Engine::open(&path).expect("free again once the first engine closed");
}
