//! Excel: an Excel or ODS workbook's sheet read into text columns, through calamine.
//!
//! Takes the workbook's path and `[input] sheet` (the first sheet by default, `"*"` for every
//! sheet with the first one's header); returns every column as text and the sheets read.
//! Cells become text as an export would print them (integral numbers without ".0", dates as
//! ISO datetimes), so the audit parses the roles from them as from a CSV's text. An encrypted
//! workbook and an empty or duplicated header are refused with a message saying which.

use std::io::Read;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};
use polars::prelude::*;

use crate::error::InputError;
use crate::roles::number_text;

/// Reads one sheet (or every sheet with the first one's header, for `"*"`) as text columns.
pub(super) fn read_excel(path: &Path, sheet: Option<&str>) -> Result<(DataFrame, Vec<String>), InputError> {
    check_not_encrypted(path)?;
    let mut book = open_workbook_auto(path)
        .map_err(|e| InputError::Workbook { path: path.to_path_buf(), detail: e.to_string() })?;
    let wanted = wanted_sheets(&book.sheet_names(), sheet, path)?;
    let mut header: Option<Vec<String>> = None;
    let mut cols: Vec<Vec<Option<String>>> = Vec::new();
    let mut used = Vec::new();
    for name in wanted {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| InputError::Workbook { path: path.to_path_buf(), detail: format!("sheet '{name}': {e}") })?;
        let mut rows = range.rows();
        let Some(first) = rows.next() else { continue };
        let this_header: Vec<String> = first.iter().map(|c| cell_text(c).unwrap_or_default()).collect();
        match &header {
            None => {
                check_excel_header(&this_header, path, &name)?;
                cols = vec![Vec::with_capacity(range.height()); this_header.len()];
                header = Some(this_header);
            }
            Some(h) if *h != this_header => continue, // a sheet of another shape (notes, pivots)
            Some(_) => {}
        }
        used.push(name);
        for row in rows {
            if row.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            for (k, col) in cols.iter_mut().enumerate() {
                col.push(row.get(k).and_then(cell_text));
            }
        }
    }
    let header = header.ok_or_else(|| InputError::NoHeader { path: path.to_path_buf() })?;
    let height = cols.first().map_or(0, Vec::len);
    let columns: Vec<Column> =
        header.iter().zip(cols).map(|(name, values)| Column::new(name.as_str().into(), values)).collect();
    let frame = DataFrame::new(height, columns)
        .map_err(|e| InputError::Parse { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok((frame, used))
}

/// The sheets `[input] sheet` names among the workbook's `names`: the first by default, every
/// one for `"*"`; a name the workbook lacks is an error listing those it has.
fn wanted_sheets(names: &[String], sheet: Option<&str>, path: &Path) -> Result<Vec<String>, InputError> {
    if names.is_empty() {
        return Err(InputError::Workbook { path: path.to_path_buf(), detail: "it has no sheets".into() });
    }
    match sheet {
        None => Ok(vec![names[0].clone()]),
        Some("*") => Ok(names.to_vec()),
        Some(s) if names.iter().any(|n| n == s) => Ok(vec![s.to_string()]),
        Some(s) => Err(InputError::SheetMissing {
            path: path.to_path_buf(),
            sheet: s.to_string(),
            available: names.join(", "),
        }),
    }
}

/// An encrypted .xlsx/.xlsm/.xlsb is an OLE container, not a zip: say so plainly.
fn check_not_encrypted(path: &Path) -> Result<(), InputError> {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    if !matches!(ext.as_str(), "xlsx" | "xlsm" | "xlsb") {
        return Ok(());
    }
    let mut head = [0u8; 8];
    let mut f = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    if f.read_exact(&mut head).is_ok() && head == OLE {
        return Err(InputError::Workbook {
            path: path.to_path_buf(),
            detail: "the workbook is encrypted (password-protected); save a copy without a password".into(),
        });
    }
    Ok(())
}

fn check_excel_header(header: &[String], path: &Path, sheet: &str) -> Result<(), InputError> {
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(InputError::Sheet {
            path: path.to_path_buf(),
            sheet: sheet.to_string(),
            row: 1,
            detail: "the first row (the header) is empty".into(),
        });
    }
    let mut seen = std::collections::HashSet::new();
    for name in header {
        if !name.is_empty() && !seen.insert(name) {
            return Err(InputError::DuplicateHeader { path: path.to_path_buf(), column: name.clone() });
        }
    }
    Ok(())
}

/// A cell as text: integral numbers without ".0" (ids), dates as ISO datetimes, errors and
/// blanks as null.
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty | Data::Error(_) => None,
        Data::String(s) if s.is_empty() => None,
        Data::String(s) => Some(s.clone()),
        Data::Int(i) => Some(i.to_string()),
        Data::Float(f) => Some(number_text(*f)),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) => Some(t.format("%Y-%m-%d %H:%M:%S").to_string()),
            None => Some(number_text(dt.as_f64())),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
    }
}
