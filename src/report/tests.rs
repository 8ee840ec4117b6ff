use serde_json::json;

use super::*;
use crate::recommend::Rec;

/// The `data-value` of the element with `id` in `html`.
pub(crate) fn value_of(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("data-value=\"")? + "data-value=\"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

/// A main-branch manifest, by hand: no drift, no first look, no selection.
fn manifest() -> Value {
    json!({
        "kindred_version": "0.4.0", "status": "published", "run_id": "20261201T020000.000Z-1",
        "started_utc": "2026-12-01T02:00:00.000Z", "finished_utc": "2026-12-01T02:00:09.000Z",
        "input": {"path": "data/x.csv", "bytes": 2048},
        "parameters": {"model": {"kind": "user"}, "recommend": {"per_customer": 2}},
        "forced": false,
        "gates": [{"gate": "max_dropped_share", "passed": true, "detail": "cleaning dropped 10%"}],
        "stages": [{"name": "ingest", "seconds": 0.5, "rows_in": 10, "rows_out": 10},
                   {"name": "write", "seconds": 0.004, "rows_in": 3, "rows_out": 20}],
        "customers": 3, "items": 4, "pairs": 7, "peak_rss_bytes": 86544384u64,
        "selection": null, "sharded": null,
        "reports": {
            "audit": {"rows_in": 10, "total_nulls": 1234, "columns": [
                {"column": "CustomerID", "role": "customer", "nulls": 1234, "invalid": 0, "null_percent": 24.9},
                {"column": "<script>alert('col')</script>", "role": null, "nulls": 0, "invalid": 0, "null_percent": 0.0}]},
            "clean": {"rows_in": 10, "rows_out": 8, "rules": [{"rule": "min_quantity", "rows_in": 10, "rows_out": 9},
                                                              {"rule": "missing_customer", "rows_in": 9, "rows_out": 8}]},
            "similarity": {"kind": "user"},
            "recommend": {"topped_up_customers": 1},
        },
    })
}

/// 3 customers, 4 items; customer 0 gets neighbours' rows, 1 a mix, 2 popularity only.
fn tables_figures() -> Figures {
    let rows = [
        ("1", "A", 1.0, Some("<script>alert(1)</script>")),
        ("1", "B", 1.0, Some("MUG")),
        ("2", "B", 1.0, Some("MUG")),
        ("2", "C", 1.0, None),
        ("3", "D", 1.0, Some("B & Q")),
    ];
    let m = Interactions::from_triples(rows.into_iter());
    let rec = |item, source| Rec { item, score: None, supporters: 0, source };
    let recs = Recommendations {
        offsets: vec![0, 2, 4, 5],
        rows: vec![
            rec(2, Source::Neighbours),
            rec(3, Source::Neighbours),
            rec(0, Source::Neighbours),
            rec(3, Source::Popular),
            rec(0, Source::Popular),
        ],
    };
    let nb = Neighbours {
        offsets: vec![0, 2, 3, 3],
        ids: vec![1, 2, 0],
        similarity: vec![0.9, 0.2, 0.5],
        shared: vec![1, 1, 1],
    };
    Figures::of(&Tables { matrix: &m, recommendations: &recs, customer_neighbours: &nb })
}

#[test]
fn the_figures_of_hand_made_tables() {
    let f = tables_figures();
    assert_eq!(f.by_source, vec![("neighbours".to_string(), 3), ("popular".to_string(), 2)]);
    assert_eq!((f.recommendations, f.with_recommendations, f.fallback_only), (5, 3, 1));
    assert_eq!((f.recommended_items, f.items), (3, 4));
    let top: Vec<(&str, usize)> = f.top.iter().map(|t| (t.item.as_str(), t.rows)).collect();
    assert_eq!(top, [("A", 2), ("D", 2), ("C", 1)], "most rows first, ties by item id");
    assert_eq!(f.top[2].description, None);
    assert_eq!((f.with_neighbours, f.neighbour_rows), (2, 3));
    assert!((f.mean_top1.unwrap() - 0.7).abs() < 1e-12);
    assert_eq!(f.top1.iter().map(|b| b.count).sum::<usize>(), 2);
    assert_eq!(f.all.iter().map(|b| b.count).sum::<usize>(), 3);
    assert_eq!(f.all.last().unwrap().hi, 1.0);
}

#[test]
fn a_main_manifest_renders_every_section_and_says_what_is_missing() {
    let html = render(&manifest(), &tables_figures()).unwrap();
    for id in ["summary", "audit", "cleaning", "neighbours", "validation", "recommendations", "drift", "stages"] {
        assert!(html.contains(&format!("<section id=\"{id}\">")), "{id}");
    }
    assert_eq!(value_of(&html, "customers").as_deref(), Some("3"));
    assert_eq!(value_of(&html, "nulls-0").as_deref(), Some("1234"));
    assert!(html.contains(">1,234<"), "thousands separators");
    assert_eq!(value_of(&html, "source-popular").as_deref(), Some("2"));
    assert_eq!(value_of(&html, "fallback-only-customers").as_deref(), Some("1"));
    assert_eq!(value_of(&html, "stage-write").as_deref(), Some("0.004"));
    assert_eq!(value_of(&html, "rule-1-out").as_deref(), Some("8"));
    assert_eq!(value_of(&html, "catalogue-coverage").as_deref(), Some("0.75"));
    assert!(html.contains(">75.0%<"));
    assert!(html.contains("id=\"drift-missing\""));
    assert!(html.contains("not available: the pipeline named its model"));
    assert!(html.contains("no first rows"));
    assert_eq!(html.matches("<svg").count(), 6, "nulls, funnel, two histograms, sources, stages");
}

#[test]
fn names_from_users_files_are_escaped_and_nothing_runs_or_loads() {
    let html = render(&manifest(), &tables_figures()).unwrap();
    assert!(!html.contains("<script"), "a description or column name came out as markup");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"), "shown as text");
    assert!(html.contains("B &amp; Q"));
    assert!(!html.contains("http://") && !html.contains("https://"), "the page loads nothing");
}

/// A value longer than a cell shows is cut, its whole text in the cell's title (a 5,000-
/// character header made a table 44,580 px wide); a bidirectional override stays inside its
/// element (a file name holding U+202E turned the header line around).
#[test]
fn long_values_are_cut_with_their_whole_text_in_a_title_and_overrides_kept_inside() {
    let long = "W".repeat(5_000);
    let mut m = manifest();
    m["input"]["path"] = json!("invoice\u{202e}gpj.csv");
    m["reports"]["audit"]["columns"][1]["column"] = json!(long);
    let html = render(&m, &tables_figures()).unwrap();
    let shown = format!(">{}…<", "W".repeat(CELL_CHARS - 1));
    assert!(html.contains(&shown), "cut to {CELL_CHARS} characters");
    assert!(html.contains(&format!("title=\"{long}\"")), "the whole text in the title");
    assert!(!html.contains(&format!(">{long}<")), "shown whole");
    // a long id wraps (cut, it still pushed every other column off the screen); a short one not
    assert!(html.contains(&format!("<td class=\"text id long\" title=\"{long}\">")), "a long id wraps");
    let short = m["reports"]["audit"]["columns"][0]["column"].as_str().unwrap().to_string();
    assert!(html.contains(&format!("<td class=\"text id\" title=\"{short}\">")), "{short} does not");
    assert!(html.contains("unicode-bidi: isolate"));
    // an export's control characters are written out wherever a value is shown, cut or not
    let mut m = manifest();
    m["gates"][0]["detail"] = json!("a name with \u{1b}[2J and \u{0} in it");
    let raw = render(&m, &tables_figures()).unwrap();
    assert!(raw.contains("a name with \\u{1b}[2J and \\0 in it"), "written out");
    assert!(!raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\t')), "a raw control character");
    // shown as `kindred audit` shows it: the override written out, not obeyed
    assert!(html.contains("Input <b title=\"invoice\\u{202e}gpj.csv\">invoice\\u{202e}gpj.csv</b>"));
}

#[test]
fn the_sections_other_stages_add_render_when_present() {
    let mut m = manifest();
    m["drift"] = json!({"previous_run_id": "20261130T020000.000Z-1", "customers": 4339, "kept": 4300, "new": 39,
        "gone": 12, "changed": 1673, "changed_share": 0.3856, "mean_overlap": 0.71, "note": null});
    m["reports"]["audit"]["columns"][0]["type_read"] = json!("Int64");
    m["reports"]["audit"]["columns"][0]["type_parsed"] = json!("String");
    m["reports"]["audit"]["head"] = json!({"columns": ["CustomerID", "<b>"], "rows": [["17850", null]]});
    m["reports"]["clean"]["after_cleaning"] = json!({"columns": [{"column": "CustomerID", "role": "customer", "nulls": 0}], "nulls": 0, "statement": "no nulls left"});
    m["selection"] = json!({"winner": {"candidate": "user", "settings": "k=10"}, "rule": "simplest", "window": {"kind": "days"},
        "skipped": [{"candidate": "prior", "reason": "the exposure prior … needs purchase dates", "needs_bytes": null},
                    {"candidate": "ease", "reason": "needs about 0.40 GB", "needs_bytes": 400000000}],
        "candidates": [{"candidate": "user", "settings": "k=10", "ndcg": 0.1234, "customers": 900}]});
    let html = render(&m, &tables_figures()).unwrap();
    // Session 36: an option the data cannot offer is told from a family the memory kept out
    assert!(html.contains("Not tried (an option the data cannot offer), prior: the exposure prior"), "{html}");
    assert!(html.contains("Not tried, ease: needs about 0.40 GB"), "{html}");
    assert_eq!(value_of(&html, "drift-changed").as_deref(), Some("1673"));
    assert_eq!(value_of(&html, "drift-changed_share").as_deref(), Some("0.3856"));
    assert!(html.contains(">1,673<") && html.contains(">38.6%<"));
    assert!(html.contains("id=\"column-types\"") && html.contains("<td>Int64</td>"));
    assert!(html.contains("id=\"head\"") && html.contains("&lt;b&gt;"));
    // a null cell of the first rows is marked, not an empty cell
    assert!(html.contains("<td class=\"text\" title=\"17850\">17850</td><td class=\"text null\">null</td>"), "{html}");
    assert!(html.contains("no nulls left"));
    assert!(html.contains("class=\"winner\"") && html.contains("0.1234"));
    assert_eq!(value_of(&html, "winner").as_deref(), Some("user k=10"));
    // Session 35: popularity chosen is named so, not "user model"
    let mut popular = m.clone();
    popular["selection"]["winner"] = json!({"candidate": "popularity", "settings": "half_life=7"});
    popular["reports"]["similarity"] = json!({"kind": "user", "rows_out": 0});
    assert!(render(&popular, &tables_figures()).unwrap().contains("(popularity (no similarity) model;"));
    assert!(html.contains("not available customers scored"), "a manifest without the window's counts");
    // a window of more customers than `[select] max_customers`: the sample is named
    m["selection"]["window"] = json!({"kind": "days", "customers": 730352, "scored_customers": 100000});
    let html = render(&m, &tables_figures()).unwrap();
    assert!(html.contains("730,352 customers with new items, a seeded sample of 100,000 scored"));
    m["selection"]["window"] = json!({"kind": "days", "customers": 1271, "scored_customers": 1271});
    assert!(render(&m, &tables_figures()).unwrap().contains("1,271 customers scored"));
    // the window said as the log says it (helper-156: "days window:", no length)
    m["selection"]["window"]["days"] = json!(30.0);
    m["selection"]["window"]["start_utc"] = json!("2011-11-09 12:50:00");
    let html = render(&m, &tables_figures()).unwrap();
    assert!(html.contains("Held back: the last 30 days (from 2011-11-09 12:50:00 UTC); "), "{html}");
    m["selection"]["window"] =
        json!({"kind": "random_share", "share": 0.2, "customers": 1271, "scored_customers": 1271});
    let html = render(&m, &tables_figures()).unwrap();
    assert!(
        html.contains("Held back: 20% of each customer&#x27;s items; ")
            || html.contains("Held back: 20% of each customer's items; "),
        "{html}"
    );
    m["selection"]["window"] = json!({"kind": "days", "customers": 0, "scored_customers": 0});
    assert!(render(&m, &tables_figures()).unwrap().contains("no customer bought a new item in it"));
    m["drift"] = json!({"previous_run_id": null, "customers": 0, "note": "first run: no previous published set to compare with"});
    let html = render(&m, &tables_figures()).unwrap();
    // the drift's own note says "first run" already: not twice
    assert!(html.contains("First run: no drift: no previous published set to compare with."), "{html}");
    assert!(!html.contains("First run: no drift. first run"));
    // Session 35: a previous set that could not be compared is "not available" with its note,
    // not zero counts ("lists changed 0"); a note beside figures is shown too
    let why = "drift not available: the previous published set r.parquet cannot be compared (not Parquet)";
    m["drift"] = json!({"previous_run_id": "20261130T020000.000Z-1", "customers": 0, "kept": 0, "new": 0, "gone": 0,
        "changed": 0, "changed_share": null, "mean_overlap": null, "note": why});
    let html = render(&m, &tables_figures()).unwrap();
    assert!(
        html.contains("id=\"drift-unavailable\"") && html.contains(why.trim_start_matches("drift not available: "))
    );
    assert!(!html.contains("drift not available"), "not said twice: {html}");
    assert_eq!(value_of(&html, "drift-changed"), None, "no zero counts");
    m["drift"]["customers"] = json!(8);
    m["drift"]["changed_share"] = json!(0.25);
    m["drift"]["note"] = json!("customer ids compared as text");
    let html = render(&m, &tables_figures()).unwrap();
    assert!(html.contains("<p class=\"note\" id=\"drift-note\">customer ids compared as text</p>"), "{html}");
}

#[test]
fn an_empty_manifest_still_renders() {
    let empty = Figures::of(&Tables {
        matrix: &Interactions::from_triples(std::iter::empty()),
        recommendations: &Recommendations::default(),
        customer_neighbours: &Neighbours::default(),
    });
    let html = render(&json!({}), &empty).unwrap();
    assert!(html.contains("not available"));
}

#[test]
fn thousands_separators() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(4339), "4,339");
    assert_eq!(thousands(1_234_567), "1,234,567");
}
