//! Issue 10, part A: no charge lost, none invented. Each case either bills exactly the valid
//! rows or rejects loudly (listed in `rejects.csv`, and `--strict` exits 1).

use crate::common::*;

/// One OpenAI cost CSV line on October `day` 2026.
fn cost_line(day: i64, amount: &str, item: &str) -> String {
    openai_cost_line(day, amount, item, "A")
}

/// Writes an OpenAI cost CSV `name` under `dir` with `lines` after the header.
fn cost_file(dir: &std::path::Path, name: &str, lines: &[String]) {
    write(
        dir,
        name,
        &format!("{OPENAI_COST_HEADER}\n{}", lines.concat()),
    );
}

/// The demo's LiteLLM spend log: its header and first `rows` requests.
fn demo_log_head(rows: usize) -> Vec<String> {
    let path = repo().join("fixtures/demo/gateway/litellm_spend_logs_2026-10.csv");
    let log = std::fs::read_to_string(path).unwrap();
    log.lines().take(rows + 1).map(str::to_string).collect()
}

/// Writes `lines` as `gateway/spend_logs.csv`, each ended by `end`.
fn write_log(dir: &std::path::Path, lines: &[String], end: &str) {
    write(dir, "gateway/spend_logs.csv", &(lines.join(end) + end));
}

/// The rejects listed in `rejects.csv`, as (file, line, reason).
fn rejects(out: &std::path::Path) -> Vec<(String, u32, String)> {
    let mut rdr = csv::Reader::from_path(out.join("rejects.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (f, l, r) = (at("file"), at("line"), at("reason"));
    rdr.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[f].to_string(),
                rec[l].parse().unwrap(),
                rec[r].to_string(),
            )
        })
        .collect()
}

#[test]
fn a_sum_that_would_overflow_is_rejected_with_its_file_and_line_not_wrapped() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{OPENAI_COST_HEADER}\n{}{}",
        cost_line(1, "5000000000.00", "gpt-4.1-2025-04-14, input"),
        cost_line(2, "5000000000.00", "gpt-4.1-2025-04-14, output")
    );
    write(dir.path(), "cost.csv", &text);
    let (out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    // One $5bn line is billed exactly; the second would pass ±9.2bn and is listed.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 500_000_000_000);
    let r = rejects(out.path());
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!((r[0].0.as_str(), r[0].1), ("cost.csv", 3));
    assert!(r[0].2.contains("smaller groups"), "{}", r[0].2);
    let (_, strict) = run_ingest(dir.path(), &["--month", "2026-10", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

/// `findings.json`'s input entry for `path`.
fn input<'a>(json: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == path)
        .unwrap_or_else(|| panic!("no input `{path}` in {}", json["inputs"]))
}

#[test]
fn a_header_that_names_a_column_twice_rejects_the_file_and_names_the_column() {
    let dir = tempfile::tempdir().unwrap();
    // The second `amount_value` (in another letter case) would silently win otherwise.
    let header = format!("{OPENAI_COST_HEADER},Amount_Value");
    let line = cost_line(1, "12.34", "gpt-4.1-2025-04-14, input");
    write(
        dir.path(),
        "cost.csv",
        &format!("{header}\n{},999999\n", line.trim_end()),
    );
    write(
        dir.path(),
        "good.csv",
        &format!(
            "{OPENAI_COST_HEADER}\n{}",
            cost_line(2, "1.00", "gpt-4.1-2025-04-14, input")
        ),
    );
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    let json = read_json(&out.path().join("findings.json"));
    let bad = input(&json, "cost.csv");
    assert_eq!(bad["status"], "rejected");
    let reason = bad["reason"].as_str().unwrap();
    assert!(reason.contains("`Amount_Value` appears twice"), "{reason}");
    assert!(reason.contains("columns 5 and 11"), "{reason}");
    // The other file is still read, and nothing of the ambiguous one is billed.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 100);
    assert_eq!(o.status.code(), Some(0));
    let (_, strict) = run_ingest(dir.path(), &["--month", "2026-10", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn file_names_are_literal_paths_never_glob_patterns() {
    let dir = tempfile::tempdir().unwrap();
    let item = "gpt-4.1-2025-04-14, input";
    // `cost [1].csv` is a character class to a glob, and `o*.csv` matches its siblings.
    cost_file(dir.path(), "cost [1].csv", &[cost_line(1, "1.00", item)]);
    cost_file(dir.path(), "o*.csv", &[cost_line(2, "2.00", item)]);
    cost_file(dir.path(), "oct.csv", &[cost_line(3, "4.00", item)]);
    let (_out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 700);
    for (path, rows) in [("cost [1].csv", 1), ("o*.csv", 1), ("oct.csv", 1)] {
        assert_eq!(input(&json, path)["rows"], rows, "{path}");
    }
}

#[test]
fn an_earlier_audit_inside_the_input_folder_is_skipped_as_our_own_output() {
    let exports = tempfile::tempdir().unwrap();
    cost_file(
        exports.path(),
        "cost.csv",
        &[cost_line(1, "12.34", "gpt-4.1-2025-04-14, input")],
    );
    let (first, _) = audit_ok(exports.path(), &["--month", "2026-10"]);
    // Last month's audit copied in beside the exports, without its findings.json sibling
    // check to lean on for the CSVs.
    for name in [
        "focus.csv",
        "focus.parquet",
        "focus-metadata.json",
        "rejects.csv",
        "findings.json",
    ] {
        std::fs::create_dir_all(exports.path().join("last-audit")).unwrap();
        std::fs::copy(
            first.path().join(name),
            exports.path().join("last-audit").join(name),
        )
        .unwrap();
    }
    std::fs::rename(
        exports.path().join("last-audit/findings.json"),
        exports.path().join("findings-october.json"),
    )
    .unwrap();
    let (_out, json) = audit_ok(exports.path(), &["--month", "2026-10"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 1234);
    for path in [
        "last-audit/focus.csv",
        "last-audit/focus.parquet",
        "last-audit/focus-metadata.json",
        "last-audit/rejects.csv",
        "findings-october.json",
    ] {
        let i = input(&json, path);
        assert_eq!(i["status"], "skipped", "{path}");
        assert!(
            i["reason"].as_str().unwrap().contains("spend-audit's own"),
            "{path}: {}",
            i["reason"]
        );
    }
}

#[test]
fn symlinks_are_followed_once_and_pipes_are_listed_as_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let item = "gpt-4.1-2025-04-14, input";
    cost_file(
        elsewhere.path(),
        "linked_cost.csv",
        &[cost_line(1, "1.00", item)],
    );
    cost_file(dir.path(), "sub/cost.csv", &[cost_line(2, "2.00", item)]);
    let p = dir.path();
    std::os::unix::fs::symlink(elsewhere.path().join("linked_cost.csv"), p.join("link.csv"))
        .unwrap();
    // A loop back to the top, and a second way into `sub`.
    std::os::unix::fs::symlink(p, p.join("sub/loop")).unwrap();
    std::os::unix::fs::symlink(p.join("sub"), p.join("sub_again")).unwrap();
    std::os::unix::fs::symlink(p.join("missing.csv"), p.join("broken.csv")).unwrap();
    let fifo = p.join("pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let (_out, json) = audit_ok(p, &["--month", "2026-10"]);
    // The linked file and the real one, each once.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 300);
    assert_eq!(input(&json, "link.csv")["rows"], 1);
    let reason = |path: &str| input(&json, path)["reason"].as_str().unwrap().to_string();
    assert!(reason("pipe.csv").contains("named pipe"));
    assert!(reason("broken.csv").contains("symbolic link"));
    assert!(reason("sub/loop").contains("already read"));
    assert!(reason("sub_again").contains("already read"));
    assert_eq!(input(&json, "sub/cost.csv")["rows"], 1);
}

#[test]
fn a_far_future_or_epoch_zero_row_is_rejected_and_never_picks_the_month() {
    let dir = tempfile::tempdir().unwrap();
    let item = "gpt-4.1-2025-04-14, input";
    // October in full, plus a 9999-12-31 row and a Unix-zero row.
    let text = format!(
        "{OPENAI_COST_HEADER}\n{}{}253402214400,253402300800,x,y,5.00,usd,\"{item}\",proj_a,org-a,A\n0,86400,x,y,7.00,usd,\"{item}\",proj_a,org-a,A\n",
        cost_line(1, "1.00", item),
        cost_line(31, "2.00", item),
    );
    write(dir.path(), "cost.csv", &text);
    // No --month: the default month must be October.
    let (out, json) = audit_ok(dir.path(), &[]);
    assert_eq!(json["period"]["start"], "2026-10-01", "{}", json["period"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 300);
    let r = rejects(out.path());
    let lines: Vec<u32> = r.iter().map(|(_, l, _)| *l).collect();
    assert_eq!(lines, [4, 5], "{r:?}");
    // Unix 253402214400 (9999-12-31 in seconds) is read as milliseconds by the format's
    // unit rule, and is implausible either way.
    assert!(r[0].2.contains("is implausible"), "{}", r[0].2);
    assert!(r[1].2.contains("`1970-01-01`"), "{}", r[1].2);
    let (_, strict) = run_ingest(dir.path(), &["--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn an_empty_input_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let (_, o) = run_ingest(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("holds no files"), "{err}");
}

#[test]
fn ragged_rows_are_rejected_by_line_and_the_rest_of_the_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let item = "gpt-4.1-2025-04-14, input";
    // A small cost CSV (the record-by-record path): an unquoted `1,234.56` shifts the
    // columns, and the last line lost its tail (`…,37` of `37.50`).
    let shifted = cost_line(2, "1,234.56", item);
    let cut = cost_line(3, "37.50", item);
    let cut = &cut[..cut.find("37.50").unwrap() + 2];
    cost_file(
        dir.path(),
        "cost.csv",
        &[cost_line(1, "1.00", item), shifted, cut.to_string()],
    );
    // A FOCUS bill (the chunked bill path) with the same two faults.
    let focus_header = "BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ServiceCategory,ServiceName,SkuId,SubAccountId";
    let ai = |cost: &str, sku: &str| {
        format!("{cost},USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AI and Machine Learning,Claude,{sku},sub-1\n")
    };
    write(
        dir.path(),
        "focus.csv",
        &format!(
            "{focus_header}\n{}{}{}9.99,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Storage,S3,s3,sub-1,extra\n{}",
            ai("2.00", "a"),
            ai("1,234.56", "b"),
            ai("3.00", "c"),
            "37,USD"
        ),
    );
    // A LiteLLM spend log (the chunked request-log path): one row with an extra field.
    let mut lines = demo_log_head(3);
    lines[2].push_str(",surplus");
    write_log(dir.path(), &lines, "\n");

    let (out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    // Only the whole rows are billed: $1.00 + $2.00 + $3.00.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 600);
    let r = rejects(out.path());
    let at: Vec<(&str, u32)> = r.iter().map(|(f, l, _)| (f.as_str(), *l)).collect();
    assert_eq!(
        at,
        [
            ("cost.csv", 3),
            ("cost.csv", 4),
            ("focus.csv", 3),
            ("focus.csv", 5),
            ("focus.csv", 6),
            ("gateway/spend_logs.csv", 3),
        ],
        "{r:?}"
    );
    assert!(
        r.iter().all(|(_, _, why)| why.contains("fields for")),
        "{r:?}"
    );
    assert_eq!(input(&json, "gateway/spend_logs.csv")["rows"], 3);
    assert_eq!(input(&json, "gateway/spend_logs.csv")["rejected_rows"], 1);
    let (_, strict) = run_ingest(dir.path(), &["--month", "2026-10", "--strict"]);
    assert_eq!(strict.status.code(), Some(1));
}

#[test]
fn cr_only_line_endings_are_read_not_silently_empty() {
    let dir = tempfile::tempdir().unwrap();
    let item = "gpt-4.1-2025-04-14, input";
    let cost = format!(
        "{OPENAI_COST_HEADER}\n{}{}",
        cost_line(1, "1.00", item),
        cost_line(2, "2.50", item)
    )
    .replace('\n', "\r");
    write(dir.path(), "cost.csv", &cost);
    // A request log on the chunked path, saved the same way.
    write_log(dir.path(), &demo_log_head(3), "\r");
    let (_out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 350);
    assert_eq!(input(&json, "cost.csv")["rows"], 2);
    assert_eq!(input(&json, "gateway/spend_logs.csv")["rows"], 3);
}

/// Issue 10 B7: billed money with no model is listed with its cost, never left out unseen.
#[test]
fn billed_lines_that_name_no_model_are_listed_with_their_cost() {
    let dir = tempfile::tempdir().unwrap();
    let header = "BilledCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ServiceCategory,ServiceName,SkuId,SubAccountId";
    let line = "24.00,USD,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,AI and Machine Learning,Vertex AI,sku-x,p-1\n";
    write(dir.path(), "focus.csv", &format!("{header}\n{line}"));
    let (_out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    let unpriced = json["unpriced"].as_array().unwrap();
    let listed = unpriced
        .iter()
        .find(|u| u["reason"] == "billed, no model named")
        .unwrap_or_else(|| panic!("{unpriced:?}"));
    assert_eq!(cents(&listed["billed_cost"]), 2400);
    assert_eq!(listed["rows"], 1);
}

/// Issue 10 B4: a skipped export names the columns it lacks and the export it resembles.
#[test]
fn a_skip_reason_names_the_missing_required_columns() {
    let dir = tempfile::tempdir().unwrap();
    let header = OPENAI_COST_HEADER.replace(",line_item", "");
    write(
        dir.path(),
        "cost.csv",
        &format!("{header}\n1790812800,1790899200,x,y,1.00,usd,proj_a,org-a,A\n"),
    );
    cost_file(
        dir.path(),
        "good.csv",
        &[cost_line(1, "1.00", "gpt-4.1-2025-04-14, input")],
    );
    let (_out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    let reason = input(&json, "cost.csv")["reason"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(reason.contains("`openai_cost_csv`"), "{reason}");
    assert!(
        reason.contains("lacks the column(s) `line_item`"),
        "{reason}"
    );
}

/// The cells of `column` in a CSV, in row order.
fn csv_column(path: &std::path::Path, column: &str) -> Vec<String> {
    let mut rdr = csv::Reader::from_path(path).unwrap();
    let at = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|c| c == column)
        .unwrap();
    rdr.records().map(|r| r.unwrap()[at].to_string()).collect()
}

/// Issue 10 B2: purchases, taxes and credits are billed money kept apart from usage; they
/// never feed the usage views, and `focus.csv` keeps the source's category and frequency.
#[test]
fn purchases_taxes_and_credits_are_billed_apart_from_usage() {
    let dir = tempfile::tempdir().unwrap();
    let header = "BilledCost,EffectiveCost,BillingCurrency,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,ServiceCategory,ServiceName,ProviderName,SkuMeter,SkuId,ConsumedQuantity,ConsumedUnit,SubAccountId";
    let rows = [
        "27.45,27.45,USD,Usage,Usage-Based,2026-10-03T00:00:00Z,2026-10-04T00:00:00Z,AI and Machine Learning,Azure OpenAI,Microsoft,gpt 4o 1120 Outp glbl Tokens,sku-out,2745000,Tokens,sub-1",
        // A PTU reservation bought up front: billed now, amortised over its term.
        "1000.00,0,USD,Purchase,One-Time,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AI and Machine Learning,Azure OpenAI,Microsoft,,sku-ptu,1,Units,sub-1",
        "2.75,2.75,USD,Tax,One-Time,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AI and Machine Learning,Azure OpenAI,Microsoft,,sku-tax,,,sub-1",
        "-5.00,-5.00,USD,Credit,One-Time,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AI and Machine Learning,Azure OpenAI,Microsoft,,sku-credit,,,sub-1",
        "1.50,1.50,USD,Usage,Usage-Based,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,Storage,Storage,Microsoft,Hot LRS,sku-st,10,GB,sub-1",
    ];
    write(
        dir.path(),
        "focus.csv",
        &format!("{header}\n{}\n", rows.join("\n")),
    );
    let (out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    let totals = &json["totals"];
    assert_eq!(cents(&totals["billed_cost"]), 2745 + 100_000 + 275 - 500);
    assert_eq!(cents(&totals["out_of_scope_cost"]), 150);
    let cat = &totals["by_charge_category"];
    let billed = |c: &str| cents(&cat[c]["billed_cost"]);
    assert_eq!(
        (
            billed("usage"),
            billed("purchase"),
            billed("tax"),
            billed("credit"),
            billed("adjustment")
        ),
        (2745, 100_000, 275, -500, 0)
    );
    // The amortised view: the purchase's effective cost is spread over its term, not billed now.
    assert_eq!(cents(&cat["purchase"]["effective_cost"]), 0);
    assert_eq!(cat["purchase"]["lines_with_effective_cost"], 1);
    assert!(cat["adjustment"]["effective_cost"].is_null());
    // Only usage reaches the spend views and the unidentified-spend list.
    for view in ["spend_by_model", "spend_by_workload"] {
        let sum: i64 = json[view]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| cents(&l["billed_cost"]))
            .sum();
        assert_eq!(sum, 2745, "{view}: {}", json[view]);
    }
    assert!(
        !json["unpriced"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["reason"] == "billed, no model named"),
        "{}",
        json["unpriced"]
    );
    // focus.csv keeps the source's category and frequency.
    let focus = out.path().join("focus.csv");
    let pairs: Vec<(String, String)> = csv_column(&focus, "ChargeCategory")
        .into_iter()
        .zip(csv_column(&focus, "ChargeFrequency"))
        .collect();
    for want in [
        ("Usage", "Usage-Based"),
        ("Purchase", "One-Time"),
        ("Tax", "One-Time"),
        ("Credit", "One-Time"),
    ] {
        assert!(
            pairs.contains(&(want.0.to_string(), want.1.to_string())),
            "{pairs:?}"
        );
    }
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("### Billed money by charge category"), "{md}");
    // The ledger read back keeps every line's category.
    let again = tempfile::tempdir().unwrap();
    std::fs::copy(
        out.path().join("ledger.parquet"),
        again.path().join("ledger.parquet"),
    )
    .unwrap();
    let (_out2, json2) = audit_ok(again.path(), &["--month", "2026-10"]);
    assert_eq!(json2["totals"]["by_charge_category"], *cat);
}

/// Issue 10 B2 for AWS and Azure: CUR line item types and Azure charge types set the
/// category, so a Bedrock tax line or a PTU reservation purchase is not usage.
#[test]
fn cur_line_types_and_azure_charge_types_set_the_charge_category() {
    use spend_audit::ledger::ChargeCategory;
    let dir = tempfile::tempdir().unwrap();
    let cur = "identity_line_item_id,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_usage_end_date,line_item_product_code,line_item_usage_type,line_item_operation,line_item_resource_id,line_item_usage_amount,pricing_unit,line_item_currency_code,line_item_unblended_cost,line_item_line_item_description\n\
a,111,222,Usage,2026-10-05T00:00:00Z,2026-10-05T01:00:00Z,AmazonBedrock,USE1-Claude3.5Sonnet-output-tokens,InvokeModel,,1000,1K tokens,USD,15.00,output\n\
b,111,222,Tax,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AmazonBedrock,,,,,,USD,1.20,Tax for product code AmazonBedrock\n\
c,111,222,Credit,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AmazonBedrock,,,,,,USD,-3.00,AWS Activate credit\n\
d,111,222,Fee,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AmazonBedrock,USE1-ProvisionedThroughput-Commit,,,1,,USD,500.00,commitment\n";
    write(dir.path(), "cur.csv", cur);
    let (rows, _) = ingest_rows(dir.path());
    let mut got: Vec<(i64, ChargeCategory)> = rows
        .iter()
        .map(|r| (r.billed_cost_nano.unwrap() / 10_000_000, r.charge_category))
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            (-300, ChargeCategory::Credit),
            (120, ChargeCategory::Tax),
            (1500, ChargeCategory::Usage),
            (50_000, ChargeCategory::Purchase),
        ]
    );
    for (text, want) in [
        ("Usage", ChargeCategory::Usage),
        ("Purchase", ChargeCategory::Purchase),
        ("UnusedReservation", ChargeCategory::Usage),
        ("Refund", ChargeCategory::Credit),
        ("RoundingAdjustment", ChargeCategory::Adjustment),
        ("SavingsPlanNegation", ChargeCategory::Credit),
        ("SavingsPlanRecurringFee", ChargeCategory::Purchase),
        ("rounding error", ChargeCategory::Adjustment),
        ("regular", ChargeCategory::Usage),
        ("", ChargeCategory::Usage),
    ] {
        assert_eq!(ChargeCategory::from_source(text), want, "{text}");
    }
}

/// Issue 10 B8: out-of-scope rows outside the month are outside the period, as AI rows are;
/// a monthly row `[month start, next month start)` makes a complete month.
#[test]
fn out_of_scope_rows_outside_the_month_count_as_outside_the_period() {
    let dir = tempfile::tempdir().unwrap();
    let header = "BilledCost,BillingCurrency,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,ServiceCategory,ServiceName,ProviderName,SkuId,SubAccountId";
    let rows = [
        "30.00,USD,Usage,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,AI and Machine Learning,Azure OpenAI,Microsoft,sku-a,sub-1",
        "1.50,USD,Usage,2026-10-01T00:00:00Z,2026-11-01T00:00:00Z,Storage,Storage,Microsoft,sku-st,sub-1",
        "7.00,USD,Usage,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,Compute,Virtual Machines,Microsoft,sku-vm,sub-1",
        "4.00,USD,Usage,2026-09-01T00:00:00Z,2026-10-01T00:00:00Z,AI and Machine Learning,Azure OpenAI,Microsoft,sku-a,sub-1",
        // A date nobody can read stays in whichever month is audited, never dropped.
        "0.25,USD,Usage,someday,2026-10-01T00:00:00Z,Compute,Virtual Machines,Microsoft,sku-vm,sub-1",
    ];
    write(
        dir.path(),
        "focus.csv",
        &format!("{header}\n{}\n", rows.join("\n")),
    );
    // Both the default month and a forced one.
    for extra in [&[][..], &["--month", "2026-10"][..]] {
        let (_out, json) = audit_ok(dir.path(), extra);
        assert_eq!(json["period"]["start"], "2026-10-01", "{extra:?}");
        assert_eq!(json["period"]["complete"], true, "{extra:?}");
        assert_eq!(cents(&json["totals"]["billed_cost"]), 3000);
        assert_eq!(cents(&json["totals"]["out_of_scope_cost"]), 175);
        let file = input(&json, "focus.csv");
        assert_eq!(
            (
                file["rows"].as_u64(),
                file["out_of_scope_rows"].as_u64(),
                file["out_of_period_rows"].as_u64()
            ),
            (Some(5), Some(2), Some(2)),
            "{file}"
        );
    }
    // September holds the other two.
    let (_out, json) = audit_ok(dir.path(), &["--month", "2026-09"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 400);
    assert_eq!(cents(&json["totals"]["out_of_scope_cost"]), 725);
}

/// Cells from the data that a spreadsheet would run as a formula are quoted in every CSV output.
#[test]
fn formula_like_names_are_quoted_in_the_csv_outputs() {
    let dir = tempfile::tempdir().unwrap();
    cost_file(
        dir.path(),
        "cost.csv",
        &[
            cost_line(3, "12.00", "=2+3, input"),
            cost_line(4, "1.00", "@SUM(A1), input"),
        ],
    );
    let (out, _json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    let focus = std::fs::read_to_string(out.path().join("focus.csv")).unwrap();
    for formula in ["=2+3", "@SUM(A1)"] {
        assert!(!focus.contains(&format!(",{formula}")), "{focus}");
        assert!(focus.contains(&format!("'{formula}")), "{focus}");
    }
}

/// Issue 12 (part): names from the data are inert in report.md: no HTML, no remote image or
/// link, no line break that starts a heading.
#[test]
fn names_from_the_data_cannot_inject_markdown_or_html() {
    let dir = tempfile::tempdir().unwrap();
    cost_file(
        dir.path(),
        "cost.csv",
        &[
            cost_line(3, "12.00", "<script>alert(1)</script>, input"),
            cost_line(4, "5.00", "![pixel](http://evil.example/p.png), input"),
            cost_line(5, "1.00", "ok\n# Pwned, input"),
        ],
    );
    let (out, _json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(md.contains("alert(1)"), "the name is still shown: {md}");
    assert!(!md.contains("<script"), "{md}");
    // A remote link or image needs an unescaped `](http`; the report's own chart links are
    // relative.
    assert!(
        !md.match_indices("](http")
            .any(|(i, _)| !md[..i].ends_with('\\')),
        "{md}"
    );
    assert!(!md.lines().any(|l| l.starts_with("# Pwned")), "{md}");
}
