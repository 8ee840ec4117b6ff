//! `kindred evaluate`: the protocol on a hand-computed split, and the reference figures on the
//! real export (user-kNN with 10 neighbours, summed similarity).

use crate::workdir::{repo, rows, text, Workdir};

fn json(w: &Workdir, pipeline: &std::path::Path, cutoff: &str, k: &str) -> serde_json::Value {
    let r = w.kindred(&["evaluate", pipeline.to_str().unwrap(), "--cutoff", cutoff, "--k", k, "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str(&r.stdout).unwrap()
}

fn close(v: &serde_json::Value, expected: f64, tol: f64) {
    let x = v.as_f64().unwrap();
    assert!((x - expected).abs() <= tol, "{x} is not {expected} ± {tol}");
}

/// The training days [`hand_computed_split`] works out by hand (its comment).
const TRAIN: [(u32, &str, &str); 5] = [
    (1, "A B", "2011-01-01"),
    (2, "A B C", "2011-01-02"),
    (3, "A F", "2011-01-03"),
    (4, "A B D", "2011-01-04"),
    (5, "D G", "2011-01-05"),
];

/// An export of each (customer, items, day): a line per item, `A` (one bought) or `A:-2` (its
/// quantity), at 09:00.
fn baskets(days: &[(u32, &str, &str)]) -> String {
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    for (c, items, date) in days {
        for line in items.split(' ') {
            let (item, q) = line.split_once(':').unwrap_or((line, "1"));
            csv += &format!("1,{item},{item} THING,{q},{date} 09:00:00,1.0,{c}.0,UK\n");
        }
    }
    csv
}

#[test]
fn hand_computed_split() {
    // before 2011-01-10: 1: A B   2: A B C   3: A F   4: A B D   5: D G
    // from it on: 1 buys C (new), E (unknown in train), A (already had); 2 buys A (had)
    // only customer 1 is evaluated, with test items {C}.
    // model: neighbours 2 and 4 tie at 2/√6, 3 at 1/2 → C 0.816, D 0.816, F 0.5 → [C, D]: hit at 1
    // popularity: A 4, B 3, D 2, C 1 … → 1 owns A, B → [D, C]: hit at 2
    let w = Workdir::new();
    let mut csv = baskets(&[&TRAIN[..], &[(1, "C E A", "2011-01-10"), (2, "A", "2011-01-11")]].concat());
    csv += "1,Z,Z THING,1,,1.0,6.0,UK\n"; // no date: in neither part, and said
    let input = w.write("split.csv", csv);
    let p = w.pipeline("p.toml", &input, "");
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-10", "--k", "2"]);
    assert!(r.stderr.contains("of the 17 cleaned rows, 1 has no date that reads, and is in neither"), "{}", r.stderr);
    // helper-112: one customer to test was "1 customers with test items"
    assert!(r.stdout.contains(": 1 customer with test items; train "), "{}", r.stdout);
    let v = json(&w, &p, "2011-01-10", "2");
    assert_eq!(v["model"]["customers"], 1);
    close(&v["model"]["ndcg"], 1.0, 1e-12);
    close(&v["model"]["precision"], 0.5, 1e-12);
    close(&v["model"]["recall"], 1.0, 1e-12);
    close(&v["model"]["hit_rate"], 1.0, 1e-12);
    close(&v["model"]["coverage"], 2.0 / 6.0, 1e-12);
    close(&v["popularity"]["ndcg"], 1.0 / 3f64.log2(), 1e-12);
    close(&v["popularity"]["precision"], 0.5, 1e-12);
    close(&v["article_rule"]["ndcg"], 1.0, 1e-12);
    // helper-161: the article rule is the plain nearest customer whatever floor the pipeline's
    // model has (customer 1's nearest, at 0.816, is under 0.9: the floored model's own
    // "nearest" was popularity's top-up, 0.63)
    let floored = w.pipeline("floored.toml", &input, "[model]\nmin_similarity = 0.9\n");
    let v = json(&w, &floored, "2011-01-10", "2");
    close(&v["article_rule"]["ndcg"], 1.0, 1e-12);
    close(&v["model"]["ndcg"], 1.0 / 3f64.log2(), 1e-12);
    // Session 36: a K beyond the 6 items of the training rows was kept, and precision divided
    // the hits by slots no list has: scored at K = 6, said
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-10", "--k", "500", "--json"]);
    assert!(
        r.stderr.contains("K = 500 (--k) is more than the 6 items of the training rows: scored at K = 6"),
        "{}",
        r.stderr
    );
    let wide: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(wide["k"], 6, "{wide}");
    close(&wide["model"]["precision"], 1.0 / 6.0, 1e-12);
    let table = rows(&w.path("out/evaluation.parquet"));
    let models: Vec<String> = table.iter().map(|r| text(&r["model"])).collect();
    assert_eq!(models, ["model", "popularity", "article_rule"]);
    // no date that reads: refused as run is (exit 3), without run's "--force" (evaluate has none)
    let undated = w.write("undated.csv", std::fs::read_to_string(&input).unwrap().replace(" 09:00:00", "x"));
    let q = w.pipeline("q.toml", &undated, "");
    let r = w.kindred(&["evaluate", q.to_str().unwrap(), "--cutoff", "2011-01-10"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("refused to evaluate: gate required_column") && !r.stderr.contains("--force"),
        "{}",
        r.stderr
    );
    // from 2011-01-11 on only customer 2 buys, what they had: no 0.0000 table of nobody
    // (exit 2 since session 27: a setting the data refuses, as a cutoff outside the data is)
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-11", "--k", "2"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("there is nothing to score") && r.stdout.is_empty(), "{}", r.stderr);
    for cutoff in ["2009-01-01", "2012-01-01"] {
        let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", cutoff]);
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert!(r.stderr.contains("pick a date inside the data"), "{}", r.stderr);
    }
    // Session 27: the output names the pipeline scored (nothing did: the code's defaults could
    // be scored in the shipped pipeline's place, silently), and keeps the cutoff as a date
    let v = json(&w, &p, " 2011-01-10 ", "2");
    assert_eq!(
        (v["pipeline"].as_str(), v["kind"].as_str(), v["cutoff"].as_str()),
        (p.to_str(), Some("user"), Some("2011-01-10"))
    );
    let table = rows(&w.path("out/evaluation.parquet"));
    assert!(table.iter().all(|r| text(&r["pipeline"]) == p.to_str().unwrap()), "{table:?}");
    // no pipeline file (none here, none named): what run says, evaluate says
    let r = w.kindred(&[
        "evaluate",
        "--input",
        input.to_str().unwrap(),
        "--output",
        "plain",
        "--cutoff",
        "2011-01-10",
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("the code's defaults apply"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["pipeline"].clone(), v["kind"].as_str()), (serde_json::Value::Null, Some("user")), "{v}");
    // an output folder holding the input is refused before anything is read, as run refuses it
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-10", "--output", "."]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("holds the input file") && !w.path("evaluation.parquet").exists(), "{}", r.stderr);
    // the published set's own folder, as run refuses it (helper-105: written into, that set was
    // never removed after)
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--output", "pub"]).code, 0);
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-10", "--output", "pub/current"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("which kindred manages for the output folder")
            && !w.path("pub/current/evaluation.parquet").exists(),
        "{}",
        r.stderr
    );
    // a folder that cannot be written: the figures are printed before the write fails
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-10", "--output", "/proc/kindred-nope"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.contains("1 customer with test items"), "{}", r.stdout);
}

/// helper-111: the `cutoff` column of evaluation.parquet (and `--json`'s) held `--cutoff` as
/// typed — `2011-1-6`, `+2011-01-06`, a tab for the space — several values of one cutoff, which
/// a BI filter on `'2011-01-06'` missed; and a cutoff just after the first purchase, with
/// nothing to score, was told to pick an earlier one, where no training row is left.
#[test]
fn the_cutoff_is_written_one_way_and_nothing_to_score_points_both_ways() {
    // 1 buys A on the 1st; 2 to 6 buy A B C on the 5th; 1 buys B on the 6th
    let w = Workdir::new();
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    csv += "1,A,A THING,1,2011-01-01 09:00:00,1.0,1,UK\n";
    for c in 2..=6 {
        for item in ["A", "B", "C"] {
            csv += &format!("{c},{item},{item} THING,1,2011-01-05 09:00:00,1.0,{c},UK\n");
        }
    }
    csv += "7,B,B THING,1,2011-01-06 09:00:00,1.0,1,UK\n";
    let input = w.write("edge.csv", csv);
    let p = w.pipeline("p.toml", &input, "[model]\nkind = \"user\"");
    for (typed, label) in [
        ("2011-1-6", "2011-01-06"),
        ("+2011-01-06", "2011-01-06"),
        ("2011-01-06\t00:00:00", "2011-01-06"),
        ("2011-01-06 00:00:01", "2011-01-06 00:00:01"),
    ] {
        let v = json(&w, &p, typed, "2");
        assert_eq!(v["cutoff"].as_str(), Some(label), "{typed:?}: {v}");
        let table = rows(&w.path("out/evaluation.parquet"));
        assert!(table.iter().all(|r| text(&r["cutoff"]) == label), "{typed:?}: {table:?}");
    }
    // the 1st leaves no training row: an earlier cutoff is no way out of the 2nd's refusal
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-02"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("nothing to score") && r.stderr.contains("a later one"), "{}", r.stderr);
}

/// The training rows are cleaned as a run on the export cut at the cutoff cleans them: a tail
/// of them after a silence the shop never kept is stray there (and kept, undated), though the
/// test rows that follow end it in the whole export. Cleaned whole, evaluate dated it, chose on
/// a window ending there, and scored a model a run at the cutoff would not publish (on the
/// shipped export with such a closure: 0.1468 against the run's 0.1352).
#[test]
fn the_training_rows_are_cleaned_as_an_export_cut_at_the_cutoff() {
    let w = Workdir::new();
    let mut cut = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    let day = |d: i64| {
        let date = chrono::NaiveDate::from_ymd_opt(2011, 1, 1).unwrap() + chrono::Duration::days(d);
        date.format("%Y-%m-%d 10:00:00").to_string()
    };
    let line = |c: i64, item: i64, d: i64| format!("1,I{item},ITEM {item},1,{},1.0,{c},UK\n", day(d));
    for d in 0..120 {
        for k in 0..3 {
            cut += &line(1 + (d * 3 + k) % 40, (d * 7 + k * 5) % 25, d);
        }
    }
    cut += &line(3, 30, 151); // after a month closed: one line, 2011-06-01
    let mut whole = cut.clone();
    for d in 155..170 {
        for k in 0..3 {
            whole += &line(1 + (d * 5 + k) % 40, (d * 3 + k) % 31, d);
        }
    }
    let (cut, whole) = (w.write("cut.csv", cut), w.write("whole.csv", whole));
    let auto = "[model]\nkind = \"auto\"\n[select]\ncandidates = [\"popularity\"]\nmin_customers = 1";
    let p = w.pipeline("whole.toml", &whole, auto);
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-06-05", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("1 kept row dated 2011-06-01") || r.stderr.contains("rows dated 2011-06-01"),
        "{}",
        r.stderr
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["train_rows"], 361, "the stray line is a training row, undated, as a run keeps it");
    let q = w.pipeline_with("cut.toml", &cut, "", "run", auto);
    let r = w.kindred(&["run", q.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let run = w.manifest("run");
    assert_eq!(v["selection"]["window"], run["selection"]["window"], "the window a run at the cutoff chose on");
    assert_eq!(run["reports"]["clean"]["stray_dates"]["rows"], 1);
}

#[test]
fn reproduces_the_reference_user_knn_figures() {
    let w = Workdir::new();
    let p = w.pipeline("real.toml", &repo().join("data/online_retail.csv.gz"), "");
    // (cutoff, customers, user-kNN 10 NDCG / precision / coverage, popularity NDCG / precision / coverage)
    for (cutoff, customers, model, popularity) in [
        ("2011-11-09", 1288, [0.071, 0.058, 0.384], [0.034, 0.031, 0.019]),
        ("2011-09-09", 1854, [0.090, 0.078, 0.429], [0.051, 0.047, 0.018]),
    ] {
        let v = json(&w, &p, cutoff, "10");
        assert_eq!(v["model"]["customers"], customers, "{cutoff}");
        for (key, i) in [("ndcg", 0), ("precision", 1), ("coverage", 2)] {
            close(&v["model"][key], model[i], 0.002);
            close(&v["popularity"][key], popularity[i], 0.002);
        }
    }
}

#[test]
fn the_shipped_pipelines_run_and_the_default_beats_the_published_targets() {
    let w = Workdir::new();
    for name in ["online_retail.toml", "article.toml"] {
        let p = repo().join("pipelines").join(name);
        let out = w.path(name);
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--output", out.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
    }
    // The target at every monthly cutoff of the README's table: NDCG@10 ≥ 1.15 × the best
    // reference model there (benches/reference_models/refs.py; at 09-09 and 11-09 above the
    // issue's 0.125 and 0.097), coverage ≥ 0.20.
    let p = repo().join("pipelines/online_retail.toml");
    let best_reference = [
        ("2011-05-09", 0.1753),
        ("2011-06-09", 0.1632),
        ("2011-07-09", 0.1513),
        ("2011-08-09", 0.1301),
        ("2011-09-09", 0.1125),
        ("2011-10-09", 0.1025),
        ("2011-11-09", 0.0956),
    ];
    for (cutoff, reference) in best_reference {
        let ndcg = 1.15 * reference;
        let out = w.path(&format!("eval-{cutoff}"));
        let r = w.kindred(&[
            "evaluate",
            p.to_str().unwrap(),
            "--cutoff",
            cutoff,
            "--json",
            "--output",
            out.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let model = &v["model"];
        assert!(model["ndcg"].as_f64().unwrap() >= ndcg, "{cutoff}: {model}");
        assert!(model["coverage"].as_f64().unwrap() >= 0.20, "{cutoff}: {model}");
        assert!(model["ndcg"].as_f64().unwrap() > 1.5 * v["article_rule"]["ndcg"].as_f64().unwrap());
    }
}

/// helper-128: a shop selling six lines a day for 300 days, closed 40 days, then one customer
/// buying one line a day for six days. A run on the whole export keeps those days (six rows, a
/// median day's worth); evaluate at the second of them set the training part's one day unknown
/// (stray there, as documented) and then judged the test rows without it: five rows, under a
/// day's worth, stray — every test row lost, said as "no date that reads", and the cutoff
/// refused as leaving no test row. The test rows are judged on the dates as read.
#[test]
fn test_rows_after_a_closure_are_judged_on_the_whole_export() {
    use chrono::{Duration, NaiveDate};
    let w = Workdir::new();
    let day0 = NaiveDate::from_ymd_opt(2023, 1, 2).unwrap();
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    for d in 0..300i64 {
        let date = day0 + Duration::days(d);
        for k in 0..6i64 {
            let (c, item) = (1000 + (d * 6 + k) % 400, (d * 7 + k * 3) % 40);
            csv += &format!("{d},I{item},ITEM {item},1,{date} 10:00:00,1.0,{c},UK\n");
        }
    }
    for t in 0..6i64 {
        let date = day0 + Duration::days(340 + t);
        csv += &format!("x{t},I{},ITEM {},1,{date} 10:00:00,1.0,1001,UK\n", 20 + t, 20 + t);
    }
    let input = w.write("reopened.csv", csv);
    let p = w.pipeline("p.toml", &input, "");
    let run = w.kindred(&["run", p.to_str().unwrap(), "--output", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("stray"), "the whole export keeps its last days: {}", run.stderr);
    let cutoff = (day0 + Duration::days(341)).to_string();
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", &cutoff, "--json", "--output", "ev"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!((v["train_rows"].as_u64(), v["test_rows"].as_u64()), (Some(1801), Some(5)), "{}", r.stderr);
    assert!(!r.stderr.contains("no date that reads"), "{}", r.stderr);
}

/// helper-129: `evaluation.parquet` was zstd whatever `[output] compression` said, beside the
/// published tables a site without a zstd reader had set snappy or uncompressed for.
#[test]
fn evaluation_parquet_takes_the_pipelines_compression() {
    use parquet::basic::Compression;
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let w = Workdir::new();
    let input = w.copy("tiny.csv");
    let codecs = |path: &std::path::Path| -> Vec<Compression> {
        let reader = SerializedFileReader::new(std::fs::File::open(path).unwrap()).unwrap();
        let meta = reader.metadata();
        meta.row_groups().iter().flat_map(|g| g.columns().iter().map(|c| c.compression())).collect()
    };
    for (name, codec) in [("snappy", Compression::SNAPPY), ("uncompressed", Compression::UNCOMPRESSED)] {
        let out = format!("ev_{name}");
        let p = w.pipeline_with(&format!("{name}.toml"), &input, "", &out, &format!("compression = \"{name}\""));
        let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2010-12-06"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let got = codecs(&w.path(&out).join("evaluation.parquet"));
        assert!(!got.is_empty() && got.iter().all(|c| *c == codec), "{name}: {got:?}");
    }
}

/// helper-136: with returns kept (`min_quantity` below 0) a return in the test window of an
/// item the customer never bought, or a line bought and returned there, was a new purchase to
/// score: the returning customers were scored, their returned items hits. Bought is as the
/// pivot counts it: quantities summing above 0.
#[test]
fn returns_in_the_test_window_are_not_purchases() {
    let w = Workdir::new();
    let csv = baskets(
        &[
            &TRAIN[..],
            &[
                (1, "C A", "2011-01-10"),
                (2, "D:-1", "2011-01-11"),          // a return of an item never bought
                (4, "G:2 G:-2 B:-1", "2011-01-12"), // bought and returned; a return of a train item
                (3, "B:2 B:-1", "2011-01-12"),      // net one bought: new
            ],
        ]
        .concat(),
    );
    let input = w.write("returns.csv", csv);
    let p = w.pipeline("p.toml", &input, "[clean]\nmin_quantity = -100");
    let v = json(&w, &p, "2011-01-10", "2");
    // customer 1 ({C}) and customer 3 ({B}); not 2 (D returned) nor 4 (G net 0)
    assert_eq!(v["model"]["customers"], 2, "{v}");
    assert_eq!(v["popularity"]["customers"], 2, "{v}");
    // popularity over train (A 4, B 3, D 2, C 1, F 1, G 1): 1 owns A, B → [D, C]: hit at 2;
    // 3 owns A, F → [B, D]: hit at 1
    close(&v["popularity"]["ndcg"], (1.0 / 3f64.log2() + 1.0) / 2.0, 1e-12);
    close(&v["popularity"]["hit_rate"], 1.0, 1e-12);
}
