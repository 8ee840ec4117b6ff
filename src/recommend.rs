//! Recommend: each customer's items from the model, topped up by popularity.
//!
//! Takes the purchase matrix, the model and `[recommend]`; returns [`Recommendations`].
//! The model, whatever its kind, gives a customer's candidate items with their scores and
//! supporters ([`Model::vote`]; the formulas per kind are in `similarity::model`), each term ×
//! 0.5^(age / `recency_half_life_days`) of the purchase it comes from when a half-life is set.
//!
//! Here, for every kind: each score × buyers(item)^γ when `popularity_exponent` γ ≠ 0, × the
//! exposure prior ([`Prior`]) when its exponents are set. Sums run in a fixed order, so they are
//! bit-reproducible. Items the customer bought are excluded; order: score descending, then item
//! id ascending (bytes). Customers with fewer candidates than `per_customer` (or no neighbour at
//! all) are topped up with the most popular items (most buyers; ties by item id) they have not
//! bought, marked as popularity rows; with `popular_half_life_days` each buyer counts
//! 0.5^(age / half-life) of their last purchase of the item
//! ([`Interactions::recent_popularity_order`]); with `popular_season_days` the items bought in
//! those days from a year (52 weeks) before on, by buyers who have not bought them since
//! ([`Interactions::season_popularity_order`]). With `fallback = "popular_by:COLUMN"` the top-up first
//! takes the items most bought in the customer's segment (buyers among the segment's
//! customers; ties by item id; `popular_segment` rows), then the global order: for a customer
//! without a segment, in a segment of fewer than `min_segment_customers` customers, or once
//! the segment's items run out ([`BySegment`]).
//!
//! Items `never_recommend` lists are in no list, from the model or the top-up ([`withheld`]);
//! the model still learns from them.

use std::cmp::Ordering;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::config::{matched_items, RecommendConfig};
use crate::pivot::{self, Interactions};
use crate::progress::Progress;
use crate::similarity::{Model, Votes};

/// Where a recommendation came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Neighbours,
    /// The top-up by global popularity.
    Popular,
    /// The top-up by the popularity in the customer's segment.
    PopularSegment,
}

impl Source {
    /// Every source, in the order lists hold them.
    pub const ALL: [Source; 3] = [Source::Neighbours, Source::PopularSegment, Source::Popular];

    /// The value of the `source` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Neighbours => "neighbours",
            Source::Popular => "popular",
            Source::PopularSegment => "popular_segment",
        }
    }

    /// The source whose [`Source::as_str`] is `text`.
    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// True for the top-up rows (not the model's).
    pub fn is_fallback(self) -> bool {
        self != Source::Neighbours
    }
}

/// One recommendation row (the customer is implied by its position).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rec {
    pub item: u32,
    /// Summed similarity; `None` for popularity rows.
    pub score: Option<f64>,
    pub supporters: u32,
    pub source: Source,
}

/// Every customer's recommendations, flattened: customer `c`'s are `rows[offsets[c]..offsets[c + 1]]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recommendations {
    pub offsets: Vec<usize>,
    pub rows: Vec<Rec>,
}

impl Recommendations {
    pub fn of(&self, c: usize) -> &[Rec] {
        &self.rows[self.offsets[c]..self.offsets[c + 1]]
    }
}

/// What the recommend stage did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecommendReport {
    pub rows_in: usize,
    pub rows_out: usize,
    pub from_neighbours_rows: usize,
    /// Top-up rows by global popularity (`source = "popular"`).
    pub popular_rows: usize,
    /// Top-up rows by the customer's segment (`source = "popular_segment"`).
    #[serde(default)]
    pub segment_rows: usize,
    /// Customers with at least one top-up row (of either kind).
    pub topped_up_customers: usize,
    /// Customers with no row at all: each bought every item a list may hold.
    #[serde(default)]
    pub customers_without_rows: usize,
    /// Items of the catalogue `[recommend] never_recommend` kept out of every list.
    #[serde(default)]
    pub withheld_items: usize,
    /// Ids `never_recommend` lists that are no item of this export (a typo, or an item that
    /// did not sell in it).
    #[serde(default)]
    pub unknown_never_recommend: Vec<String>,
    pub seconds: f64,
}

impl RecommendReport {
    /// The counts of `recs` over the customers `rows`, made in `seconds`.
    pub fn of(recs: &Recommendations, rows: std::ops::Range<usize>, seconds: f64) -> RecommendReport {
        let span = recs.offsets[rows.start]..recs.offsets[rows.end];
        let count = |source: Source| recs.rows[span.clone()].iter().filter(|r| r.source == source).count();
        let (popular_rows, segment_rows) = (count(Source::Popular), count(Source::PopularSegment));
        // top-ups come after the model's rows: a list with any ends with one
        let topped_up_customers =
            rows.clone().filter(|&c| recs.of(c).last().is_some_and(|r| r.source.is_fallback())).count();
        let customers_without_rows = rows.clone().filter(|&c| recs.of(c).is_empty()).count();
        RecommendReport {
            rows_in: rows.len(),
            rows_out: span.len(),
            from_neighbours_rows: span.len() - popular_rows - segment_rows,
            popular_rows,
            segment_rows,
            topped_up_customers,
            customers_without_rows,
            withheld_items: 0,
            unknown_never_recommend: Vec::new(),
            seconds,
        }
    }

    /// The run's note on the customers without a row, if any.
    pub fn without_rows_note(&self) -> Option<String> {
        let n = self.customers_without_rows;
        let withheld = match self.withheld_items {
            0 => String::new(),
            w => format!(" ([recommend] never_recommend withholds {w})"),
        };
        (n > 0).then(|| {
            let has = if n == 1 { "has" } else { "have" };
            format!("{} {has} no recommendation: each bought every item a list may hold{withheld}; they are in no row of recommendations.parquet", crate::words::counted(n, "customer"))
        })
    }

    /// This report with what `never_recommend` keeps out of the lists ([`withheld`]).
    pub fn withholding(self, (withheld, unknown): &(Vec<bool>, Vec<String>)) -> RecommendReport {
        let withheld_items = withheld.iter().filter(|&&w| w).count();
        RecommendReport { withheld_items, unknown_never_recommend: unknown.clone(), ..self }
    }
}

/// Which items `ids` (`[recommend] never_recommend`: ids, or [`crate::config::item_matches`]
/// patterns) keeps out of the lists, by position in `m.items` (empty when it lists none), and
/// the entries that match no item of `m`.
pub fn withheld(m: &Interactions, ids: &[String]) -> (Vec<bool>, Vec<String>) {
    match ids.is_empty() {
        true => (Vec::new(), Vec::new()),
        false => matched_items(ids, m.items.iter().map(String::as_str), crate::roles::normalize_id),
    }
}

/// Customers per parallel task.
pub const BLOCK: usize = 256;

/// Computes every customer's recommendations. Runs on the current rayon pool.
pub fn run(
    m: &Interactions,
    model: &Model,
    cfg: &RecommendConfig,
    progress: &Progress,
) -> (Recommendations, RecommendReport) {
    run_for(m, model, cfg, 0..m.n_customers(), progress)
}

/// [`run`] for the customers `rows` only (a shard's): the others' lists are empty, the report
/// counts `rows`. Blocks of customers start at `rows.start`: a shard whose first customer is a
/// multiple of the block size scores each block exactly as [`run`] does.
pub fn run_for(
    m: &Interactions,
    model: &Model,
    cfg: &RecommendConfig,
    rows: std::ops::Range<usize>,
    progress: &Progress,
) -> (Recommendations, RecommendReport) {
    let start = Instant::now();
    let wanted: Vec<usize> = rows.clone().collect();
    let withheld = withheld(m, &cfg.never_recommend);
    let recs = recommend(m, model, cfg, &wanted, &withheld.0, progress);
    let report = RecommendReport::of(&recs, rows, start.elapsed().as_secs_f64()).withholding(&withheld);
    (recs, report)
}

/// The recommendations of `customers` (ascending) only, as [`run`] makes them; every other
/// customer's list is empty (model selection scores the customers it can check, no more).
pub fn for_customers(
    m: &Interactions,
    model: &Model,
    cfg: &RecommendConfig,
    customers: &[usize],
    progress: &Progress,
) -> Recommendations {
    recommend(m, model, cfg, customers, &withheld(m, &cfg.never_recommend).0, progress)
}

/// [`for_customers`], the items `never_recommend` keeps out given ([`withheld`]).
fn recommend(
    m: &Interactions,
    model: &Model,
    cfg: &RecommendConfig,
    customers: &[usize],
    withheld: &[bool],
    progress: &Progress,
) -> Recommendations {
    let recommender = Recommender {
        m,
        model,
        cfg,
        popular: match cfg.popular_season_days {
            Some(days) => m.season_popularity_order(days),
            None => m.recent_popularity_order(cfg.popular_half_life_days),
        },
        by_segment: BySegment::new(m, cfg),
        recency: m.recency(cfg.recency_half_life_days),
        prior: Prior::new(m, cfg),
        withheld,
    };
    let blocks: Vec<(Vec<usize>, Vec<Rec>)> = customers
        .par_chunks(BLOCK)
        .map_init(
            || Scratch { votes: Votes::new(m.n_items()), best: Vec::new() },
            |s, block| {
                let out = recommender.block(block, s);
                progress.inc(block.len() as u64);
                out
            },
        )
        .collect();
    flatten(m.n_customers(), customers, blocks)
}

/// Flattens per-block results (row counts and rows, in the order of `customers`) into lists
/// of all `n` customers, empty for those not in `customers`.
fn flatten(n: usize, customers: &[usize], blocks: Vec<(Vec<usize>, Vec<Rec>)>) -> Recommendations {
    let mut lens = vec![0usize; n];
    let mut rows = Vec::with_capacity(blocks.iter().map(|(_, r)| r.len()).sum());
    for (&c, len) in customers.iter().zip(blocks.iter().flat_map(|(l, _)| l)) {
        lens[c] = *len;
    }
    for (_, out) in blocks {
        rows.extend(out);
    }
    let mut offsets = Vec::with_capacity(n + 1);
    offsets.push(0);
    for len in lens {
        offsets.push(offsets.last().copied().unwrap_or(0) + len);
    }
    Recommendations { offsets, rows }
}

/// What every customer's recommendations are made from.
struct Recommender<'a> {
    m: &'a Interactions,
    model: &'a Model,
    cfg: &'a RecommendConfig,
    /// Items by popularity (the top-up's order).
    popular: Vec<u32>,
    /// Items by popularity in each segment; `None` with `fallback = "popular"`.
    by_segment: Option<BySegment>,
    /// Per-purchase recency weights; `None` without a half-life.
    recency: Option<Vec<f64>>,
    prior: Option<Prior>,
    /// Per item, true when `never_recommend` keeps it out of the lists; empty when none is.
    withheld: &'a [bool],
}

/// One worker's scratch, reused customer after customer.
struct Scratch {
    /// The model's votes for the current customer.
    votes: Votes,
    /// The current customer's best candidates, in order.
    best: Vec<Rec>,
}

/// The order of recommendations: score descending, then item id ascending.
fn order(x: &Rec, y: &Rec) -> Ordering {
    let (sx, sy) = (x.score.unwrap_or(0.0), y.score.unwrap_or(0.0));
    sy.partial_cmp(&sx).unwrap_or(Ordering::Equal).then(x.item.cmp(&y.item))
}

impl Recommender<'_> {
    /// The recommendations of `customers` (ascending): each one's row count, and the rows.
    fn block(&self, customers: &[usize], s: &mut Scratch) -> (Vec<usize>, Vec<Rec>) {
        self.model.begin_block(customers, self.m, self.recency.as_deref(), &mut s.votes);
        let mut lens = Vec::with_capacity(customers.len());
        let mut out = Vec::new();
        for &a in customers {
            let before = out.len();
            self.one(a, s, &mut out);
            lens.push(out.len() - before);
        }
        (lens, out)
    }

    /// Customer `a`'s recommendations, appended to `out`: the model's best candidates, then
    /// the most popular items when they are fewer than `per_customer`.
    fn one(&self, a: usize, s: &mut Scratch, out: &mut Vec<Rec>) {
        let m = self.m;
        s.votes.own(a, m.row(a));
        self.model.vote(a, m, self.cfg.from_neighbours, self.recency.as_deref(), &mut s.votes);
        // Never longer than the catalogue (nothing to fill it with; `per_customer` is bounded
        // too, see `config::MAX_LIST`).
        let k = self.cfg.per_customer.clamp(1, m.n_items().max(1));
        self.best(a, k, s);
        for r in s.best.iter_mut() {
            r.supporters = self.model.supporters(m, a, r.item, r.supporters);
        }
        out.extend_from_slice(&s.best);
        if s.best.len() < k {
            // Every candidate with a score is in; fill from the most popular items not bought
            // and not listed.
            let votes = &s.votes;
            let mut listed: Vec<u32> = s.best.iter().map(|r| r.item).collect();
            listed.sort_unstable();
            self.top_up(a, k - listed.len(), |i| !votes.owns(a, i) && listed.binary_search(&i).is_err(), out);
        }
        s.votes.clear();
    }

    /// Appends customer `a`'s `want` top-up rows, of the items `free` says are neither bought
    /// nor listed: their segment's most popular first (when it has a ranking), then the
    /// global order, skipping the segment's items (each is bought, listed or just taken).
    fn top_up(&self, a: usize, want: usize, free: impl Fn(u32) -> bool, out: &mut Vec<Rec>) {
        let free = |i: u32| free(i) && !self.is_withheld(i);
        let rec = |source| move |&item: &u32| Rec { item, score: None, supporters: 0, source };
        let segment = self.by_segment.as_ref().and_then(|b| b.of(self.m, a));
        let before = out.len();
        if let Some((order, _)) = segment {
            out.extend(order.iter().filter(|&&i| free(i)).take(want).map(rec(Source::PopularSegment)));
        }
        let left = want - (out.len() - before);
        if left > 0 {
            let taken = segment.map_or(&[][..], |(_, members)| members);
            let fill = self.popular.iter().filter(|&&i| free(i) && taken.binary_search(&i).is_err());
            out.extend(fill.take(left).map(rec(Source::Popular)));
        }
    }

    /// True when `never_recommend` keeps item `i` out of the lists.
    fn is_withheld(&self, i: u32) -> bool {
        self.withheld.get(i as usize).copied().unwrap_or(false)
    }

    /// Customer `a`'s best `k` candidates into `s.best`, in order, each score × its prior
    /// factor; kept as the candidates arrive: most lose to the k-th at once.
    fn best(&self, a: usize, k: usize, s: &mut Scratch) {
        let (m, prior) = (self.m, self.prior.as_ref());
        let customer = prior.map(|p| p.customer(m, a));
        let factor = |i: u32| prior.zip(customer).map_or(1.0, |(p, c)| p.factor(m, a, c, i as usize));
        let best = &mut s.best;
        best.clear();
        for &i in s.votes.candidates() {
            if self.is_withheld(i) {
                continue;
            }
            let (score, supporters) = s.votes.get(i);
            let score = score * factor(i);
            // a vote that came to nothing (a recency weight under f64's range: a half-life of
            // hours over years of purchases) is no evidence: the item is left to the top-up
            if score <= 0.0 || score.is_nan() {
                continue;
            }
            let rec = Rec { item: i, score: Some(score), supporters, source: Source::Neighbours };
            if best.len() == k && order(&rec, &best[k - 1]) != Ordering::Less {
                continue;
            }
            let at = best.partition_point(|r| order(r, &rec) == Ordering::Less);
            best.insert(at, rec);
            best.truncate(k);
        }
    }
}

/// The top-up's order in each segment (`fallback = "popular_by:COLUMN"`): the items the
/// segment's customers bought, by buyers among them (most first; ties by item id, as the
/// global order), for the segments of at least `min_segment_customers` customers.
struct BySegment {
    /// Per segment: its items in top-up order; empty for a segment too small to rank.
    order: Vec<Vec<u32>>,
    /// Per segment: the same items by id (to skip them when the global order continues).
    members: Vec<Vec<u32>>,
}

impl BySegment {
    /// `None` unless `cfg` tops up by segment and `m` holds the customers' segments.
    fn new(m: &Interactions, cfg: &RecommendConfig) -> Option<BySegment> {
        let segments = &m.segments;
        if cfg.fallback.column().is_none() || segments.of.is_empty() {
            return None;
        }
        let mut size = vec![0usize; segments.names.len()];
        for c in 0..m.n_customers() {
            if let Some(s) = segments.of(c) {
                size[s as usize] += 1;
            }
        }
        let ranked = |s: u32| size[s as usize] >= cfg.min_segment_customers;
        // (segment << 32 | item) per purchase of a ranked segment's customer: a run per item
        let mut keys: Vec<u64> = (0..m.n_customers())
            .filter_map(|c| Some((c, segments.of(c).filter(|&s| ranked(s))?)))
            .flat_map(|(c, s)| m.row(c).iter().map(move |&i| (s as u64) << 32 | i as u64))
            .collect();
        keys.sort_unstable();
        let mut members = vec![Vec::new(); size.len()];
        let mut buyers = vec![Vec::new(); size.len()];
        for run in keys.chunk_by(|a, b| a == b) {
            let (s, i) = ((run[0] >> 32) as usize, (run[0] & 0xFFFF_FFFF) as u32);
            members[s].push(i);
            buyers[s].push(run.len() as u32);
        }
        let order = members
            .iter()
            .zip(&buyers)
            .map(|(items, buyers)| {
                let mut by: Vec<usize> = (0..items.len()).collect();
                by.sort_by(|&x, &y| buyers[y].cmp(&buyers[x]).then(items[x].cmp(&items[y])));
                by.into_iter().map(|k| items[k]).collect()
            })
            .collect();
        Some(BySegment { order, members })
    }

    /// Customer `a`'s segment's (order, members), when it is ranked.
    fn of(&self, m: &Interactions, a: usize) -> Option<(&[u32], &[u32])> {
        let s = m.segments.of(a)? as usize;
        let order = self.order.get(s).filter(|o| !o.is_empty())?;
        Some((order, &self.members[s]))
    }
}

/// Days from `t` back to `newest`; ∞ when either is unknown.
fn age_days(newest: i64, t: Option<i64>) -> f64 {
    match t {
        Some(t) if t != i64::MIN && newest != i64::MIN => (newest - t) as f64 / 86_400.0,
        _ => f64::INFINITY,
    }
}

/// A prior term (days + 7)^exponent; 1 for an unknown (infinite) age.
fn term(days: f64, exponent: f64) -> f64 {
    if days.is_finite() {
        (days + 7.0).powf(exponent)
    } else {
        1.0
    }
}

/// The score factors of `[recommend]`: buyers(i)^γ (`popularity_exponent`) and the exposure
/// prior, ages in days back from the newest purchase T:
/// - (days since item i last sold + 7)^`last_sale_exponent` (negative: discontinued items sink);
/// - (min(days since i first sold, days since the customer's first purchase) + 7)^
///   `exposure_exponent`: how long the customer could have bought i (negative: the new items,
///   and the new customer's, rise);
/// - (the customer's distinct purchase dates on or after i's first sale + 2)^
///   `opportunity_exponent`: how many visits passed the item by.
///
/// Undated customers skip the date terms; an undated item's ages are the median dated item's.
struct Prior {
    /// buyers^γ × the last-sale term.
    item: Vec<f64>,
    /// Days since the first sale (∞ when no sale is dated) and that age's exposure term.
    age: Vec<f64>,
    /// Each item's first sale, an undated item's the median dated item's ([`pivot::dated`]).
    first: Vec<i64>,
    fresh: Vec<f64>,
    newest: i64,
    exposure: f64,
    /// (k + 2)^`opportunity_exponent` for k = 0, 1, …, the most dates a customer has.
    visits: Vec<f64>,
}

/// A customer's side of the prior: their exposure term and purchase dates.
#[derive(Clone, Copy)]
struct Customer {
    age: f64,
    fresh: f64,
}

impl Prior {
    /// `None` when every factor is off.
    fn new(m: &Interactions, cfg: &RecommendConfig) -> Option<Prior> {
        if cfg.popularity_exponent == 0.0 && !cfg.uses_exposure() {
            return None;
        }
        let d = &m.dates;
        // an item sold on undated lines only is as old as the median dated item, not new
        let (last, first) = (pivot::dated(&d.item_last), pivot::dated(&d.item_first).into_owned());
        let newest = last.iter().copied().max().unwrap_or(i64::MIN);
        let days = |t: Option<&i64>| age_days(newest, t.copied());
        let item = m
            .buyers()
            .iter()
            .enumerate()
            .map(|(i, &b)| (b as f64).powf(cfg.popularity_exponent) * term(days(last.get(i)), cfg.last_sale_exponent))
            .collect();
        let age: Vec<f64> = (0..m.n_items()).map(|i| days(first.get(i))).collect();
        let fresh = age.iter().map(|&a| term(a, cfg.exposure_exponent)).collect();
        let most = (0..m.n_customers()).map(|c| d.of(c).len()).max().unwrap_or(0);
        let visits = (0..=most).map(|k| (k as f64 + 2.0).powf(cfg.opportunity_exponent)).collect();
        Some(Prior { item, age, first, fresh, newest, exposure: cfg.exposure_exponent, visits })
    }

    fn customer(&self, m: &Interactions, c: usize) -> Customer {
        let age = age_days(self.newest, m.dates.of(c).first().copied());
        Customer { age, fresh: term(age, self.exposure) }
    }

    /// Customer `c`'s factor for item `i`.
    fn factor(&self, m: &Interactions, c: usize, customer: Customer, i: usize) -> f64 {
        let mut f = self.item[i];
        if !customer.age.is_finite() || !self.age[i].is_finite() {
            return f;
        }
        f *= if self.age[i] <= customer.age { self.fresh[i] } else { customer.fresh };
        let dates = m.dates.of(c);
        let first = self.first[i];
        f * self.visits[dates.len() - dates.partition_point(|&t| t < first)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Kind, ModelConfig};

    fn matrix(rows: &[(&'static str, &'static str)]) -> Interactions {
        Interactions::from_triples(rows.iter().map(|&(c, i)| (c, i, 1.0, None)))
    }

    /// No decay, no popularity exponent: `per` recommendations from `k` neighbours.
    fn plain_cfg(per: usize, k: usize) -> RecommendConfig {
        RecommendConfig { per_customer: per, from_neighbours: k, ..Default::default() }
    }

    /// EASE's dense weights B.
    fn ease_weights(model: &Model) -> &[f64] {
        match model {
            Model::Ease(e) => &e.weights,
            _ => panic!("not an EASE model"),
        }
    }

    fn recommend(m: &Interactions, k: usize, per: usize) -> Recommendations {
        let nb = crate::similarity::run(m, &ModelConfig::default(), &Progress::hidden()).unwrap().0;
        run(m, &nb, &plain_cfg(per, k), &Progress::hidden()).0
    }

    #[test]
    fn scores_sum_neighbour_similarities_and_exclude_owned_items() {
        // 1: A B      2: A B C     3: A D     4: E (no neighbour)
        let m =
            matrix(&[("1", "A"), ("1", "B"), ("2", "A"), ("2", "B"), ("2", "C"), ("3", "A"), ("3", "D"), ("4", "E")]);
        let recs = recommend(&m, 10, 3);
        // customer 1: neighbours 2 (2/sqrt(6)) and 3 (1/2); C from 2, D from 3
        let r = recs.of(0);
        let s2 = 2.0 / 6f64.sqrt();
        assert_eq!(r[0], Rec { item: 2, score: Some(s2), supporters: 1, source: Source::Neighbours });
        assert_eq!(r[1], Rec { item: 3, score: Some(0.5), supporters: 1, source: Source::Neighbours });
        // topped up with the most popular item not bought: E (1 buyer) — A, B are owned
        assert_eq!(r[2], Rec { item: 4, score: None, supporters: 0, source: Source::Popular });
        // customer 4 has no neighbour: all popular, A (3 buyers) then B (2) then C (ties by id)
        let items: Vec<u32> = recs.of(3).iter().map(|r| r.item).collect();
        assert_eq!(items, [0, 1, 2]);
        assert!(recs.of(3).iter().all(|r| r.source == Source::Popular));
    }

    #[test]
    fn never_recommended_items_are_in_no_list_but_still_count_as_signal() {
        // 1: A P   2: A P B   3: A P C   4: E   5: A   (P: postage, bought with everything)
        let m = matrix(&[
            ("1", "A"),
            ("1", "P"),
            ("2", "A"),
            ("2", "P"),
            ("2", "B"),
            ("3", "A"),
            ("3", "P"),
            ("3", "C"),
            ("4", "E"),
            ("5", "A"),
        ]);
        let nb = crate::similarity::run(&m, &ModelConfig::default(), &Progress::hidden()).unwrap().0;
        let ids = |recs: &Recommendations, c: usize| -> Vec<&str> {
            recs.of(c).iter().map(|r| m.items[r.item as usize].as_str()).collect()
        };
        let open = run(&m, &nb, &plain_cfg(3, 10), &Progress::hidden()).0;
        // without the list, customer 4 (no neighbour) is topped up with P, the most bought, and
        // customer 5's neighbours (1, 2, 3) vote P first
        assert_eq!(ids(&open, 3), ["A", "P", "B"]);
        assert_eq!(ids(&open, 4), ["P", "B", "C"]);
        let cfg = RecommendConfig { never_recommend: vec!["P".into(), "NOPE".into()], ..plain_cfg(3, 10) };
        let (recs, report) = run(&m, &nb, &cfg, &Progress::hidden());
        assert_eq!(ids(&recs, 3), ["A", "B", "C"]);
        assert_eq!(ids(&recs, 4), ["B", "C", "E"], "the model's candidates skip P; the top-up fills");
        for c in 0..m.n_customers() {
            assert!(!ids(&recs, c).contains(&"P"), "customer {c}: {:?}", ids(&recs, c));
        }
        // P still makes 1, 2 and 3 neighbours: customer 1's B and C keep their scores
        assert_eq!(recs.of(0)[..2], open.of(0)[..2]);
        assert_eq!((report.withheld_items, report.unknown_never_recommend.clone()), (1, vec!["NOPE".to_string()]));
        // Session 35: an entry read as the export's ids are (`71053.0` is the item `71053`,
        // which a float-written export's codes now read as): its list still holds
        let coded = matrix(&[("1", "71053"), ("1", "22730"), ("2", "71053")]);
        let (withheld, unknown) = withheld(&coded, &["71053.0".to_string(), "22730".into()]);
        assert_eq!((withheld, unknown), (vec![true, true], Vec::<String>::new()));
        // a pattern: every id it matches
        let starred = RecommendConfig { never_recommend: vec!["*".into()], ..plain_cfg(3, 10) };
        let (none, report) = run(&m, &nb, &starred, &Progress::hidden());
        assert!(none.rows.is_empty() && report.withheld_items == m.n_items(), "{:?}", none.rows);
        assert_eq!(recs.rows.len(), open.rows.len());
    }

    #[test]
    fn k1_is_the_article_rule_and_ties_break_by_item_id() {
        // 1: A      2: A C B     3: A X
        let m = matrix(&[("1", "A"), ("2", "A"), ("2", "C"), ("2", "B"), ("3", "A"), ("3", "X")]);
        let recs = recommend(&m, 1, 2);
        // nearest of 1 is 3 (1/sqrt(2) > 1/sqrt(3)): only X, then popular B (tie with C by id)
        let r: Vec<(u32, Source)> = recs.of(0).iter().map(|r| (r.item, r.source)).collect();
        assert_eq!(r, [(3, Source::Neighbours), (1, Source::Popular)]);
        // customer 3's nearest is 1, who has nothing new: both popular, B before C
        let r: Vec<u32> = recs.of(2).iter().map(|r| r.item).collect();
        assert_eq!(r, [1, 2]);
    }

    /// a: A    b: A X (X 30 days before the newest purchase)    c: A Y (Y the newest); and
    /// the customers' cosine neighbours.
    fn dated_shop() -> (Interactions, Model) {
        let day = 86_400;
        let rows = [
            ("1", "A", Some(0)),
            ("2", "A", Some(0)),
            ("2", "X", Some(10 * day)),
            ("3", "A", Some(0)),
            ("3", "Y", Some(40 * day)),
        ];
        let m = Interactions::from_rows(rows.iter().map(|&(c, i, t)| (c, i, 1.0, None, t)));
        let model = ModelConfig { neighbours: 5, ..Default::default() };
        let nb = crate::similarity::run(&m, &model, &Progress::hidden()).unwrap().0;
        (m, nb)
    }

    #[test]
    fn recency_half_life_halves_a_purchase_one_half_life_old() {
        let (m, nb) = dated_shop();
        let plain = plain_cfg(2, 5);
        let r = run(&m, &nb, &plain, &Progress::hidden()).0;
        let sim = 1.0 / 2f64.sqrt();
        // without decay X and Y tie and X (lower id) comes first
        assert_eq!(r.of(0).iter().map(|r| (r.item, r.score)).collect::<Vec<_>>(), [(1, Some(sim)), (2, Some(sim))]);
        let decayed = RecommendConfig { recency_half_life_days: Some(30.0), ..plain };
        let r = run(&m, &nb, &decayed, &Progress::hidden()).0;
        assert_eq!(
            r.of(0).iter().map(|r| (r.item, r.score)).collect::<Vec<_>>(),
            [(2, Some(sim)), (1, Some(sim * 0.5))]
        );
    }

    #[test]
    fn an_item_sold_on_undated_lines_is_as_old_as_the_median_item_not_new() {
        // items A, B, C last sold 100, 50 and 0 days before the newest purchase; U's lines are
        // undated (a date written in another format): the prior ages it as B, the median item
        let day = 86_400;
        let rows = [("1", "A", Some(0)), ("2", "B", Some(50 * day)), ("3", "C", Some(100 * day)), ("4", "U", None)];
        let m = Interactions::from_rows(rows.iter().map(|&(c, i, t)| (c, i, 1.0, None, t)));
        let cfg = RecommendConfig { last_sale_exponent: -0.25, exposure_exponent: -0.5, ..Default::default() };
        let prior = Prior::new(&m, &cfg).unwrap();
        assert_eq!(prior.item[3], prior.item[1], "U's last-sale term is B's (was 1, above every dated item)");
        assert_eq!((prior.age[3], prior.first[3]), (prior.age[1], 50 * day));
        let customer = prior.customer(&m, 0);
        assert_eq!(prior.factor(&m, 0, customer, 3), prior.factor(&m, 0, customer, 1));
    }

    #[test]
    fn a_vote_decayed_to_nothing_is_no_recommendation_of_the_model() {
        // X and Y 30 and 0 days old; a half-life of 0.01 days weighs X 2^-3000 = 0 (Y, the
        // newest, 1): X is a popular top-up, not a 0-score vote
        let (m, nb) = dated_shop();
        let decayed = RecommendConfig { recency_half_life_days: Some(0.01), ..plain_cfg(2, 5) };
        let r = run(&m, &nb, &decayed, &Progress::hidden()).0;
        let got: Vec<(u32, Option<f64>, Source)> = r.of(0).iter().map(|r| (r.item, r.score, r.source)).collect();
        assert_eq!(got, [(2, Some(1.0 / 2f64.sqrt()), Source::Neighbours), (1, None, Source::Popular)]);
    }

    #[test]
    fn a_customer_who_bought_every_item_has_no_row_and_is_counted() {
        // 1 bought the whole catalogue; 2 and 3 did not
        let m = matrix(&[("1", "A"), ("1", "B"), ("1", "C"), ("2", "A"), ("3", "B")]);
        let nb = crate::similarity::run(&m, &ModelConfig::default(), &Progress::hidden()).unwrap().0;
        let (recs, report) = run(&m, &nb, &plain_cfg(2, 10), &Progress::hidden());
        assert!(recs.of(0).is_empty() && !recs.of(1).is_empty() && !recs.of(2).is_empty());
        assert_eq!(report.customers_without_rows, 1);
        let note = report.without_rows_note().unwrap();
        assert!(note.starts_with("1 customer has no recommendation: each bought every item"), "{note}");
        let some = matrix(&[("1", "A"), ("2", "B")]);
        let nb = crate::similarity::run(&some, &ModelConfig::default(), &Progress::hidden()).unwrap().0;
        let (_, all) = run(&some, &nb, &plain_cfg(2, 10), &Progress::hidden());
        assert_eq!((all.customers_without_rows, all.without_rows_note()), (0, None));
    }

    #[test]
    fn an_item_bought_by_one_neighbour_of_many_counts_one_supporter() {
        let m = matrix(&[("1", "A"), ("1", "B"), ("2", "A"), ("2", "Z"), ("3", "B"), ("3", "Z"), ("4", "A")]);
        let recs = recommend(&m, 10, 1);
        let r = recs.of(0)[0];
        assert_eq!((r.item, r.supporters), (2, 2));
    }

    #[test]
    fn item_based_sums_the_similarities_of_the_customers_items() {
        // 1: A B   2: A B C   3: B C   4: A      A = {1,2,4}  B = {1,2,3}  C = {2,3}
        let m =
            matrix(&[("1", "A"), ("1", "B"), ("2", "A"), ("2", "B"), ("2", "C"), ("3", "B"), ("3", "C"), ("4", "A")]);
        let model = ModelConfig { kind: Kind::Item, ..Default::default() };
        let nb = crate::similarity::run(&m, &model, &Progress::hidden()).unwrap().0;
        let (ab, ac, bc) = (2.0 / 3.0, 1.0 / 6f64.sqrt(), 2.0 / 6f64.sqrt());
        assert_eq!(nb.neighbours().of(1).0, [2, 0], "B's nearest: C then A");
        let cfg = plain_cfg(2, 10);
        let r = run(&m, &nb, &cfg, &Progress::hidden()).0;
        // customer 1 owns A and B: C gets A's and B's votes, in that order
        assert_eq!(r.of(0)[0], Rec { item: 2, score: Some(ac + bc), supporters: 2, source: Source::Neighbours });
        // customer 4 owns A: B then C
        let got: Vec<(u32, Option<f64>)> = r.of(3).iter().map(|r| (r.item, r.score)).collect();
        assert_eq!(got, [(1, Some(ab)), (2, Some(ac))]);
        // K = 1: each item votes for its nearest only; A's is B, so 4 gets B then a popular top-up
        let r = run(&m, &nb, &RecommendConfig { from_neighbours: 1, ..cfg }, &Progress::hidden()).0;
        let got: Vec<(u32, Source)> = r.of(3).iter().map(|r| (r.item, r.source)).collect();
        assert_eq!(got, [(1, Source::Neighbours), (2, Source::Popular)]);
    }

    #[test]
    fn ease_scores_are_the_customers_rows_times_the_weights() {
        // more customers than a block (256) and items than a tile (256): both boundaries crossed
        let m = crate::similarity::tests::random_matrix(600, 300, 8, 4);
        assert!(m.n_customers() > BLOCK && m.n_items() > crate::similarity::ease::TILE);
        let model = ModelConfig { kind: Kind::Ease, ease_lambda: 8.0, ..Default::default() };
        let nb = crate::similarity::run(&m, &model, &Progress::hidden()).unwrap().0;
        let cfg = plain_cfg(6, 10);
        let recs = run(&m, &nb, &cfg, &Progress::hidden()).0;
        let weights = ease_weights(&nb);
        let n = m.n_items();
        let mut from_model = 0;
        for c in 0..m.n_customers() {
            let row = m.row(c);
            let mut all: Vec<(f64, u32, u32)> = (0..n as u32)
                .filter(|i| !row.contains(i))
                .map(|i| {
                    let w = |j: &u32| weights[*j as usize * n + i as usize];
                    (row.iter().map(w).fold(0.0, |a, b| a + b), i, row.iter().filter(|j| w(j) > 0.0).count() as u32)
                })
                .filter(|x| x.0 > 0.0)
                .collect();
            all.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            all.truncate(6);
            let got: Vec<(f64, u32, u32)> = recs
                .of(c)
                .iter()
                .filter(|r| r.source == Source::Neighbours)
                .map(|r| (r.score.unwrap(), r.item, r.supporters))
                .collect();
            assert_eq!(got, all, "customer {c}");
            assert_eq!(recs.of(c).len(), 6, "topped up to 6");
            from_model += got.len();
        }
        assert!(from_model > m.n_customers() * 3, "most rows come from the model");
    }

    /// 60 customers' random dated purchases (customer, item, time) of 30 items, and the items'
    /// descriptions, each three words of a small vocabulary.
    fn random_dated_purchases() -> (Vec<(usize, usize, i64)>, Vec<String>) {
        let day = 86_400i64;
        let mut state = 7u64;
        let mut next = |n: u64| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        let vocabulary = ["RED", "HEART", "BOX", "SET", "LIGHT", "TIN", "BAG", "CARD"];
        let descriptions: Vec<String> = (0..30)
            .map(|k| (0..3).map(|w| vocabulary[(k * 7 + w * 3 + k / 5) % 8]).collect::<Vec<_>>().join(" "))
            .collect();
        let mut rows: Vec<(usize, usize, i64)> = Vec::new();
        for c in 0..60 {
            for _ in 0..(2 + next(8)) {
                rows.push((c, next(30) as usize, next(300) as i64 * day + next(5) as i64 * 3600));
            }
        }
        (rows, descriptions)
    }

    #[test]
    fn description_blend_and_exposure_prior_follow_their_definitions() {
        let (rows, descriptions) = random_dated_purchases();
        let ids: Vec<String> = (0..60).map(|c| format!("{}", 100 + c)).collect();
        let items: Vec<String> = (0..30).map(|k| format!("I{k:02}")).collect();
        let m = Interactions::from_rows(
            rows.iter()
                .map(|&(c, i, t)| (ids[c].as_str(), items[i].as_str(), 1.0, Some(descriptions[i].as_str()), Some(t))),
        );
        assert_eq!((m.n_customers(), m.n_items()), (60, 30));
        let model = ModelConfig { kind: Kind::Ease, ease_lambda: 4.0, description_weight: 0.3, ..Default::default() };
        let nb = crate::similarity::run(&m, &model, &Progress::hidden()).unwrap().0;
        let cfg = RecommendConfig {
            per_customer: 5,
            popularity_exponent: -0.2,
            last_sale_exponent: -0.25,
            exposure_exponent: -0.5,
            opportunity_exponent: -0.3,
            ..Default::default()
        };
        let recs = run(&m, &nb, &cfg, &Progress::hidden()).0;
        let weights = ease_weights(&nb);
        // The definition, from the raw rows (customer c and item k keep their order in m).
        let text = crate::similarity::text::similarity(&descriptions.iter().cloned().map(Some).collect::<Vec<_>>());
        let newest = rows.iter().map(|r| r.2).max().unwrap();
        let days = |t: i64| (newest - t) as f64 / 86_400.0;
        let first_sale = |i: usize| rows.iter().filter(|r| r.1 == i).map(|r| r.2).min().unwrap();
        let last_sale = |i: usize| rows.iter().filter(|r| r.1 == i).map(|r| r.2).max().unwrap();
        let buyers = |i: usize| (0..60).filter(|&c| rows.iter().any(|r| r.0 == c && r.1 == i)).count() as f64;
        for c in 0..60 {
            let own: Vec<usize> = m.row(c).iter().map(|&j| j as usize).collect();
            let mut dates: Vec<i64> = rows.iter().filter(|r| r.0 == c).map(|r| r.2).collect();
            dates.sort();
            dates.dedup();
            let unseen: Vec<usize> = (0..30).filter(|i| !own.contains(i)).collect();
            let ease = |i: usize| own.iter().map(|&j| weights[j * 30 + i]).sum::<f64>();
            let desc = |i: usize| own.iter().map(|&j| text[j * 30 + i]).sum::<f64>();
            let best = |f: &dyn Fn(usize) -> f64| unseen.iter().map(|&i| f(i)).fold(0.0, f64::max);
            let (be, bt) = (best(&ease), best(&desc));
            let mut want: Vec<(f64, u32)> = unseen
                .iter()
                .map(|&i| {
                    let blend = 0.7 * ease(i).max(0.0) / be + 0.3 * desc(i).max(0.0) / bt;
                    let exposure = days(first_sale(i)).min(days(dates[0]));
                    let visits = dates.iter().filter(|&&t| t >= first_sale(i)).count() as f64;
                    let prior = buyers(i).powf(-0.2)
                        * (days(last_sale(i)) + 7.0).powf(-0.25)
                        * (exposure + 7.0).powf(-0.5)
                        * (visits + 2.0).powf(-0.3);
                    (blend * prior, i as u32)
                })
                .filter(|x| x.0 > 0.0)
                .collect();
            want.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
            want.truncate(5);
            let got: Vec<(f64, u32)> = recs
                .of(c)
                .iter()
                .filter(|r| r.source == Source::Neighbours)
                .map(|r| (r.score.unwrap(), r.item))
                .collect();
            assert_eq!(got.len(), want.len(), "customer {c}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.1, w.1, "customer {c}: {got:?} vs {want:?}");
                assert!((g.0 - w.0).abs() <= 1e-12 * w.0.abs(), "customer {c}: {g:?} vs {w:?}");
            }
        }
    }

    #[test]
    fn popularity_exponent_scales_scores_by_buyers() {
        // 1: A      2: A P Q      3: A P      4: A P      (P has 3 buyers, Q 1)
        let m =
            matrix(&[("1", "A"), ("2", "A"), ("2", "P"), ("2", "Q"), ("3", "A"), ("3", "P"), ("4", "A"), ("4", "P")]);
        let nb = crate::similarity::run(&m, &ModelConfig::default(), &Progress::hidden()).unwrap().0;
        let plain = plain_cfg(2, 10);
        let r = run(&m, &nb, &plain, &Progress::hidden()).0;
        let (p, q) = (r.of(0)[0], r.of(0)[1]);
        assert_eq!((p.item, q.item), (1, 2), "P (three supporters) before Q");
        let boosted = RecommendConfig { popularity_exponent: -2.0, ..plain };
        let r = run(&m, &nb, &boosted, &Progress::hidden()).0;
        let (q2, p2) = (r.of(0)[0], r.of(0)[1]);
        assert_eq!((q2.item, p2.item), (2, 1), "γ = -2 puts the rarer Q first");
        assert_eq!(p2.score, Some(p.score.unwrap() * 3f64.powf(-2.0)));
        assert_eq!(q2.score, q.score, "one buyer: × 1");
    }

    #[test]
    fn item_models_decay_by_the_customers_own_purchase_age() {
        // customer 1 bought A long ago and B recently; A's only neighbour is X, B's is Y
        let day = 86_400;
        let rows = [
            ("1", "A", Some(0)),
            ("1", "B", Some(60 * day)),
            ("2", "A", Some(60 * day)),
            ("2", "X", Some(60 * day)),
            ("3", "B", Some(0)),
            ("3", "Y", Some(0)),
        ];
        let m = Interactions::from_rows(rows.iter().map(|&(c, i, t)| (c, i, 1.0, None, t)));
        let model = ModelConfig { kind: Kind::Item, ..Default::default() };
        let nb = crate::similarity::run(&m, &model, &Progress::hidden()).unwrap().0;
        let scores = |cfg: &RecommendConfig| -> Vec<(u32, Option<f64>)> {
            run(&m, &nb, cfg, &Progress::hidden()).0.of(0).iter().map(|r| (r.item, r.score)).collect()
        };
        // A–X and B–Y have the same cosine (1/√2): a tie, X (lower id) first
        let sim = 1.0 / 2f64.sqrt();
        let (x, y) = (
            m.items.iter().position(|i| i == "X").unwrap() as u32,
            m.items.iter().position(|i| i == "Y").unwrap() as u32,
        );
        assert_eq!(scores(&plain_cfg(2, 10)), [(x, Some(sim)), (y, Some(sim))]);
        // a 30-day half-life: A (60 days old) votes a quarter, B (newest) in full — Y first
        let decayed = RecommendConfig { recency_half_life_days: Some(30.0), ..plain_cfg(2, 10) };
        assert_eq!(scores(&decayed), [(y, Some(sim)), (x, Some(sim * 0.25))]);
    }
    /// u1 {A}, u2 {A B}, u3 {B C} in UK; f1 {D}, f2 {D E} in FR; e1 {F} alone in ES; n1 {E}
    /// without a segment: no model row, every list a top-up of 3.
    fn segmented() -> Interactions {
        let rows = [
            ("1", "A"),
            ("2", "A"),
            ("2", "B"),
            ("3", "B"),
            ("3", "C"),
            ("4", "D"),
            ("5", "D"),
            ("5", "E"),
            ("6", "F"),
            ("7", "E"),
        ];
        let mut m = matrix(&rows);
        let none = crate::pivot::Segments::NONE;
        m.segments = crate::pivot::Segments {
            of: vec![2, 2, 2, 1, 1, 0, none],
            names: vec!["ES".into(), "FR".into(), "UK".into()],
        };
        m
    }

    fn top_ups(m: &Interactions, cfg: &RecommendConfig) -> (Vec<Vec<(char, Source)>>, RecommendReport) {
        let none = Model::User(crate::similarity::Neighbours::empty(m.n_customers()));
        let (recs, report) = run(m, &none, cfg, &Progress::hidden());
        let name = |i: u32| m.items[i as usize].chars().next().unwrap();
        let lists =
            (0..m.n_customers()).map(|c| recs.of(c).iter().map(|r| (name(r.item), r.source)).collect()).collect();
        (lists, report)
    }

    #[test]
    fn the_segment_top_up_ranks_the_segments_buyers_then_the_global_order() {
        use crate::config::Fallback;
        use Source::{Popular as P, PopularSegment as S};
        let m = segmented();
        let by = RecommendConfig {
            per_customer: 3,
            fallback: Fallback::PopularBy("Country".into()),
            min_segment_customers: 2,
            ..Default::default()
        };
        let (lists, report) = top_ups(&m, &by);
        // global: A B D E (2 buyers, by id) C F; UK: A B (2) C; FR: D (2) E
        assert_eq!(lists[0], [('B', S), ('C', S), ('D', P)], "u1: UK's left, then global past UK's items");
        assert_eq!(lists[1], [('C', S), ('D', P), ('E', P)]);
        assert_eq!(lists[2], [('A', S), ('D', P), ('E', P)]);
        assert_eq!(lists[3], [('E', S), ('A', P), ('B', P)], "f1: FR's E, then global past D and E");
        assert_eq!(lists[4], [('A', P), ('B', P), ('C', P)], "f2 bought all of FR's: global");
        assert_eq!(lists[5], [('A', P), ('B', P), ('D', P)], "e1: ES has 1 customer < 2: global");
        assert_eq!(lists[6], [('A', P), ('B', P), ('D', P)], "n1: no segment: global");
        assert_eq!((report.segment_rows, report.popular_rows, report.from_neighbours_rows), (5, 16, 0));
        assert_eq!(report.topped_up_customers, 7);
        // every segment below the minimum: exactly the global top-up
        let (global, report) = top_ups(&m, &RecommendConfig { fallback: Fallback::Popular, ..by.clone() });
        assert_eq!(top_ups(&m, &RecommendConfig { min_segment_customers: 4, ..by }).0, global);
        assert_eq!(global[0], [('B', P), ('D', P), ('E', P)]);
        assert_eq!((report.segment_rows, report.popular_rows), (0, 21));
    }

    #[test]
    fn sources_read_back_from_their_names() {
        for source in Source::ALL {
            assert_eq!(Source::parse(source.as_str()), Some(source));
        }
        assert_eq!(Source::PopularSegment.as_str(), "popular_segment");
        assert_eq!(Source::parse("segment"), None);
    }
}
