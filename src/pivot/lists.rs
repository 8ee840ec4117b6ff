//! Item ids that are lists of items joined in one field: an export with one row per order whose
//! item column holds the order's items (WooCommerce Analytics' `Product(s)`, `6× WHITE MUG,
//! 2× RED BAG`; an ERP's `SKUs`, `85123A;71053;84406B`). Each list is read as one product,
//! nearly every "product" has one buyer, and the lists published recommend baskets (helper-102:
//! 1,870 "items", 1,860 bought once, exit 0 and no word).
//!
//! A separator alone does not tell a list: product names hold commas (`MUG, RED`; 65 of the
//! shipped export's 3,896 descriptions), a bundle's code may join two others (`A;B`). What does
//! is how the parts and the wholes recur. An order's items come in any order, so an item that
//! recurs across lists stands at another place in them — counted from the start and from the
//! end — while a name's parts keep theirs (the colour last, the product first). And a list is
//! one order: bought by one customer, where a product named with commas, or a bundle, is bought
//! by its many. Both are majorities of what the data holds, with no count fitted to one shop.

use serde::Serialize;
use std::collections::HashMap;

/// The separators an order's items are joined with in one field.
const SEPARATORS: [char; 4] = [',', ';', '|', '\n'];

/// The longest example printed, in characters.
const EXAMPLE_CHARS: usize = 80;

/// Item ids that are lists of other items joined by one separator ([`ItemLists::of`]).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ItemLists {
    /// The separator the lists are joined with.
    pub separator: String,
    /// The item ids that are lists (two parts or more).
    pub items: usize,
    /// All item ids.
    pub of: usize,
    /// The purchases the lists hold: each list's parts × its buyers.
    pub purchases: u64,
    /// The purchases of the other items (their buyers).
    pub other_purchases: u64,
    /// Whether some parts were written with a count before them (`6× WHITE MUG`).
    pub counted: bool,
    /// The first list in byte order, cut at 80 characters.
    pub example: String,
}

impl ItemLists {
    /// The item ids of `items` (each bought by `buyers`) that are lists of items joined by one
    /// of the separators, or `None`: those with two parts or more, when most occurrences of the
    /// parts recurring among them are of parts that move (stand at more than one place counted
    /// from the start and from the end), and most of them are bought by one customer. Where
    /// several separators qualify, the one joining the most ids.
    pub fn of(items: &[String], buyers: &[u32]) -> Option<ItemLists> {
        let lists = SEPARATORS.iter().filter_map(|&separator| Self::joined_by(items, buyers, separator));
        lists.max_by_key(|l| l.items)
    }

    fn joined_by(items: &[String], buyers: &[u32], separator: char) -> Option<ItemLists> {
        let mut places: HashMap<&str, Places> = HashMap::new();
        let (mut lists, mut bought_once, mut purchases, mut other_purchases) = (0usize, 0usize, 0u64, 0u64);
        let (mut example, mut counted) = (None, false);
        let mut parts = Vec::new();
        for (id, &b) in items.iter().zip(buyers) {
            parts.clear();
            if id.contains(separator) {
                parts.extend(id.split(separator).map(str::trim).filter(|p| !p.is_empty()));
            }
            if parts.len() < 2 {
                other_purchases += u64::from(b);
                continue;
            }
            lists += 1;
            bought_once += usize::from(b == 1);
            purchases += u64::from(b) * parts.len() as u64;
            example.get_or_insert(id);
            let last = parts.len() - 1;
            for (i, p) in parts.iter().map(|p| named(p)).enumerate() {
                counted |= p.len() < parts[i].len();
                places.entry(p).or_insert_with(|| Places::new(i, last - i)).seen(i, last - i);
            }
        }
        let recurring = places.values().filter(|p| p.count >= 2);
        let (occurrences, moving) =
            recurring.fold((0, 0), |(all, moving), p| (all + p.count, moving + if p.moves() { p.count } else { 0 }));
        let lists_of_items = 2 * moving > occurrences && 2 * bought_once > lists;
        lists_of_items.then(|| ItemLists {
            separator: separator.to_string(),
            items: lists,
            of: items.len(),
            purchases,
            other_purchases,
            counted,
            example: cut(example.map_or("", String::as_str)),
        })
    }

    /// Whether the lists hold more purchases than the other items: the export is one row per
    /// order, not a few ids that happen to join others.
    pub fn most_purchases(&self) -> bool {
        self.purchases > self.other_purchases
    }

    /// What they are, for a warning or a gate: "N of the M items of column 'C' are lists of
    /// items joined by 'S' (e.g. …), holding P purchases against Q of the other items".
    pub fn said(&self, column: &str) -> String {
        let separator = match self.separator.as_str() {
            "\n" => "line breaks".to_string(),
            s => format!("'{s}'"),
        };
        format!(
            "{} of the {} items of column '{column}' are lists of items joined by {separator} (e.g. '{}'): the same parts recur in them at any place and most lists were bought once, as an order's items are; they hold {} purchases against {} of the other items",
            self.items, self.of, self.example, self.purchases, self.other_purchases
        )
    }
}

/// Where one part stood: its first place from the start and from the end, whether it stood
/// elsewhere since, and how often it was seen.
struct Places {
    start: usize,
    end: usize,
    start_moved: bool,
    end_moved: bool,
    count: usize,
}

impl Places {
    fn new(start: usize, end: usize) -> Self {
        Places { start, end, start_moved: false, end_moved: false, count: 0 }
    }

    fn seen(&mut self, start: usize, end: usize) {
        self.start_moved |= start != self.start;
        self.end_moved |= end != self.end;
        self.count += 1;
    }

    /// An order's item stands anywhere; a name's part keeps its place from one end (the colour
    /// last in `MUG, RED` and `LARGE MUG, RED`, whatever the length).
    fn moves(&self) -> bool {
        self.start_moved && self.end_moved
    }
}

/// A part of a list (trimmed) without a count before it (`6× WHITE MUG`, `2 x BAG`): the same
/// item is bought in other quantities in other orders.
fn named(p: &str) -> &str {
    let digits = p.len() - p.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return p;
    }
    let rest = p[digits..].trim_start();
    match rest.strip_prefix(['x', 'X', '×', '*']) {
        Some(name) if name.starts_with(char::is_whitespace) => name.trim_start(),
        _ => p,
    }
}

/// `s` cut at [`EXAMPLE_CHARS`] characters, `…` after when cut; line breaks shown as `\n`.
fn cut(s: &str) -> String {
    let shown: String = s.chars().take(EXAMPLE_CHARS).collect::<String>().replace('\n', "\\n");
    match s.chars().count() > EXAMPLE_CHARS {
        true => format!("{shown}…"),
        false => shown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(values: &[&str]) -> Vec<String> {
        values.iter().map(|s| s.to_string()).collect()
    }

    /// Orders whose items are joined in one field, each list bought once: told, by the
    /// separator that joins them, with the purchases they hold.
    #[test]
    fn orders_joined_in_one_field_are_lists() {
        let items = ids(&["A1;B2;C3", "B2;A1", "C3;D4;A1", "D4;B2", "E5"]);
        let lists = ItemLists::of(&items, &[1, 1, 1, 1, 3]).expect("lists");
        assert_eq!((lists.separator.as_str(), lists.items, lists.of), (";", 4, 5));
        assert_eq!((lists.purchases, lists.other_purchases, lists.example.as_str()), (10, 3, "A1;B2;C3"));
        assert!(lists.most_purchases());
        // WooCommerce's counts before each name, and a name holding its own comma
        let woo = ids(&["6× WHITE MUG, 2× RED BAG", "1× RED BAG, 12× WHITE MUG", "3 x TEA, SMALL, 6× WHITE MUG"]);
        let lists = ItemLists::of(&woo, &[1, 1, 1]).expect("lists");
        assert_eq!((lists.separator.as_str(), lists.items, lists.counted), (",", 3, true));
        assert!(!ItemLists::of(&items, &[1, 1, 1, 1, 3]).unwrap().counted);
    }

    /// What is not a list of items: a name's parts that keep their place (the colour last), a
    /// bundle bought by many, a few names that share no part, ids without a separator.
    #[test]
    fn names_and_bundles_are_not_lists() {
        let named = ids(&["MUG, RED", "MUG, BLUE", "LARGE MUG, RED", "BAG, RED", "BAG, LARGE, BLUE"]);
        assert_eq!(ItemLists::of(&named, &[1, 1, 1, 1, 1]), None, "parts keeping their place");
        let bundles = ids(&["A;B", "B;C", "C;A", "A", "B", "C"]);
        assert_eq!(ItemLists::of(&bundles, &[40, 25, 30, 90, 80, 70]), None, "bundles bought by many");
        assert!(ItemLists::of(&bundles, &[1, 1, 1, 90, 80, 70]).is_some(), "the same bought once each");
        let apart = ids(&["A;B", "C;D", "E;F"]);
        assert_eq!(ItemLists::of(&apart, &[1, 1, 1]), None, "no part recurs");
        assert_eq!(ItemLists::of(&ids(&["85123A", "71053"]), &[1, 1]), None);
    }

    /// A count before a name is set aside only when a space follows its `x`; the example is cut.
    #[test]
    fn parts_are_named_without_their_count() {
        assert_eq!(named("6× WHITE MUG"), "WHITE MUG");
        assert_eq!(named("2 x BAG"), "BAG");
        assert_eq!(named("12*TEA"), "12*TEA");
        assert_eq!(named("3XL SHIRT"), "3XL SHIRT");
        assert_eq!(named("85123A"), "85123A");
        assert_eq!(cut(&"é".repeat(81)), format!("{}…", "é".repeat(80)));
        assert_eq!(cut("A\nB"), "A\\nB");
    }
}
