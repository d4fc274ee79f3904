//! A handle to one schedule: describe, pause, unpause, trigger, update,
//! delete.

use std::sync::Arc;

use super::definition::{Schedule, ScheduleDescription, ScheduleOp, ScheduleReply};
use super::policy::OverlapPolicy;
use crate::backend::Backend;
use crate::error::ClientError;

/// A schedule, by id (no call is made until a method is).
///
/// ```
/// # use workflow_client::{Client, ClientError};
/// async fn hold_reports(client: &Client) -> Result<(), ClientError> {
///     let nightly = client.get_schedule_handle("nightly");
///     nightly.pause("month-end freeze").await?;
///     let described = nightly.describe().await?;
///     assert!(described.paused);
///     Ok(())
/// }
/// ```
#[derive(Clone)]
pub struct ScheduleHandle {
    pub(crate) backend: Arc<dyn Backend>,
    pub(crate) schedule_id: String,
}

impl ScheduleHandle {
    /// The schedule's id.
    pub fn id(&self) -> &str {
        &self.schedule_id
    }

    async fn call(&self, op: ScheduleOp) -> Result<ScheduleReply, ClientError> {
        self.backend.schedule(self.schedule_id.clone(), op).await
    }

    /// Its definition, state, recent actions and next times.
    pub async fn describe(&self) -> Result<ScheduleDescription, ClientError> {
        match self.call(ScheduleOp::Describe).await? {
            ScheduleReply::Description(d) => Ok(*d),
            ScheduleReply::Done => Err(ClientError::Server {
                message: "describing a schedule gave no description".to_owned(),
            }),
        }
    }

    /// Stops it firing until unpaused.
    pub async fn pause(&self, note: impl Into<String>) -> Result<(), ClientError> {
        self.call(ScheduleOp::Pause(note.into())).await.map(drop)
    }

    /// Lets it fire again; the times it missed while paused do not run.
    pub async fn unpause(&self, note: impl Into<String>) -> Result<(), ClientError> {
        self.call(ScheduleOp::Unpause(note.into())).await.map(drop)
    }

    /// Starts its action now (also while paused), under `overlap` or the
    /// schedule's own policy.
    pub async fn trigger(&self, overlap: Option<OverlapPolicy>) -> Result<(), ClientError> {
        self.call(ScheduleOp::Trigger(overlap)).await.map(drop)
    }

    /// Replaces its spec, action and policies; times already past are not
    /// caught up under the new spec.
    pub async fn update(&self, schedule: Schedule) -> Result<(), ClientError> {
        let definition = schedule.into_definition()?;
        self.call(ScheduleOp::Update(Box::new(definition))).await.map(drop)
    }

    /// Deletes it; the workflows it started run on.
    pub async fn delete(&self) -> Result<(), ClientError> {
        self.call(ScheduleOp::Delete).await.map(drop)
    }
}
