//! The report model and its renderers (one per output format).
//!
//! [`Report`] is built once from the ledger, the inputs and the findings; every renderer is a
//! pure function of it returning bytes, and one writer does the file I/O. `findings.json` is the
//! public contract (schema in `docs/findings.schema.json`); Markdown is a view of the same data.
//! Nothing here reads a clock or a path outside the report, so reports are byte-identical for
//! the same inputs and catalog.

pub mod build;
mod findings_csv;
pub mod focus;
mod html;
pub mod inventory;
mod json;
mod markdown;
mod rejects;

use crate::analysis::{combined_savings, Finding, ProvisionedCapacity};
use crate::ingest::{InputRecord, Reject};
use crate::ledger::Ledger;
use crate::money;
use anyhow::Result;
use serde::{Serialize, Serializer};
use std::collections::BTreeMap;

pub use findings_csv::FindingsCsvRenderer;
pub use html::HtmlRenderer;
pub use json::JsonRenderer;
pub use markdown::MarkdownRenderer;
pub use rejects::RejectsRenderer;

/// Version of the `findings.json` contract. Bump on any breaking change.
pub const SCHEMA_VERSION: u32 = 2;

fn cents<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(money::nanos_to_cent_f64(*v))
}

fn cents_opt<S: Serializer>(v: &Option<i128>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(n) => cents(n, s),
        None => s.serialize_none(),
    }
}

fn cents_map<S: Serializer>(v: &BTreeMap<String, i128>, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, n) in v {
        m.serialize_entry(k, &money::nanos_to_cent_f64(*n))?;
    }
    m.end()
}

#[derive(Debug, Clone, Serialize)]
pub struct Period {
    /// First day, inclusive (`YYYY-MM-DD`).
    pub start: String,
    /// Day after the last, exclusive.
    pub end: String,
    /// Whether the billing data covers the month's last day.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    /// Sum of cost-export lines in the period: the money.
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
    /// Catalog list cost of usage from providers with no cost export in the inputs.
    #[serde(serialize_with = "cents")]
    pub estimated_cost: i128,
    /// Cost of the non-AI lines of the cloud bills read (EC2, storage, …), left out of AI spend.
    #[serde(serialize_with = "cents")]
    pub out_of_scope_cost: i128,
    #[serde(serialize_with = "cents_map")]
    pub by_provider: BTreeMap<String, i128>,
    #[serde(serialize_with = "cents_map")]
    pub estimated_by_provider: BTreeMap<String, i128>,
    /// Catalog list cost of the priced usage, beside the bill for comparison.
    #[serde(serialize_with = "cents_map")]
    pub list_cost_of_usage_by_provider: BTreeMap<String, i128>,
    /// The same usage at contracted prices: list less the overlay's discounts (= list without one).
    #[serde(serialize_with = "cents_map")]
    pub contracted_cost_of_usage_by_provider: BTreeMap<String, i128>,
    /// Credits from the overlay dated in the period (not on the bill).
    #[serde(serialize_with = "cents_map")]
    pub overlay_credits_by_provider: BTreeMap<String, i128>,
    /// The billed money by FOCUS charge category (`usage`, `purchase`, `tax`, `credit`,
    /// `adjustment`; every key always present). It adds up to `billed_cost`; only usage feeds
    /// the analyses.
    pub by_charge_category: BTreeMap<String, CategoryTotal>,
}

impl Totals {
    /// Every provider with billed or estimated spend, in order.
    pub fn providers(&self) -> std::collections::BTreeSet<&String> {
        self.by_provider
            .keys()
            .chain(self.estimated_by_provider.keys())
            .collect()
    }
}

/// The billed money of one charge category, and its amortised view.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct CategoryTotal {
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
    /// The sum of the sources' effective (amortised) cost over the lines that state one;
    /// `null` when none does.
    #[serde(serialize_with = "cents_opt")]
    pub effective_cost: Option<i128>,
    /// Ledger lines of the category, and how many of them state an effective cost.
    pub lines: u64,
    pub lines_with_effective_cost: u64,
}

/// A slice of spend (by workload or by model).
#[derive(Debug, Clone, Serialize)]
pub struct SpendLine {
    pub provider: String,
    pub name: String,
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
}

#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    /// Combined savings: overlapping findings are combined sequentially, not added.
    #[serde(serialize_with = "cents")]
    pub monthly_savings: i128,
    #[serde(serialize_with = "cents")]
    pub annual_savings: i128,
    /// Monthly savings ÷ (billed + estimated cost).
    pub share_of_spend: f64,
    #[serde(serialize_with = "cents_map")]
    pub by_kind: BTreeMap<String, i128>,
}

/// Usage the catalog could not price, grouped by provider, model string and reason.
#[derive(Debug, Clone, Serialize)]
pub struct Unpriced {
    pub provider: String,
    pub model: String,
    pub reason: String,
    pub rows: u64,
    pub tokens: f64,
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
}

/// A provider's bill split across workloads by the gateway traffic it covers.
///
/// Method: the gateway's priced tokens per workload (`gateway_list_cost`) give each workload's
/// share; coverage is the gateway's list cost over the provider's whole list cost (from its
/// usage export, else from the priced lines of its bill), capped at 1. Each workload gets
/// `billed × coverage × share`; `billed × (1 - coverage)` stays unattributed. When the
/// provider's whole list cost is unknown, coverage is assumed to be 1 and said so.
#[derive(Debug, Clone, Serialize)]
pub struct GatewayAllocation {
    pub provider: String,
    #[serde(serialize_with = "cents")]
    pub billed_cost: i128,
    /// Share of the provider's traffic the gateway saw, 0 to 1.
    pub coverage: f64,
    pub coverage_assumed: bool,
    pub workloads: Vec<AllocatedWorkload>,
    #[serde(serialize_with = "cents")]
    pub unattributed: i128,
}

#[derive(Debug, Clone, Serialize)]
pub struct AllocatedWorkload {
    pub workload: String,
    #[serde(serialize_with = "cents")]
    pub gateway_list_cost: i128,
    #[serde(serialize_with = "cents")]
    pub allocated_cost: i128,
}

#[derive(Debug, Clone, Serialize)]
pub struct AnalysisStatus {
    pub id: String,
    pub status: String,
    pub findings: usize,
    pub message: Option<String>,
}

/// Everything the renderers need.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool_version: String,
    pub catalog_release: String,
    pub period: Period,
    pub currency: String,
    pub totals: Totals,
    pub headline: Headline,
    pub findings: Vec<Finding>,
    pub unpriced: Vec<Unpriced>,
    pub inputs: Vec<InputRecord>,
    pub rejected_rows: usize,
    pub spend_by_workload: Vec<SpendLine>,
    pub spend_by_model: Vec<SpendLine>,
    pub gateway_allocation: Vec<GatewayAllocation>,
    pub provisioned: Vec<ProvisionedCapacity>,
    pub analyses: Vec<AnalysisStatus>,
    /// Month over month, from the history store; `null` when the run keeps no history.
    pub history: Option<History>,
    /// How `--redact` replaced personal data; `null` when the run was not redacted.
    pub redaction: Option<crate::redact::RedactionNote>,
    /// The customer overlay file applied, if any.
    pub overlay: Option<String>,
    /// Currencies converted to the report currency with the overlay's FX table.
    pub fx_applied: Vec<String>,
    /// Not serialised: the rows behind `rejects.csv`.
    #[serde(skip)]
    pub rejects: Vec<Reject>,
    /// Not serialised here (it has its own file, `inventory.json`): the AI inventory, filled
    /// once the findings' owners are known.
    #[serde(skip)]
    pub inventory: Option<inventory::Inventory>,
    /// Not serialised: display name and tier of each catalog model in `spend_by_model`, for
    /// the charts.
    #[serde(skip)]
    pub models: BTreeMap<String, ModelInfo>,
}

/// This month against the latest earlier month in the history store.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// `YYYY-MM`, or `null` when the store holds no earlier month.
    pub previous_month: Option<String>,
    /// Billed + estimated spend this month and in the previous month.
    #[serde(serialize_with = "cents")]
    pub spend: i128,
    #[serde(serialize_with = "cents_opt")]
    pub previous_spend: Option<i128>,
    /// This month less the previous, per provider and per `provider|workload`.
    #[serde(serialize_with = "cents_map")]
    pub spend_delta_by_provider: BTreeMap<String, i128>,
    #[serde(serialize_with = "cents_map")]
    pub spend_delta_by_workload: BTreeMap<String, i128>,
    /// Forecast spend of the calendar quarter holding this month, and how it was made.
    #[serde(serialize_with = "cents")]
    pub quarter_forecast: i128,
    pub quarter_forecast_basis: String,
    /// Last month's findings that are gone this month.
    pub resolved: Vec<ResolvedFinding>,
    /// Spend by provider of up to twelve months, oldest first, ending with this one.
    pub months: Vec<MonthSpend>,
}

/// One month's billed + estimated spend by provider, from the history store.
#[derive(Debug, Clone, Serialize)]
pub struct MonthSpend {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(serialize_with = "cents_map")]
    pub by_provider: BTreeMap<String, i128>,
}

/// A finding of the previous month that this month no longer has.
#[derive(Debug, Clone, Serialize)]
pub struct ResolvedFinding {
    pub id: String,
    pub kind: String,
    pub provider: String,
    pub title: String,
    #[serde(serialize_with = "cents")]
    pub monthly_savings_claimed: i128,
    /// How far the spend it acted on dropped since, up to the claimed saving.
    #[serde(serialize_with = "cents")]
    pub realised_monthly_savings: i128,
    /// How the realised saving was measured, or why it was not.
    pub realised_basis: String,
}

/// How a catalog model is shown.
#[derive(Debug, Clone)]
pub struct ModelInfo {
    /// `Claude Sonnet 4.5`, or the id without its vendor (`gpt-4o`).
    pub display: String,
    /// `small`, `mid` or `frontier`.
    pub tier: String,
}

impl Report {
    /// The statement a redacted report carries at its top, or `None`.
    pub fn redaction_statement(&self) -> Option<String> {
        let n = self.redaction.as_ref()?;
        let counts: Vec<String> = n
            .replaced
            .iter()
            .map(|(class, count)| format!("{count} {class}"))
            .collect();
        let what = match n.mode {
            crate::redact::RedactMode::Personal => {
                "people (emails, logins, user names) and API key ids and names are replaced by pseudonyms; workload and team names are kept"
            }
            crate::redact::RedactMode::All => {
                "people, API keys, and workload, team, project, account, resource and tag names are replaced by pseudonyms"
            }
        };
        let key = if n.key == "built-in" {
            "the built-in key, so anyone with spend-audit can test a guessed value; set `SPEND_AUDIT_REDACT_KEY` for pseudonyms only you can link"
        } else {
            "the key in `SPEND_AUDIT_REDACT_KEY`"
        };
        Some(format!(
            "Redacted (`--redact={}`): {what} ({}). Pseudonyms are keyed hashes with {key}.",
            match n.mode {
                crate::redact::RedactMode::Personal => "personal",
                crate::redact::RedactMode::All => "all",
            },
            if counts.is_empty() {
                "nothing found to replace".to_string()
            } else {
                counts.join(", ")
            }
        ))
    }

    /// Fills the headline from the findings.
    pub fn headline_from(findings: &[Finding], spend: i128) -> Headline {
        let monthly = combined_savings(findings) as i128;
        let mut by_kind: BTreeMap<String, i128> = BTreeMap::new();
        for kind in findings
            .iter()
            .map(|f| f.kind.clone())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let of_kind: Vec<Finding> = findings
                .iter()
                .filter(|f| f.kind == kind)
                .cloned()
                .collect();
            by_kind.insert(kind, combined_savings(&of_kind) as i128);
        }
        Headline {
            monthly_savings: monthly,
            annual_savings: money::nanos_to_cents(monthly) * 12 * (money::NANO / 100) as i128,
            share_of_spend: if spend > 0 {
                (money::nanos_to_cents(monthly) as f64 / money::nanos_to_cents(spend) as f64
                    * 10_000.0)
                    .round()
                    / 10_000.0
            } else {
                0.0
            },
            by_kind,
        }
    }

    pub fn total_spend(&self) -> i128 {
        self.totals.billed_cost + self.totals.estimated_cost
    }
}

/// Rows of a spend table in the Markdown and HTML reports: a board reads the top of the list,
/// and a month with 100,000 workloads would otherwise print 100,000 rows (`findings.json`
/// keeps them all).
pub const TABLE_ROWS: usize = 50;

/// The first [`TABLE_ROWS`] of `lines` (sorted by spend), and how many are left out with
/// their billed total, when any are.
pub fn table_rows(lines: &[SpendLine]) -> (&[SpendLine], Option<(usize, i128)>) {
    if lines.len() <= TABLE_ROWS {
        return (lines, None);
    }
    let (shown, rest) = lines.split_at(TABLE_ROWS);
    (
        shown,
        Some((rest.len(), rest.iter().map(|l| l.billed_cost).sum())),
    )
}

/// What every renderer reads: the report and the month's ledger (never raw files).
pub struct Outputs<'a> {
    pub report: &'a Report,
    pub ledger: &'a Ledger,
}

/// One file of the output folder: its path inside it and its bytes.
pub struct OutputFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

/// One output format; it may write several files (the charts do).
pub trait Renderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>>;

    /// Writes the files into the folder `dir` (the run's staging folder) and returns their
    /// paths inside it. A renderer whose output grows with the ledger streams it instead of
    /// rendering it in memory first.
    fn write(&self, o: &Outputs, dir: &std::path::Path) -> Result<Vec<String>> {
        let mut written = Vec::new();
        for file in self.render(o)? {
            crate::outdir::write_file(dir, &file.path, &file.bytes)?;
            written.push(file.path);
        }
        Ok(written)
    }
}

/// A renderer of one file from the report alone.
fn one(path: &str, bytes: Vec<u8>) -> Result<Vec<OutputFile>> {
    Ok(vec![OutputFile {
        path: path.to_string(),
        bytes,
    }])
}

/// `focus.csv`, `focus.parquet` and `focus-metadata.json`.
pub struct FocusRenderer;

impl Renderer for FocusRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        Ok(focus::render_all(o.report, o.ledger)?
            .into_iter()
            .map(|(path, bytes)| OutputFile {
                path: path.to_string(),
                bytes,
            })
            .collect())
    }

    /// Streams both files to disk a chunk of rows at a time: a month of millions of lines
    /// never exists as text in memory.
    fn write(&self, o: &Outputs, dir: &std::path::Path) -> Result<Vec<String>> {
        use anyhow::Context;
        use std::io::{BufWriter, Write};
        let (csv_path, csv) = crate::outdir::create_file(dir, "focus.csv")?;
        let (parquet_path, parquet) = crate::outdir::create_file(dir, "focus.parquet")?;
        let (mut csv, mut parquet) = (BufWriter::new(csv), BufWriter::new(parquet));
        let metadata = focus::write_all(o.report, o.ledger, &mut csv, &mut parquet)?;
        for (path, file) in [(csv_path, csv), (parquet_path, parquet)] {
            file.into_inner()
                .map_err(|e| e.into_error())
                .and_then(|mut f| f.flush().and_then(|()| f.sync_all()))
                .with_context(|| format!("could not write `{}`", path.display()))?;
        }
        crate::outdir::write_file(dir, "focus-metadata.json", &metadata)?;
        Ok(["focus.csv", "focus.parquet", "focus-metadata.json"]
            .map(String::from)
            .to_vec())
    }
}

/// `ledger.parquet`.
pub struct ParquetRenderer;

impl Renderer for ParquetRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        one("ledger.parquet", o.ledger.parquet_bytes()?)
    }
}

/// `charts/*.png` and `charts/*.svg`.
pub struct ChartsRenderer;

impl Renderer for ChartsRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        crate::charts::render_all(o.report)
    }
}

/// Every renderer, in the order files are written.
pub fn renderers() -> Vec<Box<dyn Renderer>> {
    vec![
        Box::new(JsonRenderer),
        Box::new(inventory::InventoryRenderer),
        Box::new(MarkdownRenderer),
        Box::new(HtmlRenderer),
        Box::new(FindingsCsvRenderer),
        Box::new(RejectsRenderer),
        Box::new(FocusRenderer),
        Box::new(ParquetRenderer),
        Box::new(ChartsRenderer),
    ]
}

/// A CSV cell that a spreadsheet will not run as a formula: text starting with `=`, `+`, `@`,
/// a tab or a carriage return, or a `-` that does not start a number, gets a leading `'`.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    let risky = match cell.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => cell.parse::<f64>().is_err(),
        _ => false,
    };
    if risky {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}
