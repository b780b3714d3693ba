//! Azure Cost Management "cost and usage details" exports (EA and MCA, actual or amortized).
//!
//! Real traps (research/formats.md §4, and the anonymised EA sample in `shared/samples`):
//! `Date` is `M/D/YYYY`; numbers may be scientific (`5.64902E-05`); `Tags` are JSON members
//! **without** the outer braces; the file may start with a BOM; column names vary in case
//! (`MeterSubcategory`) and between EA and MCA (`CostInBillingCurrency`, `PreTaxCost`, `Cost`).
//!
//! Azure OpenAI / Foundry Models meters are parsed into model, direction, cache, tier and
//! deployment type; token meters are priced per `1K` (or `1M`) block, so `Quantity` is scaled by
//! `UnitOfMeasure`. Provisioned Throughput Units (`Provisioned Managed … Unit`, hourly) become
//! `provisioned_hour` lines. Every other meter category is out of scope.

use super::bill_chunks::{any_of, no_fast_path, out_of_scope_when, surely_not, BillScope};
use super::meters::{
    azure_openai_meter, check_azure_line, region_label, scale_quantity, set_billed_quantity,
};
use super::request_log::expr;
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeCategory, ChargeFrequency, LedgerRow, RecordRole};
use polars::prelude::Expr;

pub struct AzureCostCsv;

const AI_CATEGORIES: &[&str] = &[
    "foundry models",
    "azure openai",
    "cognitive services",
    "azure ai foundry",
    "azure ai services",
];

/// `"team": "ai","env": "prod"` → `{"team":"ai","env":"prod"}` (normalised JSON), or `None`.
pub fn azure_tags(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    if raw.is_empty() {
        return None;
    }
    let wrapped = if raw.starts_with('{') {
        raw.to_string()
    } else {
        format!("{{{raw}}}")
    };
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&wrapped)
        .ok()
        .map(|m| serde_json::Value::Object(m).to_string())
}

/// The workload a tag set names, by the conventional keys.
pub fn workload_tag(tags_json: Option<&str>) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(tags_json?).ok()?;
    for key in [
        "workload",
        "app",
        "application",
        "team",
        "project",
        "user_workload",
        "user_team",
    ] {
        if let Some(s) = v
            .get(key)
            .and_then(|x| x.as_str())
            .filter(|s| !s.is_empty())
        {
            return Some(s.to_string());
        }
    }
    None
}

/// `/subscriptions/…/providers/Microsoft.CognitiveServices/accounts/<name>` → `<name>`.
pub fn cognitive_account(resource_id: &str) -> Option<String> {
    let lower = resource_id.to_ascii_lowercase();
    let i = lower.find("/accounts/")?;
    let name = &resource_id[i + "/accounts/".len()..];
    Some(name.split('/').next().unwrap_or(name).to_string())
}

/// The cost columns, in the order the row parser picks the first the file has.
const COST_COLUMNS: [&str; 3] = ["costinbillingcurrency", "pretaxcost", "cost"];

/// The rows the row parser surely counts out of scope: a plain-decimal cost, a meter category
/// that is not an AI one and a subcategory that does not name OpenAI.
impl BillScope for AzureCostCsv {
    fn date_column(&self, has: &dyn Fn(&str) -> bool) -> Option<&'static str> {
        Some(if has("date") { "date" } else { "usagedatetime" })
    }
    fn text_columns(&self) -> &'static [&'static str] {
        &[
            "costinbillingcurrency",
            "pretaxcost",
            "cost",
            "metercategory",
            "metersubcategory",
        ]
    }
    fn scope_stages(&self, has: &dyn Fn(&str) -> bool) -> Vec<Vec<Expr>> {
        let Some(cost_col) = COST_COLUMNS.into_iter().find(|c| has(c)) else {
            return no_fast_path();
        };
        let mut conditions = Vec::new();
        if has("metercategory") {
            let categories = format!("^{}$", any_of(AI_CATEGORIES));
            conditions.push(surely_not(expr::text("metercategory"), &categories));
        }
        if has("metersubcategory") {
            conditions.push(surely_not(expr::text("metersubcategory"), "openai"));
        }
        out_of_scope_when(expr::money("cost", expr::text(cost_col)), conditions)
    }
}

impl Format for AzureCostCsv {
    fn id(&self) -> &'static str {
        "azure_cost_csv"
    }
    fn bill_scope(&self) -> Option<&dyn BillScope> {
        Some(self)
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["metercategory", "metername", "quantity"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "date",
            "usagedatetime",
            "metercategory",
            "metersubcategory",
            "metername",
            "unitofmeasure",
            "quantity",
            "effectiveprice",
            "costinbillingcurrency",
            "pretaxcost",
            "cost",
            "billingcurrencycode",
            "billingcurrency",
            "currency",
            "billingaccountid",
            "subscriptionid",
            "subscriptionname",
            "resourceid",
            "instanceid",
            "resourcelocation",
            "tags",
            "chargetype",
            "pricingmodel",
            "frequency",
            "productname",
            "meterid",
            "product",
            "consumedservice",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let cost_col = COST_COLUMNS
            .into_iter()
            .find(|c| row.table.has_column(c))
            .ok_or_else(|| {
                RowError::new(
                    None,
                    "no cost column (`CostInBillingCurrency`, `PreTaxCost` or `Cost`)",
                )
            })?;
        let billed = row.money(cost_col)?;
        let category = row.get("metercategory").unwrap_or("").to_ascii_lowercase();
        let sub = row
            .get("metersubcategory")
            .unwrap_or("")
            .to_ascii_lowercase();
        let date_col = if row.table.has_column("date") {
            "date"
        } else {
            "usagedatetime"
        };
        if !AI_CATEGORIES.contains(&category.as_str()) && !sub.contains("openai") {
            return Ok(RowFate::OutOfScope {
                cost_nano: billed,
                start_ms: row.timestamp(date_col).ok(),
            });
        }
        let start = row.timestamp(date_col)?;
        let meter_name = row.required("metername")?;
        let meter = azure_openai_meter(meter_name);
        let mut r = LedgerRow::new(
            "azure",
            RecordRole::Billed,
            meter.kind,
            start,
            start + 86_400_000,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(billed);
        r.identity = row.identity(&[
            "chargetype",
            "consumedservice",
            "metercategory",
            "metersubcategory",
            "meterid",
            "metername",
            "productname",
            "product",
            "resourceid",
            "instanceid",
        ]);
        r.currency = row
            .get("billingcurrencycode")
            .or(row.get("billingcurrency"))
            .or(row.get("currency"))
            .unwrap_or("USD")
            .to_ascii_uppercase();
        r.billing_account = row
            .text("billingaccountid")
            .or_else(|| row.text("subscriptionid"));
        let resource = row.get("resourceid").or(row.get("instanceid"));
        r.resource = resource
            .and_then(cognitive_account)
            .map(|a| a.to_ascii_lowercase());
        r.sub_account = resource
            .and_then(cognitive_account)
            .or_else(|| row.text("subscriptionname"));
        r.region = region_label(row.get("resourcelocation"), meter.region_class);
        r.region_class = meter.region_class;
        r.tags = azure_tags(row.get("tags"));
        // PTU reservations (`ChargeType = Purchase`, `PricingModel = Reservation`, 1/Month) and
        // their unused share (`UnusedReservation`) stay visible as such.
        let charge_type = row.get("chargetype").unwrap_or("Usage");
        let pricing_model = row.get("pricingmodel").unwrap_or("OnDemand");
        r.charge_category = ChargeCategory::from_source(charge_type);
        r.charge_frequency = row.get("frequency").and_then(ChargeFrequency::from_source);
        if !charge_type.eq_ignore_ascii_case("usage")
            || pricing_model.eq_ignore_ascii_case("reservation")
        {
            let mut map: serde_json::Map<String, serde_json::Value> = r
                .tags
                .as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_default();
            map.insert("x_charge_type".into(), charge_type.into());
            map.insert("x_pricing_model".into(), pricing_model.into());
            r.tags = Some(serde_json::Value::Object(map).to_string());
        }
        r.workload = workload_tag(r.tags.as_deref());
        r.model_raw = meter.model.clone();
        r.service_tier = meter.tier;
        let (qty, unit) = scale_quantity(row.count("quantity")?, row.get("unitofmeasure"));
        set_billed_quantity(&mut r, qty, unit);
        check_azure_line(&mut r, meter_name, &meter);
        out.push(r);
        Ok(RowFate::Ledger)
    }
}
