//! Issue 12 (part): the malformed-input corpus as regression tests. Every case sits beside a
//! valid cost file in one run; each asserts its status and message (file, line or column where
//! there is one, and what to do), the valid file's total is untouched, and no case panics.

use crate::common::*;

const HEADER: &str = OPENAI_COST_HEADER;

/// One OpenAI cost line on 2026-10-`day` for `amount` dollars.
fn line(day: i64, amount: &str, org_name: &str) -> String {
    openai_cost_line(day, amount, "gpt-4.1-2025-04-14, input", org_name)
}

fn utf16le(text: &str, bom: bool) -> Vec<u8> {
    let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
    out.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    out
}

/// (path, expected status, text the reason must contain, cents it adds to the billed total)
type Case = (String, &'static str, &'static str, i64);

#[test]
fn every_malformed_case_is_accounted_for_beside_a_valid_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let put = |name: &str, bytes: &[u8]| {
        let path = p.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    };
    put(
        "good/cost.csv",
        format!("{HEADER}\n{}", line(1, "1.25", "A")).as_bytes(),
    );
    let mut cases: Vec<Case> = Vec::new();
    let mut case = |name: &str, bytes: &[u8], status, reason, cents| {
        put(name, bytes);
        cases.push((name.to_string(), status, reason, cents));
    };
    case("empty.csv", b"", "skipped", "empty file", 0);
    case(
        "header-only.csv",
        format!("{HEADER}\n").as_bytes(),
        "ingested",
        "",
        0,
    );
    case(
        "bom-only.csv",
        "\u{feff}".as_bytes(),
        "skipped",
        "empty file",
        0,
    );
    let good = format!("{HEADER}\n{}", line(2, "0.10", "A"));
    case(
        "utf16-bom.csv",
        &utf16le(&good, true),
        "skipped",
        "UTF-16",
        0,
    );
    case(
        "utf16-no-bom.csv",
        &utf16le(&good, false),
        "skipped",
        "UTF-16 encoded (without a byte-order mark); re-save it as UTF-8",
        0,
    );
    case(
        "crlf.csv",
        format!("{HEADER}\r\n{}", line(3, "0.11", "A").replace('\n', "\r\n")).as_bytes(),
        "ingested",
        "",
        11,
    );
    case(
        "cr-only.csv",
        format!("{HEADER}\r{}", line(4, "0.12", "A").replace('\n', "\r")).as_bytes(),
        "ingested",
        "",
        12,
    );
    // A quoted line break in a name is part of its field (lines 2–3 are one record, read);
    // the lines after keep their physical numbers, so the ragged line 5 is rejected as line 5.
    // A broken quote, which swallows whole lines, is still rejected (`broken-quote.csv`).
    case(
        "quoted-newline.csv",
        format!(
            "{HEADER}\n{}{}{}",
            line(5, "0.22", "\"Acme\nLabs\""),
            line(13, "0.23", "A"),
            line(14, "0.24", "A").replacen(',', ",,", 1)
        )
        .as_bytes(),
        "ingested",
        "",
        45,
    );
    case(
        "broken-quote.csv",
        format!(
            "{HEADER}\n{}{}{}",
            line(15, "0.26", "\"Acme"),
            line(16, "0.27", "A"),
            line(17, "0.28", "A")
        )
        .as_bytes(),
        "ingested",
        "",
        28,
    );
    let mut latin = format!("{HEADER}\n").into_bytes();
    latin.extend_from_slice(
        line(6, "0.33", "Caf\u{e9}")
            .replace('\u{e9}', "\u{1}")
            .as_bytes(),
    );
    let at = latin.iter().rposition(|b| *b == 1).unwrap();
    latin[at] = 0xE9; // a Latin-1 é: read lossily, the line still counts
    case("latin1.csv", &latin, "ingested", "", 33);
    case(
        "negative-credit.csv",
        format!("{HEADER}\n{}", line(7, "-0.40", "A")).as_bytes(),
        "ingested",
        "",
        -40,
    );
    // A header with `n` extra columns and a line with as many extra empty cells.
    let wide = |n: usize| {
        let names: String = (0..n).map(|i| format!(",c{i}")).collect();
        let cells = ",".repeat(n);
        let row = line(12, "0.77", "A");
        format!("{HEADER}{names}\n{}{cells}\n", row.trim_end())
    };
    // 10^6 columns: a first line longer than detection reads is no export's header.
    case(
        "million-columns.csv",
        wide(1_000_000).as_bytes(),
        "skipped",
        "its first line is longer than 64 KiB, more than any export's header",
        0,
    );
    // 10,000 columns fit: the extra ones are not read, the line is.
    case(
        "ten-thousand-columns.csv",
        wide(10_000).as_bytes(),
        "ingested",
        "",
        77,
    );
    case(
        "deep.json",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).as_bytes(),
        "rejected",
        "line 1, column 128: not valid JSON: recursion limit exceeded; fix or re-download",
        0,
    );
    case(
        "truncated.json",
        br#"{"data":[{"starting_at":"2026-10-01T00:00:00Z","results":[{"amount":"1"#,
        "rejected",
        "line 1, column 70: not valid JSON: EOF while parsing a string (the file ends inside",
        0,
    );
    let long_dir = (0..10)
        .map(|i| format!("{i}{}", "d".repeat(250)))
        .collect::<Vec<_>>();
    let long = format!("{}/{}.csv", long_dir.join("/"), "f".repeat(250));
    case(
        &long,
        format!("{HEADER}\n{}", line(9, "0.44", "A")).as_bytes(),
        "ingested",
        "",
        44,
    );
    case(
        "name\nwith # newline.csv",
        format!("{HEADER}\n{}", line(10, "0.55", "A")).as_bytes(),
        "ingested",
        "",
        55,
    );
    case(
        "glob [*?].csv",
        format!("{HEADER}\n{}", line(11, "0.66", "A")).as_bytes(),
        "ingested",
        "",
        66,
    );
    // A socket cannot be opened for reading, even by root (a mode-000 file can be).
    let _socket = std::os::unix::net::UnixListener::bind(p.join("socket.csv")).unwrap();
    cases.push(("socket.csv".into(), "skipped", "a socket, not a file", 0));

    let (out, o) = run_ingest(p, &["--month", "2026-10"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    let json = read_json(&out.path().join("findings.json"));
    let mut problems = Vec::new();
    for (path, status, reason, _) in &cases {
        let entry = input_entry(&json, path);
        let got = entry["reason"].as_str().unwrap_or("");
        if entry["status"] != *status || !got.contains(reason) {
            problems.push(format!("{path:?}: {} `{got}`", entry["status"]));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let expected: i64 = 125 + cases.iter().map(|c| c.3).sum::<i64>();
    let rejects = std::fs::read_to_string(out.path().join("rejects.csv")).unwrap();
    assert!(
        rejects.contains("quoted-newline.csv,5,,"),
        "the line after a quoted line break keeps its number:\n{rejects}"
    );
    assert!(!rejects.contains("quoted-newline.csv,2,"), "{rejects}");
    assert!(
        rejects.contains("broken-quote.csv,2,,\"a quote opened on this line is not closed"),
        "{rejects}"
    );
    assert_eq!(
        cents(&json["totals"]["billed_cost"]),
        expected,
        "{}\n{rejects}",
        json["inputs"]
    );
    assert_eq!(input_entry(&json, "good/cost.csv")["rows"], 1);
    // The odd names reach the reports as text, never as markup or a heading.
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(!md.lines().any(|l| l.starts_with("with # newline")), "{md}");
    // --strict turns the rejected cases into exit 1, with the outputs still written.
    let (out, o) = run_ingest(p, &["--month", "2026-10", "--strict"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(out.path().join("findings.json").exists());
}

/// A valid file cut at every byte: never a panic, every line accounted for, and the billed
/// total is always what the complete lines before the cut hold.
#[test]
fn a_file_truncated_at_every_byte_is_read_up_to_the_cut() {
    let text = format!(
        "{HEADER}\n{}{}",
        line(1, "1.25", "A"),
        line(2, "2.50", "\"B, Inc\"")
    );
    let full_first = HEADER.len() + 1 + line(1, "1.25", "A").len();
    for cut in 0..text.len() {
        let (rows, outcome) = one_file("cost.csv", &text[..cut]);
        let billed: i64 = rows.iter().filter_map(|r| r.billed_cost_nano).sum();
        let input = &outcome.inputs[0];
        // A cut inside a line leaves a shorter line: read if it still parses (an amount cut
        // from 2.50 to 2.5 is a different amount, so only whole-line totals are asserted).
        if cut < HEADER.len() {
            assert_eq!(billed, 0, "cut at {cut}");
        }
        if cut >= full_first && cut < text.len() - 1 {
            assert!(billed >= 1_250_000_000, "cut at {cut}: {billed}");
        }
        // `rows` counts every data line read, the rejected ones among them.
        assert!(
            input.rows <= 2 && input.rejected_rows <= input.rows,
            "cut at {cut}: {input:?}"
        );
    }
}

/// A currency code no overlay converts (a unit error in the amount column) stops the run with
/// exit 2 and says what to do, rather than adding two currencies into one total.
#[test]
fn an_unknown_currency_stops_the_run_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "good/cost.csv",
        &format!("{HEADER}\n{}", line(1, "1.25", "A")),
    );
    write(
        dir.path(),
        "bad-unit.csv",
        &format!(
            "{HEADER}\n{}",
            line(8, "0.5", "A").replace(",usd,", ",doubloons,")
        ),
    );
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        stderr.contains("mix currencies (DOUBLOONS, USD)"),
        "{stderr}"
    );
    assert!(stderr.contains("add an `[[fx]]` rate"), "{stderr}");
    assert!(!out.path().join("findings.json").exists());
}

/// A file the user may not read is rejected by name with what to do, and the files beside it
/// are read. Root reads a mode-000 file, so as root the run drops to `nobody` with `setpriv`
/// (util-linux); without it the test says so and checks nothing.
#[cfg(target_os = "linux")]
#[test]
fn an_unreadable_file_is_rejected_by_name_and_the_rest_is_read() {
    use std::os::unix::fs::PermissionsExt;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let setpriv = std::path::Path::new("/usr/bin/setpriv");
    if root && !setpriv.exists() {
        eprintln!("skipped: running as root without setpriv, every file is readable");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write(
        p,
        "in/good/cost.csv",
        &format!("{HEADER}\n{}", line(1, "1.25", "A")),
    );
    write(
        p,
        "in/secret.csv",
        &format!("{HEADER}\n{}", line(2, "9.99", "A")),
    );
    let mode = |path: &std::path::Path, m: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).unwrap()
    };
    for d in [p.to_path_buf(), p.join("in"), p.join("in/good")] {
        mode(&d, 0o777);
    }
    mode(&p.join("in/good/cost.csv"), 0o644);
    mode(&p.join("in/secret.csv"), 0o000);
    let mut cmd = if root {
        let mut c = std::process::Command::new(setpriv);
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(assert_cmd::cargo::cargo_bin("spend-audit"));
        c
    } else {
        std::process::Command::new(assert_cmd::cargo::cargo_bin("spend-audit"))
    };
    let o = cmd
        .arg("ingest")
        .arg(p.join("in"))
        .arg("--out")
        .arg(p.join("out"))
        .args(["--month", "2026-10", "--no-history"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let json = read_json(&p.join("out/findings.json"));
    assert_eq!(cents(&json["totals"]["billed_cost"]), 125);
    let secret = input_entry(&json, "secret.csv");
    assert_eq!(secret["status"], "rejected");
    let reason = secret["reason"].as_str().unwrap();
    assert!(
        reason.contains("secret.csv") && reason.contains("give it read access"),
        "{reason}"
    );
}
