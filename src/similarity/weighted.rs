//! The general kernel: cosine between weighted rows, for customers or for items.
//!
//! Rows are the things compared (customers for `kind = "user"`, items for `kind = "item"`),
//! columns the things they share. Each pair's value comes from `[model] weighting`, with
//! x = the pair's summed quantity, N = number of rows, df(j) = rows with column j, and
//! idf(j) = ln N − ln(1 + df(j)) (implicit's formulas, rows as documents), then × the pair's
//! recency 0.5^(age / `similarity_half_life_days`) when that is set:
//! - `binary`: 1;  `quantity`: x;  `log_quantity`: ln(1 + x);
//! - `tfidf`: √x · idf(j);
//! - `bm25` (K1 = 100, B = 0.8): x · (K1 + 1) / (K1 · (1 − B + B · len(r) / avg len) + x) · idf(j),
//!   len(r) = Σ x over the row.
//!
//! cosine(a, b) = dot(a, b) / √(‖a‖² · ‖b‖²), where dot and ‖·‖² are summed in ascending
//! column order — the same order whichever row is scanned, so sim(a, b) = sim(b, a) bit for bit
//! and every thread count gives the same floats. The cosine does not change when a row is
//! multiplied by a number, so each row is first scaled by a power of two that brings its
//! largest value into [1, 2): exact (only exponents change), so every float of the cosine is
//! what it would be unscaled, and ‖·‖² can neither overflow (quantities of 1e200 squared) nor
//! underflow — a row of quantities × 2^k gives bit for bit the same similarities. With binary values dot = shared and ‖a‖² =
//! |a| exactly, so this is the integer kernels' formula. Shrinkage: × n / (n + λ), n = shared
//! columns. Candidates need n ≥ `min_overlap` and a similarity > `min_similarity`; ties go
//! to the lower row index.

use rayon::prelude::*;

use super::{assemble, keep_best, order, Candidate, Neighbours, BLOCK};
use crate::config::{Kind, ModelConfig, Weighting};
use crate::pivot::{transpose_csr, Interactions};
use crate::progress::Progress;

/// BM25's term-frequency saturation and length normalisation (implicit's defaults).
pub const BM25_K1: f64 = 100.0;
pub const BM25_B: f64 = 0.8;

/// A weighted sparse matrix in CSR form: the rows to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub indptr: Vec<usize>,
    pub indices: Vec<u32>,
    pub values: Vec<f64>,
    /// Σ value² per row, in ascending column order.
    pub norm2: Vec<f64>,
    pub n_cols: usize,
}

impl Rows {
    pub fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    fn span(&self, r: usize) -> std::ops::Range<usize> {
        self.indptr[r]..self.indptr[r + 1]
    }

    /// Row `r`'s columns and values.
    pub fn row(&self, r: usize) -> (&[u32], &[f64]) {
        let span = self.span(r);
        (&self.indices[span.clone()], &self.values[span])
    }

    /// Rows from per-block results (row lengths, then (value, column, _) entries, in row
    /// order), over `n_cols` columns; no norms.
    pub(crate) fn from_blocks(n_rows: usize, n_cols: usize, blocks: Vec<(Vec<usize>, Vec<Candidate>)>) -> Rows {
        let nb = assemble(n_rows, 0..n_rows, blocks);
        Rows { indptr: nb.offsets, indices: nb.ids, values: nb.similarity, norm2: Vec::new(), n_cols }
    }

    /// The transpose, values carried along (rows ascending within each column).
    pub fn transpose(&self) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
        transpose_csr(&self.indptr, &self.indices, self.n_cols, Some(&self.values))
    }
}

/// The weighted rows `cfg.kind` compares, ready for the cosine: [`values`], each row scaled by
/// a power of two (see the module doc), with their norms.
pub fn rows(m: &Interactions, cfg: &ModelConfig) -> Rows {
    let mut r = values(m, cfg);
    for row in 0..r.n_rows() {
        let span = r.span(row);
        scale_by_power_of_two(&mut r.values[span]);
    }
    r.norm2 = (0..r.n_rows()).map(|row| r.values[r.span(row)].iter().fold(0.0, |s, v| s + v * v)).collect();
    r
}

/// Multiplies `values` by the power of two that brings the largest |value| into [1, 2) (the
/// factor kept a normal float, so the products are exact); all-zero values stay as they are.
pub(crate) fn scale_by_power_of_two(values: &mut [f64]) {
    let factor = power_of_two_factor(values);
    values.iter_mut().for_each(|v| *v *= factor);
}

/// The power of two that brings the largest |value| into [1, 2) (1 for none, zeros or a
/// non-finite one): multiplying by it is exact.
fn power_of_two_factor(values: &[f64]) -> f64 {
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if largest == 0.0 || !largest.is_finite() {
        return 1.0;
    }
    // The unbiased exponent of `largest` (subnormals count as the smallest normal exponent).
    let exponent = (((largest.to_bits() >> 52) & 0x7ff) as i32 - 1023).clamp(-1022, 1023);
    let shift = (-exponent).clamp(-1022, 1023);
    f64::from_bits(((shift + 1023) as u64) << 52)
}

/// The weighted rows `cfg.kind` compares: customers × items (`user`), or items × customers
/// (`item`, `ease`, `sparse_ease`), each value × its recency weight when `similarity_half_life_days` is set;
/// unscaled, without norms (EASE's Gram matrix is built from these).
pub fn values(m: &Interactions, cfg: &ModelConfig) -> Rows {
    let by_customer = Rows {
        indptr: m.indptr.clone(),
        indices: m.indices.clone(),
        values: m.quantity.clone(),
        norm2: Vec::new(),
        n_cols: m.n_items(),
    };
    let recency = m.recency(cfg.similarity_half_life_days);
    let (mut r, recency) = match cfg.kind {
        Kind::User | Kind::Auto => (by_customer, recency),
        Kind::Item | Kind::Ease | Kind::SparseEase => {
            let (indptr, indices, values) = by_customer.transpose();
            let recency = recency.map(|w| transpose_csr(&m.indptr, &m.indices, m.n_items(), Some(&w)).2);
            (Rows { indptr, indices, values, norm2: Vec::new(), n_cols: m.n_customers() }, recency)
        }
    };
    weigh(&mut r, cfg.weighting);
    if let Some(w) = recency {
        r.values.iter_mut().zip(w).for_each(|(v, w)| *v *= w);
    }
    r
}

/// Replaces each raw value x (summed quantity) by its weight, by the formulas above.
fn weigh(r: &mut Rows, weighting: Weighting) {
    let n = r.n_rows() as f64;
    let idf = || {
        let mut df = vec![0usize; r.n_cols];
        for &j in &r.indices {
            df[j as usize] += 1;
        }
        df.iter().map(|&d| n.ln() - (d as f64).ln_1p()).collect::<Vec<f64>>()
    };
    match weighting {
        Weighting::Binary => r.values.iter_mut().for_each(|v| *v = 1.0),
        Weighting::Quantity => {}
        Weighting::LogQuantity => r.values.iter_mut().for_each(|v| *v = v.ln_1p()),
        Weighting::Tfidf => {
            let idf = idf();
            for (v, &j) in r.values.iter_mut().zip(&r.indices) {
                *v = v.sqrt() * idf[j as usize];
            }
        }
        Weighting::Bm25 => {
            let idf = idf();
            // len / avg only: both summed over the values × one power of two (exact), so the
            // ratio is the unscaled one and no sum overflows.
            let factor = power_of_two_factor(&r.values);
            let len: Vec<f64> =
                (0..r.n_rows()).map(|row| r.values[r.span(row)].iter().map(|v| v * factor).sum()).collect();
            let avg = len.iter().sum::<f64>() / n.max(1.0);
            for (row, len) in len.iter().enumerate() {
                let norm = (1.0 - BM25_B) + BM25_B * len / avg;
                for p in r.span(row) {
                    r.values[p] = bm25(r.values[p], norm) * idf[r.indices[p] as usize];
                }
            }
        }
    }
}

/// BM25's saturation x · (K1 + 1) / (K1 · norm + x); past x ≈ 1.8e306 the product overflows,
/// and the same value is computed as (K1 + 1) / (K1 · norm / x + 1).
fn bm25(x: f64, norm: f64) -> f64 {
    let v = x * (BM25_K1 + 1.0) / (BM25_K1 * norm + x);
    if v.is_finite() {
        v
    } else {
        (BM25_K1 + 1.0) / (BM25_K1 * norm / x + 1.0)
    }
}

/// The similarity of two rows from their dot product, norms and shared count (the one formula).
#[inline]
pub fn similarity(dot: f64, norm2_a: f64, norm2_b: f64, shared: u32, shrinkage: f64) -> f64 {
    let cos = dot / (norm2_a * norm2_b).sqrt();
    if shrinkage > 0.0 {
        cos * shared as f64 / (shared as f64 + shrinkage)
    } else {
        cos
    }
}

struct Scratch {
    dot: Vec<f64>,
    shared: Vec<u32>,
    touched: Vec<u32>,
    candidates: Vec<Candidate>,
}

/// Every row's top `cfg.neighbours` rows (Gustavson's row-by-row product, as implicit's
/// `all_pairs_knn`: per worker a dense accumulator over rows and a touched list). Runs on the
/// current rayon pool.
pub fn run(r: &Rows, cfg: &ModelConfig, progress: &Progress) -> Neighbours {
    run_for(r, cfg, progress, &(0..r.n_rows()).collect::<Vec<_>>())
}

/// [`run`] for the rows `wanted` only (ascending: a shard's customers, or model selection's
/// sample): every other row is left without neighbours; each row's result is the same as in
/// [`run`].
pub fn run_for(r: &Rows, cfg: &ModelConfig, progress: &Progress, wanted: &[usize]) -> Neighbours {
    let n = r.n_rows();
    let (col_ptr, col_idx, col_val) = r.transpose();
    let blocks: Vec<(Vec<usize>, Vec<Candidate>)> = wanted
        .par_chunks(BLOCK)
        .map_init(
            || Scratch { dot: vec![0.0; n], shared: vec![0; n], touched: Vec::new(), candidates: Vec::new() },
            |s, block| {
                let mut lens = Vec::with_capacity(block.len());
                let mut out = Vec::new();
                for &a in block {
                    // Gustavson: a's columns ascending, each column's rows: dot sums in column order.
                    for p in r.span(a) {
                        let (j, va) = (r.indices[p] as usize, r.values[p]);
                        for q in col_ptr[j]..col_ptr[j + 1] {
                            let b = col_idx[q] as usize;
                            if s.shared[b] == 0 {
                                s.touched.push(b as u32);
                            }
                            s.dot[b] += va * col_val[q];
                            s.shared[b] += 1;
                        }
                    }
                    s.candidates.clear();
                    for &b in &s.touched {
                        let b = b as usize;
                        let (dot, shared) = (std::mem::take(&mut s.dot[b]), std::mem::take(&mut s.shared[b]));
                        if b == a || shared < cfg.min_overlap {
                            continue;
                        }
                        let sim = similarity(dot, r.norm2[a], r.norm2[b], shared, cfg.shrinkage);
                        if sim > cfg.min_similarity {
                            s.candidates.push((sim, b as u32, shared));
                        }
                    }
                    s.touched.clear();
                    keep_best(&mut s.candidates, cfg.neighbours);
                    s.candidates.sort_unstable_by(order);
                    lens.push(s.candidates.len());
                    out.extend_from_slice(&s.candidates);
                }
                progress.inc(block.len() as u64);
                (lens, out)
            },
        )
        .collect();
    assemble(n, wanted.iter().copied(), blocks)
}

/// The definition the slow way: every pair by merging the two rows. Test twin only.
#[cfg(test)]
pub fn brute_force(r: &Rows, cfg: &ModelConfig) -> Neighbours {
    let mut nb = Neighbours { offsets: vec![0], ..Default::default() };
    for a in 0..r.n_rows() {
        let mut all: Vec<Candidate> = Vec::new();
        for b in (0..r.n_rows()).filter(|&b| b != a) {
            let (mut dot, mut shared) = (0.0, 0u32);
            let (sa, sb) = (r.span(a), r.span(b));
            let (mut p, mut q) = (sa.start, sb.start);
            while p < sa.end && q < sb.end {
                match r.indices[p].cmp(&r.indices[q]) {
                    std::cmp::Ordering::Less => p += 1,
                    std::cmp::Ordering::Greater => q += 1,
                    std::cmp::Ordering::Equal => {
                        dot += r.values[p] * r.values[q];
                        shared += 1;
                        p += 1;
                        q += 1;
                    }
                }
            }
            let sim = similarity(dot, r.norm2[a], r.norm2[b], shared, cfg.shrinkage);
            if shared > 0 && shared >= cfg.min_overlap && sim > cfg.min_similarity {
                all.push((sim, b as u32, shared));
            }
        }
        super::push_row(&mut nb, all, cfg.neighbours);
    }
    nb
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::tests::random_matrix;

    /// `random_matrix` with quantities 1..=12 (repeats sum), so every weighting differs.
    fn with_quantities(m: &Interactions, seed: u64) -> Interactions {
        let mut m = m.clone();
        for (p, q) in m.quantity.iter_mut().enumerate() {
            *q = ((p as u64 * 2654435761 + seed * 97) % 12 + 1) as f64;
        }
        m
    }

    fn cfg(kind: Kind, weighting: Weighting, neighbours: usize) -> ModelConfig {
        ModelConfig { kind, weighting, neighbours, ..Default::default() }
    }

    const WEIGHTINGS: [Weighting; 5] =
        [Weighting::Binary, Weighting::Quantity, Weighting::LogQuantity, Weighting::Bm25, Weighting::Tfidf];

    #[test]
    fn every_weighting_kind_and_knob_matches_brute_force_on_any_thread_count() {
        for seed in 0..3 {
            let m = with_quantities(&random_matrix(90 + seed as usize * 31, 70, 9, seed), seed);
            for kind in [Kind::User, Kind::Item] {
                for weighting in WEIGHTINGS {
                    let base = cfg(kind, weighting, 7);
                    let r = rows(&m, &base);
                    let knobs = [
                        base.clone(),
                        ModelConfig { neighbours: 1, ..base.clone() },
                        ModelConfig { shrinkage: 4.0, ..base.clone() },
                        ModelConfig { min_overlap: 3, min_similarity: 0.05, ..base.clone() },
                    ];
                    for c in knobs {
                        let expected = brute_force(&r, &c);
                        for threads in [1, 2] {
                            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
                            let got = pool.install(|| run(&r, &c, &Progress::hidden()));
                            assert_eq!(got, expected, "seed {seed} {c:?} {threads} threads");
                            // a scattered sample of rows (model selection's): those rows as in
                            // the whole run, the others empty
                            let wanted: Vec<usize> = (0..r.n_rows()).filter(|a| a % 7 == 2 || a % 5 == 0).collect();
                            let some = pool.install(|| run_for(&r, &c, &Progress::hidden(), &wanted));
                            for a in 0..r.n_rows() {
                                let want =
                                    if wanted.contains(&a) { expected.of(a) } else { (&[][..], &[][..], &[][..]) };
                                assert_eq!(some.of(a), want, "row {a}: seed {seed} {c:?} {threads} threads");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn shrinkage_and_weights_change_the_neighbours() {
        let m = with_quantities(&random_matrix(120, 80, 9, 5), 5);
        let plain =
            brute_force(&rows(&m, &cfg(Kind::User, Weighting::Binary, 5)), &cfg(Kind::User, Weighting::Binary, 5));
        for weighting in &WEIGHTINGS[1..] {
            let other = brute_force(&rows(&m, &cfg(Kind::User, *weighting, 5)), &cfg(Kind::User, *weighting, 5));
            assert_ne!(other.ids, plain.ids, "{weighting:?} orders neighbours like binary");
        }
        let shrunk = ModelConfig { shrinkage: 10.0, ..cfg(Kind::User, Weighting::Binary, 5) };
        assert_ne!(brute_force(&rows(&m, &shrunk), &shrunk).ids, plain.ids);
    }

    #[test]
    fn weights_by_hand() {
        // customers 1: A×2 B×1   2: A×6   3: C×3 ; items A (2 buyers), B (1), C (1)
        let rows_in = [("1", "A", 2.0), ("1", "B", 1.0), ("2", "A", 6.0), ("3", "C", 3.0)];
        let m = Interactions::from_triples(rows_in.iter().map(|&(c, i, q)| (c, i, q, None)));
        let n = 3f64;
        let idf = |df: f64| n.ln() - df.ln_1p();
        let r = values(&m, &cfg(Kind::User, Weighting::Tfidf, 5));
        assert_eq!(r.values, [2f64.sqrt() * idf(2.0), idf(1.0), 6f64.sqrt() * idf(2.0), 3f64.sqrt() * idf(1.0)]);
        let r = values(&m, &cfg(Kind::User, Weighting::LogQuantity, 5));
        assert_eq!(r.values, [2f64.ln_1p(), 1f64.ln_1p(), 6f64.ln_1p(), 3f64.ln_1p()]);
        assert!((r.values[0] - 3f64.ln()).abs() < 1e-15);
        // bm25: row lengths 3, 6, 3; average 4
        let bm25 = |x: f64, len: f64, df: f64| {
            x * (BM25_K1 + 1.0) / (BM25_K1 * (1.0 - BM25_B + BM25_B * len / 4.0) + x) * idf(df)
        };
        let r = values(&m, &cfg(Kind::User, Weighting::Bm25, 5));
        assert_eq!(r.values, [bm25(2.0, 3.0, 2.0), bm25(1.0, 3.0, 1.0), bm25(6.0, 6.0, 2.0), bm25(3.0, 3.0, 1.0)]);
        // items as rows: A = {1: 2, 2: 6}, B = {1: 1}, C = {3: 3}
        let r = values(&m, &cfg(Kind::Item, Weighting::Quantity, 5));
        assert_eq!(
            (r.indptr.clone(), r.indices.clone(), r.values.clone()),
            (vec![0, 2, 3, 4], vec![0, 1, 0, 2], vec![2.0, 6.0, 1.0, 3.0])
        );
        // for the cosine each row × a power of two that brings its largest into [1, 2): A / 4,
        // B / 1, C / 2; norms Σ x² of those (40 / 16, 1, 9 / 4)
        let r = rows(&m, &cfg(Kind::Item, Weighting::Quantity, 5));
        assert_eq!(r.values, [0.5, 1.5, 1.0, 1.5]);
        assert_eq!(r.norm2, [2.5, 1.0, 2.25]);
        // cosine(A, B) over customers = 2·1 / √(40 · 1)
        let nb = run(&r, &cfg(Kind::Item, Weighting::Quantity, 5), &Progress::hidden());
        assert_eq!(nb.of(0), (&[1u32][..], &[2.0 / 40f64.sqrt()][..], &[1u32][..]));
        assert!(nb.of(2).0.is_empty(), "C shares no buyer");
    }

    #[test]
    fn similarity_half_life_weighs_each_pair_by_its_own_age_in_either_orientation() {
        // 1 bought A at day 0 and B at day 30 (the newest); 2 bought A at day 30
        let day = 86_400;
        let rows_in = [("1", "A", 0), ("1", "B", 30 * day), ("2", "A", 30 * day)];
        let m = Interactions::from_rows(rows_in.iter().map(|&(c, i, t)| (c, i, 1.0, None, Some(t))));
        let aged = |kind| ModelConfig { similarity_half_life_days: Some(30.0), ..cfg(kind, Weighting::Binary, 5) };
        // customers × items: 1 = (A 0.5, B 1), 2 = (A 1)
        assert_eq!(rows(&m, &aged(Kind::User)).values, [0.5, 1.0, 1.0]);
        // items × customers: A = (1: 0.5, 2: 1), B = (1: 1) — the weights follow their pairs
        let r = rows(&m, &aged(Kind::Item));
        assert_eq!((r.indices.clone(), r.values.clone()), (vec![0, 1, 0], vec![0.5, 1.0, 1.0]));
        assert_eq!(r.norm2, [1.25, 1.0]);
        // without dates nothing is weighed
        let undated = Interactions::from_triples(rows_in.iter().map(|&(c, i, _)| (c, i, 1.0, None)));
        assert_eq!(rows(&undated, &aged(Kind::Item)).values, [1.0, 1.0, 1.0]);
    }

    /// `m` with every quantity × `factor`.
    fn scaled(m: &Interactions, factor: f64) -> Interactions {
        let mut m = m.clone();
        m.quantity.iter_mut().for_each(|q| *q *= factor);
        m
    }

    /// Issue 14 case 6: with `weighting = "quantity"` and quantities of 1e200, ‖a‖² overflowed
    /// to ∞ and every cosine was NaN: those customers silently lost their neighbours. The
    /// cosine is scale-free: quantities × 2^664 (≈ 1.2e200) or × 2^-600 give bit for bit the
    /// neighbours of quantities × 1, and × 1e200 the same ones to rounding.
    #[test]
    fn huge_or_tiny_quantities_give_the_neighbours_of_ordinary_ones() {
        let m = with_quantities(&random_matrix(120, 60, 8, 11), 11);
        for kind in [Kind::User, Kind::Item] {
            let c = cfg(kind, Weighting::Quantity, 6);
            let plain = run(&rows(&m, &c), &c, &Progress::hidden());
            assert!(plain.len() > 300, "{kind:?}: {} neighbour rows", plain.len());
            for factor in [2f64.powi(664), 2f64.powi(-600), 2f64.powi(1000)] {
                let r = rows(&scaled(&m, factor), &c);
                assert!(r.norm2.iter().all(|n| n.is_finite() && *n > 0.0));
                assert_eq!(run(&r, &c, &Progress::hidden()), plain, "{kind:?} × {factor:e}");
                assert_eq!(brute_force(&r, &c), plain, "{kind:?} × {factor:e}, brute force");
            }
            let huge = run(&rows(&scaled(&m, 1e200), &c), &c, &Progress::hidden());
            assert_eq!(huge.offsets, plain.offsets, "{kind:?}: every row keeps its neighbours");
            for (a, b) in huge.similarity.iter().zip(&plain.similarity) {
                assert!((a - b).abs() <= 1e-12, "{kind:?}: {a} vs {b}");
            }
        }
    }

    /// Every weighting of quantities up to 1.7e308 (pivot keeps sums finite) gives finite
    /// weights and norms, and neighbours; bm25's sums and its saturation no longer overflow.
    #[test]
    fn every_weighting_of_the_largest_quantities_stays_finite() {
        let m = with_quantities(&random_matrix(80, 40, 8, 4), 4);
        let m = scaled(&m, 1.7e308 / 12.0);
        for kind in [Kind::User, Kind::Item] {
            for weighting in WEIGHTINGS {
                let c = cfg(kind, weighting, 5);
                assert!(values(&m, &c).values.iter().all(|v| v.is_finite()), "{kind:?} {weighting:?}");
                let r = rows(&m, &c);
                assert!(r.norm2.iter().all(|n| n.is_finite()), "{kind:?} {weighting:?}");
                let nb = run(&r, &c, &Progress::hidden());
                assert!(nb.similarity.iter().all(|s| s.is_finite()) && nb.len() > 100, "{kind:?} {weighting:?}");
            }
        }
        // bm25 past the overflow point: saturated to K1 + 1 (× idf), not ∞ or NaN
        assert_eq!(bm25(1.7e308, 1.0), (BM25_K1 + 1.0) / (BM25_K1 / 1.7e308 + 1.0));
        assert_eq!(bm25(2.0, 1.0), 2.0 * (BM25_K1 + 1.0) / (BM25_K1 + 2.0));
    }
}
