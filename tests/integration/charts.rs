//! Issue 11, charts: every chart of the demo renders at 1920×1080 as a PNG that is not blank
//! and as a well-formed SVG whose text is paths, with no system fonts, and the totals they
//! show are the report's.

use crate::common::*;

const STEMS: [&str; 7] = [
    "01_spend_by_provider",
    "02_top_workloads",
    "03_model_mix_by_tier",
    "04_savings_waterfall",
    "05_provisioned_capacity",
    "06_seats",
    "07_month_over_month",
];

/// Width, height and RGB pixels of a PNG.
fn decode(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(bytes).read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    assert_eq!(info.color_type, png::ColorType::Rgb);
    (info.width, info.height, buf)
}

/// Whether `svg` is well-formed enough for any XML parser: every element closed in order,
/// attributes quoted, no stray `<` or `&`.
fn well_formed(svg: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find('<') {
        let text = &rest[..i];
        if let Some(a) = text.find('&') {
            let t = &text[a..];
            if !(t.starts_with("&amp;")
                || t.starts_with("&lt;")
                || t.starts_with("&gt;")
                || t.starts_with("&quot;")
                || t.starts_with("&apos;")
                || t.starts_with("&#"))
            {
                return Err(format!("stray & in `{t:.40}`"));
            }
        }
        rest = &rest[i..];
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>").ok_or("unclosed <?")? + 2..];
            continue;
        }
        if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->").ok_or("unclosed comment")? + 3..];
            continue;
        }
        let end = rest.find('>').ok_or("unclosed tag")?;
        let tag = &rest[1..end];
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag:.60}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if open != name.trim() {
                return Err(format!("</{name}> closes <{open}>"));
            }
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().unwrap_or("").to_string();
            stack.push(name);
        }
        rest = &rest[end + 1..];
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

#[test]
fn every_chart_renders_at_1920x1080_without_system_fonts() {
    let out = tempfile::tempdir().unwrap();
    // No fontconfig, no font folders: the charts use only the font inside the binary.
    let o = bin()
        .arg("ingest")
        .arg(repo().join("fixtures/demo"))
        .arg("--config")
        .arg(repo().join("fixtures/demo.toml"))
        .arg("--out")
        .arg(out.path())
        .env("FONTCONFIG_FILE", "/nonexistent")
        .env("FONTCONFIG_PATH", "/nonexistent")
        .env("XDG_DATA_DIRS", "/nonexistent")
        .env("XDG_DATA_HOME", "/nonexistent")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for stem in STEMS {
        let (w, h, px) =
            decode(&std::fs::read(out.path().join(format!("charts/{stem}.png"))).unwrap());
        assert_eq!((w, h), (1920, 1080), "{stem}");
        // Not blank: ink in the title band (the text) and in the plot.
        let dark = |y0: usize, y1: usize| {
            (y0..y1)
                .flat_map(|y| (0..1920).map(move |x| (y * 1920 + x) * 3))
                .filter(|i| px[*i] < 128 && px[i + 1] < 128 && px[i + 2] < 128)
                .count()
        };
        assert!(dark(40, 140) > 2_000, "{stem}: no title text");
        let non_white = px.chunks(3).filter(|p| p != &[255, 255, 255]).count();
        assert!(non_white > 20_000, "{stem}: nearly blank ({non_white} px)");
        let svg = std::fs::read_to_string(out.path().join(format!("charts/{stem}.svg"))).unwrap();
        well_formed(&svg).unwrap_or_else(|e| panic!("{stem}.svg: {e}"));
        assert!(svg.contains("viewBox=\"0 0 1920 1080\"") || svg.contains("width=\"1920\""));
        // Text is paths: no <text> for a viewer to set in another font.
        assert!(!svg.contains("<text"), "{stem}.svg has <text>");
        assert!(svg.contains("<path fill="), "{stem}.svg has no text paths");
    }
}

#[test]
fn charts_show_the_reports_totals() {
    let (out, json) = audit_ok(
        &repo().join("fixtures/demo"),
        &[
            "--config",
            repo().join("fixtures/demo.toml").to_str().unwrap(),
        ],
    );
    let total = cents(&json["totals"]["billed_cost"]) + cents(&json["totals"]["estimated_cost"]);
    let short = spend_audit::charts::short_money(total as f64 / 100.0, "USD");
    let spend =
        std::fs::read_to_string(out.path().join("charts/01_spend_by_provider.svg")).unwrap();
    assert!(
        spend.contains(&format!("aria-label=\"AI spend, Oct 2026: {short}\"")),
        "{short}"
    );
    let saved = cents(&json["headline"]["monthly_savings"]);
    let short = spend_audit::charts::short_money(saved as f64 / 100.0, "USD");
    let waterfall =
        std::fs::read_to_string(out.path().join("charts/04_savings_waterfall.svg")).unwrap();
    assert!(
        waterfall.contains(&format!(
            "aria-label=\"Savings found, Oct 2026: {short}/month"
        )),
        "{short}"
    );
}
