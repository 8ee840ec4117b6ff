//! The whole run: ingest → audit → clean → pivot → similarity → recommend → write → publish.
//!
//! Each stage returns its report; they flow into `manifest.json`. The data gates run before
//! anything is written, and the set is published only after every file is written and synced.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::error::{Error, GateError, OutputError, Result};
use crate::progress::{log, Progress};
use crate::publish::{current_run, Publisher};
use crate::write::{file, Outputs, SCHEMA_VERSION};
use crate::{audit, clean, ingest, pivot, recommend, similarity, write};

/// One stage's line in the manifest.
#[derive(Debug, Clone, Serialize)]
pub struct StageSummary {
    pub name: &'static str,
    pub seconds: f64,
    pub rows_in: usize,
    pub rows_out: usize,
}

/// The input file's identity.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    pub kindred_version: &'static str,
    pub schema_version: u32,
    pub run_id: String,
    pub started_utc: String,
    pub finished_utc: String,
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

/// UTC now as RFC 3339 with milliseconds.
fn now_utc() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A sortable, unique run id: UTC time to the millisecond, then the pid.
fn new_run_id() -> String {
    format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"), std::process::id())
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

/// The input's size and checksum, read in pieces (a large export is not held twice).
fn input_summary(path: &Path) -> Result<InputSummary> {
    let io = |source| crate::error::InputError::Io { path: path.to_path_buf(), source };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hasher).map_err(io)?;
    Ok(InputSummary { path: path.display().to_string(), bytes, sha256: format!("{:x}", hasher.finalize()) })
}

/// Ingest + audit only (for `kindred audit`). When the export lacks the mapped columns the
/// audit still counts nulls in every column; only the `invalid` counts need the mapping.
pub fn audit_only(cfg: &Config) -> Result<audit::AuditReport> {
    match ingest::read(&cfg.input, &cfg.columns)?.0 {
        ingest::AllColumns::Mapped(table) => Ok(audit::run(*table)?.1),
        ingest::AllColumns::Unmapped(frame) => Ok(audit::nulls_only(&frame)),
    }
}

/// Customers in the last published run, from its manifest.
fn previous_customers(dir: &Path) -> Option<usize> {
    let text = std::fs::read_to_string(current_run(dir)?.join(file::MANIFEST)).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    value.get("customers")?.as_u64().map(|n| n as usize)
}

/// Checks the data gates; every verdict is returned for the manifest.
fn check_gates(
    cfg: &Config,
    cleaned: &clean::CleanReport,
    customers: usize,
    previous: Option<usize>,
) -> Vec<GateCheck> {
    let g = &cfg.gates;
    let share = cleaned.dropped_share();
    let mut checks = vec![
        GateCheck {
            gate: "max_dropped_share",
            passed: share <= g.max_dropped_share,
            detail: format!(
                "cleaning dropped {:.1}% of rows ({} of {}); the limit is {:.1}%",
                share * 100.0,
                cleaned.rows_in - cleaned.rows_out,
                cleaned.rows_in,
                g.max_dropped_share * 100.0
            ),
        },
        GateCheck {
            gate: "min_customers",
            passed: customers >= g.min_customers,
            detail: format!("{customers} customers with purchases; the minimum is {}", g.min_customers),
        },
    ];
    if let Some(prev) = previous {
        let floor = prev as f64 * (1.0 - g.max_customer_drop_vs_previous);
        checks.push(GateCheck {
            gate: "max_customer_drop_vs_previous",
            passed: customers as f64 >= floor,
            detail: format!(
                "{customers} customers against {prev} in the last published run; the limit is a {:.0}% drop",
                g.max_customer_drop_vs_previous * 100.0
            ),
        });
    }
    checks
}

/// Refuses with the first failed gate unless forced.
fn enforce(checks: &[GateCheck], force: bool, quiet: bool) -> Result<()> {
    for c in checks.iter().filter(|c| !c.passed) {
        if force {
            log(quiet, &format!("gate {} failed but --force publishes anyway: {}", c.gate, c.detail));
        } else {
            return Err(GateError { gate: c.gate.to_string(), detail: c.detail.clone() }.into());
        }
    }
    Ok(())
}

/// Runs the whole pipeline and publishes the outputs. Returns the manifest.
pub fn run(cfg: &Config) -> Result<Manifest> {
    let started = now_utc();
    let run_id = new_run_id();
    let publisher = Publisher::open(&cfg.output.dir, &run_id, &started)?;
    match run_locked(cfg, &publisher, &run_id, started) {
        Ok(manifest) => {
            publisher.commit(cfg.output.keep_runs)?;
            Ok(manifest)
        }
        Err(e) => {
            publisher.abandon();
            Err(e)
        }
    }
}

/// One line per stage for the log (the cron mail's record of the run).
trait StageLine {
    fn line(&self) -> String;
}

impl StageLine for ingest::IngestReport {
    fn line(&self) -> String {
        let skipped = match self.skipped_rows {
            0 => String::new(),
            n => format!(" ({n} malformed rows skipped)"),
        };
        format!(
            "{} rows × {} columns from {} in {:.2}s{skipped}",
            self.rows_out, self.columns, self.format, self.seconds
        )
    }
}

impl StageLine for clean::CleanReport {
    fn line(&self) -> String {
        let steps: Vec<String> =
            self.rules.iter().map(|x| format!("{} → {} ({})", x.rows_in, x.rows_out, x.rule)).collect();
        format!("{} in {:.2}s", steps.join(", "), self.seconds)
    }
}

impl StageLine for pivot::PivotReport {
    fn line(&self) -> String {
        format!("{} customers × {} items, {} pairs in {:.2}s", self.customers, self.items, self.rows_out, self.seconds)
    }
}

impl StageLine for similarity::SimilarityReport {
    fn line(&self) -> String {
        let what = if self.kind.compares_items() { "items" } else { "customers" };
        format!(
            "{} neighbour rows, {} {what} without neighbours, {:.3e} co-purchase updates in {:.2}s on {} threads",
            self.rows_out, self.isolated, self.pair_work, self.seconds, self.threads
        )
    }
}

impl StageLine for recommend::RecommendReport {
    fn line(&self) -> String {
        format!(
            "{} rows ({} from neighbours, {} popular) in {:.2}s",
            self.rows_out, self.from_neighbours_rows, self.popular_rows, self.seconds
        )
    }
}

impl StageLine for write::WriteReport {
    fn line(&self) -> String {
        format!("{} rows in {} files in {:.2}s", self.rows_out, self.files.len(), self.seconds)
    }
}

/// Logs a finished stage's line and hands its result on.
fn logged<T, R: StageLine>(quiet: bool, name: &str, result: Result<(T, R)>) -> Result<(T, R)> {
    let (value, report) = result?;
    log(quiet, &format!("{name}: {}", report.line()));
    Ok((value, report))
}

/// Refuses when a required column has no usable value at all: the export is not what the
/// pipeline expects (a shifted header, a wrong mapping), whatever the other gates say.
fn check_required(cfg: &Config, audited: &audit::AuditReport) -> Result<()> {
    let unusable =
        |name: &String| audited.columns.iter().find(|c| c.column == *name && c.nulls + c.invalid == audited.rows_in);
    let refuse = |detail: String| Err(GateError { gate: "required_column".into(), detail }.into());
    let roles = [Some(&cfg.columns.customer), Some(&cfg.columns.item), cfg.columns.quantity.as_ref()];
    if let Some(c) = roles.into_iter().flatten().find_map(unusable) {
        return refuse(format!("column '{}' has no usable value in {} rows", c.column, audited.rows_in));
    }
    // A date column none of whose values reads as a date would silently turn these off.
    if let (Some(key), Some(c)) = (date_key(cfg), cfg.columns.date.as_ref().and_then(unusable)) {
        return refuse(format!(
            "column '{}' has no value that reads as a date in {} rows, and {key} needs purchase dates; set [input] date_format to the column's format",
            c.column, audited.rows_in
        ));
    }
    Ok(())
}

/// The first setting that needs purchase dates, if any.
fn date_key(cfg: &Config) -> Option<&'static str> {
    let r = &cfg.recommend;
    let keys = [
        ("[model] recency_half_life_days", r.recency_half_life_days),
        ("[model] similarity_half_life_days", cfg.model.similarity_half_life_days),
        ("[recommend] last_sale_exponent", Some(r.last_sale_exponent).filter(|&e| e != 0.0)),
        ("[recommend] exposure_exponent", Some(r.exposure_exponent).filter(|&e| e != 0.0)),
        ("[recommend] opportunity_exponent", Some(r.opportunity_exponent).filter(|&e| e != 0.0)),
    ];
    keys.iter().find(|(_, h)| h.is_some()).map(|(key, _)| *key)
}

/// Refuses a half-life or an exposure exponent when the export has no date column: they
/// would silently do nothing.
fn check_dates(cfg: &Config, table: &ingest::Table) -> Result<()> {
    match date_key(cfg) {
        Some(key) if table.columns.date.is_none() => Err(crate::error::ConfigError::Invalid {
            key: key.to_string(),
            message: format!(
                "needs purchase dates, and {} has no date column; map one with [columns] date",
                cfg.input.path.display()
            ),
        }
        .into()),
        _ => Ok(()),
    }
}

/// Hands memory freed by the dropped frames back to the system. glibc keeps freed pages in its
/// per-thread arenas; at a million customers that was 2.4 GB of resident memory held through
/// the similarity stage, on top of the kernel's own.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's heaps to the kernel.
    unsafe {
        libc::malloc_trim(0);
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
            summary("recommend", r.recommend.seconds, r.recommend.rows_in, r.recommend.rows_out),
            summary("write", r.write.seconds, r.write.rows_in, r.write.rows_out),
        ]
    }
}

fn run_locked(cfg: &Config, publisher: &Publisher, run_id: &str, started: String) -> Result<Manifest> {
    let quiet = cfg.quiet;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| Error::Other(format!("cannot start {} worker threads: {e}", cfg.threads)))?;
    ingest::check_path(&cfg.input.path)?;
    // The checksum for the manifest is taken beside ingest, on the other core.
    let (input, ingested) = rayon::join(|| input_summary(&cfg.input.path), || ingest::run(&cfg.input, &cfg.columns));
    let (input, (table, ingested)) = (input?, logged(quiet, "ingest", ingested)?);
    check_dates(cfg, &table)?;
    let (canonical, audited) = audit::run(table)?;
    release_freed_memory();
    if !quiet {
        eprint!("{}", audited.render());
    }
    check_required(cfg, &audited)?;
    let (cleaned, cleaned_report) = logged(quiet, "clean", clean::run(canonical, &cfg.clean))?;
    release_freed_memory();
    let (matrix, pivoted) = logged(quiet, "pivot", pivot::run(cleaned))?;
    release_freed_memory();
    let gates = check_gates(cfg, &cleaned_report, matrix.n_customers(), previous_customers(&cfg.output.dir));
    enforce(&gates, cfg.force, quiet)?;

    similarity::check(&matrix, &cfg.model)?;
    let n = matrix.n_customers() as u64;
    let bar = Progress::new(similarity::rows_compared(&matrix, &cfg.model) as u64, "similarity", quiet);
    let similar = pool.install(|| similarity::run(&matrix, &cfg.model, &bar));
    bar.finish();
    let (neighbours, sim_report) = logged(quiet, "similarity", Ok(similar))?;
    let bar = Progress::new(n, "recommend", quiet);
    let recommended = pool.install(|| recommend::run(&matrix, &neighbours, &cfg.recommend, &bar));
    bar.finish();
    let (recs, rec_report) = logged(quiet, "recommend", Ok(recommended))?;
    let staging = publisher.begin()?;
    let outputs = Outputs { matrix: &matrix, neighbours: &neighbours, recommendations: &recs, audit: &audited };
    let written = write::run(&staging, &outputs, cfg.output.compression)?;
    write::validate(&staging, &written)?;
    log(quiet, &format!("write: {}", written.line()));

    let reports = Reports {
        ingest: ingested,
        audit: audited,
        clean: cleaned_report,
        pivot: pivoted,
        similarity: sim_report,
        recommend: rec_report,
        write: written,
    };
    let manifest = Manifest {
        kindred_version: env!("CARGO_PKG_VERSION"),
        schema_version: SCHEMA_VERSION,
        run_id: run_id.to_string(),
        started_utc: started,
        finished_utc: now_utc(),
        input,
        parameters: cfg.clone(),
        forced: cfg.force && gates.iter().any(|g| !g.passed),
        gates,
        stages: reports.stages(),
        customers: matrix.n_customers(),
        items: matrix.n_items(),
        pairs: matrix.n_pairs(),
        customer_id_type: matrix.customers.dtype_name().to_string(),
        peak_rss_bytes: peak_rss_bytes(),
        reports,
    };
    write_manifest(&staging, &manifest)?;
    Ok(manifest)
}

fn write_manifest(dir: &Path, manifest: &Manifest) -> Result<()> {
    let path = dir.join(file::MANIFEST);
    let text = serde_json::to_string_pretty(manifest).map_err(|e| Error::Other(format!("manifest: {e}")))?;
    let io = |source| OutputError::Io { path: path.clone(), source };
    let mut f = std::fs::File::create(&path).map_err(io)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}
