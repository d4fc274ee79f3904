//! The actions on a run (signal, query, update, cancel, terminate): their
//! forms, what a form's request does, and how any action (a schedule's
//! too) answers. Arguments are checked as JSON
//! before anything is sent, and every outcome is worded as the `workflow`
//! command words it.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use workflow::{ClientError, Description, StoreFile};

use crate::page::{client_status, Base};
use crate::present::{delivery, json_args, unhandled_signal_warning, ArgumentError};
use crate::run::{handle, RunParam};
use crate::state::Shared;

/// What an action's form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct ActionForm {
    /// The handler's name (signal, query, update).
    #[serde(default)]
    name: String,
    /// The arguments, one JSON value per line.
    #[serde(default)]
    args: String,
    /// Why (terminate).
    #[serde(default)]
    reason: String,
}

impl ActionForm {
    /// The handler's name and arguments of a signal, query or update,
    /// checked before anything is sent.
    fn call(&self) -> Result<(&str, Vec<Value>), ActionError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(ActionError::MissingName);
        }
        let lines: Vec<&str> = self.args.lines().filter(|l| !l.trim().is_empty()).collect();
        Ok((name, json_args(&lines)?))
    }
}

/// What an action answers: whether it worked, and what to show.
#[derive(Debug, Serialize)]
pub(crate) struct Outcome {
    ok: bool,
    /// The result, or the error as the command line prints it.
    message: String,
}

/// Why an action was not done.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ActionError {
    /// No action has this name.
    #[error("no action `{0}` here")]
    Unknown(String),
    /// An argument is not JSON; nothing was sent.
    #[error(transparent)]
    Arguments(#[from] ArgumentError),
    /// A signal, query or update without a handler name; nothing was sent.
    #[error("give the handler's name")]
    MissingName,
    /// The engine refused or failed the call.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The answer could not be shown as JSON.
    #[error("the answer is not JSON: {0}")]
    Answer(#[from] serde_json::Error),
}

impl ActionError {
    /// The HTTP status the action answers with.
    fn status(&self) -> StatusCode {
        match self {
            ActionError::Unknown(_) => StatusCode::NOT_FOUND,
            ActionError::Arguments(_) | ActionError::MissingName => StatusCode::BAD_REQUEST,
            ActionError::Client(error) => client_status(error),
            ActionError::Answer(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// `POST /runs/{workflow_id}/actions/{action}`: runs one action.
pub(crate) async fn act(
    State(shared): State<Shared>,
    Path((workflow_id, action)): Path<(String, String)>,
    Query(run): Query<RunParam>,
    Json(form): Json<ActionForm>,
) -> (StatusCode, Json<Outcome>) {
    answer(perform(&shared.file, &workflow_id, &run, &action, form).await)
}

/// An action's answer: its message, or its error as the command line
/// prints it, with the HTTP status that goes with it.
pub(crate) fn answer(result: Result<String, ActionError>) -> (StatusCode, Json<Outcome>) {
    match result {
        Ok(message) => (StatusCode::OK, Json(Outcome { ok: true, message })),
        Err(error) => {
            let message = format!("error: {error}");
            (error.status(), Json(Outcome { ok: false, message }))
        }
    }
}

async fn perform(
    file: &StoreFile,
    workflow_id: &str,
    run: &RunParam,
    action: &str,
    form: ActionForm,
) -> Result<String, ActionError> {
    let target = handle(file, workflow_id, run);
    // Whether the owner applies a durable request now, as the CLI words it.
    let owned = file.is_owned();
    match action {
        "signal" => {
            let (name, args) = form.call()?;
            target.signal_by_name(name, args).await?;
            let delivered = delivery(&format!("signal `{name}`"), workflow_id, owned, file.path());
            let warning = match owned {
                true => unhandled_signal_warning(&target, name).await,
                false => None,
            };
            Ok(match warning {
                Some(warning) => format!("{delivered}\n{warning}"),
                None => delivered,
            })
        }
        "query" | "update" => {
            let (name, args) = form.call()?;
            let answer: Value = match action {
                "query" => target.query_by_name(name, args).await?,
                _ => target.execute_update_by_name(name, args).await?,
            };
            Ok(serde_json::to_string_pretty(&answer)?)
        }
        "cancel" => {
            target.cancel().await?;
            Ok(delivery("cancellation request", workflow_id, owned, file.path()))
        }
        "terminate" => {
            let reason = match form.reason.trim() {
                "" => "terminated from the web UI",
                reason => reason,
            };
            target.terminate(reason).await?;
            Ok(delivery("termination", workflow_id, owned, file.path()))
        }
        unknown => Err(ActionError::Unknown(unknown.to_owned())),
    }
}

/// The action forms of a run's page: queries always, the rest while it
/// runs.
pub(crate) fn forms(base: &Base, d: &Description) -> Markup {
    let url = |action: &str| {
        format!(
            "{}/actions/{action}?run={}",
            base.run(&d.workflow_id, None),
            crate::page::segment(&d.run_id)
        )
    };
    let named = |action: &str, label: &str| {
        html! {
            form.action data-action=(url(action)) {
                h3 { (label) }
                input name="name" placeholder="name" required autocomplete="off";
                textarea name="args" rows="2" placeholder="arguments: one JSON value per line, e.g. \"Alice\"" {}
                button type="submit" { (label) }
                pre.outcome {}
            }
        }
    };
    html! {
        section.actions #actions {
            h2 { "Actions" }
            div.forms {
                @if d.status.is_running() { (named("signal", "Signal")) }
                (named("query", "Query"))
                @if d.status.is_running() {
                    (named("update", "Update"))
                    form.action data-action=(url("cancel")) data-confirm="Ask this run to cancel?" {
                        h3 { "Cancel" }
                        p.muted { "The run sees the request at its next await." }
                        button type="submit" { "Request cancellation" }
                        pre.outcome {}
                    }
                    form.action data-action=(url("terminate")) data-confirm="Terminate this run now?" {
                        h3 { "Terminate" }
                        input name="reason" placeholder="reason" autocomplete="off";
                        button.danger type="submit" { "Terminate" }
                        pre.outcome {}
                    }
                }
            }
        }
    }
}
