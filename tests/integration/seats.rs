//! Seat products: each seat is a `seat` line priced from the config's `[seats]` table, with
//! its activity kept for the idle-seat analysis; the Claude Enterprise spend report is money.

use crate::common::*;
use spend_audit::ledger::{ChargeKind, RecordRole};

#[test]
fn copilot_activity_report_seats_are_estimated_from_the_config_price() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "exports/copilot_seat_activity.csv",
        "Report Time,Login,Last Authenticated At,Last Activity At,Last Surface Used,Organization\n\
2026-10-28T06:54:33Z,octo-dev,2026-10-27T15:02:11Z,2026-10-27T09:12:44Z,vscode/1.110.0/copilot-chat/0.38.2,acme-corp\n\
2026-10-28T06:54:33Z,idle-dev,2026-07-01T10:00:00Z,2026-06-30T10:00:00Z,,acme-corp\n\
2026-10-28T06:54:33Z,never-dev,,,,acme-corp\n",
    );
    write(dir.path(), "config.toml", "[seats]\ncopilot = \"19.00\"\n");
    let config = dir.path().join("config.toml");
    let (out, o) = run_ingest(
        &dir.path().join("exports"),
        &["--month", "2026-10", "--config", config.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(
        cents(&json["totals"]["estimated_by_provider"]["github"]),
        3 * 1900
    );
    assert_eq!(
        cents(&json["totals"]["billed_cost"]),
        0,
        "an activity report is not a bill"
    );

    // idle-dev (last active 2026-06-30) and never-dev (no activity) are idle: 2 × $19.
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "idle_capacity")
        .unwrap();
    assert_eq!(f["scope"], "seats copilot");
    assert_eq!(cents(&f["monthly_savings"]), 2 * 1900);
    assert_eq!(cents(&f["current_monthly_cost"]), 3 * 1900);
    assert_eq!(
        f["confidence"], "medium",
        "one idle seat has no recorded activity"
    );
    assert_eq!(
        f["evidence"]["idle_users"],
        serde_json::json!(["idle-dev", "never-dev"])
    );

    let (rows, _) = ingest_rows(&dir.path().join("exports"));
    assert_eq!(rows.len(), 3);
    assert!(rows
        .iter()
        .all(|r| r.charge_kind == ChargeKind::Seat && r.unit == "seats" && r.provider == "github"));
    // 2026-06-30T10:00:00Z, in its own column; the activity is not in `tags`.
    assert_eq!(rows[1].last_activity_ms, Some(1_782_813_600_000));
    assert_eq!(rows[1].tags, None);
}

#[test]
fn a_seat_is_priced_from_the_catalog_list_else_unpriced_not_free() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "seats.json",
        r#"{"total_seats":1,"seats":[{"created_at":"2026-10-01T00:00:00Z","last_activity_at":null,"last_activity_editor":null,"plan_type":"enterprise","assignee":{"login":"octo","id":1},"assigning_team":{"slug":"platform"}}]}"#,
    );
    // ChatGPT Enterprise has no public list price: without a config price it stays unpriced.
    write(
        dir.path(),
        "chatgpt_users.csv",
        "cadence,period_start,period_end,account_id,public_id,name,email,role,user_role,department,groups,user_status,created_or_invited_date,is_active,first_day_active_in_period,last_day_active_in_period,messages,messages_rank,model_to_messages,gpt_messages,gpts_messaged,tool_messages,tools_messaged,tool_to_messages,last_day_active,project_messages,projects_messaged,projects_created,credits_used\n\
monthly,2026-10-01,2026-10-31,acc,pub1,Ann,ann@acme.test,member,standard,,,enabled,2026-01-10,1,2026-10-02,2026-10-30,412,3,{},0,0,12,1,{},2026-10-30,0,0,0,0\n",
    );
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    let unpriced = json["unpriced"].as_array().unwrap();
    assert_eq!(unpriced.len(), 1, "{unpriced:?}");
    assert_eq!(unpriced[0]["model"], "chatgpt_enterprise");
    assert!(unpriced[0]["reason"].as_str().unwrap().contains("[seats]"));
    // The Copilot Enterprise seat is priced at the catalog's $39 list price.
    let ledger = std::fs::read(out.path().join("ledger.parquet")).unwrap();
    assert!(!ledger.is_empty());
    let text = String::from_utf8_lossy(&ledger);
    assert!(text.contains("2026.12.04.2/seat/copilot_enterprise/list"));
}

#[test]
fn chatgpt_user_analytics_and_claude_spend_report() {
    let (rows, outcome) = one_file(
        "chatgpt_users.csv",
        "cadence,period_start,period_end,account_id,public_id,name,email,role,user_role,department,groups,user_status,created_or_invited_date,is_active,first_day_active_in_period,last_day_active_in_period,messages,messages_rank,model_to_messages,gpt_messages,gpts_messaged,tool_messages,tools_messaged,tool_to_messages,last_day_active,project_messages,projects_messaged,projects_created,credits_used\n\
monthly,2026-10-01,2026-10-31,acc,pub1,Ann,ann@acme.test,member,standard,\"[\"\"Sales\"\"]\",,enabled,2026-01-10,1,2026-10-02,2026-10-30,412,3,\"{\"\"gpt-5\"\": 400}\",0,0,12,1,{},2026-10-30,0,0,0,0\n",
    );
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("chatgpt_user_analytics_csv")
    );
    assert_eq!(
        (rows[0].provider, rows[0].charge_kind),
        ("chatgpt", ChargeKind::Seat)
    );
    assert_eq!(rows[0].api_key.as_deref(), Some("ann@acme.test"));
    // The analytics period 2026-10-01..2026-10-31 ends inclusive: the seat covers October
    // exactly, up to the start of November 1 (issue 10 B8).
    assert_eq!(
        (rows[0].period_start_ms, rows[0].period_end_ms),
        (1_790_812_800_000, 1_793_491_200_000)
    );

    let (rows, outcome) = one_file(
        "claude_spend.csv",
        "user_email,account_uuid,product,model,model_family,total_requests,total_prompt_tokens,total_completion_tokens,total_net_spend_usd,total_gross_spend_usd,date\n\
ann@acme.test,uuid-1,Claude Code,claude-sonnet-4-5,sonnet,120,900000,40000,12.34,15.00,2026-10-01\n",
    );
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("claude_enterprise_spend_csv")
    );
    assert_eq!(
        (rows[0].role, rows[0].billed_cost_nano),
        (RecordRole::Billed, Some(12_340_000_000))
    );
    assert_eq!(rows[0].source_reported_cost_nano, Some(15_000_000_000));
}

#[test]
fn a_bad_seat_price_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "in/x.csv", "a,b\n1,2\n");
    write(
        dir.path(),
        "config.toml",
        "[seats]\ncopilot = \"nineteen\"\n",
    );
    let config = dir.path().join("config.toml");
    let (_, o) = run_ingest(
        &dir.path().join("in"),
        &["--config", config.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("seat price `nineteen` for plan `copilot`"));
}

#[test]
fn claude_analytics_users_dump_gives_seats_with_last_activity() {
    let text = r#"{"data":[{"user":{"id":"u1","email_address":"ann@acme.test"},"date":"2026-10-30","last_activity_date":"2026-10-29","chat_metrics":{"messages":12},"rbac_group_name":"Sales"},{"user":{"id":"u2","email_address":"bob@acme.test"},"date":"2026-10-30","last_activity_date":"2026-08-01","rbac_group_name":"Ops"}],"has_more":false,"next_page":null}"#;
    let (rows, outcome) = one_file("claude_users.json", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("claude_analytics_users_json")
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[1].provider, rows[1].api_key.as_deref()),
        ("claude", Some("bob@acme.test"))
    );
    // 2026-08-01, in its own column; per-user metrics are not copied into `tags`.
    assert_eq!(rows[1].last_activity_ms, Some(1_785_542_400_000));
    assert_eq!(rows[1].tags, None);
}

/// Issue 10 B8: a seat's pending cancellation date is its last day, inclusive.
#[test]
fn a_pending_cancellation_date_is_the_seats_last_day() {
    let (rows, _) = one_file(
        "seats.json",
        r#"{"total_seats":1,"seats":[{"created_at":"2026-03-01T00:00:00Z","pending_cancellation_date":"2026-10-20","last_activity_at":"2026-10-19T10:00:00Z","plan_type":"business","assignee":{"login":"octo","id":1}}]}"#,
    );
    // The seat is held through October 20: it ends at the start of October 21.
    assert_eq!(rows[0].period_end_ms, 1_792_540_800_000);
}

/// Issue 10 B6: idleness is measured from the snapshot's own time; a seat assigned within
/// the idle window is new, not idle; without a bill the default month is the snapshot's.
#[test]
fn new_seats_are_not_idle_and_the_month_follows_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let seat = |login: &str, created: &str, activity: &str| {
        format!(
            r#"{{"created_at":"{created}","last_activity_at":{activity},"plan_type":"business","assignee":{{"login":"{login}","id":1}}}}"#
        )
    };
    let seats = [
        // Active the day the snapshot was pulled: the snapshot's time is November 19.
        seat(
            "active",
            "2026-03-01T00:00:00Z",
            r#""2026-11-19T09:00:00Z""#,
        ),
        seat("stale", "2026-03-01T00:00:00Z", r#""2026-09-01T09:00:00Z""#),
        seat("never", "2026-03-01T00:00:00Z", "null"),
        // Assigned on October 25, within 30 days of the snapshot: new, not idle.
        seat("newcomer", "2026-10-25T00:00:00Z", "null"),
    ];
    write(
        dir.path(),
        "copilot_seats.json",
        &format!(r#"{{"total_seats":4,"seats":[{}]}}"#, seats.join(",")),
    );
    let (_out, json) = audit_ok(dir.path(), &[]);
    assert_eq!(json["period"]["start"], "2026-11-01", "{}", json["period"]);
    assert_eq!(json["period"]["complete"], false);
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "idle_capacity")
        .unwrap_or_else(|| panic!("{}", json["findings"]));
    let ev = &finding["evidence"];
    assert_eq!(
        ev["idle_users"],
        serde_json::json!(["never", "stale"]),
        "{ev}"
    );
    assert_eq!(ev["new_seats_not_counted"], 1);
    assert_eq!(ev["measured_from"], "2026-11-19");
    assert_eq!(ev["seats"], 4);
}
