//! When the machine says no: a file-size limit, an I/O error reading the published set, a full
//! disk as a shard writes its marker. Each run fails as any write fails (exit 1, one line naming
//! the file, the OS's reason and what to do), leaves the published set as it was, and leaves
//! nothing of its own that the next run or a reader would trip on.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

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
