//! OpenAI and Anthropic Admin API dumps (JSON and JSONL), and their unit traps:
//! Anthropic cost `amount` is cents, OpenAI `amount.value` is dollars; OpenAI `input_tokens`
//! includes cached tokens, Anthropic's uncached count excludes them.

use crate::common::*;
use spend_audit::ledger::{CacheTtl, ChargeKind};

#[test]
fn openai_usage_json_input_includes_cached() {
    // The formats.md constructed page, verbatim.
    let text = r#"{"object":"page","has_more":false,"next_page":null,"data":[{"object":"bucket","start_time":1767225600,"end_time":1767312000,
 "results":[{"object":"organization.usage.completions.result","input_tokens":120000,"input_cached_tokens":80000,
 "input_cache_write_tokens":0,"input_uncached_tokens":40000,"output_tokens":9000,"num_model_requests":42,
 "project_id":"proj_demo","user_id":null,"api_key_id":"key_demo","model":"gpt-4o-mini-2024-07-18","batch":false,"service_tier":"default"}]}]}"#;
    let (rows, outcome) = one_file("usage.json", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("openai_usage_json")
    );
    assert_eq!(qty(&rows, ChargeKind::Input), 40_000.0);
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 80_000.0);
    assert_eq!(qty(&rows, ChargeKind::Request), 42.0);
    assert_eq!(rows[0].period_start_ms, 1_767_225_600_000);
}

#[test]
fn openai_cost_json_amount_is_dollars() {
    let text = r#"{"object":"page","data":[{"object":"bucket","start_time":1767225600,"end_time":1767312000,"results":[{"object":"organization.costs.result","amount":{"value":0.8958,"currency":"usd"},"line_item":"gpt-4o-mini-2024-07-18, input","project_id":"proj_demo","api_key_id":null,"quantity":5972000,"quantity_unit":"tokens"}]}]}"#;
    let (rows, outcome) = one_file("costs.json", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("openai_cost_json")
    );
    assert_eq!(
        rows[0].billed_cost_nano,
        Some(895_800_000),
        "dollars, not cents"
    );
    assert_eq!(rows[0].quantity, 5_972_000.0);
    assert_eq!(rows[0].model_raw.as_deref(), Some("gpt-4o-mini-2024-07-18"));
}

#[test]
fn anthropic_cost_json_amount_is_cents() {
    // The formats.md example: "2745.5" cents = $27.455. JSONL, one page per line.
    let page = r#"{"data":[{"starting_at":"2026-01-05T00:00:00Z","ending_at":"2026-01-06T00:00:00Z","results":[{"amount":"2745.5","currency":"USD","description":"Claude Haiku 4.5 Usage - Output Tokens","cost_type":"tokens","token_type":"output_tokens","model":"claude-haiku-4-5","service_tier":"standard","context_window":"0-200k","workspace_id":null}]}],"has_more":false,"next_page":null}"#;
    let (rows, outcome) = one_file("cost_report.jsonl", &format!("{page}\n{page}\n"));
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("anthropic_cost_json")
    );
    assert_eq!(rows.len(), 2);
    assert_eq!(
        rows[0].billed_cost_nano,
        Some(27_455_000_000),
        "cents, not dollars"
    );
    assert_eq!(rows[0].charge_kind, ChargeKind::Output);
    assert_eq!(rows[0].sub_account.as_deref(), Some("default"));
    assert_eq!(rows[1].source_line, 2, "records are numbered in file order");
}

#[test]
fn anthropic_usage_json_uncached_is_disjoint_and_ttl_split() {
    let text = r#"{"data":[{"starting_at":"2026-01-05T00:00:00Z","ending_at":"2026-01-06T00:00:00Z","results":[{"uncached_input_tokens":46000,"cache_creation":{"ephemeral_5m_input_tokens":12000,"ephemeral_1h_input_tokens":3000},"cache_read_input_tokens":210000,"output_tokens":9000,"server_tool_use":{"web_search_requests":0},"api_key_id":"apikey_01demo","workspace_id":"wrkspc_01demo","model":"claude-sonnet-4-20250514","service_tier":"standard","context_window":"0-200k"}]}],"has_more":false,"next_page":null}"#;
    let (rows, outcome) = one_file("usage_report.json", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("anthropic_usage_json")
    );
    assert_eq!(qty(&rows, ChargeKind::Input), 46_000.0);
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 210_000.0);
    let one_hour: f64 = rows
        .iter()
        .filter(|r| r.cache_ttl == Some(CacheTtl::OneHour))
        .map(|r| r.quantity)
        .sum();
    assert_eq!(one_hour, 3_000.0);
}

#[test]
fn bad_json_is_rejected_with_its_line_and_unknown_json_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "broken.jsonl", "{\"data\":[]}\n{\"data\": [\n");
    write(dir.path(), "other.json", "{\"hello\": \"world\"}");
    write(
        dir.path(),
        "bad_record.json",
        r#"{"data":[{"starting_at":"2026-01-05T00:00:00Z","results":[{"amount":"abc","currency":"USD"}]}]}"#,
    );
    let (_, outcome) = ingest_rows(dir.path());
    let by = |p: &str| outcome.inputs.iter().find(|i| i.path == p).unwrap();
    assert_eq!(
        by("broken.jsonl").status,
        spend_audit::ingest::InputStatus::Rejected
    );
    assert!(
        by("broken.jsonl").reason.as_deref().unwrap().contains(
            "line 3, column 0: not valid JSON: EOF while parsing a list (the file ends inside"
        ),
        "{:?}",
        by("broken.jsonl").reason
    );
    assert_eq!(
        by("other.json").status,
        spend_audit::ingest::InputStatus::Skipped
    );
    assert_eq!(by("bad_record.json").rejected_rows, 1);
    assert_eq!(outcome.rejects[0].column.as_deref(), Some("amount"));
}
