//! When the machine says no: a file-size limit, an I/O error reading the published set, a full
//! disk as a shard writes its marker. Each run fails as any write fails (exit 1, one line naming
//! the file, the OS's reason and what to do), leaves the published set as it was, and leaves
//! nothing of its own that the next run or a reader would trip on.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use crate::errors::published;
use crate::workdir::{kindred_command, Run, Workdir};

/// `command` with its file-size limit (`ulimit -f`, RLIMIT_FSIZE) at `bytes`.
fn limited(mut command: Command, bytes: u64) -> Command {
    // SAFETY: `setrlimit` is async-signal-safe, and only it runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            match libc::setrlimit(libc::RLIMIT_FSIZE, &limit) {
                0 => Ok(()),
                _ => Err(std::io::Error::last_os_error()),
            }
        });
    }
    command
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Whether `strace` runs here (the tests that inject a failed system call skip without it).
fn has_strace() -> bool {
    Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success())
}

/// `kindred args` run in `w` under `strace` with the options `trace` (which system calls, which
/// to fail), the trace written to `log`.
fn injected(w: &Workdir, log: &Path, trace: &[&str], args: &[&str]) -> Run {
    let mut command = Command::new("strace");
    crate::workdir::isolated(&mut command).args(["-f", "-qq", "-o"]).arg(log).args(trace);
    command.arg(env!("CARGO_BIN_EXE_kindred")).args(args).current_dir(w.path("")).output().unwrap().into()
}

/// helper-115: a write past the file-size limit (`ulimit -f`, a container's RLIMIT_FSIZE) killed
/// kindred with SIGXFSZ (153, no message, no record: `status` said "interrupted"), and left
/// `generate`'s and `evaluate`'s hidden `.NAME.<pid>.part` for good. It now fails as a write
/// does: exit 1, the file, "File too large" and what to change; the hidden file removed.
#[test]
fn a_write_past_the_file_size_limit_is_exit_1_naming_the_file_not_a_signal() {
    let w = Workdir::new();
    let mut command = limited(kindred_command(), 64 << 10);
    command.args(["generate", "shop.parquet", "3000", "300", "8"]).current_dir(w.path(""));
    let r: Run = command.output().unwrap().into();
    r.says(1, &["cannot write shop.parquet: File too large", "ulimit -f"]);
    assert!(names(&w.path("")).is_empty(), "left: {:?}", names(&w.path("")));

    // a run: its set refused whole, its record written, the published set as it was
    let mut command = kindred_command();
    command.args(["generate", "shop.parquet", "3000", "300", "8"]).current_dir(w.path(""));
    assert_eq!(command.output().unwrap().status.code(), Some(0));
    let p = w.pipeline("shop.toml", &w.path("shop.parquet"), "");
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0);
    let before = w.published();
    let mut command = limited(kindred_command(), 64 << 10);
    command.args(["run", p.to_str().unwrap(), "--quiet"]).current_dir(w.path(""));
    let r: Run = command.output().unwrap().into();
    r.says(1, &["File too large (os error 27); a file-size limit stopped the write"]);
    assert!(r.stderr.contains(".parquet: File too large"), "{}", r.stderr);
    assert_eq!(w.published(), before, "the published set changed");
    let out = w.path("out");
    assert!(!names(&out).iter().any(|n| n.starts_with(".staging")), "{:?}", names(&out));
    let status = w.kindred(&["status", out.to_str().unwrap()]);
    assert_eq!(status.code, 6, "{}", status.stdout);
    assert!(status.stdout.contains("failed") && status.stdout.contains("File too large"), "{}", status.stdout);
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0, "the next run");
}

/// helper-115: an I/O error reading the published run's manifest as a run checked the folder
/// (EIO on a share, out of file descriptors) was taken for a manifest naming no run: the run
/// refused `current` as "a link to runs/<id>, which holds no published set … move it away or
/// choose another [output] dir" — advice that unpublishes the set. It is said as what it is.
#[test]
fn a_manifest_that_cannot_be_read_is_an_io_error_not_someone_elses_layout() {
    if !has_strace() {
        eprintln!("skipped: strace is not available here");
        return;
    }
    let w = published();
    let before = w.published();
    // as the run opens it (strace's `-P` matches the path as written)
    let manifest = w.published_manifest();
    let p = w.path("good.toml");
    let trace = ["-P", manifest.to_str().unwrap(), "-e", "trace=openat", "-e", "inject=openat:error=EIO:when=1"];
    let r = injected(&w, Path::new("/dev/null"), &trace, &["run", p.to_str().unwrap(), "--quiet"]);
    r.says(1, &["cannot read ", "manifest.json: Input/output error", "dmesg"]);
    assert!(!r.stderr.contains("move it away") && !r.stderr.contains("no published set"), "{}", r.stderr);
    assert_eq!(w.published(), before);
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0, "the next run");
}

/// helper-118: the published set's `manifest.json` that this account cannot read (a `chmod`,
/// another account's umask: EACCES, injected here, for root reads whatever the mode) made
/// `status` exit 1, "cannot read …/manifest.json", as a folder it cannot read, while a table
/// of the same mode is exit 6, named among the set's files it cannot read. The manifest is
/// such a file too. A run still refuses to go on (exit 1): it cannot tell the set from
/// someone else's folder.
#[test]
fn a_manifest_status_cannot_read_is_a_file_of_the_set_it_cannot_read_exit_6() {
    if !has_strace() {
        eprintln!("skipped: strace is not available here");
        return;
    }
    let w = published();
    let manifest = w.published_manifest();
    let trace = ["-P", manifest.to_str().unwrap(), "-e", "trace=openat", "-e", "inject=openat:error=EACCES"];
    let out = w.path("out");
    let r = injected(&w, Path::new("/dev/null"), &trace, &["status", out.to_str().unwrap(), "--json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stderr));
    let said = "manifest.json: cannot be read (Permission denied (os error 13))";
    assert_eq!((r.code, &v["published"]["damaged"]), (6, &serde_json::json!([said])), "{v}");
    let problems = v["problems"].to_string();
    assert!(problems.contains(&format!("has files this account cannot read: {said}")), "{v}");
    let p = w.path("good.toml");
    let r = injected(&w, Path::new("/dev/null"), &trace, &["run", p.to_str().unwrap(), "--quiet"]);
    r.says(1, &["cannot read ", "manifest.json: Permission denied"]);
}

/// helper-115: a shard whose done-marker could not be renamed in (a full disk) left its empty
/// `.<index>-<attempt>.json.tmp` in `done/` and both its parts in `parts/`, a whole shard's
/// output per failed attempt until a publish removed the prepared run. Its own files go.
#[test]
fn a_shard_whose_marker_is_not_written_leaves_none_of_its_files() {
    if !has_strace() {
        eprintln!("skipped: strace is not available here");
        return;
    }
    let w = Workdir::new();
    let p = w.pipeline("good.toml", &w.copy("tiny.csv"), "");
    let p = p.to_str().unwrap();
    assert_eq!(w.kindred(&["prepare", p, "--shards", "1", "--quiet"]).code, 0);
    let prepared = w.path("out/shards/latest");
    let renames = "rename,renameat,renameat2";
    let (trace, inject) = (format!("trace={renames}"), format!("inject={renames}:error=ENOSPC:when=1"));
    let r =
        injected(&w, Path::new("/dev/null"), &["-e", &trace, "-e", &inject], &["shard", p, "--index", "0", "--quiet"]);
    r.says(1, &["No space left on device", "free some on it (`df -h`, `df -i`)"]);
    assert_eq!(names(&prepared.join("done")), Vec::<String>::new());
    assert_eq!(names(&prepared.join("parts")), Vec::<String>::new());
    assert_eq!(w.kindred(&["shard", p, "--index", "0", "--quiet"]).code, 0);
    assert_eq!(names(&prepared.join("parts")).len(), 2);
    assert_eq!(w.kindred(&["publish", p, "--quiet"]).code, 0);
}

/// helper-115: `evaluate` (and `generate`) renamed their file in without syncing its folder: a
/// power cut after exit 0 could bring back the old `evaluation.parquet` beside a `.part` no
/// command removes. The folder is synced after the rename.
#[test]
fn evaluation_parquet_is_synced_into_its_folder() {
    if !has_strace() {
        eprintln!("skipped: strace is not available here");
        return;
    }
    let w = published();
    let log = w.path("trace.txt");
    let trace = ["-y", "-e", "trace=rename,renameat,renameat2,fsync"];
    let p = w.path("good.toml");
    let r = injected(&w, &log, &trace, &["evaluate", p.to_str().unwrap(), "--cutoff", "2010-12-04", "--k", "2"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(&log).unwrap();
    let renamed = text.lines().position(|l| l.contains("rename") && l.contains("evaluation.parquet\"")).expect(&text);
    let out = std::fs::canonicalize(w.path("out")).unwrap();
    let folder = format!("<{}>)", out.display());
    let synced = text.lines().skip(renamed).any(|l| l.contains("fsync(") && l.contains(&folder));
    assert!(synced, "no fsync of {} after the rename:\n{text}", out.display());
}

/// helper-115: a `runs/` this run may not write in (made immutable, read-only, another
/// user's) was found only as the run renamed its set in, after the whole set was computed —
/// minutes of a large run, every night. It is checked as the run takes the lock, before the
/// work: `cannot write out/runs: Operation not permitted; …`, exit 1, nothing computed. Needs
/// `chattr` and a filesystem with the immutable flag, and root (skipped otherwise).
#[test]
fn a_runs_folder_the_run_may_not_write_in_fails_it_before_the_work() {
    let w = published();
    let runs = w.path("out/runs");
    let chattr = |flag: &str| Command::new("chattr").args([flag, runs.to_str().unwrap()]).output();
    if !chattr("+i").is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: `chattr +i` is not available here");
        return;
    }
    let before = w.published();
    let p = w.path("good.toml");
    let r = w.kindred(&["run", p.to_str().unwrap()]);
    chattr("-i").unwrap();
    r.says(1, &["cannot write ", "out/runs: Operation not permitted", "lsattr"]);
    assert!(!r.stderr.contains("kindred: write:"), "the set was computed and written: {}", r.stderr);
    assert_eq!(w.published(), before);
    assert_eq!(w.kindred(&["run", p.to_str().unwrap(), "--quiet"]).code, 0, "the next run");
}
