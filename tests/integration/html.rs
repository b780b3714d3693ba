//! Issue 11, `report.html`: one self-contained page. The demo's page is opened in headless
//! Chromium: it must load with no console message and no network request, and a screenshot is
//! saved. `.ci/run` installs Chromium (Debian `chromium`) and sets
//! `SPEND_AUDIT_REQUIRE_CHROMIUM=1`, so CI fails rather than skips when it is missing.

use crate::common::*;
use std::path::Path;
use std::process::Command;

fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
    if found.is_none() {
        assert!(
            std::env::var_os("SPEND_AUDIT_REQUIRE_CHROMIUM").is_none(),
            "no chromium found; `apt-get install chromium`"
        );
        eprintln!("skipped: no headless chromium (`apt-get install chromium` to run this test)");
    }
    found
}

/// What a page did in headless Chromium: its console messages and the http(s) requests the
/// page itself made (the browser's own background traffic is told apart by the page's
/// `file://` network isolation key). Saves a screenshot to `shot`.
fn open(browser: &str, page: &Path, shot: &Path) -> (Vec<String>, Vec<String>) {
    let net = shot.with_extension("netlog.json");
    let o = Command::new(browser)
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-default-apps",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2400",
        ])
        .arg(format!("--log-net-log={}", net.display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let console: Vec<String> = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect();
    let log: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&net).unwrap()).unwrap_or_default();
    let mut requests: Vec<String> = Vec::new();
    for e in log["events"].as_array().into_iter().flatten() {
        let p = &e["params"];
        let from_page = p["network_isolation_key"]
            .as_str()
            .is_some_and(|k| k.contains("file://"));
        if let (true, Some(url)) = (from_page, p["url"].as_str()) {
            if url.starts_with("http") && !requests.iter().any(|r| r == url) {
                requests.push(url.to_string());
            }
        }
    }
    (console, requests)
}

#[test]
fn report_html_loads_in_headless_chromium_with_no_errors_or_requests() {
    let (out, _json) = audit_ok(
        &repo().join("fixtures/demo"),
        &[
            "--config",
            repo().join("fixtures/demo.toml").to_str().unwrap(),
        ],
    );
    let page = out.path().join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: the charts are inline, and nothing names a remote resource.
    assert_eq!(html.matches("<svg").count(), 8);
    for remote in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!html.contains(remote), "report.html contains `{remote}`");
    }
    for section in [
        "Executive summary",
        "Top actions",
        "Findings",
        "<details>",
        "Spend",
        "Month over month",
        "Inputs",
    ] {
        assert!(html.contains(section), "no `{section}`");
    }
    let Some(browser) = chromium() else {
        return;
    };
    // The check itself can fail: a page with a console error and a remote image is caught.
    let bad = out.path().join("bad.html");
    std::fs::write(
        &bad,
        "<html><body><script>console.error('boom')</script><img src=\"http://example.invalid/x.png\"></body></html>",
    )
    .unwrap();
    let (console, requests) = open(browser, &bad, &out.path().join("bad.png"));
    assert!(
        !console.is_empty() && !requests.is_empty(),
        "{console:?} {requests:?}"
    );

    // Kept after the run, in cargo's temporary folder for integration tests.
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-html-screenshot.png");
    let (console, requests) = open(browser, &page, &shot);
    assert!(console.is_empty(), "console: {console:?}");
    assert!(requests.is_empty(), "requests: {requests:?}");
    let bytes = std::fs::read(&shot).unwrap();
    let reader = png::Decoder::new(&bytes[..]).read_info().unwrap();
    assert!(reader.info().width >= 1000);
}
