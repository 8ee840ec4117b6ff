//! The plan: which customers each shard computes, balanced by estimated work.
//!
//! A customer's row of the all-pairs count visits every buyer of each of its items, so its
//! work is Σ over its items of their buyers ([`Interactions::customer_work`]); the shards'
//! works sum to Σ over items of buyers², the count's whole work. Counting customers instead
//! would give the shard holding the heavy buyers several times the others' work (at a million
//! customers the heaviest 1% of rows carry ~9% of the work).
//!
//! Each shard is a consecutive range of customers whose first customer is a multiple of
//! [`ALIGN`], the block the recommend stage scores together: a shard's blocks are then the
//! very blocks of a one-machine run, so its scores are bit-identical to `kindred run`'s.
//!
//! [`Interactions::customer_work`]: crate::pivot::Interactions::customer_work

use serde::{Deserialize, Serialize};

/// The customers a shard starts at are multiples of this (`recommend`'s block of customers).
pub const ALIGN: usize = crate::recommend::BLOCK;

/// One shard's customers: positions `first..end`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardRange {
    pub index: usize,
    pub first: usize,
    pub end: usize,
    /// Σ of its customers' work (see the module doc).
    pub work: f64,
}

impl ShardRange {
    pub fn rows(&self) -> std::ops::Range<usize> {
        self.first..self.end
    }
}

/// `shards` consecutive ranges covering every customer once, each ending at the block
/// boundary where the running work comes nearest to its share of the total. Shards may be
/// empty when there are fewer blocks than shards.
pub fn balance(work: &[f64], shards: usize) -> Vec<ShardRange> {
    let n = work.len();
    // the running work at each block boundary: bounds[b] = Σ work[..min(b · ALIGN, n)]
    let mut bounds = vec![0.0];
    for block in work.chunks(ALIGN) {
        bounds.push(bounds.last().copied().unwrap_or(0.0) + block.iter().sum::<f64>());
    }
    let total = bounds.last().copied().unwrap_or(0.0);
    let mut cuts = vec![0usize];
    for k in 1..shards {
        let target = total * k as f64 / shards as f64;
        let from = cuts.last().copied().unwrap_or(0);
        // the first boundary at or past the target, or the one before it when that is nearer
        let past = (from..bounds.len()).find(|&b| bounds[b] >= target).unwrap_or(bounds.len() - 1);
        let cut = match past > from && target - bounds[past - 1] < bounds[past] - target {
            true => past - 1,
            false => past,
        };
        cuts.push(cut);
    }
    cuts.push(bounds.len() - 1);
    (0..shards)
        .map(|index| {
            let (a, b) = (cuts[index], cuts[index + 1]);
            ShardRange { index, first: (a * ALIGN).min(n), end: (b * ALIGN).min(n), work: bounds[b] - bounds[a] }
        })
        .collect()
}

/// Why `ranges` are not what [`balance`] makes for `n` customers — consecutive, indexed in
/// order, each customer in exactly one — if they are not: a plan edited by hand (a gap, an
/// overlap, a shard removed) published a set missing lists or holding two for a customer,
/// exit 0 (helper-158).
pub fn uncovered(ranges: &[ShardRange], n: usize) -> Option<String> {
    let mut next = 0;
    for (position, r) in ranges.iter().enumerate() {
        if r.index != position || r.first != next || r.end < r.first {
            return Some(format!(
                "shard {position} is listed as index {}, customers {}..{}, where {next}.. comes next",
                r.index, r.first, r.end
            ));
        }
        next = r.end;
    }
    match (ranges.is_empty(), next == n) {
        (true, _) => Some("it lists no shard".into()),
        (false, false) => Some(format!("its shards end at customer {next} of {n}")),
        (false, true) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_not_covering_every_customer_once_are_told() {
        let plan = balance(&[1.0; 1000], 3);
        assert_eq!(uncovered(&plan, 1000), None);
        let mut gap = plan.clone();
        gap[1].first += 1;
        assert!(uncovered(&gap, 1000).unwrap().starts_with("shard 1 is listed as index 1"), "{gap:?}");
        let mut overlap = plan.clone();
        overlap[2].first -= 1;
        assert!(uncovered(&overlap, 1000).is_some());
        assert_eq!(uncovered(&plan[..2], 1000).unwrap(), format!("its shards end at customer {} of 1000", plan[1].end));
        assert_eq!(uncovered(&plan, 1001).unwrap(), "its shards end at customer 1000 of 1001");
        assert!(uncovered(&[], 0).is_some());
        let mut swapped = plan.clone();
        swapped.swap(0, 1);
        assert!(uncovered(&swapped, 1000).is_some());
        // fewer blocks than shards: empty shards cover nothing, and that is whole
        assert_eq!(uncovered(&balance(&[1.0; 3], 5), 3), None);
    }

    fn check_cover(plan: &[ShardRange], n: usize) {
        assert_eq!(plan.first().unwrap().first, 0);
        assert_eq!(plan.last().unwrap().end, n);
        for w in plan.windows(2) {
            assert_eq!(w[0].end, w[1].first, "consecutive");
        }
        for s in plan {
            assert!(s.first % ALIGN == 0 || s.first == n, "aligned: {s:?}");
            assert!(s.first <= s.end);
        }
    }

    #[test]
    fn shards_share_the_work_not_the_customer_count() {
        // the first 1,024 customers are 10× heavier than the other 3,072
        let work: Vec<f64> = (0..4096).map(|c| if c < 1024 { 10.0 } else { 1.0 }).collect();
        let plan = balance(&work, 2);
        check_cover(&plan, 4096);
        // half of 13,312 is 6,656: at customer 665.6 — the nearest boundary is 768 (7,680) vs
        // 512 (5,120): 512 is 1,536 short, 768 is 1,024 over
        assert_eq!((plan[0].first, plan[0].end, plan[0].work), (0, 768, 7680.0));
        assert_eq!((plan[1].first, plan[1].end, plan[1].work), (768, 4096, 5632.0));
        // by count, 0..2048 would hold 11,264 of 13,312
    }

    #[test]
    fn any_shape_is_covered_once_with_each_share_within_two_blocks() {
        for (n, shards) in [(0usize, 3usize), (10, 4), (300, 2), (5000, 7), (4339, 4), (1_000, 1)] {
            let work: Vec<f64> = (0..n).map(|c| ((c * 7919) % 97) as f64 + 1.0).collect();
            let plan = balance(&work, shards);
            assert_eq!(plan.len(), shards);
            check_cover(&plan, n);
            let total: f64 = work.iter().sum();
            let biggest_block = work.chunks(ALIGN).map(|b| b.iter().sum::<f64>()).fold(0.0, f64::max);
            for s in &plan {
                let direct: f64 = work[s.rows()].iter().sum();
                assert!((direct - s.work).abs() < 1e-6);
                assert!((s.work - total / shards as f64).abs() <= 2.0 * biggest_block + 1e-6, "{n} {shards}: {s:?}");
            }
        }
    }
}
