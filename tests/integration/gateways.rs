//! Google Cloud billing export (NDJSON and CSV), LiteLLM StandardLoggingPayload JSONL and
//! Helicone exports (CSV and JSON).

use crate::common::*;
use spend_audit::ledger::{ChargeKind, RecordRole, ServiceTier};
use spend_audit::pricing::{Catalog, Pricer};

#[test]
fn gcp_ndjson_nets_credits_reads_labels_and_leaves_other_services_out() {
    // The formats.md constructed row, plus a BigQuery row that is not AI.
    let text = concat!(
        r#"{"billing_account_id":"0123AB-CDEF45-6789GH","service":{"id":"C7E2-9256-1C43","description":"Vertex AI"},"sku":{"id":"DEMO-0000-0001","description":"Gemini 2.5 Flash GA Text Input - Predictions"},"usage_start_time":"2026-02-01T08:00:00Z","usage_end_time":"2026-02-01T09:00:00Z","project":{"id":"ml-prod","name":"ML Prod"},"labels":[{"key":"team","value":"search"}],"cost":1.2143,"currency":"USD","usage":{"amount":4047666,"unit":"count","amount_in_pricing_units":4.047666,"pricing_unit":"count"},"credits":[{"name":"Committed use discount","amount":-0.12,"type":"COMMITTED_USAGE_DISCOUNT"}],"invoice":{"month":"202602"},"cost_type":"regular"}"#,
        "\n",
        r#"{"billing_account_id":"0123AB-CDEF45-6789GH","service":{"id":"24E6-581D-38E5","description":"BigQuery"},"sku":{"id":"X","description":"Analysis"},"usage_start_time":"2026-02-01T08:00:00Z","usage_end_time":"2026-02-01T09:00:00Z","project":{"id":"ml-prod"},"cost":7.5,"currency":"USD","usage":{"amount":1.2,"unit":"tebibyte"},"credits":[{"amount":-0.5,"type":"PROMOTION"}]}"#,
        "\n"
    );
    let (rows, outcome) = one_file("gcp_billing_export.jsonl", text);
    let input = &outcome.inputs[0];
    assert_eq!(input.format.as_deref(), Some("gcp_billing_export_json"));
    assert_eq!((input.rows, input.out_of_scope_rows), (2, 1));
    assert_eq!(
        input.out_of_scope_cost_nano, 7_000_000_000,
        "out of scope is net of credits"
    );
    let billed: i64 = rows.iter().filter_map(|r| r.billed_cost_nano).sum();
    assert_eq!(billed, 1_094_300_000, "cost 1.2143 plus credit -0.12");
    let main = &rows[0];
    assert_eq!(
        (main.provider, main.charge_kind, main.quantity),
        ("gcp", ChargeKind::Input, 4_047_666.0)
    );
    assert_eq!(main.model_raw.as_deref(), Some("gemini-2.5-flash"));
    assert_eq!(main.workload.as_deref(), Some("search"));
    assert_eq!(main.sub_account.as_deref(), Some("ml-prod"));
    assert_eq!(rows[1].charge_kind, ChargeKind::Other);
}

#[test]
fn gcp_cost_table_csv() {
    let text = "Billing account name,Billing account ID,Project name,Project ID,Service description,Service ID,SKU description,SKU ID,Credit type,Cost type,Usage start date,Usage end date,Usage amount,Usage unit,Unrounded Cost ($),Cost ($)\n\
Northwind,0123AB,ML Prod,ml-prod,Vertex AI,C7E2-9256-1C43,Gemini 2.5 Flash Text Output (Thinking On) - Batch Predictions,S1,,regular,2026-10-01,2026-10-02,1000000,count,1.2345678,1.23\n\
Northwind,0123AB,ML Prod,ml-prod,Compute Engine,6F81,N2 Instance Core,S2,,regular,2026-10-01,2026-10-02,24,hour,0.75,0.75\n";
    let (rows, outcome) = one_file("gcp_cost_table.csv", text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("gcp_billing_csv"));
    assert_eq!(
        rows[0].billed_cost_nano,
        Some(1_234_567_800),
        "the unrounded cost is the money"
    );
    assert_eq!(
        (rows[0].charge_kind, rows[0].service_tier),
        (ChargeKind::Output, ServiceTier::Batch)
    );
    assert_eq!(outcome.inputs[0].out_of_scope_cost_nano, 750_000_000);
}

#[test]
fn litellm_payload_jsonl_is_gateway_usage() {
    let line = r#"{"id":"chatcmpl-1","call_type":"acompletion","response_cost":0.00042,"custom_llm_provider":"openai","total_tokens":1920,"prompt_tokens":1800,"completion_tokens":120,"startTime":1790841600.5,"endTime":1790841602.0,"model":"gpt-4o-mini","model_group":"chat","metadata":{"user_api_key_alias":"search-key","user_api_key_team_alias":"search"},"cache_hit":false,"request_tags":["prod"],"hidden_params":{"usage_object":{"prompt_tokens_details":{"cached_tokens":800}}}}"#;
    let (rows, outcome) = one_file("litellm_payloads.jsonl", &format!("{line}\n{line}\n"));
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("litellm_payload_jsonl")
    );
    assert_eq!(outcome.inputs[0].rows, 2);
    assert!(rows
        .iter()
        .all(|r| r.role == RecordRole::Gateway && r.billed_cost_nano.is_none()));
    assert_eq!(qty(&rows, ChargeKind::Input), 2_000.0);
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 1_600.0);
    assert_eq!(
        rows.iter()
            .filter_map(|r| r.source_reported_cost_nano)
            .sum::<i64>(),
        840_000
    );
    assert_eq!(rows[0].sub_account.as_deref(), Some("search"));
    assert_eq!(rows[0].period_start_ms, 1_790_841_600_500);
    assert_eq!(rows[0].model_group.as_deref(), Some("chat"));
    // A deployment: the model LiteLLM priced it as rides along (issue 10 B5).
    let deployment = line
        .replace(r#""model":"gpt-4o-mini""#, r#""model":"azure/prod-mini""#)
        .replace(
            r#""cache_hit""#,
            r#""model_map_information":{"model_map_key":"gpt-4o-mini-2024-07-18"},"cache_hit""#,
        );
    let (rows, _) = one_file("litellm_payloads.jsonl", &format!("{deployment}\n"));
    assert_eq!(
        (rows[0].model_raw.as_deref(), rows[0].model_base.as_deref()),
        (Some("azure/prod-mini"), Some("gpt-4o-mini-2024-07-18"))
    );
}

#[test]
fn helicone_csv_and_json() {
    let csv_text = "response_id,response_created_at,response_status,request_created_at,request_body,request_properties,request_user_id,model,prompt_tokens,completion_tokens,latency,cost\n\
resp-demo,2026-01-03T10:00:02.100Z,200,2026-01-03T10:00:01.000Z,\"{}\",\"{\"\"environment\"\":\"\"prod\"\",\"\"team\"\":\"\"growth\"\"}\",u-42,gpt-4o-mini,1800,120,1100,0.00034\n";
    let (mut rows, outcome) = one_file("helicone.csv", csv_text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("helicone_csv"));
    assert_eq!(rows[0].workload.as_deref(), Some("growth"));
    assert_eq!(qty(&rows, ChargeKind::Input), 1_800.0);
    // No provider column: the catalog vendor of the model decides.
    let catalog = Catalog::embedded().unwrap();
    let mut pricer = Pricer::new(&catalog);
    rows.iter_mut().for_each(|r| pricer.price(r));
    assert!(rows.iter().all(|r| r.provider == "openai"));

    let json_text = r#"[{"request_id":"req-1","request_created_at":"2026-01-03T10:00:01.000Z","request_path":"/v1/messages","request_user_id":"u-1","request_properties":{"team":"support"},"request_model":"claude-haiku-4-5","response_model":"claude-haiku-4-5-20251001","provider":"ANTHROPIC","total_tokens":1100,"prompt_tokens":1000,"completion_tokens":100,"prompt_cache_read_tokens":400,"costUSD":0.0015}]"#;
    let (rows, outcome) = one_file("helicone.json", json_text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("helicone_json"));
    assert_eq!(rows[0].provider, "anthropic");
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 400.0);
    assert_eq!(
        rows.iter()
            .filter_map(|r| r.source_reported_cost_nano)
            .sum::<i64>(),
        1_500_000
    );
}

#[test]
fn deepseek_zip_export_is_read_member_by_member() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("deepseek_export_2026-10.zip")).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default();
    zip.start_file("amount-2026-10.csv", opts).unwrap();
    zip.write_all(
        "\u{feff}user_id,start_time_iso,end_time_iso,model,api_key_name,api_key,type,price,amount\r\n\
u1,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,deepseek-chat,prod,sk-***,input_cache_miss_tokens,0.28,1000000\r\n\
u1,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,deepseek-chat,prod,sk-***,input_cache_hit_tokens,0.028,500000\r\n\
u1,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,deepseek-chat,prod,sk-***,output_tokens,0.42,200000\r\n"
            .as_bytes(),
    )
    .unwrap();
    zip.start_file("cost-2026-10.csv", opts).unwrap();
    zip.write_all(
        "\u{feff}user_id,start_time_iso,end_time_iso,model,wallet_type,cost,currency\r\nu1,2026-10-01T00:00:00Z,2026-10-02T00:00:00Z,deepseek-chat,balance,0.378,USD\r\n".as_bytes(),
    )
    .unwrap();
    zip.finish().unwrap();
    let (rows, outcome) = ingest_rows(dir.path());
    let by = |p: &str| {
        outcome
            .inputs
            .iter()
            .find(|i| i.path == p)
            .unwrap_or_else(|| panic!("{p}: {:?}", outcome.inputs))
    };
    assert_eq!(
        by("deepseek_export_2026-10.zip").format.as_deref(),
        Some("zip_archive")
    );
    assert_eq!(
        by("deepseek_export_2026-10.zip!/amount-2026-10.csv")
            .format
            .as_deref(),
        Some("deepseek_amount_csv")
    );
    assert_eq!(by("deepseek_export_2026-10.zip!/cost-2026-10.csv").rows, 1);
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 500_000.0);
    let billed: i64 = rows.iter().filter_map(|r| r.billed_cost_nano).sum();
    assert_eq!(billed, 378_000_000);
    assert!(rows.iter().all(|r| r.provider == "deepseek"));
}

#[test]
fn deepseek_usage_prices_at_the_rate_of_its_day() {
    let catalog = Catalog::embedded().unwrap();
    let day = |s: &str| {
        spend_audit::util::day_start_ms(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
    };
    let price = |date: &str| {
        let mut r = spend_audit::ledger::LedgerRow::new(
            "deepseek",
            RecordRole::Usage,
            ChargeKind::Output,
            day(date),
            day(date),
            "x",
            2,
        );
        r.model_raw = Some("deepseek-chat".into());
        r.quantity = 1_000_000.0;
        Pricer::new(&catalog).price(&mut r);
        r.list_cost_nano
    };
    assert_eq!(price("2025-09-28"), Some(1_680_000_000));
    assert_eq!(price("2025-09-29"), Some(420_000_000));
}

#[test]
fn litellm_daily_spend_table() {
    let text = "id,date,user_id,api_key,model,model_group,custom_llm_provider,prompt_tokens,completion_tokens,cache_read_input_tokens,cache_creation_input_tokens,spend,api_requests,successful_requests,failed_requests\n\
d1,2026-10-03,u-1,88dce1,gpt-4.1,chat,openai,1000000,50000,200000,0,2.0,400,398,2\n";
    let (rows, outcome) = one_file("daily_user_spend.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("litellm_daily_spend_csv")
    );
    assert_eq!(qty(&rows, ChargeKind::Input), 800_000.0);
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 200_000.0);
    assert_eq!(qty(&rows, ChargeKind::Request), 400.0);
    assert!(rows
        .iter()
        .all(|r| r.role == RecordRole::Gateway && r.billed_cost_nano.is_none()));
}

#[test]
fn langfuse_generations_are_gateway_usage_and_spans_are_accounted_for() {
    let text = "id,trace_id,project_id,environment,type,parent_observation_id,start_time,end_time,name,metadata,provided_model_name,usage_details,cost_details,total_cost\n\
o1,t1,p1,prod,GENERATION,,2026-10-03 10:00:00.000,2026-10-03 10:00:02.000,summarise,\"{\"\"team\"\":\"\"docs\"\"}\",claude-haiku-4-5-20251001,\"{\"\"input\"\":1000,\"\"cache_read_input_tokens\"\":3000,\"\"output\"\":200}\",\"{\"\"total\"\":0.0021}\",0.0021\n\
o2,t1,p1,prod,SPAN,,2026-10-03 10:00:00.000,2026-10-03 10:00:02.000,retrieve,{},,{},{},0\n";
    let (rows, outcome) = one_file("observations.csv", text);
    let i = &outcome.inputs[0];
    assert_eq!(i.format.as_deref(), Some("langfuse_observations_csv"));
    assert_eq!((i.rows, i.out_of_scope_rows), (2, 1));
    assert_eq!(qty(&rows, ChargeKind::Input), 1_000.0);
    assert_eq!(qty(&rows, ChargeKind::CachedInput), 3_000.0);
    assert_eq!(rows[0].workload.as_deref(), Some("docs"));
}

/// Issue 10 B5 (part): a gateway model string that names a deployment is priced through the
/// config's `[deployments]` map; without it, it is listed as unpriced, never priced at $0.
#[test]
fn a_deployment_name_is_priced_through_the_configs_deployments_map() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "in/gw.csv",
        "request_id,spend,prompt_tokens,completion_tokens,startTime,model,custom_llm_provider,api_base\n\
r1,0,1000000,0,2026-10-15 09:00:00,azure/prod-chat-east,azure,https://contoso-eastus.openai.azure.com/openai\n",
    );
    let (_out, json) = audit_ok(&dir.path().join("in"), &["--month", "2026-10"]);
    let unpriced = json["unpriced"].as_array().unwrap();
    assert!(
        unpriced
            .iter()
            .any(|u| u["model"] == "azure/prod-chat-east"),
        "{unpriced:?}"
    );
    write(
        dir.path(),
        "config.toml",
        "[deployments]\n\"prod-chat-east\" = \"gpt-4o-2024-11-20\"\n",
    );
    let config = dir.path().join("config.toml");
    let (_out, json) = audit_ok(
        &dir.path().join("in"),
        &["--month", "2026-10", "--config", config.to_str().unwrap()],
    );
    assert!(
        json["unpriced"].as_array().unwrap().is_empty(),
        "{}",
        json["unpriced"]
    );
}

/// Issue 10 B5: a deployment string resolves through the log's own base-model fields first:
/// LiteLLM's `model_info.base_model` in the metadata, then its `model_group`; what still
/// resolves to nothing is listed as unpriced with its rows and tokens, naming what was tried.
#[test]
fn a_deployment_name_is_priced_through_the_logs_base_model_and_model_group() {
    let dir = tempfile::tempdir().unwrap();
    let header = "request_id,spend,prompt_tokens,completion_tokens,startTime,model,model_group,custom_llm_provider,api_base,metadata";
    let rows = [
        // The base model LiteLLM records for the deployment.
        r#"r1,0,1000000,0,2026-10-15 09:00:00,azure/prod-chat-east,chat-default,azure,https://contoso-eastus.openai.azure.com/openai,"{""model_info"": {""id"": ""d1"", ""base_model"": ""gpt-4o-2024-11-20""}}""#,
        // No base model: the model group names a catalog model.
        r#"r2,0,2000000,0,2026-10-15 10:00:00,azure/prod-mini,gpt-4o-mini-2024-07-18,azure,https://contoso-eastus.openai.azure.com/openai,{}"#,
        // Neither resolves.
        r#"r3,0,3000000,0,2026-10-15 11:00:00,azure/legacy-x,chat-default,azure,https://contoso-eastus.openai.azure.com/openai,{}"#,
    ];
    write(
        dir.path(),
        "gw.csv",
        &format!("{header}\n{}\n", rows.join("\n")),
    );
    let (rows, _) = ingest_rows(dir.path());
    let base = |model: &str| {
        let r = rows
            .iter()
            .find(|r| r.model_raw.as_deref() == Some(model))
            .unwrap();
        (r.model_base.clone(), r.model_group.clone())
    };
    assert_eq!(
        base("azure/prod-chat-east"),
        (
            Some("gpt-4o-2024-11-20".to_string()),
            Some("chat-default".to_string())
        )
    );
    let (out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    let unpriced = json["unpriced"].as_array().unwrap();
    assert_eq!(unpriced.len(), 1, "{unpriced:?}");
    assert_eq!(unpriced[0]["model"], "azure/legacy-x");
    assert_eq!(unpriced[0]["tokens"], 3_000_000.0);
    assert!(
        unpriced[0]["reason"]
            .as_str()
            .unwrap()
            .contains("model group `chat-default`"),
        "{}",
        unpriced[0]
    );
    // The two that resolved are priced as their base models (estimated lines in focus.csv).
    let mut rdr = csv::Reader::from_path(out.path().join("focus.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let (raw, id, list) = (at("x_ModelRaw"), at("x_ModelId"), at("x_CatalogListCost"));
    let mut priced: Vec<(String, String, String)> = rdr
        .records()
        .map(|r| {
            let r = r.unwrap();
            (r[raw].to_string(), r[id].to_string(), r[list].to_string())
        })
        .filter(|(_, _, list)| !list.is_empty() && list != "0")
        .collect();
    priced.sort();
    assert_eq!(
        priced,
        vec![
            (
                "azure/prod-chat-east".to_string(),
                "openai/gpt-4o".to_string(),
                "2.5".to_string()
            ),
            (
                "azure/prod-mini".to_string(),
                "openai/gpt-4o-mini".to_string(),
                "0.3".to_string()
            ),
        ]
    );
}
