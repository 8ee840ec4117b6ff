//! The pipeline file, in two levels (as ripgrep's low/high args).
//!
//! [`PipelineFile`] mirrors the TOML exactly (unknown keys are errors naming the key);
//! [`Config::build`] applies command-line overrides, resolves relative paths from the pipeline
//! file's folder, checks every range and returns the validated [`Config`] the stages use.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
}

/// `[input]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSection {
    pub path: Option<PathBuf>,
    pub sheet: Option<String>,
    pub delimiter: Option<String>,
    pub encoding: Option<String>,
    pub date_format: Option<String>,
    pub skip_bad_rows: Option<bool>,
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
}

/// `[clean]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CleanSection {
    pub min_quantity: Option<f64>,
    pub exclude_items: Option<Vec<String>>,
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

/// CSV text encodings we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Encoding {
    #[serde(rename = "utf-8")]
    Utf8,
    #[serde(rename = "latin-1")]
    Latin1,
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
    pub path: PathBuf,
    /// Excel sheet name; `None` = the first; `Some("*")` = every sheet with the same header.
    pub sheet: Option<String>,
    /// CSV delimiter; `None` = sniff from the header.
    pub delimiter: Option<u8>,
    pub encoding: Encoding,
    /// chrono format for the date column; `None` = ISO and the common export formats.
    pub date_format: Option<String>,
    /// Skip (and count) CSV rows with the wrong number of fields instead of failing.
    pub skip_bad_rows: bool,
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
    /// Optional roles the user named explicitly: absent in the file is then an error, while an
    /// absent default (e.g. no `InvoiceNo` column) just leaves the role unmapped.
    #[serde(skip)]
    pub explicit: Vec<&'static str>,
}

/// Cleaning rules.
#[derive(Debug, Clone, Serialize)]
pub struct CleanConfig {
    pub min_quantity: f64,
    pub exclude_items: Vec<String>,
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
}

impl Kind {
    /// True when the model's rows (and neighbours) are items, false when they are customers.
    pub fn compares_items(self) -> bool {
        self != Kind::User
    }
}

/// The value of each (customer, item) pair before cosine; formulas in `similarity::weighted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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
    /// Recency of the values compared: each pair × 0.5^(age / half-life) before cosine (or
    /// EASE's Gram matrix); `None`: purchases weigh the same whatever their age.
    pub similarity_half_life_days: Option<f64>,
}

/// EASE's default λ when the pipeline names none (the shipped pipeline sets 350, tuned with
/// its description blend and exposure prior on the Online Retail export; README, "Evaluation").
pub const DEFAULT_EASE_LAMBDA: f64 = 300.0;

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
            similarity_half_life_days: None,
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
#[derive(Debug, Clone, Serialize)]
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
}

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
        }
    }
}

impl RecommendConfig {
    /// These rules with every score factor off (the evaluation's baselines).
    pub fn plain(&self) -> RecommendConfig {
        RecommendConfig { per_customer: self.per_customer, from_neighbours: self.from_neighbours, ..Default::default() }
    }

    /// True when the exposure prior is on (it needs purchase dates).
    pub fn uses_exposure(&self) -> bool {
        self.last_sale_exponent != 0.0 || self.exposure_exponent != 0.0 || self.opportunity_exponent != 0.0
    }
}

/// Output folder and format.
#[derive(Debug, Clone, Serialize)]
pub struct OutputConfig {
    pub dir: PathBuf,
    pub compression: Compression,
    pub keep_runs: usize,
}

/// Data gates.
#[derive(Debug, Clone, Serialize)]
pub struct GatesConfig {
    pub max_dropped_share: f64,
    pub min_customers: usize,
    pub max_customer_drop_vs_previous: f64,
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
    /// Worker threads for the parallel stages.
    pub threads: usize,
    #[serde(skip)]
    pub quiet: bool,
    pub force: bool,
}

impl PipelineFile {
    /// Reads and parses a pipeline file; syntax errors carry the line, unknown keys their name.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        toml::from_str(&text).map_err(|e| {
            // One line: where, then what (toml's own Display spreads this over several lines).
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let message = e.message().trim_end().replace('\n', " ");
            let message = match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            };
            ConfigError::Parse { path: path.to_path_buf(), message }
        })
    }
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { key: key.to_string(), message: message.into() }
}

/// A positive integer setting, or an error naming the key.
fn positive(key: &str, value: Option<i64>, default: usize) -> Result<usize, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v >= 1 => Ok(v as usize),
        Some(v) => Err(invalid(key, format!("must be at least 1, got {v}"))),
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

fn parse_delimiter(text: &str) -> Result<u8, ConfigError> {
    match text {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        s if s.len() == 1 && s.is_ascii() => Ok(s.as_bytes()[0]),
        s => Err(invalid("[input] delimiter", format!("must be one ASCII character (or \"tab\"), got {s:?}"))),
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
    Err(invalid(key, format!("must be {} or {last}, got {wanted:?}", rest.join(", "))))
}

fn parse_encoding(text: &str) -> Result<Encoding, ConfigError> {
    choose(
        "[input] encoding",
        text,
        &[
            (&["utf-8", "utf8", "utf_8"], Encoding::Utf8),
            (&["latin-1", "latin1", "latin_1", "iso-8859-1", "iso_8859_1"], Encoding::Latin1),
        ],
    )
}

fn parse_kind(text: &str) -> Result<Kind, ConfigError> {
    choose("[model] kind", text, &[(&["user"], Kind::User), (&["item"], Kind::Item), (&["ease"], Kind::Ease)])
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
/// so logs and the manifest show `data/x.csv`, not `pipelines/../data/x.csv`.
fn resolve(base: &Path, path: &Path) -> PathBuf {
    let joined = if path.is_absolute() { path.to_path_buf() } else { base.join(path) };
    let mut out = PathBuf::new();
    for part in joined.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir
                if matches!(out.components().next_back(), Some(std::path::Component::Normal(_))) =>
            {
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

impl Columns {
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
        ];
        for name in roles.into_iter().flatten() {
            if !parsed.contains(&name) {
                parsed.push(name);
            }
        }
        parsed
    }

    fn build(section: &ColumnsSection) -> Result<Self, ConfigError> {
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
        let mut explicit = Vec::new();
        for (role, value) in [
            ("quantity", &section.quantity),
            ("description", &section.description),
            ("invoice", &section.invoice),
            ("date", &section.date),
        ] {
            if value.as_deref().is_some_and(|v| !v.is_empty()) {
                explicit.push(role);
            }
        }
        Ok(Columns {
            customer: required("customer", &section.customer, "CustomerID")?,
            item: required("item", &section.item, "StockCode")?,
            quantity: optional(&section.quantity, "Quantity"),
            description: optional(&section.description, "Description"),
            invoice: optional(&section.invoice, "InvoiceNo"),
            date: optional(&section.date, "InvoiceDate"),
            explicit,
        })
    }
}

impl Config {
    /// Validates a pipeline file (read from `base`'s folder) with command-line overrides.
    pub fn build(file: PipelineFile, base: &Path, cli: &Overrides) -> Result<Self, ConfigError> {
        let input_path = match (&cli.input, &file.input.path) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => resolve(base, p),
            (None, None) => {
                return Err(invalid("[input] path", "no input file: set it in the pipeline file or pass --input"))
            }
        };
        let output_dir = match (&cli.output, &file.output.dir) {
            (Some(p), _) => p.clone(),
            (None, Some(p)) => resolve(base, p),
            (None, None) => base.join("output"),
        };
        let threads_file = match file.model.threads {
            Some(t) if t < 1 => return Err(invalid("[model] threads", format!("must be at least 1, got {t}"))),
            t => t.map(|t| t as usize),
        };
        let threads = match cli.threads {
            Some(0) => return Err(invalid("--threads", "must be at least 1, got 0")),
            Some(t) => t,
            None => threads_file.unwrap_or_else(default_threads),
        };
        let neighbours = positive("[model] neighbours", file.model.neighbours, 20)?;
        let min_similarity = file.model.min_similarity.unwrap_or(0.0);
        if !(0.0..1.0).contains(&min_similarity) {
            return Err(invalid("[model] min_similarity", format!("must be in [0, 1), got {min_similarity}")));
        }
        let per_customer = positive("[recommend] per_customer", file.recommend.per_customer, 10)?;
        let from_neighbours = positive("[recommend] from_neighbours", file.recommend.from_neighbours, 10)?;
        if from_neighbours > neighbours {
            return Err(invalid(
                "[recommend] from_neighbours",
                format!("{from_neighbours} is more than [model] neighbours = {neighbours}; raise neighbours or lower from_neighbours"),
            ));
        }
        let min_quantity = file.clean.min_quantity.unwrap_or(1.0);
        if !min_quantity.is_finite() {
            return Err(invalid("[clean] min_quantity", "must be a finite number"));
        }
        let kind = file.model.kind.as_deref().map(parse_kind).transpose()?.unwrap_or_default();
        if kind != Kind::Ease && file.model.description_weight.is_some_and(|w| w != 0.0) {
            return Err(invalid("[model] description_weight", "blends into EASE's scores: it needs kind = \"ease\""));
        }
        Ok(Config {
            input: InputConfig {
                path: input_path,
                sheet: file.input.sheet.filter(|s| !s.is_empty()),
                delimiter: file.input.delimiter.as_deref().map(parse_delimiter).transpose()?,
                encoding: file.input.encoding.as_deref().map(parse_encoding).transpose()?.unwrap_or(Encoding::Utf8),
                date_format: file.input.date_format.filter(|s| !s.is_empty()),
                skip_bad_rows: file.input.skip_bad_rows.unwrap_or(false),
            },
            columns: Columns::build(&file.columns)?,
            clean: CleanConfig { min_quantity, exclude_items: file.clean.exclude_items.unwrap_or_default() },
            model: ModelConfig {
                kind,
                weighting: file.model.weighting.as_deref().map(parse_weighting).transpose()?.unwrap_or_default(),
                neighbours,
                min_similarity,
                min_overlap: positive("[model] min_overlap", file.model.min_overlap, 1)?.min(u32::MAX as usize) as u32,
                shrinkage: number(
                    "[model] shrinkage",
                    file.model.shrinkage,
                    |l| l >= 0.0 && l.is_finite(),
                    "0 or a positive number",
                )?
                .unwrap_or(0.0),
                ease_lambda: number(
                    "[model] ease_lambda",
                    file.model.ease_lambda,
                    |l| l > 0.0 && l.is_finite(),
                    "a positive number",
                )?
                .unwrap_or(DEFAULT_EASE_LAMBDA),
                description_weight: number(
                    "[model] description_weight",
                    file.model.description_weight,
                    |w| (0.0..1.0).contains(&w),
                    "at least 0 and below 1",
                )?
                .unwrap_or(0.0),
                similarity_half_life_days: half_life(
                    "[model] similarity_half_life_days",
                    file.model.similarity_half_life_days,
                )?,
            },
            recommend: RecommendConfig {
                per_customer,
                from_neighbours,
                recency_half_life_days: half_life("[model] recency_half_life_days", file.model.recency_half_life_days)?,
                popularity_exponent: exponent("[recommend] popularity_exponent", file.recommend.popularity_exponent)?,
                last_sale_exponent: exponent("[recommend] last_sale_exponent", file.recommend.last_sale_exponent)?,
                exposure_exponent: exponent("[recommend] exposure_exponent", file.recommend.exposure_exponent)?,
                opportunity_exponent: exponent(
                    "[recommend] opportunity_exponent",
                    file.recommend.opportunity_exponent,
                )?,
            },
            output: OutputConfig {
                dir: output_dir,
                compression: file
                    .output
                    .compression
                    .as_deref()
                    .map(parse_compression)
                    .transpose()?
                    .unwrap_or(Compression::Snappy),
                keep_runs: positive("[output] keep_runs", file.output.keep_runs, 7)?,
            },
            gates: GatesConfig {
                max_dropped_share: share("[gates] max_dropped_share", file.gates.max_dropped_share, 0.5)?,
                min_customers: match file.gates.min_customers {
                    Some(v) if v < 0 => {
                        return Err(invalid("[gates] min_customers", format!("must be 0 or more, got {v}")))
                    }
                    v => v.map(|v| v as usize).unwrap_or(1),
                },
                max_customer_drop_vs_previous: share(
                    "[gates] max_customer_drop_vs_previous",
                    file.gates.max_customer_drop_vs_previous,
                    0.5,
                )?,
            },
            threads,
            quiet: cli.quiet,
            force: cli.force,
        })
    }

    /// Loads and validates the pipeline file at `path`.
    pub fn load(path: &Path, cli: &Overrides) -> Result<Self, ConfigError> {
        let file = PipelineFile::load(path)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        Config::build(file, &base, cli)
    }
}

/// The `[output] dir` a pipeline file publishes to (for `explain`, which reads no input).
pub fn output_dir(path: &Path) -> Result<PathBuf, ConfigError> {
    let file = PipelineFile::load(path)?;
    let base = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    Ok(file.output.dir.map(|d| resolve(base, &d)).unwrap_or_else(|| base.join("output")))
}

/// All cores, as rayon counts them.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> Result<Config, ConfigError> {
        let file: PipelineFile =
            toml::from_str(text).map_err(|e| ConfigError::Parse { path: "p.toml".into(), message: e.to_string() })?;
        Config::build(file, Path::new("/pipes"), &Overrides::default())
    }

    #[test]
    fn defaults_are_the_article_method() {
        let cfg = build("[input]\npath = \"x.csv\"").unwrap();
        assert_eq!(cfg.input.path, PathBuf::from("/pipes/x.csv"));
        assert_eq!(cfg.output.dir, PathBuf::from("/pipes/output"));
        assert_eq!(resolve(Path::new("pipelines"), Path::new("../data/x.csv")), PathBuf::from("data/x.csv"));
        assert_eq!(resolve(Path::new("."), Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(cfg.model.neighbours, 20);
        assert_eq!(cfg.recommend.from_neighbours, 10);
        assert_eq!(cfg.recommend.per_customer, 10);
        assert_eq!(cfg.clean.min_quantity, 1.0);
        assert_eq!(cfg.columns.customer, "CustomerID");
        assert_eq!(cfg.columns.quantity.as_deref(), Some("Quantity"));
        assert_eq!(cfg.output.compression, Compression::Snappy);
        assert!(cfg.model.is_plain_user());
    }

    #[test]
    fn model_kinds_and_weightings_parse() {
        let cfg =
            build("[input]\npath='x'\n[model]\nkind = 'item'\nweighting = 'log_quantity'\nshrinkage = 5").unwrap();
        assert_eq!(
            (cfg.model.kind, cfg.model.weighting, cfg.model.shrinkage),
            (Kind::Item, Weighting::LogQuantity, 5.0)
        );
        assert!(!cfg.model.is_plain_user());
        for (name, w) in [("BM25", Weighting::Bm25), ("tfidf", Weighting::Tfidf), ("quantity", Weighting::Quantity)] {
            assert_eq!(build(&format!("[input]\npath='x'\n[model]\nweighting = '{name}'")).unwrap().model.weighting, w);
        }
    }

    #[test]
    fn unknown_key_is_named() {
        let err = build("[model]\nneighbors = 5").unwrap_err().to_string();
        assert!(err.contains("neighbors"), "{err}");
    }

    #[test]
    fn out_of_range_values_name_the_key() {
        for (text, key) in [
            ("[input]\npath='x'\n[model]\nneighbours = 0", "[model] neighbours"),
            ("[input]\npath='x'\n[recommend]\nper_customer = 0", "[recommend] per_customer"),
            ("[input]\npath='x'\n[model]\nthreads = 0", "[model] threads"),
            ("[input]\npath='x'\n[gates]\nmax_dropped_share = 2.0", "[gates] max_dropped_share"),
            ("[input]\npath='x'\n[output]\ncompression = 'lz4'", "[output] compression"),
            ("[input]\npath='x'\n[model]\nkind = 'customer'", "[model] kind"),
            ("[input]\npath='x'\n[model]\nweighting = 'bm-25'", "[model] weighting"),
            ("[input]\npath='x'\n[model]\nshrinkage = -1.0", "[model] shrinkage"),
            ("[input]\npath='x'\n[model]\nease_lambda = 0.0", "[model] ease_lambda"),
            ("[input]\npath='x'\n[recommend]\npopularity_exponent = -9.0", "[recommend] popularity_exponent"),
            ("[input]\npath='x'\n[recommend]\nexposure_exponent = 5.0", "[recommend] exposure_exponent"),
            ("[input]\npath='x'\n[model]\nkind = 'ease'\ndescription_weight = 1.0", "[model] description_weight"),
            ("[input]\npath='x'\n[model]\ndescription_weight = 0.2", "[model] description_weight"),
            ("[input]\npath='x'\n[model]\nsimilarity_half_life_days = -3", "[model] similarity_half_life_days"),
        ] {
            let err = build(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn empty_quantity_unmaps_it() {
        let cfg = build("[input]\npath='x'\n[columns]\nquantity = ''").unwrap();
        assert_eq!(cfg.columns.quantity, None);
        assert!(build("[input]\npath='x'\n[columns]\ncustomer = ''").is_err());
    }
}
