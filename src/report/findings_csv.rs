//! `findings.csv`: one row per finding, for spreadsheet users. The amounts are the same
//! exact figures as `findings.json`; the evidence is its JSON text. Text cells that a
//! spreadsheet would run as a formula are quoted with a leading `'`.

use super::{spreadsheet_safe, OutputFile, Outputs, Renderer, Report};
use crate::report::focus::decimal;
use anyhow::Result;

pub struct FindingsCsvRenderer;

/// The columns, in order.
pub const COLUMNS: &[&str] = &[
    "rank",
    "id",
    "kind",
    "provider",
    "scope",
    "title",
    "current_monthly_cost",
    "monthly_savings",
    "annual_savings",
    "currency",
    "confidence",
    "action",
    "owner",
    "acts_on",
    "evidence",
];

impl Renderer for FindingsCsvRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        super::one("findings.csv", self.bytes(o.report)?)
    }
}

impl FindingsCsvRenderer {
    pub fn bytes(&self, r: &Report) -> Result<Vec<u8>> {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(COLUMNS)?;
        for (i, f) in r.findings.iter().enumerate() {
            let text = [
                (i + 1).to_string(),
                f.id.clone(),
                f.kind.clone(),
                f.provider.clone(),
                f.scope.clone(),
                f.title.clone(),
                decimal(f.current_monthly_cost_nano),
                decimal(f.monthly_savings_nano),
                decimal(f.annual_savings_nano),
                r.currency.clone(),
                f.confidence.as_str().to_string(),
                f.action.clone(),
                f.owner.clone().unwrap_or_default(),
                f.acts_on.join(" "),
                serde_json::to_string(&f.evidence)?,
            ];
            w.write_record(text.iter().map(|c| spreadsheet_safe(c).into_owned()))?;
        }
        Ok(w.into_inner()?)
    }
}

#[cfg(test)]
mod tests {
    use super::super::spreadsheet_safe;

    #[test]
    fn formula_cells_are_quoted_and_numbers_are_not() {
        assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(spreadsheet_safe("+1+1"), "'+1+1");
        assert_eq!(spreadsheet_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(spreadsheet_safe("-cmd"), "'-cmd");
        assert_eq!(spreadsheet_safe("-12.5"), "-12.5");
        assert_eq!(spreadsheet_safe("gpt-4o"), "gpt-4o");
    }
}
