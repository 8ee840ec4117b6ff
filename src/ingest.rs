//! Ingest: reads the export into a polars `DataFrame`.
//!
//! Takes the `[input]` settings and the column mapping; returns the columns the roles read,
//! every column's null count (so the audit covers all of them) and the mapping resolved
//! against the header. The format is chosen by extension. CSV-like text is streamed over three
//! threads: one reads and inflates the file; our scan — which drops a BOM, transcodes Latin-1,
//! refuses NUL bytes and invalid UTF-8, checks field counts and quoting so errors can name the
//! line, and counts every column's empty fields — runs on the text as it arrives; and each few
//! megabytes of scanned records are built into polars text columns on the third, fields read
//! exactly as polars' CSV reader reads them (a twin test holds the two equal). Excel/ODS
//! through calamine, Parquet through polars. CSV and Excel columns arrive as text; the audit
//! stage parses the roles.

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::time::Instant;

use calamine::{open_workbook_auto, Data, Reader};
use polars::prelude::*;
use serde::Serialize;

use crate::config::{Columns, Encoding, InputConfig};
use crate::error::{InputError, Result};

/// The file as read, with the role mapping resolved against its header.
pub struct Table {
    /// The columns the roles read (every column for Excel).
    pub frame: DataFrame,
    /// The roles that are present in this file (optional roles absent by default are `None`).
    pub columns: Columns,
    /// Every column of the file with its null count, in file order, parsed or not.
    pub nulls: Vec<(String, usize)>,
}

impl Table {
    /// A table of every column of `frame`.
    pub fn new(frame: DataFrame, columns: Columns) -> Table {
        Table { nulls: null_counts(&frame), frame, columns }
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
    Csv(CsvRead),
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
            (Loaded::Csv(load_csv(cfg, gzip, tab, roles)?), Vec::new(), if gzip { "csv.gz" } else { "csv" })
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
            let (columns, unmapped) = resolve_columns(&csv.header, columns, path, None)?;
            let frame = csv.frame;
            let nulls = csv
                .header
                .iter()
                .zip(&csv.nulls)
                .map(|(name, &n)| (name.clone(), frame.column(name).map_or(n, |c| c.null_count())))
                .collect();
            (Table { frame, columns, nulls }, csv.header.len(), csv.skipped, unmapped)
        }
        Loaded::Parquet(names) => {
            let (columns, unmapped) = resolve_columns(&names, columns, path, None)?;
            let (frame, nulls) = read_parquet_roles(path, &names, &columns.parsed())?;
            (Table { frame, columns, nulls }, names.len(), 0, unmapped)
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

/// A CSV file read: the parsed columns, and what the scan learned on the way.
struct CsvRead {
    frame: DataFrame,
    header: Vec<String>,
    /// Empty fields per column, in header order (polars reads an unquoted empty field as null).
    nulls: Vec<usize>,
    skipped: usize,
}

/// Bytes read (or inflated) from the file at a time.
const CHUNK: usize = 1 << 20;

/// Bytes of scanned records built into columns at a time.
const PIECE: usize = 4 << 20;

/// Reads a CSV file, gzip-compressed or not, in one stream over three threads: a second
/// thread reads and inflates the file in chunks, this one scans the records as they arrive,
/// and each few megabytes of scanned records are built into columns on a third while the rest
/// of the file is still read. The file's text is never whole in memory. Only the columns the
/// `roles` read are parsed (every column without roles).
fn load_csv(cfg: &InputConfig, gzip: bool, tab: bool, roles: Option<&Columns>) -> Result<CsvRead> {
    let path = &cfg.path;
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.clone(), source })?;
    let source: Box<dyn Read + Send> = match gzip {
        true => Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(CHUNK, file))),
        false => Box::new(file),
    };
    let delimiter = cfg.delimiter.or(tab.then_some(b'\t'));
    let scan = Scan::new(path, cfg.encoding, delimiter, cfg.skip_bad_rows);
    stream_csv(source, gzip, scan, roles, CHUNK, PIECE)
}

/// The stream of [`load_csv`] over any source, in chunks of `chunk` bytes and pieces of
/// `piece` bytes (tests cross every boundary with small ones).
fn stream_csv(
    source: impl Read + Send,
    gzip: bool,
    mut scan: Scan<'_>,
    roles: Option<&Columns>,
    chunk: usize,
    piece: usize,
) -> Result<CsvRead> {
    let path = scan.path;
    let read_error = |e: std::io::Error| match gzip {
        true => gzip_error(e, path),
        false => InputError::Io { path: path.to_path_buf(), source: e },
    };
    std::thread::scope(|s| -> Result<CsvRead> {
        let (chunks, received) = std::sync::mpsc::sync_channel(4);
        s.spawn(move || read_chunks(source, chunk, chunks));
        let mut text = Vec::new();
        let mut parser = None;
        let mut taken = 0;
        loop {
            let eof = match received.recv() {
                Ok(chunk) => {
                    scan.append(&mut text, &chunk.map_err(read_error)?)?;
                    false
                }
                Err(_) => true,
            };
            scan.feed(&text, eof)?;
            if parser.is_none() && !scan.header.is_empty() {
                let resolved = roles.map(|roles| resolve_columns(&scan.header, roles, path, None)).transpose()?;
                let parsed = resolved.as_ref().map(|(columns, _)| columns.parsed());
                let pieces = Pieces::new(&scan.header, scan.delimiter.unwrap_or(b','), parsed.as_deref(), path);
                let (tx, rx) = std::sync::mpsc::sync_channel(2);
                let (pieces, rx) = (Arc::new(pieces), Arc::new(std::sync::Mutex::new(rx)));
                // Two builders: the last pieces, queued when the file ends, are built on both cores.
                let builders = [0, 1].map(|_| {
                    let (pieces, rx) = (pieces.clone(), rx.clone());
                    s.spawn(move || pieces.build(&rx))
                });
                parser = Some((tx, pieces, builders));
            }
            if let Some((tx, _, _)) = &parser {
                if eof || scan.ready() >= piece {
                    // A failed send means the builders stopped on an error, which their joins return.
                    let _ = tx.send((taken, scan.take(&mut text)));
                    taken += 1;
                }
            }
            if eof {
                break;
            }
        }
        let (tx, pieces, builders) = parser.ok_or_else(|| InputError::NoHeader { path: path.to_path_buf() })?;
        drop(tx);
        let mut parts = Vec::new();
        for builder in builders {
            parts.extend(builder.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))?);
        }
        let frame = pieces.assemble(parts)?;
        Ok(CsvRead { frame, header: scan.header, nulls: scan.nulls, skipped: scan.skipped })
    })
}

/// Sends `source` in chunks of `size` bytes; stops early when the scan has hung up (it failed).
fn read_chunks(mut source: impl Read, size: usize, tx: std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>) {
    loop {
        let mut chunk = Vec::with_capacity(size);
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

/// Builds text columns from pieces of scanned records (no header): the records are split as
/// the scan split them ([`split_record`]) and each field read as polars' CSV reader reads it
/// ([`field_value`]); the scan has already refused (or cut) ragged rows, bad quotes, NUL bytes
/// and invalid UTF-8, and counted every column's empty fields.
struct Pieces {
    /// The header's names and, for each, its place among the built columns (`None`: not built).
    names: Vec<PlSmallStr>,
    slots: Vec<Option<usize>>,
    delimiter: u8,
    path: PathBuf,
}

impl Pieces {
    fn new(header: &[String], delimiter: u8, columns: Option<&[&String]>, path: &Path) -> Pieces {
        let mut built = 0;
        let slots = header
            .iter()
            .map(|name| {
                columns.is_none_or(|c| c.contains(&name)).then(|| {
                    built += 1;
                    built - 1
                })
            })
            .collect();
        Pieces { names: header.iter().map(|n| n.as_str().into()).collect(), slots, delimiter, path: path.to_path_buf() }
    }

    /// The built columns' builders, in header order, with room for `rows`.
    fn builders(&self, rows: usize) -> Vec<StringChunkedBuilder> {
        let built = self.names.iter().zip(&self.slots).filter(|(_, slot)| slot.is_some());
        built.map(|(name, _)| StringChunkedBuilder::new(name.clone(), rows)).collect()
    }

    fn parse(&self, piece: &[u8]) -> Result<DataFrame, InputError> {
        // The scan checked the text; this only lets fields be taken as text without copying.
        let text = std::str::from_utf8(piece).map_err(|_| self.fail("invalid UTF-8 after the scan"))?;
        let mut columns = self.builders(memchr::memchr_iter(b'\n', piece).count() + 1);
        let (mut pos, mut rows, mut unescaped) = (0, 0, String::new());
        while pos < piece.len() {
            let (len, _) = record_end(&piece[pos..], self.delimiter, true)
                .ok_or_else(|| self.fail("a quoted field is never closed"))?;
            let record = &text[pos..pos + len];
            let mut bad = false;
            let fields = split_record(record.as_bytes(), self.delimiter, |k, range| {
                if let Some(&Some(slot)) = self.slots.get(k) {
                    match field_value(&record[range], &mut unescaped) {
                        Ok(value) => columns[slot].append_option(value),
                        Err(()) => bad = true,
                    }
                }
            });
            if bad || fields != self.slots.len() {
                return Err(self.fail("a row the scan passed does not split into the header's fields"));
            }
            (pos, rows) = (pos + len + 1, rows + 1);
        }
        let columns = columns.into_iter().map(|b| b.finish().into_series().into_column()).collect();
        DataFrame::new(rows, columns).map_err(|e| self.fail(&e.to_string()))
    }

    /// Builds pieces as they are received, each with its place in the file.
    fn build(
        &self,
        pieces: &std::sync::Mutex<Receiver<(usize, Vec<u8>)>>,
    ) -> Result<Vec<(usize, DataFrame)>, InputError> {
        let mut built = Vec::new();
        loop {
            let next = pieces.lock().map_err(|_| self.fail("a builder failed"))?.recv();
            let Ok((k, piece)) = next else { return Ok(built) };
            if !piece.is_empty() {
                built.push((k, self.parse(&piece)?));
            }
        }
    }

    /// The built pieces, in file order, as one frame (a chunk per piece).
    fn assemble(&self, mut parts: Vec<(usize, DataFrame)>) -> Result<DataFrame, InputError> {
        parts.sort_unstable_by_key(|&(k, _)| k);
        let mut parts = parts.into_iter().map(|(_, part)| part);
        let Some(mut frame) = parts.next() else {
            let columns = self.builders(0).into_iter().map(|b| b.finish().into_series().into_column()).collect();
            return DataFrame::new(0, columns).map_err(|e| self.fail(&e.to_string()));
        };
        // The pieces stay chunks of the columns: one contiguous copy would double the
        // frame's peak (at 27 million rows, 3.6 GB → 5.7 GB).
        for part in parts {
            frame.vstack_mut_owned(part).map_err(|e| self.fail(&e.to_string()))?;
        }
        Ok(frame)
    }

    fn fail(&self, detail: &str) -> InputError {
        InputError::Parse { path: self.path.clone(), detail: detail.to_string() }
    }
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

/// One pass over the records as the text arrives, quote-aware: drops a BOM, refuses NUL bytes
/// and invalid UTF-8 (transcodes Latin-1), finds duplicate header names and unterminated
/// quotes, counts fields against the header and empty fields per column, drops blank lines.
/// Bad rows fail naming the line, or are cut out and counted when `skip` is set.
struct Scan<'a> {
    path: &'a Path,
    encoding: Encoding,
    delimiter: Option<u8>,
    skip: bool,
    /// A first piece has been appended (its BOM dropped).
    started: bool,
    header: Vec<String>,
    nulls: Vec<usize>,
    /// Byte ranges to cut: blank lines and (with `skip`) ragged rows.
    bad: Vec<(usize, usize)>,
    /// The next record's first byte and line number.
    pos: usize,
    line: usize,
    /// Bytes checked as UTF-8 so far.
    checked: usize,
    /// The first byte of the records not yet taken, and the lines taken before the text.
    start: usize,
    lines_before: usize,
    /// Rows cut for a wrong field count (with `skip`).
    skipped: usize,
    /// Scratch: the empty fields of the current record.
    empty: Vec<usize>,
}

impl<'a> Scan<'a> {
    fn new(path: &'a Path, encoding: Encoding, delimiter: Option<u8>, skip: bool) -> Self {
        Scan {
            path,
            encoding,
            delimiter,
            skip,
            started: false,
            header: Vec::new(),
            nulls: Vec::new(),
            bad: Vec::new(),
            pos: 0,
            line: 1,
            checked: 0,
            start: 0,
            lines_before: 0,
            skipped: 0,
            empty: Vec::new(),
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

    /// Scans the complete records of `text` not scanned yet; at `eof` the last one may lack
    /// its newline.
    fn feed(&mut self, text: &[u8], eof: bool) -> Result<(), InputError> {
        if self.header.is_empty() && !self.read_header(text, eof)? {
            return Ok(());
        }
        let delimiter = self.delimiter.unwrap_or(b',');
        let expected = self.header.len();
        while self.pos < text.len() {
            let Some((len, inner_newlines)) = record_end(&text[self.pos..], delimiter, eof) else {
                if eof {
                    return Err(InputError::Unterminated { path: self.path.to_path_buf(), line: self.line });
                }
                break;
            };
            let (record, end) = (&text[self.pos..self.pos + len], self.pos + len);
            let next = (end + 1).min(text.len());
            let (empty, mut bad_quote) = (&mut self.empty, None);
            empty.clear();
            let fields = split_record(record, delimiter, |k, range| match field_shape(&record[range]) {
                (true, _) => empty.push(k),
                (_, true) => _ = bad_quote.get_or_insert(k),
                _ => {}
            });
            if record.iter().all(|&c| c == b'\r' || c == b' ') {
                self.bad.push((self.pos, next)); // blank lines carry no record
            } else if fields != expected || bad_quote.is_some() {
                if !self.skip {
                    let (path, line) = (self.path.to_path_buf(), self.line);
                    return Err(match bad_quote.filter(|_| fields == expected) {
                        Some(k) => InputError::BadQuote { path, line, column: self.header[k].clone() },
                        None => InputError::Ragged { path, line, found: fields, expected },
                    });
                }
                self.bad.push((self.pos, next));
            } else {
                for &k in &self.empty {
                    self.nulls[k] += 1;
                }
            }
            self.line += inner_newlines + 1;
            self.pos = next;
        }
        if self.encoding == Encoding::Utf8 {
            let upto = if eof { text.len() } else { self.pos };
            if let Err(e) = std::str::from_utf8(&text[self.checked..upto]) {
                let line = self.lines_before + line_of(text, self.checked + e.valid_up_to());
                return Err(InputError::Encoding { path: self.path.to_path_buf(), line });
            }
            self.checked = upto;
        }
        Ok(())
    }

    /// Reads the header once its record is complete; false while it is not.
    fn read_header(&mut self, text: &[u8], eof: bool) -> Result<bool, InputError> {
        let record = first_record(text);
        if record.len() == text.len() && !eof {
            return Ok(false);
        }
        let delimiter = *self.delimiter.get_or_insert_with(|| sniff_delimiter(record));
        let header = split_fields(record, delimiter);
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(InputError::NoHeader { path: self.path.to_path_buf() });
        }
        let mut seen = std::collections::HashSet::new();
        for name in &header {
            if !seen.insert(name.as_str()) {
                return Err(InputError::DuplicateHeader { path: self.path.to_path_buf(), column: name.clone() });
            }
        }
        self.nulls = vec![0; header.len()];
        self.header = header;
        self.pos = (record.len() + 1).min(text.len());
        self.start = self.pos;
        self.line = line_of(text, record.len()) + 1;
        Ok(true)
    }

    /// Bytes of scanned records not taken yet.
    fn ready(&self) -> usize {
        self.pos - self.start
    }

    /// Takes the scanned records not taken yet, bad rows cut out: the text up to the next
    /// record is handed over whole (no copy) and `text` keeps what follows.
    fn take(&mut self, text: &mut Vec<u8>) -> Vec<u8> {
        let mut rest = Vec::with_capacity(text.capacity());
        rest.extend_from_slice(&text[self.pos..]);
        let mut piece = std::mem::replace(text, rest);
        piece.truncate(self.pos);
        // Cut the text before `start` (the header) and the bad rows, in place.
        let (mut kept, mut at) = (0, self.start);
        for (s, e) in self.bad.iter().copied().chain([(self.pos, self.pos)]) {
            if kept != at {
                piece.copy_within(at..s, kept);
            }
            kept += s - at;
            self.skipped += !piece[s..e].iter().all(|c| c.is_ascii_whitespace()) as usize;
            at = e;
        }
        piece.truncate(kept);
        self.bad.clear();
        self.checked = self.checked.saturating_sub(self.pos);
        self.lines_before = self.line - 1;
        (self.pos, self.start) = (0, 0);
        piece
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

    /// Streams `text` in chunks of `chunk` bytes, building columns from pieces of `piece` bytes.
    fn stream(text: &[u8], chunk: usize, piece: usize, encoding: Encoding, skip: bool) -> Result<CsvRead> {
        let scan = Scan::new(Path::new("f.csv"), encoding, None, skip);
        stream_csv(text, false, scan, None, chunk, piece)
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
        // with roles, only their columns are parsed
        let columns = Columns {
            customer: "qty".into(),
            item: "id".into(),
            quantity: None,
            description: None,
            invoice: None,
            date: None,
            explicit: vec![],
        };
        let scan = Scan::new(Path::new("f.csv"), Encoding::Utf8, None, false);
        let two = stream_csv(&text[..], false, scan, Some(&columns), 5, 8).unwrap();
        let mut kept = column_names(&two.frame);
        kept.sort();
        assert_eq!(kept, ["id", "qty"]);
        assert_eq!(texts(&two.frame, "qty"), texts(&polars, "qty"));
        assert_eq!(two.nulls, csv.nulls);
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
