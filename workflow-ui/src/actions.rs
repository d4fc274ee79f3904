//! The actions on a run (signal, query, update, cancel, terminate): their
//! forms, what a form's request does, and how any action (a schedule's
//! too) answers. Arguments are checked as JSON
//! before anything is sent, and every outcome is worded as the `workflow`
//! command words it.

use std::str::FromStr;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use maud::{html, Markup};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use workflow::{ClientError, Description};

use crate::page::Base;
use crate::present::{delivery, json_args, unhandled_signal_warning, ArgumentError};
use crate::run::{handle, RunParam};
use crate::state::Shared;

/// How long a query or update waits for the process that runs the worker.
const REPLY_TIMEOUT: Duration = Duration::from_secs(15);

/// One action on a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Signal,
    Query,
    Update,
    Cancel,
    Terminate,
}

impl FromStr for Action {
    type Err = ActionError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name {
            "signal" => Action::Signal,
            "query" => Action::Query,
            "update" => Action::Update,
            "cancel" => Action::Cancel,
            "terminate" => Action::Terminate,
            _ => return Err(ActionError::Unknown(name.to_owned())),
        })
    }
}

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
            ActionError::Client(ClientError::NotFound { .. } | ClientError::ScheduleNotFound { .. }) => {
                StatusCode::NOT_FOUND
            }
            ActionError::Client(ClientError::NotOwned { .. } | ClientError::NoWorker { .. }) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ActionError::Client(ClientError::Storage(_) | ClientError::EngineClosed) | ActionError::Answer(_) => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ActionError::Client(_) => StatusCode::UNPROCESSABLE_ENTITY,
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
    let done = match action.parse() {
        Ok(action) => perform(&shared, &workflow_id, &run, action, form).await,
        Err(unknown) => Err(unknown),
    };
    answer(done)
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
    shared: &Shared,
    workflow_id: &str,
    run: &RunParam,
    action: Action,
    form: ActionForm,
) -> Result<String, ActionError> {
    let lines: Vec<&str> = form.args.lines().filter(|l| !l.trim().is_empty()).collect();
    let args = json_args(&lines)?;
    let name = form.name.trim();
    if matches!(action, Action::Signal | Action::Query | Action::Update) && name.is_empty() {
        return Err(ActionError::MissingName);
    }
    let file = &shared.file;
    let owned = file.is_owned();
    match action {
        Action::Signal => {
            let target = handle(file, workflow_id, run);
            target.signal_by_name(name, args).await?;
            let delivered = delivery(&format!("signal `{name}`"), workflow_id, owned, file.path());
            match owned {
                true => match unhandled_signal_warning(&target, name).await {
                    Some(warning) => Ok(format!("{delivered}\n{warning}")),
                    None => Ok(delivered),
                },
                false => Ok(delivered),
            }
        }
        Action::Query | Action::Update => {
            let file = file.clone().reply_timeout(REPLY_TIMEOUT);
            let target = handle(&file, workflow_id, run);
            let answer: Value = match action {
                Action::Query => target.query_by_name(name, args).await,
                _ => target.execute_update_by_name(name, args).await,
            }?;
            Ok(serde_json::to_string_pretty(&answer)?)
        }
        Action::Cancel => {
            handle(file, workflow_id, run).cancel().await?;
            Ok(delivery("cancellation request", workflow_id, owned, file.path()))
        }
        Action::Terminate => {
            let reason = match form.reason.trim() {
                "" => "terminated from the web UI",
                reason => reason,
            };
            handle(file, workflow_id, run).terminate(reason).await?;
            Ok(delivery("termination", workflow_id, owned, file.path()))
        }
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
