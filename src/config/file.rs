//! The pipeline file as written, and how each of its sections becomes its validated half.
//!
//! [`PipelineFile`] mirrors the TOML exactly (unknown keys are errors naming the key). Each
//! section's `build` returns its validated half (a type of `config`), failing with a message
//! that names the key; a few keys that later checks depend on are checked first, in their own
//! small functions ([`Config::build`](super::Config::build) gives the order).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{
    default_threads, CleanConfig, Columns, Compression, CustomerType, Encoding, Fallback, Family, GatesConfig,
    InputConfig, Kind, Mark, ModelConfig, OutputConfig, Overrides, RecommendConfig, Rule, SelectConfig, Weighting,
    DEFAULT_CUSTOMER_NEIGHBOURS, DEFAULT_EASE_LAMBDA, DEFAULT_MAX_RECORD_BYTES, DEFAULT_MIN_SEGMENT_CUSTOMERS,
    DEFAULT_SPARSE_EASE_ITEMS, MAX_LIST, MAX_SPARSE_EASE_ITEMS, YEAR_DAYS,
};
use crate::error::ConfigError;

/// The pipeline file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineFile {
    #[serde(default)]
    pub input: InputSection,
    #[serde(default)]
    pub columns: ColumnsSection,
    #[serde(default)]
    pub clean: CleanSection,
    #[serde(default)]
    pub model: ModelSection,
    #[serde(default)]
    pub recommend: RecommendSection,
    #[serde(default)]
    pub output: OutputSection,
    #[serde(default)]
    pub gates: GatesSection,
    #[serde(default)]
    pub select: SelectSection,
}

/// `[input]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSection {
    pub path: Option<PathBuf>,
    pub sheet: Option<String>,
    pub delimiter: Option<String>,
    pub quote: Option<String>,
    pub encoding: Option<String>,
    pub date_format: Option<String>,
    pub max_date: Option<String>,
    pub skip_bad_rows: Option<bool>,
    pub max_record_bytes: Option<i64>,
    pub max_rows: Option<i64>,
    pub max_bytes: Option<i64>,
    pub null_values: Option<Vec<String>>,
    pub decimal: Option<String>,
}

/// `[columns]`: which header names hold which role.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnsSection {
    pub customer: Option<String>,
    pub item: Option<String>,
    pub quantity: Option<String>,
    pub description: Option<String>,
    pub invoice: Option<String>,
    pub date: Option<String>,
    pub time: Option<String>,
    pub customer_type: Option<String>,
}

/// `[clean]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanSection {
    pub min_quantity: Option<f64>,
    pub exclude_items: Option<Vec<String>>,
    pub fill_order_lines: Option<bool>,
    pub exclude_rows: Option<BTreeMap<String, Vec<String>>>,
    pub keep_rows: Option<BTreeMap<String, Vec<String>>>,
}

/// `[model]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSection {
    pub kind: Option<String>,
    pub weighting: Option<String>,
    pub shrinkage: Option<f64>,
    pub ease_lambda: Option<f64>,
    pub similarity_half_life_days: Option<f64>,
    pub neighbours: Option<i64>,
    pub min_overlap: Option<i64>,
    pub recency_half_life_days: Option<f64>,
    pub min_similarity: Option<f64>,
    pub threads: Option<i64>,
    pub description_weight: Option<f64>,
    pub sparse_ease_items: Option<i64>,
    pub customer_neighbours: Option<i64>,
}

/// `[recommend]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecommendSection {
    pub per_customer: Option<i64>,
    pub from_neighbours: Option<i64>,
    pub popularity_exponent: Option<f64>,
    pub last_sale_exponent: Option<f64>,
    pub exposure_exponent: Option<f64>,
    pub opportunity_exponent: Option<f64>,
    pub fallback: Option<String>,
    pub min_segment_customers: Option<i64>,
    pub popular_half_life_days: Option<f64>,
    pub popular_season_days: Option<f64>,
    pub never_recommend: Option<Vec<String>>,
}

/// `[output]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSection {
    pub dir: Option<PathBuf>,
    pub compression: Option<String>,
    pub keep_runs: Option<i64>,
}

/// `[gates]`: refuse to publish garbage.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatesSection {
    pub max_dropped_share: Option<f64>,
    pub min_customers: Option<i64>,
    pub max_customer_drop_vs_previous: Option<f64>,
    pub max_customers_rewritten_vs_previous: Option<f64>,
    pub max_items_rewritten_vs_previous: Option<f64>,
    pub max_row_drop_vs_previous: Option<f64>,
    pub max_model_row_drop_vs_previous: Option<f64>,
    pub max_changed_share: Option<f64>,
    pub max_days_back_vs_previous: Option<f64>,
    pub max_history_change_vs_previous: Option<f64>,
    pub max_new_invalid_dates_vs_previous: Option<f64>,
    pub max_invalid_dates_share: Option<f64>,
    pub max_ids_lost_digits_share: Option<f64>,
    pub refuse_unchanged_input: Option<bool>,
    pub refuse_nothing_in_common: Option<bool>,
    pub refuse_item_lists: Option<bool>,
}

/// `[select]`: how `kind = "auto"` chooses its model.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectSection {
    pub window_days: Option<f64>,
    pub min_customers: Option<i64>,
    pub max_customers: Option<i64>,
    pub holdout_share: Option<f64>,
    pub seed: Option<i64>,
    pub candidates: Option<Vec<String>>,
    pub memory_budget: Option<i64>,
    pub rule: Option<String>,
    pub keep_previous: Option<bool>,
}

/// The largest pipeline file read: a long `exclude_items` list is tens of kilobytes.
const MAX_PIPELINE_BYTES: u64 = 16 << 20;

/// A pipeline file's text: a regular file (a FIFO blocked `kindred run` for ever and
/// `/dev/zero` took memory until it ran out) of at most [`MAX_PIPELINE_BYTES`].
fn read_text(path: &Path) -> Result<String, ConfigError> {
    use std::io::Read;
    let read = |source: std::io::Error| ConfigError::Read { path: path.to_path_buf(), source };
    let refuse = |what: String| read(std::io::Error::new(std::io::ErrorKind::InvalidInput, what));
    let kind = std::fs::metadata(path).map_err(read)?.file_type();
    if !kind.is_file() {
        let what = if kind.is_dir() { "a folder" } else { "not a regular file (a FIFO, a socket or a device?)" };
        return Err(refuse(format!("it is {what}; name a TOML file")));
    }
    let mut text = String::new();
    let file = std::fs::File::open(path).map_err(read)?;
    file.take(MAX_PIPELINE_BYTES + 1).read_to_string(&mut text).map_err(read)?;
    if text.len() as u64 > MAX_PIPELINE_BYTES {
        return Err(refuse(format!(
            "it is over {} MiB, more than any pipeline needs; is it the right file?",
            MAX_PIPELINE_BYTES >> 20
        )));
    }
    Ok(text)
}

/// The key (with its table: `[model] neighbours`) whose value holds byte `at` of a pipeline
/// file, for the errors of a key or its value (a wrong type, a duplicate, an unknown field) —
/// `None` for a syntax error, a line of no key, a value in an inline table: a wrong name is
/// worse than none (helper-130: "ease_lambda: 350" was blamed on the `kind` above it). Read
/// line by line from the start, so that an array or a string over several lines is its key's,
/// and a `[` or `=` inside one is no table and no key.
fn key_at(text: &str, at: usize, message: &str) -> Option<String> {
    const OF_A_KEY: [&str; 5] = ["invalid type", "invalid value", "invalid length", "duplicate key", "unknown field"];
    if !OF_A_KEY.iter().any(|m| message.starts_with(m)) {
        return None;
    }
    let (mut table, mut offset) = (None::<String>, 0);
    // the key whose value goes on over the next lines: an array's depth, or a string's quotes
    // (a value in an inline table over several lines names no key, as on one line)
    let mut open: Option<(Option<String>, Continued)> = None;
    for line in text.split_inclusive('\n') {
        let here = at < offset + line.len();
        offset += line.len();
        let named = |key: &str| match &table {
            Some(t) => format!("{t} {key}"),
            None => key.to_string(),
        };
        if let Some((key, going)) = open.take() {
            if here {
                return key.map(|key| named(&key));
            }
            open = going.after(line).map(|going| (key, going));
            continue;
        }
        let body = line.trim_start_matches('\u{feff}').trim();
        if body.starts_with('[') {
            if here {
                return None;
            }
            let header = body.split('#').next().unwrap_or_default().trim();
            table = Some(header.to_string());
            continue;
        }
        let Some((key, value)) = key_value(body) else {
            if here {
                return None;
            }
            continue;
        };
        let inline = value.trim_start().starts_with('{');
        if here {
            return (!inline).then(|| named(key));
        }
        open = Continued::default().after(value).map(|going| ((!inline).then(|| key.to_string()), going));
    }
    None
}

/// A pipeline file's `key = value` line split at its `=`: the key bare (`a-z`, `0-9`, `_`,
/// `-`, dotted) or quoted whole; `None` for anything else.
fn key_value(line: &str) -> Option<(&str, &str)> {
    // a quoted key may hold `=` (`[clean.exclude_rows]`'s column names): split after its quote
    let split = match line.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => line[1..].find(q as char).map(|k| k + 2).and_then(|k| {
            let (key, rest) = line.split_at(k);
            rest.trim_start().strip_prefix('=').map(|value| (key, value))
        }),
        _ => line.split_once('='),
    };
    let (key, value) = split?;
    let key = key.trim();
    let quoted =
        key.len() >= 2 && (key.starts_with('"') && key.ends_with('"') || key.starts_with('\'') && key.ends_with('\''));
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || "_-. ".contains(c));
    (quoted || bare).then(|| (key.trim_matches(['"', '\'']), value))
}

/// How a value goes on past its line: arrays `depth` brackets deep, a multi-line string open
/// until its `quotes`.
#[derive(Clone, Copy, Default)]
struct Continued {
    depth: i32,
    quotes: Option<&'static [u8]>,
}

impl Continued {
    /// What is still open after `text` (the rest of a value's line, or a line inside it):
    /// brackets counted outside strings and comments.
    fn after(mut self, text: &str) -> Option<Continued> {
        let b = text.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if let Some(q) = self.quotes {
                // a basic string's `\` escapes the next byte; a run of up to five quotes closes
                // on its last three (`"""a "x""""` is `a "x"`: helper-132)
                let mut j = i;
                while j < b.len() && !b[j..].starts_with(q) {
                    j += if q[0] == b'"' && b[j] == b'\\' { 2 } else { 1 };
                }
                if j >= b.len() {
                    break;
                }
                let mut end = j + 3;
                while end < b.len() && end < j + 5 && b[end] == q[0] {
                    end += 1;
                }
                (i, self.quotes) = (end, None);
                continue;
            }
            match b[i] {
                b'#' => break,
                b'[' => self.depth += 1,
                b']' => self.depth -= 1,
                c @ (b'"' | b'\'') => {
                    let q: &'static [u8] = if c == b'"' { b"\"\"\"" } else { b"\'\'\'" };
                    if b[i..].starts_with(q) {
                        (i, self.quotes) = (i + 3, Some(q));
                        continue;
                    }
                    // a one-line string, to its closing quote (a basic string's \" escaped)
                    i += 1;
                    while i < b.len() && b[i] != c {
                        i += if c == b'"' && b[i] == b'\\' { 2 } else { 1 };
                    }
                }
                _ => {}
            }
            i += 1;
        }
        (self.depth > 0 || self.quotes.is_some()).then_some(self)
    }
}

/// serde's names of Rust's types (`expected i64`) in the words a pipeline file is written in.
fn plain_types(message: &str) -> String {
    let mut out = message.to_string();
    for (rust, plain) in [
        ("expected i64", "expected a whole number"),
        ("expected u64", "expected a whole number"),
        ("expected usize", "expected a whole number"),
        ("expected u32", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list [\"a\", \"b\"]"),
        ("expected a boolean", "expected true or false"),
    ] {
        out = out.replace(rust, plain);
    }
    out
}

impl PipelineFile {
    /// Reads and parses a pipeline file; syntax errors carry the line, unknown keys their name.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = read_text(path)?;
        toml::from_str(&text).map_err(|e| {
            // One line: where, the key, then what (toml's own Display spreads this over several
            // lines, and a wrong type or a duplicate named neither key nor table: helper-127).
            let at = e.span().map(|s| s.start.min(text.len()));
            let line = at.map(|at| text[..at].matches('\n').count() + 1);
            let message = plain_types(&e.message().trim_end().replace('\n', " "));
            let message = match (line, at.and_then(|at| key_at(&text, at, &message))) {
                (Some(line), Some(key)) => format!("line {line}: {key}: {message}"),
                (Some(line), None) => format!("line {line}: {message}"),
                (None, _) => message,
            };
            ConfigError::Parse { path: path.to_path_buf(), message }
        })
    }

    /// [`PipelineFile::load`] with the folder the file's relative paths resolve from (its own;
    /// "." for a bare name): the one reading [`Config::load`](super::Config::load) and
    /// [`Config::output_dir`](super::Config::output_dir) share.
    pub(super) fn open(path: &Path) -> Result<(Self, PathBuf), ConfigError> {
        // A pipeline file reached by a link (`/etc/kindred/shop.toml` → the repository's):
        // its relative paths were written beside the file itself, so they resolve from the
        // folder the link points into (they resolved beside the link, where another export
        // could sit and be published, exit 0).
        let real = match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path).ok(),
            _ => None,
        };
        let base = match real.as_deref().unwrap_or(path).parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok((PipelineFile::load(path)?, base))
    }
}

pub(super) fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.to_string(), message: message.into() }
}

/// A positive integer setting, or an error naming the key.
fn positive(key: &str, value: Option<i64>, default: usize) -> Result<usize, ConfigError> {
    bounded(key, value, default, i64::MAX as usize)
}

/// An integer setting in 1..=`max`, or an error naming the key and the range.
pub(super) fn bounded(key: &str, value: Option<i64>, default: usize, max: usize) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v < 1 => Err(invalid(key, format!("must be at least 1, got {v}"))),
        Some(v) if v as u64 > max as u64 => Err(invalid(key, format!("must be at most {max}, got {v}"))),
        Some(v) => Ok(v as usize),
    }
}

/// A count from 0 to `max` (0 turns something off), or an error naming the key.
fn count(key: &str, value: Option<i64>, default: usize, max: usize) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v < 0 => Err(invalid(key, format!("must be 0 (none) or more, got {v}"))),
        Some(v) if v as u64 > max as u64 => Err(invalid(key, format!("must be at most {max}, got {v}"))),
        Some(v) => Ok(v as usize),
    }
}

/// A share in [0, 1], or an error naming the key.
fn share(key: &str, value: Option<f64>, default: f64) -> Result<f64, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
        Some(v) => Err(invalid(key, format!("must be between 0 and 1, got {v}"))),
    }
}

/// `[input] date_format`: a chrono format that reads a date — every specifier chrono's, and
/// enough of them for a day ([`super::date_format_fields`]): a typo such as `%Q`, or a format
/// without the day, read every date as invalid and published at exit 0.
fn parse_date_format(text: &str) -> Result<String, ConfigError> {
    let key = "[input] date_format";
    let e_g = "e.g. \"%d/%m/%Y %H:%M\" for 09/12/2011 12:50; remove the key to have the format found";
    if text.trim().is_empty() {
        return Err(invalid(key, format!("is empty; {e_g}")));
    }
    match super::date_format_fields(text) {
        None => {
            Err(invalid(key, format!("{text:?} is not a chrono format (an unknown or unfinished %-specifier); {e_g}")))
        }
        Some(fields) if !fields.date => Err(invalid(
            key,
            format!(
                "{text:?} reads no day: it needs the year, the month and the day (or the day of the year, a \
                 week and weekday, or epoch seconds: %s); {e_g}"
            ),
        )),
        Some(_) => Ok(text.to_string()),
    }
}

/// `[input] max_date`: a day written `YYYY-MM-DD`.
fn parse_day(text: &str) -> Result<chrono::NaiveDate, ConfigError> {
    chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| invalid("[input] max_date", format!("must be a day written YYYY-MM-DD, got {text:?}")))
}

/// One ASCII character (or "tab"); the quote, a line end or NUL would split no field, so
/// they are refused here rather than as a column missing from the one field the header became.
fn parse_decimal(text: &str) -> Result<Mark, ConfigError> {
    Mark::parse(text).ok_or_else(|| {
        invalid(
            "[input] decimal",
            format!("must be \".\" or \",\" (the decimal mark; the other groups thousands), got {text:?}"),
        )
    })
}

fn parse_delimiter(text: &str) -> Result<u8, ConfigError> {
    let unusable = |what: &str| {
        invalid("[input] delimiter", format!("cannot be {what}: fields would never split; use the character between the fields, such as \",\", \";\" or \"tab\""))
    };
    match text {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        "\"" => Err(unusable("the quote character '\"' (it encloses fields)")),
        "\n" | "\r" => Err(unusable("a line end")),
        "\0" => Err(unusable("NUL")),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        s => Err(invalid("[input] delimiter", format!("must be one ASCII character (or \"tab\"), got {s:?}"))),
    }
}

/// A list of item ids or patterns (`[clean] exclude_items`, `[recommend] never_recommend`),
/// none empty.
fn item_list(key: &str, ids: Option<Vec<String>>) -> Result<Vec<String>, ConfigError> {
    let ids = ids.unwrap_or_default();
    match ids.iter().position(|id| id.trim().is_empty()) {
        Some(at) => Err(invalid(
            key,
            format!("entry {} is empty; list item ids as the export writes them, e.g. [\"POST\"]", at + 1),
        )),
        None => Ok(ids),
    }
}

/// A row filter (`[clean] exclude_rows`, `keep_rows`): each column named, each with at least
/// one value, none empty.
fn row_filter(
    key: &str,
    map: Option<BTreeMap<String, Vec<String>>>,
) -> Result<BTreeMap<String, Vec<String>>, ConfigError> {
    // values are compared with the cells' trimmed text: " refunded " would match nothing
    let mut map = map.unwrap_or_default();
    for values in map.values_mut() {
        for value in values.iter_mut() {
            *value = value.trim().to_string();
        }
    }
    for (column, values) in &map {
        if column.trim().is_empty() {
            return Err(invalid(key, "names an empty column; write { \"Order Status\" = [\"cancelled\"] }"));
        }
        let entry = format!("{key}.\"{column}\"");
        if values.is_empty() {
            return Err(invalid(&entry, "lists no value; list the column's values, e.g. [\"cancelled\"]"));
        }
        if let Some(at) = values.iter().position(|v| v.trim().is_empty()) {
            return Err(invalid(
                &entry,
                format!(
                    "entry {} is empty; list the column's values as the export writes them (\"*\": any value)",
                    at + 1
                ),
            ));
        }
    }
    Ok(map)
}

/// `[input] quote`: `"` (the default), `'`, or `""`: fields are never quoted.
fn parse_quote(text: &str) -> Result<Option<u8>, ConfigError> {
    match text {
        "" => Ok(None),
        "\"" | "'" => Ok(Some(text.as_bytes()[0])),
        _ => Err(invalid(
            "[input] quote",
            format!("must be \"\\\"\" (the default), \"'\", or \"\" when no field is quoted (every quote is text), got {text:?}"),
        )),
    }
}

/// One of a fixed set of names (case-insensitive), or an error naming the key and listing the
/// choices. Each option lists its spellings, the one shown in messages first.
fn choose<T: Copy>(key: &str, text: &str, options: &[(&[&str], T)]) -> Result<T, ConfigError> {
    let wanted = text.to_ascii_lowercase();
    if let Some((_, value)) = options.iter().find(|(names, _)| names.contains(&wanted.as_str())) {
        return Ok(*value);
    }
    let shown: Vec<String> = options.iter().map(|(names, _)| format!("{:?}", names[0])).collect();
    let (last, rest) = shown.split_last().map_or(("", &[][..]), |(l, r)| (l.as_str(), r));
    Err(invalid(key, format!("must be {} or {last}, got {text:?}", rest.join(", "))))
}

fn parse_encoding(text: &str) -> Result<Encoding, ConfigError> {
    Encoding::for_label(text).ok_or_else(|| {
        let examples = "\"utf-8\", \"windows-1252\" (or \"latin-1\"), \"utf-16le\", \"iso-8859-15\", \"shift_jis\"";
        invalid(
            "[input] encoding",
            format!("unknown encoding {text:?}: use a WHATWG Encoding Standard label such as {examples}"),
        )
    })
}

/// A count or size limit of `[input]`: ≥ 0 (0: no limit), or an error naming the key.
fn limit(key: &str, value: Option<i64>) -> Result<Option<u64>, ConfigError> {
    match value {
        Some(v) if v < 0 => Err(invalid(key, format!("must be 0 (no limit) or more, got {v}"))),
        v => Ok(v.map(|v| v as u64)),
    }
}

fn parse_kind(text: &str) -> Result<Kind, ConfigError> {
    choose(
        "[model] kind",
        text,
        &[
            (&["user"], Kind::User),
            (&["item"], Kind::Item),
            (&["ease"], Kind::Ease),
            (&["sparse_ease"], Kind::SparseEase),
            (&["auto"], Kind::Auto),
        ],
    )
}

fn parse_weighting(text: &str) -> Result<Weighting, ConfigError> {
    choose(
        "[model] weighting",
        text,
        &[
            (&["binary"], Weighting::Binary),
            (&["quantity"], Weighting::Quantity),
            (&["log_quantity"], Weighting::LogQuantity),
            (&["bm25"], Weighting::Bm25),
            (&["tfidf"], Weighting::Tfidf),
        ],
    )
}

fn parse_compression(text: &str) -> Result<Compression, ConfigError> {
    choose(
        "[output] compression",
        text,
        &[
            (&["snappy"], Compression::Snappy),
            (&["zstd"], Compression::Zstd),
            (&["uncompressed", "none"], Compression::Uncompressed),
        ],
    )
}

/// An optional number that must pass `valid`, or an error naming the key and the `rule`.
fn number(key: &str, value: Option<f64>, valid: impl Fn(f64) -> bool, rule: &str) -> Result<Option<f64>, ConfigError> {
    match value {
        Some(v) if !valid(v) => Err(invalid(key, format!("must be {rule}, got {v}"))),
        v => Ok(v),
    }
}

/// A score exponent between −4 and 4; 0 (off) when absent.
fn exponent(key: &str, value: Option<f64>) -> Result<f64, ConfigError> {
    Ok(number(key, value, |g| (-4.0..=4.0).contains(&g), "between -4 and 4")?.unwrap_or(0.0))
}

/// A half-life in days: positive and finite, or absent.
fn half_life(key: &str, value: Option<f64>) -> Result<Option<f64>, ConfigError> {
    number(key, value, |h| h > 0.0 && h.is_finite(), "a positive number of days")
}

/// Resolves a path written in the pipeline file against the file's folder, folding `a/..`
/// so logs and the manifest show `data/x.csv`, not `pipelines/../data/x.csv`. A `..` after a
/// link steps up from where the link points, as the kernel does (folded as text, `site/..`
/// with `site` a link was the link's folder: the same words on the command line reached
/// another file).
pub(super) fn resolve(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(out.components().next_back(), Some(std::path::Component::Normal(_))) =>
            {
                if std::fs::symlink_metadata(&out).is_ok_and(|m| m.file_type().is_symlink()) {
                    if let Ok(real) = std::fs::canonicalize(&out) {
                        out = real;
                    }
                }
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        out
    }
}

/// Refuses a path that starts with `~`: only a shell expands it, not a pipeline file or an
/// environment variable (cron's `KINDRED_OUTPUT=~/recs`), and it was taken as a folder named
/// `~` beside the pipeline, one `rm -rf ~` away from a home folder.
fn no_tilde(key: &str, path: Option<&PathBuf>) -> Result<(), ConfigError> {
    let first = path.and_then(|p| p.components().next());
    match first {
        Some(std::path::Component::Normal(name)) if name.to_string_lossy().starts_with('~') => Err(invalid(
            key,
            format!(
                "{} starts with '~', which only a shell expands (not a pipeline file or an environment variable); write the whole path",
                path.map(|p| p.display().to_string()).unwrap_or_default()
            ),
        )),
        _ => Ok(()),
    }
}

impl InputSection {
    /// `--input`, else `[input] path` from the pipeline's folder; one of them is required.
    pub(super) fn path(&self, base: &Path, cli: &Overrides) -> Result<PathBuf, ConfigError> {
        no_tilde("--input", cli.input.as_ref())?;
        no_tilde("[input] path", self.path.as_ref())?;
        match (&cli.input, &self.path) {
            (Some(p), _) => Ok(p.clone()),
            (None, Some(p)) if p.as_os_str().is_empty() => Err(invalid(
                "[input] path",
                "is empty; name the export to read (\"\" would be the pipeline file's own folder), or pass --input",
            )),
            (None, Some(p)) => Ok(resolve(base, p)),
            (None, None) => Err(invalid("[input] path", "no input file: set it in the pipeline file or pass --input")),
        }
    }

    /// `[input]`, reading the export at `path` (from [`InputSection::path`]).
    pub(super) fn build(self, path: PathBuf) -> Result<InputConfig, ConfigError> {
        let delimiter = self.delimiter.as_deref().map(parse_delimiter).transpose()?;
        let quote = self.quote.as_deref().map_or(Ok(Some(b'"')), parse_quote)?;
        if quote.is_some() && quote == delimiter {
            return Err(invalid("[input] quote", "is the delimiter too: fields would never split"));
        }
        Ok(InputConfig {
            path,
            sheet: match self.sheet {
                Some(s) if s.trim().is_empty() => {
                    return Err(invalid(
                        "[input] sheet",
                        "is empty; name the sheet to read, or remove the key to read the first",
                    ))
                }
                sheet => sheet,
            },
            delimiter,
            quote,
            encoding: self.encoding.as_deref().map(parse_encoding).transpose()?.unwrap_or(Encoding::UTF8),
            date_format: self.date_format.as_deref().map(parse_date_format).transpose()?,
            max_date: self.max_date.as_deref().map(parse_day).transpose()?,
            dates_continue_to: None,
            skip_bad_rows: self.skip_bad_rows.unwrap_or(false),
            max_record_bytes: limit("[input] max_record_bytes", self.max_record_bytes)?
                .map_or(DEFAULT_MAX_RECORD_BYTES, |v| v as usize),
            max_rows: limit("[input] max_rows", self.max_rows)?.unwrap_or(0) as usize,
            max_bytes: limit("[input] max_bytes", self.max_bytes)?,
            null_values: self
                .null_values
                .unwrap_or_else(|| crate::ingest::DEFAULT_NULL_VALUES.iter().map(|w| w.to_string()).collect()),
            decimal: self.decimal.as_deref().map(parse_decimal).transpose()?,
        })
    }
}

impl ColumnsSection {
    /// `[columns]`: the Online Retail names unless overridden; the customer and the item are
    /// required, an optional role set to "" is unmapped.
    pub(super) fn build(&self) -> Result<Columns, ConfigError> {
        let required = |key: &str, value: &Option<String>, default: &str| match value.as_deref() {
            None => Ok(default.to_string()),
            Some("") => Err(invalid(&format!("[columns] {key}"), "must name a column; it is required")),
            Some(v) => Ok(v.to_string()),
        };
        // An optional role set to "" is unmapped; absent keeps the Online Retail default.
        let optional = |value: &Option<String>, default: &str| match value.as_deref() {
            None => Some(default.to_string()),
            Some("") => None,
            Some(v) => Some(v.to_string()),
        };
        if self.time.as_deref().is_some_and(|t| !t.is_empty()) && self.date.as_deref() == Some("") {
            return Err(invalid(
                "[columns] time",
                "is the time of day of each line's date, and [columns] date = \"\" maps none: name the date column",
            ));
        }
        let mut explicit = Vec::new();
        for (role, value) in [
            ("quantity", &self.quantity),
            ("description", &self.description),
            ("invoice", &self.invoice),
            ("date", &self.date),
            ("time", &self.time),
        ] {
            if value.as_deref().is_some_and(|v| !v.is_empty()) {
                explicit.push(role);
            }
        }
        Ok(Columns {
            customer: required("customer", &self.customer, "CustomerID")?,
            item: required("item", &self.item, "StockCode")?,
            quantity: optional(&self.quantity, "Quantity"),
            description: optional(&self.description, "Description"),
            invoice: optional(&self.invoice, "InvoiceNo"),
            date: optional(&self.date, "InvoiceDate"),
            time: self.time.clone().filter(|t| !t.is_empty()),
            segment: None,
            rows: Vec::new(),
            order: false,
            explicit,
        })
    }
}

impl ColumnsSection {
    /// `[columns] customer_type`: "auto" (the default), "string" or "integer".
    pub(super) fn customer_type(&self) -> Result<CustomerType, ConfigError> {
        let options: &[(&[&str], CustomerType)] = &[
            (&["auto"], CustomerType::Auto),
            (&["string"], CustomerType::String),
            (&["integer"], CustomerType::Integer),
        ];
        Ok(self
            .customer_type
            .as_deref()
            .map(|t| choose("[columns] customer_type", t, options))
            .transpose()?
            .unwrap_or_default())
    }
}

impl CleanSection {
    /// `[clean]`: keep lines of at least `min_quantity` (a finite number; by default, of a
    /// quantity above 0).
    pub(super) fn build(self) -> Result<CleanConfig, ConfigError> {
        if self.min_quantity.is_some_and(|q| !q.is_finite()) {
            return Err(invalid("[clean] min_quantity", "must be a finite number"));
        }
        Ok(CleanConfig {
            min_quantity: self.min_quantity,
            exclude_items: item_list("[clean] exclude_items", self.exclude_items)?,
            fill_order_lines: self.fill_order_lines.unwrap_or(false),
            exclude_rows: row_filter("[clean] exclude_rows", self.exclude_rows)?,
            keep_rows: row_filter("[clean] keep_rows", self.keep_rows)?,
            ..CleanConfig::default()
        })
    }
}

/// The worker threads: at most the cores, with a note when more were asked for.
#[derive(Debug, Clone)]
pub(super) struct Threads {
    pub(super) threads: usize,
    pub(super) capped: Option<String>,
}

impl Threads {
    /// `asked` (by `key`) capped at `cores`.
    pub(super) fn capped(key: &str, asked: usize, cores: usize) -> Threads {
        match asked > cores {
            true => Threads {
                threads: cores,
                capped: Some(format!("{key} = {asked} is more than the {cores} cores: using {cores} threads")),
            },
            false => Threads { threads: asked, capped: None },
        }
    }
}

/// `[model] neighbours` and `min_similarity`, checked before the rest of `[model]`: the
/// recommendation rules are checked against them.
#[derive(Debug, Clone, Copy)]
pub(super) struct Neighbourhood {
    pub(super) neighbours: usize,
    pub(super) min_similarity: f64,
}

impl ModelSection {
    /// `--threads`, else `[model] threads`, else every core; a wrong `[model] threads` is
    /// reported even when `--threads` overrides it. More threads than cores are capped to the
    /// cores (a worker per core is all the stages can use; a million would spin for hours).
    pub(super) fn threads(&self, cli: Option<usize>) -> Result<Threads, ConfigError> {
        let file = match self.threads {
            Some(t) if t < 1 => return Err(invalid("[model] threads", format!("must be at least 1, got {t}"))),
            t => t.map(|t| t as usize),
        };
        let (key, asked) = match cli {
            Some(0) => return Err(invalid("--threads", "must be at least 1, got 0")),
            Some(t) => ("--threads", t),
            None => match file {
                Some(t) => ("[model] threads", t),
                None => return Ok(Threads { threads: default_threads(), capped: None }),
            },
        };
        Ok(Threads::capped(key, asked, default_threads()))
    }

    /// Each row's neighbours: how many (20 by default), and the similarity they need.
    pub(super) fn neighbourhood(&self) -> Result<Neighbourhood, ConfigError> {
        let neighbours = bounded("[model] neighbours", self.neighbours, 20, MAX_LIST)?;
        let min_similarity = self.min_similarity.unwrap_or(0.0);
        if !(0.0..1.0).contains(&min_similarity) {
            return Err(invalid("[model] min_similarity", format!("must be in [0, 1), got {min_similarity}")));
        }
        Ok(Neighbourhood { neighbours, min_similarity })
    }

    /// `kind` (user-based by default). `description_weight` beside a kNN kind and
    /// `sparse_ease_items` beside dense EASE are noted, not refused ([`unread`]), as every key a
    /// kind never reads: the shipped pipeline with `kind` alone changed to "item" was refused
    /// over its blend (helper-127).
    pub(super) fn kind(&self) -> Result<Kind, ConfigError> {
        Ok(self.kind.as_deref().map(parse_kind).transpose()?.unwrap_or_default())
    }

    /// Whether `kind` names a kNN model (user-based by default), the kinds that read
    /// `[recommend] from_neighbours`; `false` for a `kind` that does not parse ([`Self::kind`]
    /// says why, later).
    pub(super) fn names_knn(&self) -> bool {
        self.kind().is_ok_and(|kind| matches!(kind, Kind::User | Kind::Item))
    }

    /// `[model]`, its `kind` and [`Neighbourhood`] checked before; `threads` and
    /// `recency_half_life_days` go to [`Config`](super::Config) and [`RecommendConfig`].
    pub(super) fn build(&self, kind: Kind, near: Neighbourhood) -> Result<ModelConfig, ConfigError> {
        Ok(ModelConfig {
            kind,
            weighting: self.weighting.as_deref().map(parse_weighting).transpose()?.unwrap_or_default(),
            neighbours: near.neighbours,
            min_similarity: near.min_similarity,
            min_overlap: bounded("[model] min_overlap", self.min_overlap, 1, u32::MAX as usize)? as u32,
            shrinkage: number(
                "[model] shrinkage",
                self.shrinkage,
                |l| l >= 0.0 && l.is_finite(),
                "0 or a positive number",
            )?
            .unwrap_or(0.0),
            ease_lambda: number(
                "[model] ease_lambda",
                self.ease_lambda,
                |l| l > 0.0 && l.is_finite(),
                "a positive number",
            )?
            .unwrap_or(DEFAULT_EASE_LAMBDA),
            description_weight: number(
                "[model] description_weight",
                self.description_weight,
                |w| (0.0..1.0).contains(&w),
                "at least 0 and below 1",
            )?
            .unwrap_or(0.0),
            sparse_ease_items: bounded(
                "[model] sparse_ease_items",
                self.sparse_ease_items,
                DEFAULT_SPARSE_EASE_ITEMS,
                MAX_SPARSE_EASE_ITEMS,
            )?,
            similarity_half_life_days: half_life("[model] similarity_half_life_days", self.similarity_half_life_days)?,
            customer_neighbours: count(
                "[model] customer_neighbours",
                self.customer_neighbours,
                DEFAULT_CUSTOMER_NEIGHBOURS,
                MAX_LIST,
            )?,
        })
    }
}

/// `[recommend] per_customer` and `from_neighbours`, checked before the rest of `[recommend]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Lists {
    pub(super) per_customer: usize,
    pub(super) from_neighbours: usize,
}

impl RecommendSection {
    /// The list lengths: recommendations per customer (10 by default), and the nearest
    /// neighbours they come from, no more than the model's `neighbours` (by default 10, or
    /// `neighbours` when fewer: `neighbours = 5` alone is no error, whichever kind reads it) —
    /// checked only where a kNN kind (`knn`) reads them: beside EASE or auto they are noted
    /// as never read ([`unread`]), not refused.
    pub(super) fn lists(&self, neighbours: usize, knn: bool) -> Result<Lists, ConfigError> {
        let per_customer = bounded("[recommend] per_customer", self.per_customer, 10, MAX_LIST)?;
        let from_neighbours =
            bounded("[recommend] from_neighbours", self.from_neighbours, 10.min(neighbours), MAX_LIST)?;
        if knn && from_neighbours > neighbours {
            return Err(invalid(
                "[recommend] from_neighbours",
                format!("{from_neighbours} is more than [model] neighbours = {neighbours}; raise neighbours or lower from_neighbours"),
            ));
        }
        Ok(Lists { per_customer, from_neighbours })
    }

    /// `[recommend]`, its [`Lists`] checked before, with `[model] recency_half_life_days`
    /// (the recency of the neighbours' purchases, which only the recommendations weigh).
    pub(super) fn build(
        &self,
        lists: Lists,
        recency_half_life_days: Option<f64>,
    ) -> Result<RecommendConfig, ConfigError> {
        Ok(RecommendConfig {
            per_customer: lists.per_customer,
            from_neighbours: lists.from_neighbours,
            recency_half_life_days: half_life("[model] recency_half_life_days", recency_half_life_days)?,
            popularity_exponent: exponent("[recommend] popularity_exponent", self.popularity_exponent)?,
            last_sale_exponent: exponent("[recommend] last_sale_exponent", self.last_sale_exponent)?,
            exposure_exponent: exponent("[recommend] exposure_exponent", self.exposure_exponent)?,
            opportunity_exponent: exponent("[recommend] opportunity_exponent", self.opportunity_exponent)?,
            fallback: self.fallback()?,
            min_segment_customers: positive(
                "[recommend] min_segment_customers",
                self.min_segment_customers,
                DEFAULT_MIN_SEGMENT_CUSTOMERS,
            )?,
            popular_half_life_days: half_life("[recommend] popular_half_life_days", self.popular_half_life_days)?,
            popular_season_days: number(
                "[recommend] popular_season_days",
                self.popular_season_days,
                |d| d > 0.0 && d <= YEAR_DAYS,
                "a number of days above 0 and at most 364 (the weeks ahead, a year before)",
            )?,
            never_recommend: item_list("[recommend] never_recommend", self.never_recommend.clone())?,
        })
    }

    /// `[recommend] fallback`: `"popular"` (the default) or `"popular_by:COLUMN"`.
    fn fallback(&self) -> Result<Fallback, ConfigError> {
        let Some(text) = self.fallback.as_deref() else { return Ok(Fallback::Popular) };
        Fallback::parse(text).ok_or_else(|| {
            let message = format!(
                "must be \"popular\" or \"popular_by:COLUMN\" (COLUMN a column of the export, e.g. \"popular_by:Country\"), got {text:?}"
            );
            invalid("[recommend] fallback", message)
        })
    }
}

impl OutputSection {
    /// `--output`, else `[output] dir` from the pipeline's folder, else `output` beside the
    /// pipeline file.
    pub(super) fn dir(&self, base: &Path, cli: Option<&PathBuf>) -> PathBuf {
        match (cli, &self.dir) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => resolve(base, p),
            (None, None) => base.join("output"),
        }
    }

    /// `[output]`: the folder (see [`OutputSection::dir`]), compression (snappy) and runs kept (7).
    /// An empty folder name is refused, not read as the pipeline file's own folder.
    pub(super) fn build(&self, base: &Path, cli: &Overrides) -> Result<OutputConfig, ConfigError> {
        no_tilde("--output", cli.output.as_ref())?;
        no_tilde("[output] dir", self.dir.as_ref())?;
        let empty = |p: Option<&PathBuf>| p.is_some_and(|p| p.as_os_str().is_empty());
        if empty(cli.output.as_ref()) {
            return Err(invalid("--output", "is empty; name the folder to publish to"));
        }
        if cli.output.is_none() && empty(self.dir.as_ref()) {
            return Err(invalid(
                "[output] dir",
                "is empty; name the folder to publish to (\"\" would be the pipeline file's own folder)",
            ));
        }
        Ok(OutputConfig {
            dir: self.dir(base, cli.output.as_ref()),
            dir_key: if cli.output.is_some() { "--output" } else { "[output] dir" },
            compression: self.compression.as_deref().map(parse_compression).transpose()?.unwrap_or(Compression::Snappy),
            keep_runs: positive("[output] keep_runs", self.keep_runs, 7)?,
        })
    }
}

impl GatesSection {
    /// `[gates]`: shares in [0, 1] (0.5 by default) and a customer count (1).
    pub(super) fn build(&self) -> Result<GatesConfig, ConfigError> {
        Ok(GatesConfig {
            max_dropped_share: share("[gates] max_dropped_share", self.max_dropped_share, 0.5)?,
            max_ids_lost_digits_share: share("[gates] max_ids_lost_digits_share", self.max_ids_lost_digits_share, 0.5)?,
            min_customers: match self.min_customers {
                Some(v) if v < 0 => {
                    return Err(invalid("[gates] min_customers", format!("must be 0 or more, got {v}")))
                }
                v => v.map(|v| v as usize).unwrap_or(1),
            },
            max_customer_drop_vs_previous: share(
                "[gates] max_customer_drop_vs_previous",
                self.max_customer_drop_vs_previous,
                0.5,
            )?,
            max_customers_rewritten_vs_previous: share(
                "[gates] max_customers_rewritten_vs_previous",
                self.max_customers_rewritten_vs_previous,
                0.2,
            )?,
            max_items_rewritten_vs_previous: share(
                "[gates] max_items_rewritten_vs_previous",
                self.max_items_rewritten_vs_previous,
                0.05,
            )?,
            max_row_drop_vs_previous: share("[gates] max_row_drop_vs_previous", self.max_row_drop_vs_previous, 0.5)?,
            max_model_row_drop_vs_previous: share(
                "[gates] max_model_row_drop_vs_previous",
                self.max_model_row_drop_vs_previous,
                0.5,
            )?,
            max_changed_share: number(
                "[gates] max_changed_share",
                self.max_changed_share,
                |v| (0.0..=1.0).contains(&v),
                "between 0 and 1",
            )?,
            max_days_back_vs_previous: number(
                "[gates] max_days_back_vs_previous",
                self.max_days_back_vs_previous,
                |v| (0.0..=36_500.0).contains(&v),
                "between 0 and 36500 (days)",
            )?
            .unwrap_or(1.0),
            max_history_change_vs_previous: number(
                "[gates] max_history_change_vs_previous",
                self.max_history_change_vs_previous,
                |v| v >= 0.0 && v.is_finite(),
                "0 or more (a share: 0.1 is 10%)",
            )?
            .unwrap_or(0.1),
            max_new_invalid_dates_vs_previous: number(
                "[gates] max_new_invalid_dates_vs_previous",
                self.max_new_invalid_dates_vs_previous,
                |v| v >= 0.0 && v.is_finite(),
                "0 or more (in a typical day's lines: 0.5 is half a day's)",
            )?
            .unwrap_or(0.5),
            max_invalid_dates_share: share("[gates] max_invalid_dates_share", self.max_invalid_dates_share, 0.01)?,
            refuse_unchanged_input: self.refuse_unchanged_input.unwrap_or(false),
            refuse_nothing_in_common: self.refuse_nothing_in_common.unwrap_or(true),
            refuse_item_lists: self.refuse_item_lists.unwrap_or(true),
        })
    }
}

impl SelectSection {
    /// `[select]`: a window of 30 days, grown to reach 200 customers; a 20% share with seed 1
    /// without dates; every family; the memory budget from the machine; the best NDCG wins.
    pub(super) fn build(&self) -> Result<SelectConfig, ConfigError> {
        let d = SelectConfig::default();
        let window_days =
            number("[select] window_days", self.window_days, |v| (1.0..=36_500.0).contains(&v), "1 to 36,500 days")?;
        let holdout_share =
            number("[select] holdout_share", self.holdout_share, |v| v > 0.0 && v < 1.0, "above 0 and below 1")?;
        let seed = match self.seed {
            Some(s) if s < 0 => return Err(invalid("[select] seed", format!("must be 0 or more, got {s}"))),
            s => s.map_or(d.seed, |s| s as u64),
        };
        let memory_budget = match self.memory_budget {
            Some(b) if b <= 0 => {
                return Err(invalid("[select] memory_budget", format!("must be bytes above 0, got {b}")))
            }
            b => b.map(|b| b as u64),
        };
        Ok(SelectConfig {
            window_days: window_days.unwrap_or(d.window_days),
            min_customers: bounded("[select] min_customers", self.min_customers, d.min_customers, 1_000_000_000)?,
            max_customers: count("[select] max_customers", self.max_customers, d.max_customers, 1_000_000_000)?,
            holdout_share: holdout_share.unwrap_or(d.holdout_share),
            seed,
            candidates: self.candidates.as_deref().map_or(Ok(d.candidates), parse_candidates)?,
            memory_budget,
            rule: self.rule.as_deref().map_or(Ok(d.rule), parse_rule)?,
            keep_previous: self.keep_previous.unwrap_or(d.keep_previous),
        })
    }
}

fn parse_rule(text: &str) -> Result<Rule, ConfigError> {
    choose("[select] rule", text, &[(&["best"], Rule::Best), (&["one_standard_error"], Rule::OneStandardError)])
}

/// `[select] candidates`: family names, at least one, each once; kept simplest first.
fn parse_candidates(names: &[String]) -> Result<Vec<Family>, ConfigError> {
    let key = "[select] candidates";
    let options: &[(&[&str], Family)] = &[
        (&["popularity"], Family::Popularity),
        (&["item_knn"], Family::ItemKnn),
        (&["user_knn"], Family::UserKnn),
        (&["ease"], Family::Ease),
        (&["sparse_ease"], Family::SparseEase),
    ];
    let mut families = names.iter().map(|n| choose(key, n, options)).collect::<Result<Vec<_>, _>>()?;
    families.sort_unstable();
    families.dedup();
    match families.is_empty() {
        true => Err(invalid(
            key,
            "names no candidate; list at least one of popularity, item_knn, user_knn, ease, sparse_ease",
        )),
        false => Ok(families),
    }
}

impl InputSection {
    /// The `[input]` keys this file sets that the reader of the input's `format` never reads,
    /// each with why, in the file's order (none for a format not known: the input is refused).
    pub(super) fn unread(&self, format: Option<super::Format>) -> Vec<(&'static str, &'static str)> {
        use super::Format;
        let Some(format) = format else { return Vec::new() };
        let (csv, excel) = (matches!(format, Format::Csv { .. }), format == Format::Excel);
        let sheet = match csv {
            true => "a workbook's; the input is CSV text",
            false => "a workbook's; the input is Parquet",
        };
        let text = match excel {
            true => "CSV text's; the input is a workbook",
            false => "CSV text's; the input is Parquet",
        };
        let keys: [(&str, bool, bool, &str); 7] = [
            ("[input] sheet", self.sheet.is_some(), excel, sheet),
            ("[input] delimiter", self.delimiter.is_some(), csv, text),
            ("[input] quote", self.quote.is_some(), csv, text),
            ("[input] encoding", self.encoding.is_some(), csv, text),
            ("[input] skip_bad_rows", self.skip_bad_rows.is_some(), csv, text),
            ("[input] max_record_bytes", self.max_record_bytes.is_some(), csv, text),
            ("[input] max_rows", self.max_rows.is_some(), csv, text),
        ];
        keys.into_iter().filter(|&(_, set, read, _)| set && !read).map(|(key, _, _, why)| (key, why)).collect()
    }
}

/// The popularity's own keys of [`unread`]: (key, set, read, why not) — a named model's top-up
/// reads the season's days before the half-life; auto's popularity candidates read both.
fn popular_keys(r: &RecommendSection, auto: bool, popularity: bool) -> [(&'static str, bool, bool, &'static str); 2] {
    const NO_POPULARITY: &str = "the popularity candidates', and [select] candidates lists no popularity";
    let half_life_why = match auto {
        true => NO_POPULARITY,
        false => "the top-up's, and [recommend] popular_season_days orders it instead",
    };
    let half_life_read = auto && popularity || !auto && r.popular_season_days.is_none();
    [
        ("[recommend] popular_half_life_days", r.popular_half_life_days.is_some(), half_life_read, half_life_why),
        ("[recommend] popular_season_days", r.popular_season_days.is_some(), !auto || popularity, NO_POPULARITY),
    ]
}

/// The keys a pipeline file sets that a run of `kind` (trying `[select] candidates` when
/// `"auto"`) never reads, each with why, in the file's order: a setting that changes
/// nothing must not look as if it did. The integration test `unread_keys_change_nothing`
/// runs each kind with each key it lists set to a value that would change the result, and
/// checks that it does not. (Invalid candidates are `[select]`'s error, reported later.)
pub(super) fn unread(
    m: &ModelSection,
    r: &RecommendSection,
    s: &SelectSection,
    kind: Kind,
) -> Vec<(&'static str, &'static str)> {
    let families = match s.candidates.as_deref().map(parse_candidates) {
        Some(Ok(listed)) => listed,
        _ => SelectConfig::default().candidates,
    };
    let auto = kind == Kind::Auto;
    let priors = [
        ("[recommend] popularity_exponent", r.popularity_exponent.is_some()),
        ("[recommend] last_sale_exponent", r.last_sale_exponent.is_some()),
        ("[recommend] exposure_exponent", r.exposure_exponent.is_some()),
        ("[recommend] opportunity_exponent", r.opportunity_exponent.is_some()),
    ]
    .map(|(key, set)| {
        let read = !auto || families != [Family::Popularity];
        (key, set, read, "the exposure prior's, and [select] candidates lists popularity only")
    });
    let popular = popular_keys(r, auto, families.contains(&Family::Popularity));
    model_keys(m, r, kind, &families)
        .into_iter()
        .chain(priors)
        .chain(popular)
        .chain(select_keys(s, auto))
        .filter(|&(_, set, read, _)| set && !read)
        .map(|(key, _, _, why)| (key, why))
        .collect()
}

/// `[model]`'s keys and `[recommend] from_neighbours` for [`unread`]: (key, set, read, why not).
fn model_keys(
    m: &ModelSection,
    r: &RecommendSection,
    kind: Kind,
    families: &[Family],
) -> [(&'static str, bool, bool, &'static str); 12] {
    let auto = kind == Kind::Auto;
    let has = |f: Family| families.contains(&f);
    let knn = matches!(kind, Kind::User | Kind::Item);
    let ease = kind.is_ease() || auto && (has(Family::Ease) || has(Family::SparseEase));
    // auto's sparse EASE also stands in for a dense EASE over its limits
    let sparse = kind == Kind::SparseEase || auto && ease;
    let sparse_key = match auto {
        true => NO_EASE,
        false => "the sparse EASE's; kind is not \"sparse_ease\"",
    };
    const GRID: &str = "kind = \"auto\" tries its grid's own (README, \"Model selection\")";
    const NO_EASE: &str = "EASE's, and [select] candidates lists no EASE";
    // the grid's own-history candidates (item-kNN, EASE) try it as their recency option
    let own_history = auto && (ease || has(Family::ItemKnn));
    const NO_OWN_HISTORY: &str =
        "the recency option of item-kNN's and EASE's candidates, and [select] candidates lists neither";
    let (ease_key, knn_key, from_neighbours) = match auto {
        true => (NO_EASE, GRID, GRID),
        false => (
            "EASE's; kind is not \"ease\" or \"sparse_ease\"",
            "the kNN models' (kind = \"user\" or \"item\")",
            "EASE scores with all its weights",
        ),
    };
    [
        ("[model] weighting", m.weighting.is_some(), !auto, GRID),
        ("[model] shrinkage", m.shrinkage.is_some(), knn, knn_key),
        ("[model] ease_lambda", m.ease_lambda.is_some(), ease, ease_key),
        ("[model] similarity_half_life_days", m.similarity_half_life_days.is_some(), !auto || ease, NO_EASE),
        ("[model] neighbours", m.neighbours.is_some(), !auto || ease, NO_EASE),
        ("[model] min_overlap", m.min_overlap.is_some(), knn, knn_key),
        ("[model] recency_half_life_days", m.recency_half_life_days.is_some(), !auto || own_history, NO_OWN_HISTORY),
        ("[model] min_similarity", m.min_similarity.is_some(), knn, knn_key),
        ("[model] description_weight", m.description_weight.is_some(), ease, ease_key),
        ("[model] sparse_ease_items", m.sparse_ease_items.is_some(), sparse, sparse_key),
        (
            "[model] customer_neighbours",
            m.customer_neighbours.is_some(),
            kind != Kind::User,
            "kind = \"user\" publishes its own neighbours",
        ),
        ("[recommend] from_neighbours", r.from_neighbours.is_some(), knn, from_neighbours),
    ]
}

/// `[select]`'s keys for [`unread`]: read by `kind = "auto"` only.
fn select_keys(s: &SelectSection, auto: bool) -> [(&'static str, bool, bool, &'static str); 9] {
    [
        ("[select] window_days", s.window_days.is_some()),
        ("[select] min_customers", s.min_customers.is_some()),
        ("[select] max_customers", s.max_customers.is_some()),
        ("[select] holdout_share", s.holdout_share.is_some()),
        ("[select] seed", s.seed.is_some()),
        ("[select] candidates", s.candidates.is_some()),
        ("[select] memory_budget", s.memory_budget.is_some()),
        ("[select] rule", s.rule.is_some()),
        ("[select] keep_previous", s.keep_previous.is_some()),
    ]
    .map(|(key, set)| (key, set, auto, "kind = \"auto\"'s; [model] kind names its model"))
}
