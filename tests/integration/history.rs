//! Issue 11, monthly history: three consecutive months, then the middle one again. The store
//! is unchanged by the re-run, the month-over-month figures are right, and a finding moves
//! from new to open to resolved.

use crate::common::*;
use std::collections::BTreeMap;
use std::path::Path;

const COST_HEADER: &str = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name";

/// One month's exports: an OpenAI cost line of `dollars` on its first day, and a Copilot seat
/// snapshot in which `bob` was last active on `bob_active`.
fn month_inputs(dir: &Path, first_day_epoch: i64, dollars: &str, snapshot: &str, bob_active: &str) {
    write(
        dir,
        "openai/cost.csv",
        &format!(
            "{COST_HEADER}\n{first_day_epoch},{},x,y,{dollars},usd,\"gpt-4o-2024-08-06, input\",proj_a,org-a,A\n",
            first_day_epoch + 86_400
        ),
    );
    write(
        dir,
        "github/seats.json",
        &format!(
            r#"{{"total_seats":2,"seats":[{{"created_at":"2026-01-05T00:00:00Z","last_activity_at":"{snapshot}","plan_type":"business","assignee":{{"login":"ann","id":1}}}},{{"created_at":"2026-01-05T00:00:00Z","last_activity_at":"{bob_active}","plan_type":"business","assignee":{{"login":"bob","id":2}}}}]}}"#
        ),
    );
}

/// Runs one month into its own output folder with the shared store.
fn run(input: &Path, out: &Path, store: &Path, month: &str) -> serde_json::Value {
    let o = bin_with_history()
        .arg("ingest")
        .arg(input)
        .arg("--out")
        .arg(out)
        .arg("--history")
        .arg(store)
        .arg("--month")
        .arg(month)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    read_json(&out.join("findings.json"))
}

/// Every file of the store with its bytes.
fn store_files(store: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for month in std::fs::read_dir(store).unwrap() {
        let month = month.unwrap().path();
        for f in std::fs::read_dir(&month).unwrap() {
            let f = f.unwrap().path();
            out.insert(
                f.strip_prefix(store).unwrap().display().to_string(),
                std::fs::read(&f).unwrap(),
            );
        }
    }
    out
}

fn idle_seat_status(json: &serde_json::Value) -> Option<String> {
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "idle_capacity")
        .map(|f| f["status"].as_str().unwrap().to_string())
}

#[test]
fn three_months_then_a_rerun_move_findings_through_new_open_resolved() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("history");
    let months = [
        (
            "2026-08",
            1_785_542_400,
            "100.00",
            "2026-08-28T10:00:00Z",
            "2026-05-01T10:00:00Z",
        ),
        (
            "2026-09",
            1_788_220_800,
            "150.00",
            "2026-09-28T10:00:00Z",
            "2026-05-01T10:00:00Z",
        ),
        // Bob is back: his seat is no longer idle.
        (
            "2026-10",
            1_790_812_800,
            "120.00",
            "2026-10-28T10:00:00Z",
            "2026-10-20T10:00:00Z",
        ),
    ];
    let mut reports = Vec::new();
    for (month, epoch, dollars, snapshot, bob) in months {
        let input = root.path().join(format!("in-{month}"));
        month_inputs(&input, epoch, dollars, snapshot, bob);
        reports.push(run(
            &input,
            &root.path().join(format!("out-{month}")),
            &store,
            month,
        ));
    }
    let [aug, sep, oct] = [&reports[0], &reports[1], &reports[2]];

    // August: nothing to compare with; the idle seat is new.
    assert!(aug["history"]["previous_month"].is_null());
    assert_eq!(idle_seat_status(aug).as_deref(), Some("new"));
    // September: +$50 at OpenAI; the same idle seat is still open.
    assert_eq!(sep["history"]["previous_month"], "2026-08");
    assert_eq!(
        cents(&sep["history"]["spend_delta_by_provider"]["openai"]),
        5_000
    );
    assert_eq!(
        cents(&sep["history"]["spend_delta_by_provider"]["github"]),
        0
    );
    assert_eq!(
        cents(&sep["history"]["spend"]) - cents(&sep["history"]["previous_spend"]),
        5_000
    );
    assert_eq!(idle_seat_status(sep).as_deref(), Some("open"));
    // October: -$30 at OpenAI; the idle-seat finding is resolved. Bob uses his seat again,
    // but the seat is still paid for, so no saving was realised.
    assert_eq!(
        cents(&oct["history"]["spend_delta_by_provider"]["openai"]),
        -3_000
    );
    assert_eq!(idle_seat_status(oct), None);
    let resolved = oct["history"]["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    assert_eq!(resolved[0]["kind"], "idle_capacity");
    assert_eq!(cents(&resolved[0]["monthly_savings_claimed"]), 1_900);
    assert_eq!(cents(&resolved[0]["realised_monthly_savings"]), 0);
    assert!(resolved[0]["realised_basis"]
        .as_str()
        .unwrap()
        .starts_with("not measured"));
    // The trend: the three months, oldest first; the charts carry the change.
    let months: Vec<&str> = oct["history"]["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(months, ["2026-08", "2026-09", "2026-10"]);
    assert_eq!(
        cents(&oct["history"]["months"][1]["by_provider"]["openai"]),
        15_000
    );
    // $158 against $188 in September.
    let spend_chart = std::fs::read_to_string(
        root.path()
            .join("out-2026-10/charts/01_spend_by_provider.svg"),
    )
    .unwrap();
    assert!(spend_chart.contains("aria-label=\"AI spend, Oct 2026: $158 (-16% vs Sep)\""));
    let md = std::fs::read_to_string(root.path().join("out-2026-10/report.md")).unwrap();
    assert!(
        md.contains("## Month over month") && md.contains("1 resolved"),
        "{md}"
    );

    // Re-running September replaces its partition with the same bytes; nothing else moves.
    let before = store_files(&store);
    assert_eq!(before.len(), 9, "{:?}", before.keys());
    let again = run(
        &root.path().join("in-2026-09"),
        &root.path().join("out-2026-09-again"),
        &store,
        "2026-09",
    );
    assert_eq!(store_files(&store), before);
    assert_eq!(again["history"], sep["history"]);
    assert_eq!(idle_seat_status(&again).as_deref(), Some("open"));
}

#[test]
fn fail_on_savings_counts_only_new_findings() {
    let root = tempfile::tempdir().unwrap();
    let store = root.path().join("history");
    for (month, epoch) in [("2026-08", 1_785_542_400i64), ("2026-09", 1_788_220_800)] {
        let input = root.path().join(format!("in-{month}"));
        month_inputs(
            &input,
            epoch,
            "100.00",
            &format!("{month}-28T10:00:00Z"),
            "2026-05-01T10:00:00Z",
        );
        let o = bin_with_history()
            .arg("ingest")
            .arg(&input)
            .arg("--out")
            .arg(root.path().join(format!("out-{month}")))
            .args(["--history", store.to_str().unwrap(), "--month", month])
            .args(["--fail-on-savings", "5", "--quiet"])
            .output()
            .unwrap();
        // The $19 idle seat is new in August (exit 3) and only open in September (exit 0).
        let want = if month == "2026-08" { 3 } else { 0 };
        assert_eq!(
            o.status.code(),
            Some(want),
            "{month}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

/// `--all-months`: one folder holding three months back-fills the history in one run, each
/// month into its own output folder, compared with the month before.
#[test]
fn all_months_backfills_the_history_in_one_run() {
    let root = tempfile::tempdir().unwrap();
    let input = root.path().join("in");
    let mut lines = String::from(COST_HEADER);
    for (epoch, dollars) in [
        (1_785_542_400i64, "100.00"),
        (1_788_220_800, "150.00"),
        (1_790_812_800, "120.00"),
    ] {
        lines.push_str(&format!(
            "\n{epoch},{},x,y,{dollars},usd,\"gpt-4o-2024-08-06, input\",proj_a,org-a,A",
            epoch + 86_400
        ));
    }
    write(&input, "openai/cost.csv", &format!("{lines}\n"));
    let out = root.path().join("audits");
    let store = root.path().join("history");
    let o = bin_with_history()
        .arg("ingest")
        .arg(&input)
        .arg("--out")
        .arg(&out)
        .args([
            "--history",
            store.to_str().unwrap(),
            "--all-months",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (month, billed, delta) in [
        ("2026-08", 10_000, None),
        ("2026-09", 15_000, Some(5_000)),
        ("2026-10", 12_000, Some(-3_000)),
    ] {
        let json = read_json(&out.join(month).join("findings.json"));
        assert_eq!(cents(&json["totals"]["billed_cost"]), billed, "{month}");
        let d = &json["history"]["spend_delta_by_provider"]["openai"];
        assert_eq!(delta, d.as_f64().map(|_| cents(d)), "{month}");
    }
    assert_eq!(store_files(&store).len(), 9);
}
