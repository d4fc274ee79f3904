//! TLS, mutual TLS, API keys and headers towards a Temporal server, through
//! a TLS gateway in front of the dev server (`gateway.rs`). Skipped unless
//! `WORKFLOW_TEMPORAL_ADDRESS` is set, as `.ci/run` does.

mod gateway;

use gateway::{Authority, Demands, Gateway};
use workflow::{ConnectOptions, Engine, EngineError, StartOptions, TlsConfig, WorkflowContext, WorkflowResult};

/// Greets whoever it is started for.
#[derive(Default)]
pub struct Hello;

#[workflow::defn]
impl Hello {
    #[workflow::run]
    async fn run(_ctx: &mut WorkflowContext<Self>, name: String) -> WorkflowResult<String> {
        Ok(format!("Hello, {name}!"))
    }
}

const KEY: &str = "test-api-key";

fn upstream() -> Option<String> {
    let address = std::env::var("WORKFLOW_TEMPORAL_ADDRESS")
        .ok()
        .filter(|a| !a.is_empty());
    if address.is_none() {
        eprintln!("skipped: WORKFLOW_TEMPORAL_ADDRESS is unset (.ci/run sets it)");
    }
    address
}

/// Everything the gateway can demand: a client certificate, a key, a header.
fn strict() -> Demands {
    Demands {
        client_certificate: true,
        api_key: Some(KEY.to_owned()),
        header: Some(("x-team".to_owned(), "payments".to_owned())),
    }
}

/// Options that meet every demand of a gateway signed by `authority`.
fn trusted(gateway: &Gateway, authority: &Authority) -> ConnectOptions {
    let tls = TlsConfig::new()
        .server_ca(authority.ca_pem.clone())
        .client_identity(authority.client.cert_pem.clone(), authority.client.key_pem.clone());
    ConnectOptions::new(gateway.address.to_string())
        .tls(tls)
        .api_key(KEY)
        .header("x-team", "payments")
}

fn refusal(result: Result<Engine, EngineError>) -> String {
    match result {
        Err(EngineError::Connect { message, .. }) => message,
        Err(other) => panic!("expected a connection error, got {other}"),
        Ok(_) => panic!("expected the connection to be refused"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_and_a_worker_reach_the_server_over_mutual_tls_with_an_api_key_and_a_header() {
    let Some(upstream) = upstream() else { return };
    let authority = Authority::new("workflow test CA");
    let gateway = Gateway::start(&authority, strict(), &upstream).await;
    let engine = Engine::connect(trusted(&gateway, &authority)).await.unwrap();
    let task_queue = format!("tls-{}", &workflow::crates::client::id::unique_id()[..8]);
    let _worker = engine.worker(&task_queue).workflow::<Hello>().start().unwrap();
    let options = StartOptions::new(format!("{task_queue}-hello")).task_queue(&task_queue);
    let handle = engine
        .client()
        .start_workflow(Hello::run, "TLS".to_owned(), options)
        .await
        .unwrap();
    assert_eq!(handle.result().await.unwrap(), "Hello, TLS!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_signed_by_another_authority_is_refused_naming_server_ca() {
    let Some(upstream) = upstream() else { return };
    let authority = Authority::new("workflow test CA");
    let gateway = Gateway::start(&authority, Demands::default(), &upstream).await;
    let stranger = Authority::new("another CA");
    let options = ConnectOptions::new(gateway.address.to_string()).tls(TlsConfig::new().server_ca(stranger.ca_pem));
    let message = refusal(Engine::connect(options).await);
    assert!(
        message.starts_with("TLS failed: the server's certificate is not signed by a trusted authority: give the authority that signed it with `TlsConfig::server_ca`"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_client_certificate_is_refused_naming_client_identity() {
    let Some(upstream) = upstream() else { return };
    let authority = Authority::new("workflow test CA");
    let gateway = Gateway::start(&authority, strict(), &upstream).await;
    let mut options = trusted(&gateway, &authority);
    options.tls = Some(TlsConfig::new().server_ca(authority.ca_pem.clone()));
    let message = refusal(Engine::connect(options).await);
    // The alert may arrive after the server closed the connection; either
    // way the message names the setting.
    assert!(message.starts_with("TLS failed: "), "{message}");
    assert!(
        message.contains("give one with `TlsConfig::client_identity`"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_api_key_or_header_is_refused_with_the_servers_words() {
    let Some(upstream) = upstream() else { return };
    let authority = Authority::new("workflow test CA");
    let gateway = Gateway::start(&authority, strict(), &upstream).await;
    let mut keyless = trusted(&gateway, &authority);
    keyless.api_key = None;
    let message = refusal(Engine::connect(keyless).await);
    assert!(message.contains("missing or wrong API key"), "{message}");
    let mut headless = trusted(&gateway, &authority);
    headless.headers.clear();
    let message = refusal(Engine::connect(headless).await);
    assert!(message.contains("missing header `x-team`"), "{message}");
}

#[tokio::test]
async fn tls_over_an_http_target_is_refused_before_dialing() {
    let options = ConnectOptions::new("http://127.0.0.1:1").tls(TlsConfig::new());
    let message = refusal(Engine::connect(options).await);
    assert_eq!(
        message,
        "TLS is set but the target says `http://`: give `https://` or no scheme"
    );
}
