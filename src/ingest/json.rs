//! Reading JSON and JSONL dumps of the vendors' Admin APIs, as scripts save them.
//!
//! A file may hold one page (`{"data":[bucket…], "has_more":…}`), an array of pages, or one page
//! or bucket per line (JSONL). Every result inside every bucket is one record; records are
//! numbered from 1 in file order, and that number is what `rejects.csv` reports as the line.

use super::RowError;
use serde_json::Value;

/// Parses a whole file as JSON, or failing that as JSONL. The error names the line and column.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, String> {
    let text = text.trim_start_matches('\u{feff}');
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(v) => Ok(vec![v]),
        Err(whole) => {
            let mut docs = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                match serde_json::from_str::<Value>(line) {
                    Ok(v) => docs.push(v),
                    Err(e) => {
                        return Err(if i == 0 {
                            format!("not valid JSON: {whole}")
                        } else {
                            format!("line {}, column {}: not valid JSON: {e}", i + 1, e.column())
                        })
                    }
                }
            }
            Ok(docs)
        }
    }
}

/// Every `(bucket, result)` pair of the documents, in file order. A document that is neither
/// a page nor a bucket (one billing-export row or log payload per JSONL line) is its own
/// record, with a null bucket.
pub fn records(docs: &[Value]) -> Vec<(&Value, &Value)> {
    static NULL: Value = Value::Null;
    let mut out = Vec::new();
    for doc in docs {
        let buckets: Vec<&Value> = match doc.get("data") {
            Some(Value::Array(b)) => b.iter().collect(),
            _ if doc.get("results").is_some() => vec![doc],
            // The Copilot seats API: `{"total_seats": n, "seats": [...]}`.
            _ if doc.get("seats").is_some_and(Value::is_array) => {
                for seat in doc["seats"].as_array().into_iter().flatten() {
                    out.push((doc, seat));
                }
                Vec::new()
            }
            _ => {
                if doc.is_object() {
                    out.push((&NULL, doc));
                }
                Vec::new()
            }
        };
        for bucket in buckets {
            match bucket.get("results") {
                Some(Value::Array(results)) => out.extend(results.iter().map(|r| (bucket, r))),
                // A list endpoint whose `data` items are the records themselves (Analytics `users`).
                None if bucket.is_object() => out.push((doc, bucket)),
                _ => {}
            }
        }
    }
    out
}

/// A string field (`None` for null or absent).
pub fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A non-negative count; absent or null is zero.
pub fn count(v: &Value, key: &str) -> Result<f64, RowError> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(0.0),
        Some(Value::Number(n)) => n.as_f64().filter(|x| *x >= 0.0).ok_or_else(|| {
            RowError::new(
                Some(key),
                format!("`{n}` in field `{key}` is not a non-negative number"),
            )
        }),
        Some(other) => Err(RowError::new(
            Some(key),
            format!("`{other}` in field `{key}` is not a number"),
        )),
    }
}

/// A timestamp: Unix seconds (number) or an RFC 3339 string.
pub fn timestamp(v: &Value, key: &str) -> Result<i64, RowError> {
    let parsed = match v.get(key) {
        Some(Value::Number(n)) => n.as_f64().map(|s| (s * 1000.0).round() as i64),
        Some(Value::String(s)) => super::parse_timestamp_ms(s),
        _ => None,
    };
    parsed.ok_or_else(|| {
        RowError::new(
            Some(key),
            format!("missing or unreadable time in field `{key}`"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_arrays_and_jsonl() {
        let page = r#"{"object":"page","data":[{"start_time":1,"results":[{"a":1},{"a":2}]}],"has_more":false}"#;
        assert_eq!(records(&parse_documents(page).unwrap()).len(), 2);
        let arr = format!("[{page},{page}]");
        assert_eq!(records(&parse_documents(&arr).unwrap()).len(), 4);
        let jsonl = format!("{page}\n\n{{\"start_time\":2,\"results\":[{{\"a\":3}}]}}\n");
        assert_eq!(records(&parse_documents(&jsonl).unwrap()).len(), 3);
        let bad = format!("{page}\n{{\"broken\": \n");
        assert!(parse_documents(&bad).unwrap_err().starts_with("line 2"));
    }
}
