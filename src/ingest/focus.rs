//! FinOps FOCUS 1.0–1.3 cost and usage exports (CSV) from any producer.
//!
//! AI rows are taken by `ServiceCategory = AI and Machine Learning` or a known AI `ServiceName`;
//! every other row is out of scope and counted with its `BilledCost`. `BilledCost` is the money;
//! the producer's `ListCost` is kept as the source's own list figure and `EffectiveCost` beside it.
//! Older column names are accepted (`AmortizedCost`, `ChargeType`, `UsageQuantity`, `Region`).
//! `ChargeCategory` and `ChargeFrequency` are kept: purchases, taxes, credits and adjustments
//! are billed money apart from usage.
//! Producers write `NULL`, `YYYY-MM-DD HH:MM:SS` and `5/1/25`; all are read.

use super::bill_chunks::{any_of, out_of_scope_when, surely_not, BillScope};
use super::meters::{
    azure_openai_meter, bedrock_usage_type, check_azure_line, region_label, scale_quantity,
    set_billed_quantity,
};
use super::request_log::expr;
use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeCategory, ChargeFrequency, ChargeKind, LedgerRow, RecordRole};
use polars::prelude::Expr;

pub struct FocusCsv;

const AI_SERVICES: &[&str] = &[
    "azure openai",
    "foundry models",
    "azure ai foundry",
    "amazon bedrock",
    "bedrock",
    "vertex ai",
    "gemini api",
    "openai",
    "anthropic",
    "claude",
    "openrouter",
];

/// Maps a FOCUS provider name to our provider id.
pub fn provider_id(name: &str) -> &'static str {
    let n = name.to_ascii_lowercase();
    if n.contains("amazon") || n == "aws" {
        "aws"
    } else if n.contains("microsoft") || n.contains("azure") {
        "azure"
    } else if n.contains("google") || n == "gcp" {
        "gcp"
    } else if n.contains("openai") {
        "openai"
    } else if n.contains("anthropic") {
        "anthropic"
    } else if n.contains("openrouter") {
        "openrouter"
    } else if n.contains("oracle") {
        "oci"
    } else {
        "other"
    }
}

/// The rows the row parser surely counts out of scope: a plain-decimal `BilledCost`, a
/// service category other than AI and Machine Learning, and a service name that is not an AI
/// service (alone or followed by a space).
impl BillScope for FocusCsv {
    fn date_column(&self, _: &dyn Fn(&str) -> bool) -> Option<&'static str> {
        Some("chargeperiodstart")
    }
    fn text_columns(&self) -> &'static [&'static str] {
        &["billedcost", "servicecategory", "servicename"]
    }
    fn scope_stages(&self, has: &dyn Fn(&str) -> bool) -> Vec<Vec<Expr>> {
        let mut conditions = Vec::new();
        if has("servicecategory") {
            conditions.push(surely_not(
                expr::text("servicecategory"),
                "^AI and Machine Learning$",
            ));
        }
        if has("servicename") {
            let services = format!("^{}(?: |$)", any_of(AI_SERVICES));
            conditions.push(surely_not(expr::text("servicename"), &services));
        }
        out_of_scope_when(expr::money("cost", expr::text("billedcost")), conditions)
    }
}

/// The model and charge kind a FOCUS AI row states itself: `SkuPriceDetails` keys (`ModelId`,
/// `TokenDirection`, `CacheType`, in any letter case, with or without `x_`) or the `x_ModelId`,
/// `x_TokenDirection` and `x_TokenType` columns. `None` when no model is named.
fn ai_detail(row: &RowView) -> Option<super::meters::Meter> {
    let details: serde_json::Map<String, serde_json::Value> = row
        .get("skupricedetails")
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or_default();
    let detail = |keys: &[&str]| -> Option<String> {
        details.iter().find_map(|(k, v)| {
            let k = k.to_ascii_lowercase();
            let k = k.strip_prefix("x_").unwrap_or(&k);
            keys.contains(&k)
                .then(|| match v {
                    serde_json::Value::String(s) => Some(s.trim().to_string()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .flatten()
                .filter(|s| !s.is_empty())
        })
    };
    let model = detail(&["modelid", "modelname", "model"])
        .or_else(|| row.text("x_modelid"))
        .or_else(|| row.text("x_model"))?;
    let direction = detail(&["tokendirection", "direction"])
        .or_else(|| row.text("x_tokendirection"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cache = detail(&["cachetype", "tokentype"])
        .or_else(|| row.text("x_tokentype"))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let kind = if cache.contains("write") || cache.contains("creation") {
        ChargeKind::CacheWrite
    } else if cache.contains("read") || cache.contains("cached") || cache.contains("hit") {
        ChargeKind::CachedInput
    } else if direction.starts_with("out") {
        ChargeKind::Output
    } else if direction.starts_with("in") || direction.starts_with("prompt") {
        ChargeKind::Input
    } else {
        ChargeKind::Other
    };
    Some(super::meters::Meter {
        model: Some(model),
        kind,
        cache_ttl: None,
        tier: crate::ledger::ServiceTier::Standard,
        region_class: None,
        list_price: None,
        unknown: false,
    })
}

impl Format for FocusCsv {
    fn id(&self) -> &'static str {
        "focus_csv"
    }
    fn bill_scope(&self) -> Option<&dyn BillScope> {
        Some(self)
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    fn required_columns(&self) -> &'static [&'static str] {
        &["billedcost", "chargeperiodstart"]
    }
    fn columns(&self) -> &'static [&'static str] {
        &[
            "billedcost",
            "effectivecost",
            "amortizedcost",
            "listcost",
            "billingcurrency",
            "billingaccountid",
            "subaccountid",
            "subaccountname",
            "chargecategory",
            "chargetype",
            "chargefrequency",
            "chargeperiodstart",
            "chargeperiodend",
            "consumedquantity",
            "consumedunit",
            "usagequantity",
            "usageunit",
            "pricingquantity",
            "pricingunit",
            "providername",
            "serviceprovidername",
            "servicecategory",
            "servicesubcategory",
            "servicename",
            "skumeter",
            "x_skumetername",
            "x_usagetype",
            "resourceid",
            "regionid",
            "region",
            "tags",
            "chargedescription",
            "skuid",
            "skupriceid",
            "publishername",
            "x_skudescription",
            "hostprovidername",
            "skupricedetails",
            "x_modelid",
            "x_model",
            "x_tokendirection",
            "x_tokentype",
            "credentialid",
            "x_credentialid",
            "principalid",
            "x_principalid",
        ]
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let billed = row.money("billedcost")?;
        let category = row.get("servicecategory").unwrap_or("");
        let service = row.get("servicename").unwrap_or("").to_ascii_lowercase();
        let is_ai = category.eq_ignore_ascii_case("AI and Machine Learning")
            || AI_SERVICES
                .iter()
                .any(|s| service == *s || service.starts_with(&format!("{s} ")));
        if !is_ai {
            return Ok(RowFate::OutOfScope {
                cost_nano: billed,
                start_ms: row.timestamp("chargeperiodstart").ok(),
            });
        }
        let start = row.timestamp("chargeperiodstart")?;
        let end = match row.get("chargeperiodend") {
            Some(_) => row.timestamp("chargeperiodend")?,
            None => start + 86_400_000,
        };
        // FOCUS 1.3 splits the provider (ServiceProviderName, HostProviderName) from 1.0-1.2's
        // ProviderName, which 1.4 drops; PublisherName is the last resort (it names the
        // model's maker, not who bills).
        let provider = provider_id(
            row.get("serviceprovidername")
                .or(row.get("providername"))
                .or(row.get("hostprovidername"))
                .or(row.get("publishername"))
                .unwrap_or(""),
        );
        let meter_text = row.get("x_skumetername").or(row.get("skumeter"));
        let meter = match provider {
            "azure" => meter_text.map(azure_openai_meter),
            "aws" => row
                .get("x_usagetype")
                .or(meter_text)
                .map(|u| bedrock_usage_type(u, row.get("servicename"), row.get("resourceid"))),
            _ => None,
        };
        let mut r = LedgerRow::new(
            provider,
            RecordRole::Billed,
            ChargeKind::Other,
            start,
            end,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(billed);
        r.charge_category = ChargeCategory::from_source(
            row.get("chargecategory")
                .or(row.get("chargetype"))
                .unwrap_or(""),
        );
        r.charge_frequency = row
            .get("chargefrequency")
            .and_then(ChargeFrequency::from_source);
        r.effective_cost_nano = row
            .money_opt("effectivecost")?
            .or(row.money_opt("amortizedcost")?);
        r.source_reported_cost_nano = row.money_opt("listcost")?;
        r.currency = row
            .get("billingcurrency")
            .unwrap_or("USD")
            .to_ascii_uppercase();
        r.billing_account = row.text("billingaccountid");
        r.sub_account = row
            .text("subaccountname")
            .or_else(|| row.text("subaccountid"));
        r.region = row.text("regionid").or_else(|| row.text("region"));
        r.resource = row.get("resourceid").map(|id| {
            super::azure_cost::cognitive_account(id)
                .unwrap_or_else(|| id.to_string())
                .to_ascii_lowercase()
        });
        r.tags = row.text("tags");
        r.identity = row.identity(&[
            "chargecategory",
            "servicename",
            "publishername",
            "skuid",
            "skupriceid",
            "skumeter",
            "x_skumetername",
            "x_skudescription",
            "x_usagetype",
            "chargedescription",
            "resourceid",
        ]);
        r.unit = "none";
        // Attribution: the credential or principal that made the charge, and the tags.
        r.api_key = row
            .text("x_credentialid")
            .or_else(|| row.text("credentialid"))
            .or_else(|| row.text("x_principalid"))
            .or_else(|| row.text("principalid"));
        r.workload = super::azure_cost::workload_tag(r.tags.as_deref());
        // A meter this tool does not read leaves the model to the AI detail the row states
        // itself: SkuPriceDetails (ModelId, TokenDirection, cache type) or `x_` columns.
        let meter = match meter {
            Some(m) if m.model.is_some() => Some(m),
            other => ai_detail(row).or(other),
        };
        if let Some(m) = meter {
            let checked = (provider == "azure").then(|| m.clone());
            r.model_raw = m.model;
            r.charge_kind = m.kind;
            r.cache_ttl = m.cache_ttl;
            r.service_tier = m.tier;
            r.region = region_label(r.region.as_deref(), m.region_class);
            r.region_class = m.region_class;
            let qty = row.count("consumedquantity")?;
            let qty = if qty > 0.0 {
                qty
            } else {
                row.count("usagequantity")?
            };
            let unit = row.get("consumedunit").or(row.get("usageunit"));
            let (q, u) = scale_quantity(qty, unit);
            set_billed_quantity(&mut r, q, u);
            if let (Some(m), Some(name)) = (checked, meter_text) {
                check_azure_line(&mut r, name, &m);
            }
        }
        out.push(r);
        Ok(RowFate::Ledger)
    }
}
