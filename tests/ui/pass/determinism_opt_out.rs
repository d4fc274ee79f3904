//! What the determinism lint accepts: the context's deterministic
//! alternatives, ordered collections, the opt-out on a method and on a
//! `let` statement, and anything in an activity.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant, SystemTime};

use workflow::{ActivityOptions, WorkflowContext, WorkflowResult};

#[workflow::activity]
async fn fetch(key: String) -> String {
    // Activities are not linted.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let _ = SystemTime::now();
    let cache: HashMap<String, String> = HashMap::new();
    for (k, _) in &cache {
        let _ = k;
    }
    key
}

#[derive(Default)]
struct Ledger {
    entries: BTreeMap<String, u64>,
    started: Option<SystemTime>,
}

#[workflow::defn]
impl Ledger {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<Vec<String>> {
        #[workflow::nondeterministic]
        let wall = Instant::now();
        let now = ctx.now();
        ctx.state_mut(|s| s.started = Some(now));
        ctx.sleep(Duration::from_millis(1)).await?;
        let _ = (ctx.random(), ctx.random_u64(), ctx.uuid4());
        let options = ActivityOptions::start_to_close(Duration::from_secs(1));
        let fetched = ctx.execute_activity(fetch, "k".to_owned(), options).await?;
        let mut keys = BTreeMap::new();
        keys.insert(fetched, 1u64);
        for (key, _) in &keys {
            ctx.state_mut(|s| s.entries.insert(key.clone(), 0));
        }
        let index: HashMap<String, u64> = ctx.state(|s| s.entries.clone().into_iter().collect());
        // A lookup does not depend on the order.
        let _ = index.get("k");
        // A name that once held a `HashMap` and is shadowed is not one.
        let index: Vec<String> = index.into_keys_sorted();
        #[workflow::nondeterministic]
        let _ = wall.elapsed();
        Ok(index.into_iter().collect())
    }

    #[workflow::signal]
    fn record(&mut self, key: String) {
        self.entries.insert(key, 0);
        self.log();
    }

    #[workflow::nondeterministic]
    fn log(&self) {
        let at = SystemTime::now();
        let _ = (at, self.started);
    }
}

trait SortedKeys {
    fn into_keys_sorted(self) -> Vec<String>;
}

impl SortedKeys for HashMap<String, u64> {
    fn into_keys_sorted(self) -> Vec<String> {
        let mut keys: Vec<String> = self.into_keys().collect();
        keys.sort();
        keys
    }
}

fn main() {}
