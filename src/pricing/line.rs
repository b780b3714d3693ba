//! Pricing one ledger line end to end: a seat at its contract or list price, a token line at
//! the catalog's price in force, then the customer overlay (FX into the catalog currency, and
//! the contracted cost after the discount in force).
//!
//! Lines read back from an earlier `ledger.parquet` keep the prices they were written with.

use super::overlay::Overlay;
use super::{Catalog, Pricer};
use crate::ledger::{ChargeCategory, ChargeKind, LedgerRow};
use std::collections::BTreeMap;

/// Prices lines one by one; name resolution and SKU prices are cached by [`Pricer`].
pub struct LinePricer<'c> {
    pricer: Pricer<'c>,
    catalog: &'c Catalog,
    seat_prices: &'c BTreeMap<String, i64>,
    overlay: Option<&'c Overlay>,
    /// (currency, rate) → lines converted at that rate.
    fx_used: BTreeMap<(String, String), u64>,
}

impl<'c> LinePricer<'c> {
    pub fn new(
        catalog: &'c Catalog,
        seat_prices: &'c BTreeMap<String, i64>,
        overlay: Option<&'c Overlay>,
    ) -> Self {
        LinePricer {
            pricer: Pricer::new(catalog),
            catalog,
            seat_prices,
            overlay,
            fx_used: BTreeMap::new(),
        }
    }

    /// Fills the line's catalog model, list, contracted cost, price reference or unpriced
    /// reason, and converts foreign-currency money with the overlay's FX rate.
    pub fn price(&mut self, row: &mut LedgerRow) {
        if row.priced {
            return;
        }
        if row.charge_category != ChargeCategory::Usage {
            // A purchase, tax, credit or adjustment has no list price to compare with: its
            // money is kept (and converted below) but not priced.
        } else if row.charge_kind == ChargeKind::Seat {
            price_seat(row, self.seat_prices, self.catalog);
        } else {
            self.pricer.price(row);
        }
        apply_overlay(row, self.overlay, &self.catalog.currency, &mut self.fx_used);
        if row.charge_kind == ChargeKind::Expense && row.charge_category == ChargeCategory::Purchase
        {
            // A retail purchase on a card is at the price paid: its list and contracted cost
            // are the money itself (in the catalog currency once converted), one purchase.
            row.list_cost_nano = row.billed_cost_nano;
            row.contracted_cost_nano = row.billed_cost_nano;
            row.price_ref = row.model_raw.as_ref().map(|p| format!("card/{p}"));
        }
    }

    /// The FX rates applied, as the report lists them: `EUR at 1.08 USD: 12 rows`.
    pub fn fx_applied(&self) -> Vec<String> {
        self.fx_used
            .iter()
            .map(|((currency, rate), rows)| format!("{currency} at {rate} USD: {rows} rows"))
            .collect()
    }
}

/// The SKU id inside a `price_ref` (`release/model@platform:region/period[/long-context]`).
fn sku_of_price_ref(price_ref: &str) -> Option<&str> {
    let rest = price_ref.split_once('/')?.1;
    let rest = rest.strip_suffix("/long-context").unwrap_or(rest);
    let (sku, _period) = rest.rsplit_once('/')?;
    sku.contains('@').then_some(sku)
}

/// Converts a non-USD line's money with the overlay's FX rate in force on its day, and sets
/// its contracted cost: list less the overlay's most specific discount (list without one).
fn apply_overlay(
    row: &mut LedgerRow,
    overlay: Option<&Overlay>,
    currency: &str,
    fx_used: &mut BTreeMap<(String, String), u64>,
) {
    let Some(overlay) = overlay else {
        row.contracted_cost_nano = row.list_cost_nano;
        return;
    };
    let day = crate::util::day_of(row.period_start_ms);
    if !row.currency.eq_ignore_ascii_case(currency) {
        if let Some(rate) = day.and_then(|d| overlay.usd_per_unit(&row.currency, d)) {
            let convert = |v: &mut Option<i64>| {
                if let Some(n) = v {
                    *n = crate::money::decimal_to_nanos(
                        rust_decimal::Decimal::from(*n) * rate
                            / rust_decimal::Decimal::from(1_000_000_000),
                    )
                    .unwrap_or(*n);
                }
            };
            convert(&mut row.billed_cost_nano);
            convert(&mut row.source_reported_cost_nano);
            convert(&mut row.effective_cost_nano);
            *fx_used
                .entry((
                    row.currency.to_ascii_uppercase(),
                    rate.normalize().to_string(),
                ))
                .or_default() += 1;
            row.currency = currency.to_string();
        }
    }
    row.contracted_cost_nano = match (row.list_cost_nano, day) {
        (Some(list), Some(day)) => {
            let sku = row.price_ref.as_deref().and_then(sku_of_price_ref);
            match overlay.discount_for(row.provider, row.model_id.as_deref(), sku, day) {
                Some((pct, _)) => Some(super::overlay::contracted_nanos(list, pct)),
                None => Some(list),
            }
        }
        (list, _) => list,
    };
}

/// Prices a seat line: the config's `[seats]` price (the contract) wins, else the catalog's
/// month-to-month list price for the plan; a plan with neither stays unpriced.
fn price_seat(row: &mut LedgerRow, seat_prices: &BTreeMap<String, i64>, catalog: &Catalog) {
    let plan = row.model_raw.clone().unwrap_or_default();
    let contract = seat_prices
        .get(&plan)
        .map(|price| (*price, format!("config/seats/{plan}")));
    let listed = || {
        let day = crate::util::day_of(row.period_start_ms)?;
        let p = catalog.seat_plan(&plan)?.price_on(day)?;
        let nanos = crate::money::decimal_to_nanos(p.monthly?).unwrap_or(i64::MAX);
        Some((nanos, format!("{}/seat/{plan}/{}", catalog.release, p.id)))
    };
    match contract.or_else(listed) {
        Some((price, price_ref)) => {
            row.list_cost_nano = Some((price as f64 * row.quantity).round() as i64);
            row.price_ref = Some(price_ref);
        }
        None => {
            row.unpriced_reason = Some(format!(
                "no seat price for plan `{plan}`; add `{plan} = \"<price per seat-month>\"` under `[seats]` in the config"
            ))
        }
    }
}
