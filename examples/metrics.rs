//! Exposes the engine's OpenTelemetry metrics to Prometheus.
//!
//! ```text
//! cargo run --example metrics                              # runs some orders, prints the metrics
//! cargo run --example metrics -- --serve 127.0.0.1:9464    # ... then serves them at /metrics
//! ```
//!
//! The meter provider is installed before the engine is opened: the
//! engine and its workers make their instruments then.

use std::time::Duration;

use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Registry, TextEncoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use workflow::{ActivityOptions, Engine, StartOptions, WorkflowContext, WorkflowResult};

/// Charges an order once it is confirmed.
#[derive(Default)]
pub struct Order {
    confirmed: bool,
}

#[workflow::defn]
impl Order {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, cents: u64) -> WorkflowResult<String> {
        ctx.wait_condition(|o| o.confirmed).await?;
        let options = ActivityOptions::start_to_close(Duration::from_secs(5));
        ctx.execute_activity(charge, cents, options).await
    }

    #[workflow::signal]
    fn confirm(&mut self) {
        self.confirmed = true;
    }

    #[workflow::query]
    fn confirmed(&self) -> bool {
        self.confirmed
    }
}

#[workflow::activity]
async fn charge(cents: u64) -> anyhow::Result<String> {
    Ok(format!("charged {cents}"))
}

/// The metrics in Prometheus' text format.
fn render(registry: &Registry) -> String {
    TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap_or_else(|e| format!("# cannot encode metrics: {e}\n"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let registry = Registry::new();
    let exporter = opentelemetry_prometheus::exporter()
        .with_registry(registry.clone())
        .build()?;
    let provider = SdkMeterProvider::builder().with_reader(exporter).build();
    opentelemetry::global::set_meter_provider(provider);

    let dir = tempfile::tempdir()?;
    let engine = Engine::open(dir.path().join("orders.db"))?;
    let _worker = engine.worker("orders").workflow::<Order>().activity(charge).start()?;
    let client = engine.client();
    for i in 1..=20u64 {
        let options = StartOptions::new(format!("order-{i}")).task_queue("orders");
        let order = client.start_workflow(Order::run, i * 100, options).await?;
        order.signal(Order::confirm, ()).await?;
        order.query(Order::confirmed, ()).await?;
        order.result().await?;
    }

    let args: Vec<String> = std::env::args().collect();
    let Some(address) = args.iter().position(|a| a == "--serve").and_then(|i| args.get(i + 1)) else {
        print!("{}", render(&registry));
        return Ok(());
    };
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!(
        "serving metrics at http://{}/metrics (Ctrl-C stops)",
        listener.local_addr()?
    );
    loop {
        let (mut socket, _) = listener.accept().await?;
        let mut request = [0u8; 1024];
        let _ = socket.read(&mut request).await?;
        let body = render(&registry);
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain; version=0.0.4\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(response.as_bytes()).await?;
    }
}
