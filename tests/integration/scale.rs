//! `docs/scale.md`: the DuckDB SQL that folds a `SpendLogs` table into the request grain, run
//! on a generated log; ingesting its Parquet output gives the same ledger as ingesting the CSV.
//!
//! Needs Python's `duckdb` (`.ci/run` installs it and sets `SPEND_AUDIT_REQUIRE_DUCKDB=1`, so CI
//! fails rather than skips when it is missing; elsewhere the test says it skipped).

use crate::common::{ingest_rows, read_json, repo, run_ingest, write};
use spend_audit::ledger::{ChargeKind, LedgerRow};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The DuckDB block of `docs/scale.md`, exactly as documented.
fn documented_sql() -> String {
    let doc = std::fs::read_to_string(repo().join("docs/scale.md")).unwrap();
    let after = doc
        .split_once("<!-- duckdb-sql -->")
        .expect("docs/scale.md marks its DuckDB SQL")
        .1;
    let body = after.split_once("```sql\n").unwrap().1;
    body.split_once("```").unwrap().0.to_string()
}

fn duckdb_available() -> bool {
    let ok = Command::new("python3")
        .args(["-c", "import duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("SPEND_AUDIT_REQUIRE_DUCKDB").is_none(),
            "python3 cannot import duckdb; run `pip install duckdb`"
        );
        eprintln!("skipped: python3 cannot import duckdb (`pip install duckdb` to run this test)");
    }
    ok
}

/// A deterministic LiteLLM `SpendLogs` CSV in the export's column order: several teams, keys
/// and models, cache reads in `usage_object`, prompts on both sides of the 200k cliff, blank
/// spend and end times, a `null` team and requests spread over two days.
fn spend_log(rows: usize) -> String {
    let mut s = String::from(
        "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,model_id,model_group,custom_llm_provider,api_base,user,team_id,metadata,cache_hit,request_tags\n",
    );
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |m: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % m
    };
    let models = [
        ("gpt-4.1", "openai", "https://api.openai.com/v1"),
        ("gpt-4.1-mini", "openai", "https://api.openai.com/v1"),
        (
            "claude-sonnet-4-5",
            "anthropic",
            "https://api.anthropic.com",
        ),
        (
            "gpt-4o",
            "azure",
            "https://contoso-east.openai.azure.com/openai",
        ),
    ];
    for i in 0..rows {
        let (model, provider, base) = models[next(models.len() as u64) as usize];
        let prompt = match next(10) {
            0 => 200_000 + next(50_000),
            1 => 0,
            _ => 100 + next(8_000),
        };
        let cached = if next(3) == 0 { next(prompt + 1) } else { 0 };
        let completion = next(1_500);
        let day = 1 + next(2);
        let (h, m, sec, ms) = (next(24), next(60), next(60), next(1000));
        let start = format!("2026-10-{day:02} {h:02}:{m:02}:{sec:02}.{ms:03}");
        let end = if next(5) == 0 {
            String::new()
        } else {
            format!("2026-10-{day:02}T{h:02}:{m:02}:{:02}Z", (sec + 1).min(59))
        };
        let spend = if next(6) == 0 {
            String::new()
        } else {
            format!("0.{:06}", next(999_999))
        };
        let team = ["search", "support", "null"][next(3) as usize];
        let alias = format!("key-{}", next(4));
        let meta = format!(
            "\"{{\"\"user_api_key_alias\"\": \"\"{alias}\"\", \"\"user_api_key_team_alias\"\": \"\"{team}-team\"\", \"\"usage_object\"\": {{\"\"prompt_tokens\"\": {prompt}, \"\"prompt_tokens_details\"\": {{\"\"cached_tokens\"\": {cached}}}}}}}\""
        );
        // Some rows carry no metadata: team and key then come from their own columns.
        let meta = if next(7) == 0 { String::new() } else { meta };
        let tags = if next(2) == 0 {
            "\"[\"\"prod\"\"]\"".to_string()
        } else {
            String::new()
        };
        s.push_str(&format!(
            "req-{i},acompletion,hashed-{},{spend},{},{prompt},{completion},{start},{end},{model},,{model},{provider},{base},u-{},{team},{meta},False,{tags}\n",
            next(3),
            prompt + completion,
            next(9),
        ));
    }
    s
}

/// Sums per (provider, team, key, model, charge kind): quantity, represented requests, the
/// log's own cost estimate.
fn totals(rows: &[LedgerRow]) -> BTreeMap<String, (f64, u64, i64)> {
    let mut t: BTreeMap<String, (f64, u64, i64)> = BTreeMap::new();
    for r in rows {
        let key = format!(
            "{}|{:?}|{:?}|{:?}|{}|{:?}",
            r.provider,
            r.sub_account,
            r.api_key,
            r.model_raw,
            r.charge_kind.as_str(),
            r.resource
        );
        let e = t.entry(key).or_default();
        e.0 += r.quantity;
        e.1 += u64::from(r.source_rows);
        e.2 += r.source_reported_cost_nano.unwrap_or(0);
    }
    t
}

fn run_duckdb(csv: &Path, parquet: &Path) {
    let sql = documented_sql()
        .replace("'SpendLogs.csv'", &format!("'{}'", csv.display()))
        .replace("'grain.parquet'", &format!("'{}'", parquet.display()));
    let script = "import duckdb, sys\ncon = duckdb.connect()\nfor stmt in sys.stdin.read().split(';'):\n    if stmt.strip():\n        con.execute(stmt)\n";
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success(), "the documented SQL failed");
}

#[test]
fn the_documented_duckdb_grain_ingests_to_the_same_ledger_as_the_log() {
    if !duckdb_available() {
        return;
    }
    let logs = tempfile::tempdir().unwrap();
    write(logs.path(), "SpendLogs.csv", &spend_log(3_000));
    let grain = tempfile::tempdir().unwrap();
    run_duckdb(
        &logs.path().join("SpendLogs.csv"),
        &grain.path().join("grain.parquet"),
    );

    let (from_log, log_outcome) = ingest_rows(logs.path());
    let (from_grain, grain_outcome) = ingest_rows(grain.path());
    assert_eq!(log_outcome.inputs[0].rejected_rows, 0);
    assert_eq!(
        grain_outcome.inputs[0].format.as_deref(),
        Some("request_grain_parquet")
    );
    assert_eq!(grain_outcome.inputs[0].rejected_rows, 0);
    let (a, b) = (totals(&from_log), totals(&from_grain));
    assert_eq!(a.len(), b.len(), "the same attribution keys");
    for (key, (qa, na, ra)) in &a {
        let (qb, nb, rb) = b.get(key).unwrap_or_else(|| panic!("`{key}` missing"));
        assert_eq!(qa, qb, "quantity of {key}");
        assert_eq!(na, nb, "requests of {key}");
        assert_eq!(ra, rb, "reported cost of {key}");
    }
    let requests: u64 = from_grain
        .iter()
        .filter(|r| r.charge_kind == ChargeKind::Request)
        .map(|r| u64::from(r.source_rows))
        .sum();
    assert_eq!(requests, 3_000);

    // Priced end to end: the same list cost per price reference, the long-context tier
    // included.
    let (out_log, o1) = run_ingest(logs.path(), &["--quiet"]);
    let (out_grain, o2) = run_ingest(grain.path(), &["--quiet"]);
    assert!(o1.status.success() && o2.status.success());
    let list_cost = |dir: &Path| {
        let ledger =
            spend_audit::ledger::Ledger::read_parquet(&dir.join("ledger.parquet")).unwrap();
        let mut by_ref: BTreeMap<String, i64> = BTreeMap::new();
        for row in ledger
            .string_rows(&["price_ref", "list_cost_nano"])
            .unwrap()
        {
            let cost: i64 = row[1].as_deref().map_or(0, |c| c.parse().unwrap());
            *by_ref
                .entry(row[0].clone().unwrap_or_else(|| "unpriced".into()))
                .or_insert(0) += cost;
        }
        by_ref
    };
    let (ca, cb) = (list_cost(out_log.path()), list_cost(out_grain.path()));
    assert!(
        ca.keys().any(|k| k.contains("long-context")),
        "the log crosses the cliff: {ca:?}"
    );
    assert_eq!(ca, cb);
    // Totals, the headline and each finding's saving are the same.
    let summary = |dir: &Path| {
        let f = read_json(&dir.join("findings.json"));
        let savings: Vec<String> = f["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| format!("{} {}", x["kind"], x["monthly_savings"]))
            .collect();
        (f["totals"].to_string(), f["headline"].to_string(), savings)
    };
    assert_eq!(summary(out_log.path()), summary(out_grain.path()));
}

#[test]
fn a_broken_grain_row_is_rejected_with_its_row_and_column() {
    if !duckdb_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grain.parquet");
    let sql = format!(
        "COPY (SELECT * FROM (VALUES \
         (1790812800000::BIGINT, 'openai', 'search', 'k1', 'gpt-4.1', NULL, NULL, 100.0::DOUBLE, 10.0::DOUBLE, 2::BIGINT, 200.0::DOUBLE, 0.0::DOUBLE, 20.0::DOUBLE, NULL::BIGINT, NULL::BIGINT, 1790812800000::BIGINT, 1790812801000::BIGINT), \
         (1790812800000::BIGINT, 'openai', 'search', 'k1', 'gpt-4.1', NULL, NULL, 100.0::DOUBLE, 10.0::DOUBLE, 0::BIGINT, 200.0::DOUBLE, 0.0::DOUBLE, 20.0::DOUBLE, NULL::BIGINT, NULL::BIGINT, 1790812800000::BIGINT, 1790812801000::BIGINT)) \
         t(hour_start_ms, provider, team, api_key, model, tags, api_base, request_prompt_tokens, request_output_tokens, requests, input_tokens, cached_input_tokens, output_tokens, reported_cost_nano, reported_requests, first_start_ms, last_end_ms)) \
         TO '{}' (FORMAT parquet)",
        path.display()
    );
    let status = Command::new("python3")
        .args([
            "-c",
            "import duckdb, sys; duckdb.connect().execute(sys.argv[1])",
            &sql,
        ])
        .status()
        .unwrap();
    assert!(status.success());
    let (rows, outcome) = ingest_rows(dir.path());
    assert_eq!(outcome.inputs[0].rows, 2);
    assert_eq!(outcome.rejects.len(), 1, "{:?}", outcome.rejects);
    assert_eq!(outcome.rejects[0].line, 2);
    assert_eq!(outcome.rejects[0].column.as_deref(), Some("requests"));
    let requests: u32 = rows
        .iter()
        .filter(|r| r.charge_kind == ChargeKind::Request)
        .map(|r| r.source_rows)
        .sum();
    assert_eq!(requests, 2);
}

/// The demo audited with its config: the output folder and the config path.
fn demo_output() -> (tempfile::TempDir, String) {
    let config = repo().join("fixtures/demo.toml");
    let config = config.to_str().unwrap().to_string();
    let (out, o) = run_ingest(
        &repo().join("fixtures/demo"),
        &["--config", &config, "--quiet"],
    );
    assert!(o.status.success());
    (out, config)
}

/// `ledger.parquet` is itself an input: the demo's ledger, read back alone with the same
/// config, gives the same totals (billed, estimated, out of scope, per provider, list and
/// contracted cost of usage) as the exports it was made from.
#[test]
fn a_ledger_read_back_gives_the_same_totals() {
    let (first, config) = demo_output();
    let config = config.as_str();
    let again = tempfile::tempdir().unwrap();
    std::fs::copy(
        first.path().join("ledger.parquet"),
        again.path().join("ledger.parquet"),
    )
    .unwrap();
    let (second, o2) = run_ingest(again.path(), &["--config", config, "--quiet"]);
    assert!(
        o2.status.success(),
        "{}",
        String::from_utf8_lossy(&o2.stderr)
    );
    let (a, b) = (
        read_json(&first.path().join("findings.json")),
        read_json(&second.path().join("findings.json")),
    );
    assert_eq!(
        b["inputs"][0]["format"].as_str(),
        Some("spend_audit_ledger_parquet")
    );
    assert_eq!(b["inputs"][0]["rejected_rows"], 0);
    assert!(crate::common::cents(&a["totals"]["billed_cost"]) > 0);
    // Out-of-scope lines never enter the ledger, so only the AI totals carry over.
    for key in [
        "billed_cost",
        "estimated_cost",
        "by_provider",
        "estimated_by_provider",
        "list_cost_of_usage_by_provider",
        "contracted_cost_of_usage_by_provider",
    ] {
        assert_eq!(a["totals"][key], b["totals"][key], "totals.{key}");
    }
    assert_eq!(a["period"], b["period"]);
    // Seat activity has a column of its own, so idle seats are found again from the ledger.
    let seat_findings = |j: &serde_json::Value| -> Vec<serde_json::Value> {
        j["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["scope"].as_str().is_some_and(|s| s.starts_with("seats ")))
            .cloned()
            .collect()
    };
    assert!(!seat_findings(&a).is_empty(), "the demo has idle seats");
    assert_eq!(seat_findings(&a), seat_findings(&b));
}

/// A whole earlier output folder copied into the exports is skipped, with the reason, instead
/// of its ledger being counted on top of the exports it came from.
#[test]
fn an_earlier_output_folder_inside_the_exports_is_not_read_again() {
    let (first, _) = demo_output();
    let input = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(input.path().join("last-month")).unwrap();
    for f in ["ledger.parquet", "findings.json"] {
        std::fs::copy(
            first.path().join(f),
            input.path().join("last-month").join(f),
        )
        .unwrap();
    }
    let (rows, outcome) = ingest_rows(input.path());
    assert!(rows.is_empty());
    let ledger = outcome
        .inputs
        .iter()
        .find(|i| i.path.ends_with("ledger.parquet"))
        .unwrap();
    assert_eq!(ledger.status, spend_audit::ingest::InputStatus::Skipped);
    assert!(
        ledger
            .reason
            .as_deref()
            .unwrap()
            .contains("earlier spend-audit output"),
        "{:?}",
        ledger.reason
    );
}
