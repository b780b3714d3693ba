//! Recognising a file by its content: is it delimited text with a header we can read?
//!
//! Only the first record is read here (with the `csv` crate, which gives precise errors);
//! which export it is gets decided by the header's column names in `ingest::FORMATS`.

use anyhow::{Context, Result};
use std::io::Read;
use std::path::Path;

/// What the first bytes of a file say about it.
#[derive(Debug, PartialEq)]
pub enum Sniffed {
    /// Comma-separated text with this header (trimmed, BOM removed).
    Csv { header: Vec<String> },
    /// A JSON or JSONL document (an API dump); its shape decides the format.
    Json,
    /// gzip-compressed: decompress, then sniff again (`cur.csv.gz`).
    Gzip,
    /// An Apache Parquet file (CUR 2.0, FOCUS exports).
    Parquet,
    /// Delimited text whose lines end in a bare carriage return (classic Mac, some Excel
    /// saves): read through a copy with the line endings turned into newlines.
    CrOnly,
    /// Not something any format reads; the reason is shown to the user.
    NotAnExport(String),
}

/// How much of a file detection reads.
const SNIFF_BYTES: usize = 64 * 1024;

/// Reads the first 64 KiB of `path` and classifies it.
pub fn sniff(path: &Path) -> Result<Sniffed> {
    let mut buf = Vec::with_capacity(SNIFF_BYTES);
    super::open_input(path)?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut buf)
        .with_context(|| format!("could not read `{}`", path.display()))?;
    Ok(sniff_bytes(&buf))
}

/// Text in UTF-16 without a BOM: nearly every other byte is zero and the rest are printable
/// (a Western-script export saved as "Unicode text").
fn looks_like_utf16(buf: &[u8]) -> bool {
    let n = buf.len() / 2 * 2;
    if n < 4 {
        return false;
    }
    let units = buf[..n].chunks_exact(2);
    let count = units.len();
    let (le, be) = units.fold((0, 0), |(le, be), u| {
        let text = |b: u8| b.is_ascii_graphic() || b.is_ascii_whitespace() || b >= 0x80;
        (
            le + usize::from(u[1] == 0 && text(u[0])),
            be + usize::from(u[0] == 0 && text(u[1])),
        )
    });
    le.max(be) * 10 >= count * 9
}

pub fn sniff_bytes(buf: &[u8]) -> Sniffed {
    if buf.is_empty() {
        return Sniffed::NotAnExport("empty file".to_string());
    }
    if buf.starts_with(&[0x1f, 0x8b]) {
        return Sniffed::Gzip;
    }
    if buf.starts_with(b"PAR1") {
        return Sniffed::Parquet;
    }
    if buf.starts_with(&[0xFF, 0xFE]) || buf.starts_with(&[0xFE, 0xFF]) {
        return Sniffed::NotAnExport(
            "file is UTF-16 encoded; re-save it as UTF-8 CSV and run again".to_string(),
        );
    }
    if buf.contains(&0) {
        return Sniffed::NotAnExport(if looks_like_utf16(buf) {
            "file is UTF-16 encoded (without a byte-order mark); re-save it as UTF-8 CSV and \
             run again"
                .to_string()
        } else {
            "binary file: not a CSV, JSON, Parquet, gzip or ZIP export; leave it out of the \
             exports folder"
                .to_string()
        });
    }
    let body = buf.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(buf);
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if matches!(first, Some(b'{') | Some(b'[')) {
        return Sniffed::Json;
    }
    // Line ends are carriage returns alone: no newline anywhere in the first block, or none
    // before the first carriage return that is not followed by one.
    let bare_cr = body.windows(2).position(|w| w[0] == b'\r' && w[1] != b'\n');
    let first_newline = memchr::memchr(b'\n', body);
    if bare_cr.is_some_and(|cr| first_newline.is_none_or(|nl| cr < nl)) {
        return Sniffed::CrOnly;
    }
    if buf.len() >= SNIFF_BYTES && memchr::memchr2(b'\n', b'\r', body).is_none() {
        // A header is read from this first block; one longer than it would be cut short.
        return Sniffed::NotAnExport(format!(
            "its first line is longer than {} KiB, more than any export's header (thousands \
             of columns); check that this is the file you meant to include",
            SNIFF_BYTES / 1024
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    let mut record = csv::ByteRecord::new();
    match reader.read_byte_record(&mut record) {
        Ok(true) => {}
        Ok(false) => return Sniffed::NotAnExport("empty file".to_string()),
        Err(e) => return Sniffed::NotAnExport(format!("not delimited text: {e}")),
    }
    let header: Vec<String> = record
        .iter()
        .map(|f| english_name(String::from_utf8_lossy(f).trim()).to_string())
        .collect();
    if header.len() < 2 {
        return Sniffed::NotAnExport("not a comma-separated export (one column)".to_string());
    }
    Sniffed::Csv { header }
}

/// The English column name a localised export carries in parentheses: Azure's German
/// download writes `Abonnement-GUID (SubscriptionGuid)`. Only a single PascalCase word counts,
/// so `Cost ($)` and `Usage amount (hours)` keep their names.
fn english_name(header: &str) -> &str {
    let Some(inner) = header
        .strip_suffix(')')
        .and_then(|h| h.rsplit_once(" ("))
        .map(|(_, inner)| inner)
    else {
        return header;
    };
    let pascal = inner.len() > 1
        && inner.starts_with(|c: char| c.is_ascii_uppercase())
        && inner.chars().all(|c| c.is_ascii_alphanumeric())
        && inner.chars().any(|c| c.is_ascii_lowercase());
    if pascal {
        inner
    } else {
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_carriage_returns_are_cr_only_but_crlf_is_csv() {
        assert_eq!(sniff_bytes(b"a,b\r1,2\r3,4\r"), Sniffed::CrOnly);
        assert!(matches!(
            sniff_bytes(b"a,b\r\n1,2\r\n"),
            Sniffed::Csv { .. }
        ));
        assert!(matches!(
            sniff_bytes(b"a,b\n1,\"x\ry\"\n"),
            Sniffed::Csv { .. }
        ));
    }

    #[test]
    fn localised_headers_read_as_their_english_name_in_parentheses() {
        assert_eq!(
            english_name("Abonnement-GUID (SubscriptionGuid)"),
            "SubscriptionGuid"
        );
        assert_eq!(
            english_name("Kosten (CostInBillingCurrency)"),
            "CostInBillingCurrency"
        );
        assert_eq!(english_name("Cost ($)"), "Cost ($)");
        assert_eq!(english_name("Usage amount (hours)"), "Usage amount (hours)");
        assert_eq!(english_name("Unrounded cost ($)"), "Unrounded cost ($)");
        assert_eq!(english_name("plain"), "plain");
    }

    #[test]
    fn strips_bom_and_trims() {
        let s = sniff_bytes(b"\xEF\xBB\xBFa, b ,c\n1,2,3\n");
        assert_eq!(
            s,
            Sniffed::Csv {
                header: vec!["a".into(), "b".into(), "c".into()]
            }
        );
    }

    #[test]
    fn rejects_non_csv() {
        assert!(matches!(sniff_bytes(b""), Sniffed::NotAnExport(_)));
        assert!(
            matches!(sniff_bytes(b"\xFF\xFEa\0b\0"), Sniffed::NotAnExport(r) if r.contains("UTF-16"))
        );
        assert!(matches!(
            sniff_bytes(b"just some notes\n"),
            Sniffed::NotAnExport(_)
        ));
        assert_eq!(sniff_bytes(b"{\"a\":1}"), Sniffed::Json);
    }
}
