//! Payload codecs at the engine's boundary: under an encrypting codec the
//! SQLite file holds no argument or result in clear, readers without the
//! key see sealed payloads, and a wrong key is a typed error. (Every other
//! semantic test also runs behind a codec: the `encoded` flavor.)

use std::time::Duration;

use workflow::codec::{AesGcmCodec, Chain, PayloadCodec, ZlibCodec};
use workflow::{ClientError, Engine, EventKind, StartOptions, WorkflowContext, WorkflowResult};

/// Keeps what it is told until it is told to finish, then returns it all.
#[derive(Default)]
pub struct Vault {
    notes: Vec<String>,
    done: bool,
}

#[workflow::defn]
impl Vault {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, first: String) -> WorkflowResult<String> {
        ctx.state_mut(|v| v.notes.push(first));
        ctx.wait_condition(|v| v.done).await?;
        let notes = ctx.state(|v| v.notes.join(" "));
        ctx.execute_activity(
            seal_note,
            notes,
            workflow::ActivityOptions::start_to_close(Duration::from_secs(5)),
        )
        .await
    }

    #[workflow::signal]
    fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }
}

#[workflow::activity]
async fn seal_note(notes: String) -> anyhow::Result<String> {
    Ok(format!("sealed({notes})"))
}

const SECRET: &str = "card-4242-4242-4242";

fn key(byte: u8) -> AesGcmCodec {
    AesGcmCodec::new("vault-key", [byte; 32])
}

/// Runs a `Vault` on the file at `path` through an engine with `codec` (or
/// none), with the secret as argument, signal and result; returns the result.
async fn run_vault(path: &std::path::Path, codec: Option<Box<dyn FnOnce(Engine) -> Engine>>) -> String {
    let engine = Engine::open(path).unwrap();
    let engine = match codec {
        Some(apply) => apply(engine),
        None => engine,
    };
    let worker = engine
        .worker("vault")
        .workflow::<Vault>()
        .activity(seal_note)
        .start()
        .unwrap();
    let options = StartOptions::new("vault-1").task_queue("vault");
    let handle = engine
        .client()
        .start_workflow(Vault::run, SECRET.to_owned(), options)
        .await
        .unwrap();
    handle.signal(Vault::note, format!("again {SECRET}")).await.unwrap();
    handle.signal(Vault::finish, ()).await.unwrap();
    let result = handle.result().await.unwrap();
    worker.shutdown();
    engine.close();
    result
}

/// Every byte of the engine's files (the database and its write-ahead log).
fn file_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        bytes.extend(std::fs::read(entry.unwrap().path()).unwrap());
    }
    bytes
}

fn holds(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_an_encrypting_codec_the_file_holds_no_payload_in_clear() {
    let plain = tempfile::tempdir().unwrap();
    let expected = format!("sealed({SECRET} again {SECRET})");
    assert_eq!(run_vault(&plain.path().join("wf.db"), None).await, expected);
    assert!(
        holds(&file_bytes(plain.path()), SECRET),
        "without a codec the secret is in the file"
    );

    let sealed = tempfile::tempdir().unwrap();
    let path = sealed.path().join("wf.db");
    let codec: Box<dyn FnOnce(Engine) -> Engine> = Box::new(|engine| engine.with_codec(key(1)));
    assert_eq!(run_vault(&path, Some(codec)).await, expected);
    let bytes = file_bytes(sealed.path());
    assert!(!holds(&bytes, SECRET), "the file holds the secret in clear");
    assert!(!holds(&bytes, "sealed("), "the activity's result is in clear");
    assert!(holds(&bytes, "binary/encrypted"));

    // Without the key, a reader sees sealed payloads; with another key, a typed error.
    let engine = Engine::open(&path).unwrap();
    let handle = engine.client().get_workflow_handle("vault-1");
    let history = handle.fetch_history().await.unwrap();
    let EventKind::WorkflowExecutionStarted { input, .. } = &history.events[0].kind else {
        panic!("a history starts with its start");
    };
    assert_eq!(input[0].encoding(), Some("binary/encrypted"));
    assert_eq!(input[0].metadata["encryption-key-id"], "vault-key");
    engine.close();
    let engine = Engine::open(&path).unwrap().with_codec(key(2));
    let error = engine
        .client()
        .get_workflow_handle("vault-1")
        .result()
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Codec(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "payload codec failed: AES-GCM decryption failed: wrong key or altered payload"
    );
    engine.close();
    let engine = Engine::open(&path).unwrap().with_codec(key(1));
    let result: String = engine
        .client()
        .get_workflow_handle("vault-1")
        .result()
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(result, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codecs_chain_compressing_then_encrypting() {
    let chain = Chain::new([
        std::sync::Arc::new(key(3)) as std::sync::Arc<dyn PayloadCodec>,
        std::sync::Arc::new(ZlibCodec::always()),
    ]);
    let sealed = chain.encode(vec![workflow::Payload::encode(&SECRET).unwrap()]).unwrap();
    assert_eq!(sealed[0].encoding(), Some("binary/encrypted"));
    let opened = key(3).decode(sealed.clone()).unwrap();
    assert_eq!(opened[0].encoding(), Some("binary/zlib"), "compressed inside the seal");
    assert_eq!(chain.decode(sealed).unwrap()[0].decode::<String>().unwrap(), SECRET);

    let dir = tempfile::tempdir().unwrap();
    let codec: Box<dyn FnOnce(Engine) -> Engine> = Box::new(move |engine| engine.with_codec(chain));
    assert_eq!(
        run_vault(&dir.path().join("wf.db"), Some(codec)).await,
        format!("sealed({SECRET} again {SECRET})")
    );
}
