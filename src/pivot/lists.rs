//! Item ids that are lists of items joined in one field: an export with one row per order whose
//! item column holds the order's items (WooCommerce Analytics' `Product(s)`, `6× WHITE MUG,
//! 2× RED BAG`; an ERP's `SKUs`, `85123A;71053;84406B`). Each list is read as one product,
//! nearly every "product" has one buyer, and the lists published recommend baskets (helper-102:
//! 1,870 "items", 1,860 bought once, exit 0 and no word).
//!
//! A separator alone does not tell a list: product names hold commas (`MUG, RED`; 65 of the
//! shipped export's 3,896 descriptions), titles carry tags (`Vase 1, Boho Decor, Gift`), a till
//! writes a drink with its modifiers (`Americano, Caramel`), a bundle's code may join two
//! others (`A;B`). What does is how the parts and the wholes recur. An order's items come in
//! any order: an item stands first in one list and later in another, and at another place
//! counted from the start and from the end — while a name's first part is what the rest
//! qualify, and its parts keep their places. And a list is bought as rarely as an order is:
//! most by one customer, or fewer than the shop's items are. Each is a majority of what the
//! data holds, with no count fitted to one shop.

use serde::Serialize;
use std::collections::HashMap;

/// The separators an order's items are joined with in one field: a list's (`,` `;` `|`, a line
/// or a tab) and a sum's (`/`, `+`). A name holding one keeps its first part first (below).
const SEPARATORS: [char; 7] = [',', ';', '|', '\n', '\t', '/', '+'];

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
    /// The parts of all the lists.
    pub parts: u64,
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
    /// of the separators, or `None`. Those with two parts or more (a number written with digit
    /// grouping, `5,000,903,851,641`, is one id) are lists when
    /// - of the lists whose first part recurs, most have it at a later place in another: an
    ///   order's items come in any order, where a name's first part is what the rest qualify —
    ///   a product before its colour, a drink before its modifiers, a title before its tags
    ///   (helper-107: titles, a café's `Americano, Caramel` and a print shop's lines were
    ///   refused by the next two tests alone);
    /// - most occurrences of the parts recurring among them are of parts that move (stand at
    ///   more than one place counted from the start and from the end);
    /// - they are bought as rarely as orders are: most by one customer, or fewer on average
    ///   than the other items (a small shop's orders recur: 10 products, 800 customers).
    ///
    /// Where several separators qualify, the one cutting the lists into the fewest parts (the
    /// orders' `|` of a format whose products' fields are joined by `,`).
    pub fn of(items: &[String], buyers: &[u32]) -> Option<ItemLists> {
        let lists = SEPARATORS.iter().filter_map(|&separator| Self::joined_by(items, buyers, separator));
        lists.min_by_key(|l| (l.parts, std::cmp::Reverse(l.items)))
    }

    /// [`ItemLists::of`] of `m`'s items; their buyers counted only when an id holds a
    /// separator (a pass over every purchase: 20 million at a million customers).
    pub fn of_matrix(m: &super::Interactions) -> Option<ItemLists> {
        let joined = m.items.iter().any(|id| id.contains(SEPARATORS));
        joined.then(|| ItemLists::of(&m.items, &m.buyers())).flatten()
    }

    fn joined_by(items: &[String], buyers: &[u32], separator: char) -> Option<ItemLists> {
        let mut places: HashMap<&str, Places> = HashMap::new();
        let (mut lists, mut bought_once, mut list_buyers, mut other_items) = (0usize, 0usize, 0u64, 0usize);
        let (mut all_parts, mut purchases, mut other_purchases) = (0u64, 0u64, 0u64);
        let (mut example, mut counted) = (None, false);
        let (mut parts, mut firsts) = (Vec::new(), Vec::new());
        for (id, &b) in items.iter().zip(buyers) {
            parts.clear();
            if id.contains(separator) && super::number_key(id).is_none() {
                parts.extend(id.split(separator).map(named).filter(|(p, _)| !p.is_empty()));
            }
            if parts.len() < 2 {
                other_purchases += u64::from(b);
                other_items += 1;
                continue;
            }
            lists += 1;
            bought_once += usize::from(b == 1);
            list_buyers += u64::from(b);
            all_parts += parts.len() as u64;
            purchases += u64::from(b) * parts.len() as u64;
            example.get_or_insert(id);
            firsts.push(parts[0].0);
            let last = parts.len() - 1;
            for (i, &(p, count)) in parts.iter().enumerate() {
                counted |= count;
                places.entry(p).or_insert_with(|| Places::new(i, last - i)).seen(i, last - i);
            }
        }
        let recurring = places.values().filter(|p| p.count >= 2);
        let (occurrences, moving) =
            recurring.fold((0, 0), |(all, moving), p| (all + p.count, moving + if p.moves() { p.count } else { 0 }));
        let first_recurs = firsts.iter().filter_map(|p| places.get(p).filter(|p| p.count >= 2));
        let (recurring_firsts, later) =
            first_recurs.fold((0, 0), |(n, later), p| (n + 1, later + usize::from(p.later)));
        // fewer buyers a list than an item: Σ list buyers / lists < Σ other buyers / other items
        let rarer = 2 * bought_once > lists
            || (list_buyers as u128) * (other_items as u128) < (other_purchases as u128) * (lists as u128);
        let lists_of_items = 2 * later > recurring_firsts && 2 * moving > occurrences && rarer;
        lists_of_items.then(|| ItemLists {
            separator: separator.to_string(),
            items: lists,
            of: items.len(),
            parts: all_parts,
            purchases,
            other_purchases,
            counted,
            example: cut(example.map_or("", String::as_str)),
        })
    }

    /// Whether the lists are most of the export — most of its item ids, or more purchases than
    /// the other items hold: one row per order (helper-107: a quarter of the orders holding two
    /// items made 467 of 750 published items baskets), not a few ids that join others.
    pub fn most_of_the_export(&self) -> bool {
        2 * self.items > self.of || self.purchases > self.other_purchases
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
    /// Seen at a place other than the first.
    later: bool,
    count: usize,
}

impl Places {
    fn new(start: usize, end: usize) -> Self {
        Places { start, end, start_moved: false, end_moved: false, later: false, count: 0 }
    }

    fn seen(&mut self, start: usize, end: usize) {
        self.start_moved |= start != self.start;
        self.end_moved |= end != self.end;
        self.later |= start > 0;
        self.count += 1;
    }

    /// An order's item stands anywhere; a name's part keeps its place from one end (the colour
    /// last in `MUG, RED` and `LARGE MUG, RED`, whatever the length).
    fn moves(&self) -> bool {
        self.start_moved && self.end_moved
    }
}

/// A part of a list, trimmed of spaces and of a JSON array's brackets and quotes
/// (`["20220A","20222A"]`), without a count before it (`6× WHITE MUG`, `2 x BAG`: the same
/// item is bought in other quantities in other orders), and whether it had one.
fn named(p: &str) -> (&str, bool) {
    let p = p.trim_matches(|c: char| c.is_whitespace() || matches!(c, '[' | ']' | '"' | '\''));
    let digits = p.len() - p.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return (p, false);
    }
    let rest = p[digits..].trim_start();
    match rest.strip_prefix(['x', 'X', '×', '*']) {
        Some(name) if name.starts_with(char::is_whitespace) => (name.trim_start(), true),
        _ => (p, false),
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
        assert!(lists.most_of_the_export());
        assert_eq!(lists.parts, 10);
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
        assert_eq!(ItemLists::of(&bundles, &[40, 25, 30, 30, 25, 20]), None, "bundles bought as items are");
        assert!(ItemLists::of(&bundles, &[4, 5, 3, 90, 80, 70]).is_some(), "bought as rarely as orders are");
        assert!(ItemLists::of(&bundles, &[1, 1, 1, 2, 2, 2]).is_some(), "most bought once");
        // a drink before its modifiers, a title before its tags: the first part never later
        let cafe = ids(&["Americano, Oat", "Americano, Caramel, Oat", "Latte, Caramel", "Latte, Oat, Caramel"]);
        assert_eq!(ItemLists::of(&cafe, &[1, 1, 1, 1]), None, "modifiers after their drink");
        let titles = ids(&["Vase 1, Boho Decor, Gift", "Lamp 2, Gift, Boho Decor", "Rug 3, Boho Decor"]);
        assert_eq!(ItemLists::of(&titles, &[1, 1, 1]), None, "tags after a title");
        // numbers written with digit grouping are ids, not lists
        let grouped = ids(&["5,000,903,851,641", "903,851", "851,903"]);
        assert_eq!(ItemLists::of(&grouped, &[1, 1, 1]), None);
        // a JSON array's items, and the coarsest separator of a nested format
        let json = ids(&["[\"A1\",\"B2\"]", "[\"B2\",\"C3\",\"A1\"]", "[\"C3\",\"A1\"]"]);
        assert_eq!(ItemLists::of(&json, &[1, 1, 1]).map(|l| l.separator), Some(",".to_string()));
        let nested =
            ids(&["Id: 1, Qty: 2|Id: 2, Qty: 1", "Id: 2, Qty: 1|Id: 1, Qty: 1", "Id: 3, Qty: 2|Id: 1, Qty: 2"]);
        assert_eq!(ItemLists::of(&nested, &[1, 1, 1]).map(|l| l.separator), Some("|".to_string()));
        let apart = ids(&["A;B", "C;D", "E;F"]);
        assert_eq!(ItemLists::of(&apart, &[1, 1, 1]), None, "no part recurs");
        assert_eq!(ItemLists::of(&ids(&["85123A", "71053"]), &[1, 1]), None);
    }

    /// A count before a name is set aside only when a space follows its `x`; the example is cut.
    #[test]
    fn parts_are_named_without_their_count() {
        assert_eq!(named(" 6× WHITE MUG"), ("WHITE MUG", true));
        assert_eq!(named("2 x BAG"), ("BAG", true));
        assert_eq!(named("12*TEA"), ("12*TEA", false));
        assert_eq!(named("3XL SHIRT"), ("3XL SHIRT", false));
        assert_eq!(named(" \"85123A\"]"), ("85123A", false));
        assert_eq!(cut(&"é".repeat(81)), format!("{}…", "é".repeat(80)));
        assert_eq!(cut("A\nB"), "A\\nB");
    }
}
