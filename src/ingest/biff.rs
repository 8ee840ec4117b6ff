//! Excel 97–2003 (.xls) workbooks looked over before calamine opens them.
//!
//! calamine parses every sheet of an .xls as it opens the file, and it trusts the file: it
//! reads the records of a sheet one after another by their stated lengths until an end record,
//! and it makes each sheet its whole grid, from its first cell to its farthest one. So a block
//! of bytes overwritten or lost mid-sheet (a damaged disk, an interrupted copy) is read on as
//! records, and the rows after it vanish without an error when the misaligned walk meets two
//! bytes that read as an end record (a helper's 4 KiB of zeros published 12,865 of 20,000
//! rows); and one damaged cell at column 16,383 of row 65,535 asked for a grid of 34 GB, and
//! the process aborted without naming the file.
//!
//! [`check`] walks the same records of the workbook's stream first (read with the `cfb` crate;
//! calamine's own reader of the container is private) and refuses, naming the file and the
//! sheet, what the format cannot hold or what damage leaves behind:
//! - a container the `cfb` crate cannot read: calamine follows the directory's chain of
//!   sectors with no end but memory, so a sector lost from the file's middle (a 512-byte cut
//!   that looped the chain) took all memory; `cfb` checks the chains, and its checks were
//!   relaxed over the years for every well-formed-enough file other readers open (it reads
//!   every .xls of calamine's own tests);
//! - a record of a type the format has not (above 0x10FF, the highest MS-XLS defines being
//!   0x1068), or longer than its 8,224 bytes, or of type 0 twice running (what zeroed bytes
//!   read as): what a walk through damaged bytes reads (of random bytes, 99% of the records'
//!   heads do so). Type 0 alone is no damage: it is Excel 2's dimensions record, of 8 or 10
//!   bytes, which Excel 5/95 still writes in charts, and Crystal Reports writes four zero
//!   bytes after some records (xlrd reads past both; so does this);
//! - a sheet whose end record is followed by neither the next sheet's start nor the stream's
//!   end (the walk ended on damaged bytes that happened to read as an end record);
//! - a cell beyond the 256 columns, or a sheet size beyond the 65,536 rows, of the format;
//! - a grid bigger than `[input] max_bytes` (the grids calamine allocates, before it does).
//!
//! A file that is no compound file, one without a workbook stream, or an encrypted one (its
//! records past the globals' first ones are ciphered) is left to calamine, which says what it
//! finds.
//!
//! The same walk gives each sheet's number cells whose number format is an id's
//! ([`IdStyles`]: `00000` shows 12 as `00012`), which calamine reads but does not give: a
//! Format record maps a format's index to its code, an XF record (the n-th) a style to its
//! format's index, and each Number, RK, MulRK and Formula cell names its style (MS-XLS 2.4.126,
//! 2.4.353, 2.5.216). The formats Excel builds in (indexes below 164 without a Format record)
//! are none an id's: General, `0`, `0.00`, `#,##0`, percents, dates.
//! Neither the shared strings' count nor a sheet's index of its row blocks is checked: writers
//! get both wrong (calamine's test file gh548_incorrect_sst_unique_count.xls; of 580 .xls in
//! the test files of Apache POI, PhpSpreadsheet, SheetJS and xlrd, 11 intact ones have an index
//! whose offsets count from elsewhere, or are placeholders), and calamine reads neither.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use crate::error::InputError;
use crate::ingest::numfmt::{IdFormat, IdStyles};

/// An Excel 97–2003 sheet's columns and rows.
const COLUMNS: u32 = 256;
const ROWS: u32 = 65_536;
/// The longest record's data (MS-XLS 2.1.4; longer data is written on in Continue records).
const RECORD_BYTES: usize = 8224;
/// Above the highest record type MS-XLS defines (0x1068).
const KINDS: u16 = 0x1100;

/// Record types (MS-XLS 2.3): the substreams' bounds, and what locates the cells.
const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const BOUND_SHEET: u16 = 0x0085;
const FILE_PASS: u16 = 0x002F;
const DIMENSIONS: u16 = 0x0200;
const FORMULA: u16 = 0x0006;
const LABEL_SST: u16 = 0x00FD;
const MUL_RK: u16 = 0x00BD;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
/// The cell records calamine makes cells of (besides those above): Number, Label, RString,
/// BoolErr, RK. A blank cell (Blank, MulBlank) is no cell of its grid.
const CELLS: [u16; 5] = [NUMBER, 0x0204, 0x00D6, 0x0205, RK];
/// The globals' records of number formats and of styles (extended formats).
const FORMAT: u16 = 0x041E;
const XF: u16 = 0x00E0;

/// Refuses the .xls at `path` when its records are damaged, or when the grids calamine would
/// make of its sheets need more than `limit` bytes (`[input] max_bytes` and where it came
/// from); else each sheet's id-formatted number cells, in the order of the workbook's sheets
/// (none when it is no .xls calamine reads). See the module's text.
pub(super) fn check(path: &Path, limit: Option<(u64, &str)>) -> Result<Vec<IdStyles>, InputError> {
    let damaged = |part: String, detail: String| InputError::Biff { path: path.to_path_buf(), part, detail };
    let Some(stream) = workbook_stream(path).map_err(|detail| damaged("container".into(), detail))? else {
        return Ok(Vec::new());
    };
    let Globals { sheets, formats } = globals(&stream).map_err(|detail| damaged("workbook globals".into(), detail))?;
    let (mut grids, mut reserved, mut styles) = (0u64, 0u64, Vec::with_capacity(sheets.len()));
    for sheet in &sheets {
        let scan = scan_sheet(&stream, sheet.at, &formats)
            .map_err(|detail| damaged(format!("sheet '{}'", sheet.name), detail))?;
        grids = grids.saturating_add(scan.grid_bytes());
        reserved = reserved.max(scan.reserved_bytes());
        if let Some((limit, origin)) = limit.filter(|&(limit, _)| grids.saturating_add(reserved) > limit) {
            return Err(InputError::GridTooLarge {
                path: path.to_path_buf(),
                sheet: sheet.name.clone(),
                rows: scan.cells.rows(),
                columns: scan.cells.columns(),
                bytes: grids.saturating_add(reserved),
                limit,
                origin: origin.to_string(),
            });
        }
        styles.push(scan.styles);
    }
    Ok(styles)
}

/// The workbook's stream ("Workbook", or "Book" in Excel 5/95 files); `None` when the file is
/// no compound file or has no such stream, `Err` with the `cfb` crate's words when it is one
/// that cannot be read.
fn workbook_stream(path: &Path) -> Result<Option<Vec<u8>>, String> {
    const SIGNATURE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    let mut head = [0; 8];
    let read = std::fs::File::open(path).and_then(|mut file| file.read_exact(&mut head));
    if read.is_err() || head != SIGNATURE {
        return Ok(None);
    }
    let mut file = cfb::open(path).map_err(|e| e.to_string())?;
    let Some(name) = ["/Workbook", "/Book"].into_iter().find(|name| file.is_stream(name)) else { return Ok(None) };
    let mut stream = Vec::new();
    file.open_stream(name).and_then(|mut s| s.read_to_end(&mut stream)).map_err(|e| e.to_string())?;
    Ok(Some(stream))
}

/// One record: its offset in the stream, its type and its data.
struct Record<'s> {
    at: usize,
    kind: u16,
    data: &'s [u8],
}

/// The records from `at` on, each by its stated length; `Err` with the offset of a record that
/// runs past the stream's end.
fn records(stream: &[u8], mut at: usize) -> impl Iterator<Item = Result<Record<'_>, usize>> {
    std::iter::from_fn(move || {
        let head = stream.get(at..at.checked_add(4)?)?;
        let (kind, len) = (u16_at(head, 0), usize::from(u16_at(head, 2)));
        let Some(data) = stream.get(at + 4..at + 4 + len) else {
            let fault = at;
            at = stream.len();
            return Some(Err(fault));
        };
        let record = Record { at, kind, data };
        at += 4 + len;
        Some(Ok(record))
    })
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    bytes.get(at..at + 2).map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes.get(at..at + 4).map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Where the globals say a sheet starts, and its name.
struct Bound {
    at: usize,
    name: String,
}

/// What the globals say: where each sheet starts, and each style's number format when it is
/// an id's ([`IdFormat`]; by the style's index, as cells name it).
struct Globals {
    sheets: Vec<Bound>,
    formats: Vec<Option<IdFormat>>,
}

/// Walks the workbook's globals, from the stream's start to its end record: the sheets (none
/// when the workbook is encrypted) and the styles' formats.
fn globals(stream: &[u8]) -> Result<Globals, String> {
    let (mut sheets, mut codes, mut styles) = (Vec::new(), BTreeMap::new(), Vec::new());
    let mut biff8 = true;
    let mut previous = None;
    for record in records(stream, 0) {
        let record = record.map_err(cut_short)?;
        let before = previous.replace(record.kind);
        match record.kind {
            kind if alien(&record, before) => return Err(unknown(kind, record.at, None)),
            BOF => biff8 = u16_at(record.data, 0) != 0x0500,
            BOUND_SHEET => {
                let at = u32_at(record.data, 0) as usize;
                sheets.push(Bound { at, name: sheet_name(record.data.get(6..).unwrap_or(&[]), biff8) });
            }
            FORMAT => codes.extend(format_code(record.data, biff8)),
            XF => styles.push(u16_at(record.data, 2)),
            FILE_PASS => return Ok(Globals { sheets: Vec::new(), formats: Vec::new() }),
            EOF => {
                ends_well(stream, record.at + 4 + record.data.len(), None)?;
                break;
            }
            _ => {}
        }
    }
    let formats = styles.iter().map(|index| codes.get(index).and_then(|code: &String| IdFormat::parse(code))).collect();
    Ok(Globals { sheets, formats })
}

/// A Format record's index and code: the code's count of characters (two bytes from Excel 97
/// on, one before), a flag for two-byte characters (from Excel 97 on), then the characters.
fn format_code(data: &[u8], biff8: bool) -> Option<(u16, String)> {
    let index = u16_at(data, 0);
    let code = match biff8 {
        true => {
            let count = usize::from(u16_at(data, 2));
            match data.get(4)? & 1 {
                1 => utf16(data.get(5..)?, count),
                _ => data.get(5..)?.iter().take(count).map(|&b| char::from(b)).collect(),
            }
        }
        false => data.get(3..)?.iter().take(usize::from(*data.get(2)?)).map(|&b| char::from(b)).collect(),
    };
    Some((index, code))
}

/// A sheet's name as its BoundSheet record holds it: a count of characters, then (Excel 97 on)
/// a flag for two-byte characters, then the characters.
fn sheet_name(bytes: &[u8], biff8: bool) -> String {
    let count = usize::from(bytes.first().copied().unwrap_or(0));
    let name = match biff8 {
        true if bytes.get(1).is_some_and(|flags| flags & 1 == 1) => utf16(&bytes[2..], count),
        true => bytes.iter().skip(2).take(count).map(|&b| char::from(b)).collect(),
        false => bytes.iter().skip(1).take(count).map(|&b| char::from(b)).collect(),
    };
    name.replace('\0', "")
}

/// The first `count` characters of two bytes each of `bytes`.
fn utf16(bytes: &[u8], count: usize) -> String {
    let units: Vec<u16> = bytes.chunks_exact(2).take(count).map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
    String::from_utf16_lossy(&units)
}

/// The cells' extent: first and last row and column, as calamine's grid spans them.
#[derive(Default, Clone, Copy)]
struct Extent(Option<(u32, u32, u32, u32)>);

impl Extent {
    fn add(&mut self, row: u32, col: u32) {
        let (r0, r1, c0, c1) = self.0.unwrap_or((row, row, col, col));
        self.0 = Some((r0.min(row), r1.max(row), c0.min(col), c1.max(col)));
    }
    fn rows(&self) -> u64 {
        self.0.map_or(0, |(r0, r1, ..)| u64::from(r1 - r0) + 1)
    }
    fn columns(&self) -> u64 {
        self.0.map_or(0, |(_, _, c0, c1)| u64::from(c1 - c0) + 1)
    }
    fn cells(&self) -> u64 {
        self.rows() * self.columns()
    }
}

/// A sheet as its records say: the extent of its cells and of its formulas, the cells the
/// dimensions record makes calamine reserve room for, and its id-formatted number cells.
#[derive(Default)]
struct Scan {
    styles: IdStyles,
    cells: Extent,
    formulas: Extent,
    reserve: u64,
}

impl Scan {
    /// The grids calamine keeps: a value per cell of the cells' extent, a text per cell of the
    /// formulas' extent.
    fn grid_bytes(&self) -> u64 {
        let value = std::mem::size_of::<calamine::Data>() as u64;
        let text = std::mem::size_of::<String>() as u64;
        self.cells.cells().saturating_mul(value).saturating_add(self.formulas.cells().saturating_mul(text))
    }
    /// The room calamine reserves for the sheet's cells while it reads them.
    fn reserved_bytes(&self) -> u64 {
        self.reserve.saturating_mul(std::mem::size_of::<calamine::Cell<calamine::Data>>() as u64)
    }
}

/// Walks one sheet's records from its start record at `at` to its end record, as calamine
/// does (a chart's records nested in it skipped); `formats`: the styles' ([`Globals`]).
fn scan_sheet(stream: &[u8], at: usize, formats: &[Option<IdFormat>]) -> Result<Scan, String> {
    let mut scan = Scan::default();
    let styled = formats.iter().any(Option::is_some);
    if styled {
        scan.styles.formats = formats.to_vec();
    }
    let mut last_row: Option<u32> = None;
    let mut depth = 0usize;
    let mut previous = None;
    for (n, record) in records(stream, at).enumerate() {
        let record = record.map_err(cut_short)?;
        let data = record.data;
        let before = previous.replace(record.kind);
        match (record.kind, depth) {
            (BOF, _) if n == 0 => {}
            (_, _) if n == 0 => {
                return Err(format!("its first record, at byte {at} of the workbook stream, is not a sheet's start"))
            }
            (kind, _) if alien(&record, before) => return Err(unknown(kind, record.at, last_row)),
            (BOF, _) => depth += 1,
            (EOF, 0) => return ends_well(stream, record.at + 4 + data.len(), last_row).map(|()| scan),
            (EOF, _) => depth -= 1,
            (_, 1..) => {}
            (DIMENSIONS, _) => scan.reserve = reserve(data)?,
            (kind, _) => {
                let Some((row, first, last)) = cell_span(kind, data) else { continue };
                if last >= COLUMNS {
                    return Err(format!(
                        "a cell at row {} is in column {}, beyond the {COLUMNS} columns a sheet of this format has",
                        row + 1,
                        last + 1
                    ));
                }
                if kind == FORMULA {
                    scan.formulas.add(row, first);
                }
                if styled {
                    style_cells(kind, data, (row, first), &mut scan.styles);
                }
                scan.cells.add(row, first);
                scan.cells.add(row, last);
                last_row = Some(last_row.map_or(row, |r| r.max(row)));
            }
        }
    }
    Err(format!("it has no end record{}: the file was cut short", after(last_row)))
}

/// The row and the first and last column of a cell record calamine makes cells of.
fn cell_span(kind: u16, data: &[u8]) -> Option<(u32, u32, u32)> {
    if data.len() < 6 || !(CELLS.contains(&kind) || [FORMULA, LABEL_SST, MUL_RK].contains(&kind)) {
        return None;
    }
    let (row, first) = (u32::from(u16_at(data, 0)), u32::from(u16_at(data, 2)));
    let last = match kind {
        MUL_RK => u32::from(u16_at(data, data.len() - 2)).max(first),
        _ => first,
    };
    Some((row, first, last))
}

/// Keeps the number cells of a cell record (Number, RK, MulRK, Formula: the records whose cells
/// calamine may read as numbers) at `(row, first)` whose style's format is an id's.
fn style_cells(kind: u16, data: &[u8], (row, first): (u32, u32), styles: &mut IdStyles) {
    match kind {
        NUMBER | RK | FORMULA => styles.add((row, first), usize::from(u16_at(data, 4))),
        // a style and a number (6 bytes) for each column from the first, then the last column
        MUL_RK => {
            let cells = data.get(4..data.len().saturating_sub(2)).unwrap_or(&[]).chunks_exact(6);
            for (k, cell) in (0u32..).zip(cells) {
                styles.add((row, first + k), usize::from(u16_at(cell, 0)));
            }
        }
        _ => {}
    }
}

/// The cells calamine reserves room for as the dimensions record says; refused when they are
/// beyond the format's sheet (calamine's count wraps round to billions when the first row is
/// past the last).
fn reserve(data: &[u8]) -> Result<u64, String> {
    let (first_row, end_row, first_col, end_col) = match data.len() {
        10 => (u32::from(u16_at(data, 0)), u32::from(u16_at(data, 2)), u16_at(data, 4), u16_at(data, 6)),
        _ => (u32_at(data, 0), u32_at(data, 4), u16_at(data, 8), u16_at(data, 10)),
    };
    let (first_col, end_col) = (u32::from(first_col), u32::from(end_col));
    if end_row == 0 || end_col == 0 {
        return Ok(0);
    }
    if end_row > ROWS || first_row >= end_row || end_col > COLUMNS {
        return Err(format!(
            "its dimensions record says rows {} to {end_row} and columns {} to {end_col}, which a sheet of this format ({ROWS} rows, {COLUMNS} columns) has not",
            first_row + 1,
            first_col + 1
        ));
    }
    // calamine reads a first column past the format's as 0, as this does
    let first_col = if first_col >= COLUMNS || first_col >= end_col { 0 } else { first_col };
    Ok(u64::from(end_row - first_row) * u64::from(end_col - first_col))
}

/// A substream's end record is followed by the next one's start record, or by the stream's
/// end (or bytes of zero up to it: some writers round the stream up).
fn ends_well(stream: &[u8], end: usize, last_row: Option<u32>) -> Result<(), String> {
    let rest = stream.get(end..).unwrap_or(&[]);
    match rest.iter().all(|&b| b == 0) || u16_at(rest, 0) == BOF {
        true => Ok(()),
        false => Err(format!(
            "an end record at byte {} of the workbook stream is followed by no sheet's start{}: the bytes before it are damaged",
            end - 4,
            after(last_row)
        )),
    }
}

/// A record no writer of the format writes: of a type past the highest defined, longer than
/// a record may be, or of type 0 after one of type 0 or of a length Excel 2's dimensions record
/// has not (`before`: the record before it).
fn alien(record: &Record, before: Option<u16>) -> bool {
    let zero = record.kind == 0 && (before == Some(0) || ![0, 8, 10].contains(&record.data.len()));
    zero || record.kind >= KINDS || record.data.len() > RECORD_BYTES
}

fn unknown(kind: u16, at: usize, last_row: Option<u32>) -> String {
    format!(
        "a record of type {kind:#06x} at byte {at} of the workbook stream{}, of a type or a length (over {RECORD_BYTES} bytes) the format has not: bytes overwritten or lost",
        after(last_row)
    )
}

fn cut_short(at: usize) -> String {
    format!("a record at byte {at} of the workbook stream runs past its end: the file was cut short or damaged")
}

fn after(last_row: Option<u32>) -> String {
    last_row.map(|row| format!(" (after sheet row {})", row + 1)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::Reader;
    use std::io::Write;

    fn record(kind: u16, data: &[u8]) -> Vec<u8> {
        let mut bytes = kind.to_le_bytes().to_vec();
        bytes.extend((data.len() as u16).to_le_bytes());
        bytes.extend(data);
        bytes
    }

    fn number(row: u16, col: u16, value: f64) -> Vec<u8> {
        let data: Vec<u8> = [row.to_le_bytes(), col.to_le_bytes(), 0u16.to_le_bytes()].concat();
        record(0x0203, &[data, value.to_le_bytes().to_vec()].concat())
    }

    fn bof(kind: u16) -> Vec<u8> {
        record(
            BOF,
            &[0x0600u16.to_le_bytes(), kind.to_le_bytes(), [0; 2], [0; 2]]
                .concat()
                .into_iter()
                .chain([0; 8])
                .collect::<Vec<u8>>(),
        )
    }

    fn dimensions(rows: u32, cols: u16) -> Vec<u8> {
        record(
            DIMENSIONS,
            &[0u32.to_le_bytes(), rows.to_le_bytes()]
                .concat()
                .into_iter()
                .chain([0, 0])
                .chain(cols.to_le_bytes())
                .chain([0, 0])
                .collect::<Vec<u8>>(),
        )
    }

    /// A workbook stream of one sheet 'Data' whose records are `sheet` (between its start and
    /// end records), and the stream offset where `sheet` begins.
    fn stream(sheet: &[Vec<u8>]) -> (Vec<u8>, usize) {
        styled_stream(&[], sheet)
    }

    /// [`stream`] with the records `styles` (formats, styles) in its globals.
    fn styled_stream(styles: &[Vec<u8>], sheet: &[Vec<u8>]) -> (Vec<u8>, usize) {
        let name = b"Data";
        let bound = |at: u32| {
            record(BOUND_SHEET, &[at.to_le_bytes().to_vec(), vec![0, 0, name.len() as u8, 0], name.to_vec()].concat())
        };
        let styles = styles.concat();
        let globals_len = bof(0x0005).len() + styles.len() + bound(0).len() + 4;
        let mut bytes = [bof(0x0005), styles, bound(globals_len as u32), record(EOF, &[])].concat();
        bytes.extend(bof(0x0010));
        let cells = bytes.len();
        bytes.extend(sheet.concat());
        bytes.extend(record(EOF, &[]));
        (bytes, cells)
    }

    /// A sheet of `rows` rows of two number cells.
    fn rows(rows: u16) -> Vec<Vec<u8>> {
        let mut sheet = vec![dimensions(u32::from(rows), 2)];
        sheet.extend((0..rows).flat_map(|r| [number(r, 0, f64::from(r)), number(r, 1, 1.5)]));
        sheet
    }

    fn write(dir: &Path, stream: &[u8]) -> std::path::PathBuf {
        let path = dir.join("book.xls");
        // version 3, as Excel writes (calamine reads no version 4 file without a mini stream)
        let mut file =
            cfb::CompoundFile::create_with_version(cfb::Version::V3, std::fs::File::create(&path).unwrap()).unwrap();
        file.create_stream("/Workbook").unwrap().write_all(stream).unwrap();
        file.flush().unwrap();
        path
    }

    /// The rows calamine reads of the sheet.
    fn calamine_rows(path: &Path) -> usize {
        let mut book: calamine::Xls<_> = calamine::open_workbook(path).unwrap();
        book.worksheet_range("Data").unwrap().height()
    }

    fn refusal(path: &Path, limit: Option<(u64, &str)>) -> String {
        check(path, limit).unwrap_err().to_string()
    }

    /// A Format record: `index`, then `code` in one-byte or (`wide`) two-byte characters.
    fn format(index: u16, code: &str, wide: bool) -> Vec<u8> {
        let units: Vec<u16> = code.encode_utf16().collect();
        let mut data = [index.to_le_bytes(), (units.len() as u16).to_le_bytes()].concat();
        data.push(u8::from(wide));
        match wide {
            true => data.extend(units.iter().flat_map(|u| u.to_le_bytes())),
            false => data.extend(code.bytes()),
        }
        record(FORMAT, &data)
    }

    /// An XF record of format `index` (its other fields zero).
    fn xf(index: u16) -> Vec<u8> {
        record(XF, &[[0, 0], index.to_le_bytes()].concat().into_iter().chain([0; 16]).collect::<Vec<u8>>())
    }

    /// A cell record of `kind` at (`row`, `col`) of style `style`, holding 12 (an RK's integer).
    fn styled(kind: u16, row: u16, col: u16, style: u16) -> Vec<u8> {
        let head = [row.to_le_bytes(), col.to_le_bytes(), style.to_le_bytes()].concat();
        let value = match kind {
            RK => ((12u32 << 2) | 2).to_le_bytes().to_vec(),
            _ => 12f64.to_le_bytes().to_vec(),
        };
        record(kind, &[head, value].concat())
    }

    /// A MulRK record of row `row` from column `first`, a cell of each style of `styles`.
    fn mul_rk(row: u16, first: u16, styles: &[u16]) -> Vec<u8> {
        let mut data = [row.to_le_bytes(), first.to_le_bytes()].concat();
        for style in styles {
            data.extend(style.to_le_bytes());
            data.extend(((12u32 << 2) | 2).to_le_bytes());
        }
        data.extend((first + styles.len() as u16 - 1).to_le_bytes());
        record(MUL_RK, &data)
    }

    #[test]
    fn id_formatted_number_cells_are_found_where_calamine_reads_their_numbers() {
        let dir = tempfile::tempdir().unwrap();
        // styles 0 General, 1 `00000`, 2 `0.00`, 3 `"A"0000` (in two-byte characters), 4 of a
        // format without a record (built in: no id's)
        let styles = [
            format(164, "00000", false),
            format(165, "0.00", false),
            format(166, "\"A\"0000", true),
            xf(0),
            xf(164),
            xf(165),
            xf(166),
            xf(1),
        ];
        let sheet = vec![
            dimensions(5, 4),
            styled(NUMBER, 1, 0, 1),
            styled(NUMBER, 1, 1, 2),
            styled(RK, 2, 0, 3),
            styled(RK, 2, 1, 4),
            mul_rk(3, 0, &[1, 0, 3, 2]),
            bof(0x0020), // a chart's cells are none of the sheet's
            styled(NUMBER, 4, 0, 1),
            record(EOF, &[]),
        ];
        let path = write(dir.path(), &styled_stream(&styles, &sheet).0);
        let found = check(&path, None).unwrap();
        assert_eq!(found.len(), 1);
        let cells: Vec<((u32, u32), String)> =
            found[0].cells.iter().map(|(&at, &k)| (at, found[0].formats[k].as_ref().unwrap().code.clone())).collect();
        let codes = |list: &[((u32, u32), &str)]| list.iter().map(|&(at, c)| (at, c.to_string())).collect::<Vec<_>>();
        assert_eq!(cells, codes(&[((1, 0), "00000"), ((2, 0), "\"A\"0000"), ((3, 0), "00000"), ((3, 2), "\"A\"0000")]));
        let mut book: calamine::Xls<_> = calamine::open_workbook(&path).unwrap();
        let range = book.worksheet_range("Data").unwrap();
        for (at, _) in &cells {
            let value = range.get_value(*at).cloned();
            assert!(matches!(value, Some(calamine::Data::Float(12.0) | calamine::Data::Int(12))), "{at:?}: {value:?}");
        }
    }

    #[test]
    fn a_sound_workbook_passes_as_calamine_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &stream(&rows(500)).0);
        check(&path, Some((1 << 30, "as set"))).unwrap();
        assert_eq!(calamine_rows(&path), 500);
    }

    #[test]
    fn zeroed_bytes_mid_sheet_are_refused_where_calamine_reads_on() {
        let dir = tempfile::tempdir().unwrap();
        let (mut bytes, cells) = stream(&rows(500));
        // 4 KiB from the middle of a record on: the walk meets records of type 0
        let at = cells + 18 * 301 + 7;
        bytes[at..at + 4096].fill(0);
        let path = write(dir.path(), &bytes);
        let err = refusal(&path, None);
        assert!(
            err.contains("damaged sheet 'Data': a record of type 0x0000") && err.contains("(after sheet row 151)"),
            "{err}"
        );
        assert!(err.contains("book.xls"), "{err}");
    }

    #[test]
    fn an_end_record_amid_the_cells_is_refused_where_calamine_stops_without_a_word() {
        let dir = tempfile::tempdir().unwrap();
        let (mut bytes, cells) = stream(&rows(500));
        // a number record's bytes overwritten so that they read as an end record and junk
        let at = cells + 18 * 400;
        bytes[at..at + 18]
            .copy_from_slice(&[0x0A, 0, 0, 0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 1, 2, 3, 4, 5, 6]);
        let path = write(dir.path(), &bytes);
        assert_eq!(calamine_rows(&path), 200, "calamine reads the rows before it, and no error");
        let err = refusal(&path, None);
        assert!(err.contains("is followed by no sheet's start (after sheet row 200)"), "{err}");
    }

    #[test]
    fn a_cell_beyond_the_formats_columns_is_refused_before_calamine_makes_its_grid() {
        let dir = tempfile::tempdir().unwrap();
        let mut sheet = rows(10);
        sheet.push(number(65_535, 16_383, 1.0));
        let path = write(dir.path(), &stream(&sheet).0);
        let err = refusal(&path, None);
        assert!(err.contains("a cell at row 65536 is in column 16384, beyond the 256 columns"), "{err}");
    }

    #[test]
    fn dimensions_past_the_formats_rows_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut sheet = rows(10);
        sheet[0] = dimensions(u32::MAX, 2);
        let path = write(dir.path(), &stream(&sheet).0);
        assert!(refusal(&path, None).contains("its dimensions record says rows 1 to 4294967295"));
    }

    #[test]
    fn a_grid_past_max_bytes_is_refused_and_passes_without_a_limit() {
        let dir = tempfile::tempdir().unwrap();
        let mut sheet = rows(10);
        // one far cell: calamine's grid spans 60,001 rows by 201 columns
        sheet.push(number(60_000, 200, 1.0));
        let path = write(dir.path(), &stream(&sheet).0);
        let grid = 60_001 * 201 * std::mem::size_of::<calamine::Data>() as u64;
        // and room for the cells of its dimensions record (10 rows, 2 columns) while it reads
        let needed = grid + 10 * 2 * std::mem::size_of::<calamine::Cell<calamine::Data>>() as u64;
        let err = refusal(&path, Some((needed - 1, "as set")));
        assert!(
            err.contains("sheet 'Data' spans 60001 rows by 201 columns") && err.contains(&format!("{needed} bytes")),
            "{err}"
        );
        check(&path, Some((needed, "as set"))).unwrap();
        check(&path, None).unwrap();
    }

    #[test]
    fn a_lone_record_of_type_0_is_read_past_and_two_running_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let zero_after = |at: usize, kind: u16, data: &[u8]| {
            let mut sheet = rows(10);
            sheet.insert(at, record(kind, data));
            sheet
        };
        // four zero bytes after a record (Crystal Reports); Excel 2's dimensions record
        for sheet in [zero_after(3, 0, &[]), zero_after(1, 0, &[0; 10]), zero_after(1, 0, &[0; 8])] {
            check(&write(dir.path(), &stream(&sheet).0), None).unwrap();
        }
        let mut sheet = zero_after(3, 0, &[]);
        sheet.insert(4, record(0, &[]));
        let err = refusal(&write(dir.path(), &stream(&sheet).0), None);
        assert!(err.contains("a record of type 0x0000") && err.contains("(after sheet row 1)"), "{err}");
        assert!(refusal(&write(dir.path(), &stream(&zero_after(3, 0, &[0; 6])).0), None).contains("type 0x0000"));
    }

    #[test]
    fn a_chart_nested_in_the_sheet_is_walked_over() {
        let dir = tempfile::tempdir().unwrap();
        let mut sheet = rows(10);
        sheet.extend([bof(0x0020), number(0, 9000, 1.0), record(EOF, &[])]);
        sheet.extend(rows(12).into_iter().skip(11));
        let path = write(dir.path(), &stream(&sheet).0);
        check(&path, None).unwrap();
    }

    #[test]
    fn an_encrypted_workbook_and_other_files_are_left_to_calamine() {
        let dir = tempfile::tempdir().unwrap();
        let (mut bytes, _) = stream(&rows(10));
        // a FilePass record after the globals' start: what follows is ciphered
        let start = bof(0x0005).len();
        bytes.splice(start..start, record(FILE_PASS, &[1, 0, 0, 0]).into_iter().chain(record(0, &[0; 8])));
        check(&write(dir.path(), &bytes), None).unwrap();
        let text = dir.path().join("text.xls");
        std::fs::write(&text, "a,b\n1,2\n").unwrap();
        check(&text, None).unwrap();
    }

    #[test]
    fn a_container_whose_sectors_do_not_hold_together_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &stream(&rows(2000)).0);
        let mut bytes = std::fs::read(&path).unwrap();
        // a 512-byte sector lost from the middle: the sectors after it, and the chains, shift
        bytes.drain(4096..4096 + 512);
        std::fs::write(&path, &bytes).unwrap();
        let err = refusal(&path, None);
        assert!(err.contains("book.xls: damaged container: "), "{err}");
    }
}
