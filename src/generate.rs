//! Synthetic transactions in the Online Retail schema, for benchmarks nobody tuned to.
//!
//! The same shape as `gen_synthetic.py` of the benchmark kit: Zipf-like item popularity
//! (exponent `s`, items shuffled), customers' distinct-item counts log-normal around `basket`
//! (σ = 0.8), quantities 1..12, 2% cancellations (InvoiceNo "C…", negative quantity) and 3%
//! null CustomerIDs. Deterministic for a seed (splitmix64), not bit-identical to numpy's.

use std::path::Path;

use polars::prelude::*;

use crate::error::{ConfigError, Error, OutputError, Result};
use crate::pivot::{CustomerIds, Interactions};
use crate::words;
use crate::write::{marked_writer, meta, replace_file, KeepIoError};

/// The shape parameters of a synthetic export.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub customers: usize,
    pub items: usize,
    pub basket: f64,
    pub s: f64,
    pub seed: u64,
}

impl Shape {
    /// The shape as the export's footer marks it ([`meta::GENERATED`]).
    fn mark(&self) -> String {
        let Shape { customers, items, basket, s, seed } = self;
        format!("customers={customers} items={items} basket={basket} s={s} seed={seed}")
    }

    /// A shape with 1 to [`MAX_CUSTOMERS`] customers and 1 to [`MAX_ITEMS`] items, a finite mean
    /// basket from 1 item to the catalogue, and a Zipf exponent from 0 (uniform) to 10 (one item
    /// takes nearly every purchase); anything else is an error naming the argument.
    pub fn new(customers: usize, items: usize, basket: f64, s: f64, seed: u64) -> Result<Shape, ConfigError> {
        let wrong = |key: &str, rule: String| Err(ConfigError::Invalid { key: key.into(), message: rule });
        if !(1..=MAX_CUSTOMERS).contains(&customers) {
            return wrong("customers", format!("must be 1 to {MAX_CUSTOMERS}, got {customers}"));
        }
        if !(1..=MAX_ITEMS).contains(&items) {
            return wrong("items", format!("must be 1 to {MAX_ITEMS}, got {items}"));
        }
        if !(basket.is_finite() && basket >= 1.0 && basket <= items as f64) {
            return wrong("basket", format!("must be a number from 1 to items ({items}), got {basket}"));
        }
        if !(0.0..=10.0).contains(&s) {
            return wrong("--s", format!("must be from 0 to 10, got {s}"));
        }
        Ok(Shape { customers, items, basket, s, seed })
    }

    /// The invoice lines expected: a customer draws exp(ln basket + 0.8 Z) lines, whose mean is
    /// basket × e^0.32 (1,348,855 drawn for 50,000 customers at basket 20: 1.35 × 20 each).
    pub fn expected_rows(&self) -> f64 {
        self.customers as f64 * self.basket * (0.32f64).exp()
    }
}

/// The most customers a synthetic export has: 100 million (customer positions are u32, and
/// `bench` holds the whole matrix in memory).
pub const MAX_CUSTOMERS: usize = 100_000_000;

/// The most items: 10 million (the popularity table is one f64 per item).
pub const MAX_ITEMS: usize = 10_000_000;

/// splitmix64: small, fast, good enough for benchmark data (and the tests' planted shops).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let (u, v) = (1.0 - self.unit(), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// One invoice line before it becomes a row: (customer index, item, quantity).
type Line = (u32, u32, i64);

/// Customers generated, framed and written at a time by [`write`]: ~1.3M rows at basket 20,
/// so a million customers never sit whole in memory; fewer at a larger basket
/// ([`batch_customers`]).
const BATCH_CUSTOMERS: usize = 50_000;

/// Customers a batch of `shape` holds: [`BATCH_CUSTOMERS`], fewer when its basket is above
/// 20, so that a batch holds at most the rows 50,000 customers draw at basket 20 (~1.4M), at
/// least one customer: at a basket of 10 million a batch of 50,000 customers was 7 × 10^11
/// lines, and memory grew until killed.
fn batch_customers(shape: &Shape) -> usize {
    ((BATCH_CUSTOMERS as f64 * 20.0 / shape.basket) as usize).clamp(1, BATCH_CUSTOMERS)
}

/// The fewest bytes a row takes written (measured: 16–19 B in Parquet, 76 B in CSV): an export
/// estimated past the free space at its path is refused before any is written.
const LEAST_ROW_BYTES: [f64; 2] = [12.0, 50.0];

/// Refuses a shape whose export cannot fit the free space of the folder `path` is written to
/// (`free`: bytes there, when known), before hours of writing end in a full disk.
fn check_size(shape: &Shape, parquet: bool, free: Option<u64>) -> Result<()> {
    let rows = shape.expected_rows();
    let least = rows * LEAST_ROW_BYTES[!parquet as usize];
    match free {
        Some(free) if least > free as f64 => Err(ConfigError::Invalid {
            key: "customers × basket".into(),
            message: format!(
                "about {rows:.3e} rows, at least {} as {}, more than the {} free where it is written: ask for fewer customers or a smaller basket",
                words::size(least as u64),
                if parquet { "Parquet" } else { "CSV" },
                words::size(free)
            ),
        }
        .into()),
        _ => Ok(()),
    }
}

/// The bytes free to this user in the folder holding `path` (`statvfs`), when it can be read.
fn free_bytes(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let c = std::ffi::CString::new(parent.as_os_str().as_bytes()).ok()?;
    // SAFETY: a NUL-terminated path and a zeroed struct statvfs fills.
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    (unsafe { libc::statvfs(c.as_ptr(), &mut stat) } == 0).then(|| stat.f_bavail as u64 * stat.f_frsize as u64)
}

/// Rows per Parquet row group: polars' default (512²).
const ROW_GROUP: usize = 512 * 512;

/// The invoice lines, customer after customer, as one stream of draws: taking them in batches
/// gives the same lines as taking them at once.
struct Lines {
    rng: Rng,
    cumulative: Vec<f64>,
    perm: Vec<u32>,
    basket_ln: f64,
    next: usize,
    customers: usize,
}

impl Lines {
    fn new(shape: &Shape) -> Lines {
        let mut rng = Rng(shape.seed);
        let mut cumulative = Vec::with_capacity(shape.items);
        let mut total = 0.0;
        for i in 1..=shape.items {
            total += 1.0 / (i as f64).powf(shape.s);
            cumulative.push(total);
        }
        let mut perm: Vec<u32> = (0..shape.items as u32).collect();
        for k in (1..perm.len()).rev() {
            perm.swap(k, rng.below(k + 1));
        }
        Lines { rng, cumulative, perm, basket_ln: shape.basket.ln(), next: 0, customers: shape.customers }
    }

    /// The lines of the next `n` customers (fewer at the end) into `out`; false when none are left.
    fn next_customers(&mut self, n: usize, out: &mut Vec<Line>) -> bool {
        out.clear();
        let end = (self.next + n).min(self.customers);
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let items = self.cumulative.len();
        for c in self.next..end {
            let size = ((self.basket_ln + 0.8 * self.rng.normal()).exp() as usize).max(1);
            for _ in 0..size {
                let u = self.rng.unit() * total;
                let rank = self.cumulative.partition_point(|&x| x < u).min(items - 1);
                let mut qty = 1 + self.rng.below(12) as i64;
                if self.rng.unit() < 0.02 {
                    qty = -qty;
                }
                out.push((c as u32, self.perm[rank], qty));
            }
        }
        let any = end > self.next;
        self.next = end;
        any
    }
}

fn lines(shape: &Shape) -> Vec<Line> {
    let mut out = Vec::new();
    Lines::new(shape).next_customers(shape.customers, &mut out);
    out
}

/// The draws of one row beyond its line, in the order [`transactions`] and [`matrix`] both
/// take them, so the two agree on which customers are null.
struct RowDraw {
    invoice: usize,
    has_customer: bool,
    day_fraction: f64,
    price: f64,
}

impl RowDraw {
    fn rng(shape: &Shape) -> Rng {
        Rng(shape.seed ^ 0xA5A5_A5A5)
    }

    fn next(rng: &mut Rng) -> RowDraw {
        RowDraw {
            invoice: 500_000 + rng.below(400_000),
            has_customer: rng.unit() >= 0.03,
            day_fraction: rng.unit(),
            price: (rng.unit() * 800.0).round() / 100.0,
        }
    }
}

/// The lines as a frame in the Online Retail schema, taking their row draws from `rng`.
fn frame(lines: &[Line], rng: &mut Rng) -> Result<DataFrame> {
    let n = lines.len();
    let mut invoice = Vec::with_capacity(n);
    let mut customer = Vec::with_capacity(n);
    let mut date = Vec::with_capacity(n);
    let mut price = Vec::with_capacity(n);
    let year_start = 1_704_067_200_000i64; // 2024-01-01 in ms
    for &(c, _, q) in lines {
        let draw = RowDraw::next(rng);
        let number = draw.invoice;
        invoice.push(if q < 0 { format!("C{number}") } else { number.to_string() });
        customer.push(draw.has_customer.then_some(100_000.0 + c as f64));
        date.push(year_start + (draw.day_fraction * 365.0 * 86_400_000.0) as i64);
        price.push(draw.price);
    }
    let stock: Vec<String> = lines.iter().map(|l| format!("S{}", l.1)).collect();
    let description: Vec<String> = lines.iter().map(|l| format!("ITEM {}", l.1)).collect();
    let quantity: Vec<i64> = lines.iter().map(|l| l.2).collect();
    let date = Column::new("InvoiceDate".into(), date)
        .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))
        .map_err(Error::frame("generate"))?;
    DataFrame::new(
        n,
        vec![
            Column::new("InvoiceNo".into(), invoice),
            Column::new("StockCode".into(), stock),
            Column::new("Description".into(), description),
            Column::new("Quantity".into(), quantity),
            date,
            Column::new("UnitPrice".into(), price),
            Column::new("CustomerID".into(), customer),
            Column::new("Country".into(), vec!["United Kingdom"; n]),
        ],
    )
    .map_err(Error::frame("generate"))
}

/// The transactions as one frame in the Online Retail schema (what [`write`] writes in batches).
pub fn transactions(shape: &Shape) -> Result<DataFrame> {
    frame(&lines(shape), &mut RowDraw::rng(shape))
}

/// Writes the synthetic export to `.parquet` or `.csv` (`.csv.gz` is refused: use parquet),
/// generated and written `BATCH_CUSTOMERS` customers at a time into a hidden file beside `path`
/// that is renamed over it once complete: a failed or killed run leaves no half-written export.
pub fn write(shape: &Shape, path: &Path) -> Result<usize> {
    write_batched(shape, path, batch_customers(shape), ROW_GROUP)
}

fn write_batched(shape: &Shape, path: &Path, batch: usize, row_group: usize) -> Result<usize> {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let parquet = name.ends_with(".parquet");
    if !parquet && !name.ends_with(".csv") {
        return Err(OutputError::Format { path: path.to_path_buf() }.into());
    }
    check_target(path)?;
    check_size(shape, parquet, free_bytes(path))?;
    let polars_error = |e: PolarsError| OutputError::Parquet { path: path.to_path_buf(), detail: e.to_string() };
    replace_file(path, |file| {
        let schema = frame(&[], &mut RowDraw::rng(shape))?.schema().as_ref().clone();
        let mark = parquet.then(|| shape.mark());
        // the file's own I/O error, which polars words as a malformed file ("File out of
        // specification: underlying IO error: File too large"), is said as the write's
        let mut out = KeepIoError::new(file);
        let written = (|| {
            let mut writer = Batched::new(&mut out, mark, &schema, row_group).map_err(polars_error)?;
            let (mut lines, mut draws, mut rows) = (Lines::new(shape), RowDraw::rng(shape), 0);
            let mut chunk = Vec::new();
            while lines.next_customers(batch, &mut chunk) {
                let batch = frame(&chunk, &mut draws)?;
                rows += batch.height();
                writer.write(&batch).map_err(polars_error)?;
            }
            writer.finish().map_err(polars_error)?;
            Ok(rows)
        })();
        written.map_err(|e| out.io_error(path).unwrap_or(e))
    })
}

/// Refuses to replace what `generate` cannot prove it wrote: an entry at `path` is replaced
/// only when it is a regular Parquet file whose footer carries [`meta::GENERATED`] (a CSV
/// carries no mark; a person's export of the same columns, a published table, a link or a
/// folder are left as they are).
fn check_target(path: &Path) -> Result<()> {
    let marked = |path: &Path| crate::write::footer_value(path, meta::GENERATED).is_some();
    match crate::publish::foreign(path, marked)? {
        None => Ok(()),
        Some(found) => Err(OutputError::NotGenerated { path: path.to_path_buf(), found }.into()),
    }
}

/// polars' batched Parquet or CSV writer over one file.
enum Batched<W: std::io::Write> {
    Parquet { writer: Box<polars::io::parquet::write::BatchedWriter<W>>, row_group: usize },
    // unbuffered: polars serialises rows into its own buffers and writes them whole
    Csv(polars::io::csv::write::BatchedWriter<W>),
}

impl<W: std::io::Write> Batched<W> {
    /// Parquet, its footer marked with `mark` ([`meta::GENERATED`]), when there is one; CSV
    /// without.
    fn new(file: W, mark: Option<String>, schema: &Schema, row_group: usize) -> PolarsResult<Batched<W>> {
        Ok(match mark {
            Some(mark) => {
                let writer = marked_writer(file, schema, meta::GENERATED, mark).batched(schema)?;
                Batched::Parquet { writer: Box::new(writer), row_group }
            }
            None => Batched::Csv(CsvWriter::new(file).batched(schema)?),
        })
    }

    fn write(&mut self, batch: &DataFrame) -> PolarsResult<()> {
        match self {
            // row groups of at most `row_group` rows, as a one-shot write cuts them
            Batched::Parquet { writer, row_group } => (0..batch.height())
                .step_by(*row_group)
                .try_for_each(|at| writer.write_batch(&batch.slice(at as i64, *row_group))),
            Batched::Csv(writer) => writer.write_batch(batch),
        }
    }

    /// Writes the footer (Parquet) or the header of an empty file (CSV) and closes the file.
    fn finish(self) -> PolarsResult<()> {
        match self {
            Batched::Parquet { writer, .. } => writer.finish().map(|_| ()),
            Batched::Csv(mut writer) => writer.finish(),
        }
    }
}

/// The cleaned purchase matrix of the same data, built directly (no text, no frame): what the
/// pivot stage would produce, for benchmarking the model stages at a million customers.
pub fn matrix(shape: &Shape) -> Interactions {
    let mut rng = RowDraw::rng(shape);
    let mut pairs: Vec<u64> = lines(shape)
        .into_iter()
        .filter(|&(_, _, q)| RowDraw::next(&mut rng).has_customer && q > 0)
        .map(|(c, i, _)| (c as u64) << 32 | i as u64)
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut used_c = vec![false; shape.customers];
    let mut used_i = vec![false; shape.items];
    for &p in &pairs {
        used_c[(p >> 32) as usize] = true;
        used_i[(p & 0xFFFF_FFFF) as usize] = true;
    }
    // Item ids "S<n>" sort by bytes, not by n: renumber to keep CSR indices in id order.
    let mut item_ids: Vec<(String, u32)> =
        (0..shape.items as u32).filter(|&i| used_i[i as usize]).map(|i| (format!("S{i}"), i)).collect();
    item_ids.sort();
    let mut item_rank = vec![0u32; shape.items];
    for (r, (_, i)) in item_ids.iter().enumerate() {
        item_rank[*i as usize] = r as u32;
    }
    let mut customer_rank = vec![0u32; shape.customers];
    let mut customers = Vec::new();
    for (c, &u) in used_c.iter().enumerate() {
        if u {
            customer_rank[c] = customers.len() as u32;
            customers.push(100_000 + c as i64);
        }
    }
    let mut indptr = vec![0usize; customers.len() + 1];
    let mut rows: Vec<(u32, u32)> =
        pairs.iter().map(|&p| (customer_rank[(p >> 32) as usize], item_rank[(p & 0xFFFF_FFFF) as usize])).collect();
    rows.sort_unstable();
    for &(c, _) in &rows {
        indptr[c as usize + 1] += 1;
    }
    for c in 0..customers.len() {
        indptr[c + 1] += indptr[c];
    }
    Interactions {
        customers: CustomerIds::Int(customers),
        descriptions: item_ids.iter().map(|(_, i)| Some(format!("ITEM {i}"))).collect(),
        items: item_ids.into_iter().map(|(s, _)| s).collect(),
        indices: rows.iter().map(|&(_, i)| i).collect(),
        quantity: vec![1.0; rows.len()],
        last: vec![i64::MIN; rows.len()],
        indptr,
        dates: Default::default(),
        segments: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_is_what_the_pipeline_pivots_from_the_table() {
        let shape = Shape { customers: 300, items: 80, basket: 6.0, s: 0.9, seed: 3 };
        let frame = transactions(&shape).unwrap();
        let overrides = crate::config::Overrides { input: Some("x.csv".into()), ..Default::default() };
        let columns = crate::config::Config::build(Default::default(), Path::new("."), &overrides).unwrap().columns;
        let table = crate::ingest::Table::new(frame, columns, Path::new("x"), crate::roles::DateRule::new(None, None));
        let (canonical, _) = crate::audit::run(table).unwrap();
        let cfg = crate::config::CleanConfig { min_quantity: Some(1.0), ..Default::default() };
        let (cleaned, _) = crate::clean::run(canonical, &cfg).unwrap();
        let (pivoted, _) =
            crate::pivot::run(cleaned, crate::pivot::IdTyping::AUTO, std::path::Path::new("generated")).unwrap();
        let direct = matrix(&shape);
        assert_eq!(pivoted.customers, direct.customers);
        assert_eq!(pivoted.items, direct.items);
        assert_eq!(pivoted.indptr, direct.indptr);
        assert_eq!(pivoted.indices, direct.indices);
        assert!(direct.n_pairs() > 1000);
    }

    #[test]
    fn written_in_batches_is_the_whole_frame() {
        let shape = Shape { customers: 230, items: 50, basket: 5.0, s: 0.9, seed: 11 };
        let mut whole = transactions(&shape).unwrap();
        let dir = tempfile::tempdir().unwrap();
        // batches of 7 customers: 33 batches, the last one short; row groups of 13 rows
        let csv = dir.path().join("syn.csv");
        assert_eq!(write_batched(&shape, &csv, 7, 13).unwrap(), whole.height());
        let mut expected = Vec::new();
        CsvWriter::new(&mut expected).finish(&mut whole).unwrap();
        assert_eq!(std::fs::read(&csv).unwrap(), expected);
        let pq = dir.path().join("syn.parquet");
        assert_eq!(write_batched(&shape, &pq, 7, 13).unwrap(), whole.height());
        let mut reader = ParquetReader::new(std::fs::File::open(&pq).unwrap());
        let groups = reader.get_metadata().unwrap().row_groups.iter().map(|g| g.num_rows()).collect::<Vec<_>>();
        assert!(groups.iter().all(|&n| n <= 13) && groups.len() > 33, "{groups:?}");
        let back = reader.finish().unwrap();
        assert!(back.equals_missing(&whole));
        assert!(whole.height() > 1000);
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names.len(), 2, "no temporary file is left: {names:?}");
    }

    /// Session 36: `generate huge.parquet 100000000 10000000 10000000` was accepted, each
    /// argument in range, and grew memory until killed (a batch of 50,000 customers of ten
    /// million lines each). A batch now holds ~1.4M rows whatever the basket, and an export
    /// past the free space is refused before any is written.
    #[test]
    fn a_batch_holds_a_bounded_number_of_rows_and_a_shape_past_the_disk_is_refused() {
        let shape = |customers: usize, basket: f64| Shape::new(customers, 10_000_000, basket, 0.9, 7).unwrap();
        assert_eq!(batch_customers(&shape(1_000_000, 20.0)), BATCH_CUSTOMERS, "the measured batch kept");
        assert_eq!(batch_customers(&shape(100, 10_000_000.0)), 1);
        assert_eq!(batch_customers(&shape(100, 2_000.0)), 500);
        let huge = shape(100_000_000, 10_000_000.0);
        let err = check_size(&huge, true, Some(500_000_000_000)).unwrap_err().to_string();
        assert!(
            err.contains("customers × basket") && err.contains("1.377e15 rows") && err.contains("500.0 GB free"),
            "{err}"
        );
        assert!(check_size(&huge, true, None).is_ok(), "free space unknown: not refused");
        assert!(check_size(&shape(1_000_000, 20.0), true, Some(1_000_000_000)).is_ok(), "0.33 GB fits 1 GB");
        assert!(check_size(&shape(1_000_000, 20.0), false, Some(1_000_000_000)).is_err(), "1.4 GB of CSV does not");
        assert!(free_bytes(Path::new("x.parquet")).is_some_and(|b| b > 0));
    }

    #[test]
    fn a_failed_write_leaves_no_file() {
        let shape = Shape { customers: 20, items: 10, basket: 3.0, s: 0.9, seed: 1 };
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("syn.csv.gz");
        assert!(write(&shape, &gz).unwrap_err().to_string().contains("write .parquet or .csv"));
        let missing = dir.path().join("no-such-folder").join("syn.parquet");
        assert!(write(&shape, &missing).is_err());
        // an existing export is not replaced by a failed one
        let pq = dir.path().join("syn.parquet");
        write(&shape, &pq).unwrap();
        let previous = std::fs::read(&pq).unwrap();
        let hidden = dir.path().join(format!(".syn.parquet.{}.part", std::process::id()));
        std::fs::create_dir(&hidden).unwrap();
        assert!(write(&shape, &pq).is_err());
        assert_eq!(std::fs::read(&pq).unwrap(), previous);
        // a link at the hidden name is not followed: its target is not truncated
        std::fs::remove_dir(&hidden).unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        std::os::unix::fs::symlink(&victim, &hidden).unwrap();
        assert!(write(&shape, &pq).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert_eq!(std::fs::read(&pq).unwrap(), previous);
    }

    #[test]
    fn only_an_export_it_marked_is_replaced() {
        let shape = Shape { customers: 20, items: 10, basket: 3.0, s: 0.9, seed: 1 };
        let dir = tempfile::tempdir().unwrap();
        // its own Parquet, marked in the footer: replaced
        let pq = dir.path().join("syn.parquet");
        write(&shape, &pq).unwrap();
        let mark = crate::write::footer_value(&pq, meta::GENERATED).unwrap();
        assert_eq!(mark, "customers=20 items=10 basket=3 s=0.9 seed=1");
        write(&Shape { seed: 2, ..shape }, &pq).unwrap();
        assert!(crate::write::footer_value(&pq, meta::GENERATED).unwrap().ends_with("seed=2"));
        // anything else is left as it is: a person's export of the same columns (a Parquet
        // without the mark, a CSV), a link, a folder
        let theirs = dir.path().join("export.parquet");
        let mut frame = transactions(&shape).unwrap();
        ParquetWriter::new(std::fs::File::create(&theirs).unwrap()).finish(&mut frame).unwrap();
        let csv = dir.path().join("export.csv");
        std::fs::write(&csv, "InvoiceNo,StockCode\n1,A\n").unwrap();
        let link = dir.path().join("link.parquet");
        std::os::unix::fs::symlink(&pq, &link).unwrap();
        let folder = dir.path().join("folder.parquet");
        std::fs::create_dir(&folder).unwrap();
        for (path, found) in [(&theirs, "a file"), (&csv, "a file"), (&link, "a link to "), (&folder, "a folder")] {
            let before = std::fs::symlink_metadata(path).unwrap().modified().unwrap();
            let err = write(&shape, path).unwrap_err().to_string();
            assert!(err.contains(&format!("is {found}")) && err.contains("did not write"), "{err}");
            assert_eq!(std::fs::symlink_metadata(path).unwrap().modified().unwrap(), before);
        }
        assert_eq!(std::fs::read_to_string(&csv).unwrap(), "InvoiceNo,StockCode\n1,A\n");
    }
}
