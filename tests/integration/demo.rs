//! The README's audit command on `fixtures/demo`, end to end.

use crate::common::*;
use rust_decimal::Decimal;
use spend_audit::ledger::{Ledger, RecordRole};
use std::collections::BTreeMap;
use std::path::Path;

fn demo() -> (tempfile::TempDir, std::process::Output) {
    let config = repo().join("fixtures/demo.toml");
    run_ingest(
        &repo().join("fixtures/demo"),
        &["--config", config.to_str().unwrap()],
    )
}

/// Sums the cost column of every distinct cost export in the folder, by provider, independently
/// of the tool: header sniffing by hand, identical files counted once, exact decimals.
fn expected_billed(dir: &Path) -> BTreeMap<String, Decimal> {
    let mut seen = std::collections::HashSet::new();
    let mut totals = BTreeMap::new();
    let files = spend_audit::ingest::walk(dir, None).unwrap();
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let text = String::from_utf8_lossy(&bytes)
            .trim_start_matches('\u{feff}')
            .to_string();
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let Ok(header) = rdr.headers().cloned() else {
            continue;
        };
        if header.iter().any(|h| h == "Statement Descriptor") {
            // The Brex card export: its AI merchants, by the descriptor the demo writes.
            let at = |name: &str| header.iter().position(|h| h == name).unwrap();
            let (descriptor, amount) = (at("Statement Descriptor"), at("Amount"));
            for rec in rdr.records() {
                let rec = rec.unwrap();
                let provider = match &rec[descriptor] {
                    "GITHUB COPILOT PRO" => "github",
                    "CLAUDE.AI SUBSCRIPTION" => "anthropic",
                    "CURSOR, AI POWERED IDE" => "cursor",
                    "PERPLEXITY.AI" => "perplexity",
                    "OPENAI *API" => "openai",
                    _ => continue,
                };
                *totals.entry(provider.to_string()).or_insert(Decimal::ZERO) += dec(&rec[amount]);
            }
            continue;
        }
        let (provider, column) = if header.iter().any(|h| h == "amount_value") {
            ("openai", "amount_value")
        } else if header.iter().any(|h| h == "cost_usd") {
            ("anthropic", "cost_usd")
        } else {
            continue;
        };
        if !seen.insert(bytes.clone()) {
            continue;
        }
        let idx = header.iter().position(|h| h == column).unwrap();
        for rec in rdr.records() {
            *totals.entry(provider.to_string()).or_insert(Decimal::ZERO) += dec(&rec.unwrap()[idx]);
        }
    }
    totals
}

#[test]
fn demo_audit_writes_every_output_and_exits_zero() {
    let (out, o) = demo();
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    for f in [
        "report.md",
        "findings.json",
        "ledger.parquet",
        "rejects.csv",
        "findings.csv",
        "focus.csv",
        "charts/01_spend_by_provider.png",
        "charts/01_spend_by_provider.svg",
        "charts/04_savings_waterfall.png",
        "charts/04_savings_waterfall.svg",
    ] {
        let p = out.path().join(f);
        assert!(
            p.is_file() && std::fs::metadata(&p).unwrap().len() > 0,
            "missing {f}"
        );
    }
    assert!(
        o.stdout.is_empty(),
        "stdout is for data; the summary goes to stderr"
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("8 files ingested, 1 duplicate, 1 skipped"),
        "{stderr}"
    );
}

#[test]
fn billed_total_reconciles_to_the_cent_with_a_duplicate_present() {
    let (out, o) = demo();
    assert!(o.status.success());
    let expected = expected_billed(&repo().join("fixtures/demo"));
    let expected_total: Decimal = expected.values().sum();
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(
        cents(&json["totals"]["billed_cost"]),
        dec_cents(expected_total)
    );
    for (provider, v) in &expected {
        assert_eq!(
            cents(&json["totals"]["by_provider"][provider]),
            dec_cents(*v),
            "{provider}"
        );
    }
    // The duplicate is listed, not counted.
    let dups: Vec<&serde_json::Value> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "duplicate")
        .collect();
    assert_eq!(dups.len(), 1);

    // ledger.parquet stores its times as UTC instants (Parquet `isAdjustedToUTC=true`, which
    // a reader sees as a UTC zone), not as local wall times.
    use polars::prelude::SerReader;
    let raw = polars::prelude::ParquetReader::new(
        std::fs::File::open(out.path().join("ledger.parquet")).unwrap(),
    )
    .finish()
    .unwrap();
    for name in ["charge_period_start", "charge_period_end"] {
        let dtype = raw.column(name).unwrap().dtype().clone();
        assert_eq!(dtype.to_string(), "datetime[ms, UTC]", "{name}");
    }

    // ledger.parquet: billed_cost_nano over billed rows is the same money, exactly.
    let ledger = Ledger::read_parquet(&out.path().join("ledger.parquet")).unwrap();
    let by_role = ledger.cost_by_provider_role().unwrap();
    let sum: i64 = by_role
        .iter()
        .filter(|r| r.role == RecordRole::Billed)
        .map(|r| r.billed_cost_nano)
        .sum();
    let expected_nanos = expected_total * Decimal::from(1_000_000_000);
    assert_eq!(
        Decimal::from(sum),
        expected_nanos,
        "ledger nano total differs from the inputs"
    );
    // Usage and gateway rows never carry billed money.
    assert!(by_role.iter().any(|r| r.role != RecordRole::Billed));
    assert_eq!(
        by_role
            .iter()
            .filter(|r| r.role != RecordRole::Billed)
            .map(|r| r.billed_cost_nano)
            .sum::<i64>(),
        0
    );
}

#[test]
fn planted_findings_are_found_with_expected_savings() {
    let (out, _) = demo();
    let json = read_json(&out.path().join("findings.json"));
    // Weekdays at full volume, the 9 weekend days of October 2026 at half: 26.5 full days.
    let days = Decimal::new(265, 1);
    // support-triage: 24M uncached + 6M cached + 1M output a day on gpt-4.1 ($59.00) vs gpt-4.1-mini ($11.80).
    let f = finding(&json, "tier_downshift", "support-triage on openai/gpt-4.1");
    assert_eq!(
        cents(&f["current_monthly_cost"]),
        dec_cents(dec("59.00") * days)
    );
    assert_eq!(
        cents(&f["monthly_savings"]),
        dec_cents((dec("59.00") - dec("11.80")) * days)
    );
    assert_eq!(
        cents(&f["annual_savings"]),
        dec_cents((dec("59.00") - dec("11.80")) * days * Decimal::from(12))
    );
    assert_eq!(f["confidence"], "medium");
    assert_eq!(
        f["evidence"]["prices"]["recommended"],
        "2026.12.04.2/openai/gpt-4.1-mini@openai-api:global/launch"
    );
    // contract-extraction: Sonnet 4.5 ($78.75/day) vs Haiku 4.5 ($26.25/day); no request counts.
    let f = finding(
        &json,
        "tier_downshift",
        "contract-extraction on anthropic/claude-sonnet-4-5",
    );
    assert_eq!(
        cents(&f["monthly_savings"]),
        dec_cents((dec("78.75") - dec("26.25")) * days)
    );
    assert_eq!(f["confidence"], "low");
    // gpt-4o ($19.50/day) onto gpt-4.1 ($15.60/day), both mid-tier OpenAI.
    let f = finding(&json, "consolidation", "mid tier: openai/gpt-4o");
    assert_eq!(
        cents(&f["monthly_savings"]),
        dec_cents((dec("19.50") - dec("15.60")) * days)
    );
    // exec-assistant: Opus 4.1 ($105/day) → its same-tier successor Opus 4.5 ($35/day).
    let f = finding(
        &json,
        "model_successor",
        "exec-assistant on anthropic/claude-opus-4-1",
    );
    assert_eq!(
        cents(&f["monthly_savings"]),
        dec_cents((dec("105.00") - dec("35.00")) * days)
    );
    assert_eq!(f["confidence"], "high");
    // Two OpenAI orgs: reported, no saving claimed without contract terms.
    let f = finding(&json, "consolidation", "accounts org-labs, org-main");
    assert_eq!(cents(&f["monthly_savings"]), 0);
    // nightly-digest's gpt-4.1-mini mix ($3.00/day) onto the small-tier gpt-5-nano ($0.675/day).
    let digest = dec("3.00") * days;
    let onto_nano = (dec("3.00") - dec("0.675")) * days;
    let f = finding(&json, "consolidation", "small tier: openai/gpt-4.1-mini");
    assert_eq!(cents(&f["monthly_savings"]), dec_cents(onto_nano));
    // batch_eligible: nightly-digest is declared offline; the batch rate halves its $79.50.
    let batch = digest / Decimal::from(2);
    let f = finding(
        &json,
        "batch_eligible",
        "nightly-digest on openai/gpt-4.1-mini",
    );
    assert_eq!(cents(&f["monthly_savings"]), dec_cents(batch));
    assert_eq!(f["confidence"], "medium");
    // billing_discrepancy: search-summaries ran on flex (list $0.675/day) but was billed at the
    // standard rates ($1.35/day): the overcharge is the difference.
    let f = finding(&json, "billing_discrepancy", "model openai/gpt-5-nano");
    assert_eq!(
        cents(&f["monthly_savings"]),
        dec_cents((dec("1.35") - dec("0.675")) * days)
    );
    assert_eq!(
        cents(&f["evidence"]["billed_cost"]),
        dec_cents(dec("1.35") * days)
    );
    // idle_capacity: 12 of 40 Copilot Business seats idle, at the catalog's $19 list price; 3
    // of them go to the people who pay for Copilot Pro on the Brex cards (shadow_ai), so 9
    // are reclaimed.
    let f = finding(&json, "idle_capacity", "seats copilot_business");
    assert_eq!(cents(&f["monthly_savings"]), 9 * 1_900);
    assert_eq!(f["evidence"]["idle_seats"], 9);
    assert_eq!(
        f["evidence"]["reassigned_to_individual_subscribers"]["seats"],
        3
    );
    // shadow_ai: the three $10 Copilot Pro subscriptions are cancelled (an idle seat each).
    let f = finding(
        &json,
        "shadow_ai",
        "subscriptions github_copilot_individual",
    );
    assert_eq!(cents(&f["monthly_savings"]), 3 * 1_000);
    assert_eq!(f["evidence"]["transactions"].as_array().unwrap().len(), 3);
    // Claude Pro (one refunded double charge), Cursor and Perplexity: governance, no saving;
    // the OpenAI API top-up: no saving at list price.
    for (scope, spend) in [
        ("no company plan anthropic", 4_000),
        ("no company plan cursor", 2_000),
        ("no company plan perplexity", 2_000),
        ("card api openai", 10_000),
    ] {
        let f = finding(&json, "shadow_ai", scope);
        assert_eq!(cents(&f["current_monthly_cost"]), spend, "{scope}");
        assert_eq!(cents(&f["monthly_savings"]), 0, "{scope}");
    }
    // anomaly: the labs' runaway day and the model first seen mid-month; no saving claimed.
    let f = finding(&json, "anomaly", "spend spike 2026-10-22");
    assert_eq!(cents(&f["monthly_savings"]), 0);
    let f = finding(&json, "anomaly", "new model gpt-5-mini-2025-08-07");
    assert_eq!(cents(&f["monthly_savings"]), 0);
    assert!(f["title"].as_str().unwrap().contains("2026-10-15"));

    // Negative cases: the long-output research agent gets no model change (only its caching
    // finding), and the chat assistant is not downshifted (its successor is a same-tier move).
    let scopes: Vec<(String, String)> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_string(),
                f["scope"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        !scopes
            .iter()
            .any(|(k, s)| k != "caching" && s.contains("research-agent")),
        "{scopes:?}"
    );
    assert!(
        !scopes
            .iter()
            .any(|(k, s)| k == "tier_downshift" && s.contains("exec-assistant")),
        "{scopes:?}"
    );
    // research-agent (gpt-5, 5,000 input tokens a request, nothing cached): half its 4M daily
    // input read from cache saves 2M × (1.25 - 0.125) = $2.25 a full day.
    let f = finding(&json, "caching", "research-agent on openai/gpt-5");
    assert_eq!(cents(&f["monthly_savings"]), dec_cents(dec("2.25") * days));
    // Headline: disjoint findings add up; findings on the same spend combine sequentially.
    // marketing-copy's gpt-4o ($516.75): the consolidation saves 20%, caching then saves its
    // share of the remaining 80%. nightly-digest: the consolidation first, then batch halves
    // what is left.
    let total: i64 = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| cents(&f["monthly_savings"]))
        .sum();
    let caching_gpt4o = dec("1.875") * days; // 1.5M × (2.50 - 1.25) a full day
    let overlap = caching_gpt4o * dec("0.2") + batch * onto_nano / digest;
    let headline = cents(&json["headline"]["monthly_savings"]);
    assert!(
        (headline - (total - dec_cents(overlap))).abs() <= 1,
        "{headline} vs {total} - {overlap}"
    );
    let savings: Vec<i64> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| cents(&f["monthly_savings"]))
        .collect();
    assert!(
        savings.windows(2).all(|w| w[0] >= w[1]),
        "findings not ranked: {savings:?}"
    );
}

#[test]
fn unpriced_model_is_listed_with_rows_tokens_and_spend() {
    let (out, _) = demo();
    let json = read_json(&out.path().join("findings.json"));
    let u = &json["unpriced"][0];
    assert_eq!(u["model"], "ft:gpt-4.1-mini-2025-04-14:northwind::a1b2c3");
    // 400k input + 20k output a day over 26.5 full days.
    assert_eq!(u["tokens"].as_f64().unwrap(), 420_000.0 * 26.5);
    assert!(cents(&u["billed_cost"]) > 0);
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("## Unpriced usage")
            && md.contains("ft:gpt-4.1-mini-2025-04-14:northwind::a1b2c3")
    );
}

#[test]
fn findings_json_validates_against_the_published_schema() {
    let (out, _) = demo();
    let schema = read_json(&repo().join("docs/findings.schema.json"));
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let json = read_json(&out.path().join("findings.json"));
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not vacuous: a broken document fails it.
    let mut broken = json.clone();
    broken["findings"][0]["confidence"] = serde_json::json!("certain");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn reports_are_byte_identical_across_runs() {
    let (a, _) = demo();
    let (b, _) = demo();
    // Every file of the output folder, charts included.
    let files = |dir: &std::path::Path| {
        let mut all: Vec<std::path::PathBuf> = Vec::new();
        let mut todo = vec![dir.to_path_buf()];
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    todo.push(p);
                } else {
                    all.push(p.strip_prefix(dir).unwrap().to_path_buf());
                }
            }
        }
        all.sort();
        all
    };
    let names = files(a.path());
    assert_eq!(names, files(b.path()));
    assert!(names.len() >= 18, "{names:?}");
    for f in names {
        assert_eq!(
            std::fs::read(a.path().join(&f)).unwrap(),
            std::fs::read(b.path().join(&f)).unwrap(),
            "{} differs",
            f.display()
        );
    }
}

#[test]
fn report_markdown_snapshot() {
    let (out, _) = demo();
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    insta::assert_snapshot!("demo_report_md", md);
}

#[test]
fn month_defaults_to_latest_complete_month_and_can_be_forced() {
    let (out, o) = demo();
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(json["period"]["start"], "2026-10-01");
    assert_eq!(json["period"]["end"], "2026-11-01");
    assert_eq!(json["period"]["complete"], true);
    // Forcing another month leaves every row outside the period, accounted for per file; the
    // Copilot seats snapshot is the exception: its seats were assigned in September too.
    let config = repo().join("fixtures/demo.toml");
    let (out, o) = run_ingest(
        &repo().join("fixtures/demo"),
        &["--config", config.to_str().unwrap(), "--month", "2026-09"],
    );
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(cents(&json["totals"]["billed_cost"]), 0);
    for i in json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "ingested")
    {
        let snapshot = i["format"] == "copilot_seats_json";
        let expected = if snapshot {
            &serde_json::json!(0)
        } else {
            &i["rows"]
        };
        assert_eq!(&i["out_of_period_rows"], expected, "{}", i["path"]);
    }
}

#[test]
fn the_browser_copy_is_the_duplicate() {
    let (out, _) = demo();
    let json = read_json(&out.path().join("findings.json"));
    let dup = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["status"] == "duplicate")
        .unwrap();
    assert_eq!(dup["path"], "openai/cost_2026-10-01_2026-10-31 (1).csv");
    assert_eq!(
        dup["reason"],
        "identical to `openai/cost_2026-10-01_2026-10-31.csv`; counted once"
    );
}

#[test]
fn usage_without_a_cost_export_is_estimated_not_billed() {
    // Only the OpenAI usage export: its priced usage is the estimate; nothing is billed.
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("fixtures/demo/openai/completions_usage_2026-10-01_2026-10-31.csv"),
        dir.path().join("usage.csv"),
    )
    .unwrap();
    let (out, o) = run_ingest(dir.path(), &["--quiet"]);
    assert!(o.status.success());
    assert!(
        o.stderr.is_empty(),
        "--quiet prints nothing: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(cents(&json["totals"]["billed_cost"]), 0);
    // gpt-4.1 $59.00, gpt-5 $29.00, gpt-4o $19.50, gpt-4.1-mini $3.00 and gpt-5-nano on flex
    // $0.675 a full day; the fine-tuned model is unpriced.
    let days = Decimal::new(265, 1);
    let expected = (dec("59.00") + dec("29.00") + dec("19.50") + dec("3.00") + dec("0.675")) * days;
    assert_eq!(
        cents(&json["totals"]["estimated_cost"]),
        dec_cents(expected)
    );
    assert_eq!(
        cents(&json["totals"]["estimated_by_provider"]["openai"]),
        dec_cents(expected)
    );
    assert!(json["totals"]["by_provider"]
        .as_object()
        .unwrap()
        .is_empty());
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("Estimated (usage priced at list"), "{md}");
}

#[test]
fn protected_workloads_are_never_flagged_for_a_cheaper_model() {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(repo().join("fixtures/demo.toml"))
        .unwrap()
        .replace(
            "protected_workloads = []",
            "protected_workloads = [\"support-triage\", \"exec-assistant\"]",
        );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let (out, o) = run_ingest(
        &repo().join("fixtures/demo"),
        &["--config", dir.path().join("config.toml").to_str().unwrap()],
    );
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    let scopes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["scope"].as_str().unwrap())
        .collect();
    assert!(
        !scopes
            .iter()
            .any(|s| s.contains("support-triage") || s.contains("exec-assistant")),
        "{scopes:?}"
    );
    // The unprotected planted downshift is still there.
    assert!(scopes.contains(&"contract-extraction on anthropic/claude-sonnet-4-5"));
}

#[test]
fn an_offline_workload_is_batch_eligible_and_combines_with_its_downshift() {
    let dir = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(repo().join("fixtures/demo.toml"))
        .unwrap()
        .replace(
            "offline_workloads = [\"nightly-digest\"]",
            "offline_workloads = [\"nightly-digest\", \"support-triage\"]",
        );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let (out, o) = run_ingest(
        &repo().join("fixtures/demo"),
        &["--config", dir.path().join("config.toml").to_str().unwrap()],
    );
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    let f = finding(&json, "batch_eligible", "support-triage on openai/gpt-4.1");
    // Batch halves every rate: half of $1,563.50.
    assert_eq!(
        cents(&f["monthly_savings"]),
        dec_cents(dec("59.00") * Decimal::new(265, 1) / Decimal::from(2))
    );
    assert_eq!(f["confidence"], "medium");
    // Downshift (80%) then batch on what is left: the headline grows by 50% of the remaining
    // 20% of $1,563.50, not by the batch finding's own $781.75.
    let (base, _) = demo();
    let base = read_json(&base.path().join("findings.json"));
    let grown =
        cents(&json["headline"]["monthly_savings"]) - cents(&base["headline"]["monthly_savings"]);
    assert_eq!(
        grown,
        dec_cents(dec("59.00") * Decimal::new(265, 1) * dec("0.2") / Decimal::from(2))
    );
}

/// Issue 11: `findings.csv` has one row per finding, with the same exact amounts.
#[test]
fn findings_csv_has_a_row_per_finding_with_the_json_amounts() {
    let (out, _) = demo();
    let json = read_json(&out.path().join("findings.json"));
    let findings = json["findings"].as_array().unwrap();
    let mut rdr = csv::Reader::from_path(out.path().join("findings.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(findings) {
        assert_eq!(&row[at("id")], f["id"].as_str().unwrap());
        assert_eq!(
            dec_cents(dec(&row[at("monthly_savings")])),
            cents(&f["monthly_savings"])
        );
        let evidence: serde_json::Value = serde_json::from_str(&row[at("evidence")]).unwrap();
        assert_eq!(evidence, f["evidence"]);
    }
}
