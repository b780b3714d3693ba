//! The engine's floor: DuckDB's reference query (`benches/duckdb_gateway.py`: day × model_group
//! × team, request count, token sums, median output) written in polars, the engine this binary
//! links, and run on its streaming engine. `benches/compare.sh` runs it in the same pairs as the
//! audit and DuckDB, so BENCHMARKS.md shows how much of the gap to DuckDB is the engine's own.
//!
//!     cargo run --release --example polars_floor -- SPEND_LOGS.csv

use polars::prelude::*;

fn main() -> anyhow::Result<()> {
    let Some(path) = std::env::args().nth(1) else {
        anyhow::bail!("usage: polars_floor SPEND_LOGS.csv");
    };
    let header = {
        use std::io::BufRead;
        let mut line = String::new();
        std::io::BufReader::new(std::fs::File::open(&path)?).read_line(&mut line)?;
        line
    };
    // The typed columns DuckDB infers for the query; everything else is read as text.
    let schema: Schema = header
        .trim_end()
        .split(',')
        .map(|h| {
            let dtype = match h {
                "prompt_tokens" | "completion_tokens" => DataType::Int64,
                _ => DataType::String,
            };
            Field::new(h.into(), dtype)
        })
        .collect();
    let day = col("startTime")
        .str()
        .slice(lit(0i64), lit(10u64))
        .alias("day");
    let df = LazyCsvReader::new(PlRefPath::new(path.as_str()))
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .finish()?
        .group_by([day, col("model_group"), col("team_id")])
        .agg([
            len().alias("requests"),
            col("prompt_tokens").sum().alias("tin"),
            col("completion_tokens").sum().alias("tout"),
            col("completion_tokens").median().alias("p50_out"),
        ])
        .sort(["day", "model_group", "team_id"], Default::default())
        .collect_with_engine(Engine::Streaming)?
        .unwrap_single();
    let requests: u64 = df
        .column("requests")?
        .cast(&DataType::UInt64)?
        .u64()?
        .into_no_null_iter()
        .sum();
    println!("{} {}", df.height(), requests);
    Ok(())
}
