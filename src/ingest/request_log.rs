//! The columnar path for per-request logs (gateway and observability exports). The formats
//! read this way implement [`RequestLog`]: the LiteLLM spend log (`litellm_spend.rs`) and the
//! Helicone CSV export (`gateway_logs.rs`). The other per-request formats (LiteLLM payload
//! JSONL, Helicone JSON, Langfuse, OpenRouter) are still read row by row.
//!
//! A month of gateway traffic is millions of rows, and none of them becomes a Rust value. The
//! file is read in record-aligned chunks through a buffered reader ([`CsvChunks`]; polars'
//! own scan memory-maps the file, and the mapped pages counted as resident memory); each
//! chunk is parsed by polars with an all-string schema; the format turns its columns into the
//! canonical request columns with polars expressions, in stages so each intermediate value is
//! computed once ([`RequestLog::request_stages`]); group-bys fold the requests into the grain
//! ([`Grain`]): ledger groups at hour × provider × team × key × model × tags × endpoint ×
//! long-context band, and the day's output and prompt size counts per provider × team × key ×
//! model × tags × endpoint (exact sizes, or log-spaced buckets for large files) so p50/p95
//! evidence comes from counts. Partial grains from each chunk are folded together as they
//! accumulate. Rust then runs once per group (provider names, serving resources, ledger lines)
//! and once per distinct size, never once per request.
//!
//! **Exactness.** The expressions accept only the value forms they read exactly as the format's
//! row parser does: ISO timestamps in UTC, plain decimals, counts, JSON string fields written
//! `"key": "value"` without escapes, each key at most once. Any other row is flagged
//! (`__ok = false`), kept aside chunk by chunk and re-read by the row parser, so the ledger and
//! every reject message are the same as reading each row in Rust; a hostile or unusual file is
//! slower, never different.
//!
//! **Long context.** Requests are grouped within the bands that the catalog's long-context
//! cliffs cut, and each ledger line carries its group's largest prompt, so the pricer decides
//! the cliff for the group exactly as it would for each request.

use super::csv_chunks::{for_each_chunk, CsvChunks};
use super::{Format, InputRecord, Reject, SourceRef, StrTable};
use crate::ledger::{ChargeKind, LedgerRow, RecordRole, RequestHist};
use crate::progress::time_part;
use anyhow::{bail, Context, Result};
use polars::prelude::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// Canonical per-request columns every [`RequestLog`] format produces.
pub mod cols {
    /// Request start, UTC epoch milliseconds (Int64).
    pub const START: &str = "__start";
    /// Request end, never before the start (Int64 ms).
    pub const END: &str = "__end";
    /// The log's own provider spelling (`custom_llm_provider`), mapped once per value.
    pub const PROVIDER: &str = "__provider";
    pub const TEAM: &str = "__team";
    pub const KEY: &str = "__key";
    pub const MODEL: &str = "__model";
    pub const TAGS: &str = "__tags";
    /// Endpoint the request went to (`api_base`), mapped to a serving resource once per value.
    pub const API_BASE: &str = "__api_base";
    /// Uncached input, cache reads, output and the whole prompt, in tokens (Float64).
    pub const INPUT: &str = "__input";
    pub const CACHED: &str = "__cached";
    pub const OUTPUT: &str = "__output";
    pub const PROMPT: &str = "__prompt";
    /// The log's own cost estimate in nano-dollars (Int64, null when blank).
    pub const REPORTED: &str = "__reported";
    /// Whether the expressions read every field of the row exactly.
    pub const OK: &str = "__ok";
}

/// Above this size a log's request sizes are bucketed (±1.6%) instead of kept exactly, so the
/// grain stays bounded however many requests the month has.
pub const EXACT_SIZES_BELOW_BYTES: u64 = 128 * 1024 * 1024;

/// A per-request log format read as column expressions.
pub trait RequestLog: Sync {
    /// The lower-case raw columns read as trimmed text; [`expr::text`] names their values.
    fn text_columns(&self) -> &'static [&'static str];
    /// Expressions that add every column in [`cols`], in stages: each stage is one
    /// `with_columns`, so a value a later stage reads several times is computed once (the
    /// streaming engine does not eliminate common subexpressions, and a timestamp reads its
    /// trimmed cell a dozen times).
    fn request_stages(&self) -> Vec<Vec<Expr>>;
    /// The provider id for one raw provider value (called once per distinct value).
    fn provider(&self, raw: Option<&str>) -> &'static str;
    /// The serving resource of an endpoint and model (called once per distinct pair).
    fn resource(&self, api_base: Option<&str>, model: Option<&str>) -> Option<String>;
    /// The workload a request's tags name, if the format reads one from them (called once per
    /// distinct tags value); the config mapping still wins.
    fn workload(&self, _tags: Option<&str>) -> Option<String> {
        None
    }
}

/// Expression helpers shared by the request-log formats. Each reading is [`Staged`]: its
/// `parts` are computed once as columns of their own, then `value` and `ok` (whether the fast
/// path read the cell exactly) read those columns.
pub mod expr {
    use polars::prelude::*;

    fn null_str() -> Expr {
        lit(NULL).cast(DataType::String)
    }

    /// A value read in two stages.
    pub struct Staged {
        /// Columns to add first, each aliased to a name of its own.
        pub parts: Vec<Expr>,
        /// The value, reading only raw columns and `parts`.
        pub value: Expr,
        /// Whether the fast path read the cell exactly (never null).
        pub ok: Expr,
    }

    /// The trimmed cell of a text column, with the blank spellings (`""`, `null`, `-`) as null,
    /// like `RowView::get`. Computed once per column before the format's stages.
    pub fn text(name: &str) -> Expr {
        col(format!("__t_{name}"))
    }

    /// The trimmed cell (first step of [`text`]); blank-row detection reads it too.
    pub(in crate::ingest) fn trimmed(name: &str) -> Expr {
        col(format!("__s_{name}"))
    }

    pub(in crate::ingest) fn trim_column(name: &str) -> Expr {
        col(name)
            .str()
            .strip_chars(lit(NULL))
            .alias(format!("__s_{name}"))
    }

    pub(in crate::ingest) fn text_column(name: &str) -> Expr {
        let t = trimmed(name);
        when(t.clone().str().contains(lit(r"^(?i:null|-)?$"), true))
            .then(null_str())
            .otherwise(t)
            .alias(format!("__t_{name}"))
    }

    /// A non-negative count; blank is zero (as `RowView::count`).
    pub fn count(label: &str, t: Expr) -> Staged {
        let name = format!("__n_{label}");
        let v = col(name.as_str());
        Staged {
            parts: vec![t.clone().cast(DataType::Float64).alias(name.as_str())],
            value: v.clone().fill_null(lit(0.0)),
            ok: t.is_null().or(v
                .clone()
                .gt_eq(lit(0.0))
                .and(v.lt(lit(f64::INFINITY)))
                .fill_null(lit(false))),
        }
    }

    /// `YYYY-MM-DD[T ]HH:MM:SS[.f]` in UTC (no suffix, `Z`, `±00` or `±00:00`) as epoch
    /// milliseconds. Other forms (offsets, Unix seconds, US dates) are left to the row parser.
    pub fn timestamp_ms(label: &str, t: Expr) -> Staged {
        const ISO_UTC: &str =
            r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]00(:00)?)?$";
        let part = |what: &str| format!("__ts_{label}_{what}");
        let int = |what: &str, offset: i64, len: u64| {
            t.clone()
                .str()
                .slice(lit(offset), lit(len))
                .cast(DataType::Int64)
                .alias(part(what))
        };
        let parts = vec![
            t.clone()
                .str()
                .contains(lit(ISO_UTC), true)
                .fill_null(lit(false))
                .alias(part("form")),
            int("y", 0, 4),
            int("m", 5, 2),
            int("d", 8, 2),
            int("hh", 11, 2),
            int("mm", 14, 2),
            int("ss", 17, 2),
            t.clone()
                .str()
                .extract(lit(r"\.(\d{1,3})"), 1)
                .alias(part("frac")),
        ];
        let c = |what: &str| col(part(what));
        let (y, m, d) = (c("y"), c("m"), c("d"));
        let frac = c("frac");
        let scale = when(frac.clone().str().len_bytes().eq(lit(1u32)))
            .then(lit(100i64))
            .when(frac.clone().str().len_bytes().eq(lit(2u32)))
            .then(lit(10i64))
            .otherwise(lit(1i64));
        let frac_ms = (frac.cast(DataType::Int64) * scale).fill_null(lit(0i64));
        // Days from the civil date (H. Hinnant's algorithm), in integer column arithmetic.
        let yy = y.clone()
            - when(m.clone().lt_eq(lit(2i64)))
                .then(lit(1i64))
                .otherwise(lit(0i64));
        let era = yy.clone().floor_div(lit(400i64));
        let yoe = yy - era.clone() * lit(400i64);
        let mp = (m.clone() + lit(9i64)) % lit(12i64);
        let doy = (lit(153i64) * mp + lit(2i64)).floor_div(lit(5i64)) + d.clone() - lit(1i64);
        let doe = yoe.clone() * lit(365i64) + yoe.clone().floor_div(lit(4i64))
            - yoe.floor_div(lit(100i64))
            + doy;
        let days = era * lit(146_097i64) + doe - lit(719_468i64);
        let value = days * lit(86_400_000i64)
            + c("hh") * lit(3_600_000i64)
            + c("mm") * lit(60_000i64)
            + c("ss") * lit(1_000i64)
            + frac_ms;
        let leap = (y.clone() % lit(4i64))
            .eq(lit(0i64))
            .and((y.clone() % lit(100i64)).neq(lit(0i64)))
            .or((y % lit(400i64)).eq(lit(0i64)));
        let dim = when(m.clone().eq(lit(2i64)))
            .then(when(leap).then(lit(29i64)).otherwise(lit(28i64)))
            .when(
                m.clone()
                    .eq(lit(4i64))
                    .or(m.clone().eq(lit(6i64)))
                    .or(m.clone().eq(lit(9i64)))
                    .or(m.clone().eq(lit(11i64))),
            )
            .then(lit(30i64))
            .otherwise(lit(31i64));
        let ok = c("form")
            .and(m.clone().gt_eq(lit(1i64)).and(m.lt_eq(lit(12i64))))
            .and(d.clone().gt_eq(lit(1i64)).and(d.lt_eq(dim)))
            .and(c("hh").lt(lit(24i64)))
            .and(c("mm").lt(lit(60i64)))
            .and(c("ss").lt(lit(60i64)))
            .fill_null(lit(false));
        Staged { parts, value, ok }
    }

    /// A signed amount as nano-units, as `money::parse_nanos` reads it: `-?D.F` with at most
    /// nine integer digits (under a billion, so a sum of a chunk's lines cannot overflow) and
    /// up to eighteen decimals, rounded half away from zero at the nano. Other forms
    /// (thousands separators, currency signs, exponents) are left to the row parser.
    pub fn money(label: &str, t: Expr) -> Staged {
        let part = |what: &str| format!("__m_{label}_{what}");
        let parts = vec![
            t.clone()
                .str()
                .contains(lit(r"^-?\d{1,9}(\.\d{1,18})?$"), true)
                .fill_null(lit(false))
                .alias(part("form")),
            t.clone()
                .str()
                .extract(lit(r"^-?(\d{1,9})"), 1)
                .cast(DataType::Int64)
                .alias(part("int")),
            t.clone()
                .str()
                .extract(lit(r"\.(\d{1,18})$"), 1)
                .alias(part("frac")),
            t.clone()
                .str()
                .starts_with(lit("-"))
                .fill_null(lit(false))
                .alias(part("neg")),
        ];
        let frac = col(part("frac"));
        let nine = frac.clone().str().slice(lit(0), lit(9));
        let nine_len = nine.clone().str().len_bytes().cast(DataType::Int64);
        // 10^(9 - digits) for one to nine decimals.
        let scale = (1..=9i64).fold(lit(0i64), |rest, len| {
            when(nine_len.clone().eq(lit(len)))
                .then(lit(10i64.pow((9 - len) as u32)))
                .otherwise(rest)
        });
        // The tenth decimal decides the rounding: 5 or more rounds the magnitude up.
        let up = frac
            .str()
            .slice(lit(9), lit(1))
            .cast(DataType::Int64)
            .gt_eq(lit(5i64))
            .fill_null(lit(false))
            .cast(DataType::Int64);
        let magnitude = col(part("int")) * lit(1_000_000_000i64)
            + (nine.cast(DataType::Int64) * scale).fill_null(lit(0i64))
            + up;
        let value = when(col(part("form")))
            .then(
                when(col(part("neg")))
                    .then(lit(0i64) - magnitude.clone())
                    .otherwise(magnitude),
            )
            .otherwise(lit(NULL).cast(DataType::Int64));
        Staged {
            parts,
            value,
            ok: t.is_null().or(col(part("form"))),
        }
    }

    fn json_part(key: &str) -> String {
        format!("__j_{key}")
    }

    /// `"key": "value"` in a JSON text column; an empty string, `null` or a value of another
    /// type is null (as `Value::as_str`). One regex pass captures the start of the value: a
    /// whole string without escapes, or the string up to its first backslash (left to the row
    /// parser), or the first character of any other value. The long metadata cell is searched,
    /// never copied. Whether the key occurs at most once is [`keys_once`]'s check.
    pub fn json_str(meta: &Expr, key: &str) -> Staged {
        let cap = col(json_part(key));
        let quoted = cap.clone().str().starts_with(lit("\""));
        let whole = quoted
            .clone()
            .and(cap.clone().str().len_bytes().gt_eq(lit(2u32)))
            .and(cap.clone().str().ends_with(lit("\"")));
        let inner = cap
            .clone()
            .str()
            .strip_prefix(lit("\""))
            .str()
            .strip_suffix(lit("\""));
        Staged {
            parts: vec![meta
                .clone()
                .str()
                .extract(
                    lit(format!(r#""{key}"\s*:\s*("[^"\\]*(?:"|\\)|[\s\S])"#)),
                    1,
                )
                .alias(json_part(key))],
            value: when(whole.clone().and(inner.clone().neq(lit(""))))
                .then(inner)
                .otherwise(null_str()),
            ok: quoted.and(whole.not()).not().fill_null(lit(true)),
        }
    }

    /// `"key": 123` in a JSON text column, as a number; anything else there (null, a string,
    /// an object) is null, like `Value::as_f64`.
    pub fn json_num(meta: &Expr, key: &str) -> Staged {
        let cap = col(json_part(key));
        Staged {
            parts: vec![meta
                .clone()
                .str()
                .extract(
                    lit(format!(
                        r#""{key}"\s*:\s*(-?[0-9][0-9.eE+-]*\s*[,}}\]]|[\s\S])"#
                    )),
                    1,
                )
                .alias(json_part(key))],
            value: cap
                .str()
                .extract(lit(r"^(-?[0-9][0-9.eE+-]*)\s*[,}\]]$"), 1)
                .cast(DataType::Float64),
            ok: lit(true),
        }
    }

    /// Whether each key occurs at most once in the JSON text, and only as a key: one pass
    /// counts every quoted key, and the count must equal the number of keys that
    /// [`json_str`] / [`json_num`] found followed by a colon. A key repeated (at any depth) or
    /// quoted as a value leaves the row to the row parser.
    pub fn keys_once(meta: &Expr, keys: &[&str]) -> Staged {
        let name = "__j_keys";
        let found = keys
            .iter()
            .map(|k| col(json_part(k)).is_not_null().cast(DataType::UInt32))
            .reduce(|a, b| a + b)
            .unwrap_or(lit(0u32));
        Staged {
            parts: vec![meta
                .clone()
                .str()
                .count_matches(lit(format!("\"(?:{})\"", keys.join("|"))), false)
                .fill_null(lit(0u32))
                .alias(name)],
            value: col(name),
            ok: col(name).eq(found).fill_null(lit(false)),
        }
    }

    /// Whether every flag is true.
    pub fn all(flags: Vec<Expr>) -> Expr {
        flags
            .into_iter()
            .reduce(|a, b| a.and(b))
            .unwrap_or(lit(true))
            .fill_null(lit(false))
    }
}

/// The size a request is counted under: the value itself, or for large files a log-spaced
/// bucket (32 per octave above 64; the bucket's midpoint, within ±1/64 of the value).
fn size_bucket(v: Expr, exact: bool) -> Expr {
    if exact {
        return v;
    }
    let vi = v.clone().cast(DataType::Int64);
    // Whole-number sizes only; a fractional size (rare) keeps its value.
    let octaves = (6..=24u32).rev().fold(v.clone(), |rest, k| {
        let width = 1i64 << (k - 5);
        when(v.clone().lt(lit((1u64 << (k + 1)) as f64)))
            .then(
                (vi.clone().floor_div(lit(width)) * lit(width) + lit(width / 2))
                    .cast(DataType::Float64),
            )
            .otherwise(rest)
    });
    when(
        v.clone()
            .lt(lit(64.0))
            .or(vi.cast(DataType::Float64).neq(v.clone())),
    )
    .then(v)
    .otherwise(octaves)
}

/// Separates the model string from the log's own base-model fields inside the grain's model
/// key (see [`model_key`]).
const MODEL_KEY_SEP: &str = "\u{1f}";

/// The grain's model key: the model string alone, or, when the log also names the base model
/// (LiteLLM `model_info.base_model`) or the model group, the three joined by
/// [`MODEL_KEY_SEP`] (blank for a missing one). One key keeps the grain's shape; the parts are
/// split again once per group ([`split_model_key`]).
pub fn model_key(model: Expr, base: Expr, group: Expr) -> Expr {
    when(base.clone().is_null().and(group.clone().is_null()))
        .then(model.clone())
        // String `+` concatenates (the `concat_str` feature would rebuild polars for this).
        .otherwise(
            model
                + lit(MODEL_KEY_SEP)
                + base.fill_null(lit(""))
                + lit(MODEL_KEY_SEP)
                + group.fill_null(lit("")),
        )
}

/// The model string, base model and model group of a grain model key.
pub fn split_model_key(key: &str) -> (&str, Option<&str>, Option<&str>) {
    let mut parts = key.splitn(3, MODEL_KEY_SEP);
    let model = parts.next().unwrap_or("");
    let base = parts.next().filter(|v| !v.is_empty());
    (model, base, parts.next().filter(|v| !v.is_empty()))
}

/// The text keys of the grain: every key that workload attribution, provider names, serving
/// resources and model resolution read.
pub const TEXT_KEYS: [&str; 6] = [
    cols::PROVIDER,
    cols::TEAM,
    cols::KEY,
    cols::MODEL,
    cols::TAGS,
    cols::API_BASE,
];

/// The ledger grain's keys: one ledger line per group and charge kind. `__bad` is null except
/// on request-grain rows that break its rules (rejected, never emitted).
pub fn ledger_keys() -> Vec<&'static str> {
    let mut k = vec!["__bad", "__hour"];
    k.extend(TEXT_KEYS);
    k.push("__band");
    k
}

/// The keys of the size counts: the UTC day and the [`TEXT_KEYS`]. The p50/p95 evidence is per
/// workload × model × day, so sizes are counted per day rather than per hour, and output and
/// prompt sizes separately: the counts grow with the number of distinct sizes, not with the
/// number of requests.
pub fn size_keys() -> Vec<&'static str> {
    let mut k = vec!["__day"];
    k.extend(TEXT_KEYS);
    k
}

/// The aggregated grain of a request log: ledger groups, and output and prompt size counts of
/// the requests that produced output.
pub struct Grain {
    pub ledger: DataFrame,
    pub outputs: DataFrame,
    pub prompts: DataFrame,
}

/// Size-bucket rows (the [`ledger_keys`], `__out_b`, `__in_b` and the measures `__n`,
/// `__sin`, `__scached`, `__sout`, `__pmax`, `__srep`, `__nrep`, `__smin`, `__emax`, `__imin`,
/// `__nout`) folded into the grain's three frames. Every aggregate is associative, so the same
/// functions fold per-request rows, chunk partials and a request-grain file alike.
pub fn grain_of(rows: LazyFrame) -> LazyGrain {
    let sized = rows
        .clone()
        .filter(
            col("__out_b")
                .gt(lit(0.0))
                .and(col("__bad").is_null())
                .fill_null(lit(false)),
        )
        .with_columns([col("__hour").floor_div(lit(24i64)).alias("__day")]);
    LazyGrain {
        ledger: fold_ledger(rows),
        outputs: fold_sizes(sized.clone(), "__out_b"),
        prompts: fold_sizes(sized, "__in_b"),
    }
}

/// The query of a [`Grain`], one lazy frame per part.
pub struct LazyGrain {
    ledger: LazyFrame,
    outputs: LazyFrame,
    prompts: LazyFrame,
}

impl LazyGrain {
    pub fn collect(self) -> PolarsResult<Grain> {
        Ok(Grain {
            ledger: self.ledger.collect()?,
            outputs: self.outputs.collect()?,
            prompts: self.prompts.collect()?,
        })
    }
}

impl Grain {
    fn height(&self) -> usize {
        self.ledger.height() + self.outputs.height() + self.prompts.height()
    }
}

fn keys(names: &[&str]) -> Vec<Expr> {
    names.iter().map(|k| col(*k)).collect()
}

/// Ledger groups from size-bucket rows or earlier ledger partials.
fn fold_ledger(rows: LazyFrame) -> LazyFrame {
    rows.group_by(keys(&ledger_keys())).agg([
        col("__n").sum(),
        col("__sin").sum(),
        col("__scached").sum(),
        col("__sout").sum(),
        col("__pmax").max(),
        col("__srep").sum(),
        col("__nrep").sum(),
        col("__smin").min(),
        col("__emax").max(),
        col("__imin").min(),
        col("__nout").sum(),
    ])
}

/// Size counts (requests, largest prompt) per [`size_keys`] and size `bucket`.
fn fold_sizes(rows: LazyFrame, bucket: &str) -> LazyFrame {
    let mut k = keys(&size_keys());
    k.push(col(bucket));
    rows.group_by(k)
        .agg([col("__n").sum(), col("__pmax").max()])
}

/// Stacks frames of one shape (the partials of several chunks) into one.
fn stack(frames: Vec<DataFrame>) -> Result<LazyFrame> {
    let mut frames = frames.into_iter();
    let Some(mut all) = frames.next() else {
        bail!("no partial groups to fold");
    };
    for f in frames {
        all.vstack_mut(&f)?;
    }
    Ok(all.lazy())
}

/// Partial grain frames of the chunks read so far, folded together as they grow.
#[derive(Default)]
struct Partials {
    ledger: Vec<DataFrame>,
    outputs: Vec<DataFrame>,
    prompts: Vec<DataFrame>,
    rows: usize,
    folded_rows: usize,
    /// Fold once this many rows are kept (and twice as many as the last fold left).
    fold_rows: usize,
}

impl Partials {
    fn keep(&mut self, grain: Grain) {
        self.rows += grain.height();
        self.ledger.push(grain.ledger);
        self.outputs.push(grain.outputs);
        self.prompts.push(grain.prompts);
    }

    fn push(&mut self, grain: Grain) -> Result<()> {
        self.keep(grain);
        if self.rows > self.fold_rows.max(2 * self.folded_rows) && self.ledger.len() > 1 {
            let folded = self.fold()?;
            self.rows = 0;
            self.keep(folded);
            self.folded_rows = self.rows;
        }
        Ok(())
    }

    /// Everything pushed so far as one grain (and nothing left pushed).
    fn fold(&mut self) -> Result<Grain> {
        Ok(LazyGrain {
            ledger: fold_ledger(stack(std::mem::take(&mut self.ledger))?),
            outputs: fold_sizes(stack(std::mem::take(&mut self.outputs))?, "__out_b"),
            prompts: fold_sizes(stack(std::mem::take(&mut self.prompts))?, "__in_b"),
        }
        .collect()?)
    }
}

/// The long-context band of a prompt size: how many of the catalog's cliffs it is above.
pub fn band_expr(prompt: Expr, long_context: &[u64]) -> Expr {
    long_context
        .iter()
        .map(|t| prompt.clone().gt(lit(*t as f64)).cast(DataType::Int32))
        .reduce(|a, b| a + b)
        .unwrap_or(lit(0i32))
        .alias("__band")
}

/// Partial groups are folded together once they hold this many rows and twice as many as the
/// last fold left, so the frames kept between chunks stay within a small multiple of the
/// grain, and a grain larger than this is not folded again after every chunk.
const FOLD_ROWS: usize = 1_000_000;

/// Reads one request-log CSV into aggregated ledger lines: the `sink` gets one line per group
/// and charge kind, `record` counts rows, `rejects` gets the rows neither path could read.
///
/// The file is read in record-aligned chunks ([`CsvChunks`]); each chunk is parsed by polars,
/// turned into request columns and folded into partial groups, and the rows the expressions
/// could not read exactly are kept aside for the row parser. Memory is bounded by one chunk
/// and the grain, not by the file.
#[allow(clippy::too_many_arguments)]
pub fn ingest_csv(
    log: &dyn RequestLog,
    format: &dyn Format,
    path: &Path,
    header: &[String],
    rel: &str,
    long_context: &[u64],
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) -> Result<()> {
    let file = CsvFile { path, header, rel };
    let sizes = Chunking {
        chunk_bytes: super::csv_chunks::CHUNK_BYTES,
        fold_rows: FOLD_ROWS,
    };
    ingest_chunked(
        log,
        format,
        &file,
        sizes,
        long_context,
        record,
        rejects,
        sink,
    )
}

/// One CSV file to read: where it is, its header and its name in the report.
struct CsvFile<'a> {
    path: &'a Path,
    header: &'a [String],
    rel: &'a str,
}

/// How a file is cut and folded: tests use tiny sizes so that every chunk boundary and
/// intermediate fold is exercised on small files.
#[derive(Clone, Copy)]
struct Chunking {
    chunk_bytes: usize,
    fold_rows: usize,
}

#[allow(clippy::too_many_arguments)]
fn ingest_chunked(
    log: &dyn RequestLog,
    format: &dyn Format,
    file: &CsvFile,
    sizes: Chunking,
    long_context: &[u64],
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) -> Result<()> {
    let (path, header, rel) = (file.path, file.header, file.rel);
    let exact = std::fs::metadata(path)
        .map(|m| m.len() < EXACT_SIZES_BELOW_BYTES)
        .unwrap_or(true);
    let reader = ChunkReader::new(format, header)?;
    let chunks = CsvChunks::with_sizes(
        path,
        sizes.chunk_bytes,
        super::csv_chunks::MAX_CHUNK_BYTES.max(8 * sizes.chunk_bytes),
    )?;
    let mut partials = Partials {
        fold_rows: sizes.fold_rows,
        ..Default::default()
    };
    let mut slow: Option<DataFrame> = None;
    let mut offset: IdxSize = 0;
    for_each_chunk(chunks, |chunk| {
        reject_ragged(&chunk.ragged, record, rejects);
        let raw = time_part("parse CSV chunks", || reader.parse(chunk.bytes))
            .with_context(|| format!("could not read `{rel}` as CSV"))?;
        let height = raw.height() as IdxSize;
        let requests = time_part("request expressions", || {
            collect_streaming(request_frame(
                log,
                format,
                reader.select(raw.lazy(), offset),
            ))
        });
        let requests = in_file(requests, rel, "could not read the requests of")?;
        offset += height;
        let part = time_part("group into the grain", || {
            grain_of(size_rows(requests.clone().lazy(), exact, long_context)).collect()
        });
        let part = in_file(part, rel, "could not aggregate")?;
        time_part("fold the grains", || partials.push(part))?;
        let bad = time_part("set aside unusual rows", || {
            slow_rows(format, requests.lazy()).collect()
        });
        let bad = in_file(bad, rel, "could not re-read the unusual rows of")?;
        if bad.height() > 0 {
            match slow.as_mut() {
                Some(s) => {
                    s.vstack_mut(&bad)?;
                }
                None => slow = Some(bad),
            }
        }
        Ok(())
    })?;
    let grain = if partials.ledger.is_empty() {
        None
    } else {
        Some(time_part("fold the grains", || partials.fold())?)
    };
    // Everything that can fail is read before the first line reaches the sink, so a failure
    // leaves the caller free to read the file another way.
    let slow = match slow {
        Some(df) => Some(slow_table(df)?),
        None => None,
    };
    if let Some(grain) = &grain {
        let n = grain.ledger.column("__n")?.cast(&DataType::UInt64)?;
        record.rows += n.u64()?.iter().flatten().sum::<u64>();
        // CSV: the header is line 1 and `__idx` counts data rows from 0.
        time_part("ledger lines (emit, price, build)", || {
            emit_groups(log, grain, rel, exact, 2, sink)
        })?;
    }
    if let Some(table) = slow {
        parse_slow_rows(format, &table, rel, record, rejects, sink);
    }
    Ok(())
}

/// Books the records of a chunk that had the wrong number of fields as rejected rows.
pub(super) fn reject_ragged(
    ragged: &[super::csv_chunks::Ragged],
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
) {
    for r in ragged {
        record.rows += 1;
        record.rejected_rows += 1;
        rejects.push(Reject {
            file: record.path.clone(),
            line: u32::try_from(r.line).unwrap_or(u32::MAX),
            column: None,
            reason: r.reason(),
        });
    }
}

/// A polars result with what failed and the file it failed on.
pub(super) fn in_file<T>(r: PolarsResult<T>, rel: &str, what: &str) -> Result<T> {
    r.map_err(anyhow::Error::from)
        .with_context(|| format!("{what} `{rel}`"))
}

/// Parses the chunks of one file with an all-string schema, keeping the format's columns.
pub(super) struct ChunkReader {
    schema: SchemaRef,
    /// The header's own spelling of each column the format reads, for the projection.
    projection: Arc<[PlSmallStr]>,
    /// `__idx` and each of the format's columns under its lower-case name (null if absent).
    select: Vec<Expr>,
}

impl ChunkReader {
    /// Reads the header's columns that `wanted` names (by lower-case name), each under its
    /// lower-case name; absent columns stay absent, as in [`StrTable::read_csv_lenient`].
    pub(super) fn present(header: &[String], wanted: &dyn Fn(&str) -> bool) -> Result<ChunkReader> {
        let schema = StrTable::string_schema(header)?;
        let mut projection = Vec::new();
        let mut select = vec![col("__idx")];
        for h in header {
            let lower = h.to_ascii_lowercase();
            if wanted(&lower) {
                projection.push(PlSmallStr::from(h.as_str()));
                select.push(col(h.as_str()).alias(lower));
            }
        }
        Ok(ChunkReader {
            schema,
            projection: projection.into(),
            select,
        })
    }

    fn new(format: &dyn Format, header: &[String]) -> Result<ChunkReader> {
        let schema = StrTable::string_schema(header)?;
        let mut projection = Vec::new();
        let mut select = vec![col("__idx")];
        for wanted in format.columns() {
            let found = header.iter().find(|h| h.to_ascii_lowercase() == *wanted);
            select.push(match found {
                Some(h) => {
                    projection.push(PlSmallStr::from(h.as_str()));
                    col(h.as_str()).alias(*wanted)
                }
                None => lit(NULL).cast(DataType::String).alias(*wanted),
            });
        }
        Ok(ChunkReader {
            schema,
            projection: projection.into(),
            select,
        })
    }

    /// One chunk of whole records (no header) as string columns.
    pub(super) fn parse(&self, bytes: Vec<u8>) -> Result<DataFrame> {
        Ok(CsvReadOptions::default()
            .with_has_header(false)
            .with_schema(Some(self.schema.clone()))
            .with_columns(Some(self.projection.clone()))
            .with_raise_if_empty(false)
            .map_parse_options(|o| {
                o.with_missing_is_null(true)
                    .with_truncate_ragged_lines(true)
                    .with_encoding(CsvEncoding::LossyUtf8)
            })
            .into_reader_with_file_handle(std::io::Cursor::new(bytes))
            .finish()?)
    }

    /// The chunk's rows numbered from `offset` (rows before it in the file), with the
    /// format's columns under their lower-case names.
    pub(super) fn select(&self, raw: LazyFrame, offset: IdxSize) -> LazyFrame {
        raw.with_row_index("__idx", Some(offset))
            .select(self.select.clone())
    }
}

/// The format's canonical request columns over its raw columns and `__idx`, blank rows
/// dropped: the text columns are trimmed once, then the format's stages run in order.
fn request_frame(log: &dyn RequestLog, format: &dyn Format, raw: LazyFrame) -> LazyFrame {
    let texts = log.text_columns();
    let blank = format
        .columns()
        .iter()
        .map(|c| {
            if texts.contains(c) {
                let t = expr::trimmed(c);
                t.clone().is_null().or(t.eq(lit("")))
            } else {
                // Anchored, so a long cell (the metadata JSON) fails at its first character
                // instead of being trimmed and copied.
                col(*c)
                    .str()
                    .contains(lit(r"^\s*$"), true)
                    .fill_null(lit(true))
            }
        })
        .reduce(|a, b| a.and(b))
        .unwrap_or(lit(false));
    let mut lf = raw
        .with_columns(
            texts
                .iter()
                .map(|c| expr::trim_column(c))
                .collect::<Vec<_>>(),
        )
        .filter(blank.not())
        .with_columns(
            texts
                .iter()
                .map(|c| expr::text_column(c))
                .collect::<Vec<_>>(),
        );
    for stage in log.request_stages() {
        lf = lf.with_columns(stage);
    }
    // Only what the grain and the row parser read: the stages' parts are not kept.
    let mut keep: Vec<Expr> = [cols::START, cols::END]
        .iter()
        .chain(TEXT_KEYS.iter())
        .chain(&[
            cols::INPUT,
            cols::CACHED,
            cols::OUTPUT,
            cols::PROMPT,
            cols::REPORTED,
            cols::OK,
            "__idx",
        ])
        .map(|c| col(*c))
        .collect();
    keep.extend(format.columns().iter().map(|c| col(*c)));
    lf.select(keep)
}

/// Collects on polars' streaming engine: the stages' columns are computed a morsel at a time
/// instead of as whole columns (about a tenth faster on a 3.1M-request log).
pub(super) fn collect_streaming(lf: LazyFrame) -> PolarsResult<DataFrame> {
    // A query with one sink always gives one frame (several come only from `collect_all`).
    Ok(lf.collect_with_engine(Engine::Streaming)?.unwrap_single())
}

/// The requests the expressions read exactly, one size-bucket row each (the shape
/// [`grain_of`] folds).
fn size_rows(requests: LazyFrame, exact: bool, long_context: &[u64]) -> LazyFrame {
    requests.filter(col(cols::OK)).select([
        lit(NULL).cast(DataType::UInt32).alias("__bad"),
        col(cols::START)
            .floor_div(lit(3_600_000i64))
            .alias("__hour"),
        col(cols::PROVIDER),
        col(cols::TEAM),
        col(cols::KEY),
        col(cols::MODEL),
        col(cols::TAGS),
        col(cols::API_BASE),
        band_expr(col(cols::PROMPT), long_context),
        size_bucket(col(cols::OUTPUT), exact).alias("__out_b"),
        size_bucket(col(cols::PROMPT), exact).alias("__in_b"),
        lit(1u64).alias("__n"),
        col(cols::INPUT).alias("__sin"),
        col(cols::CACHED).alias("__scached"),
        col(cols::OUTPUT).alias("__sout"),
        col(cols::PROMPT).alias("__pmax"),
        col(cols::REPORTED).alias("__srep"),
        col(cols::REPORTED)
            .is_not_null()
            .cast(DataType::UInt64)
            .alias("__nrep"),
        col(cols::START).alias("__smin"),
        col(cols::END).alias("__emax"),
        col("__idx").alias("__imin"),
        col(cols::OUTPUT)
            .gt(lit(0.0))
            .cast(DataType::UInt64)
            .alias("__nout"),
    ])
}

/// The rows the expressions flagged, as their raw strings with `__idx`.
fn slow_rows(format: &dyn Format, requests: LazyFrame) -> LazyFrame {
    let mut raw: Vec<Expr> = vec![col("__idx")];
    raw.extend(format.columns().iter().map(|c| col(*c)));
    requests.filter(col(cols::OK).not()).select(raw)
}

/// The six text keys of row `r`.
fn at(k: &[StringChunked; 6], r: usize) -> [Option<&str>; 6] {
    std::array::from_fn(|c| k[c].get(r))
}

/// The day-level size-count key of a ledger group or size row.
type SizeKey = (i64, [Option<String>; 6]);

fn owned(v: [Option<&str>; 6]) -> [Option<String>; 6] {
    v.map(|s| s.map(str::to_string))
}

/// Turns the grain into ledger lines, one ledger group at a time (in [`ledger_keys`] order). A
/// group's line is its `__imin` plus `line_offset`. Each day's size counts ride on the output
/// line of the first group of that day and key that produced output, with the requests per
/// hour, so the profile gets the same counts as from per-request lines.
pub fn emit_groups(
    log: &dyn RequestLog,
    grain: &Grain,
    rel: &str,
    exact: bool,
    line_offset: u32,
    sink: &mut dyn FnMut(LedgerRow),
) -> Result<()> {
    let sort = |df: &DataFrame, by: &[&str]| -> Result<DataFrame> {
        Ok(df
            .clone()
            .lazy()
            .sort(
                by.iter().map(|k| PlSmallStr::from(*k)).collect::<Vec<_>>(),
                SortMultipleOptions::default().with_nulls_last(false),
            )
            .collect()?)
    };
    let df = sort(&grain.ledger, &ledger_keys())?;
    let s = |df: &DataFrame, name: &str| -> Result<StringChunked> {
        Ok(df.column(name)?.str()?.clone())
    };
    let f = |df: &DataFrame, name: &str| -> Result<Float64Chunked> {
        Ok(df.column(name)?.cast(&DataType::Float64)?.f64()?.clone())
    };
    let i = |df: &DataFrame, name: &str| -> Result<Int64Chunked> {
        Ok(df.column(name)?.cast(&DataType::Int64)?.i64()?.clone())
    };
    let text_keys = |df: &DataFrame| -> Result<[StringChunked; 6]> {
        let [a, b, c, d, e, f] = TEXT_KEYS.map(|k| s(df, k));
        Ok([a?, b?, c?, d?, e?, f?])
    };

    // Size counts per day and key, from the two size frames.
    let mut hists: HashMap<SizeKey, RequestHist> = HashMap::new();
    let new_hist = || RequestHist {
        approximate: !exact,
        hourly: Some([0; 24]),
        ..Default::default()
    };
    for (frame, bucket, is_output) in [
        (&grain.outputs, "__out_b", true),
        (&grain.prompts, "__in_b", false),
    ] {
        let mut by = size_keys();
        by.push(bucket);
        let sizes = sort(frame, &by)?;
        let (day, k) = (i(&sizes, "__day")?, text_keys(&sizes)?);
        let (size, n, pmax) = (f(&sizes, bucket)?, i(&sizes, "__n")?, f(&sizes, "__pmax")?);
        let mut current: Option<(i64, [Option<&str>; 6], SizeKey)> = None;
        for r in 0..sizes.height() {
            let (d, v) = (day.get(r).unwrap_or(0), at(&k, r));
            // Sorted by key: a key is allocated once, when it changes.
            if current
                .as_ref()
                .is_none_or(|(cd, cv, _)| *cd != d || *cv != v)
            {
                current = Some((d, v, (d, owned(v))));
            }
            let key = &current.as_ref().expect("set above").2;
            let h = match hists.get_mut(key) {
                Some(h) => h,
                None => hists.entry(key.clone()).or_insert_with(new_hist),
            };
            let (size, n) = (size.get(r).unwrap_or(0.0), n.get(r).unwrap_or(0) as u64);
            if is_output {
                h.output.push((size, n));
                h.requests += n;
            } else {
                h.prompt.push((size, n));
                h.prompt_max = h.prompt_max.max(pmax.get(r).unwrap_or(0.0));
            }
        }
    }

    let (bad, hour) = (i(&df, "__bad")?, i(&df, "__hour")?);
    let k = text_keys(&df)?;
    let pmax = f(&df, "__pmax")?;
    let (sin, scached, sout) = (f(&df, "__sin")?, f(&df, "__scached")?, f(&df, "__sout")?);
    let (n, srep, nrep, nout) = (
        i(&df, "__n")?,
        i(&df, "__srep")?,
        i(&df, "__nrep")?,
        i(&df, "__nout")?,
    );
    let (smin, emax, imin) = (i(&df, "__smin")?, i(&df, "__emax")?, i(&df, "__imin")?);
    let size_key =
        |r: usize| -> SizeKey { (hour.get(r).unwrap_or(0).div_euclid(24), owned(at(&k, r))) };
    // The requests per hour of each day's counts.
    for r in 0..df.height() {
        let answered = nout.get(r).unwrap_or(0);
        if bad.get(r).is_some() || answered <= 0 {
            continue;
        }
        if let Some(h) = hists.get_mut(&size_key(r)) {
            if let Some(hourly) = h.hourly.as_mut() {
                hourly[hour.get(r).unwrap_or(0).rem_euclid(24) as usize] += answered as u64;
            }
        }
    }

    let counted_elsewhere = Arc::new(RequestHist {
        approximate: !exact,
        hourly: Some([0; 24]),
        ..Default::default()
    });
    let mut providers: HashMap<Option<String>, &'static str> = HashMap::new();
    let mut resources: HashMap<(Option<String>, Option<String>), Option<String>> = HashMap::new();
    let mut workloads: HashMap<Option<String>, Option<String>> = HashMap::new();
    for r in 0..df.height() {
        if bad.get(r).is_some() {
            continue; // a rejected grain row
        }
        let [provider, team, key, model_key, tags, base] = at(&k, r);
        let (model, model_base, model_group) = model_key.map_or((None, None, None), |m| {
            let (model, b, g) = split_model_key(m);
            (Some(model), b, g)
        });
        let raw_provider = provider.map(str::to_string);
        let prov = *providers
            .entry(raw_provider.clone())
            .or_insert_with(|| log.provider(raw_provider.as_deref()));
        let res_key = (base.map(str::to_string), model.map(str::to_string));
        let resource = resources
            .entry(res_key.clone())
            .or_insert_with(|| log.resource(res_key.0.as_deref(), res_key.1.as_deref()))
            .clone();
        let start = smin.get(r).unwrap_or(i64::MAX);
        let end = emax.get(r).unwrap_or(i64::MIN);
        let requests = n.get(r).unwrap_or(0) as u64;
        let line = imin.get(r).unwrap_or(0) as u32 + line_offset;
        let mut row = LedgerRow::new(
            prov,
            RecordRole::Gateway,
            ChargeKind::Request,
            start,
            end.max(start),
            rel,
            line,
        );
        row.model_raw = model.map(str::to_string);
        row.model_base = model_base.map(str::to_string);
        row.model_group = model_group.map(str::to_string);
        row.sub_account = team.map(str::to_string);
        row.api_key = key.map(str::to_string);
        row.tags = tags.map(str::to_string);
        row.workload = workloads
            .entry(row.tags.clone())
            .or_insert_with(|| log.workload(tags))
            .clone();
        row.resource = resource;
        row.prompt_tokens = Some(pmax.get(r).unwrap_or(0.0));
        row.source_rows = requests as u32;
        // An estimate, never billed: a sum past i64 saturates rather than failing half-way.
        let reported = (nrep.get(r).unwrap_or(0) > 0).then(|| srep.get(r).unwrap_or(0));
        // The day's counts ride on one line; the other output lines of that day carry an
        // empty count, so the profile never reads them as one request each.
        let hist = if nout.get(r).unwrap_or(0) > 0 {
            Some(
                hists
                    .remove(&size_key(r))
                    .map(Arc::new)
                    .unwrap_or_else(|| counted_elsewhere.clone()),
            )
        } else {
            None
        };
        let parts = [
            (ChargeKind::Input, sin.get(r).unwrap_or(0.0), "tokens"),
            (
                ChargeKind::CachedInput,
                scached.get(r).unwrap_or(0.0),
                "tokens",
            ),
            (ChargeKind::Output, sout.get(r).unwrap_or(0.0), "tokens"),
            (ChargeKind::Request, requests as f64, "requests"),
        ];
        for (kind, qty, unit) in parts {
            if qty > 0.0 {
                let mut line = row.clone();
                line.charge_kind = kind;
                line.quantity = qty;
                line.unit = unit;
                // The gateway's own spend figure rides on the request line only.
                if kind == ChargeKind::Request {
                    line.source_reported_cost_nano = reported;
                }
                if kind == ChargeKind::Output {
                    line.request_hist = hist.clone();
                }
                sink(line);
            }
        }
    }
    Ok(())
}

/// The flagged rows of every chunk (in file order) as a string table with their own lines.
fn slow_table(df: DataFrame) -> Result<StrTable> {
    let lines: Vec<u32> = df
        .column("__idx")?
        .u32()?
        .iter()
        .map(|i| i.unwrap_or(0) + 2)
        .collect();
    StrTable::from_frame_with_lines(df.drop("__idx")?, lines)
}

/// The flagged rows read by the format's row parser, so their ledger lines and reject messages
/// are exactly the row path's.
fn parse_slow_rows(
    format: &dyn Format,
    table: &StrTable,
    rel: &str,
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) {
    let mut out = Vec::with_capacity(8);
    for index in 0..table.height() {
        let line = table.line_of(index);
        record.rows += 1;
        let row = super::RowView { table, index };
        out.clear();
        let fate = format.parse_row(&row, SourceRef { file: rel, line }, &mut out);
        super::settle(fate, line, &mut out, record, rejects, sink);
    }
}

#[cfg(test)]
mod tests {
    //! The columnar path against the row parser on random logs: same token sums, request
    //! counts, list cost (to the nano-dollar per request), reported spend, rejects and
    //! per-request statistics.
    use super::super::litellm_spend::LiteLlmSpendCsv;
    use super::super::{ingest_dir, walk, Format, RowView, SourceRef, StrTable};
    use crate::ledger::{ChargeKind, LedgerBuilder, LedgerRow};
    use crate::pricing::{Catalog, Pricer};
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const HEADER: &str = "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,completionStartTime,model,model_id,model_group,custom_llm_provider,api_base,user,metadata,cache_hit,cache_key,request_tags,team_id,end_user,requester_ip_address,status";

    /// One random request as a CSV line; a few use forms only the row parser reads.
    fn line(i: usize, r: &(u64, usize, u64, u64, u64, u8, usize)) -> String {
        let (offset_s, model, prompt, completion, cached, form, team) = *r;
        let models = [
            ("gpt-4.1-2025-04-14", "openai", ""),
            ("claude-sonnet-4-5-20250929", "anthropic", ""),
            ("claude-opus-4-6", "anthropic", ""),
            ("azure/gpt-4.1", "azure", "https://acme.openai.azure.com/"),
            ("not-a-model", "", ""),
        ];
        let (m, p, base) = models[model % models.len()];
        let secs = 1_790_812_800 + offset_s as i64;
        let dt =
            chrono::DateTime::from_timestamp(secs, (offset_s % 1000) as u32 * 1_000_000).unwrap();
        let start = match form {
            0 => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            1 => dt.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            2 => (dt + chrono::Duration::hours(2))
                .format("%Y-%m-%d %H:%M:%S+02:00")
                .to_string(), // an offset: the row parser's
            3 => "yesterday".to_string(), // a reject
            _ => dt.format("%Y-%m-%d %H:%M:%S%.3f+00").to_string(),
        };
        let end = if form == 5 {
            String::new()
        } else {
            start.clone()
        };
        let spend = if form == 6 {
            "1.2e-05".to_string()
        } else {
            format!("{}.{:06}", prompt / 100_000, completion % 1_000_000)
        };
        let completion_cell = if form == 7 {
            "many".to_string()
        } else {
            completion.to_string()
        };
        let team_meta = if team % 3 == 0 {
            String::new()
        } else {
            format!(", \"\"user_api_key_team_alias\"\": \"\"t{team}\"\"")
        };
        // Deployment names priced through the log's base model or model group.
        let base_meta = if team % 4 == 1 {
            ", \"\"model_info\"\": {\"\"base_model\"\": \"\"gpt-4o-2024-11-20\"\"}"
        } else {
            ""
        };
        let group = if team % 3 == 1 { "gpt-4.1" } else { "g" };
        format!(
            "req-{i},acompletion,k{team},{spend},0,{prompt},{completion_cell},{start},{end},,{m},,{group},{p},{base},u,\"{{\"\"usage_object\"\": {{\"\"prompt_tokens_details\"\": {{\"\"cached_tokens\"\": {cached}}}}}, \"\"user_api_key_alias\"\": \"\"alias{}\"\"{team_meta}{base_meta}}}\",False,,,team-{team},,,success",
            team % 2
        )
    }

    /// The row parser over every row: the reference.
    fn by_rows(path: &std::path::Path, text: &str) -> (Vec<LedgerRow>, Vec<u32>) {
        by_rows_of(&LiteLlmSpendCsv, path, text)
    }

    fn by_rows_of(
        f: &dyn Format,
        path: &std::path::Path,
        text: &str,
    ) -> (Vec<LedgerRow>, Vec<u32>) {
        let (_, table) = StrTable::scan_csv_text(path, text, &|c| f.wants_column(c));
        let (mut rows, mut rejected) = (Vec::new(), Vec::new());
        for index in 0..table.height() {
            let line = table.line_of(index);
            let row = RowView {
                table: &table,
                index,
            };
            if f.parse_row(
                &row,
                SourceRef {
                    file: "log.csv",
                    line,
                },
                &mut rows,
            )
            .is_err()
            {
                rejected.push(line);
            }
        }
        (rows, rejected)
    }

    fn summary(
        rows: &mut [LedgerRow],
        catalog: &Catalog,
    ) -> (BTreeMap<&'static str, f64>, i64, i64) {
        let mut pricer = Pricer::new(catalog);
        let mut qty = BTreeMap::new();
        let (mut list, mut reported) = (0i64, 0i64);
        for r in rows.iter_mut() {
            pricer.price(r);
            *qty.entry(r.charge_kind.as_str()).or_insert(0.0) += r.quantity;
            list += r.list_cost_nano.unwrap_or(0);
            reported += r.source_reported_cost_nano.unwrap_or(0);
        }
        (qty, list, reported)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn aggregated_log_equals_the_row_by_row_reading(
            reqs in proptest::collection::vec(
                (0u64..2_678_400, 0usize..5, 0u64..400_000, 0u64..5_000, 0u64..450_000, 0u8..24, 0usize..7),
                1..120,
            ),
            chunk_bytes in 2_000usize..16_000,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let mut text = format!("{HEADER}\n");
            for (i, r) in reqs.iter().enumerate() {
                text.push_str(&line(i, r));
                text.push('\n');
            }
            let path = dir.path().join("log.csv");
            std::fs::write(&path, &text).unwrap();
            let catalog = Catalog::embedded().unwrap();

            let (mut reference, ref_rejects) = by_rows(&path, &text);
            let mut aggregated = Vec::new();
            let files = walk(dir.path(), None).unwrap();
            let outcome = ingest_dir(dir.path(), &files, &mut |r| aggregated.push(r), &mut |_| {});
            let input = &outcome.inputs[0];
            prop_assert_eq!(input.rows as usize, reqs.len());
            let lines: Vec<u32> = outcome.rejects.iter().map(|r| r.line).collect();
            let ref_rejects_again = ref_rejects.clone();
            prop_assert_eq!(lines, ref_rejects);

            let (q1, list1, rep1) = summary(&mut reference, &catalog);
            let (q2, list2, rep2) = summary(&mut aggregated, &catalog);
            prop_assert_eq!(&q1, &q2);
            prop_assert_eq!(rep1, rep2);
            // Cost is computed once per group instead of once per request: rounding differs
            // by under a nano-dollar per request.
            prop_assert!((list1 - list2).abs() <= reqs.len() as i64, "{} vs {}", list1, list2);
            let requests: f64 = aggregated
                .iter()
                .filter(|r| r.charge_kind == ChargeKind::Request)
                .map(|r| r.quantity)
                .sum();
            prop_assert_eq!(requests as usize, reqs.len() - outcome.rejects.len());

            let stats = |rows: &[LedgerRow]| {
                let mut b = LedgerBuilder::new(rows.len());
                for r in rows {
                    b.push(r);
                }
                b.finish().unwrap().request_stats().unwrap()
            };
            prop_assert_eq!(stats(&reference), stats(&aggregated));

            // The same file cut into tiny chunks and folded after every few: the same lines.
            let header: Vec<String> = HEADER.split(',').map(String::from).collect();
            let file = super::CsvFile { path: &path, header: &header, rel: "log.csv" };
            let long_context = catalog.long_context_thresholds();
            let mut record = outcome.inputs[0].clone();
            record.rows = 0;
            let (mut chunked, mut chunk_rejects) = (Vec::new(), Vec::new());
            super::ingest_chunked(
                &LiteLlmSpendCsv,
                &LiteLlmSpendCsv,
                &file,
                super::Chunking { chunk_bytes, fold_rows: 3 },
                &long_context,
                &mut record,
                &mut chunk_rejects,
                &mut |r| chunked.push(r),
            )
            .unwrap();
            prop_assert_eq!(record.rows as usize, reqs.len());
            let lines: Vec<u32> = chunk_rejects.iter().map(|r| r.line).collect();
            prop_assert_eq!(lines, ref_rejects_again);
            let (q3, list3, rep3) = summary(&mut chunked, &catalog);
            prop_assert_eq!(&q3, &q2);
            prop_assert_eq!(rep3, rep2);
            prop_assert_eq!(list3, list2);
            prop_assert_eq!(stats(&chunked), stats(&aggregated));
        }
    }

    /// One random Helicone export request (`@helicone/export` CSV column order); a few use
    /// forms only the row parser reads, or are rejects.
    fn helicone_line(i: usize, r: &(u64, usize, u64, u64, u8, usize)) -> String {
        let (offset_s, model, prompt, completion, form, workload) = *r;
        let models = [
            "gpt-4o-mini",
            "claude-sonnet-4-5-20250929",
            "gpt-4.1-2025-04-14",
            "not-a-model",
        ];
        let secs = 1_790_812_800 + offset_s as i64;
        let dt =
            chrono::DateTime::from_timestamp(secs, (offset_s % 1000) as u32 * 1_000_000).unwrap();
        let created = match form {
            0 => dt.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string(),
            1 => (dt + chrono::Duration::hours(-5))
                .format("%Y-%m-%dT%H:%M:%S-05:00")
                .to_string(), // an offset: the row parser's
            2 => "not a time".to_string(), // a reject
            _ => dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        };
        let cost = match form {
            3 => String::new(),
            4 => "3.4e-04".to_string(),
            _ => format!("0.{:06}", (prompt + completion) % 1_000_000),
        };
        let completion_cell = if form == 5 {
            "-1".to_string() // a negative count: a reject
        } else {
            completion.to_string()
        };
        let properties = match workload % 3 {
            0 => String::new(),
            1 => format!("\"{{\"\"workload\"\":\"\"w{workload}\"\"}}\""),
            _ => "\"{\"\"environment\"\":\"\"prod\"\"}\"".to_string(),
        };
        format!(
            "resp-{i},{created},200,{created},\"{{\"\"messages\"\":[\"\"a, b\nc\"\"]}}\",{properties},u-{},{},{prompt},{completion_cell},1100,{cost}",
            workload % 2,
            models[model % models.len()]
        )
    }

    /// Token quantities per charge kind and workload.
    fn by_workload(rows: &[LedgerRow]) -> BTreeMap<(&'static str, Option<String>), f64> {
        let mut out = BTreeMap::new();
        for r in rows {
            *out.entry((r.charge_kind.as_str(), r.workload.clone()))
                .or_insert(0.0) += r.quantity;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn aggregated_helicone_export_equals_the_row_by_row_reading(
            reqs in proptest::collection::vec(
                (0u64..2_678_400, 0usize..4, 0u64..300_000, 0u64..5_000, 0u8..16, 0usize..6),
                1..100,
            ),
        ) {
            const HELICONE: &str = "response_id,response_created_at,response_status,request_created_at,request_body,request_properties,request_user_id,model,prompt_tokens,completion_tokens,latency,cost";
            let dir = tempfile::tempdir().unwrap();
            let mut text = format!("{HELICONE}\n");
            for (i, r) in reqs.iter().enumerate() {
                text.push_str(&helicone_line(i, r));
                text.push('\n');
            }
            let path = dir.path().join("helicone.csv");
            std::fs::write(&path, &text).unwrap();
            let catalog = Catalog::embedded().unwrap();

            let (mut reference, ref_rejects) =
                by_rows_of(&super::super::gateway_logs::HeliconeCsv, &path, &text);
            let mut aggregated = Vec::new();
            let files = walk(dir.path(), None).unwrap();
            let outcome = ingest_dir(dir.path(), &files, &mut |r| aggregated.push(r), &mut |_| {});
            let input = &outcome.inputs[0];
            prop_assert_eq!(input.format.as_deref(), Some("helicone_csv"));
            prop_assert_eq!(input.rows as usize, reqs.len());
            let lines: Vec<u32> = outcome.rejects.iter().map(|r| r.line).collect();
            prop_assert_eq!(lines, ref_rejects);
            // Aggregated: fewer lines than requests whenever requests share a group.
            prop_assert!(aggregated.len() <= reference.len());
            prop_assert_eq!(by_workload(&reference), by_workload(&aggregated));
            let (q1, list1, rep1) = summary(&mut reference, &catalog);
            let (q2, list2, rep2) = summary(&mut aggregated, &catalog);
            prop_assert_eq!(&q1, &q2);
            prop_assert_eq!(rep1, rep2);
            prop_assert!((list1 - list2).abs() <= reqs.len() as i64, "{} vs {}", list1, list2);

            // The columnar reading itself (not a fallback to the row parser) gives these lines.
            let header: Vec<String> = HELICONE.split(',').map(String::from).collect();
            let file = super::CsvFile { path: &path, header: &header, rel: "helicone.csv" };
            let mut record = outcome.inputs[0].clone();
            record.rows = 0;
            let (mut chunked, mut chunk_rejects) = (Vec::new(), Vec::new());
            super::ingest_chunked(
                &super::super::gateway_logs::HeliconeCsv,
                &super::super::gateway_logs::HeliconeCsv,
                &file,
                super::Chunking { chunk_bytes: 4_000, fold_rows: 3 },
                &catalog.long_context_thresholds(),
                &mut record,
                &mut chunk_rejects,
                &mut |r| chunked.push(r),
            )
            .unwrap();
            prop_assert_eq!(chunk_rejects.len(), outcome.rejects.len());
            prop_assert_eq!(by_workload(&chunked), by_workload(&aggregated));
        }
    }
}
