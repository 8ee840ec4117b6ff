//! Ingest: reads the export into a polars `DataFrame`, one column per header column.
//!
//! Takes the `[input]` settings and the column mapping; returns every column of the file (so
//! the audit can count nulls in all of them) plus the mapping resolved against the header.
//! The format is chosen by extension: CSV-like text through polars' CSV reader (after we
//! decompress gzip, drop a BOM, transcode Latin-1 and check field counts, so errors can name
//! the line), Excel/ODS through calamine, Parquet through polars. CSV and Excel columns arrive
//! as text; the audit stage parses the mapped roles.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use calamine::{open_workbook_auto, Data, Reader};
use polars::prelude::*;
use serde::Serialize;

use crate::config::{Columns, Encoding, InputConfig};
use crate::error::{InputError, Result};

/// The file as read, with the role mapping resolved against its header.
pub struct Table {
    pub frame: DataFrame,
    /// The roles that are present in this file (optional roles absent by default are `None`).
    pub columns: Columns,
}

/// What ingest did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub format: String,
    pub rows_out: usize,
    pub columns: usize,
    /// Sheets read (Excel only).
    pub sheets: Vec<String>,
    /// CSV rows skipped for a wrong field count (only with `skip_bad_rows`).
    pub skipped_rows: usize,
    /// Default-mapped optional columns that the file does not have.
    pub unmapped: Vec<String>,
    pub seconds: f64,
}

/// Input formats, chosen by extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv { gzip: bool, tab: bool },
    Excel,
    Parquet,
}

fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let (stem, gzip) = match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_string(), true),
        None => (name.clone(), false),
    };
    let ext = Path::new(&stem).extension()?.to_string_lossy().to_string();
    match (ext.as_str(), gzip) {
        ("csv" | "txt", _) => Some(Format::Csv { gzip, tab: false }),
        ("tsv" | "tab", _) => Some(Format::Csv { gzip, tab: true }),
        ("xlsx" | "xlsm" | "xls" | "xlsb" | "ods", false) => Some(Format::Excel),
        ("parquet", false) => Some(Format::Parquet),
        _ => None,
    }
}

/// Reads the input file named by `cfg` and resolves `columns` against its header.
pub fn run(cfg: &InputConfig, columns: &Columns) -> Result<(Table, IngestReport)> {
    let (frame, mut report) = read(cfg)?;
    let sheet = report.sheets.first().cloned();
    let (columns, unmapped) = resolve_columns(&frame, columns, &cfg.path, sheet)?;
    report.unmapped = unmapped;
    Ok((Table { frame, columns }, report))
}

/// Reads every column of the input file, whatever the mapping (`kindred audit` of any export).
pub fn read(cfg: &InputConfig) -> Result<(DataFrame, IngestReport)> {
    let start = Instant::now();
    let path = &cfg.path;
    check_path(path)?;
    let format = format_of(path).ok_or_else(|| InputError::Extension { path: path.clone() })?;
    let (frame, sheets, skipped, label) = match format {
        Format::Csv { gzip, tab } => {
            let (frame, skipped) = read_csv(cfg, gzip, tab)?;
            (frame, Vec::new(), skipped, if gzip { "csv.gz" } else { "csv" })
        }
        Format::Excel => {
            let (frame, sheets) = read_excel(path, cfg.sheet.as_deref())?;
            (frame, sheets, 0, "excel")
        }
        Format::Parquet => (read_parquet(path)?, Vec::new(), 0, "parquet"),
    };
    if frame.height() == 0 {
        return Err(InputError::NoRows { path: path.clone() }.into());
    }
    let report = IngestReport {
        format: label.to_string(),
        rows_out: frame.height(),
        columns: frame.width(),
        sheets,
        skipped_rows: skipped,
        unmapped: Vec::new(),
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok((frame, report))
}

/// Fails unless `path` is a non-empty regular file.
pub fn check_path(path: &Path) -> Result<(), InputError> {
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => InputError::Missing { path: path.to_path_buf() },
        _ => InputError::Io { path: path.to_path_buf(), source },
    })?;
    if meta.is_dir() {
        return Err(InputError::Directory { path: path.to_path_buf() });
    }
    if meta.len() == 0 {
        return Err(InputError::Empty { path: path.to_path_buf() });
    }
    Ok(())
}

/// Checks that every mapped column exists; unmaps optional defaults the file lacks.
pub fn resolve_columns(
    frame: &DataFrame,
    columns: &Columns,
    path: &Path,
    sheet: Option<String>,
) -> Result<(Columns, Vec<String>), InputError> {
    let names: Vec<String> = frame.get_column_names().iter().map(|s| s.to_string()).collect();
    let has = |c: &str| names.iter().any(|n| n == c);
    let missing = |role: &str, column: &str| InputError::ColumnMissing {
        path: path.to_path_buf(),
        sheet: sheet.clone(),
        column: column.to_string(),
        role: role.to_string(),
        available: names.join(", "),
    };
    for (role, column) in [("customer", &columns.customer), ("item", &columns.item)] {
        if !has(column) {
            return Err(missing(role, column));
        }
    }
    let mut resolved = columns.clone();
    let mut unmapped = Vec::new();
    for (role, slot) in [
        ("quantity", &mut resolved.quantity),
        ("description", &mut resolved.description),
        ("invoice", &mut resolved.invoice),
        ("date", &mut resolved.date),
    ] {
        if let Some(column) = slot.clone() {
            if !has(&column) {
                if columns.explicit.contains(&role) {
                    return Err(missing(role, &column));
                }
                unmapped.push(format!("{role} ({column})"));
                *slot = None;
            }
        }
    }
    Ok((resolved, unmapped))
}

// ---------------------------------------------------------------------------------------------
// CSV

fn read_csv(cfg: &InputConfig, gzip: bool, tab: bool) -> Result<(DataFrame, usize), InputError> {
    let path = &cfg.path;
    let raw = std::fs::read(path).map_err(|source| InputError::Io { path: path.clone(), source })?;
    let bytes = if gzip { gunzip(&raw, path)? } else { raw };
    let text = to_utf8(bytes, cfg.encoding, path)?;
    let delimiter = cfg.delimiter.unwrap_or_else(|| if tab { b'\t' } else { sniff_delimiter(&text) });
    let (text, skipped) = check_records(text, delimiter, cfg.skip_bad_rows, path)?;
    let parse = CsvParseOptions::default().with_separator(delimiter).with_quote_char(Some(b'"'));
    let frame = CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .with_parse_options(parse)
        .into_reader_with_file_handle(std::io::Cursor::new(text))
        .finish()
        .map_err(|e| InputError::Parse { path: path.clone(), detail: e.to_string() })?;
    Ok((frame, skipped))
}

fn gunzip(raw: &[u8], path: &Path) -> Result<Vec<u8>, InputError> {
    let mut out = Vec::with_capacity(raw.len() * 6);
    flate2::read::MultiGzDecoder::new(raw).read_to_end(&mut out).map_err(|e| InputError::Gzip {
        path: path.to_path_buf(),
        detail: match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "the stream ends early".to_string(),
            _ => e.to_string(),
        },
    })?;
    Ok(out)
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &bytes[..offset]).count() + 1
}

/// Drops a UTF-8 BOM and returns UTF-8 bytes; Latin-1 is transcoded byte by byte.
fn to_utf8(mut bytes: Vec<u8>, encoding: Encoding, path: &Path) -> Result<Vec<u8>, InputError> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    if let Some(pos) = memchr::memchr(0, &bytes) {
        return Err(InputError::Binary { path: path.to_path_buf(), line: line_of(&bytes, pos) });
    }
    match encoding {
        Encoding::Utf8 => match std::str::from_utf8(&bytes) {
            Ok(_) => Ok(bytes),
            Err(e) => Err(InputError::Encoding { path: path.to_path_buf(), line: line_of(&bytes, e.valid_up_to()) }),
        },
        Encoding::Latin1 => Ok(bytes.iter().map(|&b| b as char).collect::<String>().into_bytes()),
    }
}

/// The most frequent of `,` `;` tab `|` outside quotes in the header line; `,` when none.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let header = first_record(text);
    let candidates = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for &b in header {
        if b == b'"' {
            quoted = !quoted;
        } else if !quoted {
            if let Some(k) = candidates.iter().position(|&c| c == b) {
                counts[k] += 1;
            }
        }
    }
    let best = (0..4).max_by_key(|&k| (counts[k], std::cmp::Reverse(k))).unwrap_or(0);
    if counts[best] == 0 {
        b','
    } else {
        candidates[best]
    }
}

fn first_record(text: &[u8]) -> &[u8] {
    let mut quoted = false;
    for (i, &b) in text.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => return &text[..i],
            _ => {}
        }
    }
    text
}

/// One pass over the records, quote-aware: counts fields against the header, finds duplicate
/// header names and unterminated quotes, drops trailing blank lines. Bad rows fail naming the
/// line, or are cut out and counted when `skip` is set.
fn check_records(text: Vec<u8>, delimiter: u8, skip: bool, path: &Path) -> Result<(Vec<u8>, usize), InputError> {
    let header = split_fields(first_record(&text), delimiter);
    if header.iter().all(|h| h.trim().is_empty()) {
        return Err(InputError::NoHeader { path: path.to_path_buf() });
    }
    let mut seen = std::collections::HashSet::new();
    for name in &header {
        if !seen.insert(name.as_str()) {
            return Err(InputError::DuplicateHeader { path: path.to_path_buf(), column: name.clone() });
        }
    }
    let expected = header.len();
    let mut bad: Vec<(usize, usize)> = Vec::new();
    let (mut pos, mut line) = (0usize, 1usize);
    while pos < text.len() {
        let (end, fields, inner_newlines) = record_at(&text, pos, delimiter)
            .ok_or_else(|| InputError::Unterminated { path: path.to_path_buf(), line })?;
        let blank = text[pos..end].iter().all(|&c| c == b'\r' || c == b' ');
        if blank {
            bad.push((pos, (end + 1).min(text.len()))); // blank lines carry no record
        } else if fields != expected {
            if !skip {
                return Err(InputError::Ragged { path: path.to_path_buf(), line, found: fields, expected });
            }
            bad.push((pos, (end + 1).min(text.len())));
        }
        line += inner_newlines + 1;
        pos = end + 1;
    }
    let skipped = bad.iter().filter(|(s, e)| !text[*s..*e].iter().all(|c| c.is_ascii_whitespace())).count();
    if bad.is_empty() {
        return Ok((text, 0));
    }
    let mut kept = Vec::with_capacity(text.len());
    let mut at = 0;
    for (s, e) in bad {
        kept.extend_from_slice(&text[at..s]);
        at = e;
    }
    kept.extend_from_slice(&text[at..]);
    Ok((kept, skipped))
}

/// The record starting at `pos`: (index of its closing newline or the end, number of fields,
/// newlines inside quotes). A line without quotes — nearly all of them — is counted with
/// memchr; a quoted one byte by byte. `None` when a quote is never closed.
fn record_at(text: &[u8], pos: usize, delimiter: u8) -> Option<(usize, usize, usize)> {
    let rest = &text[pos..];
    let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let line = &rest[..line_end];
    if memchr::memchr(b'"', line).is_none() {
        return Some((pos + line_end, memchr::memchr_iter(delimiter, line).count() + 1, 0));
    }
    let (mut fields, mut newlines, mut quoted) = (1, 0, false);
    for (i, &b) in rest.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if quoted => newlines += 1,
            b'\n' => return Some((pos + i, fields, newlines)),
            b if b == delimiter && !quoted => fields += 1,
            _ => {}
        }
    }
    (!quoted).then_some((text.len(), fields, newlines))
}

/// Splits one record into unquoted field texts (for the header).
fn split_fields(record: &[u8], delimiter: u8) -> Vec<String> {
    let record = record.strip_suffix(b"\r").unwrap_or(record);
    let mut fields = vec![String::new()];
    let mut quoted = false;
    for ch in String::from_utf8_lossy(record).chars() {
        match ch {
            '"' => quoted = !quoted,
            c if c == delimiter as char && !quoted => fields.push(String::new()),
            c => fields.last_mut().expect("fields starts with one").push(c),
        }
    }
    fields
}

// ---------------------------------------------------------------------------------------------
// Excel

/// Reads one sheet (or every sheet with the first one's header, for `"*"`) as text columns.
fn read_excel(path: &Path, sheet: Option<&str>) -> Result<(DataFrame, Vec<String>), InputError> {
    check_not_encrypted(path)?;
    let mut book = open_workbook_auto(path)
        .map_err(|e| InputError::Workbook { path: path.to_path_buf(), detail: e.to_string() })?;
    let names = book.sheet_names();
    if names.is_empty() {
        return Err(InputError::Workbook { path: path.to_path_buf(), detail: "it has no sheets".into() });
    }
    let wanted: Vec<String> = match sheet {
        None => vec![names[0].clone()],
        Some("*") => names.clone(),
        Some(s) if names.iter().any(|n| n == s) => vec![s.to_string()],
        Some(s) => {
            return Err(InputError::SheetMissing {
                path: path.to_path_buf(),
                sheet: s.to_string(),
                available: names.join(", "),
            })
        }
    };
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
pub fn cell_text(cell: &Data) -> Option<String> {
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

/// Prints an integral float as an integer (17850.0 → "17850"), others as Rust prints them.
pub fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

// ---------------------------------------------------------------------------------------------
// Parquet

fn read_parquet(path: &Path) -> Result<DataFrame, InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| InputError::Parse { path: PathBuf::from(path), detail: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(format_of(Path::new("a/x.CSV")), Some(Format::Csv { gzip: false, tab: false }));
        assert_eq!(format_of(Path::new("x.csv.gz")), Some(Format::Csv { gzip: true, tab: false }));
        assert_eq!(format_of(Path::new("x.tsv")), Some(Format::Csv { gzip: false, tab: true }));
        assert_eq!(format_of(Path::new("x.xlsx")), Some(Format::Excel));
        assert_eq!(format_of(Path::new("x.ods")), Some(Format::Excel));
        assert_eq!(format_of(Path::new("x.parquet")), Some(Format::Parquet));
        assert_eq!(format_of(Path::new("x.json")), None);
        assert_eq!(format_of(Path::new("noext")), None);
    }

    #[test]
    fn sniffs_the_header_delimiter() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2;3"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n"), b'\t');
        assert_eq!(sniff_delimiter(b"\"x,y\"|b|c\n"), b'|');
        assert_eq!(sniff_delimiter(b"single\n"), b',');
    }

    #[test]
    fn number_text_drops_integral_fraction() {
        assert_eq!(number_text(17850.0), "17850");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(-3.0), "-3");
    }

    #[test]
    fn ragged_rows_name_the_line_or_are_skipped() {
        let text = b"a,b\n1,2\n\"x\ny\",3\n4,5,6\n7,8\n".to_vec();
        let err = check_records(text.clone(), b',', false, Path::new("f.csv")).unwrap_err();
        assert!(matches!(err, InputError::Ragged { line: 5, found: 3, expected: 2, .. }), "{err}");
        let (kept, skipped) = check_records(text, b',', true, Path::new("f.csv")).unwrap();
        assert_eq!(skipped, 1);
        assert_eq!(kept, b"a,b\n1,2\n\"x\ny\",3\n7,8\n");
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let err = check_records(b"a,b,a\n1,2,3\n".to_vec(), b',', false, Path::new("f.csv")).unwrap_err();
        assert!(matches!(err, InputError::DuplicateHeader { ref column, .. } if column == "a"));
    }

    #[test]
    fn latin1_is_transcoded_and_bom_dropped() {
        let out = to_utf8(vec![0xEF, 0xBB, 0xBF, b'a', b'\n'], Encoding::Utf8, Path::new("f")).unwrap();
        assert_eq!(out, b"a\n");
        let out = to_utf8(vec![b'c', 0xE9], Encoding::Latin1, Path::new("f")).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "cé");
        assert!(to_utf8(vec![b'a', b'\n', 0xE9], Encoding::Utf8, Path::new("f")).is_err());
    }
}
