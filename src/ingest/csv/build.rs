//! Build: one piece of a CSV's records made into columns, on a builder thread.
//!
//! Takes the text of whole records (the scan found where they end) and the [`Plan`] fixed
//! once the header is read; returns the piece's columns and counts ([`Part`]), and at the end
//! all pieces as one frame. Records are split by [`crate::ingest::split`] as polars splits
//! them and each field read as polars' CSV reader reads it; a role's field is then parsed by
//! [`crate::roles`] as the audit parses text, so the pipeline gets the canonical frame without
//! reading the text twice. Ragged rows, bad quotes and invalid UTF-8 are refused naming the
//! line (or cut and counted), and every column's empty fields are counted. Every field, built
//! or not, is also counted into its column's [`Profile`] (the file's first look: types,
//! distinct values by hash, ranges), and the first records are kept as text by [`Plan::head`].

use std::ops::Range;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;

use polars::prelude::*;

use super::scan::Scan;
use super::{Built, CsvRead, Piece, Roles};
use crate::config::{Columns, Mark};
use crate::error::InputError;
use crate::ingest::look::{Head, Look, Profile, Watched};
use crate::ingest::split::{field_shape, field_shown, formulas_note, Found, Records};
use crate::ingest::{one_column, resolve_columns, HeaderNames, Missing};
use crate::roles::{
    canonical, col, read_id, resolve_dates, settle, tidy_descriptions, with_segment, DateRule, DateText, Decision,
    Evidence, Marks, NumberText, Parsed, Pending, Quantity,
};

/// What to do with CSV exports whose layouts differ, joined end to end.
const JOIN_BY_NAME: &str = "write the parts in one column order, or join them by their column names (DuckDB: `COPY (SELECT * FROM read_csv(['jan.csv', 'feb.csv'], union_by_name = true)) TO 'all.csv'`)";

/// How a built column reads its fields.
#[derive(Debug, Clone, Copy, PartialEq)]
enum As {
    /// As polars' CSV reader reads them (descriptions, and every column without roles).
    Text,
    /// [`crate::roles::normalize_id`]; blank is invalid.
    Customer,
    /// As a customer id is ([`crate::roles::normalize_id`]); blank is invalid.
    Item,
    /// [`NumberText`] as f64, values read two ways ("1,000") left until the column's marks
    /// are known; NaN or infinity fails the run.
    Quantity,
    /// [`DateText`] as epoch seconds, year-last dates packed until the column's order is known.
    Date,
    /// A segment as `item_text` reads it (blank is no segment), nothing counted.
    Segment,
}

/// A built column: how it reads its fields, its name in the frame, and the header's name.
struct Target {
    how: As,
    name: PlSmallStr,
    source: String,
}

/// A built column's values so far.
enum Sink<'p> {
    Text(StringChunkedBuilder),
    Number(PrimitiveChunkedBuilder<Float64Type>, NumberText),
    Date(PrimitiveChunkedBuilder<Int64Type>, DateText<'p>),
}

/// What the builders make of each column, fixed once the header is read: the records are
/// split as polars splits them ([`Records`]), each field read as polars' CSV reader reads
/// it ([`field_shown`]: an Excel text formula as the text it shows) and then, for the roles, parsed as the audit parses text. They refuse
/// ragged rows, bad quotes and invalid UTF-8 naming the line (or cut and count the rows), and
/// count every column's empty fields.
pub(super) struct Plan {
    header: Vec<String>,
    resolved: Option<(Columns, Vec<crate::ingest::Unmapped>)>,
    /// For each header column, its place among the built columns (`None`: not built).
    slots: Vec<Option<usize>>,
    built: Vec<Target>,
    /// The frame is canonical (the audit's roles) rather than text.
    canonical: bool,
    delimiter: u8,
    /// The quote (`[input] quote`; `split::NO_QUOTE`: none).
    quote: u8,
    dates: DateRule,
    decimal: Option<Mark>,
    skip: bool,
    path: PathBuf,
    /// Which fields hold no value, and for each header column whether it is the quantity's.
    missing: Missing,
    numbers: Vec<bool>,
    /// The roles' columns (their places in the header, the customer's first) and the header's
    /// names: a record holding them, a role's moved, is the header again in another order
    /// ([`HeaderNames::moved`]).
    roles_at: Vec<usize>,
    names: HeaderNames,
}

/// The canonical frame's columns: (name, how it reads, the mapped column if any); the row
/// filters' columns are read as a segment is.
fn canonical_roles(columns: &Columns) -> Vec<(PlSmallStr, As, Option<&String>)> {
    let mut roles: Vec<(PlSmallStr, As, Option<&String>)> = [
        (col::CUSTOMER, As::Customer, Some(&columns.customer)),
        (col::ITEM, As::Item, Some(&columns.item)),
        (col::QUANTITY, As::Quantity, columns.quantity.as_ref()),
        (col::DESCRIPTION, As::Text, columns.description.as_ref()),
        (col::DATE, As::Date, columns.date.as_ref()),
        (col::SEGMENT, As::Segment, columns.segment.as_ref()),
    ]
    .into_iter()
    .map(|(name, how, column)| (name.into(), how, column))
    .collect();
    roles.extend(columns.text_roles().into_iter().map(|(name, column, _)| (name.into(), As::Segment, Some(column))));
    roles
}

impl Plan {
    /// Every column as text without `roles`; with them (resolved against the header), the
    /// canonical frame when each role maps its own column, else the roles' columns as text
    /// (the audit then parses them).
    pub(super) fn new(scan: &Scan, roles: Option<Roles>, skip: bool) -> Result<Plan, InputError> {
        let header = &scan.header;
        let resolved = roles
            .map(|r| resolve_columns(header, r.columns, scan.path, None).map_err(|e| one_column(e, header, scan.set())))
            .transpose()?;
        let columns = resolved.as_ref().map(|(columns, _)| columns);
        let mapped = columns.map(|c| canonical_roles(c).iter().filter(|(_, _, name)| name.is_some()).count());
        let canonical = columns.is_some_and(|c| Some(c.parsed().len()) == mapped);
        let text = |h: &String| Target { how: As::Text, name: h.as_str().into(), source: h.clone() };
        let built: Vec<Target> = match columns {
            Some(c) if canonical => canonical_roles(c)
                .into_iter()
                .filter_map(|(role, how, name)| name.map(|name| Target { how, name: role, source: name.clone() }))
                .collect(),
            Some(c) => header.iter().filter(|h| c.parsed().contains(h)).map(text).collect(),
            None => header.iter().map(text).collect(),
        };
        // the quantity's column: as the roles resolved it, else as the pipeline names it
        let numbers = match columns {
            Some(c) => header.iter().map(|h| Some(h) == c.quantity.as_ref()).collect(),
            None => scan.missing.numbers(header),
        };
        // each header column's built column, by name: a search of every built column for each
        // was quadratic when every column is built (`kindred audit` of a header of 25,000 empty
        // columns: most of its 21 s)
        let mut by_source: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for (k, b) in built.iter().enumerate() {
            by_source.entry(b.source.as_str()).or_insert(k);
        }
        let slots = header.iter().map(|h| by_source.get(h.as_str()).copied()).collect();
        let roles_at = columns.map_or_else(Vec::new, |c| {
            c.parsed().into_iter().filter_map(|name| header.iter().position(|h| h == name)).collect()
        });
        Ok(Plan {
            roles_at,
            names: HeaderNames::new(header),
            header: header.clone(),
            slots,
            resolved,
            built,
            canonical,
            delimiter: scan.delimiter.unwrap_or(b','),
            quote: scan.quote,
            dates: roles.map_or_else(|| DateRule::new(None, None), |r| r.dates.clone()),
            decimal: roles.and_then(|r| r.decimal),
            skip,
            path: scan.path.to_path_buf(),
            missing: scan.missing.clone(),
            numbers,
        })
    }

    fn sinks(&self, rows: usize) -> Vec<Sink<'_>> {
        let sink = |b: &Target| match b.how {
            As::Text | As::Customer | As::Item | As::Segment => {
                Sink::Text(StringChunkedBuilder::new(b.name.clone(), rows))
            }
            As::Quantity => {
                Sink::Number(PrimitiveChunkedBuilder::new(b.name.clone(), rows), NumberText::new(self.decimal))
            }
            As::Date => Sink::Date(PrimitiveChunkedBuilder::new(b.name.clone(), rows), DateText::new(&self.dates)),
        };
        self.built.iter().map(sink).collect()
    }

    /// Builds one piece's records into columns.
    fn parse(&self, piece: &Piece) -> Result<Part, InputError> {
        let bytes = &piece.text[..];
        // The records before the first invalid byte are read; the one holding it fails.
        let (text, valid) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, bytes.len()),
            Err(e) => (std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(), e.valid_up_to()),
        };
        let mut sinks = self.sinks(piece.newlines + 1);
        let mut part = Part::new(piece.index, self.header.len(), self.built.len());
        part.profiles = self.profiles();
        let mut line = piece.line;
        let mut fields: Vec<Range<usize>> = Vec::with_capacity(self.header.len());
        let (mut unescaped, mut shown) = (String::new(), String::new());
        let mut records = Records::new(bytes, self.delimiter, self.quote);
        while let Some(found) = records.next(&mut fields) {
            let Found { start, end, newlines, quoted } =
                found.ok_or_else(|| self.fail("a quoted field is never closed after the scan"))?;
            let record_line = line;
            line += newlines + 1;
            if end > valid {
                let line = record_line + memchr::memchr_iter(b'\n', &bytes[start..valid]).count();
                return Err(InputError::Encoding { path: self.path.clone(), line });
            }
            let record = &bytes[start..end];
            if record.iter().all(|&c| c == b'\r' || c == b' ') {
                continue; // blank lines carry no record
            }
            if let Some(e) = self.malformed(bytes, &fields, quoted, record_line) {
                if !self.skip {
                    return Err(e);
                }
                part.skipped += !record.iter().all(|c| c.is_ascii_whitespace()) as usize;
                continue;
            }
            let cell = |k: usize| fields.get(k).map(|r| &text[r.clone()]);
            if let Some(moved) = self.names.moved(&self.roles_at, cell) {
                let (path, place) = (self.path.clone(), format!("line {record_line}"));
                return Err(InputError::HeaderReordered { path, place, moved, advice: JOIN_BY_NAME });
            }
            for (k, range) in fields.iter().enumerate() {
                let (value, formula) = field_shown(&text[range.clone()], self.quote, (&mut unescaped, &mut shown))
                    .map_err(|()| self.fail("a field the scan passed does not close its quote"))?;
                part.formulas[k] += formula as usize;
                let value = value.filter(|v| !self.missing.is(v, self.numbers[k]));
                part.nulls[k] += value.is_none() as usize;
                if let Some(v) = value {
                    part.profiles[k].add(v); // every column is looked at, built or not
                }
                if let Some(slot) = self.slots[k] {
                    self.push(&mut sinks[slot], slot, value, &mut part);
                }
            }
            part.rows += 1;
        }
        let columns = sinks.into_iter().map(|sink| sink.finish(&mut part.dates, &mut part.marks)).collect();
        part.frame = DataFrame::new(part.rows, columns).map_err(|e| self.fail(&e.to_string()))?;
        part.watched = part.profiles.iter().map(Profile::watched).collect();
        Ok(part)
    }

    /// Why a record on `line` (split into `fields` of `bytes`) cannot be read, if it cannot:
    /// a wrong number of fields, else a quoted field with text after its closing quote.
    fn malformed(&self, bytes: &[u8], fields: &[Range<usize>], quoted: bool, line: usize) -> Option<InputError> {
        let (path, expected) = (self.path.clone(), self.header.len());
        if fields.len() != expected {
            return Some(InputError::Ragged { path, line, found: fields.len(), expected });
        }
        // a field can only be badly quoted in a record holding a quote
        let bad = quoted.then(|| fields.iter().position(|r| field_shape(&bytes[r.clone()], self.quote).1)).flatten()?;
        Some(InputError::BadQuote { path, line, column: self.header[bad].clone() })
    }

    /// Appends one field's value to its column, read for the column's role.
    #[inline]
    fn push(&self, sink: &mut Sink, slot: usize, value: Option<&str>, part: &mut Part) {
        let invalid = &mut part.invalid[slot];
        match (sink, self.built[slot].how) {
            (Sink::Text(b), As::Text) => b.append_option(value),
            (Sink::Text(b), As::Segment) => b.append_option(value.and_then(read_segment)),
            (Sink::Text(b), how) => {
                let id = value.map(|v| read_id(v, matches!(how, As::Customer | As::Item)));
                *invalid += matches!(id, Some(None)) as usize;
                part.trimmed[slot] += matches!(id, Some(Some((_, true)))) as usize;
                b.append_option(id.flatten().map(|(id, _)| id));
            }
            (Sink::Number(b, numbers), _) => b.append_option(match value.map(|v| (v, numbers.read(v))) {
                None => None,
                Some((_, Quantity::Number(q))) => Some(q),
                Some((_, Quantity::Pending(p))) => {
                    part.pending.push((part.rows, p));
                    None
                }
                Some((v, Quantity::NotFinite)) => {
                    part.non_finite.get_or_insert_with(|| (part.rows, v.to_string()));
                    None
                }
                Some((_, Quantity::Invalid)) => {
                    *invalid += 1;
                    None
                }
            }),
            (Sink::Date(b, dates), _) => {
                let date = value.map(|v| dates.read(v));
                *invalid += matches!(date, Some(None)) as usize;
                b.append_option(date.flatten());
            }
        }
    }

    /// An empty profile for each header column; those of a canonical frame's columns other than
    /// the quantity's also read what their values show of the writer's decimal mark.
    pub(super) fn profiles(&self) -> Vec<Profile> {
        let watched = |k: usize| self.canonical && self.decimal.is_none() && !self.numbers[k];
        (0..self.header.len())
            .map(|k| if watched(k) { Profile::watching_marks() } else { Profile::default() })
            .collect()
    }

    /// What the columns other than the quantity's show of the writer's decimal mark (the
    /// `parts` in file order: a column's first value showing it, unless a value that is no
    /// number came before), when they agree: the first such column, the mark and its value
    /// ([`Marks::decide`]).
    fn file_mark<'a>(&self, header: &'a [String], parts: &'a [Part]) -> Option<(&'a str, Mark, &'a str)> {
        let column = |k: usize| {
            parts.iter().filter_map(|p| p.watched.get(k)).find(|w| **w != Watched::Open).and_then(|w| match w {
                Watched::Shown(mark, value) => Some((header[k].as_str(), *mark, value.as_str())),
                _ => None,
            })
        };
        let mut shown = (0..header.len()).filter_map(column);
        let first = shown.next()?;
        shown.all(|(_, m, _)| m == first.1).then_some(first)
    }

    /// The first records of `bytes` (a piece's whole records), as text, appended to `head`
    /// until it holds `want`; blank and malformed records are passed over (the builders
    /// refuse or count them), and reading stops at the first byte that is not UTF-8.
    pub(super) fn head(&self, bytes: &[u8], want: usize, head: &mut Vec<Vec<Option<String>>>) {
        let valid = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |t| t.len());
        let (bytes, text) = (&bytes[..valid], std::str::from_utf8(&bytes[..valid]).unwrap_or_default());
        let (mut fields, mut unescaped) = (Vec::with_capacity(self.header.len()), String::new());
        let mut shown = String::new();
        let mut records = Records::new(bytes, self.delimiter, self.quote);
        while head.len() < want {
            let Some(Some(Found { start, end, quoted, .. })) = records.next(&mut fields) else { return };
            if bytes[start..end].iter().all(|&c| c == b'\r' || c == b' ')
                || self.malformed(bytes, &fields, quoted, 0).is_some()
            {
                continue;
            }
            let mut value = |r: &Range<usize>| {
                let read = field_shown(&text[r.clone()], self.quote, (&mut unescaped, &mut shown));
                read.ok().and_then(|(value, _)| value).map(String::from)
            };
            head.push(fields.iter().map(&mut value).collect());
        }
    }

    /// Builds pieces as they are received; each piece's buffer goes back to be filled again.
    /// Stops at the first error, returned with the piece it was found in. Each piece's
    /// profiles are merged into the thread's as it is built (a piece's hashes are dropped).
    pub(super) fn build(
        &self,
        pieces: &std::sync::Mutex<Receiver<Piece>>,
        free: &std::sync::mpsc::Sender<Vec<u8>>,
    ) -> Built {
        let (mut built, mut profiles) = (Vec::new(), self.profiles());
        loop {
            let Ok(queue) = pieces.lock() else {
                return (built, Some((usize::MAX, self.fail("a builder failed"))), profiles);
            };
            let Ok(piece) = queue.recv() else { return (built, None, profiles) };
            drop(queue);
            if !piece.text.is_empty() {
                match self.parse(&piece) {
                    Ok(mut part) => {
                        let counted = std::mem::take(&mut part.profiles);
                        profiles.iter_mut().zip(counted).for_each(|(p, c)| p.merge(c));
                        built.push(part);
                    }
                    Err(e) => return (built, Some((piece.index, e)), profiles),
                }
            }
            let _ = free.send(piece.text);
        }
    }

    /// The built pieces, in file order, as one frame (a chunk per piece) with the counts, and
    /// the file's look from every column's profile and the `head` rows.
    pub(super) fn assemble(
        &self,
        mut parts: Vec<Part>,
        header: Vec<String>,
        profiles: Vec<Profile>,
        head: Vec<Vec<Option<String>>>,
    ) -> Result<CsvRead, InputError> {
        parts.sort_unstable_by_key(|p| p.index);
        let (mut nulls, mut invalid) = (vec![0; self.header.len()], vec![0; self.built.len()]);
        let (mut skipped, mut rows, mut trimmed) = (0, 0, vec![0; self.built.len()]);
        let mut formulas = vec![0; self.header.len()];
        let mut dates = Evidence::default();
        // the quantities read two ways, read as the whole column's marks show
        let mut marks = Marks::default();
        parts.iter_mut().for_each(|p| marks.merge(std::mem::take(&mut p.marks)));
        if let Some((column, mark, value)) = self.file_mark(&header, &parts) {
            marks.with_file(column, mark, value);
        }
        let decision = marks.decide(self.decimal);
        let mut frame: Option<DataFrame> = None;
        for mut part in parts {
            let slot = self.built.iter().position(|b| b.how == As::Quantity);
            if let (false, Some(slot)) = (part.pending.is_empty(), slot) {
                part.invalid[slot] += self.settle(&mut part, slot, decision)?;
            }
            if let Some((row, value)) = part.non_finite {
                let quantity = self.built.iter().find(|b| b.how == As::Quantity);
                let column = quantity.map(|b| b.source.clone()).unwrap_or_default();
                return Err(InputError::NonFinite { path: self.path.clone(), column, row: rows + row + 1, value });
            }
            nulls.iter_mut().zip(&part.nulls).for_each(|(n, k)| *n += k);
            invalid.iter_mut().zip(&part.invalid).for_each(|(n, k)| *n += k);
            trimmed.iter_mut().zip(&part.trimmed).for_each(|(n, k)| *n += k);
            formulas.iter_mut().zip(&part.formulas).for_each(|(n, k)| *n += k);
            dates.merge(part.dates);
            (skipped, rows) = (skipped + part.skipped, rows + part.rows);
            // The pieces stay chunks of the columns: one contiguous copy would double the
            // frame's peak (at 27 million rows, 3.6 GB → 5.7 GB).
            match &mut frame {
                None => frame = Some(part.frame),
                Some(frame) => _ = frame.vstack_mut_owned(part.frame).map_err(|e| self.fail(&e.to_string()))?,
            }
        }
        let (frame, found) = self.finish_frame(frame, (invalid, trimmed), dates, &marks)?;
        let columns = header.iter().zip(profiles).map(|(name, p)| p.finish(name, "String")).collect();
        let look = Look { columns, head: Head { columns: header.clone(), rows: head } };
        let resolved = self.resolved.clone();
        let notes =
            header.iter().zip(formulas).filter(|(_, n)| *n > 0).map(|(name, n)| formulas_note(name, n)).collect();
        Ok(CsvRead { frame, header, resolved, nulls, skipped, found, look, notes, set_delimiter: None })
    }

    /// The pieces' frame (an empty one of the columns when there were none), and, when the
    /// frame is made canonical, each parsed role's findings from the per-column counts
    /// (invalid, trimmed), the dates' and the quantities' evidence.
    fn finish_frame(
        &self,
        frame: Option<DataFrame>,
        (invalid, trimmed): (Vec<usize>, Vec<usize>),
        mut dates: Evidence,
        marks: &Marks,
    ) -> Result<(DataFrame, Option<Vec<Parsed>>), InputError> {
        let frame = match frame {
            Some(frame) => frame,
            None => {
                let (mut dates, mut marks) = (Evidence::default(), Marks::default());
                let columns = self.sinks(0).into_iter().map(|sink| sink.finish(&mut dates, &mut marks)).collect();
                DataFrame::new(0, columns).map_err(|e| self.fail(&e.to_string()))?
            }
        };
        match self.canonical {
            false => Ok((frame, None)),
            true => {
                let (frame, late) = self.resolve_dates(frame, &mut dates)?;
                let counted = |b: &Target| !matches!(b.how, As::Text | As::Segment);
                let parsed = self.built.iter().zip(invalid).zip(trimmed).filter(|((b, _), _)| counted(b));
                let found = parsed.map(|((b, n), t)| match b.how {
                    As::Date => Parsed::dates(&b.source, n + late, &dates, &self.dates),
                    As::Quantity => Parsed::quantities(&b.source, n, marks, self.decimal),
                    _ => Parsed::new(&b.source, n, t),
                });
                Ok((self.canonical_frame(frame)?, Some(found.collect())))
            }
        }
    }

    /// The date column's year-last dates read in the one order the whole column leaves (see
    /// [`crate::roles`]'s date module): the frame, and how many dates became invalid.
    fn resolve_dates(&self, mut frame: DataFrame, dates: &mut Evidence) -> Result<(DataFrame, usize), InputError> {
        if !dates.pending() {
            return Ok((frame, 0)); // ISO dates (nearly every export's): read once, as they came
        }
        let column = frame.column(col::DATE).and_then(|c| c.i64().cloned()).map_err(|e| self.fail(&e.to_string()))?;
        let (values, late) = resolve_dates(column.iter(), dates, &self.dates);
        frame.with_column(values.into_column()).map_err(|e| self.fail(&e.to_string()))?;
        Ok((frame, late))
    }

    /// A piece's quantities read two ways put in its quantity column (built at `slot`) as
    /// `decision` reads them; returns how many it does not read.
    fn settle(&self, part: &mut Part, slot: usize, decision: Decision) -> Result<usize, InputError> {
        let name = &self.built[slot].name;
        let column = part.frame.column(name).and_then(|c| c.f64().cloned()).map_err(|e| self.fail(&e.to_string()))?;
        let mut values: Vec<Option<f64>> = column.iter().collect();
        let unread = settle(&mut values, std::mem::take(&mut part.pending), decision);
        let settled = Float64Chunked::from_iter_options(name.clone(), values.into_iter());
        part.frame.with_column(settled.into_column()).map_err(|e| self.fail(&e.to_string()))?;
        Ok(unread)
    }

    /// The built roles' columns as the audit's canonical frame.
    fn canonical_frame(&self, frame: DataFrame) -> Result<DataFrame, InputError> {
        let rows = frame.height();
        let column = |name: &str| frame.column(name).ok().cloned();
        let required = |name: &str| column(name).ok_or_else(|| self.fail(&format!("no {name} column was built")));
        let (customer, item) = (required(col::CUSTOMER)?, required(col::ITEM)?);
        let description = column(col::DESCRIPTION)
            .map(|d| d.str().map(|d| tidy_descriptions(d.clone()).into_column()))
            .transpose()
            .map_err(|e| self.fail(&e.to_string()))?;
        let mut canonical = canonical(rows, customer, item, column(col::QUANTITY), description, column(col::DATE))
            .and_then(|frame| with_segment(frame, column(col::SEGMENT)))
            .map_err(|e| self.fail(&e.to_string()))?;
        let text = self.resolved.iter().flat_map(|(columns, _)| columns.text_roles());
        for (name, _, _) in text {
            let values = required(&name)?;
            canonical.with_column(values).map_err(|e| self.fail(&e.to_string()))?;
        }
        Ok(canonical)
    }

    pub(super) fn fail(&self, detail: &str) -> InputError {
        InputError::Parse { path: self.path.clone(), detail: detail.to_string() }
    }
}

/// A segment value as the audit reads a typed one: trimmed, blank is none.
#[inline]
fn read_segment(text: &str) -> Option<&str> {
    read_id(text, false).map(|(segment, _)| segment)
}

impl Sink<'_> {
    /// The built column; a date column's evidence goes to `dates`, a quantity's to `marks`.
    fn finish(self, dates: &mut Evidence, marks: &mut Marks) -> Column {
        match self {
            Sink::Text(b) => b.finish().into_column(),
            Sink::Number(b, numbers) => {
                marks.merge(numbers.marks);
                b.finish().into_column()
            }
            Sink::Date(b, reader) => {
                dates.merge(reader.evidence);
                b.finish().into_column()
            }
        }
    }
}

impl Part {
    fn new(index: usize, columns: usize, built: usize) -> Part {
        let (nulls, invalid, trimmed) = (vec![0; columns], vec![0; built], vec![0; built]);
        let formulas = vec![0; columns];
        let (dates, marks, pending) = (Evidence::default(), Marks::default(), Vec::new());
        let (frame, profiles, watched) = (DataFrame::empty(), Vec::new(), Vec::new());
        let non_finite = None;
        let skipped = 0;
        Part {
            index,
            frame,
            rows: 0,
            nulls,
            invalid,
            trimmed,
            formulas,
            dates,
            marks,
            pending,
            skipped,
            non_finite,
            profiles,
            watched,
        }
    }
}

/// One piece built: its columns and counts.
pub(super) struct Part {
    index: usize,
    frame: DataFrame,
    rows: usize,
    /// Empty fields per header column.
    nulls: Vec<usize>,
    /// Values that do not parse for their role, per built column.
    invalid: Vec<usize>,
    /// Ids written with whitespace around them, per built column.
    trimmed: Vec<usize>,
    /// Fields written as Excel text formulas ([`formula_text`]), per header column.
    formulas: Vec<usize>,
    /// What the piece's dates showed about their order.
    dates: Evidence,
    /// What the piece's quantities showed about their marks, and its quantities read two
    /// ways (row within the piece), left missing until the whole column's marks are known.
    marks: Marks,
    pending: Vec<(usize, Pending)>,
    skipped: usize,
    /// The piece's first quantity that is NaN or infinite: (row within the piece, its text).
    non_finite: Option<(usize, String)>,
    /// Every header column's values at a first look (taken into the builder's own).
    profiles: Vec<Profile>,
    /// What each header column's values in the piece showed of the writer's decimal mark.
    watched: Vec<Watched>,
}

#[cfg(test)]
mod tests {
    use super::super::twin::*;
    use super::*;
    use crate::config::Encoding;

    #[test]
    fn ragged_rows_name_the_line_or_are_skipped() {
        let text = b"a,b\n1,2\n\"x\ny\",3\n4,5,6\n7,8\n";
        let err = input_error(stream_all(text, Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Ragged { line: 5, found: 3, expected: 2, .. }), "{err}");
        let kept = stream_all(text, Encoding::UTF8, true).unwrap();
        assert_eq!(kept.skipped, 1);
        assert!(kept.frame.equals_missing(&polars_whole(b"a,b\n1,2\n\"x\ny\",3\n7,8\n")));
    }

    /// helper-140: a file cut mid-row (a copy that stopped, a file still being written) was
    /// told to skip bad rows or to read no quotes; a fault in the row the text ends inside,
    /// without a line end, is said as the file cut short — at every chunking. A ragged row
    /// above it, or a last row that ends its line, is the row's fault as before.
    #[test]
    fn a_row_the_file_ends_inside_is_said_as_a_file_cut_short() {
        let cut = |text: &[u8]| input_error(stream_all(text, Encoding::UTF8, false).err().unwrap());
        for (text, line, why) in [
            (&b"a,b,c\n1,2,3\n4,5"[..], 3, "2 fields where the header has 3"),
            (b"a,b\n1,2\n3,\"x\ny", 3, "a quoted field is never closed"),
            (b"a,b\n1,2\n3,\xc3", 3, "bytes that are not UTF-8 text: a character cut in two, or a file in another encoding ([input] encoding)"),
        ] {
            let err = cut(text);
            assert!(matches!(err, InputError::CutShort { line: l, why: ref w, .. } if l == line && w == why), "{err}");
            assert!(err.to_string().contains("cut short") && !err.to_string().contains("skip_bad_rows"), "{err}");
        }
        assert!(matches!(cut(b"a,b\n1\n2,3"), InputError::Ragged { line: 2, .. }));
        // faults a cut cannot make: a field more, text after a closing quote
        assert!(matches!(cut(b"a,b\n1,2\n3,4,5"), InputError::Ragged { line: 3, found: 3, .. }));
        assert!(matches!(cut(b"a,b\n1,2\n3,\"x\"y"), InputError::BadQuote { line: 3, .. }));
        assert!(matches!(cut(b"a,b\n1,2\n3\n"), InputError::Ragged { line: 3, .. }));
        assert!(matches!(cut(b"a,b\n1,\"x\n"), InputError::Unterminated { .. }));
        // a whole last row without its line end reads
        assert_eq!(stream_all(b"a,b\n1,2\n3,4", Encoding::UTF8, false).unwrap().frame.height(), 2);
    }

    #[test]
    fn a_quote_that_does_not_close_its_field_names_line_and_column() {
        let text = b"a,b\n1,\"x\"\n2,\"y\"z\n3,\"w\"\n";
        let err = input_error(stream_all(text, Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::BadQuote { line: 3, ref column, .. } if column == "b"), "{err}");
        let kept = stream_all(text, Encoding::UTF8, true).unwrap();
        assert_eq!((kept.skipped, texts(&kept.frame, "b")), (1, vec![Some("x".into()), Some("w".into())]));
        // a quote inside an unquoted field is text, and the record is split as the scan counts it
        let read = stream_all(b"a,b\n12\" x,\"y\"\n", Encoding::UTF8, false).unwrap();
        assert_eq!(
            (texts(&read.frame, "a"), texts(&read.frame, "b")),
            (vec![Some("12\" x".into())], vec![Some("y".into())])
        );
    }

    #[test]
    fn the_roles_are_parsed_as_the_audit_parses_the_text() {
        // ids with blanks, spaces and a float form; quantities that do not parse, negative,
        // fractional, empty; dates in several forms, a repeated one, an invalid one
        let text = "Inv,Cust,Item,Desc,Qty,When\n\
            1,17850.0,A, x ,3,2010-12-01 08:26:00\n\
            1, 12 ,B,,-2,2010-12-01 08:26:00\n\
            2,  ,\"C\",\"a,b\",1.5,12/1/2010 8:26\n\
            2,007,  ,y,abc,not a date\n\
            3,,D,z,,\n\
            3,x1,E,\"q\"\"\",4,2011-01-02T03:04:05.250Z\n";
        let columns = Columns {
            quantity: Some("Qty".into()),
            description: Some("Desc".into()),
            invoice: Some("Inv".into()),
            date: Some("When".into()),
            segment: Some("Inv".into()),
            ..Columns::new("Cust", "Item")
        };
        let (expected, invalid) = audited_as_text(text.as_bytes(), &columns, None).unwrap();
        // Inv, Cust, Item, Desc, Qty, When (a date written with the year last among ISO ones,
        // and one that is no date); a blank id is missing (null), not invalid
        assert_eq!(invalid, [0, 0, 0, 0, 1, 2]);
        for (chunk, piece) in [(text.len(), usize::MAX), (7, 16), (3, 1)] {
            let read = streamed(text.as_bytes(), &columns, (None, None), (chunk, piece)).unwrap();
            assert!(read.frame.equals_missing(&expected), "{chunk} {piece}: {:?} vs {expected:?}", read.frame);
            let counts: Vec<(&str, usize)> =
                read.found.iter().flatten().map(|f| (f.column.as_str(), f.invalid)).collect();
            assert_eq!(counts, [("Cust", 0), ("Item", 0), ("Qty", 1), ("When", 2)]);
        }
        // the values themselves, not only their agreement with the audit
        let customers = ["17850", "12", "", "007", "", "x1"].map(|c| (!c.is_empty()).then(|| c.to_string()));
        assert_eq!(texts(&expected, "customer"), customers);
        let quantities: Vec<Option<f64>> = expected.column("quantity").unwrap().f64().unwrap().iter().collect();
        assert_eq!(quantities, [Some(3.0), Some(-2.0), Some(1.5), None, None, Some(4.0)]);
        let dates: Vec<Option<i64>> = expected.column("date").unwrap().i64().unwrap().iter().collect();
        let dec1 = Some(1_291_191_960); // 2010-12-01 08:26:00
        assert_eq!(dates, [dec1, dec1, None, None, None, Some(1_293_937_445)]);
        // the segment column (`fallback = "popular_by:Inv"`) as text, last
        assert_eq!(texts(&expected, "segment"), ["1", "1", "2", "2", "3", "3"].map(|s| Some(s.to_string())));
        // without the optional roles they are filled as the audit fills them; a date format;
        // a segment trimmed, blank none
        let few = Columns {
            quantity: None,
            description: None,
            date: Some("When".into()),
            segment: Some("Desc".into()),
            ..columns.clone()
        };
        let (expected, _) = audited_as_text(text.as_bytes(), &few, Some("%m/%d/%Y %H:%M")).unwrap();
        let read = streamed(text.as_bytes(), &few, (Some("%m/%d/%Y %H:%M"), None), (5, 9)).unwrap();
        assert!(read.frame.equals_missing(&expected), "{:?} vs {expected:?}", read.frame);
        assert_eq!(read.frame.column("date").unwrap().null_count(), 5);
        let segments = [Some("x"), None, Some("a,b"), Some("y"), Some("z"), Some("q\"")];
        assert_eq!(texts(&read.frame, "segment"), segments.map(|s| s.map(str::to_string)));
        // a quantity that is NaN fails naming the data row, counted across pieces
        let nan = "Cust,Item,Qty\n1,A,1\n2,B,2\n3,C,NaN\n4,D,inf\n";
        let qty = Columns { quantity: Some("Qty".into()), date: None, segment: None, ..few.clone() };
        let want = audited_as_text(nan.as_bytes(), &qty, None).err().unwrap().to_string();
        assert!(want.contains("row 3") && want.contains("NaN"), "{want}");
        for (chunk, piece) in [(nan.len(), usize::MAX), (4, 5)] {
            let err = streamed(nan.as_bytes(), &qty, (None, None), (chunk, piece)).err().unwrap();
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn excel_text_formulas_read_as_the_text_excel_shows() {
        // an ERP's "Excel-safe" CSV: ids, a quantity and a date as ="…", quoted or not; an
        // empty one; a literal holding a doubled quote; a formula that is not one literal
        let text = "Cust,Item,Qty,When,Desc\n\
            \"=\"\"0017850\"\"\",=\"00123A\",=\"6\",\"=\"\"2010-12-01 08:26\"\"\",=\"He said \"\"hi\"\"\"\n\
            =\"0017850\",=\"=\",3,2010-12-02 09:00,\"=\"\"a\"\"&\"\"b\"\"\"\n\
            =\"\",X,1,2010-12-03 10:00,plain\n";
        let columns = Columns {
            quantity: Some("Qty".into()),
            description: Some("Desc".into()),
            date: Some("When".into()),
            ..Columns::new("Cust", "Item")
        };
        for (chunk, piece) in [(text.len(), usize::MAX), (5, 7), (1, 1)] {
            let read = streamed(text.as_bytes(), &columns, (None, None), (chunk, piece)).unwrap();
            let f = &read.frame;
            assert_eq!(texts(f, "customer"), [Some("0017850".into()), Some("0017850".into()), None]);
            assert_eq!(texts(f, "item"), [Some("00123A".into()), Some("=".into()), Some("X".into())]);
            let quantities: Vec<Option<f64>> = f.column("quantity").unwrap().f64().unwrap().iter().collect();
            assert_eq!(quantities, [Some(6.0), Some(3.0), Some(1.0)]);
            assert_eq!(f.column("date").unwrap().i64().unwrap().get(0), Some(1_291_191_960));
            let shown = [Some("He said \"hi\"".into()), Some("=\"a\"&\"b\"".into()), Some("plain".into())];
            assert_eq!(texts(f, "description"), shown);
            // every mapped column's parse found nothing invalid; the empty one is a null
            assert!(read.found.iter().flatten().all(|p| p.invalid == 0), "{:?}", read.found);
            assert_eq!(read.nulls, [1, 0, 0, 0, 0]);
            let want = |column: &str, n: usize| {
                let s = if n == 1 { " was" } else { "s were" };
                format!("column '{column}': {n} value{s} written as Excel text formulas (=\"00123\") and read as the text Excel shows (00123)")
            };
            assert_eq!(
                read.notes,
                [want("Cust", 3), want("Item", 2), want("Qty", 1), want("When", 1), want("Desc", 1)]
            );
        }
        // read without roles (`kindred audit`'s look) the same way
        let all = stream_all(text.as_bytes(), Encoding::UTF8, false).unwrap();
        assert_eq!(texts(&all.frame, "Cust"), [Some("0017850".into()), Some("0017850".into()), None]);
        assert_eq!(all.look.head.rows[0][0].as_deref(), Some("0017850"));
    }

    #[test]
    fn a_quantity_read_two_ways_waits_for_the_whole_column() {
        // "1.200" and "1,000" come pieces before "2,5", which shows ',' is the decimal mark
        let text = "Cust,Item,Qty\n1,A,1.200\n2,B,3\n3,C,\"1,000\"\n4,D,abc\n5,E,\"2,5\"\n6,F,\"1.234,5\"\n";
        let columns = Columns { quantity: Some("Qty".into()), ..Columns::new("Cust", "Item") };
        let (expected, invalid) = audited_as_text(text.as_bytes(), &columns, None).unwrap();
        assert_eq!(invalid, [0, 0, 1]);
        let quantities: Vec<Option<f64>> = expected.column("quantity").unwrap().f64().unwrap().iter().collect();
        assert_eq!(quantities, [Some(1200.0), Some(3.0), Some(1.0), None, Some(2.5), Some(1234.5)]);
        let notes = [
            "1 value like '1.200' read with '.' grouping thousands (as '1.234,5' shows)",
            "1 value like '1,000' read with ',' as the decimal mark (as '2,5' shows)",
            "1 value reads as no number ('abc'): its row has no quantity and is dropped",
        ];
        for (chunk, piece) in [(text.len(), usize::MAX), (7, 16), (3, 1)] {
            let read = streamed(text.as_bytes(), &columns, (None, None), (chunk, piece)).unwrap();
            assert!(read.frame.equals_missing(&expected), "{chunk} {piece}: {:?} vs {expected:?}", read.frame);
            let qty = read.found.iter().flatten().find(|f| f.column == "Qty").unwrap();
            assert_eq!((qty.invalid, &qty.notes[..]), (1, &notes.map(String::from)[..]), "{chunk} {piece}");
        }
        // `[input] decimal` reads them as it says, whatever the column shows
        let read = streamed(text.as_bytes(), &columns, (None, Some(Mark::Point)), (7, 16)).unwrap();
        let quantities: Vec<Option<f64>> = read.frame.column("quantity").unwrap().f64().unwrap().iter().collect();
        assert_eq!(quantities, [Some(1.2), Some(3.0), Some(1000.0), None, None, None]);
    }

    /// helper-173: a German ERP's quantities `1.000` beside its prices `2,55` were read as 1
    /// (74,215 as 74.215), an American one's `1,000` beside `0.55` invalid (8 customers lost):
    /// the column showed nothing, and another column of the file shows the writer's decimal
    /// mark. A column of ids (`536365`) or of dates shows none; columns that disagree settle
    /// nothing; in any piece order the first value in the file decides.
    #[test]
    fn a_quantity_read_two_ways_is_read_as_the_files_other_numbers_show() {
        let columns = Columns { quantity: Some("Qty".into()), ..Columns::new("Cust", "Item") };
        let read = |text: &str, chunk: (usize, usize)| {
            let read = streamed(text.as_bytes(), &columns, (None, None), chunk).unwrap();
            let q: Vec<Option<f64>> = read.frame.column("quantity").unwrap().f64().unwrap().iter().collect();
            let qty = read.found.iter().flatten().find(|f| f.column == "Qty").unwrap();
            (q, qty.notes.clone())
        };
        let german =
            "Cust;Item;Qty;Price;When\n10;A;1.000;2,55;09.12.2011\n11;B;3;1;09.12.2011\n12;C;74.215;3;10.12.2011\n";
        let us = "Cust,Item,Qty,Price\n536365,A,\"1,000\",1\n536366,B,3,0.55\n";
        for chunk in [(1 << 16, usize::MAX), (7, 16), (3, 1)] {
            let (q, notes) = read(german, chunk);
            assert_eq!(q, [Some(1000.0), Some(3.0), Some(74215.0)], "{chunk:?}");
            let want = "2 values like '1.000' read with '.' grouping thousands (as column 'Price' shows, writing ',' as the decimal mark: '2,55')";
            assert_eq!(notes, [want], "{chunk:?}");
            let (q, _) = read(us, chunk);
            assert_eq!(q, [Some(1000.0), Some(3.0)], "{chunk:?}");
        }
        // ids and dates show nothing: read as CSV readers read them, as before
        let (q, _) = read("Cust,Item,Qty,When\n536365,A,1.000,2011-12-09\n", (1 << 16, usize::MAX));
        assert_eq!(q, [Some(1.0)]);
        // a column whose first value is no number shows nothing; two columns disagreeing, nothing
        let (q, _) = read("Cust,Item,Qty,Note\n1,A,1.000,abc\n2,B,3,\"2,5\"\n", (1 << 16, usize::MAX));
        assert_eq!(q, [Some(1.0), Some(3.0)]);
        let (q, _) = read("Cust;Item;Qty;P;W\n1;A;1.000;2,5;0.5\n", (1 << 16, usize::MAX));
        assert_eq!(q, [Some(1.0)]);
    }

    #[test]
    fn year_last_dates_are_read_in_the_order_the_whole_column_shows() {
        // regression: each value tried %m/%d before %d/%m, so day-first dates up to the 12th
        // were read month-first. Here the one day above 12 comes last, pieces after the rest.
        let mut text = String::from("Cust,Item,When\n");
        for day in 1..=12 {
            text += &format!("{day}, A ,{day:02}/03/2011 10:00\n");
        }
        text += "13,B,13/03/2011 10:00\n14,C,2011-03-14 10:00:00\n";
        let columns = Columns { date: Some("When".into()), ..Columns::new("Cust", "Item") };
        let (expected, invalid) = audited_as_text(text.as_bytes(), &columns, None).unwrap();
        assert_eq!(invalid, [0, 0, 0]); // each value in its own form: the ISO date too
        let march = |day: i64| Some(1_298_973_600 + (day - 1) * 86_400); // 2011-03-01 10:00:00
        let dates: Vec<Option<i64>> = expected.column("date").unwrap().i64().unwrap().iter().collect();
        assert_eq!(dates, (1..=14).map(march).collect::<Vec<_>>());
        for (chunk, piece) in [(text.len(), usize::MAX), (5, 16), (3, 1)] {
            let read = streamed(text.as_bytes(), &columns, (None, None), (chunk, piece)).unwrap();
            assert!(read.frame.equals_missing(&expected), "{chunk} {piece}: {:?} vs {expected:?}", read.frame);
            let found = read.found.unwrap();
            assert_eq!((found[1].column.as_str(), found[1].trimmed), ("Item", 12)); // " A " is "A"
            assert_eq!((found[2].invalid, found[2].date_order), (0, Some(crate::roles::DateOrder::DayFirst)));
        }
        // without the 13th, no order is guessed: the year-last dates are not read
        let cut = text.replace("13/03/2011", "12/03/2011");
        let read = streamed(cut.as_bytes(), &columns, (None, None), (4, 8)).unwrap();
        let found = read.found.unwrap();
        assert_eq!((found[2].invalid, found[2].date_order), (13, Some(crate::roles::DateOrder::Ambiguous)));
        assert!(found[2].notes[0].contains("set [input] date_format"), "{:?}", found[2].notes);
        assert_eq!(read.frame.column("date").unwrap().null_count(), 13);
    }

    #[test]
    fn binary_and_bad_utf8_name_their_line() {
        let err = input_error(stream_all(b"a,b\n1,2\n3,\x004\n", Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Binary { line: 3, .. }), "{err}");
        let err = input_error(stream_all(b"a,b\n1,2\n3,\xE94\n5,6\n", Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Encoding { line: 3, .. }), "{err}");
        // far into the file, after many pieces were taken
        let mut long = b"a,b\n".to_vec();
        for k in 0..500 {
            long.extend_from_slice(format!("{k},\"x\ny\"\n").as_bytes());
        }
        long.extend_from_slice(b"1,\xE9\n");
        let err = input_error(stream(&long, 7, 64, Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Encoding { line: 1002, .. }), "{err}");
    }
}
