//! Visibility queries over the store: a page of the runs a query selects,
//! and how many it selects.

use std::collections::HashMap;

use rusqlite::params_from_iter;
use rusqlite::types::Value;
use workflow_client::visibility::{VisibilityQuery, WorkflowPage, WorkflowSummary};
use workflow_client::{ClientError, SearchAttributeType};

use super::visibility::{compile, CompiledQuery};
use super::{run_row, RunRow, Store, StoreError, StoreResult, RUN_COLUMNS};

/// The most values (literals and attribute names) one query may hold.
const MAX_QUERY_VALUES: usize = 10_000;

impl Store {
    /// One page of the runs `query` selects, from the page `token` names.
    pub(crate) fn list_workflows(
        &self,
        query: &str,
        page_size: usize,
        token: Option<&[u8]>,
    ) -> StoreResult<Result<WorkflowPage, ClientError>> {
        let offset = match token.map(<[u8; 8]>::try_from) {
            None => 0,
            Some(Ok(bytes)) => u64::from_be_bytes(bytes),
            Some(Err(_)) => return Ok(Err(bad_token())),
        };
        let compiled = match self.compiled(query)? {
            Ok(compiled) => compiled,
            Err(e) => return Ok(Err(e)),
        };
        let sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs WHERE {} ORDER BY {} LIMIT ? OFFSET ?",
            compiled.where_sql, compiled.order_sql
        );
        // One more than the page tells whether another page follows.
        let mut params = compiled.params;
        params.push(Value::Integer(i64::try_from(page_size + 1).unwrap_or(i64::MAX)));
        params.push(Value::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
        let mut rows: Vec<RunRow> = {
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt.query_map(params_from_iter(params), run_row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let more = rows.len() > page_size;
        rows.truncate(page_size);
        let next_page_token = more.then(|| (offset + page_size as u64).to_be_bytes().to_vec());
        let runs = rows
            .into_iter()
            .map(|row| self.summary(row))
            .collect::<StoreResult<_>>()?;
        Ok(Ok(WorkflowPage { runs, next_page_token }))
    }

    /// How many runs `query` selects.
    pub(crate) fn count_workflows(&self, query: &str) -> StoreResult<Result<u64, ClientError>> {
        let compiled = match self.compiled(query)? {
            Ok(compiled) => compiled,
            Err(e) => return Ok(Err(e)),
        };
        // ORDER BY binds parameters of its own; a count has none.
        let params = &compiled.params[..compiled.where_params];
        let sql = format!("SELECT COUNT(*) FROM runs WHERE {}", compiled.where_sql);
        let count: i64 = self
            .conn
            .prepare(&sql)?
            .query_row(params_from_iter(params), |r| r.get(0))?;
        Ok(Ok(u64::try_from(count).unwrap_or(0)))
    }

    /// `query` parsed and compiled against the attributes' types.
    fn compiled(&self, query: &str) -> StoreResult<Result<CompiledQuery, ClientError>> {
        let parsed = match VisibilityQuery::parse(query) {
            Ok(parsed) => parsed,
            Err(e) => return Ok(Err(e.into())),
        };
        let types = self.search_attribute_types()?;
        let invalid = |message: String| ClientError::InvalidQuery {
            message,
            position: None,
        };
        let compiled = match compile(&parsed, &|name| types.get(name).copied()) {
            Ok(compiled) => compiled,
            Err(e) => return Ok(Err(invalid(e.to_string()))),
        };
        // SQLite binds at most 32,766 values to a statement.
        if compiled.params.len() > MAX_QUERY_VALUES {
            let message = format!("the query has more than {MAX_QUERY_VALUES} values");
            return Ok(Err(invalid(message)));
        }
        Ok(Ok(compiled))
    }

    /// Every search attribute name in use, with its type.
    fn search_attribute_types(&self) -> StoreResult<HashMap<String, SearchAttributeType>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name, type FROM search_attribute_types")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        let mut types = HashMap::new();
        for row in rows {
            let (name, kind) = row?;
            let kind = kind.parse().map_err(|message| StoreError::Corrupt {
                table: "search_attribute_types",
                message,
            })?;
            types.insert(name, kind);
        }
        Ok(types)
    }

    /// A listed run, with its memo and search attributes.
    fn summary(&self, row: RunRow) -> StoreResult<WorkflowSummary> {
        Ok(WorkflowSummary {
            memo: self.memo_of(row.key)?,
            search_attributes: self.search_attributes_of(row.key)?,
            workflow_id: row.workflow_id,
            run_id: row.run_id,
            workflow_type: row.workflow_type,
            task_queue: row.task_queue,
            status: row.status,
            start_time_ms: row.start_ms,
            close_time_ms: row.close_ms,
        })
    }
}

fn bad_token() -> ClientError {
    ClientError::InvalidOptions {
        message: "the page token is not one a listing gave".to_owned(),
    }
}
