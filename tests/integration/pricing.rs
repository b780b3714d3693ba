//! Catalog boundaries: a date exactly on a price change, before a model's first price, an
//! unknown model, dated snapshots, cancelled periods, and catalog validation.

use spend_audit::ledger::{ChargeKind, LedgerRow, RecordRole, ServiceTier};
use spend_audit::pricing::{Catalog, Pricer, Resolution};
use spend_audit::util::day_start_ms;

fn day(s: &str) -> i64 {
    day_start_ms(chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap())
}

/// Prices one million tokens of `kind` on `model` at `date` and returns (list nanos, reason).
fn price(
    catalog: &Catalog,
    provider: &'static str,
    model: &str,
    kind: ChargeKind,
    date: &str,
) -> (Option<i64>, Option<String>) {
    let mut row = LedgerRow::new(
        provider,
        RecordRole::Usage,
        kind,
        day(date),
        day(date) + 86_400_000,
        "t.csv",
        2,
    );
    row.model_raw = Some(model.to_string());
    row.quantity = 1_000_000.0;
    Pricer::new(catalog).price(&mut row);
    (row.list_cost_nano, row.unpriced_reason)
}

const USD: i64 = 1_000_000_000;

#[test]
fn price_change_applies_from_its_effective_day() {
    let c = Catalog::embedded().unwrap();
    // o3 cut 80% on 2025-06-10: the day before is the old price, the day itself the new one.
    assert_eq!(
        price(
            &c,
            "openai",
            "o3-2025-04-16",
            ChargeKind::Input,
            "2025-06-09"
        )
        .0,
        Some(10 * USD)
    );
    assert_eq!(
        price(
            &c,
            "openai",
            "o3-2025-04-16",
            ChargeKind::Input,
            "2025-06-10"
        )
        .0,
        Some(2 * USD)
    );
    assert_eq!(
        price(&c, "openai", "o3", ChargeKind::Output, "2025-06-10").0,
        Some(8 * USD)
    );
    // GPT-5.6 Luna: 1.00 → 0.20 on 2026-07-30.
    assert_eq!(
        price(
            &c,
            "openai",
            "gpt-5.6-luna",
            ChargeKind::Input,
            "2026-07-29"
        )
        .0,
        Some(USD)
    );
    assert_eq!(
        price(
            &c,
            "openai",
            "gpt-5.6-luna",
            ChargeKind::Input,
            "2026-07-30"
        )
        .0,
        Some(USD / 5)
    );
}

#[test]
fn usage_before_a_models_first_price_is_unpriced() {
    let c = Catalog::embedded().unwrap();
    let (cost, reason) = price(
        &c,
        "openai",
        "gpt-4.1-2025-04-14",
        ChargeKind::Input,
        "2025-04-13",
    );
    assert_eq!(cost, None);
    assert!(reason
        .unwrap()
        .contains("no price for `openai/gpt-4.1` in effect on 2025-04-13"));
    assert_eq!(
        price(&c, "openai", "gpt-4.1", ChargeKind::Input, "2025-04-14").0,
        Some(2 * USD)
    );
}

#[test]
fn unknown_model_is_unpriced_never_zero() {
    let c = Catalog::embedded().unwrap();
    let (cost, reason) = price(
        &c,
        "openai",
        "gpt-4o-turbo-ultra",
        ChargeKind::Input,
        "2026-10-01",
    );
    assert_eq!(cost, None);
    assert_eq!(
        reason.as_deref(),
        Some("unknown model `gpt-4o-turbo-ultra`")
    );
    // No prefix guessing: a longer name is not its prefix's model.
    assert_eq!(
        c.resolve("gpt-4.1-mini-2025-04-14-custom", None),
        Resolution::Unknown
    );
    assert_eq!(c.resolve("gpt-4", None), Resolution::Unknown);
}

#[test]
fn dated_snapshot_with_its_own_price_wins_over_the_alias() {
    let c = Catalog::embedded().unwrap();
    assert_eq!(
        price(
            &c,
            "openai",
            "gpt-4o-2024-05-13",
            ChargeKind::Input,
            "2026-10-01"
        )
        .0,
        Some(5 * USD)
    );
    assert_eq!(
        price(
            &c,
            "openai",
            "gpt-4o-2024-08-06",
            ChargeKind::Input,
            "2026-10-01"
        )
        .0,
        Some(USD * 5 / 2)
    );
    assert_eq!(
        c.resolve("claude-sonnet-4-5-20250929", None),
        Resolution::Found {
            model_id: "anthropic/claude-sonnet-4-5".into(),
            rule: "date suffix stripped"
        }
    );
    assert_eq!(
        c.resolve("Claude Sonnet 4.5", None),
        Resolution::Found {
            model_id: "anthropic/claude-sonnet-4-5".into(),
            rule: "exact name"
        }
    );
}

#[test]
fn batch_and_cache_rates() {
    let c = Catalog::embedded().unwrap();
    let mut row = LedgerRow::new(
        "anthropic",
        RecordRole::Usage,
        ChargeKind::CachedInput,
        day("2026-10-01"),
        day("2026-10-02"),
        "t.csv",
        2,
    );
    row.model_raw = Some("claude-sonnet-4-5".into());
    row.quantity = 1_000_000.0;
    row.service_tier = ServiceTier::Batch;
    Pricer::new(&c).price(&mut row);
    // Batch halves the cache-read rate too: 0.30 × 0.5.
    assert_eq!(row.list_cost_nano, Some(150_000_000));
    assert_eq!(
        row.price_ref.as_deref(),
        Some("2026.11.27/anthropic/claude-sonnet-4-5/launch")
    );
}

const HEADER: &str = "schema_version = 1\nrelease = \"test\"\ncurrency = \"USD\"\n";

fn catalog(vendor_file: &str) -> Result<Catalog, spend_audit::pricing::CatalogError> {
    Catalog::from_files(&[
        ("catalog.toml".into(), HEADER.into()),
        ("v.toml".into(), vendor_file.into()),
    ])
}

#[test]
fn cancelled_period_is_ignored() {
    let c = catalog(
        r#"vendor = "v"
[[models]]
id = "v/m"
family = "m"
tier = "mid"
[[models.prices]]
id = "intro"
from = "2026-01-01"
status = "active"
sources = ["s"]
input = "2.00"
output = "10.00"
[[models.prices]]
id = "rise"
from = "2026-09-01"
status = "cancelled"
sources = ["s"]
input = "3.00"
output = "15.00"
"#,
    )
    .unwrap();
    assert_eq!(
        price(&c, "v", "m", ChargeKind::Input, "2026-10-01").0,
        Some(2 * USD)
    );
}

#[test]
fn catalog_validation_rejects_overlaps_ambiguity_and_missing_sources() {
    let base = |extra: &str| {
        format!("vendor = \"v\"\n[[models]]\nid = \"v/m\"\nfamily = \"m\"\ntier = \"mid\"\n[[models.prices]]\nid = \"a\"\nfrom = \"2026-01-01\"\nstatus = \"active\"\nsources = [\"s\"]\ninput = \"1\"\noutput = \"2\"\n{extra}")
    };
    let overlap = base("[[models.prices]]\nid = \"b\"\nfrom = \"2026-03-01\"\nstatus = \"active\"\nsources = [\"s\"]\ninput = \"1\"\noutput = \"2\"\n");
    assert!(catalog(&overlap)
        .unwrap_err()
        .to_string()
        .contains("overlap"));
    let ambiguous = base("[[models]]\nid = \"v/n\"\nfamily = \"m\"\ntier = \"mid\"\nnames = [\"m\"]\n[[models.prices]]\nid = \"a\"\nfrom = \"2026-01-01\"\nstatus = \"active\"\nsources = [\"s\"]\ninput = \"1\"\noutput = \"2\"\n");
    assert!(catalog(&ambiguous)
        .unwrap_err()
        .to_string()
        .contains("resolves to several models"));
    let unsourced = base("").replace("sources = [\"s\"]", "sources = []");
    assert!(catalog(&unsourced)
        .unwrap_err()
        .to_string()
        .contains("no source"));
    let cached_dearer = base("").replace("output = \"2\"", "output = \"2\"\ncached_input = \"5\"");
    assert!(catalog(&cached_dearer)
        .unwrap_err()
        .to_string()
        .contains("cached input costs more"));
    assert!(catalog(&base("")).is_ok());
}

#[test]
fn shipped_catalog_on_disk_matches_the_embedded_one() {
    let disk = Catalog::from_dir(&crate::common::repo().join("pricing")).unwrap();
    let embedded = Catalog::embedded().unwrap();
    assert_eq!(disk.release, embedded.release);
    assert_eq!(disk.models().count(), embedded.models().count());
}

#[test]
fn pricing_check_and_show_commands() {
    let o = crate::common::bin()
        .args(["pricing", "check", "--today", "2026-11-27"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("catalog 2026.11.27: "));
    // A catalog folder with a model whose price ran out fails the check with exit 1.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog.toml"), HEADER).unwrap();
    std::fs::write(
        dir.path().join("v.toml"),
        "vendor = \"v\"\n[[models]]\nid = \"v/m\"\nfamily = \"m\"\ntier = \"mid\"\n[[models.prices]]\nid = \"a\"\nfrom = \"2025-01-01\"\nto = \"2025-06-01\"\nstatus = \"active\"\nsources = [\"s\"]\ninput = \"1\"\noutput = \"2\"\n",
    )
    .unwrap();
    let o = crate::common::bin()
        .args(["pricing", "check", "--today", "2026-01-01", "--catalog"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("`v/m`"));
    let o = crate::common::bin()
        .args(["pricing", "show", "Claude Sonnet 4.5", "--at", "2026-10-01"])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("anthropic/claude-sonnet-4-5 (exact name)"));
}

#[test]
fn pricing_diff_against_both_reference_files_has_only_reviewed_disagreements() {
    let samples = crate::common::repo().join("../shared/samples/pricing");
    for (file, source) in [
        ("litellm/model_prices_and_context_window.json", "litellm"),
        ("genai-prices/v2/data.json", "genai-prices"),
    ] {
        let o = crate::common::bin()
            .args(["pricing", "diff", "--at", "2026-11-27"])
            .arg(samples.join(file))
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{file}: unreviewed disagreements:\n{stdout}"
        );
        assert!(
            stdout
                .lines()
                .skip(1)
                .all(|l| l.starts_with(source) && l.contains("known: ")),
            "{stdout}"
        );
    }
    // The diff is not vacuous: a catalog with a wrong gpt-4.1 input rate is caught as NEW.
    let dir = tempfile::tempdir().unwrap();
    for f in ["catalog.toml", "anthropic.toml", "deepseek.toml"] {
        std::fs::copy(
            crate::common::repo().join("pricing").join(f),
            dir.path().join(f),
        )
        .unwrap();
    }
    let openai =
        std::fs::read_to_string(crate::common::repo().join("pricing/openai.toml")).unwrap();
    let broken = openai.replacen(
        "input = \"2.00\"\ncached_input = \"0.50\"\noutput = \"8.00\"",
        "input = \"2.20\"\ncached_input = \"0.50\"\noutput = \"8.00\"",
        1,
    );
    assert_ne!(broken, openai);
    std::fs::write(dir.path().join("openai.toml"), broken).unwrap();
    let o = crate::common::bin()
        .args(["pricing", "diff", "--at", "2026-11-27", "--catalog"])
        .arg(dir.path())
        .arg(samples.join("litellm/model_prices_and_context_window.json"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).contains("openai/gpt-4.1\tinput\t2.2\t2\tNEW"));
}
