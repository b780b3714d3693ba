//! The AI inventory: every vendor and product, account, workload, gateway, seat product,
//! provisioned capacity and shadow purchase of the month, and which export each came from
//! (`inventory.json`, schema in `docs/inventory.schema.json`; `inventory.md`; the first
//! section of the reports).
//!
//! It is a view of the same ledger as the report: its billed and estimated totals are the
//! report's, and every vendor's products add up to the vendor's billed and estimated spend.
//! Product kinds: `api` (a vendor's own API bill or usage), `cloud_platform` (AI lines of an
//! AWS, Azure or Google Cloud bill, or a FOCUS export), `seats` (seat products), `shadow`
//! (card and expense purchases).

use super::{OutputFile, Outputs, Renderer, Report};
use crate::analysis::idle_capacity::seat_pools_of;
use crate::analysis::Seat;
use crate::ledger::query::InventoryGroup;
use crate::ledger::{ChargeKind, Ledger, RecordRole};
use crate::money;
use crate::pricing::merchants::Merchants;
use anyhow::Result;
use serde::{Serialize, Serializer};
use std::collections::{BTreeMap, BTreeSet};

/// Version of the `inventory.json` contract.
pub const INVENTORY_SCHEMA_VERSION: u32 = 1;

fn cents<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(money::nanos_to_cent_f64(*v))
}

/// What kind of product a line of spend is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    Api,
    CloudPlatform,
    Seats,
    Shadow,
}

impl ProductKind {
    pub const ALL: [ProductKind; 4] = [
        ProductKind::Api,
        ProductKind::CloudPlatform,
        ProductKind::Seats,
        ProductKind::Shadow,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProductKind::Api => "api",
            ProductKind::CloudPlatform => "cloud_platform",
            ProductKind::Seats => "seats",
            ProductKind::Shadow => "shadow",
        }
    }

    /// As a board reads it.
    pub fn label(self) -> &'static str {
        match self {
            ProductKind::Api => "API",
            ProductKind::CloudPlatform => "Cloud platform",
            ProductKind::Seats => "Seats",
            ProductKind::Shadow => "Shadow (cards)",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Inventory {
    pub schema_version: u32,
    pub period: super::Period,
    pub currency: String,
    pub totals: InventoryTotals,
    pub vendors: Vec<Vendor>,
    pub workloads: Vec<Workload>,
    pub gateways: Vec<Gateway>,
    pub seat_products: Vec<SeatProduct>,
    pub provisioned: Vec<Provisioned>,
    pub shadow: Vec<Shadow>,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InventoryTotals {
    /// Equal to the report's `totals.billed_cost`.
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
    /// Equal to the report's `totals.estimated_cost`.
    #[serde(serialize_with = "cents")]
    pub estimated_cost: i128,
    /// Billed + estimated per product kind (`api`, `cloud_platform`, `seats`, `shadow`).
    #[serde(serialize_with = "super::cents_map")]
    pub by_kind: BTreeMap<String, i128>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Vendor {
    /// The company (`OpenAI`, `Microsoft`).
    pub vendor: String,
    pub products: Vec<Product>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Product {
    /// The provider id the rest of the audit uses (`openai`, `chatgpt`, `azure`).
    pub provider: String,
    pub product: String,
    pub kind: ProductKind,
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
    #[serde(serialize_with = "cents")]
    pub estimated_cost: i128,
    /// Billing accounts or organisations, with their billed money.
    pub accounts: Vec<Account>,
    /// The export formats this product's lines came from.
    pub data_from: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Account {
    pub account: String,
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
}

#[derive(Debug, Clone, Serialize)]
pub struct Workload {
    pub provider: String,
    pub workload: String,
    pub owner: Option<String>,
    pub models: Vec<String>,
    /// Billed money, or the list cost of its usage where the provider has no cost export.
    #[serde(serialize_with = "cents")]
    pub monthly_spend: i128,
    pub spend_basis: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Gateway {
    pub provider: String,
    /// The share of the provider's bill the gateway logs cover, 0 to 1; `None` when the
    /// provider has no bill in the inputs to compare with.
    pub coverage: Option<f64>,
    pub coverage_assumed: bool,
    #[serde(serialize_with = "cents")]
    pub provider_billed_cost: i128,
    pub data_from: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeatProduct {
    pub provider: String,
    pub plan: String,
    pub seats: usize,
    pub active: usize,
    pub idle: usize,
    #[serde(serialize_with = "cents")]
    pub monthly_cost: i128,
    pub priced: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Provisioned {
    pub provider: String,
    pub resource: String,
    pub unit_hours: f64,
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
    pub gateway_traffic_linked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Shadow {
    pub provider: String,
    pub product: String,
    /// `subscription` or `api`.
    pub kind: String,
    pub people: usize,
    #[serde(serialize_with = "cents")]
    pub monthly_spend: i128,
}

#[derive(Debug, Clone, Serialize)]
pub struct Source {
    pub path: String,
    pub format: Option<String>,
    pub status: String,
    pub rows: u64,
    /// What the file's lines are: `billed`, `usage`, `gateway`, `seats`, `card` or `none`.
    pub feeds: String,
}

/// Formats whose AI lines come from a cloud platform's bill.
fn is_cloud_format(format: &str) -> bool {
    format.starts_with("aws_")
        || format.starts_with("azure_")
        || format.starts_with("gcp_")
        || format == "focus_csv"
}

/// The product a provider's lines of one kind are, as the inventory names it.
fn product_name(provider: &str, kind: ProductKind) -> String {
    let (_, service) = super::focus::provider_names(provider);
    match kind {
        ProductKind::CloudPlatform => format!("{service} (cloud bill)"),
        _ if service == "AI API" => crate::charts::provider_name(provider),
        _ => service.to_string(),
    }
}

/// Builds the inventory from the report, the month's ledger and its seats.
pub fn build(
    report: &Report,
    ledger: &Ledger,
    seats: &[Seat],
    owners: &BTreeMap<String, String>,
    month_end_ms: i64,
    idle_days: i64,
) -> Result<Inventory> {
    let format_of: BTreeMap<&str, &str> = report
        .inputs
        .iter()
        .filter_map(|i| Some((i.path.as_str(), i.format.as_deref()?)))
        .collect();
    let groups = ledger.inventory_groups()?;
    let seat_providers: BTreeSet<&str> = seats.iter().map(|s| s.provider.as_str()).collect();
    let kind_of = |g: &InventoryGroup| -> ProductKind {
        if g.charge_kind == ChargeKind::Expense.as_str() {
            ProductKind::Shadow
        } else if g.charge_kind == ChargeKind::Seat.as_str()
            || seat_providers.contains(g.provider.as_str())
        {
            ProductKind::Seats
        } else if format_of
            .get(g.source_file.as_str())
            .is_some_and(|f| is_cloud_format(f))
        {
            ProductKind::CloudPlatform
        } else {
            ProductKind::Api
        }
    };

    // Products: billed money per provider × kind, with accounts and formats; a provider's
    // estimated spend (no cost export) goes to its usage's kind.
    let mut products: BTreeMap<(String, ProductKind, String), Product> = BTreeMap::new();
    let mut estimated_kind: BTreeMap<&str, ProductKind> = BTreeMap::new();
    let merchants = Merchants::embedded();
    for g in &groups {
        let kind = kind_of(g);
        // A card purchase is the merchant product it is (`ChatGPT Plus`, `OpenAI API credit`).
        let name = match (
            kind,
            g.model_raw.as_deref().and_then(|m| merchants.product(m)),
        ) {
            (ProductKind::Shadow, Some(p)) => p.name.clone(),
            _ => product_name(&g.provider, kind),
        };
        let p = products
            .entry((g.provider.clone(), kind, name.clone()))
            .or_insert_with(|| Product {
                provider: g.provider.clone(),
                product: name,
                kind,
                billed_cost: 0,
                estimated_cost: 0,
                accounts: Vec::new(),
                data_from: Vec::new(),
            });
        if let Some(f) = format_of.get(g.source_file.as_str()) {
            if !p.data_from.iter().any(|x| x == f) {
                p.data_from.push(f.to_string());
            }
        }
        if g.role == RecordRole::Billed && kind == ProductKind::Shadow {
            // Bought on people's own cards: no company account (the people are in `shadow`).
            p.billed_cost += g.billed_cost_nano as i128;
        } else if g.role == RecordRole::Billed {
            p.billed_cost += g.billed_cost_nano as i128;
            // The billing account or organisation; an export that names none (Anthropic's
            // Console exports) is listed by its workspace or project.
            let account = g
                .billing_account
                .clone()
                .or_else(|| {
                    g.sub_account
                        .as_ref()
                        .map(|w| format!("workspace or project `{w}`"))
                })
                .unwrap_or_else(|| "(not named in the export)".into());
            match p.accounts.iter_mut().find(|a| a.account == account) {
                Some(a) => a.billed_cost += g.billed_cost_nano as i128,
                None => p.accounts.push(Account {
                    account,
                    billed_cost: g.billed_cost_nano as i128,
                }),
            }
        } else if kind != ProductKind::Shadow {
            estimated_kind.entry(&g.provider).or_insert(kind);
        }
    }
    for (provider, amount) in &report.totals.estimated_by_provider {
        let kind = estimated_kind
            .get(provider.as_str())
            .copied()
            .unwrap_or(ProductKind::Api);
        let p = products
            .entry((provider.clone(), kind, product_name(provider, kind)))
            .or_insert_with(|| Product {
                provider: provider.clone(),
                product: product_name(provider, kind),
                kind,
                billed_cost: 0,
                estimated_cost: 0,
                accounts: Vec::new(),
                data_from: Vec::new(),
            });
        p.estimated_cost += amount;
    }
    // A provider's usage-only lines of another kind than its bill (an Azure bill's gateway
    // traffic) carry no money of their own: their spend is in that bill, so they are not a
    // second product. A product with no money at all (seats with no price) is still listed.
    let with_money: BTreeSet<String> = products
        .values()
        .filter(|p| p.billed_cost != 0 || p.estimated_cost != 0)
        .map(|p| p.provider.clone())
        .collect();
    let mut vendors: BTreeMap<String, Vec<Product>> = BTreeMap::new();
    for (_, mut p) in products {
        if p.billed_cost == 0
            && p.estimated_cost == 0
            && p.accounts.is_empty()
            && with_money.contains(&p.provider)
        {
            continue;
        }
        p.accounts.sort_by(|a, b| {
            b.billed_cost
                .cmp(&a.billed_cost)
                .then_with(|| a.account.cmp(&b.account))
        });
        p.data_from.sort();
        let vendor = match super::focus::provider_names(&p.provider).0 {
            "Other" => crate::charts::provider_name(&p.provider),
            v => v.to_string(),
        };
        vendors.entry(vendor).or_default().push(p);
    }
    let mut by_kind: BTreeMap<String, i128> = ProductKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), 0))
        .collect();
    for ps in vendors.values() {
        for p in ps {
            *by_kind.get_mut(p.kind.as_str()).expect("every kind listed") +=
                p.billed_cost + p.estimated_cost;
        }
    }
    let vendors: Vec<Vendor> = vendors
        .into_iter()
        .map(|(vendor, products)| Vendor { vendor, products })
        .collect();

    let workloads = workloads(&groups, owners, &kind_of);
    // Every provider a gateway log covers; its share of the vendor's bill where there is a bill
    // to compare with (`null` where the log is the only record of the vendor's spend).
    let gateway_providers: BTreeSet<&str> = groups
        .iter()
        .filter(|g| g.role == RecordRole::Gateway)
        .map(|g| g.provider.as_str())
        .collect();
    let gateways = gateway_providers
        .into_iter()
        .map(|provider| {
            let allocation = report
                .gateway_allocation
                .iter()
                .find(|a| a.provider == provider);
            Gateway {
                provider: provider.to_string(),
                coverage: allocation.map(|a| a.coverage),
                coverage_assumed: allocation.is_some_and(|a| a.coverage_assumed),
                provider_billed_cost: allocation.map_or(0, |a| a.billed_cost),
                data_from: groups
                    .iter()
                    .filter(|g| g.role == RecordRole::Gateway && g.provider == provider)
                    .filter_map(|g| format_of.get(g.source_file.as_str()).map(|f| f.to_string()))
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            }
        })
        .collect();
    let seat_products = seat_pools_of(seats, month_end_ms, idle_days)
        .into_iter()
        .map(|pool| SeatProduct {
            seats: pool.seats.len(),
            idle: pool.idle.len(),
            active: pool.seats.len() - pool.idle.len(),
            monthly_cost: pool
                .seats
                .iter()
                .filter_map(|s| s.price_nano)
                .map(i128::from)
                .sum(),
            priced: pool.seats.iter().all(|s| s.price_nano.is_some()),
            provider: pool.provider,
            plan: pool.plan,
        })
        .collect();
    let provisioned = report
        .provisioned
        .iter()
        .map(|c| Provisioned {
            provider: c.provider.clone(),
            resource: c.resource.clone(),
            unit_hours: c.hours,
            billed_cost: c.billed_cost,
            gateway_traffic_linked: c.linked,
        })
        .collect();
    let shadow = shadow(ledger)?;
    let sources = report
        .inputs
        .iter()
        .map(|i| {
            let lines: Vec<&InventoryGroup> =
                groups.iter().filter(|g| g.source_file == i.path).collect();
            let feeds = if lines.iter().any(|g| g.charge_kind == "expense") {
                "card"
            } else if lines.iter().any(|g| g.charge_kind == "seat") {
                "seats"
            } else {
                match lines.first().map(|g| g.role) {
                    Some(RecordRole::Billed) => "billed",
                    Some(RecordRole::Usage) => "usage",
                    Some(RecordRole::Gateway) => "gateway",
                    None => "none",
                }
            };
            Source {
                path: i.path.clone(),
                format: i.format.clone(),
                status: i.status.as_str().to_string(),
                rows: i.rows,
                feeds: feeds.to_string(),
            }
        })
        .collect();
    Ok(Inventory {
        schema_version: INVENTORY_SCHEMA_VERSION,
        period: report.period.clone(),
        currency: report.currency.clone(),
        totals: InventoryTotals {
            billed_cost: report.totals.billed_cost,
            estimated_cost: report.totals.estimated_cost,
            by_kind,
        },
        vendors,
        workloads,
        gateways,
        seat_products,
        provisioned,
        shadow,
        sources,
    })
}

/// Every workload with its owner, models and spend: billed where its provider has a cost
/// export, else the list cost of its usage (the provider's preferred usage source).
fn workloads(
    groups: &[InventoryGroup],
    owners: &BTreeMap<String, String>,
    kind_of: &dyn Fn(&InventoryGroup) -> ProductKind,
) -> Vec<Workload> {
    // Providers billed by their own exports (card purchases are not the vendor's bill).
    let billed_providers: BTreeSet<&str> = groups
        .iter()
        .filter(|g| g.role == RecordRole::Billed && g.charge_kind != ChargeKind::Expense.as_str())
        .map(|g| g.provider.as_str())
        .collect();
    let usage_providers: BTreeSet<&str> = groups
        .iter()
        .filter(|g| g.role == RecordRole::Usage)
        .map(|g| g.provider.as_str())
        .collect();
    let mut out: BTreeMap<(String, String), (BTreeSet<String>, i128, &'static str)> =
        BTreeMap::new();
    for g in groups {
        if matches!(kind_of(g), ProductKind::Seats | ProductKind::Shadow) {
            continue;
        }
        let Some(workload) = &g.workload else {
            continue;
        };
        let billed = billed_providers.contains(g.provider.as_str());
        let preferred = if usage_providers.contains(g.provider.as_str()) {
            RecordRole::Usage
        } else {
            RecordRole::Gateway
        };
        let (amount, basis) = match (billed, g.role) {
            (true, RecordRole::Billed) => (g.billed_cost_nano as i128, "billed"),
            (false, r) if r == preferred => (g.list_cost_nano as i128, "list cost of usage"),
            _ => (0, ""),
        };
        let e = out
            .entry((g.provider.clone(), workload.clone()))
            .or_insert((BTreeSet::new(), 0, "billed"));
        if let Some(m) = g.model_id.clone().or_else(|| g.model_raw.clone()) {
            e.0.insert(m);
        }
        e.1 += amount;
        if !basis.is_empty() {
            e.2 = basis;
        }
    }
    let mut list: Vec<Workload> = out
        .into_iter()
        .map(|((provider, workload), (models, spend, basis))| Workload {
            owner: owners.get(&workload).cloned(),
            provider,
            workload,
            models: models.into_iter().collect(),
            monthly_spend: spend,
            spend_basis: basis.to_string(),
        })
        .collect();
    list.sort_by(|a, b| {
        b.monthly_spend
            .cmp(&a.monthly_spend)
            .then_with(|| (&a.provider, &a.workload).cmp(&(&b.provider, &b.workload)))
    });
    list
}

/// Card and expense purchases per product: people and net spend.
fn shadow(ledger: &Ledger) -> Result<Vec<Shadow>> {
    let merchants = Merchants::embedded();
    // Net spend per product; people are those with any line (a refund names its person too).
    let mut m: BTreeMap<(String, String), (BTreeSet<String>, i128)> = BTreeMap::new();
    for l in ledger.expense_lines()? {
        let e = m
            .entry((l.provider.clone(), l.product.clone()))
            .or_default();
        if let Some(p) = l.person {
            e.0.insert(p);
        }
        e.1 += l.billed_cost_nano as i128;
    }
    Ok(m.into_iter()
        .map(|((provider, product), (people, spend))| {
            let p = merchants.product(&product);
            Shadow {
                provider,
                kind: p
                    .map(|p| match p.kind {
                        crate::pricing::merchants::ProductKind::Subscription => "subscription",
                        crate::pricing::merchants::ProductKind::Api => "api",
                    })
                    .unwrap_or("subscription")
                    .to_string(),
                product: p.map(|p| p.name.clone()).unwrap_or(product),
                people: people.len(),
                monthly_spend: spend,
            }
        })
        .collect())
}

fn money_cell(currency: &str, nanos: i128) -> String {
    super::markdown::money_in(currency, nanos)
}

/// Data made inert in a Markdown table cell (the report's own rule).
fn cell(s: &str) -> String {
    super::markdown::cell(s)
}

/// The inventory as Markdown sections under `level` (`##` in `inventory.md`, `###` inside the
/// report).
pub fn markdown(inv: &Inventory, level: &str) -> String {
    let c = &inv.currency;
    let mut s = String::new();
    let spend = inv.totals.billed_cost + inv.totals.estimated_cost;
    let kinds: Vec<String> = ProductKind::ALL
        .iter()
        .map(|k| {
            format!(
                "{} {}",
                k.label(),
                money_cell(c, inv.totals.by_kind[k.as_str()])
            )
        })
        .collect();
    s.push_str(&format!(
        "{} of AI spend, billed and estimated. By kind: {}. {} vendors, {} workloads, {} seat products, {} products bought on cards.\n\n",
        money_cell(c, spend),
        kinds.join(", "),
        inv.vendors.len(),
        inv.workloads.len(),
        inv.seat_products.len(),
        inv.shadow.len()
    ));
    s.push_str(&format!("{level} Vendors and products\n\n"));
    s.push_str("| vendor | product | kind | billed | estimated | accounts | data from |\n|---|---|---|---:|---:|---|---|\n");
    for v in &inv.vendors {
        for p in &v.products {
            let accounts: Vec<String> = p.accounts.iter().map(|a| cell(&a.account)).collect();
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} |\n",
                cell(&v.vendor),
                cell(&p.product),
                p.kind.label(),
                money_cell(c, p.billed_cost),
                money_cell(c, p.estimated_cost),
                if accounts.is_empty() {
                    "—".to_string()
                } else {
                    accounts.join(", ")
                },
                p.data_from.join(", ")
            ));
        }
    }
    s.push_str(&format!("\n{level} Workloads\n\n"));
    if inv.workloads.is_empty() {
        s.push_str("None named in these exports.\n");
    } else {
        s.push_str(
            "| workload | provider | owner | models | monthly spend |\n|---|---|---|---|---:|\n",
        );
        for w in inv.workloads.iter().take(super::TABLE_ROWS) {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {}{} |\n",
                cell(&w.workload),
                w.provider,
                cell(w.owner.as_deref().unwrap_or("—")),
                cell(&w.models.join(", ")),
                money_cell(c, w.monthly_spend),
                if w.spend_basis == "billed" {
                    ""
                } else {
                    " (list)"
                }
            ));
        }
        if inv.workloads.len() > super::TABLE_ROWS {
            s.push_str(&format!(
                "\n{} more workloads in `inventory.json`.\n",
                inv.workloads.len() - super::TABLE_ROWS
            ));
        }
    }
    s.push_str(&format!("\n{level} Gateways\n\n"));
    if inv.gateways.is_empty() {
        s.push_str("No gateway logs in these exports.\n");
    } else {
        s.push_str("| provider | gateway coverage of the bill | provider billed | data from |\n|---|---:|---:|---|\n");
        for g in &inv.gateways {
            let coverage = match g.coverage {
                Some(x) => format!(
                    "{:.1}%{}",
                    x * 100.0,
                    if g.coverage_assumed { " (assumed)" } else { "" }
                ),
                None => "no bill in the inputs".to_string(),
            };
            s.push_str(&format!(
                "| {} | {coverage} | {} | {} |\n",
                g.provider,
                money_cell(c, g.provider_billed_cost),
                g.data_from.join(", ")
            ));
        }
    }
    s.push_str(&format!("\n{level} Seat products\n\n"));
    if inv.seat_products.is_empty() {
        s.push_str("No seat reports in these exports.\n");
    } else {
        s.push_str("| provider | plan | seats | active | idle | monthly cost |\n|---|---|---:|---:|---:|---:|\n");
        for p in &inv.seat_products {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                p.provider,
                p.plan,
                p.seats,
                p.active,
                p.idle,
                if p.priced {
                    money_cell(c, p.monthly_cost)
                } else {
                    "no seat price".to_string()
                }
            ));
        }
    }
    s.push_str(&format!("\n{level} Provisioned capacity\n\n"));
    if inv.provisioned.is_empty() {
        s.push_str("None billed this month.\n");
    } else {
        s.push_str("| provider | resource | unit-hours | billed | gateway traffic linked |\n|---|---|---:|---:|---|\n");
        for p in &inv.provisioned {
            s.push_str(&format!(
                "| {} | {} | {:.0} | {} | {} |\n",
                p.provider,
                cell(&p.resource),
                p.unit_hours,
                money_cell(c, p.billed_cost),
                if p.gateway_traffic_linked {
                    "yes"
                } else {
                    "no"
                }
            ));
        }
    }
    s.push_str(&format!(
        "\n{level} Shadow AI (cards and expense reports)\n\n"
    ));
    if inv.shadow.is_empty() {
        s.push_str("No card or expense export in these exports, or no AI merchant on them.\n");
    } else {
        s.push_str(
            "| provider | product | kind | people | monthly spend |\n|---|---|---|---:|---:|\n",
        );
        for p in &inv.shadow {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                p.provider,
                cell(&p.product),
                p.kind,
                p.people,
                money_cell(c, p.monthly_spend)
            ));
        }
    }
    s.push_str(&format!("\n{level} Data sources\n\n"));
    s.push_str("| file | format | feeds | status | rows |\n|---|---|---|---|---:|\n");
    for src in &inv.sources {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            cell(&src.path),
            src.format.as_deref().unwrap_or("—"),
            src.feeds,
            src.status,
            src.rows
        ));
    }
    s
}

/// `inventory.json` and `inventory.md`.
pub struct InventoryRenderer;

impl Renderer for InventoryRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        let Some(inv) = &o.report.inventory else {
            return Ok(Vec::new());
        };
        let mut json = serde_json::to_vec_pretty(inv)?;
        json.push(b'\n');
        let md = format!(
            "# AI inventory, {} to {}\n\n{}",
            inv.period.start,
            inv.period.end,
            markdown(inv, "##")
        );
        Ok(vec![
            OutputFile {
                path: "inventory.json".into(),
                bytes: json,
            },
            OutputFile {
                path: "inventory.md".into(),
                bytes: md.into_bytes(),
            },
        ])
    }
}
