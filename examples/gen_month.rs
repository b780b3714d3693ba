//! Writes a month of gateway traffic for the benchmark: N LiteLLM `SpendLogs` requests in the
//! export's real column order, with a realistic `metadata` JSON column, plus the demo's other
//! exports (cost CSVs, usage, seats) copied beside it.
//!
//! ```text
//! cargo run --release --example gen_month -- --requests 3100000 --out /tmp/month
//! ```
//!
//! Traffic follows office hours on weekdays, 40 teams of very different sizes, eight models on
//! five platforms, and log-normal prompt and output sizes per team. The output is the same for
//! the same arguments (a fixed-seed generator), so runs compare like with like.

use std::io::Write;
use std::path::{Path, PathBuf};

#[path = "../tests/support/xorshift.rs"]
mod xorshift;
use xorshift::Rng;

/// (model, model_group, custom_llm_provider, api_base, $ per 1M input, $ per 1M output)
const MODELS: &[(&str, &str, &str, &str, f64, f64)] = &[
    ("gpt-4.1-2025-04-14", "chat-large", "openai", "", 2.0, 8.0),
    (
        "gpt-4.1-mini-2025-04-14",
        "chat-small",
        "openai",
        "",
        0.4,
        1.6,
    ),
    (
        "gpt-4o-mini-2024-07-18",
        "chat-mini",
        "openai",
        "",
        0.15,
        0.6,
    ),
    (
        "claude-sonnet-4-5-20250929",
        "claude-large",
        "anthropic",
        "",
        3.0,
        15.0,
    ),
    (
        "claude-haiku-4-5-20251001",
        "claude-small",
        "anthropic",
        "",
        1.0,
        5.0,
    ),
    (
        "azure/gpt-4.1",
        "azure-large",
        "azure",
        "https://contoso-eastus.openai.azure.com/",
        2.0,
        8.0,
    ),
    (
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "bedrock-large",
        "bedrock",
        "",
        3.3,
        16.5,
    ),
    (
        "vertex_ai/gemini-2.5-flash",
        "gemini-flash",
        "vertex_ai",
        "",
        0.3,
        2.5,
    ),
];

struct Team {
    name: String,
    keys: Vec<String>,
    models: Vec<usize>,
    /// ln of the median prompt and output sizes.
    prompt_mu: f64,
    output_mu: f64,
    /// Share of requests whose prompt was served from cache.
    cache_share: f64,
}

fn teams(rng: &mut Rng) -> Vec<Team> {
    let names = [
        "support",
        "search",
        "contracts",
        "ads",
        "analytics",
        "sales",
        "legal",
        "hr",
        "finance",
        "platform",
        "mobile",
        "web",
        "data",
        "ml",
        "security",
        "ops",
        "growth",
        "billing",
        "content",
        "translation",
        "research",
        "qa",
        "devex",
        "docs",
        "onboarding",
        "risk",
        "fraud",
        "pricing",
        "catalog",
        "logistics",
        "crm",
        "marketing",
        "design",
        "partner",
        "procurement",
        "compliance",
        "it",
        "payroll",
        "voice",
        "vision",
    ];
    names
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let nkeys = 1 + (rng.next() % 3) as usize;
            let nmodels = 1 + (rng.next() % 3) as usize;
            Team {
                name: n.to_string(),
                keys: (0..nkeys).map(|k| format!("{n}-key-{k}")).collect(),
                models: (0..nmodels)
                    .map(|k| (i * 3 + k * 5) % MODELS.len())
                    .collect(),
                prompt_mu: (400.0 + rng.unit() * 6000.0).ln(),
                output_mu: (40.0 + rng.unit() * 500.0).ln(),
                cache_share: rng.unit() * 0.6,
            }
        })
        .collect()
}

/// Relative traffic per hour of a weekday (UTC), busiest mid-morning and mid-afternoon.
const HOURLY: [f64; 24] = [
    0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.6, 2.4, 2.8, 2.6, 2.0, 2.4, 2.8, 2.6, 2.2, 1.6, 1.0,
    0.7, 0.5, 0.4, 0.3, 0.25,
];

/// 2026-10-01T00:00:00Z.
const OCT1: i64 = 1_790_812_800;

fn civil(secs: i64) -> (i64, u32, u32, u32, u32, u32) {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // H. Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (
        if m <= 2 { y + 1 } else { y },
        m,
        d,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

fn main() {
    let mut requests: u64 = 3_100_000;
    let mut out = PathBuf::from("bench-month");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--requests" => {
                requests = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--requests N")
            }
            "--out" => out = PathBuf::from(args.next().expect("--out DIR")),
            _ => {
                eprintln!("usage: gen_month [--requests N] [--out DIR]");
                std::process::exit(2);
            }
        }
    }
    copy_demo_exports(&out);
    let path = out.join("gateway").join("litellm_spend_logs_2026-10.csv");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).unwrap());
    writeln!(w, "request_id,call_type,api_key,spend,total_tokens,prompt_tokens,completion_tokens,startTime,endTime,completionStartTime,model,model_id,model_group,custom_llm_provider,api_base,user,metadata,cache_hit,cache_key,request_tags,team_id,end_user,requester_ip_address,status").unwrap();

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let teams = teams(&mut rng);
    // Team sizes follow a power law: the first teams carry most of the traffic.
    let weights: Vec<f64> = (0..teams.len())
        .map(|i| 1.0 / (i as f64 + 1.0).powf(1.1))
        .collect();
    let total_w: f64 = weights.iter().sum();
    // Hour slots of the month, weighted by time of day and weekday.
    let mut slots: Vec<(i64, f64)> = Vec::new();
    for day in 0..31i64 {
        let weekday = (day + 3) % 7; // 2026-10-01 is a Thursday (0 = Monday)
        let day_w = if weekday >= 5 { 0.25 } else { 1.0 };
        for (h, hw) in HOURLY.iter().enumerate() {
            slots.push((OCT1 + day * 86_400 + h as i64 * 3_600, day_w * hw));
        }
    }
    let slot_total: f64 = slots.iter().map(|s| s.1).sum();
    let mut written = 0u64;
    for (si, (slot_start, _)) in slots.iter().enumerate() {
        // Requests in this hour, so the month adds up to exactly `requests`.
        let upto = if si + 1 == slots.len() {
            requests
        } else {
            let cum: f64 = slots[..=si].iter().map(|s| s.1).sum();
            (requests as f64 * cum / slot_total).round() as u64
        };
        while written < upto {
            let i = written;
            written += 1;
            let mut pick = rng.unit() * total_w;
            let mut t = 0;
            while t + 1 < teams.len() && pick >= weights[t] {
                pick -= weights[t];
                t += 1;
            }
            let team = &teams[t];
            let m = team.models[(rng.next() % team.models.len() as u64) as usize];
            let (model, group, provider, api_base, pin, pout) = MODELS[m];
            let key = &team.keys[(rng.next() % team.keys.len() as u64) as usize];
            let prompt = (team.prompt_mu + 0.8 * rng.normal())
                .exp()
                .clamp(1.0, 180_000.0) as u64;
            let completion = (team.output_mu + 0.7 * rng.normal())
                .exp()
                .clamp(1.0, 16_000.0) as u64;
            let cached = if rng.unit() < team.cache_share {
                prompt * (30 + rng.next() % 60) / 100
            } else {
                0
            };
            let spend = ((prompt - cached) as f64 * pin
                + cached as f64 * pin * 0.25
                + completion as f64 * pout)
                / 1e6;
            let start_ms = slot_start * 1000 + (rng.next() % 3_600_000) as i64;
            let dur_ms = 300 + (completion as i64 * 12) + (rng.next() % 800) as i64;
            let ts = |ms: i64| {
                let (y, mo, d, h, mi, s) = civil(ms.div_euclid(1000));
                format!(
                    "{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}.{:03}+00",
                    ms.rem_euclid(1000)
                )
            };
            let hashed = rng.next();
            let user = rng.next() % 400;
            write!(
                w,
                "chatcmpl-{i:010x},acompletion,{hashed:016x},{spend:.6},{},{prompt},{completion},{},{},,{model},dep-{provider},{group},{provider},{api_base},u-{user},",
                prompt + completion,
                ts(start_ms),
                ts(start_ms + dur_ms),
            )
            .unwrap();
            // LiteLLM's metadata column as its Postgres export writes it (`"key": value`).
            write!(
                w,
                "\"{{\"\"user_api_key\"\": \"\"{hashed:016x}\"\", \"\"user_api_key_alias\"\": \"\"{key}\"\", \"\"user_api_key_team_id\"\": \"\"team-{}\"\", \"\"user_api_key_team_alias\"\": \"\"{}\"\", \"\"user_api_key_user_id\"\": \"\"u-{user}\"\", \"\"requester_ip_address\"\": \"\"10.0.{}.{}\"\", \"\"model_group\"\": \"\"{group}\"\", \"\"usage_object\"\": {{\"\"completion_tokens\"\": {completion}, \"\"prompt_tokens\"\": {prompt}, \"\"total_tokens\"\": {}, \"\"prompt_tokens_details\"\": {{\"\"cached_tokens\"\": {cached}}}}}, \"\"spend_logs_metadata\"\": null, \"\"applied_guardrails\"\": []}}\"",
                team.name,
                team.name,
                user % 7,
                user % 250,
                prompt + completion,
            )
            .unwrap();
            writeln!(
                w,
                ",{},,\"[\"\"prod\"\", \"\"{}\"\"]\",team-{},,10.0.0.1,success",
                if cached > 0 { "True" } else { "False" },
                team.name,
                team.name,
            )
            .unwrap();
        }
    }
    w.flush().unwrap();
    eprintln!("wrote {requests} requests to `{}`", path.display());
}

/// The demo's other exports (bills, usage, seats), so the benchmark runs the whole audit.
fn copy_demo_exports(out: &Path) {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
    let mut stack = vec![demo.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            let rel = p.strip_prefix(&demo).unwrap();
            if p.is_dir() {
                stack.push(p);
            } else if !rel.starts_with("gateway") {
                let target = out.join(rel);
                std::fs::create_dir_all(target.parent().unwrap()).unwrap();
                std::fs::copy(&p, &target).unwrap();
            }
        }
    }
}
