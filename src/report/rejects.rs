//! `rejects.csv`: every row that could not be parsed, with its file, line, column and reason.

use super::{spreadsheet_safe, OutputFile, Outputs, Renderer, Report};
use anyhow::Result;

pub struct RejectsRenderer;

impl Renderer for RejectsRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        super::one("rejects.csv", self.bytes(o.report)?)
    }
}

impl RejectsRenderer {
    pub fn bytes(&self, report: &Report) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["file", "line", "column", "reason"])?;
        for r in &report.rejects {
            w.write_record([
                spreadsheet_safe(&r.file).as_ref(),
                &r.line.to_string(),
                &spreadsheet_safe(r.column.as_deref().unwrap_or("")),
                &spreadsheet_safe(&r.reason),
            ])?;
        }
        Ok(w.into_inner()?)
    }
}
