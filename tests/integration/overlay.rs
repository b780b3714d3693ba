//! The customer overlay: contracted cost beside list and billed, commitment shortfalls, overlay
//! credits, and FX conversion that lets two billing currencies be audited together.

use crate::common::{audit_ok, cents, repo, run_ingest};
use std::path::Path;

/// A copy of the demo config that names `overlay.toml` (written beside it).
fn config_with_overlay(dir: &Path, overlay: &str) -> std::path::PathBuf {
    let demo = std::fs::read_to_string(repo().join("fixtures/demo.toml")).unwrap();
    let config = dir.join("config.toml");
    std::fs::write(&config, format!("overlay = \"overlay.toml\"\n{demo}")).unwrap();
    std::fs::write(dir.join("overlay.toml"), overlay).unwrap();
    config
}

/// Runs `ingest` on `input` with a config naming `overlay`; asserts success and returns the
/// output folder and its findings.json.
fn audit_with_overlay(input: &Path, overlay: &str) -> (tempfile::TempDir, serde_json::Value) {
    let cfg = tempfile::tempdir().unwrap();
    let config = config_with_overlay(cfg.path(), overlay);
    let (out, json) = audit_ok(input, &["--config", config.to_str().unwrap()]);
    (out, json)
}

const OVERLAY: &str = r#"
[[discounts]]
scope = "provider"
match = "anthropic"
percent = "10"
from = "2026-01-01"

[[commitments]]
id = "openai-fy27"
provider = "openai"
amount = "200000"
from = "2026-07-01"
to = "2027-07-01"
consumed_before = "30000"

[[credits]]
provider = "openai"
amount = "100.00"
date = "2026-10-15"
note = "promotional credit applied on the invoice"
"#;

#[test]
fn contracted_cost_commitment_shortfall_and_credits_on_the_demo() {
    let (out, json) = audit_with_overlay(&repo().join("fixtures/demo"), OVERLAY);
    let totals = &json["totals"];
    // Anthropic usage is contracted at list less 10%; OpenAI has no discount.
    let list = cents(&totals["list_cost_of_usage_by_provider"]["anthropic"]);
    let contracted = cents(&totals["contracted_cost_of_usage_by_provider"]["anthropic"]);
    assert!(list > 0);
    assert!(
        (contracted - list * 9 / 10).abs() <= 1,
        "{contracted} vs {list}"
    );
    assert_eq!(
        totals["contracted_cost_of_usage_by_provider"]["openai"],
        totals["list_cost_of_usage_by_provider"]["openai"]
    );
    assert_eq!(
        cents(&totals["overlay_credits_by_provider"]["openai"]),
        10_000
    );
    assert!(json["overlay"].as_str().unwrap().ends_with("overlay.toml"));
    // Commitment: 12-month term, October is month 4, so 9 months are left including October.
    // The company's own OpenAI bill: the $100 API credit one person bought on a card (the demo's
    // Brex export) is not spend under the company's commitment.
    let billed_openai = cents(&totals["by_provider"]["openai"]) - 10_000;
    let shortfall = 20_000_000 - 3_000_000 - billed_openai * 9;
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["scope"] == "commitment openai-fy27")
        .expect("commitment finding");
    assert_eq!(f["kind"], "idle_capacity");
    assert_eq!(f["confidence"], "medium");
    // The tool works in exact nano-units; the report's cents of billed spend × 9 may differ by
    // up to 9 × half a cent.
    assert!((cents(&f["evidence"]["shortfall"]) - shortfall).abs() <= 5);
    assert!((cents(&f["monthly_savings"]) - shortfall / 9).abs() <= 1);
    // It acts on the monthly commitment, so it can never exceed it.
    assert!(cents(&f["monthly_savings"]) <= 20_000_000 / 12);
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("Contracted = list less the discounts in the customer overlay"));
    assert!(md.contains("| provider | list cost of priced usage | contracted | billed |"));
}

#[test]
fn a_discount_the_bill_did_not_apply_is_a_high_confidence_discrepancy() {
    // The demo's OpenAI bill is at list; a 20% contract discount makes it an overbilling.
    let (_out, json) = audit_with_overlay(
        &repo().join("fixtures/demo"),
        "[[discounts]]\nscope = \"model\"\nmatch = \"openai/gpt-4.1\"\npercent = \"20\"\nfrom = \"2026-01-01\"\n",
    );
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "billing_discrepancy" && f["scope"] == "model openai/gpt-4.1")
        .expect("discrepancy on gpt-4.1");
    assert_eq!(f["confidence"], "high");
    let billed = cents(&f["evidence"]["billed_cost"]);
    let contracted = cents(&f["evidence"]["contracted_cost_of_reported_usage"]);
    assert_eq!(cents(&f["monthly_savings"]), billed - contracted);
}

#[test]
fn fx_rates_let_two_billing_currencies_be_audited_together() {
    let input = tempfile::tempdir().unwrap();
    let head = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n";
    std::fs::write(
        input.path().join("cost_usd.csv"),
        format!("{head}1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,10.00,usd,\"gpt-4.1-2025-04-14, input\",proj_a,org-a,A\n"),
    )
    .unwrap();
    std::fs::write(
        input.path().join("cost_eur.csv"),
        format!("{head}1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,50.00,eur,\"gpt-4.1-2025-04-14, input\",proj_b,org-b,B\n"),
    )
    .unwrap();
    // Without a rate the run stops and says what to add.
    let (_, o) = run_ingest(input.path(), &["--month", "2026-10"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("[[fx]]"));
    let (_out, json) = audit_with_overlay(
        input.path(),
        "[[fx]]\ncurrency = \"EUR\"\nfrom = \"2026-09-01\"\nusd_per_unit = \"1.05\"\n\n[[fx]]\ncurrency = \"EUR\"\nfrom = \"2026-10-01\"\nusd_per_unit = \"1.08\"\n",
    );
    // 10.00 USD + 50.00 EUR × 1.08 (the rate in force on 2026-10-01).
    assert_eq!(cents(&json["totals"]["billed_cost"]), 1_000 + 5_400);
    assert_eq!(json["fx_applied"][0], "EUR at 1.08 USD: 1 rows");
}
