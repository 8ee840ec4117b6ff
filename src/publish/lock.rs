//! The output folder's lock, `.lock`. The run that publishes takes it with `flock` and writes
//! its pid, start, run id and host into it; while the run lives it touches the file every
//! [`HEARTBEAT`], and it empties the file as it lets go. So a file that names a run and was not
//! touched for [`STALE_AFTER`] belongs to a run that stopped without letting go — killed by
//! SIGKILL, the OOM killer or SIGTERM, or on a machine that went down — which `kindred status`
//! reports from any machine or container that sees the folder (a flock and `/proc/locks` are
//! visible only on the holder's own machine, and in its own pid namespace there).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime};

use super::{entry, io, unexpected};
use crate::error::{OutputError, Result};

/// The lock file's name in the output folder.
pub const LOCK: &str = ".lock";

/// How much of `.lock` is read: its lines, one a run whose end is recorded nowhere ([`Left`]),
/// about 110 bytes each.
const READ_LIMIT: u64 = 1 << 20;

/// The latest last-seen time a lock line may carry (9999-12-31): beyond it, the file's time.
const LATEST_SEEN: u64 = 253_402_300_799;

/// How often a run holding the lock touches it.
pub const HEARTBEAT: Duration = Duration::from_secs(30);

/// A lock that names a run and was not touched for this long (ten heartbeats: room for a
/// loaded machine and for clocks a few minutes apart) belongs to a run that stopped.
pub const STALE_AFTER: Duration = Duration::from_secs(300);

/// Refuses a `.lock` that is a link, a hard link or not a file (kindred's is none of them):
/// part of [`super::check_layout`], so `kindred status` says what every run would refuse.
pub(super) fn check(dir: &Path) -> Result<()> {
    let path = dir.join(LOCK);
    match entry(&path)? {
        // a hard-link snapshot of the folder (`cp -al`, `rsync --link-dest`) shares it: said
        // so, with what to do (helper-153: "not kindred's lock file" sent the operator astray)
        Some(meta) if meta.is_file() && meta.nlink() > 1 => Err(unexpected(
            &path,
            &meta,
            "kindred's lock file, which has one name: a hard-link snapshot of the folder (cp -al, rsync --link-dest) shares it, and kindred writes into it; delete this .lock (kindred makes a new one) or break the link (cp .lock .lock.new && mv .lock.new .lock)".into(),
        )
        .into()),
        Some(meta) if !meta.is_file() => Err(unexpected(&path, &meta, "kindred's lock file".into()).into()),
        // a file no kindred wrote (a person's "maintenance window" note) every run refuses:
        // so does `status` (it read healthy while every run exited 1: helper-98). Read without
        // the flock, a holder's line may be half written: read again before refusing.
        Some(meta) => {
            let foreign = || {
                let text = File::open(&path).ok().map(|f| {
                    let mut text = String::new();
                    let _ = f.take(READ_LIMIT).read_to_string(&mut text);
                    text
                });
                text.and_then(|t| foreign_line(&t, meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)))
            };
            match foreign().and_then(|_| {
                std::thread::sleep(Duration::from_millis(50));
                foreign()
            }) {
                Some(line) => Err(foreign_lock(&path, &line).into()),
                None => Ok(()),
            }
        }
        None => Ok(()),
    }
}

/// The first line of a lock file's `text` that no kindred wrote (whole lines only: a line cut by
/// [`READ_LIMIT`] is not one).
fn foreign_line(text: &str, touched: SystemTime) -> Option<String> {
    let whole = match text.len() as u64 == READ_LIMIT {
        true => &text[..text.rfind('\n').map_or(0, |end| end + 1)],
        false => text,
    };
    whole.lines().find(|l| !blank(l) && parse(l, touched).is_none()).map(str::to_string)
}

/// A line of nothing but whitespace and NUL bytes: what a crash leaves of a line whose bytes had
/// not reached the disk (XFS, ext4 `data=writeback` hand the file back zeroed to its length). It
/// names no run, and is no person's text either: refused as one, it kept every run out until
/// someone removed the lock file (helper-120).
fn blank(line: &str) -> bool {
    line.trim_matches(|c: char| c == '\0' || c.is_whitespace()).is_empty()
}

/// The error for a `.lock` holding `line`, which no kindred wrote.
fn foreign_lock(path: &Path, line: &str) -> OutputError {
    let shown: String = line.chars().take(40).collect();
    OutputError::Layout {
        path: path.to_path_buf(),
        found: format!("a file holding {shown:?}, not the lines of runs"),
        expected: "kindred's lock file (empty, or a run's pid and start a line)".into(),
    }
}

/// Opens `.lock` without following a link and takes it. It must be a regular file with one
/// name: a link or a hard link could point the truncation at any file root can write. It then
/// holds `pid started run_id host kernel` ([`Holder`]). Returns it with the runs the file still
/// named when the lock was taken: the one that held it and never let go (killed), then any a
/// run before left there unrecorded ([`Left`]). The file is overwritten in place, never emptied
/// first: on a full disk the line may not be written, and theirs must not be lost with it.
pub(super) fn take_lock(dir: &Path, line: &str) -> Result<(File, Vec<Holder>)> {
    let path = dir.join(LOCK);
    let refuse = |meta: &fs::Metadata| unexpected(&path, meta, "kindred's lock file".into());
    check(dir)?;
    let mut lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(io(&path))?;
    // Checked again on the open file: the name may have changed since it was looked at.
    let meta = lock.metadata().map_err(io(&path))?;
    if !meta.is_file() || meta.nlink() != 1 {
        return Err(refuse(&meta).into());
    }
    // SAFETY: flock on a file descriptor we own; no memory is shared with the call.
    if unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        // only EWOULDBLOCK is another holder: a filesystem that cannot lock (an NFS share
        // without its lock service: ENOLCK) was told as "another process (pid 0) holds the
        // lock", exit 4, which schedulers retry forever (helper-120)
        let why = std::io::Error::last_os_error();
        if why.raw_os_error() != Some(libc::EWOULDBLOCK) {
            return Err(OutputError::LockFailed { path, source: why }.into());
        }
        return Err(held(&mut lock, &path, &meta, dir).into());
    }
    let mut before = String::new();
    let _ = (&lock).take(READ_LIMIT).read_to_string(&mut before);
    let touched = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    // read under the flock, so never a holder's line half written: a line no kindred wrote is
    // a file of that name that is not kindred's (a person's notes), which would be overwritten
    if let Some(line) = foreign_line(&before, touched) {
        return Err(foreign_lock(&path, &line).into());
    }
    if before.len() as u64 == READ_LIMIT {
        // a line cut by the limit is not read as a whole one
        before.truncate(before.rfind('\n').map_or(0, |end| end + 1));
    }
    let previous = parse_all(&before, touched);
    if let Some(holder) = previous.first().filter(|h| !h.on_this_kernel()) {
        let age = heartbeat_age(touched, SystemTime::now());
        let heard = match holder.is_stale(SystemTime::now()) {
            false => Some(format!("its heartbeat is {age} by this machine's clock")),
            true => beat_while_watched(&path, holder, touched, &age),
        };
        if let Some(heard) = heard {
            // the file is left as it is; dropping it lets the flock go
            let host = holder.host.clone().unwrap_or_else(|| "another machine".into());
            return Err(OutputError::LockedElsewhere { path: dir.to_path_buf(), pid: holder.pid, host, heard }.into());
        }
    }
    // this run's line first, the runs the file named behind it until each is recorded: a run
    // killed now leaves them named (written only as it let go, they were lost with it)
    let mut text = line.to_string();
    text.extend(previous.iter().map(Holder::line));
    if let Err(e) = overwrite(&lock, text.as_bytes()) {
        let _ = overwrite(&lock, before.as_bytes()); // as it was: it fits where it was
        return Err(io(&path)(e).into());
    }
    // on the disk before the run goes on, so that a machine that goes down leaves the line
    // (what the next run records as interrupted), not zeros; best effort, as the heartbeat is
    let _ = lock.sync_data();
    Ok((lock, previous))
}

/// How long a run watches the lock of a run on another machine whose heartbeat looks stopped by
/// this machine's clock before taking it over: two heartbeats and some, in which a live run
/// touches it.
#[cfg(not(test))]
const WATCH: Duration = Duration::from_secs(2 * HEARTBEAT.as_secs() + 5);
#[cfg(test)]
const WATCH: Duration = Duration::from_secs(2);

/// How old `touched` is by the clock at `now` ("12s old"), or how far ahead of it ("dated
/// 3600s ahead"): a heartbeat ahead was said "0s ago".
fn heartbeat_age(touched: SystemTime, now: SystemTime) -> String {
    match now.duration_since(touched) {
        Ok(age) => format!("{}s old", age.as_secs()),
        Err(ahead) => format!("dated {}s ahead", ahead.duration().as_secs()),
    }
}

/// Whether the lock at `path`, last touched at `touched` ([`STALE_AFTER`] or more before now by
/// this machine's clock, or as far after it: `age`, [`heartbeat_age`]), is touched again while
/// this run watches it for
/// [`WATCH`]: said as the error's words when it is. The lock's time is the clock of the machine
/// that touched it (or of the file server): the age compares another clock with this one, and a
/// machine whose clock ran minutes ahead took a live run's lock — two runs wrote in one folder,
/// the live one's set failing, recorded as interrupted by the other (helper-143). A change is
/// no clock's word. A run that stopped costs its successor the watch, once.
fn beat_while_watched(path: &Path, holder: &Holder, touched: SystemTime, age: &str) -> Option<String> {
    let who = holder.host.as_deref().unwrap_or("another machine");
    crate::progress::note(
        false,
        &format!(
            "{} names a run on {who} (pid {}) whose heartbeat is {age} by this machine's clock: watching it for {}s before taking it over (clocks of machines sharing a folder can differ)",
            path.display(),
            holder.pid,
            WATCH.as_secs()
        ),
    );
    let start = std::time::Instant::now();
    while start.elapsed() < WATCH {
        std::thread::sleep(Duration::from_millis(500));
        let now = fs::metadata(path).and_then(|m| m.modified());
        if now.map_or(true, |t| t != touched) {
            return Some(format!(
                "its heartbeat touched the lock {}s into this run's watch, though it looked {age} by this machine's clock (the clocks differ)",
                start.elapsed().as_secs()
            ));
        }
    }
    None
}

/// The error for a `.lock` (at `path`, in `dir`) whose flock another process holds: a kindred
/// run that wrote its line; a process that wrote none (another tool's `flock` on the file: not
/// "another kindred run", helper-98); or, writing none, this run's own parent or ancestor — a
/// wrapper locking the folder's own lock file, which keeps every run out.
fn held(lock: &mut File, path: &Path, meta: &fs::Metadata, dir: &Path) -> OutputError {
    let (pid, started) = lock_holder(lock, path, meta);
    if let Some((how, name)) = started.is_none().then(|| ancestor(pid)).flatten() {
        return OutputError::LockedByAncestor { path: dir.to_path_buf(), pid, name, how };
    }
    let who = if started.is_some() { "kindred run" } else { "process" };
    let started = started.unwrap_or_else(|| "unknown".into());
    OutputError::Locked { path: dir.to_path_buf(), pid, started, who }
}

/// This process's line in the lock, as run `run_id` started at `started` ([`Holder`]).
pub(super) fn line_of(started: &str, run_id: &str) -> String {
    let host = host_name().unwrap_or_else(|| "-".into());
    let kernel = kernel_id().unwrap_or_else(|| "-".into());
    format!("{} {started} {run_id} {host} {kernel}\n", std::process::id())
}

/// This run's `line` ([`line_of`]) once its set is live: with a sixth field (now, as a line
/// behind another's carries its last-seen time) and a seventh, `live` ([`Holder::live`]). A
/// run killed after its switch, its lock naming it still, was taken for one killed before it
/// when an operator had pointed `current` back by hand, and its published set was deleted
/// (helper-125).
pub(crate) fn live_line(line: &str) -> String {
    let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
    format!("{} {now} live\n", line.trim_end())
}

/// Writes `text` over the lock file's start, then cuts what followed.
fn overwrite(mut lock: &File, text: &[u8]) -> std::io::Result<()> {
    lock.rewind()?;
    lock.write_all(text)?;
    lock.set_len(text.len() as u64)
}

/// Leaves `lock` naming this run (`own`: its line, first) and the `killed` runs, a line each
/// with when each was last seen; its time is the first killed run's last heartbeat when this
/// run is not named, else now. Best effort: nothing else can be done as a run ends.
pub(crate) fn keep_naming(lock: &File, own: Option<&str>, killed: &[Holder]) {
    let mut text = own.unwrap_or_default().to_string();
    text.extend(killed.iter().map(Holder::line));
    let _ = overwrite(lock, text.as_bytes());
    match (own, killed.first()) {
        (None, Some(first)) => drop(lock.set_modified(first.touched)),
        _ => touch(lock),
    }
}

/// What a run leaves `.lock` saying as it lets go, instead of emptying it, when runs' ends are
/// on disk nowhere else (see `Publisher`'s `drop`): a line each, the first read as the holder
/// (by `kindred status`, by earlier builds), every one recorded by the next run that can.
#[derive(Debug, Default)]
pub(crate) struct Left {
    /// This run, refused or failed, could not write its record: its own line stays first.
    pub own: bool,
    /// The killed runs the lock named whose records this run could not write, in its order.
    pub killed: Vec<Holder>,
}

impl Left {
    pub(crate) fn is_empty(&self) -> bool {
        !self.own && self.killed.is_empty()
    }
}

/// Who holds the lock on `lock` (pid, start). The kernel's own record (`/proc/locks`, Linux)
/// names the process holding the flock; the file names the kindred run that wrote it, once it
/// has (a holder writes its pid and start just after taking the lock, and a run empties the
/// file as it lets go, so the file never names a finished run). When the two disagree the
/// kernel's pid is the holder's, its start unknown (`None`: the file does not name it).
fn lock_holder(lock: &mut File, path: &Path, meta: &fs::Metadata) -> (u32, Option<String>) {
    let mut written = String::new();
    for _ in 0..5 {
        written.clear();
        let _ = lock.rewind().and_then(|_| lock.read_to_string(&mut written));
        if !written.trim().is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20)); // the holder is writing
    }
    let mut parts = written.split_whitespace();
    let file_pid: Option<u32> = parts.next().and_then(|p| p.parse().ok());
    let started = parts.next().map(str::to_string);
    match (flock_holder(path, meta), file_pid) {
        (Flock::Held(kernel), Some(pid)) if kernel != pid => (kernel, None),
        (Flock::Held(kernel), None) => (kernel, None),
        (_, pid) => (pid.unwrap_or(0), started.filter(|_| pid.is_some())),
    }
}

/// Whether `pid` is this process's parent or an earlier ancestor (Linux's `/proc`), and its
/// name: a cron line's `flock out/.lock kindred run …` held the lock kindred takes, and every
/// night was "another kindred run (pid N) holds the lock … wait for it to finish", N the
/// wrapper, kindred's parent (helper-98).
fn ancestor(pid: u32) -> Option<(&'static str, String)> {
    let parent = |p: u32| -> Option<u32> {
        let stat = fs::read_to_string(format!("/proc/{p}/stat")).ok()?;
        // `pid (name) state ppid …`: the name may hold spaces and parentheses
        stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
    };
    let mut p = parent(std::process::id())?;
    for how in std::iter::once("parent").chain(std::iter::repeat("ancestor")).take(64) {
        if p == pid && pid > 1 {
            let name = fs::read_to_string(format!("/proc/{p}/comm")).map(|n| n.trim().to_string());
            return Some((how, name.unwrap_or_else(|_| "unknown".into())));
        }
        p = parent(p).filter(|&up| up != 0 && up != p)?;
    }
    None
}

/// What `/proc/locks` says of the flocks on one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flock {
    /// A flock on the file, held by this pid (as this namespace numbers it; 0 when hidden).
    Held(u32),
    /// None on the file.
    Free,
    /// None on the file's device, but one on a file of its inode number on a device this
    /// reading cannot tie to it, where `stat` and the mount table disagree on the device
    /// (btrfs, overlayfs): another filesystem's file that shares the number, or this one's
    /// under a number neither gives; or no `/proc/locks` to read. Not evidence either way:
    /// the heartbeat decides.
    Unsure,
}

/// The flock on the file at `path` (whose metadata is `meta`), from `/proc/locks` (Linux;
/// `Unsure` elsewhere). Lines read `1: FLOCK  ADVISORY  WRITE 4242 fe:00:5317582 0 EOF`, the
/// device as the filesystem's superblock numbers it — `stat`'s device, or on btrfs, overlayfs
/// and the like the one the mount table gives ([`mount_device`]); a waiter's line has `->`
/// after the number. An inode number alone is not the file's: a flock on another volume's
/// file of that number read as the lock held, and a killed run as running, for as long as it
/// was held.
pub(super) fn flock_holder(path: &Path, meta: &fs::Metadata) -> Flock {
    let Ok(locks) = fs::read_to_string("/proc/locks") else { return Flock::Unsure };
    let stat = (libc::major(meta.dev()), libc::minor(meta.dev()));
    flock_in(&locks, stat, mount_device(path), meta.ino())
}

/// [`flock_holder`] on the text of `/proc/locks`, for the file `ino` whose device is `stat`
/// by `stat` and `mount` by the mount table. Where the two agree (ext4, xfs, tmpfs, NFS) the
/// device `/proc/locks` prints is known, and a flock on another device's file of this number
/// is not this file's: `Free`, not `Unsure`.
fn flock_in(locks: &str, stat: (u32, u32), mount: Option<(u32, u32)>, ino: u64) -> Flock {
    let known = mount == Some(stat);
    let devices: Vec<String> =
        [Some(stat), mount].into_iter().flatten().map(|(major, minor)| format!("{major:02x}:{minor:02x}")).collect();
    let mut elsewhere = false;
    for line in locks.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (Some(kind), Some(pid), Some(id)) = (fields.get(1), fields.get(4), fields.get(5)) else { continue };
        let Some((dev, inode)) = id.rsplit_once(':') else { continue };
        if *kind != "FLOCK" || inode.parse::<u64>().ok() != Some(ino) {
            continue;
        }
        match devices.iter().any(|d| d == dev) {
            true => return Flock::Held(pid.parse().unwrap_or(0)),
            false => elsewhere = true,
        }
    }
    match elsewhere && !known {
        true => Flock::Unsure,
        false => Flock::Free,
    }
}

/// The device (major, minor) of the filesystem `path` is on, as the mount table
/// (`/proc/self/mountinfo`, the mount whose point is the longest prefix of the resolved path,
/// the last mounted there) numbers its superblock; `None` where it cannot tell.
fn mount_device(path: &Path) -> Option<(u32, u32)> {
    let path = fs::canonicalize(path).ok()?;
    let table = fs::read_to_string("/proc/self/mountinfo").ok()?;
    let mut best: Option<(usize, (u32, u32))> = None;
    for line in table.lines() {
        let fields: Vec<&str> = line.split(' ').collect();
        let (Some(dev), Some(point)) = (fields.get(2), fields.get(4)) else { continue };
        let point = unescape_mount_point(point);
        let Some((major, minor)) = dev.split_once(':') else { continue };
        let (Ok(major), Ok(minor)) = (major.parse(), minor.parse()) else { continue };
        let depth = Path::new(&point).components().count();
        if path.starts_with(&point) && best.is_none_or(|(d, _)| depth >= d) {
            best = Some((depth, (major, minor)));
        }
    }
    best.map(|(_, dev)| dev)
}

/// A mount point as the mount table writes it, its space, tab, newline and backslash as `\040`,
/// `\011`, `\012` and `\134`.
fn unescape_mount_point(text: &str) -> std::ffi::OsString {
    use std::os::unix::ffi::OsStringExt;
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal =
            bytes.get(i + 1..i + 4).filter(|o| bytes[i] == b'\\' && o.iter().all(|b| (b'0'..=b'7').contains(b)));
        match octal {
            Some(o) => {
                out.push(o.iter().fold(0u8, |n, b| n.wrapping_mul(8).wrapping_add(b - b'0')));
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    std::ffi::OsString::from_vec(out)
}

/// Touches the lock file every [`HEARTBEAT`] until dropped (a thread with its own handle).
pub(super) struct Heartbeat {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Heartbeat {
    /// Starts touching `lock`; without a thread or a second handle it does nothing, and the
    /// run goes on (its lock then looks stale to `kindred status` after [`STALE_AFTER`]).
    pub(super) fn start(lock: &File) -> Heartbeat {
        Heartbeat::every(lock, HEARTBEAT)
    }

    fn every(lock: &File, beat: Duration) -> Heartbeat {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = lock.try_clone().ok().and_then(|file| {
            let beat = move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(beat) {
                    touch(&file);
                }
            };
            std::thread::Builder::new().name("kindred-heartbeat".into()).spawn(beat).ok()
        });
        Heartbeat { stop: Some(stop), thread }
    }
}

impl Drop for Heartbeat {
    /// Stops the thread and waits for it: its handle holds the flock too.
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Sets the file's times to now. `UTIME_NOW` needs write access only (explicit times need
/// ownership: the lock may be another account's file that this one may write).
fn touch(file: &File) {
    let now = libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_NOW };
    // SAFETY: futimens on a descriptor we own, with two valid timespecs.
    unsafe { libc::futimens(file.as_raw_fd(), [now, now].as_ptr()) };
}

/// The kernel this process runs on and the pid namespace it sees, `<boot id>/<namespace inode>`:
/// `/proc/locks` names the holder of a flock only to a reader on the same kernel (boot) and in
/// the same pid namespace (since Linux 4.19 it hides the locks of processes the reader cannot
/// see). A host name says neither: two containers on one machine can share it (host networking,
/// `hostNetwork: true`), each in its own pid namespace, and two machines can both be `localhost`.
fn kernel_id() -> Option<String> {
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let namespace = fs::read_link("/proc/self/ns/pid").ok()?;
    let namespace = namespace.to_str()?.strip_prefix("pid:[")?.strip_suffix(']')?.to_string();
    let boot = boot.trim();
    (!boot.is_empty() && !boot.contains(char::is_whitespace)).then(|| format!("{boot}/{namespace}"))
}

/// Whether `/proc/locks` read by `mine` ([`kernel_id`]) shows every flock of `theirs`: the
/// same kernel (boot), and the same pid namespace or the initial one, which sees every other
/// (the host beside a container's run: a run killed there is interrupted at once).
fn sees_all_of(mine: &str, theirs: &str) -> bool {
    /// The initial pid namespace's inode (`PROC_PID_INIT_INO`, fixed by the kernel).
    const INITIAL: &str = "4026531836";
    let (my_boot, my_namespace) = mine.split_once('/').unwrap_or((mine, ""));
    let their_boot = theirs.split_once('/').map_or(theirs, |(boot, _)| boot);
    mine == theirs || (my_boot == their_boot && my_namespace == INITIAL)
}

/// This machine's name (`gethostname`; a Kubernetes pod's name), if it has one.
pub(crate) fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length; the name is NUL-terminated within it.
    if unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0)?;
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
    (!name.is_empty() && !name.contains(char::is_whitespace)).then_some(name)
}

/// What `.lock` says of the run that took it last and has not let go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    /// Its start, RFC 3339, as its run's manifest has it.
    pub started: String,
    /// Its run id and host; `None` in a lock written before 0.4.0.
    pub run_id: Option<String>,
    pub host: Option<String>,
    /// Its kernel and pid namespace ([`kernel_id`]); `None` in a lock written before 0.4.0's
    /// session 25.
    pub kernel: Option<String>,
    /// When the file was last touched.
    pub touched: SystemTime,
    /// Its set went live (`current` was switched to it) before it stopped: written as a
    /// seventh field, `live`, right after the switch ([`live_line`]). Such a run needs no
    /// record, and its set in `runs/` is a published one whatever `current` says since (an
    /// operator may point it back by hand).
    pub live: bool,
}

impl Holder {
    /// What is known of a holder that never let go, for its record and for `kindred status`:
    /// `it started … (pid … on …) and stopped without finishing or recording why, <since>:
    /// killed (…) or its machine went down` (the status, `interrupted`, is said beside it).
    pub fn interrupted(&self, since: &str) -> String {
        let on = self.host.as_deref().map(|h| format!(" on {h}")).unwrap_or_default();
        format!(
            "it started {} (pid {}{on}) and stopped without finishing or recording why, {since}: \
             killed (SIGKILL, the OOM killer, SIGTERM), its machine went down, or it could not \
             write its record (a full disk: its log says)",
            self.started, self.pid
        )
    }

    /// Whether the holder ran on this machine's kernel (its boot id; or, in a lock of an
    /// earlier build, its host): as known to a run that has just taken the flock, it let go, for
    /// flocks conflict across one kernel whatever the pid namespace. A holder on another machine
    /// sharing the folder may hold a flock this one cannot see (a filesystem that does not carry
    /// flocks between machines): its heartbeat tells ([`take_lock`]). Taken as let go, its run
    /// was recorded as interrupted and its staging folder removed while it wrote.
    fn on_this_kernel(&self) -> bool {
        let boot = |kernel: &str| kernel.split_once('/').map_or(kernel, |(boot, _)| boot).to_string();
        match (&self.kernel, kernel_id()) {
            (Some(theirs), Some(mine)) => boot(theirs) == boot(&mine),
            (None, _) => self.host.is_none() || self.host == host_name(),
            (Some(_), None) => false,
        }
    }

    /// Its line in the lock file, with when it was last seen as a sixth field (Unix seconds;
    /// readers of five fields see no change), so it survives behind another run's line.
    fn line(&self) -> String {
        let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let seen = self.touched.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_secs();
        let (id, host, kernel) = (or_dash(&self.run_id), or_dash(&self.host), or_dash(&self.kernel));
        let live = if self.live { " live" } else { "" };
        format!("{} {} {id} {host} {kernel} {seen}{live}\n", self.pid, self.started)
    }

    /// True when the holder's heartbeat stopped [`STALE_AFTER`] before `now`, or is dated as
    /// far after it: its age cannot be read here (a killed run's, on a machine or file server
    /// whose clock ran ahead), and read as fresh it kept every run out until that clock's time
    /// (helper-165: a heartbeat 30 days ahead, exit 4 each night). A run watches such a lock
    /// before taking it over ([`beat_while_watched`]): a live run touches it whatever its clock.
    pub fn is_stale(&self, now: SystemTime) -> bool {
        match now.duration_since(self.touched) {
            Ok(age) => age > STALE_AFTER,
            Err(ahead) => ahead.duration() > STALE_AFTER,
        }
    }

    /// Whether the holder of `dir`'s lock has stopped: when it ran on this kernel and in this pid
    /// namespace ([`kernel_id`]) the kernel's list of flocks tells at once — a run killed a
    /// second ago has stopped, one stopped by SIGSTOP for an hour still holds the lock; from
    /// another machine (a shared folder) or another container its heartbeat does,
    /// [`Holder::is_stale`] as of `now` (a host name was trusted: a `status` in a container
    /// beside a running run, sharing its host name, saw no flock and said "interrupted").
    pub fn has_stopped(&self, dir: &Path, now: SystemTime) -> bool {
        match self.flock(dir) {
            Some(Flock::Free) => true,
            Some(Flock::Held(_)) => false,
            Some(Flock::Unsure) | None => self.is_stale(now),
        }
    }

    /// Whether the kernel's list of flocks tells if the holder of `dir`'s lock still runs
    /// ([`Holder::has_stopped`]): it ran on this kernel, in a pid namespace seen from here.
    pub fn flock_seen(&self, dir: &Path) -> bool {
        matches!(self.flock(dir), Some(Flock::Free | Flock::Held(_)))
    }

    /// The flock on `dir`'s lock as this process sees it, when the holder ran where it can.
    fn flock(&self, dir: &Path) -> Option<Flock> {
        let here = match (&self.kernel, kernel_id()) {
            (Some(theirs), Some(mine)) => sees_all_of(&mine, theirs),
            // a lock of an earlier build names its host only: trusted as that build did
            (None, _) => self.host.is_some() && self.host == host_name(),
            (Some(_), None) => false,
        };
        let path = dir.join(LOCK);
        entry(&path).ok().flatten().filter(|_| here).map(|meta| flock_holder(&path, &meta))
    }
}

/// The run `dir/.lock` names, read without taking the lock; `None` when the file is missing,
/// not a regular file, empty (no run holds it, or the last one let go) or not kindred's.
pub fn holder(dir: &Path) -> Option<Holder> {
    let path = dir.join(LOCK);
    let meta = entry(&path).ok().flatten().filter(|m| m.is_file())?;
    let mut text = String::new();
    File::open(&path).ok()?.take(4096).read_to_string(&mut text).ok()?;
    parse_all(&text, meta.modified().ok()?).into_iter().next()
}

/// Every run `text` names, a line each ([`Left`]): the first last touched at `touched` (the
/// file's time), each later one when its line says it was last seen.
fn parse_all(text: &str, touched: SystemTime) -> Vec<Holder> {
    let seen = |line: &str| {
        let secs = line.split_whitespace().nth(5)?.parse::<u64>().ok().filter(|s| *s <= LATEST_SEEN)?;
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(secs))
    };
    let lines = text.lines().filter(|l| !blank(l)).enumerate();
    lines.filter_map(|(i, line)| parse(line, if i == 0 { touched } else { seen(line).unwrap_or(touched) })).collect()
}

/// The [`Holder`] a lock file's text names, touched at `touched`; `None` for an empty file.
fn parse(text: &str, touched: SystemTime) -> Option<Holder> {
    let mut parts = text.split_whitespace();
    let pid = parts.next()?.parse().ok()?;
    let started = parts.next()?.to_string();
    let run_id = parts.next().filter(|id| super::is_run_id(id)).map(str::to_string);
    let host = parts.next().filter(|h| *h != "-").map(str::to_string);
    let kernel = parts.next().filter(|k| *k != "-").map(str::to_string);
    let live = parts.nth(1) == Some("live");
    Some(Holder { pid, started, run_id, host, kernel, touched, live })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Session 27: an inode number alone is not the file (a flock on another volume's file of
    /// that number read as the lock held, and a killed run as running, for as long as it was).
    #[test]
    fn a_flock_is_the_files_only_on_its_device() {
        let locks = "1: FLOCK  ADVISORY  WRITE 4242 07:01:13 0 EOF\n2: POSIX  ADVISORY  WRITE 7 07:00:13 0 EOF\n";
        assert_eq!(flock_in(locks, (7, 1), None, 13), Flock::Held(4242));
        assert_eq!(flock_in(locks, (7, 1), Some((7, 1)), 14), Flock::Free);
        // the number on another device only: not this file's where stat and the mount table
        // agree on its device (tmpfs, ext4); the heartbeat decides where they do not (btrfs)
        assert_eq!(flock_in(locks, (7, 0), Some((7, 0)), 13), Flock::Free);
        assert_eq!(flock_in(locks, (7, 0), Some((254, 0)), 13), Flock::Unsure);
        assert_eq!(flock_in(locks, (7, 0), None, 13), Flock::Unsure);
        assert_eq!(flock_in(locks, (254, 0), Some((7, 1)), 13), Flock::Held(4242), "the mount table's device");
        assert_eq!(flock_in("1: FLOCK  ADVISORY  WRITE 9 fe:11f:13 0 EOF\n", (254, 287), None, 13), Flock::Held(9));
        assert_eq!(unescape_mount_point("/mnt/a\\040b\\134c"), std::ffi::OsString::from("/mnt/a b\\c"));
        let tmp = tempfile::tempdir().unwrap();
        if fs::metadata("/proc/self/mountinfo").is_ok() {
            assert!(mount_device(tmp.path()).is_some());
        }
    }

    /// Session 26 (the attack on the lock of several lines): a last-seen field out of range made
    /// every `status` and run panic ("overflow when adding duration"), or chrono's "No such
    /// local time" as a record was written; a line cut by the 4096 bytes read was taken whole.
    /// A `.lock` holding what no kindred writes (a person's notes of that name) is refused and
    /// left as it is: it was overwritten, then emptied as the run let go. A 0.3.0 lock's line
    /// (`pid started`) and blank lines are kindred's.
    #[test]
    fn a_lock_file_holding_other_text_is_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK);
        let line = line_of("now", "20261201T020000.124Z-2");
        for notes in ["my notes: do not lose\n", "4242 2026-12-01T02:00:00Z\nnot a run\n"] {
            fs::write(&path, notes).unwrap();
            let e = take_lock(dir.path(), &line).map(|_| ()).unwrap_err().to_string();
            assert!(e.contains("not the lines of runs") && e.contains("move it away"), "{e}");
            assert_eq!(fs::read_to_string(&path).unwrap(), notes);
            // the layout check `status` shares refuses it too (it read healthy: helper-98)
            let e = check(dir.path()).unwrap_err().to_string();
            assert!(e.contains("not the lines of runs"), "{e}");
        }
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        for kindreds in ["", "\n  \n", "4242 2026-12-01T02:00:00Z\n"] {
            fs::write(&path, kindreds).unwrap();
            File::options().write(true).open(&path).unwrap().set_modified(old).unwrap();
            assert!(check(dir.path()).is_ok(), "{kindreds:?}");
            assert!(take_lock(dir.path(), &line).is_ok(), "{kindreds:?}");
        }
    }

    #[test]
    fn lock_lines_out_of_range_or_cut_are_read_safely() {
        let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let id = "20261201T020000.123Z-7";
        for seen in ["18446744073709551615", "10000000000000000", "garbage", "-5"] {
            let text = format!("1 2026-12-01T02:00:00.123Z {id} a -\n2 2026-12-01T02:00:00.123Z {id} b - {seen}\n");
            let read = parse_all(&text, mtime);
            assert_eq!(read.len(), 2);
            assert_eq!(read[1].touched, mtime, "{seen}: the file's time");
        }
        // more lines than are read: only whole ones
        let dir = tempfile::tempdir().unwrap();
        let line = |n: u64| format!("{n} 2026-12-01T02:00:00.123Z 20261201T020000.123Z-{n} host-{n} - 1700000000\n");
        let mut text = String::new();
        let mut n = 0;
        while text.len() as u64 <= READ_LIMIT + 200 {
            n += 1;
            text += &line(n);
        }
        fs::write(dir.path().join(LOCK), &text).unwrap();
        // another machine's killed runs: their heartbeat long stale
        File::options().write(true).open(dir.path().join(LOCK)).unwrap().set_modified(mtime).unwrap();
        let (_, previous) = take_lock(dir.path(), &line_of("now", "20261201T020000.124Z-2")).unwrap();
        let whole = text[..READ_LIMIT as usize].matches('\n').count();
        assert!(whole < n as usize);
        assert_eq!(previous.len(), whole);
        let last = previous.last().unwrap();
        assert_eq!(
            (last.run_id.clone(), last.host.clone()),
            (Some(format!("20261201T020000.123Z-{whole}")), Some(format!("host-{whole}")))
        );
    }

    #[test]
    fn a_lock_names_its_holder_until_let_go() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(holder(dir.path()), None, "no lock file");
        let id = "20261201T020000.123Z-4242";
        let (lock, previous) = take_lock(dir.path(), &line_of("2026-12-01T02:00:00.123Z", id)).unwrap();
        assert!(previous.is_empty());
        let held = holder(dir.path()).unwrap();
        assert_eq!((held.pid, held.started.as_str()), (std::process::id(), "2026-12-01T02:00:00.123Z"));
        assert_eq!((held.run_id.as_deref(), held.host.clone()), (Some(id), host_name()));
        assert!(held.kernel.is_some() && held.kernel == kernel_id(), "{held:?}");
        assert!(!held.has_stopped(dir.path(), SystemTime::now()), "held here: the flock tells");
        assert!(!held.is_stale(SystemTime::now()));
        assert!(held.is_stale(SystemTime::now() + STALE_AFTER + Duration::from_secs(1)));
        // a heartbeat dated ahead: within the stale time a clock's difference, fresh; beyond,
        // its age unknown here — stale-looking, watched before it is taken (helper-165)
        assert!(!held.is_stale(SystemTime::now() - Duration::from_secs(60)));
        assert!(held.is_stale(SystemTime::now() - STALE_AFTER - Duration::from_secs(1)));
        let (now, touched) = (SystemTime::now(), held.touched);
        assert_eq!(heartbeat_age(touched, touched + Duration::from_secs(12)), "12s old");
        assert_eq!(heartbeat_age(now + Duration::from_secs(3600), now), "dated 3600s ahead");
        lock.set_len(0).unwrap();
        assert_eq!(holder(dir.path()), None, "an emptied lock names no one");
        // a lock written before 0.4.0: pid and start only
        fs::write(dir.path().join(LOCK), "77 2025-01-01T00:00:00Z\n").unwrap();
        let old = holder(dir.path()).unwrap();
        assert_eq!((old.pid, old.run_id, old.host, old.kernel), (77, None, None, None));
        // another machine (or a lock naming another host and no kernel): the heartbeat tells
        let id = "20261201T020000.123Z-77";
        for kernel in ["0f0e0d0c-aaaa-bbbb-cccc-000000000000/4026531836", "-"] {
            let elsewhere = format!("{}-elsewhere", host_name().unwrap_or_default()); // never this machine's name
            fs::write(dir.path().join(LOCK), format!("77 2025-01-01T00:00:00Z {id} {elsewhere} {kernel}\n")).unwrap();
            let there = holder(dir.path()).unwrap();
            assert!(!there.has_stopped(dir.path(), SystemTime::now()), "fresh heartbeat: {there:?}");
            assert!(there.has_stopped(dir.path(), SystemTime::now() + STALE_AFTER + Duration::from_secs(1)));
        }
        // whose flocks /proc/locks shows: the same kernel and namespace, or the initial one
        let (boot, other) = ("0f0e0d0c-aaaa-bbbb-cccc-000000000000", "0f0e0d0c-aaaa-bbbb-cccc-000000000001");
        assert!(sees_all_of(&format!("{boot}/4026531836"), &format!("{boot}/4026532999")), "the host sees a container");
        assert!(sees_all_of(&format!("{boot}/4026532999"), &format!("{boot}/4026532999")));
        assert!(!sees_all_of(&format!("{boot}/4026532998"), &format!("{boot}/4026532999")), "a sibling does not");
        assert!(!sees_all_of(&format!("{boot}/4026532999"), &format!("{boot}/4026531836")), "nor a container the host");
        assert!(!sees_all_of(&format!("{other}/4026531836"), &format!("{boot}/4026531836")), "another machine");
        fs::write(dir.path().join(LOCK), "not a lock\n").unwrap();
        assert_eq!(holder(dir.path()), None);
    }

    #[test]
    fn the_heartbeat_touches_the_lock_and_stops_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let (lock, _) = take_lock(dir.path(), &line_of("now", "20261201T020000.123Z-1")).unwrap();
        let old = SystemTime::now() - Duration::from_secs(3600);
        lock.set_modified(old).unwrap();
        touch(&lock);
        let touched = fs::metadata(dir.path().join(LOCK)).unwrap().modified().unwrap();
        assert!(touched > old + Duration::from_secs(3000), "touch sets the time to now");
        let beat = Heartbeat::start(&lock);
        assert!(beat.thread.is_some());
        let began = std::time::Instant::now();
        drop(beat);
        assert!(began.elapsed() < HEARTBEAT, "dropping stops the thread without waiting a beat");
        // beating: the lock's time moves on without the run touching it
        lock.set_modified(old).unwrap();
        let beat = Heartbeat::every(&lock, Duration::from_millis(10));
        let modified = || fs::metadata(dir.path().join(LOCK)).unwrap().modified().unwrap();
        while modified() < old + Duration::from_secs(3000) {
            assert!(began.elapsed() < Duration::from_secs(60), "the heartbeat never touched the lock");
            std::thread::sleep(Duration::from_millis(5));
        }
        drop(beat);
        drop(lock);
        // every handle closed: the flock is free for the next run, which finds the holder that
        // never let go (the file still names it)
        let (_, previous) = take_lock(dir.path(), &line_of("later", "20261201T020000.124Z-2")).unwrap();
        assert_eq!(previous.first().and_then(|h| h.run_id.as_deref()), Some("20261201T020000.123Z-1"));
    }
}
