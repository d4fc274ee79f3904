//! Records the engine's "opened the workflow store" events, which say what
//! opening a file loaded.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};

/// What one open of a file loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Opened {
    pub runs: u64,
    pub timers: u64,
    pub activities: u64,
}

static OPENED: Mutex<Vec<(String, Opened)>> = Mutex::new(Vec::new());

#[derive(Default)]
struct Fields(BTreeMap<&'static str, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
}

struct Capture;

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.0.get("message").map(String::as_str) != Some("opened the workflow store") {
            return;
        }
        let number = |name| fields.0.get(name).and_then(|v| v.parse().ok()).unwrap_or(u64::MAX);
        let opened = Opened {
            runs: number("runs"),
            timers: number("timers"),
            activities: number("activities"),
        };
        let path = fields.0.get("path").cloned().unwrap_or_default();
        OPENED.lock().unwrap_or_else(|e| e.into_inner()).push((path, opened));
    }
}

/// Starts recording, once per test binary.
pub fn install() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(Capture);
        tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber in this test binary");
    });
}

/// What the last open of `path` loaded.
pub fn last_open(path: &Path) -> Opened {
    let path = path.display().to_string();
    let opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    let found = opened.iter().rev().find(|(p, _)| *p == path);
    found
        .map(|(_, o)| o.clone())
        .expect("the engine reported opening the file")
}
