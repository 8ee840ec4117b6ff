//! Evaluate: are the recommendations any good? Offline metrics on a temporal holdout.
//!
//! Protocol (the README defines it the same way):
//! - train = cleaned purchases dated before the cutoff; the pipeline's model and its
//!   recommendations (popularity top-up included) are computed on train only;
//! - test = for each customer present in train, the items bought on/after the cutoff that the
//!   customer had not bought before and that exist in train; customers with ≥ 1 test item count;
//! - metrics over those customers from ranks 1..K of their list (all sources): precision@K,
//!   recall@K (hits / test items), NDCG@K (binary gains, ideal DCG over min(K, test items)),
//!   hit rate@K, and catalogue coverage (distinct recommended items / train items);
//! - reported for the pipeline's model, a popularity baseline and the article's rule (1 neighbour).

use crate::words::counted;
use std::path::Path;

use polars::prelude::*;
use serde::Serialize;

use crate::chain::{on_threads, Chain};
use crate::clean;
use crate::config::{
    CleanConfig, Columns, Config, CustomerType, Family, Kind, ModelConfig, RecommendConfig, INTEGER_KEY,
};
use crate::error::{ConfigError, Error, OutputError, Result};
use crate::pivot::{IdTyping, Interactions};
use crate::roles::col;
use crate::select::{held_items, Candidate, Offers, Selection};
pub use crate::select::{score, Metrics};
use crate::similarity::{Model, Neighbours};
use crate::write::{keeping_io_errors, replace_file, versioned_writer};

/// The evaluation at one cutoff.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub model: Metrics,
    pub popularity: Metrics,
    pub article_rule: Metrics,
    pub cutoff: String,
    pub k: usize,
    pub train_rows: usize,
    pub test_rows: usize,
    /// `[model] kind = "auto"`: the selection made on the training rows only (its window
    /// sits before the cutoff); null otherwise.
    pub selection: Option<Selection>,
    /// The pipeline file whose model was scored, as named; null when none was and the code's
    /// defaults applied (the article's method: not the shipped pipeline's model).
    pub pipeline: Option<String>,
    /// The pipeline's `[model] kind` ("auto": the winner is `selection`'s).
    pub kind: Kind,
}

/// Parses a cutoff "YYYY-MM-DD" (midnight) or "YYYY-MM-DD HH:MM:SS" into epoch seconds and the
/// label `evaluation.parquet`, `--json` and the messages write: always `YYYY-MM-DD`, with
/// ` HH:MM:SS` when the text named a time other than midnight. chrono also reads `2011-9-1`, `+2011-09-01` and a tab
/// for the space, which were written as typed: three spellings of one cutoff, three values of the
/// `cutoff` column, and a BI filter on `'2011-09-01'` missed two of them.
pub fn parse_cutoff(text: &str) -> Result<(i64, String), ConfigError> {
    let t = text.trim();
    let timed = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok();
    let at =
        timed.or_else(|| chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    // one label per instant: `2011-10-01 00:00:00` is `2011-10-01` (two labels for one cutoff
    // split a table of evaluations appended night after night: helpers 123 and 124)
    let label = |at: chrono::NaiveDateTime| match at.time() == chrono::NaiveTime::MIN {
        true => at.format("%Y-%m-%d").to_string(),
        false => at.format("%Y-%m-%d %H:%M:%S").to_string(),
    };
    at.map(|at| (at.and_utc().timestamp(), label(at))).ok_or_else(|| ConfigError::Invalid {
        key: "--cutoff".into(),
        message: format!(
            "{t:?} is not a date; write YYYY-MM-DD, or YYYY-MM-DD HH:MM:SS for a time of day (on the export's own clock, as its dates read)"
        ),
    })
}

/// The date each row was read with, kept beside cleaning's ([`split`]).
const READ_DATE: &str = "kindred_read_date";

/// Splits the cleaned frame at the cutoff: (train, test). A training row is one dated before
/// it as read (or as its order's first line, `fill_order_lines`): what an export cut there
/// holds, a row cleaning then found stray among them too, which a run keeps undated. A test
/// row is one dated on or after it once cleaned: a stray date is no purchase day to test on.
/// Rows without a date are in neither, and a note says how many. Either side empty is
/// [`Error::Cutoff`], naming the cutoff as `label`.
fn split(cleaned: &DataFrame, cutoff: i64, label: &str) -> Result<(DataFrame, DataFrame)> {
    let err = |e: PolarsError| Error::frame("evaluate")(e);
    let dates = cleaned.column(col::DATE).map_err(err)?.i64().map_err(err)?;
    let read = cleaned.column(READ_DATE).map_err(err)?.i64().map_err(err)?;
    let train: BooleanChunked =
        read.iter().zip(dates.iter()).map(|(r, d)| Some(r.or(d).is_some_and(|d| d < cutoff))).collect();
    let test: BooleanChunked = dates.iter().map(|d| Some(d.is_some_and(|d| d >= cutoff))).collect();
    let part = |mask: &BooleanChunked| -> Result<DataFrame> {
        let mut part = cleaned.filter(mask).map_err(err)?;
        part.drop_in_place(READ_DATE).map_err(err)?;
        Ok(part)
    };
    let (train, test) = (part(&train)?, part(&test)?);
    let left = cleaned.height().saturating_sub(train.height() + test.height());
    if left > 0 {
        // a test row read as stray has a date that reads: said as what it is (helper-128)
        let unread = read.iter().zip(dates.iter()).filter(|(r, d)| r.is_none() && d.is_none()).count();
        let stray = left.saturating_sub(unread);
        let mut parts = Vec::new();
        if unread > 0 {
            parts.push(format!("{unread} {} no date that reads", crate::words::agrees(unread, "has", "have")));
        }
        if stray > 0 {
            parts.push(format!(
                "{stray} on or after the cutoff {} dated beyond a silence the export never otherwise kept (read as unknown, as a run on the whole export reads them)",
                crate::words::agrees(stray, "is", "are")
            ));
        }
        let line = format!(
            "evaluate: of the {}, {}, and {} in neither the training nor the test rows",
            crate::words::counted(cleaned.height(), "cleaned row"),
            parts.join("; "),
            crate::words::agrees(left, "is", "are"),
        );
        crate::progress::note(false, &line);
    }
    if train.height() == 0 || test.height() == 0 {
        let (cutoff, train, test) = (label.to_string(), train.height(), test.height());
        return Err(Error::Cutoff { cutoff, train, test });
    }
    Ok((train, test))
}

/// Runs the evaluation protocol for the pipeline `cfg` at `cutoff` (epoch seconds, written
/// `cutoff_label`: both from [`parse_cutoff`]), on `cfg.threads` workers.
/// The output folder is checked as `kindred run` checks it (not the root, not holding the
/// input, its managed names kindred's: helper-105's `--output out/current` wrote into the
/// published set, which no run then removed) before anything is read.
pub fn run(cfg: &Config, cutoff: i64, cutoff_label: &str, k: usize) -> Result<Evaluation> {
    crate::publish::check_output_dir(&cfg.output.dir, cfg.output.dir_key, &cfg.input.path)?;
    crate::publish::check_layout(&cfg.output.dir)?;
    check_target(&cfg.output.dir)?;
    on_threads(cfg.threads, || evaluate(cfg, cutoff, cutoff_label, k))
}

/// The columns every `evaluation.parquet` kindred wrote has had.
const COLUMNS: [&str; 9] = ["model", "cutoff", "k", "customers", "ndcg", "precision", "recall", "hit_rate", "coverage"];

/// Refuses to replace an `evaluation.parquet` in `dir` that kindred did not write: anything but
/// a regular Parquet file with an evaluation's columns (a person's file of that name, a link,
/// a folder) is left as it is. Checked before the evaluation and again before the write.
fn check_target(dir: &Path) -> Result<()> {
    let path = dir.join(FILE);
    let columns = |path: &Path| -> Option<Vec<String>> {
        let schema = ParquetReader::new(std::fs::File::open(path).ok()?).schema().ok()?;
        Some(schema.iter().map(|(name, _)| name.to_string()).collect())
    };
    let ours = |path: &Path| columns(path).is_some_and(|names| COLUMNS.iter().all(|c| names.iter().any(|n| n == c)));
    match crate::publish::foreign(&path, ours)? {
        None => Ok(()),
        Some(found) => {
            Err(OutputError::Layout { path, found, expected: "the evaluation table kindred writes".into() }.into())
        }
    }
}

const FILE: &str = crate::write::file::EVALUATION;

/// K beyond the catalogue of `items`: lists hold every item at most, so precision@K would
/// divide the hits by slots no list has (precision@500 of a 167-item shop); scored at the
/// catalogue's size, saying so.
fn capped_k(k: usize, items: usize) -> usize {
    if k <= items {
        return k;
    }
    let line = format!(
        "evaluate: K = {k} (--k) is more than the {items} items of the training rows: scored at K = {}",
        items.max(1)
    );
    crate::progress::note(false, &line);
    items.max(1)
}

/// The cleaned rows `evaluate` splits at the cutoff, read as a run reads them (each reader's
/// and the audit's notes said), with what they offer the selection and the columns found.
fn cleaned_rows(chain: &Chain, cfg: &Config, cutoff: i64) -> Result<(DataFrame, Offers, Columns)> {
    let no_dates = |detail: String| ConfigError::Invalid { key: "[columns] date".into(), message: detail };
    if cfg.columns.date.is_none() {
        return Err(no_dates("evaluate needs a date column".into()).into());
    }
    let (table, ingested) = chain.ingest(&cfg.input, &cfg.columns)?;
    ingested.notes.iter().for_each(|note| crate::progress::note(false, note));
    if table.columns.date.is_none() {
        return Err(no_dates(format!("evaluate needs a date column; {} has none", cfg.input.path.display())).into());
    }
    let offers = Offers::of(&table.columns);
    let date_columns = table.columns.clone();
    let (mut canonical, audited) = chain.audit(table, (&cfg.input, &cfg.columns))?;
    let read = canonical.column(col::DATE).map_err(Error::frame("evaluate"))?.clone();
    canonical.with_column(read.with_name(READ_DATE.into())).map_err(Error::frame("evaluate"))?;
    audited.warnings().iter().for_each(|warning| crate::progress::warn(false, warning));
    audited.notes().iter().for_each(|note| crate::progress::note(false, note));
    // refused as run refuses (exit 3), without run's "--force" (evaluate publishes nothing)
    if let Some(why) = crate::pipeline::undated(&date_columns, &audited, "evaluate") {
        return Err(Error::EvaluateGate { gate: "required_column".into(), detail: why });
    }
    // the training rows' stray dates judged on their own, as a run at the cutoff judges them
    let cleaning = CleanConfig { cutoff: Some(cutoff), ..cfg.clean.reading(&date_columns) };
    let (cleaned, cleaned_report) = chain.clean(canonical, &cleaning)?;
    let date = audited.date();
    let headers = cleaned_report.repeated_headers();
    let share = date.and_then(|d| crate::pipeline::check_invalid_date_share(cfg, d, Some("evaluate"), headers));
    if let Some(refused) = share.filter(|g| !g.passed) {
        return Err(Error::EvaluateGate { gate: refused.gate.into(), detail: refused.detail });
    }
    crate::chain::clean_said(false, &cleaned_report, &cleaning);
    Ok((cleaned.into_frame()?, offers, date_columns))
}

fn evaluate(cfg: &Config, cutoff: i64, cutoff_label: &str, k: usize) -> Result<Evaluation> {
    // no stage lines (the figures are the output), but what the reader noted is said
    let chain = Chain::new(true);
    let (cleaned, offers, date_columns) = cleaned_rows(&chain, cfg, cutoff)?;
    let (train, test) = split(&cleaned, cutoff, cutoff_label)?;
    let train_rows = train.height();
    // Only train's customers are evaluated: an id that is not an integer refuses there.
    let int64_because = (cfg.customer_type == CustomerType::Integer).then_some(INTEGER_KEY);
    let ids = IdTyping { kind: cfg.customer_type, int64_because, column: &cfg.columns.customer };
    let train = clean::Cleaned::all(train);
    let (m, pivoted) = chain.pivot(train.part(|_| true), ids, &cfg.input.path)?;
    let lists = crate::pipeline::check_item_lists(cfg, &date_columns.item, pivoted.item_lists.as_ref());
    if let Some(refused) = lists.filter(|check| !check.passed) {
        return Err(Error::EvaluateGate { gate: refused.gate.into(), detail: refused.detail });
    }
    // An auto pipeline chooses on the training rows alone: no candidate sees the test window.
    let (choice, mut selection) = match cfg.model.kind {
        Kind::Auto => chain.select(train, cfg, ids, (offers, m.n_items()), None).map(|(c, s)| (c, Some(s)))?,
        _ => (Candidate::named(cfg), None),
    };
    let choice = match selection.as_mut() {
        Some(s) => crate::select::for_all_purchases(choice, s, &m, true),
        None => choice,
    };
    let k = capped_k(k, m.n_items());
    let held = held_items(&m, &clean::Cleaned::all(test.clone()))?;
    if held.iter().all(Vec::is_empty) {
        return Err(Error::NothingHeld { cutoff: cutoff_label.to_string(), train: train_rows, test: test.height() });
    }
    let [model, popularity, article_rule] = score_all(&chain, cfg, &m, &choice, &held, k)?;
    Ok(Evaluation {
        model,
        popularity,
        article_rule,
        cutoff: cutoff_label.to_string(),
        k,
        train_rows,
        test_rows: test.height(),
        selection,
        pipeline: cfg.pipeline.as_ref().map(|p| p.display().to_string()),
        kind: cfg.model.kind,
    })
}

/// The chosen model's, popularity's and the article rule's metrics on the held items, at `k`.
fn score_all(
    chain: &Chain,
    cfg: &Config,
    m: &Interactions,
    choice: &Candidate,
    held: &[Vec<u32>],
    k: usize,
) -> Result<[Metrics; 3]> {
    let model = ModelConfig {
        neighbours: choice.model.neighbours.max(choice.recommend.from_neighbours),
        ..choice.model.clone()
    };
    let (nb, _) = chain.chosen(m, &Candidate { model: model.clone(), ..choice.clone() })?;
    let none = Model::User(Neighbours::empty(m.n_customers()));
    // The baselines are the plain methods, whatever knobs the pipeline turns: the article's
    // rule is the nearest customer by binary cosine — the model's own nearest only when it is
    // that cosine with no floor (`min_overlap = 3` or `min_similarity = 0.3` moved the
    // baseline: helper-161).
    let plain = cfg.recommend.baseline();
    let article = ModelConfig::default();
    let floorless = model.min_overlap <= article.min_overlap && model.min_similarity <= article.min_similarity;
    let nearest = match model.is_plain_user() && floorless && choice.family != Family::Popularity {
        true => None,
        false => Some(chain.model(m, &ModelConfig { neighbours: 1, ..Default::default() })?.0),
    };
    let scored = |nb: &Model, rec: &RecommendConfig, from_neighbours: usize| {
        let rec = RecommendConfig { per_customer: k, from_neighbours, ..rec.clone() };
        score(&chain.recommend(m, nb, &rec).0, held, k, m.n_items())
    };
    Ok([
        scored(&nb, &choice.recommend, choice.recommend.from_neighbours),
        scored(&none, &plain, 1),
        scored(nearest.as_ref().unwrap_or(&nb), &plain, 1),
    ])
}

impl Evaluation {
    fn rows(&self) -> [(&'static str, &Metrics); 3] {
        [("model", &self.model), ("popularity", &self.popularity), ("article_rule", &self.article_rule)]
    }

    /// The table printed for a person.
    pub fn render(&self) -> String {
        let k = self.k;
        let pipeline = match &self.pipeline {
            Some(p) => format!("pipeline {p}"),
            None => "no pipeline file: the code's defaults (the article's method)".into(),
        };
        let kind =
            serde_json::to_value(self.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let mut out = format!(
            "{pipeline}, [model] kind = {kind:?}\ncutoff {}: {} with test items; train {}, test {}\n{:<14} {:>8} {:>13} {:>10} {:>12} {:>9}\n",
            self.cutoff,
            counted(self.model.customers, "customer"),
            counted(self.train_rows, "row"),
            counted(self.test_rows, "row"),
            "model",
            format!("ndcg@{k}"),
            format!("precision@{k}"),
            format!("recall@{k}"),
            format!("hit_rate@{k}"),
            "coverage"
        );
        for (name, m) in self.rows() {
            out += &format!(
                "{name:<14} {:>8.4} {:>13.4} {:>10.4} {:>12.4} {:>9.4}\n",
                m.ndcg, m.precision, m.recall, m.hit_rate, m.coverage
            );
        }
        if let Some(s) = &self.selection {
            out += &format!("model chosen before the cutoff: {}\n", s.line());
            if let Some(line) = s.season_line() {
                out += &format!("{}\n", line.trim_start_matches("select: "));
            }
        }
        out
    }

    /// One JSON object: {"model": {...}, "popularity": {...}, "article_rule": {...}, ...}.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Writes `evaluation.parquet` into `dir` with the pipeline's `[output] compression` (it
    /// was zstd whatever the pipeline said, beside the published tables a reader without zstd
    /// was given snappy for: helper-129), whole or not at all ([`replace_file`]: a new hidden
    /// file, never a link followed, fsynced and renamed over it).
    pub fn write(&self, dir: &Path, compression: crate::config::Compression) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|source| OutputError::Io { path: dir.to_path_buf(), source })?;
        check_target(dir)?;
        let path = dir.join(FILE);
        let mut frame = self.frame().map_err(|e| OutputError::Parquet { path: path.clone(), detail: e.to_string() })?;
        replace_file(&path, |f| {
            keeping_io_errors(&path, f, |f| {
                let codec = crate::write::parquet_compression(compression);
                versioned_writer(f, frame.schema()).with_compression(codec).finish(&mut frame)
            })?;
            Ok(())
        })
    }

    /// The metrics as a frame: one row per model.
    fn frame(&self) -> PolarsResult<DataFrame> {
        let rows = self.rows();
        let pick = |f: fn(&Metrics) -> f64| rows.iter().map(|(_, m)| f(m)).collect::<Vec<f64>>();
        DataFrame::new(
            3,
            vec![
                Column::new("model".into(), rows.iter().map(|(n, _)| *n).collect::<Vec<&str>>()),
                Column::new("cutoff".into(), vec![self.cutoff.as_str(); 3]),
                Column::new("k".into(), vec![self.k as i32; 3]),
                Column::new("customers".into(), rows.iter().map(|(_, m)| m.customers as i64).collect::<Vec<i64>>()),
                Column::new("ndcg".into(), pick(|m| m.ndcg)),
                Column::new("precision".into(), pick(|m| m.precision)),
                Column::new("recall".into(), pick(|m| m.recall)),
                Column::new("hit_rate".into(), pick(|m| m.hit_rate)),
                Column::new("coverage".into(), pick(|m| m.coverage)),
                Column::new("pipeline".into(), vec![self.pipeline.as_deref(); 3]),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Compression;
    use crate::recommend::{Rec, Recommendations, Source};

    fn list(items: &[u32]) -> Vec<Rec> {
        items.iter().map(|&item| Rec { item, score: Some(1.0), supporters: 1, source: Source::Neighbours }).collect()
    }

    #[test]
    fn metrics_by_hand() {
        // customer 0: list [5, 1, 7], test {1, 9}: one hit at rank 2
        // customer 1: list [2, 3, 4], test {2, 3, 4, 8}: hits at ranks 1, 2, 3
        // customer 2: no test items: not evaluated
        let mut rows = list(&[5, 1, 7]);
        rows.extend(list(&[2, 3, 4]));
        rows.extend(list(&[6, 6, 6]));
        let recs = Recommendations { offsets: vec![0, 3, 6, 9], rows };
        let test = vec![vec![1, 9], vec![2, 3, 4, 8], vec![]];
        let m = score(&recs, &test, 3, 20);
        let l = |r: f64| 1.0 / (r + 1.0).log2();
        let ndcg0 = l(2.0) / (l(1.0) + l(2.0));
        let ndcg1 = 1.0;
        assert!((m.ndcg - (ndcg0 + ndcg1) / 2.0).abs() < 1e-12);
        assert!((m.precision - (1.0 / 3.0 + 1.0) / 2.0).abs() < 1e-12);
        assert!((m.recall - (0.5 + 0.75) / 2.0).abs() < 1e-12);
        assert_eq!(m.hit_rate, 1.0);
        assert_eq!(m.customers, 2);
        assert!((m.coverage - 6.0 / 20.0).abs() < 1e-12, "items 5 1 7 2 3 4 of 20");
        // K beyond the 20 items: scored at 20 (helper-161: the selection's rows divided by K)
        let wide = score(&recs, &test, 50, 20);
        assert!((wide.precision - (1.0 / 20.0 + 3.0 / 20.0) / 2.0).abs() < 1e-12, "{wide:?}");
        assert_eq!(format!("{wide:?}"), format!("{:?}", score(&recs, &test, 20, 20)));
    }

    /// Issue 14's class: the temp file was opened through a link (as root: any file clobbered).
    #[test]
    fn write_never_follows_a_link_at_its_temp_name() {
        let m = Metrics { ndcg: 0.5, precision: 0.25, recall: 0.5, hit_rate: 1.0, coverage: 0.1, customers: 2 };
        let e = Evaluation {
            model: m,
            popularity: m,
            article_rule: m,
            cutoff: "2011-11-09".into(),
            k: 10,
            train_rows: 5,
            test_rows: 3,
            selection: None,
            pipeline: Some("pipelines/shop.toml".into()),
            kind: Kind::User,
        };
        let tmp = tempfile::tempdir().unwrap();
        let victim = tmp.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = tmp.path().join(format!(".evaluation.parquet.{}.part", std::process::id()));
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(e.write(tmp.path(), Compression::Snappy).is_err());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(link.is_symlink(), "not ours: left alone");
        std::fs::remove_file(&link).unwrap();
        e.write(tmp.path(), Compression::Snappy).unwrap();
        let mut names: Vec<String> =
            std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        assert_eq!(names, ["evaluation.parquet", "victim"]);
        // its own table is replaced; a person's file, folder or link of that name is not
        e.write(tmp.path(), Compression::Snappy).unwrap();
        let path = tmp.path().join(FILE);
        std::fs::remove_file(&path).unwrap();
        let mut theirs = df!("model" => ["mine"], "score" => [1.0]).unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap()).finish(&mut theirs).unwrap();
        let before = std::fs::read(&path).unwrap();
        let err = e.write(tmp.path(), Compression::Snappy).unwrap_err().to_string();
        assert!(err.contains("is a file, not the evaluation table kindred writes"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink(&victim, &path).unwrap();
        assert!(e.write(tmp.path(), Compression::Snappy).is_err());
        assert!(path.is_symlink() && std::fs::read_to_string(&victim).unwrap() == "precious");
    }

    #[test]
    fn cutoff_parses_dates() {
        assert_eq!(parse_cutoff("2011-11-09").unwrap(), (1_320_796_800, "2011-11-09".into()));
        assert_eq!(
            parse_cutoff("2011-11-09 12:00:00").unwrap(),
            (1_320_796_800 + 43_200, "2011-11-09 12:00:00".into())
        );
        let err = parse_cutoff("November").unwrap_err().to_string();
        assert!(err.contains("--cutoff") && err.contains("YYYY-MM-DD HH:MM:SS"), "both forms named: {err}");
    }

    /// evaluation.parquet's `cutoff` held --cutoff as typed: `2011-9-1`, `+2011-09-01` and a tab
    /// for the space were three values of one cutoff, which a BI filter on `'2011-09-01'` missed.
    #[test]
    fn a_cutoff_is_labelled_in_one_form_however_typed() {
        for typed in ["2011-09-01", "2011-9-1", "+2011-09-01", " 2011-09-01 "] {
            assert_eq!(parse_cutoff(typed).unwrap().1, "2011-09-01", "{typed:?}");
        }
        // midnight named is the day's cutoff: one label (helpers 123 and 124)
        for typed in ["2011-09-01 00:00:00", "2011-9-1 0:0:0", "2011-09-01\t00:00:00"] {
            assert_eq!(parse_cutoff(typed).unwrap(), parse_cutoff("2011-09-01").unwrap(), "{typed:?}");
        }
        assert_eq!(parse_cutoff("2011-9-1 0:0:1").unwrap().1, "2011-09-01 00:00:01");
    }
}
