//! report.html: the numbers a person reads are the manifest's (read back from the `data-value`
//! attributes), the page loads and runs nothing, and names from the export are shown as text.

use serde_json::Value;

use crate::errors::published;
use crate::workdir::Workdir;

/// The `data-value` of the element with `id`.
fn value(html: &str, id: &str) -> Option<String> {
    let at = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[at..];
    let start = rest.find("data-value=\"")? + "data-value=\"".len();
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_string())
}

fn number(html: &str, id: &str) -> f64 {
    let v = value(html, id).unwrap_or_else(|| panic!("no data-value for id {id}"));
    v.parse().unwrap_or_else(|_| panic!("{id}: {v:?} is not a number"))
}

fn read(w: &Workdir) -> (String, Value) {
    let out = w.path("out");
    let html = std::fs::read_to_string(out.join("report.html")).expect("report.html published");
    let manifest = serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    (html, manifest)
}

fn at(m: &Value, path: &str) -> f64 {
    m.pointer(path).and_then(Value::as_f64).unwrap_or_else(|| panic!("manifest has no {path}"))
}

#[test]
fn the_reports_numbers_are_the_manifests() {
    let w = published();
    let (html, m) = read(&w);
    let pairs = [
        ("customers", "/customers"),
        ("items", "/items"),
        ("pairs", "/pairs"),
        ("peak-rss", "/peak_rss_bytes"),
        ("recommendation-rows", "/reports/recommend/rows_out"),
        ("topped-up", "/reports/recommend/topped_up_customers"),
        ("neighbour-rows", "/reports/customer_neighbours/rows_out"),
        ("audit-rows", "/reports/audit/rows_in"),
        ("audit-nulls", "/reports/audit/total_nulls"),
        ("clean-in", "/reports/clean/rows_in"),
        ("clean-out", "/reports/clean/rows_out"),
    ];
    for (id, path) in pairs {
        assert_eq!(number(&html, id), at(&m, path), "{id} against {path}");
    }
    // rows by source: the model's and the fallbacks' rows, and nothing else
    let neighbours = value(&html, "source-neighbours").map_or(0.0, |v| v.parse().unwrap());
    let popular = value(&html, "source-popular").map_or(0.0, |v| v.parse().unwrap());
    assert_eq!(neighbours, at(&m, "/reports/recommend/from_neighbours_rows"));
    assert_eq!(popular, at(&m, "/reports/recommend/popular_rows"));
    let sources = html.matches("id=\"source-").count();
    assert!(sources >= 1, "{html}");
    // each stage's seconds (the report's own line is written after the page)
    let stages = m["stages"].as_array().unwrap();
    assert_eq!(stages.last().unwrap()["name"], "report", "the manifest lists the report last");
    for stage in &stages[..stages.len() - 1] {
        let name = stage["name"].as_str().unwrap();
        assert_eq!(number(&html, &format!("stage-{name}")), stage["seconds"].as_f64().unwrap(), "stage {name}");
    }
    // the null audit per column, in the manifest's order
    for (i, c) in m["reports"]["audit"]["columns"].as_array().unwrap().iter().enumerate() {
        assert_eq!(number(&html, &format!("nulls-{i}")), c["nulls"].as_f64().unwrap(), "{c}");
        assert!(html.contains(&format!("data-column=\"{}\"", c["column"].as_str().unwrap())), "{c}");
    }
    match m.get("drift").filter(|d| d["previous_run_id"].is_string()) {
        Some(d) => {
            for key in ["customers", "kept", "new", "gone", "changed"] {
                assert_eq!(number(&html, &format!("drift-{key}")), d[key].as_f64().unwrap(), "drift {key}");
            }
        }
        None => assert!(html.contains("id=\"drift-first\"") || html.contains("id=\"drift-missing\"")),
    }
    let report = &m["reports"]["report"];
    assert_eq!(report["file"], "report.html");
    assert_eq!(report["bytes"].as_u64().unwrap(), html.len() as u64);
}

#[test]
fn the_report_loads_and_runs_nothing() {
    let w = published();
    let (html, _) = read(&w);
    assert!(!html.contains("http://") && !html.contains("https://"), "a URL in the page");
    assert!(!html.to_lowercase().contains("<script"), "a script in the page");
    assert!(!html.contains(" src=") && !html.contains("<link"), "the page loads a file");
    assert!(html.contains("<style>") && html.contains("<svg"), "CSS and charts are inline");
}

/// Item and column names come from the retailer's export: markup in them is shown, never run.
#[test]
fn names_from_the_export_are_shown_as_text() {
    let w = Workdir::new();
    let header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,<script>alert(2)</script>";
    let a = "\"<script>alert(\"\"a\"\")</script>\"";
    let b = "<img src=x onerror=alert(1)>";
    let c = "\"</td></tr></table><h1>C</h1>\"";
    let rows = [("1", "A", a), ("1", "B", b), ("2", "A", a), ("2", "C", c), ("3", "B", b), ("3", "C", c)];
    let mut csv = format!("{header}\n");
    for (i, (customer, item, name)) in rows.iter().enumerate() {
        csv.push_str(&format!("{i},{item},{name},1,2010-12-01 08:00:00,1.0,{customer},x\n"));
    }
    let input = w.write("hostile.csv", csv);
    let p = w.pipeline("p.toml", &input, "[gates]\nmin_customers = 1\n");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (html, _) = read(&w);
    let lower = html.to_lowercase();
    assert!(
        !lower.contains("<script") && !lower.contains("<img") && !lower.contains("<h1>c"),
        "markup from the export"
    );
    assert!(html.contains("&lt;script&gt;alert("), "the description is shown as text");
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "{html}");
    assert!(html.contains("&lt;&#x2f;td&gt;"), "{html}");
}
