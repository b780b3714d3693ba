//! Bad input never panics: it is skipped or rejected with file, line, column and reason, and the
//! run carries on (exit 0), unless `--strict` (exit 1, outputs still written).

use crate::common::*;

fn good_cost() -> String {
    format!(
        "{OPENAI_COST_HEADER}\n\
         1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,1.25,usd,\"gpt-4o-2024-08-06, input\",proj_a,org-a,A\n\
         1793404800,1793491200,2026-10-31T00:00:00+00:00,2026-11-01T00:00:00+00:00,2.5,usd,\"gpt-4o-2024-08-06, output\",proj_a,org-a,A\n"
    )
}

fn bad_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "good/cost.csv", &good_cost());
    // Truncated mid-row: the last line lost its tail.
    write(
        p,
        "truncated/cost.csv",
        &format!("{OPENAI_COST_HEADER}\n1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,0.5,usd,\"gpt-4.1, input\",proj_b,org-a,A\n1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-0"),
    );
    write(p, "empty.csv", "");
    write(p, "header_only.csv", &format!("{OPENAI_COST_HEADER}\n"));
    // UTF-16 with BOM, as Excel's "Unicode text" saves it.
    let utf16: Vec<u8> = [0xFFu8, 0xFE]
        .into_iter()
        .chain("a,b\n1,2\n".encode_utf16().flat_map(|u| u.to_le_bytes()))
        .collect();
    std::fs::write(p.join("utf16.csv"), utf16).unwrap();
    // Latin-1 bytes in a text cell: read lossily, the row still counts.
    let mut latin = format!("{OPENAI_COST_HEADER}\n").into_bytes();
    latin.extend_from_slice(b"1790812800,1790899200,x,y,0.75,usd,\"gpt-4o-2024-08-06, input\",proj_\xe9,org-a,Caf\xe9\n");
    std::fs::write(p.join("latin1.csv"), latin).unwrap();
    // Bad values: an amount that is not a number and a date that is not a date.
    write(
        p,
        "bad_values.csv",
        &format!("{OPENAI_COST_HEADER}\n1790812800,1790899200,a,b,abc,usd,\"gpt-4o, input\",proj_c,org-a,A\nnot-a-date,1790899200,a,b,1.0,usd,\"gpt-4o, input\",proj_c,org-a,A\n"),
    );
    write(p, "binary.bin", "\u{0}\u{1}\u{2}");
    dir
}

#[test]
fn bad_files_never_panic_and_are_accounted_for() {
    let dir = bad_folder();
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let json = read_json(&out.path().join("findings.json"));
    let status = |path: &str| input_entry(&json, path);
    assert_eq!(status("empty.csv")["status"], "skipped");
    assert_eq!(status("empty.csv")["reason"], "empty file");
    assert_eq!(status("utf16.csv")["status"], "skipped");
    assert!(status("utf16.csv")["reason"]
        .as_str()
        .unwrap()
        .contains("UTF-16"));
    assert_eq!(status("binary.bin")["status"], "skipped");
    assert_eq!(status("header_only.csv")["status"], "ingested");
    assert_eq!(status("header_only.csv")["rows"], 0);
    assert_eq!(status("latin1.csv")["status"], "ingested");
    assert_eq!(status("latin1.csv")["rejected_rows"], 0);
    assert_eq!(status("truncated/cost.csv")["rows"], 2);
    assert_eq!(status("truncated/cost.csv")["rejected_rows"], 1);
    assert_eq!(status("bad_values.csv")["rejected_rows"], 2);

    let rejects = std::fs::read_to_string(out.path().join("rejects.csv")).unwrap();
    assert!(
        rejects.starts_with("file,line,column,reason\n"),
        "{rejects}"
    );
    assert!(rejects.contains("truncated/cost.csv,3,"), "{rejects}");
    assert!(
        rejects.contains(
            "bad_values.csv,2,amount_value,`abc` in column `amount_value` is not an amount"
        ),
        "{rejects}"
    );
    assert!(
        rejects.contains("bad_values.csv,3,start_time,`not-a-date`"),
        "{rejects}"
    );
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("## Rejected rows") && md.contains("bad_values.csv"));
}

#[test]
fn good_rows_still_reconcile_next_to_bad_ones() {
    let dir = bad_folder();
    let (out, _) = run_ingest(dir.path(), &["--month", "2026-10"]);
    let json = read_json(&out.path().join("findings.json"));
    // Accepted amounts: the good file, the truncated file's intact first row, the Latin-1 row.
    let expected: rust_decimal::Decimal =
        ["1.25", "2.5", "0.5", "0.75"].iter().map(|s| dec(s)).sum();
    assert_eq!(cents(&json["totals"]["billed_cost"]), dec_cents(expected));
}

#[test]
fn strict_fails_with_exit_1_but_still_writes_outputs() {
    let dir = bad_folder();
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.path().join("findings.json").is_file());
    assert!(out.path().join("rejects.csv").is_file());
    assert!(String::from_utf8_lossy(&o.stderr).contains("--strict"));
}

#[test]
fn strict_passes_on_clean_input() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cost.csv", &good_cost());
    let (_, o) = run_ingest(dir.path(), &["--strict"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn output_inside_input_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cost.csv", &good_cost());
    let o = bin()
        .arg("ingest")
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("audit"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.starts_with("error: output folder"), "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
}

#[test]
fn usage_errors_exit_2_and_help_documents_exit_codes() {
    let o = bin()
        .args(["ingest", "x", "--month", "October"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`YYYY-MM`"));
    let o = bin().args(["ingest", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("Exit codes:") && help.contains("--strict"),
        "{help}"
    );
    let o = bin()
        .args(["ingest", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn cli_definition_is_consistent() {
    use clap::CommandFactory;
    spend_audit::cli::Cli::command().debug_assert();
}

#[test]
fn a_broken_quote_costs_one_record_not_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let head = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n";
    let row = |amount: &str, item: &str| {
        format!("1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,{amount},usd,{item},proj_a,org-a,A\n")
    };
    std::fs::write(
        dir.path().join("cost.csv"),
        format!(
            "{head}{}{}{}{}",
            row("1.50", "\"gpt-4.1-2025-04-14, input\""),
            // The closing quote is missing: the reader runs on into the next line.
            row("2.50", "\"gpt-4.1-2025-04-14, output"),
            row("3.50", "\"gpt-4.1-2025-04-14, output\""),
            row("4.25", "\"gpt-4.1-2025-04-14, cached input\""),
        ),
    )
    .unwrap();
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert_eq!(o.status.code(), Some(0));
    let json = read_json(&out.path().join("findings.json"));
    // Lines 2 and 5 are read; lines 3–4 became one malformed record, rejected by line.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 150 + 425);
    let input = &json["inputs"][0];
    assert_eq!(input["status"], "ingested");
    assert_eq!(input["rejected_rows"], 1);
    let rejects = std::fs::read_to_string(out.path().join("rejects.csv")).unwrap();
    assert!(
        rejects.contains("cost.csv,3,,\"a quote opened on this line is not closed, so lines 3–4 read as one record"),
        "{rejects}"
    );
    let (_, o) = run_ingest(dir.path(), &["--month", "2026-10", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
}

/// Issue 12 (part): a file a reader panics on (a Parquet DECIMAL column, which this polars
/// build does not read) is rejected with the reason; the run carries on, never exit 101.
#[test]
fn decimal_and_zoned_parquet_columns_are_read_exactly() {
    // CUR 2.0 and FOCUS Parquet exports can type money as DECIMAL and periods as UTC-adjusted
    // timestamps; both are read, to the cent, beside a valid CSV.
    let dir = tempfile::tempdir().unwrap();
    for name in ["decimal-focus.parquet", "zoned-decimal-focus.parquet"] {
        std::fs::copy(
            repo().join("tests/data/hostile").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    write(dir.path(), "cost.csv", &good_cost());
    let (out, o) = run_ingest(dir.path(), &["--strict"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"));
    let json = read_json(&out.path().join("findings.json"));
    let status = |path: &str| input_entry(&json, path)["status"].clone();
    assert_eq!(status("decimal-focus.parquet"), "ingested");
    assert_eq!(status("zoned-decimal-focus.parquet"), "ingested");
    // 12.34 + 56.78 from the Parquet files, plus the CSV's own total.
    let (csv_only, _) = {
        let d = tempfile::tempdir().unwrap();
        write(d.path(), "cost.csv", &good_cost());
        let (out, o) = run_ingest(d.path(), &[]);
        assert_eq!(o.status.code(), Some(0));
        (read_json(&out.path().join("findings.json")), d)
    };
    assert_eq!(
        cents(&json["totals"]["billed_cost"]),
        cents(&csv_only["totals"]["billed_cost"]) + 1234 + 5678
    );
}

/// Issue 12 bounded resources: a gzip bomb, a ZIP member over the cap and a nested ZIP are
/// each rejected by name while the valid file beside them is read; nothing is left in the
/// temp folder, and a killed run's leftover copy is removed.
#[test]
fn decompression_is_capped_and_leaves_nothing_behind() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(p, "good/cost.csv", &good_cost());
    // A header and 3 MiB of blank lines: ~3 KiB compressed.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(format!("{OPENAI_COST_HEADER}\n").as_bytes())
        .unwrap();
    gz.write_all(&vec![b'\n'; 3 << 20]).unwrap();
    std::fs::create_dir_all(p.join("bomb")).unwrap();
    std::fs::write(p.join("bomb/cost.csv.gz"), gz.finish().unwrap()).unwrap();
    // An archive with an over-cap member, a nested archive and a valid member.
    let zip_path = p.join("archive/exports.zip");
    std::fs::create_dir_all(zip_path.parent().unwrap()).unwrap();
    let inner = {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file("cost.csv", zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(good_cost().as_bytes()).unwrap();
        z.finish().unwrap().into_inner()
    };
    let mut z = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let deflate = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    z.start_file("big.csv", deflate).unwrap();
    z.write_all(format!("{OPENAI_COST_HEADER}\n").as_bytes())
        .unwrap();
    z.write_all(&vec![b'\n'; 2 << 20]).unwrap();
    z.start_file("nested.zip", deflate).unwrap();
    z.write_all(&inner).unwrap();
    z.finish().unwrap();

    let tmp = tempfile::tempdir().unwrap();
    // A copy a killed run left (no process has this pid: above Linux's pid_max).
    let stale = tmp.path().join("spend-audit-4194399-0123456789abcdef");
    std::fs::write(&stale, "left by a killed run").unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = bin()
        .arg("ingest")
        .arg(p)
        .arg("--out")
        .arg(out.path())
        .args(["--max-inflated-size", "1M", "--quiet"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json = read_json(&out.path().join("findings.json"));
    let reason = |path: &str| {
        let e = input_entry(&json, path);
        assert_eq!(e["status"], "rejected", "{path}: {e}");
        e["reason"].as_str().unwrap().to_string()
    };
    let bomb = reason("bomb/cost.csv.gz");
    assert!(
        bomb.contains("inflates past 1 MiB") && bomb.contains("--max-inflated-size"),
        "{bomb}"
    );
    let big = reason("archive/exports.zip!/big.csv");
    assert!(big.contains("1 MiB"), "{big}");
    let nested = reason("archive/exports.zip!/nested.zip");
    assert!(
        nested.contains("ZIP archive inside a ZIP archive"),
        "{nested}"
    );
    assert_eq!(input_entry(&json, "good/cost.csv")["status"], "ingested");
    assert_eq!(cents(&json["totals"]["billed_cost"]), 375);
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert!(left.is_empty(), "temp folder not empty: {left:?}");

    // Raised cap: the bomb's blank lines are read (and cost nothing).
    let out2 = tempfile::tempdir().unwrap();
    let output = bin()
        .arg("ingest")
        .arg(p)
        .arg("--out")
        .arg(out2.path())
        .args(["--max-inflated-size", "8M", "--quiet"])
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let json = read_json(&out2.path().join("findings.json"));
    let bomb = input_entry(&json, "bomb/cost.csv.gz");
    assert!(
        !bomb["reason"].as_str().unwrap_or("").contains("inflates"),
        "{bomb}"
    );
}

/// Issue 12 (part): a field over the length cap rejects its line by file and line; the file's
/// other lines and the files beside it still count to the cent, and no output copies the field.
#[test]
fn an_over_long_field_rejects_its_line_not_the_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good/cost.csv", &good_cost());
    let huge = "p".repeat(1 << 20);
    write(
        dir.path(),
        "huge/cost.csv",
        &format!(
            "{OPENAI_COST_HEADER}\n\
             1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,9.00,usd,\"gpt-4.1, input\",{huge},org-b,B\n\
             1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,0.40,usd,\"gpt-4.1, input\",proj_b,org-b,B\n"
        ),
    );
    let (out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 125 + 250 + 40);
    let entry = input_entry(&json, "huge/cost.csv");
    assert_eq!(
        (entry["rows"].as_u64(), entry["rejected_rows"].as_u64()),
        (Some(1), Some(1))
    );
    let rejects = std::fs::read_to_string(out.path().join("rejects.csv")).unwrap();
    assert!(
        rejects.contains("huge/cost.csv,2,,\"its project or workspace is 1048576 characters long"),
        "{rejects}"
    );
    for f in files_under(out.path()) {
        let size = std::fs::metadata(&f).unwrap().len();
        assert!(size < 1 << 20, "`{}` is {size} bytes", f.display());
    }
}
