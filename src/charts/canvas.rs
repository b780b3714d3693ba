//! A chart as a list of shapes and text runs in 1920×1080 canvas pixels, drawn once into a PNG
//! and once into an SVG: plotters draws the shapes on both backends, `text` sets the type.

use super::text::{self, Anchor};
use anyhow::{anyhow, Result};
use plotters::prelude::*;

pub const WIDTH: u32 = 1920;
pub const HEIGHT: u32 = 1080;

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    fn plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }

    fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }
}

enum Item {
    Rect {
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        fill: Rgb,
    },
    Line {
        x0: f32,
        y0: f32,
        x1: f32,
        y1: f32,
        color: Rgb,
        width: u32,
    },
    Text(TextRun),
}

/// One text run, baseline at `y`, as both backends set it.
struct TextRun {
    x: f32,
    y: f32,
    size: f32,
    anchor: Anchor,
    color: Rgb,
    text: String,
}

/// The drawing of one chart.
#[derive(Default)]
pub struct Canvas {
    items: Vec<Item>,
}

impl Canvas {
    pub fn rect(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, fill: Rgb) {
        self.items.push(Item::Rect {
            x0: x0.min(x1),
            y0: y0.min(y1),
            x1: x0.max(x1),
            y1: y0.max(y1),
            fill,
        });
    }

    pub fn line(&mut self, x0: f32, y0: f32, x1: f32, y1: f32, color: Rgb, width: u32) {
        self.items.push(Item::Line {
            x0,
            y0,
            x1,
            y1,
            color,
            width,
        });
    }

    /// A text run with its baseline at `y`.
    pub fn text(&mut self, x: f32, y: f32, size: f32, anchor: Anchor, color: Rgb, text: &str) {
        self.items.push(Item::Text(TextRun {
            x,
            y,
            size,
            anchor,
            color,
            text: text.to_string(),
        }));
    }

    /// Draws the shapes on a plotters drawing area (white background first).
    fn shapes<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, plotters::coord::Shift>,
    ) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("could not draw a chart: {e:?}");
        area.fill(&WHITE).map_err(err)?;
        let px = |v: f32| v.round() as i32;
        for item in &self.items {
            match item {
                Item::Rect {
                    x0,
                    y0,
                    x1,
                    y1,
                    fill,
                } => area
                    .draw(&Rectangle::new(
                        [(px(*x0), px(*y0)), (px(*x1), px(*y1))],
                        fill.plotters().filled(),
                    ))
                    .map_err(err)?,
                Item::Line {
                    x0,
                    y0,
                    x1,
                    y1,
                    color,
                    width,
                } => area
                    .draw(&PathElement::new(
                        vec![(px(*x0), px(*y0)), (px(*x1), px(*y1))],
                        color.plotters().stroke_width(*width),
                    ))
                    .map_err(err)?,
                Item::Text(_) => {}
            }
        }
        area.present().map_err(err)?;
        Ok(())
    }

    /// The text runs, in drawing order.
    fn texts(&self) -> impl Iterator<Item = &TextRun> {
        self.items.iter().filter_map(|item| match item {
            Item::Text(t) => Some(t),
            _ => None,
        })
    }

    /// The chart as PNG bytes (RGB, 8 bits).
    pub fn png(&self) -> Result<Vec<u8>> {
        let mut buf = vec![255u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let area = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
            self.shapes(&area)?;
        }
        for t in self.texts() {
            text::fill_rgb(
                &mut buf,
                WIDTH,
                &t.text,
                t.x,
                t.y,
                t.size,
                t.anchor,
                (t.color.0, t.color.1, t.color.2),
            );
        }
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, WIDTH, HEIGHT);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header()?;
            w.write_image_data(&buf)?;
        }
        Ok(out)
    }

    /// The chart as an SVG document whose text is paths, so no viewer substitutes a font.
    pub fn svg(&self, title: &str) -> Result<String> {
        let mut svg = String::new();
        {
            let area = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
            self.shapes(&area)?;
        }
        let mut paths = format!("<title>{}</title>\n", crate::util::xml_escape(title));
        for t in self.texts() {
            let d = text::svg_path(&t.text, t.x, t.y, t.size, t.anchor);
            if !d.is_empty() {
                paths.push_str(&format!(
                    "<path fill=\"{}\" aria-label=\"{}\" d=\"{d}\"/>\n",
                    t.color.hex(),
                    crate::util::xml_escape(&t.text)
                ));
            }
        }
        let end = svg
            .rfind("</svg>")
            .ok_or_else(|| anyhow!("plotters wrote an SVG without its closing tag"))?;
        svg.insert_str(end, &paths);
        Ok(svg)
    }
}
