//! The fast path of the similarity kernel: popular items as bitsets, the rest scattered in
//! u16, customers processed in cache-sized tiles, a pruning threshold per row.
//!
//! Why: item popularity is skewed, so a few items carry most of Σ buyers² — the top item of
//! syn-200k is bought by most customers, and *every* pair of customers shares something. The
//! kernel therefore cannot avoid looking at ~n² pairs; it makes each look cheap:
//!
//! - shared(a, b) = popcount(mask(a) & mask(b)) + sparse(a, b), where `mask` holds the 64 most
//!   popular items as bits and `sparse` counts the other items by scattering a's items' buyers
//!   into a u16 counter (Gustavson), restricted to the current tile of customers.
//! - Rows are processed in blocks of [`Params::rows`] against tiles of [`Params::tile`]
//!   customers, so a tile's masks and degrees stay in L2 and its counters in L1 while a block
//!   of rows streams over it.
//! - Each row keeps its current k-th best candidate k. A later customer b can only enter the
//!   top-k if cos(a, b) > cos(a, k) — strictly, since b's id is higher and loses a tie — that
//!   needs shared(a,b)² · |k| ≥ shared(a,k)² · |b|: an exact integer test, run in f64 (products
//!   below 2⁵³) on 16 customers at a time, vectorised. Only survivors get the exact f64 cosine
//!   of [`super::cosine`] (distinct rationals with u16 degrees differ by far more than f64
//!   rounding, so the integer test never drops a customer the f64 order would keep). The bar
//!   only rises.
//!
//! Invariants: the exact similarity and the tie rule are those of the general kernel
//! (`weighted`, binary values; the tests compare both to brute force); the result of a row
//! depends on nothing but the row, so thread count and block size cannot change it.

use rayon::prelude::*;

use super::{assemble, cosine, keep_best, order, Candidate};
use crate::config::ModelConfig;
use crate::pivot::Interactions;
use crate::progress::Progress;

/// Tile and block sizes.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Customers per column tile: u16 counters of a tile fill 32 KiB (L1).
    pub tile: usize,
    /// Rows per parallel task.
    pub rows: usize,
    /// Use the portable fused pass even where wider vector units exist (for the twin tests).
    pub portable: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params { tile: 16_384, rows: 256, portable: false }
    }
}

/// The fast path counts in u16: every customer must have fewer than 65,536 items.
pub fn fits(m: &Interactions) -> bool {
    (0..m.n_customers()).all(|c| m.row(c).len() <= u16::MAX as usize)
}

/// The matrix split into a bitset part (the 64 most popular items) and a sparse part.
struct Split {
    masks: Vec<u64>,
    degree: Vec<u32>,
    /// Degrees as f64, for the exact integer test in the fused pass.
    degf: Vec<f64>,
    /// Sparse items of each customer (CSR).
    row_ptr: Vec<usize>,
    row_idx: Vec<u32>,
    /// Buyers of each sparse item, ascending (CSC).
    col_ptr: Vec<usize>,
    col_idx: Vec<u32>,
}

fn split(m: &Interactions) -> Split {
    let n = m.n_customers();
    let popular = m.popularity_order();
    let mut bit = vec![u8::MAX; m.n_items()];
    for (k, &i) in popular.iter().take(64).enumerate() {
        bit[i as usize] = k as u8;
    }
    let mut masks = vec![0u64; n];
    let mut row_ptr = Vec::with_capacity(n + 1);
    let mut row_idx = Vec::new();
    row_ptr.push(0);
    for (c, mask) in masks.iter_mut().enumerate() {
        for &i in m.row(c) {
            match bit[i as usize] {
                u8::MAX => row_idx.push(i),
                k => *mask |= 1 << k,
            }
        }
        row_ptr.push(row_idx.len());
    }
    let (col_ptr, col_idx, _) = crate::pivot::transpose_csr(&row_ptr, &row_idx, m.n_items(), None);
    let degree: Vec<u32> = (0..n).map(|c| m.row(c).len() as u32).collect();
    let degf = degree.iter().map(|&d| d as f64).collect();
    Split { masks, degree, degf, row_ptr, row_idx, col_ptr, col_idx }
}

/// One pass of row `a` over a tile: for each customer b of the tile, shared = popcount +
/// counter (and the counter is reset); b survives when shared > 0 and shared² · den ≥
/// num · |b|. With (num, den) = (c_k², |k|) from the row's k-th best candidate k this is,
/// exactly (every product is an integer below 2⁵³), "b's cosine is at least the k-th best's"
/// as rationals. Equal rationals can round to different f64 cosines (3/√72 > 2/√32 in f64), so
/// ties pass here and the caller's exact f64 test decides. Survivors are pushed as
/// (tile offset, shared).
///
/// Written once, compiled per instruction set (the compiler vectorises it for each), and
/// once more by hand in AVX-512 intrinsics ([`fused_avx512`]); [`pick`] chooses at run time.
macro_rules! fused_for {
    ($name:ident $(, $features:literal)?) => {
        $(#[cfg(target_arch = "x86_64")] #[target_feature(enable = $features)])?
        fn $name(t: Tile, counts: &mut [u16], hits: &mut Vec<(u32, u32)>) {
            let whole = t.whole();
            let mut shared = [0u32; W];
            for base in (0..whole).step_by(W) {
                let (m, d, c) = (&t.masks[base..base + W], &t.degree[base..base + W], &mut counts[base..base + W]);
                let mut pass = 0u32;
                for j in 0..W {
                    let s = c[j] as u32 + (t.ma & m[j]).count_ones();
                    c[j] = 0;
                    let sf = s as f64;
                    pass |= (((s != 0) & (sf * sf * t.den >= t.num * d[j])) as u32) << j;
                    shared[j] = s;
                }
                push_survivors(pass, base, &shared, hits);
            }
            fused_tail(t, counts, hits, whole);
        }
    };
}

/// Customers a fused pass takes at a time.
const W: usize = 16;

/// What a fused pass compares: row a's bitset `ma` and bar (`num`, `den`) against a tile's
/// customers' bitsets and degrees.
#[derive(Clone, Copy)]
struct Tile<'a> {
    ma: u64,
    num: f64,
    den: f64,
    masks: &'a [u64],
    degree: &'a [f64],
}

impl Tile<'_> {
    /// The customers covered by whole vectors of `W`.
    fn whole(&self) -> usize {
        let len = self.masks.len().min(self.degree.len());
        len - len % W
    }
}

/// Pushes the customers whose bits are set in `pass` (offsets from `base`) with their counts.
#[inline(always)]
fn push_survivors(mut pass: u32, base: usize, shared: &[u32; W], hits: &mut Vec<(u32, u32)>) {
    while pass != 0 {
        let j = pass.trailing_zeros() as usize;
        hits.push(((base + j) as u32, shared[j]));
        pass &= pass - 1;
    }
}

/// The customers from `whole` on (fewer than a vector's width), one at a time.
#[inline(always)]
fn fused_tail(t: Tile, counts: &mut [u16], hits: &mut Vec<(u32, u32)>, whole: usize) {
    let rest = t.masks[whole..].iter().zip(&t.degree[whole..]).zip(&mut counts[whole..]);
    for (j, ((&m, &d), c)) in (whole..).zip(rest) {
        let s = *c as u32 + (t.ma & m).count_ones();
        *c = 0;
        let sf = s as f64;
        if s != 0 && sf * sf * t.den >= t.num * d {
            hits.push((j as u32, s));
        }
    }
}

type Fused = fn(Tile, &mut [u16], &mut Vec<(u32, u32)>);

/// The fused pass in AVX-512 intrinsics: the same arithmetic in the same order as
/// [`fused_for`]'s (f64 products of integers below 2⁵³, compared with ≥), the survivors' bits
/// taken straight from the compare masks and blocks without a shared item skipped; ~10% less
/// time than the compiler's vectorisation of the portable code.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512dq,avx512vpopcntdq,popcnt")]
fn fused_avx512(t: Tile, counts: &mut [u16], hits: &mut Vec<(u32, u32)>) {
    use std::arch::x86_64::*;
    let whole = t.whole().min(counts.len() - counts.len() % W);
    let (masks, degree) = (t.masks, t.degree);
    let (vma, vnum, vden) = (_mm512_set1_epi64(t.ma as i64), _mm512_set1_pd(t.num), _mm512_set1_pd(t.den));
    let mut shared = [0u32; W];
    for base in (0..whole).step_by(W) {
        // SAFETY: base + W <= whole, which bounds all three slices; unaligned loads and stores.
        unsafe {
            let cp = counts.as_mut_ptr().add(base) as *mut __m256i;
            let c = _mm512_cvtepu16_epi32(_mm256_loadu_si256(cp));
            _mm256_storeu_si256(cp, _mm256_setzero_si256());
            let m0 = _mm512_loadu_si512(masks.as_ptr().add(base) as *const _);
            let m1 = _mm512_loadu_si512(masks.as_ptr().add(base + 8) as *const _);
            let p0 = _mm512_cvtepi64_epi32(_mm512_popcnt_epi64(_mm512_and_si512(m0, vma)));
            let p1 = _mm512_cvtepi64_epi32(_mm512_popcnt_epi64(_mm512_and_si512(m1, vma)));
            let s = _mm512_add_epi32(c, _mm512_inserti64x4::<1>(_mm512_castsi256_si512(p0), p1));
            let nonzero = _mm512_test_epi32_mask(s, s);
            if nonzero == 0 {
                continue;
            }
            let test = |s: __m256i, d: *const f64| {
                let sf = _mm512_cvtepu32_pd(s);
                _mm512_cmp_pd_mask::<_CMP_GE_OQ>(
                    _mm512_mul_pd(_mm512_mul_pd(sf, sf), vden),
                    _mm512_mul_pd(vnum, _mm512_loadu_pd(d)),
                )
            };
            let lo = test(_mm512_castsi512_si256(s), degree.as_ptr().add(base));
            let hi = test(_mm512_extracti64x4_epi64::<1>(s), degree.as_ptr().add(base + 8));
            let pass = (lo as u32 | (hi as u32) << 8) & nonzero as u32;
            if pass != 0 {
                _mm512_storeu_si512(shared.as_mut_ptr() as *mut _, s);
            }
            push_survivors(pass, base, &shared, hits);
        }
    }
    fused_tail(t, counts, hits, whole);
}

fused_for!(fused_portable);
fused_for!(fused_avx2, "avx2,popcnt");

/// The widest fused pass this CPU runs (the same code, compiled for its vector units).
fn pick() -> Fused {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512vpopcntdq")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx512dq")
        {
            // SAFETY: the features the function is compiled for were detected at run time.
            return |t, c, h| unsafe { fused_avx512(t, c, h) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: as above.
            return |t, c, h| unsafe { fused_avx2(t, c, h) };
        }
    }
    fused_portable
}

/// Per-worker state for one block of rows.
struct Block {
    counts: Vec<u16>,
    hits: Vec<(u32, u32)>,
    /// Per row of the block: candidates so far, and the k-th best once k are held
    /// (similarity, shared items, degree).
    candidates: Vec<Vec<Candidate>>,
    kth: Vec<Option<(f64, u32, u32)>>,
    /// Per (row, sparse item): the next buyer to scatter and the end of the buyer list.
    cursor: Vec<usize>,
    end: Vec<usize>,
    cursor_ptr: Vec<usize>,
}

/// Runs the fast path with explicit sizes (tests use tiny tiles to cross many boundaries).
#[cfg(test)]
pub fn run(m: &Interactions, cfg: &ModelConfig, progress: &Progress, params: Params) -> super::Neighbours {
    run_for(m, cfg, progress, params, 0..m.n_customers())
}

/// [`run`] for the rows `customers` only (a shard's): every other row is left without
/// neighbours. A row's result depends on nothing but the row, so it is the same as in [`run`].
pub fn run_for(
    m: &Interactions,
    cfg: &ModelConfig,
    progress: &Progress,
    params: Params,
    customers: std::ops::Range<usize>,
) -> super::Neighbours {
    let n = m.n_customers();
    let sp = split(m);
    let fused = if params.portable { fused_portable } else { pick() };
    let tile = params.tile.max(16);
    let first = customers.start;
    let blocks: Vec<(Vec<usize>, Vec<Candidate>)> = (0..customers.len().div_ceil(params.rows))
        .into_par_iter()
        .map_init(
            || Block {
                counts: vec![0; tile],
                hits: Vec::new(),
                candidates: Vec::new(),
                kth: Vec::new(),
                cursor: Vec::new(),
                end: Vec::new(),
                cursor_ptr: Vec::new(),
            },
            |b, block| {
                let rows = first + block * params.rows..(first + (block + 1) * params.rows).min(customers.end);
                let out = run_block(&sp, cfg, tile, fused, rows.clone(), b);
                progress.inc(rows.len() as u64);
                out
            },
        )
        .collect();
    assemble(n, customers, blocks)
}

/// Customers swept per piece while a row holds fewer than k candidates.
const WARMUP: usize = 512;

/// The fused pass's bar as (num, den): above min_similarity (a float, lowered a hair so the
/// exact test decides) until k candidates are held, then the k-th best (c_k², |k|).
fn bar(kth: Option<(f64, u32, u32)>, min_similarity: f64, deg_a: f64) -> (f64, f64) {
    match kth {
        Some((_, c, d)) => ((c as f64) * (c as f64), d as f64),
        None => (min_similarity * min_similarity * deg_a * (1.0 - 1e-9), 1.0),
    }
}

/// Takes one survivor of the fused pass through the exact test into row `a`'s candidates,
/// compacting to the best k (and raising the bar) when the list grows long.
fn absorb(
    sp: &Split,
    cfg: &ModelConfig,
    a: usize,
    other: usize,
    shared: u32,
    cands: &mut Vec<Candidate>,
    kth: &mut Option<(f64, u32, u32)>,
) {
    let (theta, same) = match *kth {
        Some((sim, c, d)) => (sim, (c, d)),
        None => (cfg.min_similarity, (0, 0)),
    };
    if other == a || shared < cfg.min_overlap || (shared, sp.degree[other]) == same {
        return; // itself, too little overlap, or the very same cosine as the k-th best: a lost tie
    }
    // Strictly above: customers come in ascending order, so one that only ties the k-th best
    // has a higher id than it and loses the tie.
    let sim = cosine(shared, sp.degree[a] as usize, sp.degree[other] as usize);
    if sim > theta {
        cands.push((sim, other as u32, shared));
        if cands.len() >= (4 * cfg.neighbours).max(64) {
            keep_best(cands, cfg.neighbours);
            let (sim, id, c) = cands[cfg.neighbours - 1];
            *kth = Some((sim, c, sp.degree[id as usize]));
        }
    }
}

fn run_block(
    sp: &Split,
    cfg: &ModelConfig,
    tile: usize,
    fused: Fused,
    rows: std::ops::Range<usize>,
    b: &mut Block,
) -> (Vec<usize>, Vec<Candidate>) {
    let n = sp.masks.len();
    let k = cfg.neighbours;
    b.candidates.resize_with(rows.len(), Vec::new);
    b.kth.clear();
    b.kth.resize(rows.len(), None);
    b.cursor.clear();
    b.end.clear();
    b.cursor_ptr.clear();
    b.cursor_ptr.push(0);
    for a in rows.clone() {
        for &i in &sp.row_idx[sp.row_ptr[a]..sp.row_ptr[a + 1]] {
            b.cursor.push(sp.col_ptr[i as usize]);
            b.end.push(sp.col_ptr[i as usize + 1]);
        }
        b.cursor_ptr.push(b.cursor.len());
    }
    for start in (0..n).step_by(tile) {
        let stop = (start + tile).min(n);
        let (masks, degf) = (&sp.masks[start..stop], &sp.degf[start..stop]);
        let counts = &mut b.counts[..stop - start];
        for (r, a) in rows.clone().enumerate() {
            // Scatter a's sparse items' buyers that fall in this tile.
            for q in b.cursor_ptr[r]..b.cursor_ptr[r + 1] {
                let (mut p, e) = (b.cursor[q], b.end[q]);
                while p < e && (sp.col_idx[p] as usize) < stop {
                    counts[sp.col_idx[p] as usize - start] += 1;
                    p += 1;
                }
                b.cursor[q] = p;
            }
            // Until k candidates are held the bar is low and most of a tile would pass, so the
            // tile is swept in small pieces until the first compaction sets a real bar.
            let mut from = 0;
            while from < counts.len() {
                let to = if b.kth[r].is_none() { (from + WARMUP).min(counts.len()) } else { counts.len() };
                let (num, den) = bar(b.kth[r], cfg.min_similarity, sp.degf[a]);
                b.hits.clear();
                let t = Tile { ma: sp.masks[a], num, den, masks: &masks[from..to], degree: &degf[from..to] };
                fused(t, &mut counts[from..to], &mut b.hits);
                for &(off, shared) in &b.hits {
                    absorb(sp, cfg, a, start + from + off as usize, shared, &mut b.candidates[r], &mut b.kth[r]);
                }
                from = to;
            }
        }
    }
    let mut lens = Vec::with_capacity(rows.len());
    let mut out = Vec::new();
    for cands in b.candidates.iter_mut().take(rows.len()) {
        keep_best(cands, k);
        cands.sort_unstable_by(order);
        lens.push(cands.len());
        out.append(cands);
    }
    (lens, out)
}
