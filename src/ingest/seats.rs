//! Seat products: GitHub Copilot (seat activity report CSV, seats API JSON), ChatGPT Enterprise
//! (user analytics CSV) and Claude Enterprise (spend report CSV, Analytics API `users` dump).
//! research/formats.md §8 and §2e.
//!
//! Seats are not token traffic: each seat becomes one `seat` line for the month (quantity 1,
//! unit `seats`) whose `model_raw` is the plan (`copilot_business`, `chatgpt_enterprise`, …)
//! and whose `last_activity_at` column carries the activity the idle-seat analysis needs. The
//! seat price comes from the config's `[seats]` table (the catalog's seat plans are a later
//! issue); without one the seat is listed as unpriced. Seat products bill apart from the APIs,
//! so they have their own provider ids: `github`, `chatgpt`, `claude`.
//!
//! The Claude Enterprise spend report is money: on seat plans it lists spend **above** the
//! seat allotment per user and model, and `total_net_spend_usd` is billed.

use super::json::text;
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole};
use serde_json::Value;

pub struct CopilotActivityCsv;
pub struct CopilotSeatsJson;
pub struct ChatGptUsersCsv;
pub struct ClaudeSpendCsv;

const MONTH_MS: i64 = 30 * 86_400_000;
const DAY_MS: i64 = 86_400_000;
/// End of an assignment with no known end: 2100-01-01, clamped to the audited month.
const SNAPSHOT_OPEN_END_MS: i64 = 4_102_444_800_000;

fn seat(
    provider: &'static str,
    plan: String,
    user: Option<String>,
    org: Option<String>,
    at: i64,
    last_activity: Option<&str>,
    src: SourceRef,
) -> LedgerRow {
    let mut r = LedgerRow::new(
        provider,
        RecordRole::Usage,
        ChargeKind::Seat,
        at,
        at + MONTH_MS,
        src.file,
        src.line,
    );
    r.model_raw = Some(plan);
    r.api_key = user;
    r.sub_account = org;
    r.quantity = 1.0;
    r.unit = "seats";
    // A value that is not a time reads as no activity, as a never-active seat does: the
    // idle-seat finding counts such seats apart as undated.
    r.last_activity_ms = last_activity.and_then(super::parse_timestamp_ms);
    r
}

impl Format for CopilotActivityCsv {
    fn id(&self) -> &'static str {
        "copilot_seat_activity_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["report time", "login", "last activity at"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "report time",
            "login",
            "last authenticated at",
            "last activity at",
            "last surface used",
            "organization",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let report = row.timestamp("report time")?;
        let activity = row.get("last activity at");
        // The activity report does not name the plan; `[seats] copilot` prices it.
        out.push(seat(
            "github",
            "copilot".into(),
            Some(row.required("login")?.to_string()),
            row.text("organization"),
            report,
            activity,
            src,
        ));
        Ok(RowFate::Ledger)
    }
}

impl Format for CopilotSeatsJson {
    fn id(&self) -> &'static str {
        "copilot_seats_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn is_json(&self) -> bool {
        true
    }
    fn matches_json(&self, r: &Value) -> bool {
        r.get("assignee").is_some() && r.get("last_activity_at").is_some()
    }
    fn parse_json(
        &self,
        _: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let created = super::json::timestamp(r, "created_at")?;
        let plan = format!(
            "copilot_{}",
            text(r, "plan_type").unwrap_or_else(|| "business".into())
        );
        let activity = r["last_activity_at"].as_str();
        let login = r["assignee"]["login"].as_str().map(str::to_string);
        let team = r["assigning_team"]["slug"].as_str().map(str::to_string);
        let mut row = seat("github", plan, login, team, created, activity, src);
        row.assigned_ms = Some(created);
        // A seats-API snapshot: the seat is assigned from `created_at` until the export (or its
        // pending cancellation); the audit keeps it for any month it overlaps.
        // The cancellation date is the seat's last day (inclusive): it ends the day after.
        row.period_end_ms = super::json::timestamp(r, "pending_cancellation_date")
            .map_or(SNAPSHOT_OPEN_END_MS, |last_day| last_day + DAY_MS);
        out.push(row);
        Ok(RowFate::Ledger)
    }
}

impl Format for ChatGptUsersCsv {
    fn id(&self) -> &'static str {
        "chatgpt_user_analytics_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["period_start", "email", "is_active", "last_day_active"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "cadence",
            "period_start",
            "period_end",
            "email",
            "user_status",
            "is_active",
            "last_day_active",
            "messages",
            "department",
            "credits_used",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let start = row.timestamp("period_start")?;
        let activity = row.get("last_day_active");
        // The analytics period ends inclusive (`2026-10-01` to `2026-10-31`): its end is the
        // start of the day after.
        let end = match row.get("period_end") {
            Some(_) => Some(row.timestamp("period_end")? + DAY_MS),
            None => None,
        };
        let mut line = seat(
            "chatgpt",
            "chatgpt_enterprise".into(),
            Some(row.required("email")?.to_string()),
            row.text("department"),
            start,
            activity,
            src,
        );
        if let Some(end) = end.filter(|e| *e > start) {
            line.period_end_ms = end;
        }
        out.push(line);
        Ok(RowFate::Ledger)
    }
}

impl Format for ClaudeSpendCsv {
    fn id(&self) -> &'static str {
        "claude_enterprise_spend_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["user_email", "total_net_spend_usd"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "user_email",
            "model",
            "product",
            "total_requests",
            "total_prompt_tokens",
            "total_completion_tokens",
            "total_net_spend_usd",
            "total_gross_spend_usd",
            "date",
            "period_start",
            "start_date",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        // The export covers a chosen range; its date column name is unconfirmed.
        let col = ["date", "period_start", "start_date"]
            .into_iter()
            .find(|c| row.get(c).is_some());
        let start = match col {
            Some(c) => row.timestamp(c)?,
            None => {
                return Err(RowError::new(
                    None,
                    "no date column (`date`, `period_start` or `start_date`)",
                ))
            }
        };
        let mut r = LedgerRow::new(
            "claude",
            RecordRole::Billed,
            ChargeKind::Other,
            start,
            start + MONTH_MS,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(row.money("total_net_spend_usd")?);
        r.source_reported_cost_nano = row.money_opt("total_gross_spend_usd")?;
        r.api_key = row.text("user_email");
        r.sub_account = row.text("product");
        r.model_raw = row.text("model");
        r.unit = "none";
        out.push(r);
        Ok(RowFate::Ledger)
    }
}

pub struct ClaudeAnalyticsUsersJson;

impl Format for ClaudeAnalyticsUsersJson {
    fn id(&self) -> &'static str {
        "claude_analytics_users_json"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Usage
    }
    fn is_json(&self) -> bool {
        true
    }
    /// Enterprise Analytics API `users` records: one per user (per day), with `last_activity_date`.
    fn matches_json(&self, r: &Value) -> bool {
        r.get("last_activity_date").is_some() && r.get("user").is_some()
    }
    fn parse_json(
        &self,
        bucket: &Value,
        r: &Value,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let at = super::json::timestamp(r, "date")
            .or_else(|_| super::json::timestamp(bucket, "starting_at"))
            .or_else(|_| super::json::timestamp(r, "last_activity_date"))?;
        let user = match &r["user"] {
            Value::String(s) => Some(s.clone()),
            v => text(v, "email_address")
                .or_else(|| text(v, "email"))
                .or_else(|| text(v, "id")),
        };
        let activity = r["last_activity_date"].as_str();
        out.push(seat(
            "claude",
            "claude_enterprise".into(),
            user,
            text(r, "rbac_group_name"),
            at,
            activity,
            src,
        ));
        Ok(RowFate::Ledger)
    }
}
