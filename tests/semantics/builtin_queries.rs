//! The queries every run answers without a handler, as Temporal's SDKs do:
//! `__stack_trace` (what each routine waits on) and
//! `__temporal_workflow_metadata` (the handlers with their doc comments, and
//! the run's current details).

use serde_json::{json, Value};
use workflow::StartOptions;

use crate::support::{matrix, Env};
use crate::workflows::Approval;

matrix! {
    async fn the_stack_trace_names_what_each_routine_waits_on(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("builtin")).workflow::<Approval>().start().unwrap();
        let options = StartOptions::new(env.id("stack")).task_queue(env.tq("builtin"));
        let handle = env.client.start_workflow(Approval::run, (), options).await.unwrap();
        handle.signal(Approval::remind, ()).await.unwrap();
        let trace: String = handle.query_by_name("__stack_trace", ()).await.unwrap();
        assert_eq!(
            trace,
            "run: waiting on a condition, timer 1 (3600s)\nsignal `remind`: waiting on timer 2 (60s)"
        );
        let before = handle.fetch_history().await.unwrap().events.len();
        handle.signal(Approval::approve, ()).await.unwrap();
        assert!(handle.result().await.unwrap());
        assert!(handle.fetch_history().await.unwrap().events.len() > before);
    }
}

matrix! {
    async fn the_metadata_lists_the_handlers_with_their_doc_comments_and_the_current_details(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("builtin")).workflow::<Approval>().start().unwrap();
        let options = StartOptions::new(env.id("metadata")).task_queue(env.tq("builtin"));
        let handle = env.client.start_workflow(Approval::run, (), options).await.unwrap();
        let metadata: Value = handle.query_by_name("__temporal_workflow_metadata", ()).await.unwrap();
        assert_eq!(
            metadata,
            json!({
                "currentDetails": "waiting for **approval**",
                "definition": {
                    "type": "Approval",
                    "queryDefinitions": [
                        {"name": "__stack_trace", "description": "What each routine of the run is waiting on"},
                        {
                            "name": "__temporal_workflow_metadata",
                            "description": "The workflow's type, its handlers and its current details"
                        },
                        {"name": "approved", "description": "Whether the request was approved."},
                    ],
                    "signalDefinitions": [
                        {"name": "approve", "description": "Approves the request."},
                        {"name": "remind", "description": "Sends a reminder in a minute.\n\nSeveral may wait at once."},
                    ],
                },
            })
        );
        handle.signal(Approval::approve, ()).await.unwrap();
        handle.result().await.unwrap();
    }
}
