//! Scan: the CSV's text as it arrives, cut into whole records for the builders.
//!
//! Takes the chunks the reader thread sends; returns the header and pieces of whole records
//! with the line each starts on. On the way it decodes the text ([`Decode`]: a BOM, any WHATWG
//! encoding, and files that are not text told by their first bytes), refuses NUL bytes, reads
//! old Mac line ends (CR only) as line ends, sniffs the delimiter, reads the header as a record
//! (duplicate names refused) and finds where records end, quote-aware, so a builder never gets
//! half a record and every error names its line. Each byte is looked at once: the quote state
//! of a record not ended yet is kept from one chunk to the next, never found again from the
//! record's start, so the time is linear in the file whatever its records' lengths. A record
//! longer than `[input] max_record_bytes` (a quote never closed, a file without line ends)
//! fails naming its line, as do more rows than `max_rows` and more text than `max_bytes`.

use std::path::Path;
use std::sync::mpsc::Receiver;

use super::decode::{self, Decode, Failure};
use super::Piece;
use crate::config::Encoding;
use crate::error::InputError;
use crate::ingest::split::{field_value, split_record, Quotes, Step};
use crate::ingest::{absent, title_note, unique_header, Missing, TITLE_LINES};

/// The reader's guards; 0 is no limit.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// Bytes of text of one record (the header too).
    pub(super) record: usize,
    /// Records that are not blank.
    pub(super) rows: usize,
    /// Bytes of text, decompressed and decoded, and where the figure came from; also of the
    /// columns built, at `row_bytes` a row (see [`CELL_BYTES`]; set when the header is read).
    pub(super) bytes: u64,
    pub(super) bytes_origin: &'static str,
    pub(super) row_bytes: u64,
}

/// About what one value of a built column holds (a text view is 16 bytes, a number 8 and its
/// validity): the columns built hold about as much as the text for a table of values, but
/// far more for one of empty fields (100 MB of `,,,,,,,` rows took 830 MB, 66 a row, in a run
/// building 5 columns; 1.6 GB, 129 a row, in `kindred audit` building all 8).
pub(crate) const CELL_BYTES: u64 = 16;

impl Limits {
    #[cfg(test)]
    pub(super) const NONE: Limits = Limits { record: 0, rows: 0, bytes: 0, bytes_origin: "", row_bytes: 0 };
}

/// How the file's lines end, told by its first line end: `\n` (or `\r\n`), or `\r` alone.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ends {
    Unknown,
    Lf,
    Cr,
}

/// The pass over the first line, resumable: how far it has got, whether inside quotes, and
/// the candidate delimiters `,` `;` tab `|` counted outside them.
#[derive(Default)]
struct FirstLine {
    at: usize,
    quoted: bool,
    counts: [usize; 4],
}

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

impl FirstLine {
    /// Follows the first line on into `text`; how lines end once its end is found (at `eof`
    /// a file of one line ends as `\n` does).
    fn advance(&mut self, text: &[u8], eof: bool, quote: u8) -> Option<Ends> {
        while let Some(&b) = text.get(self.at) {
            match b {
                _ if b == quote => self.quoted = !self.quoted,
                b'\n' if !self.quoted => return Some(Ends::Lf),
                b'\r' if !self.quoted => match text.get(self.at + 1) {
                    Some(b'\n') => return Some(Ends::Lf),
                    Some(_) => return Some(Ends::Cr),
                    None => return eof.then_some(Ends::Lf), // else the next byte tells
                },
                _ if !self.quoted => {
                    if let Some(k) = CANDIDATES.iter().position(|&c| c == b) {
                        self.counts[k] += 1;
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
        eof.then_some(Ends::Lf)
    }

    /// The most frequent candidate outside quotes (`,` when none).
    fn delimiter(&self) -> u8 {
        let best = (0..4).max_by_key(|&k| (self.counts[k], std::cmp::Reverse(k))).unwrap_or(0);
        if self.counts[best] == 0 {
            b','
        } else {
            CANDIDATES[best]
        }
    }
}

/// Old Mac line ends: each `\r` of `text[from..]` becomes `\n`, and a `\n` right after a `\r`
/// (CRLF, also when a chunk's end falls between them: `after_cr`) is dropped.
fn cr_to_lf(text: &mut Vec<u8>, from: usize, after_cr: &mut bool) {
    let (mut read, mut write) = (from, from);
    while let Some(k) = memchr::memchr2(b'\r', b'\n', &text[read..]) {
        let at = read + k;
        let (b, crlf) = (text[at], k == 0 && *after_cr);
        text.copy_within(read..at, write);
        write += k;
        if !(b == b'\n' && crlf) {
            text[write] = b'\n';
            write += 1;
        }
        *after_cr = b == b'\r';
        read = at + 1;
    }
    if read < text.len() {
        *after_cr = false;
        text.copy_within(read.., write);
        write += text.len() - read;
    }
    text.truncate(write);
}

/// Lines that end in LF (or CRLF) and, further on, in CR alone (two exports joined, a tool that
/// mixes them): a `\r` not followed by `\n` in `text[from..]` becomes `\n`, in place, as pandas,
/// Python's `csv` and Excel read it (a CRLF is left to the records' readers, which drop its `\r`).
/// A `\r` ending the text before `eof` waits in `pending` for the byte after it.
fn lone_cr_to_lf(text: &mut Vec<u8>, from: usize, pending: &mut bool, eof: bool) {
    if std::mem::take(pending) {
        match text.get(from) {
            Some(b'\n') => text.insert(from, b'\r'),
            Some(_) => text.insert(from, b'\n'),
            None if eof => text.push(b'\n'),
            None => {
                *pending = true;
                return;
            }
        }
    }
    let mut i = from;
    while let Some(k) = memchr::memchr(b'\r', &text[i..]) {
        let at = i + k;
        match text.get(at + 1) {
            Some(b'\n') => {}
            Some(_) => text[at] = b'\n',
            None if eof => text[at] = b'\n',
            None => {
                text.pop();
                *pending = true;
                break;
            }
        }
        i = at + 1;
    }
}

/// Follows a record holding a quote through `bytes` from the quote state `quotes`: the index
/// of its closing newline, or `None` when it does not end in `bytes`. Inside quotes only a
/// quote can change anything, so it jumps from quote to quote.
fn follow(quotes: &mut Quotes, bytes: &[u8], delimiter: u8) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        if quotes.inside {
            i += memchr::memchr(quotes.quote, &bytes[i..])?;
        }
        if quotes.step(bytes[i], delimiter) == Step::Newline && !quotes.inside {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// This thread's pass over the text as it arrives: decodes it, refuses NUL bytes, reads CR
/// line ends, reads the header (duplicate names refused) and finds where records end,
/// quote-aware and in one pass, so the builders get whole records with the line each piece
/// starts on. A quote never closed, a record over the limit, too many rows or too much text
/// fail naming their line.
pub(super) struct Scan<'a> {
    pub(super) path: &'a Path,
    decode: Decode,
    limits: Limits,
    pub(super) delimiter: Option<u8>,
    ends: Ends,
    first: FirstLine,
    /// The text so far ends with a `\r` (CR line ends: a `\n` next is the same line end).
    after_cr: bool,
    /// LF line ends: a `\r` that ended the text, held back until the byte after it tells
    /// whether it ends a line alone ([`lone_cr_to_lf`]).
    pending_cr: bool,
    pub(super) header: Vec<String>,
    /// The line of the text's last record when the text ends inside it, without a line end
    /// (a file cut short, or still being written): a fault found there is said as that.
    pub(super) unended: Option<usize>,
    /// The current record's first byte and its line; how far it has been scanned, and its
    /// quote state there once a quote was found in it.
    pos: usize,
    line: usize,
    at: usize,
    quotes: Option<Quotes>,
    /// The first byte of the records not yet taken and its line, and the lines before the text.
    start: usize,
    start_line: usize,
    lines_before: usize,
    /// Records that are not blank, and bytes of text, so far.
    rows: usize,
    bytes: u64,
    /// The customer and item columns a header must have (with roles): records above the first
    /// one that has them are a preamble (a report's title), not read; the first record's names,
    /// kept for the error when no record has them; why the records above were left.
    wanted: Option<[String; 2]>,
    first_names: Option<Vec<String>>,
    pub(super) notes: Vec<String>,
    /// The delimiter is sniffed again from the next line (after a preamble line).
    resniff: bool,
    /// The delimiter was set (`[input] delimiter`), not sniffed.
    given_delimiter: bool,
    /// Where the first record ended (byte, next line) and the delimiter it was read with: when
    /// no record has the wanted columns, the first is the header and the records are read
    /// again from there (`rescan`).
    first_end: Option<(usize, usize, Option<u8>)>,
    rescan: bool,
    /// Which fields hold no value (the builders read them as null).
    pub(super) missing: Missing,
    /// The columns the pipeline maps: a name there twice is refused, not renamed.
    pub(super) mapped: Vec<String>,
    /// Every column is built (`kindred audit`), not only the mapped ones: what a row costs
    /// (`Limits::row_bytes`, set with the header).
    pub(super) builds_all: bool,
    /// The quote (`[input] quote`; [`NO_QUOTE`]: none).
    pub(super) quote: u8,
}

impl<'a> Scan<'a> {
    /// The delimiter set (`[input] delimiter`, a `.tsv`'s tab), not sniffed.
    pub(super) fn set(&self) -> Option<u8> {
        self.delimiter.filter(|_| self.given_delimiter)
    }

    pub(super) fn new(path: &'a Path, encoding: Encoding, delimiter: Option<u8>, limits: Limits) -> Self {
        Scan {
            path,
            decode: Decode::new(encoding.0),
            limits,
            delimiter,
            ends: Ends::Unknown,
            first: FirstLine::default(),
            after_cr: false,
            pending_cr: false,
            header: Vec::new(),
            unended: None,
            pos: 0,
            line: 1,
            at: 0,
            quotes: None,
            start: 0,
            start_line: 1,
            lines_before: 0,
            rows: 0,
            bytes: 0,
            wanted: None,
            first_names: None,
            notes: Vec::new(),
            resniff: false,
            given_delimiter: delimiter.is_some(),
            first_end: None,
            rescan: false,
            missing: Missing::default(),
            mapped: Vec::new(),
            builds_all: true,
            quote: b'"',
        }
    }

    /// The header is the first record with columns `customer` and `item` (as
    /// [`crate::ingest::find_column`] finds them), within [`TITLE_LINES`] lines.
    pub(super) fn expect_header(&mut self, customer: &str, item: &str) {
        self.wanted = Some([customer.to_string(), item.to_string()]);
    }

    /// Appends a chunk of the file to `text`, decoded.
    pub(super) fn append(&mut self, text: &mut Vec<u8>, chunk: &[u8]) -> Result<(), InputError> {
        let from = text.len();
        let decoded = self.decode.push(chunk, text, false);
        self.appended(text, from, decoded, false)
    }

    /// The file has ended: appends what the decoder still holds; notes a file that reads as
    /// UTF-8 under a single-byte encoding ([`Decode::utf8_text`]).
    pub(super) fn finish(&mut self, text: &mut Vec<u8>) -> Result<(), InputError> {
        let from = text.len();
        let decoded = self.decode.push(&[], text, true);
        self.appended(text, from, decoded, true)?;
        if let Some((line, c)) = self.decode.utf8_text() {
            let encoding = self.decode.encoding();
            let utf8 = c.to_string();
            let read = encoding.decode_without_bom_handling(utf8.as_bytes()).0.into_owned();
            let name = encoding.name().to_ascii_lowercase();
            self.notes.push(format!(
                "{}: every byte is valid UTF-8, read as {name} ([input] encoding): line {line}'s '{read}' is '{utf8}' in UTF-8; if the export is UTF-8 (Excel's \"CSV UTF-8\"), set [input] encoding = \"utf-8\" (the default), else its names read as they should",
                self.path.display()
            ));
        }
        Ok(())
    }

    /// Checks the text appended from `from`, after its line ends are read. On an error the
    /// text is cut where the problem starts (the records before it can still be built, so
    /// errors are reported in file order whatever the chunks).
    fn appended(
        &mut self,
        text: &mut Vec<u8>,
        from: usize,
        decoded: Result<(), Failure>,
        eof: bool,
    ) -> Result<(), InputError> {
        // bytes as decoded (a `\r` held back is counted as it comes), CR line ends as read
        let decoded_len = text.len() - from;
        match self.ends {
            Ends::Cr => cr_to_lf(text, from, &mut self.after_cr),
            Ends::Lf => lone_cr_to_lf(text, from, &mut self.pending_cr, eof),
            Ends::Unknown => {}
        }
        let added = if self.ends == Ends::Lf { decoded_len } else { text.len() - from };
        self.bytes += added as u64;
        let path = self.path.to_path_buf();
        if let Err(Failure::NotText(kind)) = decoded {
            let gz = self.path.extension().is_some_and(|e| e.eq_ignore_ascii_case("gz"));
            let (what, todo) = decode::hint(kind, gz);
            return Err(InputError::NotText { path, what: what.into(), todo: todo.into() });
        }
        // the decoder stopped at a malformed sequence; a NUL byte; the first byte over max_bytes
        let malformed = decoded.is_err().then_some(text.len());
        let nul = memchr::memchr(0, &text[from..]).map(|k| from + k);
        let limit = self.limits.bytes;
        let over = (limit > 0 && self.bytes > limit).then(|| text.len().saturating_sub((self.bytes - limit) as usize));
        let Some(at) = [nul, malformed, over].into_iter().flatten().min() else { return Ok(()) };
        text.truncate(at);
        let line = self.line_of(text, at);
        Err(if nul == Some(at) {
            InputError::Binary { path, line }
        } else if malformed == Some(at) {
            InputError::Decode { path, line, encoding: self.decode.encoding().name().to_ascii_lowercase() }
        } else {
            InputError::TooLarge { path, limit, origin: self.limits.bytes_origin.to_string() }
        })
    }

    /// The line of byte `offset` of `text`.
    fn line_of(&self, text: &[u8], offset: usize) -> usize {
        self.lines_before + memchr::memchr_iter(b'\n', &text[..offset]).count() + 1
    }

    /// Finds the ends of the records of `text` not found yet, from where the last call
    /// stopped; at `eof` the last one may lack its newline. Until the first line has ended,
    /// only it is followed (it tells the line ends and the delimiter).
    pub(super) fn feed(&mut self, text: &mut Vec<u8>, eof: bool) -> Result<(), InputError> {
        if self.ends == Ends::Unknown {
            let Some(ends) = self.first.advance(text, eof, self.quote) else {
                return match self.limits.record {
                    limit if limit > 0 && text.len() > limit => Err(self.too_long(text)),
                    _ => Ok(()),
                };
            };
            self.ends = ends;
            self.delimiter = Some(self.delimiter.unwrap_or_else(|| self.first.delimiter()));
            match ends {
                Ends::Cr => cr_to_lf(text, 0, &mut self.after_cr),
                _ => lone_cr_to_lf(text, 0, &mut self.pending_cr, eof),
            }
        }
        loop {
            if self.resniff {
                // the line after a preamble line tells the delimiter again
                if self.first.advance(text, eof, self.quote).is_none() {
                    return Ok(());
                }
                self.delimiter = Some(self.first.delimiter());
                self.resniff = false;
            }
            self.records(text, eof)?;
            if eof && self.header.is_empty() && self.first_end.is_some() {
                self.first_is_header()?; // the text ended before a record had the columns
            }
            if !(self.resniff || std::mem::take(&mut self.rescan)) {
                break;
            }
        }
        Ok(())
    }

    /// No record within reach has the wanted columns: the first is the header, as it is without
    /// a mapping (the mapping's error names its columns), and the records after it are read
    /// again as rows.
    fn first_is_header(&mut self) -> Result<(), InputError> {
        let Some((pos, line, delimiter)) = self.first_end.take() else { return Ok(()) };
        let names = self.first_names.take().unwrap_or_default();
        self.header = self.checked_header(names)?;
        self.notes.clear();
        (self.delimiter, self.wanted, self.quotes, self.resniff, self.rescan) = (delimiter, None, None, false, true);
        (self.pos, self.at, self.start, self.line, self.start_line) = (pos, pos, pos, line, line);
        Ok(())
    }

    /// After a record: whether [`Scan::records`] stops for [`Scan::feed`] to go on differently —
    /// the first record is the header after all (`rescan`), or a line above the header leaves
    /// the next line's delimiter to sniff (`resniff`, from the next line).
    fn restarts(&mut self) -> bool {
        if self.resniff && !self.rescan {
            self.at = self.pos;
            self.first = FirstLine { at: self.pos, ..FirstLine::default() };
        }
        self.rescan || self.resniff
    }

    /// [`Scan::feed`] once the line ends and the delimiter are known. A record without a quote
    /// ends at its newline, so the text is searched for quotes: the records before the next
    /// one end at the newlines, and only a record holding a quote is followed byte by byte
    /// ([`follow`]), its state kept when the text runs out.
    fn records(&mut self, text: &[u8], eof: bool) -> Result<(), InputError> {
        let delimiter = self.delimiter.unwrap_or(b',');
        loop {
            if let Some(quotes) = &mut self.quotes {
                let Some(k) = follow(quotes, &text[self.at..], delimiter) else { break };
                self.quotes = None;
                self.end_record(text, self.at + k, true)?;
                if self.restarts() {
                    return Ok(());
                }
                self.at = self.pos;
                continue;
            }
            let quote = memchr::memchr(self.quote, &text[self.at..]).map(|k| self.at + k);
            let base = self.at;
            for k in memchr::memchr_iter(b'\n', &text[base..quote.unwrap_or(text.len())]) {
                self.end_record(text, base + k, false)?;
                if self.restarts() {
                    return Ok(());
                }
            }
            let Some(q) = quote else { break };
            self.quotes = Some(Quotes::unquoted(q == self.pos || text[q - 1] == delimiter, self.quote));
            self.at = q;
        }
        self.at = text.len();
        if self.limits.record > 0 && text.len() - self.pos > self.limits.record {
            return Err(self.too_long(text));
        }
        if eof {
            if text.last().is_some_and(|&b| b != b'\n') {
                self.unended = Some(self.line);
            }
            if self.quotes.as_ref().is_some_and(|q| q.inside) {
                return Err(InputError::Unterminated { path: self.path.to_path_buf(), line: self.line });
            }
            if self.pos < text.len() || self.header.is_empty() {
                let quoted = self.quotes.take().is_some();
                self.end_record(text, text.len(), quoted)?;
            }
        }
        Ok(())
    }

    /// The current record ends at `end` (its newline, or the text's end): the header, or a
    /// row counted unless blank. `quoted`: it holds a quote (and may hold newlines).
    fn end_record(&mut self, text: &[u8], end: usize, quoted: bool) -> Result<(), InputError> {
        let record = &text[self.pos..end];
        if self.limits.record > 0 && record.len() > self.limits.record {
            return Err(self.too_long(text));
        }
        let header = self.header.is_empty();
        let delimiter = self.delimiter;
        if header {
            self.read_header(record)?;
            if self.rescan {
                return self.first_is_header();
            }
        } else if !record.iter().all(|&c| c == b'\r' || c == b' ') {
            self.rows += 1;
            if self.limits.rows > 0 && self.rows > self.limits.rows {
                let (line, limit) = (self.line, self.limits.rows);
                return Err(InputError::TooManyRows { path: self.path.to_path_buf(), line, limit });
            }
            let (limit, built) = (self.limits.bytes, (self.rows as u64).saturating_mul(self.limits.row_bytes));
            if limit > 0 && built > limit {
                return Err(InputError::TooManyValues {
                    path: self.path.to_path_buf(),
                    line: self.line,
                    rows: self.rows,
                    columns: self.limits.row_bytes / CELL_BYTES,
                    limit,
                    origin: self.limits.bytes_origin.to_string(),
                });
            }
        }
        self.line += 1 + if quoted { memchr::memchr_iter(b'\n', record).count() } else { 0 };
        self.pos = (end + 1).min(text.len());
        if header {
            (self.start, self.start_line) = (self.pos, self.line);
            if self.header.is_empty() && self.first_end.is_none() {
                self.first_end = Some((self.pos, self.line, delimiter));
            }
        }
        Ok(())
    }

    /// The current record is longer than the limit: why, told by its first `limit + 1` bytes
    /// (the same whatever the chunks), a quote they leave open or no line end in them.
    fn too_long(&self, text: &[u8]) -> InputError {
        let limit = self.limits.record;
        let head = &text[self.pos..(self.pos + limit + 1).min(text.len())];
        let mut quotes = Quotes::unquoted(true, self.quote);
        for &b in head {
            quotes.step(b, self.delimiter.unwrap_or(b','));
        }
        let why = match quotes.inside {
            true => "a quoted field opens in it and is not closed within the limit",
            false => "no line end within the limit",
        };
        InputError::RecordTooLong { path: self.path.to_path_buf(), line: self.line, limit, why }
    }

    /// Reads the header record: split and read as polars reads fields ([`split_record`],
    /// [`field_value`]).
    fn read_header(&mut self, record: &[u8]) -> Result<(), InputError> {
        let delimiter = self.delimiter.unwrap_or(b',');
        let record = String::from_utf8_lossy(record);
        let mut header = Vec::new();
        let mut unescaped = String::new();
        split_record(record.as_bytes(), delimiter, self.quote, |_, range| {
            let raw = &record[range];
            // a name whose quote does not close it is taken as it stands
            let name = field_value(raw, self.quote, &mut unescaped).unwrap_or(Some(raw.trim_end_matches('\r')));
            header.push(name.unwrap_or_default().to_string());
        });
        if let Some(wanted) = &self.wanted {
            if !absent(&header, &wanted.each_ref()).is_empty() {
                self.first_names.get_or_insert(header);
                match self.line < TITLE_LINES {
                    true => self.preamble(record.as_bytes()),
                    false => self.rescan = true, // not found within reach: the first line is the header
                }
                return Ok(());
            } else if self.line > 1 {
                let note = title_note("line", self.line, self.line - 1);
                self.notes.push(format!("{}: {note}", self.path.display()));
            }
        }
        self.header = self.checked_header(header)?;
        let built = if self.builds_all { self.header.len() } else { self.mapped.len().min(self.header.len()) };
        self.limits.row_bytes = CELL_BYTES * built as u64;
        Ok(())
    }

    /// A header's names, refused when all are blank or one is there twice.
    /// Blank and repeated names no role maps are named as pandas names them ([`unique_header`],
    /// with a note).
    fn checked_header(&mut self, header: Vec<String>) -> Result<Vec<String>, InputError> {
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(InputError::NoHeader { path: self.path.to_path_buf() });
        }
        let mapped: Vec<&String> = self.mapped.iter().collect();
        let (header, note) = unique_header(header, &mapped)
            .map_err(|column| InputError::DuplicateHeader { path: self.path.to_path_buf(), column })?;
        self.notes.extend(note);
        Ok(header)
    }

    /// A record above the header: left unread; the next line's delimiter is sniffed again,
    /// unless the pipeline set it or this is Excel's `sep=X` line, which sets it.
    fn preamble(&mut self, record: &[u8]) {
        let line = record.strip_suffix(b"\r").unwrap_or(record);
        match line.strip_prefix(b"sep=") {
            Some(&[d]) if self.line == 1 && !self.given_delimiter => {
                self.delimiter = Some(d);
                self.given_delimiter = true;
            }
            _ if !self.given_delimiter => self.resniff = true,
            _ => {}
        }
    }

    /// Bytes of found records not taken yet.
    pub(super) fn ready(&self) -> usize {
        self.pos - self.start
    }

    /// Takes the found records not taken yet, with the line they start on: the text up to the
    /// next record is handed over whole (no copy) and `text` keeps what follows, in a recycled
    /// buffer when one is free.
    pub(super) fn take(&mut self, text: &mut Vec<u8>, recycled: &Receiver<Vec<u8>>) -> Piece {
        let next_line = self.line;
        let mut rest = recycled.try_recv().unwrap_or_else(|_| Vec::with_capacity(text.capacity()));
        rest.clear();
        rest.extend_from_slice(&text[self.pos..]);
        let mut piece = std::mem::replace(text, rest);
        piece.truncate(self.pos);
        if self.start > 0 {
            piece.drain(..self.start); // the header
        }
        let line = std::mem::replace(&mut self.start_line, next_line);
        self.lines_before = next_line - 1;
        self.at = self.at.saturating_sub(self.pos); // behind `pos` only after an error
        (self.pos, self.start) = (0, 0);
        // the index is the builders' to set, as they hand pieces on
        Piece { index: 0, line, newlines: next_line - line, text: piece }
    }
}

#[cfg(test)]
mod tests {
    use super::super::twin::*;
    use super::*;

    /// The delimiter sniffed from `text`'s first line, once it has ended.
    fn sniff_delimiter(text: &[u8], eof: bool) -> Option<u8> {
        let mut first = FirstLine::default();
        first.advance(text, eof, b'"').map(|_| first.delimiter())
    }

    #[test]
    fn sniffs_the_header_delimiter() {
        assert_eq!(sniff_delimiter(b"a;b;c\n1;2;3", false), Some(b';'));
        assert_eq!(sniff_delimiter(b"a\tb\n", false), Some(b'\t'));
        assert_eq!(sniff_delimiter(b"\"x,y\"|b|c\n", false), Some(b'|'));
        assert_eq!(sniff_delimiter(b"single\n", false), Some(b','));
        assert_eq!(sniff_delimiter(b"a;b", false), None);
        assert_eq!(sniff_delimiter(b"a;b", true), Some(b';'));
        // a newline inside quotes does not end the header line
        assert_eq!(sniff_delimiter(b"\"x\n;y\"|b", false), None);
        assert_eq!(sniff_delimiter(b"\"x\n;y\"|b\n", false), Some(b'|'));
    }

    #[test]
    fn the_header_reads_as_polars_reads_it() {
        // a doubled quote in a quoted name is one quote, as in a value (RFC 4180; pandas and
        // Excel read it so; polars keeps both in names, not in values)
        let doubled = stream_all(b"\"a\"\"b\",c d,\"e,f\",g\r\n1,2,3,4\r\n", Encoding::UTF8, false).unwrap();
        assert_eq!(doubled.header, ["a\"b", "c d", "e,f", "g"]);
        // a newline inside a quoted name (polars ends its header at the first newline)
        let multi = stream_all(b"a\"b,c,\"multi\nline\"\n1,2,3\n", Encoding::UTF8, false).unwrap();
        assert_eq!(multi.header, ["a\"b", "c", "multi\nline"]);
        assert_eq!(multi.frame.height(), 1);
        // a blank name as pandas names it (polars: "")
        let blank = stream_all(b"x,,y\n1,2,3\n", Encoding::UTF8, false).unwrap();
        assert_eq!(blank.header, ["x", "Unnamed: 1", "y"]);
        let texts: [&[u8]; 3] = [b"a,\"c d\",\"e,f\",g\r\n1,2,3,4\r\n", b"a\"b,c\n1,2\n", b"\"only\""];
        for text in texts {
            let names: Vec<String> = polars_whole(text).get_column_names().iter().map(|n| n.to_string()).collect();
            let read = stream_all(text, Encoding::UTF8, false).unwrap();
            assert_eq!(read.header, names, "{}", String::from_utf8_lossy(text));
        }
        let open = input_error(stream_all(b"\"never closed,b\n1,2\n", Encoding::UTF8, false).err().unwrap());
        assert!(matches!(open, InputError::Unterminated { line: 1, .. }), "{open}");
    }

    #[test]
    fn a_repeated_or_blank_name_no_role_maps_is_renamed_a_mapped_one_refused() {
        let read = stream_all(b"a,b,a,,\n1,2,3,,\n", Encoding::UTF8, false).unwrap();
        assert_eq!(read.header, ["a", "b", "a.1", "Unnamed: 3", "Unnamed: 4"]);
        assert_eq!(texts(&read.frame, "a.1"), [Some("3".to_string())]);
        assert!(read.notes.iter().any(|n| n.contains("column 3 ('a' again) as 'a.1'")), "{:?}", read.notes);
        let mut scan = Scan::new(Path::new("f.csv"), Encoding::UTF8, None, Limits::NONE);
        scan.mapped = vec!["a".to_string()];
        let err = crate::ingest::csv::stream_csv(&b"a,b,a\n1,2,3\n"[..], false, scan, None, false, (64, 64, 0))
            .err()
            .unwrap();
        assert!(matches!(input_error(err), InputError::DuplicateHeader { ref column, .. } if column == "a"));
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        let err = input_error(stream_all(b"a,b\n1,2\n3,\"x\n4,5\n", Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Unterminated { line: 3, .. }), "{err}");
    }

    #[test]
    fn latin1_is_transcoded_and_bom_dropped() {
        let csv = stream_all(b"\xEF\xBB\xBFa\nx\n", Encoding::UTF8, false).unwrap();
        assert_eq!(csv.header, ["a"]);
        assert_eq!(texts(&csv.frame, "a"), [Some("x".to_string())]);
        let latin1 = Encoding::for_label("latin-1").unwrap();
        let csv = stream_all(b"a\nc\xE9\n", latin1, false).unwrap();
        assert_eq!(texts(&csv.frame, "a"), [Some("c\u{e9}".to_string())]);
        assert!(stream_all(b"a\n\xE9\n", Encoding::UTF8, false).is_err());
    }

    fn limits(record: usize, rows: usize, bytes: u64) -> Limits {
        Limits { record, rows, bytes, bytes_origin: "as set", row_bytes: 0 }
    }

    #[test]
    fn cr_only_line_ends_read_as_lines() {
        // Old Mac exports end lines with CR alone: read as the same text with LF (a CR inside
        // quotes is a newline in the value; a CRLF among them is one line end, also when a
        // chunk's end falls between CR and LF: stream_all crosses every boundary).
        let lf = "a,b,c\n1,\"x\ny\",6\n\n2,,6\n3,\"q\"\"\",7\n4,5,6";
        let mixed = "a,b,c\r1,\"x\r\ny\",6\r\n\r2,,6\r\n3,\"q\"\"\",7\r4,5,6";
        for cr in [lf.replace('\n', "\r"), mixed.to_string()] {
            let read = stream_all(cr.as_bytes(), Encoding::UTF8, false).unwrap();
            let want = stream_all(lf.as_bytes(), Encoding::UTF8, false).unwrap();
            assert!(read.frame.equals_missing(&want.frame), "{cr:?}: {:?} vs {:?}", read.frame, want.frame);
            assert_eq!((&read.header, &read.nulls), (&want.header, &want.nulls));
            assert_eq!(texts(&read.frame, "b"), [Some("x\ny".into()), None, Some("q\"".into()), Some("5".into())]);
        }
        // Lines that start in LF or CRLF and go on in CR alone (two exports joined, a tool
        // that mixes them): every lone CR ends a line, as pandas and Excel read it (these read
        // 1 record of thousands of fields, or half the rows with skip_bad_rows)
        for joined in [
            "a,b,c\n1,\"x\ny\",6\n\n2,,6\r3,\"q\"\"\",7\r4,5,6\r",
            "a,b,c\r\n1,\"x\ny\",6\r\r2,,6\n3,\"q\"\"\",7\r\n4,5,6\r",
            "a,b,c\n1,\"x\ny\",6\r\n\r\n2,,6\r3,\"q\"\"\",7\n4,5,6",
        ] {
            let read = stream_all(joined.as_bytes(), Encoding::UTF8, false).unwrap();
            let want = stream_all(lf.as_bytes(), Encoding::UTF8, false).unwrap();
            assert!(read.frame.equals_missing(&want.frame), "{joined:?}: {:?} vs {:?}", read.frame, want.frame);
            assert_eq!((&read.header, &read.nulls, read.skipped), (&want.header, &want.nulls, 0));
        }
        let err = input_error(stream_all(b"k,v\n1,6\r2\r3,4\n", Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Ragged { line: 3, .. }), "{err}");
        // regression: the whole file was one header line ("column name '6' twice")
        let read = stream_all(b"k,v\r1,6\r2,6\r", Encoding::UTF8, false).unwrap();
        assert_eq!((read.header.len(), read.frame.height()), (2, 2));
        // an error names the line as a CR file's reader counts it
        let err = input_error(stream_all(b"k,v\r1,6\r2\r3,4\r", Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Ragged { line: 3, .. }), "{err}");
    }

    #[test]
    fn records_longer_than_a_chunk_read_the_same() {
        // records of hundreds of bytes, quoted or not, with newlines and quotes inside, read
        // in chunks far smaller than one record: the quote state is carried across chunks
        let long = "x".repeat(300);
        let text =
            format!("id,note\n1,{long}\n2,\"{long}\n{long},\"\"q\"\"\"\n3,\"{long}\"\r\n4,a\"{long}\"b\n5,\"\"\n");
        let read = stream_all(text.as_bytes(), Encoding::UTF8, false).unwrap();
        let polars = polars_whole(text.as_bytes());
        assert!(read.frame.equals_missing(&polars), "{:?} vs {polars:?}", read.frame);
        assert_eq!(read.frame.height(), 5);
    }

    #[test]
    fn a_record_over_max_record_bytes_fails_naming_its_line() {
        let ok = "a,b\n1,2\n3,\"four\nfive\"\n6,7\n";
        let read = stream_all_limited(ok.as_bytes(), Encoding::UTF8, false, limits(13, 0, 0)).unwrap();
        assert_eq!(read.frame.height(), 3);
        // one byte too many, a quote never closed, no line end at all (the header)
        let cases: [(&str, usize, &str); 4] = [
            ("a,b\n1,2\n3,\"four\nfive!\"\n6,7\n", 3, "no line end"),
            ("a,b\n1,2\n3,\"four\nfive\n6,7\n8,9\n", 3, "quoted field"),
            ("a,b\n1,2\n3,4\n\"5,6\n7,8\n9,10\n", 4, "quoted field"),
            ("aaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, "no line end"),
        ];
        for (text, line, why) in cases {
            let err = input_error(
                stream_all_limited(text.as_bytes(), Encoding::UTF8, false, limits(13, 0, 0)).err().unwrap(),
            );
            let message = err.to_string();
            assert!(
                matches!(err, InputError::RecordTooLong { line: l, limit: 13, .. } if l == line),
                "{text:?}: {err}"
            );
            assert!(message.contains(why) && message.contains("[input] max_record_bytes"), "{message}");
        }
        // an earlier error in the file wins, whatever the chunks
        let err = stream_all_limited(b"a,b\n1\n2,\"xxxxxxxxxxxxxxxxxxx", Encoding::UTF8, false, limits(13, 0, 0));
        assert!(matches!(input_error(err.err().unwrap()), InputError::Ragged { line: 2, .. }));
    }

    #[test]
    fn max_rows_and_max_bytes_refuse_while_reading() {
        // rows are records that are not blank; the header is not one
        let text = b"a,b\n1,2\n\n3,4\n \n5,6\n";
        assert_eq!(stream_all_limited(text, Encoding::UTF8, false, limits(0, 3, 0)).unwrap().frame.height(), 3);
        let err = input_error(stream_all_limited(text, Encoding::UTF8, false, limits(0, 2, 0)).err().unwrap());
        assert!(matches!(err, InputError::TooManyRows { line: 6, limit: 2, .. }), "{err}");
        assert!(err.to_string().contains("[input] max_rows"), "{err}");
        // bytes of text: the file's length passes, one byte less fails (its two values take
        // 2 × 16 bytes, fewer than its text)
        let long = format!("a\n{}\n{}\n", "x".repeat(100), "y".repeat(100));
        let len = long.len() as u64;
        assert!(stream_all_limited(long.as_bytes(), Encoding::UTF8, false, limits(0, 0, len)).is_ok());
        let err = stream_all_limited(long.as_bytes(), Encoding::UTF8, false, limits(0, 0, len - 1));
        let err = input_error(err.err().unwrap());
        assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
        assert!(err.to_string().contains("[input] max_bytes"), "{err}");
        // bytes of values: rows of empty fields are little text, but a value each to hold
        let empty = b"a,b\n,\n,\n,\n";
        assert!(stream_all_limited(empty, Encoding::UTF8, false, limits(0, 0, 3 * 2 * CELL_BYTES)).is_ok());
        let err = stream_all_limited(empty, Encoding::UTF8, false, limits(0, 0, 3 * 2 * CELL_BYTES - 1));
        let err = input_error(err.err().unwrap());
        assert!(matches!(err, InputError::TooManyValues { line: 4, rows: 3, columns: 2, .. }), "{err}");
        assert!(
            err.to_string().contains("take about 96 bytes (16 a value), more than [input] max_bytes, 95 bytes"),
            "{err}"
        );
        // a bad row before the limit is the error reported: of values (line 3's row is the one
        // past 40 bytes), of text (byte 50 is on line 4)
        let ragged = format!("a,b\n{}\n2,3\n4,5\n", "1".repeat(40));
        for (text, limit) in [("a,b\n1\n2,3\n4,5\n", 40), (ragged.as_str(), 50)] {
            let err = stream_all_limited(text.as_bytes(), Encoding::UTF8, false, limits(0, 0, limit));
            assert!(matches!(input_error(err.err().unwrap()), InputError::Ragged { line: 2, .. }));
        }
    }

    #[test]
    fn utf16_with_a_bom_reads_as_excel_unicode_text() {
        // Excel's "Unicode text": UTF-16LE with a BOM, tab-delimited, CRLF; the delimiter is
        // sniffed from the decoded text. Big-endian too, and any chunk size.
        let text = "Cust\tItem\tNote\r\n1\tCAFÉ\t“€”\r\n2\tB\t\"a\tb\"\r\n";
        let want = stream_all(text.as_bytes(), Encoding::UTF8, false).unwrap();
        let le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        for bytes in [le, be] {
            let read = stream_all(&bytes, Encoding::UTF8, false).unwrap();
            assert_eq!(read.header, ["Cust", "Item", "Note"]);
            assert!(read.frame.equals_missing(&want.frame), "{:?} vs {:?}", read.frame, want.frame);
            assert_eq!(texts(&read.frame, "Note"), [Some("“€”".into()), Some("a\tb".into())]);
        }
    }

    #[test]
    fn windows_1252_bytes_read_as_windows_reads_them() {
        // 0x93 0x80 0x94 is “€” (not three C1 control characters, as ISO-8859-1 reads them)
        for label in ["latin-1", "iso-8859-1", "windows-1252", "cp1252"] {
            let read = stream_all(b"a\n\x93\x80\x94 Caf\xE9\n", Encoding::for_label(label).unwrap(), false).unwrap();
            assert_eq!(texts(&read.frame, "a"), [Some("“€” Café".into())], "{label}");
        }
        // bytes the encoding does not have name their line and the encoding
        let err = input_error(stream_all(b"\xFF\xFEa\x00\n\x00\x00\xD8b\x00", Encoding::UTF8, false).err().unwrap());
        assert!(matches!(err, InputError::Decode { line: 2, ref encoding, .. } if encoding == "utf-16le"), "{err}");
    }

    #[test]
    fn files_that_are_not_csv_text_say_what_they_appear_to_be() {
        let cases: [(&[u8], &str); 6] = [
            (b"PK\x03\x04\x14\x00\x06\x00\x08", "name it .xlsx"),
            (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00", "name it .xls"),
            (b"PAR1\x15\x04\x15\x00", "name it .parquet"),
            (b"\x1F\x8B\x08\x00\x00\x00", ".gz"),
            (b"a\x00,\x00b\x00\n\x00", "encoding = \"utf-16le\""),
            (b"\x00a\x00,\x00b\x00\n", "encoding = \"utf-16be\""),
        ];
        for (bytes, todo) in cases {
            let err = input_error(stream_all(bytes, Encoding::UTF8, false).err().unwrap());
            let message = err.to_string();
            assert!(matches!(err, InputError::NotText { .. }), "{message}");
            assert!(message.contains("looks binary") && message.contains(todo), "{message}");
        }
        // UTF-16 without a BOM reads once named
        let named =
            stream_all(b"a\x00,\x00b\x00\n\x001\x00,\x002\x00\n\x00", Encoding::for_label("utf-16le").unwrap(), false);
        assert_eq!(named.unwrap().header, ["a", "b"]);
    }
}
