//! Description similarity: items whose descriptions share rare words (EASE's blend partner,
//! `[model] description_weight`).
//!
//! An item's words are the runs of two or more letters A–Z in its upper-cased description
//! (the most frequent one, as in `items.parquet`). Words found in fewer than two items, or in
//! more than half of them, are dropped; an item's vector holds idf = ln(items / items with the word) for each of its
//! words, scaled to length 1. The similarity of two items is the square of their cosine, 0 for
//! an item with itself and for an item without words. Dense items × items, row-major (EASE's
//! size limit applies); each row is summed in ascending word order, so runs are identical
//! whatever the thread count.

use std::collections::HashMap;

use rayon::prelude::*;

use super::weighted::Rows;
use super::{keep_best, Candidate, BLOCK};

/// The words of a description: distinct runs of ≥ 2 letters A–Z after upper-casing, sorted.
pub fn words(text: &str) -> Vec<String> {
    let upper = text.to_uppercase();
    let mut out: Vec<String> =
        upper.split(|c: char| !c.is_ascii_uppercase()).filter(|w| w.len() >= 2).map(String::from).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The items' idf vectors (word, weight; ascending word, length 1) and each word's postings
/// (item, weight; ascending item). A word in more than half the items is the catalogue's stop
/// word (`SIZE` in a clothes shop's every name, its brand, `SET`-like words where most items
/// are sets; scikit-learn's `max_df = 0.5`): its idf is below ln 2, it tells items apart less
/// than any other, and its postings made every row that holds it cost half the catalogue — a
/// rows' computation quadratic in the items (`SIZE` in all but one of 108,000 items: the
/// sparse EASE fit 33 → 173 s). Left out; so, as before, is a word in every item (ln 1 = 0).
struct Vectors {
    vectors: Vec<Vec<(usize, f64)>>,
    postings: Vec<Vec<(u32, f64)>>,
}

/// Each item's words.
fn words_of(descriptions: &[Option<String>]) -> Vec<Vec<String>> {
    descriptions.iter().map(|d| words(d.as_deref().unwrap_or(""))).collect()
}

/// How many items hold each of the items' `words`.
fn frequencies(words: &[Vec<String>]) -> HashMap<&str, u32> {
    let mut df: HashMap<&str, u32> = HashMap::new();
    for w in words.iter().flatten() {
        *df.entry(w.as_str()).or_insert(0) += 1;
    }
    df
}

/// Whether a word in `d` of `n` items is kept ([`Vectors`]): in two at least, half at most.
fn kept(d: u32, n: usize) -> bool {
    d >= 2 && 2 * d as usize <= n
}

/// Whether any word is kept ([`Vectors`]): without one every item's vector is empty, every
/// similarity 0, and the blend is its model alone — descriptions that are codes
/// (`subclass 130315`: one word in every item, a helper's grocer of 23,812 items) made 4
/// candidates of 24 the plain ones again, fitted for nothing (the selection 6.5 → 5.7 s).
pub fn tells_items_apart(descriptions: &[Option<String>]) -> bool {
    frequencies(&words_of(descriptions)).values().any(|&d| kept(d, descriptions.len()))
}

impl Vectors {
    fn new(descriptions: &[Option<String>]) -> Vectors {
        let n = descriptions.len();
        let words = words_of(descriptions);
        let df = frequencies(&words);
        let mut vocabulary: Vec<&str> = df.iter().filter(|(_, &d)| kept(d, n)).map(|(&w, _)| w).collect();
        vocabulary.sort_unstable();
        let id: HashMap<&str, usize> = vocabulary.iter().enumerate().map(|(k, &w)| (w, k)).collect();
        let vectors: Vec<Vec<(usize, f64)>> = words
            .iter()
            .map(|ws| {
                let mut v: Vec<(usize, f64)> = ws
                    .iter()
                    .filter_map(|w| id.get(w.as_str()).map(|&k| (k, (n as f64 / df[w.as_str()] as f64).ln())))
                    .collect();
                v.sort_unstable_by_key(|x| x.0);
                let norm = v.iter().map(|x| x.1 * x.1).sum::<f64>().sqrt();
                if norm > 0.0 {
                    v.iter_mut().for_each(|x| x.1 /= norm);
                }
                v
            })
            .collect();
        let mut postings: Vec<Vec<(u32, f64)>> = vec![Vec::new(); vocabulary.len()];
        for (i, v) in vectors.iter().enumerate() {
            for &(k, w) in v {
                postings[k].push((i as u32, w));
            }
        }
        Vectors { vectors, postings }
    }

    /// Item `a`'s cosines: `add(b, term)` for every term of every b sharing a word, in the one
    /// order (a's words ascending, each word's items ascending).
    #[inline]
    fn row(&self, a: usize, mut add: impl FnMut(usize, f64)) {
        for &(k, wa) in &self.vectors[a] {
            for &(b, wb) in &self.postings[k] {
                add(b as usize, wa * wb);
            }
        }
    }
}

/// Squared cosine between the items' idf-weighted word sets, dense and row-major.
pub fn similarity(descriptions: &[Option<String>]) -> Vec<f64> {
    let n = descriptions.len();
    let v = Vectors::new(descriptions);
    let mut c = vec![0.0; n * n];
    c.par_chunks_mut(n.max(1)).enumerate().for_each(|(a, row)| {
        v.row(a, |b, x| row[b] += x);
        row[a] = 0.0;
        row.iter_mut().for_each(|x| *x *= *x);
    });
    c
}

/// [`similarity`] kept sparse: each item's `keep` largest positive similarities (ties to the
/// lower item), as rows ascending by item — the same floats as the dense rows' entries.
pub fn similarity_rows(descriptions: &[Option<String>], keep: usize) -> Rows {
    let n = descriptions.len();
    let v = Vectors::new(descriptions);
    let blocks: Vec<(Vec<usize>, Vec<Candidate>)> = (0..n.div_ceil(BLOCK))
        .into_par_iter()
        .map_init(
            || (vec![0.0; n], vec![u32::MAX; n], Vec::<u32>::new(), Vec::<Candidate>::new()),
            |(acc, mark, touched, best), block| {
                let range = block * BLOCK..((block + 1) * BLOCK).min(n);
                let (mut lens, mut out) = (Vec::with_capacity(range.len()), Vec::new());
                for a in range {
                    v.row(a, |b, x| {
                        if mark[b] != a as u32 {
                            mark[b] = a as u32;
                            touched.push(b as u32);
                        }
                        acc[b] += x;
                    });
                    best.clear();
                    for &b in touched.iter() {
                        let s = acc[b as usize] * acc[b as usize];
                        acc[b as usize] = 0.0;
                        if b as usize != a && s > 0.0 {
                            best.push((s, b, 0));
                        }
                    }
                    touched.clear();
                    keep_best(best, keep);
                    best.sort_unstable_by_key(|c| c.1);
                    lens.push(best.len());
                    out.extend_from_slice(best);
                }
                (lens, out)
            },
        )
        .collect();
    Rows::from_blocks(n, n, blocks)
}

/// The description blend of an item model's scores, for one customer: (1 − w) × score / its
/// best + w × description votes / their best, each best over the items the customer has not
/// bought (negative parts count 0; a best ≤ 0 divides by 1). `Model::Ease` and
/// `Model::SparseEase` both score through it.
#[derive(Debug, Clone, Copy)]
pub struct Blend {
    w: f64,
    best_model: f64,
    best_text: f64,
}

impl Blend {
    /// The blend with share `w` of the description, given the customer's best scores.
    pub fn new(w: f64, best_model: f64, best_text: f64) -> Blend {
        let scale = |best: f64| if best > 0.0 { best } else { 1.0 };
        Blend { w, best_model: scale(best_model), best_text: scale(best_text) }
    }

    /// An item's blended score from its model score and its description votes.
    #[inline]
    pub fn score(&self, model: f64, text: f64) -> f64 {
        (1.0 - self.w) * (model.max(0.0) / self.best_model) + self.w * (text.max(0.0) / self.best_text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_runs_of_capital_letters() {
        assert_eq!(words("Red heart T-light holder, 6 pc"), ["HEART", "HOLDER", "LIGHT", "PC", "RED"]);
        assert_eq!(words("RED RED a"), ["RED"]);
        assert!(words("").is_empty());
    }

    #[test]
    fn similarity_is_the_squared_cosine_of_idf_vectors() {
        let d = |s: &str| Some(s.to_string());
        // RED in 3 items, HEART in 2, BOX in 2; UNIQUE, LONE in one item each (dropped).
        let items = [d("RED HEART"), d("RED BOX UNIQUE"), d("BLUE BOX"), d("RED HEART LONE"), None, d("BLUE")];
        let c = similarity(&items);
        let n = items.len() as f64;
        let (red, heart, bx, blue) = ((n / 3.0).ln(), (n / 2.0).ln(), (n / 2.0).ln(), (n / 2.0).ln());
        let cos = |a: &[f64], b: &[f64]| {
            let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            let na = a.iter().map(|x| x * x).sum::<f64>().sqrt();
            let nb = b.iter().map(|x| x * x).sum::<f64>().sqrt();
            if na == 0.0 || nb == 0.0 {
                0.0
            } else {
                dot / (na * nb)
            }
        };
        // vectors over (RED, HEART, BOX, BLUE)
        let v = [
            [red, heart, 0.0, 0.0],
            [red, 0.0, bx, 0.0],
            [0.0, 0.0, bx, blue],
            [red, heart, 0.0, 0.0],
            [0.0; 4],
            [0.0, 0.0, 0.0, blue],
        ];
        for a in 0..6 {
            for b in 0..6 {
                let want = if a == b { 0.0 } else { cos(&v[a], &v[b]).powi(2) };
                assert!((c[a * 6 + b] - want).abs() < 1e-12, "({a}, {b}): {} vs {want}", c[a * 6 + b]);
            }
        }
        assert!((c[3] - 1.0).abs() < 1e-12, "same words: 1");
        // a word in more than half the items (SIZE in 4 of 6) is a stop word: the same cosines;
        // in exactly half (3 of 6) it is a word
        let sized = |k: usize| -> Vec<Option<String>> {
            let add = |(i, t): (usize, &Option<String>)| match (i < k, t) {
                (true, Some(t)) => d(&format!("{t} SIZE")),
                _ => t.clone(),
            };
            items.iter().enumerate().map(add).collect()
        };
        assert_eq!(similarity(&sized(4)), c);
        assert_ne!(similarity(&sized(3)), c);
    }
}
