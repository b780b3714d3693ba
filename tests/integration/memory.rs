//! Issue 12 (part): bounded memory per input. Peak resident memory of the binary is read with
//! `wait4` for that one child (other tests' children running in parallel don't count), and
//! compared with a run on a one-line file in the same test, so the bound is the input's cost.

use crate::common::*;
use std::path::Path;

/// Exit code and peak resident memory (KiB) of `spend-audit ingest input`.
// The child is reaped by `wait4`, which also reports its peak memory; `wait` would not.
#[allow(clippy::zombie_processes)]
fn peak_kib(input: &Path) -> (Option<i32>, i64) {
    let out = tempfile::tempdir().unwrap();
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("spend-audit"))
        .arg("ingest")
        .arg(input)
        .arg("--out")
        .arg(out.path().join("audit"))
        .args(["--month", "2026-10", "--quiet"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: waits for our own child, once; `Child` is not waited on again.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32);
    let code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    (code, usage.ru_maxrss)
}

/// An Anthropic cost-report bucket for day `day` with `pad` bytes in a field no reader uses.
fn bucket(day: usize, pad: usize) -> String {
    format!(
        r#"{{"starting_at":"2026-10-{d:02}T00:00:00Z","ending_at":"2026-10-{e:02}T00:00:00Z","results":[{{"amount":"1.5","currency":"USD","description":"Claude Haiku 4.5 Usage - Output Tokens","cost_type":"tokens","token_type":"output_tokens","model":"claude-haiku-4-5","service_tier":"standard","context_window":"0-200k","workspace_id":null,"note":"{p}"}}]}}"#,
        d = day % 28 + 1,
        e = day % 28 + 2,
        p = "x".repeat(pad)
    )
}

const MIB: i64 = 1024;

#[test]
fn json_pages_and_lines_are_streamed_and_blank_lines_cost_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    write(
        &base,
        "cost.json",
        &format!(r#"{{"data":[{}]}}"#, bucket(0, 10)),
    );
    // 96 MiB of text in 384 buckets: read whole, the text and its tree would take 200+ MiB.
    let (buckets, pad) = (384, 256 * 1024);
    let page = dir.path().join("page");
    let all: Vec<String> = (0..buckets).map(|i| bucket(i, pad)).collect();
    write(
        &page,
        "cost.json",
        &format!(r#"{{"data":[{}],"has_more":false}}"#, all.join(",")),
    );
    let lines = dir.path().join("lines");
    let jsonl: Vec<String> = all.iter().map(|b| format!(r#"{{"data":[{b}]}}"#)).collect();
    write(&lines, "cost.jsonl", &jsonl.join("\n"));
    drop((all, jsonl));
    // A header and 32 MiB of blank lines.
    let blank = dir.path().join("blank");
    write(
        &blank,
        "cost.csv",
        &format!(
            "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n{}",
            "\n".repeat(32 << 20)
        ),
    );
    let (code, base_kib) = peak_kib(&base);
    assert_eq!(code, Some(0));
    for (name, input, budget_kib) in [
        ("one 96 MiB page", &page, 48 * MIB),
        ("96 MiB of JSONL", &lines, 48 * MIB),
        ("32 MiB of blank lines", &blank, 16 * MIB),
    ] {
        let (code, kib) = peak_kib(input);
        assert!(matches!(code, Some(0 | 1)), "{name}: exit {code:?}");
        let extra = kib - base_kib;
        assert!(
            extra < budget_kib,
            "{name}: peak {kib} KiB, {extra} KiB over the one-line run (budget {budget_kib})"
        );
    }
    // The page was read, not skipped: every bucket's 1.5 cents (the cost report's amounts
    // are cents) is billed, in the streamed order.
    let (_out, json) = audit_ok(&page, &["--month", "2026-10"]);
    assert_eq!(
        cents(&json["totals"]["billed_cost"]),
        buckets as i64 * 3 / 2
    );
}

/// The documented bound (README, "Security and privacy"): peak memory over a one-line run is
/// at most this multiple of an input's size. The ledger itself (about 2 KiB per line at peak,
/// with polars' work on it) is what grows; the outputs stream to disk, so a large month's
/// `focus.csv` is never held in memory.
const MEMORY_MULTIPLE: i64 = 80;

#[test]
fn peak_memory_of_a_file_of_short_lines_is_within_the_documented_multiple() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base");
    let line = |i: i64| {
        let start = 1_790_812_800 + (i % 31) * 86_400;
        format!("{start},{},,,1.25,usd,x,p{i},,\n", start + 86_400)
    };
    write(
        &base,
        "cost.csv",
        &format!("{OPENAI_COST_HEADER}\n{}", line(0)),
    );
    // The shortest bill lines there are (about 40 bytes: two epoch times, an amount, a
    // currency, a line item, a project), every one its own project, so no line merges with
    // another anywhere in the pipeline: one ledger line per input line.
    let lines = 100_000;
    let mut text = format!("{OPENAI_COST_HEADER}\n");
    for i in 0..lines {
        text.push_str(&line(i));
    }
    let size_kib = text.len() as i64 / 1024;
    let big = dir.path().join("big");
    write(&big, "cost.csv", &text);
    drop(text);
    let (code, base_kib) = peak_kib(&base);
    assert_eq!(code, Some(0));
    let (code, kib) = peak_kib(&big);
    assert_eq!(code, Some(0));
    let extra = kib - base_kib;
    assert!(
        extra < MEMORY_MULTIPLE * size_kib,
        "{lines} lines ({size_kib} KiB): peak {kib} KiB, {extra} KiB over the one-line run, \
         over {MEMORY_MULTIPLE}× the input"
    );
    // Every line was read and billed (1.25 dollars each).
    let (out, json) = audit_ok(&big, &["--month", "2026-10"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), lines * 125);
    // The report's workload table shows the top 50 and sums the rest; findings.json has all.
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("| | 99950 more (every one in `findings.json`) | $124,937.50 |"),
        "{}",
        &md[..md.len().min(4000)]
    );
    assert_eq!(
        json["spend_by_workload"].as_array().map(Vec::len),
        Some(lines as usize)
    );
    // The FOCUS export streamed in chunks of 8,192 rows: every line in both files, in order.
    let csv_rows: Vec<csv::StringRecord> = csv::Reader::from_path(out.path().join("focus.csv"))
        .unwrap()
        .records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(csv_rows.len(), lines as usize);
    assert_eq!(
        csv_rows.last().unwrap().get(csv_rows[0].len() - 1),
        Some(&*(lines + 1).to_string())
    );
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(out.path().join("focus.parquet")).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), lines as usize);
    let source_lines = df.column("x_SourceLine").unwrap().i64().unwrap();
    assert!((0..source_lines.len())
        .map(|i| source_lines.get(i))
        .zip(2..)
        .all(|(line, expected)| line == Some(expected)));
}
