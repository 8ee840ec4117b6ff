//! The stages chained: ingest → audit → clean → pivot → (select) → similarity → recommend.
//!
//! Every command that computes recommendations — `run`, `evaluate`, `bench` (and later model
//! selection and shards) — goes through these calls and no other route. Each call takes the
//! previous stage's value and its typed config, runs the stage on the current rayon pool,
//! logs the stage's line for the cron mail (unless quiet) and hands back the value with its
//! report; the caller decides which reports flow into a manifest. Memory a stage freed is
//! returned to the system before the next starts. [`on_threads`] runs a whole command on one
//! pool of the configured size.

use std::borrow::Cow;
use std::ops::Range;
use std::path::Path;

use polars::prelude::DataFrame;

use crate::clean::{self, CleanReport, Cleaned};
use crate::config::{CleanConfig, Columns, Compression, Config, Family, InputConfig, ModelConfig, RecommendConfig};
use crate::drift::{self, Drift, DriftConfig, DriftReport};
use crate::error::{Error, Result};
use crate::ingest::{self, IngestReport, Table};
use crate::pivot::{self, IdTyping, Interactions, PivotReport};
use crate::progress::{self, log_line, Level, Line, Progress};
use crate::recommend::{self, RecommendReport, Recommendations};
use crate::report::{self, ReportReport};
use crate::select::{self, Candidate, Offers, Selection};
use crate::similarity::customers::{CustomerNeighboursReport, Source};
use crate::similarity::{self, Model, Neighbours, Pruning, SimilarityReport};
use crate::words::{counted, counted_own};
use crate::write::{self, Outputs, WriteReport};
use crate::{audit, audit::AuditReport};

/// The chain of stages, as one command runs it.
#[derive(Debug, Clone, Copy)]
pub struct Chain {
    /// Print nothing but errors (no stage lines, no audit table, no progress bars).
    pub quiet: bool,
}

impl Chain {
    /// A chain that logs (`quiet = false`) or keeps silent.
    pub fn new(quiet: bool) -> Chain {
        Chain { quiet }
    }

    /// Ingest: the export read, its roles mapped.
    pub fn ingest(&self, input: &InputConfig, columns: &Columns) -> Result<(Table, IngestReport)> {
        let (table, report) = ingest::run(input, columns)?;
        self.line("ingest", &report);
        for note in &report.notes {
            progress::note(self.quiet, note);
        }
        Ok((table, report))
    }

    /// Audit: missing values per column, the roles parsed into the canonical frame. The table
    /// is a result, not a log line: it goes to stdout (nothing with quiet); its notes are logged.
    /// With JSON log lines (a log collector reads stdout and stderr together) the table is one
    /// line of its totals instead: the columns' figures are in the manifest and
    /// `null_audit.parquet`.
    /// Dates after the clock that continue the export are read as dates ([`audit::run_dated`]:
    /// the export read again as `input` and `columns` say, those days valid).
    pub fn audit(&self, table: Table, read: (&InputConfig, &Columns)) -> Result<(DataFrame, AuditReport)> {
        let (canonical, report) = audit::run_dated(table, read)?;
        progress::trim_freed_memory();
        match progress::log_format() {
            _ if self.quiet => {}
            progress::LogFormat::Json => self.line("audit", &report),
            progress::LogFormat::Plain => progress::print(&report.table()),
        }
        for warning in report.warnings() {
            progress::warn(self.quiet, &warning);
        }
        for note in report.notes() {
            progress::note(self.quiet, &note);
        }
        Ok((canonical, report))
    }

    /// Clean: each rule's drops counted.
    pub fn clean(&self, canonical: DataFrame, cfg: &CleanConfig) -> Result<(Cleaned, CleanReport)> {
        let (cleaned, report) = clean::run(canonical, cfg)?;
        progress::trim_freed_memory();
        clean_said(self.quiet, &report, cfg);
        self.line("clean", &report);
        Ok((cleaned, report))
    }

    /// The check after cleaning ([`clean::after_cleaning`]) on the report, its statement logged
    /// as the clean stage's line.
    pub fn after_cleaning(&self, cleaned: &Cleaned, report: &mut CleanReport, audited: &AuditReport) -> Result<()> {
        let after = clean::after_cleaning(cleaned, &audited.mapped)?;
        let at = Line { stage: Some("clean"), ..Line::new(Level::Info, &after.statement) };
        log_line(self.quiet, &at);
        report.after_cleaning = Some(after);
        report.kept_rows_by_day = clean::kept_rows_by_day(cleaned);
        report.quiet_weekdays = report.kept_rows_by_day.as_ref().map(clean::quiet_weekdays);
        Ok(())
    }

    /// Pivot: customers × items as a sparse matrix, ids numbered, customer ids typed by `ids`
    /// (errors name `source`, the export the rows came from).
    pub fn pivot(&self, cleaned: Cleaned, ids: IdTyping, source: &Path) -> Result<(Interactions, PivotReport)> {
        let (matrix, mut report) = pivot::run(cleaned, ids, source)?;
        report.customers_in_another_case = pivot::CaseTwins::of_matrix(&matrix);
        report.items_in_another_case = pivot::CaseTwins::of_items(&matrix);
        report.customers_as_another_number = pivot::CaseTwins::of_numbers(&matrix);
        report.items_as_another_number = pivot::CaseTwins::of_item_numbers(&matrix);
        report.item_lists = pivot::lists::ItemLists::of_matrix(&matrix);
        progress::trim_freed_memory();
        self.line("pivot", &report);
        if let Some(note) = &report.customer_id_note {
            progress::note(self.quiet, &format!("pivot: {note}"));
        }
        if let Some(twins) = &report.customers_in_another_case {
            progress::warn(self.quiet, &format!("pivot: {}", twins.warning()));
        }
        if let Some(twins) = &report.items_in_another_case {
            progress::warn(self.quiet, &format!("pivot: {}", twins.item_warning()));
        }
        if let Some(twins) = &report.customers_as_another_number {
            progress::warn(self.quiet, &format!("pivot: {}", twins.number_warning()));
        }
        if let Some(twins) = &report.items_as_another_number {
            progress::warn(self.quiet, &format!("pivot: {}", twins.item_number_warning()));
        }
        if let Some(note) = one_account_dominates(&matrix) {
            progress::note(self.quiet, &format!("pivot: {note}"));
        }
        Ok((matrix, report))
    }

    /// Similarity: the model fitted on the matrix (refused first when the data cannot take it).
    pub fn model(&self, m: &Interactions, cfg: &ModelConfig) -> Result<(Model, SimilarityReport)> {
        self.model_for(m, cfg, 0..m.n_customers())
    }

    /// [`Chain::model`] for a shard's customers `rows` (a user model's neighbours are theirs
    /// only; a model of items is learnt whole).
    pub fn model_for(
        &self,
        m: &Interactions,
        cfg: &ModelConfig,
        rows: Range<usize>,
    ) -> Result<(Model, SimilarityReport)> {
        similarity::check(m, cfg)?;
        let len = if cfg.kind.compares_items() { m.n_items() } else { rows.len() };
        let unit = if cfg.kind.compares_items() { "items" } else { "customers" };
        let bar = Progress::new(len as u64, "similarity", unit, self.quiet);
        let (model, report) = similarity::run_for(m, cfg, &bar, rows)?;
        bar.finish();
        self.line("similarity", &report);
        Ok((model, report))
    }

    /// Select (`kind = "auto"`): every candidate fitted before a held-back window of `cleaned`
    /// and scored on it; the winner (refit with [`Chain::chosen`] on all purchases, whose
    /// `catalogue` of items it must fit) and the evidence.
    pub fn select(
        &self,
        cleaned: Cleaned,
        cfg: &Config,
        ids: IdTyping,
        (offers, catalogue): (Offers, usize),
        previously: Option<&select::Previously>,
    ) -> Result<(Candidate, Selection)> {
        let kept = cleaned.height();
        let (choice, selection) = select::run(cleaned, cfg, ids, (offers, catalogue), previously)?;
        progress::trim_freed_memory();
        let line = selection.line();
        // rows: the candidates scored, as the manifest's stages count them
        let (seconds, rows) = (Some(selection.seconds), Some(selection.candidates.len()));
        let at = Line { stage: Some("select"), seconds, rows, ..Line::new(Level::Info, &line) };
        log_line(self.quiet, &at);
        if let Some(line) = selection.season_line() {
            progress::note(self.quiet, &line);
        }
        if let Some(line) = selection.undated_line(kept) {
            progress::warn(self.quiet, &line);
        }
        for (last, line) in selection.memory_lines(previously, cfg.select.memory_budget.is_some()) {
            match last {
                true => progress::warn(self.quiet, &line),
                false => progress::note(self.quiet, &line),
            }
        }
        if let Some(share) = selection.window.rebought_share.filter(|&s| s > select::REBOUGHT_NOTE) {
            progress::note(
                self.quiet,
                &format!("select: {:.0}% of what customers bought in the window they had bought before: the lists hold items new to each customer, so they speak to the other {:.0}% only (a shop of repeat purchases: its customers' own favourites are no recommendation)", share * 100.0, (1.0 - share) * 100.0),
            );
        }
        let (found, wanted) = (selection.window.customers, cfg.select.min_customers);
        if (1..wanted).contains(&found) {
            let s = if found == 1 { "" } else { "s" };
            // grown, or held to half the dated span from the start (a young export's window
            // was "even grown" where it had been cut from 30 days to 7: helper-124)
            let how = match (selection.window.days, selection.window.grown_from_days) {
                (Some(days), None) if days < cfg.select.window_days => format!(
                    " in its {}, half the export's dated span (shorter than [select] window_days = {})",
                    select::days_text(days),
                    select::days_text(cfg.select.window_days)
                ),
                (Some(_), Some(_)) => " even grown".to_string(),
                _ => String::new(),
            };
            progress::note(
                self.quiet,
                &format!("select: the window held new items of {found} customer{s} only, fewer than [select] min_customers = {wanted}{how}: the choice rests on little evidence (a young or small export)"),
            );
        }
        Ok((choice, selection))
    }

    /// The selection's winner learnt on all purchases `m` ([`Chain::model`]; popularity has no
    /// model to learn).
    pub fn chosen(&self, m: &Interactions, choice: &Candidate) -> Result<(Model, SimilarityReport)> {
        self.chosen_for(m, choice, 0..m.n_customers())
    }

    /// [`Chain::chosen`] for a shard's customers `rows`.
    pub fn chosen_for(
        &self,
        m: &Interactions,
        choice: &Candidate,
        rows: Range<usize>,
    ) -> Result<(Model, SimilarityReport)> {
        match choice.family {
            Family::Popularity => Ok(select::no_model(m)),
            _ => self.model_for(m, &choice.model, rows),
        }
    }

    /// Customer neighbours: the customers' neighbours `run` publishes whatever the model (the
    /// model's own when it is user-based; `None`: no model, popularity chosen;
    /// `similarity::customers`). Not part of `evaluate`.
    pub fn customer_neighbours<'a>(
        &self,
        m: &Interactions,
        model: Option<&'a Model>,
        cfg: &ModelConfig,
        rows: Range<usize>,
    ) -> (Cow<'a, Neighbours>, CustomerNeighboursReport) {
        // a bar only when they are computed (not the model's own, not skipped)
        let computed = model.is_none_or(|x| x.kind().compares_items()) && cfg.customer_neighbours > 0;
        let bar = Progress::new(rows.len() as u64, "neighbours", "customers", self.quiet || !computed);
        let (nb, report) = similarity::customers::run_for(m, model, cfg, &bar, rows);
        bar.finish();
        self.line("customer neighbours", &report);
        (nb, report)
    }

    /// Recommend: every customer's list from the model, topped up with popular items.
    pub fn recommend(
        &self,
        m: &Interactions,
        model: &Model,
        cfg: &RecommendConfig,
    ) -> (Recommendations, RecommendReport) {
        self.recommend_for(m, model, cfg, 0..m.n_customers())
    }

    /// [`Chain::recommend`] for a shard's customers `rows` (the others' lists are empty; the
    /// report counts `rows`).
    pub fn recommend_for(
        &self,
        m: &Interactions,
        model: &Model,
        cfg: &RecommendConfig,
        rows: Range<usize>,
    ) -> (Recommendations, RecommendReport) {
        if cfg.per_customer > m.n_items() {
            // as `evaluate --k` says it (helper-139: a run capped its lists without a word)
            let line = format!(
                "[recommend] per_customer = {} is more than the {} of the purchases: a list holds {} at most",
                cfg.per_customer,
                crate::words::counted(m.n_items(), "item"),
                m.n_items()
            );
            progress::note(self.quiet, &line);
        }
        let bar = Progress::new(rows.len() as u64, "recommend", "customers", self.quiet);
        let (recs, report) = recommend::run_for(m, model, cfg, rows, &bar);
        bar.finish();
        let what = "a typo, or not sold in it; ids are matched exactly, `*` stands for any characters";
        unmatched_note(self.quiet, "[recommend] never_recommend", &report.unknown_never_recommend, what);
        let cased = crate::config::in_another_case(&report.unknown_never_recommend, &m.items);
        let withheld = match cased.is_empty() {
            true => Vec::new(),
            false => recommend::withheld(m, &cfg.never_recommend).0,
        };
        let kept_out = |item: &str| m.items.iter().position(|i| i == item).is_some_and(|p| withheld[p]);
        for (entry, item) in cased.into_iter().filter(|(_, item)| !kept_out(item)) {
            progress::warn(
                self.quiet,
                &format!(
                    "[recommend] never_recommend: {entry:?} matches no item, but {item:?} does in another case: it is \
                     recommended (ids are matched exactly; the export's ids changed case? list them as it writes them)"
                ),
            );
        }
        if let Some(note) = report.without_rows_note() {
            progress::note(self.quiet, &note);
        }
        self.line("recommend", &report);
        (recs, report)
    }

    /// Drift: today's lists against the last published set's (`cfg.previous`); a previous set
    /// that cannot be read is a warning (the report says why).
    pub fn drift(&self, m: &Interactions, recs: &Recommendations, cfg: &DriftConfig) -> (Drift, DriftReport) {
        let (drift, report) = drift::run(m, recs, cfg);
        if let Some(warning) = &report.warning {
            progress::warn(self.quiet, warning);
        }
        self.line("drift", &report);
        (drift, report)
    }

    /// Write: every table into `dir` (a run's staging folder), each read back before the set
    /// may be published.
    pub fn write(&self, dir: &Path, outputs: &Outputs, compression: Compression) -> Result<WriteReport> {
        let report = write::run(dir, outputs, compression)?;
        write::validate(dir, &report)?;
        self.line("write", &report);
        Ok(report)
    }

    /// Report: `report.html` into `dir` from the run's manifest (as JSON) and tables.
    pub fn report(&self, dir: &Path, manifest: &serde_json::Value, tables: &report::Tables) -> Result<ReportReport> {
        let report = report::run(dir, manifest, tables)?;
        self.line("report", &report);
        Ok(report)
    }

    /// Logs a finished stage's line: its name, rows out and seconds as fields of a json line.
    pub fn line(&self, name: &str, report: &impl StageLine) {
        let message = report.line();
        let line = Line {
            stage: Some(name),
            rows: report.rows(),
            seconds: report.seconds(),
            ..Line::new(Level::Info, &message)
        };
        log_line(self.quiet, &line);
    }
}

/// One line per stage for the log (the cron mail's record of the run).
pub trait StageLine {
    fn line(&self) -> String;
    /// The rows the stage handed on, for json lines (`null` when not told).
    fn rows(&self) -> Option<usize> {
        None
    }
    /// The stage's seconds, for json lines (`null` when not told).
    fn seconds(&self) -> Option<f64> {
        None
    }
}

/// `rows` and `seconds` of a report with `rows_out` and `seconds` fields.
macro_rules! rows_and_seconds {
    () => {
        fn rows(&self) -> Option<usize> {
            Some(self.rows_out)
        }
        fn seconds(&self) -> Option<f64> {
            Some(self.seconds)
        }
    };
}

impl StageLine for IngestReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        let skipped = match self.skipped_rows {
            0 => String::new(),
            n => format!(" ({} skipped)", counted(n, "malformed row")),
        };
        format!(
            "{} × {} from {} in {:.2}s{skipped}",
            counted(self.rows_out, "row"),
            counted(self.columns, "column"),
            self.format,
            self.seconds
        )
    }
}

impl StageLine for AuditReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        format!(
            "{}, {} invalid, {} trimmed in {} × {} in {:.2}s",
            counted(self.total_nulls, "null"),
            self.total_invalid,
            self.total_trimmed,
            counted(self.rows_in, "row"),
            counted(self.columns.len(), "column"),
            self.seconds
        )
    }
}

/// Notes the entries of list `key` (item ids or patterns) that match no item of the export.
/// What cleaning warns of and notes (order lines, placeholder customers, list entries and
/// filter values that match nothing): said by every command that cleans, `evaluate` too,
/// whose stage lines are quiet (its figures are its output).
pub fn clean_said(quiet: bool, report: &CleanReport, cfg: &CleanConfig) {
    let lines = report.order_lines;
    for warning in lines.warnings(cfg.fill_order_lines) {
        progress::warn(quiet, &warning);
    }
    if let Some(note) = lines.note(cfg.fill_order_lines) {
        progress::note(quiet, &note);
    }
    let customer = cfg.header.as_ref().map_or("CustomerID", |(customer, _)| customer.as_str());
    let placeholders = [report.placeholder_warning(cfg, customer), report.dominant_warning(cfg, customer)];
    for warning in placeholders.into_iter().flatten() {
        progress::warn(quiet, &warning);
    }
    if let Some(lines) = &report.lines_without_item {
        let item = cfg.header.as_ref().map_or("StockCode", |(_, item)| item.as_str());
        match lines.said(item) {
            (true, warning) => progress::warn(quiet, &warning),
            (false, note) => progress::note(quiet, &note),
        }
    }
    if let (true, Some(min)) = (cfg.no_quantity, cfg.min_quantity) {
        let note = format!("[clean] min_quantity = {min} drops nothing: the export has no quantity column, so each row is one purchase");
        progress::note(quiet, &note);
    }
    if let Some(stray) = &report.stray_dates {
        progress::warn(quiet, &stray.warning(cfg.date_name.as_deref().unwrap_or("date")));
    }
    if let Some(early) = &report.early_dates {
        progress::warn(quiet, &early.warning(cfg.date_name.as_deref().unwrap_or("date")));
    }
    for filter in &report.row_filters {
        for note in filter.notes() {
            progress::note(quiet, &note);
        }
        for warning in filter.warnings() {
            progress::warn(quiet, &warning);
        }
    }
    let what = "ids are matched exactly, case and spaces included; `*` stands for any characters";
    unmatched_note(quiet, "[clean] exclude_items", &report.unmatched_exclude_items, what);
    for (entry, item) in &report.exclude_items_in_another_case {
        progress::warn(
            quiet,
            &format!(
                "[clean] exclude_items: {entry:?} matches no item, but {item:?} does in another case: its rows are kept \
                 (ids are matched exactly; the export's ids changed case? list them as it writes them)"
            ),
        );
    }
}

fn unmatched_note(quiet: bool, key: &str, entries: &[String], what: &str) {
    if entries.is_empty() {
        return;
    }
    let ids: Vec<String> = entries.iter().map(|id| format!("{id:?}")).collect();
    let verb = if ids.len() == 1 { "matches" } else { "match" };
    progress::note(quiet, &format!("{key}: {} {verb} no item of this export ({what})", ids.join(", ")));
}

impl StageLine for CleanReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        let steps: Vec<String> =
            self.rules.iter().map(|x| format!("{} → {} ({})", x.rows_in, x.rows_out, x.rule)).collect();
        format!("{} in {:.2}s", steps.join(", "), self.seconds)
    }
}

impl StageLine for PivotReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        format!(
            "{} × {}, {} in {:.2}s",
            counted(self.customers, "customer"),
            counted(self.items, "item"),
            counted(self.rows_out, "pair"),
            self.seconds
        )
    }
}

impl StageLine for SimilarityReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        let what = if self.kind.compares_items() { "items" } else { "customers" };
        format!(
            "{} neighbour rows, {} {what} without neighbours, {:.3e} co-purchase updates in {:.2}s on {}{}",
            self.rows_out,
            self.isolated,
            self.pair_work,
            self.seconds,
            threads_text(self.threads),
            skipped(self.pruning)
        )
    }
}

/// "1 thread", "2 threads".
fn threads_text(n: usize) -> String {
    counted(n, "thread")
}

/// What the integer kernel's bounds skipped, as the end of a log line ("" without them).
fn skipped(pruning: Option<Pruning>) -> String {
    match pruning {
        Some(p) => format!(
            ", the bounds skipped {:.2}% of {:.3e} pairs ({:.2}% not swept at all)",
            100.0 * p.skipped_share(),
            p.pairs,
            100.0 * p.unswept / p.pairs.max(1.0)
        ),
        None => String::new(),
    }
}

impl StageLine for CustomerNeighboursReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        let (n, rows, alone) = (self.neighbours, self.rows_out, self.isolated);
        match self.source {
            Source::Model => {
                format!("{}, the model's own (its first {n}), published as they are", counted(rows, "row"))
            }
            Source::Cosine => format!(
                "{} (binary cosine, top {n}), {} without neighbours in {:.2}s on {}{}",
                counted(rows, "row"),
                counted(alone, "customer"),
                self.seconds,
                threads_text(self.threads),
                skipped(self.pruning)
            ),
            Source::Skipped => "none ([model] customer_neighbours = 0): neighbours.parquet written empty".into(),
        }
    }
}

impl StageLine for RecommendReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        format!(
            "{} ({} from neighbours, {} popular{}{}) in {:.2}s",
            counted(self.rows_out, "row"),
            self.from_neighbours_rows,
            self.popular_rows,
            match self.segment_rows {
                0 => String::new(),
                n => format!(", {n} popular in the segment"),
            },
            match self.withheld_items {
                0 => String::new(),
                n => format!("; {} kept out", counted(n, "never_recommend item")),
            },
            self.seconds
        )
    }
}

impl StageLine for DriftReport {
    fn line(&self) -> String {
        match (&self.previous_run_id, self.changed_share) {
            (Some(run), Some(share)) => format!(
                "{} of {} lists changed against run {run} ({:.1}%; {} new, {} gone) in {:.2}s",
                self.changed,
                counted_own(self.customers, "customer"),
                share * 100.0,
                self.new,
                self.gone,
                self.seconds
            ),
            _ => format!("{} in {:.2}s", self.note.as_deref().unwrap_or("nothing to compare"), self.seconds),
        }
    }

    fn rows(&self) -> Option<usize> {
        Some(self.customers)
    }

    fn seconds(&self) -> Option<f64> {
        Some(self.seconds)
    }
}

impl StageLine for WriteReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        format!("{} in {} in {:.2}s", counted(self.rows_out, "row"), counted(self.files.len(), "file"), self.seconds)
    }
}

impl StageLine for ReportReport {
    rows_and_seconds!();

    fn line(&self) -> String {
        format!("{} ({} bytes) in {:.2}s", self.file, self.bytes, self.seconds)
    }
}

/// Runs `work` — a whole command — on one pool of `threads` workers, built once: every stage's
/// rayon work (ingest's parsing, the audit, the kernels, the writers) runs on it.
pub fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Threads { threads, detail: e.to_string() })?;
    pool.install(work)
}

/// Said when one customer's items make most of the item models' co-purchase work (Σ over
/// customers of items², each pair of a customer's items counted once more): an account that
/// bought much of the catalogue — a wholesaler, staff or test account — makes item-kNN and
/// EASE's Gram quadratic in its items, silently (a helper's 40,000-item export ran 7.6 s, 75 s
/// with one account that bought every item; 148,634 items had not finished in 350 s). Only
/// past [`DOMINANT_WORK`] updates, where it costs seconds.
fn one_account_dominates(m: &Interactions) -> Option<String> {
    let top = (0..m.n_customers()).max_by_key(|&c| (m.row(c).len(), std::cmp::Reverse(c)))?;
    let (work, total) = (m.basket_work(top), m.item_pair_work());
    let share = work / total;
    (work >= DOMINANT_WORK && share > 0.5).then(|| {
        format!(
            "customer {} bought {} of the {} items: {:.0}% of the item models' co-purchase work ({:.1e} updates), \
             which grows as the square of its items (a wholesaler, staff or test account?); `[clean] exclude_rows` \
             with the customer's column and its id leaves it out",
            m.customers.label(top),
            m.row(top).len(),
            m.n_items(),
            share * 100.0,
            work
        )
    })
}

/// The co-purchase updates one account must add before [`one_account_dominates`] says it:
/// 10⁸, seconds of the item kernels on two cores (10,000 items in one basket).
const DOMINANT_WORK: f64 = 1e8;

#[cfg(test)]
mod tests {
    /// Ids listed that match no item but one in another case are found (a helper's export whose
    /// codes were lower-cased one night let postage into 48 lists with a note only).
    #[test]
    fn listed_ids_found_in_another_case() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<String>>();
        let found =
            crate::config::in_another_case(&s(&["POST", "DOT", "Gift*", "nope"]), &s(&["post", "Dot", "85123A"]));
        assert_eq!(found, [("POST".to_string(), "post".to_string()), ("DOT".to_string(), "Dot".to_string())]);
        assert!(crate::config::in_another_case(&[], &s(&["post"])).is_empty());
    }

    use super::*;
    use crate::config::{Config, Overrides, PipelineFile};

    /// An account that bought every item of a 10,000-item catalogue is named with its share of
    /// the co-purchase work; the same export without it, or one big basket among many, is not.
    #[test]
    fn an_account_that_bought_most_of_the_catalogue_is_said() {
        let mut rows: Vec<(String, String)> = (0..10_000).map(|i| ("W1".to_string(), format!("I{i}"))).collect();
        let shop: Vec<(String, String)> =
            (0..2_000).map(|c| (format!("C{c}"), format!("I{}", c * 7 % 10_000))).collect();
        let matrix = |rows: &[(String, String)]| {
            Interactions::from_triples(rows.iter().map(|(c, i)| (c.as_str(), i.as_str(), 1.0, None)))
        };
        rows.extend(shop.iter().cloned());
        let note = one_account_dominates(&matrix(&rows)).expect("said");
        assert!(
            note.starts_with("customer W1 bought 10000 of the 10000 items: 100% of") && note.contains("exclude_rows"),
            "{note}"
        );
        assert_eq!(one_account_dominates(&matrix(&shop)), None);
        // under 10⁸ updates (9,999 items): seconds are not at stake
        assert_eq!(one_account_dominates(&matrix(&rows[1..])), None);
    }

    #[test]
    fn threads_are_counted_in_words() {
        assert_eq!((threads_text(1), threads_text(2)), ("1 thread".to_string(), "2 threads".to_string()));
    }

    #[test]
    fn a_command_runs_on_the_pool_of_its_thread_count() {
        assert_eq!(on_threads(1, || Ok(rayon::current_num_threads())).unwrap(), 1);
        assert_eq!(on_threads(3, || Ok(rayon::current_num_threads())).unwrap(), 3);
    }

    #[test]
    fn the_chain_from_a_csv_to_recommendations() {
        // 3 customers, 4 items: a and b share items 1 and 2; c bought 3 and 4 only.
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("t.csv");
        let rows = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,CustomerID\n\
            1,I1,one,1,2011-01-01 10:00:00,1\n1,I2,two,1,2011-01-01 10:00:00,1\n1,I3,three,1,2011-01-01 10:00:00,1\n\
            2,I1,one,1,2011-01-02 10:00:00,2\n2,I2,two,1,2011-01-02 10:00:00,2\n\
            3,I3,three,1,2011-01-03 10:00:00,3\n3,I4,four,1,2011-01-03 10:00:00,3\n";
        std::fs::write(&csv, rows).unwrap();
        let cfg = Config::build(
            PipelineFile::default(),
            dir.path(),
            &Overrides { input: Some(csv.clone()), ..Default::default() },
        )
        .unwrap();
        let chain = Chain::new(true);
        let (table, ingested) = chain.ingest(&cfg.input, &cfg.columns).unwrap();
        assert_eq!(ingested.rows_out, 7);
        let (canonical, audited) = chain.audit(table, (&cfg.input, &cfg.columns)).unwrap();
        let (cleaned, _) = chain.clean(canonical, &cfg.clean).unwrap();
        let (m, _) = chain.pivot(cleaned, IdTyping::AUTO, Path::new("x.csv")).unwrap();
        assert_eq!((audited.rows_in, m.n_customers(), m.n_items(), m.n_pairs()), (7, 3, 4, 7));
        let (model, _) = chain.model(&m, &cfg.model).unwrap();
        let (recs, _) = chain.recommend(&m, &model, &cfg.recommend);
        // customer 2's nearest is customer 1 (cosine 2/√6): item I3 comes from it first
        let two = m.customers.find("2").unwrap();
        let first = recs.of(two)[0];
        assert_eq!(m.items[first.item as usize], "I3");
        assert_eq!(first.source, crate::recommend::Source::Neighbours);
    }
}
