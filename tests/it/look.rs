//! The first look (issue 17, part 5): `kindred audit` shows each column's types (as read, as
//! its values look, as its role parses it), non-null and distinct counts, min/max and the first
//! rows, as a table and as `--json`; a run's manifest carries the same, and the nulls left
//! after cleaning, stated. Before, `kindred audit` printed only the null counts.

use serde_json::Value;

use crate::workdir::Workdir;

/// A hand-made export: 8 rows, a blank description, customer and country; invoice numbers,
/// quantities and customer ids written as text that reads as integers, prices as decimals.
const SHOP: &str = "Invoice,Item,Desc,Qty,When,Price,Cust,Country
1,A,apple,2,2011-01-02 10:00:00,1.5,17850,UK
1,B,,3,2011-01-02 10:00:00,2,17850,UK
2,A,apple,1,2011-01-03 11:00:00,1.5,12,FR
2,C,cherry,-4,2011-01-03 11:00:00,0.25,12,FR
3,B,banana,5,2011-01-05 09:30:00,2,,UK
3,D,date,7,2011-01-06 09:30:00,3,13,
4,A,apple,10,2011-01-07 08:00:00,1.5,13,DE
4,C,cherry,1,2011-01-08 08:00:00,0.25,14,DE
";

const COLUMNS: &str = "[columns]
customer = \"Cust\"
item = \"Item\"
description = \"Desc\"
quantity = \"Qty\"
date = \"When\"
invoice = \"Invoice\"
";

/// Per column: (name, type_read, type_inferred, role, type_parsed, non_null, distinct, nulls,
/// min, max), counted by hand from [`SHOP`].
type Expected = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    u64,
    u64,
    u64,
    Option<&'static str>,
    Option<&'static str>,
);

const EXPECTED: [Expected; 8] = [
    ("Invoice", "String", "Int64", Some("invoice"), Some("String"), 8, 4, 0, Some("1"), Some("4")),
    ("Item", "String", "String", Some("item"), Some("String"), 8, 4, 0, None, None),
    ("Desc", "String", "String", Some("description"), Some("String"), 7, 4, 1, None, None),
    ("Qty", "String", "Int64", Some("quantity"), Some("Float64"), 8, 7, 0, Some("-4"), Some("10")),
    (
        "When",
        "String",
        "Datetime",
        Some("date"),
        Some("Datetime"),
        8,
        6,
        0,
        Some("2011-01-02 10:00:00"),
        Some("2011-01-08 08:00:00"),
    ),
    ("Price", "String", "Float64", None, None, 8, 4, 0, Some("0.25"), Some("3")),
    ("Cust", "String", "Int64", Some("customer"), Some("String"), 7, 4, 1, Some("12"), Some("17850")),
    ("Country", "String", "String", None, None, 7, 3, 1, None, None),
];

fn shop(w: &Workdir) -> (std::path::PathBuf, std::path::PathBuf) {
    let input = w.write("shop.csv", SHOP);
    let p = w.pipeline("p.toml", &input, COLUMNS);
    (input, p)
}

/// Checks `audit` (the manifest's `reports.audit` or `--json`) against [`EXPECTED`].
fn check_columns(audit: &Value) {
    let columns = audit["columns"].as_array().unwrap();
    assert_eq!(columns.len(), EXPECTED.len(), "{audit}");
    for (c, e) in columns.iter().zip(EXPECTED) {
        let (name, read, inferred, role, parsed, non_null, distinct, nulls, min, max) = e;
        let at = format!("{name}: {c}");
        assert_eq!(c["column"], name, "{at}");
        assert_eq!((c["type_read"].as_str(), c["type_inferred"].as_str()), (Some(read), Some(inferred)), "{at}");
        assert_eq!((c["role"].as_str(), c["type_parsed"].as_str()), (role, parsed), "{at}");
        assert_eq!(
            (c["non_null"].as_u64(), c["distinct"].as_u64(), c["nulls"].as_u64()),
            (Some(non_null), Some(distinct), Some(nulls)),
            "{at}"
        );
        assert_eq!((c["min"].as_str(), c["max"].as_str()), (min, max), "{at}");
        assert_eq!(c["distinct_capped"], false, "{at}");
    }
}

/// The head's rows as text ("null" for a null).
fn head_rows(audit: &Value) -> Vec<Vec<String>> {
    let rows = audit["head"]["rows"].as_array().unwrap();
    rows.iter()
        .map(|r| r.as_array().unwrap().iter().map(|v| v.as_str().unwrap_or("null").to_string()).collect())
        .collect()
}

/// The first `n` data rows of [`SHOP`], split at its commas (it quotes nothing).
fn shop_rows(n: usize) -> Vec<Vec<String>> {
    let cell = |v: &str| if v.is_empty() { "null".to_string() } else { v.to_string() };
    SHOP.lines().skip(1).take(n).map(|l| l.split(',').map(cell).collect()).collect()
}

#[test]
fn audit_json_gives_each_columns_types_counts_ranges_and_the_first_rows() {
    let w = Workdir::new();
    let (input, p) = shop(&w);
    let r = w.kindred(&["audit", input.to_str().unwrap(), "--pipeline", p.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let audit: Value = serde_json::from_str(&r.stdout).expect("one JSON object");
    check_columns(&audit);
    assert_eq!(audit["rows_in"], 8);
    let names: Vec<&str> = EXPECTED.iter().map(|e| e.0).collect();
    assert_eq!(audit["head"]["columns"], serde_json::json!(names));
    assert_eq!(head_rows(&audit), shop_rows(5), "the default head is 5 rows");
    // --head 2 and --head 0
    let two =
        w.kindred(&["audit", input.to_str().unwrap(), "--pipeline", p.to_str().unwrap(), "--json", "--head", "2"]);
    assert_eq!(head_rows(&serde_json::from_str(&two.stdout).unwrap()), shop_rows(2));
    let none = w.kindred(&["audit", input.to_str().unwrap(), "--json", "--head", "0"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    let none: Value = serde_json::from_str(&none.stdout).unwrap();
    assert_eq!(none["head"]["rows"], serde_json::json!([]));
    // unmapped, the same file has no roles but the same look
    let first = &none["columns"][0];
    assert_eq!(
        (first["type_inferred"].as_str(), first["role"].as_str(), first["type_parsed"].as_str()),
        (Some("Int64"), None, None)
    );
    // session 27: and says why, naming the column the mapping did not find (it was silent)
    let notes = none["notes"].as_array().unwrap();
    let why = notes.iter().filter_map(|n| n.as_str()).find(|n| n.starts_with("the columns do not match the mapping"));
    assert!(why.is_some_and(|n| n.contains("not found") && n.contains("set [columns]")), "{notes:?}");
}

#[test]
fn audit_prints_the_first_look_as_tables_that_fit_100_columns() {
    let w = Workdir::new();
    let (input, p) = shop(&w);
    let r = w.kindred(&["audit", input.to_str().unwrap(), "--pipeline", p.to_str().unwrap(), "--head", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
    let row = |header: &str, name: &str| -> Vec<String> {
        let section = out.split("\n\n").find(|s| s.starts_with(header)).unwrap_or_else(|| panic!("{header}: {out}"));
        let line = section.lines().find(|l| l.split_whitespace().next() == Some(name)).unwrap_or_default();
        line.split_whitespace().map(String::from).collect()
    };
    // the types table: a text column of numbers is reported as such
    assert_eq!(row("column   read", "Qty"), ["Qty", "String", "Int64", "quantity", "Float64", "8", "7"], "{out}");
    assert_eq!(row("column   read", "Price"), ["Price", "String", "Float64", "-", "-", "8", "4"], "{out}");
    assert_eq!(row("column   read", "Desc"), ["Desc", "String", "String", "description", "String", "7", "4"], "{out}");
    assert_eq!(row("column   min", "When"), ["When", "2011-01-02", "10:00:00", "2011-01-08", "08:00:00"], "{out}");
    assert_eq!(row("column   min", "Qty"), ["Qty", "-4", "10"], "{out}");
    // the first rows, their null shown
    let head = out.split("\n\n").find(|s| s.starts_with("first 2 rows:")).unwrap_or_else(|| panic!("{out}"));
    let lines: Vec<Vec<&str>> = head.lines().skip(1).map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(lines[0], ["Invoice", "Item", "Desc", "Qty", "When", "Price", "Cust", "Country"]);
    assert_eq!(lines[2], ["1", "B", "null", "3", "2011-01-02", "10:00:00", "2", "17850", "UK"]);
    assert_eq!(lines.len(), 3);
    // --head 0: no rows section
    let r = w.kindred(&["audit", input.to_str().unwrap(), "--head", "0"]);
    assert!(r.code == 0 && !r.stdout.contains("rows:"), "{}", r.stdout);
    // long values are cut with … and the table still fits
    let long = format!("a,b\n{},{}\n", "x".repeat(150), "y".repeat(150));
    let input = w.write("long.csv", long);
    let r = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.lines().all(|l| l.chars().count() <= 100) && r.stdout.contains("x…"), "{}", r.stdout);
    // Session 27: long column names too, in the missing-values table (its lines were 348 wide)
    let input = w.write("names.csv", format!("{},{},c\n1,2,3\n", "X".repeat(300), "Y".repeat(60)));
    let r = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let nulls = r.stdout.split("\n\n").next().unwrap();
    assert!(nulls.starts_with("column ") && nulls.lines().count() == 5 && nulls.contains("XX…"), "{nulls}");
    assert!(r.stdout.lines().all(|l| l.chars().count() <= 100), "{}", r.stdout);
}

/// An export's text reaches the terminal escaped: a description holding an escape sequence
/// (`ESC[2J` cleared the screen of whoever ran `audit`), a line end or a carriage return (which
/// broke the first rows' table) prints as `\u{1b}`, `\n`, `\r`; so do a header's, in the
/// tables and in the log's notes.
#[test]
fn control_characters_in_an_export_are_printed_escaped() {
    let w = Workdir::new();
    let mut text = String::from("Invoice,Item,Desc,Qty,When,Cust,Country\u{1b}[2J\r\n");
    for (k, desc) in ["MUG \u{1b}[31mRED\u{1b}[0m", "\"TWO\nLINES\"", "\"CR\rX\"", "PLAIN"].iter().enumerate() {
        text += &format!("{k},I{k},{desc},1,2011-01-0{} 10:00:00,{},UK\r\n", k + 1, 17850 + k);
    }
    let input = w.write("ctl.csv", text);
    let r = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let raw = |s: &str| s.chars().any(|c| c.is_control() && c != '\n');
    assert!(!raw(&r.stdout) && !raw(&r.stderr), "{:?}\n{:?}", r.stdout, r.stderr);
    let head =
        r.stdout.split("\n\n").find(|s| s.starts_with("first 4 rows:")).unwrap_or_else(|| panic!("{}", r.stdout));
    assert_eq!(head.lines().count(), 6, "{head}"); // the title, the header, four rows
    assert!(
        head.contains("TWO\\nLINES")
            && (head.contains("CR\\rX") || head.contains("CR\\nX"))
            && head.contains("MUG \\u{1b}[31mRED"),
        "{head}"
    );
    assert!(r.stdout.contains("Country\\u{1b}[2J"), "{}", r.stdout);
    // the run's log and its error name the column as escaped too
    let p = w.write(
        "p.toml",
        format!("[input]\npath = {:?}\n[columns]\ncustomer = \"Nope\\u001b[2J\"\nitem = \"Item\"\n", input),
    );
    let r = w.kindred(&["run", p.to_str().unwrap(), "--output", w.path("out").to_str().unwrap()]);
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(!raw(&r.stderr) && r.stderr.contains("Nope\\u{1b}[2J"), "{:?}", r.stderr);
}

#[test]
fn a_bad_head_is_a_usage_error_naming_the_flag() {
    let w = Workdir::new();
    let (input, _) = shop(&w);
    for bad in ["x", "-1", "10001"] {
        let r = w.kindred(&["audit", input.to_str().unwrap(), "--head", bad]);
        assert_eq!(r.code, 2, "{bad}: {}", r.stderr);
        let first = r.stderr.lines().next().unwrap_or_default();
        assert!(first.contains("--head"), "{bad}: {}", r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    }
}

/// An argument that is not UTF-8 (a Latin-1 terminal's `Müller`) made clap's usage error a
/// panic, exit 101: the log format was looked for with `std::env::args`, which panics on it.
#[test]
fn an_argument_that_is_not_utf8_is_a_usage_error() {
    use std::os::unix::ffi::OsStrExt;
    let w = Workdir::new();
    let latin1 = std::ffi::OsStr::from_bytes(b"M\xfcller");
    for json in [false, true] {
        let mut command = crate::workdir::kindred_command();
        command.args(json.then_some("--log-format=json")).arg("explain").arg(latin1).arg("--output").arg(w.path("out"));
        let r = command.current_dir(w.path("")).output().unwrap();
        let stderr = String::from_utf8_lossy(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{stderr}");
        assert!(!stderr.contains("panicked") && !stderr.contains("internal error"), "{stderr}");
        assert_eq!(stderr.starts_with('{'), json, "{stderr}");
    }
}

#[test]
fn a_runs_manifest_carries_the_first_look_and_the_after_cleaning_check() {
    let w = Workdir::new();
    let (_, p) = shop(&w);
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m: Value = serde_json::from_slice(&std::fs::read(w.path("out/manifest.json")).unwrap()).unwrap();
    check_columns(&m["reports"]["audit"]);
    assert_eq!(head_rows(&m["reports"]["audit"]), shop_rows(5));
    // the quantity -4 row and the customerless row are dropped; the blank description stays
    let after = &m["reports"]["clean"]["after_cleaning"];
    let counted: Vec<(&str, &str, u64)> = after["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["column"].as_str().unwrap(), c["role"].as_str().unwrap(), c["nulls"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        counted,
        [
            ("Cust", "customer", 0),
            ("Item", "item", 0),
            ("Qty", "quantity", 0),
            ("Desc", "description", 1),
            ("When", "date", 0)
        ]
    );
    assert_eq!(after["nulls"], 1);
    let statement = after["statement"].as_str().unwrap();
    assert_eq!(statement, "no nulls left in 4 of the 5 mapped columns the later stages read: Cust, Item, Qty, When; Desc keeps 1 null (description, optional)");
    assert!(r.stderr.contains(&format!("kindred: clean: {statement}")), "the statement is logged: {}", r.stderr);
    // without the blank description every mapped column is clean, and it says so
    let input = w.write("shop.csv", SHOP.replace("1,B,,3", "1,B,banana,3"));
    let p = w.pipeline("p2.toml", &input, COLUMNS);
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--force"]).code, 0);
    let m: Value = serde_json::from_slice(&std::fs::read(w.path("out/manifest.json")).unwrap()).unwrap();
    let statement = m["reports"]["clean"]["after_cleaning"]["statement"].as_str().unwrap();
    assert_eq!(statement, "no nulls left in the 5 mapped columns the later stages read: Cust, Item, Qty, Desc, When");
}

/// The same data in every format has the same counts and ranges; a CSV's head is the same
/// gzip-compressed, and a workbook's cells read as text like a CSV's.
#[test]
fn every_format_gives_the_same_first_look() {
    let w = Workdir::new();
    let look = |fixture: &str| -> Value {
        let input = w.copy(fixture);
        let r = w.kindred(&["audit", input.to_str().unwrap(), "--json"]);
        assert_eq!(r.code, 0, "{fixture}: {}", r.stderr);
        serde_json::from_str(&r.stdout).unwrap()
    };
    let counts = |audit: &Value| -> Vec<(String, u64, u64, Value, Value)> {
        let cs = audit["columns"].as_array().unwrap();
        cs.iter()
            .map(|c| {
                let ranged = matches!(c["role"].as_str(), Some("quantity" | "date"));
                let (min, max) = if ranged { (c["min"].clone(), c["max"].clone()) } else { (Value::Null, Value::Null) };
                (
                    c["column"].as_str().unwrap().to_string(),
                    c["non_null"].as_u64().unwrap(),
                    c["distinct"].as_u64().unwrap(),
                    min,
                    max,
                )
            })
            .collect()
    };
    let csv = look("tiny.csv");
    let quantity = csv["columns"].as_array().unwrap().iter().find(|c| c["column"] == "Quantity").unwrap().clone();
    assert_eq!((quantity["min"].as_str(), quantity["max"].as_str()), (Some("-1"), Some("24")), "{quantity}");
    assert_eq!(quantity["type_read"], "String");
    for fixture in ["tiny.csv.gz", "tiny.xlsx", "tiny.parquet"] {
        let other = look(fixture);
        assert_eq!(counts(&other), counts(&csv), "{fixture}");
        assert_eq!(other["head"]["rows"].as_array().unwrap().len(), 5, "{fixture}");
    }
    assert_eq!(look("tiny.csv.gz")["head"], csv["head"]);
    let xlsx = look("tiny.xlsx");
    let types: Vec<&str> =
        xlsx["columns"].as_array().unwrap().iter().map(|c| c["type_read"].as_str().unwrap()).collect();
    // every cell is read as text but the quantity's number cells, which are numbers
    let names: Vec<&str> = xlsx["columns"].as_array().unwrap().iter().map(|c| c["column"].as_str().unwrap()).collect();
    let quantity = names.iter().position(|n| *n == "Quantity");
    assert!(
        types.iter().enumerate().all(|(k, t)| *t == if Some(k) == quantity { "Float64" } else { "String" }),
        "{types:?}"
    );
    let parquet = look("tiny.parquet");
    let quantity = parquet["columns"].as_array().unwrap().iter().find(|c| c["column"] == "Quantity").unwrap().clone();
    assert_eq!((quantity["type_read"].as_str(), quantity["type_parsed"].as_str()), (Some("Int64"), Some("Float64")));
}

/// A pipeline mapping one column to both the item and its description (Square's `Item`, a
/// shop without codes): `explain` printed each name twice ("Tip Tip").
#[test]
fn explain_prints_an_item_named_by_its_id_once() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline("p.toml", &tiny, "[columns]\ndescription = \"StockCode\"");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = w.kindred(&["explain", "12583", "--output", w.path("out").to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("85123A"), "{}", r.stdout);
    for line in r.stdout.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        assert!(!words.windows(2).any(|w| w[0] == w[1] && w[0].len() > 3), "a name twice: {line:?}");
    }
}
