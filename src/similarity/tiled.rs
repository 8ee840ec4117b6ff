//! The fast path of the similarity kernel: popular items as bit-planes over the customers,
//! counted 256 customers at a time in bit-sliced adders; the rest scattered into the same
//! bit-sliced counts; customers sorted by degree so that each row's bar turns into a required
//! overlap per 256 customers.
//!
//! Why: item popularity is skewed, so a few items carry most of Σ buyers² — the top item of
//! `kindred generate` data is bought by two customers in three — and nearly *every* pair of
//! customers shares something. The k-th best similarity is low (median 0.29 at 50,000 and at
//! 200,000 customers), so bounds on the overlap alone skip almost nothing: All-Pairs' prefix
//! filter (and L2AP's ℓ2 bound, the same for binary vectors) leaves out only a row's items
//! beyond |a| − ⌈θ²·|a|⌉ + 1 of them, about 2 here. What does work is making the look at a
//! pair nearly free, and skipping pairs 64 at a time:
//!
//! - **Planes.** An item bought by more than n / [`PLANE_DIVISOR`] customers is a plane: one
//!   bit per customer (by degree order). Row a's overlap with 256 customers through its plane
//!   items is a bit-sliced sum of its planes' words (full and ripple-carry adders on u64
//!   words, two planes per pass: about a dozen vector instructions per plane for 256
//!   customers). Every other item is sparse: its buyers, restricted to the current tile of
//!   customers, are counted into the same bit-sliced sums first (Gustavson's scatter).
//! - **The bar as a required overlap.** Each row keeps its best k in a heap whose root is the
//!   k-th best (c_k shared with a customer of degree d_k). A customer b can enter only if
//!   cos(a, b) ≥ cos(a, k), that is shared² · d_k ≥ c_k² · |b|. Customers come in ascending
//!   degree, so the 256 of a group need at least `need` = the least s with s² · d_k ≥ c_k² ·
//!   d_min (exact, in integers), a bit-sliced comparison away. Only customers at or above it
//!   are looked at one by one: an integer test against the k-th best, then the exact f64
//!   cosine of [`super::cosine`] and the tie rule (higher similarity, then lower id) in the
//!   heap. The README gives the share of pairs skipped so (99.6–99.9% on the synthetic exports).
//! - **Length filter.** Once `need` exceeds a's number of plane items, no customer of that
//!   degree or more gets there through planes alone: the planes are not added at all, and only
//!   customers with at least need − held sparse items are looked at.
//!
//! Invariants: the exact similarity and the tie rule are those of the general kernel
//! (`weighted`, binary values; the tests compare both to brute force). A row's list is the
//! exact top-k of all customers whatever order they come in (the heap keeps the tie rule), and
//! depends on nothing but the row, so thread count, tile and block sizes cannot change it.

use std::collections::BinaryHeap;

use rayon::prelude::*;

use super::{cosine, order, Candidate, Neighbours, Pruning};
use crate::config::ModelConfig;
use crate::pivot::Interactions;
use crate::progress::Progress;

/// Tile and block sizes.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Customers per tile at most (rounded up to groups of 256): a tile's bit-sliced counts
    /// stay in L1 and its plane words near while a block of rows streams over it.
    pub tile: usize,
    /// Rows per parallel task.
    pub rows: usize,
    /// Use the portable adder even where wider vector units exist (for the twin tests).
    pub portable: bool,
    /// At most this many planes ([`MAX_PLANES`]; the tests take fewer, down to none, so that
    /// small matrices exercise the sparse path too).
    pub max_planes: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params { tile: 16_384, rows: 256, portable: false, max_planes: MAX_PLANES }
    }
}

/// The fast path counts in u16: every customer must have fewer than 65,536 items.
pub fn fits(m: &Interactions) -> bool {
    (0..m.n_customers()).all(|c| m.row(c).len() <= u16::MAX as usize)
}

/// An item is a plane when more than n / PLANE_DIVISOR customers bought it. A plane costs
/// each row that holds it a pass over n/256 groups of four words; a sparse item costs a
/// scattered, cache-missing update per buyer, and past the length filter a look at each
/// customer it touches. Measured on `kindred generate` data, `kindred bench`, 2 threads,
/// divisors side by side: 300 against 100 took 13% less time at 50,000 customers (0.63 s
/// against 0.72–0.74), 9% less at 200,000 (9.1 s against 10.0) and 15% less at 1,000,000
/// (142 s against 168); 50 and 1,000 were slower still at 50k and 200k (an AVX2 machine). On
/// an AVX-512 one, where a plane's adders are cheaper, 600 was still slower than 300: user
/// seconds 1.22–1.65 against 1.08–1.31 at 50k, 164 s against 127 s at 1M. It is a ratio of
/// two costs per item, not a property of one export: the number of planes follows each
/// export's popularity curve.
pub const PLANE_DIVISOR: usize = 300;

/// At most this many planes (each takes n/8 bytes; a row's count fits [`BITS`] bits).
const MAX_PLANES: usize = 4_096;

/// The matrix split into planes (popular items) and a sparse part; customers relabelled in
/// ascending degree ("positions"), rows still addressed by customer index.
struct Split {
    /// Customer index of each position.
    customer: Vec<u32>,
    /// Degree by position, and by customer.
    degree_at: Vec<u32>,
    degree: Vec<u32>,
    /// Plane p's bits: words `p * words..(p + 1) * words`, bit = position.
    planes: Vec<u64>,
    words: usize,
    /// A plane of zeros (the partner of an odd plane out).
    zeros: Vec<u64>,
    /// Each customer's plane items (plane numbers) and sparse items (item ids).
    plane_ptr: Vec<usize>,
    plane_idx: Vec<u32>,
    row_ptr: Vec<usize>,
    row_idx: Vec<u32>,
    /// Buyers of each sparse item, as positions ascending (CSC).
    col_ptr: Vec<usize>,
    col_idx: Vec<u32>,
}

impl Split {
    /// Whether no customer of the group at position `g` can enter a list on a tie with its
    /// k-th best, customer `kth`: all of them have kth's degree (so a tie shares exactly as
    /// many items, and its cosine is the same f64) and a higher id (ids ascend within a
    /// degree). Without this, an item in nearly every basket makes thousands of small
    /// baskets tie at each row's bar, and every one of them was looked at and its cosine
    /// computed: quadratic in the customers.
    #[inline]
    fn ties_cannot_enter(&self, g: usize, kth: u32) -> bool {
        let last = (g + 255).min(self.customer.len() - 1);
        let d = self.degree[kth as usize];
        self.degree_at[g] == d && self.degree_at[last] == d && self.customer[g] > kth
    }
}

fn split(m: &Interactions, max_planes: usize) -> Split {
    let n = m.n_customers();
    let degree: Vec<u32> = (0..n).map(|c| m.row(c).len() as u32).collect();
    let mut customer: Vec<u32> = (0..n as u32).collect();
    customer.sort_by_key(|&c| (degree[c as usize], c));
    let mut position = vec![0u32; n];
    for (p, &c) in customer.iter().enumerate() {
        position[c as usize] = p as u32;
    }
    let degree_at = customer.iter().map(|&c| degree[c as usize]).collect();
    let words = n.div_ceil(256) * 4; // whole groups of four words: positions past n are 0
    let buyers = m.buyers();
    let threshold = n / PLANE_DIVISOR;
    let max_planes = max_planes.min(MAX_PLANES).min((1 << 29) / words.max(1)); // at most 4 GiB / 8
    let mut plane = vec![u32::MAX; m.n_items()];
    for (p, &i) in m.popularity_order().iter().take(max_planes).enumerate() {
        if (buyers[i as usize] as usize) <= threshold {
            break;
        }
        plane[i as usize] = p as u32;
    }
    let n_planes = plane.iter().filter(|&&p| p != u32::MAX).count();
    let mut planes = vec![0u64; n_planes * words];
    let (mut plane_ptr, mut plane_idx, mut row_ptr, mut row_idx) = (vec![0], Vec::new(), vec![0], Vec::new());
    for (c, &at) in position.iter().enumerate() {
        let at = at as usize;
        for &i in m.row(c) {
            match plane[i as usize] {
                u32::MAX => row_idx.push(i),
                p => {
                    planes[p as usize * words + at / 64] |= 1 << (at % 64);
                    plane_idx.push(p);
                }
            }
        }
        plane_ptr.push(plane_idx.len());
        row_ptr.push(row_idx.len());
    }
    // buyers by position: transpose with the rows relabelled, then sort each item's buyers
    let (col_ptr, mut col_idx, _) = crate::pivot::transpose_csr(&row_ptr, &row_idx, m.n_items(), None);
    for b in col_idx.iter_mut() {
        *b = position[*b as usize];
    }
    for i in 0..m.n_items() {
        col_idx[col_ptr[i]..col_ptr[i + 1]].sort_unstable();
    }
    Split {
        customer,
        degree_at,
        degree,
        zeros: vec![0; words],
        planes,
        words,
        plane_ptr,
        plane_idx,
        row_ptr,
        row_idx,
        col_ptr,
        col_idx,
    }
}

/// Bits of the counters: enough for any degree below 2¹⁷ (u16 degrees).
const BITS: usize = 17;

/// Four words of bit-sliced counts: `[k][j]` holds bit k of the count of each of word j's 64
/// customers.
type Sums = [[u64; 4]; BITS];

/// The two vector passes of a row over a tile, written once and compiled per instruction
/// set (the compiler keeps four words in one 256-bit register under AVX2); [`pick`] chooses.
/// - `add`: adds two planes, over a run of groups of four words, to their bit-sliced counts
///   (which hold the sparse counts): a full adder into the lowest level, then a ripple-carry
///   adder on u64 words up every level (branch-free: counts are small, but a data-dependent
///   exit mispredicts); each plane streamed once;
/// - `masks`: the customers of a group whose count is at least `need`.
macro_rules! passes_for {
    ($add:ident, $masks:ident $(, $features:literal)?) => {
        $(#[cfg(target_arch = "x86_64")] #[target_feature(enable = $features)])?
        fn $add(x: &[u64], y: &[u64], sums: &mut [Sums], bits: usize) {
            for ((x, y), sum) in x.chunks_exact(4).zip(y.chunks_exact(4)).zip(sums.iter_mut()) {
                // a full adder puts both planes into level 0, the carry ripples up
                let mut carry = [0u64; 4];
                for j in 0..4 {
                    let (l0, u) = (sum[0][j], sum[0][j] ^ x[j]);
                    sum[0][j] = u ^ y[j];
                    carry[j] = (l0 & x[j]) | (u & y[j]);
                }
                for level in sum.iter_mut().take(bits).skip(1) {
                    for j in 0..4 {
                        let c = level[j] & carry[j];
                        level[j] ^= carry[j];
                        carry[j] = c;
                    }
                }
            }
        }

        $(#[cfg(target_arch = "x86_64")] #[target_feature(enable = $features)])?
        fn $masks(sum: &Sums, need: u32, bits: usize) -> [u64; 4] {
            if need as u64 >= 1 << bits {
                return [0; 4];
            }
            let (mut gt, mut eq) = ([0u64; 4], [u64::MAX; 4]);
            for k in (0..bits).rev() {
                if need >> k & 1 == 1 {
                    for j in 0..4 {
                        eq[j] &= sum[k][j];
                    }
                } else {
                    for j in 0..4 {
                        gt[j] |= eq[j] & sum[k][j];
                        eq[j] &= !sum[k][j];
                    }
                }
            }
            [gt[0] | eq[0], gt[1] | eq[1], gt[2] | eq[2], gt[3] | eq[3]]
        }
    };
}

/// The vector passes for one instruction set.
#[derive(Clone, Copy)]
struct Passes {
    add: fn(&[u64], &[u64], &mut [Sums], usize),
    masks: fn(&Sums, u32, usize) -> [u64; 4],
}

passes_for!(add_portable, masks_portable);
passes_for!(add_avx2, masks_avx2, "avx2");
passes_for!(add_avx512, masks_avx512, "avx512f,avx512vl");

const PORTABLE: Passes = Passes { add: add_portable, masks: masks_portable };

/// The widest passes this CPU runs (the same code, compiled for its vector units).
fn pick() -> Passes {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") && std::arch::is_x86_feature_detected!("avx512vl") {
            // SAFETY: the features the functions are compiled for were detected at run time.
            return Passes {
                add: |x, y, s, b| unsafe { add_avx512(x, y, s, b) },
                masks: |s, n, b| unsafe { masks_avx512(s, n, b) },
            };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return Passes {
                add: |x, y, s, b| unsafe { add_avx2(x, y, s, b) },
                masks: |s, n, b| unsafe { masks_avx2(s, n, b) },
            };
        }
    }
    PORTABLE
}

/// The count of customer `bit` of word j.
#[inline]
fn count_of(sum: &Sums, j: usize, bits: usize, bit: usize) -> u32 {
    (0..bits).map(|k| ((sum[k][j] >> bit & 1) as u32) << k).sum()
}

/// A candidate in a row's heap, ordered by the tie rule: the greatest is the worst, so the
/// heap's top is the row's k-th best.
#[derive(Clone, Copy)]
struct Ranked(Candidate);

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        order(&self.0, &other.0)
    }
}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for Ranked {}

/// The best k so far of each row of a block, as heaps whose top is the k-th best.
struct Lists {
    k: usize,
    heaps: Vec<BinaryHeap<Ranked>>,
}

/// Rows are numbered within the block (`r`; customer `a` is the block's `r`-th).
impl Lists {
    fn new(rows: usize, k: usize) -> Lists {
        Lists { k, heaps: (0..rows).map(|_| BinaryHeap::with_capacity(k)).collect() }
    }

    /// Row r's k-th best, once it holds k.
    fn full(&self, r: usize) -> Option<&Candidate> {
        let heap = &self.heaps[r];
        heap.peek().filter(|_| heap.len() == self.k).map(|r| &r.0)
    }

    /// Row r's k-th best as (shared, customer), once it holds k.
    #[inline]
    fn kth(&self, r: usize) -> Option<(u32, u32)> {
        self.full(r).map(|&(_, id, c)| (c, id))
    }

    /// Whether a candidate of similarity `sim` can enter row r's list (a tie with the k-th
    /// best may, by id).
    fn may_enter(&self, r: usize, sim: f64) -> bool {
        self.full(r).is_none_or(|kth| sim >= kth.0)
    }

    /// Offers `cand` (above min_similarity and min_overlap) to row r's list.
    fn offer(&mut self, r: usize, cand: Candidate) {
        let heap = &mut self.heaps[r];
        if heap.len() < self.k {
            heap.push(Ranked(cand));
        } else if let Some(mut kth) = heap.peek_mut() {
            if order(&cand, &kth.0).is_lt() {
                *kth = Ranked(cand);
            }
        }
    }

    /// The lists of the customers `rows` (ascending, after those `nb` holds), best first,
    /// appended to `nb`; the customers between them get none.
    fn drain_into(self, nb: &mut Neighbours, rows: &[usize]) {
        for (heap, &a) in self.heaps.into_iter().zip(rows) {
            nb.offsets.resize(a + 1, nb.ids.len());
            for Ranked((s, b, c)) in heap.into_sorted_vec() {
                nb.similarity.push(s);
                nb.ids.push(b);
                nb.shared.push(c);
            }
            nb.offsets.push(nb.ids.len());
        }
    }
}

/// Buyers of a sparse item prefetched for the next row: four cache lines (a segment of a
/// tile is a few lines long; one line and four measured the same within the noise at 200k).
const PREFETCH: usize = 64;

/// Per-worker scratch for one block of rows.
struct Work {
    /// What the bounds did, for the report.
    stats: Pruning,
    /// A tile's sparse counts, bit-sliced, per four words (zero between rows).
    sparse: Vec<Sums>,
    /// Per (row, sparse item): the next buyer to scatter and the end of the buyer list.
    cursor: Vec<usize>,
    end: Vec<usize>,
    cursor_ptr: Vec<usize>,
    /// The groups of 256 a row without plane items scattered into, a bit each
    /// ([`Kernel::sweep`]; zero between rows).
    hit: Vec<u64>,
}

/// The kernel's fixed inputs.
struct Kernel<'a> {
    sp: &'a Split,
    cfg: &'a ModelConfig,
    passes: Passes,
    /// Customers per tile, a multiple of 256 (four words).
    tile: usize,
}

/// Whether `shared` items in common with a customer of degree `d` reach the cosine of the
/// k-th best (`c` shared with a customer of degree `dk`), as rationals: shared² · dk ≥ c² · d
/// (row a's degree cancels). Exact: every factor is below 2¹⁷.
#[inline]
fn reaches(shared: u32, d: u32, c: u32, dk: u32) -> bool {
    let (s, c) = (shared as u64, c as u64);
    s * s * dk as u64 >= c * c * d as u64
}

/// The least shared count that [`reaches`] the k-th best at degree `d`: ⌈√⌈c² · d / dk⌉⌉,
/// in integers.
fn least_to_reach(c: u32, dk: u32, d: u32) -> u32 {
    match (c as u64 * c as u64 * d as u64).div_ceil(dk as u64) {
        0 => 0,
        x => ((x - 1).isqrt() + 1) as u32,
    }
}

/// A row's required overlap at a group, recomputed only when the degree there, the row's
/// k-th best or whether its ties can enter changed (degrees repeat over many groups; the bar
/// moves rarely).
struct Bar {
    degree: u32,
    kth: Option<(u32, u32)>,
    ties_out: bool,
    need: u32,
}

impl Bar {
    #[inline(always)]
    fn at(&mut self, kernel: &Kernel, lists: &Lists, (a, r): (usize, usize), g: usize) -> u32 {
        let (degree, kth) = (kernel.sp.degree_at[g], lists.kth(r));
        let ties_out = kth.is_some_and(|(_, id)| kernel.sp.ties_cannot_enter(g, id));
        if (degree, kth, ties_out) != (self.degree, self.kth, self.ties_out) {
            let need = kernel.need(lists, (a, r), degree);
            // a tie with the k-th best shares exactly as many (the same degree): one more
            let need = match (ties_out, kth) {
                (true, Some((c, _))) => need.max(c + 1),
                _ => need,
            };
            (self.degree, self.kth, self.ties_out, self.need) = (degree, kth, ties_out, need);
        }
        self.need
    }
}

impl Kernel<'_> {
    /// The least shared count a customer of degree ≥ `dmin` needs to enter row a's list:
    /// above min_similarity and min_overlap, and (once the list is full) at least the k-th
    /// best's cosine — shared² · d_k ≥ c_k² · dmin, exactly, in integers.
    fn need(&self, lists: &Lists, (a, r): (usize, usize), dmin: u32) -> u32 {
        let theta = self.cfg.min_similarity;
        let floor = theta * theta * self.sp.degree[a] as f64 * dmin as f64 * (1.0 - 1e-9);
        let mut need = (floor.sqrt().ceil() as u32).max(1).max(self.cfg.min_overlap);
        if let Some((c, id)) = lists.kth(r) {
            need = need.max(least_to_reach(c, self.sp.degree[id as usize], dmin));
        }
        need
    }

    /// The length filter's cut: the first group of the tile at `lo` whose need exceeds the
    /// `held` planes of row a. The need only rises with the group while the bar stands
    /// (degrees ascend), so the cut is found by bisection — the need before [`Bar`] raises it
    /// for ties, which it does within one degree only (a cut too late is only slower).
    fn length_cut(&self, lists: &Lists, row: (usize, usize), lo: usize, groups: usize, held: u32) -> usize {
        let (mut cut, mut past) = (0, groups);
        while cut < past {
            let mid = (cut + past) / 2;
            match self.need(lists, row, self.sp.degree_at[lo + 256 * mid]) <= held {
                true => cut = mid + 1,
                false => past = mid,
            }
        }
        cut
    }

    /// Row a over the tile of positions `lo..hi`: scatter the sparse items into bit-sliced
    /// counts, then per 256 customers add the planes and look at those that reach `need`.
    /// Returns false when no customer from `lo` on can enter row a's list: the rest of the
    /// row is not swept ([`Kernel::block`]).
    fn sweep(&self, w: &mut Work, lists: &mut Lists, a: usize, r: usize, lo: usize, hi: usize) -> bool {
        let sp = self.sp;
        let mut bar = Bar { degree: u32::MAX, kth: None, ties_out: false, need: 0 };
        // A row shares at most its own items: once the overlap its bar needs of the tile's
        // first customers is more, none from there on gets in (the need only rises with the
        // degree, and with the bar; a tie of higher id stays out). Without this every row of a
        // shop of one-line customers was swept over every customer — Σ buyers² scattered, and
        // each popular item added over all of them, for lists that were full after their first
        // tile: quadratic in the customers (2M customers: 175 s; helper-145).
        if bar.at(self, lists, (a, r), lo) > sp.degree[a] {
            w.stats.pairs += (sp.customer.len() - lo) as f64;
            w.stats.unswept += (sp.customer.len() - lo) as f64;
            return false;
        }
        let bits = (32 - sp.degree[a].leading_zeros()) as usize; // plane + sparse ≤ |a|
        let mine = &sp.plane_idx[sp.plane_ptr[a]..sp.plane_ptr[a + 1]];
        let held = mine.len() as u32;
        // a row without plane items shares nothing with a group its scatter did not reach:
        // only those are looked at (each row of a rare item's buyers looked at every group of
        // every customer: quadratic in the customers, with a small constant; helper-145)
        let mut hit = std::mem::take(&mut w.hit);
        self.scatter(w, r, lo, hi, bits, mine.is_empty().then_some(&mut hit[..]));
        // The length filter: from the cut on, no customer gets there through planes alone
        // (their planes are not added); only those with at least need − held sparse items
        // are looked at, their planes counted one by one.
        let (w0, groups) = (lo / 64, (hi - lo).div_ceil(256));
        let cut = self.length_cut(lists, (a, r), lo, groups, held);
        w.stats.pairs += (hi - lo) as f64;
        w.stats.past_length_filter += (hi - lo).saturating_sub(256 * cut) as f64;
        let plane = |p: u32| &sp.planes[p as usize * sp.words + w0..][..4 * cut];
        for two in mine.chunks(2) {
            let y = match two.get(1) {
                Some(&q) => plane(q),
                None => &sp.zeros[..4 * cut], // an odd plane out: added with nothing
            };
            (self.passes.add)(plane(two[0]), y, &mut w.sparse[..cut], bits);
        }
        let mut group = |t: usize| {
            let sum = &mut w.sparse[t];
            let g = lo + 256 * t;
            let need = bar.at(self, lists, (a, r), g); // the bar as it is now: it rose with the groups before
            let least = if t < cut { need } else { need - held.min(need) };
            for (j, mut cand) in (self.passes.masks)(sum, least, bits).into_iter().enumerate() {
                while cand != 0 {
                    let bit = cand.trailing_zeros() as usize;
                    cand &= cand - 1;
                    let at = g + 64 * j + bit;
                    w.stats.looked_at += 1.0;
                    let shared = match t < cut {
                        true => count_of(sum, j, bits, bit),
                        false => count_of(sum, j, bits, bit) + self.plane_count(mine, at),
                    };
                    w.stats.exact += self.pair(lists, (a, r), at, shared, need) as u8 as f64;
                }
            }
            sum[..bits].fill([0; 4]);
        };
        match mine.is_empty() {
            true => {
                for (k, word) in hit.iter_mut().enumerate() {
                    while *word != 0 {
                        group(64 * k + word.trailing_zeros() as usize);
                        *word &= *word - 1;
                    }
                }
            }
            false => (0..groups).for_each(group),
        }
        w.hit = hit;
        true
    }

    /// How many of the planes `mine` hold the customer at `at`.
    fn plane_count(&self, mine: &[u32], at: usize) -> u32 {
        let sp = self.sp;
        mine.iter().map(|&p| (sp.planes[p as usize * sp.words + at / 64] >> (at % 64) & 1) as u32).sum()
    }

    /// Scatters row r's (of the block) sparse items' buyers in `lo..hi` into the bit-sliced
    /// counts (a carry rarely goes past the first level).
    /// The groups it reaches are marked in `hit` when given.
    fn scatter(&self, w: &mut Work, r: usize, lo: usize, hi: usize, bits: usize, mut hit: Option<&mut [u64]>) {
        let sp = self.sp;
        for q in w.cursor_ptr[r]..w.cursor_ptr[r + 1] {
            let (mut p, e) = (w.cursor[q], w.end[q]);
            while p < e && (sp.col_idx[p] as usize) < hi {
                let at = sp.col_idx[p] as usize - lo;
                if let Some(hit) = hit.as_deref_mut() {
                    hit[at / 256 / 64] |= 1 << (at / 256 % 64);
                }
                let (sum, j, mut carry) = (&mut w.sparse[at / 256], at / 64 % 4, 1u64 << (at % 64));
                for level in sum.iter_mut().take(bits) {
                    let c = level[j] & carry;
                    level[j] ^= carry;
                    carry = c;
                    if carry == 0 {
                        break;
                    }
                }
                p += 1;
            }
            w.cursor[q] = p;
        }
        // The next row's buyer lists start far from these: ask for their first lines now (a
        // segment is a few lines long), so that they arrive while this row's planes are added.
        #[cfg(target_arch = "x86_64")]
        if r + 2 < w.cursor_ptr.len() {
            for q in w.cursor_ptr[r + 1]..w.cursor_ptr[r + 2] {
                for ahead in (0..PREFETCH).step_by(16) {
                    if let Some(b) = sp.col_idx[..w.end[q]].get(w.cursor[q] + ahead) {
                        // SAFETY: a prefetch of a valid address; it reads nothing.
                        unsafe {
                            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                                b as *const u32 as *const i8,
                            )
                        };
                    }
                }
            }
        }
    }

    /// The exact test of a customer with `shared` items in common with row a: whether its
    /// cosine was computed.
    #[inline]
    fn pair(&self, lists: &mut Lists, (a, r): (usize, usize), at: usize, shared: u32, need: u32) -> bool {
        if shared < need {
            return false;
        }
        if let Some((c, k)) = lists.kth(r) {
            // below the k-th best as rationals: below it in f64 too
            if !reaches(shared, self.sp.degree_at[at], c, self.sp.degree[k as usize]) {
                return false;
            }
        }
        let sim = cosine(shared, self.sp.degree[a] as usize, self.sp.degree_at[at] as usize);
        if sim > self.cfg.min_similarity && lists.may_enter(r, sim) {
            let b = self.sp.customer[at];
            if b as usize != a {
                lists.offer(r, (sim, b, shared));
            }
        }
        true
    }

    /// The lists of the rows `rows`, each against every customer, tile by tile.
    fn block(&self, w: &mut Work, rows: &[usize]) -> Lists {
        let sp = self.sp;
        let n = sp.customer.len();
        let mut lists = Lists::new(rows.len(), self.cfg.neighbours);
        w.cursor.clear();
        w.end.clear();
        w.cursor_ptr.clear();
        w.cursor_ptr.push(0);
        for &a in rows {
            for &i in &sp.row_idx[sp.row_ptr[a]..sp.row_ptr[a + 1]] {
                w.cursor.push(sp.col_ptr[i as usize]);
                w.end.push(sp.col_ptr[i as usize + 1]);
            }
            w.cursor_ptr.push(w.cursor.len());
        }
        let mut swept = vec![true; rows.len()];
        for lo in (0..n).step_by(self.tile) {
            let hi = (lo + self.tile).min(n);
            for (r, &a) in rows.iter().enumerate() {
                if swept[r] {
                    swept[r] = self.sweep(w, &mut lists, a, r, lo, hi);
                }
            }
        }
        lists
    }
}

/// Runs the fast path with explicit sizes (tests use tiny tiles to cross many boundaries).
#[cfg(test)]
pub fn run(m: &Interactions, cfg: &ModelConfig, progress: &Progress, params: Params) -> Neighbours {
    run_for(m, cfg, progress, params, &(0..m.n_customers()).collect::<Vec<_>>()).0
}

/// [`run`] for the rows `customers` only (ascending: a shard's, or model selection's
/// sample): every other row is left without neighbours. A row's list depends on nothing but
/// the row, so it is the same as in [`run`].
pub fn run_for(
    m: &Interactions,
    cfg: &ModelConfig,
    progress: &Progress,
    params: Params,
    customers: &[usize],
) -> (Neighbours, Pruning) {
    let n = m.n_customers();
    if cfg.neighbours == 0 {
        return (Neighbours::empty(n), Pruning::default());
    }
    let sp = split(m, params.max_planes);
    let passes = if params.portable { PORTABLE } else { pick() };
    let kernel = Kernel { sp: &sp, cfg, passes, tile: params.tile.div_ceil(256).max(1) * 256 };
    let rows = params.rows.max(1);
    let blocks: Vec<(Lists, Pruning)> = customers
        .par_chunks(rows)
        .map_init(
            || Work {
                stats: Pruning::default(),
                sparse: vec![[[0; 4]; BITS]; kernel.tile / 256],
                cursor: Vec::new(),
                end: Vec::new(),
                cursor_ptr: Vec::new(),
                hit: vec![0; (kernel.tile / 256).div_ceil(64)],
            },
            |w, block| {
                let lists = kernel.block(w, block);
                progress.inc(block.len() as u64);
                (lists, std::mem::take(&mut w.stats))
            },
        )
        .collect();
    let mut nb = Neighbours { offsets: vec![0], ..Default::default() };
    let mut pruning = Pruning::default();
    for ((l, stats), block) in blocks.into_iter().zip(customers.chunks(rows)) {
        l.drain_into(&mut nb, block);
        pruning.add(&stats);
    }
    nb.offsets.resize(n + 1, nb.ids.len());
    (nb, pruning)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_overlap_to_reach_the_kth_best_is_exact() {
        // the bound must be the least s that reaches: one less would skip a neighbour, one
        // more would let a customer that cannot enter through to the exact test
        let mut cases: Vec<(u32, u32, u32)> = Vec::new();
        for c in 0..40 {
            for dk in 1..40 {
                for d in 1..60 {
                    cases.push((c, dk, d));
                }
            }
        }
        // the extremes of 16-bit degrees
        cases.extend([(65_535, 1, 65_535), (65_535, 65_535, 1), (1, 65_535, 65_535), (65_521, 3, 65_519)]);
        for (c, dk, d) in cases {
            let s = least_to_reach(c, dk, d);
            assert!(reaches(s, d, c, dk), "{s} should reach c={c} dk={dk} d={d}");
            assert!(s == 0 || !reaches(s - 1, d, c, dk), "{} also reaches c={c} dk={dk} d={d}", s - 1);
        }
    }
}
