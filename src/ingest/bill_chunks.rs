//! Large cloud bills read in chunks, their non-AI lines counted in polars.
//!
//! A cloud bill (AWS CUR, Azure cost export, GCP billing export, FOCUS) has a line per
//! resource and hour for everything the company runs, and the AI lines are a small share of
//! it. A format that implements [`BillScope`] says, as column expressions, which rows its row
//! parser would surely count as out of scope, and their cost. Such a bill is read like a
//! request log ([`CsvChunks`], record-aligned chunks parsed by polars with an all-string
//! schema): per chunk, the surely-out-of-scope rows are counted and their cost summed in polars,
//! and only the remaining rows (the AI lines, and any row in a form the expressions do not read
//! exactly) go to the row parser. Resident memory is then bounded by the chunk and the AI
//! lines, not by the bill.
//!
//! **Exactness.** The expressions claim a row only when the row parser would read it the same
//! way: the cost must be a plain decimal (`money::parse_nanos`' value, rounded the same way)
//! and every column that decides the scope must be read exactly. Anything else goes to the row
//! parser, so the counts, the out-of-scope cost, the ledger lines and the rejects equal a
//! row-by-row reading (a property test checks this).

use super::csv_chunks::{for_each_chunk, CsvChunks, CHUNK_BYTES, MAX_CHUNK_BYTES};
use super::request_log::{collect_streaming, expr, in_file, reject_ragged, ChunkReader};
use super::{parse_rows, Format, InputRecord, Reject, StrTable};
use crate::ledger::LedgerRow;
use anyhow::{Context, Result};
use polars::prelude::*;
use std::path::Path;

/// Column the scope expressions set: the row is surely out of scope (never null).
pub const OUT: &str = "__out";
/// Column the scope expressions set: the cost of a surely-out-of-scope row, nano-units (Int64).
pub const COST: &str = "__cost";

/// A bill format whose out-of-scope rows can be recognised by column expressions.
pub trait BillScope: Sync {
    /// The lower-case columns the expressions read as trimmed text ([`expr::text`]); those
    /// the file lacks are skipped.
    fn text_columns(&self) -> &'static [&'static str];
    /// Expressions in stages (one `with_columns` each) whose last stage sets [`OUT`] and
    /// [`COST`]. `has` tells which lower-case columns the file has; an expression may only read
    /// those.
    fn scope_stages(&self, has: &dyn Fn(&str) -> bool) -> Vec<Vec<Expr>>;
    /// The lower-case column the row parser reads an out-of-scope row's start date from
    /// (`None`: the file has none), so those outside the audited month count as outside it.
    fn date_column(&self, has: &dyn Fn(&str) -> bool) -> Option<&'static str>;
}

/// The stages that mark a row surely out of scope when its cost reads exactly (a plain
/// decimal, present) and every condition holds; the cost is the row's out-of-scope cost.
pub fn out_of_scope_when(cost: expr::Staged, conditions: Vec<Expr>) -> Vec<Vec<Expr>> {
    let mut all = vec![cost.value.clone().is_not_null()];
    all.extend(conditions);
    vec![
        cost.parts,
        vec![expr::all(all).alias(OUT), cost.value.alias(COST)],
    ]
}

/// The stages of a bill that has no fast path in this file (a column the expressions need is
/// missing): every row goes to the row parser.
pub fn no_fast_path() -> Vec<Vec<Expr>> {
    vec![vec![lit(false).alias(OUT), lit(0i64).alias(COST)]]
}

/// Whether a text cell surely does not match `pattern` (a regex, matched without regard to
/// case): a null cell never matches. Case-insensitive regex matching folds more than ASCII
/// lower-casing does, so a cell the parser's `to_ascii_lowercase` comparison would not match
/// may still be sent to the parser here, never the other way round.
pub fn surely_not(t: Expr, pattern: &str) -> Expr {
    t.clone().is_null().or(t
        .str()
        .contains(lit(format!("(?i:{pattern})")), true)
        .not()
        .fill_null(lit(true)))
}

/// A regex alternation of literal words: `(?:word one|word two)`.
pub fn any_of(words: &[&str]) -> String {
    let escaped: Vec<String> = words
        .iter()
        .map(|w| {
            w.chars()
                .flat_map(|c| {
                    let escape = c.is_ascii_punctuation().then_some('\\');
                    escape.into_iter().chain(std::iter::once(c))
                })
                .collect()
        })
        .collect();
    format!("(?:{})", escaped.join("|"))
}

/// How a file is cut: tests use tiny chunks so every record boundary is exercised.
#[derive(Clone, Copy)]
pub struct BillChunking {
    pub chunk_bytes: usize,
}

impl Default for BillChunking {
    fn default() -> Self {
        BillChunking {
            chunk_bytes: CHUNK_BYTES,
        }
    }
}

/// Reads a CSV bill in chunks. Ledger lines, rejects and counts reach the caller only once the
/// whole file is read, so on an error (an unbalanced quote that the chunk reader cannot cut)
/// the caller can read the file another way, with nothing counted twice.
#[allow(clippy::too_many_arguments)]
pub fn ingest_csv(
    format: &dyn Format,
    scope: &dyn BillScope,
    path: &Path,
    header: &[String],
    rel: &str,
    sizes: BillChunking,
    record: &mut InputRecord,
    rejects: &mut Vec<Reject>,
    sink: &mut dyn FnMut(LedgerRow),
) -> Result<()> {
    let lower: Vec<String> = header
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .filter(|h| format.wants_column(h))
        .collect();
    let has = |c: &str| lower.iter().any(|h| h == c);
    let reader = ChunkReader::present(header, &|c| format.wants_column(c))?;
    let date = scope.date_column(&has).filter(|c| has(c));
    let mut texts: Vec<&str> = scope
        .text_columns()
        .iter()
        .copied()
        .filter(|c| has(c))
        .collect();
    if let Some(d) = date.filter(|d| !texts.contains(d)) {
        texts.push(d);
    }
    let stages = scope.scope_stages(&has);
    let chunks = CsvChunks::with_sizes(
        path,
        sizes.chunk_bytes,
        MAX_CHUNK_BYTES.max(8 * sizes.chunk_bytes),
    )?;

    let mut local = record.clone();
    let mut local_rejects = Vec::new();
    let mut lines = Vec::new();
    let mut offset: IdxSize = 0;
    for_each_chunk(chunks, |chunk| {
        reject_ragged(&chunk.ragged, &mut local, &mut local_rejects);
        let raw = reader
            .parse(chunk.bytes)
            .with_context(|| format!("could not read `{rel}` as CSV"))?;
        let height = raw.height() as IdxSize;
        let mut lf = reader.select(raw.lazy(), offset);
        offset += height;
        lf = lf
            .with_columns(
                texts
                    .iter()
                    .map(|c| expr::trim_column(c))
                    .collect::<Vec<_>>(),
            )
            .with_columns(
                texts
                    .iter()
                    .map(|c| expr::text_column(c))
                    .collect::<Vec<_>>(),
            );
        for stage in &stages {
            lf = lf.with_columns(stage.clone());
        }
        let df = in_file(collect_streaming(lf), rel, "could not read the lines of")?;
        let sure = df.column(OUT)?.bool()?.clone();

        // Whole units and the nano remainder are summed apart, so no chunk sum overflows;
        // per distinct start date, which is parsed once in Rust as the row parser would.
        let billion = lit(1_000_000_000i64);
        let day_text = match date {
            Some(d) => expr::text(d),
            None => lit(NULL).cast(DataType::String),
        };
        let counted = df
            .clone()
            .lazy()
            .filter(col(OUT))
            .group_by([day_text.alias("__date")])
            .agg([
                len().cast(DataType::UInt64).alias("rows"),
                col(COST).floor_div(billion.clone()).sum().alias("units"),
                (col(COST) - col(COST).floor_div(billion.clone()) * billion)
                    .sum()
                    .alias("nanos"),
            ])
            .collect();
        let counted = in_file(counted, rel, "could not sum the out-of-scope lines of")?;
        let dates = counted.column("__date")?.str()?;
        let rows = counted.column("rows")?.u64()?;
        let units = counted.column("units")?.i64()?;
        let nanos = counted.column("nanos")?.i64()?;
        for i in 0..counted.height() {
            let n = rows.get(i).unwrap_or(0);
            let cost = units.get(i).unwrap_or(0) as i128 * 1_000_000_000
                + nanos.get(i).unwrap_or(0) as i128;
            let start = dates.get(i).and_then(super::parse_timestamp_ms);
            local.rows += n;
            local.count_out_of_scope(n, cost, start);
        }

        // The other rows, under their own columns, to the row parser in file order.
        let mut keep: Vec<Expr> = vec![col("__idx")];
        keep.extend(lower.iter().map(|c| col(c.as_str())));
        let rest = df.filter(&!&sure)?.lazy().select(keep).collect();
        let rest = in_file(rest, rel, "could not read the lines of")?;
        let idx: Vec<u32> = rest
            .column("__idx")?
            .u32()?
            .iter()
            .map(|i| i.unwrap_or(0) + 2)
            .collect();
        let table = StrTable::from_frame_with_lines(rest.drop("__idx")?, idx)?;
        parse_rows(
            format,
            &table,
            rel,
            false,
            &mut local,
            &mut local_rejects,
            &mut |r| lines.push(r),
        );
        Ok(())
    })?;
    *record = local;
    rejects.extend(local_rejects);
    lines.into_iter().for_each(sink);
    Ok(())
}

#[cfg(test)]
mod tests {
    //! The chunked bill reading against the row parser on random bills of every format with a
    //! scope (CUR 2.0, Azure cost export, GCP cost table, FOCUS): the same counts, out-of-scope
    //! cost, ledger lines and rejects.
    use super::super::aws_cur::AwsCur2Csv;
    use super::super::azure_cost::AzureCostCsv;
    use super::super::focus::FocusCsv;
    use super::super::gcp_billing::GcpBillingCsv;
    use super::super::InputStatus;
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::TestCaseError;

    const CUR2: &str = "identity_line_item_id,bill_payer_account_id,line_item_usage_account_id,line_item_line_item_type,line_item_usage_start_date,line_item_usage_end_date,line_item_product_code,line_item_usage_type,line_item_operation,line_item_resource_id,line_item_usage_amount,pricing_unit,line_item_currency_code,line_item_unblended_cost,line_item_iam_principal,product,resource_tags";
    const AZURE: &str = "InvoiceSectionName,AccountName,SubscriptionId,SubscriptionName,ResourceGroup,ResourceLocation,Date,ProductName,MeterCategory,MeterSubCategory,MeterId,MeterName,MeterRegion,UnitOfMeasure,Quantity,EffectivePrice,CostInBillingCurrency,ConsumedService,ResourceId,Tags,ChargeType,PricingModel,BillingAccountId,BillingCurrencyCode";
    const GCP: &str = "Billing account name,Billing account ID,Project name,Project ID,Service description,Service ID,SKU description,SKU ID,Credit type,Cost type,Usage start date,Usage end date,Usage amount,Usage unit,Unrounded Cost ($),Cost ($)";
    const FOCUS: &str = "BilledCost,EffectiveCost,ListCost,BillingAccountId,BillingCurrency,ChargeCategory,ChargePeriodStart,ChargePeriodEnd,PricingQuantity,PricingUnit,ProviderName,ServiceCategory,ServiceName,SkuMeter,ConsumedQuantity,ConsumedUnit,SubAccountId,RegionId,Tags";

    /// Amounts in every form a bill has: plain, negative, rounding at the tenth decimal,
    /// exponent, currency formatting, blank, garbage, a billion and more.
    const COSTS: [&str; 14] = [
        "0.123",
        "-1.5",
        "12",
        "0.00000000149",
        "0.0000000015",
        "-0.0000000015",
        "1.2E-5",
        "\"$1,234.50\"",
        "",
        "abc",
        "1234567890.5",
        "0.1234567891234567891",
        "999999999.9999999995",
        "007.25",
    ];

    fn pick<'a>(options: &[&'a str], i: usize) -> &'a str {
        options[i % options.len()]
    }

    /// One random line of `format`; some are AI lines, some use forms only the row parser
    /// reads, and `form == 0` has an unreadable date.
    fn line(format: &str, i: usize, r: &(usize, usize, usize, u8)) -> String {
        let (a, b, cost, form) = *r;
        let cost = pick(&COSTS, cost);
        match format {
            "aws_cur2_csv" => {
                let code = pick(
                    &[
                        "AmazonEC2",
                        "AmazonBedrock",
                        "AmazonS3",
                        "amazonbedrockfoundationmodels",
                        "",
                        " AmazonEC2 ",
                    ],
                    a,
                );
                let name = pick(
                    &[
                        r#""{""product_name"": ""Amazon Elastic Compute Cloud""}""#,
                        r#""{""product_name"": ""Claude Sonnet 4.5 (Amazon Bedrock Edition)""}""#,
                        r#""{""product_name"": ""Amazon\u0020Bedrock""}""#,
                        "",
                        "{}",
                    ],
                    b,
                );
                let start = if form == 0 {
                    "yesterday"
                } else {
                    "2026-10-04T00:00:00Z"
                };
                let tags = if form == 1 {
                    "\"{\"\"user_team\"\": \"\"a\nb\"\"}\""
                } else {
                    "{}"
                };
                format!("c{i},111122223333,444455556666,Usage,{start},2026-10-05T00:00:00Z,{code},USE1-Claude3Haiku-input-tokens,InvokeModel,,12.0,1K tokens,USD,{cost},arn:aws:iam::1:role/x,{name},{tags}")
            }
            "azure_cost_csv" => {
                let category = pick(
                    &[
                        "Foundry Models",
                        "Virtual Machines",
                        "Storage",
                        "azure openai",
                        "Cognitive Services",
                        "",
                        "AZURE OPENAI",
                        "Azure OpenAI Service",
                    ],
                    a,
                );
                let sub = pick(
                    &[
                        "Azure OpenAI",
                        "",
                        "Premium SSD Managed Disks",
                        "openai gpt",
                        "D2 v3",
                    ],
                    b,
                );
                let date = if form == 0 {
                    "15/15/2026"
                } else {
                    "10/15/2026"
                };
                let tags = if form == 1 {
                    "\"\"\"team\"\": \"\"a\nb\"\"\""
                } else {
                    "\"\"\"team\"\": \"\"search\"\"\""
                };
                format!("Sec,Acct,sub-1,Prod Sub,rg-ai,eastus,{date},Azure OpenAI,{category},{sub},m-{i},gpt 4o 1120 cached Inp glbl Tokens,East US,1K,5400,0.00125,{cost},Microsoft.CognitiveServices,/subscriptions/sub-1/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/oai-prod,{tags},Usage,OnDemand,ba-1,USD")
            }
            "gcp_billing_csv" => {
                let service = pick(
                    &[
                        "Vertex AI",
                        "Compute Engine",
                        "BigQuery",
                        "gemini api",
                        "",
                        "Generative Language API",
                        "Vertex AI Search",
                    ],
                    a,
                );
                let unrounded = if b % 3 == 0 { "" } else { cost };
                let rounded = pick(&COSTS, b);
                let start = if form == 0 { "never" } else { "2026-10-12" };
                format!("Northwind,0123AB,ML Prod,ml-prod,{service},C7E2,Gemini 2.5 Flash GA Text Output - Predictions,S{i},,regular,{start},2026-10-13,200000,count,{unrounded},{rounded}")
            }
            _ => {
                let category = pick(
                    &[
                        "AI and Machine Learning",
                        "Compute",
                        "Storage",
                        "ai and machine learning",
                        "",
                    ],
                    a,
                );
                let service = pick(
                    &[
                        "Vertex AI",
                        "Amazon EC2",
                        "OpenAI GPT",
                        "openai",
                        "Claude Code",
                        "Bedrockx",
                        "",
                        "Azure OpenAI",
                    ],
                    b,
                );
                let start = if form == 0 {
                    "soon"
                } else {
                    "2026-10-03T00:00:00Z"
                };
                format!("{cost},9.50,10.00,0123AB,USD,Usage,{start},2026-10-04T00:00:00Z,33.333,1M tokens,Google Cloud,{category},{service},Gemini 2.5 Flash GA Text Input - Predictions,33333000,count,ml-prod,us-central1,\"{{\"\"team\"\":\"\"search\"\"}}\"")
            }
        }
    }

    fn record(format: &str) -> InputRecord {
        InputRecord {
            format: Some(format.into()),
            status: InputStatus::Ingested,
            ..InputRecord::new("bill.csv")
        }
    }

    /// Reads `text` both ways and compares everything the reading books.
    fn check(
        f: &dyn Format,
        scope: &dyn BillScope,
        text: &str,
        chunk_bytes: usize,
    ) -> Result<(), TestCaseError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bill.csv");
        std::fs::write(&path, text).unwrap();
        // The reference: the row parser over the whole file, as the scan path reads it.
        let (header, table) = StrTable::scan_csv_text(&path, text, &|c| f.wants_column(c));
        let (mut want, mut want_rejects, mut want_lines) = (record(f.id()), Vec::new(), Vec::new());
        parse_rows(
            f,
            &table,
            "bill.csv",
            false,
            &mut want,
            &mut want_rejects,
            &mut |r| want_lines.push(format!("{r:?}")),
        );

        let (mut got, mut rejects, mut lines) = (record(f.id()), Vec::new(), Vec::new());
        ingest_csv(
            f,
            scope,
            &path,
            &header,
            "bill.csv",
            BillChunking { chunk_bytes },
            &mut got,
            &mut rejects,
            &mut |r| lines.push(format!("{r:?}")),
        )
        .unwrap();
        prop_assert_eq!(got.rows, want.rows);
        prop_assert_eq!(got.out_of_scope_rows, want.out_of_scope_rows);
        prop_assert_eq!(got.out_of_scope_cost_nano, want.out_of_scope_cost_nano);
        prop_assert_eq!(&got.out_of_scope_days, &want.out_of_scope_days);
        prop_assert_eq!(got.rejected_rows, want.rejected_rows);
        prop_assert_eq!(&rejects, &want_rejects);
        prop_assert_eq!(lines, want_lines);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn chunked_bill_equals_the_row_by_row_reading(
            which in 0usize..4,
            rows in proptest::collection::vec((0usize..8, 0usize..8, 0usize..14, 0u8..12), 1..150),
            blank_every in 3usize..40,
            chunk_bytes in 1_000usize..12_000,
        ) {
            let (f, scope, header): (&dyn Format, &dyn BillScope, &str) = match which {
                0 => (&AwsCur2Csv, &AwsCur2Csv, CUR2),
                1 => (&AzureCostCsv, &AzureCostCsv, AZURE),
                2 => (&GcpBillingCsv, &GcpBillingCsv, GCP),
                _ => (&FocusCsv, &FocusCsv, FOCUS),
            };
            let mut text = format!("{header}\n");
            for (i, r) in rows.iter().enumerate() {
                text.push_str(&line(f.id(), i, r));
                text.push('\n');
                if i % blank_every == 0 {
                    text.push('\n');
                }
            }
            check(f, scope, &text, chunk_bytes)?;
        }
    }

    /// Most of a bill never reaches the row parser: plain non-AI lines are summed in polars.
    #[test]
    fn plain_non_ai_lines_are_counted_without_the_row_parser() {
        // A format whose row parser fails every row it is asked about.
        struct Refuses(&'static dyn Format);
        impl Format for Refuses {
            fn id(&self) -> &'static str {
                self.0.id()
            }
            fn role(&self) -> crate::ledger::RecordRole {
                crate::ledger::RecordRole::Billed
            }
            fn columns(&self) -> &'static [&'static str] {
                self.0.columns()
            }
        }
        /// A format, its scope, its header and a non-AI line's choices.
        type Case = (
            &'static dyn Format,
            &'static dyn BillScope,
            &'static str,
            (usize, usize),
        );
        let cases: [Case; 4] = [
            (&AwsCur2Csv, &AwsCur2Csv, CUR2, (0, 0)),
            (&AzureCostCsv, &AzureCostCsv, AZURE, (1, 2)),
            (&GcpBillingCsv, &GcpBillingCsv, GCP, (1, 1)),
            (&FocusCsv, &FocusCsv, FOCUS, (1, 1)),
        ];
        for (f, scope, header, (a, b)) in cases {
            let mut text = format!("{header}\n");
            for i in 0..50 {
                text.push_str(&line(f.id(), i, &(a, b, 0, 5)));
                text.push('\n');
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("bill.csv");
            std::fs::write(&path, &text).unwrap();
            let header: Vec<String> = header.split(',').map(String::from).collect();
            let (mut rec, mut rejects) = (record(f.id()), Vec::new());
            ingest_csv(
                &Refuses(f),
                scope,
                &path,
                &header,
                "bill.csv",
                BillChunking { chunk_bytes: 2_000 },
                &mut rec,
                &mut rejects,
                &mut |_| {},
            )
            .unwrap();
            assert_eq!(rejects, Vec::new(), "{}", f.id());
            assert_eq!((rec.rows, rec.out_of_scope_rows), (50, 50), "{}", f.id());
            assert_eq!(rec.out_of_scope_cost_nano, 50 * 123_000_000, "{}", f.id());
        }
    }

    #[test]
    fn word_lists_become_literal_alternations() {
        assert_eq!(any_of(&["azure openai", "a.b"]), r"(?:azure openai|a\.b)");
    }
}
