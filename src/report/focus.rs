//! `focus.csv`, `focus.parquet` and `focus-metadata.json`: the AI ledger as a FOCUS 1.2
//! cost-and-usage dataset, for FinOps platforms.
//!
//! Rows: every billed line (`BilledCost` = the bill), plus, for providers with no cost export,
//! the priced usage as estimated lines (`BilledCost` 0, `ListCost` the catalog list cost,
//! `x_CostBasis = estimated`). Date/times are ISO 8601 UTC with `Z`; custom columns start with
//! `x_`. Amounts are written exactly from the ledger's nano-unit integers.
//!
//! A cost export that states only money (OpenAI's, Anthropic's) gets its quantity from the same
//! provider's usage export for that day, account, model and charge kind
//! ([`Ledger::charge_string_chunks_with_usage`]); then `ListCost` and `ContractedCost` are the
//! catalog's price of that usage, so a bill above its list price stays visible.
//!
//! The columns imply the focus-validator applicability criteria in [`APPLICABILITY`];
//! `focus-metadata.json` names those the month's data meets (measured usage and unit pricing
//! need a quantity on every usage line) and `.ci/run` validates the demo's file with them.

use super::Report;
use crate::ledger::export::{self, ExportColumn};
use crate::ledger::{ChargeCategory, ChargeFrequency, Ledger};
use anyhow::Result;
use std::io::Write;

/// The focus-validator applicability criteria these columns imply (and pass): sub-accounts,
/// tags, regions, measured usage, unit prices, public list prices, negotiated prices, and
/// account names (an export's account id stands for its name when it gives none). Left out:
/// availability zones, capacity reservations, commitment discounts, resource ids and types,
/// billing-account and sub-account types, several pricing categories, virtual currency and
/// pricing in another currency than the bill's.
pub const APPLICABILITY: &[&str] = &[
    "ACCOUNT_NAMING_SUPPORTED",
    "NEGOTIATED_PRICING_SUPPORTED",
    "PUBLIC_PRICE_LIST_SUPPORTED",
    "REGION_SUPPORTED",
    "SUB_ACCOUNT_SUPPORTED",
    "TAGGING_SUPPORTED",
    "UNIT_PRICING_SUPPORTED",
    "USAGE_MEASUREMENT_SUPPORTED",
];

/// How a column is typed in `focus.parquet` and described in `focus-metadata.json`.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Text,
    /// Money, exact to the nano-unit: DECIMAL(38, 9).
    Money,
    /// Quantities: DECIMAL(38, 9).
    Quantity,
    /// Unit prices, finer than money (a token costs millionths): DECIMAL(38, 18).
    UnitPrice,
    DateTime,
    Json,
    Int,
}

impl Kind {
    fn scale(self) -> usize {
        match self {
            Kind::UnitPrice => 18,
            _ => 9,
        }
    }
}

/// FOCUS 1.2 mandatory columns, then the conditional ones we fill, then ours.
const SCHEMA: &[(&str, Kind)] = &[
    ("BilledCost", Kind::Money),
    ("BillingAccountId", Kind::Text),
    ("BillingAccountName", Kind::Text),
    ("BillingCurrency", Kind::Text),
    ("BillingPeriodEnd", Kind::DateTime),
    ("BillingPeriodStart", Kind::DateTime),
    ("ChargeCategory", Kind::Text),
    ("ChargeClass", Kind::Text),
    ("ChargeDescription", Kind::Text),
    ("ChargePeriodEnd", Kind::DateTime),
    ("ChargePeriodStart", Kind::DateTime),
    ("ContractedCost", Kind::Money),
    ("EffectiveCost", Kind::Money),
    ("InvoiceId", Kind::Text),
    ("InvoiceIssuerName", Kind::Text),
    ("ListCost", Kind::Money),
    ("PricingCategory", Kind::Text),
    ("PricingQuantity", Kind::Quantity),
    ("PricingUnit", Kind::Text),
    ("ProviderName", Kind::Text),
    ("PublisherName", Kind::Text),
    ("ServiceCategory", Kind::Text),
    ("ServiceName", Kind::Text),
    ("ServiceSubcategory", Kind::Text),
    ("ChargeFrequency", Kind::Text),
    ("CommitmentDiscountStatus", Kind::Text),
    ("ConsumedQuantity", Kind::Quantity),
    ("ConsumedUnit", Kind::Text),
    ("ContractedUnitPrice", Kind::UnitPrice),
    ("ListUnitPrice", Kind::UnitPrice),
    ("PricingCurrency", Kind::Text),
    ("PricingCurrencyContractedUnitPrice", Kind::UnitPrice),
    ("PricingCurrencyEffectiveCost", Kind::Money),
    ("PricingCurrencyListUnitPrice", Kind::UnitPrice),
    ("RegionId", Kind::Text),
    ("RegionName", Kind::Text),
    ("SkuId", Kind::Text),
    ("SkuMeter", Kind::Text),
    ("SkuPriceDetails", Kind::Json),
    ("SkuPriceId", Kind::Text),
    ("SubAccountId", Kind::Text),
    ("SubAccountName", Kind::Text),
    ("Tags", Kind::Json),
    ("x_CostBasis", Kind::Text),
    ("x_RecordRole", Kind::Text),
    ("x_Workload", Kind::Text),
    ("x_ApiKey", Kind::Text),
    ("x_ModelRaw", Kind::Text),
    ("x_ModelId", Kind::Text),
    ("x_ChargeKind", Kind::Text),
    ("x_ServiceTier", Kind::Text),
    ("x_CatalogListCost", Kind::Money),
    ("x_QuantitySource", Kind::Text),
    ("x_PriceRef", Kind::Text),
    ("x_UnpricedReason", Kind::Text),
    ("x_SourceFile", Kind::Text),
    ("x_SourceLine", Kind::Int),
];

/// The column names of `focus.csv`, in order.
pub fn columns() -> Vec<&'static str> {
    SCHEMA.iter().map(|(name, _)| *name).collect()
}

/// The schema's creation date in `focus-metadata.json`: when this column set was defined
/// (a constant, so the same inputs give the same bytes). Change it with [`SCHEMA`].
const SCHEMA_CREATED: &str = "2026-12-04T00:00:00Z";

const LEDGER: &[&str] = &[
    "charge_period_start",
    "charge_period_end",
    "provider",
    "record_role",
    "billing_account",
    "sub_account",
    "api_key",
    "workload",
    "model_raw",
    "model_id",
    "charge_kind",
    "charge_category",
    "charge_frequency",
    "quantity",
    "unit",
    "billed_cost_nano",
    "list_cost_nano",
    "contracted_cost_nano",
    "source_reported_cost_nano",
    "effective_cost_nano",
    "currency",
    "service_tier",
    "region",
    "tags",
    "price_ref",
    "unpriced_reason",
    "source_file",
    "source_line",
];

/// `YYYY-MM-DDTHH:MM:SSZ` from epoch milliseconds.
pub fn iso_z(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Exact decimal text of nano-units: `1234500000` → `1.2345`.
pub fn decimal(nanos: i64) -> String {
    let neg = nanos < 0;
    let n = nanos.unsigned_abs();
    let whole = n / 1_000_000_000;
    let frac = n % 1_000_000_000;
    let mut s = format!("{}{whole}", if neg { "-" } else { "" });
    if frac > 0 {
        let f = format!("{frac:09}");
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

/// The unscaled integer of decimal text at `scale` digits (digits beyond it are dropped):
/// `("1.25", 3)` → 1250. None for text that is not a plain decimal.
fn scaled(text: &str, scale: usize) -> Option<i128> {
    let (neg, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value: i128 = 0;
    for c in whole.chars() {
        value = value
            .checked_mul(10)?
            .checked_add(c.to_digit(10)? as i128)?;
    }
    let mut frac_digits = frac.chars();
    for _ in 0..scale {
        let d = match frac_digits.next() {
            Some(c) => c.to_digit(10)? as i128,
            None => 0,
        };
        value = value.checked_mul(10)?.checked_add(d)?;
    }
    if frac_digits.any(|c| !c.is_ascii_digit()) {
        return None;
    }
    Some(if neg { -value } else { value })
}

/// A unit price as plain decimal text (no exponent): `cost` nano-units over `quantity`, to 20
/// places, so `unit price × quantity` gives the cost back within floating-point precision.
fn unit_price(cost_nanos: i64, quantity: f64) -> Option<String> {
    if !(quantity.is_finite() && quantity > 0.0) {
        return None;
    }
    let price = (cost_nanos as f64 / 1e9) / quantity;
    let text = format!("{price:.20}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    Some(if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    })
}

/// Plain decimal text of a quantity, always with a decimal point (`20000000.0`), so a CSV
/// reader that infers types (the FOCUS validator's does) sees a decimal, not an integer.
fn quantity_text(q: f64) -> String {
    let t = format!("{q:.9}");
    let t = t.trim_end_matches('0');
    if t.ends_with('.') {
        format!("{t}0")
    } else {
        t.to_string()
    }
}

/// (ProviderName, ServiceName) of a ledger provider; the provider issues its own invoices, so
/// InvoiceIssuerName is the same name (a different one would read as a reseller).
pub(crate) fn provider_names(provider: &str) -> (&'static str, &'static str) {
    match provider {
        "openai" => ("OpenAI", "OpenAI API"),
        "anthropic" => ("Anthropic", "Claude API"),
        "aws" => ("Amazon Web Services", "Amazon Bedrock"),
        "azure" => ("Microsoft", "Azure OpenAI"),
        "gcp" => ("Google Cloud", "Vertex AI"),
        "openrouter" => ("OpenRouter", "OpenRouter"),
        "github" => ("GitHub", "GitHub Copilot"),
        "chatgpt" => ("OpenAI", "ChatGPT"),
        "claude" => ("Anthropic", "Claude"),
        "deepseek" => ("DeepSeek", "DeepSeek API"),
        "mistral" => ("Mistral AI", "Mistral API"),
        "xai" => ("xAI", "xAI API"),
        "google" => ("Google", "Gemini"),
        "cursor" => ("Anysphere", "Cursor"),
        "perplexity" => ("Perplexity AI", "Perplexity"),
        "midjourney" => ("Midjourney", "Midjourney"),
        "elevenlabs" => ("ElevenLabs", "ElevenLabs"),
        _ => ("Other", "AI API"),
    }
}

/// The display name of a region id: the cloud's own name for the common AI regions, else the
/// id itself (FOCUS asks for a name whenever there is an id).
fn region_name(id: &str) -> String {
    let known = match id {
        "global" => "Global",
        "us-east-1" => "US East (N. Virginia)",
        "us-east-2" => "US East (Ohio)",
        "us-west-2" => "US West (Oregon)",
        "eu-central-1" => "Europe (Frankfurt)",
        "eu-west-1" => "Europe (Ireland)",
        "eu-west-3" => "Europe (Paris)",
        "ap-northeast-1" => "Asia Pacific (Tokyo)",
        "ap-southeast-2" => "Asia Pacific (Sydney)",
        "eastus" => "East US",
        "eastus2" => "East US 2",
        "westus" => "West US",
        "westus3" => "West US 3",
        "swedencentral" => "Sweden Central",
        "westeurope" => "West Europe",
        "francecentral" => "France Central",
        "uksouth" => "UK South",
        "us-central1" => "Iowa (us-central1)",
        "europe-west4" => "Netherlands (europe-west4)",
        _ => id,
    };
    known.to_string()
}

/// The FOCUS unit of a ledger unit.
fn focus_unit(unit: &str) -> &str {
    match unit {
        "tokens" => "Tokens",
        "requests" => "Requests",
        "calls" => "Calls",
        "hours" => "Hours",
        "seats" => "Seats",
        "none" => "",
        other => other,
    }
}

/// `cached_input` → `Cached Input`: the meter's display name.
fn meter_name(kind: &str) -> String {
    kind.split('_')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// One charge's cells (None = null), in [`SCHEMA`] order.
type FocusRow = Vec<Option<String>>;

/// What the metadata needs of the whole dataset (each row is one charge's cells, None = null,
/// in [`SCHEMA`] order, streamed a chunk at a time): the source files of the usage and purchase
/// lines that state no quantity.
struct Dataset {
    unmeasured: std::collections::BTreeMap<String, usize>,
}

impl Dataset {
    /// The applicability criteria this dataset meets: all of [`APPLICABILITY`], except
    /// measured usage and unit pricing when some usage or purchase line has no quantity (a cost
    /// export with no usage export beside it), each left out with its reason.
    fn criteria(&self) -> (Vec<&'static str>, Vec<serde_json::Value>) {
        if self.unmeasured.is_empty() {
            return (APPLICABILITY.to_vec(), Vec::new());
        }
        let lines: usize = self.unmeasured.values().sum();
        let files: Vec<&str> = self.unmeasured.keys().map(String::as_str).collect();
        let reason = format!(
            "{lines} usage or purchase lines state no quantity (their cost export has no usage \
             export beside it): {}",
            files.join(", ")
        );
        let gaps = ["UNIT_PRICING_SUPPORTED", "USAGE_MEASUREMENT_SUPPORTED"];
        (
            APPLICABILITY
                .iter()
                .copied()
                .filter(|c| !gaps.contains(c))
                .collect(),
            gaps.iter()
                .map(|c| serde_json::json!({ "Criterion": c, "Reason": reason }))
                .collect(),
        )
    }
}

/// Converts the ledger's charges to FOCUS rows, [`CHUNK_ROWS`] at a time, handing each chunk
/// to `each`; returns what the metadata needs of all of them.
fn rows(
    report: &Report,
    ledger: &Ledger,
    each: &mut dyn FnMut(&[FocusRow]) -> Result<()>,
) -> Result<Dataset> {
    let estimated: Vec<&str> = report
        .totals
        .estimated_by_provider
        .keys()
        .map(String::as_str)
        .collect();
    let idx = |name: &str| {
        LEDGER
            .iter()
            .chain(crate::ledger::USAGE_MATCH_COLUMNS)
            .position(|c| *c == name)
            .expect("ledger column")
    };
    let get = |row: &Vec<Option<String>>, name: &str| row[idx(name)].clone();
    let g = |row: &Vec<Option<String>>, name: &str| get(row, name).unwrap_or_default();
    let nanos = |row: &Vec<Option<String>>, name: &str| {
        row[idx(name)]
            .as_deref()
            .and_then(|v| v.parse::<i64>().ok())
    };
    let float = |row: &Vec<Option<String>>, name: &str| {
        row[idx(name)]
            .as_deref()
            .and_then(|v| v.parse::<f64>().ok())
    };
    let nonempty = |s: String| if s.is_empty() { None } else { Some(s) };
    let period_start = format!("{}T00:00:00Z", report.period.start);
    let period_end = format!("{}T00:00:00Z", report.period.end);
    let mut unmeasured = std::collections::BTreeMap::new();
    let mut convert = |rows: Vec<Vec<Option<String>>>| -> Result<()> {
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let provider = g(row, "provider");
            let role = g(row, "record_role");
            let basis = if role == "billed" {
                "billed"
            } else if report.totals.estimated_by_provider.contains_key(&provider)
                && nanos(row, "list_cost_nano").is_some()
            {
                "estimated"
            } else {
                continue; // usage and gateway quantities behind a bill are not charges of their own
            };
            let billed = if basis == "billed" {
                nanos(row, "billed_cost_nano").unwrap_or(0)
            } else {
                0
            };
            let list = nanos(row, "list_cost_nano");
            let provider_list = nanos(row, "source_reported_cost_nano");
            let (pname, service) = provider_names(&provider);
            let start: i64 = g(row, "charge_period_start").parse().unwrap_or(0);
            let end: i64 = g(row, "charge_period_end").parse().unwrap_or(start);
            let kind = g(row, "charge_kind");
            // A seat is a recurring subscription purchase, not metered usage; otherwise the source's
            // own category, and without a stated frequency, usage is usage-based and anything else
            // a one-time charge.
            let seat = kind == "seat";
            let category = if seat {
                ChargeCategory::Purchase
            } else {
                ChargeCategory::parse(&g(row, "charge_category")).unwrap_or_default()
            };
            let frequency = get(row, "charge_frequency").unwrap_or_else(|| {
                if seat {
                    ChargeFrequency::Recurring
                } else if category == ChargeCategory::Usage {
                    ChargeFrequency::UsageBased
                } else {
                    ChargeFrequency::OneTime
                }
                .as_str()
                .to_string()
            });
            // A card purchase (a subscription or prepaid API credit) is a purchase in FOCUS's
            // sense, whose EffectiveCost is 0: what it buys is used, and amortised, elsewhere.
            let effective = if kind == "expense" && category == ChargeCategory::Purchase {
                0
            } else {
                nanos(row, "effective_cost_nano").unwrap_or(billed)
            };
            let priced_charge =
                matches!(category, ChargeCategory::Usage | ChargeCategory::Purchase);
            // The line's own quantity, else the usage matched to a money-only bill line.
            let own_unit = g(row, "unit");
            let (quantity, unit, quantity_source) = if own_unit != "none" {
                (float(row, "quantity"), own_unit, "line")
            } else if let Some(q) = float(row, "matched_quantity") {
                (Some(q), g(row, "matched_unit"), "usage export")
            } else {
                (None, own_unit, "")
            };
            let quantity = quantity.filter(|_| priced_charge);
            if priced_charge && quantity.is_none() {
                *unmeasured.entry(g(row, "source_file")).or_insert(0) += 1;
            }
            let unit = focus_unit(&unit).to_string();
            let matched_list = nanos(row, "matched_list_nano");
            // List and contracted cost as computed, never copies of the bill, so an over-billing
            // stays visible: the source's list figure, else the catalog's price of the line or of
            // its matched usage; contracted: the overlay's price, else the list (no negotiated
            // discount known), else the effective cost.
            let list_nanos = provider_list.or(list).or(matched_list).unwrap_or(billed);
            let contracted_nanos = nanos(row, "contracted_cost_nano")
                .or_else(|| nanos(row, "matched_contracted_nano"))
                .or(matched_list)
                .unwrap_or(effective);
            let list_unit = quantity.and_then(|q| unit_price(list_nanos, q));
            let contracted_unit = quantity.and_then(|q| unit_price(contracted_nanos, q));
            let model = get(row, "model_id")
                .or_else(|| get(row, "model_raw"))
                .unwrap_or_default();
            let description = if model.is_empty() {
                kind.clone()
            } else {
                format!("{model} {kind}")
            };
            // FOCUS requires a billing account; an export that names none gets the provider's.
            let account = get(row, "billing_account")
                .or_else(|| get(row, "sub_account"))
                .unwrap_or_else(|| format!("{provider}:account-not-in-export"));
            let tier = g(row, "service_tier");
            // The SKU is the model (or the charge kind for model-less lines); its price is the
            // model's meter at a service tier, so every SkuPriceId has one parent SkuId.
            let (sku, meter, price_details) = if category == ChargeCategory::Tax {
                (None, None, None)
            } else {
                let sku = if model.is_empty() {
                    format!("{provider}/{kind}")
                } else if model.contains('/') {
                    model.clone()
                } else {
                    format!("{provider}/{model}")
                };
                let tier_name = if tier.is_empty() { "standard" } else { &tier };
                let mut details = serde_json::Map::new();
                details.insert("x_ServiceTier".into(), tier_name.into());
                if let Some(r) = get(row, "price_ref") {
                    details.insert("x_CatalogPriceRef".into(), r.into());
                }
                let price = format!("{sku}:{kind}:{tier_name}");
                (
                    Some((sku, price)),
                    Some(meter_name(&kind)),
                    Some(serde_json::Value::Object(details).to_string()),
                )
            };
            let region = get(row, "region");
            let currency = g(row, "currency");
            let cells: Vec<Option<String>> = vec![
                Some(decimal(billed)),
                Some(account.clone()),
                Some(account),
                Some(currency.clone()),
                Some(period_end.clone()),
                Some(period_start.clone()),
                Some(category.focus_name().to_string()),
                None,
                Some(description),
                Some(iso_z(end)),
                Some(iso_z(start)),
                Some(decimal(contracted_nanos)),
                Some(decimal(effective)),
                // No export read carries an invoice id, and this tool issues no invoice: null (FOCUS
                // InvoiceId-C-004; the validator's alternative C-005 then reports its branch).
                None,
                Some(pname.to_string()),
                Some(decimal(list_nanos)),
                priced_charge.then(|| "Standard".to_string()),
                quantity.map(quantity_text),
                quantity.map(|_| unit.clone()),
                Some(pname.to_string()),
                Some(pname.to_string()),
                Some("AI and Machine Learning".to_string()),
                Some(service.to_string()),
                Some("Generative AI".to_string()),
                Some(frequency),
                // No commitment discount is modelled per line. The column is present, null, because
                // the ConsumedQuantity rules are conditioned on it (focus-validator fails them when
                // it is absent).
                None,
                // FOCUS: consumption is stated for usage only.
                quantity
                    .filter(|_| category == ChargeCategory::Usage)
                    .map(quantity_text),
                quantity
                    .filter(|_| category == ChargeCategory::Usage)
                    .map(|_| unit.clone()),
                contracted_unit.clone(),
                list_unit.clone(),
                Some(currency),
                contracted_unit,
                Some(decimal(effective)),
                list_unit,
                region.clone(),
                region.as_deref().map(region_name),
                sku.as_ref().map(|(s, _)| s.clone()),
                meter,
                price_details,
                sku.map(|(_, p)| p),
                get(row, "sub_account"),
                get(row, "sub_account"),
                get(row, "tags"),
                Some(basis.to_string()),
                Some(role),
                get(row, "workload"),
                get(row, "api_key"),
                get(row, "model_raw"),
                get(row, "model_id"),
                Some(kind),
                nonempty(tier),
                list.map(decimal),
                nonempty(quantity_source.to_string()),
                get(row, "price_ref"),
                get(row, "unpriced_reason"),
                get(row, "source_file"),
                get(row, "source_line"),
            ];
            debug_assert_eq!(cells.len(), SCHEMA.len());
            out.push(cells);
        }
        each(&out)
    };
    ledger.charge_string_chunks_with_usage(LEDGER, &estimated, CHUNK_ROWS, &mut convert)?;
    Ok(Dataset { unmeasured })
}

/// Ledger lines converted at a time: the FOCUS rows of one chunk, as strings, are what the
/// export holds in memory (a few MiB), not the month's.
const CHUNK_ROWS: usize = 8_192;

/// Streams `focus.csv` into `csv` and `focus.parquet` into `parquet` (the same rows, typed:
/// money DECIMAL(38,9), unit prices DECIMAL(38,18), times UTC timestamps, tags and price
/// details JSON text, one row group per chunk) and returns `focus-metadata.json` (FOCUS schema
/// metadata: generator, FOCUS version, column types). The writers are flushed, not synced.
pub fn write_all(
    report: &Report,
    ledger: &Ledger,
    csv: impl Write,
    parquet: impl Write,
) -> Result<Vec<u8>> {
    let mut csv = csv::Writer::from_writer(csv);
    csv.write_record(columns())?;
    let mut parquet = export::ParquetStream::new(parquet);
    let data =
        rows(report, ledger, &mut |chunk| {
            for row in chunk {
                // Every cell spreadsheet-safe: names from the data never run as formulas.
                csv.write_record(row.iter().map(|c| {
                    super::spreadsheet_safe(c.as_deref().unwrap_or_default()).into_owned()
                }))?;
            }
            parquet.write(parquet_columns(chunk))
        })?;
    csv.flush()?;
    parquet.finish()?;
    Ok(metadata(&data))
}

/// `focus.csv`, `focus.parquet` and `focus-metadata.json` in memory (see [`write_all`]).
pub fn render_all(report: &Report, ledger: &Ledger) -> Result<[(&'static str, Vec<u8>); 3]> {
    let (mut csv, mut parquet) = (Vec::new(), Vec::new());
    let metadata = write_all(report, ledger, &mut csv, &mut parquet)?;
    Ok([
        ("focus.csv", csv),
        ("focus.parquet", parquet),
        ("focus-metadata.json", metadata),
    ])
}

fn parquet_columns(rows: &[FocusRow]) -> Vec<(&'static str, ExportColumn)> {
    SCHEMA
        .iter()
        .enumerate()
        .map(|(i, (name, kind))| {
            let cells = rows.iter().map(|r| r[i].as_deref());
            let column = match kind {
                Kind::Text | Kind::Json => {
                    ExportColumn::Text(cells.map(|c| c.map(str::to_string)).collect())
                }
                Kind::Money | Kind::Quantity | Kind::UnitPrice => ExportColumn::Decimal {
                    values: cells
                        .map(|c| c.and_then(|t| scaled(t, kind.scale())))
                        .collect(),
                    scale: kind.scale(),
                },
                Kind::DateTime => ExportColumn::TimestampUtc(
                    cells
                        .map(|c| {
                            c.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                                .map(|d| d.timestamp_millis())
                        })
                        .collect(),
                ),
                Kind::Int => {
                    ExportColumn::Int(cells.map(|c| c.and_then(|t| t.parse().ok())).collect())
                }
            };
            (*name, column)
        })
        .collect()
}

/// FOCUS schema metadata for both files: the data generator and one schema whose id is a hash
/// of its column definitions (a new column set gets a new id, as FOCUS asks), and the
/// focus-validator applicability criteria the data meets (`x_ApplicabilityCriteria`) with
/// those it does not and why (`x_CriteriaNotMet`).
fn metadata(data: &Dataset) -> Vec<u8> {
    let (criteria, not_met) = data.criteria();
    let definitions: Vec<serde_json::Value> = SCHEMA
        .iter()
        .map(|(name, kind)| match kind {
            Kind::Text => serde_json::json!({
                "ColumnName": name, "DataType": "STRING", "StringEncoding": "UTF-8"
            }),
            Kind::Json => serde_json::json!({ "ColumnName": name, "DataType": "JSON" }),
            Kind::DateTime => serde_json::json!({ "ColumnName": name, "DataType": "DATETIME" }),
            Kind::Int => serde_json::json!({ "ColumnName": name, "DataType": "INTEGER" }),
            Kind::Money | Kind::Quantity | Kind::UnitPrice => serde_json::json!({
                "ColumnName": name,
                "DataType": "DECIMAL",
                "NumericPrecision": 38,
                "NumberScale": kind.scale(),
            }),
        })
        .collect();
    let schema_id = {
        use sha2::Digest;
        let text = serde_json::to_string(&definitions).unwrap_or_default();
        let digest = sha2::Sha256::digest(text.as_bytes());
        digest[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let doc = serde_json::json!({
        "DataGenerator": { "DataGenerator": "spend-audit" },
        "Schemas": [{
            "SchemaId": schema_id,
            "FocusVersion": "1.2",
            "CreationDate": SCHEMA_CREATED,
            "DataGeneratorVersion": env!("CARGO_PKG_VERSION"),
            "ColumnDefinition": definitions,
        }],
        "x_Files": ["focus.csv", "focus.parquet"],
        "x_ApplicabilityCriteria": criteria,
        "x_CriteriaNotMet": not_met,
    });
    let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_decimals_and_iso_dates() {
        assert_eq!(decimal(1_234_500_000), "1.2345");
        assert_eq!(decimal(-10_000_000), "-0.01");
        assert_eq!(decimal(5), "0.000000005");
        assert_eq!(decimal(0), "0");
        assert_eq!(iso_z(1_790_812_800_000), "2026-10-01T00:00:00Z");
    }

    #[test]
    fn decimal_text_scales_exactly() {
        assert_eq!(scaled("1.25", 3), Some(1250));
        assert_eq!(scaled("-0.000000001", 9), Some(-1));
        assert_eq!(scaled("7", 2), Some(700));
        // digits beyond the scale are dropped, not rounded
        assert_eq!(scaled("0.0000000375", 9), Some(37));
        assert_eq!(scaled("1e5", 2), None);
        assert_eq!(scaled("", 2), None);
        assert_eq!(scaled("-", 2), None);
    }

    #[test]
    fn unit_prices_multiply_back_to_the_cost() {
        // $60 for 20M tokens is $3 per million.
        assert_eq!(
            unit_price(60_000_000_000, 20_000_000.0).as_deref(),
            Some("0.000003")
        );
        // $0.10 for 3 requests: a repeating decimal, within the validator's 1e-9 tolerance.
        let p: f64 = unit_price(100_000_000, 3.0).unwrap().parse().unwrap();
        assert!((p * 3.0 - 0.1).abs() <= 1e-9);
        assert!(!unit_price(1, 7.0).unwrap().contains('e'));
        assert_eq!(unit_price(1, 0.0), None);
        assert_eq!(quantity_text(20_000_000.0), "20000000.0");
        assert_eq!(quantity_text(1.5), "1.5");
    }

    #[test]
    fn names_for_regions_and_meters() {
        assert_eq!(region_name("us-east-1"), "US East (N. Virginia)");
        assert_eq!(region_name("somewhere-9"), "somewhere-9");
        assert_eq!(meter_name("cached_input"), "Cached Input");
        assert_eq!(meter_name("seat"), "Seat");
    }

    #[test]
    fn a_gap_in_measured_usage_withdraws_only_those_criteria() {
        let mut data = Dataset {
            unmeasured: Default::default(),
        };
        assert_eq!(data.criteria().0, APPLICABILITY);
        data.unmeasured.insert("labs/cost.csv".into(), 4);
        let (claimed, gaps) = data.criteria();
        assert_eq!(claimed.len(), APPLICABILITY.len() - 2);
        assert!(!claimed.contains(&"USAGE_MEASUREMENT_SUPPORTED"));
        assert!(gaps[0]["Reason"].as_str().unwrap().contains("4 usage"));
    }
}
