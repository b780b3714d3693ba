//! AI merchants on card and expense statements (`pricing/merchants.toml`): which descriptor
//! is which vendor's product, what kind of product it is, and its list price.
//!
//! The table is small and read once; matching runs once per distinct set of merchant texts
//! (cached in the table), so a statement of thousands of lines costs a few hundred matches.

use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The embedded table.
pub const MERCHANTS: &str = include_str!("../../pricing/merchants.toml");

/// What a person buys from an AI vendor on a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// A per-person plan (ChatGPT Plus, Cursor Pro).
    Subscription,
    /// Pay-as-you-go credit or usage on a personal account.
    Api,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub id: String,
    pub vendor: String,
    pub name: String,
    pub kind: ProductKind,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub monthly: Option<Decimal>,
    #[serde(default)]
    pub seat_plans: Vec<String>,
    pub sources: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MerchantEntry {
    patterns: Vec<String>,
    products: Vec<String>,
    /// A vendor-wide pattern (`OPENAI`), tried only when no specific one matches.
    #[serde(default)]
    fallback: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    products: Vec<Product>,
    merchants: Vec<MerchantEntry>,
}

/// The parsed table.
#[derive(Debug)]
pub struct Merchants {
    pub products: Vec<Product>,
    /// (fallback, normalised pattern, candidate product indexes): specific patterns first,
    /// then longest first.
    patterns: Vec<(bool, String, Vec<usize>)>,
    /// The matching pattern (index into `patterns`) of each distinct set of merchant texts
    /// seen: a statement repeats a handful of descriptors thousands of times.
    seen: Mutex<HashMap<Vec<String>, Option<usize>>>,
}

/// Upper case, punctuation as spaces, runs of spaces collapsed: how descriptors are compared
/// (`OPENAI *CHATGPT`, `OpenAI*ChatGPT` and `CLAUDE.AI` read as `OPENAI CHATGPT`, `CLAUDE AI`).
fn normalise(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase()
}

impl Merchants {
    pub fn parse(text: &str) -> Result<Merchants, String> {
        let file: File =
            toml::from_str(text).map_err(|e| format!("`pricing/merchants.toml`: {e}"))?;
        let mut patterns = Vec::new();
        for m in &file.merchants {
            let idx: Vec<usize> =
                m.products
                    .iter()
                    .map(|p| {
                        file.products.iter().position(|x| &x.id == p).ok_or_else(|| {
                        format!("`pricing/merchants.toml`: merchant names unknown product `{p}`")
                    })
                    })
                    .collect::<Result<_, _>>()?;
            for p in &m.patterns {
                patterns.push((m.fallback, normalise(p), idx.clone()));
            }
        }
        // Specific before fallback, longest first, then alphabetical: the most specific
        // pattern wins, deterministically.
        patterns.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| b.1.len().cmp(&a.1.len()))
                .then_with(|| a.1.cmp(&b.1))
        });
        Ok(Merchants {
            products: file.products,
            patterns,
            seen: Mutex::new(HashMap::new()),
        })
    }

    /// The embedded table (parsed once).
    pub fn embedded() -> &'static Merchants {
        static TABLE: OnceLock<Merchants> = OnceLock::new();
        TABLE.get_or_init(|| {
            Merchants::parse(MERCHANTS).expect("the embedded merchant table parses")
        })
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }

    /// The product a statement line is, from its merchant texts (name, descriptor, …) and, to
    /// tell two plans on one descriptor apart, its USD amount. `None`: not an AI merchant.
    pub fn recognise(&self, texts: &[&str], usd_amount: Option<Decimal>) -> Option<&Product> {
        let key: Vec<String> = texts.iter().map(|t| t.to_string()).collect();
        let cached = self
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .copied();
        let found = match cached {
            Some(found) => found,
            None => {
                let texts: Vec<String> = texts.iter().map(|t| normalise(t)).collect();
                // Whole words only: `OPENAI` is not inside `REOPENAIR`.
                let has = |t: &str, p: &str| format!(" {t} ").contains(&format!(" {p} "));
                let found = self
                    .patterns
                    .iter()
                    .position(|(_, p, _)| texts.iter().any(|t| has(t, p)));
                self.seen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, found);
                found
            }
        };
        let (_, _, candidates) = &self.patterns[found?];
        let by_price = usd_amount.and_then(|amount| {
            candidates
                .iter()
                .find(|&&i| self.products[i].monthly == Some(amount.abs()))
        });
        Some(&self.products[*by_price.unwrap_or(&candidates[0])])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_pattern_wins_and_the_price_tells_plans_apart() {
        let m = Merchants::embedded();
        let id = |texts: &[&str], usd: Option<&str>| {
            m.recognise(texts, usd.map(|u| u.parse().unwrap()))
                .map(|p| p.id.as_str())
        };
        assert_eq!(
            id(&["OPENAI *CHATGPT SUBSCR"], Some("20.00")),
            Some("chatgpt_plus")
        );
        assert_eq!(
            id(&["OPENAI  *CHATGPT SUBSCR"], Some("200")),
            Some("chatgpt_pro")
        );
        assert_eq!(id(&["OpenAI *API"], Some("50.00")), Some("openai_api"));
        assert_eq!(id(&["OPENAI"], None), Some("openai_api"));
        assert_eq!(
            id(&["Cursor", "CURSOR, AI POWERED IDE"], None),
            Some("cursor_pro")
        );
        assert_eq!(
            id(&["CLAUDE.AI SUBSCRIPTION"], Some("20.00")),
            Some("claude_pro")
        );
        assert_eq!(id(&["ANTHROPIC"], Some("100.00")), Some("anthropic_api"));
        // The clean merchant name says only the vendor; the descriptor says the product.
        assert_eq!(
            id(&["Anthropic", "CLAUDE.AI SUBSCRIPTION"], Some("20.00")),
            Some("claude_pro")
        );
        assert_eq!(
            id(&["OpenAI", "OPENAI *CHATGPT SUBSCR"], None),
            Some("chatgpt_plus")
        );
        assert_eq!(id(&["REOPENAIR LLC"], None), None);
        assert_eq!(id(&["UNITED AIRLINES"], None), None);
        assert_eq!(id(&["DELTA AIR LINES"], None), None);
    }

    #[test]
    fn every_product_names_a_kind_and_subscriptions_a_price() {
        let m = Merchants::embedded();
        for p in &m.products {
            assert!(!p.sources.is_empty(), "{}", p.id);
            if p.kind == ProductKind::Subscription {
                assert!(p.monthly.is_some(), "{}", p.id);
            }
        }
    }
}
