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

fn input_summary(path: &Path) -> Result<InputSummary> {
    let bytes =
        std::fs::read(path).map_err(|source| crate::error::InputError::Io { path: path.to_path_buf(), source })?;
    Ok(InputSummary {
        path: path.display().to_string(),
        bytes: bytes.len() as u64,
        sha256: format!("{:x}", Sha256::digest(&bytes)),
    })
}

/// Ingest + audit only (for `kindred audit`). When the export lacks the mapped columns the
/// audit still counts nulls in every column; only the `invalid` counts need the mapping.
pub fn audit_only(cfg: &Config) -> Result<audit::AuditReport> {
    let (frame, report) = ingest::read(&cfg.input)?;
    let sheet = report.sheets.first().cloned();
    match ingest::resolve_columns(&frame, &cfg.columns, &cfg.input.path, sheet) {
        Ok((columns, _)) => {
            let table = ingest::Table { frame, columns };
            Ok(audit::run(&table, cfg.input.date_format.as_deref(), &cfg.input.path)?.1)
        }
        Err(_) => Ok(audit::nulls_only(&frame)),
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

fn stage<R>(
    quiet: bool,
    name: &'static str,
    line: impl FnOnce(&R) -> String,
    f: impl FnOnce() -> Result<R>,
) -> Result<R> {
    let r = f()?;
    log(quiet, &format!("{name}: {}", line(&r)));
    Ok(r)
}

fn run_locked(cfg: &Config, publisher: &Publisher, run_id: &str, started: String) -> Result<Manifest> {
    let quiet = cfg.quiet;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| Error::Other(format!("cannot start {} worker threads: {e}", cfg.threads)))?;
    ingest::check_path(&cfg.input.path)?;
    // The checksum for the manifest is taken beside ingest, on the other core.
    let (input, ingest_result) =
        rayon::join(|| input_summary(&cfg.input.path), || ingest::run(&cfg.input, &cfg.columns));
    let input = input?;
    let (table, ingested) = stage(
        quiet,
        "ingest",
        |(_, r): &(ingest::Table, ingest::IngestReport)| {
            let mut line =
                format!("{} rows × {} columns from {} in {:.2}s", r.rows_out, r.columns, r.format, r.seconds);
            if r.skipped_rows > 0 {
                line += &format!(" ({} malformed rows skipped)", r.skipped_rows);
            }
            line
        },
        || ingest_result,
    )?;
    let (canonical, audited) = audit::run(&table, cfg.input.date_format.as_deref(), &cfg.input.path)?;
    drop(table);
    if !quiet {
        eprint!("{}", audited.render());
    }
    for role in [&cfg.columns.customer, &cfg.columns.item] {
        if let Some(c) = audited.columns.iter().find(|c| c.column == *role) {
            if c.nulls + c.invalid == audited.rows_in {
                return Err(GateError {
                    gate: "required_column".into(),
                    detail: format!("column '{}' has no usable value in {} rows", c.column, audited.rows_in),
                }
                .into());
            }
        }
    }
    if let Some(q) = &cfg.columns.quantity {
        if let Some(c) = audited.columns.iter().find(|c| c.column == *q && c.nulls + c.invalid == audited.rows_in) {
            return Err(GateError {
                gate: "required_column".into(),
                detail: format!("column '{}' has no number in {} rows", c.column, audited.rows_in),
            }
            .into());
        }
    }
    let (cleaned, cleaned_report) = stage(
        quiet,
        "clean",
        |(_, r): &(polars::prelude::DataFrame, clean::CleanReport)| {
            let steps: Vec<String> =
                r.rules.iter().map(|x| format!("{} → {} ({})", x.rows_in, x.rows_out, x.rule)).collect();
            format!("{} in {:.2}s", steps.join(", "), r.seconds)
        },
        || clean::run(canonical, &cfg.clean),
    )?;
    let (matrix, pivoted) = stage(
        quiet,
        "pivot",
        |(_, r): &(pivot::Interactions, pivot::PivotReport)| {
            format!("{} customers × {} items, {} pairs in {:.2}s", r.customers, r.items, r.rows_out, r.seconds)
        },
        || pivot::run(&cleaned),
    )?;
    drop(cleaned);
    let gates = check_gates(cfg, &cleaned_report, matrix.n_customers(), previous_customers(&cfg.output.dir));
    enforce(&gates, cfg.force, quiet)?;

    let n = matrix.n_customers() as u64;
    let bar = Progress::new(n, "similarity", quiet);
    let (neighbours, sim_report) = pool.install(|| similarity::run(&matrix, &cfg.model, &bar));
    bar.finish();
    log(
        quiet,
        &format!(
            "similarity: {} neighbour rows, {} customers without neighbours, {:.3e} co-purchase updates in {:.2}s on {} threads",
            sim_report.rows_out, sim_report.isolated, sim_report.pair_work, sim_report.seconds, sim_report.threads
        ),
    );
    let bar = Progress::new(n, "recommend", quiet);
    let (recs, rec_report) = pool.install(|| recommend::run(&matrix, &neighbours, &cfg.recommend, &bar));
    bar.finish();
    log(
        quiet,
        &format!(
            "recommend: {} rows ({} from neighbours, {} popular) in {:.2}s",
            rec_report.rows_out, rec_report.from_neighbours_rows, rec_report.popular_rows, rec_report.seconds
        ),
    );
    let staging = publisher.begin()?;
    let outputs = Outputs { matrix: &matrix, neighbours: &neighbours, recommendations: &recs, audit: &audited };
    let written = write::run(&staging, &outputs, cfg.output.compression)?;
    log(
        quiet,
        &format!("write: {} rows in {} files in {:.2}s", written.rows_out, written.files.len(), written.seconds),
    );

    let stages = vec![
        StageSummary {
            name: "ingest",
            seconds: ingested.seconds,
            rows_in: ingested.rows_out,
            rows_out: ingested.rows_out,
        },
        StageSummary { name: "audit", seconds: audited.seconds, rows_in: audited.rows_in, rows_out: audited.rows_out },
        StageSummary {
            name: "clean",
            seconds: cleaned_report.seconds,
            rows_in: cleaned_report.rows_in,
            rows_out: cleaned_report.rows_out,
        },
        StageSummary { name: "pivot", seconds: pivoted.seconds, rows_in: pivoted.rows_in, rows_out: pivoted.rows_out },
        StageSummary {
            name: "similarity",
            seconds: sim_report.seconds,
            rows_in: sim_report.rows_in,
            rows_out: sim_report.rows_out,
        },
        StageSummary {
            name: "recommend",
            seconds: rec_report.seconds,
            rows_in: rec_report.rows_in,
            rows_out: rec_report.rows_out,
        },
        StageSummary { name: "write", seconds: written.seconds, rows_in: written.rows_in, rows_out: written.rows_out },
    ];
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
        stages,
        customers: matrix.n_customers(),
        items: matrix.n_items(),
        pairs: matrix.n_pairs(),
        customer_id_type: matrix.customers.dtype_name().to_string(),
        peak_rss_bytes: peak_rss_bytes(),
        reports: Reports {
            ingest: ingested,
            audit: audited,
            clean: cleaned_report,
            pivot: pivoted,
            similarity: sim_report,
            recommend: rec_report,
            write: written,
        },
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
