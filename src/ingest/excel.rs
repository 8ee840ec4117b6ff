//! Excel: an Excel or ODS workbook's sheet read into text columns, through calamine.
//!
//! Takes the workbook's path, `[input] sheet` (the first sheet by default, `"*"` for every
//! sheet with the first one's columns) and the roles' columns; returns every column as text,
//! the sheets read and a note for each sheet skipped.
//! Cells become text as an export would print them (integral numbers without ".0", dates as
//! ISO datetimes), so the audit parses the roles from them as from a CSV's text. An encrypted
//! workbook and an empty or duplicated header are refused with a message saying which.

use std::path::Path;

use std::collections::{BTreeMap, BTreeSet};

use calamine::{open_workbook_auto, Data, Dimensions, ExcelDateTime, ExcelDateTimeType, Reader, SheetVisible};
use polars::prelude::*;

use crate::config::{toml_text, Columns};
use crate::error::InputError;
use crate::ingest::magic::{self, Format};
use crate::ingest::numfmt::{IdFormat, IdStyles};
use crate::ingest::{absent, column_key, find_column, title_note, unique_header, HeaderNames, IdWarnings, TITLE_LINES};
use crate::roles::{number_text, LongIds, SERIAL_1954};

/// A workbook read: every column as text, the sheets read, and a note for each sheet skipped.
pub(super) struct ExcelRead {
    pub frame: DataFrame,
    pub sheets: Vec<String>,
    pub notes: Vec<String>,
    /// The customer's and the item's number cells of 16 digits or more (see [`LongIds`]).
    pub long_ids: LongIds,
    /// The customer's and the item's date cells, as a warning each ([`Sheets::dated`]).
    pub id_warnings: IdWarnings,
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
    /// Each column's formula cells without a saved result ([`unsaved_formulas`]), read as
    /// missing: how many, and the first one's sheet and row, for a note.
    unsaved: Vec<CellErrors>,
    /// The date's column (as the pipeline names it), if the header has it, and what its cells
    /// were (see [`Sheets::serial_dates`]).
    date: Option<usize>,
    dates: DateCells,
    /// The customer's and the item's columns, and what their cells were.
    ids: [Option<usize>; 2],
    id_cells: IdColumns,
}

/// The customer's and the item's cells worth a word ([`IdColumns::see`]), each id's at its
/// index (0 the customer's, 1 the item's).
#[derive(Default)]
struct IdColumns {
    /// Number cells of 16 digits or more (how many, the first one's sheet and row): a workbook
    /// keeps 15 significant digits, so loyalty-card ids that differ after the 15th read as one.
    long_ids: [IdCells; 2],
    /// The same for number cells from 2^53 (no f64 holds them digit for digit), and whether a
    /// cell of 16 digits or more holds a digit past the 15th significant one: a workbook
    /// written by a program (pandas, an ERP) stores them whole, which Excel never does.
    huge_ids: [IdCells; 2],
    whole_ids: [bool; 2],
    /// The customer's and the item's number cells read as their number format shows them
    /// ([`SheetCells::show_formatted`]: `00012` in a column formatted `00000`).
    shown: [IdCells; 2],
    /// The customer's and the item's date and time cells: an id typed like a date (`1-Mar`,
    /// `3/1`) that Excel made a date; the id as typed is not in the file.
    dated: [IdCells; 2],
}

/// Some cells of an id column: how many, and the first one's sheet, row and what it is.
#[derive(Default, Clone)]
struct IdCells {
    count: usize,
    first: Option<(String, usize, String)>,
}

impl IdColumns {
    /// What the customer's (`id` 0) or the item's (1) cell at row `at` of `sheet` is worth
    /// noting: a number of 16 digits or more, or from 2^53 ([`IdColumns::long_ids`]); a date.
    fn see(&mut self, id: usize, cell: &Data, (sheet, at): (&str, usize)) {
        if let Data::DateTime(_) | Data::DateTimeIso(_) | Data::DurationIso(_) = cell {
            self.dated[id].add(1, (sheet, at), || cell_text(cell).unwrap_or_default());
        }
        let &Data::Float(f) = cell else { return };
        if f.abs() >= 1e15 {
            self.long_ids[id].add(1, (sheet, at), String::new);
            // a 16th significant digit Excel would have dropped
            self.whole_ids[id] |= format!("{f:.14e}").parse::<f64>().is_ok_and(|r| r != f);
        }
        if f.abs() >= 9_007_199_254_740_992.0 {
            self.huge_ids[id].add(1, (sheet, at), String::new);
        }
    }
}

impl IdCells {
    fn add(&mut self, count: usize, (sheet, row): (&str, usize), what: impl FnOnce() -> String) {
        self.count += count;
        if count > 0 && self.first.is_none() {
            self.first = Some((sheet.to_string(), row, what()));
        }
    }
}

/// The date column's cells that are not plain dates: number cells among date cells (a date
/// that lost its format: rows pasted as values show 45400.125), each at its value's index with
/// its number; and time cells without a date (Excel's day 0), which are no purchase's date.
#[derive(Default)]
struct DateCells {
    date_cells: usize,
    is_1904: bool,
    numbers: Vec<(usize, f64)>,
    first_number: Option<(String, usize)>,
    times: usize,
    first_time: Option<(String, usize)>,
    /// The sheet being read's evidence of Excel's month-first swap ([`Swap`]), renewed at each
    /// sheet: one sheet's days after the 12th hid another's swap (helper-104).
    swap: Swap,
}

/// A sheet's date column as [`Swap::swapped`] judges it: the date cells' latest day of the
/// month and their span read as they are and with day and month swapped back, and the texts
/// written as dates: how many, those only readable day-first, their span, the first.
#[derive(Default)]
struct Swap {
    cells: usize,
    latest_day: u32,
    as_read: Span,
    swapped_back: Span,
    texts: usize,
    days_first: usize,
    text_span: Span,
    first_text: Option<(String, usize, String)>,
}

/// The first and last of some dates.
#[derive(Default, Clone, Copy)]
struct Span(Option<(chrono::NaiveDate, chrono::NaiveDate)>);

impl Span {
    fn add(&mut self, day: chrono::NaiveDate) {
        let (first, last) = self.0.get_or_insert((day, day));
        (*first, *last) = ((*first).min(day), (*last).max(day));
    }

    /// Days from the first of either to the last of either.
    fn joined(self, other: Span) -> Option<i64> {
        let ((a, b), (c, d)) = (self.0?, other.0?);
        Some((b.max(d) - a.min(c)).num_days())
    }
}

impl DateCells {
    /// Notes what the date column's `at`-th cell is, at row `row` of `sheet`.
    fn see(&mut self, cell: Option<&Data>, at: usize, (sheet, row): (&str, usize)) {
        let mut number = |f: f64| {
            self.numbers.push((at, f));
            self.first_number.get_or_insert_with(|| (sheet.to_string(), row));
        };
        match cell {
            Some(&Data::Int(i)) => number(i as f64),
            Some(&Data::Float(f)) => number(f),
            Some(Data::DateTime(t)) if t.is_datetime() && (0.0..1.0).contains(&t.as_f64()) => {
                self.times += 1;
                self.first_time.get_or_insert_with(|| (sheet.to_string(), row));
            }
            Some(Data::DateTime(t)) if t.is_datetime() && t.as_f64() >= 1.0 => {
                self.date_cells += 1;
                let in_1900 = ExcelDateTime::new(t.as_f64(), ExcelDateTimeType::DateTime, false);
                self.is_1904 = datetime(&in_1900) != datetime(t);
                if let Some(day) = datetime(t).map(|d| d.date()) {
                    self.swap.cell(day);
                }
            }
            // a text written as a date (not a dump's `NULL`, `n/a`: helper-103)
            Some(Data::String(text)) if looks_dated(text) => {
                self.swap.texts += 1;
                if let Some(day) = only_day_first(text) {
                    self.swap.days_first += 1;
                    self.swap.text_span.add(day);
                }
                self.swap.first_text.get_or_insert_with(|| (sheet.to_string(), row, text.clone()));
            }
            _ => {}
        }
    }
}

impl Swap {
    /// A date cell's day.
    fn cell(&mut self, day: chrono::NaiveDate) {
        use chrono::Datelike;
        self.cells += 1;
        self.latest_day = self.latest_day.max(day.day());
        self.as_read.add(day);
        if let Some(back) = chrono::NaiveDate::from_ymd_opt(day.year(), day.day(), day.month()) {
            self.swapped_back.add(back);
        }
    }

    /// A date column Excel made of a day-first CSV opened with a month-first locale: each date
    /// whose day could be a month (1 to 12) became a date cell read month-first (5 December a
    /// 12 May), the others stayed text (`13/12/2010 08:26`) — so every date cell's day is at
    /// most 12, every text's first field is a day above 12, and the cells with day and month
    /// swapped back join the texts' dates in a shorter span than as they read (helper-102: a
    /// shop's 2.5 months read as 23 months of purchases on days 1 to 12 only, exit 0). The span
    /// tells a month-to-date export of the 1st to the 10th with one date typed by hand as text
    /// (`31/01/2011`: 10 days as read, 9 months swapped back) from a 30-day export across a
    /// month's end (as read the cells are the 12th of January to September, swapped back the
    /// 1st to the 9th of December after the texts' November: helper-104). Read so, every list
    /// is made on shuffled dates; the cells cannot be read back (which were swapped is not
    /// written anywhere): refused, with what to do.
    fn swapped(&self, column: &str, path: &Path) -> Option<InputError> {
        let (sheet, row, text) = self.first_text.as_ref()?;
        let shorter = match (self.swapped_back.joined(self.text_span), self.as_read.joined(self.text_span)) {
            (Some(back), Some(read)) => back < read,
            _ => false,
        };
        if self.cells == 0 || self.latest_day > 12 || self.days_first < self.texts || !shorter {
            return None;
        }
        Some(InputError::Sheet {
            path: path.to_path_buf(),
            sheet: sheet.clone(),
            row: *row,
            detail: format!(
                "column '{column}' holds {} date cells, none after the 12th of its month, and {} dates as text, each with a day above 12 first (this one '{text}'): a day-first CSV opened in Excel with a month-first locale, which read 05/12 as 12 May and left 13/12 as text — the dates cannot be told apart here; give kindred the CSV itself, or import it into Excel with the column as text (Data → From Text/CSV, column type Text)",
                self.cells, self.texts
            ),
        })
    }
}

/// The date of a text that can only be read day-first: its first field a day from 13 to 31,
/// the next a month, then a year of four digits or two (`13/12/2010 08:26`, `25.03.11`).
fn only_day_first(text: &str) -> Option<chrono::NaiveDate> {
    let mut fields = text.trim().split(['/', '.', '-']);
    let (day, month) = (fields.next()?.parse::<u32>().ok()?, fields.next()?.parse::<u32>().ok()?);
    let year = fields.next()?;
    let digits = year.bytes().take_while(u8::is_ascii_digit).count();
    let year = match (digits, year[..digits].parse::<i32>().ok()?) {
        (4, year) => year,
        (2, year) => 2000 + year,
        _ => return None,
    };
    (13..=31).contains(&day).then(|| chrono::NaiveDate::from_ymd_opt(year, month, day)).flatten()
}

/// Whether a text is written as a date: digits, a separator, a digit (`13/12/2010`, `2010-12-13`).
fn looks_dated(text: &str) -> bool {
    let text = text.trim().as_bytes();
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    digits > 0
        && matches!(text.get(digits), Some(b'/' | b'.' | b'-'))
        && text.get(digits + 1).is_some_and(u8::is_ascii_digit)
}

#[derive(Default, Clone)]
struct CellErrors {
    count: usize,
    kinds: std::collections::BTreeSet<String>,
    first: Option<(String, usize)>,
}

impl Sheets {
    /// The columns of `header` (the first sheet's), roles found as `header_of` names them,
    /// room made for `rows` values each.
    fn new(header: Vec<String>, header_of: &Columns, rows: usize) -> Sheets {
        Sheets {
            cols: vec![Vec::with_capacity(rows); header.len()],
            quantity: at_role(&header, header_of.quantity.as_ref()),
            numbers: Vec::new(),
            errors: vec![CellErrors::default(); header.len()],
            unsaved: vec![CellErrors::default(); header.len()],
            date: at_role(&header, header_of.date.as_ref()),
            dates: DateCells::default(),
            ids: [at_role(&header, Some(&header_of.customer)), at_role(&header, Some(&header_of.item))],
            id_cells: IdColumns::default(),
            header,
        }
    }

    /// The rows read, their columns ([`Sheets::into_columns`], serial dates read first), the
    /// notes on the cells, and the id columns' warnings (of the workbook at `path`).
    fn finish(mut self, notes: &mut Vec<String>, path: &Path) -> (usize, Vec<Column>, LongIds, IdWarnings) {
        notes.extend(self.error_notes());
        notes.extend(self.unsaved_notes());
        notes.extend(self.serial_dates());
        notes.extend(self.shown_notes());
        let warnings = self.dated_warnings(path);
        // cells of 16 digits or more lost digits when Excel wrote them (none holds a 16th
        // significant digit); written whole by a program, only those from 2^53 did
        let ids = &self.id_cells;
        let long = [0, 1].map(|id| match ids.whole_ids[id] {
            false => (ids.long_ids[id].clone(), "number cells of 16 digits or more"),
            true => (ids.huge_ids[id].clone(), "number cells from 2^53"),
        });
        let long = long.map(|(cells, what)| {
            (cells.count, cells.first.map(|(sheet, row, _)| format!("{what}; the first is sheet '{sheet}' row {row}")))
        });
        (self.cols.first().map_or(0, Vec::len), self.into_columns(), long, warnings)
    }

    /// A note for each id column with number cells read as their number format shows them.
    fn shown_notes(&self) -> Vec<String> {
        let shown = self.ids.iter().zip(&self.id_cells.shown);
        let shown = shown.filter_map(|(k, cells)| Some((&self.header[(*k)?], cells.count, cells.first.as_ref()?)));
        shown
            .map(|(name, count, (sheet, row, what))| format!(
                "column '{name}': {} read as their number format shows them, as Excel shows and saves them ({what}; the first is sheet '{sheet}' row {row}): read as numbers {}",
                crate::words::counted(count, "number cell"),
                crate::words::agrees(count, "it lost its leading zeros or letters, and was another id than the shop's", "they lost their leading zeros or letters, and were other ids than the shop's"),
            ))
            .collect()
    }

    /// A warning for each id column with date or time cells (an id typed like a date, which
    /// Excel made a date: published as the date read, silently), naming the workbook at `path`.
    fn dated_warnings(&self, path: &Path) -> IdWarnings {
        let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        self.id_cells.dated.clone().map(|cells| match cells.first {
            Some((sheet, row, text)) => vec![format!(
                "{} date or time cell{} in {file} (the first is sheet '{sheet}' row {row}, read as '{text}'): a spreadsheet (Excel, LibreOffice) makes a date of an id typed or pasted like one (1-Mar, 3/1, 2011-3) and keeps no trace of what was typed, so such ids are published as the dates read, which no system of the shop's knows; take the ids from the shop's own export, or import it into Excel with the column as Text",
                cells.count,
                if cells.count == 1 { "" } else { "s" }
            )],
            None => Vec::new(),
        })
    }

    /// Where each of the first sheet's columns is in `header` (another sheet's), matched by
    /// [`column_key`] (letters and digits, case ignored), its extra columns left out, and the
    /// optional roles' columns it lacks (the invoice, the names, the time of day: its rows are
    /// read without them, as a first sheet's are). The ids', the quantity's, the date's, the
    /// segment's and the row filters' columns (every column without roles) must be there, else
    /// why the sheet is skipped: a month's sheet whose template dropped the invoice column lost
    /// all its purchases, a first sheet without it none (helper-154); a sheet of totals by
    /// customer and item (no date: no purchase lines) is no month's (helper-157: stacked, it
    /// doubled every quantity).
    fn positions(
        &self,
        header: &[String],
        roles: Option<&Columns>,
    ) -> Result<(Vec<Option<usize>>, Vec<String>), String> {
        let is = |columns: &[&String], name: &str| columns.iter().any(|c| column_key(c) == column_key(name));
        let needed = roles.map(|r| {
            let mut needed = needed(r);
            needed.extend(r.quantity.as_ref().into_iter().chain(&r.date));
            (needed, mapped_columns(r))
        });
        let (mut positions, mut lacking) = (Vec::with_capacity(self.header.len()), Vec::new());
        for name in &self.header {
            let found = header.iter().position(|h| column_key(h) == column_key(name));
            match (found, &needed) {
                (None, None) => {
                    return Err(format!("its header has no column '{name}' (it has: {})", header.join(", ")))
                }
                (None, Some((needed, _))) if is(needed, name) => {
                    return Err(format!("its header has no column '{name}' (it has: {})", header.join(", ")))
                }
                (None, Some((_, mapped))) if is(mapped, name) => lacking.push(name.clone()),
                _ => {}
            }
            positions.push(found);
        }
        Ok((positions, lacking))
    }

    /// Appends a sheet's data rows, each with its row number in sheet `sheet` (blank rows
    /// skipped), each column from its position.
    fn append(&mut self, rows: impl Iterator<Item = (usize, Vec<Data>)>, positions: &[Option<usize>], sheet: &str) {
        for (at, row) in rows {
            if row.iter().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            for (k, (col, p)) in self.cols.iter_mut().zip(positions).enumerate() {
                let cell = p.and_then(|p| row.get(p));
                if let Some(Data::Error(e)) = cell {
                    let errors = &mut self.errors[k];
                    errors.count += 1;
                    errors.kinds.insert(e.to_string());
                    errors.first.get_or_insert_with(|| (sheet.to_string(), at));
                }
                if let (Some(cell), Some(id)) = (cell, self.ids.iter().position(|&i| i == Some(k))) {
                    self.id_cells.see(id, cell, (sheet, at));
                }
                if Some(k) == self.date {
                    self.dates.see(cell, col.len(), (sheet, at));
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

    /// A sheet's rows below its header row (its `columns`, at the first sheet's `positions`),
    /// taken from its `cells`, each freed once read (row numbers 1-based, as Excel's), the id
    /// columns' number cells as their number format shows them ([`SheetCells::show_formatted`]);
    /// refused when one is the header again with a role's column moved (`again`,
    /// [`header_again`]) or the sheet's dates are Excel's month-first swap ([`Swap::swapped`],
    /// judged sheet by sheet).
    fn take_sheet(
        &mut self,
        (cells, header_row): (&mut SheetCells, u32),
        (columns, positions): (&[u32], &[Option<usize>]),
        (name, again): (&str, Option<(u32, String)>),
        path: &Path,
    ) -> Result<(), InputError> {
        if let Some((row, moved)) = again {
            let place = format!("sheet '{name}' row {}", row + 1);
            return Err(InputError::HeaderReordered { path: path.to_path_buf(), place, moved, advice: OWN_SHEET });
        }
        let ids = self.ids.map(|k| k.and_then(|k| positions[k]).map(|p| columns[p]));
        for (id, (count, first)) in cells.show_formatted(header_row, ids).into_iter().enumerate() {
            if let Some((row, what)) = first {
                self.id_cells.shown[id].add(count, (name, row), || what);
            }
        }
        let below = cells.rows.split_off(&(header_row + 1));
        self.see_unsaved(&cells.unsaved, &below, (columns, positions), name);
        self.dates.swap = Swap::default();
        self.append(below.into_iter().map(|(r, row)| (r as usize + 1, dense(row, columns))), positions, name);
        match self.date.and_then(|k| self.dates.swap.swapped(&self.header[k], path)) {
            Some(swapped) => Err(swapped),
            None => Ok(()),
        }
    }

    /// Counts the formula cells without a saved result (`unsaved`, at their sheet row and
    /// column) that fall in the table's `columns` of a row read from `below` (a row of nothing
    /// else is a blank row, skipped as [`Sheets::append`] skips it), each in its column.
    fn see_unsaved(
        &mut self,
        unsaved: &BTreeSet<(u32, u32)>,
        below: &BTreeMap<u32, Vec<(u32, Data)>>,
        (columns, positions): (&[u32], &[Option<usize>]),
        sheet: &str,
    ) {
        let Some(&first) = below.keys().next() else { return };
        for &(r, c) in unsaved.range((first, 0)..) {
            let read = below.get(&r).is_some_and(|row| row.iter().any(|(c, _)| columns.binary_search(c).is_ok()));
            let at = columns.binary_search(&c).ok().and_then(|p| positions.iter().position(|&q| q == Some(p)));
            if let (true, Some(k)) = (read, at) {
                let cells = &mut self.unsaved[k];
                cells.count += 1;
                cells.first.get_or_insert_with(|| (sheet.to_string(), r as usize + 1));
            }
        }
    }

    /// A note for each column with formula cells without a saved result: how many, the first.
    fn unsaved_notes(&self) -> Vec<String> {
        let unsaved = self.header.iter().zip(&self.unsaved).filter_map(|(name, u)| Some((name, u, u.first.as_ref()?)));
        unsaved
            .map(|(name, u, (sheet, row))| {
                format!(
                    "column '{name}': {} without a saved result (a workbook written by a program and never opened in Excel, which saves each formula's result beside it), read as missing; the first is sheet '{sheet}' row {row}: open the workbook in Excel or LibreOffice and save it to keep their values",
                    crate::words::counted(u.count, "formula cell")
                )
            })
            .collect()
    }

    /// The date column's number cells among its date cells read as the dates they number
    /// (serial days, in the workbook's 1900 or 1904 system; from 1954, as a column of smaller
    /// numbers is no dates, to tomorrow), and a note on them and on time cells without a date.
    /// Printed as numbers they were invalid dates, silently: a sheet's last rows pasted as
    /// values made the newest purchase weeks old.
    fn serial_dates(&mut self) -> Vec<String> {
        let (Some(k), d) = (self.date, &mut self.dates) else { return Vec::new() };
        let name = &self.header[k];
        let mut notes = Vec::new();
        if d.date_cells > 0 && !d.numbers.is_empty() {
            let mut read = 0;
            // no later than tomorrow: a larger number (201103, a month written as a number)
            // is no date, and is left for the date reader to count invalid
            let tomorrow = chrono::Utc::now().naive_utc() + chrono::Duration::days(1);
            for &(at, f) in &d.numbers {
                let date = (SERIAL_1954..2_958_466.0)
                    .contains(&f)
                    .then(|| ExcelDateTime::new(f, ExcelDateTimeType::DateTime, d.is_1904).as_datetime());
                if let Some(Some(t)) = date.filter(|t| t.is_some_and(|t| t <= tomorrow)) {
                    self.cols[k][at] = Some(t.format("%Y-%m-%d %H:%M:%S").to_string());
                    read += 1;
                }
            }
            let (sheet, row) = d.first_number.clone().unwrap_or_default();
            // none read (numbers that are no dates): the audit counts them invalid, as before
            notes.extend((read > 0).then(|| format!(
                "column '{name}': {read} of its {} number cells, among {} date cells, read as the dates they number (Excel's serial days: cells that lost their date format, as rows pasted as values do); the first is sheet '{sheet}' row {row}",
                d.numbers.len(),
                d.date_cells
            )));
        }
        if let Some((sheet, row)) = &d.first_time {
            notes.push(format!(
                "column '{name}': {} {} a time without a date (Excel's day 0), read as invalid dates; the first is sheet '{sheet}' row {row}",
                crate::words::counted(d.times, "cell"),
                if d.times == 1 { "holds" } else { "hold" }
            ));
        }
        notes
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
/// noted with why. Hidden sheets are passed over ([`wanted_sheets`], [`hidden_data`]); a first
/// sheet read by default without the roles' columns is an error naming the sheet that has them.
/// The error when no sheet gave a table: the first sheet's columns when a sheet had a header
/// without the mapped ones (`sheet = "*"`), else no header found.
fn no_table(path: &Path, unmapped_first: Option<(String, Vec<String>)>, roles: Option<&Columns>) -> InputError {
    match (unmapped_first, roles) {
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
    }
}

/// The checks of the sheet read when no `[input] sheet` names one: not a visible sheet in
/// front of the hidden data (`check_hidden`), not a cover in front of the data (`check_cover`).
fn check_first_sheet(
    book: &mut Book,
    (metadata, name): (&[calamine::Sheet], &str),
    (header, rows): (&[String], bool),
    (roles, header_of): (Option<&Columns>, &Columns),
    path: &Path,
) -> Result<(), InputError> {
    check_hidden(metadata, name, header, roles, path)?;
    check_cover(book, name, (header, rows), roles, header_of, path)
}

pub(super) fn read_excel(
    path: &Path,
    sheet: Option<&str>,
    roles: Option<&Columns>,
    header_of: &Columns,
    limit: Option<(u64, &'static str)>,
) -> Result<ExcelRead, InputError> {
    let mut notes = Vec::new();
    let (mut book, mut styles) = open_book(path, &mut notes, limit)?;
    let metadata = book.sheets_metadata().to_vec();
    let mut wanted = wanted_sheets(&metadata, sheet, path, &mut notes)?;
    if let (None, [first]) = (sheet, wanted.as_slice()) {
        if let Some(hidden) = hidden_data(&mut book, &metadata, first, header_of, &mut notes) {
            wanted = vec![hidden];
        }
    }
    let (mut table, mut sheets) = (None::<Sheets>, Vec::new());
    let mut unmapped_first: Option<(String, Vec<String>)> = None;
    // whether the workbook's sheets hold formulas, found once ([`holds_formulas`])
    let formulas = std::sync::OnceLock::new();
    for name in wanted {
        let given = sheet_styles(&mut styles, &metadata, &name);
        let mut cells = sheet_cells(&mut book, path, &name, given, &formulas)
            .map_err(|e| InputError::Workbook { path: path.to_path_buf(), detail: format!("sheet '{name}': {e}") })?;
        let Some(header_row) = cells.header_row(&name, header_of, &mut notes) else { continue };
        let (columns, header) = cells.columns(header_row);
        let header = unique_names(header, header_of, path, &name, &mut notes)?;
        let merged = cells.fill_merged(header_row, &columns, &header, &name);
        let again = header_again(cells.rows.range(header_row + 1..), &columns, &header, header_of);
        let positions = match &table {
            None if sheet == Some("*") && !has_needed(&header, roles) => {
                notes.push(format!("sheet '{name}' skipped: {}", missing_needed(&header, roles)));
                unmapped_first.get_or_insert((name, header));
                continue;
            }
            None => {
                check_excel_header(&header, path, &name)?;
                if sheet.is_none() {
                    let rows = cells.rows.range(header_row + 1..).next().is_some();
                    check_first_sheet(&mut book, (&metadata, &name), (&header, rows), (roles, header_of), path)?;
                }
                let positions = (0..header.len()).map(Some).collect();
                table = Some(Sheets::new(header, header_of, cells.rows.len()));
                positions
            }
            Some(t) => match t.positions(&header, roles) {
                Ok((positions, lacking)) => {
                    if !lacking.is_empty() {
                        let lacking: Vec<String> = lacking.iter().map(|c| format!("'{c}'")).collect();
                        let these = if lacking.len() == 1 { "that column" } else { "those columns" };
                        notes.push(format!(
                            "sheet '{name}' has no column {}: its rows are read with {these} empty",
                            lacking.join(" or ")
                        ));
                    }
                    positions
                }
                Err(why) => {
                    notes.push(format!("sheet '{name}' skipped: {why}"));
                    continue;
                }
            },
        };
        notes.extend(merged);
        if let Some(t) = table.as_mut() {
            t.take_sheet((&mut cells, header_row), (&columns, &positions), (&name, again), path)?;
        }
        sheets.push(name);
    }
    let Some(table) = table else { return Err(no_table(path, unmapped_first, roles)) };
    if sheet.is_none() {
        notes.extend(alike_unread(&mut book, &metadata, &sheets, header_of));
    }
    let (height, columns, long_ids, id_warnings) = table.finish(&mut notes, path);
    let frame = DataFrame::new(height, columns)
        .map_err(|e| InputError::Parse { path: path.to_path_buf(), detail: e.to_string() })?;
    Ok(ExcelRead { frame, sheets, notes, long_ids, id_warnings })
}

/// Where a role's column (as `header_of` names it) is in `header`, found as the roles find it
/// ([`find_column`]).
fn at_role(header: &[String], column: Option<&String>) -> Option<usize> {
    let name = find_column(header, column?).ok()??;
    header.iter().position(|h| std::ptr::eq(h, name))
}

/// A sheet's cells that hold something, row by row (0-based row, then column), and its merged
/// ranges. Read cell by cell (xlsx, xlsb) rather than as calamine's `Range`, which is as wide
/// and as tall as the farthest cell: one stray cell at XFD1048576 made it 16,384 × 1,048,576
/// cells, and the read died allocating 512 GiB (exit 134).
struct SheetCells {
    rows: BTreeMap<u32, Vec<(u32, Data)>>,
    merged: Vec<Dimensions>,
    /// An .xlsx sheet's formula cells without a saved result, (row, column).
    unsaved: BTreeSet<(u32, u32)>,
    /// What its cells take ([`cell_bytes`]).
    bytes: usize,
    styles: IdStyles,
}

/// The id-formatted number cells of sheet `name` among the workbook's `styles` (one per sheet of
/// `metadata`, in its order: an .xls's and an .ods's, read beside calamine), taken out.
fn sheet_styles(styles: &mut [IdStyles], metadata: &[calamine::Sheet], name: &str) -> Option<IdStyles> {
    let at = metadata.iter().position(|sheet| sheet.name == name)?;
    styles.get_mut(at).map(std::mem::take)
}

/// Reads sheet `name` of `book` (the workbook at `path`), with its id-formatted number cells:
/// an .xlsx's read beside its cells, another's `given`.
fn sheet_cells<RS: std::io::Read + std::io::Seek + Send>(
    book: &mut calamine::Sheets<RS>,
    path: &Path,
    name: &str,
    given: Option<IdStyles>,
    formulas: &std::sync::OnceLock<bool>,
) -> Result<SheetCells, String> {
    let mut rows = Rows::default();
    let mut unsaved = BTreeSet::new();
    let mut styles = given.unwrap_or_default();
    let merged = match book {
        calamine::Sheets::Xlsx(x) => {
            let beside = || beside_cells(path, name, formulas);
            let ((merged, found), read) = rayon::join(beside, || xlsx_cells(x, name, &mut rows));
            styles = read?;
            unsaved = found;
            merged
        }
        calamine::Sheets::Xlsb(x) => {
            let mut cells = x.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
            while let Some(cell) = cells.next_cell().map_err(|e| e.to_string())? {
                rows.put(cell.get_position(), Data::from(cell.get_value().clone()));
            }
            Vec::new()
        }
        book => {
            let merged = match book {
                calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(name).unwrap_or_default(),
                _ => Vec::new(),
            };
            let range = book.worksheet_range(name).map_err(|e| e.to_string())?;
            let (top, left) = range.start().unwrap_or((0, 0));
            for (r, row) in range.rows().enumerate() {
                for (c, cell) in row.iter().enumerate() {
                    rows.put((top + r as u32, left + c as u32), cell.clone());
                }
            }
            merged
        }
    };
    let bytes = rows.bytes;
    Ok(SheetCells { rows: rows.finish(), merged, unsaved, bytes, styles })
}

/// What an .xlsx sheet's cells do not say, read beside them through a second handle on the file
/// at `path`: its merged ranges, which follow its cells in the sheet's XML (calamine parses it
/// again to find them: 1.5 s of the shipped workbook's 2.9 s read), and its formula cells
/// without a saved result when the workbook's sheets hold formulas (`formulas`: found once).
fn beside_cells(
    path: &Path,
    name: &str,
    formulas: &std::sync::OnceLock<bool>,
) -> (Vec<Dimensions>, BTreeSet<(u32, u32)>) {
    let Ok(mut again) = calamine::open_workbook::<calamine::Xlsx<_>, _>(path) else {
        return (Vec::new(), BTreeSet::new());
    };
    let merged = again.merge_cells_by_sheet_name(name).unwrap_or_default();
    let unsaved = match *formulas.get_or_init(|| holds_formulas(path)) {
        true => unsaved_formulas(&mut again, name),
        false => BTreeSet::new(),
    };
    (merged, unsaved)
}

/// Whether any sheet of the .xlsx at `path` holds a formula (a `<f>` element, or a prefixed
/// one): read as raw XML, far faster than parsing it, so that a workbook without formulas (an
/// export's usually) is not parsed a third time for them. Any doubt reads as true.
fn holds_formulas(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else { return true };
    let Ok(mut zip) = ::zip::ZipArchive::new(std::io::BufReader::new(file)) else { return true };
    let finders = [b"<f>".as_slice(), b"<f ", b":f>", b":f "].map(memchr::memmem::Finder::new);
    let mut buffer = vec![0u8; 1 << 20];
    for i in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(i) else { return true };
        if !entry.name().is_ok_and(|n| n.starts_with("xl/worksheets/")) {
            continue;
        }
        // each piece read after the last one's final three bytes, so no tag is split
        let mut kept = 0;
        loop {
            let Ok(n) = std::io::Read::read(&mut entry, &mut buffer[kept..]) else { return true };
            let end = kept + n;
            if finders.iter().any(|f| f.find(&buffer[..end]).is_some()) {
                return true;
            }
            if n == 0 {
                break;
            }
            kept = end.min(3);
            buffer.copy_within(end - kept..end, 0);
        }
    }
    false
}

/// The formula cells of the .xlsx sheet `name` without a saved result, (row, column): a
/// workbook written by a program (openpyxl, a report generator) and never opened in Excel holds
/// the formulas alone, which calamine reads as empty cells, so the rows' values were lost
/// unsaid (Excel's own error cells are noted). None when the sheet does not read here (the
/// cells' own read says why).
fn unsaved_formulas<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
) -> BTreeSet<(u32, u32)> {
    let mut found = BTreeSet::new();
    let Ok(mut cells) = book.worksheet_cells_reader(name) else { return found };
    while let Ok(Some(cell)) = cells.next_cell_with_formula_metadata() {
        if cell.formula.is_some() && matches!(cell.value, calamine::DataRef::Empty) {
            found.insert(cell.pos);
        }
    }
    found
}

/// Reads the cells of the .xlsx sheet `name` into `rows`, and the styles of its number cells
/// whose number format writes whole numbers otherwise than plainly (in the same pass: the
/// style is an attribute of the cell's element).
fn xlsx_cells<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Xlsx<RS>,
    name: &str,
    rows: &mut Rows,
) -> Result<IdStyles, String> {
    let mut cells = book.worksheet_cells_reader(name).map_err(|e| e.to_string())?;
    let formats: Vec<Option<IdFormat>> = cells.styles().iter().map(id_format).collect();
    let mut styles = IdStyles { cells: BTreeMap::new(), formats };
    while let Some((cell, style)) = cells.next_cell_with_style_id().map_err(|e| e.to_string())? {
        let value = Data::from(cell.get_value().clone());
        if matches!(value, Data::Float(_) | Data::Int(_)) {
            styles.add(cell.get_position(), style);
        }
        rows.put(cell.get_position(), value);
    }
    Ok(styles)
}

/// A style's number format when it writes whole numbers otherwise than plainly ([`IdFormat`]).
fn id_format(style: &calamine::Style) -> Option<IdFormat> {
    IdFormat::parse(&style.number_format.as_ref()?.format_code)
}

/// A sheet's cells gathered as they come, row by row: a row's cells are collected and the row
/// put in the map whole (a map lookup per cell made the shipped workbook's read 40% slower).
#[derive(Default)]
struct Rows {
    rows: BTreeMap<u32, Vec<(u32, Data)>>,
    at: u32,
    cells: Vec<(u32, Data)>,
    bytes: usize,
}

impl Rows {
    fn put(&mut self, (r, c): (u32, u32), cell: Data) {
        if matches!(cell, Data::Empty) {
            return;
        }
        if r != self.at {
            self.flush();
            self.at = r;
        }
        self.bytes += cell_bytes(&cell);
        self.cells.push((c, cell));
    }

    fn flush(&mut self) {
        if !self.cells.is_empty() {
            let width = self.cells.len();
            let cells = std::mem::replace(&mut self.cells, Vec::with_capacity(width));
            self.rows.entry(self.at).or_default().extend(cells);
        }
    }

    fn finish(mut self) -> BTreeMap<u32, Vec<(u32, Data)>> {
        self.flush();
        self.rows
    }
}

impl SheetCells {
    /// The header's row, noting what is worth a note: the rows of a report's title above it
    /// (a name, a period, blank rows: the header is the first row, within [`TITLE_LINES`], with
    /// the roles' customer and item columns), and a sheet that reaches the last row a
    /// worksheet has (Excel cuts a larger export there when it opens and saves it). `None` for
    /// an empty sheet, noted as skipped.
    fn header_row(&self, name: &str, header_of: &Columns, notes: &mut Vec<String>) -> Option<u32> {
        let Some((&first, _)) = self.rows.first_key_value() else {
            notes.push(format!("sheet '{name}' skipped: it is empty"));
            return None;
        };
        if self.rows.last_key_value().is_some_and(|(&r, _)| r + 1 >= SHEET_ROWS) {
            notes.push(format!(
                "sheet '{name}' reaches row {SHEET_ROWS}, the last a worksheet has: an export opened in Excel and saved is cut there, so rows may be missing (read the export itself)"
            ));
        }
        let texts = |row: &[(u32, Data)]| -> Vec<String> {
            let mut out = Vec::new();
            for (c, cell) in row {
                let c = *c as usize;
                out.resize(out.len().max(c + 1), String::new());
                out[c] = cell_text(cell).unwrap_or_default();
            }
            out
        };
        if has_roles(&texts(&self.rows[&first]), Some(header_of)) {
            return Some(first);
        }
        let near = self.rows.range(first..first + TITLE_LINES as u32);
        let found = near.map(|(r, row)| (*r, texts(row))).find(|(_, row)| has_roles(row, Some(header_of)));
        match found {
            Some((at, _)) => {
                notes.push(format!("sheet '{name}': {}", title_note("row", at as usize + 1, at as usize)));
                Some(at)
            }
            None => Some(first),
        }
    }

    /// The columns read with header row `header_row`: those its header names and those with a
    /// value below it (a column neither names nor fills is no column), with their names.
    fn columns(&self, header_row: u32) -> (Vec<u32>, Vec<String>) {
        let named = self.rows.get(&header_row).into_iter().flatten();
        let named = named.filter(|(_, cell)| cell_text(cell).is_some_and(|t| !t.trim().is_empty()));
        let below = self.rows.range(header_row + 1..).flat_map(|(_, row)| row.iter());
        let mut columns: Vec<u32> = named.chain(below).map(|(c, _)| *c).collect();
        columns.sort_unstable();
        columns.dedup();
        let header_cells = self.rows.get(&header_row);
        let name = |c: &u32| {
            let cell = header_cells.and_then(|row| row.iter().find(|(k, _)| k == c));
            cell.and_then(|(_, cell)| cell_text(cell)).unwrap_or_default()
        };
        let names = columns.iter().map(name).collect();
        (columns, names)
    }

    /// Rewrites the number cells below the header row in the id columns `ids` (the customer's
    /// and the item's, as sheet columns) whose number format writes their digits otherwise
    /// than plainly ([`IdFormat`]: `00000`, `"A"0000`) as the text it shows; for each id, how
    /// many, and the first one's row (1-based) and what it was. Read as the number, `00012`
    /// was published as `12`, another id than the shop's CSV export of it carries.
    fn show_formatted(&mut self, header_row: u32, ids: [Option<u32>; 2]) -> [(usize, Option<(usize, String)>); 2] {
        let mut shown: [(usize, Option<(usize, String)>); 2] = Default::default();
        let formats = &self.styles.formats;
        for (&(r, c), &style) in self.styles.cells.range((header_row + 1, 0)..) {
            let Some(id) = ids.iter().position(|&i| i == Some(c)) else { continue };
            let (Some(Some(format)), Some(row)) = (formats.get(style), self.rows.get_mut(&r)) else { continue };
            let Some((_, cell)) = row.iter_mut().find(|(k, _)| *k == c) else { continue };
            let number = match cell {
                Data::Float(f) => *f,
                Data::Int(i) => *i as f64,
                _ => continue,
            };
            let Some(text) = format.show(number) else { continue };
            let (count, first) = &mut shown[id];
            *count += 1;
            first.get_or_insert_with(|| (r as usize + 1, format!("'{text}' in format {}", format.code)));
            *cell = Data::String(text);
        }
        shown
    }

    /// Gives each cell of a merged range one column wide below the header the range's value,
    /// as Excel shows it down the range (an order's number, date and customer merged down its
    /// lines were its first line's only, and the other lines were dropped for a missing
    /// customer, silently); a note counts them by column. Only rows that hold a value are
    /// filled, and at most as many bytes as the sheet's cells hold: a range across columns is
    /// a label or a box (a subtotal's "Order total" over the id columns became a customer
    /// buying an item of that name), and ranges filled into rows of their own made a box
    /// beside the table 170 empty purchases, or gigabytes of one long text.
    fn fill_merged(&mut self, header_row: u32, columns: &[u32], header: &[String], sheet: &str) -> Option<String> {
        let mut filled = vec![0usize; columns.len()];
        let mut budget = self.bytes;
        let mut unfilled = 0usize;
        for d in std::mem::take(&mut self.merged) {
            let Ok(k) = columns.binary_search(&d.start.1) else { continue };
            if d.start.0 <= header_row || d.start.1 != d.end.1 || d.start.0 == d.end.0 {
                continue;
            }
            let first = self.rows.get(&d.start.0).and_then(|row| row.iter().find(|(c, _)| *c == d.start.1));
            let Some(value) = first.map(|(_, v)| v.clone()) else { continue };
            let cost = cell_bytes(&value) * (d.end.0 - d.start.0) as usize;
            if cost > budget {
                unfilled += 1;
                continue;
            }
            budget -= cost;
            for (&r, row) in self.rows.range_mut(d.start.0 + 1..=d.end.0) {
                match row.iter_mut().find(|(c, _)| *c == d.start.1) {
                    Some((_, cell)) => *cell = value.clone(), // a value under the range is hidden in Excel
                    None => row.push((d.start.1, value.clone())),
                }
                self.styles.copy(d.start, (r, d.start.1));
                filled[k] += 1;
            }
        }
        let by_column: Vec<String> =
            filled.iter().zip(header).filter(|(n, _)| **n > 0).map(|(n, name)| format!("'{name}' {n}")).collect();
        let mut note = (!by_column.is_empty()).then(|| {
            format!(
                "sheet '{sheet}': cells of merged ranges read with the range's value, as Excel shows them ({})",
                by_column.join(", ")
            )
        });
        if unfilled > 0 {
            let more = format!(
                "{unfilled} merged ranges not filled: their value in every cell would take more than the sheet's cells do"
            );
            note = Some(match note {
                Some(n) => format!("{n}; {more}"),
                None => format!("sheet '{sheet}': {more}"),
            });
        }
        note
    }
}

/// About what a cell takes in memory: its slot and its text.
fn cell_bytes(cell: &Data) -> usize {
    40 + match cell {
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.len(),
        _ => 0,
    }
}

/// What to do with a second table below the first whose columns are in another order.
const OWN_SHEET: &str =
    "move the rows from there on to a sheet of their own: [input] sheet = \"*\" stacks sheets by their column names";

/// The first of the rows `below` a sheet's header that is the header again with the roles'
/// columns in another order ([`HeaderNames::moved`]): its row (0-based) and what moved.
fn header_again<'a>(
    mut below: impl Iterator<Item = (&'a u32, &'a Vec<(u32, Data)>)>,
    columns: &[u32],
    header: &[String],
    header_of: &Columns,
) -> Option<(u32, String)> {
    let roles: Vec<usize> = header_of.parsed().into_iter().filter_map(|name| at_role(header, Some(name))).collect();
    let names = HeaderNames::new(header);
    below.find_map(|(&r, row)| {
        let cell = |k: usize| match row.binary_search_by_key(&columns[k], |(c, _)| *c) {
            Ok(at) => match &row[at].1 {
                Data::String(text) => Some(text.as_str()),
                _ => None,
            },
            Err(_) => None,
        };
        names.moved(&roles, cell).map(|moved| (r, moved))
    })
}

/// A sparse row's cells at `columns` (sorted), the others empty.
fn dense(row: Vec<(u32, Data)>, columns: &[u32]) -> Vec<Data> {
    let mut out = vec![Data::Empty; columns.len()];
    for (c, cell) in row {
        if let Ok(k) = columns.binary_search(&c) {
            out[k] = cell;
        }
    }
    out
}

/// A note for each sheet not read (by default only the first is) whose header, within its
/// first [`TITLE_LINES`] rows, holds the customer and item columns too: a workbook of yearly
/// or monthly sheets read silently in part would recommend from a part of the history. An
/// xlsx sheet's first rows are streamed, not the sheet loaded; other formats' sheets are read.
fn alike_unread<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    metadata: &[calamine::Sheet],
    read: &[String],
    header_of: &Columns,
) -> Vec<String> {
    // the visible sheets, or every one when none is (then a hidden sheet was read)
    let any_visible = metadata.iter().any(|m| m.visible == SheetVisible::Visible);
    let offered = |m: &&calamine::Sheet| !any_visible || m.visible == SheetVisible::Visible;
    let unread = metadata.iter().filter(offered).filter(|m| !read.contains(&m.name));
    let names: Vec<String> = unread.map(|m| m.name.clone()).collect();
    let alike: Vec<String> =
        names.into_iter().filter(|name| header_at(first_rows(book, name).into_iter(), header_of).is_some()).collect();
    let Some(first) = alike.first() else { return Vec::new() };
    let which = alike.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    let first_read = read.first().map_or("the first", String::as_str);
    vec![format!(
        "sheet {which} {} the customer and item columns too, and {} not read: only the first visible sheet \
         ('{first_read}') is by default; set [input] sheet = \"*\" to stack every such sheet, or sheet = \
         {} to read that one",
        if alike.len() == 1 { "has" } else { "have" },
        if alike.len() == 1 { "was" } else { "were" },
        toml_text(first),
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

/// The columns the roles map ([`Columns::parsed`]: the segment's and the row filters' too)
/// and the invoice (it is audited): a sheet stacked without one would hold no value there,
/// silently (its rows unfiltered, unsegmented).
fn mapped_columns(r: &Columns) -> Vec<&String> {
    let mut mapped = r.parsed();
    mapped.extend(r.invoice.iter().filter(|i| !mapped.contains(i)).collect::<Vec<_>>());
    mapped
}

/// True when `header` has the roles' customer and item columns as the mapping finds them
/// ([`find_column`]: exactly, else by their key), or there are no roles.
fn has_roles(header: &[String], roles: Option<&Columns>) -> bool {
    lacking(header, roles, id_columns).is_empty()
}

/// The customer's and the item's columns: a sheet's header is the row that has them.
fn id_columns(r: &Columns) -> Vec<&String> {
    vec![&r.customer, &r.item]
}

/// The columns a sheet must have to be stacked: the customer's, the item's, the segment's
/// and the row filters' (optional roles the file may lack are left unmapped instead).
fn needed(r: &Columns) -> Vec<&String> {
    let mut needed = id_columns(r);
    needed.extend(r.segment.iter().chain(&r.rows));
    needed
}

/// [`has_roles`] with every [`needed`] column: a first sheet without a row filter's column
/// is skipped as a later one is, not refused (the outcome hung on the sheets' order).
fn has_needed(header: &[String], roles: Option<&Columns>) -> bool {
    lacking(header, roles, needed).is_empty()
}

/// The columns of `which` of `roles` that `header` lacks (none without roles).
fn lacking<'r>(header: &[String], roles: Option<&'r Columns>, which: fn(&Columns) -> Vec<&String>) -> Vec<&'r String> {
    roles.map(|r| absent(header, &which(r))).unwrap_or_default()
}

/// Why a sheet lacking `which` columns of `roles` is skipped or refused.
fn missing_text(header: &[String], roles: Option<&Columns>, which: fn(&Columns) -> Vec<&String>) -> String {
    let missing: Vec<String> = lacking(header, roles, which).iter().map(|c| format!("'{c}'")).collect();
    format!("its header has no column {} (it has: {})", missing.join(" or "), header.join(", "))
}

fn missing_needed(header: &[String], roles: Option<&Columns>) -> String {
    missing_text(header, roles, needed)
}

fn missing_roles(header: &[String], roles: Option<&Columns>) -> String {
    missing_text(header, roles, id_columns)
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
        Some(first) => {
            format!("the visible sheets are: {}; set [input] sheet = {}", visible.join(", "), toml_text(first))
        }
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
/// `kindred audit` maps no roles and audits a first sheet of other columns (a note names the
/// sheet with the mapping's); one without a data row below its header (`rows` false) it cannot
/// audit, and refuses it so, by the mapping's columns (it said "has a header but no data rows").
fn check_cover<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    name: &str,
    (header, rows): (&[String], bool),
    roles: Option<&Columns>,
    header_of: &Columns,
    path: &Path,
) -> Result<(), InputError> {
    let roles = roles.or((!rows).then_some(header_of));
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
            "this first sheet, read by default, is not the data: {}; sheet '{data}' has them: set [input] sheet = {} (or \"*\" to stack every sheet that has them)",
            missing_roles(header, roles),
            toml_text(&data)
        ),
    })
}

/// The sheets `[input] sheet` names among the workbook's: by default the first visible one
/// (Excel's first tab; a hidden sheet before it, a backup or a lookup, was read instead), every
/// visible one for `"*"` (a hidden copy stacked counted a month twice); a hidden sheet is read
/// when named, or when none is visible. Each hidden sheet passed over is noted. A name the
/// workbook lacks is an error listing those it has.
fn wanted_sheets(
    metadata: &[calamine::Sheet],
    sheet: Option<&str>,
    path: &Path,
    notes: &mut Vec<String>,
) -> Result<Vec<String>, InputError> {
    if metadata.is_empty() {
        return Err(InputError::Workbook { path: path.to_path_buf(), detail: "it has no sheets".into() });
    }
    let visible: Vec<&calamine::Sheet> = metadata.iter().filter(|m| m.visible == SheetVisible::Visible).collect();
    let hidden = |m: &&calamine::Sheet| m.visible != SheetVisible::Visible;
    let passed = |over: Vec<&calamine::Sheet>, why: &str, notes: &mut Vec<String>| {
        for m in over {
            notes.push(format!(
                "sheet '{}' skipped: it is hidden ({why}; set [input] sheet = {} to read it)",
                m.name,
                toml_text(&m.name)
            ));
        }
    };
    match (sheet, visible.first()) {
        (None, Some(first)) => {
            let before = metadata.iter().take_while(|m| m.name != first.name).filter(hidden).collect();
            passed(before, "the first visible sheet is read by default", notes);
            Ok(vec![first.name.clone()])
        }
        (None, None) => Ok(vec![metadata[0].name.clone()]),
        (Some("*"), Some(_)) => {
            passed(metadata.iter().filter(hidden).collect(), "\"*\" stacks the visible sheets", notes);
            Ok(visible.iter().map(|m| m.name.clone()).collect())
        }
        (Some("*"), None) => Ok(metadata.iter().map(|m| m.name.clone()).collect()),
        (Some(s), _) if metadata.iter().any(|m| m.name == s) => Ok(vec![s.to_string()]),
        (Some(s), _) => {
            let quoted: Vec<String> = metadata.iter().map(|m| format!("'{}'", m.name)).collect();
            Err(InputError::SheetMissing {
                path: path.to_path_buf(),
                sheet: s.to_string(),
                available: quoted.join(", "),
            })
        }
    }
}

/// The hidden sheet read by default in the first visible one's place, `first`, when no visible
/// sheet has the customer and item columns and a hidden one does (a hidden data sheet behind a
/// visible dashboard: read before hidden sheets were passed over, it must stay read); its
/// note replaces the one that said it was passed over.
fn hidden_data<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    metadata: &[calamine::Sheet],
    first: &str,
    header_of: &Columns,
    notes: &mut Vec<String>,
) -> Option<String> {
    let visible = |m: &calamine::Sheet| m.visible == SheetVisible::Visible;
    if metadata.iter().all(visible) || !metadata.iter().any(visible) {
        return None; // no hidden sheet; or no visible one, and the first is read
    }
    let mut has_columns = |name: &str| header_at(first_rows(book, name).into_iter(), header_of).is_some();
    let visible = metadata.iter().filter(|m| m.visible == SheetVisible::Visible);
    if visible.map(|m| m.name.clone()).collect::<Vec<_>>().iter().any(|n| has_columns(n)) {
        return None;
    }
    let hidden = metadata.iter().filter(|m| m.visible != SheetVisible::Visible).map(|m| m.name.clone());
    let data = hidden.collect::<Vec<_>>().into_iter().find(|n| has_columns(n))?;
    notes.retain(|n| !n.starts_with(&format!("sheet '{data}' skipped")));
    notes.push(format!(
        "sheet '{data}' is hidden and read: no visible sheet has the customer and item columns ('{first}' is the first visible one); set [input] sheet to read another"
    ));
    Some(data)
}

/// The rows an .xlsx worksheet has.
const SHEET_ROWS: u32 = 1_048_576;

/// A workbook as calamine opens it from a file.
type Book = calamine::Sheets<std::io::BufReader<std::fs::File>>;

/// Opens the workbook at `path` ([`book_of`]), with an .xls's or an .ods's id-formatted number
/// cells, one [`IdStyles`] per sheet in the workbook's order (an .xlsx's are read with its
/// cells).
fn open_book(
    path: &Path,
    notes: &mut Vec<String>,
    limit: Option<(u64, &'static str)>,
) -> Result<(Book, Vec<IdStyles>), InputError> {
    if let Some((limit, origin)) = limit {
        check_unpacked(path, limit, origin)?;
    }
    let xls = super::biff::check(path, limit)?;
    if is_ods(path) {
        check_ods(path, limit)?;
    }
    // an .ods's number styles are read beside calamine, which parses its sheets as it opens it
    // (read after it, they took a 60,000-row sheet's read from 2.6 s to 3.8 s)
    let (book, ods) = rayon::join(|| book_of(path, notes), || is_ods(path).then(|| super::ods::id_styles(path)));
    let book = book?;
    let styles = match (&book, ods) {
        (calamine::Sheets::Xls(_), _) => xls,
        (calamine::Sheets::Ods(_), Some(Ok(styles))) => styles,
        (calamine::Sheets::Ods(_), Some(Err(why))) => {
            notes.push(format!("its cells' number styles were not read ({why}): ids are read as their numbers"));
            Vec::new()
        }
        _ => Vec::new(),
    };
    // one per sheet, as calamine lists them, or none
    let styles = if styles.len() == book.sheets_metadata().len() { styles } else { Vec::new() };
    Ok((book, styles))
}

/// The workbook at `path` as calamine opens it, as its first bytes say
/// ([`check_workbook_bytes`]), noting when that is not what its name says.
fn book_of(path: &Path, notes: &mut Vec<String>) -> Result<Book, InputError> {
    if let Some((book, note)) = check_workbook_bytes(path)? {
        notes.push(note);
        return Ok(book);
    }
    open_workbook_auto(path).map_err(|e| InputError::Workbook { path: path.to_path_buf(), detail: e.to_string() })
}

fn is_ods(path: &Path) -> bool {
    path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ods"))
}

/// Refuses the .ods at `path` when the grids calamine makes of its sheets as it opens it
/// ([`super::ods::grids`]: every sheet, and a copy of the one read) need more than `limit`
/// (`[input] max_bytes` and where it came from), or one has more cells than calamine makes of
/// an .ods sheet (it refused such a file as "corrupt, password-protected, or not a
/// spreadsheet", a file LibreOffice opens). Its zip's unpacked size does not bound them: a
/// repeated row or cell is one element of XML. A file whose sheets do not read here is left to
/// calamine, which says why.
fn check_ods(path: &Path, limit: Option<(u64, &str)>) -> Result<(), InputError> {
    let Ok(grids) = super::ods::grids(path) else { return Ok(()) };
    let (mut total, mut largest) = (0u64, 0u64);
    for grid in grids {
        let (rows, columns) = (grid.rows, grid.columns);
        if grid.cells() > super::ods::MAX_CELLS {
            let ((row, column), max) = (grid.farthest, super::ods::MAX_CELLS);
            return Err(InputError::SheetTooLarge {
                path: path.into(),
                sheet: grid.sheet,
                rows,
                columns,
                row,
                column,
                max,
            });
        }
        (total, largest) = (total.saturating_add(grid.bytes()), largest.max(grid.bytes()));
        let bytes = total.saturating_add(largest);
        if let Some((limit, origin)) = limit.filter(|&(limit, _)| bytes > limit) {
            let (path, sheet, origin) = (path.to_path_buf(), grid.sheet, origin.to_string());
            return Err(InputError::GridTooLarge { path, sheet, rows, columns, bytes, limit, origin });
        }
    }
    Ok(())
}

/// Refuses a zipped workbook (.xlsx, .xlsm, .xlsb, .ods) whose entries unpack to more than
/// `limit` / [`super::WORKBOOK_MEMORY`] bytes, as its zip directory says, before calamine
/// unpacks it: a sheet is read whole, so a 3 MB file of 5 million empty rows took 4.5 GB and
/// one of 12 million over 8 GB (`[input] max_bytes` guarded CSV text only). A file that is no
/// zip is left to the checks that follow.
fn check_unpacked(path: &Path, limit: u64, origin: &str) -> Result<(), InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    let Ok(mut zip) = ::zip::ZipArchive::new(std::io::BufReader::new(file)) else { return Ok(()) };
    let unpacked: u64 = (0..zip.len()).filter_map(|i| zip.by_index_raw(i).ok().map(|f| f.size())).sum();
    match unpacked.saturating_mul(super::WORKBOOK_MEMORY) > limit {
        true => Err(InputError::BookTooLarge { path: path.to_path_buf(), unpacked, limit, origin: origin.to_string() }),
        false => Ok(()),
    }
}

/// Refuses, saying what it is, a file named as a workbook that is none: an encrypted `.xlsx`
/// (an OLE container where a zip belongs), text — a web shop's "Excel" export is often
/// tab-separated text or an HTML table named `.xls` — or another format [`magic`] knows
/// (Parquet, gzip, an empty file), which calamine would report as "Invalid OLE signature" or a
/// zip error. A workbook starts as a zip (`.xlsx`, `.xlsm`, `.xlsb`,
/// `.ods`) or an OLE container (`.xls`). A workbook of the other kind than its name says — an
/// Excel 97–2003 `.xls` saved as `.xlsx` (it was "encrypted"), an `.xlsx` named `.xls` (an
/// "Invalid OLE signature") — is opened as what it is, with a note.
fn check_workbook_bytes(path: &Path) -> Result<Option<(Book, String)>, InputError> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    let head = std::fs::File::open(path)
        .and_then(magic::head)
        .map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    let refuse = |detail: String| Err(InputError::Workbook { path: path.to_path_buf(), detail });
    let named = |kind: &str| {
        let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        format!("{file}: it is an {kind} workbook named .{ext}, read as one (rename it to say so)")
    };
    let not_a_workbook = |what: &str, todo: &str| refuse(format!("it is {what}, not a workbook; {todo}"));
    match magic::sniff(&head) {
        Format::Ole => match ext.as_str() {
            "xlsx" | "xlsm" | "xlsb" => match calamine::open_workbook::<calamine::Xls<_>, _>(path) {
                Ok(xls) => Ok(Some((calamine::Sheets::Xls(xls), named("Excel 97-2003 (.xls)")))),
                // an encrypted workbook is an OLE container without an .xls's streams
                Err(_) => {
                    refuse("the workbook is encrypted (password-protected); save a copy without a password".into())
                }
            },
            _ => Ok(None),
        },
        Format::Zip => {
            let xlsx = || calamine::open_workbook::<calamine::Xlsx<_>, _>(path).ok();
            Ok((ext == "xls").then(xlsx).flatten().map(|x| (calamine::Sheets::Xlsx(x), named(".xlsx"))))
        }
        Format::Binary => Ok(None), // binary of another kind: calamine says what it finds
        Format::Utf16 { .. } => not_a_workbook("UTF-16 text", "rename it .csv, or .tsv when tab-separated, to read it as text"),
        Format::Xml => refuse("it is XML (an Excel 2003 XML spreadsheet, say), not a workbook kindred reads; open it in Excel and save it as .xlsx, or as CSV".into()),
        Format::Html => not_a_workbook(
            "an HTML page (a web shop's \"Excel\" export often is a table in HTML)",
            "open it in Excel and save it as .xlsx, or as CSV",
        ),
        Format::Text => not_a_workbook("comma- or semicolon-separated text", "rename it .csv to read it as text"),
        Format::TabText => not_a_workbook("tab-separated text", "rename it .tsv to read it as text"),
        other => not_a_workbook(other.what(), other.todo()),
    }
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

/// A date cell's time, when its serial is one Excel shows as a date or a time (0 to the end of
/// 9999): calamine's conversion panicked on a serial below about −1.07e11 (a damaged cell).
fn datetime(dt: &ExcelDateTime) -> Option<chrono::NaiveDateTime> {
    (0.0..2_958_466.0).contains(&dt.as_f64()).then(|| dt.as_datetime()).flatten()
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
        Data::DateTime(dt) => match datetime(dt) {
            // a time without a date (day 0): as Excel shows it, no date
            Some(t) if dt.is_datetime() && dt.as_f64() < 1.0 => Some(t.format("%H:%M:%S").to_string()),
            Some(t) => Some(t.format("%Y-%m-%d %H:%M:%S").to_string()),
            None => Some(number_text(dt.as_f64())),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Excel's mark of a day-first CSV opened month-first: date cells none after the 12th, every
    /// text a day above 12 first. A date cell after the 12th, or one text that could be
    /// month-first, or no text at all, is not it.
    #[test]
    fn dates_excel_swapped_are_told_by_their_days() {
        // a date cell as Excel holds it
        let cell = |y: i32, m: u32, d: u32| {
            let day = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(8, 0, 0).unwrap();
            let serial = (day - chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap().and_hms_opt(0, 0, 0).unwrap())
                .num_seconds() as f64
                / 86_400.0;
            Data::DateTime(ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false))
        };
        // a true day as the month-first Excel saved it: day and month swapped
        let swapped = |y: i32, m: u32, d: u32| cell(y, d, m);
        let read = |cells: &[Data]| {
            let mut dates = DateCells::default();
            for (k, c) in cells.iter().enumerate() {
                dates.see(Some(c), k, ("export", k + 2));
            }
            dates.swap.swapped("InvoiceDate", Path::new("x.xlsx")).map(|e| e.to_string())
        };
        let text = |t: &str| Data::String(t.to_string());
        // 5 and 9 December 2010 and 3 January 2011 swapped, the other days text
        let winter = [
            swapped(2010, 12, 5),
            swapped(2010, 12, 9),
            swapped(2011, 1, 3),
            text("13/12/2010 08:26"),
            text("31.12.2010"),
            text("20/01/11"),
        ];
        let said = read(&winter).unwrap();
        assert!(
            said.contains("sheet 'export' row 5") && said.contains("3 date cells") && said.contains("3 dates as text")
        );
        assert!(said.contains("'13/12/2010 08:26'"), "{said}");
        // a 30-day export across a month's end (helper-104): November as text, 1-9 December
        // as cells, the 12th of January to September as read
        let mut rolling: Vec<Data> = (1..=9).map(|d| swapped(2011, 12, d)).collect();
        rolling.extend((15..=30).map(|d| text(&format!("{d}/11/2011 10:00"))));
        assert!(read(&rolling).is_some());
        // a dump's NULL among them is no date (helper-103): still the swap
        let mut with_null = winter.to_vec();
        with_null.push(text("NULL"));
        assert!(read(&with_null).is_some());
        // look-alikes: a cell after the 12th, a text read either way, a text year first, no text
        assert_eq!(read(&[cell(2011, 5, 13), swapped(2011, 1, 6), text("13/12/2010 08:26")]), None);
        assert_eq!(read(&[swapped(2010, 12, 5), text("13/12/2010"), text("12/11/2010")]), None);
        assert_eq!(read(&[swapped(2010, 12, 5), text("2010-12-13")]), None);
        assert_eq!(read(&[swapped(2010, 12, 5), swapped(2010, 12, 3)]), None);
        // month-to-date exports with one date typed by hand as text (helper-103, helper-104):
        // as read the span is days, swapped back months
        let mut february: Vec<Data> = (1..=10).map(|d| cell(2011, 2, d)).collect();
        february.push(text("31/01/2011 16:05"));
        assert_eq!(read(&february), None);
        assert_eq!(read(&[cell(2011, 12, 1), cell(2011, 12, 9), text("30/11/2011 10:00")]), None);
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(
            (only_day_first("25-03-2011"), only_day_first("13.12.10 08:00"), only_day_first("12/25/2011")),
            (day(2011, 3, 25), day(2010, 12, 13), None)
        );
        assert_eq!((only_day_first("Dec 13"), only_day_first("31/02/2011")), (None, None));
    }

    /// A sheet's name in a hint is TOML a pipeline takes as written: `Q"4 sales` was suggested
    /// as `sheet = "Q"4 sales"`, which does not parse.
    #[test]
    fn a_sheet_name_in_a_hint_parses_as_toml() {
        for name in ["Sales", "Q\"4 sales", "a\\b", "it's", "tab\there"] {
            let line = format!("sheet = {}", toml_text(name));
            let read: toml::Table = toml::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(read["sheet"].as_str(), Some(name), "{line}");
        }
        assert_eq!(toml_text("Feb"), "\"Feb\"", "a plain name as the hints wrote it");
    }

    /// A damaged date cell's serial far below 0 panicked in calamine's conversion: it is the
    /// number it holds; day 0's fraction is a time, a serial past 9999 a number.
    #[test]
    fn a_date_cell_out_of_excels_range_is_its_number() {
        let cell = |serial: f64| Data::DateTime(ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, false));
        assert_eq!(cell_text(&cell(-2e11)).as_deref(), Some("-200000000000"));
        assert_eq!(cell_text(&cell(-0.5)).as_deref(), Some("-0.5"));
        assert_eq!(cell_text(&cell(0.5)).as_deref(), Some("12:00:00"));
        assert_eq!(cell_text(&cell(40513.5)).as_deref(), Some("2010-12-01 12:00:00"));
        assert_eq!(cell_text(&cell(1e20)).as_deref(), Some(number_text(1e20).as_str()));
    }
}
