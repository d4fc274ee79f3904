//! The frame every page shares: where the UI is mounted, links into it,
//! the page shell with its navigation, and how a failure shows.

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use workflow::{ClientError, WorkflowStatus};

use crate::access::Token;

/// The path the UI is mounted at (empty at a server's root), so links work
/// when an application nests the router under a prefix of its own.
pub(crate) struct Base(String);

impl<S: Send + Sync> FromRequestParts<S> for Base {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Base::of(&parts.uri, parts.extensions.get()))
    }
}

impl Base {
    /// The base of a request whose path inside the UI is `uri`'s, and whose
    /// path as the client sent it is `original`'s.
    pub(crate) fn of(uri: &Uri, original: Option<&OriginalUri>) -> Base {
        let inner = uri.path();
        let full = original.map(|o| o.path()).unwrap_or(inner);
        let base = match full.strip_suffix(inner) {
            Some(prefix) => prefix,
            // A nested router's root is served as `/` for `/prefix`.
            None => full.trim_end_matches('/'),
        };
        Base(base.trim_end_matches('/').to_owned())
    }

    /// The runs page: the base itself (a nested router's root has no
    /// trailing slash), or `/` at a server's root.
    pub(crate) fn home(&self) -> String {
        match self.0.is_empty() {
            true => "/".to_owned(),
            false => self.0.clone(),
        }
    }

    /// A path inside the UI: `path` starts with `/`.
    pub(crate) fn at(&self, path: &str) -> String {
        match path {
            "/" => self.home(),
            _ => format!("{}{path}", self.0),
        }
    }

    /// The page of one run (the latest of `workflow_id` without `run_id`).
    pub(crate) fn run(&self, workflow_id: &str, run_id: Option<&str>) -> String {
        let mut url = self.at(&format!("/runs/{}", segment(workflow_id)));
        if let Some(run_id) = run_id {
            url.push_str(&format!("?run={}", segment(run_id)));
        }
        url
    }

    /// The runs page with `params` as its query string.
    pub(crate) fn runs(&self, params: &[(&str, &str)]) -> String {
        let query = serde_urlencoded::to_string(params).unwrap_or_default();
        match query.is_empty() {
            true => self.home(),
            false => format!("{}?{query}", self.home()),
        }
    }
}

/// What a path segment or query value escapes: all but RFC 3986's
/// unreserved characters.
const ESCAPED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// `text` escaped to stand as one path segment or query value.
pub(crate) fn segment(text: &str) -> String {
    utf8_percent_encode(text, ESCAPED).to_string()
}

/// Which part of the UI a page belongs to, for the navigation bar.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Runs,
    Schedules,
}

/// A whole page: `title`, the navigation, and `body`. Every page carries
/// the CSRF secret its actions send back.
pub(crate) fn shell(base: &Base, csrf: &Token, section: Section, title: &str, body: Markup) -> Markup {
    let current = |s: Section| if s == section { "current" } else { "" };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(csrf.as_str());
                title { (title) " · workflow" }
                link rel="stylesheet" href=(base.at("/assets/ui.css"));
                script src=(base.at("/assets/ui.js")) defer {}
            }
            body {
                header.bar {
                    a.brand href=(base.at("/")) { "workflow" }
                    nav {
                        a class=(current(Section::Runs)) href=(base.at("/")) { "Runs" }
                        a class=(current(Section::Schedules)) href=(base.at("/schedules")) { "Schedules" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A status as a coloured badge.
pub(crate) fn status_badge(status: WorkflowStatus) -> Markup {
    html! { span class={ "status " (status) } { (status) } }
}

/// JSON shown as preformatted text.
pub(crate) fn json_block(value: &serde_json::Value) -> Markup {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    html! { pre.json { (text) } }
}

/// A page that failed: its status and the error as the command line words
/// it.
pub(crate) struct PageError {
    status: StatusCode,
    message: String,
}

/// The HTTP status that goes with a client's error, for pages and actions
/// alike.
pub(crate) fn client_status(error: &ClientError) -> StatusCode {
    match error {
        ClientError::NotFound { .. } | ClientError::ScheduleNotFound { .. } => StatusCode::NOT_FOUND,
        ClientError::InvalidQuery { .. } | ClientError::InvalidOptions { .. } | ClientError::Payload(_) => {
            StatusCode::BAD_REQUEST
        }
        ClientError::NotOwned { .. } | ClientError::NoWorker { .. } => StatusCode::SERVICE_UNAVAILABLE,
        ClientError::Storage(_) | ClientError::EngineClosed | ClientError::Codec(_) | ClientError::Server { .. } => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
        // The workflow refused: closed, unknown handler, rejected, failed.
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

impl From<ClientError> for PageError {
    fn from(error: ClientError) -> Self {
        PageError {
            status: client_status(&error),
            message: error.to_string(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let body = html! {
            (DOCTYPE)
            html lang="en" {
                head { meta charset="utf-8"; title { "error · workflow" } }
                body { p.error { "error: " (self.message) } }
            }
        };
        (self.status, body).into_response()
    }
}
