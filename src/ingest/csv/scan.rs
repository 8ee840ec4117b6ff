//! Scan: the CSV's text as it arrives, cut into whole records for the builders.
//!
//! Takes the chunks the reader thread sends; returns the header and pieces of whole records
//! with the line each starts on. On the way it drops a BOM, transcodes Latin-1, refuses NUL
//! bytes, sniffs the delimiter, reads the header as a record (duplicate names refused) and
//! finds where records end, quote-aware ([`crate::ingest::split::record_end`]), so a builder
//! never gets half a record and every error names its line. A quote never closed fails
//! naming its line.

use std::path::Path;
use std::sync::mpsc::Receiver;

use super::Piece;
use crate::config::Encoding;
use crate::error::InputError;
use crate::ingest::split::{field_value, record_end, split_record};

fn line_of(bytes: &[u8], offset: usize) -> usize {
    memchr::memchr_iter(b'\n', &bytes[..offset]).count() + 1
}

/// This thread's pass over the text as it arrives: drops a BOM, refuses NUL bytes (transcodes
/// Latin-1), reads the header (duplicate names refused) and finds where records end, quote-aware,
/// so the builders get whole records with the line each piece starts on. A quote never closed
/// fails naming its line.
pub(super) struct Scan<'a> {
    pub(super) path: &'a Path,
    encoding: Encoding,
    pub(super) delimiter: Option<u8>,
    /// A first piece has been appended (its BOM dropped).
    started: bool,
    pub(super) header: Vec<String>,
    /// The next record's first byte.
    pos: usize,
    /// The first byte of the records not yet taken and its line, and the lines before the text.
    start: usize,
    start_line: usize,
    lines_before: usize,
}

impl<'a> Scan<'a> {
    pub(super) fn new(path: &'a Path, encoding: Encoding, delimiter: Option<u8>) -> Self {
        Scan {
            path,
            encoding,
            delimiter,
            started: false,
            header: Vec::new(),
            pos: 0,
            start: 0,
            start_line: 1,
            lines_before: 0,
        }
    }

    /// Appends a piece of the file to `text` (the first piece starts the file).
    pub(super) fn append(&mut self, text: &mut Vec<u8>, mut piece: &[u8]) -> Result<(), InputError> {
        if !self.started {
            self.started = true;
            piece = piece.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(piece);
        }
        if let Some(k) = memchr::memchr(0, piece) {
            let at = text.len() + k;
            text.extend_from_slice(piece);
            let line = self.lines_before + line_of(text, at);
            return Err(InputError::Binary { path: self.path.to_path_buf(), line });
        }
        match self.encoding {
            Encoding::Utf8 => text.extend_from_slice(piece),
            Encoding::Latin1 => {
                for &b in piece {
                    if b < 0x80 {
                        text.push(b);
                    } else {
                        text.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                    }
                }
            }
        }
        Ok(())
    }

    /// Finds the ends of the complete records of `text` not found yet; at `eof` the last one
    /// may lack its newline. A record without a quote ends at its newline, so the text is
    /// searched for quotes: the records before the next one end at the newlines, and only a
    /// record holding a quote is followed byte by byte ([`record_end`]).
    pub(super) fn feed(&mut self, text: &[u8], eof: bool) -> Result<(), InputError> {
        if self.header.is_empty() && !self.read_header(text, eof)? {
            return Ok(());
        }
        let delimiter = self.delimiter.unwrap_or(b',');
        while self.pos < text.len() {
            let rest = &text[self.pos..];
            let Some(quote) = memchr::memchr(b'"', rest) else {
                self.pos = match (eof, memchr::memrchr(b'\n', rest)) {
                    (true, _) => text.len(),
                    (false, Some(k)) => self.pos + k + 1,
                    (false, None) => self.pos,
                };
                break;
            };
            // The quote's line starts a record: every line before it since `pos` is one.
            self.pos += memchr::memrchr(b'\n', &rest[..quote]).map_or(0, |k| k + 1);
            let Some((len, _)) = record_end(&text[self.pos..], delimiter, eof) else {
                if eof {
                    let line = self.line_at(text, self.pos);
                    return Err(InputError::Unterminated { path: self.path.to_path_buf(), line });
                }
                break;
            };
            self.pos = (self.pos + len + 1).min(text.len());
        }
        Ok(())
    }

    /// The line of byte `at` of `text`, at or after the first record not taken.
    fn line_at(&self, text: &[u8], at: usize) -> usize {
        self.start_line + memchr::memchr_iter(b'\n', &text[self.start..at]).count()
    }

    /// Reads the header once its record is complete; false while it is not. The header is a
    /// record like the others: split and read as polars reads fields ([`split_record`],
    /// [`field_value`]).
    fn read_header(&mut self, text: &[u8], eof: bool) -> Result<bool, InputError> {
        let delimiter = match self.delimiter {
            Some(d) => d,
            None => match sniff_delimiter(text, eof) {
                Some(d) => *self.delimiter.insert(d),
                None => return Ok(false),
            },
        };
        let Some((len, _)) = record_end(text, delimiter, eof) else {
            return match eof {
                true => Err(InputError::Unterminated { path: self.path.to_path_buf(), line: 1 }),
                false => Ok(false),
            };
        };
        let record = String::from_utf8_lossy(&text[..len]);
        let mut header = Vec::new();
        let mut unescaped = String::new();
        split_record(record.as_bytes(), delimiter, |_, range| {
            let raw = &record[range];
            // a name whose quote does not close it is taken as it stands
            let name = field_value(raw, &mut unescaped).unwrap_or(Some(raw.trim_end_matches('\r')));
            header.push(name.unwrap_or_default().to_string());
        });
        if header.iter().all(|h| h.trim().is_empty()) {
            return Err(InputError::NoHeader { path: self.path.to_path_buf() });
        }
        let mut seen = std::collections::HashSet::new();
        for name in &header {
            if !seen.insert(name.as_str()) {
                return Err(InputError::DuplicateHeader { path: self.path.to_path_buf(), column: name.clone() });
            }
        }
        self.header = header;
        self.pos = (len + 1).min(text.len());
        self.start = self.pos;
        self.start_line = line_of(text, len) + 1;
        Ok(true)
    }

    /// Bytes of found records not taken yet.
    pub(super) fn ready(&self) -> usize {
        self.pos - self.start
    }

    /// Takes the found records not taken yet, with the line they start on: the text up to the
    /// next record is handed over whole (no copy) and `text` keeps what follows, in a recycled
    /// buffer when one is free.
    pub(super) fn take(&mut self, text: &mut Vec<u8>, recycled: &Receiver<Vec<u8>>) -> Piece {
        let next_line = self.line_at(text, self.pos);
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
        (self.pos, self.start) = (0, 0);
        // the index is the builders' to set, as they hand pieces on
        Piece { index: 0, line, newlines: next_line - line, text: piece }
    }
}

/// The most frequent of `,` `;` tab `|` outside quotes in the text's first line (`,` when
/// none); `None` while that line is not complete.
fn sniff_delimiter(text: &[u8], eof: bool) -> Option<u8> {
    let candidates = [b',', b';', b'\t', b'|'];
    let mut counts = [0usize; 4];
    let (mut quoted, mut complete) = (false, eof);
    for &b in text {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                complete = true;
                break;
            }
            _ if !quoted => {
                if let Some(k) = candidates.iter().position(|&c| c == b) {
                    counts[k] += 1;
                }
            }
            _ => {}
        }
    }
    let best = (0..4).max_by_key(|&k| (counts[k], std::cmp::Reverse(k))).unwrap_or(0);
    complete.then_some(if counts[best] == 0 { b',' } else { candidates[best] })
}

#[cfg(test)]
mod tests {
    use super::super::twin::*;
    use super::*;

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
        let doubled = stream_all(b"\"a\"\"b\",c d,\"e,f\",g\r\n1,2,3,4\r\n", Encoding::Utf8, false).unwrap();
        assert_eq!(doubled.header, ["a\"b", "c d", "e,f", "g"]);
        // a newline inside a quoted name (polars ends its header at the first newline)
        let multi = stream_all(b"a\"b,c,\"multi\nline\"\n1,2,3\n", Encoding::Utf8, false).unwrap();
        assert_eq!(multi.header, ["a\"b", "c", "multi\nline"]);
        assert_eq!(multi.frame.height(), 1);
        let texts: [&[u8]; 4] =
            [b"a,\"c d\",\"e,f\",g\r\n1,2,3,4\r\n", b"a\"b,c\n1,2\n", b"x,,y\n1,2,3\n", b"\"only\""];
        for text in texts {
            let names: Vec<String> = polars_whole(text).get_column_names().iter().map(|n| n.to_string()).collect();
            let read = stream_all(text, Encoding::Utf8, false).unwrap();
            assert_eq!(read.header, names, "{}", String::from_utf8_lossy(text));
        }
        let open = input_error(stream_all(b"\"never closed,b\n1,2\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(open, InputError::Unterminated { line: 1, .. }), "{open}");
    }

    #[test]
    fn duplicate_header_is_an_error() {
        let err = input_error(stream_all(b"a,b,a\n1,2,3\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::DuplicateHeader { ref column, .. } if column == "a"));
    }

    #[test]
    fn unterminated_quote_names_its_line() {
        let err = input_error(stream_all(b"a,b\n1,2\n3,\"x\n4,5\n", Encoding::Utf8, false).err().unwrap());
        assert!(matches!(err, InputError::Unterminated { line: 3, .. }), "{err}");
    }

    #[test]
    fn latin1_is_transcoded_and_bom_dropped() {
        let csv = stream_all(b"\xEF\xBB\xBFa\nx\n", Encoding::Utf8, false).unwrap();
        assert_eq!(csv.header, ["a"]);
        assert_eq!(texts(&csv.frame, "a"), [Some("x".to_string())]);
        let csv = stream_all(b"a\nc\xE9\n", Encoding::Latin1, false).unwrap();
        assert_eq!(texts(&csv.frame, "a"), [Some("c\u{e9}".to_string())]);
        assert!(stream_all(b"a\n\xE9\n", Encoding::Utf8, false).is_err());
    }
}
