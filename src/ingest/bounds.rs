//! The exact-sum bound: money is summed as `i64` nano-units (in the ledger frame, the typed
//! queries and the report), which holds ±9.2 billion currency units. Rather than let a sum
//! wrap, every line's amounts are added up in `i128` as they arrive; a line that would take a
//! money column's total of absolute values past `i64::MAX` is rejected with its file and line.
//! Below that bound no sum of any subset of lines can overflow, so the later sums need no
//! checks of their own. Dates get a plausibility bound the same way ([`PlausibleDates`]), and
//! text fields a length cap ([`FieldCap`]).

use super::{InputRecord, Reject};
use crate::ledger::LedgerRow;
use std::collections::BTreeMap;

/// Running totals of absolute amounts, one per money column of the ledger.
#[derive(Default)]
pub struct SumBound {
    totals: [i128; 5],
    rejected: RejectedLines,
}

impl SumBound {
    /// Whether `row` fits under the bound; a row that does not is recorded as rejected.
    pub fn admits(&mut self, row: &LedgerRow) -> bool {
        let amounts = [
            row.billed_cost_nano,
            row.list_cost_nano,
            row.contracted_cost_nano,
            row.source_reported_cost_nano,
            row.effective_cost_nano,
        ];
        let mut next = self.totals;
        for (t, a) in next.iter_mut().zip(amounts) {
            *t += a.map_or(0, |v| i128::from(v).abs());
        }
        if next.iter().all(|t| *t <= i128::from(i64::MAX)) {
            self.totals = next;
            return true;
        }
        self.rejected.reject(
            row,
            format!(
                "this line takes the month's amounts past {} currency units, more than this \
                 tool adds exactly; audit the files in smaller groups (for example one \
                 account per run)",
                i64::MAX / crate::money::NANO
            ),
        )
    }

    /// Moves the rejected lines from their files' ingested rows to their rejected rows.
    pub fn annotate(self, inputs: &mut [InputRecord], rejects: &mut Vec<Reject>) {
        self.rejected.annotate(inputs, rejects);
    }
}

/// Longest name (account, project, key, workload, model, region, resource) a line may carry.
pub const MAX_NAME_CHARS: usize = 4096;
/// Longest tags or identity text (JSON of every tag, or every identifying column).
pub const MAX_TAGS_CHARS: usize = 65_536;

/// Caps on the length of a line's text fields. A 1 MB project name is a broken export (a
/// quote that swallowed lines), and every output would copy it, labels wrapped glyph by
/// glyph: the line is rejected with its file, line and field instead.
#[derive(Default)]
pub struct FieldCap {
    rejected: RejectedLines,
}

impl FieldCap {
    /// Whether every text field of `row` is within its cap; one that is not is rejected.
    pub fn admits(&mut self, row: &LedgerRow) -> bool {
        let fields = [
            ("billing account", &row.billing_account, MAX_NAME_CHARS),
            ("project or workspace", &row.sub_account, MAX_NAME_CHARS),
            ("API key or user", &row.api_key, MAX_NAME_CHARS),
            ("workload", &row.workload, MAX_NAME_CHARS),
            ("model", &row.model_raw, MAX_NAME_CHARS),
            ("region", &row.region, MAX_NAME_CHARS),
            ("resource", &row.resource, MAX_NAME_CHARS),
            ("tags", &row.tags, MAX_TAGS_CHARS),
            ("identifying columns", &row.identity, MAX_TAGS_CHARS),
        ];
        let Some((name, len, cap)) = fields.iter().find_map(|(name, v, cap)| {
            let s = v.as_deref().unwrap_or("");
            // Bytes bound characters from above, so the count runs only on a suspect field.
            if s.len() <= *cap {
                return None;
            }
            let len = s.chars().count();
            (len > *cap).then_some((*name, len, *cap))
        }) else {
            return true;
        };
        self.rejected.reject(
            row,
            format!(
                "its {name} is {len} characters long, over the {cap} this tool keeps; check the \
                 export at this line (a broken quote can run many lines into one field)"
            ),
        )
    }

    /// Moves the rejected lines from their files' ingested rows to their rejected rows.
    pub fn annotate(self, inputs: &mut [InputRecord], rejects: &mut Vec<Reject>) {
        self.rejected.annotate(inputs, rejects);
    }
}

/// Plausible charge dates: from 2015 (before any of the AI services this tool reads billed
/// anything) to a year after the newest input file was saved. A row outside is a broken date
/// (`9999-12-31`, a Unix time in the wrong unit), and one such row would otherwise decide
/// the default month and push every real row "outside the period".
pub struct PlausibleDates {
    earliest_ms: i64,
    latest_ms: i64,
    rejected: RejectedLines,
}

/// 2015-01-01T00:00:00Z.
const EARLIEST_MS: i64 = 1_420_070_400_000;
const YEAR_MS: i64 = 366 * 86_400_000;

impl PlausibleDates {
    /// Dates up to a year after `newest_file_ms` (the newest input's modification time).
    pub fn until_a_year_after(newest_file_ms: i64) -> Self {
        PlausibleDates {
            earliest_ms: EARLIEST_MS,
            latest_ms: newest_file_ms.saturating_add(YEAR_MS),
            rejected: RejectedLines::default(),
        }
    }

    /// The newest modification time among `files`, in ms since the epoch (0 if none).
    pub fn newest_modified_ms(files: &[std::path::PathBuf]) -> i64 {
        files
            .iter()
            .filter_map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
            .filter_map(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .max()
            .unwrap_or(0)
    }

    /// Whether `row`'s period starts in the plausible range; one that does not is recorded as
    /// rejected.
    pub fn admits(&mut self, row: &LedgerRow) -> bool {
        // The start only: an open-ended period (a seat assigned "until further notice") may
        // end far ahead.
        let at = row.period_start_ms;
        if (self.earliest_ms..=self.latest_ms).contains(&at) {
            return true;
        }
        let shown = crate::util::day_of(at).map_or_else(|| format!("{at} ms"), |d| d.to_string());
        self.rejected.reject(
            row,
            format!(
                "date `{shown}` is implausible for a charge (before 2015, or more than a year \
                 after the newest input file was saved); fix the date, or check the column's \
                 unit (seconds, milliseconds)"
            ),
        )
    }

    /// Moves the rejected lines from their files' ingested rows to their rejected rows.
    pub fn annotate(self, inputs: &mut [InputRecord], rejects: &mut Vec<Reject>) {
        self.rejected.annotate(inputs, rejects);
    }
}

/// Lines a bound rejected after their file's reader counted them as ingested.
#[derive(Default)]
struct RejectedLines {
    /// File → lines rejected.
    dropped: BTreeMap<String, u64>,
    rejects: Vec<Reject>,
}

impl RejectedLines {
    /// Records `row` as rejected for `reason`; always `false`, the caller's verdict.
    fn reject(&mut self, row: &LedgerRow, reason: String) -> bool {
        *self.dropped.entry(row.source_file.clone()).or_insert(0) += u64::from(row.source_rows);
        self.rejects.push(Reject {
            file: row.source_file.clone(),
            line: row.source_line,
            column: None,
            reason,
        });
        false
    }

    /// Moves the rejected lines from their files' ingested rows to their rejected rows.
    fn annotate(self, inputs: &mut [InputRecord], rejects: &mut Vec<Reject>) {
        for input in inputs {
            if let Some(n) = self.dropped.get(&input.path) {
                input.rows = input.rows.saturating_sub(*n);
                input.rejected_rows += n;
            }
        }
        rejects.extend(self.rejects);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::{ChargeKind, RecordRole};

    fn billed(file: &str, nanos: i64) -> LedgerRow {
        let mut r = LedgerRow::new(
            "openai",
            RecordRole::Billed,
            ChargeKind::Other,
            0,
            1,
            file,
            7,
        );
        r.billed_cost_nano = Some(nanos);
        r
    }

    #[test]
    fn a_line_that_would_overflow_the_sum_is_rejected_with_its_file_and_line() {
        let five_billion = 5_000_000_000 * crate::money::NANO;
        let mut b = SumBound::default();
        assert!(b.admits(&billed("a.csv", five_billion)));
        assert!(!b.admits(&billed("b.csv", five_billion)));
        // Negative amounts count by their size: +5e9 and -5e9 would each fit, not both.
        assert!(!b.admits(&billed("b.csv", -five_billion)));
        assert!(b.admits(&billed("b.csv", 1)));
        let mut inputs = vec![InputRecord::new("a.csv"), InputRecord::new("b.csv")];
        inputs[1].rows = 3;
        let mut rejects = Vec::new();
        b.annotate(&mut inputs, &mut rejects);
        assert_eq!((inputs[1].rows, inputs[1].rejected_rows), (1, 2));
        assert_eq!(rejects.len(), 2);
        assert_eq!((rejects[0].file.as_str(), rejects[0].line), ("b.csv", 7));
    }

    #[test]
    fn dates_before_2015_or_a_year_past_the_newest_file_are_rejected() {
        let saved = 1_793_404_800_000; // 2026-10-31
        let mut d = PlausibleDates::until_a_year_after(saved);
        let at = |start: i64| {
            let mut r = billed("a.csv", 1);
            (r.period_start_ms, r.period_end_ms) = (start, start + 86_400_000);
            r
        };
        assert!(d.admits(&at(saved)));
        assert!(d.admits(&at(EARLIEST_MS)));
        assert!(!d.admits(&at(0)));
        assert!(!d.admits(&at(253_402_214_400_000))); // 9999-12-31
        assert!(!d.admits(&at(saved + 400 * 86_400_000)));
        let mut inputs = vec![InputRecord::new("a.csv")];
        inputs[0].rows = 4;
        let mut rejects = Vec::new();
        d.annotate(&mut inputs, &mut rejects);
        assert_eq!((inputs[0].rows, inputs[0].rejected_rows), (1, 3));
        assert!(
            rejects[1].reason.contains("`9999-12-31`"),
            "{}",
            rejects[1].reason
        );
    }

    #[test]
    fn an_over_long_field_rejects_its_line_with_the_field_named() {
        let mut cap = FieldCap::default();
        let mut ok = billed("a.csv", 1);
        // 4096 two-byte characters: over the cap in bytes, within it in characters.
        ok.sub_account = Some("é".repeat(MAX_NAME_CHARS));
        ok.tags = Some("x".repeat(MAX_TAGS_CHARS));
        assert!(cap.admits(&ok));
        let mut long = billed("a.csv", 1);
        long.sub_account = Some("p".repeat(MAX_NAME_CHARS + 1));
        assert!(!cap.admits(&long));
        let mut long_tags = billed("a.csv", 1);
        long_tags.tags = Some("t".repeat(MAX_TAGS_CHARS + 1));
        assert!(!cap.admits(&long_tags));
        let mut inputs = vec![InputRecord::new("a.csv")];
        inputs[0].rows = 3;
        let mut rejects = Vec::new();
        cap.annotate(&mut inputs, &mut rejects);
        assert_eq!((inputs[0].rows, inputs[0].rejected_rows), (1, 2));
        assert_eq!((rejects[0].file.as_str(), rejects[0].line), ("a.csv", 7));
        assert!(rejects[0]
            .reason
            .contains("project or workspace is 4097 characters"));
        assert!(rejects[1].reason.contains("tags"), "{}", rejects[1].reason);
    }
}
