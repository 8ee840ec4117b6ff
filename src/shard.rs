//! Sharded runs: the one-machine run split into three commands any array scheduler can run
//! (Kubernetes Indexed Jobs, Argo, AWS Batch array jobs, Slurm job arrays).
//!
//! - [`prepare`] (`kindred prepare --shards N`): ingest → audit → clean → pivot → (select) →
//!   the item-side model if any, as `kindred run` does them ([`pipeline::front`]), written
//!   into a prepared folder inside the output folder with `plan.json`: each shard's customers,
//!   balanced by estimated work ([`plan`]).
//! - [`shard`] (`kindred shard --index I`): loads the prepared matrix (and model), computes
//!   its customers' neighbours and recommendations through the same [`Chain`] calls, writes
//!   its parts under names unique to the attempt, then its done-marker (files, rows,
//!   checksums) last, by an atomic rename. Rerunning an index, even twice at once, only
//!   replaces a marker that names complete files by another that does.
//! - [`publish`] (`kindred publish`): refuses (exit 5, naming them) unless every shard's marker
//!   is there; reads exactly the files the markers name, checked against their checksums
//!   (never a directory listing); applies the data gates and writes the same tables and
//!   manifest as `kindred run`, switched in atomically under the folder's lock ([`publish`]).
//!
//! A shard's rows are computed exactly as in `kindred run` (each customer's neighbours depend
//! on nothing but its row; shards start on the recommend stage's block boundaries), so the
//! published tables are identical to a one-machine run's.
//!
//! Layout inside `[output] dir` (the storage every worker sees), besides `publish`'s:
//!
//! ```text
//! shards/latest -> <run_id>            the prepared run shards and publish use (a link swapped atomically)
//! shards/<run_id>/plan.json            the plan, the settings, every prepared file's rows and checksum
//! shards/<run_id>/*.parquet            the matrix, the id tables, the audit, the item-side model
//! shards/<run_id>/parts/<i>-<attempt>-{recommendations,neighbours}.parquet
//! shards/<run_id>/done/<i>.json        shard i's done-marker
//! shards/.staging-<run_id>/            a prepare being written
//! ```
//!
//! Only names of the run-id shape are ever deleted: a successful publish removes the prepared
//! runs older than the one it published, and a prepare (as it takes the lock) the leftovers of killed ones,
//! each only when it holds nothing but what prepare and shard write there (a person's file in
//! it keeps the folder).

pub mod plan;
pub mod store;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::chain::{on_threads, Chain};
use crate::config::{Config, Family};
use crate::drift::DriftReport;
use crate::error::{Error, OutputError, Result, ShardError};
use crate::pipeline::{self, GateCheck, Manifest, Reports, Run};
use crate::progress::{log, now_utc, peak_rss_bytes};
use crate::publish::{self, entry, io, is_run_id, new_run_id, sync_dir, Publisher};
use crate::recommend::{self, RecommendReport};
use crate::report;
use crate::select::{self, Candidate, Selection};
use crate::similarity::customers::{CustomerNeighboursReport, Source};
use crate::similarity::{Model, Neighbours, Pruning, SimilarityReport};
use crate::words::{counted, counted_own};
use crate::write::{Outputs, WriteReport};
use plan::ShardRange;
use store::{FileEntry, ModelRecord};

/// The folder of prepared runs inside `[output] dir`.
pub use crate::publish::SHARDS;
use crate::publish::{check_shards_layout, latest_id, LATEST};
const PLAN: &str = "plan.json";
const PARTS: &str = "parts";
const DONE: &str = "done";
const STAGING_PREFIX: &str = ".staging-";
const LINK_PREFIX: &str = ".latest-";
const NULL_AUDIT: &str = "null_audit.parquet";
const SELECTION: &str = "selection.parquet";

/// The environment variables a shard's index is read from when `--index` is not given, in
/// order: kindred's own, then Kubernetes Indexed Jobs', AWS Batch array jobs' and Slurm job
/// arrays' (0-based: `sbatch --array=0-(N-1)`).
pub const INDEX_VARS: [&str; 4] =
    ["KINDRED_INDEX", "JOB_COMPLETION_INDEX", "AWS_BATCH_JOB_ARRAY_INDEX", "SLURM_ARRAY_TASK_ID"];

/// One step's cost, for the manifest's `sharded` object.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StepCost {
    pub seconds: f64,
    /// User + system CPU time of the process.
    pub cpu_seconds: f64,
    pub peak_rss_bytes: u64,
}

impl StepCost {
    fn since(start: Instant) -> StepCost {
        StepCost {
            seconds: start.elapsed().as_secs_f64(),
            cpu_seconds: cpu_seconds(),
            peak_rss_bytes: peak_rss_bytes(),
        }
    }
}

/// This process's user + system CPU seconds so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct we own; no other memory is touched.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// `plan.json`: what `prepare` made, for the shards and publish.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Plan {
    pub run_id: String,
    pub kindred_version: String,
    pub started_utc: String,
    pub customers: usize,
    pub items: usize,
    pub pairs: usize,
    /// Σ over items of buyers²: the shards' works sum to it.
    pub total_work: f64,
    pub shards: Vec<ShardRange>,
    /// The model the shards use (chosen by the selection when `kind = "auto"`).
    pub choice: Candidate,
    /// The pipeline's settings that decide the tables; every step must run with the same.
    pub settings: Value,
    /// The prepared matrix, audit and selection files.
    pub files: Vec<FileEntry>,
    /// The item-side model's files (none for a user model, which the shards learn).
    pub model: Option<ModelRecord>,
    /// The run's manifest as far as prepare knows it; publish completes it.
    pub manifest: Value,
    pub prepare: StepCost,
}

/// `done/<index>.json`: a finished shard's files and figures.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    pub run_id: String,
    pub index: usize,
    pub attempt: String,
    pub first: usize,
    pub end: usize,
    /// In `parts/`: the recommendations, then the customers' neighbours.
    pub files: Vec<FileEntry>,
    pub similarity: SimilarityReport,
    pub customer_neighbours: CustomerNeighboursReport,
    pub recommend: RecommendReport,
    pub finished_utc: String,
    pub cost: StepCost,
}

impl Marker {
    /// The shard's log line: which of how many, its customers, rows, time and run.
    fn line(&self, shards: usize) -> String {
        let (index, rows) = (self.index, self.recommend.rows_out);
        format!(
            "shard {index} of {shards}: customers {}..{}, {rows} recommendation rows in {:.2}s (run {})",
            self.first, self.end, self.cost.seconds, self.run_id
        )
    }
}

/// The settings every step must share: the whole configuration but where the input is read
/// from (the shards never read it), where the output folder and the pipeline file are
/// mounted, and the threads.
fn settings(cfg: &Config) -> Value {
    let mut v = serde_json::to_value(cfg).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        // what may differ between the steps (the input, the threads) and what follows from it:
        // `unread_note` names the [input] keys the input's format never reads (a pipeline's
        // `delimiter` over the Parquet export prepare was given: its shards were refused, exit
        // 2, naming a field that is no pipeline key)
        for key in ["input", "threads", "threads_note", "unread_note", "force", "pipeline"] {
            o.remove(key);
        }
    }
    if let Some(o) = v.get_mut("output").and_then(Value::as_object_mut) {
        o.remove("dir");
    }
    v
}

/// The first setting that differs, as `[section] key` with its two values.
fn first_difference(prepared: &Value, here: &Value, path: &str) -> Option<(String, String, String)> {
    match (prepared, here) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            keys.into_iter().find_map(|k| {
                let (x, y) = (a.get(k).unwrap_or(&Value::Null), b.get(k).unwrap_or(&Value::Null));
                let key = match (path, k.as_str()) {
                    ("", _) => format!("[{k}]"),
                    // held with the recommend rules, set in the pipeline file's [model]
                    ("[recommend]", "recency_half_life_days") => format!("[model] {k}"),
                    _ => format!("{path} {k}"),
                };
                first_difference(x, y, &key)
            })
        }
        _ if prepared == here => None,
        _ => Some((path.to_string(), prepared.to_string(), here.to_string())),
    }
}

/// The latest prepared run: its folder and plan.
/// `locked`: the caller holds the folder's lock (publish), so no prepare is writing.
fn latest(dir: &Path, locked: bool) -> Result<(PathBuf, Plan)> {
    check_shards_layout(dir)?;
    let shards = dir.join(SHARDS);
    let id = latest_id(&shards.join(LATEST)).ok_or_else(|| not_prepared(dir, locked))?;
    let folder = shards.join(&id);
    let path = folder.join(PLAN);
    let text = fs::read_to_string(&path).map_err(|e| ShardError::Damaged {
        path: path.clone(),
        detail: format!("cannot read the plan `shards/latest` names ({e})"),
    })?;
    let damaged = |detail: String| ShardError::Damaged { path: path.clone(), detail };
    let value: Value = serde_json::from_str(&text).map_err(|e| damaged(format!("not a plan kindred wrote ({e})")))?;
    // another version's plan may parse and still mean other things (models, files, settings)
    let ours = env!("CARGO_PKG_VERSION");
    if let Some(version) = value.get("kindred_version").and_then(Value::as_str).filter(|v| *v != ours) {
        let detail =
            format!("prepared by kindred {version}; this is kindred {ours}, which reads only its own version's plans");
        return Err(damaged(detail).into());
    }
    let plan: Plan = serde_json::from_value(value).map_err(|e| damaged(format!("not a plan kindred wrote ({e})")))?;
    if let Some(why) = plan::uncovered(&plan.shards, plan.customers) {
        let detail = format!("not a plan kindred wrote: its shards do not cover every customer once, in order ({why})");
        return Err(damaged(detail).into());
    }
    Ok((folder, plan))
}

/// No `shards/latest` in `dir`: never prepared, or the last prepare began and did not finish
/// (it removes `latest` first: a prepared or staging folder of a run's name is left).
/// `locked`: the caller holds the lock (the holder is itself).
fn not_prepared(dir: &Path, locked: bool) -> ShardError {
    // a prepare between renaming its folder in and linking `latest`: wait for it, as while it
    // writes (exit 1, "did not finish", before: helper-138)
    if let Some((run_id, pid)) = live_holder(dir).filter(|_| !locked) {
        return ShardError::Preparing { dir: dir.to_path_buf(), run_id, pid };
    }
    ShardError::NotPrepared { dir: dir.to_path_buf(), began: publish::holds_prepared(&dir.join(SHARDS)) }
}

/// Refuses a step run with other settings than the prepared run's.
fn check_settings(cfg: &Config, dir: &Path, plan: &Plan) -> Result<()> {
    match first_difference(&plan.settings, &settings(cfg), "") {
        None => Ok(()),
        Some((key, prepared, here)) => {
            Err(ShardError::Mismatch { dir: dir.to_path_buf(), run_id: plan.run_id.clone(), key, prepared, here }
                .into())
        }
    }
}

/// Writes `value` as JSON to `path` through a temporary name and an atomic rename, fsynced.
/// The temporary file (a name of this attempt's) goes if it is not renamed in: a full disk left
/// an empty `.<index>-<attempt>.json.tmp` in `done/` at every failed attempt (helper-115).
fn write_json_atomic(path: &Path, tmp: &Path, value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| OutputError::Json { path: path.to_path_buf(), detail: e.to_string() })?;
    let mut f = fs::File::create(tmp).map_err(io(tmp))?;
    let written = std::io::Write::write_all(&mut f, text.as_bytes()).and_then(|_| f.sync_all()).map_err(io(tmp));
    if let Err(e) = written.and_then(|_| fs::rename(tmp, path).map_err(io(path))) {
        let _ = fs::remove_file(tmp);
        return Err(e.into());
    }
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// What `kindred prepare` made.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub run_id: String,
    pub folder: PathBuf,
    pub shards: Vec<ShardRange>,
    pub customers: usize,
}

/// `kindred prepare`: the run up to the model, written for `shards` shards (see the module
/// doc). Holds the output folder's lock while it works; publishes nothing.
pub fn prepare(cfg: &Config, shards: usize) -> Result<Prepared> {
    on_threads(cfg.threads, || {
        let start = Instant::now();
        publish::check_output_dir(&cfg.output.dir, cfg.output.dir_key, &cfg.input.path)?;
        check_shards_layout(&cfg.output.dir)?;
        let (started, run_id) = (now_utc(), new_run_id());
        let shards_dir = cfg.output.dir.join(SHARDS);
        let staging = shards_dir.join(format!("{STAGING_PREFIX}{run_id}"));
        // The staging folder as the lock is taken, before the export is read: while it exists
        // beside the live lock, a shard waits (exit 4) rather than compute the prepared run
        // before this one (made after ingest, a shard started meanwhile did a whole shard's
        // work for a run already published, exit 0; made after the leftovers' removal, the
        // same in a shorter window: helper-108).
        // The older prepared run is no longer the one to shard or publish, from the moment the
        // lock is taken: a prepare refused, failed or killed from here leaves no `latest`, and
        // the night's shards and publish fail saying so. Left naming it, they worked on it and
        // exited 0: a night whose export a gate refused looked done, "already published", or
        // published the night before's (helpers 132, 133; removed later, a full disk or a kill
        // before the removal did the same: helper-138).
        let lock = Publisher::open_then(&cfg.output.dir, &run_id, &started, || {
            unpoint_latest(&shards_dir)?;
            begin_staging(&staging, &run_id)
        })?;
        // killed prepares' leftovers first, as a run's: on a tight volume they would fail this one
        remove_leftovers(&shards_dir, &run_id, |name| name.starts_with('.'));
        let folder = shards_dir.join(&run_id);
        let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            prepare_into(cfg, shards, &staging, (&run_id, &started, lock.sequence()), start).and_then(|plan| {
                sync_dir(&staging)?;
                fs::rename(&staging, &folder).map_err(io(&folder))?;
                point_latest(&shards_dir, &run_id)?;
                // the prepared runs before it, which no step uses now: kept until a publish
                // succeeded, a night whose shards failed left its plan for good (117 MB each on
                // the shipped export), and one prepared under a clock ahead, whose id sorts
                // last, until the clock caught up (helper-158). (A prepare refused or failed
                // leaves them: its shards and publish say the last prepare did not finish.)
                remove_leftovers(&shards_dir, &run_id, |_| true);
                Ok(plan)
            })
        }));
        // A prepare that fails or is refused leaves its record, as a run does (`kindred status`).
        let attempt = pipeline::Attempt { cfg, run_id: &run_id, started: &started, input: None };
        let plan = match made {
            Ok(Ok(plan)) => plan,
            Ok(Err(e)) => {
                let _ = publish::remove_proof_last(&staging, PROOFS);
                return Err(attempt.failed(lock, e));
            }
            Err(panic) => {
                let _ = publish::remove_proof_last(&staging, PROOFS);
                attempt.panicked(lock, panic.as_ref());
                std::panic::resume_unwind(panic)
            }
        };
        let p = Prepared { run_id, folder, shards: plan.shards, customers: plan.customers };
        let message =
            format!("{} in {}: {}", counted(p.customers, "customer"), counted(p.shards.len(), "shard"), describe(&p));
        step_line(cfg.quiet, "prepare", p.customers, start, &message);
        if let Some(note) = empty_note(&p) {
            crate::progress::note(cfg.quiet, &note);
        }
        Ok(p)
    })
}

/// A step's closing log line (json: stage = the step, its rows and seconds).
fn step_line(quiet: bool, step: &str, rows: usize, start: Instant, message: &str) {
    let seconds = Some(start.elapsed().as_secs_f64());
    let line = crate::progress::Line {
        stage: Some(step),
        rows: Some(rows),
        seconds,
        ..crate::progress::Line::new(crate::progress::Level::Info, message)
    };
    crate::progress::log_line(quiet, &line);
}

/// The shards' ranges of customers for the log, the first [`LISTED`] and the last (every one
/// is in `plan.json`): a line of 10,000 ranges said nothing a person reads.
fn describe(p: &Prepared) -> String {
    let range = |s: &ShardRange| format!("{}: {}..{}", s.index, s.first, s.end);
    let mut parts: Vec<String> = p.shards.iter().take(LISTED).map(range).collect();
    if let Some(last) = p.shards.last().filter(|_| p.shards.len() > LISTED) {
        let skipped = p.shards.len() - LISTED - 1;
        parts.push(format!("… {skipped} more (plan.json lists every one) …, {}", range(last)));
    }
    format!("{} (run {})", parts.join(", "), p.run_id)
}

const LISTED: usize = 16;

/// Said when shards hold no customer (more shards than blocks of customers, which a shard
/// never splits, or a block heavier than a shard's share): each still has to run before
/// `publish`, for nothing.
fn empty_note(p: &Prepared) -> Option<String> {
    let empty = p.shards.iter().filter(|s| s.first == s.end).count();
    let blocks = p.customers.div_ceil(plan::ALIGN);
    (empty > 0).then(|| {
        format!(
            "{empty} of {} hold no customer ({} in {} of {}, which a shard never splits): each must still run (`kindred shard --index I`) before `kindred publish`; prepare fewer shards",
            counted(p.shards.len(), "shard"),
            counted(p.customers, "customer"),
            counted(blocks, "block"),
            plan::ALIGN
        )
    })
}

/// Removes `shards/latest` (kindred's link: [`check_shards_layout`] refused any other entry of
/// that name) as a prepare begins.
fn unpoint_latest(shards_dir: &Path) -> Result<()> {
    let latest = shards_dir.join(LATEST);
    match entry(&latest)? {
        Some(meta) if meta.file_type().is_symlink() && latest_id(&latest).is_some() => {
            fs::remove_file(&latest).map_err(publish::removing(&latest))?;
            sync_dir(shards_dir)
        }
        _ => Ok(()),
    }
}

/// Swaps `shards/latest` to `run_id` atomically (a new link renamed over the old).
fn point_latest(shards_dir: &Path, run_id: &str) -> Result<()> {
    let tmp = shards_dir.join(format!("{LINK_PREFIX}{run_id}"));
    std::os::unix::fs::symlink(run_id, &tmp).map_err(io(&tmp))?;
    let latest = shards_dir.join(LATEST);
    fs::rename(&tmp, &latest).map_err(io(&latest))?;
    sync_dir(shards_dir)
}

/// Removes what kindred made in `shards/` and no longer needs: entries whose name is
/// `<run_id>`, `.staging-<run_id>` or `.latest-<run_id>` for another run than `keep`, of the
/// type kindred makes, chosen by `drop` (given the name). Best effort: a failure leaves it.
fn remove_leftovers(shards_dir: &Path, keep: &str, drop: impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(shards_dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        let id = name.strip_prefix(STAGING_PREFIX).or_else(|| name.strip_prefix(LINK_PREFIX)).unwrap_or(&name);
        if !is_run_id(id) || id == keep || !drop(&name) {
            continue;
        }
        let Ok(meta) = fs::symlink_metadata(e.path()) else { continue };
        if name.starts_with(LINK_PREFIX) && meta.file_type().is_symlink() {
            let _ = fs::remove_file(e.path());
        } else if !name.starts_with(LINK_PREFIX) && meta.is_dir() {
            let path = e.path();
            // an empty one too: what a removal stopped between its proof and its folder leaves
            // (kept, it was warned of on every publish: helper-138)
            let removed = publish::remove_left_folder(&path, |folder| is_prepared_by(folder, id), PROOFS);
            // kept — a person's file in it, or nothing proving it prepare's — is said, as a
            // run says of such a staging folder (it was kept for ever without a word)
            let why = match removed {
                Err(e) => Some(format!("it could not be removed ({e})")),
                Ok(()) if path.exists() => Some("it holds what kindred did not write, or nothing proves it prepare's (its mark or plan.json), so it is not removed; delete it by hand".to_string()),
                Ok(()) => None,
            };
            if let Some(why) = why {
                let size = publish::size_text(&path);
                crate::progress::warn(false, &format!("kept the old prepared run {} ({size}): {why}", path.display()));
            }
        }
    }
}

/// What proves a folder in `shards/` prepare's ([`is_prepared_by`]): removed last.
const PROOFS: &[&str] = &[publish::MARK, PLAN];

/// Whether `folder` (`<id>` or `.staging-<id>` in `shards/`) is prepare `id`'s: it holds only
/// what prepare and the shards write there, and its mark or its plan names run `id` (names
/// are not proof: a person's folder of a run's name holding a `pairs.parquet` was deleted).
fn is_prepared_by(folder: &Path, id: &str) -> bool {
    let plan_names_it = || {
        let text = fs::read_to_string(folder.join(PLAN)).ok();
        let plan = text.and_then(|t| serde_json::from_str::<Value>(&t).ok());
        plan.is_some_and(|p| p["run_id"] == id)
    };
    publish::holds_only(folder, &prepared_entry) && (publish::is_marked(folder, id) || plan_names_it())
}

/// Whether `inside` (a path in a prepared folder or its staging; `is_folder` its type) is
/// one `prepare` or `shard` writes there: the prepared files and the plan's temporary, the
/// `parts/` and `done/` folders, a shard's `<index>-<attempt>-<what>.parquet` parts and its
/// `<index>.json` marker (and the marker's `.<index>-<attempt>.json.tmp`). A prepared folder
/// holding anything else was added to by a person: never deleted.
fn prepared_entry(inside: &Path, is_folder: bool) -> bool {
    let names: Vec<&str> = inside.iter().filter_map(|c| c.to_str()).collect();
    let leading_digits = |n: &str| n.bytes().next().is_some_and(|b| b.is_ascii_digit());
    match (names.as_slice(), is_folder) {
        ([folder], true) => *folder == PARTS || *folder == DONE,
        ([name], false) => {
            crate::write::is_written_as(name, &store::PREPARED) || *name == ".plan.json.tmp" || *name == publish::MARK
        }
        ([PARTS, name], false) => leading_digits(name) && name.ends_with(".parquet"),
        ([DONE, name], false) => {
            name.strip_suffix(".json").is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
                || name.strip_prefix('.').is_some_and(|n| leading_digits(n) && n.ends_with(".json.tmp"))
        }
        _ => false,
    }
}

/// Creates `staging` (a new name, never an existing one) marked as run `run_id`'s, and
/// `shards/` if missing.
fn begin_staging(staging: &Path, run_id: &str) -> Result<()> {
    let shards_dir = staging.parent().unwrap_or(Path::new("."));
    if entry(shards_dir)?.is_none() {
        fs::create_dir(shards_dir).map_err(io(shards_dir))?;
    }
    publish::begin_marked(staging, run_id)
}

/// The prepared run written into `staging` (created here, in `shards/`, made if missing).
fn prepare_into(
    cfg: &Config,
    shards: usize,
    staging: &Path,
    (run_id, started, sequence): (&str, &str, u64),
    start: Instant,
) -> Result<Plan> {
    let chain = Chain::new(cfg.quiet);
    let front = pipeline::front(cfg, &chain).map_err(|e| match e {
        Error::Gate(refused) => Error::Gate(crate::error::GateError { prepare: true, ..refused }),
        e => e,
    })?;
    let m = &front.matrix;
    // The item-side model is learnt here, once; a user model's rows are the shards'.
    let fitted = match front.choice.family {
        Family::Popularity | Family::UserKnn => None,
        _ => Some(chain.chosen(m, &front.choice)?),
    };
    let plan = plan::balance(&m.customer_work(), shards);
    let mut files = store::save_matrix(staging, m, run_id)?;
    let null_audit = front.audited.to_frame().map_err(Error::frame("audit"))?;
    files.push(store::put(staging, NULL_AUDIT, null_audit, run_id)?);
    let selection = front.selection.as_ref().map_or_else(select::empty_frame, Selection::to_frame);
    files.push(store::put(staging, SELECTION, selection.map_err(Error::frame("select"))?, run_id)?);
    let model = match &fitted {
        Some((model, _)) => store::save_model(staging, model, run_id)?,
        None => None,
    };
    let similarity = match fitted {
        Some((_, report)) => report,
        None => select::no_model(m).1,
    };
    let reports = Reports {
        ingest: front.ingested,
        audit: front.audited,
        clean: front.cleaned,
        pivot: front.pivoted,
        similarity,
        customer_neighbours: to_come::neighbours(),
        recommend: to_come::recommend(),
        write: to_come::write(),
    };
    let run = Run {
        run_id,
        sequence,
        started: started.to_string(),
        input: front.input,
        gates: front.gates,
        selection: front.selection,
        drift: None,
    };
    let manifest = serde_json::to_value(Manifest::new(cfg, run, m, reports)).unwrap_or(Value::Null);
    let plan = Plan {
        run_id: run_id.to_string(),
        kindred_version: env!("CARGO_PKG_VERSION").to_string(),
        started_utc: started.to_string(),
        customers: m.n_customers(),
        items: m.n_items(),
        pairs: m.n_pairs(),
        total_work: plan.iter().map(|s| s.work).sum(),
        shards: plan,
        choice: front.choice,
        settings: settings(cfg),
        files,
        model,
        manifest,
        prepare: StepCost::since(start),
    };
    write_json_atomic(&staging.join(PLAN), &staging.join(".plan.json.tmp"), &plan)?;
    Ok(plan)
}

/// The reports of the stages the shards and publish run, empty in the manifest prepare
/// begins ([`finish_manifest`] fills them in).
mod to_come {
    use super::*;

    pub fn neighbours() -> CustomerNeighboursReport {
        let source = Source::Skipped;
        CustomerNeighboursReport {
            source,
            neighbours: 0,
            rows_in: 0,
            rows_out: 0,
            isolated: 0,
            threads: 0,
            seconds: 0.0,
            pruning: None,
        }
    }

    pub fn recommend() -> RecommendReport {
        RecommendReport {
            rows_in: 0,
            rows_out: 0,
            from_neighbours_rows: 0,
            popular_rows: 0,
            segment_rows: 0,
            topped_up_customers: 0,
            customers_without_rows: 0,
            withheld_items: 0,
            unknown_never_recommend: Vec::new(),
            seconds: 0.0,
        }
    }

    pub fn write() -> WriteReport {
        WriteReport { rows_in: 0, rows_out: 0, files: Vec::new(), seconds: 0.0 }
    }
}

/// The shard index: `--index`, else the first of [`INDEX_VARS`] that is set (`var` reads the
/// environment; tests pass their own).
pub fn index_from(arg: Option<usize>, var: impl Fn(&str) -> Option<String>) -> Result<usize, ShardError> {
    if let Some(i) = arg {
        return Ok(i);
    }
    // a variable set empty (a template's unfilled value) is unset
    let set = |name: &'static str| var(name).filter(|v| !v.trim().is_empty()).map(|v| (name, v));
    let (name, value) = INDEX_VARS.iter().find_map(|&name| set(name)).ok_or(ShardError::NoIndex)?;
    value.trim().parse().map_err(|_| ShardError::BadIndex { var: name.to_string(), value })
}

/// What one shard made.
#[derive(Debug, Clone)]
pub struct ShardDone {
    pub run_id: String,
    pub index: usize,
    pub customers: usize,
    pub rows: usize,
    pub marker: PathBuf,
}

/// Refuses (exit 4, retried) while a prepare writes in `dir`: the lock names a run that has not
/// stopped ([`Holder::has_stopped`]) and whose `shards/.staging-<id>` exists.
///
/// [`Holder::has_stopped`]: publish::lock::Holder::has_stopped A shard started then (a
/// scheduler not waiting for prepare) computed the previous prepared run and exited 0, so the
/// new run's publish waited for shards the scheduler counted done.
fn check_not_preparing(dir: &Path) -> Result<()> {
    let Some((run_id, pid)) = live_holder(dir) else { return Ok(()) };
    let staging = dir.join(SHARDS).join(format!("{STAGING_PREFIX}{run_id}"));
    match entry(&staging)?.is_some_and(|m| m.is_dir()) {
        true => Err(ShardError::Preparing { dir: dir.to_path_buf(), run_id, pid }.into()),
        false => Ok(()),
    }
}

/// The run id and pid of the run holding `dir`'s lock, when it names one that has not stopped.
fn live_holder(dir: &Path) -> Option<(String, u32)> {
    let holder = publish::lock::holder(dir).filter(|h| !h.has_stopped(dir, std::time::SystemTime::now()))?;
    Some((holder.run_id?, holder.pid))
}

/// A done-marker path that is not a file (a folder, a link): no rename replaces it.
fn not_a_marker(path: &Path, meta: &fs::Metadata, index: usize) -> OutputError {
    publish::unexpected(path, meta, format!("shard {index}'s done-marker, a file"))
}

/// `kindred shard --index I`: shard `index` of the latest prepared run (see the module doc).
/// Takes no lock: shards run side by side, and an index may run twice.
pub fn shard(cfg: &Config, index: usize) -> Result<ShardDone> {
    on_threads(cfg.threads, || {
        let start = Instant::now();
        check_not_preparing(&cfg.output.dir)?;
        let (folder, plan) = latest(&cfg.output.dir, false)?;
        // the shard's log lines name the prepared run it works for
        crate::progress::set_run_id(&plan.run_id);
        check_settings(cfg, &cfg.output.dir, &plan)?;
        let range = plan.shards.get(index).cloned().ok_or_else(|| ShardError::Index {
            index,
            run_id: plan.run_id.clone(),
            shards: plan.shards.len(),
        })?;
        if let Some(done) = shard_published(cfg, &folder, &plan, index) {
            return Ok(done);
        }
        // where the shard writes, made and checked before the work: a read-only mount or
        // another user's folder failed after the whole shard was computed (three times, with a
        // scheduler's retries)
        let (parts, done) = (folder.join(PARTS), folder.join(DONE));
        for d in [&parts, &done] {
            writable_inside(d)?;
        }
        // a marker path that is a folder (or a link) no rename replaces: said before the work,
        // as publish says it (found after the whole shard: helper-138)
        let marker = done.join(format!("{index}.json"));
        if let Some(meta) = entry(&marker)?.filter(|m| !m.is_file()) {
            return Err(not_a_marker(&marker, &meta, index).into());
        }
        let chain = Chain::new(cfg.quiet);
        let m = store::load_matrix(&folder, &plan.files, |m| wanted(&plan, m))?;
        let rows = range.rows();
        let (model, similarity) = match &plan.model {
            Some(record) => (store::load_model(&folder, record, m.n_items())?, empty_similarity(&plan)),
            None => chain.chosen_for(&m, &plan.choice, rows.clone())?,
        };
        let (nb, nb_report) = pipeline::customers_beside(&chain, cfg, &m, &model, &plan.choice, rows.clone());
        let (recs, rec_report) = chain.recommend_for(&m, &model, &plan.choice.recommend, rows.clone());
        let attempt = attempt_id();
        // a write into a prepared run a newer prepare removed meanwhile: said so (it read
        // "cannot write …: No such file or directory": helper-163)
        let replaced = |e: Error| match folder.exists() {
            true => e,
            false => ShardError::Replaced {
                dir: cfg.output.dir.clone(),
                run_id: plan.run_id.clone(),
                latest: latest_id(&cfg.output.dir.join(SHARDS).join(LATEST)),
            }
            .into(),
        };
        let files =
            write_parts(&parts, &format!("{index}-{attempt}"), (&recs, &nb), rows, &plan.run_id).map_err(replaced)?;
        let marker = Marker {
            run_id: plan.run_id.clone(),
            index,
            attempt: attempt.clone(),
            first: range.first,
            end: range.end,
            files,
            similarity,
            customer_neighbours: nb_report,
            recommend: rec_report,
            finished_utc: now_utc(),
            cost: StepCost::since(start),
        };
        let path = done.join(format!("{index}.json"));
        write_json_atomic(&path, &done.join(format!(".{index}-{attempt}.json.tmp")), &marker)
            .inspect_err(|_| remove_parts(&parts, &marker.files))
            .map_err(replaced)?;
        let rows_out = marker.recommend.rows_out;
        step_line(cfg.quiet, "shard", rows_out, start, &marker.line(plan.shards.len()));
        Ok(ShardDone { run_id: plan.run_id, index, customers: range.end - range.first, rows: rows_out, marker: path })
    })
}

/// A shard retried or started late, after its prepared run was published: as publish says
/// then, nothing to do (it recomputed a whole shard for nothing). `None` while unpublished.
fn shard_published(cfg: &Config, folder: &Path, plan: &Plan, index: usize) -> Option<ShardDone> {
    let (current, _) = published_from(&cfg.output.dir, &plan.run_id)?;
    let line =
        format!("shard {index}: prepared run {} is already published (run {current}); nothing to do", plan.run_id);
    log(cfg.quiet, &line);
    let marker = folder.join(DONE).join(format!("{index}.json"));
    Some(ShardDone { run_id: plan.run_id.clone(), index, customers: 0, rows: 0, marker })
}

/// Writes a shard's two parts into `parts/` as `<stem>-recommendations.parquet` and
/// `<stem>-neighbours.parquet` (the stem unique to the attempt), then syncs the folder. The
/// second not written (a full volume): the first goes too, as no marker will name it.
fn write_parts(
    parts: &Path,
    stem: &str,
    (recs, nb): (&recommend::Recommendations, &Neighbours),
    rows: std::ops::Range<usize>,
    run_id: &str,
) -> Result<Vec<FileEntry>> {
    let name = |what: &str| format!("{stem}-{what}.parquet");
    let first = store::put(parts, &name("recommendations"), store::recommendations_frame(recs, rows.clone())?, run_id)?;
    let second = store::neighbours_part(nb, rows)
        .and_then(|part| store::put(parts, &name("neighbours"), part, run_id))
        .inspect_err(|_| drop(fs::remove_file(parts.join(&first.file))))?;
    let files = vec![first, second];
    sync_dir(parts).inspect_err(|_| remove_parts(parts, &files))?;
    Ok(files)
}

/// Removes this attempt's parts, which no marker will name (its marker was not written: a full
/// disk): left, each failed attempt kept a whole shard's output in `parts/` until a publish
/// removed the prepared run (helper-115). Names of this attempt's only, so never another's.
fn remove_parts(parts: &Path, files: &[FileEntry]) {
    for f in files {
        let _ = fs::remove_file(parts.join(&f.file));
    }
}

/// Makes `dir`, a folder of a prepared run's, if it is missing — never the prepared run's
/// folder itself: one a newer publish removed while a late shard of it ran was made again by
/// `create_dir_all` and kept for ever, nothing proving it kindred's — and checks that this
/// process may write in it (`access(2)`: permissions and a read-only mount), naming it.
fn writable_inside(dir: &Path) -> Result<()> {
    match fs::create_dir(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(io(dir)(e).into()),
        _ => {}
    }
    crate::publish::may_write_in(dir)
}

/// What of the matrix a shard reads besides the purchases: the quantities when its user model
/// weighs them or the float kernel runs (a customer with more items than the integer kernel
/// counts), the last purchases for a half-life, the dates for the prior.
fn wanted(plan: &Plan, m: &crate::pivot::Interactions) -> store::Wanted {
    let (model, rec) = (&plan.choice.model, &plan.choice.recommend);
    let learns_user = plan.model.is_none() && plan.choice.family == Family::UserKnn;
    store::Wanted {
        quantity: !crate::similarity::counts_in_integers(m) || (learns_user && !model.is_plain_user()),
        last: rec.recency_half_life_days.is_some()
            || rec.popular_half_life_days.is_some()
            || rec.popular_season_days.is_some()
            || (learns_user && model.similarity_half_life_days.is_some()),
        dates: rec.popularity_exponent != 0.0 || rec.uses_exposure(),
    }
}

/// A shard's similarity report when the model was learnt by prepare (nothing learnt here).
fn empty_similarity(plan: &Plan) -> SimilarityReport {
    SimilarityReport {
        kind: plan.model.as_ref().map_or(plan.choice.model.kind, |r| r.kind),
        rows_in: 0,
        rows_out: 0,
        isolated: 0,
        pair_work: 0.0,
        threads: rayon::current_num_threads(),
        seconds: 0.0,
        pruning: None,
    }
}

/// A name unique to this attempt, on any host: the time, the pid and 32 random bits.
fn attempt_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    let time = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    format!("{time}-{}-{:08x}", std::process::id(), h.finish() as u32)
}

/// The run published from prepared run `prepared` (its manifest's `sharded.prepared_run_id`),
/// and whether `current` points to it: `current`'s run, else the latest kept published set so
/// made — `current` pointed back at an older run by hand since (a rollback: a retried publish
/// published the same prepared run again over it, exit 0; helper-106) or a later run published
/// after it. Either way a shard or publish of that run has nothing to do.
fn published_from(dir: &Path, prepared: &str) -> Option<(String, bool)> {
    let from = |run: &Path| {
        let manifest = publish::read_manifest(run);
        manifest.is_some_and(|m| m.pointer("/sharded/prepared_run_id").and_then(Value::as_str) == Some(prepared))
    };
    if let Some(id) = publish::current_run_id(dir).filter(|_| from(&dir.join(publish::CURRENT))) {
        return Some((id, true));
    }
    let ids = publish::run_ids(dir).ok()?;
    let published = ids.into_iter().rev().find(|id| {
        let run = dir.join(publish::RUNS).join(id);
        publish::is_published_set(&run) && from(&run)
    });
    published.map(|id| (id, false))
}

/// A prepared run not yet published, as `kindred status` shows it: its shards' done-markers. A
/// night whose shards never finished (one failing on every retry, the publish chained on them
/// never started) was `healthy` with nothing said (helper-148).
#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    pub run_id: String,
    pub started_utc: String,
    pub shards: usize,
    pub finished: usize,
    /// The indexes without a done-marker, the first [`PENDING_SHOWN`].
    pub missing: Vec<usize>,
}

/// How many missing indexes [`Pending`] lists.
const PENDING_SHOWN: usize = 16;

/// The prepared run `shards/latest` names, when neither published nor followed by a published
/// run, with its shards' progress; `None` otherwise, or when its plan cannot be read (a shard
/// or publish says why).
pub(crate) fn pending(dir: &Path) -> Option<Pending> {
    let shards = dir.join(SHARDS);
    let id = latest_id(&shards.join(LATEST))?;
    if published_from(dir, &id).is_some() {
        return None;
    }
    let folder = shards.join(&id);
    let plan: Plan = serde_json::from_str(&fs::read_to_string(folder.join(PLAN)).ok()?).ok()?;
    if published_since(dir, &plan).is_some() {
        return None;
    }
    let done = folder.join(DONE);
    let missing: Vec<usize> = (0..plan.shards.len()).filter(|i| !done.join(format!("{i}.json")).is_file()).collect();
    Some(Pending {
        run_id: plan.run_id,
        started_utc: plan.started_utc,
        shards: plan.shards.len(),
        finished: plan.shards.len() - missing.len(),
        missing: missing.into_iter().take(PENDING_SHOWN).collect(),
    })
}

/// The run `current` points to when it was published after `plan` was prepared: its manifest's
/// `sequence` at or past the one prepare read under the lock ([`Publisher::sequence`]: nothing
/// was recorded between). A plan or set of a kindred that recorded none (0.3, 0.4.0 before 2026-12-07): their ids
/// compare, the times they started at by their machines' clocks — a prepare after a run whose
/// clock ran ahead was refused as superseded until that clock's date came.
fn published_since(dir: &Path, plan: &Plan) -> Option<String> {
    let current = publish::current_run_id(dir)?;
    let set = publish::sequence_of(&dir.join(publish::RUNS).join(&current));
    let after = match (set, plan.manifest.get("sequence").and_then(Value::as_u64)) {
        (Some(set), Some(prepared)) => set >= prepared,
        _ => current > plan.run_id,
    };
    after.then_some(current)
}

/// What `kindred publish` did.
#[derive(Debug, Clone)]
pub struct Published {
    /// The published run (`runs/<run_id>`).
    pub run_id: String,
    /// The prepared run it joined.
    pub prepared: String,
    pub customers: usize,
    /// The prepared run was published before: nothing was done.
    pub already: bool,
}

/// `kindred publish`: the shards' parts joined and published as `kindred run` publishes (see
/// the module doc).
pub fn publish(cfg: &Config) -> Result<Published> {
    on_threads(cfg.threads, || {
        let start = Instant::now();
        let dir = &cfg.output.dir;
        // Each attempt is a run of its own (as `kindred run`). What is published, and what
        // `latest` names, is read under the lock: a `run` or another publish that finishes
        // before this one takes it is seen (read before, an older prepared run was published
        // over a newer run, or the same one twice). A plan that cannot be read (damaged,
        // another version's) or was made with other settings leaves the attempt's record:
        // without one, `kindred status` called a folder whose nightly publish failed healthy.
        // a folder that is not there, or holds nothing kindred made, holds no prepared run:
        // said before anything is written (a mistyped `--output` made the folder, its lock and a
        // failed run's record, one more record each time a Job retried — in a person's folder
        // too: helpers 123, 125). A kindred output folder gets its record, for `status`.
        let made = |name: &str| publish::entry(&dir.join(name)).map(|e| e.is_some());
        if publish::entry(dir)?.is_none()
            || ![SHARDS, publish::RUNS, publish::CURRENT].iter().any(|n| made(n).unwrap_or(true))
        {
            return Err(not_prepared(dir, false).into());
        }
        let (run_id, started) = (new_run_id(), now_utc());
        let publisher = Publisher::open(dir, &run_id, &started)?;
        // a refusal's record names the prepared run's export, or none where no plan reads: the
        // pipeline's file, read whole to hash it, was named (another night's, helper-158)
        let attempt = (run_id.as_str(), started.as_str());
        let unread = || {
            let path = cfg.input.path.display().to_string();
            Some(pipeline::FailedInput { path, bytes: None, sha256: None })
        };
        let (folder, plan) = match latest(dir, true) {
            Ok(latest) => latest,
            Err(e) => return pipeline::publish_locked_from(cfg, publisher, attempt, unread(), |_| Err(e)),
        };
        let refused = |publisher, e: Error| {
            pipeline::publish_locked_from(cfg, publisher, attempt, prepared_input(&plan), |_| Err::<Published, _>(e))
        };
        if let Err(e) = check_settings(cfg, dir, &plan) {
            return refused(publisher, e);
        }
        if let Some(done) = already_published(cfg, &publisher, &plan)? {
            return Ok(done);
        }
        if let Some(newer) = published_since(dir, &plan) {
            // recorded, as every refusal under the lock is (helper-106: `status` stayed healthy)
            let e = ShardError::Superseded { dir: dir.to_path_buf(), run_id: plan.run_id.clone(), newer };
            return refused(publisher, e.into());
        }
        // From here a failed or refused attempt leaves its record — a shard not finished too
        // (exit 5): without one, `kindred status` called a folder whose nightly publish kept
        // failing healthy (its last attempt was the last published run).
        pipeline::publish_locked_from(cfg, publisher, attempt, prepared_input(&plan), |publisher| {
            let markers = read_markers(&folder, &plan, dir)?;
            join_and_write(cfg, publisher, &folder, &plan, &markers, (&run_id, start))
        })?;
        remove_leftovers(&dir.join(SHARDS), &plan.run_id, |name| !name.starts_with('.') && *name < *plan.run_id);
        let message = format!("{} recommendations (run {run_id})", counted_own(plan.customers, "customer"));
        step_line(cfg.quiet, "publish", plan.customers, start, &message);
        Ok(Published { run_id, prepared: plan.run_id, customers: plan.customers, already: false })
    })
}

/// What `publish` of `plan`, a prepared run already published ([`published_from`]), does:
/// nothing. When `current` is that run, the fixed names it may lack (a first publish killed
/// after the switch, before linking them: the retry left the folder without them until the
/// next night) are linked and the older prepared runs it left removed (117 MB each on the
/// shipped export); when `current` was pointed elsewhere since, nothing at all. `None`: not
/// published.
fn already_published(cfg: &Config, publisher: &Publisher, plan: &Plan) -> Result<Option<Published>> {
    let dir = &cfg.output.dir;
    let Some((published, current)) = published_from(dir, &plan.run_id) else { return Ok(None) };
    let line = match current {
        true => {
            publisher.complete_links()?;
            remove_leftovers(&dir.join(SHARDS), &plan.run_id, |name| !name.starts_with('.') && *name < *plan.run_id);
            format!("publish: prepared run {} is already published (run {published}); nothing to do", plan.run_id)
        }
        false => format!(
            "publish: prepared run {} was published as run {published}, and `current` points at run {} since (pointed back by hand, or a later run published): nothing to do; to publish newer data, run prepare again",
            plan.run_id,
            publish::current_run_id(dir).unwrap_or_else(|| "none".to_string())
        ),
    };
    log(cfg.quiet, &line);
    Ok(Some(Published { run_id: published, prepared: plan.run_id.clone(), customers: plan.customers, already: true }))
}

/// The export a prepared run read, as its manifest so far names it.
fn prepared_input(plan: &Plan) -> Option<pipeline::FailedInput> {
    let input = plan.manifest.get("input")?;
    Some(pipeline::FailedInput {
        path: input.get("path")?.as_str()?.to_string(),
        bytes: input.get("bytes").and_then(Value::as_u64),
        sha256: input.get("sha256").and_then(Value::as_str).map(str::to_string),
    })
}

/// Every shard's marker, checked against the plan; refuses naming the shards without one.
fn read_markers(folder: &Path, plan: &Plan, dir: &Path) -> Result<Vec<Marker>> {
    let mut markers = Vec::with_capacity(plan.shards.len());
    let mut missing = Vec::new();
    for s in &plan.shards {
        let path = folder.join(DONE).join(format!("{}.json", s.index));
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                missing.push(s.index.to_string());
                continue;
            }
            // read, not written: a marker that is a folder or cannot be read was said as
            // "cannot write" (helper-133); a folder is no shard's, and no rerun replaces it
            Err(e) => {
                return Err(match entry(&path)? {
                    Some(meta) if !meta.is_file() => not_a_marker(&path, &meta, s.index),
                    _ => OutputError::Unreadable { path, source: e },
                }
                .into())
            }
        };
        let marker: Marker = serde_json::from_str(&text).map_err(|e| ShardError::Rerun {
            path: path.clone(),
            detail: format!("not a marker kindred wrote ({e})"),
            index: s.index,
            run_id: plan.run_id.clone(),
        })?;
        if (marker.run_id.as_str(), marker.index, marker.first, marker.end)
            != (plan.run_id.as_str(), s.index, s.first, s.end)
        {
            // the customers too: a marker of this shard over other customers named the shard
            // twice, "run X shard 1, not run X shard 1" (helper-123)
            let detail = format!(
                "it is for run {} shard {} (customers {}..{}), not run {} shard {} (customers {}..{})",
                marker.run_id, marker.index, marker.first, marker.end, plan.run_id, s.index, s.first, s.end
            );
            // a damaged marker, as the README's exit 5 says: that shard runs again (exit 1 and
            // "run prepare again" before)
            return Err(ShardError::Rerun { path, detail, index: s.index, run_id: plan.run_id.clone() }.into());
        }
        markers.push(marker);
    }
    if !missing.is_empty() {
        return Err(ShardError::Missing {
            dir: dir.to_path_buf(),
            run_id: plan.run_id.clone(),
            count: missing.len(),
            missing: missing.join(", "),
            shards: plan.shards.len(),
        }
        .into());
    }
    Ok(markers)
}

/// A shard's part that is missing or damaged: that shard must run again (exit 5).
fn rerun(e: Error, index: usize, run_id: &str) -> Error {
    match e {
        Error::Shard(s) => match *s {
            ShardError::Damaged { path, detail } => {
                ShardError::Rerun { path, detail, index, run_id: run_id.to_string() }.into()
            }
            other => other.into(),
        },
        other => other,
    }
}

/// Joins the parts the markers name, checks the gates and writes the set into the staging
/// folder with its manifest.
fn join_and_write(
    cfg: &Config,
    publisher: &Publisher,
    folder: &Path,
    plan: &Plan,
    markers: &[Marker],
    (run_id, start): (&str, Instant),
) -> Result<()> {
    let chain = Chain::new(cfg.quiet);
    let m = store::load_matrix(folder, &plan.files, |_| store::Wanted::ALL)?;
    let n = m.n_customers();
    let parts = folder.join(PARTS);
    let read = |k: usize| {
        let part = |mk: &Marker| store::get(&parts, &mk.files[k]).map_err(|e| rerun(e, mk.index, &plan.run_id));
        markers.iter().map(part).collect::<Result<Vec<_>>>()
    };
    let recs = store::join_recommendations(&read(0)?, n)?;
    let mut nb = store::join_neighbours(&read(1)?, n)?;
    let (model, own) = match (&plan.model, plan.choice.family) {
        (Some(record), _) => (store::load_model(folder, record, m.n_items())?, false),
        (None, Family::Popularity) => (select::no_model(&m).0, false),
        (None, _) => (Model::User(std::mem::take(&mut nb)), true),
    };
    let customer_nb: &Neighbours = if own { model.neighbours() } else { &nb };
    let seconds: f64 = markers.iter().map(|mk| mk.recommend.seconds).sum();
    let rec_report = RecommendReport::of(&recs, 0..n, seconds)
        .withholding(&recommend::withheld(&m, &plan.choice.recommend.never_recommend));
    let previous = pipeline::previous_run(&cfg.output.dir);
    pipeline::warn_stand_in(previous.as_ref(), cfg);
    let selection = store::get(folder, store::entry(&plan.files, SELECTION, folder)?)?;
    let popular = select::chosen_scored(&selection).filter(|_| plan.choice.family == Family::Popularity);
    let mut made = pipeline::check_output_gates(cfg, &rec_report, previous, popular);
    let (drift, drift_report, drift_gate) = pipeline::drift_against_previous(cfg, &chain, &m, &recs);
    made.extend(drift_gate);
    pipeline::warn_unrecorded(&made, cfg.quiet);
    pipeline::enforce(&[], &made, cfg.force, cfg.quiet)?;
    let staging = publisher.begin()?;
    let null_audit = store::get(folder, store::entry(&plan.files, NULL_AUDIT, folder)?)?;
    let outputs = Outputs {
        matrix: &m,
        model: &model,
        customer_neighbours: customer_nb,
        recommendations: &recs,
        null_audit: &null_audit,
        selection: &selection,
        drift: &drift,
        run_id,
    };
    let written = chain.write(&staging, &outputs, cfg.output.compression)?;
    let done = Done { recommend: rec_report, drift: drift_report, write: written, made };
    let manifest = finish_manifest(cfg, plan, markers, done, (run_id, publisher.sequence(), start));
    let tables = report::Tables { matrix: &m, recommendations: &recs, customer_neighbours: customer_nb };
    pipeline::finish_set(&chain, &staging, &manifest, &tables).map(drop)
}

/// The shards' reports of one kind summed into the one-machine run's (`add` adds one in).
fn summed<R>(mut reports: impl Iterator<Item = R>, add: impl Fn(&mut R, &R)) -> Option<R> {
    let mut total = reports.next()?;
    reports.for_each(|r| add(&mut total, &r));
    Some(total)
}

fn summed_similarity(plan: &Plan, markers: &[Marker]) -> Option<SimilarityReport> {
    // learnt by prepare (an item model) or not at all (popularity): prepare's report stands
    if plan.model.is_some() || plan.choice.family == Family::Popularity {
        return None;
    }
    summed(markers.iter().map(|mk| mk.similarity.clone()), |t, s| {
        (t.rows_in, t.rows_out, t.isolated) = (t.rows_in + s.rows_in, t.rows_out + s.rows_out, t.isolated + s.isolated);
        (t.pair_work, t.seconds, t.threads) =
            (t.pair_work + s.pair_work, t.seconds + s.seconds, t.threads.max(s.threads));
        add_pruning(&mut t.pruning, s.pruning);
    })
}

fn summed_neighbours(markers: &[Marker]) -> Option<CustomerNeighboursReport> {
    summed(markers.iter().map(|mk| mk.customer_neighbours.clone()), |t, s| {
        (t.rows_in, t.rows_out, t.isolated) = (t.rows_in + s.rows_in, t.rows_out + s.rows_out, t.isolated + s.isolated);
        (t.seconds, t.threads) = (t.seconds + s.seconds, t.threads.max(s.threads));
        add_pruning(&mut t.pruning, s.pruning);
    })
}

/// The kernel's pruning counts, summed (whole numbers: the sum is the one-machine run's).
fn add_pruning(total: &mut Option<Pruning>, shard: Option<Pruning>) {
    match (total.as_mut(), shard) {
        (Some(t), Some(s)) => t.add(&s),
        (None, s) => *total = s,
        (Some(_), None) => {}
    }
}

/// What publish made after the shards: the joined lists' report, the drift, the write and the
/// gates on them.
struct Done {
    recommend: RecommendReport,
    drift: DriftReport,
    write: WriteReport,
    made: Vec<GateCheck>,
}

/// The manifest prepare began, completed: the shards' stages, the gates on what they made,
/// the drift, the write, and the `sharded` object (the plan, each shard's attempt and cost).
fn finish_manifest(
    cfg: &Config,
    plan: &Plan,
    markers: &[Marker],
    done: Done,
    (run_id, sequence, start): (&str, u64, Instant),
) -> Value {
    let Done { recommend, drift, write, made } = done;
    let mut v = plan.manifest.clone();
    v["run_id"] = json!(run_id);
    v["sequence"] = json!(sequence);
    if let Some(stages) = v["stages"].as_array_mut() {
        let at = stages.iter().position(|s| s["name"] == "recommend").map_or(stages.len(), |p| p + 1);
        stages.insert(at, to_json(&pipeline::drift_stage(&drift)));
    }
    v["drift"] = to_json(&drift);
    if let Some(s) = summed_similarity(plan, markers) {
        v["reports"]["similarity"] = to_json(&s);
    }
    if let Some(s) = summed_neighbours(markers) {
        v["reports"]["customer_neighbours"] = to_json(&s);
    }
    v["reports"]["recommend"] = to_json(&recommend);
    v["reports"]["write"] = to_json(&write);
    let publish_cost = StepCost::since(start);
    let mut gates: Vec<Value> = v["gates"].as_array().cloned().unwrap_or_default();
    gates.extend(made.iter().map(to_json));
    // forced at prepare (a gate on the input), or here (a gate on what the shards made)
    let forced_here = cfg.force && made.iter().any(|g| !g.passed);
    v["forced"] = json!(v["forced"] == json!(true) || forced_here);
    v["gates"] = Value::Array(gates);
    v["finished_utc"] = json!(now_utc());
    let peak = markers
        .iter()
        .map(|mk| mk.cost.peak_rss_bytes)
        .chain([plan.prepare.peak_rss_bytes, publish_cost.peak_rss_bytes]);
    v["peak_rss_bytes"] = json!(peak.max().unwrap_or(0));
    restage(&mut v);
    let shards: Vec<Value> = markers
        .iter()
        .map(|mk| {
            json!({"index": mk.index, "first": mk.first, "end": mk.end, "attempt": mk.attempt,
                   "finished_utc": mk.finished_utc, "seconds": mk.cost.seconds,
                   "cpu_seconds": mk.cost.cpu_seconds, "peak_rss_bytes": mk.cost.peak_rss_bytes,
                   "work": plan.shards[mk.index].work})
        })
        .collect();
    v["sharded"] = json!({
        "prepared_run_id": plan.run_id,
        "shards": plan.shards.len(),
        "total_work": plan.total_work,
        "prepare": to_json(&plan.prepare),
        "shard": shards,
        "publish": to_json(&publish_cost),
    });
    v
}

/// The stage list's lines for the stages the shards and publish ran, from their reports.
fn restage(v: &mut Value) {
    let reports = v["reports"].clone();
    let Some(stages) = v["stages"].as_array_mut() else { return };
    for stage in stages {
        let name = stage["name"].as_str().unwrap_or_default().to_string();
        if ["similarity", "customer_neighbours", "recommend", "write"].contains(&name.as_str()) {
            for key in ["seconds", "rows_in", "rows_out"] {
                stage[key] = reports[&name][key].clone();
            }
        }
    }
}

/// A report as a JSON value (plain structs of numbers and text: serialising cannot fail).
fn to_json(x: &impl Serialize) -> Value {
    serde_json::to_value(x).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests;
