//! `spend-audit pricing check` and `pricing show`: the catalog's own health, and one model's
//! price explained. Load-time validation (overlaps, ambiguous names, sources, cached ≤ input,
//! batch ≤ standard) already runs in [`super::Catalog::from_files`]; these are the checks that
//! depend on a date.

use super::{rate_for, Catalog, Resolution};
use crate::ledger::{CacheTtl, ChargeKind, ServiceTier};
use chrono::NaiveDate;
use std::fmt::Write;

/// A rate with at least two decimals and no trailing zeros beyond them: `2.50`, `0.075`.
fn money_text(r: rust_decimal::Decimal) -> String {
    let mut r = r.normalize();
    if r.scale() < 2 {
        r.rescale(2);
    }
    r.to_string()
}

/// Problems that make the catalog unfit to price `today`'s usage.
pub fn check(catalog: &Catalog, today: NaiveDate) -> Vec<String> {
    let ms = crate::util::day_start_ms(today);
    let mut problems = Vec::new();
    for m in catalog.models() {
        if m.lifecycle == "retired" {
            continue;
        }
        if m.period_at(ms).is_none() {
            problems.push(format!(
                "model `{}` is `{}` but has no active price period on {today}; add one or set `lifecycle = \"retired\"`",
                m.id, m.lifecycle
            ));
        }
    }
    problems
}

/// A human explanation of how `name` resolves and what it costs on `at`.
pub fn show(catalog: &Catalog, name: &str, at: NaiveDate) -> Result<String, String> {
    let (model_id, rule) = match catalog.resolve(name, None) {
        Resolution::Found { model_id, rule } => (model_id, rule),
        Resolution::Unknown => {
            return Err(format!(
                "`{name}` is not in catalog `{}`; usage of it is reported as unpriced",
                catalog.release
            ))
        }
        Resolution::Ambiguous(ids) => {
            return Err(format!("`{name}` is ambiguous: {}", ids.join(", ")))
        }
    };
    let model = catalog.model(&model_id).expect("resolved ids exist");
    let mut o = String::new();
    let _ = writeln!(
        o,
        "`{name}` → {model_id} ({rule}); catalog {}",
        catalog.release
    );
    let _ = writeln!(
        o,
        "family {}, tier {}, lifecycle {}",
        model.family,
        model.tier.as_str(),
        model.lifecycle
    );
    let Some(period) = model.period_at(crate::util::day_start_ms(at)) else {
        let _ = writeln!(o, "no price in effect on {at}");
        return Ok(o);
    };
    let _ = writeln!(
        o,
        "price period `{}`: from {} to {} ({}); sources: {}",
        period.id,
        period.from,
        period
            .to
            .map(|d| d.to_string())
            .unwrap_or_else(|| "open".into()),
        format!("{:?}", period.status).to_ascii_lowercase(),
        period.sources.join("; ")
    );
    for (label, kind, ttl) in [
        ("input", ChargeKind::Input, None),
        ("cached input", ChargeKind::CachedInput, None),
        (
            "cache write 5m",
            ChargeKind::CacheWrite,
            Some(CacheTtl::FiveMinutes),
        ),
        (
            "cache write 1h",
            ChargeKind::CacheWrite,
            Some(CacheTtl::OneHour),
        ),
        ("output", ChargeKind::Output, None),
    ] {
        let tiers: Vec<String> = [
            ServiceTier::Standard,
            ServiceTier::Batch,
            ServiceTier::Flex,
            ServiceTier::Priority,
        ]
        .into_iter()
        .filter_map(|t| {
            rate_for(period, kind, ttl, t)
                .ok()
                .map(|(r, _)| format!("{} {}", t.as_str(), money_text(r)))
        })
        .collect();
        let shown = if tiers.is_empty() {
            "—".to_string()
        } else {
            tiers.join(", ")
        };
        let _ = writeln!(
            o,
            "  {label:<15} {shown} {} per 1M tokens",
            catalog.currency
        );
    }
    if let Some(note) = &period.note {
        let _ = writeln!(o, "note: {note}");
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalog_passes_its_check() {
        let catalog = Catalog::embedded().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        assert_eq!(check(&catalog, today), Vec::<String>::new());
    }

    #[test]
    fn a_model_without_a_current_price_fails_the_check() {
        let files = vec![
            ("catalog.toml".to_string(), "schema_version = 1\nrelease = \"t\"\ncurrency = \"USD\"\n".to_string()),
            (
                "v.toml".to_string(),
                "vendor = \"v\"\n[[models]]\nid = \"v/m\"\nfamily = \"m\"\ntier = \"mid\"\n[[models.prices]]\nid = \"a\"\nfrom = \"2025-01-01\"\nto = \"2025-06-01\"\nstatus = \"active\"\nsources = [\"s\"]\ninput = \"1\"\noutput = \"2\"\n".to_string(),
            ),
        ];
        let catalog = Catalog::from_files(&files).unwrap();
        let problems = check(&catalog, NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].contains("`v/m`"));
    }

    #[test]
    fn show_explains_a_dated_snapshot() {
        let catalog = Catalog::embedded().unwrap();
        let text = show(
            &catalog,
            "gpt-4o-2024-08-06",
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        )
        .unwrap();
        assert!(
            text.starts_with("`gpt-4o-2024-08-06` → openai/gpt-4o (date suffix stripped)"),
            "{text}"
        );
        assert!(text.contains("standard 2.50, batch 1.25"), "{text}");
        assert!(show(
            &catalog,
            "no-such-model",
            NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()
        )
        .is_err());
    }
}
