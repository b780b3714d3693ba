//! Record-aligned chunks of a large CSV, read through a buffered reader.
//!
//! polars' own CSV scan memory-maps an uncompressed local file, and every page it touches
//! counts as resident memory: a 22 GB gateway log showed 11 GB of mapped pages at its peak. The
//! request-log path instead reads the file a few tens of megabytes at a time, cut at record
//! boundaries, and hands each piece to polars' in-memory CSV parser, so resident memory is
//! bounded by the chunk size and the aggregated grain, not by the file.
//!
//! A record boundary is a newline outside quotes. RFC 4180 escapes a quote inside a quoted
//! field by doubling it, so the quote parity counted from the start of a chunk (always outside
//! quotes, since chunks start at boundaries) tells whether a newline ends a record.

use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Bytes read per chunk: large enough that polars parses each chunk on every core, small
/// enough that a chunk and its parsed columns stay well under the memory target.
pub const CHUNK_BYTES: usize = 48 * 1024 * 1024;

/// A chunk may grow to this size while looking for the end of one record; past it the file is
/// taken to have an unbalanced quote (the caller then reads it with the lenient reader).
pub const MAX_CHUNK_BYTES: usize = 8 * CHUNK_BYTES;

/// Reads a CSV file as record-aligned byte chunks, the header record skipped.
pub struct CsvChunks {
    file: File,
    /// Bytes read but not yet handed out (the start of an unfinished record).
    carry: Vec<u8>,
    chunk_bytes: usize,
    max_bytes: usize,
    header_skipped: bool,
    eof: bool,
    display: String,
    /// Fields in the header record: every data record must have as many.
    fields: usize,
    /// The physical line the next chunk starts on (the header is line 1).
    line: u64,
}

/// A chunk of whole records, with the records whose field count differs from the header's.
/// Those records are blanked in `bytes` (their fields emptied, their newlines kept), so the
/// parser reads them as the blank lines it skips and every other record keeps its place.
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub ragged: Vec<Ragged>,
}

/// A record with more or fewer fields than the header: a stray delimiter or quote shifts
/// its columns, and a cut-off line lost its tail, so none of its cells can be trusted.
#[derive(Debug, PartialEq)]
pub struct Ragged {
    /// Its first physical line.
    pub line: u64,
    pub fields: usize,
    pub expected: usize,
}

impl Ragged {
    /// The reject reason, in the words of the lenient reader.
    pub fn reason(&self) -> String {
        format!(
            "{} fields for {} columns (a stray quote or delimiter, or a cut-off line); fix line {} \
             and run again",
            self.fields, self.expected, self.line
        )
    }
}

impl CsvChunks {
    /// Opens `path` to be read `chunk_bytes` at a time ([`CHUNK_BYTES`] in production; tests
    /// use tiny chunks to cut records at every possible place), a record growing a chunk to at
    /// most `max_bytes` ([`MAX_CHUNK_BYTES`]).
    pub fn with_sizes(path: &Path, chunk_bytes: usize, max_bytes: usize) -> Result<CsvChunks> {
        let file =
            File::open(path).with_context(|| format!("could not open `{}`", path.display()))?;
        Ok(CsvChunks {
            file,
            carry: Vec::new(),
            chunk_bytes: chunk_bytes.max(1),
            max_bytes,
            header_skipped: false,
            eof: false,
            display: path.display().to_string(),
            fields: 0,
            line: 1,
        })
    }

    /// Reads until the buffer holds at least `want` bytes or the file ends.
    fn fill(&mut self, want: usize) -> Result<()> {
        if self.eof || self.carry.len() >= want {
            return Ok(());
        }
        // Appended without zeroing the buffer first (a 48 MB memset per chunk otherwise).
        let need = want - self.carry.len();
        self.carry.reserve(need);
        let n = (&mut self.file)
            .take(need as u64)
            .read_to_end(&mut self.carry)
            .with_context(|| format!("could not read `{}`", self.display))?;
        // `read_to_end` stops at the limit or at the end of the file.
        self.eof = n < need;
        Ok(())
    }

    /// The next chunk of whole records, or `None` at the end of the file.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>> {
        let mut want = self.chunk_bytes;
        loop {
            self.fill(want)?;
            if !self.header_skipped {
                match last_record_end(&self.carry, true) {
                    Some(end) => {
                        let (fields, _) = scan_records(&self.carry[..end], 0, 1);
                        self.fields = fields.first().map_or(1, |r| r.fields);
                        self.line += memchr::memchr_iter(b'\n', &self.carry[..end]).count() as u64;
                        self.carry.drain(..end);
                        self.header_skipped = true;
                        continue;
                    }
                    None if self.eof => {
                        self.carry.clear(); // a header and nothing else
                        return Ok(None);
                    }
                    None => {}
                }
            } else if self.eof {
                if self.carry.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(std::mem::take(&mut self.carry)));
            } else if let Some(end) = last_record_end(&self.carry, false) {
                let rest = self.carry.split_off(end);
                return Ok(Some(std::mem::replace(&mut self.carry, rest)));
            }
            // No record ends in what was read: read more, up to a bound.
            if want >= self.max_bytes {
                bail!(
                    "a quoted field in `{}` runs past {} MB without closing; check the file for \
                     an unbalanced quote",
                    self.display,
                    want / (1024 * 1024)
                );
            }
            want += self.chunk_bytes;
        }
    }
}

impl CsvChunks {
    /// The next chunk with its ragged records found and blanked (see [`Chunk`]).
    pub fn next_checked(&mut self) -> Result<Option<Chunk>> {
        let Some(mut bytes) = self.next_chunk()? else {
            return Ok(None);
        };
        let (found, newlines) = scan_records(&bytes, self.fields, self.line);
        let mut ragged = Vec::new();
        for r in found {
            // Fields emptied, newlines kept: a run of delimiters is a blank row to the parser.
            for b in &mut bytes[r.start..r.end] {
                if *b != b'\n' {
                    *b = b' ';
                }
            }
            ragged.push(Ragged {
                line: r.line,
                fields: r.fields,
                expected: self.fields,
            });
        }
        self.line += newlines;
        Ok(Some(Chunk { bytes, ragged }))
    }
}

/// A record found by [`scan_records`]: its byte range (without the newline), first line and
/// field count.
struct Scanned {
    start: usize,
    end: usize,
    line: u64,
    fields: usize,
}

/// The non-blank records of `buf` (whole records, starting outside quotes) whose field count
/// is not `expected` (every record when `expected` is 0), and the number of newlines in `buf`.
/// A delimiter counts outside quotes only; quote parity is tracked as the chunk cutter does.
fn scan_records(buf: &[u8], expected: usize, first_line: u64) -> (Vec<Scanned>, u64) {
    let mut found = Vec::new();
    let (mut in_quotes, mut fields, mut start) = (false, 1usize, 0usize);
    let (mut line, mut record_line) = (first_line, first_line);
    let mut finish = |start: usize, end: usize, fields: usize, line: u64| {
        let blank = buf[start..end].iter().all(|b| b.is_ascii_whitespace());
        if !blank && fields != expected {
            found.push(Scanned {
                start,
                end,
                line,
                fields,
            });
        }
    };
    for at in memchr::memchr3_iter(b',', b'"', b'\n', buf) {
        match buf[at] {
            b'"' => in_quotes = !in_quotes,
            b',' if !in_quotes => fields += 1,
            b'\n' => {
                line += 1;
                if !in_quotes {
                    finish(start, at, fields, record_line);
                    (fields, start, record_line) = (1, at + 1, line);
                }
            }
            _ => {}
        }
    }
    if start < buf.len() {
        finish(start, buf.len(), fields, record_line);
    }
    (found, line - first_line)
}

/// Runs `each` on every chunk in order while another thread reads and splits the next one, so
/// the disk read and the quote scan overlap polars' work on the current chunk. At most one
/// chunk waits beside the one being worked on.
pub fn for_each_chunk(
    mut chunks: CsvChunks,
    mut each: impl FnMut(Chunk) -> Result<()>,
) -> Result<()> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Option<Chunk>>>(1);
        scope.spawn(move || loop {
            let next =
                crate::progress::time_part("cut chunks (reader thread)", || chunks.next_checked());
            let more = matches!(next, Ok(Some(_)));
            // A closed channel means the consumer stopped (an error): stop reading.
            if tx.send(next).is_err() || !more {
                break;
            }
        });
        for next in rx.iter() {
            match next? {
                Some(bytes) => each(bytes)?,
                None => break,
            }
        }
        Ok(())
    })
}

/// The offset just past the last newline outside quotes (or the first, with `first`), counting
/// quote parity from the start of `buf`. A newline is outside quotes when an even number of
/// quotes precedes it. Quotes are counted a segment at a time with a vectorised count rather
/// than visited one by one (a metadata JSON column has several per line); the last newline of a
/// chunk is almost always a record end, so usually one count over the chunk decides.
fn last_record_end(buf: &[u8], first: bool) -> Option<usize> {
    if first {
        let mut quotes = 0;
        let mut from = 0;
        for nl in memchr::memchr_iter(b'\n', buf) {
            quotes += count_quotes(&buf[from..nl]);
            from = nl;
            if quotes.is_multiple_of(2) {
                return Some(nl + 1);
            }
        }
        return None;
    }
    // Quotes before `end`, walking back one newline at a time.
    let mut end = buf.len();
    let mut quotes = count_quotes(buf);
    while let Some(nl) = memchr::memrchr(b'\n', &buf[..end]) {
        quotes -= count_quotes(&buf[nl..end]);
        if quotes.is_multiple_of(2) {
            return Some(nl + 1);
        }
        end = nl;
    }
    None
}

fn count_quotes(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'"').count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn chunks(text: &str, size: usize) -> Vec<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, text).unwrap();
        let mut c = CsvChunks::with_sizes(&path, size, 1 << 20).unwrap();
        let mut out = Vec::new();
        while let Some(chunk) = c.next_chunk().unwrap() {
            out.push(String::from_utf8(chunk).unwrap());
        }
        out
    }

    #[test]
    fn chunks_end_at_record_boundaries_outside_quotes() {
        let text = "a,b\n1,\"x\ny\"\n2,\"he said \"\"hi\"\"\"\n3,z";
        let got = chunks(text, 4);
        assert_eq!(got.concat(), "1,\"x\ny\"\n2,\"he said \"\"hi\"\"\"\n3,z");
        // Every chunk but the last ends a record; none splits the quoted newline.
        for c in &got[..got.len() - 1] {
            assert!(c.ends_with('\n'), "{c:?}");
        }
        assert!(got.iter().all(|c| c != "1,\"x\n"));
    }

    #[test]
    fn chunks_read_ahead_arrive_in_order_and_errors_stop_the_reader() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let body: String = (0..500).map(|i| format!("{i},x\n")).collect();
        std::fs::write(&path, format!("a,b\n{body}")).unwrap();
        let mut got = String::new();
        let chunks = CsvChunks::with_sizes(&path, 64, 1 << 20).unwrap();
        for_each_chunk(chunks, |c| {
            got.push_str(std::str::from_utf8(&c.bytes).unwrap());
            Ok(())
        })
        .unwrap();
        assert_eq!(got, body);
        let mut seen = 0;
        let chunks = CsvChunks::with_sizes(&path, 64, 1 << 20).unwrap();
        let err = for_each_chunk(chunks, |_| {
            seen += 1;
            anyhow::ensure!(seen < 3, "stop at the third chunk");
            Ok(())
        })
        .unwrap_err();
        assert_eq!(seen, 3);
        assert!(err.to_string().contains("third chunk"));
    }

    #[test]
    fn ragged_records_are_found_by_line_and_blanked_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        // Line 3 has an extra unquoted delimiter, line 5 (a quoted newline spans 4-5 before
        // it) lost its tail, and the quoted delimiters of line 4 are not fields.
        let text = "a,b,c\n1,2,3\n1,234.56,x,y\n\"p,q\nr\",2,3\n37\n\n4,5,6";
        std::fs::write(&path, text).unwrap();
        let mut c = CsvChunks::with_sizes(&path, 1 << 10, 1 << 20).unwrap();
        let chunk = c.next_checked().unwrap().unwrap();
        assert_eq!(
            chunk.ragged,
            [
                Ragged {
                    line: 3,
                    fields: 4,
                    expected: 3
                },
                Ragged {
                    line: 6,
                    fields: 1,
                    expected: 3
                },
            ]
        );
        let text = String::from_utf8(chunk.bytes).unwrap();
        assert_eq!(text, "1,2,3\n            \n\"p,q\nr\",2,3\n  \n\n4,5,6");
        assert!(chunk.ragged[0].reason().contains("fix line 3"));
    }

    proptest! {
        /// Lines keep counting across chunks of any size: a ragged record's line is the
        /// same whether the file is read whole or in tiny chunks.
        #[test]
        fn ragged_lines_do_not_depend_on_the_chunk_size(
            rows in proptest::collection::vec((0usize..4, any::<bool>()), 1..40),
            size in 1usize..64,
        ) {
            let mut text = String::from("h1,h2,h3\n");
            let mut want = Vec::new();
            let mut line = 2u64;
            for (i, (extra, quoted_newline)) in rows.iter().enumerate() {
                let first = if *quoted_newline { "\"x\ny\"" } else { "x" };
                let fields = 3 + extra - 1;
                let cells: Vec<String> = (0..fields).map(|j| if j == 0 { first.to_string() } else { format!("{i}") }).collect();
                if fields != 3 {
                    want.push(line);
                }
                text.push_str(&cells.join(","));
                text.push('\n');
                line += 1 + u64::from(*quoted_newline);
            }
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("f.csv");
            std::fs::write(&path, &text).unwrap();
            let mut c = CsvChunks::with_sizes(&path, size, 1 << 20).unwrap();
            let mut got = Vec::new();
            while let Some(chunk) = c.next_checked().unwrap() {
                got.extend(chunk.ragged.iter().map(|r| r.line));
            }
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn a_header_alone_has_no_chunks() {
        assert!(chunks("a,b\n", 3).is_empty());
        assert!(chunks("a,b", 3).is_empty());
    }

    #[test]
    fn an_unbalanced_quote_is_an_error_not_a_whole_file_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        let mut text = String::from("a,b\n1,\"open\n");
        for i in 0..200 {
            text.push_str(&format!("{i},x\n"));
        }
        std::fs::write(&path, text).unwrap();
        let mut c = CsvChunks::with_sizes(&path, 16, 256).unwrap();
        let err = loop {
            match c.next_chunk() {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("read to the end"),
                Err(e) => break e,
            }
        };
        assert!(err.to_string().contains("unbalanced quote"), "{err}");
    }

    proptest! {
        /// Whatever the chunk size, the chunks put back together are the file without its
        /// header, and each chunk holds whole records.
        #[test]
        fn chunks_reassemble_the_file(
            rows in proptest::collection::vec(("[a-z\n\",]{0,12}", 0u32..1000), 0..40),
            size in 1usize..64,
        ) {
            let mut body = String::new();
            for (text, n) in &rows {
                body.push_str(&format!("\"{}\",{n}\n", text.replace('"', "\"\"")));
            }
            let text = format!("h1,h2\n{body}");
            let got = chunks(&text, size);
            prop_assert_eq!(got.concat(), body);
            for c in &got {
                prop_assert_eq!(c.matches('"').count() % 2, 0);
            }
        }

        /// The segment-counting search finds the same record end as visiting every quote and
        /// newline in turn, on any mix of quotes, newlines and text.
        #[test]
        fn record_ends_match_a_quote_by_quote_walk(
            buf in proptest::collection::vec(prop_oneof![Just(b'"'), Just(b'\n'), Just(b'a')], 0..200),
            first in any::<bool>(),
        ) {
            let mut in_quotes = false;
            let mut want = None;
            for (i, b) in buf.iter().enumerate() {
                match b {
                    b'"' => in_quotes = !in_quotes,
                    b'\n' if !in_quotes => {
                        want = Some(i + 1);
                        if first {
                            break;
                        }
                    }
                    _ => {}
                }
            }
            prop_assert_eq!(last_record_end(&buf, first), want);
        }
    }
}
