//! Dates: a date column's text read as epoch seconds (UTC), in one day-month order per column.
//!
//! A date written with the year first (`2011-12-09 12:50:00`, ISO 8601, with or without a `T`,
//! a fraction of a second, an offset) means one thing. One written with the year last
//! (`09/12/2011 12:50`) may be day-first or month-first, and a value cannot tell which unless a
//! field is above 12. So the column decides, as DuckDB's and polars' CSV sniffers do: each
//! value is read without choosing ([`DateText`] keeps its fields, packed, in the column) and
//! rules out the order it cannot be in ([`Evidence`]: `13/01/2011` cannot be month-first);
//! once every value is seen, [`resolve`] reads them all in the one order left. When none is
//! ruled out (every value reads both ways) or both are (the column mixes them), no order is
//! guessed: those values are not read and the audit says why ([`DateOrder`]), so a setting that
//! needs dates refuses, naming the column and asking for `[input] date_format`. An explicit
//! `date_format` (a chrono format) is used as it is.
//!
//! A value written with the year first (or a month's name, or Unix time) reads as the instant
//! it names; the year-last ones in the one order their values leave, however few. Year-first
//! values among mostly year-last ones are read when one falls after the 12th and none is
//! digits alone ([`resolve`]): a workbook's date cells (written as ISO text) among typed-in
//! day-first text, or sheets of each stacked, were invalid as "written the other way" than
//! most, every line of a sheet without its date (helper-134). Whether a setting that needs
//! dates refuses still follows the column's most: an undecided order refuses only where most
//! values are written with the year last.
//!
//! A value of only digits, 10 of them, is Unix time in seconds; 13, in milliseconds; 16,
//! microseconds; 19, nanoseconds (a database's or an event log's epoch, as CSV text or an integer
//! column; from 2001-09-09 to 2286): [`unix_time`]. Eight digits are ISO's basic `YYYYMMDD`; no
//! other count of digits is read: 12 may be `YYYYMMDDHHMM` (read as milliseconds, 1976), 9 an
//! epoch before 2001 or anything else, and `date_format = "%s"` reads epoch seconds of any length.
//!
//! Dates after the [`DateRule`]'s horizon (the run's clock plus a day, or `[input] max_date`)
//! are invalid: a typo such as 2101-12-01 would otherwise be the newest purchase, the
//! reference every age is counted back from.

use chrono::NaiveDate;
use polars::prelude::{Int64Chunked, NewChunkedArray};
use serde::Serialize;

use super::col;

/// How a column's dates are read: the format, and the latest valid date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateRule {
    /// `[input] date_format` (chrono); `None` = inferred, as the module says.
    pub format: Option<String>,
    /// The latest valid date, epoch seconds (UTC); later ones are invalid.
    pub max: i64,
    /// Where `max` comes from, for the audit's note.
    pub horizon: &'static str,
}

impl DateRule {
    /// Dates read with `format`, valid up to the end of `day` (UTC): the last day the export's
    /// dates continue to after the clock + 1 day ([`continuing`]).
    pub fn continued(format: Option<String>, day: NaiveDate) -> DateRule {
        let max = day.and_hms_opt(23, 59, 59).map_or(i64::MAX, |end| end.and_utc().timestamp());
        DateRule { format, max, horizon: "the last day the export's dates continue to after the run's clock + 1 day" }
    }

    /// Dates read with `format`, valid up to the end of `max_date` (UTC), else up to one day
    /// after the clock (a day covers every time zone's local time).
    pub fn new(format: Option<String>, max_date: Option<NaiveDate>) -> DateRule {
        match max_date.and_then(|d| d.and_hms_opt(23, 59, 59)) {
            Some(end) => DateRule { format, max: end.and_utc().timestamp(), horizon: "[input] max_date" },
            None => {
                let max = chrono::Utc::now().timestamp() + 86_400;
                DateRule { format, max, horizon: "the run's clock + 1 day" }
            }
        }
    }
}

/// The day-month order a column's year-last dates were read in, or why they were not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateOrder {
    /// `dd/mm/yyyy`: some value's first field is above 12.
    DayFirst,
    /// `mm/dd/yyyy`: some value's second field is above 12.
    MonthFirst,
    /// Every value reads both ways: none was read.
    Ambiguous,
    /// Some values read only day-first, others only month-first: none was read.
    Mixed,
    /// Read day-first, the first field would be the day — but it takes fewer values than the
    /// two-digit "year" (`24/04/16`, `24/04/17` …: Japanese and Korean `yy/mm/dd`, every date
    /// read wrong, 2016-04-24 for 2024-04-16, at exit 0 — helper-99): none was read.
    YearFirst,
}

impl DateOrder {
    /// The year-last dates were not read: the column needs `[input] date_format`.
    pub fn unread(self) -> bool {
        matches!(self, DateOrder::Ambiguous | DateOrder::Mixed | DateOrder::YearFirst)
    }
}

/// A value tagged this way holds a year-last date's fields, not epoch seconds: valid dates
/// (years 0 to 9999) are far below 2^62 in absolute value.
const PENDING: i64 = 1 << 62;

/// A year-last date as written: `a/b/year time offset`, the order of `a` and `b` undecided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct YearLast {
    a: u32,
    b: u32,
    year: i32,
    /// Seconds since midnight.
    secs: u32,
    /// The offset from UTC, in minutes (within ±24 hours).
    offset: i32,
}

impl YearLast {
    /// Packed into one i64 tagged [`PENDING`] (fields < 32, year ≤ 9999, seconds < 2^17,
    /// offset + 2048 < 2^12): the column holds it until its order is decided.
    fn pack(self) -> i64 {
        let fields = (self.year as i64 * 32 + self.a as i64) * 32 + self.b as i64;
        PENDING | (((fields << 17) + self.secs as i64) << 12) | (self.offset + 2048) as i64
    }

    fn unpack(v: i64) -> YearLast {
        let v = v & !PENDING;
        let (offset, v) = ((v & 4095) as i32 - 2048, v >> 12);
        let (secs, fields) = ((v % (1 << 17)) as u32, v / (1 << 17));
        let (b, a, year) = ((fields % 32) as u32, (fields / 32 % 32) as u32, (fields / 1024) as i32);
        YearLast { a, b, year, secs, offset }
    }

    /// Epoch seconds (UTC) in `order`; `None` when that is no date.
    fn read(self, order: DateOrder) -> Option<i64> {
        let (month, day) = match order {
            DateOrder::MonthFirst => (self.a, self.b),
            _ => (self.b, self.a),
        };
        instant(self.year, month, day, self.secs, self.offset)
    }
}

/// Epoch seconds of a local date and time at `offset` minutes from UTC.
fn instant(year: i32, month: u32, day: u32, secs: u32, offset: i32) -> Option<i64> {
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(secs, 0)?;
    Some(date.and_time(time).and_utc().timestamp() - offset as i64 * 60)
}

/// One date text read: an instant, a year-last date whose order the column decides, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Text {
    Instant(i64),
    /// A year-last date; `true` when its year was written with two digits.
    YearLast(YearLast, bool),
    Invalid,
}

/// Reads a date text in no particular order: the fast ISO path, then [`general`].
/// Whether `text` reads as a date without a format (the first look's type of a text column):
/// its epoch seconds when written with the year first, `Some(None)` when with the year last
/// (whose day-month order only its column tells), `None` when it is no date.
pub(crate) fn date_of(text: &str) -> Option<Option<i64>> {
    // a two-digit year reads as year-last whatever century it is put in: no clock read per value
    match read_text(text, 9999) {
        Text::Instant(t) => Some(Some(t)),
        Text::YearLast(..) => Some(None),
        Text::Invalid => None,
    }
}

/// `horizon_year`: the year of the latest valid date, which a two-digit year is read below
/// ([`century`]).
fn read_text(text: &str, horizon_year: i32) -> Text {
    let t = text.trim().as_bytes();
    if let Some(seconds) = parse_iso(t) {
        return Text::Instant(seconds);
    }
    general(t, horizon_year)
        .or_else(|| {
            // fields padded with spaces, as SQL Server's `CAST(datetime AS varchar)` writes the
            // day and the hour (`Dec  1 2010  8:26AM`): days 1–9 of every month were unread, the
            // newest nine days of an export gone (helper-99). Read as written once.
            let padded = t.windows(2).any(|w| w == b"  ");
            padded.then(|| general(&single_spaced(t), horizon_year)).flatten()
        })
        .unwrap_or(Text::Invalid)
}

/// `t` with each run of spaces one space.
fn single_spaced(t: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.len());
    for (i, &b) in t.iter().enumerate() {
        if b != b' ' || i == 0 || t[i - 1] != b' ' {
            out.push(b);
        }
    }
    out
}

/// The year a two-digit year `yy` stands for: the latest year ending in those digits that is
/// not after `horizon_year` (the year of the latest valid date: the run's clock or `[input]
/// max_date`). A purchase lies in the past, so `10` is 2010 and `99` 1999 in 2026; a fixed
/// pivot (POSIX's and Python's `%y`: 69 → 1969, 68 → 2068; Excel's: 29 → 2029) would put
/// some past years a century ahead, after the horizon, where they are invalid anyway.
fn century(yy: u32, horizon_year: i32) -> i32 {
    horizon_year - (horizon_year - yy as i32).rem_euclid(100)
}

/// A cursor over a date text's bytes.
struct Cursor<'t> {
    t: &'t [u8],
    at: usize,
}

impl Cursor<'_> {
    /// An unsigned number of `min..=max` digits: (value, digits).
    fn number(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let digits = self.t[self.at..].iter().take(max).take_while(|b| b.is_ascii_digit()).count();
        let value = self.t[self.at..self.at + digits].iter().fold(0u32, |n, &b| n * 10 + (b - b'0') as u32);
        self.at += digits;
        (digits >= min).then_some((value, digits))
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.t.get(self.at) == Some(&byte);
        self.at += found as usize;
        found
    }

    fn eat_any(&mut self, bytes: &[u8]) -> Option<u8> {
        let b = *self.t.get(self.at).filter(|b| bytes.contains(b))?;
        self.at += 1;
        Some(b)
    }

    fn eat_word(&mut self, word: &[u8]) -> bool {
        let found = self.t.get(self.at..self.at + word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word));
        self.at += if found { word.len() } else { 0 };
        found
    }

    fn spaces(&mut self) {
        while self.eat(b' ') {}
    }

    fn done(&self) -> bool {
        self.at == self.t.len()
    }

    /// An offset from UTC in minutes: none (0), `Z`, `UTC` or `GMT` (BigQuery's and SQL
    /// Server's exports write `2011-09-23 16:22:00 UTC`), `±HH`, `±HHMM` or `±HH:MM`.
    fn offset(&mut self) -> Option<i32> {
        if self.done() || self.eat(b'Z') || self.eat_word(b"UTC") || self.eat_word(b"GMT") {
            return Some(0);
        }
        let sign = if self.eat_any(b"+-")? == b'-' { -1 } else { 1 };
        let (hours, _) = self.number(2, 2)?;
        let minutes = match self.done() {
            true => 0,
            false => {
                self.eat(b':');
                self.number(2, 2)?.0
            }
        };
        (hours < 24 && minutes < 60).then_some(sign * (hours * 60 + minutes) as i32)
    }

    /// A fraction of a second, if any: dropped (whole seconds, as a datetime column's are).
    fn fraction(&mut self) -> Option<()> {
        if self.eat(b'.') {
            self.number(1, usize::MAX)?;
        }
        Some(())
    }

    /// Spaces, then the offset and the end: the offset in minutes.
    fn offset_to_end(&mut self) -> Option<i32> {
        self.spaces();
        let offset = self.offset()?;
        self.done().then_some(offset)
    }
}

/// ISO "YYYY-MM-DD HH:MM:SS" or "…THH:MM:SS", with or without a fraction of a second and an
/// offset (`Z`, `+02:00`, ` -0400`: the CSV exports' forms, pandas' and polars' `to_csv`,
/// JavaScript's `toISOString`, Shopify) without a format interpreter: nearly every export's
/// dates take this path.
fn parse_iso(t: &[u8]) -> Option<i64> {
    if t.len() < 19
        || t[4] != b'-'
        || t[7] != b'-'
        || !(t[10] == b' ' || t[10] == b'T')
        || t[13] != b':'
        || t[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        t[r].iter().try_fold(0u32, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + (b - b'0') as u32))
    };
    let mut rest = Cursor { t, at: 19 };
    rest.fraction()?;
    let offset = rest.offset_to_end()?;
    let (hours, minutes, seconds) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    instant(num(0..4)? as i32, num(5..7)?, num(8..10)?, hours * 3600 + minutes * 60 + seconds, offset)
}

/// Any other form: `Y-M-D`, `a/b/Y`, `a.b.Y` or `a-b-Y` (one separator, numbers unpadded or
/// not; `a/b/YY` and `a.b.YY` with a two-digit year, as Excel writes `m/d/yy`), ISO's basic
/// `YYYYMMDD`, or a month by its English name ([`named_month`]); optionally a time
/// `H:MM[:SS[.f]]` after a space or `T`, `AM`/`PM`, an offset.
fn general(t: &[u8], horizon_year: i32) -> Option<Text> {
    numeric(t, horizon_year).or_else(|| basic_iso(t)).or_else(|| named_month(t))
}

/// `Y-M-D`, `a/b/Y`, `a.b.Y`, `a-b-Y`, `a/b/YY` or `a.b.YY`, then a time (see [`general`]).
/// A two-digit year is read with [`century`]; not after a dash, where `yy-mm-dd` (Swedish,
/// ISO 8601:1988's short form) is as likely as `dd-mm-yy`.
fn numeric(t: &[u8], horizon_year: i32) -> Option<Text> {
    let mut c = Cursor { t, at: 0 };
    let first = c.number(1, 4)?;
    let sep = c.eat_any(b"-/.")?;
    let (second, _) = c.number(1, 2)?;
    c.eat(sep).then_some(())?;
    let third = c.number(1, 4)?;
    let (secs, offset) = time_to_end(&mut c)?;
    match (first, third) {
        ((year, 4), (day, 1..=2)) => Some(Text::Instant(instant(year as i32, second, day, secs, offset)?)),
        ((a, 1..=2), (year, 4)) => {
            let valid = a <= 31 && second <= 31 && (1..=9999).contains(&year);
            valid.then_some(Text::YearLast(YearLast { a, b: second, year: year as i32, secs, offset }, false))
        }
        ((a, 1..=2), (yy, 2)) if sep != b'-' => {
            let year = century(yy, horizon_year);
            let valid = a <= 31 && second <= 31 && (1..=9999).contains(&year);
            valid.then_some(Text::YearLast(YearLast { a, b: second, year, secs, offset }, true))
        }
        _ => None,
    }
}

/// The time after a date, if any (after a space or `T`): (seconds since midnight, offset).
fn time_to_end(c: &mut Cursor) -> Option<(u32, i32)> {
    if c.done() {
        return Some((0, 0));
    }
    c.eat_any(b" T")?;
    c.spaces();
    time(c)
}

/// ISO 8601's basic form `YYYYMMDD` (SAP's and many ERPs' exports), exactly eight digits,
/// then a time as in [`general`]. Unambiguous: the year comes first.
fn basic_iso(t: &[u8]) -> Option<Text> {
    let mut c = Cursor { t, at: 0 };
    let (_, 8) = c.number(8, 8)? else { return None };
    if c.t.get(c.at).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| t[r].iter().fold(0u32, |n, &b| n * 10 + (b - b'0') as u32);
    let (secs, offset) = time_to_end(&mut c)?;
    Some(Text::Instant(instant(digits(0..4) as i32, digits(4..6), digits(6..8), secs, offset)?))
}

/// Unix time written as digits only (see the module doc): its epoch seconds (the fraction of a
/// second dropped) and the unit its number of digits says. Not part of [`read_text`]: only a
/// column mapped as the date reads it, never a column being looked at for its type (an id of
/// ten digits is no date there).
fn unix_time(t: &[u8]) -> Option<(i64, &'static str)> {
    // a fraction after the count (Python's time.time(), a float column) is dropped; a count
    // starting with 0 is padded (an order number `0000489439`), no time written by a clock
    let (t, fraction) = match t.iter().position(|&b| b == b'.') {
        Some(dot) => (&t[..dot], &t[dot + 1..]),
        None => (t, &b""[..]),
    };
    let digits = |d: &[u8]| d.iter().all(u8::is_ascii_digit);
    if !digits(t) || !digits(fraction) || t.first() == Some(&b'0') {
        return None;
    }
    let (per_second, unit) = match t.len() {
        10 => (1, "seconds"),
        13 => (1_000, "milliseconds"),
        16 => (1_000_000, "microseconds"),
        19 => (1_000_000_000, "nanoseconds"),
        _ => return None,
    };
    let n = std::str::from_utf8(t).ok()?.parse::<i64>().ok()?;
    Some((n / per_second, unit))
}

/// Month names, each month's in the languages shops' exports are written in: English,
/// German (and Austria's `Jänner`), French, Spanish, Italian, Portuguese, Dutch, Swedish,
/// Danish, Norwegian, Polish (nominative and genitive), Turkish and Indonesian, with the
/// abbreviations that are not a name's first three letters (`Mrz`, `Mrt`, `Sept`, `janv`,
/// Indonesian `Agt`/`Ags`) and German's spellings without umlauts (`Maerz`, `Jaenner`).
/// Only English was read:
/// a German export's `08-Mai-2011` was no date while `08-Apr-2011` was — 278 of 826 dates
/// unread, the rest published as the selection's window, at exit 0 (helper-144).
const MONTHS: [&[&str]; 12] = [
    &[
        "january", "januar", "jänner", "jaenner", "janvier", "janv", "enero", "gennaio", "janeiro", "januari",
        "styczeń", "stycznia", "ocak",
    ],
    &[
        "february",
        "februar",
        "février",
        "févr",
        "febrero",
        "febbraio",
        "fevereiro",
        "februari",
        "luty",
        "lutego",
        "şubat",
    ],
    &[
        "march", "märz", "maerz", "mars", "marzo", "março", "maart", "marts", "marzec", "marca", "mart", "maret",
        "mrz", "mrt",
    ],
    &["april", "avril", "abril", "aprile", "kwiecień", "kwietnia", "nisan"],
    &["may", "mai", "mayo", "maggio", "maio", "mei", "maj", "maja", "mayıs"],
    &["june", "juni", "juin", "junio", "giugno", "junho", "czerwiec", "czerwca", "haziran"],
    &["july", "juli", "juillet", "juil", "julio", "luglio", "julho", "lipiec", "lipca", "temmuz"],
    &["august", "août", "agosto", "augustus", "augusti", "sierpień", "sierpnia", "ağustos", "agustus", "agt", "ags"],
    &[
        "september",
        "sept",
        "septembre",
        "septiembre",
        "setiembre",
        "settembre",
        "setembro",
        "wrzesień",
        "września",
        "eylül",
    ],
    &["october", "oktober", "octobre", "octubre", "ottobre", "outubro", "październik", "października", "ekim"],
    &["november", "novembre", "noviembre", "novembro", "listopad", "listopada", "kasım", "nopember"],
    &[
        "december",
        "dezember",
        "décembre",
        "diciembre",
        "dicembre",
        "dezembro",
        "grudzień",
        "grudnia",
        "aralık",
        "desember",
    ],
];

/// The month `word` (lower case) names in [`MONTHS`]: a name or abbreviation there, or the
/// first three letters of names of one month only (`Okt`, `avr`; `jui` is French June or
/// July: none). Other prefixes (`Janu`) are no month.
fn month_of(word: &str) -> Option<u32> {
    static FOLDED: std::sync::OnceLock<Vec<Vec<String>>> = std::sync::OnceLock::new();
    let names = FOLDED.get_or_init(|| MONTHS.iter().map(|names| names.iter().map(|n| folded(n)).collect()).collect());
    let word = &folded(word);
    let months = |fits: &dyn Fn(&str) -> bool| {
        let mut of = (1..=12u32).filter(|&m| names[m as usize - 1].iter().any(|name| fits(name)));
        match (of.next(), of.next()) {
            (Some(m), None) => Some(m),
            _ => None,
        }
    };
    let three = word.chars().count() == 3;
    months(&|name| name == word).or_else(|| three.then(|| months(&|name| name.starts_with(word))).flatten())
}

/// `word` in lower case without its letters' marks (`kasım`, `KASIM` and `kasim` alike; Turkish
/// capitals `İ`/`I` lower to `i̇`/`i`, not `i`/`ı`: `NİSAN` was no month; helper-147), as
/// exports written without them spell names (`aout`, `subat`).
fn folded(word: &str) -> String {
    word.to_lowercase()
        .chars()
        .filter(|&c| c != '\u{307}')
        .map(|c| match c {
            'ı' => 'i',
            'á' | 'à' | 'â' | 'ä' | 'å' | 'ą' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' | 'ę' => 'e',
            'í' | 'î' | 'ï' => 'i',
            'ó' | 'ô' | 'ö' | 'ø' | 'õ' => 'o',
            'ú' | 'û' | 'ü' => 'u',
            'ç' | 'ć' => 'c',
            'ş' | 'ś' => 's',
            'ğ' => 'g',
            'ł' => 'l',
            'ń' | 'ñ' => 'n',
            'ź' | 'ż' => 'z',
            c => c,
        })
        .collect()
}

/// A month written as its name or an abbreviation ([`month_of`]), in any case, an
/// abbreviation's full stop taken with it (`avr.`, `Okt.`).
fn month_name(c: &mut Cursor) -> Option<u32> {
    let rest = &c.t[c.at..];
    let text = match std::str::from_utf8(rest) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&rest[..e.valid_up_to()]).ok()?,
    };
    let word: &str = &text[..text.find(|ch: char| !ch.is_alphabetic()).unwrap_or(text.len())];
    let month = month_of(&word.to_lowercase())?;
    c.at += word.len();
    if c.t.get(c.at) == Some(&b'.') && c.t.get(c.at + 1).is_some_and(|b| !b.is_ascii_alphanumeric()) {
        c.at += 1;
    }
    Some(month)
}

/// A date with the month by name ([`MONTHS`]), unambiguous whatever the order: `05-Jan-2011`,
/// `5 Jan 2011`, `05/Jan/2011`, `5 January 2011`, `8. Mai 2011` (day first), or `Jan 5, 2011`,
/// `January 5 2011` (month first); then a time as in [`general`].
fn named_month(t: &[u8]) -> Option<Text> {
    let mut c = Cursor { t, at: 0 };
    let (month, day) = if t.first()?.is_ascii_digit() {
        let (day, _) = c.number(1, 2)?;
        let mut sep = c.eat_any(b"- /.")?;
        if sep == b'.' && c.eat(b' ') {
            sep = b' '; // an ordinal's full stop: German `8. Mai 2011`
        }
        // Spanish and Portuguese long dates: `8 de mayo de 2011`, `8 de mayo del 2011`
        let de = sep == b' ' && c.eat_word(b"de ");
        let month = month_name(&mut c)?;
        c.eat(sep).then_some(())?;
        if de && !c.eat_word(b"de ") {
            c.eat_word(b"del ").then_some(())?;
        }
        (month, day)
    } else {
        let month = month_name(&mut c)?;
        c.eat_any(b" -")?;
        let (day, _) = c.number(1, 2)?;
        let comma = c.eat(b',');
        let before = c.at;
        c.spaces();
        (comma || c.at > before).then_some(())?;
        (month, day)
    };
    let (year, 4) = c.number(4, 4)? else { return None };
    let (secs, offset) = time_to_end(&mut c)?;
    Some(Text::Instant(instant(year as i32, month, day, secs, offset)?))
}

/// `H:MM[:SS[.f]] [AM|PM] [offset]` to the end: (seconds since midnight, offset in minutes).
fn time(c: &mut Cursor) -> Option<(u32, i32)> {
    let (mut hours, _) = c.number(1, 2)?;
    c.eat(b':').then_some(())?;
    let (minutes, _) = c.number(2, 2)?;
    let seconds = if c.eat(b':') { c.number(2, 2)?.0 } else { 0 };
    c.fraction()?;
    c.spaces();
    let pm = if c.eat_word(b"AM") { Some(false) } else { c.eat_word(b"PM").then_some(true) };
    if let Some(pm) = pm {
        if !(1..=12).contains(&hours) {
            return None;
        }
        hours = hours % 12 + if pm { 12 } else { 0 };
    }
    let offset = c.offset_to_end()?;
    (hours < 24 && minutes < 60 && seconds < 60).then_some((hours * 3600 + minutes * 60 + seconds, offset))
}

/// The `[input] date_format` that reads a year-last value written as `example` in `order`,
/// as TOML: its separator, two- or four-digit year, and time (seconds, a 12-hour clock) as
/// written. A fixed "%m/%d/%Y %H:%M" was suggested for `12/13/2010 9:39 AM`, which it does
/// not read.
fn format_like(example: &str, order: DateOrder) -> String {
    let text = example.trim();
    let (date, time) = text.split_once([' ', 'T']).unwrap_or((text, ""));
    let sep = date.chars().find(|c| !c.is_ascii_digit()).unwrap_or('/');
    let year = match date.rsplit(sep).next().map_or(4, str::len) {
        2 => "%y",
        _ => "%Y",
    };
    let (a, b) = match order {
        DateOrder::DayFirst => ("%d", "%m"),
        _ => ("%m", "%d"),
    };
    let mut format = format!("{a}{sep}{b}{sep}{year}");
    let clock = time.trim();
    if !clock.is_empty() {
        let upper = clock.to_ascii_uppercase();
        let twelve = upper.ends_with("AM") || upper.ends_with("PM");
        format += if twelve { " %I:%M" } else { " %H:%M" };
        if clock.split(':').count() >= 3 {
            format += ":%S";
        }
        if twelve {
            format += " %p";
        }
    }
    crate::config::toml_text(&format)
}

/// The year after the rule's latest valid date's, below which a two-digit year is read: a
/// year ahead of the clock is one after the horizon (invalid, or read where the export's dates
/// continue there, [`continuing`]) — up to the clock's own year, a clock behind across New Year
/// read the new year's `24` as 1924, a valid date a century back (helper-168: every 2011 date
/// of an `m/d/yy` export read as 1911 under a clock at 2010-12-30).
fn horizon_year(rule: &DateRule) -> i32 {
    chrono::DateTime::from_timestamp(rule.max, 0).map_or(9999, |d| chrono::Datelike::year(&d).saturating_add(1))
}

/// What a column's year-last dates showed about their order: the first value of each kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evidence {
    /// A value that reads only day-first (`13/01/2011`).
    day_first: Option<String>,
    /// A value that reads only month-first (`01/13/2011`).
    month_first: Option<String>,
    /// A value that reads both ways (`03/04/2011`).
    either: Option<String>,
    /// Values after the horizon.
    future: usize,
    /// The values after the horizon by day (since the epoch, UTC; the earliest
    /// [`FUTURE_DAYS_KEPT`]): how many, and the latest — whether they continue the export's
    /// days ([`continuing`]).
    future_days: std::collections::BTreeMap<i64, (usize, i64)>,
    /// Values written with the year first (after the horizon or not), and with it last.
    year_first: usize,
    year_last: usize,
    /// The first value whose year was written with two digits, and the year read.
    two_digit_year: Option<(String, i32)>,
    /// Values read as Unix time ([`unix_time`]), and the first of them.
    unix: usize,
    unix_example: Option<String>,
    /// Values that read as no date at all (`TBD`, `#VALUE!`, `2011-02-30`, a format kindred
    /// does not know), and the first few distinct ones.
    unread: usize,
    unread_examples: Vec<String>,
    /// Year-first values among mostly year-last ones left invalid by [`resolve`].
    strays: usize,
    /// Of the year-last values written with a two-digit year: the first fields seen (a bit
    /// each, 0–31) and the two digits of the year seen (0–99); and how many year-last values
    /// have four digits. Which field takes fewer values tells a year from a day.
    first_fields: u32,
    two_digit_years: u128,
    four_digit_years: usize,
    /// A year-first date, not written in digits alone, after the 12th of its month; and one
    /// written in digits alone (`20111209`, Unix time). See [`resolve`].
    year_first_past_12: bool,
    year_first_digits: bool,
}

impl Evidence {
    fn note(&mut self, text: &str, date: YearLast) {
        let month_first = date.read(DateOrder::MonthFirst).is_some();
        let day_first = date.read(DateOrder::DayFirst).is_some();
        let slot = match (month_first, day_first) {
            (true, true) => &mut self.either,
            (true, false) => &mut self.month_first,
            (false, true) => &mut self.day_first,
            (false, false) => return, // no date either way: an invalid value, not evidence
        };
        slot.get_or_insert_with(|| text.trim().to_string());
    }

    /// Adds what a later part of the column showed (its examples only where this has none).
    pub fn merge(&mut self, later: Evidence) {
        self.day_first = self.day_first.take().or(later.day_first);
        self.month_first = self.month_first.take().or(later.month_first);
        self.either = self.either.take().or(later.either);
        self.future += later.future;
        for (day, (n, latest)) in later.future_days {
            self.add_future(day, n, latest);
        }
        self.year_first += later.year_first;
        self.year_last += later.year_last;
        self.two_digit_year = self.two_digit_year.take().or(later.two_digit_year);
        self.unix += later.unix;
        self.unix_example = self.unix_example.take().or(later.unix_example);
        self.unread += later.unread;
        self.first_fields |= later.first_fields;
        self.two_digit_years |= later.two_digit_years;
        self.four_digit_years += later.four_digit_years;
        self.year_first_past_12 |= later.year_first_past_12;
        self.strays += later.strays;
        self.year_first_digits |= later.year_first_digits;
        for text in &later.unread_examples {
            self.unread_example(text);
        }
    }

    /// Counts a year-last value's fields: its first field and its year's two digits when the
    /// year was written with two (`two_digits`).
    fn fields(&mut self, date: YearLast, two_digits: bool) {
        match two_digits {
            true => {
                self.first_fields |= 1 << (date.a & 31);
                self.two_digit_years |= 1 << (date.year.rem_euclid(100) as u32);
            }
            false => self.four_digit_years += 1,
        }
    }

    /// Whether the column's day-first reading takes its first field for a day that is a year:
    /// every year written with two digits, each of them a day of a month (1–31), and the first
    /// field taking fewer values than they do — a column of days spans many, of years few — and
    /// those values running on without a gap, as years do.
    fn first_is_a_year(&self) -> bool {
        let (firsts, years) = (self.first_fields.count_ones(), self.two_digit_years.count_ones());
        let days = self.two_digit_years & 1 == 0 && self.two_digit_years >> 32 == 0;
        // years run on without a gap: a subscription billed on the 1st and the 15th of each
        // month for three years (`15/01/22`) read year first would be 2001 and 2015 and nothing
        // between (helper-100: refused)
        let run = self.first_fields >> self.first_fields.trailing_zeros().min(31);
        let contiguous = run & run.wrapping_add(1) == 0;
        self.four_digit_years == 0 && days && years > 0 && firsts < years && contiguous
    }

    /// Keeps `text` as an example of a value that reads as no date, while there are few.
    fn unread_example(&mut self, text: &str) {
        super::keep_example(&mut self.unread_examples, text);
    }

    /// Most values are written with the year last.
    fn year_last_column(&self) -> bool {
        self.year_last > self.year_first
    }

    /// The order the column's dates are read in; `None` unless most are written with the year
    /// last (a setting that needs dates refuses when it is one not read).
    pub fn order(&self) -> Option<DateOrder> {
        self.year_last_column().then(|| self.year_last_order()).flatten()
    }

    /// The order the column's year-last dates are read in, however few they are; `None`
    /// without one.
    fn year_last_order(&self) -> Option<DateOrder> {
        if self.year_last == 0 {
            return None;
        }
        match (&self.day_first, &self.month_first) {
            (Some(_), Some(_)) => Some(DateOrder::Mixed),
            (Some(_), None) if self.first_is_a_year() => Some(DateOrder::YearFirst),
            (Some(_), None) => Some(DateOrder::DayFirst),
            (None, Some(_)) => Some(DateOrder::MonthFirst),
            (None, None) => self.either.as_ref().map(|_| DateOrder::Ambiguous),
        }
    }

    /// Dates after the horizon.
    pub fn future(&self) -> usize {
        self.future
    }

    /// The values after the horizon by day, ascending (the earliest [`FUTURE_DAYS_KEPT`]): the
    /// day, how many, and the latest instant.
    pub fn future_days(&self) -> Vec<Ahead> {
        self.future_days.iter().map(|(&day, &(values, latest))| Ahead { day, values, latest }).collect()
    }

    /// Counts `t`, a value after the horizon, on its day.
    fn future_day(&mut self, t: i64) {
        self.add_future(t.div_euclid(86_400), 1, t);
    }

    /// Adds `n` values after the horizon on `day`, the latest at `latest`; the latest days go
    /// past [`FUTURE_DAYS_KEPT`].
    fn add_future(&mut self, day: i64, n: usize, latest: i64) {
        let kept = self.future_days.entry(day).or_insert((0, latest));
        (kept.0, kept.1) = (kept.0 + n, kept.1.max(latest));
        if self.future_days.len() > FUTURE_DAYS_KEPT {
            self.future_days.pop_last();
        }
    }

    /// True when [`resolve`] has something to do: some value is written with the year last.
    pub fn pending(&self) -> bool {
        self.year_last > 0
    }

    /// The note on the order the column's year-last dates were read in, or why none was read.
    fn order_note(&self) -> Option<String> {
        let q = |s: &Option<String>| format!("'{}'", s.as_deref().unwrap_or_default());
        match self.year_last_order() {
            Some(DateOrder::DayFirst) => Some(format!("dates read day-first (as {} shows)", q(&self.day_first))),
            Some(DateOrder::MonthFirst) => {
                Some(format!("dates read month-first (as {} shows)", q(&self.month_first)))
            }
            Some(DateOrder::Ambiguous) => {
                let either = self.either.as_deref().unwrap_or_default();
                // the year may be first too, when the first field looks like one (a 2010–2011
                // export written yy/mm/dd: `10/12/01` was said to be day- or month-first only,
                // both wrong: helper-124)
                let year_first = match self.first_is_a_year() {
                    true => {
                        let sep = either.chars().find(|c| !c.is_ascii_digit()).unwrap_or('/');
                        format!(
                            " — or year-first, yy{sep}mm{sep}dd, which its first field looks like (it takes {} values where the last takes {}): \"%y{sep}%m{sep}%d\" with the time's format after it, if any",
                            self.first_fields.count_ones(),
                            self.two_digit_years.count_ones()
                        )
                    }
                    false => String::new(),
                };
                Some(format!(
                    "every date with the year last reads both day-first and month-first ({}); none was read: set [input] date_format, {} or {}{year_first}",
                    q(&self.either),
                    format_like(either, DateOrder::DayFirst),
                    format_like(either, DateOrder::MonthFirst)
                ))
            }
            Some(DateOrder::YearFirst) => {
                let example = self.day_first.as_deref().unwrap_or_default();
                let sep = example.chars().find(|c| !c.is_ascii_digit()).unwrap_or('/');
                Some(format!(
                    "dates like {} read day-first would take their first field for the day, but it takes {} values where the two-digit year takes {}: a year first (yy{sep}mm{sep}dd, as Japanese and Korean exports write it) looks likelier; none was read: set [input] date_format = \"%y{sep}%m{sep}%d\" (with the time's format after it, if any), or \"%d{sep}%m{sep}%y\" if they are day-first",
                    q(&self.day_first),
                    self.first_fields.count_ones(),
                    self.two_digit_years.count_ones()
                ))
            }
            Some(DateOrder::Mixed) => Some(format!(
                "dates read only day-first ({}) and only month-first ({}); none with the year last was read: set [input] date_format to the column's format ({} for values like the first, {} for the second; values in the other order are then invalid)",
                q(&self.day_first),
                q(&self.month_first),
                format_like(self.day_first.as_deref().unwrap_or_default(), DateOrder::DayFirst),
                format_like(self.month_first.as_deref().unwrap_or_default(), DateOrder::MonthFirst)
            )),
            None => None,
        }
    }

    /// What the audit says about the column: the order read and why, or why not; dates
    /// after the horizon.
    pub fn notes(&self, rule: &DateRule) -> Vec<String> {
        let mut notes: Vec<String> = self.order_note().into_iter().collect();
        if let Some((text, year)) =
            // only where a reading was taken: none was, ambiguous or mixed ('10/12/01' was said
            // to be in 2001 where nothing was read: helper-124)
            self
                .two_digit_year
                .as_ref()
                .filter(|_| matches!(self.year_last_order(), Some(DateOrder::DayFirst | DateOrder::MonthFirst)))
        {
            notes.push(format!(
                "years written with two digits read as the latest such year up to {} (the year after {}'s): '{text}' is in {year}; set [input] date_format (%Y for four digits) for another reading",
                horizon_year(rule),
                rule.horizon
            ));
        }
        if self.unix > 0 {
            let example = self.unix_example.as_deref().unwrap_or_default();
            let (seconds, unit) = unix_time(example.as_bytes()).unwrap_or((0, "seconds"));
            let read = chrono::DateTime::from_timestamp(seconds, 0).map(|d| d.format("%Y-%m-%d %H:%M:%S UTC"));
            notes.push(format!(
                "{} written as Unix time (a count of {unit} since 1970-01-01 UTC, by its number of digits) read as UTC instants: '{example}' is {}; set [input] date_format for another reading",
                crate::words::counted(self.unix, "date"),
                read.map(|d| d.to_string()).unwrap_or_default()
            ));
        }
        if self.strays > 0 {
            notes.push(format!(
                "{} written with the year first, where most have it last, {} invalid: {}",
                crate::words::counted(self.strays, "date"),
                if self.strays == 1 { "is" } else { "are" },
                match self.year_first_digits {
                    true => "some are digits alone (an order or phone number read as Unix time or YYYYMMDD?)",
                    false => "none falls after the 12th of its month, as when a month-first Excel swapped day and month of a day-first CSV's dates up to the 12th",
                }
            ));
        }
        notes.extend(self.unread_note(rule));
        if self.future > 0 {
            let max = chrono::DateTime::from_timestamp(rule.max, 0).map(|d| d.format("%Y-%m-%d %H:%M:%S UTC"));
            let max = max.map(|d| d.to_string()).unwrap_or_default();
            let are = if self.future == 1 { "is" } else { "are" };
            notes.push(format!(
                "{} after {max} ({}) {are} invalid",
                crate::words::counted(self.future, "date"),
                rule.horizon
            ));
        }
        notes
    }

    /// The values that read as no date: how many, the first few, and what would read them —
    /// `date_format` shaped on them, but for a workbook's serial days (`40513.35`) and counts
    /// of days, which no format reads (digits of a date run together, `201012010930`, one does:
    /// `%Y%m%d%H%M`).
    fn unread_note(&self, rule: &DateRule) -> Option<String> {
        if self.unread == 0 {
            return None;
        }
        let rows = if self.unread == 1 { "its row is" } else { "their rows are" };
        let serial = |t: &String| {
            let t = t.trim();
            let whole = t.trim_start_matches(['-', '+']).split(['.', ',']).next().unwrap_or_default();
            t.parse::<f64>().is_ok() && (whole.len() <= 6 || t.contains(['.', ',']))
        };
        let hint = match &rule.format {
            Some(format) => format!("not [input] date_format = {}", crate::config::toml_text(format)),
            None if self.unread_examples.iter().all(serial) => {
                "they are numbers, which no [input] date_format reads but as epoch seconds (\"%s\")".into()
            }
            None => "if they are dates, set [input] date_format to their format (e.g. \"%d/%m/%Y %H:%M\" or \"%m/%d/%Y %H:%M\")".into(),
        };
        Some(format!(
            "{}: {rows} kept, undated; {hint}",
            super::unread_values(self.unread, &self.unread_examples, "date")
        ))
    }
}

/// Reads dates from text one after another: an invoice's lines share a date, so a text equal
/// to the last one is not read again. A year-last date is kept packed (see [`resolve`]).
pub(crate) struct DateText<'r> {
    rule: &'r DateRule,
    /// The year of `rule.max`, below which a two-digit year is read ([`century`]).
    horizon_year: i32,
    last: String,
    value: Option<i64>,
    /// The last text's instant when it lies after the horizon (its value is then `None`).
    future: Option<i64>,
    /// Whether the last text was read as Unix time ([`unix_time`]).
    unix: bool,
    /// What the values read so far showed.
    pub(crate) evidence: Evidence,
}

impl<'r> DateText<'r> {
    pub(crate) fn new(rule: &'r DateRule) -> Self {
        // "" reads as no date, so the empty last text starts the cache right
        DateText {
            rule,
            horizon_year: horizon_year(rule),
            last: String::new(),
            value: None,
            future: None,
            unix: false,
            evidence: Evidence::default(),
        }
    }

    /// The text's epoch seconds, or its packed year-last fields; `None` when it is no date
    /// (or one after the horizon).
    pub(crate) fn read(&mut self, text: &str) -> Option<i64> {
        if self.last != text {
            self.unix = false;
            (self.value, self.future) = self.read_new(text);
            self.last.clear();
            self.last.push_str(text);
        }
        let e = &mut self.evidence;
        match self.value {
            Some(v) if v >= PENDING => e.year_last += 1,
            Some(_) => (e.year_first, e.unix) = (e.year_first + 1, e.unix + self.unix as usize),
            None if self.future.is_some() => {
                (e.future, e.year_first) = (e.future + 1, e.year_first + 1);
                e.future_day(self.future.unwrap_or_default());
            }
            None => e.unread += !text.trim().is_empty() as usize,
        }
        self.value
    }

    /// What a year-first date `text`, read as `t`, shows [`resolve`]: digits alone, or a day
    /// after the 12th.
    fn year_first_seen(&mut self, text: &str, t: i64) {
        let e = &mut self.evidence;
        match text.trim().bytes().all(|b| b.is_ascii_digit()) {
            true => e.year_first_digits = true,
            false => {
                let day = chrono::DateTime::from_timestamp(t, 0).map(|d| chrono::Datelike::day(&d));
                e.year_first_past_12 |= day.is_some_and(|d| d > 12);
            }
        }
    }

    fn read_new(&mut self, text: &str) -> (Option<i64>, Option<i64>) {
        let read = match &self.rule.format {
            Some(format) => crate::config::read_date(text, format).map_or(Text::Invalid, Text::Instant),
            None => read_text(text, self.horizon_year),
        };
        match read {
            Text::Instant(t) if t > self.rule.max => (None, Some(t)),
            Text::Instant(t) => {
                self.year_first_seen(text, t);
                (Some(t), None)
            }
            Text::YearLast(date, two_digits) => {
                self.evidence.note(text, date);
                self.evidence.fields(date, two_digits);
                if two_digits && self.evidence.two_digit_year.is_none() {
                    self.evidence.two_digit_year = Some((text.trim().to_string(), date.year));
                }
                (Some(date.pack()), None)
            }
            Text::Invalid => {
                let text = text.trim();
                let unix = self.rule.format.is_none().then(|| unix_time(text.as_bytes())).flatten();
                if let Some((t, _)) = unix {
                    if t > self.rule.max {
                        return (None, Some(t));
                    }
                    self.unix = true;
                    self.evidence.year_first_digits = true;
                    self.evidence.unix_example.get_or_insert_with(|| text.to_string());
                    return (Some(t), None);
                }
                if !text.is_empty() {
                    self.evidence.unread_example(text);
                }
                (None, None)
            }
        }
    }
}

/// The column's values: the instants as read (among mostly year-last ones, only as the
/// comment below says), the year-last ones in the order `evidence` leaves (none when it
/// leaves none), each after the horizon invalid. Returns the values and how many of them
/// became invalid here.
pub(crate) fn resolve(
    values: impl Iterator<Item = Option<i64>>,
    evidence: &mut Evidence,
    rule: &DateRule,
) -> (Int64Chunked, usize) {
    // Year-first dates among mostly year-last ones are read unless they may be what a
    // month-first Excel makes of a day-first CSV's dates up to the 12th — date cells with day
    // and month swapped, none after the 12th (helper-137: 24 of 60 such read as wrong dates,
    // the newest purchase ten months ahead) — or numbers of another kind in digits alone (an
    // order number read as Unix time became the newest purchase).
    let strays_are_dates = !evidence.year_last_column() || (evidence.year_first_past_12 && !evidence.year_first_digits);
    let order = evidence.year_last_order().filter(|o| !o.unread());
    let (mut invalid, mut strays) = (0, 0);
    let read = values.map(|v| {
        let v = v?;
        if v < PENDING && !strays_are_dates {
            (invalid, strays) = (invalid + 1, strays + 1);
            return None;
        }
        if v < PENDING {
            return Some(v); // an instant, read as it was written
        }
        let read = order.and_then(|o| YearLast::unpack(v).read(o));
        let future = read.is_some_and(|t| t > rule.max);
        if let Some(t) = read.filter(|_| future) {
            evidence.future += 1;
            evidence.future_day(t);
        }
        let read = read.filter(|_| !future);
        invalid += read.is_none() as usize;
        read
    });
    let out = Int64Chunked::from_iter_options(col::DATE.into(), read);
    evidence.strays += strays;
    (out, invalid)
}

/// The dates of a datetime or date column (epoch seconds) after the horizon become invalid;
/// the evidence counts them.
pub(crate) fn beyond(values: impl Iterator<Item = Option<i64>>, rule: &DateRule) -> (Int64Chunked, Evidence) {
    let mut evidence = Evidence::default();
    let kept = values.map(|v| match v {
        Some(t) if t > rule.max => {
            evidence.future += 1;
            evidence.future_day(t);
            None
        }
        v => v,
    });
    let out = Int64Chunked::from_iter_options(col::DATE.into(), kept);
    (out, evidence)
}

/// How many days of the values after the horizon [`Evidence`] keeps (the earliest): a
/// column of far-future placeholders on every row is one day, typos a few; the days that
/// continue the export are the earliest.
const FUTURE_DAYS_KEPT: usize = 4096;

/// The purchase days before a tail that tell the shop's rhythm: were its gaps alike, the
/// chance that the newest of n is the longest is 1/n, so from 100 days on a gap over twice the
/// longest is rarer than 1% (a shop's first weeks, or one that sells weekly for a year, are
/// judged by [`MIN_SPAN_DAYS`]).
pub const MIN_RHYTHM_DAYS: usize = 100;

/// The fewest purchase days before a tail that tell anything: fewer than [`MIN_RHYTHM_DAYS`]
/// say too little of the longest gap, so there a gap is stray only when over twice all the
/// days before it together (their span) — were the gaps alike and random (exponential), the
/// chance that the newest exceeds twice the sum of the 7 or more before it is 3⁻⁷, under 0.1%.
/// A helper's 90-day rolling export (76 purchase days) with one line's year mistyped 2025 was
/// not judged at all: it published with that line as the newest purchase, and the next night's
/// corrected export was refused as "5,025 days back". Once the span (not twice it): a 21-day
/// rolling export starting on December 23 lost that day's 336 lines as a placeholder date
/// before the 12 days of Christmas, and a weekly market's reopening after 17 weeks was undated.
pub const MIN_SPAN_DAYS: usize = 8;

/// The gap (in days) past which a day is beyond a silence the shop never otherwise kept, after
/// or before `days` (distinct purchase days, ascending, with their rows): twice the longest gap
/// between them — twice their span under [`MIN_RHYTHM_DAYS`] of them. Its callers ask a week
/// too ([`stray_tails`], [`continuing`]).
pub fn silence(days: &[(i64, usize)]) -> i64 {
    let span = match days.len() >= MIN_RHYTHM_DAYS {
        true => longest_gap(days),
        false => days.last().zip(days.first()).map_or(0, |(l, f)| l.0 - f.0),
    };
    2 * span
}

/// Where the stray tails of `days` (distinct purchase days, ascending, with their rows) lie:
/// the first day after the oldest end's tail, and the first day of the newest end's. A tail's
/// days lie beyond a gap of at least a week and over twice the longest gap between the days
/// inside — between the two tails ([`silence`]: at least [`MIN_RHYTHM_DAYS`] of them; with
/// fewer, at least [`MIN_SPAN_DAYS`], over twice their whole span) — and together hold fewer
/// rows than the export's median day (its own measure: a shop reopening after its longest closure ever sells
/// a day's worth). Both ends are judged together, each with the other's tail outside the days
/// it is measured against: judged one after the other, a typo at each end (2001 and 2021 for
/// 2011) made each gap the rhythm the other was within, and neither was found (helper-124: the
/// 2021 row's item first in 3,932 of 4,339 lists, and the next night's export refused). Of the
/// pairs that hold, the one with tails at more ends, then the fewest days inside (at one end,
/// the earliest day that starts a tail).
pub fn stray_tails(days: &[(i64, usize)]) -> (Option<usize>, Option<usize>) {
    let n = days.len();
    if n <= MIN_SPAN_DAYS {
        return (None, None);
    }
    let mut counts: Vec<usize> = days.iter().map(|d| d.1).collect();
    let typical = *counts.select_nth_unstable((n - 1) / 2).1;
    let gap = |k: usize| days[k].0 - days[k - 1].0;
    // where each end's tail may stop: past a gap of a week, its days fewer rows than the median
    // day's (0 and n: no tail)
    let tails = |order: &mut dyn Iterator<Item = usize>, rows_of: &dyn Fn(usize) -> usize| {
        let mut rows = 0;
        let mut at = Vec::new();
        for k in order {
            rows += rows_of(k);
            if rows >= typical {
                break;
            }
            at.push(k);
        }
        at
    };
    let firsts_inside: Vec<usize> =
        std::iter::once(0).chain(tails(&mut (1..n), &|k| days[k - 1].1).into_iter().filter(|&k| gap(k) >= 7)).collect();
    let firsts_after: Vec<usize> = std::iter::once(n)
        .chain(tails(&mut (1..n).rev(), &|k| days[k].1).into_iter().filter(|&k| gap(k) >= 7))
        .collect();
    // each pair (a few: a tail stops only past a week's gap); more ends with a tail, then fewer
    // days inside, then fewer before them, is the better
    use std::cmp::Reverse;
    let pairs = firsts_inside.iter().flat_map(|&i| firsts_after.iter().map(move |&k| (i, k)));
    let holds = pairs.filter(|&(i, k)| k >= i + MIN_SPAN_DAYS).filter(|&(i, k)| {
        let beyond = silence(&days[i..k]);
        (i == 0 || gap(i) > beyond) && (k == n || gap(k) > beyond)
    });
    let best = holds.max_by_key(|&(i, k)| (usize::from(i > 0) + usize::from(k < n), Reverse(k - i), Reverse(i)));
    match best {
        Some((i, k)) => ((i > 0).then_some(i), (k < n).then_some(k)),
        None => (None, None),
    }
}

/// The longest gap between consecutive `days` (0 for one).
pub fn longest_gap(days: &[(i64, usize)]) -> i64 {
    days.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap_or(0)
}

/// The values after the horizon of one day ([`Evidence::future_days`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ahead {
    /// Days since 1970-01-01 (UTC).
    pub day: i64,
    pub values: usize,
    /// The latest of them (epoch seconds).
    pub latest: i64,
}

/// The last day of `ahead` (the values after the horizon, by day, ascending) that continue
/// `days` (the dated values' days, ascending: the day, its values, its latest instant) as the
/// shop's own purchases would. The shop's days are those inside the stray rule's tails
/// ([`stray_tails`]: a placeholder 1970-01-01 or a typo years on is no day of its rhythm —
/// counted, one such line made any gap continue and a pre-order pass, helper-170). From their
/// newest day on (the rest of that day too), each day after a gap that is no silence the shop
/// never otherwise kept ([`silence`]; under a week always; with fewer than [`MIN_SPAN_DAYS`]
/// days, only that), holding together at least half the values the shop's days hold a calendar
/// day for each day from its newest dated purchase to the latest of them — the shop's flow of
/// purchases, which a machine whose clock is behind sees after it. Invalid, they were undated,
/// and the newest purchase every age counts back from moved with the clock (helper-165: 1.5 days
/// behind, 18,859 of the shipped export's 43,390 recommendations changed at exit 0). A few lines
/// dated ahead (pre-orders, a delivery date) are not that flow and stay invalid (helper-168: one
/// line 6 days ahead, read, moved 13,832; helper-170: a small shop's one order 36 hours ahead,
/// measured from the horizon rather than its newest purchase, moved 2,568 of 3,000); nor a typo
/// or a placeholder years on, however many lines. `None` when none continues. Not caught: the
/// newest hours of a shop that sells by day read at night under a clock behind (its hours
/// after the horizon hold few lines), as before.
pub fn continuing(days: &[(i64, usize, i64)], ahead: &[Ahead]) -> Option<i64> {
    let counts: Vec<(i64, usize)> = days.iter().map(|d| (d.0, d.1)).collect();
    let (first, after) = stray_tails(&counts);
    let shop = first.unwrap_or(0)..after.unwrap_or(days.len());
    let (inside, &(newest, _, newest_at)) = (counts.get(shop.clone())?, days.get(shop.end.checked_sub(1)?)?);
    let oldest = inside.first()?.0;
    let silence = if inside.len() >= MIN_SPAN_DAYS { silence(inside) } else { 0 };
    // values a calendar day, closed days too (a weekly market's day holds a week's)
    let rate = inside.iter().map(|d| d.1).sum::<usize>() as f64 / (newest - oldest + 1) as f64;
    let (mut last, mut held, mut taken) = (newest, 0usize, None);
    for a in ahead.iter().filter(|a| a.day >= newest) {
        let gap = a.day - last;
        if gap >= 7 && gap > silence {
            break;
        }
        (last, held) = (a.day, held + a.values);
        let span = (a.latest - newest_at).max(0) as f64 / 86_400.0;
        if held as f64 >= rate / 2.0 * span {
            taken = Some(a.day);
        }
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(format: Option<&str>) -> DateRule {
        DateRule { format: format.map(String::from), max: 4_102_444_800, horizon: "test" }
        // 2100-01-01
    }

    /// Reads `texts` as one column: (values, invalid, order).
    fn column(texts: &[&str], format: Option<&str>) -> (Vec<Option<i64>>, usize, Option<DateOrder>) {
        let rule = rule(format);
        let mut reader = DateText::new(&rule);
        let read: Vec<Option<i64>> = texts.iter().map(|t| reader.read(t)).collect();
        let bad = read.iter().filter(|v| v.is_none()).count();
        let mut evidence = reader.evidence;
        let (values, invalid) = resolve(read.into_iter(), &mut evidence, &rule);
        (values.iter().collect(), bad + invalid, evidence.order())
    }

    fn one(text: &str) -> Option<i64> {
        column(&[text], None).0[0]
    }

    /// Each of `texts` alone reads as `want`.
    fn each_reads_as(texts: &[&str], want: Option<i64>) {
        for text in texts {
            assert_eq!(one(text), want, "{text}");
        }
    }

    #[test]
    fn iso_dates_with_a_fraction_an_offset_or_a_z_are_dates() {
        let whole = one("2024-04-16 06:04:14");
        assert_eq!(whole, Some(1_713_247_454));
        each_reads_as(
            &[
                "2024-04-16T06:04:14",
                "2024-04-16T06:04:14.726",
                "2024-04-16 06:04:14.726000",
                "2024-04-16T06:04:14.726Z",
                "2024-04-16T06:04:14Z",
                "2024-04-16 06:04:14 UTC",
                "2024-04-16 06:04:14.726 UTC",
                "2024-04-16T06:04:14 GMT",
                " 2024-04-16T06:04:14.7 ",
                "2024-04-16 08:04:14+02:00",
                "2024-04-16 02:04:14 -0400",
                "2024-04-16T08:04:14.5+0200",
                "2024-04-16T07:04:14+01",
                "2024-4-16T06:04:14.726",
                "2024-04-16 6:04:14 AM",
                "2024-04-16 02:04:14 AM -04:00",
            ],
            whole,
        );
        each_reads_as(
            &[
                "2024-04-16T06:04:14.",
                "2024-04-16T06:04:14.7x",
                "2024-13-01 00:00:00",
                "2024-04-16 24:00:00",
                "2024-04-16T06:04:14+25:00",
                "2024-04-16 13:04:14 PM",
            ],
            None,
        );
        assert_eq!(one("2024-04-16 06:04"), Some(1_713_247_440));
        assert_eq!(one("2024-04-16"), Some(1_713_225_600));
    }

    #[test]
    fn basic_iso_and_named_months_are_dates_in_one_order() {
        let day = one("2011-01-05");
        let morning = one("2011-01-05 10:15");
        assert_eq!(day, Some(1_294_185_600));
        each_reads_as(
            &[
                "20110105",
                " 20110105 ",
                "05-Jan-2011",
                "5 Jan 2011",
                "05/JAN/2011",
                "5 January 2011",
                "Jan 5, 2011",
                "january 5 2011",
                "Jan 05,2011",
                "5.jan.2011",
            ],
            day,
        );
        each_reads_as(
            &[
                "20110105 10:15",
                "20110105T10:15:00",
                "05-Jan-2011 10:15",
                "Jan 5, 2011 10:15 AM",
                "5 Jan 2011 11:15 +01:00",
            ],
            morning,
        );
        assert_eq!(one("Sept 30, 2011"), one("2011-09-30"));
        assert_eq!(one("29-Feb-2012"), one("2012-02-29"));
        // other languages' names (helper-144: a German export's `Mai`, `Okt`, `Dez` unread, its
        // `Apr` read: the newest purchase a month early, 106 of 115 lists changed, exit 0)
        for (may, october) in [
            ("08-Mai-2011", "29-Okt-2011"),
            ("8. Mai 2011", "29. Oktober 2011"),
            ("8 mai 2011", "29 oct. 2011"),
            ("08/may/2011", "29/oct/2011"),
            ("8 maggio 2011", "29 ott 2011"),
            ("08-mei-2011", "29-okt-2011"),
            ("8 maja 2011", "29 października 2011"),
            ("8 Mayıs 2011", "29 Ekim 2011"),
            ("08-MAI-2011", "29-OUT-2011"),
            // Spanish and Portuguese long dates, Indonesian and German without umlauts
            ("8 de mayo de 2011", "29 de octubre de 2011"),
            ("8 De Maio De 2011", "29 de outubro del 2011"),
            ("8 Mei 2011", "29 Okt 2011"),
        ] {
            assert_eq!((one(may), one(october)), (one("2011-05-08"), one("2011-10-29")), "{may}, {october}");
        }
        each_reads_as(&["5 janv. 2011", "5-Jänner-2011", "5 ene 2011", "5 gen 2011", "5 sty 2011"], day);
        assert_eq!(one("14 Mär 2011"), one("2011-03-14"));
        assert_eq!(one("14 Mrz 2011"), one("2011-03-14"));
        assert_eq!(one("14-Maerz-2011"), one("2011-03-14"));
        assert_eq!(one("14 Agt 2011"), one("2011-08-14"));
        assert_eq!(one("14 Ags 2011"), one("2011-08-14"));
        // `de` belongs to the long form only: not a month's word, nor a year's
        for text in ["8 de mayo 2011", "8 mayo de 2011", "8 de de mayo de 2011", "8-de-mayo-de-2011"] {
            assert_eq!(one(text), None, "{text}");
        }
        assert_eq!(one("14 févr. 2011"), one("2011-02-14"));
        assert_eq!(one("14 déc 2011 10:15"), one("2011-12-14 10:15"));
        // every month's every name is that month, and three letters say one month or none
        for (m, names) in MONTHS.iter().enumerate() {
            for name in *names {
                assert_eq!(month_of(name), Some(m as u32 + 1), "{name}");
                let three: String = name.chars().take(3).collect();
                assert!(
                    matches!(month_of(&three), Some(x) if x == m as u32 + 1) || month_of(&three).is_none(),
                    "{three}"
                );
            }
        }
        assert_eq!(month_of("jui"), None, "French juin or juillet");
        // Turkish capitals, and names written without their marks (helper-147)
        for (text, m) in
            [("NİSAN", 4), ("MAYIS", 5), ("EKİM", 10), ("KASIM", 11), ("kasim", 11), ("aout", 8), ("subat", 2)]
        {
            assert_eq!(month_of(&text.to_lowercase()), Some(m), "{text}");
        }
        assert_eq!(one("8 MAYIS 2011"), one("2011-05-08"));
        // SQL Server's `CAST(datetime AS varchar)` pads the day and the hour with a space
        // (helper-99: days 1–9 of every month unread)
        assert_eq!(one("Jan  5 2011 10:15AM"), morning);
        assert_eq!(one("Jan  5 2011  9:15AM").map(|t| t + 3600), morning);
        assert_eq!(one("Jan 15 2011 10:15AM").map(|t| t - 10 * 86_400), morning);
        assert_eq!(single_spaced(b" a  b   c "), b" a b c ");
        each_reads_as(
            &[
                "20111305",
                "20110132",
                "2011010",
                "201101051",
                "2011-0105",
                "29-Feb-2011",
                "32-Jan-2011",
                "5 Jam 2011",
                "5 Ja 2011",
                "5 Janu 2011",
                "Jan 5 11",
                "Jan 52011",
                "05-Jan/2011",
                "May",
                "20110105 25:00",
            ],
            None,
        );
    }

    #[test]
    fn packing_keeps_every_field() {
        for date in [
            YearLast { a: 31, b: 12, year: 9999, secs: 86_399, offset: -1439 },
            YearLast { a: 1, b: 0, year: 0, secs: 0, offset: 1439 },
            YearLast { a: 7, b: 13, year: 2011, secs: 30_600, offset: 0 },
        ] {
            assert!(date.pack() > 0 && date.pack() & PENDING != 0);
            assert_eq!(YearLast::unpack(date.pack()), date);
        }
        // every valid instant is below the tag
        assert!(instant(9999, 12, 31, 86_399, -1439).unwrap() < PENDING);
    }

    #[test]
    fn a_day_above_12_makes_the_whole_column_day_first() {
        // regression: each value tried %m/%d before %d/%m, so 03/04/2011 was March 4th
        // beside 13/04/2011, April 13th
        let (values, invalid, order) = column(&["03/04/2011 10:00", "13/04/2011 8:26", "03/04/2011 10:00", ""], None);
        assert_eq!((invalid, order), (1, Some(DateOrder::DayFirst)));
        assert_eq!(values[0], one("2011-04-03 10:00:00"));
        assert_eq!(values[1], one("2011-04-13 08:26:00"));
        // an ISO date among year-last ones on or before the 12th may be a swapped cell: invalid;
        // a year-last one among ISO ones that nothing orders is not read (nor the column's order)
        let (values, invalid, order) = column(&["03/04/2011", "04/13/2011", "2011-05-01"], None);
        assert_eq!((order, invalid), (Some(DateOrder::MonthFirst), 1));
        assert_eq!(values, [one("2011-03-04"), one("2011-04-13"), None]);
        let (values, invalid, order) = column(&["2011-05-01", "03/04/2011", "2011-05-01"], None);
        assert_eq!((values, invalid, order), (vec![one("2011-05-01"), None, one("2011-05-01")], 1, None));
        // dots and dashes, seconds, AM/PM, offsets
        let (values, _, order) = column(&["25.12.2011 1:05:09 PM +01:00", "01-02-2011T00:00"], None);
        assert_eq!(order, Some(DateOrder::DayFirst));
        assert_eq!(values, [one("2011-12-25 12:05:09"), one("2011-02-01 00:00:00")]);
    }

    /// Japanese and Korean `yy/mm/dd` (`24/04/16`) read day-first as 2016-04-24, every date
    /// wrong at exit 0 (helper-99): the first field takes fewer values than the "year", so it is
    /// a year; none is read and the note gives both formats. A day-first column keeps its order
    /// however short (a year's end across two years: as many days as years), and four-digit
    /// years or a "year" that cannot be a day keep it too.
    #[test]
    fn a_first_field_that_takes_fewer_values_than_the_year_is_a_year() {
        let japanese = ["24/04/16 10:00", "24/04/17 09:00", "24/05/02 11:30", "23/12/28 08:00"];
        let (values, invalid, order) = column(&japanese, None);
        assert_eq!((order, invalid), (Some(DateOrder::YearFirst), 4));
        assert!(values.iter().all(Option::is_none));
        let rule = rule(None);
        let mut reader = DateText::new(&rule);
        japanese.iter().for_each(|t| {
            reader.read(t);
        });
        let notes = reader.evidence.notes(&rule).join("; ");
        assert!(
            notes.contains("takes 2 values where the two-digit year takes 4") && notes.contains("\"%y/%m/%d\""),
            "{notes}"
        );
        assert!(!notes.contains("read as the latest such year"), "no reading of a year it did not read: {notes}");
        // a 2010–2011 export written yy/mm/dd, its days up to 12 throughout: ambiguous, and the
        // year-first reading offered beside the two (it offered the two alone: helper-124)
        let older = ["10/12/01 09:53", "10/12/05 10:00", "11/01/09 11:30", "11/03/12 08:00", "11/06/07 08:00"];
        let mut reader = DateText::new(&rule);
        older.iter().for_each(|t| {
            reader.read(t);
        });
        assert_eq!(reader.evidence.order(), Some(DateOrder::Ambiguous));
        let notes = reader.evidence.notes(&rule).join("; ");
        assert!(notes.contains("or year-first, yy/mm/dd") && notes.contains("\"%y/%m/%d\""), "{notes}");
        assert!(!notes.contains("read as the latest such year"), "nothing was read: {notes}");
        let (_, invalid, order) = column(&["24/04/16", "24/04/17"], Some("%y/%m/%d"));
        assert_eq!((order, invalid), (None, 0), "the format reads them");
        for days in [
            vec!["16/04/24", "17/04/24", "02/05/24"],
            vec!["31/12/23", "01/01/24"],
            vec!["24/04/2016", "24/04/2017"],
            vec!["24/04/56", "24/04/57"],
            // billed on the 1st and the 15th for three years (helper-100): 2001 and 2015 read year first
            vec!["01/01/22", "15/01/22", "01/06/23", "15/06/23", "01/12/24", "15/12/24"],
        ] {
            assert_eq!(column(&days, None).2, Some(DateOrder::DayFirst), "{days:?}");
        }
    }

    /// Values that read as no date were counted in the audit but never shown: a column of
    /// `TBD`s and BigQuery's `… UTC` said nothing of why. They are counted and the first few
    /// distinct ones quoted, with the key that reads another format.
    #[test]
    fn values_that_read_as_no_date_are_counted_and_quoted() {
        let rule = DateRule::new(None, None);
        let mut dates = DateText::new(&rule);
        for text in ["2011-01-05 10:00:00", "TBD", "TBD", "#VALUE!", "2011-02-30", "25:00", " ", "2011-01-06"] {
            dates.read(text);
        }
        let notes = dates.evidence.notes(&rule);
        let want = "5 values read as no date ('TBD', '#VALUE!', '2011-02-30', …): their rows are kept, undated; if they are dates, set [input] date_format";
        assert!(notes.iter().any(|n| n.starts_with(want)), "{notes:?}");
        let formatted = DateRule::new(Some("%d/%m/%Y".into()), None);
        let mut dates = DateText::new(&formatted);
        dates.read("2011-01-05");
        let notes = dates.evidence.notes(&formatted);
        assert!(notes.iter().any(|n| n.contains("1 value reads as no date ('2011-01-05'): its row is kept, undated; not [input] date_format = \"%d/%m/%Y\"")), "{notes:?}");
        let mut clean = DateText::new(&rule);
        clean.read("2011-01-05 10:00:00");
        assert!(clean.evidence.notes(&rule).is_empty());
        // a workbook's serial days in a CSV: no format reads them, so none is suggested
        let mut serial = DateText::new(&rule);
        for text in ["40513.35138889", "40513.35277778", "40514"] {
            serial.read(text);
        }
        let notes = serial.evidence.notes(&rule);
        let want = "3 values read as no date ('40513.35138889', '40513.35277778', '40514'): their rows are kept, undated; they are numbers, which no [input] date_format reads but as epoch seconds (\"%s\")";
        assert!(notes.iter().any(|n| n == want), "{notes:?}");
        // a date's fields run together (an ERP's `201012010930`): a format reads them
        let mut packed = DateText::new(&rule);
        packed.read("201012010930");
        let notes = packed.evidence.notes(&rule);
        assert!(notes.iter().any(|n| n.contains("if they are dates, set [input] date_format")), "{notes:?}");
    }

    /// The format a hint suggests reads the values it quotes: "%m/%d/%Y %H:%M" was suggested
    /// for `12/13/2010 9:39 AM`, which it does not read.
    #[test]
    fn a_suggested_format_reads_the_value_it_is_shaped_on() {
        for (example, order, want) in [
            ("12/13/2010 9:39 AM", DateOrder::MonthFirst, "%m/%d/%Y %I:%M %p"),
            ("13/01/2011 10:00 pm", DateOrder::DayFirst, "%d/%m/%Y %I:%M %p"),
            ("13.01.11 10:00:05", DateOrder::DayFirst, "%d.%m.%y %H:%M:%S"),
            ("01-13-2011", DateOrder::MonthFirst, "%m-%d-%Y"),
        ] {
            let format = format_like(example, order);
            assert_eq!(format, format!("{want:?}"), "{example}");
            assert!(crate::config::read_date(example, want).is_some(), "{want} reads {example}");
        }
        let rule = DateRule::new(None, None);
        let mut dates = DateText::new(&rule);
        for text in ["12/13/2010 9:39 AM", "13/01/2011 10:00 AM"] {
            dates.read(text);
        }
        let notes = dates.evidence.notes(&rule);
        assert!(
            notes
                .iter()
                .any(|n| n
                    .contains("\"%d/%m/%Y %I:%M %p\" for values like the first, \"%m/%d/%Y %I:%M %p\" for the second")),
            "{notes:?}"
        );
    }

    #[test]
    fn two_digit_years_read_as_the_latest_such_year_up_to_the_horizon() {
        // Excel's m/d/yy and a German dd.mm.yy: the column decides the order, as with four digits
        let (values, invalid, order) = column(&["12/1/10 8:26", "12/13/10 9:02 PM", "1/4/11"], None);
        assert_eq!((invalid, order), (0, Some(DateOrder::MonthFirst)));
        assert_eq!(values, [one("2010-12-01 08:26:00"), one("2010-12-13 21:02:00"), one("2011-01-04")]);
        let (values, invalid, order) = column(&["01.12.10 08:26", "13.12.2010"], None);
        assert_eq!((invalid, order), (0, Some(DateOrder::DayFirst)));
        assert_eq!(values, [one("2010-12-01 08:26:00"), one("2010-12-13")]);
        // not after a dash (yy-mm-dd is as likely), nor with one or three digits
        each_reads_as(&["12-13-10", "10-12-13 08:26", "12/13/1", "12/13/010"], None);
        // the century: the latest year with those digits not after the horizon's year
        let cases =
            [(10, 2026, 2010), (26, 2026, 2026), (27, 2026, 1927), (99, 2026, 1999), (0, 2026, 2000), (0, 2100, 2100)];
        for (yy, horizon, year) in cases {
            assert_eq!(century(yy, horizon), year, "{yy} before {horizon}");
        }
        let rule = DateRule::new(None, NaiveDate::from_ymd_opt(2026, 12, 5));
        let mut reader = DateText::new(&rule);
        let read: Vec<Option<i64>> = ["12/31/99", "12/13/26", "12/4/26"].iter().map(|t| reader.read(t)).collect();
        let mut evidence = reader.evidence;
        let (values, invalid) = resolve(read.into_iter(), &mut evidence, &rule);
        assert_eq!(values.iter().collect::<Vec<_>>(), [one("1999-12-31"), None, one("2026-12-04")]);
        assert_eq!((invalid, evidence.future()), (1, 1)); // 2026-12-13 is after max_date
        let notes = evidence.notes(&rule).join("; ");
        let want = "years written with two digits read as the latest such year up to 2027 (the year after [input] max_date's): '12/31/99' is in 1999";
        assert!(notes.contains(want), "{notes}");
        // a year ahead of the horizon's is after it, not a century back (helper-168: a clock
        // behind across New Year read 2024's `24` as 1924, a valid date)
        let mut reader = DateText::new(&rule);
        let read: Vec<Option<i64>> = ["12/31/26", "1/2/27"].iter().map(|t| reader.read(t)).collect();
        let mut evidence = reader.evidence;
        let (values, _) = resolve(read.into_iter(), &mut evidence, &rule);
        assert_eq!((values.iter().collect::<Vec<_>>(), evidence.future()), (vec![None, None], 2));
        // four digits say nothing of it
        let mut reader = DateText::new(&rule);
        reader.read("12/31/1999");
        assert!(!reader.evidence.notes(&rule).join("").contains("two digits"));
    }

    #[test]
    fn an_undecided_or_mixed_order_reads_no_year_last_date() {
        let (values, invalid, order) = column(&["03/04/2011", "05/06/2011 10:00"], None);
        assert_eq!((order, invalid, values), (Some(DateOrder::Ambiguous), 2, vec![None, None]));
        let (values, invalid, order) = column(&["13/04/2011", "04/13/2011", "01/01/2011"], None);
        assert_eq!((order, invalid, values), (Some(DateOrder::Mixed), 3, vec![None, None, None]));
        // a value that reads neither way (no 13th month, no April 31st) is invalid, not evidence
        let (values, invalid, order) = column(&["13/13/2011", "31/04/2011", "13/01/2011"], None);
        assert_eq!((order, invalid), (Some(DateOrder::DayFirst), 2));
        assert_eq!(values[2], one("2011-01-13"));
    }

    /// helper-134: a workbook's date cells (ISO text) among typed-in day-first dates, or the
    /// reverse, were invalid as written "the other way" than most. Year-last ones read in the
    /// order they leave, however few; year-first ones among mostly year-last ones when one
    /// falls after the 12th and none is digits alone (helper-137: a month-first Excel's
    /// swapped cells, and pasted order numbers, read as wrong dates). An undecided order among
    /// mostly year-first values leaves those few unread, said, and is not the column's.
    #[test]
    fn year_first_and_year_last_dates_read_beside_each_other_when_they_can_be_told() {
        let want = [one("2024-02-23 18:26"), one("2024-02-15 09:00"), one("2024-03-01 12:00")];
        for texts in [
            ["23/02/2024 18:26", "2024-02-15 09:00:00", "01/03/2024 12:00"],
            ["23/02/2024 18:26", "2024-02-15 09:00:00", "2024-03-01 12:00:00"],
            ["23/02/2024 18:26", "15 Feb 2024 09:00", "1709294400"],
        ] {
            let (values, invalid, _) = column(&texts, None);
            assert_eq!((values, invalid), (want.to_vec(), 0), "{texts:?}");
        }
        let notes = |texts: &[&str]| {
            let rule = rule(None);
            let mut reader = DateText::new(&rule);
            let read: Vec<_> = texts.iter().map(|t| reader.read(t)).collect();
            let mut evidence = reader.evidence;
            let (values, invalid) = resolve(read.into_iter(), &mut evidence, &rule);
            (values.iter().collect::<Vec<_>>(), invalid, evidence.notes(&rule).join(" | "))
        };
        // none after the 12th: a month-first Excel's swapped cells, maybe
        let (values, invalid, said) = notes(&["23/02/2024 18:26", "2024-05-12 09:00:00", "15/03/2024 12:00"]);
        assert_eq!((values[1], invalid), (None, 1));
        assert!(
            said.contains(
                "1 date written with the year first, where most have it last, is invalid: none falls after the 12th"
            ),
            "{said}"
        );
        // digits alone: an order number read as Unix time, maybe
        let (values, invalid, said) =
            notes(&["23/02/2024 18:26", "1709294400", "2024-02-15 09:00:00", "15/03/2024 12:00", "16/03/2024 12:00"]);
        assert_eq!((values[1], values[2], invalid), (None, None, 2));
        assert!(said.contains("some are digits alone"), "{said}");
        // an undecided order among mostly year-first values
        let (values, invalid, said) = notes(&["2024-02-23", "2024-02-24", "03/04/2024"]);
        assert_eq!((values[2], invalid), (None, 1));
        assert!(said.contains("reads both day-first and month-first"), "{said}");
    }

    #[test]
    fn a_date_format_is_used_as_written_and_other_values_are_invalid() {
        let (values, invalid, order) =
            column(&["03/04/2011 10:00", "2011-04-03 10:00:00", "04/13/2011 10:00"], Some("%d/%m/%Y %H:%M"));
        assert_eq!((values[0], invalid, order), (one("2011-04-03 10:00:00"), 2, None));
        let (values, _, _) = column(&["16/04/2024 06:04:14 -0400", "16/04/2024"], Some("%d/%m/%Y %H:%M:%S %z"));
        assert_eq!(values[0], one("2024-04-16 10:04:14"));
        assert_eq!(column(&["16/04/2024"], Some("%d/%m/%Y")).0[0], one("2024-04-16"));
    }

    #[test]
    fn dates_after_the_horizon_are_invalid_and_counted() {
        let rule = rule(None);
        let mut reader = DateText::new(&rule);
        let texts = ["2011-01-02 10:00:00", "9999-12-31 00:00:00", "9999-12-31 00:00:00", "2101-12-01 10:00"];
        let read: Vec<Option<i64>> = texts.iter().map(|t| reader.read(t)).collect();
        assert_eq!(read, [one("2011-01-02 10:00:00"), None, None, None]);
        let notes = reader.evidence.notes(&rule);
        assert_eq!(notes, ["3 dates after 2100-01-01 00:00:00 UTC (test) are invalid"]);
        // year last: after the order is known
        let mut reader = DateText::new(&rule);
        let read: Vec<Option<i64>> = ["01/12/2101", "13/12/2010"].iter().map(|t| reader.read(t)).collect();
        let mut evidence = reader.evidence;
        let (values, invalid) = resolve(read.into_iter(), &mut evidence, &rule);
        let values: Vec<Option<i64>> = values.iter().collect();
        assert_eq!((values, invalid, evidence.future), (vec![None, one("2010-12-13")], 1, 1));
        let (typed, evidence) = beyond([Some(0), Some(rule.max + 1), None].into_iter(), &rule);
        assert_eq!((typed.iter().collect::<Vec<_>>(), evidence.future), (vec![Some(0), None, None], 1));
    }

    /// Unix time of 10, 13, 16 or 19 digits reads as its UTC instant in a date column, counted
    /// per value and noted with its unit; not under a date_format, not past the horizon, and no
    /// other length (12 digits may be `YYYYMMDDHHMM`). The first look never reads it.
    #[test]
    fn unix_time_reads_by_its_number_of_digits() {
        let rule = rule(None);
        let at = one("2009-12-01 09:28:00");
        let mut reader = DateText::new(&rule);
        for t in
            ["1259659680", "1259659680", "1259659680000", "1259659680000000", "1259659680000000000", "1259659680999"]
        {
            assert_eq!(reader.read(t), at, "{t}");
        }
        let notes = reader.evidence.notes(&rule);
        assert_eq!(
            notes,
            ["6 dates written as Unix time (a count of seconds since 1970-01-01 UTC, by its number of digits) read as UTC instants: '1259659680' is 2009-12-01 09:28:00 UTC; set [input] date_format for another reading"]
        );
        let mut reader = DateText::new(&rule);
        for t in [
            "999999999",
            "201012010928",
            "12596596800",
            "-1259659680",
            "1259659680.5x",
            "12596596800000000000",
            "0000489439",
            "0001259659680",
        ] {
            assert_eq!(reader.read(t), None, "{t}");
        }
        assert_eq!((reader.evidence.unix, reader.evidence.unread), (0, 8));
        // a fraction of a second (time.time(), a float column) is dropped
        assert_eq!(DateText::new(&rule).read("1259659680.25"), at);
        assert_eq!(DateText::new(&rule).read("1259659680000.5"), at);
        assert_eq!(reader.read("9999999999"), None, "2286: past the horizon");
        assert_eq!(reader.evidence.future, 1);
        let formatted = DateRule { format: Some("%Y-%m-%d".into()), ..rule.clone() };
        assert_eq!(DateText::new(&formatted).read("1259659680"), None, "a date_format is used as written");
        assert_eq!(date_of("1259659680"), None, "a column of ten-digit ids is no date column");
    }

    #[test]
    fn the_horizon_is_the_end_of_max_date_or_a_day_after_the_clock() {
        let day = NaiveDate::from_ymd_opt(2011, 12, 9);
        assert_eq!(DateRule::new(None, day).max, one("2011-12-09 23:59:59").unwrap());
        let now = chrono::Utc::now().timestamp();
        assert!((DateRule::new(None, None).max - now - 86_400).abs() < 60);
    }

    /// Days after the horizon continue the export when no gap before them is a silence the
    /// shop never otherwise kept (helper-165: a clock behind); a typo or placeholder years on
    /// does not, nor what lies beyond it.
    #[test]
    fn days_after_the_horizon_continue_the_export_or_not() {
        let day = 86_400;
        // a shop of 100 values a day, each day's last at noon; the clock + 1 day within day 199
        let shop = |days: std::ops::Range<i64>, step: i64, values: usize| -> Vec<(i64, usize, i64)> {
            days.map(|k| (step * k, values, step * k * day + day / 2)).collect()
        };
        let daily = shop(0..200, 1, 100);
        let ahead = |d: i64, values: usize, hours: i64| Ahead { day: d, values, latest: d * day + hours * 3600 };
        // the clock behind: the rest of its newest day and the next days, the shop's flow
        let flow = [ahead(199, 40, 20), ahead(200, 100, 20), ahead(201, 90, 20)];
        assert_eq!(continuing(&daily, &flow), Some(201));
        assert_eq!(continuing(&daily, &flow[..1]), Some(199), "the newest day's afternoon");
        // a pre-order days ahead, a placeholder or typo years on: no flow of purchases
        assert_eq!(continuing(&daily, &[ahead(205, 1, 10)]), None, "a pre-order");
        assert_eq!(continuing(&daily, &[ahead(201, 20, 0)]), None, "20 lines 36 hours on (helper-170)");
        assert_eq!(continuing(&daily, &[ahead(40_000, 5_000, 10)]), None, "9999-12-31 on many rows");
        assert_eq!(continuing(&daily, &[flow[0], ahead(206, 3, 10)]), Some(199), "a pre-order beyond");
        assert_eq!(continuing(&daily, &[ahead(230, 5_000, 10)]), None, "beyond a silence");
        // a placeholder date (1970) is no day of the shop's rhythm: its gap and rate unchanged
        let placeholder = [vec![(-15_000, 1, -15_000 * day)], daily.clone()].concat();
        assert_eq!(continuing(&placeholder, &[ahead(205, 80, 10)]), None, "pre-orders (helper-170)");
        assert_eq!(continuing(&placeholder, &flow), Some(201));
        // a weekly market (gaps of 7 days): a week's gap continues, a month's does not
        let weekly = shop(0..150, 7, 700);
        assert_eq!(continuing(&weekly, &[ahead(1050, 700, 12), ahead(1057, 650, 12)]), Some(1057));
        assert_eq!(continuing(&weekly, &[ahead(1080, 700, 12)]), None);
        // few days: twice their span is the rhythm; fewer than eight, a week alone
        assert_eq!(continuing(&shop(0..8, 10, 50), &[ahead(150, 2_000, 1)]), Some(150));
        assert_eq!(continuing(&shop(0..3, 10, 5), &[ahead(30, 5, 1)]), None);
        assert_eq!(continuing(&shop(0..3, 1, 5), &[ahead(5, 9, 1)]), Some(5));
        assert_eq!(continuing(&[], &[ahead(5, 9, 1)]), None, "no dated day: nothing to continue");
        // a typed column's values after the horizon: their days kept, the earliest first
        let rule = DateRule { format: None, max: 10 * 86_400, horizon: "test" };
        let (_, evidence) = beyond([Some(0), Some(12 * 86_400 + 5), Some(11 * 86_400), None].into_iter(), &rule);
        let days: Vec<(i64, usize)> = evidence.future_days().iter().map(|a| (a.day, a.values)).collect();
        assert_eq!((evidence.future(), days), (2, vec![(11, 1), (12, 1)]));
    }
}
