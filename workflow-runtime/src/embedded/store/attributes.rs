//! What a run carries for people and queries rather than for its code: its
//! memo (in its row) and its search attributes (one indexed row per value,
//! each name's type fixed at its first use, as a Temporal namespace
//! registers it).

use std::collections::{BTreeMap, HashMap};

use rusqlite::types::Value;
use rusqlite::{params, OptionalExtension};
use workflow_client::{Payload, SearchAttributeType, SearchAttributeUpdate, SearchAttributeValue, SearchAttributes};

use super::record::{self, MemoRecord, PayloadRecord};
use super::{RunKey, Store, StoreError, StoreResult};

impl Store {
    /// Writes a run's memo.
    pub(crate) fn save_memo(&self, run: RunKey, memo: &BTreeMap<String, Payload>) -> StoreResult<()> {
        let blob = match memo.is_empty() {
            true => None,
            false => {
                let stored: MemoRecord = memo.iter().map(|(k, v)| (k.clone(), PayloadRecord::from(v))).collect();
                Some(record::encode(&stored)?)
            }
        };
        self.conn
            .prepare_cached("UPDATE runs SET memo = ?2 WHERE run_key = ?1")?
            .execute(params![run.0, blob])?;
        Ok(())
    }

    /// A run's memo.
    pub(crate) fn memo_of(&self, run: RunKey) -> StoreResult<BTreeMap<String, Payload>> {
        let blob: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT memo FROM runs WHERE run_key = ?1")?
            .query_row(params![run.0], |r| r.get(0))
            .optional()?
            .flatten();
        let Some(blob) = blob else {
            return Ok(BTreeMap::new());
        };
        let stored: MemoRecord = record::decode("runs", &blob)?;
        Ok(stored.into_iter().map(|(k, v)| (k, Payload::from(v))).collect())
    }

    /// The type a search attribute name was first used with.
    pub(crate) fn search_attribute_type(&self, name: &str) -> StoreResult<Option<SearchAttributeType>> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT type FROM search_attribute_types WHERE name = ?1")?
            .query_row(params![name], |r| r.get(0))
            .optional()?;
        text.map(|t| {
            t.parse().map_err(|message| StoreError::Corrupt {
                table: "search_attribute_types",
                message,
            })
        })
        .transpose()
    }

    /// Why these values cannot be stored, if one cannot: a Double that is
    /// not a finite number, or a value of another type than its name was
    /// first used with (in the file, or earlier in `values`).
    pub(crate) fn attribute_problem<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a str, &'a SearchAttributeValue)>,
    ) -> StoreResult<Option<String>> {
        let mut kinds: HashMap<&str, SearchAttributeType> = HashMap::new();
        for (name, value) in values {
            if let SearchAttributeValue::Double(d) = value {
                if !d.is_finite() {
                    return Ok(Some(format!(
                        "search attribute `{name}` must be a finite number, not {d}"
                    )));
                }
            }
            let kind = match kinds.get(name) {
                Some(kind) => Some(*kind),
                None => self.search_attribute_type(name)?,
            };
            match kind {
                Some(kind) if kind != value.kind() => {
                    return Ok(Some(format!(
                        "search attribute `{name}` is a {kind}; a {} value cannot be stored in it",
                        value.kind()
                    )))
                }
                _ => kinds.insert(name, value.kind()),
            };
        }
        Ok(None)
    }

    /// Replaces a run's search attributes (checked by [`Store::attribute_problem`]).
    pub(crate) fn save_search_attributes(&self, run: RunKey, attributes: &SearchAttributes) -> StoreResult<()> {
        self.conn
            .prepare_cached("DELETE FROM search_attributes WHERE run_key = ?1")?
            .execute(params![run.0])?;
        let mut register = self
            .conn
            .prepare_cached("INSERT INTO search_attribute_types (name, type) VALUES (?1, ?2) ON CONFLICT DO NOTHING")?;
        let mut insert = self
            .conn
            .prepare_cached("INSERT OR IGNORE INTO search_attributes (run_key, name, value) VALUES (?1, ?2, ?3)")?;
        for (name, value) in attributes.iter() {
            register.execute(params![name, value.kind().to_string()])?;
            for stored in stored_values(value) {
                insert.execute(params![run.0, name, stored])?;
            }
        }
        Ok(())
    }

    /// A run's search attributes.
    pub(crate) fn search_attributes_of(&self, run: RunKey) -> StoreResult<SearchAttributes> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.name, t.type, a.value FROM search_attributes a JOIN search_attribute_types t ON t.name = a.name
             WHERE a.run_key = ?1 ORDER BY a.name, a.value",
        )?;
        let rows = stmt.query_map(params![run.0], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?))
        })?;
        let mut attributes = SearchAttributes::new();
        let mut lists: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for row in rows {
            let (name, kind, value): (String, String, Value) = row?;
            let kind: SearchAttributeType = kind.parse().map_err(|message| StoreError::Corrupt {
                table: "search_attribute_types",
                message,
            })?;
            let value = match (kind, value) {
                (SearchAttributeType::KeywordList, Value::Text(s)) => {
                    lists.entry(name).or_default().push(s);
                    continue;
                }
                (SearchAttributeType::Keyword, Value::Text(s)) => SearchAttributeValue::Keyword(s),
                (SearchAttributeType::Text, Value::Text(s)) => SearchAttributeValue::Text(s),
                (SearchAttributeType::Int, Value::Integer(i)) => SearchAttributeValue::Int(i),
                (SearchAttributeType::Double, Value::Real(d)) => SearchAttributeValue::Double(d),
                (SearchAttributeType::Bool, Value::Integer(b)) => SearchAttributeValue::Bool(b != 0),
                (SearchAttributeType::Datetime, Value::Integer(ms)) => SearchAttributeValue::Datetime(ms),
                (kind, value) => {
                    return Err(StoreError::Corrupt {
                        table: "search_attributes",
                        message: format!("`{name}` is a {kind} but holds {value:?}"),
                    })
                }
            };
            attributes.apply(SearchAttributeUpdate {
                name,
                value: Some(value),
            });
        }
        for (name, list) in lists {
            attributes.apply(SearchAttributeUpdate {
                name,
                value: Some(SearchAttributeValue::KeywordList(list)),
            });
        }
        Ok(attributes)
    }
}

/// The rows a value is stored as: one per keyword of a list.
fn stored_values(value: &SearchAttributeValue) -> Vec<Value> {
    use SearchAttributeValue as V;
    match value.clone() {
        V::Keyword(s) | V::Text(s) => vec![Value::Text(s)],
        V::Int(i) | V::Datetime(i) => vec![Value::Integer(i)],
        V::Double(d) => vec![Value::Real(d)],
        V::Bool(b) => vec![Value::Integer(i64::from(b))],
        V::KeywordList(list) => list.into_iter().map(Value::Text).collect(),
    }
}
