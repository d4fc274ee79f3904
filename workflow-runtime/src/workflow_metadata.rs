//! The answer to Temporal's built-in `__temporal_workflow_metadata` query:
//! the workflow's type, its handlers with their doc comments, and what the
//! run says it is doing. `temporal workflow metadata` and Temporal's UI
//! show it.

use std::collections::BTreeMap;

use serde_json::Value;
use workflow_client::Payload;

use crate::definition::{HandlerDoc, HandlerKind};
use crate::stack_trace::STACK_TRACE_QUERY;

/// The name of the query every run answers with its metadata.
pub(crate) const WORKFLOW_METADATA_QUERY: &str = "__temporal_workflow_metadata";

/// The queries every run answers without a handler, as the metadata lists them.
const BUILT_IN_QUERIES: [HandlerDoc; 2] = [
    HandlerDoc {
        kind: HandlerKind::Query,
        name: STACK_TRACE_QUERY,
        description: "What each routine of the run is waiting on",
    },
    HandlerDoc {
        kind: HandlerKind::Query,
        name: WORKFLOW_METADATA_QUERY,
        description: "The workflow's type, its handlers and its current details",
    },
];

/// The `temporal.api.sdk.v1.WorkflowMetadata` message as a `json/protobuf`
/// payload, in the form Temporal's SDKs give it: camelCase names, keys and
/// each list sorted, fields at their default left out.
pub(crate) fn workflow_metadata(workflow_type: &str, handlers: &[HandlerDoc], current_details: &str) -> Payload {
    let mut lists: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    let mut all: Vec<&HandlerDoc> = handlers.iter().chain(&BUILT_IN_QUERIES).collect();
    all.sort_by_key(|h| h.name);
    for handler in all {
        let list = match handler.kind {
            HandlerKind::Query => "queryDefinitions",
            HandlerKind::Signal => "signalDefinitions",
            HandlerKind::Update => "updateDefinitions",
        };
        let mut definition = Object::new();
        non_empty(&mut definition, "name", handler.name);
        non_empty(&mut definition, "description", handler.description);
        lists.entry(list).or_default().push(object(definition));
    }
    let mut definition = Object::new();
    non_empty(&mut definition, "type", workflow_type);
    for (list, handlers) in lists {
        definition.insert(list, Value::Array(handlers));
    }
    let mut metadata = Object::new();
    metadata.insert("definition", object(definition));
    non_empty(&mut metadata, "currentDetails", current_details);
    Payload {
        metadata: BTreeMap::from([
            ("encoding".to_owned(), "json/protobuf".to_owned()),
            (
                "messageType".to_owned(),
                "temporal.api.sdk.v1.WorkflowMetadata".to_owned(),
            ),
        ]),
        data: object(metadata).to_string().into_bytes(),
    }
}

/// A JSON object under construction, its keys sorted whatever features
/// `serde_json` is built with.
type Object = BTreeMap<&'static str, Value>;

fn object(fields: Object) -> Value {
    Value::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

/// Sets `key` unless `value` is empty, as protobuf's JSON form leaves out
/// fields at their default.
fn non_empty(object: &mut Object, key: &'static str, value: &str) {
    if !value.is_empty() {
        object.insert(key, Value::String(value.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_metadata_is_the_protos_json_with_sorted_lists_and_no_defaults() {
        let handlers = [
            HandlerDoc {
                kind: HandlerKind::Signal,
                name: "submit",
                description: "Adds a greeting.",
            },
            HandlerDoc {
                kind: HandlerKind::Query,
                name: "greetings",
                description: "",
            },
            HandlerDoc {
                kind: HandlerKind::Signal,
                name: "",
                description: "Any other signal.",
            },
        ];
        let payload = workflow_metadata("Greeting", &handlers, "");
        assert_eq!(payload.encoding(), Some("json/protobuf"));
        assert_eq!(
            String::from_utf8(payload.data).unwrap(),
            concat!(
                r#"{"definition":{"queryDefinitions":[{"description":"What each routine of the run is waiting on","name":"__stack_trace"},"#,
                r#"{"description":"The workflow's type, its handlers and its current details","name":"__temporal_workflow_metadata"},"#,
                r#"{"name":"greetings"}],"#,
                r#""signalDefinitions":[{"description":"Any other signal."},{"description":"Adds a greeting.","name":"submit"}],"#,
                r#""type":"Greeting"}}"#
            )
        );
    }
}
