//! Issue 12: output folders are written whole or not at all, by one run at a time, and a
//! refused run creates nothing.

use crate::common::{bin, copy_dir, files_under, repo};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Every file under `dir`, by relative path.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    files_under(dir)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().to_path_buf(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// The demo (`full`) or the demo without its usage-less cost export: two different complete
/// sets, so a mix of the two is visible.
fn inputs(work: &Path) -> (PathBuf, PathBuf) {
    let full = repo().join("fixtures/demo");
    let smaller = work.join("smaller");
    copy_dir(&full, &smaller, "");
    std::fs::remove_dir_all(smaller.join("openai-labs")).unwrap();
    (full, smaller)
}

fn audit_cmd(input: &Path, out: &Path) -> std::process::Command {
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("spend-audit"));
    c.arg("ingest")
        .arg(input)
        .arg("--config")
        .arg(repo().join("fixtures/demo.toml"))
        .arg("--out")
        .arg(out)
        .arg("--quiet")
        .env("SPEND_AUDIT_NO_HISTORY", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn run_to_end(input: &Path, out: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let status = audit_cmd(input, out).status().unwrap();
    assert!(status.success(), "{status}");
    tree(out)
}

/// Names in `dir` other than `keep`: what a run left beside its output.
fn litter(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !keep.contains(&n.as_str()))
        .collect()
}

#[test]
fn a_run_killed_at_random_moments_leaves_a_complete_set() {
    let work = tempfile::tempdir().unwrap();
    let (full, smaller) = inputs(work.path());
    let set_full = run_to_end(&full, &work.path().join("ref-full"));
    let set_smaller = run_to_end(&smaller, &work.path().join("ref-smaller"));
    assert_ne!(
        set_full, set_smaller,
        "the two inputs must give different sets"
    );

    let out = work.path().join("audit");
    assert_eq!(run_to_end(&full, &out), set_full);
    // Pseudo-random kill moments over a run's length (about a second), reproducible by seed.
    let mut seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64
        | 1;
    eprintln!("kill-moment seed {seed}");
    let mut killed_mid_run = 0;
    for round in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(seed % 1500);
        let input = if round % 2 == 0 { &smaller } else { &full };
        let mut child = audit_cmd(input, &out).spawn().unwrap();
        std::thread::sleep(delay);
        if child.try_wait().unwrap().is_none() {
            killed_mid_run += 1;
        }
        let _ = child.kill();
        let _ = child.wait();
        let now = tree(&out);
        assert!(
            now == set_full || now == set_smaller,
            "round {round}, killed after {delay:?}: the folder holds a mixed or partial set ({} files)",
            now.len()
        );
    }
    assert!(killed_mid_run > 0, "no run was killed before it finished");
    // The next run removes what killed runs left beside the folder, and finishes the set.
    assert_eq!(run_to_end(&smaller, &out), set_smaller);
    let left = litter(
        work.path(),
        &["audit", "ref-full", "ref-smaller", "smaller"],
    );
    assert!(left.is_empty(), "left beside the output: {left:?}");
}

#[test]
fn a_second_run_on_a_locked_folder_exits_2_and_touches_nothing() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("audit");
    let input = repo().join("fixtures/demo");
    let before = run_to_end(&input, &out);
    // A run in progress holds the lock file beside the folder.
    let lock_path = work.path().join(".audit.lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.try_lock().unwrap();
    let output = audit_cmd(&input, &out).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("another spend-audit run is writing") && err.contains(".audit.lock"),
        "{err}"
    );
    assert_eq!(tree(&out), before, "the locked folder is untouched");
    drop(lock);
    std::fs::remove_file(&lock_path).unwrap();
    // Released: the next run goes ahead and removes its lock file after.
    assert_eq!(run_to_end(&input, &out), before);
    assert!(!lock_path.exists());
}

#[test]
fn concurrent_runs_never_interleave() {
    let work = tempfile::tempdir().unwrap();
    let (full, smaller) = inputs(work.path());
    let set_full = run_to_end(&full, &work.path().join("ref-full"));
    let set_smaller = run_to_end(&smaller, &work.path().join("ref-smaller"));
    let out = work.path().join("audit");
    for _ in 0..3 {
        let a = audit_cmd(&full, &out).spawn().unwrap();
        let b = audit_cmd(&smaller, &out).spawn().unwrap();
        for child in [a, b] {
            let o = child.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => {}
                Some(2) => assert!(err.contains("another spend-audit run"), "{err}"),
                other => panic!("exit {other:?}: {err}"),
            }
        }
        let now = tree(&out);
        assert!(now == set_full || now == set_smaller, "interleaved outputs");
    }
}

#[test]
fn a_folder_of_other_files_is_refused_before_anything_is_read() {
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("documents");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("budget.xlsx"), "not ours").unwrap();
    let output = bin()
        .arg("ingest")
        .arg(repo().join("fixtures/demo"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        err.contains("did not write") && err.contains("documents"),
        "{err}"
    );
    assert_eq!(litter(&out, &[]), ["budget.xlsx"]);
    assert_eq!(
        litter(work.path(), &[]),
        ["documents"],
        "no lock or staging left"
    );
}

#[test]
fn a_refused_run_creates_nothing() {
    let work = tempfile::tempdir().unwrap();
    // The input folder is empty: refused (exit 2) after the lock was taken for `--out`.
    let empty = work.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = work.path().join("new/deeper/audit");
    let output = bin()
        .arg("ingest")
        .arg(&empty)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(litter(work.path(), &[]), ["empty"]);
}

/// Every way a run stops with exit 2 leaves the previous output folder exactly as it was, and
/// nothing beside it but the lock file: bad arguments, an empty input, an unreadable catalog
/// or config, currencies that cannot be added, a folder held by another run, and a catalog
/// that fails its check.
#[test]
fn every_exit_2_leaves_the_previous_outputs_untouched() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (full, _) = inputs(w);
    let out = w.join("audit");
    let before = run_to_end(&full, &out);
    let empty = w.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let currencies = w.join("currencies");
    copy_dir(&full, &currencies, "");
    let cost = crate::common::OPENAI_COST_HEADER;
    std::fs::write(
        currencies.join("eur.csv"),
        format!(
            "{cost}\n{}",
            crate::common::openai_cost_line(3, "1.00", "gpt-4.1, input", "A")
                .replace(",usd,", ",eur,")
        ),
    )
    .unwrap();
    let bad_config = w.join("bad.toml");
    std::fs::write(&bad_config, "[analysis\nthis is not toml").unwrap();
    let bad_catalog = w.join("bad-catalog");
    copy_dir(&repo().join("pricing"), &bad_catalog, "");
    std::fs::write(bad_catalog.join("openai.toml"), "[[models]]\nid = ").unwrap();
    let with = |input: &Path, args: &[&std::ffi::OsStr]| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("spend-audit"));
        c.arg("ingest")
            .arg(input)
            .arg("--out")
            .arg(&out)
            .args(args)
            .env("SPEND_AUDIT_NO_HISTORY", "1");
        c
    };
    let demo_config = repo().join("fixtures/demo.toml");
    let config = ["--config".as_ref(), demo_config.as_os_str()];
    // (what, the run, what its message must say)
    let cases: Vec<(&str, std::process::Command, &str)> = vec![
        (
            "a month that is not a month",
            with(
                &full,
                &[&config[..], &["--month".as_ref(), "2026-13".as_ref()]].concat(),
            ),
            "2026-13",
        ),
        ("an empty input folder", with(&empty, &config), "empty"),
        (
            "a config that is not TOML",
            with(&full, &["--config".as_ref(), bad_config.as_os_str()]),
            "bad.toml",
        ),
        (
            "a catalog that does not parse",
            with(
                &full,
                &[
                    &config[..],
                    &["--catalog".as_ref(), bad_catalog.as_os_str()],
                ]
                .concat(),
            ),
            "openai.toml",
        ),
        (
            "a bill in a currency with no rate",
            with(&currencies, &config),
            "mix currencies",
        ),
        (
            "a folder another run is writing",
            with(&full, &config),
            "another spend-audit run is writing",
        ),
    ];
    for (what, mut cmd, message) in cases {
        // The last case runs while this test holds the folder's lock, as a running audit does.
        let lock = (what == "a folder another run is writing").then(|| {
            let lock = std::fs::File::create(w.join(".audit.lock")).unwrap();
            lock.try_lock().unwrap();
            lock
        });
        let o = cmd.output().unwrap();
        drop(lock);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains(message), "{what}: {stderr}");
        assert!(tree(&out) == before, "{what}: the previous outputs changed");
        let left = litter(
            w,
            &[
                "audit",
                "empty",
                "currencies",
                "bad.toml",
                "bad-catalog",
                "smaller",
                ".audit.lock",
            ],
        );
        assert!(left.is_empty(), "{what}: left {left:?}");
    }
}
