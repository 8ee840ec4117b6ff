//! The customers' neighbours a run publishes (`neighbours.parquet`), whatever model recommends.
//!
//! Takes the purchase matrix, the learnt model and `[model]`; returns each customer's top N
//! neighbours by the article's binary cosine, shared / √(|a| · |b|) (exact; ties: higher
//! similarity, then lower id), with a report. A user-based model's own neighbours are what it
//! recommends from, so they are published as they are and nothing is computed again; for a
//! model that compares items they are computed here with the user model's kernels
//! ([`super::user_neighbours_for`] at the code's default plain cosine), N = `customer_neighbours`,
//! and N = 0 skips the work (an empty table). Only `kindred run` asks for them: `evaluate`
//! scores recommendations and never pays for this.

use std::borrow::Cow;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Model, Neighbours, Pruning};
use crate::config::{Kind, ModelConfig};
use crate::pivot::Interactions;
use crate::progress::Progress;

/// Where the published customers' neighbours come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The user-based model's own neighbours (its `[model] neighbours`, weighting and floors).
    Model,
    /// Computed for publication: binary cosine, top `customer_neighbours`.
    Cosine,
    /// `customer_neighbours = 0`: none.
    Skipped,
}

/// What the customer-neighbours step did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomerNeighboursReport {
    pub source: Source,
    /// N: the most neighbours a customer gets (`customer_neighbours`, or the model's
    /// `neighbours` when they are the model's).
    pub neighbours: usize,
    /// Customers.
    pub rows_in: usize,
    /// Neighbour rows published.
    pub rows_out: usize,
    /// Customers without a neighbour (nothing shared with anyone; every customer when skipped).
    pub isolated: usize,
    pub threads: usize,
    pub seconds: f64,
    /// What the integer kernel's bounds skipped, when it computed them (`Cosine`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruning: Option<Pruning>,
}

/// Each customer's neighbours to publish for `model`, learnt on `m` with `cfg` (see the module
/// doc): borrowed from a user-based model, computed otherwise — also when there is no model
/// (`None`: `kind = "auto"` chose popularity). Runs on the current rayon pool.
pub fn run<'a>(
    m: &Interactions,
    model: Option<&'a Model>,
    cfg: &ModelConfig,
    progress: &Progress,
) -> (Cow<'a, Neighbours>, CustomerNeighboursReport) {
    run_for(m, model, cfg, progress, 0..m.n_customers())
}

/// [`run`] for the customers `rows` only (a shard's; a user model learnt for the same rows):
/// every other customer is left without neighbours, and the report counts `rows` only.
pub fn run_for<'a>(
    m: &Interactions,
    model: Option<&'a Model>,
    cfg: &ModelConfig,
    progress: &Progress,
    rows: std::ops::Range<usize>,
) -> (Cow<'a, Neighbours>, CustomerNeighboursReport) {
    let start = Instant::now();
    let (nb, source, n, pruning) = match (model, cfg.customer_neighbours) {
        (Some(model), _) if model.kind() == Kind::User => {
            (Cow::Borrowed(model.neighbours()), Source::Model, cfg.neighbours, None)
        }
        (_, 0) => (Cow::Owned(Neighbours::empty(m.n_customers())), Source::Skipped, 0, None),
        (_, n) => {
            // the article's method: `[model]` at the code's defaults (kind = "user", binary,
            // no shrinkage, half-life or floor) but for N
            let plain = ModelConfig { neighbours: n, ..ModelConfig::default() };
            let (nb, pruning) = super::user_neighbours_for(m, &plain, progress, &rows.clone().collect::<Vec<_>>());
            (Cow::Owned(nb), Source::Cosine, n, pruning)
        }
    };
    let report = CustomerNeighboursReport {
        source,
        neighbours: n,
        rows_in: rows.len(),
        rows_out: nb.offsets[rows.end] - nb.offsets[rows.start],
        isolated: rows.clone().filter(|&c| nb.offsets[c] == nb.offsets[c + 1]).count(),
        threads: rayon::current_num_threads(),
        seconds: start.elapsed().as_secs_f64(),
        pruning,
    };
    (nb, report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::{brute_force, tests::random_matrix};

    fn learnt(m: &Interactions, cfg: &ModelConfig) -> Model {
        super::super::run(m, cfg, &Progress::hidden()).unwrap().0
    }

    #[test]
    fn an_item_model_publishes_the_plain_cosine_of_the_article() {
        // 1: A B   2: A B   3: A C   4: D — hand-computed: 1↔2 at 1, 3 ties 1 and 2 at 0.5
        let m = Interactions::from_triples(
            [("1", "A"), ("1", "B"), ("2", "A"), ("2", "B"), ("3", "A"), ("3", "C"), ("4", "D")]
                .into_iter()
                .map(|(c, i)| (c, i, 1.0, None)),
        );
        let cfg = ModelConfig { kind: Kind::Item, neighbours: 1, customer_neighbours: 5, ..Default::default() };
        let model = learnt(&m, &cfg);
        let (nb, report) = run(&m, Some(&model), &cfg, &Progress::hidden());
        assert!(matches!(nb, Cow::Owned(_)));
        assert_eq!(nb.of(0), (&[1u32, 2][..], &[1.0, 0.5][..], &[2u32, 1][..]));
        assert_eq!(nb.of(2).0, [0, 1], "the tie goes to the lower id");
        assert!(nb.of(3).0.is_empty());
        assert_eq!(
            (report.source, report.neighbours, report.rows_in, report.rows_out, report.isolated),
            (Source::Cosine, 5, 4, 6, 1)
        );
        // the integer kernel's bounds are reported: every (customer, customer) pair once
        assert_eq!(report.pruning.map(|p| p.pairs), Some(16.0));
    }

    #[test]
    fn every_item_side_model_gets_the_user_models_neighbours_exactly() {
        let m = random_matrix(300, 80, 9, 3);
        let article = ModelConfig { neighbours: 20, ..Default::default() };
        let expected = brute_force(&m, &article);
        for kind in [Kind::Item, Kind::Ease] {
            // the model's own settings (weighting, floors, its neighbours) do not leak in
            let cfg = ModelConfig {
                kind,
                neighbours: 3,
                min_similarity: 0.3,
                weighting: crate::config::Weighting::LogQuantity,
                ..Default::default()
            };
            for threads in [1, 2] {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                let nb = pool.install(|| run(&m, Some(&learnt(&m, &cfg)), &cfg, &Progress::hidden()).0.into_owned());
                assert_eq!(nb, expected, "{kind:?} on {threads} threads");
            }
        }
    }

    #[test]
    fn a_user_model_publishes_its_own_and_zero_skips_the_rest() {
        let m = random_matrix(120, 40, 6, 5);
        let user = ModelConfig { neighbours: 4, customer_neighbours: 0, ..Default::default() };
        let model = learnt(&m, &user);
        let (nb, report) = run(&m, Some(&model), &user, &Progress::hidden());
        assert!(matches!(nb, Cow::Borrowed(_)), "nothing computed twice");
        assert_eq!(*nb, *model.neighbours());
        assert_eq!((report.source, report.neighbours, report.pruning), (Source::Model, 4, None));
        let item = ModelConfig { kind: Kind::Item, customer_neighbours: 0, ..Default::default() };
        let model = learnt(&m, &item);
        let (nb, report) = run(&m, Some(&model), &item, &Progress::hidden());
        assert_eq!(*nb, Neighbours::empty(m.n_customers()));
        assert_eq!((report.source, report.rows_out, report.isolated), (Source::Skipped, 0, m.n_customers()));
        assert_eq!(report.pruning, None);
    }
}
