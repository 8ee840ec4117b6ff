//! Sharded runs: prepare → shards (indexes from the schedulers' environment variables) →
//! publish gives `kindred run`'s tables; killed, doubled and missing shards.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::workdir::{data_at, key_values, repo, rows, Workdir};

/// The published tables compared byte for byte, the run id in their footers aside
/// (selection.parquet holds timings).
fn tables() -> impl Iterator<Item = &'static str> {
    kindred::write::file::ALL.into_iter().filter(|f| f.ends_with(".parquet") && *f != kindred::write::file::SELECTION)
}

/// `kindred shard` of `pipeline` into `out`, its index from the environment variable `var`.
fn shard(w: &Workdir, pipeline: &Path, out: &Path, var: &str, index: usize) -> Command {
    let mut c = crate::workdir::kindred_command();
    c.args(["shard", pipeline.to_str().unwrap(), "--output", out.to_str().unwrap(), "--quiet"])
        .env(var, index.to_string())
        .current_dir(w.path(""))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

fn args<'a>(cmd: &'a str, pipeline: &'a Path, out: &'a Path) -> Vec<&'a str> {
    vec![cmd, pipeline.to_str().unwrap(), "--output", out.to_str().unwrap(), "--quiet"]
}

/// `prepare` of `pipeline` into `out` for `shards` shards, quiet.
fn prepare_args<'a>(pipeline: &'a Path, out: &'a Path, shards: &'a str) -> Vec<&'a str> {
    [args("prepare", pipeline, out), vec!["--shards", shards]].concat()
}

/// Runs prepare (N shards), every shard as a separate process side by side — each index from
/// another scheduler's variable — and publish.
fn sharded(w: &Workdir, pipeline: &Path, out: &Path, shards: usize) {
    let n = shards.to_string();
    let prepare = prepare_args(pipeline, out, &n);
    let r = w.kindred(&prepare);
    assert_eq!(r.code, 0, "prepare: {}", r.stderr);
    let vars = ["JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID", "KINDRED_INDEX"];
    let children: Vec<_> =
        (0..shards).map(|i| shard(w, pipeline, out, vars[i % vars.len()], i).spawn().unwrap()).collect();
    for (i, c) in children.into_iter().enumerate() {
        let done = c.wait_with_output().unwrap();
        assert!(done.status.success(), "shard {i}: {}", String::from_utf8_lossy(&done.stderr));
    }
    let r = w.kindred(&args("publish", pipeline, out));
    assert_eq!(r.code, 0, "publish: {}", r.stderr);
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

/// The two folders' published tables are the same (selection.parquet but its timings; each
/// file's run id is its own run's; drift.parquet only when neither had a set before), and
/// every file names the run its manifest names.
fn same_tables(a: &Path, b: &Path) {
    let manifest = |dir: &Path| -> serde_json::Value { serde_json::from_slice(&read(dir, "manifest.json")).unwrap() };
    let first_runs =
        [a, b].iter().all(|d| manifest(d).pointer("/drift/previous_run_id") == Some(&serde_json::Value::Null));
    for t in tables().filter(|t| first_runs || *t != kindred::write::file::DRIFT) {
        assert!(data_at(&a.join(t)) == data_at(&b.join(t)), "{t} differs between {} and {}", a.display(), b.display());
    }
    for dir in [a, b] {
        let run_id = manifest(dir)["run_id"].as_str().unwrap().to_string();
        for t in kindred::write::file::ALL.into_iter().filter(|f| f.ends_with(".parquet")) {
            let kv = key_values(&dir.join(t));
            assert_eq!(kv.get("kindred.run_id"), Some(&run_id), "{t} in {}", dir.display());
        }
    }
    let without_seconds = |dir: &Path| {
        let mut r = rows(&dir.join("selection.parquet"));
        r.iter_mut().for_each(|row| drop(row.remove("seconds")));
        format!("{r:?}")
    };
    assert_eq!(without_seconds(a), without_seconds(b));
    let (ma, mb) = (manifest(a), manifest(b));
    let keys = |m: &serde_json::Value| m.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&ma), keys(&mb), "the same manifest fields");
    for field in ["/customers", "/items", "/pairs", "/reports/recommend/rows_out"] {
        assert_eq!(ma.pointer(field), mb.pointer(field), "{field}");
    }
    // the rows written, drift.parquet's aside unless both were first runs
    let written = |m: &serde_json::Value| -> u64 {
        let files = m.pointer("/reports/write/files").unwrap().as_array().unwrap();
        let counted = files.iter().filter(|f| first_runs || f["file"] != kindred::write::file::DRIFT);
        counted.map(|f| f["rows"].as_u64().unwrap()).sum()
    };
    assert_eq!(written(&ma), written(&mb), "/reports/write/files rows");
    // the report is made by the same function on both paths, from the same figures
    for (dir, m) in [(a, &ma), (b, &mb)] {
        let html = String::from_utf8(read(dir, "report.html")).unwrap();
        let customers = format!("id=\"customers\" class=\"num\" data-value=\"{}\"", m["customers"]);
        assert!(html.contains(&customers), "{}: report.html lacks {customers}", dir.display());
        assert_eq!(m.pointer("/reports/report/bytes").and_then(|b| b.as_u64()), Some(html.len() as u64));
    }
    // every other figure the same, to the bit (a value read back from JSON, a sum over the shards)
    let (fa, fb) = (same_figures(&ma, first_runs), same_figures(&mb, first_runs));
    let keys: std::collections::BTreeSet<&String> = fa.keys().chain(fb.keys()).collect();
    for k in keys {
        assert_eq!(fa.get(k), fb.get(k), "manifest {k}");
    }
}

/// The manifest's leaves by JSON pointer, but for what differs between any two runs (clock
/// times, costs, run ids, the output folder, the machine's free memory, the report's size, the
/// sharded run's own object, each written file's sha256: the run's id is in every table's
/// footer, its times in the report) and, unless both were first runs, the drift, the gates on
/// it and whether the export is the one published before.
fn same_figures(m: &serde_json::Value, first_runs: bool) -> std::collections::BTreeMap<String, serde_json::Value> {
    fn walk(v: &serde_json::Value, at: String, out: &mut std::collections::BTreeMap<String, serde_json::Value>) {
        match v {
            serde_json::Value::Object(o) => o.iter().for_each(|(k, x)| walk(x, format!("{at}/{k}"), out)),
            serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| walk(x, format!("{at}/{i}"), out)),
            leaf => drop(out.insert(at, leaf.clone())),
        }
    }
    let mut m = m.clone();
    // a Parquet file carries its run's id once, whose pid has as many digits as it happens to
    // have (999 in one run, 1001 in the other): its size is compared without it
    let id_len = m["run_id"].as_str().unwrap().len() as u64;
    for f in m.pointer_mut("/reports/write/files").and_then(|f| f.as_array_mut()).unwrap() {
        if f["file"].as_str().unwrap().ends_with(".parquet") {
            f["bytes"] = (f["bytes"].as_u64().unwrap() - id_len).into();
        }
    }
    if !first_runs {
        let files = m.pointer_mut("/reports/write/files").and_then(|f| f.as_array_mut()).unwrap();
        files.retain(|f| f["file"] != kindred::write::file::DRIFT);
        // the rows written count drift.parquet's
        m["reports"]["write"]["rows_out"] = serde_json::Value::Null;
        let stages = m["stages"].as_array_mut().unwrap();
        stages.retain(|s| s["name"] != "drift");
        stages.iter_mut().filter(|s| s["name"] == "write").for_each(|s| s["rows_out"] = serde_json::Value::Null);
    }
    let mut out = std::collections::BTreeMap::new();
    walk(&m, String::new(), &mut out);
    let varies = [
        "seconds",
        "cpu_seconds",
        "peak_rss_bytes",
        "started_utc",
        "finished_utc",
        "run_id",
        "memory_budget",
        "sequence",
    ];
    out.retain(|k, _| {
        let last = k.rsplit('/').next().unwrap_or_default();
        let written_file = k.starts_with("/reports/") && last == "sha256";
        !varies.contains(&last)
            && !written_file
            && !["/sharded", "/parameters/output/dir", "/reports/report/bytes"].iter().any(|p| k.starts_with(p))
            && (first_runs || !["/drift", "/gates", "/input/unchanged_since"].iter().any(|p| k.starts_with(p)))
    });
    out
}

#[test]
fn the_shipped_default_sharded_in_four_publishes_the_tables_of_one_run() {
    let w = Workdir::new();
    let pipeline = repo().join("pipelines/online_retail.toml");
    let (one, four) = (w.path("one"), w.path("four"));
    let r = w.kindred(&args("run", &pipeline, &one));
    assert_eq!(r.code, 0, "{}", r.stderr);
    sharded(&w, &pipeline, &four, 4);
    same_tables(&one, &four);
    let m: serde_json::Value = serde_json::from_slice(&read(&four, "manifest.json")).unwrap();
    let plan = m.pointer("/sharded/shard").unwrap().as_array().unwrap();
    assert_eq!(plan.len(), 4);
    // every customer once, in order, each shard starting on a block of 256
    assert_eq!(plan[0]["first"], 0);
    assert_eq!(plan[3]["end"], m["customers"]);
    for pair in plan.windows(2) {
        assert_eq!(pair[0]["end"], pair[1]["first"]);
        assert_eq!(pair[1]["first"].as_u64().unwrap() % 256, 0);
    }
    assert_eq!(m.pointer("/sharded/shards").unwrap(), 4);
    // the prepared run's own files and the shards' parts name the prepared run
    let prepared = m.pointer("/sharded/prepared_run_id").unwrap().as_str().unwrap();
    let folder = four.join("shards").join(prepared);
    let parts = std::fs::read_dir(folder.join("parts")).unwrap();
    let files: Vec<PathBuf> = std::fs::read_dir(&folder).unwrap().chain(parts).map(|e| e.unwrap().path()).collect();
    let parquet: Vec<&PathBuf> = files.iter().filter(|f| f.extension().is_some_and(|x| x == "parquet")).collect();
    assert!(parquet.len() >= 8, "{files:?}");
    for f in parquet {
        let kv = key_values(f);
        assert_eq!(kv.get("kindred.run_id").map(String::as_str), Some(prepared), "{}", f.display());
        assert_eq!(kv.get("kindred.version").map(String::as_str), Some(env!("CARGO_PKG_VERSION")));
    }
}

/// A `kindred generate` export and the article's pipeline (a user model: the shards learn it).
fn generated(w: &Workdir, customers: &str) -> PathBuf {
    let data = w.path("gen.parquet");
    let r = w.kindred(&["generate", data.to_str().unwrap(), customers, "400", "8"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let article = std::fs::read_to_string(repo().join("pipelines/article.toml")).unwrap();
    let article = article.lines().filter(|l| !l.trim_start().starts_with("path")).collect::<Vec<_>>().join("\n");
    let text = article.replacen("[input]", &format!("[input]\npath = {:?}", data.display().to_string()), 1);
    w.write("article.toml", text)
}

#[test]
fn generated_data_sharded_in_four_publishes_the_tables_of_one_run() {
    let w = Workdir::new();
    let pipeline = generated(&w, "3000");
    let (one, three) = (w.path("one"), w.path("four"));
    let r = w.kindred(&args("run", &pipeline, &one));
    assert_eq!(r.code, 0, "{}", r.stderr);
    sharded(&w, &pipeline, &three, 4);
    same_tables(&one, &three);
    let m: serde_json::Value = serde_json::from_slice(&read(&three, "manifest.json")).unwrap();
    assert_eq!(m.pointer("/reports/similarity/kind").unwrap(), "user");
    let one_m: serde_json::Value = serde_json::from_slice(&read(&one, "manifest.json")).unwrap();
    // the shards' works sum to the whole count's
    assert_eq!(m.pointer("/reports/similarity/pair_work"), one_m.pointer("/reports/similarity/pair_work"));
}

#[test]
fn a_missing_shard_is_refused_with_exit_5_and_a_killed_or_doubled_one_is_harmless() {
    let w = Workdir::new();
    let pipeline = generated(&w, "1500");
    let out = w.path("out");
    // a published set from a one-machine run: nothing below may touch it
    assert_eq!(w.kindred(&args("run", &pipeline, &out)).code, 0);
    let before = w.published();
    let prepare = prepare_args(&pipeline, &out, "3");
    assert_eq!(w.kindred(&prepare).code, 0);
    assert_eq!(shard(&w, &pipeline, &out, "KINDRED_INDEX", 2).status().unwrap().code(), Some(0));
    // shard 0 killed at several moments (it may finish first), shard 1 never run
    for delay_ms in [1, 40, 150] {
        let mut child = shard(&w, &pipeline, &out, "JOB_COMPLETION_INDEX", 0).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        let _ = child.wait();
    }
    // as if every kill came before the marker
    let _ = std::fs::remove_file(latest(&w).join("done/0.json"));
    // status tells the night's prepared run and its shards (helper-148: healthy, not a word,
    // for a night whose shards never finished and whose publish never started)
    let status = w.kindred(&["status", out.to_str().unwrap()]);
    assert_eq!(status.code, 0, "{}", status.stdout);
    let said = "1 of 3 shards finished (not finished: 0, 1); not published";
    assert!(status.stdout.contains("prepared:      run ") && status.stdout.contains(said), "{}", status.stdout);
    let json = w.kindred(&["status", out.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        (json["prepared"]["finished"].as_u64(), json["prepared"]["missing"].clone()),
        (Some(1), serde_json::json!([0, 1]))
    );
    // what a kill mid-write leaves: half a part under an attempt's name, and no marker
    let parts = latest(&w).join("parts");
    let whole = std::fs::read_dir(&parts).unwrap().flatten().next().unwrap().path();
    let half = std::fs::read(&whole).unwrap();
    let torn = parts.join("0-20261201T020000.000Z-1-00000000-recommendations.parquet");
    std::fs::write(&torn, &half[..half.len() / 2]).unwrap();
    let r = w.kindred(&args("publish", &pipeline, &out)[..4]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("shards 0, 1 of 3 not finished"), "{}", r.stderr);
    // the indexes to run, not a placeholder (helper-140: "--index I" for shard 1 alone)
    assert!(r.stderr.contains("`kindred shard --index I` for each I of 0, 1"), "{}", r.stderr);
    assert_eq!(w.published(), before, "a refused publish leaves the published set");
    // the attempt is recorded: status is unhealthy until a publish succeeds (it said healthy)
    let status = w.kindred(&["status", out.to_str().unwrap()]);
    assert_eq!(status.code, 6, "{}", status.stdout);
    assert!(status.stdout.contains("failed") && status.stdout.contains("not finished"), "{}", status.stdout);
    // Session 35: a marker naming another shard (copied over) is a damaged marker: exit 5 and
    // "run that shard again", as the README says (it was exit 1, "run prepare again")
    let done = latest(&w).join("done");
    std::fs::copy(done.join("2.json"), done.join("0.json")).unwrap();
    let r = w.kindred(&args("publish", &pipeline, &out)[..4]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains("shard 2 (customers ") && r.stderr.contains("), not run"), "{}", r.stderr);
    // its own index over other customers: the ranges say what differs (the message named the
    // same shard twice: helper-123)
    let mut own: serde_json::Value = serde_json::from_slice(&std::fs::read(done.join("2.json")).unwrap()).unwrap();
    own["index"] = 0.into();
    std::fs::write(done.join("0.json"), own.to_string()).unwrap();
    let r = w.kindred(&args("publish", &pipeline, &out)[..4]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    let (first, end) = (own["first"].as_u64().unwrap(), own["end"].as_u64().unwrap());
    assert!(r.stderr.contains(&format!("shard 0 (customers {first}..{end}), not run")), "{}", r.stderr);
    std::fs::remove_file(done.join("0.json")).unwrap();
    // index 0 rerun, index 1 twice at once: both attempts finish, the marker names complete files
    assert_eq!(shard(&w, &pipeline, &out, "JOB_COMPLETION_INDEX", 0).status().unwrap().code(), Some(0));
    let (a, b) = (
        shard(&w, &pipeline, &out, "SLURM_ARRAY_TASK_ID", 1).spawn().unwrap(),
        shard(&w, &pipeline, &out, "SLURM_ARRAY_TASK_ID", 1).spawn().unwrap(),
    );
    assert!(a.wait_with_output().unwrap().status.success() && b.wait_with_output().unwrap().status.success());
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 0, "publish reads the files the markers name, never the torn one: {}", r.stderr);
    let status = w.kindred(&["status", out.to_str().unwrap()]);
    assert_eq!(status.code, 0, "healthy once a publish succeeds");
    assert!(!status.stdout.contains("prepared:"), "{}", status.stdout);
    assert!(torn.exists(), "and deletes nothing of the prepared run");
    let one = w.path("one");
    assert_eq!(w.kindred(&args("run", &pipeline, &one)).code, 0);
    same_tables(&one, &out);
    // the sharded publish compared its lists with the one-machine run's of the same data
    let m: serde_json::Value = serde_json::from_slice(&read(&out, "manifest.json")).unwrap();
    let d = &m["drift"];
    let drift_rows = rows(&out.join("drift.parquet")).len() as u64;
    assert!(drift_rows > 0 && d["customers"].as_u64() == Some(drift_rows), "{d}");
    assert_eq!(
        (d["kept"].as_u64(), d["changed"].as_u64(), d["changed_share"].as_f64()),
        (Some(drift_rows), Some(0), Some(0.0)),
        "{d}"
    );
    assert_eq!(d["mean_overlap"].as_f64(), Some(1.0), "{d}");
    // publishing again does nothing, nor does a shard retried once its run is published
    let r = w.kindred(&args("publish", &pipeline, &out)[..4]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("already published"), "{}", r.stderr);
    let parts_before = std::fs::read_dir(&parts).unwrap().count();
    let marker = std::fs::read(latest(&w).join("done/1.json")).unwrap();
    let r = w.kindred(&[&args("shard", &pipeline, &out)[..4], &["--index", "1"]].concat());
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("shard 1: prepared run ") && r.stderr.contains("already published"), "{}", r.stderr);
    assert_eq!(std::fs::read_dir(&parts).unwrap().count(), parts_before, "no part computed");
    assert_eq!(std::fs::read(latest(&w).join("done/1.json")).unwrap(), marker);
}

/// Session 25: a prepare made its staging folder only after reading the export, so a shard
/// started meanwhile (a scheduler not waiting) computed the prepared run before it and exited
/// 0. The staging folder is now made as the lock is taken: a shard then waits, exit 4.
#[test]
fn a_shard_started_while_prepare_reads_the_export_waits() {
    let w = Workdir::new();
    let small = generated(&w, "300");
    let out = w.path("out");
    let prepare = prepare_args(&small, &out, "2");
    assert_eq!(w.kindred(&prepare).code, 0, "an earlier prepared run for the shard to take");
    let big = w.pipeline("big.toml", &crate::workdir::repo().join("data/online_retail.csv.gz"), "");
    let mut reading = Command::new(env!("CARGO_BIN_EXE_kindred"))
        .args(["prepare", big.to_str().unwrap(), "--output", out.to_str().unwrap(), "--shards", "2", "--quiet"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the prepare's lock line (`pid started run_id host kernel`) is written before its staging
    // folder is made: a shard started between the two rightly computes the run before it, so
    // wait for both — the lock naming a run and that run's `shards/.staging-<id>`
    let staging =
        |lock: String| lock.split_whitespace().nth(2).map(|id| out.join("shards").join(format!(".staging-{id}")));
    let began = std::time::Instant::now();
    while !std::fs::read_to_string(out.join(".lock")).ok().and_then(staging).is_some_and(|s| s.is_dir()) {
        assert!(began.elapsed() < Duration::from_secs(60), "the prepare never took the lock");
        assert!(reading.try_wait().unwrap().is_none(), "the prepare ended before the test saw it writing");
        std::thread::sleep(Duration::from_millis(1));
    }
    let r = shard(&w, &small, &out, "KINDRED_INDEX", 0).output().unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    let waited = reading.try_wait().unwrap().is_none();
    assert!(reading.wait_with_output().unwrap().status.success());
    assert!(waited, "the prepare ended before the shard did: nothing was tried");
    assert_eq!(r.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("is still writing"), "{stderr}");
}

/// The latest prepared run's folder.
fn latest(w: &Workdir) -> PathBuf {
    let shards = w.path("out").join("shards");
    shards.join(std::fs::read_link(shards.join("latest")).unwrap())
}

#[test]
fn a_damaged_part_another_pipeline_or_a_bad_index_is_refused_naming_it() {
    let w = Workdir::new();
    let pipeline = generated(&w, "600");
    let out = w.path("out");
    let mut prepare = prepare_args(&pipeline, &out, "2");
    prepare.retain(|a| *a != "--quiet"); // its closing line says its step once
    let r = w.kindred(&prepare);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("kindred: prepare: 597 customers in 2 shards: 0: 0.."), "{}", r.stderr);
    assert!(!r.stderr.contains("prepare: prepare:") && !r.stderr.contains("hold no customer"), "{}", r.stderr);
    // more shards than customers (10 for 1,000 meant): the line lists 16 and the last, and the
    // empty ones are said
    let many = w.path("many");
    let r =
        w.kindred(&prepare_args(&pipeline, &many, "1000").into_iter().filter(|a| *a != "--quiet").collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r.stderr.lines().find(|l| l.contains("kindred: prepare: 597 customers in 1000 shards")).unwrap();
    assert!(
        line.contains("15: ")
            && !line.contains("16: ")
            && line.contains("… 983 more (plan.json lists every one) …, 999: "),
        "{line}"
    );
    assert!(r.stderr.contains(" of 1000 shards hold no customer (597 customers in "), "{}", r.stderr);
    for i in 0..2 {
        assert_eq!(shard(&w, &pipeline, &out, "KINDRED_INDEX", i).status().unwrap().code(), Some(0));
    }
    // a prepare writing (its lock fresh, its staging folder there): a shard waits, exit 4, not
    // computing the prepared run before it; once the lock is stale (a killed prepare), it runs
    let id = "20300101T000000.000Z-77";
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let elsewhere = format!("{}-elsewhere", host.trim()); // another machine's: its heartbeat tells
    std::fs::write(out.join(".lock"), format!("77 2030-01-01T00:00:00.000Z {id} {elsewhere}")).unwrap();
    std::fs::create_dir(out.join("shards").join(format!(".staging-{id}"))).unwrap();
    let r = shard(&w, &pipeline, &out, "KINDRED_INDEX", 0).output().unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains(&format!("kindred prepare (run {id}, pid 77) is still writing")), "{stderr}");
    let lock = std::fs::File::options().write(true).open(out.join(".lock")).unwrap();
    lock.set_modified(std::time::SystemTime::now() - Duration::from_secs(600)).unwrap();
    assert_eq!(shard(&w, &pipeline, &out, "KINDRED_INDEX", 0).status().unwrap().code(), Some(0));
    std::fs::remove_dir(out.join("shards").join(format!(".staging-{id}"))).unwrap();
    std::fs::write(out.join(".lock"), "").unwrap();
    // a part changed after its marker was written: refused, naming the file; nothing published
    let marker: serde_json::Value = serde_json::from_slice(&read(&latest(&w), "done/1.json")).unwrap();
    let part = latest(&w).join("parts").join(marker["files"][0]["file"].as_str().unwrap());
    let mut bytes = std::fs::read(&part).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0xff;
    std::fs::write(&part, bytes).unwrap();
    // exit 5 as a shard not finished (retrying publish cannot help; rerunning shard 1 does)
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert!(r.stderr.contains(part.file_name().unwrap().to_str().unwrap()), "{}", r.stderr);
    assert!(r.stderr.contains("shard 1 of run") && r.stderr.contains("kindred shard --index 1"), "{}", r.stderr);
    assert!(!out.join("current").exists(), "nothing published");
    std::fs::remove_file(&part).unwrap();
    assert_eq!(w.kindred(&args("publish", &pipeline, &out)).code, 5, "a part deleted");
    // a marker that is a folder is read, not written (helper-133: "cannot write …/done/1.json")
    let marker = latest(&w).join("done").join("1.json");
    std::fs::remove_file(&marker).unwrap();
    std::fs::create_dir(&marker).unwrap();
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("shard 1's done-marker, a file") && !r.stderr.contains("cannot write"), "{}", r.stderr);
    // and the shard says it before computing (it said "cannot write" after the whole shard)
    let parts = || std::fs::read_dir(latest(&w).join("parts")).unwrap().count();
    let before = parts();
    let r = w.kindred(&args("shard", &pipeline, &out).into_iter().chain(["--index", "1"]).collect::<Vec<_>>());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("shard 1's done-marker, a file"), "{}", r.stderr);
    assert_eq!(parts(), before, "no part of a new attempt written");
    std::fs::remove_dir(&marker).unwrap();
    // another pipeline: exit 2 naming the key
    let other = std::fs::read_to_string(&pipeline).unwrap().replace("per_customer = 10", "per_customer = 3");
    let other = w.write("other.toml", other);
    let r = w.kindred(&args("shard", &other, &out).into_iter().chain(["--index", "0"]).collect::<Vec<_>>());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("[recommend] per_customer is 10 there and 3 here"), "{}", r.stderr);
    // an index out of range, none at all, or not a number: exit 2
    let r = w.kindred(&args("shard", &pipeline, &out).into_iter().chain(["--index", "2"]).collect::<Vec<_>>());
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("shard index 2 is out of range") && r.stderr.contains("0 to 1"), "{}", r.stderr);
    let r = w.kindred(&args("shard", &pipeline, &out));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("JOB_COMPLETION_INDEX"), "{}", r.stderr);
    let bad = shard(&w, &pipeline, &out, "AWS_BATCH_JOB_ARRAY_INDEX", 0).env("AWS_BATCH_JOB_ARRAY_INDEX", "x").output();
    let bad = bad.unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("AWS_BATCH_JOB_ARRAY_INDEX='x' is not a shard index"));
    // a plan another kindred prepared (the binary upgraded between prepare and publish):
    // refused naming both versions (it read "not a plan kindred wrote"), and the publish
    // leaves its record, so `kindred status` says the night failed (it said healthy)
    let plan = latest(&w).join("plan.json");
    let mut p: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    // helper-158: a plan whose shards skip customers (edited by hand) published a set missing
    // their lists, exit 0: refused by the shards and the publish
    let whole = p.clone();
    p["shards"][1]["first"] = (p["shards"][1]["first"].as_u64().unwrap() + 1).into();
    std::fs::write(&plan, p.to_string()).unwrap();
    let shard_0 = [args("shard", &pipeline, &out), vec!["--index", "0"]].concat();
    for step in [args("publish", &pipeline, &out), shard_0] {
        let r = w.kindred(&step);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("its shards do not cover every customer once, in order (shard 1 is listed as"),
            "{}",
            r.stderr
        );
    }
    let mut p = whole;
    p["kindred_version"] = "0.3.0".into();
    std::fs::write(&plan, p.to_string()).unwrap();
    let records = || std::fs::read_dir(out.join("runs")).map_or(0, |d| d.count());
    let before = records();
    let want = format!("prepared by kindred 0.3.0; this is kindred {}", env!("CARGO_PKG_VERSION"));
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(&want) && r.stderr.contains("run `kindred prepare`"), "{}", r.stderr);
    assert_eq!(records(), before + 1, "the attempt's record");
    // it names no export it did not read (helper-158: the pipeline's file, read whole to hash it)
    let newest = std::fs::read_dir(out.join("runs")).unwrap().flatten().map(|e| e.path()).max().unwrap();
    let record: serde_json::Value = serde_json::from_slice(&read(&newest, "manifest.json")).unwrap();
    assert_eq!(
        (record["status"].as_str(), &record["input"]["sha256"]),
        (Some("failed"), &serde_json::Value::Null),
        "{record}"
    );
    assert_ne!(w.kindred(&["status", "--output", out.to_str().unwrap()]).code, 0);
    let r = w.kindred(&args("shard", &pipeline, &out).into_iter().chain(["--index", "0"]).collect::<Vec<_>>());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains(&want), "{}", r.stderr);
}

/// Session 35: the steps may read another export (`--input`, `KINDRED_INPUT`: prepare-job.yaml
/// gives it to prepare only). A pipeline's CSV-only key (`delimiter`) over the Parquet export
/// prepare read made prepare's settings carry a note the shards' did not: every shard and the
/// publish were refused, exit 2, naming `[unread_note]`.
#[test]
fn steps_given_another_export_of_another_format_agree() {
    let w = Workdir::new();
    let pipeline = w.pipeline_with("p.toml", &w.copy("tiny.csv"), "delimiter = \",\"", "out", "");
    let out = w.path("out");
    let parquet = w.copy("tiny.parquet");
    let mut prepare = prepare_args(&pipeline, &out, "2");
    prepare.extend(["--input", parquet.to_str().unwrap()]);
    let r = w.kindred(&prepare);
    assert_eq!(r.code, 0, "prepare: {}", r.stderr);
    for i in 0..2 {
        let done = shard(&w, &pipeline, &out, "KINDRED_INDEX", i).output().unwrap();
        assert!(done.status.success(), "shard {i}: {}", String::from_utf8_lossy(&done.stderr));
    }
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 0, "publish: {}", r.stderr);
}

/// tiny.csv's pipeline into `out`, prepared, sharded in two and published.
fn tiny_sharded() -> (Workdir, PathBuf, PathBuf) {
    let w = Workdir::new();
    let pipeline = w.pipeline("p.toml", &w.copy("tiny.csv"), "");
    let out = w.path("out");
    sharded(&w, &pipeline, &out, 2);
    (w, pipeline, out)
}

/// helper-118: a sharded publish's set records each file's SHA-256 as `kindred run`'s does.
#[test]
fn a_sharded_publish_records_every_files_sha256() {
    let (_w, _, out) = tiny_sharded();
    crate::ops::records_every_files_sha256(&out.join("current"));
}

/// Session 35: a folder's first publish killed after switching `current`, before linking the
/// fixed names: the retry said "already published; nothing to do" and left them missing (the
/// BI tools' paths) until the next night. It links them.
#[test]
fn a_retried_publish_links_the_fixed_names_a_killed_one_left_out() {
    let (w, pipeline, out) = tiny_sharded();
    for name in kindred::write::file::ALL {
        std::fs::remove_file(out.join(name)).unwrap();
    }
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    for name in kindred::write::file::ALL {
        assert!(out.join(name).exists(), "{name}: {}", r.stderr);
    }
}

/// Session 35: a failed publish's record names the export its prepared run read, not the file
/// the pipeline names by then (the next night's export; hashed, gigabytes read for a failure).
#[test]
fn a_failed_publish_records_the_prepared_runs_export() {
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    let pipeline = w.pipeline("p.toml", &input, "");
    let out = w.path("out");
    assert_eq!(w.kindred(&prepare_args(&pipeline, &out, "2")).code, 0);
    let plan: serde_json::Value = serde_json::from_slice(&read(&latest(&w), "plan.json")).unwrap();
    let prepared = plan["manifest"]["input"]["sha256"].as_str().unwrap().to_string();
    let mut later = std::fs::read_to_string(&input).unwrap();
    later.push_str("999999,85123A,WHITE HANGING HEART,1,2010-12-09 10:00:00,2.55,99999.0,United Kingdom\n");
    std::fs::write(&input, later).unwrap();
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 5, "no shard ran: {}", r.stderr);
    let runs = out.join("runs");
    let record = std::fs::read_dir(&runs).unwrap().flatten().next().unwrap().path().join("manifest.json");
    let record: serde_json::Value = serde_json::from_slice(&std::fs::read(record).unwrap()).unwrap();
    assert_eq!(record["status"], "failed", "{record}");
    assert_eq!(record["input"]["sha256"].as_str(), Some(prepared.as_str()), "{record}");
}

/// Session 35: an old prepared run a publish does not remove (a person's file in it) is said,
/// with its size, and kept (it was kept silently).
#[test]
fn an_old_prepared_run_holding_a_persons_file_is_kept_and_said() {
    let (w, pipeline, out) = tiny_sharded();
    let old = latest(&w);
    std::fs::write(old.join("notes.txt"), "mine").unwrap();
    assert_eq!(w.kindred(&prepare_args(&pipeline, &out, "2")).code, 0);
    for i in 0..2 {
        assert!(shard(&w, &pipeline, &out, "KINDRED_INDEX", i).status().unwrap().success());
    }
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("kept the old prepared run") && r.stderr.contains("delete it by hand"), "{}", r.stderr);
    assert!(old.join("notes.txt").exists());
}

#[test]
fn shard_and_publish_without_a_prepared_run_say_what_to_do() {
    let w = Workdir::new();
    let pipeline = w.pipeline("p.toml", &w.copy("tiny.csv"), "");
    let r = w.kindred(&["publish", pipeline.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no prepared run") && r.stderr.contains("kindred prepare --shards N"), "{}", r.stderr);
    // a folder that is not there (a mistyped --output) is not made, and one holding nothing
    // kindred made is not written in: helpers 123, 125
    assert!(!w.path("out").exists(), "publish made the folder it found no prepared run in");
    std::fs::create_dir(w.path("out")).unwrap();
    std::fs::write(w.path("out/notes.txt"), "mine").unwrap();
    let r = w.kindred(&["publish", pipeline.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("no prepared run"), "{}", r.stderr);
    let names: Vec<_> = std::fs::read_dir(w.path("out")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["notes.txt"], "nothing written beside a person's file");
    let r = w.kindred(&["prepare", pipeline.to_str().unwrap(), "--shards", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("--shards"), "{}", r.stderr);
    // `latest` naming a prepared run that is gone: a read that fails, said as one
    std::fs::create_dir_all(w.path("out/shards")).unwrap();
    std::os::unix::fs::symlink("20300101T000000.000Z-5", w.path("out/shards/latest")).unwrap();
    let r = w.kindred(&["shard", pipeline.to_str().unwrap(), "--index", "0"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("cannot read the plan `shards/latest` names"), "{}", r.stderr);
    assert!(!r.stderr.contains("cannot write"), "{}", r.stderr);
}

/// A refused prepare leaves its record and no prepared run — after a published night too:
/// the night's shards and publish fail saying the last prepare did not finish (helper-132:
/// they worked on last night's plan and exited 0, publish "already published").
#[test]
fn a_refused_prepare_leaves_its_record_and_no_prepared_run() {
    let w = Workdir::new();
    let pipeline = generated(&w, "300");
    let out = w.path("out");
    let gated = std::fs::read_to_string(&pipeline).unwrap() + "\n[gates]\nmin_customers = 100000\n";
    let gated = w.write("gated.toml", gated);
    let mut prepare = prepare_args(&gated, &out, "2");
    let r = w.kindred(&prepare);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("min_customers"), "{}", r.stderr);
    assert!(!out.join("shards").join("latest").exists(), "nothing prepared");
    let runs: Vec<_> = std::fs::read_dir(out.join("runs")).unwrap().flatten().collect();
    assert_eq!(runs.len(), 1, "one record");
    let record: serde_json::Value = serde_json::from_slice(&read(&runs[0].path(), "manifest.json")).unwrap();
    assert_eq!(record["status"], "refused");
    // status sees the refused attempt (exit 6); --force prepares anyway
    assert_eq!(w.kindred(&["status", out.to_str().unwrap()]).code, 6);
    prepare.push("--force");
    assert_eq!(w.kindred(&prepare).code, 0);
    assert!(out.join("shards").join("latest").exists());

    // a published night, then a prepare refused: no step works on the night before's plan
    sharded(&w, &pipeline, &out, 2);
    let published = std::fs::read_link(out.join("current")).unwrap();
    prepare.pop();
    assert_eq!(w.kindred(&prepare).code, 3);
    assert!(!out.join("shards").join("latest").exists(), "the refused prepare's predecessor is not latest");
    let said = |r: &crate::workdir::Run| {
        r.stderr.contains("the last `kindred prepare` did not finish") && r.stderr.contains("run prepare again")
    };
    let r = w.kindred(&[args("shard", &gated, &out), vec!["--index", "0"]].concat());
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(said(&r), "{}", r.stderr);
    let r = w.kindred(&args("publish", &gated, &out));
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(said(&r), "{}", r.stderr);
    assert_eq!(std::fs::read_link(out.join("current")).unwrap(), published, "the published set stays");
    assert_eq!(w.kindred(&["status", out.to_str().unwrap()]).code, 6);
    // the next prepare that passes makes a night that publishes
    sharded(&w, &pipeline, &out, 2);
    assert_ne!(std::fs::read_link(out.join("current")).unwrap(), published);
}

/// Another shop's export: its own column names, text customer ids, day-first dates; EASE with
/// a half-life.
fn other_shop(w: &Workdir) -> PathBuf {
    other_shop_with(w, "shop.toml", "[model]\nkind = \"ease\"\nrecency_half_life_days = 30")
}

/// [`other_shop`]'s export with the pipeline sections `model`, as `name`.
fn other_shop_with(w: &Workdir, name: &str, model: &str) -> PathBuf {
    let mut csv = String::from("Order;Client;Sku;Units;Day\n");
    for c in 0..700u32 {
        for k in 0..(3 + c % 5) {
            let item = (c * 7 + k * 13) % 60 + (c % 3) * (k % 2);
            let day = 1 + (c + k) % 28;
            csv.push_str(&format!("{c}-{k};C{c:04};SKU{item};{};{day:02}/0{}/2024 10:00\n", 1 + k % 3, 1 + k % 9));
        }
    }
    let data = w.write("shop.csv", csv);
    let columns = "[columns]\ncustomer = \"Client\"\nitem = \"Sku\"\nquantity = \"Units\"\ndate = \"Day\"\ninvoice = \"Order\"\ndescription = \"Sku\"\n";
    w.pipeline_with(name, &data, "delimiter = \";\"", "out", &format!("{columns}{model}"))
}

#[test]
fn another_shops_export_with_a_half_life_sharded_publishes_the_tables_of_one_run() {
    let w = Workdir::new();
    let pipeline = other_shop(&w);
    let (one, two) = (w.path("one"), w.path("two"));
    let r = w.kindred(&args("run", &pipeline, &one));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m: serde_json::Value = serde_json::from_slice(&read(&one, "manifest.json")).unwrap();
    assert_eq!((m["customer_id_type"].as_str(), m["customers"].as_u64()), (Some("String"), Some(700)));
    assert!(m.pointer("/reports/recommend/from_neighbours_rows").unwrap().as_u64().unwrap() > 3000);
    assert_eq!(m.pointer("/reports/similarity/kind").unwrap(), "ease");
    sharded(&w, &pipeline, &two, 2);
    same_tables(&one, &two);
}

/// The top-up by recent buyers needs each purchase's date in the shards too: the sharded
/// tables are one run's, and they differ from the plain top-up's.
#[test]
fn a_recent_popularity_top_up_sharded_publishes_the_tables_of_one_run() {
    let w = Workdir::new();
    let short = "[model]\nkind = \"item\"\nneighbours = 1\n[recommend]\nfrom_neighbours = 1";
    let recent = other_shop_with(&w, "recent.toml", &format!("{short}\npopular_half_life_days = 3"));
    let plain = other_shop_with(&w, "plain.toml", short);
    let (one, two, three) = (w.path("one"), w.path("two"), w.path("three"));
    for (pipeline, out) in [(&recent, &one), (&plain, &three)] {
        let r = w.kindred(&args("run", pipeline, out));
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let m: serde_json::Value = serde_json::from_slice(&read(&one, "manifest.json")).unwrap();
    assert!(m.pointer("/reports/recommend/popular_rows").unwrap().as_u64().unwrap() > 3000);
    assert_ne!(read(&one, "recommendations.parquet"), read(&three, "recommendations.parquet"));
    sharded(&w, &recent, &two, 3);
    same_tables(&one, &two);
}

#[test]
fn an_untidy_output_folder_is_refused_or_left_as_it_is() {
    let w = Workdir::new();
    let pipeline = generated(&w, "600");
    let out = w.path("out");
    let prepare = prepare_args(&pipeline, &out, "2");
    // `shards` that is a user's file: refused naming it, left byte for byte
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("shards"), "mine").unwrap();
    let r = w.kindred(&prepare);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("shards is a file, not kindred's folder of prepared runs"), "{}", r.stderr);
    assert_eq!(std::fs::read(out.join("shards")).unwrap(), b"mine");
    std::fs::remove_file(out.join("shards")).unwrap();
    // a user's folder named `latest`: refused by every step, never replaced
    std::fs::create_dir_all(out.join("shards/latest")).unwrap();
    for step in ["prepare", "shard", "publish"] {
        let mut a = args(step, &pipeline, &out);
        a.extend(if step == "prepare" { ["--shards", "2"] } else { ["--index", "0"] });
        let a: Vec<&str> = if step == "publish" { a[..5].to_vec() } else { a };
        let r = w.kindred(&a);
        assert!(r.code == 1 && r.stderr.contains("not kindred's link to a prepared run"), "{step}: {}", r.stderr);
    }
    assert!(out.join("shards/latest").is_dir());
    std::fs::remove_dir(out.join("shards/latest")).unwrap();
    // a user's files beside the prepared runs survive prepare, shards and publish
    std::fs::write(out.join("shards/notes.txt"), "mine").unwrap();
    std::fs::create_dir_all(out.join("shards/20200101T000000.000Z-1.bak")).unwrap();
    // folders of a prepared run's and a staging's names holding files of kindred's names, which
    // no mark or plan of that run names: a person's, kept
    for name in ["20200101T000000.000Z-6", ".staging-20200101T000000.000Z-7"] {
        std::fs::create_dir_all(out.join("shards").join(name).join("parts")).unwrap();
        std::fs::write(out.join("shards").join(name).join("pairs.parquet"), "my own pairs").unwrap();
    }
    sharded(&w, &pipeline, &out, 2);
    sharded(&w, &pipeline, &out, 2);
    assert_eq!(std::fs::read(out.join("shards/notes.txt")).unwrap(), b"mine");
    assert!(out.join("shards/20200101T000000.000Z-1.bak").is_dir());
    for name in ["20200101T000000.000Z-6", ".staging-20200101T000000.000Z-7"] {
        assert_eq!(std::fs::read(out.join("shards").join(name).join("pairs.parquet")).unwrap(), b"my own pairs");
        std::fs::remove_dir_all(out.join("shards").join(name)).unwrap();
    }
    // the older prepared run went at the second publish; the published one is kept
    let prepared = || -> Vec<String> {
        let names = std::fs::read_dir(out.join("shards")).unwrap().flatten();
        names.map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| kindred::publish::is_run_id(n)).collect()
    };
    assert_eq!(prepared().len(), 1, "{:?}", prepared());
    // a person's file in a prepared run keeps that folder through later publishes
    let touched = out.join("shards").join(&prepared()[0]);
    std::fs::write(touched.join("notes.txt"), "mine").unwrap();
    sharded(&w, &pipeline, &out, 2);
    sharded(&w, &pipeline, &out, 2);
    assert_eq!(std::fs::read(touched.join("notes.txt")).unwrap(), b"mine");
    assert_eq!(prepared().len(), 2, "{:?}", prepared());
    // helper-158: a prepare removes the prepared runs before it, published or not (a night whose
    // shards failed left its plan for good): the touched one and the newest are left
    for _ in 0..2 {
        assert_eq!(w.kindred(&prepare_args(&pipeline, &out, "2")).code, 0);
    }
    assert_eq!(prepared().len(), 2, "{:?}", prepared());
    assert!(touched.join("notes.txt").exists());
}

#[test]
fn segment_fallback_sharded_in_three_publishes_the_tables_of_one_run() {
    // the article's pipeline on the shipped export, 2 neighbours' items: many lists topped up,
    // by the customer's country (prepare saves the segments, each shard loads them)
    let w = Workdir::new();
    let article = std::fs::read_to_string(repo().join("pipelines/article.toml")).unwrap();
    let data = repo().join("data/online_retail.csv.gz").display().to_string();
    let text = article
        .replace("path = \"../data/online_retail.csv.gz\"", &format!("path = {data:?}"))
        .replace("from_neighbours = 10", "from_neighbours = 2\nfallback = \"popular_by:Country\"");
    let pipeline = w.write("segment.toml", text);
    let (one, three) = (w.path("one"), w.path("three"));
    let r = w.kindred(&args("run", &pipeline, &one));
    assert_eq!(r.code, 0, "{}", r.stderr);
    sharded(&w, &pipeline, &three, 3);
    same_tables(&one, &three);
    let manifest = |dir: &Path| -> serde_json::Value { serde_json::from_slice(&read(dir, "manifest.json")).unwrap() };
    let (a, b) = (manifest(&one), manifest(&three));
    let segment_rows = a.pointer("/reports/recommend/segment_rows").and_then(|v| v.as_u64()).unwrap();
    assert!(segment_rows > 1000, "{segment_rows}");
    for field in ["segment_rows", "popular_rows", "topped_up_customers"] {
        let pointer = format!("/reports/recommend/{field}");
        assert_eq!(a.pointer(&pointer), b.pointer(&pointer), "{field}");
    }
}

/// helper-106: `current` pointed back by hand at the run before a sharded publish (the README's
/// rollback), then the publish retried: it published the same prepared run again over the
/// rollback, exit 0. Already published: nothing to do, `current` left where the person put it.
#[test]
fn a_publish_retried_after_a_rollback_leaves_it() {
    let w = Workdir::new();
    let pipeline = w.pipeline("p.toml", &w.copy("tiny.csv"), "");
    let out = w.path("out");
    assert_eq!(w.kindred(&args("run", &pipeline, &out)).code, 0);
    let before = kindred::publish::current_run_id(&out).unwrap();
    sharded(&w, &pipeline, &out, 2);
    let sharded_run = kindred::publish::current_run_id(&out).unwrap();
    assert_ne!(before, sharded_run);
    let link = out.join("current.new");
    std::os::unix::fs::symlink(format!("runs/{before}"), &link).unwrap();
    std::fs::rename(&link, out.join("current")).unwrap();
    let runs = || std::fs::read_dir(out.join("runs")).unwrap().count();
    let kept = runs();
    let r = w.kindred(&["publish", pipeline.to_str().unwrap(), "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("was published as run {sharded_run}")) && r.stderr.contains("nothing to do"),
        "{}",
        r.stderr
    );
    assert_eq!(kindred::publish::current_run_id(&out).unwrap(), before, "the rollback stands");
    assert_eq!(runs(), kept, "no run made");
    // a shard retried then has nothing to do either
    let done = shard(&w, &pipeline, &out, "KINDRED_INDEX", 1).output().unwrap();
    assert!(done.status.success() && runs() == kept, "{}", String::from_utf8_lossy(&done.stderr));
}

/// helper-106: a prepared run a plain `kindred run` published over before its publish came is
/// refused (exit 3), and now leaves its record: `status` called the folder healthy.
#[test]
fn a_publish_a_later_run_superseded_leaves_its_record() {
    let w = Workdir::new();
    let pipeline = w.pipeline("p.toml", &w.copy("tiny.csv"), "");
    let out = w.path("out");
    assert_eq!(w.kindred(&prepare_args(&pipeline, &out, "2")).code, 0);
    for i in 0..2 {
        assert!(shard(&w, &pipeline, &out, "KINDRED_INDEX", i).status().unwrap().success());
    }
    assert_eq!(w.kindred(&args("run", &pipeline, &out)).code, 0);
    let r = w.kindred(&args("publish", &pipeline, &out));
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("is older than the published run"), "{}", r.stderr);
    let records = std::fs::read_dir(out.join("runs")).unwrap().flatten().map(|e| e.path().join("manifest.json"));
    let statuses: Vec<String> = records
        .map(|m| serde_json::from_slice::<serde_json::Value>(&std::fs::read(m).unwrap()).unwrap()["status"].to_string())
        .collect();
    assert!(statuses.iter().any(|s| s.contains("refused") || s.contains("failed")), "{statuses:?}");
    assert_eq!(w.kindred(&["status", out.to_str().unwrap()]).code, 6);
}
