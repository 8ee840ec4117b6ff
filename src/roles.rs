//! Roles: how a mapped column's values are read, and the canonical frame they make.
//!
//! Takes text, one field at a time as the CSV reader meets it, or a file's typed polars
//! columns (Excel, Parquet, a CSV read as text); returns each role's values: customer and
//! item ids as text ("17850.0" is "17850"), quantities as f64, dates as epoch seconds,
//! descriptions as text, with the values that do not parse counted. [`canonical`] puts them
//! in the frame of one typed column per role, under the [`col`] names every later stage
//! reads; [`parse`] does it for a whole frame. It is its own module, below ingest and audit,
//! so both parse from one definition and neither imports the other's parsers.

use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::config::{Columns, Mark};
use crate::error::InputError;

mod date;
mod number;
mod time;

pub use date::{
    continuing, longest_gap, silence, stray_tails, Ahead, DateOrder, DateRule, Evidence, MIN_RHYTHM_DAYS, MIN_SPAN_DAYS,
};
pub(crate) use date::{date_of, resolve as resolve_dates, DateText};
pub use number::Marks;
pub(crate) use number::{decimal_shown, Decision, NumberText, Pending};
pub(crate) use time::time_alone;
pub use time::with_time;

/// Names of the canonical columns the later stages read.
pub mod col {
    pub const CUSTOMER: &str = "customer";
    pub const ITEM: &str = "item";
    pub const QUANTITY: &str = "quantity";
    pub const DESCRIPTION: &str = "description";
    pub const DATE: &str = "date";
    /// The customers' segment (`[recommend] fallback = "popular_by:COLUMN"`), text; present
    /// only when a fallback names it.
    pub const SEGMENT: &str = "segment";
}

/// The canonical frame from the roles' parsed columns, in its order and under its names; an
/// unmapped role is filled as the method reads it: every quantity 1, no description, no date.
pub fn canonical(
    rows: usize,
    customer: Column,
    item: Column,
    quantity: Option<Column>,
    description: Option<Column>,
    date: Option<Column>,
) -> PolarsResult<DataFrame> {
    let quantity = quantity.unwrap_or_else(|| Float64Chunked::full(col::QUANTITY.into(), 1.0, rows).into_column());
    let description =
        description.unwrap_or_else(|| StringChunked::full_null(col::DESCRIPTION.into(), rows).into_column());
    let date = date.unwrap_or_else(|| Int64Chunked::full_null(col::DATE.into(), rows).into_column());
    let named = [
        (customer, col::CUSTOMER),
        (item, col::ITEM),
        (quantity, col::QUANTITY),
        (description, col::DESCRIPTION),
        (date, col::DATE),
    ];
    DataFrame::new(rows, named.into_iter().map(|(c, name)| c.with_name(name.into())).collect())
}

/// What parsing one mapped column found, for the audit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Parsed {
    pub column: String,
    /// Non-null values that do not parse for the role (read as missing).
    pub invalid: usize,
    /// Ids written with whitespace before or after them (read trimmed).
    pub trimmed: usize,
    /// A date column's day-month order, when it has dates written with the year last.
    pub date_order: Option<DateOrder>,
    /// What the audit tells about the column (the order read and why, dates dropped).
    pub notes: Vec<String>,
    /// A date column's days (since the epoch) of the dates after the horizon, ascending
    /// ([`Evidence::future_days`]).
    #[serde(skip)]
    pub future_days: Vec<Ahead>,
}

impl Parsed {
    /// A column's counts, without notes.
    pub fn new(column: &str, invalid: usize, trimmed: usize) -> Parsed {
        Parsed { column: column.to_string(), invalid, trimmed, ..Parsed::default() }
    }

    /// A quantity column's counts, with how its values read two ways were read.
    pub fn quantities(column: &str, invalid: usize, marks: &Marks, decimal: Option<Mark>) -> Parsed {
        let mut notes = marks.notes(decimal);
        // only a count in the audit's table before: `6 pcs` on one line in ten dropped 2,167
        // rows at exit 0 (helper-99)
        if invalid > 0 && !marks.unread().is_empty() {
            let unread = unread_values(invalid, marks.unread(), "number");
            let rows = if invalid == 1 {
                "its row has no quantity and is dropped"
            } else {
                "their rows have no quantity and are dropped"
            };
            notes.push(format!("{unread}: {rows}"));
        }
        Parsed { notes, ..Parsed::new(column, invalid, 0) }
    }

    /// A date column's counts, with what its values showed.
    pub fn dates(column: &str, invalid: usize, evidence: &Evidence, rule: &DateRule) -> Parsed {
        let notes = evidence.notes(rule);
        let future_days = evidence.future_days();
        Parsed { date_order: evidence.order(), notes, future_days, ..Parsed::new(column, invalid, 0) }
    }
}

/// The mapped roles of `frame` (text or typed columns, named as in the file) parsed into the
/// canonical frame, with what each parsed column's parsing found (the audit's `invalid` and
/// `trimmed`). Takes the frame by value: each role's column is taken out of it and released as
/// soon as the last role reading it is parsed, so a typed column and its parsed copy are not
/// all held at once (at a million customers the ids, quantities and dates read from Parquet
/// are 0.65 GB that the canonical frame replaces).
pub(crate) fn parse(
    frame: DataFrame,
    map: &Columns,
    (rule, decimal): (&DateRule, Option<Mark>),
    path: &Path,
) -> Result<(DataFrame, Vec<Parsed>), InputError> {
    let rows = frame.height();
    let field = |name: &String| {
        frame.column(name).cloned().map_err(|e| InputError::Parse { path: path.into(), detail: e.to_string() })
    };
    let (customer, item) = (field(&map.customer)?, field(&map.item)?);
    let quantity = map.quantity.as_ref().map(field).transpose()?;
    let date = map.date.as_ref().map(field).transpose()?;
    let description = map.description.as_ref().map(field).transpose()?;
    let segment = map.segment.as_ref().map(field).transpose()?;
    let text: Vec<(String, Column)> =
        map.text_roles().into_iter().map(|(name, column, _)| Ok((name, field(column)?))).collect::<Result<_, _>>()?;
    drop(frame);

    // The roles parse independently, four tasks the cores share; each drops its column.
    let ((customer, item), (quantity, date)) = rayon::join(
        || rayon::join(move || ids(&customer, true, path, "customer"), move || ids(&item, true, path, "item")),
        || {
            rayon::join(
                move || quantity.map(|q| quantities(&q, path, decimal)).transpose(),
                move || date.map(|d| dates(&d, rule, path)).transpose(),
            )
        },
    );
    let ((customer, bad_customer, trim_customer), (item, bad_item, trim_item)) = (customer?, item?);
    let (quantity, date) = (quantity?, date?);
    let mut found =
        vec![Parsed::new(&map.customer, bad_customer, trim_customer), Parsed::new(&map.item, bad_item, trim_item)];
    // quantity and date are parsed only when their roles are mapped
    if let (Some(name), Some((_, bad, marks))) = (&map.quantity, &quantity) {
        found.push(Parsed::quantities(name, *bad, marks, decimal));
    }
    let date = date.map(|(d, f)| {
        found.push(f);
        d.into_column()
    });
    let quantity = quantity.map(|(q, _, _)| q.into_column());
    let description = description.map(|d| descriptions(&d, path)).transpose()?;
    let description = description.map(IntoColumn::into_column);
    let canonical = canonical(rows, customer.into_column(), item.into_column(), quantity, description, date)
        .map_err(|e| InputError::Parse { path: path.into(), detail: e.to_string() })?;
    let segment = segment.map(|s| segments(&s, path)).transpose()?;
    let mut canonical = with_segment(canonical, segment.map(IntoColumn::into_column))
        .map_err(|e| InputError::Parse { path: path.into(), detail: e.to_string() })?;
    for (name, column) in text {
        let values = row_values(&column, path)?.into_column().with_name(name.into());
        canonical.with_column(values).map_err(|e| InputError::Parse { path: path.into(), detail: e.to_string() })?;
    }
    Ok((canonical, found))
}

/// The canonical frame with the segment column (`[recommend] fallback = "popular_by:…"`)
/// appended, when one is read; unchanged otherwise.
pub fn with_segment(mut frame: DataFrame, segment: Option<Column>) -> PolarsResult<DataFrame> {
    if let Some(segment) = segment {
        frame.with_column(segment.with_name(col::SEGMENT.into()))?;
    }
    Ok(frame)
}

/// A segment column as text, read as an item id is: trimmed, blank is missing (no segment),
/// numbers printed.
fn segments(column: &Column, path: &Path) -> Result<StringChunked, InputError> {
    Ok(ids(column, false, path, "segment")?.0)
}

fn type_error(column: &Column, path: &Path, role: &str) -> InputError {
    InputError::ColumnType {
        path: path.into(),
        column: column.name().to_string(),
        role: role.to_string(),
        dtype: column.dtype().to_string(),
    }
}

/// A customer or item id as text: trimmed, and "17850.0" written "17850" (Excel and pandas
/// exports print integral ids as floats: a pandas column of codes with one missing value is a
/// float column, and its CSV writes 71053 as "71053.0" where its Parquet, or an Excel number
/// cell, reads 71053; "17850,00" with a decimal comma). Leading zeros are kept: "007" is not
/// "7". A fraction of exactly three zeros after at most three digits is kept too: "13.000"
/// may be 13000 grouped (a German export; "13,000" an American one), and read as 13 it was
/// merged, silently, with customer 13. A thousands group is three digits after one to three,
/// a float's zeros need not be: "17850.000" (pandas' `%.3f`) is 17850.
pub fn normalize_id(text: &str) -> Option<&str> {
    let t = trimmed(text);
    if t.is_empty() {
        return None;
    }
    if let Some((int, frac)) = t.split_once(['.', ',']) {
        let digits = int.strip_prefix('-').unwrap_or(int);
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && (frac.len() != 3 || digits.len() > 3)
            && frac.bytes().all(|b| b == b'0')
        {
            return Some(int);
        }
    }
    Some(t)
}

/// A customer id (as [`normalize_id`] writes it) as an integer, when it is one written
/// canonically: "17850" is 17850; "007", "+7", "1e3" and ids beyond i64 are text. The one
/// rule for whether `customer_id` can be published as Int64.
pub fn integer_id(id: &str) -> Option<i64> {
    // canonical = what `to_string` writes back: digits, no leading zero, no "+", no "-0"
    // (checked on the bytes: this runs on every row of a folder that publishes Int64)
    let digits = id.strip_prefix('-').unwrap_or(id);
    let canonical = match digits.as_bytes() {
        [] => false,
        [b'0'] => digits.len() == id.len(),
        [first, ..] => *first != b'0' && digits.bytes().all(|b| b.is_ascii_digit()),
    };
    canonical.then(|| id.parse::<i64>().ok()).flatten()
}

/// How many of a column's values that read as nothing for its role its note quotes.
const UNREAD_EXAMPLES: usize = 3;

/// Keeps `text` among a column's `examples` of values that read as nothing for its role, while
/// there are few ([`UNREAD_EXAMPLES`]), each once: the date's and the time's notes show them.
pub(crate) fn keep_example(examples: &mut Vec<String>, text: &str) {
    if examples.len() < UNREAD_EXAMPLES && !examples.iter().any(|e| e == text) {
        examples.push(text.to_string());
    }
}

/// "2 values read as no date ('x', 'y')", "5 … ('x', 'y', 'z', …)": how many of a column's
/// values read as no `what`, with the `examples` kept ([`keep_example`]).
pub(crate) fn unread_values(count: usize, examples: &[String], what: &str) -> String {
    let quoted: Vec<String> = examples.iter().map(|e| format!("'{e}'")).collect();
    let more = if count > examples.len() { ", …" } else { "" };
    let (s, read) = if count == 1 { ("", "reads") } else { ("s", "read") };
    format!("{count} value{s} {read} as no {what} ({}{more})", quoted.join(", "))
}

/// A text value (a segment, a row filter's, a description printed): trimmed, blank is none.
pub(crate) fn item_text(text: &str) -> Option<&str> {
    // whitespace only: a name's invisible characters may be its own (an emoji's joiners)
    let t = text.trim();
    (!t.is_empty()).then_some(t)
}

/// One value read for its role: an id (customer or item, `id`: [`normalize_id`]) or a text
/// value ([`item_text`]), and whether spaces were trimmed from it, or `None` when it is blank
/// (invalid). The one per-value rule every reader uses.
#[inline]
pub(crate) fn read_id(text: &str, id: bool) -> Option<(&str, bool)> {
    match id {
        true => normalize_id(text).map(|read| (read, untrimmed(text))),
        // a text value loses whitespace only
        false => item_text(text).map(|read| (read, read.len() != text.len())),
    }
}

/// A character a value is trimmed of: whitespace as Unicode defines it (spaces, tabs, no-break
/// spaces) and characters that print as nothing ([`crate::progress::invisible`]: a zero-width
/// space, a byte-order mark — two UTF-8 exports with BOMs joined end to end start the second
/// part's first id with one, `\u{feff}12038`, another customer than 12038 — a soft hyphen).
fn edge(c: char) -> bool {
    c.is_whitespace() || crate::progress::invisible(c)
}

/// `text` without [`edge`] characters before and after it.
#[inline]
fn trimmed(text: &str) -> &str {
    text.trim_matches(edge)
}

/// True when `text` starts or ends with an [`edge`] character, which an id read from it loses.
/// Called on every id: an edge byte that is printable ASCII (nearly every id's) settles it
/// without decoding a character.
#[inline]
pub(crate) fn untrimmed(text: &str) -> bool {
    let maybe = |b: Option<&u8>| b.is_some_and(|&b| b <= b' ' || b >= 0x80);
    let bytes = text.as_bytes();
    (maybe(bytes.first()) && text.starts_with(edge)) || (maybe(bytes.last()) && text.ends_with(edge))
}

/// Ids written in scientific notation with fewer digits than their number has: a
/// spreadsheet's CSV of long numbers (`4.00035E+15`, six of sixteen digits, Excel's "General"
/// format from twelve digits on; pandas' `4.00035e+15` from a float column). The digits not
/// written are lost, so customers (or barcodes) that differed only there read as one id —
/// 793 customers published as 80 (a helper's export), without a word.
#[derive(Debug, Default)]
pub(crate) struct LostDigits {
    pub values: usize,
    pub distinct: usize,
    pub example: Option<String>,
}

impl LostDigits {
    /// The ids of a parsed id column that lost digits, and how many distinct texts they are.
    pub(crate) fn of(ids: &StringChunked) -> LostDigits {
        let mut seen = std::collections::HashSet::new();
        let mut lost = LostDigits::default();
        for id in ids.iter().flatten().filter(|id| rounded_scientific(id)) {
            lost.values += 1;
            lost.example.get_or_insert_with(|| id.to_string());
            seen.insert(id);
        }
        lost.distinct = seen.len();
        lost
    }
}

/// The customer's and the item's ids (in that order) a reader read from numbers longer than
/// their type keeps — a workbook's number cells of 16 digits or more (15 significant digits
/// kept), a float column's values from 2^53 — each with how many and where the first is, when
/// the reader knows: their digits past the type's were lost before kindred read them.
pub type LongIds = [(usize, Option<String>); 2];

/// The values of a float column from 2^53 on (ids a float cannot hold digit for digit), and
/// the first one as the id it reads as; none for another type.
pub(crate) fn long_floats(column: &Column) -> (usize, Option<String>) {
    let series = column.as_materialized_series();
    let floats = match column.dtype().is_float().then(|| series.cast(&DataType::Float64)) {
        Some(Ok(floats)) => floats,
        _ => return (0, None),
    };
    let Ok(floats) = floats.f64() else { return (0, None) };
    // integers are exact in a float up to 2^(mantissa bits + 1): 2^53 in a Float64, 2^24 in a
    // Float32 (a helper's 80 customers published as 76 from one)
    let (limit, from) = match column.dtype() {
        DataType::Float32 => (16_777_216.0, "2^24 (a 32-bit float column)"),
        _ => (9_007_199_254_740_992.0, "2^53"),
    };
    let mut long = floats.iter().flatten().filter(|v| v.is_finite() && v.abs() >= limit);
    let first = long.next().map(|f| format!("float values from {from}; the first reads '{}'", number_text(f)));
    let count = first.as_ref().map_or(0, |_| 1 + long.count());
    (count, first)
}

/// `4.00035E+15`: one digit, a fraction, an exponent with its `+` written, beyond the
/// fraction's digits — an integer of more digits than written. From six on: `%g` writes
/// exponents from 6, a workbook's "General" format from 11; `1E+05` may be a product code.
fn rounded_scientific(id: &str) -> bool {
    let Some((mantissa, exponent)) = id.split_once(['E', 'e']) else { return false };
    let Some(exponent) = exponent.strip_prefix('+').and_then(|e| e.parse::<usize>().ok()) else { return false };
    let (int, fraction) =
        mantissa.strip_prefix('-').unwrap_or(mantissa).split_once(['.', ',']).unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    exponent >= 6 && int.len() == 1 && digits(int) && digits(fraction) && fraction.len() < exponent
}

/// A quantity read from text.
pub(crate) enum Quantity {
    Number(f64),
    /// NaN or infinity: the export itself is broken, an error naming the row.
    NotFinite,
    /// Not a number: counted invalid, read as missing.
    Invalid,
    /// Read two ways ("1,000"): its column decides ([`Marks::decide`]).
    Pending(Pending),
}

/// Parses an id column (customer or item, `id`), or a text one (a segment, a row filter's, a
/// description), into text: (values, blanks counted invalid, values trimmed).
fn ids(column: &Column, id: bool, path: &Path, role: &str) -> Result<(StringChunked, usize, usize), InputError> {
    let series = column.as_materialized_series();
    let (mut bad, mut trimmed) = (0usize, 0usize);
    let out: StringChunked = match column.dtype() {
        DataType::String => {
            let ca = series.str().map_err(|_| type_error(column, path, role))?;
            if ca.iter().flatten().all(|v| read_id(v, id).is_some_and(|(r, _)| r.len() == v.len())) {
                return Ok((ca.clone(), 0, 0)); // nothing to change: no copy
            }
            ca.iter()
                .map(|v| {
                    let read = read_id(v?, id);
                    bad += read.is_none() as usize;
                    trimmed += matches!(read, Some((_, true))) as usize;
                    read.map(|(id, _)| id)
                })
                .collect()
        }
        // Unsigned ids through u64: ids above 2^63 (a UInt64 column) were nulls through i64.
        dt if dt.is_unsigned_integer() => {
            let ca = series.cast(&DataType::UInt64).map_err(|_| type_error(column, path, role))?;
            ca.u64().map_err(|_| type_error(column, path, role))?.iter().map(|v| v.map(|v| v.to_string())).collect()
        }
        dt if dt.is_integer() => {
            let ca = series.cast(&DataType::Int64).map_err(|_| type_error(column, path, role))?;
            ca.i64().map_err(|_| type_error(column, path, role))?.iter().map(|v| v.map(|v| v.to_string())).collect()
        }
        dt if dt.is_float() => {
            let ca = series.cast(&DataType::Float64).map_err(|_| type_error(column, path, role))?;
            ca.f64()
                .map_err(|_| type_error(column, path, role))?
                .iter()
                .map(|v| {
                    let v = v?;
                    bad += (!v.is_finite()) as usize;
                    v.is_finite().then(|| number_text(v))
                })
                .collect()
        }
        _ => return Err(type_error(column, path, role)),
    };
    Ok((out, bad, trimmed))
}

/// A row filter's column as text: text and numbers as an item id reads them (trimmed, blank
/// is no value, "2.0" is "2"); a flag as `true` / `false`; a timestamp as a CSV written by
/// pandas holds it ([`timestamp_text`]; a Parquet timestamp with a time zone arrives as its
/// UTC instant, noted by the Parquet reader); any other type as polars prints it.
fn row_values(column: &Column, path: &Path) -> Result<StringChunked, InputError> {
    let dtype = column.dtype();
    if matches!(dtype, DataType::String) || dtype.is_primitive_numeric() {
        return Ok(ids(column, false, path, "row_filter")?.0);
    }
    let text =
        column.as_materialized_series().cast(&DataType::String).map_err(|_| type_error(column, path, "row_filter"))?;
    let text = ids(&text.into_column(), false, path, "row_filter")?.0;
    if !matches!(dtype, DataType::Datetime(..)) {
        return Ok(text);
    }
    let midnight = |t: &str| {
        let t = timestamp_text(t, false);
        t.len() == 10 || t.get(10..) == Some(" 00:00:00")
    };
    let midnights = text.iter().flatten().all(midnight);
    let values: StringChunked = text.iter().map(|t| t.map(|t| timestamp_text(t, midnights))).collect();
    Ok(values.with_name(text.name().clone()))
}

/// A timestamp as polars prints it (`2024-03-01 10:00:00.500000000`) written as pandas writes
/// one to a CSV: its fraction to 3, 6 or 9 digits as it needs (none when zero: `…10:00:00`,
/// `…10:00:00.500`), and the date alone when every value of its column is a midnight
/// (`2024-03-01`: a column of dates, as a sheet's date cells are read).
fn timestamp_text(text: &str, date_only: bool) -> String {
    if date_only && text.len() >= 10 {
        return text[..10].to_string();
    }
    let Some((head, frac)) = text.split_once('.') else { return text.to_string() };
    let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
    let (frac, rest) = frac.split_at(digits);
    let significant = frac.trim_end_matches('0');
    match significant.len() {
        0 => format!("{head}{rest}"),
        n => {
            let width = n.div_ceil(3) * 3;
            format!("{head}.{significant:0<width$}{rest}")
        }
    }
}

/// Descriptions as text, tidied ([`tidy_descriptions`]): a text column's, others printed.
fn descriptions(column: &Column, path: &Path) -> Result<StringChunked, InputError> {
    let text = match column.dtype() {
        DataType::String => {
            column.as_materialized_series().str().map_err(|_| type_error(column, path, "description"))?.clone()
        }
        _ => ids(column, false, path, "description")?.0,
    };
    Ok(tidy_descriptions(text))
}

/// Descriptions each trimmed ([`item_text`]: blank is none) with its runs of whitespace, line
/// breaks among them, one space: `" SET 2 TEA TOWELS I LOVE LONDON "`, and `"BOXES A "` beside
/// `"BOXES A"`, were names of their own, published with their spaces (810 of the shipped
/// export's 3,665 items) and splitting an item's vote for its name (`pivot`). A line break was
/// kept until 2026-12-07: `"RED\nMUG"` split the vote with `"RED MUG"` (and lost the name to
/// `"BLUE MUG"`, helper-122), and a name of two lines is two rows of a BI table's cell and of
/// a CSV a BI tool writes. Every reader's descriptions pass here; a column already tidy is
/// returned as it is (no copy).
pub(crate) fn tidy_descriptions(text: StringChunked) -> StringChunked {
    if text.iter().flatten().all(|t| tidy_description(t).is_some_and(|d| d == t)) {
        return text;
    }
    let tidied: StringChunked = text.iter().map(|t| tidy_description(t?).map(std::borrow::Cow::into_owned)).collect();
    tidied.with_name(text.name().clone())
}

/// One description tidied ([`tidy_descriptions`]); `None` when blank.
fn tidy_description(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    let t = item_text(text)?;
    // the usual name has no run of spaces nor other whitespace: taken as it is
    if !t.contains("  ") && t.bytes().all(|b| (b' '..0x80).contains(&b)) {
        return Some(t.into());
    }
    let tidy = t.split_whitespace().collect::<Vec<_>>().join(" ");
    (!tidy.is_empty()).then_some(tidy.into())
}

/// Parses quantities as f64; text that is not a number is invalid (null); NaN or infinity is
/// an error naming the row, since it means the export itself is broken. Text is read with the
/// marks its column shows (see [`number`]); `decimal` is `[input] decimal`. Returns the
/// values, the invalid count and what the column's marks showed.
fn quantities(
    column: &Column,
    path: &Path,
    decimal: Option<Mark>,
) -> Result<(Float64Chunked, usize, Marks), InputError> {
    let series = column.as_materialized_series();
    let name = column.name().to_string();
    let non_finite =
        |row: usize, value: String| InputError::NonFinite { path: path.into(), column: name.clone(), row, value };
    let values: Float64Chunked = match column.dtype() {
        DataType::String => {
            let ca = series.str().map_err(|_| type_error(column, path, "quantity"))?;
            let mut reader = NumberText::new(decimal);
            let (mut out, mut pending, mut bad) = (Vec::with_capacity(ca.len()), Vec::new(), 0);
            for (row, v) in ca.iter().enumerate() {
                out.push(match v.map(|s| (s, reader.read(s))) {
                    None => None,
                    Some((_, Quantity::Invalid)) => {
                        bad += 1;
                        None
                    }
                    Some((_, Quantity::Number(q))) => Some(q),
                    Some((_, Quantity::Pending(p))) => {
                        pending.push((row, p));
                        None
                    }
                    Some((s, Quantity::NotFinite)) => return Err(non_finite(row + 1, s.to_string())),
                });
            }
            let decision = reader.marks.decide(decimal);
            bad += settle(&mut out, pending, decision);
            let values = Float64Chunked::from_iter_options(col::QUANTITY.into(), out.into_iter());
            return Ok((values, bad, reader.marks));
        }
        dt if dt.is_primitive_numeric() => {
            let ca = series.cast(&DataType::Float64).map_err(|_| type_error(column, path, "quantity"))?;
            ca.f64().map_err(|_| type_error(column, path, "quantity"))?.clone()
        }
        _ => return Err(type_error(column, path, "quantity")),
    };
    if let Some((row, v)) = values.iter().enumerate().find(|(_, v)| v.is_some_and(|q| !q.is_finite())) {
        return Err(non_finite(row + 1, format!("{}", v.unwrap_or_default())));
    }
    Ok((values, 0, Marks::default()))
}

/// Puts each pending value (at its row of `values`) as `decision` reads it; returns how many
/// it does not read (left missing: invalid).
pub(crate) fn settle(values: &mut [Option<f64>], pending: Vec<(usize, Pending)>, decision: Decision) -> usize {
    let mut unread = 0;
    for (row, p) in pending {
        values[row] = decision.value(p);
        unread += values[row].is_none() as usize;
    }
    unread
}

/// A number as f64: plain integers (nearly every quantity) without the float parser.
fn parse_number(s: &str) -> Result<f64, std::num::ParseFloatError> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        let n = digits.bytes().fold(0i64, |n, b| n * 10 + (b - b'0') as i64);
        return Ok(if digits.len() < s.len() { -(n as f64) } else { n as f64 });
    }
    s.parse()
}

/// Parses the date column into epoch seconds (UTC; naive times as the export's, offsets
/// applied): text in one day-month order for the whole column (see [`date`]), datetimes and
/// dates as they are; any after the rule's horizon is invalid.
/// A date column's values read from text as the module `date` says ([`DateText`]). Numbers are
/// read as their text, as their CSV would be (an integer column of Unix time or of `YYYYMMDD`,
/// as a database or pandas writes it to Parquet).
fn text_dates<S: AsRef<str>>(
    values: impl Iterator<Item = Option<S>>,
    rule: &DateRule,
    name: &str,
) -> (Int64Chunked, Parsed) {
    let mut reader = DateText::new(rule);
    let mut bad = 0usize;
    let read: Int64Chunked = values
        .map(|v| {
            let d = reader.read(v?.as_ref());
            bad += d.is_none() as usize;
            d
        })
        .collect();
    let mut evidence = reader.evidence;
    let (values, invalid) = match evidence.pending() {
        true => date::resolve(read.iter(), &mut evidence, rule),
        false => (read.with_name(col::DATE.into()), 0),
    };
    (values, Parsed::dates(name, bad + invalid, &evidence, rule))
}

fn dates(column: &Column, rule: &DateRule, path: &Path) -> Result<(Int64Chunked, Parsed), InputError> {
    let series = column.as_materialized_series();
    let name = column.name().as_str();
    let typed = |seconds: Int64Chunked| {
        let (values, evidence) = date::beyond(seconds.iter(), rule);
        (values, Parsed::dates(name, evidence.future(), &evidence, rule))
    };
    let numbers = |cast: DataType| series.cast(&cast).map_err(|_| type_error(column, path, "date"));
    Ok(match column.dtype() {
        DataType::String => {
            let ca = series.str().map_err(|_| type_error(column, path, "date"))?;
            text_dates(ca.iter(), rule, name)
        }
        dtype if dtype.is_integer() => {
            let ints = numbers(DataType::Int64)?;
            let ints = ints.i64().map_err(|_| type_error(column, path, "date"))?;
            text_dates(ints.iter().map(|v| v.map(|i| i.to_string())), rule, name)
        }
        // Float64 only: a Float32 holds whole numbers exactly only up to 2^24, and YYYYMMDD or
        // epoch seconds past it came out moved by a day or a minute, silently
        DataType::Float64 => {
            let floats = numbers(DataType::Float64)?;
            let floats = floats.f64().map_err(|_| type_error(column, path, "date"))?;
            text_dates(floats.iter().map(|v| v.map(number_text)), rule, name)
        }
        DataType::Datetime(unit, _) => {
            let per_second = match unit {
                TimeUnit::Nanoseconds => 1_000_000_000,
                TimeUnit::Microseconds => 1_000_000,
                TimeUnit::Milliseconds => 1_000,
            };
            let ca = series.to_physical_repr();
            let ca = ca.i64().map_err(|_| type_error(column, path, "date"))?;
            typed(ca.iter().map(|v| v.map(|v| v.div_euclid(per_second))).collect())
        }
        DataType::Date => {
            let ca = series.to_physical_repr();
            let ca = ca.i32().map_err(|_| type_error(column, path, "date"))?;
            typed(ca.iter().map(|v| v.map(|d| d as i64 * 86_400)).collect())
        }
        _ => return Err(type_error(column, path, "date")),
    })
}

/// A workbook's serial day of 1954-10-03: numbers all below it are no export's dates.
pub(crate) const SERIAL_1954: f64 = 20_000.0;

/// Prints an integral float as an integer (17850.0 → "17850"), others as Rust prints them.
pub fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spreadsheet's long numbers in scientific notation lost digits; codes that look alike
    /// but write every digit (or no `+`) do not.
    #[test]
    fn ids_in_scientific_notation_that_lost_digits_are_told() {
        for id in ["4.00035E+15", "4.00035e+15", "5.01234E+12", "-1.5E+10", "4,00035E+15", "9E+11", "4.00035E+015"] {
            assert!(rounded_scientific(id), "{id}");
        }
        for id in ["4.0003512345678E+13", "84029E", "1E5", "1E+05", "2E-3", "12.5E+3", "E+15", "4.0x035E+15", "17850"] {
            assert!(!rounded_scientific(id), "{id}");
        }
        let ids: StringChunked =
            ["4.00035E+15", "4.00035E+15", "4.00073E+15", "17850", "85123A"].into_iter().map(Some).collect();
        let lost = LostDigits::of(&ids);
        assert_eq!((lost.values, lost.distinct, lost.example.as_deref()), (3, 2, Some("4.00035E+15")));
        let clean: StringChunked = ["17850", "85123A"].into_iter().map(Some).collect();
        assert!(LostDigits::of(&clean).example.is_none());
    }

    #[test]
    fn numbers_parse_like_the_float_parser() {
        for s in ["6", "-12", "007", "2.5", "1e3", "+5", "123456789012345", "1234567890123456789", "-0"] {
            assert_eq!(parse_number(s).unwrap().to_bits(), s.parse::<f64>().unwrap().to_bits(), "{s}");
        }
        for s in ["", "-", "abc", "1,5", "--1"] {
            assert!(parse_number(s).is_err(), "{s}");
        }
    }

    #[test]
    fn a_text_quantity_column_is_read_with_the_marks_it_shows() {
        let column = |values: &[&str]| Column::new("Qty".into(), values.iter().map(|v| Some(*v)).collect::<Vec<_>>());
        let read = |values: &[&str], decimal| {
            let (q, bad, marks) = quantities(&column(values), Path::new("f.csv"), decimal).unwrap();
            (q.iter().collect::<Vec<_>>(), bad, marks.notes(decimal).len())
        };
        assert_eq!(
            read(&["2,5", "1.000", "abc", "1,000"], None),
            (vec![Some(2.5), Some(1000.0), None, Some(1.0)], 1, 2)
        );
        assert_eq!(read(&["10,000", "1,500"], None), (vec![None, None], 2, 1));
        assert_eq!(read(&["10,000", "2.5"], Some(Mark::Comma)), (vec![Some(10.0), None], 1, 1));
        assert_eq!(read(&["12", "-3"], None), (vec![Some(12.0), Some(-3.0)], 0, 0));
    }

    #[test]
    fn ids_are_trimmed_of_unicode_whitespace_and_invisible_characters() {
        for (text, trimmed) in [
            (" 12", true),
            ("12\t", true),
            ("\u{a0}A\u{a0}", true),
            ("A\u{2003}", true),
            ("cream cheese ", true),
            ("cream cheese", false),
            ("é", false),
            ("Ω\u{a0}x", false),
            ("", false),
            // characters that print as nothing (session 40): two UTF-8 exports with BOMs joined
            // end to end, a zero-width space pasted with an id, a soft hyphen
            ("\u{feff}12038", true),
            ("\u{200b}12005", true),
            ("12005\u{ad}", true),
            ("120\u{200b}05", false),
        ] {
            assert_eq!(untrimmed(text), trimmed, "{text:?}");
            assert_eq!(untrimmed(text), self::trimmed(text) != text, "{text:?}");
        }
        assert_eq!(item_text(" cream cheese\u{a0}"), Some("cream cheese"));
        assert_eq!(item_text(" \t"), None);
        assert_eq!(normalize_id("\u{feff}12038.0"), Some("12038"));
        // a name keeps its invisible characters (an emoji flag's tags, its joiners): whitespace only
        assert_eq!(item_text(" MUG \u{1f3f4}\u{e0067}\u{e007f} "), Some("MUG \u{1f3f4}\u{e0067}\u{e007f}"));
    }

    /// Session 40: descriptions kept their spaces (701 of the shipped export's items published
    /// with them) and whitespace variants split an item's vote for its name.
    #[test]
    fn descriptions_are_trimmed_with_runs_of_whitespace_one_space() {
        let raw = StringChunked::new(
            "d".into(),
            [Some(" SET 2 TEA TOWELS "), Some("BOXES  A"), Some("BOXES\tA\u{a0}"), Some("  "), None, Some("PLAIN")],
        );
        let texts = |c: StringChunked| c.iter().map(|t| t.map(String::from)).collect::<Vec<_>>();
        let want = [Some("SET 2 TEA TOWELS"), Some("BOXES A"), Some("BOXES A"), None, None, Some("PLAIN")];
        // a line break is whitespace like any other: one name, one vote (helper-122)
        let lines = StringChunked::new("d".into(), [Some("BAG \n RED"), Some("BAG\r\nRED"), Some("BAG RED")]);
        assert_eq!(texts(tidy_descriptions(lines)), vec![Some("BAG RED".to_string()); 3]);
        assert_eq!(texts(tidy_descriptions(raw)), want.map(|t| t.map(String::from)));
        let plain = StringChunked::new("d".into(), [Some("A B"), None]);
        assert_eq!(texts(tidy_descriptions(plain.clone())), texts(plain));
    }

    #[test]
    fn id_normalisation() {
        assert_eq!(normalize_id("17850.0"), Some("17850"));
        assert_eq!(normalize_id(" 12 "), Some("12"));
        assert_eq!(normalize_id("12.5"), Some("12.5"));
        assert_eq!(normalize_id("C-1"), Some("C-1"));
        assert_eq!(normalize_id(""), None);
        assert_eq!(normalize_id("-3.00"), Some("-3"));
        assert_eq!(normalize_id("12348,00"), Some("12348"));
        assert_eq!(normalize_id("17850.0000"), Some("17850"));
        assert_eq!(normalize_id("17850.000"), Some("17850"), "no group follows five digits");
        assert_eq!(normalize_id("17850,000"), Some("17850"));
        // three zeros may be a thousands group: 13000, not customer 13
        for grouped in ["13.000", "13,000", "1.000.000", "1,000,000", "12.348", "12,348"] {
            assert_eq!(normalize_id(grouped), Some(grouped));
        }
        // Session 35: item codes read so too, the same code whatever the export's format (a
        // pandas float column of codes is "71053.0" in its CSV, 71053 in its Parquet); a text
        // value (a segment, a description) is only trimmed
        assert_eq!(read_id(" 71053.0", true), Some(("71053", true)));
        assert_eq!(read_id("85123A", true), Some(("85123A", false)));
        assert_eq!(read_id("71053.0", false), Some(("71053.0", false)));
        let column = Column::new("item".into(), ["71053.0", "85123A", "22730.00", "13.000"]);
        let (read, bad, trimmed) = ids(&column, true, Path::new("x.csv"), "item").unwrap();
        let read: Vec<Option<&str>> = read.iter().collect();
        assert_eq!((read, bad, trimmed), (vec![Some("71053"), Some("85123A"), Some("22730"), Some("13.000")], 0, 0));
    }

    #[test]
    fn integer_ids_are_canonical_integers() {
        assert_eq!(integer_id("17850"), Some(17850));
        assert_eq!(integer_id("-3"), Some(-3));
        for id in ["007", "+7", "1e3", "C-1", "9223372036854775808", "12.5", "", "-", "-0", "00", "1 "] {
            assert_eq!(integer_id(id), None, "{id}");
        }
        // the rule is exactly "parses, and writes back the same"
        for id in ["0", "7", "-7", "9223372036854775807", "-9223372036854775808", "10", "-10"] {
            assert_eq!(integer_id(id), id.parse::<i64>().ok().filter(|v| v.to_string() == id), "{id}");
        }
    }

    #[test]
    fn number_text_drops_integral_fraction() {
        assert_eq!(number_text(17850.0), "17850");
        assert_eq!(number_text(2.5), "2.5");
        assert_eq!(number_text(-3.0), "-3");
    }

    /// A row filter's timestamps as a pandas CSV writes them, whichever format they came from:
    /// no zero fraction, a fraction to 3, 6 or 9 digits, a column of midnights as dates.
    #[test]
    fn row_filter_timestamps_print_as_a_csv_holds_them() {
        for (polars, csv) in [
            ("2024-03-01 10:00:00.000000", "2024-03-01 10:00:00"),
            ("2024-03-01 10:00:00.500000000", "2024-03-01 10:00:00.500"),
            ("2024-03-01 10:00:00.123450", "2024-03-01 10:00:00.123450"),
            ("2024-03-01 10:00:00", "2024-03-01 10:00:00"),
        ] {
            assert_eq!(timestamp_text(polars, false), csv);
        }
        assert_eq!(timestamp_text("2024-03-01 00:00:00.000", true), "2024-03-01");
        let stamps = [Some(1_709_251_200_000_000i64), Some(1_709_337_600_000_000), None];
        let midnights = Int64Chunked::from_iter_options("t".into(), stamps.into_iter())
            .into_datetime(TimeUnit::Microseconds, None)
            .into_column();
        let values = row_values(&midnights, Path::new("x.parquet")).unwrap();
        assert_eq!(values.iter().collect::<Vec<_>>(), [Some("2024-03-01"), Some("2024-03-02"), None]);
    }
}
