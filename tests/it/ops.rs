//! Operators' conveniences (issue 16): flags from the environment, timestamped plain or JSON
//! log lines on stderr with the audit table on stdout, a failed or refused run's record, and
//! `kindred status`.

use std::path::{Path, PathBuf};

use crate::errors::published;
use crate::workdir::{untimed, Workdir};

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The run-id-named folders under `out/runs`, sorted.
fn runs(w: &Workdir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(w.path("out/runs"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The one run folder `after` has that `before` had not.
fn new_run(w: &Workdir, before: &[String]) -> PathBuf {
    let new: Vec<String> = runs(w).into_iter().filter(|r| !before.contains(r)).collect();
    assert_eq!(new.len(), 1, "expected one new run folder: {new:?}");
    w.path("out/runs").join(&new[0])
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn first_error(stderr: &str) -> &str {
    stderr.lines().find(|l| l.starts_with("kindred: error:")).unwrap_or_default()
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(std::fs::read(path).unwrap()))
}

/// Asserts that every file the manifest of the set in `set` lists (`reports.write.files`, the
/// report: all but the manifest) records the SHA-256 of its bytes beside their size, lowercase
/// hex as `input.sha256`.
pub(crate) fn records_every_files_sha256(set: &Path) {
    let m = json(&set.join("manifest.json"));
    let files = m["reports"]["write"]["files"].as_array().unwrap();
    let listed: Vec<&serde_json::Value> = files.iter().chain([&m["reports"]["report"]]).collect();
    assert_eq!(listed.len(), kindred::write::file::ALL.len() - 1, "{m}");
    for f in listed {
        let name = f["file"].as_str().unwrap();
        assert_eq!(f["sha256"].as_str(), Some(sha256(&set.join(name)).as_str()), "{name}: {f}");
    }
}

/// helper-118: a set's files recorded their sizes only, so a file changed in place (the same
/// size) could not be told from the one written. Each records its SHA-256.
#[test]
fn every_file_of_a_set_records_its_sha256() {
    let w = published();
    records_every_files_sha256(&w.path("out/current"));
}

#[test]
fn every_run_flag_comes_from_the_environment_and_a_flag_wins() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &tiny, "");
    let env = [
        ("KINDRED_PIPELINE", p.to_str().unwrap()),
        ("KINDRED_OUTPUT", "from_env"),
        ("KINDRED_THREADS", "1"),
        ("KINDRED_QUIET", "true"),
        ("KINDRED_FORCE", "yes"),
    ];
    let r = w.kindred_env(&["run"], &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""), "KINDRED_QUIET: nothing but errors");
    let m = json(&w.path("from_env/manifest.json"));
    assert_eq!(m["parameters"]["threads"], 1, "KINDRED_THREADS");
    assert_eq!(m["parameters"]["force"], true, "KINDRED_FORCE");
    assert!(m["input"]["path"].as_str().unwrap().ends_with("tiny.csv"), "KINDRED_PIPELINE's input");
    assert!(!w.path("out").exists(), "KINDRED_OUTPUT overrides the pipeline's [output] dir");
    // KINDRED_INPUT, and flags over variables
    let empty = w.write("empty.csv", "");
    let env = [("KINDRED_INPUT", empty.to_str().unwrap()), ("KINDRED_OUTPUT", "from_env"), ("KINDRED_QUIET", "0")];
    let r = w.kindred_env(&["run", p.to_str().unwrap(), "--output", "from_flag"], &env);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(first_error(&r.stderr).contains("empty.csv"), "{}", r.stderr);
    let r =
        w.kindred_env(&["run", p.to_str().unwrap(), "--input", tiny.to_str().unwrap(), "--output", "from_flag"], &env);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(w.path("from_flag/manifest.json").exists() && r.stderr.contains("kindred: ingest:"), "{}", r.stderr);
}

#[test]
fn a_bad_variable_is_a_usage_error_naming_it() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &tiny, "");
    let cases: [(&[&str], &str, &str); 6] = [
        (&["run"], "KINDRED_THREADS", "abc"),
        (&["run"], "KINDRED_THREADS", "0"),
        (&["run"], "KINDRED_QUIET", "maybe"),
        (&["run"], "KINDRED_LOG_FORMAT", "xml"),
        (&["evaluate", "--cutoff", "2011-09-01"], "KINDRED_THREADS", "-2"),
        (&["status"], "KINDRED_MAX_AGE", "soon"),
    ];
    for (args, name, value) in cases {
        let args: Vec<&str> = args.iter().copied().chain([p.to_str().unwrap()]).collect();
        let args = if args[0] == "status" { vec!["status", "--pipeline", p.to_str().unwrap()] } else { args };
        let r = w.kindred_env(&args, &[(name, value)]);
        assert_eq!(r.code, 2, "{name}={value}: {}", r.stderr);
        let first = first_error(&r.stderr);
        assert!(first.contains(&format!("environment variable {name}")), "{name}={value}: {}", r.stderr);
        assert!(first.contains(&format!("'{value}'")), "{name}={value}: {}", r.stderr);
        assert!(!w.path("out").exists(), "{name}={value}: nothing was run");
    }
    // a positional argument's variable set empty (a template's unfilled value): named too
    for (args, name) in [(&["status"][..], "KINDRED_OUTPUT"), (&["run"][..], "KINDRED_PIPELINE")] {
        let r = w.kindred_env(args, &[(name, "")]);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(
            first_error(&r.stderr).contains(&format!("environment variable {name}: a value is required")),
            "{}",
            r.stderr
        );
    }
    // on the command line it is clap's usage error, as before
    let r = w.kindred(&["run", p.to_str().unwrap(), "--threads", "0"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("'--threads <THREADS>'") && !r.stderr.contains("environment"), "{}", r.stderr);
    // helper-127: a value clap takes but kindred refuses after (a `~` path, 0 shards) was said
    // under the flag a cron job never typed; typed, the flag is named, whatever the variable
    let tilde = "starts with '~', which only a shell expands";
    for (args, name, value, says) in [
        (&["run"][..], "KINDRED_OUTPUT", "~/recs", tilde),
        (&["run"][..], "KINDRED_INPUT", "~/x.csv", tilde),
        (&["prepare"][..], "KINDRED_SHARDS", "0", "must be between 1 and"),
        // read past the spaces around it, as KINDRED_INDEX is (helper-158: a usage error)
        (&["prepare"][..], "KINDRED_SHARDS", " 0 ", "must be between 1 and"),
    ] {
        let args: Vec<&str> = args.iter().copied().chain([p.to_str().unwrap()]).collect();
        let r = w.kindred_env(&args, &[(name, value)]);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        let first = first_error(&r.stderr);
        let flag = format!("--{}", name.trim_start_matches("KINDRED_").to_lowercase());
        assert!(first.contains(&format!("environment variable {name} (for {flag}): ")), "{}", r.stderr);
        assert!(first.contains(says) && first.ends_with(&format!("fix or unset {name}")), "{}", r.stderr);
    }
    for typed in [&["--output", "~/recs"][..], &["--output=~/recs"][..]] {
        let args: Vec<&str> = ["run", p.to_str().unwrap()].into_iter().chain(typed.iter().copied()).collect();
        let r = w.kindred_env(&args, &[("KINDRED_OUTPUT", "~/other")]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(first_error(&r.stderr).contains("--output: ~/recs starts with '~'"), "{}", r.stderr);
    }
    // audit's input is its INPUT argument, which has no --input flag (helper-139)
    let r = w.kindred(&["audit", "~/x.csv"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(first_error(&r.stderr).contains("INPUT: ~/x.csv starts with '~'"), "{}", r.stderr);
}

#[test]
fn help_shows_the_variables_and_an_example() {
    let w = Workdir::new();
    for command in ["run", "audit", "evaluate", "generate", "bench", "explain", "status"] {
        let r = w.kindred(&[command, "--help"]);
        assert_eq!(r.code, 0, "{command}: {}", r.stderr);
        assert!(r.stdout.contains("Examples:\n  kindred "), "{command}: {}", r.stdout);
        assert!(r.stdout.contains("[env: KINDRED_LOG_FORMAT=]"), "{command}: {}", r.stdout);
    }
    let run = w.kindred(&["run", "--help"]).stdout;
    for var in ["PIPELINE", "INPUT", "OUTPUT", "THREADS", "QUIET", "FORCE"] {
        assert!(run.contains(&format!("[env: KINDRED_{var}=]")), "KINDRED_{var}: {run}");
    }
    let status = w.kindred(&["status", "--help"]).stdout;
    assert!(status.contains("[env: KINDRED_MAX_AGE=]") && status.contains("--max-age 26h"), "{status}");
    assert!(w.kindred(&["--help"]).stdout.contains("Examples:"));
}

#[test]
fn plain_log_lines_carry_a_utc_timestamp_and_the_audit_table_goes_to_stdout() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &tiny, "");
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in r.raw_stderr.lines() {
        let stamp = line.get(..24).unwrap_or_default();
        let at = chrono::DateTime::parse_from_rfc3339(stamp).unwrap_or_else(|e| panic!("{line:?}: {e}"));
        assert!(at >= before && at <= chrono::Utc::now(), "{line}");
        assert!(stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.', "UTC to the millisecond: {line}");
        assert!(untimed(line).starts_with("kindred: "), "{line}");
    }
    assert!(r.stderr.contains("kindred: ingest: 30 rows") && r.stderr.contains("kindred: published 7"), "{}", r.stderr);
    // the audit table is the result on stdout; the logs have none of it
    let header = r.stdout.lines().next().unwrap_or_default();
    assert!(header.starts_with("column") && header.contains("null %"), "{}", r.stdout);
    assert!(r.stdout.contains("CustomerID") && r.stdout.contains("(30 rows × 8 columns)"), "{}", r.stdout);
    assert!(!r.stderr.contains("null %") && !r.stderr.contains("CustomerID "), "{}", r.stderr);
    let quiet = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!((quiet.code, quiet.stdout.as_str(), quiet.stderr.as_str()), (0, "", ""));
}

/// Every stderr line of `r`, each one JSON object with exactly the log's keys.
fn json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}"));
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            let mut expected = ["timestamp", "level", "run_id", "stage", "rows", "seconds", "message"];
            expected.sort();
            let mut keys = keys.clone();
            keys.sort();
            assert_eq!(keys, expected, "{line}");
            v
        })
        .collect()
}

#[test]
fn json_logs_are_one_object_per_line_with_stage_rows_and_seconds() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &tiny, "");
    // the flag in any position, or the variable
    for (args, env) in [
        (vec!["--log-format", "json", "run", p.to_str().unwrap()], vec![]),
        (vec!["run", p.to_str().unwrap(), "--log-format=json"], vec![]),
        (vec!["run", p.to_str().unwrap()], vec![("KINDRED_LOG_FORMAT", "json")]),
        // in any case, as the pipeline file's choices (helper-139: JSON was refused)
        (vec!["--log-format", "JSON", "run", p.to_str().unwrap()], vec![]),
        (vec!["run", p.to_str().unwrap()], vec![("KINDRED_LOG_FORMAT", "Json")]),
    ] {
        let r = w.kindred_env(&args, &env);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let lines = json_lines(&r.raw_stderr);
        let run_id = json(&w.path("out/manifest.json"))["run_id"].clone();
        // from the second run on, the same export published again is a note of its own (a
        // rerun within half a day of the first run that read it)
        let unchanged = |l: &serde_json::Value| {
            l["level"] == "note"
                && l["message"].as_str().is_some_and(|m| m.contains("byte for byte") && m.contains("a rerun"))
        };
        assert!(
            lines.iter().all(|l| l["run_id"] == run_id && (l["level"] == "info" || unchanged(l))),
            "{}",
            r.raw_stderr
        );
        let stages: Vec<&str> = lines.iter().filter_map(|l| l["stage"].as_str()).collect();
        // the clean stage's second line is the after-cleaning check's statement (issue 17)
        let expected = [
            "ingest",
            "audit",
            "clean",
            "clean",
            "pivot",
            "similarity",
            "customer_neighbours",
            "recommend",
            "drift",
            "write",
            "report",
        ];
        assert_eq!(stages, expected, "{}", r.raw_stderr);
        let after = lines.iter().filter(|l| l["stage"] == "clean").nth(1).unwrap();
        assert!(after["message"].as_str().unwrap().starts_with("no nulls left in the 5 mapped columns"), "{after}");
        let ingest = &lines[0];
        assert_eq!((ingest["rows"].as_u64(), ingest["seconds"].is_f64()), (Some(30), true), "{ingest}");
        assert!(ingest["message"].as_str().unwrap().starts_with("30 rows × 8 columns"), "{ingest}");
        let last = lines.last().unwrap();
        assert!(last["stage"].is_null() && last["message"].as_str().unwrap().starts_with("published 7"), "{last}");
        assert!(chrono::DateTime::parse_from_rfc3339(last["timestamp"].as_str().unwrap()).is_ok(), "{last}");
        // session 25: the audit table on stdout broke a collector reading both streams as JSON
        assert!(r.stdout.is_empty(), "nothing but JSON lines: {}", r.stdout);
        let audit = &lines[1];
        assert_eq!(audit["rows"].as_u64(), Some(30), "{audit}");
        // each stage's rows as the manifest's stages hand them on (helper-167: the report's
        // line said the rows it read, 1810, the manifest 1 file)
        let stages = w.manifest("out")["stages"].as_array().unwrap().clone();
        for line in lines.iter().filter(|l| l["stage"].is_string() && l["rows"].is_u64()) {
            let stage = stages.iter().find(|s| s["name"] == line["stage"]).unwrap();
            assert_eq!(line["rows"], stage["rows_out"], "{stage}: {line}");
        }
        let report = lines.iter().find(|l| l["stage"] == "report").unwrap();
        assert_eq!(report["rows"].as_u64(), Some(1), "{report}");
        assert!(audit["message"].as_str().unwrap().contains(" nulls, 0 invalid, "), "{audit}");
    }
    // session 25: a usage error clap finds (an unknown flag, a bad index) was plain text
    let usage = [
        (vec!["--log-format", "json", "run", "--bogus"], "unexpected argument '--bogus'"),
        (vec!["shard", "--index", "x", "--log-format=json"], "invalid value 'x' for '--index"),
    ];
    for (args, words) in usage {
        let r = w.kindred(&args);
        assert_eq!(r.code, 2, "{}", r.raw_stderr);
        let lines = json_lines(&r.raw_stderr);
        assert!(lines.len() == 1 && lines[0]["level"] == "error", "{}", r.raw_stderr);
        assert!(lines[0]["message"].as_str().unwrap().starts_with(words), "{}", r.raw_stderr);
    }
    // an error is a json line too, of level error, with the run it belongs to
    let r = w.kindred(&["run", p.to_str().unwrap(), "--input", "nope.csv", "--log-format", "json", "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.raw_stderr);
    let lines = json_lines(&r.raw_stderr);
    assert_eq!(lines.len(), 1, "quiet: the error only: {}", r.raw_stderr);
    assert_eq!(lines[0]["level"], "error");
    assert!(lines[0]["message"].as_str().unwrap().contains("nope.csv does not exist"), "{}", r.raw_stderr);
    assert!(lines[0]["run_id"].as_str().is_some_and(kindred::publish::is_run_id), "{}", r.raw_stderr);
    // before any run id (a usage error): null
    let r = w.kindred(&["--log-format", "json", "status", "nowhere"]);
    assert_eq!(r.code, 1, "{}", r.raw_stderr);
    assert!(json_lines(&r.raw_stderr)[0]["run_id"].is_null(), "{}", r.raw_stderr);
}

#[test]
fn a_failed_run_records_its_manifest_without_touching_the_published_set() {
    let w = published();
    let before = (w.published(), runs(&w), std::fs::read_link(w.path("out/current")).unwrap());
    let p = w.pipeline("p.toml", &w.path("nope.csv"), "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!((w.published(), std::fs::read_link(w.path("out/current")).unwrap()), (before.0, before.2));
    let record = new_run(&w, &before.1);
    assert_eq!(names(&record), ["manifest.json"], "a record holds its manifest only");
    let m = json(&record.join("manifest.json"));
    assert_eq!((m["status"].as_str(), m["exit_code"].as_u64()), (Some("failed"), Some(1)), "{m}");
    assert_eq!(m["run_id"].as_str(), record.file_name().unwrap().to_str());
    assert!(m["error"]["message"].as_str().unwrap().contains("nope.csv does not exist"), "{m}");
    assert!(m["input"]["path"].as_str().unwrap().ends_with("nope.csv") && m["input"]["sha256"].is_null(), "{m}");
    for key in ["kindred_version", "schema_version", "started_utc", "finished_utc", "parameters"] {
        assert!(!m[key].is_null(), "{key}: {m}");
    }
    assert_eq!(m["gates"], serde_json::json!([]));
    let leftovers: Vec<String> = names(&w.path("out")).into_iter().filter(|n| n.starts_with(".staging")).collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    // the published run's manifest says so
    assert_eq!(json(&w.path("out/manifest.json"))["status"], "published");
    // status says the error whole, on its line, where a value in it holds a line end (a name
    // cut at its line end said "error: …no")
    let p = w.pipeline("broken.toml", &w.path("no\npe.csv"), "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap()]).code, 1);
    let r = w.kindred(&["status", w.path("out").to_str().unwrap()]);
    let line = r.stdout.lines().find(|l| l.trim_start().starts_with("error:")).unwrap_or_default();
    assert!(line.contains("no\\npe.csv does not exist"), "{}", r.stdout);
}

#[test]
fn a_refused_run_records_every_gate_verdict_and_the_input_checksum() {
    let w = published();
    let tiny = w.path("tiny.csv");
    let before = (w.published(), runs(&w));
    let p = w.pipeline("p.toml", &tiny, "[gates]\nmin_customers = 1000");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(w.published(), before.0);
    let m = json(&new_run(&w, &before.1).join("manifest.json"));
    assert_eq!((m["status"].as_str(), m["exit_code"].as_u64()), (Some("refused"), Some(3)), "{m}");
    assert!(m["error"]["message"].as_str().unwrap().contains("gate min_customers"), "{m}");
    let verdicts: Vec<(String, bool)> = m["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["gate"].as_str().unwrap().to_string(), g["passed"].as_bool().unwrap()))
        .collect();
    assert!(verdicts.contains(&("max_dropped_share".into(), true)), "{verdicts:?}");
    assert!(verdicts.contains(&("min_customers".into(), false)), "{verdicts:?}");
    assert!(verdicts.iter().any(|(g, _)| g == "max_customer_drop_vs_previous"), "{verdicts:?}");
    assert_eq!(m["input"]["sha256"].as_str(), Some(sha256(&tiny).as_str()));
    assert_eq!(m["input"]["bytes"].as_u64(), Some(std::fs::metadata(&tiny).unwrap().len()));
    // a gate on what the model made: the input gates' verdicts come first
    // (no neighbour is that similar: every row a popularity top-up)
    let p = w.pipeline("p2.toml", &tiny, "[model]\nmin_similarity = 0.9");
    let before = runs(&w);
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    let m = json(&new_run(&w, &before).join("manifest.json"));
    let gates: Vec<(&str, bool)> = m["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["gate"].as_str().unwrap(), g["passed"].as_bool().unwrap()))
        .collect();
    assert_eq!(gates[..2], [("max_dropped_share", true), ("min_customers", true)], "{m}");
    assert!(gates.contains(&("model_recommendations", false)), "{m}");
    assert!(gates.contains(&("max_model_row_drop_vs_previous", false)), "every verdict, not just the first: {m}");
}

#[test]
fn errors_before_the_lock_and_a_held_lock_record_nothing() {
    let w = published();
    let tiny = w.path("tiny.csv");
    let before = runs(&w);
    let p = w.pipeline("p.toml", &tiny, "[model]\nneighbours = 0");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap()]).code, 2);
    assert_eq!(runs(&w), before, "a pipeline-file error records nothing");
    let p = w.pipeline("p.toml", &tiny, "");
    let holder =
        kindred::publish::Publisher::open(&w.path("out"), &kindred::publish::new_run_id(), "2026-11-29T02:00:00Z")
            .unwrap();
    assert_eq!(w.kindred(&["run", p.to_str().unwrap()]).code, 4);
    drop(holder);
    assert_eq!(runs(&w), before, "a run locked out records nothing");
}

#[test]
fn failed_records_are_pruned_with_the_runs_before_them() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let good = w.pipeline("good.toml", &tiny, "");
    let good = w
        .write("good.toml", std::fs::read_to_string(&good).unwrap().replace("[output]\n", "[output]\nkeep_runs = 2\n"));
    let bad = w.pipeline("bad.toml", &w.path("nope.csv"), "");
    let run = |p: &Path, code: i32| {
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.code, code, "{}", r.stderr);
        runs(&w).last().unwrap().clone()
    };
    let p1 = run(&good, 0);
    let f1 = run(&bad, 1);
    let f2 = run(&bad, 1);
    let p2 = run(&good, 0);
    assert_eq!(runs(&w), [p1.clone(), f1, f2, p2.clone()], "records are not counted as kept runs");
    let p3 = run(&good, 0);
    assert_eq!(runs(&w), [p2, p3], "records older than the oldest kept run go with it");
}

/// What the folder's manifest holds is shown escaped, one fact a line: an export whose name
/// held a line break printed a `health:` line of its own (a helper's `x\nhealth: healthy`).
#[test]
fn status_shows_a_line_break_in_a_name_escaped() {
    let w = Workdir::new();
    let input = w.path("today\nhealth:        healthy.csv");
    std::fs::copy(crate::workdir::fixture("tiny.csv"), &input).unwrap();
    let p = w.pipeline("nl.toml", &input, "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let (code, out, _) = status(&w, &["out"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("health:")).count(), 1, "{out}");
    assert!(out.contains("today\\nhealth:        healthy.csv sha256"), "{out}");
}

/// `kindred status DIR` with `args`: exit code, stdout.
fn status(w: &Workdir, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["status"];
    all.extend_from_slice(args);
    let r = w.kindred(&all);
    (r.code, r.stdout, r.stderr)
}

#[test]
fn status_of_a_healthy_folder_exits_0() {
    let w = published();
    let (code, out, err) = status(&w, &["out"]);
    assert_eq!(code, 0, "{out}{err}");
    let current = std::fs::read_link(w.path("out/current")).unwrap();
    let run_id = current.file_name().unwrap().to_str().unwrap();
    assert!(out.contains(&format!("published:     run {run_id}")) && out.contains("customers:   7"), "{out}");
    assert!(out.contains(&sha256(&w.path("tiny.csv"))) && out.contains("health:        healthy"), "{out}");
    let (code, out, _) = status(&w, &["out", "--json", "--max-age", "26h"]);
    assert_eq!(code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["healthy"].as_bool(), v["max_age_seconds"].as_u64()), (Some(true), Some(26 * 3600)), "{v}");
    assert_eq!(v["published"]["run_id"].as_str(), Some(run_id));
    assert_eq!(v["last_attempt"]["status"], "published");
    assert!(v["published"]["age_seconds"].as_u64().unwrap() < 600, "{v}");
    // DIR from the pipeline file, or from KINDRED_OUTPUT
    let p = w.path("good.toml");
    assert_eq!(status(&w, &["--pipeline", p.to_str().unwrap()]).0, 0);
    // a pipeline every run refuses is refused here too (helper-105: it read healthy, exit 0)
    let good = std::fs::read_to_string(&p).unwrap();
    let zero = w.write("zero.toml", format!("{good}\n[recommend]\nper_customer = 0\n"));
    let (code, _, err) = status(&w, &["--pipeline", zero.to_str().unwrap()]);
    assert!(code == 2 && err.contains("per_customer"), "{code}: {err}");
    let (code, out, _) = status(&w, &["--pipeline", zero.to_str().unwrap(), "--json"]);
    let bad: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(code == 2 && bad["healthy"] == false && bad["error"].as_str().unwrap().contains("per_customer"), "{out}");
    // but for its input, which a scheduler passes the runs only (helper-107: every status exit 2)
    let no_input: String = good.lines().filter(|l| !l.starts_with("path =")).map(|l| format!("{l}\n")).collect();
    let no_input = w.write("no_input.toml", no_input);
    assert_eq!(status(&w, &["--pipeline", no_input.to_str().unwrap()]).0, 0);
    let r = w.kindred_env(&["status"], &[("KINDRED_OUTPUT", "out"), ("KINDRED_MAX_AGE", "2d")]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(v["published"]["damaged"], serde_json::json!([]), "{v}");
    assert_eq!(v["published"]["forced_gates"], serde_json::json!([]), "{v}");
    // an export named relative to where the run started: the table shows it absolute (the
    // manifest's `input.absolute_path`), the JSON both
    let pipeline = w.path("good.toml");
    let r = w.kindred(&["run", pipeline.to_str().unwrap(), "--input", "tiny.csv", "--output", "rel", "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (_, out, _) = status(&w, &["rel"]);
    let absolute = std::env::current_dir().unwrap().join(w.path("tiny.csv"));
    assert!(out.contains(&format!("  input:       {} sha256", absolute.display())), "{out}");
    let (_, out, _) = status(&w, &["rel", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["published"]["input_path"], "tiny.csv", "{v}");
    assert_eq!(v["published"]["input_absolute_path"].as_str(), absolute.to_str(), "{v}");
    // the published set damaged after the fact (a table deleted, one truncated): unhealthy,
    // naming each, though its manifest alone reads as whole
    std::fs::remove_file(w.path(&format!("out/runs/{run_id}/recommendations.parquet"))).unwrap();
    std::fs::write(w.path(&format!("out/runs/{run_id}/neighbours.parquet")), "").unwrap();
    let (code, v) = status_json(&w);
    assert_eq!(code, 6, "{v}");
    let damaged = v["published"]["damaged"].as_array().unwrap();
    assert_eq!(damaged[0], "recommendations.parquet: missing", "{v}");
    assert!(damaged[1].as_str().unwrap().starts_with("neighbours.parquet: 0 bytes where "), "{v}");
    assert!(v["problems"][0].as_str().unwrap().contains(") is damaged: recommendations.parquet: missing"), "{v}");
    // Session 26: a fixed top-level link missing (a run out of inodes could not make it, exit 0
    // with a warning) read as healthy while a dashboard reading out/items.parquet found nothing
    std::fs::remove_file(w.path("out/items.parquet")).unwrap();
    let (code, v) = status_json(&w);
    assert_eq!(code, 6, "{v}");
    let damaged = v["published"]["damaged"].as_array().unwrap();
    assert!(damaged.contains(&serde_json::json!("items.parquet: no top-level link to it")), "{v}");
    assert_eq!(damaged.len(), 3, "only the link of a file the set holds: {v}");
    // the next run makes it
    assert_eq!(w.kindred(&["run", w.path("good.toml").to_str().unwrap(), "--quiet"]).code, 0);
    assert_eq!(status_json(&w).0, 0);
    assert!(std::fs::read_link(w.path("out/items.parquet")).is_ok());
    // a set without a file the fixed link reaches for (an older kindred, rolled back to,
    // published it: no drift.parquet, no report.html) read as healthy while every reader of
    // out/drift.parquet failed
    let current = std::fs::read_link(w.path("out/current")).unwrap();
    let run_id = current.file_name().unwrap().to_str().unwrap();
    for name in ["drift.parquet", "report.html"] {
        std::fs::remove_file(w.path(&format!("out/runs/{run_id}/{name}"))).unwrap();
    }
    let manifest = w.path(&format!("out/runs/{run_id}/manifest.json"));
    let mut m: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["reports"]["write"]["files"].as_array_mut().unwrap().retain(|f| f["file"] != "drift.parquet");
    m["reports"].as_object_mut().unwrap().remove("report");
    std::fs::write(&manifest, m.to_string()).unwrap();
    let (code, v) = status_json(&w);
    assert_eq!(code, 6, "{v}");
    let damaged: Vec<&str> =
        v["published"]["damaged"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    let want = |name: &str| {
        format!(
            "{name}: its top-level link leads to no file (the published set has none: published by an older kindred?)"
        )
    };
    assert_eq!(damaged, [want("drift.parquet"), want("report.html")], "{v}");
}

/// Session 40: `current` pointed back by hand at an earlier set (a rollback, which the next
/// run's publish replaces) read as any healthy folder, and a set a later kindred wrote was
/// shown as if this one knew all of it. Both are said; neither is a problem.
#[test]
fn status_says_a_rollback_and_a_set_of_a_later_schema() {
    let w = published();
    let first = std::fs::read_link(w.path("out/current")).unwrap();
    assert_eq!(w.kindred(&["run", w.path("good.toml").to_str().unwrap(), "--quiet"]).code, 0);
    let second = std::fs::read_link(w.path("out/current")).unwrap();
    let (code, v) = status_json(&w);
    assert_eq!((code, &v["published"]["newer_set"]), (0, &serde_json::Value::Null), "{v}");
    std::fs::remove_file(w.path("out/current")).unwrap();
    std::os::unix::fs::symlink(&first, w.path("out/current")).unwrap();
    let (code, out, err) = status(&w, &["out"]);
    assert_eq!(code, 0, "{out}{err}");
    let second = second.file_name().unwrap().to_str().unwrap();
    assert!(out.contains(&format!("  rolled back: run {second} is a later published set")), "{out}");
    assert_eq!(status_json(&w).1["published"]["newer_set"], second);
    let first = w.path(&format!("out/{}/manifest.json", first.display()));
    let manifest = std::fs::read_to_string(&first).unwrap();
    assert!(!status(&w, &["out"]).1.contains("schema:"));
    std::fs::write(&first, manifest.replace("\"schema_version\": 1,", "\"schema_version\": 2,")).unwrap();
    let (code, out, _) = status(&w, &["out"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("  schema:      version 2, written by a later kindred than this one (version 1)"), "{out}");
}

/// Session 27: a published set whose manifest was damaged (a disk, a person) was someone
/// else's layout to `status` (exit 1, "move it away") and to every run, refused each night
/// until a person stepped in. Its tables' footers name its run: it is damaged (exit 6), and
/// the next run publishes in its place. A manifest naming another run is a set copied in:
/// refused, by `explain` too.
#[test]
fn a_published_set_whose_manifest_is_damaged_is_damaged_not_foreign() {
    let w = published();
    let run_id = std::fs::read_link(w.path("out/current")).unwrap().file_name().unwrap().to_str().unwrap().to_string();
    let manifest = w.path(&format!("out/runs/{run_id}/manifest.json"));
    let whole = std::fs::read_to_string(&manifest).unwrap();
    for (damage, said) in
        [("", "manifest.json: not a manifest (0 bytes"), (&whole[..40], "manifest.json: not a manifest (40 bytes")]
    {
        std::fs::write(&manifest, damage).unwrap();
        let (code, v) = status_json(&w);
        assert_eq!(code, 6, "{v}");
        assert!(v["published"]["damaged"][0].as_str().unwrap().starts_with(said), "{v}");
    }
    std::fs::write(&manifest, whole.replace(&run_id, "20200101T000000.000Z-1")).unwrap();
    let (code, out, err) = status(&w, &["out"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("which holds no published set"), "{err}");
    let r = w.kindred(&["explain", "17850", "--output", "out"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("which holds no published set"), "{}", r.stderr);
    // not a file (a FIFO: opened, it blocked status and every run for good): not a manifest
    // kindred wrote, damaged or not
    std::fs::remove_file(&manifest).unwrap();
    let fifo = std::ffi::CString::new(manifest.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo takes a NUL-terminated path and a mode.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let mut child = crate::workdir::kindred_command()
        .args(["status", "out"])
        .current_dir(w.path(""))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if started.elapsed().as_secs() > 30 {
            child.kill().unwrap();
            panic!("status blocked on a FIFO manifest");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(code, Some(1));
    std::fs::remove_file(&manifest).unwrap();
    let (code, v) = status_json(&w);
    assert_eq!((code, v["published"]["damaged"][0].as_str()), (6, Some("manifest.json: missing")), "{v}");
    let r = w.kindred(&["run", w.path("good.toml").to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(status_json(&w).0, 0);
    assert!(w.path(&format!("out/runs/{run_id}")).is_dir(), "kept: without its manifest it is not provably a kept run");
}

/// A copy of run `from`'s folder as run `to`'s, as `cp -a out/runs/<from> out/runs/<to>` makes.
fn copy_run(w: &Workdir, from: &str, to: &str) {
    let (from, to) = (w.path(&format!("out/runs/{from}")), w.path(&format!("out/runs/{to}")));
    std::fs::create_dir(&to).unwrap();
    for e in std::fs::read_dir(&from).unwrap().flatten() {
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// helper-111: a person's copy of the published set under a later run's name (`cp -a
/// runs/<id> runs/<later id>`, a backup) was the last attempt, "published", at the original's
/// time, though its manifest names another run and every run leaves it uncounted: it hid the
/// failed attempt before it (healthy, exit 0). The newest folder kindred made is the last
/// attempt; the copy is named as not kindred's; a file or a link of a run's name is neither.
#[test]
fn a_copied_run_is_named_not_kindreds_not_taken_for_the_last_attempt() {
    let w = published();
    let id = runs(&w)[0].clone();
    let nope = w.pipeline("nope.toml", &w.path("nope.csv"), "");
    assert_eq!(w.kindred(&["run", nope.to_str().unwrap(), "--quiet"]).code, 1);
    let failed = runs(&w).into_iter().find(|r| *r != id).unwrap();
    // a minute ahead: later than any run of this test, within the clocks' slack
    let at = |s: i64| (chrono::Utc::now() + chrono::Duration::seconds(s)).format("%Y%m%dT%H%M%S%.3fZ-1").to_string();
    let (later, file, link) = (at(60), at(61), at(62));
    copy_run(&w, &id, &later);
    w.write(&format!("out/runs/{file}"), "a file");
    std::os::unix::fs::symlink(&id, w.path(&format!("out/runs/{link}"))).unwrap();
    let (code, v) = status_json(&w);
    assert_eq!(code, 6, "{v}");
    assert_eq!(
        (v["last_attempt"]["run_id"].as_str(), v["last_attempt"]["status"].as_str()),
        (Some(&*failed), Some("failed"))
    );
    let copy =
        format!("runs/{later}: not kindred's (its manifest.json names run {id}: a copy made by hand?), not counted");
    assert_eq!(v["ignored_runs"], serde_json::json!([copy]), "{v}");
    let (_, out, _) = status(&w, &["out"]);
    assert!(out.contains(&format!("  ignored:     {copy}\n")), "{out}");
    // a good run: healthy, its run the last attempt, the copy still named
    assert_eq!(w.kindred(&["run", w.path("good.toml").to_str().unwrap(), "--quiet"]).code, 0);
    let (code, v) = status_json(&w);
    let current = std::fs::read_link(w.path("out/current")).unwrap().file_name().unwrap().to_str().unwrap().to_string();
    assert_eq!((code, v["last_attempt"]["run_id"].as_str()), (0, Some(&*current)), "{v}");
    assert_eq!(v["ignored_runs"], serde_json::json!([copy]), "{v}");
}

/// helper-112: a table of the published set overwritten in place (its size unchanged: a restore
/// gone wrong, a disk) or one this account cannot read (`chmod 000`) read as healthy while every
/// reader failed; so did a manifest naming no run or listing none of the set's files. Footers are
/// read and each is said (exit 6); `explain` refuses the set. A status this kindred does not
/// write (a later kindred's) on the set `current` points to is said, not hidden.
#[test]
fn status_reads_the_published_footers_and_what_the_manifest_vouches_for() {
    let w = published();
    let id = runs(&w)[0].clone();
    let set = |name: &str| w.path(&format!("out/runs/{id}/{name}"));
    let recs = set("recommendations.parquet");
    let whole = std::fs::read(&recs).unwrap();
    let mut overwritten = whole.clone();
    let n = overwritten.len();
    overwritten[n - 8..].fill(0);
    std::fs::write(&recs, &overwritten).unwrap();
    let (code, v) = status_json(&w);
    let first = v["published"]["damaged"][0].as_str().unwrap_or_default();
    assert!(code == 6 && first.starts_with("recommendations.parquet: not a Parquet table ("), "{v}");
    let r = w.kindred(&["explain", "17850", "--output", "out"]);
    assert!(r.code == 1 && r.stderr.contains("recommendations.parquet: not a Parquet table ("), "{}", r.stderr);
    std::fs::write(&recs, &whole).unwrap();
    assert_eq!(status_json(&w).0, 0);
    // unreadable to this account: root reads whatever the mode, so as another user only
    // SAFETY: geteuid takes nothing and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&recs, std::fs::Permissions::from_mode(0o000)).unwrap();
        let (code, v) = status_json(&w);
        std::fs::set_permissions(&recs, std::fs::Permissions::from_mode(0o644)).unwrap();
        let first = v["published"]["damaged"][0].as_str().unwrap_or_default();
        assert!(code == 6 && first.starts_with("recommendations.parquet: cannot be read ("), "{v}");
        assert!(v["problems"][0].as_str().unwrap().contains("has files this account cannot read"), "{v}");
    }
    let manifest = set("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["reports"]["write"].as_object_mut().unwrap().remove("files");
    std::fs::write(&manifest, m.to_string()).unwrap();
    let (code, v) = status_json(&w);
    let said = "manifest.json: lists none of the set's files (reports.write.files)";
    assert_eq!((code, &v["published"]["damaged"]), (6, &serde_json::json!([said])), "{v}");
    std::fs::write(&manifest, "{}").unwrap();
    let (code, v) = status_json(&w);
    assert_eq!((code, v["published"]["damaged"][0].as_str()), (6, Some("manifest.json: names no run")), "{v}");
    let mut m: serde_json::Value = serde_json::from_str(&text).unwrap();
    m["status"] = "partial".into();
    std::fs::write(&manifest, m.to_string()).unwrap();
    let (code, v) = status_json(&w);
    assert_eq!((code, v["last_attempt"]["run_id"].as_str()), (6, Some(&*id)), "{v}");
    assert!(
        v["problems"][0].as_str().unwrap().contains("has status \"partial\", which this kindred does not write"),
        "{v}"
    );
}

/// Flips the last byte of the first column's pages in the Parquet file `path`'s first row
/// group, in place: a data page changed, the size and the footer as written.
fn flip_a_data_page_byte(path: &Path) {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let chunk = reader.metadata().row_group(0).column(0).clone();
    let (start, length) = chunk.byte_range();
    let at = (start + length - 1) as usize;
    let mut bytes = std::fs::read(path).unwrap();
    assert!(at < bytes.len() - 8, "a page's byte, not the footer's");
    bytes[at] ^= 0x5a;
    std::fs::write(path, bytes).unwrap();
}

/// helper-118: a file of the published set changed in place — a data page's byte flipped (a
/// disk's bit rot, a copy or a sync that mixed two versions), its size and footer as written —
/// read as healthy, exit 0, while BI tools failed on the page or read other numbers. `status
/// --verify` reads every file and compares its SHA-256 with the manifest's: damage, exit 6,
/// named with both checksums' first digits; without `--verify` status reads sizes and footers
/// only, as before.
#[test]
fn status_verify_tells_a_file_changed_in_place_by_its_sha256() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let w = published();
    let set = std::fs::canonicalize(w.path("out/current")).unwrap();
    let (code, v) = status_json_verified(&w);
    assert_eq!((code, &v["published"]["verified"]), (0, &serde_json::json!({"compared": 9, "without_sha256": []})));
    let (code, out, _) = status(&w, &["out", "--verify"]);
    assert!(
        code == 0 && out.contains("  verified:    9 files read whole, sha256 compared with the manifest's\n"),
        "{out}"
    );
    let recs = set.join("recommendations.parquet");
    let written = sha256(&recs);
    flip_a_data_page_byte(&recs);
    let (code, v) = status_json(&w);
    assert_eq!(
        (code, &v["published"]["damaged"], &v["published"]["verified"]),
        (0, &serde_json::json!([]), &serde_json::Value::Null),
        "{v}"
    );
    let (code, v) = status_json_verified(&w);
    let said = format!(
        "recommendations.parquet: its content changed since it was written (sha256 {}… where {}… was written)",
        &sha256(&recs)[..12],
        &written[..12]
    );
    assert_eq!((code, &v["published"]["damaged"]), (6, &serde_json::json!([said])), "{v}");
    assert!(v["problems"][0].as_str().unwrap().contains(&format!("is damaged: {said}; run again")), "{v}");
    let (code, out, _) = status(&w, &["out", "--verify"]);
    assert!(code == 6 && out.contains(&said), "{out}");
    // a file kindred reads no footer of, changed in place: the same
    let report = set.join("report.html");
    let page = std::fs::read_to_string(&report).unwrap();
    std::fs::write(&report, page.replacen("<html", "<HTML", 1)).unwrap();
    let (code, v) = status_json_verified(&w);
    let damaged: Vec<&str> = v["published"]["damaged"].as_array().unwrap().iter().filter_map(|d| d.as_str()).collect();
    assert!(code == 6 && damaged.len() == 2 && damaged[1].starts_with("report.html: its content changed"), "{v}");
    // a page garbled in place that does not decode: explain says what finds it (helper-139: the
    // codec's words alone, "snappy: corrupt input")
    let purchases = set.join("purchases.parquet");
    let reader = SerializedFileReader::new(std::fs::File::open(&purchases).unwrap()).unwrap();
    let (start, length) = reader.metadata().row_group(0).column(0).byte_range();
    let mut bytes = std::fs::read(&purchases).unwrap();
    bytes[(start + length / 2) as usize..][..64].fill(0xff);
    std::fs::write(&purchases, bytes).unwrap();
    let r = w.kindred(&["explain", "17850", "--output", w.path("out").to_str().unwrap()]);
    assert!(
        r.code == 1 && r.stderr.contains("does not decode") && r.stderr.contains("status --verify"),
        "{}",
        r.stderr
    );
}

/// helper-118: a set written by an earlier kindred records no SHA-256: `--verify` checks it by
/// size and footer only and says so, which is not damage (exit 0), even of a file changed.
#[test]
fn status_verify_of_a_set_without_checksums_says_it_checked_sizes_and_footers_only() {
    let w = published();
    let set = std::fs::canonicalize(w.path("out/current")).unwrap();
    let manifest = set.join("manifest.json");
    let mut m = json(&manifest);
    for f in m["reports"]["write"]["files"].as_array_mut().unwrap() {
        f.as_object_mut().unwrap().remove("sha256");
    }
    m["reports"]["report"].as_object_mut().unwrap().remove("sha256");
    std::fs::write(&manifest, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    flip_a_data_page_byte(&set.join("recommendations.parquet"));
    let (code, v) = status_json_verified(&w);
    assert_eq!((code, &v["published"]["damaged"]), (0, &serde_json::json!([])), "{v}");
    let verified = &v["published"]["verified"];
    assert_eq!(
        (verified["compared"].as_u64(), verified["without_sha256"].as_array().map(Vec::len)),
        (Some(0), Some(9))
    );
    let (code, out, _) = status(&w, &["out", "--verify"]);
    let said = "  verified:    by size and footer only: the manifest records no sha256 (a set written by an earlier kindred), which is not damage\n";
    assert!(code == 0 && out.contains(said) && out.contains("health:        healthy"), "{out}");
    // its sizes and footers still count
    std::fs::write(set.join("items.parquet"), b"cut").unwrap();
    assert_eq!(status_json_verified(&w).0, 6);
}

/// helper-112: `--max-age 0` was taken, and every set was stale at once (exit 6 each probe: a
/// page an hour); a number without its unit, a negative one, one of years (`26y` for `26h`) are
/// slips too: usage errors (exit 2) saying what an age is, from the flag or KINDRED_MAX_AGE.
#[test]
fn a_max_age_of_zero_without_a_unit_or_of_years_is_a_usage_error() {
    let w = published();
    let cases = [
        ("0", "must be at least 1s"),
        ("500ms", "must be at least 1s"),
        ("26", "has no unit"),
        ("-1h", "must not be negative"),
        ("26y", "must be at most 3650d"),
    ];
    for (value, said) in cases {
        let (code, _, err) = status(&w, &["out", &format!("--max-age={value}")]);
        assert!(code == 2 && err.contains(said) && err.contains("such as 26h, 90m or 2d"), "{value}: {code} {err}");
        let r = w.kindred_env(&["status", "out"], &[("KINDRED_MAX_AGE", value)]);
        assert!(
            r.code == 2 && r.stderr.contains("KINDRED_MAX_AGE") && r.stderr.contains(said),
            "{value}: {}",
            r.stderr
        );
    }
    assert_eq!(status(&w, &["out", "--max-age", "3650d"]).0, 0);
    assert!(matches!(status(&w, &["out", "--max-age", "1s"]).0, 0 | 6), "1s is an age, stale or not");
}

#[test]
fn status_after_a_failed_attempt_exits_6_with_its_error() {
    let w = published();
    let p = w.pipeline("p.toml", &w.path("nope.csv"), "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 1);
    let (code, out, _) = status(&w, &["out"]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains(", failed (") && out.contains("error:       input file"), "{out}");
    assert!(out.contains("health:        unhealthy: the last attempt (run "), "{out}");
    assert!(out.contains("published:     run "), "the published run is still shown: {out}");
    // the next good run makes it healthy again
    let good = w.path("good.toml");
    assert_eq!(w.kindred(&["run", good.to_str().unwrap(), "--quiet"]).code, 0);
    assert_eq!(status(&w, &["out"]).0, 0);
}

#[test]
fn status_of_a_stale_set_exits_6_past_max_age() {
    let w = published();
    let current = w.published_manifest();
    let mut m = json(&current);
    // 30 hours before now, whatever the date the suite runs on
    let finished = std::time::SystemTime::now() - std::time::Duration::from_secs(30 * 3600);
    let finished = chrono::DateTime::<chrono::Utc>::from(finished);
    m["finished_utc"] = finished.to_rfc3339_opts(chrono::SecondsFormat::Millis, true).into();
    std::fs::write(&current, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    let (code, out, _) = status(&w, &["out", "--max-age", "26h"]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("the published set (run ") && out.contains("longer than --max-age 1day 2h"), "{out}");
    assert_eq!(status(&w, &["out"]).0, 0, "no --max-age: age is not checked");
    assert_eq!(status(&w, &["out", "--max-age", "31h"]).0, 0);
}

#[test]
fn status_of_an_empty_missing_or_foreign_folder() {
    let w = Workdir::new();
    std::fs::create_dir_all(w.path("out")).unwrap();
    let (code, out, _) = status(&w, &["out"]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("published:     nothing") && out.contains("unhealthy: nothing is published in out"), "{out}");
    // a fresh clone's output/ (its .gitkeep), a new volume's lost+found: nothing published (6)
    w.write("out/.gitkeep", "");
    std::fs::create_dir_all(w.path("out/lost+found")).unwrap();
    let (code, out, err) = status(&w, &["out"]);
    assert!(code == 6 && out.contains("unhealthy: nothing is published in out"), "{out}{err}");
    let (code, _, err) = status(&w, &["gone"]);
    assert_eq!(code, 1);
    assert!(first_error(&err).contains("gone: no such folder"), "{err}");
    // a monitor's `--json | jq .healthy` read nothing on stdout: the object says it too
    let (code, out, err) = status(&w, &["gone", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, v["healthy"].as_bool(), v["dir"].as_str()), (1, Some(false), Some("gone")), "{out}");
    assert!(
        v["error"].as_str().unwrap().contains("gone: no such folder") && first_error(&err).contains("no such folder"),
        "{v}"
    );
    // a folder's name that is not UTF-8 (the object's first version panicked on it)
    use std::os::unix::ffi::OsStrExt;
    let latin1 = std::ffi::OsStr::from_bytes(b"caf\xe9");
    let r = crate::workdir::kindred_command()
        .arg("status")
        .arg(latin1)
        .arg("--json")
        .current_dir(w.path(""))
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!((r.status.code(), v["healthy"].as_bool()), (Some(1), Some(false)), "{v}");
    // a pipeline from KINDRED_PIPELINE beside DIR is not read (an environment shared with the
    // cron job): the folder's status, as before; one typed on the command line must exist
    let r = w.kindred_env(&["status", "out"], &[("KINDRED_PIPELINE", "pipelines/elsewhere.toml")]);
    assert_eq!(r.code, 6, "{}{}", r.stdout, r.stderr);
    let r = w.kindred(&["status", "out", "--pipeline", "nope.toml"]);
    assert!(r.code == 2 && r.stderr.contains("nope.toml"), "{}", r.stderr);
    w.write("theirs/notes.txt", "mine");
    let (code, _, err) = status(&w, &["theirs"]);
    assert_eq!(code, 1);
    assert!(first_error(&err).contains("theirs: not a kindred output folder"), "{err}");
    // a folder only `kindred evaluate` wrote to: kindred's, nothing published (6, not 1)
    std::fs::create_dir_all(w.path("evaluated")).unwrap();
    std::fs::copy(w.path("theirs/notes.txt"), w.path("evaluated/evaluation.parquet")).unwrap();
    let (code, out, _) = status(&w, &["evaluated"]);
    assert_eq!(code, 6, "{out}");
    assert!(out.contains("unhealthy: nothing is published in evaluated"), "{out}");
    std::fs::create_dir_all(w.path("odd/current")).unwrap();
    let (code, _, err) = status(&w, &["odd"]);
    assert_eq!(code, 1);
    assert!(first_error(&err).contains("current is a folder, not kindred's link"), "{err}");
    let (code, _, err) = status(&w, &["--pipeline", "missing.toml"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(std::fs::read_dir(w.path("theirs")).unwrap().count(), 1, "status writes nothing");
}

/// A run killed while it holds the lock (SIGKILL, the OOM killer, a pod's grace period) leaves
/// no record: `kindred status` shows it running while its heartbeat is fresh, then interrupted
/// (exit 6) once the heartbeat is stale, until the next run publishes.
/// Sets `lock`'s time 6 minutes back: ten heartbeats missed, its run known to have stopped.
fn heartbeat_silent(lock: &std::path::Path) {
    let file = std::fs::OpenOptions::new().write(true).open(lock).unwrap();
    file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(360)).unwrap();
}

/// A pipeline over the shipped export into `out/`: a run long enough to be caught holding the lock.
fn real_pipeline(w: &Workdir) -> PathBuf {
    w.pipeline("real.toml", &crate::workdir::repo().join("data/online_retail.csv.gz"), "")
}

/// Starts `command` without output and waits until `lock` holds what `held` accepts (the run
/// took the lock), for at most 60 s.
fn holding_the_lock(
    mut command: std::process::Command,
    lock: &Path,
    held: impl Fn(&str) -> bool,
) -> std::process::Child {
    let child = command.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap();
    let began = std::time::Instant::now();
    while !std::fs::read_to_string(lock).is_ok_and(|text| held(&text)) {
        assert!(began.elapsed().as_secs() < 60, "the run never took the lock");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child
}

/// Sends `signal` to `pid` (with libc: a `kill` program is not in every image, `-slim` ones).
fn signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    assert_eq!(unsafe { libc::kill(pid as i32, signal) }, 0, "kill {pid}: {}", std::io::Error::last_os_error());
}

/// `kindred status out --json`: its exit code and object.
fn status_json(w: &Workdir) -> (i32, serde_json::Value) {
    let (code, out, _) = status(w, &["out", "--json"]);
    (code, serde_json::from_str(&out).unwrap())
}

/// [`status_json`] with `--verify`.
fn status_json_verified(w: &Workdir) -> (i32, serde_json::Value) {
    let (code, out, err) = status(w, &["out", "--json", "--verify"]);
    (code, serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")))
}

#[test]
fn status_tells_a_running_run_from_a_killed_one() {
    let w = published();
    let mut kindred = crate::workdir::kindred_command();
    kindred.args(["run", real_pipeline(&w).to_str().unwrap(), "--quiet"]);
    let lock = w.path("out/.lock");
    let mut child = holding_the_lock(kindred, &lock, |held| !held.is_empty());
    // stopped (SIGSTOP), its heartbeat silent for 6 minutes: it still holds the lock, so it runs
    signal(child.id(), libc::SIGSTOP);
    heartbeat_silent(&lock);
    let run_id_end = format!("Z-{}", child.id());
    let (code, out, _) = status(&w, &["out", "--json"]);
    assert_eq!(code, 0, "a running run does not make the folder unhealthy: {out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["running"]["pid"].as_u64(), Some(child.id() as u64), "{v}");
    assert!(v["running"]["run_id"].as_str().unwrap().ends_with(&run_id_end), "{v}");
    assert_eq!(v["last_attempt"]["status"], "published", "{v}");
    let (_, text, _) = status(&w, &["out"]);
    assert!(text.contains("running:       run ") && text.contains(&format!("(pid {}", child.id())), "{text}");

    // SIGKILL: no chance to let go; the kernel's flocks tell at once that it has stopped
    child.kill().unwrap();
    child.wait().unwrap();
    let (code, v) = status_json(&w);
    assert_eq!(code, 6, "{v}");
    assert!(v["running"].is_null(), "{v}");
    assert_eq!(v["last_attempt"]["status"], "interrupted", "{v}");
    let killed = v["last_attempt"]["run_id"].as_str().unwrap().to_string();
    assert!(killed.ends_with(&run_id_end), "{v}");
    let problem = v["problems"][0].as_str().unwrap();
    assert!(
        problem.contains(") interrupted: it started ") && !problem.contains("interrupted: interrupted"),
        "{problem}"
    );
    assert!(problem.contains("heartbeat silent for 6m") && problem.ends_with("it published nothing"), "{problem}");
    assert!(v["published"]["run_id"].is_string(), "the published set is still shown: {v}");

    // the next run publishes and lets go: healthy, nothing running
    let good = w.path("good.toml");
    assert_eq!(w.kindred(&["run", good.to_str().unwrap(), "--quiet"]).code, 0);
    let (code, out, _) = status(&w, &["out", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (code, v["running"].is_null(), v["last_attempt"]["status"].as_str()),
        (0, true, Some("published")),
        "{v}"
    );
    assert_eq!(std::fs::read(&lock).unwrap(), b"", "a finished run leaves .lock empty");
    // and recorded the killed run, which the folder's history keeps as a failed attempt's
    let record = w.path("out/runs").join(&killed);
    let names: Vec<_> = std::fs::read_dir(&record).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["manifest.json"], "{}", record.display());
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(record.join("manifest.json")).unwrap()).unwrap();
    assert_eq!((m["status"].as_str(), m["pid"].as_u64()), (Some("interrupted"), Some(child.id() as u64)), "{m}");
    assert!(m["error"]["message"].as_str().unwrap().starts_with("it started "), "{m}");
    assert_eq!(m["recorded_by"], v["last_attempt"]["run_id"], "{m}");
    // not a published run: keep_runs = 1 keeps the newest set, and the record goes with the runs before it
    let keep1 = w.pipeline("keep1.toml", &w.path("tiny.csv"), "keep_runs = 1");
    assert_eq!(w.kindred(&["run", keep1.to_str().unwrap(), "--quiet"]).code, 0);
    assert!(!record.exists(), "pruned with the runs before the oldest kept");
}

/// A machine that went down before the lock's line reached the disk can hand the file back as
/// NUL bytes of the line's length (XFS, ext4 `data=writeback`): every run was refused, exit 1,
/// as if a person's file were there, and `status` failed, until someone removed it by hand. It
/// names no run: status is healthy and the next run publishes, leaving it empty.
#[test]
fn a_lock_file_zeroed_by_a_crash_is_no_refusal() {
    let w = published();
    let lock = w.path("out/.lock");
    std::fs::write(&lock, [0u8; 109]).unwrap();
    let (code, v) = status_json(&w);
    assert_eq!((code, v["last_attempt"]["status"].as_str()), (0, Some("published")), "{v}");
    let good = w.path("good.toml");
    let r = w.kindred(&["run", good.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(std::fs::read(&lock).unwrap(), b"", "a finished run leaves the lock file empty");
    // a person's text is still refused, NULs or not
    std::fs::write(&lock, b"notes\0\0\n").unwrap();
    let r = w.kindred(&["run", good.to_str().unwrap(), "--quiet"]);
    assert!(r.code == 1 && r.stderr.contains("not the lines of runs"), "{}", r.stderr);
}

/// Session 22: a run killed between moving its set into `runs/` and switching `current` to it
/// left a whole set of its name there; `kindred status` called that attempt published and
/// healthy (the set was never served), and the next run kept it as a published run. Now the
/// lock that still names it tells: status says interrupted (exit 6), and the next run moves the
/// set out of `runs/` (removed as a killed run's leftover) and records the attempt.
#[test]
fn a_run_killed_before_it_switched_current_published_nothing() {
    let w = published();
    let live = std::fs::read_link(w.path("out/current")).unwrap();
    let live = live.file_name().unwrap().to_str().unwrap().to_string();
    // the killed run: a later id, its whole set renamed in, its lock never let go
    let killed = format!("{}-99999999", live.rsplit_once('-').unwrap().0);
    let set = w.path("out/runs").join(&killed);
    std::fs::create_dir(&set).unwrap();
    for entry in std::fs::read_dir(w.path("out/runs").join(&live)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), set.join(entry.file_name())).unwrap();
    }
    let mut m: serde_json::Value = serde_json::from_slice(&std::fs::read(set.join("manifest.json")).unwrap()).unwrap();
    m["run_id"] = serde_json::Value::from(killed.clone());
    std::fs::write(set.join("manifest.json"), serde_json::to_vec(&m).unwrap()).unwrap();
    let lock = w.path("out/.lock");
    std::fs::write(&lock, format!("99999999 2026-12-03T06:00:00.000Z {killed} elsewhere\n")).unwrap();
    heartbeat_silent(&lock);

    let (code, v) = status_json(&w);
    assert_eq!(code, 6, "{v}");
    assert_eq!(
        (v["last_attempt"]["status"].as_str(), v["last_attempt"]["run_id"].as_str()),
        (Some("interrupted"), Some(killed.as_str())),
        "{v}"
    );
    assert_eq!(v["published"]["run_id"].as_str(), Some(live.as_str()), "{v}");

    let good = w.path("good.toml");
    let r = w.kindred(&["run", good.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let names: Vec<_> = std::fs::read_dir(&set).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, ["manifest.json"], "the set is gone, the record in its place");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(set.join("manifest.json")).unwrap()).unwrap();
    assert_eq!((m["status"].as_str(), m["host"].as_str()), (Some("interrupted"), Some("elsewhere")), "{m}");
    let left: Vec<String> = std::fs::read_dir(w.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with(".staging"))
        .collect();
    assert!(left.is_empty(), "the set moved out of runs/ is removed by the commit: {left:?}");
    let (code, out, _) = status(&w, &["out", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((code, v["last_attempt"]["status"].as_str()), (0, Some("published")), "{v}");
    assert!(std::fs::read_dir(w.path("out/runs").join(&live)).is_ok(), "the run it served is kept");
}

/// Session 22: an output folder (or an input) whose name is not UTF-8 (a Latin-1 folder on an
/// old share) failed every run writing its manifest, serde refusing the path, and the warning
/// about the failure record named the input file. Paths are now written as text with U+FFFD.
#[test]
fn a_folder_named_in_latin_1_publishes_and_reports() {
    use std::os::unix::ffi::OsStrExt;
    let w = published();
    let folder = w.path("out").with_file_name(std::ffi::OsStr::from_bytes(b"caf\xe9")); // not UTF-8
    let good = w.path("good.toml");
    let run = |args: &[&std::ffi::OsStr]| {
        crate::workdir::kindred_command().args(args).current_dir(w.path("")).output().unwrap()
    };
    let out = run(&["run".as_ref(), good.as_os_str(), "--output".as_ref(), folder.as_os_str(), "--quiet".as_ref()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        m["parameters"]["output"]["dir"].as_str().map(|d| d.ends_with("caf\u{fffd}")),
        Some(true),
        "{}",
        m["parameters"]["output"]
    );
    let out = run(&["status".as_ref(), folder.as_os_str(), "--json".as_ref()]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["dir"].as_str().unwrap().ends_with("caf\u{fffd}"), "{v}");
}

/// Session 22: "a flag wins over its variable", but `--force` and `--quiet` could only be
/// switched on: a cron line exporting KINDRED_FORCE=true for one job could not turn it off for
/// another (`--force=false` was a usage error). Both now take `=false`; bare, they are true.
#[test]
fn force_and_quiet_flags_turn_their_variables_off() {
    let w = Workdir::new();
    let cover = w.copy("cover_first.xlsx"); // two customers of one basket: the model gate refuses
    let p = w.pipeline_with("p.toml", &cover, "sheet = \"Data\"", "out", "");
    let p = p.to_str().unwrap();
    let force = [("KINDRED_FORCE", "true")];
    assert_eq!(w.kindred_env(&["run", p, "--quiet"], &force).code, 0, "the variable forces");
    assert_eq!(w.kindred_env(&["run", p, "--quiet", "--force=false"], &force).code, 3, "the flag wins");
    assert_eq!(w.kindred(&["run", "--force", p, "--quiet"]).code, 0, "bare before the pipeline: true");
    let quiet = [("KINDRED_QUIET", "yes")];
    assert!(w.kindred_env(&["run", p, "--force"], &quiet).stderr.is_empty());
    assert!(w.kindred_env(&["run", p, "--force", "--quiet=false"], &quiet).stderr.contains("kindred: ingest:"));
}

#[test]
fn a_named_pipeline_file_must_exist_and_the_codes_defaults_are_said() {
    // cron's working folder has no pipelines/: a named file (flag or variable, even the default's
    // own name) is exit 2, never the code's defaults silently swapped in for the shipped model
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    let input = input.to_str().unwrap();
    let named = [("KINDRED_PIPELINE", "pipelines/online_retail.toml")];
    let r = w.kindred_env(&["run", "--input", input, "--output", "out", "--quiet"], &named);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("pipelines/online_retail.toml"), "{}", r.stderr);
    let r = w.kindred(&["run", "pipelines/online_retail.toml", "--input", input, "--output", "out"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(!w.path("out").exists());
    // none named and none here: the code's defaults, said on stderr and in the manifest
    let r = w.kindred(&["run", "--input", input, "--output", "out"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("no pipeline file given") && r.stderr.contains("code's defaults"), "{}", r.stderr);
    assert_eq!(json(&w.path("out/manifest.json")).pointer("/parameters/pipeline"), Some(&serde_json::Value::Null));
    let p = w.pipeline("p.toml", &w.path("tiny.csv"), "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--output", "out2", "--quiet"]).code, 0);
    let read = json(&w.path("out2/manifest.json"))["parameters"]["pipeline"].as_str().map(str::to_string);
    assert_eq!(read.as_deref(), p.to_str());
    // shard takes run's `--quiet=false` (a usage error before): here it finds nothing prepared
    let r = w.kindred(&["shard", p.to_str().unwrap(), "--index", "0", "--output", "out3", "--quiet=false"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}

/// Session 27: a SIGTERM as the run switched `current` to its set (a pod's deadline, a
/// scheduler's stop) ended a run that had published with 143, "nothing published": Kubernetes,
/// Argo and AWS Batch reran a pipeline that had succeeded, cron mailed a failure, a Slurm
/// `afterok` never started. The signal is delivered by `strace` as the switch's rename (the
/// third of a run into a published folder: the report's, the set's, then `current`) returns;
/// skipped without strace.
#[test]
fn a_signal_as_the_run_switches_to_its_set_leaves_it_published_and_exit_0() {
    if !std::process::Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: strace is not available here");
        return;
    }
    let w = published();
    let before = std::fs::read_link(w.path("out/current")).unwrap();
    let renames = "rename,renameat,renameat2";
    let r = crate::workdir::isolated(&mut std::process::Command::new("strace"))
        .args(["-f", "-qq", "-o", "/dev/null", "-e", &format!("trace={renames}")])
        .args(["-e", &format!("inject={renames}:signal=SIGTERM:when=3")])
        .args([env!("CARGO_BIN_EXE_kindred"), "run", w.path("good.toml").to_str().unwrap()])
        .current_dir(w.path(""))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_ne!(std::fs::read_link(w.path("out/current")).unwrap(), before, "switched: {stderr}");
    assert_eq!(r.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("SIGTERM arrived as the run switched to its set: it finished publishing"), "{stderr}");
    assert_eq!(status_json(&w).0, 0);
}

/// Session 27: a `generate` (or `evaluate`) stopped by SIGTERM, SIGINT or SIGHUP left its hidden
/// `.OUT.<pid>.part` for good (17 MB a second into a million-customer export, another each
/// time: nothing removes a file it cannot prove its own). Removed as the signal ends it; the
/// process still ends by that signal, its last log line (session 61) naming it.
#[test]
fn a_signal_removes_the_hidden_file_being_written() {
    use std::os::unix::process::ExitStatusExt;
    let w = Workdir::new();
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        let mut command = crate::workdir::kindred_command();
        command.args(["generate", "big.parquet", "2000000", "50000", "20"]);
        // the tests run as a script's background job (`.ci/run &`) inherit SIGINT ignored,
        // which kindred rightly keeps ignored: the child starts with the default disposition,
        // as from a terminal or a scheduler
        // SAFETY: `signal` is async-signal-safe, and only it runs between fork and exec.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(move || {
                libc::signal(sig, libc::SIG_DFL);
                Ok(())
            });
        }
        let mut child = command.current_dir(w.path("")).stderr(std::process::Stdio::piped()).spawn().unwrap();
        let part = w.path(&format!(".big.parquet.{}.part", child.id()));
        let started = std::time::Instant::now();
        while !std::fs::metadata(&part).is_ok_and(|m| m.len() > 0) {
            assert!(started.elapsed().as_secs() < 120 && child.try_wait().unwrap().is_none(), "no {}", part.display());
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        signal(child.id(), sig);
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.signal(), Some(sig), "{:?}", out.status);
        assert!(!part.exists() && !w.path("big.parquet").exists(), "signal {sig}: {} left", part.display());
        // the log says so: it stopped at a stage's line before, only the status told
        let stderr = String::from_utf8_lossy(&out.stderr);
        let name = [(libc::SIGTERM, "SIGTERM"), (libc::SIGINT, "SIGINT"), (libc::SIGHUP, "SIGHUP")][..]
            .iter()
            .find_map(|&(s, name)| (s == sig).then_some(name))
            .unwrap();
        let line = stderr.lines().last().unwrap_or_default();
        assert!(line.contains(&format!("kindred: error: ended by {name} before it finished")), "{stderr}");
    }
}

/// Session 25: as a container's first process (PID 1: the image's `ENTRYPOINT ["kindred"]`),
/// kindred ignored SIGTERM and SIGINT — the kernel drops default-action signals to PID 1 — so a
/// pod's stop or `docker stop` waited out the grace period for SIGKILL. And a `status` in
/// another pid namespace on the same machine (a container sharing the host name) read a live
/// run as interrupted, exit 6: `/proc/locks` there hides the run's flock. Needs `unshare
/// --pid` (root); says so and checks nothing without it.
#[test]
fn as_pid_1_a_run_ends_on_sigterm_and_status_from_another_namespace_trusts_the_heartbeat() {
    let bin = env!("CARGO_BIN_EXE_kindred");
    let in_namespace = |args: &[&str]| {
        let mut c = std::process::Command::new("unshare");
        crate::workdir::isolated(&mut c).args(["--pid", "--fork", "--mount-proc", bin]).args(args);
        c
    };
    if !in_namespace(&["--version"]).output().is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: `unshare --pid --fork --mount-proc` is not available here");
        return;
    }
    let w = published();
    let out = w.path("out");
    let lock = w.path("out/.lock");
    let as_pid_1 = in_namespace(&["run", real_pipeline(&w).to_str().unwrap(), "--quiet"]);
    let mut run = holding_the_lock(as_pid_1, &lock, |held| held.starts_with("1 "));
    // a status in a third namespace: the flock is hidden there, the fresh heartbeat tells
    let seen = in_namespace(&["status", out.to_str().unwrap(), "--json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&seen.stdout).unwrap();
    assert_eq!((seen.status.code(), v["running"]["pid"].as_u64()), (Some(0), Some(1)), "{v}");
    // SIGTERM to kindred, pid 1 of its namespace (unshare's child): it ends at once, 128 + 15
    let children = format!("/proc/{0}/task/{0}/children", run.id());
    let pid = std::fs::read_to_string(children).unwrap().split_whitespace().next().unwrap().to_string();
    let pid: u32 = pid.parse().unwrap();
    signal(pid, libc::SIGTERM);
    let waited = std::time::Instant::now();
    let code = loop {
        if let Some(status) = run.try_wait().unwrap() {
            break status.code();
        }
        if waited.elapsed().as_secs() > 20 {
            signal(pid, libc::SIGKILL);
            run.wait().unwrap();
            panic!("kindred as pid 1 ignored SIGTERM for 20 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert_eq!(code, Some(143));
    // from the initial pid namespace (a host), which sees the container's flocks, the attempt
    // is interrupted at once; from anywhere else, once its heartbeat is stale
    let initial = std::fs::read_link("/proc/self/ns/pid").is_ok_and(|ns| ns.to_str() == Some("pid:[4026531836]"));
    if !initial {
        heartbeat_silent(&lock);
    }
    let (code, v) = status_json(&w);
    assert_eq!((code, v["last_attempt"]["status"].as_str()), (6, Some("interrupted")), "{v}");
    assert_eq!(w.kindred(&["run", w.path("good.toml").to_str().unwrap(), "--quiet"]).code, 0);
    assert_eq!(status_json(&w).0, 0);
}

/// helper-139: `run --input X` where no pipeline file is published with the code's defaults to
/// `./output`; `status` and `explain` there failed (exit 2) on the missing default pipeline
/// file instead of reading that set. Elsewhere (no `./output`) they still name the file.
#[test]
fn status_and_explain_read_the_set_a_run_without_a_pipeline_file_published() {
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    let r = w.kindred(&["status"]);
    assert_eq!(r.code, 2, "no set, no pipeline file: {}", r.stderr);
    assert!(r.stderr.contains("pipelines/online_retail.toml"), "{}", r.stderr);
    assert_eq!(w.kindred(&["run", "--input", input.to_str().unwrap(), "--quiet"]).code, 0);
    assert!(w.path("output/current").exists());
    let r = w.kindred(&["status"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("output"), "{}", r.stdout);
    let r = w.kindred(&["explain", "17850"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("Recommendations"), "{}", r.stdout);
}
