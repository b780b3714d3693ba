//! `fixtures/mixed`: every format read today in one folder, with non-AI lines, an exact
//! duplicate, a non-export file and a truncated file. Known totals are in `fixtures/gen_mixed.py`.

use crate::common::*;

#[test]
fn mixed_folder_reconciles_per_provider_and_accounts_for_every_row() {
    let (out, json) = audit_ok(&repo().join("fixtures/mixed"), &["--month", "2026-10"]);
    let by = &json["totals"]["by_provider"];
    for (provider, amount) in [
        ("openai", "21.2289"),
        ("anthropic", "22.7395"),
        ("openrouter", "1.85231"),
        ("gcp", "14.0943"),
        ("azure", "30.75"),
        ("aws", "7.6375"),
        ("claude", "12.34"),
        ("deepseek", "0.378"),
    ] {
        assert_eq!(cents(&by[provider]), dec_cents(dec(amount)), "{provider}");
    }
    assert_eq!(
        by.as_object().unwrap().len(),
        8,
        "gateway logs and seat reports are not bills: {by}"
    );
    assert_eq!(
        cents(&json["totals"]["billed_cost"]),
        dec_cents(dec("111.02051"))
    );
    assert_eq!(
        cents(&json["totals"]["out_of_scope_cost"]),
        dec_cents(dec("22.955"))
    );
    // Every format read today is in the folder.
    let formats: std::collections::BTreeSet<&str> = json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["format"].as_str())
        .collect();
    for f in [
        "openai_usage_csv",
        "openai_cost_csv",
        "openai_cost_json",
        "anthropic_usage_csv",
        "anthropic_cost_csv",
        "anthropic_cost_json",
        "litellm_spend_csv",
        "litellm_payload_jsonl",
        "litellm_daily_spend_csv",
        "helicone_csv",
        "langfuse_observations_csv",
        "openrouter_activity_csv",
        "focus_csv",
        "azure_cost_csv",
        "aws_cur_legacy_csv",
        "aws_cur2_csv",
        "gcp_billing_export_json",
        "deepseek_amount_csv",
        "deepseek_cost_csv",
        "zip_archive",
        "copilot_seat_activity_csv",
        "chatgpt_user_analytics_csv",
        "claude_enterprise_spend_csv",
    ] {
        assert!(
            formats.contains(f),
            "{f} missing from the mixed fixture: {formats:?}"
        );
    }

    let input = |path: &str| input_entry(&json, path);
    assert_eq!(
        input("azure/ea_actual_2026-10 (1).csv")["status"],
        "duplicate"
    );
    assert_eq!(input("notes.md")["status"], "skipped");
    assert_eq!(input("aws/cur_legacy.csv")["out_of_scope_rows"], 1);
    assert_eq!(input("aws/cur2_data_export.csv")["format"], "aws_cur2_csv");
    assert_eq!(input("gcp/focus_export.csv")["format"], "focus_csv");
    assert_eq!(
        input("openrouter/activity_partial_download.csv")["rejected_rows"],
        1
    );
    assert_eq!(json["rejected_rows"], 1);
    let rejects = std::fs::read_to_string(out.path().join("rejects.csv")).unwrap();
    assert!(
        rejects.contains("openrouter/activity_partial_download.csv,3,"),
        "{rejects}"
    );
    // Every data row is accounted for exactly once.
    for i in json["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["status"] == "ingested")
    {
        let rows = i["rows"].as_u64().unwrap();
        let parts = i["rejected_rows"].as_u64().unwrap() + i["out_of_scope_rows"].as_u64().unwrap();
        assert!(parts <= rows, "{}", i["path"]);
    }
    let md = std::fs::read_to_string(out.path().join("report.md")).unwrap();
    assert!(
        md.contains("Out of scope (non-AI lines of cloud bills, left out of AI spend): $22.96"),
        "{md}"
    );
}

#[test]
fn a_bill_is_split_by_gateway_tokens_and_the_rest_stays_unattributed() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    // The whole month on the bill: 1M gpt-4.1 input tokens, list $2.00, billed $1.80 (a discount).
    write(p, "usage.csv", "start_time,end_time,project_id,num_model_requests,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens\n1790812800,1790899200,proj_a,10.0,key_a,gpt-4.1-2025-04-14,FALSE,default,1000000.0,0.0,0.0\n");
    write(p, "cost.csv", "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n1790812800,1790899200,a,b,1.80,usd,\"gpt-4.1-2025-04-14, input\",proj_a,org-a,A\n");
    // The gateway saw half of it: 300k tokens for team search ($0.60 list), 200k for ads ($0.40).
    write(p, "gw.csv", "request_id,spend,prompt_tokens,completion_tokens,startTime,model,custom_llm_provider,metadata\nr1,0.6,300000,0,2026-10-01 10:00:00,gpt-4.1,openai,\"{\"\"user_api_key_team_alias\"\": \"\"search\"\"}\"\nr2,0.4,200000,0,2026-10-01 11:00:00,gpt-4.1,openai,\"{\"\"user_api_key_team_alias\"\": \"\"ads\"\"}\"\n");
    let (out, o) = run_ingest(p, &["--month", "2026-10"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    let g = &json["gateway_allocation"][0];
    assert_eq!(g["provider"], "openai");
    assert_eq!(g["coverage"].as_f64().unwrap(), 0.5);
    assert_eq!(g["coverage_assumed"], false);
    // billed 1.80 × coverage 0.5 = 0.90, split 60/40.
    assert_eq!(g["workloads"][0]["workload"], "search");
    assert_eq!(cents(&g["workloads"][0]["allocated_cost"]), 54);
    assert_eq!(cents(&g["workloads"][1]["allocated_cost"]), 36);
    assert_eq!(cents(&g["unattributed"]), 90);
    // The gateway's own spend never reaches billed spend.
    assert_eq!(cents(&json["totals"]["billed_cost"]), 180);
}

#[test]
fn ptu_hours_are_linked_to_the_gateway_traffic_they_served() {
    let (out, o) = run_ingest(&repo().join("fixtures/mixed"), &["--month", "2026-10"]);
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    let caps = json["provisioned"].as_array().unwrap();
    assert_eq!(caps.len(), 1, "{caps:?}");
    let c = &caps[0];
    assert_eq!(
        (c["provider"].as_str(), c["resource"].as_str()),
        (Some("azure"), Some("oai-ptu"))
    );
    assert_eq!(c["hours"].as_f64(), Some(24.0));
    assert_eq!(cents(&c["billed_cost"]), 2400);
    assert_eq!(c["linked"], true);
    assert_eq!(c["served_tokens"].as_f64(), Some(1_100_000.0));
    // 1M input at $2.50 + 0.1M output at $10.00 (gpt-4o list).
    assert_eq!(cents(&c["payg_list_cost"]), 350);
    // …so the idle-capacity finding saves the difference.
    let f = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "idle_capacity")
        .unwrap();
    assert_eq!(f["scope"], "provisioned oai-ptu");
    assert_eq!(cents(&f["monthly_savings"]), 2400 - 350);
}

#[test]
fn the_config_links_a_gateway_endpoint_whose_name_differs() {
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("fixtures/mixed/azure/ea_actual_2026-10.csv");
    std::fs::create_dir_all(dir.path().join("in")).unwrap();
    std::fs::copy(src, dir.path().join("in/azure.csv")).unwrap();
    write(dir.path(), "in/gw.csv", "request_id,spend,prompt_tokens,completion_tokens,startTime,model,custom_llm_provider,api_base\nr1,0,1000,10,2026-10-15 09:00:00,gpt-4o,azure,https://proxy-east.openai.azure.com/openai\n");
    write(
        dir.path(),
        "config.toml",
        "[provisioned_links]\n\"proxy-east\" = \"oai-ptu\"\n",
    );
    let config = dir.path().join("config.toml");
    let (out, o) = run_ingest(
        &dir.path().join("in"),
        &["--month", "2026-10", "--config", config.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(json["provisioned"][0]["linked"], true);
    assert_eq!(
        json["provisioned"][0]["served_tokens"].as_f64(),
        Some(1010.0)
    );
}

#[test]
fn legacy_cur_resource_tag_columns_attribute_the_spend() {
    let (rows, _) = ingest_rows(&repo().join("fixtures/mixed/aws"));
    let bedrock = rows
        .iter()
        .find(|r| r.source_file == "cur_legacy.csv")
        .unwrap();
    assert_eq!(
        bedrock.tags.as_deref(),
        Some(r#"{"user_env":"prod","user_team":"chat-assist"}"#)
    );
    assert_eq!(bedrock.workload.as_deref(), Some("chat-assist"));
}

#[test]
fn the_mixed_folder_with_parquet_exports_added_still_reconciles() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let src = repo().join("fixtures/mixed");
    for f in spend_audit::ingest::walk(&src, None).unwrap() {
        let to = dir.path().join(spend_audit::ingest::relative(&src, &f));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&f, to).unwrap();
    }
    // A CUR 2.0 Data Export in Parquet: Bedrock $6.00 and EC2 $2.304 (out of scope).
    let mut cur = DataFrame::new_infer_height(vec![
        Column::new(
            "line_item_usage_start_date".into(),
            &["2026-10-20T00:00:00Z", "2026-10-20T00:00:00Z"],
        ),
        Column::new(
            "line_item_product_code".into(),
            &["AmazonBedrock", "AmazonEC2"],
        ),
        Column::new(
            "line_item_usage_type".into(),
            &["USE1-Claude4.6Sonnet-input-tokens", "BoxUsage:m5.large"],
        ),
        Column::new("line_item_usage_amount".into(), &[2000.0f64, 24.0]),
        Column::new("pricing_unit".into(), &["1K tokens", "Hrs"]),
        Column::new("line_item_unblended_cost".into(), &[6.0f64, 2.304]),
    ])
    .unwrap();
    ParquetWriter::new(
        std::fs::File::create(dir.path().join("aws/cur2-00002.snappy.parquet")).unwrap(),
    )
    .finish(&mut cur)
    .unwrap();
    // A FOCUS export in Parquet from Azure: one Azure OpenAI row of $27.45.
    let mut focus = DataFrame::new_infer_height(vec![
        Column::new("BilledCost".into(), &[27.45f64]),
        Column::new("ChargePeriodStart".into(), &["2026-10-21T00:00:00Z"]),
        Column::new("ServiceCategory".into(), &["AI and Machine Learning"]),
        Column::new("ServiceName".into(), &["Azure OpenAI"]),
        Column::new("ProviderName".into(), &["Microsoft"]),
        Column::new("SkuMeter".into(), &["gpt 4o 1120 Outp glbl Tokens"]),
        Column::new("ConsumedQuantity".into(), &[2_745_000.0f64]),
        Column::new("ConsumedUnit".into(), &["Tokens"]),
    ])
    .unwrap();
    ParquetWriter::new(
        std::fs::File::create(dir.path().join("azure/focus_2026-10.parquet")).unwrap(),
    )
    .finish(&mut focus)
    .unwrap();

    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(
        cents(&json["totals"]["by_provider"]["aws"]),
        dec_cents(dec("13.6375"))
    );
    assert_eq!(
        cents(&json["totals"]["by_provider"]["azure"]),
        dec_cents(dec("58.20"))
    );
    assert_eq!(
        cents(&json["totals"]["out_of_scope_cost"]),
        dec_cents(dec("25.259"))
    );
}

#[test]
fn a_well_used_ptu_is_not_idle() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("in")).unwrap();
    std::fs::copy(
        repo().join("fixtures/mixed/azure/ea_actual_2026-10.csv"),
        dir.path().join("in/azure.csv"),
    )
    .unwrap();
    // 10M input tokens through the PTU: $25.00 at pay-as-you-go, more than its $24.00 of hours.
    write(dir.path(), "in/gw.csv", "request_id,spend,prompt_tokens,completion_tokens,startTime,model,custom_llm_provider,api_base\nr1,0,10000000,0,2026-10-15 09:00:00,gpt-4o,azure,https://oai-ptu.openai.azure.com/openai\n");
    let (out, o) = run_ingest(&dir.path().join("in"), &["--month", "2026-10"]);
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(cents(&json["provisioned"][0]["payg_list_cost"]), 2500);
    assert!(
        !json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "idle_capacity"),
        "{}",
        json["findings"]
    );
}

#[test]
fn billing_discrepancy_over_and_under_list() {
    let usage = "start_time,end_time,project_id,num_model_requests,api_key_id,model,batch,service_tier,input_tokens,output_tokens,input_cached_tokens\n\
1790812800,1790899200,proj_a,10.0,key_a,gpt-4.1-2025-04-14,FALSE,default,100000000.0,0.0,0.0\n\
1790812800,1790899200,proj_a,10.0,key_a,gpt-4o-2024-08-06,FALSE,default,100000000.0,0.0,0.0\n";
    // gpt-4.1: 100M input is $200.00 at list, billed $230.00 (+15%). gpt-4o: $250.00 at list,
    // billed $200.00 (a 20% discount nobody recorded).
    let cost = "start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n\
1790812800,1790899200,a,b,230.00,usd,\"gpt-4.1-2025-04-14, input\",proj_a,org-a,A\n\
1790812800,1790899200,a,b,200.00,usd,\"gpt-4o-2024-08-06, input\",proj_a,org-a,A\n";
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "usage.csv", usage);
    write(dir.path(), "cost.csv", cost);
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    let by_scope = |s: &str| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["kind"] == "billing_discrepancy" && f["scope"] == s)
            .cloned()
    };
    let over = by_scope("model openai/gpt-4.1").expect("overbilling reported");
    assert_eq!(cents(&over["monthly_savings"]), 3000);
    assert_eq!(over["confidence"], "medium");
    let under = by_scope("model openai/gpt-4o").expect("unrecorded discount reported");
    assert_eq!(cents(&under["monthly_savings"]), 0);
    assert_eq!(under["confidence"], "low");
}

#[test]
fn anomalies_spike_and_new_model_are_reported_without_a_saving() {
    let mut cost = String::from("start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name\n");
    for d in 0..14i64 {
        let start = 1_790_812_800 + d * 86_400;
        let amount = if d == 9 { "100.00" } else { "10.00" }; // 2026-10-10 spikes
        cost.push_str(&format!(
            "{start},{},a,b,{amount},usd,\"gpt-4.1, input\",proj_a,org-a,A\n",
            start + 86_400
        ));
    }
    // A model first billed on 2026-10-20, after the first week.
    let late = 1_790_812_800 + 19 * 86_400;
    cost.push_str(&format!(
        "{late},{},a,b,5.00,usd,\"gpt-5-mini, input\",proj_a,org-a,A\n",
        late + 86_400
    ));
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cost.csv", &cost);
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    let anomalies: Vec<&serde_json::Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "anomaly")
        .collect();
    let scopes: Vec<&str> = anomalies
        .iter()
        .map(|f| f["scope"].as_str().unwrap())
        .collect();
    assert!(scopes.contains(&"spend spike 2026-10-10"), "{scopes:?}");
    assert!(scopes.contains(&"new model gpt-5-mini"), "{scopes:?}");
    assert!(!scopes.iter().any(|s| s.contains("gpt-4.1")), "{scopes:?}");
    assert!(anomalies.iter().all(|f| cents(&f["monthly_savings"]) == 0));
}

#[test]
fn many_new_keys_are_one_summary_and_gateway_keys_are_not_new() {
    let mut cost = String::from("start_time,end_time,start_time_iso,end_time_iso,amount_value,amount_currency,line_item,project_id,organization_id,organization_name,api_key_id\n");
    cost.push_str("1790812800,1790899200,a,b,1.00,usd,\"gpt-4.1, input\",proj_a,org-a,A,key_old\n");
    for k in 0..12 {
        let start = 1_790_812_800 + 20 * 86_400;
        cost.push_str(&format!(
            "{start},{},a,b,1.00,usd,\"gpt-4.1, input\",proj_a,org-a,A,key_{k}\n",
            start + 86_400
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "cost.csv", &cost);
    // A gateway log whose keys are hashed per request: none of them is reported.
    let mut gw = String::from("request_id,spend,prompt_tokens,completion_tokens,startTime,model,custom_llm_provider,api_key\n");
    for k in 0..30 {
        gw.push_str(&format!(
            "r{k},0,100,10,2026-10-25 10:00:00,gpt-4.1,openai,hash{k}\n"
        ));
    }
    write(dir.path(), "gw.csv", &gw);
    let (out, o) = run_ingest(dir.path(), &["--month", "2026-10"]);
    assert!(o.status.success());
    let json = read_json(&out.path().join("findings.json"));
    let scopes: Vec<&str> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "anomaly")
        .map(|f| f["scope"].as_str().unwrap())
        .collect();
    assert_eq!(scopes, vec!["new API keys"], "{scopes:?}");
}
