//! Typed Parquet files built from plain Rust columns, so renderers (the FOCUS export) never
//! call polars themselves: an upgrade of polars touches this file, not the report.

use anyhow::{Context, Result};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;
use std::io::Write;

/// One column of an export, in the type a Parquet reader should see.
pub enum ExportColumn {
    Text(Vec<Option<String>>),
    /// Exact decimals: unscaled integers at `scale` digits after the point, DECIMAL(38, scale).
    Decimal {
        values: Vec<Option<i128>>,
        scale: usize,
    },
    /// Instants as epoch milliseconds, written as UTC-adjusted timestamps.
    TimestampUtc(Vec<Option<i64>>),
    Int(Vec<Option<i64>>),
}

/// A Parquet file written a batch of columns at a time (one row group per batch), so an export
/// never holds all its rows at once. The schema is the first batch's; at least one batch (it
/// may be empty) must be written before [`ParquetStream::finish`].
pub struct ParquetStream<W: Write> {
    sink: Option<W>,
    writer: Option<BatchedWriter<W>>,
}

impl<W: Write> ParquetStream<W> {
    pub fn new(sink: W) -> Self {
        ParquetStream {
            sink: Some(sink),
            writer: None,
        }
    }

    /// Appends `columns` (same names and types in every batch) as one row group.
    pub fn write(&mut self, columns: Vec<(&str, ExportColumn)>) -> Result<()> {
        let df = frame(columns)?;
        let writer = match (&mut self.writer, self.sink.take()) {
            (Some(w), _) => w,
            (None, Some(sink)) => self
                .writer
                .insert(ParquetWriter::new(sink).batched(df.schema())?),
            (None, None) => anyhow::bail!("the Parquet export was already finished"),
        };
        Context::context(
            writer.write_batch(&df),
            "could not write the export as Parquet",
        )
    }

    /// Writes the footer.
    pub fn finish(self) -> Result<()> {
        let writer = self
            .writer
            .context("the Parquet export got no batch to take its schema from")?;
        Context::context(writer.finish(), "could not write the export as Parquet")?;
        Ok(())
    }
}

fn frame(columns: Vec<(&str, ExportColumn)>) -> Result<DataFrame> {
    let height = columns.first().map_or(0, |(_, c)| c.len());
    let columns = columns
        .into_iter()
        .map(|(name, c)| c.into_column(name))
        .collect::<PolarsResult<Vec<Column>>>()?;
    Ok(DataFrame::new(height, columns)?)
}

impl ExportColumn {
    fn len(&self) -> usize {
        match self {
            ExportColumn::Text(v) => v.len(),
            ExportColumn::Decimal { values, .. } => values.len(),
            ExportColumn::TimestampUtc(v) | ExportColumn::Int(v) => v.len(),
        }
    }

    fn into_column(self, name: &str) -> PolarsResult<Column> {
        let name = PlSmallStr::from(name);
        Ok(match self {
            ExportColumn::Text(v) => StringChunked::from_iter_options(name, v.into_iter())
                .into_series()
                .into_column(),
            ExportColumn::Decimal { values, scale } => {
                Int128Chunked::from_iter_options(name, values.into_iter())
                    .into_decimal(38, scale)?
                    .into_series()
                    .into_column()
            }
            ExportColumn::TimestampUtc(v) => Int64Chunked::from_iter_options(name, v.into_iter())
                .into_series()
                .into_column()
                .cast(&DataType::Datetime(
                    TimeUnit::Milliseconds,
                    Some(TimeZone::UTC),
                ))?,
            ExportColumn::Int(v) => Int64Chunked::from_iter_options(name, v.into_iter())
                .into_series()
                .into_column(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_keep_their_types_and_exact_values() {
        let batch = |n: Option<String>, cost, at, line| {
            vec![
                ("name", ExportColumn::Text(vec![n])),
                (
                    "cost",
                    ExportColumn::Decimal {
                        values: vec![cost],
                        scale: 9,
                    },
                ),
                ("at", ExportColumn::TimestampUtc(vec![at])),
                ("line", ExportColumn::Int(vec![line])),
            ]
        };
        let mut bytes = Vec::new();
        let mut stream = ParquetStream::new(&mut bytes);
        stream
            .write(batch(
                Some("a".into()),
                Some(1_234_500_000),
                Some(1_790_812_800_000),
                Some(2),
            ))
            .unwrap();
        // A second batch is a second row group of the same file.
        stream.write(batch(None, Some(-1), None, Some(3))).unwrap();
        stream.finish().unwrap();
        let df = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .unwrap();
        assert_eq!(
            df.column("cost").unwrap().dtype().to_string(),
            "decimal[38,9]"
        );
        assert_eq!(
            df.column("at").unwrap().dtype().to_string(),
            "datetime[ms, UTC]"
        );
        let cost = df.column("cost").unwrap().cast(&DataType::String).unwrap();
        assert_eq!(cost.str().unwrap().get(0), Some("1.234500000"));
        assert_eq!(cost.str().unwrap().get(1), Some("-0.000000001"));
        assert_eq!(df.column("name").unwrap().null_count(), 1);
        assert_eq!(df.height(), 2);
    }
}
