//! Issue 14 cases 6, 8 and 14 with the real binary: sums and weights that leave the finite
//! numbers, sets the model made nothing of (or lost most of), and values out of every range —
//! each the exit code, the first line's words and the published set left as it was.

use std::path::PathBuf;

use crate::errors::{published, refuses};
use crate::workdir::{number, rows, text, Workdir};

const HEADER: &str = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

/// An export of (customer, item, quantity text) lines, one invoice per line.
fn export(w: &Workdir, name: &str, lines: &[(u32, &str, String)]) -> PathBuf {
    let mut csv = HEADER.to_string();
    for (k, (customer, item, quantity)) in lines.iter().enumerate() {
        csv.push_str(&format!(
            "{},{item},THING {item},{quantity},2011-01-{:02} 10:00:00,1.0,{customer},UK\n",
            500_000 + k,
            k % 28 + 1
        ));
    }
    w.write(name, csv)
}

/// Ten customers over eight items, quantities 1 to 5, each quantity followed by `suffix`.
fn varied(suffix: &str) -> Vec<(u32, &'static str, String)> {
    const ITEMS: [&str; 8] = ["A", "B", "C", "D", "E", "F", "G", "H"];
    let mut lines = Vec::new();
    for c in 0..10u32 {
        for (i, item) in ITEMS.iter().enumerate() {
            if (c as usize * 7 + i * 3) % 5 < 2 || i == c as usize % 8 {
                lines.push((100 + c, *item, format!("{}{suffix}", (c as usize + i) % 5 + 1)));
            }
        }
    }
    lines
}

/// The first line of an error.
fn first_error(stderr: &str) -> &str {
    stderr.lines().find(|l| l.starts_with("kindred: error:")).unwrap_or_default()
}

/// Issue 14 case 6: two rows of one pair with quantity 1.7e308 summed to +inf in
/// purchases.parquet (exit 0); the sum is refused naming the export, customer and item.
#[test]
fn quantities_summing_past_the_largest_number_are_refused_naming_the_pair() {
    let w = published();
    let mut lines = varied("");
    lines.push((105, "A", "1.7e308".into()));
    lines.push((105, "A", "1.7e308".into()));
    let input = export(&w, "overflow.csv", &lines);
    refuses(&w, &input, "", "", 1, &["overflow.csv", "customer 105", "item 'A'", "inf", "fix those rows"]);
}

/// Issue 14 case 6: with `weighting = "quantity"` quantities of 1e200 made every cosine NaN
/// and the customers lost their neighbours (exit 0). The cosine is scale-free: the same export
/// with every quantity × 1e200 publishes the same neighbours.
#[test]
fn huge_quantities_under_quantity_weighting_give_the_neighbours_of_ordinary_ones() {
    let w = Workdir::new();
    let neighbours = |name: &str, suffix: &str| {
        let input = export(&w, &format!("{name}.csv"), &varied(suffix));
        let p = w.pipeline_with(&format!("{name}.toml"), &input, "", name, "[model]\nweighting = \"quantity\"");
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        rows(&w.path(name).join("neighbours.parquet"))
            .iter()
            .map(|r| (text(&r["customer_id"]), text(&r["neighbour_id"]), number(&r["similarity"])))
            .collect::<Vec<_>>()
    };
    let (plain, huge) = (neighbours("plain", ""), neighbours("huge", "e200"));
    assert!(plain.len() >= 30, "{plain:?}");
    assert_eq!(huge.len(), plain.len(), "every customer keeps its neighbours");
    for (h, p) in huge.iter().zip(&plain) {
        assert_eq!((&h.0, &h.1), (&p.0, &p.1));
        assert!((h.2 - p.2).abs() < 1e-12 && h.2.is_finite(), "{h:?} vs {p:?}");
    }
}

/// Issue 14 cases 6 and 14: EASE panicked on quantities of 1e200 (its Gram matrix overflows)
/// and on `ease_lambda = 1e-15` where items are always bought together (a singular inverse).
/// Each is exit 1 naming the setting to change; the published set is kept.
#[test]
fn ease_that_cannot_be_computed_is_exit_1_naming_the_setting() {
    let w = published();
    let mut lines = varied("");
    // B is bought exactly with A: identical columns make G singular without λ
    let with_a: Vec<u32> = lines.iter().filter(|l| l.1 == "A").map(|l| l.0).collect();
    lines.retain(|l| l.1 != "B");
    lines.extend(with_a.iter().map(|&c| (c, "B", "1".to_string())));
    let twins = export(&w, "twins.csv", &lines);
    let tiny_lambda = "[model]\nkind = \"ease\"\nease_lambda = 1e-15";
    refuses(&w, &twins, "", tiny_lambda, 1, &["[model] ease_lambda", "1e-15", "raise ease_lambda"]);
    let huge = export(&w, "huge.csv", &varied("e200"));
    let quantity = "[model]\nkind = \"ease\"\nweighting = \"quantity\"";
    refuses(&w, &huge, "", quantity, 1, &["[model] weighting", "\"quantity\"", "overflows"]);
}

/// Issue 14 case 8: every row the same item gave 0 recommendation rows in place of the
/// published set, exit 0. The `model_recommendations` gate refuses a set the model made nothing
/// of (exit 3, the set kept); `--force` publishes it, the verdict in the manifest.
#[test]
fn a_set_without_model_recommendations_is_refused_and_force_publishes_it() {
    let w = published();
    let lines: Vec<(u32, &str, String)> = (0..7).map(|c| (100 + c, "ONLY", "2".to_string())).collect();
    let one_item = export(&w, "one_item.csv", &lines);
    refuses(&w, &one_item, "", "", 3, &["gate model_recommendations", "0 of the 0 recommendation rows", "--force"]);
    let p = w.pipeline("forced.toml", &one_item, "");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(w.path("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["forced"], true);
    let gate = manifest["gates"].as_array().unwrap().iter().find(|g| g["gate"] == "model_recommendations").unwrap();
    assert_eq!(gate["passed"], false, "{gate}");
    assert!(rows(&w.path("out/recommendations.parquet")).is_empty());
}

/// Issue 14 case 8: a set that lost most of the last published set's rows (44 → 7), or of
/// the rows its model made (29 → a few, popularity top-ups filling the lists), is refused
/// (exit 3), each by its own gate; shorter lists by design (a lower `per_customer`) are not a
/// drop; each key lets it through.
#[test]
fn a_set_that_lost_most_of_the_previous_rows_is_refused() {
    let w = published();
    // each customer buys two of three items: one recommendation each
    let trios = ["X", "Y", "Z"];
    let lines: Vec<(u32, &str, String)> = (0..7u32)
        .flat_map(|c| [trios[c as usize % 3], trios[(c as usize + 1) % 3]].map(|i| (100 + c, i, "1".to_string())))
        .collect();
    let small = export(&w, "small.csv", &lines);
    refuses(&w, &small, "", "", 3, &["gate max_row_drop_vs_previous", "7 recommendation rows against 44"]);
    let tiny = w.copy("tiny.csv");
    let strict = "[model]\nmin_similarity = 0.6";
    refuses(&w, &tiny, "", strict, 3, &["gate max_model_row_drop_vs_previous", "against 29"]);
    // per_customer 10 → 2: 14 rows expected of 44 × 2 / 10; not a drop
    let shorter = w.pipeline_with("shorter.toml", &tiny, "", "out", "[recommend]\nper_customer = 2");
    let r = w.kindred(&["run", shorter.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // the keys let a deliberate change through (to an export sharing no customer and no item
    // with the published one: `refuse_nothing_in_common` too)
    let loose = "[gates]\nmax_row_drop_vs_previous = 1.0\nmax_model_row_drop_vs_previous = 1.0\n\
                 refuse_nothing_in_common = false";
    let p = w.pipeline_with("loose.toml", &small, "", "out", loose);
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Issue 14 case 14: `per_customer = 10^9` aborted allocating 32 GB and `2^63 − 1` panicked;
/// both are exit 2 naming the key, the published set kept.
#[test]
fn list_lengths_out_of_range_are_exit_2_naming_the_key() {
    let w = published();
    let tiny = w.copy("tiny.csv");
    for value in ["1000000000", "9223372036854775807"] {
        let extra = format!("[recommend]\nper_customer = {value}");
        refuses(&w, &tiny, "", &extra, 2, &["[recommend] per_customer", "at most 1000", value]);
    }
    refuses(&w, &tiny, "", "[model]\nneighbours = 5000", 2, &["[model] neighbours", "at most 1000"]);
    let ev = w.pipeline_with("ev.toml", &tiny, "", "ev", "");
    let r = w.kindred(&["evaluate", ev.to_str().unwrap(), "--cutoff", "2010-12-03", "--k", "5000"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(first_error(&r.stderr).contains("--k: must be at most 1000"), "{}", r.stderr);
}

/// Issue 14 case 14: `threads = 10^6` spun thousands of threads and never exited, holding the
/// lock. More threads than cores (from the file or `--threads`) are capped to the cores, with
/// a note on stderr and in the manifest.
#[test]
fn threads_above_the_cores_are_capped_with_a_note() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &tiny, "[model]\nthreads = 1000000");
    for args in [vec!["run", p.to_str().unwrap()], vec!["run", p.to_str().unwrap(), "--threads", "1000000"]] {
        let r = w.kindred(&args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let note = r.stderr.lines().find(|l| l.starts_with("kindred: note:")).unwrap_or_default();
        assert!(note.contains("= 1000000 is more than the") && note.contains("cores: using"), "{}", r.stderr);
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(w.path("out/manifest.json")).unwrap()).unwrap();
        let threads = manifest["parameters"]["threads"].as_u64().unwrap();
        let cores = std::thread::available_parallelism().unwrap().get() as u64;
        assert_eq!(threads, cores, "capped to the cores");
        assert!(manifest["parameters"]["threads_note"].as_str().unwrap().contains("1000000"));
    }
}
