//! Cloud bills, FOCUS and OpenRouter (issue 3, partial): constructed rows in the real column
//! order, the unit traps (1K blocks), out-of-scope accounting, the public samples in
//! `tests/data/public` (copied from the shared samples), and the FOCUS 1.2 export.

use crate::common::*;
use rust_decimal::Decimal;
use spend_audit::ingest::InputStatus;
use spend_audit::ledger::{ChargeKind, LedgerRow, RecordRole, ServiceTier};
use spend_audit::pricing::{Catalog, Pricer};
use std::collections::BTreeMap;
use std::path::Path;

const AZURE_HEADER: &str = "InvoiceSectionName,AccountName,AccountOwnerId,SubscriptionId,SubscriptionName,ResourceGroup,ResourceLocation,Date,ProductName,MeterCategory,MeterSubCategory,MeterId,MeterName,MeterRegion,UnitOfMeasure,Quantity,EffectivePrice,CostInBillingCurrency,CostCenter,ConsumedService,ResourceId,Tags,OfferId,AdditionalInfo,ServiceInfo1,ServiceInfo2,ResourceName,ReservationId,ReservationName,UnitPrice,ProductOrderId,ProductOrderName,Term,PublisherType,PublisherName,ChargeType,Frequency,PricingModel,AvailabilityZone,BillingAccountId,BillingAccountName,BillingCurrencyCode,BillingPeriodStartDate,BillingPeriodEndDate,BillingProfileId,BillingProfileName,InvoiceSectionId,IsAzureCreditEligible,PartNumber,PayGPrice,PlanName,ServiceFamily,CostAllocationRuleName,benefitId,benefitName";

#[allow(clippy::too_many_arguments)]
fn azure_row(
    date: &str,
    category: &str,
    sub: &str,
    meter: &str,
    unit: &str,
    qty: &str,
    price: &str,
    cost: &str,
    tags: &str,
) -> String {
    format!(
        "Sec,Acct,owner,sub-1,Prod Sub,rg-ai,eastus,{date},Azure OpenAI,{category},{sub},m-1,{meter},East US,{unit},{qty},{price},{cost},,Microsoft.CognitiveServices,/subscriptions/sub-1/resourceGroups/rg-ai/providers/Microsoft.CognitiveServices/accounts/oai-prod,\"{tags}\",MS-AZR-0017P,,,,oai-prod,,,{price},,,,Azure,Microsoft,Usage,UsageBased,OnDemand,,ba-1,Northwind,USD,10/1/2026,10/31/2026,bp,bp,is,TRUE,P1,{price},,AI + Machine Learning,,,"
    )
}

#[test]
fn azure_openai_meters_scale_1k_blocks_and_read_tags() {
    let text = format!(
        "\u{feff}{AZURE_HEADER}\n{}\n{}\n{}\n",
        azure_row(
            "10/15/2026",
            "Foundry Models",
            "Azure OpenAI",
            "gpt 4o 1120 cached Inp glbl Tokens",
            "1K",
            "5400",
            "0.00125",
            "6.75",
            r#"""team"": ""search"",""env"": ""prod"""#
        ),
        azure_row(
            "10/15/2026",
            "Foundry Models",
            "Azure OpenAI",
            "Provisioned Managed Global Unit",
            "1/Hour",
            "24",
            "1",
            "24",
            ""
        ),
        azure_row(
            "10/15/2026",
            "Virtual Machines",
            "Dv5",
            "D4s v5",
            "1 Hour",
            "24",
            "0.192",
            "4.608",
            ""
        ),
    );
    let (mut rows, outcome) = one_file("azure.csv", &text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("azure_cost_csv"));
    assert_eq!(outcome.inputs[0].out_of_scope_rows, 1);
    assert_eq!(outcome.inputs[0].out_of_scope_cost_nano, 4_608_000_000);
    assert_eq!(rows.len(), 2);
    let r = &mut rows[0];
    assert_eq!(
        (r.provider, r.role, r.charge_kind),
        ("azure", RecordRole::Billed, ChargeKind::CachedInput)
    );
    assert_eq!(
        r.quantity, 5_400_000.0,
        "UnitOfMeasure 1K: Quantity counts thousands of tokens"
    );
    assert_eq!(r.billed_cost_nano, Some(6_750_000_000));
    assert_eq!(r.model_raw.as_deref(), Some("gpt-4o-2024-11-20"));
    assert_eq!(r.sub_account.as_deref(), Some("oai-prod"));
    assert_eq!(r.tags.as_deref(), Some(r#"{"env":"prod","team":"search"}"#));
    assert_eq!(r.workload.as_deref(), Some("search"));
    // Priced at the catalog's cached gpt-4o rate, the 1K-scaled quantity gives the billed amount.
    let catalog = Catalog::embedded().unwrap();
    Pricer::new(&catalog).price(r);
    assert_eq!(r.list_cost_nano, Some(6_750_000_000));
    let ptu = &rows[1];
    assert_eq!(
        (ptu.charge_kind, ptu.quantity, ptu.unit),
        (ChargeKind::ProvisionedHour, 24.0, "hours")
    );
}

#[test]
fn aws_cur2_bedrock_lines_and_out_of_scope() {
    let text = "identity_line_item_id,identity_time_interval,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_usage_end_date,line_item_product_code,line_item_usage_type,line_item_operation,line_item_resource_id,line_item_usage_amount,pricing_unit,line_item_currency_code,line_item_unblended_cost,line_item_net_unblended_cost,line_item_iam_principal,product,resource_tags\n\
a1,2026-10-02T00:00:00Z/2026-10-03T00:00:00Z,111122223333,444455556666,Usage,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,AmazonBedrock,USE1-Claude4.6Sonnet-output-tokens,InvokeModel,,142.5,1K tokens,USD,2.1375,2.03,arn:aws:sts::111122223333:assumed-role/ChatApp/session-1,\"{\"\"product_name\"\": \"\"Amazon Bedrock\"\"}\",\"{\"\"user_team\"\": \"\"search\"\"}\"\n\
a2,2026-10-02T00:00:00Z/2026-10-03T00:00:00Z,111122223333,444455556666,Usage,2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,AmazonEC2,BoxUsage:m5.large,RunInstances,i-1,24,Hrs,USD,2.304,2.304,,{},{}\n";
    let (rows, outcome) = one_file("cur2.csv", text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("aws_cur2_csv"));
    assert_eq!(outcome.inputs[0].out_of_scope_rows, 1);
    assert_eq!(outcome.inputs[0].out_of_scope_cost_nano, 2_304_000_000);
    let r = &rows[0];
    assert_eq!(
        (r.provider, r.charge_kind, r.quantity),
        ("aws", ChargeKind::Output, 142_500.0)
    );
    assert_eq!(r.model_raw.as_deref(), Some("claude-sonnet-4-6"));
    assert_eq!(r.billed_cost_nano, Some(2_137_500_000));
    assert_eq!(
        r.api_key.as_deref(),
        Some("arn:aws:sts::111122223333:assumed-role/ChatApp/session-1")
    );
    assert_eq!(r.workload.as_deref(), Some("search"));
}

#[test]
fn openrouter_credits_are_billed() {
    let text = "generation_id,created_at,cost_total,cost_web_search,cost_cache,cost_file_processing,byok_usage_inference,tokens_prompt,tokens_completion,tokens_reasoning,tokens_cached,model_permaslug,provider_name,variant,cancelled,streamed,user,finish_reason_raw,finish_reason_normalized,generation_time_ms,time_to_first_token_ms,app_name,api_key_name\n\
gen-1767300000-demo,2026-01-01 10:00:00.123,0.00231,0,-0.0004,0,0,1800,240,0,1024,anthropic/claude-sonnet-4,Anthropic,standard,false,true,u-42,end_turn,stop,2100,640,my-app,prod-key\n";
    let (rows, outcome) = one_file("openrouter.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("openrouter_activity_csv")
    );
    let billed: i64 = rows.iter().filter_map(|r| r.billed_cost_nano).sum();
    assert_eq!(billed, 2_310_000);
    assert!(rows
        .iter()
        .all(|r| r.provider == "openrouter" && r.role == RecordRole::Billed));
    let q = |k| {
        rows.iter()
            .filter(|r| r.charge_kind == k)
            .map(|r| r.quantity)
            .sum::<f64>()
    };
    assert_eq!(
        (
            q(ChargeKind::Input),
            q(ChargeKind::CachedInput),
            q(ChargeKind::Output)
        ),
        (776.0, 1024.0, 240.0)
    );
}

#[test]
fn focus_ai_rows_are_in_scope_and_others_are_not() {
    let text = "BilledCost,EffectiveCost,ListCost,ContractedCost,BillingCurrency,ChargeCategory,ChargeFrequency,ChargePeriodStart,ChargePeriodEnd,ServiceCategory,ServiceSubcategory,ServiceName,ProviderName,PublisherName,SkuMeter,ConsumedQuantity,ConsumedUnit,PricingQuantity,PricingUnit,SubAccountId,Tags\n\
27.45,27.45,30.50,27.45,USD,Usage,Usage-Based,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,AI and Machine Learning,Generative AI,Azure OpenAI,Microsoft,Microsoft,gpt 4o 1120 Outp glbl Tokens,2745000,Tokens,2745,1K Tokens,/subscriptions/s,\"{\"\"team\"\":\"\"search\"\"}\"\n\
1.50,1.50,1.50,1.50,USD,Usage,Usage-Based,2026-03-01T00:00:00Z,2026-03-02T00:00:00Z,Storage,Object Storage,Storage,Microsoft,Microsoft,Hot LRS,10,GB,10,GB,/subscriptions/s,\n";
    let (rows, outcome) = one_file("focus.csv", text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("focus_csv"));
    assert_eq!(
        (
            outcome.inputs[0].out_of_scope_rows,
            outcome.inputs[0].out_of_scope_cost_nano
        ),
        (1, 1_500_000_000)
    );
    let r = &rows[0];
    assert_eq!(
        (r.provider, r.charge_kind, r.quantity),
        ("azure", ChargeKind::Output, 2_745_000.0)
    );
    assert_eq!(r.model_raw.as_deref(), Some("gpt-4o-2024-11-20"));
    assert_eq!(r.billed_cost_nano, Some(27_450_000_000));
    assert_eq!(r.effective_cost_nano, Some(27_450_000_000));
    assert_eq!(r.source_reported_cost_nano, Some(30_500_000_000));
    assert_eq!(r.service_tier, ServiceTier::Standard);
}

/// Sums one cost column of a CSV exactly (BOM and `NULL` tolerated).
fn column_sum(path: &Path, column: &str) -> Decimal {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes)
        .trim_start_matches('\u{feff}')
        .to_string();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let idx = rdr
        .headers()
        .unwrap()
        .iter()
        .position(|h| h.eq_ignore_ascii_case(column))
        .unwrap();
    rdr.records()
        .map(|r| r.unwrap()[idx].to_string())
        .filter(|v| !v.is_empty() && v != "NULL")
        .map(|v| spend_audit::money::parse_decimal(&v).unwrap())
        .sum()
}

#[test]
fn public_samples_ingest_and_out_of_scope_plus_ai_equals_each_files_cost() {
    let samples = repo().join("tests/data/public");
    assert!(
        samples.is_dir(),
        "the vendored public samples are expected at {}",
        samples.display()
    );
    let cases: Vec<(&str, &str, &str)> = vec![
        ("focus-sample-data", "focus_sample.csv", "BilledCost"),
        (
            "focus-converters",
            "aws-cur-legacy-sample-anonymous.csv",
            "lineItem/UnblendedCost",
        ),
        (
            "focus-converters",
            "azure-ea-actual-cost-sample-anonymous.csv",
            "CostInBillingCurrency",
        ),
    ];
    let mut files: Vec<(String, String, String)> = cases
        .iter()
        .map(|(d, f, c)| (d.to_string(), f.to_string(), c.to_string()))
        .collect();
    let spec = samples.join("focus-spec-examples");
    for f in spend_audit::ingest::walk(&spec, None).unwrap() {
        if f.extension().is_some_and(|e| e == "csv") {
            files.push((
                "focus-spec-examples".into(),
                spend_audit::ingest::relative(&spec, &f),
                "BilledCost".into(),
            ));
        }
    }
    assert!(files.len() > 20);
    for dir in [
        "focus-sample-data",
        "focus-converters",
        "focus-spec-examples",
    ] {
        let (rows, outcome) = ingest_rows(&samples.join(dir));
        let mut billed_by_file: BTreeMap<String, i128> = BTreeMap::new();
        for r in &rows {
            *billed_by_file.entry(r.source_file.clone()).or_default() +=
                r.billed_cost_nano.unwrap_or(0) as i128;
        }
        for (_, file, column) in files.iter().filter(|(d, _, _)| d == dir) {
            let input = outcome
                .inputs
                .iter()
                .find(|i| &i.path == file)
                .unwrap_or_else(|| panic!("{file} not listed"));
            assert_eq!(
                input.status,
                InputStatus::Ingested,
                "{file}: {:?}",
                input.reason
            );
            assert_eq!(
                input.rejected_rows,
                0,
                "{file}: {:?}",
                outcome.rejects.iter().take(3).collect::<Vec<_>>()
            );
            let expected = column_sum(&samples.join(dir).join(file), column);
            let got = input.out_of_scope_cost_nano + billed_by_file.get(file).copied().unwrap_or(0);
            let expected_nanos = spend_audit::money::decimal_to_nanos(expected).unwrap() as i128;
            assert!(
                (got - expected_nanos).abs() <= input.rows as i128,
                "{file}: {got} vs {expected_nanos}"
            );
            assert_eq!(
                spend_audit::money::nanos_to_cents(got),
                spend_audit::money::nanos_to_cents(expected_nanos),
                "{file}"
            );
        }
    }
    // Most of these bills are not AI: the AWS CUR and Azure EA samples have no AI line at all.
    let (_, outcome) = ingest_rows(&samples.join("focus-converters"));
    for f in [
        "aws-cur-legacy-sample-anonymous.csv",
        "azure-ea-actual-cost-sample-anonymous.csv",
    ] {
        let i = outcome.inputs.iter().find(|i| i.path == f).unwrap();
        assert_eq!(i.out_of_scope_rows, i.rows, "{f}");
    }
}

#[test]
fn focus_export_follows_the_spec_rules() {
    let config = repo().join("fixtures/demo.toml");
    let (out, o) = run_ingest(
        &repo().join("fixtures/demo"),
        &["--config", config.to_str().unwrap()],
    );
    assert!(o.status.success());
    let text = std::fs::read_to_string(out.path().join("focus.csv")).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = rdr.headers().unwrap().iter().map(str::to_string).collect();
    for col in [
        "BilledCost",
        "BillingAccountId",
        "BillingAccountName",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "ContractedCost",
        "EffectiveCost",
        "InvoiceIssuerName",
        "ListCost",
        "PricingQuantity",
        "PricingUnit",
        "ProviderName",
        "PublisherName",
        "ServiceCategory",
        "ServiceName",
    ] {
        assert!(
            header.iter().any(|h| h == col),
            "mandatory column {col} missing"
        );
    }
    // Every FOCUS 1.2 column name (research/formats.md §6a); anything else must be `x_`.
    const FOCUS_1_2: &[&str] = &[
        "AvailabilityZone",
        "BilledCost",
        "BillingAccountId",
        "BillingAccountName",
        "BillingAccountType",
        "BillingCurrency",
        "BillingPeriodEnd",
        "BillingPeriodStart",
        "CapacityReservationId",
        "CapacityReservationStatus",
        "ChargeCategory",
        "ChargeClass",
        "ChargeDescription",
        "ChargeFrequency",
        "ChargePeriodEnd",
        "ChargePeriodStart",
        "CommitmentDiscountCategory",
        "CommitmentDiscountId",
        "CommitmentDiscountName",
        "CommitmentDiscountQuantity",
        "CommitmentDiscountStatus",
        "CommitmentDiscountType",
        "CommitmentDiscountUnit",
        "ConsumedQuantity",
        "ConsumedUnit",
        "ContractedCost",
        "ContractedUnitPrice",
        "EffectiveCost",
        "InvoiceId",
        "InvoiceIssuerName",
        "ListCost",
        "ListUnitPrice",
        "PricingCategory",
        "PricingCurrency",
        "PricingCurrencyContractedUnitPrice",
        "PricingCurrencyEffectiveCost",
        "PricingCurrencyListUnitPrice",
        "PricingQuantity",
        "PricingUnit",
        "ProviderName",
        "PublisherName",
        "RegionId",
        "RegionName",
        "ResourceId",
        "ResourceName",
        "ResourceType",
        "ServiceCategory",
        "ServiceName",
        "ServiceSubcategory",
        "SkuId",
        "SkuMeter",
        "SkuPriceDetails",
        "SkuPriceId",
        "SubAccountId",
        "SubAccountName",
        "SubAccountType",
        "Tags",
    ];
    for h in &header {
        assert!(
            h.starts_with("x_") || FOCUS_1_2.contains(&h.as_str()),
            "custom column {h} lacks the x_ prefix"
        );
    }
    let iso = |s: &str| {
        s.len() == 20
            && s.ends_with('Z')
            && s.as_bytes()[10] == b'T'
            && chrono::DateTime::parse_from_rfc3339(s).is_ok()
    };
    let pos = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut billed = Decimal::ZERO;
    let mut n = 0;
    for rec in rdr.records() {
        let rec = rec.unwrap();
        for c in [
            "ChargePeriodStart",
            "ChargePeriodEnd",
            "BillingPeriodStart",
            "BillingPeriodEnd",
        ] {
            assert!(
                iso(&rec[pos(c)]),
                "{c} = `{}` is not ISO 8601 UTC with Z",
                &rec[pos(c)]
            );
        }
        billed += dec(&rec[pos("BilledCost")]);
        n += 1;
    }
    assert!(n > 0);
    let json = read_json(&out.path().join("findings.json"));
    assert_eq!(
        dec_cents(billed),
        cents(&json["totals"]["billed_cost"]),
        "focus.csv BilledCost reconciles"
    );
}

const CUR2_HEADER: &str = "line_item_usage_start_date,line_item_usage_end_date,line_item_product_code,line_item_usage_type,line_item_usage_amount,pricing_unit,line_item_currency_code,line_item_unblended_cost,bill_payer_account_id";

#[test]
fn gzip_cur_is_read_as_downloaded() {
    use std::io::Write;
    let csv = format!(
        "{CUR2_HEADER}\n2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,AmazonBedrock,USE1-Claude4.6Sonnet-output-tokens,142.5,1K tokens,USD,2.1375,111122223333\n2026-10-02T00:00:00Z,2026-10-03T00:00:00Z,AmazonS3,TimedStorage-ByteHrs,1,GB-Mo,USD,0.023,111122223333\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.as_bytes()).unwrap();
    std::fs::write(dir.path().join("cur-00001.csv.gz"), gz.finish().unwrap()).unwrap();
    let (rows, outcome) = ingest_rows(dir.path());
    let i = &outcome.inputs[0];
    assert_eq!(
        (i.format.as_deref(), i.rows, i.out_of_scope_rows),
        (Some("aws_cur2_csv"), 2, 1)
    );
    assert_eq!(rows[0].billed_cost_nano, Some(2_137_500_000));
    assert_eq!(rows[0].quantity, 142_500.0);
}

#[test]
fn parquet_cur_is_read_with_its_numbers() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let mut df = DataFrame::new_infer_height(vec![
        Column::new(
            "line_item_usage_start_date".into(),
            &["2026-10-02T00:00:00Z", "2026-10-02T00:00:00Z"],
        ),
        Column::new(
            "line_item_usage_end_date".into(),
            &["2026-10-03T00:00:00Z", "2026-10-03T00:00:00Z"],
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
        Column::new("line_item_currency_code".into(), &["USD", "USD"]),
        Column::new("line_item_unblended_cost".into(), &[6.0f64, 2.304]),
    ])
    .unwrap();
    let file = std::fs::File::create(dir.path().join("cur2.parquet")).unwrap();
    ParquetWriter::new(file).finish(&mut df).unwrap();
    let (rows, outcome) = ingest_rows(dir.path());
    let i = &outcome.inputs[0];
    assert_eq!(i.format.as_deref(), Some("aws_cur2_csv"), "{:?}", i.reason);
    assert_eq!(
        (i.rows, i.out_of_scope_rows, i.out_of_scope_cost_nano),
        (2, 1, 2_304_000_000)
    );
    assert_eq!(
        (rows[0].charge_kind, rows[0].quantity),
        (ChargeKind::Input, 2_000_000.0)
    );
    assert_eq!(rows[0].billed_cost_nano, Some(6_000_000_000));
}

#[test]
fn older_azure_usage_export_column_names_are_accepted() {
    // Older EA / usage-API exports: `UsageDateTime`, `PreTaxCost`, `MeterSubcategory`, `InstanceId`.
    let text = "SubscriptionGuid,SubscriptionName,UsageDateTime,MeterCategory,MeterSubcategory,MeterName,UnitOfMeasure,Quantity,PreTaxCost,Currency,InstanceId,Tags\n\
sub-1,Prod,2026-10-04,Cognitive Services,Azure OpenAI,gpt-4o-0806-outp-glbl Tokens,1K,100,1.0,USD,/subscriptions/sub-1/providers/Microsoft.CognitiveServices/accounts/oai-old,\n";
    let (rows, outcome) = one_file("usage_details.csv", text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("azure_cost_csv"));
    assert_eq!(outcome.rejects.len(), 0, "{:?}", outcome.rejects);
    assert_eq!(rows[0].billed_cost_nano, Some(1_000_000_000));
    assert_eq!(
        (rows[0].charge_kind, rows[0].quantity),
        (ChargeKind::Output, 100_000.0)
    );
    assert_eq!(rows[0].resource.as_deref(), Some("oai-old"));
}

#[test]
fn anthropic_usage_variants_single_cache_write_and_hourly_rows() {
    let text = "usage_date_utc,model_version,api_key,workspace,usage_type,context_window,usage_input_tokens_no_cache,usage_input_tokens_cache_write,usage_input_tokens_cache_read,usage_output_tokens\n\
2026-01-05 13:00:00,claude-sonnet-4-20250514,prod-key,Default,standard,≤ 200k,100,40,0,10\n";
    let (rows, outcome) = one_file("claude_usage_hourly.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("anthropic_usage_csv")
    );
    let write: Vec<_> = rows
        .iter()
        .filter(|r| r.charge_kind == ChargeKind::CacheWrite)
        .collect();
    assert_eq!(
        (write[0].quantity, write[0].cache_ttl),
        (40.0, Some(spend_audit::ledger::CacheTtl::FiveMinutes))
    );
    assert_eq!(
        rows[0].period_end_ms - rows[0].period_start_ms,
        3_600_000,
        "an hourly row is an hour wide"
    );
}

#[test]
fn azure_ptu_reservation_purchase_is_billed_and_marked() {
    let text = format!(
        "{AZURE_HEADER}\n{}\n",
        azure_row(
            "10/1/2026",
            "Foundry Models",
            "Azure OpenAI",
            "Provisioned Managed Global",
            "1/Month",
            "50",
            "260",
            "13000",
            ""
        )
        .replace(
            ",Usage,UsageBased,OnDemand,",
            ",Purchase,OneTime,Reservation,"
        )
    );
    let (rows, outcome) = one_file("amortized.csv", &text);
    assert_eq!(outcome.rejects.len(), 0);
    assert_eq!(rows[0].billed_cost_nano, Some(13_000 * 1_000_000_000));
    assert_eq!(rows[0].charge_kind, ChargeKind::ProvisionedHour);
    assert_eq!(
        rows[0].unit, "none",
        "a monthly reservation is not unit-hours"
    );
    assert!(rows[0]
        .tags
        .as_deref()
        .unwrap()
        .contains(r#""x_pricing_model":"Reservation""#));
}

#[test]
fn focus_1_3_ai_rows_read_provider_model_kind_tokens_and_credential_from_the_row() {
    let text = std::fs::read_to_string(repo().join("tests/data/focus/focus-1.3-ai.csv")).unwrap();
    let (rows, outcome) = one_file("focus.csv", &text);
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("focus_csv"));
    assert_eq!(outcome.inputs[0].out_of_scope_rows, 1);
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.provider,
                r.model_raw.as_deref(),
                r.charge_kind,
                r.quantity,
                r.api_key.as_deref(),
            )
        })
        .collect();
    let m = Some("gpt-4.1-2025-04-14");
    let key = Some("key_search_prod");
    assert_eq!(
        got,
        [
            ("openai", m, ChargeKind::Input, 10_000_000.0, key),
            ("openai", m, ChargeKind::Output, 1_000_000.0, key),
            ("openai", m, ChargeKind::CachedInput, 2_000_000.0, key),
        ]
    );
    assert!(rows.iter().all(|r| r.workload.as_deref() == Some("search")));
}

/// Issue 10 B4: a German-header Azure export reads like the English one.
#[test]
fn an_azure_export_with_localised_headers_reads_by_the_english_names_in_parentheses() {
    let english =
        std::fs::read_to_string(repo().join("fixtures/mixed/azure/ea_actual_2026-10.csv")).unwrap();
    let (want, _) = one_file("azure.csv", &english);
    let german = [
        ("SubscriptionId", "Abonnement-ID (SubscriptionId)"),
        (
            "MeterCategory",
            "Kategorie der Verbrauchseinheit (MeterCategory)",
        ),
        ("MeterName", "Name der Verbrauchseinheit (MeterName)"),
        ("Quantity", "Menge (Quantity)"),
        (
            "CostInBillingCurrency",
            "Kosten in Abrechnungswährung (CostInBillingCurrency)",
        ),
        ("Date", "Datum (Date)"),
    ];
    let (header, body) = english.split_once('\n').unwrap();
    let localised: Vec<String> = header
        .split(',')
        .map(|h| {
            german
                .iter()
                .find(|(en, _)| h.trim_start_matches('\u{feff}') == *en)
                .map_or(h.to_string(), |(_, de)| de.to_string())
        })
        .collect();
    let (got, outcome) = one_file("azure_de.csv", &format!("{}\n{body}", localised.join(",")));
    assert_eq!(outcome.inputs[0].format.as_deref(), Some("azure_cost_csv"));
    let billed = |rows: &[LedgerRow]| rows.iter().filter_map(|r| r.billed_cost_nano).sum::<i64>();
    assert_eq!((got.len(), billed(&got)), (want.len(), billed(&want)));
    assert!(billed(&got) > 0);
}

/// Issue 10 B4: the BigQuery billing export saved as CSV (dotted names, JSON credits).
#[test]
fn the_gcp_billing_export_saved_from_bigquery_as_csv_is_read() {
    let text = "billing_account_id,service.id,service.description,sku.id,sku.description,usage_start_time,usage_end_time,project.id,project.name,labels,location.location,location.region,cost,currency,usage.amount,usage.unit,credits,invoice.month,cost_type\n\
01A2B3-C4D5E6-F7G8H9,C7E2-9256-1C43,Vertex AI,5A1B-1A2B-3C4D,Gemini 2.5 Pro Input Text Tokens,2026-10-01 07:00:00 UTC,2026-10-01 08:00:00 UTC,proj-search,search,\"[{\"\"key\"\":\"\"team\"\",\"\"value\"\":\"\"search\"\"}]\",us-central1,us-central1,12.5,USD,10000000,count,\"[{\"\"name\"\":\"\"FreeTrial\"\",\"\"amount\"\":-2.5,\"\"type\"\":\"\"FREE_TRIAL\"\"}]\",202610,regular\n\
01A2B3-C4D5E6-F7G8H9,6F81-5844-456A,Compute Engine,9B2C-3D4E-5F6A,N2 Instance Core,2026-10-01 07:00:00 UTC,2026-10-01 08:00:00 UTC,proj-search,search,[],us-central1,us-central1,4.00,USD,3600,seconds,[],202610,regular\n";
    let (rows, outcome) = one_file("bq_export.csv", text);
    assert_eq!(
        outcome.inputs[0].format.as_deref(),
        Some("gcp_billing_export_csv")
    );
    assert_eq!(
        (
            outcome.inputs[0].out_of_scope_rows,
            outcome.inputs[0].out_of_scope_cost_nano
        ),
        (1, 4_000_000_000)
    );
    // The charge and its credit, as the JSON export gives them.
    let billed: Vec<i64> = rows.iter().filter_map(|r| r.billed_cost_nano).collect();
    assert_eq!(billed, [12_500_000_000, -2_500_000_000]);
    assert_eq!(rows[0].quantity, 10_000_000.0);
    assert!(
        rows[0]
            .model_raw
            .as_deref()
            .unwrap()
            .contains("gemini-2.5-pro"),
        "{:?}",
        rows[0].model_raw
    );
    assert_eq!(rows[0].workload.as_deref(), Some("search"));
}

/// Issue 10 B3: Azure OpenAI meters are read from the meter table as Azure writes them today;
/// an unknown meter is listed with its cost and no made-up model; a quantity its cost
/// contradicts by more than 10× is flagged, its money still billed.
#[test]
fn azure_meters_are_looked_up_unknown_ones_listed_and_unit_errors_flagged() {
    let row = |meter: &str, unit: &str, qty: &str, cost: &str| {
        azure_row(
            "10/15/2026",
            "Foundry Models",
            "Azure OpenAI",
            meter,
            unit,
            qty,
            "0",
            cost,
            "",
        )
    };
    let text = format!(
        "{AZURE_HEADER}\n{}\n{}\n{}\n",
        // Today's style: no `gpt` prefix, `pp`, `Gl`, `1M Tokens`: 10M tokens of gpt-5-mini
        // input on priority processing.
        row("5 mini pp Inp Gl 1M Tokens", "1M Tokens", "10", "4.50"),
        row(
            "gpt 9 hyper turbo Inp Gl 1M Tokens",
            "1M Tokens",
            "1",
            "4.00"
        ),
        // 3e12 tokens for $1.50 ($0.0004 per 1K): a unit error.
        row("gpt 4.1 mini Inp glbl Tokens", "1K", "3000000000", "1.50"),
    );
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "azure_cost.csv", &text);
    let (rows, _) = ingest_rows(dir.path());
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert_eq!(
        (
            rows[0].model_raw.as_deref(),
            rows[0].charge_kind,
            rows[0].quantity
        ),
        (Some("gpt-5-mini"), ChargeKind::Input, 10_000_000.0)
    );
    assert_eq!(rows[0].service_tier, ServiceTier::Priority);
    let (out, json) = audit_ok(dir.path(), &["--month", "2026-10"]);
    assert_eq!(cents(&json["totals"]["billed_cost"]), 450 + 400 + 150);
    let unpriced = json["unpriced"].as_array().unwrap();
    let reason_of = |needle: &str| {
        unpriced
            .iter()
            .find(|u| u["reason"].as_str().unwrap().contains(needle))
            .unwrap_or_else(|| panic!("{needle}: {unpriced:?}"))
    };
    let unknown = reason_of("unknown Azure meter `gpt 9 hyper turbo Inp Gl 1M Tokens`");
    assert_eq!(cents(&unknown["billed_cost"]), 400);
    assert_eq!(unknown["model"], "(none)");
    let unit = reason_of("check the export's unit of measure");
    assert_eq!(cents(&unit["billed_cost"]), 150);
    // No model id was made up from the unknown meter's words.
    let ledger_text =
        String::from_utf8_lossy(&std::fs::read(out.path().join("focus.csv")).unwrap()).to_string();
    assert!(!ledger_text.contains("gpt-9"), "{ledger_text}");
}
