//! Typed Parquet files built from plain Rust columns, so renderers (the FOCUS export) never
//! call polars themselves: an upgrade of polars touches this file, not the report.

use anyhow::{Context, Result};
use polars::prelude::*;

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

/// Parquet bytes of `columns`, in order; every column must have the same length.
pub fn parquet_bytes(columns: Vec<(&str, ExportColumn)>) -> Result<Vec<u8>> {
    let height = columns.first().map_or(0, |(_, c)| c.len());
    let columns = columns
        .into_iter()
        .map(|(name, c)| c.into_column(name))
        .collect::<PolarsResult<Vec<Column>>>()?;
    let mut df = DataFrame::new(height, columns)?;
    let mut bytes = Vec::new();
    Context::context(
        ParquetWriter::new(&mut bytes).finish(&mut df),
        "could not write the export as Parquet",
    )?;
    Ok(bytes)
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
        let bytes = parquet_bytes(vec![
            ("name", ExportColumn::Text(vec![Some("a".into()), None])),
            (
                "cost",
                ExportColumn::Decimal {
                    values: vec![Some(1_234_500_000), Some(-1)],
                    scale: 9,
                },
            ),
            (
                "at",
                ExportColumn::TimestampUtc(vec![Some(1_790_812_800_000), None]),
            ),
            ("line", ExportColumn::Int(vec![Some(2), Some(3)])),
        ])
        .unwrap();
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
    }
}
