//! Drift against the last published set (`drift.parquet`, the manifest's `drift`, the gate
//! `[gates] max_changed_share`) and the run id, schema and version every table carries.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::errors::refuses;
use crate::workdir::{key_values, number, rows, schema, text, Workdir};

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// Each customer's recommended items, from a published `recommendations.parquet`.
fn lists(path: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut by = BTreeMap::<String, BTreeSet<String>>::new();
    for r in rows(path) {
        by.entry(text(&r["customer_id"])).or_default().insert(text(&r["item_id"]));
    }
    by
}

/// drift.parquet's rows as customer → (overlap, added, dropped, status), in file order.
fn drift_rows(dir: &Path) -> Vec<(String, f64, i64, i64, String)> {
    let n = |f: &parquet::record::Field| number(f) as i64;
    rows(&dir.join("drift.parquet"))
        .iter()
        .map(|r| (text(&r["customer_id"]), number(&r["overlap"]), n(&r["added"]), n(&r["dropped"]), text(&r["status"])))
        .collect()
}

/// tiny.csv without customer 16000, with a new customer 99999 who bought two of its items.
fn next_day(w: &Workdir) -> std::path::PathBuf {
    let tiny = std::fs::read_to_string(crate::workdir::fixture("tiny.csv")).unwrap();
    let mut lines: Vec<String> = tiny.lines().filter(|l| !l.contains(",16000.0,")).map(str::to_string).collect();
    lines.push("536999,85123A,WHITE HANGING HEART,2,2010-12-09 10:00:00,2.55,99999.0,United Kingdom".into());
    lines.push("536999,71053,WHITE METAL LANTERN,1,2010-12-09 10:00:00,3.39,99999.0,United Kingdom".into());
    w.write("next.csv", lines.join("\n") + "\n")
}

/// A first run has no drift and says so (zero rows, the full schema); the next one, on an
/// export without one customer and with a new one, reports every customer's change exactly as
/// the two published recommendation tables differ.
#[test]
fn two_runs_on_exports_that_differ_report_each_customers_change() {
    let w = Workdir::new();
    let first = w.pipeline("first.toml", &w.copy("tiny.csv"), "");
    let r = w.kindred(&["run", first.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = w.path("out");
    let columns = [
        ("customer_id", "Int64"),
        ("overlap", "Float64"),
        ("added", "Int32"),
        ("dropped", "Int32"),
        ("status", "String"),
    ];
    assert_eq!(schema(&out.join("drift.parquet")), columns.map(|(a, b)| (a.to_string(), b.to_string())));
    assert!(drift_rows(&out).is_empty());
    let m1 = manifest(&out);
    let d = &m1["drift"];
    assert_eq!(d["previous_run_id"], serde_json::Value::Null);
    assert_eq!((d["customers"].as_u64(), d["changed"].as_u64()), (Some(0), Some(0)));
    assert!(d["changed_share"].is_null() && d["mean_overlap"].is_null());
    assert_eq!(d["note"], "first run: no previous published set to compare with");
    assert!(r.stderr.contains("first run: no previous published set"), "{}", r.stderr);

    let second = w.pipeline("second.toml", &next_day(&w), "");
    let r = w.kindred(&["run", second.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m2 = manifest(&out);
    let (id1, id2) = (m1["run_id"].as_str().unwrap(), m2["run_id"].as_str().unwrap());
    let before = lists(&out.join("runs").join(id1).join("recommendations.parquet"));
    let today = lists(&out.join("runs").join(id2).join("recommendations.parquet"));
    assert!(before.contains_key("16000") && !today.contains_key("16000"));
    assert!(today.contains_key("99999") && !before.contains_key("99999"));
    // every customer of either list, by hand
    let customers: BTreeSet<&String> = before.keys().chain(today.keys()).collect();
    let mut expected: Vec<(String, f64, i64, i64, String)> = customers
        .into_iter()
        .map(|c| {
            let empty = BTreeSet::new();
            let (t, p) = (today.get(c).unwrap_or(&empty), before.get(c).unwrap_or(&empty));
            let shared = t.intersection(p).count();
            let status = match (t.is_empty(), p.is_empty()) {
                (false, false) => "kept",
                (false, true) => "new",
                _ => "gone",
            };
            let overlap = if status == "kept" { shared as f64 / t.union(p).count() as f64 } else { 0.0 };
            (c.clone(), overlap, (t.len() - shared) as i64, (p.len() - shared) as i64, status.to_string())
        })
        .collect();
    expected.sort_by_key(|r| r.0.parse::<i64>().unwrap());
    assert_eq!(drift_rows(&out), expected, "sorted by customer_id as recommendations.parquet");
    let d = &m2["drift"];
    let kept: Vec<_> = expected.iter().filter(|r| r.4 == "kept").collect();
    let changed = expected.iter().filter(|r| r.4 != "kept" || r.2 + r.3 > 0).count();
    assert_eq!(d["previous_run_id"], id1);
    assert_eq!((d["customers"].as_u64(), d["kept"].as_u64()), (Some(expected.len() as u64), Some(kept.len() as u64)));
    assert_eq!(
        (d["new"].as_u64(), d["gone"].as_u64(), d["changed"].as_u64()),
        (Some(1), Some(1), Some(changed as u64))
    );
    let share = d["changed_share"].as_f64().unwrap();
    assert!((share - changed as f64 / expected.len() as f64).abs() < 1e-12, "{d}");
    let mean = kept.iter().map(|r| r.1).sum::<f64>() / kept.len() as f64;
    assert!((d["mean_overlap"].as_f64().unwrap() - mean).abs() < 1e-12, "{d}");
    assert!(d["note"].is_null(), "{d}");
    let stages: Vec<&str> = m2["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(stages[stages.len() - 4..], ["recommend", "drift", "write", "report"], "{stages:?}");
    assert!(r.stderr.contains(&format!("customers' lists changed against run {id1}")), "{}", r.stderr);
}

/// `[gates] max_changed_share`: more changed lists than allowed is refused (exit 3, the first
/// line naming the gate and the share, nothing published); `--force` publishes anyway; a key
/// out of range is exit 2 naming it.
#[test]
fn max_changed_share_refuses_more_change_and_force_publishes() {
    let w = crate::errors::published();
    let next = next_day(&w);
    refuses(&w, &next, "", "[gates]\nmax_changed_share = 1.5", 2, &["[gates] max_changed_share", "between 0 and 1"]);
    let words = ["gate max_changed_share", "customers' lists changed against run", "(changed_share ", "limit is 10.0%"];
    refuses(&w, &next, "", "[gates]\nmax_changed_share = 0.1", 3, &words);
    let p = w.pipeline("forced.toml", &next, "[gates]\nmax_changed_share = 0.1");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("gate max_changed_share failed but --force publishes anyway"), "{}", r.stderr);
    let m = manifest(&w.path("out"));
    assert_eq!(m["forced"], true);
    let gate = m["gates"].as_array().unwrap().iter().find(|g| g["gate"] == "max_changed_share").unwrap();
    let share = m["drift"]["changed_share"].as_f64().unwrap();
    assert!(share > 0.1 && gate["passed"] == false, "{gate}");
    assert!(gate["detail"].as_str().unwrap().contains(&format!("changed_share {share:.4}")), "{gate}");
    // the same export again: nothing changed, the gate passes
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(manifest(&w.path("out"))["drift"]["changed"], 0);
}

/// A pipeline that switched `customer_type`: the last set's ids were Int64, today's are text;
/// customers are compared by their ids as text, and the manifest says so.
#[test]
fn a_previous_set_with_another_customer_id_type_is_compared_as_text() {
    let w = crate::errors::published();
    let p = w.pipeline("text.toml", &w.path("tiny.csv"), "[columns]\ncustomer_type = \"string\"");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = w.path("out");
    let d = &manifest(&out)["drift"];
    assert!(d["note"].as_str().unwrap().contains("previous set's customer_id is Int64 and today's String"), "{d}");
    let n = drift_rows(&out).len() as u64;
    assert!(n > 0 && d["kept"].as_u64() == Some(n), "every customer kept: {d}");
    assert_eq!((d["new"].as_u64(), d["gone"].as_u64()), (Some(0), Some(0)));
    assert_eq!(schema(&out.join("drift.parquet"))[0], ("customer_id".to_string(), "String".to_string()));
}

/// The last set's recommendations.parquet damaged: a warning and drift "not available" with
/// the reason, never a refusal (the gate cannot be checked and says so); the next run compares
/// again.
#[test]
fn an_unreadable_previous_recommendations_file_is_a_warning_and_no_drift() {
    let w = crate::errors::published();
    let out = w.path("out");
    let id = manifest(&out)["run_id"].as_str().unwrap().to_string();
    let file = out.join("runs").join(&id).join("recommendations.parquet");
    std::fs::remove_file(&file).unwrap();
    std::fs::write(&file, b"PAR1 torn by a full disk").unwrap();
    let p = w.pipeline("gated.toml", &w.path("tiny.csv"), "[gates]\nmax_changed_share = 0.0");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("drift not available"), "{}", r.stderr);
    let m = manifest(&out);
    let d = &m["drift"];
    assert_eq!(d["previous_run_id"], id.as_str());
    assert!(d["note"].as_str().unwrap().starts_with("drift not available: the previous published set's"), "{d}");
    assert!(d["note"].as_str().unwrap().contains("recommendations.parquet"), "{d}");
    assert!(d["changed_share"].is_null() && d["customers"] == 0, "{d}");
    assert!(drift_rows(&out).is_empty());
    let gate = m["gates"].as_array().unwrap().iter().find(|g| g["gate"] == "max_changed_share").unwrap();
    assert!(
        gate["passed"] == true && gate["detail"].as_str().unwrap().starts_with("not checked: drift not available"),
        "{gate}"
    );
    // the set it published is whole: the next run compares with it
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(manifest(&out)["drift"]["changed"], 0);
}

/// Every published table carries the run id, the schema version and kindred's version in its
/// key-value metadata, beside the Arrow schema, as an independent reader sees them.
#[test]
fn every_published_table_names_its_run_schema_and_version() {
    let w = crate::errors::published();
    let out = w.path("out");
    let m = manifest(&out);
    let tables: Vec<&str> = kindred::write::file::ALL.into_iter().filter(|f| f.ends_with(".parquet")).collect();
    assert!(tables.contains(&"drift.parquet") && tables.len() >= 8, "{tables:?}");
    for t in tables {
        // a copy out of the folder still tells
        let copy = w.path(&format!("copied-{t}"));
        std::fs::copy(out.join(t), &copy).unwrap();
        let kv = key_values(&copy);
        assert_eq!(kv.get("kindred.run_id"), Some(&m["run_id"].as_str().unwrap().to_string()), "{t}");
        assert_eq!(kv.get("kindred.schema_version"), Some(&m["schema_version"].to_string()), "{t}");
        assert_eq!(kv.get("kindred.version").map(String::as_str), Some(env!("CARGO_PKG_VERSION")), "{t}");
        assert!(kv.contains_key("ARROW:schema"), "{t}");
    }
}
