//! Row values in batches and queue items are JSON; this maps them to and from SQLite values.

use rusqlite::types::Value;

/// A JSON value as an SQLite value (booleans as 0/1, arrays and objects as JSON text).
pub fn to_sql(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Integer(i64::from(*b)),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Real(n.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(s) => Value::Text(s.clone()),
        other => Value::Text(other.to_string()),
    }
}

/// An SQLite value as JSON (blobs as lowercase hex).
pub fn from_sql(v: rusqlite::types::ValueRef<'_>) -> serde_json::Value {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => serde_json::Value::Null,
        ValueRef::Integer(i) => serde_json::Value::from(i),
        ValueRef::Real(f) => serde_json::Value::from(f),
        ValueRef::Text(t) => serde_json::Value::from(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => serde_json::Value::from(hex::encode(b)),
    }
}

/// Binds a JSON value as an SQLite parameter without copying strings.
pub struct Param<'a>(pub &'a serde_json::Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self.0 {
            serde_json::Value::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            serde_json::Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            other => ToSqlOutput::Owned(to_sql(other)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_keep_their_kind_and_booleans_become_integers() {
        assert_eq!(to_sql(&serde_json::json!(3)), Value::Integer(3));
        assert_eq!(to_sql(&serde_json::json!(2.5)), Value::Real(2.5));
        assert_eq!(to_sql(&serde_json::json!(true)), Value::Integer(1));
        assert_eq!(to_sql(&serde_json::json!("x")), Value::Text("x".into()));
        assert_eq!(
            from_sql(rusqlite::types::ValueRef::Integer(7)),
            serde_json::json!(7)
        );
    }
}
