//! What is wrong with a published set's files: each a [`Damage`], a file and its [`Harm`],
//! written `name: what` wherever it is shown (`status`'s `published.damaged`, `explain`'s
//! refusal). Typed so that readers sort it by kind — `status` tells a mode this account cannot
//! read through (the owner's to fix) from damage (run again) — not by the words it is written in.

use std::fmt;
use std::fs::{self, File};
use std::io::Read;
use std::path::Path;

use crate::write::file;

/// One file of a published set that is not as its run left it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    /// The file's name in the set (`items.parquet`, `manifest.json`).
    pub file: String,
    pub harm: Harm,
}

/// How a set's file differs from what its run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Harm {
    Missing,
    NotAFile,
    /// `found` bytes where the manifest says `written` were.
    Size {
        found: u64,
        written: u64,
    },
    /// This account cannot open or read it (the OS's reason): a mode or an owner, not damage.
    Denied(String),
    /// A Parquet file whose footer is not a table's (the reason).
    NotATable(String),
    /// A table whose footer names another run (that run's id).
    OtherRun(String),
    /// Of the size written, but not the bytes (changed in place: a disk's bit rot, a copy or a
    /// sync that mixed two versions): the SHA-256 `found` where the manifest records `written`.
    Changed {
        found: String,
        written: String,
    },
    /// The manifest is not one (what it holds instead).
    NotAManifest(String),
    /// The manifest reads but names no run.
    NamesNoRun,
    /// The manifest lists none of the set's files.
    ListsNone,
    /// The set's file has no fixed top-level link to it.
    Unlinked,
    /// The fixed top-level link of that name leads to no file of the set.
    Dangling,
}

impl Damage {
    pub fn new(file: &str, harm: Harm) -> Self {
        Self { file: file.to_string(), harm }
    }

    /// This account cannot read it: the file may be whole.
    pub fn denied(&self) -> bool {
        matches!(self.harm, Harm::Denied(_))
    }
}

impl fmt::Display for Damage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.harm)
    }
}

impl fmt::Display for Harm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Harm::Missing => f.write_str("missing"),
            Harm::NotAFile => f.write_str("not a file"),
            Harm::Size { found, written } => write!(f, "{found} bytes where {written} were written"),
            Harm::Denied(e) => write!(f, "cannot be read ({e})"),
            Harm::NotATable(e) => write!(f, "not a Parquet table ({e})"),
            Harm::OtherRun(id) => write!(f, "a table of run {id}, not of this set"),
            Harm::Changed { found, written } => write!(
                f,
                "its content changed since it was written (sha256 {}… where {}… was written)",
                first_digits(found),
                first_digits(written)
            ),
            Harm::NotAManifest(what) => write!(f, "not a manifest ({what})"),
            Harm::NamesNoRun => f.write_str("names no run"),
            Harm::ListsNone => f.write_str("lists none of the set's files (reports.write.files)"),
            Harm::Unlinked => f.write_str("no top-level link to it"),
            Harm::Dangling => f.write_str(
                "its top-level link leads to no file (the published set has none: published by an older kindred?)",
            ),
        }
    }
}

/// Shown as its words (`name: what`): `status --json`'s `published.damaged` is a list of them.
impl serde::Serialize for Damage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The first 12 hex digits of a checksum, which tell two apart for a person (the manifest's
/// may be anything a person wrote there: cut by characters, not bytes).
fn first_digits(sha256: &str) -> String {
    sha256.chars().take(12).collect()
}

/// How much of a set's files [`inspect`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Their sizes and Parquet footers, not their data: milliseconds whatever the set's size
    /// (`status`, `explain`).
    Footers,
    /// Also every byte, hashed and compared with the SHA-256 the manifest records (`status
    /// --verify`): a file changed in place, same size, footer whole, reads as healthy by its
    /// footer while readers fail on its pages or read other numbers.
    Contents,
}

/// What [`inspect`] found of a set's files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inspection {
    /// The files not as their run left them.
    pub damaged: Vec<Damage>,
    /// At [`Depth::Contents`], the files read whole and compared with their recorded SHA-256.
    pub compared: usize,
    /// At [`Depth::Contents`], the files the manifest records no SHA-256 for (a set written by an
    /// earlier kindred), checked by size and footer only: not damage.
    pub without_sha256: Vec<String>,
}

/// [`inspect`] at [`Depth::Footers`]: the set's damaged files.
pub(crate) fn damaged(run: &Path, manifest: &serde_json::Value) -> Vec<Damage> {
    inspect(run, manifest, Depth::Footers).damaged
}

/// The files `manifest` lists as written into `run` (`reports.write.files`, the report) that
/// are missing, not regular files, not of the size written, that this account cannot read, or
/// (Parquet) whose footer is not a table's or names another run: a set a person or a disk
/// damaged after it was published (its manifest alone read as healthy while `explain` and
/// every reader failed; `status` and `explain` check it). At [`Depth::Footers`] the data pages
/// are not read; at [`Depth::Contents`] each file that passes is read whole and its SHA-256
/// compared with the manifest's, when it records one. A manifest listing no file at all (every
/// kindred lists them) is damage too: it vouched for nothing and read as healthy.
pub(crate) fn inspect(run: &Path, manifest: &serde_json::Value, depth: Depth) -> Inspection {
    let files = manifest.pointer("/reports/write/files").and_then(|f| f.as_array()).cloned().unwrap_or_default();
    if files.is_empty() {
        return Inspection { damaged: vec![Damage::new(file::MANIFEST, Harm::ListsNone)], ..Default::default() };
    }
    let report = manifest.pointer("/reports/report").filter(|r| r.get("file").is_some()).cloned();
    // the run the manifest names, not the folder's name: a copy of a set's files in a folder of
    // its own (read as it is by `explain`) holds that run's tables
    let run_id = manifest.get("run_id").and_then(|v| v.as_str());
    let mut out = Inspection::default();
    for f in files.iter().chain(report.as_ref()) {
        let (Some(name), Some(bytes)) = (f["file"].as_str(), f["bytes"].as_u64()) else { continue };
        // a name the manifest lists must stay inside the run's folder
        if name.contains('/') || name.starts_with('.') {
            continue;
        }
        let path = run.join(name);
        let mut harm = file_damage(&path, bytes, run_id);
        if harm.is_none() && depth == Depth::Contents {
            match f["sha256"].as_str() {
                Some(written) => {
                    out.compared += 1;
                    harm = changed(&path, written);
                }
                None => out.without_sha256.push(name.to_string()),
            }
        }
        out.damaged.extend(harm.map(|harm| Damage::new(name, harm)));
    }
    out
}

/// Whether the file at `path` holds other bytes than those whose SHA-256 is `written`: read
/// whole, a megabyte at a time (never held).
fn changed(path: &Path, written: &str) -> Option<Harm> {
    let found = match crate::checksum::of_file(path) {
        Ok((_, found)) => found,
        Err(e) => return Some(Harm::Denied(e.to_string())),
    };
    (found != written).then(|| Harm::Changed { found, written: written.to_string() })
}

/// What is wrong with the set's file `path`, written `bytes` long by run `run_id`.
fn file_damage(path: &Path, bytes: u64, run_id: Option<&str>) -> Option<Harm> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == bytes => unreadable(path, run_id),
        Ok(meta) if meta.is_file() => Some(Harm::Size { found: meta.len(), written: bytes }),
        Ok(_) => Some(Harm::NotAFile),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Some(Harm::Missing),
        Err(e) => Some(Harm::Denied(e.to_string())),
    }
}

/// Why a file of the size written is not the one written: this account cannot read it (a
/// `chmod`, another user's umask: every reader under it failed while status said healthy), or
/// a Parquet table's footer is not one (overwritten in place) or names another run than
/// `run_id` (a table copied in from another set). A table without a run in its footer (a
/// kindred that stamped none), or a manifest naming none, passes that check.
fn unreadable(path: &Path, run_id: Option<&str>) -> Option<Harm> {
    let mut one = [0u8; 1];
    if let Err(e) = File::open(path).and_then(|mut f| f.read(&mut one)) {
        return Some(Harm::Denied(e.to_string()));
    }
    if path.extension().is_none_or(|e| e != "parquet") {
        return None;
    }
    match crate::write::footer_run_id(path) {
        Err(e) => Some(Harm::NotATable(e.to_string())),
        Ok(Some(other)) if run_id.is_some_and(|id| id != other) => Some(Harm::OtherRun(other)),
        Ok(_) => None,
    }
}

/// Why the manifest at `path` did not read: missing, too large to be one, not JSON (cut short,
/// overwritten), or naming no run. Only a regular file is opened, and one of a manifest's size
/// read.
pub(crate) fn unread_manifest(path: &Path) -> Harm {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => return Harm::NotAFile,
        Ok(meta) if meta.len() >= 1 << 24 => return Harm::NotAManifest(format!("{} bytes", meta.len())),
        _ => {}
    }
    match fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Harm::Missing,
        Err(e) => Harm::Denied(e.to_string()),
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Err(e) => Harm::NotAManifest(format!("{} bytes; {e}", text.len())),
            Ok(_) => Harm::NamesNoRun,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A set of one file, `page.html` (no footer to read), and its manifest's entry for it:
    /// its size, and its SHA-256 when `recorded`.
    fn a_set(dir: &Path, recorded: bool) -> serde_json::Value {
        let page = b"<html>a page</html>";
        fs::write(dir.join("page.html"), page).unwrap();
        let mut entry = serde_json::json!({"file": "page.html", "rows": 1, "bytes": page.len()});
        if recorded {
            entry["sha256"] = crate::checksum::of_bytes(page).into();
        }
        serde_json::json!({"run_id": "r", "reports": {"write": {"files": [entry]}}})
    }

    /// helper-118: a file changed in place, its size the same, is damage only to a reading of
    /// its bytes, named with both checksums' first 12 digits.
    #[test]
    fn a_file_changed_in_place_is_damage_to_its_contents_only() {
        let tmp = tempfile::tempdir().unwrap();
        let manifest = a_set(tmp.path(), true);
        let whole = inspect(tmp.path(), &manifest, Depth::Contents);
        assert_eq!(whole, Inspection { compared: 1, ..Default::default() });
        fs::write(tmp.path().join("page.html"), b"<html>a PAGE</html>").unwrap();
        assert_eq!(damaged(tmp.path(), &manifest), [], "sizes and footers alone read it whole");
        let read = inspect(tmp.path(), &manifest, Depth::Contents);
        assert_eq!((read.compared, read.damaged.len()), (1, 1), "{read:?}");
        let found = crate::checksum::of_bytes(b"<html>a PAGE</html>");
        let written = manifest.pointer("/reports/write/files/0/sha256").unwrap().as_str().unwrap();
        assert_eq!(
            read.damaged[0].to_string(),
            format!(
                "page.html: its content changed since it was written (sha256 {}… where {}… was written)",
                &found[..12],
                &written[..12]
            )
        );
        assert!(!read.damaged[0].denied());
        // a size that differs is said as such: the bytes are not read
        fs::write(tmp.path().join("page.html"), b"cut").unwrap();
        let cut = inspect(tmp.path(), &manifest, Depth::Contents);
        assert_eq!((cut.compared, cut.damaged[0].harm.clone()), (0, Harm::Size { found: 3, written: 19 }));
    }

    /// A set whose manifest records no SHA-256 (an earlier kindred's) is checked by size and
    /// footer only, and says which files: not damage.
    #[test]
    fn a_file_without_a_recorded_sha256_is_named_not_damaged() {
        let tmp = tempfile::tempdir().unwrap();
        let manifest = a_set(tmp.path(), false);
        fs::write(tmp.path().join("page.html"), b"<html>a PAGE</html>").unwrap();
        let read = inspect(tmp.path(), &manifest, Depth::Contents);
        assert_eq!(read, Inspection { without_sha256: vec!["page.html".into()], ..Default::default() });
        assert_eq!(inspect(tmp.path(), &manifest, Depth::Footers), Inspection::default(), "not read for");
        // a checksum a person wrote (not hex, short) is compared all the same, and shown safely
        let mut edited = a_set(tmp.path(), true);
        edited["reports"]["write"]["files"][0]["sha256"] = "é".into();
        let said = inspect(tmp.path(), &edited, Depth::Contents).damaged[0].to_string();
        assert!(said.ends_with("where é… was written)"), "{said}");
    }
}
