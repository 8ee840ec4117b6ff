//! `neighbours.parquet` in every run (issue 15, part 3): each customer's binary cosine
//! neighbours whatever model recommends, `[model] customer_neighbours` (N, or 0 for none), the
//! report in the manifest, and `explain` showing them beside an item-side model. Before, an
//! item or EASE model (the shipped default) published the table empty.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::errors::{published, refuses};
use crate::workdir::{data_at, number, repo, rows, schema, text, Workdir};

/// (customer, rank, neighbour, similarity, shared) in file order.
type Row = (String, i64, String, f64, i64);

fn neighbour_rows(path: &Path) -> Vec<Row> {
    rows(path)
        .iter()
        .map(|r| {
            let n = |k: &str| number(&r[k]);
            (
                text(&r["customer_id"]),
                n("rank") as i64,
                text(&r["neighbour_id"]),
                n("similarity"),
                n("shared_items") as i64,
            )
        })
        .collect()
}

/// The article's definition from the published purchases: shared / √(|a| · |b|), top `n`,
/// ties by the lower id (ids are integers here: compared as numbers).
fn by_definition(out: &Path, n: usize) -> Vec<Row> {
    let mut bought: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for r in rows(&out.join("purchases.parquet")) {
        bought.entry(number(&r["customer_id"]) as i64).or_default().insert(text(&r["item_id"]));
    }
    let mut expected = Vec::new();
    for (a, items_a) in &bought {
        let mut all: Vec<(f64, i64, usize)> = bought
            .iter()
            .filter(|(b, _)| *b != a)
            .map(|(b, items_b)| {
                let shared = items_a.intersection(items_b).count();
                (shared as f64 / ((items_a.len() * items_b.len()) as f64).sqrt(), *b, shared)
            })
            .filter(|x| x.2 > 0)
            .collect();
        all.sort_by(|x, y| y.0.partial_cmp(&x.0).unwrap().then(x.1.cmp(&y.1)));
        for (rank, (sim, b, shared)) in all.into_iter().take(n).enumerate() {
            expected.push((a.to_string(), rank as i64 + 1, b.to_string(), sim, shared as i64));
        }
    }
    expected
}

/// Runs a shipped pipeline on `input`, publishing to `out` in the workdir; returns the folder
/// and the log.
fn run_shipped(w: &Workdir, pipeline: &str, input: &Path, out: &str) -> (PathBuf, String) {
    let p = repo().join("pipelines").join(pipeline);
    let dir = w.path(out);
    let r =
        w.kindred(&["run", p.to_str().unwrap(), "--input", input.to_str().unwrap(), "--output", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{pipeline}: {}", r.stderr);
    (dir, r.stderr)
}

fn manifest(out: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn the_shipped_default_publishes_the_article_pipelines_neighbours() {
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    let (ease, log) = run_shipped(&w, "online_retail.toml", &input, "ease");
    let (article, _) = run_shipped(&w, "article.toml", &input, "article");
    let got = neighbour_rows(&ease.join("neighbours.parquet"));
    assert!(got.len() > 10, "the default's neighbours.parquet is filled: {got:?}");
    assert_eq!(got, neighbour_rows(&article.join("neighbours.parquet")), "the article pipeline's, row for row");
    assert_eq!(got, by_definition(&ease, 20));
    // the report: in the log, in the manifest's reports and stages
    assert!(log.contains(&format!("customer neighbours: {} rows (binary cosine, top 20)", got.len())), "{log}");
    let m = manifest(&ease);
    let report = &m["reports"]["customer_neighbours"];
    assert_eq!(report["source"], "cosine");
    assert_eq!(report["neighbours"], 20);
    assert_eq!(report["rows_out"].as_u64(), Some(got.len() as u64));
    assert_eq!(report["rows_in"], m["customers"]);
    assert_eq!(m["parameters"]["model"]["customer_neighbours"], 20);
    let names: Vec<&str> = m["stages"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "ingest",
            "audit",
            "clean",
            "pivot",
            "select",
            "similarity",
            "customer_neighbours",
            "recommend",
            "drift",
            "write",
            "report"
        ]
    );
    let stage = m["stages"].as_array().unwrap().iter().find(|s| s["name"] == "customer_neighbours").unwrap();
    assert_eq!(stage["rows_out"].as_u64(), Some(got.len() as u64));
    // the article's own are the model's, published as they are
    assert_eq!(manifest(&article)["reports"]["customer_neighbours"]["source"], "model");
}

#[test]
fn customer_neighbours_sets_n_and_zero_writes_the_table_empty_with_its_columns() {
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    let item = "kind = \"item\"\nneighbours = 3\n[recommend]\nfrom_neighbours = 3";
    let p = w.pipeline_with("two.toml", &input, "", "two", &format!("[model]\ncustomer_neighbours = 2\n{item}"));
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let two = w.path("two");
    assert_eq!(neighbour_rows(&two.join("neighbours.parquet")), by_definition(&two, 2));

    let p = w.pipeline_with("zero.toml", &input, "", "zero", &format!("[model]\ncustomer_neighbours = 0\n{item}"));
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("customer neighbours: none ([model] customer_neighbours = 0)"), "{}", r.stderr);
    let zero = w.path("zero");
    assert!(rows(&zero.join("neighbours.parquet")).is_empty());
    let columns: Vec<(String, String)> = [
        ("customer_id", "Int64"),
        ("rank", "Int32"),
        ("neighbour_id", "Int64"),
        ("similarity", "Float64"),
        ("shared_items", "Int32"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(schema(&zero.join("neighbours.parquet")), columns);
    let report = &manifest(&zero)["reports"]["customer_neighbours"];
    assert_eq!((report["source"].as_str(), report["rows_out"].as_u64()), (Some("skipped"), Some(0)));
    // the recommendations do not depend on it
    assert_eq!(data_at(&two.join("recommendations.parquet")), data_at(&zero.join("recommendations.parquet")));
    // explain has no neighbours to show then, says why (the section was left out without a
    // word: helper-123), and says the model
    let customer = text(&rows(&zero.join("recommendations.parquet"))[0]["customer_id"]);
    let r = w.kindred(&["explain", &customer, "--output", zero.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let said = "Nearest customers: not published by this run ([model] customer_neighbours = 0).";
    assert!(r.stdout.contains(said) && !r.stdout.contains("similarity 0."), "{}", r.stdout);
    assert!(r.stdout.contains("kind = \"item\""), "{}", r.stdout);
}

#[test]
fn a_user_model_publishes_its_own_neighbours_whatever_the_key() {
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    let user = "[model]\nneighbours = 3\n[recommend]\nfrom_neighbours = 3";
    let mut tables = Vec::new();
    for (name, key) in [("plain", ""), ("zero", "customer_neighbours = 0\n"), ("many", "customer_neighbours = 50\n")] {
        let extra = user.replace("[model]\n", &format!("[model]\n{key}"));
        let p = w.pipeline_with(&format!("{name}.toml"), &input, "", name, &extra);
        assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
        let report = &manifest(&w.path(name))["reports"]["customer_neighbours"];
        assert_eq!((report["source"].as_str(), report["neighbours"].as_u64()), (Some("model"), Some(3)));
        tables.push(neighbour_rows(&w.path(name).join("neighbours.parquet")));
    }
    assert_eq!(tables[0], by_definition(&w.path("plain"), 3));
    assert!(tables.iter().all(|t| *t == tables[0]), "the model's neighbours, the key aside");
}

/// Auto's user-kNN learns the grid's largest K (50) whatever the table asks: the table is the
/// pipeline's `customer_neighbours` of them, as beside any other winner (it had up to 50 a
/// customer on the nights user-kNN won, 20 on the others).
#[test]
fn auto_choosing_user_knn_publishes_the_pipelines_n() {
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    for (name, n, source) in [("two", 2, "model"), ("none", 0, "skipped"), ("many", 60, "cosine")] {
        let extra =
            format!("[model]\nkind = \"auto\"\ncustomer_neighbours = {n}\n[select]\ncandidates = [\"user_knn\"]");
        let p = w.pipeline_with(&format!("{name}.toml"), &input, "", name, &extra);
        let r = w.kindred(&["run", p.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stderr.contains("select: user_knn"), "{}", r.stderr);
        let dir = w.path(name);
        let got = neighbour_rows(&dir.join("neighbours.parquet"));
        assert_eq!(got, by_definition(&dir, n), "{name}");
        let report = &manifest(&dir)["reports"]["customer_neighbours"];
        assert_eq!((report["source"].as_str(), report["neighbours"].as_u64()), (Some(source), Some(n as u64)));
        assert_eq!(report["rows_out"].as_u64(), Some(got.len() as u64));
    }
    let most = |name: &str| {
        let got = neighbour_rows(&w.path(name).join("neighbours.parquet"));
        got.iter().map(|r| r.1).max().unwrap_or(0)
    };
    assert_eq!(most("two"), 2, "some customer has more than two neighbours to keep");
    assert!(most("many") > 2);
    // Session 36: lists voted by more neighbours than the table keeps showed the kept ones as
    // the whole story (auto's user-kNN 50 beside 20 rows): said now
    let got = neighbour_rows(&w.path("two").join("neighbours.parquet"));
    let cut = got.iter().find(|r| r.1 == 2).map(|r| r.0.clone()).unwrap();
    let r = w.kindred(&["explain", &cut, "--output", w.path("two").to_str().unwrap()]);
    let settings = manifest(&w.path("two"))["selection"]["winner"]["settings"].as_str().unwrap().to_string();
    let k = settings.split(", ").find_map(|s| s.strip_prefix("k=")).unwrap().to_string();
    let said =
        format!("(the lists were voted by each customer's {k} nearest; neighbours.parquet keeps the first 2 of them");
    assert!(r.stdout.contains(&said), "{}", r.stdout);
    // helper-127: with none published, explain said "none: no other customer bought any of the
    // same items" above lists "bought by 17 of the 50 nearest customers"
    let r = w.kindred(&["explain", &cut, "--output", w.path("none").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let said = "Nearest customers: not published by this run ([model] customer_neighbours = 0).";
    assert!(r.stdout.contains(said) && !r.stdout.contains("no other customer"), "{}", r.stdout);
    let k = manifest(&w.path("none"))["selection"]["winner"]["settings"].as_str().unwrap().to_string();
    let k = k.split(", ").find_map(|s| s.strip_prefix("k=")).unwrap().to_string();
    let votes: Vec<&str> = r.stdout.lines().filter(|l| l.contains(", bought by ")).collect();
    let of_k = format!(" of the {k} nearest customers");
    assert!(!votes.is_empty() && votes.iter().all(|l| l.ends_with(&of_k)), "{}", r.stdout);
}

/// `explain` shows an export's names as the audit does: cut to a terminal's line, a line end
/// written out. The item a recommendation rests most on was printed raw (its line end broke
/// the line) and no name was cut (a 5,000-character description made 5,000-column lines).
#[test]
fn explain_cuts_and_escapes_the_names_it_shows() {
    let w = Workdir::new();
    let long = format!("RED\nMUG {}", "X".repeat(5_000));
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID\n");
    for (c, items) in [(1, "A B C"), (2, "A B"), (3, "A C"), (4, "B C D")] {
        for item in items.split(' ') {
            let name = if item == "A" { format!("\"{long}\"") } else { format!("{item} THING") };
            csv += &format!("{c},{item},{name},1,2011-01-03 09:00:00,{c}\n");
        }
    }
    let input = w.write("long.csv", csv);
    let p = w.pipeline_with("item.toml", &input, "", "item", "[model]\nkind = \"item\"");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let r = w.kindred(&["explain", "2", "--output", w.path("item").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // a description's line break is read as a space (helper-122), so none reaches the lines
    assert!(r.stdout.contains("most by A RED MUG"), "{}", r.stdout);
    let widest = r.stdout.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(widest < 250, "a line of {widest} characters:\n{}", r.stdout);
    assert!(!r.stdout.lines().any(|l| l.starts_with("MUG")), "a name's line end broke a line: {}", r.stdout);
}

/// helper-141: a customer whose nearest bought nothing new to them gets top-ups only, and
/// explain said "voted by the nearest" without a word that none had voted.
#[test]
fn explain_says_when_the_model_scored_nothing_for_the_customer() {
    // 1: A   2: A   3: A B C — 1's nearest is 2 (1.0), which bought nothing 1 lacks; 3 does
    let w = Workdir::new();
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID\n");
    for (c, items) in [(1, "A"), (2, "A"), (3, "A B C"), (4, "B C")] {
        for item in items.split(' ') {
            csv += &format!("{c},{item},{item} THING,1,2011-01-03 09:00:00,{c}\n");
        }
    }
    let input = w.write("none.csv", csv);
    let p = w.pipeline_with("user.toml", &input, "", "user", "[model]\nkind = \"user\"\nneighbours = 1");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let explain = |c: &str| w.kindred(&["explain", c, "--output", w.path("user").to_str().unwrap()]).stdout;
    let s = explain("1");
    assert!(s.contains("the model scored no item for this customer") && s.contains("popular"), "{s}");
    let s = explain("4");
    assert!(!s.contains("scored no item") && s.contains("bought by 1 of"), "{s}");
}

#[test]
fn explain_shows_the_nearest_customers_beside_the_shipped_default() {
    // 1: A B C   2: A B   3: C D   4: E — by hand: cos(1, 2) = 2/√6 = 0.816497 (2 shared),
    // cos(1, 3) = 1/√6 = 0.408248 (1 shared); 4 shares nothing
    let w = Workdir::new();
    let names = [("A", "RED MUG"), ("B", "RED CUP"), ("C", "BLUE MUG"), ("D", "BLUE CUP"), ("E", "GREEN LAMP")];
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID\n");
    for (c, items, day) in [(1, "A B C", 1), (2, "A B", 2), (3, "C D", 3), (4, "E", 4)] {
        for item in items.split(' ') {
            let name = names.iter().find(|n| n.0 == item).unwrap().1;
            csv += &format!("{c}{day},{item},{name},1,2011-01-0{day} 09:00:00,{c}\n");
        }
    }
    let input = w.write("hand.csv", csv);
    let (out, _) = run_shipped(&w, "online_retail.toml", &input, "out");
    let r = w.kindred(&["explain", "1", "--output", out.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = &r.stdout;
    assert!(s.contains("Nearest customers"), "{s}");
    assert!(s.contains("1. 2          similarity 0.816497  (2 shared items)"), "{s}");
    assert!(s.contains("2. 3          similarity 0.408248  (1 shared item)"), "{s}");
    // which folder and run it read (a KINDRED_OUTPUT left set explained another shop's)
    let run_id = std::fs::read_link(out.join("current")).unwrap().file_name().unwrap().to_str().unwrap().to_string();
    assert!(s.lines().nth(1).unwrap() == format!("  from run {run_id} in {}", out.display()), "{s}");
    // four customers, none with a new item in a held-back window: the shipped "auto" publishes
    // popularity, and the customers' neighbours are computed without any model
    assert!(s.contains("popular: among the most bought items"), "{s}");
    // the run's choice said whole (a popularity winner listed neighbours as if they voted)
    assert!(s.contains("\nModel: chosen by the run's selection (kind = \"auto\"): popularity"), "{s}");
    let r = w.kindred(&["explain", "4", "--output", out.to_str().unwrap()]);
    assert!(r.stdout.contains("none: no other customer bought any of the same items"), "{}", r.stdout);
    // a negative id is an id, not a flag (clap's `-- -5` hint then read --output as the pipeline)
    let r = w.kindred(&["explain", "-5", "--output", out.to_str().unwrap()]);
    assert!(r.code == 1 && r.stderr.contains("customer -5 is not in the published output"), "{}", r.stderr);
    // a named model topped up by recent buyers says so (customer 4 has no neighbour: all popular)
    let recent = w.pipeline_with("recent.toml", &input, "", "recent", "[recommend]\npopular_half_life_days = 2");
    let r = w.kindred(&["run", recent.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = w.kindred(&["explain", "4", "--output", w.path("recent").to_str().unwrap()]);
    let lately = "popular: among the items most bought lately (each buyer weighed by a half-life of 2 days)";
    assert!(r.stdout.contains(lately), "{}", r.stdout);
    let r = w.kindred(&["explain", "1", "--output", w.path("recent").to_str().unwrap()]);
    assert!(!r.stdout.contains("were voted by"), "{}", r.stdout);
    // fewer voted than are shown (`from_neighbours` below `neighbours`): "bought by 2" was read
    // against all of those shown (a helper's 50 shown, 30 voting: 1,041 rows miscounted)
    let few = "[model]\nkind = \"user\"\nneighbours = 3\n[recommend]\nfrom_neighbours = 1";
    let few = w.pipeline_with("few.toml", &input, "", "few", few);
    assert_eq!(w.kindred(&["run", few.to_str().unwrap()]).code, 0);
    let r = w.kindred(&["explain", "1", "--output", w.path("few").to_str().unwrap()]);
    let s = &r.stdout;
    assert!(
        s.contains(
            "(the lists were voted by each customer's 1 nearest, the first 1 above: [recommend] from_neighbours)"
        ),
        "{s}"
    );
    let r = w.kindred(&["explain", "3", "--output", w.path("few").to_str().unwrap()]);
    assert!(r.stdout.contains("bought by 1 of the 1 nearest customers"), "{}", r.stdout);
    // fewer neighbours than K, all shown: that many voted ("of the 2 nearest" beside 1)
    let two = "[model]\nkind = \"user\"\nneighbours = 3\n[recommend]\nfrom_neighbours = 2";
    let two = w.pipeline_with("two.toml", &input, "", "two", two);
    assert_eq!(w.kindred(&["run", two.to_str().unwrap()]).code, 0);
    let r = w.kindred(&["explain", "3", "--output", w.path("two").to_str().unwrap()]);
    assert!(r.stdout.contains("bought by 1 of the 1 nearest customers"), "{}", r.stdout);
    // a typo'd pipeline beside --output was ignored without a word
    let r = w.kindred(&["explain", "1", "nope.toml", "--output", w.path("few").to_str().unwrap()]);
    assert!(r.code == 2 && r.stderr.contains("nope.toml"), "{}: {}", r.code, r.stderr);
}

#[test]
fn customer_neighbours_out_of_range_is_a_pipeline_error_naming_the_key() {
    let w = published();
    let tiny = w.copy("tiny.csv");
    let key = "[model] customer_neighbours";
    refuses(&w, &tiny, "", "[model]\ncustomer_neighbours = -1", 2, &[key, "0 (none) or more, got -1"]);
    refuses(&w, &tiny, "", "[model]\ncustomer_neighbours = 1001", 2, &[key, "at most 1000, got 1001"]);
}

/// helper-105: a published set whose table is not the one its run wrote (a shorter valid copy
/// restored over it) was explained from it — "0 recommendations: bought every item", exit 0 —
/// while `status` called it damaged. Refused naming the file, as `status` names it.
#[test]
fn explain_refuses_a_damaged_set() {
    let w = published();
    let input = w.copy("tiny.csv");
    let one = w.pipeline_with("one.toml", &input, "", "one", "[recommend]\nper_customer = 1");
    assert_eq!(w.kindred(&["run", one.to_str().unwrap(), "--quiet"]).code, 0);
    let set = std::fs::canonicalize(w.path("out/current")).unwrap();
    // a file explain does not read, edited: explained as before (helper-107)
    std::fs::write(set.join("report.html"), "<!-- edited -->").unwrap();
    assert_eq!(w.kindred(&["explain", "17850", "--output", "out"]).code, 0);
    std::fs::copy(w.path("one/current/recommendations.parquet"), set.join("recommendations.parquet")).unwrap();
    let r = w.kindred(&["explain", "17850", "--output", "out"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("damaged (recommendations.parquet: ") && r.stdout.is_empty(), "{}", r.stderr);
}
