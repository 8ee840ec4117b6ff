//! Quantities written as text with the marks people write numbers with: a decimal point or a
//! decimal comma, thousands grouped by the other mark, a space (also U+00A0, U+202F, U+2009)
//! or an apostrophe (also U+2019): "1.234,5", "1,234.5", "1 234,5", "1'234.5".
//!
//! A value with one mark and three digits after it ("1,000", "1.200") reads two ways: a
//! thousand, or one. No value settles it; its column does, by what the column's other values
//! show (as the date column settles its day-month order, [`super::date`]):
//! - a mark is the decimal mark where a value shows it can only be one ("2,5": not three
//!   digits after; "1234,567" or "0,500": not a group before; "1.234,5": after the other
//!   mark), or shows the other mark grouping ("1.000.000");
//! - a mark groups where a value shows it can only group ("1,000,000", "1,234.5"), or shows
//!   the other mark as the decimal mark (one writer writes one decimal mark);
//! - a whole number of five digits or more written without a mark ("12345") shows the writer
//!   does not group thousands: both marks are decimal marks. (Four digits do not: Spanish,
//!   Italian and Polish writers group from five, "1500" beside "12.000".)
//!
//! A mark the column shows one way is read that way; one it shows both ways or not at all is
//! read as every CSV reader reads it: the point as a decimal point, the comma not at all
//! (invalid, never guessed) — whole numbers beside "1.250" are no evidence: a writer may keep
//! three decimals for weights and none for pieces. `[input] decimal` settles it for a column
//! nothing settles; the audit's notes say which way such values were read and why. Only text
//! is read so: numbers typed as numbers (Excel number cells, Parquet decimals) are numbers.

use super::Quantity;
use crate::config::Mark;

/// A value read two ways ("1,000"): its value as a whole number of thousands, signed; read
/// with its mark as the decimal mark it is a thousandth of that (division by 1000 rounds
/// exactly as parsing "1.000" does).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Pending {
    mark: Mark,
    grouped: f64,
}

/// How a column reads the values its marks leave pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reading {
    Decimal,
    Grouping,
    /// Not read: invalid.
    Unread,
}

/// How a column reads each mark's pending values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision([Reading; 2]);

impl Decision {
    /// A pending value as its column reads it; `None` when it is not read.
    pub(crate) fn value(&self, pending: Pending) -> Option<f64> {
        match self.0[pending.mark.index()] {
            Reading::Decimal => Some(pending.grouped / 1000.0),
            Reading::Grouping => Some(pending.grouped),
            Reading::Unread => None,
        }
    }
}

/// What a column's values showed about its marks: the first value of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Marks {
    /// A value showing the mark as a decimal mark, per mark (point, comma).
    decimal: [Option<String>; 2],
    /// A value showing the mark grouping thousands, per mark.
    grouping: [Option<String>; 2],
    /// The first value read two ways, and how many, per mark.
    pending: [Option<String>; 2],
    pending_count: [usize; 2],
    /// A whole number of five digits or more written without a mark ("12345").
    ungrouped: Option<String>,
    /// Values written against `[input] decimal` (invalid), and the first.
    against: usize,
    against_first: Option<String>,
    /// The first few values read as no number, each once (`super::keep_example`).
    unread: Vec<String>,
    /// What another column of the file shows of the writer's decimal mark (its name, the mark
    /// and the value): a mark the column shows neither way is read so ([`Marks::decide`]).
    file: Option<(String, Mark, String)>,
}

impl Marks {
    /// Adds what a later part of the column showed (its examples only where this has none).
    pub fn merge(&mut self, later: Marks) {
        fn first<T>(a: &mut Option<T>, b: Option<T>) {
            if a.is_none() {
                *a = b;
            }
        }
        let Marks { decimal, grouping, pending, pending_count, ungrouped, against, against_first, unread, file } =
            later;
        first(&mut self.file, file);
        unread.iter().for_each(|u| super::keep_example(&mut self.unread, u));
        for (k, ((d, g), p)) in decimal.into_iter().zip(grouping).zip(pending).enumerate() {
            first(&mut self.decimal[k], d);
            first(&mut self.grouping[k], g);
            first(&mut self.pending[k], p);
            self.pending_count[k] += pending_count[k];
        }
        first(&mut self.ungrouped, ungrouped);
        first(&mut self.against_first, against_first);
        self.against += against;
    }

    /// Why the column reads `mark` as the decimal mark, if a value shows it: the value.
    fn shows_decimal(&self, mark: Mark) -> Option<String> {
        let (m, o) = (mark.index(), mark.other().index());
        self.decimal[m].as_ref().or(self.grouping[o].as_ref()).or(self.ungrouped.as_ref()).map(|v| quoted(v))
    }

    /// Why the column reads `mark` as grouping thousands, if a value shows it: the value.
    fn shows_grouping(&self, mark: Mark) -> Option<String> {
        let (m, o) = (mark.index(), mark.other().index());
        self.grouping[m].as_ref().or(self.decimal[o].as_ref()).map(|v| quoted(v))
    }

    /// Sets what another column of the file shows of the writer's decimal mark: `column` and
    /// a value of it that can only be read with `mark` as its decimal mark ([`decimal_shown`]).
    pub(crate) fn with_file(&mut self, column: &str, mark: Mark, value: &str) {
        self.file = Some((column.to_string(), mark, value.to_string()));
    }

    /// How the column reads each mark's pending values: as `decimal` says when set, else as
    /// the column shows (see the module), else as another column of the file shows the
    /// writer's decimal mark (one writer writes one: a German ERP's quantities `1.000` beside
    /// its prices `2,55` read as 1 — helper-173: 188 lines, 74,215 read as 74.215 — and an
    /// American one's `1,000` beside `0.55` invalid, 8 customers lost), else as CSV readers do.
    pub(crate) fn decide(&self, decimal: Option<Mark>) -> Decision {
        let read = |mark: Mark| match decimal {
            Some(d) if d == mark => Reading::Decimal,
            Some(_) => Reading::Grouping,
            None => match (self.shows_decimal(mark), self.shows_grouping(mark), &self.file) {
                (Some(_), None, _) => Reading::Decimal,
                (None, Some(_), _) => Reading::Grouping,
                (None, None, Some((_, d, _))) if *d == mark => Reading::Decimal,
                (None, None, Some(_)) => Reading::Grouping,
                _ if mark == Mark::Point => Reading::Decimal,
                _ => Reading::Unread,
            },
        };
        Decision([read(Mark::Point), read(Mark::Comma)])
    }

    /// The first few values the column read as no number (invalid), quoted in its note.
    pub fn unread(&self) -> &[String] {
        &self.unread
    }

    /// What the audit tells about the column: how the values read two ways were read and why,
    /// and the values written against `[input] decimal`.
    pub fn notes(&self, decimal: Option<Mark>) -> Vec<String> {
        let decision = self.decide(decimal);
        let mut notes = Vec::new();
        for mark in [Mark::Point, Mark::Comma] {
            let (k, c, o) = (mark.index(), mark.char(), mark.other().char());
            let n = self.pending_count[k];
            let Some(example) = self.pending[k].as_ref().filter(|_| n > 0).map(|v| quoted(v)) else { continue };
            let (n, are) = (values(n), are(n));
            // (with `[input] decimal` set no value is left pending)
            let (why, settled) = match (self.shows_decimal(mark), self.shows_grouping(mark), &self.file) {
                (Some(d), None, _) => (format!("as {d} shows"), true),
                (None, Some(g), _) => (format!("as {g} shows"), true),
                (Some(d), Some(g), _) => (format!("the column shows it both ways: {d} and {g}"), false),
                (None, None, Some((column, d, value))) => {
                    (format!("as column '{column}' shows, writing '{}' as the decimal mark: '{value}'", d.char()), true)
                }
                (None, None, None) => ("nothing in the column shows which".to_string(), false),
            };
            notes.push(match (decision.0[k], settled) {
                (Reading::Decimal, true) => format!("{n} like {example} read with '{c}' as the decimal mark ({why})"),
                (Reading::Grouping, _) => format!("{n} like {example} read with '{c}' grouping thousands ({why})"),
                (Reading::Decimal, false) => format!(
                    "{n} like {example} read with '{c}' as the decimal mark, as CSV readers read it ({why}); if '{c}' groups thousands in this export, set [input] decimal = \"{o}\""
                ),
                (Reading::Unread, _) => format!(
                    "{n} like {example} {are} invalid: '{c}' may be the decimal mark or group thousands, and {why}; set [input] decimal = \"{c}\" or \"{o}\" to read them"
                ),
            });
        }
        if let (n @ 1.., Some(d)) = (self.against, decimal) {
            let (n, are) = (values(n), are(n));
            let example = quoted(self.against_first.as_deref().unwrap_or_default());
            notes.push(format!(
                "{n} written otherwise than [input] decimal = \"{}\" (like {example}) {are} invalid",
                d.char()
            ));
        }
        notes
    }
}

/// "1 value", "2 values".
fn values(n: usize) -> String {
    crate::words::counted(n, "value")
}

fn are(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

/// A value as a note quotes it.
fn quoted(value: &str) -> String {
    format!("'{value}'")
}

/// A character that groups thousands and is never a decimal mark.
fn groups_only(c: char) -> bool {
    matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\u{2009}' | '\'' | '\u{2019}')
}

/// What one value's marks make of it.
enum Form {
    /// No mark of ours, or a character no number written with marks holds ("1e3", "NaN",
    /// ".5", "5."): left to the float parser.
    Unmarked,
    /// Marks in no way numbers are written ("1.2.3", "1,23,456"): not a number.
    Invalid,
    /// One mark and three digits after a group ("1,000"): read two ways.
    Pending(Pending),
    /// Read one way: the value (unsigned), the mark it shows as its decimal mark, and the one
    /// it shows grouping.
    Number { value: f64, decimal: Option<Mark>, grouping: Option<Mark> },
}

/// Reads a column's quantities from text one after another, noting what they show about the
/// column's marks.
#[derive(Default)]
pub(crate) struct NumberText {
    /// `[input] decimal`: every value is read with it (those written otherwise are invalid).
    decimal: Option<Mark>,
    pub(crate) marks: Marks,
    digits: String,
}

impl NumberText {
    pub(crate) fn new(decimal: Option<Mark>) -> NumberText {
        NumberText { decimal, ..NumberText::default() }
    }

    /// One value: a number, a value its column decides ([`Quantity::Pending`]), NaN or
    /// infinity, or not a number (invalid).
    pub(crate) fn read(&mut self, text: &str) -> Quantity {
        let read = self.read_written(text.trim());
        if let Quantity::Invalid = read {
            super::keep_example(&mut self.marks.unread, text.trim());
        }
        read
    }

    /// [`NumberText::read`] of a trimmed value: a sign written as spreadsheets and accounts
    /// write it — an accountant's parentheses `(6)` (Excel's Accounting format, QuickBooks),
    /// the minus sign U+2212 `−6` (typeset text), a CSV-injection escape `'-6` (WooCommerce) —
    /// is that sign: each was a value read as no number, its row dropped (a return not netted
    /// with `min_quantity` below 0; helper-99). SAP's minus last: below.
    fn read_written(&mut self, t: &str) -> Quantity {
        let digit = |r: &&str| r.starts_with(|c: char| c.is_ascii_digit());
        let negated = |q: Quantity| match q {
            Quantity::Number(q) => Quantity::Number(-q),
            Quantity::Pending(p) => Quantity::Pending(Pending { grouped: -p.grouped, ..p }),
            other => other,
        };
        if let Some(inner) = t.strip_prefix('(').and_then(|r| r.strip_suffix(')')).map(str::trim).filter(digit) {
            return negated(self.read_signed(inner));
        }
        if let Some(rest) = t.strip_prefix('\u{2212}').filter(digit) {
            return negated(self.read_signed(rest));
        }
        if let Some(rest) = t.strip_prefix('\'').filter(|r| r.starts_with(['-', '+'])) {
            return self.read_written(rest);
        }
        // SAP writes a negative number with its minus last ("1.200-", "5-")
        match t.strip_suffix('-').filter(digit) {
            Some(r) => negated(self.read_signed(r.trim_end())),
            None => self.read_signed(t),
        }
    }

    /// [`NumberText::read`] of a trimmed value whose sign, if any, is first.
    fn read_signed(&mut self, t: &str) -> Quantity {
        let body = t.strip_prefix(['-', '+']).unwrap_or(t);
        // where the one byte that is no digit is, if there is at most one
        let (bytes, mut other, mut one) = (body.as_bytes(), None, true);
        for (i, _) in bytes.iter().enumerate().filter(|(_, b)| !b.is_ascii_digit()) {
            one = other.is_none();
            other = Some(i);
            if !one {
                break;
            }
        }
        match other.filter(|_| one) {
            // a whole number (nearly every quantity): no mark
            None if one && !bytes.is_empty() => {
                if bytes.len() >= 5 && bytes[0] != b'0' {
                    self.marks.ungrouped.get_or_insert_with(|| t.to_string());
                }
                return finite(super::parse_number(t));
            }
            // one point between digits, not three after a group ("2.5", "0.250", "1234.5"): a
            // decimal point, read by the float parser without copying the digits (measured:
            // a column of such values read 15% slower the general way)
            Some(p)
                if bytes[p] == b'.'
                    && p > 0
                    && p + 1 < bytes.len()
                    && (bytes.len() - p - 1 != 3 || p > 3 || bytes[0] == b'0')
                    && self.decimal != Some(Mark::Comma) =>
            {
                self.marks.decimal[Mark::Point.index()].get_or_insert_with(|| t.to_string());
                return finite(t.parse());
            }
            _ => {}
        }
        let sign = if t.starts_with('-') { -1.0 } else { 1.0 };
        let (value, decimal, grouping) = match self.form(body) {
            Form::Unmarked => return finite(t.parse()),
            Form::Invalid => return Quantity::Invalid,
            Form::Pending(p) => return self.pending(t, Pending { grouped: sign * p.grouped, ..p }),
            Form::Number { value, decimal, grouping } => (value, decimal, grouping),
        };
        if let Some(d) = self.decimal {
            if decimal.is_some_and(|m| m != d) || grouping == Some(d) {
                self.marks.against += 1;
                self.marks.against_first.get_or_insert_with(|| t.to_string());
                return Quantity::Invalid;
            }
        }
        let marks = &mut self.marks;
        let slots = [decimal.map(|m| &mut marks.decimal[m.index()]), grouping.map(|m| &mut marks.grouping[m.index()])];
        for slot in slots.into_iter().flatten() {
            slot.get_or_insert_with(|| t.to_string());
        }
        Quantity::Number(sign * value)
    }

    /// A value read two ways: read now by `[input] decimal` when set, else left to the column.
    fn pending(&mut self, t: &str, pending: Pending) -> Quantity {
        if let Some(d) = self.decimal {
            return Quantity::Number(self.marks.decide(Some(d)).value(pending).unwrap_or_default());
        }
        let k = pending.mark.index();
        self.marks.pending[k].get_or_insert_with(|| t.to_string());
        self.marks.pending_count[k] += 1;
        Quantity::Pending(pending)
    }

    /// What the marks of a value without its sign make of it.
    fn form(&mut self, body: &str) -> Form {
        const MOST: usize = 8;
        let (mut marks, mut n) = ([(0usize, 0usize, ' '); MOST], 0);
        for (i, c) in body.char_indices() {
            if c.is_ascii_digit() {
                continue;
            }
            if (Mark::of(c).is_none() && !groups_only(c)) || n == MOST {
                return Form::Unmarked;
            }
            marks[n] = (i, i + c.len_utf8(), c);
            n += 1;
        }
        let marks = &marks[..n];
        // the digit runs around the marks
        let run = |k: usize| {
            let start = if k == 0 { 0 } else { marks[k - 1].1 };
            let end = if k == n { body.len() } else { marks[k].0 };
            &body[start..end]
        };
        if n == 0 || (0..=n).any(|k| run(k).is_empty()) {
            return Form::Unmarked;
        }
        let leads = |r: &str| r.len() <= 3 && !r.starts_with('0');
        let last = marks[n - 1].2;
        let same = marks.iter().all(|m| m.2 == last);
        let (decimal, grouping) = match (same, Mark::of(last)) {
            (true, Some(m)) if n == 1 && run(1).len() == 3 && leads(run(0)) => {
                let (whole, thousandths) = (run(0).parse::<f64>(), run(1).parse::<f64>());
                let grouped = whole.unwrap_or_default() * 1000.0 + thousandths.unwrap_or_default();
                return Form::Pending(Pending { mark: m, grouped });
            }
            (true, Some(m)) if n == 1 => (Some(m), None),
            (true, _) => (None, Some(last)),
            (false, Some(d)) if marks[..n - 1].iter().all(|m| m.2 == marks[0].2) => (Some(d), Some(marks[0].2)),
            (false, _) => return Form::Invalid,
        };
        // grouped runs: the first of one to three digits, the others of three — or, as India
        // groups, the last of three and those before it of two ("1,23,45,678")
        let groups = if decimal.is_some() { n - 1 } else { n };
        let thousands = (1..=groups).all(|k| run(k).len() == 3);
        let indian = groups >= 2 && run(groups).len() == 3 && (1..groups).all(|k| run(k).len() == 2);
        if grouping.is_some() && (!leads(run(0)) || !(thousands || (indian && run(0).len() <= 2))) {
            return Form::Invalid;
        }
        self.digits.clear();
        (0..=groups).for_each(|k| self.digits.push_str(run(k)));
        if decimal.is_some() {
            self.digits.push('.');
            self.digits.push_str(run(n));
        }
        match self.digits.parse() {
            Ok(value) => Form::Number { value, decimal, grouping: grouping.and_then(Mark::of) },
            Err(_) => Form::Invalid,
        }
    }
}

/// What one value of a column no role reads as a number shows of its writer's decimal mark:
/// `Ok(Some(mark))` when it can only be read with `mark` as its decimal mark — a fraction
/// (`2,55`, `0.5`, `1.234,5`) or the other mark grouping (`1.000.000`); `Ok(None)` when it
/// shows neither (a whole number: ids are never grouped, so `536365` tells nothing); `Err(())`
/// when it is no number (the column is not one of numbers: a date, a code, a name).
pub(crate) fn decimal_shown(text: &str) -> Result<Option<Mark>, ()> {
    let mut reader = NumberText::new(None);
    if let Quantity::Invalid | Quantity::NotFinite = reader.read(text) {
        return Err(());
    }
    let marks = &reader.marks;
    let shows = |m: Mark| marks.decimal[m.index()].is_some() || marks.grouping[m.other().index()].is_some();
    Ok([Mark::Point, Mark::Comma].into_iter().find(|&m| shows(m)))
}

/// A parsed number as a quantity.
fn finite(read: Result<f64, std::num::ParseFloatError>) -> Quantity {
    match read {
        Ok(q) if q.is_finite() => Quantity::Number(q),
        Ok(_) => Quantity::NotFinite,
        Err(_) => Quantity::Invalid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column's values as read (pending ones settled by the whole column), and its notes.
    fn column(values: &[&str], decimal: Option<Mark>) -> (Vec<Option<f64>>, Vec<String>) {
        let mut reader = NumberText::new(decimal);
        let (mut out, mut pending) = (Vec::new(), Vec::new());
        for (row, v) in values.iter().enumerate() {
            out.push(match reader.read(v) {
                Quantity::Number(q) => Some(q),
                Quantity::Pending(p) => {
                    pending.push((row, p));
                    None
                }
                Quantity::NotFinite | Quantity::Invalid => None,
            });
        }
        super::super::settle(&mut out, pending, reader.marks.decide(decimal));
        (out, reader.marks.notes(decimal))
    }

    fn one(value: &str) -> Option<f64> {
        column(&[value], None).0[0]
    }

    /// Signs as spreadsheets and accounts write them (helper-99: each was read as no number,
    /// its row dropped): an accountant's parentheses, the minus sign U+2212, a CSV-injection
    /// escape; a unit or a formula is still no number, quoted in the column's note.
    #[test]
    fn signs_written_by_accounts_and_spreadsheets_are_signs() {
        for (s, q) in [
            ("(6)", -6.0),
            ("( 1,200.50 )", -1200.5),
            ("\u{2212}6", -6.0),
            ("'-6", -6.0),
            ("'+6", 6.0),
            ("(1.200,5)", -1200.5),
        ] {
            assert_eq!(one(s), Some(q), "{s}");
        }
        for s in ["6 pcs", "(-6)", "()", "'6", "\u{2212}-6", "(6", "=6"] {
            assert_eq!(one(s), None, "{s}");
        }
        let mut reader = NumberText::new(None);
        for v in ["6 pcs", "1", "3 pcs", "6 pcs", "x", "y"] {
            reader.read(v);
        }
        assert_eq!(reader.marks.unread(), ["6 pcs", "3 pcs", "x"]);
        let parsed = crate::roles::Parsed::quantities("Qty", 5, &reader.marks, None);
        let want = "5 values read as no number ('6 pcs', '3 pcs', 'x', …): their rows have no quantity and are dropped";
        assert_eq!(parsed.notes, [want]);
        // the examples of a column read in parts are the first parts'
        let mut later = Marks::default();
        crate::roles::keep_example(&mut later.unread, "z");
        let mut merged = Marks::default();
        merged.merge(later);
        assert_eq!(merged.unread(), ["z"]);
    }

    #[test]
    fn a_value_with_marks_reads_one_way_when_it_can() {
        for (s, q) in [
            ("1,0", 1.0),
            (" 2,5 ", 2.5),
            ("-0,25", -0.25),
            ("+3,1875", 3.1875),
            ("12", 12.0),
            ("2.5", 2.5),
            ("1,234.5", 1234.5),
            ("1.234,5", 1234.5),
            ("-1.234.567,89", -1_234_567.89),
            ("1 234,5", 1234.5),
            ("1\u{a0}234", 1234.0),
            ("1\u{202f}234\u{202f}567", 1_234_567.0),
            ("1'234.5", 1234.5),
            ("1\u{2019}234", 1234.0),
            ("1\u{2009}234,5", 1234.5),
            ("1,000,000", 1e6),
            ("1.000.000", 1e6),
            ("1234,567", 1234.567),
            ("0,500", 0.5),
            ("5.", 5.0),
            (".5", 0.5),
            ("1e3", 1000.0),
            ("1,23,456", 123_456.0),
            ("12,34,56,789.5", 123_456_789.5),
            ("5-", -5.0),
            ("1.234,5-", -1234.5),
            // alone, with nothing to settle it: the point as every CSV reader reads it
            ("1.000", 1.0),
        ] {
            assert_eq!(one(s), Some(q), "{s}");
        }
        for s in [
            "1,000",
            "-2,500",
            "1,2,3",
            "1.5,0",
            ",5",
            "5,",
            "1,5e3",
            "a,5",
            "1 ,5",
            "12,34.5",
            "1.234.5",
            "1,2345,678",
            "01,234.5",
            "123,45,678",
            "1,2,345",
            "--5",
            "5--",
            "-5-",
            "a-",
            "1,234,5",
            "1 234 5",
            "-",
            "",
        ] {
            assert_eq!(one(s), None, "{s}");
        }
    }

    #[test]
    fn a_value_read_two_ways_is_read_as_its_column_shows() {
        let read = |values: &[&str]| column(values, None).0;
        // the other mark shown as the decimal mark: this one groups
        assert_eq!(read(&["2,5", "1.000", "-1.234"]), [Some(2.5), Some(1000.0), Some(-1234.0)]);
        assert_eq!(read(&["2.5", "1,000"]), [Some(2.5), Some(1000.0)]);
        assert_eq!(read(&["2,5", "1.000-"]), [Some(2.5), Some(-1000.0)]);
        // the mark shown grouping, or the other shown grouping
        assert_eq!(read(&["1,500", "1,000,000"]), [Some(1500.0), Some(1e6)]);
        assert_eq!(read(&["1,500", "1.000.000"]), [Some(1.5), Some(1e6)]);
        assert_eq!(read(&["1.500", "1 000,5"]), [Some(1500.0), Some(1000.5)]);
        // whole numbers beside "1.250" show nothing (a writer may keep three decimals for
        // weights and none for pieces): as every CSV reader reads them, the comma's unread
        assert_eq!(read(&["6", "1.250", "2", "12.500"]), [Some(6.0), Some(1.25), Some(2.0), Some(12.5)]);
        assert_eq!(read(&["5", "1,200"]), [Some(5.0), None]);
        assert_eq!(read(&["1.000", "12.500"]), [Some(1.0), Some(12.5)]);
        assert_eq!(read(&["10,000", "1,500"]), [None, None]);
        // a whole number of five digits written without a mark: no grouping at all
        assert_eq!(read(&["12345", "1,500", "2.000", "5"]), [Some(12345.0), Some(1.5), Some(2.0), Some(5.0)]);
        // four digits do not say it: Spanish and Italian writers group from five (ICU es-ES)
        assert_eq!(read(&["6", "1500", "12.000", "2,5"]), [Some(6.0), Some(1500.0), Some(12000.0), Some(2.5)]);
        // shown both ways: as with nothing shown
        assert_eq!(read(&["2,5", "1,000,000", "1,500"]), [Some(2.5), Some(1e6), None]);
        assert_eq!(read(&["2.5", "1.000.000", "1.500"]), [Some(2.5), Some(1e6), Some(1.5)]);
    }

    #[test]
    fn the_decimal_setting_reads_every_value_and_refuses_others() {
        let (values, notes) = column(&["10,000", "1.000,5", "2.5", "1.500", "7"], Some(Mark::Comma));
        assert_eq!(values, [Some(10.0), Some(1000.5), None, Some(1500.0), Some(7.0)]);
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(
            notes[0].contains("1 value written otherwise than [input] decimal = \",\" (like '2.5') is invalid"),
            "{notes:?}"
        );
        let (values, _) = column(&["10,000", "1.000", "2.5"], Some(Mark::Point));
        assert_eq!(values, [Some(10000.0), Some(1.0), Some(2.5)]);
        assert_eq!(Mark::parse(","), Some(Mark::Comma));
        assert_eq!((Mark::parse(".."), Mark::parse("")), (None, None));
    }

    #[test]
    fn notes_say_how_values_read_two_ways_were_read_and_why() {
        let notes = |values: &[&str]| column(values, None).1;
        assert!(notes(&["5", "12.5"]).is_empty());
        assert_eq!(
            notes(&["2,5", "1.000"]),
            ["1 value like '1.000' read with '.' grouping thousands (as '2,5' shows)"]
        );
        assert_eq!(
            notes(&["12.000", "1500", "2,5"]),
            ["1 value like '12.000' read with '.' grouping thousands (as '2,5' shows)"]
        );
        let fixed = notes(&["1.000", "12.500"]);
        assert!(fixed[0].starts_with("2 values like '1.000' read with '.' as the decimal mark, as CSV readers read it (nothing in the column shows which); if '.' groups thousands in this export, set [input] decimal = \",\""), "{fixed:?}");
        let unread = notes(&["10,000", "1,500"]);
        assert!(unread[0].starts_with("2 values like '10,000' are invalid"), "{unread:?}");
        assert!(unread[0].ends_with("set [input] decimal = \",\" or \".\" to read them"), "{unread:?}");
        let both = notes(&["2,5", "1,000,000", "1,500"]);
        assert!(both[0].contains("the column shows it both ways: '2,5' and '1,000,000'"), "{both:?}");
    }

    #[test]
    fn marks_merged_from_parts_decide_as_the_whole_column() {
        let values = ["5", "1.200", "7", "2,5", "1,000", "1.234,5"];
        let whole = column(&values, None).0;
        let (mut first, mut second) = (NumberText::new(None), NumberText::new(None));
        values[..3].iter().for_each(|v| _ = first.read(v));
        values[3..].iter().for_each(|v| _ = second.read(v));
        first.marks.merge(second.marks);
        let decision = first.marks.decide(None);
        let pending = |v: &str| match NumberText::new(None).read(v) {
            Quantity::Pending(p) => decision.value(p),
            _ => None,
        };
        assert_eq!((pending("1.200"), pending("1,000")), (whole[1], whole[4]));
        assert_eq!((whole[1], whole[4]), (Some(1200.0), Some(1.0)));
    }
}
