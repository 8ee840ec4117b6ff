//! `[model] kind = "auto"` through the binary: the evidence published, the same bytes at any
//! thread count, and `evaluate` choosing before its cutoff.

use crate::workdir::{data_at, number, rows, text, Workdir};

/// A shop of `customers` in 20 groups of 6 items, each customer loyal to one group, with dates
/// over 120 days from 2011-01-01 (a fixed generator: the same file every time).
fn copurchase_csv(customers: usize) -> String {
    let mut state = 11u64;
    let mut below = |n: u64| {
        state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    for c in 0..customers {
        let group = below(20);
        for _ in 0..6 {
            let (day, item) = (below(120), below(6));
            let date = chrono_day(day);
            csv += &format!("1,G{group:02}-{item},THING {group} {item},1,{date} 10:00:00,1.0,{},UK\n", 20_000 + c);
        }
    }
    csv
}

/// 2011-01-01 plus `day` days, as YYYY-MM-DD.
fn chrono_day(day: u64) -> String {
    let month_days = [31, 28, 31, 30, 31, 30];
    let (mut month, mut d) = (0, day);
    while d >= month_days[month] {
        d -= month_days[month];
        month += 1;
    }
    format!("2011-{:02}-{:02}", month + 1, d + 1)
}

fn manifest(w: &Workdir, out: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(w.path(out).join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn an_auto_run_publishes_its_evidence_and_the_same_bytes_at_any_thread_count() {
    let w = Workdir::new();
    let input = w.write("shop.csv", copurchase_csv(700));
    let p = w.pipeline("p.toml", &input, "[model]\nkind = \"auto\"");
    let mut published = Vec::new();
    for (threads, out) in [("1", "one"), ("2", "two")] {
        let r = w.kindred(&["run", p.to_str().unwrap(), "--threads", threads, "--output", out]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("kindred: select: "), "{}", r.stderr);
        published.push(data_at(&w.path(out).join("recommendations.parquet")));
    }
    assert!(published[0] == published[1], "recommendations.parquet differs between 1 and 2 threads");
    let table = rows(&w.path("one/selection.parquet"));
    let again = rows(&w.path("two/selection.parquet"));
    let figures = |t: &[std::collections::BTreeMap<String, _>]| -> Vec<String> {
        t.iter()
            .map(|r| {
                format!(
                    "{} {} {} {}",
                    text(&r["candidate"]),
                    text(&r["settings"]),
                    number(&r["ndcg"]),
                    text(&r["chosen"])
                )
            })
            .collect()
    };
    assert_eq!(figures(&table), figures(&again));
    let chosen: Vec<_> = table.iter().filter(|r| text(&r["chosen"]) == "true").collect();
    assert_eq!(chosen.len(), 1, "{table:?}");
    let stages: Vec<String> = manifest(&w, "one")["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(stages[..5], ["ingest", "audit", "clean", "pivot", "select"], "{stages:?}");
    let s = &manifest(&w, "one")["selection"];
    assert_eq!(s["winner"]["candidate"].as_str().unwrap(), text(&chosen[0]["candidate"]));
    assert_eq!(s["winner"]["ndcg"].as_f64().unwrap(), number(&chosen[0]["ndcg"]));
    assert_ne!(s["winner"]["candidate"], "popularity", "{s}");
    assert!(table.iter().any(|r| text(&r["candidate"]) == "popularity"));
    for r in &table {
        assert!(number(&r["customers"]) >= 200.0, "{r:?}");
        assert!((0.0..=1.0).contains(&number(&r["ndcg"])));
    }
}

#[test]
fn a_named_model_publishes_an_empty_selection_table() {
    let w = Workdir::new();
    let input = w.write("shop.csv", copurchase_csv(60));
    let p = w.pipeline("p.toml", &input, "");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(rows(&w.path("out/selection.parquet")).is_empty());
    assert!(manifest(&w, "out")["selection"].is_null());
}

#[test]
fn evaluate_of_an_auto_pipeline_chooses_before_its_cutoff() {
    let w = Workdir::new();
    let input = w.write("shop.csv", copurchase_csv(700));
    let p = w.pipeline("p.toml", &input, "[model]\nkind = \"auto\"");
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-04-01", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let window = &v["selection"]["window"];
    let start = window["start_utc"].as_str().unwrap();
    assert!(start < "2011-04-01", "{window}");
    let seen = window["train_rows"].as_u64().unwrap() + window["test_rows"].as_u64().unwrap();
    assert_eq!(seen, v["train_rows"].as_u64().unwrap(), "the selection saw rows outside training: {window}");
}

#[test]
fn a_users_own_selection_parquet_in_the_output_folder_is_refused_and_left_alone() {
    // A folder published before selection.parquet existed, where someone saved a file of that
    // name: the run refuses (not kindred's link), deletes nothing, and publishes once it is moved.
    let w = Workdir::new();
    let input = w.write("shop.csv", copurchase_csv(60));
    let p = w.pipeline("p.toml", &input, "");
    std::fs::create_dir_all(w.path("out")).unwrap();
    let theirs = w.write("out/selection.parquet", "an analyst's own file");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("selection.parquet") && r.stderr.contains("move it away"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&theirs).unwrap(), "an analyst's own file");
    assert!(!w.path("out/current").exists(), "nothing published");
    std::fs::rename(&theirs, w.path("theirs.parquet")).unwrap();
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(std::fs::symlink_metadata(w.path("out/selection.parquet")).unwrap().file_type().is_symlink());
}

#[test]
fn the_options_tried_follow_the_columns_the_export_has() {
    let w = Workdir::new();
    let settings = |out: &str| -> Vec<String> {
        rows(&w.path(out).join("selection.parquet")).iter().map(|r| text(&r["settings"])).collect()
    };
    let with = w.write("with.csv", copurchase_csv(300));
    let p = w.pipeline("with.toml", &with, "[model]\nkind = \"auto\"");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--output", "with"]).code, 0);
    assert!(settings("with").iter().any(|s| s.contains("description=")), "{:?}", settings("with"));
    // the default Description mapped, the export without it (and its customer column named
    // another way): no description blend is tried, nor refused
    let csv = copurchase_csv(300);
    let without: String = csv
        .lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(2);
            f.join(",").replace("CustomerID", "Customer ID") + "\n"
        })
        .collect();
    let input = w.write("without.csv", without);
    let p = w.pipeline("without.toml", &input, "[model]\nkind = \"auto\"");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--output", "without"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!settings("without").iter().any(|s| s.contains("description")), "{:?}", settings("without"));
    assert_eq!(settings("without").len(), settings("with").len() - 2, "EASE without the blend's two");
}
