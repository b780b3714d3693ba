//! Shared helpers: running the binary, collecting ledger rows from the library.

use assert_cmd::Command;
use rust_decimal::Decimal;
use spend_audit::ingest;
use spend_audit::ledger::LedgerRow;
use std::path::{Path, PathBuf};
use std::str::FromStr;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary, keeping no monthly history (each test's output folder is a fresh temp
/// folder, whose default history store beside it would be shared by every test).
pub fn bin() -> Command {
    let mut c = Command::cargo_bin("spend-audit").expect("binary built");
    c.env("SPEND_AUDIT_NO_HISTORY", "1");
    c
}

/// The binary with history allowed (the caller passes `--history`).
pub fn bin_with_history() -> Command {
    Command::cargo_bin("spend-audit").expect("binary built")
}

/// Runs `ingest` on `input` into a fresh temp folder; returns the folder and the command's output.
pub fn run_ingest(input: &Path, extra: &[&str]) -> (tempfile::TempDir, std::process::Output) {
    let out = tempfile::tempdir().unwrap();
    let output = bin()
        .arg("ingest")
        .arg(input)
        .arg("--out")
        .arg(out.path())
        .args(extra)
        .output()
        .unwrap();
    (out, output)
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// The `inputs` entry of findings.json for the input at `path`.
pub fn input_entry(json: &serde_json::Value, path: &str) -> serde_json::Value {
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == path)
        .unwrap_or_else(|| panic!("input `{path}` is not listed"))
        .clone()
}

/// Cents of a JSON money value (findings.json writes amounts rounded to cents).
pub fn cents(v: &serde_json::Value) -> i64 {
    (v.as_f64().unwrap() * 100.0).round() as i64
}

/// Exact decimal → cents, rounding half away from zero like the tool.
pub fn dec_cents(d: Decimal) -> i64 {
    use rust_decimal::prelude::ToPrimitive;
    (d * Decimal::from(100))
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap()
}

pub fn dec(s: &str) -> Decimal {
    Decimal::from_str(s.trim()).unwrap()
}

/// Ingests one folder with the library and returns the rows and the outcome.
pub fn ingest_rows(dir: &Path) -> (Vec<LedgerRow>, ingest::IngestOutcome) {
    let files = ingest::walk(dir, None).unwrap();
    let mut rows = Vec::new();
    let outcome = ingest::ingest_dir(dir, &files, &mut |r| rows.push(r), &mut |_| {});
    (rows, outcome)
}

/// Writes `text` to `dir/name`, creating folders.
pub fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Ingests a folder holding one file `name` with `text`.
pub fn one_file(name: &str, text: &str) -> (Vec<LedgerRow>, ingest::IngestOutcome) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), name, text);
    ingest_rows(dir.path())
}

/// Total quantity of one charge kind.
pub fn qty(rows: &[LedgerRow], kind: spend_audit::ledger::ChargeKind) -> f64 {
    rows.iter()
        .filter(|r| r.charge_kind == kind)
        .map(|r| r.quantity)
        .sum()
}

/// Runs `ingest` on `input`, checks that it exits 0 (stderr shown if not), and returns the
/// output folder with its `findings.json`.
pub fn audit_ok(input: &Path, extra: &[&str]) -> (tempfile::TempDir, serde_json::Value) {
    let (out, o) = run_ingest(input, extra);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json = read_json(&out.path().join("findings.json"));
    (out, json)
}

/// Copies the folder `from` to `to`, leaving out entries named `skip`.
pub fn copy_dir(from: &Path, to: &Path, skip: &str) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == skip {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target, skip);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, recursively, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

/// The header of OpenAI's cost CSV export, in its real column order.
pub const OPENAI_COST_HEADER: &str = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name";

/// One OpenAI cost CSV line for October `day` 2026: `amount` dollars of `item`, in
/// organisation `org_name` (a CSV field, quoted by the caller where needed).
pub fn openai_cost_line(day: i64, amount: &str, item: &str, org_name: &str) -> String {
    let start = 1_790_812_800 + (day - 1) * 86_400;
    format!(
        "{start},{},x,y,{amount},usd,\"{item}\",proj_a,org-a,{org_name}\n",
        start + 86_400
    )
}

/// The finding of `kind` on `scope` in a findings.json.
pub fn finding<'a>(json: &'a serde_json::Value, kind: &str, scope: &str) -> &'a serde_json::Value {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == kind && f["scope"] == scope)
        .unwrap_or_else(|| panic!("no `{kind}` finding for `{scope}`"))
}
