//! Similarity: every customer's (or item's) top-N most similar, exact, sparse and parallel.
//!
//! Takes the purchase matrix and `[model]`; returns a [`Model`] — one type per kind, each
//! holding [`Neighbours`] (per row, up to N neighbours with similarity and shared count) — and a
//! report. Never materialises customers × customers. Three kernels, chosen by `[model]`:
//! - `tiled` — the article's binary cosine between customers, shared / √(|a| · |b|), counted
//!   in integers (popular items as bit-planes in bit-sliced adders, 256 customers at a time,
//!   skipped by an exact required overlap);
//! - `weighted` — any `weighting`, `shrinkage`, similarity half-life, customers or items:
//!   Gustavson's row-by-row product with exact float sums in column order (also the fallback
//!   when a customer has more than 65,535 items, past the tiled kernel's 16-bit degrees);
//! - `ease` — EASE's dense item weights (`kind = "ease"`);
//! - `sparse_ease` — EASE fitted on each item's most co-purchased items (`kind = "sparse_ease"`).
//!
//! Equal similarities are bit-identical, so ties are exact. Order (the tie rule): similarity
//! descending, then id ascending (= index ascending, see `pivot`). Only similarities >
//! `min_similarity` (default 0: one shared item) are kept. Each row is computed independently,
//! so any thread count gives the same result.

use std::cmp::Ordering;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::{Kind, ModelConfig};
use crate::error::Error;
use crate::pivot::Interactions;
use crate::progress::Progress;

pub mod customers;
pub mod ease;
mod model;
mod reserve;
pub use reserve::ADDRESS_SPACE;
pub mod sparse_ease;
pub mod text;
mod tiled;
pub mod weighted;

pub use customers::CustomerNeighboursReport;
pub use model::{Model, Votes};

/// Each row's neighbours, flattened: row `c`'s are at `offsets[c]..offsets[c + 1]`, best
/// first. Rows and ids are customers for `Kind::User`, items for the item kinds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Neighbours {
    pub offsets: Vec<usize>,
    pub ids: Vec<u32>,
    pub similarity: Vec<f64>,
    pub shared: Vec<u32>,
}

impl Neighbours {
    /// `rows` rows without a neighbour.
    pub fn empty(rows: usize) -> Neighbours {
        Neighbours { offsets: vec![0; rows + 1], ..Default::default() }
    }

    /// Customer `c`'s neighbours (ids, similarities, shared counts), best first.
    pub fn of(&self, c: usize) -> (&[u32], &[f64], &[u32]) {
        let r = self.offsets[c]..self.offsets[c + 1];
        (&self.ids[r.clone()], &self.similarity[r.clone()], &self.shared[r])
    }

    /// Each row's first `n` neighbours.
    pub fn truncated(&self, n: usize) -> Neighbours {
        let mut kept = Neighbours { offsets: Vec::with_capacity(self.offsets.len()), ..Default::default() };
        kept.offsets.push(0);
        for c in 0..self.offsets.len() - 1 {
            let r = self.offsets[c]..self.offsets[c + 1].min(self.offsets[c] + n);
            kept.ids.extend_from_slice(&self.ids[r.clone()]);
            kept.similarity.extend_from_slice(&self.similarity[r.clone()]);
            kept.shared.extend_from_slice(&self.shared[r]);
            kept.offsets.push(kept.ids.len());
        }
        kept
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// What the similarity stage did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SimilarityReport {
    /// The model: customers compared ("user") or items ("item", "ease", "sparse_ease").
    pub kind: Kind,
    /// Customers (or items) compared.
    pub rows_in: usize,
    /// Neighbour rows produced.
    pub rows_out: usize,
    /// Customers (or items) with no neighbour at all (nothing shared with anyone).
    pub isolated: usize,
    /// The all-pairs count's updates: Σ over items of buyers² (items: Σ over customers of items²).
    pub pair_work: f64,
    pub threads: usize,
    pub seconds: f64,
    /// What the integer kernel's bounds skipped (absent for the other kernels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pruning: Option<Pruning>,
}

/// What the integer kernel's bounds did. Pairs are (row, customer): every row is compared
/// with every customer, 256 at a time, in bit-sliced counts of the popular items.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Pruning {
    /// Rows × customers.
    pub pairs: f64,
    /// Pairs past the length filter (customers so long that the row's popular items alone
    /// cannot reach its bar): their popular items were not counted.
    pub past_length_filter: f64,
    /// Pairs looked at one by one: their count reached the overlap the row's bar requires.
    /// Every other pair was skipped by the bar, 64 at a time.
    pub looked_at: f64,
    /// Pairs whose exact cosine was computed (the rest of those looked at fell below the
    /// row's k-th best in an integer test).
    pub exact: f64,
    /// Pairs never swept: from a tile on, the row's bar needed more shared items than the row
    /// has (its list full of customers no later one can beat or tie ahead of).
    #[serde(default)]
    pub unswept: f64,
}

impl Pruning {
    pub fn add(&mut self, other: &Pruning) {
        self.pairs += other.pairs;
        self.past_length_filter += other.past_length_filter;
        self.looked_at += other.looked_at;
        self.exact += other.exact;
        self.unswept += other.unswept;
    }

    /// The share of pairs the bounds skipped before looking at them one by one.
    pub fn skipped_share(&self) -> f64 {
        if self.pairs > 0.0 {
            1.0 - self.looked_at / self.pairs
        } else {
            0.0
        }
    }
}

/// The cosine of two customers from their shared count and degrees (the only formula used).
/// The goldens' own formula, in f64 (`make_golden.py`): two cosines equal as fractions can
/// differ in the last digit (1 / √(10 · 3) is 0.18257418583505536, 3 / √(10 · 27) …539), and
/// the larger comes first, as in the goldens. Computed as √(shared² / (a · b)) — one rounding,
/// so equal fractions are one f64 and the lower id wins — the K = 1 lists of 71 of the shipped
/// export's customers no longer matched the goldens (tried 2026-12-07 on helper-122's report,
/// reverted: the goldens define the method).
#[inline]
pub fn cosine(shared: u32, deg_a: usize, deg_b: usize) -> f64 {
    shared as f64 / ((deg_a as f64) * (deg_b as f64)).sqrt()
}

/// The tie rule: higher similarity first, then lower customer index.
#[inline]
pub fn better(a: &(f64, u32), b: &(f64, u32)) -> Ordering {
    b.0.partial_cmp(&a.0).unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1))
}

/// A candidate neighbour: (similarity, customer, shared items).
pub(crate) type Candidate = (f64, u32, u32);

/// Customers per parallel task: large enough to amortise, small enough to balance.
pub(crate) const BLOCK: usize = 256;

/// Learns the model of `cfg.kind`, with every row's top `cfg.neighbours` neighbours:
/// customers' for `kind = "user"`, items' for `"item"` and `"ease"`. Runs on the current
/// rayon pool.
pub fn run(m: &Interactions, cfg: &ModelConfig, progress: &Progress) -> Result<(Model, SimilarityReport), Error> {
    run_for(m, cfg, progress, 0..m.n_customers())
}

/// [`run`] for a shard's customers `rows`: a user model's neighbours are learnt for those
/// customers only (the others get none, and the report counts `rows`); a model of items is
/// learnt whole, as in [`run`].
pub fn run_for(
    m: &Interactions,
    cfg: &ModelConfig,
    progress: &Progress,
    rows: std::ops::Range<usize>,
) -> Result<(Model, SimilarityReport), Error> {
    let start = Instant::now();
    let (model, pruning) = learn(m, cfg, progress, &rows.clone().collect::<Vec<_>>())?;
    let nb = model.neighbours();
    let whole = rows == (0..m.n_customers());
    let (pair_work, rows) = match cfg.kind.compares_items() {
        false if whole => (m.pair_work(), rows),
        false => (m.pair_work_of(rows.clone()), rows),
        true => (m.item_pair_work(), 0..m.n_items()),
    };
    let isolated = rows.clone().filter(|&c| nb.offsets[c] == nb.offsets[c + 1]).count();
    let report = SimilarityReport {
        kind: cfg.kind,
        rows_in: rows.len(),
        rows_out: nb.offsets[rows.end] - nb.offsets[rows.start],
        isolated,
        pair_work,
        threads: rayon::current_num_threads(),
        seconds: start.elapsed().as_secs_f64(),
        pruning,
    };
    Ok((model, report))
}

/// The model of `cfg.kind` as [`run`] learns it, a user model's neighbours for the customers
/// `rows` (ascending) only: model selection scores a sample of the customers, no more.
pub fn model_for(m: &Interactions, cfg: &ModelConfig, rows: &[usize]) -> Result<Model, Error> {
    Ok(learn(m, cfg, &Progress::hidden(), rows)?.0)
}

/// The model, and what the bounds of the integer kernel pruned (a plain user model).
fn learn(
    m: &Interactions,
    cfg: &ModelConfig,
    progress: &Progress,
    rows: &[usize],
) -> Result<(Model, Option<Pruning>), Error> {
    let mut pruning = None;
    let model = match cfg.kind {
        Kind::User => {
            let (nb, p) = user_neighbours_for(m, cfg, progress, rows);
            pruning = p;
            Model::User(nb)
        }
        Kind::Item => Model::Item(weighted::run(&weighted::rows(m, cfg), cfg, progress)),
        Kind::Ease => Model::Ease(ease::run(m, cfg, progress)?),
        Kind::SparseEase => Model::SparseEase(sparse_ease::run(m, cfg, progress)?),
        // `select` turns "auto" into the kind it chose before any model is learnt.
        Kind::Auto => {
            let detail = "a model is learnt once the selection has chosen its kind".into();
            return Err(Error::Model { key: "[model] kind".into(), detail });
        }
    };
    Ok((model, pruning))
}

/// Whether plain binary cosines between customers are counted by the integer kernel (every
/// customer's items fit its u16 counters); otherwise the float kernel weighs the quantities.
pub fn counts_in_integers(m: &Interactions) -> bool {
    tiled::fits(m)
}

/// Customers' neighbours by `cfg` for the customers `rows` (ascending: all of them, a
/// shard's or a sample; the others get none): the integer kernel for the plain binary cosine
/// (when its u16 counters fit, with what its bounds skipped), else the exact float kernel.
pub(crate) fn user_neighbours_for(
    m: &Interactions,
    cfg: &ModelConfig,
    progress: &Progress,
    rows: &[usize],
) -> (Neighbours, Option<Pruning>) {
    match cfg.is_plain_user() && counts_in_integers(m) {
        true => {
            let (nb, pruning) = tiled::run_for(m, cfg, progress, tiled::Params::default(), rows);
            (nb, Some(pruning))
        }
        false => (weighted::run_for(&weighted::rows(m, cfg), cfg, progress, rows), None),
    }
}

/// Refuses a model the data cannot take, before any work (EASE's dense inverse on a huge
/// catalogue), or the address space left cannot (an EASE model under `ulimit -v`).
pub fn check(m: &Interactions, cfg: &ModelConfig) -> Result<(), crate::error::ConfigError> {
    check_needing(m, cfg, estimated_bytes(m, cfg))
}

/// [`check`] for a model that needs `need` bytes (its [`estimated_bytes`] and what the caller
/// knows besides): under an address-space limit (`ulimit -v`) the room left must hold them and
/// the buffers its matrix products reserve ([`reserve`]), past which the run aborts.
pub fn check_needing(m: &Interactions, cfg: &ModelConfig, need: u64) -> Result<(), crate::error::ConfigError> {
    if cfg.kind == Kind::Ease {
        ease::check(m)?;
    }
    reserve::fits(cfg.kind, need, crate::ingest::address_space_left())
}

/// The peak extra memory, in bytes, that fitting `cfg.kind` on `m` and recommending with it
/// take beyond the purchase matrix itself: conservative (every structure at its largest,
/// alive at once), for model selection to skip what does not fit. With n items, C customers,
/// P purchases, T threads, K = `neighbours`, M = `sparse_ease_items`, 8-byte floats, 4-byte ids:
/// - `"ease"`: G, the Cholesky factor and the inverse, 8n² each, B (8n²) and the description
///   similarity (8n², blended only) kept for scoring, and T scoring blocks of 256 customers ×
///   n scores (× 2 blended);
/// - `"sparse_ease"`: the item rows and their transpose (2 × 12P), G's rows (12 bytes per
///   pair kept: each once, and only pairs of one N(i), so at most half of min(n², Σ over
///   customers of items², nM²)) and G among the hubs
///   (8 × min(n, 2,048)²), N(i) with
///   G[N(i)][i] and B by column and by row (3 × 12nM), which N(i) hold each item (4nM), the
///   description rows (12nM, blended only), per worker a dense row of G with its marks (16n) and
///   an M × M system (8M² × 2), per scoring worker 16n;
/// - `"item"`: the item rows and their transpose (2 × 12P), the neighbours (16nK), per worker a
///   dense accumulator over the items (16n);
/// - `"user"`: the customer rows and their transpose (2 × 12P), the neighbours (16CK), per
///   worker a dense accumulator over the customers (16C).
///
/// Each kind also holds the recommendation rows (C × 20 × 32 bytes) and 16 MB of allocator
/// arenas and thread stacks.
///
/// Measured: `kindred run` on `kindred generate` data, its resident memory sampled every 20 ms
/// (/proc/PID/status VmRSS), the peak from the pivot's log line to the recommend's minus the
/// memory at the pivot's; the estimate stays above it and within 4× of it
/// (`estimated_bytes_bound_the_measured_peaks`, figures in the test).
pub fn estimated_bytes(m: &Interactions, cfg: &ModelConfig) -> u64 {
    let (n, c, p) = (m.n_items() as f64, m.n_customers() as f64, m.n_pairs() as f64);
    let t = rayon::current_num_threads().max(1) as f64;
    let k = cfg.neighbours as f64;
    let blended = cfg.description_weight > 0.0;
    let bytes = match cfg.kind {
        Kind::Ease => {
            // Two items × items matrices live at once at every step (G and G + λI, the factor
            // and the inverse P, P and B, B and the description similarity), and a third's
            // worth stands for faer's scratch and the allocator: measured on the shipped export
            // (3,665 items), EASE's run peaks 2.1 × 8n² above a neighbour model's, blended or
            // not. 4–5 × 8n² before (session 35) kept EASE out of a container sized at 1.25 ×
            // its own peak, and the lists changed for memory, not for the data.
            let scoring = t * 256.0 * n * 8.0 * if blended { 2.0 } else { 1.0 };
            8.0 * n * n * 3.0 + scoring
        }
        Kind::SparseEase => {
            let mm = (cfg.sparse_ease_items as f64).min(n);
            let pairs = m.item_pair_work();
            let hubs = n.min(sparse_ease::HUBS as f64);
            // each pair kept once, and only if two items of one N(i): at most half of every
            // co-purchased pair, of n², and of n × M²
            let gram = 6.0 * (n * n).min(pairs).min(n * mm * mm) + 8.0 * hubs * hubs;
            let lists = 12.0 * n * mm * (3.0 + blended as u8 as f64) + 4.0 * n * mm;
            24.0 * p + gram + lists + t * (16.0 * n + 16.0 * mm * mm) + t * 16.0 * n
        }
        Kind::Item => 24.0 * p + 16.0 * n * k + t * 16.0 * n,
        Kind::User | Kind::Auto => 24.0 * p + 16.0 * c * k + t * 16.0 * c,
    };
    // every kind: the recommendation rows (20 per customer of 32 bytes: twice the default
    // list) and 16 MB of allocator arenas and thread stacks
    let common = 640.0 * c + 16e6;
    (bytes + common).min(u64::MAX as f64) as u64
}

/// The number of rows a model compares (customers, or items): the progress bar's length.
pub fn rows_compared(m: &Interactions, cfg: &ModelConfig) -> usize {
    if cfg.kind.compares_items() {
        m.n_items()
    } else {
        m.n_customers()
    }
}

/// Flattens per-block results (row lengths and candidates, in the order of `rows`, which
/// ascend) into [`Neighbours`]. Rows outside `rows` (those a shard or a sample does not
/// compute) get no neighbours.
pub(crate) fn assemble(
    n: usize,
    rows: impl IntoIterator<Item = usize>,
    blocks: Vec<(Vec<usize>, Vec<Candidate>)>,
) -> Neighbours {
    let mut nb = Neighbours { offsets: Vec::with_capacity(n + 1), ..Default::default() };
    nb.offsets.push(0);
    let mut rows = rows.into_iter();
    for (lens, out) in blocks {
        for (len, a) in lens.into_iter().zip(rows.by_ref()) {
            let end = nb.offsets.last().copied().unwrap_or(0);
            nb.offsets.resize(a + 1, end);
            nb.offsets.push(end + len);
        }
        for (s, b, c) in out {
            nb.similarity.push(s);
            nb.ids.push(b);
            nb.shared.push(c);
        }
    }
    nb.offsets.resize(n + 1, nb.ids.len());
    nb
}

/// The candidate order: the tie rule on (similarity, customer).
pub(crate) fn order(x: &Candidate, y: &Candidate) -> Ordering {
    better(&(x.0, x.1), &(y.0, y.1))
}

/// Keeps the best `k` candidates (unordered).
pub(crate) fn keep_best(candidates: &mut Vec<Candidate>, k: usize) {
    if candidates.len() > k {
        candidates.select_nth_unstable_by(k - 1, order);
        candidates.truncate(k);
    }
}

/// The definition, computed the slow way: every pair by set intersection. Test twin only.
#[cfg(test)]
pub fn brute_force(m: &Interactions, cfg: &ModelConfig) -> Neighbours {
    let n = m.n_customers();
    let mut nb = Neighbours { offsets: vec![0], ..Default::default() };
    for a in 0..n {
        let mut all: Vec<Candidate> = Vec::new();
        for b in 0..n {
            if a == b {
                continue;
            }
            let shared = m.row(a).iter().filter(|i| m.row(b).contains(i)).count() as u32;
            let sim = cosine(shared, m.row(a).len(), m.row(b).len());
            if shared > 0 && shared >= cfg.min_overlap && sim > cfg.min_similarity {
                all.push((sim, b as u32, shared));
            }
        }
        push_row(&mut nb, all, cfg.neighbours);
    }
    nb
}

/// Appends one row's best `k` of `all` (any order) to a brute-force result. Test twins only.
#[cfg(test)]
pub(crate) fn push_row(nb: &mut Neighbours, mut all: Vec<Candidate>, k: usize) {
    all.sort_by(order);
    all.truncate(k);
    for (s, b, c) in all {
        nb.similarity.push(s);
        nb.ids.push(b);
        nb.shared.push(c);
    }
    nb.offsets.push(nb.ids.len());
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A random binary matrix with skewed (Zipf-like) item popularity, from a seed.
    pub fn random_matrix(customers: usize, items: usize, basket: usize, seed: u64) -> Interactions {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut ids: Vec<(String, String)> = Vec::new();
        for k in 0..customers * basket {
            let u = (next() % 10_000) as f64 / 10_000.0;
            let i = ((items as f64).powf(u) as usize).min(items - 1); // log-uniform: skewed
            if next() % 3 != 0 {
                ids.push((format!("{}", 1000 + k / basket), format!("I{i:04}")));
            }
        }
        Interactions::from_triples(ids.iter().map(|(c, i)| (c.as_str(), i.as_str(), 1.0, None)))
    }

    fn cfg(neighbours: usize, min_similarity: f64) -> ModelConfig {
        ModelConfig { neighbours, min_similarity, ..Default::default() }
    }

    fn fast(m: &Interactions, cfg: &ModelConfig, threads: usize) -> Neighbours {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let model = pool.install(|| run(m, cfg, &Progress::hidden()).unwrap().0);
        assert_eq!(model.kind(), cfg.kind);
        model.neighbours().clone()
    }

    fn matrix(rows: &[(&'static str, &'static str)]) -> Interactions {
        Interactions::from_triples(rows.iter().map(|&(c, i)| (c, i, 1.0, None)))
    }

    #[test]
    fn hand_computed_with_ties_and_an_isolated_customer() {
        // 1: A B   2: A B   3: A C   4: D (shares nothing)
        let m = matrix(&[("1", "A"), ("1", "B"), ("2", "A"), ("2", "B"), ("3", "A"), ("3", "C"), ("4", "D")]);
        let nb = fast(&m, &cfg(5, 0.0), 2);
        let (ids, sims, shared) = nb.of(0);
        assert_eq!(ids, [1, 2]);
        assert_eq!(sims, [1.0, 0.5]);
        assert_eq!(shared, [2, 1]);
        // customer 3 ties between 1 and 2 at 0.5: lower id first
        let (ids, sims, _) = nb.of(2);
        assert_eq!((ids, sims), (&[0u32, 1][..], &[0.5, 0.5][..]));
        assert!(nb.of(3).0.is_empty());
        // top-1 cut inside the tie keeps the lower id
        let nb = fast(&m, &cfg(1, 0.0), 1);
        assert_eq!(nb.of(2).0, [0]);
        // min_similarity is strict
        let nb = fast(&m, &cfg(5, 0.5), 1);
        assert_eq!(nb.of(2).0, [] as [u32; 0]);
    }

    /// Equal neighbours, or a panic naming the first customer that differs (not the whole dump).
    fn assert_same(got: &Neighbours, expected: &Neighbours, what: &str) {
        for c in 0..expected.offsets.len() - 1 {
            assert_eq!(got.of(c), expected.of(c), "{what}: customer {c}");
        }
        assert_eq!(got, expected, "{what}");
    }

    #[test]
    fn tiled_kernel_matches_brute_force_across_tiles_and_vector_widths() {
        // 300 items: up to max_planes of the popular ones are planes, the rest scattered
        for seed in 0..5 {
            let m = random_matrix(150 + seed as usize * 37, 300, 12, seed);
            let overlap = ModelConfig { min_overlap: 3, ..cfg(10, 0.0) };
            for c in [cfg(1, 0.0), cfg(10, 0.0), cfg(25, 0.15), overlap] {
                let expected = brute_force(&m, &c);
                let shapes = [(16, 3, false, 0), (37, 7, true, 8), (1 << 14, 256, false, 4096), (300, 5, false, 40)];
                for (tile, rows, portable, max_planes) in shapes {
                    let params = tiled::Params { tile, rows, portable, max_planes };
                    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
                    let got = pool.install(|| tiled::run(&m, &c, &Progress::hidden(), params));
                    assert_same(&got, &expected, &format!("seed {seed} {c:?} {params:?}"));
                }
            }
        }
    }

    /// The blocks (and so the tournament and the order in which pairs reach a list) depend on
    /// the thread count: every count gives the definition, on the whole matrix and on a
    /// shard's rows.
    #[test]
    fn tiled_kernel_matches_brute_force_at_every_thread_count_on_a_shards_rows_and_a_sample() {
        let m = random_matrix(700, 400, 15, 21);
        let n = m.n_customers();
        for c in [cfg(20, 0.0), ModelConfig { min_overlap: 2, ..cfg(5, 0.1) }] {
            let expected = brute_force(&m, &c);
            for threads in 1..=8 {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                for (tile, portable, max_planes) in [(1 << 14, false, 4096), (50, true, 0), (129, false, 12)] {
                    let params = tiled::Params { tile, rows: 33, portable, max_planes };
                    let whole = pool.install(|| tiled::run(&m, &c, &Progress::hidden(), params));
                    assert_same(&whole, &expected, &format!("{threads} threads {c:?} {params:?}"));
                    let rows = n / 3..n / 3 + 111;
                    let (shard, p) = pool.install(|| {
                        tiled::run_for(&m, &c, &Progress::hidden(), params, &rows.clone().collect::<Vec<_>>())
                    });
                    // every (row, customer) pair is accounted for once, and the counts nest
                    assert_eq!(p.pairs, (rows.len() * n) as f64, "{threads} threads {params:?}");
                    assert!(
                        p.exact <= p.looked_at && p.looked_at < p.pairs && p.past_length_filter <= p.pairs,
                        "{p:?}"
                    );
                    assert!(p.exact >= shard.len() as f64, "every neighbour had its cosine computed: {p:?}");
                    for a in 0..n {
                        let want = if rows.contains(&a) { expected.of(a) } else { (&[][..], &[][..], &[][..]) };
                        assert_eq!(shard.of(a), want, "shard row {a}: {threads} threads {c:?} {params:?}");
                    }
                    // a scattered sample (model selection's), ending on the last customer
                    let some: Vec<usize> = (0..n).filter(|a| a % 11 == 3 || a % 4 == 1 || *a == n - 1).collect();
                    let (sample, _) = pool.install(|| tiled::run_for(&m, &c, &Progress::hidden(), params, &some));
                    for a in 0..n {
                        let want = if some.contains(&a) { expected.of(a) } else { (&[][..], &[][..], &[][..]) };
                        assert_eq!(sample.of(a), want, "sampled row {a}: {threads} threads {c:?} {params:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn equal_rationals_that_round_apart_keep_the_f64_order() {
        // cos = 3/√72 and 2/√32 are both 1/√8, yet 3/√72 is one ulp larger in f64; the tiled
        // kernel once dropped the later customer as a "tie" of the k-th best.
        let mut rows: Vec<(String, String)> = Vec::new();
        for i in 0..8 {
            rows.push(("300".into(), format!("A{i}")));
        }
        for i in ["A3", "A4", "Y1", "Y2"] {
            rows.push(("11".into(), i.into())); // 2 shared of 4: becomes the k-th best first
        }
        for f in 0..80 {
            // fillers between them: one shared item of 30, enough to compact and set the bar
            rows.push((format!("{}", 20 + f), "A0".into()));
            for j in 0..29 {
                rows.push((format!("{}", 20 + f), format!("F{f}_{j}")));
            }
        }
        for i in ["A0", "A1", "A2", "X1", "X2", "X3", "X4", "X5", "X6"] {
            rows.push(("150".into(), i.into())); // 3 shared of 9, in a later tile
        }
        let m = Interactions::from_triples(rows.iter().map(|(c, i)| (c.as_str(), i.as_str(), 1.0, None)));
        let c = cfg(1, 0.0);
        for portable in [true, false] {
            let params = tiled::Params { tile: 16, rows: 4, portable, max_planes: 3 };
            let got = tiled::run(&m, &c, &Progress::hidden(), params);
            let a = m.customers.find("300").unwrap();
            assert_eq!(m.customers.label(got.of(a).0[0] as usize), "150", "{params:?}");
            assert_same(&got, &brute_force(&m, &c), &format!("regression {params:?}"));
        }
    }

    /// A seeded xorshift: each call a number below its argument.
    fn below(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut state = seed;
        move |n| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        }
    }

    /// An item in nearly every basket (postage) and most baskets of one to three items: each
    /// row's bar is a tie shared by thousands of small baskets of the same degree. The ties
    /// past the k-th best's id are skipped a group at a time (they were each looked at and
    /// their cosine computed: 1.28 billion cosines at 60,000 customers, 4.9 s against 0.3 s
    /// without the postage item; 0.85 s with the skip), and the lists stay the definition's.
    #[test]
    fn ties_with_the_kth_best_are_skipped_by_the_group_and_the_lists_stay_exact() {
        let mut next = below(7);
        let mut rows: Vec<(String, String)> = Vec::new();
        for c in 0..6000 {
            for _ in 0..[0, 1, 1, 2, 3][next(5) as usize] {
                let u = next(10_000) as f64 / 10_000.0;
                rows.push((format!("{c}"), format!("P{}", (200.0 * u * u * u) as usize)));
            }
            if next(50) != 0 {
                rows.push((format!("{c}"), "POST".into()));
            }
        }
        let m = Interactions::from_triples(rows.iter().map(|(c, i)| (c.as_str(), i.as_str(), 1.0, None)));
        let n = m.n_customers();
        for c in [cfg(20, 0.0), ModelConfig { min_overlap: 2, ..cfg(5, 0.0) }] {
            let expected = brute_force(&m, &c);
            for (tile, rows, portable, max_planes) in
                [(1 << 14, 256, false, 4096), (300, 7, true, 2), (64, 33, false, 0)]
            {
                let params = tiled::Params { tile, rows, portable, max_planes };
                let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
                let all: Vec<usize> = (0..n).collect();
                let (got, p) = pool.install(|| tiled::run_for(&m, &c, &Progress::hidden(), params, &all));
                assert_same(&got, &expected, &format!("{c:?} {params:?}"));
                // every row ties with thousands: without the skip, exact ≈ 0.6 of the pairs
                // linear, not quadratic: each row computes at most the rest of the first group
                // of its tie's degree and one group where the degree changes (without the
                // skip: 7.6 and 0.77 million here, against 2.6 and 0.07)
                assert!(p.exact <= 512.0 * n as f64, "{c:?} {params:?}: {p:?}");
            }
        }
    }

    /// helper-145: a shop of one-line customers (each bought one item; the popular ones bought
    /// by thousands) had every row swept over every customer, each list full of customers of
    /// cosine 1 after its first tile: Σ buyers² counted, quadratic in the customers (2M: 175
    /// s). A row stops where its bar needs more shared items than it has; the lists stay the
    /// definition's.
    #[test]
    fn a_row_whose_bar_no_later_customer_can_reach_is_not_swept_further() {
        let mut next = below(11);
        let rows: Vec<(String, String)> = (0..6000)
            .map(|c| {
                let u = next(10_000) as f64 / 10_000.0;
                (format!("{c}"), format!("P{}", (300.0 * u * u * u) as usize))
            })
            .collect();
        let m = Interactions::from_triples(rows.iter().map(|(c, i)| (c.as_str(), i.as_str(), 1.0, None)));
        let n = m.n_customers();
        let c = cfg(20, 0.0);
        let expected = brute_force(&m, &c);
        for (tile, rows, portable, max_planes) in [(1 << 14, 256, false, 4096), (512, 7, true, 2), (256, 33, false, 0)]
        {
            let params = tiled::Params { tile, rows, portable, max_planes };
            let all: Vec<usize> = (0..n).collect();
            let (got, p) = tiled::run_for(&m, &c, &Progress::hidden(), params, &all);
            assert_same(&got, &expected, &format!("{params:?}"));
            // the rows of an item of 20 buyers or more (58% of the customers) are full after
            // the tile where their 20th lower id is: 35% of the pairs are not swept at 512 a
            // tile; without the stop, none
            if tile < n {
                assert!(p.unswept > 0.3 * p.pairs, "{params:?}: {p:?}");
            }
        }
    }

    #[test]
    fn general_kernel_takes_the_binary_model_past_the_tiled_limit_and_matches_brute_force() {
        // the fallback for customers with more than 65,535 items: same neighbours, same floats
        // (binary values make the float formula the integer one, so goldens cannot move)
        let m = random_matrix(200, 300, 10, 11);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        for c in [cfg(15, 0.0), ModelConfig { min_overlap: 2, ..cfg(15, 0.0) }] {
            let got = pool.install(|| weighted::run(&weighted::rows(&m, &c), &c, &Progress::hidden()));
            assert_same(&got, &brute_force(&m, &c), &format!("{c:?}"));
        }
        // the overlap floor really removes neighbours here
        assert_ne!(brute_force(&m, &cfg(15, 0.0)), brute_force(&m, &ModelConfig { min_overlap: 2, ..cfg(15, 0.0) }));
    }

    /// Measured at 20,000 customers × 5,000 items × 10 (`kindred generate … 20000 5000 10`,
    /// 2 threads, release build; see [`estimated_bytes`] for how): the estimate bounds each
    /// kind's peak from above, within 4×.
    #[test]
    fn estimated_bytes_bound_the_measured_peaks() {
        let m = crate::generate::matrix(&crate::generate::Shape::new(20_000, 5_000, 10.0, 0.9, 7).unwrap());
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let measured_mb = [(Kind::User, 21.0), (Kind::Item, 16.0), (Kind::Ease, 546.0), (Kind::SparseEase, 89.0)];
        for (kind, mb) in measured_mb {
            let cfg = ModelConfig { kind, ..Default::default() };
            let estimate = pool.install(|| estimated_bytes(&m, &cfg)) as f64 / 1e6;
            assert!(estimate >= mb && estimate <= 4.0 * mb, "{kind:?}: estimate {estimate:.0} MB, measured {mb} MB");
        }
        // dense EASE grows as items², the sparse one as items × M
        let big = ModelConfig { kind: Kind::Ease, ..Default::default() };
        let sparse = ModelConfig { kind: Kind::SparseEase, ..Default::default() };
        assert!(estimated_bytes(&m, &big) > 4 * estimated_bytes(&m, &sparse));
    }

    #[test]
    fn matches_brute_force_on_random_matrices() {
        for seed in 0..6 {
            let m = random_matrix(120 + seed as usize * 40, 60, 8, seed);
            for c in [cfg(1, 0.0), cfg(7, 0.0), cfg(20, 0.2)] {
                let expected = brute_force(&m, &c);
                assert_eq!(fast(&m, &c, 1), expected, "seed {seed} {c:?} one thread");
                assert_eq!(fast(&m, &c, 2), expected, "seed {seed} {c:?} two threads");
            }
        }
    }
}
