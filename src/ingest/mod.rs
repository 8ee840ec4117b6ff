//! Ingest: reads the export into a polars `DataFrame`.
//!
//! Takes the `[input]` settings and the column mapping; returns a [`Table`]: the columns the
//! roles read, every column's null count (so the audit covers all of them), the mapping
//! resolved once against the header, and the path and date format the audit reads them with.
//! The format is chosen by extension and read by its own module: `csv` streams CSV-like text
//! over four threads and builds the roles' columns as it reads, so a CSV arrives as the
//! canonical frame (records split by `split`); `excel` reads Excel/ODS through calamine and
//! `parquet` through polars-parquet (each column by its place), and their roles are parsed by
//! the audit stage. This file holds what every format shares: the dispatch, the `Table`, the
//! report, and the mapping's resolution against the header.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use polars::prelude::*;
use serde::Serialize;

use crate::config::{format_of, Columns, Format, InputConfig, Mark};
use crate::error::{InputError, Result};
use crate::roles::{DateRule, LongIds, Parsed};

mod biff;
mod csv;
mod excel;
pub mod look;
mod magic;
mod numfmt;
mod ods;
mod parquet;

mod memory;
pub use memory::{address_space_left, available_memory};
mod missing;
pub use missing::{Missing, DEFAULT_NULL_VALUES};
mod split;

pub(crate) use csv::CELL_BYTES;
use csv::{load_csv, CsvRead};
use excel::read_excel;
pub use look::{ColumnLook, Head, Look, HEAD_ROWS};
use parquet::{decimal_quantity, parquet_columns, read_parquet_all, read_parquet_roles, ParquetFile};

/// The file as read, with the role mapping resolved against its header: all the audit needs.
pub struct Table {
    /// The columns the roles read (every column for Excel).
    pub frame: DataFrame,
    /// The roles that are present in this file (optional roles absent by default are `None`).
    pub columns: Columns,
    /// Every column of the file with its null count, in file order, parsed or not.
    pub nulls: Vec<(String, usize)>,
    /// Set when `frame` is already the audit's canonical frame (a CSV's roles are parsed as
    /// the file is read): what parsing each mapped column found.
    pub parsed: Option<Vec<Parsed>>,
    /// The file read, named in the audit's messages.
    pub path: PathBuf,
    /// How the audit reads the date column (`[input] date_format`, `max_date`).
    pub dates: DateRule,
    /// The decimal mark of quantities written as text (`[input] decimal`); `None`: as the
    /// column shows.
    pub decimal: Option<Mark>,
    /// Every column at a first look (types, counts, ranges) and the first rows.
    pub look: Look,
    /// The customer's and the item's ids the reader read from numbers too long for their type
    /// (a workbook's cells of 16 digits or more); the audit adds a float column's own.
    pub long_ids: LongIds,
    /// The reader's warnings on the customer's and the item's ids (a workbook's date cells
    /// among them), which the audit gives their columns.
    pub id_warnings: IdWarnings,
}

/// Warnings on the customer's and on the item's column, in that order.
pub type IdWarnings = [Vec<String>; 2];

impl Table {
    /// A table of every column of `frame`, read from `path`, its dates read by `dates`.
    /// Its look is taken from the frame, with [`HEAD_ROWS`] rows.
    pub fn new(frame: DataFrame, columns: Columns, path: &Path, dates: DateRule) -> Table {
        let look = look::of_frame(&frame, HEAD_ROWS);
        Table::with_look(frame, columns, path, dates, look)
    }

    /// [`Table::new`] with its look already taken.
    fn with_look(frame: DataFrame, columns: Columns, path: &Path, dates: DateRule, look: Look) -> Table {
        let path = path.to_path_buf();
        let (long_ids, id_warnings) = (LongIds::default(), IdWarnings::default());
        let nulls = null_counts(&frame);
        Table { nulls, frame, columns, parsed: None, path, dates, decimal: None, look, long_ids, id_warnings }
    }
}

/// Which cells hold no value: `cfg`'s `null_values`, the quantity as `columns` map it.
fn missing(cfg: &InputConfig, columns: &Columns) -> Missing {
    Missing::new(&cfg.null_values, columns.quantity.as_deref())
}

/// How `cfg` says the date column is read.
fn date_rule(cfg: &InputConfig) -> DateRule {
    match (cfg.max_date, cfg.dates_continue_to) {
        (None, Some(day)) => DateRule::continued(cfg.date_format.clone(), day),
        (max_date, _) => DateRule::new(cfg.date_format.clone(), max_date),
    }
}

/// Every column of a file read for `kindred audit`: a table when the mapping resolves against
/// its header, else the bare frame with its look (the audit then counts its nulls only).
pub enum AllColumns {
    Mapped(Box<Table>),
    Unmapped(DataFrame, Look),
}

/// The frame's column names, in order.
fn column_names(frame: &DataFrame) -> Vec<String> {
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
    /// What was read differently from what the file holds, and why (sheets skipped, columns
    /// of a type no role reads left unread); each also printed as a note on stderr.
    pub notes: Vec<String>,
    pub seconds: f64,
}

/// An optional role mapped by default to a column the file does not have: left unmapped.
#[derive(Debug, Clone)]
pub(crate) struct Unmapped {
    pub role: &'static str,
    pub column: String,
}

impl Unmapped {
    /// Said on stderr when the quantity is the role left unmapped: without it `[clean]
    /// min_quantity` drops nothing (returns and cancellations are read as purchases), which
    /// nothing else would tell. (A missing description or date shows in the tables and the
    /// selection's window; the invoice is only audited.)
    fn note(&self) -> Option<String> {
        (self.role == "quantity").then(|| {
            format!(
                "no column '{}' (the default of [columns] quantity): each row is read as one purchase of 1 and [clean] min_quantity drops nothing (returns and cancellations count as purchases); set [columns] quantity to the file's column, or to \"\" to say it has none",
                self.column
            )
        })
    }
}

/// A file loaded: a CSV file read, a Parquet file's columns (its data is read once the roles
/// are known), or a frame of every column.
enum Loaded {
    Csv(Box<CsvRead>),
    Parquet(ParquetFile),
    Frame(DataFrame, LongIds, IdWarnings),
}

/// Reads the file named by `cfg`: (what was loaded, sheets read, notes, format label). Of a
/// CSV only the columns `roles` read are parsed (every column without roles); a workbook's
/// sheets are matched to the roles' columns. `header_of` finds the header below a report's
/// title (the first row with its customer and item columns), also when every column is read
/// (`kindred audit`). A CSV's first `head` rows are kept for its look.
fn load(
    cfg: &InputConfig,
    roles: Option<&Columns>,
    header_of: &Columns,
    head: usize,
) -> Result<(Loaded, Vec<String>, Vec<String>, &'static str)> {
    let path = &cfg.path;
    check_path(path)?;
    let format =
        format_of(path).ok_or_else(|| InputError::Extension { path: path.clone(), appears: magic::appears(path) })?;
    Ok(match format {
        Format::Csv { gzip, tab } => {
            let label = if gzip { "csv.gz" } else { "csv" };
            let csv = load_csv(cfg, gzip, tab, roles, header_of, head)?;
            let notes = csv.notes.clone();
            (Loaded::Csv(Box::new(csv)), Vec::new(), notes, label)
        }
        Format::Excel => {
            let limit = Some(bytes_limit(cfg)).filter(|l| l.0 > 0);
            let excel = read_excel(path, cfg.sheet.as_deref(), roles, header_of, limit)?;
            let frame = missing(cfg, header_of)
                .apply(excel.frame)
                .map_err(|e| InputError::Parse { path: path.clone(), detail: e.to_string() })?;
            (Loaded::Frame(frame, excel.long_ids, excel.id_warnings), excel.sheets, excel.notes, "excel")
        }
        Format::Parquet => {
            // its names made unique, a mapped one there twice refused, as a CSV header's are
            let file = parquet_columns(path, &header_of.parsed())?;
            let notes = file.renamed.iter().cloned().collect();
            (Loaded::Parquet(file), Vec::new(), notes, "parquet")
        }
    })
}

/// Reads the input file named by `cfg` and resolves `columns` against its header, once: the
/// table carries the mapping. Of a CSV or Parquet file only the columns the roles read are
/// kept; the others' nulls come from the scan (CSV) or from reading them one at a time
/// (Parquet).
pub fn run(cfg: &InputConfig, columns: &Columns) -> Result<(Table, IngestReport)> {
    guarded(&cfg.path, || run_unguarded(cfg, columns))
}

/// How many times its unpacked size reading a workbook takes at its peak, at most: measured
/// 2.2 × (the shipped export's workbook: 216 MB of sheet XML, a 480 MB run) to 5.2 × (a sheet of
/// 5 million one-cell rows: 865 MB, 4.5 GB), calamine holding a sheet's cells and strings whole.
pub const WORKBOOK_MEMORY: u64 = 6;

/// `[input] max_bytes` and where it came from: as set, else 3/4 of the memory available at the
/// start (0: no limit, also where the memory is unknown).
pub(crate) fn bytes_limit(cfg: &InputConfig) -> (u64, &'static str) {
    match cfg.max_bytes {
        Some(bytes) => (bytes, "as set"),
        // Peak memory is 0.9–1.15 × a CSV's text (a 2.2 GB CSV of 27M rows: 2.05 GB; a 4 GB
        // gzip bomb of one line: 4.5 GB): text up to 3/4 of the memory available fits.
        None => (available_memory().map_or(0, |m| m / 4 * 3), "by default 3/4 of the memory available at the start"),
    }
}

/// Readers running ([`guarded`]): the panic hook stays quiet while one is, and leaves the
/// panic's text in [`PANICKED`] for the error.
static READING: AtomicUsize = AtomicUsize::new(0);
static PANICKED: Mutex<Option<String>> = Mutex::new(None);

/// For the panic hook: true when a reader is running, the panic's `text` kept for the error
/// [`guarded`] returns (the hook then prints nothing).
pub fn reader_panicked(text: String) -> bool {
    if READING.load(Ordering::SeqCst) == 0 {
        return false;
    }
    if let Ok(mut kept) = PANICKED.lock() {
        kept.get_or_insert(text);
    }
    true
}

/// `read` of the file at `path`, a panic in it an error naming the file: a damaged Parquet
/// (row groups cut, the footer kept) or workbook panicked inside polars' and calamine's
/// readers, reported as a bug in kindred with no word of the file.
fn guarded<T>(path: &Path, read: impl FnOnce() -> Result<T>) -> Result<T> {
    READING.fetch_add(1, Ordering::SeqCst);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    READING.fetch_sub(1, Ordering::SeqCst);
    // taken either way: a panic a reader caught itself leaves no text for a later error
    let kept = PANICKED.lock().ok().and_then(|mut kept| kept.take());
    result.unwrap_or_else(|payload| {
        let detail = kept.unwrap_or_else(|| crate::error::panic_text(&*payload));
        let path = path.to_path_buf();
        match crate::error::refused_resources(&detail) {
            true => Err(InputError::Resources { path, detail }.into()),
            false => Err(InputError::Damaged { path, detail }.into()),
        }
    })
}

fn run_unguarded(cfg: &InputConfig, columns: &Columns) -> Result<(Table, IngestReport)> {
    let start = Instant::now();
    let path = &cfg.path;
    let (loaded, sheets, mut notes, label) = load(cfg, Some(columns), columns, HEAD_ROWS)?;
    let table = |frame, columns, nulls, parsed, look| Table {
        frame,
        columns,
        nulls,
        parsed,
        path: path.clone(),
        dates: date_rule(cfg),
        decimal: cfg.decimal,
        look,
        long_ids: LongIds::default(),
        id_warnings: IdWarnings::default(),
    };
    let (table, width, skipped, unmapped) = match loaded {
        Loaded::Csv(csv) => {
            // resolved by the reader at the header, to build only the roles' columns
            let (columns, unmapped) = csv.resolved.ok_or_else(|| InputError::NoHeader { path: path.clone() })?;
            let (width, skipped) = (csv.header.len(), csv.skipped);
            let nulls = csv.header.into_iter().zip(csv.nulls).collect();
            (table(csv.frame, columns, nulls, csv.found, csv.look), width, skipped, unmapped)
        }
        Loaded::Parquet(file) => {
            let file_columns = &file.columns;
            let names: Vec<String> = file_columns.iter().map(|c| c.name.clone()).collect();
            let (columns, unmapped) = resolve_columns(&names, columns, path, None)?;
            let limit = bytes_limit(cfg);
            let read = read_parquet_roles(path, &file, &parsed_roles(&columns), &missing(cfg, &columns), limit)?;
            notes.extend(read.notes);
            let frame = formulas_shown(read.frame, &mut notes, path)?;
            let frame = decimal_quantity(frame, file_columns, columns.quantity.as_ref(), path)?;
            (table(frame, columns, read.nulls, None, read.look), names.len(), 0, unmapped)
        }
        Loaded::Frame(frame, long_ids, id_warnings) => {
            let names = column_names(&frame);
            let (columns, unmapped) = resolve_columns(&names, columns, path, sheets.first().cloned())?;
            let frame = formulas_shown(frame, &mut notes, path)?;
            let table = Table::new(frame, columns, path, date_rule(cfg));
            let table = Table { decimal: cfg.decimal, long_ids, id_warnings, ..table };
            (table, names.len(), 0, unmapped)
        }
    };
    let mut report = report(&table.frame, cfg, start, label, sheets, skipped, width)?;
    notes.extend(unmapped.iter().filter_map(Unmapped::note));
    report.unmapped = unmapped.iter().map(|u| format!("{} ({})", u.role, u.column)).collect();
    report.notes = notes;
    Ok((table, report))
}

/// What changes when a file is rewritten or appended to: its size, modification time and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    bytes: u64,
    modified: Option<std::time::SystemTime>,
    inode: u64,
}

impl FileState {
    /// `path`'s state now (links followed), `None` when it cannot be read.
    pub fn of(path: &Path) -> Option<FileState> {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok()?;
        Some(FileState { bytes: meta.len(), modified: meta.modified().ok(), inode: meta.ino() })
    }

    /// How `later` differs, in words (`None`: it does not).
    pub fn change(&self, later: Option<&FileState>) -> Option<String> {
        match later {
            None => Some("it is gone".into()),
            Some(l) if l.inode != self.inode => Some("it was replaced by another file".into()),
            Some(l) if l.bytes != self.bytes => Some(format!("{} bytes, then {}", self.bytes, l.bytes)),
            Some(l) if l.modified != self.modified => Some("it was modified".into()),
            Some(_) => None,
        }
    }
}

/// Reads every column of the input file, whatever the mapping (`kindred audit` of any export),
/// and resolves `columns` against its header when they resolve; its look has `head` rows.
pub fn read(cfg: &InputConfig, columns: &Columns, head: usize) -> Result<(AllColumns, IngestReport)> {
    guarded(&cfg.path, || read_unguarded(cfg, columns, head))
}

fn read_unguarded(cfg: &InputConfig, columns: &Columns, head: usize) -> Result<(AllColumns, IngestReport)> {
    let start = Instant::now();
    let (loaded, sheets, mut notes, label) = load(cfg, None, columns, head)?;
    let mut file_columns = Vec::new();
    let (mut long_ids, mut id_warnings) = (LongIds::default(), IdWarnings::default());
    // a CSV's delimiter as set (`None`: sniffed), for a header read as one column
    let mut text = None;
    let (frame, skipped, width, look) = match loaded {
        Loaded::Csv(csv) => {
            text = Some(csv.set_delimiter);
            (csv.frame, csv.skipped, None, Some(csv.look))
        }
        Loaded::Parquet(file) => {
            let (frame, unread) = read_parquet_all(&cfg.path, &file, &missing(cfg, columns), bytes_limit(cfg))?;
            file_columns = file.columns;
            notes.extend(unread);
            (frame, 0, Some(file_columns.len()), None)
        }
        Loaded::Frame(frame, long, warnings) => {
            (long_ids, id_warnings) = (long, warnings);
            (frame, 0, None, None)
        }
    };
    // a CSV's were read so as its fields went by
    let frame = if text.is_none() { formulas_shown(frame, &mut notes, &cfg.path)? } else { frame };
    let look = look.unwrap_or_else(|| look::of_frame(&frame, head));
    let mut report = report(&frame, cfg, start, label, sheets, skipped, width.unwrap_or(frame.width()))?;
    let names = column_names(&frame);
    report.notes = notes;
    let sheet = report.sheets.first().cloned();
    let resolved = resolve_columns(&names, columns, &cfg.path, sheet);
    let resolved = resolved.map_err(|e| match text {
        Some(set) => one_column(e, &names, set),
        None => parquet::never_read_mapped(&cfg.path, &file_columns, e),
    });
    let all = match resolved {
        Ok((columns, _)) => {
            let dated = file_columns.iter().filter(|c| columns.date.as_ref() == Some(&c.name));
            report.notes.extend(dated.filter_map(parquet::date_zone_note));
            let frame = decimal_quantity(frame, &file_columns, columns.quantity.as_ref(), &cfg.path)?;
            let table = Table::with_look(frame, columns, &cfg.path, date_rule(cfg), look);
            AllColumns::Mapped(Box::new(Table { decimal: cfg.decimal, long_ids, id_warnings, ..table }))
        }
        // said, not silent: every role then reads "-", even the columns the mapping would find
        Err(e) => {
            report.notes.push(format!("the columns do not match the mapping, so no roles are shown: {e}"));
            AllColumns::Unmapped(frame, look)
        }
    };
    Ok((all, report))
}

/// `frame` with every text value written as an Excel text formula read as the text Excel
/// shows ([`split::formula_text`]), a note in `notes` for each column holding any: an ERP's
/// "Excel-safe" CSV read by pandas and saved as Parquet, or pasted into a workbook as text,
/// keeps `="0017850"` as written. (A CSV's fields are read so as they go by.) A column without
/// one is left as it is, uncopied.
fn formulas_shown(mut frame: DataFrame, notes: &mut Vec<String>, path: &Path) -> Result<DataFrame, InputError> {
    let fail = |e: PolarsError| InputError::Parse { path: path.to_path_buf(), detail: e.to_string() };
    let names: Vec<PlSmallStr> =
        frame.columns().iter().filter(|c| c.dtype() == &DataType::String).map(|c| c.name().clone()).collect();
    let mut shown = String::new();
    for name in names {
        let values = frame.column(&name).and_then(|c| c.str().cloned()).map_err(fail)?;
        let count = values.iter().flatten().filter(|v| split::formula_text(v, &mut shown).is_some()).count();
        if count == 0 {
            continue;
        }
        let read: StringChunked = values
            .iter()
            .map(|v| {
                let v = v?;
                // `=""` as an empty text: blank, as the reader's own empty texts are read
                Some(split::formula_text(v, &mut shown).unwrap_or(v).to_string())
            })
            .collect();
        frame.with_column(read.with_name(name.clone()).into_column()).map_err(fail)?;
        notes.push(split::formulas_note(&name, count));
    }
    Ok(frame)
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
        notes: Vec::new(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The file columns the roles read, each once with the first role that reads it (the order of
/// [`Columns::parsed`]).
fn parsed_roles(columns: &Columns) -> Vec<(&String, &'static str)> {
    let roles = [
        (Some(&columns.customer), "customer"),
        (Some(&columns.item), "item"),
        (columns.quantity.as_ref(), "quantity"),
        (columns.description.as_ref(), "description"),
        (columns.date.as_ref(), "date"),
        (columns.segment.as_ref(), "segment"),
    ];
    let text = columns.text_roles().into_iter().map(|(_, name, role)| (Some(name), role));
    let mut parsed: Vec<(&String, &'static str)> = Vec::new();
    for (name, role) in roles.into_iter().chain(text).filter_map(|(n, r)| Some((n?, r))) {
        if !parsed.iter().any(|(n, _)| *n == name) {
            parsed.push((name, role));
        }
    }
    parsed
}

/// Fails unless `path` is a non-empty regular file (links followed). A named pipe, a device or
/// a socket cannot be read twice: the checksum's reader drained a pipe and the rows' waited on
/// it for ever, holding the output folder's lock.
pub(crate) fn check_path(path: &Path) -> Result<(), InputError> {
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => InputError::Missing { path: path.to_path_buf() },
        _ => InputError::Io { path: path.to_path_buf(), source },
    })?;
    if meta.is_dir() {
        return Err(InputError::Directory { path: path.to_path_buf(), parts: dataset_parts(path) });
    }
    let t = meta.file_type();
    let kind = [
        (t.is_fifo(), "named pipe (FIFO)"),
        (t.is_char_device() || t.is_block_device(), "device"),
        (t.is_socket(), "socket"),
    ];
    if let Some((_, kind)) = kind.into_iter().find(|(is, _)| *is) {
        return Err(InputError::NotAFile { path: path.to_path_buf(), kind });
    }
    if meta.len() == 0 {
        return Err(InputError::Empty { path: path.to_path_buf() });
    }
    Ok(())
}

/// What to do of a folder given as the export when it holds a dataset's parts — Parquet or CSV
/// files, under `key=value` partition folders or not, as Spark, Hive and DuckDB write a table
/// (helper-99: "is a directory, not a file", no hint): one file is read, so name one, or
/// combine them. Empty for any other folder. Files of each kind are counted apart, and the hint
/// combines the most numerous; links and a kindred output folder's sets are not parts
/// (helper-105: one CSV and five Parquet files were "6 .csv files", kindred's own tables beside
/// an export "34 .csv files").
fn dataset_parts(folder: &Path) -> String {
    const KINDS: [&str; 3] = [".parquet", ".csv", ".csv.gz"];
    let mut found = [0usize; 3];
    let mut stack = vec![(folder.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten().take(10_000) {
            let (name, path) = (e.file_name().to_string_lossy().into_owned(), e.path());
            let Ok(t) = e.file_type() else { continue };
            let published = path.join(crate::publish::RUNS).is_dir() && path.join(crate::publish::CURRENT).is_symlink();
            if t.is_dir() && depth < 4 && !published {
                stack.push((path, depth + 1));
            } else if let Some(k) = KINDS.iter().position(|x| t.is_file() && name.ends_with(x)) {
                found[k] += 1;
            }
        }
    }
    let Some(most) = (0..3).filter(|&k| found[k] > 0).max_by_key(|&k| (found[k], std::cmp::Reverse(k))) else {
        return String::new();
    };
    let said = |k: usize| format!("{} {} file{}", found[k], KINDS[k], if found[k] == 1 { "" } else { "s" });
    let others: Vec<String> = (0..3).filter(|&k| k != most && found[k] > 0).map(said).collect();
    let also = match others.is_empty() {
        true => String::new(),
        false => format!(" and {}", others.join(" and ")),
    };
    let kind = KINDS[most];
    // `union_by_name`: parts that disagree on their columns (one lacks a column, another types
    // an id as text) are combined by name, each column in a type that holds every part's
    // values; without it DuckDB refused a part missing a column ("schema mismatch in glob") and
    // cast every part to the first one's types (text ids into DOUBLE). A quote in the folder's
    // name is doubled, as SQL reads it.
    format!(
        ": it holds {}{also} (a dataset written in parts, as Spark, Hive and DuckDB write one); kindred reads one file — name one, or combine them (duckdb -c \"COPY (SELECT * FROM read_{}('{}/**/*{kind}', hive_partitioning = true, union_by_name = true)) TO 'export{kind}'\")",
        said(most),
        if kind == ".parquet" { "parquet" } else { "csv" },
        folder.display().to_string().replace('\'', "''")
    )
}

/// A column name as a mapping matches a header's when no header has it exactly: letters and
/// digits only, case ignored ("Customer ID", "customer_id" and " CUSTOMERID" are "customerid").
/// Exports of the same data differ this way (the UCI Online Retail's `CustomerID` is Online
/// Retail II's `Customer ID`); Excel sheets are stacked by the same key.
pub(crate) fn column_key(name: &str) -> String {
    key_chars(name).collect()
}

/// A name's letters and digits, lower case: [`column_key`]'s characters.
fn key_chars(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase)
}

/// Whether `text` is `key` as [`column_key`] makes it, without making it (a test on every
/// record: most fail at their first letter or digit).
pub(crate) fn is_key(text: &str, key: &str) -> bool {
    key_chars(text).eq(key.chars())
}

/// A header's names as [`column_key`]s, to tell a row that is the header again
/// ([`HeaderNames::moved`]); with the first character each key starts with, so that a data
/// row's cell is set aside at its first letter or digit (a test on every record).
pub(crate) struct HeaderNames {
    keys: Vec<String>,
    names: Vec<String>,
    firsts: [bool; 128],
}

impl HeaderNames {
    pub(crate) fn new(names: &[String]) -> HeaderNames {
        let keys: Vec<String> = names.iter().map(|n| column_key(n)).collect();
        let mut firsts = [false; 128];
        for c in keys.iter().filter_map(|k| k.chars().next()) {
            // a key's first character, lower case; one beyond ASCII is looked for in every text
            firsts[if c.is_ascii() { c as usize } else { 0 }] = true;
        }
        HeaderNames { keys, names: names.to_vec(), firsts }
    }

    /// Whether `text` is one of the names (case, spaces and punctuation aside).
    fn is_name(&self, text: &str) -> bool {
        let first = key_chars(text).next();
        let may = match first {
            None => false,
            Some(c) if c.is_ascii() => self.firsts[c as usize],
            Some(_) => self.firsts[0],
        };
        may && self.keys.iter().any(|key| !key.is_empty() && is_key(text, key))
    }

    /// A row that is the header again with a role's column moved (its name elsewhere in the
    /// row, another name — another column's, or one the header does not have — in its place):
    /// monthly exports joined end to end whose template changed (helper-102: `CustomerID` and
    /// `Quantity` swapped, the quantities published as 128 customers; `Quantity` and
    /// `UnitPrice` swapped, the prices read as quantities; helper-103: a new `StoreNo` where
    /// `CustomerID` was, the store numbers published as customers). A header is a row one of
    /// whose roles' cells (`roles`: their places) is a name of the header and half its cells or
    /// more are; the same names in the roles' own places are the header repeated,
    /// the clean rule `repeated_header`'s. `cell(k)` is the row's text in column `k`. Returns
    /// what moved, as `'Quantity' under 'CustomerID', …`.
    pub(crate) fn moved<'a>(&self, roles: &[usize], cell: impl Fn(usize) -> Option<&'a str>) -> Option<String> {
        let keys = &self.keys;
        // a data row's roles' cells are no column names: every data row ends here, most at
        // each cell's first letter or digit (helper-104: the customer's and item's columns both
        // taken by new names, `StoreNo` and `Barcode`, with their own further on)
        if !roles.iter().any(|&k| cell(k).is_some_and(|text| self.is_name(text))) {
            return None;
        }
        let named = (0..keys.len()).filter(|&k| cell(k).is_some_and(|text| self.is_name(text))).count();
        if 2 * named < keys.len() {
            return None;
        }
        // its own name first: two names alike (`Customer_ID` beside `CustomerID`) are each in
        // place; a role's name elsewhere in the row is its column moved, nowhere a column
        // renamed in place (`Qty` where `Quantity` was: read by its place, rightly)
        let holds = |j: usize, k: usize| cell(j).is_some_and(|text| !keys[k].is_empty() && is_key(text, &keys[k]));
        // a role's name renamed and moved (`Customer Number` further on, a new `StoreNo` in its
        // place: helper-104): a new name elsewhere begins as the role's does, further than the
        // one in its place
        let like = |j: usize, k: usize| {
            let key = column_key(cell(j).unwrap_or_default());
            key.chars().zip(keys[k].chars()).take_while(|(a, b)| a == b).count()
        };
        let new_name = |j: usize| cell(j).is_some_and(|text| !text.trim().is_empty() && !self.is_name(text));
        let renamed_away = |k: usize| (0..keys.len()).any(|j| j != k && new_name(j) && like(j, k) > like(k, k));
        let moved_away = |k: usize| {
            !holds(k, k)
                && ((0..keys.len()).any(|j| j != k && holds(j, k))
                    || (!self.is_name(cell(k).unwrap_or_default()) && renamed_away(k)))
        };
        let moved: Vec<String> = roles
            .iter()
            .filter(|&&k| moved_away(k))
            .map(|&k| format!("'{}' under '{}'", cell(k).unwrap_or_default().trim().trim_matches('"'), self.names[k]))
            .collect();
        (!moved.is_empty()).then(|| moved.join(", "))
    }
}

/// A header whose every name can name a column: a blank name is read as pandas names it,
/// `Unnamed: <i>` (`i` its position from 0), and a name there again as `<name>.<n>` (the
/// second `Country` is `Country.1`), so that an export with trailing empty columns (a
/// spreadsheet saved as CSV: `…,Country,,,`) or a column repeated that no role reads is read,
/// not refused. A repeated name the pipeline maps (`mapped`) is refused, as `Err(name)`: which
/// of the two holds the role is not for kindred to guess. Returns the names and a note saying
/// what was renamed, if anything.
pub(crate) fn unique_header(header: Vec<String>, mapped: &[&String]) -> Result<(Vec<String>, Option<String>), String> {
    let mut seen: std::collections::HashSet<String> = header.iter().cloned().collect();
    let mut first: std::collections::HashSet<&str> = std::collections::HashSet::new();
    let mut names = Vec::with_capacity(header.len());
    let mut renamed = Vec::new();
    for (i, name) in header.iter().enumerate() {
        let fresh = if name.trim().is_empty() {
            Some(format!("Unnamed: {i}"))
        } else if !first.insert(name.as_str()) {
            if mapped.contains(&name) {
                return Err(name.clone());
            }
            let mut n = 1;
            while seen.contains(&format!("{name}.{n}")) {
                n += 1;
            }
            Some(format!("{name}.{n}"))
        } else {
            None
        };
        match fresh {
            Some(mut fresh) => {
                while !seen.insert(fresh.clone()) {
                    fresh.push('_');
                }
                renamed.push(format!(
                    "column {} ({}) as '{fresh}'",
                    i + 1,
                    if name.trim().is_empty() { "no name".to_string() } else { format!("'{name}' again") }
                ));
                names.push(fresh);
            }
            None => names.push(name.clone()),
        }
    }
    let note = (!renamed.is_empty()).then(|| format!("header names read as pandas reads them: {}", renamed.join(", ")));
    Ok((names, note))
}

/// How far down a header is looked for below a report's title (CSV lines, Excel rows): a title
/// block is a few lines, and a CSV's text is held until its header is found.
pub(crate) const TITLE_LINES: usize = 100;

/// The columns of `wanted` that `header` lacks ([`find_column`]; one several headers match is
/// there: the mapping's error names them).
pub(crate) fn absent<'w>(header: &[String], wanted: &[&'w String]) -> Vec<&'w String> {
    wanted.iter().copied().filter(|c| matches!(find_column(header, c), Ok(None))).collect()
}

/// The note on the rows left above a header found below a title: "its header is line 3; the
/// 2 lines above it are not read" (`unit` "line" or "row").
pub(crate) fn title_note(unit: &str, header_at: usize, above: usize) -> String {
    let above = match above {
        1 => format!("the {unit} above it is"),
        n => format!("the {n} {unit}s above it are"),
    };
    format!("its header is {unit} {header_at}; {above} not read")
}

/// The delimiter on which the header the names `header` were split from holds `column`, when
/// another than the one they were split on: a semicolon file whose names hold as many commas
/// (`Kd.-Nr., intern;Art.-Nr., EAN;…`) was split on the comma, and the names listed joined by
/// ", " could not be read back (helper-144).
fn split_elsewhere(header: &[String], column: &str) -> Option<u8> {
    const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];
    let mut pairs = DELIMITERS.iter().flat_map(|&w| DELIMITERS.iter().filter(move |&&d| d != w).map(move |&d| (w, d)));
    pairs
        .find(|&(w, d)| {
            let line = header.join(&(w as char).to_string());
            line.split(d as char).any(|field| field.trim() == column.trim())
        })
        .map(|(_, d)| d)
}

/// A mapped column missing from a header that reads as one column says why, when the one name
/// shows it: a delimiter inside it (quoted whole, or another than the one set), or columns
/// aligned by spaces (a helper's CDNOW file listed its four names as the one column and said
/// the first was not found). A title line or a file of one column shows nothing: said as before.
/// `header`: a CSV's; `set`: the delimiter set (`[input] delimiter`, a `.tsv`'s tab), not sniffed.
pub(crate) fn one_column(e: InputError, header: &[String], set: Option<u8>) -> InputError {
    let InputError::ColumnMissing { path, sheet, column, role, available, also } = e else { return e };
    // a header in another encoding than UTF-8 (a French Excel's `Référence` in Windows-1252)
    // read with the bytes UTF-8 cannot read replaced: the names cannot match, and the message
    // said only that the column was not found (helper-99)
    if header.iter().any(|name| name.contains('\u{fffd}')) {
        let available =
            format!("{available} (the header is not UTF-8 text, '\u{fffd}' where its bytes do not read: {ENCODINGS})");
        return InputError::ColumnMissing { path, sheet, column, role, available, also };
    }
    let [name] = header else {
        let available = match split_elsewhere(header, &column) {
            Some(d) => format!(
                "{} (split on another delimiter: on {} the header has '{column}'; set [input] delimiter = \"{}\")",
                header.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", "),
                printable_delimiter(d),
                (d as char).escape_default()
            ),
            None => available,
        };
        return InputError::ColumnMissing { path, sheet, column, role, available, also };
    };
    let inside = [b',', b';', b'\t', b'|'].into_iter().find(|&d| name.as_bytes().contains(&d));
    let why = match (inside, set) {
        (Some(d), Some(s)) if d != s => Some(format!(
            "no {} in it but {}: set [input] delimiter to the one the file has",
            printable_delimiter(s),
            printable_delimiter(d)
        )),
        (Some(d), _) => {
            Some(format!("its {} inside one quoted field: the header is quoted whole", printable_delimiter(d)))
        }
        (None, _) if name.trim().contains("  ") => Some(
            "no ',', ';', tab or '|' in it, its names aligned by spaces, which are not read: export the file delimited"
                .to_string(),
        ),
        (None, _) => None,
    };
    let available = match why {
        Some(why) => format!("'{available}' (the header reads as one column: {why})"),
        None => available,
    };
    InputError::ColumnMissing { path, sheet, column, role, available, also }
}

/// What to do of a CSV that is not UTF-8: the encodings Excel's "CSV" writes by its language.
pub(crate) const ENCODINGS: &str = "set [input] encoding to the file's: \"windows-1252\" for a Western European Excel's CSV (\"latin-1\" reads the same), \"windows-1250\" Central European, \"windows-1251\" Cyrillic, \"shift_jis\" Japanese, \"gbk\" Chinese, \"euc-kr\" Korean";

/// A delimiter as a message names it: `';'`, `tab`.
fn printable_delimiter(d: u8) -> String {
    match d {
        b'\t' => "tab".to_string(),
        d => format!("'{}'", d as char),
    }
}

/// The header name a mapped `column` reads: itself when the header has it, else the one name
/// with its [`column_key`]; `Err` with every such name when several have it.
pub(crate) fn find_column<'a>(names: &'a [String], column: &str) -> Result<Option<&'a String>, Vec<&'a String>> {
    if let Some(exact) = names.iter().find(|n| *n == column) {
        return Ok(Some(exact));
    }
    let key = column_key(column);
    let loose: Vec<&String> = names.iter().filter(|n| !key.is_empty() && column_key(n) == key).collect();
    match loose.len() {
        0 | 1 => Ok(loose.first().copied()),
        _ => Err(loose),
    }
}

/// Refuses two roles reading one column where that cannot be meant: the customer and the item
/// (customers bought themselves), and the quantity, the date or its time beside any other role
/// (a number or a date read from ids) but the date's invoice (receipts named by their time). A copied line left unchanged (`quantity = "CustomerID"`)
/// published every return as a purchase, exit 0 (helper-105). Others may share one: the item id
/// as its own description, an invoice or segment column that is also an id.
fn shared_column(c: &Columns, path: &Path) -> Result<(), InputError> {
    let roles = [
        ("customer", Some(&c.customer)),
        ("item", Some(&c.item)),
        ("quantity", c.quantity.as_ref()),
        ("description", c.description.as_ref()),
        ("invoice", c.invoice.as_ref()),
        ("date", c.date.as_ref()),
        ("time", c.time.as_ref()),
    ];
    let own = |role: &str| matches!(role, "quantity" | "date" | "time");
    // an invoice is read as text only: a till naming receipts by their time shares its date
    let apart = |a: &str, b: &str| match (a, b) {
        ("customer", "item") | ("item", "customer") => true,
        ("date", "time") | ("time", "date") => false,
        ("invoice", "date" | "time") | ("date" | "time", "invoice") => false,
        (a, b) => own(a) || own(b),
    };
    for (i, (a, column)) in roles.iter().enumerate() {
        let Some(column) = column else { continue };
        if let Some((b, _)) = roles[i + 1..].iter().find(|(b, other)| *other == Some(*column) && apart(a, b)) {
            return Err(InputError::SharedColumn {
                path: path.to_path_buf(),
                column: column.to_string(),
                roles: format!("[columns] {a} and [columns] {b}"),
            });
        }
    }
    Ok(())
}

/// The header a pipeline's columns are looked up in: its names, in the file at `path` (on
/// `sheet`), for the errors naming them.
struct HeaderOf<'a> {
    names: &'a [String],
    path: &'a Path,
    sheet: &'a Option<String>,
}

impl HeaderOf<'_> {
    /// The header's name for `column` ([`find_column`]), `None` when none matches; several
    /// with its key are refused, naming them and the key to set.
    fn find(&self, role: &str, column: &str) -> Result<Option<String>, InputError> {
        find_column(self.names, column)
            .map(|found| found.cloned())
            .map_err(|several| self.ambiguous(role, column, several))
    }

    fn ambiguous(&self, role: &str, column: &str, several: Vec<&String>) -> InputError {
        let key = match role {
            "segment" => "[recommend] fallback = \"popular_by:…\"".to_string(),
            "row_filter" => "the column's name in [clean] exclude_rows or keep_rows".to_string(),
            role => format!("[columns] {role} = \"…\""),
        };
        let several: Vec<String> = several.iter().map(|n| format!("'{n}'")).collect();
        let sheet = self.sheet.as_ref().map(|s| format!("sheet '{s}': ")).unwrap_or_default();
        let detail = format!(
            "{sheet}{} all match it with case, spaces and punctuation ignored; set {key} to one of them",
            several.join(", ")
        );
        InputError::ColumnAmbiguous { path: self.path.to_path_buf(), column: column.to_string(), detail }
    }

    /// Every mapped column the file lacks (`lacking`, in the roles' order, not empty): the
    /// first named in full, the others after it.
    fn missing(&self, lacking: Vec<(&'static str, String)>) -> InputError {
        let also = lacking[1..].iter().map(|(role, column)| format!("'{column}' ([columns] {role})")).collect();
        let (role, column) = &lacking[0];
        InputError::ColumnMissing {
            path: self.path.to_path_buf(),
            sheet: self.sheet.clone(),
            column: column.clone(),
            role,
            available: self.names.join(", "),
            also: Box::new(also),
        }
    }
}

/// Checks that every mapped column exists ([`find_column`]: exactly, else by its key) and
/// names it as the header does; unmaps optional defaults the file lacks. Called once per
/// read, as soon as the header is known (by the CSV reader, which builds only the roles'
/// columns, at its header).
fn resolve_columns(
    names: &[String],
    columns: &Columns,
    path: &Path,
    sheet: Option<String>,
) -> Result<(Columns, Vec<Unmapped>), InputError> {
    let header = HeaderOf { names, path, sheet: &sheet };
    let find = |role: &str, column: &str| header.find(role, column);
    // every mapped column the file lacks, in the roles' order: the first named in full, the
    // others after it
    let mut lacking: Vec<(&'static str, String)> = Vec::new();
    let mut resolved = columns.clone();
    for (role, slot) in [("customer", &mut resolved.customer), ("item", &mut resolved.item)] {
        match find(role, slot)? {
            Some(found) => *slot = found,
            None => lacking.push((role, slot.clone())),
        }
    }
    let mut unmapped = Vec::new();
    for (role, slot) in [
        ("quantity", &mut resolved.quantity),
        ("description", &mut resolved.description),
        ("invoice", &mut resolved.invoice),
        ("date", &mut resolved.date),
        ("time", &mut resolved.time),
    ] {
        if let Some(column) = slot.clone() {
            match find(role, &column)? {
                Some(found) => *slot = Some(found),
                None if columns.explicit.contains(&role) => lacking.push((role, column)),
                None => {
                    unmapped.push(Unmapped { role, column });
                    *slot = None;
                }
            }
        }
    }
    // a time of day is set on a date's day: without the date column it has none to be set on
    // (a date set to "" with a time is refused with the pipeline)
    if let (Some(_), None, Some(date)) = (&resolved.time, &resolved.date, &columns.date) {
        lacking.push(("date", date.clone()));
    }
    if !lacking.is_empty() {
        return Err(header.missing(lacking));
    }
    shared_column(&resolved, path)?;
    if let Some(column) = resolved.segment.as_mut() {
        *column = find("segment", column)?.ok_or_else(|| InputError::SegmentMissing {
            path: path.to_path_buf(),
            sheet: sheet.clone(),
            column: column.clone(),
            available: names.join(", "),
        })?;
    }
    for column in resolved.rows.iter_mut() {
        *column = find("row_filter", column)?.ok_or_else(|| InputError::RowColumnMissing {
            path: path.to_path_buf(),
            sheet: sheet.clone(),
            column: column.clone(),
            available: names.join(", "),
        })?;
    }
    Ok((resolved, unmapped))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_appended_to_modified_or_replaced_has_changed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let before = FileState::of(&path).unwrap();
        assert_eq!(before.change(FileState::of(&path).as_ref()), None);
        std::io::Write::write_all(&mut std::fs::OpenOptions::new().append(true).open(&path).unwrap(), b"3,4\n")
            .unwrap();
        assert_eq!(before.change(FileState::of(&path).as_ref()).as_deref(), Some("8 bytes, then 12"));
        let other = dir.path().join("y.csv");
        std::fs::write(&other, "a,b\n1,2\n").unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(before.change(FileState::of(&path).as_ref()).as_deref(), Some("it was replaced by another file"));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(before.change(FileState::of(&path).as_ref()).as_deref(), Some("it is gone"));
        // a named pipe is never opened: refused by its type
        let fifo = dir.path().join("pipe.csv");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let err = check_path(&fifo).unwrap_err().to_string();
        assert!(err.contains("is a named pipe (FIFO), not a regular file"), "{err}");
    }

    /// A reader's panic (a damaged file inside polars' or calamine's code) is an input error
    /// naming the file.
    #[test]
    fn a_readers_panic_is_an_error_naming_the_file() {
        let err = guarded(Path::new("cut.parquet"), || -> Result<()> { panic!("range end index 9 out of range") });
        let text = err.unwrap_err().to_string();
        assert!(
            text.starts_with("cannot read cut.parquet: its reader failed") && text.contains("range end index"),
            "{text}"
        );
    }

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
    fn blank_and_repeated_names_are_named_as_pandas_names_them() {
        let names = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<String>>();
        let customer = "CustomerID".to_string();
        let (header, note) =
            unique_header(names(&["CustomerID", "", "X", "X", " ", "X", "X.1"]), &[&customer]).unwrap();
        // the third X skips the name X.1 the file already has
        assert_eq!(header, ["CustomerID", "Unnamed: 1", "X", "X.2", "Unnamed: 4", "X.3", "X.1"]);
        let note = note.unwrap();
        assert!(
            note.contains("column 2 (no name) as 'Unnamed: 1'") && note.contains("column 4 ('X' again) as 'X.2'"),
            "{note}"
        );
        assert_eq!(unique_header(names(&["a", "b"]), &[]).unwrap(), (names(&["a", "b"]), None));
        assert_eq!(unique_header(names(&["CustomerID", "a", "CustomerID"]), &[&customer]), Err(customer.clone()));
        // a name made up never takes one the file has
        let (header, _) = unique_header(names(&["", "Unnamed: 0"]), &[]).unwrap();
        assert_eq!(header, ["Unnamed: 0_", "Unnamed: 0"]);
    }

    #[test]
    fn a_mapped_column_is_found_exactly_else_by_its_letters_and_digits() {
        let names: Vec<String> =
            ["Customer ID", "customerid", "Stock Code", "Qty", "Ünit-Preis"].map(String::from).into();
        // the exact name first, even when another header has its key too
        assert_eq!(find_column(&names, "customerid"), Ok(Some(&names[1])));
        // else the one header with its key (case, spaces, punctuation ignored; any script)
        assert_eq!(find_column(&names, "STOCKCODE"), Ok(Some(&names[2])));
        assert_eq!(find_column(&names, "stock_code"), Ok(Some(&names[2])));
        assert_eq!(find_column(&names, "ünit preis"), Ok(Some(&names[4])));
        assert_eq!(find_column(&names, "Quantity"), Ok(None));
        // several: refused, not guessed
        assert_eq!(find_column(&names, "CustomerID"), Err(vec![&names[0], &names[1]]));
        // a name of punctuation only matches itself alone
        assert_eq!(find_column(&["#".to_string()], "-"), Ok(None));
    }

    /// A row holding header names in the roles' columns, one moved, is the header in another
    /// order; the same names in place, or a data row, are not; names compare as columns are
    /// found (case, spaces and punctuation aside).
    #[test]
    fn a_row_of_the_header_moved_is_told_by_the_roles_columns() {
        let names: Vec<String> = ["InvoiceNo", "CustomerID", "StockCode", "Quantity", "Price"].map(String::from).into();
        let header = HeaderNames::new(&names);
        let roles = [1, 2, 3];
        let moved = |row: [&'static str; 5]| header.moved(&roles, move |k| row.get(k).copied());
        let cases: [([&str; 5], Option<&str>); 13] = [
            (["InvoiceNo", "CustomerID", "StockCode", "Quantity", "Price"], None),
            (
                ["InvoiceNo", "Quantity", "StockCode", "customer id", "Price"],
                Some("'Quantity' under 'CustomerID', 'customer id' under 'Quantity'"),
            ),
            (["InvoiceNo", "CustomerID", "StockCode", "Price", "Quantity"], Some("'Price' under 'Quantity'")),
            // a column no role reads moved: not the roles' concern
            (["Price", "CustomerID", "StockCode", "Quantity", "InvoiceNo"], None),
            // the customer's and item's places both taken by new names, theirs further on
            // (helper-104)
            (
                ["StoreNo", "Barcode", "CustomerID", "Quantity", "StockCode"],
                Some("'Barcode' under 'CustomerID', 'CustomerID' under 'StockCode'"),
            ),
            // a name the header does not have in a role's column (helper-103: a new `StoreNo`)
            (["InvoiceNo", "StoreNo", "StockCode", "Quantity", "CustomerID"], Some("'StoreNo' under 'CustomerID'")),
            // data, or a row naming one or two columns only
            (["536365", "17850", "85123A", "6", "2.55"], None),
            (["536365", "Quantity", "85123A", "6", "2.55"], None),
            (["536365", "Quantity", "Price", "6", "2.55"], None),
            // a column renamed in place is read by its place, rightly; renamed and moved, a new
            // name in its place, is not (helper-104: `Customer Number` further on)
            (["InvoiceNo", "CustomerID", "StockCode", "Qty", "Price"], None),
            (
                ["InvoiceNo", "StoreNo", "StockCode", "Quantity", "Customer Number"],
                Some("'StoreNo' under 'CustomerID'"),
            ),
            (["InvoiceNo", "Customer No", "StockCode", "Quantity", "Price"], None),
            (["InvoiceNo", "\"CustomerID\"", "StockCode", "\"Quantity\"", "Price"], None),
        ];
        for (row, said) in cases {
            assert_eq!(moved(row).as_deref(), said, "{row:?}");
        }
        // two names alike (helper-103): each in its own place
        let names: Vec<String> = ["Customer_ID", "CustomerID", "StockCode"].map(String::from).into();
        let row = ["Customer_ID", "CustomerID", "StockCode"];
        assert_eq!(HeaderNames::new(&names).moved(&[1, 2], |k| row.get(k).copied()), None);
        assert!(is_key("\"Customer ID\"", "customerid") && !is_key("Customer", "customerid"));
    }

    /// helper-135: a reader that could not spawn a thread under `prlimit --as` blamed the file.
    #[test]
    fn a_reader_refused_a_thread_or_memory_is_not_a_damaged_file() {
        let path = Path::new("shop.csv");
        let failed = |detail: &str| guarded(path, || -> Result<()> { panic!("{detail}") }).unwrap_err().to_string();
        let e = failed(
            "failed to spawn thread: Os { code: 11, kind: WouldBlock, message: \"Resource temporarily unavailable\" }",
        );
        assert!(e.contains("the system refused its reader a thread or memory") && !e.contains("damaged"), "{e}");
        let e = failed("index out of bounds: the len is 3 but the index is 7");
        assert!(e.contains("is it damaged or cut short"), "{e}");
    }
}
