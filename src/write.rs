//! Write: the long-format Parquet tables BI tools read, streamed in row groups.
//!
//! Takes the model's results and writes, into one folder (the run's staging folder; see
//! `publish`), `recommendations.parquet`, `neighbours.parquet`, `item_neighbours.parquet`,
//! `null_audit.parquet`, `items.parquet`, `purchases.parquet`, `selection.parquet` and
//! `drift.parquet`, each fsynced, each carrying the run's id, the schema version and kindred's
//! version in its key-value metadata ([`stamped_writer`]). The neighbour
//! table the model did not make (customers' for item models, items' for `"user"`) is written
//! empty with its full schema, so every published set has the same files. Tables are built and
//! written in batches of about a million rows, so a million customers' tables never sit whole
//! in memory.
//! The schema (README, "Output schema") is versioned by [`SCHEMA_VERSION`].

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use polars_parquet::write::KeyValue;
use rayon::prelude::*;
use serde::Serialize;

use crate::checksum::Hashing;
use crate::config::Compression;
use crate::drift::Drift;
use crate::error::{OutputError, Result};
use crate::pivot::Interactions;
use crate::recommend::Recommendations;
use crate::similarity::{Model, Neighbours};

/// Version of the output tables' schema; bumped on any column change (see CHANGELOG.md).
pub const SCHEMA_VERSION: u32 = 1;

/// Rows per row group (and per in-memory batch).
const BATCH_ROWS: usize = 1 << 20;

/// File names of the published tables.
pub mod file {
    pub const RECOMMENDATIONS: &str = "recommendations.parquet";
    pub const NEIGHBOURS: &str = "neighbours.parquet";
    pub const ITEM_NEIGHBOURS: &str = "item_neighbours.parquet";
    pub const NULL_AUDIT: &str = "null_audit.parquet";
    pub const ITEMS: &str = "items.parquet";
    pub const PURCHASES: &str = "purchases.parquet";
    pub const SELECTION: &str = "selection.parquet";
    pub const DRIFT: &str = "drift.parquet";
    /// The run's report for people (`report`), rendered last before the manifest.
    pub const REPORT: &str = "report.html";
    pub const MANIFEST: &str = "manifest.json";
    /// `kindred evaluate`'s table, beside the sets (not one of a set's files).
    pub const EVALUATION: &str = "evaluation.parquet";
    /// Every file of a published set, manifest last.
    pub const ALL: [&str; 10] = [
        RECOMMENDATIONS,
        NEIGHBOURS,
        ITEM_NEIGHBOURS,
        NULL_AUDIT,
        ITEMS,
        PURCHASES,
        SELECTION,
        DRIFT,
        REPORT,
        MANIFEST,
    ];
}

/// The key-value metadata keys every Parquet file of a published set (and a prepared run's own
/// files) carries besides `ARROW:schema`, so a file copied out of its folder still tells which
/// run made it ([`stamped_writer`]).
pub mod meta {
    /// The run that wrote the file (a sharded set's: the publish's run id, as its manifest's;
    /// a prepared run's files and the shards' parts: the prepared run's id).
    pub const RUN_ID: &str = "kindred.run_id";
    /// [`super::SCHEMA_VERSION`].
    pub const SCHEMA_VERSION: &str = "kindred.schema_version";
    /// The kindred version that wrote it (`CARGO_PKG_VERSION`).
    pub const VERSION: &str = "kindred.version";
    /// `kindred generate`'s export: the shape it was drawn with. What lets a later `generate`
    /// replace it (it replaces nothing it cannot prove it wrote).
    pub const GENERATED: &str = "kindred.generated";
}

/// Everything the write stage publishes.
pub struct Outputs<'a> {
    pub matrix: &'a Interactions,
    /// The model; its item neighbours are published when it compares items.
    pub model: &'a Model,
    /// The customers' neighbours (`similarity::customers`, whatever the model).
    pub customer_neighbours: &'a Neighbours,
    pub recommendations: &'a Recommendations,
    /// `null_audit.parquet` (`AuditReport::to_frame`).
    pub null_audit: &'a DataFrame,
    /// `selection.parquet`: the model selection's candidates (no rows when the model is named).
    pub selection: &'a DataFrame,
    /// `drift.parquet`: today's lists against the last published set's.
    pub drift: &'a Drift,
    /// The run publishing the set, written into every file's key-value metadata.
    pub run_id: &'a str,
}

/// One written file.
#[derive(Debug, Clone, Serialize)]
pub struct FileReport {
    pub file: String,
    pub rows: usize,
    pub bytes: u64,
    /// The SHA-256 of its bytes as they were written, lowercase hex (as `input.sha256`): what
    /// `kindred status --verify` compares the file with, for a file changed in place keeps its
    /// size and often its footer.
    pub sha256: String,
}

/// What the write stage did.
#[derive(Debug, Clone, Serialize)]
pub struct WriteReport {
    pub rows_in: usize,
    pub rows_out: usize,
    pub files: Vec<FileReport>,
    pub seconds: f64,
}

/// Writes every table of `out` into `dir`.
pub fn run(dir: &Path, out: &Outputs, compression: Compression) -> Result<WriteReport> {
    let start = Instant::now();
    let m = out.matrix;
    let n = m.n_customers();
    // Item neighbours come from a model that compares items; otherwise the table is written
    // empty, with its columns.
    let empty_items = Neighbours::empty(m.n_items());
    let item_nb = match out.model.kind().compares_items() {
        true => out.model.neighbours(),
        false => &empty_items,
    };
    let customer_nb = out.customer_neighbours;
    let texts = &ItemTexts::of(m);
    let how = (compression, out.run_id);
    // The eight tables are independent: written side by side.
    type Job<'j> = Box<dyn Fn() -> Result<FileReport> + Send + Sync + 'j>;
    let jobs: Vec<Job> = vec![
        Box::new(|| {
            write_table(
                &dir.join(file::RECOMMENDATIONS),
                how,
                customer_batches(n, |c| out.recommendations.of(c).len()),
                |range| recommendations_frame(m, texts, out.recommendations, range),
            )
        }),
        Box::new(|| {
            let rows = |c| customer_nb.of(c).0.len();
            write_table(&dir.join(file::NEIGHBOURS), how, customer_batches(n, rows), |range| {
                neighbours_frame(m, customer_nb, range)
            })
        }),
        Box::new(|| {
            let rows = |i| item_nb.of(i).0.len();
            write_table(&dir.join(file::ITEM_NEIGHBOURS), how, customer_batches(m.n_items(), rows), |range| {
                item_neighbours_frame(texts, item_nb, range)
            })
        }),
        Box::new(|| {
            write_table(&dir.join(file::PURCHASES), how, customer_batches(n, |c| m.row(c).len()), |range| {
                purchases_frame(m, texts, range)
            })
        }),
        Box::new(|| write_table(&dir.join(file::ITEMS), how, [()], |()| items_frame(m))),
        Box::new(|| write_table(&dir.join(file::NULL_AUDIT), how, [()], |()| Ok(out.null_audit.clone()))),
        Box::new(|| write_table(&dir.join(file::SELECTION), how, [()], |()| Ok(out.selection.clone()))),
        Box::new(|| {
            let d = out.drift;
            write_table(&dir.join(file::DRIFT), how, customer_batches(d.len(), |_| 1), |range| {
                d.frame(&m.customers, range)
            })
        }),
    ];
    let files = jobs.par_iter().map(|job| job()).collect::<Result<Vec<FileReport>>>()?;
    Ok(WriteReport {
        rows_in: n,
        rows_out: files.iter().map(|f| f.rows).sum(),
        files,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Splits customers (or items) into consecutive ranges of about [`BATCH_ROWS`] output rows.
fn customer_batches(n: usize, rows_of: impl Fn(usize) -> usize) -> Vec<std::ops::Range<usize>> {
    let mut batches = Vec::new();
    let (mut start, mut rows) = (0, 0);
    for c in 0..n {
        rows += rows_of(c);
        if rows >= BATCH_ROWS {
            batches.push(start..c + 1);
            (start, rows) = (c + 1, 0);
        }
    }
    if start < n || batches.is_empty() {
        batches.push(start..n);
    }
    batches
}

pub(crate) fn parquet_compression(c: Compression) -> ParquetCompression {
    match c {
        Compression::Snappy => ParquetCompression::Snappy,
        Compression::Zstd => ParquetCompression::Zstd(None),
        Compression::Uncompressed => ParquetCompression::Uncompressed,
    }
}

/// polars' Parquet writer over `w` for frames of `schema`: how every Parquet file kindred writes
/// (these tables, `evaluation.parquet`, `kindred generate`'s export) is made.
///
/// The footer's Arrow schema (the `ARROW:schema` key, where pyarrow, pandas and polars take the
/// column types from) names strings plain `utf8` and binaries `binary`, never polars'
/// in-memory `string_view`/`binary_view`: pyarrow 14 cannot open those ("Unrecognized type:
/// 24") and newer pyarrow cannot join on them (issue 14, case 12). polars 0.55's eager
/// `ParquetWriter` always embeds `CompatLevel::newest()` (views) and has no option for it (the
/// `compat_level` of `ParquetWriteOptions` only reaches the lazy sink), but a caller's own
/// `ARROW:schema` key-value takes the place of its one (`BatchedWriter::finish`). The Parquet
/// columns themselves are the same for every string type (BYTE_ARRAY, UTF8, dictionary
/// encoded), so only the footer differs. `utf8` rather than `CompatLevel::oldest()`'s
/// `large_utf8`: it is what pyarrow and pandas write themselves, so analysts' own tables join
/// with ours without a cast.
pub fn parquet_writer<W: Write>(w: W, schema: &Schema) -> ParquetWriter<W> {
    writer_with(w, schema, Vec::new())
}

/// [`parquet_writer`] whose footer also carries the run's id, the schema version and kindred's
/// version ([`meta`]): every table of a published set and a prepared run's files are written
/// by it. Read them with `pyarrow.parquet.read_metadata(path).metadata` or
/// `SELECT * FROM parquet_kv_metadata('file.parquet')` in DuckDB.
pub fn stamped_writer<W: Write>(w: W, schema: &Schema, run_id: &str) -> ParquetWriter<W> {
    writer_with(w, schema, stamp(Some(run_id)))
}

/// [`stamped_writer`] for a file no run made (`evaluation.parquet`): the schema version and
/// kindred's version, no run id.
pub fn versioned_writer<W: Write>(w: W, schema: &Schema) -> ParquetWriter<W> {
    writer_with(w, schema, stamp(None))
}

/// The footer's keys of a table kindred writes: the run's id (when a run made it), the schema
/// version and kindred's version.
fn stamp(run_id: Option<&str>) -> Vec<KeyValue> {
    let kv = |key: &str, value: String| KeyValue { key: key.to_string(), value: Some(value) };
    let run = run_id.map(|id| kv(meta::RUN_ID, id.to_string()));
    let versions = [
        kv(meta::SCHEMA_VERSION, SCHEMA_VERSION.to_string()),
        kv(meta::VERSION, env!("CARGO_PKG_VERSION").to_string()),
    ];
    run.into_iter().chain(versions).collect()
}

/// [`parquet_writer`] whose footer also carries `key` = `value` (a [`meta`] key).
pub fn marked_writer<W: Write>(w: W, schema: &Schema, key: &str, value: String) -> ParquetWriter<W> {
    writer_with(w, schema, vec![KeyValue { key: key.to_string(), value: Some(value) }])
}

/// The run id a Parquet file's footer names ([`meta::RUN_ID`], as [`stamped_writer`] writes
/// it); `None` for a file that is missing, cut short, not Parquet, or not stamped.
pub fn stamped_run_id(path: &Path) -> Option<String> {
    footer_value(path, meta::RUN_ID)
}

/// The run id a Parquet file's footer names, `None` when it names none; an error, in words,
/// when the file cannot be opened or its footer is not a Parquet footer.
pub fn footer_run_id(path: &Path) -> std::result::Result<Option<String>, String> {
    Ok(footer(path)?.into_iter().find(|kv| kv.key == meta::RUN_ID).and_then(|kv| kv.value))
}

/// The value of `key` in a Parquet file's footer; `None` for a file that is missing, cut
/// short, not Parquet, or without the key.
pub fn footer_value(path: &Path, key: &str) -> Option<String> {
    footer(path).ok()?.into_iter().find(|kv| kv.key == key)?.value
}

/// A Parquet file's footer's key-value metadata; an error, in words, when the file cannot be
/// opened or its footer is not a Parquet footer.
fn footer(path: &Path) -> std::result::Result<Vec<KeyValue>, String> {
    let mut reader = ParquetReader::new(File::open(path).map_err(|e| e.to_string())?);
    let metadata = reader.get_metadata().map_err(|e| e.to_string())?;
    Ok(metadata.key_value_metadata.clone().unwrap_or_default())
}

fn writer_with<W: Write>(w: W, schema: &Schema, mut extra: Vec<KeyValue>) -> ParquetWriter<W> {
    let mut arrow = schema.to_arrow(CompatLevel::oldest());
    for field in arrow.iter_values_mut() {
        field.dtype = match &field.dtype {
            ArrowDataType::LargeUtf8 | ArrowDataType::Utf8View => ArrowDataType::Utf8,
            ArrowDataType::LargeBinary | ArrowDataType::BinaryView => ArrowDataType::Binary,
            other => other.clone(),
        };
    }
    let mut keys = vec![arrow_schema_key(&arrow, &extra)];
    keys.append(&mut extra);
    ParquetWriter::new(w).with_key_value_metadata(Some(KeyValueMetadata::Static(keys)))
}

/// The footer's `ARROW:schema` key for `arrow`, its schema metadata holding the footer's own
/// keys (`extra`): pyarrow's `read_table(f).schema.metadata` (and so a pandas or Arrow user's
/// first look) takes the embedded schema's metadata, not the footer's, and was `None`.
/// `polars_parquet::write::schema_to_metadata_key` is this with no metadata (and a conversion
/// of nested fields, which no table of ours has): the same framing, as Arrow's legacy IPC
/// stream writes a schema message (a continuation marker, its length, the message).
fn arrow_schema_key(arrow: &ArrowSchema, extra: &[KeyValue]) -> KeyValue {
    use base64::Engine as _;
    use polars_arrow::io::ipc::write::{default_ipc_fields, schema_to_bytes};
    let metadata: polars_arrow::datatypes::Metadata =
        extra.iter().filter_map(|kv| Some((kv.key.as_str().into(), kv.value.as_deref()?.into()))).collect();
    let message = schema_to_bytes(arrow, &default_ipc_fields(arrow.iter_values()), Some(&metadata));
    let mut framed = Vec::with_capacity(message.len() + 8);
    framed.extend_from_slice(&[255; 4]);
    framed.extend_from_slice(&(message.len() as u32).to_le_bytes());
    framed.extend_from_slice(&message);
    let value = base64::engine::general_purpose::STANDARD.encode(framed);
    KeyValue { key: "ARROW:schema".to_string(), value: Some(value) }
}

/// The hidden file [`replace_file`] writes `name` through: `.NAME.<pid>.part`.
fn temp_name(name: &str, pid: u32) -> String {
    format!(".{name}.{pid}.part")
}

/// `name` is one of `names`, or the [`temp_name`] a killed write of one leaves.
pub(crate) fn is_written_as(name: &str, names: &[&str]) -> bool {
    let temp = name.strip_prefix('.').and_then(|n| n.strip_suffix(".part")).and_then(|n| n.rsplit_once('.'));
    let temp_of =
        temp.is_some_and(|(n, pid)| names.contains(&n) && !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
    names.contains(&name) || temp_of
}

/// Writes `path` whole or not at all: `fill` writes a new hidden file beside it,
/// `.NAME.<pid>.part` (created new, so never an existing file or a link followed), which is then
/// fsynced and renamed over `path`, and the folder fsynced so the rename survives a power cut
/// (without it, `evaluate`'s exit 0 could come back as the old file beside a `.part` no command
/// removes: helper-115). On any error, or a signal ending the process
/// ([`crate::progress::remove_on_signal`]), the hidden file is removed and `path` is left as it
/// was. I/O errors name `path`, the file the user asked for.
pub fn replace_file<T>(path: &Path, fill: impl FnOnce(&File) -> Result<T>) -> Result<T> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(temp_name(&name, std::process::id()));
    let io = |source| OutputError::Io { path: path.to_path_buf(), source };
    let file = File::options().write(true).create_new(true).open(&tmp).map_err(io)?;
    let _removed_on_signal = crate::progress::remove_on_signal(&tmp);
    let written = fill(&file)
        .and_then(|value| file.sync_all().map(|_| value).map_err(|e| io(e).into()))
        .and_then(|value| std::fs::rename(&tmp, path).map(|_| value).map_err(|e| io(e).into()));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp); // ours: created new above
    }
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    written.and_then(|value| crate::publish::sync_dir(folder).map(|_| value))
}

/// Runs `write` (a Parquet writer's work) on `out`, the file at `path`, and reports its failure
/// as the I/O error `out` returned, when one did: polars wraps it as "File out of
/// specification: underlying IO error: …", which reads as a malformed file where the disk is
/// full. Other failures are reported as polars says them.
pub(crate) fn keeping_io_errors<W: Write, T>(
    path: &Path,
    out: W,
    write: impl FnOnce(&mut KeepIoError<W>) -> PolarsResult<T>,
) -> Result<T> {
    let mut out = KeepIoError { inner: out, error: None };
    write(&mut out).map_err(|e| match out.error.take() {
        Some(source) => OutputError::Io { path: path.to_path_buf(), source }.into(),
        None => OutputError::Parquet { path: path.to_path_buf(), detail: e.to_string() }.into(),
    })
}

/// A writer that keeps the first I/O error of the writer it wraps ([`keeping_io_errors`]).
pub(crate) struct KeepIoError<W> {
    inner: W,
    error: Option<std::io::Error>,
}

impl<W: Write> KeepIoError<W> {
    /// `inner`, its first I/O error kept.
    pub(crate) fn new(inner: W) -> Self {
        KeepIoError { inner, error: None }
    }

    /// The first I/O error `inner` returned, as the error of writing `path`.
    pub(crate) fn io_error(&mut self, path: &Path) -> Option<crate::error::Error> {
        self.error.take().map(|source| OutputError::Io { path: path.to_path_buf(), source }.into())
    }

    fn keep<T>(&mut self, done: std::io::Result<T>) -> std::io::Result<T> {
        if let (Err(e), None) = (&done, &self.error) {
            let copy = e.raw_os_error().map(std::io::Error::from_raw_os_error);
            self.error = Some(copy.unwrap_or_else(|| std::io::Error::new(e.kind(), e.to_string())));
        }
        done
    }
}

impl<W: Write> Write for KeepIoError<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let done = self.inner.write(buf);
        self.keep(done)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        let done = self.inner.flush();
        self.keep(done)
    }
}

/// Writes the frames that `build` makes for each batch into one Parquet file, then fsyncs it.
fn write_table<B>(
    path: &Path,
    (compression, run_id): (Compression, &str),
    batches: impl IntoIterator<Item = B>,
    mut build: impl FnMut(B) -> PolarsResult<DataFrame>,
) -> Result<FileReport> {
    let io_err = |source: std::io::Error| OutputError::Io { path: path.to_path_buf(), source };
    let mut f = File::create(path).map_err(io_err)?;
    let mut hashed = Hashing::new(&mut f);
    let rows = keeping_io_errors(path, &mut hashed, |f| {
        let (mut writer, mut rows) = (None, 0);
        for batch in batches {
            let frame = build(batch)?;
            rows += frame.height();
            if writer.is_none() {
                writer = Some(
                    stamped_writer(&mut *f, frame.schema(), run_id)
                        .with_compression(parquet_compression(compression))
                        .with_row_group_size(Some(BATCH_ROWS))
                        .batched(frame.schema())?,
                );
            }
            if let Some(w) = writer.as_mut() {
                w.write_batch(&frame)?;
            }
        }
        writer.map_or(Ok(0), |w| w.finish()).map(|_| rows)
    })?;
    let sha256 = hashed.hex();
    f.sync_all().map_err(io_err)?;
    let bytes = f.metadata().map_err(io_err)?.len();
    Ok(FileReport { file: file_name(path), rows, bytes, sha256 })
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()
}

/// Repeats each customer index once per row it owns.
fn owners(offsets: &[usize], range: std::ops::Range<usize>) -> impl Iterator<Item = u32> + '_ {
    range.flat_map(move |c| std::iter::repeat_n(c as u32, offsets[c + 1] - offsets[c]))
}

/// 1-based rank within each customer.
fn ranks(offsets: &[usize], range: std::ops::Range<usize>) -> Vec<i32> {
    range.flat_map(|c| 1..=(offsets[c + 1] - offsets[c]) as i32).collect()
}

/// Each item's id and description once, as polars text: a table's rows are views of them
/// (`take` shares their buffers), not copies. A row's own copy held a 10 KB description
/// recommended to 20,000 customers 2.0 GB while the table was written.
struct ItemTexts {
    ids: StringChunked,
    descriptions: StringChunked,
}

impl ItemTexts {
    fn of(m: &Interactions) -> ItemTexts {
        let ids: StringChunked = m.items.iter().map(|i| Some(i.as_str())).collect();
        let descriptions: StringChunked = m.descriptions.iter().map(|d| d.as_deref()).collect();
        ItemTexts { ids, descriptions }
    }

    fn ids(&self, name: &str, items: impl Iterator<Item = u32>) -> PolarsResult<Column> {
        gather(&self.ids, name, items)
    }

    fn descriptions(&self, name: &str, items: impl Iterator<Item = u32>) -> PolarsResult<Column> {
        gather(&self.descriptions, name, items)
    }
}

fn gather(texts: &StringChunked, name: &str, at: impl Iterator<Item = u32>) -> PolarsResult<Column> {
    let at = IdxCa::from_vec(PlSmallStr::EMPTY, at.map(|i| i as IdxSize).collect());
    Ok(texts.take(&at)?.with_name(name.into()).into_column())
}

fn recommendations_frame(
    m: &Interactions,
    texts: &ItemTexts,
    recs: &Recommendations,
    range: std::ops::Range<usize>,
) -> PolarsResult<DataFrame> {
    let rows = &recs.rows[recs.offsets[range.start]..recs.offsets[range.end]];
    let source: StringChunked = rows.iter().map(|r| Some(r.source.as_str())).collect();
    DataFrame::new(
        rows.len(),
        vec![
            m.customers.column("customer_id", owners(&recs.offsets, range.clone())),
            Column::new("rank".into(), ranks(&recs.offsets, range)),
            texts.ids("item_id", rows.iter().map(|r| r.item))?,
            texts.descriptions("description", rows.iter().map(|r| r.item))?,
            Column::new("score".into(), rows.iter().map(|r| r.score).collect::<Vec<Option<f64>>>()),
            source.with_name("source".into()).into_column(),
            Column::new("supporters".into(), rows.iter().map(|r| r.supporters as i32).collect::<Vec<i32>>()),
        ],
    )
}

fn neighbours_frame(m: &Interactions, nb: &Neighbours, range: std::ops::Range<usize>) -> PolarsResult<DataFrame> {
    let span = nb.offsets[range.start]..nb.offsets[range.end];
    DataFrame::new(
        span.len(),
        vec![
            m.customers.column("customer_id", owners(&nb.offsets, range.clone())),
            Column::new("rank".into(), ranks(&nb.offsets, range)),
            m.customers.column("neighbour_id", nb.ids[span.clone()].iter().copied()),
            Column::new("similarity".into(), &nb.similarity[span.clone()]),
            Column::new("shared_items".into(), nb.shared[span].iter().map(|&s| s as i32).collect::<Vec<i32>>()),
        ],
    )
}

fn item_neighbours_frame(texts: &ItemTexts, nb: &Neighbours, range: std::ops::Range<usize>) -> PolarsResult<DataFrame> {
    let span = nb.offsets[range.start]..nb.offsets[range.end];
    DataFrame::new(
        span.len(),
        vec![
            texts.ids("item_id", owners(&nb.offsets, range.clone()))?,
            Column::new("rank".into(), ranks(&nb.offsets, range)),
            texts.ids("neighbour_item_id", nb.ids[span.clone()].iter().copied())?,
            Column::new("similarity".into(), &nb.similarity[span.clone()]),
            Column::new("shared_customers".into(), nb.shared[span].iter().map(|&s| s as i32).collect::<Vec<i32>>()),
        ],
    )
}

fn purchases_frame(m: &Interactions, texts: &ItemTexts, range: std::ops::Range<usize>) -> PolarsResult<DataFrame> {
    let span = m.indptr[range.start]..m.indptr[range.end];
    DataFrame::new(
        span.len(),
        vec![
            m.customers.column("customer_id", owners(&m.indptr, range)),
            texts.ids("item_id", m.indices[span.clone()].iter().copied())?,
            Column::new("quantity".into(), &m.quantity[span]),
        ],
    )
}

fn items_frame(m: &Interactions) -> PolarsResult<DataFrame> {
    let buyers: Vec<i32> = m.buyers().iter().map(|&b| b as i32).collect();
    let popularity = m.popularity_order();
    let mut rank = vec![0i32; m.n_items()];
    for (r, &i) in popularity.iter().enumerate() {
        rank[i as usize] = r as i32 + 1;
    }
    DataFrame::new(
        m.n_items(),
        vec![
            Column::new("item_id".into(), &m.items),
            Column::new("description".into(), &m.descriptions),
            Column::new("buyers".into(), buyers),
            Column::new("popularity_rank".into(), rank),
        ],
    )
}

/// Re-opens every written table and checks that its footer reads back with the rows written:
/// a set is switched in only after this passes (a full disk or a torn write fails here).
pub fn validate(dir: &Path, report: &WriteReport) -> Result<()> {
    for f in &report.files {
        let path = dir.join(&f.file);
        let bad = |detail: String| OutputError::Read { path: path.clone(), detail };
        let file = File::open(&path).map_err(|e| bad(e.to_string()))?;
        let rows = ParquetReader::new(file).num_rows().map_err(|e| bad(e.to_string()))?;
        if rows != f.rows {
            return Err(bad(format!("{rows} rows read back, {} written", f.rows)).into());
        }
    }
    Ok(())
}

/// Reads a published Parquet table (for `explain` and the gates' previous-run check).
pub fn read_table(path: &Path) -> Result<DataFrame> {
    let f = File::open(path).map_err(|e| OutputError::Read { path: PathBuf::from(path), detail: e.to_string() })?;
    // a file whose size and footer are whole but whose data does not decode was said in the
    // codec's words alone ("snappy: corrupt input", helper-139)
    let undecoded = |e: PolarsError| OutputError::Read {
        path: PathBuf::from(path),
        detail: format!(
            "{e}: its data does not decode (changed or damaged in place? `kindred status --verify` checks every file \
             against the sha256 its manifest records; a run publishes a whole set)"
        ),
    };
    Ok(ParquetReader::new(f).finish().map_err(undecoded)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `replace_file` leaves when killed is recognised as its, and nothing else is.
    #[test]
    fn a_killed_writes_temp_name_is_recognised_and_only_it() {
        assert!(is_written_as(&temp_name(file::ITEMS, 4242), &file::ALL));
        assert!(is_written_as(file::ITEMS, &file::ALL));
        assert!(!is_written_as(".items.parquet..part", &file::ALL));
        assert!(!is_written_as(&temp_name("notes.txt", 4242), &file::ALL));
        assert!(!is_written_as("items.parquet.bak", &file::ALL));
    }

    #[test]
    fn validate_catches_short_and_torn_tables() {
        let dir = tempfile::tempdir().unwrap();
        let report = write_table(&dir.path().join("t.parquet"), (Compression::Snappy, "r"), [()], |()| {
            DataFrame::new(3, vec![Column::new("x".into(), [1i64, 2, 3])])
        })
        .unwrap();
        let mut set = WriteReport { rows_in: 3, rows_out: 3, files: vec![report], seconds: 0.0 };
        validate(dir.path(), &set).unwrap();
        set.files[0].rows = 4;
        assert!(validate(dir.path(), &set).unwrap_err().to_string().contains("3 rows read back, 4 written"));
        set.files[0].rows = 3;
        let path = dir.path().join("t.parquet");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        assert!(validate(dir.path(), &set).is_err(), "a torn file must not validate");
    }

    /// Each table records the SHA-256 of its bytes, taken as they are written (`status
    /// --verify` compares the file with it): that of the file on disk, over several row groups.
    #[test]
    fn a_tables_sha256_is_that_of_the_file_written() {
        use sha2::{Digest, Sha256};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        let report = write_table(&path, (Compression::Zstd, "r"), [0..3, 3..5, 5..9], |range| {
            DataFrame::new(range.len(), vec![Column::new("x".into(), range.map(|x| x as i64).collect::<Vec<_>>())])
        })
        .unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!((report.rows, report.bytes), (9, written.len() as u64));
        assert_eq!(report.sha256, format!("{:x}", Sha256::digest(&written)));
        assert_eq!(report.sha256.len(), 64);
    }

    /// A table's item texts are views of each item's one copy: a row's own copy held a 10 KB
    /// description recommended 200,000 times 2.0 GB while the table was written.
    #[test]
    fn recommended_descriptions_are_held_once_per_item() {
        use crate::recommend::{Rec, Source};
        let long = "a long description ".repeat(50);
        let rows: Vec<(String, String)> = (0..200).map(|c| (format!("c{c}"), format!("i{}", c % 2))).collect();
        let m =
            Interactions::from_triples(rows.iter().map(|(c, i)| (c.as_str(), i.as_str(), 1.0, Some(long.as_str()))));
        let rec = |item| Rec { item, score: Some(1.0), supporters: 1, source: Source::Neighbours };
        let recs =
            Recommendations { offsets: (0..=200).collect(), rows: (0..200u32).map(|c| rec(1 - c % 2)).collect() };
        let frame = recommendations_frame(&m, &ItemTexts::of(&m), &recs, 0..200).unwrap();
        let description = frame.column("description").unwrap().str().unwrap().clone();
        assert!(description.iter().all(|d| d == Some(long.as_str())));
        let item = frame.column("item_id").unwrap().str().unwrap().clone();
        assert_eq!(item.get(0), Some(m.items[1].as_str()));
        let held: usize = description.downcast_iter().map(|a| a.total_buffer_len()).sum();
        assert!(held <= 2 * long.len(), "{held} bytes held for 2 items' descriptions");
    }

    #[test]
    fn batches_split_at_about_a_million_rows() {
        let batches = customer_batches(5, |_| BATCH_ROWS / 2);
        assert_eq!(batches, [0..2, 2..4, 4..5]);
        let empty = customer_batches(0, |_| 0);
        assert!(empty.len() == 1 && empty[0].is_empty(), "no customers: one empty batch (a valid empty table)");
    }
}
