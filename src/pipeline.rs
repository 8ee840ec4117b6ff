//! The whole run: the [`Chain`] of stages (ingest → audit → clean → pivot → similarity →
//! recommend → drift → write), then publish.
//!
//! Each stage returns its report; they flow into `manifest.json`. The data gates run before
//! anything is written, and the set is published only after every file is written and synced.

use std::borrow::Cow;
use std::path::Path;

use serde::Serialize;

use crate::chain::{on_threads, Chain};
use crate::config::{Columns, Config, CustomerType, Family, Kind, ModelConfig, INTEGER_KEY};
use crate::drift::{Drift, DriftConfig, DriftReport, PreviousSet};
use crate::error::{Error, Exit, GateError, OutputError, Result, Verdict};
use crate::progress::{log, now_utc, peak_rss_bytes};
use crate::publish::{self, Publisher};
use crate::select::{self, Candidate, Offers, Selection};
use crate::similarity::customers::CustomerNeighboursReport;
use crate::similarity::{Model, Neighbours};
use crate::words::{counted, counted_own};
use crate::write::{file, Outputs, SCHEMA_VERSION};
use crate::{audit, clean, ingest, pivot, recommend, report, similarity, write};

/// One stage's line in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct StageSummary {
    pub name: &'static str,
    pub seconds: f64,
    pub rows_in: usize,
    pub rows_out: usize,
}

/// The input file's identity, for the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    /// As the pipeline or `--input` names it (relative to where the run was started, when
    /// relative).
    pub path: String,
    /// The same made absolute against the run's working folder: `path` alone meant nothing
    /// to `kindred status` run from another folder.
    pub absolute_path: String,
    pub bytes: u64,
    pub sha256: String,
    /// The first of the published runs, back from the last, that read these very bytes
    /// (`sha256`): the export has not changed since; null when it has (or nothing was
    /// published).
    pub unchanged_since: Option<String>,
    /// The pipeline file the run read, made absolute against the run's working folder (links
    /// not resolved: a Kubernetes ConfigMap's file is a link that changes with each update);
    /// null without one: the refusal of [`check_nothing_in_common`] names it.
    pub pipeline_absolute_path: Option<String>,
}

/// What every `manifest.json` starts with, published or not.
#[derive(Debug, Clone, Serialize)]
pub struct RunHeader {
    pub kindred_version: &'static str,
    pub schema_version: u32,
    /// `"published"`; a failed or refused run's record ([`FailedManifest`]) says `"failed"`,
    /// or `"refused"` (exit 3: a data gate, a customer id that is not an integer).
    pub status: &'static str,
    pub run_id: String,
    /// The run's place among the runs recorded in its output folder ([`Publisher::sequence`]):
    /// what orders them, not the clock its id was taken from.
    pub sequence: u64,
    pub started_utc: String,
    pub finished_utc: String,
}

impl RunHeader {
    /// The header of run `run_id`, the `sequence`th recorded in its folder, finished now.
    fn new(status: &'static str, run_id: &str, sequence: u64, started: &str) -> RunHeader {
        RunHeader {
            kindred_version: env!("CARGO_PKG_VERSION"),
            schema_version: SCHEMA_VERSION,
            status,
            run_id: run_id.to_string(),
            sequence,
            started_utc: started.to_string(),
            finished_utc: now_utc(),
        }
    }
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    #[serde(flatten)]
    pub header: RunHeader,
    pub input: InputSummary,
    pub parameters: Config,
    pub forced: bool,
    pub gates: Vec<GateCheck>,
    pub stages: Vec<StageSummary>,
    pub customers: usize,
    pub items: usize,
    pub pairs: usize,
    pub customer_id_type: String,
    pub peak_rss_bytes: u64,
    /// `[model] kind = "auto"`: the winner, its figures and every candidate's; null otherwise.
    pub selection: Option<Selection>,
    /// A sharded run's plan and each step's cost (`shard`); null for `kindred run`.
    pub sharded: Option<serde_json::Value>,
    /// Today's lists against the last published set's (`drift.parquet`'s summary).
    pub drift: Option<DriftReport>,
    pub reports: Reports,
}

/// Each stage's full report.
#[derive(Debug, Clone, Serialize)]
pub struct Reports {
    pub ingest: ingest::IngestReport,
    pub audit: audit::AuditReport,
    pub clean: clean::CleanReport,
    pub pivot: pivot::PivotReport,
    pub similarity: similarity::SimilarityReport,
    /// The customers' neighbours published (`neighbours.parquet`), whatever the model.
    pub customer_neighbours: similarity::CustomerNeighboursReport,
    pub recommend: recommend::RecommendReport,
    pub write: write::WriteReport,
}

/// One data gate's verdict.
#[derive(Debug, Clone, Serialize)]
pub struct GateCheck {
    pub gate: &'static str,
    pub passed: bool,
    pub detail: String,
}

/// The input's size and checksum, read in pieces (a large export is not held twice); taken
/// beside ingest, on the other core.
fn input_summary(path: &Path) -> Result<InputSummary> {
    // never opened unless a regular file (a named pipe's open waits for a writer for ever)
    crate::ingest::check_path(path)?;
    let io = |source| crate::error::InputError::Io { path: path.to_path_buf(), source };
    let (bytes, sha256) = crate::checksum::of_file(path).map_err(io)?;
    let absolute_path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf()).display().to_string();
    let (path, unchanged_since, pipeline_absolute_path) = (path.display().to_string(), None, None);
    Ok(InputSummary { path, absolute_path, bytes, sha256, unchanged_since, pipeline_absolute_path })
}

/// Ingest + audit only (for `kindred audit`), with the first `head` rows. When the export
/// lacks the mapped columns the audit still looks at every column; only the `invalid` counts
/// and the parsed types need the mapping.
pub fn audit_only(cfg: &Config, head: usize) -> Result<(audit::AuditReport, Vec<String>)> {
    on_threads(cfg.threads, || {
        let look = |columns: &crate::config::Columns| -> Result<(audit::AuditReport, Vec<String>)> {
            let (all, read) = ingest::read(&cfg.input, columns, head)?;
            let report = match all {
                ingest::AllColumns::Mapped(table) => audit::run(*table)?.1,
                ingest::AllColumns::Unmapped(frame, look) => audit::nulls_only(&frame, look),
            };
            Ok((report, read.notes))
        };
        let (report, notes) = match look(&cfg.columns) {
            // The audit is a first look at any export: a quantity of NaN or infinity, which a
            // run refuses naming its row, left it no table to show at all (helper-123). Its
            // column is looked at again without the quantity's role, and the note says why.
            Err(Error::Input(e @ crate::error::InputError::NonFinite { .. })) => {
                let (report, mut notes) = look(&crate::config::Columns { quantity: None, ..cfg.columns.clone() })?;
                notes.insert(0, format!("{e}: the audit shows that column without its role (as text), and `kindred run` refuses the export until it is fixed"));
                (report, notes)
            }
            looked => looked?,
        };
        for note in &notes {
            log(cfg.quiet, &format!("note: {note}"));
        }
        Ok((report, notes))
    })
}

/// What the last published run made, from its manifest (never by listing its files).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Previous {
    customers: Option<usize>,
    /// Recommendation rows, and those the model made (`source = "neighbours"`).
    rows: Option<usize>,
    model_rows: Option<usize>,
    per_customer: Option<usize>,
    /// `customer_id`'s type, "Int64" or "String".
    customer_id_type: Option<&'static str>,
    /// The export's date column and its newest purchase (the audit's latest), as printed.
    newest: Option<(String, String)>,
    /// What `kind = "auto"` chose (the manifest's `selection.winner`).
    chosen: Option<select::Previously>,
    /// The export it read (`input.sha256`), and the first run that published from those bytes
    /// (its `input.unchanged_since`, else its own id).
    input: Option<(String, String)>,
    /// The settings it read the export with ([`shaping`] of its `parameters`).
    settings: Option<serde_json::Value>,
    /// The kindred version that wrote its manifest (`kindred_version`).
    made_by: Option<String>,
    /// Why none of its figures is read (a damaged manifest, or one of a later schema).
    unread: Option<String>,
    /// Its kept purchase lines per day (`reports.clean.kept_rows_by_day`) and when it started.
    history: Option<clean::RowsByDay>,
    started: Option<chrono::DateTime<chrono::Utc>>,
    run_id: Option<String>,
    /// Its date column's values that do not read as a date, and all its values there (the
    /// audit's `invalid` and `non_null`).
    invalid_dates: Option<(usize, usize)>,
    /// The pipeline file it read (`input.pipeline_absolute_path`, `None` inside: none) and its
    /// export (`input.absolute_path`), when it records the first (from 2026-12-05).
    made_from: Option<(Option<String>, Option<String>)>,
    /// Why it is not `current`'s set ([`publish::compared_run`]: `current` missing or
    /// pointing to a run that is gone), warned by the run.
    stand_in: Option<String>,
    /// The roles whose columns held values (`reports.audit.columns[]`: `role`, `column`,
    /// `non_null` above 0), as (role, column).
    filled: Vec<(String, String)>,
}

/// The start of the verdict of a gate that compares with a figure the last published run did
/// not record.
const UNRECORDED: &str = "not checked, nothing to compare with: ";

/// The start of the verdict of a date gate when the pipeline now reads another date column.
const OTHER_COLUMN: &str = "not checked: the date column is ";

/// Whether two names the export gave its date column are one column: the same header, or one
/// that differs in case, spaces or punctuation only — what `[columns] date` finds either way
/// (ingest's `column_key`). A dump re-configured to write `invoicedate` for `InvoiceDate` read
/// as another clock, and both date gates went off without a word: an export cut 78 days short
/// published.
fn same_column(a: &str, b: &str) -> bool {
    let key = crate::ingest::column_key(a);
    a == b || (!key.is_empty() && key == crate::ingest::column_key(b))
}

impl Previous {
    /// The kindred version that wrote its manifest, when not this one: another version's
    /// settings have other keys and defaults, and it may keep other lines.
    fn other_version(&self) -> Option<&str> {
        self.made_by.as_deref().filter(|v| *v != env!("CARGO_PKG_VERSION"))
    }

    /// The verdict of `gate` when the last published run's manifest lacks `what`, the figure it
    /// compares with (one written before the gate existed, a damaged or a later one's): passed,
    /// saying so — never left out of the gates as if there were no previous run. Said on
    /// stderr by [`warn_unrecorded`].
    fn unrecorded(&self, gate: &'static str, what: &str) -> GateCheck {
        let reason = match (&self.unread, &self.made_by) {
            (Some(why), _) => why.clone(),
            (None, Some(version)) => format!("the last published run's manifest (kindred {version}) records no {what}"),
            (None, None) => format!("the last published run's manifest records no {what}"),
        };
        let detail = format!("{UNRECORDED}{reason}; this run records it, so the next run compares");
        GateCheck { gate, passed: true, detail }
    }
}

/// Whether `check` could not compare with the last published run, or not with its dates.
fn unchecked(check: &GateCheck) -> bool {
    check.detail.starts_with(UNRECORDED) || check.detail.starts_with(OTHER_COLUMN)
}

/// Warns of each gate that could not compare with the last published run ([`Previous::unrecorded`])
/// or not with its dates (another date column): the first night after an upgrade or a change
/// of `[columns] date`, a gate that protects every other night is off.
pub(crate) fn warn_unrecorded(checks: &[GateCheck], quiet: bool) {
    for c in checks.iter().filter(|c| unchecked(c)) {
        log(quiet, &format!("warning: gate {} {}", c.gate, c.detail));
    }
}

/// The last published run's counts; `None` when there is none. A set whose manifest is damaged
/// has no counts, but the type its `customer_id` was published as still binds: read from its
/// table's schema whenever the manifest does not say it (damaged, of a later schema, or
/// without the key: written by hand or by another tool), for dashboards built on that type
/// break as surely.
pub(crate) fn previous_run(dir: &Path) -> Option<Previous> {
    let publish::Compared { run, said: stand_in, read } = publish::compared_run(dir)?;
    let unread = |why: String, made_by: Option<String>| Previous { made_by, unread: Some(why), ..Default::default() };
    let manifest = read.then(|| publish::read_manifest(&run)).flatten();
    let mut previous = match manifest {
        None if !read => {
            unread(format!("no folder of runs/ reads as a published set ({} the newest)", run.display()), None)
        }
        None => unread(format!("the last published run's manifest ({}) is damaged", run.display()), None),
        Some(manifest) => {
            let made_by = made_by(&manifest);
            match manifest.get("schema_version").and_then(|v| v.as_u64()) {
                Some(later) if later > SCHEMA_VERSION as u64 => unread(
                    format!(
                        "the last published run's manifest is schema_version {later}{}, later than this kindred's ({}, schema_version {SCHEMA_VERSION}): its figures are not read",
                        made_by.as_deref().map(|v| format!(", written by kindred {v}")).unwrap_or_default(),
                        env!("CARGO_PKG_VERSION"),
                    ),
                    made_by,
                ),
                _ => previous_from(&manifest),
            }
        }
    };
    if read && previous.customer_id_type.is_none() {
        previous.customer_id_type = published_id_type(&run.join(file::RECOMMENDATIONS));
    }
    previous.stand_in = stand_in;
    Some(previous)
}

/// Notes integer customer ids of 16 digits or more: published exact as Int64 (DuckDB, pandas,
/// Power BI keep them), but an Excel worksheet keeps 15 significant digits, and ids that differ
/// after the 15th show there as one customer (a helper's 22 loyalty-card ids read as 6, nothing
/// said: helper-129) — the input's side of it has the gate `max_ids_lost_digits_share`.
fn note_long_ids(ids: &pivot::CustomerIds, column: &str, quiet: bool) {
    let pivot::CustomerIds::Int(ids) = ids else { return };
    let long: Vec<i64> = ids.iter().copied().filter(|id| id.unsigned_abs() >= 1_000_000_000_000_000).collect();
    let Some(first) = long.first() else { return };
    // Excel keeps a long number's first 15 digits and writes the rest as zeros (a CSV opened,
    // a value typed): ids alike in those show as one
    let fifteen = |id: &i64| {
        let text = id.to_string();
        let digits = text.trim_start_matches('-');
        (text.len(), text[..text.len() - digits.len() + 15].to_string())
    };
    let shown: std::collections::HashSet<(usize, String)> = long.iter().map(fifteen).collect();
    let merged = match long.len() == shown.len() {
        true => "none of these alike in their first 15".to_string(),
        false => format!("these {} show there as {}", long.len(), shown.len()),
    };
    let line = format!(
        "column '{column}': {} of 16 digits or more (the first {first}), published as Int64: exact in DuckDB, pandas and Power BI, but an Excel worksheet keeps 15 significant digits and shows ids that differ after the 15th as one ({merged}); set [columns] customer_type = \"string\" to publish them as text",
        counted(long.len(), "customer id"),
    );
    log(quiet, &format!("note: {line}"));
}

/// Warns when the set compared with is not `current`'s ([`Previous::stand_in`]).
pub(crate) fn warn_stand_in(previous: Option<&Previous>, cfg: &Config) {
    if let Some(said) = previous.and_then(|p| p.stand_in.as_deref()) {
        log(cfg.quiet, &format!("warning: {said}"));
    }
    // even under --quiet: said once, by no later run nor `kindred status`, and a person acts
    if let Some(said) = previous.and_then(|p| other_pipeline(p, cfg)) {
        crate::progress::warn(false, &said);
    }
}

/// Said when the last published set was made by another pipeline file than this run's: two
/// pipelines publishing into one folder replace each other's sets, prune each other's (the
/// folder keeps `keep_runs` of both), and each one's gates compare with the other's — a
/// pipeline of part of the export was refused as "an export cut short" with nothing naming the
/// other file (helper-143). A pipeline file moved on purpose is said once.
fn other_pipeline(previous: &Previous, cfg: &Config) -> Option<String> {
    let (Some(then), _) = previous.made_from.as_ref()? else { return None };
    let now = cfg.pipeline.as_ref().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()))?;
    // one file however reached: a cron line through a link (`/srv/kindred/current/…`) and a
    // person's through its target are the same pipeline
    let same = Path::new(then) == now
        || matches!((Path::new(then).canonicalize(), now.canonicalize()), (Ok(a), Ok(b)) if a == b);
    (!same).then(|| {
        format!(
            "the last published set (run {}) was made by the pipeline file {then}, this run reads {}: two pipelines publishing into one folder replace and prune each other's sets, and each one's gates compare with the other's — give each its own [output] dir (a file moved on purpose is said once)",
            previous.run_id.as_deref().unwrap_or("?"),
            now.display()
        )
    })
}

/// `customer_id`'s type in a published table, read from its footer's schema.
fn published_id_type(path: &Path) -> Option<&'static str> {
    use polars::prelude::{ArrowDataType, ParquetReader, SerReader};
    let schema = ParquetReader::new(std::fs::File::open(path).ok()?).schema().ok()?;
    match schema.get("customer_id")?.dtype {
        ArrowDataType::Int64 => Some("Int64"),
        ArrowDataType::Utf8 | ArrowDataType::LargeUtf8 | ArrowDataType::Utf8View => Some("String"),
        _ => None,
    }
}

fn previous_from(manifest: &serde_json::Value) -> Previous {
    let count = |path: &str| manifest.pointer(path).and_then(|v| v.as_u64()).map(|n| n as usize);
    Previous {
        customers: count("/customers"),
        rows: count("/reports/recommend/rows_out"),
        model_rows: count("/reports/recommend/from_neighbours_rows"),
        per_customer: count("/parameters/recommend/per_customer"),
        customer_id_type: match manifest.get("customer_id_type").and_then(|v| v.as_str()) {
            Some("Int64") => Some("Int64"),
            Some("String") => Some("String"),
            _ => None,
        },
        chosen: manifest.pointer("/selection/winner").and_then(|w| {
            let text = |key: &str| w.get(key).and_then(|v| v.as_str()).map(str::to_string);
            Some(select::Previously { candidate: text("candidate")?, settings: text("settings")? })
        }),
        input: manifest.pointer("/input/sha256").and_then(|v| v.as_str()).and_then(|sha| {
            let since = manifest.pointer("/input/unchanged_since").and_then(|v| v.as_str());
            let since = since.or_else(|| manifest.get("run_id").and_then(|v| v.as_str()))?;
            Some((sha.to_string(), since.to_string()))
        }),
        settings: manifest.get("parameters").map(shaping),
        made_by: made_by(manifest),
        unread: None,
        // present but unreadable: a record no day reads in, said damaged by the gate
        history: manifest
            .pointer("/reports/clean/kept_rows_by_day")
            .filter(|h| !h.is_null())
            .map(|h| serde_json::from_value(h.clone()).unwrap_or(clean::RowsByDay::default())),
        run_id: manifest.get("run_id").and_then(|v| v.as_str()).map(str::to_string),
        started: manifest
            .get("started_utc")
            .and_then(|v| v.as_str())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
        invalid_dates: invalid_dates_of(manifest.pointer("/reports/audit/columns")),
        made_from: manifest.pointer("/input/pipeline_absolute_path").map(|pipeline| {
            let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
            (text(pipeline), manifest.pointer("/input/absolute_path").and_then(text))
        }),
        newest: manifest.pointer("/reports/audit/columns").and_then(|c| c.as_array()).and_then(|columns| {
            let date = columns.iter().find(|c| c.get("role").and_then(|r| r.as_str()) == Some("date"))?;
            let text = |key: &str| date.get(key)?.as_str().map(str::to_string);
            let kept = manifest.pointer("/reports/clean/stray_dates/newest_kept").and_then(|v| v.as_str());
            let newest = kept.map(str::to_string).or_else(|| text("max")).or_else(|| window_end(manifest));
            Some((text("column")?, newest?))
        }),
        stand_in: None,
        filled: manifest.pointer("/reports/audit/columns").and_then(|c| c.as_array()).map_or_else(
            Vec::new,
            |columns| {
                let text = |c: &serde_json::Value, key: &str| c.get(key).and_then(|v| v.as_str()).map(str::to_string);
                let filled = |c: &&serde_json::Value| c.get("non_null").and_then(|v| v.as_u64()).is_some_and(|n| n > 0);
                columns.iter().filter(filled).filter_map(|c| Some((text(c, "role")?, text(c, "column")?))).collect()
            },
        ),
    }
}

/// The date column's values that do not read as a date and all its values (`columns`, the
/// manifest's `reports.audit.columns`: `invalid`, `non_null`), none without a date column.
fn invalid_dates_of(columns: Option<&serde_json::Value>) -> Option<(usize, usize)> {
    let columns = columns?.as_array()?;
    let date = columns.iter().find(|c| c.get("role").and_then(|r| r.as_str()) == Some("date"))?;
    let count = |key: &str| date.get(key)?.as_u64().map(|n| n as usize);
    count("invalid").zip(count("non_null"))
}

/// The kindred version that wrote `manifest` (`kindred_version`).
fn made_by(manifest: &serde_json::Value) -> Option<String> {
    manifest.get("kindred_version").and_then(|v| v.as_str()).map(str::to_string)
}

/// The end of a manifest's held-back window of days (`selection.window`: its start and length),
/// the newest purchase the selection saw: what a run of kindred 0.3.0, whose audit recorded no
/// latest date, tells of its export's end. Never later than the export's latest date (the
/// window is of the kept purchases), so the gate it stands in for never refuses on it wrongly.
fn window_end(manifest: &serde_json::Value) -> Option<String> {
    let window = manifest.pointer("/selection/window")?;
    let format = "%Y-%m-%d %H:%M:%S";
    let start = chrono::NaiveDateTime::parse_from_str(window.get("start_utc")?.as_str()?, format).ok()?;
    let days = window.get("days")?.as_f64().filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e6)?;
    let end = start + chrono::Duration::milliseconds((days * 86_400_000.0).round() as i64);
    Some(end.format(format).to_string())
}

/// The export's date column and its newest purchase (the latest, as the audit prints it; the
/// newest kept when cleaning read stray dates as unknown: a mistyped year is no newest sale),
/// none when no date in it reads.
fn newest_purchase(
    audited: &crate::audit::AuditReport,
    cleaned: &clean::CleanReport,
) -> Option<(String, Option<String>)> {
    let date = audited.date()?;
    let kept = cleaned.stray_dates.as_ref().map(|s| s.newest_kept.clone());
    // the audit's range is the column's as it looks when its role read no date (helper-105: a
    // `date_format` that read none passed the gate quoting a newest purchase never read)
    let read = date.max.clone().filter(|_| date.invalid < date.non_null);
    Some((date.column.clone(), kept.or(read)))
}

/// The gate `[gates] max_days_back_vs_previous`: refuses when the export's newest purchase
/// lies more than that many days before the last published run's. An export cut short (a
/// transfer that stopped, a disk that filled), half of one or an older copy passes the count
/// gates when it keeps over half the customers — a truncated Online Retail export kept 80% of
/// them, its newest sale two and a half months back, every list changed — but it ends
/// earlier: an export's history only grows. None when this run maps no date column or
/// nothing was published; passed, saying so, when the pipeline now reads another date column
/// (its dates are another clock: a ship date runs days after an invoice date), and when the
/// last published run recorded no newest purchase (a run of kindred before 0.4.0). Refused
/// when no date of the column reads where the last run's did: an export whose dates came in
/// another format (BigQuery's `… UTC` once was) cannot be told from one cut short, and the
/// gate went silent, night after night.
fn check_newest(limit: f64, now: Option<(String, Option<String>)>, previous: Option<&Previous>) -> Option<GateCheck> {
    let read = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok();
    let (column, now_text) = now?;
    let previous = previous?;
    let Some((was, before_text)) = previous.newest.clone() else {
        return Some(previous.unrecorded("max_days_back_vs_previous", "newest purchase"));
    };
    if !same_column(&column, &was) {
        let detail = format!("{OTHER_COLUMN}'{column}', the last published run's was '{was}'");
        return Some(GateCheck { gate: "max_days_back_vs_previous", passed: true, detail });
    }
    let Some(now_text) = now_text else {
        let detail = format!(
            "no date in column '{column}' reads, where the last published run's newest purchase was {before_text}: the export's dates came in another format ([input] date_format reads it; `kindred audit` shows them) or were lost, and whether it was cut short cannot be told"
        );
        return Some(GateCheck { gate: "max_days_back_vs_previous", passed: false, detail });
    };
    let (now_text, before_text) = (now_text.as_str(), before_text.as_str());
    let (now, before) = (read(now_text)?, read(before_text)?);
    let back = (before - now).num_seconds() as f64 / 86_400.0;
    let detail = match back > 0.0 {
        true => format!(
            "the newest purchase, {now_text}, is {back:.1} days before the last published run's, {before_text} (an export cut short, part of one, or an older copy?); the limit is {limit} days"
        ),
        false => format!("the newest purchase, {now_text}, is not before the last published run's, {before_text}"),
    };
    Some(GateCheck { gate: "max_days_back_vs_previous", passed: back <= limit, detail })
}

/// The gate `[gates] max_history_change_vs_previous`: refuses when more than that share of the
/// purchase lines the last published run kept, on the days both exports should hold alike,
/// are gone or new ([`clean::RowsByDay::change_from`]: its newest week, where lines still arrive
/// late, and the days an export may have dropped at its start aside). An export's past does not
/// change overnight: one sorted by customer and cut short keeps every date and most customers
/// (it passed the count gates at 60% of its customers), a doubled one (a file appended twice)
/// published doubled quantities, one missing a quarter changed 96% of the lists. Fewer than
/// [`clean::HISTORY_WEEK`] days to compare are not judged. A rolling export loses its oldest days as it
/// gains new ones: its start may move as far as its newest purchase or the clock did since that
/// run, or by whole days (a period of full months). None when nothing was published or this
/// run has no dated purchase; passed, saying so, when the last run recorded no history (before
/// this gate) or a damaged one, read another date column, or read the export with other
/// settings (`[input]`, `[columns]`, `[clean]`: other rows are kept on purpose) or another
/// kindred version. Lines lost on most days are refused at any share only where customers were
/// lost too (`customers`, today's, fewer than the last run's; unknown counts as fewer): some
/// customers' rows gone from the whole history take customers with them, where an ERP's
/// batch of corrections deleting 300 old lines over 167 days took none, and was refused every
/// night until `--force` (helper-171); judged by the share, it passes.
fn check_history(
    cfg: &Config,
    (now, column, customers): (Option<&clean::RowsByDay>, Option<&str>, Option<usize>),
    previous: Option<&Previous>,
    clock: chrono::DateTime<chrono::Utc>,
) -> Option<GateCheck> {
    let gate = "max_history_change_vs_previous";
    let (previous, now) = (previous?, now?);
    let Some(before) = &previous.history else {
        return Some(previous.unrecorded(gate, "purchase lines by day"));
    };
    let not_compared = |why: String| Some(GateCheck { gate, passed: true, detail: format!("not checked: {why}") });
    if let Some(check) = history_not_comparable(cfg, gate, column, previous) {
        return Some(check);
    }
    // how far a rolling export may have moved: its newest day's, or the clock's whole days
    let by_dates = now.newest_day().zip(before.newest_day()).map_or(0, |(n, b)| n - b);
    let by_clock = previous.started.map_or(0, |at| ((clock - at).num_seconds() + 86_399) / 86_400);
    let change = (!history_damaged(before, previous)).then(|| now.change_from(before, by_dates.max(by_clock)));
    let Some(change) = change.flatten() else {
        return not_compared(format!(
            "the last published run's reports.clean.kept_rows_by_day is damaged (its first day '{}', {})",
            before.first,
            counted(before.rows.len(), "day")
        ));
    };
    let Some((from, to)) = change.days.filter(|_| change.compared >= clean::HISTORY_WEEK) else {
        return not_compared(format!(
            "fewer than {} days both exports should hold alike (the last published run's newest \
             {} days aside, where lines still arrive late): too few to tell a damaged export",
            clean::HISTORY_WEEK,
            clean::LATE_DAYS
        ));
    };
    let (share, limit) = (change.share(), cfg.gates.max_history_change_vs_previous);
    // lines lost on most days is damage whatever the share; a limit of 1 or more accepts it
    let fell = customers.zip(previous.customers).is_none_or(|(now, was)| now < was);
    let lost = change.lost_on_most_days() && fell;
    let spread = (lost || change.doubled() || change.otherwise_on_most_days()) && limit < 1.0;
    let detail = history_detail(cfg, &change, (from, to), (limit, spread), previous);
    Some(GateCheck { gate, passed: share <= limit && !spread, detail })
}

/// The gate `[gates] max_new_invalid_dates_vs_previous`: refuses when more of the date
/// column's values do not read as a date than the last published run's share of them explains
/// (its invalid values scaled to this run's values, give or take three binomial standard
/// deviations of that share), by more than the limit in typical days' lines (the median of its
/// days with a purchase). A date column has one format, and a value written another way does
/// not read: an export whose writer changed its date format from one night on adds every new
/// line undated — the newest purchase stays where it was, the other date gates pass, and the
/// selection scored the same frozen window night after night while the lists went wrong (a
/// helper's upgraded export: 61% of them the first night, 94% two weeks on). Empty dates are
/// not counted (an order's date left blank until it is invoiced, then filled: a helper's
/// nights of such exports were refused when a busy day followed a quiet one), nor a typo's
/// value, nor a share of values the export always had that do not read. None when nothing was
/// published or this run maps no date column; passed, saying so, where the history gate does
/// not compare either.
fn check_invalid_dates(
    cfg: &Config,
    (invalid, values, column): (usize, usize, &str),
    previous: Option<&Previous>,
) -> Option<GateCheck> {
    let gate = "max_new_invalid_dates_vs_previous";
    let previous = previous?;
    let (Some((was, was_values)), Some(typical)) =
        (previous.invalid_dates, previous.history.as_ref().and_then(clean::RowsByDay::typical_day))
    else {
        return Some(previous.unrecorded(gate, "invalid dates and purchase lines by day"));
    };
    if let Some(check) = history_not_comparable(cfg, gate, Some(column), previous) {
        return Some(check);
    }
    let share = was as f64 / was_values.max(1) as f64;
    let expected = share * values as f64;
    let noise = 3.0 * (values as f64 * share * (1.0 - share)).sqrt();
    let days = (invalid as f64 - expected - noise).max(0.0) / typical as f64;
    let limit = cfg.gates.max_new_invalid_dates_vs_previous;
    let over = days > limit;
    let what = match over {
        true => "dates that do not read (the export's date format changed?): ",
        false => "",
    };
    let run = previous.run_id.as_deref().map(|id| format!(" (run {id})")).unwrap_or_default();
    let todo = match over {
        true => {
            " (`kindred audit` shows the values that do not read; a date column has one format: [input] date_format)"
        }
        false => "",
    };
    let detail = format!(
        "{what}{invalid} of {values} values in column '{column}' do not read as a date, {was} of {was_values} in the last \
         published run{run}: {days:.2} typical days' lines ({typical} a day) more than its share allows; the limit is {limit}{todo}"
    );
    Some(GateCheck { gate, passed: !over, detail })
}

/// The gate `[gates] max_invalid_dates_share`: refuses when more than this share of the date
/// column's values do not read as a date, on a run that uses dates (a setting that needs them,
/// `auto`'s held-back window, `kindred evaluate`: `uses` names it). A date column has one
/// format: values it does not read are ones the reader does not know — a month in a language
/// it lacks (French-Canadian `juill.`, Croatian names, a third of them read as other months),
/// a zone name (`BST` beside `GMT`), a second format — and their lines were kept undated, the
/// window and every date setting seeing part of the export, at exit 0 with a note: 56% of a
/// helper's dates, 1,086 of 1,097 lists changed (helper-149). The gate against the last
/// published run ([`check_invalid_dates`]) took the first night's share as the export's own.
/// Empty dates are not counted (an order not yet invoiced), nor the `headers` rows cleaning
/// dropped as the header repeated (exports joined end to end: their date is the column's name).
/// None when the run uses no dates.
pub(crate) fn check_invalid_date_share(
    cfg: &Config,
    date: &audit::ColumnAudit,
    uses: Option<&str>,
    headers: usize,
) -> Option<GateCheck> {
    let uses = uses?;
    // none read: `auto` without a date setting holds back a random share instead (said so)
    if date.invalid >= date.non_null && date_key(cfg).is_none() {
        return None;
    }
    let limit = cfg.gates.max_invalid_dates_share;
    let (invalid, values) = (date.invalid.saturating_sub(headers), date.non_null.saturating_sub(headers));
    let passed = invalid as f64 <= limit * values as f64;
    // the values quoted: "4 values read as no date ('juill. 2011', …)", without its advice
    let quoted = |n: &String| n.split_once("): ").map_or(n.clone(), |(values, _)| format!("{values})"));
    // and those after the clock, or written the other way round ("… are invalid")
    let invalid_said = |n: &&String| n.contains("as no date") || n.contains(" invalid");
    let said: Vec<String> = date.notes.iter().filter(invalid_said).map(quoted).collect();
    let said = if said.is_empty() { String::new() } else { format!(": {}", said.join("; ")) };
    let todo = match passed {
        true => String::new(),
        false => "; a date column has one format: `kindred audit` shows the values that do not read — set \
                  [input] date_format to the column's format (its %b reads English month names only: another \
                  language's must be written in digits), [input] max_date when they lie after the run's clock, \
                  or raise the limit"
            .to_string(),
    };
    let detail = format!(
        "{invalid} of {values} values in column '{}' ({:.1}%) are no valid date{said}, and {uses} needs \
         purchase dates; the limit is {:.1}%{todo}",
        date.column,
        100.0 * invalid as f64 / values.max(1) as f64,
        100.0 * limit,
    );
    Some(GateCheck { gate: "max_invalid_dates_share", passed, detail })
}

/// What of a run needs purchase dates ([`check_invalid_date_share`]): the first setting that
/// does, or `auto`'s held-back window.
fn uses_dates(cfg: &Config) -> Option<&'static str> {
    date_key(cfg).or((cfg.model.kind == Kind::Auto).then_some("[model] kind = \"auto\" (its held-back window)"))
}

/// A record no run of this kindred writes: more days than it counts, or ending after its run's
/// newest purchase (the audit's latest, which lines cleaning dropped may pass, never precede).
fn history_damaged(before: &clean::RowsByDay, previous: &Previous) -> bool {
    let newest =
        previous.newest.as_ref().and_then(|(_, t)| chrono::NaiveDate::parse_from_str(t.get(..10)?, "%Y-%m-%d").ok());
    let beyond = |last: i64| newest.is_some_and(|n| (n - chrono::NaiveDate::default()).num_days() < last);
    before.rows.len() > clean::HISTORY_DAYS as usize || before.newest_day().is_none_or(beyond)
}

/// The verdict of [`check_history`] on `change` over the days `from` to `to`: lines lost or
/// added (when past the limit, or lost on most days: `spread`), the share, the run compared
/// with, the day that changed most, the days that lost lines, and the days dropped at the
/// start (also said in a warning).
fn history_detail(
    cfg: &Config,
    change: &clean::HistoryChange,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    (limit, spread): (f64, bool),
    previous: &Previous,
) -> String {
    let share = change.share();
    let percent = |x: f64| (x * 1000.0).round() / 10.0;
    let most = match &change.most {
        Some((day, was, is)) => format!("; most on {day}: {was} lines then, {is} now"),
        None => String::new(),
    };
    let moved = match change.start_moved {
        Some(day) => {
            let dropped = format!(
                "the export now begins on {day}: the {} lines the last published run kept on the days before it are gone, \
                 whole days (a rolling period of weeks or months, old orders purged? a file cut at a day's end looks the same)",
                change.start_dropped
            );
            log(cfg.quiet, &format!("warning: {dropped}"));
            format!("; {dropped}, not compared")
        }
        None => String::new(),
    };
    let losing = match change.days_losing {
        0 => String::new(),
        n => format!("; lost on {n} of the {} days that had lines", change.days_with_lines),
    };
    let doubled = match change.first_doubled {
        Some((day, was, is)) => format!(
            "; doubled on {} (the first: {day}, {was} lines then, {is} now)",
            counted(change.days_doubled, "day")
        ),
        None => String::new(),
    };
    let otherwise = match change.first_otherwise {
        Some(day) => format!(
            "; other customers' lines on {} of the {} days with as many lines as then (the first: {day})",
            change.days_otherwise, change.days_as_many
        ),
        None => String::new(),
    };
    let what = match (share > limit, change.gone >= change.new) {
        (false, _) if spread && change.otherwise_on_most_days() => {
            "the past's lines belong to other customers on most days (as many lines as then, other customers: \
             customer ids joined off by a row, or renumbered?): "
        }
        (false, _) if spread && change.doubled() => {
            "lines added to days of the past, doubling them (days' files appended again, or new lines dated \
             into the past: another date format, day and month swapped?): "
        }
        (false, _) if spread => {
            "lines lost on most days (some customers' rows gone from the whole history: an export sorted by \
             customer and cut short, customers erased, or filtered?): "
        }
        (false, _) => "",
        (true, true) => {
            "lines lost (part of the export: a transfer cut short, a file sorted by customer or written newest \
             first and cut, days missing?): "
        }
        (true, false) => "lines added (the export, or part of it, written twice?): ",
    };
    let run = previous.run_id.as_deref().map(|id| format!(" (run {id})")).unwrap_or_default();
    format!(
        "{what}{}% of the {} purchase lines the last published run{run} kept from {from} to {to} differ now ({} gone, {} new{most}{losing}{doubled}{otherwise}){moved}; the limit is {}%{}",
        percent(share),
        change.before,
        change.gone,
        change.new,
        percent(limit),
        match (spread, change.otherwise_on_most_days(), change.doubled()) {
            (true, true, _) => ", and other customers' lines on more than half the days with as many lines are refused at any share below 100%",
            (true, false, true) => ", and two days of the past or more doubled are refused at any share below 100%",
            (true, false, false) => ", and lines lost on more than half the days is refused at any share below 100%",
            (false, ..) => "",
        }
    )
}

/// `gate`'s verdict (passed, "not checked: …") when this run's history cannot be compared with
/// the last published run's: another date column (another clock), another kindred version, or
/// other settings that decide which lines are kept (`[input]` but its path and size limits,
/// `[columns]`, `[clean]`). The verdict of both gates that compare with the history.
fn history_not_comparable(
    cfg: &Config,
    gate: &'static str,
    column: Option<&str>,
    previous: &Previous,
) -> Option<GateCheck> {
    let unchecked = |detail: String| Some(GateCheck { gate, passed: true, detail });
    if let Some((was, _)) = previous.newest.as_ref().filter(|(was, _)| !column.is_some_and(|c| same_column(c, was))) {
        let now = column.unwrap_or_default();
        return unchecked(format!("{OTHER_COLUMN}'{now}', the last published run's was '{was}'"));
    }
    if let Some(version) = previous.other_version() {
        return unchecked(format!(
            "not checked: the last published run was kindred {version}'s, this is {}'s",
            env!("CARGO_PKG_VERSION")
        ));
    }
    let reading = |settings: &serde_json::Value| {
        let mut input = settings.get("input").cloned();
        if let Some(limits) = input.as_mut().and_then(|i| i.as_object_mut()) {
            for key in ["max_bytes", "max_record_bytes", "max_rows"] {
                limits.remove(key);
            }
        }
        [input, settings.get("columns").cloned(), settings.get("clean").cloned()]
    };
    let settings = serde_json::to_value(cfg).ok().map(|p| reading(&shaping(&p)));
    let other = settings.is_none() || settings != previous.settings.as_ref().map(reading);
    other.then(|| "not checked: the export is read with other [input], [columns] or [clean] settings than the last published run's".to_string())
        .and_then(unchecked)
}

/// The settings of a manifest's `parameters` that shape what a run publishes: all but the
/// paths, the threads, the gates, `--force` and the notes on the threads and the keys not read
/// (a helper's: `--threads 99`, capped with a note, published a stale export the gate
/// `refuse_unchanged_input` refused without it). Two runs that read the same bytes with the
/// same of these publish the same set.
fn shaping(parameters: &serde_json::Value) -> serde_json::Value {
    let mut settings = parameters.clone();
    if let Some(all) = settings.as_object_mut() {
        for key in ["pipeline", "output", "threads", "threads_note", "unread_note", "gates", "force"] {
            all.remove(key);
        }
    }
    if let Some(input) = settings.get_mut("input").and_then(|i| i.as_object_mut()) {
        input.remove("path");
    }
    settings
}

/// The gate `[gates] refuse_nothing_in_common`: refuses a set that shares no customer with a
/// list and no item with the last published one (`r`, today's `items`) — another shop's export:
/// two pipelines publishing into one folder (two files beside each other left to the default
/// `output`, a pipeline copied with only its `[input] path` changed) replaced each other's lists
/// every run, exit 0 and `status` healthy, for the gates comparing with the last run passed or
/// stood aside on the other settings (helper-98). Judged by the data, not by the paths: a
/// scheduler that writes its pipeline file anew each night beside a dated export changes both,
/// and one shop's nights share its catalogue (a 30-day rolling export a month on keeps 17% of
/// its customers and most items). The refusal names the two runs' pipeline files and exports
/// (`previous`: the last one's, `input.pipeline_absolute_path`). Passes, saying why, when that
/// catalogue cannot be read or there is nothing to compare.
fn check_nothing_in_common(
    cfg: &Config,
    r: &DriftReport,
    items: usize,
    previous: impl FnOnce() -> Option<Previous>,
) -> Option<GateCheck> {
    let run = r.previous_run_id.as_deref()?;
    let gate = "refuse_nothing_in_common";
    let (Some(before), Some(new_items)) = (r.previous_items, r.new_items) else {
        let detail = format!("not checked: run {run}'s catalogue (items.parquet) could not be read");
        return Some(GateCheck { gate, passed: true, detail });
    };
    let (customers, shared) = (r.kept, items.saturating_sub(new_items));
    let (described, otherwise) = (r.items_described.unwrap_or(0), r.items_described_otherwise);
    // the ids in common name other products: another shop numbering its own from 1 as well
    let renamed = shared > 0 && r.items_described.is_some_and(|d| 2 * otherwise > d);
    if (shared > 0 && !renamed) || before == 0 {
        let detail = format!(
            "{} with a list and {} in common with run {run}{}",
            counted(customers, "customer"),
            counted(shared, "item"),
            match r.items_described {
                Some(1..) => format!(", {otherwise} of {described} described otherwise"),
                // not judged by what they name (helper-103: "0 of 0" read as a verdict)
                _ => ", what they name not compared: no item of them described in both".to_string(),
            }
        );
        return Some(GateCheck { gate, passed: true, detail });
    }
    // the same shop's ids written otherwise (a rewrite: the rewritten-ids gates judge it, and
    // their refusal says so; helper-100: an upgrade from `="00123"` ids was also called
    // "another shop's export" here)
    if !renamed && (r.rewritten > 0 || r.items_rewritten > 0) {
        let detail = format!(
            "{} with a list and no item in common with run {run} but {} and {} written otherwise: the rewritten-ids gates judge it",
            counted(customers, "customer"),
            counted(r.rewritten, "customer"),
            counted(r.items_rewritten, "item")
        );
        return Some(GateCheck { gate, passed: true, detail });
    }
    let detail = another_shop(cfg, r, items, renamed, previous);
    if !cfg.gates.refuse_nothing_in_common {
        log(cfg.quiet, &format!("warning: {detail}"));
    }
    Some(GateCheck { gate, passed: !cfg.gates.refuse_nothing_in_common, detail })
}

/// The refusal of [`check_nothing_in_common`]: what the two sets share (no item, or ids naming
/// other products: `renamed`, with the example), each run's pipeline file and export (the last
/// run's manifest read, by `previous`, only now), and what to do.
fn another_shop(
    cfg: &Config,
    r: &DriftReport,
    items: usize,
    renamed: bool,
    previous: impl FnOnce() -> Option<Previous>,
) -> String {
    let run = r.previous_run_id.as_deref().unwrap_or_default();
    let (before, shared) = (r.previous_items.unwrap_or(0), items.saturating_sub(r.new_items.unwrap_or(0)));
    let named = |path: Option<&String>| path.cloned().unwrap_or_else(|| "no pipeline file".into());
    let then = previous().and_then(|p| p.made_from).map(|(pipeline, export)| {
        format!(
            " (made by {} from {})",
            named(pipeline.as_ref()),
            export.unwrap_or_else(|| "an export it does not name".into())
        )
    });
    let now = cfg.pipeline.as_ref().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()).display().to_string());
    let shared_ids = match (&r.described_example, renamed) {
        (Some((id, was, is)), true) => format!(
            "the {shared} item ids in common with run {run}{} name other products: {} of the {} described in both are described otherwise (e.g. '{id}' was '{was}', is '{is}'), in this run's {} and {}",
            then.unwrap_or_default(),
            r.items_described_otherwise,
            r.items_described.unwrap_or(0),
            counted(r.kept + r.new, "customer"),
            counted(items, "item"),
        ),
        _ => format!(
            "{} of the {} with a list and none of the {} of run {run}{} are in this run's {} and {}",
            match r.kept {
                0 => "none".to_string(),
                n => n.to_string(),
            },
            counted(r.kept + r.gone, "customer"),
            counted(before, "item"),
            then.unwrap_or_default(),
            counted(r.kept + r.new, "customer"),
            counted(items, "item"),
        ),
    };
    format!(
        "{shared_ids} (made by {} from {}): another shop's export — two pipelines publishing into one folder replace each other's lists every run: give each its own [output] dir; if this export replaces that one, `--force` publishes it once",
        named(now.as_ref()),
        std::path::absolute(&cfg.input.path).unwrap_or_else(|_| cfg.input.path.clone()).display()
    )
}

/// How soon after the first run that read an export a run reading it again is a rerun, not a
/// night whose export did not come (seconds): half a day.
const RERUN_WITHIN: u64 = 12 * 3600;

/// The gate `[gates] refuse_unchanged_input`, checked against the last published run (`before`:
/// the export's checksum, the first run that read those bytes, and the settings it read them
/// with): an export the very bytes of that one, read with the same settings, would publish the
/// same set again — a warning, or refused with the gate set. An export job that stopped
/// refreshing its file (a failed extract, a copy that kept yesterday's) otherwise republishes
/// the same lists night after night, each one looking fresh. Read with other settings (a
/// pipeline changed on purpose) it publishes, with a note. Sets `input.unchanged_since` either
/// way: the data is as old. None when nothing was published (or its manifest says no checksum).
fn check_unchanged(
    cfg: &Config,
    input: &mut InputSummary,
    before: Option<&Previous>,
    (quiet, now): (Option<&[String]>, chrono::DateTime<chrono::Utc>),
) -> Option<GateCheck> {
    let before = before?;
    let gate = "refuse_unchanged_input";
    let Some((sha, since)) = before.input.clone() else {
        return Some(before.unrecorded(gate, "checksum of its export"));
    };
    if sha != input.sha256 {
        let detail = "the export differs from the one the last published run read".to_string();
        return Some(GateCheck { gate, passed: true, detail });
    }
    input.unchanged_since = Some(since.clone());
    let same = format!(
        "the export is byte for byte the one published since run {since} (sha256 {})",
        &sha[..12.min(sha.len())]
    );
    let settings = serde_json::to_value(cfg).ok().map(|p| shaping(&p));
    if let Some(version) = before.other_version() {
        let detail = format!("{same}, read by kindred {version}, and now by {}: a new set", env!("CARGO_PKG_VERSION"));
        log(cfg.quiet, &format!("note: {detail}"));
        return Some(GateCheck { gate, passed: true, detail });
    }
    if settings.is_none() || settings != before.settings {
        let detail = format!("{same}, read with other settings: a new set");
        log(cfg.quiet, &format!("note: {detail}"));
        return Some(GateCheck { gate, passed: true, detail });
    }
    if before.stand_in.is_some() {
        // nothing is live (`current` missing or pointing to no set): the same set again is the
        // repair, and refused it left the folder without `current` night after night until a
        // person passed --force (helper-131)
        let detail =
            format!("{same}, with the same settings, and current points to no published set: not refused by this gate");
        log(cfg.quiet, &format!("note: {detail}"));
        return Some(GateCheck { gate, passed: true, detail });
    }
    let refuse = cfg.gates.refuse_unchanged_input;
    let first_read = crate::publish::run_started(&since);
    let unchanged = first_read.map(|at| clean::unchanged_for(at, now, quiet.unwrap_or_default()));
    // Read again within half a day of the first run that read it (a rerun, a scheduler's retry)
    // is no sign yet of a job that stopped: a note — a nightly schedule comes back a day on,
    // however late or early its start. Unchanged over days the shop sells nothing on (none in
    // its export's last weeks: a shop closed on Saturdays writes Friday's export again) is
    // expected too: a note, not a warning every such night — when such a day was crossed and
    // less than a day it sells on passed. Otherwise a warning.
    let minutes = |seconds: u64| humantime::format_duration(std::time::Duration::from_secs(seconds / 60 * 60));
    let ahead = first_read.is_some_and(|at| at > now + chrono::Duration::seconds(60));
    let (level, detail) = match unchanged {
        // a first read dated after this clock has no age here: not "less than a minute ago"
        _ if ahead => (
            "warning",
            format!(
                "{same}, with the same settings, first read by a run dated after this machine's clock ({} UTC): is a clock wrong?",
                now.format("%Y-%m-%d %H:%M:%S")
            ),
        ),
        Some(u) if u.age < RERUN_WITHIN => {
            let ago = match u.age {
                // a retry seconds after the first read was said "1m ago" (helper-127)
                0..60 => "less than a minute".to_string(),
                age => minutes(age).to_string(),
            };
            ("note", format!("{same}, with the same settings, first read {ago} ago: a rerun"))
        }
        Some(u) if u.quiet > 0 && u.open() < 86_400 => (
            "note",
            format!(
                "{same}, with the same settings, over {} (and {} of other days), on which its last {} weeks sold nothing",
                u.days.join(" and "),
                minutes(u.open()),
                clean::QUIET_WEEKS
            ),
        ),
        _ => ("warning", format!("{same}, with the same settings: has the job that writes it stopped?")),
    };
    if !refuse {
        let again = "its lists are published again ([gates] refuse_unchanged_input = true refuses such a run)";
        log(cfg.quiet, &format!("{level}: {detail}; {again}"));
    }
    Some(GateCheck { gate, passed: !refuse, detail })
}

/// The type `customer_id` is published as, kept from run to run: a folder whose last run
/// published Int64 refuses an id that is not an integer (exit 3 naming it, never overridden
/// by `--force`) unless the pipeline says `customer_type = "string"`; one that published
/// String keeps String (Int64 would break its readers as well) unless it says `"integer"`;
/// `"integer"` always refuses such an id. Returns the type for the pivot and the check for the
/// manifest (a deliberate change of type is noted there and on stderr), and why Int64 is
/// required, if it is: the pivot refuses an id that is not an integer, naming its row.
fn customer_type(cfg: &Config, previous: Option<Previous>) -> (CustomerType, Option<String>, Option<GateCheck>) {
    let before = previous.and_then(|p| p.customer_id_type);
    let check = |detail: String| Some(GateCheck { gate: "customer_id_type", passed: true, detail });
    let setting = cfg.customer_type;
    let key = |name: &str| format!("[columns] customer_type = \"{name}\"");
    let integer = (setting == CustomerType::Integer).then(|| INTEGER_KEY.to_string());
    let deliberate = |to: &str, from: &str, name: &str| {
        let detail = format!(
            "{to} by {}; the last published run's customer_id is {from}: a deliberate change of type",
            key(name)
        );
        log(cfg.quiet, &format!("note: customer_id is now {detail}"));
        check(detail)
    };
    match (setting, before) {
        (CustomerType::String, Some("Int64")) => (setting, None, deliberate("String", "Int64", "string")),
        (CustomerType::Integer, Some("String")) => (setting, integer, deliberate("Int64", "String", "integer")),
        (CustomerType::Auto, Some("Int64")) => {
            let why = "the last published run's customer_id is Int64 (its manifest.json customer_id_type, else its recommendations.parquet schema)";
            (setting, Some(why.into()), check("Int64, as in the last published run".into()))
        }
        (CustomerType::Auto, Some("String")) => {
            let detail = format!("String, as in the last published run ({} publishes Int64)", key("integer"));
            (CustomerType::String, None, check(detail))
        }
        _ => (setting, integer, None),
    }
}

/// Checks the data gates; every verdict is returned for the manifest.
/// Rows `[input] skip_bad_rows` skipped while reading count as dropped: skipping them must not
/// take the share of the export that is lost past the gate.
/// `[gates] max_ids_lost_digits_share`: a customer or item column whose id values are, beyond
/// the limit, written in scientific notation with digits lost — a workbook's column of long
/// numbers saved as CSV (`4.00035E+15`): customers that differed only in the lost digits are
/// one, and the lists are another shop's (a helper's 1,587 customers published as 2, exit 0,
/// with a warning a cron job's `--quiet` hid). Not checked when no id lost a digit.
fn check_lost_digits(limit: f64, audited: &audit::AuditReport) -> Vec<GateCheck> {
    let ids = audited.columns.iter().filter(|c| c.lost_digits > 0);
    ids.map(|c| {
        let share = c.lost_digits as f64 / c.non_null.max(1) as f64;
        GateCheck {
            gate: "max_ids_lost_digits_share",
            passed: share <= limit,
            detail: format!(
                "{:.1}% of column '{}' ({} of {} values) are ids that lost digits (written in scientific notation, or read from numbers longer than their type keeps); the limit is {:.1}%: export the column as text",
                share * 100.0,
                c.column,
                c.lost_digits,
                c.non_null,
                limit * 100.0
            ),
        }
    })
    .collect()
}

/// The gate `[gates] refuse_item_lists`: refuses an export whose item ids are lists of items
/// joined in one field ([`pivot::lists::ItemLists`]) that are most of its item ids or hold more
/// purchases than the other items — one row per order, the order's items in one column (WooCommerce Analytics'
/// `Product(s)`, an ERP's `SKUs`): each list would be a product bought once, and the lists
/// published baskets (helper-102, exit 0). Fewer than that (a few orders typed on one line)
/// pass with a warning. Not checked when no item is such a list. `kindred evaluate` refuses
/// as a run does (its baskets score nothing).
pub(crate) fn check_item_lists(
    cfg: &Config,
    column: &str,
    lists: Option<&pivot::lists::ItemLists>,
) -> Option<GateCheck> {
    let lists = lists?;
    let gate = "refuse_item_lists";
    let said = lists.said(column);
    let refuse = cfg.gates.refuse_item_lists && lists.most_of_the_export();
    let detail = match refuse {
        true => format!(
            "{said}: kindred reads one item a line, so each list would be a product of its own, bought once. Export one line per item (an order's lines), or split the column, e.g. DuckDB: {} — a quantity of the whole order then counts for each of its items",
            split_sql(column, lists, &cfg.input.path)
        ),
        false => {
            let detail = format!("{said}: published, each list an item of its own");
            log(cfg.quiet, &format!("warning: {detail}"));
            detail
        }
    };
    Some(GateCheck { gate, passed: !refuse, detail })
}

/// DuckDB's statement writing `path` with one line per part of `column`'s lists (names and
/// the path quoted, a line break as `chr(10)`, a count before each name taken off when the
/// lists write them: `6× WHITE MUG`).
fn split_sql(column: &str, lists: &pivot::lists::ItemLists, path: &Path) -> String {
    let column = column.replace('"', "\"\"");
    let separator = match lists.separator.as_str() {
        "\n" => "chr(10)".to_string(),
        s => format!("'{}'", s.replace('\'', "''")),
    };
    let part = format!("trim(unnest(string_split(\"{column}\", {separator})))");
    let part = match lists.counted {
        true => format!("regexp_replace({part}, '^[0-9]+ *[x×X*] +', '')"),
        false => part,
    };
    let path = path.display().to_string().replace('\'', "''");
    format!("COPY (SELECT * REPLACE ({part} AS \"{column}\") FROM '{path}') TO 'lines.csv'")
}

fn check_gates(
    cfg: &Config,
    (skipped, cleaned): (usize, &clean::CleanReport),
    customers: usize,
    previous: Option<&Previous>,
) -> Vec<GateCheck> {
    let g = &cfg.gates;
    let (dropped, of) = (skipped + cleaned.rows_in - cleaned.rows_out, skipped + cleaned.rows_in);
    let share = if of == 0 { 0.0 } else { dropped as f64 / of as f64 };
    let what = match skipped {
        0 => format!("cleaning dropped {:.1}% of rows ({dropped} of {of})", share * 100.0),
        _ => format!(
            "{:.1}% of rows were lost ({dropped} of {of}): {} skipped while reading, {} dropped by cleaning",
            share * 100.0,
            counted(skipped, "malformed row"),
            cleaned.rows_in - cleaned.rows_out
        ),
    };
    // which rule dropped them: the refusal said the share alone, the rules' counts on a log
    // line `--quiet` hides (kg sales under min_quantity = 1, a shop of guest checkouts: helper-144)
    let by_rule: Vec<String> = cleaned
        .rules
        .iter()
        .filter(|r| r.rows_in > r.rows_out)
        .map(|r| format!("{} {}", r.rule, r.rows_in - r.rows_out))
        .collect();
    let what = match by_rule.is_empty() {
        true => what,
        false => format!("{what} — {}", by_rule.join(", ")),
    };
    let mut checks = vec![
        GateCheck {
            gate: "max_dropped_share",
            passed: share <= g.max_dropped_share,
            detail: format!("{what}; the limit is {:.1}%", g.max_dropped_share * 100.0),
        },
        GateCheck {
            gate: "min_customers",
            passed: customers >= g.min_customers,
            detail: format!("{} with purchases; the minimum is {}", counted(customers, "customer"), g.min_customers),
        },
    ];
    let gate = "max_customer_drop_vs_previous";
    match previous.map(|p| (p.customers, p)) {
        None => {}
        Some((None, p)) => checks.push(p.unrecorded(gate, "customer count")),
        Some((Some(prev), _)) => {
            let floor = prev as f64 * (1.0 - g.max_customer_drop_vs_previous);
            checks.push(GateCheck {
                gate,
                passed: customers as f64 >= floor,
                detail: format!(
                    "{} against {prev} in the last published run; the limit is a {:.0}% drop",
                    counted(customers, "customer"),
                    g.max_customer_drop_vs_previous * 100.0
                ),
            });
        }
    }
    checks
}

/// The gates on what the model made, checked before anything is written: a set without any
/// recommendation from the model (every customer bought the same items, a model that found no
/// neighbour: popularity top-ups at best), and a set that lost more than the allowed share of
/// the last published set's rows, or of its rows from the model.
/// A selection that chose popularity (`popular`: the customers it was scored on) makes no
/// model rows on purpose: the model gates pass, saying so — when popularity makes rows; none
/// is as degenerate as a named model making nothing (one item, one customer). Chosen with no
/// customer scored (a tiny export whose held-back share caught no new item), it is the
/// simplest candidate, said in the detail, not a refusal: a named model would publish there.
pub(crate) fn check_output_gates(
    cfg: &Config,
    r: &recommend::RecommendReport,
    previous: Option<Previous>,
    popular: Option<usize>,
) -> Vec<GateCheck> {
    let mut checks = vec![model_recommendations(r, popular)];
    let Some(prev) = previous else { return checks };
    let popular_passed = popular.is_some() && r.rows_out > 0;
    // Shorter lists make fewer rows by design: the previous count is scaled to this run's.
    let scale = match prev.per_customer {
        Some(p) if p > cfg.recommend.per_customer => cfg.recommend.per_customer as f64 / p as f64,
        _ => 1.0,
    };
    let g = &cfg.gates;
    let counts = [
        ("max_row_drop_vs_previous", "recommendation rows", r.rows_out, prev.rows, g.max_row_drop_vs_previous),
        (
            "max_model_row_drop_vs_previous",
            "rows from the model (source = neighbours)",
            r.from_neighbours_rows,
            prev.model_rows,
            g.max_model_row_drop_vs_previous,
        ),
    ];
    for (gate, what, now, before, limit) in counts {
        let Some(before) = before else {
            checks.push(prev.unrecorded(gate, &format!("count of {what}")));
            continue;
        };
        if popular_passed && gate == "max_model_row_drop_vs_previous" {
            checks.push(GateCheck { gate, passed: true, detail: AUTO_CHOSE_POPULARITY.to_string() });
            continue;
        }
        let expected = before as f64 * scale;
        checks.push(GateCheck {
            gate,
            passed: now as f64 >= expected * (1.0 - limit),
            detail: format!(
                "{now} {what} against {before} in the last published run{}; the limit is a {:.0}% drop",
                if scale < 1.0 { format!(" ({expected:.0} at this run's per_customer)") } else { String::new() },
                limit * 100.0
            ),
        });
    }
    checks
}

/// What `model_recommendations` says when `auto` chose popularity and it recommended something.
const AUTO_CHOSE_POPULARITY: &str =
    "[model] kind = \"auto\" chose popularity on the held-back window: every row is a popularity row";

/// The gate `model_recommendations`: some rows come from the model (none needed without
/// customers, nor when `auto` chose popularity, `popular` holding the customers it scored).
fn model_recommendations(r: &recommend::RecommendReport, popular: Option<usize>) -> GateCheck {
    let customers = r.rows_in;
    let check = "check the export (one item? one customer? every customer the same basket?)";
    let popular_detail = |scored: usize| match (scored, r.rows_out) {
        (_, 0) => format!("[model] kind = \"auto\" chose popularity, which recommends nothing: {check}"),
        (0, _) => "[model] kind = \"auto\" had no customer to score on the held-back window (none bought an item \
                   new to them in it), so it chose the simplest candidate, popularity: every row is a popularity row"
            .to_string(),
        _ => AUTO_CHOSE_POPULARITY.to_string(),
    };
    let popular_passed = popular.is_some() && r.rows_out > 0;
    GateCheck {
        gate: "model_recommendations",
        passed: customers == 0 || r.from_neighbours_rows > 0 || popular_passed,
        detail: if let Some(scored) = popular {
            popular_detail(scored)
        } else {
            format!(
                "{} of the {} for {} come from the model{}",
                r.from_neighbours_rows,
                counted(r.rows_out, "recommendation row"),
                counted(customers, "customer"),
                match (r.from_neighbours_rows, r.withheld_items) {
                    (0, withheld) => format!(
                        " (popularity top-ups at most): check the export (one item? every customer the same basket?) \
                         and the [model] settings{}",
                        match withheld {
                            0 => String::new(),
                            n => format!(", and [recommend] never_recommend, which keeps {n} of the items out"),
                        }
                    ),
                    _ => String::new(),
                }
            )
        },
    }
}

/// Refuses with the first failed gate of `checks` unless forced; the refusal carries every
/// verdict known (`earlier` ones first) for the refused run's record.
pub(crate) fn enforce(earlier: &[GateCheck], checks: &[GateCheck], force: bool, quiet: bool) -> Result<()> {
    for c in checks.iter().filter(|c| !c.passed) {
        if force {
            log(quiet, &format!("warning: gate {} failed but --force publishes anyway: {}", c.gate, c.detail));
        } else {
            let verdicts = earlier
                .iter()
                .chain(checks)
                .map(|v| Verdict { gate: v.gate.to_string(), passed: v.passed, detail: v.detail.clone() })
                .collect();
            let (gate, detail) = (c.gate.to_string(), c.detail.clone());
            return Err(GateError { gate, detail, forceable: true, verdicts, prepare: false }.into());
        }
    }
    Ok(())
}

/// Runs the whole pipeline on `cfg.threads` workers and publishes the outputs. Returns the
/// manifest.
pub fn run(cfg: &Config) -> Result<Manifest> {
    on_threads(cfg.threads, || publish_run(cfg))
}

/// The run under the output folder's lock: published on success, abandoned on any error. The
/// folder is checked before anything is created; nothing in it is deleted unless the run
/// commits (see [`crate::publish`]).
fn publish_run(cfg: &Config) -> Result<Manifest> {
    publish::check_output_dir(&cfg.output.dir, cfg.output.dir_key, &cfg.input.path)?;
    let started = now_utc();
    let run_id = publish::new_run_id();
    publish_with(cfg, &run_id, &started.clone(), |publisher| run_locked(cfg, publisher, &run_id, started))
}

/// Runs `work` under the output folder's lock as run `run_id` (`kindred run`, `kindred
/// publish`): the set `work` wrote into the staging folder is published when it succeeds; on
/// any error or panic it is abandoned and the attempt leaves its record
/// (`runs/<run_id>/manifest.json`, status failed or refused).
pub(crate) fn publish_with<T>(
    cfg: &Config,
    run_id: &str,
    started: &str,
    work: impl FnOnce(&Publisher) -> Result<T>,
) -> Result<T> {
    let publisher = Publisher::open(&cfg.output.dir, run_id, started)?;
    publish_locked(cfg, publisher, run_id, started, work)
}

/// [`publish_with`] under a lock the caller took (and checked the folder under).
pub(crate) fn publish_locked<T>(
    cfg: &Config,
    publisher: Publisher,
    run_id: &str,
    started: &str,
    work: impl FnOnce(&Publisher) -> Result<T>,
) -> Result<T> {
    publish_locked_from(cfg, publisher, (run_id, started), None, work)
}

/// [`publish_locked`] of a set made from the export `input` describes (a prepared run's, for
/// `kindred publish`): a failed attempt's record names it, not the file the pipeline names now
/// (which the record hashed: another night's export, or gigabytes read for a failure).
pub(crate) fn publish_locked_from<T>(
    cfg: &Config,
    publisher: Publisher,
    (run_id, started): (&str, &str),
    input: Option<FailedInput>,
    work: impl FnOnce(&Publisher) -> Result<T>,
) -> Result<T> {
    // A panic (a bug) is recorded and abandons the run like an error before it goes on up to `main`.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        publisher.check_runs_writable().and_then(|()| work(&publisher))
    }));
    let attempt = Attempt { cfg, run_id, started, input };
    match outcome {
        Ok(Ok(made)) => match publisher.commit(cfg.output.keep_runs) {
            Ok(_) => Ok(made),
            Err(e) => Err(attempt.failed(publisher, e)),
        },
        Ok(Err(e)) => Err(attempt.failed(publisher, e)),
        Err(panic) => {
            attempt.panicked(publisher, panic.as_ref());
            std::panic::resume_unwind(panic)
        }
    }
}

/// Refuses when a required column has no usable value at all: the export is not what the
/// pipeline expects (a shifted header, a wrong mapping), whatever the other gates say.
fn check_required(cfg: &Config, columns: &Columns, audited: &audit::AuditReport) -> Result<()> {
    let unusable =
        |name: &String| audited.columns.iter().find(|c| c.column == *name && c.nulls + c.invalid == audited.rows_in);
    let refuse = |detail: String| Err(GateError::binding("required_column", detail).into());
    let roles = [Some(&columns.customer), Some(&columns.item), columns.quantity.as_ref()];
    if let Some(c) = roles.into_iter().flatten().find_map(unusable) {
        return refuse(format!("column '{}' has no usable value in {}", c.column, counted(audited.rows_in, "row")));
    }
    match date_key(cfg).and_then(|key| undated(columns, audited, key)) {
        // under "auto" the key is a candidate's setting, which the grid drops without dates: a
        // column none of whose values read is still refused (a format the reader does not
        // know, which no run should take for "no dates"), saying how to run without it
        Some(why) if cfg.model.kind == Kind::Auto => refuse(format!(
            "{why}; or, for a model chosen without dates (a random share of each customer's items held back, no half-life), map none: [columns] date = \"\""
        )),
        Some(why) => refuse(why),
        None => Ok(()),
    }
}

use crate::roles::SERIAL_1954;

/// Why the date column cannot serve `needs` (e.g. "[model] similarity_half_life_days"), if it
/// cannot: dates whose day-month order the column does not tell (they would be guessed, or
/// dropped), or no value that reads as a date, which would silently turn `needs` off (with
/// what the reader noted: dates after the horizon, say).
pub(crate) fn undated(columns: &Columns, audited: &audit::AuditReport, needs: &str) -> Option<String> {
    if let Some(why) = audited.unread_dates() {
        return Some(format!("{why}; {needs} needs purchase dates"));
    }
    let name = columns.date.as_ref()?;
    let c = audited.columns.iter().find(|c| c.column == *name && c.nulls + c.invalid == audited.rows_in)?;
    let why = c.notes.iter().map(|n| format!(" ({n})")).collect::<String>();
    // numbers: a spreadsheet's dates without a date format (serial days), or epoch seconds —
    // unless all are below 1954's serial day: then neither, but a count (dunnhumby's DAY 1…711)
    let numbers = matches!(c.type_inferred.as_deref(), Some("Int64" | "Float64"));
    let greatest = c.max.as_deref().and_then(|m| m.parse::<f64>().ok());
    let todo = match (numbers, greatest) {
        (true, Some(max)) if max < SERIAL_1954 => format!(
            "its values are numbers up to {max}, too small for a workbook's serial days (20,000 is 1954) or epoch \
             seconds: a count of days or weeks, not dates; map a column of dates ([columns] date), or convert it"
        ),
        (true, _) => "its values are numbers: a workbook's dates kept without a date format (serial days) read once \
                      the column is formatted as dates there; Unix time reads as it is in 10, 13, 16 or 19 digits (seconds to \
                      nanoseconds since 2001-09-09), epoch seconds of other lengths with [input] date_format = \"%s\""
            .into(),
        (false, _) => "set [input] date_format to the column's format, or [input] max_date when its dates lie after \
                       the run's clock"
            .into(),
    };
    Some(format!(
        "column '{}' has no value that reads as a date in {}{why}, and {needs} needs purchase dates; {todo}",
        c.column,
        counted(audited.rows_in, "row")
    ))
}

/// The first setting that needs purchase dates, if any.
fn date_key(cfg: &Config) -> Option<&'static str> {
    date_keys(cfg).first().copied()
}

/// The settings that need purchase dates.
fn date_keys(cfg: &Config) -> Vec<&'static str> {
    let r = &cfg.recommend;
    let keys = [
        ("[model] recency_half_life_days", r.recency_half_life_days),
        ("[recommend] popular_half_life_days", r.popular_half_life_days),
        ("[recommend] popular_season_days", r.popular_season_days),
        ("[model] similarity_half_life_days", cfg.model.similarity_half_life_days),
        ("[recommend] last_sale_exponent", Some(r.last_sale_exponent).filter(|&e| e != 0.0)),
        ("[recommend] exposure_exponent", Some(r.exposure_exponent).filter(|&e| e != 0.0)),
        ("[recommend] opportunity_exponent", Some(r.opportunity_exponent).filter(|&e| e != 0.0)),
    ];
    keys.iter().filter(|(_, h)| h.is_some()).map(|(key, _)| *key).collect()
}

/// Refuses a half-life or an exposure exponent when the export has no date column: they
/// would silently do nothing. Not under `kind = "auto"`, whose grid offers them only with dates
/// (and says so: `selection.skipped`), so that the shipped pipeline runs on an undated export.
fn check_dates(cfg: &Config, table: &ingest::Table) -> Result<()> {
    // under auto they are candidates' settings the grid drops without dates: said, as a key that
    // changes nothing is (helper-150: the shipped default with `date = ""` dropped four, silently)
    if cfg.model.kind == Kind::Auto && table.columns.date.is_none() {
        let keys = date_keys(cfg);
        if !keys.is_empty() {
            log(
                cfg.quiet,
                &format!(
                    "note: {} change nothing: they need purchase dates, and {} maps no date column; [model] kind = \"auto\" chooses without them",
                    keys.join(", "),
                    cfg.input.path.display()
                ),
            );
        }
    }
    match date_key(cfg) {
        Some(key) if table.columns.date.is_none() && cfg.model.kind != Kind::Auto => {
            Err(crate::error::ConfigError::Invalid {
                key: key.to_string(),
                message: format!(
                    "needs purchase dates, and {} has no date column; map one with [columns] date",
                    cfg.input.path.display()
                ),
            }
            .into())
        }
        _ => Ok(()),
    }
}

/// The gate `emptied_column`: refuses when a column a role reads holds no value at all (every
/// row missing), where the last published run's column of that role held some — an export job
/// that still writes the header but lost the column's content: a helper's `Description`
/// arrived empty one night, the description blend dropped out of the selection without a word,
/// 96% of the lists changed and `items.parquet` lost every product name, at exit 0 (helper-171).
/// A required role's column so is refused already ([`check_required`]), the date's by the date
/// gates. None when nothing is emptied (or nothing was published); a column the export no
/// longer has is an error of its own, and unmapping the role (`[columns] description = ""`)
/// reads on without it.
fn check_emptied(audited: &audit::AuditReport, previous: Option<&Previous>) -> Option<GateCheck> {
    let previous = previous?;
    let emptied: Vec<String> = audited
        .columns
        .iter()
        .filter(|c| audited.rows_in > 0 && c.non_null == 0)
        .filter_map(|c| {
            // (a row filter's column may empty as its last cancelled order leaves a rolling export)
            let role = c.role.as_deref().filter(|r| matches!(*r, "description" | "segment" | "invoice" | "time"))?;
            previous.filled.iter().any(|(r, _)| r == role).then(|| format!("'{}' ({role})", c.column))
        })
        .collect();
    if emptied.is_empty() {
        return None;
    }
    let run = previous.run_id.as_deref().map(|id| format!(" (run {id})")).unwrap_or_default();
    let detail = format!(
        "column {} holds no value in any of the {} rows, where the last published run's{run} held some: the export lost the column's content (an export job or a query changed?); if the export no longer has it, unmap its role ([columns] description = \"\" and the like)",
        emptied.join(", "),
        audited.rows_in
    );
    Some(GateCheck { gate: "emptied_column", passed: false, detail })
}

/// Refuses the description blend of a named EASE when the export has no description column:
/// it would do nothing but scale every score (`"auto"` offers the blend only with text).
fn check_descriptions(cfg: &Config, table: &ingest::Table) -> Result<()> {
    let blends = matches!(cfg.model.kind, Kind::Ease | Kind::SparseEase) && cfg.model.description_weight > 0.0;
    match blends && table.columns.description.is_none() {
        true => Err(crate::error::ConfigError::Invalid {
            key: "[model] description_weight".into(),
            message: format!(
                "needs item descriptions, and {} has no description column; map one with [columns] description, or set 0",
                cfg.input.path.display()
            ),
        }
        .into()),
        false => Ok(()),
    }
}

fn summary(name: &'static str, seconds: f64, rows_in: usize, rows_out: usize) -> StageSummary {
    StageSummary { name, seconds, rows_in, rows_out }
}

impl Reports {
    /// The manifest's `stages` list, in pipeline order.
    fn stages(&self) -> Vec<StageSummary> {
        let r = self;
        vec![
            summary("ingest", r.ingest.seconds, r.ingest.rows_out, r.ingest.rows_out),
            summary("audit", r.audit.seconds, r.audit.rows_in, r.audit.rows_out),
            summary("clean", r.clean.seconds, r.clean.rows_in, r.clean.rows_out),
            summary("pivot", r.pivot.seconds, r.pivot.rows_in, r.pivot.rows_out),
            summary("similarity", r.similarity.seconds, r.similarity.rows_in, r.similarity.rows_out),
            summary(
                "customer_neighbours",
                r.customer_neighbours.seconds,
                r.customer_neighbours.rows_in,
                r.customer_neighbours.rows_out,
            ),
            summary("recommend", r.recommend.seconds, r.recommend.rows_in, r.recommend.rows_out),
            summary("write", r.write.seconds, r.write.rows_in, r.write.rows_out),
        ]
    }
}

/// What every run makes before a model learns, on one machine or for shards (`shard`): the
/// stages from ingest to the pivot, the data gates on them, and the model the selection chose.
pub(crate) struct Front {
    pub input: InputSummary,
    pub ingested: ingest::IngestReport,
    pub audited: audit::AuditReport,
    pub cleaned: clean::CleanReport,
    pub pivoted: pivot::PivotReport,
    pub matrix: pivot::Interactions,
    /// The last published run's counts, for the gates on what the model makes.
    pub previous: Option<Previous>,
    pub gates: Vec<GateCheck>,
    pub choice: Candidate,
    pub selection: Option<Selection>,
}

/// Ingest → audit → clean → pivot → (select), the gates on them enforced.
pub(crate) fn front(cfg: &Config, chain: &Chain) -> Result<Front> {
    // The checksum for the manifest is taken beside ingest, on the other core; ingest's
    // refusal of the path (missing, a folder, empty) is the error reported when both fail.
    // Both read the file, and each refuses one that is not a regular file before opening it;
    // one that changes meanwhile (an export still being written) is refused after.
    let path = &cfg.input.path;
    let before = crate::ingest::FileState::of(path);
    let (input, read) = rayon::join(|| input_summary(path), || chain.ingest(&cfg.input, &cfg.columns));
    let ((table, ingested), mut input) = (read?, input?);
    input.pipeline_absolute_path =
        cfg.pipeline.as_ref().map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone()).display().to_string());
    check_dates(cfg, &table)?;
    check_descriptions(cfg, &table)?;
    // the columns as the export names them (ingest::find_column)
    let columns = table.columns.clone();
    let (canonical, audited) = chain.audit(table, (&cfg.input, &cfg.columns))?;
    // after the audit, which may read the export again (dates after the clock)
    if let Some(detail) = before.and_then(|b| b.change(crate::ingest::FileState::of(path).as_ref())) {
        return Err(crate::error::InputError::Changed { path: path.clone(), detail }.into());
    }
    check_required(cfg, &columns, &audited)?;
    let previous = previous_run(&cfg.output.dir);
    let emptied = check_emptied(&audited, previous.as_ref());
    let (cleaned, mut cleaned_report) = chain.clean(canonical, &cfg.clean.reading(&columns))?;
    chain.after_cleaning(&cleaned, &mut cleaned_report, &audited)?;
    warn_stand_in(previous.as_ref(), cfg);
    let (kind, int64_because, typed) = customer_type(cfg, previous.clone());
    let ids = pivot::IdTyping { kind, int64_because: int64_because.as_deref(), column: &columns.customer };
    // The selection splits the cleaned rows itself: it keeps a view of them (no copy).
    let to_select = (cfg.model.kind == Kind::Auto).then(|| cleaned.part(|_| true));
    let (matrix, pivoted) = chain.pivot(cleaned, ids, &cfg.input.path)?;
    note_long_ids(&matrix.customers, &columns.customer, cfg.quiet);
    let mut gates = check_gates(cfg, (ingested.skipped_rows, &cleaned_report), matrix.n_customers(), previous.as_ref());
    gates.extend(check_lost_digits(cfg.gates.max_ids_lost_digits_share, &audited));
    gates.extend(emptied);
    gates.extend(check_item_lists(cfg, &columns.item, pivoted.item_lists.as_ref()));
    let newest = newest_purchase(&audited, &cleaned_report);
    let column = newest.as_ref().map(|(column, _)| column.clone());
    gates.extend(check_newest(cfg.gates.max_days_back_vs_previous, newest, previous.as_ref()));
    let history = cleaned_report.kept_rows_by_day.as_ref();
    let now = (history, column.as_deref(), Some(matrix.n_customers()));
    gates.extend(check_history(cfg, now, previous.as_ref(), chrono::Utc::now()));
    if let Some(date) = audited.date() {
        let now = (date.invalid, date.non_null, date.column.as_str());
        gates.extend(check_invalid_dates(cfg, now, previous.as_ref()));
        gates.extend(check_invalid_date_share(cfg, date, uses_dates(cfg), cleaned_report.repeated_headers()));
    }
    let quiet = cleaned_report.quiet_weekdays.as_deref();
    gates.extend(check_unchanged(cfg, &mut input, previous.as_ref(), (quiet, chrono::Utc::now())));
    gates.extend(typed);
    warn_unrecorded(&gates, cfg.quiet);
    enforce(&[], &gates, cfg.force, cfg.quiet)?;
    let (choice, selection) = match to_select {
        Some(rows) => {
            let previously = previous.as_ref().and_then(|p| p.chosen.clone());
            let (choice, mut selection) =
                chain.select(rows, cfg, ids, (Offers::of(&columns), matrix.n_items()), previously.as_ref())?;
            (select::for_all_purchases(choice, &mut selection, &matrix, cfg.quiet), Some(selection))
        }
        None => (Candidate::named(cfg), None),
    };
    Ok(Front { input, ingested, audited, cleaned: cleaned_report, pivoted, matrix, previous, gates, choice, selection })
}

fn run_locked(cfg: &Config, publisher: &Publisher, run_id: &str, started: String) -> Result<Manifest> {
    let chain = Chain::new(cfg.quiet);
    let Front { input, ingested, audited, cleaned, pivoted, matrix, previous, mut gates, choice, selection } =
        front(cfg, &chain)?;
    let (model, sim_report) = chain.chosen(&matrix, &choice)?;
    let (customer_nb, nb_report) = customers_beside(&chain, cfg, &matrix, &model, &choice, 0..matrix.n_customers());
    let (recs, rec_report) = chain.recommend(&matrix, &model, &choice.recommend);
    // the customers the winner was scored on (as the sharded publish reads selection.parquet)
    let popular = selection.as_ref().map(|s| s.winner.metrics.customers);
    let popular = popular.filter(|_| choice.family == Family::Popularity);
    let mut made = check_output_gates(cfg, &rec_report, previous, popular);
    let (drift, drift_report, drift_gate) = drift_against_previous(cfg, &chain, &matrix, &recs);
    made.extend(drift_gate);
    warn_unrecorded(&made, cfg.quiet);
    enforce(&gates, &made, cfg.force, cfg.quiet)?;
    gates.extend(made);
    let staging = publisher.begin()?;
    let selection_frame = selection.as_ref().map_or_else(select::empty_frame, Selection::to_frame);
    let selection_frame = selection_frame.map_err(crate::error::Error::frame("select"))?;
    let null_audit = audited.to_frame().map_err(crate::error::Error::frame("audit"))?;
    let outputs = Outputs {
        matrix: &matrix,
        model: &model,
        customer_neighbours: &customer_nb,
        recommendations: &recs,
        null_audit: &null_audit,
        selection: &selection_frame,
        drift: &drift,
        run_id,
    };
    let written = chain.write(&staging, &outputs, cfg.output.compression)?;
    let reports = Reports {
        ingest: ingested,
        audit: audited,
        clean: cleaned,
        pivot: pivoted,
        similarity: sim_report,
        customer_neighbours: nb_report,
        recommend: rec_report,
        write: written,
    };
    let run =
        Run { run_id, sequence: publisher.sequence(), started, input, gates, selection, drift: Some(drift_report) };
    let mut manifest = Manifest::new(cfg, run, &matrix, reports);
    let tables = report::Tables { matrix: &matrix, recommendations: &recs, customer_neighbours: &customer_nb };
    let made = finish_set(&chain, &staging, &manifest, &tables)?;
    manifest.stages.push(report_stage(&made));
    Ok(manifest)
}

/// The last two files of a published set, made the same way by `kindred run` and a sharded
/// publish: `report.html`, rendered from `manifest` (as JSON: every key is reachable) and the
/// run's tables, then `manifest.json`, which lists the report (`reports.report` and a `report`
/// stage). Returns the report's line.
pub(crate) fn finish_set(
    chain: &Chain,
    staging: &Path,
    manifest: &impl Serialize,
    tables: &report::Tables,
) -> Result<report::ReportReport> {
    let path = staging.join(file::MANIFEST);
    let json = |e: serde_json::Error| OutputError::Json { path: path.clone(), detail: e.to_string() };
    let mut value = serde_json::to_value(manifest).map_err(json)?;
    let made = chain.report(staging, &value, tables)?;
    if let Some(reports) = value.get_mut("reports").and_then(serde_json::Value::as_object_mut) {
        reports.insert("report".into(), serde_json::to_value(&made).map_err(json)?);
    }
    if let Some(stages) = value.get_mut("stages").and_then(serde_json::Value::as_array_mut) {
        stages.push(serde_json::to_value(report_stage(&made)).map_err(json)?);
    }
    write_manifest(staging, &value)?;
    Ok(made)
}

/// The report's line in the manifest's `stages`.
fn report_stage(made: &report::ReportReport) -> StageSummary {
    summary("report", made.seconds, made.rows_in, made.rows_out)
}

/// The customers' neighbours beside the model `choice` learnt (the pipeline's
/// `[model] customer_neighbours` of them); popularity has no model: they are computed as beside
/// an item model. A named `kind = "user"` publishes its own, as they are.
pub(crate) fn customers_beside<'a>(
    chain: &Chain,
    cfg: &Config,
    m: &pivot::Interactions,
    model: &'a Model,
    choice: &Candidate,
    rows: std::ops::Range<usize>,
) -> (Cow<'a, Neighbours>, CustomerNeighboursReport) {
    let asked = ModelConfig { customer_neighbours: cfg.model.customer_neighbours, ..choice.model.clone() };
    let n = cfg.model.customer_neighbours;
    // auto's user-kNN learnt the grid's largest K (50) for every K it tries: the table holds the
    // pipeline's N, as beside any other winner (it had 50 rows a customer on the nights
    // user-kNN won, 20 on the others) — the first N of them (the same binary cosine), else
    // computed as beside an item model
    let auto_user = choice.family == Family::UserKnn && cfg.model.kind == Kind::Auto;
    match choice.family {
        _ if auto_user && asked.is_plain_user() && (1..=asked.neighbours).contains(&n) => {
            let kept = Model::User(model.neighbours().truncated(n));
            let (nb, report) = chain.customer_neighbours(m, Some(&kept), &ModelConfig { neighbours: n, ..asked }, rows);
            (Cow::Owned(nb.into_owned()), report)
        }
        _ if auto_user => chain.customer_neighbours(m, None, &asked, rows),
        Family::Popularity => chain.customer_neighbours(m, None, &asked, rows),
        _ => chain.customer_neighbours(m, Some(model), &asked, rows),
    }
}

/// Today's lists against the last published set's — `drift.parquet`, the manifest's `drift` and
/// the gate `[gates] max_changed_share` on them — as `kindred run` and a sharded `kindred
/// publish` both make them, under the output folder's lock (so `current` is the set it pointed
/// to when the run started).
pub(crate) fn drift_against_previous(
    cfg: &Config,
    chain: &Chain,
    m: &pivot::Interactions,
    recs: &recommend::Recommendations,
) -> (Drift, DriftReport, Vec<GateCheck>) {
    let previous = publish::compared_run(&cfg.output.dir).filter(|c| c.read).and_then(|c| {
        let dir = c.run;
        let run_id = dir.file_name()?.to_string_lossy().into_owned();
        Some(PreviousSet { run_id, recommendations: dir.join(file::RECOMMENDATIONS), items: dir.join(file::ITEMS) })
    });
    let (drift, report) = chain.drift(m, recs, &DriftConfig { previous });
    let gates = check_rewritten(cfg.gates.max_customers_rewritten_vs_previous, &report)
        .into_iter()
        .chain(check_items_rewritten(cfg.gates.max_items_rewritten_vs_previous, &report))
        .chain(check_nothing_in_common(cfg, &report, m.n_items(), || previous_run(&cfg.output.dir)))
        .chain(check_drift_gate(cfg.gates.max_changed_share, &report))
        .collect();
    (drift, report, gates)
}

/// The gate `[gates] max_customers_rewritten_vs_previous`: refuses when more than `limit` of
/// the last published set's customers with a list are gone and back under an id written
/// otherwise (`drift.rewritten`: equal but for case, punctuation, leading zeros or Unicode form), or more than
/// `limit` of today's new customers are its customers written otherwise, gone or still there
/// ([`NewTwins`]). A shop's customers do not change their ids overnight; an export does when it
/// writes them otherwise — `0000012001` one night, a workbook's number `12001` the next: every
/// count gate passed and every list changed (a helper's 60 of 60 customers gone and new, exit
/// 0); an export keeping its history that does so from one day on keeps the old ids beside the
/// new, and only that day's customers come back so (108 of 111 new customers, 2.5% of all: the
/// first measure alone passed it). Customers who leave a rolling export, or a shop's turnover,
/// are gone without coming back so: not counted (a first version counting every gone customer
/// refused a 30-day rolling export run a month apart: 83% gone). Passes, saying why, when there
/// is nothing to compare.
fn check_rewritten(limit: f64, r: &DriftReport) -> Option<GateCheck> {
    let said = move |run: &str, share: f64| {
        format!(
            "{} of the {} with a list in run {run} ({:.1}%) are gone and back under ids written otherwise (equal but for case, punctuation, leading zeros or Unicode form)",
            r.rewritten,
            counted(r.kept + r.gone, "customer"),
            share * 100.0,
        )
    };
    let new = NewTwins {
        twins: r.new_rewritten,
        new_forms: r.new_rewritten_new_forms,
        new: r.new,
        before_twins: r.previous_twins,
        noun: "customers",
    };
    rewritten_verdict(
        ("max_customers_rewritten_vs_previous", "ids"),
        limit,
        r,
        (r.rewritten, r.kept + r.gone),
        new,
        said,
    )
}

/// A rewritten-ids gate's second measure: today's new ids (customers or items) that are the last
/// published set's written otherwise (`twins` of `new`), those of them written so in a way that
/// set's own ids are not (`new_forms`: case, punctuation, leading zeros, Unicode form; drift's
/// `Form`) judged — a share against the gate's limit — from [`MIN_NEW_TWINS`] on. A set that
/// holds ids in two cases already — a shop's own, or a rewrite published with `--force`, whose
/// export keeps its history: every night sells items first since the rewrite, twins of their
/// old forms (a helper's: 126 of 132 new items, refused again each night after the forced one,
/// where `--force` is to settle it) — explains more in two cases, not in two widths: a first
/// version judged only sets holding fewer than two twins of any kind, and two full-width codes a
/// clerk typed in November let a lower-cased night in December publish (helper-97).
struct NewTwins {
    twins: usize,
    new_forms: usize,
    new: usize,
    before_twins: usize,
    noun: &'static str,
}

/// The fewest new ids written otherwise [`NewTwins`] judges: one alone is a look-alike or a
/// keying slip, not an export writing ids otherwise, which writes so every id of its form the
/// night sells (a helper's: a till's one `85123a` beside `85123A` refused six nights running, 25%
/// of 4 new items the first, until 20 new items had come; an email with a dot beside one
/// without it, a small shop's one new customer that night: 100%).
const MIN_NEW_TWINS: usize = 2;

impl NewTwins {
    /// The share judged, if it is.
    fn share(&self) -> Option<f64> {
        (self.new_forms >= MIN_NEW_TWINS).then(|| self.new_forms as f64 / self.new as f64)
    }

    fn said(&self) -> String {
        let (n, of) = (self.noun, format!("of today's {} new {}", self.new, self.noun));
        let owned = match self.twins - self.new_forms {
            0 => String::new(),
            own => format!(
                "; {own} as that run's {n} are written already ({} of them equal to another but for their form: the shop's own, or a rewrite published with `--force`)",
                self.before_twins
            ),
        };
        match self.share() {
            Some(s) => format!(
                "{} {of} ({:.1}%) {} that run's {n} written otherwise, gone or still there{owned}",
                self.new_forms,
                s * 100.0,
                crate::words::agrees(self.new_forms, "is one of", "are"),
            ),
            None => format!(
                "{} {of} {} that run's written otherwise, not judged: {} in a form that run's {n} do not hold twice, under {MIN_NEW_TWINS}{owned}",
                self.twins,
                crate::words::agrees(self.twins, "is one of", "are"),
                self.new_forms
            ),
        }
    }
}

/// A rewritten-ids gate's verdict: the `rewritten` of the last published set's `before` ids,
/// what `said` says of them (given the run and the share), and today's [`NewTwins`], against
/// `limit` — refused when either share exceeds it — and on a refusal what to do of the `ids`;
/// passes, saying why, when there is nothing to compare.
fn rewritten_verdict(
    (gate, ids): (&'static str, &str),
    limit: f64,
    r: &DriftReport,
    (rewritten, before): (usize, usize),
    new: NewTwins,
    said: impl Fn(&str, f64) -> String,
) -> Option<GateCheck> {
    let Some(run) = r.previous_run_id.as_ref().filter(|_| before > 0) else {
        let why = r.note.as_deref().unwrap_or("nothing to compare");
        return Some(GateCheck { gate, passed: true, detail: format!("not checked: {why}") });
    };
    let share = rewritten as f64 / before as f64;
    let passed = share <= limit && new.share().is_none_or(|s| s <= limit);
    let todo = match passed {
        true => String::new(),
        false => format!(": write the {ids} as that run's export did, or `--force` to publish the new form"),
    };
    let detail = format!("{}; {}; the limit is {:.1}%{todo}", said(run, share), new.said(), limit * 100.0);
    Some(GateCheck { gate, passed, detail })
}

/// The gate `[gates] max_items_rewritten_vs_previous`: refuses when today's new items that are
/// the last published catalogue's ids written otherwise (`drift.items_rewritten`: equal to one
/// of them but for case, punctuation, leading zeros or Unicode form, gone or still there) are more than
/// `limit` of that catalogue or of today's new items (`drift.new_items`, [`NewTwins`]), as
/// [`check_rewritten`] does for customers: a workbook that turned product codes into numbers
/// (`00123` → `123`) passed every gate while every list holding them changed, joins on the old
/// ids broke, and in an export keeping its history customers were recommended what they had
/// bought under the other id. A rewrite touches only the codes of one form (with letters, or
/// with leading zeros): lower-casing another shop's export rewrote 19.1% of its catalogue, the
/// shipped one's 23.8% (a reviewer's), which a limit of a fifth let through; real nights and
/// rolling exports of five shops rewrote none. An export keeping its history that lower-cased
/// its codes from one day on rewrote 70 items, 1.9% of the catalogue but all 70 of the night's
/// new ones, and 94.6% of lists changed (17,003 of 43,010 rows recommending one of them): the
/// catalogue's share alone passed it. Passes, saying why, when there is nothing to compare.
fn check_items_rewritten(limit: f64, r: &DriftReport) -> Option<GateCheck> {
    let example = match &r.items_example {
        Some((was, is)) => {
            let shown = |id: &str| crate::progress::printable(id, crate::progress::Lines::Escaped).into_owned();
            format!("; e.g. '{}' is now '{}'", shown(was), shown(is))
        }
        None => String::new(),
    };
    let (rewritten, before) = (r.items_rewritten, r.previous_items.unwrap_or(0));
    let said = |run: &str, share: f64| {
        format!(
            "{} {} of run {run}'s catalogue written otherwise ({:.1}% of its {before}; equal but for case, punctuation, leading zeros or Unicode form{example})",
            counted(rewritten, "new item"),
            crate::words::agrees(rewritten, "is an id", "are ids"),
            share * 100.0,
        )
    };
    let new = NewTwins {
        twins: rewritten,
        new_forms: r.items_rewritten_new_forms,
        new: r.new_items.unwrap_or(0),
        before_twins: r.previous_items_twins,
        noun: "items",
    };
    rewritten_verdict(("max_items_rewritten_vs_previous", "item ids"), limit, r, (rewritten, before), new, said)
}

/// The gate `[gates] max_changed_share` (none when the key is not set): refuses when a larger
/// share of customers' lists changed; passes, saying why, when there was nothing to compare.
fn check_drift_gate(limit: Option<f64>, r: &DriftReport) -> Option<GateCheck> {
    let limit = limit?;
    let (passed, detail) = match (r.changed_share, &r.previous_run_id) {
        (Some(share), Some(run)) => (
            share <= limit,
            format!(
                "{} of {} lists changed against run {run} (changed_share {:.4}, {:.1}%); the limit is {:.1}%",
                r.changed,
                counted_own(r.customers, "customer"),
                share,
                share * 100.0,
                limit * 100.0
            ),
        ),
        _ => (true, format!("not checked: {}", r.note.as_deref().unwrap_or("nothing to compare"))),
    };
    Some(GateCheck { gate: "max_changed_share", passed, detail })
}

/// What a run knows of itself besides the stages' reports.
pub(crate) struct Run<'a> {
    pub run_id: &'a str,
    /// [`Publisher::sequence`]; a prepared run's, the sequence its publish is after.
    pub sequence: u64,
    pub started: String,
    pub input: InputSummary,
    pub gates: Vec<GateCheck>,
    pub selection: Option<Selection>,
    /// None in a prepared run's manifest (the drift is made by its publish).
    pub drift: Option<DriftReport>,
}

impl Manifest {
    pub(crate) fn new(cfg: &Config, run: Run, matrix: &pivot::Interactions, reports: Reports) -> Manifest {
        Manifest {
            header: RunHeader::new("published", run.run_id, run.sequence, &run.started),
            input: run.input,
            parameters: cfg.clone(),
            forced: cfg.force && run.gates.iter().any(|g| !g.passed),
            gates: run.gates,
            stages: with_drift(with_select(reports.stages(), run.selection.as_ref()), run.drift.as_ref()),
            customers: matrix.n_customers(),
            items: matrix.n_items(),
            pairs: matrix.n_pairs(),
            customer_id_type: matrix.customers.dtype_name().to_string(),
            peak_rss_bytes: peak_rss_bytes(),
            selection: run.selection,
            sharded: None,
            drift: run.drift,
            reports,
        }
    }
}

/// The stages with the selection's after the pivot, when the model was chosen.
fn with_select(mut stages: Vec<StageSummary>, selection: Option<&Selection>) -> Vec<StageSummary> {
    if let Some(s) = selection {
        let at = stages.iter().position(|x| x.name == "pivot").map_or(stages.len(), |p| p + 1);
        let rows_in = s.window.train_rows + s.window.test_rows;
        stages.insert(at, summary("select", s.seconds, rows_in, s.candidates.len()));
    }
    stages
}

/// The stages with the drift's after recommend, when it was made.
pub(crate) fn with_drift(mut stages: Vec<StageSummary>, drift: Option<&DriftReport>) -> Vec<StageSummary> {
    if let Some(d) = drift {
        let at = stages.iter().position(|x| x.name == "recommend").map_or(stages.len(), |p| p + 1);
        stages.insert(at, drift_stage(d));
    }
    stages
}

/// The drift's line in the manifest's `stages`.
pub(crate) fn drift_stage(d: &DriftReport) -> StageSummary {
    summary("drift", d.seconds, d.customers, d.customers)
}

pub(crate) fn write_manifest(dir: &Path, manifest: &impl Serialize) -> Result<()> {
    let path = dir.join(file::MANIFEST);
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| OutputError::Json { path: path.clone(), detail: e.to_string() })?;
    let io = |source| OutputError::Io { path: path.clone(), source };
    let mut f = std::fs::File::create(&path).map_err(io)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}

/// A failed or refused run's `manifest.json`, alone in `runs/<run_id>/`: what was asked, what
/// went wrong, and the gates' verdicts when one refused.
#[derive(Debug, Clone, Serialize)]
pub struct FailedManifest {
    #[serde(flatten)]
    pub header: RunHeader,
    pub input: FailedInput,
    pub parameters: Config,
    pub exit_code: u8,
    pub error: FailedError,
    /// Every gate verdict known when a gate refused; empty otherwise.
    pub gates: Vec<Verdict>,
}

/// The input of a failed run: its size and checksum when it could be read.
#[derive(Debug, Clone, Serialize)]
pub struct FailedInput {
    pub path: String,
    pub bytes: Option<u64>,
    pub sha256: Option<String>,
}

/// The error a failed run ended with: its one-line message and its causes.
#[derive(Debug, Clone, Serialize)]
pub struct FailedError {
    pub message: String,
    pub causes: Vec<String>,
}

/// A run that took the lock, for the record it leaves if it fails.
pub struct Attempt<'a> {
    pub cfg: &'a Config,
    pub run_id: &'a str,
    pub started: &'a str,
    /// The export the attempt's set comes from, when it is not the pipeline's (a prepared
    /// run's); `None`: the pipeline's, summarised as the record is written.
    pub input: Option<FailedInput>,
}

impl Attempt<'_> {
    /// Records the run as failed or refused by `error`, drops its staging folder and hands the
    /// error back. A record that cannot be written is a warning: the run's error is the news.
    pub fn failed(&self, publisher: Publisher, error: Error) -> Error {
        let mut causes = Vec::new();
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            causes.push(cause.to_string());
            source = cause.source();
        }
        let gates = match &error {
            Error::Gate(g) => g.verdicts.clone(),
            _ => Vec::new(),
        };
        let message = FailedError { message: error.to_string(), causes };
        self.record(publisher, error.exit_code(), message, gates);
        error
    }

    /// Records the run as failed by a panic (a bug; `main` reports it), and drops its staging.
    pub fn panicked(&self, publisher: Publisher, payload: &(dyn std::any::Any + Send)) {
        let what = crate::error::panic_text(payload);
        let message = match crate::error::refused_resources(&what) {
            true => format!("the system refused kindred a thread or memory: {what}"),
            false => format!("internal error: {what} (a bug in kindred)"),
        };
        let message = FailedError { message, causes: Vec::new() };
        self.record(publisher, Exit::Runtime, message, Vec::new());
    }

    fn record(&self, publisher: Publisher, exit: Exit, error: FailedError, gates: Vec<Verdict>) {
        let input = self.input.clone().unwrap_or_else(|| {
            let path = &self.cfg.input.path;
            let known = input_summary(path).ok();
            FailedInput {
                path: path.display().to_string(),
                bytes: known.as_ref().map(|k| k.bytes),
                sha256: known.map(|k| k.sha256),
            }
        });
        let status = if exit == Exit::Refused { "refused" } else { "failed" };
        let manifest = FailedManifest {
            header: RunHeader::new(status, self.run_id, publisher.sequence(), self.started),
            input,
            parameters: self.cfg.clone(),
            exit_code: exit as u8,
            error,
            gates,
        };
        let written = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| {
                let record = publisher.staging().join(file::MANIFEST);
                Error::from(OutputError::Json { path: record, detail: e.to_string() })
            })
            .and_then(|text| publisher.record_failure(&text));
        if let Err(e) = written {
            crate::progress::warn(false, &format!("the failed run's record was not written: {e}"));
        }
        publisher.abandon();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Overrides, PipelineFile};

    fn cfg(gates: &str) -> Config {
        let file: PipelineFile = toml::from_str(gates).unwrap();
        let cli = Overrides { input: Some("x.csv".into()), ..Default::default() };
        Config::build(file, Path::new("."), &cli).unwrap()
    }

    fn made(customers: usize, rows: usize, model_rows: usize) -> recommend::RecommendReport {
        recommend::RecommendReport {
            rows_in: customers,
            rows_out: rows,
            from_neighbours_rows: model_rows,
            popular_rows: rows - model_rows,
            segment_rows: 0,
            topped_up_customers: 0,
            customers_without_rows: 0,
            withheld_items: 0,
            unknown_never_recommend: Vec::new(),
            seconds: 0.0,
        }
    }

    fn failed(checks: &[GateCheck]) -> Vec<&'static str> {
        checks.iter().filter(|c| !c.passed).map(|c| c.gate).collect()
    }

    /// Issue 14 case 8: the gates on what the model made, by hand.
    #[test]
    fn output_gates_refuse_an_empty_or_shrunk_set() {
        let c = cfg("");
        // no model row while there are customers: refused, with or without popular rows
        assert_eq!(failed(&check_output_gates(&c, &made(7, 0, 0), None, None)), ["model_recommendations"]);
        assert_eq!(failed(&check_output_gates(&c, &made(7, 70, 0), None, None)), ["model_recommendations"]);
        // every candidate withheld by never_recommend: the refusal names the key
        let withheld = recommend::RecommendReport { withheld_items: 4, ..made(7, 0, 0) };
        let checks = check_output_gates(&c, &withheld, None, None);
        assert!(checks[0].detail.contains("never_recommend, which keeps 4 of the items out"), "{checks:?}");
        assert!(failed(&check_output_gates(&c, &made(0, 0, 0), None, None)).is_empty(), "no customers: other gates");
        let prev = Previous {
            customers: Some(7),
            rows: Some(100),
            model_rows: Some(80),
            per_customer: Some(10),
            customer_id_type: None,
            ..Default::default()
        };
        assert!(failed(&check_output_gates(&c, &made(7, 50, 40), Some(prev.clone()), None)).is_empty(), "exactly 50%");
        assert_eq!(
            failed(&check_output_gates(&c, &made(7, 49, 40), Some(prev.clone()), None)),
            ["max_row_drop_vs_previous"]
        );
        assert_eq!(
            failed(&check_output_gates(&c, &made(7, 100, 39), Some(prev.clone()), None)),
            ["max_model_row_drop_vs_previous"]
        );
        // a lower per_customer scales the previous counts: 10 → 2 expects 20 and 16
        let short = cfg("[recommend]\nper_customer = 2");
        assert!(failed(&check_output_gates(&short, &made(7, 10, 8), Some(prev.clone()), None)).is_empty());
        assert_eq!(
            failed(&check_output_gates(&short, &made(7, 9, 8), Some(prev.clone()), None)),
            ["max_row_drop_vs_previous"]
        );
        // the keys loosen it; a manifest without the counts skips those gates
        let loose = cfg("[gates]\nmax_row_drop_vs_previous = 1.0\nmax_model_row_drop_vs_previous = 1.0");
        assert!(failed(&check_output_gates(&loose, &made(7, 1, 1), Some(prev.clone()), None)).is_empty());
        assert!(failed(&check_output_gates(&c, &made(7, 1, 1), Some(Previous::default()), None)).is_empty());
        // a selection that chose popularity makes no model rows on purpose
        assert!(failed(&check_output_gates(&c, &made(7, 70, 0), Some(prev.clone()), Some(5))).is_empty());
        assert_eq!(
            failed(&check_output_gates(&c, &made(7, 30, 0), Some(prev.clone()), Some(5))),
            ["max_row_drop_vs_previous"]
        );
        // ... when it chose on evidence and popularity makes rows (session 25: one item, or one
        // customer owning every item, published an empty set, exit 0)
        for scored in [0, 5] {
            let checks = check_output_gates(&c, &made(7, 0, 0), None, Some(scored));
            assert_eq!(failed(&checks), ["model_recommendations"], "{scored} scored");
            assert!(checks[0].detail.contains("recommends nothing"), "{}", checks[0].detail);
        }
        // chosen with no customer scored (a tiny export's held-back share caught nothing): the
        // simplest candidate, said so; a named model would publish there too
        let checks = check_output_gates(&c, &made(7, 70, 0), None, Some(0));
        assert!(failed(&checks).is_empty() && checks[0].detail.contains("simplest candidate"), "{checks:?}");
    }

    /// `[gates] max_changed_share` by hand: off unless set, the limit itself passes, nothing
    /// to compare passes saying why.
    #[test]
    fn the_drift_gate_refuses_a_larger_changed_share() {
        let report = |share: Option<f64>, note: Option<&str>| DriftReport {
            previous_run_id: share.map(|_| "R".to_string()),
            customers: 8,
            kept: 6,
            new: 1,
            gone: 1,
            changed: 2,
            changed_share: share,
            note: note.map(str::to_string),
            ..DriftReport::default()
        };
        assert!(check_drift_gate(None, &report(Some(0.25), None)).is_none(), "off by default");
        let at = check_drift_gate(Some(0.25), &report(Some(0.25), None)).unwrap();
        assert!(at.passed && at.gate == "max_changed_share", "{at:?}");
        let over = check_drift_gate(Some(0.2), &report(Some(0.25), None)).unwrap();
        assert!(!over.passed, "{over:?}");
        assert!(over.detail.starts_with("2 of 8 customers' lists changed against run R (changed_share 0.2500, 25.0%)"));
        assert!(over.detail.ends_with("the limit is 20.0%"), "{}", over.detail);
        let first = check_drift_gate(Some(0.0), &report(None, Some("first run: no previous published set"))).unwrap();
        assert!(first.passed && first.detail == "not checked: first run: no previous published set", "{first:?}");
        assert!(cfg("[gates]\nmax_changed_share = 0.3").gates.max_changed_share == Some(0.3));
    }

    #[test]
    fn the_previous_counts_come_from_its_manifest() {
        let manifest = serde_json::json!({
            "customers": 4339,
            "run_id": "20111209T210000.000",
            "input": {"path": "x.csv", "sha256": "abc"},
            "customer_id_type": "Int64",
            "selection": {"winner": {"candidate": "ease", "settings": "lambda=350", "ndcg": 0.15}},
            "parameters": {"recommend": {"per_customer": 10}},
            "started_utc": "2011-12-09T21:00:00.000Z",
            "reports": {
                "recommend": {"rows_out": 43390, "from_neighbours_rows": 43322},
                "clean": {"kept_rows_by_day": {"first": "2011-12-08", "rows": [5, 0, 7]}},
                "audit": {"columns": [
                    {"column": "StockCode", "role": "item", "max": "X"},
                    {"column": "InvoiceDate", "role": "date", "max": "2011-12-09 12:50:00"}
                ]}
            }
        });
        let p = previous_from(&manifest);
        assert_eq!(
            p,
            Previous {
                customers: Some(4339),
                rows: Some(43390),
                model_rows: Some(43322),
                per_customer: Some(10),
                customer_id_type: Some("Int64"),
                newest: Some(("InvoiceDate".into(), "2011-12-09 12:50:00".into())),
                chosen: Some(select::Previously { candidate: "ease".into(), settings: "lambda=350".into() }),
                input: Some(("abc".into(), "20111209T210000.000".into())),
                settings: Some(serde_json::json!({"recommend": {"per_customer": 10}})),
                made_by: None,
                unread: None,
                history: Some(crate::clean::RowsByDay {
                    first: "2011-12-08".into(),
                    rows: vec![5, 0, 7],
                    ..Default::default()
                }),
                started: chrono::DateTime::parse_from_rfc3339("2011-12-09T21:00:00Z").ok().map(|t| t.to_utc()),
                run_id: Some("20111209T210000.000".into()),
                invalid_dates: None,
                made_from: None,
                stand_in: None,
                filled: Vec::new(),
            }
        );
        assert_eq!(previous_from(&serde_json::json!({"customers": 3})).rows, None);
        // kindred 0.3.0's audit recorded no latest date; its selection window's end stands in
        let old = serde_json::json!({
            "kindred_version": "0.3.0",
            "reports": {"audit": {"columns": [{"column": "InvoiceDate", "role": "date"}]}},
            "selection": {"window": {"kind": "days", "days": 30.0, "start_utc": "2011-11-09 12:50:00"}}
        });
        assert_eq!(previous_from(&old).newest, Some(("InvoiceDate".into(), "2011-12-09 12:50:00".into())));
        let mut undated = old.clone();
        undated["selection"]["window"] = serde_json::json!({"kind": "share", "share": 0.2, "start_utc": null});
        assert_eq!(previous_from(&undated).newest, None);
        // a run that read the same bytes as the one before it names the first of them
        let again = serde_json::json!({"run_id": "b", "input": {"sha256": "abc", "unchanged_since": "a"}});
        assert_eq!(previous_from(&again).input, Some(("abc".into(), "a".into())));
    }

    /// `[gates] refuse_nothing_in_common`: a set sharing no item with the last one, or whose
    /// items in common are most of them described otherwise, is refused, whatever customers it
    /// shares, counting today's customers (kept + new); the same shop's ids written
    /// otherwise (an upgrade from `="00123"` ids: helper-100) are the rewritten-ids gates' to
    /// judge, not "another shop's"; an unreadable catalogue or a first run is not compared.
    #[test]
    fn a_set_with_nothing_in_common_is_refused_unless_its_ids_are_rewritten() {
        let other = DriftReport {
            previous_run_id: Some("20261204T020000.000Z-1".into()),
            customers: 300,
            kept: 0,
            new: 120,
            gone: 180,
            previous_items: Some(50),
            new_items: Some(40),
            ..Default::default()
        };
        let on = cfg("");
        let check = check_nothing_in_common(&on, &other, 40, || None).unwrap();
        assert!(!check.passed && check.gate == "refuse_nothing_in_common", "{check:?}");
        assert!(
            check.detail.contains("none of the 180 customers with a list and none of the 50 items"),
            "{}",
            check.detail
        );
        assert!(check.detail.contains("this run's 120 customers and 40 items"), "{}", check.detail);
        let rewritten = DriftReport { rewritten: 170, items_rewritten: 40, ..other.clone() };
        let check = check_nothing_in_common(&on, &rewritten, 40, || None).unwrap();
        assert!(check.passed && check.detail.contains("the rewritten-ids gates judge it"), "{check:?}");
        // customers in common, no item: two shops numbering customers from 1, coded products
        let customers = DriftReport { kept: 150, gone: 30, ..other.clone() };
        let check = check_nothing_in_common(&on, &customers, 40, || None).unwrap();
        assert!(!check.passed && check.detail.contains("150 of the 180 customers with a list and none of the 50"));
        // items in common that name the same products, but for their form: one shop's nights
        let shared = DriftReport { new_items: Some(10), items_described: Some(30), ..customers.clone() };
        let shared = DriftReport { items_described_otherwise: 15, ..shared };
        let check = check_nothing_in_common(&on, &shared, 40, || None).unwrap();
        assert!(check.passed && check.detail.contains("30 items in common"), "{check:?}");
        assert!(check.detail.contains("15 of 30 described otherwise"), "{check:?}");
        // and ids in common naming other products, most of them: two shops numbering from 1
        let example = Some(("7".to_string(), "WHITE MUG".to_string(), "wool socks".to_string()));
        let renamed = DriftReport { items_described_otherwise: 16, described_example: example, ..shared.clone() };
        let check = check_nothing_in_common(&on, &renamed, 40, || None).unwrap();
        assert!(!check.passed, "{check:?}");
        assert!(check.detail.contains("the 30 item ids in common with run 20261204T020000.000Z-1 name other products: 16 of the 30 described in both are described otherwise (e.g. '7' was 'WHITE MUG', is 'wool socks')"), "{}", check.detail);
        // a rewrite explains no id in common, not ids naming other products
        let rewrite = DriftReport { rewritten: 3, ..renamed.clone() };
        assert!(!check_nothing_in_common(&on, &rewrite, 40, || None).unwrap().passed);
        let undescribed = DriftReport { items_described: None, ..renamed.clone() };
        assert!(check_nothing_in_common(&on, &undescribed, 40, || None).unwrap().passed);
        let unread = DriftReport { new_items: None, ..other.clone() };
        assert!(check_nothing_in_common(&on, &unread, 40, || None).unwrap().detail.starts_with("not checked"));
        let first = DriftReport { previous_run_id: None, ..other.clone() };
        assert!(check_nothing_in_common(&on, &first, 40, || None).is_none());
        let off = Config { quiet: true, ..cfg("[gates]\nrefuse_nothing_in_common = false") };
        assert!(check_nothing_in_common(&off, &other, 40, || None).unwrap().passed);
    }

    /// `[gates] refuse_unchanged_input`: the same bytes as the last published run's input are
    /// published again with `input.unchanged_since` set, or refused with the gate on.
    #[test]
    fn an_unchanged_export_is_marked_and_refused_when_asked() {
        let input = |sha: &str| InputSummary {
            path: "x.csv".into(),
            absolute_path: "/x.csv".into(),
            bytes: 3,
            sha256: sha.into(),
            unchanged_since: None,
            pipeline_absolute_path: None,
        };
        let quietly = |text: &str| Config { quiet: true, ..cfg(text) };
        // the last published run read "abc" with `read`'s settings (its gates aside)
        let before = |read: &Config| {
            let settings = Some(shaping(&serde_json::to_value(read).unwrap()));
            Some(Previous { input: Some(("abc".into(), "20111208T210000.000".into())), settings, ..Default::default() })
        };
        let plain = quietly("[gates]\nmax_dropped_share = 0.5");
        let now = chrono::Utc::now();
        assert!(
            check_unchanged(&plain, &mut input("abc"), None, (None, now)).is_none(),
            "nothing published: no verdict"
        );
        let mut changed = input("abd");
        let check = check_unchanged(&plain, &mut changed, before(&plain).as_ref(), (None, now)).unwrap();
        assert!(check.passed && changed.unchanged_since.is_none(), "{check:?}");
        let mut same = input("abc");
        let check = check_unchanged(&plain, &mut same, before(&plain).as_ref(), (None, now)).unwrap();
        assert!(check.passed && check.detail.contains("since run 20111208T210000.000"), "{check:?}");
        assert_eq!(same.unchanged_since.as_deref(), Some("20111208T210000.000"));
        let refusing = quietly("[gates]\nrefuse_unchanged_input = true");
        let check = check_unchanged(&refusing, &mut input("abc"), before(&plain).as_ref(), (None, now)).unwrap();
        assert!(!check.passed && check.gate == "refuse_unchanged_input", "{check:?}");
        // more threads than cores (capped, with a note) or a key the model does not read: the
        // same settings
        let noted =
            Config { threads_note: Some("capped".into()), unread_note: Some("not read".into()), ..refusing.clone() };
        let check = check_unchanged(&noted, &mut input("abc"), before(&plain).as_ref(), (None, now)).unwrap();
        assert!(!check.passed, "{check:?}");
        // the same bytes read with other settings (a pipeline changed on purpose) make a new set
        let other = quietly("[gates]\nrefuse_unchanged_input = true\n[recommend]\nper_customer = 5");
        let mut again = input("abc");
        let check = check_unchanged(&other, &mut again, before(&plain).as_ref(), (None, now)).unwrap();
        assert!(check.passed && check.detail.contains("other settings"), "{check:?}");
        assert_eq!(again.unchanged_since.as_deref(), Some("20111208T210000.000"), "the data is as old");
        // a manifest of before this check (no settings to compare): published
        let old = Some(Previous { settings: None, ..before(&plain).unwrap() });
        assert!(check_unchanged(&refusing, &mut input("abc"), old.as_ref(), (None, now)).unwrap().passed);
        // Session 36: unchanged over the days the export sells nothing on is expected (a note);
        // over a whole day it sells on, not (a warning, as before)
        let saturday = |read: &Config| Previous {
            input: Some(("abc".into(), "20261205T021500.000Z-8".into())),
            ..before(read).unwrap()
        };
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc);
        let closed = ["Saturday".to_string()];
        let sunday = (Some(&closed[..]), at("2026-12-06T02:15:00Z"));
        let check = check_unchanged(&plain, &mut input("abc"), Some(&saturday(&plain)), sunday).unwrap();
        assert!(
            check.passed
                && check
                    .detail
                    .contains("over Saturday (and 2h 15m of other days), on which its last 8 weeks sold nothing"),
            "{check:?}"
        );
        let check = check_unchanged(&refusing, &mut input("abc"), Some(&saturday(&plain)), sunday).unwrap();
        assert!(!check.passed, "the gate refuses it still: {check:?}");
        let monday = (Some(&closed[..]), at("2026-12-07T02:15:00Z"));
        let check = check_unchanged(&plain, &mut input("abc"), Some(&saturday(&plain)), monday).unwrap();
        assert!(check.detail.ends_with("has the job that writes it stopped?"), "{check:?}");
        let open_daily = (Some(&[][..]), at("2026-12-06T02:15:00Z"));
        let check = check_unchanged(&plain, &mut input("abc"), Some(&saturday(&plain)), open_daily).unwrap();
        assert!(check.detail.ends_with("has the job that writes it stopped?"), "{check:?}");
        // the review's case: a shop closed on Sundays, rerun within a day on trading days —
        // no quiet day crossed: a warning (it was a note naming a Sunday that never passed)
        let sundays = ["Sunday".to_string()];
        let rerun = (Some(&sundays[..]), at("2026-12-05T22:00:00Z"));
        let check = check_unchanged(&plain, &mut input("abc"), Some(&saturday(&plain)), rerun).unwrap();
        assert!(check.detail.ends_with("has the job that writes it stopped?"), "{check:?}");
        // a retry within half a day of the first run that read it (a helper's year of nights:
        // each retry 25 minutes on warned of a stopped job): a rerun, a note; refused still
        // when asked
        let retry = (Some(&sundays[..]), at("2026-12-05T02:40:00Z"));
        let check = check_unchanged(&plain, &mut input("abc"), Some(&saturday(&plain)), retry).unwrap();
        assert!(check.passed && check.detail.ends_with("first read 25m ago: a rerun"), "{check:?}");
        let check = check_unchanged(&refusing, &mut input("abc"), Some(&saturday(&plain)), retry).unwrap();
        assert!(!check.passed && check.detail.ends_with("a rerun"), "{check:?}");
    }

    /// `[gates] max_days_back_vs_previous`: an export that ends more than the limit before the
    /// last published run's newest purchase is refused; without dates in this run or without a
    /// published run, no gate; against a run that recorded no newest purchase, not checked, said.
    #[test]
    fn an_export_ending_before_the_published_one_is_refused() {
        let dated = |column: &str, at: &str| Some((column.to_string(), Some(at.to_string())));
        let newest = Some(("InvoiceDate".to_string(), "2011-12-09 12:50:00".to_string()));
        let published = Previous { newest, ..Default::default() };
        let before = || Some(&published);
        let at = |now: &str, limit: f64| check_newest(limit, dated("InvoiceDate", now), before()).unwrap();
        assert!(at("2011-12-09 12:50:00", 0.0).passed && at("2011-12-10 08:00:00", 0.0).passed);
        assert!(at("2011-12-08 12:50:00", 1.0).passed, "exactly the limit");
        let back = at("2011-09-13 10:00:00", 1.0);
        assert!(!back.passed && back.gate == "max_days_back_vs_previous", "{back:?}");
        assert!(
            back.detail.contains("87.1 days before the last published run's, 2011-12-09 12:50:00"),
            "{}",
            back.detail
        );
        assert!(check_newest(1.0, None, before()).is_none());
        // a date column none of whose dates reads tonight (BigQuery's `… UTC` did not): refused
        let unread = check_newest(1.0, Some(("InvoiceDate".into(), None)), before()).unwrap();
        assert!(!unread.passed && unread.detail.contains("no date in column 'InvoiceDate' reads"), "{unread:?}");
        assert!(
            check_newest(1.0, Some(("InvoiceDate".into(), None)), None).is_none(),
            "a first run: nothing to compare"
        );
        assert!(check_newest(1.0, dated("InvoiceDate", "2011-09-13 10:00:00"), None).is_none());
        // another date column is another clock: not compared
        let other = check_newest(1.0, dated("ShipDate", "2011-09-13 10:00:00"), before()).unwrap();
        assert!(
            other.passed && other.detail.starts_with(OTHER_COLUMN) && other.detail.contains("'ShipDate'"),
            "{other:?}"
        );
        // and said on stderr, as a gate that could not compare is
        assert!(unchecked(&other));
        // the same column in another case, spaces or punctuation is the same clock: compared
        for header in ["invoicedate", "Invoice Date", "invoice_date"] {
            let cut = check_newest(1.0, dated(header, "2011-09-13 10:00:00"), before()).unwrap();
            assert!(!cut.passed && cut.detail.contains("87.1 days before"), "{header}: {cut:?}");
            assert!(!unchecked(&cut));
        }
        assert_eq!(cfg("").gates.max_days_back_vs_previous, 1.0);
        // a set of kindred 0.3.0 recorded no newest purchase: the verdict says so (it was left
        // out, as if nothing had been published, and a cut export went out without a word)
        let old = Previous { made_by: Some("0.3.0".into()), ..Default::default() };
        let unchecked = check_newest(1.0, dated("InvoiceDate", "2011-09-13 10:00:00"), Some(&old)).unwrap();
        assert!(unchecked.passed, "{unchecked:?}");
        let want = "not checked, nothing to compare with: the last published run's manifest (kindred 0.3.0) records no newest purchase";
        assert!(unchecked.detail.starts_with(want), "{}", unchecked.detail);
    }

    /// `[gates] max_new_invalid_dates_vs_previous`: date values that do not read beyond the last
    /// published run's share of them (and its noise), in typical days' lines, are refused over
    /// the limit; a share the export always had, a rolling export, other settings are not.
    #[test]
    fn new_dates_that_do_not_read_are_refused() {
        use crate::clean::RowsByDay;
        let c = cfg("");
        let published = Previous {
            newest: Some(("InvoiceDate".into(), "2010-12-20 12:00:00".into())),
            // a typical day of 100 lines (the median of the days with a purchase)
            history: Some(RowsByDay {
                first: "2010-12-01".into(),
                rows: [vec![0; 3], vec![100; 10], vec![90; 7]].concat(),
                ..Default::default()
            }),
            invalid_dates: Some((0, 1_000)),
            settings: Some(shaping(&serde_json::to_value(&c).unwrap())),
            made_by: Some(env!("CARGO_PKG_VERSION").into()),
            run_id: Some("R".into()),
            ..Default::default()
        };
        let check = |now: (usize, usize), cfg: &Config, previous: &Previous| {
            check_invalid_dates(cfg, (now.0, now.1, "InvoiceDate"), Some(previous)).unwrap()
        };
        // the next night: a day's lines more, all read, or one typo among them
        let next = check((0, 1_100), &c, &published);
        let want = "0 of 1100 values in column 'InvoiceDate' do not read as a date, 0 of 1000 in the last published run (run R): 0.00 typical days' lines (100 a day)";
        assert!(next.passed && next.detail.starts_with(want), "{next:?}");
        assert!(check((1, 1_100), &c, &published).passed);
        // the new day's values in another format (an upgrade): 0.6 days
        let changed = check((60, 1_100), &c, &published);
        assert!(!changed.passed && changed.detail.starts_with("dates that do not read"), "{changed:?}");
        assert!(
            changed.detail.contains("0.60 typical days' lines") && changed.detail.contains("date_format"),
            "{changed:?}"
        );
        assert!(check((60, 1_100), &cfg("[gates]\nmax_new_invalid_dates_vs_previous = 0.7"), &published).passed);
        // a share the export always had keeps it, its noise allowed (5% of 10,000 values:
        // three standard deviations are 65 lines); a rolling export drops its old ones
        let always = Previous { invalid_dates: Some((500, 10_000)), ..published.clone() };
        assert!(check((570, 10_100), &c, &always).passed, "{:?}", check((570, 10_100), &c, &always));
        assert!(!check((700, 10_100), &c, &always).passed);
        assert!(check((0, 1_000), &c, &published).passed);
        // other cleaning settings: not compared; nothing recorded: said
        let other = check((700, 1_100), &cfg("[clean]\nexclude_items = ['X']"), &published);
        assert!(other.passed && other.detail.starts_with("not checked"), "{other:?}");
        let unrecorded = check((700, 1_100), &c, &Previous { invalid_dates: None, ..published.clone() });
        assert!(unrecorded.passed && unrecorded.detail.starts_with(UNRECORDED), "{unrecorded:?}");
        assert!(check_invalid_dates(&c, (1, 1, "InvoiceDate"), None).is_none(), "nothing published");
        assert_eq!(c.gates.max_new_invalid_dates_vs_previous, 0.5);
        // read back from a manifest
        let read = previous_from(&serde_json::json!({"reports": {"audit": {"columns": [
            {"column": "InvoiceDate", "role": "date", "invalid": 10, "non_null": 1000}]}}}));
        assert_eq!(read.invalid_dates, Some((10, 1_000)));
    }

    /// `[gates] max_history_change_vs_previous`: the lines the last published run kept on the
    /// days both exports should hold alike may not change by more than the limit — an export
    /// sorted by customer and cut, doubled, or missing days is refused; the next night's, one
    /// with late lines in its last week, a rolling export moved on by the clock or by whole
    /// days, or a run read with other cleaning settings is not; a damaged record is said.
    #[test]
    fn an_export_whose_past_changed_is_refused() {
        use crate::clean::RowsByDay;
        let days = |first: &str, rows: Vec<u64>| RowsByDay { first: first.into(), rows, ..Default::default() };
        let at = |t: &str| chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc);
        let c = cfg("");
        let published = Previous {
            newest: Some(("InvoiceDate".into(), "2010-12-20 12:00:00".into())),
            history: Some(days("2010-12-01", vec![2; 20])),
            settings: Some(shaping(&serde_json::to_value(&c).unwrap())),
            made_by: Some(env!("CARGO_PKG_VERSION").into()),
            started: Some(at("2010-12-21T02:00:00Z")),
            run_id: Some("20101221T020000.000Z-1".into()),
            ..Default::default()
        };
        let night = at("2010-12-22T02:00:00Z");
        let check = |c: &Config, now: &RowsByDay, prev: &Previous| {
            check_history(c, (Some(now), Some("InvoiceDate"), None), Some(prev), night).unwrap()
        };
        let next = check(&c, &days("2010-12-01", vec![2; 21]), &published);
        assert!(next.passed && next.gate == "max_history_change_vs_previous", "{next:?}");
        let want = "0% of the 22 purchase lines the last published run (run 20101221T020000.000Z-1) kept from 2010-12-03 to 2010-12-13 differ now (0 gone, 0 new); the limit is 10%";
        assert_eq!(next.detail, want);
        // half of each day's lines gone (sorted by customer and cut), every line twice, days missing
        let cut = check(&c, &days("2010-12-01", vec![1; 21]), &published);
        assert!(!cut.passed && cut.detail.starts_with("lines lost (part of the export"), "{cut:?}");
        assert!(cut.detail.contains("50% of the 22 purchase lines"), "{}", cut.detail);
        let most =
            "(11 gone, 0 new; most on 2010-12-03: 2 lines then, 1 now; lost on 11 of the 11 days that had lines)";
        assert!(cut.detail.contains(most), "{}", cut.detail);
        let doubled = check(&c, &days("2010-12-01", vec![4; 21]), &published);
        assert!(!doubled.passed && doubled.detail.starts_with("lines added (the export"), "{doubled:?}");
        let hole = check(&c, &days("2010-12-01", [vec![2; 5], vec![0; 3], vec![2; 13]].concat()), &published);
        assert!(!hole.passed && hole.detail.contains("27.3% of the 22"), "{hole:?}");
        let limit = cfg("[gates]\nmax_history_change_vs_previous = 0.6");
        let hole = days("2010-12-01", [vec![2; 5], vec![0; 3], vec![2; 13]].concat());
        assert!(check(&limit, &hole, &published).passed, "27% lost on 3 of 11 days, under the limit");
        // lines lost on most days (some customers' rows over the whole history: sorted by
        // customer and cut) is refused whatever the share below 100% (helper-140: 9% of the
        // lines, on 92% of the days, published at exit 0); a limit of 1 or more accepts it
        let spread = check(&limit, &days("2010-12-01", vec![1; 21]), &published);
        assert!(!spread.passed && spread.detail.starts_with("lines lost on most days"), "{spread:?}");
        assert!(spread.detail.ends_with("refused at any share below 100%"), "{}", spread.detail);
        // helper-171: lost on most days but no customer lost (an ERP's corrections deleting 300
        // old lines over 167 days, refused every night): judged by the share alone
        let counted_before = Previous { customers: Some(10), ..published.clone() };
        let corrected = |customers: usize| {
            let now = days("2010-12-01", vec![1; 21]);
            check_history(&limit, (Some(&now), Some("InvoiceDate"), Some(customers)), Some(&counted_before), night)
                .unwrap()
        };
        assert!(corrected(10).passed && corrected(11).passed, "{:?}", corrected(10));
        assert!(!corrected(9).passed && corrected(9).detail.starts_with("lines lost on most days"));
        let one = cfg("[gates]\nmax_history_change_vs_previous = 1");
        assert!(check(&one, &days("2010-12-01", vec![1; 21]), &published).passed);
        let many = Previous { history: Some(days("2010-12-01", vec![20; 20])), ..published.clone() };
        let thin = check(&c, &days("2010-12-01", [vec![20; 2], vec![19; 6], vec![20; 13]].concat()), &many);
        assert!(
            !thin.passed && thin.detail.contains("2.7% of the 220") && thin.detail.contains("lost on 6 of the 11"),
            "{thin:?}"
        );
        let few = check(&c, &days("2010-12-01", [vec![20; 2], vec![19; 5], vec![20; 14]].concat()), &many);
        assert!(few.passed && few.detail.contains("lost on 5 of the 11"), "5 days of 11: {few:?}");
        // helper-171: as many lines each day, of other customers (a join off by a row, ids
        // renumbered): refused at any share below 100% when most days are so; a few days (an
        // account merged, a code fixed) or a record without digests (before them) pass
        let digested = |rows: Vec<u64>, digests: Vec<u32>| RowsByDay {
            first: "2010-12-01".into(),
            rows,
            digests,
            ..Default::default()
        };
        let was = Previous { history: Some(digested(vec![2; 20], (1..=20).collect())), ..published.clone() };
        let same = check(&c, &digested(vec![2; 21], (1..=21).collect()), &was);
        assert!(same.passed && !same.detail.contains("other customers"), "{same:?}");
        let shifted: Vec<u32> = (1..=21).map(|d| if (3..=9).contains(&d) { d + 100 } else { d }).collect();
        let shifted = check(&c, &digested(vec![2; 21], shifted), &was);
        assert!(
            !shifted.passed && shifted.detail.starts_with("the past's lines belong to other customers"),
            "{shifted:?}"
        );
        let said = "0% of the 22 purchase lines the last published run (run 20101221T020000.000Z-1) kept from 2010-12-03 to 2010-12-13 differ now (0 gone, 0 new; other customers' lines on 7 of the 11 days with as many lines as then (the first: 2010-12-03))";
        assert!(shifted.detail.contains(said), "{}", shifted.detail);
        assert!(shifted.detail.ends_with(
            "other customers' lines on more than half the days with as many lines are refused at any share below 100%"
        ));
        let few: Vec<u32> = (1..=21).map(|d| if (3..=7).contains(&d) { d + 100 } else { d }).collect();
        let few = check(&c, &digested(vec![2; 21], few), &was);
        assert!(few.passed && few.detail.contains("on 5 of the 11 days"), "{few:?}");
        assert!(check(&one, &digested(vec![2; 21], vec![0; 21]), &was).passed, "a limit of 1 accepts it");
        assert!(check(&c, &digested(vec![2; 21], vec![0; 21]), &published).passed, "no digests before");
        // the same customers and items paired otherwise on most days (a customer column moved a
        // row against the items, helper-174): refused; a product's code changed (its items' and
        // pairs' digests both moved): published
        let paired = |items: Vec<u32>, pairs: Vec<u32>| RowsByDay {
            first: "2010-12-01".into(),
            rows: vec![2; items.len()],
            digests: (1..=items.len() as u32).collect(),
            item_digests: items,
            pair_digests: pairs,
        };
        let was = Previous { history: Some(paired((1..=20).collect(), (1..=20).collect())), ..published.clone() };
        let moved: Vec<u32> = (1..=21).map(|d| if (3..=9).contains(&d) { d + 100 } else { d }).collect();
        let shifted = check(&c, &paired((1..=21).collect(), moved.clone()), &was);
        assert!(
            !shifted.passed && shifted.detail.contains("other customers' lines on 7 of the 11 days"),
            "{shifted:?}"
        );
        let recoded = check(&c, &paired(moved.clone(), moved), &was);
        assert!(recoded.passed, "{recoded:?}");
        // a settings change elsewhere than the reading, or of a size limit, still compares
        assert!(!check(&cfg("[recommend]\nper_customer = 5"), &days("2010-12-01", vec![1; 21]), &published).passed);
        let bigger = Config { input: crate::config::InputConfig { max_rows: 9, ..c.input.clone() }, ..c.clone() };
        assert!(!check(&bigger, &days("2010-12-01", vec![1; 21]), &published).passed);
        // late lines in the last week: passed
        let late = check(&c, &days("2010-12-01", [vec![2; 14], vec![9, 9, 0, 2, 2, 2, 2]].concat()), &published);
        assert!(late.passed && late.detail.contains("(0 gone, 0 new)"), "{late:?}");
        // a rolling export: moved as the clock did (a week between runs), or by whole days
        let rolled = days("2010-12-05", vec![2; 17]);
        let week =
            check_history(&c, (Some(&rolled), Some("InvoiceDate"), None), Some(&published), at("2010-12-28T02:00:00Z"));
        assert!(week.is_some_and(|g| g.passed), "moved a week by the clock");
        let months = check(&c, &rolled, &published);
        assert!(
            months.passed && months.detail.contains("the export now begins on 2010-12-05: the 4 lines the last published run kept on the days before it are gone"),
            "{months:?}"
        );
        let mid_day = check(&c, &days("2010-12-05", [vec![1], vec![2; 16]].concat()), &published);
        assert!(!mid_day.passed && mid_day.detail.contains("(5 gone, 0 new"), "its start cut mid-day: {mid_day:?}");
        // a young shop: fewer than a week of days to compare is no evidence, even doubled
        let young = Previous { history: Some(days("2010-12-01", vec![2; 10])), ..published.clone() };
        let few = check(&c, &days("2010-12-01", vec![4; 11]), &young);
        assert!(few.passed && few.detail.contains("fewer than 7 days"), "{few:?}");
        // not compared: other cleaning settings, another date column, another version, a
        // damaged record, none
        let other = check(&cfg("[clean]\nexclude_items = ['X']"), &days("2010-12-01", vec![1; 21]), &published);
        assert!(other.passed && other.detail.contains("other [input], [columns] or [clean] settings"), "{other:?}");
        let ship = check_history(
            &c,
            (Some(&days("2010-12-01", vec![1; 21])), Some("ShipDate"), None),
            Some(&published),
            night,
        );
        assert!(
            ship.as_ref()
                .is_some_and(|g| g.passed && g.detail.starts_with(OTHER_COLUMN) && g.detail.contains("'ShipDate'")),
            "{ship:?}"
        );
        // the same column written in another case or with spaces (a re-configured dump) is
        // the same clock: compared, and a cut export refused
        for header in ["invoicedate", "Invoice Date", "INVOICE_DATE"] {
            let cut = check_history(
                &c,
                (Some(&days("2010-12-01", vec![1; 21])), Some(header), None),
                Some(&published),
                night,
            );
            assert!(cut.as_ref().is_some_and(|g| !g.passed && g.detail.starts_with("lines lost")), "{header}: {cut:?}");
        }
        let older = Previous { made_by: Some("0.3.0".into()), ..published.clone() };
        let older = check(&c, &days("2010-12-01", vec![1; 21]), &older);
        assert!(older.passed && older.detail.contains("kindred 0.3.0's"), "{older:?}");
        let damaged = Previous { history: Some(days("+262142-06-01", vec![2; 20])), ..published.clone() };
        let damaged = check(&c, &days("2010-12-01", vec![1; 21]), &damaged);
        assert!(damaged.passed && damaged.detail.starts_with("not checked"), "{damaged:?}");
        let unread = previous_from(&serde_json::json!({"reports": {"clean": {"kept_rows_by_day": "x"}}}));
        let unread =
            check(&c, &days("2010-12-01", vec![1; 21]), &Previous { history: unread.history, ..published.clone() });
        assert!(unread.passed && unread.detail.contains("is damaged"), "present but unreadable: {unread:?}");
        let long = Previous { history: Some(days("1997-03-06", vec![2; 5_040])), ..published.clone() };
        let long = check(&c, &days("2010-12-01", vec![1; 21]), &long);
        assert!(long.passed && long.detail.contains("is damaged"), "more days than any run records: {long:?}");
        let unrecorded = check(&c, &days("2010-12-01", vec![1; 21]), &Previous { history: None, ..published.clone() });
        assert!(unrecorded.passed && unrecorded.detail.starts_with(UNRECORDED), "{unrecorded:?}");
        // no verdict: nothing published, or no dated purchase tonight
        assert!(check_history(&c, (Some(&rolled), Some("InvoiceDate"), None), None, night).is_none());
        assert!(check_history(&c, (None, Some("InvoiceDate"), None), Some(&published), night).is_none());
        assert_eq!(c.gates.max_history_change_vs_previous, 0.1);
    }

    /// Every gate that compares with the last published run gives a verdict when that run's
    /// manifest lacks the figure — written before the gate existed, damaged, or of a later
    /// schema, which is not read — rather than disappearing as on a first run.
    #[test]
    fn gates_against_a_run_that_recorded_no_figure_say_they_were_not_checked() {
        let c = cfg("");
        let (old, later) = (
            Previous { made_by: Some("0.2.0".into()), ..Default::default() },
            Previous { unread: Some("the manifest is schema_version 2".into()), ..Default::default() },
        );
        let clean = crate::clean::CleanReport { rows_in: 10, rows_out: 10, ..Default::default() };
        for prev in [&old, &later] {
            let gates = check_gates(&c, (0, &clean), 7, Some(prev));
            let drop = gates.iter().find(|g| g.gate == "max_customer_drop_vs_previous").expect("a verdict");
            assert!(drop.passed && drop.detail.starts_with(UNRECORDED), "{drop:?}");
            let made = check_output_gates(&c, &made(7, 70, 70), Some(prev.clone()), None);
            for gate in ["max_row_drop_vs_previous", "max_model_row_drop_vs_previous"] {
                let v = made.iter().find(|g| g.gate == gate).expect("a verdict");
                assert!(v.passed && v.detail.starts_with(UNRECORDED), "{v:?}");
            }
            let mut input = InputSummary {
                path: "x.csv".into(),
                absolute_path: "/x.csv".into(),
                bytes: 3,
                sha256: "abc".into(),
                unchanged_since: None,
                pipeline_absolute_path: None,
            };
            let unchanged = check_unchanged(&c, &mut input, Some(prev), (None, chrono::Utc::now())).unwrap();
            assert!(unchanged.passed && unchanged.detail.starts_with(UNRECORDED), "{unchanged:?}");
            let days = crate::clean::RowsByDay { first: "2010-12-01".into(), rows: vec![1; 9], ..Default::default() };
            let history = check_history(&c, (Some(&days), Some("InvoiceDate"), None), Some(prev), chrono::Utc::now());
            assert!(history.is_some_and(|g| g.passed && g.detail.starts_with(UNRECORDED)));
        }
        assert!(check_gates(&c, (0, &clean), 7, None).iter().all(|g| g.gate != "max_customer_drop_vs_previous"));
        let v = check_gates(&c, (0, &clean), 7, Some(&later)).into_iter().last().unwrap();
        assert!(v.detail.contains("the manifest is schema_version 2; this run records it"), "{v:?}");
    }

    /// helper-144: a refusal by `max_dropped_share` gave the share alone; which rule dropped the
    /// rows (kg weights under `min_quantity = 1`, guest checkouts) was on a log line `--quiet`
    /// hides.
    #[test]
    fn the_dropped_share_says_which_rule_dropped_the_rows() {
        let rule = |rule: &str, rows_in, rows_out| crate::clean::RuleReport { rule: rule.into(), rows_in, rows_out };
        let rules = vec![rule("min_quantity", 100, 40), rule("repeated_header", 40, 40), rule("exclude_items", 40, 36)];
        let clean = crate::clean::CleanReport { rows_in: 100, rows_out: 36, rules, ..Default::default() };
        let v = check_gates(&cfg(""), (0, &clean), 7, None).into_iter().next().unwrap();
        assert_eq!(
            (v.gate, v.passed, v.detail.as_str()),
            (
                "max_dropped_share",
                false,
                "cleaning dropped 64.0% of rows (64 of 100) — min_quantity 60, exclude_items 4; the limit is 50.0%"
            )
        );
    }
}
