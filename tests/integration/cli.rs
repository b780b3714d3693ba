//! Issue 11, CLI conventions: `--version` names the catalog, completions and a man page,
//! `init`, `--format json`, `--fail-on-savings` and the default output folder.

use crate::common::*;

fn demo() -> std::path::PathBuf {
    repo().join("fixtures/demo")
}

#[test]
fn version_names_the_catalog_release() {
    let o = bin().arg("--version").output().unwrap();
    assert!(o.status.success());
    let release = spend_audit::pricing::Catalog::embedded().unwrap().release;
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(env!("CARGO_PKG_VERSION")) && text.contains(&format!("catalog {release}")),
        "{text}"
    );
}

#[test]
fn completions_and_man_page_are_printed() {
    for shell in ["bash", "zsh", "fish"] {
        let o = bin().args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            text.contains("spend-audit") && text.contains("fail-on-savings"),
            "{shell}"
        );
    }
    let o = bin().arg("man").output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with(".ie") || text.contains(".TH"), "{text}");
    assert!(text.contains("ingest"));
}

#[test]
fn init_writes_a_config_that_loads_as_the_defaults_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spend-audit.toml");
    let o = bin().arg("init").arg(&path).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let config = spend_audit::settings::Config::load(&path).unwrap();
    let defaults = spend_audit::settings::Config::default();
    assert_eq!(
        format!("{:?}", config.analysis),
        format!("{:?}", defaults.analysis)
    );
    // A second init refuses to replace it; --force does.
    std::fs::write(&path, "# mine\n").unwrap();
    let o = bin().arg("init").arg(&path).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    let o = bin()
        .arg("init")
        .arg(&path)
        .arg("--force")
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        spend_audit::settings::CONFIG_TEMPLATE
    );
}

#[test]
fn format_json_prints_findings_json_on_stdout() {
    let (out, o) = run_ingest(&demo(), &["--format", "json", "--quiet"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let written = std::fs::read(out.path().join("findings.json")).unwrap();
    assert_eq!(o.stdout, written);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(json["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

#[test]
fn fail_on_savings_exits_3_above_the_amount_and_0_below() {
    let (_out, o) = run_ingest(&demo(), &["--fail-on-savings", "100", "--quiet"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (out, o) = run_ingest(&demo(), &["--fail-on-savings", "1000000", "--quiet"]);
    assert_eq!(o.status.code(), Some(0));
    // The outputs are written either way.
    assert!(out.path().join("findings.json").exists());
    let (_out, o) = run_ingest(&demo(), &["--fail-on-savings", "lots"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--fail-on-savings lots"));
    let o = bin().args(["ingest", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains("  3  --fail-on-savings"));
}

#[test]
fn the_default_output_folder_is_named_for_the_audited_month() {
    let cwd = tempfile::tempdir().unwrap();
    let o = bin()
        .current_dir(cwd.path())
        .arg("ingest")
        .arg(demo())
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(cwd
        .path()
        .join("spend-audit-2026-10/findings.json")
        .exists());
}

#[test]
fn a_refused_output_folder_is_never_created() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "cost.csv",
        &std::fs::read_to_string(demo().join("openai/cost_2026-10-01_2026-10-31.csv")).unwrap(),
    );
    let o = bin()
        .arg("ingest")
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("audit/nested"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path().join("audit").exists());
}
