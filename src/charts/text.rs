//! Text set with the bundled font, by this module rather than by a viewer or plotters: glyphs
//! are placed with their advances and kerning, then filled into the PNG's pixels or written as
//! SVG paths. A chart therefore looks the same in every viewer, needs no system font, and its
//! letter spacing is the font's own.

use ab_glyph::{Font, FontRef, OutlineCurve, Point, PxScale, ScaleFont};
use std::sync::OnceLock;

static FONT_BYTES: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

/// The bundled font; `None` only if the embedded file were corrupt (a unit test reads it).
fn font() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
}

/// Horizontal alignment of a text run against its x.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// Glyph ids and pen positions (x from the run's start) of `text` at `size` pixels.
fn layout(text: &str, size: f32) -> (Vec<(ab_glyph::GlyphId, f32)>, f32) {
    let Some(font) = font() else {
        return (Vec::new(), 0.0);
    };
    let scaled = font.as_scaled(PxScale::from(size));
    let mut x = 0.0;
    let mut last = None;
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = font.glyph_id(c);
        if let Some(prev) = last {
            x += scaled.kern(prev, id);
        }
        out.push((id, x));
        x += scaled.h_advance(id);
        last = Some(id);
    }
    (out, x)
}

/// The width of `text` at `size` pixels.
pub fn width(text: &str, size: f32) -> f32 {
    layout(text, size).1
}

/// Splits `text` into lines no wider than `max` pixels, at spaces (a word longer than a line
/// is split where it must). Never cuts text off.
pub fn wrap(text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(&candidate, size) <= max || line.is_empty() && width(word, size) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        // A word wider than the line: split it by characters.
        let mut piece = String::new();
        for c in word.chars() {
            piece.push(c);
            if width(&piece, size) > max && piece.chars().count() > 1 {
                piece.pop();
                lines.push(std::mem::take(&mut piece));
                piece.push(c);
            }
        }
        line = piece;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Where a run starts, given its anchor.
fn start_x(x: f32, w: f32, anchor: Anchor) -> f32 {
    match anchor {
        Anchor::Start => x,
        Anchor::Middle => x - w / 2.0,
        Anchor::End => x - w,
    }
}

/// Fills `text` into an RGB buffer (`width` pixels wide), baseline at `y`, blending `color`
/// by coverage.
#[allow(clippy::too_many_arguments)]
pub fn fill_rgb(
    buf: &mut [u8],
    buf_width: u32,
    text: &str,
    x: f32,
    y: f32,
    size: f32,
    anchor: Anchor,
    color: (u8, u8, u8),
) {
    let Some(font) = font() else {
        return;
    };
    let (glyphs, w) = layout(text, size);
    let x0 = start_x(x, w, anchor);
    let height = (buf.len() / 3) as u32 / buf_width.max(1);
    for (id, gx) in glyphs {
        let glyph = id.with_scale_and_position(PxScale::from(size), Point { x: x0 + gx, y });
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let b = outlined.px_bounds();
        outlined.draw(|px, py, coverage| {
            let (cx, cy) = (b.min.x as i64 + px as i64, b.min.y as i64 + py as i64);
            if cx < 0 || cy < 0 || cx >= buf_width as i64 || cy >= height as i64 {
                return;
            }
            let i = (cy as usize * buf_width as usize + cx as usize) * 3;
            let a = coverage.clamp(0.0, 1.0);
            for (k, c) in [color.0, color.1, color.2].into_iter().enumerate() {
                let old = buf[i + k] as f32;
                buf[i + k] = (old + (c as f32 - old) * a).round() as u8;
            }
        });
    }
}

/// `text` as SVG path data (absolute coordinates, two decimals), baseline at `y`.
pub fn svg_path(text: &str, x: f32, y: f32, size: f32, anchor: Anchor) -> String {
    let Some(font) = font() else {
        return String::new();
    };
    let (glyphs, w) = layout(text, size);
    let x0 = start_x(x, w, anchor);
    let factor = font.as_scaled(PxScale::from(size)).scale_factor();
    let mut d = String::new();
    let f = |v: f32| {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    for (id, gx) in glyphs {
        let Some(outline) = font.outline(id) else {
            continue;
        };
        // Font units, y up, to canvas pixels, y down.
        let p = |q: Point| (x0 + gx + q.x * factor.horizontal, y - q.y * factor.vertical);
        let mut pen: Option<Point> = None;
        for curve in &outline.curves {
            let (from, to) = match curve {
                OutlineCurve::Line(a, b) => (*a, *b),
                OutlineCurve::Quad(a, _, b) => (*a, *b),
                OutlineCurve::Cubic(a, _, _, b) => (*a, *b),
            };
            if pen != Some(from) {
                if pen.is_some() {
                    d.push('Z');
                }
                let (mx, my) = p(from);
                d.push_str(&format!("M{} {}", f(mx), f(my)));
            }
            match curve {
                OutlineCurve::Line(_, b) => {
                    let (bx, by) = p(*b);
                    d.push_str(&format!("L{} {}", f(bx), f(by)));
                }
                OutlineCurve::Quad(_, c, b) => {
                    let ((cx, cy), (bx, by)) = (p(*c), p(*b));
                    d.push_str(&format!("Q{} {} {} {}", f(cx), f(cy), f(bx), f(by)));
                }
                OutlineCurve::Cubic(_, c1, c2, b) => {
                    let ((ax, ay), (cx, cy), (bx, by)) = (p(*c1), p(*c2), p(*b));
                    d.push_str(&format!(
                        "C{} {} {} {} {} {}",
                        f(ax),
                        f(ay),
                        f(cx),
                        f(cy),
                        f(bx),
                        f(by)
                    ));
                }
            }
            pen = Some(to);
        }
        if pen.is_some() {
            d.push('Z');
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_loads_and_measures() {
        assert!(font().is_some());
        let (a, b) = (width("AI spend", 20.0), width("AI spend", 40.0));
        assert!(a > 50.0 && (b / a - 2.0).abs() < 0.01, "{a} {b}");
        // Kerning applies: "AV" is narrower than "A" + "V".
        assert!(width("AV", 40.0) < width("A", 40.0) + width("V", 40.0));
    }

    #[test]
    fn labels_wrap_at_spaces_and_are_never_cut() {
        let text = "Move support-triage from Claude Opus 4.1 to Claude Sonnet 4.5";
        let lines = wrap(text, 20.0, 260.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| width(l, 20.0) <= 260.0), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        // A single word wider than the line is split, not dropped.
        let long = "x".repeat(80);
        assert_eq!(wrap(&long, 20.0, 100.0).concat(), long);
    }

    #[test]
    fn svg_text_is_paths_and_pixels_are_drawn() {
        let d = svg_path("Anthropic $12.3k", 10.0, 40.0, 24.0, Anchor::Start);
        assert!(
            d.starts_with('M') && d.ends_with('Z') && d.len() > 200,
            "{d}"
        );
        let mut buf = vec![255u8; 200 * 60 * 3];
        fill_rgb(
            &mut buf,
            200,
            "Hi",
            10.0,
            40.0,
            30.0,
            Anchor::Start,
            (0, 0, 0),
        );
        assert!(buf.iter().any(|b| *b < 128));
    }
}
