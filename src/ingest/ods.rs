//! An OpenDocument spreadsheet's (.ods) number cells whose number style is an id's, read from
//! the file's XML beside calamine, which reads no styles of an .ods.
//!
//! Takes the workbook's path; returns, sheet by sheet in the file's order, its number cells
//! whose style writes whole numbers otherwise than plainly ([`IdStyles`]: LibreOffice shows 12
//! in a column formatted `00000` as `00012`, and saves it so as CSV). A cell's style is its
//! `table:style-name`, else its row's `table:default-cell-style-name`, else its column's (the
//! order LibreOffice applies them in); the cell style names its number style
//! (`style:data-style-name`, itself or through its `style:parent-style-name`), in content.xml
//! or styles.xml. A `number:number-style` is written as the Excel format code LibreOffice reads
//! it as (xmloff's `SvXMLNumFormatContext::AddNumber`) and parsed as an .xlsx's ([`IdFormat`]):
//! `number:min-integer-digits` zeros (`#` where none), each `number:embedded-text` with its
//! `number:position` digits to its right (`0000-00`), `number:text` as literal text, and
//! `style:map`s as sections (`value()>=0` the first of two, `value()>0` and `value()<0` the
//! first and second of three). A style of decimals, grouping, a display factor, a number
//! without `number:decimal-places` (LibreOffice's General), or of any other element (a
//! fraction, an exponent, a fill character, a condition of another kind) is no id's.
//! Positions count repeated rows and columns as calamine does (its `ods.rs`: each row and cell
//! `number-*-repeated` times, capped at its 1,048,576 rows and 16,384 columns), so they are
//! the (row, column) of the cells calamine gives.

use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::Path;

use quick_xml::events::{BytesStart, Event};

use crate::ingest::numfmt::{literal, IdFormat, IdStyles};

/// calamine's caps on an .ods sheet's rows and columns.
const MAX_ROWS: u32 = 1_048_576;
const MAX_COLUMNS: u32 = 16_384;
/// calamine's cap on the cells of an .ods sheet it reads (its `Cell limit exceeded`): a file
/// past it is refused there, and no id cell of a sheet whose number cells span more is kept
/// here (one cell repeated over every row and column, a few kilobytes of XML, asked for 17
/// billion; capping the cells kept at it still took 26 s and 3.4 GB before the error).
pub(super) const MAX_CELLS: u64 = 100_000_000;
/// How many parent styles are followed to a number style (a loop of parents ends there).
const PARENTS: usize = 8;

/// The id-formatted number cells of each sheet of the .ods at `path`, in the file's order (none
/// when no number style is an id's: the sheets are then not read again); `Err` with what could
/// not be read.
pub(super) fn id_styles(path: &Path) -> Result<Vec<IdStyles>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let mut styles = Styles::default();
    let mut sheets = Vec::new();
    for part in ["styles.xml", "content.xml"] {
        match zip.by_name(part) {
            Ok(xml) => {
                read(std::io::BufReader::new(xml), &mut styles, &mut sheets).map_err(|e| format!("{part}: {e}"))?
            }
            Err(zip::result::ZipError::FileNotFound) if part == "styles.xml" => {}
            Err(e) => return Err(format!("{part}: {e}")),
        }
    }
    Ok(sheets.into_iter().map(|cells| IdStyles { cells, formats: styles.formats.clone() }).collect())
}

/// The grid calamine makes of one sheet of an .ods: the rows and columns from its first to
/// its last cell that holds something (a value or a formula), repeated rows and cells counted
/// out and capped as calamine caps them, and whether a formula grid is made beside it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Grid {
    pub sheet: String,
    pub rows: u64,
    pub columns: u64,
    /// The cell farthest from the sheet's first (1-based row and column).
    pub farthest: (u64, u64),
    pub formulas: bool,
}

impl Grid {
    /// Its cells.
    pub fn cells(&self) -> u64 {
        self.rows.saturating_mul(self.columns)
    }

    /// What calamine keeps of it: a value per cell, and a formula's text per cell when it has
    /// any.
    pub fn bytes(&self) -> u64 {
        let value = std::mem::size_of::<calamine::Data>() as u64;
        let text = if self.formulas { std::mem::size_of::<String>() as u64 } else { 0 };
        self.cells().saturating_mul(value + text)
    }
}

/// The grid calamine makes of each sheet of the .ods at `path`, in the file's order, read from
/// its content.xml before calamine reads it: calamine makes each sheet a grid as tall and wide
/// as its farthest cell when it opens the file, so one note a thousand columns and 80,000 rows
/// from a 700 KB file's table took 6.2 GB. `Err` with what could not be read (calamine then
/// says why it cannot open the file).
pub(super) fn grids(path: &Path) -> Result<Vec<Grid>, String> {
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    let xml = zip.by_name("content.xml").map_err(|e| e.to_string())?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(xml));
    let (mut buf, mut grids, mut sheet) = (Vec::new(), Vec::new(), None::<Extent>);
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| e.to_string())?;
        let closed = matches!(event, Event::Empty(_));
        match (event, sheet.as_mut()) {
            (Event::Start(e), None) if e.name().as_ref() == "table:table" => {
                sheet = Some(Extent { name: attr(&e, "table:name")?.unwrap_or_default(), ..Extent::default() });
            }
            (Event::Start(e) | Event::Empty(e), Some(t)) => t.start(&e, closed)?,
            (Event::End(e), Some(t)) => match e.name().as_ref() {
                "table:table" => grids.extend(sheet.take().map(Extent::grid)),
                name => t.end(name),
            },
            (Event::Eof, _) => return Ok(grids),
            _ => {}
        }
        buf.clear();
    }
}

/// Where the walk through a sheet for its [`Grid`] is: the row's first position and repeats,
/// the cell's column and whether it holds something, the row's first and last such column,
/// and the span of such cells so far (rows, then columns: first and last of each).
#[derive(Default)]
struct Extent {
    name: String,
    row: u32,
    repeats: u32,
    column: u32,
    cell: Option<(u32, u32, bool)>,
    in_row: Option<(u32, u32)>,
    span: Option<[u32; 4]>,
    formulas: bool,
}

impl Extent {
    /// An element of the sheet opened (`closed`: with nothing inside).
    fn start(&mut self, e: &BytesStart, closed: bool) -> Result<(), String> {
        let repeats = |key: &str| repeats(e, key);
        match e.name().as_ref() {
            "table:table-row" => {
                self.repeats = repeats("table:number-rows-repeated")?.min(MAX_ROWS.saturating_sub(self.row));
                (self.column, self.in_row) = (0, None);
                if closed {
                    self.end("table:table-row");
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let count = repeats("table:number-columns-repeated")?.min(MAX_COLUMNS.saturating_sub(self.column));
                self.formulas |= attr(e, "table:formula")?.is_some_and(|f| !f.is_empty());
                self.cell = Some((self.column, count, valued(e)?));
                if closed {
                    self.end("table:table-cell");
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// An element of the sheet closed: a cell's columns counted, a row's rows.
    fn end(&mut self, name: &str) {
        match name {
            "table:table-cell" | "table:covered-table-cell" => {
                let Some((column, count, held)) = self.cell.take() else { return };
                if held && count > 0 {
                    let last = column + count - 1;
                    self.in_row = Some(self.in_row.map_or((column, last), |(first, _)| (first, last)));
                }
                self.column = column + count;
            }
            "table:table-row" => {
                if let (Some((c0, c1)), true) = (self.in_row.take(), self.repeats > 0) {
                    let r1 = self.row + self.repeats - 1;
                    let [a, _, c, d] = self.span.unwrap_or([self.row, r1, c0, c1]);
                    self.span = Some([a, r1, c.min(c0), d.max(c1)]);
                }
                self.row += self.repeats;
            }
            _ => {}
        }
    }

    fn grid(self) -> Grid {
        let (sheet, formulas) = (self.name, self.formulas);
        let Some([r0, r1, c0, c1]) = self.span else {
            return Grid { sheet, rows: 0, columns: 0, farthest: (0, 0), formulas };
        };
        let (rows, columns) = (u64::from(r1 + 1 - r0), u64::from(c1 + 1 - c0));
        Grid { sheet, rows, columns, farthest: (u64::from(r1) + 1, u64::from(c1) + 1), formulas }
    }
}

/// A cell style: its number style, and the style it inherits from.
struct CellStyle {
    data: Option<String>,
    parent: Option<String>,
}

/// One piece of a number style.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Text(String),
    /// The digits: `min` of them shown as zeros, texts embedded with the digits to their right.
    Number {
        min: usize,
        embedded: Vec<(usize, String)>,
    },
}

/// A `number:number-style`: its pieces, whether it holds only what an id's format may (digits
/// without decimals or grouping, and texts), and its `style:map`s (condition, style).
#[derive(Debug, Clone, PartialEq)]
struct NumberStyle {
    pieces: Vec<Piece>,
    plain: bool,
    maps: Vec<(String, String)>,
}

impl Default for NumberStyle {
    fn default() -> Self {
        NumberStyle { pieces: Vec::new(), plain: true, maps: Vec::new() }
    }
}

impl NumberStyle {
    /// The Excel code of its own section; `None` when it holds more than an id's format may.
    fn section(&self) -> Option<String> {
        let piece = |p: &Piece| match p {
            Piece::Text(t) => literal(t),
            Piece::Number { min, embedded } => digits(*min, embedded),
        };
        self.plain.then(|| self.pieces.iter().map(piece).collect())
    }

    /// The Excel code LibreOffice reads the style as, its maps made sections (the styles they
    /// apply looked up in `numbers`); `None` when its first section is no id's.
    fn code(&self, numbers: &HashMap<String, NumberStyle>) -> Option<String> {
        if self.maps.is_empty() {
            return self.section();
        }
        let own = self.section().unwrap_or_else(|| "General".into());
        let (mut positive, mut negative, mut with_zero) = (None, None, false);
        for (condition, name) in &self.maps {
            let section = numbers.get(name).filter(|s| s.maps.is_empty()).and_then(NumberStyle::section);
            match condition.replace(' ', "").as_str() {
                "value()>=0" => (positive, with_zero) = (Some(section?), true),
                "value()>0" => positive = Some(section?),
                "value()<0" => negative = Some(section.unwrap_or_else(|| "General".into())),
                _ => return None,
            }
        }
        let positive = positive?;
        Some(match (with_zero, negative) {
            (true, negative) => format!("{positive};{}", negative.unwrap_or(own)),
            (false, Some(negative)) => format!("{positive};{negative};{own}"),
            (false, None) => format!("{positive};{own};{own}"),
        })
    }
}

/// The digits of a number style as an Excel code: `min` zeros (at least one `#`), `#`s up to
/// the leftmost embedded text's position and one beyond, each text where `embedded` puts it
/// (with that many digits to its right; texts at one position joined in their order).
fn digits(min: usize, embedded: &[(usize, String)]) -> String {
    let width = embedded.iter().map(|(at, _)| at + 1).max().unwrap_or(0).max(min).max(1);
    let mut out: Vec<String> = Vec::with_capacity(2 * width);
    for k in 0..width {
        let text: String = embedded.iter().filter(|(at, _)| *at == k).map(|(_, t)| t.as_str()).collect();
        if !text.is_empty() {
            out.push(literal(&text));
        }
        out.push(if k < min { "0" } else { "#" }.into());
    }
    out.into_iter().rev().collect()
}

/// The styles read so far, and the id formats of the cell styles looked up (by name, and the
/// formats by index, as [`IdStyles`] holds them).
#[derive(Default)]
struct Styles {
    cells: HashMap<String, CellStyle>,
    numbers: HashMap<String, NumberStyle>,
    looked_up: HashMap<String, Option<usize>>,
    formats: Vec<Option<IdFormat>>,
}

impl Styles {
    /// Whether some number style read is an id's ([`NumberStyle::code`]).
    fn any_id(&self) -> bool {
        self.numbers.values().any(|n| n.code(&self.numbers).is_some_and(|code| IdFormat::parse(&code).is_some()))
    }

    /// The index of cell style `name`'s format when it is an id's ([`NumberStyle::code`]).
    fn id_format(&mut self, name: &str) -> Option<usize> {
        if let Some(&found) = self.looked_up.get(name) {
            return found;
        }
        let mut style = self.cells.get(name);
        let mut data = None;
        for _ in 0..PARENTS {
            let Some(s) = style else { break };
            data = s.data.as_ref();
            if data.is_some() {
                break;
            }
            style = s.parent.as_ref().and_then(|p| self.cells.get(p));
        }
        let format = data.and_then(|d| self.numbers.get(d)).and_then(|n| n.code(&self.numbers));
        let found = format.and_then(|code| IdFormat::parse(&code)).map(|format| {
            self.formats.push(Some(format));
            self.formats.len() - 1
        });
        self.looked_up.insert(name.to_string(), found);
        found
    }
}

/// Where the walk through a sheet is: its columns' default styles' formats, the row's first
/// position, repeats and default style's format, the cell's column, the cells kept, and the
/// rows and columns its number cells span (first and last of each).
#[derive(Default)]
struct Table {
    columns: Vec<Option<usize>>,
    row: u32,
    repeats: u32,
    row_format: Option<Option<usize>>,
    column: u32,
    cells: BTreeMap<(u32, u32), usize>,
    span: Option<[u32; 4]>,
}

/// A number style being read, and a text of it being read (with its position when embedded).
#[derive(Default)]
struct Reading {
    number: Option<(String, NumberStyle)>,
    text: Option<(Option<usize>, String)>,
}

/// Reads one XML part of the file: its styles into `styles`, its sheets' id cells onto `sheets`.
fn read(xml: impl BufRead, styles: &mut Styles, sheets: &mut Vec<BTreeMap<(u32, u32), usize>>) -> Result<(), String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().expand_empty_elements = true;
    let (mut buf, mut reading, mut table) = (Vec::new(), Reading::default(), None::<Table>);
    loop {
        match reader.read_event_into(&mut buf).map_err(|e| e.to_string())? {
            Event::Start(e) => {
                let name = e.name();
                if let Some(t) = table.as_mut() {
                    t.start(&e, styles)?;
                } else if name.as_ref() == "office:body" && !styles.any_id() {
                    // every style is read before the body: without an id's, its cells need not be
                    return Ok(());
                } else if name.as_ref() == "table:table" && attr(&e, "table:name")?.is_some() {
                    table = Some(Table::default());
                } else {
                    reading.start(&e, styles)?;
                }
            }
            Event::End(e) => match (e.name().as_ref(), table.is_some()) {
                ("table:table", true) => sheets.extend(table.take().map(|t| t.cells)),
                ("table:table-row", true) => {
                    if let Some(t) = table.as_mut() {
                        t.row += t.repeats;
                    }
                }
                (name, false) => reading.end(name, styles),
                _ => {}
            },
            Event::Text(t) => {
                if let Some((_, text)) = reading.text.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::GeneralRef(r) => {
                if let Some((_, text)) = reading.text.as_mut() {
                    let entity = quick_xml::escape::resolve_predefined_entity(&r).map(str::to_string);
                    text.extend(r.resolve_char_ref().ok().flatten().map(String::from).or(entity));
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

impl Reading {
    /// An element of the styles opened: a cell style kept, a number style begun or read on.
    fn start(&mut self, e: &BytesStart, styles: &mut Styles) -> Result<(), String> {
        let name = e.name();
        match (name.as_ref(), self.number.as_mut()) {
            ("style:style", _) if attr(e, "style:family")?.as_deref() == Some("table-cell") => {
                let Some(name) = attr(e, "style:name")? else { return Ok(()) };
                let style =
                    CellStyle { data: attr(e, "style:data-style-name")?, parent: attr(e, "style:parent-style-name")? };
                styles.cells.insert(name, style);
            }
            ("number:number-style", _) => {
                self.number = attr(e, "style:name")?.map(|name| (name, NumberStyle::default()));
            }
            ("number:number", Some((_, style))) => match number(e)? {
                Some(min) => style.pieces.push(Piece::Number { min, embedded: Vec::new() }),
                None => style.plain = false,
            },
            ("number:text", Some(_)) => self.text = Some((None, String::new())),
            ("number:embedded-text", Some(_)) => {
                let at = attr(e, "number:position")?.and_then(|p| p.parse().ok());
                self.text = at.map(|at| (Some(at), String::new()));
            }
            ("style:map", Some((_, style))) => {
                let (condition, apply) = (attr(e, "style:condition")?, attr(e, "style:apply-style-name")?);
                style.maps.push((condition.unwrap_or_default(), apply.unwrap_or_default()));
            }
            ("style:text-properties", _) => {}
            (other, Some((_, style))) if other.starts_with("number:") => style.plain = false,
            _ => {}
        }
        Ok(())
    }

    /// An element of the styles closed: a text or a number style finished.
    fn end(&mut self, name: &str, styles: &mut Styles) {
        match name {
            "number:text" | "number:embedded-text" => {
                let (Some((at, text)), Some((_, style))) = (self.text.take(), self.number.as_mut()) else { return };
                match (at, style.pieces.last_mut()) {
                    (None, _) => style.pieces.push(Piece::Text(text)),
                    (Some(at), Some(Piece::Number { embedded, .. })) => embedded.push((at, text)),
                    (Some(_), _) => style.plain = false,
                }
            }
            "number:number-style" => {
                if let Some((name, style)) = self.number.take() {
                    styles.numbers.insert(name, style);
                }
            }
            _ => {}
        }
    }
}

/// The zeros a `number:number` shows (its `min-integer-digits`); `None` when it is no id's
/// digits: decimals, grouping, a display factor, or no `decimal-places` (LibreOffice's General).
fn number(e: &BytesStart) -> Result<Option<usize>, String> {
    let decimals = attr(e, "number:decimal-places")?;
    let grouping = attr(e, "number:grouping")?.is_some_and(|g| g == "true");
    let factor = attr(e, "number:display-factor")?.is_some_and(|f| f.parse::<f64>() != Ok(1.0));
    if decimals.as_deref() != Some("0") || grouping || factor {
        return Ok(None);
    }
    Ok(Some(attr(e, "number:min-integer-digits")?.and_then(|m| m.parse().ok()).unwrap_or(0)))
}

impl Table {
    /// An element of a sheet opened: a column, a row or a cell.
    fn start(&mut self, e: &BytesStart, styles: &mut Styles) -> Result<(), String> {
        let repeats = |key: &str| repeats(e, key);
        // a style named (`Some`), and its format's index when it is an id's
        let style = |key: &str, styles: &mut Styles| -> Result<Option<Option<usize>>, String> {
            Ok(attr(e, key)?.map(|name| styles.id_format(&name)))
        };
        match e.name().as_ref() {
            "table:table-column" => {
                let room = (MAX_COLUMNS as usize).saturating_sub(self.columns.len());
                let count = (repeats("table:number-columns-repeated")? as usize).min(room);
                let format = style("table:default-cell-style-name", styles)?.flatten();
                self.columns.extend(std::iter::repeat_n(format, count));
            }
            "table:table-row" => {
                self.repeats = repeats("table:number-rows-repeated")?.min(MAX_ROWS.saturating_sub(self.row));
                self.row_format = style("table:default-cell-style-name", styles)?;
                self.column = 0;
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let count = repeats("table:number-columns-repeated")?.min(MAX_COLUMNS.saturating_sub(self.column));
                if number_cell(e)? {
                    let own = style("table:style-name", styles)?;
                    self.keep(count, own)?;
                }
                self.column += count;
            }
            _ => {}
        }
        Ok(())
    }

    /// Keeps the `count` number cells from the current column on, in each row the row
    /// repeats, whose style (`own`, else the row's, else the column's) is an id's. Number
    /// cells spanning more than [`MAX_CELLS`] rows × columns are an error, before any is kept:
    /// calamine's grid holds at least that span, and it refuses the file.
    fn keep(&mut self, count: u32, own: Option<Option<usize>>) -> Result<(), String> {
        if count == 0 || self.repeats == 0 {
            return Ok(());
        }
        let (last_row, last_column) = (self.row + self.repeats - 1, self.column + count - 1);
        let [r0, r1, c0, c1] = self.span.unwrap_or([self.row, last_row, self.column, last_column]);
        let span = [r0.min(self.row), r1.max(last_row), c0.min(self.column), c1.max(last_column)];
        let cells = u64::from(span[1] - span[0] + 1) * u64::from(span[3] - span[2] + 1);
        if cells > MAX_CELLS {
            return Err(format!("its number cells span {cells} cells, more than calamine's {MAX_CELLS}"));
        }
        self.span = Some(span);
        for c in self.column..=last_column {
            let column = self.columns.get(c as usize).copied().flatten();
            let Some(format) = own.or(self.row_format).unwrap_or(column) else { continue };
            for r in self.row..=last_row {
                self.cells.insert((r, c), format);
            }
        }
        Ok(())
    }
}

/// The attributes that give a cell its value, as calamine reads them (the first one found).
const VALUES: [&str; 5] =
    ["office:value", "office:string-value", "office:date-value", "office:time-value", "office:boolean-value"];

/// How many times `e` is repeated (`table:number-rows-repeated`, `…-columns-repeated`): 1
/// without the attribute (one that is no number, which calamine refuses, is 1 here too).
fn repeats(e: &BytesStart, key: &str) -> Result<u32, String> {
    Ok(attr(e, key)?.and_then(|n| n.parse().ok()).unwrap_or(1))
}

/// Whether calamine reads the cell as a value (its grid reaches it): a value attribute, or the
/// text of a string cell (its `text:p`, an empty one too); a cell's text without a value type,
/// and a formula without a value, are empty to it.
fn valued(e: &BytesStart) -> Result<bool, String> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| e.to_string())?;
        if VALUES.contains(&a.key.as_ref()) || (a.key.as_ref() == "office:value-type" && a.value.as_ref() == "string") {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether calamine reads the cell as a number: its first value attribute is `office:value`.
fn number_cell(e: &BytesStart) -> Result<bool, String> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| e.to_string())?;
        if VALUES.contains(&a.key.as_ref()) {
            return Ok(a.key.as_ref() == "office:value");
        }
    }
    Ok(false)
}

/// The value of attribute `key` of `e`, its entities resolved.
fn attr(e: &BytesStart, key: &str) -> Result<Option<String>, String> {
    let Some(a) = e.try_get_attribute(key).map_err(|e| e.to_string())? else { return Ok(None) };
    quick_xml::escape::unescape(&a.value).map(|v| Some(v.into_owned())).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader};
    use std::io::Write;

    const NS: &str = r#"xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0""#;

    /// An .ods of `styles` (automatic styles) and `tables` (the spreadsheet's body).
    fn ods(dir: &Path, styles: &str, tables: &str) -> std::path::PathBuf {
        let path = dir.join("book.ods");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/></manifest:manifest>"#;
        let content = format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:automatic-styles>{styles}</office:automatic-styles><office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"#
        );
        for (name, text) in
            [("mimetype", "application/vnd.oasis.opendocument.spreadsheet"), ("META-INF/manifest.xml", manifest)]
        {
            zip.start_file(name, stored).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.start_file("content.xml", stored).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
        zip.finish().unwrap();
        path
    }

    fn number(value: u32, style: &str) -> String {
        let style = if style.is_empty() { String::new() } else { format!(r#" table:style-name="{style}""#) };
        format!(
            r#"<table:table-cell office:value-type="float" office:value="{value}"{style}><text:p>{value}</text:p></table:table-cell>"#
        )
    }

    /// Number styles `00000` (N1), `"A"0000` (N2), `0000-00` (N3), decimals (N4), and cell
    /// styles naming them (ce1 through its parent), and ce0 General.
    const STYLES: &str = r#"<number:number-style style:name="N1"><number:number number:decimal-places="0" number:min-integer-digits="5"/></number:number-style>
        <number:number-style style:name="N2"><number:text>A</number:text><number:number number:decimal-places="0" number:min-integer-digits="4"/></number:number-style>
        <number:number-style style:name="N3"><number:number number:decimal-places="0" number:min-integer-digits="6"><number:embedded-text number:position="2">-</number:embedded-text></number:number></number:number-style>
        <number:number-style style:name="N4"><number:number number:decimal-places="2" number:min-integer-digits="5"/></number:number-style>
        <style:style style:name="pad" style:family="table-cell" style:data-style-name="N1"/>
        <style:style style:name="ce1" style:family="table-cell" style:parent-style-name="pad"/>
        <style:style style:name="ce2" style:family="table-cell" style:data-style-name="N2"/>
        <style:style style:name="ce3" style:family="table-cell" style:data-style-name="N3"/>
        <style:style style:name="ce4" style:family="table-cell" style:data-style-name="N4"/>
        <style:style style:name="ce0" style:family="table-cell"/>"#;

    /// The cells kept, each with the format's code, and calamine's value at each.
    fn kept(path: &Path) -> Vec<((u32, u32), String, Data)> {
        let mut book: calamine::Ods<_> = calamine::open_workbook(path).unwrap();
        let range = book.worksheet_range("Sales").unwrap();
        let sheets = id_styles(path).unwrap();
        let sheet = &sheets[0];
        let code = |k: usize| sheet.formats[k].as_ref().unwrap().code.clone();
        sheet.cells.iter().map(|(&at, &k)| (at, code(k), range.get_value(at).cloned().unwrap_or_default())).collect()
    }

    #[test]
    fn a_cells_style_its_rows_or_its_columns_gives_its_format_where_calamine_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        // column 1 formatted 00000 by default, two empty columns before it; a row of repeats
        let rows = [
            format!("<table:table-row>{}{}</table:table-row>", number(1, ""), number(12, "")),
            r#"<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>"#.to_string(),
            format!(
                r#"<table:table-row table:number-rows-repeated="2"><table:table-cell table:number-columns-repeated="2"/>{}{}</table:table-row>"#,
                number(7, "ce2"),
                number(1234, "ce3")
            ),
            format!("<table:table-row>{}{}{}</table:table-row>", number(5, "ce0"), number(13, "ce0"), number(3, "ce4")),
            format!(
                r#"<table:table-row table:default-cell-style-name="ce2"><table:covered-table-cell/>{}</table:table-row>"#,
                r#"<table:table-cell office:value-type="float" office:value="8" table:number-columns-repeated="2"/>"#
            ),
            format!(
                "<table:table-row>{}{}</table:table-row>",
                number(9, "ce1"),
                r#"<table:table-cell office:value-type="string" office:string-value="x"/>"#
            ),
        ];
        let columns = r#"<table:table-column table:default-cell-style-name="ce0"/><table:table-column table:default-cell-style-name="ce1"/>"#;
        let tables = format!(r#"<table:table table:name="Sales">{columns}{}</table:table>"#, rows.concat());
        let path = ods(dir.path(), STYLES, &tables);
        let float = |v: f64| Data::Float(v);
        assert_eq!(
            kept(&path),
            [
                ((0, 1), "00000".to_string(), float(12.0)),
                ((3, 2), "\"A\"0000".to_string(), float(7.0)),
                ((3, 3), "0000-00".to_string(), float(1234.0)),
                ((4, 2), "\"A\"0000".to_string(), float(7.0)),
                ((4, 3), "0000-00".to_string(), float(1234.0)),
                ((6, 1), "\"A\"0000".to_string(), float(8.0)),
                ((6, 2), "\"A\"0000".to_string(), float(8.0)),
                ((7, 0), "00000".to_string(), float(9.0)),
            ]
        );
    }

    /// The grid each sheet is read into, found from the XML before calamine reads it, is the
    /// one calamine makes: its size, its farthest cell, and whether it has formulas, in layouts
    /// of repeated, covered, leading and trailing empty rows and cells, text without a value
    /// type, a note far from the table, and an empty sheet.
    #[test]
    fn the_grid_found_before_calamine_reads_a_sheet_is_the_one_it_makes() {
        let dir = tempfile::tempdir().unwrap();
        let text = |t: &str| {
            format!(r#"<table:table-cell office:value-type="string"><text:p>{t}</text:p></table:table-cell>"#)
        };
        let untyped = |t: &str| format!("<table:table-cell><text:p>{t}</text:p></table:table-cell>");
        let empty = |n: u32| format!(r#"<table:table-cell table:number-columns-repeated="{n}"/>"#);
        let row = |cells: &str| format!("<table:table-row>{cells}</table:table-row>");
        let rows = |n: u32, cells: &str| {
            format!(r#"<table:table-row table:number-rows-repeated="{n}">{cells}</table:table-row>"#)
        };
        let formula = r#"<table:table-cell table:formula="of:=1+1" office:value-type="float" office:value="2"/>"#;
        let sheets = [
            // a table, 80 empty rows, then a note 40 columns out
            [row(&(number(1, "") + &number(2, ""))), rows(80, &empty(3)), row(&(empty(39) + &text("note")))].concat(),
            // leading empty rows and columns, LibreOffice's trailing repeats, a repeated cell
            [
                rows(3, &empty(1024)),
                row(&(empty(2) + &number(5, "") + &empty(1000))),
                rows(2, &(empty(1) + r#"<table:covered-table-cell/>"# + &number(6, "") + &number(7, ""))),
                row(&(r#"<table:table-cell office:value-type="float" office:value="8" table:number-columns-repeated="3"/>"#.to_string() + &empty(1021))),
                rows(1_048_000, &empty(1024)),
            ]
            .concat(),
            // a formula beside numbers
            [row(&(number(1, "") + formula)), row(&number(3, "")), rows(9, &empty(1)), row(&(empty(70) + &untyped("x")))].concat(),
            // nothing at all
            rows(1_048_576, &empty(1024)),
        ];
        let tables: String = sheets
            .iter()
            .enumerate()
            .map(|(k, rows)| format!(r#"<table:table table:name="S{k}">{rows}</table:table>"#))
            .collect();
        let path = ods(dir.path(), "", &tables);
        let grids = grids(&path).unwrap();
        let mut book = calamine::open_workbook_auto(&path).unwrap();
        assert_eq!(grids.len(), 4);
        for grid in &grids {
            let range = book.worksheet_range(&grid.sheet).unwrap();
            let (height, width) = range.get_size();
            assert_eq!((grid.rows, grid.columns), (height as u64, width as u64), "{}", grid.sheet);
            let farthest = range.end().map_or((0, 0), |(r, c)| (u64::from(r) + 1, u64::from(c) + 1));
            assert_eq!(grid.farthest, farthest, "{}", grid.sheet);
            let formulas = book.worksheet_formula(&grid.sheet).unwrap();
            assert_eq!(grid.formulas, !formulas.is_empty(), "{}", grid.sheet);
        }
        assert_eq!((grids[0].rows, grids[0].columns, grids[0].farthest), (82, 40, (82, 40)));
    }

    /// One id-styled number cell repeated over every row and column of a sheet (a few
    /// kilobytes) asked for 17 billion kept cells, while calamine refuses the file at once.
    #[test]
    fn a_cell_repeated_past_calamines_cell_limit_is_an_error_not_17_billion_cells() {
        let dir = tempfile::tempdir().unwrap();
        let cell = r#"<table:table-cell table:style-name="ce1" office:value-type="float" office:value="12" table:number-columns-repeated="16384"/>"#;
        let row = format!(r#"<table:table-row table:number-rows-repeated="1048576">{cell}</table:table-row>"#);
        let path = ods(dir.path(), STYLES, &format!(r#"<table:table table:name="S">{row}</table:table>"#));
        let Err(err) = id_styles(&path) else { panic!("read") };
        assert!(err.contains("more than calamine's 100000000"), "{err}");
    }

    #[test]
    fn number_styles_are_written_as_the_excel_codes_libreoffice_reads() {
        assert_eq!(digits(5, &[]), "00000");
        assert_eq!(digits(0, &[]), "#");
        assert_eq!(digits(6, &[(2, "-".into())]), "0000-00");
        assert_eq!(digits(2, &[(3, "x".into())]), "#\"x\"#00");
        assert_eq!(digits(3, &[(0, "K".into())]), "000\"K\"");
        let style = |pieces: Vec<Piece>, maps: &[(&str, &str)]| NumberStyle {
            pieces,
            plain: true,
            maps: maps.iter().map(|(c, s)| (c.to_string(), s.to_string())).collect(),
        };
        let pad = Piece::Number { min: 5, embedded: Vec::new() };
        let numbers: HashMap<String, NumberStyle> = [
            ("P0".to_string(), style(vec![pad.clone()], &[])),
            ("P1".to_string(), style(vec![Piece::Text("-".into()), pad.clone()], &[])),
        ]
        .into();
        let dash = || vec![Piece::Text("-".into())];
        let three = style(dash(), &[("value()>0", "P0"), ("value()<0", "P1")]);
        assert_eq!(three.code(&numbers).as_deref(), Some("00000;-00000;-"));
        let two = style(vec![Piece::Text("-".into()), pad.clone()], &[("value()>=0", "P0")]);
        assert_eq!(two.code(&numbers).as_deref(), Some("00000;-00000"));
        assert_eq!(style(dash(), &[("value()>100", "P0")]).code(&numbers), None, "a condition of another kind");
        assert_eq!(
            style(vec![Piece::Text("ID ".into()), Piece::Number { min: 0, embedded: Vec::new() }], &[])
                .code(&numbers)
                .as_deref(),
            Some("\"ID \"#")
        );
        let mut other = style(vec![pad], &[]);
        other.plain = false;
        assert_eq!(other.code(&numbers), None, "a fraction, an exponent, decimals");
    }
}
