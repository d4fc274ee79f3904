//! Schedules on every engine: created, fired by the clock, described,
//! paused, triggered, updated, listed and deleted.

use std::time::Duration;

use workflow::schedule::{OverlapPolicy, Schedule, ScheduleDescription, ScheduleHandle};
use workflow::{ClientError, StartOptions, WorkflowContext, WorkflowResult};

use crate::support::{matrix, Env};

/// Returns at once.
#[derive(Default)]
struct Tick;

#[workflow::defn]
impl Tick {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        Ok(())
    }
}

/// The schedule's description once `done` holds of it (15 s at most).
async fn described_when(
    handle: &ScheduleHandle,
    what: &str,
    done: impl Fn(&ScheduleDescription) -> bool,
) -> ScheduleDescription {
    for _ in 0..150 {
        let described = handle.describe().await.unwrap();
        if done(&described) {
            return described;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the schedule never showed {what}");
}

matrix! {
    async fn a_schedule_fires_and_is_managed(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("ticks")).workflow::<Tick>().start().unwrap();
        let id = env.id("every-second");
        let options = || StartOptions::new(env.id("tick")).task_queue(env.tq("ticks"));
        let schedule = || Schedule::every(Duration::from_secs(1)).start(Tick::run, (), options()).overlap(OverlapPolicy::AllowAll);
        let handle = env.client.create_schedule(&id, schedule()).await.unwrap();
        let again = env.client.create_schedule(&id, schedule()).await.err();
        assert!(matches!(again, Some(ClientError::ScheduleAlreadyExists { .. })), "{again:?}");

        let fired = described_when(&handle, "two actions", |d| d.info.num_actions >= 2).await;
        let started = &fired.info.recent_actions[0].workflow_id;
        let prefix = format!("{}-", options().workflow_id());
        assert!(started.starts_with(&prefix) && started.ends_with('Z'), "{started}");
        assert_eq!(fired.definition.action.workflow_type, "Tick");
        assert!(!fired.next_action_times_ms.is_empty());

        handle.pause("maintenance").await.unwrap();
        let paused = described_when(&handle, "the pause", |d| d.paused).await;
        assert_eq!(paused.note, "maintenance");
        handle.trigger(None).await.unwrap();
        described_when(&handle, "the triggered action", |d| d.info.num_actions > paused.info.num_actions).await;
        handle.unpause("done").await.unwrap();
        described_when(&handle, "the unpause", |d| !d.paused).await;

        let nightly = Schedule::cron("0 3 * * *").start(Tick::run, (), options());
        handle.update(nightly).await.unwrap();
        let updated = described_when(&handle, "the new spec", |d| !d.definition.spec.cron.is_empty()).await;
        assert!(updated.definition.spec.intervals.is_empty());

        let listed = env.client.list_schedules().await.unwrap();
        assert!(listed.iter().any(|s| s.schedule_id == id && s.workflow_type == "Tick"), "{listed:?}");
        handle.delete().await.unwrap();
        let gone = handle.describe().await.err();
        assert!(matches!(gone, Some(ClientError::ScheduleNotFound { .. })), "{gone:?}");
    }
}
