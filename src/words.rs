//! Words in messages: a count and its noun, plural but for one. Messages wrote `{n} customers`
//! as they were written for the common case, and said "1 customers" (`kindred evaluate` on a
//! sample with one customer to test, helper-112); a dozen places counted nouns each their own
//! way. A count in a message goes through here (a few that are never 1, and counts shown beside
//! a limit, still write their plural).

/// `noun` as it goes with `n`: plural (an `s` added) but for one.
pub fn plural(n: usize, noun: &str) -> String {
    match n {
        1 => noun.to_string(),
        _ => format!("{noun}s"),
    }
}

/// `n` and its noun: "1 customer", "2 customers", "0 customers".
pub fn counted(n: usize, noun: &str) -> String {
    format!("{n} {}", plural(n, noun))
}

/// The form of a verb whose subject is a count of `n`: `one` for 1 ("1 of the rows has"),
/// `many` for every other ("0 of the rows have", "2 … have").
pub fn agrees<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    match n {
        1 => one,
        _ => many,
    }
}

/// `n` and its noun as their owner: "1 customer's", "2 customers'".
pub fn counted_own(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}'s"),
        _ => format!("{n} {noun}s'"),
    }
}

/// A size in bytes as a person reads it, in decimal units: "812 bytes", "12 KB", "2.3 MB",
/// "4.1 GB". A size shown in GB alone read "0.0 GB" for the 40 MB left on a disk.
pub fn size(bytes: u64) -> String {
    match bytes as f64 {
        b if b < 1e3 => counted(bytes as usize, "byte"),
        b if b < 1e6 => format!("{:.0} KB", b / 1e3),
        b if b < 1e9 => format!("{:.1} MB", b / 1e6),
        b => format!("{:.1} GB", b / 1e9),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_the_unit_that_fits() {
        let cases =
            [(1, "1 byte"), (812, "812 bytes"), (12_345, "12 KB"), (40_000_000, "40.0 MB"), (2.3e6 as u64, "2.3 MB")];
        for (bytes, text) in cases.into_iter().chain([(500_000_000_000, "500.0 GB"), (4_071_000_000, "4.1 GB")]) {
            assert_eq!(size(bytes), text);
        }
    }

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1, "customer"), "1 customer");
        assert_eq!(counted(0, "customer"), "0 customers");
        assert_eq!(counted(2, "row"), "2 rows");
        assert_eq!(plural(1, "item"), "item");
        assert_eq!(counted_own(1, "customer"), "1 customer's");
        assert_eq!(counted_own(7, "customer"), "7 customers'");
        assert_eq!(
            (agrees(1, "has", "have"), agrees(0, "has", "have"), agrees(3, "is", "are")),
            ("has", "have", "are")
        );
    }
}
