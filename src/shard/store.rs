//! The prepared folder's files: the purchase matrix, the item-side model and the shards' parts,
//! each a Parquet file recorded with its rows and SHA-256, and checked against the record
//! whenever it is read back (a file changed, truncated or half-written is refused, never used).
//!
//! Values round-trip exactly (f64 as written, ids and dates as integers), so a shard computes
//! from the very matrix `kindred run` would.

use std::fs::File;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, ShardError};
use crate::pivot::{CustomerIds, Dates, Interactions, Segments};
use crate::publish::io;
use crate::recommend::{Rec, Recommendations, Source};
use crate::similarity::ease::Ease;
use crate::similarity::sparse_ease::SparseEase;
use crate::similarity::weighted::Rows;
use crate::similarity::{Model, Neighbours};

/// One written file: its name in its folder, rows and checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    pub file: String,
    pub rows: usize,
    pub bytes: u64,
    pub sha256: String,
}

/// Every file a prepared folder holds at its top: what cleanup may delete with it (a folder
/// holding anything else was added to by a person, and is kept).
pub const PREPARED: [&str; 15] = [
    super::PLAN,
    "pairs.parquet",
    "customers.parquet",
    "items.parquet",
    "item_dates.parquet",
    "customer_dates.parquet",
    "customer_segments.parquet",
    "segment_names.parquet",
    "model_neighbours.parquet",
    "model_weights.parquet",
    "model_norm2.parquet",
    "model_text.parquet",
    "model_text_norm2.parquet",
    super::NULL_AUDIT,
    super::SELECTION,
];

/// Writes `df` as `dir/name` (fsynced) and records it; its footer names the prepared run
/// `run_id` ([`crate::write::stamped_writer`]).
pub fn put(dir: &Path, name: &str, mut df: DataFrame, run_id: &str) -> Result<FileEntry> {
    debug_assert!(
        PREPARED.contains(&name) || dir.ends_with(super::PARTS),
        "{name} is not in store::PREPARED: a prepared folder holding it would never be cleaned up"
    );
    let path = dir.join(name);
    let mut bytes = Vec::new();
    crate::write::stamped_writer(&mut bytes, df.schema(), run_id)
        .with_compression(ParquetCompression::Snappy)
        .finish(&mut df)
        .map_err(Error::frame("prepared files"))?;
    let mut f = File::create(&path).map_err(io(&path))?;
    if let Err(e) = f.write_all(&bytes).and_then(|_| f.sync_all()) {
        // a part's or prepared file's name is new to this attempt: a truncated one is ours
        let _ = std::fs::remove_file(&path);
        return Err(io(&path)(e).into());
    }
    Ok(FileEntry {
        file: name.to_string(),
        rows: df.height(),
        bytes: bytes.len() as u64,
        sha256: crate::checksum::of_bytes(&bytes),
    })
}

/// A file read back and checked against its record, its columns decoded one at a time (a
/// column's values are copied out while the others stay compressed: the matrix is never held
/// twice).
pub struct Stored {
    path: PathBuf,
    bytes: Cursor<Vec<u8>>,
    rows: usize,
}

impl Stored {
    fn damaged(&self, detail: String) -> Error {
        ShardError::Damaged { path: self.path.clone(), detail }.into()
    }

    /// The columns `names` (all when `None`).
    fn frame(&mut self, names: Option<Vec<String>>) -> Result<DataFrame> {
        self.bytes.set_position(0);
        let df = ParquetReader::new(&mut self.bytes).with_columns(names).finish();
        let df = df.map_err(|e| self.damaged(e.to_string()))?;
        match df.height() == self.rows || df.width() == 0 {
            true => Ok(df),
            false => Err(self.damaged(format!("{} rows where {} were written", df.height(), self.rows))),
        }
    }

    /// The column `name` alone.
    fn column(&mut self, name: &str) -> Result<DataFrame> {
        self.frame(Some(vec![name.to_string()]))
    }
}

/// Opens the file `entry` records in `dir`, refusing one whose size or checksum differ.
pub fn open(dir: &Path, entry: &FileEntry) -> Result<Stored> {
    let path = dir.join(&entry.file);
    let damaged = |detail: String| Error::from(ShardError::Damaged { path: path.clone(), detail });
    let bytes = std::fs::read(&path).map_err(|e| damaged(format!("cannot read it ({e})")))?;
    if bytes.len() as u64 != entry.bytes {
        return Err(damaged(format!("{} bytes where {} were written", bytes.len(), entry.bytes)));
    }
    if crate::checksum::of_bytes(&bytes) != entry.sha256 {
        return Err(damaged("its SHA-256 is not the one recorded when it was written".into()));
    }
    Ok(Stored { path, bytes: Cursor::new(bytes), rows: entry.rows })
}

/// The whole file `entry` records, checked as [`open`] does.
pub fn get(dir: &Path, entry: &FileEntry) -> Result<DataFrame> {
    open(dir, entry)?.frame(None)
}

/// The entry named `name` of `files`.
pub fn entry<'a>(files: &'a [FileEntry], name: &str, dir: &Path) -> Result<&'a FileEntry> {
    files.iter().find(|f| f.file == name).ok_or_else(|| {
        ShardError::Damaged { path: dir.join(name), detail: "the plan records no such file".into() }.into()
    })
}

/// A column's values as a vector of `T` (exact types: what [`put`] wrote).
fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Series> {
    df.column(name).map(|c| c.as_materialized_series()).map_err(Error::frame("prepared files"))
}

fn u32s(df: &DataFrame, name: &str) -> Result<Vec<u32>> {
    Ok(column(df, name)?.u32().map_err(Error::frame(name))?.into_no_null_iter().collect())
}

fn i64s(df: &DataFrame, name: &str) -> Result<Vec<i64>> {
    Ok(column(df, name)?.i64().map_err(Error::frame(name))?.into_no_null_iter().collect())
}

fn f64s(df: &DataFrame, name: &str) -> Result<Vec<f64>> {
    Ok(column(df, name)?.f64().map_err(Error::frame(name))?.into_no_null_iter().collect())
}

fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    Ok(column(df, name)?.str().map_err(Error::frame(name))?.iter().map(|s| s.map(str::to_string)).collect())
}

fn frame(columns: Vec<Column>) -> Result<DataFrame> {
    DataFrame::new_infer_height(columns).map_err(Error::frame("prepared files"))
}

/// Offsets of `rows` rows from each entry's row number (ascending).
fn offsets(row_of: &[u32], rows: usize) -> Vec<usize> {
    let mut offsets = vec![0usize; rows + 1];
    for &r in row_of {
        offsets[r as usize + 1] += 1;
    }
    for r in 0..rows {
        offsets[r + 1] += offsets[r];
    }
    offsets
}

/// Each entry's row number, from offsets.
fn row_of(offsets: &[usize]) -> Vec<u32> {
    let mut rows = Vec::with_capacity(offsets.last().copied().unwrap_or(0));
    for r in 0..offsets.len().saturating_sub(1) {
        rows.extend(std::iter::repeat_n(r as u32, offsets[r + 1] - offsets[r]));
    }
    rows
}

/// The matrix as Parquet: `pairs.parquet` (customer and item positions, quantity, last
/// purchase), `customers.parquet` (the ids, in position order), `items.parquet` (ids and
/// descriptions), and with dates `item_dates.parquet` and `customer_dates.parquet`.
pub fn save_matrix(dir: &Path, m: &Interactions, run_id: &str) -> Result<Vec<FileEntry>> {
    let pairs = frame(vec![
        Column::new("customer".into(), row_of(&m.indptr)),
        Column::new("item".into(), m.indices.clone()),
        Column::new("quantity".into(), m.quantity.clone()),
        Column::new("last".into(), m.last.clone()),
    ])?;
    let customers = frame(vec![m.customers.column("customer_id", 0..m.n_customers() as u32)])?;
    let items = frame(vec![
        Column::new("item".into(), m.items.clone()),
        Column::new("description".into(), m.descriptions.clone()),
    ])?;
    let mut files = vec![put(dir, "pairs.parquet", pairs, run_id)?, put(dir, "customers.parquet", customers, run_id)?];
    files.push(put(dir, "items.parquet", items, run_id)?);
    if !m.dates.offsets.is_empty() {
        let d = &m.dates;
        let item_dates = frame(vec![
            Column::new("first".into(), d.item_first.clone()),
            Column::new("last".into(), d.item_last.clone()),
        ])?;
        let times = frame(vec![
            Column::new("customer".into(), row_of(&d.offsets)),
            Column::new("time".into(), d.times.clone()),
        ])?;
        files.push(put(dir, "item_dates.parquet", item_dates, run_id)?);
        files.push(put(dir, "customer_dates.parquet", times, run_id)?);
    }
    if !m.segments.of.is_empty() {
        let of = m.segments.of.iter().map(|&s| (s != Segments::NONE).then_some(s)).collect::<Vec<Option<u32>>>();
        files.push(put(dir, "customer_segments.parquet", frame(vec![Column::new("segment".into(), of)])?, run_id)?);
        let names = frame(vec![Column::new("name".into(), m.segments.names.clone())])?;
        files.push(put(dir, "segment_names.parquet", names, run_id)?);
    }
    Ok(files)
}

/// The customers' segments [`save_matrix`] wrote (none when it wrote none).
fn load_segments(dir: &Path, files: &[FileEntry]) -> Result<Segments> {
    if !files.iter().any(|f| f.file == "customer_segments.parquet") {
        return Ok(Segments::default());
    }
    let of = open(dir, entry(files, "customer_segments.parquet", dir)?)?.frame(None)?;
    let of = column(&of, "segment")?.u32().map_err(Error::frame("segment"))?.iter();
    let names = open(dir, entry(files, "segment_names.parquet", dir)?)?.frame(None)?;
    Ok(Segments {
        of: of.map(|s| s.unwrap_or(Segments::NONE)).collect(),
        names: strings(&names, "name")?.into_iter().map(Option::unwrap_or_default).collect(),
    })
}

/// What of the matrix a step reads besides the purchases (customers, items and who bought
/// what): a shard loads only what its model and rules use, which is most of its memory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wanted {
    /// The summed quantities (a weighting other than binary, the float kernel).
    pub quantity: bool,
    /// Each pair's last purchase (a half-life).
    pub last: bool,
    /// Items' first and last sales and customers' purchase dates (the prior).
    pub dates: bool,
}

impl Wanted {
    /// Everything (publish writes `purchases.parquet` from it).
    pub const ALL: Wanted = Wanted { quantity: true, last: true, dates: true };
}

/// The matrix [`save_matrix`] wrote, each file checked against `files`, with the parts
/// `wanted` asks for once it has seen the purchases; the others are left empty (any use of them
/// would fail, never read a wrong value: the shards' tests compare every table with a run's).
pub fn load_matrix(
    dir: &Path,
    files: &[FileEntry],
    wanted: impl FnOnce(&Interactions) -> Wanted,
) -> Result<Interactions> {
    let read = |name: &str| open(dir, entry(files, name, dir)?);
    let customers = read("customers.parquet")?.frame(None)?;
    let n = customers.height();
    let customers = match column(&customers, "customer_id")?.dtype() {
        DataType::Int64 => CustomerIds::Int(i64s(&customers, "customer_id")?),
        _ => {
            CustomerIds::Text(strings(&customers, "customer_id")?.into_iter().map(Option::unwrap_or_default).collect())
        }
    };
    let items = read("items.parquet")?.frame(None)?;
    let mut pairs = read("pairs.parquet")?;
    let mut m = Interactions {
        customers,
        items: strings(&items, "item")?.into_iter().map(Option::unwrap_or_default).collect(),
        descriptions: strings(&items, "description")?,
        indptr: offsets(&u32s(&pairs.column("customer")?, "customer")?, n),
        indices: u32s(&pairs.column("item")?, "item")?,
        quantity: Vec::new(),
        last: Vec::new(),
        dates: Dates::default(),
        segments: load_segments(dir, files)?,
    };
    let want = wanted(&m);
    if want.quantity {
        m.quantity = f64s(&pairs.column("quantity")?, "quantity")?;
    }
    if want.last {
        m.last = i64s(&pairs.column("last")?, "last")?;
    }
    drop(pairs);
    if want.dates && files.iter().any(|f| f.file == "item_dates.parquet") {
        let item_dates = read("item_dates.parquet")?.frame(None)?;
        let mut times = read("customer_dates.parquet")?;
        m.dates = Dates {
            item_first: i64s(&item_dates, "first")?,
            item_last: i64s(&item_dates, "last")?,
            offsets: offsets(&u32s(&times.column("customer")?, "customer")?, n),
            times: i64s(&times.column("time")?, "time")?,
        };
    }
    Ok(m)
}

fn neighbours_frame(nb: &Neighbours) -> Result<DataFrame> {
    frame(vec![
        Column::new("row".into(), row_of(&nb.offsets)),
        Column::new("id".into(), nb.ids.clone()),
        Column::new("similarity".into(), nb.similarity.clone()),
        Column::new("shared".into(), nb.shared.clone()),
    ])
}

fn neighbours_of(df: &DataFrame, rows: usize) -> Result<Neighbours> {
    Ok(Neighbours {
        offsets: offsets(&u32s(df, "row")?, rows),
        ids: u32s(df, "id")?,
        similarity: f64s(df, "similarity")?,
        shared: u32s(df, "shared")?,
    })
}

fn rows_frame(r: &Rows) -> Result<DataFrame> {
    frame(vec![
        Column::new("row".into(), row_of(&r.indptr)),
        Column::new("col".into(), r.indices.clone()),
        Column::new("value".into(), r.values.clone()),
    ])
}

fn rows_of(df: &DataFrame, rows: usize, n_cols: usize, norm2: Vec<f64>) -> Result<Rows> {
    let indptr = offsets(&u32s(df, "row")?, rows);
    Ok(Rows { indptr, indices: u32s(df, "col")?, values: f64s(df, "value")?, norm2, n_cols })
}

fn values_frame(name: &str, values: &[f64]) -> Result<DataFrame> {
    frame(vec![Column::new(name.into(), values.to_vec())])
}

/// What of an item-side model is not in its files.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelRecord {
    pub kind: crate::config::Kind,
    pub description_weight: f64,
    /// Sparse EASE: whether it holds description rows.
    pub text: bool,
    pub files: Vec<FileEntry>,
}

/// Writes an item-side model (`model_*.parquet`); a user model is the shards' to learn.
pub fn save_model(dir: &Path, model: &Model, run_id: &str) -> Result<Option<ModelRecord>> {
    let (description_weight, mut text) = (0.0, false);
    let mut files = Vec::new();
    let description_weight = match model {
        Model::User(_) => return Ok(None),
        Model::Item(nb) => {
            files.push(put(dir, "model_neighbours.parquet", neighbours_frame(nb)?, run_id)?);
            description_weight
        }
        Model::Ease(e) => {
            files.push(put(dir, "model_neighbours.parquet", neighbours_frame(&e.neighbours)?, run_id)?);
            files.push(put(dir, "model_weights.parquet", values_frame("weight", &e.weights)?, run_id)?);
            files.push(put(dir, "model_text.parquet", values_frame("text", &e.text)?, run_id)?);
            e.description_weight
        }
        Model::SparseEase(e) => {
            files.push(put(dir, "model_neighbours.parquet", neighbours_frame(&e.neighbours)?, run_id)?);
            files.push(put(dir, "model_weights.parquet", rows_frame(&e.weights)?, run_id)?);
            files.push(put(dir, "model_norm2.parquet", values_frame("norm2", &e.weights.norm2)?, run_id)?);
            if let Some(t) = &e.text {
                text = true;
                files.push(put(dir, "model_text.parquet", rows_frame(t)?, run_id)?);
                files.push(put(dir, "model_text_norm2.parquet", values_frame("norm2", &t.norm2)?, run_id)?);
            }
            e.description_weight
        }
    };
    Ok(Some(ModelRecord { kind: model.kind(), description_weight, text, files }))
}

/// The model [`save_model`] wrote, over `items` items.
pub fn load_model(dir: &Path, record: &ModelRecord, items: usize) -> Result<Model> {
    use crate::config::Kind;
    let read = |name: &str| get(dir, entry(&record.files, name, dir)?);
    let neighbours = neighbours_of(&read("model_neighbours.parquet")?, items)?;
    Ok(match record.kind {
        Kind::Item => Model::Item(neighbours),
        Kind::Ease => Model::Ease(Ease {
            neighbours,
            weights: f64s(&read("model_weights.parquet")?, "weight")?,
            text: f64s(&read("model_text.parquet")?, "text")?,
            description_weight: record.description_weight,
        }),
        Kind::SparseEase => {
            let norm2 = f64s(&read("model_norm2.parquet")?, "norm2")?;
            let weights = rows_of(&read("model_weights.parquet")?, items, items, norm2)?;
            let text = match record.text {
                false => None,
                true => {
                    let norm2 = f64s(&read("model_text_norm2.parquet")?, "norm2")?;
                    Some(rows_of(&read("model_text.parquet")?, items, items, norm2)?)
                }
            };
            Model::SparseEase(SparseEase { neighbours, weights, text, description_weight: record.description_weight })
        }
        Kind::User | Kind::Auto => {
            let detail = format!("the plan records a {:?} model among the item models", record.kind);
            return Err(ShardError::Damaged { path: dir.join("plan.json"), detail }.into());
        }
    })
}

/// A shard's recommendations for its customers: (customer, item, score, supporters, source).
pub fn recommendations_frame(recs: &Recommendations, rows: std::ops::Range<usize>) -> Result<DataFrame> {
    let span = recs.offsets[rows.start]..recs.offsets[rows.end];
    let part = &recs.rows[span];
    let customer: Vec<u32> =
        row_of(&recs.offsets[rows.start..=rows.end]).iter().map(|&r| r + rows.start as u32).collect();
    frame(vec![
        Column::new("customer".into(), customer),
        Column::new("item".into(), part.iter().map(|r| r.item).collect::<Vec<u32>>()),
        Column::new("score".into(), part.iter().map(|r| r.score).collect::<Vec<Option<f64>>>()),
        Column::new("supporters".into(), part.iter().map(|r| r.supporters).collect::<Vec<u32>>()),
        Column::new("source".into(), part.iter().map(|r| r.source.as_str()).collect::<Vec<&str>>()),
    ])
}

/// A shard's customer neighbours for its customers: (customer, neighbour, similarity, shared).
pub fn neighbours_part(nb: &Neighbours, rows: std::ops::Range<usize>) -> Result<DataFrame> {
    let span = nb.offsets[rows.start]..nb.offsets[rows.end];
    let customer: Vec<u32> =
        row_of(&nb.offsets[rows.start..=rows.end]).iter().map(|&r| r + rows.start as u32).collect();
    frame(vec![
        Column::new("row".into(), customer),
        Column::new("id".into(), nb.ids[span.clone()].to_vec()),
        Column::new("similarity".into(), nb.similarity[span.clone()].to_vec()),
        Column::new("shared".into(), nb.shared[span].to_vec()),
    ])
}

/// Every customer's recommendations from the shards' parts (in customer order, as the plan
/// covers the customers once each, in order).
pub fn join_recommendations(parts: &[DataFrame], customers: usize) -> Result<Recommendations> {
    let mut row_of_rec = Vec::new();
    let mut rows = Vec::new();
    for df in parts {
        row_of_rec.extend(u32s(df, "customer")?);
        let score = column(df, "score")?.f64().map_err(Error::frame("score"))?;
        let sources = column(df, "source")?.str().map_err(Error::frame("source"))?;
        let (items, supporters) = (u32s(df, "item")?, u32s(df, "supporters")?);
        for (k, (&item, &supporters)) in items.iter().zip(&supporters).enumerate() {
            let text = sources.get(k).unwrap_or_default();
            let source = Source::parse(text).ok_or_else(|| Error::Frame {
                stage: "shard parts".into(),
                detail: format!("unknown recommendation source {text:?}"),
            })?;
            rows.push(Rec { item, score: score.get(k), supporters, source });
        }
    }
    Ok(Recommendations { offsets: offsets(&row_of_rec, customers), rows })
}

/// Every customer's neighbours from the shards' parts.
pub fn join_neighbours(parts: &[DataFrame], customers: usize) -> Result<Neighbours> {
    let mut nb = Neighbours::default();
    let mut rows = Vec::new();
    for df in parts {
        rows.extend(u32s(df, "row")?);
        nb.ids.extend(u32s(df, "id")?);
        nb.similarity.extend(f64s(df, "similarity")?);
        nb.shared.extend(u32s(df, "shared")?);
    }
    nb.offsets = offsets(&rows, customers);
    Ok(nb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::tests::random_matrix;

    #[test]
    fn the_matrix_comes_back_exactly_and_a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let rows =
            [("7", "B", 2.5, Some("bee"), Some(86_400)), ("3", "A", 1.0, None, None), ("3", "B", 0.1, None, Some(5))];
        let m = Interactions::from_rows(rows.into_iter());
        let files = save_matrix(dir.path(), &m, "r").unwrap();
        let back = load_matrix(dir.path(), &files, |_| Wanted::ALL).unwrap();
        assert_eq!(
            (&back.customers, &back.items, &back.descriptions, &back.indptr, &back.indices),
            (&m.customers, &m.items, &m.descriptions, &m.indptr, &m.indices)
        );
        assert_eq!((&back.quantity, &back.last, &back.dates), (&m.quantity, &m.last, &m.dates));
        // one byte changed: refused, naming the file
        let path = dir.path().join("pairs.parquet");
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let e = load_matrix(dir.path(), &files, |_| Wanted::ALL).unwrap_err().to_string();
        assert!(e.contains("pairs.parquet") && e.contains("SHA-256"), "{e}");
    }

    #[test]
    fn undated_text_ids_and_item_models_come_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let m = Interactions::from_triples([("x", "A", 1.0, None), ("y", "A", 1.0, None)].into_iter());
        let back = load_matrix(dir.path(), &save_matrix(dir.path(), &m, "r").unwrap(), |_| Wanted::ALL).unwrap();
        assert_eq!((&back.customers, &back.dates), (&m.customers, &m.dates));
        let m = random_matrix(60, 30, 6, 2);
        let progress = crate::progress::Progress::hidden();
        for kind in [crate::config::Kind::Item, crate::config::Kind::Ease, crate::config::Kind::SparseEase] {
            let cfg = crate::config::ModelConfig { kind, description_weight: 0.3, ..Default::default() };
            let model = crate::similarity::run(&m, &cfg, &progress).unwrap().0;
            let record = save_model(dir.path(), &model, "r").unwrap().unwrap();
            assert_eq!(load_model(dir.path(), &record, m.n_items()).unwrap(), model, "{kind:?}");
        }
    }
}
