//! The similarity stage's output: one type per model kind, each asked the same question by
//! `recommend` — customer c's candidate items, with their scores and supporters.
//!
//! A customer's candidates by kind (K = `from_neighbours`), each term × the recency weight
//! 0.5^(age / `recency_half_life_days`) of the purchase it comes from when a half-life is set
//! (the neighbour's, or the customer's own for item models):
//! - [`Model::User`]: Σ similarity of the customer's top-K neighbours who bought the item, summed
//!   in neighbour-rank order; supporters counts those neighbours;
//! - [`Model::Item`]: Σ over the customer's items, ascending, of their similarity to the item
//!   when it is among their top-K neighbours; supporters counts those items;
//! - [`Model::Ease`]: Σ over the customer's items, ascending, of their learnt weight for the
//!   item (every item, no top-K); see [`Ease`];
//! - [`Model::SparseEase`]: the same sum over the sparse weights; see [`SparseEase`].
//!
//! Sums run in a fixed order, so they are bit-reproducible. Items the customer owns are never
//! candidates. A new kind is a variant here plus its file (how it learns, how it votes).

use super::ease::{self, Ease};
use super::sparse_ease::{self, SparseEase};
use super::Neighbours;
use crate::config::Kind;
use crate::pivot::Interactions;

/// A learnt model: what the similarity stage returns and `recommend` asks for candidates.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// Customers' neighbours (customers); their purchases are recommended.
    User(Neighbours),
    /// Items' neighbours (items); a customer's items vote for theirs.
    Item(Neighbours),
    /// EASE's dense item weights, with each item's largest as its neighbours.
    Ease(Ease),
    /// EASE fitted on each item's most co-purchased items: sparse weights, neighbours as EASE.
    SparseEase(SparseEase),
}

impl Model {
    /// The model's kind (`[model] kind`).
    pub fn kind(&self) -> Kind {
        match self {
            Model::User(_) => Kind::User,
            Model::Item(_) => Kind::Item,
            Model::Ease(_) => Kind::Ease,
            Model::SparseEase(_) => Kind::SparseEase,
        }
    }

    /// The neighbour list published: customers' for `User`, items' for the other kinds.
    pub fn neighbours(&self) -> &Neighbours {
        match self {
            Model::User(nb) | Model::Item(nb) => nb,
            Model::Ease(e) => &e.neighbours,
            Model::SparseEase(e) => &e.neighbours,
        }
    }

    /// Readies `votes` for `customers` (ascending), asked next one by one: a model that scores
    /// a block of customers at once (EASE) does it here; the neighbour models need nothing.
    pub fn begin_block(&self, customers: &[usize], m: &Interactions, recency: Option<&[f64]>, votes: &mut Votes) {
        if let Model::Ease(e) = self {
            e.begin_block(customers, m, recency, &mut votes.block);
        }
    }

    /// Scores customer `c`'s candidates into `votes` (see the module doc), with `k` =
    /// `from_neighbours` and `recency` the per-purchase weights (`None`: every purchase 1).
    /// `c`'s items must already be owned ([`Votes::own`]).
    pub fn vote(&self, c: usize, m: &Interactions, k: usize, recency: Option<&[f64]>, votes: &mut Votes) {
        match self {
            Model::User(nb) => customer_votes(nb, c, m, k, recency, votes),
            Model::Item(nb) => item_votes(nb, c, m, k, recency, votes),
            Model::Ease(e) => e.vote(c, m, votes),
            Model::SparseEase(e) => e.vote(c, m, recency, votes),
        }
    }

    /// The supporters shown for item `i` listed for customer `c`, given the count `voted`.
    /// EASE counts them for the listed items only (the customer's items with a positive weight).
    pub fn supporters(&self, m: &Interactions, c: usize, i: u32, voted: u32) -> u32 {
        match self {
            Model::User(_) | Model::Item(_) => voted,
            Model::Ease(e) => e.supporters(m, c, i),
            Model::SparseEase(e) => e.supporters(m, c, i),
        }
    }
}

/// The K nearest customers' purchases, each weighing its similarity (× recency).
fn customer_votes(nb: &Neighbours, c: usize, m: &Interactions, k: usize, recency: Option<&[f64]>, s: &mut Votes) {
    let stamp = c as u32;
    let weight = |p: usize| recency.map_or(1.0, |w| w[p]);
    let (ids, sims, _) = nb.of(c);
    for (&b, &sim) in ids.iter().zip(sims).take(k) {
        let span = m.indptr[b as usize]..m.indptr[b as usize + 1];
        for (p, &i) in span.clone().zip(&m.indices[span]) {
            s.vote(stamp, i, sim * weight(p));
        }
    }
}

/// Each item the customer bought votes for its K nearest items (× its own recency).
fn item_votes(nb: &Neighbours, c: usize, m: &Interactions, k: usize, recency: Option<&[f64]>, s: &mut Votes) {
    let stamp = c as u32;
    let weight = |p: usize| recency.map_or(1.0, |w| w[p]);
    let own = m.indptr[c]..m.indptr[c + 1];
    for (p, &j) in own.zip(m.row(c)) {
        let (ids, sims, _) = nb.of(j as usize);
        for (&i, &sim) in ids.iter().zip(sims).take(k) {
            s.vote(stamp, i, sim * weight(p));
        }
    }
}

/// One worker's scratch for scoring customers one at a time: per item the last customer that
/// owns it, and the current customer's running score and supporters; the items voted for.
/// Allocated once per worker, reset per customer by [`Votes::clear`] (only what was touched).
pub struct Votes {
    /// Per item: the last customer that owns it (`u32::MAX`: none yet) — scanned whole by
    /// EASE, so kept apart from the slots.
    pub(super) owner: Vec<u32>,
    /// Per item: its score and supporters side by side (a vote's one place).
    pub(super) items: Vec<Slot>,
    /// The items with a vote, in the order of their first.
    pub(super) touched: Vec<u32>,
    /// The state of a model that scores a block of customers at once (EASE).
    pub(super) block: ease::Block,
    /// The per-customer sums of a sparse model (sparse EASE).
    pub(super) sums: sparse_ease::Sums,
}

/// An item's running score and supporters for the current customer.
#[derive(Clone, Copy, Default)]
pub(super) struct Slot {
    pub(super) score: f64,
    pub(super) support: u32,
}

impl Votes {
    /// Empty votes over `items` items.
    pub fn new(items: usize) -> Votes {
        Votes {
            owner: vec![u32::MAX; items],
            items: vec![Slot::default(); items],
            touched: Vec::new(),
            block: ease::Block::default(),
            sums: sparse_ease::Sums::default(),
        }
    }

    /// Marks `row` (customer `c`'s items) as owned by `c`: never a candidate.
    pub fn own(&mut self, c: usize, row: &[u32]) {
        for &i in row {
            self.owner[i as usize] = c as u32;
        }
    }

    /// True when customer `c` owns item `i`.
    #[inline]
    pub fn owns(&self, c: usize, i: u32) -> bool {
        self.owner[i as usize] == c as u32
    }

    /// Adds `value` to item `i`'s score unless customer `stamp` owns it.
    #[inline]
    pub(super) fn vote(&mut self, stamp: u32, i: u32, value: f64) {
        if self.owner[i as usize] == stamp {
            return;
        }
        let slot = &mut self.items[i as usize];
        if slot.support == 0 {
            self.touched.push(i);
        }
        slot.score += value;
        slot.support += 1;
    }

    /// The candidates: every item with a vote, in the order of their first.
    pub fn candidates(&self) -> &[u32] {
        &self.touched
    }

    /// Item `i`'s score and supporters (0, 0 without a vote).
    #[inline]
    pub fn get(&self, i: u32) -> (f64, u32) {
        let slot = self.items[i as usize];
        (slot.score, slot.support)
    }

    /// True when item `i` is a candidate.
    #[inline]
    pub fn voted(&self, i: u32) -> bool {
        self.items[i as usize].support != 0
    }

    /// Forgets the current customer's votes (ownership is replaced by the next `own`).
    pub fn clear(&mut self) {
        for &i in &self.touched {
            self.items[i as usize] = Slot::default();
        }
        self.touched.clear();
    }
}
