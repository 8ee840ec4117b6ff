//! Ingest: reads the export into a polars `DataFrame`.
//!
//! Takes the `[input]` settings and the column mapping; returns the columns the roles read,
//! every column's null count (so the audit covers all of them) and the mapping resolved
//! against the header. The format is chosen by extension. CSV-like text is streamed over four
//! threads: one reads and inflates the file; this one drops a BOM, transcodes Latin-1, refuses
//! NUL bytes, reads the header and finds where records end as the text arrives; and every few
//! megabytes of records are built into columns on the other two. The builders split records
//! 64 bytes at a time, refuse ragged rows, bad quotes and invalid UTF-8 naming the line, count
//! every column's empty fields, read each field exactly as polars' CSV reader reads it (a twin
//! test holds the two equal) and parse the roles as the audit parses text, so a CSV arrives as
//! the audit's canonical frame (another twin test). Excel/ODS through calamine, Parquet
//! through polars: their roles are parsed by the audit stage.

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::Instant;

use calamine::{open_workbook_auto, Data, Reader};
use polars::prelude::*;
use serde::Serialize;

use crate::config::{Columns, Encoding, InputConfig};
use crate::error::{InputError, Result};
use crate::roles::{
    canonical, col, item_text, normalize_customer, number_text, quantity_text, DateText, Quantity,
};

/// The file as read, with the role mapping resolved against its header.
pub struct Table {
    /// The columns the roles read (every column for Excel).
    pub frame: DataFrame,
    /// The roles that are present in this file (optional roles absent by default are `None`).
    pub columns: Columns,
    /// Every column of the file with its null count, in file order, parsed or not.
    pub nulls: Vec<(String, usize)>,
    /// Set when `frame` is already the audit's canonical frame (a CSV's roles are parsed as
    /// the file is read): each mapped column's values that did not parse for its role.
    pub parsed: Option<Vec<(String, usize)>>,
}

impl Table {
    /// A table of every column of `frame`.
    pub fn new(frame: DataFrame, columns: Columns) -> Table {
        Table { nulls: null_counts(&frame), frame, columns, parsed: None }
    }
}

/// The frame's column names, in order.
pub fn column_names(frame: &DataFrame) -> Vec<String> {
    frame.get_column_names().iter().map(|s| s.to_string()).collect()
}

/// Every column's name and null count, in frame order.
pub fn null_counts(frame: &DataFrame) -> Vec<(String, usize)> {
    frame.columns().iter().map(|c| (c.name().to_string(), c.null_count())).collect()
}

/// What ingest did.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub format: String,
    pub rows_out: usize,
    /// Columns in the file (a CSV's unmapped columns are counted, not parsed).
    pub columns: usize,
    /// Sheets read (Excel only).
    pub sheets: Vec<String>,
    /// CSV rows skipped for a wrong field count or a bad quote (only with `skip_bad_rows`).
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

/// A file loaded: a CSV file read, a Parquet file's column names (its data is read once the
/// roles are known), or a frame of every column.
enum Loaded {
    Csv(Box<CsvRead>),
    Parquet(Vec<String>),
    Frame(DataFrame),
}

/// Reads the file named by `cfg`: (what was loaded, sheets read, format label). Of a CSV only
/// the columns `roles` read are parsed (every column without roles).
fn load(cfg: &InputConfig, roles: Option<&Columns>) -> Result<(Loaded, Vec<String>, &'static str)> {
    let path = &cfg.path;
    check_path(path)?;
    let format = format_of(path).ok_or_else(|| InputError::Extension { path: path.clone() })?;
    Ok(match format {
        Format::Csv { gzip, tab } => {
            (Loaded::Csv(Box::new(load_csv(cfg, gzip, tab, roles)?)), Vec::new(), if gzip { "csv.gz" } else { "csv" })
        }
        Format::Excel => {
            let (frame, sheets) = read_excel(path, cfg.sheet.as_deref())?;
            (Loaded::Frame(frame), sheets, "excel")
        }
        Format::Parquet => (Loaded::Parquet(parquet_names(path)?), Vec::new(), "parquet"),
    })
}

/// Reads the input file named by `cfg` and resolves `columns` against its header. Of a CSV
/// or Parquet file only the columns the roles read are kept; the others' nulls come from the
/// scan (CSV) or from reading them one at a time (Parquet).
pub fn run(cfg: &InputConfig, columns: &Columns) -> Result<(Table, IngestReport)> {
    let start = Instant::now();
    let path = &cfg.path;
    let (loaded, sheets, label) = load(cfg, Some(columns))?;
    let (table, width, skipped, unmapped) = match loaded {
        Loaded::Csv(csv) => {
            let (columns, unmapped) = match csv.resolved {
                Some(resolved) => resolved,
                None => resolve_columns(&csv.header, columns, path, None)?,
            };
            let (width, skipped) = (csv.header.len(), csv.skipped);
            let nulls = csv.header.into_iter().zip(csv.nulls).collect();
            (Table { frame: csv.frame, columns, nulls, parsed: csv.invalid }, width, skipped, unmapped)
        }
        Loaded::Parquet(names) => {
            let (columns, unmapped) = resolve_columns(&names, columns, path, None)?;
            let (frame, nulls) = read_parquet_roles(path, &names, &columns.parsed())?;
            (Table { frame, columns, nulls, parsed: None }, names.len(), 0, unmapped)
        }
        Loaded::Frame(frame) => {
            let names = column_names(&frame);
            let (columns, unmapped) = resolve_columns(&names, columns, path, sheets.first().cloned())?;
            (Table::new(frame, columns), names.len(), 0, unmapped)
        }
    };
    let mut report = report(&table.frame, cfg, start, label, sheets, skipped, width)?;
    report.unmapped = unmapped;
    Ok((table, report))
}

/// Reads every column of the input file, whatever the mapping (`kindred audit` of any export).
pub fn read(cfg: &InputConfig) -> Result<(DataFrame, IngestReport)> {
    let start = Instant::now();
    let (loaded, sheets, label) = load(cfg, None)?;
    let (frame, skipped) = match loaded {
        Loaded::Csv(csv) => (csv.frame, csv.skipped),
        Loaded::Parquet(_) => (read_parquet(&cfg.path, None)?, 0),
        Loaded::Frame(frame) => (frame, 0),
    };
    let report = report(&frame, cfg, start, label, sheets, skipped, frame.width())?;
    Ok((frame, report))
}

/// The report of a read; a file without rows is an error.
fn report(
    frame: &DataFrame,
    cfg: &InputConfig,
    start: Instant,
    label: &str,
    sheets: Vec<String>,
    skipped_rows: usize,
    columns: usize,
) -> Result<IngestReport> {
    if frame.height() == 0 {
        return Err(InputError::NoRows { path: cfg.path.clone() }.into());
    }
    Ok(IngestReport {
        format: label.to_string(),
        rows_out: frame.height(),
        columns,
        sheets,
        skipped_rows,
        unmapped: Vec::new(),
        seconds: start.elapsed().as_secs_f64(),
    })
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
    names: &[String],
    columns: &Columns,
    path: &Path,
    sheet: Option<String>,
) -> Result<(Columns, Vec<String>), InputError> {
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

/// A CSV file read: the built columns, and what the builders counted on the way.
struct CsvRead {
    /// With [`Roles`] whose columns are distinct: the audit's canonical frame. Otherwise text
    /// columns named as in the header.
    frame: DataFrame,
    header: Vec<String>,
    /// With roles: the mapping resolved against the header, and the optional roles unmapped.
    resolved: Option<(Columns, Vec<String>)>,
    /// Empty fields per column, in header order (polars reads an unquoted empty field as null).
    nulls: Vec<usize>,
    skipped: usize,
    /// Set when `frame` is canonical: each mapped column's values that do not parse for its
    /// role (the audit's `invalid`), by column name.
    invalid: Option<Vec<(String, usize)>>,
}

/// The roles a CSV's builders parse as they read, so the audit need not read the text again.
#[derive(Clone, Copy)]
struct Roles<'a> {
    columns: &'a Columns,
    date_format: Option<&'a str>,
}

/// Bytes read (or inflated) from the file at a time.
const CHUNK: usize = 1 << 20;

/// Bytes of records built into columns at a time.
const PIECE: usize = 4 << 20;

/// Reads a CSV file, gzip-compressed or not, in one stream over four threads: one reads and
/// inflates the file in chunks, this one finds where records end as they arrive, and every few
/// megabytes of records are built into columns on the other two while the rest of the file is
/// still read. The file's text is never whole in memory. With `roles`, only their columns are
/// built, parsed as the audit parses them (every column as text without roles).
fn load_csv(cfg: &InputConfig, gzip: bool, tab: bool, roles: Option<&Columns>) -> Result<CsvRead> {
    let path = &cfg.path;
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.clone(), source })?;
    let source: Box<dyn Read + Send> = match gzip {
        true => Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(CHUNK, file))),
        false => Box::new(file),
    };
    let delimiter = cfg.delimiter.or(tab.then_some(b'\t'));
    let scan = Scan::new(path, cfg.encoding, delimiter);
    let roles = roles.map(|columns| Roles { columns, date_format: cfg.date_format.as_deref() });
    stream_csv(source, gzip, scan, roles, cfg.skip_bad_rows, (CHUNK, PIECE))
}

/// The stream of [`load_csv`] over any source, in chunks and pieces of `(chunk, piece)` bytes
/// (tests cross every boundary with small ones); `skip`: cut and count malformed rows.
fn stream_csv(
    source: impl Read + Send,
    gzip: bool,
    mut scan: Scan<'_>,
    roles: Option<Roles<'_>>,
    skip: bool,
    (chunk, piece): (usize, usize),
) -> Result<CsvRead> {
    let path = scan.path;
    let read_error = |e: std::io::Error| match gzip {
        true => gzip_error(e, path),
        false => InputError::Io { path: path.to_path_buf(), source: e },
    };
    std::thread::scope(|s| -> Result<CsvRead> {
        let (chunks, received) = std::sync::mpsc::sync_channel(4);
        let (spent, reuse) = std::sync::mpsc::channel::<Vec<u8>>();
        s.spawn(move || read_chunks(source, chunk, chunks, reuse));
        // Built pieces' buffers come back to be filled again: fewer fresh pages to fault in.
        let (free, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        let mut text = Vec::new();
        let mut builders: Option<Builders> = None;
        let failed = loop {
            let eof = match received.recv() {
                Ok(Ok(chunk)) => {
                    let appended = scan.append(&mut text, &chunk);
                    let _ = spent.send(chunk);
                    if let Err(e) = appended {
                        break Some(e);
                    }
                    false
                }
                Ok(Err(e)) => break Some(read_error(e)),
                Err(_) => true,
            };
            if let Err(e) = scan.feed(&text, eof) {
                break Some(e);
            }
            if builders.is_none() && !scan.header.is_empty() {
                match Plan::new(&scan, roles, skip) {
                    Ok(plan) => builders = Some(Builders::start(s, plan, &free)),
                    Err(e) => break Some(e),
                }
            }
            if let Some(b) = &mut builders {
                if (eof || scan.ready() >= piece) && !b.send(scan.take(&mut text, &recycled)) {
                    break None; // both builders stopped on an error, which `finish` returns
                }
            }
            if eof {
                break None;
            }
        };
        drop(received); // the reader stops at its next chunk
        match builders {
            Some(b) => Ok(b.finish(failed, scan.header)?),
            None => Err(failed.unwrap_or_else(|| InputError::NoHeader { path: path.to_path_buf() }).into()),
        }
    })
}

/// Sends `source` in chunks of `size` bytes, refilling the buffers the scan hands back; stops
/// early when the scan has hung up (it failed).
fn read_chunks(
    mut source: impl Read,
    size: usize,
    tx: std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    reuse: std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut chunk = reuse.try_recv().unwrap_or_else(|_| Vec::with_capacity(size));
        chunk.clear();
        let filled = match (&mut source).take(size as u64).read_to_end(&mut chunk) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        if filled == 0 || tx.send(Ok(chunk)).is_err() || filled < size {
            return;
        }
    }
}

/// Records handed to a builder: the `index`-th piece of the file, whose first record starts on
/// `line`, holding `newlines` newlines (the scan counted them: the builder sizes its columns).
struct Piece {
    index: usize,
    line: usize,
    newlines: usize,
    text: Vec<u8>,
}

/// What a builder thread returns: the pieces it built, and the error it stopped on with the
/// piece it was found in.
type Built = (Vec<Part>, Option<(usize, InputError)>);

/// The two builder threads and the queue of pieces they share: the last pieces, queued when
/// the file ends, are built on both cores.
struct Builders<'scope> {
    queue: std::sync::mpsc::SyncSender<Piece>,
    plan: Arc<Plan>,
    threads: [std::thread::ScopedJoinHandle<'scope, Built>; 2],
    taken: usize,
}

impl<'scope> Builders<'scope> {
    fn start<'env>(
        s: &'scope std::thread::Scope<'scope, 'env>,
        plan: Plan,
        free: &std::sync::mpsc::Sender<Vec<u8>>,
    ) -> Builders<'scope> {
        let (queue, pieces) = std::sync::mpsc::sync_channel::<Piece>(2);
        let (plan, pieces) = (Arc::new(plan), Arc::new(std::sync::Mutex::new(pieces)));
        let threads = [0, 1].map(|_| {
            let (plan, pieces, free) = (plan.clone(), pieces.clone(), free.clone());
            s.spawn(move || plan.build(&pieces, &free))
        });
        Builders { queue, plan, threads, taken: 0 }
    }

    /// Hands on the next piece (its index is set here); false when both builders have stopped.
    fn send(&mut self, piece: Piece) -> bool {
        self.taken += 1;
        self.queue.send(Piece { index: self.taken - 1, ..piece }).is_ok()
    }

    /// Waits for the builders and returns the first error in the file (a builder's, in an
    /// earlier piece, else `failed`, this thread's, in text not handed on) or the read.
    fn finish(self, failed: Option<InputError>, header: Vec<String>) -> Result<CsvRead, InputError> {
        drop(self.queue);
        let (mut parts, mut errors) = (Vec::new(), Vec::new());
        for thread in self.threads {
            let (built, error) = thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            parts.extend(built);
            errors.extend(error);
        }
        match errors.into_iter().min_by_key(|(k, _)| *k).map(|(_, e)| e).or(failed) {
            Some(e) => Err(e),
            None => self.plan.assemble(parts, header),
        }
    }
}

/// How a built column reads its fields.
#[derive(Debug, Clone, Copy, PartialEq)]
enum As {
    /// As polars' CSV reader reads them (descriptions, and every column without roles).
    Text,
    /// [`normalize_customer`]; blank is invalid.
    Customer,
    /// [`item_text`]: blank is invalid.
    Item,
    /// [`quantity_text`] as f64; NaN or infinity fails the run.
    Quantity,
    /// [`DateText`] as epoch seconds.
    Date,
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
    Number(PrimitiveChunkedBuilder<Float64Type>),
    Date(PrimitiveChunkedBuilder<Int64Type>, DateText<'p>),
}

/// What the builders make of each column, fixed once the header is read: the records are
/// split as polars splits them ([`split_record`]), each field read as polars' CSV reader reads
/// it ([`field_value`]) and then, for the roles, parsed as the audit parses text. They refuse
/// ragged rows, bad quotes and invalid UTF-8 naming the line (or cut and count the rows), and
/// count every column's empty fields.
struct Plan {
    header: Vec<String>,
    resolved: Option<(Columns, Vec<String>)>,
    /// For each header column, its place among the built columns (`None`: not built).
    slots: Vec<Option<usize>>,
    built: Vec<Target>,
    /// The frame is canonical (the audit's roles) rather than text.
    canonical: bool,
    delimiter: u8,
    date_format: Option<String>,
    skip: bool,
    path: PathBuf,
}

/// The canonical frame's columns: (role, how it reads, the mapped column if any).
fn canonical_roles(columns: &Columns) -> [(&'static str, As, Option<&String>); 5] {
    [
        (col::CUSTOMER, As::Customer, Some(&columns.customer)),
        (col::ITEM, As::Item, Some(&columns.item)),
        (col::QUANTITY, As::Quantity, columns.quantity.as_ref()),
        (col::DESCRIPTION, As::Text, columns.description.as_ref()),
        (col::DATE, As::Date, columns.date.as_ref()),
    ]
}

impl Plan {
    /// Every column as text without `roles`; with them (resolved against the header), the
    /// canonical frame when each role maps its own column, else the roles' columns as text
    /// (the audit then parses them).
    fn new(scan: &Scan, roles: Option<Roles>, skip: bool) -> Result<Plan, InputError> {
        let header = &scan.header;
        let resolved = roles.map(|r| resolve_columns(header, r.columns, scan.path, None)).transpose()?;
        let columns = resolved.as_ref().map(|(columns, _)| columns);
        let mapped = columns.map(|c| canonical_roles(c).iter().filter(|(_, _, name)| name.is_some()).count());
        let canonical = columns.is_some_and(|c| Some(c.parsed().len()) == mapped);
        let text = |h: &String| Target { how: As::Text, name: h.as_str().into(), source: h.clone() };
        let built: Vec<Target> = match columns {
            Some(c) if canonical => canonical_roles(c)
                .into_iter()
                .filter_map(|(role, how, name)| {
                    name.map(|name| Target { how, name: role.into(), source: name.clone() })
                })
                .collect(),
            Some(c) => header.iter().filter(|h| c.parsed().contains(h)).map(text).collect(),
            None => header.iter().map(text).collect(),
        };
        Ok(Plan {
            header: header.clone(),
            slots: header.iter().map(|h| built.iter().position(|b| b.source == *h)).collect(),
            resolved,
            built,
            canonical,
            delimiter: scan.delimiter.unwrap_or(b','),
            date_format: roles.and_then(|r| r.date_format).map(String::from),
            skip,
            path: scan.path.to_path_buf(),
        })
    }

    fn sinks(&self, rows: usize) -> Vec<Sink<'_>> {
        let sink = |b: &Target| match b.how {
            As::Text | As::Customer | As::Item => Sink::Text(StringChunkedBuilder::new(b.name.clone(), rows)),
            As::Quantity => Sink::Number(PrimitiveChunkedBuilder::new(b.name.clone(), rows)),
            As::Date => Sink::Date(
                PrimitiveChunkedBuilder::new(b.name.clone(), rows),
                DateText::new(self.date_format.as_deref()),
            ),
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
        let mut line = piece.line;
        let mut fields: Vec<Range<usize>> = Vec::with_capacity(self.header.len());
        let mut unescaped = String::new();
        let mut records = Records::new(bytes, self.delimiter);
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
            for (k, range) in fields.iter().enumerate() {
                let Some(slot) = self.slots[k] else {
                    part.nulls[k] += field_shape(&bytes[range.clone()]).0 as usize; // counted, not built
                    continue;
                };
                let value = field_value(&text[range.clone()], &mut unescaped)
                    .map_err(|()| self.fail("a field the scan passed does not close its quote"))?;
                part.nulls[k] += value.is_none() as usize;
                self.push(&mut sinks[slot], slot, value, &mut part);
            }
            part.rows += 1;
        }
        let columns = sinks.into_iter().map(Sink::finish).collect();
        part.frame = DataFrame::new(part.rows, columns).map_err(|e| self.fail(&e.to_string()))?;
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
        let bad = quoted.then(|| fields.iter().position(|r| field_shape(&bytes[r.clone()]).1)).flatten()?;
        Some(InputError::BadQuote { path, line, column: self.header[bad].clone() })
    }

    /// Appends one field's value to its column, read for the column's role.
    #[inline]
    fn push(&self, sink: &mut Sink, slot: usize, value: Option<&str>, part: &mut Part) {
        let invalid = &mut part.invalid[slot];
        match (sink, self.built[slot].how) {
            (Sink::Text(b), As::Text) => b.append_option(value),
            (Sink::Text(b), how) => {
                let id = value.map(if how == As::Customer { normalize_customer } else { item_text });
                *invalid += matches!(id, Some(None)) as usize;
                b.append_option(id.flatten());
            }
            (Sink::Number(b), _) => b.append_option(match value.map(|v| (v, quantity_text(v))) {
                None => None,
                Some((_, Quantity::Number(q))) => Some(q),
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

    /// Builds pieces as they are received; each piece's buffer goes back to be filled again.
    /// Stops at the first error, returned with the piece it was found in.
    fn build(&self, pieces: &std::sync::Mutex<Receiver<Piece>>, free: &std::sync::mpsc::Sender<Vec<u8>>) -> Built {
        let mut built = Vec::new();
        loop {
            let Ok(queue) = pieces.lock() else { return (built, Some((usize::MAX, self.fail("a builder failed")))) };
            let Ok(piece) = queue.recv() else { return (built, None) };
            drop(queue);
            if !piece.text.is_empty() {
                match self.parse(&piece) {
                    Ok(part) => built.push(part),
                    Err(e) => return (built, Some((piece.index, e))),
                }
            }
            let _ = free.send(piece.text);
        }
    }

    /// The built pieces, in file order, as one frame (a chunk per piece) with the counts.
    fn assemble(&self, mut parts: Vec<Part>, header: Vec<String>) -> Result<CsvRead, InputError> {
        parts.sort_unstable_by_key(|p| p.index);
        let (mut nulls, mut invalid) = (vec![0; self.header.len()], vec![0; self.built.len()]);
        let (mut skipped, mut rows) = (0, 0);
        let mut frame: Option<DataFrame> = None;
        for part in parts {
            if let Some((row, value)) = part.non_finite {
                let quantity = self.built.iter().find(|b| b.how == As::Quantity);
                let column = quantity.map(|b| b.source.clone()).unwrap_or_default();
                return Err(InputError::NonFinite { path: self.path.clone(), column, row: rows + row + 1, value });
            }
            nulls.iter_mut().zip(&part.nulls).for_each(|(n, k)| *n += k);
            invalid.iter_mut().zip(&part.invalid).for_each(|(n, k)| *n += k);
            (skipped, rows) = (skipped + part.skipped, rows + part.rows);
            // The pieces stay chunks of the columns: one contiguous copy would double the
            // frame's peak (at 27 million rows, 3.6 GB → 5.7 GB).
            match &mut frame {
                None => frame = Some(part.frame),
                Some(frame) => _ = frame.vstack_mut_owned(part.frame).map_err(|e| self.fail(&e.to_string()))?,
            }
        }
        let frame = match frame {
            Some(frame) => frame,
            None => {
                let columns = self.sinks(0).into_iter().map(Sink::finish).collect();
                DataFrame::new(0, columns).map_err(|e| self.fail(&e.to_string()))?
            }
        };
        let (frame, invalid) = match self.canonical {
            false => (frame, None),
            true => {
                let parsed = self.built.iter().zip(invalid).filter(|(b, _)| b.how != As::Text);
                let counts = parsed.map(|(b, n)| (b.source.clone(), n)).collect();
                (self.canonical_frame(frame)?, Some(counts))
            }
        };
        Ok(CsvRead { frame, header, resolved: self.resolved.clone(), nulls, skipped, invalid })
    }

    /// The built roles' columns as the audit's canonical frame.
    fn canonical_frame(&self, frame: DataFrame) -> Result<DataFrame, InputError> {
        let rows = frame.height();
        let column = |name: &str| frame.column(name).ok().cloned();
        let required = |name: &str| column(name).ok_or_else(|| self.fail(&format!("no {name} column was built")));
        let (customer, item) = (required(col::CUSTOMER)?, required(col::ITEM)?);
        canonical(
            rows,
            customer,
            item,
            column(col::QUANTITY),
            column(col::DESCRIPTION),
            column(col::DATE),
        )
        .map_err(|e| self.fail(&e.to_string()))
    }

    fn fail(&self, detail: &str) -> InputError {
        InputError::Parse { path: self.path.clone(), detail: detail.to_string() }
    }
}

impl Sink<'_> {
    fn finish(self) -> Column {
        match self {
            Sink::Text(b) => b.finish().into_column(),
            Sink::Number(b) => b.finish().into_column(),
            Sink::Date(b, _) => b.finish().into_column(),
        }
    }
}

impl Part {
    fn new(index: usize, columns: usize, built: usize) -> Part {
        let (nulls, invalid) = (vec![0; columns], vec![0; built]);
        Part { index, frame: DataFrame::empty(), rows: 0, nulls, invalid, skipped: 0, non_finite: None }
    }
}

/// One piece built: its columns and counts.
struct Part {
    index: usize,
    frame: DataFrame,
    rows: usize,
    /// Empty fields per header column.
    nulls: Vec<usize>,
    /// Values that do not parse for their role, per built column.
    invalid: Vec<usize>,
    skipped: usize,
    /// The piece's first quantity that is NaN or infinite: (row within the piece, its text).
    non_finite: Option<(usize, String)>,
}

fn gzip_error(e: std::io::Error, path: &Path) -> InputError {
    InputError::Gzip {
        path: path.to_path_buf(),
        detail: match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "the stream ends early".to_string(),
            _ => e.to_string(),
        },
    }
}

fn line_of(bytes: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &bytes[..offset]).count() + 1
}

/// This thread's pass over the text as it arrives: drops a BOM, refuses NUL bytes (transcodes
/// Latin-1), reads the header (duplicate names refused) and finds where records end, quote-aware,
/// so the builders get whole records with the line each piece starts on. A quote never closed
/// fails naming its line.
struct Scan<'a> {
    path: &'a Path,
    encoding: Encoding,
    delimiter: Option<u8>,
    /// A first piece has been appended (its BOM dropped).
    started: bool,
    header: Vec<String>,
    /// The next record's first byte.
    pos: usize,
    /// The first byte of the records not yet taken and its line, and the lines before the text.
    start: usize,
    start_line: usize,
    lines_before: usize,
}

impl<'a> Scan<'a> {
    fn new(path: &'a Path, encoding: Encoding, delimiter: Option<u8>) -> Self {
        Scan {
            path,
            encoding,
            delimiter,
            started: false,
            header: Vec::new(),
            pos: 0,
            start: 0,
            start_line: 1,
            lines_before: 0,
        }
    }

    /// Appends a piece of the file to `text` (the first piece starts the file).
    fn append(&mut self, text: &mut Vec<u8>, mut piece: &[u8]) -> Result<(), InputError> {
        if !self.started {
            self.started = true;
            piece = piece.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(piece);
        }
        if let Some(k) = memchr::memchr(0, piece) {
            let at = text.len() + k;
            text.extend_from_slice(piece);
            let line = self.lines_before + line_of(text, at);
            return Err(InputError::Binary { path: self.path.to_path_buf(), line });
        }
        match self.encoding {
            Encoding::Utf8 => text.extend_from_slice(piece),
            Encoding::Latin1 => {
                for &b in piece {
                    if b < 0x80 {
                        text.push(b);
                    } else {
                        text.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                    }
                }
            }
        }
        Ok(())
    }

    /// Finds the ends of the complete records of `text` not found yet; at `eof` the last one
    /// may lack its newline. A record without a quote ends at its newline, so the text is
    /// searched for quotes: the records before the next one end at the newlines, and only a
    /// record holding a quote is followed byte by byte ([`record_end`]).
    fn feed(&mut self, text: &[u8], eof: bool) -> Result<(), InputError> {
        if self.header.is_empty() && !self.read_header(text, eof)? {
            return Ok(());
        }
        let delimiter = self.delimiter.unwrap_or(b',');
        while self.pos < text.len() {
            let rest = &text[self.pos..];
            let Some(quote) = memchr::memchr(b'"', rest) else {
                self.pos = match (eof, memchr::memrchr(b'\n', rest)) {
                    (true, _) => text.len(),
                    (false, Some(k)) => self.pos + k + 1,
                    (false, None) => self.pos,
                };
                break;
            };
            // The quote's line starts a record: every line before it since `pos` is one.
            self.pos += memchr::memrchr(b'\n', &rest[..quote]).map_or(0, |k| k + 1);
            let Some((len, _)) = record_end(&text[self.pos..], delimiter, eof) else {
                if eof {
                    let line = self.line_at(text, self.pos);
                    return Err(InputError::Unterminated { path: self.path.to_path_buf(), line });
                }
                break;
            };
            self.pos = (self.pos + len + 1).min(text.len());
        }
        Ok(())
    }

    /// The line of byte `at` of `text`, at or after the first record not taken.
    fn line_at(&self, text: &[u8], at: usize) -> usize {
        self.start_line + memchr::memchr_iter(b'\n', &text[self.start..at]).count()
    }

    /// Reads the header once its record is complete; false while it is not. The header is a
    /// record like the others: split and read as polars reads fields ([`split_record`],
    /// [`field_value`]).
    fn read_header(&mut self, text: &[u8], eof: bool) -> Result<bool, InputError> {
        let delimiter = match self.delimiter {
            Some(d) => d,
            None => match sniff_delimiter(text, eof) {
                Some(d) => *self.delimiter.insert(d),
                None => return Ok(false),
            },
        };
        let Some((len, _)) = record_end(text, delimiter, eof) else {
            return match eof {
                true => Err(InputError::Unterminated { path: self.path.to_path_buf(), line: 1 }),
                false => Ok(false),
            };
        };
        let record = String::from_utf8_lossy(&text[..len]);
        let mut header = Vec::new();
        let mut unescaped = String::new();
        split_record(record.as_bytes(), delimiter, |_, range| {
            let raw = &record[range];
            // a name whose quote does not close it is taken as it stands
            let name = field_value(raw, &mut unescaped).unwrap_or(Some(raw.trim_end_matches('\r')));
            header.push(name.unwrap_or_default().to_string());
        });
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(InputError::NoHeader { path: self.path.to_path_buf() });
        }
        let mut seen = std::collections::HashSet::new();
        for name in &header {
            if !seen.insert(name.as_str()) {
                return Err(InputError::DuplicateHeader { path: self.path.to_path_buf(), column: name.clone() });
            }
        }
        self.header = header;
        self.pos = (len + 1).min(text.len());
        self.start = self.pos;
        self.start_line = line_of(text, len) + 1;
        Ok(true)
    }

    /// Bytes of found records not taken yet.
    fn ready(&self) -> usize {
        self.pos - self.start
    }

    /// Takes the found records not taken yet, with the line they start on: the text up to the
    /// next record is handed over whole (no copy) and `text` keeps what follows, in a recycled
    /// buffer when one is free.
    fn take(&mut self, text: &mut Vec<u8>, recycled: &Receiver<Vec<u8>>) -> Piece {
        let next_line = self.line_at(text, self.pos);
        let mut rest = recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(text.capacity()));
        rest.clear();
        rest.extend_from_slice(&text[self.pos..]);
        let mut piece = std::mem::replace(text, rest);
        piece.truncate(self.pos);
        if self.start > 0 {
            piece.drain(..self.start); // the header
        }
        let line = std::mem::replace(&mut self.start_line, next_line);
        self.lines_before = next_line - 1;
        (self.pos, self.start) = (0, 0);
        // the index is the builders' to set, as they hand pieces on
        Piece { index: 0, line, newlines: next_line - line, text: piece }
    }
}

/// The most frequent of `,` `;` tab `|` outside quotes in the text's first line (`,` when
/// none); `None` while that line is not complete.
fn sniff_delimiter(text: &[u8], eof: bool) -> Option<u8> {
    let candidates = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let (mut quoted, mut complete) = (false, eof);
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                complete = true;
                break;
            }
            _ if !quoted => {
                if let Some(k) = candidates.iter().position(|&c| c == b) {
                    counts[k] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..4).max_by_key(|&k| (counts[k], std::cmp::Reverse(k))).unwrap_or(0);
    complete.then_some(if counts[best] == 0 { b',' } else { candidates[best] })
}

/// Where the record at the start of `rest` ends: (the index of its closing newline, or
/// `rest.len()` at `eof`; newlines inside quotes). `None` when it does not end within `rest`
/// (at `eof`: a quote is never closed). A line without quotes — nearly all of them — is found
/// with memchr; a quoted one byte by byte ([`Quotes`]).
fn record_end(rest: &[u8], delimiter: u8, eof: bool) -> Option<(usize, usize)> {
    let newline = memchr::memchr(b'\n', rest);
    if newline.is_none() && !eof {
        return None;
    }
    let line_end = newline.unwrap_or(rest.len());
    if memchr::memchr(b'"', &rest[..line_end]).is_none() {
        return Some((line_end, 0));
    }
    let (mut quotes, mut newlines) = (Quotes::new(), 0);
    for (i, &b) in rest.iter().enumerate() {
        match quotes.step(b, delimiter) {
            Step::Newline if quotes.inside => newlines += 1,
            Step::Newline => return Some((i, newlines)),
            _ => {}
        }
    }
    (eof && !quotes.inside).then_some((rest.len(), newlines))
}

/// Quoting as polars' CSV reader (and Python's, and Excel) splits fields: a field that opens
/// with a quote is quoted, and every quote in it toggles; a quote inside an unquoted field
/// is text.
struct Quotes {
    /// At the first byte of a field; in a field that opened with a quote; inside quotes.
    at_start: bool,
    quoted: bool,
    inside: bool,
}

#[derive(PartialEq)]
enum Step {
    Delimiter,
    Newline,
    Other,
}

impl Quotes {
    fn new() -> Quotes {
        Quotes { at_start: true, quoted: false, inside: false }
    }

    /// Takes byte `b`: a delimiter or newline outside quotes ends the field.
    #[inline]
    fn step(&mut self, b: u8, delimiter: u8) -> Step {
        if b == b'"' && (self.at_start || self.quoted) {
            (self.inside, self.quoted, self.at_start) = (!self.inside, true, false);
            return Step::Other;
        }
        if self.inside {
            return if b == b'\n' { Step::Newline } else { Step::Other };
        }
        if b == delimiter {
            (self.at_start, self.quoted) = (true, false);
            return Step::Delimiter;
        }
        self.at_start = false;
        if b == b'\n' {
            Step::Newline
        } else {
            Step::Other
        }
    }
}

/// Splits a record (without its closing newline) at the delimiters outside quotes, calling
/// `field(k, range)` for each field in order; returns the number of fields.
#[inline]
fn split_record(record: &[u8], delimiter: u8, mut field: impl FnMut(usize, Range<usize>)) -> usize {
    let mut k = 0;
    let mut start = 0;
    if memchr::memchr(b'"', record).is_none() {
        for at in memchr::memchr_iter(delimiter, record) {
            field(k, start..at);
            (k, start) = (k + 1, at + 1);
        }
    } else {
        let mut quotes = Quotes::new();
        for (at, &b) in record.iter().enumerate() {
            if quotes.step(b, delimiter) == Step::Delimiter {
                field(k, start..at);
                (k, start) = (k + 1, at + 1);
            }
        }
    }
    field(k, start..record.len());
    k + 1
}

/// The records of a piece of text, each split into fields as [`record_end`] and
/// [`split_record`] split them, found 64 bytes at a time: a block's delimiters, newlines and
/// quotes become three bitmasks, and a record without quotes (nearly all) is read off their
/// bits. A record with a quote, and the last bytes of the text, take the byte-wise path.
struct Records<'t> {
    text: &'t [u8],
    delimiter: u8,
    pos: usize,
}

/// Bytes of a block: bit j of the masks stands for byte j.
const BLOCK: usize = 64;

impl<'t> Records<'t> {
    fn new(text: &'t [u8], delimiter: u8) -> Self {
        Records { text, delimiter, pos: 0 }
    }

    /// The next record, its fields' ranges in `fields`; `Some(None)` when its quote is never
    /// closed.
    #[inline]
    fn next(&mut self, fields: &mut Vec<Range<usize>>) -> Option<Option<Found>> {
        let (text, start) = (self.text, self.pos);
        if start >= text.len() {
            return None;
        }
        fields.clear();
        let (mut at, mut field) = (start, start);
        while let Some(block) = text.get(at..at + BLOCK) {
            let (delimiters, newlines, quotes) = marks(block.try_into().expect("a block"), self.delimiter);
            let before = match newlines {
                0 => u64::MAX,
                n => (n & n.wrapping_neg()) - 1,
            };
            if quotes & before != 0 {
                break; // a quoted record: byte by byte
            }
            let mut d = delimiters & before;
            while d != 0 {
                let j = at + d.trailing_zeros() as usize;
                fields.push(field..j);
                (field, d) = (j + 1, d & (d - 1));
            }
            if newlines != 0 {
                let end = at + newlines.trailing_zeros() as usize;
                fields.push(field..end);
                self.pos = end + 1;
                return Some(Some(Found { start, end, newlines: 0, quoted: false }));
            }
            at += BLOCK;
        }
        fields.clear();
        let Some((len, newlines)) = record_end(&text[start..], self.delimiter, true) else {
            self.pos = text.len();
            return Some(None);
        };
        split_record(&text[start..start + len], self.delimiter, |_, r| fields.push(start + r.start..start + r.end));
        self.pos = start + len + 1;
        Some(Some(Found { start, end: start + len, newlines, quoted: true }))
    }
}

/// A record found by [`Records`]: its bytes `start..end` (without the newline), the newlines
/// inside its quotes, and whether it holds a quote at all (else no field can be badly quoted).
struct Found {
    start: usize,
    end: usize,
    newlines: usize,
    quoted: bool,
}

/// A block's delimiters, newlines and quotes as bitmasks.
#[inline]
fn marks(block: &[u8; BLOCK], delimiter: u8) -> (u64, u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86_64; the four unaligned 16-byte loads stay in the block.
        unsafe {
            let (vd, vn, vq) = (_mm_set1_epi8(delimiter as i8), _mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(b'"' as i8));
            let (mut d, mut n, mut q) = (0u64, 0u64, 0u64);
            for k in 0..BLOCK / 16 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k) as *const __m128i);
                let mask = |c| _mm_movemask_epi8(_mm_cmpeq_epi8(v, c)) as u16 as u64;
                d |= mask(vd) << (16 * k);
                n |= mask(vn) << (16 * k);
                q |= mask(vq) << (16 * k);
            }
            (d, n, q)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut d, mut n, mut q) = (0u64, 0u64, 0u64);
        for (j, &b) in block.iter().enumerate() {
            d |= ((b == delimiter) as u64) << j;
            n |= ((b == b'\n') as u64) << j;
            q |= ((b == b'"') as u64) << j;
        }
        (d, n, q)
    }
}

/// A field's value as polars' CSV reader reads it: a trailing `\r` dropped; empty is null; a
/// field that opens with a quote must close with one, and loses both, `""` inside read as `"`
/// (into `unescaped`). `Err` when an opened quote does not close the field.
#[inline]
fn field_value<'a>(raw: &'a str, unescaped: &'a mut String) -> Result<Option<&'a str>, ()> {
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    if raw.is_empty() {
        return Ok(None);
    }
    if !raw.starts_with('"') {
        return Ok(Some(raw));
    }
    let inner = raw.get(1..raw.len() - 1).filter(|_| raw.len() > 1 && raw.ends_with('"')).ok_or(())?;
    unescaped.clear();
    let mut quote = false;
    for c in inner.chars() {
        // a doubled quote is one quote; a lone one is dropped (as polars does)
        if c == '"' && !quote {
            quote = true;
            continue;
        }
        quote = false;
        unescaped.push(c);
    }
    Ok(Some(unescaped.as_str()))
}

/// Whether a field's raw bytes are empty (read as null) and whether a quote it opens fails to
/// close it: the scan's side of [`field_value`].
#[inline]
fn field_shape(raw: &[u8]) -> (bool, bool) {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let bad_quote = raw.first() == Some(&b'"') && (raw.len() < 2 || raw.last() != Some(&b'"'));
    (raw.is_empty(), bad_quote)
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

// ---------------------------------------------------------------------------------------------
// Parquet

fn parquet_reader(path: &Path) -> Result<ParquetReader<std::fs::File>, InputError> {
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.to_path_buf(), source })?;
    Ok(ParquetReader::new(file))
}

fn parquet_error(path: &Path, e: PolarsError) -> InputError {
    InputError::Parse { path: PathBuf::from(path), detail: e.to_string() }
}

/// A Parquet file's column names, from its footer (no data is read).
fn parquet_names(path: &Path) -> Result<Vec<String>, InputError> {
    let schema = parquet_reader(path)?.schema().map_err(|e| parquet_error(path, e))?;
    Ok(schema.iter_names().map(|name| name.to_string()).collect())
}

/// Reads `columns` of a Parquet file (every column when `None`).
fn read_parquet(path: &Path, columns: Option<Vec<String>>) -> Result<DataFrame, InputError> {
    parquet_reader(path)?.with_columns(columns).finish().map_err(|e| parquet_error(path, e))
}

/// Reads the `parsed` columns of a Parquet file, and every column's null count in file order.
/// The other columns are read one at a time for their count and dropped before the parsed
/// ones are read: at a million customers a text column the roles never read (Country) is
/// 0.8 GB that would otherwise sit beside the table through audit and clean.
fn read_parquet_roles(
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
    use crate::error::Error;

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
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2;3", false), Some(b';'));
        assert_eq!(sniff_delimiter(b"a\tb\n", false), Some(b'\t'));
        assert_eq!(sniff_delimiter(b"\"x,y\"|b|c\n", false), Some(b'|'));
        assert_eq!(sniff_delimiter(b"single\n", false), Some(b','));
        assert_eq!(sniff_delimiter(b"a;b", false), None);
        assert_eq!(sniff_delimiter(b"a;b", true), Some(b';'));
        // a newline inside quotes does not end the header line
        assert_eq!(sniff_delimiter(b"\"x\n;y\"|b", false), None);
        assert_eq!(sniff_delimiter(b"\"x\n;y\"|b\n", false), Some(b'|'));
    }

    /// Streams `text` in chunks of `chunk` bytes, building columns from pieces of `piece` bytes.
    fn stream(text: &[u8], chunk: usize, piece: usize, encoding: Encoding, skip: bool) -> Result<CsvRead> {
        let scan = Scan::new(Path::new("f.csv"), encoding, None);
        stream_csv(text, false, scan, None, skip, (chunk, piece))
    }

    /// The stream's result is the same whatever the chunk and piece sizes (every boundary
    /// crossed, a piece per chunk or only at the end): frame, null counts, skipped rows, errors.
    fn stream_all(text: &[u8], encoding: Encoding, skip: bool) -> Result<CsvRead> {
        let whole = stream(text, text.len().max(1), usize::MAX, encoding, skip);
        for chunk in 3..text.len() {
            for piece in [1, 2 * chunk, usize::MAX] {
                let at = format!("chunk {chunk}, piece {piece}");
                match (&whole, stream(text, chunk, piece, encoding, skip)) {
                    (Ok(a), Ok(b)) => {
                        assert!(a.frame.equals_missing(&b.frame), "{at}: {:?} vs {:?}", a.frame, b.frame);
                        assert_eq!((&a.header, &a.nulls, a.skipped), (&b.header, &b.nulls, b.skipped), "{at}");
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{at}"),
                    (a, b) => panic!("{at}: {:?} vs {:?}", a.as_ref().err(), b.err()),
                }
            }
        }
        whole
    }

    /// polars' own reading of the whole text: the twin the stream must equal.
    fn polars_whole(text: &[u8]) -> DataFrame {
        polars_whole_with(text, b',')
    }

    fn polars_whole_with(text: &[u8], delimiter: u8) -> DataFrame {
        let parse = CsvParseOptions::default().with_quote_char(Some(b'"')).with_separator(delimiter);
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_parse_options(parse)
            .into_reader_with_file_handle(std::io::Cursor::new(text))
            .finish()
            .unwrap()
    }

    fn texts(frame: &DataFrame, column: &str) -> Vec<Option<String>> {
        frame.column(column).unwrap().str().unwrap().iter().map(|v| v.map(String::from)).collect()
    }

    fn input_error(e: Error) -> InputError {
        match e {
            Error::Input(e) => e,
            e => panic!("not an input error: {e}"),
        }
    }

    #[test]
    fn the_header_reads_as_polars_reads_it() {
        // a doubled quote in a quoted name is one quote, as in a value (RFC 4180; pandas and
        // Excel read it so; polars keeps both in names, not in values)
        let doubled = stream_all(b"\"a\"\"b\",c d,\"e,f\",g\r\n1,2,3,4\r\n", Encoding::Utf8, false).unwrap();
        assert_eq!(doubled.header, ["a\"b", "c d", "e,f", "g"]);
        // a newline inside a quoted name (polars ends its header at the first newline)
        let multi = stream_all(b"a\"b,c,\"multi\nline\"\n1,2,3\n", Encoding::Utf8, false).unwrap();
        assert_eq!(multi.header, ["a\"b", "c", "multi\nline"]);
        assert_eq!(multi.frame.height(), 1);
        let texts: [&[u8]; 4] =
            [b"a,\"c d\",\"e,f\",g\r\n1,2,3,4\r\n", b"a\"b,c\n1,2\n", b"x,,y\n1,2,3\n", b"\"only\""];
        for text in texts {
            let names: Vec<String> = polars_whole(text).get_column_names().iter().map(|n| n.to_string()).collect();
            let read = stream_all(text, Encoding::Utf8, false).unwrap();
            assert_eq!(read.header, names, "{}", String::from_utf8_lossy(text));
        }
        let open = input_error(stream_all(b"\"never closed,b\n1,2\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(open, InputError::Unterminated { line: 1, .. }), "{open}");
    }

    #[test]
    fn ragged_rows_name_the_line_or_are_skipped() {
        let text = b"a,b\n1,2\n\"x\ny\",3\n4,5,6\n7,8\n";
        let err = input_error(stream_all(text, Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::Ragged { line: 5, found: 3, expected: 2, .. }), "{err}");
        let kept = stream_all(text, Encoding::Utf8, true).unwrap();
        assert_eq!(kept.skipped, 1);
        assert!(kept.frame.equals_missing(&polars_whole(b"a,b\n1,2\n\"x\ny\",3\n7,8\n")));
    }

    #[test]
    fn a_quote_that_does_not_close_its_field_names_line_and_column() {
        let text = b"a,b\n1,\"x\"\n2,\"y\"z\n3,\"w\"\n";
        let err = input_error(stream_all(text, Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::BadQuote { line: 3, ref column, .. } if column == "b"), "{err}");
        let kept = stream_all(text, Encoding::Utf8, true).unwrap();
        assert_eq!((kept.skipped, texts(&kept.frame, "b")), (1, vec![Some("x".into()), Some("w".into())]));
        // a quote inside an unquoted field is text, and the record is split as the scan counts it
        let read = stream_all(b"a,b\n12\" x,\"y\"\n", Encoding::Utf8, false).unwrap();
        assert_eq!(
            (texts(&read.frame, "a"), texts(&read.frame, "b")),
            (vec![Some("12\" x".into())], vec![Some("y".into())])
        );
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let err = input_error(stream_all(b"a,b,a\n1,2,3\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::DuplicateHeader { ref column, .. } if column == "a"));
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        let err = input_error(stream_all(b"a,b\n1,2\n3,\"x\n4,5\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::Unterminated { line: 3, .. }), "{err}");
    }

    #[test]
    fn the_stream_reads_what_polars_reads_and_counts_its_nulls() {
        // Quoted empties, spaces, CRLF, a newline inside quotes, an escaped quote, an empty
        // last field, blank lines, no final newline: the stream's frame is polars' reading of
        // the whole text without its blank lines, and the scan's counts are polars' nulls.
        let text =
            b"id,\"name\",qty,note\r\n1,,3,\r\n\"\",\"a\nb\",,x\r\n\r\n, ,\"\",\"\"\n4,\"q,\"\"r\"\"\",5,\n\n,,,";
        let unblank = b"id,\"name\",qty,note\r\n1,,3,\r\n\"\",\"a\nb\",,x\r\n, ,\"\",\"\"\n4,\"q,\"\"r\"\"\",5,\n,,,";
        // more of what polars' reader does: a lone \r field is empty, a field's trailing \r is
        // dropped, `""""` is one quote, `"a"b""` drops its lone quotes, spaces and UTF-8 stay
        let odd = "k,v\n\r,\"\"\"\"\r\nx\r, é \n\"\"\"\"\"\",\"a\"b\"\"\n";
        let read = stream_all(odd.as_bytes(), Encoding::Utf8, false).unwrap();
        let polars_odd = polars_whole(odd.as_bytes());
        assert!(read.frame.equals_missing(&polars_odd), "{:?} vs {polars_odd:?}", read.frame);
        assert_eq!(texts(&read.frame, "v"), [Some("\"".into()), Some(" é ".into()), Some("ab".into())]);
        assert_eq!(read.nulls, [1, 0]);
        // other delimiters (sniffed from the header): a comma is text, quoting the same
        for delimiter in [b';', b'\t', b'|'] {
            let d = delimiter as char;
            let text = format!("k{d}v{d}w\n1,5{d}\"a{d}b\"{d}\n{d}\"\"\"x\"\"\"{d}c,d\r\n");
            let read = stream_all(text.as_bytes(), Encoding::Utf8, false).unwrap();
            let polars = polars_whole_with(text.as_bytes(), delimiter);
            assert!(read.frame.equals_missing(&polars), "{d:?}: {:?} vs {polars:?}", read.frame);
            assert_eq!(texts(&read.frame, "v"), [Some(format!("a{d}b")), Some("\"x\"".into())]);
        }
        let csv = stream_all(text, Encoding::Utf8, false).unwrap();
        assert_eq!(csv.header, ["id", "name", "qty", "note"]);
        let polars = polars_whole(unblank);
        assert!(csv.frame.equals_missing(&polars), "{:?} vs {polars:?}", csv.frame);
        assert_eq!(texts(&csv.frame, "name")[3], Some("q,\"r\"".to_string()));
        assert_eq!(csv.nulls, polars.columns().iter().map(|c| c.null_count()).collect::<Vec<_>>());
        assert_eq!(csv.nulls, [2, 2, 2, 3]);
        // with roles, only their columns are built
        let columns = Columns {
            customer: "qty".into(),
            item: "id".into(),
            quantity: None,
            description: None,
            invoice: None,
            date: None,
            explicit: vec![],
        };
        let roles = Some(Roles { columns: &columns, date_format: None });
        let scan = Scan::new(Path::new("f.csv"), Encoding::Utf8, None);
        let two = stream_csv(&text[..], false, scan, roles, false, (5, 8)).unwrap();
        assert_eq!(column_names(&two.frame), ["customer", "item", "quantity", "description", "date"]);
        let (audited, _) = audited_as_text(text, &columns, None).unwrap();
        assert!(two.frame.equals_missing(&audited), "{:?} vs {audited:?}", two.frame);
        assert_eq!(texts(&two.frame, "customer"), [Some("3".into()), None, None, Some("5".into()), None]);
        assert_eq!(two.nulls, csv.nulls);
        // the second role mapped to the same column: its columns as text, for the audit
        let same = Columns { description: Some("qty".into()), ..columns };
        let roles = Some(Roles { columns: &same, date_format: None });
        let scan = Scan::new(Path::new("f.csv"), Encoding::Utf8, None);
        let text_only = stream_csv(&text[..], false, scan, roles, false, (5, 8)).unwrap();
        assert_eq!((column_names(&text_only.frame), text_only.invalid), (vec!["id".into(), "qty".into()], None));
    }

    #[test]
    fn long_records_split_by_blocks_read_as_polars_reads_them() {
        // Records of 0 to ~200 bytes cross the 64-byte blocks at every offset; some hold
        // quotes (delimiters, newlines and doubled quotes inside), some end in CRLF.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for delimiter in [b',', b'\t'] {
            let d = delimiter as char;
            let mut text = format!("a{d}b{d}c{d}d\n");
            for _ in 0..400 {
                for k in 0..4 {
                    let len = [0, 1, 5, 11, 12, 13, 30, 63, 64, 65][next(10) as usize];
                    let body: String = (0..len).map(|j| (b'a' + ((j + k) % 26) as u8) as char).collect();
                    match next(8) {
                        0 => text += &format!("\"{body}{d}x\"\"y\nz\""),
                        1 => text += &format!("\"{body}\""),
                        _ => text += &body,
                    }
                    if k < 3 {
                        text.push(d);
                    }
                }
                text += if next(5) == 0 { "\r\n" } else { "\n" };
            }
            let polars = polars_whole_with(text.as_bytes(), delimiter);
            for (chunk, piece) in [(text.len(), usize::MAX), (1 << 10, 1 << 12), (100, 300), (64, 64)] {
                let read = stream(text.as_bytes(), chunk, piece, Encoding::Utf8, false).unwrap();
                assert!(read.frame.equals_missing(&polars), "{chunk} {piece}: {:?} vs {polars:?}", read.frame);
                assert_eq!(read.nulls, polars.columns().iter().map(|c| c.null_count()).collect::<Vec<_>>());
            }
            // a ragged row far into a long piece names its line
            let ragged = format!("{text}1{d}2\n");
            let lines = text.matches('\n').count() + 1;
            let err = input_error(stream(ragged.as_bytes(), 1 << 12, 1 << 14, Encoding::Utf8, false).err().unwrap());
            assert!(matches!(err, InputError::Ragged { line, found: 2, .. } if line == lines), "{err} vs {lines}");
        }
    }

    /// The audit of a table read as text: what the stream must give with roles.
    fn audited_as_text(text: &[u8], columns: &Columns, date_format: Option<&str>) -> Result<(DataFrame, Vec<usize>)> {
        let read = stream(text, text.len().max(1), usize::MAX, Encoding::Utf8, false)?;
        let (columns, _) = resolve_columns(&read.header, columns, Path::new("f.csv"), None)?;
        let table = Table::new(read.frame, columns);
        let (frame, report) = crate::audit::run(table, date_format, Path::new("f.csv"))?;
        Ok((frame, report.columns.iter().map(|c| c.invalid).collect()))
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
            customer: "Cust".into(),
            item: "Item".into(),
            quantity: Some("Qty".into()),
            description: Some("Desc".into()),
            invoice: Some("Inv".into()),
            date: Some("When".into()),
            explicit: vec![],
        };
        let (expected, invalid) = audited_as_text(text.as_bytes(), &columns, None).unwrap();
        assert_eq!(invalid, [0, 1, 1, 0, 1, 1]); // Inv, Cust, Item, Desc, Qty, When
        for (chunk, piece) in [(text.len(), usize::MAX), (7, 16), (3, 1)] {
            let scan = Scan::new(Path::new("f.csv"), Encoding::Utf8, None);
            let roles = Some(Roles { columns: &columns, date_format: None });
            let read = stream_csv(text.as_bytes(), false, scan, roles, false, (chunk, piece)).unwrap();
            assert!(read.frame.equals_missing(&expected), "{chunk} {piece}: {:?} vs {expected:?}", read.frame);
            let counts: Vec<(&str, usize)> = read.invalid.iter().flatten().map(|(n, k)| (n.as_str(), *k)).collect();
            assert_eq!(counts, [("Cust", 1), ("Item", 1), ("Qty", 1), ("When", 1)]);
        }
        // the values themselves, not only their agreement with the audit
        let customers = ["17850", "12", "", "007", "", "x1"].map(|c| (!c.is_empty()).then(|| c.to_string()));
        assert_eq!(texts(&expected, "customer"), customers);
        let quantities: Vec<Option<f64>> = expected.column("quantity").unwrap().f64().unwrap().iter().collect();
        assert_eq!(quantities, [Some(3.0), Some(-2.0), Some(1.5), None, None, Some(4.0)]);
        let dates: Vec<Option<i64>> = expected.column("date").unwrap().i64().unwrap().iter().collect();
        let dec1 = Some(1_291_191_960); // 2010-12-01 08:26:00
        assert_eq!(dates, [dec1, dec1, dec1, None, None, Some(1_293_937_445)]);
        // without the optional roles they are filled as the audit fills them; a date format
        let few = Columns { quantity: None, description: None, date: Some("When".into()), ..columns.clone() };
        let (expected, _) = audited_as_text(text.as_bytes(), &few, Some("%m/%d/%Y %H:%M")).unwrap();
        let scan = Scan::new(Path::new("f.csv"), Encoding::Utf8, None);
        let roles = Some(Roles { columns: &few, date_format: Some("%m/%d/%Y %H:%M") });
        let read = stream_csv(text.as_bytes(), false, scan, roles, false, (5, 9)).unwrap();
        assert!(read.frame.equals_missing(&expected), "{:?} vs {expected:?}", read.frame);
        assert_eq!(read.frame.column("date").unwrap().null_count(), 5);
        // a quantity that is NaN fails naming the data row, counted across pieces
        let nan = "Cust,Item,Qty\n1,A,1\n2,B,2\n3,C,NaN\n4,D,inf\n";
        let qty = Columns { quantity: Some("Qty".into()), date: None, ..few.clone() };
        let want = audited_as_text(nan.as_bytes(), &qty, None).err().unwrap().to_string();
        assert!(want.contains("row 3") && want.contains("NaN"), "{want}");
        for (chunk, piece) in [(nan.len(), usize::MAX), (4, 5)] {
            let scan = Scan::new(Path::new("f.csv"), Encoding::Utf8, None);
            let roles = Some(Roles { columns: &qty, date_format: None });
            let err = stream_csv(nan.as_bytes(), false, scan, roles, false, (chunk, piece)).err().unwrap();
            assert_eq!(err.to_string(), want);
        }
    }

    #[test]
    fn binary_and_bad_utf8_name_their_line() {
        let err = input_error(stream_all(b"a,b\n1,2\n3,\x004\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::Binary { line: 3, .. }), "{err}");
        let err = input_error(stream_all(b"a,b\n1,2\n3,\xE94\n5,6\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::Encoding { line: 3, .. }), "{err}");
        // far into the file, after many pieces were taken
        let mut long = b"a,b\n".to_vec();
        for k in 0..500 {
            long.extend_from_slice(format!("{k},\"x\ny\"\n").as_bytes());
        }
        long.extend_from_slice(b"1,\xE9\n");
        let err = input_error(stream(&long, 7, 64, Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::Encoding { line: 1002, .. }), "{err}");
    }

    #[test]
    fn latin1_is_transcoded_and_bom_dropped() {
        let csv = stream_all(b"\xEF\xBB\xBFa\nx\n", Encoding::Utf8, false).unwrap();
        assert_eq!(csv.header, ["a"]);
        assert_eq!(texts(&csv.frame, "a"), [Some("x".to_string())]);
        let csv = stream_all(b"a\nc\xE9\n", Encoding::Latin1, false).unwrap();
        assert_eq!(texts(&csv.frame, "a"), [Some("c\u{e9}".to_string())]);
        assert!(stream_all(b"a\n\xE9\n", Encoding::Utf8, false).is_err());
    }

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
        assert_eq!(read(&cfg).unwrap().0.width(), 5);
    }
}
