//! Missing values written as text (`[input] null_values`): a SQL client's `NULL`, pandas'
//! `nan`, R's `NA`, Excel's `#N/A`, a quoted `""` or a blank in the customer column are guests,
//! as an empty cell is, in every format; before, each such word was one customer who "bought"
//! every guest purchase (a neighbour of many real customers), `customer_id` turned to text,
//! and the audit counted no nulls. A Parquet column that is all null (Arrow's `null` type,
//! what pandas and polars write for a column of None) reads as an empty column, not an error.

use std::collections::BTreeMap;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, NullArray, RecordBatch, StringArray};
use parquet::arrow::ArrowWriter;

use crate::workdir::{data, rows, schema, text, Workdir};

const HEADER: &str = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n";

/// Purchase lines of 12 customers and 6 items, and 9 guest lines (`None` customer) buying the
/// items the customers buy least, so that a guest made one customer would change the lists.
fn lines() -> Vec<(Option<u32>, &'static str)> {
    let items = ["A", "B", "C", "D", "E", "F"];
    let mut lines = Vec::new();
    for c in 0..12u32 {
        for (k, item) in items.iter().enumerate() {
            if (c as usize * 7 + k * 3) % 5 < 2 {
                lines.push((Some(12_000 + c), *item));
            }
        }
    }
    for k in 0..9 {
        lines.push((None, items[3 + k % 3]));
    }
    lines
}

/// The export as CSV, each guest's customer cell written by `guest(k)` (the k-th guest line).
fn csv(guest: impl Fn(usize) -> String) -> String {
    let mut text = String::from(HEADER);
    let mut k = 0;
    for (n, (customer, item)) in lines().into_iter().enumerate() {
        let customer = customer.map_or_else(
            || {
                k += 1;
                guest(k - 1)
            },
            |c| format!("{c}.0"),
        );
        text += &format!("{n},{item},{item} THING,1,2011-01-0{} 09:00:00,1.0,{customer},UK\n", 1 + n % 9);
    }
    text
}

/// The published tables' data (their run ids aside) and the audit's CustomerID row (nulls,
/// invalid).
/// Each table's [`data`], by name.
type Tables = BTreeMap<String, (Vec<u8>, BTreeMap<String, String>)>;

fn outcome(w: &Workdir) -> (Tables, (String, String)) {
    let tables = ["recommendations.parquet", "neighbours.parquet", "purchases.parquet", "items.parquet"]
        .into_iter()
        .map(|t| (t.to_string(), data(&std::fs::read(w.path("out").join(t)).unwrap())))
        .collect();
    let audit = rows(&w.path("out/null_audit.parquet"));
    let row = audit.iter().find(|r| text(&r["column"]) == "CustomerID").expect("a CustomerID row");
    (tables, (text(&row["nulls"]), text(&row["invalid"])))
}

fn run(w: &Workdir, input: &std::path::Path, input_keys: &str) -> crate::workdir::Run {
    let p = w.pipeline_with("p.toml", input, input_keys, "out", "[model]\nkind = \"user\"\n");
    w.kindred(&["run", p.to_str().unwrap()])
}

#[test]
fn null_words_and_blanks_are_guests_in_every_format() {
    let w = Workdir::new();
    let r = run(&w, &w.write("blank.csv", csv(|_| String::new())), "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (expected, audit) = outcome(&w);
    assert_eq!(audit, ("9".to_string(), "0".to_string()));
    let words = ["NULL", "nan", "NaN", "None", "NA", "N/A", "#N/A", "<NA>", "null", "\"\"", " ", " NULL "];
    let cases: Vec<(String, String)> = vec![
        ("one word each".into(), csv(|k| words[k % words.len()].to_string())),
        ("all NULL".into(), csv(|_| "NULL".into())),
        ("all nan".into(), csv(|_| "nan".into())),
        ("quoted empties".into(), csv(|_| "\"\"".into())),
    ];
    for (name, text) in cases {
        let r = run(&w, &w.write("words.csv", text), "");
        assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        let (got, audit) = outcome(&w);
        assert_eq!(audit, ("9".to_string(), "0".to_string()), "{name}: the audit counts them as nulls");
        assert!(got == expected, "{name}: the published tables differ from the blank export's");
        assert!(schema(&w.path("out/recommendations.parquet")).contains(&("customer_id".into(), "Int64".into())));
    }
    // a pipeline's own list replaces pandas': `[]` reads NULL as an id again (as 0.3.0 did),
    // which this folder's Int64 ids refuse; in a new folder, a text id "NULL"
    let words = w.write("words.csv", csv(|_| "NULL".into()));
    let r = run(&w, &words, "null_values = []");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("customer id 'NULL'"), "{}", r.stderr);
    std::fs::remove_dir_all(w.path("out")).unwrap();
    let r = run(&w, &words, "null_values = []");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (got, audit) = outcome(&w);
    assert_eq!(audit, ("0".to_string(), "0".to_string()));
    assert!(got != expected);
    assert!(schema(&w.path("out/recommendations.parquet")).contains(&("customer_id".into(), "String".into())));
    std::fs::remove_dir_all(w.path("out")).unwrap();
    let r = run(&w, &w.write("words.csv", csv(|_| "-".into())), "null_values = [\"-\"]");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(outcome(&w) == (expected.clone(), ("9".to_string(), "0".to_string())), "a word of the pipeline's own");

    // Parquet: text ids with the words, and an all-null Description (Arrow's null type)
    let lines = lines();
    let ids: Vec<Option<String>> = lines
        .iter()
        .enumerate()
        .map(|(n, (c, _))| Some(c.map_or_else(|| ["NULL", "nan", "", " "][n % 4].to_string(), |c| c.to_string())))
        .collect();
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("InvoiceNo", Arc::new(Int64Array::from_iter_values(0..lines.len() as i64))),
        ("StockCode", Arc::new(StringArray::from_iter_values(lines.iter().map(|(_, i)| *i)))),
        ("Description", Arc::new(NullArray::new(lines.len()))),
        ("Quantity", Arc::new(Int64Array::from(vec![1i64; lines.len()]))),
        ("CustomerID", Arc::new(StringArray::from(ids))),
    ];
    let path = w.path("words.parquet");
    let batch = RecordBatch::try_from_iter_with_nullable(columns.into_iter().map(|(n, a)| (n, a, true))).unwrap();
    let mut writer = ArrowWriter::try_new(std::fs::File::create(&path).unwrap(), batch.schema(), None).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    // into the folder whose last set had descriptions, the emptied column is refused (gate
    // `emptied_column`); into a new one it reads
    let r = run(&w, &path, "");
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("gate emptied_column: column 'Description'"), "{}", r.stderr);
    std::fs::remove_dir_all(w.path("out")).unwrap();
    let r = run(&w, &path, "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let (got, audit) = outcome(&w);
    assert_eq!(audit, ("9".to_string(), "0".to_string()));
    // the same purchases and lists (the export has no dates and no descriptions here)
    assert_eq!(got["purchases.parquet"], expected["purchases.parquet"]);
    assert_eq!(got["neighbours.parquet"], expected["neighbours.parquet"]);
    let described = rows(&w.path("out/items.parquet"));
    assert!(described.iter().all(|r| text(&r["description"]).is_empty()), "no descriptions from a null column");
    let audit = rows(&w.path("out/null_audit.parquet"));
    let description = audit.iter().find(|r| text(&r["column"]) == "Description").unwrap();
    assert_eq!(text(&description["nulls"]), lines.len().to_string());
}

#[test]
fn a_quantity_of_nan_stays_an_error_and_its_null_is_missing() {
    let w = Workdir::new();
    let export = csv(|_| String::new());
    let nan = export.replacen(",1,2011-01-03", ",NaN,2011-01-03", 1);
    let r = run(&w, &w.write("nan.csv", nan), "");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("'Quantity'") && r.stderr.contains("NaN"), "{}", r.stderr);
    let null = export.replacen(",1,2011-01-03", ",NULL,2011-01-03", 1);
    let r = run(&w, &w.write("null.csv", null), "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let audit = rows(&w.path("out/null_audit.parquet"));
    let quantity = audit.iter().find(|r| text(&r["column"]) == "Quantity").unwrap();
    assert_eq!((text(&quantity["nulls"]), text(&quantity["invalid"])), ("1".into(), "0".into()));
}

/// Odoo's export of orders with their lines (and many ERPs' parent/child exports) writes an
/// order's reference, date and customer on its first line only: the later lines were dropped as
/// guests' (two thirds of this export, refused by `max_dropped_share`; a third of a shop with
/// shorter baskets, published without a word). Now they are found and said; with `[clean]
/// fill_order_lines = true` they take the dated line above's customer and date (a guest's order
/// stays a guest's); sorted after it was written, the export's later lines follow no order and
/// nothing is filled (one customer took them all).
#[test]
fn an_orders_later_lines_without_its_fields_are_found_and_filled_on_request() {
    let w = Workdir::new();
    let header = "\u{feff}Order Ref,Date,Customer/Email,Order Lines/Product,Order Lines/Quantity\n";
    let mut lines: Vec<String> = Vec::new();
    let mut expected = std::collections::BTreeSet::new();
    let items = ["Mug", "Tee", "Candle", "Tote", "Print", "Kit"];
    for c in 0..20usize {
        for order in 0..2usize {
            for line in 0..3usize {
                let item = items[(c + order * 2 + line) % items.len()];
                let email = format!("c{c}@example.com");
                lines.push(match line {
                    0 => format!("Shop/{c}-{order},2024-03-{:02} 10:00:00,{email},{item},1", 1 + c % 20 + order),
                    _ => format!(",,,{item},1"),
                });
                expected.insert((email, item.to_string()));
            }
        }
        if c == 9 {
            // a guest's order of two lines: its later line is the guest's too
            lines.extend(["Shop/guest,2024-03-15 12:00:00,,Kit,1".to_string(), ",,,Print,2".to_string()]);
        }
    }
    let input = w.write("odoo.csv", format!("{header}{}\n", lines.join("\n")));
    let columns = "[columns]\ncustomer = \"Customer/Email\"\nitem = \"Order Lines/Product\"\nquantity = \"Order Lines/Quantity\"\ninvoice = \"Order Ref\"\ndate = \"Date\"";
    // runs `pipeline` (into `out`), expecting `code` and stderr to say each of `words`
    let runs = |name: &str, input: &std::path::Path, out: &str, extra: &str, code: i32, words: &[&str]| {
        let p = w.pipeline_with(name, input, "", out, extra);
        let r = w.kindred(&["run", p.to_str().unwrap()]);
        assert_eq!(r.code, code, "{}", r.stderr);
        assert!(words.iter().all(|word| r.stderr.contains(word)), "{words:?}: {}", r.stderr);
    };
    // by default: found and said, dropped (here refused: two thirds of the lines)
    let said = ["81 lines without a customer or a date follow dated lines", "fill_order_lines = true"];
    runs("odoo.toml", &input, "out", columns, 3, &said);
    let fill = format!("{columns}\n[clean]\nfill_order_lines = true");
    let said = ["81 lines without a customer or a date, each below a dated line, took its customer and date"];
    runs("fill.toml", &input, "out", &fill, 0, &said);
    let published: std::collections::BTreeSet<(String, String)> =
        rows(&w.path("out/purchases.parquet")).iter().map(|r| (text(&r["customer_id"]), text(&r["item_id"]))).collect();
    assert_eq!(published, expected, "every line of every customer's orders, none of the guest's");
    let m: serde_json::Value = serde_json::from_slice(&std::fs::read(w.path("out/manifest.json")).unwrap()).unwrap();
    assert_eq!(
        (&m["reports"]["clean"]["filled_order_lines"], &m["reports"]["clean"]["unfilled_order_lines"]),
        (&81.into(), &0.into())
    );
    // sorted by date, blanks last (a spreadsheet's sort): 81 later lines below one line, of 6 items
    lines.sort_by_key(|l| (l.starts_with(','), l.split(',').nth(1).unwrap_or_default().to_string()));
    let sorted = w.write("sorted.csv", format!("{header}{}\n", lines.join("\n")));
    let said = ["filled nothing", "81 follow one dated line, more than the export's 6 items"];
    runs("sorted.toml", &sorted, "sorted", &fill, 3, &said);
}
