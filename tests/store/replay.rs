//! Replaying every run of a workflow file, or a directory of exported
//! histories, against changed code: the check before a deploy.

use workflow::{Engine, ReplayError, Replayer, StartOptions};

#[allow(dead_code)]
#[path = "../semantics/reminder.rs"]
mod reminder;

use reminder::{until_waiting, ReminderV1, ReminderV2, ReminderV4};

/// More than a page of the file's run walk.
const RUNS: usize = 620;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_run_of_a_live_file_replays_and_changed_code_is_named_per_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reminders.db");
    let engine = Engine::open(&path).unwrap();
    let _worker = engine.worker("remind").workflow::<ReminderV1>().start().unwrap();
    let client = engine.client();
    let mut handles = Vec::new();
    for i in 0..RUNS {
        let options = StartOptions::new(format!("reminder-{i}")).task_queue("remind");
        handles.push(client.start_workflow(ReminderV1::run, (), options).await.unwrap());
    }
    for handle in &handles {
        until_waiting(handle).await;
    }
    for handle in &handles[..10] {
        handle.signal(ReminderV1::go, ()).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), "old");
    }

    // The file stays owned by the running engine throughout.
    let report = Replayer::new().workflow::<ReminderV1>().replay_store(&path).unwrap();
    assert_eq!((report.runs.len(), report.is_ok()), (RUNS, true), "{report}");
    let patched = Replayer::new().workflow::<ReminderV2>().replay_store(&path).unwrap();
    assert!(patched.is_ok(), "the patch keeps every run on its code: {patched}");

    let changed = Replayer::new().workflow::<ReminderV4>().replay_store(&path).unwrap();
    assert_eq!(changed.failures().count(), RUNS, "{changed}");
    let first = changed.failures().next().unwrap();
    assert_eq!(first.workflow_id, "reminder-0");
    assert!(
        matches!(&first.outcome, Err(ReplayError::Nondeterminism(n)) if n.expected == "TimerStarted(seq 1, 1ms)"),
        "{first}"
    );
    let text = changed.to_string();
    assert!(
        text.starts_with(&format!("{RUNS} runs replayed, {RUNS} did not")),
        "{text}"
    );
    assert!(
        text.contains("reminder-0 (run ")
            && text.contains("history has TimerStarted(seq 1, 1ms), workflow code issued StartTimer(seq 1, 2ms)"),
        "{text}"
    );

    let missing = Replayer::new().replay_store(dir.path().join("nothing-here.db"));
    assert!(matches!(missing, Err(ReplayError::Source { .. })), "{missing:?}");
    engine.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_of_exported_histories_replays_file_by_file() {
    let engine = Engine::in_memory().unwrap();
    let _worker = engine.worker("remind").workflow::<ReminderV2>().start().unwrap();
    let client = engine.client();
    let exports = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let options = StartOptions::new(format!("reminder-{i}")).task_queue("remind");
        let handle = client.start_workflow(ReminderV1::run, (), options).await.unwrap();
        until_waiting(&handle).await;
        let history = handle.fetch_history().await.unwrap();
        std::fs::write(exports.path().join(format!("reminder-{i}.json")), history.to_json()).unwrap();
    }
    std::fs::write(exports.path().join("broken.json"), "{ not a history").unwrap();
    std::fs::write(exports.path().join("README.txt"), "not read").unwrap();

    let report = Replayer::new()
        .workflow::<ReminderV2>()
        .replay_dir(exports.path())
        .unwrap();
    assert_eq!(report.runs.len(), 4, "{report}");
    let failed: Vec<_> = report.failures().collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert_eq!(
        failed[0].source.as_deref(),
        Some(exports.path().join("broken.json").as_path())
    );
    assert!(matches!(failed[0].outcome, Err(ReplayError::History(_))));

    // The code before the patch does not replay what the patched code recorded.
    let old = Replayer::new()
        .workflow::<ReminderV1>()
        .replay_dir(exports.path())
        .unwrap();
    assert_eq!(old.failures().count(), 4, "{old}");
    let missing = Replayer::new().replay_dir(exports.path().join("absent"));
    assert!(matches!(missing, Err(ReplayError::Source { .. })), "{missing:?}");
}
