#!/usr/bin/env bash
# The whole `spend-audit ingest` of a generated month against DuckDB's group-by of the same
# gateway log, run alternately in pairs in one run (this machine is noisy: compare ratios),
# with /usr/bin/time -v for peak RSS. Each pair also runs DuckDB's query written in polars
# (examples/polars_floor.rs), the engine's own floor. Writes BENCHMARKS.md.
#
#   benches/compare.sh [REQUESTS] [PAIRS]     default 3100000 requests, 3 pairs
#   SCALE10=1 benches/compare.sh              also runs ten times the requests, once
#
# Needs: a release build (done here), python3 with duckdb (`pip install duckdb`), GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-3100000}
pairs=${2:-3}
work=${BENCH_DIR:-${TMPDIR:-/tmp}/spend-audit-bench}
mkdir -p "$work"

# NO_BUILD=1 reuses the release binaries already in target/release.
[ "${NO_BUILD:-0}" = 1 ] || cargo build --release --locked --quiet --bin spend-audit --example gen_month --example polars_floor
bin=target/release/spend-audit
gen=target/release/examples/gen_month
floor=target/release/examples/polars_floor

month() { # requests -> folder
  local dir="$work/month-$1"
  if [ ! -f "$dir/gateway/litellm_spend_logs_2026-10.csv" ]; then
    "$gen" --requests "$1" --out "$dir" >&2
  fi
  echo "$dir"
}

# Runs a command under /usr/bin/time -v; prints "seconds kilobytes".
measure() {
  local log
  log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log" >&2; rm -f "$log"; return 1; }
  local wall rss
  # The audit's own stage timings (SPEND_AUDIT_TIMINGS): the last run's are kept.
  if grep -q '^timing:' "$log"; then grep '^timing:' "$log" >"$work/stages.txt"; fi
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
  rm -f "$log"
  # m:ss.cc or h:mm:ss -> seconds
  echo "$(echo "$wall" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }') $rss"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

dir=$(month "$requests")
log="$dir/gateway/litellm_spend_logs_2026-10.csv"
size=$(du -m "$log" | cut -f1)
: >"$work/tool.txt"; : >"$work/duck.txt"; : >"$work/floor.txt"; : >"$work/stages.txt"
for i in $(seq "$pairs"); do
  rm -rf "$work/out"
  SPEND_AUDIT_TIMINGS=1 measure "$bin" ingest "$dir" --out "$work/out" --quiet >>"$work/tool.txt"
  measure python3 benches/duckdb_gateway.py "$log" >>"$work/duck.txt"
  measure "$floor" "$log" >>"$work/floor.txt"
  echo "pair $i: tool $(tail -1 "$work/tool.txt"), duckdb $(tail -1 "$work/duck.txt"), polars $(tail -1 "$work/floor.txt")" >&2
done
tool_s=$(cut -d' ' -f1 "$work/tool.txt" | median)
tool_kb=$(cut -d' ' -f2 "$work/tool.txt" | median)
duck_s=$(cut -d' ' -f1 "$work/duck.txt" | median)
duck_kb=$(cut -d' ' -f2 "$work/duck.txt" | median)
floor_s=$(cut -d' ' -f1 "$work/floor.txt" | median)
floor_kb=$(cut -d' ' -f2 "$work/floor.txt" | median)
floor_ratio=$(awk -v a="$floor_s" -v b="$duck_s" 'BEGIN {printf "%.2f", a/b}')
ratio=$(awk -v a="$tool_s" -v b="$duck_s" 'BEGIN {printf "%.2f", a/b}')

scale_row=""
if [ "${SCALE10:-0}" = 1 ]; then
  big=$((requests * 10))
  bdir=$(month "$big")
  rm -rf "$work/out"
  read -r big_s big_kb < <(measure "$bin" ingest "$bdir" --out "$work/out" --quiet)
  bsize=$(du -m "$bdir/gateway/litellm_spend_logs_2026-10.csv" | cut -f1)
  growth=$(awk -v a="$big_s" -v b="$tool_s" 'BEGIN {printf "%.1f", a/b}')
  scale_row="| spend-audit ingest, ${big} requests (${bsize} MB log), once | ${big_s} s | $((big_kb / 1024)) MB | ${growth}× the ${requests}-request time |"
fi

# Issue 9's targets, checked from the figures above.
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "not met") }'; }
targets="| 3.1M requests: whole audit ≤ 1.5× DuckDB | ${ratio}× | $(verdict "$ratio" 1.5) |
| 3.1M requests: peak RSS ≤ 1.5 GB | $((tool_kb / 1024)) MB | $(verdict "$tool_kb" 1572864) |
| (context) polars alone, DuckDB's own query, ≤ 1.5× DuckDB | ${floor_ratio}× | $(verdict "$floor_ratio" 1.5) |"
if [ -n "$scale_row" ]; then
  targets="$targets
| 10× requests: peak RSS ≤ 8 GB | $((big_kb / 1024)) MB | $(verdict "$big_kb" 8388608) |
| 10× requests: time ≤ 11× | ${growth}× | $(verdict "$growth" 11) |"
fi
# Where the audit's time goes, from its last run at the base size.
stages=$(awk '{ s=$2; for (i=3; i<NF-1; i++) s=s" "$i; printf "| %s | %s s |\n", s, $(NF-1) }' "$work/stages.txt")
# The hand-written analysis below the notes marker survives a rerun.
notes=""
if [ -f BENCHMARKS.md ] && grep -q '^<!-- notes -->' BENCHMARKS.md; then
  notes=$(sed -n '/^<!-- notes -->/,$p' BENCHMARKS.md)
fi

cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
mem=$(awk '/MemTotal/ {printf "%.0f GB", $2/1048576}' /proc/meminfo)
polars_v=$(awk '/^name = "polars"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
duck_v=$(python3 -c 'import duckdb; print(duckdb.__version__)')
cat >BENCHMARKS.md <<MD
# Benchmarks

Written by \`benches/compare.sh ${requests} ${pairs}\`$( [ -n "$scale_row" ] && echo " with \`SCALE10=1\`") on $(date -u +%Y-%m-%d).
Machine: $(nproc) cores (${cpu}), ${mem}. Medians of ${pairs} alternating pairs in one run;
absolute times drift on this shared machine, so read the ratio.

The month: \`cargo run --release --example gen_month -- --requests ${requests}\`: ${requests}
LiteLLM \`SpendLogs\` requests (${size} MB CSV, metadata JSON column) plus the demo's bills,
usage export and seats.

| run | wall | peak RSS | vs DuckDB |
|---|---|---|---|
| spend-audit ingest, the whole audit (release build) | ${tool_s} s | $((tool_kb / 1024)) MB | ${ratio}× |
| DuckDB ${duck_v} (Python), bare group-by of the log: day × model_group × team, count, token sums, median output | ${duck_s} s | $((duck_kb / 1024)) MB | 1.00× |
| polars ${polars_v} (Rust, streaming engine, the engine this binary links): the same query (\`examples/polars_floor.rs\`) | ${floor_s} s | $((floor_kb / 1024)) MB | ${floor_ratio}× |
${scale_row}

Reproduce: \`pip install duckdb && benches/compare.sh ${requests} ${pairs}\`.

## Where the audit's time goes

The last ${requests}-request run's stages (\`SPEND_AUDIT_TIMINGS=1\`):

| stage | wall |
|---|---|
${stages}

## Issue 9's targets

| target | measured | status |
|---|---|---|
${targets}

${notes}
MD
cat BENCHMARKS.md
