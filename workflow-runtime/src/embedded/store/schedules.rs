//! The `schedules` table: each schedule's definition and state.
//!
//! Both are kept as the JSON their types serialize to; the field names of
//! `ScheduleDefinition` and `ScheduleState` are part of the file format
//! and only ever added to (with defaults).

use rusqlite::{params, OptionalExtension};
use workflow_client::schedule::{ScheduleDefinition, ScheduleState};

use super::{Store, StoreError, StoreResult};

/// A schedule's key in the `schedules` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ScheduleKey(pub(crate) i64);

/// A row of the `schedules` table.
pub(crate) struct ScheduleRow {
    pub(crate) key: ScheduleKey,
    pub(crate) schedule_id: String,
    pub(crate) definition: ScheduleDefinition,
    pub(crate) state: ScheduleState,
}

fn json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt {
        table: "schedules",
        message: e.to_string(),
    })
}

fn parsed<T: serde::de::DeserializeOwned>(text: &str) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into()))
}

impl Store {
    /// Records a new schedule; `None` if the id is taken.
    pub(crate) fn insert_schedule(
        &self,
        schedule_id: &str,
        definition: &ScheduleDefinition,
        state: &ScheduleState,
    ) -> StoreResult<Option<ScheduleKey>> {
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO schedules (schedule_id, definition, state) VALUES (?1, ?2, ?3)
                 ON CONFLICT (schedule_id) DO NOTHING",
            )?
            .execute(params![schedule_id, json(definition)?, json(state)?])?;
        Ok((inserted == 1).then(|| ScheduleKey(self.conn.last_insert_rowid())))
    }

    /// Writes a schedule's definition and state.
    pub(crate) fn save_schedule(
        &self,
        key: ScheduleKey,
        definition: &ScheduleDefinition,
        state: &ScheduleState,
    ) -> StoreResult<()> {
        self.conn
            .prepare_cached("UPDATE schedules SET definition = ?2, state = ?3 WHERE schedule_key = ?1")?
            .execute(params![key.0, json(definition)?, json(state)?])?;
        Ok(())
    }

    /// Deletes a schedule.
    pub(crate) fn delete_schedule(&self, key: ScheduleKey) -> StoreResult<()> {
        self.conn
            .prepare_cached("DELETE FROM schedules WHERE schedule_key = ?1")?
            .execute(params![key.0])?;
        Ok(())
    }

    /// Every schedule.
    pub(crate) fn schedules(&self) -> StoreResult<Vec<ScheduleRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT schedule_key, schedule_id, definition, state FROM schedules ORDER BY schedule_id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ScheduleRow {
                key: ScheduleKey(r.get(0)?),
                schedule_id: r.get(1)?,
                definition: parsed(&r.get::<_, String>(2)?)?,
                state: parsed(&r.get::<_, String>(3)?)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The schedule with this id.
    pub(crate) fn schedule(&self, schedule_id: &str) -> StoreResult<Option<ScheduleRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT schedule_key, schedule_id, definition, state FROM schedules WHERE schedule_id = ?1",
        )?;
        Ok(stmt
            .query_row(params![schedule_id], |r| {
                Ok(ScheduleRow {
                    key: ScheduleKey(r.get(0)?),
                    schedule_id: r.get(1)?,
                    definition: parsed(&r.get::<_, String>(2)?)?,
                    state: parsed(&r.get::<_, String>(3)?)?,
                })
            })
            .optional()?)
    }
}
