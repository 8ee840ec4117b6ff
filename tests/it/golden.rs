//! The method on the real export matches the goldens (tie-aware, as `compare.py` defines it).

use std::collections::BTreeMap;
use std::path::Path;

use crate::workdir::{data_at, fixture, number, repo, rows, schema, text, Workdir};

/// customer → [(rank, id, value)] sorted by rank.
type Table = BTreeMap<String, Vec<(i64, String, f64)>>;

fn load(path: &Path, id: &str, value: &str, top: i64) -> Table {
    let mut t: Table = BTreeMap::new();
    for r in rows(path) {
        if r.get("source").is_some_and(|s| text(s) != "neighbours") {
            continue; // popularity rows are outside the goldens
        }
        let rank = number(&r["rank"]) as i64;
        if rank <= top {
            t.entry(text(&r["customer_id"])).or_default().push((rank, text(&r[id]), number(&r[value])));
        }
    }
    for v in t.values_mut() {
        v.sort_by_key(|x| x.0);
    }
    t
}

/// compare.py's rule: values per rank within 1e-9; ids equal except inside the tie group at
/// the top-N cut. Returns (rows compared, mismatches, duplicate ranks) or panics with detail.
fn compare(run: &Table, gold: &Table) -> usize {
    let tol = 1e-9;
    let missing: Vec<&String> = gold.keys().filter(|c| !run.contains_key(*c)).collect();
    let extra: Vec<&String> = run.keys().filter(|c| !gold.contains_key(*c)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "customers missing {missing:?} extra {extra:?}");
    let (mut rows, mut bad_value, mut bad_id, mut dups) = (0, 0, 0, 0);
    for (c, g) in gold {
        let r = &run[c];
        rows += g.len();
        dups += r.windows(2).filter(|w| w[0].0 == w[1].0).count();
        if r.len() != g.len() {
            bad_value += r.len().abs_diff(g.len());
            continue;
        }
        for (x, y) in g.iter().zip(r) {
            if (x.2 - y.2).abs() > tol * x.2.abs().max(1.0) {
                bad_value += 1;
            }
        }
        let cut = g.last().map(|x| x.2).unwrap_or(0.0);
        let above = |t: &[(i64, String, f64)]| -> std::collections::BTreeSet<String> {
            t.iter().filter(|x| x.2 > cut + tol).map(|x| x.1.clone()).collect()
        };
        bad_id += above(g).symmetric_difference(&above(r)).count();
    }
    assert_eq!((bad_value, bad_id, dups), (0, 0, 0), "value/id/duplicate-rank mismatches over {rows} rows");
    rows
}

fn run_real(w: &Workdir, k: usize, threads: &str) {
    let input = repo().join("data/online_retail.csv.gz");
    let p = w.pipeline("p.toml", &input, &format!("[recommend]\nfrom_neighbours = {k}"));
    let r = w.kindred(&["run", p.to_str().unwrap(), "--threads", threads]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // the plain per-stage log a cron mail shows
    for stage in ["ingest:", "clean:", "pivot:", "similarity:", "recommend:", "write:"] {
        assert!(r.stderr.contains(stage), "no {stage} line in {}", r.stderr);
    }
    assert!(r.stderr.contains("541909 → 531285 (min_quantity), 531285 → 397924"), "{}", r.stderr);
    assert!(r.stderr.contains("4339 customers × 3665 items, 266802 pairs"), "{}", r.stderr);
}

#[test]
fn real_export_matches_goldens_k10_and_k1() {
    let w = Workdir::new();
    run_real(&w, 10, "2");
    let out = w.path("out");
    let nb = load(&out.join("neighbours.parquet"), "neighbour_id", "similarity", 20);
    let rows = compare(&nb, &load(&fixture("golden/neighbours_top20.parquet"), "neighbour_id", "similarity", 20));
    assert_eq!(rows, 86_665);
    let k10 = load(&out.join("recommendations.parquet"), "item_id", "score", 10);
    compare(&k10, &load(&fixture("golden/recommendations_k10_top10.parquet"), "stock_code", "score", 10));
    // the article's worked example: 14606's nearest is 12748 at 0.442939
    let first = &nb["14606"][0];
    assert_eq!(first.1, "12748");
    assert!((first.2 - 0.442939).abs() < 1e-6, "{}", first.2);

    let w1 = Workdir::new();
    run_real(&w1, 1, "1");
    let k1 = load(&w1.path("out/recommendations.parquet"), "item_id", "score", 10);
    compare(&k1, &load(&fixture("golden/recommendations_k1_top10.parquet"), "stock_code", "score", 10));
    // thread count changes nothing: neighbours from 1 and 2 threads are identical bytes (the
    // run id in the footer aside)
    assert_eq!(data_at(&w.path("out/neighbours.parquet")), data_at(&w1.path("out/neighbours.parquet")));
}

#[test]
fn output_schema_as_documented_and_every_customer_has_rows() {
    let w = Workdir::new();
    run_real(&w, 10, "2");
    let out = w.path("out");
    let s = |pairs: &[(&str, &str)]| pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
    assert_eq!(
        schema(&out.join("recommendations.parquet")),
        s(&[
            ("customer_id", "Int64"),
            ("rank", "Int32"),
            ("item_id", "String"),
            ("description", "String"),
            ("score", "Float64"),
            ("source", "String"),
            ("supporters", "Int32")
        ])
    );
    assert_eq!(
        schema(&out.join("neighbours.parquet")),
        s(&[
            ("customer_id", "Int64"),
            ("rank", "Int32"),
            ("neighbour_id", "Int64"),
            ("similarity", "Float64"),
            ("shared_items", "Int32")
        ])
    );
    assert_eq!(
        schema(&out.join("null_audit.parquet")),
        s(&[
            ("column", "String"),
            ("role", "String"),
            ("nulls", "Int64"),
            ("null_percent", "Float64"),
            ("invalid", "Int64"),
            ("values", "Int64"),
            ("trimmed", "Int64"),
            ("total", "Boolean")
        ])
    );
    let recs = rows(&out.join("recommendations.parquet"));
    let mut per_customer: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in &recs {
        per_customer.entry(text(&r["customer_id"])).or_default().push(number(&r["rank"]) as i64);
        let popular = text(&r["source"]) == "popular";
        assert_eq!(popular, matches!(r["score"], parquet::record::Field::Null));
        assert!(!text(&r["description"]).is_empty() || text(&r["item_id"]).is_empty());
    }
    assert_eq!(per_customer.len(), 4339, "every customer gets rows");
    assert!(per_customer.values().all(|r| *r == (1..=10).collect::<Vec<i64>>()), "ranks are dense 1..10");
    let audit = rows(&out.join("null_audit.parquet"));
    let customer = audit.iter().find(|r| text(&r["column"]) == "CustomerID").unwrap();
    assert_eq!(number(&customer["nulls"]), 135_080.0);
    assert!((number(&customer["null_percent"]) - 24.93).abs() < 0.005);
    let description = audit.iter().find(|r| text(&r["column"]) == "Description").unwrap();
    assert_eq!(number(&description["nulls"]), 1_454.0);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let names: Vec<&str> = manifest["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    let stages = [
        "ingest",
        "audit",
        "clean",
        "pivot",
        "similarity",
        "customer_neighbours",
        "recommend",
        "drift",
        "write",
        "report",
    ];
    assert_eq!(names, stages);
    // the input's identity is the shipped file's: its size and SHA-256, computed here again
    let export = std::fs::read(repo().join("data/online_retail.csv.gz")).unwrap();
    let sha256 = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&export));
    assert_eq!(manifest["input"]["sha256"].as_str().unwrap(), sha256);
    assert_eq!(manifest["input"]["bytes"].as_u64().unwrap(), export.len() as u64);
    assert!(manifest["peak_rss_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn explain_tells_the_worked_example() {
    let w = Workdir::new();
    run_real(&w, 10, "2");
    let r = w.kindred(&["explain", "14606", "--output", w.path("out").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1. 12748") && r.stdout.contains("similarity 0.442939"), "{}", r.stdout);
    assert!(r.stdout.contains("Recommendations (10)"), "{}", r.stdout);
    let r = w.kindred(&["explain", "99999999", "--output", w.path("out").to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("99999999"), "{}", r.stderr);
    // every table from the run `current` names, not file by file through the fixed links (a
    // publish between two reads mixed two runs); a copied set's folder is read as it is
    let told = w.kindred(&["explain", "14606", "--output", w.path("out").to_str().unwrap()]).stdout;
    let copy = w.path("copy");
    std::fs::create_dir(&copy).unwrap();
    for e in std::fs::read_dir(w.path("out/current")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), copy.join(e.file_name())).unwrap();
    }
    for name in ["neighbours.parquet", "recommendations.parquet", "purchases.parquet", "items.parquet"] {
        std::fs::remove_file(w.path("out").join(name)).unwrap();
    }
    // the same answer but for the line naming where it was read
    let answer = |told: &str| told.lines().filter(|l| !l.starts_with("  from ")).collect::<Vec<_>>().join("\n");
    for dir in ["out", "copy"] {
        let r = w.kindred(&["explain", "14606", "--output", w.path(dir).to_str().unwrap()]);
        assert_eq!((r.code, answer(&r.stdout)), (0, answer(&told)), "{dir}: {}", r.stderr);
        assert!(r.stdout.contains(&format!(" in {}\n", w.path(dir).display())), "{}", r.stdout);
    }
    std::fs::create_dir(w.path("empty")).unwrap();
    let r = w.kindred(&["explain", "14606", "--output", w.path("empty").to_str().unwrap()]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("nothing is published there"), "{}", r.stderr);
}

/// Issue 15: the shipped default (EASE) published neighbours.parquet empty, so `explain 14606`
/// no longer showed the article's 12748 at 0.44. Its customers' neighbours are now the goldens.
#[test]
fn shipped_default_publishes_the_golden_neighbours_and_explains_14606() {
    let w = Workdir::new();
    let pipeline = repo().join("pipelines/online_retail.toml");
    let out = w.path("out");
    let r = w.kindred(&["run", pipeline.to_str().unwrap(), "--quiet", "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let nb = load(&out.join("neighbours.parquet"), "neighbour_id", "similarity", 20);
    let matched = compare(&nb, &load(&fixture("golden/neighbours_top20.parquet"), "neighbour_id", "similarity", 20));
    assert_eq!(matched, 86_665);
    let r = w.kindred(&["explain", "14606", "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1. 12748") && r.stdout.contains("similarity 0.442939"), "{}", r.stdout);
    // the model auto chose, which the machine's memory decides (dense EASE needs ~0.6 GB of budget)
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let winner = m.pointer("/selection/winner/candidate").and_then(|c| c.as_str()).unwrap();
    assert!(r.stdout.contains(&format!("kind = \"{winner}\"")), "{winner}: {}", r.stdout);
    // its non-products (postage, manual lines…) are in no list, and each is an item of the export
    let never: Vec<&str> = m["parameters"]["recommend"]["never_recommend"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap())
        .collect();
    assert!(never.contains(&"POST"), "{never:?}");
    let report = &m["reports"]["recommend"];
    assert_eq!(
        (report["withheld_items"].as_u64(), report["unknown_never_recommend"].as_array().map(Vec::len)),
        (Some(never.len() as u64), Some(0))
    );
    let listed = rows(&out.join("recommendations.parquet"));
    assert_eq!(listed.len(), 43_390);
    assert!(listed.iter().all(|row| !never.contains(&text(&row["item_id"]).as_str())));
}
