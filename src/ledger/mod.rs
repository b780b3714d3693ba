//! The canonical ledger: one schema for every source.
//!
//! Every reader turns its export into [`LedgerRow`]s: one per charge of a row for the row
//! formats, one per group for the request logs aggregated in polars (`ingest/request_log.rs`),
//! and none for the non-AI lines of a large bill (`ingest/bill_chunks.rs` counts them). The
//! pricer fills in the catalog model and list cost; [`LedgerBuilder`] appends the lines into
//! polars column builders, and [`query`] reads the frame back through typed queries. The frame
//! is FOCUS-aligned in spirit:
//!
//! | column | type | meaning |
//! |---|---|---|
//! | `charge_period_start`, `charge_period_end` | Datetime(ms), UTC | the usage window; end exclusive |
//! | `provider` | str | lower-case id: `openai`, `anthropic`, `aws`, `azure`, `gcp`, `openrouter`, … |
//! | `record_role` | str | `billed` (money from a cost export), `usage` (quantities from a provider usage export), `gateway` (quantities from a gateway log) |
//! | `billing_account` | str? | org / billing account |
//! | `sub_account` | str? | project or workspace |
//! | `api_key` | str? | API key id or name |
//! | `workload` | str | the workload the row is attributed to (config mapping, else sub-account, else key, else `unattributed`) |
//! | `model_raw`, `model_id` | str? | the model string as written, and the resolved catalog id |
//! | `charge_kind` | str | `input`, `cached_input`, `cache_write`, `output`, `request`, `seat`, `provisioned_hour`, `other` |
//! | `charge_category` | str | `usage`, `purchase`, `tax`, `credit`, `adjustment` (FOCUS ChargeCategory); only usage lines feed the usage analyses |
//! | `charge_frequency` | str? | `One-Time`, `Recurring`, `Usage-Based`, where the source states it |
//! | `quantity`, `unit` | f64, str | e.g. `120000`, `tokens` |
//! | `prompt_tokens` | f64? | whole-request prompt size on per-request rows (gateway and observability logs) |
//! | `billed_cost`, `billed_cost_nano` | f64?, i64? | money billed (cost exports only); the integer nano-unit column is exact and is what totals sum |
//! | `list_cost`, `list_cost_nano` | f64?, i64? | the catalog's list price for the row; null when unpriced or not priceable |
//! | `source_reported_cost_nano` | i64? | a cost the source itself reports but that is not a bill (gateway `spend`, Anthropic `list_price_usd`); never added to billed spend |
//! | `contracted_cost_nano` | i64? | list cost less the customer overlay's discount in force; equal to list without an overlay |
//! | `effective_cost_nano` | i64? | the source's effective (amortised) cost, where it states one (FOCUS) |
//! | `currency` | str | ISO 4217 |
//! | `service_tier` | str | `standard`, `batch`, `priority`, `flex` |
//! | `region` | str? | region or geo |
//! | `resource` | str? | billed or serving resource (Azure OpenAI account, Bedrock ARN); gateway rows name the resource their endpoint points at |
//! | `tags` | str? | JSON object |
//! | `last_activity_at` | Datetime(ms)?, UTC | a seat's last activity as its seat report states it (seat lines only) |
//! | `assigned_at` | Datetime(ms)?, UTC | when the seat was assigned, where its report states it (seat lines only) |
//! | `price_ref` | str? | `catalog release / SKU (model@platform:region) / price period` used, with `/long-context` when the cliff applied |
//! | `unpriced_reason` | str? | why no list cost could be computed |
//! | `source_file`, `source_line` | str, u32 | provenance: the input file (relative to the input folder) and its 1-based line (for an aggregated request-log line, its first request's line) |
//! | `source_rows` | u32 | input rows the line stands for: 1, or the request count of a request-log group (hour × provider × team × key × model × tags × endpoint × long-context band) |
//!
//! This schema is also an input: a `ledger.parquet` read back (`ingest/ledger_parquet.rs`) gives
//! the same totals.
//!
//! Usage and gateway rows carry quantities and attribution, never billed money: the billed total
//! is the sum of `billed_cost_nano` over `record_role == billed`, nothing else.

pub mod export;
mod frame;
pub mod query;

pub use frame::{Ledger, LedgerBuilder, RequestStats, USAGE_MATCH_COLUMNS};
pub use query::{NameOf, SpendBy};
pub use requests::RequestProfile;

mod requests;

use serde::Serialize;

/// Which kind of source a ledger row came from; decides whether its money counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RecordRole {
    /// A cost export line: the money.
    Billed,
    /// A provider usage export line: quantities and attribution only.
    Usage,
    /// A gateway / observability log line: quantities and attribution only.
    Gateway,
}

impl RecordRole {
    pub fn as_str(self) -> &'static str {
        match self {
            RecordRole::Billed => "billed",
            RecordRole::Usage => "usage",
            RecordRole::Gateway => "gateway",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [RecordRole::Billed, RecordRole::Usage, RecordRole::Gateway]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// What a line charges for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    Input,
    CachedInput,
    CacheWrite,
    Output,
    Request,
    /// Audio tokens in, read from the prompt cache, and out (realtime, audio and speech models).
    AudioInput,
    AudioCachedInput,
    AudioOutput,
    /// Image tokens in, read from the prompt cache, and out (vision input, image generation).
    ImageInput,
    ImageCachedInput,
    ImageOutput,
    /// A server-side web search a model ran for a request, billed per call.
    WebSearch,
    /// A file-search (vector store) tool call, billed per call.
    FileSearch,
    /// A code-execution container or session, billed by the vendor per session or hour.
    CodeExecution,
    Seat,
    /// A card or expense-report purchase from an AI vendor (a personal subscription or an API
    /// top-up): billed money of its own kind, attributed to the person who paid.
    Expense,
    ProvisionedHour,
    Other,
}

impl ChargeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeKind::Input => "input",
            ChargeKind::CachedInput => "cached_input",
            ChargeKind::CacheWrite => "cache_write",
            ChargeKind::Output => "output",
            ChargeKind::Request => "request",
            ChargeKind::AudioInput => "audio_input",
            ChargeKind::AudioCachedInput => "audio_cached_input",
            ChargeKind::AudioOutput => "audio_output",
            ChargeKind::ImageInput => "image_input",
            ChargeKind::ImageCachedInput => "image_cached_input",
            ChargeKind::ImageOutput => "image_output",
            ChargeKind::WebSearch => "web_search",
            ChargeKind::FileSearch => "file_search",
            ChargeKind::CodeExecution => "code_execution",
            ChargeKind::Seat => "seat",
            ChargeKind::Expense => "expense",
            ChargeKind::ProvisionedHour => "provisioned_hour",
            ChargeKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "input" => ChargeKind::Input,
            "cached_input" => ChargeKind::CachedInput,
            "cache_write" => ChargeKind::CacheWrite,
            "output" => ChargeKind::Output,
            "request" => ChargeKind::Request,
            "audio_input" => ChargeKind::AudioInput,
            "audio_cached_input" => ChargeKind::AudioCachedInput,
            "audio_output" => ChargeKind::AudioOutput,
            "image_input" => ChargeKind::ImageInput,
            "image_cached_input" => ChargeKind::ImageCachedInput,
            "image_output" => ChargeKind::ImageOutput,
            "web_search" => ChargeKind::WebSearch,
            "file_search" => ChargeKind::FileSearch,
            "code_execution" => ChargeKind::CodeExecution,
            "seat" => ChargeKind::Seat,
            "expense" => ChargeKind::Expense,
            "provisioned_hour" => ChargeKind::ProvisionedHour,
            "other" => ChargeKind::Other,
            _ => return None,
        })
    }

    /// Token-denominated kinds, the ones a usage profile sums.
    pub fn is_tokens(self) -> bool {
        matches!(
            self,
            ChargeKind::Input
                | ChargeKind::CachedInput
                | ChargeKind::CacheWrite
                | ChargeKind::Output
        )
    }

    /// Audio and image tokens: priced per token like text, at their own rates, but kept out of
    /// the text usage profile the tier and caching analyses read.
    pub fn is_media_tokens(self) -> bool {
        matches!(
            self,
            ChargeKind::AudioInput
                | ChargeKind::AudioCachedInput
                | ChargeKind::AudioOutput
                | ChargeKind::ImageInput
                | ChargeKind::ImageCachedInput
                | ChargeKind::ImageOutput
        )
    }
}

/// What a billed line is, in FOCUS's `ChargeCategory` terms: only `usage` lines feed the usage
/// analyses; purchases (commitments, reservations, prepayments), taxes, credits and
/// adjustments are billed money kept apart (`totals.by_charge_category`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord, Default)]
#[serde(rename_all = "snake_case")]
pub enum ChargeCategory {
    #[default]
    Usage,
    Purchase,
    Tax,
    Credit,
    Adjustment,
}

impl ChargeCategory {
    pub const ALL: [ChargeCategory; 5] = [
        ChargeCategory::Usage,
        ChargeCategory::Purchase,
        ChargeCategory::Tax,
        ChargeCategory::Credit,
        ChargeCategory::Adjustment,
    ];

    /// The ledger's spelling (`charge_category` column).
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeCategory::Usage => "usage",
            ChargeCategory::Purchase => "purchase",
            ChargeCategory::Tax => "tax",
            ChargeCategory::Credit => "credit",
            ChargeCategory::Adjustment => "adjustment",
        }
    }

    /// FOCUS's spelling (`ChargeCategory` in `focus.csv`).
    pub fn focus_name(self) -> &'static str {
        match self {
            ChargeCategory::Usage => "Usage",
            ChargeCategory::Purchase => "Purchase",
            ChargeCategory::Tax => "Tax",
            ChargeCategory::Credit => "Credit",
            ChargeCategory::Adjustment => "Adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ChargeCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The category a source's own charge-type text states, in any letter case, spacing or
    /// separator: FOCUS `ChargeCategory`, Azure `ChargeType`, CUR `line_item_line_item_type`
    /// and GCP `cost_type`. Blank is usage. A value none of them documents is an adjustment:
    /// kept apart from usage (so it never feeds an analysis) and still in the billed total.
    pub fn from_source(text: &str) -> Self {
        let key = source_key(text);
        match key.as_str() {
            // Azure's unused reservation is the idle share of a commitment's usage, as the
            // amortised export states it; CUR's covered usage is usage at its on-demand rate.
            ""
            | "usage"
            | "regular"
            | "discountedusage"
            | "savingsplancoveredusage"
            | "unusedreservation"
            | "unusedsavingsplan" => ChargeCategory::Usage,
            "purchase" | "fee" | "rifee" | "savingsplanupfrontfee" | "savingsplanrecurringfee" => {
                ChargeCategory::Purchase
            }
            "tax" => ChargeCategory::Tax,
            // CUR's discounts and negations are money taken off the bill, as credits are.
            "credit"
            | "credits"
            | "refund"
            | "savingsplannegation"
            | "bundleddiscount"
            | "edpdiscount"
            | "privateratediscount"
            | "discount"
            | "distributordiscount" => ChargeCategory::Credit,
            _ => ChargeCategory::Adjustment,
        }
    }
}

/// A source's charge-type text without case, spaces or separators (`Unused Reservation`,
/// `unused_reservation` and `UnusedReservation` alike).
fn source_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// How often a charge recurs, in FOCUS's `ChargeFrequency` terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
pub enum ChargeFrequency {
    OneTime,
    Recurring,
    UsageBased,
}

impl ChargeFrequency {
    /// FOCUS's spelling, which the ledger also uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeFrequency::OneTime => "One-Time",
            ChargeFrequency::Recurring => "Recurring",
            ChargeFrequency::UsageBased => "Usage-Based",
        }
    }

    /// A source's frequency text (FOCUS `ChargeFrequency`, Azure `Frequency`: `OneTime`,
    /// `Recurring`, `UsageBased`), in any case or separator; `None` for blank or unknown.
    pub fn from_source(text: &str) -> Option<Self> {
        let key = source_key(text);
        match key.as_str() {
            "onetime" => Some(ChargeFrequency::OneTime),
            "recurring" => Some(ChargeFrequency::Recurring),
            "usagebased" => Some(ChargeFrequency::UsageBased),
            _ => None,
        }
    }
}

/// The service tier that served the traffic; it selects the catalog rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTier {
    Standard,
    Batch,
    Priority,
    Flex,
}

impl ServiceTier {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceTier::Standard => "standard",
            ServiceTier::Batch => "batch",
            ServiceTier::Priority => "priority",
            ServiceTier::Flex => "flex",
        }
    }

    /// Maps the tier spellings seen in exports (`default`, `auto`, `scale`, `fast`, …).
    pub fn from_export(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "default" | "auto" | "standard" | "on_demand" | "message" => {
                Some(ServiceTier::Standard)
            }
            "batch" => Some(ServiceTier::Batch),
            "priority" | "scale" | "fast" => Some(ServiceTier::Priority),
            "flex" => Some(ServiceTier::Flex),
            _ => None,
        }
    }
}

/// Cache-write time to live; Anthropic prices 5-minute and 1-hour writes differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheTtl {
    FiveMinutes,
    OneHour,
}

impl CacheTtl {
    /// The ledger's spelling (`cache_ttl` column).
    pub fn as_str(self) -> &'static str {
        match self {
            CacheTtl::FiveMinutes => "5m",
            CacheTtl::OneHour => "1h",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [CacheTtl::FiveMinutes, CacheTtl::OneHour]
            .into_iter()
            .find(|t| t.as_str() == s)
    }
}

/// One normalised ledger line, as a parser emits it (before pricing fills `model_id` and
/// `list_cost_nano`).
#[derive(Debug, Clone)]
pub struct LedgerRow {
    /// Milliseconds since the Unix epoch, UTC.
    pub period_start_ms: i64,
    pub period_end_ms: i64,
    pub provider: &'static str,
    pub role: RecordRole,
    pub billing_account: Option<String>,
    pub sub_account: Option<String>,
    pub api_key: Option<String>,
    pub workload: Option<String>,
    pub model_raw: Option<String>,
    pub model_id: Option<String>,
    /// The base model a gateway log names beside a deployment string (LiteLLM
    /// `model_info.base_model`): priced first when the catalog knows it.
    pub model_base: Option<String>,
    /// The gateway's model group (LiteLLM `model_group`): priced when neither the base model
    /// nor the model string resolves.
    pub model_group: Option<String>,
    pub charge_kind: ChargeKind,
    /// What the billed line is (usage, purchase, tax, credit, adjustment); usage for every
    /// usage and gateway line.
    pub charge_category: ChargeCategory,
    /// The frequency the source states (FOCUS `ChargeFrequency`, Azure `Frequency`).
    pub charge_frequency: Option<ChargeFrequency>,
    pub cache_ttl: Option<CacheTtl>,
    pub quantity: f64,
    pub unit: &'static str,
    pub billed_cost_nano: Option<i64>,
    pub list_cost_nano: Option<i64>,
    /// List cost less the customer overlay's discount in force (= list without an overlay).
    pub contracted_cost_nano: Option<i64>,
    pub source_reported_cost_nano: Option<i64>,
    /// Amortised / effective cost where the source states one (FOCUS `EffectiveCost`).
    pub effective_cost_nano: Option<i64>,
    pub currency: String,
    pub service_tier: ServiceTier,
    pub region: Option<String>,
    /// The billed or serving resource: Azure OpenAI account name, Bedrock ARN (provisioned
    /// models included), or for gateway rows the account their endpoint names. Lower-case.
    pub resource: Option<String>,
    pub tags: Option<String>,
    /// The source's own identifying detail of a billed charge (its SKU, meter, description,
    /// service, publisher and resource columns, as `column=value` pairs), so that two distinct
    /// charges with equal amounts are never taken for one exported twice. `None` where the
    /// format has no such columns, or the row leaves them all blank.
    pub identity: Option<String>,
    /// A seat's last activity as its report states it (seat lines only; `None`: never active
    /// or not reported).
    pub last_activity_ms: Option<i64>,
    /// When a seat was assigned, where its report states it (Copilot `created_at`); a seat
    /// assigned within the idle window is new, not idle.
    pub assigned_ms: Option<i64>,
    /// Region class the bill states for the serving deployment (`global`, `geo`, `data-zone`,
    /// `regional`); used to pick the SKU, recorded in `price_ref`.
    pub region_class: Option<&'static str>,
    /// Whole-request prompt size (input + cache reads + cache writes) where the source is per
    /// request; decides long-context cliffs. `None` for daily or monthly aggregates.
    pub prompt_tokens: Option<f64>,
    pub price_ref: Option<String>,
    pub unpriced_reason: Option<String>,
    pub source_file: String,
    pub source_line: u32,
    /// Input rows this line stands for: 1 for a row-by-row format, the request count for a
    /// request-log group (whose `source_line` is its first request's line).
    pub source_rows: u32,
    /// Output and prompt sizes of the requests an aggregated output line stands for.
    pub request_hist: Option<std::sync::Arc<RequestHist>>,
    /// Already priced (a line read back from an earlier run's `ledger.parquet`): its list,
    /// contracted and effective cost are kept, not priced again.
    pub priced: bool,
}

/// Per-request sizes of a group of requests that produced output, as counts per size.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestHist {
    /// (output tokens, requests), in any order.
    pub output: Vec<(f64, u64)>,
    /// (prompt tokens, requests), in any order.
    pub prompt: Vec<(f64, u64)>,
    pub requests: u64,
    /// The largest prompt, exact even when sizes are bucketed.
    pub prompt_max: f64,
    /// Sizes are log-spaced buckets (within ±1/64), not exact values.
    pub approximate: bool,
    /// Requests per UTC hour of the line's day, when the counts cover a whole day of the
    /// line's workload and model; `None` puts them all in the line's own hour.
    pub hourly: Option<[u64; 24]>,
}

impl LedgerRow {
    /// A row with every optional field empty; parsers fill in what their format has.
    pub fn new(
        provider: &'static str,
        role: RecordRole,
        charge_kind: ChargeKind,
        period_start_ms: i64,
        period_end_ms: i64,
        source_file: &str,
        source_line: u32,
    ) -> Self {
        LedgerRow {
            period_start_ms,
            period_end_ms,
            provider,
            role,
            billing_account: None,
            sub_account: None,
            api_key: None,
            workload: None,
            model_raw: None,
            model_id: None,
            model_base: None,
            model_group: None,
            charge_kind,
            charge_category: ChargeCategory::Usage,
            charge_frequency: None,
            cache_ttl: None,
            quantity: 0.0,
            unit: "tokens",
            billed_cost_nano: None,
            list_cost_nano: None,
            contracted_cost_nano: None,
            source_reported_cost_nano: None,
            effective_cost_nano: None,
            currency: "USD".to_string(),
            service_tier: ServiceTier::Standard,
            region: None,
            resource: None,
            tags: None,
            identity: None,
            last_activity_ms: None,
            assigned_ms: None,
            region_class: None,
            prompt_tokens: None,
            price_ref: None,
            unpriced_reason: None,
            source_file: source_file.to_string(),
            source_line,
            source_rows: 1,
            request_hist: None,
            priced: false,
        }
    }
}
