//! Atomic publication: killed runs, concurrent runs, kept runs, thread counts.

use std::process::Stdio;
use std::time::Duration;

use crate::workdir::{data, footer, kindred_command, repo, Workdir};

fn real_pipeline(w: &Workdir, extra: &str) -> std::path::PathBuf {
    w.pipeline("real.toml", &repo().join("data/online_retail.csv.gz"), extra)
}

/// The run ids a published set's files name: the manifest's and each Parquet footer's.
fn run_ids(set: &std::collections::BTreeMap<String, Vec<u8>>) -> std::collections::BTreeSet<String> {
    let manifest: serde_json::Value = serde_json::from_slice(&set["manifest.json"]).unwrap();
    let mut ids: std::collections::BTreeSet<String> = [manifest["run_id"].as_str().unwrap().to_string()].into();
    for bytes in set.iter().filter(|(name, _)| name.ends_with(".parquet")).map(|(_, b)| b) {
        ids.extend(footer(bytes).1.remove("kindred.run_id"));
    }
    ids
}

#[test]
fn sigkill_at_any_moment_leaves_the_published_set_intact() {
    let w = Workdir::new();
    let p = real_pipeline(&w, "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let mut before = w.published();
    // the real export takes about a second here: kill early, mid-way and late
    for delay_ms in [5, 120, 300, 500, 700, 900, 1100] {
        let mut child = kindred_command()
            .args(["run", p.to_str().unwrap(), "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let after = w.published();
        if after != before {
            // the kill landed after the switch, or the run had finished: a whole new set, every
            // file of one run, the same tables (only the manifest and report differ)
            assert_eq!(after.len(), kindred::write::file::ALL.len(), "killed after {delay_ms} ms: a partial set");
            assert_eq!(run_ids(&after).len(), 1, "killed after {delay_ms} ms: files of several runs");
            assert_eq!(data(&after["recommendations.parquet"]), data(&before["recommendations.parquet"]));
            before = after;
        } else {
            assert!(!status.success(), "a finished run published nothing");
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
    assert_eq!(data(&w.published()["neighbours.parquet"]), data(&before["neighbours.parquet"]));
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

/// A cron line's `flock out/.lock kindred run …` holds the lock kindred takes itself: every
/// night was exit 4, "another kindred run (pid N) holds the lock … wait for it to finish", N
/// the wrapper, kindred's own parent (helper-98). Said as it is, exit 2: no wait ends it.
#[test]
fn a_wrapper_holding_the_folders_own_lock_is_said_not_waited_for() {
    use std::os::unix::io::AsRawFd;
    let w = Workdir::new();
    let p = w.pipeline("p.toml", &w.copy("tiny.csv"), "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let before = w.published();
    // this test process is the wrapper: kindred's parent, holding the flock, writing no line
    let lock = std::fs::OpenOptions::new().read(true).write(true).open(w.path("out/.lock")).unwrap();
    // SAFETY: flock on a descriptor this test owns
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) }, 0);
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    let pid = format!("held by this run's own parent (pid {}", std::process::id());
    for words in [pid.as_str(), "not by another kindred run", "guard the job with a lock file of its own"] {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(w.published(), before);
    drop(lock);
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
}

#[test]
fn two_concurrent_runs_never_mix_their_sets() {
    let w = Workdir::new();
    let p = real_pipeline(&w, "");
    let spawn =
        || kindred_command().args(["run", p.to_str().unwrap(), "--quiet"]).stderr(Stdio::piped()).spawn().unwrap();
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let codes = [a.status.code().unwrap(), b.status.code().unwrap()];
    assert!(codes.contains(&0), "{codes:?}");
    assert!(codes.iter().all(|c| *c == 0 || *c == 4), "{codes:?}");
    for o in [&a, &b] {
        if o.status.code() == Some(4) {
            // "another process" when the loser read the lock before the holder wrote its line
            let said = String::from_utf8_lossy(&o.stderr).to_string();
            assert!(said.contains("another kindred run (pid") || said.contains("another process (pid"), "{said}");
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
        assert_eq!(data(&sets[0][name]), data(&sets[1][name]), "{name}: --threads 1 vs 2");
        assert_eq!(data(&sets[0][name]), data(&sets[2][name]), "{name}: run to run");
    }
    let runs: Vec<_> = std::fs::read_dir(w.path("out/runs")).unwrap().collect();
    assert_eq!(runs.len(), 2);
}

/// Every entry under `root`, links not followed: relative path → "dir", "-> target" or the
/// file's length and hash (short enough to read in a failed assertion).
/// [`tree`] of `runs/` without the failed runs' records (issue 16).
fn published_runs(runs: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    let mut all = tree(runs);
    all.retain(|name, _| {
        let top = name.split('/').next().unwrap_or_default();
        !kindred::publish::is_failure_record(&runs.join(top))
    });
    all
}

fn tree(root: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    use std::hash::{Hash, Hasher};
    let mut out = std::collections::BTreeMap::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = e.path();
            let kind = e.file_type().unwrap();
            let value = if kind.is_symlink() {
                format!("-> {}", std::fs::read_link(&path).unwrap().display())
            } else if kind.is_dir() {
                todo.push(path.clone());
                "dir".to_string()
            } else {
                let bytes = std::fs::read(&path).unwrap();
                let mut h = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut h);
                format!("{} bytes {:016x}", bytes.len(), h.finish())
            };
            out.insert(path.strip_prefix(root).unwrap().display().to_string(), value);
        }
    }
    out
}

/// Runs `pipeline`; checks the exit code and the words of the first line.
fn fails(w: &Workdir, pipeline: &std::path::Path, code: i32, words: &[&str]) {
    let r = w.kindred(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(r.code, code, "{}", r.stderr);
    let first = r.stderr.lines().find(|l| l.starts_with("kindred: error:")).unwrap_or_default();
    for word in words {
        assert!(first.contains(word), "'{word}' not in {first:?}\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

/// Issue 14 case 1: with `runs` a link to a user's folder, a run failing on a missing input
/// deleted every entry there sorting after its run id, and a `keep_runs = 1` run the rest.
#[test]
fn runs_a_link_to_a_users_folder_is_refused_and_left_alone() {
    let w = Workdir::new();
    w.write("theirs/000.txt", "old");
    w.write("theirs/zzz.txt", "new");
    w.write("theirs/20991231T000000.000Z-1/notes.txt", "named like a run");
    std::fs::create_dir_all(w.path("out")).unwrap();
    std::os::unix::fs::symlink(w.path("theirs"), w.path("out/runs")).unwrap();
    let (theirs, out) = (tree(&w.path("theirs")), tree(&w.path("out")));
    let missing = w.pipeline("missing.toml", &w.path("nope.csv"), "");
    fails(&w, &missing, 1, &["out/runs is a link to", "not kindred's folder of runs", "[output] dir"]);
    let good = w.pipeline("good.toml", &w.copy("tiny.csv"), "keep_runs = 1");
    fails(&w, &good, 1, &["out/runs is a link to", "not kindred's folder of runs"]);
    assert_eq!(tree(&w.path("theirs")), theirs);
    assert_eq!(tree(&w.path("out")), out, "nothing created in the output folder");
}

/// Issue 14 case 2: an output folder with a `runs/` of its own was emptied by a failing run.
#[test]
fn an_output_folder_with_its_own_runs_keeps_them() {
    let w = Workdir::new();
    w.write("out/runs/exp1/model.bin", "weights");
    let missing = w.pipeline("missing.toml", &w.path("nope.csv"), "");
    fails(&w, &missing, 1, &["nope.csv", "does not exist"]);
    assert_eq!(std::fs::read_to_string(w.path("out/runs/exp1/model.bin")).unwrap(), "weights");
    let good = w.pipeline("good.toml", &w.copy("tiny.csv"), "keep_runs = 1");
    for _ in 0..2 {
        let r = w.kindred(&["run", good.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    assert_eq!(std::fs::read_to_string(w.path("out/runs/exp1/model.bin")).unwrap(), "weights");
    let runs: Vec<_> = std::fs::read_dir(w.path("out/runs")).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(runs.len(), 2, "exp1 and the one kept run: {runs:?}");
}

/// A pipeline keeping one run, run once: a run of it again, and the set published.
fn one_set_kept(w: &Workdir) -> (impl Fn() -> crate::workdir::Run + '_, std::path::PathBuf) {
    let good = w.pipeline("good.toml", &w.copy("tiny.csv"), "keep_runs = 1");
    let run = move || w.kindred(&["run", good.to_str().unwrap(), "--quiet"]);
    assert_eq!(run().code, 0);
    (run, std::fs::read_link(w.path("out/current")).unwrap())
}

/// An old published set someone added a file to (a Mac's `.DS_Store` on the share, an editor's
/// `manifest.json~`) is kept and not counted, and every run says so, naming the file: silent,
/// such sets piled up past `keep_runs` (helper-98: 7 kept of 2).
#[test]
fn an_old_set_holding_a_persons_file_is_kept_and_said() {
    let w = Workdir::new();
    let (run, first) = one_set_kept(&w);
    w.write(&format!("out/{}/.DS_Store", first.display()), "finder");
    let r = run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = first.file_name().unwrap().to_str().unwrap();
    for words in [id, "a published set older than the 1 kept", "\".DS_Store\"", "neither removed nor counted"] {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
    assert!(w.path("out").join(&first).join(".DS_Store").exists(), "kept");
    let runs = std::fs::read_dir(w.path("out/runs")).unwrap().count();
    assert_eq!(runs, 2, "the person's set and the one kept");
}

/// An old published set someone edited (a note appended to its report, a table rewritten) was
/// pruned without a word (helper-153), where one a file was added to is kept: its files are not
/// those its run wrote (their SHA-256 against its manifest's), so it is kept and said too. A
/// file deleted from it is no person's work: pruned.
#[test]
fn an_old_set_a_person_edited_is_kept_and_said() {
    let w = Workdir::new();
    let (run, first) = one_set_kept(&w);
    let report = w.path("out").join(&first).join("report.html");
    let mut html = std::fs::read_to_string(&report).unwrap();
    html.push_str("<!-- reviewed by the analyst -->");
    std::fs::write(&report, &html).unwrap();
    let r = run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = first.file_name().unwrap().to_str().unwrap();
    for words in [id, "a published set older than the 1 kept", "report.html: ", "neither removed nor counted"] {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
    assert_eq!(std::fs::read_to_string(&report).unwrap(), html, "kept as edited");
    // the same size, other bytes: changed in place
    let second = std::fs::read_link(w.path("out/current")).unwrap();
    let report = w.path("out").join(&second).join("report.html");
    let html = std::fs::read_to_string(&report).unwrap().replacen("<title>", "<TITLE>", 1);
    std::fs::write(&report, &html).unwrap();
    let r = run();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("report.html: its content changed"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&report).unwrap(), html, "kept as edited");
    // a file deleted: the set is pruned
    let third = std::fs::read_link(w.path("out/current")).unwrap();
    std::fs::remove_file(w.path("out").join(&third).join("report.html")).unwrap();
    assert_eq!(run().code, 0);
    assert!(!w.path("out").join(&third).exists(), "pruned");
    assert!(w.path("out").join(&first).exists() && w.path("out").join(&second).exists());
}

/// Two pipeline files beside each other left to the default `output` folder, each with its own
/// shop's export: each run replaced the other shop's lists, every run exit 0, `status` healthy
/// (helper-98). A set sharing no customer and no item with the published one is refused, naming
/// both runs' files; `--force` publishes it. A scheduler's pipeline file written anew beside a
/// dated export of the same shop shares its customers: published.
#[test]
fn another_shops_export_published_into_the_same_folder_is_refused() {
    let w = Workdir::new();
    let a = w.copy("tiny.csv");
    // another shop: its own customers and items
    let mut other = String::from("InvoiceNo,StockCode,Quantity,InvoiceDate,CustomerID\n");
    for k in 0..40 {
        let day = 1 + k % 20;
        other += &format!("{},Z{},1,2010-12-{day:02} 10:00:00,{}\n", 900 + k, k % 7, 800_001 + k % 9);
    }
    let b = w.write("shop_b.csv", other);
    let shop = |name: &str, input: &std::path::Path| {
        w.write(&format!("pipelines/{name}.toml"), format!("[input]\npath = {:?}\n", input.display().to_string()))
    };
    let (pa, pb) = (shop("shop_a", &a), shop("shop_b", &b));
    let run = |p: &std::path::Path, more: &[&str]| {
        let mut args = vec!["run", p.to_str().unwrap(), "--quiet"];
        args.extend(more);
        w.kindred(&args)
    };
    assert_eq!(run(&pa, &[]).code, 0);
    let manifest = w.manifest("pipelines/output");
    assert_eq!(manifest["input"]["pipeline_absolute_path"], pa.display().to_string());
    let before = tree(&w.path("pipelines/output/current/"));
    let r = run(&pb, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let words =
        ["refuse_nothing_in_common", "none of the", "shop_a.toml", "shop_b.toml", "give each its own [output] dir"];
    for words in words {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
    assert_eq!(tree(&w.path("pipelines/output/current/")), before, "the published set untouched");
    assert_eq!(run(&pb, &["--force"]).code, 0);
    // a scheduler's pipeline file, written anew each night, beside tonight's dated export of
    // the shop just published: another file, another export, the same shop
    let tonight = w.path("shop_b-2010-12-21.csv");
    std::fs::copy(&b, &tonight).unwrap();
    let templated = w.write(
        "tmp/run-4242/pipeline.toml",
        format!(
            "[input]\npath = {:?}\n[output]\ndir = {:?}\n",
            tonight.display().to_string(),
            w.path("pipelines/output").display().to_string()
        ),
    );
    let r = run(&templated, &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gates = w.manifest("pipelines/output")["gates"].clone();
    let verdict = gates.as_array().unwrap().iter().find(|g| g["gate"] == "refuse_nothing_in_common").cloned();
    let detail = verdict.unwrap()["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("9 customers with a list and 7 items in common"), "{detail}");
}

/// Two shops numbering their customers and products alike (two self-hosted shops counting from
/// 1; helper-100): ids in common, so "nothing in common" passed and every list was replaced.
/// The ids they share name other products, their descriptions sharing no word — refused, with
/// an example; a shop renaming one of its products and adding a stock level to another is
/// published; one whose codes now have no item in common is refused, naming the customers in
/// common.
#[test]
fn another_shop_whose_ids_overlap_is_refused_by_what_they_name() {
    let w = Workdir::new();
    let tiny = std::fs::read_to_string(w.copy("tiny.csv")).unwrap();
    let named = |pairs: &[(&str, &str)]| pairs.iter().fold(tiny.clone(), |t, (a, b)| t.replace(a, b));
    let pipeline = w.pipeline("p.toml", &w.path("today.csv"), "");
    let night = |text: String, more: &[&str]| {
        w.write("today.csv", text);
        let mut args = vec!["run", pipeline.to_str().unwrap(), "--quiet"];
        args.extend(more);
        w.kindred(&args)
    };
    assert_eq!(night(tiny.clone(), &[]).code, 0);
    // the same shop renaming one of its ten products, and adding a stock level to another:
    // published
    let renamed =
        [("ALARM CLOCK RED", "ALARM CLOCK - RED (12 in stock)"), ("GLASS STAR LANTERN", "CHRISTMAS ORNAMENT")];
    let r = night(named(&renamed), &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let gates = w.manifest("out")["gates"].clone();
    let gate = gates.as_array().unwrap().iter().find(|g| g["gate"] == "refuse_nothing_in_common").cloned().unwrap();
    assert!(gate["detail"].as_str().unwrap().contains("1 of 10 described otherwise"), "{gate}");
    let drift = w.manifest("out")["drift"].clone();
    assert_eq!((drift["items_described"].as_u64(), drift["items_described_otherwise"].as_u64()), (Some(10), Some(1)));
    let before = tree(&w.path("out/current/"));
    // another shop: the same ids, other products
    let other = [
        ("WHITE HANGING HEART", "GARDEN HOSE 20M"),
        ("WHITE METAL LANTERN", "HEDGE TRIMMER"),
        ("JUMBO", "SEED"),
        ("GLASS STAR LANTERN", "RAKE"),
        ("HAND WARMER UNION JACK", "WATERING CAN"),
        ("ALARM CLOCK RED", "PLANT POT"),
        ("ALARM CLOCK PINK", "TROWEL"),
    ];
    let r = night(named(&other), &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    for words in ["refuse_nothing_in_common", "name other products", "e.g. '", "give each its own [output] dir"] {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
    assert_eq!(tree(&w.path("out/current/")), before, "the published set untouched");
    // customers in common, no product: refused, naming how many customers
    let mut coded = tiny.clone();
    for code in ["85123A", "71053", "84406B", "21730", "22633", "22727", "22728", "22745", "99999", "POST"] {
        coded = coded.replace(&format!(",{code},"), &format!(",SKU{code}X,"));
    }
    let r = night(coded, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains(" of the ") && r.stderr.contains("customers with a list and none of the"),
        "{}",
        r.stderr
    );
}

/// Issue 14 case 2: `dir = "/"` published into the root; `dir = ""` silently meant the
/// pipeline file's folder.
#[test]
fn an_output_dir_that_is_the_root_or_empty_is_a_usage_error() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    std::os::unix::fs::symlink("/", w.path("root")).unwrap();
    let pipeline = |dir: &str| {
        w.write("p.toml", format!("[input]\npath = {:?}\n[output]\ndir = {dir:?}\n", tiny.display().to_string()))
    };
    let names = || tree(w.dir.path()).into_keys().collect::<Vec<_>>();
    pipeline("/");
    let before = names();
    for dir in ["/", w.path("root").to_str().unwrap()] {
        fails(&w, &pipeline(dir), 2, &["[output] dir", "is the root folder"]);
    }
    fails(&w, &pipeline(""), 2, &["[output] dir", "is empty"]);
    assert_eq!(names(), before, "nothing created beside the pipeline");
}

/// Issue 14 case 3: the export inside the output folder was replaced by a link to the run's
/// own output (exit 0), and the next run failed.
#[test]
fn an_export_inside_the_output_folder_is_a_usage_error() {
    let w = Workdir::new();
    std::fs::create_dir_all(w.path("shop")).unwrap();
    let export = w.path("shop/purchases.parquet");
    std::fs::copy(crate::workdir::fixture("tiny.parquet"), &export).unwrap();
    let before = tree(&w.path("shop"));
    let p = w.pipeline_with("p.toml", &export, "", "shop", "");
    fails(&w, &p, 2, &["[output] dir", "holds the input file", "shop/purchases.parquet"]);
    assert_eq!(tree(&w.path("shop")), before, "the export untouched, nothing created");
}

/// Issue 14 case 4: `.lock` a link was followed, truncated and overwritten: a root cron job
/// could be made to clobber any file.
#[test]
fn a_lock_that_is_a_link_is_refused_and_its_target_untouched() {
    let w = Workdir::new();
    let p = w.pipeline("p.toml", &w.copy("tiny.csv"), "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let victim = w.write("victim.txt", "precious");
    std::fs::remove_file(w.path("out/.lock")).unwrap();
    std::os::unix::fs::symlink(&victim, w.path("out/.lock")).unwrap();
    let before = tree(&w.path("out"));
    fails(&w, &p, 1, &["out/.lock is a link to", "victim.txt", "not kindred's lock file"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(tree(&w.path("out")), before);
}

/// Issue 14 case 5: with `current` missing or rolled back, a failing run deleted the kept runs
/// (all, or those newer); `current` a real folder (restored with `cp -rL`) failed every run
/// with "Is a directory", each attempt wiping history and leaving debris.
#[test]
fn a_failing_run_keeps_every_run_whatever_current_is() {
    let w = Workdir::new();
    let good = w.pipeline("good.toml", &w.copy("tiny.csv"), "");
    for _ in 0..3 {
        let r = w.kindred(&["run", good.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let runs = tree(&w.path("out/runs"));
    let mut ids: Vec<String> = std::fs::read_dir(w.path("out/runs"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().into_string().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 3);
    let current = w.path("out/current");
    let missing = w.pipeline("missing.toml", &w.path("nope.csv"), "");
    std::fs::remove_file(&current).unwrap();
    fails(&w, &missing, 1, &["does not exist"]);
    assert_eq!(published_runs(&w.path("out/runs")), runs, "current missing");
    std::os::unix::fs::symlink(format!("runs/{}", ids[0]), &current).unwrap();
    fails(&w, &missing, 1, &["does not exist"]);
    assert_eq!(published_runs(&w.path("out/runs")), runs, "current rolled back");
    // each failed run added its record (issue 16), and nothing else
    assert_eq!(std::fs::read_dir(w.path("out/runs")).unwrap().count(), 5);
    std::fs::remove_file(&current).unwrap();
    std::fs::create_dir(&current).unwrap();
    for e in std::fs::read_dir(w.path("out/runs").join(&ids[2])).unwrap().flatten() {
        std::fs::copy(e.path(), current.join(e.file_name())).unwrap();
    }
    let out = tree(&w.path("out"));
    for _ in 0..2 {
        fails(
            &w,
            &good,
            1,
            &["out/current is a folder, not kindred's link", "move it away or choose another [output] dir"],
        );
        assert_eq!(tree(&w.path("out")), out, "current a folder: nothing deleted, no debris");
    }
    std::fs::remove_dir_all(&current).unwrap();
    std::os::unix::fs::symlink(format!("runs/{}", ids[2]), &current).unwrap();
    let r = w.kindred(&["run", good.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "restored: {}", r.stderr);
}

/// helper-171: an export job that still writes the `Description` header but lost its content:
/// the description blend dropped out of the selection, 96% of the lists changed and
/// `items.parquet` lost every name, at exit 0. A mapped column (not a required role's, nor the
/// date's) that holds no value where the last published run's held some is refused (exit 3,
/// gate `emptied_column`, the set untouched); unmapped, the night publishes; `--force` too.
#[test]
fn a_mapped_column_that_arrives_empty_is_refused() {
    let w = Workdir::new();
    let export = |described: bool| {
        let mut text = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID\n");
        for k in 0..40 {
            let name = if described { format!("ITEM {}", k % 7) } else { String::new() };
            text += &format!("{},I{},{name},1,2010-12-{:02} 10:00:00,{}\n", 1000 + k, k % 7, 1 + k % 20, 100 + k % 9);
        }
        text
    };
    w.write("shop.csv", export(true));
    let emptied = export(false);
    let night = w.write("emptied.csv", emptied);
    let p = w.write("p.toml", "[input]\npath = \"shop.csv\"\n[output]\ndir = \"out\"\n");
    let run = |more: &[&str]| {
        let mut args = vec!["run", p.to_str().unwrap(), "--quiet"];
        args.extend(more);
        w.kindred(&args)
    };
    assert_eq!(run(&[]).code, 0);
    let before = tree(&w.path("out/current/"));
    let r = run(&["--input", night.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    for words in ["emptied_column", "column 'Description' (description) holds no value in any of the 40 rows"] {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
    assert_eq!(tree(&w.path("out/current/")), before, "the published set untouched");
    // the export as it was publishes; so does the emptied one unmapped, or forced
    assert_eq!(run(&[]).code, 0);
    let unmapped =
        w.write("q.toml", "[input]\npath = \"emptied.csv\"\n[columns]\ndescription = \"\"\n[output]\ndir = \"out\"\n");
    let r = w.kindred(&["run", unmapped.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(run(&["--input", night.to_str().unwrap(), "--force"]).code, 0);
}
