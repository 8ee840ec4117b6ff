//! Pivot: cleaned rows → a sparse customers × items matrix (CSR), never dense.
//!
//! Takes the cleaned canonical frame; returns [`Interactions`]: the distinct (customer, item)
//! pairs whose summed quantity is > 0, with the id tables that map matrix positions back to
//! the export's ids. This is the one place ids become indices. Customers are ordered by id
//! (numerically when every id is an integer, else by bytes) and items by bytes, so "lower
//! index" means "lower id" in every tie rule downstream.

use std::time::Instant;

use polars::prelude::*;
use serde::Serialize;

use crate::clean::Cleaned;
use crate::config::{CustomerType, YEAR_DAYS};
use crate::error::{Error, Result};
use crate::roles::{col, integer_id};

/// Customer ids: integers when every id in the input is one, else text.
#[derive(Debug, Clone, PartialEq)]
pub enum CustomerIds {
    Int(Vec<i64>),
    Text(Vec<String>),
}

impl CustomerIds {
    pub fn len(&self) -> usize {
        match self {
            CustomerIds::Int(v) => v.len(),
            CustomerIds::Text(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The id at `index`, as text.
    pub fn label(&self, index: usize) -> String {
        match self {
            CustomerIds::Int(v) => v[index].to_string(),
            CustomerIds::Text(v) => v[index].clone(),
        }
    }

    /// The position of a customer id given as text.
    pub fn find(&self, id: &str) -> Option<usize> {
        match self {
            CustomerIds::Int(v) => id.trim().parse::<i64>().ok().and_then(|x| v.binary_search(&x).ok()),
            CustomerIds::Text(v) => v.iter().position(|s| s == id),
        }
    }

    /// A polars column of the ids at `indices` (Int64 or String).
    pub fn column(&self, name: &str, indices: impl Iterator<Item = u32>) -> Column {
        match self {
            CustomerIds::Int(v) => Column::new(name.into(), indices.map(|i| v[i as usize]).collect::<Vec<i64>>()),
            CustomerIds::Text(v) => {
                let ca: StringChunked = indices.map(|i| Some(v[i as usize].as_str())).collect();
                ca.with_name(name.into()).into_column()
            }
        }
    }

    /// "Int64" or "String": the output type of customer_id and neighbour_id.
    pub fn dtype_name(&self) -> &'static str {
        match self {
            CustomerIds::Int(_) => "Int64",
            CustomerIds::Text(_) => "String",
        }
    }
}

/// The binary purchase matrix in CSR form, with its id tables.
#[derive(Debug, Clone)]
pub struct Interactions {
    pub customers: CustomerIds,
    /// Item ids in byte order.
    pub items: Vec<String>,
    /// Each item's most frequent non-null description (ties: byte order).
    pub descriptions: Vec<Option<String>>,
    /// Row offsets: customer `c`'s items are `indices[indptr[c]..indptr[c + 1]]`.
    pub indptr: Vec<usize>,
    /// Item positions, ascending within a row.
    pub indices: Vec<u32>,
    /// Summed quantity of each pair (> 0).
    pub quantity: Vec<f64>,
    /// Date of each pair's last purchase (epoch seconds); `i64::MIN` where unknown.
    pub last: Vec<i64>,
    /// When items sold and customers bought (for the exposure prior); empty without dates.
    pub dates: Dates,
    /// Each customer's segment (`[recommend] fallback = "popular_by:…"`); empty without one.
    pub segments: Segments,
}

/// Each customer's segment: the value of the segment column they bought under most often
/// (ties: the smallest value in byte order), as an index into `names`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Segments {
    /// Per customer, the index of their segment in `names`; [`Segments::NONE`] when none of
    /// their purchases has a value. Empty when no segment column is read.
    pub of: Vec<u32>,
    /// The segments' values, in byte order.
    pub names: Vec<String>,
}

impl Segments {
    /// A customer without a segment.
    pub const NONE: u32 = u32::MAX;

    /// Customer `c`'s segment, if they have one.
    pub fn of(&self, c: usize) -> Option<u32> {
        self.of.get(c).copied().filter(|&s| s != Segments::NONE)
    }

    /// From the (customer rank, segment value) of every row with a value: each customer's most
    /// frequent value (ties: byte order), over `customers` customers.
    fn vote<'a>(rows: impl Iterator<Item = (u32, &'a str)>, customers: usize) -> Segments {
        // (customer << 32 | first-seen code) per row, one pass; codes become ranks below
        let mut seen: PlHashMap<&str, u32> = PlHashMap::new();
        let mut keys: Vec<u64> = rows
            .map(|(c, v)| {
                let next = seen.len() as u32;
                (c as u64) << 32 | *seen.entry(v).or_insert(next) as u64
            })
            .collect();
        let mut by_code: Vec<&str> = vec![""; seen.len()];
        for (&name, &k) in &seen {
            by_code[k as usize] = name;
        }
        let mut order: Vec<u32> = (0..by_code.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| by_code[a as usize].as_bytes().cmp(by_code[b as usize].as_bytes()));
        let rank = ranks(&order);
        for key in keys.iter_mut() {
            *key = *key & !0xFFFF_FFFF | rank[(*key & 0xFFFF_FFFF) as usize] as u64;
        }
        // sorted: a run per (customer, segment), its length the customer's votes for it
        keys.sort_unstable();
        let mut of = vec![Segments::NONE; customers];
        let mut best = vec![0usize; customers];
        for run in keys.chunk_by(|a, b| a == b) {
            let (c, s) = ((run[0] >> 32) as usize, (run[0] & 0xFFFF_FFFF) as u32);
            // runs come by segment ascending: only more votes replace (ties keep the smaller)
            if run.len() > best[c] {
                (best[c], of[c]) = (run.len(), s);
            }
        }
        let names = order.iter().map(|&k| by_code[k as usize].to_string()).collect();
        Segments { of, names }
    }
}

/// `times` with each unknown one (`i64::MIN`) as the median known one (the lower of the middle
/// two): what an undated purchase's age is taken to be where ages weigh (the recency weights,
/// the exposure prior), the typical one rather than the newest or the oldest. Unchanged when
/// none is unknown, or none known.
pub fn dated(times: &[i64]) -> std::borrow::Cow<'_, [i64]> {
    if !times.contains(&i64::MIN) {
        return std::borrow::Cow::Borrowed(times);
    }
    let mut known: Vec<i64> = times.iter().copied().filter(|&t| t != i64::MIN).collect();
    if known.is_empty() {
        return std::borrow::Cow::Borrowed(times);
    }
    let middle = (known.len() - 1) / 2;
    let median = *known.select_nth_unstable(middle).1;
    std::borrow::Cow::Owned(times.iter().map(|&t| if t == i64::MIN { median } else { t }).collect())
}

/// Purchase dates beyond the pairs' last ones (epoch seconds; `i64::MIN` where unknown).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dates {
    /// Each item's first and last sale.
    pub item_first: Vec<i64>,
    pub item_last: Vec<i64>,
    /// Each customer's distinct purchase dates, ascending:
    /// `times[offsets[c]..offsets[c + 1]]` (offsets empty when no row is dated).
    pub offsets: Vec<usize>,
    pub times: Vec<i64>,
}

impl Dates {
    /// From (customer, item, _, date) rows sorted by customer, over `customers` × `items`.
    fn from_sorted(rows: impl Iterator<Item = Row>, customers: usize, items: usize) -> Dates {
        let (mut item_first, mut item_last) = (vec![i64::MAX; items], vec![i64::MIN; items]);
        let mut offsets = vec![0usize; customers + 1];
        let mut times: Vec<i64> = Vec::new();
        let mut start = 0;
        let mut rows = rows.peekable();
        while let Some((c, i, _, t)) = rows.next() {
            if t != i64::MIN {
                item_first[i as usize] = item_first[i as usize].min(t);
                item_last[i as usize] = item_last[i as usize].max(t);
                times.push(t);
            }
            if rows.peek().is_none_or(|next| next.0 != c) {
                let own = &mut times[start..];
                own.sort_unstable();
                let distinct = dedup_sorted(own);
                times.truncate(start + distinct);
                start = times.len();
                offsets[c as usize + 1] = start;
            }
        }
        if times.is_empty() {
            return Dates::default();
        }
        for c in 0..customers {
            offsets[c + 1] = offsets[c + 1].max(offsets[c]);
        }
        item_first.iter_mut().filter(|t| **t == i64::MAX).for_each(|t| *t = i64::MIN);
        Dates { item_first, item_last, offsets, times }
    }

    /// Customer `c`'s distinct purchase dates, ascending.
    pub fn of(&self, c: usize) -> &[i64] {
        if self.offsets.is_empty() {
            return &[];
        }
        &self.times[self.offsets[c]..self.offsets[c + 1]]
    }

    /// The dates of the kept customers and items only.
    fn keep(self, used_c: &[bool], used_i: &[bool]) -> Dates {
        if self.offsets.is_empty() {
            return self;
        }
        let mut offsets = vec![0];
        let mut times = Vec::new();
        for (c, _) in used_c.iter().enumerate().filter(|(_, &u)| u) {
            times.extend_from_slice(&self.times[self.offsets[c]..self.offsets[c + 1]]);
            offsets.push(times.len());
        }
        Dates { item_first: keep(self.item_first, used_i), item_last: keep(self.item_last, used_i), offsets, times }
    }
}

/// Moves the distinct values of a sorted slice to its front; returns how many there are.
fn dedup_sorted(v: &mut [i64]) -> usize {
    let mut n = 0;
    for k in 0..v.len() {
        if n == 0 || v[k] != v[n - 1] {
            v[n] = v[k];
            n += 1;
        }
    }
    n
}

impl Interactions {
    pub fn n_customers(&self) -> usize {
        self.indptr.len() - 1
    }

    pub fn n_items(&self) -> usize {
        self.items.len()
    }

    pub fn n_pairs(&self) -> usize {
        self.indices.len()
    }

    /// Per-pair weights 0.5^(age / half-life), age back from the newest dated purchase;
    /// `None` without a half-life (every purchase weighs exactly 1). An undated pair (a date
    /// the export wrote in another format) weighs as the median dated pair ([`dated`]): its
    /// age is unknown, not the newest — weighed 1, an item sold on undated lines outweighed
    /// every other in every customer's list (one item's 266 lines of 541,909 put it first for
    /// 2,898 of 4,067 customers).
    pub fn recency(&self, half_life_days: Option<f64>) -> Option<Vec<f64>> {
        let half_life = half_life_days? * 86_400.0;
        let newest = self.last.iter().copied().filter(|&t| t != i64::MIN).max()?;
        let last = dated(&self.last);
        Some(last.iter().map(|&t| (-((newest - t) as f64) / half_life).exp2()).collect())
    }

    /// The items customer `c` bought, ascending.
    pub fn row(&self, c: usize) -> &[u32] {
        &self.indices[self.indptr[c]..self.indptr[c + 1]]
    }

    /// The transpose (CSC): for each item, its buyers ascending. Returns (offsets, customers).
    pub fn transpose(&self) -> (Vec<usize>, Vec<u32>) {
        let (offsets, buyers, _) = transpose_csr(&self.indptr, &self.indices, self.n_items(), None);
        (offsets, buyers)
    }

    /// Number of buyers of each item.
    pub fn buyers(&self) -> Vec<u32> {
        let mut counts = vec![0u32; self.n_items()];
        for &i in &self.indices {
            counts[i as usize] += 1;
        }
        counts
    }

    /// Items by popularity: most buyers first, ties by item id (index) ascending.
    pub fn popularity_order(&self) -> Vec<u32> {
        self.recent_popularity_order(None)
    }

    /// [`Interactions::popularity_order`] with each buyer counting the [`Interactions::recency`]
    /// weight of their last purchase of the item (summed in pair order): the items bought most
    /// lately first, ties by buyers, then id. Without a half-life, or without any date, the
    /// plain order.
    pub fn recent_popularity_order(&self, half_life_days: Option<f64>) -> Vec<u32> {
        self.order_by(&self.recent_buyers(half_life_days))
    }

    /// Each item's buyers, each weighed by the [`Interactions::recency`] of their last purchase
    /// of it (summed in pair order); all 0 without a half-life or a date.
    fn recent_buyers(&self, half_life_days: Option<f64>) -> Vec<f64> {
        let mut weight = vec![0.0f64; self.n_items()];
        if let Some(w) = self.recency(half_life_days) {
            for (&i, w) in self.indices.iter().zip(w) {
                weight[i as usize] += w;
            }
        }
        weight
    }

    /// The items of the season ahead: by the buyers whose last purchase of the item lies in the
    /// `days` from [`YEAR_DAYS`] before the newest dated purchase on (what they bought for these
    /// weeks a year before and not since: an item bought all year was mostly bought again
    /// since, a seasonal one was not), plus the item's recent buyers as
    /// [`Interactions::recent_popularity_order`] weighs them at a half-life of `days` — what
    /// sells now, so that a season that does not come again, or a range replaced since, leaves
    /// the shop's current best sellers in the list; ties by buyers, then id.
    pub fn season_popularity_order(&self, days: f64) -> Vec<u32> {
        self.order_by(&self.season_weights(days))
    }

    /// [`Interactions::season_popularity_order`]'s weight of each item.
    fn season_weights(&self, days: f64) -> Vec<f64> {
        let mut weight = self.recent_buyers(Some(days));
        if let Some(newest) = self.last.iter().copied().filter(|&t| t != i64::MIN).max() {
            let from = newest - (YEAR_DAYS * 86_400.0) as i64;
            let until = from + (days * 86_400.0) as i64;
            for (&i, &t) in self.indices.iter().zip(&self.last) {
                if (from..until).contains(&t) {
                    weight[i as usize] += 1.0;
                }
            }
        }
        weight
    }

    /// Items by `weight` descending, ties by buyers, then id.
    fn order_by(&self, weight: &[f64]) -> Vec<u32> {
        let buyers = self.buyers();
        let key = |i: u32| (weight[i as usize], buyers[i as usize]);
        let mut order: Vec<u32> = (0..self.n_items() as u32).collect();
        order.sort_by(|&a, &b| {
            let ((wa, ba), (wb, bb)) = (key(a), key(b));
            wb.total_cmp(&wa).then(bb.cmp(&ba)).then(a.cmp(&b))
        });
        order
    }

    /// Σ over items of buyers²: the work of an all-pairs co-purchase count.
    pub fn pair_work(&self) -> f64 {
        self.buyers().iter().map(|&b| (b as f64) * (b as f64)).sum()
    }

    /// A customer's share of the item-side count: items² (its row visits every pair of its
    /// items).
    pub fn basket_work(&self, c: usize) -> f64 {
        (self.row(c).len() as f64).powi(2)
    }

    /// Σ over customers of items² ([`Interactions::basket_work`]): the work of an all-pairs
    /// item co-purchase count (item-kNN, EASE's Gram).
    pub fn item_pair_work(&self) -> f64 {
        (0..self.n_customers()).map(|c| self.basket_work(c)).sum()
    }

    /// Each customer's share of that work: Σ over its items of their buyers (a customer's
    /// row of the count visits every buyer of each of its items).
    pub fn customer_work(&self) -> Vec<f64> {
        let buyers = self.buyers();
        (0..self.n_customers()).map(|c| self.row(c).iter().map(|&i| buyers[i as usize] as f64).sum()).collect()
    }

    /// The work of the customers `rows` (Σ of [`Interactions::customer_work`] over them).
    pub fn pair_work_of(&self, rows: std::ops::Range<usize>) -> f64 {
        let buyers = self.buyers();
        rows.map(|c| self.row(c).iter().map(|&i| buyers[i as usize] as f64).sum::<f64>()).sum()
    }

    /// Builds the matrix from (customer id, item id, quantity, description) rows without dates
    /// (tests: the quantities must sum to finite numbers).
    #[cfg(test)]
    pub fn from_triples<'a>(rows: impl Iterator<Item = (&'a str, &'a str, f64, Option<&'a str>)>) -> Interactions {
        Self::from_rows(rows.map(|(c, i, q, d)| (c, i, q, d, None)))
    }

    /// Builds the matrix from (customer id, item id, quantity, description, date) rows (tests:
    /// the quantities must sum to finite numbers).
    #[cfg(test)]
    pub fn from_rows<'a>(
        rows: impl Iterator<Item = (&'a str, &'a str, f64, Option<&'a str>, Option<i64>)>,
    ) -> Interactions {
        let (mut customer, mut item, mut quantity, mut description, mut date) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (c, i, q, d, t) in rows {
            customer.push(Some(c));
            item.push(Some(i));
            quantity.push(Some(q));
            description.push(d);
            date.push(t);
        }
        Self::from_columns(
            customer.into_iter(),
            item.into_iter(),
            quantity.into_iter(),
            description.into_iter(),
            date.into_iter(),
        )
        .expect("test quantities sum to finite numbers")
    }

    /// Builds the matrix from the columns of the rows (a row missing its customer, item or
    /// quantity is skipped); a pair whose quantities do not sum to a finite number is refused.
    pub fn from_columns<'a>(
        customer: impl Iterator<Item = Option<&'a str>> + Send,
        item: impl Iterator<Item = Option<&'a str>> + Send,
        quantity: impl Iterator<Item = Option<f64>> + Send,
        description: impl Iterator<Item = Option<&'a str>> + Send,
        date: impl Iterator<Item = Option<i64>> + Send,
    ) -> Result<Interactions, Overflow> {
        number(customer, item, false).sort(quantity, description, date).finish()
    }
}

/// Customers and items numbered, their text no longer borrowed: the first step of building
/// the matrix (the id columns can go).
struct Numbered {
    customer_codes: Vec<u32>,
    item_codes: Vec<u32>,
    customer_ids: CustomerIds,
    item_ids: Vec<String>,
    customer_rank: Vec<u32>,
    item_rank: Vec<u32>,
}

/// The rows in (customer, item) order and the items' descriptions: the second step (the
/// input can go).
struct Sorted {
    customer_ids: CustomerIds,
    item_ids: Vec<String>,
    descriptions: Vec<Option<String>>,
    /// Rows without a quantity are kept in place with the item [`MISSING`].
    rows: Vec<Row>,
    /// Each customer's segment, by customer rank (before customers without a pair are dropped).
    segments: Segments,
}

/// Numbers customers on one core while items are numbered on the other; customer ids are text
/// when `text` is set, else integers when every one is.
fn number<'a>(
    customer: impl Iterator<Item = Option<&'a str>> + Send,
    item: impl Iterator<Item = Option<&'a str>> + Send,
    text: bool,
) -> Numbered {
    let ((customer_codes, customers), (item_codes, items)) = rayon::join(|| encode(customer), || encode(item));
    let (customer_ids, customer_rank) = order_customers(&customers, text);
    let (item_ids, item_rank) = order_items(&items);
    Numbered { customer_codes, item_codes, customer_ids, item_ids, customer_rank, item_rank }
}

impl Numbered {
    /// Counts descriptions on one core while the rows are sorted on the other.
    fn sort<'a>(
        self,
        quantity: impl Iterator<Item = Option<f64>> + Send,
        description: impl Iterator<Item = Option<&'a str>> + Send,
        date: impl Iterator<Item = Option<i64>> + Send,
    ) -> Sorted {
        let Numbered { customer_codes, item_codes, customer_ids, item_ids, customer_rank, item_rank } = self;
        let (described, rows) = rayon::join(
            || count_descriptions(&item_codes, description, item_ids.len()),
            || {
                let ranked = |(&c, &i): (&u32, &u32)| {
                    (c != NONE && i != NONE).then(|| (customer_rank[c as usize], item_rank[i as usize]))
                };
                let codes = || customer_codes.iter().zip(&item_codes).map(ranked);
                // A counting sort by customer (a customer's rows in input order), written
                // straight into place, then each customer's rows by item, stably.
                let mut start = vec![0usize; customer_ids.len() + 1];
                for (c, _) in codes().flatten() {
                    start[c as usize + 1] += 1;
                }
                for c in 0..customer_ids.len() {
                    start[c + 1] += start[c];
                }
                let mut next = start.clone();
                let mut rows: Vec<Row> = vec![(0, 0, 0.0, 0); start[customer_ids.len()]];
                for (ranks, (q, t)) in codes().zip(quantity.zip(date)) {
                    let Some((c, i)) = ranks else { continue };
                    rows[next[c as usize]] = match q {
                        Some(q) => (c, i, q, t.unwrap_or(i64::MIN)),
                        None => (c, MISSING, 0.0, i64::MIN),
                    };
                    next[c as usize] += 1;
                }
                sort_segments(&mut rows, &start);
                rows
            },
        );
        let descriptions = most_frequent(described, &item_rank);
        Sorted { customer_ids, item_ids, descriptions, rows, segments: Segments::default() }
    }
}

/// A (customer, item) pair whose quantities sum beyond the largest f64 (each is finite, their
/// sum is not): the matrix, the weights and every score after it would be infinite or NaN.
#[derive(Debug, Clone, PartialEq)]
pub struct Overflow {
    pub customer: String,
    pub item: String,
    /// The pair's rows, the largest quantity among them, and their sum (±∞).
    pub rows: usize,
    pub largest: f64,
    pub sum: f64,
}

impl Overflow {
    /// The error naming the export, the pair and what to fix.
    pub fn error(self, path: &std::path::Path) -> Error {
        let Overflow { customer, item, rows, largest, sum } = self;
        Error::Input(crate::error::InputError::QuantitySum {
            path: path.to_path_buf(),
            customer,
            item,
            rows,
            largest,
            sum,
        })
    }
}

impl Sorted {
    /// Merges each pair's rows (the dates on the other core) and packs the matrix.
    fn finish(self) -> Result<Interactions, Overflow> {
        let Sorted { customer_ids, item_ids, descriptions, rows, segments } = self;
        let present = || rows.iter().copied().filter(|r| r.1 != MISSING);
        let (dates, merged) = rayon::join(
            || Dates::from_sorted(present(), customer_ids.len(), item_ids.len()),
            || merge(present(), rows.len()),
        );
        let merged = match merged {
            Ok(merged) => merged,
            Err((key, sum)) => {
                let (c, i) = ((key >> 32) as u32, (key & 0xFFFF_FFFF) as u32);
                let quantities = || present().filter(|r| r.0 == c && r.1 == i).map(|r| r.2);
                return Err(Overflow {
                    customer: customer_ids.label(c as usize),
                    item: item_ids[i as usize].clone(),
                    rows: quantities().count(),
                    largest: quantities().fold(0.0, |m, q| if q.abs() > m { q.abs() } else { m }),
                    sum,
                });
            }
        };
        drop(rows);
        let mut m = compact(customer_ids, item_ids, descriptions, dates, merged, segments);
        if m.segments.of.is_empty() {
            m.segments.names.clear();
        }
        Ok(m)
    }
}

/// Whether `lines` quantities which sum to `sum` net to nothing: within what reading decimal
/// text and adding in binary can miss, `lines` × `slack`, the sum of each quantity's size × ε
/// (summed so, the largest quantities do not overflow it). Bought 0.1 and 0.2 kg, returned
/// 0.3: the doubles sum to 5.55e-17, not 0, and the pair was a purchase — 100 such customers
/// made a fully returned item the shop's most bought (helper-135).
pub(crate) fn nets_to_nothing(sum: f64, slack: f64, lines: usize) -> bool {
    sum.abs() <= slack * lines as f64
}

/// A quantity's share of [`nets_to_nothing`]'s slack.
pub(crate) fn slack(quantity: f64) -> f64 {
    quantity.abs() * f64::EPSILON
}

/// A merged pair: (customer << 32 | item, summed quantity, last date).
type Pair = (u64, f64, i64);

/// Sorted rows → one (customer << 32 | item, summed quantity, last date) per pair, the pairs
/// whose quantities sum to ≤ 0 dropped; the first pair whose sum is not finite (its key and
/// sum) is an error.
fn merge(sorted: impl Iterator<Item = Row>, rows: usize) -> Result<Vec<Pair>, (u64, f64)> {
    let mut merged: Vec<Pair> = Vec::with_capacity(rows);
    // the last pair's lines: their count and their slack, for [`nets_to_nothing`]
    let (mut lines, mut slack_sum) = (0usize, 0.0);
    let settle = |last: Option<&mut Pair>, lines, slack_sum| {
        if let Some(last) = last.filter(|last| nets_to_nothing(last.1, slack_sum, lines)) {
            last.1 = 0.0;
        }
    };
    for (c, i, q, t) in sorted {
        let key = (c as u64) << 32 | i as u64;
        match merged.last_mut() {
            Some(last) if last.0 == key => {
                last.1 += q;
                last.2 = last.2.max(t);
            }
            last => {
                settle(last, lines, slack_sum);
                (lines, slack_sum) = (0, 0.0);
                merged.push((key, q, t));
            }
        }
        (lines, slack_sum) = (lines + 1, slack_sum + slack(q));
    }
    settle(merged.last_mut(), lines, slack_sum);
    // One pass: the first sum past f64 is kept for the error while the non-positive go.
    let mut overflow = None;
    merged.retain(|p| {
        if !p.1.is_finite() && overflow.is_none() {
            overflow = Some((p.0, p.1));
        }
        p.1 > 0.0
    });
    overflow.map_or(Ok(merged), Err)
}

/// Counts each (item code, description) pair, blank descriptions and rows without an item
/// left out. An item's rows mostly repeat its last description, so that is compared first and
/// only a change is hashed.
fn count_descriptions<'a>(
    item_codes: &[u32],
    description: impl Iterator<Item = Option<&'a str>>,
    items: usize,
) -> Vec<((u32, &'a str), u32)> {
    let mut counts: Vec<((u32, &str), u32)> = Vec::new();
    let mut index: PlHashMap<(u32, &str), usize> = PlHashMap::new();
    let mut last: Vec<Option<(&str, usize)>> = vec![None; items];
    for (&i, d) in item_codes.iter().zip(description) {
        let Some(d) = d.filter(|_| i != NONE) else { continue };
        let slot = match last[i as usize] {
            Some((prev, k)) if prev == d => k,
            _ if d.trim().is_empty() => continue,
            _ => {
                let next = counts.len();
                let k = *index.entry((i, d)).or_insert(next);
                if k == next {
                    counts.push(((i, d), 0));
                }
                last[i as usize] = Some((d, k));
                k
            }
        };
        counts[slot].1 += 1;
    }
    counts
}

/// Each item's most frequent description (ties: byte order), by item rank, from the counts
/// per (first-seen item code, description).
fn most_frequent(described: Vec<((u32, &str), u32)>, item_rank: &[u32]) -> Vec<Option<String>> {
    let mut best = vec![None::<(u32, &str)>; item_rank.len()];
    for ((i, d), n) in described {
        let slot = &mut best[item_rank[i as usize] as usize];
        let better = match slot {
            None => true,
            Some((m, b)) => n > *m || (n == *m && d.as_bytes() < b.as_bytes()),
        };
        if better {
            *slot = Some((n, d));
        }
    }
    best.into_iter().map(|d| d.map(|(_, s)| s.to_string())).collect()
}

/// The code of a missing value in [`encode`].
const NONE: u32 = u32::MAX;

/// Numbers a column's distinct values in first-seen order: (code of each row, the numbering).
fn encode<'a>(values: impl Iterator<Item = Option<&'a str>>) -> (Vec<u32>, PlHashMap<&'a str, u32>) {
    let mut seen: PlHashMap<&str, u32> = PlHashMap::new();
    // An invoice's lines are rows in a row with one customer: the last id is compared first.
    let mut last: Option<(&str, u32)> = None;
    let codes = values
        .map(|v| match (v, last) {
            (None, _) => NONE,
            (Some(v), Some((prev, code))) if prev == v => code,
            (Some(v), _) => {
                let next = seen.len() as u32;
                let code = *seen.entry(v).or_insert(next);
                last = Some((v, code));
                code
            }
        })
        .collect();
    (codes, seen)
}

/// A row as pivoted: (customer, item, quantity, date).
type Row = (u32, u32, f64, i64);

/// The item a row without a quantity is given: it sorts last and is skipped.
const MISSING: u32 = u32::MAX;

/// Sorts each customer's segment of `rows` (`start`: the segments' offsets, from the slice's
/// first) by item, stably, halves of the customers on parallel tasks.
fn sort_segments(rows: &mut [Row], start: &[usize]) {
    let customers = start.len() - 1;
    if customers <= 1024 {
        for c in 0..customers {
            rows[start[c] - start[0]..start[c + 1] - start[0]].sort_by_key(|r| r.1);
        }
        return;
    }
    let mid = customers / 2;
    let (a, b) = rows.split_at_mut(start[mid] - start[0]);
    rayon::join(|| sort_segments(a, &start[..=mid]), || sort_segments(b, &start[mid..]));
}

/// The transpose of a CSR matrix with `n_cols` columns: (offsets, row of each entry, payload
/// carried along; empty without one). Entries stay in ascending row order within a column.
pub fn transpose_csr(
    indptr: &[usize],
    indices: &[u32],
    n_cols: usize,
    payload: Option<&[f64]>,
) -> (Vec<usize>, Vec<u32>, Vec<f64>) {
    let mut ptr = vec![0usize; n_cols + 1];
    for &j in indices {
        ptr[j as usize + 1] += 1;
    }
    for j in 0..n_cols {
        ptr[j + 1] += ptr[j];
    }
    let mut next = ptr.clone();
    let mut rows = vec![0u32; indices.len()];
    let mut values = vec![0.0; payload.map_or(0, |_| indices.len())];
    for r in 0..indptr.len() - 1 {
        for p in indptr[r]..indptr[r + 1] {
            let j = indices[p] as usize;
            rows[next[j]] = r as u32;
            if let Some(v) = payload {
                values[next[j]] = v[p];
            }
            next[j] += 1;
        }
    }
    (ptr, rows, values)
}

/// Sorts customer ids (numerically when all are canonical integers and `text` is not set, else
/// by bytes) and returns the ids in order plus, for each first-seen position, its rank.
fn order_customers(seen: &PlHashMap<&str, u32>, text: bool) -> (CustomerIds, Vec<u32>) {
    let mut by_seen: Vec<&str> = vec![""; seen.len()];
    for (&id, &k) in seen {
        by_seen[k as usize] = id;
    }
    let ints: Option<Vec<i64>> = match text {
        true => None,
        false => by_seen.iter().map(|s| integer_id(s)).collect(),
    };
    let mut order: Vec<u32> = (0..by_seen.len() as u32).collect();
    let ids = match ints {
        Some(v) => {
            order.sort_unstable_by_key(|&k| v[k as usize]);
            CustomerIds::Int(order.iter().map(|&k| v[k as usize]).collect())
        }
        None => {
            order.sort_unstable_by(|&a, &b| by_seen[a as usize].as_bytes().cmp(by_seen[b as usize].as_bytes()));
            CustomerIds::Text(order.iter().map(|&k| by_seen[k as usize].to_string()).collect())
        }
    };
    (ids, ranks(&order))
}

fn order_items(seen: &PlHashMap<&str, u32>) -> (Vec<String>, Vec<u32>) {
    let mut by_seen: Vec<&str> = vec![""; seen.len()];
    for (&id, &k) in seen {
        by_seen[k as usize] = id;
    }
    let mut order: Vec<u32> = (0..by_seen.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| by_seen[a as usize].as_bytes().cmp(by_seen[b as usize].as_bytes()));
    (order.iter().map(|&k| by_seen[k as usize].to_string()).collect(), ranks(&order))
}

/// Inverse permutation: `ranks(order)[order[r]] == r`.
fn ranks(order: &[u32]) -> Vec<u32> {
    let mut rank = vec![0u32; order.len()];
    for (r, &k) in order.iter().enumerate() {
        rank[k as usize] = r as u32;
    }
    rank
}

/// Builds the CSR from sorted (customer << 32 | item, quantity) pairs, dropping customers and
/// items left without any positive pair (their positions are renumbered, order kept).
fn compact(
    customers: CustomerIds,
    items: Vec<String>,
    descriptions: Vec<Option<String>>,
    dates: Dates,
    pairs: Vec<(u64, f64, i64)>,
    segments: Segments,
) -> Interactions {
    let mut used_c = vec![false; customers.len()];
    let mut used_i = vec![false; items.len()];
    for &(key, _, _) in &pairs {
        used_c[(key >> 32) as usize] = true;
        used_i[(key & 0xFFFF_FFFF) as usize] = true;
    }
    let renumber = |used: &[bool]| -> Vec<u32> {
        let mut next = 0u32;
        used.iter()
            .map(|&u| {
                let k = next;
                next += u as u32;
                k
            })
            .collect()
    };
    let (new_c, new_i) = (renumber(&used_c), renumber(&used_i));
    let customers = match customers {
        CustomerIds::Int(v) => CustomerIds::Int(keep(v, &used_c)),
        CustomerIds::Text(v) => CustomerIds::Text(keep(v, &used_c)),
    };
    let items = keep(items, &used_i);
    let descriptions = keep(descriptions, &used_i);
    let dates = dates.keep(&used_c, &used_i);
    let segments = Segments { of: keep_some(segments.of, &used_c), names: segments.names };
    let mut indptr = vec![0usize; customers.len() + 1];
    let mut indices = Vec::with_capacity(pairs.len());
    let mut quantity = Vec::with_capacity(pairs.len());
    let mut last = Vec::with_capacity(pairs.len());
    for (key, q, t) in pairs {
        indptr[new_c[(key >> 32) as usize] as usize + 1] += 1;
        indices.push(new_i[(key & 0xFFFF_FFFF) as usize]);
        quantity.push(q);
        last.push(t);
    }
    for c in 0..customers.len() {
        indptr[c + 1] += indptr[c];
    }
    Interactions { customers, items, descriptions, indptr, indices, quantity, last, dates, segments }
}

fn keep<T>(values: Vec<T>, used: &[bool]) -> Vec<T> {
    values.into_iter().zip(used).filter(|(_, &u)| u).map(|(v, _)| v).collect()
}

/// [`keep`] of a per-customer vector that may be empty (nothing read): stays empty.
fn keep_some<T>(values: Vec<T>, used: &[bool]) -> Vec<T> {
    match values.is_empty() {
        true => values,
        false => keep(values, used),
    }
}

/// What pivoting did.
#[derive(Debug, Clone, Serialize)]
pub struct PivotReport {
    pub rows_in: usize,
    /// Distinct (customer, item) pairs kept.
    pub rows_out: usize,
    pub customers: usize,
    pub items: usize,
    pub customer_id_type: String,
    /// Why `customer_id_type` is String though every id kept is an integer: a purchase cleaning
    /// dropped has a text id (its row and id); null otherwise.
    pub customer_id_note: Option<String>,
    /// Text customer ids equal to another but for case (`Alice@Example.com`, `alice@example.com`):
    /// ids match exactly, so they are different customers; null when none is.
    pub customers_in_another_case: Option<CaseTwins>,
    /// Item ids equal to another but for case whose description is the same (`84406B` and
    /// `84406b`, both "RED RETROSPOT BAG"): one product under two ids; null when none is.
    pub items_in_another_case: Option<CaseTwins>,
    /// Customer ids that are another's number written otherwise — leading zeros, digit
    /// grouping, full-width digits (`0012347`, `12,347`, `１２３４７` beside `12347`): a
    /// till writing zero-padded ids merged with a web shop's, a sheet's `#,##0` format on some
    /// rows; null when none is.
    pub customers_as_another_number: Option<CaseTwins>,
    /// Item ids that are another's number written otherwise and whose description is the
    /// same (`00123` and `123`, both "WHITE MUG"): one product under two ids; null when none is.
    pub items_as_another_number: Option<CaseTwins>,
    /// Item ids that are lists of items joined in one field (an order's items: `85123A;71053`,
    /// `6× WHITE MUG, 2× RED BAG`): each read as one product ([`lists::ItemLists`]; the gate
    /// `[gates] refuse_item_lists`); null when none is.
    pub item_lists: Option<lists::ItemLists>,
    pub seconds: f64,
}

/// Customer ids that another id equals but for case: how many, and the first pair.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CaseTwins {
    pub ids: usize,
    pub example: [String; 2],
}

impl CaseTwins {
    /// The text customer ids of the matrix `m` that equal another but for case.
    pub fn of_matrix(m: &Interactions) -> Option<CaseTwins> {
        match &m.customers {
            CustomerIds::Text(ids) => CaseTwins::of(ids),
            CustomerIds::Int(_) => None,
        }
    }

    /// The ids of `ids` (distinct) that equal another but for case (Unicode's lower case), or
    /// `None`. E-mail addresses are the usual customer id of a web shop's export, and the same
    /// customer written `Alice@…` on one order and `alice@…` on another was two customers,
    /// each with half the history, without a word. Only addresses and names (an id holding
    /// `@` or a space) are compared: a code's case may be its own (Salesforce's 15-character
    /// ids `…C9A` and `…C9a` are two records; 2,725 of a helper's 4,372 were warned of).
    ///
    /// Every id is compared in its Unicode form ([`composed`]): `josé@…` typed with a composed
    /// `é` on one order and an `e` and a combining accent on another (macOS file names, some
    /// web forms), or `ｂｏｂ@…` in full width beside `bob@…`, look alike everywhere and were
    /// two customers without a word (helper-109).
    pub fn of(ids: &[String]) -> Option<CaseTwins> {
        let caseless = |id: &String| id.contains('@') || id.contains(char::is_whitespace);
        // an ASCII id can only be another's in form when some id is not ASCII
        let forms = ids.iter().any(|id| !id.is_ascii());
        let keyed = ids.iter().filter(|id| forms || caseless(id)).map(|id| match caseless(id) {
            true => (alike(id), id),
            false => (composed(id), id),
        });
        CaseTwins::counted(keyed)
    }

    /// The text customer ids of `m` that are another's whole number written otherwise
    /// ([`number_key`]), or `None`. Each such id was a customer of its own, exit 0 and no word
    /// (helper-102: 30% of invoices writing `0012347`, `12,347` or `１２３４７` for `12347`
    /// published 1,324 customers for 1,100, each half recommended what the other bought). Ids
    /// with letters are not compared: a code's form may be its own.
    pub fn of_numbers(m: &Interactions) -> Option<CaseTwins> {
        let CustomerIds::Text(ids) = &m.customers else { return None };
        CaseTwins::counted(ids.iter().filter_map(|id| Some((number_key(id)?, id))))
    }

    /// The items of `m` whose id is another's number written otherwise ([`number_key`]) and
    /// whose description is the same, or `None`: one product, part of its buyers under each id,
    /// and a customer who bought one recommended the other — as [`CaseTwins::of_items`] for case.
    pub fn of_item_numbers(m: &Interactions) -> Option<CaseTwins> {
        let named = m.items.iter().zip(&m.descriptions);
        CaseTwins::counted(named.filter_map(|(id, name)| Some(((number_key(id)?, name.as_deref()?), id))))
    }

    /// The items of `m` whose id equals another's but for case and whose description is the
    /// same, or `None`: one product written `84406B` on some lines and `84406b` on others was
    /// two items, each with part of its buyers, and a customer who bought one was recommended
    /// the other (19 of a helper's 80 customers). A code's case alone may be its own (two
    /// products): the same name is what says they are one. Items without a description are
    /// not compared.
    /// So are ids alike in their Unicode form ([`alike`]: `CRÈME-1` composed and decomposed,
    /// `ＡＢ１` and `AB1`), their descriptions compared in theirs.
    pub fn of_items(m: &Interactions) -> Option<CaseTwins> {
        let named = m.items.iter().zip(&m.descriptions);
        CaseTwins::counted(named.filter_map(|(id, name)| Some(((alike(id), composed(name.as_deref()?)), id))))
    }

    /// The ids that share their key with an earlier id, and the first such pair.
    fn counted<'a, K: Eq + std::hash::Hash>(keyed: impl Iterator<Item = (K, &'a String)>) -> Option<CaseTwins> {
        let mut first: std::collections::HashMap<K, &str> = std::collections::HashMap::new();
        let (mut twins, mut example) = (0usize, None);
        for (key, id) in keyed {
            match first.entry(key) {
                std::collections::hash_map::Entry::Vacant(slot) => _ = slot.insert(id),
                std::collections::hash_map::Entry::Occupied(seen) => {
                    twins += 1;
                    example.get_or_insert_with(|| [seen.get().to_string(), id.clone()]);
                }
            }
        }
        example.map(|example| CaseTwins { ids: twins, example })
    }

    /// How the example pair is alike: in case, or in Unicode form (and maybe case too).
    fn alike_how(&self) -> &'static str {
        let [a, b] = &self.example;
        match crate::config::case_folded(a) == crate::config::case_folded(b) {
            true => CASE,
            false => FORM,
        }
    }

    /// The run's warning on items ([`CaseTwins::of_items`]).
    pub fn item_warning(&self) -> String {
        self.said("item", self.alike_how(), ", with the same description", ITEM_EACH)
    }

    /// The run's warning.
    pub fn warning(&self) -> String {
        self.said(
            "customer",
            self.alike_how(),
            "",
            "a customer of its own, with its own history; check them: if they are one customer, write them one way in the export",
        )
    }

    /// The run's warning on numbers written otherwise ([`CaseTwins::of_numbers`]).
    pub fn number_warning(&self) -> String {
        self.said(
            "customer",
            NUMBER,
            "",
            "a customer of its own, with part of the history, recommended what the other bought; if they are one customer, write the ids one way in the export",
        )
    }

    /// The run's warning on items whose number is written otherwise ([`CaseTwins::of_item_numbers`]).
    pub fn item_number_warning(&self) -> String {
        self.said("item", NUMBER, ", with the same description", ITEM_EACH)
    }

    /// "N `what` ids `alike_how``alike` ('a' and 'b'): ids match exactly, so each is `each`".
    fn said(&self, what: &str, alike_how: &str, alike: &str, each: &str) -> String {
        let [a, b] = &self.example;
        let s = if self.ids == 1 { "" } else { "s" };
        format!("{} {what} id{s} {alike_how}{alike} ('{a}' and '{b}'): ids match exactly, so each is {each}", self.ids)
    }
}

/// How [`CaseTwins`] are alike: in case, in Unicode form ([`alike`]), or as numbers ([`number_key`]).
const CASE: &str = "equal to another but for case";
const FORM: &str = "equal to another but for how its characters are encoded (an accent composed or combining, full-width letters) or case";
const NUMBER: &str =
    "the same number as another written otherwise (leading zeros, digit grouping, full-width digits, a sign, an exponent)";
/// What each item twin is.
const ITEM_EACH: &str = "an item of its own, and a customer who bought one may be recommended the other; if they are one product, write it one way in the export";

/// `id` composed (Unicode's NFC) with full-width ASCII narrowed ([`narrow`]): `CRÈME` with one
/// code point for `È` or with `E` and a combining grave, `ＡＢ１` and `AB1`, each one key. An
/// ASCII id is its own (no copy: most ids).
pub(crate) fn composed(id: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::UnicodeNormalization;
    match id.is_ascii() {
        true => std::borrow::Cow::Borrowed(id),
        false => std::borrow::Cow::Owned(id.nfc().map(narrow).collect()),
    }
}

/// `id` [`composed`] and in lower case ([`crate::config::case_folded`]): the key of ids alike
/// but for case and Unicode form.
pub(crate) fn alike(id: &str) -> std::borrow::Cow<'_, str> {
    match composed(id) {
        std::borrow::Cow::Borrowed(id) => crate::config::case_folded(id),
        std::borrow::Cow::Owned(id) => std::borrow::Cow::Owned(crate::config::case_folded(&id).into_owned()),
    }
}

/// A full-width form of an ASCII character (U+FF01 … U+FF5E) as that character (an East Asian
/// keyboard's `１２３` is `123`); others as they are.
pub(crate) fn narrow(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        c => c,
    }
}

/// A whole number's digits when `id` is one written with leading zeros, digit grouping (groups
/// of three after the first, one separator: `12,347`, `12.347`, `12 347`, `12'347`, a no-break
/// space), full-width digits, a sign (`+12347`; a negative number keeps its `-`, and `-0` is
/// `0`) or in scientific notation (`1.2347E4`, `1.2347E+04`: a spreadsheet's General format on
/// a long number); `None` for any other id (letters, a fraction, groups not of three).
/// `0012347`, `12,347`, `１２３４７`, `+12347`, `1.2347E4` and `12347` are all `12347`.
pub(crate) fn number_key(id: &str) -> Option<String> {
    let first = id.chars().next()?;
    let (negative, unsigned) = match narrow(first) {
        '+' => (false, &id[first.len_utf8()..]),
        '-' | '\u{2212}' => (true, &id[first.len_utf8()..]),
        _ => (false, id),
    };
    let digits = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => scientific_digits(mantissa, exponent)?,
        None => grouped_digits(unsigned)?,
    };
    Some(match negative && digits != "0" {
        true => format!("-{digits}"),
        false => digits,
    })
}

/// The digits of the whole number `mantissa`×10^`exponent` (`1.2347` and `4`: `12347`), no
/// leading zero; `None` when it is no such number (`1.23E1`: 12.3) or the exponent is past 30
/// (no id is that long: `1E999` is not a thousand zeros).
fn scientific_digits(mantissa: &str, exponent: &str) -> Option<String> {
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let exponent: i32 = exponent.strip_prefix('+').unwrap_or(exponent).parse().ok().filter(|e: &i32| e.abs() <= 30)?;
    let ascii = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !ascii(whole) || !ascii(fraction) {
        return None;
    }
    let mut digits = format!("{whole}{fraction}");
    match exponent - fraction.len() as i32 {
        shift @ 0.. => digits.extend(std::iter::repeat_n('0', shift as usize)),
        shift => {
            let cut = digits.len().checked_sub(shift.unsigned_abs() as usize)?;
            if !digits[cut..].bytes().all(|b| b == b'0') {
                return None;
            }
            digits.truncate(cut.max(1));
        }
    }
    let zeros = digits.len() - digits.trim_start_matches('0').len();
    Some(digits.split_off(zeros.min(digits.len() - 1)))
}

/// [`number_key`]'s digits of an unsigned id written without an exponent.
fn grouped_digits(id: &str) -> Option<String> {
    let digit = |c: char| Some(narrow(c)).filter(char::is_ascii_digit);
    let mut separator = None;
    let (mut groups, mut digits) = (vec![0usize], String::with_capacity(id.len()));
    for c in id.chars() {
        match digit(c) {
            Some(d) => {
                digits.push(d);
                *groups.last_mut()? += 1;
            }
            None if matches!(c, ',' | '.' | ' ' | '\'' | '\u{a0}' | '\u{202f}') && *separator.get_or_insert(c) == c => {
                groups.push(0)
            }
            None => return None,
        }
    }
    let grouped = groups.len() == 1 || ((1..=3).contains(&groups[0]) && groups[1..].iter().all(|&g| g == 3));
    if digits.is_empty() || !grouped {
        return None;
    }
    let zeros = digits.len() - digits.trim_start_matches('0').len();
    Some(digits.split_off(zeros.min(digits.len() - 1)))
}

/// The first kept row (0-based) whose customer id is not an integer, and the id: what keeps
/// `customer_id` from being Int64 (see [`integer_id`]).
fn first_non_integer(cleaned: &Cleaned) -> Result<Option<(usize, String)>> {
    let ids = cleaned.column(col::CUSTOMER).and_then(|c| c.str().cloned()).map_err(Error::frame("pivot"))?;
    let mut rows = cleaned.kept(ids.iter().enumerate()).filter_map(|(row, id)| Some((row, id?)));
    let first = rows.find(|(_, id)| integer_id(id).is_none()).map(|(row, id)| (row, id.to_string()));
    Ok(first)
}

/// The note when a few kept customer ids (fewer than half) are not integers and so make every
/// id String: one `+12001` among 40 integer ids published text ids, and a dashboard's Int64
/// join key changed type, without a word (helper-109). `None` when most ids are not integers
/// (e-mail addresses, codes: text is what they are).
fn few_text_ids(cleaned: &Cleaned, kept: &[String], source: &std::path::Path) -> Result<Option<String>> {
    let integers = kept.iter().filter(|k| integer_id(k).is_some()).count();
    let others = kept.len() - integers;
    if others == 0 || others * 2 >= kept.len() {
        return Ok(None);
    }
    let Some((row, id)) = first_non_integer(cleaned)? else { return Ok(None) };
    let are = if others == 1 { "is not an integer" } else { "are not integers" };
    Ok(Some(format!(
        "customer_id is String: {others} of {} customer ids {are} (the first '{id}', row {} of {}), the other {integers} are: if they are integers written otherwise, write them as integers in the export, or set [columns] customer_type = \"integer\" to publish Int64 and refuse them, or \"string\" to say text ids are meant",
        kept.len(),
        row + 1,
        source.display()
    )))
}

/// Refuses (exit 3) the first kept customer id that is not an integer, naming the export's
/// `path`, its customer `column`, the row and `why` Int64 is required.
fn require_integer_ids(cleaned: &Cleaned, path: &std::path::Path, column: &str, why: &str) -> Result<()> {
    match first_non_integer(cleaned)? {
        None => Ok(()),
        Some((row, id)) => Err(Error::CustomerType {
            path: path.to_path_buf(),
            column: column.to_string(),
            row: row + 1,
            id,
            why: why.to_string(),
        }),
    }
}

/// How the pivot types customer ids: String always for [`CustomerType::String`], else Int64
/// when every id is an integer. When Int64 is required (`int64_because` says why: callers set
/// it for [`CustomerType::Integer`]) an id that is not one is refused naming its row and `column`.
#[derive(Debug, Clone, Copy)]
pub struct IdTyping<'a> {
    pub kind: CustomerType,
    pub int64_because: Option<&'a str>,
    pub column: &'a str,
}

impl IdTyping<'static> {
    /// Today's rule, nothing required (tests, generated data).
    pub const AUTO: IdTyping<'static> = IdTyping { kind: CustomerType::Auto, int64_because: None, column: "" };
}

/// Each customer's segment from the kept rows' segment column (none without one): a kept row
/// with a customer and a value votes for it.
fn segments(cleaned: &Cleaned, numbered: &Numbered) -> PolarsResult<Segments> {
    let Ok(column) = cleaned.column(col::SEGMENT) else { return Ok(Segments::default()) };
    let values = column.str()?;
    let (codes, rank) = (&numbered.customer_codes, &numbered.customer_rank);
    let rows = codes.iter().zip(cleaned.kept(values.iter())).filter_map(|(&c, v)| {
        let v = v.filter(|_| c != NONE)?;
        Some((rank[c as usize], v))
    });
    Ok(Segments::vote(rows, numbered.customer_ids.len()))
}

/// Why `customer_id` is String when it need not have been (the type was left to the ids): the
/// one dropped purchase whose id alone decided it (a folder keeps the type it publishes), or
/// the few kept ids that are not integers ([`few_text_ids`]).
fn text_ids_note(
    cleaned: &Cleaned,
    customer_ids: &CustomerIds,
    dropped: Option<(usize, &str)>,
    kind: CustomerType,
    source: &std::path::Path,
) -> Result<Option<String>> {
    let CustomerIds::Text(kept) = customer_ids else { return Ok(None) };
    if kind == CustomerType::String {
        return Ok(None);
    }
    match dropped {
        Some((row, id)) if kept.iter().all(|k| integer_id(k).is_some()) => Ok(Some(format!(
            "customer_id is String: customer id '{}' (row {} of {}, a purchase cleaning drops: a return, an excluded item) is not an integer, though every kept one is; a folder keeps the type it publishes ([columns] customer_type = \"integer\" publishes Int64 and refuses such ids)",
            id,
            row + 1,
            source.display()
        ))),
        _ => few_text_ids(cleaned, kept, source),
    }
}

/// Pivots the cleaned canonical frame into the sparse purchase matrix, customer ids typed by
/// `ids`. Whether every id is an integer is learnt while numbering the distinct ids; the rows
/// are searched for the first that is not only when that refuses the run. Errors name
/// `source`, the export the rows came from.
pub fn run(mut cleaned: Cleaned, ids: IdTyping, source: &std::path::Path) -> Result<(Interactions, PivotReport)> {
    let start = Instant::now();
    let rows_in = cleaned.height();
    let err = |e: PolarsError| Error::frame("pivot")(e);
    let text = |c: &Cleaned, name: &str| -> Result<StringChunked> {
        Ok(c.column(name).map_err(err)?.str().map_err(err)?.clone())
    };
    let (customer, item) = (text(&cleaned, col::CUSTOMER)?, text(&cleaned, col::ITEM)?);
    // text when the export's ids are not all integers, though the kept ones are; unless Int64
    // is required (the folder published it: only the ids it publishes must be integers)
    let dropped = cleaned.text_id_dropped().filter(|_| ids.int64_because.is_none());
    let text = ids.kind == CustomerType::String || dropped.is_some();
    let numbered = number(cleaned.kept(customer.iter()), cleaned.kept(item.iter()), text);
    let customer_id_note = text_ids_note(&cleaned, &numbered.customer_ids, dropped, ids.kind, source)?;
    if let (Some(why), CustomerIds::Text(_)) = (ids.int64_because, &numbered.customer_ids) {
        require_integer_ids(&cleaned, source, ids.column, why)?;
    }
    let segments = segments(&cleaned, &numbered).map_err(err)?;
    // Each column goes once read: at 27 million rows the frame is 2 GB beside the pivot's own.
    drop((customer, item));
    for name in [col::CUSTOMER, col::ITEM] {
        cleaned.drop_column(name).map_err(err)?;
    }
    let quantity = cleaned.column(col::QUANTITY).map_err(err)?.f64().map_err(err)?;
    let description = cleaned.column(col::DESCRIPTION).map_err(err)?.str().map_err(err)?;
    let date = cleaned.column(col::DATE).map_err(err)?.i64().map_err(err)?;
    let mut sorted =
        numbered.sort(cleaned.kept(quantity.iter()), cleaned.kept(description.iter()), cleaned.kept(date.iter()));
    sorted.segments = segments;
    drop(cleaned);
    let m = sorted.finish().map_err(|o| o.error(source))?;
    let report = PivotReport {
        rows_in,
        rows_out: m.n_pairs(),
        customers: m.n_customers(),
        items: m.n_items(),
        customer_id_type: m.customers.dtype_name().to_string(),
        customer_id_note,
        // the run's matrix only ([`CaseTwins::of_matrix`]), not each training pivot's
        customers_in_another_case: None,
        customers_as_another_number: None,
        items_as_another_number: None,
        items_in_another_case: None,
        item_lists: None,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok((m, report))
}

pub mod lists;

#[cfg(test)]
mod tests;
