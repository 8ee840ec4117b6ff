//! Progress for people and logs for cron: bars on a terminal, one log line per stage on stderr
//! (plain with a timestamp, or one JSON object per line for log collectors); results (the audit
//! table) on stdout; and the process's peak memory, which the manifest and `kindred bench` report.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// A progress bar that is drawn only on an interactive terminal (and not with `--quiet`).
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar that draws nothing (tests, cron, `--quiet`).
    pub fn hidden() -> Self {
        Progress { bar: None }
    }

    /// A bar of `len` steps of `unit` ("customers", "items") labelled `label`, drawn only when
    /// stderr is a terminal and the log is plain text (a JSON log is read by a program: `docker
    /// run -t` drew bars between its lines).
    pub fn new(len: u64, label: &str, unit: &str, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() || log_format() == LogFormat::Json {
            return Self::hidden();
        }
        let bar = ProgressBar::new(len);
        let template = format!("{{prefix:>12}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit}, eta {{eta}}");
        let style = ProgressStyle::with_template(&template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        Progress { bar: Some(bar) }
    }

    /// Advances by `n` steps (thread-safe).
    pub fn inc(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    /// Removes the bar from the screen.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// How log lines are written to stderr: `plain` (`2026-12-01T02:00:00.123Z kindred: …`) or
/// `json` (one object per line: timestamp, level, run_id, stage, rows, seconds, message), set
/// once by the binary (`--log-format`, `KINDRED_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

/// A log line's level (`json`'s `level`; plain lines say `note:`, `warning:`, `error:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Info,
    Note,
    Warn,
    Error,
}

/// One log line: what happened, and for a stage's line its name, rows out and seconds.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub level: Level,
    pub stage: Option<&'a str>,
    pub rows: Option<usize>,
    pub seconds: Option<f64>,
    pub message: &'a str,
}

impl<'a> Line<'a> {
    /// A line of `level` about no stage in particular.
    pub fn new(level: Level, message: &'a str) -> Self {
        Line { level, stage: None, rows: None, seconds: None, message }
    }
}

// The log's two settings are the process's, like stderr itself: the format the binary chose,
// and the run id once a run has one (`null` in json lines before).
static FORMAT: AtomicBool = AtomicBool::new(false);
static RUN_ID: RwLock<Option<String>> = RwLock::new(None);

/// Whether the command publishes (`run`, `publish`): a signal's line ([`signal_line`]) says
/// nothing of it is published only then — `audit`, `evaluate` or `shard` publish nothing anyway.
static PUBLISHES: AtomicBool = AtomicBool::new(false);

/// Says whether the command publishes, for a signal's line.
pub fn set_publishes(publishes: bool) {
    PUBLISHES.store(publishes, Ordering::Relaxed);
}

/// Chooses how every later line is written.
pub fn set_log_format(format: LogFormat) {
    FORMAT.store(format == LogFormat::Json, Ordering::Relaxed);
}

/// The format lines are written in.
pub fn log_format() -> LogFormat {
    if FORMAT.load(Ordering::Relaxed) {
        LogFormat::Json
    } else {
        LogFormat::Plain
    }
}

/// The run every later line belongs to (json's `run_id`).
pub fn set_run_id(run_id: &str) {
    match RUN_ID.write() {
        Ok(mut id) => *id = Some(run_id.to_string()),
        Err(poisoned) => *poisoned.into_inner() = Some(run_id.to_string()),
    }
}

fn run_id() -> Option<String> {
    // try_read: a panic hook must never wait (nothing holds this lock for more than a copy)
    RUN_ID.try_read().ok().and_then(|id| id.clone())
}

/// UTC now as RFC 3339 with milliseconds (`2026-12-01T02:00:00.123Z`).
pub fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Prints one line to stderr unless quiet: the cron mail's record of the run. A line that
/// starts `note: ` or `warning: ` is logged at that level.
pub fn log(quiet: bool, line: &str) {
    log_line(quiet, &leveled(line));
}

/// `line` at the level its prefix says (`note: `, `warning: `), else info.
fn leveled(line: &str) -> Line<'_> {
    let prefixes = [("note: ", Level::Note), ("warning: ", Level::Warn)];
    prefixes
        .iter()
        .find_map(|(prefix, level)| line.strip_prefix(prefix).map(|rest| Line::new(*level, rest)))
        .unwrap_or(Line::new(Level::Info, line))
}

/// A note (unless quiet).
pub fn note(quiet: bool, message: &str) {
    log_line(quiet, &Line::new(Level::Note, message));
}

/// A warning (unless quiet).
pub fn warn(quiet: bool, message: &str) {
    log_line(quiet, &Line::new(Level::Warn, message));
}

/// An error, printed even when quiet: `message`'s first line, then its cause chain, but for
/// a cause the text before it already says ("cannot read x: Permission denied (os error 13)"
/// then "caused by: Permission denied (os error 13)" told nothing new).
pub fn error(message: &str, causes: &[String]) {
    log_line(false, &Line::new(Level::Error, &error_text(message, causes)));
}

/// What joins an error's message and each of its causes: a message's only line break of its
/// own. Any other line end in a message is a value's (an id, a header, a path).
const CAUSED_BY: &str = "\n  caused by: ";

fn error_text(message: &str, causes: &[String]) -> String {
    let mut text = message.to_string();
    for cause in causes {
        if !text.contains(cause.as_str()) {
            text += &format!("{CAUSED_BY}{cause}");
        }
    }
    text
}

/// Writes `line` to stderr (unless quiet and not an error) in the chosen format. Write errors
/// are ignored: a closed stderr must not stop a run, nor panic (inside the panic hook it would
/// abort).
pub fn log_line(quiet: bool, line: &Line) {
    if quiet && line.level != Level::Error {
        return;
    }
    let text = render(line, &now_utc(), log_format());
    let _ = std::io::stderr().lock().write_all(printable(&text, Lines::Kept).as_bytes());
}

/// The text of `line` at `timestamp`, with its newline: plain lines each start with the
/// timestamp (a multi-line message gives several); a json line is one object on one line.
fn render(line: &Line, timestamp: &str, format: LogFormat) -> String {
    match format {
        LogFormat::Plain => {
            let level = match line.level {
                Level::Info => "",
                Level::Note => "note: ",
                Level::Warn => "warning: ",
                Level::Error => "error: ",
            };
            let stage = line.stage.map(|s| format!("{s}: ")).unwrap_or_default();
            // one line for the message and one for each cause: a line end anywhere else is a
            // value's, written `\n` — an id `12\n001` in a refusal put the rest of the reason
            // on a line of its own, which `grep error:` in a cron log never showed, and a
            // header `Country\n2026-12-01T02:00:09Z kindred: published …` could pass for a line
            let mut parts = line.message.split(CAUSED_BY).map(|part| part.replace('\n', "\\n"));
            let mut out = format!("{timestamp} kindred: {level}{stage}{}\n", parts.next().unwrap_or_default());
            for cause in parts {
                out += &format!("{timestamp} kindred:   caused by: {cause}\n");
            }
            out
        }
        LogFormat::Json => {
            let object = JsonLine {
                timestamp,
                level: line.level,
                run_id: run_id(),
                // the manifest's stage names: `customer_neighbours`
                stage: line.stage.map(|s| s.replace(' ', "_")),
                rows: line.rows,
                seconds: line.seconds.filter(|s| s.is_finite()),
                message: line.message.replace(CAUSED_BY, "; caused by: "),
            };
            // Serialising strings and numbers cannot fail; were it to, the message still goes out.
            serde_json::to_string(&object).unwrap_or_else(|_| format!("{:?}", line.message)) + "\n"
        }
    }
}

/// A json log line's fields, in this order.
#[derive(Serialize)]
struct JsonLine<'a> {
    timestamp: &'a str,
    level: Level,
    run_id: Option<String>,
    stage: Option<String>,
    rows: Option<usize>,
    seconds: Option<f64>,
    message: String,
}

/// Prints `text` (a table, a report) to stdout, the way results go while logs go to stderr;
/// a closed or full stdout is not the run's failure.
pub fn print(text: &str) {
    let _ = std::io::stdout().lock().write_all(printable(text, Lines::Kept).as_bytes());
}

/// Whether [`printable`] keeps line ends (a message's, a report's) or escapes them too (a
/// table's cell, which must stay on its row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Kept,
    Escaped,
}

/// `text` with its control characters (C0, DEL and C1: a carriage return, a tab, an escape
/// sequence's ESC) written as Rust's `escape_debug` writes them (`\r`, `\t`, `\u{1b}`), and
/// its line ends too unless `lines` keeps them. An export's values, its header and a folder's
/// names reach the terminal in tables, notes and errors: a description holding `ESC[2J`
/// cleared the screen of whoever ran `kindred audit`, one holding a line end broke the first
/// rows' table, and a carriage return overwrote the line it was on. JSON (logs, `--json`)
/// escapes them itself.
///
/// So are the bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069): a file name
/// holding U+202E (RIGHT-TO-LEFT OVERRIDE) showed `invoice…gpj.csv` as `…vsc.jpg` and turned
/// the rest of its line around.
pub fn printable(text: &str, lines: Lines) -> std::borrow::Cow<'_, str> {
    let escaped = |c: char| (c.is_control() && !(c == '\n' && lines == Lines::Kept)) || invisible(c);
    if !text.chars().any(escaped) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match escaped(c) {
            true => out.extend(c.escape_debug()),
            false => out.push(c),
        }
    }
    out.into()
}

/// Characters that print as nothing (Unicode's default-ignorable format characters): a
/// zero-width space, joiners, the word joiner, a soft hyphen, a byte-order mark inside a text,
/// and the bidirectional marks, overrides and isolates, which print nothing themselves but turn
/// what follows around ([`printable`]'s file name). In an id they make another id that reads the same: a refusal naming customer `'\u{200b}12005'`
/// printed `'12005'` and said it was no integer (a helper, 2026-12-05). Escaped by
/// [`printable`], as `\u{200b}`.
pub fn invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{034f}'
            | '\u{061c}'
            | '\u{115f}'..='\u{1160}'
            | '\u{17b4}'..='\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{3164}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{1bca0}'..='\u{1bca3}'
    )
}

/// Makes glibc's allocator give freed blocks of 128 KiB and more back to the system at once,
/// as its default does until a large block is freed. After that, glibc raises the threshold
/// (up to 32 MiB) and keeps freed blocks below it for reuse. A Parquet column read in row
/// groups is many blocks of a few MiB, so the ids, quantities and dates the audit parses and
/// releases stayed resident: at a million customers the article run's peak was 2.42 GiB,
/// against 2.0 GiB with the threshold fixed (README, Performance). Setting the threshold to
/// glibc's own default is what fixes it: `mallopt` turns the adjustment off. The cost is fresh
/// pages where freed ones would have been reused: on the shipped default's run, 25% more minor
/// page faults (446k → 557k) and 0–0.3 s of its 4.5 s (12 interleaved runs), for a peak of
/// 316 MB instead of 389 MB. Trimming after each parsed column instead (the allocator left
/// adaptive) cut the 1M peak only to 2.28 GiB. Called once, at the start of `main`; elsewhere
/// (musl, macOS) there is nothing to do.
pub fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets an allocator parameter; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

/// How kindred ends on SIGTERM, SIGINT and SIGHUP (a scheduler's stop, Ctrl-C, a closed
/// terminal). Called once, at the start of `main`, before any thread starts.
///
/// - The hidden files being written ([`remove_on_signal`]: `.NAME.<pid>.part` of
///   `kindred generate`'s OUT, `evaluation.parquet`, the report) are removed first: left, each
///   stopped `generate` kept hundreds of megabytes beside OUT for good, for no later command
///   removes a file it cannot prove its own. (SIGKILL cannot be caught: a killed run's are
///   removed with its staging folder by the next run; a killed `generate`'s stay.)
/// - Then the process ends by the signal as it would have (the default action, re-raised), so
///   its parent sees the signal. As a container's first process (PID 1: the image's
///   `ENTRYPOINT ["kindred"]`) the kernel drops a signal whose action is the default — a pod's
///   SIGTERM, `docker stop` and Ctrl-C did nothing, and each stop waited out the grace period
///   for SIGKILL — so there it exits 128 + the signal instead. Either way the kernel lets go of
///   the lock, and the next run records the attempt as interrupted and removes its marked
///   staging folder.
///
/// A signal the process was started ignoring (`nohup`, a shell's background job) stays ignored.
pub fn end_on_signals() {
    // SAFETY: isatty only reads fd 2's state.
    STDERR_TERMINAL.store(unsafe { libc::isatty(2) } == 1, Ordering::Relaxed);
    #[cfg(unix)]
    for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: reads the signal's action, and installs a handler that only calls
        // async-signal-safe functions (`unlink`, `_exit`, `raise`) and lock-free atomic loads.
        unsafe {
            let mut was: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut was) != 0 || was.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            install_ending(signal);
        }
    }
}

/// Makes a write past the file-size limit (`ulimit -f`, RLIMIT_FSIZE: a container's or a
/// shell's) fail with EFBIG ("File too large") instead of killing the process with SIGXFSZ, whose
/// default action ends it at once: the run then failed as any write fails — exit 1, one line
/// naming the file, its record written, its `.NAME.<pid>.part` removed — where SIGXFSZ ended it
/// silently with 153 (128 + 25) and left the hidden file beside `generate`'s OUT and
/// `evaluation.parquet` for good (helper-115). Called once, at the start of `main`.
pub fn fail_writes_past_file_size_limit() {
    #[cfg(unix)]
    // SAFETY: sets a signal's disposition to ignore; no handler runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// Makes [`ending`] the action of `signal`, for one delivery (SA_RESETHAND). SA_RESTART: a
/// call the signal interrupts while it is deferred (an fsync or rename on an NFS mount with
/// `intr`) is restarted, not failed with EINTR.
///
/// # Safety
/// Only async-signal-safe calls: it is called from the handler too.
#[cfg(unix)]
unsafe fn install_ending(signal: libc::c_int) {
    let mut action: libc::sigaction = std::mem::zeroed();
    action.sa_sigaction = ending as *const () as libc::sighandler_t;
    action.sa_flags = libc::SA_RESETHAND | libc::SA_RESTART;
    libc::sigemptyset(&mut action.sa_mask);
    libc::sigaction(signal, &action, std::ptr::null_mut());
}

/// The hidden files to remove if the process is ended by a signal: one slot per file being
/// written at once (a run writes a few in parallel). Each path is a leaked C string: the
/// handler may read it at any moment, so it is never freed (a few hundred bytes a run).
#[cfg(unix)]
static WRITING: [std::sync::atomic::AtomicPtr<libc::c_char>; 64] =
    [const { std::sync::atomic::AtomicPtr::new(std::ptr::null_mut()) }; 64];

/// Set as a run starts switching `current` to its set: from then on the run has published, or
/// is a rename away from it, and a signal no longer ends it ([`defer_ending_signals`]).
static PUBLISHING: AtomicBool = AtomicBool::new(false);
/// Whether stderr was a terminal as the process started: a progress bar may be half drawn
/// when a signal's line is written ([`ending`]), which then starts on a line of its own.
static STDERR_TERMINAL: AtomicBool = AtomicBool::new(false);
/// The signal that arrived while [`PUBLISHING`], 0 for none.
static DEFERRED: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// From now on a SIGTERM, SIGINT or SIGHUP does not end the process: it is noted, and the run
/// finishes. Called as a run switches `current` to its set — a signal after that ended a run
/// that had published with 143, and schedulers reran it (a Kubernetes Job, Argo, AWS Batch),
/// cron mailed a failure and a Slurm `afterok` never started; the README's "143: nothing
/// published" did not hold. What is left is milliseconds (the fixed links, pruning).
pub fn defer_ending_signals() {
    PUBLISHING.store(true, Ordering::SeqCst);
}

/// The signal that arrived after [`defer_ending_signals`], if one did.
pub fn deferred_signal() -> Option<i32> {
    Some(DEFERRED.load(Ordering::SeqCst)).filter(|&s| s != 0)
}

#[cfg(unix)]
extern "C" fn ending(signal: libc::c_int) {
    for slot in &WRITING {
        let path = slot.load(Ordering::SeqCst);
        if !path.is_null() {
            // SAFETY: a NUL-terminated path, never freed; `unlink` is async-signal-safe.
            unsafe { libc::unlink(path) };
        }
    }
    if PUBLISHING.load(Ordering::SeqCst) {
        DEFERRED.store(signal, Ordering::SeqCst);
        // SA_RESETHAND made the action the default: installed again, a second signal is
        // deferred too. SAFETY: `install_ending` is async-signal-safe.
        unsafe { install_ending(signal) };
        return;
    }
    let words = (FORMAT.load(Ordering::Relaxed), PUBLISHES.load(Ordering::Relaxed));
    let line = signal_line(signal, now_and_run_id(), words);
    // SAFETY: `getpid`, `write`, `_exit` and `raise` are async-signal-safe. SA_RESETHAND made
    // the action the default again; raised here, the signal is delivered as the handler returns.
    unsafe {
        if STDERR_TERMINAL.load(Ordering::Relaxed) {
            libc::write(2, b"\n".as_ptr().cast(), 1);
        }
        libc::write(2, line.buf.as_ptr().cast(), line.len);
        if libc::getpid() == 1 {
            libc::_exit(128 + signal);
        }
        libc::raise(signal);
    }
}

/// Registers `path`, a file this process created and is writing, to be removed if a signal ends
/// the process before the returned guard drops ([`end_on_signals`]).
pub fn remove_on_signal(path: &std::path::Path) -> RemovedOnSignal {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else { return RemovedOnSignal(None) };
        let raw = c.into_raw();
        for (i, slot) in WRITING.iter().enumerate() {
            if slot.compare_exchange(std::ptr::null_mut(), raw, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                return RemovedOnSignal(Some(i));
            }
        }
        // more files at once than slots: this one stays if a signal comes (freed: never shared)
        // SAFETY: `raw` came from `into_raw` above and was not stored.
        drop(unsafe { std::ffi::CString::from_raw(raw) });
    }
    RemovedOnSignal(None)
}

/// The registration [`remove_on_signal`] returns; dropped once the file is renamed into place
/// or removed.
pub struct RemovedOnSignal(Option<usize>);

impl Drop for RemovedOnSignal {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(i) = self.0 {
            WRITING[i].store(std::ptr::null_mut(), Ordering::SeqCst);
        }
    }
}

/// Hands memory freed by the dropped frames back to the system, between stages. glibc keeps
/// freed pages below the mmap threshold in its per-thread arenas; at a million customers that
/// was 2.4 GB of resident memory held through the similarity stage, on top of the kernel's own.
pub fn trim_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Peak resident memory of this process (VmHWM), in bytes; 0 where unknown.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_line_ends_kept_where_asked() {
        let text = "a\u{1b}[31mb\rc\td\u{7f}\u{85}\ne é 咖啡";
        assert_eq!(printable(text, Lines::Kept), "a\\u{1b}[31mb\\rc\\td\\u{7f}\\u{85}\ne é 咖啡");
        assert_eq!(printable("x\ny", Lines::Escaped), "x\\ny");
        // a bidirectional override turned the rest of the line around; other scripts stay
        assert_eq!(
            printable("invoice\u{202e}gpj.csv \u{2067}x\u{2069}", Lines::Kept),
            "invoice\\u{202e}gpj.csv \\u{2067}x\\u{2069}"
        );
        assert_eq!(printable("שלום مرحبا", Lines::Kept), "שלום مرحبا");
        // an id with a character that prints as nothing reads as another id: shown
        assert_eq!(
            printable("'\u{200b}12005' \u{feff}x soft\u{ad}hyphen", Lines::Kept),
            "'\\u{200b}12005' \\u{feff}x soft\\u{ad}hyphen"
        );
        assert!(matches!(printable("plain 咖啡\n", Lines::Kept), std::borrow::Cow::Borrowed(_)));
        // a plain log line is one line (a value's line end written `\n`), and no raw control
        let line = Line::new(Level::Note, "column 'Country\u{1b}[2J\n2026-12-01T02:00:09Z kindred: published'");
        let text = printable(&render(&line, AT, LogFormat::Plain), Lines::Kept).into_owned();
        assert_eq!(
            text,
            format!("{AT} kindred: note: column 'Country\\u{{1b}}[2J\\n2026-12-01T02:00:09Z kindred: published'\n")
        );
        // an error keeps one line per cause; a line end in either is a value's
        let message = error_text("id '12\n001' refused", &["row\n 7".to_string()]);
        let error = Line::new(Level::Error, &message);
        let text = render(&error, AT, LogFormat::Plain);
        assert_eq!(text, format!("{AT} kindred: error: id '12\\n001' refused\n{AT} kindred:   caused by: row\\n 7\n"));
    }

    const AT: &str = "2026-12-01T02:00:00.123Z";

    #[test]
    fn plain_lines_start_with_the_timestamp_and_say_their_level() {
        let stage =
            Line { stage: Some("clean"), rows: Some(5), seconds: Some(0.5), ..Line::new(Level::Info, "30 → 5") };
        assert_eq!(render(&stage, AT, LogFormat::Plain), format!("{AT} kindred: clean: 30 → 5\n"));
        let note = Line::new(Level::Note, "column 'X': read day-first");
        assert_eq!(render(&note, AT, LogFormat::Plain), format!("{AT} kindred: note: column 'X': read day-first\n"));
        let error = Line::new(Level::Error, "cannot write out/x: disk full\n  caused by: No space left on device");
        assert_eq!(
            render(&error, AT, LogFormat::Plain),
            format!("{AT} kindred: error: cannot write out/x: disk full\n{AT} kindred:   caused by: No space left on device\n")
        );
    }

    #[test]
    fn a_cause_the_message_already_says_is_not_repeated() {
        let denied = "Permission denied (os error 13)".to_string();
        let text = error_text(&format!("cannot write out/.lock: {denied}"), std::slice::from_ref(&denied));
        assert_eq!(text, format!("cannot write out/.lock: {denied}"));
        let text = error_text("cannot write out/x: disk full", &["No space left on device".to_string()]);
        assert_eq!(text, "cannot write out/x: disk full\n  caused by: No space left on device");
    }

    #[test]
    fn json_lines_are_one_object_with_every_key() {
        let stage = Line {
            stage: Some("customer neighbours"),
            rows: Some(26),
            seconds: Some(0.25),
            ..Line::new(Level::Info, "26 rows")
        };
        let text = render(&stage, AT, LogFormat::Json);
        assert!(text.ends_with('\n') && text.lines().count() == 1, "{text}");
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 7, "{text}");
        assert_eq!(v["timestamp"], AT);
        assert_eq!((v["level"].as_str(), v["stage"].as_str()), (Some("info"), Some("customer_neighbours")));
        assert_eq!((v["rows"].as_u64(), v["seconds"].as_f64()), (Some(26), Some(0.25)));
        assert_eq!(v["message"], "26 rows");
        let error = Line::new(Level::Error, "cannot write x\n  caused by: disk full");
        let v: serde_json::Value = serde_json::from_str(&render(&error, AT, LogFormat::Json)).unwrap();
        assert_eq!(
            (v["level"].as_str(), v["message"].as_str()),
            (Some("error"), Some("cannot write x; caused by: disk full"))
        );
        assert!(v["stage"].is_null() && v["rows"].is_null() && v["seconds"].is_null());
        let nan = Line { seconds: Some(f64::NAN), ..Line::new(Level::Warn, "w") };
        let v: serde_json::Value = serde_json::from_str(&render(&nan, AT, LogFormat::Json)).unwrap();
        assert!(v["seconds"].is_null() && v["level"] == "warn");
    }

    #[test]
    fn a_line_that_starts_note_or_warning_is_logged_at_that_level() {
        let line = leveled("note: customer_id is now String");
        assert_eq!((line.level, line.message), (Level::Note, "customer_id is now String"));
        assert_eq!(leveled("warning: gate x failed").level, Level::Warn);
        assert_eq!(leveled("clean: 3 → 2").level, Level::Info);
    }
}

/// The system allocator, saying why the process stops when an allocation fails: under an
/// address-space limit (`ulimit -v`, systemd's `LimitAS=`) or with the machine's memory used up
/// a run ended with Rust's "memory allocation of 949920 bytes failed" and SIGABRT, no word of
/// kindred's nor of what to do (helper-135). A warning (a JSON object under `--log-format
/// json`) is written first, without allocating, then the allocation fails as before: the
/// process aborts (a run's lock still names it, and the next run records it as interrupted),
/// or, where the caller asked to be told (`try_reserve`), its error follows — so the line
/// claims no ending (helper-138).
pub struct ReportingAlloc;

/// Set once the line is written: it is written once.
static OUT_OF_MEMORY: AtomicBool = AtomicBool::new(false);

// SAFETY: every call is passed to `System` as it is; only a null result adds a write to
// stderr, which allocates nothing.
unsafe impl std::alloc::GlobalAlloc for ReportingAlloc {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc(layout);
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        let p = std::alloc::System.alloc_zeroed(layout);
        if p.is_null() {
            out_of_memory(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: std::alloc::Layout) {
        std::alloc::System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        let p = std::alloc::System.realloc(ptr, layout, new_size);
        if p.is_null() {
            out_of_memory(new_size);
        }
        p
    }
}

/// Writes the out-of-memory line for an allocation of `bytes` (see [`ReportingAlloc`]).
fn out_of_memory(bytes: usize) {
    if OUT_OF_MEMORY.swap(true, Ordering::SeqCst) {
        return;
    }
    let limit = match soft_limits() {
        (Some(limit), _) => Some((limit, Limit::AddressSpace)),
        (None, Some(limit)) => Some((limit, Limit::Data)),
        (None, None) => None,
    };
    let line = oom_line(bytes, limit, now_and_run_id(), FORMAT.load(Ordering::Relaxed));
    // SAFETY: writes the buffer's bytes to fd 2; nothing is allocated.
    unsafe { libc::write(2, line.buf.as_ptr().cast(), line.len) };
}

/// Milliseconds since the epoch and the run id as a fixed line carries them, read without
/// allocating or waiting ([`ReportingAlloc`] and [`ending`] write their lines with it).
fn now_and_run_id() -> (i64, Fixed) {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into memory we own; it is async-signal-safe.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut now) };
    let mut id = Fixed::new();
    // try_read: the lock is never waited for here (nothing holds it for more than a copy)
    if let Some(run_id) = RUN_ID.try_read().ok().as_ref().and_then(|id| id.as_deref()) {
        id.push(run_id);
    }
    (now.tv_sec * 1000 + now.tv_nsec / 1_000_000, id)
}

/// The line a signal that ends the process writes ([`ending`]): before, a scheduler's stop
/// left the log at the last stage's line, and only the exit status (143) told what happened.
/// `words`: a json line, and a command that publishes ([`set_publishes`]).
fn signal_line(signal: libc::c_int, at: (i64, Fixed), (json, publishes): (bool, bool)) -> Fixed {
    let mut line = fixed_error_line(at, json);
    line.push("ended by ");
    line.push(match signal {
        libc::SIGINT => "SIGINT",
        libc::SIGHUP => "SIGHUP",
        _ => "SIGTERM",
    });
    line.push(" before it finished: the files it was writing are removed");
    if publishes {
        line.push(", and nothing of it is published");
    }
    line.end(json);
    line
}

/// The soft address-space and data-segment limits (`RLIMIT_AS`, `RLIMIT_DATA`), each `None`
/// when unlimited; read without allocating (the out-of-memory line reads them).
pub fn soft_limits() -> (Option<u64>, Option<u64>) {
    // a closure: the resource's type is glibc's `__rlimit_resource_t`, musl's `c_int`
    let limit = |resource| {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        // SAFETY: getrlimit writes one rlimit into memory we own.
        let read = unsafe { libc::getrlimit(resource, &mut limit) } == 0;
        (read && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
    };
    (limit(libc::RLIMIT_AS), limit(libc::RLIMIT_DATA))
}

/// Which limit an allocation failed under.
#[derive(Clone, Copy)]
enum Limit {
    /// `RLIMIT_AS`: `ulimit -v`, systemd's `LimitAS=`.
    AddressSpace,
    /// `RLIMIT_DATA`: `ulimit -d`, systemd's `LimitDATA=` (heap and private mappings).
    Data,
}

/// The out-of-memory line, as every other line (an error: the process aborts after it), at
/// `millis` since the epoch for run `run_id`: an allocation of `bytes` failed, under a `limit`
/// or none; a JSON object when `json`. The line had no timestamp nor run id, and the level
/// `warning`, which no other line has (helper-155).
fn oom_line(bytes: usize, limit: Option<(u64, Limit)>, at: (i64, Fixed), json: bool) -> Fixed {
    let mut line = fixed_error_line(at, json);
    line.push("out of memory: an allocation of ");
    line.number(bytes as u64);
    line.push(" bytes failed");
    match limit {
        Some((limit, kind)) => {
            line.push(match kind {
                Limit::AddressSpace => " under the address-space limit of ",
                Limit::Data => " under the data-segment limit of ",
            });
            line.number(limit / (1 << 20));
            line.push(match kind {
                Limit::AddressSpace => " MiB (ulimit -v, systemd's LimitAS=)",
                Limit::Data => " MiB (ulimit -d, systemd's LimitDATA=)",
            });
            line.push(": raise it, or run fewer threads (--threads)");
        }
        None => line.push(
            ": the machine's (or the container's) memory is used up: give the run more, or run fewer threads (--threads)",
        ),
    }
    line.end(json);
    line
}

/// An error line's start, as [`render`] writes it, at `millis` since the epoch for the run id
/// in `run_id` (empty: none), without allocating: the message follows, then [`Fixed::end`].
fn fixed_error_line((millis, run_id): (i64, Fixed), json: bool) -> Fixed {
    let mut line = Fixed::new();
    let mut stamp = Fixed::new();
    stamp.utc(millis);
    let stamp = std::str::from_utf8(&stamp.buf[..stamp.len]).unwrap_or_default();
    if json {
        line.push("{\"timestamp\":\"");
        line.push(stamp);
        line.push("\",\"level\":\"error\",\"run_id\":");
        match std::str::from_utf8(&run_id.buf[..run_id.len]).unwrap_or_default() {
            "" => line.push("null"),
            // a run id is letters, digits, `.`, `-`: nothing to escape
            id => {
                line.push("\"");
                line.push(id);
                line.push("\"");
            }
        }
        line.push(",\"stage\":null,\"rows\":null,\"seconds\":null,\"message\":\"");
    } else {
        line.push(stamp);
        line.push(" kindred: error: ");
    }
    line
}

/// A line built in a fixed buffer (no allocation), cut at its capacity.
struct Fixed {
    buf: [u8; 512],
    len: usize,
}

impl Fixed {
    fn new() -> Self {
        Fixed { buf: [0; 512], len: 0 }
    }

    fn push(&mut self, text: &str) {
        let n = text.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&text.as_bytes()[..n]);
        self.len += n;
    }

    /// `millis` since the epoch as UTC in RFC 3339 with milliseconds, as [`now_utc`] writes
    /// it, without allocating (days to a civil date: Howard Hinnant's `civil_from_days`).
    fn utc(&mut self, millis: i64) {
        let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000) as u64);
        let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400) as u64);
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u64;
        let month = (if mp < 10 { mp + 3 } else { mp - 9 }) as u64;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u64;
        let fields = [(year, 4, "-"), (month, 2, "-"), (day, 2, "T"), (day_secs / 3600, 2, ":")];
        let fields = fields.into_iter().chain([(day_secs / 60 % 60, 2, ":"), (day_secs % 60, 2, "."), (ms, 3, "Z")]);
        for (n, width, after) in fields {
            self.padded(n, width);
            self.push(after);
        }
    }

    /// `n`'s last `width` digits, zeros in front.
    fn padded(&mut self, n: u64, width: usize) {
        for k in (0..width as u32).rev() {
            let digit = [b'0' + (n / 10u64.pow(k) % 10) as u8];
            self.push(std::str::from_utf8(&digit).unwrap_or_default());
        }
    }

    /// Ends a line [`fixed_error_line`] started: the json object's close, the newline.
    fn end(&mut self, json: bool) {
        self.push(if json { "\"}\n" } else { "\n" });
    }

    fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(std::str::from_utf8(&digits[at..]).unwrap_or_default());
    }
}

#[cfg(test)]
mod oom_tests {
    use super::*;

    fn text(f: Fixed) -> String {
        String::from_utf8(f.buf[..f.len].to_vec()).unwrap()
    }

    fn run(id: Option<&str>) -> Fixed {
        let mut f = Fixed::new();
        f.push(id.unwrap_or_default());
        f
    }

    #[test]
    fn a_signal_s_line_names_it_and_says_nothing_is_published() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T02:00:04.520Z").unwrap().timestamp_millis();
        assert_eq!(
            text(signal_line(libc::SIGTERM, (at, run(None)), (false, true))),
            "2026-12-01T02:00:04.520Z kindred: error: ended by SIGTERM before it finished: the files it was writing are removed, and nothing of it is published\n"
        );
        // a command that publishes nothing (audit, evaluate, shard) does not speak of publishing
        assert_eq!(
            text(signal_line(libc::SIGTERM, (at, run(None)), (false, false))),
            "2026-12-01T02:00:04.520Z kindred: error: ended by SIGTERM before it finished: the files it was writing are removed\n"
        );
        for (signal, name) in [(libc::SIGINT, "SIGINT"), (libc::SIGHUP, "SIGHUP")] {
            let line = text(signal_line(signal, (at, run(Some("20261201T020000.123Z-42"))), (true, true)));
            let json: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!((&json["level"], &json["run_id"]), (&"error".into(), &"20261201T020000.123Z-42".into()));
            assert!(json["message"].as_str().unwrap().starts_with(&format!("ended by {name} before")), "{json}");
            assert!(line.ends_with("}\n") && json.as_object().unwrap().len() == 7, "{line}");
        }
    }

    #[test]
    fn the_out_of_memory_line_names_the_size_the_limit_and_what_to_do() {
        // 2026-12-01T02:00:04.520Z
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T02:00:04.520Z").unwrap().timestamp_millis();
        let line = text(oom_line(949_920, Some((400 << 20, Limit::AddressSpace)), (at, run(None)), false));
        assert_eq!(
            line,
            "2026-12-01T02:00:04.520Z kindred: error: out of memory: an allocation of 949920 bytes failed under the address-space limit of 400 MiB (ulimit -v, systemd's LimitAS=): raise it, or run fewer threads (--threads)\n"
        );
        let line = text(oom_line(1, Some((300 << 20, Limit::Data)), (at, run(None)), false));
        assert!(line.contains("under the data-segment limit of 300 MiB (ulimit -d, systemd's LimitDATA=)"), "{line}");
        // as every json line: the same keys, a level of the documented ones
        let json: serde_json::Value =
            serde_json::from_str(&text(oom_line(0, None, (at, run(Some("20261201T020000.123Z-42"))), true))).unwrap();
        assert_eq!(json["level"], "error");
        assert_eq!(json["timestamp"], "2026-12-01T02:00:04.520Z");
        assert_eq!(json["run_id"], "20261201T020000.123Z-42");
        assert!(json["message"].as_str().unwrap().contains("an allocation of 0 bytes failed: the machine's"), "{json}");
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 7, "{keys:?}");
        // the civil date across eras, leap days and the epoch, as chrono writes it
        for t in [0i64, 951_782_400_000, 1_709_164_800_123, 4_102_444_799_999, 1_234_567_890_987] {
            let mut f = Fixed::new();
            f.utc(t);
            let chrono =
                chrono::DateTime::from_timestamp_millis(t).unwrap().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
            assert_eq!(text(f), chrono);
        }
    }
}
