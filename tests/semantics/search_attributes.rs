//! What a run carries for people and queries: a memo and typed search
//! attributes, given at the start and changed by the run itself.
//!
//! On Temporal the custom attributes must be registered with the
//! namespace; `.ci/run` starts its dev server with each of these.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use workflow::{
    ClientError, EventKind, Payload, SearchAttributeKey, SearchAttributeValue, SearchAttributes, StartOptions,
    WorkflowContext, WorkflowResult,
};

use crate::support::{matrix, Env};

const CUSTOMER_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("CustomerId");
const ORDER_NOTE: SearchAttributeKey<String> = SearchAttributeKey::text("OrderNote");
const PRIORITY: SearchAttributeKey<i64> = SearchAttributeKey::int("Priority");
const SCORE: SearchAttributeKey<f64> = SearchAttributeKey::double("Score");
const EXPRESS: SearchAttributeKey<bool> = SearchAttributeKey::bool("Express");
const PROMISED_BY: SearchAttributeKey<SystemTime> = SearchAttributeKey::datetime("PromisedBy");
const TAGS: SearchAttributeKey<Vec<String>> = SearchAttributeKey::keyword_list("Tags");

/// Ships when told: marks itself shipped in its search attributes and memo.
#[derive(Default)]
struct Shipment {
    shipped: bool,
}

#[workflow::defn]
impl Shipment {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.shipped).await?;
        ctx.upsert_search_attributes([
            PRIORITY.set(9),
            EXPRESS.unset(),
            TAGS.set(vec!["shipped".to_owned(), "paid".to_owned()]),
        ]);
        ctx.upsert_memo("carrier", Some("DHL"))?;
        ctx.upsert_memo("draft", None::<()>)?;
        ctx.wait_condition(|s| !s.shipped).await?;
        Ok(())
    }

    #[workflow::signal]
    fn ship(&mut self) {
        self.shipped = true;
    }

    #[workflow::signal]
    fn close(&mut self) {
        self.shipped = false;
    }
}

fn promised() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(1_796_180_400_250)
}

fn memo(entries: &[(&str, &str)]) -> BTreeMap<String, Payload> {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), Payload::encode(v).unwrap()))
        .collect()
}

/// The attributes of ours in `all` (Temporal adds its own, such as the
/// build ids of the workers that ran the run).
fn ours(all: &SearchAttributes) -> Vec<(String, SearchAttributeValue)> {
    let names = [CUSTOMER_ID.name(), ORDER_NOTE.name(), PRIORITY.name(), SCORE.name()];
    let more = [EXPRESS.name(), PROMISED_BY.name(), TAGS.name()];
    all.iter()
        .filter(|(name, _)| names.contains(name) || more.contains(name))
        .map(|(name, value)| (name.to_owned(), value.clone()))
        .collect()
}

matrix! {
    async fn a_run_starts_with_a_memo_and_search_attributes_and_changes_them(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("shipments")).workflow::<Shipment>().start().unwrap();
        let options = StartOptions::new(env.id("shipment"))
            .task_queue(env.tq("shipments"))
            .search_attribute(CUSTOMER_ID, "c-42")
            .search_attribute(ORDER_NOTE, "leave at the door")
            .search_attribute(PRIORITY, 3)
            .search_attribute(SCORE, 0.5)
            .search_attribute(EXPRESS, true)
            .search_attribute(PROMISED_BY, promised())
            .search_attribute(TAGS, vec!["new".to_owned()])
            .memo("source", "web")
            .memo("draft", "yes");
        let handle = env.client.start_workflow(Shipment::run, (), options).await.unwrap();

        let described = handle.describe().await.unwrap();
        assert_eq!(described.memo, memo(&[("draft", "yes"), ("source", "web")]));
        let attributes = &described.search_attributes;
        assert_eq!(attributes.get(CUSTOMER_ID).as_deref(), Some("c-42"));
        assert_eq!(attributes.get(ORDER_NOTE).as_deref(), Some("leave at the door"));
        assert_eq!(attributes.get(PRIORITY), Some(3));
        assert_eq!(attributes.get(SCORE), Some(0.5));
        assert_eq!(attributes.get(EXPRESS), Some(true));
        assert_eq!(attributes.get(PROMISED_BY), Some(promised()));
        assert_eq!(attributes.get(TAGS), Some(vec!["new".to_owned()]));

        handle.signal(Shipment::ship, ()).await.unwrap();
        let mut upserted = false;
        for _ in 0..100 {
            let history = handle.fetch_history().await.unwrap();
            upserted = history.events_named("WorkflowPropertiesModified").count() == 2;
            if upserted {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(upserted, "the run recorded its changes");
        let described = handle.describe().await.unwrap();
        assert_eq!(described.memo, memo(&[("carrier", "DHL"), ("source", "web")]));
        let expected = SearchAttributes::new()
            .with(CUSTOMER_ID, "c-42")
            .with(ORDER_NOTE, "leave at the door")
            .with(PRIORITY, 9)
            .with(SCORE, 0.5)
            .with(PROMISED_BY, promised())
            .with(TAGS, vec!["paid".to_owned(), "shipped".to_owned()]);
        let mut got = ours(&described.search_attributes);
        for (_, value) in &mut got {
            if let SearchAttributeValue::KeywordList(list) = value {
                list.sort();
            }
        }
        assert_eq!(got, ours(&expected));

        let history = handle.fetch_history().await.unwrap();
        let upsert = history
            .events
            .iter()
            .find_map(|e| match &e.kind {
                EventKind::UpsertWorkflowSearchAttributes { updates } => Some(updates.clone()),
                _ => None,
            })
            .expect("an upsert event");
        let names: Vec<&str> = upsert.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["Express", "Priority", "Tags"], "in name order, as Temporal keeps them");
        assert_eq!(upsert[0].value, None, "Express is unset");

        handle.signal(Shipment::close, ()).await.unwrap();
        handle.result().await.unwrap();
        let closed = handle.describe().await.unwrap();
        assert_eq!(closed.memo, memo(&[("carrier", "DHL"), ("source", "web")]), "a closed run keeps them");
    }
}

matrix! {
    async fn a_search_attribute_keeps_the_type_it_was_registered_with(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("shipments")).workflow::<Shipment>().start().unwrap();
        let first = StartOptions::new(env.id("typed-1"))
            .task_queue(env.tq("shipments"))
            .search_attribute(PRIORITY, 1);
        env.client.start_workflow(Shipment::run, (), first).await.unwrap();
        const PRIORITY_AS_TEXT: SearchAttributeKey<String> = SearchAttributeKey::keyword("Priority");
        let second = StartOptions::new(env.id("typed-2"))
            .task_queue(env.tq("shipments"))
            .search_attribute(PRIORITY_AS_TEXT, "high");
        let error = env.client.start_workflow(Shipment::run, (), second).await.unwrap_err();
        match error {
            // The server's words differ; both name the attribute.
            ClientError::InvalidOptions { message } => assert!(message.contains("Priority"), "{message}"),
            other => panic!("expected the start to be refused, got {other:?}"),
        }
    }
}

/// Upserts a value of the wrong type for `Priority`, an Int.
#[derive(Default)]
struct Mistyped;

#[workflow::defn]
impl Mistyped {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        const PRIORITY_AS_TEXT: SearchAttributeKey<String> = SearchAttributeKey::keyword("Priority");
        ctx.upsert_search_attributes([PRIORITY_AS_TEXT.set("urgent")]);
        Ok(())
    }
}

matrix! {
    async fn a_task_that_upserts_a_value_of_the_wrong_type_fails(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("shipments")).workflow::<Shipment>().workflow::<Mistyped>().start().unwrap();
        let typed = StartOptions::new(env.id("registers"))
            .task_queue(env.tq("shipments"))
            .search_attribute(PRIORITY, 1);
        env.client.start_workflow(Shipment::run, (), typed).await.unwrap();
        let options = StartOptions::new(env.id("mistyped")).task_queue(env.tq("shipments"));
        let handle = env.client.start_workflow(Mistyped::run, (), options).await.unwrap();
        let failure = crate::support::task_failure(&handle).await;
        assert!(failure.contains("Priority"), "{failure}");
        assert!(handle.describe().await.unwrap().status.is_running(), "the task is retried, the run stays open");
    }
}
