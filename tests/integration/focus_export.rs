//! Issue 11's FOCUS export: `focus.csv`, `focus.parquet` and `focus-metadata.json` on the demo.
//! Quantities come from the usage exports beside money-only cost exports, unit prices multiply
//! back to the costs, list cost is the catalog's (so an over-billing shows), the Parquet file is
//! typed and holds the same money, and the metadata names the criteria the data meets.

use crate::common::*;
use polars::prelude::*;
use rust_decimal::Decimal;
use std::path::Path;

fn demo_into(input: &Path) -> (tempfile::TempDir, std::process::Output) {
    let config = repo().join("fixtures/demo.toml");
    run_ingest(input, &["--config", config.to_str().unwrap()])
}

fn focus_rows(dir: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(dir.join("focus.csv")).unwrap();
    r.deserialize().map(|row| row.unwrap()).collect()
}

#[test]
fn demo_focus_export_prices_quantities_and_reconciles() {
    let (out, o) = demo_into(&repo().join("fixtures/demo"));
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rows = focus_rows(out.path());
    let json = read_json(&out.path().join("findings.json"));

    // Unit price × quantity gives the list and contracted cost back (the validator's tolerance).
    let mut priced = 0;
    for r in &rows {
        if r["PricingQuantity"].is_empty() {
            continue;
        }
        let q: f64 = r["PricingQuantity"].parse().unwrap();
        for (unit, cost) in [
            ("ListUnitPrice", "ListCost"),
            ("ContractedUnitPrice", "ContractedCost"),
        ] {
            let product = r[unit].parse::<f64>().unwrap() * q;
            let cost: f64 = r[cost].parse().unwrap();
            assert!(
                (product - cost).abs() <= 1e-9 * cost.abs().max(1.0),
                "{unit} × PricingQuantity = {product} ≠ {cost} on line {}",
                r["x_SourceLine"]
            );
        }
        priced += 1;
    }
    assert!(priced > 600, "{priced} rows with a quantity");

    // A money-only Anthropic cost line takes its tokens from the usage export: 20M input tokens
    // of Claude Sonnet 4.5 on 1 Oct at $3 per million.
    let line = rows
        .iter()
        .find(|r| {
            r["x_SourceFile"] == "claude/claude_api_cost_2026-10.csv" && r["x_SourceLine"] == "2"
        })
        .unwrap();
    assert_eq!(line["x_QuantitySource"], "usage export");
    assert_eq!(line["PricingQuantity"], "20000000.0");
    assert_eq!(line["PricingUnit"], "Tokens");
    assert_eq!(line["ListUnitPrice"], "0.000003");
    assert_eq!(line["SkuId"], "anthropic/claude-sonnet-4-5");
    assert_eq!(
        line["SkuPriceId"],
        "anthropic/claude-sonnet-4-5:input:standard"
    );

    // Flex usage billed on plain lines: the list price of what ran is below the bill, so the
    // over-billing stays visible instead of ListCost copying BilledCost.
    let over: Vec<_> = rows
        .iter()
        .filter(|r| {
            r["x_ModelId"] == "openai/gpt-5-nano" && dec(&r["BilledCost"]) > dec(&r["ListCost"])
        })
        .collect();
    assert!(
        !over.is_empty(),
        "no gpt-5-nano line billed above its list cost"
    );

    // focus.parquet: the same rows, typed, and the same money to the nano.
    let df = ParquetReader::new(std::fs::File::open(out.path().join("focus.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), rows.len());
    for (name, dtype) in [
        ("BilledCost", "decimal[38,9]"),
        ("ListUnitPrice", "decimal[38,18]"),
        ("PricingQuantity", "decimal[38,9]"),
        ("ChargePeriodStart", "datetime[ms, UTC]"),
        ("x_SourceLine", "i64"),
    ] {
        assert_eq!(
            df.column(name).unwrap().dtype().to_string(),
            dtype,
            "{name}"
        );
    }
    let billed = df
        .column("BilledCost")
        .unwrap()
        .cast(&DataType::String)
        .unwrap();
    let parquet_sum: Decimal = billed.str().unwrap().iter().map(|v| dec(v.unwrap())).sum();
    let csv_sum: Decimal = rows.iter().map(|r| dec(&r["BilledCost"])).sum();
    assert_eq!(parquet_sum, csv_sum);
    assert_eq!(dec_cents(csv_sum), cents(&json["totals"]["billed_cost"]));

    // focus-metadata.json: FOCUS 1.2, one definition per column in file order, and the
    // criteria: the labs project's cost export has no usage export, so its lines have no
    // quantity and measured usage is not claimed.
    let meta = read_json(&out.path().join("focus-metadata.json"));
    let schema = &meta["Schemas"][0];
    assert_eq!(schema["FocusVersion"], "1.2");
    let names: Vec<&str> = schema["ColumnDefinition"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ColumnName"].as_str().unwrap())
        .collect();
    let header: Vec<String> = csv::Reader::from_path(out.path().join("focus.csv"))
        .unwrap()
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(names, header);
    let claimed = meta["x_ApplicabilityCriteria"].as_array().unwrap();
    assert!(!claimed.contains(&"USAGE_MEASUREMENT_SUPPORTED".into()));
    assert!(claimed.contains(&"PUBLIC_PRICE_LIST_SUPPORTED".into()));
    let gap = meta["x_CriteriaNotMet"][0]["Reason"].as_str().unwrap();
    assert!(gap.contains("openai-labs/nested/cost_2026-10.csv"), "{gap}");
}

#[test]
fn a_month_whose_usage_is_all_measured_claims_every_criterion() {
    let input = tempfile::tempdir().unwrap();
    copy_dir(&repo().join("fixtures/demo"), input.path(), "openai-labs");
    let (out, o) = demo_into(input.path());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let meta = read_json(&out.path().join("focus-metadata.json"));
    assert_eq!(meta["x_CriteriaNotMet"], serde_json::json!([]));
    let claimed: Vec<&str> = meta["x_ApplicabilityCriteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert_eq!(claimed, spend_audit::report::focus::APPLICABILITY);
    let rows = focus_rows(out.path());
    assert!(rows
        .iter()
        .filter(|r| r["ChargeCategory"] == "Usage" || r["ChargeCategory"] == "Purchase")
        .all(|r| !r["PricingQuantity"].is_empty() && !r["ListUnitPrice"].is_empty()));
}
