//! Each format with its real column order and value formats (research/formats.md), and the unit
//! traps: a test here fails if a trap is mishandled.

use crate::common::*;
use spend_audit::ingest::InputStatus;
use spend_audit::ledger::{CacheTtl, ChargeKind, LedgerRow, RecordRole, ServiceTier};

#[test]
fn openai_usage_csv_excludes_cached_from_uncached_input() {
    // The formats.md constructed row, verbatim: input_tokens 50000 includes 20000 cached.
    let text = "start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens,input_text_tokens,output_text_tokens,input_cached_text_tokens,input_audio_tokens,input_cached_audio_tokens,output_audio_tokens,input_image_tokens,input_cached_image_tokens,output_image_tokens\n\
1767225600,1767312000,2026-01-01T00:00:00+00:00,2026-01-02T00:00:00+00:00,proj_demo,12.0,user-demo,key_demo,gpt-5-mini-2025-08-07,FALSE,default,50000.0,7000.0,20000.0,30000.0,30000.0,7000.0,20000.0,0.0,0.0,0.0,0.0,0.0,0.0\n";
    let (rows, outcome) = one_file("completions_usage_2026-01-01_2026-01-01.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("openai_usage_csv")
    );
    assert_eq!(
        qty(&rows, ChargeKind::Input),
        30_000.0,
        "input_tokens includes cached tokens"
    );
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 20_000.0);
    assert_eq!(qty(&rows, ChargeKind::Output), 7_000.0);
    assert_eq!(qty(&rows, ChargeKind::Request), 12.0);
    let r = &rows[0];
    assert_eq!((r.provider, r.role), ("openai", RecordRole::Usage));
    assert_eq!(r.period_start_ms, 1_767_225_600_000);
    assert_eq!(r.sub_account.as_deref(), Some("proj_demo"));
    assert_eq!(r.api_key.as_deref(), Some("key_demo"));
    assert!(
        rows.iter().all(|r| r.billed_cost_nano.is_none()),
        "usage never carries billed money"
    );
}

#[test]
fn openai_usage_batch_and_impossible_cache_counts() {
    let text = "start_time,end_time,project_id,num_model_requests,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens\n\
1767225600,1767312000,p,1.0,gpt-4.1,TRUE,default,100.0,10.0,0.0\n\
1767225600,1767312000,p,1.0,gpt-4.1,FALSE,default,100.0,10.0,150.0\n";
    let (rows, outcome) = one_file("u.csv", text);
    assert!(rows.iter().all(|r| r.service_tier == ServiceTier::Batch));
    assert_eq!(outcome.rejects.len(), 1);
    assert_eq!(outcome.rejects[0].line, 3);
    assert_eq!(
        outcome.rejects[0].column.as_deref(),
        Some("input_cached_tokens")
    );
}

#[test]
fn openai_cost_csv_amounts_are_dollars() {
    let text = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n\
1767225600,1767312000,2026-01-01T00:00:00+00:00,2026-01-02T00:00:00+00:00,0.8958000000000001,usd,\"gpt-4o-mini-2024-07-18, input\",proj_demo,org-demo,Demo\n\
1767225600,1767312000,2026-01-01T00:00:00+00:00,2026-01-02T00:00:00+00:00,0.0100000000000000,usd,web search tool calls,proj_demo,org-demo,Demo\n";
    let (rows, outcome) = one_file("cost.csv", text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("openai_cost_csv"));
    assert_eq!(
        rows[0].billed_cost_nano,
        Some(895_800_000),
        "0.8958 dollars, not cents"
    );
    assert_eq!(rows[0].model_raw.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(rows[0].charge_kind, ChargeKind::Input);
    assert_eq!(rows[0].currency, "USD");
    assert_eq!(rows[0].billing_account.as_deref(), Some("org-demo"));
    // OpenAI's web search tool: a per-call charge of its own, not "other" (issue 13).
    assert_eq!(rows[1].charge_kind, ChargeKind::WebSearch);
    assert_eq!(rows[1].model_raw, None);
}

#[test]
fn anthropic_usage_csv_cache_columns_are_disjoint() {
    // BOM, Unicode `≤ 200k`, real column order; the formats.md constructed row.
    let text = "\u{feff}usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed\n\
2026-01-05,claude-sonnet-4-20250514,prod-key,Default,standard,≤ 200k,46000,12000,0,210000,9000,0,global,\n";
    let (rows, outcome) = one_file("claude_usage.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("anthropic_usage_csv")
    );
    assert_eq!(
        qty(&rows, ChargeKind::Input),
        46_000.0,
        "uncached input is not reduced by cache reads"
    );
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 210_000.0);
    let w: Vec<&LedgerRow> = rows
        .iter()
        .filter(|r| r.charge_kind == ChargeKind::CacheWrite)
        .collect();
    assert_eq!(w.len(), 1);
    assert_eq!(
        (w[0].quantity, w[0].cache_ttl),
        (12_000.0, Some(CacheTtl::FiveMinutes))
    );
    assert_eq!(rows[0].sub_account.as_deref(), Some("Default"));
    assert_eq!(rows[0].region.as_deref(), Some("global"));
    assert_eq!(rows[0].period_end_ms - rows[0].period_start_ms, 86_400_000);
}

#[test]
fn anthropic_cost_csv_is_dollars_and_list_price_is_not_billed() {
    let text = "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status\n\
2026-01-05,Claude Sonnet 4,Default,prod-key,message,≤ 200k,input_no_cache,0.14,0.15,token,global,,apikey_01demo,active\n\
2026-01-05,Claude Sonnet 4,Default,prod-key,message,≤ 200k,input_cache_write_1h,0.02,0.02,token,global,,apikey_01demo,active\n";
    let (rows, outcome) = one_file("claude_cost.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("anthropic_cost_csv")
    );
    assert_eq!(
        rows[0].billed_cost_nano,
        Some(140_000_000),
        "the Console CSV is dollars, not cents"
    );
    assert_eq!(rows[0].source_reported_cost_nano, Some(150_000_000));
    assert_eq!(rows[0].model_raw.as_deref(), Some("Claude Sonnet 4"));
    assert_eq!(
        (rows[1].charge_kind, rows[1].cache_ttl),
        (ChargeKind::CacheWrite, Some(CacheTtl::OneHour))
    );
}

#[test]
fn litellm_spend_is_never_billed_and_cached_tokens_come_out_of_prompt() {
    let text = "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,completionStartTime,model,model_id,model_group,custom_llm_provider,api_base,user,metadata,cache_hit,cache_key,request_tags,team_id,end_user,requester_ip_address,status\n\
chatcmpl-demo1,acompletion,88dce1,0.00042,1920,1800,120,2026-03-02 10:15:01.2+00,2026-03-02 10:15:02.9+00,,gpt-4o-mini,m1,chat-default,openai,,u-42,\"{\"\"user_api_key_alias\"\": \"\"search-key\"\", \"\"user_api_key_team_alias\"\": \"\"search\"\", \"\"usage_object\"\": {\"\"prompt_tokens_details\"\": {\"\"cached_tokens\"\": 800}}}\",False,,\"[\"\"prod\"\",\"\"search\"\"]\",team-search,,10.0.0.1,success\n";
    let (rows, outcome) = one_file("spend_logs.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("litellm_spend_csv")
    );
    assert!(rows
        .iter()
        .all(|r| r.role == RecordRole::Gateway && r.billed_cost_nano.is_none()));
    assert_eq!(qty(&rows, ChargeKind::Input), 1_000.0);
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 800.0);
    assert_eq!(qty(&rows, ChargeKind::Output), 120.0);
    let reported: i64 = rows
        .iter()
        .filter_map(|r| r.source_reported_cost_nano)
        .sum();
    assert_eq!(
        reported, 420_000,
        "the gateway's own spend is kept once, as reported cost"
    );
    assert_eq!(rows[0].sub_account.as_deref(), Some("search"));
    assert_eq!(rows[0].api_key.as_deref(), Some("search-key"));
    assert_eq!(rows[0].period_start_ms, 1_772_446_501_200);
}

#[test]
fn detection_is_by_content_not_name() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deep/er/whatever.txt", "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status\n2026-01-05,Claude Haiku 4.5,Default,k,message,≤ 200k,output,1.5,1.5,token,global,,id,active\n");
    write(dir.path(), "cost.csv", "name,amount\nlunch,12.50\n");
    let (rows, outcome) = ingest_rows(dir.path());
    assert_eq!(rows.len(), 1);
    let by_path = |p: &str| outcome.inputs.iter().find(|i| i.path == p).unwrap();
    assert_eq!(
        by_path("deep/er/whatever.txt").format.as_deref(),
        Some("anthropic_cost_csv")
    );
    assert_eq!(by_path("cost.csv").status, InputStatus::Skipped);
}

/// Issue 13 (charges that are not tokens): web searches in Anthropic's usage export become
/// per-call ledger lines, priced at the catalog's rate per 1,000 calls ($10 on Claude), to the
/// cent, whatever the tier; a cost report's `web_search` cost type is that kind too.
#[test]
fn anthropic_web_searches_are_a_priced_per_call_charge() {
    let text = "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write_5m,usage_input_tokens_cache_write_1h,usage_input_tokens_cache_read,usage_output_tokens,web_search_count,inference_geo,speed\n\
2026-10-05,claude-sonnet-4-5-20250929,prod-key,Default,standard,0-200k,1000,0,0,0,500,37,global,\n\
2026-10-05,claude-sonnet-4-5-20250929,prod-key,Default,batch,0-200k,1000,0,0,0,500,3,global,\n";
    let (mut rows, _) = one_file("claude_usage.csv", text);
    let catalog = spend_audit::pricing::Catalog::embedded().unwrap();
    for r in &mut rows {
        spend_audit::pricing::Pricer::new(&catalog).price(r);
    }
    let searches: Vec<&LedgerRow> = rows
        .iter()
        .filter(|r| r.charge_kind == ChargeKind::WebSearch)
        .collect();
    assert_eq!(searches.len(), 2);
    assert_eq!(searches[0].unit, "calls");
    // 37 calls at $10 per 1,000 = $0.37; 3 batch calls are not discounted: $0.03.
    assert_eq!(searches[0].list_cost_nano, Some(370_000_000));
    assert_eq!(searches[1].list_cost_nano, Some(30_000_000));
    let cost = "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status\n\
2026-10-05,Claude Sonnet 4.5,Default,prod-key,message,0-200k,,0.37,0.37,web_search,global,,apikey_01demo,active\n";
    let (rows, _) = one_file("claude_cost.csv", cost);
    assert_eq!(rows[0].charge_kind, ChargeKind::WebSearch);
    assert_eq!(rows[0].billed_cost_nano, Some(370_000_000));
}

#[test]
fn openai_audio_and_image_tokens_are_priced_at_their_own_rates_to_the_cent() {
    // The 2026-07 layout in its real column order: gpt-realtime with 1,000,000 input tokens
    // (200,000 cached: 150,000 text + 50,000 audio; 500,000 uncached audio; 100,000 image)
    // and 400,000 output tokens (300,000 audio).
    let text = "start_time,end_time,start_time_iso,end_time_iso,project_id,num_model_requests,user_id,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens,input_uncached_tokens,input_text_tokens,output_text_tokens,input_cached_text_tokens,input_audio_tokens,input_cached_audio_tokens,output_audio_tokens,input_image_tokens,input_cached_image_tokens,output_image_tokens\n\
1792108800,1792195200,2026-10-16T00:00:00Z,2026-10-17T00:00:00Z,proj_voice,120,,key_voice,gpt-realtime-2025-08-28,false,default,1000000,400000,200000,800000,200000,100000,150000,500000,50000,300000,100000,0,0\n";
    let (mut rows, _) = one_file("completions_usage_2026-10-16_2026-10-17.csv", text);
    let catalog = spend_audit::pricing::Catalog::embedded().unwrap();
    let mut pricer = spend_audit::pricing::Pricer::new(&catalog);
    for r in &mut rows {
        pricer.price(r);
    }
    let cost = |kind: ChargeKind| {
        let r = rows.iter().find(|r| r.charge_kind == kind).unwrap();
        assert_eq!(r.unpriced_reason, None, "{kind:?}");
        (r.quantity, r.list_cost_nano.unwrap())
    };
    // Text input 200,000 at $4.00/M = $0.80; cached text 150,000 at $0.40/M = $0.06.
    assert_eq!(cost(ChargeKind::Input), (200_000.0, 800_000_000));
    assert_eq!(cost(ChargeKind::CachedInput), (150_000.0, 60_000_000));
    // Audio 500,000 at $32/M = $16.00; cached audio 50,000 at $0.40/M = $0.02.
    assert_eq!(cost(ChargeKind::AudioInput), (500_000.0, 16_000_000_000));
    assert_eq!(cost(ChargeKind::AudioCachedInput), (50_000.0, 20_000_000));
    // Image 100,000 at $5/M = $0.50.
    assert_eq!(cost(ChargeKind::ImageInput), (100_000.0, 500_000_000));
    // Text output 100,000 at $16/M = $1.60; audio output 300,000 at $64/M = $19.20.
    assert_eq!(cost(ChargeKind::Output), (100_000.0, 1_600_000_000));
    assert_eq!(cost(ChargeKind::AudioOutput), (300_000.0, 19_200_000_000));

    // A text model's audio has no rate: unpriced with a reason, never priced as text.
    let text = "start_time,end_time,project_id,num_model_requests,model,input_tokens,output_tokens,input_audio_tokens\n\
1792108800,1792195200,proj_chat,1,gpt-4o-mini,1000,10,400\n";
    let (mut rows, _) = one_file("completions_usage_2026-10-16.csv", text);
    for r in &mut rows {
        pricer.price(r);
    }
    let audio = rows
        .iter()
        .find(|r| r.charge_kind == ChargeKind::AudioInput)
        .unwrap();
    assert_eq!(audio.list_cost_nano, None);
    assert!(
        audio
            .unpriced_reason
            .as_deref()
            .is_some_and(|r| r.contains("audio_input")),
        "{:?}",
        audio.unpriced_reason
    );
    let input = rows
        .iter()
        .find(|r| r.charge_kind == ChargeKind::Input)
        .unwrap();
    assert_eq!(
        input.quantity, 600.0,
        "audio is taken out of the text input"
    );
}

#[test]
fn image_model_cost_lines_and_tool_charges_have_their_own_kinds() {
    let text = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n\
1792108800,1792195200,2026-10-16T00:00:00Z,2026-10-17T00:00:00Z,4.00,usd,\"gpt-image-1 image, output\",proj_art,org_demo,Demo\n\
1792108800,1792195200,2026-10-16T00:00:00Z,2026-10-17T00:00:00Z,0.25,usd,file search tool calls,proj_art,org_demo,Demo\n\
1792108800,1792195200,2026-10-16T00:00:00Z,2026-10-17T00:00:00Z,0.09,usd,code interpreter sessions,proj_art,org_demo,Demo\n";
    let (rows, _) = one_file("cost_2026-10-16.csv", text);
    let kinds: Vec<(ChargeKind, Option<i64>)> = rows
        .iter()
        .map(|r| (r.charge_kind, r.billed_cost_nano))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (ChargeKind::ImageOutput, Some(4_000_000_000)),
            (ChargeKind::FileSearch, Some(250_000_000)),
            (ChargeKind::CodeExecution, Some(90_000_000)),
        ]
    );
    let cost = "usage_date_utc,model,workspace,api_key,usage_type,context_window,token_type,cost_usd,list_price_usd,cost_type,inference_geo,speed,api_key_id,api_key_status\n\
2026-10-05,,Default,prod-key,message,,,1.50,1.50,code_execution,global,,apikey_01demo,active\n";
    let (rows, _) = one_file("claude_cost.csv", cost);
    assert_eq!(rows[0].charge_kind, ChargeKind::CodeExecution);
    assert_eq!(rows[0].billed_cost_nano, Some(1_500_000_000));
}
