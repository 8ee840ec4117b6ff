//! The whole run: the [`Chain`] of stages (ingest → audit → clean → pivot → similarity →
//! recommend → write), then publish.
//!
//! Each stage returns its report; they flow into `manifest.json`. The data gates run before
//! anything is written, and the set is published only after every file is written and synced.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::chain::{on_threads, Chain};
use crate::config::Config;
use crate::error::{GateError, OutputError, Result};
use crate::progress::{log, peak_rss_bytes};
use crate::publish::{self, current_run, Publisher};
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

/// The input file's identity, for the manifest.
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

/// The input's size and checksum, read in pieces (a large export is not held twice); taken
/// beside ingest, on the other core.
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
    on_threads(cfg.threads, || match ingest::read(&cfg.input, &cfg.columns)?.0 {
        ingest::AllColumns::Mapped(table) => Ok(audit::run(*table)?.1),
        ingest::AllColumns::Unmapped(frame) => Ok(audit::nulls_only(&frame)),
    })
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

/// Runs the whole pipeline on `cfg.threads` workers and publishes the outputs. Returns the
/// manifest.
pub fn run(cfg: &Config) -> Result<Manifest> {
    on_threads(cfg.threads, || publish_run(cfg))
}

/// The run under the output folder's lock: published on success, abandoned on any error. The
/// folder is checked before anything is created; nothing in it is deleted unless the run
/// commits (see [`crate::publish`]).
fn publish_run(cfg: &Config) -> Result<Manifest> {
    publish::check_output_dir(&cfg.output.dir, &cfg.input.path)?;
    let started = now_utc();
    let run_id = publish::new_run_id();
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
    // Dates whose day-month order the column does not tell would be guessed, or dropped.
    if let (Some(key), Some(why)) = (date_key(cfg), audited.unread_dates()) {
        return refuse(format!("{why}; {key} needs purchase dates"));
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
    let chain = Chain::new(cfg.quiet);
    // The checksum for the manifest is taken beside ingest, on the other core; ingest's
    // refusal of the path (missing, a folder, empty) is the error reported when both fail.
    let (input, read) = rayon::join(|| input_summary(&cfg.input.path), || chain.ingest(&cfg.input, &cfg.columns));
    let ((table, ingested), input) = (read?, input?);
    check_dates(cfg, &table)?;
    let (canonical, audited) = chain.audit(table)?;
    check_required(cfg, &audited)?;
    let (cleaned, cleaned_report) = chain.clean(canonical, &cfg.clean)?;
    let (matrix, pivoted) = chain.pivot(cleaned)?;
    let gates = check_gates(cfg, &cleaned_report, matrix.n_customers(), previous_customers(&cfg.output.dir));
    enforce(&gates, cfg.force, cfg.quiet)?;
    let (model, sim_report) = chain.model(&matrix, &cfg.model)?;
    let (recs, rec_report) = chain.recommend(&matrix, &model, &cfg.recommend);
    let staging = publisher.begin()?;
    let outputs = Outputs { matrix: &matrix, model: &model, recommendations: &recs, audit: &audited };
    let written = chain.write(&staging, &outputs, cfg.output.compression)?;
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
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| OutputError::Json { path: path.clone(), detail: e.to_string() })?;
    let io = |source| OutputError::Io { path: path.clone(), source };
    let mut f = std::fs::File::create(&path).map_err(io)?;
    std::io::Write::write_all(&mut f, text.as_bytes()).map_err(io)?;
    f.sync_all().map_err(io)?;
    Ok(())
}
