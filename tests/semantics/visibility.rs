//! Finding runs by visibility queries: filters over built-in fields and
//! search attributes, counts, and pages.

use std::time::Duration;

use futures::TryStreamExt;
use workflow::{ClientError, SearchAttributeKey, StartOptions, WorkflowContext, WorkflowResult};

use crate::support::{matrix, Env};

const CUSTOMER_ID: SearchAttributeKey<String> = SearchAttributeKey::keyword("CustomerId");
const PRIORITY: SearchAttributeKey<i64> = SearchAttributeKey::int("Priority");

/// Runs until told to finish.
#[derive(Default)]
struct Order {
    done: bool,
}

#[workflow::defn]
impl Order {
    #[workflow::run]
    async fn run(ctx: &mut WorkflowContext<Self>) -> WorkflowResult<()> {
        ctx.wait_condition(|s| s.done).await?;
        Ok(())
    }

    #[workflow::signal]
    fn finish(&mut self) {
        self.done = true;
    }
}

/// The ids `query` lists, sorted, once `count` of them show (Temporal's
/// visibility trails its writes a little).
async fn listed(env: &Env, query: &str, count: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..100 {
        let runs: Vec<_> = env.client.list_workflows(query).try_collect().await.unwrap();
        ids = runs.into_iter().map(|r| r.workflow_id).collect();
        if ids.len() == count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ids.sort();
    ids
}

matrix! {
    async fn runs_are_found_by_their_search_attributes_and_status(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("orders")).workflow::<Order>().start().unwrap();
        let (ours, theirs) = (env.id("c-42"), env.id("c-7"));
        let mut ids = Vec::new();
        for (n, customer) in [&ours, &ours, &theirs].into_iter().enumerate() {
            let id = env.id(&format!("order-{n}"));
            let options = StartOptions::new(&id)
                .task_queue(env.tq("orders"))
                .search_attribute(CUSTOMER_ID, customer.clone())
                .search_attribute(PRIORITY, n as i64);
            env.client.start_workflow(Order::run, (), options).await.unwrap();
            ids.push(id);
        }
        let first = env.client.get_workflow_handle_for(Order::run, &ids[0]);
        first.signal(Order::finish, ()).await.unwrap();
        first.result().await.unwrap();

        let customer = format!("WorkflowType = 'Order' AND CustomerId = '{ours}'");
        assert_eq!(listed(&env, &customer, 2).await, ids[..2]);
        let running = format!("{customer} AND ExecutionStatus = 'Running'");
        assert_eq!(listed(&env, &running, 1).await, ids[1..2]);
        let either = format!("CustomerId IN ('{ours}', '{theirs}') AND Priority >= 1");
        assert_eq!(listed(&env, &either, 2).await, ids[1..]);
        assert_eq!(env.client.count_workflows(&customer).await.unwrap(), 2);

        // A page at a time: each page names the next.
        let page = env.client.list_workflows_page(&customer, 1, None).await.unwrap();
        assert_eq!(page.runs.len(), 1);
        let token = page.next_page_token.expect("a second page");
        let second = env.client.list_workflows_page(&customer, 1, Some(token)).await.unwrap();
        assert_eq!(second.runs.len(), 1);
        assert_ne!(second.runs[0].workflow_id, page.runs[0].workflow_id);
        let attributes = &second.runs[0].search_attributes;
        assert_eq!(attributes.get(CUSTOMER_ID).as_deref(), Some(ours.as_str()), "a summary carries its attributes");
    }
}

matrix! {
    async fn a_bad_query_is_a_typed_error(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("orders")).workflow::<Order>().start().unwrap();
        let options = StartOptions::new(env.id("typed"))
            .task_queue(env.tq("orders"))
            .search_attribute(PRIORITY, 1);
        env.client.start_workflow(Order::run, (), options).await.unwrap();

        let malformed = env.client.count_workflows("WorkflowType = 'Order' AND").await.unwrap_err();
        match malformed {
            ClientError::InvalidQuery { position: Some(26), message } => assert!(message.contains("position 26"), "{message}"),
            other => panic!("expected a syntax error at 26, got {other:?}"),
        }
        let listed: Result<Vec<_>, _> = env.client.list_workflows("ExecutionStatus = 'Runing'").try_collect().await;
        assert!(matches!(listed, Err(ClientError::InvalidQuery { position: Some(18), .. })), "{listed:?}");
        let mistyped = env.client.count_workflows("Priority = 'high'").await.unwrap_err();
        assert!(matches!(mistyped, ClientError::InvalidQuery { .. }), "{mistyped:?}");
    }
}
