//! Bounded decompression of `.gz` inputs and ZIP members.
//!
//! Compressed inputs are inflated as a stream into a temporary copy, counting bytes as they
//! come: a member that passes the size cap, or (past a floor) inflates more than the ratio cap
//! times its compressed size, stops at once and is rejected by name, and its partial copy is
//! deleted. So a 10 MB bomb costs at most the cap in the temp folder, never 10 GB. Defaults
//! are documented in the README and raised with `--max-inflated-size` and
//! `--max-inflate-ratio`. Temporary copies are removed when their file is read, and those of
//! a killed run by the next run.

use std::io::{Read, Write};
use std::sync::OnceLock;

/// Caps on one decompressed input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest decompressed size of one file or member, in bytes.
    pub max_bytes: u64,
    /// Largest decompressed-to-compressed ratio, enforced once the output passes
    /// `ratio_floor` (small files legitimately compress very well).
    pub max_ratio: u64,
    pub ratio_floor: u64,
}

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;

/// 4 GiB per file, 200× past 64 MiB: a month's CUR or gateway log inflates 5–30×.
pub const DEFAULT_LIMITS: Limits = Limits {
    max_bytes: 4 * GIB,
    max_ratio: 200,
    ratio_floor: 64 * MIB,
};

static LIMITS: OnceLock<Limits> = OnceLock::new();

/// Sets the run's caps (once, from the command line); later calls are ignored.
pub fn set_limits(limits: Limits) {
    let _ = LIMITS.set(limits);
}

/// The run's caps: as set, else [`DEFAULT_LIMITS`].
pub fn limits() -> Limits {
    LIMITS.get().copied().unwrap_or(DEFAULT_LIMITS)
}

/// Why an input was not decompressed.
#[derive(Debug, thiserror::Error)]
pub enum InflateError {
    #[error(
        "it inflates past {} (the cap on one decompressed input); if the file is genuine, raise `--max-inflated-size`",
        human(*cap)
    )]
    TooLarge { cap: u64 },
    #[error(
        "it inflates more than {cap}× its compressed size ({} → over {}), the mark of a decompression bomb; if the file is genuine, raise `--max-inflate-ratio`",
        human(*compressed),
        human(*inflated)
    )]
    Ratio {
        cap: u64,
        compressed: u64,
        inflated: u64,
    },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// `4 GiB`, `512 MiB`, `300 KiB`, `12 B`.
pub fn human(bytes: u64) -> String {
    let units = [(GIB, "GiB"), (MIB, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in units {
        if bytes >= size {
            let v = bytes as f64 / size as f64;
            return if v.fract() == 0.0 {
                format!("{v:.0} {unit}")
            } else {
                format!("{v:.1} {unit}")
            };
        }
    }
    format!("{bytes} B")
}

/// `4G`, `4GiB`, `512M`, `100k`, `1000000`: a size in bytes (binary units).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| {
        format!("`{text}` is not a size; write it as e.g. `4G`, `512M` or `1000000`")
    })?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => MIB,
        "g" | "gb" | "gib" => GIB,
        "t" | "tb" | "tib" => GIB << 10,
        _ => return Err(format!("`{text}` has an unknown unit; use K, M, G or T")),
    };
    n.checked_mul(mult)
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("`{text}` is out of range"))
}

/// Copies `reader` (a decompressor) to `writer`, stopping with an error as soon as a cap is
/// passed. `compressed` is the input's compressed size, for the ratio.
pub fn copy_bounded(
    reader: &mut dyn Read,
    writer: &mut dyn Write,
    compressed: u64,
    limits: Limits,
) -> Result<u64, InflateError> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        total += n as u64;
        if total > limits.max_bytes {
            return Err(InflateError::TooLarge {
                cap: limits.max_bytes,
            });
        }
        if total > limits.ratio_floor && total > compressed.max(1).saturating_mul(limits.max_ratio)
        {
            return Err(InflateError::Ratio {
                cap: limits.max_ratio,
                compressed,
                inflated: total,
            });
        }
        writer.write_all(&buf[..n])?;
    }
    Ok(total)
}

/// The prefix of this process's temporary copies: `spend-audit-<pid>-`.
pub fn temp_prefix() -> String {
    format!("spend-audit-{}-", std::process::id())
}

/// Removes temporary copies that runs no longer alive left in the temp folder (a killed run
/// cannot remove its own). Linux only, where a process's liveness is `/proc/<pid>`.
pub fn remove_stale_temp_copies() {
    #[cfg(target_os = "linux")]
    {
        let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
            return;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let Some(pid) = name
                .strip_prefix("spend-audit-")
                .and_then(|rest| rest.split('-').next())
                .and_then(|p| p.parse::<u32>().ok())
            else {
                continue;
            };
            if pid != std::process::id() && !std::path::Path::new(&format!("/proc/{pid}")).exists()
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn the_size_cap_stops_the_copy_at_the_cap() {
        let data = vec![b'\n'; 3 * MIB as usize];
        let packed = gz(&data);
        let limits = Limits {
            max_bytes: MIB,
            ..DEFAULT_LIMITS
        };
        let mut out = Vec::new();
        let err = copy_bounded(
            &mut flate2::read::GzDecoder::new(&packed[..]),
            &mut out,
            packed.len() as u64,
            limits,
        )
        .unwrap_err();
        assert!(matches!(err, InflateError::TooLarge { .. }), "{err}");
        assert!(
            err.to_string().contains("1 MiB") && err.to_string().contains("--max-inflated-size")
        );
        assert!(out.len() as u64 <= MIB, "wrote {} bytes", out.len());
    }

    #[test]
    fn the_ratio_cap_applies_past_its_floor_only() {
        let data = vec![b'\n'; 2 * MIB as usize];
        let packed = gz(&data);
        let strict = Limits {
            max_bytes: GIB,
            max_ratio: 10,
            ratio_floor: 1 << 10,
        };
        let err = copy_bounded(
            &mut flate2::read::GzDecoder::new(&packed[..]),
            &mut std::io::sink(),
            packed.len() as u64,
            strict,
        )
        .unwrap_err();
        assert!(matches!(err, InflateError::Ratio { cap: 10, .. }), "{err}");
        // Under the floor, the same ratio passes.
        let n = copy_bounded(
            &mut flate2::read::GzDecoder::new(&packed[..]),
            &mut std::io::sink(),
            packed.len() as u64,
            Limits {
                ratio_floor: 4 * MIB,
                ..strict
            },
        )
        .unwrap();
        assert_eq!(n, 2 * MIB);
    }

    #[test]
    fn sizes_parse_in_binary_units() {
        assert_eq!(parse_size("4G"), Ok(4 * GIB));
        assert_eq!(parse_size("512MiB"), Ok(512 * MIB));
        assert_eq!(parse_size("100k"), Ok(100 << 10));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("4 parsecs").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(human(4 * GIB), "4 GiB");
    }
}
