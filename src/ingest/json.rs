//! Reading JSON and JSONL dumps of the vendors' Admin APIs, as scripts save them.
//!
//! A file may hold one page (`{"data":[bucket…], "has_more":…}`), an array of pages, or one page
//! or bucket per line (JSONL). Every result inside every bucket is one record; records are
//! numbered from 1 in file order, and that number is what `rejects.csv` reports as the line.
//!
//! A file is read as a stream, twice: once to check it is well formed (so a broken file counts
//! nothing), then document by document, so memory holds one page, never the whole file.

use super::RowError;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use std::cell::Cell;
use std::io::{BufRead, Read};
use std::ops::ControlFlow;

/// Elements of a page's `data` array kept together before the page is streamed bucket by
/// bucket: an API page (at most a few thousand buckets) stays whole, with every page field.
const PAGE_BUFFER: usize = 4096;
/// ... and at most this much of its text: a page past it streams, so memory holds one bucket.
const PAGE_BUFFER_BYTES: u64 = 16 << 20;

/// Checks that a stream is one JSON document or JSONL (whitespace-separated documents) without
/// building it: constant memory, so a broken file is rejected before any of its records count.
/// The error names the line and column.
pub fn validate(reader: impl BufRead) -> Result<(), String> {
    let mut stream = serde_json::Deserializer::from_reader(LossyUtf8::new(skip_bom(reader)?))
        .into_iter::<Shape>();
    for doc in &mut stream {
        doc.map_err(|e| position_error(&e))?;
    }
    Ok(())
}

/// Calls `f` with each document of a stream already [`validate`]d, in file order, holding
/// one document in memory at a time: each value of a JSONL file, each element of a top-level
/// array, and, for a page whose `data` array is over [`PAGE_BUFFER`] buckets or
/// [`PAGE_BUFFER_BYTES`] of text, one `{"data":[bucket]}` per bucket (with the page fields that
/// came before `data`). `f` returns [`ControlFlow::Break`] to stop reading.
pub fn for_each_document(
    reader: impl BufRead,
    f: &mut dyn FnMut(Value) -> ControlFlow<()>,
) -> Result<(), String> {
    let text = LossyUtf8::new(skip_bom(reader)?);
    let handed = std::rc::Rc::clone(&text.handed);
    let mut de = serde_json::Deserializer::from_reader(text);
    let stopped = Cell::new(false);
    let mut top = true;
    while de.end().is_err() {
        let seed = DocSeed {
            f: &mut *f,
            stopped: &stopped,
            handed: &handed,
            top,
        };
        match seed.deserialize(&mut de) {
            Ok(()) => {}
            Err(_) if stopped.get() => return Ok(()),
            Err(e) => return Err(position_error(&e)),
        }
        top = false;
    }
    Ok(())
}

/// A document's shape, checked and dropped: unlike `IgnoredAny` (which serde_json skips
/// without its nesting limit) this recurses, so a file nested past 128 levels fails here,
/// before any of its records count, and not halfway through the reading.
struct Shape;

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Shape, D::Error> {
        d.deserialize_any(Shape)
    }
}

impl<'de> Visitor<'de> for Shape {
    type Value = Shape;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<Shape>()?.is_some() {}
        Ok(Shape)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map.next_key::<IgnoredAny>()?.is_some() {
            map.next_value::<Shape>()?;
        }
        Ok(Shape)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape)
    }
}

/// serde_json's message with its position spelled the way every other reject names one.
fn position_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(w, _)| w);
    // Where a truncated download ends is rarely where the damage is: say what it looks like.
    let hint = if e.is_eof() {
        " (the file ends inside an unfinished document: a truncated download?)"
    } else {
        ""
    };
    format!(
        "line {}, column {}: not valid JSON: {what}{hint}",
        e.line(),
        e.column()
    )
}

/// Consumes a UTF-8 byte-order mark, as Excel and PowerShell write one.
fn skip_bom<R: BufRead>(mut reader: R) -> Result<R, String> {
    let head = reader
        .fill_buf()
        .map_err(|e| format!("could not read: {e}"))?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(reader)
}

/// One document: an object is built field by field, except a long `data` array, which is
/// handed on bucket by bucket; a top-level array hands on each element.
struct DocSeed<'a> {
    f: &'a mut dyn FnMut(Value) -> ControlFlow<()>,
    stopped: &'a Cell<bool>,
    /// Bytes of text the parser has taken so far.
    handed: &'a Cell<u64>,
    /// The file's first document: an array there is a list of documents.
    top: bool,
}

impl DocSeed<'_> {
    fn emit<E: de::Error>(&mut self, doc: Value) -> Result<(), E> {
        if (self.f)(doc).is_break() {
            self.stopped.set(true);
            return Err(E::custom("stopped"));
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON document")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        if self.top {
            while let Some(doc) = seq.next_element::<Value>()? {
                self.emit(doc)?;
            }
            return Ok(());
        }
        let doc = Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        self.emit(doc)
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
        let mut page = serde_json::Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" && !streamed {
                let data = map.next_value_seed(DataSeed {
                    doc: &mut self,
                    page: &page,
                })?;
                match data {
                    Some(v) => {
                        page.insert(key, v);
                    }
                    None => streamed = true,
                }
            } else {
                let v = map.next_value::<Value>()?;
                if !streamed {
                    page.insert(key, v);
                }
            }
        }
        if streamed {
            return Ok(());
        }
        self.emit(Value::Object(page))
    }
    fn visit_bool<E: de::Error>(mut self, v: bool) -> Result<(), E> {
        self.emit(Value::Bool(v))
    }
    fn visit_i64<E: de::Error>(mut self, v: i64) -> Result<(), E> {
        self.emit(Value::from(v))
    }
    fn visit_u64<E: de::Error>(mut self, v: u64) -> Result<(), E> {
        self.emit(Value::from(v))
    }
    fn visit_f64<E: de::Error>(mut self, v: f64) -> Result<(), E> {
        self.emit(Value::from(v))
    }
    fn visit_str<E: de::Error>(mut self, v: &str) -> Result<(), E> {
        self.emit(Value::from(v))
    }
    fn visit_unit<E: de::Error>(mut self) -> Result<(), E> {
        self.emit(Value::Null)
    }
}

/// A page's `data` value: returned whole (`Some`) when it is not an array or has at most
/// [`PAGE_BUFFER`] elements within [`PAGE_BUFFER_BYTES`]; otherwise every element is emitted as
/// its own page and `None` is returned.
struct DataSeed<'s, 'a> {
    doc: &'s mut DocSeed<'a>,
    page: &'s serde_json::Map<String, Value>,
}

impl DataSeed<'_, '_> {
    fn emit_one<E: de::Error>(&mut self, bucket: Value) -> Result<(), E> {
        let mut one = self.page.clone();
        one.insert("data".into(), Value::Array(vec![bucket]));
        self.doc.emit(Value::Object(one))
    }
}

impl<'de> DeserializeSeed<'de> for DataSeed<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DataSeed<'_, '_> {
    type Value = Option<Value>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let mut kept = Vec::new();
        let start = self.doc.handed.get();
        while let Some(bucket) = seq.next_element::<Value>()? {
            if kept.len() < PAGE_BUFFER && self.doc.handed.get() - start <= PAGE_BUFFER_BYTES {
                kept.push(bucket);
                continue;
            }
            for b in std::mem::take(&mut kept).into_iter().chain([bucket]) {
                self.emit_one(b)?;
            }
            while let Some(bucket) = seq.next_element::<Value>()? {
                self.emit_one(bucket)?;
            }
            return Ok(None);
        }
        Ok(Some(Value::Array(kept)))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }
}

/// Bytes as UTF-8, each invalid sequence replaced by U+FFFD (a Latin-1 name in a dump is read,
/// not fatal), decoded as the bytes stream through.
struct LossyUtf8<R> {
    inner: R,
    /// Decoded bytes not yet handed out, from `pos`.
    out: Vec<u8>,
    pos: usize,
    /// Undecoded bytes: the start of a character split across reads.
    pending: Vec<u8>,
    /// Bytes handed out so far (shared with the page buffer's budget).
    handed: std::rc::Rc<Cell<u64>>,
}

impl<R: Read> LossyUtf8<R> {
    fn new(inner: R) -> Self {
        LossyUtf8 {
            inner,
            out: Vec::new(),
            pos: 0,
            pending: Vec::new(),
            handed: std::rc::Rc::default(),
        }
    }

    /// Decodes the next block into `out`; `false` at the end of the input.
    fn refill(&mut self) -> std::io::Result<bool> {
        let mut block = [0u8; 64 * 1024];
        let n = self.inner.read(&mut block)?;
        self.out.clear();
        self.pos = 0;
        if n == 0 {
            if self.pending.is_empty() {
                return Ok(false);
            }
            // A character cut off by the end of the file.
            self.pending.clear();
            self.out.extend_from_slice("\u{FFFD}".as_bytes());
            return Ok(true);
        }
        self.pending.extend_from_slice(&block[..n]);
        let mut rest = std::mem::take(&mut self.pending);
        let mut at = 0;
        loop {
            match std::str::from_utf8(&rest[at..]) {
                Ok(valid) => {
                    self.out.extend_from_slice(valid.as_bytes());
                    break;
                }
                Err(e) => {
                    let good = at + e.valid_up_to();
                    self.out.extend_from_slice(&rest[at..good]);
                    match e.error_len() {
                        Some(bad) => {
                            self.out.extend_from_slice("\u{FFFD}".as_bytes());
                            at = good + bad;
                        }
                        None => {
                            // An incomplete character at the end of the block: keep it.
                            rest.drain(..good);
                            self.pending = rest;
                            break;
                        }
                    }
                }
            }
        }
        Ok(true)
    }
}

impl<R: Read> Read for LossyUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        self.handed.set(self.handed.get() + n as u64);
        Ok(n)
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

    /// Every document of `text`, as [`for_each_document`] hands them on.
    fn documents(text: &str) -> Result<Vec<Value>, String> {
        validate(text.as_bytes())?;
        let mut docs = Vec::new();
        for_each_document(text.as_bytes(), &mut |d| {
            docs.push(d);
            ControlFlow::Continue(())
        })?;
        Ok(docs)
    }

    #[test]
    fn pages_arrays_and_jsonl() {
        let page = r#"{"object":"page","data":[{"start_time":1,"results":[{"a":1},{"a":2}]}],"has_more":false}"#;
        assert_eq!(records(&documents(page).unwrap()).len(), 2);
        let arr = format!("[{page},{page}]");
        assert_eq!(records(&documents(&arr).unwrap()).len(), 4);
        let jsonl = format!("{page}\n\n{{\"start_time\":2,\"results\":[{{\"a\":3}}]}}\n");
        assert_eq!(records(&documents(&jsonl).unwrap()).len(), 3);
        let bad = format!("{page}\n{{\"broken\": \n");
        let err = documents(&bad).unwrap_err();
        assert!(
            err.starts_with("line 3, column 0: not valid JSON: EOF"),
            "{err}"
        );
        assert!(err.ends_with("a truncated download?)"), "{err}");
        let bom = format!("\u{feff}{page}");
        assert_eq!(records(&documents(&bom).unwrap()).len(), 2);
    }

    #[test]
    fn a_small_page_stays_whole_and_a_long_one_streams_with_its_leading_fields() {
        let small = r#"{"starting_at":"2026-10-01","data":[{"user":"a"}],"has_more":false}"#;
        let docs = documents(small).unwrap();
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0]["has_more"], false);
        let buckets: Vec<String> = (0..PAGE_BUFFER + 3)
            .map(|i| format!(r#"{{"results":[{{"n":{i}}}]}}"#))
            .collect();
        let long = format!(
            r#"{{"starting_at":"2026-10-01","data":[{}],"has_more":false}}"#,
            buckets.join(",")
        );
        let docs = documents(&long).unwrap();
        assert_eq!(docs.len(), PAGE_BUFFER + 3);
        assert_eq!(docs[7]["starting_at"], "2026-10-01");
        let recs = records(&docs);
        let order: Vec<u64> = recs.iter().map(|(_, r)| r["n"].as_u64().unwrap()).collect();
        assert_eq!(order, (0..(PAGE_BUFFER + 3) as u64).collect::<Vec<_>>());
    }

    #[test]
    fn the_callback_can_stop_the_reading() {
        let jsonl = "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n";
        let mut seen = 0;
        for_each_document(jsonl.as_bytes(), &mut |_| {
            seen += 1;
            if seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        assert_eq!(seen, 2);
    }

    #[test]
    fn invalid_utf8_is_replaced_even_across_reads() {
        // Latin-1 é in a name, and a 3-byte character split by a 1-byte reader.
        let bytes = b"{\"name\":\"Caf\xe9 \xe2\x82\xac\"}".to_vec();
        struct OneByte(Vec<u8>, usize);
        impl Read for OneByte {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                if self.1 == self.0.len() || buf.is_empty() {
                    return Ok(0);
                }
                buf[0] = self.0[self.1];
                self.1 += 1;
                Ok(1)
            }
        }
        let mut text = String::new();
        LossyUtf8::new(OneByte(bytes.clone(), 0))
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "{\"name\":\"Caf\u{FFFD} \u{20AC}\"}");
        let docs = documents(&String::from_utf8_lossy(&bytes)).unwrap();
        assert_eq!(docs[0]["name"], "Caf\u{FFFD} \u{20AC}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let err = documents(&deep).unwrap_err();
        assert!(err.contains("recursion limit"), "{err}");
    }
}
