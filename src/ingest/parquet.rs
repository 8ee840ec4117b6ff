//! Parquet: a Parquet file's columns read through polars, the roles' only.
//!
//! Takes the file's path (and, for the pipeline, the columns the roles read); returns its
//! column names from the footer, the roles' columns, and every column's null count in file
//! order. The columns no role reads are read one at a time for their count and dropped, so a
//! wide export's text columns never sit beside the table; the audit parses the roles' types.

use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::null_counts;
use crate::error::InputError;

fn parquet_reader(path: &Path) -> Result<ParquetReader<std::fs::File>, InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    Ok(ParquetReader::new(file))
}

fn parquet_error(path: &Path, e: PolarsError) -> InputError {
    InputError::Parse { path: PathBuf::from(path), detail: e.to_string() }
}

/// A Parquet file's column names, from its footer (no data is read).
pub(super) fn parquet_names(path: &Path) -> Result<Vec<String>, InputError> {
    let schema = parquet_reader(path)?.schema().map_err(|e| parquet_error(path, e))?;
    Ok(schema.iter_names().map(|name| name.to_string()).collect())
}

/// Reads `columns` of a Parquet file (every column when `None`).
pub(super) fn read_parquet(path: &Path, columns: Option<Vec<String>>) -> Result<DataFrame, InputError> {
    parquet_reader(path)?.with_columns(columns).finish().map_err(|e| parquet_error(path, e))
}

/// Reads the `parsed` columns of a Parquet file, and every column's null count in file order.
/// The other columns are read one at a time for their count and dropped before the parsed
/// ones are read: at a million customers a text column the roles never read (Country) is
/// 0.8 GB that would otherwise sit beside the table through audit and clean.
pub(super) fn read_parquet_roles(
    path: &Path,
    names: &[String],
    parsed: &[&String],
) -> Result<(DataFrame, Vec<(String, usize)>), InputError> {
    let mut nulls = Vec::with_capacity(names.len());
    for name in names.iter().filter(|name| !parsed.contains(name)) {
        let column = read_parquet(path, Some(vec![name.clone()]))?;
        nulls.push((name.clone(), column.columns()[0].null_count()));
    }
    let frame = read_parquet(path, Some(parsed.iter().map(|name| name.to_string()).collect()))?;
    nulls.extend(null_counts(&frame));
    let order = |name: &String| names.iter().position(|n| n == name);
    nulls.sort_by_key(|(name, _)| order(name));
    Ok((frame, nulls))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Columns, Encoding, InputConfig};
    use crate::ingest::{column_names, read, run, AllColumns};

    #[test]
    fn parquet_keeps_the_role_columns_and_counts_every_columns_nulls() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.parquet");
        let mut frame = df!(
            "Country" => [Some("UK"), None, None],
            "CustomerID" => [Some(1.0), None, Some(3.0)],
            "StockCode" => ["A", "B", "C"],
            "UnitPrice" => [Some(1.5), Some(2.0), None],
            "Quantity" => [1i64, 2, 3],
        )
        .unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut frame).unwrap();
        let cfg = InputConfig {
            path: path.clone(),
            sheet: None,
            delimiter: None,
            encoding: Encoding::Utf8,
            date_format: None,
            max_date: None,
            skip_bad_rows: false,
        };
        let columns = Columns {
            customer: "CustomerID".into(),
            item: "StockCode".into(),
            quantity: Some("Quantity".into()),
            description: None,
            invoice: None,
            date: None,
            explicit: vec![],
        };
        let (table, report) = run(&cfg, &columns).unwrap();
        let mut kept = column_names(&table.frame);
        kept.sort();
        assert_eq!(kept, ["CustomerID", "Quantity", "StockCode"]);
        let nulls: Vec<(&str, usize)> = table.nulls.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        assert_eq!(nulls, [("Country", 2), ("CustomerID", 1), ("StockCode", 0), ("UnitPrice", 1), ("Quantity", 0)]);
        assert_eq!((report.columns, report.rows_out), (5, 3));
        // `kindred audit` reads every column
        let AllColumns::Mapped(all) = read(&cfg, &columns).unwrap().0 else { panic!("the mapping resolves") };
        assert_eq!((all.frame.width(), all.columns.quantity.as_deref()), (5, Some("Quantity")));
    }
}
