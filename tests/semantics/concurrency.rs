//! Racing and joining workflow futures: `futures`' ordered combinators
//! replay identically, and the future that loses a race is canceled, with
//! the cancellation in history; a child is canceled on its own.

use std::time::Duration;

use workflow::futures::future::{join_all, FutureExt};
use workflow::futures::{join, pin_mut, select_biased};
use workflow::{
    ActivityOptions, ChildWorkflowOptions, EventKind, Failure, Replayer, StartOptions, WorkflowContext, WorkflowError,
    WorkflowResult, WorkflowStatus,
};

use crate::support::{matrix, Env};
use crate::workflows::{slow, Counter};

const HOUR: Duration = Duration::from_secs(3600);

fn options() -> ActivityOptions {
    ActivityOptions::start_to_close(Duration::from_secs(30))
}

/// Races a timer against an activity both ways, then joins activities.
#[derive(Default)]
pub struct Racer;

#[workflow::defn]
impl Racer {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<String>> {
        let mut outcomes = Vec::new();

        // An activity against an hour-long timer: the timer is canceled.
        let timer = ctx.sleep(HOUR).fuse();
        let quick = ctx.execute_activity(slow, 1, options()).fuse();
        pin_mut!(timer, quick);
        outcomes.push(select_biased! {
            done = quick => format!("activity {}", done?),
            _ = timer => "timer".to_owned(),
        });

        // A short timer against a long activity: the activity is canceled.
        let timer = ctx.sleep(Duration::from_millis(10)).fuse();
        let long = ctx.execute_activity(slow, 2_000, options()).fuse();
        pin_mut!(timer, long);
        outcomes.push(select_biased! {
            done = long => format!("activity {}", done?),
            _ = timer => "timer".to_owned(),
        });

        // Joined: both results, in the order written.
        let (a, b) = join!(
            ctx.execute_activity(slow, 3, options()),
            ctx.execute_activity(slow, 4, options())
        );
        outcomes.push(format!("joined {} {}", a?, b?));
        let all = join_all((5..8).map(|n| ctx.execute_activity(slow, n, options()))).await;
        let all: Vec<String> = all
            .into_iter()
            .map(|r| r.map(|n| n.to_string()))
            .collect::<WorkflowResult<_>>()?;
        outcomes.push(format!("all {}", all.join(" ")));
        Ok(outcomes)
    }
}

matrix! {
    async fn a_race_cancels_its_loser_in_history_and_replays(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("race")).workflow::<Racer>().activity(slow).start().unwrap();
        let options = StartOptions::new(env.id("race")).task_queue(env.tq("race"));
        let handle = env.client.start_workflow(Racer::run, (), options).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), ["activity 1", "timer", "joined 3 4", "all 5 6 7"]);

        let history = handle.fetch_history().await.unwrap();
        let canceled_timers: Vec<u32> = history
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::TimerCanceled { seq } => Some(seq),
                _ => None,
            })
            .collect();
        assert_eq!(canceled_timers, [1], "the hour-long timer that lost");
        let cancel_requested: Vec<u32> = history
            .events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::ActivityTaskCancelRequested { seq } => Some(seq),
                _ => None,
            })
            .collect();
        assert_eq!(cancel_requested.len(), 1, "the long activity that lost");
        Replayer::new().workflow::<Racer>().replay(&history).unwrap();
    }
}

/// Starts a child that waits for ever, then cancels it on its own.
#[derive(Default)]
pub struct Abandoner;

#[workflow::defn]
impl Abandoner {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<String> {
        let id = format!("{}-child", ctx.info().workflow_id);
        let child = ctx
            .start_child_workflow(Counter::run, (), ChildWorkflowOptions::new(id))
            .await?;
        child.cancel().await?;
        match child.result().await {
            Err(WorkflowError::Failed(Failure::ChildWorkflow { cause, .. })) if *cause == Failure::Canceled => {
                Ok("child canceled".to_owned())
            }
            other => Ok(format!("unexpected: {other:?}")),
        }
    }
}

matrix! {
    async fn a_child_is_canceled_on_its_own_and_the_parent_goes_on(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("race")).workflow::<Abandoner>().workflow::<Counter>().start().unwrap();
        let options = StartOptions::new(env.id("abandon")).task_queue(env.tq("race"));
        let handle = env.client.start_workflow(Abandoner::run, (), options).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), "child canceled");
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("RequestCancelExternalWorkflowExecutionInitiated").count(), 1);
        let child = env.client.get_workflow_handle(format!("{}-child", env.id("abandon")));
        assert_eq!(child.describe().await.unwrap().status, WorkflowStatus::Canceled);
    }
}

/// Drops a timer in the activation that started it.
#[derive(Default)]
pub struct Hasty;

#[workflow::defn]
impl Hasty {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        drop(ctx.sleep(HOUR));
        ctx.sleep(Duration::from_millis(1)).await
    }
}

matrix! {
    async fn a_timer_dropped_where_it_started_is_left_alone_on_every_engine(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("race")).workflow::<Hasty>().start().unwrap();
        let options = StartOptions::new(env.id("hasty")).task_queue(env.tq("race"));
        let handle = env.client.start_workflow(Hasty::run, (), options).await.unwrap();
        handle.result().await.unwrap();
        // Temporal sends the start and records no cancellation of a command
        // not yet sent; the embedded engine does the same.
        let history = handle.fetch_history().await.unwrap();
        assert_eq!(history.events_named("TimerStarted").count(), 2);
        assert_eq!(history.events_named("TimerCanceled").count(), 0);
        Replayer::new().workflow::<Hasty>().replay(&history).unwrap();
    }
}
