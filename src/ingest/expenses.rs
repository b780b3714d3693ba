//! Corporate-card and expense-report exports: Ramp, Brex, Amex, Expensify and any other layout
//! whose header uses the usual names (or whose names the config maps).
//!
//! Columns are found by role, each role by a list of header synonyms (lower-case, first present
//! wins, so a layout with both `transaction date` and `posted date` is read by the first):
//!
//! | role | synonyms |
//! |---|---|
//! | date | `transaction date`, `swipe date (utc)`, `transaction_time`, `date`, `timestamp`, `expense date`, `purchase date`, `posted date`, `clearing date` |
//! | merchant | `merchant name`, `merchant`, `payee`, `vendor`, `merchant_name`, plus the descriptor columns `merchant description`, `statement descriptor`, `appears on your statement as`, `description`, `extended details` (all are matched) |
//! | amount | `amount`, `transaction amount`, `billing amount`, `amount (usd)`, `total amount`, `total`; or `debit` / `credit` columns |
//! | type | `type`, `transaction type`: `Sale`/`Purchase`/`Debit`/`Charge` is spend, `Return`/`Refund`/`Credit`/`Reversal` money back, whatever the sign |
//! | currency | `currency`, `currency code`, `billing currency` (absent: USD) |
//! | person | `email`, `user email`, `employee email`, `cardholder email`, `owner email`, `submitter email`, `user`, `cardholder`, `cardholder name`, `card member`, `employee`, `employee name`, `spender`, `submitter`, `submitted by`, `report owner`, `person` |
//! | category | `category`, `ramp category`, `brex category`, `expense category`, `merchant category` |
//! | memo | `memo`, `comment`, `notes`, `note`, `purpose` |
//! | id | `id`, `external id`, `transaction id`, `reference` |
//!
//! The config's `[expenses.columns]` maps another layout's names to these roles (the ingest
//! renames them before detection), and `spend_is_negative` reads a bank-style sign. Amounts may
//! be written `$1,234.50`, `(20.00)` or `20.00 CR` (money back), or `USD 20.00`. Slash dates
//! are read month first (`10/04/26`), as US card exports write them.
//!
//! A row is an AI purchase when `pricing/merchants.toml` recognises its merchant texts; it then
//! becomes one `expense` line (billed, category `purchase`, one purchase at the price paid) for
//! the person. Every other row is out of scope, counted with its amount like a non-AI cloud
//! line. Amounts keep their sign: a refund is a negative line of category `credit`.

use super::{Format, RowError, RowFate, RowView, SourceRef};
use crate::ledger::{ChargeCategory, ChargeFrequency, ChargeKind, LedgerRow, RecordRole};
use crate::pricing::merchants::{Merchants, ProductKind};
use sha2::{Digest, Sha256};

pub struct ExpenseCsv;

/// The column a config mapping renames the amount to when the layout writes spend as negative.
pub const NEGATED_AMOUNT: &str = "amount (negative is spend)";

const DATE: &[&str] = &[
    "transaction date",
    "swipe date (utc)",
    "transaction_time",
    "date",
    "timestamp",
    "expense date",
    "purchase date",
    "posted date",
    "clearing date",
];
const MERCHANT: &[&str] = &[
    "merchant name",
    "merchant",
    "payee",
    "vendor",
    "merchant_name",
    "merchant description",
    "statement descriptor",
    "appears on your statement as",
    "description",
    "extended details",
];
const AMOUNT: &[&str] = &[
    NEGATED_AMOUNT,
    "amount",
    "transaction amount",
    "billing amount",
    "amount (usd)",
    "total amount",
    "total",
];
/// Layouts with a spend column and a money-back column instead of one signed amount (Capital
/// One: `Debit`, `Credit`).
const DEBIT: &[&str] = &["debit", "debit amount"];
const CREDIT: &[&str] = &["credit", "credit amount"];
/// A transaction-type column (Chase: `Sale`, `Return`, `Payment`): it decides the sign where
/// the layout writes spend as negative.
const TYPE: &[&str] = &["type", "transaction type"];
const CURRENCY: &[&str] = &["currency", "currency code", "billing currency"];
const PERSON: &[&str] = &[
    "email",
    "user email",
    "employee email",
    "cardholder email",
    "owner email",
    "submitter email",
    "user",
    "cardholder",
    "cardholder name",
    "card member",
    "employee",
    "employee name",
    "spender",
    "submitter",
    "submitted by",
    "report owner",
    "person",
];
const CATEGORY: &[&str] = &[
    "category",
    "ramp category",
    "brex category",
    "expense category",
    "merchant category",
];
const MEMO: &[&str] = &["memo", "comment", "notes", "note", "purpose"];
const ID: &[&str] = &["id", "external id", "transaction id", "reference"];

/// The roles a config's `[expenses.columns]` may name, each with the column name it becomes.
pub const ROLES: &[(&str, &str)] = &[
    ("date", "date"),
    ("merchant", "merchant"),
    ("amount", "amount"),
    ("currency", "currency"),
    ("person", "person"),
    ("category", "category"),
    ("memo", "memo"),
    ("id", "id"),
];

/// The first synonym of a role the header has.
fn first_in<'a>(header: &[String], synonyms: &[&'a str]) -> Option<&'a str> {
    synonyms
        .iter()
        .find(|s| header.iter().any(|h| h == *s))
        .copied()
}

/// The first synonym of a role this row's table has as a column.
fn column<'a>(row: &RowView, synonyms: &[&'a str]) -> Option<&'a str> {
    synonyms.iter().find(|s| row.table.has_column(s)).copied()
}

/// A card amount as exports write it: `20.00`, `$1,234.50`, `(20.00)` and `20.00 CR` (money
/// back), `USD 20.00` (with the currency code it names).
fn card_money(raw: &str) -> Option<(i64, Option<String>)> {
    let mut s = raw.trim().to_string();
    let mut negative = false;
    if let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        (s, negative) = (inner.trim().to_string(), true);
    }
    let upper = s.to_ascii_uppercase();
    if let Some(rest) = upper
        .strip_suffix(" CR")
        .or_else(|| upper.strip_suffix("CR"))
    {
        (s, negative) = (rest.trim().to_string(), !negative);
    }
    // A currency code written beside the number (`USD 20.00`, `20.00 EUR`).
    let words: Vec<String> = s.split_whitespace().map(str::to_string).collect();
    let mut currency = None;
    if words.len() == 2 {
        let code = |w: &str| w.len() == 3 && w.bytes().all(|b| b.is_ascii_alphabetic());
        let (number, named) = match (code(&words[0]), code(&words[1])) {
            (true, false) => (&words[1], &words[0]),
            (false, true) => (&words[0], &words[1]),
            _ => return None,
        };
        currency = Some(named.to_ascii_uppercase());
        s = number.clone();
    }
    let s = s.replace("$-", "-$");
    let n = crate::money::parse_nanos(&s)?;
    Some((if negative { n.checked_neg()? } else { n }, currency))
}

/// The row's money with spend positive and money back negative: one signed amount column, or a
/// debit and a credit column; a transaction type (`Sale`, `Return`) wins over the sign, and a
/// layout mapped as negative-is-spend is turned around. Also the currency code the amount
/// itself names, if it does.
fn signed_amount(row: &RowView) -> Result<(i64, Option<String>), RowError> {
    let mut named = None;
    let mut read = |col: &str| -> Result<Option<i64>, RowError> {
        match row.get(col) {
            None => Ok(None),
            Some(v) => card_money(v)
                .map(|(n, code)| {
                    named = named.take().or(code);
                    Some(n)
                })
                .ok_or_else(|| {
                    RowError::new(
                        Some(col),
                        format!("`{v}` in column `{col}` is not an amount; write it as `12.34`"),
                    )
                }),
        }
    };
    let amount = match column(row, AMOUNT) {
        Some(col) => {
            let v = read(col)?.ok_or_else(|| {
                RowError::new(Some(col), format!("missing value in column `{col}`"))
            })?;
            if col == NEGATED_AMOUNT {
                v.checked_neg()
                    .ok_or_else(|| RowError::new(Some(col), "the amount is out of range"))?
            } else {
                v
            }
        }
        None => {
            let debit = column(row, DEBIT).map(&mut read).transpose()?.flatten();
            let credit = column(row, CREDIT).map(&mut read).transpose()?.flatten();
            if debit.is_none() && credit.is_none() {
                return Err(RowError::new(
                    column(row, DEBIT),
                    "neither a debit nor a credit amount on this line",
                ));
            }
            debit.unwrap_or(0).abs() - credit.unwrap_or(0).abs()
        }
    };
    let kind = column(row, TYPE)
        .and_then(|c| row.get(c))
        .map(str::to_ascii_lowercase);
    let amount = match kind.as_deref() {
        Some("sale" | "purchase" | "debit" | "charge") => amount.abs(),
        Some("return" | "refund" | "credit" | "reversal") => -amount.abs(),
        _ => amount,
    };
    Ok((amount, named))
}

/// The amount column a header would be read by (for the negative-spend rename).
pub fn amount_column(header: &[String]) -> Option<&'static str> {
    first_in(header, &AMOUNT[1..])
}

impl Format for ExpenseCsv {
    fn id(&self) -> &'static str {
        "card_expense_csv"
    }
    fn role(&self) -> RecordRole {
        RecordRole::Billed
    }
    /// A date, an amount (or a debit column) and a merchant or descriptor: the least a card
    /// line has.
    fn matches_header(&self, lower: &[String]) -> bool {
        first_in(lower, DATE).is_some()
            && (first_in(lower, AMOUNT).is_some() || first_in(lower, DEBIT).is_some())
            && first_in(lower, MERCHANT).is_some()
    }
    fn wants_column(&self, column: &str) -> bool {
        [
            DATE, MERCHANT, AMOUNT, DEBIT, CREDIT, TYPE, CURRENCY, PERSON, CATEGORY, MEMO, ID,
        ]
        .iter()
        .any(|list| list.contains(&column))
    }

    fn parse_row(
        &self,
        row: &RowView,
        src: SourceRef,
        out: &mut Vec<LedgerRow>,
    ) -> Result<RowFate, RowError> {
        let date_col = column(row, DATE).unwrap_or("date");
        let start = row.timestamp(date_col)?;
        let (amount, named_currency) = signed_amount(row)?;
        let texts: Vec<&str> = MERCHANT.iter().filter_map(|c| row.get(c)).collect();
        let currency = column(row, CURRENCY)
            .and_then(|c| row.get(c))
            .map(str::to_ascii_uppercase)
            .or(named_currency)
            .unwrap_or_else(|| "USD".to_string());
        let usd = (currency == "USD")
            .then(|| rust_decimal::Decimal::from_i128_with_scale(amount as i128, 9).normalize());
        let Some(product) = Merchants::embedded().recognise(&texts, usd) else {
            return Ok(RowFate::OutOfScope {
                cost_nano: amount,
                start_ms: Some(start),
            });
        };
        let person = column(row, PERSON).and_then(|c| row.text(c));
        let mut r = LedgerRow::new(
            super::ledger_parquet::intern(&product.vendor),
            RecordRole::Billed,
            ChargeKind::Expense,
            start,
            start + 86_400_000,
            src.file,
            src.line,
        );
        r.billed_cost_nano = Some(amount);
        r.currency = currency;
        if amount < 0 {
            // A refund or a reversal: money back, not a purchase of anything.
            r.charge_category = ChargeCategory::Credit;
            r.charge_frequency = Some(ChargeFrequency::OneTime);
        } else {
            r.quantity = 1.0;
            r.unit = "purchases";
            r.charge_category = ChargeCategory::Purchase;
            r.charge_frequency = Some(match product.kind {
                ProductKind::Subscription => ChargeFrequency::Recurring,
                ProductKind::Api => ChargeFrequency::OneTime,
            });
        }
        r.model_raw = Some(product.id.clone());
        // Two people buying the same plan on the same day are two charges: the identity keeps
        // them apart for the cross-file repeat check, without carrying the person itself.
        let id = column(row, ID).and_then(|c| row.get(c)).unwrap_or("");
        let mut h = Sha256::new();
        h.update(format!("{}\u{1f}{id}", person.as_deref().unwrap_or("")));
        r.identity = Some(format!("card:{:x}", h.finalize())[..21].to_string());
        r.api_key = person;
        let mut tags = serde_json::Map::new();
        for (key, list) in [
            ("merchant", MERCHANT),
            ("category", CATEGORY),
            ("memo", MEMO),
        ] {
            if let Some(v) = column(row, list).and_then(|c| row.text(c)) {
                tags.insert(key.to_string(), serde_json::Value::String(v));
            }
        }
        if !tags.is_empty() {
            r.tags = Some(serde_json::Value::Object(tags).to_string());
        }
        out.push(r);
        Ok(RowFate::Ledger)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_amounts_as_exports_write_them() {
        let c = |s: &str| card_money(s).map(|(n, _)| n / 10_000_000);
        assert_eq!(c("20.00"), Some(2_000));
        assert_eq!(c("$1,234.50"), Some(123_450));
        assert_eq!(c("(20.00)"), Some(-2_000));
        assert_eq!(c("20.00 CR"), Some(-2_000));
        assert_eq!(c("$-20.00"), Some(-2_000));
        assert_eq!(c("USD 20.00"), Some(2_000));
        assert_eq!(c("20.00 EUR"), Some(2_000));
        assert_eq!(c("twenty"), None);
        assert_eq!(c("1,5"), None);
        assert_eq!(card_money("20.00 EUR").unwrap().1.as_deref(), Some("EUR"));
        assert_eq!(c("EUR USD"), None);
    }
}
