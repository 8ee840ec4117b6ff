//! `[recommend] fallback = "popular_by:COLUMN"`: the top-up by the customer's segment, computed
//! by hand on a tiny shop; the `source` values; a column the export lacks (exit 2); the keys'
//! validation; and `kindred evaluate` scoring the lists it makes.

use crate::errors::{published, refuses};
use crate::workdir::{rows, text, Workdir};

/// Eight customers, baskets of one or two of items A–G, no two sharing enough items to be
/// neighbours (`min_overlap = 5`): every list is a top-up of 3 (runs `--force` past the gate
/// that wants model rows).
/// - United Kingdom: 1 {A}, 2 {A B}, 3 {B C}; 1's two cancelled lines say Spain, and a
///   cleaned-away line does not vote;
/// - France: 4 {D}, 5 {D E}; 8 {G} bought once under each country: a tie, read as the
///   smallest value, France (its first line says United Kingdom);
/// - Spain: 6 {F} (a second line without a country does not vote): 1 customer < 2, global;
/// - 7 {E} has no country at all: global.
///
/// Dated 2011-01-0x; on 2011-02-01 customer 1 buys C too (new after `evaluate`'s cutoff).
/// Buyers before it: A B D E 2, C F G 1 → global order A B D E C F G; UK A B C; France D E G.
/// With it (`run`): C has 2 buyers → global A B C D E F G; UK A B C.
fn shop(w: &Workdir) -> std::path::PathBuf {
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    let lines = [
        (1, "A", 1, "United Kingdom"),
        (1, "A", -1, "Spain"),
        (1, "A", -1, "Spain"),
        (2, "A", 1, "United Kingdom"),
        (2, "B", 1, "United Kingdom"),
        (3, "B", 1, "United Kingdom"),
        (3, "C", 1, "United Kingdom"),
        (4, "D", 1, "France"),
        (5, "D", 1, "France"),
        (5, "E", 1, "France"),
        (6, "F", 1, "Spain"),
        (6, "F", 1, ""),
        (7, "E", 1, ""),
        (8, "G", 1, "United Kingdom"),
        (8, "G", 1, "France"),
    ];
    for (k, (c, item, q, country)) in lines.iter().enumerate() {
        csv += &format!("{k},{item},{item} THING,{q},2011-01-0{} 09:00:00,1.0,{c},{country}\n", 1 + k % 9);
    }
    csv += "99,C,C THING,1,2011-02-01 09:00:00,1.0,1,United Kingdom\n";
    w.write("shop.csv", csv)
}

const NO_NEIGHBOURS: &str = "[model]\nmin_overlap = 5\n";

fn recommend_keys(fallback: &str) -> String {
    format!("{NO_NEIGHBOURS}[recommend]\nper_customer = 3\nfallback = \"{fallback}\"\nmin_segment_customers = 2\n")
}

/// Each customer's (item, source) list from the published recommendations.
fn lists(w: &Workdir) -> Vec<(String, Vec<(String, String)>)> {
    let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for row in rows(&w.path("out/recommendations.parquet")) {
        let (c, entry) = (text(&row["customer_id"]), (text(&row["item_id"]), text(&row["source"])));
        match out.last_mut() {
            Some((last, list)) if *last == c => list.push(entry),
            _ => out.push((c, vec![entry])),
        }
    }
    out
}

fn manifest(w: &Workdir) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(w.path("out/manifest.json")).unwrap()).unwrap()
}

#[test]
fn segment_top_up_is_the_segments_best_sellers_then_global_popularity() {
    let w = Workdir::new();
    let input = shop(&w);
    let p = w.pipeline("p.toml", &input, &recommend_keys("popular_by:Country"));
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (s, g) = ("popular_segment", "popular");
    let want = [
        ("1", [("B", s), ("D", g), ("E", g)]), // UK's left, then global past UK's items
        ("2", [("C", s), ("D", g), ("E", g)]),
        ("3", [("A", s), ("D", g), ("E", g)]),
        ("4", [("E", s), ("G", s), ("A", g)]),
        ("5", [("G", s), ("A", g), ("B", g)]),
        ("6", [("A", g), ("B", g), ("C", g)]), // Spain: 1 customer < min_segment_customers
        ("7", [("A", g), ("B", g), ("C", g)]), // no country
        ("8", [("D", s), ("E", s), ("A", g)]), // the tie: France, not the first line's UK
    ];
    let want: Vec<(String, Vec<(String, String)>)> = want
        .iter()
        .map(|(c, l)| (c.to_string(), l.iter().map(|(i, s)| (i.to_string(), s.to_string())).collect()))
        .collect();
    assert_eq!(lists(&w), want);
    let m = manifest(&w);
    let report = &m["reports"]["recommend"];
    assert_eq!(report["segment_rows"], 8, "{report}");
    assert_eq!(report["popular_rows"], 16, "{report}");
    assert_eq!(report["from_neighbours_rows"], 0, "{report}");
    assert_eq!(report["topped_up_customers"], 8, "{report}");
    assert_eq!(m.pointer("/parameters/recommend/fallback").and_then(|v| v.as_str()), Some("popular_by:Country"));
    // the audit names the column's role, and the after-cleaning check counts its blanks (the
    // two kept lines without a country: they do not vote, and are stated, not fatal)
    let audited = m.pointer("/reports/audit/columns").unwrap().as_array().unwrap();
    let country = audited.iter().find(|c| c["column"] == "Country").unwrap();
    assert_eq!(
        (&country["role"], &country["type_parsed"]),
        (&serde_json::json!("segment"), &serde_json::json!("String"))
    );
    let after = m.pointer("/reports/clean/after_cleaning/columns").unwrap().as_array().unwrap();
    let country = after.iter().find(|c| c["role"] == "segment").unwrap();
    assert_eq!((&country["column"], &country["nulls"]), (&serde_json::json!("Country"), &serde_json::json!(2)));

    // the default: global popularity only, the `source` values of old
    let p = w.pipeline("p.toml", &input, &format!("{NO_NEIGHBOURS}[recommend]\nper_customer = 3\n"));
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let global = lists(&w);
    assert!(global.iter().all(|(_, l)| l.iter().all(|(_, s)| s == "popular")), "{global:?}");
    let first: Vec<&str> = global[0].1.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(first, ["B", "D", "E"]);
    assert_eq!(manifest(&w)["reports"]["recommend"]["segment_rows"], 0);
}

#[test]
fn segment_column_missing_from_the_export_is_exit_2_naming_the_key_and_the_columns() {
    let w = published();
    let tiny = w.copy("tiny.csv");
    let words = ["[recommend] fallback", "'Region'", "tiny.csv", "StockCode", "Country"];
    refuses(&w, &tiny, "", "[recommend]\nfallback = \"popular_by:Region\"", 2, &words);
}

#[test]
fn fallback_and_min_segment_customers_are_validated_naming_the_key() {
    let w = published();
    let tiny = w.copy("tiny.csv");
    for bad in ["\"by_country\"", "\"popular_by:\"", "\"popular_by\""] {
        let words = ["[recommend] fallback", "popular_by:COLUMN"];
        refuses(&w, &tiny, "", &format!("[recommend]\nfallback = {bad}"), 2, &words);
    }
    for bad in ["0", "-3"] {
        let words = ["[recommend] min_segment_customers", "at least 1"];
        refuses(&w, &tiny, "", &format!("[recommend]\nmin_segment_customers = {bad}"), 2, &words);
    }
}

#[test]
fn evaluate_scores_the_segment_top_up_and_keeps_the_global_baseline() {
    // customer 1 (the only one with a new item after the cutoff: C) gets [B C D] by segment
    // (a hit at rank 2: NDCG@3 = 1/log2(3)) and [B D E] by global popularity (no hit)
    let w = Workdir::new();
    let input = shop(&w);
    let ndcg = |fallback: &str| -> (f64, f64) {
        let p = w.pipeline("p.toml", &input, &recommend_keys(fallback));
        let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-20", "--k", "3", "--json"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        (v["model"]["ndcg"].as_f64().unwrap(), v["popularity"]["ndcg"].as_f64().unwrap())
    };
    let (model, baseline) = ndcg("popular_by:Country");
    assert!((model - 1.0 / 3f64.log2()).abs() < 1e-12, "{model}");
    assert_eq!(baseline, 0.0, "the popularity baseline stays global");
    assert_eq!(ndcg("popular"), (0.0, 0.0));
}
