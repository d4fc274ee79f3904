//! A web UI for the workflows of an embedded SQLite file.
//!
//! It lists runs (filtered by status, type and a
//! [visibility query](workflow::visibility)), shows a run's history as a
//! timeline with its payloads decoded, what the run waits on, its parent,
//! children and continue-as-new chain, and its schedules; and it signals,
//! queries, updates, cancels and terminates runs. The page of a run that
//! changes refreshes itself. Every asset is in the binary.
//!
//! `workflow ui --db FILE` serves it; [`router`] mounts the same pages in
//! an application's own [axum] server, under any prefix:
//!
//! ```no_run
//! use workflow::StoreFile;
//! use workflow_ui::{router, Access, Token};
//!
//! # async fn serve() -> Result<(), Box<dyn std::error::Error>> {
//! let file = StoreFile::open("orders.db")?;
//! let app = axum::Router::new()
//!     .route("/health", axum::routing::get(|| async { "ok" }))
//!     .nest("/workflows", router(file, Access::token(Token::new("a-long-secret-token")?)));
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```
//!
//! # Safety
//!
//! [`Access::loopback`] serves requests from this machine addressed to its
//! loopback names only; anything else needs [`Access::token`]. Every action
//! is a `POST` that must carry the CSRF secret of the page it came from.
//! Names and payloads are escaped wherever they show, and a
//! content security policy lets only the UI's own script run.

mod access;
mod actions;
mod assets;
mod page;
pub mod present;
mod run;
mod runs;
mod schedules;
mod server;
mod state;

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use workflow::StoreFile;

pub use access::{Access, Token, TokenError};
pub use server::{UiError, UiServer};

use state::{Shared, UiState};

/// The UI's pages, assets and actions over `file`, for `access`.
///
/// The router answers at its own root; nest it to serve it under a prefix
/// (links follow the prefix).
pub fn router(file: StoreFile, access: Access) -> Router {
    let shared: Shared = Arc::new(UiState {
        file,
        access,
        csrf: Token::generate(),
    });
    Router::new()
        .route("/", get(runs::runs_page))
        .route("/runs/{workflow_id}", get(run::run_page))
        .route("/runs/{workflow_id}/state", get(run::run_state))
        .route("/runs/{workflow_id}/stack", get(run::stack_trace))
        .route("/runs/{workflow_id}/actions/{action}", post(actions::act))
        .route("/schedules", get(schedules::schedules_page))
        .route("/schedules/{schedule_id}", get(schedules::schedule_page))
        .route("/schedules/{schedule_id}/actions/{action}", post(schedules::act))
        .route("/assets/{name}", get(assets::asset))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), access::guard))
        .layer(axum::middleware::map_response(assets::secure_headers))
        .with_state(shared)
}
