//! The Arrow schema embedded in every Parquet file kindred writes (the `ARROW:schema` footer
//! key, which pyarrow, pandas and polars read the column types from): plain types only.
//! Issue 14, case 12: polars' internal `string_view` was written there; pyarrow 14 could not
//! open the files ("Unrecognized type: 24") and newer pyarrow could not join on `item_id`.
//! Session 22: drift's `added` and `dropped` were UInt32, so an analyst's `added - dropped`
//! wrapped to 4,294,967,286 in pandas and polars and failed in DuckDB ("Overflow in subtraction
//! of UINT32"), and Spark before 3.2 refuses UINT_32; every integer kindred writes is signed.

use std::fs::File;
use std::path::Path;

use parquet::arrow::parquet_to_arrow_schema;
use parquet::basic::LogicalType;
use parquet::file::reader::{FileReader, SerializedFileReader};

use crate::workdir::{repo, Workdir};

/// The fields whose type not every client reads plainly, as `name: type`: an embedded Arrow
/// type that is a view type (`Utf8View`, `BinaryView`, list views, also nested) or an unsigned
/// integer, or a Parquet column annotated as an unsigned integer; panics if the file embeds no
/// Arrow schema at all.
fn unplain_fields(path: &Path) -> Vec<String> {
    let reader = SerializedFileReader::new(File::open(path).unwrap()).unwrap();
    let meta = reader.metadata().file_metadata();
    let kv = meta.key_value_metadata();
    assert!(
        kv.is_some_and(|kv| kv.iter().any(|e| e.key == "ARROW:schema")),
        "{} embeds no ARROW:schema",
        path.display()
    );
    let schema = parquet_to_arrow_schema(meta.schema_descr(), kv).unwrap();
    let arrow = schema
        .fields()
        .iter()
        .map(|f| format!("{}: {:?}", f.name(), f.data_type()))
        .filter(|f| f.contains("View") || f.contains("UInt"));
    let parquet = meta.schema_descr().columns().iter().filter_map(|c| match c.logical_type_ref() {
        Some(LogicalType::Integer(int)) if !int.is_signed => Some(format!("{}: UINT_{}", c.path(), int.bit_width)),
        _ => None,
    });
    arrow.chain(parquet).collect()
}

fn assert_plain(path: &Path) {
    assert_eq!(unplain_fields(path), Vec::<String>::new(), "types not every client reads in {}", path.display());
}

#[test]
fn run_tables_embed_plain_types() {
    let w = Workdir::new();
    // auto: selection.parquet has rows too
    let p = w.pipeline("p.toml", &repo().join("data/online_retail.csv.gz"), "[model]\nkind = \"auto\"");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let tables: Vec<String> = w.published().into_keys().filter(|n| n.ends_with(".parquet")).collect();
    assert_eq!(tables.len(), 8, "{tables:?}");
    for name in tables {
        let path = w.path("out").join(name);
        assert_plain(&path);
        // session 48: the embedded schema's own metadata names the run too, where pyarrow's
        // `read_table(f).schema.metadata` looks (it was None: only the footer's keys had it)
        let embedded = crate::workdir::embedded_schema(&std::fs::read(&path).unwrap()).metadata;
        let footer = crate::workdir::key_values(&path);
        for key in ["kindred.run_id", "kindred.schema_version", "kindred.version"] {
            assert!(
                footer.contains_key(key) && embedded.get(key) == footer.get(key),
                "{key} in {path:?}: {embedded:?}"
            );
        }
    }
}

#[test]
fn evaluation_embeds_plain_types() {
    let w = Workdir::new();
    let mut csv = String::from("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n");
    for (c, items, date) in [(1, "A B", "2011-01-01"), (2, "A B C", "2011-01-02"), (1, "C", "2011-01-10")] {
        for item in items.split(' ') {
            csv += &format!("1,{item},{item} THING,1,{date} 09:00:00,1.0,{c}.0,UK\n");
        }
    }
    let p = w.pipeline("p.toml", &w.write("split.csv", csv), "");
    let r = w.kindred(&["evaluate", p.to_str().unwrap(), "--cutoff", "2011-01-10", "--k", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_plain(&w.path("out/evaluation.parquet"));
    // Session 35: stamped with the versions as a run's tables are (no run made it: no run id)
    let kv = crate::workdir::key_values(&w.path("out/evaluation.parquet"));
    assert_eq!(kv.get("kindred.schema_version").map(String::as_str), Some("1"), "{kv:?}");
    assert_eq!(kv.get("kindred.version").map(String::as_str), Some(env!("CARGO_PKG_VERSION")), "{kv:?}");
    assert!(!kv.contains_key("kindred.run_id"), "{kv:?}");
}

#[test]
fn generated_export_embeds_plain_types() {
    let w = Workdir::new();
    let r = w.kindred(&["generate", "synthetic.parquet", "50", "20", "3"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_plain(&w.path("synthetic.parquet"));
    // session 27: an OUT of another kind is a usage error (exit 2, as the other bounds), not 1
    let r = w.kindred(&["generate", "synthetic.txt", "50", "20", "3"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("write .parquet or .csv") && !w.path("synthetic.txt").exists(), "{}", r.stderr);
}
