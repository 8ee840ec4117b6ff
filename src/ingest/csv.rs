//! CSV: a CSV, TSV or gzip-compressed file read in one stream into columns.
//!
//! Takes the `[input]` settings and, for the pipeline, the roles to build; returns a
//! [`CsvRead`]: the built frame (the canonical frame when each role maps its own column, else
//! text columns), the header, the mapping resolved against it, and every column's empty
//! fields. The file's text is never whole in memory: one thread reads and inflates it in
//! chunks, this one hands the text to the [`scan`] (decoding through [`decode`], NUL bytes,
//! line ends, the header, where records end, the guards), and every few megabytes of records
//! are built into columns by the [`build`] plan on the other two cores while the rest of the
//! file is still read. The twin tests here hold the stream's reading equal to polars' CSV
//! reader, and the same whatever the chunk sizes.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use crate::config::{Columns, InputConfig, Mark};
use crate::error::{InputError, Result};
use crate::roles::{DateRule, Parsed};

use super::look::{Look, Profile};
use super::magic::{self, Format};

mod build;
mod decode;
mod scan;

use build::{Part, Plan};
pub(crate) use scan::CELL_BYTES;
use scan::{Limits, Scan};

/// A CSV file read: the built columns, and what the builders counted on the way.
pub(super) struct CsvRead {
    /// With [`Roles`] whose columns are distinct: the audit's canonical frame. Otherwise text
    /// columns named as in the header.
    pub(super) frame: DataFrame,
    pub(super) header: Vec<String>,
    /// With roles: the mapping resolved against the header, and the optional roles unmapped.
    pub(super) resolved: Option<(Columns, Vec<super::Unmapped>)>,
    /// Empty fields per column, in header order (polars reads an unquoted empty field as null).
    pub(super) nulls: Vec<usize>,
    pub(super) skipped: usize,
    /// Set when `frame` is canonical: what parsing each mapped column found (the audit's
    /// `invalid` and `trimmed`).
    pub(super) found: Option<Vec<Parsed>>,
    /// Every header column at a first look, counted as its fields went by, and the first rows.
    pub(super) look: Look,
    /// What the read left out and why (lines above the header).
    pub(super) notes: Vec<String>,
    /// The delimiter set (`[input] delimiter`, a `.tsv`'s tab; `None`: sniffed).
    pub(super) set_delimiter: Option<u8>,
}

/// The roles a CSV's builders parse as they read, so the audit need not read the text again.
#[derive(Clone, Copy)]
struct Roles<'a> {
    columns: &'a Columns,
    dates: &'a DateRule,
    /// `[input] decimal`.
    decimal: Option<Mark>,
}

/// Bytes read (or inflated) from the file at a time.
const CHUNK: usize = 1 << 20;

/// Bytes of records built into columns at a time.
const PIECE: usize = 4 << 20;

/// Reads a CSV file, gzip-compressed or not, in one stream over four threads: one reads and
/// inflates the file in chunks, this one finds where records end as they arrive, and every few
/// megabytes of records are built into columns on the other two while the rest of the file is
/// still read. The file's text is never whole in memory. With `roles`, only their columns are
/// built, parsed as the audit parses them (every column as text without roles). The first
/// `head` records are kept as text for the file's look.
pub(super) fn load_csv(
    cfg: &InputConfig,
    gzip: bool,
    tab: bool,
    roles: Option<&Columns>,
    header_of: &Columns,
    head: usize,
) -> Result<CsvRead> {
    let path = &cfg.path;
    let file = std::fs::File::open(path).map_err(|source| InputError::Io { path: path.clone(), source })?;
    let source: Box<dyn Read + Send> = match gzip {
        true => Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(CHUNK, file))),
        false => Box::new(file),
    };
    let delimiter = cfg.delimiter.or(tab.then_some(b'\t'));
    let (bytes, bytes_origin) = super::bytes_limit(cfg);
    let limits = Limits { record: cfg.max_record_bytes, rows: cfg.max_rows, bytes, bytes_origin, row_bytes: 0 };
    let mut scan = Scan::new(path, cfg.encoding, delimiter, limits);
    scan.quote = cfg.quote.unwrap_or(crate::ingest::split::NO_QUOTE);
    scan.expect_header(&header_of.customer, &header_of.item);
    scan.missing = super::missing(cfg, header_of);
    scan.mapped = header_of.parsed().into_iter().cloned().collect();
    scan.builds_all = roles.is_none();
    let dates = super::date_rule(cfg);
    let roles = roles.map(|columns| Roles { columns, dates: &dates, decimal: cfg.decimal });
    stream_csv(source, gzip, scan, roles, cfg.skip_bad_rows, (CHUNK, PIECE, head))
}

/// The stream of [`load_csv`] over any source, in chunks and pieces of `(chunk, piece)` bytes
/// (tests cross every boundary with small ones), keeping the first `head` records as text;
/// `skip`: cut and count malformed rows.
fn stream_csv(
    source: impl Read + Send,
    gzip: bool,
    mut scan: Scan<'_>,
    roles: Option<Roles<'_>>,
    skip: bool,
    (chunk, piece, head): (usize, usize, usize),
) -> Result<CsvRead> {
    let path = scan.path;
    let read_error = |e: std::io::Error| match gzip {
        true => gzip_error(e, path),
        false => InputError::Io { path: path.to_path_buf(), source: e },
    };
    std::thread::scope(|s| -> Result<CsvRead> {
        let (chunks, received) = std::sync::mpsc::sync_channel(4);
        let (spent, reuse) = std::sync::mpsc::channel::<Vec<u8>>();
        s.spawn(move || read_chunks(source, chunk, chunks, reuse));
        // Built pieces' buffers come back to be filled again: fewer fresh pages to fault in.
        let (free, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        let mut text = Vec::new();
        let mut builders: Option<Builders> = None;
        let failed = loop {
            // an error in the text appended leaves the text before it, whose records are
            // still built: the first error in the file is reported, whatever the chunks
            let (eof, failed) = match received.recv() {
                Ok(Ok(chunk)) => {
                    let appended = scan.append(&mut text, &chunk);
                    let _ = spent.send(chunk);
                    (false, appended.err())
                }
                Ok(Err(e)) => (false, Some(read_error(e))),
                Err(_) => match scan.finish(&mut text) {
                    Ok(()) => (true, None),
                    Err(e) => (false, Some(e)),
                },
            };
            let failed = scan.feed(&mut text, eof).err().or(failed);
            if builders.is_none() && !scan.header.is_empty() {
                match Plan::new(&scan, roles, skip) {
                    Ok(plan) => builders = Some(Builders::start(s, plan, &free, head)),
                    // the text's own fault found in the same pass (a NUL byte: not text) comes
                    // before the header's mapping
                    Err(e) => break Some(failed.unwrap_or(e)),
                }
            }
            if let Some(b) = &mut builders {
                let last = eof || failed.is_some();
                if (last || scan.ready() >= piece) && !b.send(scan.take(&mut text, &recycled)) {
                    break None; // both builders stopped on an error, which `finish` returns
                }
            }
            if eof || failed.is_some() {
                break failed;
            }
        };
        // the stream's own fault, when it broke, comes before what its garbage made of the text
        let (broken, failed) = match failed {
            Some(e @ (InputError::Gzip { .. } | InputError::NotGzip { .. })) => (Some(e), None),
            failed => (None, failed),
        };
        let unended = scan.unended;
        let read = match builders {
            Some(b) => {
                let set_delimiter = scan.set();
                b.finish(failed, scan.header).map(|read| {
                    let notes = scan.notes.into_iter().chain(read.notes).collect();
                    CsvRead { notes, set_delimiter, ..read }
                })
            }
            None => Err(failed.unwrap_or_else(|| InputError::NoHeader { path: path.to_path_buf() })),
        };
        // A corrupt gzip stream decodes to garbage until its checksum fails at the end: a fault
        // in the text of a .gz is the stream's when the rest of it does not decompress (a flipped
        // byte was "line 5954: 5 fields where the header has 8; … skip_bad_rows": helper-126).
        // Only the text's faults: a limit reached is no reason to read a huge file to its end.
        let read = match (read, broken) {
            (_, Some(broken)) => Err(broken),
            (Err(e), None) if gzip && damage_shows_as(&e) => match received.iter().find_map(Result::err) {
                Some(broken) => Err(read_error(broken)),
                None => Err(e),
            },
            (read, None) => read,
        };
        drop(received); // the reader stops at its next chunk
        Ok(read.map_err(|e| cut_short(e, unended))?)
    })
}

/// `e` said as a file cut short when it is a fault of the record the text ends inside, without
/// a line end (`unended`, its line): a copy or transfer that stopped, or a file still being
/// written when the run began, read as "3 fields where the header has 8; … skip_bad_rows" or
/// "set quote = \"\"", advice that changes how whole files are read (helper-140).
fn cut_short(e: InputError, unended: Option<usize>) -> InputError {
    // only faults a cut makes: fewer fields, a quote left open, a character cut in two (more
    // fields, or text after a closing quote, were in the row before the cut too: helper-142)
    let at_end = |line: usize| Some(line) == unended;
    match e {
        InputError::Ragged { path, line, found, expected } if at_end(line) && found < expected => {
            let why = format!("{} where the header has {expected}", crate::words::counted(found, "field"));
            InputError::CutShort { path, line, why }
        }
        InputError::Unterminated { path, line } if at_end(line) => {
            InputError::CutShort { path, line, why: "a quoted field is never closed".into() }
        }
        InputError::Encoding { path, line } if at_end(line) => {
            let why = "bytes that are not UTF-8 text: a character cut in two, or a file in another encoding ([input] encoding)";
            InputError::CutShort { path, line, why: why.into() }
        }
        e => e,
    }
}

/// Whether `e` is a fault of a CSV's text that a corrupt compressed stream makes of it: bytes
/// that are no text or not the encoding's, a row of other fields, quotes or a record gone
/// wrong, a value that does not read. Not a limit reached, a column missing, an I/O error.
fn damage_shows_as(e: &InputError) -> bool {
    matches!(
        e,
        InputError::Encoding { .. }
            | InputError::Binary { .. }
            | InputError::NotText { .. }
            | InputError::Decode { .. }
            | InputError::RecordTooLong { .. }
            | InputError::Ragged { .. }
            | InputError::HeaderReordered { .. }
            | InputError::Unterminated { .. }
            | InputError::BadQuote { .. }
            | InputError::ColumnType { .. }
            | InputError::Parse { .. }
            | InputError::NonFinite { .. }
    )
}

/// Sends `source` in chunks of `size` bytes, refilling the buffers the scan hands back; stops
/// early when the scan has hung up (it failed).
fn read_chunks(
    mut source: impl Read,
    size: usize,
    tx: std::sync::mpsc::SyncSender<std::io::Result<Vec<u8>>>,
    reuse: std::sync::mpsc::Receiver<Vec<u8>>,
) {
    loop {
        let mut chunk = reuse.try_recv().unwrap_or_else(|_| Vec::with_capacity(size));
        chunk.clear();
        let filled = match (&mut source).take(size as u64).read_to_end(&mut chunk) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        if filled == 0 || tx.send(Ok(chunk)).is_err() || filled < size {
            return;
        }
    }
}

/// Records handed to a builder: the `index`-th piece of the file, whose first record starts on
/// `line`, holding `newlines` newlines (the scan counted them: the builder sizes its columns).
struct Piece {
    index: usize,
    line: usize,
    newlines: usize,
    text: Vec<u8>,
}

/// What a builder thread returns: the pieces it built, the error it stopped on with the
/// piece it was found in, and every column's profile over its pieces.
type Built = (Vec<Part>, Option<(usize, InputError)>, Vec<Profile>);

/// The two builder threads and the queue of pieces they share: the last pieces, queued when
/// the file ends, are built on both cores.
struct Builders<'scope> {
    queue: std::sync::mpsc::SyncSender<Piece>,
    plan: Arc<Plan>,
    threads: [std::thread::ScopedJoinHandle<'scope, Built>; 2],
    taken: usize,
    /// The first records as text (the look's head), read here before their pieces are sent.
    head: Vec<Vec<Option<String>>>,
    want: usize,
}

impl<'scope> Builders<'scope> {
    fn start<'env>(
        s: &'scope std::thread::Scope<'scope, 'env>,
        plan: Plan,
        free: &std::sync::mpsc::Sender<Vec<u8>>,
        want: usize,
    ) -> Builders<'scope> {
        let (queue, pieces) = std::sync::mpsc::sync_channel::<Piece>(2);
        let (plan, pieces) = (Arc::new(plan), Arc::new(std::sync::Mutex::new(pieces)));
        let threads = [0, 1].map(|_| {
            let (plan, pieces, free) = (plan.clone(), pieces.clone(), free.clone());
            s.spawn(move || plan.build(&pieces, &free))
        });
        Builders { queue, plan, threads, taken: 0, head: Vec::new(), want }
    }

    /// Hands on the next piece (its index is set here); false when both builders have stopped.
    /// Until the head has its rows, they are read from the piece first (pieces go in order).
    fn send(&mut self, piece: Piece) -> bool {
        if self.head.len() < self.want {
            self.plan.head(&piece.text, self.want, &mut self.head);
        }
        self.taken += 1;
        self.queue.send(Piece { index: self.taken - 1, ..piece }).is_ok()
    }

    /// Waits for the builders and returns the first error in the file (a builder's, in an
    /// earlier piece, else `failed`, this thread's, in text not handed on) or the read.
    fn finish(self, failed: Option<InputError>, header: Vec<String>) -> Result<CsvRead, InputError> {
        drop(self.queue);
        let (mut parts, mut errors, mut profiles) = (Vec::new(), Vec::new(), self.plan.profiles());
        for thread in self.threads {
            let (built, error, counted) = thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            parts.extend(built);
            errors.extend(error);
            profiles.iter_mut().zip(counted).for_each(|(p, c)| p.merge(c));
        }
        match errors.into_iter().min_by_key(|(k, _)| *k).map(|(_, e)| e).or(failed) {
            Some(e) => Err(e),
            None => self.plan.assemble(parts, header, profiles, self.head),
        }
    }
}

/// A gzip error on `path`; a file named .gz that does not start as gzip does — a Parquet file
/// or plain text written under the old name when a dump was re-configured — says what it
/// appears to be and what to do, where "truncated or corrupt" read as a transfer to retry.
fn gzip_error(e: std::io::Error, path: &Path) -> InputError {
    let format = std::fs::File::open(path).and_then(magic::head).ok().map(|head| magic::sniff(&head));
    if let Some(format) = format.filter(|&f| f != Format::Gzip) {
        let (what, todo) = match decode::not_text(format, encoding_rs::UTF_8) {
            Some(format) => decode::hint(format, false),
            None => ("text", "name it without .gz (e.g. export.csv), or compress it with gzip"),
        };
        return InputError::NotGzip { path: path.to_path_buf(), what: what.into(), todo: todo.into() };
    }
    InputError::Gzip {
        path: path.to_path_buf(),
        detail: match e.kind() {
            std::io::ErrorKind::UnexpectedEof => "the stream ends early".to_string(),
            _ => e.to_string(),
        },
    }
}

/// What the tests of the CSV reading share: the stream over small chunks and pieces, and
/// polars' reading of the same text (the twin).
#[cfg(test)]
pub(super) mod twin {
    use super::*;
    use crate::config::Encoding;
    use crate::error::Error;
    use crate::ingest::resolve_columns;
    use crate::ingest::HEAD_ROWS;

    /// Streams `text` in chunks of `chunk` bytes, building columns from pieces of `piece` bytes.
    pub(in crate::ingest) fn stream(
        text: &[u8],
        chunk: usize,
        piece: usize,
        encoding: Encoding,
        skip: bool,
    ) -> Result<CsvRead> {
        stream_limited(text, (chunk, piece), encoding, skip, Limits::NONE)
    }

    /// [`stream`] with the reader's guards.
    pub(super) fn stream_limited(
        text: &[u8],
        (chunk, piece): (usize, usize),
        encoding: Encoding,
        skip: bool,
        limits: Limits,
    ) -> Result<CsvRead> {
        let scan = Scan::new(Path::new("f.csv"), encoding, None, limits);
        stream_csv(text, false, scan, None, skip, (chunk, piece, HEAD_ROWS))
    }

    /// The stream's result is the same whatever the chunk and piece sizes (every boundary
    /// crossed, a piece per chunk or only at the end): frame, null counts, skipped rows, errors.
    pub(in crate::ingest) fn stream_all(text: &[u8], encoding: Encoding, skip: bool) -> Result<CsvRead> {
        stream_all_limited(text, encoding, skip, Limits::NONE)
    }

    /// [`stream_all`] with the reader's guards.
    pub(super) fn stream_all_limited(text: &[u8], encoding: Encoding, skip: bool, limits: Limits) -> Result<CsvRead> {
        let whole = stream_limited(text, (text.len().max(1), usize::MAX), encoding, skip, limits);
        for chunk in 1..text.len() {
            for piece in [1, 2 * chunk, usize::MAX] {
                let at = format!("chunk {chunk}, piece {piece}");
                match (&whole, stream_limited(text, (chunk, piece), encoding, skip, limits)) {
                    (Ok(a), Ok(b)) => {
                        assert!(a.frame.equals_missing(&b.frame), "{at}: {:?} vs {:?}", a.frame, b.frame);
                        assert_eq!((&a.header, &a.nulls, a.skipped), (&b.header, &b.nulls, b.skipped), "{at}");
                        // the look, counted per piece and builder and merged, and the head
                        assert_eq!(a.look, b.look, "{at}");
                    }
                    (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{at}"),
                    (a, b) => panic!("{at}: {:?} vs {:?}", a.as_ref().err(), b.err()),
                }
            }
        }
        whole
    }

    /// [`stream`] of a scan that expects a header with CustomerID and StockCode.
    fn stream_expecting(text: &[u8], (chunk, piece): (usize, usize)) -> Result<CsvRead> {
        let mut scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
        scan.expect_header("CustomerID", "StockCode");
        stream_csv(text, false, scan, None, false, (chunk, piece, HEAD_ROWS))
    }

    /// `[input] quote = ""`: a flat file whose values may start with a quote (Amazon's
    /// tab-separated reports: `"Deluxe" Mug`) reads every quote as text, as polars does
    /// without a quote character, whatever the chunks (records over 64 bytes take the block
    /// path); read with quoting, the same file is refused naming its line.
    #[test]
    fn a_file_read_without_quoting_takes_every_quote_as_text() {
        let long = "x".repeat(70);
        let text = format!(
            "sku\tproduct-name\tqty\nA\t\"Deluxe\" Mug, 12 oz\t1\nB\t5\" Tile {long}\t2\nC\t\"quoted\"\t3\nD\t\"{long}\t4\nE\tplain\t\n"
        );
        let bytes = text.as_bytes();
        let err = input_error(stream(bytes, bytes.len(), usize::MAX, Encoding::UTF8, false).err().unwrap());
        assert!(err.to_string().contains("line 2") && err.to_string().contains("[input] quote = \"\""), "{err}");
        let polars = polars_whole_quoted(bytes, b'\t', None);
        assert_eq!(texts(&polars, "product-name")[0].as_deref(), Some("\"Deluxe\" Mug, 12 oz"));
        for chunk in [1, 7, 64, bytes.len()] {
            for piece in [1, 2 * chunk, usize::MAX] {
                let mut scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
                scan.quote = crate::ingest::split::NO_QUOTE;
                let read = stream_csv(bytes, false, scan, None, false, (chunk, piece, HEAD_ROWS)).unwrap();
                assert!(read.frame.equals_missing(&polars), "{chunk} {piece}: {:?} vs {polars:?}", read.frame);
                assert_eq!(read.nulls, [0, 0, 1]);
            }
        }
        // a byte that is no UTF-8 opening a field is bad text, not a quote
        let mut scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
        scan.quote = crate::ingest::split::NO_QUOTE;
        let bad = b"sku\tname\nA\t\xffB\nC\tD\n";
        let err = input_error(
            stream_csv(&bad[..], false, scan, None, false, (bad.len(), usize::MAX, HEAD_ROWS)).err().unwrap(),
        );
        assert!(matches!(err, InputError::Encoding { line: 2, .. }), "{err}");
    }

    #[test]
    fn lines_above_the_header_are_left_unread_at_any_chunk_size() {
        let body = "InvoiceNo;StockCode;Description;Quantity;CustomerID\n1;A;\"x;\ny\";2;17850\n2;B;z;1;17851\n";
        let plain = stream(body.as_bytes(), body.len(), usize::MAX, Encoding::UTF8, false).unwrap();
        assert_eq!(plain.frame.height(), 2);
        // a title (its delimiter not the table's), a blank line, a quoted title over two
        // lines, Excel's `sep=` line, CRLF ends
        let two = "f.csv: its header is line 3; the 2 lines above it are not read";
        for (preamble, note) in [
            ("Sales report, 2011\n\n", Some(two)),
            ("\"Report, \"\"all\"\"\nshops\"\n", Some(two)),
            ("sep=;\n", Some("f.csv: its header is line 2; the line above it is not read")),
            ("Report\r\nPeriod: January, 2011\r\n", Some(two)),
            ("", None),
        ] {
            let text = format!("{preamble}{body}");
            for chunk in 1..=text.len() {
                for piece in [1, 2 * chunk, usize::MAX] {
                    let read = stream_expecting(text.as_bytes(), (chunk, piece)).unwrap();
                    let at = format!("{preamble:?}, chunk {chunk}, piece {piece}");
                    assert!(read.frame.equals_missing(&plain.frame), "{at}: {:?}", read.frame);
                    assert_eq!((&read.header, &read.nulls), (&plain.header, &plain.nulls), "{at}");
                    assert_eq!(read.notes, Vec::from_iter(note.map(String::from)), "{at}");
                }
            }
        }
        // no line has the columns, or none within the first 100 lines: the first line is the
        // header and every line after it a row, as without a mapping (the mapping's error
        // names the first line's columns), at any chunk size
        let rows = |read: &CsvRead| read.frame.height();
        let table = "CustomerID,StockCode\n1,A\n2,B\n";
        for (text, header, height) in [
            ("Title,X\na,b\n1,2\n".to_string(), ["Title", "X"], 2),
            (format!("Title,X\n{}{table}", "\n".repeat(99)), ["Title", "X"], 3),
            (format!("Title,X\n{}{table}", "\n".repeat(97)), ["CustomerID", "StockCode"], 2),
        ] {
            for chunk in [1, 2, 3, 7, 64, text.len()] {
                let read = stream_expecting(text.as_bytes(), (chunk, usize::MAX)).unwrap();
                assert_eq!(
                    (&read.header, rows(&read)),
                    (&header.map(String::from).to_vec(), height),
                    "{text:?} {chunk}"
                );
            }
        }
        let only = stream_expecting(b"Title,X\n", (3, usize::MAX)).unwrap();
        assert_eq!((only.header, only.frame.height()), (vec!["Title".to_string(), "X".to_string()], 0));
    }

    /// polars' own reading of the whole text: the twin the stream must equal.
    pub(in crate::ingest) fn polars_whole(text: &[u8]) -> DataFrame {
        polars_whole_with(text, b',')
    }

    /// polars' reading of the text, with the rule every reader applies after reading a cell
    /// (a blank or a null word is missing: [`crate::ingest::Missing`]).
    pub(in crate::ingest) fn polars_whole_with(text: &[u8], delimiter: u8) -> DataFrame {
        polars_whole_quoted(text, delimiter, Some(b'"'))
    }

    /// [`polars_whole_with`] with the quote `quote` (`None`: every quote is text).
    fn polars_whole_quoted(text: &[u8], delimiter: u8, quote: Option<u8>) -> DataFrame {
        let parse = CsvParseOptions::default().with_quote_char(quote).with_separator(delimiter);
        let frame = CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .with_parse_options(parse)
            .into_reader_with_file_handle(std::io::Cursor::new(text))
            .finish()
            .unwrap();
        crate::ingest::Missing::default().apply(frame).unwrap()
    }

    pub(in crate::ingest) fn texts(frame: &DataFrame, column: &str) -> Vec<Option<String>> {
        frame.column(column).unwrap().str().unwrap().iter().map(|v| v.map(String::from)).collect()
    }

    pub(in crate::ingest) fn input_error(e: Error) -> InputError {
        match e {
            Error::Input(e) => e,
            e => panic!("not an input error: {e}"),
        }
    }

    /// A table read as text with its roles parsed as the audit parses them (the canonical
    /// frame, and each header column's invalid count): what the stream must give with roles.
    pub(in crate::ingest) fn audited_as_text(
        text: &[u8],
        columns: &Columns,
        date_format: Option<&str>,
    ) -> Result<(DataFrame, Vec<usize>)> {
        // every column as text, as `kindred audit` reads it: the quantity's NaN left to its parser
        let mut scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
        scan.missing = crate::ingest::Missing::new(
            &crate::ingest::DEFAULT_NULL_VALUES.map(String::from),
            columns.quantity.as_deref(),
        );
        let read = stream_csv(text, false, scan, None, false, (text.len().max(1), usize::MAX, HEAD_ROWS))?;
        let (columns, _) = resolve_columns(&read.header, columns, Path::new("f.csv"), None)?;
        let (frame, found) =
            crate::roles::parse(read.frame.clone(), &columns, (&rule(date_format), None), Path::new("f.csv"))?;
        let count = |name: &String| found.iter().find(|f| f.column == *name).map_or(0, |f| f.invalid);
        Ok((frame, read.header.iter().map(count).collect()))
    }

    /// `text` streamed with `columns`' roles, dates read with `date_format`, quantities with
    /// `decimal`, in chunks and pieces of `(chunk, piece)` bytes.
    pub(in crate::ingest) fn streamed(
        text: &[u8],
        columns: &Columns,
        (date_format, decimal): (Option<&str>, Option<Mark>),
        (chunk, piece): (usize, usize),
    ) -> Result<CsvRead> {
        let scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
        let dates = rule(date_format);
        let roles = Some(Roles { columns, dates: &dates, decimal });
        stream_csv(text, false, scan, roles, false, (chunk, piece, 0))
    }

    /// Dates read with `format` (or inferred), up to a day after the clock.
    pub(in crate::ingest) fn rule(format: Option<&str>) -> DateRule {
        DateRule::new(format.map(String::from), None)
    }
}

#[cfg(test)]
mod tests {
    use super::twin::*;
    use super::*;
    use crate::config::Encoding;
    use crate::ingest::column_names;

    #[test]
    fn the_stream_reads_what_polars_reads_and_counts_its_nulls() {
        // Quoted empties, spaces, CRLF, a newline inside quotes, an escaped quote, an empty
        // last field, blank lines, no final newline: the stream's frame is polars' reading of
        // the whole text without its blank lines, and the scan's counts are polars' nulls.
        let text =
            b"id,\"name\",qty,note\r\n1,,3,\r\n\"\",\"a\nb\",,x\r\n\r\n, ,\"\",\"\"\n4,\"q,\"\"r\"\"\",5,\n\n,,,";
        let unblank = b"id,\"name\",qty,note\r\n1,,3,\r\n\"\",\"a\nb\",,x\r\n, ,\"\",\"\"\n4,\"q,\"\"r\"\"\",5,\n,,,";
        // more of what polars' reader does: a field's trailing \r is dropped, `""""` is one
        // quote, `"a"b""` drops its lone quotes, spaces and UTF-8 stay (a lone \r ends a line, as
        // in pandas: here, a blank one)
        let odd = "k,v\n\r,\"\"\"\"\r\nx, é \n\"\"\"\"\"\",\"a\"b\"\"\n";
        let read = stream_all(odd.as_bytes(), Encoding::UTF8, false).unwrap();
        let polars_odd = polars_whole(odd.as_bytes());
        assert!(read.frame.equals_missing(&polars_odd), "{:?} vs {polars_odd:?}", read.frame);
        assert_eq!(texts(&read.frame, "v"), [Some("\"".into()), Some(" é ".into()), Some("ab".into())]);
        assert_eq!(read.nulls, [1, 0]);
        // other delimiters (sniffed from the header): a comma is text, quoting the same
        for delimiter in [b';', b'\t', b'|'] {
            let d = delimiter as char;
            let text = format!("k{d}v{d}w\n1,5{d}\"a{d}b\"{d}\n{d}\"\"\"x\"\"\"{d}c,d\r\n");
            let read = stream_all(text.as_bytes(), Encoding::UTF8, false).unwrap();
            let polars = polars_whole_with(text.as_bytes(), delimiter);
            assert!(read.frame.equals_missing(&polars), "{d:?}: {:?} vs {polars:?}", read.frame);
            assert_eq!(texts(&read.frame, "v"), [Some(format!("a{d}b")), Some("\"x\"".into())]);
        }
        let csv = stream_all(text, Encoding::UTF8, false).unwrap();
        assert_eq!(csv.header, ["id", "name", "qty", "note"]);
        let polars = polars_whole(unblank);
        assert!(csv.frame.equals_missing(&polars), "{:?} vs {polars:?}", csv.frame);
        assert_eq!(texts(&csv.frame, "name")[3], Some("q,\"r\"".to_string()));
        assert_eq!(csv.nulls, polars.columns().iter().map(|c| c.null_count()).collect::<Vec<_>>());
        // the record `, ,"",""` is all missing: a blank and a quoted empty are nulls too
        assert_eq!(csv.nulls, [3, 3, 3, 4]);
        // with roles, only their columns are built
        let columns = Columns::new("qty", "id");
        let dates = rule(None);
        let roles = Some(Roles { columns: &columns, dates: &dates, decimal: None });
        let scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
        let two = stream_csv(&text[..], false, scan, roles, false, (5, 8, 2)).unwrap();
        assert_eq!(column_names(&two.frame), ["customer", "item", "quantity", "description", "date"]);
        let (audited, _) = audited_as_text(text, &columns, None).unwrap();
        assert!(two.frame.equals_missing(&audited), "{:?} vs {audited:?}", two.frame);
        assert_eq!(texts(&two.frame, "customer"), [Some("3".into()), None, None, Some("5".into()), None]);
        assert_eq!(two.nulls, csv.nulls);
        // the second role mapped to the same column: its columns as text, for the audit
        let same = Columns { description: Some("qty".into()), ..columns };
        let roles = Some(Roles { columns: &same, dates: &dates, decimal: None });
        let scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
        let text_only = stream_csv(&text[..], false, scan, roles, false, (5, 8, 2)).unwrap();
        assert_eq!((column_names(&text_only.frame), text_only.found), (vec!["id".into(), "qty".into()], None));
    }
}
