//! `rejects.csv`: every row that could not be parsed, with its file, line, column and reason.

use super::{Renderer, Report};
use anyhow::Result;

pub struct RejectsRenderer;

impl Renderer for RejectsRenderer {
    fn file_name(&self) -> &'static str {
        "rejects.csv"
    }

    fn render(&self, report: &Report) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["file", "line", "column", "reason"])?;
        for r in &report.rejects {
            w.write_record([
                r.file.as_str(),
                &r.line.to_string(),
                r.column.as_deref().unwrap_or(""),
                r.reason.as_str(),
            ])?;
        }
        Ok(w.into_inner()?)
    }
}
