//! Property tests of everything that decodes outside input: payloads,
//! exported histories, and replay of arbitrary histories. Each must answer
//! with a value or a typed error, never a panic. `PROPTEST_CASES` sets the
//! number of inputs per property (default 2,000).

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use workflow::{Event, EventKind, History, Payload, Replayer};

#[path = "semantics/workflows.rs"]
#[allow(dead_code)]
mod workflows;

use workflows::{Counter, GreetingWorkflow};

#[derive(Debug, Serialize, Deserialize)]
struct Order {
    id: u64,
    items: Vec<String>,
    express: Option<bool>,
}

fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(2_000);
    ProptestConfig::with_cases(cases)
}

fn payload() -> impl Strategy<Value = Payload> {
    let encoding = prop_oneof![
        Just("json/plain".to_owned()),
        Just("binary/null".to_owned()),
        Just("binary/plain".to_owned()),
        "[a-z/]{0,12}",
    ];
    let data = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        "[\\[\\]{}\",:0-9a-z ]{0,64}".prop_map(String::into_bytes),
    ];
    (encoding, data).prop_map(|(encoding, data)| Payload {
        metadata: [("encoding".to_owned(), encoding)].into_iter().collect(),
        data,
    })
}

fn input_event() -> impl Strategy<Value = EventKind> {
    prop_oneof![
        (
            prop_oneof![Just("add".to_owned()), Just("finish".to_owned()), "[a-z]{1,8}"],
            proptest::collection::vec(payload(), 0..3),
            proptest::collection::vec(("[a-z-]{1,8}", payload()), 0..2),
        )
            .prop_map(|(signal_name, input, header)| EventKind::WorkflowExecutionSignaled {
                signal_name,
                input,
                header: header.into_iter().collect(),
            }),
        Just(EventKind::WorkflowTaskCompleted),
        (0u32..4).prop_map(|seq| EventKind::TimerFired { seq }),
        (0u32..4, payload()).prop_map(|(seq, result)| EventKind::ActivityTaskCompleted {
            seq,
            result,
            attempt: 1
        }),
        (0u32..4, 1u64..1_000).prop_map(|(seq, duration_ms)| EventKind::TimerStarted { seq, duration_ms }),
        payload().prop_map(|result| EventKind::WorkflowExecutionCompleted { result }),
        Just(EventKind::WorkflowExecutionCancelRequested {
            reason: "fuzz".to_owned()
        }),
    ]
}

/// A history that starts like a real one and goes on arbitrarily.
fn history(workflow_type: &'static str) -> impl Strategy<Value = History> {
    (
        proptest::collection::vec(payload(), 0..2),
        proptest::collection::vec(input_event(), 0..40),
    )
        .prop_map(move |(input, rest)| {
            let start = EventKind::WorkflowExecutionStarted {
                workflow_type: workflow_type.to_owned(),
                task_queue: "fuzz".to_owned(),
                input,
                parent: None,
                continued_from_run_id: None,
                randomness_seed: 7,
                attempt: 1,
                header: Default::default(),
            };
            let events = std::iter::once(start)
                .chain(rest)
                .enumerate()
                .map(|(i, kind)| Event {
                    id: i as u64 + 1,
                    time_ms: i as u64,
                    kind,
                })
                .collect();
            History {
                workflow_id: "fuzz".to_owned(),
                run_id: "run".to_owned(),
                events,
            }
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn payload_decoding_answers_or_errs(p in payload()) {
        let _ = p.decode::<String>();
        let _ = p.decode::<Vec<u64>>();
        let _ = p.decode::<Order>();
        let _ = p.decode::<Option<serde_json::Value>>();
    }

    #[test]
    fn history_json_decoding_answers_or_errs(text in "\\PC{0,256}") {
        let _ = History::from_json(&text);
    }

    #[test]
    fn replaying_arbitrary_histories_answers_or_errs(h in history("Counter"), g in history("GreetingWorkflow")) {
        let replayer = Replayer::new().workflow::<Counter>().workflow::<GreetingWorkflow>();
        let _ = replayer.replay(&h);
        let _ = replayer.replay(&g);
    }

    #[test]
    fn replaying_corrupted_exports_answers_or_errs(h in history("Counter"), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut json = h.to_json().into_bytes();
        let i = at.index(json.len());
        json[i] = byte;
        if let Ok(text) = String::from_utf8(json) {
            let _ = Replayer::new().workflow::<Counter>().replay_json(&text);
        }
    }
}
