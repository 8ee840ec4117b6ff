//! The pipeline file, in two levels (as ripgrep's low/high args).
//!
//! [`PipelineFile`] (in `file`) mirrors the TOML exactly (unknown keys are errors naming the
//! key); [`Config::build`] applies command-line overrides, has each section build its validated
//! half (resolving relative paths from the pipeline file's folder, checking every range) and
//! returns the validated [`Config`] the stages use. The command line's own checks (`--k`, the
//! pipeline fallback) live here too, so the binary only turns flags into these calls.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ConfigError;

mod file;

/// Input formats, chosen by the input's extension (the ingest stage reads each with its own
/// module; the pipeline notes the `[input]` keys a format never reads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv { gzip: bool, tab: bool },
    Excel,
    Parquet,
}

/// The format of the input at `path`, by its extension (`.gz` after a text one's); `None`
/// for any other.
pub fn format_of(path: &Path) -> Option<Format> {
    let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
    let (stem, gzip) = match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_string(), true),
        None => (name.clone(), false),
    };
    let ext = Path::new(&stem).extension()?.to_string_lossy().to_string();
    match (ext.as_str(), gzip) {
        ("csv" | "txt", _) => Some(Format::Csv { gzip, tab: false }),
        ("tsv" | "tab", _) => Some(Format::Csv { gzip, tab: true }),
        ("xlsx" | "xlsm" | "xls" | "xlsb" | "ods", false) => Some(Format::Excel),
        ("parquet", false) => Some(Format::Parquet),
        _ => None,
    }
}
#[cfg(test)]
mod tests;

pub use file::{
    CleanSection, ColumnsSection, GatesSection, InputSection, ModelSection, OutputSection, PipelineFile,
    RecommendSection,
};

/// Reads a text with an explicit chrono format (`[input] date_format`), as epoch seconds: with
/// an offset if it has one (`%z`, `%:z`, …), else as a naive date and time, else as a date at
/// midnight.
pub fn read_date(text: &str, format: &str) -> Option<i64> {
    let t = text.trim();
    if date_format_fields(format).is_some_and(|f| f.offset) {
        return chrono::DateTime::parse_from_str(t, format).ok().map(|d| d.timestamp());
    }
    chrono::NaiveDateTime::parse_from_str(t, format)
        .ok()
        .or_else(|| chrono::NaiveDate::parse_from_str(t, format).ok().and_then(|d| d.and_hms_opt(0, 0, 0)))
        .map(|d| d.and_utc().timestamp())
}

/// What a chrono format's specifiers read, `None` when one is not chrono's (`%Q`).
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct DateFields {
    /// A day: year, month and day; year and day of the year; a year's week and weekday; or
    /// epoch seconds (`%s`).
    pub date: bool,
    /// A UTC offset (`%z`, `%:z`, `%#z`, …), not a letter z in the text (`"%d %b %Y (zulu)"`).
    pub offset: bool,
}

/// The fields of `format` (see [`DateFields`]), from chrono's own reading of it — composites
/// (`%F`, `%c`, `%D`) come as their parts, and a specifier that only parses (`%#z`) is read as
/// what it parses.
pub fn date_format_fields(format: &str) -> Option<DateFields> {
    use chrono::format::{Fixed, Item, Numeric, StrftimeItems};
    let (mut year, mut month, mut day, mut ordinal, mut week, mut weekday) = (false, false, false, false, false, false);
    let (mut iso_year, mut iso_week, mut stamp, mut offset) = (false, false, false, false);
    for item in StrftimeItems::new(format) {
        match item {
            Item::Error => return None,
            Item::Numeric(n, _) => match n {
                Numeric::Year | Numeric::YearMod100 => year = true,
                Numeric::IsoYear | Numeric::IsoYearMod100 => iso_year = true,
                Numeric::Month => month = true,
                Numeric::Day => day = true,
                Numeric::Ordinal => ordinal = true,
                Numeric::WeekFromSun | Numeric::WeekFromMon => week = true,
                Numeric::IsoWeek => iso_week = true,
                Numeric::NumDaysFromSun | Numeric::WeekdayFromMon => weekday = true,
                Numeric::Timestamp => stamp = true,
                _ => {}
            },
            Item::Fixed(f) => match f {
                Fixed::ShortMonthName | Fixed::LongMonthName => month = true,
                Fixed::ShortWeekdayName | Fixed::LongWeekdayName => weekday = true,
                Fixed::RFC2822 | Fixed::RFC3339 => (year, month, day, offset) = (true, true, true, true),
                Fixed::TimezoneOffset
                | Fixed::TimezoneOffsetColon
                | Fixed::TimezoneOffsetDoubleColon
                | Fixed::TimezoneOffsetTripleColon
                | Fixed::TimezoneOffsetColonZ
                | Fixed::TimezoneOffsetZ => offset = true,
                // `%#z`, the permissive offset (the other internal items are fractions of a second)
                Fixed::Internal(internal) => offset |= format!("{internal:?}").contains("TimezoneOffset"),
                _ => {}
            },
            _ => {}
        }
    }
    let date = stamp || year && (month && day || ordinal || week && weekday) || iso_year && iso_week && weekday;
    Some(DateFields { date, offset })
}

/// Command-line values that override the file.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub input: Option<PathBuf>,
    pub output: Option<PathBuf>,
    pub threads: Option<usize>,
    pub quiet: bool,
    pub force: bool,
}

/// A CSV text encoding: any label of the WHATWG Encoding Standard, as browsers read them
/// (`encoding_rs`): "latin-1" and "iso-8859-1" are windows-1252, so a Windows export's
/// “quotes” and € read right. A byte-order mark (UTF-8, UTF-16) overrides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding(pub &'static encoding_rs::Encoding);

impl Encoding {
    /// The default.
    pub const UTF8: Encoding = Encoding(encoding_rs::UTF_8);

    /// The encoding a label names: a WHATWG label (case and surrounding spaces ignored), or
    /// one of kindred's earlier spellings ("latin-1", "latin_1", "iso_8859_1", "utf_8").
    /// `None` for unknown labels and for the "replacement" labels (ISO-2022-KR and the like),
    /// which decode a whole file to one U+FFFD.
    pub fn for_label(label: &str) -> Option<Encoding> {
        let label = label.trim().to_ascii_lowercase();
        let label = match label.as_str() {
            "latin-1" | "latin_1" | "iso_8859_1" => "windows-1252",
            "utf_8" => "utf-8",
            other => other,
        };
        encoding_rs::Encoding::for_label_no_replacement(label.as_bytes()).map(Encoding)
    }

    /// The encoding's name in lower case ("utf-8", "windows-1252", "utf-16le").
    pub fn name(self) -> String {
        self.0.name().to_ascii_lowercase()
    }
}

impl Serialize for Encoding {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name())
    }
}

/// Parquet compression of the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Snappy,
    Zstd,
    Uncompressed,
}

/// Where the export is and how to read it.
#[derive(Debug, Clone, Serialize)]
pub struct InputConfig {
    #[serde(serialize_with = "path_text")]
    pub path: PathBuf,
    /// Excel sheet name; `None` = the first; `Some("*")` = every sheet with the same header.
    pub sheet: Option<String>,
    /// CSV delimiter; `None` = sniff from the header.
    pub delimiter: Option<u8>,
    /// The character that encloses a CSV field (`"`); `None`: none, every `"` is text (flat
    /// files such as Amazon's tab-separated reports).
    pub quote: Option<u8>,
    pub encoding: Encoding,
    /// chrono format for the date column; `None` = ISO and the common export formats.
    pub date_format: Option<String>,
    /// Dates after the end of this day (UTC) are invalid; `None` = the run's clock + 1 day.
    #[serde(serialize_with = "day_text")]
    pub max_date: Option<chrono::NaiveDate>,
    /// Not a key: the last day the export's dates continue to after the run's clock + 1 day,
    /// when the audit found they do (`audit::run_dated`): dates up to its end are valid.
    #[serde(skip)]
    pub dates_continue_to: Option<chrono::NaiveDate>,
    /// Skip (and count) CSV rows with the wrong number of fields instead of failing.
    pub skip_bad_rows: bool,
    /// A CSV record (or the header) longer than this many bytes of text fails naming its line;
    /// 0: no limit.
    pub max_record_bytes: usize,
    /// More CSV records than this fail while reading; 0: no limit.
    pub max_rows: usize,
    /// More bytes of CSV text (decompressed, decoded) than this fail while reading; 0: no
    /// limit; `None`: 3/4 of the memory available when the run starts (`ingest` reads it).
    pub max_bytes: Option<u64>,
    /// Texts read as missing in every column (besides blanks): `[input] null_values`, by
    /// default pandas' ([`crate::ingest::DEFAULT_NULL_VALUES`]).
    pub null_values: Vec<String>,
    /// The decimal mark of quantities written as text (the other groups thousands); `None` =
    /// as each column's values show.
    pub decimal: Option<Mark>,
}

/// A mark that is the decimal mark in one way of writing numbers and groups thousands in the
/// other: `[input] decimal` (see [`crate::roles`]' number module).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mark {
    #[serde(rename = ".")]
    Point,
    #[serde(rename = ",")]
    Comma,
}

impl Mark {
    pub(crate) fn of(c: char) -> Option<Mark> {
        match c {
            '.' => Some(Mark::Point),
            ',' => Some(Mark::Comma),
            _ => None,
        }
    }

    pub(crate) fn other(self) -> Mark {
        match self {
            Mark::Point => Mark::Comma,
            Mark::Comma => Mark::Point,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The mark as written: `.` or `,`.
    pub fn char(self) -> char {
        match self {
            Mark::Point => '.',
            Mark::Comma => ',',
        }
    }

    /// The mark `[input] decimal` names ("." or ","), if it names one.
    pub fn parse(text: &str) -> Option<Mark> {
        let mut chars = text.chars();
        chars.next().and_then(Mark::of).filter(|_| chars.next().is_none())
    }
}

/// `[input] max_record_bytes` by default: 4 MiB. A transaction export's longest legitimate
/// record is a few kilobytes (a long description); a record a thousand times that is a quote
/// never closed or a file without line ends, and the limit keeps the reader's buffer and the
/// time to say so small (4 MiB is also the text the builders take at a time).
pub const DEFAULT_MAX_RECORD_BYTES: usize = 4 << 20;

/// A path in the manifest and the status JSON as text: a name that is not UTF-8 (a Latin-1
/// folder on an old share) has U+FFFD for its bad bytes. serde refuses such a path, so every
/// run into (or from) it failed writing its manifest, and its failure record too.
pub fn path_text<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// A day as `YYYY-MM-DD` in the manifest (chrono's serde support is not built).
fn day_text<S: serde::Serializer>(day: &Option<chrono::NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match day {
        Some(d) => s.serialize_str(&d.format("%Y-%m-%d").to_string()),
        None => s.serialize_none(),
    }
}

/// The header names of each role. Optional roles are `None` when unmapped.
#[derive(Debug, Clone, Serialize)]
pub struct Columns {
    pub customer: String,
    pub item: String,
    pub quantity: Option<String>,
    pub description: Option<String>,
    pub invoice: Option<String>,
    pub date: Option<String>,
    /// `[columns] time`: the time of day of each line's date, in a column of its own (a till's
    /// export: `Date` and `Time`); read as text (canonical column [`TIME_COLUMN`]) and set on
    /// the date's day ([`crate::roles::with_time`]). Never mapped by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The column `[recommend] fallback = "popular_by:COLUMN"` segments customers by; read as
    /// text and kept through the pivot only then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    /// The columns `[clean] exclude_rows` and `keep_rows` read (each once, in
    /// [`CleanConfig::row_columns`]' order), as text: canonical columns [`row_column`]`(i)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<String>,
    /// The invoice is read too, as text (canonical column [`ORDER_COLUMN`]), by a run (a line
    /// without a row filter's value takes its order's verdict, a customer's undated line its
    /// date, a line without a customer its customer); not by `kindred audit`'s own look.
    #[serde(skip)]
    pub order: bool,
    /// Optional roles the user named explicitly: absent in the file is then an error, while an
    /// absent default (e.g. no `InvoiceNo` column) just leaves the role unmapped.
    #[serde(skip)]
    pub explicit: Vec<&'static str>,
}

/// The type of the published `customer_id` (`[columns] customer_type`). A BI refresh that
/// reads two runs breaks when it changes, so it is chosen here, not by whichever ids arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CustomerType {
    /// Int64 when every id is an integer, else String; once a folder has published Int64,
    /// a run with a non-integer id is refused (exit 3).
    #[default]
    Auto,
    /// Always String, even when every id is an integer (switches a folder deliberately).
    String,
    /// Always Int64; a non-integer id is refused (exit 3).
    Integer,
}

/// `text` as a TOML string a pipeline takes as written, for hints to paste (a sheet named
/// `Q"4 sales` was suggested as `sheet = "Q"4 sales"`, which does not parse).
pub fn toml_text(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// Why Int64 is required under [`CustomerType::Integer`] (what a refusal names).
pub const INTEGER_KEY: &str = "[columns] customer_type = \"integer\"";

/// Cleaning rules.
#[derive(Debug, Clone, Serialize)]
pub struct CleanConfig {
    /// Rows of a smaller quantity are dropped; `None` (the default): rows of quantity 0 or
    /// less (a purchase of half a kilo is one).
    pub min_quantity: Option<f64>,
    /// Item ids (or [`item_matches`] patterns) dropped.
    pub exclude_items: Vec<String>,
    /// `[clean] fill_order_lines`: an order's later lines that carry no customer and no date
    /// (exports writing an order's fields on its first line only) take the dated line above's.
    /// Off by default (`clean::order_lines` says when an export looks so).
    pub fill_order_lines: bool,
    /// `[clean] exclude_rows`: column → values ([`item_matches`] patterns); a row holding one
    /// is dropped (and, when the invoice is mapped, the lines of its order that leave the
    /// column blank).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub exclude_rows: BTreeMap<String, Vec<String>>,
    /// `[clean] keep_rows`: column → values; only rows holding one are kept (every such column
    /// must agree; a line leaving it blank takes its order's verdict).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keep_rows: BTreeMap<String, Vec<String>>,
    /// The customer's and the item's columns as the export's header names them (set by the
    /// run once the header is read; not a pipeline key): a row holding those very names is
    /// the header again (files joined end to end, a second table below the first).
    #[serde(skip)]
    pub header: Option<(String, String)>,
    /// The row filters' columns ([`CleanConfig::row_columns`]) as the export's header names
    /// them (set with `header`).
    #[serde(skip)]
    pub row_names: Vec<String>,
    /// The date column as the export's header names it (set with `header`; the stray dates'
    /// warning names it).
    #[serde(skip)]
    pub date_name: Option<String>,
    /// The export has no quantity column (set with `header`): every row is one purchase, and
    /// `min_quantity` drops nothing.
    #[serde(skip)]
    pub no_quantity: bool,
    /// `kindred evaluate`'s cutoff (epoch seconds; not a pipeline key): the rows dated before
    /// it are judged for stray dates on their own, as a run on the export cut there judges them.
    #[serde(skip)]
    pub cutoff: Option<i64>,
}

impl Default for CleanConfig {
    /// The code's defaults: quantities above 0, nothing excluded, order lines not filled.
    fn default() -> Self {
        CleanConfig {
            min_quantity: None,
            exclude_items: Vec::new(),
            fill_order_lines: false,
            exclude_rows: BTreeMap::new(),
            keep_rows: BTreeMap::new(),
            header: None,
            row_names: Vec::new(),
            date_name: None,
            no_quantity: false,
            cutoff: None,
        }
    }
}

/// The canonical name of the text column read for the row filters' `i`th column
/// ([`Columns::rows`]).
pub fn row_column(i: usize) -> String {
    format!("row:{i}")
}

/// The canonical name of the invoice read as text for the row filters ([`Columns::order`]).
pub const ORDER_COLUMN: &str = "order";

/// The canonical name of the time-of-day column read as text ([`Columns::time`]).
pub const TIME_COLUMN: &str = "time";

/// One row filter of `[clean]`: which key, its column, and the values it matches.
#[derive(Debug, Clone, Copy)]
pub struct RowFilter<'a> {
    /// `true`: `keep_rows` (rows matching are kept); `false`: `exclude_rows`.
    pub keep: bool,
    pub column: &'a str,
    pub values: &'a [String],
}

/// True when item id `id` matches `pattern` of `exclude_items` or `never_recommend`: the id
/// itself, or with `*` standing for any run of characters (`"Gift Card*"`: one id per
/// denomination). Only `*` is special: item ids hold brackets and question marks
/// (`[SKU-1217] Golden Yo-Yo`), which a glob crate's syntax would read as classes.
pub fn item_matches(pattern: &str, id: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = id.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Which of `items` the entries `patterns` of `exclude_items` or `never_recommend` match
/// ([`item_matches`]), in their order, and the entries that match none of them (a typo, an
/// item not in this export).
///
/// Entries without `*` are looked up, not compared one by one (5,000 listed against 100,000
/// distinct values were 4 s), as `read` reads them: item ids' lists as the export's ids are
/// read (`crate::roles::normalize_id`: an entry `71053.0`, written when the export's codes
/// were, still matches the item `71053`), a column's values as written (`Some`).
pub fn matched_items<'a>(
    patterns: &[String],
    items: impl IntoIterator<Item = &'a str>,
    read: fn(&str) -> Option<&str>,
) -> (Vec<bool>, Vec<String>) {
    let mut used = vec![false; patterns.len()];
    let mut exact: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    let mut wild = Vec::new();
    for (entry, pattern) in patterns.iter().enumerate() {
        match pattern.contains('*') {
            true => wild.push(entry),
            false => exact.entry(read(pattern).unwrap_or(pattern)).or_default().push(entry),
        }
    }
    let matched = items
        .into_iter()
        .map(|item| {
            let mut hit = false;
            for &entry in exact.get(item).into_iter().flatten() {
                (used[entry], hit) = (true, true);
            }
            for &entry in &wild {
                if item_matches(&patterns[entry], item) {
                    (used[entry], hit) = (true, true);
                }
            }
            hit
        })
        .collect();
    let unmatched = patterns.iter().zip(used).filter(|(_, u)| !u).map(|(p, _)| p.clone()).collect();
    (matched, unmatched)
}

/// The entries of `unmatched` (ids that match no item exactly; `*` patterns aside) that match
/// one of `items` in another case, with the first such item: an export whose item ids changed
/// case (`post` for `POST`) let postage into the lists with a note only.
pub fn in_another_case(unmatched: &[String], items: &[impl AsRef<str>]) -> Vec<(String, String)> {
    let wanted: Vec<(std::borrow::Cow<str>, &String)> =
        unmatched.iter().filter(|e| !e.contains('*')).map(|e| (case_folded(e), e)).collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut by_lower: std::collections::HashMap<std::borrow::Cow<str>, &str> = std::collections::HashMap::new();
    for item in items {
        by_lower.entry(case_folded(item.as_ref())).or_insert(item.as_ref());
    }
    wanted.into_iter().filter_map(|(lower, entry)| Some((entry.clone(), by_lower.get(&lower)?.to_string()))).collect()
}

/// `text` in lower case (Unicode's), the key two ids equal but for case share; borrowed when
/// it has no upper case (most ids: no copy). The one rule for `in_another_case` and the
/// customer ids' ([`crate::pivot::CaseTwins`]).
pub fn case_folded(text: &str) -> std::borrow::Cow<'_, str> {
    // a character lower case changes (upper case, and title case: `ǅ`), not `is_uppercase`
    match text.chars().any(|c| c.to_lowercase().ne(std::iter::once(c))) {
        true => std::borrow::Cow::Owned(text.to_lowercase()),
        false => std::borrow::Cow::Borrowed(text),
    }
}

impl CleanConfig {
    /// The row filters: `exclude_rows`' columns, then `keep_rows`', each in column order.
    pub fn row_filters(&self) -> Vec<RowFilter<'_>> {
        let exclude = self.exclude_rows.iter().map(|(column, values)| (false, column, values));
        let keep = self.keep_rows.iter().map(|(column, values)| (true, column, values));
        exclude.chain(keep).map(|(keep, column, values)| RowFilter { keep, column, values }).collect()
    }

    /// The columns the row filters read, each once, in [`CleanConfig::row_filters`]' order:
    /// the filter on column `c` reads canonical column [`row_column`] of `c`'s place here.
    pub fn row_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = Vec::new();
        for filter in self.row_filters() {
            if !columns.iter().any(|c| c == filter.column) {
                columns.push(filter.column.to_string());
            }
        }
        columns
    }

    /// These rules for an export whose header names the roles' columns `columns`.
    pub fn reading(&self, columns: &Columns) -> CleanConfig {
        let header = Some((columns.customer.clone(), columns.item.clone()));
        CleanConfig {
            header,
            row_names: columns.rows.clone(),
            date_name: columns.date.clone(),
            no_quantity: columns.quantity.is_none(),
            ..self.clone()
        }
    }
}

/// What is compared: customers with customers (the article's method) or items with items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// User-based: a customer's neighbours are customers; their purchases are recommended.
    #[default]
    User,
    /// Item-to-item: an item's neighbours are items; a customer's items vote for theirs.
    Item,
    /// EASE (Steck 2019): a dense item-to-item weight matrix learnt in closed form with an
    /// L2 penalty (`ease_lambda`); a customer's items vote with every weight.
    Ease,
    /// EASE fitted on each item's `sparse_ease_items` most co-purchased items: sparse in
    /// items, for catalogues too large for the dense inverse (`similarity::sparse_ease`).
    #[serde(rename = "sparse_ease")]
    SparseEase,
    /// Chosen by each run: every candidate of `[select]` is fitted on the purchases before a
    /// held-back window and scored on it; the winner is refitted on everything (`select`).
    Auto,
}

impl Kind {
    /// True when the model's rows (and neighbours) are items, false when they are customers.
    pub fn compares_items(self) -> bool {
        self != Kind::User
    }

    /// True for the EASE kinds, which take `ease_lambda` and `description_weight`.
    pub fn is_ease(self) -> bool {
        matches!(self, Kind::Ease | Kind::SparseEase)
    }
}

/// The value of each (customer, item) pair before cosine; formulas in `similarity::weighted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weighting {
    /// 1 = bought (the article's method).
    #[default]
    Binary,
    Quantity,
    LogQuantity,
    Bm25,
    Tfidf,
}

/// Similarity model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelConfig {
    pub kind: Kind,
    pub weighting: Weighting,
    pub neighbours: usize,
    pub min_similarity: f64,
    /// Neighbours must share at least this many items (1: any shared item).
    pub min_overlap: u32,
    /// Shrinkage λ: similarity × n / (n + λ), n = shared items (or shared buyers); 0: none.
    pub shrinkage: f64,
    /// EASE's L2 regularisation λ (only `kind = "ease"`).
    pub ease_lambda: f64,
    /// Share w of the description similarity in EASE's scores (only `kind = "ease"`; 0: none):
    /// (1 − w) × EASE + w × description votes, each over the customer's best (`similarity::text`).
    pub description_weight: f64,
    /// M: the items each item's weights are fitted on (only `kind = "sparse_ease"`).
    pub sparse_ease_items: usize,
    /// Recency of the values compared: each pair × 0.5^(age / half-life) before cosine (or
    /// EASE's Gram matrix); `None`: purchases weigh the same whatever their age.
    pub similarity_half_life_days: Option<f64>,
    /// N of `neighbours.parquet` when the model compares items: each customer's top N binary
    /// cosine neighbours, computed beside the model (`similarity::customers`); 0: none (the
    /// table written empty). A user-based model publishes its own neighbours instead.
    pub customer_neighbours: usize,
}

/// The customers' neighbours published by default: the article's 20.
pub const DEFAULT_CUSTOMER_NEIGHBOURS: usize = 20;

/// EASE's default λ when the pipeline names none (the shipped pipeline sets 350, tuned with
/// its description blend and exposure prior on the Online Retail export; README, "Evaluation").
pub const DEFAULT_EASE_LAMBDA: f64 = 300.0;

/// `sparse_ease_items` when the pipeline names none (README, "Evaluation": within −1.7% …
/// +1.4% of dense EASE's NDCG@10 at four cutoffs of the Online Retail export, as close as 200
/// and 50, while the solves cost M³ per item: 100 is 8× cheaper than 200).
pub const DEFAULT_SPARSE_EASE_ITEMS: usize = 100;

/// The most `sparse_ease_items` takes: each worker solves M × M systems (2,000: 32 MB each).
pub const MAX_SPARSE_EASE_ITEMS: usize = 2_000;

impl Default for ModelConfig {
    /// The article's method: binary user-based cosine, 20 neighbours.
    fn default() -> Self {
        ModelConfig {
            kind: Kind::User,
            weighting: Weighting::Binary,
            neighbours: 20,
            min_similarity: 0.0,
            min_overlap: 1,
            shrinkage: 0.0,
            ease_lambda: DEFAULT_EASE_LAMBDA,
            description_weight: 0.0,
            sparse_ease_items: DEFAULT_SPARSE_EASE_ITEMS,
            similarity_half_life_days: None,
            customer_neighbours: DEFAULT_CUSTOMER_NEIGHBOURS,
        }
    }
}

impl ModelConfig {
    /// True for the article's plain binary cosine between customers (the integer kernels).
    pub fn is_plain_user(&self) -> bool {
        self.kind == Kind::User
            && self.weighting == Weighting::Binary
            && self.shrinkage == 0.0
            && self.similarity_half_life_days.is_none()
    }
}

/// Recommendation rules.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecommendConfig {
    pub per_customer: usize,
    pub from_neighbours: usize,
    /// `[model] recency_half_life_days`: a neighbour's purchase counts 0.5^(age / half-life),
    /// age measured back from the newest purchase in the data. `None`: every purchase counts 1.
    pub recency_half_life_days: Option<f64>,
    /// γ: each model score × buyers(item)^γ before ranking; 0 = none, negative favours the
    /// less-bought items (counters the popularity bias of neighbourhood methods).
    pub popularity_exponent: f64,
    /// The exposure prior (`recommend::Prior`; 0 = none, each needs dates): each score ×
    /// (days since the item last sold + 7)^`last_sale_exponent` × (days the customer could
    /// have bought it + 7)^`exposure_exponent` × (the customer's purchase days since it first
    /// sold + 2)^`opportunity_exponent`.
    pub last_sale_exponent: f64,
    pub exposure_exponent: f64,
    pub opportunity_exponent: f64,
    /// What tops up a list the model leaves short: global popularity, or the customer's
    /// segment's (`recommend::Fallback`).
    pub fallback: Fallback,
    /// A segment with fewer customers than this falls back to global popularity.
    pub min_segment_customers: usize,
    /// The global top-up's order: each buyer of an item counts 0.5^(age / half-life) of their
    /// last purchase of it (age back from the newest purchase), so the items bought most
    /// lately come first. `None`: every buyer counts 1 (most buyers first). (Absent from a
    /// sharded run's plan written before 0.4.0: none.)
    #[serde(default)]
    pub popular_half_life_days: Option<f64>,
    /// The global top-up's order by the season ahead: the items whose buyers last bought them
    /// in these days from 52 weeks before the newest purchase on
    /// ([`crate::pivot::Interactions::season_popularity_order`]); before
    /// `popular_half_life_days`, which it excludes. `None`: not by season. (Absent from a
    /// sharded run's plan written before 0.4.0: none.)
    #[serde(default)]
    pub popular_season_days: Option<f64>,
    /// `[recommend] never_recommend`: item ids never put in a list, by the model or the top-up
    /// (postage, fees, gift cards, bags: lines of the export that are no product to offer).
    /// Unlike `[clean] exclude_items` they stay in the data, so the models still learn from
    /// them (who pays postage abroad). Ids as the export writes them, or [`item_matches`]
    /// patterns.
    #[serde(default)]
    pub never_recommend: Vec<String>,
}

/// A year, as the seasonal popularity looks back (`popular_season_days`,
/// [`crate::pivot::Interactions::season_popularity_order`]): 52 weeks, so the same weekdays (a
/// shop's week has its own rhythm).
pub const YEAR_DAYS: f64 = 364.0;

/// `[recommend] fallback`: what tops up a list the model leaves short.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Fallback {
    /// The most bought items overall (most buyers; ties by item id): today's top-up.
    #[default]
    Popular,
    /// `popular_by:COLUMN`: the most bought items among the customers of the customer's
    /// segment (their most frequent value of the export's column COLUMN), then overall.
    PopularBy(String),
}

impl Fallback {
    /// The export column the segments come from, if any.
    pub fn column(&self) -> Option<&str> {
        match self {
            Fallback::Popular => None,
            Fallback::PopularBy(column) => Some(column),
        }
    }

    /// Reads `"popular"` or `"popular_by:COLUMN"` (COLUMN as written in the export's header).
    pub fn parse(text: &str) -> Option<Fallback> {
        // the word in any case, as every other choice of the file (`kind = "USER"`); the
        // column as the export names it
        match text.split_once(':') {
            None if text.trim().eq_ignore_ascii_case("popular") => Some(Fallback::Popular),
            Some((by, column)) if by.trim().eq_ignore_ascii_case("popular_by") && !column.trim().is_empty() => {
                Some(Fallback::PopularBy(column.trim().to_string()))
            }
            _ => None,
        }
    }
}

impl From<Fallback> for String {
    fn from(f: Fallback) -> String {
        match f {
            Fallback::Popular => "popular".to_string(),
            Fallback::PopularBy(column) => format!("popular_by:{column}"),
        }
    }
}

impl TryFrom<String> for Fallback {
    type Error = String;

    fn try_from(text: String) -> Result<Fallback, String> {
        Fallback::parse(&text).ok_or_else(|| format!("{text:?} is not \"popular\" or \"popular_by:COLUMN\""))
    }
}

/// `[recommend] min_segment_customers` by default. A segment's popularity ranks items by how
/// many of its customers bought them; with under 20 customers (the article's neighbourhood
/// size) most items there have 0–2 buyers and the list is decided by ties and single
/// purchases, noise the global ranking does not have.
pub const DEFAULT_MIN_SEGMENT_CUSTOMERS: usize = 20;

impl Default for RecommendConfig {
    /// The article's rule: 10 recommendations from the 10 nearest, no score factors.
    fn default() -> Self {
        RecommendConfig {
            per_customer: 10,
            from_neighbours: 10,
            recency_half_life_days: None,
            popularity_exponent: 0.0,
            last_sale_exponent: 0.0,
            exposure_exponent: 0.0,
            opportunity_exponent: 0.0,
            fallback: Fallback::Popular,
            min_segment_customers: DEFAULT_MIN_SEGMENT_CUSTOMERS,
            popular_half_life_days: None,
            popular_season_days: None,
            never_recommend: Vec::new(),
        }
    }
}

impl RecommendConfig {
    /// These rules with every score factor off (the selection's grid; the fallback and
    /// `never_recommend` are kept: they say how lists are topped up and what may be in them,
    /// not how the model scores).
    pub fn plain(&self) -> RecommendConfig {
        RecommendConfig {
            per_customer: self.per_customer,
            from_neighbours: self.from_neighbours,
            fallback: self.fallback.clone(),
            min_segment_customers: self.min_segment_customers,
            never_recommend: self.never_recommend.clone(),
            ..Default::default()
        }
    }

    /// [`RecommendConfig::plain`] topped up by global popularity (the evaluation's baselines).
    pub fn baseline(&self) -> RecommendConfig {
        RecommendConfig { fallback: Fallback::Popular, ..self.plain() }
    }

    /// True when the exposure prior is on (it needs purchase dates).
    pub fn uses_exposure(&self) -> bool {
        self.last_sale_exponent != 0.0 || self.exposure_exponent != 0.0 || self.opportunity_exponent != 0.0
    }
}

/// A family of models `[select] candidates` may try (each with its grid, `select`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// The most bought items the customer has not bought (no model).
    Popularity,
    /// Item-to-item binary cosine (`kind = "item"`).
    ItemKnn,
    /// Customer-to-customer binary cosine (`kind = "user"`, the article's method).
    UserKnn,
    /// EASE, dense (`kind = "ease"`), where it fits the memory budget.
    Ease,
    /// EASE on each item's most co-purchased items (`kind = "sparse_ease"`); not tried unless
    /// listed.
    SparseEase,
}

impl Family {
    /// Every family, simplest first (the order ties are broken in).
    pub const ALL: [Family; 5] =
        [Family::Popularity, Family::ItemKnn, Family::UserKnn, Family::Ease, Family::SparseEase];

    /// The name in `[select] candidates` and `selection.parquet`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Popularity => "popularity",
            Family::ItemKnn => "item_knn",
            Family::UserKnn => "user_knn",
            Family::Ease => "ease",
            Family::SparseEase => "sparse_ease",
        }
    }
}

/// `[select]`: how `kind = "auto"` chooses its model (`select`).
#[derive(Debug, Clone, Serialize)]
pub struct SelectConfig {
    /// The last days of purchases held back to score the candidates on.
    pub window_days: f64,
    /// The window doubles (up to half the dated span) until this many customers have new items
    /// in it; short of it, the window back to the median date is taken if it holds more.
    pub min_customers: usize,
    /// The most customers the candidates are scored on: a sample drawn with `seed` of those
    /// with new items in the window, when more have some; 0 scores them all.
    pub max_customers: usize,
    /// Without dates: the share of each customer's items held back, drawn with `seed`.
    pub holdout_share: f64,
    pub seed: u64,
    /// The families tried, simplest first.
    pub candidates: Vec<Family>,
    /// Bytes a candidate's fit may take; `None`: ¾ of the memory available when the run starts.
    pub memory_budget: Option<u64>,
    /// How the winner is chosen from the candidates' scores on the window.
    pub rule: Rule,
    /// The last published run's choice is kept while it is within two standard errors of the
    /// best on the window (see `select::choose`): a switch between near-equals changed nearly
    /// every customer's list for nothing.
    pub keep_previous: bool,
}

/// `[select] rule`: how `kind = "auto"` picks its winner from the candidates' NDCG@K on the
/// window (README, "Model selection", for the measurements behind the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The highest NDCG@K; an exact tie goes to the simpler candidate.
    Best,
    /// The simplest candidate within one standard error of the paired per-customer
    /// differences from the best (Breiman et al. 1984; ESL §7.10): the rule of 0.3.0.
    OneStandardError,
}

impl Default for SelectConfig {
    fn default() -> Self {
        SelectConfig {
            window_days: 30.0,
            min_customers: 200,
            max_customers: 100_000,
            holdout_share: 0.2,
            seed: 1,
            candidates: Family::ALL[..4].to_vec(),
            memory_budget: None,
            rule: Rule::Best,
            keep_previous: true,
        }
    }
}

/// Output folder and format.
#[derive(Debug, Clone, Serialize)]
pub struct OutputConfig {
    #[serde(serialize_with = "path_text")]
    pub dir: PathBuf,
    /// Where `dir` was named: `--output` (or `KINDRED_OUTPUT`) or `[output] dir` (what an
    /// error about it names).
    #[serde(skip)]
    pub dir_key: &'static str,
    pub compression: Compression,
    pub keep_runs: usize,
}

/// Data gates.
#[derive(Debug, Clone, Serialize)]
pub struct GatesConfig {
    pub max_dropped_share: f64,
    /// The largest share of the customer's or the item's id values written in scientific
    /// notation with digits lost (a spreadsheet's CSV of long numbers: `audit::ids_lost_digits`).
    pub max_ids_lost_digits_share: f64,
    pub min_customers: usize,
    pub max_customer_drop_vs_previous: f64,
    /// The largest share of the last published set's customers (those with a list) that may be
    /// gone and back under an id written otherwise (`drift.rewritten`,
    /// `pipeline::check_rewritten`): the same customers under ids of another form — an export
    /// whose id column changed form overnight — pass every count.
    pub max_customers_rewritten_vs_previous: f64,
    /// The largest share of the last published set's catalogue that today's new items may be
    /// written otherwise (`drift.items_rewritten`, `pipeline::check_items_rewritten`): product
    /// codes written otherwise overnight (`00123` one night, `123` the next) change every list
    /// that holds them and every join on them.
    pub max_items_rewritten_vs_previous: f64,
    /// The largest share of the last published set's recommendation rows a run may lose
    /// (the previous count scaled to this run's `per_customer` when that is lower).
    pub max_row_drop_vs_previous: f64,
    /// The same for the rows the model made (`source = "neighbours"`): a model that collapsed
    /// behind popularity top-ups keeps the row count but not these.
    pub max_model_row_drop_vs_previous: f64,
    /// The largest share of customers whose list may change against the last published set
    /// (the manifest's `drift.changed_share`); `None` (the default): not checked.
    pub max_changed_share: Option<f64>,
    /// The most days the export's newest purchase may lie before the last published run's: an
    /// export cut short, half of one, or an older copy ends earlier.
    pub max_days_back_vs_previous: f64,
    /// The largest share of the purchase lines the last published run kept, on the days both
    /// exports should hold alike, that may be gone or new (`pipeline::check_history`).
    pub max_history_change_vs_previous: f64,
    /// The largest share of the date column's values that may not read as a date, when the run
    /// uses dates (`pipeline::check_invalid_date_share`).
    pub max_invalid_dates_share: f64,
    /// The most date values that do not read, beyond the last published run's share of them,
    /// in typical days' lines (`pipeline::check_invalid_dates`).
    pub max_new_invalid_dates_vs_previous: f64,
    /// Refuse an export byte for byte the one the last published run read, read with the same
    /// settings (an export job that stopped refreshing it: the same set again); `false` (the
    /// default): publish it again, with a warning.
    pub refuse_unchanged_input: bool,
    /// Refuse a set sharing no customer and no item with the last published one (another
    /// shop's export: `pipeline::check_nothing_in_common`).
    pub refuse_nothing_in_common: bool,
    /// Refuse an export whose item ids are mostly lists of items joined in one field (one row
    /// per order: `pipeline::check_item_lists`).
    pub refuse_item_lists: bool,
}

/// The most shards `kindred prepare --shards` plans for.
pub const MAX_SHARDS: usize = 10_000;

/// Validates `--shards` (1 to [`MAX_SHARDS`]).
pub fn shard_count(shards: usize) -> Result<usize, ConfigError> {
    match shards {
        1..=MAX_SHARDS => Ok(shards),
        _ => Err(ConfigError::Invalid {
            key: "--shards".into(),
            message: format!("must be between 1 and {MAX_SHARDS}, got {shards}"),
        }),
    }
}

/// The validated configuration of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Config {
    pub input: InputConfig,
    pub columns: Columns,
    pub clean: CleanConfig,
    pub model: ModelConfig,
    pub recommend: RecommendConfig,
    pub output: OutputConfig,
    pub gates: GatesConfig,
    pub select: SelectConfig,
    /// `[columns] customer_type`: the type of the published customer ids.
    pub customer_type: CustomerType,
    /// Worker threads for the parallel stages (at most the cores).
    pub threads: usize,
    /// Set when more threads than cores were asked for: what was asked and what is used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads_note: Option<String>,
    /// Set when the file sets keys its model never reads: which, and why (noted on stderr).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread_note: Option<String>,
    /// The pipeline file read, as given (`None`: the code's defaults, no file).
    pub pipeline: Option<PathBuf>,
    #[serde(skip)]
    pub quiet: bool,
    pub force: bool,
}

impl Columns {
    /// The two roles every export has, every optional role unmapped (an audit's map, tests').
    pub fn new(customer: &str, item: &str) -> Self {
        Columns {
            customer: customer.to_string(),
            item: item.to_string(),
            quantity: None,
            description: None,
            invoice: None,
            date: None,
            time: None,
            segment: None,
            rows: Vec::new(),
            order: false,
            explicit: Vec::new(),
        }
    }

    /// The file columns the roles read, each once (one column may serve two roles, e.g. the
    /// item id as its own description); the invoice is only audited.
    pub fn parsed(&self) -> Vec<&String> {
        let mut parsed: Vec<&String> = Vec::new();
        let roles = [
            Some(&self.customer),
            Some(&self.item),
            self.quantity.as_ref(),
            self.description.as_ref(),
            self.date.as_ref(),
            self.segment.as_ref(),
        ];
        let text = self.text_roles().into_iter().map(|(_, name, _)| Some(name));
        for name in roles.into_iter().chain(text).flatten() {
            if !parsed.contains(&name) {
                parsed.push(name);
            }
        }
        parsed
    }

    /// The columns read as text for the row filters: (canonical name, file column, role):
    /// each of [`Columns::rows`] (role `row_filter`), then the invoice when
    /// [`Columns::order`] and mapped (role `invoice`), then the time of day when mapped (role
    /// `time`, [`TIME_COLUMN`]).
    pub fn text_roles(&self) -> Vec<(String, &String, &'static str)> {
        let mut roles: Vec<(String, &String, &'static str)> =
            self.rows.iter().enumerate().map(|(i, c)| (row_column(i), c, "row_filter")).collect();
        if let Some(invoice) = self.invoice.as_ref().filter(|_| self.order) {
            roles.push((ORDER_COLUMN.to_string(), invoice, "invoice"));
        }
        if let Some(time) = &self.time {
            roles.push((TIME_COLUMN.to_string(), time, "time"));
        }
        roles
    }
}

/// One line for the keys a file sets and its model never reads, grouped by why, or `None`.
fn unread_note(unread: &[(&str, &str)]) -> Option<String> {
    let mut groups: Vec<(&str, Vec<&str>)> = Vec::new();
    for &(key, why) in unread {
        match groups.iter_mut().find(|g| g.0 == why) {
            Some(g) => g.1.push(key),
            None => groups.push((why, vec![key])),
        }
    }
    let parts: Vec<String> = groups.iter().map(|(why, keys)| format!("{} ({why})", keys.join(", "))).collect();
    let todo = match unread.iter().all(|(key, _)| key.starts_with("[input]")) {
        true => "remove them",
        false => "remove them, or set a [model] kind that reads them",
    };
    (!parts.is_empty())
        .then(|| format!("set but never read, so changing them changes nothing: {}; {todo}", parts.join("; ")))
}

impl Config {
    /// Validates a pipeline file (read from `base`'s folder) with command-line overrides.
    ///
    /// Each section builds its validated half. When several keys are wrong, the first in the
    /// order of these calls is reported (tests pin it): first the input, the threads, the
    /// neighbourhood and the list lengths checked against it, the cleaning and the model's kind;
    /// then every section's other keys, in the order of the file's tables.
    pub fn build(file: PipelineFile, base: &Path, cli: &Overrides) -> Result<Self, ConfigError> {
        let input_path = file.input.path(base, cli)?;
        let threads = file.model.threads(cli.threads)?;
        let near = file.model.neighbourhood()?;
        let lists = file.recommend.lists(near.neighbours, file.model.names_knn())?;
        let clean = file.clean.build()?;
        let kind = file.model.kind()?;
        let mut unread = file.input.unread(format_of(&input_path));
        unread.extend(file::unread(&file.model, &file.recommend, &file.select, kind));
        let unread_note = unread_note(&unread);
        let input = file.input.build(input_path)?;
        let mut columns = file.columns.build()?;
        let model = file.model.build(kind, near)?;
        let recommend = file.recommend.build(lists, file.model.recency_half_life_days)?;
        let output = file.output.build(base, cli)?;
        let gates = file.gates.build()?;
        let select = file.select.build()?;
        // The segment column is read with the roles' (`[recommend]` names it), and so are the
        // row filters' columns and the invoice (for them, for `fill_order_lines`, and to find an
        // order's lines written without its customer: `clean::claimed_lines`).
        columns.segment = recommend.fallback.column().map(str::to_string);
        columns.rows = clean.row_columns();
        columns.order = true;
        // a value every reader reads as missing can match no row
        for filter in clean.row_filters() {
            if let Some(word) = filter.values.iter().find(|v| input.null_values.contains(v)) {
                let key = if filter.keep { "keep_rows" } else { "exclude_rows" };
                // the list without it, to paste: the default is 35 words, which no one retypes
                // (a spreadsheet's `#DIV/0!`, missing by default since 2026-12-07: helper-163)
                let without: Vec<String> =
                    input.null_values.iter().filter(|v| *v != word).map(|v| format!("{v:?}")).collect();
                return Err(ConfigError::Invalid {
                    key: format!("[clean] {key}.\"{}\"", filter.column),
                    message: format!("'{word}' is read as a missing value ([input] null_values), so it matches no row; take it out of [input] null_values to read it as a value (in every column): null_values = [{}], or list another", without.join(", ")),
                });
            }
        }
        Ok(Config {
            input,
            columns,
            clean,
            model,
            recommend,
            output,
            gates,
            select,
            customer_type: file.columns.customer_type()?,
            threads: threads.threads,
            threads_note: threads.capped,
            unread_note,
            pipeline: None,
            quiet: cli.quiet,
            force: cli.force,
        })
    }

    /// Loads and validates the pipeline file at `path`.
    pub fn load(path: &Path, cli: &Overrides) -> Result<Self, ConfigError> {
        let (file, base) = PipelineFile::open(path)?;
        let built = Config::build(file, &base, cli).map_err(|e| match e {
            // a key of the file's ("[recommend] per_customer"), not a flag's ("--output")
            ConfigError::Invalid { key, message } if key.starts_with('[') => {
                ConfigError::InFile { path: path.to_path_buf(), key, message }
            }
            e => e,
        })?;
        Ok(Config { pipeline: Some(path.to_path_buf()), ..built })
    }

    /// [`Config::load`] of the pipeline file `given` (by flag or `KINDRED_PIPELINE`: it must
    /// exist, whatever its name), else of `default` — or, when no file is given, `default` is
    /// missing and `--input` says what to read, the code's defaults, paths from the working
    /// folder (`pipeline` is then `None`, and the caller says so).
    pub fn load_or_default(given: Option<&Path>, default: &Path, cli: &Overrides) -> Result<Self, ConfigError> {
        match given {
            None if !default.exists() && cli.input.is_some() => {
                Config::build(PipelineFile::default(), Path::new("."), cli)
            }
            given => Config::load(given.unwrap_or(default), cli),
        }
    }

    /// The settings `kindred audit` reads an export with: those of `pipeline` when one is named,
    /// else the code's defaults (paths from the working folder).
    pub fn load_optional(pipeline: Option<&Path>, cli: &Overrides) -> Result<Self, ConfigError> {
        match pipeline {
            Some(path) => Config::load(path, cli),
            None => Config::build(PipelineFile::default(), Path::new("."), cli),
        }
    }

    /// The folder `run` publishes to with the code's defaults (no pipeline file): `./output`.
    pub fn default_output_dir() -> PathBuf {
        PipelineFile::default().output.dir(Path::new("."), None)
    }

    /// The folder `run` publishes to without `--output`: the `[output] dir` of the pipeline file
    /// at `path`, read and resolved as [`Config::load`] does (for `explain`, which reads no
    /// input: the file must parse, its other keys are not checked).
    pub fn output_dir(path: &Path) -> Result<PathBuf, ConfigError> {
        let (file, base) = PipelineFile::open(path)?;
        Ok(file.output.dir(&base, None))
    }
}

/// The longest list a count of `[recommend]` or `[model]` may ask for: `per_customer`,
/// `from_neighbours`, `neighbours` (and `evaluate --k`, `bench --neighbours`). Every customer
/// (or item) gets up to this many rows, so the tables grow as customers × this: at the shipped
/// 4,300 customers 1,000 is 4.3 million rows, at a million customers a billion. Lists longer
/// than any shop shows, and neighbourhoods far past where accuracy stops improving (the
/// recommender literature tunes K in the tens to hundreds), are typos — `10^9` allocated 32 GB
/// and aborted. A list is also never longer than the catalogue: `recommend` caps it there.
pub const MAX_LIST: usize = 1_000;

/// `evaluate --k`: the list length the metrics look at, 1 to [`MAX_LIST`].
pub fn evaluate_k(k: usize) -> Result<usize, ConfigError> {
    file::bounded("--k", Some(k.min(i64::MAX as usize) as i64), 1, MAX_LIST)
}

/// `kindred audit --head`'s most rows: a preview, not an export.
pub const MAX_HEAD: usize = 10_000;

/// `audit --head`: the first rows shown, 0 (none) to [`MAX_HEAD`].
pub fn audit_head(rows: usize) -> Result<usize, ConfigError> {
    match rows > MAX_HEAD {
        true => Err(ConfigError::Invalid {
            key: "--head".into(),
            message: format!("must be at most {MAX_HEAD} (a preview of the first rows), got {rows}"),
        }),
        false => Ok(rows),
    }
}

/// `bench --neighbours`: 1 to [`MAX_LIST`].
pub fn bench_neighbours(k: usize) -> Result<usize, ConfigError> {
    file::bounded("--neighbours", Some(k.min(i64::MAX as usize) as i64), 20, MAX_LIST)
}

/// `--threads` where no pipeline file is read (`bench`): at least 1, capped at the cores; the
/// note says when it was capped.
pub fn cli_threads(threads: Option<usize>) -> Result<(usize, Option<String>), ConfigError> {
    let t = PipelineFile::default().model.threads(threads)?;
    Ok((t.threads, t.capped))
}

/// All cores, as rayon counts them.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
