//! AWS Cost and Usage Report, Bedrock lines: legacy CUR (`lineItem/UsageType`) and CUR 2.0 /
//! Data Exports (`line_item_usage_type`, map columns written as JSON), as CSV.
//!
//! Bedrock is `lineItem/ProductCode` `AmazonBedrock` (first-party) or the Marketplace editions
//! (`AmazonBedrockFoundationModels`, product names `… (Amazon Bedrock Edition)`); every other
//! line is out of scope, counted with its unblended cost. The usage type carries model, token
//! class, tier and routing (see `meters::bedrock_usage_type`); quantities in `1K tokens` are
//! scaled to tokens. `line_item_iam_principal` and resource tags attribute the spend.

use super::azure_cost::workload_tag;
use super::bill_chunks::{no_fast_path, out_of_scope_when, surely_not, BillScope};
use super::meters::{bedrock_usage_type, region_label, scale_quantity, set_billed_quantity};
use super::request_log::expr;
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeCategory, LedgerRow, RecordRole};
use polars::prelude::{col, lit, when, Expr};

/// Column names of one CUR generation.
struct Cols {
    product_code: &'static str,
    usage_type: &'static str,
    start: &'static str,
    end: &'static str,
    cost: &'static str,
    currency: &'static str,
    amount: &'static str,
    unit: &'static str,
    account: &'static str,
    payer: &'static str,
    resource: &'static str,
    product_name: &'static str,
    region: &'static str,
    operation: &'static str,
    description: &'static str,
    line_type: &'static str,
}

const LEGACY: Cols = Cols {
    product_code: "lineitem/productcode",
    usage_type: "lineitem/usagetype",
    start: "lineitem/usagestartdate",
    end: "lineitem/usageenddate",
    cost: "lineitem/unblendedcost",
    currency: "lineitem/currencycode",
    amount: "lineitem/usageamount",
    unit: "pricing/unit",
    account: "lineitem/usageaccountid",
    payer: "bill/payeraccountid",
    resource: "lineitem/resourceid",
    product_name: "product/productname",
    region: "product/region",
    operation: "lineitem/operation",
    description: "lineitem/lineitemdescription",
    line_type: "lineitem/lineitemtype",
};

const CUR2: Cols = Cols {
    product_code: "line_item_product_code",
    usage_type: "line_item_usage_type",
    start: "line_item_usage_start_date",
    end: "line_item_usage_end_date",
    cost: "line_item_unblended_cost",
    currency: "line_item_currency_code",
    amount: "line_item_usage_amount",
    unit: "pricing_unit",
    account: "line_item_usage_account_id",
    payer: "bill_payer_account_id",
    resource: "line_item_resource_id",
    product_name: "product_product_name",
    region: "product_region_code",
    operation: "line_item_operation",
    description: "line_item_line_item_description",
    line_type: "line_item_line_item_type",
};

fn is_bedrock(code: &str, product_name: Option<&str>) -> bool {
    let c = code.to_ascii_lowercase();
    c.starts_with("amazonbedrock") || product_name.is_some_and(|p| p.contains("Amazon Bedrock"))
}

fn parse(
    cols: &Cols,
    row: &RowView,
    src: SourceRef,
    out: &mut Vec<LedgerRow>,
) -> Result<RowFate, RowError> {
    let billed = row.money(cols.cost)?;
    let product_name: Option<String> = row.text(cols.product_name).or_else(|| {
        // CUR 2.0 keeps product attributes in the `product` map column.
        row.get("product").and_then(|p| {
            let v: serde_json::Value = serde_json::from_str(p).ok()?;
            v.get("product_name")
                .and_then(|x| x.as_str())
                .map(str::to_string)
        })
    });
    let product_name = product_name.as_deref();
    if !is_bedrock(row.get(cols.product_code).unwrap_or(""), product_name) {
        return Ok(RowFate::OutOfScope {
            cost_nano: billed,
            start_ms: row.timestamp(cols.start).ok(),
        });
    }
    let start = row.timestamp(cols.start)?;
    let end = match row.get(cols.end) {
        Some(_) => row.timestamp(cols.end)?,
        None => start + 3_600_000,
    };
    let resource = row.get(cols.resource);
    let meter = bedrock_usage_type(
        row.get(cols.usage_type).unwrap_or(""),
        product_name,
        resource,
    );
    let mut r = LedgerRow::new(
        "aws",
        RecordRole::Billed,
        meter.kind,
        start,
        end,
        src.file,
        src.line,
    );
    r.billed_cost_nano = Some(billed);
    // Fees (reservation, Savings Plan, Provisioned Throughput commitments), taxes, credits,
    // refunds and discounts are billed money apart from usage.
    r.charge_category = ChargeCategory::from_source(row.get(cols.line_type).unwrap_or(""));
    r.identity = row.identity(&[
        cols.line_type,
        cols.product_code,
        cols.usage_type,
        cols.operation,
        cols.description,
        cols.resource,
    ]);
    r.currency = row.get(cols.currency).unwrap_or("USD").to_ascii_uppercase();
    r.billing_account = row.text(cols.payer);
    r.sub_account = row.text(cols.account);
    r.api_key = row.text("line_item_iam_principal");
    r.resource = resource
        .filter(|id| id.starts_with("arn:"))
        .map(str::to_ascii_lowercase);
    r.model_raw = meter.model;
    r.cache_ttl = meter.cache_ttl;
    r.service_tier = meter.tier;
    r.region = region_label(row.get(cols.region), meter.region_class);
    r.region_class = meter.region_class;
    if let Some(tags) = row.get("resource_tags").filter(|t| t.starts_with('{')) {
        r.tags = Some(tags.to_string());
        r.workload = workload_tag(Some(tags));
    } else {
        // Legacy CUR: one `resourceTags/user:<key>` column per activated tag; keys are written
        // as CUR 2.0 does (`user_<key>`).
        let mut tags = serde_json::Map::new();
        for column in row.table.columns_with_prefix("resourcetags/") {
            if let Some(v) = row.get(column) {
                let key = column["resourcetags/".len()..].replace(':', "_");
                tags.insert(key, serde_json::Value::String(v.to_string()));
            }
        }
        if !tags.is_empty() {
            let json = serde_json::Value::Object(tags).to_string();
            r.workload = workload_tag(Some(&json));
            r.tags = Some(json);
        }
    }
    let (qty, unit) = scale_quantity(row.count(cols.amount)?, row.get(cols.unit));
    set_billed_quantity(&mut r, qty, unit);
    out.push(r);
    Ok(RowFate::Ledger)
}

pub struct AwsCurLegacyCsv;
pub struct AwsCur2Csv;

/// The rows [`parse`] surely counts out of scope: a plain-decimal cost, a product code that
/// is not Bedrock's, and no product name (column, or CUR 2.0 `product` map) that could name
/// Bedrock. A product map with an escape is left to the row parser, which decodes it.
fn scope_stages(cols: &Cols, has: &dyn Fn(&str) -> bool) -> Vec<Vec<Expr>> {
    if !has(cols.cost) {
        return no_fast_path();
    }
    let cost = expr::money("cost", expr::text(cols.cost));
    let mut conditions = Vec::new();
    if has(cols.product_code) {
        conditions.push(surely_not(expr::text(cols.product_code), "^amazonbedrock"));
    }
    let map_ok = if has("product") {
        // Raw, untrimmed: a match anywhere in the cell, or an escape, goes to the parser.
        surely_not(col("product"), "Amazon Bedrock|\\\\")
    } else {
        lit(true)
    };
    conditions.push(if has(cols.product_name) {
        let name = expr::text(cols.product_name);
        when(name.clone().is_null())
            .then(map_ok)
            .otherwise(surely_not(name, "Amazon Bedrock"))
    } else {
        map_ok
    });
    out_of_scope_when(cost, conditions)
}

impl BillScope for AwsCurLegacyCsv {
    fn date_column(&self, _: &dyn Fn(&str) -> bool) -> Option<&'static str> {
        Some(LEGACY.start)
    }
    fn text_columns(&self) -> &'static [&'static str] {
        &[LEGACY.cost, LEGACY.product_code, LEGACY.product_name]
    }
    fn scope_stages(&self, has: &dyn Fn(&str) -> bool) -> Vec<Vec<Expr>> {
        scope_stages(&LEGACY, has)
    }
}

impl BillScope for AwsCur2Csv {
    fn date_column(&self, _: &dyn Fn(&str) -> bool) -> Option<&'static str> {
        Some(CUR2.start)
    }
    fn text_columns(&self) -> &'static [&'static str] {
        &[CUR2.cost, CUR2.product_code, CUR2.product_name]
    }
    fn scope_stages(&self, has: &dyn Fn(&str) -> bool) -> Vec<Vec<Expr>> {
        scope_stages(&CUR2, has)
    }
}

impl Format for AwsCurLegacyCsv {
    fn id(&self) -> &'static str {
        "aws_cur_legacy_csv"
    }
    fn bill_scope(&self) -> Option<&dyn BillScope> {
        Some(self)
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "lineitem/productcode",
            "lineitem/unblendedcost",
            "lineitem/usagestartdate",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "lineitem/productcode",
            "lineitem/usagetype",
            "lineitem/usagestartdate",
            "lineitem/usageenddate",
            "lineitem/unblendedcost",
            "lineitem/currencycode",
            "lineitem/usageamount",
            "pricing/unit",
            "lineitem/usageaccountid",
            "bill/payeraccountid",
            "lineitem/resourceid",
            "product/productname",
            "product/region",
            "lineitem/operation",
            "lineitem/lineitemdescription",
            "lineitem/lineitemtype",
        ]
    }
    fn wants_column(&self, column: &str) -> bool {
        self.columns().contains(&column) || column.starts_with("resourcetags/")
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        parse(&LEGACY, row, src, out)
    }
}

impl Format for AwsCur2Csv {
    fn id(&self) -> &'static str {
        "aws_cur2_csv"
    }
    fn bill_scope(&self) -> Option<&dyn BillScope> {
        Some(self)
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &[
            "line_item_product_code",
            "line_item_unblended_cost",
            "line_item_usage_start_date",
        ]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "line_item_product_code",
            "line_item_usage_type",
            "line_item_usage_start_date",
            "line_item_usage_end_date",
            "line_item_unblended_cost",
            "line_item_currency_code",
            "line_item_usage_amount",
            "pricing_unit",
            "line_item_usage_account_id",
            "bill_payer_account_id",
            "line_item_resource_id",
            "product_product_name",
            "product_region_code",
            "product",
            "resource_tags",
            "line_item_iam_principal",
            "line_item_operation",
            "line_item_line_item_description",
            "line_item_line_item_type",
        ]
    }
    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        parse(&CUR2, row, src, out)
    }
}
