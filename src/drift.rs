//! Drift: how much today's lists changed against the last published set's.
//!
//! Takes today's lists (the pivot's ids and items, the recommend stage's rows) and the last
//! published set's `recommendations.parquet` (the run `current` pointed to when this run took
//! the output folder's lock: kindred's own file, never one found by listing a folder), and
//! returns one row per customer in either list — the Jaccard overlap `|T ∩ P| / |T ∪ P|` of
//! today's item set `T` and the previous one `P` (item ids compared as text), the items added
//! (`|T \ P|`) and dropped (`|P \ T|`), and whether the customer is `new`, `gone` or `kept` —
//! with the summary the manifest's `drift` object carries (`drift.parquet`, README "Output
//! schema").
//!
//! Both tables are sorted by customer id (numerically for Int64 ids, by bytes for text), so
//! they are compared by a merge join while the previous table is read a slice of row groups
//! at a time, two columns only (`customer_id`, `item_id`): no map of ids is built, and at a
//! million customers × 10 items only about a million previous rows are held at once. When the
//! previous set's `customer_id` type differs from today's (a pipeline switched
//! `customer_type`) the ids are compared as text: the previous table is then read whole and
//! both sides are ordered by the ids' text, and the manifest's note says so.
//!
//! A previous file that cannot be read (damaged, not kindred's columns, not sorted) is a
//! warning and drift "not available" with the reason in the note, not a refusal: refusing
//! would keep `current` on that set, so every later run would be refused as well until one
//! was forced. The gate `[gates] max_changed_share` is checked by the pipeline on the report.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use serde::Serialize;

use crate::pivot::{composed, CustomerIds, Interactions};
use crate::recommend::Recommendations;

/// Rows of the previous table read at once (the size of the row groups kindred writes).
const CHUNK_ROWS: usize = 1 << 20;

/// The last published set, as the drift stage reads it.
#[derive(Debug, Clone)]
pub struct PreviousSet {
    pub run_id: String,
    /// Its `recommendations.parquet` (in `runs/<run_id>/`).
    pub recommendations: PathBuf,
    /// Its `items.parquet`: the catalogue it published.
    pub items: PathBuf,
}

/// What the drift stage compares with: the last published set, if there is one.
#[derive(Debug, Clone, Default)]
pub struct DriftConfig {
    pub previous: Option<PreviousSet>,
}

/// A customer's place in the comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// A list today, none in the previous set.
    New,
    /// A list in the previous set, none today.
    Gone,
    /// A list in both.
    Kept,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Gone => "gone",
            Status::Kept => "kept",
        }
    }
}

/// The customer a row is about: one of today's (a pivot position) or a gone one (a position
/// in [`Drift`]'s gone ids).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    Today(u32),
    Gone(u32),
}

/// One row of `drift.parquet`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Row {
    who: Who,
    overlap: f64,
    added: u32,
    dropped: u32,
    status: Status,
}

/// The ids of gone customers, in today's `customer_id` type (`None`: a previous text id that is
/// no integer, when today's ids are Int64).
#[derive(Debug, Clone)]
enum GoneIds {
    Int(Vec<Option<i64>>),
    Text(Vec<String>),
}

/// `drift.parquet`'s rows, in customer order.
#[derive(Debug, Clone)]
pub struct Drift {
    rows: Vec<Row>,
    gone: GoneIds,
    /// The gone customers' ids as the previous set wrote them, whatever today's id type: a
    /// text id (`00042`) that is no Int64 is null in `gone`, and was left out of the rewrite
    /// count when the ids turned Int64 (`customer_type = "integer"`: `00042` gone and `42` new
    /// was "rewritten 0", the gate passed; helper-172).
    gone_text: Vec<String>,
}

/// The manifest's `drift` object (`Default`: nothing compared, the id counts that follow the
/// join 0).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DriftReport {
    /// The run compared with; null on a first run.
    pub previous_run_id: Option<String>,
    /// Rows of `drift.parquet`: customers with a list today or in the previous set.
    pub customers: usize,
    pub kept: usize,
    pub new: usize,
    pub gone: usize,
    /// Of the gone customers, those whose id equals a new customer's but for its form — case,
    /// punctuation, leading zeros ([`loose`]): `0000012001` gone and `12001` new is one customer
    /// whose id the export now writes otherwise.
    pub rewritten: usize,
    /// Of the new customers, those whose id equals a previous customer's but for its form,
    /// whether that one is gone (counted in `rewritten` too) or still there: an export that
    /// keeps its history and writes the ids otherwise from one day on keeps the old ids, so
    /// only today's customers come back under the new form — 147 of the 150 new customers of
    /// such a night, 3.4% of all, where a normal night has a few new customers and none so.
    pub new_rewritten: usize,
    /// Of `new_rewritten`, those written otherwise in a way (case, punctuation, leading zeros,
    /// Unicode form) the previous set's own ids are not, twice at least: the ones judged. A set
    /// whose ids come in two cases already (a shop's own, or a rewrite published with `--force`)
    /// explains more in two cases, not in two widths.
    pub new_rewritten_new_forms: usize,
    /// The previous set's customers whose id equals another of them but for its form.
    pub previous_twins: usize,
    /// The previous set's catalogue (rows of its `items.parquet`; null when it could not be
    /// read), and today's new items whose id equals one of it but for its form ([`loose`]):
    /// `123` new where `00123` was — gone (a rolling export) or still there (an export that
    /// keeps its history, whose lines from one day on write the codes otherwise).
    pub previous_items: Option<usize>,
    pub items_rewritten: usize,
    /// Today's items not in the previous catalogue (null when it could not be read): what
    /// `items_rewritten` is also a share of — a rewrite from one day on in an export keeping its
    /// history makes nearly all of them (70 of 70, 1.9% of the catalogue, 94.6% of lists
    /// changed), a normal night a few new items and none written otherwise.
    pub new_items: Option<usize>,
    /// The same as `new_rewritten_new_forms` and `previous_twins` for the previous catalogue's
    /// items.
    pub items_rewritten_new_forms: usize,
    pub previous_items_twins: usize,
    /// Of today's items also in the previous catalogue, those described in both (null when
    /// that catalogue cannot be read or has no `description` column), and of them those whose
    /// descriptions name another product ([`same_product`]): one shop's nights keep what an id names,
    /// another shop numbering its products from 1 as well does not — the items its ids share
    /// name other products (`[gates] refuse_nothing_in_common`).
    pub items_described: Option<usize>,
    pub items_described_otherwise: usize,
    /// One of them, as (id, the previous description, today's), for the gate's message.
    #[serde(skip)]
    pub described_example: Option<(String, String, String)>,
    /// One of them, as (the previous form, today's), for the gate's message.
    #[serde(skip)]
    pub items_example: Option<(String, String)>,
    /// Kept customers whose item set differs, plus new and gone ones.
    pub changed: usize,
    /// `changed / customers`; null when nothing was compared.
    pub changed_share: Option<f64>,
    /// The mean Jaccard overlap over kept customers; null when none.
    pub mean_overlap: Option<f64>,
    /// Why there is no comparison (first run, an unreadable previous set), or how ids were
    /// compared when their types differ.
    pub note: Option<String>,
    pub seconds: f64,
    /// The previous set could not be read: the reason, for the run's warning.
    #[serde(skip)]
    pub warning: Option<String>,
}

/// One customer's previous list: its id and items (positions in today's items, and the item
/// ids today's catalogue does not hold).
#[derive(Debug, Clone, PartialEq)]
struct Group {
    key: Key,
    known: Vec<u32>,
    unknown: Vec<String>,
}

/// A previous customer id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Int(i64),
    Text(String),
}

/// Compares today's lists with the previous set's (see the module doc).
pub fn run(m: &Interactions, recs: &Recommendations, cfg: &DriftConfig) -> (Drift, DriftReport) {
    let start = Instant::now();
    let empty = Drift { rows: Vec::new(), gone: GoneIds::empty(&m.customers), gone_text: Vec::new() };
    let Some(previous) = &cfg.previous else {
        let note = "first run: no previous published set to compare with".to_string();
        return (empty, report_of(&[], None, Some(note), None, start));
    };
    let run_id = Some(previous.run_id.clone());
    // today's items by id, once: the join's and the descriptions' look-up
    let items = ItemIndex::new(&m.items);
    match compare(m, recs, &items, &previous.recommendations, CHUNK_ROWS) {
        Ok((drift, note)) => {
            let mut report = report_of(&drift.rows, run_id, note, None, start);
            let (back, twins) = drift.rewritten(m);
            (report.rewritten, report.new_rewritten, report.new_rewritten_new_forms, report.previous_twins) =
                (back, twins.twins, twins.new_forms, twins.before_twins);
            match catalogue(&previous.items) {
                Ok((before, described)) if !before.is_empty() => {
                    report.previous_items = Some(before.len());
                    if let Some(described) = described {
                        let same = described_otherwise(&before, &described, (m, &items));
                        (report.items_described, report.items_described_otherwise, report.described_example) =
                            (Some(same.compared), same.otherwise, same.example);
                    }
                    let (new, twins) = items_rewritten(&before, &m.items);
                    (report.new_items, report.items_rewritten, report.items_example) =
                        (Some(new), twins.twins, twins.example);
                    (report.items_rewritten_new_forms, report.previous_items_twins) =
                        (twins.new_forms, twins.before_twins);
                }
                read => {
                    let why = read.err().unwrap_or_else(|| "it has no item".into());
                    let not = format!(
                        "items not compared with the last published set's: {} cannot be read ({why})",
                        previous.items.display()
                    );
                    report.note = Some(report.note.map_or(not.clone(), |n| format!("{n}; {not}")));
                    report.warning =
                        Some(format!("drift: {not}; the gate max_items_rewritten_vs_previous is not checked"));
                }
            }
            report.seconds = start.elapsed().as_secs_f64();
            (drift, report)
        }
        Err(why) => {
            let warning = format!(
                "drift not available: the previous published set's {} cannot be compared ({why})",
                previous.recommendations.display()
            );
            (empty, report_of(&[], run_id, Some(warning.clone()), Some(warning), start))
        }
    }
}

fn report_of(
    rows: &[Row],
    previous_run_id: Option<String>,
    note: Option<String>,
    warning: Option<String>,
    start: Instant,
) -> DriftReport {
    let count = |s: Status| rows.iter().filter(|r| r.status == s).count();
    let (kept, new, gone) = (count(Status::Kept), count(Status::New), count(Status::Gone));
    let changed_kept = rows.iter().filter(|r| r.status == Status::Kept && (r.added > 0 || r.dropped > 0)).count();
    let changed = changed_kept + new + gone;
    let overlap: f64 = rows.iter().filter(|r| r.status == Status::Kept).map(|r| r.overlap).sum();
    let compared = previous_run_id.is_some() && warning.is_none() && !rows.is_empty();
    DriftReport {
        previous_run_id,
        customers: rows.len(),
        kept,
        new,
        gone,
        changed,
        changed_share: compared.then(|| changed as f64 / rows.len() as f64),
        mean_overlap: (kept > 0).then(|| overlap / kept as f64),
        note,
        seconds: start.elapsed().as_secs_f64(),
        warning,
        ..DriftReport::default()
    }
}

/// The merge join of today's lists with the previous file's; the note says when ids were
/// compared as text.
fn compare(
    m: &Interactions,
    recs: &Recommendations,
    items: &ItemIndex,
    path: &Path,
    chunk_rows: usize,
) -> Result<(Drift, Option<String>), String> {
    let mut chunks = Chunks::open(path, chunk_rows)?;
    let today = m.customers.dtype_name();
    let as_text = chunks.id_type != today;
    let mut join = Join::new(m, recs, as_text);
    if as_text {
        // the previous order (by its own type) is not today's: read whole, ordered by text
        let mut groups = Vec::new();
        read_groups(&mut chunks, items, true, |g| groups.push(g))?;
        groups.sort_by(|a, b| a.key.cmp(&b.key));
        if let Some(w) = groups.windows(2).find(|w| w[0].key == w[1].key) {
            return Err(format!("customer {} appears twice", w[0].key.text()));
        }
        groups.into_iter().for_each(|g| join.take(g));
    } else {
        read_groups(&mut chunks, items, false, |g| join.take(g))?;
    }
    let mut drift = join.finish();
    let note = as_text.then(|| {
        drift.sort_as(&m.customers);
        format!(
            "the previous set's customer_id is {} and today's {today}: customers compared by their ids as text",
            chunks.id_type
        )
    });
    Ok((drift, note))
}

/// An id's form taken away: composed (NFC: a decomposed accent is the letter it writes), full-
/// width ASCII as ASCII (an East Asian keyboard's `１２３` is `123`), then letters and digits only,
/// lower case, leading zeros dropped (`"0000012001"`, `"12001"`, `"１２００１"` and `"12,001"` are
/// `"12001"`; `"C-1234"` and `"c1234"` are `"c1234"`). Not Unicode's compatibility forms (NFKC):
/// they make `½` `1⁄2`, so a plumber's `PIPE-½` equalled its `PIPE-12` (helper-97).
fn loose(id: &str) -> String {
    let kept: String = match id.is_ascii() {
        true => id.bytes().filter(u8::is_ascii_alphanumeric).map(|b| b.to_ascii_lowercase() as char).collect(),
        false => composed(id).chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect(),
    };
    let mut kept = kept;
    let zeros = kept.len() - kept.trim_start_matches('0').len();
    if zeros < kept.len() {
        kept.drain(..zeros); // in place: a second string for every id took a third of the time
    }
    kept
}

/// The `item_id` column of a published `items.parquet`, and its `description` column beside it
/// when it has one of text (every version of kindred wrote it; a file someone made may not).
fn catalogue(path: &Path) -> Result<(Vec<String>, Option<Descriptions>), String> {
    let read = |columns: &[&str]| -> Result<DataFrame, String> {
        let file = File::open(path).map_err(|e| e.to_string())?;
        let columns = columns.iter().map(|c| c.to_string()).collect();
        ParquetReader::new(file).with_columns(Some(columns)).finish().map_err(|e| e.to_string())
    };
    let frame = read(&["item_id", "description"]).or_else(|_| read(&["item_id"]))?;
    let ids = frame.column("item_id").map_err(|e| e.to_string())?;
    let ids = ids.str().map_err(|_| format!("its item_id is {}, not String", ids.dtype()))?;
    let described = frame.column("description").ok().and_then(|d| d.str().ok().cloned());
    let rows = ids.iter().zip(0..).filter_map(|(id, row)| Some((id?.to_string(), row)));
    let (ids, rows): (Vec<String>, Vec<usize>) = rows.unzip();
    let described = described.map(|d| rows.iter().map(|&r| d.get(r).map(str::to_string)).collect());
    Ok((ids, described))
}

/// A catalogue's descriptions, by its rows.
type Descriptions = Vec<Option<String>>;

/// Whether two descriptions of one id name one product: half their words or more in common
/// (a word a run of two letters or more, case aside), or one within the other but for case,
/// punctuation and spacing — a shop's description carrying a stock level or a price
/// (`GLOBE (24 in stock)`, the next night 23), a size or brand added, a typo mended, a title
/// in a script without spaces given a suffix (`…抱枕` then `…抱枕包邮`, "free shipping":
/// helper-104) keep them; another shop's product under the same number does not (0.04% of
/// random pairs of the shipped catalogue's descriptions, 1.4% of pairs of its 184 bags: two
/// bag shops shared the word `bag` at every id, helper-104). Descriptions without a word
/// (codes, `130315`) compare without case, punctuation and spacing ([`loose`]). A first version
/// comparing whole texts refused every night a shop whose descriptions carry the stock level
/// (3,519 of 3,613 "otherwise": helper-103). `None` when one has words and the other none: a
/// description column now filled with codes says nothing of the products (helper-104).
fn same_product(a: &str, b: &str) -> Option<bool> {
    let words = |text: &str| -> HashSet<String> {
        text.split(|c: char| !c.is_alphabetic()).filter(|w| w.chars().nth(1).is_some()).map(str::to_lowercase).collect()
    };
    let (a_words, b_words) = (words(a), words(b));
    let (a_loose, b_loose) = (loose(a), loose(b));
    let within =
        !a_loose.is_empty() && !b_loose.is_empty() && (a_loose.contains(&b_loose) || b_loose.contains(&a_loose));
    match (a_words.is_empty(), b_words.is_empty()) {
        (true, true) => Some(a_loose == b_loose),
        (false, false) => Some(within || 2 * a_words.intersection(&b_words).count() >= a_words.union(&b_words).count()),
        _ => None,
    }
}

/// [`DriftReport::items_described`] and what goes with it.
#[derive(Debug, Default, PartialEq)]
struct Described {
    compared: usize,
    otherwise: usize,
    example: Option<(String, String, String)>,
}

/// Today's items also in the `before` catalogue and described in both, and those whose
/// descriptions name another product ([`same_product`]).
fn described_otherwise(
    before: &[String],
    descriptions: &[Option<String>],
    (m, today): (&Interactions, &ItemIndex),
) -> Described {
    let mut out = Described::default();
    for (id, was) in before.iter().zip(descriptions) {
        let Some(now) = today.find(id).and_then(|i| m.descriptions[i as usize].as_deref()) else { continue };
        let Some(was) = was.as_deref() else { continue };
        let Some(same) = same_product(was, now) else { continue };
        out.compared += 1;
        if !same {
            out.otherwise += 1;
            out.example.get_or_insert_with(|| (id.clone(), was.to_string(), now.to_string()));
        }
    }
    out
}

/// Today's new ids that equal one of the last set's ids but for their form ([`loose`]) — whether
/// that one is gone (a rolling export) or still there (an export keeping its history, whose
/// lines from one day on write codes otherwise: a reviewer's, 891 such items, 99.7% of lists
/// changed, counted 0 by a first version that looked only at gone items) — and of them those
/// written otherwise in a way the last set's own twins are not ([`Form`]); the last set's ids
/// equal to another of it so; one pair as (the previous form, today's).
#[derive(Debug, Default, PartialEq)]
struct Twins {
    twins: usize,
    new_forms: usize,
    before_twins: usize,
    example: Option<(String, String)>,
}

/// How two ids equal but for their form differ: the first of these steps of [`loose`] that
/// makes them equal — composed and narrowed, then lower case, then letters and digits only,
/// then leading zeros dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    Unicode = 0,
    Case = 1,
    Punctuation = 2,
    Zeros = 3,
}

impl Form {
    fn of(a: &str, b: &str) -> Form {
        let lower = |id: &str| composed(id).to_lowercase();
        let bare = |id: &str| lower(id).chars().filter(|c| c.is_alphanumeric()).collect::<String>();
        match () {
            _ if composed(a) == composed(b) => Form::Unicode,
            _ if lower(a) == lower(b) => Form::Case,
            _ if bare(a) == bare(b) => Form::Punctuation,
            _ => Form::Zeros,
        }
    }
}

/// How many twins of one [`Form`] make it the last set's own: a shop whose codes come in two
/// cases (a till's `85123a` beside `85123A`), or a rewrite published with `--force` in an
/// export keeping its history, whose every night sells items first since the rewrite, twins of
/// their old forms (a helper's: 126 of 132 new items). One is a look-alike, not a habit.
const OWN_FORM: usize = 2;

/// [`Twins`] of today's `new` ids against the `before` ids.
fn twins_of<'a>(before: impl Iterator<Item = &'a str>, new: impl Iterator<Item = &'a str>) -> Twins {
    // every previous id's form, each night (a million customers' at a million): a fast hash
    let mut forms: HashMap<String, &str, foldhash::fast::FixedState> =
        HashMap::with_capacity_and_hasher(before.size_hint().0, Default::default());
    let mut own = [0usize; 4];
    let mut out = Twins::default();
    for id in before {
        match forms.entry(loose(id)) {
            std::collections::hash_map::Entry::Occupied(first) => {
                out.before_twins += 1;
                own[Form::of(first.get(), id) as usize] += 1;
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(id);
            }
        }
    }
    for id in new {
        let Some(was) = forms.get(&loose(id)) else { continue };
        out.twins += 1;
        out.new_forms += (own[Form::of(was, id) as usize] < OWN_FORM) as usize;
        out.example.get_or_insert_with(|| (was.to_string(), id.to_string()));
    }
    out
}

/// Today's items new against the `before` catalogue, and their [`Twins`] in it.
fn items_rewritten(before: &[String], today: &[String]) -> (usize, Twins) {
    let was: HashSet<&str> = before.iter().map(String::as_str).collect();
    let new: Vec<&str> = today.iter().map(String::as_str).filter(|i| !was.contains(i)).collect();
    (new.len(), twins_of(before.iter().map(String::as_str), new.iter().copied()))
}

impl Drift {
    /// How many gone customers' ids equal a new customer's but for their form ([`loose`]), and
    /// the new customers' [`Twins`] among the previous ones, gone or kept.
    fn rewritten(&self, m: &Interactions) -> (usize, Twins) {
        let today = |r: &Row, status: Status| match (r.status == status, r.who) {
            (true, Who::Today(c)) => Some(m.customers.label(c as usize)),
            _ => None,
        };
        let new: Vec<String> = self.rows.iter().filter_map(|r| today(r, Status::New)).collect();
        let gone = self.gone_text.clone();
        let new_forms: HashSet<String> = new.iter().map(|id| loose(id)).collect();
        let back = gone.iter().filter(|g| new_forms.contains(&loose(g))).count();
        let kept = self.rows.iter().filter_map(|r| today(r, Status::Kept));
        let before: Vec<String> = gone.into_iter().chain(kept).collect();
        (back, twins_of(before.iter().map(String::as_str), new.iter().map(String::as_str)))
    }
}

impl Key {
    fn text(&self) -> String {
        match self {
            Key::Int(v) => v.to_string(),
            Key::Text(s) => s.clone(),
        }
    }
}

/// Today's item ids by text, to find a previous item id's position (a hash lookup: the
/// previous table has a row per recommendation, ten million at a million customers).
struct ItemIndex<'a> {
    position: HashMap<&'a str, u32, foldhash::fast::FixedState>,
}

impl<'a> ItemIndex<'a> {
    fn new(items: &'a [String]) -> ItemIndex<'a> {
        ItemIndex { position: items.iter().enumerate().map(|(i, id)| (id.as_str(), i as u32)).collect() }
    }

    fn find(&self, id: &str) -> Option<u32> {
        self.position.get(id).copied()
    }
}

/// The previous `recommendations.parquet`, read a slice at a time.
struct Chunks {
    path: PathBuf,
    rows: usize,
    offset: usize,
    chunk_rows: usize,
    /// `customer_id`'s type: "Int64" or "String".
    id_type: &'static str,
}

impl Chunks {
    fn open(path: &Path, chunk_rows: usize) -> Result<Chunks, String> {
        let mut reader = ParquetReader::new(File::open(path).map_err(|e| e.to_string())?);
        let schema = reader.schema().map_err(|e| e.to_string())?;
        let rows = reader.num_rows().map_err(|e| e.to_string())?;
        let dtype = |name: &str| schema.get(name).map(DataType::from_arrow_field);
        let id_type = match dtype("customer_id") {
            Some(DataType::Int64) => "Int64",
            Some(DataType::String) => "String",
            Some(other) => return Err(format!("its customer_id is {other}, not Int64 or String")),
            None => return Err("it has no customer_id column".into()),
        };
        match dtype("item_id") {
            Some(DataType::String) => Ok(Chunks { path: path.to_path_buf(), rows, offset: 0, chunk_rows, id_type }),
            Some(other) => Err(format!("its item_id is {other}, not String")),
            None => Err("it has no item_id column".into()),
        }
    }

    /// The next slice of the two columns, or `None` at the end.
    fn next(&mut self) -> Result<Option<DataFrame>, String> {
        if self.offset >= self.rows {
            return Ok(None);
        }
        let file = File::open(&self.path).map_err(|e| e.to_string())?;
        let columns = Some(vec!["customer_id".to_string(), "item_id".to_string()]);
        let frame = ParquetReader::new(file)
            .with_columns(columns)
            .with_slice(Some((self.offset, self.chunk_rows)))
            .finish()
            .map_err(|e| e.to_string())?;
        if frame.height() == 0 {
            return Err(format!("no rows read at row {} of {}", self.offset, self.rows));
        }
        self.offset += frame.height();
        Ok(Some(frame))
    }
}

/// Hands each previous customer's list to `take`, in the file's order (checked: strictly
/// increasing ids, unless `as_text`, where the caller sorts them); ids as text when `as_text`.
fn read_groups(
    chunks: &mut Chunks,
    items: &ItemIndex,
    as_text: bool,
    mut take: impl FnMut(Group),
) -> Result<(), String> {
    let mut current: Option<Group> = None;
    while let Some(frame) = chunks.next()? {
        let col = |name: &str| frame.column(name).map(|c| c.as_materialized_series().clone());
        let (ids, item_ids) =
            (col("customer_id").map_err(|e| e.to_string())?, col("item_id").map_err(|e| e.to_string())?);
        let item_ids = item_ids.str().map_err(|e| e.to_string())?;
        let keys: Box<dyn Iterator<Item = Option<Key>>> = match ids.dtype() {
            DataType::Int64 => Box::new(
                ids.i64()
                    .map_err(|e| e.to_string())?
                    .iter()
                    .map(|v| v.map(|v| if as_text { Key::Text(v.to_string()) } else { Key::Int(v) })),
            ),
            _ => Box::new(ids.str().map_err(|e| e.to_string())?.iter().map(|v| v.map(|s| Key::Text(s.to_string())))),
        };
        for (key, item) in keys.zip(item_ids.iter()) {
            let (Some(key), Some(item)) = (key, item) else { continue };
            match &mut current {
                Some(g) if g.key == key => g.push(item, items),
                _ => {
                    if let Some(done) = current.take() {
                        if !as_text && done.key >= key {
                            return Err(format!(
                                "not sorted by customer_id (customer {} after {})",
                                key.text(),
                                done.key.text()
                            ));
                        }
                        take(done);
                    }
                    let mut g = Group { key, known: Vec::new(), unknown: Vec::new() };
                    g.push(item, items);
                    current = Some(g);
                }
            }
        }
    }
    if let Some(g) = current {
        take(g);
    }
    Ok(())
}

impl Group {
    fn push(&mut self, item: &str, items: &ItemIndex) {
        match items.find(item) {
            Some(i) => self.known.push(i),
            None => self.unknown.push(item.to_string()),
        }
    }
}

/// The merge join's state: today's customers in join order, the rows made so far.
struct Join<'a> {
    ids: &'a CustomerIds,
    recs: &'a Recommendations,
    /// Today's customers with a list, in the join's order.
    order: Vec<u32>,
    next: usize,
    rows: Vec<Row>,
    gone: Vec<Key>,
}

impl<'a> Join<'a> {
    fn new(m: &'a Interactions, recs: &'a Recommendations, as_text: bool) -> Join<'a> {
        let n = m.n_customers();
        let mut order: Vec<u32> = (0..n as u32).filter(|&c| !recs.of(c as usize).is_empty()).collect();
        if as_text {
            let labels: Vec<String> = (0..n).map(|c| m.customers.label(c)).collect();
            order.sort_by(|&a, &b| labels[a as usize].as_bytes().cmp(labels[b as usize].as_bytes()));
        }
        Join { ids: &m.customers, recs, order, next: 0, rows: Vec::with_capacity(n), gone: Vec::new() }
    }

    /// Today's customer `c` against a previous id.
    fn cmp(&self, c: u32, key: &Key) -> Ordering {
        match (self.ids, key) {
            (CustomerIds::Int(v), Key::Int(p)) => v[c as usize].cmp(p),
            (CustomerIds::Text(v), Key::Text(p)) => v[c as usize].as_bytes().cmp(p.as_bytes()),
            (ids, key) => ids.label(c as usize).as_bytes().cmp(key.text().as_bytes()),
        }
    }

    /// Takes the previous customer `g`: today's customers before it are new, then it is kept
    /// or gone.
    fn take(&mut self, g: Group) {
        while let Some(&c) = self.order.get(self.next) {
            match self.cmp(c, &g.key) {
                Ordering::Less => self.new_row(c),
                Ordering::Equal => {
                    self.next += 1;
                    let today: Vec<u32> = self.recs.of(c as usize).iter().map(|r| r.item).collect();
                    let (overlap, added, dropped) = jaccard(today, g.known, g.unknown);
                    let row = Row { who: Who::Today(c), overlap, added, dropped, status: Status::Kept };
                    return self.rows.push(row);
                }
                Ordering::Greater => break,
            }
        }
        let (_, _, dropped) = jaccard(Vec::new(), g.known, g.unknown);
        let who = Who::Gone(self.gone.len() as u32);
        self.gone.push(g.key);
        self.rows.push(Row { who, overlap: 0.0, added: 0, dropped, status: Status::Gone });
    }

    fn new_row(&mut self, c: u32) {
        self.next += 1;
        let (_, added, _) = jaccard(self.recs.of(c as usize).iter().map(|r| r.item).collect(), Vec::new(), Vec::new());
        self.rows.push(Row { who: Who::Today(c), overlap: 0.0, added, dropped: 0, status: Status::New });
    }

    fn finish(mut self) -> Drift {
        while let Some(&c) = self.order.get(self.next) {
            self.new_row(c);
        }
        let gone = match self.ids {
            CustomerIds::Int(_) => GoneIds::Int(self.gone.iter().map(Key::as_int).collect()),
            CustomerIds::Text(_) => GoneIds::Text(self.gone.iter().map(Key::text).collect()),
        };
        let gone_text = self.gone.iter().map(Key::text).collect();
        Drift { rows: self.rows, gone, gone_text }
    }
}

impl Key {
    /// The id as an Int64 customer id: a text id only when it is an integer written plainly
    /// (so it would have matched today's id as text).
    fn as_int(&self) -> Option<i64> {
        match self {
            Key::Int(v) => Some(*v),
            Key::Text(s) => s.parse::<i64>().ok().filter(|v| v.to_string() == *s),
        }
    }
}

/// The Jaccard overlap of today's items and the previous ones (known positions and unknown
/// ids), and the items added and dropped; 0.0 when both are empty.
fn jaccard(mut today: Vec<u32>, mut known: Vec<u32>, mut unknown: Vec<String>) -> (f64, u32, u32) {
    for v in [&mut today, &mut known] {
        v.sort_unstable();
        v.dedup();
    }
    unknown.sort_unstable();
    unknown.dedup();
    let shared = today.iter().filter(|i| known.binary_search(i).is_ok()).count();
    let previous = known.len() + unknown.len();
    let union = today.len() + previous - shared;
    let overlap = if union == 0 { 0.0 } else { shared as f64 / union as f64 };
    (overlap, (today.len() - shared) as u32, (previous - shared) as u32)
}

impl GoneIds {
    fn empty(ids: &CustomerIds) -> GoneIds {
        match ids {
            CustomerIds::Int(_) => GoneIds::Int(Vec::new()),
            CustomerIds::Text(_) => GoneIds::Text(Vec::new()),
        }
    }
}

impl Drift {
    /// Rows of `drift.parquet`.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Orders the rows by today's ids (after a join by text): Int64 ids numerically, a gone
    /// id that is no integer last.
    fn sort_as(&mut self, ids: &CustomerIds) {
        let (CustomerIds::Int(v), GoneIds::Int(gone)) = (ids, &self.gone) else { return };
        let key = |r: &Row| match r.who {
            Who::Today(c) => Some(v[c as usize]),
            Who::Gone(g) => gone[g as usize],
        };
        self.rows.sort_by_key(|r| (key(r).is_none(), key(r)));
    }

    /// `drift.parquet`'s rows `range` as a frame (customer_id typed as today's).
    pub fn frame(&self, ids: &CustomerIds, range: std::ops::Range<usize>) -> PolarsResult<DataFrame> {
        let rows = &self.rows[range];
        let customer_id = match (ids, &self.gone) {
            (CustomerIds::Int(v), GoneIds::Int(gone)) => Column::new(
                "customer_id".into(),
                rows.iter()
                    .map(|r| match r.who {
                        Who::Today(c) => Some(v[c as usize]),
                        Who::Gone(g) => gone[g as usize],
                    })
                    .collect::<Vec<Option<i64>>>(),
            ),
            (ids, gone) => {
                let text: StringChunked = rows
                    .iter()
                    .map(|r| match (r.who, gone) {
                        (Who::Today(c), _) => Some(ids.label(c as usize)),
                        (Who::Gone(g), GoneIds::Text(t)) => Some(t[g as usize].clone()),
                        (Who::Gone(_), GoneIds::Int(_)) => None,
                    })
                    .collect();
                text.with_name("customer_id".into()).into_column()
            }
        };
        let status: StringChunked = rows.iter().map(|r| Some(r.status.as_str())).collect();
        DataFrame::new(
            rows.len(),
            vec![
                customer_id,
                Column::new("overlap".into(), rows.iter().map(|r| r.overlap).collect::<Vec<f64>>()),
                // Signed, as every count kindred writes: a UInt32 made `added - dropped` wrap to
                // 4,294,967,286 in pandas and polars and fail in DuckDB, and Spark < 3.2 refuses it.
                Column::new("added".into(), rows.iter().map(|r| r.added as i32).collect::<Vec<i32>>()),
                Column::new("dropped".into(), rows.iter().map(|r| r.dropped as i32).collect::<Vec<i32>>()),
                status.with_name("status".into()).into_column(),
            ],
        )
    }
}

#[cfg(test)]
mod tests;
