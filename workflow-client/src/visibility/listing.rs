//! What a visibility query lists: one summary per run, a page at a time.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Payload, SearchAttributes, WorkflowStatus};

/// One run, as [`Client::list_workflows`](crate::Client::list_workflows)
/// lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkflowSummary {
    /// The workflow id.
    pub workflow_id: String,
    /// The run id.
    pub run_id: String,
    /// The workflow type.
    pub workflow_type: String,
    /// The task queue.
    pub task_queue: String,
    /// Its status.
    pub status: WorkflowStatus,
    /// When the run started, in ms since the Unix epoch.
    pub start_time_ms: u64,
    /// When it closed, if it has.
    pub close_time_ms: Option<u64>,
    /// Its memo.
    pub memo: BTreeMap<String, Payload>,
    /// Its search attributes.
    pub search_attributes: SearchAttributes,
}

/// One page of a listing, and where the next one starts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkflowPage {
    /// The runs of this page, in the query's order.
    pub runs: Vec<WorkflowSummary>,
    /// The token of the next page; `None` on the last one.
    pub next_page_token: Option<Vec<u8>>,
}
