//! Progress on stderr, for people at a terminal: a bar over the input files, then one line per
//! pipeline stage with a spinner that keeps moving while a long stage (a multi-gigabyte log,
//! the analyses) runs. Hidden when stderr is not a TTY or `--quiet` is set, so cron runs and
//! pipes see nothing.
//!
//! `SPEND_AUDIT_TIMINGS=1` also prints each stage's wall time to stderr (`timing: reading
//! exports 1.23 s`), with or without a terminal, and after it the time spent in the named parts
//! of that stage ([`time_part`]; `timing: reading exports: parse CSV chunks 0.80 s`); the
//! benchmark script reads them.

use indicatif::{ProgressBar, ProgressStyle};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The run's progress display; every method is a no-op when it is hidden.
pub struct Progress {
    bar: Option<ProgressBar>,
    /// The stage being timed and when it started, when timings are on.
    timing: Option<Mutex<(String, Instant)>>,
}

/// Whether `SPEND_AUDIT_TIMINGS` asks for stage timings (read once).
fn timings_on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var_os("SPEND_AUDIT_TIMINGS").is_some_and(|v| !v.is_empty() && v != "0")
    })
}

/// Time spent in named parts of the current stage, in first-seen order.
static PARTS: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());

/// Runs `f`, adding its wall time to the part `name` of the current stage when timings are
/// on. Parts may overlap (one runs on the reader thread while another runs on polars'), so
/// they need not add up to the stage.
pub fn time_part<T>(name: &'static str, f: impl FnOnce() -> T) -> T {
    if !timings_on() {
        return f();
    }
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let mut parts = PARTS.lock().unwrap_or_else(|e| e.into_inner());
    match parts.iter_mut().find(|(n, _)| *n == name) {
        Some((_, d)) => *d += took,
        None => parts.push((name, took)),
    }
    out
}

impl Progress {
    /// A bar over `files` inputs, or nothing when `visible` is false.
    pub fn files(visible: bool, files: usize) -> Progress {
        let bar = visible.then(|| {
            let pb = ProgressBar::new(files as u64);
            pb.set_style(
                ProgressStyle::with_template(
                    "{spinner} reading exports [{bar:30}] {pos}/{len} {wide_msg}",
                )
                .expect("static template")
                .progress_chars("=> "),
            );
            // The spinner moves during one long file, when the bar cannot.
            pb.enable_steady_tick(Duration::from_millis(120));
            pb
        });
        let timing =
            timings_on().then(|| Mutex::new(("reading exports".to_string(), Instant::now())));
        Progress { bar, timing }
    }

    /// Prints the finished stage's wall time and starts timing `next`.
    fn lap(&self, next: &str) {
        if let Some(t) = &self.timing {
            let mut t = t.lock().unwrap_or_else(|e| e.into_inner());
            eprintln!("timing: {} {:.2} s", t.0, t.1.elapsed().as_secs_f64());
            let mut parts = PARTS.lock().unwrap_or_else(|e| e.into_inner());
            for (name, took) in parts.drain(..) {
                eprintln!("timing: {}: {} {:.2} s", t.0, name, took.as_secs_f64());
            }
            *t = (next.to_string(), Instant::now());
        }
    }

    /// One input file started.
    pub fn file(&self, name: &str) {
        if let Some(pb) = &self.bar {
            pb.set_message(name.to_string());
            pb.inc(1);
        }
    }

    /// The file bar is done; from here on a spinner names the current stage.
    pub fn stage(&self, name: &str) {
        self.lap(name);
        if let Some(pb) = &self.bar {
            if pb.length().is_some() {
                pb.set_style(
                    ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
                        .expect("static template"),
                );
                pb.reset_elapsed();
                pb.unset_length();
            }
            pb.set_message(name.to_string());
        }
    }
}

/// Cleared however the run ends (an error between stages included), so the summary or the
/// error message that follows on stderr starts on a clean line.
impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(pb) = &self.bar {
            pb.finish_and_clear();
        }
        self.lap("");
    }
}
