//! `kindred status`: an output folder's health, for the operator's monitor.
//!
//! Reads, never writes nor takes the lock: the last published run from `current/manifest.json`
//! (run id, finished, age, customers, input checksum) and the last attempt — the newest run
//! folder under `runs/` that kindred made ([`run_folder`]: a published set or a failed run's
//! record; a person's copy of a set under a later run's name is not one, named instead): its
//! status, age and error — or, newer than those, a run that took the lock and stopped
//! without finishing (killed: its `.lock` still names it and its heartbeat stopped, see
//! [`crate::publish::lock`]), and a run holding the lock now. Healthy (exit 0) unless the last
//! attempt failed, was refused or was interrupted, nothing is published, or the published set
//! finished longer ago than `--max-age` (exit 6).

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::publish::run_started as started;
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Exit, OutputError, Result};
use crate::publish::lock::{self, Holder};
use crate::publish::{
    check_layout_taking, check_shards_layout, current_run_id, dangling_current, inspect, is_failure_record,
    is_published_set, published_run, run_folder, run_ids, unread_manifest, Damage, Depth, Harm, Inspection, RunFolder,
    UnreadManifest, CURRENT, RUNS,
};
use crate::words::counted;
use crate::write::file;

/// What `kindred status` found.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    #[serde(serialize_with = "crate::config::path_text")]
    pub dir: PathBuf,
    pub healthy: bool,
    /// Why it is unhealthy, one sentence each; empty when healthy.
    pub problems: Vec<String>,
    pub max_age_seconds: Option<u64>,
    pub published: Option<Published>,
    pub last_attempt: Option<LastAttempt>,
    /// The folders of `runs/` named by a run id, newer than the last attempt, that are not it:
    /// nothing proves kindred made them (a person's copy: every run leaves them uncounted), or
    /// this account cannot read them (a problem: one may be a later attempt). Each
    /// `runs/<name>: why`, at most [`IGNORED_SHOWN`] and a line of how many more.
    pub ignored_runs: Vec<String>,
    /// A run holding the output folder's lock now (its heartbeat is fresh).
    pub running: Option<Running>,
    /// A sharded run prepared and not yet published, with its shards' progress: running, or
    /// stopped where a scheduler left it (a shard failing every retry, its publish never
    /// started). Not a problem by itself: `--max-age` tells a night that never published.
    pub prepared: Option<crate::shard::Pending>,
}

/// The run that holds the lock, from `.lock`.
#[derive(Debug, Clone, Serialize)]
pub struct Running {
    /// `None` for a run of kindred before 0.4.0, whose lock names its pid and start only.
    pub run_id: Option<String>,
    pub pid: u32,
    pub host: Option<String>,
    pub started_utc: String,
    /// Seconds since the lock was last touched (every 30 s while the run lives).
    pub heartbeat_age_seconds: u64,
}

/// The published run (`current`).
#[derive(Debug, Clone, Serialize)]
pub struct Published {
    pub run_id: String,
    pub finished_utc: Option<String>,
    pub age_seconds: Option<u64>,
    pub customers: Option<u64>,
    pub input_path: Option<String>,
    /// The same made absolute by the run (null before 2026-12-05): a relative `input_path` is
    /// the run's working folder's, which the table shows instead.
    pub input_absolute_path: Option<String>,
    pub input_sha256: Option<String>,
    /// The first published run that read the same export, byte for byte (`input.unchanged_since`
    /// in its manifest): the data has not changed since; none when it had.
    pub input_unchanged_since: Option<String>,
    /// The weekdays its export had no purchase on in its last weeks (`reports.clean.
    /// quiet_weekdays`): an unchanged export's age does not count them.
    pub quiet_weekdays: Vec<String>,
    /// The set's files its manifest lists that are missing or not of the size written (each
    /// shown `name: what`); empty for a whole set.
    pub damaged: Vec<Damage>,
    /// The gates `--force` published past (each `gate: detail`); empty when none was.
    pub forced_gates: Vec<String>,
    /// Its manifest's `schema_version`; one later than this kindred's means a newer kindred
    /// wrote the set, whose added fields this status does not know.
    pub schema_version: Option<u64>,
    /// The newest whole published set under `runs/` that is later than this one, when there
    /// is one: `current` was pointed back by hand (a rollback, which the next run's publish
    /// replaces), or that set stopped before its switch.
    pub newer_set: Option<String>,
    /// What `--verify` read of the set's files; none without it.
    pub verified: Option<Verified>,
}

/// The published set's files `--verify` read whole ([`Depth::Contents`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// How many were read and their SHA-256 compared with the one the manifest records (one that
    /// differs is in `damaged`).
    pub compared: usize,
    /// Those its manifest records no SHA-256 for (a set written by an earlier kindred):
    /// checked by size and footer only, which is not damage.
    pub without_sha256: Vec<String>,
}

/// The newest run folder: published, or a failed or refused run's record.
#[derive(Debug, Clone, Serialize)]
pub struct LastAttempt {
    pub run_id: String,
    /// `"published"`, `"failed"`, `"refused"`, `"interrupted"` (it took the lock and stopped
    /// without finishing or leaving a record: killed), or `"unknown"` (no readable manifest).
    pub status: String,
    pub finished_utc: Option<String>,
    pub age_seconds: Option<u64>,
    /// The error's first line, for a failed or refused run; what is known, for an interrupted one.
    pub error: Option<String>,
    pub input_sha256: Option<String>,
}

/// The status of the output folder `dir` now; unhealthy past `max_age` when given. The
/// published set's files are read to `depth`: sizes and footers, or every byte (`--verify`).
pub fn check(dir: &Path, max_age: Option<Duration>, depth: Depth) -> Result<Status> {
    check_at(dir, max_age, depth, Utc::now())
}

/// How many times the folder is looked at before what the last look saw is said ([`settled`]).
const LOOKS: usize = 5;

/// The status of `dir` as of `now`. A missing folder, one that is not kindred's, or one whose
/// managed names hold what kindred did not make is an error (exit 1), not a status.
pub fn check_at(dir: &Path, max_age: Option<Duration>, depth: Depth, now: DateTime<Utc>) -> Result<Status> {
    settled(dir, || look(dir, max_age, depth, now))
}

/// What `look` finds in `dir` while nothing changed there: the published set, the runs and the
/// lock are read one after another, and a run that publishes or records its end meanwhile was
/// seen in part — its lock let go but its record not yet read ("interrupted … killed"), or
/// `current` moved and the set read gone ("damaged", "rolled back"): a probe paged for a run
/// that succeeded, 1 look in 130–700 beside back-to-back runs (helper-120). Looked at again,
/// up to [`LOOKS`] times, until the folder's [`Glance`] is the same after a look as before it.
fn settled<T>(dir: &Path, mut look: impl FnMut() -> Result<T>) -> Result<T> {
    let mut before = Glance::of(dir);
    for _ in 1..LOOKS {
        let found = look();
        let after = Glance::of(dir);
        if after == before {
            return found;
        }
        before = after;
    }
    look()
}

/// What a run changes as it publishes or records its end: where `current` points, the names
/// in `runs/`, and the lock file's text and time.
#[derive(Debug, PartialEq)]
struct Glance {
    current: Option<PathBuf>,
    runs: Vec<std::ffi::OsString>,
    lock: Option<(Vec<u8>, Option<SystemTime>)>,
}

impl Glance {
    fn of(dir: &Path) -> Glance {
        let mut runs: Vec<_> = fs::read_dir(dir.join(RUNS))
            .map(|entries| entries.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        runs.sort();
        let lock = dir.join(lock::LOCK);
        let lock = fs::read(&lock).ok().map(|text| (text, fs::metadata(&lock).and_then(|m| m.modified()).ok()));
        Glance { current: fs::read_link(dir.join(CURRENT)).ok(), runs, lock }
    }
}

/// One look at `dir` ([`check_at`]).
fn look(dir: &Path, max_age: Option<Duration>, depth: Depth, now: DateTime<Utc>) -> Result<Status> {
    check_folder(dir)?;
    let mut published = published_run(dir)?.map(|run| published(&run, depth, now));
    let (mut last_attempt, ignored) = last_attempt(dir, now)?;
    let mut running = None;
    let mut lock_ahead = None;
    if let Some(holder) = lock::holder(dir) {
        let heartbeat_age = SystemTime::from(now).duration_since(holder.touched).unwrap_or_default().as_secs();
        // dated ahead where no flock tells (another machine): whether it runs is unknown here,
        // so it is not taken as stopped (a run watches it before taking it over)
        let ahead = holder.touched.duration_since(SystemTime::from(now)).ok().filter(|&a| a > lock::STALE_AFTER);
        let ahead = ahead.filter(|_| !holder.flock_seen(dir));
        match ahead.is_none() && holder.has_stopped(dir, SystemTime::from(now)) {
            false => {
                // a set newer than `current`'s that the live run made is being switched in
                // (moved into runs/, `current` not yet swapped), not rolled back from: said so
                // to 1 look in 87 beside back-to-back runs (helper-143)
                if let Some(p) = published.as_mut().filter(|p| p.newer_set.is_some() && p.newer_set == holder.run_id) {
                    p.newer_set = None;
                }
                // a problem until the clocks agree
                lock_ahead = ahead.map(|a| lock_ahead_problem(&holder, a, now));
                running = Some(Running::from(holder, heartbeat_age))
            }
            true if published_nothing(dir, &holder, last_attempt.as_ref()) => {
                last_attempt = Some(LastAttempt::interrupted(holder, heartbeat_age))
            }
            true => {} // it finished its record or publish and was stopped letting go
        }
    }
    let mut problems = problems(dir, published.as_ref(), last_attempt.as_ref(), max_age, now);
    problems.extend(lock_ahead);
    problems.extend(ignored.iter().filter(|i| i.unreadable).map(|i| {
        format!("{}: whether it is a later attempt is unknown (read status as the account the runs write as)", i.text())
    }));
    Ok(Status {
        dir: dir.to_path_buf(),
        healthy: problems.is_empty(),
        problems,
        max_age_seconds: max_age.map(|a| a.as_secs()),
        published,
        last_attempt,
        ignored_runs: shown_ignored(&ignored),
        running,
        prepared: crate::shard::pending(dir),
    })
}

impl Running {
    fn from(holder: Holder, heartbeat_age_seconds: u64) -> Running {
        let Holder { pid, started, run_id, host, .. } = holder;
        Running { run_id, pid, host, started_utc: started, heartbeat_age_seconds }
    }
}

impl LastAttempt {
    /// A run the lock still names, whose heartbeat stopped: killed, or its machine stopped.
    fn interrupted(holder: Holder, heartbeat_age: u64) -> LastAttempt {
        let silent = format!("its heartbeat silent for {}", age_text(heartbeat_age));
        let error = format!("{}; it published nothing", holder.interrupted(&silent));
        LastAttempt {
            run_id: holder
                .run_id
                .unwrap_or_else(|| format!("unknown (pid {}, started {})", holder.pid, holder.started)),
            status: "interrupted".into(),
            finished_utc: None,
            age_seconds: Some(heartbeat_age),
            error: Some(error),
            input_sha256: None,
        }
    }
}

/// True when the lock's run published nothing: no record or set of it exists (a run that took
/// the lock later would have rewritten the lock), or it is the last run folder recorded, a set
/// `current` does not point to (stopped between moving its set into `runs/` and switching
/// `current`; a set rolled back from is named by no lock, for a run that finishes empties it).
fn published_nothing(dir: &Path, holder: &Holder, last: Option<&LastAttempt>) -> bool {
    let Some(last) = last else { return true };
    match &holder.run_id {
        Some(id) if *id == last.run_id => {
            last.status == "published" && current_run_id(dir).as_deref() != Some(id.as_str())
        }
        // none of its folder: the lock names the last run that took it, so a run folder of any
        // other name was recorded before it — whatever the clocks that dated them said
        Some(id) => fs::symlink_metadata(dir.join(RUNS).join(id)).is_err(),
        // a lock written before 0.4.0 names its start only
        None => {
            let at = DateTime::parse_from_rfc3339(&holder.started).ok().map(|t| t.with_timezone(&Utc));
            at.zip(started(&last.run_id)).is_some_and(|(at, last)| at > last + chrono::Duration::seconds(1))
        }
    }
}

/// Refuses a folder that is missing, not a folder, not kindred's output (it holds other
/// things but none of kindred's names) or laid out by someone else
/// ([`crate::publish::check_layout`]). The published set's manifest that cannot be read is not
/// refused: it is reported as one of the set's files this account cannot read (exit 6), as a
/// table is.
fn check_folder(dir: &Path) -> Result<()> {
    let read = |detail: &str| OutputError::Read { path: dir.to_path_buf(), detail: detail.to_string() };
    let meta = match fs::metadata(dir) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(read("no such folder; pass the folder `kindred run` publishes to (its [output] dir)").into())
        }
        Err(source) => return Err(OutputError::Unreadable { path: dir.to_path_buf(), source }.into()),
    };
    if !meta.is_dir() {
        return Err(OutputError::NotADirectory { path: dir.to_path_buf() }.into());
    }
    let entries: Vec<String> = fs::read_dir(dir)
        .map_err(|source| OutputError::Unreadable { path: dir.to_path_buf(), source })?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    // a folder only `kindred evaluate` wrote to is kindred's too: nothing published (exit 6)
    let ours = |name: &String| {
        [RUNS, CURRENT, ".lock", file::EVALUATION].contains(&name.as_str()) || name.starts_with(".staging-")
    };
    // what tools and file systems leave in any folder (the repo's `output/.gitkeep`, a new
    // volume's `lost+found`, `.DS_Store`) tells nothing of whose it is: a fresh clone's output
    // folder, or a new volume's, has nothing published (exit 6), not someone else's files (1)
    let incidental = |name: &String| name.starts_with('.') || name == "lost+found";
    if entries.iter().any(|e| !incidental(e)) && !entries.iter().any(ours) {
        return Err(read("not a kindred output folder (no runs/, current, .lock or evaluation.parquet in it); pass the folder `kindred run` publishes to").into());
    }
    check_layout_taking(dir, UnreadManifest::Reported)?;
    check_shards_layout(dir)
}

/// Run folder `run`'s manifest, if it reads as JSON and names `run_id`: one naming no run or
/// another (a person's edit, `{}`; a damaged set's) vouches for nothing.
fn own_manifest(run: &Path, run_id: &str) -> Option<serde_json::Value> {
    crate::publish::read_manifest(run).filter(|m| text(m, "/run_id").as_deref() == Some(run_id))
}

fn text(m: &serde_json::Value, pointer: &str) -> Option<String> {
    m.pointer(pointer).and_then(|v| v.as_str()).map(str::to_string)
}

/// When a run finished (its manifest's `finished_utc`, else the start its id records), and how
/// long ago that is.
fn finished(run_id: &str, m: Option<&serde_json::Value>, now: DateTime<Utc>) -> (Option<String>, Option<u64>) {
    let stamp = m.and_then(|m| text(m, "/finished_utc"));
    let at = stamp
        .as_deref()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc)))
        .or_else(|| started(run_id));
    (stamp, at.map(|at| (now - at).num_seconds().max(0) as u64))
}

/// How far ahead of this machine's clock a run may be dated before it is a problem: clocks of
/// machines sharing a folder differ by seconds under NTP; minutes mean one ran ahead.
const CLOCK_SLACK: chrono::Duration = chrono::Duration::minutes(10);

fn published(run: &Path, depth: Depth, now: DateTime<Utc>) -> Published {
    let run_id = run.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // one naming no run vouches for nothing: damaged, below
    let m = own_manifest(run, &run_id);
    let (finished_utc, age_seconds) = finished(&run_id, m.as_ref(), now);
    let inspection = match &m {
        Some(m) => inspect(run, m, depth),
        // `check_layout` let it through: its tables name the run (a damaged manifest), or it
        // cannot be read
        None => Inspection {
            damaged: vec![Damage::new(file::MANIFEST, unread_manifest(&run.join(file::MANIFEST)))],
            ..Default::default()
        },
    };
    Published {
        finished_utc,
        age_seconds,
        customers: m.as_ref().and_then(|m| m.get("customers")).and_then(|v| v.as_u64()),
        input_path: m.as_ref().and_then(|m| text(m, "/input/path")),
        input_absolute_path: m.as_ref().and_then(|m| text(m, "/input/absolute_path")),
        input_sha256: m.as_ref().and_then(|m| text(m, "/input/sha256")),
        input_unchanged_since: m.as_ref().and_then(|m| text(m, "/input/unchanged_since")),
        quiet_weekdays: m
            .as_ref()
            .and_then(|m| m.pointer("/reports/clean/quiet_weekdays"))
            .and_then(|v| v.as_array())
            .map(|days| days.iter().filter_map(|d| d.as_str().map(String::from)).collect())
            .unwrap_or_default(),
        forced_gates: m.as_ref().map(forced_gates).unwrap_or_default(),
        schema_version: m.as_ref().and_then(|m| m.get("schema_version")).and_then(|v| v.as_u64()),
        newer_set: newer_set(run, &run_id),
        verified: (depth == Depth::Contents)
            .then_some(Verified { compared: inspection.compared, without_sha256: inspection.without_sha256 }),
        damaged: {
            let unlinked = unlinked(run, &inspection.damaged);
            inspection.damaged.into_iter().chain(unlinked).collect()
        },
        run_id,
    }
}

/// The last published set beside `run` ([`is_published_set`]) recorded after `run_id`
/// ([`run_ids`]): a set `current` no longer points to although it is newer.
fn newer_set(run: &Path, run_id: &str) -> Option<String> {
    let runs = run.parent()?;
    let ids = run_ids(runs.parent()?).ok()?;
    let at = ids.iter().position(|id| id == run_id)?;
    ids[at + 1..].iter().rev().find(|id| is_published_set(&runs.join(id))).cloned()
}

/// The gates a forced run published past, each `gate: detail` (`forced` and `gates` in its
/// manifest): a deliberate publish, which a status that read "healthy" alone hid.
fn forced_gates(m: &serde_json::Value) -> Vec<String> {
    if m.get("forced").and_then(|f| f.as_bool()) != Some(true) {
        return Vec::new();
    }
    let gates = m.get("gates").and_then(|g| g.as_array()).into_iter().flatten();
    let failed = gates.filter(|g| g.get("passed").and_then(|p| p.as_bool()) == Some(false));
    failed
        .map(|g| format!("{}: {}", text(g, "/gate").unwrap_or_default(), text(g, "/detail").unwrap_or_default()))
        .collect()
}

/// The set's files that have no fixed top-level link (`<dir>/<name>` -> `current/<name>`): a
/// run that could not make one (no inode left) published a set that name does not reach, and
/// read as healthy while a dashboard reading it found nothing. The next run makes it. And the
/// fixed links that lead to no file of the set: an older kindred (rolled back to) published a
/// set without a file a later one linked (`drift.parquet`, `report.html`), and every reader of
/// the link failed while the folder read as healthy. A file `damaged` already names is not
/// named again.
fn unlinked(run: &Path, damaged: &[Damage]) -> Vec<Damage> {
    let Some(dir) = run.parent().and_then(Path::parent) else { return Vec::new() };
    let missing = |name: &&&str| run.join(name).is_file() && fs::symlink_metadata(dir.join(name)).is_err();
    let fixed = |name: &str| fs::read_link(dir.join(name)).is_ok_and(|to| to == Path::new(CURRENT).join(name));
    let named = |name: &str| damaged.iter().any(|d| d.file == name);
    let dangling = |name: &&&str| fixed(name) && fs::symlink_metadata(run.join(name)).is_err() && !named(name);
    let unlinked = file::ALL.iter().filter(missing).map(|name| Damage::new(name, Harm::Unlinked));
    let dangling = file::ALL.iter().filter(dangling).map(|name| Damage::new(name, Harm::Dangling));
    unlinked.chain(dangling).collect()
}

/// The newest folder of `runs/` that kindred made ([`run_folder`]: a published set, a failed
/// run's record, a set with its manifest damaged), read; and the run-id-named folders newer
/// than it that nothing proves kindred's, each `runs/<name>: why`. A person's `cp -a runs/<id>
/// runs/<later id>` was the last attempt, "published", though its manifest names another run
/// and every run leaves it uncounted (helper-111).
fn last_attempt(dir: &Path, now: DateTime<Utc>) -> Result<(Option<LastAttempt>, Vec<Ignored>)> {
    let runs = dir.join(RUNS);
    // the last recorded first, whatever the clocks that dated them said
    let ids = match run_ids(dir) {
        Ok(ids) => ids.into_iter().rev(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, Vec::new())),
        // unreadable is not "no attempt" (helper-98: "nothing is published", exit 6)
        Err(source) => return Err(OutputError::Unreadable { path: runs, source }.into()),
    };
    // the set `current` points to passed `check_layout`: kindred's, whatever status a later
    // kindred's manifest gives it
    let current = current_run_id(dir);
    let mut ignored = Vec::new();
    for run_id in ids {
        let run = runs.join(&run_id);
        if current.as_ref() == Some(&run_id) {
            return Ok((Some(attempt(&run, run_id, now)), ignored));
        }
        match run_folder(&run) {
            Ok(RunFolder::NotKindreds(why)) => ignored.push(Ignored { run_id, why, unreadable: false }),
            Err(e) => ignored.push(Ignored { run_id, why: e.to_string(), unreadable: true }),
            Ok(_) => return Ok((Some(attempt(&run, run_id, now)), ignored)),
        }
    }
    Ok((None, ignored))
}

/// How many ignored folders [`Status::ignored_runs`] names: a `runs/` a person filled with
/// copies is said in a few lines, not thousands.
const IGNORED_SHOWN: usize = 5;

/// The ignored folders as [`Status::ignored_runs`] says them, newest first.
fn shown_ignored(ignored: &[Ignored]) -> Vec<String> {
    let mut shown: Vec<String> = ignored.iter().take(IGNORED_SHOWN).map(Ignored::text).collect();
    if ignored.len() > IGNORED_SHOWN {
        shown.push(format!("and {} more such folders", ignored.len() - IGNORED_SHOWN));
    }
    shown
}

/// A folder of `runs/` named by a run id that is not the last attempt although newer: not
/// kindred's (a person's copy or folder), or one this account cannot read.
#[derive(Debug, Clone)]
struct Ignored {
    run_id: String,
    why: String,
    unreadable: bool,
}

impl Ignored {
    fn text(&self) -> String {
        match self.unreadable {
            false => format!("{RUNS}/{}: not kindred's ({}), not counted", self.run_id, self.why),
            true => format!("{RUNS}/{}: {}", self.run_id, self.why),
        }
    }
}

/// Run folder `run`, kindred's, as an attempt: its status, age, error and input.
fn attempt(run: &Path, run_id: String, now: DateTime<Utc>) -> LastAttempt {
    // a damaged set's manifest, if it reads, names no run: not its status
    let m = own_manifest(run, &run_id);
    let status = match (&m, is_failure_record(run)) {
        (Some(m), true) => text(m, "/status").unwrap_or_default(),
        // a published set's manifest (before 0.3.0 without a status)
        (Some(m), false) => text(m, "/status").unwrap_or_else(|| "published".into()),
        (None, _) => "unknown".into(),
    };
    let (finished_utc, age_seconds) = finished(&run_id, m.as_ref(), now);
    // whole: a value in it holding a line end (a column's name) cut it at that line
    let error = m.as_ref().and_then(|m| text(m, "/error/message"));
    let input_sha256 = m.as_ref().and_then(|m| text(m, "/input/sha256"));
    LastAttempt { run_id, status, finished_utc, age_seconds, error, input_sha256 }
}

/// Why the folder is unhealthy.
fn problems(
    dir: &Path,
    published: Option<&Published>,
    last: Option<&LastAttempt>,
    max_age: Option<Duration>,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut problems = ahead_of_the_clock([last.map(|l| &l.run_id), published.map(|p| &p.run_id)], now);
    if let Some(last) = last {
        match last.status.as_str() {
            "published" => {}
            "failed" | "refused" | "interrupted" => problems.push(format!(
                "the last attempt (run {}) {}: {}",
                last.run_id,
                last.status,
                crate::progress::printable(
                    last.error.as_deref().unwrap_or("no error recorded"),
                    crate::progress::Lines::Escaped
                )
            )),
            "unknown" => problems.push(format!(
                "the last attempt (run {}) has no readable {} (status {:?})",
                last.run_id,
                file::MANIFEST,
                last.status
            )),
            other => problems.push(format!(
                "the last attempt (run {}) has status {:?}, which this kindred does not write (a later kindred's?)",
                last.run_id,
                crate::progress::printable(other, crate::progress::Lines::Escaped)
            )),
        }
    }
    match (published, max_age) {
        (None, _) => problems.push(nothing_published(dir)),
        (Some(p), Some(max)) => match p.age_seconds {
            Some(age) if age > max.as_secs() => problems.push(format!(
                "the published set (run {}) finished {} ago, longer than --max-age {}",
                p.run_id,
                age_text(age),
                humantime::format_duration(max)
            )),
            Some(_) => {}
            None => problems.push(format!("the published set's age (run {}) is unknown", p.run_id)),
        },
        _ => {}
    }
    if let (Some(p), Some(max)) = (published, max_age) {
        problems.extend(unchanged_export(p, max, now));
    }
    problems.extend(published.map(damage).unwrap_or_default());
    problems
}

/// The published set's damage, as problems: the files damaged, then the files this account
/// cannot read (a mode or an owner, not damage: another run writes them the same way).
fn damage(p: &Published) -> Vec<String> {
    let (denied, damaged): (Vec<&Damage>, Vec<&Damage>) = p.damaged.iter().partition(|d| d.denied());
    let joined = |what: Vec<&Damage>| what.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ");
    let mut problems = Vec::new();
    if !damaged.is_empty() {
        problems.push(format!(
            "the published set (run {}) is damaged: {}; run again, or point current at an earlier run",
            p.run_id,
            joined(damaged)
        ));
    }
    if !denied.is_empty() {
        problems.push(format!(
            "the published set (run {}) has files this account cannot read: {}; readers under it fail alike: check their owner and mode (the runs' umask?)",
            p.run_id,
            joined(denied)
        ));
    }
    problems
}

/// A run dated ahead of this clock (a machine whose clock ran ahead wrote it, or this one's
/// runs behind) has no age here: it reads 0 under --max-age however stale the set. A problem
/// for each of the runs `ids` (the last attempt's, the published one's) that is. Runs are
/// ordered by when they were recorded ([`run_ids`]), so the runs after it are seen and the next
/// published set replaces it; by id (before 2026-12-07), it hid them and pruning kept it.
fn ahead_of_the_clock(ids: [Option<&String>; 2], now: DateTime<Utc>) -> Vec<String> {
    let mut ahead: Vec<&String> =
        ids.into_iter().flatten().filter(|id| started(id).is_some_and(|t| t > now + CLOCK_SLACK)).collect();
    ahead.dedup();
    ahead
        .into_iter()
        .map(|id| format!(
            "run {id} is dated after this machine's clock ({} UTC), so its age is unknown here: the clock of the machine that ran it was ahead, or this one's is behind; set the clock right (the next run publishes after it whatever its date)",
            now.format("%Y-%m-%d %H:%M:%S")
        ))
        .collect()
}

/// The problem of a lock whose heartbeat is dated `ahead` of this clock by more than a
/// heartbeat's stale time: read as fresh, `status` said healthy beside a lock that kept every
/// run out (helper-165).
fn lock_ahead_problem(holder: &Holder, ahead: Duration, now: DateTime<Utc>) -> String {
    format!(
        "the lock names run {} on {} (pid {}) whose heartbeat is dated {} after this machine's clock ({} UTC): whether it still runs is unknown here; a run watches such a lock for a minute and takes it over when nothing touches it — set the clocks right",
        holder.run_id.as_deref().unwrap_or("unknown"),
        holder.host.as_deref().unwrap_or("another machine"),
        holder.pid,
        age_text(ahead.as_secs()),
        now.format("%Y-%m-%d %H:%M:%S")
    )
}

/// The published set's data is as old as the first run that read the very bytes: an export
/// that stopped being refreshed is republished night after night, each set fresh by --max-age
/// alone — not counting the days the shop sells nothing on (its export then does not change:
/// a shop closed on Saturdays was unhealthy every Sunday morning under the README's 26h probe).
fn unchanged_export(p: &Published, max: Duration, now: DateTime<Utc>) -> Option<String> {
    let since = p.input_unchanged_since.as_deref()?;
    let u = crate::clean::unchanged_for(started(since)?, now, &p.quiet_weekdays);
    if u.open() <= max.as_secs() {
        return None;
    }
    let not_counted = match u.quiet {
        0 => String::new(),
        q => {
            format!("; {} of it on days the export sells nothing on ({}), not counted", age_text(q), u.days.join(", "))
        }
    };
    Some(format!(
        "the export has not changed since run {since}, {} ago{not_counted}, longer than --max-age {} (the same bytes published again: has the job that writes it stopped?)",
        age_text(u.age),
        humantime::format_duration(max)
    ))
}

/// "Nothing is published", naming the run `current` points to when its folder is missing.
fn nothing_published(dir: &Path) -> String {
    match dangling_current(dir) {
        Some(dangling) => format!("nothing is published in {}: {dangling}", dir.display()),
        None => format!("nothing is published in {}", dir.display()),
    }
}

/// An age in words, to the second under an hour, to the minute beyond.
fn age_text(seconds: u64) -> String {
    let rounded = if seconds >= 3600 { seconds / 60 * 60 } else { seconds };
    humantime::format_duration(Duration::from_secs(rounded)).to_string()
}

impl Published {
    /// The table's lines on the set beyond its run, customers and input, each (label, text):
    /// an export unchanged since an earlier run, a rollback, a later schema, each gate forced.
    fn remarks(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(since) = &self.input_unchanged_since {
            out.push(("input:", format!("unchanged since run {since} (the same bytes published again)")));
        }
        if let Some(newer) = &self.newer_set {
            out.push((
                "rolled back:",
                format!("run {newer} is a later published set that current does not point to (pointed back by hand: the next run publishes after it; or stopped before its switch)"),
            ));
        }
        if let Some(v) = self.schema_version.filter(|&v| v > u64::from(crate::write::SCHEMA_VERSION)) {
            out.push((
                "schema:",
                format!(
                    "version {v}, written by a later kindred than this one (version {}): what it added is not shown",
                    crate::write::SCHEMA_VERSION
                ),
            ));
        }
        // a line a gate: a gate's detail holds "; " itself
        out.extend(self.forced_gates.iter().map(|gate| ("forced:", format!("published with --force past {gate}"))));
        out.extend(self.verified.as_ref().map(|v| ("verified:", v.text())));
        out
    }
}

impl Verified {
    /// What `--verify` read, in words: the files compared, and those checked by size and
    /// footer only for want of a checksum.
    fn text(&self) -> String {
        let compared = format!("{} read whole, sha256 compared with the manifest's", counted(self.compared, "file"));
        match (self.compared, self.without_sha256.is_empty()) {
            (0, true) => return "no file compared: the set's damage left none to read".into(),
            (_, true) => return compared,
            _ => {}
        }
        let unrecorded = "the manifest records no sha256 (a set written by an earlier kindred), which is not damage";
        match self.compared {
            0 => format!("by size and footer only: {unrecorded}"),
            _ => format!("{compared}; {} by size and footer only: {unrecorded}", self.without_sha256.join(", ")),
        }
    }
}

impl Status {
    /// 0 healthy, 6 unhealthy.
    pub fn exit(&self) -> Exit {
        if self.healthy {
            Exit::Published
        } else {
            Exit::Unhealthy
        }
    }

    /// One JSON object.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()))
    }

    /// A short table, one fact a line.
    pub fn render(&self) -> String {
        // what the folder's name and its manifests hold (a path with a line break, a person's
        // edit) is shown escaped, one fact a line: an export named "x\nhealth: healthy" printed
        // a health line of its own
        let shown = |text: &str| crate::progress::printable(text, crate::progress::Lines::Escaped).into_owned();
        let or_none = |text: &Option<String>| text.as_deref().map_or_else(|| "-".to_string(), shown);
        let ago = |age: Option<u64>| age.map(|a| format!(" ({} ago)", age_text(a))).unwrap_or_default();
        let mut out = format!("folder:        {}\n", shown(&self.dir.to_string_lossy()));
        match &self.published {
            Some(p) => {
                out += &format!(
                    "published:     run {}, finished {}{}\n",
                    shown(&p.run_id),
                    or_none(&p.finished_utc),
                    ago(p.age_seconds)
                );
                out += &format!("  customers:   {}\n", p.customers.map_or_else(|| "-".into(), |c| c.to_string()));
                let path = p.input_absolute_path.as_ref().or(p.input_path.as_ref());
                out += &format!("  input:       {} sha256 {}\n", or_none(&path.cloned()), or_none(&p.input_sha256));
                for (label, text) in p.remarks() {
                    out += &format!("  {label:<13}{}\n", shown(&text));
                }
            }
            None => out += "published:     nothing\n",
        }
        match &self.last_attempt {
            Some(a) => {
                out +=
                    &format!("last attempt:  run {}, {}{}\n", shown(&a.run_id), shown(&a.status), ago(a.age_seconds));
                if let Some(e) = &a.error {
                    out += &format!("  error:       {}\n", shown(e));
                }
                if let Some(sha) = &a.input_sha256 {
                    out += &format!("  input:       sha256 {}\n", shown(sha));
                }
            }
            None => out += "last attempt:  none\n",
        }
        for ignored in &self.ignored_runs {
            out += &format!("  ignored:     {}\n", shown(ignored));
        }
        if let Some(r) = &self.running {
            let on = r.host.as_deref().map(|h| format!(" on {}", shown(h))).unwrap_or_default();
            out += &format!(
                "running:       run {} (pid {}{on}), started {}, heartbeat {} ago\n",
                or_none(&r.run_id),
                r.pid,
                shown(&r.started_utc),
                age_text(r.heartbeat_age_seconds)
            );
        }
        if let Some(p) = &self.prepared {
            let missing: Vec<String> = p.missing.iter().map(usize::to_string).collect();
            let more = if p.shards - p.finished > p.missing.len() { ", …" } else { "" };
            let missing = match missing.is_empty() {
                true => "publish next".to_string(),
                false => format!("not finished: {}{more}", missing.join(", ")),
            };
            out += &format!(
                "prepared:      run {} (started {}), {} of {} shards finished ({missing}); not published\n",
                shown(&p.run_id),
                shown(&p.started_utc),
                p.finished,
                p.shards
            );
        }
        if self.healthy {
            out += "health:        healthy\n";
        } else {
            out += &format!("health:        unhealthy: {}\n", shown(&self.problems.join("; ")));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A published set `run_id`, `age` seconds old, of 3 customers, whole: each test sets
    /// what it is about.
    fn a_set(run_id: &str, age: Option<u64>) -> Published {
        Published {
            run_id: run_id.into(),
            finished_utc: None,
            age_seconds: age,
            customers: Some(3),
            input_path: None,
            input_absolute_path: None,
            input_sha256: None,
            input_unchanged_since: None,
            quiet_weekdays: Vec::new(),
            damaged: Vec::new(),
            forced_gates: Vec::new(),
            schema_version: Some(1),
            newer_set: None,
            verified: None,
        }
    }

    #[test]
    fn a_run_id_records_its_start() {
        let t = started("20261201T020304.567Z-4242").unwrap();
        assert_eq!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true), "2026-12-01T02:03:04.567Z");
        assert!(started("r1").is_none());
    }

    #[test]
    fn ages_read_to_the_minute_past_an_hour() {
        assert_eq!(age_text(59), "59s");
        assert_eq!(age_text(3 * 3600 + 125), "3h 2m");
        assert_eq!(age_text(27 * 3600), "1day 3h");
    }

    /// helper-165: a lock naming a run on another machine, its heartbeat dated an hour ahead (a
    /// killed run's, under a clock that ran ahead), read healthy — a fresh heartbeat — while
    /// every run was refused (exit 4). A problem now; a minute ahead is clocks differing.
    #[test]
    fn a_lock_dated_ahead_of_the_clock_is_a_problem() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir(dir.join(RUNS)).unwrap();
        let elsewhere = format!("{}-elsewhere", lock::host_name().unwrap_or_default());
        let line = format!("77 2026-12-01T02:00:00Z 20261201T020000.000Z-77 {elsewhere} 0f0e0d0c-aaaa-bbbb-cccc-000000000000/4026531836\n");
        std::fs::write(dir.join(lock::LOCK), line).unwrap();
        let file = std::fs::File::options().write(true).open(dir.join(lock::LOCK)).unwrap();
        for (ahead, problem) in [(3600, true), (60, false)] {
            file.set_modified(SystemTime::now() + Duration::from_secs(ahead)).unwrap();
            let status = check(dir, None, Depth::Footers).unwrap();
            assert!(status.running.is_some(), "{ahead}");
            let said = status.problems.join(" ");
            let words = ["run 20261201T020000.000Z-77", "whose heartbeat is dated 59m", "after this machine's clock"];
            assert_eq!(words.iter().all(|w| said.contains(w)), problem, "{said}");
        }
    }

    /// A `runs/` that cannot be read is an error naming it, not "no attempt" (helper-98: a
    /// monitor under another account read "nothing is published", exit 6). ENOTDIR here;
    /// EACCES, which root running the tests does not meet, takes the same path.
    /// A folder every `prepare` refuses (a `shards` that is a file, a `shards/latest` that is
    /// not a link to a run id) or every run refuses (a `.lock` holding a person's note) is
    /// refused by `status` too: it read healthy (helper-98).
    #[test]
    fn status_refuses_what_every_run_or_prepare_refuses() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir(dir.join(RUNS)).unwrap();
        assert!(check(dir, None, Depth::Footers).is_ok());
        let refused = |what: &str| {
            let err = check(dir, None, Depth::Footers)
                .err()
                .unwrap_or_else(|| panic!("{what}: read as a status"))
                .to_string();
            assert!(err.contains(what), "{err}");
        };
        std::fs::write(dir.join(".lock"), "maintenance window until 06:00\n").unwrap();
        refused(".lock");
        std::fs::write(dir.join(".lock"), "").unwrap();
        std::fs::write(dir.join(crate::publish::SHARDS), "a file").unwrap();
        refused("shards");
        std::fs::remove_file(dir.join(crate::publish::SHARDS)).unwrap();
        std::fs::create_dir_all(dir.join(crate::publish::SHARDS).join(crate::publish::LATEST)).unwrap();
        refused("latest");
    }

    /// helper-111: the published run's folder renamed by hand (`mv runs/<id> runs/<id>-keep`)
    /// left `current` pointing at nothing, and status said "nothing is published", as of a fresh
    /// folder, naming neither the link nor the run to look for.
    #[test]
    fn a_current_whose_run_is_missing_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir(dir.join(RUNS)).unwrap();
        let id = "20261201T095501.000Z-1";
        std::os::unix::fs::symlink(Path::new(RUNS).join(id), dir.join(CURRENT)).unwrap();
        let status = check(dir, None, Depth::Footers).unwrap();
        assert_eq!(status.exit(), Exit::Unhealthy);
        let said = status.problems.join("; ");
        assert!(said.contains(&format!("current points to runs/{id}, which is missing")), "{said}");
        // no `current` at all: nothing is published, and no link to name
        std::fs::remove_file(dir.join(CURRENT)).unwrap();
        let said = check(dir, None, Depth::Footers).unwrap().problems.join("; ");
        assert!(said.contains("nothing is published") && !said.contains("which is missing"), "{said}");
    }

    /// helper-143: a run on a clock behind the one before it is dated before the runs recorded
    /// ahead of it. By id, its failure was hidden (the last attempt read as the older published
    /// run: healthy), and the set it published called "rolled back" from the one before.
    #[test]
    fn the_last_attempt_is_the_last_recorded_whatever_its_date() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let runs = dir.join(RUNS);
        let record = |id: &str, sequence: u64, status: &str, files: &[&str]| {
            fs::create_dir_all(runs.join(id)).unwrap();
            for name in files {
                fs::write(runs.join(id).join(name), "x").unwrap();
            }
            let manifest = serde_json::json!({"run_id": id, "status": status, "sequence": sequence});
            fs::write(runs.join(id).join(file::MANIFEST), manifest.to_string()).unwrap();
        };
        let point = |id: &str| {
            let _ = fs::remove_file(dir.join(CURRENT));
            std::os::unix::fs::symlink(Path::new(RUNS).join(id), dir.join(CURRENT)).unwrap();
        };
        let (ahead, failed, behind) = ("20261203T020000.000Z-1", "20261203T003000.000Z-2", "20261203T010000.000Z-3");
        record(ahead, 1, "published", &file::ALL);
        point(ahead);
        record(failed, 2, "failed", &[]);
        let last = |dir: &Path| last_attempt(dir, Utc::now()).unwrap().0.map(|a| (a.run_id, a.status));
        assert_eq!(last(dir), Some((failed.to_string(), "failed".to_string())));
        assert_eq!(newer_set(&runs.join(ahead), ahead), None);
        record(behind, 3, "published", &file::ALL);
        point(behind);
        assert_eq!(last(dir), Some((behind.to_string(), "published".to_string())));
        assert_eq!(newer_set(&runs.join(behind), behind), None, "the set dated later was published before");
        // pointed back by hand: the set published after is newer, whatever its date
        point(ahead);
        assert_eq!(newer_set(&runs.join(ahead), ahead).as_deref(), Some(behind));
        assert_eq!(last(dir), Some((behind.to_string(), "published".to_string())));
    }

    /// helper-143: beside back-to-back runs, a look between a run's moving its set into
    /// `runs/` and its switch of `current` said "rolled back" (1 look in 87): the live run's own
    /// set is being switched in.
    #[test]
    fn the_set_a_live_run_is_switching_in_is_not_rolled_back_from() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let set = |id: &str, sequence: u64| {
            let run = dir.join(RUNS).join(id);
            fs::create_dir_all(&run).unwrap();
            for name in file::ALL {
                fs::write(run.join(name), "x").unwrap();
            }
            let manifest = serde_json::json!({"run_id": id, "status": "published", "sequence": sequence});
            fs::write(run.join(file::MANIFEST), manifest.to_string()).unwrap();
        };
        let (live, switching) = ("20261203T020000.000Z-1", "20261204T020000.000Z-2");
        set(live, 1);
        std::os::unix::fs::symlink(Path::new(RUNS).join(live), dir.join(CURRENT)).unwrap();
        set(switching, 2);
        let newer = || check(dir, None, Depth::Footers).unwrap().published.unwrap().newer_set;
        assert_eq!(newer().as_deref(), Some(switching), "no run holds the lock: rolled back from");
        let publisher = crate::publish::Publisher::open(dir, switching, "now").unwrap();
        let status = check(dir, None, Depth::Footers).unwrap();
        assert_eq!(status.running.as_ref().and_then(|r| r.run_id.as_deref()), Some(switching));
        assert_eq!(status.published.unwrap().newer_set, None, "its own set, being switched in");
        drop(publisher);
    }

    #[test]
    fn a_look_that_saw_the_folder_change_is_taken_again() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join(RUNS)).unwrap();
        // a run publishing during the first two looks: each sees a change, the third none
        let mut looks = 0;
        let found = settled(dir.path(), || {
            looks += 1;
            if looks <= 2 {
                fs::create_dir(dir.path().join(RUNS).join(format!("run-{looks}"))).unwrap();
                fs::write(dir.path().join(lock::LOCK), format!("{looks}")).unwrap();
            }
            Ok(looks)
        });
        assert_eq!((found.unwrap(), looks), (3, 3));
        // a folder that keeps changing: the last look's, after LOOKS
        let mut looks = 0;
        let found = settled(dir.path(), || {
            looks += 1;
            fs::write(dir.path().join(lock::LOCK), format!("{looks}")).unwrap();
            Ok(looks)
        });
        assert_eq!(found.unwrap(), LOOKS);
        // a still folder: one look
        let mut looks = 0;
        assert_eq!(
            settled(dir.path(), || Ok({
                looks += 1;
                looks
            }))
            .unwrap(),
            1
        );
    }

    #[test]
    fn runs_that_cannot_be_read_is_an_error_not_no_attempt() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(last_attempt(tmp.path(), Utc::now()).unwrap().0.is_none(), "no runs/: no attempt");
        std::fs::write(tmp.path().join(RUNS), "a file").unwrap();
        let err = last_attempt(tmp.path(), Utc::now()).unwrap_err().to_string();
        assert!(err.contains(&tmp.path().join(RUNS).display().to_string()), "{err}");
    }

    #[test]
    fn the_last_attempt_failing_or_nothing_published_or_too_old_is_unhealthy() {
        let dir = Path::new("/srv/recs");
        let now = Utc::now();
        let p = a_set("r", Some(3600));
        let attempt = |status: &str| LastAttempt {
            run_id: "a".into(),
            status: status.into(),
            finished_utc: None,
            age_seconds: Some(60),
            error: Some("input file x does not exist".into()),
            input_sha256: None,
        };
        assert!(problems(dir, Some(&p), Some(&attempt("published")), None, now).is_empty());
        let hour = Duration::from_secs(3600);
        assert!(problems(dir, Some(&p), Some(&attempt("published")), Some(hour), now).is_empty(), "exactly the age");
        let old = problems(dir, Some(&p), None, Some(Duration::from_secs(3599)), now);
        assert_eq!(old, ["the published set (run r) finished 1h ago, longer than --max-age 59m 59s"]);
        let failed = problems(dir, Some(&p), Some(&attempt("refused")), None, now);
        assert_eq!(failed, ["the last attempt (run a) refused: input file x does not exist"]);
        // an error whose value held a line end is said whole, on its line (it was cut there)
        let broken = LastAttempt { error: Some("column 'Client\nID' is missing".into()), ..attempt("failed") };
        let failed = problems(dir, Some(&p), Some(&broken), None, now);
        assert_eq!(failed, ["the last attempt (run a) failed: column 'Client\\nID' is missing"]);
        assert_eq!(problems(dir, None, None, None, now), ["nothing is published in /srv/recs"]);
    }

    /// An export republished unchanged (the same bytes: `input.unchanged_since`) is as old as the
    /// first run that read it: beyond --max-age the folder is unhealthy though its set is fresh.
    #[test]
    fn an_export_unchanged_for_longer_than_the_max_age_is_unhealthy() {
        let (dir, hour) = (Path::new("/srv/recs"), Duration::from_secs(3600));
        let now = DateTime::parse_from_rfc3339("2026-12-03T02:00:00Z").unwrap().with_timezone(&Utc);
        let published = |since: Option<&str>| Published {
            input_unchanged_since: since.map(String::from),
            ..a_set("20261203T015900.000Z-7", Some(60))
        };
        assert!(problems(dir, Some(&published(None)), None, Some(hour), now).is_empty());
        assert!(problems(dir, Some(&published(Some("20261203T013000.000Z-6"))), None, Some(hour), now).is_empty());
        let stale = problems(dir, Some(&published(Some("20261201T020000.000Z-5"))), None, Some(hour), now);
        assert_eq!(stale.len(), 1, "{stale:?}");
        assert!(
            stale[0].starts_with("the export has not changed since run 20261201T020000.000Z-5, 2days ago"),
            "{stale:?}"
        );
        assert!(
            problems(dir, Some(&published(Some("20261201T020000.000Z-5"))), None, None, now).is_empty(),
            "no --max-age"
        );
    }

    /// Session 36: a shop closed on Saturdays writes Saturday night's export as Friday's, and
    /// the README's probe (`--max-age 26h` at 08:00) found it unhealthy every Sunday morning. The
    /// days its export sold nothing on in its last weeks (`quiet_weekdays`) are not counted in
    /// an unchanged export's age; a day beyond them is.
    #[test]
    fn an_export_unchanged_over_the_days_its_shop_is_closed_is_not_stale() {
        let (dir, max) = (Path::new("/srv/recs"), Some(Duration::from_secs(26 * 3600)));
        let at = |t: &str| DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc);
        let published = |quiet: &[&str]| Published {
            // Saturday 02:15: the run that read Friday's sales
            input_unchanged_since: Some("20261205T021500.000Z-8".into()),
            quiet_weekdays: quiet.iter().map(|d| d.to_string()).collect(),
            ..a_set("20261206T021500.000Z-9", Some(60))
        };
        let sunday = at("2026-12-06T08:00:00Z");
        assert!(problems(dir, Some(&published(&["Saturday"])), None, max, sunday).is_empty());
        let open_every_day = problems(dir, Some(&published(&[])), None, max, sunday);
        assert!(open_every_day[0].contains("1day 5h 45m ago, longer than --max-age 1day 2h"), "{open_every_day:?}");
        // closed on Saturdays only: Monday morning it is 32 h old, not counting Saturday's 21h 45m
        let monday = problems(dir, Some(&published(&["Saturday"])), None, max, at("2026-12-07T08:00:00Z"));
        assert!(
            monday[0].contains(
                "2days 5h 45m ago; 21h 45m of it on days the export sells nothing on (Saturday), not counted"
            ),
            "{monday:?}"
        );
        assert!(
            problems(dir, Some(&published(&["Saturday", "Sunday"])), None, max, at("2026-12-07T08:00:00Z")).is_empty()
        );
        let unchanged_for = |from, to| crate::clean::unchanged_for(at(from), at(to), &["Sunday".to_string()]);
        let u = unchanged_for("2026-12-05T21:00:00Z", "2026-12-07T01:00:00Z");
        assert_eq!((u.age, u.quiet, u.open(), u.days), (100_800, 86_400, 14_400, vec!["Sunday".to_string()]));
        assert_eq!(unchanged_for("2026-12-06T01:00:00Z", "2026-12-06T03:30:00Z").quiet, 9_000);
        let weekdays = unchanged_for("2026-12-04T01:00:00Z", "2026-12-05T23:00:00Z");
        assert_eq!((weekdays.quiet, weekdays.days.len()), (0, 0));
        assert_eq!(unchanged_for("2026-12-06T03:00:00Z", "2026-12-06T01:00:00Z").open(), 0, "a clock behind");
    }

    /// Session 22: a run dated ahead of the clock (a machine whose clock ran ahead published
    /// it) was the newest attempt for ever: later failures never showed, and its age read 0.
    #[test]
    fn a_run_dated_after_the_clock_is_a_problem() {
        let dir = Path::new("/srv/recs");
        let now = DateTime::parse_from_rfc3339("2026-12-03T02:00:00Z").unwrap().with_timezone(&Utc);
        let attempt = |run_id: &str| LastAttempt {
            run_id: run_id.into(),
            status: "published".into(),
            finished_utc: None,
            age_seconds: Some(0),
            error: None,
            input_sha256: None,
        };
        let published = |run_id: &str| a_set(run_id, Some(0));
        // a few minutes ahead is clocks differing: fine
        let near = "20261203T020500.000Z-7";
        assert!(problems(dir, Some(&published(near)), Some(&attempt(near)), None, now).is_empty());
        let far = "20271203T020000.000Z-7";
        let got = problems(dir, Some(&published(far)), Some(&attempt(far)), None, now);
        assert_eq!(got.len(), 1, "one problem for the one run: {got:?}");
        assert!(
            got[0].starts_with(&format!("run {far} is dated after this machine's clock (2026-12-03 02:00:00 UTC)")),
            "{got:?}"
        );
        let got = problems(
            dir,
            Some(&published("20261202T020000.000Z-1")),
            Some(&attempt(far)),
            Some(Duration::from_secs(3600 * 26)),
            now,
        );
        assert_eq!(got.len(), 1, "{got:?}");
    }

    /// helper-118: what `--verify` read is one line: how many files it compared, and which it
    /// could check by size and footer only (no checksum recorded: not damage).
    #[test]
    fn verified_says_what_was_compared_and_what_was_not() {
        let said = |compared, without: &[&str]| {
            Verified { compared, without_sha256: without.iter().map(|s| s.to_string()).collect() }.text()
        };
        assert_eq!(said(9, &[]), "9 files read whole, sha256 compared with the manifest's");
        assert_eq!(said(1, &[]), "1 file read whole, sha256 compared with the manifest's");
        assert_eq!(said(0, &[]), "no file compared: the set's damage left none to read");
        let unrecorded = "by size and footer only: the manifest records no sha256 (a set written by an earlier kindred), which is not damage";
        assert_eq!(said(0, &["a.parquet", "report.html"]), unrecorded);
        assert_eq!(
            said(8, &["report.html"]),
            format!("8 files read whole, sha256 compared with the manifest's; report.html {unrecorded}")
        );
        let p = Published { verified: Some(Verified { compared: 9, without_sha256: Vec::new() }), ..a_set("r", None) };
        assert_eq!(p.remarks().last().map(|r| r.0), Some("verified:"));
        assert!(a_set("r", None).remarks().is_empty(), "nothing without --verify");
    }

    /// Damage is sorted by its kind, not its words: a file this account cannot read is the
    /// owner's to fix, the rest is damage to run again for — a name holding the other's words
    /// (`: cannot be read`) included, which a reading of the text misfiled.
    #[test]
    fn files_this_account_cannot_read_are_told_from_damage_by_kind() {
        let denied = Damage::new("items.parquet", Harm::Denied("Permission denied (os error 13)".into()));
        let odd = Damage::new("x: cannot be read (y)", Harm::Missing);
        let p = Published {
            damaged: vec![denied, odd, Damage::new("recommendations.parquet", Harm::Size { found: 3, written: 9 })],
            ..a_set("r", Some(1))
        };
        let got = damage(&p);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got[0].starts_with("the published set (run r) is damaged: x: cannot be read (y): missing, recommendations.parquet: 3 bytes where 9 were written;"),
            "{got:?}"
        );
        assert!(
            got[1].contains("cannot read: items.parquet: cannot be read (Permission denied (os error 13)); readers"),
            "{got:?}"
        );
        let json = serde_json::to_value(&p.damaged[0]).unwrap();
        assert_eq!(json, serde_json::json!("items.parquet: cannot be read (Permission denied (os error 13))"));
    }
}
