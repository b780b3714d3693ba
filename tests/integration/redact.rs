//! Issue 12 `--redact`: no email, login, user id or API key id or name from the inputs, and no
//! owner named in the config, survives in any output, the history store or the terminal
//! summary; workload names stay unless `--redact=all`; pseudonyms are stable.

use crate::common::{bin_with_history, copy_dir, files_under, read_json, repo};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Columns and JSON keys whose values name a person or a key, in the formats read.
const PERSONAL: &[&str] = &[
    "api_key",
    "api_key_id",
    "api_key_name",
    "user_id",
    "user",
    "end_user",
    "email",
    "email_address",
    "user_email",
    "login",
    "line_item_iam_principal",
    "request_user_id",
    "user_api_key_alias",
    "user_api_key_hash",
    "user_api_key_user_id",
];

/// Every email in `text` (a plain scan, independent of the code under test).
fn emails(text: &str, into: &mut BTreeSet<String>) {
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || "@._+-".contains(c))) {
        if let Some((local, domain)) = word.split_once('@') {
            if !local.is_empty() && domain.contains('.') {
                into.insert(word.trim_end_matches('.').to_string());
            }
        }
    }
}

fn json_values(v: &serde_json::Value, personal: bool, into: &mut BTreeSet<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                json_values(v, personal || PERSONAL.contains(&k.as_str()), into);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_values(x, personal, into)),
        serde_json::Value::String(s) if personal => {
            into.insert(s.clone());
        }
        serde_json::Value::String(s) if s.starts_with('{') => {
            if let Ok(inner) = serde_json::from_str(s) {
                json_values(&inner, false, into);
            }
        }
        _ => {}
    }
}

/// The personal values of every text input under `dir`: emails anywhere, and the values of
/// personal columns and JSON keys (JSON inside CSV cells too).
fn secrets(dir: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    {
        for p in files_under(dir) {
            let Ok(text) = std::fs::read_to_string(&p) else {
                continue; // archives: their members are the same formats as the files beside them
            };
            emails(&text, &mut found);
            let name = p.to_string_lossy();
            if name.ends_with(".json") || name.ends_with(".jsonl") {
                for line in text.lines() {
                    if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                        json_values(&v, false, &mut found);
                    }
                }
                if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
                    json_values(&v, false, &mut found);
                }
            } else if name.ends_with(".csv") {
                let mut rdr = csv::ReaderBuilder::new()
                    .flexible(true)
                    .from_reader(text.as_bytes());
                let header: Vec<String> = rdr
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|c| c.trim_start_matches('\u{feff}').to_lowercase())
                            .collect()
                    })
                    .unwrap_or_default();
                for rec in rdr.records().flatten() {
                    for (i, cell) in rec.iter().enumerate() {
                        let col = header.get(i).map(String::as_str).unwrap_or("");
                        if PERSONAL.contains(&col) {
                            found.insert(cell.to_string());
                        } else if cell.starts_with('{') {
                            if let Ok(v) = serde_json::from_str(cell) {
                                json_values(&v, false, &mut found);
                            }
                        }
                    }
                }
            }
        }
    }
    // Too short or numeric to be told apart from other text (a count, a row number).
    found.retain(|s| s.len() >= 4 && s.parse::<f64>().is_err());
    found
}

/// Every output as text: text files as they are, Parquet files as their CSV.
fn outputs_text(dir: &Path) -> Vec<(PathBuf, String)> {
    use polars::prelude::*;
    let mut out = Vec::new();
    {
        for p in files_under(dir) {
            if p.extension().is_some_and(|x| x == "parquet") {
                let mut df = ParquetReader::new(std::fs::File::open(&p).unwrap())
                    .finish()
                    .unwrap();
                let mut buf = Vec::new();
                CsvWriter::new(&mut buf).finish(&mut df).unwrap();
                out.push((p, String::from_utf8(buf).unwrap()));
            } else if p.extension().is_some_and(|x| x != "png") {
                out.push((
                    p.clone(),
                    String::from_utf8_lossy(&std::fs::read(&p).unwrap()).into_owned(),
                ));
            }
        }
    }
    out
}

/// fixtures/mixed (every format), the demo's Copilot seats (logins) and a ChatGPT users
/// export with more people, in its real column order.
fn company(work: &Path) -> PathBuf {
    let input = work.join("exports");
    copy_dir(&repo().join("fixtures/mixed"), &input, "");
    copy_dir(
        &repo().join("fixtures/demo/github"),
        &input.join("github"),
        "",
    );
    let header =
        std::fs::read_to_string(repo().join("fixtures/mixed/seats/chatgpt_users_2026-10.csv"))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string();
    let mut text = header + "\n";
    for (i, (name, email)) in [
        ("Bea Lindqvist", "bea.lindqvist@acme.test"),
        ("Chen Wu", "Chen.Wu@acme.test"),
        ("Dev Patel", "dpatel+ai@acme.test"),
    ]
    .iter()
    .enumerate()
    {
        text.push_str(&format!(
            "monthly,2026-10-01,2026-10-31,acc,pub{},{name},{email},member,standard,\"[\"\"Sales\"\"]\",,enabled,2026-01-10,{},2026-10-02,2026-10-30,41,3,{{}},0,0,1,1,{{}},2026-10-30,0,0,0,0\n",
            i + 10,
            i % 2
        ));
    }
    std::fs::write(input.join("seats/chatgpt_users_more_2026-10.csv"), text).unwrap();
    input
}

fn run(input: &Path, out: &Path, history: &Path, redact: &str) -> std::process::Output {
    bin_with_history()
        .arg("ingest")
        .arg(input)
        .args(["--month", "2026-10", "--out"])
        .arg(out)
        .arg("--history")
        .arg(history)
        .arg(redact)
        .env_remove("SPEND_AUDIT_REDACT_KEY")
        .output()
        .unwrap()
}

#[test]
fn no_email_login_or_key_survives_in_any_output() {
    let work = tempfile::tempdir().unwrap();
    let input = company(work.path());
    let secrets = secrets(&input);
    for expected in ["ann@acme.test", "Chen.Wu@acme.test", "octo-dev", "dev00"] {
        assert!(
            secrets.contains(expected),
            "the scan misses {expected}: {secrets:?}"
        );
    }
    assert!(secrets.len() >= 20, "too few values to check: {secrets:?}");

    // A second redacted run, for stability.
    let again = work.path().join("again");
    let o = run(
        &input,
        &again,
        &work.path().join("again-history"),
        "--redact=personal",
    );
    assert!(o.status.success());
    // Unredacted, the values are there (so the check below can fail).
    let unredacted = work.path().join("unredacted");
    let o2 = bin_with_history()
        .arg("ingest")
        .arg(&input)
        .args(["--month", "2026-10", "--no-history", "--out"])
        .arg(&unredacted)
        .output()
        .unwrap();
    assert!(o2.status.success());
    let all_plain: String = outputs_text(&unredacted)
        .into_iter()
        .map(|(_, t)| t)
        .collect();
    let visible = secrets
        .iter()
        .filter(|s| all_plain.contains(s.as_str()))
        .count();
    assert!(
        visible >= 10,
        "only {visible} of the values appear even unredacted"
    );

    let out = work.path().join("out");
    let history = work.path().join("history");
    let o = run(&input, &out, &history, "--redact");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut texts = outputs_text(&out);
    texts.extend(outputs_text(&history));
    texts.push((
        "stderr".into(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    ));
    for (path, text) in &texts {
        for s in &secrets {
            assert!(
                !text.contains(s.as_str()),
                "`{s}` from the inputs is in {} under --redact",
                path.display()
            );
        }
        let lower = text.to_lowercase();
        assert!(!lower.contains("chen.wu@"), "{}", path.display());
    }
    // Same inputs, same pseudonyms; the report says it is redacted.
    assert_eq!(
        std::fs::read(out.join("findings.json")).unwrap(),
        std::fs::read(again.join("findings.json")).unwrap()
    );
    let json = read_json(&out.join("findings.json"));
    assert_eq!(json["redaction"]["mode"], "personal");
    assert_eq!(json["redaction"]["key"], "built-in");
    assert!(json["redaction"]["replaced"]["person"].as_u64().unwrap() >= 4);
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(md.contains("Redacted (`--redact=personal`)"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Redacted (<code>") || html.contains("Redacted (`--redact=personal`)"));
    assert!(read_json(&unredacted.join("findings.json"))["redaction"].is_null());
}

#[test]
fn workload_names_stay_unless_all_and_owners_are_pseudonyms() {
    let work = tempfile::tempdir().unwrap();
    let demo = repo().join("fixtures/demo");
    let config = repo().join("fixtures/demo.toml");
    let go = |out: &Path, redact: &str, key: Option<&str>| {
        let mut c = bin_with_history();
        c.arg("ingest")
            .arg(&demo)
            .arg("--config")
            .arg(&config)
            .arg("--no-history")
            .arg("--out")
            .arg(out)
            .arg(redact)
            .env_remove("SPEND_AUDIT_REDACT_KEY");
        if let Some(k) = key {
            c.env("SPEND_AUDIT_REDACT_KEY", k);
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("report.md")).unwrap()
    };
    let personal = go(&work.path().join("p"), "--redact", None);
    assert!(personal.contains("support-triage"), "workloads are kept");
    for owner in [
        "Dana Okafor",
        "Priya Raman",
        "Marco Bianchi",
        "key_support",
        "extract-prod",
    ] {
        assert!(!personal.contains(owner), "{owner} survives --redact");
    }
    let all = go(&work.path().join("a"), "--redact=all", None);
    for name in ["support-triage", "contract-extraction", "proj_support"] {
        assert!(!all.contains(name), "{name} survives --redact=all");
    }
    assert!(all.contains("workload-"));
    let keyed = go(&work.path().join("k"), "--redact", Some("our secret"));
    let first_person = |md: &str| {
        let at = md.find("owner-").expect("an owner pseudonym");
        md[at..at + "owner-".len() + 10].to_string()
    };
    assert_ne!(
        first_person(&personal),
        first_person(&keyed),
        "the key changes the pseudonyms"
    );
    assert!(keyed.contains("`SPEND_AUDIT_REDACT_KEY`"));
}
