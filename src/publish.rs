//! Publish: one complete set of outputs or none, switched in atomically, under a lock.
//!
//! Layout of `[output] dir`:
//!
//! ```text
//! recommendations.parquet -> current/recommendations.parquet   (fixed links, made once)
//! neighbours.parquet, null_audit.parquet, items.parquet, purchases.parquet, manifest.json: likewise
//! current -> runs/<run_id>          (the one switch: an atomic rename of a symlink)
//! runs/<run_id>/                    (the last `keep_runs` published runs, oldest pruned)
//! .staging-<run_id>/                (a run being written; removed by the next run if killed)
//! .lock                             (flock'd while a run publishes; holds its pid and start)
//! ```
//!
//! A run writes into its staging folder, fsyncs, validates, renames it under `runs/`, then
//! renames a fresh `current` link over the old one. Readers see the old set or the new set,
//! never a mix of one file; a run killed at any moment leaves the previous set untouched.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use crate::error::{OutputError, Result};
use crate::write::file;

/// The link that names the published run.
pub const CURRENT: &str = "current";
/// Folder of kept runs.
pub const RUNS: &str = "runs";
const STAGING_PREFIX: &str = ".staging-";
const LOCK: &str = ".lock";

/// An output folder locked for one run. The lock is released on drop (or when the process
/// dies, even by SIGKILL: it is an `flock`).
pub struct Publisher {
    dir: PathBuf,
    run_id: String,
    _lock: File,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io { path: path.to_path_buf(), source }
}

impl Publisher {
    /// Creates `dir` if needed, takes its lock and removes what killed runs left behind.
    pub fn open(dir: &Path, run_id: &str, started: &str) -> Result<Self> {
        if dir.exists() && !dir.is_dir() {
            return Err(OutputError::NotADirectory { path: dir.to_path_buf() }.into());
        }
        fs::create_dir_all(dir.join(RUNS)).map_err(io(dir))?;
        let lock_path = dir.join(LOCK);
        let mut lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        // SAFETY: flock on a file descriptor we own; no memory is shared with the call.
        if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let mut holder = String::new();
            let _ = lock.read_to_string(&mut holder);
            let mut parts = holder.split_whitespace();
            let pid = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
            let started = parts.next().unwrap_or("unknown").to_string();
            return Err(OutputError::Locked { path: dir.to_path_buf(), pid, started }.into());
        }
        lock.set_len(0).map_err(io(&lock_path))?;
        lock.rewind().map_err(io(&lock_path))?;
        writeln!(lock, "{} {}", std::process::id(), started).map_err(io(&lock_path))?;
        let publisher = Publisher { dir: dir.to_path_buf(), run_id: run_id.to_string(), _lock: lock };
        publisher.remove_leftovers()?;
        Ok(publisher)
    }

    /// The folder this run writes into.
    pub fn staging(&self) -> PathBuf {
        self.dir.join(format!("{STAGING_PREFIX}{}", self.run_id))
    }

    /// Creates the (empty) staging folder.
    pub fn begin(&self) -> Result<PathBuf> {
        let staging = self.staging();
        fs::create_dir_all(&staging).map_err(io(&staging))?;
        Ok(staging)
    }

    /// The folder of the currently published run, if any.
    pub fn current(&self) -> Option<PathBuf> {
        current_run(&self.dir)
    }

    /// Removes staging folders of killed runs and run folders never switched in.
    fn remove_leftovers(&self) -> Result<()> {
        let current_id = self.current().and_then(|p| p.file_name().map(|s| s.to_string_lossy().to_string()));
        for entry in fs::read_dir(&self.dir).map_err(io(&self.dir))?.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.starts_with(STAGING_PREFIX) || name.starts_with(".current-") {
                remove(&entry.path())?;
            }
        }
        let runs = self.dir.join(RUNS);
        for entry in fs::read_dir(&runs).map_err(io(&runs))?.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            // A run folder newer than `current` was renamed in but never switched to.
            if current_id.as_ref().is_none_or(|c| name > *c) {
                remove(&entry.path())?;
            }
        }
        Ok(())
    }

    /// Switches the staged set in: rename under `runs/`, swap the `current` link, make the
    /// fixed top-level links, prune to `keep` runs. Each step is atomic; the swap is the commit.
    pub fn commit(self, keep: usize) -> Result<PathBuf> {
        let staging = self.staging();
        sync_dir(&staging)?;
        let runs = self.dir.join(RUNS);
        let final_dir = runs.join(&self.run_id);
        fs::rename(&staging, &final_dir).map_err(io(&final_dir))?;
        sync_dir(&runs)?;
        let tmp = self.dir.join(format!(".current-{}", self.run_id));
        std::os::unix::fs::symlink(Path::new(RUNS).join(&self.run_id), &tmp).map_err(io(&tmp))?;
        fs::rename(&tmp, self.dir.join(CURRENT)).map_err(io(&self.dir))?;
        for name in file::ALL {
            let link = self.dir.join(name);
            let target = Path::new(CURRENT).join(name);
            if fs::read_link(&link).ok().as_deref() != Some(target.as_path()) {
                let tmp = self.dir.join(format!(".current-{}-{name}", self.run_id));
                std::os::unix::fs::symlink(&target, &tmp).map_err(io(&tmp))?;
                fs::rename(&tmp, &link).map_err(io(&link))?;
            }
        }
        sync_dir(&self.dir)?;
        self.prune(keep)?;
        Ok(final_dir)
    }

    /// Keeps the newest `keep` run folders (the current one always).
    fn prune(&self, keep: usize) -> Result<()> {
        let runs = self.dir.join(RUNS);
        let mut names: Vec<String> = fs::read_dir(&runs)
            .map_err(io(&runs))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect();
        names.sort();
        let excess = names.len().saturating_sub(keep.max(1));
        for name in &names[..excess] {
            if *name != self.run_id {
                remove(&runs.join(name))?;
            }
        }
        Ok(())
    }

    /// Drops the staging folder of a run that is not publishing (refused or failed).
    pub fn abandon(self) {
        let _ = fs::remove_dir_all(self.staging());
    }
}

/// The published run's folder under `dir`, if one is published.
pub fn current_run(dir: &Path) -> Option<PathBuf> {
    let target = fs::read_link(dir.join(CURRENT)).ok()?;
    let path = dir.join(target);
    path.is_dir().then_some(path)
}

fn remove(path: &Path) -> Result<()> {
    let result = if path.is_dir() && !path.is_symlink() { fs::remove_dir_all(path) } else { fs::remove_file(path) };
    result.map_err(|e| io(path)(e).into())
}

/// fsyncs a directory so renames and new entries in it survive a crash.
fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir)(e).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn publish(dir: &Path, id: &str, content: &str, keep: usize) {
        let p = Publisher::open(dir, id, "now").unwrap();
        let staging = p.begin().unwrap();
        for name in file::ALL {
            fs::write(staging.join(name), content).unwrap();
        }
        p.commit(keep).unwrap();
    }

    #[test]
    fn commit_switches_the_whole_set_and_prunes() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, "r1", "one", 2);
        assert_eq!(fs::read_to_string(dir.join(file::NEIGHBOURS)).unwrap(), "one");
        publish(&dir, "r2", "two", 2);
        publish(&dir, "r3", "three", 2);
        assert_eq!(fs::read_to_string(dir.join(file::MANIFEST)).unwrap(), "three");
        let mut runs: Vec<String> =
            fs::read_dir(dir.join(RUNS)).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        runs.sort();
        assert_eq!(runs, ["r2", "r3"]);
    }

    #[test]
    fn a_second_run_is_locked_out_and_leftovers_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        publish(&dir, "r1", "one", 7);
        let first = Publisher::open(&dir, "r2", "2026-01-01T00:00:00Z").unwrap();
        first.begin().unwrap();
        match Publisher::open(&dir, "r3", "later") {
            Err(crate::error::Error::Output(OutputError::Locked { pid, started, .. })) => {
                assert_eq!(pid, std::process::id());
                assert_eq!(started, "2026-01-01T00:00:00Z");
            }
            _ => panic!("expected the lock to be held"),
        }
        drop(first); // as if killed: staging left behind, lock released
        fs::create_dir_all(dir.join(RUNS).join("r9")).unwrap(); // renamed in, never switched
        let next = Publisher::open(&dir, "r4", "now").unwrap();
        assert!(!dir.join(".staging-r2").exists());
        assert!(!dir.join(RUNS).join("r9").exists());
        assert!(dir.join(RUNS).join("r1").exists());
        next.abandon();
        assert_eq!(fs::read_to_string(dir.join(file::RECOMMENDATIONS)).unwrap(), "one");
    }

    #[test]
    fn an_output_path_that_is_a_file_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let f = tmp.path().join("out");
        fs::write(&f, "x").unwrap();
        let err = Publisher::open(&f, "r1", "now").err().unwrap().to_string();
        assert!(err.contains("not a directory"), "{err}");
    }
}
