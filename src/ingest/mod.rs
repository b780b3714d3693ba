//! Ingest: walk the export folder, recognise each file by its content, parse it into ledger rows.
//!
//! Every file ends up in exactly one [`InputStatus`]; every data row of an ingested file either
//! becomes ledger rows or a [`Reject`] with its file, line, column and reason. Files with identical
//! bytes (a re-download, `cost (1).csv`) are ingested once and listed as `duplicate`.
//!
//! Adding a format is one new file: implement [`Format`] and list it in [`FORMATS`].

mod anthropic_admin;
mod anthropic_cost;
mod anthropic_usage;
mod aws_cur;
mod azure_cost;
pub mod bill_chunks;
pub mod bounds;
mod csv_chunks;
pub mod dedup;
mod deepseek;
mod detect;
pub mod expenses;
mod focus;
mod gateway_logs;
mod gcp_billing;
pub mod inflate;
mod json;
mod ledger_parquet;
mod litellm_spend;
pub mod meters;
mod openai_admin;
mod openai_cost;
mod openai_usage;
mod openrouter;
mod request_grain;
pub mod request_log;
mod row;
mod seats;
mod table;

pub use detect::{sniff, Sniffed};
pub use row::{parse_timestamp_ms, RowError, RowView};
pub use table::StrTable;

use crate::ledger::{CacheTtl, ChargeKind, LedgerRow, RecordRole};
use anyhow::{Context, Result};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

/// Where a ledger row came from.
#[derive(Debug, Clone, Copy)]
pub struct SourceRef<'a> {
    /// Path relative to the input folder, with `/` separators.
    pub file: &'a str,
    /// 1-based line in the file (the header is line 1).
    pub line: u32,
}

/// What became of one export row that parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFate {
    /// It produced ledger rows (possibly none, for an all-zero usage bucket).
    Ledger,
    /// Not AI spend (EC2, storage, …): counted per file with its cost and start day, kept out
    /// of the ledger. `start_ms` is `None` when the row's date cannot be read (it then counts
    /// in whichever month is audited).
    OutOfScope {
        cost_nano: i64,
        start_ms: Option<i64>,
    },
}

/// One quantity a source row carries: charge kind, cache TTL, amount, unit.
pub type Part = (ChargeKind, Option<CacheTtl>, f64, &'static str);

/// Pushes one copy of `base` per non-zero part: how one usage row becomes its ledger lines.
pub fn push_parts(
    base: &LedgerRow,
    parts: impl IntoIterator<Item = Part>,
    out: &mut Vec<LedgerRow>,
) {
    for (kind, ttl, quantity, unit) in parts {
        if quantity > 0.0 {
            let mut r = base.clone();
            r.charge_kind = kind;
            r.cache_ttl = ttl;
            r.quantity = quantity;
            r.unit = unit;
            out.push(r);
        }
    }
}

/// One export format: how to recognise it and how to turn a row into ledger rows.
pub trait Format: Sync {
    /// Stable id, reported in `inputs[].format`.
    fn id(&self) -> &'static str;
    /// Whether rows carry money or only quantities.
    fn role(&self) -> RecordRole;
    /// Lower-case header names that must all be present for the file to be this format.
    /// (JSON formats have none.)
    fn required_columns(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether a file with this (lower-case) header is this format: by default, all of
    /// [`Format::required_columns`]; a format that finds its columns by synonyms decides itself.
    fn matches_header(&self, lower: &[String]) -> bool {
        let required = self.required_columns();
        !required.is_empty() && required.iter().all(|c| lower.iter().any(|h| h == c))
    }
    /// Every column the parser may read (lower-case); the scan loads only these.
    fn columns(&self) -> &'static [&'static str] {
        &[]
    }
    /// Whether the scan should load this (lower-case) column; formats with dynamic column names
    /// (CUR `resourceTags/user:*`) widen it.
    fn wants_column(&self, column: &str) -> bool {
        self.columns().contains(&column)
    }
    /// Appends the ledger rows of one export row to `out` (CSV formats).
    fn parse_row(
        &self,
        _row: &RowView,
        _src: SourceRef,
        _out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        Err(RowError::new(
            None,
            "this format is read from JSON, not CSV",
        ))
    }

    /// Per-request logs read as column expressions and aggregated as they are read, instead of
    /// row by row (the row parser then reads only the rows the expressions flag).
    fn request_log(&self) -> Option<&dyn request_log::RequestLog> {
        None
    }

    /// Large bills whose out-of-scope rows (most of a cloud bill) are recognised and summed by
    /// column expressions, so only the AI lines reach the row parser.
    fn bill_scope(&self) -> Option<&dyn bill_chunks::BillScope> {
        None
    }

    /// Formats read from Parquet as a whole frame by their own reader, not row by row.
    fn frame_reader(&self) -> Option<FrameReader> {
        None
    }

    /// JSON formats (API dumps) are matched on a result record instead of a header.
    fn is_json(&self) -> bool {
        false
    }
    /// For JSON formats: whether this result record is this format's.
    fn matches_json(&self, _result: &serde_json::Value) -> bool {
        false
    }
    /// For JSON formats: the ledger rows of one result record within its bucket.
    fn parse_json(
        &self,
        _bucket: &serde_json::Value,
        _result: &serde_json::Value,
        _src: SourceRef,
        _out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        Err(RowError::new(
            None,
            "this format is read from CSV, not JSON",
        ))
    }
}

/// The Parquet inputs that spend-audit defines itself, each with its own frame reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameReader {
    /// A request log aggregated elsewhere (`docs/scale.md`).
    RequestGrain,
    /// An earlier run's `ledger.parquet`.
    Ledger,
}

/// Registered formats, most specific first: the first whose required columns are all present wins.
pub static FORMATS: &[&dyn Format] = &[
    &ledger_parquet::LedgerParquet,
    &openai_usage::OpenAiUsageCsv,
    &openai_cost::OpenAiCostCsv,
    &anthropic_usage::AnthropicUsageCsv,
    &anthropic_cost::AnthropicCostCsv,
    &litellm_spend::LiteLlmSpendCsv,
    &request_grain::RequestGrainParquet,
    &openrouter::OpenRouterActivityCsv,
    &focus::FocusCsv,
    &azure_cost::AzureCostCsv,
    &aws_cur::AwsCurLegacyCsv,
    &aws_cur::AwsCur2Csv,
    &gcp_billing::GcpBillingCsv,
    &gcp_billing::GcpBigQueryCsv,
    &gateway_logs::HeliconeCsv,
    &gateway_logs::LiteLlmDailyCsv,
    &gateway_logs::LangfuseObservationsCsv,
    &deepseek::DeepSeekAmountCsv,
    &deepseek::DeepSeekCostCsv,
    &seats::CopilotActivityCsv,
    &seats::ChatGptUsersCsv,
    &seats::ClaudeSpendCsv,
    // Last of the CSV formats: it finds its columns by common names, so every export with
    // columns of its own is matched first.
    &expenses::ExpenseCsv,
    &openai_admin::OpenAiUsageJson,
    &openai_admin::OpenAiCostJson,
    &anthropic_admin::AnthropicUsageJson,
    &anthropic_admin::AnthropicCostJson,
    &gcp_billing::GcpBillingJson,
    &gateway_logs::LiteLlmPayloadJsonl,
    &gateway_logs::HeliconeJson,
    &seats::CopilotSeatsJson,
    &seats::ClaudeAnalyticsUsersJson,
];

/// The outcome for one input file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputStatus {
    Ingested,
    Skipped,
    Duplicate,
    Rejected,
}

impl InputStatus {
    /// The status as reports write it.
    pub fn as_str(self) -> &'static str {
        match self {
            InputStatus::Ingested => "ingested",
            InputStatus::Skipped => "skipped",
            InputStatus::Duplicate => "duplicate",
            InputStatus::Rejected => "rejected",
        }
    }
}

/// One input file as reported in `findings.json` and the report.
#[derive(Debug, Clone, Serialize)]
pub struct InputRecord {
    pub path: String,
    pub format: Option<String>,
    /// Data rows read (header excluded).
    pub rows: u64,
    pub status: InputStatus,
    pub reason: Option<String>,
    pub sha256: String,
    /// Data rows that went to `rejects.csv`.
    pub rejected_rows: u64,
    /// Data rows whose charge period lies outside the audited month.
    pub out_of_period_rows: u64,
    /// Billed rows identical to a row of an earlier file (same charge exported twice, e.g. a
    /// cost CSV and an API dump of the same days): counted once, in the earlier file.
    pub overlapping_rows: u64,
    /// Data rows that are not AI spend (non-AI lines of a cloud bill), and their cost.
    pub out_of_scope_rows: u64,
    #[serde(
        serialize_with = "crate::money::serialize_cents",
        rename = "out_of_scope_cost"
    )]
    pub out_of_scope_cost_nano: i128,
    /// The dated out-of-scope rows by UTC day (days since the epoch): rows and cost, so that
    /// those outside the audited month count as outside the period, as AI rows do.
    #[serde(skip)]
    pub out_of_scope_days: BTreeMap<i64, (u64, i128)>,
}

impl InputRecord {
    /// Counts `rows` out-of-scope rows costing `cost_nano`, starting at `start_ms` if known.
    pub fn count_out_of_scope(&mut self, rows: u64, cost_nano: i128, start_ms: Option<i64>) {
        self.out_of_scope_rows += rows;
        self.out_of_scope_cost_nano += cost_nano;
        if let Some(ms) = start_ms {
            let day = self
                .out_of_scope_days
                .entry(ms.div_euclid(86_400_000))
                .or_insert((0, 0));
            day.0 += rows;
            day.1 += cost_nano;
        }
    }

    /// Moves the out-of-scope rows dated outside `[start_ms, end_ms)` to the rows outside
    /// the period: out-of-scope cost then belongs to the audited month, as billed cost does.
    pub fn keep_out_of_scope_within(&mut self, start_ms: i64, end_ms: i64) {
        let (first, end) = (
            start_ms.div_euclid(86_400_000),
            end_ms.div_euclid(86_400_000),
        );
        for (day, (rows, cost)) in &self.out_of_scope_days {
            if *day < first || *day >= end {
                self.out_of_scope_rows -= rows;
                self.out_of_scope_cost_nano -= cost;
                self.out_of_period_rows += rows;
            }
        }
    }

    /// A file not read yet: no format, nothing counted, skipped until a reader takes it.
    pub fn new(rel: &str) -> Self {
        InputRecord {
            path: rel.to_string(),
            format: None,
            rows: 0,
            status: InputStatus::Skipped,
            reason: None,
            sha256: String::new(),
            rejected_rows: 0,
            out_of_period_rows: 0,
            overlapping_rows: 0,
            out_of_scope_rows: 0,
            out_of_scope_cost_nano: 0,
            out_of_scope_days: BTreeMap::new(),
        }
    }
}

/// A row that could not be parsed.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Reject {
    pub file: String,
    pub line: u32,
    pub column: Option<String>,
    pub reason: String,
}

/// What ingest hands to the rest of the pipeline besides the rows themselves.
#[derive(Debug, Default, Clone)]
pub struct IngestOutcome {
    pub inputs: Vec<InputRecord>,
    pub rejects: Vec<Reject>,
    /// Currencies converted with the overlay's FX table: `EUR at 1.08 USD: 12 rows`.
    pub fx_applied: Vec<String>,
    /// How `--redact` changed the run, if it was given.
    pub redaction: Option<crate::redact::RedactionNote>,
}

/// Lists every file under `root`, recursively, sorted by path (so runs are reproducible).
/// `exclude` (the output folder, if it sits inside) is not walked.
///
/// Symbolic links are followed, to files and to folders; a folder reached twice (a link loop,
/// or two links to one folder) is walked once. Entries that are not regular files (pipes,
/// sockets, devices, broken links), and sub-folders that cannot be read, are listed too, so
/// that [`ingest_dir`] reports each as skipped with its reason instead of dropping it unseen.
pub fn walk(root: &Path, exclude: Option<&Path>) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut visited = std::collections::HashSet::new();
    let exclude_real = exclude.and_then(|ex| ex.canonicalize().ok());
    if let Ok(real) = root.canonicalize() {
        visited.insert(real);
    }
    let mut stack = vec![root.to_path_buf()];
    // Links to folders are followed after the real tree, in path order, so which path reaches
    // a folder first never depends on the order the file system lists entries in.
    let mut links: Vec<PathBuf> = Vec::new();
    loop {
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if dir == root => {
                    return Err(e)
                        .with_context(|| format!("could not read folder `{}`", dir.display()))
                }
                // Listed, and skipped with the reason when it is ingested; the rest carries on.
                Err(_) => {
                    files.push(dir);
                    continue;
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if exclude.is_some_and(|ex| path == ex) {
                    continue;
                }
                match entry.file_type() {
                    Ok(ft) if ft.is_dir() => {
                        if let Ok(real) = path.canonicalize() {
                            visited.insert(real);
                        }
                        stack.push(path)
                    }
                    Ok(ft)
                        if ft.is_symlink()
                            && std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) =>
                    {
                        links.push(path)
                    }
                    _ => files.push(path),
                }
            }
        }
        if links.is_empty() {
            break;
        }
        links.sort();
        for link in std::mem::take(&mut links) {
            match link.canonicalize() {
                Ok(real) if exclude_real.as_ref() == Some(&real) => {}
                Ok(real) if visited.insert(real.clone()) => stack.push(link),
                _ => files.push(link),
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Why a listed entry is not a file to read: a pipe, socket or device, a broken link, an
/// unreadable folder or a folder already walked through another link. `None` for a regular
/// file (or a link to one).
fn not_a_file(path: &Path) -> Option<String> {
    use std::os::unix::fs::FileTypeExt;
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink()) => {
            return Some(format!("a symbolic link whose target cannot be read ({e})"))
        }
        Err(e) => return Some(format!("could not be read ({e})")),
    };
    let ft = meta.file_type();
    Some(if ft.is_file() {
        return None;
    } else if ft.is_dir() {
        match std::fs::read_dir(path) {
            Err(e) => format!("a folder that could not be read ({e}); the other files were read"),
            Ok(_) => "a link to a folder already read through another path; read once".to_string(),
        }
    } else if ft.is_fifo() {
        "a named pipe (FIFO), not a file".to_string()
    } else if ft.is_socket() {
        "a socket, not a file".to_string()
    } else if ft.is_block_device() || ft.is_char_device() {
        "a device, not a file".to_string()
    } else {
        "not a regular file".to_string()
    })
}

/// Path relative to `root` with `/` separators, for reports that read the same on every OS.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn sha256_file(path: &Path) -> Result<String> {
    crate::progress::time_part("hash files", || sha256_of(path))
}

/// Opens an input file; a file this user may not read says so and what to do, rather than
/// the OS's bare "permission denied".
pub(crate) fn open_input(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::PermissionDenied {
            anyhow::anyhow!(
                "could not open `{}`: this user may not read it; give it read access (or copy it \
                 somewhere readable) and run again",
                path.display()
            )
        } else {
            anyhow::Error::new(e).context(format!("could not open `{}`", path.display()))
        }
    })
}

fn sha256_of(path: &Path) -> Result<String> {
    let mut file = open_input(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .with_context(|| format!("could not read `{}`", path.display()))?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// [`ingest_dir_with`] with the embedded catalog's long-context cliffs.
pub fn ingest_dir(
    root: &Path,
    files: &[PathBuf],
    sink: &mut dyn FnMut(LedgerRow),
    on_file: &mut dyn FnMut(&str),
) -> IngestOutcome {
    let opts = IngestOptions {
        long_context: crate::pricing::Catalog::embedded()
            .map(|c| c.long_context_thresholds())
            .unwrap_or_default(),
        ..IngestOptions::default()
    };
    ingest_dir_with(root, files, &opts, sink, on_file)
}

/// Renames the columns the config's `[expenses.columns]` names to the roles the expense reader
/// knows, when the file has every one of them (a mapping for one layout leaves others alone).
fn rename_expense_columns(
    columns: &std::collections::BTreeMap<String, String>,
    header: &mut [String],
    lower: &mut [String],
) {
    if columns.is_empty() {
        return;
    }
    let positions: Option<Vec<(usize, &str)>> = columns
        .iter()
        .map(|(role, name)| {
            let to = expenses::ROLES.iter().find(|(r, _)| r == role)?.1;
            let i = lower
                .iter()
                .position(|h| h.eq_ignore_ascii_case(name.trim()))?;
            Some((i, to))
        })
        .collect();
    for (i, to) in positions.unwrap_or_default() {
        header[i] = to.to_string();
        lower[i] = to.to_string();
    }
}

/// What reading the exports needs from the catalog and the config.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// The catalog's long-context cliffs: request logs are aggregated within the bands they cut.
    pub long_context: Vec<u64>,
    /// The config's `[expenses.columns]`: a card or expense layout's own header names for the
    /// roles the expense reader knows (`date`, `merchant`, `amount`, …).
    pub expense_columns: std::collections::BTreeMap<String, String>,
    /// The config's `[expenses] spend_is_negative`: card files that write spend as negative.
    pub expense_spend_is_negative: bool,
}

/// Ingests every file under `root`, handing each ledger row to `sink`.
///
/// `opts` carries the catalog's long-context cliffs and the config's expense column names. `on_file` is called once per file (for progress bars). Errors reading
/// one file never stop the others: they become a `rejected` input with the reason.
pub fn ingest_dir_with(
    root: &Path,
    files: &[PathBuf],
    opts: &IngestOptions,
    sink: &mut dyn FnMut(LedgerRow),
    on_file: &mut dyn FnMut(&str),
) -> IngestOutcome {
    inflate::remove_stale_temp_copies();
    let mut outcome = IngestOutcome::default();
    let mut seen: HashMap<String, String> = HashMap::new();
    // Originals before browser copies (`cost (1).csv`), so the copy is the one listed as the
    // duplicate; the report lists inputs by path either way.
    let mut ordered: Vec<&PathBuf> = files.iter().collect();
    ordered.sort_by_key(|p| (looks_like_a_copy(p), (*p).clone()));
    for path in ordered {
        let rel = relative(root, path);
        on_file(&rel);
        // Before anything opens it: opening a pipe would wait for a writer.
        if let Some(reason) = not_a_file(path) {
            let mut record = InputRecord::new(&rel);
            record.reason = Some(reason);
            outcome.inputs.push(record);
            continue;
        }
        if is_zip(path) {
            let read = guarded(|| ingest_zip(path, &rel, &mut seen, opts, sink, &mut outcome));
            if let Err(why) = read {
                outcome.inputs.push(InputRecord {
                    status: InputStatus::Rejected,
                    reason: Some(format!(
                        "could not be read: the reader failed inside this archive (`{why}`); unpack it and check its members"
                    )),
                    ..InputRecord::new(&rel)
                });
            }
            continue;
        }
        // A reader that panics on a file it cannot handle (a column type polars was built
        // without) costs that file, not the run: its lines are held back until it is read.
        let mut lines: Vec<LedgerRow> = Vec::new();
        let mut file_rejects: Vec<Reject> = Vec::new();
        let read = guarded(|| {
            ingest_file(
                path,
                &rel,
                &mut seen,
                opts,
                &mut |r| lines.push(r),
                &mut file_rejects,
            )
        });
        let mut record = match read {
            Ok(record) => {
                lines.into_iter().for_each(&mut *sink);
                outcome.rejects.extend(file_rejects);
                record
            }
            Err(why) => InputRecord {
                status: InputStatus::Rejected,
                reason: Some(reader_failed(path, &why)),
                sha256: sha256_file(path).unwrap_or_default(),
                ..InputRecord::new(&rel)
            },
        };
        if record.status == InputStatus::Ingested
            && record.rows == 0
            && text_rows_after_header(path)
        {
            record.status = InputStatus::Rejected;
            record.reason = Some(format!(
                "recognised as `{}`, but no row after the header could be read; check its line \
                 endings and delimiter, or re-download it",
                record.format.as_deref().unwrap_or("an export")
            ));
        }
        outcome.inputs.push(record);
    }
    outcome.inputs.sort_by(|a, b| a.path.cmp(&b.path));
    outcome
        .rejects
        .sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    outcome
}

/// Runs `f`, turning a panic inside it into an error with the panic's message (the default
/// hook's report is silenced meanwhile: the message goes into the file's reason instead).
fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "an internal error".to_string())
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    })
}

fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

/// A ZIP export (DeepSeek's, or any zipped folder of exports): every member is ingested as its
/// own input, named `archive.zip!/member.csv`; the archive itself is listed with its member count.
fn ingest_zip(
    path: &Path,
    rel: &str,
    seen: &mut HashMap<String, String>,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(LedgerRow),
    outcome: &mut IngestOutcome,
) {
    let mut record = InputRecord {
        format: Some("zip_archive".to_string()),
        status: InputStatus::Ingested,
        sha256: sha256_file(path).unwrap_or_default(),
        ..InputRecord::new(rel)
    };
    if let Some(first) = seen.get(&record.sha256) {
        record.status = InputStatus::Duplicate;
        record.reason = Some(format!("identical to `{first}`; counted once"));
        outcome.inputs.push(record);
        return;
    }
    seen.insert(record.sha256.clone(), rel.to_string());
    let opened = std::fs::File::open(path)
        .map_err(anyhow::Error::from)
        .and_then(|f| zip::ZipArchive::new(f).map_err(anyhow::Error::from));
    let mut archive = match opened {
        Ok(a) => a,
        Err(e) => {
            record.status = InputStatus::Rejected;
            record.reason = Some(format!(
                "could not open the ZIP archive: {e}; re-download it"
            ));
            outcome.inputs.push(record);
            return;
        }
    };
    let mut members = 0;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                outcome.inputs.push(InputRecord {
                    path: format!("{rel}!/#{i}"),
                    status: InputStatus::Rejected,
                    reason: Some(format!("unreadable ZIP member: {e}")),
                    format: None,
                    ..record.clone()
                });
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let member = format!("{rel}!/{}", entry.name());
        members += 1;
        let limits = inflate::limits();
        // The archive's own claim first: a member declaring more than the cap is not opened.
        if entry.size() > limits.max_bytes {
            outcome.inputs.push(InputRecord {
                path: member,
                status: InputStatus::Rejected,
                reason: Some(format!(
                    "not extracted: {}",
                    inflate::InflateError::TooLarge {
                        cap: limits.max_bytes
                    }
                )),
                format: None,
                ..record.clone()
            });
            continue;
        }
        let compressed = entry.compressed_size();
        let copy = match TempCopy::inflated(
            &mut entry,
            &format!("{}-{i}", &record.sha256[..16.min(record.sha256.len())]),
            compressed,
        ) {
            Ok(c) => c,
            Err(e) => {
                outcome.inputs.push(InputRecord {
                    path: member,
                    status: InputStatus::Rejected,
                    reason: Some(format!("not extracted: {e:#}")),
                    format: None,
                    ..record.clone()
                });
                continue;
            }
        };
        if is_zip(&copy.0) {
            outcome.inputs.push(InputRecord {
                path: member,
                status: InputStatus::Rejected,
                reason: Some(
                    "a ZIP archive inside a ZIP archive is not opened (nested archives multiply \
                     a decompression bomb); unpack the outer archive into the input folder and \
                     run again"
                        .to_string(),
                ),
                format: Some("zip_archive".to_string()),
                ..record.clone()
            });
            continue;
        }
        let inner = ingest_file(&copy.0, &member, seen, opts, sink, &mut outcome.rejects);
        outcome.inputs.push(inner);
    }
    record.reason = Some(format!("{members} members, listed as `{rel}!/…`"));
    outcome.inputs.push(record);
}

/// `name (1).csv`, `name copy.csv`, `name-copy.csv`: what browsers and file managers call a re-download.
fn looks_like_a_copy(path: &Path) -> bool {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    if stem.ends_with(" copy") || stem.ends_with("-copy") {
        return true;
    }
    stem.strip_suffix(')')
        .and_then(|s| s.rsplit_once(" ("))
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Why a CSV header matches no format: the format it comes closest to (most of its required
/// columns present, at least one) with the columns it lacks, or the start of the header.
fn unrecognised_header(header: &[String], lower: &[String]) -> String {
    let closest = FORMATS
        .iter()
        .filter(|f| !f.is_json() && !f.required_columns().is_empty())
        .map(|f| {
            let missing: Vec<&str> = f
                .required_columns()
                .iter()
                .copied()
                .filter(|c| !lower.iter().any(|h| h == c))
                .collect();
            (f.required_columns().len() - missing.len(), missing, f.id())
        })
        .filter(|(present, _, _)| *present > 0)
        .max_by_key(|(present, missing, _)| (*present, std::cmp::Reverse(missing.len())));
    let shown: Vec<&str> = header.iter().take(8).map(String::as_str).collect();
    match closest {
        Some((_, missing, id)) => format!(
            "not a recognised export: it looks like `{id}` but lacks the column(s) `{}`; \
             download that export again with all its columns (header starts `{}`)",
            missing.join("`, `"),
            shown.join(",")
        ),
        None => format!(
            "not a recognised export (header starts `{}`); see the README's list of formats \
             for the exports to download",
            shown.join(",")
        ),
    }
}

/// spend-audit's own table outputs, recognised by their headers: `focus.csv` and
/// `focus.parquet` (their `x_` columns) and `rejects.csv`. Read as inputs, an earlier audit would count its charges again.
fn own_output(lower_header: &[String]) -> Option<&'static str> {
    let has = |c: &str| lower_header.iter().any(|h| h == c);
    if has("x_costbasis") && has("x_recordrole") && has("x_sourcefile") && has("x_sourceline") {
        Some("FOCUS export (`focus.csv` or `focus.parquet`)")
    } else if lower_header == ["file", "line", "column", "reason"] {
        Some("`rejects.csv`")
    } else {
        None
    }
}

/// spend-audit's own JSON outputs: `findings.json` (a top-level object with its `totals`,
/// `findings` and `inputs`) and `focus-metadata.json` (its data generator is spend-audit).
fn own_json_output(docs: &[serde_json::Value]) -> Option<&'static str> {
    match docs {
        [serde_json::Value::Object(o)]
            if ["totals", "findings", "inputs"]
                .iter()
                .all(|k| o.contains_key(*k)) =>
        {
            Some("`findings.json`")
        }
        // `get`, not indexing: a map's index panics on a missing key.
        [serde_json::Value::Object(o)]
            if o.get("DataGenerator").and_then(|g| g.get("DataGenerator"))
                == Some(&serde_json::Value::from("spend-audit")) =>
        {
            Some("`focus-metadata.json`")
        }
        _ => None,
    }
}

/// A column the format reads that the header names twice (in any letter case): which copy
/// holds the value is a guess, so the file is rejected rather than read from either.
fn ambiguous_column(header: &[String], format: &dyn Format) -> Option<String> {
    let mut first: HashMap<String, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let lower = h.trim().to_ascii_lowercase();
        if !format.wants_column(&lower) {
            continue;
        }
        if let Some(j) = first.get(&lower) {
            return Some(format!(
                "column `{}` appears twice in the header (columns {} and {}), so which one \
                 holds the values is ambiguous; remove or rename one copy and run again",
                h.trim(),
                j + 1,
                i + 1
            ));
        }
        first.insert(lower, i);
    }
    None
}

/// A ledger read from a folder that also holds a run's `findings.json` is that run's output,
/// copied in beside the exports it came from: reading it would count every charge twice.
fn earlier_audit_output(path: &Path, format: &str) -> Option<String> {
    let beside_findings = path
        .parent()
        .is_some_and(|dir| dir.join("findings.json").is_file());
    (format == "spend_audit_ledger_parquet" && beside_findings).then(|| {
        "an earlier spend-audit output (it sits beside `findings.json`); not read again, so its \
         charges are not counted twice. To re-read a ledger, pass a folder holding it alone"
            .to_string()
    })
}

fn ingest_file(
    path: &Path,
    rel: &str,
    seen: &mut HashMap<String, String>,
    opts: &IngestOptions,
    sink: &mut dyn FnMut(LedgerRow),
    rejects: &mut Vec<Reject>,
) -> InputRecord {
    let mut record = InputRecord::new(rel);
    match sha256_file(path) {
        Ok(h) => record.sha256 = h,
        Err(e) => {
            record.status = InputStatus::Rejected;
            record.reason = Some(format!("{e:#}"));
            return record;
        }
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    if file_name.starts_with('.') {
        record.reason = Some("hidden file".to_string());
        return record;
    }
    let mut sniffed = match sniff(path) {
        Ok(s) => s,
        Err(e) => {
            record.status = InputStatus::Rejected;
            record.reason = Some(format!("{e:#}"));
            return record;
        }
    };
    // A gzip file is read through a decompressed temporary copy (deleted on drop).
    let decompressed = if sniffed == Sniffed::Gzip {
        match TempCopy::gunzip(path, &record.sha256).and_then(|t| Ok((sniff(&t.0)?, t))) {
            Ok((s, t)) => {
                sniffed = s;
                Some(t)
            }
            Err(e) => {
                record.status = InputStatus::Rejected;
                record.reason = Some(match e.downcast_ref::<inflate::InflateError>() {
                    Some(
                        capped @ (inflate::InflateError::TooLarge { .. }
                        | inflate::InflateError::Ratio { .. }),
                    ) => {
                        format!("not decompressed: {capped}")
                    }
                    _ => format!("could not decompress: {e:#}; re-download the file"),
                });
                return record;
            }
        }
    } else {
        None
    };
    let path_on_disk = path;
    let path: &Path = decompressed.as_ref().map_or(path, |t| &t.0);
    // Bare carriage returns end the lines: read a copy with newlines instead (the chunked
    // readers cut records at newlines).
    let relined = if sniffed == Sniffed::CrOnly {
        let copy = std::fs::File::open(path)
            .map_err(anyhow::Error::from)
            .and_then(|f| {
                let tag = format!("{}-lf", &record.sha256[..16.min(record.sha256.len())]);
                TempCopy::from_reader(&mut CrToLf(f), &tag)
            })
            .and_then(|t| Ok((sniff(&t.0)?, t)));
        match copy {
            Ok((s, t)) => {
                sniffed = s;
                Some(t)
            }
            Err(e) => {
                record.status = InputStatus::Rejected;
                record.reason = Some(format!(
                    "could not read its carriage-return line endings: {e:#}; re-save the file \
                     with LF or CRLF line endings"
                ));
                return record;
            }
        }
    } else {
        None
    };
    let path: &Path = relined.as_ref().map_or(path, |t| &t.0);
    let parquet = sniffed == Sniffed::Parquet;
    let header = match sniffed {
        Sniffed::Csv { header } => header,
        Sniffed::Parquet => match StrTable::parquet_header(path) {
            Ok(h) => h,
            Err(e) => {
                record.status = InputStatus::Rejected;
                record.reason = Some(format!("could not read Parquet: {e:#}"));
                return record;
            }
        },
        Sniffed::Json => return ingest_json(path, rel, record, seen, sink, rejects),
        Sniffed::Gzip => {
            record.reason = Some("gzip inside gzip".to_string());
            return record;
        }
        Sniffed::CrOnly => {
            record.status = InputStatus::Rejected;
            record.reason = Some(
                "mixes carriage-return and newline line endings; re-save the file with LF or \
                 CRLF line endings"
                    .to_string(),
            );
            return record;
        }
        Sniffed::NotAnExport(reason) => {
            record.reason = Some(reason);
            return record;
        }
    };
    let lower: Vec<String> = header.iter().map(|h| h.to_ascii_lowercase()).collect();
    if let Some(which) = own_output(&lower) {
        record.reason = Some(format!(
            "spend-audit's own {which} from an earlier run; not read, so its charges are not \
             counted twice. Keep earlier audits outside the exports folder"
        ));
        return record;
    }
    let (mut header, mut lower) = (header, lower);
    rename_expense_columns(&opts.expense_columns, &mut header, &mut lower);
    let Some(format) = FORMATS
        .iter()
        .filter(|f| !f.is_json())
        .find(|f| f.matches_header(&lower))
    else {
        record.reason = Some(unrecognised_header(&header, &lower));
        return record;
    };
    record.format = Some(format.id().to_string());
    if format.id() == expenses::ExpenseCsv.id() && opts.expense_spend_is_negative {
        if let Some(i) =
            expenses::amount_column(&lower).and_then(|a| lower.iter().position(|h| h == a))
        {
            header[i] = expenses::NEGATED_AMOUNT.to_string();
            lower[i] = expenses::NEGATED_AMOUNT.to_string();
        }
    }
    if let Some(reason) = ambiguous_column(&header, *format) {
        record.status = InputStatus::Rejected;
        record.reason = Some(reason);
        return record;
    }
    if let Some(reason) = earlier_audit_output(path_on_disk, format.id()) {
        record.reason = Some(reason);
        return record;
    }
    if let Some(first) = seen.get(&record.sha256) {
        record.status = InputStatus::Duplicate;
        record.reason = Some(format!("identical to `{first}`; counted once"));
        return record;
    }
    seen.insert(record.sha256.clone(), rel.to_string());

    if let Some(reader) = format.frame_reader() {
        let result = match (reader, parquet) {
            (FrameReader::RequestGrain, true) => request_grain::ingest(
                path,
                &header,
                rel,
                &opts.long_context,
                &mut record,
                rejects,
                sink,
            ),
            (FrameReader::Ledger, true) => {
                ledger_parquet::ingest(path, rel, &mut record, rejects, sink)
            }
            (_, false) => Err(anyhow::anyhow!(
                "`{}` is read from Parquet, not CSV; pass the `.parquet` file (docs/scale.md)",
                format.id()
            )),
        };
        match result {
            Ok(()) => record.status = InputStatus::Ingested,
            Err(e) => {
                record.status = InputStatus::Rejected;
                record.reason = Some(format!("{e:#}"));
            }
        }
        return record;
    }
    if let (Some(log), false) = (format.request_log(), parquet) {
        let start = (record.rows, record.rejected_rows, rejects.len());
        match request_log::ingest_csv(
            log,
            *format,
            path,
            &header,
            rel,
            &opts.long_context,
            &mut record,
            rejects,
            sink,
        ) {
            Ok(_) => {
                record.status = InputStatus::Ingested;
                return record;
            }
            // Nothing reached the sink before the aggregation failed (a broken quote the
            // scan refuses): the row path below reads the file, leniently.
            Err(_) => {
                (record.rows, record.rejected_rows) = (start.0, start.1);
                rejects.truncate(start.2);
            }
        }
    }
    if let (Some(scope), false) = (format.bill_scope(), parquet) {
        let start = (record.rows, record.rejected_rows, rejects.len());
        match bill_chunks::ingest_csv(
            *format,
            scope,
            path,
            &header,
            rel,
            bill_chunks::BillChunking::default(),
            &mut record,
            rejects,
            sink,
        ) {
            Ok(()) => {
                record.status = InputStatus::Ingested;
                return record;
            }
            // Nothing was counted (an unbalanced quote the chunks cannot cut): the row path
            // below reads the file, leniently.
            Err(_) => {
                debug_assert_eq!(start, (record.rows, record.rejected_rows, rejects.len()));
            }
        }
    }
    let wanted = |c: &str| format.wants_column(c);
    let scanned = if parquet {
        StrTable::scan_parquet(path, &header, &wanted)
    } else {
        // Record by record: a record with more or fewer fields than the header (a stray
        // delimiter, a cut-off line) or a broken quote is rejected by line, and the rest of the
        // file is still read. (Large bills and logs take the chunked paths above, which check
        // field counts the same way.)
        StrTable::read_csv_lenient(path, &header, &wanted).map(|(table, bad)| {
            for b in bad {
                record.rows += 1;
                record.rejected_rows += 1;
                rejects.push(Reject {
                    file: record.path.clone(),
                    line: b.line,
                    column: None,
                    reason: b.reason,
                });
            }
            table
        })
    };
    let table = match scanned {
        Ok(t) => t,
        Err(e) => {
            record.status = InputStatus::Rejected;
            record.reason = Some(format!("could not read as `{}`: {e:#}", format.id()));
            return record;
        }
    };
    record.status = InputStatus::Ingested;
    parse_rows(*format, &table, rel, parquet, &mut record, rejects, sink);
    record
}

/// Runs the row parser over every row of `table` and books each row's fate.
fn parse_rows(
    format: &dyn Format,
    table: &StrTable,
    rel: &str,
    parquet: bool,
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) {
    let mut out = Vec::with_capacity(8);
    for index in 0..table.height() {
        // CSV: the header is line 1. Parquet has no lines: the row number (1-based) stands in.
        let line = if parquet {
            (index + 1) as u32
        } else {
            table.line_of(index)
        };
        if table.is_blank_row(index) {
            continue; // an empty line (some exports put one after every CRLF record), not a data row
        }
        record.rows += 1;
        let row = RowView { table, index };
        out.clear();
        let fate = format.parse_row(&row, SourceRef { file: rel, line }, &mut out);
        settle(fate, line, &mut out, record, rejects, sink);
    }
}

/// Why a file whose reader panicked (caught by the guard) was rejected, and what to do.
fn reader_failed(path: &Path, why: &str) -> String {
    if detect::sniff(path).ok() == Some(detect::Sniffed::Parquet) {
        // polars 0.55's Parquet decoder panics on some damaged footers and pages (the fuzz
        // corpus keeps examples) instead of returning an error.
        format!(
            "could not be read: the Parquet decoder failed on this file (`{why}`), so its \
             footer or pages are damaged or use an encoding this build does not read; download \
             or export it again"
        )
    } else {
        format!(
            "could not be read: the reader failed on this file (`{why}`); export it again as \
             CSV, or with plain number, date and text columns"
        )
    }
}

/// Reads a JSON / JSONL API dump: the first result record decides the format; each result
/// record is parsed like a row, numbered from 1 in file order.
fn ingest_json(
    path: &Path,
    rel: &str,
    mut record: InputRecord,
    seen: &mut HashMap<String, String>,
    sink: &mut dyn FnMut(LedgerRow),
    rejects: &mut Vec<Reject>,
) -> InputRecord {
    let open = || {
        std::fs::File::open(path)
            .map(|f| std::io::BufReader::with_capacity(1 << 16, f))
            .map_err(|e| format!("could not read `{rel}`: {e}"))
    };
    // Checked whole first (constant memory), so a broken file counts none of its records.
    if let Err(e) = open().and_then(json::validate) {
        record.status = InputStatus::Rejected;
        record.reason = Some(format!("{e}; fix or re-download the file"));
        return record;
    }
    let mut format: Option<&dyn Format> = None;
    let mut first = true;
    let mut line = 0u32;
    let mut out = Vec::with_capacity(8);
    let read = open().and_then(|reader| {
        json::for_each_document(reader, &mut |doc| {
            let doc = std::slice::from_ref(&doc);
            if std::mem::take(&mut first) {
                if let Some(which) = own_json_output(doc) {
                    record.reason = Some(format!(
                        "spend-audit's own {which} from an earlier run; not read. Keep earlier \
                         audits outside the exports folder"
                    ));
                    return ControlFlow::Break(());
                }
            }
            for (bucket, result) in json::records(doc) {
                let f = match format {
                    Some(f) => f,
                    None => {
                        // The first record decides the format.
                        let Some(f) = FORMATS
                            .iter()
                            .filter(|f| f.is_json())
                            .find(|f| f.matches_json(result))
                        else {
                            // Named below, with a file that holds no record at all.
                            return ControlFlow::Break(());
                        };
                        record.format = Some(f.id().to_string());
                        if let Some(first) = seen.get(&record.sha256) {
                            record.status = InputStatus::Duplicate;
                            record.reason = Some(format!("identical to `{first}`; counted once"));
                            return ControlFlow::Break(());
                        }
                        seen.insert(record.sha256.clone(), rel.to_string());
                        record.status = InputStatus::Ingested;
                        format = Some(*f);
                        *f
                    }
                };
                line += 1;
                record.rows += 1;
                out.clear();
                let fate = f.parse_json(bucket, result, SourceRef { file: rel, line }, &mut out);
                settle(fate, line, &mut out, &mut record, rejects, sink);
            }
            ControlFlow::Continue(())
        })
    });
    if let Err(e) = read {
        // The file changed or became unreadable between the two passes.
        record.status = InputStatus::Rejected;
        record.reason = Some(format!("{e}; read it again"));
    } else if format.is_none() && record.reason.is_none() {
        record.reason = Some("JSON file that is not a recognised API dump".to_string());
    }
    record
}

/// Books one parsed row: its ledger lines go to the sink, an out-of-scope row is counted with
/// its cost, a failed row becomes a reject with its line and column.
fn settle(
    fate: Result<RowFate, RowError>,
    line: u32,
    out: &mut Vec<LedgerRow>,
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) {
    match fate {
        Ok(RowFate::Ledger) => out.drain(..).for_each(sink),
        Ok(RowFate::OutOfScope {
            cost_nano,
            start_ms,
        }) => record.count_out_of_scope(1, cost_nano as i128, start_ms),
        Err(e) => {
            record.rejected_rows += 1;
            rejects.push(Reject {
                file: record.path.clone(),
                line,
                column: e.column,
                reason: e.reason,
            });
        }
    }
}

/// A decompressed temporary copy of a gzip input, removed when dropped.
struct TempCopy(PathBuf);

impl TempCopy {
    /// Inflates a gzip file as a stream, within the run's caps ([`inflate::limits`]).
    fn gunzip(path: &Path, sha256: &str) -> Result<TempCopy> {
        let input = open_input(path)?;
        let compressed = input.metadata().map(|m| m.len()).unwrap_or(0);
        TempCopy::inflated(
            &mut flate2::read::MultiGzDecoder::new(input),
            &sha256[..16.min(sha256.len())],
            compressed,
        )
    }

    /// A copy of a decompressor's output, stopped (and deleted) at the caps.
    fn inflated(reader: &mut dyn std::io::Read, tag: &str, compressed: u64) -> Result<TempCopy> {
        let copy = TempCopy(std::env::temp_dir().join(format!("{}{tag}", inflate::temp_prefix())));
        let mut output = std::fs::File::create(&copy.0)
            .with_context(|| format!("could not create `{}`", copy.0.display()))?;
        // On error `copy` is dropped, which deletes the partial file.
        inflate::copy_bounded(reader, &mut output, compressed, inflate::limits())?;
        Ok(copy)
    }
}

impl TempCopy {
    fn from_reader(reader: &mut dyn std::io::Read, tag: &str) -> Result<TempCopy> {
        let copy = TempCopy(std::env::temp_dir().join(format!("{}{tag}", inflate::temp_prefix())));
        let mut output = std::fs::File::create(&copy.0)
            .with_context(|| format!("could not create `{}`", copy.0.display()))?;
        std::io::copy(reader, &mut output)?;
        Ok(copy)
    }
}

/// Whether a delimited-text file has a non-blank byte after its first line: a file that
/// was read as a header alone then lost its rows somewhere, and must not pass silently.
fn text_rows_after_header(path: &Path) -> bool {
    let mut buf = Vec::with_capacity(65536);
    let read = std::fs::File::open(path)
        .and_then(|f| std::io::Read::read_to_end(&mut std::io::Read::take(f, 65536), &mut buf));
    if read.is_err()
        || !matches!(
            detect::sniff_bytes(&buf),
            Sniffed::Csv { .. } | Sniffed::CrOnly
        )
    {
        return false;
    }
    let after = memchr::memchr2(b'\n', b'\r', &buf).map_or(buf.len(), |i| i + 1);
    // Rows of bare delimiters (spreadsheet padding) are blank too.
    buf[after..]
        .iter()
        .any(|b| !b.is_ascii_whitespace() && !matches!(b, b',' | b'"'))
}

/// A reader that turns every carriage return into a newline (for CR-only files; a carriage
/// return inside a quoted cell becomes a newline there too, which reads the same).
struct CrToLf<R>(R);

impl<R: std::io::Read> std::io::Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        for b in &mut buf[..n] {
            if *b == b'\r' {
                *b = b'\n';
            }
        }
        Ok(n)
    }
}

impl Drop for TempCopy {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_panic_becomes_the_files_reason() {
        // A reader that panics (as polars did on Parquet DECIMAL before that type was enabled)
        // rejects its file with the panic's first line instead of ending the run with exit 101.
        let caught = guarded(|| -> u32 { panic!("cannot read column `x`\nbacktrace") });
        assert_eq!(caught, Err("cannot read column `x`".to_string()));
        assert_eq!(guarded(|| 7), Ok(7));
    }

    #[test]
    fn rows_after_the_header_are_seen_whatever_the_line_ending() {
        let dir = tempfile::tempdir().unwrap();
        let has = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            text_rows_after_header(&p)
        };
        assert!(has("lf.csv", "a,b\n1,2\n"));
        assert!(has("cr.csv", "a,b\r1,2\r"));
        assert!(!has("header.csv", "a,b\n"));
        assert!(!has("blank.csv", "a,b\n\n  \n,\n\"\",\n"));
        assert!(!has("json.json", "[{\"a\": 1}]\n"));
    }
}
