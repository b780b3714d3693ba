//! Reading a delimited export into a string table with polars.
//!
//! Billing data is never type-inferred: the header is read first with the `csv` crate, and the
//! scan gets an explicit schema that types every column as a string, in the file's own column
//! order (a schema whose order differs from the file has mispaired columns in some polars
//! versions, pola-rs/polars#17297). Parsers convert values themselves, so a bad cell becomes a
//! rejected row with its file, line and column instead of failing the whole file.
//!
//! Line numbers are physical lines: the fast scans assume one record per line (a file they
//! cannot cut that way is read by [`StrTable::read_csv_lenient`], which keeps a quoted line
//! break inside a field and reports each record's first line).

use anyhow::{bail, Context, Result};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;

fn path_str(path: &Path) -> Result<&str> {
    path.to_str()
        .with_context(|| format!("path `{}` is not valid UTF-8", path.display()))
}

/// A scanned export: every selected column as strings.
pub struct StrTable {
    columns: HashMap<String, StringChunked>,
    height: usize,
    /// Source line of each row when rows are not one per line from line 2 (the lenient
    /// reader skips malformed records).
    lines: Option<Vec<u32>>,
}

/// A record the lenient reader could not split into the header's columns.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedRecord {
    pub line: u32,
    pub reason: String,
}

/// The reference reading for the chunked paths' tests: polars' scan of a whole CSV, one row
/// per record numbered from the header (the chunked paths number rows the same way). The audit
/// itself reads small CSVs with [`StrTable::read_csv_lenient`] and large ones in chunks.
#[cfg(test)]
impl StrTable {
    /// The header (the first line of `text`, split at commas) and [`StrTable::scan_csv`] of
    /// the file at `path`, whose text is `text`.
    pub(crate) fn scan_csv_text(
        path: &Path,
        text: &str,
        wanted: &dyn Fn(&str) -> bool,
    ) -> (Vec<String>, StrTable) {
        let header: Vec<String> = text
            .lines()
            .next()
            .unwrap()
            .split(',')
            .map(String::from)
            .collect();
        let table = Self::scan_csv(path, &header, wanted).unwrap();
        (header, table)
    }

    /// Lazily scans `path` with an all-string schema built from `header`, keeping only the
    /// `wanted` columns that the header has (projection pushdown skips the rest).
    pub(crate) fn scan_csv(
        path: &Path,
        header: &[String],
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<StrTable> {
        let selected: Vec<&String> = header
            .iter()
            .filter(|h| wanted(&h.to_ascii_lowercase()))
            .collect();
        let lf = Self::lazy_csv(path, header)?;
        let exprs: Vec<Expr> = selected.iter().map(|c| col(c.as_str())).collect();
        Self::from_frame(lf.select(exprs).collect()?)
    }

    /// The lazy scan of a CSV with every column of `header` typed as a string, in file order;
    /// a repeated header name refuses the file.
    fn lazy_csv(path: &Path, header: &[String]) -> Result<LazyFrame> {
        Ok(LazyCsvReader::new(PlRefPath::new(path_str(path)?))
            .with_has_header(true)
            .with_schema(Some(Self::string_schema(header)?))
            .with_infer_schema_length(Some(0))
            .with_missing_is_null(true)
            .with_truncate_ragged_lines(true)
            .with_encoding(CsvEncoding::LossyUtf8)
            .with_raise_if_empty(false)
            // A file name is a literal path: `cost [1].csv` or `o*.csv` is never a pattern.
            .with_glob(false)
            .finish()?)
    }
}

impl StrTable {
    /// Every column of `header` typed as a string, in file order; a repeated header name
    /// refuses the file.
    pub fn string_schema(header: &[String]) -> Result<SchemaRef> {
        let mut schema = Schema::with_capacity(header.len());
        for name in header {
            if schema.contains(name.as_str()) {
                bail!("the header repeats column `{name}`; fix the header and run again");
            }
            schema.with_column(name.as_str().into(), DataType::String);
        }
        Ok(Arc::new(schema))
    }

    /// The lazy scan of a Parquet file, every column as the file types it.
    pub fn lazy_parquet(path: &Path) -> Result<LazyFrame> {
        Ok(LazyFrame::scan_parquet(
            PlRefPath::new(path_str(path)?),
            // A file name is a literal path, never a glob pattern.
            ScanArgsParquet {
                glob: false,
                ..ScanArgsParquet::default()
            },
        )?)
    }

    /// The flat (non-nested) column names of a Parquet file, in file order. Nested columns
    /// (CUR 2.0 map columns) are left out: they cannot be read as strings.
    pub fn parquet_header(path: &Path) -> Result<Vec<String>> {
        let mut lf = Self::lazy_parquet(path)?;
        let schema = lf.collect_schema()?;
        Ok(schema
            .iter()
            .filter(|(_, dtype)| !dtype.is_nested())
            .map(|(name, _)| name.to_string())
            .collect())
    }

    /// Lazily scans a Parquet file, casting the `wanted` flat columns to strings so parsers
    /// validate values the same way as for CSV.
    pub fn scan_parquet(
        path: &Path,
        header: &[String],
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<StrTable> {
        let exprs: Vec<Expr> = header
            .iter()
            .filter(|h| wanted(&h.to_ascii_lowercase()))
            .map(|c| col(c.as_str()).cast(DataType::String))
            .collect();
        let df = Self::lazy_parquet(path)?.select(exprs).collect()?;
        Self::from_frame(df)
    }

    /// A frame of string columns whose rows came from the given source lines.
    pub fn from_frame_with_lines(df: DataFrame, lines: Vec<u32>) -> Result<StrTable> {
        let mut table = Self::from_frame(df)?;
        table.lines = Some(lines);
        Ok(table)
    }

    fn from_frame(df: DataFrame) -> Result<StrTable> {
        let height = df.height();
        let mut columns = HashMap::new();
        for c in df.columns() {
            let ca = c.str()?.rechunk().into_owned();
            columns.insert(c.name().to_ascii_lowercase(), ca);
        }
        Ok(StrTable {
            columns,
            height,
            lines: None,
        })
    }

    /// Reads a CSV the fast scan refused (typically a broken quote) record by record with the
    /// `csv` crate: records that split into the header's columns on one line are kept, the
    /// others are returned as malformed with their line, so one bad line costs one row, not
    /// the file.
    pub fn read_csv_lenient(
        path: &Path,
        header: &[String],
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<(StrTable, Vec<MalformedRecord>)> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_path(path)
            .with_context(|| format!("could not open `{}`", path.display()))?;
        let keep: Vec<(usize, String)> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| wanted(&h.to_ascii_lowercase()))
            .map(|(i, h)| (i, h.to_ascii_lowercase()))
            .collect();
        let mut cells: Vec<Vec<Option<String>>> = vec![Vec::new(); keep.len()];
        let mut lines = Vec::new();
        let mut bad = Vec::new();
        let mut record = csv::ByteRecord::new();
        loop {
            let start = reader.position().line() as u32;
            match reader.read_byte_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let line = record.position().map(|p| p.line() as u32).unwrap_or(start);
                    let end = reader.position().line() as u32;
                    // A record over several physical lines is a quoted line break (a name
                    // with a newline) when it has the header's fields and no line inside a
                    // field looks like a whole record; else it swallowed a broken quote.
                    let spans = end.saturating_sub(line) > 1
                        && (record.len() != header.len()
                            || swallows_records(&record, header.len()));
                    // A line of spaces is a blank line, not a one-field record.
                    if record.len() == 1 && record[0].iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    if record.len() != header.len() || spans {
                        bad.push(MalformedRecord {
                            line,
                            reason: if spans {
                                format!("a quote opened on this line is not closed, so lines {line}–{} read as one record; fix the quoting of line {line} and run again", end - 1)
                            } else {
                                super::csv_chunks::Ragged {
                                    line: u64::from(line),
                                    fields: record.len(),
                                    expected: header.len(),
                                }
                                .reason()
                            },
                        });
                        continue;
                    }
                    lines.push(line);
                    for (slot, (i, _)) in keep.iter().enumerate() {
                        let v = String::from_utf8_lossy(&record[*i]).into_owned();
                        cells[slot].push(Some(v));
                    }
                }
                Err(e) => {
                    let line = e.position().map(|p| p.line() as u32).unwrap_or(start);
                    bad.push(MalformedRecord {
                        line,
                        reason: format!("unreadable record ({e}); fix line {line} and run again"),
                    });
                    if !matches!(
                        e.kind(),
                        csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                    ) {
                        break;
                    }
                }
            }
        }
        let mut columns = HashMap::new();
        for ((_, name), values) in keep.into_iter().zip(cells) {
            columns.insert(
                name.clone(),
                StringChunked::from_iter_options(name.as_str().into(), values.into_iter()),
            );
        }
        let height = lines.len();
        Ok((
            StrTable {
                columns,
                height,
                lines: Some(lines),
            },
            bad,
        ))
    }

    /// The source line of row `index`: the lenient reader's record, else one row per line
    /// after the header.
    pub fn line_of(&self, index: usize) -> u32 {
        match &self.lines {
            Some(lines) => lines[index],
            None => (index + 2) as u32,
        }
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The raw cell, or `None` when the column is absent or the cell is null.
    pub fn cell(&self, column: &str, row: usize) -> Option<&str> {
        self.columns.get(column)?.get(row)
    }

    /// A row whose every cell is null or blank: an empty line, not a data row.
    pub fn is_blank_row(&self, row: usize) -> bool {
        self.columns
            .values()
            .all(|c| c.get(row).is_none_or(|v| v.trim().is_empty()))
    }

    /// Lower-case names of the loaded columns starting with `prefix`, sorted.
    pub fn columns_with_prefix(&self, prefix: &str) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .columns
            .keys()
            .map(String::as_str)
            .filter(|k| k.starts_with(prefix))
            .collect();
        names.sort();
        names
    }

    pub fn has_column(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }
}

/// Whether a record read over several lines holds what looks like other records: a line
/// inside one of its fields, after the field's first, with a delimiter for every column. A
/// broken quote swallows whole lines up to the next quote; a quoted line break in a name or a
/// description does not carry a row's worth of commas.
fn swallows_records(record: &csv::ByteRecord, columns: usize) -> bool {
    record.iter().any(|field| {
        field
            .split(|b| *b == b'\n')
            .skip(1)
            .any(|l| l.iter().filter(|b| **b == b',').count() + 1 >= columns)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> csv::ByteRecord {
        csv::ByteRecord::from(fields.to_vec())
    }

    #[test]
    fn a_line_break_in_a_name_is_not_a_swallowed_record() {
        assert!(!swallows_records(&record(&["1", "Acme\nLabs", "2"]), 3));
        assert!(!swallows_records(&record(&["1", "a,b\nc", "2"]), 3));
        // A field holding a whole line's worth of delimiters after its first line.
        assert!(swallows_records(&record(&["1", "Acme\n4,5,6", "2"]), 3));
        assert!(swallows_records(
            &record(&["1", "Acme\nx\n4,5,6\ny", "2"]),
            3
        ));
    }
}
