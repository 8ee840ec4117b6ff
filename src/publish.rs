//! Publish: one complete set of outputs or none, switched in atomically, under a lock.
//!
//! Layout of `[output] dir`:
//!
//! ```text
//! recommendations.parquet -> current/recommendations.parquet   (fixed links, made once)
//! neighbours.parquet, null_audit.parquet, items.parquet, purchases.parquet, manifest.json: likewise
//! current -> runs/<run_id>          (the one switch: an atomic rename of a symlink)
//! runs/<run_id>/                    (the last `keep_runs` published runs, oldest pruned)
//! runs/<run_id>/manifest.json       (alone: a failed or refused run's record, see below)
//! .staging-<run_id>/                (a run being written; removed as the next run takes the lock if killed)
//! .lock                             (flock'd while a run publishes; its pid, start, id, host; see `lock`)
//! ```
//!
//! A run writes into its staging folder, fsyncs, validates, renames it under `runs/`, then
//! renames a fresh `current` link over the old one. Readers see the old set or the new set,
//! never a mix of one file; a run killed at any moment leaves the previous set untouched.
//!
//! The folder may hold other people's files, and a root cron job must not be talked into
//! deleting or overwriting them (issue 14). So kindred only creates, renames or deletes entries
//! it can prove it made: names of the [`is_run_id`] shape (`.staging-<id>`, `.current-<id>…`,
//! `runs/<id>`) of the file type it makes, in folders it has checked are not links (metadata is
//! read with `symlink_metadata`, never through a link), and a folder only when everything in it
//! is a file kindred writes there ([`holds_only`]): a folder of a run's name that a person made,
//! or added a file to, is never deleted nor counted as a kept run. Anything else at a name
//! kindred manages (`current`, `runs`, the fixed links, `.lock`) is refused by
//! [`check_layout`] before anything is written, never repaired by deletion. Killed runs'
//! leftovers are removed as the next run takes the lock ([`Publisher::open`]: a killed set must
//! not fill a tight volume for every later run); old runs are pruned only at
//! [`Publisher::commit`], after a run has succeeded: a failing or refused run prunes nothing.
//!
//! A run that fails or is refused after it took the lock leaves a record for operators
//! ([`Publisher::record_failure`]): `runs/<run_id>/` holding nothing but a `manifest.json`
//! whose `status` is `"failed"`, `"refused"` or `"interrupted"` ([`is_failure_record`]),
//! renamed in whole from its staging folder. A run killed while it held the lock cannot; the next run to take the
//! lock finds it named there and records it, status `"interrupted"` (`lock`). Records are never
//! counted as kept runs and `current` never points at one; a commit prunes those older than
//! the oldest published run it keeps.

use std::fs::{self, File};
use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use crate::error::{ConfigError, Error, OutputError, Result};
use crate::write::file;

mod damage;
pub mod lock;
pub(crate) use damage::{damaged, inspect, unread_manifest};
pub use damage::{Damage, Depth, Harm, Inspection};
use lock::{take_lock, Heartbeat};

/// The link that names the published run.
pub const CURRENT: &str = "current";
/// Folder of kept runs.
pub const RUNS: &str = "runs";
/// The folder of a sharded run's prepared runs (see [`crate::shard`]).
pub const SHARDS: &str = "shards";
/// The link in [`SHARDS`] to the latest prepared run.
pub const LATEST: &str = "latest";
const STAGING_PREFIX: &str = ".staging-";
const LINK_PREFIX: &str = ".current-";

/// A new run id: the UTC time to the millisecond, then the pid (`20261129T020000.123Z-4242`).
/// Ids sort by time, and are the only names kindred ever deletes (see [`is_run_id`]).
/// The id is also the log's `run_id` from then on ([`crate::progress::set_run_id`]).
pub fn new_run_id() -> String {
    let id = format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"), std::process::id());
    crate::progress::set_run_id(&id);
    id
}

/// The start time a run id records (`20261201T020000.123Z-4242`, [`new_run_id`]).
pub fn run_started(run_id: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let stamp = run_id.get(..19)?;
    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%S%.3f").ok().map(|t| t.and_utc())
}

/// True for a name of the shape [`new_run_id`] makes: 8 digits, `T`, 6 digits, `.`, 3 digits,
/// `Z-`, then the pid's digits.
pub fn is_run_id(name: &str) -> bool {
    let b = name.as_bytes();
    let digits = |from: usize, to: usize| b[from..to].iter().all(u8::is_ascii_digit);
    b.len() > 21
        && digits(0, 8)
        && b[8] == b'T'
        && digits(9, 15)
        && b[15] == b'.'
        && digits(16, 19)
        && &b[19..21] == b"Z-"
        && digits(21, b.len())
}

/// `.staging-<id>`: a killed run's staging folder.
fn is_staging_name(name: &str) -> bool {
    name.strip_prefix(STAGING_PREFIX).is_some_and(is_run_id)
}

/// Where a killed run's temporary link named `name` leads as kindred made it: `.current-<id>` to
/// `runs/<id>`, `.current-<id>-<fixed link name>` to `current/<name>`; `None` for other names.
/// A link of such a name leading elsewhere (`/srv/backups`, `/etc`) nothing proves kindred's:
/// kept (helper-143).
fn temp_link_target(name: &str) -> Option<PathBuf> {
    let rest = name.strip_prefix(LINK_PREFIX)?;
    if is_run_id(rest) {
        return Some(Path::new(RUNS).join(rest));
    }
    let fixed =
        file::ALL.iter().find(|n| rest.strip_suffix(*n).and_then(|id| id.strip_suffix('-')).is_some_and(is_run_id));
    fixed.map(|n| Path::new(CURRENT).join(n))
}

/// An output folder locked for one run. The lock is released on drop (or when the process
/// dies, even by SIGKILL: it is an `flock`).
pub struct Publisher {
    dir: PathBuf,
    run_id: String,
    _lock: File,
    heartbeat: Option<Heartbeat>,
    /// This run's line in `.lock` ([`lock::line_of`]).
    line: String,
    /// What `.lock` is left saying as the run lets go, when not empty: the outcome of a run
    /// that is on disk nowhere else (see [`Publisher::drop`]).
    unrecorded: std::cell::RefCell<lock::Left>,
}

pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

/// An entry's own metadata (a link is not followed); `None` when there is no such entry.
pub(crate) fn entry(path: &Path) -> Result<Option<fs::Metadata>> {
    match fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(meta)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(path)(e).into()),
    }
}

/// What is at `path`, in words, for an error message.
fn describe(path: &Path, meta: &fs::Metadata) -> String {
    let kind = meta.file_type();
    if kind.is_symlink() {
        match fs::read_link(path) {
            Ok(target) => format!("a link to {}", target.display()),
            Err(_) => "a link".to_string(),
        }
    } else if kind.is_dir() {
        "a folder".to_string()
    } else if kind.is_file() && meta.nlink() > 1 {
        format!("a file with {} hard links", meta.nlink())
    } else if kind.is_file() {
        "a file".to_string()
    } else {
        "a special file".to_string()
    }
}

/// What is at `path`, in words, when something is there that is not kindred's own: a regular
/// file `ours` accepts is; `None` when nothing is there or it is ours. What `evaluate` and
/// `generate` check before they replace their file (a run replaces nothing it cannot prove it
/// wrote).
pub(crate) fn foreign(path: &Path, ours: impl FnOnce(&Path) -> bool) -> Result<Option<String>> {
    Ok(entry(path)?.filter(|meta| !(meta.is_file() && ours(path))).map(|meta| describe(path, &meta)))
}

pub(crate) fn unexpected(path: &Path, meta: &fs::Metadata, expected: String) -> OutputError {
    OutputError::Layout { path: path.to_path_buf(), found: describe(path, meta), expected }
}

/// The run id `link` points to, when it is kindred's link: a symlink to `runs/<run_id>`.
fn linked_run(link: &Path) -> Option<String> {
    let target = fs::read_link(link).ok()?;
    let mut parts = target.components();
    if let (Some(Component::Normal(runs)), Some(Component::Normal(id)), None) =
        (parts.next(), parts.next(), parts.next())
    {
        if runs == RUNS {
            return id.to_str().filter(|id| is_run_id(id)).map(str::to_string);
        }
    }
    // A person's link to a run of this folder written otherwise: a rollback by hand, `ln -sfn
    // /srv/recs/runs/<id> current` (or `./runs/<id>`), was refused by every later run and by
    // `status`, saying to move `current` away — which unpublishes the set (helper-98). The
    // next run's switch replaces it with kindred's own.
    let id = target.file_name()?.to_str().filter(|id| is_run_id(id))?;
    let folder = link.parent()?.join(target.parent()?);
    let same = fs::canonicalize(folder).ok()? == fs::canonicalize(link.parent()?.join(RUNS)).ok()?;
    same.then(|| id.to_string())
}

/// Refuses an output folder whose managed names hold something kindred did not make: `runs`
/// must be a real folder, `current` a link to `runs/<run_id>`, each fixed name a link to
/// `current/<name>`. Reads only, so a refused run leaves the folder as it was. A published
/// run whose manifest cannot be read is an error ([`UnreadManifest::Refused`]).
pub fn check_layout(dir: &Path) -> Result<()> {
    check_layout_taking(dir, UnreadManifest::Refused)
}

/// How a layout check takes the published run's manifest that cannot be read (EACCES, EIO)
/// in a folder that can: whether it is that run's set is then unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnreadManifest {
    /// An error naming it (exit 1): a run, `explain` and `evaluate` go no further on a set they
    /// cannot tell from someone else's folder.
    Refused,
    /// Passed: the reader reports it as one of the set's files it cannot read — `status`, exit
    /// 6, as it reports a table it cannot read. Refused, it made `status` exit 1 while a table
    /// of the same mode was exit 6 (helper-118).
    Reported,
}

/// [`check_layout`], a published run's manifest that cannot be read taken as `unread` says.
pub fn check_layout_taking(dir: &Path, unread: UnreadManifest) -> Result<()> {
    // First: inside another output folder's `current` or `runs/` (a mistyped `--output
    // out/current`) its files are that folder's set, and refused one by one they were said as
    // someone else's, "move it away" — the live set (helper-126)
    let out = made(dir).unwrap_or_else(|| dir.to_path_buf());
    if let Some(managed) = managed_folder(&out) {
        let owner = managed.parent().unwrap_or(managed).to_path_buf();
        let (path, managed) = (dir.to_path_buf(), managed.to_path_buf());
        return Err(OutputError::InsideManaged { path, managed, owner }.into());
    }
    let runs = dir.join(RUNS);
    if let Some(meta) = entry(&runs)? {
        if !meta.is_dir() {
            return Err(unexpected(&runs, &meta, "kindred's folder of runs".into()).into());
        }
    }
    let current = dir.join(CURRENT);
    if let Some(meta) = entry(&current)? {
        match linked_run(&current) {
            None => return Err(unexpected(&current, &meta, format!("kindred's link to {RUNS}/<run_id>")).into()),
            // a failed run's record, or a folder of a run's name without that run's manifest
            // (a person's files; a person's file beside a set is theirs to add; a missing
            // folder is a rolled-back or pruned run: nothing published)
            Some(id) => {
                if let Some(what) = not_a_set(&runs.join(&id), &id, unread)? {
                    let found = format!("a link to {RUNS}/{id}, {what}");
                    let expected = format!("kindred's link to a published run in {RUNS}/<run_id>");
                    return Err(OutputError::Layout { path: current, found, expected }.into());
                }
            }
        }
    }
    lock::check(dir)?;
    for name in file::ALL {
        let link = dir.join(name);
        if let Some(meta) = entry(&link)? {
            if !is_fixed_link(dir, name) {
                let what = format!("kindred's link to {}", Path::new(CURRENT).join(name).display());
                return Err(unexpected(&link, &meta, what).into());
            }
        }
    }
    Ok(())
}

/// Why `run`, the folder `current` points to (run `id`'s), holds no published set: a failed
/// run's record, or a folder without that run's manifest; `None` for a set (damaged or not)
/// or a missing folder (a rolled-back or pruned run: nothing published). The manifest is read
/// once and an I/O error reading it is said as one: a read that failed (EIO on a share, out of
/// file descriptors) was taken for a manifest naming no run, and the run refused `current` as
/// someone else's layout, saying to move it away — the published set (helper-115). Unless
/// `unread` says to pass it (`status` reports it): then, in a folder that can be read, it is
/// taken for a set.
fn not_a_set(run: &Path, id: &str, unread: UnreadManifest) -> Result<Option<&'static str>> {
    let path = run.join(file::MANIFEST);
    let manifest = match load_manifest(run) {
        Ok(manifest) => manifest,
        Err(_) if unread == UnreadManifest::Reported && fs::read_dir(run).is_ok() => return Ok(None),
        Err(source) => return Err(OutputError::Unreadable { path, source }.into()),
    };
    if is_record_of(run, manifest.as_ref()) {
        return Ok(Some("a failed run's record"));
    }
    let names_it = manifest.as_ref().and_then(|m| m.get("run_id")).and_then(|v| v.as_str()) == Some(id);
    let set = run.is_dir() && !names_it && !is_damaged_set(run, id)?;
    Ok(set.then_some("which holds no published set"))
}

/// Refuses a `shards` that is not kindred's folder, or a `latest` that is not its link to a
/// prepared run. Reads only. `kindred status` refuses the same (helper-98: every `prepare`
/// refused such a folder while `status` read it healthy).
pub fn check_shards_layout(dir: &Path) -> Result<()> {
    let shards = dir.join(SHARDS);
    match entry(&shards)? {
        Some(meta) if !meta.is_dir() => {
            Err(unexpected(&shards, &meta, "kindred's folder of prepared runs".into()).into())
        }
        Some(_) => match entry(&shards.join(LATEST))? {
            Some(meta) if latest_id(&shards.join(LATEST)).is_none() => {
                let expected = "kindred's link to a prepared run (<run_id>)".into();
                Err(unexpected(&shards.join(LATEST), &meta, expected).into())
            }
            _ => Ok(()),
        },
        None => Ok(()),
    }
}

/// The run id `shards/latest` points to.
pub(crate) fn latest_id(link: &Path) -> Option<String> {
    let target = fs::read_link(link).ok()?;
    target.to_str().filter(|t| is_run_id(t)).map(str::to_string)
}

/// Whether `dir/name` is kindred's fixed link to `current/name`.
fn is_fixed_link(dir: &Path, name: &str) -> bool {
    fs::read_link(dir.join(name)).ok().as_deref() == Some(Path::new(CURRENT).join(name).as_path())
}

/// Refuses an output folder that is the root, whose name holds a control character, or that
/// holds the input file where kindred writes, renames or removes: in the folder itself (a run
/// replaces an export named like an output with a link to its own output), or inside `runs/`,
/// `current`, `shards/` or a staging folder. An export in a folder of its own below it (`dir =
/// "/srv"` beside `/srv/exports/today.parquet`) is not kindred's to touch, and is not refused:
/// it was, as "holds the input file … a run would replace it", which no run would (helper-98).
/// Compared canonical (links resolved), before anything is created; a folder yet to be made
/// holds nothing. Reads only.
pub fn check_output_dir(dir: &Path, key: &str, input: &Path) -> Result<(), ConfigError> {
    let invalid = |message: String| ConfigError::Invalid { key: key.into(), message };
    // a path ending in a newline (an environment variable set from a YAML block) made a folder
    // `out\n` and published there, exit 0, and split the log's line in two
    if let Some(c) = dir.as_os_str().to_string_lossy().chars().find(|c| c.is_control()) {
        return Err(invalid(format!(
            "{:?} holds the control character {c:?}: a folder named so is not the one meant (a value \
             copied with its line end?); write the folder's name without it",
            dir.as_os_str()
        )));
    }
    let Some(out) = made(dir) else { return Ok(()) };
    if out.parent().is_none() {
        return Err(invalid(format!(
            "{} is the root folder; choose a folder that holds only kindred's output",
            dir.display()
        )));
    }
    let Ok(input) = fs::canonicalize(input) else { return Ok(()) };
    let Ok(inside) = input.strip_prefix(&out) else { return Ok(()) };
    let first = inside.components().next().and_then(|c| c.as_os_str().to_str()).unwrap_or_default();
    let kindreds = [RUNS, CURRENT, SHARDS].contains(&first) || first.starts_with(STAGING_PREFIX);
    if inside.components().count() == 1 || kindreds {
        let (held, what) = match kindreds {
            true => (format!("{}", Path::new(first).display()), "a run would move or remove it"),
            false => (String::from("the folder itself"), "a run would replace it"),
        };
        return Err(invalid(format!(
            "{} holds the input file {} in {held}; {what}: choose a folder that holds only kindred's output",
            dir.display(),
            input.display()
        )));
    }
    Ok(())
}

/// The folder `out` lies in (or is) that kindred manages in another output folder — its
/// `runs/`, `current`, `shards/` or a staging folder, beside that folder's `.lock` and `runs/`
/// (a `shards/` beside its `.lock` alone: a folder prepared, never published, has no `runs/`
/// yet, and `--output out/shards/x` published a set there: helper-133): `--output
/// /srv/recs/runs` published a set inside `runs/`, and evaluate wrote
/// `runs/evaluation.parquet` and made `shards/`, exit 0, where that folder's runs never look.
fn managed_folder(out: &Path) -> Option<&Path> {
    out.ancestors().find(|folder| {
        let name = folder.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let managed = [RUNS, CURRENT, SHARDS].contains(&name) || name.starts_with(STAGING_PREFIX);
        let kindreds = |p: &Path| p.join(RUNS).is_dir() || (name == SHARDS && holds_prepared(folder));
        let beside = folder.parent().filter(|p| p.join(lock::LOCK).is_file() && kindreds(p));
        managed && beside.is_some()
    })
}

/// Whether `shards` holds what `prepare` makes there: its `latest` link, or a folder of a run's
/// name (prepared or staging). A bare `shards/` beside a `.lock` (a cron `flock data/.lock`
/// beside output folders under `data/shards/`) is anyone's: it was refused (helper-138).
pub(crate) fn holds_prepared(shards: &Path) -> bool {
    latest_id(&shards.join(LATEST)).is_some()
        || fs::read_dir(shards).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                is_run_id(name.strip_prefix(STAGING_PREFIX).unwrap_or(&name)) && e.path().is_dir()
            })
        })
}

/// The folder `dir` names once it is made: its longest existing part with links resolved, the
/// rest as written, each `..` a step up — `new/..` is the folder `new` is made in, so a check of
/// the existing part alone let `--output /shop/new/..` publish into the export's own folder.
/// None when no part of it exists or resolves.
fn made(dir: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(dir).ok()?;
    let parts: Vec<Component> = absolute.components().collect();
    (0..=parts.len()).rev().find_map(|k| {
        let mut out = fs::canonicalize(parts[..k].iter().collect::<PathBuf>()).ok()?;
        for part in &parts[k..] {
            match part {
                Component::ParentDir => drop(out.pop()),
                Component::CurDir => {}
                part => out.push(part),
            }
        }
        Some(out)
    })
}

impl Drop for Publisher {
    /// Stops the heartbeat, then empties the lock file before the lock goes (closing the file
    /// lets it go), so that it never names a finished run as the holder — unless a run's end is
    /// recorded nowhere else: a killed run whose record this run could not write (a full disk),
    /// or this run, refused or failed, whose own record could not be written. The lock then
    /// keeps naming that run, so `kindred status` reports it and the next run records it
    /// (emptied, the folder read as healthy and the run was lost from its history).
    fn drop(&mut self) {
        drop(self.heartbeat.take());
        let left = std::mem::take(self.unrecorded.get_mut());
        match left.is_empty() {
            true => drop(self._lock.set_len(0)),
            false => lock::keep_naming(&self._lock, left.own.then_some(self.line.as_str()), &left.killed),
        }
    }
}

impl Publisher {
    /// Checks the folder's layout, creates it if needed and takes its lock; removes what
    /// killed runs left (their staging folders and temporary links, proven theirs), then
    /// records the killed runs the lock still named: before this run writes, so that a killed
    /// run's set cannot fill a tight volume for every later run (removed only after a
    /// publish, it did).
    pub fn open(dir: &Path, run_id: &str, started: &str) -> Result<Self> {
        Publisher::open_then(dir, run_id, started, || Ok(()))
    }

    /// [`Publisher::open`], calling `first` as soon as the lock is taken, before anything else
    /// (a prepare makes its staging folder there: a shard takes the lock naming a run whose
    /// staging folder is missing for one that is not a prepare's; made after the leftovers'
    /// removal, seconds on a folder a killed run left full, a shard started meanwhile computed
    /// the previous prepared run and exited 0: helper-108). The lock is let go if it fails.
    pub fn open_then(dir: &Path, run_id: &str, started: &str, first: impl FnOnce() -> Result<()>) -> Result<Self> {
        debug_assert!(is_run_id(run_id), "{run_id} is not a run id");
        if dir.exists() && !dir.is_dir() {
            return Err(OutputError::NotADirectory { path: dir.to_path_buf() }.into());
        }
        // without a trailing `/`, which would follow the link
        let bare: PathBuf = dir.components().collect();
        if let Some(meta) = entry(&bare)?.filter(|m| m.file_type().is_symlink() && !dir.exists()) {
            return Err(unexpected(
                &bare,
                &meta,
                "a folder (a link whose target is missing: an unmounted share?)".into(),
            )
            .into());
        }
        check_layout(dir)?;
        fs::create_dir_all(dir).map_err(io(dir))?;
        let line = lock::line_of(started, run_id);
        let (lock, previous) = take_lock(dir, &line)?;
        if let Err(e) = first() {
            // the killed runs it named still to be recorded (by the next run); not this one
            lock::keep_naming(&lock, None, &previous);
            return Err(e);
        }
        let heartbeat = Some(Heartbeat::start(&lock));
        let publisher = Publisher {
            dir: dir.to_path_buf(),
            run_id: run_id.to_string(),
            _lock: lock,
            heartbeat,
            line,
            unrecorded: Default::default(),
        };
        // the leftovers first: on a disk a killed run's set filled, its record needs the room
        let (failed, kept) = publisher.remove_leftovers();
        for e in failed {
            crate::progress::warn(
                false,
                &format!(
                    "a killed run's leftovers, or an old run whose removal stopped half-way, were not all removed: {e}"
                ),
            );
        }
        for folder in kept {
            crate::progress::warn(false, &kept_staging(&folder));
        }
        // any of them may have a set in `runs/` it never switched in: the holder, or a run
        // behind it whose recovery was itself killed (the lock names both until both are
        // recorded: helper-120, two kills in a row)
        if !previous.is_empty() {
            let unrecorded: Vec<lock::Holder> =
                previous.into_iter().filter(|killed| !publisher.record_interrupted(killed)).collect();
            // the lines of the runs now recorded go; this run's stays first, the others behind it
            lock::keep_naming(&publisher._lock, Some(&publisher.line), &unrecorded);
            publisher.unrecorded.borrow_mut().killed = unrecorded;
        }
        Ok(publisher)
    }

    /// Checks, before the work, that this run may write in the folder and in `runs/` (when
    /// there is one), which it writes only as it publishes: a folder or `runs/` made read-only
    /// or immutable, or another user's (its `.lock` still writable), failed the run after the
    /// whole set was computed (helper-115).
    ///
    /// And that its renames can be made: `runs/` on the folder's filesystem (a volume mounted
    /// at `runs/` failed every night's rename into it, cross-device), and `current` this
    /// account's to replace (a folder with the sticky bit, a shared `/srv/recs` of mode 1777,
    /// lets no account replace another's entry: every night failed at its switch, the message
    /// blaming an immutable flag; helper-153).
    pub fn check_runs_writable(&self) -> Result<()> {
        may_write_in(&self.dir)?;
        let dir = fs::metadata(&self.dir).map_err(io(&self.dir))?;
        let runs = self.dir.join(RUNS);
        if let Some(meta) = entry(&runs)?.filter(|meta| meta.is_dir()) {
            may_write_in(&runs)?;
            same_mount(&runs, &meta, (&self.dir, &dir))?;
        }
        replaceable(&self.dir.join(CURRENT), &dir)
    }

    /// This run's place among the runs recorded in the folder, which its manifest records as
    /// `sequence`: one more than the highest a folder of `runs/` records ([`sequence_of`]).
    /// Read under the lock, nothing else records a run meanwhile: the order runs were recorded
    /// in, whatever the clocks of the machines that ran them said ([`run_ids`]).
    pub fn sequence(&self) -> u64 {
        next_sequence(&self.dir)
    }

    /// The folder this run writes into.
    pub fn staging(&self) -> PathBuf {
        self.dir.join(format!("{STAGING_PREFIX}{}", self.run_id))
    }

    /// Creates the staging folder (a new name, never an existing one) holding only its mark.
    pub fn begin(&self) -> Result<PathBuf> {
        let staging = self.staging();
        begin_marked(&staging, &self.run_id)?;
        Ok(staging)
    }

    /// Switches the staged set in: rename under `runs/`, swap the `current` link (the commit),
    /// then make the fixed top-level links and prune to `keep` runs. The layout is checked
    /// again under the lock first, so nothing kindred did not make is renamed over. A fault
    /// before the swap moves the set back to its staging folder (it never went live: the
    /// caller records the failure under its name and abandons the run); a fault after it is a
    /// warning, for the set is published (a reader holding an old run's file open on NFS must
    /// not turn a published night into a failed one).
    pub fn commit(&self, keep: usize) -> Result<PathBuf> {
        check_layout(&self.dir)?;
        let staging = self.staging();
        unmark(&staging)?;
        let runs = self.dir.join(RUNS);
        if entry(&runs)?.is_none() {
            fs::create_dir(&runs).map_err(io(&runs))?;
        }
        let final_dir = runs.join(&self.run_id);
        let before = current_run_id(&self.dir);
        fs::rename(&staging, &final_dir).map_err(io(&final_dir))?;
        crate::progress::defer_ending_signals();
        if let Err(e) = self.switch() {
            if let Err(back) = self.move_back(&self.run_id) {
                let message = format!("{} was not moved back to its staging folder: {back}", final_dir.display());
                crate::progress::warn(false, &message);
            }
            return Err(e);
        }
        // live: said in the lock at once, so that a run that finds it killed from here on
        // never takes its set for one that never went live ([`lock::Holder::live`])
        lock::keep_naming(&self._lock, Some(&lock::live_line(&self.line)), &self.unrecorded.borrow().killed);
        let _ = self._lock.sync_data();
        let tidy = [self.fixed_links(), sync_dir(&self.dir)].into_iter().filter_map(Result::err);
        for e in tidy.chain(self.prune(keep, before.as_deref())) {
            crate::progress::warn(false, &format!("published run {}, but: {e}", self.run_id));
        }
        Ok(final_dir)
    }

    /// Points `current` at this run's folder (a new link renamed over the old: atomic); the
    /// link made and not renamed in is removed.
    fn switch(&self) -> Result<()> {
        sync_dir(&self.dir.join(RUNS))?;
        let tmp = self.dir.join(format!("{LINK_PREFIX}{}", self.run_id));
        std::os::unix::fs::symlink(Path::new(RUNS).join(&self.run_id), &tmp).map_err(io(&tmp))?;
        let current = self.dir.join(CURRENT);
        fs::rename(&tmp, &current).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io(&current)(e)
        })?;
        Ok(())
    }

    /// The fixed top-level links to `current/<name>` that are not there yet.
    /// Links the fixed names that are missing to `current` (a run killed between the switch and
    /// its links left none, on a folder's first publish): for a retried publish whose set is
    /// already current. Under the lock, the folder's layout checked as it was taken.
    pub fn complete_links(&self) -> Result<()> {
        match current_run_id(&self.dir) {
            Some(_) => self.fixed_links(),
            None => Ok(()),
        }
    }

    fn fixed_links(&self) -> Result<()> {
        for name in file::ALL {
            if !is_fixed_link(&self.dir, name) {
                let (link, tmp) = (self.dir.join(name), self.dir.join(format!("{LINK_PREFIX}{}-{name}", self.run_id)));
                std::os::unix::fs::symlink(Path::new(CURRENT).join(name), &tmp).map_err(io(&tmp))?;
                fs::rename(&tmp, &link).map_err(io(&link))?;
            }
        }
        Ok(())
    }

    /// Removes what killed runs left: `.staging-<id>` folders and `.current-<id>…` links.
    /// Only those names, and only of the type kindred makes there. One that cannot be removed
    /// is skipped, not the end of it: returns what was not removed, and the staging folders
    /// kept because nothing proves them a run's (a kindred before 0.4.0 wrote no mark).
    fn remove_leftovers(&self) -> (Vec<Error>, Vec<PathBuf>) {
        let listed = match fs::read_dir(&self.dir) {
            Ok(listed) => listed,
            Err(e) => return (vec![io(&self.dir)(e).into()], Vec::new()),
        };
        let (mut failed, mut kept) = (Vec::new(), Vec::new());
        for entry in listed.flatten() {
            let (Some(name), Ok(kind)) = (entry.file_name().to_str().map(str::to_string), entry.file_type()) else {
                continue;
            };
            let path = entry.path();
            let removed =
                if is_staging_name(&name) && kind.is_dir() && name != format!("{STAGING_PREFIX}{}", self.run_id) {
                    let removed = remove_killed_staging(&path);
                    if removed.is_ok() && self::entry(&path).ok().flatten().is_some() {
                        kept.push(path.clone());
                    }
                    removed
                } else if kind.is_symlink()
                    && temp_link_target(&name).is_some_and(|to| fs::read_link(&path).is_ok_and(|l| l == to))
                {
                    fs::remove_file(&path)
                } else {
                    Ok(())
                };
            failed.extend(removed.map_err(|e| removing(&path)(e).into()).err());
        }
        (failed, kept)
    }

    /// Keeps the `keep` published run folders recorded last ([`run_ids`]: in the order runs
    /// were recorded, not by their ids' dates), this run's (now `current`) and the one live
    /// before it (`before`) counted last of all, and the failed runs' records recorded since
    /// the oldest run kept. Only folders named by
    /// a run id that hold a published set or a record count; anything else in `runs/` (a
    /// person's folder, a run's folder a person added a file to) is left alone. A folder that
    /// cannot be removed (another user's, immutable) is skipped, not the end of the pruning:
    /// returns what could not be removed.
    fn prune(&self, keep: usize, before: Option<&str>) -> Vec<Error> {
        let runs = self.dir.join(RUNS);
        let ids = match run_ids(&self.dir) {
            Ok(ids) => ids,
            Err(e) => return vec![io(&runs)(e).into()],
        };
        // `ids` is in the order the runs were recorded: a folder before the oldest set kept is
        // older than it
        let place: std::collections::HashMap<String, usize> = ids.iter().cloned().zip(0..).collect();
        let (records, others): (Vec<String>, Vec<String>) =
            ids.into_iter().partition(|id| is_failure_record(&runs.join(id)));
        let (mut published, added): (Vec<String>, Vec<String>) =
            others.into_iter().partition(|id| is_published_set(&runs.join(id)));
        // the set live until this run, then this run's, last whatever their places: a set that
        // outranks them (copied in from a busier folder with its sequence, dated ahead by a
        // clock before the upgrade) must not push out the set to roll back to (helper-147)
        for anchor in [before, Some(self.run_id.as_str())] {
            if let Some(at) = published.iter().position(|id| Some(id.as_str()) == anchor) {
                let id = published.remove(at);
                published.push(id);
            }
        }
        let excess = published.len().saturating_sub(keep.max(1));
        let (old, kept) = published.split_at(excess);
        let oldest_kept = kept.iter().chain(old.iter().filter(|id| **id == self.run_id)).map(|id| place[id]).min();
        let before_kept = |id: &&String| oldest_kept.is_some_and(|k| place[*id] < k);
        // an old set a person added a file to (a Mac's `.DS_Store`, an editor's `manifest.json~`)
        // is not provably kindred's: kept and not counted, said on every run as a staging folder
        // without its mark is — silent, such sets piled up past `keep_runs` (helper-98: 7 of 2)
        for id in added.iter().filter(|id| before_kept(id) && names_its_run(&runs.join(id))) {
            let folder = runs.join(id);
            let foreign = foreign_entries(&folder, &[]);
            if foreign.is_empty() {
                continue; // a set of a status kindred does not write (a later version's): kept
            }
            warn_kept(&folder, kept.len(), &format!("it holds what kindred did not write ({})", foreign.join(", ")));
        }
        // an old set whose files are not the bytes its run wrote (a note added to its
        // report.html, a table rewritten) is not what kindred made either: kept and said, as a
        // set a file was added to (helper-153: deleted without a word). Read whole, hashed
        // against its manifest: the sets pruned, one a run.
        let old: Vec<&String> = old
            .iter()
            .filter(|id| **id != self.run_id)
            .filter(|id| {
                let folder = runs.join(id);
                let edited = edited_files(&folder);
                if !edited.is_empty() {
                    let why = format!("its files are not those its run wrote ({})", edited.join(", "));
                    warn_kept(&folder, kept.len(), &why);
                }
                edited.is_empty()
            })
            .collect();
        let stale = records.iter().filter(before_kept);
        old.into_iter().chain(stale).filter_map(|id| self.remove_run(id).err()).collect()
    }

    /// Removes run `id`'s folder through its staging name: renamed out of `runs/` first, so a
    /// removal stopped half-way (killed, an I/O error) leaves a `.staging-<id>` the next run
    /// proves its own (its manifest, removed last, names it; or it is empty) and removes.
    /// Removed in place, a kill between the manifest and the `rmdir` left an empty
    /// `runs/<id>/`, which nothing proves kindred's: kept for ever (the kill fuzz, 2026-12-05).
    fn remove_run(&self, id: &str) -> std::result::Result<(), Error> {
        let path = self.dir.join(RUNS).join(id);
        let staging = self.stage(id).map_err(removing(&path))?;
        remove_proof_last(&staging, &[file::MANIFEST]).map_err(|e| removing(&staging)(e).into())
    }

    /// Records this run as failed or refused: `runs/<run_id>/` holding only `manifest.json`
    /// (`manifest`), written and synced in the staging folder (emptied first: the tables a
    /// failed run left there) and renamed in whole, so a record is complete or absent. Touches
    /// nothing of the published set (`current`, the fixed links, other runs). Returns the
    /// record's folder.
    /// Not written, the lock keeps naming this run as it lets go (see [`Publisher::drop`]).
    pub fn record_failure(&self, manifest: &[u8]) -> Result<PathBuf> {
        let written = self.write_record(&self.run_id, manifest);
        if written.is_err() {
            self.unrecorded.borrow_mut().own = true;
        }
        written
    }

    /// Leaves a record for the run that held the lock before this one and never let go — it
    /// was killed (SIGKILL, the OOM killer, SIGTERM) or its machine went down, for the lock
    /// still names it — unless it has one (it published, or recorded its failure, and was
    /// stopped letting go): `runs/<its id>/manifest.json`, status `"interrupted"`, so that the
    /// folder's history (`kindred status`, the BI views' `runs`) keeps it. A lock written
    /// before 0.4.0 names no run id: nothing is recorded. A record not written is a warning,
    /// and false: the lock is left naming the killed run as this one lets go.
    fn record_interrupted(&self, killed: &lock::Holder) -> bool {
        let Some(id) = killed.run_id.as_deref().filter(|id| *id != self.run_id) else { return true };
        let folder = self.dir.join(RUNS).join(id);
        match entry(&folder) {
            Ok(None) => {}
            // Killed between moving its set into runs/ and switching `current` to it: the set
            // never went live, and the lock names the run that made it. Back to its staging
            // name (and removed, as a killed run's leftover), so the record can
            // take the name and no reader takes the set for a published one. Whichever line
            // names it: a run killed while it moved the set back leaves the lock naming itself
            // first and this run behind it, and the next run took the set for a published one
            // (only the first line's was moved back: helper-120). A run whose set went live
            // says so in its line (`live`) right after its switch: its set is kept whatever
            // `current` says now (pointed back by hand, its published set was deleted:
            // helper-125); only a kill between the switch and that line leaves it unsaid.
            Ok(Some(meta)) if !killed.live && meta.is_dir() && is_published_set(&folder) && !self.is_current(id) => {
                if let Err(e) = self.move_back(id) {
                    let message = format!("run {id}'s set, never switched in, was left in {RUNS}/: {e}");
                    crate::progress::warn(false, &message);
                    return false;
                }
                let staging = self.dir.join(format!("{STAGING_PREFIX}{id}"));
                if let Err(e) = remove_killed_staging(&staging) {
                    crate::progress::warn(false, &format!("{}", removing(&staging)(e)));
                }
            }
            _ => return true,
        }
        // never before it started: the lock's time is the file system's coarse clock (a run
        // killed at once was "last seen" 4 ms before it started: helper-158)
        let started = chrono::DateTime::parse_from_rfc3339(&killed.started).map(|t| t.to_utc());
        let seen = chrono::DateTime::<chrono::Utc>::from(killed.touched).max(started.unwrap_or_default());
        let seen = seen.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let message = format!("{}; found by run {}", killed.interrupted(&format!("last seen {seen}")), self.run_id);
        let manifest = serde_json::json!({
            "kindred_version": env!("CARGO_PKG_VERSION"),
            "schema_version": crate::write::SCHEMA_VERSION,
            "status": "interrupted",
            "run_id": id,
            "sequence": self.sequence(),
            "started_utc": killed.started,
            "finished_utc": null,
            "last_seen_utc": seen,
            "pid": killed.pid,
            "host": killed.host,
            "recorded_by": self.run_id,
            "error": { "message": message, "causes": [] },
        });
        let written = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| OutputError::Json { path: self.dir.join(RUNS).join(id), detail: e.to_string() }.into())
            .and_then(|text| self.write_record(id, &text));
        if let Err(e) = &written {
            crate::progress::warn(false, &format!("the interrupted run {id}'s record was not written: {e}"));
        }
        written.is_ok()
    }

    /// Renames run `id`'s set, which never went live, from `runs/<id>` back to its staging
    /// name, where the next run removes it as a killed run's leftover.
    fn move_back(&self, id: &str) -> std::result::Result<(), String> {
        self.stage(id).map(drop).map_err(|e| e.to_string())
    }

    /// Renames `runs/<id>` to its staging name `.staging-<id>` (never over anything).
    fn stage(&self, id: &str) -> std::io::Result<PathBuf> {
        let staging = self.dir.join(format!("{STAGING_PREFIX}{id}"));
        match fs::symlink_metadata(&staging) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::rename(self.dir.join(RUNS).join(id), &staging).map(|()| staging)
            }
            Err(e) => Err(e),
            Ok(_) => {
                Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, format!("{} exists", staging.display())))
            }
        }
    }

    fn is_current(&self, id: &str) -> bool {
        current_run_id(&self.dir).as_deref() == Some(id)
    }

    /// Writes `runs/<id>/` holding only `manifest` (through this run's staging folder, renamed
    /// in whole: a record is complete or absent), never over anything of that name.
    fn write_record(&self, id: &str, manifest: &[u8]) -> Result<PathBuf> {
        check_layout(&self.dir)?;
        self.drop_staging();
        let written = self.write_record_staged(id, manifest);
        if written.is_err() {
            self.drop_staging(); // the run's own staging name, free for its next step
        }
        written
    }

    fn write_record_staged(&self, id: &str, manifest: &[u8]) -> Result<PathBuf> {
        let staging = self.begin()?;
        let path = staging.join(file::MANIFEST);
        let mut f = File::create(&path).map_err(io(&path))?;
        f.write_all(manifest).and_then(|_| f.sync_all()).map_err(io(&path))?;
        unmark(&staging)?;
        let runs = self.dir.join(RUNS);
        if entry(&runs)?.is_none() {
            fs::create_dir(&runs).map_err(io(&runs))?;
        }
        let record = runs.join(id);
        // rename(2) would replace an empty folder of that name: never over anything
        if let Some(meta) = entry(&record)? {
            return Err(unexpected(&record, &meta, "a new run's name".into()).into());
        }
        fs::rename(&staging, &record).map_err(io(&record))?;
        sync_dir(&runs)?;
        Ok(record)
    }

    /// Drops the staging folder of a run that is not publishing (refused or failed).
    pub fn abandon(self) {
        self.drop_staging();
    }

    fn drop_staging(&self) {
        let staging = self.staging();
        if entry(&staging).ok().flatten().is_some_and(|m| m.is_dir()) {
            let _ = remove_proof_last(&staging, &[MARK, file::MANIFEST]);
        }
    }
}

/// Whether `run` is a failed, refused or interrupted run's record: a real folder holding
/// nothing but a regular file `manifest.json` whose `status` says so and whose `run_id` is the
/// folder's name, as kindred writes it. Published runs, whatever their manifest says, hold
/// their tables too. A record copied under another run's name, or a person's folder of a
/// run's name holding their own `manifest.json`, is not kindred's: pruning deleted both.
pub fn is_failure_record(run: &Path) -> bool {
    is_record_of(run, read_manifest(run).as_ref())
}

/// [`is_failure_record`], `manifest` being `run`'s, read.
fn is_record_of(run: &Path, manifest: Option<&serde_json::Value>) -> bool {
    let Ok(entries) = fs::read_dir(run) else { return false };
    let names: Vec<_> = entries.flatten().map(|e| e.file_name()).take(2).collect();
    if names.len() != 1 || names[0] != file::MANIFEST {
        return false;
    }
    let Some(manifest) = manifest else { return false };
    let field = |key: &str| manifest.get(key).and_then(|s| s.as_str());
    let named = run.file_name().and_then(|n| n.to_str());
    matches!(field("status"), Some("failed" | "refused" | "interrupted")) && named.is_some() && field("run_id") == named
}

/// Whether everything under the real folder `folder` is of a name and type kindred writes
/// there, as `ours(path inside the folder, is a folder)` says: no link, no other kind of entry,
/// nothing `ours` does not name. What a person made or added is not provably kindred's.
pub(crate) fn holds_only(folder: &Path, ours: &dyn Fn(&Path, bool) -> bool) -> bool {
    fn walk(root: &Path, dir: &Path, ours: &dyn Fn(&Path, bool) -> bool) -> bool {
        let Ok(entries) = fs::read_dir(dir) else { return false };
        entries.into_iter().all(|e| {
            let Some((e, kind)) = e.ok().and_then(|e| e.file_type().ok().map(|k| (e, k))) else { return false };
            let path = e.path();
            let inside = path.strip_prefix(root).unwrap_or(&path);
            match (kind.is_dir(), kind.is_file()) {
                (true, _) => ours(inside, true) && walk(root, &path, ours),
                (false, true) => ours(inside, false),
                _ => false,
            }
        })
    }
    walk(folder, folder, ours)
}

/// Why the staging folder `folder` was kept, with its size: what it holds that kindred did not
/// write beside a set and its mark (a killed run's folder a person added a file to was said to
/// lack the mark it has, helper-120), else the mark it lacks.
fn kept_staging(folder: &Path) -> String {
    let (shown, size) = (folder.display(), size_text(folder));
    let id = folder.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix(STAGING_PREFIX));
    let proven = id.is_some_and(|id| is_marked(folder, id) || staged_by(folder, id));
    let foreign = foreign_entries(folder, &[MARK]);
    match !proven || foreign.is_empty() {
        false => format!(
            "kept {shown} ({size}): a killed run's staging folder holding what kindred did not write ({}), so it is not removed; move that away, or delete the folder by hand",
            foreign.join(", ")
        ),
        true => format!(
            "kept {shown} ({size}): a staging folder without the mark that proves a kindred run made it (one that a kindred before 0.4.0 left when it was killed, or another's), so it is not removed; delete it by hand when no run of an older kindred is writing it"
        ),
    }
}

/// The first few entries of a run's folder that are not a set's files (nor `besides`), quoted, with how many
/// more there are.
fn foreign_entries(folder: &Path, besides: &[&str]) -> Vec<String> {
    let ours = |e: &fs::DirEntry| {
        e.file_type().is_ok_and(|t| t.is_file())
            && e.file_name()
                .to_str()
                .is_some_and(|n| crate::write::is_written_as(n, &file::ALL) || besides.contains(&n))
    };
    let Ok(entries) = fs::read_dir(folder) else { return Vec::new() };
    let mut foreign: Vec<String> =
        entries.flatten().filter(|e| !ours(e)).map(|e| format!("{:?}", e.file_name())).collect();
    foreign.sort();
    if foreign.len() > 3 {
        let more = foreign.len() - 3;
        foreign.truncate(3);
        foreign.push(format!("{more} more"));
    }
    foreign
}

/// A run's folder holds only files of a published set: every version's set is a subset of
/// today's [`file::ALL`].
fn holds_a_set(folder: &Path) -> bool {
    holds_only(folder, &|inside, is_folder| {
        !is_folder && inside.to_str().is_some_and(|n| crate::write::is_written_as(n, &file::ALL))
    })
}

/// The file a run's staging folder holds from its creation until it is renamed in: the run id.
/// A staging folder's name and file names are not proof that kindred made it (a person's
/// folder of that name is); its mark, or a manifest naming its run, is.
pub(crate) const MARK: &str = ".kindred-staging";

/// Creates the folder `staging` (never over anything) and marks it as run `run_id`'s. A mark
/// not written (a full disk) takes the folder it made with it: left, it was "File exists" to
/// the run's next step, an error that hid the disk's.
pub(crate) fn begin_marked(staging: &Path, run_id: &str) -> Result<()> {
    fs::create_dir(staging).map_err(io(staging))?;
    let path = staging.join(MARK);
    fs::write(&path, run_id).map_err(|e| {
        let _ = fs::remove_file(&path);
        let _ = fs::remove_dir(staging);
        io(&path)(e).into()
    })
}

/// Removes the mark (the folder is about to be renamed in) and syncs the folder.
pub(crate) fn unmark(staging: &Path) -> Result<()> {
    let path = staging.join(MARK);
    fs::remove_file(&path).map_err(io(&path))?;
    sync_dir(staging)
}

/// Whether `folder`'s mark names `run_id` (a regular file of a run id's size). A mark cut
/// short — empty, or the start of `run_id` — in a folder holding nothing else is the run's too:
/// killed as [`begin_marked`] wrote it (a file is created empty, then written), before it wrote
/// anything else. Such a folder was kept for ever, a warning every run (seen in a test that
/// kills runs at set moments, on a loaded machine).
pub(crate) fn is_marked(folder: &Path, run_id: &str) -> bool {
    let path = folder.join(MARK);
    let Some(text) = entry(&path)
        .ok()
        .flatten()
        .filter(|m| m.is_file() && m.len() < 256)
        .and_then(|_| fs::read_to_string(&path).ok())
    else {
        return false;
    };
    text == run_id || (run_id.starts_with(&text) && holds_only(folder, &|inside, _| inside == Path::new(MARK)))
}

/// Removes a folder a killed run (or prepare) left: an empty one with `rmdir`, which removes
/// nothing else, and one holding files only when `ours` proves kindred wrote them (a folder of
/// a run's name is not proof: a person's folder of that shape was deleted), the files that
/// prove it (`proofs`) last ([`remove_proof_last`]). Else it stays.
pub(crate) fn remove_left_folder(folder: &Path, ours: impl Fn(&Path) -> bool, proofs: &[&str]) -> std::io::Result<()> {
    if fs::remove_dir(folder).is_ok() || !ours(folder) {
        return Ok(());
    }
    remove_proof_last(folder, proofs)
}

/// Removes a folder kindred proved its own, the files in it that prove it (`proofs`: its mark,
/// its manifest, its plan) last, then the folder. A removal stopped half-way (an I/O error, a
/// reader's `.nfs…` file on NFS, another user's file) leaves a folder still provably kindred's,
/// which a later run removes; removing the proof first (as `remove_dir_all` may) left files no
/// run could prove its own, kept for ever.
pub(crate) fn remove_proof_last(folder: &Path, proofs: &[&str]) -> std::io::Result<()> {
    for e in fs::read_dir(folder)? {
        let e = e?;
        if proofs.iter().any(|p| e.file_name() == *p) {
            continue;
        }
        match e.file_type()?.is_dir() {
            true => fs::remove_dir_all(e.path())?,
            false => fs::remove_file(e.path())?,
        }
    }
    for p in proofs {
        match fs::remove_file(folder.join(p)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    fs::remove_dir(folder)
}

/// An error removing `path` ("cannot remove …", where writing it would say "cannot write").
pub(crate) fn removing(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Remove { path: path.to_path_buf(), source }
}

/// The bytes of the files in `folder` and its sub-folders, as "2.3 MB" (or "12 KB", [`crate::words::size`]).
pub(crate) fn size_text(folder: &Path) -> String {
    fn bytes(path: &Path) -> u64 {
        let Ok(listed) = fs::read_dir(path) else { return 0 };
        let each = |e: fs::DirEntry| match e.file_type() {
            Ok(t) if t.is_dir() => bytes(&e.path()),
            Ok(t) if t.is_file() => e.metadata().map_or(0, |m| m.len()),
            _ => 0,
        };
        listed.flatten().map(each).sum()
    }
    crate::words::size(bytes(folder))
}

/// Removes a killed run's staging folder, when [`is_killed_staging`] proves it one; its mark
/// and manifest last.
fn remove_killed_staging(folder: &Path) -> std::io::Result<()> {
    remove_left_folder(folder, is_killed_staging, &[MARK, file::MANIFEST])
}

/// A killed run's staging folder `.staging-<id>`: a set's files and its mark naming `<id>`, or a
/// set whose manifest proves it run `<id>`'s ([`staged_by`]: moved back from `runs/`, killed as
/// its mark was removed, or a killed run's record another run was writing). An empty one
/// (killed as it was made) is removed with `rmdir`, which removes nothing else.
fn is_killed_staging(folder: &Path) -> bool {
    let id = folder.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_prefix(STAGING_PREFIX));
    let ours = |inside: &Path, is_folder: bool| {
        !is_folder && inside.to_str().is_some_and(|n| n == MARK || crate::write::is_written_as(n, &file::ALL))
    };
    id.is_some_and(|id| holds_only(folder, &ours) && (is_marked(folder, id) || staged_by(folder, id)))
}

/// Whether `folder`'s manifest proves run `id` wrote it there: it names run `id`, or it is the
/// record of a killed run that run `id` wrote (`recorded_by`), which goes through the recording
/// run's staging folder unmarked (a record holds its manifest alone). Killed as it renamed such
/// a record in, a run left a staging folder of its name whose manifest names another run: kept
/// for ever with "delete it by hand" (helper-120, two kills in a row).
fn staged_by(folder: &Path, id: &str) -> bool {
    let Some(manifest) = read_manifest(folder) else { return false };
    let field = |key: &str| manifest.get(key).and_then(|v| v.as_str());
    field("run_id") == Some(id) || (field("status") == Some("interrupted") && field("recorded_by") == Some(id))
}

/// A published run's folder: a set's files, its manifest among them naming the folder's run,
/// published (or of a kindred before 0.3.0, which wrote no status). A status kindred does not
/// write (a later version's, a person's edit) is not proof: kept, and not counted.
pub(crate) fn is_published_set(folder: &Path) -> bool {
    let Some(manifest) = holds_a_set(folder).then(|| read_manifest(folder)).flatten() else { return false };
    folder.file_name().and_then(|n| n.to_str()).is_some_and(|id| names_published(&manifest, id))
}

/// The warning, on every run, for an old published set pruning keeps (`kept` sets kept besides)
/// because nothing proves it as its run left it (`why`): a file added to it, or one changed.
fn warn_kept(folder: &Path, kept: usize, why: &str) {
    crate::progress::warn(
        false,
        &format!(
            "kept {} ({}), a published set older than the {kept} kept: {why}, so it is neither removed nor counted; move that away, or delete the folder by hand",
            folder.display(),
            size_text(folder),
        ),
    );
}

/// The files of the published set `folder` that are not the bytes its run wrote, each with
/// how: changed since (another size, another SHA-256 than its manifest records, another
/// table, not a file), or that this account cannot read, which proves nothing. A file missing
/// is no person's work to keep, nor a manifest listing none; a set whose manifest records no
/// SHA-256 (an earlier kindred's) is judged by sizes and footers.
fn edited_files(folder: &Path) -> Vec<String> {
    let Some(manifest) = read_manifest(folder) else { return Vec::new() };
    let inspection = inspect(folder, &manifest, Depth::Contents);
    let edited = |harm: &Harm| {
        matches!(
            harm,
            Harm::Size { .. }
                | Harm::Changed { .. }
                | Harm::NotATable(_)
                | Harm::OtherRun(_)
                | Harm::NotAFile
                | Harm::Denied(_)
        )
    };
    inspection.damaged.into_iter().filter(|d| edited(&d.harm)).map(|d| d.to_string()).collect()
}

/// Whether `manifest` is run `id`'s, published (or of a kindred before 0.3.0, which wrote no
/// status).
fn names_published(manifest: &serde_json::Value, id: &str) -> bool {
    let text = |key: &str| manifest.get(key).map(|v| v.as_str());
    text("run_id") == Some(Some(id)) && matches!(text("status"), None | Some(Some("published")))
}

/// The folders of `dir`'s `runs/` named by a run id, in the order they were recorded, oldest
/// first ([`sequence_of`], then the id): the runs pruning weighs, `status` reads the last
/// attempt from, a run compares with when `current` is missing and a sharded publish looks its
/// prepared run up in. Not by id alone: an id is the start time by the clock of the machine
/// that ran it, and a clock that ran ahead (a VM's booted wrong, NTP not yet synced) dated its
/// runs after every run since — pruning deleted each night's set the next night and kept the
/// future-dated ones, and `status` read them as the last attempt (helper-140).
pub(crate) fn run_ids(dir: &Path) -> std::io::Result<Vec<String>> {
    let runs = dir.join(RUNS);
    let listed = fs::read_dir(&runs)?;
    let mut ids: Vec<(Option<u64>, String)> = listed
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| is_run_id(name))
        .map(|id| (sequence_of(&runs.join(&id)), id))
        .collect();
    // a folder whose manifest says nothing of its place (a run of a kindred that recorded no
    // sequence — before the upgrade, or an older binary run after it: helper-147 —, a
    // person's copy, one this account cannot read) goes after the runs dated before it: where
    // its id put it when ids alone ordered the runs
    ids.sort_unstable_by(|a, b| a.1.cmp(&b.1));
    let mut before = 0;
    let mut keyed: Vec<(u64, String)> = ids
        .into_iter()
        .map(|(sequence, id)| match sequence {
            Some(s) => {
                before = before.max(s);
                (s, id)
            }
            None => (before, id),
        })
        .collect();
    keyed.sort_unstable();
    Ok(keyed.into_iter().map(|(_, id)| id).collect())
}

/// One more than the highest `sequence` a folder of `dir`'s `runs/` records: 1 for the first.
fn next_sequence(dir: &Path) -> u64 {
    let runs = dir.join(RUNS);
    let listed = fs::read_dir(&runs).into_iter().flatten().flatten();
    let named = listed.filter(|e| e.file_name().to_str().is_some_and(is_run_id));
    // saturating: a hand-edited manifest's u64::MAX wrapped the next run's to 0, a run older
    // than every other (helper-153)
    named.filter_map(|e| sequence_of(&runs.join(e.file_name()))).max().unwrap_or(0).saturating_add(1)
}

/// The `sequence` run folder `folder`'s manifest records ([`Publisher::sequence`]), when it
/// names the folder's run; `None` otherwise, or for a run of a kindred that recorded none
/// (0.3, 0.4.0 before 2026-12-07; [`run_ids`] places it by its id).
pub(crate) fn sequence_of(folder: &Path) -> Option<u64> {
    let manifest = read_manifest(folder)?;
    let named = folder.file_name().and_then(|n| n.to_str());
    (manifest.get("run_id").and_then(|v| v.as_str()) == named)
        .then(|| manifest.get("sequence").and_then(serde_json::Value::as_u64))
        .flatten()
}

/// Whether `folder`'s manifest names the run the folder is named by.
fn names_its_run(folder: &Path) -> bool {
    let id = folder.file_name().and_then(|n| n.to_str());
    id.is_some_and(|id| manifest_run_id(folder).as_deref() == Some(id))
}

/// Whether `run`, the folder `current` points to, is run `id`'s published set with its
/// manifest damaged (missing, cut short, not JSON): it holds only a set's files, its manifest
/// names no run, and a table's footer names `id` (every table carries its run's id, see
/// [`crate::write::stamped_writer`]). Still kindred's: `status` reports it damaged (exit 6)
/// and the next run publishes in its place (refused as someone else's layout, every run failed
/// until a person stepped in). A manifest naming another run is not damage but a set copied
/// in: refused. A folder or manifest that cannot be read is an error saying so.
fn is_damaged_set(run: &Path, id: &str) -> Result<bool> {
    let unreadable = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Unreadable { path, source }
    };
    fs::read_dir(run).map_err(unreadable(run))?;
    let manifest = run.join(file::MANIFEST);
    match entry(&manifest)? {
        // a folder, a link, a FIFO (opened, it blocked every status and run for good): not a
        // manifest kindred wrote, damaged or not
        Some(meta) if !meta.is_file() => return Ok(false),
        Some(_) => drop(File::open(&manifest).map_err(unreadable(&manifest))?),
        None => {}
    }
    let stamped = |name: &&str| crate::write::stamped_run_id(&run.join(name)).as_deref() == Some(id);
    Ok(manifest_run_id(run).is_none() && holds_a_set(run) && file::ALL.iter().any(stamped))
}

/// What a run-id-named folder of `runs/` is, by the proofs a run trusts before it counts or
/// prunes a folder ([`is_published_set`], [`is_failure_record`]; a published set whose manifest
/// is damaged is still its run's, [`is_damaged_set`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunFolder {
    /// A published set: its files, its manifest naming the folder's run.
    Set,
    /// A failed, refused or interrupted run's record.
    Record,
    /// Its run's published set, the manifest missing or cut short (the tables name the run).
    DamagedSet,
    /// Nothing proves kindred made it (a person's copy, or their folder): why, in words.
    NotKindreds(String),
}

/// What the folder `run` (named by a run id) is; an error when it cannot be read.
pub fn run_folder(run: &Path) -> Result<RunFolder> {
    let id = run.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    fs::read_dir(run).map_err(io_read(run))?;
    if is_published_set(run) {
        return Ok(RunFolder::Set);
    }
    if is_failure_record(run) {
        return Ok(RunFolder::Record);
    }
    if is_damaged_set(run, id)? {
        return Ok(RunFolder::DamagedSet);
    }
    let why = match read_manifest(run) {
        None if entry(&run.join(file::MANIFEST))?.is_none() => format!("it has no {}", file::MANIFEST),
        None => format!("its {} is not one kindred wrote", file::MANIFEST),
        Some(m) => match m.get("run_id").and_then(|v| v.as_str()) {
            Some(named) if named != id => format!("its {} names run {named}: a copy made by hand?", file::MANIFEST),
            None => format!("its {} names no run", file::MANIFEST),
            Some(_) => match foreign_entries(run, &[]) {
                foreign if !foreign.is_empty() => {
                    format!("it holds what kindred did not write ({})", foreign.join(", "))
                }
                _ => format!("its {} has a status kindred does not write", file::MANIFEST),
            },
        },
    };
    Ok(RunFolder::NotKindreds(why))
}

/// An error reading `path`, as [`OutputError::Unreadable`].
fn io_read(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Unreadable { path: path.to_path_buf(), source }
}

/// The run id `folder`'s manifest names.
fn manifest_run_id(folder: &Path) -> Option<String> {
    read_manifest(folder)?.get("run_id")?.as_str().map(str::to_string)
}

/// `folder`'s `manifest.json` as JSON, when it is a regular file of a manifest's size (a
/// few kilobytes; a file much larger is not one, and is not read whole).
pub(crate) fn read_manifest(folder: &Path) -> Option<serde_json::Value> {
    load_manifest(folder).ok().flatten()
}

/// [`read_manifest`], an I/O error reading it (but its absence) an error: `Ok(None)` is no
/// manifest (none there, not a regular file, too large, not UTF-8 or not JSON).
fn load_manifest(folder: &Path) -> std::io::Result<Option<serde_json::Value>> {
    let path = folder.join(file::MANIFEST);
    match fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() && meta.len() < 1 << 24 => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    match fs::read_to_string(&path) {
        Ok(text) => Ok(serde_json::from_str(&text).ok()),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::InvalidData | std::io::ErrorKind::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The published run's folder under `dir`, if one is published (through kindred's own
/// `current` link only).
/// The run id `current` points to, when it is kindred's link.
pub fn current_run_id(dir: &Path) -> Option<String> {
    linked_run(&dir.join(CURRENT))
}

pub fn current_run(dir: &Path) -> Option<PathBuf> {
    published_run(dir).ok().flatten()
}

/// [`current_run`], or the error that hides it: a `runs/` (or run folder) this account cannot
/// read — a run's under umask 077, a monitor under another user — is not "nothing published"
/// (`status` said so, exit 6, and `explain` "run `kindred run` first": helper-98).
pub fn published_run(dir: &Path) -> Result<Option<PathBuf>> {
    let Some(id) = linked_run(&dir.join(CURRENT)) else { return Ok(None) };
    let path = dir.join(RUNS).join(id);
    let unreadable = |source| OutputError::Unreadable { path: path.clone(), source };
    match fs::symlink_metadata(&path) {
        Ok(meta) => Ok(meta.is_dir().then_some(path)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(unreadable(e).into()),
    }
}

/// The published set a run compares with (its gates, drift and last choice): `current`'s;
/// else, where `current` is missing or points to a run that is gone while `runs/` still holds
/// published sets — the live set deleted by an age-based cleanup, the link removed by hand —
/// the newest of them, with a line saying so (the run warns it). Taken for a first run, "no
/// previous published set to compare with" let an export cut to 527 of 4,339 customers
/// through every gate, exit 0 (helper-126). A set is one whose manifest names its folder's
/// run, published — a person's file beside it does not make it someone else's here (pruning
/// asks more). Newer run folders that are neither (one this account cannot read) are named; when
/// only such are left, the newest is returned to be read as it can (its manifest not read: each
/// gate then says it was not checked) rather than nothing, a first run (helper-132). Reads only.
pub fn compared_run(dir: &Path) -> Option<Compared> {
    if let Some(run) = current_run(dir) {
        return Some(Compared { run, said: None, read: true });
    }
    let ids = run_ids(dir).ok()?;
    let why = match current_run_id(dir) {
        Some(gone) => format!("{CURRENT} points to {RUNS}/{gone}, which is missing"),
        None => format!("{CURRENT} is missing"),
    };
    let mut passed = Vec::new();
    for id in ids.iter().rev() {
        let folder = dir.join(RUNS).join(id);
        let manifest = read_manifest(&folder);
        if manifest.as_ref().is_some_and(|m| names_published(m, id)) {
            let newer = match passed.is_empty() {
                true => String::new(),
                false => format!(
                    " (newer, not read as published sets: {}; sets this account cannot read, or not kindred's?)",
                    passed.join(", ")
                ),
            };
            let said = format!(
                "{why}: compared with {RUNS}/{id}, the newest published set there{newer} (its gates and drift), not as a first run"
            );
            return Some(Compared { run: folder, said: Some(said), read: true });
        }
        if !is_record_of(&folder, manifest.as_ref()) {
            passed.push(format!("{RUNS}/{id}"));
        }
    }
    let newest = passed.first()?;
    let said = format!(
        "{why}, and {RUNS}/ holds no published set this run can read ({}: sets this account cannot read, or not kindred's?): the gates that compare with the last published run are not checked, not passed as on a first run",
        passed.join(", ")
    );
    Some(Compared { run: dir.join(newest), said: Some(said), read: false })
}

/// [`compared_run`]'s answer: the run folder, why it is not `current`'s, and whether its
/// figures are to be read (`false`: no folder of `runs/` reads as a published set).
pub struct Compared {
    pub run: PathBuf,
    pub said: Option<String>,
    pub read: bool,
}

/// What to say when `current` names a run whose folder is missing (renamed or deleted by hand,
/// a partial restore): `status` and `explain` said "nothing is published", as of a fresh
/// folder, naming neither the link nor the folder to look for.
pub fn dangling_current(dir: &Path) -> Option<String> {
    let id = current_run_id(dir)?;
    let missing =
        fs::symlink_metadata(dir.join(RUNS).join(&id)).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
    missing.then(|| {
        format!(
            "{CURRENT} points to {RUNS}/{id}, which is missing (renamed, moved or deleted): put it back, point {CURRENT} at another run of {RUNS}/, or run `kindred run`"
        )
    })
}

/// Refuses `runs` (its `meta`) on another mount than the output folder `dir` (its `dir_meta`):
/// each set is renamed into it from its staging folder. A bind mount of the same filesystem (a
/// Kubernetes `subPath`) has its device, not its mount: a rename across mounts fails as one
/// across filesystems (helper-157).
fn same_mount(runs: &Path, meta: &fs::Metadata, (dir, dir_meta): (&Path, &fs::Metadata)) -> Result<()> {
    if meta.dev() == dir_meta.dev() && mount_id(runs) == mount_id(dir) {
        return Ok(());
    }
    Err(OutputError::Layout {
        path: runs.to_path_buf(),
        found: "on another mount than its output folder (a volume or a bind mount there?)".into(),
        expected: format!("a folder of the output folder's mount: each set is renamed into it from {STAGING_PREFIX}<run>/ beside it, and a rename cannot cross mounts; mount the volume at the output folder itself"),
    }
    .into())
}

/// Refuses `current` when this account cannot replace it: another account's entry in a folder
/// (`dir`) with the sticky bit, neither the folder's nor root's (a shared folder of mode 1777).
fn replaceable(current: &Path, dir: &fs::Metadata) -> Result<()> {
    // SAFETY: geteuid reads the process's effective user id.
    let me = unsafe { libc::geteuid() };
    let sticky = dir.mode() & libc::S_ISVTX != 0;
    match entry(current)? {
        Some(link) if sticky && me != 0 && link.uid() != me && dir.uid() != me => Err(OutputError::Layout {
            path: current.to_path_buf(),
            found: format!("another account's entry (uid {}) in a folder with the sticky bit (mode {:o}), which this account (uid {me}) cannot replace", link.uid(), dir.mode() & 0o7777),
            expected: "this account's: run kindred as the account that published last, or have that account remove the sticky bit (chmod -t) or give the folder to this one".into(),
        }
        .into()),
        _ => Ok(()),
    }
}

/// The id of the mount `path` is on (`statx`'s `STATX_MNT_ID`, Linux 5.8), `None` where it
/// cannot be told (an older kernel: the device is compared alone).
fn mount_id(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: a zeroed statx is a valid value for the kernel to fill.
    let mut out: libc::statx = unsafe { std::mem::zeroed() };
    // SAFETY: a NUL-terminated path and a statx we own; statx only reads the one, fills the other.
    let done = unsafe { libc::statx(libc::AT_FDCWD, c.as_ptr(), 0, libc::STATX_MNT_ID, &mut out) } == 0;
    (done && out.stx_mask & libc::STATX_MNT_ID != 0).then_some(out.stx_mnt_id)
}

/// Whether this process may make entries in the folder `dir` (`access(2)`: its mode, a
/// read-only mount, an immutable flag), as an error naming it when not.
pub(crate) fn may_write_in(dir: &Path) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).map_err(|e| io(dir)(std::io::Error::other(e)))?;
    // SAFETY: a NUL-terminated path; `access` reads only.
    match unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } {
        0 => Ok(()),
        _ => Err(io(dir)(std::io::Error::last_os_error()).into()),
    }
}

/// fsyncs a directory so renames and new entries in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir)(e).into())
}

#[cfg(test)]
mod tests {
    use super::lock::{flock_holder, Flock, LOCK};
    use super::*;
    use crate::error::Error;

    /// The `n`th run id (they sort by `n`).
    fn id(n: u32) -> String {
        format!("20261201T0955{n:02}.000Z-1")
    }

    /// Publishes a set of files holding `content`, its manifest naming the run.
    fn publish(dir: &Path, id: &str, content: &str, keep: usize) {
        staged(dir, id, content).commit(keep).unwrap();
    }

    /// Run `id`, its set of files holding `content` (its manifest naming the run) staged.
    fn staged(dir: &Path, id: &str, content: &str) -> Publisher {
        let p = Publisher::open(dir, id, "now").unwrap();
        let staging = p.begin().unwrap();
        for name in file::ALL {
            fs::write(staging.join(name), content).unwrap();
        }
        let manifest = serde_json::json!({"run_id": id, "status": "published", "sequence": p.sequence()});
        fs::write(staging.join(file::MANIFEST), manifest.to_string()).unwrap();
        p
    }

    fn manifest_of(id: &str) -> String {
        serde_json::json!({"run_id": id, "status": "published"}).to_string()
    }

    /// Names in a folder, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    /// The layout error's message, or a panic naming what came instead.
    fn layout_error(result: Result<Publisher>) -> String {
        match result {
            Err(e @ Error::Output(OutputError::Layout { .. })) => e.to_string(),
            Err(e) => panic!("expected a layout error, got {e}"),
            Ok(_) => panic!("expected a layout error, the folder was opened"),
        }
    }

    #[test]
    fn run_ids_are_recognised_by_shape_only() {
        assert!(is_run_id(&new_run_id()));
        assert!(is_run_id("20261201T095552.123Z-12345"));
        for name in ["r1", "exp1", "", "20261201T095552.123Z-", "20261201T095552.123Z-12a", "20261201T095552.123-1"] {
            assert!(!is_run_id(name), "{name}");
        }
        assert!(is_staging_name(&format!(".staging-{}", id(1))));
        assert!(!is_staging_name(".staging-mine"));
        assert_eq!(temp_link_target(&format!(".current-{}", id(1))), Some(Path::new(RUNS).join(id(1))));
        let manifest = temp_link_target(&format!(".current-{}-{}", id(1), file::MANIFEST));
        assert_eq!(manifest, Some(Path::new(CURRENT).join(file::MANIFEST)));
        assert_eq!(temp_link_target(&format!(".current-{}-notes.txt", id(1))), None);
    }

    #[test]
    fn commit_switches_the_whole_set_and_prunes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 2);
        assert_eq!(fs::read_to_string(dir.join(file::NEIGHBOURS)).unwrap(), "one");
        publish(&dir, &id(2), "two", 2);
        publish(&dir, &id(3), "three", 2);
        assert_eq!(fs::read_to_string(dir.join(file::RECOMMENDATIONS)).unwrap(), "three");
        assert_eq!(names(&dir.join(RUNS)), [id(2), id(3)]);
    }

    /// The kill fuzz (2026-12-05): a prune killed between a run's manifest and its `rmdir` left
    /// an empty `runs/<id>/`, which nothing proves kindred's: kept for ever. A run is removed
    /// through its staging name, so a removal stopped half-way leaves a `.staging-<id>` that
    /// the next run proves its own (a manifest naming it, or nothing in it) and removes; a name
    /// in the way there keeps the run where it is (the rename goes over nothing).
    #[test]
    fn a_pruned_run_goes_through_its_staging_name() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 1);
        let blocker = dir.join(format!("{STAGING_PREFIX}{}", id(1)));
        fs::write(&blocker, "a person's file").unwrap();
        publish(&dir, &id(2), "two", 1);
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(2)], "not staged over a file: kept in runs/");
        assert_eq!(fs::read_to_string(&blocker).unwrap(), "a person's file");
        fs::remove_file(&blocker).unwrap();
        // what a prune stopped half-way leaves: its manifest last, then the empty folder
        let stopped = dir.join(format!("{STAGING_PREFIX}{}", id(7)));
        fs::create_dir(&stopped).unwrap();
        fs::write(stopped.join(file::MANIFEST), manifest_of(&id(7))).unwrap();
        fs::create_dir(dir.join(format!("{STAGING_PREFIX}{}", id(8)))).unwrap();
        publish(&dir, &id(3), "three", 1);
        assert_eq!(names(&dir.join(RUNS)), [id(3)]);
        assert!(!names(&dir).iter().any(|n| n.starts_with(STAGING_PREFIX)), "{:?}", names(&dir));
    }

    /// `open_then`'s `first` runs holding the lock, before the leftovers go (a prepare's staging
    /// folder, which a shard reads beside the lock); failing, the lock is let go naming no run.
    #[test]
    fn open_then_runs_first_holding_the_lock_and_lets_go_when_it_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let leftover = dir.join(format!("{STAGING_PREFIX}{}", id(1)));
        fs::create_dir(&dir).unwrap();
        begin_marked(&leftover, &id(1)).unwrap();
        let held = Publisher::open_then(&dir, &id(2), "now", || {
            assert!(leftover.is_dir(), "first runs before the leftovers' removal");
            let line = fs::read_to_string(dir.join(LOCK)).unwrap();
            assert!(line.contains(&id(2)), "{line}");
            assert!(matches!(Publisher::open(&dir, &id(3), "now"), Err(Error::Output(OutputError::Locked { .. }))));
            Ok(())
        })
        .unwrap();
        assert!(!leftover.exists(), "removed after first");
        drop(held);
        let failed =
            Publisher::open_then(&dir, &id(4), "now", || Err(OutputError::Format { path: dir.clone() }.into()));
        assert!(matches!(failed, Err(Error::Output(OutputError::Format { .. }))));
        assert_eq!(fs::read_to_string(dir.join(LOCK)).unwrap(), "", "the lock names no run");
        Publisher::open(&dir, &id(5), "now").unwrap();
    }

    /// Before issue 14, `open` removed leftovers before the input was read; they now wait for
    /// the next successful commit, and a run renamed in but never switched to is a kept run.
    #[test]
    fn a_second_run_is_locked_out_and_leftovers_go_as_the_next_run_opens() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        let first = Publisher::open(&dir, &id(2), "2026-01-01T00:00:00Z").unwrap();
        first.begin().unwrap();
        match Publisher::open(&dir, &id(3), "later") {
            Err(Error::Output(OutputError::Locked { pid, started, .. })) => {
                assert_eq!(pid, std::process::id());
                assert_eq!(started, "2026-01-01T00:00:00Z");
            }
            _ => panic!("expected the lock to be held"),
        }
        drop(first); // as if killed: staging left behind, lock released

        // renamed in, never switched: a whole set
        fs::create_dir_all(dir.join(RUNS).join(id(9))).unwrap();
        for name in file::ALL {
            fs::write(dir.join(RUNS).join(id(9)).join(name), "nine").unwrap();
        }
        let manifest = serde_json::json!({"run_id": id(9), "status": "published", "sequence": 2});
        fs::write(dir.join(RUNS).join(id(9)).join(file::MANIFEST), manifest.to_string()).unwrap();
        // Session 26: removed only by a run that published, a killed run's set filled a volume
        // too small for two sets for every later run (each failed for the room it held). It goes
        // as the next run takes the lock, whatever that run's outcome; nothing else does.
        let failing = Publisher::open(&dir, &id(4), "now").unwrap();
        assert!(!dir.join(format!(".staging-{}", id(2))).exists(), "removed as the next run took the lock");
        failing.begin().unwrap();
        failing.abandon();
        assert_eq!(fs::read_to_string(dir.join(file::RECOMMENDATIONS)).unwrap(), "one");
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(9)], "a failing run prunes nothing");
        // the set live until this run is kept before one that never was (helper-147)
        publish(&dir, &id(10), "ten", 2);
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(10)]);
    }

    /// Session 22: a fault between moving the set into `runs/` and switching `current` left a
    /// whole set of the failed run's name there, so `kindred status` called the last attempt
    /// published and its failure record was refused ("runs/<id> is a folder …; move it
    /// away"). The set now goes back to its staging folder; the record takes the name.
    #[test]
    fn a_set_that_never_went_live_goes_back_and_the_failure_is_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        let p = staged(&dir, &id(2), "two");
        let staging = p.staging();
        // the new `current` link's name taken: the switch fails after the set moved in
        fs::create_dir(dir.join(format!("{LINK_PREFIX}{}", id(2)))).unwrap();
        assert!(p.commit(7).is_err());
        assert!(!dir.join(RUNS).join(id(2)).exists() && staging.join(file::MANIFEST).is_file(), "moved back");
        assert_eq!(current_run_id(&dir), Some(id(1)));
        assert_eq!(fs::read_to_string(dir.join(file::RECOMMENDATIONS)).unwrap(), "one");
        let record = p.record_failure(format!(r#"{{"status": "failed", "run_id": "{}"}}"#, id(2)).as_bytes()).unwrap();
        assert_eq!(names(&record), [file::MANIFEST]);
        assert!(is_failure_record(&record));
        p.abandon();
        assert!(dir.join(format!("{LINK_PREFIX}{}", id(2))).is_dir(), "what it did not make is left");
    }

    /// helper-120, two kills in a row: run 2 is killed between moving its set into `runs/` and
    /// switching `current`; run 3, recovering it, is killed too. Killed before it moved the set
    /// back, the lock named run 3 first and run 2 behind it, and run 4 moved back only the first
    /// line's set: run 2's, never live, stayed in `runs/` as a published set and no record said
    /// it was interrupted. Killed as it renamed run 2's record in, run 3 left `.staging-<3>`
    /// holding a manifest naming run 2, which no run proved its own: kept for ever.
    #[test]
    fn a_recovery_killed_in_turn_is_recovered_by_the_next_run() {
        let killed_lines = |dir: &Path, ids: &[u32]| {
            let lines: String =
                ids.iter().map(|&n| format!("{} 2026-12-01T09:55:0{n}.000Z {} - -\n", 100 + n, id(n))).collect();
            fs::write(dir.join(LOCK), lines).unwrap();
        };
        let never_live = |dir: &Path, n: u32| {
            let set = dir.join(RUNS).join(id(n));
            fs::create_dir(&set).unwrap();
            for name in file::ALL {
                fs::write(set.join(name), "never live").unwrap();
            }
            fs::write(set.join(file::MANIFEST), manifest_of(&id(n))).unwrap();
        };
        let status = |dir: &Path, n: u32| -> Option<String> {
            read_manifest(&dir.join(RUNS).join(id(n)))?.get("status")?.as_str().map(str::to_string)
        };

        // killed before moving the set back: its own staging folder made, the lock naming both
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        never_live(&dir, 2);
        killed_lines(&dir, &[3, 2]);
        drop(Publisher::open(&dir, &id(4), "now").unwrap());
        assert_eq!(current_run_id(&dir), Some(id(1)));
        for n in [2, 3] {
            assert_eq!(status(&dir, n).as_deref(), Some("interrupted"), "run {n}");
            assert!(is_failure_record(&dir.join(RUNS).join(id(n))), "run {n}");
        }
        assert!(!names(&dir).iter().any(|n| n.starts_with(STAGING_PREFIX)), "{:?}", names(&dir));
        assert_eq!(fs::read(dir.join(LOCK)).unwrap(), b"", "both recorded");
        publish(&dir, &id(5), "five", 1);
        assert_eq!(names(&dir.join(RUNS)), [id(5)], "the never-live set is not counted as a kept run");

        // killed renaming run 2's record in: `.staging-<3>` holds it, unmarked
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        let left = dir.join(format!("{STAGING_PREFIX}{}", id(3)));
        fs::create_dir(&left).unwrap();
        let record = serde_json::json!({"status": "interrupted", "run_id": id(2), "recorded_by": id(3)});
        fs::write(left.join(file::MANIFEST), record.to_string()).unwrap();
        killed_lines(&dir, &[3, 2]);
        drop(Publisher::open(&dir, &id(4), "now").unwrap());
        assert!(!left.exists(), "the recording run's leftover is proven its own and removed");
        for n in [2, 3] {
            assert!(is_failure_record(&dir.join(RUNS).join(id(n))), "run {n}");
        }
        // a record another run wrote, or one not of a killed run, proves nothing
        for (status, by) in [("interrupted", id(9)), ("failed", id(3))] {
            fs::create_dir(&left).unwrap();
            let other = serde_json::json!({"status": status, "run_id": id(2), "recorded_by": by});
            fs::write(left.join(file::MANIFEST), other.to_string()).unwrap();
            drop(Publisher::open(&dir, &id(6), "now").unwrap());
            assert!(left.join(file::MANIFEST).is_file(), "{status} by {by}: kept");
            fs::remove_dir_all(&left).unwrap();
        }
    }

    /// helper-125: run 2 switched `current` to its set and was killed letting go (the lock
    /// still names it); an operator then pointed `current` back by hand. The next run took run
    /// 2's published set for one that never went live, deleted it and recorded run 2 as
    /// interrupted. A run's line says `live` once its switch is made: its set is kept.
    #[test]
    fn a_set_that_went_live_is_kept_when_current_was_pointed_back_by_hand() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        let p = staged(&dir, &id(2), "two");
        p.commit(7).unwrap();
        let held = fs::read_to_string(dir.join(LOCK)).unwrap();
        assert!(held.starts_with(&format!("{} ", std::process::id())) && held.trim_end().ends_with(" live"), "{held}");
        drop(p);
        // killed as it let go (a machine gone down: no host or kernel of this one's): the lock
        // names it, live
        let seen = held.split_whitespace().nth(5).unwrap().to_string();
        fs::write(dir.join(LOCK), format!("4242 now {} - - {seen} live\n", id(2))).unwrap();
        // pointed back by hand
        std::os::unix::fs::symlink(Path::new(RUNS).join(id(1)), dir.join(".back")).unwrap();
        fs::rename(dir.join(".back"), dir.join(CURRENT)).unwrap();
        drop(Publisher::open(&dir, &id(3), "now").unwrap());
        assert!(is_published_set(&dir.join(RUNS).join(id(2))), "run 2's published set kept");
        assert!(!is_failure_record(&dir.join(RUNS).join(id(2))));
        assert_eq!(current_run_id(&dir), Some(id(1)));
        assert_eq!(fs::read(dir.join(LOCK)).unwrap(), b"");
    }

    /// A `.lock` or a `current` no run would accept is refused by the layout check, which
    /// `kindred status` makes too: before, status called such a folder healthy while every run
    /// was refused (`.lock` a folder) or `current` showed a folder of someone's files.
    #[test]
    fn a_lock_that_is_no_file_and_current_at_no_set_are_layout_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        check_layout(&dir).unwrap();
        fs::remove_file(dir.join(LOCK)).unwrap();
        fs::create_dir(dir.join(LOCK)).unwrap();
        let e = check_layout(&dir).unwrap_err().to_string();
        assert!(e.contains(".lock is a folder") && e.contains("kindred's lock file"), "{e}");
        fs::remove_dir(dir.join(LOCK)).unwrap();
        let mine = dir.join(RUNS).join(id(5));
        fs::create_dir(&mine).unwrap();
        fs::write(mine.join("notes.txt"), "mine").unwrap();
        std::os::unix::fs::symlink(Path::new(RUNS).join(id(5)), dir.join(".c")).unwrap();
        fs::rename(dir.join(".c"), dir.join(CURRENT)).unwrap();
        let e = check_layout(&dir).unwrap_err().to_string();
        assert!(e.contains("which holds no published set"), "{e}");
        // a rolled-back or pruned run (no folder) stays a layout kindred accepts
        fs::remove_dir_all(&mine).unwrap();
        check_layout(&dir).unwrap();
        assert_eq!(manifest_run_id(&dir.join(RUNS).join(id(1))), Some(id(1)));
    }

    /// helper-111: `--output out/runs` (a typo for `out`) published a whole set inside another
    /// output folder's `runs/`, and evaluate wrote `runs/evaluation.parquet` and made `shards/`,
    /// exit 0, where that folder's runs never look; a folder merely named `runs` is fine.
    #[test]
    fn an_output_folder_inside_another_ones_managed_folders_is_a_layout_error() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        // helper-126: `current` and `runs/<id>` were refused file by file, "move it away", the
        // live set's files
        let run = format!("{RUNS}/{}", id(1));
        for inside in [RUNS, SHARDS, "shards/x", ".staging-x", CURRENT, &run, "current/sub"] {
            let e = check_layout(&dir.join(inside)).unwrap_err().to_string();
            assert!(e.contains("which kindred manages for the output folder"), "{inside}: {e}");
            assert!(!e.contains("move it away") && e.contains("nothing was changed"), "{inside}: {e}");
        }
        check_layout(&tmp.path().join(RUNS)).unwrap();
        check_layout(&dir.join("other")).unwrap();
        // helper-133: a folder prepared, never published, has `.lock` and `shards/`, no `runs/`
        let prepared = tmp.path().join("prepared");
        fs::create_dir_all(prepared.join(SHARDS).join(id(2))).unwrap();
        fs::write(prepared.join(LOCK), "").unwrap();
        for inside in [SHARDS, "shards/typo", &format!("{SHARDS}/{}/done", id(2))] {
            let e = check_layout(&prepared.join(inside)).unwrap_err().to_string();
            assert!(e.contains("which kindred manages for the output folder"), "{inside}: {e}");
        }
        // a `shards` folder beside no `.lock`, or holding nothing prepare makes, is anyone's
        fs::remove_file(prepared.join(LOCK)).unwrap();
        check_layout(&prepared.join("shards/typo")).unwrap();
        fs::write(prepared.join(LOCK), "").unwrap();
        fs::remove_dir(prepared.join(SHARDS).join(id(2))).unwrap();
        fs::create_dir(prepared.join(SHARDS).join("eu")).unwrap();
        check_layout(&prepared.join("shards/eu")).unwrap();
    }

    /// Issue 14 case 17: the holder is read from the kernel, not from what the last run wrote.
    #[test]
    fn the_lock_names_its_holder_and_is_emptied_when_let_go() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        assert_eq!(fs::read(dir.join(LOCK)).unwrap(), b"", "a finished run leaves .lock empty");
        fs::write(dir.join(LOCK), "999999999 2001-01-01T00:00:00Z\n").unwrap(); // a killed run's
        let held = File::open(dir.join(LOCK)).unwrap();
        held.lock().unwrap(); // held by a process that writes nothing (flock(1), say)
        let meta = held.metadata().unwrap();
        if fs::metadata("/proc/locks").is_ok() {
            assert_eq!(flock_holder(&dir.join(LOCK), &meta), Flock::Held(std::process::id()));
        }
        match Publisher::open(&dir, &id(2), "now") {
            Err(Error::Output(OutputError::Locked { pid, started, .. })) if fs::metadata("/proc/locks").is_ok() => {
                assert_eq!((pid, started.as_str()), (std::process::id(), "unknown"));
            }
            Err(Error::Output(OutputError::Locked { .. })) => {}
            _ => panic!("expected the lock to be held"),
        }
    }

    /// Session 26: a run that could not write a record (a full disk) emptied the lock anyway —
    /// its own, refused or failed, or the record of a killed run the lock named — so `kindred
    /// status` read the folder as healthy and the run was lost from its history. The lock now
    /// keeps naming the run whose end is written nowhere else, until a run records it.
    #[test]
    fn a_record_not_written_leaves_the_lock_naming_its_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        // a record goes through the run's staging name: a file there makes it fail
        let block = |n: u32| fs::write(dir.join(format!("{STAGING_PREFIX}{}", id(n))), "in the way").unwrap();
        let unblock = |n: u32| fs::remove_file(dir.join(format!("{STAGING_PREFIX}{}", id(n)))).unwrap();
        block(2);
        let failed = Publisher::open(&dir, &id(2), "2026-12-01T09:55:02.000Z").unwrap();
        assert!(failed.record_failure(br#"{"status": "failed"}"#).is_err());
        failed.abandon();
        let holder = lock::holder(&dir).expect("the lock still names the failed run");
        assert_eq!(holder.run_id, Some(id(2)));
        let said = fs::read(dir.join(LOCK)).unwrap();
        let touched = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        File::options().write(true).open(dir.join(LOCK)).unwrap().set_modified(touched).unwrap();

        // the next run cannot write that run's record either: the lock is left naming it, as
        // last seen then
        block(3);
        let running = Publisher::open(&dir, &id(3), "now").unwrap();
        // while it runs, its line first and the unrecorded run's behind: killed now, both stay
        let during = fs::read_to_string(dir.join(LOCK)).unwrap();
        let names: Vec<Option<String>> = during.lines().map(|l| l.split(' ').nth(2).map(str::to_string)).collect();
        assert_eq!(names, [Some(id(3)), Some(id(2))], "{during}");
        drop(running);
        let left = fs::read_to_string(dir.join(LOCK)).unwrap();
        assert_eq!(left, format!("{} 1700000000\n", String::from_utf8(said).unwrap().trim_end()));
        assert_eq!(lock::holder(&dir).unwrap().touched, touched, "its last heartbeat kept");
        assert!(!dir.join(RUNS).join(id(2)).exists());

        // nor can the one after, which fails and cannot record itself either: both are named,
        // itself first (the holder `status` reads), the earlier run behind it
        block(4);
        let both = Publisher::open(&dir, &id(4), "2026-12-01T09:55:04.000Z").unwrap();
        assert!(both.record_failure(br#"{"status": "refused"}"#).is_err());
        both.abandon();
        let lines: Vec<String> = fs::read_to_string(dir.join(LOCK)).unwrap().lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lock::holder(&dir).unwrap().run_id, Some(id(4)));
        assert_eq!(lines[1], left.trim_end());

        // one that can records them both, and empties the lock as it lets go
        for n in [2, 3, 4] {
            unblock(n);
        }
        drop(Publisher::open(&dir, &id(5), "now").unwrap());
        for n in [2, 4] {
            assert!(is_failure_record(&dir.join(RUNS).join(id(n))), "run {n} recorded as interrupted");
        }
        let record: serde_json::Value =
            serde_json::from_slice(&fs::read(dir.join(RUNS).join(id(2)).join(file::MANIFEST)).unwrap()).unwrap();
        // its heartbeat (2023, set above) is before it started: last seen as it started, never
        // before (helper-158: 4 ms before, the file system's coarse clock)
        assert_eq!(record["last_seen_utc"], "2026-12-01T09:55:02.000Z", "{record}");
        assert_eq!(fs::read(dir.join(LOCK)).unwrap(), b"");
    }

    /// Session 26 (the helper attacking the first fix): a lock naming a run on another machine
    /// with a fresh heartbeat (a folder shared where flocks do not reach) was taken as a killed
    /// run's: recorded interrupted while it ran, and its staging folder removed under it. The
    /// run now waits (exit 4) and touches nothing; once the heartbeat is stale, it goes on.
    #[test]
    fn a_lock_another_machines_live_run_holds_is_not_taken() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        let text = format!("77 2026-12-01T09:55:02.000Z {} elsewhere.invalid 0f0e0d0c-0000/4026531836\n", id(2));
        fs::write(dir.join(LOCK), &text).unwrap();
        let staging = dir.join(format!("{STAGING_PREFIX}{}", id(2)));
        begin_marked(&staging, &id(2)).unwrap();
        fs::write(staging.join(file::RECOMMENDATIONS), "being written").unwrap();
        match Publisher::open(&dir, &id(3), "now") {
            Err(Error::Output(OutputError::LockedElsewhere { pid: 77, host, .. })) => {
                assert_eq!(host, "elsewhere.invalid")
            }
            other => panic!("expected the live run's lock to be respected: {:?}", other.map(|_| ())),
        }
        assert_eq!(fs::read_to_string(dir.join(LOCK)).unwrap(), text, "the lock is left as it is");
        assert!(staging.join(file::RECOMMENDATIONS).is_file() && !dir.join(RUNS).join(id(2)).exists());
        // its heartbeat old by this clock, but touched while watched (that machine's clock, or
        // the file server's, behind this one's: helper-143): not taken
        let stale = std::time::SystemTime::now() - lock::STALE_AFTER - std::time::Duration::from_secs(60);
        File::options().write(true).open(dir.join(LOCK)).unwrap().set_modified(stale).unwrap();
        let beat = std::thread::spawn({
            let lock = dir.join(LOCK);
            move || {
                std::thread::sleep(std::time::Duration::from_millis(700));
                File::options().write(true).open(lock).unwrap().set_modified(stale + lock::HEARTBEAT).unwrap();
            }
        });
        match Publisher::open(&dir, &id(3), "now") {
            Err(e @ Error::Output(OutputError::LockedElsewhere { .. })) => {
                assert!(e.to_string().contains("s into this run's watch, though it looked 36"), "{e}")
            }
            other => panic!("expected a lock touched while watched to be respected: {:?}", other.map(|_| ())),
        }
        beat.join().unwrap();
        assert_eq!(fs::read_to_string(dir.join(LOCK)).unwrap(), text, "the lock is left as it is");
        // its heartbeat stale and silent while watched (killed there): recorded, its leftovers removed
        File::options().write(true).open(dir.join(LOCK)).unwrap().set_modified(stale).unwrap();
        drop(Publisher::open(&dir, &id(3), "now").unwrap());
        assert!(!staging.exists() && is_failure_record(&dir.join(RUNS).join(id(2))));
        // its heartbeat dated ahead (a killed run's under a clock that ran ahead, helper-165):
        // within the stale time, fresh; beyond it, its age unknown here — watched, and taken
        // when silent (read as fresh, it kept every run out until that clock's time)
        let text = format!("78 2026-12-01T09:55:02.000Z {} elsewhere.invalid 0f0e0d0c-0000/4026531836\n", id(5));
        fs::write(dir.join(LOCK), &text).unwrap();
        let ahead = |seconds| {
            let at = std::time::SystemTime::now() + std::time::Duration::from_secs(seconds);
            File::options().write(true).open(dir.join(LOCK)).unwrap().set_modified(at).unwrap();
        };
        ahead(120);
        match Publisher::open(&dir, &id(4), "now") {
            Err(e @ Error::Output(OutputError::LockedElsewhere { .. })) => {
                assert!(e.to_string().contains("its heartbeat is dated 1"), "{e}")
            }
            other => panic!("expected a heartbeat 2 minutes ahead to be fresh: {:?}", other.map(|_| ())),
        }
        ahead(3600);
        drop(Publisher::open(&dir, &id(4), "now").unwrap());
        assert!(is_failure_record(&dir.join(RUNS).join(id(5))));
    }

    /// helper-140, helper-143: a clock stepped back (NTP, a VM restored) dates each run before
    /// the ones published ahead of it. Pruning by id deleted the set published just before and
    /// kept those dated ahead; runs are pruned in the order they were recorded.
    #[test]
    fn runs_are_kept_in_the_order_they_were_recorded_whatever_their_dates() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        // a set of a kindred that recorded no sequence: before every run that does
        publish(&dir, &id(1), "old", 7);
        fs::write(dir.join(RUNS).join(id(1)).join(file::MANIFEST), manifest_of(&id(1))).unwrap();
        for n in [9, 8, 7, 6] {
            publish(&dir, &id(n), &n.to_string(), 2);
        }
        assert_eq!(names(&dir.join(RUNS)), [id(6), id(7)], "the last two recorded");
        assert_eq!(run_ids(&dir).unwrap(), [id(7), id(6)]);
        assert_eq!(sequence_of(&dir.join(RUNS).join(id(6))), Some(4));
        // a failed run recorded since the oldest set kept is kept; one before it goes
        let failed = Publisher::open(&dir, &id(5), "now").unwrap();
        let record = serde_json::json!({"run_id": id(5), "status": "failed", "sequence": failed.sequence()});
        failed.record_failure(record.to_string().as_bytes()).unwrap();
        failed.abandon();
        publish(&dir, &id(4), "4", 2);
        assert_eq!(names(&dir.join(RUNS)), [id(4), id(5), id(6)]);
        publish(&dir, &id(3), "3", 2);
        assert_eq!(names(&dir.join(RUNS)), [id(3), id(4)]);
        // a set copied in from a busier folder, its sequence far ahead, and one of a kindred
        // that recorded none dated ahead: the set live until now is kept before them
        for (n, sequence) in [(20, Some(90)), (21, None)] {
            let copy = dir.join(RUNS).join(id(n));
            fs::create_dir(&copy).unwrap();
            for name in file::ALL {
                fs::write(copy.join(name), "copied").unwrap();
            }
            let manifest = serde_json::json!({"run_id": id(n), "status": "published", "sequence": sequence});
            fs::write(copy.join(file::MANIFEST), manifest.to_string()).unwrap();
        }
        publish(&dir, &id(2), "2", 2);
        assert_eq!(names(&dir.join(RUNS)), [id(2), id(3)], "the set live before kept");
        assert_eq!(run_ids(&dir).unwrap(), [id(3), id(2)]);
    }

    /// A dangling link as the output folder (an unmounted share), with or without a trailing
    /// `/` (which follows the link: "File exists" before).
    #[test]
    fn an_output_folder_that_links_to_nothing_is_refused_saying_so() {
        let tmp = tempfile::tempdir().unwrap();
        let link = tmp.path().join("share");
        std::os::unix::fs::symlink(tmp.path().join("not-mounted/kindred"), &link).unwrap();
        for dir in [link.clone(), tmp.path().join("share/")] {
            let Err(Error::Output(e @ OutputError::Layout { .. })) = Publisher::open(&dir, &id(1), "now") else {
                panic!("{} accepted", dir.display())
            };
            assert!(e.to_string().contains("not-mounted/kindred, not a folder (a link whose target is missing"), "{e}");
        }
        assert!(!tmp.path().join("not-mounted").exists());
    }

    #[test]
    fn an_output_path_that_is_a_file_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("out");
        fs::write(&f, "x").unwrap();
        let err = Publisher::open(&f, &id(1), "now").err().unwrap().to_string();
        assert!(err.contains("not a directory: pass a folder"), "{err}");
        assert_eq!(fs::read_to_string(&f).unwrap(), "x", "the file is left as it is");
    }

    /// Issue 14 case 1: `runs` a link to a user's folder; its entries (even run-id-named ones)
    /// were deleted by leftover removal and pruning.
    #[test]
    fn runs_a_link_is_refused_and_its_target_untouched() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let theirs = tmp.path().join("theirs");
        fs::create_dir_all(theirs.join(id(50))).unwrap();
        fs::write(theirs.join("zzz.txt"), "mine").unwrap();
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(&theirs, dir.join(RUNS)).unwrap();
        let err = layout_error(Publisher::open(&dir, &id(1), "now"));
        assert!(err.contains("/runs is a link to") && err.contains("not kindred's folder of runs"), "{err}");
        assert_eq!(names(&theirs), [id(50), "zzz.txt".to_string()]);
        assert_eq!(names(&dir), [RUNS]);
    }

    fn fail(dir: &Path, id: &str, status: &str) -> PathBuf {
        let p = Publisher::open(dir, id, "now").unwrap();
        fs::write(p.begin().unwrap().join(file::RECOMMENDATIONS), "half written").unwrap();
        let record = serde_json::json!({"status": status, "run_id": id, "sequence": p.sequence()});
        let record = p.record_failure(record.to_string().as_bytes()).unwrap();
        p.abandon();
        record
    }

    /// helper-111: `status` took the newest run-id-named folder as the last attempt, a person's
    /// `cp -a runs/<id> runs/<later id>` too. [`run_folder`] proves a folder kindred's as the
    /// runs do before they count one, and says why the others are not.
    #[test]
    fn a_run_folder_is_kindreds_only_by_the_proofs_runs_use() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        publish(dir, &id(1), "x", 5);
        let record = fail(dir, &id(2), "failed");
        let runs = dir.join(RUNS);
        assert_eq!(run_folder(&runs.join(id(1))).unwrap(), RunFolder::Set);
        assert_eq!(run_folder(&record).unwrap(), RunFolder::Record);
        let not = |n: u32| match run_folder(&runs.join(id(n))).unwrap() {
            RunFolder::NotKindreds(why) => why,
            other => panic!("{n}: {other:?}"),
        };
        let copy = |from: &Path, n: u32| {
            fs::create_dir(runs.join(id(n))).unwrap();
            for e in fs::read_dir(from).unwrap().flatten() {
                fs::copy(e.path(), runs.join(id(n)).join(e.file_name())).unwrap();
            }
        };
        copy(&runs.join(id(1)), 3);
        assert_eq!(not(3), format!("its manifest.json names run {}: a copy made by hand?", id(1)));
        copy(&record, 4);
        assert!(not(4).contains(&format!("names run {}", id(2))), "{}", not(4));
        fs::create_dir(runs.join(id(5))).unwrap();
        assert_eq!(not(5), "it has no manifest.json");
        copy(&runs.join(id(1)), 6);
        fs::write(runs.join(id(6)).join(file::MANIFEST), manifest_of(&id(6))).unwrap();
        assert_eq!(run_folder(&runs.join(id(6))).unwrap(), RunFolder::Set, "a set naming its run");
        fs::write(runs.join(id(6)).join("notes.txt"), "mine").unwrap();
        assert!(not(6).starts_with("it holds what kindred did not write (\"notes.txt\""), "{}", not(6));
    }

    /// Issue 16: a failed or refused run leaves `runs/<id>/manifest.json` alone, touching
    /// nothing published; records never count as kept runs and go with the runs before them.
    #[test]
    fn failure_records_are_kept_apart_from_published_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 2);
        let links = |d: &Path| file::ALL.map(|n| fs::read_link(d.join(n)).unwrap());
        let before = (fs::read_link(dir.join(CURRENT)).unwrap(), links(&dir));
        let record = fail(&dir, &id(2), "failed");
        assert_eq!(names(&record), [file::MANIFEST], "the half-written tables are not kept");
        assert!(is_failure_record(&record) && !is_failure_record(&dir.join(RUNS).join(id(1))));
        assert_eq!((fs::read_link(dir.join(CURRENT)).unwrap(), links(&dir)), before);
        assert_eq!(fs::read_to_string(dir.join(file::RECOMMENDATIONS)).unwrap(), "one");
        assert!(!dir.join(format!(".staging-{}", id(2))).exists());
        fail(&dir, &id(3), "refused");
        publish(&dir, &id(4), "four", 2);
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(2), id(3), id(4)], "records are not counted");
        publish(&dir, &id(5), "five", 2);
        assert_eq!(names(&dir.join(RUNS)), [id(4), id(5)], "records older than the oldest kept run go");
        // a record's name is never reused, and a folder with more than a manifest is no record
        fs::create_dir_all(dir.join(RUNS).join(id(6))).unwrap();
        let p = Publisher::open(&dir, &id(6), "now").unwrap();
        assert!(p.record_failure(b"{\"status\": \"failed\"}").is_err());
        p.abandon();
        fs::write(dir.join(RUNS).join(id(6)).join(file::MANIFEST), "{\"status\": \"failed\"}").unwrap();
        fs::write(dir.join(RUNS).join(id(6)).join("notes.txt"), "mine").unwrap();
        assert!(!is_failure_record(&dir.join(RUNS).join(id(6))));
        // Session 28: a record copied under another run's name, and a person's folder of a
        // run's name holding their own manifest, are not kindred's: pruning deleted both
        let copy = dir.join(RUNS).join(id(0));
        fs::create_dir_all(&copy).unwrap();
        fs::write(copy.join(file::MANIFEST), format!(r#"{{"status": "failed", "run_id": "{}"}}"#, id(2))).unwrap();
        let theirs = dir.join(RUNS).join(id(3));
        fs::create_dir_all(&theirs).unwrap();
        fs::write(theirs.join(file::MANIFEST), r#"{"status": "failed", "note": "mine"}"#).unwrap();
        assert!(!is_failure_record(&copy) && !is_failure_record(&theirs));
        publish(&dir, &id(7), "seven", 2);
        publish(&dir, &id(8), "eight", 2);
        assert!(copy.join(file::MANIFEST).is_file() && theirs.join(file::MANIFEST).is_file(), "left as found");
    }

    /// `current` pointing at a failed run's record (a hand-made rollback gone wrong) is refused.
    #[test]
    fn current_at_a_failure_record_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        fail(&dir, &id(2), "failed");
        fs::remove_file(dir.join(CURRENT)).unwrap();
        std::os::unix::fs::symlink(Path::new(RUNS).join(id(2)), dir.join(CURRENT)).unwrap();
        let err = layout_error(Publisher::open(&dir, &id(3), "now"));
        assert!(err.contains("a failed run's record, not kindred's link to a published run"), "{err}");
    }

    /// Issue 14 case 2: entries in `runs/` kindred did not name are never deleted nor counted.
    #[test]
    fn foreign_entries_in_runs_are_never_deleted_or_counted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        fs::create_dir_all(dir.join(RUNS).join("exp1")).unwrap();
        fs::write(dir.join(RUNS).join("exp1").join("model.bin"), "weights").unwrap();
        fs::write(dir.join(RUNS).join(id(0)), "a file with a run's name").unwrap();
        let failing = Publisher::open(&dir, &id(1), "now").unwrap();
        failing.abandon();
        for n in 2..5 {
            publish(&dir, &id(n), "x", 1);
        }
        assert_eq!(names(&dir.join(RUNS)), [id(0), id(4), "exp1".to_string()]);
        assert_eq!(fs::read_to_string(dir.join(RUNS).join("exp1").join("model.bin")).unwrap(), "weights");
    }

    /// Issue 14 case 4: `.lock` a link (or a hard link) was followed and truncated.
    #[test]
    fn a_lock_that_is_a_link_or_a_hard_link_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let victim = tmp.path().join("victim");
        fs::write(&victim, "precious").unwrap();
        fs::create_dir_all(&dir).unwrap();
        std::os::unix::fs::symlink(&victim, dir.join(LOCK)).unwrap();
        let err = layout_error(Publisher::open(&dir, &id(1), "now"));
        assert!(err.contains("/.lock is a link to") && err.contains("not kindred's lock file"), "{err}");
        fs::remove_file(dir.join(LOCK)).unwrap();
        fs::hard_link(&victim, dir.join(LOCK)).unwrap();
        let err = layout_error(Publisher::open(&dir, &id(1), "now"));
        assert!(err.contains("a file with 2 hard links"), "{err}");
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(names(&dir), [LOCK]);
    }

    /// Issue 14 case 5: with `current` missing or rolled back, a failing run deleted the kept
    /// runs "newer than current"; `current` a real folder failed every run and wiped history.
    #[test]
    fn current_missing_rolled_back_or_a_folder_deletes_no_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        for n in 1..4 {
            publish(&dir, &id(n), &n.to_string(), 7);
        }
        let fail = |n: u32| {
            let p = Publisher::open(&dir, &id(n), "now").unwrap();
            p.begin().unwrap();
            p.abandon();
        };
        fs::remove_file(dir.join(CURRENT)).unwrap();
        fail(4);
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(2), id(3)]);
        std::os::unix::fs::symlink(Path::new(RUNS).join(id(1)), dir.join(CURRENT)).unwrap();
        fail(5);
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(2), id(3)]);
        fs::remove_file(dir.join(CURRENT)).unwrap();
        fs::create_dir(dir.join(CURRENT)).unwrap();
        fs::write(dir.join(CURRENT).join(file::MANIFEST), "restored").unwrap();
        let before = names(&dir);
        let err = layout_error(Publisher::open(&dir, &id(6), "now"));
        assert!(err.contains("/current is a folder, not kindred's link to runs/<run_id>; move it away"), "{err}");
        assert_eq!(names(&dir), before, "nothing created");
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(2), id(3)]);
    }

    /// A rollback by hand written as an absolute link (`ln -sfn /srv/recs/runs/<id> current`) or
    /// `./runs/<id>` is the run it names: every later run and `status` refused it, saying to move
    /// `current` away (helper-98). A link to another folder's run is still refused.
    #[test]
    fn current_linked_by_hand_to_a_run_of_this_folder_is_that_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        for n in 1..4 {
            publish(&dir, &id(n), &n.to_string(), 7);
        }
        let current = dir.join(CURRENT);
        let relink = |to: PathBuf| {
            fs::remove_file(&current).unwrap();
            std::os::unix::fs::symlink(to, &current).unwrap();
        };
        let absolute = fs::canonicalize(dir.join(RUNS)).unwrap().join(id(1));
        for to in [absolute, Path::new(".").join(RUNS).join(id(2)), Path::new(RUNS).join(format!("{}/", id(1)))] {
            let want = to.file_name().unwrap().to_str().unwrap().to_string();
            relink(to.clone());
            check_layout(&dir).unwrap_or_else(|e| panic!("{to:?}: {e}"));
            assert_eq!(current_run_id(&dir), Some(want), "{to:?}");
        }
        publish(&dir, &id(4), "4", 7);
        assert_eq!(fs::read_link(&current).unwrap(), Path::new(RUNS).join(id(4)), "the switch makes kindred's own");
        // another output folder's run of that name is not this folder's
        let other = tmp.path().join("other");
        publish(&other, &id(5), "5", 7);
        relink(fs::canonicalize(other.join(RUNS)).unwrap().join(id(5)));
        let err = check_layout(&dir).unwrap_err().to_string();
        assert!(err.contains("not kindred's link to runs/<run_id>"), "{err}");
    }

    /// What hides the published run is an error, not "nothing published": here `runs` is
    /// not a folder (ENOTDIR); helper-98's was a `runs/` of mode 700 read by another account
    /// (EACCES, which root, running the tests, does not meet).
    #[test]
    fn a_published_run_that_cannot_be_read_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 1);
        assert_eq!(published_run(&dir).unwrap(), Some(dir.join(RUNS).join(id(1))));
        fs::rename(dir.join(RUNS), tmp.path().join("away")).unwrap();
        assert_eq!(published_run(&dir).unwrap(), None, "a pruned or missing run: nothing published");
        fs::write(dir.join(RUNS), "a file").unwrap();
        let err = published_run(&dir).unwrap_err().to_string();
        assert!(err.contains(&format!("{RUNS}/{}", id(1))), "{err}");
        assert_eq!(current_run(&dir), None);
    }

    #[test]
    fn fixed_names_kindred_did_not_link_are_refused_not_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(file::PURCHASES), "the export").unwrap();
        let err = layout_error(Publisher::open(&dir, &id(1), "now"));
        assert!(err.contains("purchases.parquet is a file, not kindred's link to current/purchases.parquet"), "{err}");
        fs::remove_file(dir.join(file::PURCHASES)).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", dir.join(file::MANIFEST)).unwrap();
        let err = layout_error(Publisher::open(&dir, &id(1), "now"));
        assert!(err.contains("manifest.json is a link to /etc/hostname"), "{err}");
        std::os::unix::fs::symlink("elsewhere", dir.join(CURRENT)).unwrap();
        let err = layout_error(Publisher::open(&dir, &id(1), "now"));
        assert!(err.contains("current is a link to elsewhere"), "{err}");
    }

    /// A folder of a run's name is deleted only when everything in it is a file kindred writes
    /// there: a person's file in an old run's folder, or a folder of a run's name a person made,
    /// keeps it (and it is not counted as a kept run); a killed run's staging folder holding its
    /// mark, a set's files and a write's `.NAME.<pid>.part` is removed, one holding a person's
    /// file, or unmarked, or marked for another run, is not.
    #[test]
    fn folders_of_a_runs_name_holding_what_kindred_did_not_write_are_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 1);
        fs::write(dir.join(RUNS).join(id(1)).join("notes.txt"), "mine").unwrap();
        fs::create_dir_all(dir.join(RUNS).join(id(2)).join("sub")).unwrap();
        fs::create_dir_all(dir.join(RUNS).join(id(3))).unwrap();
        fs::write(dir.join(RUNS).join(id(4)), "").unwrap();
        // a set's files whose manifest names another run (a copy), or is not one
        for (n, manifest) in [(9, manifest_of(&id(1))), (10, "hi".to_string())] {
            fs::create_dir_all(dir.join(RUNS).join(id(n))).unwrap();
            fs::write(dir.join(RUNS).join(id(n)).join(file::ITEMS), "x").unwrap();
            fs::write(dir.join(RUNS).join(id(n)).join(file::MANIFEST), manifest).unwrap();
        }
        let killed = dir.join(format!(".staging-{}", id(5)));
        begin_marked(&killed, &id(5)).unwrap();
        fs::write(killed.join(file::ITEMS), "x").unwrap();
        // a set's file names are no proof: without the mark naming the run, a person's
        let unmarked = dir.join(format!(".staging-{}", id(11)));
        fs::create_dir_all(&unmarked).unwrap();
        fs::write(unmarked.join(file::RECOMMENDATIONS), "my own table").unwrap();
        let other_mark = dir.join(format!(".staging-{}", id(12)));
        begin_marked(&other_mark, &id(1)).unwrap();
        fs::write(killed.join(format!(".{}.4242.part", file::PURCHASES)), "x").unwrap();
        let touched = dir.join(format!(".staging-{}", id(6)));
        fs::create_dir_all(&touched).unwrap();
        fs::write(touched.join(file::ITEMS), "x").unwrap();
        fs::write(touched.join("scratch.csv"), "mine").unwrap();
        // Session 35: killed as the mark was written (created empty, then written): alone in
        // its folder, an empty mark or the start of the run's id is the run's (it was kept for
        // ever); beside anything else, or the start of another id, it proves nothing
        let cut = |n: u32, mark: &str, beside: bool| {
            let folder = dir.join(format!(".staging-{}", id(n)));
            fs::create_dir_all(&folder).unwrap();
            fs::write(folder.join(MARK), mark).unwrap();
            if beside {
                fs::write(folder.join(file::ITEMS), "x").unwrap();
            }
        };
        cut(13, "", false);
        cut(14, &id(14)[..6], false);
        cut(15, "", true);
        cut(16, "2011", false);
        publish(&dir, &id(7), "seven", 1);
        publish(&dir, &id(8), "eight", 1);
        assert_eq!(names(&dir.join(RUNS)), [id(1), id(2), id(3), id(4), id(8), id(9), id(10)]);
        assert_eq!(names(&dir.join(RUNS).join(id(1))).len(), file::ALL.len() + 1);
        let staging: Vec<String> = names(&dir).into_iter().filter(|n| n.starts_with(".staging")).collect();
        assert_eq!(staging, [id(6), id(11), id(12), id(15), id(16)].map(|i| format!(".staging-{i}")));
    }

    /// A staging folder of a run's name without the mark (what a kindred before 0.4.0 left
    /// when it was killed: a set's tables, nothing naming the run) is kept, and named with its
    /// size on every run (it was kept for ever without a word); a marked one is removed.
    #[test]
    fn a_staging_folder_nothing_proves_a_runs_is_kept_and_said() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 7);
        let old = dir.join(format!(".staging-{}", id(2)));
        fs::create_dir_all(old.join("sub")).unwrap();
        fs::write(old.join(file::RECOMMENDATIONS), vec![0u8; 2_000_000]).unwrap();
        fs::write(old.join("sub").join(file::ITEMS), vec![0u8; 500_000]).unwrap();
        let killed = dir.join(format!(".staging-{}", id(3)));
        begin_marked(&killed, &id(3)).unwrap();
        let publisher = Publisher::open(&dir, &id(4), "now").unwrap();
        assert!(!killed.exists() && old.exists());
        let (failed, kept) = publisher.remove_leftovers();
        assert!(failed.is_empty(), "{failed:?}");
        assert_eq!(kept, std::slice::from_ref(&old));
        assert_eq!(size_text(&old), "2.5 MB");
        assert_eq!(size_text(&old.join("sub")), "500 KB");
        assert!(kept_staging(&old).contains("2.5 MB): a staging folder without the mark"), "{}", kept_staging(&old));
        // a killed run's marked folder a person added a file to: kept, and said so
        let added = dir.join(format!(".staging-{}", id(5)));
        begin_marked(&added, &id(5)).unwrap();
        fs::write(added.join(file::ITEMS), "x").unwrap();
        fs::write(added.join("notes.txt"), "mine").unwrap();
        let (_, mut kept) = publisher.remove_leftovers();
        kept.sort();
        assert_eq!(kept, [old.clone(), added.clone()]);
        let said = kept_staging(&added);
        assert!(
            said.contains("a killed run's staging folder holding what kindred did not write (\"notes.txt\")"),
            "{said}"
        );
    }

    /// A run's folder holding only a manifest that names it with a status kindred never writes
    /// (a later version's, a person's edit) is neither a record nor a published set: kept, and
    /// not counted (it was pruned as an old published run).
    #[test]
    fn a_run_of_a_status_kindred_does_not_write_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, &id(1), "one", 1);
        for (n, status) in [(2, "\"cancelled\""), (3, "\"\""), (4, "7")] {
            let run = dir.join(RUNS).join(id(n));
            fs::create_dir_all(&run).unwrap();
            let manifest = format!("{{\"run_id\": \"{}\", \"status\": {status}}}", id(n));
            fs::write(run.join(file::MANIFEST), manifest).unwrap();
            assert!(!is_published_set(&run) && !is_failure_record(&run), "{status}");
        }
        publish(&dir, &id(5), "five", 1);
        assert_eq!(names(&dir.join(RUNS)), [id(2), id(3), id(4), id(5)]);
    }

    #[test]
    fn only_leftovers_of_kindreds_shape_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let theirs = tmp.path().join("theirs");
        fs::create_dir_all(&theirs).unwrap();
        fs::write(theirs.join("keep.txt"), "x").unwrap();
        fs::create_dir_all(dir.join(".staging-mine")).unwrap();
        fs::create_dir_all(dir.join(format!(".staging-{}", id(1)))).unwrap();
        std::os::unix::fs::symlink(&theirs, dir.join(format!(".staging-{}", id(2)))).unwrap();
        fs::write(dir.join(format!(".current-{}", id(3))), "a file, not a link").unwrap();
        // links as a killed run left them go; links of those names leading elsewhere stay
        let items = Path::new(CURRENT).join(file::ITEMS);
        std::os::unix::fs::symlink(&items, dir.join(format!(".current-{}-{}", id(4), file::ITEMS))).unwrap();
        std::os::unix::fs::symlink(Path::new(RUNS).join(id(6)), dir.join(format!(".current-{}", id(6)))).unwrap();
        std::os::unix::fs::symlink(&theirs, dir.join(format!(".current-{}", id(7)))).unwrap();
        std::os::unix::fs::symlink("x", dir.join(format!(".current-{}-{}", id(8), file::ITEMS))).unwrap();
        std::os::unix::fs::symlink(&items, dir.join(format!(".current-{}-{}", id(9), file::PURCHASES))).unwrap();
        publish(&dir, &id(5), "five", 7);
        let left: Vec<String> =
            names(&dir).into_iter().filter(|n| n.starts_with(".s") || n.starts_with(".c")).collect();
        let kept = [
            format!(".current-{}", id(3)),
            format!(".current-{}", id(7)),
            format!(".current-{}-{}", id(8), file::ITEMS),
            format!(".current-{}-{}", id(9), file::PURCHASES),
            format!(".staging-{}", id(2)),
            ".staging-mine".to_string(),
        ];
        assert_eq!(left, kept);
        assert_eq!(names(&theirs), ["keep.txt"]);
    }

    /// Issue 14 cases 2 and 3: the root folder, or a folder holding the export, as output.
    #[test]
    fn an_output_folder_that_is_the_root_or_holds_the_input_is_a_usage_error() {
        let tmp = tempfile::tempdir().unwrap();
        let shop = tmp.path().join("shop");
        fs::create_dir_all(&shop).unwrap();
        let input = shop.join(file::PURCHASES);
        fs::write(&input, "export").unwrap();
        let root_link = tmp.path().join("root");
        std::os::unix::fs::symlink("/", &root_link).unwrap();
        let shop_link = tmp.path().join("shop_link");
        std::os::unix::fs::symlink(&shop, &shop_link).unwrap();
        for dir in [Path::new("/"), &root_link] {
            let err = check_output_dir(dir, "[output] dir", &input).unwrap_err().to_string();
            assert!(err.starts_with("[output] dir:") && err.contains("is the root folder"), "{err}");
        }
        for dir in [&shop, &shop_link] {
            let err = check_output_dir(dir, "[output] dir", &input).unwrap_err().to_string();
            assert!(err.starts_with("[output] dir:") && err.contains("holds the input file"), "{err}");
            assert!(err.contains("in the folder itself; a run would replace it"), "{err}");
        }
        // a folder above the export's own: nothing of it is kindred's to touch (helper-98's
        // `dir = "/srv"` beside `/srv/exports/today.parquet` was refused as "would replace it")
        check_output_dir(tmp.path(), "[output] dir", &input).unwrap();
        // but an export inside what a run moves or removes is refused, named
        for place in [RUNS, CURRENT, SHARDS, &format!("{STAGING_PREFIX}{}", id(1))] {
            let inside = tmp.path().join(place).join("x");
            fs::create_dir_all(&inside).unwrap();
            let export = inside.join("export.csv");
            fs::write(&export, "export").unwrap();
            let err = check_output_dir(tmp.path(), "[output] dir", &export).unwrap_err().to_string();
            assert!(err.contains(&format!("in {place}; a run would move or remove it")), "{err}");
        }
        // a folder name holding a control character (a value copied with its line end)
        for name in ["out\n", "o\tut", "out\r"] {
            let err = check_output_dir(&tmp.path().join(name), "--output", &input).unwrap_err().to_string();
            assert!(err.starts_with("--output:") && err.contains("holds the control character"), "{err}");
            assert!(!err.contains('\n'), "the message stays one line: {err}");
        }
        // a folder yet to be made is the folder it will be: `new/..` is the one `new` is made in
        let up = |dir: &Path| dir.join("new").join("..");
        for (dir, what) in [(up(&shop), "holds the input file"), (up(Path::new("/")), "is the root folder")] {
            let err = check_output_dir(&dir, "--output", &input).unwrap_err().to_string();
            assert!(err.starts_with("--output:") && err.contains(what), "{err}");
        }
        let err = check_output_dir(&shop.join("a/b/../.."), "--output", &input).unwrap_err().to_string();
        assert!(err.contains("holds the input file"), "{err}");
        let out = |name: &str| tmp.path().join(name);
        check_output_dir(&out("out"), "[output] dir", &input).unwrap();
        check_output_dir(&out("new/../out"), "[output] dir", &input).unwrap();
        check_output_dir(&out("shopping"), "[output] dir", &input).unwrap();
        fs::create_dir_all(out("shopping")).unwrap();
        check_output_dir(&out("shopping"), "[output] dir", &input).unwrap();
    }
}
