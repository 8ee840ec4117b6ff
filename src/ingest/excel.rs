//! Excel: an Excel or ODS workbook's sheet read into text columns, through calamine.
//!
//! Takes the workbook's path, `[input] sheet` (the first sheet by default, `"*"` for every
//! sheet with the first one's columns) and the roles' columns; returns every column as text,
//! the sheets read and a note for each sheet skipped.
//! Cells become text as an export would print them (integral numbers without ".0", dates as
//! ISO datetimes), so the audit parses the roles from them as from a CSV's text. An encrypted
//! workbook and an empty or duplicated header are refused with a message saying which.

use std::io::Read;
use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader, SheetVisible};
use polars::prelude::*;

use crate::config::Columns;
use crate::error::InputError;
use crate::ingest::{absent, column_key, find_column, title_note, unique_header, TITLE_LINES};
use crate::roles::number_text;

/// A workbook read: every column as text, the sheets read, and a note for each sheet skipped.
pub(super) struct ExcelRead {
    pub frame: DataFrame,
    pub sheets: Vec<String>,
    pub notes: Vec<String>,
}

/// The columns read so far: the first sheet's header, and each column's values.
struct Sheets {
    header: Vec<String>,
    cols: Vec<Vec<Option<String>>>,
    /// The quantity's column (as the pipeline names it), if the header has it, and each of its
    /// cells' number, for the cells that are numbers (see [`Sheets::into_columns`]).
    quantity: Option<usize>,
    numbers: Vec<Option<f64>>,
    /// Each column's error cells (`#DIV/0!`, `#REF!`: a formula that failed), read as missing:
    /// how many, their kinds and the first one's sheet and row, for a note.
    errors: Vec<CellErrors>,
}

#[derive(Default, Clone)]
struct CellErrors {
    count: usize,
    kinds: std::collections::BTreeSet<String>,
    first: Option<(String, usize)>,
}

impl Sheets {
    /// Where each of the first sheet's columns is in `header` (another sheet's), matched by
    /// [`column_key`] (letters and digits, case ignored), its extra columns left out; a column a role maps (every
    /// column without roles) must be there, else why the sheet is skipped.
    fn positions(&self, header: &[String], roles: Option<&Columns>) -> Result<Vec<Option<usize>>, String> {
        let mapped = roles.map(mapped_columns);
        let mut positions = Vec::with_capacity(self.header.len());
        for name in &self.header {
            let found = header.iter().position(|h| column_key(h) == column_key(name));
            let needed = mapped.as_ref().is_none_or(|m| m.iter().any(|c| column_key(c) == column_key(name)));
            if found.is_none() && needed {
                return Err(format!("its header has no column '{name}' (it has: {})", header.join(", ")));
            }
            positions.push(found);
        }
        Ok(positions)
    }

    /// Appends a sheet's data rows (blank rows skipped), each column from its position; the
    /// first is row `first_row` of sheet `sheet`.
    fn append<'r>(
        &mut self,
        rows: impl Iterator<Item = &'r [Data]>,
        positions: &[Option<usize>],
        (sheet, first_row): (&str, usize),
    ) {
        for (r, row) in rows.enumerate() {
            if row.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            for (k, (col, at)) in self.cols.iter_mut().zip(positions).enumerate() {
                let cell = at.and_then(|at| row.get(at));
                if let Some(Data::Error(e)) = cell {
                    let errors = &mut self.errors[k];
                    errors.count += 1;
                    errors.kinds.insert(e.to_string());
                    errors.first.get_or_insert_with(|| (sheet.to_string(), first_row + r));
                }
                if Some(k) == self.quantity {
                    let number = match cell {
                        Some(Data::Int(i)) => Some(*i as f64),
                        Some(Data::Float(f)) => Some(*f),
                        _ => None,
                    };
                    self.numbers.push(number);
                    if number.is_some() {
                        col.push(None); // kept as the number: never printed to text
                        continue;
                    }
                }
                col.push(cell.and_then(cell_text));
            }
        }
    }

    /// A note for each column with error cells: how many, which, the first one's sheet row.
    fn error_notes(&self) -> Vec<String> {
        let with_errors =
            self.header.iter().zip(&self.errors).filter_map(|(name, e)| Some((name, e, e.first.as_ref()?)));
        with_errors
            .map(|(name, e, (sheet, row))| {
                let kinds = e.kinds.iter().cloned().collect::<Vec<_>>().join(", ");
                format!(
                    "column '{name}': {} Excel error cells ({kinds}: formulas that failed), read as missing; the first is sheet '{sheet}' row {row}",
                    e.count
                )
            })
            .collect()
    }

    /// The columns as polars columns. A quantity column of number cells is numbers (Float64,
    /// exactly the cells'); one that mixes number cells with text keeps its text, each number
    /// written with an exponent ("1.125e0"): a number cell is no text written with a decimal
    /// mark, so it shows nothing of the marks the column's text is read with (see
    /// [`crate::roles`]' number module), and `[input] decimal` does not apply to it — printed
    /// "1.125" it read two ways and was 1125 beside a text cell "2,5".
    fn into_columns(self) -> Vec<Column> {
        let Sheets { header, cols, quantity, mut numbers, .. } = self;
        let column = |(k, (name, values)): (usize, (&String, Vec<Option<String>>))| {
            let name: PlSmallStr = name.as_str().into();
            if Some(k) != quantity {
                return Column::new(name, values);
            }
            let numbers = std::mem::take(&mut numbers); // the one quantity column's
            if numbers.iter().all(Option::is_none) {
                return Column::new(name, values);
            }
            // no text cell (a number cell's text is None)
            if values.iter().all(Option::is_none) {
                return Column::new(name, numbers);
            }
            let exponent = |(v, n): (Option<String>, &Option<f64>)| n.map_or(v, |f| Some(format!("{f:e}")));
            Column::new(name, values.into_iter().zip(&numbers).map(exponent).collect::<Vec<_>>())
        };
        header.iter().zip(cols).enumerate().map(column).collect()
    }
}

/// Reads one sheet, or every sheet for `"*"`: the first sheet that has the roles' customer and
/// item columns gives the header, and each other sheet whose header holds its mapped columns
/// (names matched by [`column_key`], extra columns left out) adds its rows; each sheet skipped is
/// noted with why. A hidden default sheet without the roles' columns is an error naming the
/// visible sheets.
pub(super) fn read_excel(
    path: &Path,
    sheet: Option<&str>,
    roles: Option<&Columns>,
    header_of: &Columns,
) -> Result<ExcelRead, InputError> {
    check_workbook_bytes(path)?;
    let mut book = open_workbook_auto(path)
        .map_err(|e| InputError::Workbook { path: path.to_path_buf(), detail: e.to_string() })?;
    let metadata = book.sheets_metadata().to_vec();
    let wanted = wanted_sheets(&book.sheet_names(), sheet, path)?;
    let (mut table, mut sheets, mut notes) = (None::<Sheets>, Vec::new(), Vec::new());
    let mut unmapped_first: Option<(String, Vec<String>)> = None;
    for name in wanted {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| InputError::Workbook { path: path.to_path_buf(), detail: format!("sheet '{name}': {e}") })?;
        let mut rows = range.rows();
        let Some(first) = rows.next() else {
            notes.push(format!("sheet '{name}' skipped: it is empty"));
            continue;
        };
        let texts = |row: &[Data]| -> Vec<String> { row.iter().map(|c| cell_text(c).unwrap_or_default()).collect() };
        let mut header = texts(first);
        let mut header_row = range.start().map_or(0, |(r, _)| r as usize) + 1;
        // A report's title above its table (a name, a period, blank rows): the header is the
        // first row with the roles' customer and item columns, and the rows above it are not data.
        let titled = Some(header_of);
        if !has_roles(&header, titled) {
            if let Some(at) = header_at(range.rows().map(texts), header_of) {
                let sheet_row = range.start().map_or(0, |(r, _)| r as usize) + at + 1;
                notes.push(format!("sheet '{name}': {}", title_note("row", sheet_row, sheet_row - 1)));
                rows = range.rows();
                header = rows.nth(at).map(texts).unwrap_or_default();
                header_row = sheet_row;
            }
        }
        let header = unique_names(header, header_of, path, &name, &mut notes)?;
        let positions = match &table {
            None if sheet == Some("*") && !has_roles(&header, roles) => {
                notes.push(format!("sheet '{name}' skipped: {}", missing_roles(&header, roles)));
                unmapped_first.get_or_insert((name, header));
                continue;
            }
            None => {
                check_excel_header(&header, path, &name)?;
                if sheet.is_none() {
                    check_hidden(&metadata, &name, &header, roles, path)?;
                    check_cover(&mut book, &name, &header, roles, header_of, path)?;
                }
                let positions = (0..header.len()).map(Some).collect();
                let cols = vec![Vec::with_capacity(range.height()); header.len()];
                let quantity = quantity_at(&header, header_of);
                let errors = vec![CellErrors::default(); header.len()];
                table = Some(Sheets { cols, header, quantity, numbers: Vec::new(), errors });
                positions
            }
            Some(t) => match t.positions(&header, roles) {
                Ok(positions) => positions,
                Err(why) => {
                    notes.push(format!("sheet '{name}' skipped: {why}"));
                    continue;
                }
            },
        };
        if let Some(t) = table.as_mut() {
            t.append(rows, &positions, (&name, header_row + 1));
        }
        sheets.push(name);
    }
    let Some(table) = table else {
        return Err(match (unmapped_first, roles) {
            (Some((sheet, header)), Some(r)) => InputError::Sheet {
                path: path.to_path_buf(),
                sheet,
                row: 1,
                detail: format!(
                    "no sheet has both columns '{}' and '{}' (this first one has: {}); set [columns] customer and item, or [input] sheet",
                    r.customer,
                    r.item,
                    header.join(", ")
                ),
            },
            _ => InputError::NoHeader { path: path.to_path_buf() },
        });
    };
    if sheet.is_none() {
        notes.extend(alike_unread(&mut book, &sheets, header_of));
    }
    notes.extend(table.error_notes());
    let height = table.cols.first().map_or(0, Vec::len);
    let columns = table.into_columns();
    let frame = DataFrame::new(height, columns)
        .map_err(|e| InputError::Parse { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok(ExcelRead { frame, sheets, notes })
}

/// Where the quantity's column (as `header_of` names it) is in `header`, found as the roles
/// find it ([`find_column`]).
fn quantity_at(header: &[String], header_of: &Columns) -> Option<usize> {
    let name = find_column(header, header_of.quantity.as_ref()?).ok()??;
    header.iter().position(|h| std::ptr::eq(h, name))
}

/// A note for each sheet not read (by default only the first is) whose header, within its
/// first [`TITLE_LINES`] rows, holds the customer and item columns too: a workbook of yearly
/// or monthly sheets read silently in part would recommend from a part of the history. An
/// xlsx sheet's first rows are streamed, not the sheet loaded; other formats' sheets are read.
fn alike_unread<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    read: &[String],
    header_of: &Columns,
) -> Vec<String> {
    let names: Vec<String> = book.sheet_names().into_iter().filter(|n| !read.contains(n)).collect();
    let alike: Vec<String> =
        names.into_iter().filter(|name| header_at(first_rows(book, name).into_iter(), header_of).is_some()).collect();
    let Some(first) = alike.first() else { return Vec::new() };
    let which = alike.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    let first_read = read.first().map_or("the first", String::as_str);
    vec![format!(
        "sheet {which} {} the customer and item columns too, and {} not read: only the first sheet \
         ('{first_read}') is by default; set [input] sheet = \"*\" to stack every such sheet, or sheet = \
         \"{first}\" to read that one",
        if alike.len() == 1 { "has" } else { "have" },
        if alike.len() == 1 { "was" } else { "were" },
    )]
}

/// Which of a sheet's first [`TITLE_LINES`] rows is its header: the first with the customer
/// and item columns (the rows above it a report's title).
fn header_at(rows: impl Iterator<Item = Vec<String>>, header_of: &Columns) -> Option<usize> {
    rows.take(TITLE_LINES).position(|row| has_roles(&row, Some(header_of)))
}

/// The text cells of a sheet's first [`TITLE_LINES`] rows, row by row (the others empty);
/// nothing when it cannot be read.
fn first_rows<RS: std::io::Read + std::io::Seek>(book: &mut calamine::Sheets<RS>, name: &str) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut put = |at: usize, col: usize, text: String| {
        if rows.len() <= at {
            rows.resize(at + 1, Vec::new());
        }
        if rows[at].len() <= col {
            rows[at].resize(col + 1, String::new());
        }
        rows[at][col] = text;
    };
    if let calamine::Sheets::Xlsx(x) = book {
        let Ok(mut cells) = x.worksheet_cells_reader(name) else { return Vec::new() };
        let mut top = None;
        while let Ok(Some(cell)) = cells.next_cell() {
            let (row, col) = cell.get_position();
            let top = *top.get_or_insert(row);
            if row >= top + TITLE_LINES as u32 {
                break;
            }
            let text = match cell.get_value() {
                calamine::DataRef::String(s) => s.clone(),
                calamine::DataRef::SharedString(s) => s.to_string(),
                _ => continue,
            };
            put((row - top) as usize, col as usize, text);
        }
        return rows;
    }
    let Ok(range) = book.worksheet_range(name) else { return Vec::new() };
    range.rows().take(TITLE_LINES).map(|row| row.iter().map(|c| cell_text(c).unwrap_or_default()).collect()).collect()
}

/// The columns the roles map (the invoice too: it is audited).
fn mapped_columns(r: &Columns) -> Vec<&String> {
    let optional = [&r.quantity, &r.description, &r.invoice, &r.date];
    [&r.customer, &r.item].into_iter().chain(optional.into_iter().flatten()).collect()
}

/// True when `header` has the roles' customer and item columns as the mapping finds them
/// ([`find_column`]: exactly, else by their key), or there are no roles.
fn has_roles(header: &[String], roles: Option<&Columns>) -> bool {
    roles.is_none_or(|r| absent(header, &[&r.customer, &r.item]).is_empty())
}

fn missing_roles(header: &[String], roles: Option<&Columns>) -> String {
    let missing: Vec<String> = roles
        .map(|r| absent(header, &[&r.customer, &r.item]).iter().map(|c| format!("'{c}'")).collect())
        .unwrap_or_default();
    format!("its header has no column {} (it has: {})", missing.join(" or "), header.join(", "))
}

/// Refuses a hidden sheet read by default (the workbook's first) that lacks the roles'
/// columns: Excel opens at the first visible sheet, so the person looking sees another one.
fn check_hidden(
    metadata: &[calamine::Sheet],
    name: &str,
    header: &[String],
    roles: Option<&Columns>,
    path: &Path,
) -> Result<(), InputError> {
    let hidden = metadata.iter().any(|m| m.name == name && m.visible != SheetVisible::Visible);
    if !hidden || has_roles(header, roles) {
        return Ok(());
    }
    let visible: Vec<&str> =
        metadata.iter().filter(|m| m.visible == SheetVisible::Visible).map(|m| m.name.as_str()).collect();
    let hint = match visible.first() {
        Some(first) => format!("the visible sheets are: {}; set [input] sheet = \"{first}\"", visible.join(", ")),
        None => "no sheet is visible; set [input] sheet to the one with the data".to_string(),
    };
    Err(InputError::Sheet {
        path: path.to_path_buf(),
        sheet: name.to_string(),
        row: 1,
        detail: format!(
            "the sheet is hidden (it is the workbook's first, read by default) and {}; {hint}",
            missing_roles(header, roles)
        ),
    })
}

/// Refuses a first sheet read by default that lacks the roles' columns when another sheet has
/// them (a cover, "ReadMe" or "Info" sheet before the data, as exports often put one), naming
/// that sheet and the setting; before, the error named the first sheet's missing column only.
fn check_cover<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    name: &str,
    header: &[String],
    roles: Option<&Columns>,
    header_of: &Columns,
    path: &Path,
) -> Result<(), InputError> {
    if roles.is_none() || has_roles(header, roles) {
        return Ok(());
    }
    let others: Vec<String> = book.sheet_names().into_iter().filter(|n| n != name).collect();
    let Some(data) = others.into_iter().find(|n| header_at(first_rows(book, n).into_iter(), header_of).is_some())
    else {
        return Ok(()); // no sheet has them: the mapping's error names the columns
    };
    Err(InputError::Sheet {
        path: path.to_path_buf(),
        sheet: name.to_string(),
        row: 1,
        detail: format!(
            "this first sheet, read by default, is not the data: {}; sheet '{data}' has them: set [input] sheet = \"{data}\" (or \"*\" to stack every sheet that has them)",
            missing_roles(header, roles)
        ),
    })
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
/// Refuses, saying what it is, a file named as a workbook that is none: an encrypted `.xlsx`
/// (an OLE container where a zip belongs), or text — a web shop's "Excel" export is often
/// tab-separated text or an HTML table named `.xls` — which calamine would report as "Invalid
/// OLE signature" or a zip error. A workbook starts as a zip (`.xlsx`, `.xlsm`, `.xlsb`,
/// `.ods`) or an OLE container (`.xls`).
fn check_workbook_bytes(path: &Path) -> Result<(), InputError> {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let mut head = Vec::with_capacity(512);
    let f = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    f.take(512).read_to_end(&mut head).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    let refuse = |detail: String| Err(InputError::Workbook { path: path.to_path_buf(), detail });
    if head.starts_with(&OLE) {
        return match ext.as_str() {
            "xlsx" | "xlsm" | "xlsb" => {
                refuse("the workbook is encrypted (password-protected); save a copy without a password".into())
            }
            _ => Ok(()),
        };
    }
    if head.starts_with(b"PK") {
        return Ok(());
    }
    let text = match head.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => String::from_utf8_lossy(rest).into_owned(),
        None if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") => {
            return refuse(
                "it is UTF-16 text, not a workbook; rename it .csv, or .tsv when tab-separated, to read it as text"
                    .into(),
            )
        }
        None if head.contains(&0) => return Ok(()), // binary of another kind: calamine says what it finds
        None => String::from_utf8_lossy(&head).into_owned(),
    };
    let start = text.trim_start();
    if start.starts_with("<?xml") {
        return refuse("it is XML (an Excel 2003 XML spreadsheet, say), not a workbook kindred reads; open it in Excel and save it as .xlsx, or as CSV".into());
    }
    if start.starts_with('<') {
        return refuse("it is an HTML page (a web shop's \"Excel\" export often is a table in HTML), not a workbook; open it in Excel and save it as .xlsx, or as CSV".into());
    }
    let line = start.lines().next().unwrap_or("");
    let (kind, name) =
        if line.contains('\t') { ("tab-separated", ".tsv") } else { ("comma- or semicolon-separated", ".csv") };
    refuse(format!("it is {kind} text, not a workbook; rename it {name} to read it as text"))
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
    Ok(())
}

/// A sheet's header with blank and repeated names no role maps named as pandas names them
/// ([`unique_header`]); the note, if any, names the sheet.
fn unique_names(
    header: Vec<String>,
    header_of: &Columns,
    path: &Path,
    sheet: &str,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, InputError> {
    if header.iter().all(|h| h.trim().is_empty()) {
        return Ok(header); // no header at all: refused by `check_excel_header`
    }
    let (header, note) = unique_header(header, &header_of.parsed())
        .map_err(|column| InputError::DuplicateHeader { path: path.to_path_buf(), column })?;
    notes.extend(note.map(|n| format!("sheet '{sheet}': {n}")));
    Ok(header)
}

/// A cell as text: integral numbers without ".0" (ids), dates as ISO datetimes, errors and
/// empty cells as null (an empty or blank text is made null with the other missing texts by
/// [`crate::ingest::Missing`]).
fn cell_text(cell: &Data) -> Option<String> {
    match cell {
        Data::Empty | Data::Error(_) => None,
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
