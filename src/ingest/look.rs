//! Look: what each column of the export holds, the first look a person takes at a file (the
//! article's `df.info()` and `df.head()`).
//!
//! Per column ([`ColumnLook`]): the type kindred's reader gives it (a CSV's and a workbook's
//! cells are read as text, so `String`; a Parquet column keeps its type), the type its values
//! look like (`type_inferred`: for text, `Int64` when every non-null value reads as an integer,
//! else `Float64` when every one reads as a finite number, else `Datetime` when every one reads
//! as a date as the date role reads dates without a format, else `String`), the non-null and
//! distinct counts, and the least and greatest value of a column whose values are all numbers
//! or all dates written with the year first. And the first rows as read ([`Head`]).
//!
//! A CSV is read in one stream without keeping the columns no role reads, so the counts are
//! taken as the fields go by ([`Profile`], one per column and builder, merged), and the head
//! is read from the first records by the scanning thread. Distinct counts hold no value as
//! text: each value's text is hashed to 64 bits (foldhash's quality hasher under a fixed
//! seed) and the hashes are kept in a set ([`Distinct`]). The count is exact but for two different values of
//! one column sharing a hash (about n²/2⁶⁵: one chance in 37 million at a million distinct
//! values), up to [`DISTINCT_LIMIT`] distinct values per column; there the set stops growing
//! (it then holds 64 MB) and the count is reported as at least the limit (`distinct_capped`).

use std::hash::BuildHasher;

use polars::prelude::*;
use serde::Serialize;

use crate::config::Mark;
use crate::roles::{date_of, number_text};

mod distinct;
use distinct::Distinct;

/// Rows of the head the run's manifest carries (`kindred audit --head N` sets its own).
pub const HEAD_ROWS: usize = 5;

/// Distinct values counted exactly per column; past it the count is a lower bound.
pub const DISTINCT_LIMIT: usize = 1 << 22;

/// The fixed hash of a value's text: the same in every builder thread and every run.
const VALUE_HASH: foldhash::quality::FixedState = foldhash::quality::FixedState::with_seed(0x006b_696e_6472_6564);

/// One column at a first look.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ColumnLook {
    pub column: String,
    /// The type kindred's reader gives the column ("String" for CSV and Excel cells).
    pub type_read: String,
    /// The type every non-null value reads as ("Int64", "Float64", "Datetime", "String");
    /// null when the column has no value.
    pub type_inferred: Option<String>,
    pub non_null: usize,
    /// Distinct non-null values (see the module's doc for what is exact).
    pub distinct: usize,
    /// The column has more than [`DISTINCT_LIMIT`] distinct values: `distinct` is that limit.
    pub distinct_capped: bool,
    /// The least and greatest value of a column of numbers or of year-first dates.
    pub min: Option<String>,
    pub max: Option<String>,
}

/// The first rows as read: every column's name, each row's values as text (null when empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Head {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// Every column's look, in file order, and the head.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Look {
    pub columns: Vec<ColumnLook>,
    pub head: Head,
}

/// A column's text values seen so far: counts, hashes, and what every value reads as.
#[derive(Debug, Clone)]
pub struct Profile {
    non_null: usize,
    distinct: Distinct,
    /// (least, greatest) while every value reads as an integer.
    ints: Option<Option<(i64, i64)>>,
    /// (least, greatest) while every value reads as a finite number.
    floats: Option<Option<(f64, f64)>>,
    /// (least, greatest) of the year-first dates while every value reads as a date; the
    /// `bool` is set once a year-last date is seen (its order is unknown: no range).
    dates: Option<(Option<(i64, i64)>, bool)>,
    /// The last text read as a date and what it read as: an invoice's lines share a date.
    last: Option<(String, Option<Option<i64>>)>,
    /// The value counted last: a repeat (an invoice's lines share its number, date, customer
    /// and country) changes nothing but the non-null count, and is not hashed again.
    prev: Option<String>,
    /// Whether the column's values are still read for what they show of the writer's decimal
    /// mark ([`crate::roles::decimal_shown`]): until one shows it, or one is no number.
    watch_marks: bool,
    /// The decimal mark a value showed, and the value.
    decimal_mark: Option<(Mark, String)>,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            non_null: 0,
            distinct: Distinct::new(DISTINCT_LIMIT),
            ints: Some(None),
            floats: Some(None),
            dates: Some((None, false)),
            last: None,
            prev: None,
            watch_marks: false,
            decimal_mark: None,
        }
    }
}

fn widen<T: PartialOrd + Copy>(range: &mut Option<(T, T)>, v: T) {
    *range = Some(match *range {
        None => (v, v),
        Some((lo, hi)) => (if v < lo { v } else { lo }, if v > hi { v } else { hi }),
    });
}

fn join<T: PartialOrd + Copy>(a: Option<(T, T)>, b: Option<(T, T)>) -> Option<(T, T)> {
    let mut out = a;
    if let Some((lo, hi)) = b {
        widen(&mut out, lo);
        widen(&mut out, hi);
    }
    out
}

impl Profile {
    /// Counts one non-null value.
    pub fn add(&mut self, value: &str) {
        self.non_null += 1;
        match &mut self.prev {
            Some(prev) if prev == value => return,
            Some(prev) => {
                prev.clear();
                prev.push_str(value);
            }
            None => self.prev = Some(value.to_string()),
        }
        self.distinct.insert(VALUE_HASH.hash_one(value));
        let t = value.trim();
        if self.watch_marks {
            match crate::roles::decimal_shown(t) {
                Ok(Some(mark)) => (self.watch_marks, self.decimal_mark) = (false, Some((mark, t.to_string()))),
                Ok(None) => {}
                Err(()) => self.watch_marks = false,
            }
        }
        if let Some(range) = &mut self.ints {
            match t.parse::<i64>() {
                Ok(i) => widen(range, i),
                Err(_) => self.ints = None,
            }
        }
        if self.floats.is_none() && self.dates.is_none() {
            return;
        }
        let number = t.parse::<f64>().ok().filter(|f| f.is_finite());
        match (&mut self.floats, number) {
            (Some(range), Some(f)) => widen(range, f),
            (Some(_), None) => self.floats = None,
            _ => {}
        }
        if self.dates.is_some() {
            self.add_date(t, number.is_some());
        }
    }

    fn add_date(&mut self, t: &str, number: bool) {
        if !matches!(&self.last, Some((text, _)) if text == t) {
            let read = if number { None } else { date_of(t) };
            let mut text = self.last.take().map(|(text, _)| text).unwrap_or_default();
            text.clear();
            text.push_str(t);
            self.last = Some((text, read));
        }
        match (&mut self.dates, self.last.as_ref().and_then(|(_, read)| *read)) {
            (Some((range, _)), Some(Some(instant))) => widen(range, instant),
            (Some((_, year_last)), Some(None)) => *year_last = true,
            _ => self.dates = None,
        }
    }

    /// Counts one value of a typed column by its value, not its text (no text is made): an
    /// integer, a number (`f64` bits, -0 as 0), or an instant (`hashed` its exact value in
    /// the column's unit, `seconds` for the range).
    fn add_typed(&mut self, typed: Typed) {
        self.non_null += 1;
        let hash = match typed {
            Typed::Int(i) => VALUE_HASH.hash_one(i),
            Typed::Float(f) => VALUE_HASH.hash_one(if f == 0.0 { 0 } else { f.to_bits() }),
            Typed::Instant { hashed, .. } => VALUE_HASH.hash_one(hashed),
        };
        self.distinct.insert(hash);
        match (typed, &mut self.ints, &mut self.floats, &mut self.dates) {
            (Typed::Int(i), Some(range), _, _) => widen(range, i),
            (Typed::Float(f), _, Some(range), _) => widen(range, f),
            (Typed::Instant { seconds, .. }, _, _, Some((range, _))) => widen(range, seconds),
            _ => {}
        }
    }

    /// A profile that also reads its values for what they show of the writer's decimal mark
    /// ([`Profile::decimal_mark`]): a CSV's columns no role reads as a number.
    pub fn watching_marks() -> Profile {
        Profile { watch_marks: true, ..Profile::default() }
    }

    /// What the values counted showed of the writer's decimal mark ([`Watched`]). Read off a
    /// piece's own profile: the pieces' are joined in file order, not as builders merge them.
    pub fn watched(&self) -> Watched {
        match (&self.decimal_mark, self.watch_marks) {
            (Some((mark, value)), _) => Watched::Shown(*mark, value.clone()),
            (None, true) => Watched::Open,
            (None, false) => Watched::Ended,
        }
    }

    /// Adds what `other` counted (another builder's pieces of the same column).
    pub fn merge(&mut self, other: Profile) {
        self.non_null += other.non_null;
        self.distinct.merge(other.distinct);
        self.ints = self.ints.zip(other.ints).map(|(a, b)| join(a, b));
        self.floats = self.floats.zip(other.floats).map(|(a, b)| join(a, b));
        self.dates = self.dates.zip(other.dates).map(|((a, x), (b, y))| (join(a, b), x || y));
    }

    /// The column's look, read as `type_read`.
    pub fn finish(self, column: &str, type_read: &str) -> ColumnLook {
        let (inferred, range) = match (self.ints, self.floats, self.dates) {
            _ if self.non_null == 0 => (None, None),
            (Some(r), _, _) => (Some("Int64"), r.map(|(lo, hi)| (lo.to_string(), hi.to_string()))),
            (None, Some(r), _) => (Some("Float64"), r.map(|(lo, hi)| (number_text(lo), number_text(hi)))),
            (None, None, Some((r, year_last))) => {
                (Some("Datetime"), r.filter(|_| !year_last).map(|(lo, hi)| (datetime_text(lo), datetime_text(hi))))
            }
            (None, None, None) => (Some("String"), None),
        };
        let (min, max) = range.unzip();
        let (distinct, distinct_capped) = self.distinct.count();
        ColumnLook {
            column: column.to_string(),
            type_read: type_read.to_string(),
            type_inferred: inferred.map(String::from),
            non_null: self.non_null,
            distinct,
            distinct_capped,
            min,
            max,
        }
    }
}

/// What a column's values showed of the writer's decimal mark, in file order: nothing yet
/// (`Open`), a value showing it (`Shown`: the mark and the value), or a value that is no number
/// before any did, or a column not watched (`Ended`).
#[derive(Debug, Clone, PartialEq)]
pub enum Watched {
    Open,
    Shown(Mark, String),
    Ended,
}

/// Epoch seconds (UTC) as the audit prints a date: `2010-12-01 08:26:00`.
pub fn datetime_text(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map_or_else(|| seconds.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

/// A polars type as the look names it: `Int64`, `Datetime` (its unit and zone left out).
fn type_name(dtype: &DataType) -> String {
    let name = format!("{dtype:?}");
    name.split('(').next().unwrap_or_default().to_string()
}

/// A typed column's value, as [`Profile::add_typed`] counts it.
#[derive(Clone, Copy)]
enum Typed {
    Int(i64),
    Float(f64),
    Instant { hashed: i64, seconds: i64 },
}

/// A typed column (integers, numbers, dates and datetimes) profiled by its values, without a
/// text copy of the column (a Parquet column of 20 million integers as text is ~0.6 GB);
/// `None` for any other type.
fn typed_profile(column: &Column) -> Option<Profile> {
    let dtype = column.dtype();
    let mut p = Profile::default();
    if dtype.is_integer() && !matches!(dtype, DataType::UInt64) {
        p.floats = None;
        p.dates = None;
        let values = column.cast(&DataType::Int64).ok()?;
        values.i64().ok()?.iter().flatten().for_each(|i| p.add_typed(Typed::Int(i)));
    } else if dtype.is_float() {
        (p.ints, p.dates) = (None, None);
        let values = column.cast(&DataType::Float64).ok()?;
        // ±inf is a value (a price someone divided by zero), counted and ranged as one; only a
        // NaN the missing-values stage left (a quantity's, refused by its parser) is not
        values.f64().ok()?.iter().flatten().filter(|f| !f.is_nan()).for_each(|f| p.add_typed(Typed::Float(f)));
        p.non_null = column.len() - column.null_count();
    } else if matches!(dtype, DataType::Datetime(..) | DataType::Date) {
        (p.ints, p.floats) = (None, None);
        // a value's seconds: days × 86,400 for a date, the datetime's unit divided out
        let (days, per_second) = match dtype {
            DataType::Date => (86_400, 1),
            DataType::Datetime(TimeUnit::Nanoseconds, _) => (1, 1_000_000_000),
            DataType::Datetime(TimeUnit::Microseconds, _) => (1, 1_000_000),
            _ => (1, 1_000),
        };
        let values = column.to_physical_repr().cast(&DataType::Int64).ok()?;
        for v in values.i64().ok()?.iter().flatten() {
            p.add_typed(Typed::Instant { hashed: v, seconds: (v * days).div_euclid(per_second) });
        }
    } else {
        return None;
    }
    Some(p)
}

/// A column's values as text (a typed column cast; a type polars cannot cast, such as a list,
/// through its values' display), each passed to `each` in row order.
fn each_text(column: &Column, mut each: impl FnMut(Option<&str>)) {
    let text = match column.dtype() {
        DataType::String => column.str().ok().cloned(),
        _ => column.cast(&DataType::String).ok().and_then(|c| c.str().ok().cloned()),
    };
    match text {
        Some(text) => text.iter().for_each(each),
        None => {
            for value in column.as_materialized_series().iter() {
                match value {
                    AnyValue::Null => each(None),
                    value => each(Some(&value.to_string())),
                }
            }
        }
    }
}

/// One column of a frame at a first look, and its first `head` values.
pub fn of_column(column: &Column, head: usize) -> (ColumnLook, Vec<Option<String>>) {
    let profile = typed_profile(column).unwrap_or_else(|| {
        let mut profile = Profile::default();
        each_text(column, |v| {
            if let Some(v) = v {
                profile.add(v);
            }
        });
        profile
    });
    let mut first = Vec::with_capacity(head.min(column.len()));
    each_text(&column.head(Some(head)), |v| first.push(v.map(String::from)));
    (profile.finish(column.name().as_str(), &type_name(column.dtype())), first)
}

/// Every column of `frame` at a first look, with its first `head` rows.
pub fn of_frame(frame: &DataFrame, head: usize) -> Look {
    Look::from_columns(frame.columns().iter().map(|c| of_column(c, head)).collect())
}

impl Look {
    /// The look of columns each given with its first values (the head's rows are made from
    /// them: as many as the shortest has).
    pub fn from_columns(columns: Vec<(ColumnLook, Vec<Option<String>>)>) -> Look {
        let rows = columns.iter().map(|(_, v)| v.len()).min().unwrap_or(0);
        let head = Head {
            columns: columns.iter().map(|(c, _)| c.column.clone()).collect(),
            rows: (0..rows).map(|r| columns.iter().map(|(_, v)| v[r].clone()).collect()).collect(),
        };
        Look { columns: columns.into_iter().map(|(c, _)| c).collect(), head }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(values: &[&str]) -> ColumnLook {
        let mut p = Profile::default();
        values.iter().for_each(|v| p.add(v));
        p.finish("c", "String")
    }

    #[test]
    fn text_columns_are_typed_by_what_every_value_reads_as() {
        let ints = look(&["3", "-2", " 10 ", "3"]);
        assert_eq!(ints.type_inferred.as_deref(), Some("Int64"));
        assert_eq!((ints.non_null, ints.distinct), (4, 3)); // " 10 " is its own text
        assert_eq!((ints.min.as_deref(), ints.max.as_deref()), (Some("-2"), Some("10")));
        let floats = look(&["2.55", "1", "-0.5"]);
        assert_eq!(floats.type_inferred.as_deref(), Some("Float64"));
        assert_eq!((floats.min.as_deref(), floats.max.as_deref()), (Some("-0.5"), Some("2.55")));
        let dates = look(&["2010-12-01 08:26:00", "2011-01-02 10:00:00", "2010-12-01 08:26:00"]);
        assert_eq!(dates.type_inferred.as_deref(), Some("Datetime"));
        assert_eq!(dates.min.as_deref(), Some("2010-12-01 08:26:00"));
        assert_eq!(dates.max.as_deref(), Some("2011-01-02 10:00:00"));
        // year-last dates are dates, but their order is the column's: no range here
        let year_last = look(&["12/1/2010 8:26", "1/13/2011 9:00"]);
        assert_eq!((year_last.type_inferred.as_deref(), year_last.min), (Some("Datetime"), None));
        for mixed in [&["1", "x"][..], &["NaN", "1"], &["2010-12-01", "5"], &["C536379", "536365"]] {
            let l = look(mixed);
            assert_eq!((l.type_inferred.as_deref(), &l.min), (Some("String"), &None), "{mixed:?}");
        }
        let empty = Profile::default().finish("c", "String");
        assert_eq!((empty.type_inferred, empty.non_null, empty.distinct), (None, 0, 0));
    }

    #[test]
    fn merged_profiles_count_as_one_column_does() {
        let values = ["5", "7", "5", "x", "9", "7"];
        let whole = look(&values);
        for cut in 0..values.len() {
            let (mut a, mut b) = (Profile::default(), Profile::default());
            values[..cut].iter().for_each(|v| a.add(v));
            values[cut..].iter().for_each(|v| b.add(v));
            a.merge(b);
            let merged = a.finish("c", "String");
            assert_eq!(
                (merged.non_null, merged.distinct, &merged.type_inferred, &merged.min),
                (whole.non_null, whole.distinct, &whole.type_inferred, &whole.min)
            );
        }
        assert_eq!((whole.distinct, whole.type_inferred.as_deref()), (4, Some("String")));
    }

    #[test]
    fn typed_columns_keep_their_type_and_the_head_their_rows() {
        let frame = DataFrame::new(
            3,
            vec![
                Column::new("n".into(), [Some(3i64), None, Some(-1)]),
                Column::new("x".into(), [Some(1.5f64), Some(2.0), Some(1.5)]),
                Column::new("s".into(), [Some("a"), Some("b"), None]),
            ],
        )
        .unwrap();
        let look = of_frame(&frame, 2);
        let n = &look.columns[0];
        assert_eq!((n.type_read.as_str(), n.non_null, n.distinct), ("Int64", 2, 2));
        assert_eq!((n.min.as_deref(), n.max.as_deref()), (Some("-1"), Some("3")));
        assert_eq!((look.columns[1].type_read.as_str(), look.columns[1].distinct), ("Float64", 2));
        assert_eq!(look.head.columns, ["n", "x", "s"]);
        assert_eq!(look.head.rows.len(), 2);
        assert_eq!(look.head.rows[1], [None, Some("2.0".to_string()), Some("b".to_string())]);
        assert!(of_frame(&frame, 0).head.rows.is_empty());
        // datetimes and dates counted by value, their range in seconds whatever the unit
        let ms = Column::new("d".into(), [Some(1_291_191_960_123i64), None, Some(1_293_937_445_000)]);
        let ms = ms.cast(&DataType::Datetime(TimeUnit::Milliseconds, None)).unwrap();
        let (d, _) = of_column(&ms, 0);
        assert_eq!((d.type_read.as_str(), d.type_inferred.as_deref(), d.distinct), ("Datetime", Some("Datetime"), 2));
        assert_eq!((d.min.as_deref(), d.max.as_deref()), (Some("2010-12-01 08:26:00"), Some("2011-01-02 03:04:05")));
        let days = Column::new("day".into(), [14_944i32, 14_944]).cast(&DataType::Date).unwrap();
        let (day, _) = of_column(&days, 0);
        assert_eq!(
            (day.type_read.as_str(), day.distinct, day.min.as_deref()),
            ("Date", 1, Some("2010-12-01 00:00:00"))
        );
    }

    #[test]
    fn typed_repeats_in_a_row_or_apart_are_one_value_and_every_row_is_counted() {
        // an invoice's lines repeat its customer and date: the repeat is skipped, not the row
        let ints = Column::new("c".into(), [Some(7i64), Some(7), None, Some(7), Some(-2), Some(7), Some(-2), Some(-2)]);
        let (c, _) = of_column(&ints, 0);
        assert_eq!((c.non_null, c.distinct, c.min.as_deref(), c.max.as_deref()), (7, 2, Some("-2"), Some("7")));
        let floats = Column::new("f".into(), [0.0f64, -0.0, 0.0, 1.5, 1.5, 0.0]);
        let (f, _) = of_column(&floats, 0);
        assert_eq!((f.non_null, f.distinct), (6, 2));
    }

    #[test]
    fn a_typed_float_columns_infinities_are_values_in_its_count_and_range() {
        let prices = Column::new("p".into(), [Some(1.0f64), Some(f64::INFINITY), Some(f64::NEG_INFINITY), None]);
        let (p, _) = of_column(&prices, 0);
        assert_eq!((p.non_null, p.distinct), (3, 3));
        assert_eq!((p.min.as_deref(), p.max.as_deref()), (Some("-inf"), Some("inf")));
    }
}
