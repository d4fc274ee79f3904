//! The runs page: filters by status, type and a visibility query, the
//! matching count, and one page of runs at a time.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use maud::{html, Markup};
use serde::Deserialize;
use workflow::visibility::{Field, Filter, VisibilityQuery, WorkflowPage};
use workflow::{ClientError, WorkflowStatus};

use crate::page::{client_status, shell, status_badge, Base, Section};
use crate::present::utc;
use crate::state::Shared;

/// Runs on one page.
const PAGE_SIZE: usize = 50;

/// Why the runs page has no runs to show.
#[derive(Debug, thiserror::Error)]
enum RunsError {
    /// The status filter names no status.
    #[error("{0}")]
    Status(String),
    /// The page parameter is not a token this UI gave.
    #[error("the page token is not one this UI gave; start again from the first page")]
    PageToken,
    /// The query is malformed, or the file could not be read.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl RunsError {
    /// The HTTP status the page answers with.
    fn status(&self) -> StatusCode {
        match self {
            RunsError::Client(error) => client_status(error),
            RunsError::Status(_) | RunsError::PageToken => StatusCode::BAD_REQUEST,
        }
    }
}

/// What the runs page is asked for: its filters and which page.
#[derive(Debug, Deserialize)]
pub(crate) struct RunsParams {
    /// A status name, or empty for all.
    #[serde(default)]
    status: String,
    /// A workflow type, or empty for all.
    #[serde(default, rename = "type")]
    workflow_type: String,
    /// A visibility query, or empty.
    #[serde(default)]
    q: String,
    /// The token of the page after the first, in URL-safe base64.
    #[serde(default)]
    page: String,
}

impl RunsParams {
    /// The query the filters make together: the typed query's filter,
    /// and-ed with the status and type chosen, and its order.
    fn query(&self) -> Result<VisibilityQuery, RunsError> {
        let mut query = VisibilityQuery::parse(&self.q).map_err(ClientError::from)?;
        let mut all: Vec<Filter> = query.filter.take().into_iter().collect();
        if !self.status.is_empty() {
            let status: WorkflowStatus = self.status.parse().map_err(RunsError::Status)?;
            all.push(Filter::equals(Field::ExecutionStatus, status.to_string()));
        }
        if !self.workflow_type.is_empty() {
            all.push(Filter::equals(Field::WorkflowType, &self.workflow_type));
        }
        query.filter = match all.len() {
            0 => None,
            1 => all.pop(),
            _ => Some(Filter::And(all)),
        };
        Ok(query)
    }

    /// The page token the `page` parameter carries.
    fn page_token(&self) -> Result<Option<Vec<u8>>, RunsError> {
        match self.page.is_empty() {
            true => Ok(None),
            false => URL_SAFE_NO_PAD
                .decode(&self.page)
                .map(Some)
                .map_err(|_| RunsError::PageToken),
        }
    }

    /// These filters' parameters, with `page` as the page token.
    fn link(&self, base: &Base, page: Option<&[u8]>) -> String {
        let page = page.map(|token| URL_SAFE_NO_PAD.encode(token)).unwrap_or_default();
        let params = [
            ("status", self.status.as_str()),
            ("type", self.workflow_type.as_str()),
            ("q", self.q.as_str()),
            ("page", page.as_str()),
        ];
        let set: Vec<(&str, &str)> = params.into_iter().filter(|(_, v)| !v.is_empty()).collect();
        base.runs(&set)
    }
}

/// One page of the runs the filters select, and how many they select.
struct Found {
    page: WorkflowPage,
    count: u64,
}

async fn find(shared: &Shared, params: &RunsParams) -> Result<Found, RunsError> {
    let query = params.query()?;
    let token = params.page_token()?;
    let client = shared.file.client();
    let page = client.list_workflows_page(&query.to_string(), PAGE_SIZE, token).await?;
    let counted = VisibilityQuery {
        filter: query.filter,
        order_by: Vec::new(),
    };
    let count = client.count_workflows(&counted.to_string()).await?;
    Ok(Found { page, count })
}

/// `GET /`: the runs page.
pub(crate) async fn runs_page(
    State(shared): State<Shared>,
    base: Base,
    Query(params): Query<RunsParams>,
) -> (StatusCode, Markup) {
    let found = find(&shared, &params).await;
    let status = found.as_ref().err().map_or(StatusCode::OK, RunsError::status);
    let body = html! {
        h1 { "Runs" }
        form.filters method="get" action=(base.at("/")) {
            label { "Status "
                select name="status" {
                    option value="" { "any" }
                    @for status in WorkflowStatus::ALL {
                        @let name = status.to_string();
                        option value=(name) selected[params.status.eq_ignore_ascii_case(&name)] { (name) }
                    }
                }
            }
            label { "Type " input name="type" value=(params.workflow_type) placeholder="any"; }
            label.grow { "Query "
                input name="q" value=(params.q) placeholder="CustomerId = 'c-42' ORDER BY StartTime DESC";
            }
            button type="submit" { "Filter" }
        }
        @match &found {
            Err(error) => p.error id="query-error" { "error: " (error) },
            Ok(found) => {
                p.count { (found.count) " run" (if found.count == 1 { "" } else { "s" }) " match"
                    (if found.count == 1 { "es" } else { "" }) }
                (table(&base, &found.page))
                nav.pages {
                    @if !params.page.is_empty() { a href=(params.link(&base, None)) { "← First page" } }
                    @if let Some(next) = &found.page.next_page_token {
                        a.next href=(params.link(&base, Some(next))) { "Next page →" }
                    }
                }
            }
        }
    };
    (status, shell(&base, &shared.csrf, Section::Runs, "Runs", body))
}

fn table(base: &Base, page: &WorkflowPage) -> Markup {
    html! {
        table.runs {
            thead { tr { th { "Workflow ID" } th { "Type" } th { "Status" } th { "Started (UTC)" }
                th { "Closed (UTC)" } th { "Run ID" } } }
            tbody {
                @for run in &page.runs {
                    tr {
                        td { a href=(base.run(&run.workflow_id, Some(&run.run_id))) { (run.workflow_id) } }
                        td { (run.workflow_type) }
                        td { (status_badge(run.status)) }
                        td { (utc(run.start_time_ms)) }
                        td { (run.close_time_ms.map(utc).unwrap_or_default()) }
                        td.mono { (run.run_id) }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(status: &str, workflow_type: &str, q: &str) -> RunsParams {
        RunsParams {
            status: status.to_owned(),
            workflow_type: workflow_type.to_owned(),
            q: q.to_owned(),
            page: String::new(),
        }
    }

    #[test]
    fn filters_and_the_query_make_one_query() {
        let query = params("running", "Order", "CustomerId = 'c-42' ORDER BY StartTime")
            .query()
            .unwrap();
        assert_eq!(
            query.to_string(),
            "CustomerId = 'c-42' AND ExecutionStatus = 'Running' AND WorkflowType = 'Order' ORDER BY StartTime"
        );
        assert_eq!(params("", "", "").query().unwrap(), VisibilityQuery::default());
        let quoted = params("", "it's", "").query().unwrap().to_string();
        assert_eq!(VisibilityQuery::parse(&quoted).unwrap().to_string(), quoted);
    }

    #[test]
    fn bad_filters_are_bad_requests() {
        let error = params("Runing", "", "").query().unwrap_err();
        assert!(error.to_string().starts_with("unknown status `Runing`"), "{error}");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let error = params("", "", "WorkflowType = ").query().unwrap_err();
        assert!(error.to_string().starts_with("invalid visibility query:"), "{error}");
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let mut bad_page = params("", "", "");
        bad_page.page = "zz!".to_owned();
        assert!(matches!(bad_page.page_token(), Err(RunsError::PageToken)));
        bad_page.page = "Cv8".to_owned();
        assert_eq!(bad_page.page_token().unwrap(), Some(vec![10, 255]));
    }
}
