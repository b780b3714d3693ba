//! Charts for the board deck: PNG (slides) and SVG (documents) from the same drawing code.
//!
//! plotters is built without system fonts (`ab_glyph`, no `ttf`): DejaVu Sans ships inside the
//! binary (`fonts/`, Bitstream Vera licence) and is registered once, so charts render the same
//! on every machine, cron boxes without fontconfig included. Long model and workload names sit
//! on horizontal bars, because plotters only rotates text in 90° steps.

use crate::money;
use crate::report::Report;
use anyhow::{anyhow, Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

static FONT: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");
static REGISTERED: OnceLock<bool> = OnceLock::new();

fn register_font() -> Result<()> {
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(anyhow!("the bundled chart font could not be loaded"))
    }
}

/// One bar chart: a title, an axis label and labelled values (already in display order).
pub struct BarChart {
    pub file_stem: &'static str,
    pub title: String,
    pub x_desc: String,
    pub bars: Vec<(String, f64)>,
}

/// The charts this report gets.
pub fn charts_for(report: &Report) -> Vec<BarChart> {
    let mut spend: Vec<(String, f64)> = report
        .totals
        .by_provider
        .iter()
        .map(|(p, v)| (format!("{p} (billed)"), money::nanos_to_cent_f64(*v)))
        .chain(
            report
                .totals
                .estimated_by_provider
                .iter()
                .map(|(p, v)| (format!("{p} (estimated)"), money::nanos_to_cent_f64(*v))),
        )
        .collect();
    spend.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let savings: Vec<(String, f64)> = report
        .findings
        .iter()
        .filter(|f| f.monthly_savings_nano > 0)
        .take(12)
        .map(|f| {
            (
                truncate(&f.title.replace('`', ""), 48),
                money::nanos_to_cent_f64(f.monthly_savings_nano as i128),
            )
        })
        .collect();
    vec![
        BarChart {
            file_stem: "spend_by_provider",
            title: format!("AI spend by provider, {}", &report.period.start[..7]),
            x_desc: format!("{} per month", report.currency),
            bars: spend,
        },
        BarChart {
            file_stem: "savings_by_finding",
            title: "Monthly savings by finding".to_string(),
            x_desc: format!("{} per month", report.currency),
            bars: savings,
        },
    ]
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

fn short_money(v: f64) -> String {
    if v.abs() >= 1_000_000.0 {
        format!("${:.1}M", v / 1_000_000.0)
    } else if v.abs() >= 1_000.0 {
        format!("${:.1}k", v / 1_000.0)
    } else {
        format!("${v:.0}")
    }
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0x17, 0xbe, 0xcf),
];

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    chart: &BarChart,
    scale: u32,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| {
        anyhow!("could not draw chart `{}`: {e:?}", chart.file_stem)
    };
    root.fill(&WHITE).map_err(err)?;
    let n = chart.bars.len().max(1) as i32;
    let max = chart
        .bars
        .iter()
        .map(|b| b.1)
        .fold(0.0_f64, f64::max)
        .max(1.0)
        * 1.2;
    let s = scale;
    let mut c = ChartBuilder::on(&root)
        .caption(&chart.title, ("sans-serif", 22 * s))
        .margin(14 * s)
        .x_label_area_size(36 * s)
        .y_label_area_size(300 * s)
        .build_cartesian_2d(0.0..max, (0..(n - 1).max(1)).into_segmented())
        .map_err(err)?;
    let labels: Vec<String> = chart.bars.iter().map(|b| b.0.clone()).collect();
    c.configure_mesh()
        .disable_y_mesh()
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(0xdd, 0xdd, 0xdd))
        .x_desc(chart.x_desc.as_str())
        .x_labels(6)
        .x_label_formatter(&|v| short_money(*v))
        .y_labels(n as usize)
        .y_label_formatter(&|v| match v {
            // Bars run top-down in the given order: row `i` from the bottom is bar `n - 1 - i`.
            SegmentValue::CenterOf(i) => labels
                .get((n - 1 - *i) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 13 * s))
        .axis_desc_style(("sans-serif", 14 * s))
        .draw()
        .map_err(err)?;
    if chart.bars.is_empty() {
        root.draw(&Text::new(
            "nothing to show",
            (200 * s as i32, 80 * s as i32),
            ("sans-serif", 16 * s),
        ))
        .map_err(err)?;
    }
    for (k, (_, v)) in chart.bars.iter().enumerate() {
        let i = n - 1 - k as i32;
        let color = PALETTE[k % PALETTE.len()];
        let mut bar = Rectangle::new(
            [
                (0.0, SegmentValue::Exact(i)),
                (*v, SegmentValue::Exact(i + 1)),
            ],
            color.filled(),
        );
        bar.set_margin(6 * s, 6 * s, 0, 0);
        c.draw_series(std::iter::once(bar)).map_err(err)?;
        c.draw_series(std::iter::once(Text::new(
            short_money(*v),
            (*v + max * 0.01, SegmentValue::CenterOf(i)),
            ("sans-serif", 13 * s),
        )))
        .map_err(err)?;
    }
    root.present().map_err(err)?;
    Ok(())
}

/// Writes `<stem>.png` (2× pixel size, for slides) and `<stem>.svg` for every chart.
pub fn write_all(report: &Report, dir: &Path) -> Result<Vec<String>> {
    register_font()?;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("could not create `{}`", dir.display()))?;
    let mut written = Vec::new();
    for chart in charts_for(report) {
        let height = 120 + 44 * chart.bars.len().max(2) as u32;
        let png = dir.join(format!("{}.png", chart.file_stem));
        draw(
            BitMapBackend::new(&png, (1000 * 2, height * 2)).into_drawing_area(),
            &chart,
            2,
        )?;
        let mut svg = String::new();
        draw(
            SVGBackend::with_string(&mut svg, (1000, height)).into_drawing_area(),
            &chart,
            1,
        )?;
        let svg_path = dir.join(format!("{}.svg", chart.file_stem));
        std::fs::write(&svg_path, svg)
            .with_context(|| format!("could not write `{}`", svg_path.display()))?;
        written.push(format!("{}.png", chart.file_stem));
        written.push(format!("{}.svg", chart.file_stem));
    }
    Ok(written)
}
