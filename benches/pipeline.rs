//! Benchmarks: ingest + pricing of a generated 1M-row LiteLLM spend log, and the analysis stage
//! on the resulting ledger. Run with `cargo bench --bench pipeline`; figures go in the README.
//!
//! Peak memory (VmHWM from /proc) is printed at the end, since divan measures time only.

use spend_audit::analysis::{self, AnalysisCtx};
use spend_audit::audit::ingest_and_price;
use spend_audit::pricing::Catalog;
use spend_audit::settings::{AnalysisSettings, Config};
use spend_audit::util::Month;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const ROWS: usize = 1_000_000;

/// Writes the log once per process: 1M requests over October 2026, four models, 40 teams.
fn log_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("spend-audit-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut w = std::io::BufWriter::new(std::fs::File::create(dir.join("spend_logs.csv")).unwrap());
        writeln!(w, "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,model,model_group,custom_llm_provider,user,metadata,request_tags,team_id,status").unwrap();
        let models = [
            ("gpt-4.1-2025-04-14", "openai"),
            ("gpt-4o-mini-2024-07-18", "openai"),
            ("claude-sonnet-4-5-20250929", "anthropic"),
            ("claude-haiku-4-5-20251001", "anthropic"),
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..ROWS {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let (model, provider) = models[(x % 4) as usize];
            let prompt = 200 + x % 4000;
            let completion = 10 + (x >> 16) % 600;
            let secs = 1_790_812_800 + (i as u64 * 2_678_400 / ROWS as u64);
            let ts = chrono::DateTime::from_timestamp(secs as i64, 0).unwrap().format("%Y-%m-%d %H:%M:%S%.3f+00");
            let team = (x >> 32) % 40;
            writeln!(
                w,
                "req-{i},acompletion,{:016x},{:.6},{},{prompt},{completion},{ts},{ts},{model},grp,{provider},u-{},\"{{\"\"user_api_key_team_alias\"\": \"\"team-{team}\"\"}}\",\"[\"\"prod\"\"]\",team-{team},success",
                x,
                (prompt * 2 + completion * 8) as f64 / 1e6,
                prompt + completion,
                x % 500
            )
            .unwrap();
        }
        w.flush().unwrap();
        dir
    })
}

fn main() {
    log_dir();
    divan::main();
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        for line in status.lines().filter(|l| l.starts_with("VmHWM")) {
            println!(
                "peak resident memory of the bench process: {}",
                line.trim_start_matches("VmHWM:").trim()
            );
        }
    }
    let _ = std::fs::remove_dir_all(log_dir());
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn ingest_and_price_1m_rows(bencher: divan::Bencher) {
    let catalog = Catalog::embedded().unwrap();
    let config = Config::default();
    let dir = log_dir();
    let files = spend_audit::ingest::walk(dir, None).unwrap();
    bencher
        .counter(divan::counter::ItemsCount::new(ROWS))
        .bench(|| {
            let (builder, outcome) =
                ingest_and_price(dir, &files, &catalog, &config, None, &mut |_| {});
            assert_eq!(outcome.inputs[0].rows as usize, ROWS);
            builder.finish().unwrap()
        });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn analyses_on_1m_row_log(bencher: divan::Bencher) {
    let catalog = Catalog::embedded().unwrap();
    let dir = log_dir();
    let files = spend_audit::ingest::walk(dir, None).unwrap();
    let (builder, _) =
        ingest_and_price(dir, &files, &catalog, &Config::default(), None, &mut |_| {});
    let ledger = builder.finish().unwrap();
    let settings = AnalysisSettings::default();
    let month = Month::parse("2026-10").unwrap();
    bencher
        .counter(divan::counter::ItemsCount::new(ledger.height()))
        .bench(|| {
            let ctx = AnalysisCtx::build(&settings, &catalog, month, &ledger, None).unwrap();
            analysis::run_all(&ctx).len()
        });
}
