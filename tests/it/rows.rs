//! `[clean] exclude_rows` and `keep_rows`: rows dropped or kept by the values of a column no
//! role reads (an order's status: Shopify's `Financial Status`, WooCommerce's `Order Status`,
//! Amazon's per-line `item-status`). Before, an export's refunded, voided and cancelled orders
//! were read as purchases, and nothing in kindred could leave them out.

use std::collections::BTreeSet;

use crate::workdir::{rows, text, Workdir};

/// The published (customer, item) pairs of the run in `out`.
fn purchases(w: &Workdir, out: &str) -> BTreeSet<(String, String)> {
    let path = w.path(&format!("{out}/purchases.parquet"));
    rows(&path).iter().map(|r| (text(&r["customer_id"]), text(&r["item_id"]))).collect()
}

/// A Shopify-like export: the status on an order's first line only. Refunded and voided
/// orders are left out whole (their later lines take the order's verdict through the
/// invoice); the same run kept to paid orders gives the same set; a value written in another
/// case matches nothing and the note names what the column holds.
#[test]
fn orders_by_status_are_left_out_whole_and_a_value_that_matches_nothing_is_said() {
    let w = Workdir::new();
    let mut lines = vec!["Name,Email,Financial Status,Created at,Lineitem quantity,Lineitem sku".to_string()];
    let mut expected = BTreeSet::new();
    let statuses = ["paid", "paid", "refunded", "paid", "voided"];
    for order in 0..60usize {
        let (email, status) = (format!("c{}@example.com", order % 12), statuses[order % statuses.len()]);
        for line in 0..1 + order % 3 {
            let item = format!("SKU{}", (order * 7 + line * 3) % 11);
            let shown = if line == 0 { status } else { "" };
            lines.push(format!("#{},{email},{shown},2024-03-{:02} 10:00:00,1,{item}", 1000 + order, 1 + order % 28));
            if status == "paid" {
                expected.insert((email.clone(), item));
            }
        }
    }
    let input = w.write("orders.csv", lines.join("\n") + "\n");
    let columns = "[columns]\ncustomer = \"Email\"\nitem = \"Lineitem sku\"\nquantity = \"Lineitem quantity\"\ndate = \"Created at\"\ndescription = \"\"\ninvoice = \"Name\"";
    let run = |name: &str, out: &str, clean: &str| {
        let p = w.pipeline_with(name, &input, "", out, &format!("{columns}\n[clean]\n{clean}"));
        let r = w.kindred(&["run", p.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r
    };
    run("exclude.toml", "exclude", "exclude_rows = { \"Financial Status\" = [\"refunded\", \"voided\"] }");
    assert_eq!(purchases(&w, "exclude"), expected);
    run("keep.toml", "keep", "keep_rows = { \"financial status\" = [\"paid\"] }");
    assert_eq!(purchases(&w, "keep"), expected);
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(w.path("keep/manifest.json")).unwrap()).unwrap();
    let filter = &m["reports"]["clean"]["row_filters"][0];
    assert_eq!((&filter["rule"], &filter["column"]), (&"keep_rows".into(), &"Financial Status".into()));
    assert_eq!(m["parameters"]["clean"]["keep_rows"]["financial status"][0], "paid");

    let r = run("case.toml", "case", "exclude_rows = { \"Financial Status\" = [\"Refunded\", \"voided\"] }");
    let said = "[clean] exclude_rows.\"Financial Status\": 'Refunded' matched no row";
    assert!(r.stderr.contains(said) && r.stderr.contains("'refunded' (12)"), "{}", r.stderr);
    assert!(purchases(&w, "case").len() > expected.len());
    // evaluate, whose stage lines are quiet, says it too: its figures would be of those rows
    let r = w.kindred(&["evaluate", w.path("case.toml").to_str().unwrap(), "--cutoff", "2024-03-15"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(said), "{}", r.stderr);
}

/// The filter's column read from every format alike (here the invoice itself, which is also
/// the order's key: a column two readers share); a column the export lacks is the pipeline's
/// fault (exit 2), named with the export's columns.
#[test]
fn a_row_filter_reads_every_format_alike_and_a_missing_column_is_named() {
    let w = Workdir::new();
    let clean = "[clean]\nexclude_rows = { InvoiceNo = [\"536365\", \"53637*\"] }";
    let mut published = Vec::new();
    for (i, fixture) in ["tiny.csv", "tiny.xlsx", "tiny.parquet"].into_iter().enumerate() {
        let input = w.copy(fixture);
        let out = format!("out{i}");
        let p = w.pipeline_with(&format!("{i}.toml"), &input, "", &out, clean);
        let r = w.kindred(&["run", p.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{fixture}: {}", r.stderr);
        published.push(purchases(&w, &out));
    }
    let all = {
        let p = w.pipeline_with("all.toml", &w.copy("tiny.csv"), "", "all", "");
        assert_eq!(w.kindred(&["run", p.to_str().unwrap()]).code, 0);
        purchases(&w, "all")
    };
    // 536365 (17850's three lines) and 536370 … 536379 are left out
    assert!(published[0].len() < all.len() && !published[0].contains(&("17850".into(), "85123A".into())));
    assert!(all.contains(&("17850".into(), "85123A".into())));
    assert!(published.iter().all(|p| *p == published[0]), "{published:?}");

    let p = w.pipeline("bad.toml", &w.copy("tiny.csv"), "[clean]\nkeep_rows = { Status = [\"paid\"] }");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("[clean] exclude_rows / keep_rows: column 'Status' not found")
            && r.stderr.contains("Country")
    );
    assert!(!w.path("out/manifest.json").exists());
}

/// A till's placeholder for sales without an account, read as one customer who bought what
/// every guest bought: warned, naming the key; the key the warning gives leaves it out.
#[test]
fn a_placeholder_customer_is_warned_and_the_key_it_names_leaves_it_out() {
    let w = Workdir::new();
    let mut lines = vec!["Customer ID,SKU,Qty".to_string()];
    for c in 0..30usize {
        let customer = if c % 3 == 0 { "Walk-in Customer".to_string() } else { format!("{}", 500 + c) };
        for i in 0..3usize {
            lines.push(format!("{customer},P{},1", (c + i * 4) % 10));
        }
    }
    let input = w.write("till.csv", lines.join("\n") + "\n");
    let columns =
        "[columns]\ncustomer = \"Customer ID\"\nitem = \"SKU\"\nquantity = \"Qty\"\ndescription = \"\"\ndate = \"\"";
    let p = w.pipeline_with("till.toml", &input, "", "out", columns);
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let key = "[clean] exclude_rows = { \"Customer ID\" = [\"Walk-in Customer\"] }";
    assert!(r.stderr.contains("customer id 'Walk-in Customer' (30 rows") && r.stderr.contains(key), "{}", r.stderr);
    assert!(purchases(&w, "out").iter().any(|(c, _)| c == "Walk-in Customer"));
    let fixed = format!("{columns}\n{}", key.replacen(" exclude_rows", "\nexclude_rows", 1));
    let p = w.pipeline_with("fixed.toml", &input, "", "fixed", &fixed);
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("placeholder"), "{}", r.stderr);
    assert!(purchases(&w, "fixed").iter().all(|(c, _)| c != "Walk-in Customer"));
}

/// `sheet = "*"`: a sheet without the filter's column was stacked with every value blank, its
/// rows unfiltered, silently (as a sheet without a role's column is not): it is skipped, said.
#[test]
fn a_sheet_without_the_filters_column_is_skipped_not_stacked_unfiltered() {
    let w = Workdir::new();
    let clean = "[columns]\ndescription = \"\"\ninvoice = \"\"\ndate = \"\"\n[clean]\nexclude_rows = { Status = [\"refunded\"] }";
    let expected: BTreeSet<(String, String)> =
        [("1", "A"), ("2", "A"), ("3", "C")].iter().map(|(c, i)| (c.to_string(), i.to_string())).collect();
    // the sheet without the column last, then first (first, it was refused: exit 2)
    for (fixture, out) in [("status_sheets.xlsx", "last"), ("status_first.xlsx", "first")] {
        let input = w.copy(fixture);
        let p = w.pipeline_with("p.toml", &input, "sheet = \"*\"", out, clean);
        let r = w.kindred(&["run", p.to_str().unwrap(), "--force"]); // too few pairs for a model
        assert_eq!(r.code, 0, "{fixture}: {}", r.stderr);
        assert!(r.stderr.contains("sheet 'Mar' skipped: its header has no column 'Status'"), "{}", r.stderr);
        assert_eq!(purchases(&w, out), expected, "{fixture}");
    }
}

/// A Parquet timestamp with a time zone is read as its UTC instant (kindred carries no
/// time-zone database): a filter by the zone's wall time would miss, so the column is noted;
/// the UTC text matches.
#[test]
fn a_zoned_parquet_timestamp_is_noted_and_compared_in_utc() {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray, TimestampMicrosecondArray};
    use parquet::arrow::ArrowWriter;

    let w = Workdir::new();
    // 2024-02-29 23:30 UTC (Berlin's 2024-03-01 00:30) on customer 1's line, none on 2's
    let cancelled = TimestampMicrosecondArray::from(vec![Some(1_709_249_400_000_000), None, None, None])
        .with_timezone("Europe/Berlin");
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("CustomerID", Arc::new(Int64Array::from(vec![1, 1, 2, 2]))),
        ("StockCode", Arc::new(StringArray::from(vec!["A", "B", "A", "C"]))),
        ("Quantity", Arc::new(Int64Array::from(vec![1, 1, 1, 1]))),
        ("CancelledAt", Arc::new(cancelled)),
    ];
    let path = w.path("zoned.parquet");
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    let keys = "[columns]\ndescription = \"\"\ninvoice = \"\"\ndate = \"\"\n[clean]\nexclude_rows = { CancelledAt = [\"2024-02-29 23:30:00\"] }";
    let p = w.pipeline_with("p.toml", &path, "", "out", keys);
    let r = w.kindred(&["run", p.to_str().unwrap(), "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r
        .stderr
        .contains("column 'CancelledAt' holds timestamps in time zone Europe/Berlin, read as UTC instants"));
    let kept: Vec<(String, String)> = purchases(&w, "out").into_iter().collect();
    assert_eq!(kept, [("1".to_string(), "B".to_string()), ("2".into(), "A".into()), ("2".into(), "C".into())]);
}
