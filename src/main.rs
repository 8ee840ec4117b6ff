//! The `kindred` command: parses flags, loads the pipeline, calls the library, maps errors to
//! exit codes (see `kindred::error::Exit`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::BoolishValueParser;
use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use kindred::config::{Config, Overrides};
use kindred::error::{ConfigError, Error, Exit};
use kindred::progress::{self, LogFormat};
use kindred::publish::Depth;

const DEFAULT_PIPELINE: &str = "pipelines/online_retail.toml";

/// The system allocator, saying why the run stops when memory runs out.
#[global_allocator]
static ALLOC: progress::ReportingAlloc = progress::ReportingAlloc;

#[derive(Parser)]
#[command(
    name = "kindred",
    version,
    about = "Every customer's product recommendations from a transaction export, as Parquet",
    after_help = "Examples:
  kindred run                                     # pipelines/online_retail.toml, published to its [output] dir
  kindred run pipelines/shop.toml --quiet         # from cron: nothing but errors on stderr
  KINDRED_OUTPUT=/srv/recs kindred --log-format json run pipelines/shop.toml
  kindred status /srv/recs --max-age 26h          # exit 6 when unhealthy

Every flag of run can come from the environment (KINDRED_PIPELINE, KINDRED_INPUT,
KINDRED_OUTPUT, KINDRED_THREADS, KINDRED_QUIET, KINDRED_FORCE, KINDRED_LOG_FORMAT); a flag wins
over its variable. Exit codes: 0 ok, 1 runtime or data error, 2 usage or pipeline-file error,
3 refused by a data gate, 4 lock held, 5 shards missing (publish), 6 status unhealthy."
)]
struct Cli {
    /// Log lines on stderr as plain text with a UTC timestamp, or one JSON object per line.
    #[arg(long, global = true, value_enum, ignore_case = true, env = "KINDRED_LOG_FORMAT", default_value_t = LogFormatArg::Plain, display_order = 900)]
    log_format: LogFormatArg,
    #[command(subcommand)]
    command: Command,
}

/// `--log-format`.
#[derive(Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Plain,
    Json,
}

impl From<LogFormatArg> for LogFormat {
    fn from(f: LogFormatArg) -> Self {
        match f {
            LogFormatArg::Plain => LogFormat::Plain,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline and publish the outputs.
    #[command(after_help = "Examples:
  kindred run                                     # pipelines/online_retail.toml
  kindred run pipelines/shop.toml --input exports/today.csv.gz --output /srv/recs --quiet
  KINDRED_PIPELINE=pipelines/shop.toml KINDRED_THREADS=8 kindred run --log-format json

The audit table goes to stdout, log lines to stderr (with --quiet: errors only, no table;
with --log-format json: the table's totals as one log line).
A failed or refused run records runs/<run_id>/manifest.json (status failed or refused).
Exit codes: 0 published, 1 runtime or data error, 2 usage or pipeline-file error, 3 refused by
a data gate, 4 lock held (another run), 143/130/129 ended by SIGTERM/SIGINT/SIGHUP.")]
    Run {
        #[command(flatten)]
        step: StepArgs,
    },
    /// Sharded run, step 1 of 3: ingest → clean → pivot → the model's item side, planned for N
    /// shards in the output folder (which every worker must see).
    #[command(
        after_help = "Example (4 workers share /mnt/kindred):\n  kindred prepare pipelines/online_retail.toml --output /mnt/kindred --shards 4\n  \
        then `kindred shard --index I` for I = 0..3 (any order, any host), then `kindred publish`"
    )]
    Prepare {
        /// Number of shards (workers) to plan for.
        #[arg(long, env = "KINDRED_SHARDS", value_parser = a_count)]
        shards: usize,
        #[command(flatten)]
        step: StepArgs,
    },
    /// Sharded run, step 2 of 3: one shard's neighbours and recommendations.
    #[command(after_help = "The index comes from --index, else KINDRED_INDEX, JOB_COMPLETION_INDEX (Kubernetes \
        Indexed Job), AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID.\n\nExample:\n  \
        JOB_COMPLETION_INDEX=2 kindred shard pipelines/online_retail.toml --output /mnt/kindred")]
    Shard {
        /// Pipeline file (TOML): the one prepare was given [default: pipelines/online_retail.toml].
        #[arg(env = "KINDRED_PIPELINE")]
        pipeline: Option<PathBuf>,
        /// The shard to compute (0 to N-1); else from the variables below (read, trimmed, by
        /// kindred: one set empty is unset).
        #[arg(long)]
        index: Option<usize>,
        #[command(flatten)]
        over: OverrideArgs,
        /// Print nothing but errors (`--quiet=false` overrides KINDRED_QUIET, as for run).
        #[arg(long, env = "KINDRED_QUIET", value_parser = BoolishValueParser::new(), num_args = 0..=1, require_equals = true, default_missing_value = "true")]
        quiet: bool,
    },
    /// Sharded run, step 3 of 3: every shard's part joined and published as `kindred run` does
    /// (exit 5 when a shard has not finished).
    #[command(after_help = "Example:\n  kindred publish pipelines/online_retail.toml --output /mnt/kindred")]
    Publish {
        #[command(flatten)]
        step: StepArgs,
    },
    /// Read an export and print a first look at it: missing values, each column's types,
    /// non-null and distinct counts, min/max, and the first rows.
    #[command(after_help = "Examples:
  kindred audit data/export.csv.gz
  kindred audit data/export.csv.gz --head 0 --json | jq '.columns[] | {column, type_inferred, distinct}'
  kindred audit exports/shop.xlsx --pipeline pipelines/shop.toml   # its [input] and [columns] settings")]
    Audit {
        /// The export (.csv, .txt, .tsv, each optionally .gz; .xlsx, .xlsm, .xls, .xlsb, .ods; .parquet).
        #[arg(env = "KINDRED_INPUT")]
        input: PathBuf,
        /// Pipeline file whose [input] and [columns] settings to use.
        #[arg(long, env = "KINDRED_PIPELINE")]
        pipeline: Option<PathBuf>,
        /// First rows to show (0 = none; at most 10000).
        #[arg(long, default_value_t = kindred::ingest::HEAD_ROWS, allow_hyphen_values = true)]
        head: usize,
        /// Print one JSON object (the fields of the manifest's `reports.audit`) instead of tables.
        #[arg(long)]
        json: bool,
    },
    /// Offline evaluation on a temporal holdout: the model vs popularity vs the article's rule.
    #[command(after_help = "Examples:
  kindred evaluate --cutoff 2011-09-01
  kindred evaluate pipelines/shop.toml --cutoff 2026-10-01 --k 20 --json")]
    Evaluate {
        /// Pipeline file (TOML) [default: pipelines/online_retail.toml].
        #[arg(env = "KINDRED_PIPELINE")]
        pipeline: Option<PathBuf>,
        /// Train on purchases before this date (YYYY-MM-DD, or with a time: "2011-11-09 12:00:00"), test on those from it on.
        #[arg(long)]
        cutoff: String,
        /// List length the metrics look at (1 to 1,000; scored at the training rows' items when
        /// it is more).
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        over: OverrideArgs,
    },
    /// Write a synthetic export (Online Retail schema) of a given shape, for benchmarks.
    #[command(after_help = "Examples:
  kindred generate syn-1M.parquet 1000000 50000 27     # a million customers, 50,000 items
  kindred generate small.csv 1000 200 5 --s 1.1 --seed 3")]
    Generate {
        /// Output file: .parquet or .csv.
        out: PathBuf,
        #[command(flatten)]
        shape: ShapeArgs,
    },
    /// Time the model stages on a synthetic matrix built in memory; prints one JSON line.
    #[command(after_help = "Examples:
  kindred bench 100000 20000 27
  kindred bench 1000000 50000 27 --threads 2 --neighbours 50")]
    Bench {
        #[command(flatten)]
        shape: ShapeArgs,
        /// Neighbours per customer.
        #[arg(long, default_value_t = 20)]
        neighbours: usize,
        /// Worker threads (default: all cores).
        #[arg(long, env = "KINDRED_THREADS", value_parser = at_least_one)]
        threads: Option<usize>,
        /// Time the general (weighted, float) Gustavson kernel instead of the tiled one.
        #[arg(long)]
        simple: bool,
    },
    /// Explain one customer's recommendations from the published output.
    #[command(after_help = "Examples:
  kindred explain 14606
  kindred explain 17850 --output /srv/recs")]
    Explain {
        /// The customer id, as in the export (17850 or 17850.0; a negative one as it is: -5).
        #[arg(allow_hyphen_values = true)]
        customer: String,
        /// Pipeline file whose [output] dir to read.
        #[arg(default_value = DEFAULT_PIPELINE, env = "KINDRED_PIPELINE")]
        pipeline: PathBuf,
        /// Output folder to read, instead of the pipeline's.
        #[arg(long, env = "KINDRED_OUTPUT")]
        output: Option<PathBuf>,
    },
    /// An output folder's health: the last published run and the last attempt.
    #[command(after_help = "Examples:
  kindred status                                  # the default pipeline's [output] dir
  kindred status /srv/recs --max-age 26h          # also unhealthy when the set is older than 26 hours
  kindred status /srv/recs --json
  kindred status /srv/recs --verify               # also read every file and compare its sha256

Exit 0 healthy; 6 when the last attempt failed, was refused or was interrupted, nothing is
published, the published set's files are missing, damaged (with --verify: changed in place) or
cannot be read by this account, it or the unchanged export it was made from is older than
--max-age, or a run is dated after the clock; 1 when the folder cannot be read; 2 for a pipeline
file that cannot be read, or a bad flag.")]
    Status {
        /// The output folder (default: the pipeline's [output] dir).
        #[arg(env = "KINDRED_OUTPUT")]
        dir: Option<PathBuf>,
        /// Pipeline file whose [output] dir to read when DIR is not given.
        #[arg(long, default_value = DEFAULT_PIPELINE, env = "KINDRED_PIPELINE")]
        pipeline: PathBuf,
        /// Unhealthy when the published set finished longer ago than this, or was made from an
        /// export unchanged for longer (26h, 90m, 2d; 1s to 3650d).
        #[arg(long, env = "KINDRED_MAX_AGE", value_parser = an_age)]
        max_age: Option<std::time::Duration>,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
        /// Read the published set's files whole and compare each with the sha256 its manifest
        /// records: a file changed in place (same size, footer whole) is damage (exit 6). Reads
        /// the whole set; without it, sizes and footers only.
        #[arg(long)]
        verify: bool,
    },
}

/// What `run`, `prepare` and `publish` take: the pipeline, its overrides, quiet and force (at
/// prepare, for the gates on the input).
#[derive(clap::Args)]
struct StepArgs {
    /// Pipeline file (TOML); a sharded run's steps all take the same [default:
    /// pipelines/online_retail.toml].
    #[arg(env = "KINDRED_PIPELINE")]
    pipeline: Option<PathBuf>,
    #[command(flatten)]
    over: OverrideArgs,
    /// Print nothing but errors and the warnings that ask a person to act on the output folder
    /// (true/false, yes/no, 1/0 from the environment; `--quiet=false` overrides KINDRED_QUIET).
    #[arg(long, env = "KINDRED_QUIET", value_parser = BoolishValueParser::new(), num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    quiet: bool,
    /// Publish even when a data gate refuses (recorded in the manifest; at prepare, go on past
    /// the input's gates: publish checks the model's; `--force=false` overrides KINDRED_FORCE).
    #[arg(long, env = "KINDRED_FORCE", value_parser = BoolishValueParser::new(), num_args = 0..=1, require_equals = true, default_missing_value = "true")]
    force: bool,
}

impl StepArgs {
    /// The pipeline file loaded with these overrides.
    fn load(self) -> Result<Config, ConfigError> {
        load(self.pipeline.as_deref(), &self.over.with(self.quiet, self.force))
    }
}

/// Flags that override the pipeline file (each also from its KINDRED_* variable).
#[derive(clap::Args)]
struct OverrideArgs {
    /// Input file, overriding [input] path.
    #[arg(long, env = "KINDRED_INPUT")]
    input: Option<PathBuf>,
    /// Output folder, overriding [output] dir.
    #[arg(long, env = "KINDRED_OUTPUT")]
    output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, env = "KINDRED_THREADS", value_parser = at_least_one)]
    threads: Option<usize>,
}

/// `--threads`: a whole number of at least 1 (refused while parsing, so a bad
/// `KINDRED_THREADS` is named as the variable it came from).
fn at_least_one(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1, got 0".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e} (a whole number of at least 1)")),
    }
}

/// `--shards`: a whole number, spaces around it aside, as `KINDRED_INDEX`'s and
/// `KINDRED_THREADS`' are (`KINDRED_SHARDS=" 4"` from a Helm value was a usage error; helper-158);
/// its bounds are the plan's to say.
fn a_count(text: &str) -> Result<usize, String> {
    text.trim().parse::<usize>().map_err(|e| format!("{e} (a whole number)"))
}

/// The longest `--max-age`: a set ten years old is no health check's bound but a slip (`26y`
/// for `26h`), which would have read healthy for ever.
const LONGEST_AGE: std::time::Duration = std::time::Duration::from_secs(3650 * 86_400);

/// `--max-age`: a duration with its unit, 1s to [`LONGEST_AGE`]. `0` (or under a second: ages
/// are counted in seconds) was accepted and made every set stale at once; a number without a
/// unit is no age (26: hours? days?).
fn an_age(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let example = "a duration with its unit, such as 26h, 90m or 2d";
    let age = humantime::parse_duration(text).map_err(|e| match text {
        t if t.starts_with('-') => format!("must not be negative ({example})"),
        t if t.parse::<f64>().is_ok() => format!("has no unit ({example})"),
        _ => format!("{e} ({example})"),
    })?;
    match age {
        a if a.as_secs() == 0 => Err(format!(
            "must be at least 1s: a set older than it is stale, so {text} made every set stale ({example})"
        )),
        a if a > LONGEST_AGE => Err(format!("must be at most 3650d (ten years): a mistyped unit? ({example})")),
        a => Ok(a),
    }
}

impl OverrideArgs {
    fn with(self, quiet: bool, force: bool) -> Overrides {
        Overrides { input: self.input, output: self.output, threads: self.threads, quiet, force }
    }
}

/// The shape of a synthetic export (as the benchmark kit's gen_synthetic.py).
#[derive(clap::Args)]
struct ShapeArgs {
    /// Customers (1 to 100,000,000).
    customers: usize,
    /// Items in the catalogue (1 to 10,000,000).
    items: usize,
    /// Mean distinct items per customer (log-normal; 1 to ITEMS).
    basket: f64,
    /// Zipf exponent of item popularity (0 to 10).
    #[arg(long, default_value_t = 0.9)]
    s: f64,
    /// Random seed: the same shape and seed make the same data.
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

impl ShapeArgs {
    fn shape(&self) -> Result<kindred::generate::Shape, ConfigError> {
        kindred::generate::Shape::new(self.customers, self.items, self.basket, self.s, self.seed)
    }
}

/// Prints to stdout; a closed pipe (`kindred audit x | head`) is not an error.
fn emit(text: &str) -> Result<(), Error> {
    use std::io::Write;
    let text = kindred::progress::printable(text, kindred::progress::Lines::Kept);
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Loads a pipeline file; a missing default file is fine when `--input` says what to read.
/// A thread count capped at the cores, and keys the model never reads, are noted on stderr
/// (unless quiet) and in the manifest.
fn load(pipeline: Option<&Path>, cli: &Overrides) -> Result<Config, ConfigError> {
    let cfg = Config::load_or_default(pipeline, Path::new(DEFAULT_PIPELINE), cli)?;
    if cfg.pipeline.is_none() {
        let line = format!(
            "no pipeline file given and no {DEFAULT_PIPELINE} here: the code's defaults apply (the article's \
             user-based method, as pipelines/article.toml), not the shipped pipeline's model; name a pipeline \
             file to choose (the manifest's parameters.pipeline is null)"
        );
        progress::warn(cfg.quiet, &line);
    }
    note(cfg.quiet, cfg.threads_note.as_deref());
    note(cfg.quiet, cfg.unread_note.as_deref());
    Ok(cfg)
}

/// A line on stderr that is not an error (unless quiet).
fn note(quiet: bool, note: Option<&str>) {
    if let Some(note) = note {
        progress::note(quiet, note);
    }
}

/// `kindred run`: the pipeline, then the line a cron mail shows.
fn run(step: StepArgs) -> Result<(), Error> {
    let quiet = step.quiet;
    let cfg = step.load()?;
    let manifest = kindred::pipeline::run(&cfg)?;
    let total: f64 = manifest.stages.iter().map(|s| s.seconds).sum();
    let mut message = format!(
        "published {} recommendations to {} (run {}, {:.2}s)",
        kindred::words::counted_own(manifest.customers, "customer"),
        cfg.output.dir.display(),
        manifest.header.run_id,
        total
    );
    // forced past a refusal: the line the cron mail shows says so, what each gate found, and
    // the rows published (the rows alone read as a dropped-share gate's figures: helper-150)
    let overridden: Vec<_> = manifest.gates.iter().filter(|g| !g.passed).collect();
    if manifest.forced && !overridden.is_empty() {
        let rows = manifest.reports.recommend.rows_out;
        let model = manifest.reports.recommend.from_neighbours_rows;
        let names: Vec<&str> = overridden.iter().map(|g| g.gate).collect();
        let found: Vec<String> = match overridden.as_slice() {
            [one] => vec![one.detail.clone()],
            several => several.iter().map(|g| format!("{}: {}", g.gate, g.detail)).collect(),
        };
        message.push_str(&format!(
            " with --force past gate {}: {} ({rows} recommendation rows published, {model} from the model)",
            names.join(", "),
            found.join("; ")
        ));
    }
    let line = progress::Line { seconds: Some(total), ..progress::Line::new(progress::Level::Info, &message) };
    progress::log_line(quiet, &line);
    say_deferred_signal(quiet);
    Ok(())
}

fn execute(command: Command) -> Result<Exit, Error> {
    match command {
        Command::Run { step } => run(step)?,
        Command::Prepare { .. } | Command::Shard { .. } | Command::Publish { .. } => sharded(command)?,
        Command::Audit { input, pipeline, head, json } => {
            let head = kindred::config::audit_head(head)?;
            let overrides = Overrides { input: Some(input), ..Default::default() };
            // audit's input is its INPUT argument: an error of it names that, not --input
            let cfg = Config::load_optional(pipeline.as_deref(), &overrides).map_err(|e| match e {
                ConfigError::Invalid { key, message } if key == "--input" => {
                    ConfigError::Invalid { key: "INPUT".to_string(), message }
                }
                e => e,
            })?;
            note(false, cfg.threads_note.as_deref());
            let (report, notes) = kindred::pipeline::audit_only(&cfg, head)?;
            match json {
                true => emit(&format!("{}\n", report.to_json(&notes)))?,
                false => emit(&report.render())?,
            }
        }
        Command::Evaluate { pipeline, cutoff, k, json, over } => {
            // what the run would say of its pipeline is said (the code's defaults, capped
            // threads, unread keys): evaluate scores that model
            let cfg = load(pipeline.as_deref(), &over.with(false, false))?;
            let (at, label) = kindred::evaluate::parse_cutoff(&cutoff)?;
            let k = kindred::config::evaluate_k(k)?;
            let evaluation = kindred::evaluate::run(&cfg, at, &label, k)?;
            // printed before the write: a folder that cannot be written loses no figures
            if json {
                emit(&format!("{}\n", evaluation.to_json()))?;
            } else {
                emit(&evaluation.render())?;
            }
            evaluation.write(&cfg.output.dir, cfg.output.compression)?;
        }
        Command::Generate { out, shape } => {
            let rows = kindred::generate::write(&shape.shape()?, &out)?;
            progress::log(false, &format!("wrote {rows} rows to {}", out.display()));
        }
        Command::Bench { shape, neighbours, threads, simple } => {
            let shape = shape.shape()?;
            let neighbours = kindred::config::bench_neighbours(neighbours)?;
            let model = kindred::config::ModelConfig { neighbours, ..Default::default() };
            let (threads, capped) = kindred::config::cli_threads(threads)?;
            note(false, capped.as_deref());
            let report = kindred::bench::run(&shape, &model, simple, threads)?;
            emit(&format!("{}\n", report.to_json()))?;
        }
        Command::Explain { customer, pipeline, output } => {
            let dir = match (output, codes_output(&pipeline)) {
                (Some(dir), _) => given_pipeline_exists(&pipeline).map(|()| dir)?,
                (None, Some(dir)) => dir,
                (None, None) => Config::output_dir(&pipeline)?,
            };
            emit(&kindred::explain::run(&dir, &customer)?)?;
        }
        Command::Status { dir, pipeline, max_age, json, verify } => {
            let depth = if verify { Depth::Contents } else { Depth::Footers };
            return status(dir, &pipeline, max_age, depth, json);
        }
    }
    Ok(Exit::Published)
}

/// A pipeline typed on the command line beside a folder, which is read instead of its
/// `[output] dir`, must still be a file: one that is not was ignored without a word — a
/// customer id with a space typed unquoted (`explain Müller, Jürgen`) explained `Müller,`.
/// One from `KINDRED_PIPELINE` (an environment shared with the cron job, relative to its
/// folder) or the default is not read, as before: a monitor's `status DIR` must not fail on it.
fn given_pipeline_exists(pipeline: &Path) -> Result<(), Error> {
    let text = pipeline.to_string_lossy();
    let typed = arguments().iter().skip(1).any(|a| *a == text || a.strip_prefix("--pipeline=") == Some(&text));
    if !typed || pipeline.is_file() {
        return Ok(());
    }
    Config::output_dir(pipeline).map(drop).map_err(Error::from)
}

/// Where `run --input X` published with the code's defaults, for `status` and `explain` without
/// a folder: `./output`, when `pipeline` is the default file, which is not here, and that folder
/// is (they failed on the missing default file beside the set `run` had just published).
fn codes_output(pipeline: &Path) -> Option<PathBuf> {
    let dir = Config::default_output_dir();
    (pipeline == Path::new(DEFAULT_PIPELINE) && !pipeline.exists() && dir.is_dir()).then_some(dir)
}

/// `kindred status`: the folder's health printed; 0 healthy, 6 not.
fn status(
    dir: Option<PathBuf>,
    pipeline: &Path,
    max_age: Option<std::time::Duration>,
    depth: Depth,
    json: bool,
) -> Result<Exit, Error> {
    // validated whole, as a run reads it: a pipeline every run refuses (exit 2, before the lock,
    // no record) is no healthy folder's (helper-105: `per_customer = 0` read healthy) — but for
    // its input, which a scheduler may pass the runs only (`KINDRED_INPUT`; helper-107)
    let elsewhere = kindred::config::Overrides { input: Some(PathBuf::from("-")), ..Default::default() };
    let dir = match (dir, codes_output(pipeline)) {
        (Some(dir), _) => given_pipeline_exists(pipeline).map(|()| dir),
        (None, Some(dir)) => Ok(dir),
        (None, None) => Config::load(pipeline, &elsewhere).map(|cfg| cfg.output.dir).map_err(Error::from),
    };
    let dir = match dir {
        Ok(dir) => dir,
        Err(e) if json => {
            let unusable = serde_json::json!({"dir": null, "healthy": false, "error": e.to_string()});
            emit(&format!("{unusable}\n"))?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    let status = match kindred::status::check(&dir, max_age, depth) {
        Ok(status) => status,
        // a monitor piping `--json` into `jq .healthy` read nothing: the object says it too
        Err(e) if json => {
            // the folder's name as text (lossy: serde cannot write a path that is not UTF-8)
            let unusable = serde_json::json!({"dir": dir.to_string_lossy(), "healthy": false, "error": e.to_string()});
            emit(&format!("{unusable}\n"))?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    emit(&if json { format!("{}\n", status.to_json()) } else { status.render() })?;
    Ok(status.exit())
}

/// Says (unless quiet) that a signal came as the run switched to its set, and was not obeyed:
/// the run had published ([`progress::defer_ending_signals`]).
fn say_deferred_signal(quiet: bool) {
    if let Some(signal) = progress::deferred_signal() {
        let name = match signal {
            1 => "SIGHUP",
            2 => "SIGINT",
            _ => "SIGTERM",
        };
        let line = format!(
            "{name} arrived as the run switched to its set: it finished publishing (exit 0, not 128 + {signal})"
        );
        progress::warn(quiet, &line);
    }
}

/// The three steps of a sharded run (`kindred::shard`).
fn sharded(command: Command) -> Result<(), Error> {
    match command {
        Command::Prepare { shards, step } => {
            let cfg = step.load()?;
            let shards = kindred::config::shard_count(shards)?;
            kindred::shard::prepare(&cfg, shards)?;
        }
        Command::Shard { pipeline, index, over, quiet } => {
            let index = kindred::shard::index_from(index, |name| std::env::var(name).ok())?;
            let cfg = load(pipeline.as_deref(), &over.with(quiet, false))?;
            kindred::shard::shard(&cfg, index)?;
        }
        Command::Publish { step } => {
            let quiet = step.quiet;
            kindred::shard::publish(&step.load()?)?;
            say_deferred_signal(quiet);
        }
        _ => {}
    }
    Ok(())
}

/// Any panic left is a bug (or the system refusing a thread or memory, said as such): one line
/// that says so and where, then exit 1 like any other
/// failure (not Rust's 101), the lock released and nothing published. The backtrace follows
/// when `RUST_BACKTRACE` asks for it.
fn report_panics() {
    use std::io::Write;
    std::panic::set_hook(Box::new(|info| {
        let what = kindred::error::panic_text(info.payload());
        // a dependency's file from the crate's folder on ("polars-utils-0.55.2/src/range.rs")
        let at = info
            .location()
            .map(|l| {
                let file = l.file();
                let file = file.split_once("/registry/src/").and_then(|(_, f)| f.split_once('/')).map_or(file, |x| x.1);
                format!(" at {file}:{}", l.line())
            })
            .unwrap_or_default();
        // a reader's panic on a damaged file: the reader's caller reports it, naming the file
        if kindred::ingest::reader_panicked(format!("{what}{at}")) {
            return;
        }
        // Through the log (which writes, never eprintln!: a closed stderr must not panic
        // inside the hook, that aborts).
        progress::error(&kindred::error::panic_message(&what, &at), &[]);
        // a limit's is no bug's: no backtrace to report
        let trace = std::backtrace::Backtrace::capture();
        if trace.status() == std::backtrace::BacktraceStatus::Captured && !kindred::error::refused_resources(&what) {
            let _ = writeln!(std::io::stderr().lock(), "{trace}");
        }
    }));
}

/// The command line, or the exit: clap's own message and code (2) for a usage error, `--help`
/// and `--version` (0) — except a bad value that came from a KINDRED_* variable, which is
/// logged naming the variable (exit 2): no flag on the command line shows where it came from.
fn parse() -> Result<Cli, ExitCode> {
    match Cli::try_parse() {
        Ok(cli) => Ok(cli),
        Err(e) => match environment_error(&e) {
            Some(message) => {
                progress::set_log_format(requested_format());
                progress::error(&message, &[]);
                Err(ExitCode::from(Exit::Usage as u8))
            }
            // a usage error under --log-format json (or its variable) is a JSON line too: a log
            // collector took clap's text for broken JSON; help and version stay text
            None if e.use_stderr() && matches!(requested_format(), LogFormat::Json) => {
                progress::set_log_format(LogFormat::Json);
                let text = e.render().to_string();
                let lines: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
                let message = lines.join("; ");
                progress::error(message.strip_prefix("error: ").unwrap_or(&message), &[]);
                Err(ExitCode::from(Exit::Usage as u8))
            }
            None => e.exit(),
        },
    }
}

/// A clap error about a value that came from a variable, as one line naming it.
fn environment_error(e: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if !matches!(e.kind(), ErrorKind::InvalidValue | ErrorKind::ValueValidation) {
        return None;
    }
    let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) else { return None };
    // an empty value (a variable set to "") has none in the context
    let value = match e.get(ContextKind::InvalidValue) {
        Some(ContextValue::String(value)) => value.clone(),
        _ => String::new(),
    };
    let argv: Vec<String> = arguments().into_iter().skip(1).collect();
    let variable = with_env(&Cli::command()).into_iter().find(|(name, var)| {
        // a flag (`--threads`), or a positional argument as clap names it (`[DIR]`)
        let flag = if name.starts_with('[') { name.clone() } else { format!("--{name}") };
        let named = arg == &flag || [" ", "=", "["].iter().any(|end| arg.starts_with(&format!("{flag}{end}")));
        let typed = argv.iter().any(|a| a == &flag || a.starts_with(&format!("{flag}=")));
        named && !typed && std::env::var_os(var).is_some_and(|v| v.to_string_lossy() == *value)
    })?;
    // clap's first line, and the possible values where it lists them
    let rendered = e.render().to_string();
    let what: Vec<&str> = rendered.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
    let what = what.join(" ");
    let what = what.strip_prefix("error: ").unwrap_or(&what);
    Some(format!("environment variable {}: {what}; fix or unset {}", variable.1, variable.1))
}

/// Every (long flag, or `[NAME]` of a positional argument; variable) pair of `cmd` and its
/// subcommands.
fn with_env(cmd: &clap::Command) -> Vec<(String, String)> {
    let name = |a: &clap::Arg| match a.get_long() {
        Some(long) => Some(long.to_string()),
        None if a.is_positional() => Some(format!("[{}]", a.get_id().as_str().to_uppercase())),
        None => None,
    };
    let mut pairs: Vec<(String, String)> =
        cmd.get_arguments().filter_map(|a| Some((name(a)?, a.get_env()?.to_string_lossy().into_owned()))).collect();
    for sub in cmd.get_subcommands() {
        pairs.extend(with_env(sub));
    }
    pairs
}

/// The command line as text, read leniently: `std::env::args` panics on an argument that is
/// not UTF-8 (a Latin-1 terminal's `Müller`), which turned clap's usage error into a crash
/// (exit 101).
fn arguments() -> Vec<String> {
    std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect()
}

/// The log format asked for, read leniently before the command line has parsed.
fn requested_format() -> LogFormat {
    let args = arguments();
    let flag = args.iter().enumerate().find_map(|(i, a)| match a.strip_prefix("--log-format") {
        Some("") => args.get(i + 1).cloned(),
        Some(rest) => rest.strip_prefix('=').map(str::to_string),
        None => None,
    });
    // in any case, as clap reads it and as the pipeline file's choices are read
    match flag.or_else(|| std::env::var("KINDRED_LOG_FORMAT").ok()) {
        Some(f) if f.eq_ignore_ascii_case("json") => LogFormat::Json,
        _ => LogFormat::Plain,
    }
}

/// A flag's value refused after parsing (`~/recs` for `--output`, `0` for `--shards`) that came
/// from its environment variable names the variable, as a value clap refuses does: a cron job
/// that never typed `--output` was pointed at the flag (helper-127).
fn named_as_given(e: Error) -> Error {
    let Error::Config(ConfigError::Invalid { key, message }) = e else { return e };
    // the variable clap reads the flag from (`env = …` on its argument), whichever command
    let long = key.strip_prefix("--").unwrap_or_default();
    let command = Cli::command();
    let variable = command
        .get_subcommands()
        .flat_map(|c| c.get_arguments())
        .find(|a| !long.is_empty() && a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned());
    let Some(variable) = variable else { return Error::Config(ConfigError::Invalid { key, message }) };
    let typed = std::env::args_os().skip(1).any(|a| {
        let a = a.to_string_lossy();
        a == key || a.strip_prefix(key.as_str()).is_some_and(|rest| rest.starts_with('='))
    });
    match typed || std::env::var_os(&variable).is_none() {
        true => Error::Config(ConfigError::Invalid { key, message }),
        false => Error::Config(ConfigError::Invalid {
            key: format!("environment variable {variable} (for {key})"),
            message: format!("{message}; fix or unset {variable}"),
        }),
    }
}

fn main() -> ExitCode {
    progress::fix_mmap_threshold();
    progress::end_on_signals();
    progress::fail_writes_past_file_size_limit();
    report_panics();
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    progress::set_log_format(cli.log_format.into());
    progress::set_publishes(matches!(cli.command, Command::Run { .. } | Command::Publish { .. }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(cli.command)));
    let Ok(result) = result else {
        return ExitCode::from(Exit::Runtime as u8);
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(e) => {
            let e = named_as_given(e);
            let mut causes = Vec::new();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                causes.push(cause.to_string());
                source = cause.source();
            }
            progress::error(&e.to_string(), &causes);
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
