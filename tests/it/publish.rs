//! Atomic publication: killed runs, concurrent runs, kept runs, thread counts.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::workdir::{repo, Workdir};

fn real_pipeline(w: &Workdir, extra: &str) -> std::path::PathBuf {
    w.pipeline("real.toml", &repo().join("data/online_retail.csv.gz"), extra)
}

#[test]
fn sigkill_at_any_moment_leaves_the_published_set_intact() {
    let w = Workdir::new();
    let p = real_pipeline(&w, "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let before = w.published();
    // the real export takes about a second here: kill early, mid-way and late
    for delay_ms in [5, 120, 300, 500, 700, 900, 1100] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kindred"))
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let after = w.published();
        if status.success() {
            // it finished before the kill: a complete new set, same tables (only the manifest differs)
            assert_eq!(after.len(), 7);
            assert_eq!(after["recommendations.parquet"], before["recommendations.parquet"]);
        } else {
            assert_eq!(after, before, "killed after {delay_ms} ms: the published set changed");
        }
    }
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "the next run succeeds: {}", r.stderr);
    let names: Vec<String> = std::fs::read_dir(w.path("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.starts_with(".staging") || n.starts_with(".current-")), "{names:?}");
    assert_eq!(w.published()["neighbours.parquet"], before["neighbours.parquet"]);
}

#[test]
fn a_run_while_another_holds_the_lock_exits_4_naming_it() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &tiny, "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let before = w.published();
    let holder =
        kindred::publish::Publisher::open(&w.path("out"), &kindred::publish::new_run_id(), "2026-11-29T02:00:00Z")
            .unwrap();
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("pid {}", std::process::id())), "{}", r.stderr);
    assert!(r.stderr.contains("2026-11-29T02:00:00Z"), "{}", r.stderr);
    assert_eq!(w.published(), before);
    holder.abandon();
    // the holder is gone (as a dead pid would be): its lock is taken over
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
}

#[test]
fn two_concurrent_runs_never_mix_their_sets() {
    let w = Workdir::new();
    let p = real_pipeline(&w, "");
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_kindred"))
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code().unwrap(), b.status.code().unwrap()];
    assert!(codes.contains(&0), "{codes:?}");
    assert!(codes.iter().all(|c| *c == 0 || *c == 4), "{codes:?}");
    for o in [&a, &b] {
        if o.status.code() == Some(4) {
            assert!(String::from_utf8_lossy(&o.stderr).contains("another kindred run (pid"));
        }
    }
    let set = w.published();
    let manifest: serde_json::Value = serde_json::from_slice(&set["manifest.json"]).unwrap();
    let run = manifest["run_id"].as_str().unwrap();
    let current = std::fs::read_link(w.path("out/current")).unwrap();
    assert!(current.ends_with(run), "current {current:?} is the manifest's run {run}");
}

#[test]
fn keeps_the_last_n_runs_and_threads_do_not_change_tables() {
    let w = Workdir::new();
    let p = real_pipeline(&w, "keep_runs = 2"); // lands in [output], after dir
    let mut sets = Vec::new();
    for threads in ["1", "2", "1"] {
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--threads", threads]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        sets.push(w.published());
    }
    for name in
        ["recommendations.parquet", "neighbours.parquet", "purchases.parquet", "items.parquet", "null_audit.parquet"]
    {
        assert_eq!(sets[0][name], sets[1][name], "{name}: --threads 1 vs 2");
        assert_eq!(sets[0][name], sets[2][name], "{name}: run to run");
    }
    let runs: Vec<_> = std::fs::read_dir(w.path("out/runs")).unwrap().collect();
    assert_eq!(runs.len(), 2);
}
