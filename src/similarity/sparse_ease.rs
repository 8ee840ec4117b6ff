//! Sparse EASE: EASE's item weights, each item's fitted on its M most co-purchased items only
//! (`kind = "sparse_ease"`, M = `sparse_ease_items`), so memory and time grow with the
//! catalogue × M instead of the catalogue² — a strong model for catalogues the dense inverse
//! cannot take.
//!
//! X and G = XᵀX are EASE's (`weighting`, `similarity_half_life_days`; G summed by
//! [`ease::gram_row`] in its one order, never dense). For each item i, N(i) = the M other
//! items with the largest G[i][j] > 0 (ties to the lower id), or every other item when
//! M ≥ items − 1. Column i of B is the ridge regression of i on N(i):
//!
//!   B[N(i)][i] = argmin_b ‖X_i − X_N b‖² + λ‖b‖²  ⇔  (G[N,N] + λI) b = G[N,i],
//!
//! solved by Cholesky of the |N| × |N| matrix (faer, one thread per system); B[j][i] = 0 for
//! j ∉ N(i). Dense EASE's column i solves the same problem over all other items (its
//! constraint B[i][i] = 0 leaves exactly that regression; Steck 2019, eqs. 3–4), so with
//! M ≥ items − 1 the weights are dense EASE's (a test checks it to 1e-9).
//!
//! Memory: G is summed twice, item by item. The first pass keeps N(i) with G[N(i)][i], the
//! diagonal and G among the [`HUBS`] most bought items, dense (34 MB). System i reads G only
//! among N(i), so the second pass keeps, of a non-hub j's row, the items k that share some
//! N(i) with j, each such pair once (12 bytes per pair kept). Before 0.4.0 every co-purchased
//! pair was kept; then the rows of every item of some N(i) over all those items, twice. With
//! `similarity_half_life_days` the N(i) spread over the catalogue and that was nearly all of G.
//! Measured at a million customers × 50,000 items (the shipped settings: half-life 90 days,
//! M 100), the fit with its first scoring in the auto selection went 35.1 → 26.3 s and the
//! run's peak 4.72 → 3.75 GB, now where the window is held back; at 100,000 items × 200,000
//! customers the whole run 47.2 → 36.0 s and 1.56 → 0.98 GB. The same bytes in every case.
//! Then B (12 bytes × M per item, by source item), and per worker one dense row of G and one
//! M × M matrix. Exact and deterministic: each G[j][k] of a system is the float
//! [`ease::gram_row`] sums for row j or row k (the same), stored once; each system is
//! solved alone in one fixed order, so any thread count gives the same bytes. A system is
//! trusted when every Cholesky pivot d_k (a Schur complement of
//! G[N,N] + λI, so ≥ its least eigenvalue ≥ λ) keeps d_k ≥ λ (1 − 1e-6) and stands above
//! rounding, d_k ≥ 1e-10 (G[k][k] + λ), and every weight is finite; otherwise λ is too small
//! for the data and the error names `[model] ease_lambda`, as dense EASE's does.
//!
//! Recommending ([`SparseEase::vote`]): as EASE — a customer's score for i is Σ over their
//! items j, ascending, of B[j][i] (× recency), only positive totals are candidates, supporters
//! counts their items with a positive weight for i; with a `description_weight` the same
//! [`Blend`], the description votes from each item's M most similar descriptions
//! ([`text::similarity_rows`]). Each item j votes with its M weights B[j][·] of the largest
//! magnitude ([`strongest_votes`]; ties to the lower item; every weight when M ≥ items − 1, so
//! dense EASE's scores stay exact there). Without the cut a popular item sits in most items'
//! N(i) and its row spans most of the catalogue: at 100,000 items × 200,000 customers scoring
//! did not finish in 6 minutes; with it, 2.8 s (a customer costs at most their items × M). On
//! the shipped export the cut moved NDCG@10 by −1.2% … +1.1% at four cutoffs (README,
//! "Evaluation"). The published item neighbours are taken from every weight.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::{Mat, Par};
use rayon::prelude::*;

use super::ease;
use super::model::{Slot, Votes};
use super::text::{self, Blend};
use super::weighted::{self, Rows};
use super::{keep_best, Candidate, Neighbours, BLOCK};
use crate::config::{Kind, ModelConfig};
use crate::error::Error;
use crate::pivot::Interactions;
use crate::progress::Progress;

/// The sparse EASE model: the published item neighbours, B by source item and the blend.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseEase {
    /// Each item's largest weights, as the item neighbours published.
    pub neighbours: Neighbours,
    /// B by source item: row j holds the items j votes for (ascending) and the weights.
    pub weights: Rows,
    /// With a `description_weight` only: each item's M most similar descriptions.
    pub text: Option<Rows>,
    /// The description's share of the scores (0: none).
    pub description_weight: f64,
}

/// A block of items' rows in compressed form (local row r = item `first + r`).
#[derive(Default)]
struct Part {
    indptr: Vec<usize>,
    cols: Vec<u32>,
    vals: Vec<f64>,
}

impl Part {
    fn row(&self, r: usize) -> (&[u32], &[f64]) {
        let span = self.indptr[r]..self.indptr[r + 1];
        (&self.cols[span.clone()], &self.vals[span])
    }

    fn push_row(&mut self) {
        if self.indptr.is_empty() {
            self.indptr.push(0);
        }
        self.indptr.push(self.cols.len());
    }
}

/// What the Gram passes keep of a block of items: N(i) with G[N(i)][i], G's diagonal and the
/// hubs' rows over the hubs (first pass); for each non-hub j of some N(i), its row of G over
/// the items some system reads beside it, each pair kept once (second pass; see [`gram`];
/// empty for the others: a hub's entries with hubs are in the dense table, with the others in
/// their rows).
#[derive(Default)]
struct GramBlock {
    rows: Part,
    near: Part,
    diagonal: Vec<f64>,
    hub_rows: Vec<(u32, Vec<f64>)>,
}

/// The most bought items, whose entries of G among themselves are kept dense (2,048² × 8
/// bytes = 34 MB): the N(i) are mostly popular items, whose sparse rows are the longest, so a
/// system's entries would otherwise each be a binary search through a row of ~10⁵ entries.
pub const HUBS: usize = 2048;

/// G, as the systems read it: [`GramBlock`]s and the dense table of the hubs.
struct Gram {
    blocks: Vec<GramBlock>,
    /// Per item: its index among the hubs, or `u32::MAX`.
    hub: Vec<u32>,
    hubs: usize,
    table: Vec<f64>,
}

impl Gram {
    /// G[j][k], j ≠ k, for j and k of one N(i): from the hubs' table, else by binary search in
    /// the row that keeps the pair (a non-hub's; of two, the lower item's).
    fn entry(&self, j: usize, k: usize) -> f64 {
        let (hj, hk) = (self.hub[j], self.hub[k]);
        if hj != u32::MAX && hk != u32::MAX {
            return self.table[hj as usize * self.hubs + hk as usize];
        }
        let (r, other) = match (hj != u32::MAX, hk != u32::MAX) {
            (true, _) => (k, j),
            (_, true) => (j, k),
            _ => (j.min(k), j.max(k)),
        };
        let (cols, vals) = self.blocks[r / BLOCK].rows.row(r % BLOCK);
        cols.binary_search(&(other as u32)).map_or(0.0, |p| vals[p])
    }
}

/// Each item's index among the `hubs` most bought (ties to the lower id), or `u32::MAX`.
fn hub_index(rows: &Rows, hubs: usize) -> (Vec<u32>, usize) {
    let n = rows.n_rows();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let buyers = |i: u32| rows.indptr[i as usize + 1] - rows.indptr[i as usize];
    order.sort_by(|&a, &b| buyers(b).cmp(&buyers(a)).then(a.cmp(&b)));
    let mut hub = vec![u32::MAX; n];
    for (h, &i) in order.iter().take(hubs).enumerate() {
        hub[i as usize] = h as u32;
    }
    (hub, n.min(hubs))
}

/// One worker's scratch for the Gram pass: a dense row, who last wrote each entry, which row
/// last needed each entry (second pass), the entries written, the candidates.
struct RowScratch {
    acc: Vec<f64>,
    mark: Vec<u32>,
    needed: Vec<u32>,
    touched: Vec<u32>,
    candidates: Vec<Candidate>,
}

/// Learns B and each item's top `cfg.neighbours` weights; an error naming the setting to
/// change when G overflows or a system cannot be trusted. Runs on the current rayon pool.
pub fn run(m: &Interactions, cfg: &ModelConfig, progress: &Progress) -> Result<SparseEase, Error> {
    let mut model = fit(m, cfg, progress, HUBS)?;
    model.weights = strongest_votes(&model.weights, cfg.sparse_ease_items);
    Ok(model)
}

/// B with every weight and the neighbours published from it, `hubs` items kept dense (tests
/// vary it: the result is the same).
fn fit(m: &Interactions, cfg: &ModelConfig, progress: &Progress, hubs: usize) -> Result<SparseEase, Error> {
    let rows = weighted::values(m, &ModelConfig { kind: Kind::Item, ..cfg.clone() });
    let n = rows.n_rows();
    let gram = gram(&rows, cfg.sparse_ease_items, hubs).ok_or_else(|| ease::overflow(&rows, cfg))?;
    let diagonal: Vec<f64> = gram.blocks.iter().flat_map(|b| b.diagonal.iter().copied()).collect();
    let columns: Vec<Vec<f64>> = gram
        .blocks
        .par_iter()
        .map_init(
            || Solver::new(cfg.sparse_ease_items.min(n)),
            |solver, g| {
                let out = solve_block(g, &gram, &diagonal, cfg.ease_lambda, solver);
                progress.inc(g.diagonal.len() as u64);
                out
            },
        )
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ease::singular(cfg))?;
    let weights = by_source(n, &gram.blocks, &columns);
    drop((gram, columns));
    let neighbours = ease::publish(&rows, cfg, &Progress::hidden(), |j, out| {
        let (targets, w) = weights.row(j);
        out.extend(targets.iter().zip(w).map(|(&i, &w)| (w, i, 0)));
    });
    let text = (cfg.description_weight > 0.0).then(|| text::similarity_rows(&m.descriptions, cfg.sparse_ease_items));
    Ok(SparseEase { neighbours, weights, text, description_weight: cfg.description_weight })
}

/// The Gram passes, items in blocks of [`BLOCK`]: `None` when an entry of G is not finite.
fn gram(rows: &Rows, keep: usize, hubs: usize) -> Option<Gram> {
    let n = rows.n_rows();
    let by_customer = rows.transpose();
    let (hub, hubs) = hub_index(rows, hubs);
    let scratch = || RowScratch {
        acc: vec![0.0; n],
        mark: vec![u32::MAX; n],
        needed: vec![u32::MAX; n],
        touched: Vec::new(),
        candidates: Vec::new(),
    };
    let mut blocks: Vec<GramBlock> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map_init(scratch, |s, block| {
            let mut out = GramBlock::default();
            for i in block * BLOCK..((block + 1) * BLOCK).min(n) {
                gram_item(rows, &by_customer, i, keep, (&hub, hubs), s, &mut out)?;
            }
            Some(out)
        })
        .collect::<Option<_>>()?;
    // Which systems read each item: `into[j]` = the i with j ∈ N(i). System i reads G[j][k]
    // for j, k ∈ N(i) only, so row j keeps K(j) = ∪ N(i) over those i (K is symmetric: k ∈
    // K(j) ⇔ j ∈ K(k)), each pair once: with a hub in the non-hub's row, else in the lower
    // item's row ([`Gram::entry`] looks there).
    let into = systems_reading(n, &blocks);
    let near_of = |i: usize| blocks[i / BLOCK].near.row(i % BLOCK).0;
    let kept: Vec<Part> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map_init(scratch, |s, block| {
            let mut out = Part::default();
            for j in block * BLOCK..((block + 1) * BLOCK).min(n) {
                let readers = &into.1[into.0[j]..into.0[j + 1]];
                if !readers.is_empty() && hub[j] == u32::MAX {
                    sum_row(rows, &by_customer, j, s);
                    let stamp = j as u32;
                    for &i in readers {
                        near_of(i as usize).iter().for_each(|&k| s.needed[k as usize] = stamp);
                    }
                    let keep = |k: usize| k != j && s.needed[k] == stamp && (hub[k] != u32::MAX || k > j);
                    for &k in s.touched.iter().filter(|&&k| keep(k as usize)) {
                        out.cols.push(k);
                        out.vals.push(s.acc[k as usize]);
                    }
                }
                out.push_row();
            }
            out
        })
        .collect();
    blocks.iter_mut().zip(kept).for_each(|(b, rows)| b.rows = rows);
    let mut table = vec![0.0; hubs * hubs];
    for (h, row) in blocks.iter_mut().flat_map(|b| std::mem::take(&mut b.hub_rows)) {
        table[h as usize * hubs..(h as usize + 1) * hubs].copy_from_slice(&row);
    }
    Some(Gram { blocks, hub, hubs, table })
}

/// For each item j, the items i whose N(i) holds j, ascending (by item: `indptr`, `items`).
fn systems_reading(n: usize, blocks: &[GramBlock]) -> (Vec<usize>, Vec<u32>) {
    let mut indptr = vec![0usize; n + 1];
    blocks.iter().flat_map(|b| &b.near.cols).for_each(|&j| indptr[j as usize + 1] += 1);
    for j in 0..n {
        indptr[j + 1] += indptr[j];
    }
    let (mut next, mut items) = (indptr[..n].to_vec(), vec![0u32; indptr[n]]);
    for (block, b) in blocks.iter().enumerate() {
        for r in 0..b.diagonal.len() {
            for &j in b.near.row(r).0 {
                items[next[j as usize]] = (block * BLOCK + r) as u32;
                next[j as usize] += 1;
            }
        }
    }
    (indptr, items)
}

/// Row i of G into `s` (see [`ease::gram_row`]): `acc[k]` for each k in `touched`, ascending.
fn sum_row(rows: &Rows, by_customer: &(Vec<usize>, Vec<u32>, Vec<f64>), i: usize, s: &mut RowScratch) {
    let stamp = i as u32;
    let RowScratch { acc, mark, touched, .. } = s;
    touched.clear();
    ease::gram_row(rows, by_customer, i, |k, x| {
        if mark[k] != stamp {
            mark[k] = stamp;
            acc[k] = 0.0;
            touched.push(k as u32);
        }
        acc[k] += x;
    });
    touched.sort_unstable();
}

/// Item i's N(i) and G[N(i)][i], its diagonal, and for a hub its row over the hubs.
fn gram_item(
    rows: &Rows,
    by_customer: &(Vec<usize>, Vec<u32>, Vec<f64>),
    i: usize,
    keep: usize,
    (hub, hubs): (&[u32], usize),
    s: &mut RowScratch,
    out: &mut GramBlock,
) -> Option<()> {
    let n = rows.n_rows();
    let stamp = i as u32;
    sum_row(rows, by_customer, i, s);
    let RowScratch { acc, mark, touched, candidates, .. } = s;
    let at = |k: usize| if mark[k] == stamp { acc[k] } else { 0.0 };
    if !touched.iter().all(|&k| acc[k as usize].is_finite()) {
        return None;
    }
    out.diagonal.push(at(i));
    if hub[i] != u32::MAX {
        let mut row = vec![0.0; hubs];
        for &k in touched.iter().filter(|&&k| hub[k as usize] != u32::MAX && k != stamp) {
            row[hub[k as usize] as usize] = acc[k as usize];
        }
        out.hub_rows.push((hub[i], row));
    }
    if keep + 1 >= n {
        // every other item: dense EASE's column exactly
        out.near.cols.extend((0..n as u32).filter(|&k| k != stamp));
        out.near.vals.extend((0..n).filter(|&k| k != i).map(at));
    } else {
        candidates.clear();
        candidates
            .extend(touched.iter().filter(|&&k| k != stamp && acc[k as usize] > 0.0).map(|&k| (acc[k as usize], k, 0)));
        keep_best(candidates, keep);
        candidates.sort_unstable_by_key(|c| c.1);
        out.near.cols.extend(candidates.iter().map(|c| c.1));
        out.near.vals.extend(candidates.iter().map(|c| c.0));
    }
    out.near.push_row();
    Some(())
}

/// One worker's M × M system, its right-hand side and faer's scratch.
struct Solver {
    a: Mat<f64>,
    rhs: Mat<f64>,
    mem: MemBuffer,
}

impl Solver {
    fn new(size: usize) -> Solver {
        let scratch = llt::factor::cholesky_in_place_scratch::<f64>(size, Par::Seq, Default::default())
            .or(llt::solve::solve_in_place_scratch::<f64>(size, 1, Par::Seq));
        Solver { a: Mat::zeros(size, size), rhs: Mat::zeros(size, 1), mem: MemBuffer::new(scratch) }
    }

    /// Solves (A + λI) b = g for A = G[N,N] given by `entry(a, b)` (a < b) and `diagonal`;
    /// `None` when the system cannot be trusted (see the module doc).
    fn solve(
        &mut self,
        g: &[f64],
        diagonal: &[f64],
        lambda: f64,
        entry: impl Fn(usize, usize) -> f64,
    ) -> Option<&[f64]> {
        let k = g.len();
        if k == 0 {
            return Some(&[]);
        }
        let mut a = self.a.as_mut().submatrix_mut(0, 0, k, k);
        for p in 0..k {
            a[(p, p)] = diagonal[p] + lambda;
            for q in p + 1..k {
                let x = entry(p, q);
                a[(q, p)] = x;
                a[(p, q)] = x;
            }
        }
        llt::factor::cholesky_in_place(
            a.as_mut(),
            Default::default(),
            Par::Seq,
            MemStack::new(&mut self.mem),
            Default::default(),
        )
        .ok()?;
        let trusted = |p: usize| {
            let d = a[(p, p)] * a[(p, p)];
            d >= lambda * (1.0 - 1e-6) && d >= 1e-10 * (diagonal[p] + lambda)
        };
        if !(0..k).all(trusted) {
            return None;
        }
        let mut rhs = self.rhs.as_mut().submatrix_mut(0, 0, k, 1);
        for (p, &x) in g.iter().enumerate() {
            rhs[(p, 0)] = x;
        }
        llt::solve::solve_in_place(a.as_ref(), rhs.as_mut(), Par::Seq, MemStack::new(&mut self.mem));
        let b = self.rhs.col_as_slice(0);
        b[..k].iter().all(|w| w.is_finite()).then_some(&b[..k])
    }
}

/// The weights of a block of items' columns, aligned with their N(i); `None` for a system
/// that cannot be trusted.
fn solve_block(g: &GramBlock, gram: &Gram, diagonal: &[f64], lambda: f64, solver: &mut Solver) -> Option<Vec<f64>> {
    let mut out = Vec::with_capacity(g.near.cols.len());
    let mut local = Vec::new();
    for r in 0..g.diagonal.len() {
        let (near, rhs) = g.near.row(r);
        local.clear();
        local.extend(near.iter().map(|&j| diagonal[j as usize]));
        let entry = |p: usize, q: usize| gram.entry(near[p] as usize, near[q] as usize);
        out.extend_from_slice(solver.solve(rhs, &local, lambda, entry)?);
    }
    Some(out)
}

/// B by source item from its columns: row j lists (i, B[j][i]) for the items i with j ∈ N(i),
/// ascending.
fn by_source(n: usize, gram: &[GramBlock], columns: &[Vec<f64>]) -> Rows {
    let mut indptr = vec![0usize; n + 1];
    for g in gram {
        for &j in &g.near.cols {
            indptr[j as usize + 1] += 1;
        }
    }
    for j in 0..n {
        indptr[j + 1] += indptr[j];
    }
    let mut next = indptr[..n].to_vec();
    let (mut indices, mut values) = (vec![0u32; indptr[n]], vec![0.0; indptr[n]]);
    for (block, (g, w)) in gram.iter().zip(columns).enumerate() {
        for r in 0..g.diagonal.len() {
            let i = (block * BLOCK + r) as u32;
            let span = g.near.indptr[r]..g.near.indptr[r + 1];
            for (&j, &b) in g.near.cols[span.clone()].iter().zip(&w[span]) {
                let at = &mut next[j as usize];
                (indices[*at], values[*at]) = (i, b);
                *at += 1;
            }
        }
    }
    Rows { indptr, indices, values, norm2: Vec::new(), n_cols: n }
}

/// Each row of `b` cut to its `votes` weights of the largest magnitude (ties to the lower
/// item), still ascending by item: what bounds a customer's scoring (see the module doc).
fn strongest_votes(b: &Rows, votes: usize) -> Rows {
    let n = b.n_rows();
    let blocks = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|block| {
            let (mut lens, mut out) = (Vec::new(), Vec::new());
            for j in block * BLOCK..((block + 1) * BLOCK).min(n) {
                let (targets, w) = b.row(j);
                // positions ascend with the item, so a tie in magnitude goes to the lower
                let mut at: Vec<usize> = (0..targets.len()).collect();
                if at.len() > votes {
                    let stronger = |&p: &usize, &q: &usize| w[q].abs().total_cmp(&w[p].abs()).then(p.cmp(&q));
                    if votes > 0 {
                        at.select_nth_unstable_by(votes - 1, stronger);
                    }
                    at.truncate(votes);
                    at.sort_unstable();
                }
                lens.push(at.len());
                out.extend(at.iter().map(|&p| (w[p], targets[p], 0)));
            }
            (lens, out)
        })
        .collect();
    Rows::from_blocks(n, b.n_cols, blocks)
}

/// One worker's per-customer sums over the catalogue: B's votes, the description votes, who
/// last wrote each item, the items written. Sized at the first customer.
#[derive(Default)]
pub struct Sums {
    model: Vec<f64>,
    text: Vec<f64>,
    mark: Vec<u32>,
    touched: Vec<u32>,
}

impl SparseEase {
    /// Customer `a`'s candidates (see the module doc): only positive scores, each with one
    /// supporter until [`SparseEase::supporters`] counts them.
    pub(super) fn vote(&self, a: usize, m: &Interactions, recency: Option<&[f64]>, s: &mut Votes) {
        let n = m.n_items();
        let Votes { owner, items, touched, sums, .. } = s;
        if sums.mark.len() != n {
            *sums = Sums { model: vec![0.0; n], text: vec![0.0; n], mark: vec![u32::MAX; n], touched: Vec::new() };
        }
        gather(&self.weights, m, a, recency, owner, sums, false);
        let blend = self.text.as_ref().map(|t| {
            gather(t, m, a, recency, owner, sums, true);
            let best = |v: &[f64]| sums.touched.iter().map(|&i| v[i as usize]).fold(0.0, f64::max);
            Blend::new(self.description_weight, best(&sums.model), best(&sums.text))
        });
        for &i in &sums.touched {
            let (model, text) = (sums.model[i as usize], sums.text[i as usize]);
            let score = blend.map_or(model, |b| b.score(model, text));
            if score > 0.0 {
                touched.push(i);
                items[i as usize] = Slot { score, support: 1 };
            }
        }
        sums.touched.clear();
    }

    /// Customer `c`'s supporters of item `i`: their items with a positive weight for it.
    pub(super) fn supporters(&self, m: &Interactions, c: usize, i: u32) -> u32 {
        let weight = |j: u32| {
            let (targets, w) = self.weights.row(j as usize);
            targets.binary_search(&i).map_or(0.0, |p| w[p])
        };
        m.row(c).iter().filter(|&&j| weight(j) > 0.0).count() as u32
    }
}

/// Adds customer `a`'s votes from `rows` (B, or the description rows when `text`): each of
/// their items j, ascending, × its recency, for every item it votes for that `a` does not own.
fn gather(
    rows: &Rows,
    m: &Interactions,
    a: usize,
    recency: Option<&[f64]>,
    owner: &[u32],
    sums: &mut Sums,
    text: bool,
) {
    let stamp = a as u32;
    for (p, &j) in (m.indptr[a]..m.indptr[a + 1]).zip(m.row(a)) {
        let w = recency.map_or(1.0, |r| r[p]);
        let (targets, weights) = rows.row(j as usize);
        for (&i, &b) in targets.iter().zip(weights) {
            let i = i as usize;
            if owner[i] == stamp {
                continue;
            }
            if sums.mark[i] != stamp {
                sums.mark[i] = stamp;
                (sums.model[i], sums.text[i]) = (0.0, 0.0);
                sums.touched.push(i as u32);
            }
            let sum = if text { &mut sums.text[i] } else { &mut sums.model[i] };
            *sum += w * b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::ease::tests::{always_together, gauss_jordan};
    use crate::similarity::tests::random_matrix;
    use crate::similarity::{Model, Votes};

    fn cfg(items: usize, lambda: f64) -> ModelConfig {
        ModelConfig { kind: Kind::SparseEase, sparse_ease_items: items, ease_lambda: lambda, ..Default::default() }
    }

    /// The model with every weight (before [`strongest_votes`]) on `threads` threads; every
    /// count of hubs gives the same bytes.
    fn fitted(m: &Interactions, cfg: &ModelConfig, threads: usize) -> SparseEase {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let model = pool.install(|| fit(m, cfg, &Progress::hidden(), HUBS).unwrap());
        for hubs in [0, 7] {
            assert_eq!(pool.install(|| fit(m, cfg, &Progress::hidden(), hubs).unwrap()), model, "{hubs} hubs");
        }
        model
    }

    /// B dense (row j: item j's weight for every item), from the sparse rows.
    fn dense(e: &SparseEase, n: usize) -> Vec<f64> {
        let mut b = vec![0.0; n * n];
        for j in 0..n {
            let (targets, w) = e.weights.row(j);
            targets.iter().zip(w).for_each(|(&i, &w)| b[j * n + i as usize] = w);
        }
        b
    }

    /// The definition the slow way: dense G, N(i) by sorting every other item, each local
    /// system solved by the textbook inverse.
    fn brute_force(m: &Interactions, cfg: &ModelConfig) -> Vec<f64> {
        let rows = weighted::values(m, &ModelConfig { kind: Kind::Item, ..cfg.clone() });
        let n = m.n_items();
        let g = ease::gram(&rows);
        let mut b = vec![0.0; n * n];
        for i in 0..n {
            let mut others: Vec<(f64, u32)> = (0..n).filter(|&j| j != i).map(|j| (g[i * n + j], j as u32)).collect();
            others.sort_by(crate::similarity::better);
            if cfg.sparse_ease_items + 1 < n {
                others.retain(|x| x.0 > 0.0);
                others.truncate(cfg.sparse_ease_items);
            }
            let near: Vec<usize> = others.iter().map(|x| x.1 as usize).collect();
            let k = near.len();
            let a: Vec<f64> = (0..k * k)
                .map(|x| g[near[x / k] * n + near[x % k]] + if x / k == x % k { cfg.ease_lambda } else { 0.0 })
                .collect();
            let inverse = gauss_jordan(&a, k);
            for p in 0..k {
                b[near[p] * n + i] = (0..k).map(|q| inverse[p * k + q] * g[near[q] * n + i]).sum();
            }
        }
        b
    }

    #[test]
    fn weights_match_the_local_systems_solved_the_slow_way() {
        for (seed, items, lambda) in [(1, 5, 3.0), (2, 12, 10.0), (3, 1, 1.0), (4, 30, 0.5)] {
            let m = random_matrix(150, 50, 8, seed);
            let c = cfg(items, lambda);
            let n = m.n_items();
            let b = dense(&fitted(&m, &c, 2), n);
            let want = brute_force(&m, &c);
            for (k, (x, y)) in b.iter().zip(&want).enumerate() {
                assert!((x - y).abs() < 1e-9, "seed {seed} M {items}: B[{}][{}] = {x} vs {y}", k / n, k % n);
            }
            // each column has at most M weights
            assert!((0..n).all(|i| (0..n).filter(|&j| b[j * n + i] != 0.0).count() <= items), "seed {seed}");
        }
    }

    #[test]
    fn with_every_item_it_is_dense_ease() {
        let m = random_matrix(120, 40, 8, 3);
        let n = m.n_items();
        for items in [n - 1, n, 2000] {
            let sparse = dense(&fitted(&m, &cfg(items, 5.0), 2), n);
            let full =
                ease::run(&m, &ModelConfig { kind: Kind::Ease, ..cfg(items, 5.0) }, &Progress::hidden()).unwrap();
            for (k, (x, y)) in sparse.iter().zip(&full.weights).enumerate() {
                assert!((x - y).abs() < 1e-9, "M {items}: B[{}][{}] = {x} vs {y}", k / n, k % n);
            }
        }
    }

    /// Every customer's scores from the sparse model equal dense EASE's when M covers the
    /// catalogue: the same sums, the same description blend, the same recency.
    #[test]
    fn scores_and_the_description_blend_are_dense_eases_with_every_item() {
        let mut m = random_matrix(90, 25, 6, 9);
        let n = m.n_items();
        m.descriptions =
            (0..n).map(|i| Some(format!("RED {} BOX {}", ["HEART", "STAR", "CAT"][i % 3], i % 4))).collect();
        let recency: Vec<f64> = (0..m.n_pairs()).map(|p| 0.5 + (p % 7) as f64 / 10.0).collect();
        let c = ModelConfig { description_weight: 0.3, ..cfg(100, 4.0) };
        let sparse = Model::SparseEase(run(&m, &c, &Progress::hidden()).unwrap());
        let full =
            Model::Ease(ease::run(&m, &ModelConfig { kind: Kind::Ease, ..c.clone() }, &Progress::hidden()).unwrap());
        let (mut a, mut b) = (Votes::new(n), Votes::new(n));
        full.begin_block(&(0..m.n_customers()).collect::<Vec<_>>(), &m, Some(&recency), &mut b);
        for customer in 0..m.n_customers() {
            a.own(customer, m.row(customer));
            b.own(customer, m.row(customer));
            sparse.vote(customer, &m, 10, Some(&recency), &mut a);
            full.vote(customer, &m, 10, Some(&recency), &mut b);
            let (mut x, mut y) = (a.candidates().to_vec(), b.candidates().to_vec());
            x.sort_unstable();
            y.sort_unstable();
            assert_eq!(x, y, "customer {customer}");
            for &i in &x {
                assert!((a.get(i).0 - b.get(i).0).abs() < 1e-9, "customer {customer} item {i}");
                let (s, t) = (sparse.supporters(&m, customer, i, 1), full.supporters(&m, customer, i, 1));
                assert_eq!(s, t, "customer {customer} item {i}");
            }
            a.clear();
            b.clear();
        }
    }

    #[test]
    fn runs_are_identical_across_threads_and_neighbours_are_the_largest_weights() {
        let m = random_matrix(300, 120, 10, 6);
        let c = ModelConfig { neighbours: 5, ..cfg(15, 8.0) };
        let one = fitted(&m, &c, 1);
        for threads in [2, 3] {
            assert_eq!(fitted(&m, &c, threads), one, "{threads} threads");
        }
        let n = m.n_items();
        let b = dense(&one, n);
        for j in 0..n {
            let mut all: Vec<(f64, u32)> =
                (0..n).filter(|&i| b[j * n + i] > 0.0).map(|i| (b[j * n + i], i as u32)).collect();
            all.sort_by(crate::similarity::better);
            all.truncate(5);
            let (ids, sims, _) = one.neighbours.of(j);
            assert_eq!(ids, all.iter().map(|x| x.1).collect::<Vec<_>>(), "item {j}");
            assert_eq!(sims, all.iter().map(|x| x.0).collect::<Vec<_>>());
        }
    }

    /// `run` keeps each item's M votes of the largest magnitude (ties to the lower item), the
    /// same floats, ascending; the published neighbours are those of every weight; a
    /// customer's scores are the sums over the kept votes.
    #[test]
    fn each_item_votes_with_its_m_strongest_weights() {
        let m = random_matrix(300, 120, 10, 6);
        let n = m.n_items();
        for (items, ties) in [(15, false), (4, true), (1, false)] {
            let c = ModelConfig { neighbours: 5, ..cfg(items, 8.0) };
            let mut full = fitted(&m, &c, 2);
            if ties {
                // equal magnitudes, of either sign: the lower item goes first
                full.weights.values.iter_mut().for_each(|w| *w = w.signum() * 0.5);
            }
            let kept = strongest_votes(&full.weights, items);
            let mut cut = 0;
            for j in 0..n {
                let (targets, w) = full.weights.row(j);
                let mut all: Vec<(f64, u32)> = w.iter().zip(targets).map(|(w, &i)| (w.abs(), i)).collect();
                all.sort_by(crate::similarity::better);
                all.truncate(items);
                all.sort_by_key(|x| x.1);
                cut += (targets.len() > items) as usize;
                let (ids, values) = kept.row(j);
                assert_eq!(ids, all.iter().map(|x| x.1).collect::<Vec<_>>(), "M {items}, item {j}");
                let want: Vec<f64> = ids.iter().map(|&i| w[targets.binary_search(&i).unwrap()]).collect();
                assert_eq!(values, want, "M {items}, item {j}: the same floats");
            }
            assert!(cut > 0, "M {items}: no row was long enough to cut");
        }
        let c = ModelConfig { neighbours: 5, ..cfg(15, 8.0) };
        let (full, model) = (fitted(&m, &c, 1), run(&m, &c, &Progress::hidden()).unwrap());
        assert_eq!(model.neighbours, full.neighbours, "published from every weight");
        assert_eq!(model.weights, strongest_votes(&full.weights, 15));
        let b = dense(&model, n);
        let model = Model::SparseEase(model);
        let mut votes = Votes::new(n);
        for customer in (0..m.n_customers()).step_by(7) {
            votes.own(customer, m.row(customer));
            model.vote(customer, &m, 10, None, &mut votes);
            for i in 0..n {
                let sum: f64 = m.row(customer).iter().map(|&j| b[j as usize * n + i]).sum();
                let owned = m.row(customer).contains(&(i as u32));
                let got = votes.candidates().contains(&(i as u32));
                assert_eq!(got, !owned && sum > 0.0, "customer {customer} item {i}");
                if got {
                    assert!((votes.get(i as u32).0 - sum).abs() < 1e-12, "customer {customer} item {i}");
                }
            }
            votes.clear();
        }
    }

    /// As dense EASE's (issue 14 cases 6 and 14): λ tiny on items always bought together is an
    /// error naming `[model] ease_lambda`, not garbage weights; an overflowing G names `weighting`.
    #[test]
    fn an_untrusted_system_or_an_overflowing_gram_is_an_error_naming_the_setting() {
        let m = always_together();
        match run(&m, &cfg(2, 1e-15), &Progress::hidden()) {
            Err(Error::Model { key, .. }) => assert_eq!(key, "[model] ease_lambda"),
            other => panic!("{other:?}"),
        }
        assert!(run(&m, &cfg(2, 1.0), &Progress::hidden()).is_ok());
        let mut huge = m.clone();
        huge.quantity.iter_mut().for_each(|q| *q = 1e200);
        let quantity = ModelConfig { weighting: crate::config::Weighting::Quantity, ..cfg(2, 300.0) };
        match run(&huge, &quantity, &Progress::hidden()) {
            Err(Error::Model { key, .. }) => assert_eq!(key, "[model] weighting"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn description_rows_are_the_dense_similaritys_largest_entries() {
        let d: Vec<Option<String>> = (0..30)
            .map(|i| Some(format!("{} {} LAMP {}", ["RED", "BLUE"][i % 2], ["BIG", "SMALL", "TINY"][i % 3], i % 5)))
            .collect();
        let full = text::similarity(&d);
        let rows = text::similarity_rows(&d, 4);
        for a in 0..30 {
            let mut all: Vec<(f64, u32)> =
                (0..30).filter(|&b| full[a * 30 + b] > 0.0).map(|b| (full[a * 30 + b], b as u32)).collect();
            all.sort_by(crate::similarity::better);
            all.truncate(4);
            all.sort_by_key(|x| x.1);
            let (ids, sims) = rows.row(a);
            assert_eq!(ids, all.iter().map(|x| x.1).collect::<Vec<_>>(), "item {a}");
            assert_eq!(sims, all.iter().map(|x| x.0).collect::<Vec<_>>(), "item {a}: the same floats");
        }
    }
}
