//! Activities with state: the methods of an `#[workflow::activities]` impl
//! block run on the one instance their worker was given.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use workflow::{
    ActivityContext, ActivityOptions, RetryPolicy, StartOptions, WorkerError, WorkflowContext, WorkflowError,
    WorkflowResult,
};

use crate::support::{matrix, Env};

/// A stand-in for a database handle: the rows written, which the test
/// keeps a handle on to read them back.
type Db = Arc<Mutex<Vec<String>>>;

/// Charges orders into one database and one running total.
pub struct Ledger {
    db: Db,
    charged: AtomicU64,
    /// Where stored receipts are read from.
    receipts: PathBuf,
}

impl Ledger {
    fn new(db: Db) -> Ledger {
        Ledger {
            db,
            charged: AtomicU64::new(0),
            receipts: PathBuf::from("/no/such/receipts"),
        }
    }
}

#[workflow::activities]
impl Ledger {
    /// Writes a row for the charge and returns the running total.
    async fn charge(&self, ctx: ActivityContext, order: String, cents: u64) -> u64 {
        let row = format!("{order}: {cents} (attempt {})", ctx.info().attempt);
        self.db.lock().unwrap().push(row);
        self.charged.fetch_add(cents, Ordering::SeqCst) + cents
    }

    /// The total charged and the number of rows written.
    async fn total(&self) -> (u64, usize) {
        (self.charged.load(Ordering::SeqCst), self.db.lock().unwrap().len())
    }

    /// A stored receipt; `?` fails the activity with the `io::Error`.
    async fn receipt(&self, order: String) -> Result<String, std::io::Error> {
        let text = std::fs::read_to_string(self.receipts.join(order))?;
        Ok(text)
    }
}

/// Charges two orders, then asks for the total.
#[derive(Default)]
pub struct Billing;

#[workflow::defn]
impl Billing {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<(u64, u64, (u64, usize))> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10));
        let first = ctx
            .execute_activity(Ledger::charge, ("order-1".to_owned(), 250), options.clone())
            .await?;
        let second = ctx
            .execute_activity(Ledger::charge, ("order-2".to_owned(), 100), options.clone())
            .await?;
        let total = ctx.execute_activity(Ledger::total, (), options).await?;
        Ok((first, second, total))
    }
}

/// Fetches a receipt once; returns the failure as `type|message`.
#[derive(Default)]
pub struct Receipt;

#[workflow::defn]
impl Receipt {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>, order: String) -> WorkflowResult<String> {
        let options = ActivityOptions::start_to_close(Duration::from_secs(10)).retry_policy(RetryPolicy {
            maximum_attempts: 1,
            ..RetryPolicy::default()
        });
        match ctx.execute_activity(Ledger::receipt, order, options).await {
            Err(WorkflowError::Failed(failure)) => Ok(match failure.application_error() {
                Some(e) => format!("{}|{}", e.error_type().unwrap_or_default(), e.message()),
                None => format!("not an application error: {failure}"),
            }),
            other => other.map(|text| format!("unexpected receipt: {text}")),
        }
    }
}

matrix! {
    async fn two_methods_of_one_instance_share_its_state(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let db = Db::default();
        let _worker = env
            .engine
            .worker(env.tq("ledger"))
            .workflow::<Billing>()
            .activities(Ledger::new(db.clone()))
            .start()
            .unwrap();
        let options = StartOptions::new(env.id("billing")).task_queue(env.tq("ledger"));
        let handle = env.client.start_workflow(Billing::run, (), options).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), (250, 350, (350, 2)));
        assert_eq!(*db.lock().unwrap(), ["order-1: 250 (attempt 1)", "order-2: 100 (attempt 1)"]);
    }
}

matrix! {
    async fn a_method_failing_with_an_io_error_fails_the_activity_with_its_type_and_message(flavor: Flavor) {
        let env = Env::new(flavor).await;
        // Shared with the test through an `Arc`.
        let ledger = Arc::new(Ledger::new(Db::default()));
        let _worker = env
            .engine
            .worker(env.tq("receipts"))
            .workflow::<Receipt>()
            .activities(ledger.clone())
            .start()
            .unwrap();
        let options = StartOptions::new(env.id("receipt")).task_queue(env.tq("receipts"));
        let handle = env.client.start_workflow(Receipt::run, "order-1".to_owned(), options).await.unwrap();
        assert_eq!(
            handle.result().await.unwrap(),
            "std::io::error::Error|No such file or directory (os error 2)"
        );
        assert_eq!(ledger.db.lock().unwrap().len(), 0, "nothing was charged");
    }
}

matrix! {
    async fn an_activity_method_registered_without_its_instance_is_refused_at_start(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let started = env
            .engine
            .worker(env.tq("ledger"))
            .workflow::<Billing>()
            .activity(Ledger::charge)
            .start();
        let Err(error) = started else {
            panic!("a worker started with a method activity and no instance");
        };
        assert!(
            matches!(&error, WorkerError::ActivityWithoutInstance { activity, owner, .. }
                if activity == "charge" && owner == "Ledger"),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            format!(
                "cannot start a worker for task queue `{}`: activity `charge` is a method of `Ledger` and runs \
                 on an instance of it: register the instance with `.activities(Ledger {{ .. }})`, which registers \
                 every activity of `Ledger`, instead of the activity alone",
                env.tq("ledger")
            )
        );
    }
}
