//! The `kindred` command: parses flags, loads the pipeline, calls the library, maps errors to
//! exit codes (see `kindred::error::Exit`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kindred::config::{Config, Overrides};
use kindred::error::{ConfigError, Error, Exit};

const DEFAULT_PIPELINE: &str = "pipelines/online_retail.toml";

#[derive(Parser)]
#[command(
    name = "kindred",
    version,
    about = "Every customer's product recommendations from a transaction export, as Parquet"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole pipeline and publish the outputs.
    Run {
        /// Pipeline file (TOML).
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        #[command(flatten)]
        over: OverrideArgs,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
        /// Publish even when a data gate refuses (recorded in the manifest).
        #[arg(long)]
        force: bool,
    },
    /// Sharded run, step 1 of 3: ingest → clean → pivot → the model's item side, planned for N
    /// shards in the output folder (which every worker must see).
    #[command(
        after_help = "Example (4 workers share /mnt/kindred):\n  kindred prepare pipelines/online_retail.toml --output /mnt/kindred --shards 4\n  \
        then `kindred shard --index I` for I = 0..3 (any order, any host), then `kindred publish`"
    )]
    Prepare {
        /// Pipeline file (TOML).
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Number of shards (workers) to plan for.
        #[arg(long)]
        shards: usize,
        #[command(flatten)]
        over: OverrideArgs,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
        /// Go on when a data gate on the input refuses (recorded in the manifest).
        #[arg(long)]
        force: bool,
    },
    /// Sharded run, step 2 of 3: one shard's neighbours and recommendations.
    #[command(after_help = "The index comes from --index, else KINDRED_INDEX, JOB_COMPLETION_INDEX (Kubernetes \
        Indexed Job), AWS_BATCH_JOB_ARRAY_INDEX or SLURM_ARRAY_TASK_ID.\n\nExample:\n  \
        JOB_COMPLETION_INDEX=2 kindred shard pipelines/online_retail.toml --output /mnt/kindred")]
    Shard {
        /// Pipeline file (TOML): the one prepare was given.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// The shard to compute (0 to N-1).
        #[arg(long)]
        index: Option<usize>,
        #[command(flatten)]
        over: OverrideArgs,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
    },
    /// Sharded run, step 3 of 3: every shard's part joined and published as `kindred run` does
    /// (exit 5 when a shard has not finished).
    #[command(after_help = "Example:\n  kindred publish pipelines/online_retail.toml --output /mnt/kindred")]
    Publish {
        /// Pipeline file (TOML): the one prepare was given.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        #[command(flatten)]
        over: OverrideArgs,
        /// Print nothing but errors.
        #[arg(long)]
        quiet: bool,
        /// Publish even when a data gate refuses (recorded in the manifest).
        #[arg(long)]
        force: bool,
    },
    /// Read an export and print its missing-value audit.
    Audit {
        /// The export (.csv, .csv.gz, .tsv, .xlsx, .xls, .xlsb, .ods, .parquet).
        input: PathBuf,
        /// Pipeline file whose [input] and [columns] settings to use.
        #[arg(long)]
        pipeline: Option<PathBuf>,
    },
    /// Offline evaluation on a temporal holdout: the model vs popularity vs the article's rule.
    Evaluate {
        /// Pipeline file (TOML).
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Train on purchases before this date (YYYY-MM-DD), test on those from it on.
        #[arg(long)]
        cutoff: String,
        /// List length the metrics look at.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        over: OverrideArgs,
    },
    /// Write a synthetic export (Online Retail schema) of a given shape, for benchmarks.
    Generate {
        /// Output file: .parquet or .csv.
        out: PathBuf,
        #[command(flatten)]
        shape: ShapeArgs,
    },
    /// Time the model stages on a synthetic matrix built in memory; prints one JSON line.
    Bench {
        #[command(flatten)]
        shape: ShapeArgs,
        /// Neighbours per customer.
        #[arg(long, default_value_t = 20)]
        neighbours: usize,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Time the general (weighted, float) Gustavson kernel instead of the tiled one.
        #[arg(long)]
        simple: bool,
    },
    /// Explain one customer's recommendations from the published output.
    Explain {
        /// The customer id, as in the export (17850 or 17850.0).
        customer: String,
        /// Pipeline file whose [output] dir to read.
        #[arg(default_value = DEFAULT_PIPELINE)]
        pipeline: PathBuf,
        /// Output folder to read, instead of the pipeline's.
        #[arg(long)]
        output: Option<PathBuf>,
    },
}

/// Flags that override the pipeline file.
#[derive(clap::Args)]
struct OverrideArgs {
    /// Input file, overriding [input] path.
    #[arg(long)]
    input: Option<PathBuf>,
    /// Output folder, overriding [output] dir.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

impl OverrideArgs {
    fn with(self, quiet: bool, force: bool) -> Overrides {
        Overrides { input: self.input, output: self.output, threads: self.threads, quiet, force }
    }
}

/// The shape of a synthetic export (as the benchmark kit's gen_synthetic.py).
#[derive(clap::Args)]
struct ShapeArgs {
    customers: usize,
    items: usize,
    /// Mean distinct items per customer (log-normal).
    basket: f64,
    /// Zipf exponent of item popularity.
    #[arg(long, default_value_t = 0.9)]
    s: f64,
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
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}

/// Loads a pipeline file; a missing default file is fine when `--input` says what to read.
/// A thread count capped at the cores is noted on stderr (unless quiet) and in the manifest.
fn load(pipeline: &Path, cli: &Overrides) -> Result<Config, ConfigError> {
    let cfg = Config::load_or_default(pipeline, Path::new(DEFAULT_PIPELINE), cli)?;
    note(cfg.quiet, cfg.threads_note.as_deref());
    Ok(cfg)
}

/// A line on stderr that is not an error (unless quiet).
fn note(quiet: bool, note: Option<&str>) {
    if let (false, Some(note)) = (quiet, note) {
        eprintln!("kindred: note: {note}");
    }
}

fn execute(command: Command) -> Result<(), Error> {
    match command {
        Command::Run { pipeline, over, quiet, force } => {
            let cfg = load(&pipeline, &over.with(quiet, force))?;
            let manifest = kindred::pipeline::run(&cfg)?;
            if !quiet {
                let total: f64 = manifest.stages.iter().map(|s| s.seconds).sum();
                eprintln!(
                    "kindred: published {} customers' recommendations to {} (run {}, {:.2}s)",
                    manifest.customers,
                    cfg.output.dir.display(),
                    manifest.run_id,
                    total
                );
            }
        }
        Command::Prepare { pipeline, shards, over, quiet, force } => {
            let cfg = load(&pipeline, &over.with(quiet, force))?;
            let shards = kindred::config::shard_count(shards)?;
            kindred::shard::prepare(&cfg, shards)?;
        }
        Command::Shard { pipeline, index, over, quiet } => {
            let index = kindred::shard::index_from(index, |name| std::env::var(name).ok())?;
            let cfg = load(&pipeline, &over.with(quiet, false))?;
            kindred::shard::shard(&cfg, index)?;
        }
        Command::Publish { pipeline, over, quiet, force } => {
            let cfg = load(&pipeline, &over.with(quiet, force))?;
            kindred::shard::publish(&cfg)?;
        }
        Command::Audit { input, pipeline } => {
            let overrides = Overrides { input: Some(input), ..Default::default() };
            let cfg = Config::load_optional(pipeline.as_deref(), &overrides)?;
            note(false, cfg.threads_note.as_deref());
            let report = kindred::pipeline::audit_only(&cfg)?;
            emit(&report.render())?;
        }
        Command::Evaluate { pipeline, cutoff, k, json, over } => {
            let cfg = load(&pipeline, &over.with(true, false))?;
            let at = kindred::evaluate::parse_cutoff(&cutoff)?;
            let k = kindred::config::evaluate_k(k)?;
            let evaluation = kindred::evaluate::run(&cfg, at, &cutoff, k)?;
            evaluation.write(&cfg.output.dir)?;
            if json {
                emit(&format!("{}\n", evaluation.to_json()))?;
            } else {
                emit(&evaluation.render())?;
            }
        }
        Command::Generate { out, shape } => {
            let rows = kindred::generate::write(&shape.shape()?, &out)?;
            eprintln!("kindred: wrote {rows} rows to {}", out.display());
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
            let dir = match output {
                Some(dir) => dir,
                None => Config::output_dir(&pipeline)?,
            };
            emit(&kindred::explain::run(&dir, &customer)?)?;
        }
    }
    Ok(())
}

/// Any panic left is a bug: one line that says so and where, then exit 1 like any other
/// failure (not Rust's 101), the lock released and nothing published. The backtrace follows
/// when `RUST_BACKTRACE` asks for it.
fn report_panics() {
    use std::io::Write;
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
        // Written, not eprintln!: a closed stderr must not panic inside the hook (that aborts).
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "kindred: error: internal error{at}: {what}; nothing was published (this is a bug in kindred: please report it with the command and the pipeline file)"
        );
        let trace = std::backtrace::Backtrace::capture();
        if trace.status() == std::backtrace::BacktraceStatus::Captured {
            let _ = writeln!(err, "{trace}");
        }
    }));
}

fn main() -> ExitCode {
    report_panics();
    let cli = Cli::parse();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| execute(cli.command)));
    let Ok(result) = result else {
        return ExitCode::from(Exit::Runtime as u8);
    };
    match result {
        Ok(()) => ExitCode::from(Exit::Published as u8),
        Err(e) => {
            eprintln!("kindred: error: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
