use workflow::{ClientError, StartOptions};

use crate::support::{matrix, Env};
use crate::workflows::*;

matrix! {
    async fn dynamic_workflow_and_activity_receive_the_name_and_raw_args(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("dyn")).workflow::<AnyWorkflow>().activity(any_activity).start().unwrap();
        let handle = env
            .client
            .start_workflow_by_name("NoSuchType", ("Ada",), StartOptions::new(env.id("dw")).task_queue(env.tq("dyn")))
            .await
            .unwrap();
        let result: String = handle.result().await.unwrap().decode().unwrap();
        assert_eq!(result, "NoSuchType -> unregistered_activity(Ada) on attempt 1");
    }
}

matrix! {
    async fn dynamic_query_and_update_are_fallbacks_behind_static_handlers(flavor: Flavor) {
        let env = Env::new(flavor).await;
        let _worker = env.engine.worker(env.tq("dyn")).workflow::<Registry>().start().unwrap();
        let handle = env
            .client
            .start_workflow(Registry::run, (), StartOptions::new(env.id("reg")).task_queue(env.tq("dyn")))
            .await
            .unwrap();
        assert_eq!(handle.execute_update(Registry::set, (env.id("a"), 1)).await.unwrap(), 1);
        let dynamic: String = handle.execute_update_by_name("b", (2,)).await.unwrap();
        assert_eq!(dynamic, "dynamic b=2");
        let rejected = handle.execute_update_by_name::<String>("_hidden", (3,)).await.unwrap_err();
        assert!(matches!(rejected, ClientError::UpdateRejected { .. }), "{rejected:?}");
        assert_eq!(handle.query(Registry::count, ()).await.unwrap(), 2, "static query wins");
        assert_eq!(handle.query_by_name::<Option<i64>>("b", ()).await.unwrap(), Some(2));
        assert_eq!(handle.query_by_name::<Option<i64>>("zzz", ()).await.unwrap(), None);
        handle.signal(Registry::done, ()).await.unwrap();
        assert_eq!(handle.result().await.unwrap(), 2);
    }
}
