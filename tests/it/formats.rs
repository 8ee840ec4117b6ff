//! Every supported format and awkward-but-valid variant of the same data gives the same tables.

use crate::workdir::{data_at, rows, text, Workdir};

type Tables = (Vec<Vec<String>>, Vec<Vec<String>>, Vec<Vec<String>>);

/// Runs one fixture and returns (recommendations, neighbours, items) as read back.
fn tables(fixture: &str, input_keys: &str) -> Tables {
    let w = Workdir::new();
    let input = w.copy(fixture);
    tables_of(&w, &input, input_keys, fixture)
}

/// Runs `input` and returns its tables as [`tables`] does.
fn tables_of(w: &Workdir, input: &std::path::Path, input_keys: &str, fixture: &str) -> Tables {
    let p = w.pipeline_with("p.toml", input, input_keys, "out", "");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 0, "{fixture}: {}", r.stderr);
    assert!(r.stderr.is_empty(), "--quiet prints nothing: {}", r.stderr);
    let read = |name: &str| -> Vec<Vec<String>> {
        rows(&w.path("out").join(name)).iter().map(|r| r.values().map(text).collect()).collect()
    };
    (read("recommendations.parquet"), read("neighbours.parquet"), read("items.parquet"))
}

#[test]
fn all_formats_give_the_plain_csv_results() {
    let plain = tables("tiny.csv", "");
    // the tiny data has real neighbours, a quoted newline, Latin-1-able text, an isolated customer
    assert!(plain.1.len() > 10);
    // the quoted line break read inside its field, then one space as all whitespace is
    assert!(plain.2.iter().any(|r| r[1] == "BAG, \"JUMBO\" RED"), "{:?}", plain.2);
    assert!(plain.2.iter().any(|r| r[1] == "CAFÉ LONELY MUG"));
    let lonely: Vec<&Vec<String>> = plain.0.iter().filter(|r| r[0] == "16000").collect();
    assert_eq!(lonely.len(), 9, "topped up with every item 16000 did not buy (10 items)");
    assert!(lonely.iter().all(|r| r[5] == "popular"));
    for (fixture, keys) in [
        ("tiny_bom_crlf.csv", ""),
        ("tiny_semicolon.csv", ""),
        ("tiny.tsv", ""),
        ("tiny.csv.gz", ""),
        ("tiny_latin1.csv", "encoding = \"latin-1\""),
        ("tiny.xlsx", ""),
        ("tiny_1904.xlsx", ""),
        ("tiny.parquet", ""),
        // session 27: polars' Enum columns were refused ("type enum, which kindred cannot read")
        ("tiny_enum.parquet", ""),
    ] {
        assert_eq!(tables(fixture, keys), plain, "{fixture} differs from tiny.csv");
    }
}

#[test]
fn headers_written_another_way_map_the_same_columns() {
    // Online Retail II names CustomerID "Customer ID": the mapping finds a column by its
    // letters and digits, case ignored, when no header has its name exactly
    let plain = tables("tiny.csv", "");
    let w = Workdir::new();
    let text = std::fs::read_to_string(crate::workdir::fixture("tiny.csv")).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    assert_eq!(header, "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country");
    let renamed = "Invoice No,stock_code,DESCRIPTION, quantity ,Invoice-Date,Price,Customer ID,country";
    let input = w.write("renamed.csv", format!("{renamed}\n{body}"));
    assert_eq!(tables_of(&w, &input, "", "renamed.csv"), plain);
    let r = w.kindred(&["audit", input.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("\"Customer ID\""), "the audit names the export's own column: {}", r.stdout);
}

#[test]
fn a_european_export_with_decimal_comma_quantities_reads_the_same() {
    let plain = tables("tiny.csv", "");
    let w = Workdir::new();
    let text = std::fs::read_to_string(crate::workdir::fixture("tiny_semicolon.csv")).unwrap();
    // each quantity (the field before the date) written "6,0", "-1,0", as German Excel does
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut fields: Vec<String> = line.split(';').map(String::from).collect();
            for k in 1..fields.len() {
                if fields[k].starts_with("2010-") && fields[k - 1].parse::<i64>().is_ok() {
                    fields[k - 1] += ",0";
                }
            }
            fields.join(";")
        })
        .collect();
    assert!(lines.iter().filter(|l| l.contains(",0;2010-")).count() > 20, "{lines:?}");
    let input = w.write("komma.csv", lines.join("\n") + "\n");
    assert_eq!(tables_of(&w, &input, "", "komma.csv"), plain);
}

/// Quantities grouped in thousands as spreadsheets write them ("1.500" from a German export,
/// "1,500" from an American one) are the numbers a plain export holds: "1.500" was read as 1.5
/// and "1,500" was invalid. Each column is read as its values show (here "1.500,5", whose
/// comma can only be the decimal mark), or as `[input] decimal` says.
#[test]
fn quantities_grouped_in_thousands_read_as_the_plain_numbers() {
    let w = Workdir::new();
    let source = std::fs::read_to_string(crate::workdir::fixture("tiny_semicolon.csv")).unwrap();
    // each quantity q written as q × 250, grouped by `mark`; with `half`, the first one plus a
    // half, written with the decimal mark that goes with `mark`
    let group = |n: i64, mark: Option<char>, half: bool| {
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (k, c) in digits.chars().enumerate() {
            if k > 0 && (digits.len() - k).is_multiple_of(3) {
                out.extend(mark);
            }
            out.push(c);
        }
        let fraction = match (half, mark) {
            (false, _) => "",
            (true, Some('.')) => ",5",
            (true, _) => ".5",
        };
        format!("{}{out}{fraction}", if n < 0 { "-" } else { "" })
    };
    let write = |name: &str, mark: Option<char>, half: bool| {
        let mut first = half;
        // the quantity is the field before the date (a quoted description spans two lines)
        let lines: Vec<String> = source
            .lines()
            .map(|line| {
                let mut fields: Vec<String> = line.split(';').map(String::from).collect();
                for k in 1..fields.len() {
                    if let (true, Ok(q)) = (fields[k].starts_with("2010-"), fields[k - 1].parse::<i64>()) {
                        fields[k - 1] = group(q * 250, mark, std::mem::take(&mut first));
                    }
                }
                fields.join(";")
            })
            .collect();
        w.write(name, lines.join("\n") + "\n")
    };
    let purchases = |input: &std::path::Path, keys: &str, out: &str| {
        let p = w.pipeline_with(&format!("{out}.toml"), input, keys, out, "");
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.code, 0, "{out}: {}", r.stderr);
        let read = rows(&w.path(out).join("purchases.parquet"));
        read.iter().map(|r| r.values().map(text).collect::<Vec<String>>()).collect::<Vec<_>>()
    };
    for half in [true, false] {
        let out = |name: &str| format!("{name}_{half}");
        let plain = purchases(&write("plain.csv", None, half), "", &out("plain"));
        let quantities: Vec<f64> = plain.iter().map(|r| r[2].parse().unwrap()).collect();
        assert!(quantities.iter().any(|&q| q >= 1000.0) && quantities.iter().any(|&q| q < 1000.0), "{quantities:?}");
        let german = write("german.csv", Some('.'), half);
        assert!(std::fs::read_to_string(&german).unwrap().contains(";1.500;"));
        let american = write("american.csv", Some(','), half);
        // whatever the column shows, `[input] decimal` reads it
        assert_eq!(purchases(&german, "decimal = \",\"", &out("german_set")), plain);
        assert_eq!(purchases(&american, "decimal = \".\"", &out("american_set")), plain);
        if half {
            // "1.500,5" shows '.' groups; "1,500.5" and "1'500.5" show ',' and '\'' do
            assert_eq!(purchases(&german, "", &out("german")), plain);
            assert_eq!(purchases(&american, "", &out("american")), plain);
            assert_eq!(purchases(&write("swiss.csv", Some('\''), half), "", &out("swiss")), plain);
        }
        // the audit says how the values read two ways were read, and why
        let audit = w.kindred(&["audit", german.to_str().unwrap()]);
        assert_eq!(audit.code, 0, "{}", audit.stderr);
        let note = "note: column 'Quantity': ";
        let line = audit.stdout.lines().find(|l| l.starts_with(note)).unwrap_or_else(|| panic!("{}", audit.stdout));
        let said = match half {
            true => "read with '.' grouping thousands (as '1.500,5' shows)",
            false => "read with '.' as the decimal mark, as CSV readers read it (nothing in the column shows which); if '.' groups thousands in this export, set [input] decimal = \",\"",
        };
        assert!(line.contains(said), "{line}");
    }
    // a bad setting is a pipeline-file error naming the key
    let p = w.pipeline_with("bad.toml", &w.path("german.csv"), "decimal = \";\"", "bad", "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("[input] decimal") && r.stderr.contains("\";\""), "{}", r.stderr);
}

#[test]
fn a_csv_reports_title_lines_are_not_its_header() {
    let plain = tables("tiny.csv", "");
    let w = Workdir::new();
    let text = std::fs::read_to_string(crate::workdir::fixture("tiny_semicolon.csv")).unwrap();
    for (name, preamble) in [("titled.csv", "Sales by customer, December 2010\n\n"), ("sep.csv", "sep=;\n")] {
        let input = w.write(name, format!("{preamble}{text}"));
        assert_eq!(tables_of(&w, &input, "", name), plain, "{name}");
        let p = w.pipeline("p.toml", &input, "");
        let r = w.kindred(&["run", p.to_str().unwrap()]);
        let lines = preamble.lines().count();
        let above =
            if lines == 1 { "the line above it is".to_string() } else { format!("the {lines} lines above it are") };
        let note = format!("its header is line {}; {above} not read", lines + 1);
        assert!(r.stderr.contains(&note), "{name}: {}", r.stderr);
        // the audit finds the same header
        let audit = w.kindred(&["audit", input.to_str().unwrap()]);
        assert!(audit.stderr.contains(&note), "{name}: {}", audit.stderr);
        assert!(audit.stdout.lines().any(|l| l.starts_with("CustomerID ")), "{name}: {}", audit.stdout);
    }
}

/// An Excel number cell is a number, not text written with a decimal mark: its 1.125 was
/// printed "1.125" and read two ways — 1125 beside a text cell "2,5", and under `[input]
/// decimal = ","` (a German CSV's setting), with 2.5 invalid. Text cells beside number cells
/// are still read as their own values show.
#[test]
fn excel_number_cells_are_numbers_whatever_text_is_beside_them() {
    let w = Workdir::new();
    let input = w.copy("typed_quantities.xlsx");
    let bought = |keys: &str, out: &str| {
        let p = w.pipeline_with(&format!("{out}.toml"), &input, keys, out, "");
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.code, 0, "{out}: {}", r.stderr);
        let read = rows(&w.path(out).join("purchases.parquet"));
        read.iter().map(|r| r.values().map(text).collect::<Vec<String>>().join(" ")).collect::<Vec<_>>()
    };
    let numbers = ["1 A 6.0", "1 B 2.5", "2 A 1.125", "2 B 12.0", "3 A 15000.0"];
    assert_eq!(bought("", "plain"), numbers);
    assert_eq!(bought("decimal = \",\"", "comma"), numbers);
    let mixed = [&numbers[..], &["3 B 2.5", "3 C 1200.0"]].concat();
    assert_eq!(bought("sheet = \"Mixed\"", "mixed"), mixed);
    // the audit reads the number cells as numbers too, and notes the text read two ways
    let p = w.pipeline_with("audit.toml", &input, "sheet = \"Mixed\"", "unused", "");
    let audit = w.kindred(&["audit", input.to_str().unwrap(), "--pipeline", p.to_str().unwrap(), "--json"]);
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    assert!(
        audit.stdout.contains("1 value like '1.200' read with '.' grouping thousands (as '2,5' shows)"),
        "{}",
        audit.stdout
    );
}

/// Session 25: an error cell (`#DIV/0!`, `#REF!`: a formula that failed) was read as missing
/// without a word, so a broken spreadsheet looked like ordinary gaps. It is still missing (as
/// pandas reads `#N/A`), and each column with such cells is noted: how many, which, the first
/// one's sheet row.
#[test]
fn excel_error_cells_are_noted_with_their_row() {
    let w = Workdir::new();
    let input = w.copy("error_cells.xlsx");
    let r = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for note in [
        "column 'Quantity': 2 Excel error cells (#DIV/0!, #N/A: formulas that failed), read as missing; the first is sheet 'Sales' row 4",
        "column 'CustomerID': 1 Excel error cells (#REF!: formulas that failed), read as missing; the first is sheet 'Sales' row 6",
    ] {
        assert!(r.stderr.contains(note), "{note}\n{}", r.stderr);
    }
    let p = w.pipeline("p.toml", &input, "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("2 Excel error cells (#DIV/0!, #N/A"), "{}", r.stderr);
    assert_eq!(rows(&w.path("out/purchases.parquet")).len(), 4, "the rows without an error");
}

/// A workbook written by a program (openpyxl) and never opened in Excel holds its formulas
/// without their results, which calamine reads as empty cells: a tenth of the quantities of
/// such an export were lost as ordinary gaps, unsaid, where Excel's error cells are noted. Each
/// column with such cells is noted, counted in the rows read (a row of nothing but a formula
/// is a blank row); a formula whose result is saved is its value.
#[test]
fn excel_formulas_without_a_saved_result_are_noted_with_their_row() {
    let w = Workdir::new();
    let input = w.copy("unsaved_formulas.xlsx");
    let notes = [
        "column 'CustomerID': 1 formula cell without a saved result",
        "column 'Quantity': 1 formula cell without a saved result",
        "read as missing; the first is sheet 'Sales' row 3: open the workbook in Excel or LibreOffice and save it",
        "the first is sheet 'Sales' row 5",
    ];
    let r = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(notes.iter().all(|note| r.stderr.contains(note)), "{}", r.stderr);
    let p = w.pipeline("p.toml", &input, "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(notes.iter().all(|note| r.stderr.contains(note)), "{}", r.stderr);
    let bought: Vec<String> = rows(&w.path("out/purchases.parquet"))
        .iter()
        .map(|r| r.values().map(text).collect::<Vec<String>>().join(" "))
        .collect();
    assert_eq!(bought, ["1 A 1.0", "2 A 1.0", "2 C 2.0"], "the rows with every value");
    // the same cells with their results saved (the other fixtures): no such note
    let saved = w.copy("error_cells.xlsx");
    let r = w.kindred(&["audit", saved.to_str().unwrap()]);
    assert!(!r.stderr.contains("without a saved result"), "{}", r.stderr);
}

#[test]
fn excel_ids_print_without_float_fraction_and_sheets_stack() {
    let w = Workdir::new();
    let input = w.copy("tiny.xlsx");
    let r = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("CustomerID") && r.stdout.contains("6.67%"), "{}", r.stdout);
    let p = w.pipeline("p.toml", &input, "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap()]).code, 0);
    let items: Vec<String> = rows(&w.path("out/items.parquet")).iter().map(|r| text(&r["item_id"])).collect();
    assert!(items.contains(&"71053".to_string()), "{items:?}");
    let customers: Vec<String> =
        rows(&w.path("out/neighbours.parquet")).iter().map(|r| text(&r["customer_id"])).collect();
    assert!(customers.contains(&"17850".to_string()));
    // sheet = "*" stacks the sheets with the data's header and skips the notes sheet
    let p = w.pipeline_with("stack.toml", &input, "sheet = \"*\"", "out2", "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(data_at(&w.path("out/neighbours.parquet")), data_at(&w.path("out2/neighbours.parquet")));
}

#[test]
fn audit_works_on_any_export_even_unmapped() {
    let w = Workdir::new();
    let input = w.write("other.csv", "Client,Product,Units\n1,A,\n,B,2\n3,,x\n");
    let r = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let row = |out: &str, name: &str| -> Vec<String> {
        let line = out.lines().find(|l| l.starts_with(name)).unwrap_or_default();
        line.split_whitespace().map(String::from).collect()
    };
    for name in ["Client", "Product", "Units"] {
        assert_eq!(row(&r.stdout, name), [name, "1", "33.33%", "0", "0"], "{}", r.stdout);
    }
    // mapped through a pipeline file, the unparseable quantity is counted as invalid
    let p = w.write("p.toml", "[columns]\ncustomer = \"Client\"\nitem = \"Product\"\nquantity = \"Units\"\n");
    let r = w.kindred(&["audit", input.to_str().unwrap(), "--pipeline", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(row(&r.stdout, "Units"), ["Units", "1", "33.33%", "1", "0"], "{}", r.stdout);
}

/// A table saved from a spreadsheet has blank header cells (`…,Quantity,,,`: empty columns
/// past the table) and repeated names beside the mapped columns: read, the blank and repeated
/// names as pandas names them (`Unnamed: 1`, `Note.1`) with a note, not refused. A repeated
/// name a role maps stays an error (which one is meant?), as `errors.rs` checks.
#[test]
fn blank_and_repeated_header_names_no_role_maps_are_read() {
    let rows = [(1, "x", "A", 1), (1, "", "B", 2), (2, "", "A", 1), (2, "", "C", 1), (3, "", "B", 1), (3, "", "C", 4)];
    let w = Workdir::new();
    let mut plain = String::from("CustomerID,StockCode,Quantity\n");
    let mut blanks = String::from("CustomerID,,StockCode,Quantity,Note,,Note,,\n");
    for (c, x, item, q) in rows {
        plain += &format!("{c},{item},{q}\n");
        blanks += &format!("{c},{x},{item},{q},n,,m,,\n");
    }
    let expected = tables_of(&w, &w.write("plain.csv", plain), "", "plain.csv");
    assert!(!expected.0.is_empty());
    let csv = w.write("blanks.csv", blanks);
    assert_eq!(tables_of(&w, &csv, "", "blanks.csv"), expected);
    assert_eq!(tables_of(&w, &w.copy("blank_headers.xlsx"), "", "blank_headers.xlsx"), expected);
    // said once, naming the columns
    let p = w.pipeline("p.toml", &csv, "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert!(
        r.stderr.contains("column 2 (no name) as 'Unnamed: 1'")
            && r.stderr.contains("column 7 ('Note' again) as 'Note.1'"),
        "{}",
        r.stderr
    );
    let audit = rows_of(&w.path("out/null_audit.parquet"));
    assert!(audit.contains(&"Note.1".to_string()) && audit.contains(&"Unnamed: 8".to_string()), "{audit:?}");
}

fn rows_of(path: &std::path::Path) -> Vec<String> {
    rows(path).iter().map(|r| text(&r["column"])).collect()
}

/// A file without the default quantity column (`Qty`, say) is read one purchase per row, and
/// `[clean] min_quantity` then drops nothing: its returns count as purchases. That was told in
/// the manifest's `reports.ingest.unmapped` only; now a note on stderr says it and what to set.
#[test]
fn a_missing_default_quantity_column_is_said() {
    let w = Workdir::new();
    let csv = w.write("qty.csv", "CustomerID,StockCode,Qty\n1,A,1\n1,B,-2\n2,A,1\n2,B,1\n3,B,1\n");
    let note = "no column 'Quantity' (the default of [columns] quantity): each row is read as one purchase of 1";
    let p = w.pipeline("p.toml", &csv, "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains(&format!("kindred: note: {note}")), "{}", r.stderr);
    let m: serde_json::Value = w.manifest("out");
    assert!(m["reports"]["ingest"]["notes"].to_string().contains(note), "{}", m["reports"]["ingest"]);
    // mapped, or said to be absent: no note
    for columns in ["[columns]\nquantity = \"Qty\"", "[columns]\nquantity = \"\""] {
        let p = w.pipeline("p.toml", &csv, columns);
        let r = w.kindred(&["run", p.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(!r.stderr.contains("no column 'Quantity'"), "{columns}: {}", r.stderr);
    }
}

/// Session 28: what a shop's staff leave in a workbook, read as Excel shows it
/// (`tests/fixtures/make_layouts.py`). Each case was wrong before, most silently.
#[test]
fn a_workbook_is_read_as_excel_shows_it() {
    let w = Workdir::new();
    let audit = |fixture: &str, keys: &str| {
        let input = w.copy(fixture);
        let p = w.pipeline_with(&format!("{fixture}.toml"), &input, keys, "out", "");
        let r = w.kindred(&["audit", input.to_str().unwrap(), "--pipeline", p.to_str().unwrap(), "--json"]);
        assert_eq!(r.code, 0, "{fixture}: {}", r.stderr);
        let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
        let said = format!("{}{}", r.stderr, report["notes"]);
        (report, said)
    };
    let column = |report: &serde_json::Value, name: &str| {
        let columns = report["columns"].as_array().unwrap();
        columns.iter().find(|c| c["column"] == name).unwrap_or_else(|| panic!("{name}: {report}")).clone()
    };
    // merged down an order's lines: each line has the order's number, date and customer (the
    // other lines were read without a customer and dropped); a range across columns (a total's
    // label) and a box beside the table are not values of each cell (the label became a
    // customer buying an item of its name; the box 30 rows of nothing)
    let (report, err) = audit("merged.xlsx", "");
    assert_eq!(report["rows_in"], 11, "ten lines and the total's: {report}");
    // the total's row: its label in InvoiceNo only, no item, date or customer (dropped)
    for (name, nulls) in [("InvoiceNo", 0), ("StockCode", 1), ("InvoiceDate", 1), ("CustomerID", 1)] {
        assert_eq!(column(&report, name)["nulls"], nulls, "{name}: {report}");
    }
    assert!(
        err.contains("cells of merged ranges read with the range's value") && err.contains("'CustomerID' 6"),
        "{err}"
    );
    // number cells among date cells are their serial days; a time alone is no date
    let (report, err) = audit("dates_mixed.xlsx", "max_date = \"2030-01-01\"");
    let date = column(&report, "InvoiceDate");
    assert_eq!((date["nulls"].as_u64(), date["invalid"].as_u64()), (Some(0), Some(2)), "{report}");
    assert!(err.contains("3 of its 3 number cells, among 5 date cells, read as the dates they number"), "{err}");
    assert!(err.contains("2 cells hold a time without a date"), "{err}");
    let range = report.to_string();
    assert!(range.contains("2011-03-10 09:30:00") && !range.contains("1899"), "{report}");
    // helper-134: date cells beside day-first text typed in below them, each read (the cells
    // were invalid as "written with the year first, where most have it last")
    let (report, err) = audit("cells_and_text_dates.xlsx", "max_date = \"2030-01-01\"");
    let date = column(&report, "InvoiceDate");
    assert_eq!((date["nulls"].as_u64(), date["invalid"].as_u64()), (Some(0), Some(0)), "{report}\n{err}");
    let range = report.to_string();
    assert!(range.contains("2011-01-04 09:30:00") && range.contains("2011-02-24 10:00:00"), "{report}");
    // hidden sheets: passed over by default and by "*", read when named
    let (report, err) = audit("hidden_sheets.xlsx", "");
    assert_eq!(report["rows_in"], 3, "{report}");
    assert!(
        err.contains("sheet 'Backup' skipped: it is hidden") && err.contains("only the first visible sheet ('Jan')"),
        "{err}"
    );
    assert!(!err.contains("'Jan (2)' have") && !err.contains("'Backup' has"), "hidden sheets are not offered: {err}");
    let (report, err) = audit("hidden_sheets.xlsx", "sheet = \"*\"");
    assert_eq!(report["rows_in"], 6, "Jan and Feb, not the hidden copy: {report}");
    assert!(err.contains("sheet 'Jan (2)' skipped: it is hidden"), "{err}");
    let (report, _) = audit("hidden_sheets.xlsx", "sheet = \"Backup\"");
    assert_eq!(report["rows_in"], 3, "{report}");
    // a hidden data sheet behind a visible dashboard is read, as before hidden sheets were
    // passed over
    let (report, err) = audit("hidden_data.xlsx", "");
    assert_eq!(report["rows_in"], 4, "{report}");
    assert!(err.contains("sheet 'Data' is hidden and read") && !err.contains("'Data' skipped"), "{err}");
    // customer ids of 16 digits in number cells: Excel keeps 15, so they may have merged —
    // ids that lost digits, as a CSV's scientific notation and a float column's are (session
    // 40: a note only, which no gate weighed)
    let (report, err) = audit("long_ids.xlsx", "");
    let said = format!("{err}{report}");
    assert!(
        said.contains("4 ids read from numbers longer than their type keeps (number cells of 16 digits or more; the first is sheet 'Sales' row 2)"),
        "{said}"
    );
    assert_eq!(column(&report, "CustomerID")["lost_digits"], 4, "{report}");
    let (report, err) = audit("merged.xlsx", "");
    assert!(!format!("{err}{report}").contains("16 digits or more"), "{err}");
    // the same ids written whole by a program (a 16th digit each, which Excel never writes):
    // nothing lost below 2^53 (session 40: a helper's 16-digit cards were refused)
    let (report, _) = audit("long_ids_whole.xlsx", "");
    assert_eq!(column(&report, "CustomerID")["lost_digits"], 0, "{report}");
    // a workbook of the other kind than its name: read as what it is, with a note (an .xls
    // named .xlsx was "encrypted"; an .xlsx named .xls an "Invalid OLE signature")
    let (report, err) = audit("xls_named.xlsx", "");
    assert_eq!(report["rows_in"], 49, "{report}");
    assert!(err.contains("xls_named.xlsx: it is an Excel 97-2003 (.xls) workbook named .xlsx"), "{err}");
    let named = w.write("tiny_named.xls", std::fs::read(crate::workdir::fixture("tiny.xlsx")).unwrap());
    let r = w.kindred(&["audit", named.to_str().unwrap(), "--json"]);
    assert!(r.code == 0 && r.stderr.contains("it is an .xlsx workbook named .xls"), "{}", r.stderr);
    // one stray cell at the sheet's last cell: read cell by cell (it was 16,384 × 1,048,576
    // cells, and the read died allocating 512 GiB)
    let (report, err) = audit("stray.xlsx", "");
    assert!(err.contains("sheet 'Sales' reaches row 1048576, the last a worksheet has"), "{err}");
    assert_eq!(
        (report["rows_in"].as_u64(), report["columns"].as_array().map(Vec::len)),
        (Some(7), Some(6)),
        "{report}"
    );
}

/// helper-110: an id typed into a column formatted `00000` was published as the number its
/// cell holds (`12` where Excel, and a CSV saved from it, show `00012`: another id than the
/// shop's), and an id Excel made a date (`1-Mar`) as `2011-03-01 00:00:00`, without a word. An id
/// column's number cells are read as their format shows them (zeros, letters, marks), in every
/// sheet stacked and down a merged range, the quantity's are not; date cells in an id column
/// are warned of, naming the file, the sheet and the row.
#[test]
fn ids_are_read_as_their_number_format_shows_them_and_dates_among_them_warned_of() {
    let w = Workdir::new();
    let (input, r) = w.run_fixture("id_formats.xlsx", "sheet = \"*\"", "");
    let published = |column: &str| -> Vec<String> {
        let mut ids: Vec<String> = rows(&w.path("out/purchases.parquet")).iter().map(|r| text(&r[column])).collect();
        ids.dedup();
        ids
    };
    let customers = published("customer_id");
    for id in ["00012", "00345", "17850", "00099", "678", "2011-03-02 00:00:00"] {
        assert!(customers.contains(&id.to_string()), "{id}: {customers:?}");
    }
    assert!(!customers.iter().any(|c| c == "12" || c == "99"), "{customers:?}");
    let mut items = published("item_id");
    items.sort();
    items.dedup();
    assert_eq!(items, ["0012-34", "2011-03-01 00:00:00", "A0007", "I1", "I3"], "{items:?}");
    let said = [
        "column 'CustomerID': 11 number cells read as their number format shows them, as Excel shows and saves them ('00012' in format 00000; the first is sheet 'Jan' row 2)",
        "column 'StockCode': 4 number cells read as their number format shows them, as Excel shows and saves them ('A0007' in format \"A\"0000; the first is sheet 'Jan' row 3)",
        "warning: column 'StockCode': 2 date or time cells in id_formats.xlsx (the first is sheet 'Jan' row 10, read as '2011-03-01 00:00:00'): a spreadsheet (Excel, LibreOffice) makes a date of an id typed or pasted like one",
        "warning: column 'CustomerID': 1 date or time cell in id_formats.xlsx (the first is sheet 'Jan' row 11, read as '2011-03-02 00:00:00')",
    ];
    for words in said {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
    let m = w.manifest("out");
    let columns = m["reports"]["audit"]["columns"].as_array().unwrap();
    let warnings = |name: &str| columns.iter().find(|c| c["column"] == name).unwrap()["warnings"].to_string();
    assert!(warnings("StockCode").contains("2 date or time cells in"), "{}", warnings("StockCode"));
    assert!(m["reports"]["ingest"]["notes"].to_string().contains("11 number cells read as"), "{m}");
    // the quantity's cells formatted 000 are the numbers they hold
    let quantity = columns.iter().find(|c| c["column"] == "Quantity").unwrap();
    assert_eq!(quantity["invalid"], 0, "{quantity}");
    // the first sheet alone: its own cells counted
    let p = w.pipeline_with("jan.toml", &input, "", "jan", "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert!(r.stderr.contains("column 'CustomerID': 9 number cells read as"), "{}", r.stderr);
}

/// helper-110: the dates Excel made of ids are warned of in an .xls and an .ods as in an .xlsx
/// (an .ods's as the date it holds, without a time). helper-113: the .xls's customers, formatted
/// `00000`, read as it shows them; the .ods's, written without number styles, are the numbers
/// they hold.
#[test]
fn dates_among_ids_are_warned_of_in_xls_and_ods_workbooks() {
    let w = Workdir::new();
    for (fixture, read) in [("id_dates.xls", "2011-03-01 00:00:00"), ("id_dates.ods", "2011-03-01")] {
        let input = w.copy(fixture);
        let r = w.kindred(&["audit", input.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{fixture}: {}", r.stderr);
        let words = format!(
            "warning: column 'StockCode': 2 date or time cells in {fixture} (the first is sheet 'Sales' row 3, read as '{read}')"
        );
        // `kindred audit` prints its warnings with its table, on stdout
        let said = format!("{}{}", r.stdout, r.stderr);
        assert!(said.contains(&words), "{words}: {said}");
        let (shown, customer) = match fixture.ends_with(".xls") {
            true => (true, "\n00012 "),
            false => (false, "\n12 "),
        };
        assert_eq!(said.contains("number cells read as their number format"), shown, "{fixture}: {said}");
        // the first rows' customer
        assert!(r.stdout.contains(customer), "{fixture}: {}", r.stdout);
    }
}

/// helper-113: one sheet of ids formatted `00000`, `"A"0000`, `0000-00` and
/// `00000;-00000;"-"` saved as .xlsx, as .xls (xlwt; LibreOffice) and as .ods (odfpy, its
/// customers formatted by their column's style and a row repeated; LibreOffice) publishes the
/// ids LibreOffice's CSV of every one of them shows. The .xls's and the .ods's were published as
/// their numbers (`12`, `7`): other ids than the same shop's .xlsx or CSV gave.
#[test]
fn formatted_ids_read_alike_from_every_workbook_format() {
    let w = Workdir::new();
    let shown = [
        ("00012", "0012-34"),
        ("00012", "A0007"),
        ("00099", "00042"),
        ("00345", "0012-34"),
        ("17850", "I1"),
        ("678", "A0007"),
    ];
    for fixture in ["same_ids.xlsx", "same_ids.xls", "same_ids_lo.xls", "same_ids.ods", "same_ids_lo.ods"] {
        let out = fixture.replace('.', "_");
        let p = w.pipeline_with(&format!("{out}.toml"), &w.copy(fixture), "", &out, "");
        let r = w.kindred(&["run", p.to_str().unwrap()]);
        assert_eq!(r.code, 0, "{fixture}: {}", r.stderr);
        let purchases = rows(&w.path(&format!("{out}/purchases.parquet")));
        let mut pairs: Vec<(String, String)> =
            purchases.iter().map(|r| (text(&r["customer_id"]), text(&r["item_id"]))).collect();
        pairs.sort();
        pairs.dedup();
        let expected: Vec<(String, String)> = shown.iter().map(|(c, i)| (c.to_string(), i.to_string())).collect();
        assert_eq!(pairs, expected, "{fixture}");
        for words in [
            "column 'CustomerID': 6 number cells read as their number format shows them, as Excel shows and saves them ('00012' in format 00000; the first is sheet 'Sales' row 2)",
            // LibreOffice's .xls writes the format `\A0000`
            "column 'StockCode': 6 number cells read as their number format shows them, as Excel shows and saves them ('A0007' in format ",
            "0000; the first is sheet 'Sales' row 2)",
        ] {
            assert!(r.stderr.contains(words), "{fixture}: {words}: {}", r.stderr);
        }
    }
}

/// Session 28: the header again as a row — exports joined end to end (`cat jan.csv feb.csv`),
/// a second table below the first — is dropped by its own rule, not read as a purchase
/// ("CustomerID" bought "StockCode" and customer_id became text) nor dropped unexplained.
#[test]
fn a_header_repeated_as_a_row_is_dropped_by_its_own_rule() {
    let w = Workdir::new();
    let tiny = std::fs::read_to_string(crate::workdir::fixture("tiny.csv")).unwrap();
    let body: String = tiny.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let joined = w.write("joined.csv", format!("{tiny}{}{body}", tiny.lines().next().unwrap().to_string() + "\n"));
    for (keys, out) in [("", "with"), ("[columns]\nquantity = \"\"", "without")] {
        let p = w.pipeline_with(&format!("{out}.toml"), &joined, "", out, keys);
        let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
        assert_eq!(r.code, 0, "{out}: {}", r.stderr);
        let m: serde_json::Value = w.manifest(out);
        let rules = m["reports"]["clean"]["rules"].as_array().unwrap();
        let rule = rules.iter().find(|r| r["rule"] == "repeated_header").unwrap_or_else(|| panic!("{out}: {rules:?}"));
        assert_eq!((rule["rows_in"].as_u64(), rule["rows_out"].as_u64()), (Some(61), Some(60)), "{out}: {rule}");
        assert_eq!(m["customer_id_type"], "Int64", "{out}");
    }
    // an export without the header again lists no such rule
    let p = w.pipeline_with("plain.toml", &w.copy("tiny.csv"), "", "plain", "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let m: serde_json::Value = w.manifest("plain");
    assert!(!m["reports"]["clean"]["rules"].to_string().contains("repeated_header"), "{m}");
}

/// The header again with its columns in another order: monthly exports joined end to end whose
/// template changed (helper-102). Read by the first header's places, February's quantities
/// were published as customers (`CustomerID` and `Quantity` swapped) or its prices read as
/// quantities (`Quantity` and `UnitPrice` swapped: the header was dropped as repeated, its
/// customer and item in place), exit 0. Refused, naming the line and what moved; the same
/// header, or one moving only columns no role reads, is dropped as before; a workbook's second
/// table below the first, so ordered, is refused naming its sheet and row.
#[test]
fn the_header_again_in_another_order_is_refused_naming_its_line() {
    let w = Workdir::new();
    let tiny = std::fs::read_to_string(crate::workdir::fixture("tiny.csv")).unwrap();
    // February's two lines, by column: written in the order of `header` below tiny.csv
    let lines = [
        ["536900", "22727", "ALARM CLOCK RED", "6", "2010-12-20 10:00:00", "3.75", "17850", "United Kingdom"],
        ["536901", "71053", "WHITE METAL LANTERN", "-2", "2010-12-20 11:00:00", "3.39", "13047", "United Kingdom"],
    ];
    let names =
        ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"];
    let february = |header: &str| {
        let at = |name: &str| names.iter().position(|n| *n == name).unwrap();
        let line = |l: &[&str; 8]| header.split(',').map(|name| l[at(name)]).collect::<Vec<_>>().join(",") + "\n";
        w.write("joined.csv", format!("{tiny}{header}\n{}", lines.iter().map(line).collect::<String>()));
        let p = w.pipeline("p.toml", &w.path("joined.csv"), "");
        w.kindred(&["run", p.to_str().unwrap(), "--quiet"])
    };
    let r = february("InvoiceNo,StockCode,Description,CustomerID,InvoiceDate,UnitPrice,Quantity,Country");
    r.says(
        1,
        &[
            "joined.csv line 34",
            "the header again with its columns in another order",
            "'Quantity' under 'CustomerID'",
            "'CustomerID' under 'Quantity'",
            "union_by_name",
        ],
    );
    // the customer and item in place, the quantity not: dropped as repeated, the prices were
    // read as quantities
    let r = february("InvoiceNo,StockCode,Description,UnitPrice,InvoiceDate,Quantity,CustomerID,Country");
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("line 34") && r.stderr.contains("'UnitPrice' under 'Quantity'"), "{}", r.stderr);
    // columns no role reads moved: read by name as before, the header dropped as repeated
    let r = february("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,Country,CustomerID,UnitPrice");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rules = w.manifest("out")["reports"]["clean"]["rules"].clone();
    assert!(rules.to_string().contains("repeated_header"), "{rules}");
    // a workbook's second table below the first, its columns in another order
    let p = w.pipeline("x.toml", &w.copy("header_again.xlsx"), "");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for words in ["header_again.xlsx sheet 'Sales' row 8", "'Quantity' under 'CustomerID'", "[input] sheet = \"*\""] {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
}

/// A day-first CSV opened in Excel with a month-first locale and saved (helper-102): its dates
/// with a day up to 12 became date cells read month-first, the others text. Read, the export's
/// 40 days were purchases on days 1 to 12 of other months, exit 0; refused naming the sheet,
/// the row of the first text date, and what to do.
#[test]
fn dates_excel_swapped_month_first_are_refused() {
    let w = Workdir::new();
    let p = w.pipeline("p.toml", &w.copy("swapped_dates.xlsx"), "");
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let words = [
        "swapped_dates.xlsx sheet 'export' row 14",
        "column 'InvoiceDate' holds 21 date cells",
        "19 dates as text",
        "'13/12/2010 08:00'",
        "the CSV itself",
    ];
    for words in words {
        assert!(r.stderr.contains(words), "{words}: {}", r.stderr);
    }
}

/// Without a quantity column each row is one purchase, and a set `min_quantity` drops nothing,
/// as the README says (`min_quantity = 5` dropped every row, each 1, and the run was refused by
/// `max_dropped_share`), with a note naming the key.
#[test]
fn min_quantity_drops_nothing_without_a_quantity_column() {
    let w = Workdir::new();
    let tiny = w.copy("tiny.csv");
    let p = w.pipeline_with("p.toml", &tiny, "", "out", "[columns]\nquantity = \"\"\n[clean]\nmin_quantity = 5");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("[clean] min_quantity = 5 drops nothing: the export has no quantity column"),
        "{}",
        r.stderr
    );
    let m: serde_json::Value = w.manifest("out");
    let rules = m["reports"]["clean"]["rules"].as_array().unwrap();
    let rule = rules.iter().find(|r| r["rule"] == "min_quantity").unwrap();
    assert_eq!(rule["rows_in"], rule["rows_out"], "{rule}");
}

/// An ERP's "Excel-safe" CSV writes ids as Excel text formulas (`="00123"`, to keep leading
/// zeros when the file is opened in Excel), quoted or not: read as written, every customer and
/// item was published under an id no system of the shop's knows (`="17850.0"`), and the
/// pipeline's `never_recommend` matched nothing. Read as the text Excel shows, the same tables
/// as the plain export; the audit and the run report say so.
#[test]
fn ids_written_as_excel_text_formulas_read_as_excel_shows_them() {
    let plain = tables("tiny.csv", "");
    let w = Workdir::new();
    let text = std::fs::read_to_string(crate::workdir::fixture("tiny.csv")).unwrap();
    let (mut items, mut customers) = (0, 0);
    let lines: Vec<String> = text
        .lines()
        .map(|line| {
            let mut line = line.to_string();
            // a record's first line: InvoiceNo,StockCode,… — the code unquoted, ="…"
            if let Some((invoice, rest)) = line.split_once(',').filter(|(i, _)| i.parse::<u64>().is_ok()) {
                let (code, rest) = rest.split_once(',').unwrap();
                line = format!("{invoice},=\"{code}\",{rest}");
                items += 1;
            }
            // a record's last line: …,CustomerID,Country — the id quoted, "=""…"""
            let fields: Vec<&str> = line.rsplitn(3, ',').collect();
            if fields.len() == 3 && fields[1].ends_with(".0") && fields[1].parse::<f64>().is_ok() {
                line = format!("{},\"=\"\"{}\"\"\",{}", fields[2], fields[1], fields[0]);
                customers += 1;
            }
            line
        })
        .collect();
    assert!(items > 20 && customers > 20, "{items} {customers}: {lines:?}");
    let input = w.write("erp.csv", lines.join("\n") + "\n");
    assert_eq!(tables_of(&w, &input, "", "erp.csv"), plain);
    let notes = w.manifest("out")["reports"]["ingest"]["notes"].to_string();
    let want = format!("column 'CustomerID': {customers} values were written as Excel text formulas");
    assert!(notes.contains(&want) && notes.contains("column 'StockCode'"), "{notes}");
    let audit = w.kindred(&["audit", input.to_str().unwrap()]);
    assert_eq!(audit.code, 0, "{}", audit.stderr);
    assert!(audit.stdout.contains(&want) || audit.stderr.contains(&want), "{}{}", audit.stdout, audit.stderr);
}

/// One row per order, its items joined in one field (an ERP's `SKUs`, WooCommerce Analytics'
/// `Product(s)`; helper-102): each list was read as a product bought once and the lists
/// published baskets, exit 0. Refused (exit 3, `--force` publishes), by `evaluate` too; a few
/// orders typed on one line beside an export of lines pass with a warning.
#[test]
fn items_joined_in_one_field_are_refused() {
    let w = Workdir::new();
    let codes = ["A1", "B2", "C3", "D4", "E5", "F6"];
    let orders: String = (0..16)
        .map(|i| {
            // sixteen orders, no two alike, each code at every place
            let (a, b) = (i % 6, (i % 6 + 1 + i / 6) % 6);
            let c = if (a + 4) % 6 == b { (a + 5) % 6 } else { (a + 4) % 6 };
            let items = [a, b, c].map(|k| codes[k]).join(";");
            format!("{},C{i},\"{items}\",3,2011-01-{:02}\n", 100 + i, i + 1)
        })
        .collect();
    w.write("orders.csv", format!("Order,Customer,SKUs,Items,Date\n{orders}"));
    let columns = "[columns]\ncustomer = \"Customer\"\nitem = \"SKUs\"\nquantity = \"Items\"\ndate = \"Date\"\ndescription = \"\"\ninvoice = \"Order\"\n[model]\nkind = \"item\"";
    let p = w.pipeline("p.toml", &w.path("orders.csv"), columns);
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet"]);
    r.says(
        3,
        &[
            "gate refuse_item_lists",
            "16 of the 16 items of column 'SKUs' are lists of items joined by ';' (e.g. 'A1;B2;E5')",
            "they hold 48 purchases against 0 of the other items",
            "string_split(\"SKUs\", ';')",
        ],
    );
    assert!(!w.path("out/current").exists(), "nothing published");
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-10"]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(r.stderr.contains("refused to evaluate: gate refuse_item_lists"), "{}", r.stderr);
    let r = w.kindred(&["run", p.to_str().unwrap(), "--quiet", "--force"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lists = w.manifest("out")["reports"]["pivot"]["item_lists"].clone();
    assert_eq!((lists["items"].as_u64(), lists["separator"].as_str()), (Some(16), Some(";")), "{lists}");
    // two orders typed on one line beside tiny.csv's lines: published, with a warning
    let tiny = std::fs::read_to_string(crate::workdir::fixture("tiny.csv")).unwrap();
    let typed = "536390,85123A;71053,TWO ITEMS,1,2010-12-07 10:00:00,2.55,13047.0,United Kingdom\n536391,71053;22633,TWO ITEMS,1,2010-12-07 11:00:00,2.55,17850.0,United Kingdom\n";
    w.write("lines.csv", format!("{tiny}{typed}"));
    let p = w.pipeline_with("q.toml", &w.path("lines.csv"), "", "out2", "");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: 2 of the") && r.stderr.contains("published, each list an item of its own"),
        "{}",
        r.stderr
    );
    let gates = w.manifest("out2")["gates"].clone();
    let gate = gates.as_array().unwrap().iter().find(|g| g["gate"] == "refuse_item_lists").cloned().unwrap();
    assert_eq!(gate["passed"], true, "{gate}");
    // tiny.csv alone: no list, no verdict
    let p = w.pipeline_with("t.toml", &w.copy("tiny.csv"), "", "out3", "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    assert!(w.manifest("out3")["reports"]["pivot"]["item_lists"].is_null());
}
