//! Property: for any set of cost rows (amounts with up to 16 decimals, some in scientific
//! notation), the billed total reconciles with the input to the cent, and identical files
//! count once.

use crate::common::*;
use proptest::prelude::*;
use rust_decimal::Decimal;

const HEADER: &str = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name";

fn amount() -> impl Strategy<Value = (Decimal, String)> {
    (0i64..10_000_000_000_000_000, 0u32..17, any::<bool>()).prop_map(|(mantissa, scale, sci)| {
        // At most $1M a row: the mantissa is capped at 10^(scale + 6).
        let cap = 10i64.pow((scale + 6).min(18));
        let d = Decimal::new(mantissa % cap, scale);
        let text = if sci && !d.is_zero() {
            format!("{:e}", d)
        } else {
            d.to_string()
        };
        (d, text)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]
    #[test]
    fn billed_totals_reconcile_to_the_cent(amounts in proptest::collection::vec(amount(), 1..40), duplicate in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let mut text = format!("{HEADER}\n");
        for (i, (_, a)) in amounts.iter().enumerate() {
            text.push_str(&format!("{},{},x,y,{a},usd,\"gpt-4.1, input\",proj,org,Org\n", 1_790_812_800 + (i as i64 % 28) * 86_400, 1_790_899_200 + (i as i64 % 28) * 86_400));
        }
        write(dir.path(), "cost.csv", &text);
        if duplicate {
            write(dir.path(), "copy/cost (1).csv", &text);
        }
        let (rows, outcome) = ingest_rows(dir.path());
        prop_assert!(outcome.rejects.is_empty(), "{:?}", outcome.rejects);
        let expected: Decimal = amounts.iter().map(|(d, _)| *d).sum();
        let got: i128 = rows.iter().filter_map(|r| r.billed_cost_nano).map(i128::from).sum();
        let got_cents = spend_audit::money::nanos_to_cents(got);
        prop_assert_eq!(got_cents as i64, dec_cents(expected));
    }
}

/// One OpenAI cost CSV line for October `day`.
fn csv_line(day: i64, amount: &str, item: &str, project: &str) -> String {
    let start = 1_790_812_800 + (day - 1) * 86_400;
    format!(
        "{start},{},x,y,{amount},usd,\"{item}\",{project},org-a,A\n",
        start + 86_400
    )
}

#[test]
fn the_same_charges_in_a_cost_csv_and_an_api_dump_count_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = format!("{HEADER}\n");
    csv.push_str(&csv_line(1, "3.21", "gpt-4o-2024-08-06, output", "proj_b"));
    csv.push_str(&csv_line(2, "1.00", "gpt-4o-2024-08-06, output", "proj_b"));
    write(dir.path(), "a_dashboard/cost.csv", &csv);
    // The Admin API dump of October 1 holds the same $3.21 charge, and one the CSV lacks.
    write(
        dir.path(),
        "b_api/costs.json",
        r#"{"object":"page","data":[{"object":"bucket","start_time":1790812800,"end_time":1790899200,"results":[{"object":"organization.costs.result","amount":{"value":3.21,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, output","project_id":"proj_b","api_key_id":null},{"object":"organization.costs.result","amount":{"value":0.5,"currency":"usd"},"line_item":"gpt-4o-2024-08-06, input","project_id":"proj_b","api_key_id":null}]}],"has_more":false,"next_page":null}"#,
    );
    let (_out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 321 + 100 + 50);
    let api = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "b_api/costs.json")
        .unwrap();
    assert_eq!(api["overlapping_rows"], 1);
    assert!(api["reason"]
        .as_str()
        .unwrap()
        .contains("repeat charges already in `a_dashboard/cost.csv`"));
}

#[test]
fn overlapping_downloads_count_each_charge_once_and_repeats_within_a_file_stay() {
    let dir = tempfile::tempdir().unwrap();
    let item = "gpt-4.1-2025-04-14, input";
    // October 1–3, with two identical $2 charges on the 3rd (both real).
    let a: String = [
        csv_line(1, "1.00", item, "p"),
        csv_line(2, "1.50", item, "p"),
        csv_line(3, "2.00", item, "p"),
        csv_line(3, "2.00", item, "p"),
    ]
    .concat();
    // October 2–4, downloaded later: the 2nd and 3rd again, with one of the two $2 charges.
    let b: String = [
        csv_line(2, "1.50", item, "p"),
        csv_line(3, "2.00", item, "p"),
        csv_line(4, "4.00", item, "p"),
    ]
    .concat();
    write(dir.path(), "cost_oct01-03.csv", &format!("{HEADER}\n{a}"));
    write(dir.path(), "cost_oct02-04.csv", &format!("{HEADER}\n{b}"));
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert_eq!(o.status.code(), Some(0));
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(
        cents(&json["totals"]["billed_cost"]),
        100 + 150 + 200 + 200 + 400
    );
    assert_eq!(json["inputs"][1]["overlapping_rows"], 2);
}

/// FOCUS 1.2 columns in the spec's order (the subset these tests fill).
const FOCUS_HEADER: &str = "BilledCost,BillingAccountId,BillingCurrency,ChargeCategory,ChargeDescription,ChargePeriodEnd,ChargePeriodStart,ConsumedQuantity,ConsumedUnit,ProviderName,PublisherName,ServiceCategory,ServiceName,SkuId,SkuPriceId,SubAccountId";

fn focus_line(publisher: &str, service: &str, sku: &str, description: &str) -> String {
    format!(
        "12.34,ba-1,USD,Usage,{description},2026-11-01T00:00:00Z,2026-10-01T00:00:00Z,1000,Tokens,{publisher},{publisher},AI and Machine Learning,{service},{sku},{sku}-p,sub-1\n"
    )
}

#[test]
fn equal_amounts_in_two_focus_files_with_different_skus_or_vendors_both_count() {
    let dir = tempfile::tempdir().unwrap();
    // Same account, month and amount; different vendor, service and SKU.
    write(
        dir.path(),
        "a/focus.csv",
        &format!(
            "{FOCUS_HEADER}\n{}",
            focus_line("Anthropic", "Claude", "sku-a", "Claude tokens")
        ),
    );
    write(
        dir.path(),
        "b/focus.csv",
        &format!(
            "{FOCUS_HEADER}\n{}{}",
            focus_line("Mistral AI", "Mistral", "sku-b", "Mistral tokens"),
            // The first file's charge again: a real repeat, dropped.
            focus_line("Anthropic", "Claude", "sku-a", "Claude tokens")
        ),
    );
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert_eq!(o.status.code(), Some(0));
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(cents(&json["totals"]["billed_cost"]), 2 * 1234);
    let overlapping: Vec<_> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let n = i["overlapping_rows"].as_u64().unwrap_or(0);
            (i["path"].as_str().unwrap(), n)
        })
        .collect();
    assert_eq!(overlapping, [("a/focus.csv", 0), ("b/focus.csv", 1)]);
}

#[test]
fn equal_amounts_without_any_identifying_column_both_count() {
    let dir = tempfile::tempdir().unwrap();
    let header =
        "BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ServiceCategory,SubAccountId";
    let line =
        "12.34,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AI and Machine Learning,sub-1\n";
    write(dir.path(), "a/focus.csv", &format!("{header}\n{line}"));
    // Not byte-identical (an extra storage line), so only the charge-level guard could drop it.
    let storage = "1.00,USD,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,Storage,sub-1\n";
    write(
        dir.path(),
        "b/focus_copy.csv",
        &format!("{header}\n{storage}{line}"),
    );
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert_eq!(o.status.code(), Some(0));
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(cents(&json["totals"]["billed_cost"]), 2 * 1234);
}
