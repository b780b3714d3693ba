//! Cross-file de-duplication of billed charges: the same charge exported twice (a cost CSV and
//! an API dump of the same days, or two downloads with overlapping date ranges) is counted once.
//! Identical files are caught earlier, by their hash (`ingest/mod.rs`); this guard catches
//! repeats between files that differ.

use super::InputRecord;
use crate::ledger::{ChargeKind, LedgerRow, RecordRole};
use crate::pricing::merchants::{Merchants, ProductKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The same charge exported twice in different files (a cost CSV and an API dump of the same
/// days, or two downloads with overlapping date ranges) is counted once. A billed row repeats
/// another when provider, project, period, model, charge kind and category, tier,
/// resource, region, currency, amount and the source's identifying columns
/// (`LedgerRow::identity`: SKU, meter, description, service, publisher, resource id) are all
/// equal, and the row has some identifying detail at all; repeats inside one file are real and kept, and a later file's copies
/// are dropped only up to the number the first file had.
#[derive(Default)]
pub struct OverlapGuard {
    /// Charge key → (first file, rows of it in that file).
    first: HashMap<String, (String, u64)>,
    /// (charge key, later file) → rows of it seen there so far.
    later: HashMap<(String, String), u64>,
    /// Later file → (rows dropped, the first file they repeat).
    dropped: BTreeMap<String, (u64, String)>,
}

impl OverlapGuard {
    /// Whether `row` repeats a charge an earlier file already had (and is to be dropped).
    pub fn is_repeat(&mut self, row: &LedgerRow) -> bool {
        if row.role != RecordRole::Billed || row.billed_cost_nano.is_none() {
            return false;
        }
        // Without a model, a resource or the source's own identifying columns, two equal
        // amounts may be two different charges: never take such a row for a repeat.
        if row.model_raw.is_none() && row.resource.is_none() && row.identity.is_none() {
            return false;
        }
        let key = format!(
            "{}\u{1f}{:?}\u{1f}{}\u{1f}{}\u{1f}{:?}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{}\u{1f}{:?}\u{1f}{:?}\u{1f}{:?}",
            row.provider,
            row.sub_account,
            row.period_start_ms,
            row.period_end_ms,
            row.model_raw,
            row.charge_kind.as_str(),
            row.charge_category.as_str(),
            row.service_tier.as_str(),
            row.cache_ttl,
            row.resource,
            row.currency.to_ascii_uppercase(),
            row.billed_cost_nano,
            row.region,
            row.identity,
        );
        match self.first.get_mut(&key) {
            None => {
                self.first.insert(key, (row.source_file.clone(), 1));
                false
            }
            Some((file, n)) if *file == row.source_file => {
                *n += 1;
                false
            }
            Some((file, n)) => {
                let seen = self
                    .later
                    .entry((key, row.source_file.clone()))
                    .or_insert(0);
                *seen += 1;
                if *seen > *n {
                    return false;
                }
                let e = self
                    .dropped
                    .entry(row.source_file.clone())
                    .or_insert((0, file.clone()));
                e.0 += 1;
                true
            }
        }
    }
}

impl OverlapGuard {
    /// Notes, on each later file, how many of its billed rows repeated an earlier file's.
    pub fn annotate(&self, inputs: &mut [InputRecord]) {
        for input in inputs {
            if let Some((rows, first)) = self.dropped.get(&input.path) {
                input.overlapping_rows = *rows;
                let note =
                    format!("{rows} billed rows repeat charges already in `{first}`; counted once");
                input.reason = Some(match input.reason.take() {
                    Some(r) => format!("{r}; {note}"),
                    None => note,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::ChargeKind;

    fn billed(file: &str, identity: Option<&str>, model: Option<&str>) -> LedgerRow {
        let mut r = LedgerRow::new(
            "other",
            RecordRole::Billed,
            ChargeKind::Other,
            0,
            86_400_000,
            file,
            2,
        );
        r.sub_account = Some("acct-1".into());
        r.billed_cost_nano = Some(12_340_000_000);
        r.identity = identity.map(str::to_string);
        r.model_raw = model.map(str::to_string);
        r
    }

    #[test]
    fn the_same_charge_in_a_second_file_is_a_repeat() {
        let mut g = OverlapGuard::default();
        let sku = Some("skuid=A\u{1f}publishername=Anthropic");
        assert!(!g.is_repeat(&billed("a.csv", sku, None)));
        assert!(g.is_repeat(&billed("b.csv", sku, None)));
    }

    #[test]
    fn equal_amounts_with_different_identifying_columns_both_count() {
        let mut g = OverlapGuard::default();
        assert!(!g.is_repeat(&billed("a.csv", Some("skuid=A"), None)));
        assert!(!g.is_repeat(&billed("b.csv", Some("skuid=B"), None)));
        assert!(!g.is_repeat(&billed("b.csv", Some("skuid=A"), Some("m"))));
    }

    #[test]
    fn a_row_with_no_identifying_detail_is_never_a_repeat() {
        let mut g = OverlapGuard::default();
        assert!(!g.is_repeat(&billed("a.csv", None, None)));
        assert!(!g.is_repeat(&billed("b.csv", None, None)));
        // The same row with a model does repeat.
        assert!(!g.is_repeat(&billed("a.csv", None, Some("gpt-4.1"))));
        assert!(g.is_repeat(&billed("b.csv", None, Some("gpt-4.1"))));
    }
}

/// Card charges for a vendor's API credit that pay the company's own bill with that vendor:
/// the vendor's cost export already carries the usage they pay for, so the card line is counted
/// once (dropped and noted). A card API charge is such a payment when the vendor's own billed
/// lines are in the run and either the payer is one the config's `[expenses] bill_payers`
/// lists, or the amount equals, to the cent, the month's billed total of one of the vendor's
/// accounts. Every other card API charge is a top-up on a personal account, and kept.
#[derive(Default)]
pub struct CardPayments {
    held: Vec<(LedgerRow, bool)>,
    /// (provider, billing account) → billed money from the vendor's own exports.
    billed: BTreeMap<(&'static str, Option<String>), i64>,
    /// File → (card lines dropped, vendor).
    dropped: BTreeMap<String, (u64, BTreeSet<&'static str>)>,
}

impl CardPayments {
    /// Whether `row` is a card charge for API credit (held until every file is read).
    pub fn is_card_api_charge(row: &LedgerRow) -> bool {
        row.charge_kind == ChargeKind::Expense
            && row
                .model_raw
                .as_deref()
                .and_then(|p| Merchants::embedded().product(p))
                .is_some_and(|p| p.kind == ProductKind::Api)
    }

    /// Holds a card API charge; `listed_payer`: its payer is in `bill_payers`.
    pub fn hold(&mut self, row: LedgerRow, listed_payer: bool) {
        self.held.push((row, listed_payer));
    }

    /// Notes a line on its way into the ledger: vendors' own billed money, per account.
    pub fn observe(&mut self, row: &LedgerRow) {
        if row.role == RecordRole::Billed && row.charge_kind != ChargeKind::Expense {
            *self
                .billed
                .entry((row.provider, row.billing_account.clone()))
                .or_insert(0) += row.billed_cost_nano.unwrap_or(0);
        }
    }

    /// The held charges that are not payments of a bill already in the run, in file order.
    pub fn release(&mut self) -> Vec<LedgerRow> {
        let mut kept = Vec::new();
        for (row, listed) in std::mem::take(&mut self.held) {
            let vendor_totals: Vec<i64> = self
                .billed
                .iter()
                .filter(|((p, _), _)| *p == row.provider)
                .map(|(_, v)| *v)
                .collect();
            let amount = row.billed_cost_nano.unwrap_or(0);
            let pays_bill = !vendor_totals.is_empty()
                && (listed || vendor_totals.iter().any(|t| *t == amount && amount > 0));
            if pays_bill {
                let e = self.dropped.entry(row.source_file.clone()).or_default();
                e.0 += 1;
                e.1.insert(row.provider);
            } else {
                kept.push(row);
            }
        }
        kept
    }

    /// Notes, on each card file, how many of its lines paid a vendor bill counted elsewhere.
    pub fn annotate(&self, inputs: &mut [InputRecord]) {
        for input in inputs {
            if let Some((rows, vendors)) = self.dropped.get(&input.path) {
                input.overlapping_rows += *rows;
                let names: Vec<&str> = vendors.iter().copied().collect();
                let note = format!(
                    "{rows} card charges pay the company's own `{}` bill, which that vendor's export already carries; counted once",
                    names.join("`, `")
                );
                input.reason = Some(match input.reason.take() {
                    Some(r) => format!("{r}; {note}"),
                    None => note,
                });
            }
        }
    }
}
