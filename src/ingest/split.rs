//! Split: where a CSV record ends and where its fields are, and each field's value.
//!
//! Takes bytes of text and the delimiter; returns record ends, field ranges and field values
//! exactly as polars' CSV reader splits and reads them (quotes, doubled quotes, CRLF). The
//! rest of the reader asks only through this small interface — [`record_end`],
//! [`split_record`], [`Records`] (64 bytes at a time, SSE2 on x86_64), [`field_value`] and
//! [`field_shape`] — plain functions and one iterator-like type, generic where they take a
//! callback, so the inner loops stay free of indirection and the splitter could be swapped
//! for a crate's without touching the builders.

use std::ops::Range;

/// Where the record at the start of `rest` ends: (the index of its closing newline, or
/// `rest.len()` at `eof`; newlines inside quotes). `None` when it does not end within `rest`
/// (at `eof`: a quote is never closed). A line without quotes — nearly all of them — is found
/// with memchr; a quoted one byte by byte ([`Quotes`]).
pub(super) fn record_end(rest: &[u8], delimiter: u8, quote: u8, eof: bool) -> Option<(usize, usize)> {
    let newline = memchr::memchr(b'\n', rest);
    if newline.is_none() && !eof {
        return None;
    }
    let line_end = newline.unwrap_or(rest.len());
    if memchr::memchr(quote, &rest[..line_end]).is_none() {
        return Some((line_end, 0));
    }
    let (mut quotes, mut newlines) = (Quotes::new(quote), 0);
    for (i, &b) in rest.iter().enumerate() {
        match quotes.step(b, delimiter) {
            Step::Newline if quotes.inside => newlines += 1,
            Step::Newline => return Some((i, newlines)),
            _ => {}
        }
    }
    (eof && !quotes.inside).then_some((rest.len(), newlines))
}

/// Quoting as polars' CSV reader (and Python's, and Excel) splits fields: a field that opens
/// with a quote is quoted, and every quote in it toggles; a quote inside an unquoted field
/// is text. The quote is `"` unless `[input] quote` says otherwise ([`NO_QUOTE`]: none).
pub(super) struct Quotes {
    /// At the first byte of a field; in a field that opened with a quote; inside quotes.
    at_start: bool,
    quoted: bool,
    pub(super) inside: bool,
    pub(super) quote: u8,
}

/// The quote byte of a file read without quoting (`[input] quote = ""`): NUL, which the scan
/// refuses where it appends text, before anything looks for records (a file holding one is
/// not text), so every quote test of the splitter fails and a `"` is text like any other.
/// (0xFF, which no UTF-8 text holds, was not: raw UTF-8 is checked by the builders, after the
/// scan, and a stray 0xFF opening a field read as a quote never closed.)
pub const NO_QUOTE: u8 = 0;

#[derive(PartialEq)]
pub(super) enum Step {
    Delimiter,
    Newline,
    Other,
}

impl Quotes {
    fn new(quote: u8) -> Quotes {
        Quotes { at_start: true, quoted: false, inside: false, quote }
    }

    /// The state after bytes without a quote: at a field's first byte or not.
    pub(super) fn unquoted(at_start: bool, quote: u8) -> Quotes {
        Quotes { at_start, quoted: false, inside: false, quote }
    }

    /// Takes byte `b`: a delimiter or newline outside quotes ends the field.
    #[inline]
    pub(super) fn step(&mut self, b: u8, delimiter: u8) -> Step {
        if b == self.quote && (self.at_start || self.quoted) {
            (self.inside, self.quoted, self.at_start) = (!self.inside, true, false);
            return Step::Other;
        }
        if self.inside {
            return if b == b'\n' { Step::Newline } else { Step::Other };
        }
        if b == delimiter {
            (self.at_start, self.quoted) = (true, false);
            return Step::Delimiter;
        }
        self.at_start = false;
        if b == b'\n' {
            Step::Newline
        } else {
            Step::Other
        }
    }
}

/// Splits a record (without its closing newline) at the delimiters outside quotes, calling
/// `field(k, range)` for each field in order; returns the number of fields.
#[inline]
pub(super) fn split_record(
    record: &[u8],
    delimiter: u8,
    quote: u8,
    mut field: impl FnMut(usize, Range<usize>),
) -> usize {
    let mut k = 0;
    let mut start = 0;
    if memchr::memchr(quote, record).is_none() {
        for at in memchr::memchr_iter(delimiter, record) {
            field(k, start..at);
            (k, start) = (k + 1, at + 1);
        }
    } else {
        let mut quotes = Quotes::new(quote);
        for (at, &b) in record.iter().enumerate() {
            if quotes.step(b, delimiter) == Step::Delimiter {
                field(k, start..at);
                (k, start) = (k + 1, at + 1);
            }
        }
    }
    field(k, start..record.len());
    k + 1
}

/// The records of a piece of text, each split into fields as [`record_end`] and
/// [`split_record`] split them, found 64 bytes at a time: a block's delimiters, newlines and
/// quotes become three bitmasks, and a record without quotes (nearly all) is read off their
/// bits. A record with a quote, and the last bytes of the text, take the byte-wise path.
pub(super) struct Records<'t> {
    text: &'t [u8],
    delimiter: u8,
    quote: u8,
    pos: usize,
}

/// Bytes of a block: bit j of the masks stands for byte j.
const BLOCK: usize = 64;

impl<'t> Records<'t> {
    pub(super) fn new(text: &'t [u8], delimiter: u8, quote: u8) -> Self {
        Records { text, delimiter, quote, pos: 0 }
    }

    /// The next record, its fields' ranges in `fields`; `Some(None)` when its quote is never
    /// closed.
    #[inline]
    pub(super) fn next(&mut self, fields: &mut Vec<Range<usize>>) -> Option<Option<Found>> {
        let (text, start) = (self.text, self.pos);
        if start >= text.len() {
            return None;
        }
        fields.clear();
        let (mut at, mut field) = (start, start);
        while let Some(block) = text.get(at..at + BLOCK) {
            let (delimiters, newlines, quotes) = marks(block.try_into().expect("a block"), self.delimiter, self.quote);
            let before = match newlines {
                0 => u64::MAX,
                n => (n & n.wrapping_neg()) - 1,
            };
            if quotes & before != 0 {
                break; // a quoted record: byte by byte
            }
            let mut d = delimiters & before;
            while d != 0 {
                let j = at + d.trailing_zeros() as usize;
                fields.push(field..j);
                (field, d) = (j + 1, d & (d - 1));
            }
            if newlines != 0 {
                let end = at + newlines.trailing_zeros() as usize;
                fields.push(field..end);
                self.pos = end + 1;
                return Some(Some(Found { start, end, newlines: 0, quoted: false }));
            }
            at += BLOCK;
        }
        fields.clear();
        let Some((len, newlines)) = record_end(&text[start..], self.delimiter, self.quote, true) else {
            self.pos = text.len();
            return Some(None);
        };
        let push = |_, r: Range<usize>| fields.push(start + r.start..start + r.end);
        split_record(&text[start..start + len], self.delimiter, self.quote, push);
        self.pos = start + len + 1;
        Some(Some(Found { start, end: start + len, newlines, quoted: true }))
    }
}

/// A record found by [`Records`]: its bytes `start..end` (without the newline), the newlines
/// inside its quotes, and whether it holds a quote at all (else no field can be badly quoted).
pub(super) struct Found {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) newlines: usize,
    pub(super) quoted: bool,
}

/// A block's delimiters, newlines and quotes as bitmasks.
#[inline]
fn marks(block: &[u8; BLOCK], delimiter: u8, quote: u8) -> (u64, u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of x86_64; the four unaligned 16-byte loads stay in the block.
        unsafe {
            let (vd, vn, vq) = (_mm_set1_epi8(delimiter as i8), _mm_set1_epi8(b'\n' as i8), _mm_set1_epi8(quote as i8));
            let (mut d, mut n, mut q) = (0u64, 0u64, 0u64);
            for k in 0..BLOCK / 16 {
                let v = _mm_loadu_si128(block.as_ptr().add(16 * k) as *const __m128i);
                let mask = |c| _mm_movemask_epi8(_mm_cmpeq_epi8(v, c)) as u16 as u64;
                d |= mask(vd) << (16 * k);
                n |= mask(vn) << (16 * k);
                q |= mask(vq) << (16 * k);
            }
            (d, n, q)
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let (mut d, mut n, mut q) = (0u64, 0u64, 0u64);
        for (j, &b) in block.iter().enumerate() {
            d |= ((b == delimiter) as u64) << j;
            n |= ((b == b'\n') as u64) << j;
            q |= ((b == quote) as u64) << j;
        }
        (d, n, q)
    }
}

/// A field's value as polars' CSV reader reads it: a trailing `\r` dropped; empty is null; a
/// field that opens with a quote must close with one, and loses both, `""` inside read as `"`
/// (into `unescaped`). `Err` when an opened quote does not close the field.
#[inline]
pub(super) fn field_value<'a>(raw: &'a str, quote: u8, unescaped: &'a mut String) -> Result<Option<&'a str>, ()> {
    let raw = raw.strip_suffix('\r').unwrap_or(raw);
    if raw.is_empty() {
        return Ok(None);
    }
    // byte tests: `quote` is ASCII (NO_QUOTE, NUL, never reaches here)
    let bytes = raw.as_bytes();
    if bytes[0] != quote {
        return Ok(Some(raw));
    }
    let closed = bytes.len() > 1 && bytes[bytes.len() - 1] == quote;
    let inner = raw.get(1..raw.len() - 1).filter(|_| closed).ok_or(())?;
    unescaped.clear();
    let mut doubled = false;
    for c in inner.chars() {
        // a doubled quote is one quote; a lone one is dropped (as polars does)
        if c.is_ascii() && c as u8 == quote && !doubled {
            doubled = true;
            continue;
        }
        doubled = false;
        unescaped.push(c);
    }
    Ok(Some(unescaped.as_str()))
}

/// The text Excel shows for a field written as one of its text formulas, `="00123"`: ERP and
/// POS exports write ids (and dates, amounts) so to keep leading zeros when the file is
/// opened in Excel, quoted (`"=""00123"""`, read by [`field_value`] as `="00123"`) or not.
/// Read as written, every such id was another than the shop's own (`="0017850"`, not
/// `0017850`), silently: the lists published under ids no system of the shop's knows. `None`
/// when `value` is not one formula's string literal (`="a"&"b"` is a formula, read as it is);
/// `""` inside is one quote (into `shown`); `=""` shows nothing (an empty field).
#[inline]
pub(super) fn formula_text<'a>(value: &'a str, shown: &'a mut String) -> Option<&'a str> {
    let inner = value.strip_prefix("=\"")?.strip_suffix('"')?;
    if !inner.contains('"') {
        return Some(inner);
    }
    // every quote inside the literal is doubled, else it is not one literal
    shown.clear();
    let mut rest = inner;
    while let Some(at) = rest.find('"') {
        if rest.as_bytes().get(at + 1) != Some(&b'"') {
            return None;
        }
        shown.push_str(&rest[..=at]);
        rest = &rest[at + 2..];
    }
    shown.push_str(rest);
    Some(shown.as_str())
}

/// A field's value as the builders read it: [`field_value`], then an Excel text formula as the
/// text it shows ([`formula_text`]; `=""` shows nothing: none), and whether it was one. `Err`
/// when an opened quote does not close the field.
#[inline]
pub(super) fn field_shown<'a>(
    raw: &'a str,
    quote: u8,
    (unescaped, shown): (&'a mut String, &'a mut String),
) -> Result<(Option<&'a str>, bool), ()> {
    let Some(value) = field_value(raw, quote, unescaped)? else { return Ok((None, false)) };
    Ok(match formula_text(value, shown) {
        Some(text) => ((!text.is_empty()).then_some(text), true),
        None => (Some(value), false),
    })
}

/// The note on a column `count` of whose fields were Excel text formulas ([`formula_text`]).
pub(super) fn formulas_note(column: &str, count: usize) -> String {
    let (s, were) = if count == 1 { ("", "was") } else { ("s", "were") };
    format!(
        "column '{column}': {count} value{s} {were} written as Excel text formulas (=\"00123\") and read as the text \
         Excel shows (00123)"
    )
}

/// Whether a field's raw bytes are empty (read as null) and whether a quote it opens fails to
/// close it: the scan's side of [`field_value`].
#[inline]
pub(super) fn field_shape(raw: &[u8], quote: u8) -> (bool, bool) {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let bad_quote = raw.first() == Some(&quote) && (raw.len() < 2 || raw.last() != Some(&quote));
    (raw.is_empty(), bad_quote)
}

#[cfg(test)]
mod tests {
    use super::super::csv::twin::*;
    use crate::config::Encoding;
    use crate::error::InputError;

    #[test]
    fn long_records_split_by_blocks_read_as_polars_reads_them() {
        // Records of 0 to ~200 bytes cross the 64-byte blocks at every offset; some hold
        // quotes (delimiters, newlines and doubled quotes inside), some end in CRLF.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for delimiter in [b',', b'\t'] {
            let d = delimiter as char;
            let mut text = format!("a{d}b{d}c{d}d\n");
            for _ in 0..400 {
                for k in 0..4 {
                    let len = [0, 1, 5, 11, 12, 13, 30, 63, 64, 65][next(10) as usize];
                    let body: String = (0..len).map(|j| (b'a' + ((j + k) % 26) as u8) as char).collect();
                    match next(8) {
                        0 => text += &format!("\"{body}{d}x\"\"y\nz\""),
                        1 => text += &format!("\"{body}\""),
                        _ => text += &body,
                    }
                    if k < 3 {
                        text.push(d);
                    }
                }
                text += if next(5) == 0 { "\r\n" } else { "\n" };
            }
            let polars = polars_whole_with(text.as_bytes(), delimiter);
            for (chunk, piece) in [(text.len(), usize::MAX), (1 << 10, 1 << 12), (100, 300), (64, 64)] {
                let read = stream(text.as_bytes(), chunk, piece, Encoding::UTF8, false).unwrap();
                assert!(read.frame.equals_missing(&polars), "{chunk} {piece}: {:?} vs {polars:?}", read.frame);
                assert_eq!(read.nulls, polars.columns().iter().map(|c| c.null_count()).collect::<Vec<_>>());
            }
            // a ragged row far into a long piece names its line
            let ragged = format!("{text}1{d}2\n");
            let lines = text.matches('\n').count() + 1;
            let err = input_error(stream(ragged.as_bytes(), 1 << 12, 1 << 14, Encoding::UTF8, false).err().unwrap());
            assert!(matches!(err, InputError::Ragged { line, found: 2, .. } if line == lines), "{err} vs {lines}");
        }
    }
}
