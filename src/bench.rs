//! `kindred bench`: the model stages timed on a synthetic matrix built in memory.
//!
//! Takes a [`Shape`] and `[model]` settings; generates the purchase matrix directly (no export,
//! no ingest), then runs the chain's similarity and recommend stages on it — the same calls
//! `kindred run` makes — and reports their seconds, the all-pairs work and peak memory.

use std::time::Instant;

use serde::Serialize;

use crate::chain::{on_threads, Chain};
use crate::config::{ModelConfig, RecommendConfig};
use crate::error::Result;
use crate::generate::{matrix, Shape};
use crate::progress::{peak_rss_bytes, Progress};
use crate::similarity::{weighted, Model, Pruning};

/// What `kindred bench` measured.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub customers: usize,
    pub items: usize,
    pub pairs: usize,
    /// Σ over items of buyers²: the co-purchase updates an all-pairs count does.
    pub pair_work: f64,
    pub kernel: &'static str,
    pub threads: usize,
    pub generate_seconds: f64,
    pub similarity_seconds: f64,
    /// pair_work / similarity seconds: comparable with sparse_dot_topn's multiply-adds per second.
    pub updates_per_second: f64,
    pub recommend_seconds: f64,
    pub neighbour_rows: usize,
    pub peak_rss_bytes: u64,
    /// What the integer kernel's bounds did (absent for the float kernel), and the share of
    /// pairs they skipped before looking at them one by one.
    pub pruning: Option<Pruning>,
    pub skipped_share: Option<f64>,
}

impl BenchReport {
    /// One JSON line (a plain struct of numbers: serialising it cannot fail).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Generates the matrix of `shape` in memory and times the model stages on it, on `threads`
/// workers. `simple` times the general (weighted, float) kernel instead of the tiled one.
pub fn run(shape: &Shape, model: &ModelConfig, simple: bool, threads: usize) -> Result<BenchReport> {
    on_threads(threads, || bench(shape, model, simple))
}

fn bench(shape: &Shape, model: &ModelConfig, simple: bool) -> Result<BenchReport> {
    let chain = Chain::new(true);
    let t = Instant::now();
    let m = matrix(shape);
    let generate_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (nb, pruning) = match simple {
        true => (Model::User(weighted::run(&weighted::rows(&m, model), model, &Progress::hidden())), None),
        false => {
            let (nb, report) = chain.model(&m, model)?;
            (nb, report.pruning)
        }
    };
    let similarity_seconds = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let rec = RecommendConfig { from_neighbours: model.neighbours.min(10), ..Default::default() };
    drop(chain.recommend(&m, &nb, &rec));
    let recommend_seconds = t.elapsed().as_secs_f64();
    let pair_work = m.pair_work();
    Ok(BenchReport {
        customers: m.n_customers(),
        items: m.n_items(),
        pairs: m.n_pairs(),
        pair_work,
        kernel: if simple { "weighted" } else { "tiled" },
        threads: rayon::current_num_threads(),
        generate_seconds,
        similarity_seconds,
        updates_per_second: pair_work / similarity_seconds,
        recommend_seconds,
        neighbour_rows: nb.neighbours().len(),
        peak_rss_bytes: peak_rss_bytes(),
        pruning,
        skipped_share: pruning.map(|p| p.skipped_share()),
    })
}
