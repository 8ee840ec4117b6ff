//! Errors a person can act on, and the exit codes a cron wrapper can branch on.
//!
//! Each concern has its own enum with struct variants that carry the context a reader needs
//! (file, sheet, column, row); `thiserror` writes the one-line `Display`. The binary prints the
//! first line, then the chain, and exits with [`Error::exit_code`].

use std::path::PathBuf;

/// Process exit codes, documented in the README. Cron scripts rely on these numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// A complete set of outputs was published.
    Published = 0,
    /// A runtime or data error: nothing was published.
    Runtime = 1,
    /// A usage or pipeline-file error: nothing was read.
    Usage = 2,
    /// A data gate refused to publish (see `[gates]`); `--force` overrides.
    Refused = 3,
    /// Another run holds the output folder's lock.
    Locked = 4,
    /// `kindred publish`: a shard of the prepared run has not finished (no done-marker); run the
    /// missing indexes, then publish again. Nothing was published.
    Incomplete = 5,
    /// `kindred status`: the last attempt failed or was refused, nothing is published, or the
    /// published set is older than `--max-age`.
    Unhealthy = 6,
}

/// What to do about an I/O error the OS gave, by its errno, said after the OS's own words
/// ("No space left on device" named the file and stopped there: a person at 02:00 had to know
/// that a volume mounted inside the output folder, a `ulimit -f` or a read-only remount was
/// the cause, and what to change). Empty for an error with no general remedy.
pub fn what_to_do(e: &std::io::Error) -> &'static str {
    match e.raw_os_error() {
        Some(libc::ENOSPC) => "; the filesystem is full — of space or of inodes (files): free some on it (`df -h`, `df -i`), then run again",
        Some(libc::EDQUOT) => "; the disk quota is used up: free space or raise the quota, then run again",
        Some(libc::EROFS) => "; the filesystem is mounted read-only: remount it read-write, or choose another folder",
        Some(libc::EACCES) => "; this account may not: check the owner and mode of the file and its folder (`ls -ld`)",
        Some(libc::EPERM) => {
            "; not permitted: an immutable or append-only flag (`lsattr`), or a filesystem that refuses the operation"
        }
        Some(libc::EFBIG) => {
            "; a file-size limit stopped the write (`ulimit -f`, a container's RLIMIT_FSIZE): raise or lift it for kindred"
        }
        Some(libc::EMFILE | libc::ENFILE) => "; too many open files: raise the limit (`ulimit -n`)",
        Some(libc::EXDEV) => {
            "; a rename across filesystems (a volume mounted inside the output folder, at `runs/`, say): mount it at the output folder itself"
        }
        Some(libc::ENOLCK) | Some(libc::EOPNOTSUPP) => {
            "; the filesystem cannot lock files (an NFS share without its lock service, `rpc.statd`; a FUSE mount without locks): mount it with locking, or choose another folder for the output"
        }
        Some(libc::EIO) => "; the disk or network share failed: check it (`dmesg`, the share's server) before running again",
        _ => "",
    }
}

/// Problems with the pipeline file or the command line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read pipeline file {}: {source}{}", path.display(), what_to_do(source))]
    Read { path: PathBuf, source: std::io::Error },
    #[error("pipeline file {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    /// An [`ConfigError::Invalid`] value of the pipeline file's: the file named first (a cron
    /// job running several pipelines must know which one is wrong).
    #[error("pipeline file {}: {key}: {message}", path.display())]
    InFile { path: PathBuf, key: String, message: String },
}

/// Problems with the input file: unreadable, malformed, or missing what the pipeline maps.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("input file {} does not exist", path.display())]
    Missing { path: PathBuf },
    /// `parts`: what the folder holds when it is a dataset of parts (Spark's, Hive's).
    #[error("input path {} is a directory, not a file{parts}", path.display())]
    Directory { path: PathBuf, parts: String },
    #[error("input file {} is empty (0 bytes)", path.display())]
    Empty { path: PathBuf },
    #[error(
        "input {} is a {kind}, not a regular file: kindred reads the export more than once (its checksum, then its rows); write it to a file first",
        path.display()
    )]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error(
        "input file {} changed while it was read ({detail}): is it still being written? Run again once it is complete; nothing was published",
        path.display()
    )]
    Changed { path: PathBuf, detail: String },
    #[error("cannot read {}: {source}{}", path.display(), what_to_do(source))]
    Io { path: PathBuf, source: std::io::Error },
    #[error(
        "cannot read {}: its reader failed on the file's content ({detail}): is it damaged or cut short (an upload that lost a part)? Write it again; nothing was published",
        path.display()
    )]
    Damaged { path: PathBuf, detail: String },
    /// The reader stopped because the system refused it a thread or memory: not the file.
    #[error(
        "cannot read {}: the system refused its reader a thread or memory ({detail}) — not the file's fault: a limit on address space, processes or threads (ulimit -v / -u, systemd's LimitAS= / TasksMax=, a container's pids.max) or the memory left is too small; raise it, or run fewer threads (--threads); nothing was published",
        path.display()
    )]
    Resources { path: PathBuf, detail: String },
    /// A Parquet column's chunk in a row group that does not read (ingest::parquet): its
    /// bytes, a page header, a page's compressed or encoded values damaged.
    #[error(
        "cannot read {}: column '{column}' is damaged in row group {group} of {groups} ({detail}): write the file again (export or copy it anew); nothing was published",
        path.display()
    )]
    DamagedColumn { path: PathBuf, column: String, group: usize, groups: usize, detail: String },
    #[error(
        "unsupported input extension for {}: use .csv, .tsv, .txt, .csv.gz, .xlsx, .xlsm, .xls, .xlsb, .ods or .parquet{appears}",
        path.display()
    )]
    /// `appears`: what the file's first bytes say it is, and what to do ("; it appears …").
    Extension { path: PathBuf, appears: String },
    #[error("{} is not a complete gzip stream (truncated or corrupt): {detail}", path.display())]
    Gzip { path: PathBuf, detail: String },
    /// A file named .gz that is not gzip-compressed: what it appears to be, what to do.
    #[error("{} is named .gz but is not gzip-compressed: it appears to be {what}; {todo}", path.display())]
    NotGzip { path: PathBuf, what: String, todo: String },
    #[error(
        "{} line {line}: bytes that are not valid UTF-8 text; {}",
        path.display(),
        crate::ingest::ENCODINGS
    )]
    Encoding { path: PathBuf, line: usize },
    #[error("{} looks binary, not text (a NUL byte on line {line})", path.display())]
    Binary { path: PathBuf, line: usize },
    /// The file starts as a kind of file that is not CSV text: what it appears to be, what to do.
    #[error("{} looks binary, not CSV text: it appears to be {what}; {todo}", path.display())]
    NotText { path: PathBuf, what: String, todo: String },
    #[error(
        "{} line {line}: bytes that are not valid {encoding} text; set [input] encoding to the export's encoding",
        path.display()
    )]
    Decode { path: PathBuf, line: usize, encoding: String },
    #[error(
        "{} line {line}: a record longer than {limit} bytes ({why}); fix the file, or raise [input] max_record_bytes (0: no limit)",
        path.display()
    )]
    RecordTooLong { path: PathBuf, line: usize, limit: usize, why: &'static str },
    #[error(
        "{} line {line}: more than {limit} rows ([input] max_rows); raise it (0: no limit) if the export really is that long",
        path.display()
    )]
    TooManyRows { path: PathBuf, line: usize, limit: usize },
    #[error(
        "{}: more than {limit} bytes of text ([input] max_bytes, {origin}); refused before memory runs out: raise it (0: no limit) if the machine has the memory",
        path.display()
    )]
    TooLarge { path: PathBuf, limit: u64, origin: String },
    /// A Parquet file whose columns to read take more than `[input] max_bytes` decoded, as its
    /// footer gives their sizes.
    #[error(
        "{}: the columns to read ({what}) take about {bytes} bytes decoded, as its footer gives them (the largest, '{largest}', {largest_bytes}), more than [input] max_bytes, {limit} bytes ({origin}); refused before memory runs out: map fewer columns (long descriptions? `[columns] description = \"\"` reads none), or raise max_bytes (0: no limit) if the machine has the memory",
        path.display()
    )]
    ColumnsTooLarge {
        path: PathBuf,
        what: &'static str,
        bytes: u64,
        largest: String,
        largest_bytes: u64,
        limit: u64,
        origin: String,
    },
    #[error(
        "{} line {line}: {rows} rows of {columns} columns read as values take about {} bytes ({} a value), more than [input] max_bytes, {limit} bytes ({origin}); refused before memory runs out (rows of empty fields?): raise it (0: no limit) if the machine has the memory",
        path.display(),
        *rows as u64 * columns * crate::ingest::CELL_BYTES,
        crate::ingest::CELL_BYTES
    )]
    TooManyValues { path: PathBuf, line: usize, rows: usize, columns: u64, limit: u64, origin: String },
    #[error(
        "{}: its sheets unpack to {unpacked} bytes, and a workbook is read whole: {} × that is more than [input] max_bytes, {limit} bytes ({origin}); refused before memory runs out (a zip bomb?): export it as CSV, which is streamed, or raise max_bytes (0: no limit) if the machine has the memory",
        path.display(),
        crate::ingest::WORKBOOK_MEMORY
    )]
    BookTooLarge { path: PathBuf, unpacked: u64, limit: u64, origin: String },
    /// An Excel 97–2003 workbook whose records are damaged (see `ingest::biff`).
    #[error(
        "{}: damaged {part}: {detail}. Export or copy it again; nothing was published",
        path.display()
    )]
    Biff { path: PathBuf, part: String, detail: String },
    #[error(
        "{}: sheet '{sheet}' spans {rows} rows by {columns} columns, and an {} sheet is read as its whole grid: with the sheets before it, {bytes} bytes, more than [input] max_bytes, {limit} bytes ({origin}); refused before memory runs out (one cell that far out is often damage, or a note left beside the table): export it as CSV, which is streamed, or raise max_bytes (0: no limit) if the machine has the memory",
        path.display(),
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ods")) { ".ods" } else { ".xls" }
    )]
    GridTooLarge { path: PathBuf, sheet: String, rows: u64, columns: u64, bytes: u64, limit: u64, origin: String },
    #[error(
        "{}: sheet '{sheet}' spans {rows} rows by {columns} columns to its farthest cell (row {row}, column {column}), more than the {max} cells an .ods sheet is read into: delete what lies beyond the table (a note or a stray value far from it) and save it, or export it as CSV",
        path.display()
    )]
    SheetTooLarge { path: PathBuf, sheet: String, rows: u64, columns: u64, row: u64, column: u64, max: u64 },
    #[error("{} has a header but no data rows", path.display())]
    NoRows { path: PathBuf },
    #[error("{} has no header line", path.display())]
    NoHeader { path: PathBuf },
    #[error("{} has the column name '{column}' twice in its header; rename one", path.display())]
    DuplicateHeader { path: PathBuf, column: String },
    #[error(
        "{} line {line}: {found} fields where the header has {expected}; fix the row, or set [input] skip_bad_rows = true to skip and count such rows",
        path.display()
    )]
    Ragged { path: PathBuf, line: usize, found: usize, expected: usize },
    #[error(
        "{} {place}: the header again with its columns in another order ({moved}): exports joined end to end whose layouts differ — read by the first header's places, the rows below it would take one column's values for another's; {advice}",
        path.display()
    )]
    HeaderReordered { path: PathBuf, place: String, moved: String, advice: &'static str },
    #[error(
        "{} line {line}: a quoted field is never closed (a file that quotes no field, whose values may start with a quote, reads with [input] quote = \"\")",
        path.display()
    )]
    Unterminated { path: PathBuf, line: usize },
    #[error(
        "{} line {line}: the file ends in the middle of this row, without a line end ({why}): cut short (a copy or transfer that stopped, a full disk) or still being written when the run began? Copy it again whole (a summary line below the rows, a report's total, is no row: remove it)",
        path.display()
    )]
    CutShort { path: PathBuf, line: usize, why: String },
    #[error(
        "{} line {line} column '{column}': a field that opens with a quote must close with one (write a quote inside it as \"\"); fix the row, or set [input] quote = \"\" when the file quotes no field (a flat file whose values may start with a quote), or [input] skip_bad_rows = true to skip and count such rows (every row of such a value is lost)",
        path.display()
    )]
    BadQuote { path: PathBuf, line: usize, column: String },
    /// `also`: the other mapped columns the file lacks, each `'Name' ([columns] role)`.
    #[error("column '{column}' not found in {}{}; columns are: {available}; set [columns] {role} = \"…\"{}{}{}", path.display(), sheet_note(sheet), none_hint(role), also_missing(also), partition_key(path, column))]
    ColumnMissing {
        path: PathBuf,
        sheet: Option<String>,
        column: String,
        role: &'static str,
        available: String,
        /// Boxed: the error stays as small as it was (every `Result` of the crate carries it).
        also: Box<Vec<String>>,
    },
    /// A mapped name matched by several headers loosely (ingest::find_column); `detail` says
    /// which, and the key to set.
    #[error("column '{column}' not found in {}; {detail}", path.display())]
    ColumnAmbiguous { path: PathBuf, column: String, detail: String },
    /// The pipeline's own fault (exit 2): its key names a column the export does not have.
    #[error("[recommend] fallback = \"popular_by:{column}\": column '{column}' not found in {}{}; columns are: {available}; name one of them, or set fallback = \"popular\"", path.display(), sheet_note(sheet))]
    SegmentMissing { path: PathBuf, sheet: Option<String>, column: String, available: String },
    /// The pipeline's own fault (exit 2): a row filter names a column the export does not have.
    #[error("[clean] exclude_rows / keep_rows: column '{column}' not found in {}{}; columns are: {available}; name one of them", path.display(), sheet_note(sheet))]
    RowColumnMissing { path: PathBuf, sheet: Option<String>, column: String, available: String },
    /// The pipeline's own fault (exit 2): two roles that cannot share a column read one.
    #[error("column '{column}' of {} is read by both {roles}: each needs a column of its own (a line copied and left unchanged?); name the right column for one of them", path.display())]
    SharedColumn { path: PathBuf, column: String, roles: String },
    #[error("column '{column}' in {} has type {dtype}, which kindred cannot read as {role}", path.display())]
    ColumnType { path: PathBuf, column: String, role: String, dtype: String },
    #[error("{} has no sheet named '{sheet}'; sheets are: {available}", path.display())]
    SheetMissing { path: PathBuf, sheet: String, available: String },
    #[error("cannot open workbook {}: {detail} (corrupt, password-protected, or not a spreadsheet)", path.display())]
    Workbook { path: PathBuf, detail: String },
    #[error("{} sheet '{sheet}' row {row}: {detail}", path.display())]
    Sheet { path: PathBuf, sheet: String, row: usize, detail: String },
    #[error("cannot parse {}: {detail}", path.display())]
    Parse { path: PathBuf, detail: String },
    #[error("{} column '{column}' row {row}: quantity {value} is not a finite number", path.display())]
    NonFinite { path: PathBuf, column: String, row: usize, value: String },
    /// One (customer, item) pair's quantities, each finite, sum beyond the largest number.
    #[error(
        "{}: customer {customer}, item '{item}': the quantities of its {rows} rows (the largest {largest:e}) sum to {sum}, beyond the largest number a quantity can hold (1.8e308); fix those rows' quantities",
        path.display()
    )]
    QuantitySum { path: PathBuf, customer: String, item: String, rows: usize, largest: f64, sum: f64 },
}

/// How to say an export has no column of an optional role (`[columns] date = ""`); nothing for
/// the customer and the item, which every export has.
/// The other mapped columns a file lacks: a mapping written for another export lacks several,
/// and naming the first alone took a run per column to find them all.
fn also_missing(also: &[String]) -> String {
    match also.is_empty() {
        true => String::new(),
        false => format!("; not found either: {}", also.join(", ")),
    }
}

/// When `column` is a partition key of a folder above `path` (`InvoiceDate=2011-12-01/`, as
/// Spark and Hive write a table partitioned by it): the part holds it only in its folder's
/// name, and "not found" said nothing of where it is.
fn partition_key(path: &std::path::Path, column: &str) -> String {
    let key = crate::ingest::column_key(column);
    let parts: Vec<_> = path.components().collect();
    let at = parts.iter().position(|part| {
        let part = part.as_os_str().to_string_lossy();
        part.split_once('=').is_some_and(|(name, _)| !key.is_empty() && crate::ingest::column_key(name) == key)
    });
    let Some(at) = at else { return String::new() };
    let folder = parts[at].as_os_str().to_string_lossy();
    let root: std::path::PathBuf = parts[..at].iter().collect();
    let root = root.display().to_string().replace('\'', "''");
    let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
    let (read, ext) = match [".parquet", ".csv.gz", ".csv"].into_iter().find(|e| name.ends_with(e)) {
        Some(".parquet") | None => ("parquet", ".parquet"),
        Some(ext) => ("csv", ext),
    };
    format!(
        "; '{column}' is a partition key in the path ({folder}): a part of a dataset holds it only in its folder's name — combine the parts (duckdb -c \"COPY (SELECT * FROM read_{read}('{root}/**/*{ext}', hive_partitioning = true, union_by_name = true)) TO 'export{ext}'\")"
    )
}

fn none_hint(role: &str) -> &'static str {
    match role {
        "customer" | "item" => "",
        _ => ", or \"\" when the export has none",
    }
}

fn sheet_note(sheet: &Option<String>) -> String {
    sheet.as_ref().map(|s| format!(" sheet '{s}'")).unwrap_or_default()
}

/// Problems while publishing outputs.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error(
        "output path {} exists and is not a directory: pass a folder (`kindred run` makes it when it is missing), not a file; the file is left as it is",
        path.display()
    )]
    NotADirectory { path: PathBuf },
    #[error("cannot write {}: {source}{}", path.display(), what_to_do(source))]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot remove {}: {source}{}", path.display(), what_to_do(source))]
    Remove { path: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {detail}", path.display())]
    Parquet { path: PathBuf, detail: String },
    #[error("{}: write .parquet or .csv", path.display())]
    Format { path: PathBuf },
    /// `kindred generate`'s OUT holds something it cannot prove it wrote.
    #[error(
        "{} is {found} that kindred generate did not write (the Parquet it writes carries `kindred.generated` in its footer; a CSV carries no mark), left as it is: remove it or name another path",
        path.display()
    )]
    NotGenerated { path: PathBuf, found: String },
    #[error("cannot write {}: {detail}", path.display())]
    Json { path: PathBuf, detail: String },
    #[error("cannot read published output {}: {detail}", path.display())]
    Read { path: PathBuf, detail: String },
    /// An entry of the output folder that could not be read (permissions, an I/O error): not
    /// a layout someone else made.
    #[error("cannot read {}: {source}{}", path.display(), what_to_do(source))]
    Unreadable { path: PathBuf, source: std::io::Error },
    /// report.html could not be rendered (a template or chart error: a bug, not the data).
    #[error("cannot render {}: {detail}; this is a bug in kindred, please report it with the run's manifest.json", path.display())]
    Report { path: PathBuf, detail: String },
    #[error(
        "another {who} (pid {pid}{}) holds the lock on {}; wait for it to finish (the lock goes with its process: there is nothing to remove, and removing the lock file would let two runs write at once)",
        if started == "unknown" { String::new() } else { format!(", started {started}") },
        path.display()
    )]
    Locked { path: PathBuf, pid: u32, started: String, who: &'static str },
    /// The lock names a run on another machine whose heartbeat is fresh: its flock may not be
    /// visible here (a filesystem that does not carry flocks between machines).
    #[error(
        "a kindred run on {host} (pid {pid}) holds the lock on {}: {heard}, and its flock is not visible from here (another machine); wait for it to finish (if it was killed, the lock is free 5 minutes after its last heartbeat)",
        path.display()
    )]
    LockedElsewhere { path: PathBuf, pid: u32, host: String, heard: String },
    /// flock on `.lock` failed otherwise than by another holder.
    #[error("cannot lock {}: {source}{}", path.display(), what_to_do(source))]
    LockFailed { path: PathBuf, source: std::io::Error },
    /// The flock on `.lock` is held by a process this run descends from: a wrapper locking the
    /// folder's own lock file (`flock out/.lock kindred run …`), which keeps every run out.
    #[error(
        "the lock on {} is held by this run's own {how} (pid {pid}, {name}), not by another kindred run: kindred takes that lock itself, so a wrapper holding it (`flock {}/.lock kindred run …`) keeps every run out; guard the job with a lock file of its own (`flock -n /var/lock/kindred-shop.lock kindred run …`), or none: two kindred runs on one folder already keep each other out (exit 4)",
        path.display(),
        path.display()
    )]
    LockedByAncestor { path: PathBuf, pid: u32, name: String, how: &'static str },
    /// A name kindred manages in the output folder holds something kindred did not make.
    #[error("{} is {found}, not {expected}; move it away or choose another [output] dir", path.display())]
    Layout { path: PathBuf, found: String, expected: String },
    /// The output folder named lies in (or is) another output folder's `runs/`, `current`,
    /// `shards/` or staging folder: nothing there is to be moved (it is that folder's set).
    #[error(
        "{} is within {}, which kindred manages for the output folder {} beside it: name that folder (or another) as the output, not a folder inside it; nothing was changed",
        path.display(), managed.display(), owner.display()
    )]
    InsideManaged { path: PathBuf, managed: PathBuf, owner: PathBuf },
}

/// Problems of a sharded run (`kindred prepare`, `shard`, `publish`).
#[derive(Debug, thiserror::Error)]
pub enum ShardError {
    #[error(
        "{}: no prepared run (no {}/latest): {}", dir.display(), crate::shard::SHARDS,
        if *began {
            format!("the last `kindred prepare` did not finish — refused, failed or killed (its record in {} says which), and the prepared run before it is not used; run prepare again", dir.join(crate::publish::RUNS).display())
        } else {
            "run `kindred prepare --shards N` first".to_string()
        }
    )]
    NotPrepared { dir: PathBuf, began: bool },
    #[error(
        "prepared run {run_id} in {}: shard{} {missing} of {shards} not finished (no done-marker); run {}, then publish again; nothing was published",
        dir.display(), if *count == 1 { "" } else { "s" },
        match count {
            1 => format!("`kindred shard --index {missing}`"),
            _ => format!("`kindred shard --index I` for each I of {missing}"),
        }
    )]
    Missing { dir: PathBuf, run_id: String, missing: String, count: usize, shards: usize },
    #[error("shard index {index} is out of range: the prepared run {run_id} has {shards} shards (indexes 0 to {})", shards - 1)]
    Index { index: usize, run_id: String, shards: usize },
    #[error("no shard index: pass --index I, or set KINDRED_INDEX, JOB_COMPLETION_INDEX (Kubernetes), AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID")]
    NoIndex,
    #[error("{var}='{value}' is not a shard index (a whole number from 0)")]
    BadIndex { var: String, value: String },
    #[error(
        "the prepared run {run_id} in {} was made with another pipeline: {key} is {prepared} there and {here} here; give every step the same pipeline file, or run `kindred prepare` again",
        dir.display()
    )]
    Mismatch { dir: PathBuf, run_id: String, key: String, prepared: String, here: String },
    #[error(
        "prepared run {run_id} in {} is older than the published run {newer}: publishing it would roll the tables back; run `kindred prepare` again",
        dir.display()
    )]
    Superseded { dir: PathBuf, run_id: String, newer: String },
    /// A prepared or shard file is not what its record says (changed, truncated, damaged).
    #[error("{}: {detail}; run `kindred prepare` (a prepared file) or that shard (a part) again", path.display())]
    Damaged { path: PathBuf, detail: String },
    /// A finished shard's marker or part is missing or not what it wrote: only running that
    /// shard again helps (exit 5, as a shard not finished).
    #[error(
        "{}: {detail}; shard {index} of run {run_id} must run again: `kindred shard --index {index}` with the same pipeline and --output, then publish; nothing was published",
        path.display()
    )]
    Rerun { path: PathBuf, detail: String, index: usize, run_id: String },
    /// The prepared run a shard worked for was removed while it ran: a newer prepare replaced it.
    #[error(
        "prepared run {run_id} in {} was removed while this shard ran: a newer `kindred prepare`{} replaced it, so this shard's work is not needed; run the newer prepared run's shards",
        dir.display(), latest.as_ref().map(|l| format!(" (run {l})")).unwrap_or_default()
    )]
    Replaced { dir: PathBuf, run_id: String, latest: Option<String> },
    /// A prepare is writing in the folder: a shard now would compute the prepared run before it.
    #[error(
        "kindred prepare (run {run_id}, pid {pid}) is still writing in {}: this shard would compute the prepared run before it; run the shards once the prepare has finished (retry later)",
        dir.display()
    )]
    Preparing { dir: PathBuf, run_id: String, pid: u32 },
}

/// A data gate refused to publish.
#[derive(Debug, thiserror::Error)]
#[error(
    "refused to {}: gate {gate}: {detail}{}; nothing was published ({})",
    if *prepare { "prepare" } else { "publish" },
    also_failed(gate, verdicts),
    force_hint(*forceable, verdicts, *prepare)
)]
pub struct GateError {
    pub gate: String,
    pub detail: String,
    /// False for a refusal `--force` does not override (a required column without a usable
    /// value): the message must not say it would.
    pub forceable: bool,
    /// Refused by `kindred prepare`, whose `--force` passes the input's gates only: those on
    /// what the model made are `kindred publish`'s (helper-148: an operator forced prepare as
    /// told, and publish refused the next morning).
    pub prepare: bool,
    /// Every gate's verdict known when it refused, this one's included (the refused run's
    /// manifest lists them).
    pub verdicts: Vec<Verdict>,
}

impl GateError {
    /// `gate` refused with `detail`, the only verdict known; `--force` does not override it.
    pub fn binding(gate: impl Into<String>, detail: impl Into<String>) -> Self {
        let (gate, detail) = (gate.into(), detail.into());
        let verdicts = vec![Verdict { gate: gate.clone(), passed: false, detail: detail.clone() }];
        GateError { gate, detail, forceable: false, verdicts, prepare: false }
    }
}

/// The other gates that failed with `gate`, each with its detail: `--force` publishes past
/// them all, so the refusal names them all (it named the first only, and an operator forced
/// past gates they never read).
fn also_failed(gate: &str, verdicts: &[Verdict]) -> String {
    let others: Vec<String> = verdicts
        .iter()
        .filter(|v| !v.passed && v.gate != gate)
        .map(|v| format!("gate {}: {}", v.gate, v.detail))
        .collect();
    match others.len() {
        0 => String::new(),
        n => format!("; {} failed too: {}", crate::words::counted(n, "other gate"), others.join("; ")),
    }
}

/// How a refused run may publish after all.
fn force_hint(forceable: bool, verdicts: &[Verdict], prepare: bool) -> &'static str {
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    match (forceable, failed) {
        (true, _) if prepare => {
            "rerun kindred prepare with --force to go on past the input's gates; the gates on what the model made are \
             kindred publish's, which refuses on its own unless it is given --force too"
        }
        (true, 0 | 1) => "rerun with --force to publish anyway: it passes every gate, those this run did not reach too",
        (true, _) => {
            "rerun with --force to publish past all of them: it passes every gate, those this run did not reach too"
        }
        (false, _) => "--force does not override this gate: fix the export or the pipeline",
    }
}

/// One data gate's verdict, as a refused run records it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Verdict {
    pub gate: String,
    pub passed: bool,
    pub detail: String,
}

/// Every error the library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Gate(#[from] GateError),
    /// Boxed: its variants carry several names, and every `Result` carries the largest.
    #[error(transparent)]
    Shard(Box<ShardError>),
    /// The model cannot be learnt from this data with these settings; `key` says what to change.
    #[error("{key}: {detail}")]
    Model { key: String, detail: String },
    #[error("cannot start {threads} worker threads: {detail}")]
    Threads { threads: usize, detail: String },
    /// A table operation inside a stage failed: a bug or a resource limit, not the input's fault.
    #[error("{stage}: {detail}")]
    Frame { stage: String, detail: String },
    #[error("cutoff {cutoff} leaves {train} training and {test} test rows; pick a date inside the data")]
    Cutoff { cutoff: String, train: usize, test: usize },
    /// No training customer has a new item in the test rows: every metric would be a 0 of nothing.
    /// Either side may be too thin: a cutoff just after the data's first purchase was told to go
    /// earlier, where no training row is left.
    #[error(
        "cutoff {cutoff}: no customer of the {train} training rows bought an item new to them in the {test} test rows, so there is nothing to score; pick another cutoff: a later one trains on more customers and items, an earlier one tests on more days"
    )]
    NothingHeld { cutoff: String, train: usize, test: usize },
    /// A data gate refused an evaluation (it publishes nothing: there is no --force to offer).
    #[error("refused to evaluate: gate {gate}: {detail}")]
    EvaluateGate { gate: String, detail: String },
    /// A customer id that is not an integer where `customer_id` must stay Int64.
    #[error(
        "refused to publish: customer id '{id}' in column '{column}' of {} (row {row}) is not an integer, and {why}; set [columns] customer_type = \"string\" to publish text ids from now on, or fix the data; nothing was published",
        path.display()
    )]
    CustomerType { path: PathBuf, column: String, row: usize, id: String, why: String },
    #[error("customer {customer} is not in the published output in {}: not in the export it was made from, or none of their rows kept by cleaning (returns only, say)", dir.display())]
    UnknownCustomer { customer: String, dir: PathBuf },
    #[error("stdout: {0}")]
    Stdout(std::io::Error),
}

impl Error {
    /// A failed table operation inside `stage`.
    pub fn frame(stage: impl Into<String>) -> impl FnOnce(polars::error::PolarsError) -> Error {
        let stage = stage.into();
        move |e| Error::Frame { stage, detail: e.to_string() }
    }

    /// The exit code this error maps to.
    pub fn exit_code(&self) -> Exit {
        match self {
            // a cutoff that leaves nothing to train on or to score is a setting checked on
            // the data, as a half-life without dates is
            Error::Config(_)
            | Error::Input(InputError::SegmentMissing { .. })
            | Error::Input(InputError::RowColumnMissing { .. })
            | Error::Input(InputError::SharedColumn { .. })
            | Error::Cutoff { .. }
            | Error::NothingHeld { .. }
            | Error::Output(OutputError::Format { .. }) => Exit::Usage,
            Error::Gate(_) | Error::CustomerType { .. } | Error::EvaluateGate { .. } => Exit::Refused,
            Error::Output(OutputError::Locked { .. } | OutputError::LockedElsewhere { .. }) => Exit::Locked,
            // not another run to wait for: the job's own wrapper, every night
            Error::Output(OutputError::LockedByAncestor { .. }) => Exit::Usage,
            Error::Shard(e) => match **e {
                ShardError::Missing { .. } | ShardError::Rerun { .. } => Exit::Incomplete,
                ShardError::Superseded { .. } => Exit::Refused,
                ShardError::Preparing { .. } => Exit::Locked,
                ShardError::Index { .. }
                | ShardError::NoIndex
                | ShardError::BadIndex { .. }
                | ShardError::Mismatch { .. } => Exit::Usage,
                ShardError::NotPrepared { .. } | ShardError::Damaged { .. } | ShardError::Replaced { .. } => {
                    Exit::Runtime
                }
            },
            Error::Input(_)
            | Error::Output(_)
            | Error::Threads { .. }
            | Error::Model { .. }
            | Error::Frame { .. }
            | Error::UnknownCustomer { .. }
            | Error::Stdout(_) => Exit::Runtime,
        }
    }
}

impl From<ShardError> for Error {
    fn from(e: ShardError) -> Self {
        Error::Shard(Box::new(e))
    }
}

/// Library result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A panic's message (its payload as text; "a panic" when it holds none).
pub fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into())
}

/// Whether a panic's text says the system refused a thread or memory (std's, rayon's and
/// polars' words for EAGAIN and ENOMEM): a limit, not a bug nor a damaged file (helpers 135,
/// 138: under `prlimit --as` a good file was "damaged", a shard's pool "a bug in kindred").
/// A lock a refused thread poisoned (polars' pool, built lazily under a `ulimit -u`) panics
/// again at every later use: said as that refusal once one was seen, not as a bug
/// (helper-155: three "internal error … bug in kindred" lines after the refusal, and the run's
/// record took whichever came first).
pub fn refused_resources(text: &str) -> bool {
    static REFUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let refused =
        ["spawn thread", "WouldBlock", "Resource temporarily unavailable", "OutOfMemory", "Cannot allocate memory"]
            .iter()
            .any(|words| text.contains(words));
    if refused {
        REFUSED.store(true, std::sync::atomic::Ordering::SeqCst);
    }
    refused || (text.contains("poisoned") && REFUSED.load(std::sync::atomic::Ordering::SeqCst))
}

/// What a panic that reached the top says, `what` its text and `at` where it happened: a
/// refused thread or memory as such, anything else as a bug.
pub fn panic_message(what: &str, at: &str) -> String {
    match refused_resources(what) {
        true => format!(
            "the system refused kindred a thread or memory{at}: {what}; nothing was published — not a bug: a limit on address space, processes or threads (ulimit -v / -u, systemd's LimitAS= / TasksMax=, a container's pids.max) or the memory left is too small; raise it, or run fewer threads (--threads)"
        ),
        false => format!(
            "internal error{at}: {what}; nothing was published (this is a bug in kindred: please report it with the command and the pipeline file)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_thread_is_said_as_a_limit_not_a_bug() {
        let said = panic_message("could not spawn threads: Os { code: 11, kind: WouldBlock }", " at runtime.rs:202");
        assert!(
            said.starts_with("the system refused kindred a thread or memory at runtime.rs:202")
                && !said.contains("bug in"),
            "{said}"
        );
        let said = panic_message("index out of bounds", "");
        assert!(said.contains("this is a bug in kindred"), "{said}");
        // a lock the refused thread poisoned panics again: the same refusal, once one was seen
        let said = panic_message("LazyLock instance has previously been poisoned", " at lazy_lock.rs:410");
        assert!(said.starts_with("the system refused kindred a thread or memory"), "{said}");
    }

    /// helper-163: a shard whose prepared run a newer prepare removed failed with "cannot write
    /// …: No such file or directory"; it says what happened, exit 1 as before.
    #[test]
    fn a_shard_whose_run_was_replaced_says_so() {
        let e = Error::from(ShardError::Replaced {
            dir: "out".into(),
            run_id: "20261201T020000.000Z-1".into(),
            latest: Some("20261202T020000.000Z-2".into()),
        });
        let said = e.to_string();
        assert!(said.starts_with("prepared run 20261201T020000.000Z-1 in out was removed while this shard ran: a newer `kindred prepare` (run 20261202T020000.000Z-2) replaced it"), "{said}");
        assert_eq!(e.exit_code(), Exit::Runtime);
    }

    /// helper-139: the refusal named the first failed gate only; an operator who forced past
    /// it published past three more they never read. Every failed gate is named, once.
    #[test]
    fn a_refusal_names_every_gate_that_failed() {
        let verdict = |gate: &str, passed| Verdict { gate: gate.into(), passed, detail: format!("{gate} says why") };
        let verdicts = vec![verdict("a", true), verdict("b", false), verdict("c", true), verdict("d", false)];
        let said =
            GateError { gate: "b".into(), detail: "b says why".into(), forceable: true, verdicts, prepare: false }
                .to_string();
        assert_eq!(
            said,
            "refused to publish: gate b: b says why; 1 other gate failed too: gate d: d says why; nothing was \
             published (rerun with --force to publish past all of them: it passes every gate, those this run did \
             not reach too)"
        );
        let alone = GateError::binding("required_column", "no customer").to_string();
        assert!(!alone.contains("failed too") && alone.contains("--force does not override"), "{alone}");
        // prepare's --force passes the input's gates, not publish's (helper-148)
        let verdicts = vec![verdict("b", false)];
        let prepared = GateError { gate: "b".into(), detail: "b".into(), forceable: true, verdicts, prepare: true };
        let said = prepared.to_string();
        assert!(said.contains("rerun kindred prepare with --force") && said.contains("publish's"), "{said}");
        // prepare refused, not publish (helper-158: it said "refused to publish")
        assert!(said.starts_with("refused to prepare: gate b"), "{said}");
        assert!(!said.contains("those this run did not reach too"), "{said}");
    }

    /// helper-140: one shard missing was told to run "`kindred shard --index I`".
    #[test]
    fn a_missing_shard_is_named_by_its_index() {
        let missing = |missing: &str, count| {
            let (dir, run_id) = (PathBuf::from("out"), "R".to_string());
            ShardError::Missing { dir, run_id, missing: missing.into(), count, shards: 3 }.to_string()
        };
        let one = missing("1", 1);
        assert!(
            one.contains("shard 1 of 3 not finished") && one.contains("run `kindred shard --index 1`, then"),
            "{one}"
        );
        assert!(missing("0, 2", 2).contains("run `kindred shard --index I` for each I of 0, 2, then"));
    }

    /// Regression (helper-115): a write that failed on a full disk, a read-only mount, a
    /// file-size limit or a rename across mounts named the file and the OS's words only, with
    /// nothing to do; each now says what to change, on the same line.
    #[test]
    fn an_io_error_says_what_to_do_about_its_cause() {
        let said = |errno: i32| {
            let source = std::io::Error::from_raw_os_error(errno);
            OutputError::Io { path: PathBuf::from("out/.staging-x/items.parquet"), source }.to_string()
        };
        let full = said(libc::ENOSPC);
        assert!(full.starts_with("cannot write out/.staging-x/items.parquet: No space left on device"), "{full}");
        assert!(full.contains("free some on it (`df -h`, `df -i`)"), "{full}");
        for (errno, words) in [
            (libc::EROFS, "remount it read-write"),
            (libc::EFBIG, "ulimit -f"),
            (libc::EXDEV, "mount it at the output folder itself"),
            (libc::EMFILE, "ulimit -n"),
            (libc::EACCES, "owner and mode"),
            (libc::EPERM, "lsattr"),
            (libc::EDQUOT, "quota"),
            (libc::EIO, "dmesg"),
            (libc::ENOLCK, "cannot lock files"),
        ] {
            let line = said(errno);
            assert!(line.contains(words) && !line.contains('\n'), "{errno}: {line}");
        }
        // an error with no general remedy is said as the OS says it
        assert!(said(libc::ENAMETOOLONG).ends_with("(os error 36)"), "{}", said(libc::ENAMETOOLONG));
        let lock = OutputError::LockFailed {
            path: "out/.lock".into(),
            source: std::io::Error::from_raw_os_error(libc::ENOLCK),
        };
        let lock = lock.to_string();
        assert!(
            lock.starts_with("cannot lock out/.lock: No locks available")
                && lock.contains("; the filesystem cannot lock"),
            "{lock}"
        );
        let gone = OutputError::Remove { path: "x".into(), source: std::io::Error::from_raw_os_error(libc::EPERM) };
        assert!(gone.to_string().contains("lsattr"), "{gone}");
        let unread =
            OutputError::Unreadable { path: "x".into(), source: std::io::Error::from_raw_os_error(libc::EACCES) };
        assert!(unread.to_string().contains("owner and mode"), "{unread}");
    }
}
