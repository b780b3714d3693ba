//! `findings.json`: the stable, machine-readable contract.

use super::{OutputFile, Outputs, Renderer, Report};
use anyhow::Result;

pub struct JsonRenderer;

impl Renderer for JsonRenderer {
    fn render(&self, o: &Outputs) -> Result<Vec<OutputFile>> {
        super::one("findings.json", self.bytes(o.report)?)
    }
}

impl JsonRenderer {
    pub fn bytes(&self, report: &Report) -> Result<Vec<u8>> {
        let mut bytes = serde_json::to_vec_pretty(report)?;
        bytes.push(b'\n');
        Ok(bytes)
    }
}
