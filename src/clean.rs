//! Clean: drops the rows the method cannot use, rule by rule, counting each.
//!
//! Takes the canonical frame from the audit and the `[clean]` rules; returns the kept rows
//! ([`Cleaned`]: the frame and a mask, the rows not copied) and a [`CleanReport`] with rows
//! in/out per rule. First, an order's later lines written without its customer and date are
//! counted, and with `fill_order_lines` take the dated line above's ([`order_lines`]). Rules,
//! in order: the header repeated as a row (listed only when there is one), `exclude_rows` and
//! `keep_rows` (by the values of columns no role reads, an order's status; [`row_filter`]),
//! quantity below
//! `min_quantity` (by default 0 or less: returns and cancellations), a null or invalid
//! customer, item or quantity, then `exclude_items` (non-products such as POST or BANK
//! CHARGES; `*` patterns).
//!
//! Then, as the article checks after `dropna()` that no null is left, [`after_cleaning`]
//! counts the nulls left in the kept rows of every mapped role's column and states it; a null
//! left in a column cleaning requires (customer, item, quantity) is a bug, and the run fails.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use polars::prelude::*;
use serde::Serialize;

use crate::config::{matched_items, row_column, CleanConfig, RowFilter, ORDER_COLUMN};
use crate::error::{Error, Result};
use crate::roles::{col, longest_gap, stray_tails};

/// Rows dropped by one rule.
#[derive(Debug, Clone, Serialize)]
pub struct RuleReport {
    pub rule: String,
    pub rows_in: usize,
    pub rows_out: usize,
}

/// What cleaning did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CleanReport {
    pub rows_in: usize,
    pub rows_out: usize,
    pub rules: Vec<RuleReport>,
    /// Lines that took the customer and date of the dated line above ([`order_lines`]); a guest
    /// order's among them (they take its date and stay guests').
    pub filled_order_lines: usize,
    /// Lines that look like an order's later lines written without its fields, and were not
    /// filled (`fill_order_lines` off, or the lines do not follow their orders): dropped as
    /// guests' lines.
    pub unfilled_order_lines: usize,
    /// Lines with a customer but no date right below that customer's dated line (an order's
    /// date on its first line only), not filled: kept undated ([`order_lines`]).
    pub undated_order_lines: usize,
    /// The most such lines below one dated line, and the export's distinct items: more lines
    /// than items below one line are no order's ([`order_lines`]).
    #[serde(skip)]
    pub order_lines: OrderLines,
    /// `exclude_items` entries that match no item of the export (a typo, an id not sold).
    pub unmatched_exclude_items: Vec<String>,
    /// Of them, those an item matches in another case, with that item (said in a warning).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exclude_items_in_another_case: Vec<(String, String)>,
    /// What each `exclude_rows` and `keep_rows` column did (none when none is set).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub row_filters: Vec<RowFilterReport>,
    /// Kept customer ids that name no one ([`is_placeholder`]: `0`, `Guest`, `Walk-in
    /// Customer`), with their kept rows: each is published as one customer who bought what
    /// every guest bought.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub placeholder_customers: Vec<ValueRows>,
    /// A kept customer whose lines are a tenth of those kept or more and ten times the tenth
    /// largest customer's or more ([`dominant`]): one account holding many people's sales.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dominant_customer: Option<DominantCustomer>,
    /// Lines with a customer and a quantity but no item, dropped by the rule
    /// `missing_customer_item_or_quantity` (only when there are any).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines_without_item: Option<ItemlessLines>,
    /// Kept purchases dated after a silence the export never otherwise kept ([`strays`]):
    /// read as undated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stray_dates: Option<StrayDates>,
    /// Kept purchases dated before a silence the export never otherwise kept
    /// ([`strays`]: a placeholder date, 1970-01-01): read as undated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub early_dates: Option<EarlyDates>,
    pub seconds: f64,
    /// The nulls counted after cleaning ([`after_cleaning`]); absent where not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_cleaning: Option<AfterCleaning>,
    /// The weekdays (UTC, as the dates read) without a purchase in the last [`QUIET_WEEKS`]
    /// weeks of the kept purchases ([`quiet_weekdays`]): the days the shop does not sell, on
    /// which an unchanged export is no stalled export job (`kindred status --max-age`). Null
    /// without dates.
    pub quiet_weekdays: Option<Vec<String>>,
    /// The kept purchase lines of each day ([`kept_rows_by_day`]): what the next run compares
    /// its export's history with (`[gates] max_history_change_vs_previous`). Null without dates.
    pub kept_rows_by_day: Option<RowsByDay>,
}

/// What one row filter (`[clean] exclude_rows` or `keep_rows`, one column) did, counted on
/// the export's rows (the header repeated as a row aside) before any other rule.
#[derive(Debug, Clone, Serialize)]
pub struct RowFilterReport {
    /// `exclude_rows` or `keep_rows`.
    pub rule: &'static str,
    /// The column as the export's header names it.
    pub column: String,
    /// The column as the pipeline names it (its entry in the notes).
    #[serde(skip)]
    pub entry: String,
    /// The values listed.
    pub values: Vec<String>,
    /// Rows this filter drops (several filters may drop the same row).
    pub rows_dropped: usize,
    /// Rows with a customer, blank in the column: each took the verdict of its order's other
    /// lines (the same invoice and customer) when they hold a value; `exclude_rows` keeps the
    /// rest, `keep_rows` drops them.
    pub blank_rows: usize,
    /// Of the blank rows, those that took their order's verdict.
    pub blank_rows_by_order: usize,
    /// The invoice was read (`[columns] invoice` mapped): blank rows could take their order's
    /// verdict.
    #[serde(skip)]
    pub orders_read: bool,
    /// The column was read as holding its orders' values (on an order's first or last line,
    /// or where nothing tells: [`Placement::order_level`]): blank rows took their order's
    /// verdict. False with the invoice read: each line's own value (a return reason), blank
    /// rows matching nothing.
    pub order_level: bool,
    /// Blank rows of an order holding a value elsewhere, each its own (not [`Self::order_level`]).
    #[serde(skip)]
    pub blank_rows_own: usize,
    /// Where the values sit in the orders of several lines holding one, when that tells.
    #[serde(skip)]
    pub placement: Option<Placement>,
    /// Values listed that match no row (a typo, a case that differs, a status not seen).
    pub unmatched_values: Vec<String>,
    /// When a value matched nothing: the column's most frequent values (up to ten) and their
    /// rows, to say what it holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub column_values: Vec<ValueRows>,
}

/// The kept purchases [`strays`] read as undated at the newest end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StrayDates {
    /// Kept rows whose date was read as unknown.
    pub rows: usize,
    /// The first of them (the export's data row, 1-based) and its date.
    pub first_row: usize,
    pub first_date: String,
    /// Their newest date, and the newest date kept (the reference every age counts back from).
    pub newest_date: String,
    pub newest_kept: String,
    /// Days between the newest kept purchase and the first stray one, and the longest gap
    /// between purchase days before it.
    pub gap_days: f64,
    pub longest_gap_days: f64,
}

impl StrayDates {
    /// The run's warning, naming the date column (`column`, as the export names it).
    pub fn warning(&self, column: &str) -> String {
        let (rows, come) = rows_dated(self.rows, &self.first_date, &self.newest_date);
        format!(
            "{rows} in column '{column}' (the first: data row {}) {come} {} after the rest of the export, which ends {} and never otherwise went {} without a purchase: a mistyped year? Their dates are read as unknown (every age counts back from {}); correct them at the source",
            self.first_row,
            whole_days(self.gap_days),
            self.newest_kept,
            whole_days(self.longest_gap_days),
            self.newest_kept
        )
    }
}

/// Days rounded to whole ones, in words: "1 day", "12 days" (a helper's "went 1 days").
fn whole_days(days: f64) -> String {
    match days.round() {
        1.0 => "1 day".to_string(),
        d => format!("{d:.0} days"),
    }
}

/// "3 kept rows dated A … B" (or "1 kept row dated A") and the verb that follows it.
fn rows_dated(rows: usize, from: &str, to: &str) -> (String, &'static str) {
    let (s, come) = if rows == 1 { ("", "comes") } else { ("s", "come") };
    match from == to {
        true => (format!("{rows} kept row{s} dated {from}"), come),
        false => (format!("{rows} kept row{s} dated {from} … {to}"), come),
    }
}

/// The kept purchases [`strays`] read as undated at the oldest end.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EarlyDates {
    /// Kept rows whose date was read as unknown.
    pub rows: usize,
    /// The first of them (the export's data row, 1-based) and its date.
    pub first_row: usize,
    pub first_date: String,
    /// Their oldest and newest dates, and the oldest date kept (where the export starts).
    pub oldest_date: String,
    pub newest_date: String,
    pub oldest_kept: String,
    /// Days between the newest of them and the oldest kept purchase, and the longest gap
    /// between purchase days after it.
    pub gap_days: f64,
    pub longest_gap_days: f64,
}

impl EarlyDates {
    /// The run's warning, naming the date column (`column`, as the export names it).
    pub fn warning(&self, column: &str) -> String {
        let (rows, come) = rows_dated(self.rows, &self.oldest_date, &self.newest_date);
        format!(
            "{rows} in column '{column}' (the first: data row {}, {}) {come} {} before the rest of the export, which starts {} and never otherwise went {} without a purchase: a placeholder date (1970-01-01 of a zero timestamp, 1900-01-01 or 0001-01-01 of an empty one)? Their dates are read as unknown (aged as the median dated purchase, and no item's first sale); correct them at the source",
            self.first_row,
            self.first_date,
            whole_days(self.gap_days),
            self.oldest_kept,
            whole_days(self.longest_gap_days)
        )
    }
}

/// A value of a column and the rows holding it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueRows {
    pub value: String,
    pub rows: usize,
}

impl RowFilterReport {
    /// The notes: on listed values that matched no row, and on blank lines no order's verdict
    /// reached (`keep_rows` dropped them; without an invoice, `exclude_rows` kept them).
    pub fn notes(&self) -> Vec<String> {
        let entry = format!("[clean] {}.\"{}\"", self.rule, self.entry);
        let mut notes = Vec::new();
        if !self.unmatched_values.is_empty() {
            let listed: Vec<String> = self.unmatched_values.iter().map(|v| format!("'{v}'")).collect();
            let seen: Vec<String> = self.column_values.iter().map(|v| format!("'{}' ({})", v.value, v.rows)).collect();
            notes.push(format!(
                "{entry}: {} matched no row (values are matched exactly, case and spaces included; `*` stands for any characters); the column holds {}",
                listed.join(", "),
                if seen.is_empty() { "no value".to_string() } else { seen.join(", ") }
            ));
        }
        let unknown = self.blank_rows - self.blank_rows_by_order - self.blank_rows_own;
        let were = if unknown == 1 { "was" } else { "were" };
        let fate = match self.rule {
            "keep_rows" => format!("{were} dropped: keep_rows keeps only the rows it can see hold a listed value"),
            _ => format!("{were} kept: exclude_rows drops only the rows it can see hold a listed value"),
        };
        if let (false, Some(Placement::Blocks { edge, of, .. })) =
            (self.order_level || self.blank_rows_own == 0, self.placement)
        {
            notes.push(format!(
                "{entry}: the column's values were read as each line's own, not its order's: of the {of} orders of three lines or more holding one, {edge} hold it on their first or last line, where an order's value (Shopify's status) is written; {} of those orders with no value {} their own, {}",
                crate::words::counted(self.blank_rows_own, "line"),
                if self.blank_rows_own == 1 { "was read as" } else { "were read as" },
                match self.rule {
                    "keep_rows" => "dropped",
                    _ => "kept",
                }
            ));
        }
        match self.orders_read {
            // exclude_rows' blank: no value to exclude (`Cancelled at` of an order not cancelled)
            _ if unknown == 0 => {}
            true if self.rule == "exclude_rows" => {}
            true => notes.push(format!(
                "{entry}: {} with no value in the column, nor on another line of their invoice, {fate}",
                crate::words::counted(unknown, "row")
            )),
            false => notes.push(format!(
                "{entry}: {} with no value in the column {fate}; if the export writes an order's value on its first line only, set [columns] invoice to its order number column, and each line takes its order's verdict",
                crate::words::counted(unknown, "row")
            )),
        }
        notes
    }
}

impl RowFilterReport {
    /// Said as a warning: blank lines that took their order's verdict where the export's
    /// orders are not in blocks, so nothing told whether the column holds its orders' values or
    /// each line's own (an export sorted by the column itself puts a return reason's lines
    /// first, away from their orders).
    /// And a listed value that matched no row where the column holds it in another case
    /// (among its ten most frequent values): the README's WooCommerce `["cancelled", …]` against
    /// an export writing `Cancelled` kept 29,681 lines of cancelled, failed and refunded orders
    /// with a note only (helper-169), where `exclude_items` warns of the same.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        // in any script's case (`annulé`, `ANNULÉ`); a value listed in both cases is matched
        let same = |a: &str, b: &str| a.trim().to_lowercase() == b.trim().to_lowercase();
        for listed in self.unmatched_values.iter().filter(|v| !v.contains('*')) {
            let other = self.column_values.iter().find(|c| {
                same(&c.value, listed) && !self.values.iter().any(|v| !v.contains('*') && v.trim() == c.value.trim())
            });
            if let Some(other) = other {
                warnings.push(format!(
                    "[clean] {}.\"{}\": '{listed}' matches no row, but '{}' ({}) does in another case: {} (values are matched exactly, case included; list them as the export writes them)",
                    self.rule,
                    self.entry,
                    other.value,
                    crate::words::counted(other.rows, "row"),
                    if self.rule == "keep_rows" { "its rows are dropped" } else { "its rows are kept" },
                ));
            }
        }
        let Some(Placement::Scattered { blocks, of }) = self.placement.filter(|_| self.blank_rows_by_order > 0) else {
            return warnings;
        };
        warnings.push(format!(
            "[clean] {}.\"{}\": {} with no value in the column took their orders' verdict (the same invoice and customer), as the blank lines of an order whose value is written on one of its lines (Shopify's status) do; but only {blocks} of the {of} orders holding a value are one block of lines in the export (sorted otherwise), so nothing tells whether the column holds its orders' values or each line's own (a return reason on the line returned): if each line's, set [columns] invoice = \"\" and each line keeps its own",
            self.rule,
            self.entry,
            crate::words::counted(self.blank_rows_by_order, "line"),
        ));
        warnings
    }
}

/// Words a till or a shop writes in the customer column for a sale without an account, as
/// [`is_placeholder`] compares them (letters and digits, lower case, a number after them
/// aside: `Guest 2`): English, and the defaults of tills sold in German, French, Spanish,
/// Italian, Portuguese, Scandinavian, Russian, Japanese and Chinese shops.
const PLACEHOLDER_WORDS: &[&str] = &[
    "guest",
    "guests",
    "guestcustomer",
    "guestcheckout",
    "guestuser",
    "guestaccount",
    "guestnoaccount",
    "walkinguest",
    "anonymous",
    "anonymouscustomer",
    "anonymoususer",
    "anon",
    "unknown",
    "unknowncustomer",
    "walkin",
    "walkincustomer",
    "cash",
    "cashcustomer",
    "cashsale",
    "cashsales",
    "possale",
    "poscustomer",
    "noname",
    "nocustomer",
    "none",
    "notloggedin",
    "notregistered",
    "unregistered",
    "defaultcustomer",
    "retailcustomer",
    "countersale",
    "countercustomer",
    "nonmember",
    "notamember",
    "gast",
    "gastkunde",
    "laufkunde",
    "laufkundschaft",
    "einmalkunde",
    "cpdkunde",
    "onetimecustomer",
    "onetimeaccount",
    "countersales",
    "clientevarios",
    "clientdivers",
    "barverkauf",
    "barkunde",
    "invité",
    "clientinvité",
    "clientdepassage",
    "clientcomptoir",
    "clientegenérico",
    "clientegenerico",
    "clientedemostrador",
    "consumidorfinal",
    "públicoengeneral",
    "publicoengeneral",
    "ospite",
    "clienteoccasionale",
    "kontant",
    "kontantkunde",
    "gäst",
    "ゲスト",
    "散客",
    "гость",
];

/// True when a customer id names no customer: zeros only, signed or not (`0`, `00000`,
/// `0.000`, `-0`, `+0`), `-1` (`-1.0` as a float column writes it), no letter nor digit (`-`,
/// `--`, `–`, `.`), or a word a till writes for a sale without an account
/// ([`PLACEHOLDER_WORDS`], case, spaces and punctuation aside, and a number after it:
/// `Walk-in Customer`, `GUEST`, `(Walk-in)`, `Guest #2`). Such an id gathers every guest's
/// purchases into one "customer" — a neighbour of everyone, recommended to as one person.
/// (Blank ids and `null_values` are already missing: guests, dropped.)
pub fn is_placeholder(id: &str) -> bool {
    let id = id.trim();
    let unsigned = id.strip_prefix(['-', '+']).unwrap_or(id);
    let zeros = unsigned.bytes().any(|b| b == b'0') && unsigned.bytes().all(|b| b == b'0' || b == b'.' || b == b',');
    // `-1` by its value, as the row filters compare numbers: `-1.0`, a decimal comma's `-1,0`
    let minus_one = id.starts_with("-1") && value_key(id).as_deref() == Some("-1");
    // no letter nor digit: dashes (`-`, `--`, an en or em dash), a dot, an asterisk (helper-173)
    if minus_one || zeros || (!id.is_empty() && !id.chars().any(char::is_alphanumeric)) {
        return true;
    }
    // cheap before the key (one a row would be a string a row): the words are short, and
    // hold a letter (most ids are digits)
    if id.len() > 40 || id.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let key = crate::ingest::column_key(id);
    let word = key.trim_end_matches(|c: char| c.is_ascii_digit());
    let no_value = |w: &&str| key == *w || key.strip_prefix(w) == Some("0");
    // `Nat`, `Nan`, `Nil` and `Na` are names too (helper-163): their "no value" only dressed
    let dressed = id.chars().any(|c| !c.is_alphanumeric() && !c.is_whitespace());
    (!word.is_empty() && PLACEHOLDER_WORDS.contains(&word))
        || NO_VALUE_WORDS.iter().any(no_value)
        || (dressed && NO_VALUE_SHORT_WORDS.iter().any(no_value))
}

/// The words of "no value" in another case or dress than `[input] null_values` lists them
/// (`Null`, `NAN`, `nil`, `n.a.`, `#n/a`, `(blank)`, `nan.0` — pandas' `nan` of a column
/// written as floats, then as text), as [`is_placeholder`] compares them: the whole id, or it
/// with `.0` after (`NA12` is an id). Each gathered the guests' lines into one customer, a
/// neighbour of hundreds, without a word (helper-159: 17 spellings, 746 of 4,358 customers).
/// Warned of, not read as missing: `null_values` compare as pandas does, case and all, so that
/// the audit counts what the notebook counts.
const NO_VALUE_WORDS: &[&str] = &["null", "undefined", "blank", "empty", "missing"];

/// [`NO_VALUE_WORDS`] that are people's names too (`Nat`, `Nan`, `Nil`, `Na`): taken only
/// written with a mark (`n/a`, `n.a.`, `#n/a`, `nan.0`, `(nil)`).
const NO_VALUE_SHORT_WORDS: &[&str] = &["nan", "na", "nil", "nat"];

/// A customer holding many people's sales, as the data shows it ([`dominant`]): its id, its
/// kept lines and the tenth largest customer's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DominantCustomer {
    pub value: String,
    pub rows: usize,
    pub next_rows: usize,
}

/// The fewest kept customers among whom [`dominant`] judges one: the next customer's lines
/// tell what one person buys only where there are enough people.
const DOMINANT_AMONG: usize = 20;

/// The kept rows' placeholder customer ids ([`is_placeholder`]) and their rows, most first;
/// and the [`dominant`] customer, if one is and is not among them.
fn placeholders(frame: &DataFrame, kept: &BooleanChunked) -> PolarsResult<(Vec<ValueRows>, Option<DominantCustomer>)> {
    let customers = frame.column(col::CUSTOMER)?.str()?;
    // every kept row's customer counted: a fast hash (SipHash took 20 ms of the shipped export's)
    let mut rows: HashMap<&str, usize, foldhash::fast::FixedState> = HashMap::default();
    for (id, keep) in customers.iter().zip(kept.iter()) {
        if let (Some(id), Some(true)) = (id, keep) {
            *rows.entry(id).or_default() += 1;
        }
    }
    let mut found: Vec<ValueRows> = rows
        .iter()
        .filter(|(id, _)| is_placeholder(id))
        .map(|(v, &rows)| ValueRows { value: v.to_string(), rows })
        .collect();
    found.sort_by(|a, b| b.rows.cmp(&a.rows).then(a.value.cmp(&b.value)));
    let dominant = dominant(&rows);
    Ok((found, dominant))
}

/// The customer whose kept lines are a tenth of all kept or more and ten times or more those
/// of the tenth largest customer (placeholders the words know aside), among
/// [`DOMINANT_AMONG`] customers or more: one account holding many people's sales — a till's or
/// a web shop's account for sales without one under a name no word list knows (`9999999`,
/// `Einmalkunde`, `POS Guest (Berlin)`: a helper's guests' lines under one id, 25% of the kept
/// lines and 17 times the next customer's, changed 4,076 of 4,339 lists at exit 0 without a
/// word), a one-time-customer account. Measured against the tenth, not the next: a shop's two
/// or three tills' accounts, or a placeholder beside it, are each other's next (helper-174: 75%
/// and 25% of the guests under two ids, 18.7% of the lines, not warned). One person buys what
/// one person buys: the shipped export's largest customer holds 2.0% of the kept lines, 1.4
/// times the next one's. Warned of, never dropped: a shop may have one such customer.
fn dominant(rows: &HashMap<&str, usize, foldhash::fast::FixedState>) -> Option<DominantCustomer> {
    let mut ranked: Vec<(&str, usize)> =
        rows.iter().filter(|(id, _)| !is_placeholder(id)).map(|(&id, &n)| (id, n)).collect();
    if ranked.len() < DOMINANT_AMONG {
        return None;
    }
    let total: usize = rows.values().sum();
    // the most lines first (ties: the lower id)
    ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let (top, tenth) = (ranked[0], ranked[9].1);
    (top.1 >= 10 * tenth && 10 * top.1 >= total).then(|| DominantCustomer {
        value: top.0.to_string(),
        rows: top.1,
        next_rows: tenth,
    })
}

impl CleanReport {
    /// The warning on the placeholder customer ids kept, if any, ending with the pipeline's
    /// `exclude_rows` as it would leave them out: its entries (`cfg`) and theirs, under the
    /// customer's column (`column`, as the export names it), written as TOML that parses.
    pub fn placeholder_warning(&self, cfg: &CleanConfig, column: &str) -> Option<String> {
        let found = &self.placeholder_customers;
        if found.is_empty() {
            return None;
        }
        let ids: Vec<String> = found
            .iter()
            .map(|p| {
                let share = 100.0 * p.rows as f64 / self.rows_out.max(1) as f64;
                format!("'{}' ({}, {share:.1}% of those kept)", p.value, crate::words::counted(p.rows, "row"))
            })
            .collect();
        let entries = excluding(cfg, column, found.iter().map(|p| p.value.clone()));
        let (what, them) = match ids.len() {
            1 => (format!("customer id {} looks like a placeholder", ids[0]), "it"),
            _ => (format!("customer ids {} look like placeholders", ids.join(", ")), "them"),
        };
        Some(format!(
            "{what} for sales without an account: each is read as one customer's rows, who is then everyone's neighbour and is published as a customer; leave {them} out with [clean] exclude_rows = {{ {entries} }}"
        ))
    }

    /// The warning on the [`dominant`] customer, if one is, ending as
    /// [`CleanReport::placeholder_warning`] does.
    pub fn dominant_warning(&self, cfg: &CleanConfig, column: &str) -> Option<String> {
        let d = self.dominant_customer.as_ref()?;
        let share = 100.0 * d.rows as f64 / self.rows_out.max(1) as f64;
        let times = d.rows as f64 / d.next_rows.max(1) as f64;
        Some(format!(
            "customer id '{}' holds {} rows ({share:.1}% of those kept), {times:.0} times the tenth largest customer's {}: one account for many people's sales (a till's or a web shop's for sales without an account, a one-time-customer account)? It is read as one customer, who is then everyone's neighbour and is published as a customer; if so, leave it out with [clean] exclude_rows = {{ {} }}",
            d.value,
            crate::audit::thousands(d.rows),
            crate::audit::thousands(d.next_rows),
            excluding(cfg, column, [d.value.clone()])
        ))
    }
}

/// The pipeline's `exclude_rows` (`cfg`) with `values` added under the customer's `column`, as
/// TOML entries that parse.
fn excluding(cfg: &CleanConfig, column: &str, values: impl IntoIterator<Item = String>) -> String {
    let mut table = cfg.exclude_rows.clone();
    table.entry(column.to_string()).or_default().extend(values);
    let toml = crate::config::toml_text;
    let entries: Vec<String> = table
        .iter()
        .map(|(column, values)| {
            let values: Vec<String> = values.iter().map(|v| toml(v)).collect();
            format!("{} = [{}]", toml(column), values.join(", "))
        })
        .collect();
    entries.join(", ")
}

/// True for the canonical text columns read for the row filters (a row filter's, the invoice).
fn is_row_text(name: &str) -> bool {
    name.starts_with("row:") || name == ORDER_COLUMN
}

/// An order holding a value, as a row filter reads it ([`row_filter`]): rows in the export's
/// order.
struct OrderValues {
    lines: usize,
    /// Its first and last lines, and its first and last holding a value.
    ends: (usize, usize),
    valued: (usize, usize),
    /// A line holds a listed value.
    hit: bool,
}

/// Where a row filter's values sit in the orders of several lines holding one
/// ([`placement`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Placement {
    /// Of `of` orders of three lines or more, each in one block of lines, `edge` hold a value
    /// on their first or last line, where `chance` would (the sum of 2/n).
    Blocks { edge: usize, of: usize, chance: f64 },
    /// Of `of` orders, only `blocks` are one block of lines (the export sorted otherwise: by
    /// item, by the column itself): where a value sits tells nothing.
    Scattered { blocks: usize, of: usize },
}

impl Placement {
    /// Whether the values are their orders' — a blank line then takes its order's verdict:
    /// on an order's first or last line in more orders than halfway from chance to all of
    /// them, or where nothing tells (the rule before: scattered orders, orders of two lines).
    fn order_level(placement: Option<Placement>) -> bool {
        match placement {
            Some(Placement::Blocks { edge, of, chance }) => edge as f64 > (of as f64 + chance) / 2.0,
            _ => true,
        }
    }
}

/// Whether a row filter's column holds its orders' values — written on one edge of each order
/// (Shopify's `Financial Status`, `Cancelled at`, on the first line; the last where the export
/// was turned over), the other lines left blank — or each line's own (a return reason on the
/// line returned, a line's status): told from where the values sit in the orders that are one
/// block of three lines or more. A line's own value lands on an edge of an order of n lines by
/// chance, 2/n; an order's value always. Before, every blank line took its order's verdict: a
/// return reason on one line of 5% of the shipped export's invoices dropped 19,049 lines, 85
/// customers' every purchase (helper-159); judged on the first line alone, an export turned
/// over or sorted by item kept a Shopify export's cancelled orders (helper-163). Where orders
/// are not in blocks (sorted by item, or by the column itself, which puts every value first)
/// where a value sits tells nothing, and the rule before stands, warned of when it drops.
fn placement<'a>(orders: impl Iterator<Item = &'a OrderValues>) -> Option<Placement> {
    let (mut several, mut blocks, mut of, mut edge, mut chance) = (0usize, 0usize, 0usize, 0usize, 0.0);
    for o in orders.filter(|o| o.lines > 1) {
        several += 1;
        if o.ends.1 - o.ends.0 + 1 != o.lines {
            continue;
        }
        blocks += 1;
        if o.lines > 2 {
            of += 1;
            edge += (o.valued.0 == o.ends.0 || o.valued.1 == o.ends.1) as usize;
            chance += 2.0 / o.lines as f64;
        }
    }
    match several {
        0 => None,
        _ if blocks * 2 <= several => Some(Placement::Scattered { blocks, of: several }),
        _ if of == 0 => None,
        _ => Some(Placement::Blocks { edge, of, chance }),
    }
}

/// The orders (invoice and customer: `keys`, a row each) holding a value (`own`: each row's
/// verdict, `None` for a blank), with their lines: only they, for a million orders blank in
/// `Cancelled at` need no entry.
fn valued_orders<'a, K, V>(keys: impl Fn() -> K, own: impl Fn() -> V) -> HashMap<OrderKey<'a>, OrderValues>
where
    K: Iterator<Item = (Option<&'a str>, Option<&'a str>)>,
    V: Iterator<Item = Option<bool>>,
{
    let mut by_order: HashMap<OrderKey, OrderValues> = HashMap::new();
    for (row, ((order, customer), own)) in keys().zip(own()).enumerate() {
        if let (Some(order), Some(hit)) = (order, own) {
            let new = OrderValues { lines: 0, ends: (usize::MAX, 0), valued: (row, row), hit: false };
            let o = by_order.entry((order, customer)).or_insert(new);
            o.valued.1 = row;
            o.hit |= hit;
        }
    }
    for (row, (order, customer)) in keys().enumerate() {
        if let Some(o) = order.and_then(|order| by_order.get_mut(&(order, customer))) {
            o.ends = (o.ends.0.min(row), row);
            o.lines += 1;
        }
    }
    by_order
}

/// An order: its invoice and its customer (two shops' `#1001` merged are two orders).
type OrderKey<'a> = (&'a str, Option<&'a str>);

/// One row filter's verdict on every row of `frame` (true: kept), read from the canonical
/// text column `name`, and its report, counted on the rows `before` keeps (the header
/// repeated as a row is no value). A row holding a value is matched by [`listed`]; a blank
/// one takes its order's verdict — whether any line of the same invoice and customer holding
/// a value matched — when the invoice is read, such a line exists and the column holds its
/// orders' values ([`order_level`]: an order's status written on its first line only, as
/// Shopify's order export does; a line-level status, as Amazon's, or a return reason, is each
/// line's own; two shops' order `#1001` merged into one export are two orders); otherwise it
/// does not match.
fn row_filter(
    frame: &DataFrame,
    filter: &RowFilter,
    name: &str,
    before: &[bool],
) -> PolarsResult<(BooleanChunked, RowFilterReport)> {
    let values = frame.column(name)?.str()?;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (v, _) in values.iter().zip(before).filter(|(_, b)| **b) {
        if let Some(v) = v {
            *counts.entry(v).or_default() += 1;
        }
    }
    let (hits, unmatched_values) = listed(filter.values, counts.keys().copied());
    let own = || values.iter().map(|v| v.map(|v| hits.contains(v)));
    // each order (invoice and customer) from its lines holding a value: matched when any does
    let orders = frame.column(ORDER_COLUMN).ok().map(|c| c.str()).transpose()?;
    let customers = frame.column(col::CUSTOMER)?.str()?;
    let order_keys = || orders.into_iter().flat_map(|o| o.iter().zip(customers.iter()));
    let by_order = valued_orders(order_keys, own);
    let placement = placement(by_order.values());
    let order_level = Placement::order_level(placement);
    let mut order_keys = order_keys();
    let (mut blank_rows, mut blank_rows_by_order, mut blank_rows_own) = (0, 0, 0);
    let mut rows_dropped = 0;
    let mut verdicts = Vec::with_capacity(values.len());
    for ((own, customer), &counted) in own().zip(customers.iter()).zip(before) {
        let order = order_keys.next().and_then(|(o, c)| Some((o?, c)));
        let hit = own.or_else(|| {
            let verdict = order.and_then(|o| by_order.get(&o)).map(|o| o.hit);
            // a guest's line (no customer) is dropped whatever it holds: not counted
            if counted && customer.is_some() {
                blank_rows += 1;
                blank_rows_by_order += (order_level && verdict.is_some()) as usize;
                blank_rows_own += (!order_level && verdict.is_some()) as usize;
            }
            verdict.filter(|_| order_level)
        });
        let kept = hit.unwrap_or(false) == filter.keep;
        rows_dropped += (counted && !kept) as usize;
        verdicts.push(kept);
    }
    let column_values = match unmatched_values.is_empty() {
        true => Vec::new(),
        false => most_frequent(counts, 10),
    };
    let report = RowFilterReport {
        rule: if filter.keep { "keep_rows" } else { "exclude_rows" },
        column: filter.column.to_string(),
        entry: filter.column.to_string(),
        values: filter.values.to_vec(),
        rows_dropped,
        blank_rows,
        blank_rows_by_order,
        orders_read: orders.is_some(),
        order_level: orders.is_some() && order_level,
        blank_rows_own,
        placement,
        unmatched_values,
        column_values,
    };
    Ok((BooleanChunked::from_slice("kept".into(), &verdicts), report))
}

/// Which of a column's distinct values the `listed` ones match, and the listed ones that
/// match none: exactly or as `*` patterns ([`matched_items`], as `exclude_items`), and — what
/// an item id must not — by [`value_key`] (a number, flag or timestamp written another way:
/// a CSV's `2.0` is a cell's 2).
fn listed<'a>(listed: &[String], distinct: impl Iterator<Item = &'a str>) -> (HashSet<&'a str>, Vec<String>) {
    let distinct: Vec<&str> = distinct.collect();
    let (mut matched, mut unmatched) = matched_items(listed, distinct.iter().copied(), |v| Some(v));
    let mut keys: HashMap<String, Vec<&String>> = HashMap::new();
    for value in listed.iter().filter(|v| !v.contains('*')) {
        if let Some(key) = value_key(value) {
            keys.entry(key).or_default().push(value);
        }
    }
    for (v, m) in distinct.iter().zip(matched.iter_mut()) {
        if let Some(values) = value_key(v).and_then(|key| keys.get(&key)) {
            *m = true;
            unmatched.retain(|u| !values.contains(&u));
        }
    }
    (distinct.into_iter().zip(matched).filter(|(_, m)| *m).map(|(v, _)| v).collect(), unmatched)
}

/// The `n` values held by the most rows, most first (ties: by value).
fn most_frequent(counts: HashMap<&str, usize>, n: usize) -> Vec<ValueRows> {
    let mut seen: Vec<(&str, usize)> = counts.into_iter().collect();
    seen.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    seen.into_iter().take(n).map(|(v, rows)| ValueRows { value: v.to_string(), rows }).collect()
}

/// A value as it compares across formats: a plain decimal number by its value (`2`, `2.0`,
/// `+2` and a decimal comma's `2,0` are `2`; `2.50` is `2.5`; `-0` is `0`; leading zeros
/// count: `007` is an id, not 7; `1,000`, which reads two ways, is no number here), a flag in
/// lower case (a pandas CSV's `True` is a sheet's `true`), an ISO date or timestamp by its
/// time ([`timestamp_key`]). `None` for anything else.
fn value_key(text: &str) -> Option<String> {
    if text.eq_ignore_ascii_case("true") || text.eq_ignore_ascii_case("false") {
        return Some(text.to_ascii_lowercase());
    }
    if let Some(key) = timestamp_key(text) {
        return Some(key);
    }
    let (sign, digits) = match text.strip_prefix(['-', '+']) {
        Some(rest) => (if text.starts_with('-') { "-" } else { "" }, rest),
        None => ("", text),
    };
    let (int, frac) = match (digits.split_once('.'), digits.split_once(',')) {
        (Some(split), None) => split,
        (None, Some((int, frac))) if frac.len() != 3 => (int, frac),
        (None, None) => (digits, ""),
        _ => return None,
    };
    let plain = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !plain(int) || !plain(frac) {
        return None;
    }
    let frac = frac.trim_end_matches('0');
    let zero = int.bytes().all(|b| b == b'0') && frac.is_empty();
    let sign = if zero && int.len() == 1 { "" } else { sign };
    Some(match frac {
        "" => format!("{sign}{int}"),
        frac => format!("{sign}{int}.{frac}"),
    })
}

/// An ISO date or timestamp (`2024-03-01`, `2024-03-01 10:00:00.500`, `…T10:00:00`) as it
/// compares across formats: a midnight is its date (a sheet's date cell is read as
/// `2024-03-01 00:00:00`, pandas writes `2024-03-01`), a fraction without its last zeros.
fn timestamp_key(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let digits = |r: std::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let date = text.len() >= 10 && digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10);
    if !date {
        return None;
    }
    if text.len() == 10 {
        return Some(text.to_string());
    }
    let time = &text[11..];
    let clock = matches!(b[10], b' ' | b'T') && time.len() >= 8 && digits(11..13) && digits(14..16) && digits(17..19);
    if !clock || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let frac = match &time[8..] {
        "" => "",
        rest => rest.strip_prefix('.').filter(|f| !f.is_empty() && f.bytes().all(|d| d.is_ascii_digit()))?,
    };
    let frac = frac.trim_end_matches('0');
    Some(match (&time[..8], frac) {
        ("00:00:00", "") => text[..10].to_string(),
        (clock, "") => format!("{} {clock}", &text[..10]),
        (clock, frac) => format!("{} {clock}.{frac}", &text[..10]),
    })
}

/// A mapped role's column and the nulls left in it after cleaning.
#[derive(Debug, Clone, Serialize)]
pub struct RoleNulls {
    pub column: String,
    pub role: String,
    pub nulls: usize,
}

/// The check after cleaning: each mapped role's column with its nulls counted in the kept
/// rows, their sum, and the statement logged.
#[derive(Debug, Clone, Serialize)]
pub struct AfterCleaning {
    pub columns: Vec<RoleNulls>,
    pub nulls: usize,
    pub statement: String,
}

/// The roles whose nulls the rules drop: a null left in one is a bug in cleaning.
const REQUIRED: [&str; 3] = ["customer", "item", "quantity"];

/// How many weeks back from the newest purchase [`quiet_weekdays`] looks: two months of a
/// weekly pattern, short enough that a shop that starts opening on Sundays is seen within them.
pub const QUIET_WEEKS: i64 = 8;

/// How rarely a weekday without a sale in [`QUIET_WEEKS`] weeks may be chance for it to be
/// learnt quiet: 1 in 100, over the seven weekdays.
const QUIET_BY_CHANCE: f64 = 0.01;

/// The weekdays (`"Saturday"`, UTC as every date is read) on which none of the kept purchases
/// of the last [`QUIET_WEEKS`] weeks before the newest one fell, in week order from Monday,
/// when the export covers those weeks and its other weekdays sold often enough that a weekday
/// without a sale in all of them is not chance: at the share of the other weekdays' weeks
/// with a sale, `r`, seven weekdays leave one without a sale in eight weeks with the chance
/// 7 (1 − r)⁸, below [`QUIET_BY_CHANCE`] (r above about 0.55). Otherwise none is learnt (an
/// empty list): a day's delta export, or a small shop whose days sold in three weeks of
/// eight, would otherwise make most days "quiet", and an export unchanged for days look
/// expected. A holiday or a closure does not unlearn the week (the bar was once every other
/// weekday selling in seven of the eight: the UK's spring bank holidays and the Christmas
/// closure left the shipped export's Saturdays unlearnt for 17 Sunday mornings of its year,
/// each an alarm). Read off the kept lines by day ([`kept_rows_by_day`]: one pass over the
/// dates for both). Learnt from the export itself, whatever the shop's week (closed on
/// Saturdays, on Sundays and Mondays, open daily, a market stall's one day): `kindred status`
/// does not count those days in an unchanged export's age.
pub fn quiet_weekdays(history: &RowsByDay) -> Vec<String> {
    let (Some(first), Some(newest)) = (history.first_day(), history.newest_day()) else { return Vec::new() };
    let since = newest - QUIET_WEEKS * 7;
    if first > since {
        return Vec::new();
    }
    // per weekday, the weeks (counted back from the newest day) with a sale
    let mut weeks = [[false; QUIET_WEEKS as usize]; 7];
    for day in (since + 1..=newest).filter(|&day| history.on(first, day) > 0) {
        // 1970-01-01 was a Thursday: day 0 is weekday 3 counted from Monday
        weeks[(day + 3).rem_euclid(7) as usize][((newest - day) / 7) as usize] = true;
    }
    let sold: Vec<usize> = weeks.iter().map(|w| w.iter().filter(|&&s| s).count()).collect();
    let open = sold.iter().filter(|&&n| n > 0);
    let rate = open.clone().sum::<usize>() as f64 / (open.count() * QUIET_WEEKS as usize).max(1) as f64;
    let regular = 7.0 * (1.0 - rate).powi(QUIET_WEEKS as i32) < QUIET_BY_CHANCE;
    const NAMES: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    let quiet = NAMES.iter().zip(&sold).filter(|(_, &n)| n == 0).map(|(name, _)| name.to_string());
    if regular {
        quiet.collect()
    } else {
        Vec::new()
    }
}

/// How long an export has been unchanged, from `from` (the first run that read its bytes) to
/// `to`, and how much of it fell on the weekdays its shop sells nothing on ([`quiet_weekdays`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unchanged {
    /// Seconds from `from` to `to` (0 when `to` is earlier: a clock behind).
    pub age: u64,
    /// Of them, the seconds on a quiet weekday (UTC days, as the export's dates are read).
    pub quiet: u64,
    /// The quiet weekdays crossed, in order.
    pub days: Vec<String>,
}

impl Unchanged {
    /// The seconds on days the shop sells on: what `kindred status --max-age` and a run
    /// republishing an unchanged export judge.
    pub fn open(&self) -> u64 {
        self.age - self.quiet.min(self.age)
    }
}

/// [`Unchanged`] from `from` to `to` with the weekdays `quiet` (`"Saturday"`).
pub fn unchanged_for(
    from: chrono::DateTime<chrono::Utc>,
    to: chrono::DateTime<chrono::Utc>,
    quiet: &[String],
) -> Unchanged {
    let (mut total, mut days) = (0, Vec::<String>::new());
    let mut at = from;
    while at < to {
        let midnight = at.date_naive().succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
        let end = midnight.map_or(to, |m| m.min(to));
        let day = at.format("%A").to_string();
        if quiet.contains(&day) {
            total += (end - at).num_seconds().max(0) as u64;
            if !days.contains(&day) {
                days.push(day);
            }
        }
        if end <= at {
            break;
        }
        at = end;
    }
    Unchanged { age: (to - from).num_seconds().max(0) as u64, quiet: total, days }
}

/// The most days [`kept_rows_by_day`] counts, back from the newest (about eleven years): the
/// manifest's list stays under ~16 KB of numbers (~70 KB as the manifest prints one a line)
/// whatever history an export keeps.
pub const HISTORY_DAYS: i64 = 4096;

/// Kept purchase lines per day (UTC, as every date is read), one count a day from `first` to
/// the newest day with a purchase: an export's history, as the next run compares it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct RowsByDay {
    /// The first day counted, `YYYY-MM-DD`: the oldest dated purchase's, or [`HISTORY_DAYS`]
    /// before the newest.
    pub first: String,
    pub rows: Vec<u64>,
    /// Each day's kept lines' [`customer_digest`]s summed (wrapping): a day of as many lines of
    /// other customers has another — an export whose customer ids came off by a row (a join
    /// shifted), or renumbered, kept every day's count, and the history gate saw "0% differ"
    /// (helper-171: every list changed at exit 0). The customers only: a product's code changed
    /// across the history (an ERP's recode of a bestseller, sold on most days) is no damage, and
    /// with the items in the digest was refused (helper-174). Empty in a record written before
    /// 2026-12-08.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub digests: Vec<u32>,
    /// Each day's kept lines' items, and their (customer, item) pairs, summed as `digests` are:
    /// a day of the same customers and the same items paired otherwise is a customer column
    /// moved against the item column (shifted a row: within a day the customers' lines stay as
    /// many, helper-174's shop published with every list changed), where a product's code
    /// changed moves the items' digest too. Empty in a record written before 2026-12-08.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item_digests: Vec<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pair_digests: Vec<u32>,
}

/// Ids as a number the history compares by day ([`RowsByDay::digests`]): FNV-1a (64-bit, folded
/// to 32) of their bytes with a 0 byte between them, written out because the record must read
/// alike in every later version of kindred, which std's and foldhash's hashes do not promise.
pub fn ids_digest(ids: &[&str]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (k, id) in ids.iter().enumerate() {
        let separator = (k > 0).then_some(0u8);
        for b in separator.into_iter().chain(id.bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    (h ^ (h >> 32)) as u32
}

/// A kept line's customer id as [`ids_digest`] makes it.
pub fn customer_digest(customer: &str) -> u32 {
    ids_digest(&[customer])
}

/// The kept purchase lines of each day; `None` without a dated purchase. Undated lines (stray
/// dates read as unknown among them) are not counted.
pub fn kept_rows_by_day(cleaned: &Cleaned) -> Option<RowsByDay> {
    let dates = cleaned.frame.column(col::DATE).ok()?.i64().ok()?;
    let (oldest, newest) =
        cleaned.kept(dates.iter()).flatten().fold((i64::MAX, i64::MIN), |(lo, hi), t| (lo.min(t), hi.max(t)));
    if newest == i64::MIN {
        return None;
    }
    let (oldest, newest) = (oldest.div_euclid(86_400), newest.div_euclid(86_400));
    let first = oldest.max(newest - HISTORY_DAYS + 1);
    let days = (newest - first + 1) as usize;
    let day_of = |t: Option<i64>| t.map(|t| t.div_euclid(86_400)).filter(|&d| d >= first).map(|d| (d - first) as usize);
    let mut rows = vec![0u64; days];
    let text = |name: &str| cleaned.frame.column(name).ok().and_then(|c| c.str().ok());
    let (mut digests, mut item_digests, mut pair_digests) = (Vec::new(), Vec::new(), Vec::new());
    match (text(col::CUSTOMER), text(col::ITEM)) {
        // one pass: the lines counted and digested together
        (Some(customers), Some(items)) => {
            (digests, item_digests, pair_digests) = (vec![0u32; days], vec![0u32; days], vec![0u32; days]);
            for ((t, c), i) in cleaned.kept(dates.iter().zip(customers.iter()).zip(items.iter())) {
                let Some(k) = day_of(t) else { continue };
                let (c, i) = (c.unwrap_or_default(), i.unwrap_or_default());
                rows[k] += 1;
                digests[k] = digests[k].wrapping_add(customer_digest(c));
                item_digests[k] = item_digests[k].wrapping_add(ids_digest(&[i]));
                pair_digests[k] = pair_digests[k].wrapping_add(ids_digest(&[c, i]));
            }
        }
        _ => cleaned.kept(dates.iter()).filter_map(day_of).for_each(|k| rows[k] += 1),
    }
    let first = chrono::DateTime::from_timestamp(first * 86_400, 0)?.format("%Y-%m-%d").to_string();
    Some(RowsByDay { first, rows, digests, item_digests, pair_digests })
}

/// The newest days of an earlier run's history [`RowsByDay::change_from`] leaves out: lines
/// still arrive there days after their date (orders invoiced when shipped: a helper's nightly
/// exports of orders 0–7 days late) or are cancelled soon after.
pub const LATE_DAYS: i64 = 7;

/// How an export's history differs from an earlier run's, over the days both should hold
/// alike ([`RowsByDay::change_from`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistoryChange {
    /// The days compared, first and last; `None` when none is.
    pub days: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// How many they are.
    pub compared: usize,
    /// The earlier run's lines on those days, those it had that are gone, and those new.
    pub before: u64,
    pub gone: u64,
    pub new: u64,
    /// The day that changed most: its date and its lines then and now.
    pub most: Option<(chrono::NaiveDate, u64, u64)>,
    /// The days compared on which the earlier run had lines, and those of them that lost some.
    pub days_with_lines: usize,
    pub days_losing: usize,
    /// The days compared whose lines at least doubled, by half a typical day's or more
    /// ([`HistoryChange::doubled`]), and the first of them: its date and its lines then and now.
    pub days_doubled: usize,
    pub first_doubled: Option<(chrono::NaiveDate, u64, u64)>,
    /// The days compared that had lines and have as many now, both digested
    /// ([`RowsByDay::digests`]; none when either run has no digests), those of them whose lines
    /// are other customers', and the first of those.
    pub days_as_many: usize,
    pub days_otherwise: usize,
    pub first_otherwise: Option<chrono::NaiveDate>,
    /// The export's new first day, when it dropped whole days further than it could have moved
    /// (a rolling export of the last full months, old orders purged): those days are not
    /// compared.
    pub start_moved: Option<chrono::NaiveDate>,
    /// The earlier run's lines on the days dropped before it.
    pub start_dropped: u64,
}

/// The fewest days [`RowsByDay::change_from`] is judged on (`[gates]
/// max_history_change_vs_previous`): fewer cannot tell a damaged export from a young shop's
/// days still filling with late lines.
pub const HISTORY_WEEK: usize = 7;

impl HistoryChange {
    /// Gone and new lines over the earlier run's on the days compared (0 without any).
    pub fn share(&self) -> f64 {
        (self.gone + self.new) as f64 / self.before.max(1) as f64
    }

    /// Whether lines were lost on most days that had some (at least a week of them): what an
    /// export that lost some customers' rows over its whole history looks like — sorted by
    /// customer and cut short, however small the share (a helper's cut lost 9% of the lines,
    /// under the limit, on 92% of the days). A past changed on purpose or by a few late
    /// cancellations touches a few days; lines lost on most of them is damage.
    pub fn lost_on_most_days(&self) -> bool {
        self.days_with_lines >= HISTORY_WEEK && 2 * self.days_losing > self.days_with_lines
    }

    /// Whether days of the past doubled: two or more days that had lines each gained as many
    /// again, and at least half a typical day's (the median of the earlier run's days with a
    /// purchase: days differ by weekday; a few late lines on a quiet day are not it) — days'
    /// files appended again, or lines dated into the past (a helper's export whose new lines
    /// came month-first into a day-first column: December 1–9 read as the 12th of January to
    /// September, 4.8% of the lines, under the limit, 4,121 of 4,339 lists changed at exit 0).
    /// One day alone is not: at a small shop one order keyed in weeks late doubles a quiet day
    /// (helper-170: 8 lines onto a day of 3, a median of 7, refused).
    pub fn doubled(&self) -> bool {
        self.days_doubled >= 2
    }

    /// Whether most of the days that have as many lines as then (at least a week of them) hold
    /// other customers' lines: customer ids that came off by a row (an ERP's join shifted), a
    /// key renumbered — each day's count kept, "0% differ". Judged among those days, as days
    /// whose count changed tell nothing of their customers: a join off by a row moves a line
    /// across a day's end on half the days (helper-174: 86 days lost a line, 85 gained one, 160
    /// of 160 others held other customers', every list changed, published). A past corrected on
    /// purpose (an account merged) touches the days it touches.
    pub fn otherwise_on_most_days(&self) -> bool {
        self.days_as_many >= HISTORY_WEEK && 2 * self.days_otherwise > self.days_as_many
    }
}

impl RowsByDay {
    /// The first day, in days since 1970-01-01; `None` when it does not read as a date.
    fn first_day(&self) -> Option<i64> {
        let day = chrono::NaiveDate::parse_from_str(&self.first, "%Y-%m-%d").ok()?;
        Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp().div_euclid(86_400))
    }

    /// A typical day's lines: the median of the days with a purchase (`None` without one).
    pub fn typical_day(&self) -> Option<u64> {
        let mut sold: Vec<u64> = self.rows.iter().copied().filter(|&n| n > 0).collect();
        sold.sort_unstable();
        sold.get(sold.len() / 2).copied()
    }

    /// The newest day counted, in days since 1970-01-01.
    pub fn newest_day(&self) -> Option<i64> {
        Some(self.first_day()? + self.rows.len() as i64 - 1)
    }

    /// The lines of `day` (days since 1970-01-01): 0 outside the days counted.
    fn on(&self, first: i64, day: i64) -> u64 {
        usize::try_from(day - first).ok().and_then(|i| self.rows.get(i)).copied().unwrap_or(0)
    }

    /// Day `day`'s digests ([`RowsByDay::digests`]: the customers', and the items' and the
    /// pairs' where recorded); `None` where none was recorded.
    fn digest_on(&self, first: i64, day: i64) -> Option<(u32, Option<(u32, u32)>)> {
        let at = |v: &Vec<u32>| usize::try_from(day - first).ok().and_then(|i| v.get(i)).copied();
        Some((at(&self.digests)?, at(&self.item_digests).zip(at(&self.pair_digests))))
    }

    /// How this history differs from `before`'s (an earlier run's of the same export), on the
    /// days both should hold alike: an export's past does not change from night to night, as
    /// one cut short (sorted by customer, or written newest first), missing some days, or
    /// written twice in whole or in part does. Not compared: `before`'s newest [`LATE_DAYS`]
    /// (lines still arrive there), its oldest days as far as the export may have moved since
    /// (`moved` days: a rolling export of the last year drops its oldest days as it gains new
    /// ones) plus one (a part day at the cut), and the days before this export's first when it
    /// begins on a whole day of `before`'s (its lines all there: an export cut at a day's end,
    /// by a rolling period of months or a purge of old orders, not mid-file). `None` when
    /// either history's first day does not read as a date.
    pub fn change_from(&self, before: &RowsByDay, moved: i64) -> Option<HistoryChange> {
        let (now_first, was_first) = (self.first_day()?, before.first_day()?);
        let mut from = was_first.saturating_add(moved.max(0)).saturating_add(1);
        let to = before.newest_day()? - LATE_DAYS;
        let mut change = HistoryChange::default();
        // whole days dropped, leaving a week to compare (an export cut to its last days is not
        // a rolling period)
        let whole = self.on(now_first, now_first) == before.on(was_first, now_first);
        if now_first > from && now_first <= to - HISTORY_WEEK as i64 + 1 && whole {
            change.start_dropped = (from..now_first).map(|d| before.on(was_first, d)).sum();
            from = now_first;
            change.start_moved = date_of(now_first);
        }
        if from > to {
            return Some(change);
        }
        let mut most = (0u64, from);
        let half_day = before.typical_day().unwrap_or(0).div_ceil(2).max(1);
        for d in from..=to {
            let (was, now) = (before.on(was_first, d), self.on(now_first, d));
            if was > 0 && now.saturating_sub(was) >= was.max(half_day) {
                change.days_doubled += 1;
                change.first_doubled = change.first_doubled.or(date_of(d).map(|at| (at, was, now)));
            }
            change.before += was;
            change.gone += was.saturating_sub(now);
            change.new += now.saturating_sub(was);
            change.days_with_lines += (was > 0) as usize;
            change.days_losing += (now < was) as usize;
            if let (true, Some((a, b))) =
                (was > 0 && now == was, before.digest_on(was_first, d).zip(self.digest_on(now_first, d)))
            {
                change.days_as_many += 1;
                // other customers, or the same customers and items paired otherwise
                let paired = |(items, pairs): (u32, u32), (items_now, pairs_now): (u32, u32)| {
                    items == items_now && pairs != pairs_now
                };
                if a.0 != b.0 || a.1.zip(b.1).is_some_and(|(x, y)| paired(x, y)) {
                    change.days_otherwise += 1;
                    change.first_otherwise = change.first_otherwise.or(date_of(d));
                }
            }
            if was.abs_diff(now) > most.0 {
                most = (was.abs_diff(now), d);
            }
        }
        change.compared = (to - from + 1) as usize;
        change.days = date_of(from).zip(date_of(to));
        if most.0 > 0 {
            change.most = date_of(most.1).map(|at| (at, before.on(was_first, most.1), self.on(now_first, most.1)));
        }
        Some(change)
    }
}

/// The date `day` days after 1970-01-01; `None` out of chrono's range.
fn date_of(day: i64) -> Option<chrono::NaiveDate> {
    chrono::DateTime::from_timestamp(day.checked_mul(86_400)?, 0).map(|t| t.date_naive())
}

/// Counts the nulls left in the kept rows of each mapped role's column (`mapped`: role and
/// file column, as the audit resolved them; the invoice is not kept past the audit), and
/// states it. Descriptions and dates may stay null (an item without a name, a purchase without
/// a date: their rows are still used), so their nulls are counted and said; a null left where
/// cleaning drops them fails with the column named, rather than publish.
pub fn after_cleaning(cleaned: &Cleaned, mapped: &[(&'static str, String)]) -> Result<AfterCleaning> {
    let mut columns = Vec::new();
    for (role, column) in mapped {
        let name = match *role {
            "customer" => col::CUSTOMER,
            "item" => col::ITEM,
            "quantity" => col::QUANTITY,
            "description" => col::DESCRIPTION,
            "date" => col::DATE,
            "segment" => col::SEGMENT,
            _ => continue,
        };
        let values = cleaned.column(name).map_err(Error::frame("clean"))?;
        let nulls = match values.null_count() {
            0 => 0,
            _ => cleaned.kept(values.is_null().iter()).filter(|n| *n == Some(true)).count(),
        };
        columns.push(RoleNulls { column: column.clone(), role: role.to_string(), nulls });
    }
    if let Some(c) = columns.iter().find(|c| REQUIRED.contains(&c.role.as_str()) && c.nulls > 0) {
        let detail = format!(
            "column '{}' ({} role) still has {} after cleaning, which drops them: a bug in kindred, nothing was published; please report it with `kindred audit`'s output",
            c.column,
            c.role,
            crate::words::counted(c.nulls, "null")
        );
        return Err(Error::Frame { stage: "clean".into(), detail });
    }
    let statement = statement(&columns);
    Ok(AfterCleaning { nulls: columns.iter().map(|c| c.nulls).sum(), columns, statement })
}

/// "no nulls left in the 5 mapped columns: …", or which optional columns keep how many.
fn statement(columns: &[RoleNulls]) -> String {
    let names = |cs: &[&RoleNulls]| cs.iter().map(|c| c.column.as_str()).collect::<Vec<_>>().join(", ");
    let (clean, kept): (Vec<&RoleNulls>, Vec<&RoleNulls>) = columns.iter().partition(|c| c.nulls == 0);
    if kept.is_empty() {
        return format!("no nulls left in the {} mapped columns the later stages read: {}", clean.len(), names(&clean));
    }
    let kept: Vec<String> = kept
        .iter()
        .map(|c| {
            format!("{} keeps {} null{} ({}, optional)", c.column, c.nulls, if c.nulls == 1 { "" } else { "s" }, c.role)
        })
        .collect();
    format!(
        "no nulls left in {} of the {} mapped columns the later stages read: {}; {}",
        clean.len(),
        columns.len(),
        names(&clean),
        kept.join(", ")
    )
}

impl CleanReport {
    /// Rows dropped as the header repeated (`repeated_header`), whose date (and any other
    /// role's value) is the header's name, read as no date.
    pub fn repeated_headers(&self) -> usize {
        self.rules.iter().filter(|r| r.rule == "repeated_header").map(|r| r.rows_in - r.rows_out).sum()
    }

    /// Share of input rows dropped, in [0, 1].
    pub fn dropped_share(&self) -> f64 {
        if self.rows_in == 0 {
            0.0
        } else {
            (self.rows_in - self.rows_out) as f64 / self.rows_in as f64
        }
    }
}

/// Applies the cleaning rules to the canonical frame: each rule's mask is and-ed into the
/// kept rows (its counts are those it sees after the rules before it); the rows stay in place.
pub fn run(mut frame: DataFrame, cfg: &CleanConfig) -> Result<(Cleaned, CleanReport)> {
    let start = Instant::now();
    let rows_in = frame.height();
    let claimed = claimed_lines(&mut frame, cfg.fill_order_lines).map_err(Error::frame("clean: fill_order_lines"))?;
    let mut lines = order_lines(&mut frame, cfg.fill_order_lines).map_err(Error::frame("clean: fill_order_lines"))?;
    lines.claimed = claimed;
    let claimed_filled = if cfg.fill_order_lines { claimed } else { 0 };
    let mut rows = Rows { kept: BooleanChunked::full("kept".into(), true, rows_in), rules: Vec::new() };
    rows.repeated_header(&frame, cfg)?;
    let row_filters = rows.pipeline_filters(&frame, cfg)?;
    // the rows the header rule and the pipeline's own filters leave: of these, a row the
    // purchase rules below drop still tells the export's customer ids ([`text_id_dropped`])
    let filtered = rows.kept.clone();
    for name in cfg.row_columns().iter().enumerate().map(|(i, _)| row_column(i)).chain([ORDER_COLUMN.to_string()]) {
        if frame.column(&name).is_ok() {
            frame.drop_in_place(&name).map_err(Error::frame("clean"))?;
        }
    }
    let lines_without_item = rows.purchase_rules(&frame, cfg)?;
    let excluded = rows.exclude_items(&frame, cfg)?;
    let kept = rows.kept;
    let (placeholder_customers, dominant_customer) = placeholders(&frame, &kept).map_err(Error::frame("clean"))?;
    let (early_dates, stray_dates) = strays_at(&mut frame, &kept, cfg.cutoff).map_err(Error::frame("clean"))?;
    let text_id = text_id_dropped(&frame, &filtered, &kept, cfg.cutoff).map_err(Error::frame("clean"))?;
    let mut cleaned = Cleaned::new(frame, kept);
    cleaned.text_id_dropped = text_id;
    let report = CleanReport {
        rows_in,
        rows_out: cleaned.height(),
        rules: rows.rules,
        filled_order_lines: lines.filled + lines.dated + claimed_filled,
        unfilled_order_lines: lines.found - lines.filled + claimed - claimed_filled,
        undated_order_lines: lines.undated.saturating_sub(lines.dated),
        order_lines: lines,
        unmatched_exclude_items: excluded.unmatched,
        exclude_items_in_another_case: excluded.in_another_case,
        row_filters,
        placeholder_customers,
        dominant_customer,
        lines_without_item,
        stray_dates: stray_dates.map(StrayDates::from),
        early_dates: early_dates.map(EarlyDates::from),
        seconds: start.elapsed().as_secs_f64(),
        after_cleaning: None,
        quiet_weekdays: None,
        kept_rows_by_day: None,
    };
    Ok((cleaned, report))
}

/// Lines a customer bought with no item: a platform's blank SKU (Shopify's `Lineitem sku` of a
/// product without one) — a third of a helper's lines, dropped at exit 0 without a word, their
/// products never recommended (helper-169) — or a summary line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ItemlessLines {
    pub rows: usize,
    /// Of them, those with a description: items the item column leaves blank.
    pub described: usize,
}

impl ItemlessLines {
    /// The `lines` marked (a customer and a quantity, no item), and of them those `frame`
    /// describes; `None` without any.
    fn of(lines: &BooleanChunked, frame: &DataFrame) -> Option<ItemlessLines> {
        let rows = lines.num_trues();
        let described = frame.column(col::DESCRIPTION).map_or(0, |d| (lines & &d.is_not_null()).num_trues());
        (rows > 0).then_some(ItemlessLines { rows, described })
    }

    /// What a run says of them: a warning when most have a description (the products are
    /// there, the item column does not name them: map another), a note otherwise.
    pub fn said(&self, item: &str) -> (bool, String) {
        let described = 2 * self.described > self.rows;
        let lines = crate::words::counted(self.rows, "line");
        let text = match described {
            true => format!(
                "{lines} with a customer have no item in column '{item}', dropped as no purchase, though {} of them have a description: their products are never recommended; if the export leaves the column blank for some products, map [columns] item to a column every line fills",
                self.described
            ),
            false => format!("{lines} with a customer have no item in column '{item}': dropped as no purchase"),
        };
        (described, text)
    }
}

/// The rows the rules keep so far, and each rule's counts in the order they ran.
struct Rows {
    kept: BooleanChunked,
    rules: Vec<RuleReport>,
}

impl Rows {
    /// Keeps the rows `keep` marks among those kept, counting rule `rule`'s drops.
    fn apply(
        &mut self,
        frame: &DataFrame,
        rule: &str,
        keep: impl FnOnce(&DataFrame) -> PolarsResult<BooleanChunked>,
    ) -> Result<()> {
        let mask = keep(frame).map_err(Error::frame(format!("clean rule {rule}")))?;
        let rows_in = self.kept.num_trues();
        self.kept = &self.kept & &mask;
        self.rules.push(RuleReport { rule: rule.to_string(), rows_in, rows_out: self.kept.num_trues() });
        Ok(())
    }

    /// The header again, as a row: exports joined end to end (`cat jan.csv feb.csv`), a second
    /// table below the first. Its customer and item read as ids ("CustomerID" bought
    /// "StockCode", and customer_id became text); its quantity, when mapped, as an invalid one,
    /// dropped without saying why. The rule is listed only when it drops a row.
    fn repeated_header(&mut self, frame: &DataFrame, cfg: &CleanConfig) -> Result<()> {
        let Some((customer, item)) = &cfg.header else { return Ok(()) };
        let not_header = |f: &DataFrame| -> PolarsResult<BooleanChunked> {
            let (c, i) = (f.column(col::CUSTOMER)?.str()?, f.column(col::ITEM)?.str()?);
            Ok(c.iter().zip(i.iter()).map(|(c, i)| !(c == Some(customer.trim()) && i == Some(item.trim()))).collect())
        };
        let mask = not_header(frame).map_err(Error::frame("clean rule repeated_header"))?;
        match mask.num_trues() < frame.height() {
            true => self.apply(frame, "repeated_header", |_| Ok(mask)),
            false => Ok(()),
        }
    }

    /// The pipeline's `exclude_rows`, then its `keep_rows`: a rule each when it has filters.
    fn pipeline_filters(&mut self, frame: &DataFrame, cfg: &CleanConfig) -> Result<Vec<RowFilterReport>> {
        let mut reports = Vec::new();
        // the rows before the filters (the repeated header aside), taken only when there are any
        let before: Vec<bool> = match cfg.row_filters().is_empty() {
            true => Vec::new(),
            false => self.kept.iter().map(|k| k == Some(true)).collect(),
        };
        for keep in [false, true] {
            let filters: Vec<RowFilter> = cfg.row_filters().into_iter().filter(|f| f.keep == keep).collect();
            if filters.is_empty() {
                continue;
            }
            let rule = if keep { "keep_rows" } else { "exclude_rows" };
            self.apply(frame, rule, |f| {
                let columns = cfg.row_columns();
                let mut mask = BooleanChunked::full("kept".into(), true, f.height());
                for filter in filters {
                    let at = columns.iter().position(|c| c == filter.column).unwrap_or_default();
                    let (keeps, mut report) = row_filter(f, &filter, &row_column(at), &before)?;
                    if let Some(name) = cfg.row_names.get(at) {
                        report.column = name.clone();
                    }
                    mask = &mask & &keeps;
                    reports.push(report);
                }
                Ok(mask)
            })?;
        }
        Ok(reports)
    }

    /// What makes a row no purchase: a quantity under the minimum (none set: not above zero),
    /// a missing customer, item or quantity.
    fn purchase_rules(&mut self, frame: &DataFrame, cfg: &CleanConfig) -> Result<Option<ItemlessLines>> {
        self.apply(frame, "min_quantity", |f| {
            // without a quantity column every row is one purchase: a set minimum drops nothing
            // (`min_quantity = 5` dropped every row, each 1)
            if cfg.no_quantity {
                return Ok(BooleanChunked::full("kept".into(), true, f.height()));
            }
            let keep = |q: f64| cfg.min_quantity.map_or(q > 0.0, |min| q >= min);
            Ok(f.column(col::QUANTITY)?.f64()?.iter().map(|q| q.is_none_or(keep)).collect())
        })?;
        let not_null = |name: &str| frame.column(name).map(Column::is_not_null);
        let masks = not_null(col::CUSTOMER).and_then(|c| Ok((&c & &not_null(col::QUANTITY)?, not_null(col::ITEM)?)));
        let (bought, item) = masks.map_err(Error::frame("clean rule missing_customer_item_or_quantity"))?;
        let itemless = ItemlessLines::of(&(&(&bought & &!&item) & &self.kept), frame);
        self.apply(frame, "missing_customer_item_or_quantity", |_| Ok(&bought & &item))?;
        Ok(itemless)
    }

    /// The pipeline's `exclude_items` (a rule only when it lists any), and what it did not match.
    fn exclude_items(&mut self, frame: &DataFrame, cfg: &CleanConfig) -> Result<Excluded> {
        let mut excluded = Excluded::default();
        if cfg.exclude_items.is_empty() {
            return Ok(excluded);
        }
        self.apply(frame, "exclude_items", |f| {
            // matched once per distinct item, the rows then looked up
            let items = f.column(col::ITEM)?.str()?;
            let distinct: Vec<&str> = items.iter().flatten().collect::<HashSet<&str>>().into_iter().collect();
            let (matched, unmatched) =
                matched_items(&cfg.exclude_items, distinct.iter().copied(), crate::roles::normalize_id);
            let dropped: HashSet<&str> = distinct.iter().zip(matched).filter(|(_, m)| *m).map(|(i, _)| *i).collect();
            let mut in_another_case = crate::config::in_another_case(&unmatched, &distinct);
            in_another_case.retain(|(_, item)| !dropped.contains(item.as_str()));
            excluded = Excluded { unmatched, in_another_case };
            Ok(items.iter().map(|i| !i.is_some_and(|i| dropped.contains(i))).collect())
        })?;
        Ok(excluded)
    }
}

/// What the pipeline's `exclude_items` did not match: the listed ids no item is, and those
/// an item is but for case (each with that item).
#[derive(Default)]
struct Excluded {
    unmatched: Vec<String>,
    in_another_case: Vec<(String, String)>,
}

/// An end of the export's purchase days ([`strays`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum End {
    /// Purchases dated before a silence the shop never otherwise kept: a placeholder date (a
    /// zero timestamp's 1970-01-01, a database's or .NET's empty 1900-01-01 or 0001-01-01) is
    /// valid and becomes an item's first sale and a customer's first purchase, decades back:
    /// one such row of the shipped export changed 664 of 4,339 lists (its item, "on sale" for
    /// 41 years, sank in the exposure prior), and a small shop's selection window grew to
    /// 7,659 days.
    Oldest,
    /// Purchases dated after such a silence: a mistyped year (2025 for 2011, 2012-11 for
    /// 2011-11) is valid, before the clock, and becomes the newest purchase — the reference
    /// every age counts back from (the recency weights, the exposure prior, the selection's
    /// window): one such row of 541,909 put its item first in 3,075 of 4,067 lists and halved
    /// their NDCG, and the next night's correct export was refused as cut short.
    Newest,
}

/// What [`strays`] found at one end: the rows set unknown, the first of them (0-based) and
/// its date, their oldest and newest dates, the kept date nearest them on the other side of
/// the gap (where the export starts or ends), the gap and the longest one before it, in days.
struct Stray {
    rows: usize,
    first_row: usize,
    first: i64,
    oldest: i64,
    newest: i64,
    kept_edge: i64,
    gap_days: f64,
    longest_gap_days: f64,
}

impl From<Stray> for StrayDates {
    fn from(s: Stray) -> StrayDates {
        StrayDates {
            rows: s.rows,
            first_row: s.first_row + 1,
            first_date: date_text(s.first),
            newest_date: date_text(s.newest),
            newest_kept: date_text(s.kept_edge),
            gap_days: s.gap_days,
            longest_gap_days: s.longest_gap_days,
        }
    }
}

impl From<Stray> for EarlyDates {
    fn from(s: Stray) -> EarlyDates {
        EarlyDates {
            rows: s.rows,
            first_row: s.first_row + 1,
            first_date: date_text(s.first),
            oldest_date: date_text(s.oldest),
            newest_date: date_text(s.newest),
            oldest_kept: date_text(s.kept_edge),
            gap_days: s.gap_days,
            longest_gap_days: s.longest_gap_days,
        }
    }
}

/// [`strays`] as a run judges the export (`cutoff` none), or as `kindred evaluate` judges it
/// at `cutoff`: the training rows on their own, as a run on the export cut at the cutoff
/// judges them (the test rows, which it never sees, could end a stray tail there), the test
/// rows as a run on the whole export. (The oldest end's, the newest end's.) The test rows are
/// judged first, on the dates as read: judged after the training tail was set unknown, a shop
/// reopening after a silence with one customer's few days lost them all (the training part's
/// last day, stray there, no longer stood between them and the rest), and the test was refused
/// as empty (helper-128).
fn strays_at(
    frame: &mut DataFrame,
    kept: &BooleanChunked,
    cutoff: Option<i64>,
) -> PolarsResult<(Option<Stray>, Option<Stray>)> {
    let Some(cutoff) = cutoff else { return strays(frame, kept, |_| true, |_| true) };
    let test = strays(frame, kept, |_| true, |t| t >= cutoff)?;
    let train = strays(frame, kept, |t| t < cutoff, |t| t < cutoff)?;
    // both parts' tails at one end are one warning where they are one tail (the whole export's
    // kept dates end before the training part's tail begins): the training part's alone left
    // the test rows read as unknown said nowhere (helper-131). Two tails apart (a typo years on
    // beyond the test's purchases) keep the training part's, whose figures are its own
    // (helper-132: merged, one warning spanned every test row with the training tail's gap).
    let both = |a: Option<Stray>, b: Option<Stray>| match (a, b) {
        (Some(a), Some(b)) if b.kept_edge < a.oldest => {
            let (first_row, first) = (a.first_row, a.first).min((b.first_row, b.first));
            let (oldest, newest) = (a.oldest.min(b.oldest), a.newest.max(b.newest));
            Some(Stray { rows: a.rows + b.rows, first_row, first, oldest, newest, ..a })
        }
        (a, b) => a.or(b),
    };
    Ok((both(train.0, test.0), both(train.1, test.1)))
}

/// Purchases dated beyond a silence the shop never otherwise kept, at either end of its
/// purchase days ([`End`]; [`stray_tails`] says where). Their dates are set unknown (every
/// row's from that day outwards): the purchases stay, undated, aged as the median dated one
/// ([`crate::pivot::dated`]). (The oldest end's, the newest end's; none where an end is not
/// stray.)
///
/// Only the rows dated `counted` tell the rhythm and the tails, and only those dated `applied`
/// are set unknown (`kindred evaluate`'s training and test rows; a run's: all).
fn strays(
    frame: &mut DataFrame,
    kept: &BooleanChunked,
    counted: impl Fn(i64) -> bool,
    applied: impl Fn(i64) -> bool,
) -> PolarsResult<(Option<Stray>, Option<Stray>)> {
    let Ok(column) = frame.column(col::DATE) else {
        return Ok((None, None));
    };
    let date = column.i64()?;
    let mut days: Vec<(i64, usize)> = purchase_days(date, kept, &counted).collect();
    days.sort_unstable();
    let (first_inside, first_after) = stray_tails(&days);
    if first_inside.is_none() && first_after.is_none() {
        return Ok((None, None));
    }
    let inside = first_inside.unwrap_or(0)..first_after.unwrap_or(days.len());
    // a tail's bounds as days: before the first day inside, after the last
    let before = first_inside.map(|_| days[inside.start].0);
    let after = first_after.map(|_| days[inside.end - 1].0);
    let end_of = |t: i64| match t.div_euclid(DAY) {
        d if before.is_some_and(|b| d < b) => Some(End::Oldest),
        d if after.is_some_and(|a| d > a) => Some(End::Newest),
        _ => None,
    };
    let longest = longest_gap(&days[inside.clone()]);
    let gap = |k: usize| (days[k].0 - days[k - 1].0) as f64;
    let mut found = [first_inside, first_after].map(|start| {
        start.map(|k| Stray {
            rows: 0,
            first_row: 0,
            first: 0,
            oldest: i64::MAX,
            newest: i64::MIN,
            kept_edge: 0,
            gap_days: gap(k),
            longest_gap_days: longest as f64,
        })
    });
    let (kept_oldest, kept_newest) = tally(date, kept, &end_of, (&counted, &applied), &mut found);
    let unknown: Int64Chunked = date.iter().map(|t| t.filter(|&t| end_of(t).is_none() || !applied(t))).collect();
    frame.with_column(unknown.with_name(col::DATE.into()).into_column())?;
    let [oldest, newest] = found;
    let edge = |s: Option<Stray>, kept_edge: Option<i64>| {
        s.filter(|s| s.rows > 0).map(|s| Stray { kept_edge: kept_edge.unwrap_or_default(), ..s })
    };
    Ok((edge(oldest, kept_oldest), edge(newest, kept_newest)))
}

/// Counts the kept rows `applied` to in the tail `end_of` puts them in (`found`, by [`End`]),
/// and returns the oldest and newest date of the others `counted`: where the export starts and
/// ends once its tails are set aside.
fn tally(
    date: &Int64Chunked,
    kept: &BooleanChunked,
    end_of: &dyn Fn(i64) -> Option<End>,
    (counted, applied): (&dyn Fn(i64) -> bool, &dyn Fn(i64) -> bool),
    found: &mut [Option<Stray>; 2],
) -> (Option<i64>, Option<i64>) {
    let (mut oldest, mut newest) = (None::<i64>, None::<i64>);
    for (row, (t, k)) in date.iter().zip(kept.iter()).enumerate() {
        let Some(t) = t.filter(|_| k == Some(true)) else { continue };
        match end_of(t) {
            Some(end) if applied(t) => {
                let Some(s) = found[end as usize].as_mut() else { continue };
                if s.rows == 0 {
                    (s.first_row, s.first) = (row, t);
                }
                s.rows += 1;
                (s.oldest, s.newest) = (s.oldest.min(t), s.newest.max(t));
            }
            None if counted(t) => {
                oldest = Some(oldest.map_or(t, |e| e.min(t)));
                newest = Some(newest.map_or(t, |e| e.max(t)));
            }
            _ => {}
        }
    }
    (oldest, newest)
}

/// Seconds in a day.
const DAY: i64 = 86_400;

/// The kept rows' purchase days (UTC, as days since the epoch) with their rows, of the dates
/// `counted` says yes to, in no order.
fn purchase_days(
    date: &Int64Chunked,
    kept: &BooleanChunked,
    counted: impl Fn(i64) -> bool,
) -> impl Iterator<Item = (i64, usize)> {
    let mut per_day: HashMap<i64, usize> = HashMap::new();
    for (t, k) in date.iter().zip(kept.iter()) {
        if let (Some(t), Some(true)) = (t, k) {
            if counted(t) {
                *per_day.entry(t.div_euclid(DAY)).or_default() += 1;
            }
        }
    }
    per_day.into_iter()
}

/// An epoch second as the reports write a date.
fn date_text(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0).map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// Where the newest end's stray tail of `days` starts ([`stray_tails`]).
#[cfg(test)]
fn stray_tail(days: &[(i64, usize)]) -> Option<usize> {
    stray_tails(days).1
}

/// What [`order_lines`] found: the lines that look like an order's later lines written without
/// its fields, the most of them below one line, the export's distinct items, and how many took
/// the fields of the line above.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct OrderLines {
    pub found: usize,
    pub longest: usize,
    pub items: usize,
    pub filled: usize,
    /// Lines with the customer of the dated line above but no date (an export writing an
    /// order's date on its first line only: helper-149's, 95% of its lines undated).
    pub undated: usize,
    /// Lines with a customer but no date that took their order's date (the same invoice and
    /// customer), with `fill_order_lines` and the invoice read (`invoiced`).
    pub dated: usize,
    pub invoiced: bool,
    /// Dated lines without a customer on an order of one customer ([`claimed_lines`]): with
    /// `fill_order_lines` they took its customer, else they are dropped as guests'.
    pub claimed: usize,
}

impl OrderLines {
    /// What the log says of them when they are filled, or found and `fill_order_lines` is off.
    pub fn note(&self, fill: bool) -> Option<String> {
        let seen = || {
            format!(
                "{} with a customer but no date follow that customer's dated line, as an order's later lines do in exports that write its date on its first line only: they are kept undated, which the held-back window and the date settings do not see",
                crate::words::counted(self.undated, "line")
            )
        };
        let undated = match (self.dated, self.undated) {
            (0, 0) => None,
            (0, _) if !fill => Some(format!(
                "{}; if so, set [clean] fill_order_lines = true with [columns] invoice mapped: each takes its order's date (the same invoice and customer)",
                seen()
            )),
            (0, _) if !self.invoiced => Some(format!("{}; [clean] fill_order_lines dates them by their order: map [columns] invoice", seen())),
            (0, _) => Some(format!("{}, none on an invoice with a dated line of its customer", seen())),
            (n, _) => Some(format!(
                "{} with a customer but no date took their order's date (the same invoice and customer: [clean] fill_order_lines)",
                crate::words::counted(n, "line")
            )),
        };
        let claimed = (fill && self.claimed > 0).then(|| {
            format!(
                "{} without a customer took the customer of their order's other lines (the same invoice, date and time: [clean] fill_order_lines)",
                crate::words::counted(self.claimed, "line")
            )
        });
        let notes: Vec<String> = [self.lines_note(fill), undated, claimed].into_iter().flatten().collect();
        (!notes.is_empty()).then(|| notes.join("; "))
    }

    /// [`OrderLines::note`] of the lines without a customer or a date.
    fn lines_note(&self, fill: bool) -> Option<String> {
        match (self.filled, self.found) {
            (0, 0) => None,
            (0, _) if fill => None, // the warning's
            (0, n) => Some(format!(
                "{} without a customer or a date follow dated lines, as an order's later lines do in exports that write its fields on its first line only (Odoo's orders with their lines): they are dropped as guests'; if so, [clean] fill_order_lines = true gives each the customer and date of the dated line above",
                crate::words::counted(n, "line")
            )),
            (n, _) => Some(format!(
                "{} without a customer or a date, each below a dated line, took its customer and date: an export that writes an order's fields on its first line only ([clean] fill_order_lines)",
                crate::words::counted(n, "line")
            )),
        }
    }

    /// The warnings: `fill_order_lines` asked and nothing could be filled (the lines do not
    /// follow their orders); lines of a customer's order without its customer, not asked.
    pub fn warnings(&self, fill: bool) -> Vec<String> {
        let unfilled = (fill && self.found > 0 && self.filled == 0).then(|| {
            format!(
                "[clean] fill_order_lines filled nothing: of the {} lines without a customer or a date, {} follow one dated line, more than the export's {} items — they do not follow their orders' first lines (a sorted export?), so they are dropped as guests'; export each order's lines together",
                self.found, self.longest, self.items
            )
        });
        let claimed = (!fill && self.claimed > 0).then(|| {
            format!(
                "{} without a customer share their invoice, date and time with the lines of one customer, as an order's later lines do in exports that write its customer on its first line only (Shopify's Email): they are dropped as guests' lines; if so, set [clean] fill_order_lines = true and each takes its order's customer",
                crate::words::counted(self.claimed, "line")
            )
        });
        [unfilled, claimed].into_iter().flatten().collect()
    }
}

/// An order's later lines written without the order's fields (Odoo's export of orders with
/// their lines, many ERPs' parent/child exports: the order reference, date and customer on its
/// first line only) are dropped as lines without a customer — a third of one shop's rows,
/// silently. Such a line has an item but neither a customer nor a date, and sits right below
/// a dated line (the order's first line) or another such line: they are counted, and with
/// `fill` (`[clean] fill_order_lines`) each takes the customer and date of the dated line above
/// it, and its segment where it has none — a null customer too (a guest's order stays a
/// guest's). Opt-in: a guest's line whose date is invalid looks the same, and so does every
/// such line of an export sorted after it was written (blanks last: they no longer follow
/// their orders). Not filled, with a warning, when one line would pass its fields to more
/// lines than the export has items — no order lists every item: the lines do not follow their
/// orders. Without a date column nothing tells a later line from a guest's: none is found.
fn order_lines(frame: &mut DataFrame, fill: bool) -> PolarsResult<OrderLines> {
    let (Ok(date), Ok(customer)) = (frame.column(col::DATE), frame.column(col::CUSTOMER)) else {
        return Ok(OrderLines::default());
    };
    let (date, customer, item) = (date.i64()?, customer.str()?, frame.column(col::ITEM)?.str()?);
    let n = frame.height();
    if date.null_count() == n || date.null_count() == 0 {
        return Ok(OrderLines::default());
    }
    // most exports have no such line: looked for before anything is allocated (masks of the
    // three columns left the run's peak 10 MB higher on the shipped export)
    // a line of an item without a date, and without a customer or with the customer of the
    // dated line right above it
    let mut above: (Option<&str>, Option<i64>) = (None, None);
    let later = customer.iter().zip(date.iter()).zip(item.iter()).any(|((c, d), i)| {
        let found = d.is_none() && i.is_some() && (c.is_none() || (above.1.is_some() && c == above.0));
        above = (c, d);
        found
    });
    // with the invoice read (`fill_order_lines`), a customer's undated line anywhere may take its
    // order's date
    let invoiced = fill && frame.column(ORDER_COLUMN).is_ok();
    if !later && !invoiced {
        return Ok(OrderLines::default());
    }
    // `from[r]`: the dated line whose order fields row r would take (itself unless a later line)
    let mut from: Vec<usize> = (0..n).collect();
    let (mut found, mut undated, mut run, mut longest) = (0, 0, 0, 0);
    let (dates, customers, items): (Vec<_>, Vec<_>, Vec<_>) =
        (date.iter().collect(), customer.iter().collect(), item.iter().collect());
    // the dated line a customer's undated lines right below it follow
    let mut anchor = dates.first().and_then(|d| d.map(|_| 0));
    for r in 1..n {
        let above = from[r - 1];
        if customers[r].is_none() && dates[r].is_none() && items[r].is_some() && dates[above].is_some() {
            from[r] = above;
            found += 1;
            run = if above == r - 1 { 1 } else { run + 1 };
            longest = longest.max(run);
        }
        // the customer's own: counted, never filled from the line above (an export sorted by
        // customer and item puts another order's line there: 81% of a helper's such lines took
        // a wrong date); its order's date is the invoice's
        match (dates[r], anchor) {
            (Some(_), _) => anchor = Some(r),
            (None, Some(a)) if customers[r].is_some() && customers[r] == customers[a] && items[r].is_some() => {
                undated += 1
            }
            _ => anchor = None,
        }
    }
    let distinct = item.n_unique()? - usize::from(item.null_count() > 0);
    let mut lines = OrderLines { found, longest, items: distinct, filled: 0, undated, dated: 0, invoiced, claimed: 0 };
    if !fill {
        return Ok(lines);
    }
    let orders = frame.column(ORDER_COLUMN).and_then(|c| c.str()).ok();
    let order_dates = orders.map_or_else(|| dates.clone(), |o| by_order(o, &dates, &customers, &items));
    lines.dated = order_dates.iter().zip(&dates).filter(|(filled, own)| filled.is_some() && own.is_none()).count();
    let fills = found > 0 && longest <= distinct;
    if !fills && lines.dated == 0 {
        return Ok(lines);
    }
    let date: Int64Chunked =
        (0..n).map(|r| if fills && from[r] != r { dates[from[r]] } else { order_dates[r] }).collect();
    let mut columns = vec![date.with_name(col::DATE.into()).into_column()];
    if fills {
        let customer: StringChunked = from.iter().map(|&f| customers[f]).collect();
        columns.push(customer.with_name(col::CUSTOMER.into()).into_column());
        // the segment, the row filters' columns and the invoice: a line's own value is kept
        for column in frame.columns().iter().filter(|c| c.name() == col::SEGMENT || is_row_text(c.name())) {
            columns.push(filled_from(column, &from)?.into_column());
        }
        lines.filled = found;
    }
    for column in columns {
        frame.with_column(column)?;
    }
    Ok(lines)
}

/// Lines of an item without a customer that share their invoice — and their date and time, where
/// dated — with the lines of one customer and no other's: an order's later lines in an export
/// writing its customer on its first line only and its date on every line (Shopify's `Email`
/// beside `Created at`: a helper's 10,320 such lines, 35% of the pairs, dropped as guests'
/// without a word). A guest's order has no customer on any line, and an invoice number two
/// customers share (two shops' `#1001` merged) names no one: neither is claimed. The owner may
/// be a line without an item (an ERP's header row: the order, its customer and date, then its
/// lines without the customer). Only where the invoice column names orders — no more than one
/// in a hundred of the invoices of lines without a customer at two or more dates and times: tills numbering
/// their receipts from 1 each day, whatever the minute, give a guest's receipt the number of a
/// customer's at another till (helper-174: 5,036 guests' lines claimed, every list changed),
/// and such numbers recur day after day. Without dates (no date column, or none read) an
/// invoice of one customer is its order. Undated lines without a customer
/// are [`order_lines`]' (the line above's). With `fill` each claimed line takes the customer (and
/// its segment where it has none) of its order's first line with one; counted either way.
fn claimed_lines(frame: &mut DataFrame, fill: bool) -> PolarsResult<usize> {
    let (Ok(orders), Ok(customer)) = (frame.column(ORDER_COLUMN), frame.column(col::CUSTOMER)) else {
        return Ok(0);
    };
    let (orders, customer) = (orders.str()?, customer.str()?);
    if customer.null_count() == 0 || customer.null_count() == frame.height() {
        return Ok(0);
    }
    let items: Vec<bool> = frame.column(col::ITEM)?.str()?.iter().map(|i| i.is_some()).collect();
    let date = frame.column(col::DATE).ok().map(|d| d.i64()).transpose()?;
    let times: Vec<Option<i64>> = match date {
        Some(date) if date.null_count() < frame.height() => date.iter().collect(),
        _ => vec![Some(0); frame.height()],
    };
    let (orders, customers): (Vec<_>, Vec<_>) = (orders.iter().collect(), customer.iter().collect());
    // only the invoices of lines without a customer are looked at (the shipped export's: its
    // guests' receipts, a tenth of them; every invoice looked at cost 70 ms)
    let candidates: HashSet<&str, foldhash::fast::FixedState> =
        (0..frame.height()).filter(|&r| customers[r].is_none() && items[r]).filter_map(|r| orders[r]).collect();
    if candidates.is_empty() {
        return Ok(0);
    }
    let orders: Vec<Option<&str>> = orders.into_iter().map(|o| o.filter(|o| candidates.contains(o))).collect();
    if !names_orders(&orders, &times) {
        return Ok(0);
    }
    // each order's (invoice, time) first line with a customer, `None` where two customers share it
    let mut owner: HashMap<(&str, i64), Option<usize>, foldhash::fast::FixedState> = HashMap::default();
    for (r, (o, c)) in orders.iter().zip(&customers).enumerate() {
        if let (Some(o), Some(c), Some(d)) = (o, c, times[r]) {
            let first = owner.entry((*o, d)).or_insert(Some(r));
            if first.is_some_and(|f| customers[f] != Some(*c)) {
                *first = None;
            }
        }
    }
    let claimed: Vec<(usize, usize)> = (0..frame.height())
        .filter(|&r| customers[r].is_none() && items[r])
        .filter_map(|r| Some((r, (*owner.get(&(orders[r]?, times[r]?))?)?)))
        .collect();
    if !fill || claimed.is_empty() {
        return Ok(claimed.len());
    }
    let mut from: Vec<usize> = (0..frame.height()).collect();
    claimed.iter().for_each(|&(r, f)| from[r] = f);
    let mut columns =
        vec![from.iter().map(|&f| customers[f]).collect::<StringChunked>().with_name(col::CUSTOMER.into())];
    if let Ok(segment) = frame.column(col::SEGMENT) {
        columns.push(filled_from(segment, &from)?);
    }
    for column in columns {
        frame.with_column(column.into_column())?;
    }
    Ok(claimed.len())
}

/// Whether an invoice column (`orders`, each line's; `times`, its date and time) names orders:
/// each invoice's dated lines at one time, but one invoice in a hundred ([`claimed_lines`]).
fn names_orders(orders: &[Option<&str>], times: &[Option<i64>]) -> bool {
    let mut at: HashMap<&str, (i64, bool), foldhash::fast::FixedState> = HashMap::default();
    for (o, t) in orders.iter().zip(times) {
        if let (Some(o), Some(t)) = (o, t) {
            let (first, several) = at.entry(*o).or_insert((*t, false));
            *several |= *first != *t;
        }
    }
    100 * at.values().filter(|(_, several)| *several).count() <= at.len()
}

/// `column` with each line's missing value taken from line `from[r]` (its own kept where it has
/// one): the segment and row filters' values an order's filled lines take.
fn filled_from(column: &Column, from: &[usize]) -> PolarsResult<StringChunked> {
    let values: Vec<Option<&str>> = column.str()?.iter().collect();
    let filled: StringChunked = values.iter().zip(from).map(|(own, &f)| own.or(values[f])).collect();
    Ok(filled.with_name(column.name().clone()))
}

/// Each line's date, a customer's undated line of an item taking its order's: the first date of
/// a line of the same invoice and customer, wherever it is (`[clean] fill_order_lines`).
fn by_order(
    orders: &StringChunked,
    dates: &[Option<i64>],
    customers: &[Option<&str>],
    items: &[Option<&str>],
) -> Vec<Option<i64>> {
    let orders: Vec<Option<&str>> = orders.iter().collect();
    let mut dated: HashMap<(&str, &str), i64> = HashMap::new();
    for ((o, c), d) in orders.iter().zip(customers).zip(dates) {
        if let (Some(o), Some(c), Some(d)) = (o, c, d) {
            dated.entry((*o, *c)).or_insert(*d);
        }
    }
    let of = |r: usize| match (dates[r], orders[r], customers[r], items[r]) {
        (None, Some(o), Some(c), Some(_)) => dated.get(&(o, c)).copied(),
        (own, ..) => own,
    };
    (0..dates.len()).map(of).collect()
}

/// The cleaned rows: the canonical frame and which of its rows are kept. The kept rows are
/// not copied out: the pivot reads them through the mask. A copy of every column was half the
/// real export's cleaning time, all of it fresh memory, and at 27 million rows 1.6 GB.
pub struct Cleaned {
    frame: DataFrame,
    kept: Vec<bool>,
    height: usize,
    /// A purchase cleaning dropped whose customer id is not an integer ([`text_id_dropped`]).
    text_id_dropped: Option<(usize, String)>,
}

/// The first row (0-based) and id of a purchase the rules dropped — a return, a zero
/// quantity, an excluded item: a line with its customer, item and quantity, not the repeated
/// header nor a row of the pipeline's own filters (`filtered` says which rows those leave),
/// nor a line missing its item or quantity (junk: a header written another way) — whose
/// customer id is not an integer ([`crate::roles::integer_id`]) nor a placeholder
/// ([`is_placeholder`]: a till's `Guest` on a return), of the rows a run reads (under
/// `kindred evaluate`'s `cutoff`, a run at the cutoff's: dated before it or undated). The
/// export's ids are then not all integers, and the pivot publishes them as text even when
/// every kept one is one: the type follows the export, not one night's cleaning (a text id on
/// a return line made a fresh folder Int64, and the next night, its customer buying, was
/// refused).
fn text_id_dropped(
    frame: &DataFrame,
    filtered: &BooleanChunked,
    kept: &BooleanChunked,
    cutoff: Option<i64>,
) -> PolarsResult<Option<(usize, String)>> {
    let customers = frame.column(col::CUSTOMER)?.str()?;
    let (items, quantities) = (frame.column(col::ITEM)?.str()?, frame.column(col::QUANTITY)?.f64()?);
    let dates = match (cutoff, frame.column(col::DATE)) {
        (Some(_), Ok(date)) => Some(date.i64()?),
        _ => None,
    };
    let read = |row: usize| match (cutoff, dates) {
        (Some(cutoff), Some(dates)) => dates.get(row).is_none_or(|t| t < cutoff),
        _ => true,
    };
    let dropped = filtered.iter().zip(kept.iter()).map(|(f, k)| f == Some(true) && k != Some(true));
    let purchase = items.iter().zip(quantities.iter()).map(|(i, q)| i.is_some() && q.is_some());
    let mut rows = customers.iter().zip(dropped.zip(purchase)).enumerate();
    let text = |id: &str| crate::roles::integer_id(id).is_none() && !is_placeholder(id);
    Ok(rows.find_map(|(row, (id, (dropped, purchase)))| {
        let id = id.filter(|&id| dropped && purchase && text(id) && read(row))?;
        Some((row, id.to_string()))
    }))
}

impl Cleaned {
    fn new(frame: DataFrame, kept: BooleanChunked) -> Cleaned {
        let kept: Vec<bool> = kept.downcast_iter().flat_map(|a| a.values().iter()).collect();
        Cleaned { height: kept.iter().filter(|&&k| k).count(), frame, kept, text_id_dropped: None }
    }

    /// The first purchase cleaning dropped whose customer id is not an integer (its row,
    /// 0-based, and id): the export's ids are not all integers though every kept one may be.
    pub fn text_id_dropped(&self) -> Option<(usize, &str)> {
        self.text_id_dropped.as_ref().map(|(row, id)| (*row, id.as_str()))
    }

    /// Every row of `frame` kept.
    pub fn all(frame: DataFrame) -> Cleaned {
        let kept = BooleanChunked::full("kept".into(), true, frame.height());
        Cleaned::new(frame, kept)
    }

    /// Rows kept.
    pub fn height(&self) -> usize {
        self.height
    }

    /// The frame's column `name` (every row, kept or not: read it through [`Cleaned::kept`]).
    pub fn column(&self, name: &str) -> PolarsResult<&Column> {
        self.frame.column(name)
    }

    /// The kept ones of `values`, a column's values in row order.
    pub fn kept<'a, T: 'a>(&'a self, values: impl Iterator<Item = T> + 'a) -> impl Iterator<Item = T> + 'a {
        values.zip(&self.kept).filter_map(|(v, &k)| k.then_some(v))
    }

    /// The kept rows `part` says yes to (by row of the frame), as a `Cleaned` of their own over
    /// the same frame: no row is copied, the columns are shared.
    pub fn part(&self, part: impl Fn(usize) -> bool) -> Cleaned {
        let kept: Vec<bool> = self.kept.iter().enumerate().map(|(r, &k)| k && part(r)).collect();
        let height = kept.iter().filter(|&&k| k).count();
        Cleaned { height, frame: self.frame.clone(), kept, text_id_dropped: self.text_id_dropped.clone() }
    }

    /// Drops column `name` (a stage done with it frees its memory early).
    pub fn drop_column(&mut self, name: &str) -> PolarsResult<()> {
        self.frame.drop_in_place(name).map(|_| ())
    }

    /// The kept rows as a frame of their own (a copy).
    pub fn into_frame(self) -> Result<DataFrame> {
        let kept = BooleanChunked::from_slice("kept".into(), &self.kept);
        self.frame.filter(&kept).map_err(Error::frame("clean"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_whole_and_singular_for_one() {
        assert_eq!(
            (whole_days(1.0), whole_days(0.6), whole_days(12.2)),
            ("1 day".into(), "1 day".into(), "12 days".into())
        );
    }

    /// Each day's digest of its kept lines' customer ids: the same customers' lines in any order
    /// are the same digest; a customer's line given to another is another; lines cleaning
    /// dropped do not count.
    #[test]
    fn a_days_digest_is_its_kept_lines_customers() {
        let t0 = 1_291_161_600i64; // 2010-12-01
        let frame = |customers: [&str; 4]| {
            let cleaned = Cleaned::all(
                df!(
                    col::DATE => [t0, t0 + 60, t0 + 86_400, t0 + 86_460],
                    col::CUSTOMER => customers,
                    col::ITEM => ["A", "B", "A", "C"],
                )
                .unwrap(),
            );
            kept_rows_by_day(&cleaned).unwrap()
        };
        let was = frame(["1", "2", "3", "4"]);
        assert_eq!(was.rows, [2, 2]);
        let sum = |a: &str, b: &str| customer_digest(a).wrapping_add(customer_digest(b));
        assert_eq!(was.digests, [sum("1", "2"), sum("3", "4")]);
        // the first day's second line given another customer (a row off, or renumbered): another
        // digest; its customers swapped between its lines (or its items changed): the same
        let shifted = frame(["1", "3", "3", "4"]);
        assert_eq!((shifted.rows.clone(), shifted.digests[1]), (was.rows.clone(), was.digests[1]));
        assert_ne!(shifted.digests[0], was.digests[0]);
        let swapped = frame(["2", "1", "3", "4"]);
        assert_eq!((&swapped.digests, &swapped.item_digests), (&was.digests, &was.item_digests));
        // ... but its pairs are other: a customer column moved against the items (helper-174)
        assert_ne!(swapped.pair_digests[0], was.pair_digests[0]);
        assert_eq!(swapped.pair_digests[1], was.pair_digests[1]);
        assert_ne!(ids_digest(&["ab", "c"]), ids_digest(&["a", "bc"]));
        // a dropped line (not kept) is not in its day's digest
        let dates = [t0, t0 + 60];
        let part = Cleaned::all(df!(col::DATE => dates, col::CUSTOMER => ["1", "2"], col::ITEM => ["A", "B"]).unwrap());
        let part = part.part(|r| r == 0);
        assert_eq!(kept_rows_by_day(&part).unwrap().digests, [customer_digest("1")]);
        // the record reads back, and one without digests (before them) reads as none
        let json = serde_json::to_value(&was).unwrap();
        assert_eq!(serde_json::from_value::<RowsByDay>(json).unwrap(), was);
        let old: RowsByDay = serde_json::from_str(r#"{"first": "2010-12-01", "rows": [2, 2]}"#).unwrap();
        assert!(old.digests.is_empty());
    }

    /// Kept lines by day, and a later export's history compared with them: the next night's, a
    /// rolling export moved on, one cut by customer, doubled, missing days, with days twice, cut
    /// mid-day at its start; the earlier run's newest week (lines arrive late), the days a
    /// rolling export may have dropped, and whole days dropped at the start are not compared.
    #[test]
    fn an_exports_history_by_day_and_how_it_changed() {
        let t0 = 1_291_161_600i64; // 2010-12-01
        let mut dates: Vec<Option<i64>> =
            (0..20).flat_map(|d| [Some(t0 + d * 86_400 + 3_600), Some(t0 + d * 86_400 + 7_200)]).collect();
        dates.push(None);
        let was = kept_rows_by_day(&Cleaned::all(df!(col::DATE => dates).unwrap())).unwrap();
        let days = |first: &str, rows: Vec<u64>| RowsByDay { first: first.into(), rows, ..Default::default() };
        let date = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
        assert_eq!(was, days("2010-12-01", vec![2; 20]));
        let change = |now: RowsByDay| now.change_from(&was, 1).unwrap();
        let next = change(days("2010-12-01", vec![2; 21]));
        assert_eq!((next.before, next.gone, next.new, next.share(), next.compared), (22, 0, 0, 0.0, 11));
        assert_eq!(next.days, Some((date("2010-12-03"), date("2010-12-13"))));
        assert_eq!(change(days("2010-12-02", vec![2; 20])).share(), 0.0, "rolled a day");
        let cut = change(days("2010-12-01", vec![1; 21]));
        assert_eq!((cut.gone, cut.new, cut.share()), (11, 0, 0.5));
        assert_eq!(cut.most, Some((date("2010-12-03"), 2, 1)));
        let doubled = change(days("2010-12-01", vec![4; 21]));
        assert_eq!((doubled.gone, doubled.new, doubled.share()), (0, 22, 1.0));
        // lines arriving late, or cancelled soon after: the last week is not compared
        let late = change(days("2010-12-01", [vec![2; 13], vec![5, 9, 0, 2, 2, 2, 2, 2]].concat()));
        assert_eq!((late.gone, late.new), (0, 0));
        // three days missing, or three days twice, wherever they lie
        let hole = change(days("2010-12-01", [vec![2; 5], vec![0; 3], vec![2; 13]].concat()));
        assert_eq!((hole.gone, hole.most), (6, Some((date("2010-12-06"), 2, 0))));
        let twice = change(days("2010-12-01", [vec![2; 5], vec![4; 3], vec![2; 13]].concat()));
        assert_eq!((twice.gone, twice.new), (0, 6));
        // a day doubled, by half a typical day or more: a day's file appended again, or lines
        // dated into the past; less than doubled, or less than half a day's, is not it
        assert_eq!((twice.days_doubled, twice.first_doubled), (3, Some((date("2010-12-06"), 2, 4))));
        assert!(twice.doubled() && !next.doubled() && !cut.doubled());
        let busy = days("2010-12-01", vec![10; 20]);
        let more = |rows: Vec<u64>| days("2010-12-01", rows).change_from(&busy, 1).unwrap();
        assert!(!more([vec![10; 5], vec![19, 20], vec![10; 14]].concat()).doubled(), "one day not doubled");
        assert!(more([vec![10; 5], vec![20, 20], vec![10; 14]].concat()).doubled());
        assert!(!more([vec![10; 5], vec![20], vec![10; 15]].concat()).doubled(), "one day alone: a late order");
        let quiet = days("2010-12-01", [vec![10; 5], vec![2, 2], vec![10; 13]].concat());
        let late = |rows: Vec<u64>| days("2010-12-01", rows).change_from(&quiet, 1).unwrap();
        assert!(!late([vec![10; 5], vec![4, 4], vec![10; 14]].concat()).doubled(), "2 late lines on quiet days");
        assert!(late([vec![10; 5], vec![7, 7], vec![10; 14]].concat()).doubled(), "half a typical day");
        // its start cut mid-day (a file written newest first, cut short): the lost days count;
        // cut at a whole day (a rolling period, a purge): not compared, said
        let head = change(days("2010-12-06", [vec![1], vec![2; 15]].concat()));
        assert_eq!((head.gone, head.start_moved), (7, None), "12-03 to 12-05 lost, 12-06 in part");
        let whole = change(days("2010-12-06", vec![2; 16]));
        assert_eq!((whole.gone, whole.compared, whole.start_moved), (0, 8, Some(date("2010-12-06"))));
        assert_eq!(whole.start_dropped, 6, "12-03 to 12-05");
        // cut at a whole day to its last days, leaving less than a week: counted as gone
        let last = change(days("2010-12-09", vec![2; 13]));
        assert_eq!((last.gone, last.start_moved, last.compared), (12, None, 11));
        let moved = days("2010-12-06", [vec![1], vec![2; 15]].concat()).change_from(&was, 5).unwrap();
        assert_eq!((moved.gone, moved.days.map(|d| d.0)), (0, Some(date("2010-12-07"))), "moved 5 days");
        let short = days("2010-12-01", vec![2; 9]).change_from(&days("2010-12-01", vec![2; 8]), 1).unwrap();
        assert_eq!((short.share(), short.before, short.days), (0.0, 0, None));
        // a first day that does not read (a damaged manifest): no comparison
        assert_eq!(days("2010-12-1x", vec![2; 21]).change_from(&was, 1), None);
        assert!(days("+262142-06-01", vec![2; 3]).change_from(&was, 1).is_some(), "read, and no panic");
        // at most HISTORY_DAYS days are counted, back from the newest
        let long: Vec<Option<i64>> = (0..5_000).map(|d| Some(t0 + d * 86_400)).collect();
        let long = kept_rows_by_day(&Cleaned::all(df!(col::DATE => long).unwrap())).unwrap();
        assert_eq!((long.rows.len(), long.rows.iter().sum::<u64>()), (HISTORY_DAYS as usize, HISTORY_DAYS as u64));
        assert_eq!(kept_rows_by_day(&Cleaned::all(df!(col::DATE => [None::<i64>]).unwrap())), None);
    }

    #[test]
    fn quiet_weekdays_are_the_days_without_a_sale_in_the_last_eight_weeks() {
        // Monday to Friday for ten weeks from Monday 2026-09-28, and its first Saturday
        let monday = 1_796_601_600i64 - 70 * 86_400;
        let mut dates: Vec<Option<i64>> =
            (0..70).filter(|d| d % 7 < 5).map(|d| Some(monday + d * 86_400 + 3_600)).collect();
        dates.push(Some(monday + 5 * 86_400));
        dates.push(None);
        let cleaned = Cleaned::all(df!(col::DATE => dates.clone()).unwrap());
        let by_day = |cleaned: &Cleaned| kept_rows_by_day(cleaned).map(|h| quiet_weekdays(&h));
        let quiet = by_day(&cleaned).unwrap();
        assert_eq!(quiet, ["Saturday", "Sunday"]);
        let undated = Cleaned::all(df!(col::DATE => [None::<i64>, None]).unwrap());
        assert_eq!(by_day(&undated), None);
        // the review's cases: a delta export of the last week, a shop whose Mondays sold in a few
        // weeks only — no regular week, so no day is learnt quiet
        let last_week: Vec<Option<i64>> =
            dates.iter().flatten().filter(|&&t| t > monday + 63 * 86_400).map(|&t| Some(t)).collect();
        assert_eq!(by_day(&Cleaned::all(df!(col::DATE => last_week).unwrap())).unwrap(), Vec::<String>::new());
        let sparse: Vec<Option<i64>> =
            dates.iter().flatten().filter(|&&t| (t / 86_400) % 3 == 0).map(|&t| Some(t)).collect();
        assert_eq!(by_day(&Cleaned::all(df!(col::DATE => sparse).unwrap())).unwrap(), Vec::<String>::new());
        // holidays and a closure do not unlearn the week (a helper's year of nights: 17 Sunday
        // alarms): two Mondays and two Fridays closed, or two whole weeks closed, in the eight
        let week_of = |t: i64| (t - monday) / (7 * 86_400);
        let day_of = |t: i64| (t - monday) / 86_400 % 7;
        let holidays: Vec<Option<i64>> = dates
            .iter()
            .flatten()
            .filter(|&&t| !([3, 5].contains(&week_of(t)) && [0, 4].contains(&day_of(t))))
            .map(|&t| Some(t))
            .collect();
        assert_eq!(by_day(&Cleaned::all(df!(col::DATE => holidays).unwrap())).unwrap(), ["Saturday", "Sunday"]);
        let closed: Vec<Option<i64>> =
            dates.iter().flatten().filter(|&&t| ![4, 5].contains(&week_of(t))).map(|&t| Some(t)).collect();
        assert_eq!(by_day(&Cleaned::all(df!(col::DATE => closed).unwrap())).unwrap(), ["Saturday", "Sunday"]);
        // a market stall open on Saturdays only: six quiet days
        let stall: Vec<Option<i64>> = (0..10).map(|w| Some(monday + (w * 7 + 5) * 86_400 + 3_600)).collect();
        let stall = by_day(&Cleaned::all(df!(col::DATE => stall).unwrap())).unwrap();
        assert_eq!(stall, ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Sunday"]);
    }

    /// The after-cleaning check counts the kept rows only, says which optional columns keep
    /// nulls, and fails naming the column when a role cleaning requires still has one (a bug:
    /// here forced by checking the frame before any rule ran).
    #[test]
    fn after_cleaning_counts_kept_rows_and_fails_on_a_required_null() {
        let mapped = [("customer", "Cust".to_string()), ("item", "Item".into()), ("quantity", "Q".into())];
        let cfg = CleanConfig { min_quantity: Some(1.0), ..Default::default() };
        let (cleaned, _) = run(frame(), &cfg).unwrap();
        let after = after_cleaning(&cleaned, &mapped).unwrap();
        assert_eq!((after.nulls, after.columns.len()), (0, 3));
        assert_eq!(after.statement, "no nulls left in the 3 mapped columns the later stages read: Cust, Item, Q");
        let err = after_cleaning(&Cleaned::all(frame()), &mapped).unwrap_err().to_string();
        assert!(err.contains("column 'Cust' (customer role) still has 1 null after cleaning"), "{err}");
    }

    fn frame() -> DataFrame {
        DataFrame::new(
            5,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("1"), Some("2"), None, Some("3"), Some("4")]),
                Column::new(col::ITEM.into(), [Some("A"), Some("POST"), Some("B"), Some("C"), None]),
                Column::new(col::QUANTITY.into(), [Some(2.0), Some(1.0), Some(1.0), Some(-1.0), None]),
            ],
        )
        .unwrap()
    }

    /// Session 35: a text customer id on a row the purchase rules drop tells that the export's
    /// ids are not all integers; under `kindred evaluate`'s cutoff, not one dated at or after
    /// the cutoff, which a run at the cutoff never reads.
    #[test]
    fn a_text_id_on_a_dropped_row_is_seen_as_a_run_would_read_it() {
        let day = |d: i64| Some(d * DAY);
        let rows = |customer: &str, date: Option<i64>| {
            let mut f = frame();
            f.with_column(Column::new(col::CUSTOMER.into(), [Some("1"), Some("2"), None, Some(customer), Some("4")]))
                .unwrap();
            f.with_column(Column::new(col::DATE.into(), [day(1), day(2), day(3), date, day(5)])).unwrap();
            f
        };
        // row 3 (quantity -1) is dropped by min_quantity
        let seen = |f: DataFrame, cfg: &CleanConfig| run(f, cfg).unwrap().0.text_id_dropped().is_some();
        let plain = CleanConfig::default();
        assert!(seen(rows("C-9", day(4)), &plain));
        assert!(!seen(rows("39", day(4)), &plain), "an integer id");
        let at = |cutoff: i64| CleanConfig { cutoff: Some(cutoff * DAY), ..Default::default() };
        assert!(seen(rows("C-9", day(4)), &at(5)), "before the cutoff");
        assert!(!seen(rows("C-9", day(4)), &at(4)), "at the cutoff: the test's");
        assert!(seen(rows("C-9", None), &at(4)), "undated: a run at the cutoff reads it");
        // (the pipeline's own filters: tests/it/customer_type.rs)
        assert_eq!(run(rows("C-9", day(4)), &plain).unwrap().0.text_id_dropped(), Some((3, "C-9")));
        // a placeholder on a return (a till's guest) is no customer's id; a line without its
        // item and quantity (a header written another way) is no purchase
        assert!(!seen(rows("Guest", day(4)), &plain), "a placeholder");
        let mut junk = rows("39", day(4));
        junk.with_column(Column::new(
            col::CUSTOMER.into(),
            [Some("1"), Some("2"), None, Some("39"), Some("Customer ID")],
        ))
        .unwrap();
        assert!(!seen(junk, &plain), "no purchase");
    }

    #[test]
    fn rules_apply_in_order_and_count() {
        let cfg = CleanConfig { min_quantity: Some(1.0), exclude_items: vec!["POST".into()], ..Default::default() };
        let (out, report) = run(frame(), &cfg).unwrap();
        let out = out.into_frame().unwrap();
        let counts: Vec<(usize, usize)> = report.rules.iter().map(|r| (r.rows_in, r.rows_out)).collect();
        assert_eq!(counts, [(5, 4), (4, 2), (2, 1)]);
        assert_eq!(out.column(col::CUSTOMER).unwrap().str().unwrap().get(0), Some("1"));
        assert!((report.dropped_share() - 0.8).abs() < 1e-12);
    }

    /// Odoo's layout: an order's fields (reference, date, customer) on its first line only. The
    /// later lines take the line above's customer and date, a guest's order stays a guest's,
    /// and a line that carries its date (a guest's own purchase) is not taken for one.
    #[test]
    fn an_orders_later_lines_take_its_customer_and_date() {
        let day = |d: i64| Some(d * 86_400);
        let frame = DataFrame::new(
            7,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("1"), None, None, None, None, Some("2"), None]),
                Column::new(col::ITEM.into(), [Some("A"), Some("B"), Some("C"), Some("D"), Some("E"), Some("F"), None]),
                Column::new(col::QUANTITY.into(), [Some(1.0); 7]),
                // rows 1, 2: later lines of 1's order; 3: a guest's order (dated), 4: its later line
                Column::new(col::DATE.into(), [day(1), None, None, day(2), None, day(3), None]),
            ],
        )
        .unwrap();
        let kept = |cfg: &CleanConfig| {
            let (out, report) = run(frame.clone(), cfg).unwrap();
            let out = out.into_frame().unwrap();
            let c: Vec<Option<String>> =
                out.column(col::CUSTOMER).unwrap().str().unwrap().iter().map(|c| c.map(String::from)).collect();
            let d: Vec<Option<i64>> = out.column(col::DATE).unwrap().i64().unwrap().iter().collect();
            let i: Vec<Option<String>> =
                out.column(col::ITEM).unwrap().str().unwrap().iter().map(|c| c.map(String::from)).collect();
            (i.into_iter().zip(c).zip(d).map(|((i, c), d)| (i.unwrap(), c.unwrap(), d)).collect::<Vec<_>>(), report)
        };
        let fill = CleanConfig { fill_order_lines: true, ..Default::default() };
        let (rows, report) = kept(&fill);
        let s = |x: &str| x.to_string();
        assert_eq!(
            rows,
            [(s("A"), s("1"), day(1)), (s("B"), s("1"), day(1)), (s("C"), s("1"), day(1)), (s("F"), s("2"), day(3))]
        );
        // B, C filled from A; E from the guest's D (still no customer: dropped); the last row has no item
        assert_eq!((report.filled_order_lines, report.unfilled_order_lines), (3, 0));
        assert_eq!(
            report.order_lines,
            OrderLines { found: 3, longest: 2, items: 6, filled: 3, undated: 0, dated: 0, invoiced: false, claimed: 0 }
        );
        // by default they are found, not filled: dropped as guests' lines
        let (rows, report) = kept(&CleanConfig::default());
        assert_eq!((rows.len(), report.filled_order_lines, report.unfilled_order_lines), (2, 0, 3));
        // without dates nothing tells a later line from a guest's: none is found
        let mut undated = frame.clone();
        undated.with_column(Column::new(col::DATE.into(), [None::<i64>; 7])).unwrap();
        let (out, report) = run(undated, &fill).unwrap();
        assert_eq!((out.height(), report.filled_order_lines, report.unfilled_order_lines), (2, 0, 0));
    }

    /// helper-173: Shopify's orders export writes the customer (`Email`) on an order's first
    /// line only and the date on every line: the later lines were dropped as guests' at exit 0,
    /// and `fill_order_lines` did nothing. A line without a customer sharing its invoice and time
    /// with one customer's lines is found (a warning naming the key) and, asked, takes it.
    #[test]
    fn an_orders_dated_lines_without_its_customer_take_it_by_the_invoice() {
        let day = |d: i64| Some(d * 86_400 + 3_600);
        // B: #1's later line; D, E: a guest's order #2; F, G, F2: #3, which two customers'
        // orders share (two shops' #3 merged); H: #5, a guest's; J: #4's later line, with a
        // segment of its own; K: #6's header row (its customer, no item), L: its line
        let frame = |h_order: &'static str| {
            let order = ["#1", "#1", "#2", "#2", "#3", "#3", "#3", h_order, "#4", "#4", "#6", "#6"];
            let customers =
                [Some("1"), None, None, None, Some("2"), Some("3"), None, None, Some("4"), None, Some("5"), None];
            let items = [
                Some("A"),
                Some("B"),
                Some("D"),
                Some("E"),
                Some("F"),
                Some("G"),
                Some("F2"),
                Some("H"),
                Some("I"),
                Some("J"),
                None,
                Some("L"),
            ];
            let late = day(1).map(|t| t + 7_200);
            let dates = [day(1), day(1), day(2), day(2), day(3), day(3), day(3), late, day(4), day(4), day(5), day(5)];
            let segments = [Some("UK"), None, None, None, None, None, None, None, Some("FR"), Some("DE"), None, None];
            DataFrame::new(
                12,
                vec![
                    Column::new(col::CUSTOMER.into(), customers),
                    Column::new(col::ITEM.into(), items),
                    Column::new(col::QUANTITY.into(), [Some(1.0); 12]),
                    Column::new(col::DATE.into(), dates),
                    Column::new(ORDER_COLUMN.into(), order.map(Some)),
                    Column::new(col::SEGMENT.into(), segments),
                ],
            )
            .unwrap()
        };
        let kept = |frame: &DataFrame, cfg: &CleanConfig| {
            let (out, report) = run(frame.clone(), cfg).unwrap();
            let out = out.into_frame().unwrap();
            let text = |name: &str| -> Vec<String> {
                out.column(name).unwrap().str().unwrap().iter().map(|c| c.unwrap_or("-").to_string()).collect()
            };
            let rows: Vec<String> = text(col::ITEM)
                .iter()
                .zip(text(col::CUSTOMER))
                .zip(text(col::SEGMENT))
                .map(|((i, c), s)| format!("{i}:{c}:{s}"))
                .collect();
            (rows, report)
        };
        let shop = frame("#5");
        let (rows, report) = kept(&shop, &CleanConfig::default());
        assert_eq!(rows, ["A:1:UK", "F:2:-", "G:3:-", "I:4:FR"]);
        assert_eq!((report.filled_order_lines, report.unfilled_order_lines, report.order_lines.claimed), (0, 3, 3));
        let warnings = report.order_lines.warnings(false);
        assert!(
            warnings.len() == 1 && warnings[0].starts_with("3 lines without a customer share their invoice"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("set [clean] fill_order_lines = true"), "{warnings:?}");
        let fill = CleanConfig { fill_order_lines: true, ..Default::default() };
        let (rows, report) = kept(&shop, &fill);
        assert_eq!(rows, ["A:1:UK", "B:1:UK", "F:2:-", "G:3:-", "I:4:FR", "J:4:DE", "L:5:-"]);
        assert_eq!((report.filled_order_lines, report.unfilled_order_lines), (3, 0));
        assert!(report.order_lines.warnings(true).is_empty());
        assert!(report.order_lines.note(true).unwrap().starts_with("3 lines without a customer took the customer"));
        // helper-174: a till's receipt numbers, recurring at other times (#1 at 01:00 and 03:00),
        // name no orders: nothing is claimed, asked or not
        let tills = frame("#1");
        assert_eq!(kept(&tills, &fill).1.order_lines.claimed, 0);
        assert_eq!(kept(&tills, &CleanConfig::default()).1.unfilled_order_lines, 0);
        // without dates (none read) an invoice of one customer is its order whatever the time: H too
        let mut undated = tills.clone();
        undated.with_column(Column::new(col::DATE.into(), [None::<i64>; 12])).unwrap();
        let (rows, report) = kept(&undated, &fill);
        assert_eq!(rows, ["A:1:UK", "B:1:UK", "F:2:-", "G:3:-", "H:1:UK", "I:4:FR", "J:4:DE", "L:5:-"]);
        assert_eq!(report.filled_order_lines, 4);
    }

    /// helper-149: an export writing an order's date on its first line only, its customer on
    /// every line — 95% of the lines undated, every customer given the popularity list, exit 0,
    /// not a word. Such lines are found (kept undated, said), and with `fill_order_lines` take
    /// the date of their customer's dated line above; another customer's undated line does not.
    #[test]
    fn an_orders_later_lines_with_its_customer_take_its_date() {
        let day = |d: i64| Some(d * 86_400);
        // B, C: 1's order #1's later lines; E: 3's own undated line below 2's dated one; G: 1's
        // line of order #1 sorted apart from it; H: 1's undated line of another order
        let frame = DataFrame::new(
            8,
            vec![
                Column::new(col::CUSTOMER.into(), ["1", "1", "1", "2", "3", "3", "1", "1"].map(Some)),
                Column::new(col::ITEM.into(), ["A", "B", "C", "D", "E", "F", "G", "H"].map(Some)),
                Column::new(col::QUANTITY.into(), [Some(1.0); 8]),
                Column::new(col::DATE.into(), [day(1), None, None, day(2), None, day(3), None, None]),
                Column::new(ORDER_COLUMN.into(), ["#1", "#1", "#1", "#2", "#3", "#3", "#1", "#4"].map(Some)),
            ],
        )
        .unwrap();
        let dates = |frame: &DataFrame, cfg: &CleanConfig| {
            let (out, report) = run(frame.clone(), cfg).unwrap();
            let d: Vec<Option<i64>> =
                out.into_frame().unwrap().column(col::DATE).unwrap().i64().unwrap().iter().collect();
            (d, report)
        };
        let (d, report) = dates(&frame, &CleanConfig::default());
        assert_eq!(d, [day(1), None, None, day(2), None, day(3), None, None]);
        assert_eq!((report.undated_order_lines, report.filled_order_lines, report.unfilled_order_lines), (2, 0, 0));
        let note = report.order_lines.note(false).unwrap();
        assert!(
            note.starts_with("2 lines with a customer but no date") && note.contains("[columns] invoice mapped"),
            "{note}"
        );
        // filled by their order, wherever they are; 3's own line (order #3) takes #3's date
        let fill = CleanConfig { fill_order_lines: true, ..Default::default() };
        let (d, report) = dates(&frame, &fill);
        assert_eq!(d, [day(1), day(1), day(1), day(2), day(3), day(3), day(1), None]);
        assert_eq!((report.undated_order_lines, report.filled_order_lines), (0, 4));
        // without the invoice nothing is filled from the line above, and the note says why
        let mut bare = frame.clone();
        bare.drop_in_place(ORDER_COLUMN).unwrap();
        let (d, report) = dates(&bare, &fill);
        assert_eq!(d, [day(1), None, None, day(2), None, day(3), None, None]);
        assert!(report.order_lines.note(true).unwrap().contains("map [columns] invoice"));
    }

    /// Sorted after it was written (blanks last), an order-lines export's later lines all follow
    /// one dated line: more of them than the export has items is no order. Nothing is filled
    /// (one customer took every line before). A line's own segment is kept.
    #[test]
    fn later_lines_that_do_not_follow_their_orders_are_not_filled() {
        let sorted = |n: usize| {
            let customers: Vec<Option<&str>> = (0..n).map(|r| (r < 2).then_some(["1", "2"][r.min(1)])).collect();
            let items: Vec<Option<String>> = (0..n).map(|r| Some(format!("I{}", r % 3))).collect();
            let dates: Vec<Option<i64>> = (0..n).map(|r| (r < 2).then_some(r as i64)).collect();
            let segments: Vec<Option<&str>> = (0..n).map(|r| (r == 3).then_some("own")).collect();
            DataFrame::new(
                n,
                vec![
                    Column::new(col::CUSTOMER.into(), customers),
                    Column::new(col::ITEM.into(), items),
                    Column::new(col::QUANTITY.into(), vec![Some(1.0); n]),
                    Column::new(col::DATE.into(), dates),
                    Column::new(col::SEGMENT.into(), segments),
                ],
            )
            .unwrap()
        };
        let fill = CleanConfig { fill_order_lines: true, ..Default::default() };
        // 2 dated lines, then 3 later lines: as many as the items, an order may list them all
        let (out, report) = run(sorted(5), &fill).unwrap();
        assert_eq!((report.filled_order_lines, out.height()), (3, 5));
        let segments: Vec<Option<&str>> = out.column(col::SEGMENT).unwrap().str().unwrap().iter().collect();
        assert_eq!(segments, [None, None, None, Some("own"), None], "a line's own segment is its own");
        // 4 later lines below one line, of 3 items: not an order's; none filled, all counted
        let (out, report) = run(sorted(6), &fill).unwrap();
        assert_eq!((report.filled_order_lines, report.unfilled_order_lines, out.height()), (0, 4, 2));
        assert_eq!(
            report.order_lines,
            OrderLines { found: 4, longest: 4, items: 3, filled: 0, undated: 0, dated: 0, invoiced: false, claimed: 0 }
        );
    }

    /// By default a quantity above 0 is a purchase (half a kilo of cheese); 0 and below are not.
    /// helper-169: a platform's blank SKU dropped a third of the lines without a word; lines a
    /// customer bought with no item are counted, a warning when most have a description.
    #[test]
    fn lines_without_an_item_are_said() {
        let frame = |descriptions: [Option<&str>; 5]| {
            DataFrame::new(
                5,
                vec![
                    Column::new(col::CUSTOMER.into(), [Some("1"), Some("1"), Some("2"), None, Some("3")]),
                    Column::new(col::ITEM.into(), [Some("A"), None, None, None, None]),
                    Column::new(col::QUANTITY.into(), [Some(1.0), Some(2.0), Some(1.0), Some(1.0), Some(-1.0)]),
                    Column::new(col::DESCRIPTION.into(), descriptions),
                ],
            )
            .unwrap()
        };
        // a guest's line and a return are not counted; the customers' two blank lines are
        let named = run(frame([Some("a"), Some("b"), Some("c"), Some("d"), Some("e")]), &CleanConfig::default());
        let lines = named.unwrap().1.lines_without_item.unwrap();
        assert_eq!(lines, ItemlessLines { rows: 2, described: 2 });
        let (warned, said) = lines.said("Lineitem sku");
        assert!(warned && said.starts_with("2 lines with a customer have no item in column 'Lineitem sku'"), "{said}");
        let bare = run(frame([Some("a"), None, None, None, None]), &CleanConfig::default()).unwrap().1;
        let lines = bare.lines_without_item.unwrap();
        assert_eq!((lines, lines.said("SKU").0), (ItemlessLines { rows: 2, described: 0 }, false));
        let all = DataFrame::new(
            1,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("1")]),
                Column::new(col::ITEM.into(), [Some("A")]),
                Column::new(col::QUANTITY.into(), [Some(1.0)]),
            ],
        )
        .unwrap();
        assert_eq!(run(all, &CleanConfig::default()).unwrap().1.lines_without_item, None);
    }

    #[test]
    fn the_default_keeps_fractional_quantities_and_drops_zero_and_returns() {
        let frame = DataFrame::new(
            4,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("1"); 4]),
                Column::new(col::ITEM.into(), [Some("A"), Some("B"), Some("C"), Some("D")]),
                Column::new(col::QUANTITY.into(), [Some(0.25), Some(0.0), Some(-2.0), Some(3.0)]),
            ],
        )
        .unwrap();
        let items = |cfg: &CleanConfig| -> Vec<String> {
            let out = run(frame.clone(), cfg).unwrap().0.into_frame().unwrap();
            out.column(col::ITEM).unwrap().str().unwrap().iter().map(|i| i.unwrap().to_string()).collect()
        };
        assert_eq!(items(&CleanConfig::default()), ["A", "D"]);
        assert_eq!(items(&CleanConfig { min_quantity: Some(1.0), ..Default::default() }), ["D"]);
    }

    /// `*` patterns; the entries that match nothing are reported (a silent no-op before).
    #[test]
    fn excluded_items_match_patterns_and_entries_matching_nothing_are_reported() {
        let frame = DataFrame::new(
            4,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("1"); 4]),
                Column::new(
                    col::ITEM.into(),
                    [Some("Gift Card - $25"), Some("Tip"), Some("Mug"), Some("Gift Card - $50")],
                ),
                Column::new(col::QUANTITY.into(), [Some(1.0); 4]),
            ],
        )
        .unwrap();
        let patterns = vec!["Gift Card*".to_string(), "tip".into(), "Tip".into(), "Shipping*".into()];
        let cfg = CleanConfig { exclude_items: patterns, ..Default::default() };
        let again = frame.clone();
        let (out, report) = run(frame, &cfg).unwrap();
        let out = out.into_frame().unwrap();
        assert_eq!(out.column(col::ITEM).unwrap().str().unwrap().get(0), Some("Mug"));
        assert_eq!(out.height(), 1);
        assert_eq!(report.unmatched_exclude_items, ["tip", "Shipping*"]);
        // "tip" matches "Tip" in another case, but "Tip" is excluded by its own entry: no hint
        assert!(report.exclude_items_in_another_case.is_empty());
        let cfg = CleanConfig { exclude_items: vec!["MUG".into()], ..Default::default() };
        let (_, report) = run(again, &cfg).unwrap();
        assert_eq!(report.exclude_items_in_another_case, [("MUG".to_string(), "Mug".to_string())]);
    }

    #[test]
    fn no_exclusions_means_no_rule() {
        let cfg = CleanConfig { min_quantity: Some(1.0), ..Default::default() };
        let (out, report) = run(frame(), &cfg).unwrap();
        assert_eq!(report.rules.len(), 2);
        let customers = out.column(col::CUSTOMER).unwrap().str().unwrap();
        assert_eq!(out.kept(customers.iter()).collect::<Vec<_>>(), [Some("1"), Some("2")]);
        assert_eq!(out.height(), 2);
    }

    /// Orders with their status on the first line only (Shopify), one status per line
    /// (Amazon), and a line of no order: what each row filter keeps.
    fn orders() -> DataFrame {
        let status = [Some("paid"), None, None, Some("refunded"), None, Some("Cancelled"), Some("paid"), None];
        let order = [Some("#1"), Some("#1"), Some("#1"), Some("#2"), Some("#2"), Some("#3"), Some("#3"), None];
        DataFrame::new(
            8,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("1"); 8]),
                Column::new(col::ITEM.into(), ["A", "B", "C", "D", "E", "F", "G", "H"].map(Some)),
                Column::new(col::QUANTITY.into(), [Some(1.0); 8]),
                Column::new(row_column(0).into(), status),
                Column::new(ORDER_COLUMN.into(), order),
            ],
        )
        .unwrap()
    }

    fn kept_items(cfg: &CleanConfig, frame: DataFrame) -> (String, CleanReport) {
        let (out, report) = run(frame, cfg).unwrap();
        let items = out.column(col::ITEM).unwrap().str().unwrap();
        (out.kept(items.iter()).flatten().collect(), report)
    }

    fn filter(keep: bool, values: &[&str]) -> CleanConfig {
        let map = [("Status".to_string(), values.iter().map(|v| v.to_string()).collect())].into();
        match keep {
            true => CleanConfig { keep_rows: map, ..Default::default() },
            false => CleanConfig { exclude_rows: map, ..Default::default() },
        }
    }

    /// A blank line takes its order's verdict; a line's own value is its own (#3's lines
    /// differ); a blank line of no order is not matched: exclude keeps it, keep drops it.
    /// The filter's columns are gone from the cleaned frame.
    #[test]
    fn row_filters_match_values_and_blank_lines_take_their_orders_verdict() {
        let (kept, report) = kept_items(&filter(false, &["refunded", "Cancel*"]), orders());
        assert_eq!(kept, "ABCGH");
        let r = &report.row_filters[0];
        assert_eq!((r.rule, r.rows_dropped, r.blank_rows, r.blank_rows_by_order), ("exclude_rows", 3, 4, 3));
        assert_eq!(report.rules[0].rule, "exclude_rows");
        assert!(r.unmatched_values.is_empty() && r.column_values.is_empty() && r.notes().is_empty());

        let (kept, report) = kept_items(&filter(true, &["paid"]), orders());
        assert_eq!(kept, "ABCG");
        let r = &report.row_filters[0];
        assert_eq!((r.rule, r.rows_dropped), ("keep_rows", 4));
        let notes = r.notes();
        assert_eq!(notes.len(), 1);
        // helper-112: "1 rows with no value … were dropped"
        assert!(notes[0].starts_with("[clean] keep_rows.\"Status\": 1 row with no value"), "{notes:?}");
        assert!(notes[0].contains("invoice, was dropped: keep_rows"), "{notes:?}");

        let (out, _) = run(orders(), &filter(true, &["paid"])).unwrap();
        assert!(out.column(&row_column(0)).is_err() && out.column(ORDER_COLUMN).is_err());
    }

    /// helper-159: a value on one line of an order, inside it (a return reason on the line
    /// returned), is that line's own: the order's blank lines are not dropped with it. On the
    /// first line of most orders it is the order's (Shopify), and on the last (the export turned
    /// over: helper-163); where orders are not in blocks (sorted by item, or by the column)
    /// nothing tells, the order's verdict stands, and a warning says so.
    #[test]
    fn a_value_on_an_order_s_edge_is_the_order_s_inside_it_the_line_s() {
        // 12 orders of 4 lines, the 12th of customer 2; every third order flagged on one line;
        // `order_of` the order of row i
        let frame = |flagged_line: usize, order_of: &dyn Fn(usize) -> usize, line_of: &dyn Fn(usize) -> usize| {
            let n = 48;
            let status: Vec<Option<&str>> = (0..n)
                .map(|i| (order_of(i).is_multiple_of(3) && line_of(i) == flagged_line).then_some("damaged"))
                .collect();
            let orders: Vec<String> = (0..n).map(|i| format!("#{}", order_of(i))).collect();
            let customers: Vec<&str> = (0..n).map(|i| if order_of(i) < 11 { "1" } else { "2" }).collect();
            DataFrame::new(
                n,
                vec![
                    Column::new(col::CUSTOMER.into(), customers),
                    Column::new(col::ITEM.into(), (0..n).map(|i| format!("I{i}")).collect::<Vec<_>>()),
                    Column::new(col::QUANTITY.into(), vec![1.0; n]),
                    Column::new(row_column(0).into(), status),
                    Column::new(ORDER_COLUMN.into(), orders),
                ],
            )
            .unwrap()
        };
        let (blocks, line) = (|i: usize| i / 4, |i: usize| i % 4);
        let cfg = CleanConfig {
            exclude_rows: [("ReturnReason".to_string(), vec!["*".to_string()])].into(),
            ..Default::default()
        };
        let (out, report) = run(frame(2, &blocks, &line), &cfg).unwrap();
        assert_eq!(out.height(), 44, "only the 4 flagged lines go");
        let r = &report.row_filters[0];
        assert_eq!((r.rows_dropped, r.blank_rows, r.blank_rows_by_order, r.order_level), (4, 44, 0, false));
        let notes = r.notes();
        assert_eq!(notes.len(), 1, "{notes:?}");
        let said = "of the 4 orders of three lines or more holding one, 0 hold it on their first or last line";
        assert!(notes[0].contains(said), "{notes:?}");
        assert!(notes[0].ends_with("12 lines of those orders with no value were read as their own, kept"), "{notes:?}");
        assert!(r.warnings().is_empty());

        // on the first line, or the last (turned over): the order's
        for edge in [0, 3] {
            let (out, report) = run(frame(edge, &blocks, &line), &cfg).unwrap();
            assert_eq!(out.height(), 32, "the 4 flagged orders go");
            let r = &report.row_filters[0];
            assert_eq!((r.rows_dropped, r.blank_rows_by_order, r.order_level), (16, 12, true));
            assert!(r.notes().is_empty() && r.warnings().is_empty(), "{:?}", r.notes());
        }

        // keep_rows: a line's own value keeps that line only, and the others are said
        let keep = CleanConfig { keep_rows: cfg.exclude_rows.clone(), ..Default::default() };
        let (out, report) = run(frame(1, &blocks, &line), &keep).unwrap();
        assert_eq!(out.height(), 4);
        let notes = report.row_filters[0].notes();
        assert!(
            notes[0].ends_with("12 lines of those orders with no value were read as their own, dropped"),
            "{notes:?}"
        );
        assert!(notes[1].starts_with("[clean] keep_rows.\"ReturnReason\": 32 rows with no value"), "{notes:?}");

        // sorted by item: the orders' lines interleaved, so where a value sits tells nothing:
        // the order's verdict, warned of
        let (spread, its_line) = (|i: usize| i % 12, |i: usize| i / 12);
        let (out, report) = run(frame(2, &spread, &its_line), &cfg).unwrap();
        assert_eq!(out.height(), 32);
        let r = &report.row_filters[0];
        assert_eq!((r.blank_rows_by_order, r.order_level), (12, true));
        let warnings = r.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("12 lines with no value in the column took their orders' verdict"),
            "{warnings:?}"
        );
        assert!(warnings[0].contains("only 0 of the 4 orders holding a value are one block"), "{warnings:?}");
    }

    /// Without the invoice a blank line has no order to ask; a value listed that matches no
    /// row is reported with what the column holds, most rows first.
    #[test]
    fn a_row_filter_value_that_matches_nothing_is_reported_with_the_columns_values() {
        let mut frame = orders();
        frame.drop_in_place(ORDER_COLUMN).unwrap();
        let (kept, report) = kept_items(&filter(false, &["Refunded", "paid"]), frame);
        assert_eq!(kept, "BCDEFH");
        let r = &report.row_filters[0];
        assert_eq!((r.blank_rows, r.blank_rows_by_order), (4, 0));
        assert_eq!(r.unmatched_values, ["Refunded"]);
        let seen: Vec<(&str, usize)> = r.column_values.iter().map(|v| (v.value.as_str(), v.rows)).collect();
        assert_eq!(seen, [("paid", 2), ("Cancelled", 1), ("refunded", 1)]);
        assert!(r.notes()[0].contains("'Refunded' matched no row"), "{:?}", r.notes());
        assert!(r.notes()[0].ends_with("the column holds 'paid' (2), 'Cancelled' (1), 'refunded' (1)"));
        // in another case the column holds it: a warning (helper-169: a note only kept 29,681
        // lines of cancelled orders)
        let warned = r.warnings().join(" ");
        let want = "[clean] exclude_rows.\"Status\": 'Refunded' matches no row, but 'refunded' (1 row) does in another case: its rows are kept";
        assert!(warned.starts_with(want), "{warned}");
        assert_eq!(r.warnings().len(), 1, "'paid' matched: no warning");
        // both cases listed: the other is matched, nothing to warn of; another script's case is
        let frame = || {
            let mut f = orders();
            f.drop_in_place(ORDER_COLUMN).unwrap();
            f
        };
        let (_, both) = kept_items(&filter(false, &["Refunded", "refunded"]), frame());
        assert!(both.row_filters[0].warnings().is_empty(), "{:?}", both.row_filters[0].warnings());
        let (_, upper) = kept_items(&filter(false, &["PAID"]), frame());
        assert!(upper.row_filters[0].warnings()[0].contains("'PAID' matches no row, but 'paid' (2 rows)"));
    }

    /// `fill_order_lines` gives a filled line the row filter's value of the line above, so the
    /// order's verdict reaches it.
    #[test]
    fn filled_order_lines_take_the_row_filters_value_of_their_order() {
        let frame = DataFrame::new(
            3,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("1"), None, Some("2")]),
                Column::new(col::ITEM.into(), [Some("A"), Some("B"), Some("C")]),
                Column::new(col::QUANTITY.into(), [Some(1.0); 3]),
                Column::new(col::DATE.into(), [Some(1i64), None, Some(2)]),
                Column::new(row_column(0).into(), [Some("cancelled"), None, Some("done")]),
            ],
        )
        .unwrap();
        let cfg = CleanConfig { fill_order_lines: true, ..filter(false, &["cancelled"]) };
        assert_eq!(kept_items(&cfg, frame).0, "C");
    }

    /// A tail of purchase days after a silence over twice any before it (and a week), holding
    /// fewer rows than the median day, is stray; a day's worth after it, a short gap, or a gap
    /// the shop has had before is not.
    #[test]
    fn a_mistyped_year_is_a_stray_tail_and_a_shops_own_rhythm_is_not() {
        let month = |rows: usize| (0..120).map(move |d| (d as i64, rows));
        let with = |tail: &[(i64, usize)]| month(10).chain(tail.iter().copied()).collect::<Vec<_>>();
        assert_eq!(stray_tail(&with(&[(400, 1)])), Some(120));
        assert_eq!(stray_tail(&with(&[(400, 12)])), None, "a day's worth of sales");
        assert_eq!(stray_tail(&with(&[(125, 1)])), None, "under a week");
        assert_eq!(stray_tail(&with(&[(200, 2), (400, 1)])), Some(120), "the earliest stray day");
        assert_eq!(stray_tail(&with(&[(200, 5), (201, 5)])), None, "together a day's worth");
        // a shop once closed for 21 days: 42 days is within its rhythm, 43 is not
        let closed: Vec<(i64, usize)> = month(10).chain([(140, 10), (141, 10)]).collect();
        let after = |gap: i64| [closed.clone(), vec![(141 + gap, 1)]].concat();
        assert_eq!(stray_tail(&after(42)), None);
        assert_eq!(stray_tail(&after(43)), Some(122));
        // fewer days tell no rhythm, only their span: a row a year after 99 days, or beyond
        // twice the span of 9 days, is stray; one within twice their span, or after 7 days, is
        // not
        let young = |days: i64, every: i64, then: i64| -> Vec<(i64, usize)> {
            (0..days).map(|d| (d * every, 10)).chain([((days - 1) * every + then, 1)]).collect()
        };
        assert_eq!(stray_tail(&young(99, 1, 366)), Some(99), "a year after 99 days");
        assert_eq!(stray_tail(&young(9, 1, 17)), Some(9), "beyond twice 9 days' span");
        assert_eq!(stray_tail(&young(9, 1, 16)), None, "within twice their span");
        assert_eq!(stray_tail(&young(9, 1, 12)), None, "a rolling export's first days, then Christmas");
        assert_eq!(stray_tail(&young(14, 7, 119)), None, "a weekly market reopening after 17 weeks");
        assert_eq!(stray_tail(&young(8, 1, 365)), Some(8));
        assert_eq!(stray_tail(&young(7, 1, 365)), None, "7 days say too little");
        // a 90-day rolling export (76 purchase days) with one line's year mistyped
        let rolling: Vec<(i64, usize)> = (0..90).filter(|d| d % 7 != 6 && d % 13 != 0).map(|d| (d, 10)).collect();
        let typo = [rolling.clone(), vec![(89 + 5000, 1)]].concat();
        assert_eq!(stray_tail(&typo), Some(rolling.len()));
        assert_eq!(stray_tail(&rolling), None);
        let grown: Vec<(i64, usize)> = (0..100).map(|d| (d, 10)).chain([(465, 1)]).collect();
        assert_eq!(stray_tail(&grown), Some(100));
        assert_eq!(stray_tail(&month(10).collect::<Vec<_>>()), None);
        // a typo at each end (2001 and 2021 for 2011), each gap within twice the other's: judged
        // one end after the other, each was the other's rhythm and neither was found
        let both: Vec<(i64, usize)> = [(-3650, 1)].into_iter().chain(month(10)).chain([(119 + 3470, 1)]).collect();
        assert_eq!(stray_tails(&both), (Some(1), Some(121)));
        let early: Vec<(i64, usize)> = [(-3650, 1)].into_iter().chain(month(10)).collect();
        assert_eq!(stray_tails(&early), (Some(1), None));
        // a shop's first quiet weeks are no tail when the gap after them is its rhythm
        let opening: Vec<(i64, usize)> =
            [(-30, 1), (-20, 1)].into_iter().chain((0..120).map(|d| (d * 10, 10))).collect();
        assert_eq!(stray_tails(&opening), (None, None));
    }

    /// Rows of 7 customers and 5 items on `dates`, row r of quantity `quantity(r)`.
    fn dated_rows(dates: Vec<Option<i64>>, quantity: impl Fn(usize) -> f64) -> DataFrame {
        let n = dates.len();
        let columns = vec![
            Column::new(col::CUSTOMER.into(), (0..n).map(|r| Some(format!("{}", r % 7))).collect::<Vec<_>>()),
            Column::new(col::ITEM.into(), (0..n).map(|r| Some(format!("I{}", r % 5))).collect::<Vec<_>>()),
            Column::new(col::QUANTITY.into(), (0..n).map(|r| Some(quantity(r))).collect::<Vec<_>>()),
            Column::new(col::DATE.into(), dates),
        ];
        DataFrame::new(n, columns).unwrap()
    }

    /// The stray rows' dates are read as unknown (every row's from the stray day on, dropped
    /// rows too); the report names the first kept one by its data row.
    #[test]
    fn stray_dates_are_read_as_unknown_and_reported() {
        let day = 86_400i64;
        let mut dates: Vec<Option<i64>> = (0..240).map(|r| Some((r / 2) * day + 3_600)).collect();
        dates.extend([Some(5_000 * day), None, Some(5_000 * day + 60)]);
        let frame = dated_rows(dates, |r| if r == 242 { -1.0 } else { 1.0 });
        let (cleaned, report) = run(frame, &CleanConfig::default()).unwrap();
        let stray = report.stray_dates.clone().unwrap();
        let expected = StrayDates {
            rows: 1,
            first_row: 241,
            first_date: "1983-09-10 00:00:00".into(),
            newest_date: "1983-09-10 00:00:00".into(),
            newest_kept: "1970-04-30 01:00:00".into(),
            gap_days: 4_881.0,
            longest_gap_days: 1.0,
        };
        assert_eq!(stray, expected);
        let kept_dates: Vec<Option<i64>> =
            cleaned.kept(cleaned.column(col::DATE).unwrap().i64().unwrap().iter()).collect();
        assert_eq!(kept_dates.len(), 242);
        assert_eq!(kept_dates[240..], [None, None], "the stray one and the undated one");
        assert!(stray
            .warning("InvoiceDate")
            .contains("1 kept row dated 1983-09-10 00:00:00 in column 'InvoiceDate' (the first: data row 241)"));
        // the dropped return on the stray day is undated too
        assert_eq!(cleaned.column(col::DATE).unwrap().i64().unwrap().get(242), None);
    }

    /// A placeholder date before the export's body (1970-01-01, 0001-01-01) is read as unknown
    /// and reported, naming its data row; the body's own first days are not judged stray.
    #[test]
    fn early_placeholder_dates_are_read_as_unknown_and_reported() {
        let day = 86_400i64;
        let body = 20_000 * day; // 2024-10-04
        let mut dates: Vec<Option<i64>> = (0..480).map(|r| Some(body + (r / 4) * day + 3_600)).collect();
        dates.insert(7, Some(0));
        dates.insert(9, Some(-62_135_596_800)); // 0001-01-01
        let (cleaned, report) = run(dated_rows(dates, |_| 1.0), &CleanConfig::default()).unwrap();
        let early = report.early_dates.clone().unwrap();
        let expected = EarlyDates {
            rows: 2,
            first_row: 8,
            first_date: "1970-01-01 00:00:00".into(),
            oldest_date: "0001-01-01 00:00:00".into(),
            newest_date: "1970-01-01 00:00:00".into(),
            oldest_kept: "2024-10-04 01:00:00".into(),
            gap_days: 20_000.0,
            longest_gap_days: 1.0,
        };
        assert_eq!(early, expected);
        assert!(report.stray_dates.is_none());
        let kept: Vec<Option<i64>> = cleaned.kept(cleaned.column(col::DATE).unwrap().i64().unwrap().iter()).collect();
        assert_eq!(kept.iter().filter(|d| d.is_none()).count(), 2);
        assert_eq!((kept[7], kept[9]), (None, None));
        assert_eq!(kept[8], Some(body + day + 3_600));
        let warning = early.warning("InvoiceDate");
        assert!(warning.contains("2 kept rows dated 0001-01-01 00:00:00 … 1970-01-01 00:00:00 in column 'InvoiceDate' (the first: data row 8, 1970-01-01 00:00:00) come 20000 days before"), "{warning}");
        // the body alone: nothing is stray at either end
        let body_only: Vec<Option<i64>> = (0..240).map(|r| Some(body + (r / 2) * day)).collect();
        let (_, report) = run(dated_rows(body_only, |_| 1.0), &CleanConfig::default()).unwrap();
        assert_eq!((report.early_dates, report.stray_dates), (None, None));
    }

    /// Placeholder ids: zeros, -1 and a till's words in any case and punctuation; real ids
    /// (digits, emails, names that hold such a word) are not.
    #[test]
    fn placeholder_customer_ids_are_told_from_real_ones() {
        for id in [
            "0",
            "000",
            " 0 ",
            "0.000",
            "-0",
            "+0",
            "-0.0",
            "-1",
            "-1.0",
            "-",
            "--",
            "Guest",
            "GUEST",
            "Guest #2",
            "(Walk-in)",
            "Walk-in Customer",
            "walk in",
            "Cash Customer",
            "Laufkunde",
            "Invité",
            "Consumidor Final",
            "ゲスト",
            // helper-159: "no value" in a case or dress null_values does not list
            "Null",
            "(NaN)",
            "nan.0",
            "NULL.0",
            "(nil)",
            "n.a.",
            "#n/a",
            "(blank)",
            "<Empty>",
            "Undefined",
            // helper-173: marks alone, and an ERP's one-time customer
            "\u{2013}",
            "\u{2014}",
            ".",
            "Einmalkunde",
            "CPD-Kunde",
            "One-time customer",
            "Laufkundschaft 2",
        ] {
            assert!(is_placeholder(id), "{id:?}");
        }
        for id in [
            "10",
            "17850",
            "-12",
            "-10",
            "-1.5",
            "+1",
            "1",
            "guest@example.com",
            "Guestrin, Carlos",
            "Cashmere Ltd",
            "Anna Guest",
            "Guest LLC",
            "CUST-0",
            "0001",
            "",
            "0.5",
            "N/A-Guest",
            "123",
            "NA12",
            "Nancy",
            // names too (helper-163)
            "Nat",
            "Nan",
            "NIL",
            "Na",
            "NA0",
            "Blanket Co",
            "NULL7",
        ] {
            assert!(!is_placeholder(id), "{id:?}");
        }
        let frame = DataFrame::new(
            4,
            vec![
                Column::new(col::CUSTOMER.into(), [Some("0"), Some("7"), Some("0"), Some("guest")]),
                Column::new(col::ITEM.into(), [Some("A"); 4]),
                Column::new(col::QUANTITY.into(), [Some(1.0), Some(1.0), Some(1.0), Some(-1.0)]),
            ],
        )
        .unwrap();
        let (_, report) = run(frame, &CleanConfig::default()).unwrap();
        // the guest's one row was a return, dropped: only what is kept is said
        assert_eq!(report.placeholder_customers, [ValueRows { value: "0".into(), rows: 2 }]);
        let warning = report.placeholder_warning(&CleanConfig::default(), "Customer ID").unwrap();
        assert!(warning.contains("customer id '0' (2 rows, 66.7% of those kept) looks like"), "{warning}");
        assert!(warning.ends_with("[clean] exclude_rows = { \"Customer ID\" = [\"0\"] }"), "{warning}");
        // the pipeline's own entries kept, and text TOML must escape (a no-break space)
        let cfg = filter(false, &["refunded"]);
        let guest = ValueRows { value: "Guest\u{a0}Checkout".into(), rows: 1 };
        let report = CleanReport { placeholder_customers: vec![guest], ..report };
        let warning = report.placeholder_warning(&cfg, "Kunden\u{ad}nummer").unwrap();
        let entry = warning.split("[clean] ").nth(1).unwrap();
        let parsed: toml::Table = toml::from_str(entry).unwrap_or_else(|e| panic!("{entry}: {e}"));
        let table = parsed["exclude_rows"].as_table().unwrap();
        assert_eq!(table["Status"][0].as_str(), Some("refunded"));
        assert_eq!(table["Kunden\u{ad}nummer"][0].as_str(), Some("Guest\u{a0}Checkout"));
    }

    /// helper-173: one account holding the guests' lines under an id no word list knows
    /// (`9999999`: 25% of the kept lines, 17 times the next customer's) changed most lists
    /// without a word. A customer with a tenth of the kept lines or more and ten times the next
    /// one's or more, among 20 customers or more, is warned of; a large customer is not.
    #[test]
    fn one_account_holding_many_peoples_sales_is_warned_of() {
        // `pools` accounts with their lines, then `others` customers of `each` lines
        let frame = |pools: &[(&str, usize)], others: usize, each: usize| {
            let mut customers: Vec<String> = Vec::new();
            for (id, n) in pools {
                customers.extend(std::iter::repeat_n(id.to_string(), *n));
            }
            for c in 0..others {
                customers.extend(std::iter::repeat_n(format!("c{c}"), each));
            }
            let n = customers.len();
            DataFrame::new(
                n,
                vec![
                    Column::new(col::CUSTOMER.into(), customers),
                    Column::new(col::ITEM.into(), vec!["A"; n]),
                    Column::new(col::QUANTITY.into(), vec![1.0; n]),
                ],
            )
            .unwrap()
        };
        let cfg = CleanConfig::default();
        let dominant = |pools: &[(&str, usize)], others: usize, each: usize| {
            run(frame(pools, others, each), &cfg).unwrap().1.dominant_customer
        };
        let (_, report) = run(frame(&[("9999999", 300)], 20, 3), &cfg).unwrap();
        let want = DominantCustomer { value: "9999999".into(), rows: 300, next_rows: 3 };
        assert_eq!(report.dominant_customer, Some(want));
        let warning = report.dominant_warning(&cfg, "Customer ID").unwrap();
        let said =
            "customer id '9999999' holds 300 rows (83.3% of those kept), 100 times the tenth largest customer's 3";
        assert!(warning.starts_with(said), "{warning}");
        assert!(warning.ends_with("[clean] exclude_rows = { \"Customer ID\" = [\"9999999\"] }"), "{warning}");
        // not ten times the tenth's, not a tenth of the lines, too few customers to tell
        assert_eq!(dominant(&[("9999999", 300)], 20, 31), None);
        assert_eq!(dominant(&[("9999999", 300)], 3_000, 1), None);
        assert_eq!(dominant(&[("9999999", 300)], 18, 3), None);
        assert!(dominant(&[("9999999", 300)], 19, 3).is_some());
        // helper-174: two tills' accounts, or a placeholder beside one, are not its measure
        let two = dominant(&[("9999999", 300), ("8888888", 100)], 20, 3);
        assert_eq!(two.map(|d| (d.value, d.next_rows)), Some(("9999999".into(), 3)));
        assert!(dominant(&[("Walk-in", 200), ("9999999", 300)], 20, 3).is_some());
        // a placeholder the words know is warned of once, as one
        let (_, report) = run(frame(&[("Guest", 300)], 30, 1), &cfg).unwrap();
        assert_eq!((report.placeholder_customers.len(), report.dominant_customer), (1, None));
    }

    /// A number listed matches the same number written otherwise (a CSV's `2.0`, a sheet's 2),
    /// an id with leading zeros does not; the header repeated as a row is no value of the
    /// column; an invoice number two customers share is two orders.
    #[test]
    fn numbers_match_by_value_and_an_order_is_an_invoice_of_one_customer() {
        let key = |t: &str| value_key(t);
        for (text, want) in [
            ("2", "2"),
            ("2.0", "2"),
            ("+2", "2"),
            ("2,0", "2"),
            ("2.50", "2.5"),
            ("-3.", "-3"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("007", "007"),
            ("100.00", "100"),
            ("True", "true"),
            ("FALSE", "false"),
            ("2024-03-01 00:00:00", "2024-03-01"),
            ("2024-03-01T00:00:00.000", "2024-03-01"),
            ("2024-03-01", "2024-03-01"),
            ("2024-03-01 10:00:00.500", "2024-03-01 10:00:00.5"),
            ("2024-03-01T10:00:00", "2024-03-01 10:00:00"),
        ] {
            assert_eq!(key(text).as_deref(), Some(want), "{text:?}");
        }
        for text in
            ["2 kg", "1e3", ".5", "", "1,000", "1.000,5", "-", "yes", "2024-03-01 10:00", "2024-03-01 00:30:00+01:00"]
        {
            assert_eq!(key(text), None, "{text:?}");
        }

        let frame = DataFrame::new(
            6,
            vec![
                Column::new(col::CUSTOMER.into(), ["CustomerID", "a", "a", "b", "b", "c"].map(Some)),
                Column::new(col::ITEM.into(), ["StockCode", "A", "B", "C", "D", "E"].map(Some)),
                Column::new(col::QUANTITY.into(), [None, Some(1.0), Some(1.0), Some(1.0), Some(1.0), Some(1.0)]),
                Column::new(row_column(0).into(), [Some("Code"), Some("2.0"), None, Some("1"), None, Some("02")]),
                Column::new(ORDER_COLUMN.into(), ["InvoiceNo", "#1", "#1", "#1", "#1", "#2"].map(Some)),
            ],
        )
        .unwrap();
        let cfg = CleanConfig { header: Some(("CustomerID".into(), "StockCode".into())), ..filter(false, &["2", "7"]) };
        let (kept, report) = kept_items(&cfg, frame);
        assert_eq!(kept, "CDE", "b's lines of #1 are b's order; 02 is not 2");
        let r = &report.row_filters[0];
        assert_eq!((r.rows_dropped, r.blank_rows, r.blank_rows_by_order), (2, 2, 2));
        assert_eq!(r.unmatched_values, ["7"]);
        let seen: Vec<&str> = r.column_values.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(seen, ["02", "1", "2.0"], "the repeated header's 'Code' is no value");
    }

    /// Without the invoice, blank lines are said, naming `[columns] invoice`; with it,
    /// exclude_rows' blank lines of no order are not (an order not cancelled has no
    /// `Cancelled at`).
    #[test]
    fn blank_lines_without_an_invoice_are_said() {
        let mut frame = orders();
        frame.drop_in_place(ORDER_COLUMN).unwrap();
        // C's line is a guest's: dropped whatever it holds, not counted
        let customers = [Some("1"), Some("1"), None, Some("1"), Some("1"), Some("1"), Some("1"), Some("1")];
        frame.with_column(Column::new(col::CUSTOMER.into(), customers)).unwrap();
        let (_, report) = run(frame, &filter(false, &["refunded"])).unwrap();
        let notes = report.row_filters[0].notes();
        assert!(
            notes[0].contains("3 rows with no value in the column were kept") && notes[0].contains("[columns] invoice")
        );
        let (_, report) = run(orders(), &filter(false, &["refunded"])).unwrap();
        assert!(report.row_filters[0].notes().is_empty());
    }
}
