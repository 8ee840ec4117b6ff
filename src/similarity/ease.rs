//! EASE (Steck 2019, "Embarrassingly Shallow Autoencoders"): item-to-item weights in closed form.
//!
//! X is the weighted purchase matrix (customers × items, values from `weighting` and
//! `similarity_half_life_days`, see `weighted`). G = XᵀX, P = (G + λI)⁻¹ with λ =
//! `ease_lambda`, and the weight of item j for item i is B[j][i] = −P[j][i] / P[i][i] (i ≠ j;
//! B[i][i] = 0): the least-squares way to predict each item from all the others, with the
//! item itself left out. A customer's score for i is Σ over the items j they bought of
//! B[j][i] (see `recommend`).
//!
//! Dense by nature: G, its Cholesky factor and P are items × items f64 each, so the kind is
//! refused above [`MAX_ITEMS`]. G is summed per row in customer order and the inverse's
//! blocks each in one fixed order, so a run is bit-for-bit the same whatever `threads` says
//! (on one machine: the SIMD kernels are chosen by CPU).
//! The published item neighbours are each item's largest positive weights B[j][·], ties to the
//! lower item id (`min_similarity`, a floor on cosines in [0, 1), is the kNN kinds': on EASE's
//! weights, 5e-6 to 0.12 on a helper's export, 0.2 emptied the table and changed no list).
//!
//! Recommending ([`Ease::vote`]): only positive totals Σ_j B[j][i] are candidates; supporters
//! counts the customer's items with a positive weight for i. With a `description_weight` w:
//! (1 − w) × that / its best over the items the customer has not bought + w × (the same sum of
//! description similarities, `text`) / its best.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt;
use faer::Par;
use rayon::prelude::*;

use super::model::{Slot, Votes};
use super::text::Blend;
use super::weighted::{self, Rows};
use super::{assemble, keep_best, order, Candidate, Neighbours, BLOCK};
use crate::config::{Kind, ModelConfig};
use crate::error::{ConfigError, Error};
use crate::pivot::{transpose_csr, Interactions};
use crate::progress::Progress;

/// EASE's model: the published item neighbours, the dense weights and the description blend.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ease {
    /// Each item's largest weights, as the item neighbours published.
    pub neighbours: Neighbours,
    /// The dense items × items weights B, row-major (row j: item j's weight for every item).
    pub weights: Vec<f64>,
    /// With a `description_weight` only: the dense description similarity
    /// (`text::similarity`), row-major. Empty otherwise.
    pub text: Vec<f64>,
    /// The description's share of the scores (0: none).
    pub description_weight: f64,
}

/// The largest catalogue EASE takes: three 20,000² f64 matrices are 9.6 GB.
pub const MAX_ITEMS: usize = 20_000;

/// Refuses catalogues too large for the dense inverse, before any work is done.
pub fn check(m: &Interactions) -> Result<(), ConfigError> {
    if m.n_items() > MAX_ITEMS {
        let gb = 3.0 * (m.n_items() as f64).powi(2) * 8.0 / 1e9;
        return Err(ConfigError::Invalid {
            key: "[model] kind".into(),
            message: format!(
                "\"ease\" inverts a dense items × items matrix: {} items would need {gb:.0} GB (the limit is {} items); \
                 use kind = \"sparse_ease\" (EASE on each item's most co-purchased items), \"item\" or \"user\" for this catalogue",
                m.n_items(),
                MAX_ITEMS
            ),
        });
    }
    Ok(())
}

/// The Gram matrix G = XᵀX of item rows (items × customers), dense row-major. Row i is
/// summed over i's buyers in ascending order, so G[i][j] and G[j][i] are the same float.
pub fn gram(r: &Rows) -> Vec<f64> {
    let n = r.n_rows();
    let by_customer = r.transpose();
    let mut g = vec![0.0; n * n];
    g.par_chunks_mut(n.max(1)).enumerate().for_each(|(i, row)| gram_row(r, &by_customer, i, |k, x| row[k] += x));
    g
}

/// Row i of G = XᵀX, term by term: `add(k, x[c][i] · x[c][k])` for each buyer c of i
/// (ascending) and each of c's items k (ascending) — the one summation order of G, which makes
/// G[i][k] and G[k][i] the same float (the same buyers, in the same order). `by_customer` is
/// `r.transpose()`. Dense and sparse EASE both sum G through it.
#[inline]
pub(super) fn gram_row(
    r: &Rows,
    by_customer: &(Vec<usize>, Vec<u32>, Vec<f64>),
    i: usize,
    mut add: impl FnMut(usize, f64),
) {
    let (cptr, cidx, cval) = by_customer;
    for p in r.indptr[i]..r.indptr[i + 1] {
        let (c, v) = (r.indices[p] as usize, r.values[p]);
        for q in cptr[c]..cptr[c + 1] {
            add(cidx[q] as usize, v * cval[q]);
        }
    }
}

/// B from G: P = (G + λI)⁻¹ by Cholesky, B[j][i] = −P[j][i] / P[i][i], zero diagonal.
/// Row-major; `None` when the inverse cannot be trusted: G + λI is not positive definite to
/// working precision (Cholesky fails: λ tiny beside G's entries, items bought by the same
/// customers), or P's diagonal leaves the bounds every such inverse keeps — the eigenvalues
/// of G + λI are ≥ λ and its diagonal is G[i][i] + λ, so 1/(G[i][i] + λ) ≤ P[i][i] ≤ 1/λ —
/// or a weight is not finite. The factor and the inverse run on `par` (see [`parallelism`]).
pub fn weights(g: Vec<f64>, n: usize, lambda: f64, par: Par) -> Option<Vec<f64>> {
    let mut a = faer::Mat::<f64>::from_fn(n, n, |i, j| g[i * n + j] + if i == j { lambda } else { 0.0 });
    let diagonal: Vec<f64> = (0..n).map(|i| g[i * n + i]).collect();
    drop(g);
    let scratch = llt::factor::cholesky_in_place_scratch::<f64>(n, par, Default::default())
        .or(llt::inverse::inverse_scratch::<f64>(n, par));
    let mut mem = MemBuffer::new(scratch);
    llt::factor::cholesky_in_place(a.as_mut(), Default::default(), par, MemStack::new(&mut mem), Default::default())
        .ok()?;
    let mut p = faer::Mat::<f64>::zeros(n, n);
    llt::inverse::inverse(p.as_mut(), a.as_ref(), par, MemStack::new(&mut mem)); // the lower half of P
    drop(a);
    from_inverse(&p, &diagonal, lambda)
}

/// B from the lower half of P = (G + λI)⁻¹ ([`weights`]), G's `diagonal` beside it; `None`
/// when P leaves the bounds every such inverse keeps or a weight is not finite.
fn from_inverse(p: &faer::Mat<f64>, diagonal: &[f64], lambda: f64) -> Option<Vec<f64>> {
    let n = diagonal.len();
    // A relative slack of 1e-6 for rounding: past it the inverse is wrong, not just inexact.
    let trusted = |i: usize| {
        let d = p[(i, i)];
        d.is_finite() && d >= (1.0 - 1e-6) / (diagonal[i] + lambda) && d <= (1.0 + 1e-6) / lambda
    };
    if !(0..n).all(trusted) {
        return None;
    }
    let at = |j: usize, i: usize| if j >= i { p[(j, i)] } else { p[(i, j)] };
    let mut b = vec![0.0; n * n];
    b.par_chunks_mut(n.max(1)).enumerate().for_each(|(j, row)| {
        for (i, w) in row.iter_mut().enumerate() {
            if i != j {
                *w = -at(j, i) / p[(i, i)];
            }
        }
    });
    b.iter().all(|w| w.is_finite()).then_some(b)
}

/// [`weights`] through the customers (Woodbury): P = (G + λI)⁻¹ = (I − Xᵀ(XXᵀ + λI)⁻¹X) / λ,
/// X the `rows` (items × customers) as customers × items: a customers × customers factor and
/// products of customers × items² operations, where [`weights`] factors items × items (items³)
/// — fewer where the customers are few ([`through_customers`]): a grocer's night of 532
/// customers and 9,990 items took 12.7 s and 1.69 GB, now 3.6 s and 1.33 GB (helper-96's numpy
/// probe: the same P, 3e-18 apart, in 7.7 s against 62.6 s). `diagonal`: G's ([`squares`]). `None` as
/// [`weights`]: K + λI not positive definite, or P out of its bounds.
fn weights_by_customers(rows: &Rows, diagonal: &[f64], lambda: f64, par: Par) -> Option<Vec<f64>> {
    let (n, u) = (rows.n_rows(), rows.n_cols);
    let mut x = faer::Mat::<f64>::zeros(u, n);
    for i in 0..n {
        let (customers, values) = rows.row(i);
        customers.iter().zip(values).for_each(|(&c, &v)| x[(c as usize, i)] = v);
    }
    // K + λI = XXᵀ + λI, its Cholesky factor L in place (the lower half)
    let mut k = faer::Mat::<f64>::zeros(u, u);
    faer::linalg::matmul::matmul(k.as_mut(), faer::Accum::Replace, x.as_ref(), x.transpose(), 1.0, par);
    (0..u).for_each(|c| k[(c, c)] += lambda);
    let scratch = llt::factor::cholesky_in_place_scratch::<f64>(u, par, Default::default());
    let mut mem = MemBuffer::new(scratch);
    llt::factor::cholesky_in_place(k.as_mut(), Default::default(), par, MemStack::new(&mut mem), Default::default())
        .ok()?;
    // W = L⁻¹X, so Xᵀ(K + λI)⁻¹X = WᵀW
    faer::linalg::triangular_solve::solve_lower_triangular_in_place(k.as_ref(), x.as_mut(), par);
    drop(k);
    let mut p = faer::Mat::<f64>::zeros(n, n);
    faer::linalg::matmul::matmul(p.as_mut(), faer::Accum::Replace, x.transpose(), x.as_ref(), -1.0 / lambda, par);
    drop(x);
    (0..n).for_each(|i| p[(i, i)] += 1.0 / lambda);
    from_inverse(&p, diagonal, lambda)
}

/// G's diagonal without G: each item row's sum of squared values, over its buyers in
/// ascending order as [`gram`] sums it.
fn squares(rows: &Rows) -> Vec<f64> {
    (0..rows.n_rows()).map(|i| rows.row(i).1.iter().fold(0.0, |s, v| s + v * v)).collect()
}

/// Whether [`weights_by_customers`] costs fewer operations than [`weights`] for `customers` ×
/// `items`: its products and factor (3u²n + 2n²u + u³/3, X dense) against the items' factor and
/// inverse (n³). Measured (4,000 items, 2 threads, 2026-12-05): 400 customers 0.9 s against
/// 2.3 s, 1,000 1.5 s against 2.5 s, 1,600 2.6 s both, 2,400 4.3 s against 3.0 s, 3,600 7.3 s
/// against 2.6 s — fewer customers than items alone is not enough; the count's crossover
/// (a third of the items) is on the safe side of the measured one (two fifths).
fn through_customers(customers: usize, items: usize) -> bool {
    let (u, n) = (customers as f64, items as f64);
    3.0 * u * u * n + 2.0 * n * n * u + u * u * u / 3.0 < n * n * n
}

/// The inverse's parallelism: as many pieces as the pool has threads. faer splits the work by
/// output blocks, each summed in one fixed order, so the pieces give the same floats whatever
/// their number (a test checks 1, 2 and 3 threads bit for bit).
pub fn parallelism() -> Par {
    Par::rayon(rayon::current_num_threads())
}

/// Co-buyers of two items from their sorted buyer lists.
pub(super) fn shared(r: &Rows, a: usize, b: usize) -> u32 {
    let (x, y) = (&r.indices[r.indptr[a]..r.indptr[a + 1]], &r.indices[r.indptr[b]..r.indptr[b + 1]]);
    let (mut p, mut q, mut n) = (0, 0, 0);
    while p < x.len() && q < y.len() {
        match x[p].cmp(&y[q]) {
            std::cmp::Ordering::Less => p += 1,
            std::cmp::Ordering::Greater => q += 1,
            std::cmp::Ordering::Equal => (p, q, n) = (p + 1, q + 1, n + 1),
        }
    }
    n
}

/// Learns B and each item's top `cfg.neighbours` weights; an error naming the setting to
/// change when G overflows or its inverse cannot be trusted (see [`weights`]). Runs on the
/// current rayon pool.
pub fn run(m: &Interactions, cfg: &ModelConfig, progress: &Progress) -> Result<Ease, Error> {
    let rows = weighted::values(m, &ModelConfig { kind: Kind::Item, ..cfg.clone() });
    let n = rows.n_rows();
    let b = match through_customers(rows.n_cols, n) {
        true => {
            let diagonal = squares(&rows);
            if diagonal.iter().any(|v| !v.is_finite()) {
                return Err(overflow(&rows, cfg));
            }
            weights_by_customers(&rows, &diagonal, cfg.ease_lambda, parallelism())
        }
        false => {
            let g = gram(&rows);
            if g.iter().any(|v| !v.is_finite()) {
                return Err(overflow(&rows, cfg));
            }
            weights(g, n, cfg.ease_lambda, parallelism())
        }
    };
    let Some(b) = b else {
        return Err(singular(cfg));
    };
    let neighbours = publish(&rows, cfg, progress, |j, candidates| {
        let row = &b[j * n..(j + 1) * n];
        candidates.extend(row.iter().enumerate().filter(|&(i, _)| i != j).map(|(i, &w)| (w, i as u32, 0)));
    });
    let text = if cfg.description_weight > 0.0 { super::text::similarity(&m.descriptions) } else { Vec::new() };
    let description_weight = cfg.description_weight;
    Ok(Ease { neighbours, weights: b, text, description_weight })
}

/// Each item's top `cfg.neighbours` positive weights (ties to the lower id), with
/// their co-buyers in `rows`: `weights(j, out)` appends item j's (weight, item, 0) for every
/// other item. Dense and sparse EASE publish through it.
pub(super) fn publish(
    rows: &Rows,
    cfg: &ModelConfig,
    progress: &Progress,
    weights: impl Fn(usize, &mut Vec<Candidate>) + Sync,
) -> Neighbours {
    let n = rows.n_rows();
    let blocks: Vec<(Vec<usize>, Vec<Candidate>)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map(|block| {
            let range = block * BLOCK..((block + 1) * BLOCK).min(n);
            let (mut lens, mut out) = (Vec::with_capacity(range.len()), Vec::new());
            let mut candidates: Vec<Candidate> = Vec::new();
            for j in range.clone() {
                candidates.clear();
                weights(j, &mut candidates);
                candidates.retain(|c| c.0 > 0.0);
                keep_best(&mut candidates, cfg.neighbours);
                candidates.sort_unstable_by(order);
                for c in candidates.iter_mut() {
                    c.2 = shared(rows, j, c.1 as usize);
                }
                lens.push(candidates.len());
                out.extend_from_slice(&candidates);
            }
            progress.inc(range.len() as u64);
            (lens, out)
        })
        .collect();
    assemble(n, 0..n, blocks)
}

/// XᵀX overflowed: the weighting made purchases too heavy for EASE.
pub(super) fn overflow(rows: &Rows, cfg: &ModelConfig) -> Error {
    let largest = rows.values.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    Error::Model {
        key: "[model] weighting".into(),
        detail: format!(
            "EASE's Gram matrix XᵀX overflows: with weighting = {} a purchase weighs up to {largest:e}; \
             use \"log_quantity\" or \"binary\"",
            serde_json::to_string(&cfg.weighting).unwrap_or_default()
        ),
    }
}

/// G + λI could not be inverted to working precision: λ is too small for this data.
pub(super) fn singular(cfg: &ModelConfig) -> Error {
    Error::Model {
        key: "[model] ease_lambda".into(),
        detail: format!(
            "{} is too small for this data: G + λI is singular to working precision (items bought by \
             the same customers), so EASE's weights cannot be computed; raise ease_lambda (the default is {})",
            readable(cfg.ease_lambda),
            crate::config::DEFAULT_EASE_LAMBDA
        ),
    }
}

/// A number as a person writes it: 1e-15, not 0.000000000000001.
fn readable(x: f64) -> String {
    if x != 0.0 && !(1e-4..1e7).contains(&x.abs()) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// One worker's scores of a block of customers over every item, row by row.
#[derive(Default)]
pub struct Block {
    /// The block's customers, ascending (the scores' rows).
    customers: Vec<usize>,
    /// Σ_j B[j][i] over each customer's items j (see [`scores`]).
    scores: Vec<f64>,
    /// With a description weight: the description votes, as `scores`.
    text: Vec<f64>,
}

impl Ease {
    /// Scores `customers` (ascending) into `block`, for [`Ease::vote`] to read one customer at
    /// a time.
    pub(super) fn begin_block(
        &self,
        customers: &[usize],
        m: &Interactions,
        recency: Option<&[f64]>,
        block: &mut Block,
    ) {
        scores(customers, m, &self.weights, recency, &mut block.scores);
        if !self.text.is_empty() {
            scores(customers, m, &self.text, recency, &mut block.text);
        }
        block.customers.clear();
        block.customers.extend_from_slice(customers);
    }

    /// Customer `a`'s candidates from the block's scores (see the module doc); only positive
    /// totals are candidates, each with one supporter until [`Ease::supporters`] counts them.
    pub(super) fn vote(&self, a: usize, m: &Interactions, s: &mut Votes) {
        let stamp = a as u32;
        let n = m.n_items();
        let at = s.block.customers.binary_search(&a).unwrap_or_default();
        let row = at * n..(at + 1) * n;
        let ease = &s.block.scores[row.clone()];
        let text = (!self.text.is_empty()).then(|| &s.block.text[row]);
        let unseen = |v: &[f64]| (0..n).filter(|&i| s.owner[i] != stamp).map(|i| v[i]).fold(0.0, f64::max);
        let blend = text.map(|t| Blend::new(self.description_weight, unseen(ease), unseen(t)));
        for i in 0..n {
            if s.owner[i] == stamp {
                continue;
            }
            let score = match (blend, text) {
                (Some(b), Some(t)) => b.score(ease[i], t[i]),
                _ => ease[i],
            };
            if score > 0.0 {
                s.touched.push(i as u32);
                // supporters are counted later, for the listed items only
                s.items[i] = Slot { score, support: 1 };
            }
        }
    }

    /// Customer `c`'s supporters of item `i`: their items with a positive weight for it.
    pub(super) fn supporters(&self, m: &Interactions, c: usize, i: u32) -> u32 {
        let n = m.n_items();
        m.row(c).iter().filter(|&&j| self.weights[j as usize * n + i as usize] > 0.0).count() as u32
    }
}

/// Items per column tile of [`scores`]: the block's scores for one tile (256 customers ×
/// 256 items, 512 KB) stay in the core's L2 cache while B's rows stream past.
pub(crate) const TILE: usize = 256;

/// EASE's scores of `customers` into `dense` (one row of every item per customer): each item
/// a customer bought votes for every item with its learnt weight (× its own recency).
/// Item-major within column tiles, so each row of B is read once per block; a customer's
/// votes still arrive in ascending item order (their row's order), so the floats are those
/// of a plain row-by-row sum.
fn scores(customers: &[usize], m: &Interactions, matrix: &[f64], weights: Option<&[f64]>, dense: &mut Vec<f64>) {
    let n = m.n_items();
    dense.clear();
    dense.resize(customers.len() * n, 0.0);
    // The block's purchases by item: the block rows that bought it (ascending) and their weights.
    let (mut indptr, mut items, mut picked) = (vec![0], Vec::new(), Vec::new());
    for &c in customers {
        let span = m.indptr[c]..m.indptr[c + 1];
        items.extend_from_slice(&m.indices[span.clone()]);
        picked.extend(weights.map_or(&[][..], |w| &w[span]));
        indptr.push(items.len());
    }
    let (offsets, voters, votes) = transpose_csr(&indptr, &items, n, weights.map(|_| &picked[..]));
    for lo in (0..n).step_by(TILE) {
        let hi = (lo + TILE).min(n);
        for j in 0..n {
            let row = &matrix[j * n + lo..j * n + hi];
            for (&r, k) in voters[offsets[j]..offsets[j + 1]].iter().zip(offsets[j]..) {
                let (r, w) = (r as usize * n, votes.get(k).copied().unwrap_or(1.0));
                dense[r + lo..r + hi].iter_mut().zip(row).for_each(|(d, &b)| *d += w * b);
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::similarity::tests::random_matrix;

    /// The textbook inverse (Gauss–Jordan with partial pivoting), for the twin tests.
    pub(crate) fn gauss_jordan(a: &[f64], n: usize) -> Vec<f64> {
        let mut m: Vec<Vec<f64>> = (0..n)
            .map(|i| {
                let mut row = a[i * n..(i + 1) * n].to_vec();
                row.extend((0..n).map(|j| (i == j) as u8 as f64));
                row
            })
            .collect();
        for k in 0..n {
            let pivot = (k..n).max_by(|&x, &y| m[x][k].abs().total_cmp(&m[y][k].abs())).unwrap();
            m.swap(k, pivot);
            let d = m[k][k];
            m[k].iter_mut().for_each(|v| *v /= d);
            for i in (0..n).filter(|&i| i != k) {
                let f = m[i][k];
                let pivot_row = m[k].clone();
                m[i].iter_mut().zip(pivot_row).for_each(|(v, p)| *v -= f * p);
            }
        }
        m.into_iter().flat_map(|row| row[n..].to_vec()).collect()
    }

    #[test]
    fn weights_match_the_textbook_inverse_and_the_definition() {
        let m = random_matrix(120, 40, 8, 3);
        let cfg = ModelConfig { kind: Kind::Ease, ease_lambda: 5.0, ..Default::default() };
        let rows = weighted::values(&m, &ModelConfig { kind: Kind::Item, ..cfg.clone() });
        let n = m.n_items();
        let g = gram(&rows);
        // G counts co-buyers: the definition by set intersection
        for i in 0..n {
            for j in 0..n {
                let both = (0..m.n_customers())
                    .filter(|&c| m.row(c).contains(&(i as u32)) && m.row(c).contains(&(j as u32)))
                    .count();
                assert_eq!(g[i * n + j], both as f64, "G[{i}][{j}]");
            }
        }
        let regularised: Vec<f64> =
            (0..n * n).map(|k| g[k] + if k / n == k % n { cfg.ease_lambda } else { 0.0 }).collect();
        let p = gauss_jordan(&regularised, n);
        let b = weights(g, n, cfg.ease_lambda, Par::Seq).unwrap();
        for j in 0..n {
            for i in 0..n {
                let want = if i == j { 0.0 } else { -p[j * n + i] / p[i * n + i] };
                assert!((b[j * n + i] - want).abs() < 1e-9, "B[{j}][{i}] = {} vs {want}", b[j * n + i]);
            }
        }
        // B minimises ‖X − XB‖² + λ‖B‖² with diag(B) = 0: for i ≠ j, (G + λI)B[·][i] = G[·][i] off the diagonal
        let g = gram(&rows);
        for i in 0..n {
            for j in (0..n).filter(|&j| j != i) {
                let lhs: f64 = (0..n).map(|k| regularised[j * n + k] * b[k * n + i]).sum();
                assert!((lhs - g[j * n + i]).abs() < 1e-8, "normal equation ({j}, {i})");
            }
        }
    }

    #[test]
    fn neighbours_are_the_largest_weights_and_runs_are_identical_across_threads() {
        let m = random_matrix(150, 60, 9, 8);
        let cfg = ModelConfig { kind: Kind::Ease, neighbours: 5, ease_lambda: 10.0, ..Default::default() };
        let runs: Vec<Ease> = [1, 2]
            .iter()
            .map(|&t| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
                pool.install(|| run(&m, &cfg, &Progress::hidden()).unwrap())
            })
            .collect();
        assert_eq!(runs[0], runs[1]);
        let (nb, weights) = (&runs[0].neighbours, &runs[0].weights);
        let n = m.n_items();
        for j in 0..n {
            let mut all: Vec<(f64, u32)> = (0..n)
                .filter(|&i| i != j && weights[j * n + i] > 0.0)
                .map(|i| (weights[j * n + i], i as u32))
                .collect();
            all.sort_by(crate::similarity::better);
            all.truncate(5);
            let (ids, sims, shared) = nb.of(j);
            assert_eq!(ids, all.iter().map(|x| x.1).collect::<Vec<_>>(), "item {j}");
            assert_eq!(sims, all.iter().map(|x| x.0).collect::<Vec<_>>());
            for (&i, &s) in ids.iter().zip(shared) {
                let both =
                    (0..m.n_customers()).filter(|&c| m.row(c).contains(&(j as u32)) && m.row(c).contains(&i)).count();
                assert_eq!(s as usize, both);
            }
        }
    }

    /// Session 43: fewer customers than items, P through the customers (Woodbury) — the same
    /// weights as through the items, to rounding, on the shop's own weighting and where
    /// customers outnumber items too; `run` takes it where customers are fewer, and its floats
    /// are the same on 1, 2 and 3 threads.
    #[test]
    fn weights_through_the_customers_are_the_weights_through_the_items() {
        for (customers, items, lambda) in [(40, 120, 5.0), (90, 60, 20.0), (300, 900, 350.0)] {
            let m = random_matrix(customers, items, 12, 7);
            let cfg =
                ModelConfig { kind: Kind::Item, weighting: crate::config::Weighting::Tfidf, ..Default::default() };
            let rows = weighted::values(&m, &cfg);
            let n = m.n_items();
            let direct = weights(gram(&rows), n, lambda, Par::Seq).unwrap();
            let woodbury = weights_by_customers(&rows, &squares(&rows), lambda, Par::Seq).unwrap();
            let worst = direct.iter().zip(&woodbury).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
            assert!(worst < 1e-9, "{customers} × {items}, λ {lambda}: {worst:e}");
            let threads = |t: usize| {
                let pool = rayon::ThreadPoolBuilder::new().num_threads(t).build().unwrap();
                pool.install(|| weights_by_customers(&rows, &squares(&rows), lambda, parallelism())).unwrap()
            };
            for t in [1, 2, 3] {
                assert!(threads(t).iter().zip(&woodbury).all(|(x, y)| x.to_bits() == y.to_bits()), "{t} threads");
            }
        }
        let m = random_matrix(20, 400, 10, 3);
        let cfg = ModelConfig { kind: Kind::Ease, ease_lambda: 10.0, ..Default::default() };
        let rows = weighted::values(&m, &ModelConfig { kind: Kind::Item, ..cfg.clone() });
        assert!(through_customers(rows.n_cols, m.n_items()));
        let by_customers = weights_by_customers(&rows, &squares(&rows), 10.0, parallelism()).unwrap();
        assert_eq!(run(&m, &cfg, &Progress::hidden()).unwrap().weights, by_customers);
        // nearly as many customers as items: through the items, which costs less there (3,600
        // customers × 4,000 items took 7.3 s through the customers, 2.6 s through the items)
        let ids: Vec<(String, String)> = (0..60)
            .flat_map(|c| (0..10).map(move |j| (format!("{c}"), format!("I{}", (c * 7 + j * 13) % 100))))
            .collect();
        let m = Interactions::from_triples(ids.iter().map(|(c, i)| (c.as_str(), i.as_str(), 1.0, None)));
        let rows = weighted::values(&m, &ModelConfig { kind: Kind::Item, ..cfg.clone() });
        assert!(rows.n_cols < m.n_items() && !through_customers(rows.n_cols, m.n_items()));
        let by_items = weights(gram(&rows), m.n_items(), 10.0, parallelism()).unwrap();
        assert_eq!(run(&m, &cfg, &Progress::hidden()).unwrap().weights, by_items);
        let crossover = |n: usize| (1..n).find(|&u| !through_customers(u, n)).unwrap() as f64 / n as f64;
        assert!((0.3..0.4).contains(&crossover(4_000)), "{}", crossover(4_000));
    }

    #[test]
    fn the_parallel_inverse_gives_the_same_floats_as_one_thread() {
        // Large enough for faer to split the factor and the products across threads (at 1,500
        // items two threads take 0.6 of one thread's time; at 700 hardly any work is split).
        let m = random_matrix(6000, 1500, 60, 5);
        let rows = weighted::values(&m, &ModelConfig { kind: Kind::Item, ..Default::default() });
        let n = m.n_items();
        let g = gram(&rows);
        let one = weights(g.clone(), n, 50.0, Par::Seq).unwrap();
        for threads in [1, 2, 3] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let b = pool.install(|| weights(g.clone(), n, 50.0, parallelism())).unwrap();
            assert!(one.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()), "{threads} threads");
        }
    }

    #[test]
    fn a_catalogue_too_large_is_refused_naming_the_key() {
        let ids: Vec<String> = (0..=MAX_ITEMS).map(|i| format!("I{i}")).collect();
        let m = Interactions::from_triples(ids.iter().map(|i| ("1", i.as_str(), 1.0, None)));
        let err = check(&m).unwrap_err().to_string();
        assert!(err.contains("[model] kind") && err.contains("20001 items"), "{err}");
        assert!(check(&random_matrix(10, 20, 3, 1)).is_ok());
    }

    /// Issue 14 cases 6 and 14: `ease_lambda = 1e-15` on items always bought together made
    /// G + λI singular to working precision; the failed Cholesky left an empty model that
    /// panicked in the recommend stage. Now: an error naming `[model] ease_lambda`; and a Gram
    /// matrix that overflows (quantities of 1e200 under `weighting = "quantity"`) one naming
    /// `[model] weighting`.
    #[test]
    fn a_singular_inverse_or_an_overflowing_gram_is_an_error_naming_the_setting() {
        let m = always_together();
        let cfg = |lambda: f64| ModelConfig { kind: Kind::Ease, ease_lambda: lambda, ..Default::default() };
        match run(&m, &cfg(1e-15), &Progress::hidden()) {
            Err(Error::Model { key, detail }) => {
                assert_eq!(key, "[model] ease_lambda");
                assert!(detail.contains("1e-15") && detail.contains("raise ease_lambda"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        assert!(run(&m, &cfg(1.0), &Progress::hidden()).is_ok(), "a sane λ regularises it");
        let mut huge = m.clone();
        huge.quantity.iter_mut().for_each(|q| *q = 1e200);
        let quantity = ModelConfig { weighting: crate::config::Weighting::Quantity, ..cfg(300.0) };
        match run(&huge, &quantity, &Progress::hidden()) {
            Err(Error::Model { key, detail }) => {
                assert_eq!(key, "[model] weighting");
                assert!(detail.contains("\"quantity\"") && detail.contains("1e200"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        // through the customers (three buy the same twelve items), where G + λI is singular to
        // working precision in items, the small inverse holds: a tiny λ gives the limit, each
        // item predicted by the eleven others alike (1/11); an overflow is said as above
        let items: Vec<String> = (0..12).map(|i| format!("I{i}")).collect();
        let few = Interactions::from_triples(
            ["1", "2", "3"].into_iter().flat_map(|c| items.iter().map(move |i| (c, i.as_str(), 1.0, None))),
        );
        let rows = weighted::values(&few, &ModelConfig { kind: Kind::Item, ..Default::default() });
        assert!(through_customers(rows.n_cols, few.n_items()));
        let said = |r: Result<Ease, Error>| match r {
            Err(Error::Model { key, .. }) => key,
            other => panic!("{other:?}"),
        };
        let tiny = run(&few, &cfg(1e-15), &Progress::hidden()).unwrap();
        let off: Vec<f64> = (0..144).filter(|k| k / 12 != k % 12).map(|k| tiny.weights[k]).collect();
        assert!(off.iter().all(|w| (w - 1.0 / 11.0).abs() < 1e-9), "{off:?}");
        let mut huge = few.clone();
        huge.quantity.iter_mut().for_each(|q| *q = 1e200);
        assert_eq!(said(run(&huge, &quantity, &Progress::hidden())), "[model] weighting");
    }

    /// Ten customers buy A and B together (identical columns), a few buy C or D too: G + λI is
    /// singular to working precision for a tiny λ.
    pub(crate) fn always_together() -> Interactions {
        let mut rows: Vec<(String, &str)> = Vec::new();
        for c in 0..10 {
            rows.push((format!("{c}"), "A"));
            rows.push((format!("{c}"), "B"));
            rows.push((format!("{c}"), if c % 2 == 0 { "C" } else { "D" }));
        }
        Interactions::from_triples(rows.iter().map(|(c, i)| (c.as_str(), *i, 1.0, None)))
    }

    /// Every inverse that passes lies inside the bounds checked: on random data across λ.
    #[test]
    fn trusted_inverses_pass_the_bounds_check() {
        let m = random_matrix(200, 50, 8, 2);
        let rows = weighted::values(&m, &ModelConfig { kind: Kind::Item, ..Default::default() });
        for lambda in [1e-3, 0.5, 10.0, 300.0, 1e6] {
            assert!(weights(gram(&rows), m.n_items(), lambda, Par::Seq).is_some(), "λ = {lambda}");
        }
    }
}
