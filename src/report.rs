//! Report: `report.html`, what an analyst opens in the morning, rendered last into the set.
//!
//! Takes the run's manifest (as JSON, so every key any stage adds is reachable, and keys a
//! manifest lacks render as "not available") and the run's in-memory tables, and writes one
//! self-contained page: no network, no JavaScript, inline CSS, charts as inline SVG
//! ([`charts`], plotters). The figures the manifest does not hold are computed here from the
//! tables in one pass each ([`Figures`]): the customers' neighbour similarity, the rows by
//! `source` (counted by [`Source::as_str`], so a new source shows without a change here), the
//! customers with fallbacks only, catalogue coverage and the most recommended items.
//!
//! The page is a minijinja template (`report/report.html`) with HTML auto-escaping: item
//! names and column names come from users' files. Every figure is printed for people
//! (`4,339`, `38.6%`) and carries its machine value in a `data-value` attribute, with an `id`,
//! so tests and scripts read the numbers without parsing the prose.

mod charts;
mod view;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::error::{OutputError, Result};
use crate::pivot::Interactions;
use crate::recommend::{Recommendations, Source};
use crate::similarity::Neighbours;
use crate::write::{self, file};

pub use charts::Bin;

/// Bins of the similarity histograms.
const BINS: usize = 20;
/// Items listed as the most recommended.
const TOP_ITEMS: usize = 20;

/// The run's tables the report reads (nothing is copied).
pub struct Tables<'a> {
    pub matrix: &'a Interactions,
    pub recommendations: &'a Recommendations,
    /// The customers' neighbours (`neighbours.parquet`).
    pub customer_neighbours: &'a Neighbours,
}

/// What the report stage did (`reports.report` in the manifest).
#[derive(Debug, Clone, Serialize)]
pub struct ReportReport {
    pub file: String,
    pub bytes: u64,
    /// The SHA-256 of the page written, lowercase hex (as a table's, [`write::FileReport`]).
    pub sha256: String,
    /// Recommendation rows summarised.
    pub rows_in: usize,
    /// Pages written (one).
    pub rows_out: usize,
    pub seconds: f64,
}

/// One of the most recommended items.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopItem {
    pub item: String,
    pub description: Option<String>,
    /// Customers it is recommended to (one row per customer).
    pub rows: usize,
}

/// The figures computed from the tables (the rest comes from the manifest).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figures {
    pub customers: usize,
    pub items: usize,
    pub recommendations: usize,
    /// Rows by `source`, most rows first (ties by name).
    pub by_source: Vec<(String, usize)>,
    /// Customers with at least one recommendation.
    pub with_recommendations: usize,
    /// Customers whose every row is a fallback (no row from the model's neighbours).
    pub fallback_only: usize,
    /// Distinct items recommended to anyone.
    pub recommended_items: usize,
    pub top: Vec<TopItem>,
    /// Customers with at least one neighbour.
    pub with_neighbours: usize,
    pub neighbour_rows: usize,
    /// Mean of the customers' best neighbour's similarity (None without neighbours).
    pub mean_top1: Option<f64>,
    pub top1: Vec<Bin>,
    pub all: Vec<Bin>,
}

/// Renders `report.html` into `dir` from `manifest` and `tables`.
pub fn run(dir: &Path, manifest: &Value, tables: &Tables) -> Result<ReportReport> {
    let start = Instant::now();
    let path = dir.join(file::REPORT);
    let figures = Figures::of(tables);
    let html = render(manifest, &figures).map_err(|detail| OutputError::Report { path: path.clone(), detail })?;
    let io = |source| OutputError::Io { path: path.clone(), source };
    write::replace_file(&path, |mut f| f.write_all(html.as_bytes()).map_err(|e| io(e).into()))?;
    Ok(ReportReport {
        file: file::REPORT.to_string(),
        bytes: html.len() as u64,
        sha256: crate::checksum::of_bytes(html.as_bytes()),
        rows_in: figures.recommendations,
        rows_out: 1,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The most columns (as a terminal counts them) of one value a cell of the page shows.
const CELL_CHARS: usize = 120;

/// The page's HTML for `manifest` and `figures`.
pub fn render(manifest: &Value, figures: &Figures) -> std::result::Result<String, String> {
    let page = view::page(manifest, figures)?;
    let mut env = minijinja::Environment::new();
    // a value longer than a cell shows is cut, its whole text in the cell's title: one 5,000-
    // character header made the first rows' table 44,580 px wide, a 3,000-character item id
    // pushed the top items' counts off the page
    // (as `kindred audit` cuts it: its control characters escaped too)
    env.add_filter("cut", |value: minijinja::Value| -> String { crate::audit::cut(&value.to_string(), CELL_CHARS) });
    // every text shown with its control characters written out, as on the terminal: an
    // export's ESC and NUL bytes reached the page raw (parse errors; tools read it as binary).
    // The charts, marked safe, are ours.
    env.set_formatter(|out, state, value| match value.as_str().filter(|_| !value.is_safe()) {
        Some(text) => {
            let shown = crate::progress::printable(text, crate::progress::Lines::Kept);
            minijinja::escape_formatter(out, state, &minijinja::Value::from(shown.as_ref()))
        }
        None => minijinja::escape_formatter(out, state, value),
    });
    // every value is escaped for HTML (the name ends in .html); only the charts are marked safe
    let template = env
        .template_from_named_str("report.html", include_str!("report/report.html"))
        .map_err(|e| format!("template: {e:#}"))?;
    let html = template
        .render(minijinja::Value::from(minijinja::value::Serde(&page)))
        .map_err(|e| format!("template: {e:#}"))?;
    Ok(html)
}

impl Figures {
    /// The figures of the run's tables.
    pub fn of(t: &Tables) -> Figures {
        let (by_source, with_recommendations, fallback_only) = sources(t.recommendations);
        let (recommended_items, top) = most_recommended(t.recommendations, t.matrix);
        let nb = t.customer_neighbours;
        let best: Vec<f64> =
            nb.offsets.windows(2).filter(|w| w[1] > w[0]).filter_map(|w| nb.similarity.get(w[0]).copied()).collect();
        let (lo, hi) = range(nb.similarity.iter().copied());
        Figures {
            customers: t.matrix.n_customers(),
            items: t.matrix.n_items(),
            recommendations: t.recommendations.rows.len(),
            by_source,
            with_recommendations,
            fallback_only,
            recommended_items,
            top,
            with_neighbours: best.len(),
            neighbour_rows: nb.similarity.len(),
            mean_top1: (!best.is_empty()).then(|| best.iter().sum::<f64>() / best.len() as f64),
            top1: histogram(best.iter().copied(), lo, hi),
            all: histogram(nb.similarity.iter().copied(), lo, hi),
        }
    }
}

/// Rows by source, customers with a list, customers with fallbacks only.
fn sources(recs: &Recommendations) -> (Vec<(String, usize)>, usize, usize) {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut with, mut fallback_only) = (0, 0);
    for w in recs.offsets.windows(2) {
        let rows = recs.rows.get(w[0]..w[1]).unwrap_or_default();
        for r in rows {
            *counts.entry(r.source.as_str()).or_default() += 1;
        }
        with += usize::from(!rows.is_empty());
        fallback_only += usize::from(!rows.is_empty() && rows.iter().all(|r| r.source != Source::Neighbours));
    }
    let mut by_source: Vec<(String, usize)> = counts.into_iter().map(|(s, n)| (s.to_string(), n)).collect();
    by_source.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    (by_source, with, fallback_only)
}

/// Distinct items recommended, and the [`TOP_ITEMS`] recommended most (ties by item id).
fn most_recommended(recs: &Recommendations, m: &Interactions) -> (usize, Vec<TopItem>) {
    let mut counts = vec![0usize; m.n_items()];
    for r in &recs.rows {
        if let Some(c) = counts.get_mut(r.item as usize) {
            *c += 1;
        }
    }
    let distinct = counts.iter().filter(|&&c| c > 0).count();
    let mut order: Vec<usize> = (0..counts.len()).filter(|&i| counts[i] > 0).collect();
    let id = |i: usize| m.items.get(i).map_or("", String::as_str);
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then_with(|| id(a).cmp(id(b))));
    let top = order
        .into_iter()
        .take(TOP_ITEMS)
        .map(|i| TopItem {
            item: id(i).to_string(),
            description: m.descriptions.get(i).cloned().flatten(),
            rows: counts[i],
        })
        .collect();
    (distinct, top)
}

/// The histograms' range: [0, 1] widened to every value (a model may give more than 1, or
/// negative weights).
fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    values.filter(|v| v.is_finite()).fold((0.0, 1.0), |(lo, hi), v| (lo.min(v), hi.max(v)))
}

/// [`BINS`] equal bins over `[lo, hi]`, the last one closed.
fn histogram(values: impl Iterator<Item = f64>, lo: f64, hi: f64) -> Vec<Bin> {
    let width = (hi - lo) / BINS as f64;
    let mut bins: Vec<Bin> =
        (0..BINS).map(|b| Bin { lo: lo + width * b as f64, hi: lo + width * (b + 1) as f64, count: 0 }).collect();
    for v in values.filter(|v| v.is_finite()) {
        let b = (((v - lo) / width) as usize).min(BINS - 1);
        bins[b].count += 1;
    }
    bins
}

/// `4339` as `4,339` (the audit's separator; manifest counts are u64).
pub fn thousands(n: u64) -> String {
    crate::audit::thousands(usize::try_from(n).unwrap_or(usize::MAX))
}

#[cfg(test)]
mod tests;
