//! Micro figures: the JSON payload converter, and one typed signal round
//! trip on the in-memory engine. Run with `cargo bench --bench payload`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use serde::{Deserialize, Serialize};
use workflow::{Engine, Limits, Payload, StartOptions};

#[path = "common/counter.rs"]
mod counter;

use counter::Counter;

/// A typical small argument.
#[derive(Serialize, Deserialize)]
struct Order {
    id: u64,
    customer: String,
    items: Vec<String>,
    express: bool,
}

fn payloads(c: &mut Criterion) {
    let order = Order {
        id: 42,
        customer: "Ada Lovelace".to_owned(),
        items: vec!["engine".to_owned(), "punch cards".to_owned()],
        express: true,
    };
    let text = "x".repeat(10 * 1024);
    let small = Payload::encode(&order).expect("an order encodes");
    let large = Payload::encode(&text).expect("a string encodes");

    c.bench_function("payload encode small struct", |b| {
        b.iter(|| Payload::encode(black_box(&order)))
    });
    c.bench_function("payload decode small struct", |b| {
        b.iter(|| black_box(&small).decode::<Order>())
    });
    c.bench_function("payload encode 10 KiB string", |b| {
        b.iter(|| Payload::encode(black_box(&text)))
    });
    c.bench_function("payload decode 10 KiB string", |b| {
        b.iter(|| black_box(&large).decode::<String>())
    });
}

fn signal_round_trip(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let _entered = runtime.enter();
    // Criterion sends far more than the default 10,000 signals to the one execution.
    let limits = Limits {
        max_received_signals: usize::MAX,
        ..Limits::default()
    };
    let engine = Engine::builder()
        .limits(limits)
        .in_memory()
        .expect("an in-memory engine");
    let worker = engine.worker("bench").workflow::<Counter>().start().expect("a worker");
    let client = engine.client();
    let handle = runtime
        .block_on(client.start_workflow(Counter::run, (), StartOptions::new("counter").task_queue("bench")))
        .expect("a started workflow");

    c.bench_function("signal round trip (memory engine)", |b| {
        b.to_async(&runtime).iter(|| async {
            handle.signal(Counter::add, 1).await.expect("an acknowledged signal");
        })
    });

    runtime
        .block_on(handle.signal(Counter::finish, ()))
        .expect("an acknowledged signal");
    worker.shutdown();
    engine.close();
}

criterion_group!(benches, payloads, signal_round_trip);
criterion_main!(benches);
