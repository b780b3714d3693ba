//! Card and expense exports (issue 14): layouts in their real column order, AI merchants,
//! out-of-scope rows, refunds, FX, per-person attribution, the shadow-AI findings on the fixture
//! company, the card payment of a vendor bill counted once, and the inventory.

use crate::common::{cents, finding, input_entry, one_file, read_json, repo, run_ingest};
use spend_audit::ledger::{ChargeKind, LedgerRow};

fn expenses(rows: &[LedgerRow]) -> Vec<(&str, String, Option<&str>, i64)> {
    rows.iter()
        .filter(|r| r.charge_kind == ChargeKind::Expense)
        .map(|r| {
            (
                r.provider,
                r.model_raw.clone().unwrap_or_default(),
                r.api_key.as_deref(),
                r.billed_cost_nano.unwrap(),
            )
        })
        .collect()
}

const CENT: i64 = 10_000_000;

#[test]
fn amex_activity_download_recognises_ai_merchants_and_leaves_the_rest_out_of_scope() {
    let text = std::fs::read_to_string(
        repo().join("tests/data/shadow/exports/cards/amex_activity_2026-10.csv"),
    )
    .unwrap();
    let (rows, outcome) = one_file("activity.csv", &text);
    assert_eq!(
        expenses(&rows),
        vec![
            (
                "openai",
                "chatgpt_plus".into(),
                Some("KIM LEE"),
                2_000 * CENT
            ),
            (
                "openai",
                "chatgpt_plus".into(),
                Some("SAM PATEL"),
                2_000 * CENT
            ),
            (
                "cursor",
                "cursor_pro".into(),
                Some("SAM PATEL"),
                2_000 * CENT
            ),
            (
                "openai",
                "openai_api".into(),
                Some("RAJ SINGH"),
                5_000 * CENT
            ),
        ]
    );
    let input = &outcome.inputs[0];
    assert_eq!(input.format.as_deref(), Some("card_expense_csv"));
    // The airline and the coffee: out of scope, with their money counted.
    assert_eq!(input.out_of_scope_rows, 2);
    assert_eq!(
        input.out_of_scope_cost_nano,
        (41_230 + 645) as i128 * CENT as i128
    );
    assert_eq!(input.rejected_rows, 0);
}

#[test]
fn ramp_export_nets_a_refund_and_reads_its_two_digit_years() {
    let text = std::fs::read_to_string(
        repo().join("tests/data/shadow/exports/cards/ramp_transactions_2026-10.csv"),
    )
    .unwrap();
    let (rows, outcome) = one_file("ramp.csv", &text);
    let lines = expenses(&rows);
    // A charge, its refund (negative) and the charge it replaced: one subscription net.
    assert_eq!(lines.len(), 3);
    assert_eq!(lines.iter().map(|l| l.3).sum::<i64>(), 2_000 * CENT);
    assert!(lines.iter().any(|l| l.3 == -2_000 * CENT));
    // `10/04/26` is 2026-10-04, not the year 26.
    let first = rows
        .iter()
        .find(|r| r.charge_kind == ChargeKind::Expense)
        .unwrap();
    assert_eq!(
        spend_audit::util::day_string(first.period_start_ms),
        "2026-10-04"
    );
    assert_eq!(outcome.inputs[0].out_of_scope_rows, 1); // Figma
}

#[test]
fn brex_export_attributes_each_purchase_to_its_person_and_team() {
    let (out, o) = run_ingest(
        &repo().join("fixtures/demo"),
        &[
            "--config",
            repo().join("fixtures/demo.toml").to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    let input = input_entry(&json, "cards/brex_transactions_2026-10.csv");
    assert_eq!(input["format"], "card_expense_csv");
    // AWS, Uber and Delta stay out of scope: $212.40 + $34.75 + $486.20.
    assert_eq!(input["out_of_scope_rows"], 3);
    assert_eq!(cents(&input["out_of_scope_cost"]), 21_240 + 3_475 + 48_620);
    // The card money, to the cent: purchases of 3 × $10 Copilot Pro, 3 × $20 Claude Pro (one a
    // double charge), $20 Cursor, $20 Perplexity and $100 OpenAI API credit; the double
    // charge's refund is a credit.
    let by = &json["totals"]["by_charge_category"];
    assert_eq!(
        cents(&by["purchase"]["billed_cost"]),
        3_000 + 6_000 + 2_000 + 2_000 + 10_000
    );
    assert_eq!(cents(&by["credit"]["billed_cost"]), -2_000);
    // The ledger names the person and the config's team.
    let ledger = spend_audit::ledger::Ledger::read_parquet(&out.path().join("ledger.parquet"));
    let ledger = ledger.expect("ledger.parquet reads");
    let lines = ledger.expense_lines().unwrap();
    let eve: Vec<_> = lines
        .iter()
        .filter(|l| l.person.as_deref() == Some("Eve Moss"))
        .collect();
    assert_eq!(eve.len(), 2);
    assert!(eve.iter().all(|l| l.team.as_deref() == Some("marketing")));
    let gus = lines
        .iter()
        .filter(|l| l.person.as_deref() == Some("Gus Lund"));
    assert_eq!(gus.count(), 0, "Gus bought no AI");
}

#[test]
fn a_generic_layout_mapped_in_the_config_converts_foreign_currency_with_the_fx_table() {
    let input = tempfile::tempdir().unwrap();
    // A bank-style export: its own column names, spend written as negative amounts.
    std::fs::write(
        input.path().join("company_card_2026-10.csv"),
        "Booked,Payee Name,Card Holder Mail,Value,Ccy,Note\n\
         2026-10-03,OPENAI *CHATGPT SUBSCR,lea@acme.test,-20.00,EUR,\n\
         2026-10-09,BAHN TICKET,lea@acme.test,-89.90,EUR,travel\n\
         2026-10-12,CLAUDE.AI SUBSCRIPTION,tom@acme.test,-18.00,EUR,\n\
         2026-10-20,CLAUDE.AI SUBSCRIPTION,tom@acme.test,18.00,EUR,refund\n",
    )
    .unwrap();
    let config = input.path().join("spend-audit.toml");
    std::fs::write(
        &config,
        "overlay = \"overlay.toml\"\n\n[expenses]\nspend_is_negative = true\n\n[expenses.columns]\ndate = \"Booked\"\nmerchant = \"Payee Name\"\nperson = \"Card Holder Mail\"\namount = \"Value\"\ncurrency = \"Ccy\"\nmemo = \"Note\"\n\n[expenses.teams]\n\"lea@acme.test\" = \"design\"\n",
    )
    .unwrap();
    std::fs::write(
        input.path().join("overlay.toml"),
        "[[fx]]\ncurrency = \"EUR\"\nfrom = \"2026-10-01\"\nusd_per_unit = \"1.08\"\n",
    )
    .unwrap();
    let exports = input.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    std::fs::rename(
        input.path().join("company_card_2026-10.csv"),
        exports.join("company_card_2026-10.csv"),
    )
    .unwrap();
    let (out, o) = run_ingest(&exports, &["--config", config.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    let input = input_entry(&json, "company_card_2026-10.csv");
    assert_eq!(input["format"], "card_expense_csv");
    assert_eq!(input["out_of_scope_rows"], 1);
    // €20 at 1.08 = $21.60; Tom's €18 and its refund net to zero.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 2_160);
    assert_eq!(cents(&json["totals"]["by_provider"]["openai"]), 2_160);
    assert_eq!(cents(&json["totals"]["by_provider"]["anthropic"]), 0);
    assert!(json["fx_applied"][0]
        .as_str()
        .unwrap()
        .starts_with("EUR at 1.08 USD: 3 rows"));
    let ledger =
        spend_audit::ledger::Ledger::read_parquet(&out.path().join("ledger.parquet")).unwrap();
    let lea = ledger
        .expense_lines()
        .unwrap()
        .into_iter()
        .find(|l| l.person.as_deref() == Some("lea@acme.test"))
        .unwrap();
    assert_eq!(lea.team.as_deref(), Some("design"));
    assert_eq!(lea.billed_cost_nano, 2_160 * CENT);
}

/// The fixture company: ChatGPT Enterprise with 6 of 10 seats idle at $60; ChatGPT Plus
/// bought on cards by 3 people (Amex and Ramp); Cursor with no contract; an OpenAI API top-up.
fn shadow_company() -> (tempfile::TempDir, serde_json::Value) {
    let (out, o) = run_ingest(
        &repo().join("tests/data/shadow/exports"),
        &[
            "--config",
            repo()
                .join("tests/data/shadow/config.toml")
                .to_str()
                .unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    (out, json)
}

#[test]
fn shadow_subscriptions_beside_idle_seats_save_exactly_and_are_not_counted_twice() {
    let (_out, json) = shadow_company();
    // Three people pay $20 for ChatGPT Plus; each gets one of the 6 idle Enterprise seats.
    let plus = finding(&json, "shadow_ai", "subscriptions chatgpt_plus");
    assert_eq!(cents(&plus["current_monthly_cost"]), 6_000);
    assert_eq!(cents(&plus["monthly_savings"]), 6_000);
    assert_eq!(plus["confidence"], "high");
    assert_eq!(plus["evidence"]["idle_seats_available"], 6);
    let given: Vec<&str> = plus["evidence"]["people_given_an_idle_seat"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(given, ["KIM LEE", "Lena Novak", "SAM PATEL"]);
    // Evidence: every card line behind it, the refund included.
    assert_eq!(
        plus["evidence"]["transactions"].as_array().unwrap().len(),
        5
    );
    // The idle-seat finding reclaims the other 3 seats only: 3 × $60, not 6 × $60.
    let idle = finding(&json, "idle_capacity", "seats chatgpt_enterprise");
    assert_eq!(cents(&idle["monthly_savings"]), 3 * 6_000);
    assert_eq!(
        idle["evidence"]["reassigned_to_individual_subscribers"]["seats"],
        3
    );
    // Cursor: governance, no saving, and it says so.
    let cursor = finding(&json, "shadow_ai", "no company plan cursor");
    assert_eq!(cents(&cursor["current_monthly_cost"]), 2_000);
    assert_eq!(cents(&cursor["monthly_savings"]), 0);
    assert!(cursor["title"].as_str().unwrap().contains("not a saving"));
    assert!(cursor["evidence"]["not_savings"].is_string());
    // The API top-up: a consolidation finding, no saving at list price.
    let api = finding(&json, "shadow_ai", "card api openai");
    assert_eq!(cents(&api["current_monthly_cost"]), 5_000);
    assert_eq!(cents(&api["monthly_savings"]), 0);
    // The headline adds the two without counting a seat twice: $60 + $180.
    assert_eq!(cents(&json["headline"]["monthly_savings"]), 6_000 + 18_000);
}

#[test]
fn a_card_charge_that_pays_the_vendor_bill_is_counted_once() {
    let input = tempfile::tempdir().unwrap();
    std::fs::write(
        input.path().join("cost.csv"),
        "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n\
         1790812800,1790899200,2026-10-01T00:00:00+00:00,2026-10-02T00:00:00+00:00,412.37,usd,\"gpt-4.1-2025-04-14, input\",proj_a,org-main,Acme\n",
    )
    .unwrap();
    // The finance card pays the OpenAI invoice (the bill's exact total); someone else tops up
    // a personal account.
    std::fs::write(
        input.path().join("amex.csv"),
        "Date,Description,Card Member,Account #,Amount\n\
         11/01/2026,OPENAI *API,FINANCE TEAM,-41099,412.37\n\
         10/15/2026,OPENAI *API,RAJ SINGH,-41023,50.00\n",
    )
    .unwrap();
    let (_out, o) = run_ingest(input.path(), &["--month", "2026-10"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&_out.path().join("findings.json"));
    // $412.37 once (the bill) + the $50 top-up; the November card line is outside the month.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 41_237 + 5_000);
    // In October, with the payment in the month: dropped as the bill's payment, and noted.
    std::fs::write(
        input.path().join("amex.csv"),
        "Date,Description,Card Member,Account #,Amount\n\
         10/31/2026,OPENAI *API,FINANCE TEAM,-41099,412.37\n\
         10/15/2026,OPENAI *API,RAJ SINGH,-41023,50.00\n",
    )
    .unwrap();
    let (out, o) = run_ingest(input.path(), &["--month", "2026-10"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(cents(&json["totals"]["billed_cost"]), 41_237 + 5_000);
    let card = input_entry(&json, "amex.csv");
    assert_eq!(card["overlapping_rows"], 1);
    assert!(card["reason"].as_str().unwrap().contains("counted once"));
    let api = finding(&json, "shadow_ai", "card api openai");
    assert_eq!(cents(&api["current_monthly_cost"]), 5_000);
}

#[test]
fn inventory_json_validates_against_its_schema_and_its_totals_are_the_reports() {
    let run = |dir: &str, extra: &[&str]| {
        let (out, o) = run_ingest(&repo().join(dir), extra);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let json = read_json(&out.path().join("findings.json"));
        (out, json)
    };
    let demo_config = repo().join("fixtures/demo.toml");
    // The fixture company, the demo, and the mixed exports (cloud bills, gateways with and
    // without a bill, seats with no price).
    for (out, json) in [
        shadow_company(),
        run(
            "fixtures/demo",
            &["--config", demo_config.to_str().unwrap()],
        ),
        run("fixtures/mixed", &["--month", "2026-10"]),
    ] {
        let inv = read_json(&out.path().join("inventory.json"));
        let schema = read_json(&repo().join("docs/inventory.schema.json"));
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let errors: Vec<String> = validator
            .iter_errors(&inv)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}");
        let mut broken = inv.clone();
        broken["vendors"][0]["products"][0]["kind"] = serde_json::json!("other");
        assert!(!validator.is_valid(&broken), "the schema is not vacuous");
        // Totals are the report's, and the products add up to them.
        assert_eq!(inv["totals"]["billed_cost"], json["totals"]["billed_cost"]);
        assert_eq!(
            inv["totals"]["estimated_cost"],
            json["totals"]["estimated_cost"]
        );
        let products: i64 = inv["vendors"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|v| v["products"].as_array().unwrap())
            .map(|p| cents(&p["billed_cost"]) + cents(&p["estimated_cost"]))
            .sum();
        let kinds: i64 = inv["totals"]["by_kind"]
            .as_object()
            .unwrap()
            .values()
            .map(cents)
            .sum();
        let spend =
            cents(&json["totals"]["billed_cost"]) + cents(&json["totals"]["estimated_cost"]);
        assert!((products - spend).abs() <= 2, "{products} vs {spend}");
        assert!((kinds - spend).abs() <= 2, "{kinds} vs {spend}");
        // Every input file is listed as a source, and the report opens with the inventory.
        assert_eq!(
            inv["sources"].as_array().unwrap().len(),
            json["inputs"].as_array().unwrap().len()
        );
        let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
        let at = |s: &str| {
            md.find(s)
                .unwrap_or_else(|| panic!("no `{s}` in report.md"))
        };
        assert!(at("## AI inventory") < at("## Findings"));
        assert!(out.path().join("inventory.md").is_file());
        assert!(out.path().join("charts/08_ai_vendor_map.png").is_file());
    }
}

#[test]
fn redacted_runs_name_card_holders_by_pseudonym_only() {
    let (out, o) = run_ingest(
        &repo().join("tests/data/shadow/exports"),
        &[
            "--config",
            repo()
                .join("tests/data/shadow/config.toml")
                .to_str()
                .unwrap(),
            "--redact",
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for file in [
        "findings.json",
        "inventory.json",
        "report.md",
        "report.html",
        "focus.csv",
    ] {
        let text = std::fs::read_to_string(out.path().join(file)).unwrap();
        for name in ["KIM LEE", "SAM PATEL", "RAJ SINGH", "Lena Novak"] {
            assert!(!text.contains(name), "`{name}` in {file}");
        }
    }
    // Teams stay (they are not people), so the savings are unchanged.
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(cents(&json["headline"]["monthly_savings"]), 24_000);
}

#[test]
fn bank_layouts_that_write_spend_as_negative_or_in_debit_columns_keep_spend_positive() {
    // Chase: purchases negative, `Type` says what each line is.
    let chase = "Transaction Date,Post Date,Description,Category,Type,Amount,Memo\n\
                 10/05/2026,10/06/2026,OPENAI *CHATGPT SUBSCR,Shopping,Sale,-20.00,\n\
                 10/19/2026,10/20/2026,OPENAI *CHATGPT SUBSCR,Shopping,Return,20.00,\n\
                 10/21/2026,10/21/2026,Payment Thank You-Mobile,,Payment,500.00,\n";
    let (rows, outcome) = one_file("Chase1234_Activity20261101.CSV", chase);
    let lines = expenses(&rows);
    assert_eq!(
        lines.iter().map(|l| l.3).collect::<Vec<_>>(),
        vec![2_000 * CENT, -2_000 * CENT]
    );
    assert_eq!(outcome.inputs[0].out_of_scope_rows, 1);
    // Capital One: a Debit and a Credit column instead of one amount.
    let capital_one = "Transaction Date,Posted Date,Card No.,Description,Category,Debit,Credit\n\
                       2026-10-07,2026-10-08,1234,CURSOR USAGE,Other Services,20.00,\n\
                       2026-10-09,2026-10-10,1234,PERPLEXITY.AI,Other Services,,20.00\n";
    let (rows, _) = one_file("capital_one.csv", capital_one);
    let lines = expenses(&rows);
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.1.as_str(), l.3))
            .collect::<Vec<_>>(),
        vec![
            ("cursor_pro", 2_000 * CENT),
            ("perplexity_pro", -2_000 * CENT)
        ]
    );
}

#[test]
fn expensify_default_export_reads_its_merchant_and_amount_without_a_person_column() {
    let text = "Timestamp,Merchant,Amount,MCC,Category,Tag,Comment,Reimbursable,Original Currency,Original Amount,Receipt\n\
                2026-10-06 10:12:00,Midjourney Inc,30.00,5734,Software,,image drafts,yes,USD,30.00,\n\
                2026-10-08 19:40:00,Pret A Manger,12.40,5812,Meals,,,yes,USD,12.40,\n";
    let (rows, outcome) = one_file("Bulk_Export_id_DEFAULT_CSV.csv", text);
    assert_eq!(
        expenses(&rows),
        vec![("midjourney", "midjourney".into(), None, 3_000 * CENT)]
    );
    assert_eq!(outcome.inputs[0].out_of_scope_rows, 1);
}

#[test]
fn a_subscriber_who_already_holds_a_seat_needs_no_idle_seat() {
    let input = tempfile::tempdir().unwrap();
    let head = "cadence,period_start,period_end,email,is_active,last_day_active";
    std::fs::write(
        input.path().join("chatgpt_users.csv"),
        format!(
            "{head}\nmonthly,2026-10-01,2026-10-31,ann@acme.test,1,2026-10-30\n\
             monthly,2026-10-01,2026-10-31,bo@acme.test,0,2026-07-01\n\
             monthly,2026-10-01,2026-10-31,cy@acme.test,0,2026-07-02\n"
        ),
    )
    .unwrap();
    // Ann holds a seat (her card names her in another letter case); Dee has none.
    std::fs::write(
        input.path().join("cards.csv"),
        "Date,Merchant,Amount,Email\n\
         2026-10-03,OPENAI *CHATGPT SUBSCR,20.00,Ann@Acme.test\n\
         2026-10-04,OPENAI *CHATGPT SUBSCR,20.00,dee@acme.test\n",
    )
    .unwrap();
    let config = input.path().join("config.toml");
    std::fs::write(&config, "[seats]\nchatgpt_enterprise = \"60.00\"\n").unwrap();
    let exports = input.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    for f in ["chatgpt_users.csv", "cards.csv"] {
        std::fs::rename(input.path().join(f), exports.join(f)).unwrap();
    }
    let (out, o) = run_ingest(&exports, &["--config", config.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    let plus = finding(&json, "shadow_ai", "subscriptions chatgpt_plus");
    assert_eq!(cents(&plus["monthly_savings"]), 4_000);
    assert_eq!(
        plus["evidence"]["people_already_holding_a_seat"],
        serde_json::json!(["Ann@Acme.test"])
    );
    assert_eq!(
        plus["evidence"]["people_given_an_idle_seat"],
        serde_json::json!(["dee@acme.test"])
    );
    // Of the 2 idle seats one goes to Dee; one is reclaimed.
    let idle = finding(&json, "idle_capacity", "seats chatgpt_enterprise");
    assert_eq!(cents(&idle["monthly_savings"]), 6_000);
    assert_eq!(cents(&json["headline"]["monthly_savings"]), 4_000 + 6_000);
}
