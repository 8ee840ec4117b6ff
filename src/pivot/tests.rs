//! Pivot's unit tests: tiny matrices checked by hand.

use super::*;

fn build(rows: &[(&'static str, &'static str, f64)]) -> Interactions {
    Interactions::from_triples(rows.iter().map(|&(c, i, q)| (c, i, q, None)))
}

#[test]
fn sums_quantities_and_orders_ids() {
    let m = build(&[("20", "B", 1.0), ("3", "A", 2.0), ("20", "B", 2.0), ("3", "C", 1.0), ("100", "A", 1.0)]);
    assert_eq!(m.customers, CustomerIds::Int(vec![3, 20, 100]));
    assert_eq!(m.items, ["A", "B", "C"]);
    assert_eq!(m.row(0), [0, 2]);
    assert_eq!(m.row(1), [1]);
    assert_eq!(m.quantity[2], 3.0);
    let (offsets, buyers) = m.transpose();
    assert_eq!(offsets, [0, 2, 3, 4]);
    assert_eq!(buyers, [0, 2, 1, 0]);
    assert_eq!(m.pair_work(), 4.0 + 1.0 + 1.0);
}

#[test]
fn rows_missing_a_customer_item_or_quantity_are_skipped() {
    let m = Interactions::from_columns(
        [Some("2"), None, Some("1"), Some("1")].into_iter(),
        [Some("A"), Some("B"), None, Some("C")].into_iter(),
        [Some(1.0), Some(1.0), Some(1.0), None].into_iter(),
        [Some("a"), Some("b"), Some("x"), Some("c")].into_iter(),
        [None, None, None, None].into_iter(),
    )
    .unwrap();
    assert_eq!(m.customers, CustomerIds::Int(vec![2]));
    assert_eq!(m.items, ["A"]);
    assert_eq!(m.descriptions, [Some("a".to_string())]);
}

#[test]
fn dates_of_items_and_customers() {
    // customer 3 nets to zero and is dropped with its item Z; customer 2 has one undated row
    let rows = [
        ("1", "A", 1.0, Some(50)),
        ("1", "B", 1.0, Some(10)),
        ("1", "A", 1.0, Some(10)),
        ("2", "A", 1.0, Some(30)),
        ("2", "B", 1.0, None),
        ("3", "Z", 2.0, Some(5)),
        ("3", "Z", -2.0, Some(6)),
    ];
    let m = Interactions::from_rows(rows.iter().map(|&(c, i, q, t)| (c, i, q, None, t)));
    assert_eq!(m.customers, CustomerIds::Int(vec![1, 2]));
    assert_eq!(m.dates.item_first, [10, 10]);
    assert_eq!(m.dates.item_last, [50, 10]);
    assert_eq!((m.dates.of(0), m.dates.of(1)), (&[10, 50][..], &[30][..]));
    let undated = Interactions::from_triples([("1", "A", 1.0, None)].into_iter());
    assert_eq!(undated.dates, Dates::default());
    assert!(undated.dates.of(0).is_empty());
}

#[test]
fn net_zero_pairs_and_their_orphans_are_dropped() {
    let m = build(&[("1", "A", 1.0), ("2", "B", 2.0), ("2", "B", -2.0)]);
    assert_eq!(m.customers, CustomerIds::Int(vec![1]));
    assert_eq!(m.items, ["A"]);
    assert_eq!(m.n_pairs(), 1);
}

#[test]
fn leading_zeros_make_ids_text() {
    let m = build(&[("007", "A", 1.0), ("7", "A", 1.0), ("10", "A", 1.0)]);
    assert_eq!(m.customers, CustomerIds::Text(vec!["007".into(), "10".into(), "7".into()]));
    assert_eq!(m.customers.find("7"), Some(2));
}

#[test]
fn most_frequent_description_wins_ties_by_bytes() {
    let rows = [
        ("1", "A", 1.0, Some("b")),
        ("2", "A", 1.0, Some("a")),
        ("3", "A", 1.0, Some("c")),
        ("4", "A", 1.0, Some("c")),
        ("1", "B", 1.0, None),
    ];
    let m = Interactions::from_triples(rows.into_iter());
    assert_eq!(m.descriptions, [Some("c".to_string()), None]);
    let rows = [("1", "A", 1.0, Some("b")), ("2", "A", 1.0, Some("a"))];
    assert_eq!(Interactions::from_triples(rows.into_iter()).descriptions, [Some("a".to_string())]);
    // an item's descriptions alternating, blanks between them, another item in between:
    // each row counts for its own (item, description)
    let texts = [("A", "b"), ("A", "a"), ("A", "  "), ("B", "c"), ("A", "a"), ("A", "a"), ("A", "b"), ("B", "a")];
    let rows = texts.iter().enumerate().map(|(k, &(i, d))| (["1", "2", "3"][k % 3], i, 1.0, Some(d)));
    let m = Interactions::from_triples(rows);
    assert_eq!(m.descriptions, [Some("a".to_string()), Some("a".to_string())]);
}

/// Issue 14 case 6: two rows of one pair with quantity 1.7e308 summed to +inf in the matrix
/// (and on into purchases.parquet); a sum that leaves the finite numbers is refused, naming
/// the customer, the item, how many rows and the largest quantity.
#[test]
fn a_pair_whose_quantities_sum_past_the_largest_number_is_refused() {
    let pivot = |rows: &[(&'static str, &'static str, f64)]| {
        Interactions::from_columns(
            rows.iter().map(|r| Some(r.0)),
            rows.iter().map(|r| Some(r.1)),
            rows.iter().map(|r| Some(r.2)),
            rows.iter().map(|_| None),
            rows.iter().map(|_| None),
        )
    };
    let big = 1.7e308;
    let err = pivot(&[("1", "A", 1.0), ("2", "B", big), ("1", "B", 2.0), ("2", "B", big)]).unwrap_err();
    assert_eq!(err, Overflow { customer: "2".into(), item: "B".into(), rows: 2, largest: big, sum: f64::INFINITY });
    let err = pivot(&[("9", "Z", -big), ("9", "Z", -big)]).unwrap_err();
    assert_eq!((err.rows, err.sum), (2, f64::NEG_INFINITY), "a sum to -inf is no drop, it is an error too");
    let msg = err.error(std::path::Path::new("shop.csv")).to_string();
    for word in ["shop.csv", "customer 9", "item 'Z'", "2 rows", "1.7e308", "-inf"] {
        assert!(msg.contains(word), "{word}: {msg}");
    }
    // the largest finite sums are kept as they are
    let m = pivot(&[("1", "A", big), ("1", "A", -big), ("1", "A", big), ("2", "A", 1.0)]).unwrap();
    assert_eq!(m.quantity, [big, 1.0]);
}

/// A (customer, item, quantity, segment) row.
type SegmentRow<'a> = (&'a str, &'a str, f64, Option<&'a str>);

/// (customer, item, quantity, segment) rows through the pivot, as the clean stage passes them.
fn with_segments(rows: &[SegmentRow]) -> Interactions {
    let n = rows.len();
    let column = |name: &str, f: &dyn Fn(&SegmentRow) -> Option<String>| {
        Column::new(name.into(), rows.iter().map(f).collect::<Vec<Option<String>>>())
    };
    let customer = column("c", &|r| Some(r.0.to_string()));
    let item = column("i", &|r| Some(r.1.to_string()));
    let quantity = Column::new("q".into(), rows.iter().map(|r| r.2).collect::<Vec<f64>>());
    let frame = crate::roles::canonical(n, customer, item, Some(quantity), None, None).unwrap();
    let segment = column("s", &|r| r.3.map(str::to_string));
    let frame = crate::roles::with_segment(frame, Some(segment)).unwrap();
    run(Cleaned::all(frame), IdTyping::AUTO, std::path::Path::new("t.csv")).unwrap().0
}

#[test]
fn a_customers_segment_is_their_most_frequent_value_ties_to_the_smallest() {
    let m = with_segments(&[
        ("1", "A", 1.0, Some("UK")),
        ("1", "B", 1.0, Some("France")),
        ("1", "C", 1.0, Some("UK")), // 1: UK twice, France once → UK
        ("2", "A", 1.0, Some("UK")),
        ("2", "B", 1.0, Some("France")), // 2: one each → France (byte order), whatever came first
        ("3", "A", 1.0, None),
        ("3", "B", 1.0, Some("")), // 3: a blank (the readers make it null before the pivot)
        ("4", "A", 1.0, None),
        ("4", "B", 1.0, Some("Spain")),  // 4: a null does not vote
        ("5", "A", -1.0, Some("Italy")), // 5: no positive pair, dropped with its segment
    ]);
    assert_eq!(m.customers, CustomerIds::Int(vec![1, 2, 3, 4]));
    assert_eq!(m.segments.names, ["", "France", "Italy", "Spain", "UK"]);
    let names: Vec<Option<&str>> =
        (0..4).map(|c| m.segments.of(c).map(|s| m.segments.names[s as usize].as_str())).collect();
    // "" here: the pivot counts what the audit passed; the readers turn blanks into nulls
    assert_eq!(names, [Some("UK"), Some("France"), Some(""), Some("Spain")]);
}

#[test]
fn without_a_segment_column_no_segments_are_kept() {
    let m = build(&[("1", "A", 1.0), ("2", "B", 1.0)]);
    assert!(m.segments.of.is_empty() && m.segments.names.is_empty());
    assert_eq!(m.segments.of(0), None);
}

#[test]
fn season_popularity_counts_the_buyers_who_last_bought_in_the_same_weeks_a_year_before_and_lately() {
    const DAY: i64 = 86_400;
    let newest = 1000;
    let year = newest - YEAR_DAYS as i64;
    // S: 3 buyers in the weeks a year before (not since); R: 4 buyers then who all bought it
    // again since (their last purchase is recent: counted as recent buyers), 1 who did not;
    // T: 2 buyers just before those weeks and 2 just after them (outside); U: the newest
    let rows = [
        ("1", "S", year),
        ("2", "S", year + 10),
        ("3", "S", year + 29),
        ("1", "R", year + 1),
        ("1", "R", newest - 5),
        ("2", "R", newest - 2),
        ("3", "R", newest - 1),
        ("4", "R", newest - 3),
        ("5", "R", year + 3),
        ("4", "T", year - 1),
        ("5", "T", year - 2),
        ("6", "T", year + 30),
        ("7", "T", year + 31),
        ("8", "U", newest),
    ];
    let m = Interactions::from_rows(rows.iter().map(|&(c, i, d)| (c, i, 1.0, None, Some(d * DAY))));
    let names = |order: Vec<u32>| order.iter().map(|&i| m.items[i as usize].clone()).collect::<Vec<_>>();
    // each buyer's last purchase also weighs 0.5^(age / days): a year old, under 0.001
    let recent = |ages: &[f64]| ages.iter().map(|a| (-a / 30.0).exp2()).sum::<f64>();
    let near = |got: f64, want: f64| (got - want).abs() < 0.005;
    let w = m.season_weights(30.0);
    let at = |name: &str| w[m.items.iter().position(|i| i == name).unwrap()];
    assert!(near(at("S"), 3.0) && near(at("T"), 0.0), "{w:?}");
    assert!(near(at("R"), 1.0 + recent(&[5.0, 2.0, 1.0, 3.0])) && near(at("U"), 1.0), "{w:?}");
    assert_eq!(names(m.season_popularity_order(30.0)), ["R", "S", "U", "T"]);
    // 32 days take T's two buyers on days 30 and 31 in
    let w = m.season_weights(32.0);
    assert!(near(w[m.items.iter().position(|i| i == "T").unwrap()], 2.0), "{w:?}");
    // nothing dated that far back: the recent popularity at a half-life of those days
    let young = Interactions::from_rows(rows[5..8].iter().map(|&(c, i, d)| (c, i, 1.0, None, Some(d * DAY))));
    assert_eq!(young.season_popularity_order(30.0), young.recent_popularity_order(Some(30.0)));
}

#[test]
fn recent_popularity_weighs_each_buyer_by_their_last_purchase() {
    const DAY: i64 = 86_400;
    // A: 3 buyers 100 days ago; B: 2 buyers today; C: 2 buyers 100 days ago; D, E: 1 buyer
    // today each (a tie: the lower id first); F: 1 undated buyer (weighs as the median dated
    // purchase, 100 days old: after A and C)
    let rows = [
        ("1", "A", 0),
        ("2", "A", 0),
        ("3", "A", 0),
        ("1", "B", 100),
        ("2", "B", 100),
        ("4", "C", 0),
        ("5", "C", 0),
        ("6", "E", 100),
        ("7", "D", 100),
    ];
    let dated = rows.iter().map(|&(c, i, d)| (c, i, 1.0, None, Some(d * DAY)));
    let m = Interactions::from_rows(dated.chain([("8", "F", 1.0, None, None)]));
    let names = |order: Vec<u32>| order.iter().map(|&i| m.items[i as usize].clone()).collect::<Vec<_>>();
    assert_eq!(names(m.popularity_order()), ["A", "B", "C", "D", "E", "F"]);
    assert_eq!(names(m.recent_popularity_order(None)), ["A", "B", "C", "D", "E", "F"]);
    // half-life 10 days: A weighs 3 × 2^-10, C 2 × 2^-10, F 2^-10, B 2, D and E 1
    assert_eq!(names(m.recent_popularity_order(Some(10.0))), ["B", "D", "E", "A", "C", "F"]);
    // a long half-life: A's three old buyers outweigh B's two new ones again
    assert_eq!(names(m.recent_popularity_order(Some(1000.0))), ["A", "B", "C", "D", "E", "F"]);
    let undated =
        Interactions::from_triples([("1", "A", 1.0, None), ("2", "B", 1.0, None), ("3", "B", 1.0, None)].into_iter());
    assert_eq!(undated.recent_popularity_order(Some(10.0)), undated.popularity_order());
}

#[test]
fn an_undated_purchase_weighs_as_the_median_dated_one() {
    // pairs (1,A) 0 d, (1,B) 20 d, (2,A) 40 d, (2,C) undated: the newest at 40 days
    let day = 86_400;
    let rows = [("1", "A", Some(0)), ("1", "B", Some(20 * day)), ("2", "A", Some(40 * day)), ("2", "C", None)];
    let m = Interactions::from_rows(rows.iter().map(|&(c, i, t)| (c, i, 1.0, None, t)));
    let w = m.recency(Some(20.0)).unwrap();
    // in pair order (1,A) (1,B) (2,A) (2,C): ages 40, 20, 0 days; the undated one as the median (20)
    assert_eq!(w, [0.25, 0.5, 1.0, 0.5]);
    assert_eq!(dated(&[5, i64::MIN, 1, 9, 3]).as_ref(), [5, 3, 1, 9, 3], "the lower middle of 1 3 5 9");
    assert_eq!(dated(&[i64::MIN]).as_ref(), [i64::MIN], "nothing dated: unchanged");
}

/// E-mail addresses written in two cases were two customers, each with half the history,
/// without a word: the ids equal to another but for case are counted, the first pair named.
#[test]
fn customer_ids_equal_but_for_case_are_found() {
    let ids: Vec<String> =
        ["alice@example.com", "Bob", "Alice@Example.com", "ALICE@EXAMPLE.COM", "José G", "JOSÉ G", "7"]
            .into_iter()
            .map(String::from)
            .collect();
    let twins = CaseTwins::of(&ids).unwrap();
    assert_eq!(
        (twins.ids, twins.example.clone()),
        (3, ["alice@example.com".to_string(), "Alice@Example.com".to_string()])
    );
    assert!(twins
        .warning()
        .starts_with("3 customer ids equal to another but for case ('alice@example.com' and 'Alice@Example.com')"));
    let one = CaseTwins::of(&["Bob Li".to_string(), "bob li".to_string()]).unwrap();
    assert!(one.warning().starts_with("1 customer id equal to another"), "{}", one.warning());
    assert_eq!(CaseTwins::of(&["Bob".to_string(), "Rob".to_string(), "17850".to_string()]), None);
    // a code's case may be its own (Salesforce's ids): not compared
    assert_eq!(CaseTwins::of(&["0035g0000004C9A".to_string(), "0035g0000004C9a".to_string()]), None);
}

/// Ids alike but for their Unicode form were customers and items of their own without a word
/// (helper-109): an accent composed or combining, full-width letters. Every id is compared so
/// (a code's form is no choice of the shop's, its case may be); case only for addresses.
#[test]
fn ids_alike_but_for_their_unicode_form_are_found() {
    let strings = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let twins = CaseTwins::of(&strings(&["jos\u{e9}@shop.es", "bob", "jose\u{301}@shop.es"])).unwrap();
    assert_eq!(twins.ids, 1);
    assert!(twins.warning().starts_with("1 customer id equal to another but for how its characters are encoded"));
    // full width beside ASCII, a code without `@` or a space: compared in form, not in case
    let twins = CaseTwins::of(&strings(&["AB1", "\u{ff21}\u{ff22}\u{ff11}", "ab1"])).unwrap();
    assert_eq!((twins.ids, twins.example.clone()), (1, ["AB1".to_string(), "\u{ff21}\u{ff22}\u{ff11}".to_string()]));
    // and with case on an address
    assert_eq!(CaseTwins::of(&strings(&["\u{ff42}ob@shop.com", "Bob@shop.com"])).map(|t| t.ids), Some(1));
    assert_eq!(CaseTwins::of(&strings(&["cr\u{e8}me", "creme", "cr\u{e9}me"])), None, "other letters");
    // items: with the same description (its form aside)
    let mut m =
        build(&[("1", "CR\u{c8}ME-1", 1.0), ("2", "CRE\u{300}ME-1", 1.0), ("3", "AB1", 1.0), ("4", "\u{ff21}B1", 1.0)]);
    m.descriptions = m
        .items
        .iter()
        .map(|i| Some(if i.contains("ME") { "CR\u{c8}ME POT".to_string() } else { "MUG".to_string() }))
        .collect();
    let twins = CaseTwins::of_items(&m).unwrap();
    assert_eq!(twins.ids, 2, "{twins:?}");
    assert!(twins.item_warning().contains("but for how its characters are encoded"), "{}", twins.item_warning());
    let describe = |m: &mut Interactions, id: &str, name: &str| {
        let at = m.items.iter().position(|i| i == id).unwrap();
        m.descriptions[at] = Some(name.to_string());
    };
    describe(&mut m, "CRE\u{300}ME-1", "CRE\u{300}ME POT");
    assert_eq!(CaseTwins::of_items(&m).map(|t| t.ids), Some(2), "descriptions compared in their form");
    describe(&mut m, "\u{ff21}B1", "CUP");
    assert_eq!(CaseTwins::of_items(&m).map(|t| t.ids), Some(1), "another description is another product");
}

/// A customer id that is another's whole number written with leading zeros, digit grouping or
/// full-width digits is counted (helper-102); a fraction, groups not of three, mixed
/// separators or letters are no such number.
#[test]
fn customer_ids_of_one_number_written_otherwise_are_counted() {
    for (id, key) in [
        ("0012347", Some("12347")),
        ("12,347", Some("12347")),
        ("12.347", Some("12347")),
        ("1 234 567", Some("1234567")),
        ("12'347", Some("12347")),
        ("\u{ff11}\u{ff12}\u{ff13}\u{ff14}\u{ff17}", Some("12347")),
        ("000", Some("0")),
        ("12347", Some("12347")),
        ("+12347", Some("12347")),
        ("\u{ff0b}12347", Some("12347")),
        ("-12347", Some("-12347")),
        ("-012,347", Some("-12347")),
        ("-0", Some("0")),
        ("1.2347E4", Some("12347")),
        ("1.2347e+04", Some("12347")),
        ("1E5", Some("100000")),
        ("123470E-1", Some("12347")),
        ("-1.5E1", Some("-15")),
        ("1.23E1", None),
        ("1E999", None),
        ("E5", None),
        ("1E", None),
        ("1.2.3E4", None),
        ("+", None),
        ("-", None),
        ("1-2", None),
        ("1234,567", None),
        ("12,34", None),
        ("1,234.567", None),
        ("C12347", None),
        ("", None),
        (",", None),
    ] {
        assert_eq!(number_key(id).as_deref(), key, "{id:?}");
    }
    let m =
        build(&[("12347", "A", 1.0), ("0012347", "B", 1.0), ("12,347", "C", 1.0), ("C1", "A", 1.0), ("C01", "A", 1.0)]);
    let twins = CaseTwins::of_numbers(&m).unwrap();
    assert_eq!(twins.ids, 2, "{twins:?}");
    assert!(twins.number_warning().starts_with("2 customer ids the same number as another written otherwise ("));
    assert_eq!(CaseTwins::of_numbers(&build(&[("12347", "A", 1.0), ("12348", "A", 1.0)])), None, "Int64 ids");
    assert_eq!(CaseTwins::of_numbers(&build(&[("12347", "A", 1.0), ("X", "A", 1.0)])), None);
    // items: the same number and the same description; another description is another product
    let mut m = build(&[("1", "00123", 1.0), ("2", "123", 1.0), ("3", "0456", 1.0), ("4", "456", 1.0)]);
    m.descriptions = m
        .items
        .iter()
        .map(|i| Some(if i.ends_with("456") && i.starts_with('0') { "CUP" } else { "MUG" }.to_string()))
        .collect();
    let twins = CaseTwins::of_item_numbers(&m).unwrap();
    assert_eq!((twins.ids, twins.example.clone()), (1, ["00123".to_string(), "123".to_string()]), "{twins:?}");
    assert!(twins.item_number_warning().starts_with("1 item id the same number as another"));
}

/// helper-135: bought 0.1 and 0.2 kg, returned 0.3 — the doubles sum to 5.55e-17 (in another
/// order 2.78e-17), and the pair was a purchase; it nets to nothing, in any order. A real
/// remainder, however small beside the lines, stays.
#[test]
fn quantities_that_net_to_nothing_in_binary_are_no_purchase() {
    for rows in [
        [("1", "W", 0.1), ("1", "W", 0.2), ("1", "W", -0.3), ("2", "W", 1.0)],
        [("1", "W", -0.3), ("1", "W", 0.1), ("1", "W", 0.2), ("2", "W", 1.0)],
    ] {
        let m = build(&rows);
        assert_eq!(m.customers, CustomerIds::Int(vec![2]), "{rows:?}");
    }
    let m = build(&[("1", "W", 1000.0), ("1", "W", -999.999), ("2", "W", 1.0)]);
    assert_eq!(m.customers, CustomerIds::Int(vec![1, 2]));
    assert!((m.quantity[0] - 0.001).abs() < 1e-9);
}
