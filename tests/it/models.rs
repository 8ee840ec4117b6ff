//! `[model] kind` and `weighting` end to end: the published tables of an item-based model,
//! recomputed from the published purchases by the definition.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::workdir::{data, number, rows, schema, text, Workdir};

/// Runs the tiny export with these `[model]` keys; returns the published folder.
fn run(w: &Workdir, model: &str) -> PathBuf {
    let input = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &input, &format!("[model]\n{model}"));
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    w.path("out")
}

fn columns(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn item_model_publishes_item_neighbours_by_the_definition() {
    let w = Workdir::new();
    let out = run(&w, "kind = \"item\"\nneighbours = 3\n[recommend]\nfrom_neighbours = 3");
    let item_nb = out.join("item_neighbours.parquet");
    assert_eq!(
        schema(&item_nb),
        columns(&[
            ("item_id", "String"),
            ("rank", "Int32"),
            ("neighbour_item_id", "String"),
            ("similarity", "Float64"),
            ("shared_customers", "Int32"),
        ])
    );
    // the customers' cosine neighbours are published beside an item model (issue 15)
    assert!(!rows(&out.join("neighbours.parquet")).is_empty());
    assert_eq!(schema(&out.join("neighbours.parquet"))[0], ("customer_id".to_string(), "Int64".to_string()));

    // the definition: binary cosine between items' buyer sets, ties by item id, top 3
    let mut buyers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in rows(&out.join("purchases.parquet")) {
        buyers.entry(text(&r["item_id"])).or_default().insert(text(&r["customer_id"]));
    }
    let mut expected: Vec<(String, i64, String, f64, i64)> = Vec::new();
    for (a, ba) in &buyers {
        let mut all: Vec<(f64, &String, usize)> = buyers
            .iter()
            .filter(|(b, _)| *b != a)
            .map(|(b, bb)| {
                let shared = ba.intersection(bb).count();
                (shared as f64 / ((ba.len() * bb.len()) as f64).sqrt(), b, shared)
            })
            .filter(|x| x.2 > 0)
            .collect();
        all.sort_by(|x, y| y.0.partial_cmp(&x.0).unwrap().then(x.1.cmp(y.1)));
        for (rank, (sim, b, shared)) in all.into_iter().take(3).enumerate() {
            expected.push((a.clone(), rank as i64 + 1, b.clone(), sim, shared as i64));
        }
    }
    let got: Vec<(String, i64, String, f64, i64)> = rows(&item_nb)
        .iter()
        .map(|r| {
            let n = |k: &str| number(&r[k]);
            (
                text(&r["item_id"]),
                n("rank") as i64,
                text(&r["neighbour_item_id"]),
                n("similarity"),
                n("shared_customers") as i64,
            )
        })
        .collect();
    assert!(expected.len() > 10, "the tiny data has item neighbours");
    assert_eq!(got, expected);

    // recommendations: Σ over the customer's items of their similarity to the candidate
    let mut bought: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (item, set) in &buyers {
        for c in set {
            bought.entry(c.clone()).or_default().insert(item.clone());
        }
    }
    let mut scores: BTreeMap<(String, String), f64> = BTreeMap::new();
    for (a, _, b, sim, _) in &expected {
        for (c, items) in &bought {
            if items.contains(a) && !items.contains(b) {
                *scores.entry((c.clone(), b.clone())).or_default() += sim;
            }
        }
    }
    let recs = rows(&out.join("recommendations.parquet"));
    let from_neighbours: Vec<_> = recs.iter().filter(|r| text(&r["source"]) == "neighbours").collect();
    assert!(!from_neighbours.is_empty());
    for r in from_neighbours {
        let key = (text(&r["customer_id"]), text(&r["item_id"]));
        let want = scores.get(&key).unwrap_or_else(|| panic!("{key:?} recommended without a vote"));
        assert!((number(&r["score"]) - want).abs() < 1e-12, "{key:?}");
    }
}

#[test]
fn user_model_publishes_an_empty_item_neighbours_table_and_weightings_run() {
    let w = Workdir::new();
    let out = run(&w, "");
    assert!(rows(&out.join("item_neighbours.parquet")).is_empty());
    assert_eq!(schema(&out.join("item_neighbours.parquet")).len(), 5);
    let plain = rows(&out.join("neighbours.parquet"));
    for weighting in ["quantity", "log_quantity", "bm25", "tfidf"] {
        let w = Workdir::new();
        let out = run(&w, &format!("weighting = \"{weighting}\"\nshrinkage = 2.0"));
        let got = rows(&out.join("neighbours.parquet"));
        assert!(!got.is_empty());
        assert_ne!(got, plain, "{weighting} gives the binary similarities");
        let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
        assert!(manifest.contains(&format!("\"weighting\": \"{weighting}\"")), "{manifest}");
    }
}

/// An item-side model's published weights (4 per item, positive) and its scored rows (some).
fn item_model_rows(out: &std::path::Path) -> Vec<BTreeMap<String, parquet::record::Field>> {
    let item_nb = rows(&out.join("item_neighbours.parquet"));
    assert!(!item_nb.is_empty());
    assert!(item_nb.iter().all(|r| number(&r["similarity"]) > 0.0 && number(&r["rank"]) <= 4.0));
    let recs = rows(&out.join("recommendations.parquet"));
    let scored: Vec<_> = recs.into_iter().filter(|r| text(&r["source"]) == "neighbours").collect();
    assert!(!scored.is_empty());
    scored
}

#[test]
fn ease_model_publishes_item_weights_and_recommends_from_them() {
    let w = Workdir::new();
    let out = run(&w, "kind = \"ease\"\nease_lambda = 2.0\nneighbours = 4\n[recommend]\nfrom_neighbours = 4");
    assert!(!rows(&out.join("neighbours.parquet")).is_empty(), "the customers' neighbours beside EASE");
    let scored = item_model_rows(&out);
    assert!(scored.iter().all(|r| number(&r["score"]) > 0.0 && number(&r["supporters"]) >= 1.0));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"kind\": \"ease\""), "{manifest}");
    // explain tells which of the customer's items back each recommendation
    let customer = text(&scored[0]["customer_id"]);
    let r = w.kindred(&["explain", &customer, "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("kind = \"ease\"") && r.stdout.contains("of their items; most by"), "{}", r.stdout);
    // a second run is byte-identical, on one thread or two
    same_bytes_on_one_and_two_threads(&w);
}

/// Issue 15: `kind = "sparse_ease"` (EASE on each item's most co-purchased items) end to end:
/// item weights published, recommendations scored by them, with the description blend and
/// both half-lives; byte-identical on one thread or two.
#[test]
fn sparse_ease_publishes_item_weights_and_is_identical_across_threads() {
    let w = Workdir::new();
    let model = "kind = \"sparse_ease\"\nsparse_ease_items = 3\nease_lambda = 2.0\nneighbours = 4\n\
                 description_weight = 0.25\nsimilarity_half_life_days = 30\nrecency_half_life_days = 60\n\
                 [recommend]\nfrom_neighbours = 4";
    let out = run(&w, model);
    assert!(!rows(&out.join("neighbours.parquet")).is_empty(), "the customers' cosine neighbours beside it");
    let scored = item_model_rows(&out);
    assert!(scored.iter().all(|r| number(&r["score"]) > 0.0));
    let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"kind\": \"sparse_ease\""), "{manifest}");
    assert!(manifest.contains("\"sparse_ease_items\": 3"), "{manifest}");
    same_bytes_on_one_and_two_threads(&w);
}

/// Runs `p.toml` again on one thread, then two: the recommendations and item neighbours are
/// the bytes published first.
fn same_bytes_on_one_and_two_threads(w: &Workdir) {
    let first = w.published();
    let p = w.path("p.toml");
    for threads in ["1", "2"] {
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--threads", threads]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let again = w.published();
        for name in ["recommendations.parquet", "item_neighbours.parquet"] {
            assert_eq!(data(&again[name]), data(&first[name]), "{name} with {threads} threads");
        }
    }
}
