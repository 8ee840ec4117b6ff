//! Description similarity: items whose descriptions share rare words (EASE's blend partner,
//! `[model] description_weight`).
//!
//! An item's words are the runs of two or more letters A–Z in its upper-cased description
//! (the most frequent one, as in `items.parquet`). Words found in fewer than two items are
//! dropped; an item's vector holds idf = ln(items / items with the word) for each of its
//! words, scaled to length 1. The similarity of two items is the square of their cosine, 0 for
//! an item with itself and for an item without words. Dense items × items, row-major (EASE's
//! size limit applies); each row is summed in ascending word order, so runs are identical
//! whatever the thread count.

use std::collections::HashMap;

use rayon::prelude::*;

/// The words of a description: distinct runs of ≥ 2 letters A–Z after upper-casing, sorted.
pub fn words(text: &str) -> Vec<String> {
    let upper = text.to_uppercase();
    let mut out: Vec<String> =
        upper.split(|c: char| !c.is_ascii_uppercase()).filter(|w| w.len() >= 2).map(String::from).collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Squared cosine between the items' idf-weighted word sets, dense and row-major.
pub fn similarity(descriptions: &[Option<String>]) -> Vec<f64> {
    let n = descriptions.len();
    let words: Vec<Vec<String>> = descriptions.iter().map(|d| words(d.as_deref().unwrap_or(""))).collect();
    let mut df: HashMap<&str, u32> = HashMap::new();
    for w in words.iter().flatten() {
        *df.entry(w.as_str()).or_insert(0) += 1;
    }
    let mut vocabulary: Vec<&str> = df.iter().filter(|(_, &d)| d >= 2).map(|(&w, _)| w).collect();
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
    let mut c = vec![0.0; n * n];
    c.par_chunks_mut(n.max(1)).enumerate().for_each(|(a, row)| {
        for &(k, wa) in &vectors[a] {
            for &(b, wb) in &postings[k] {
                row[b as usize] += wa * wb;
            }
        }
        row[a] = 0.0;
        row.iter_mut().for_each(|x| *x *= *x);
    });
    c
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
    }
}
