//! Decode: the file's bytes as UTF-8 text, a chunk at a time.
//!
//! Takes the chunks as read (inflated) and the `[input] encoding`; appends UTF-8 text. A
//! byte-order mark decides the encoding whatever is set and is dropped (UTF-8, UTF-16LE,
//! UTF-16BE: the WHATWG "decode" algorithm, which Excel's "Unicode text" needs). UTF-8 is
//! passed through as it is (the builders check it, naming the line); every other encoding goes
//! through `encoding_rs`'s streaming decoder, which keeps a sequence cut by a chunk's end for
//! the next chunk, so the text is the same whatever the chunk size (a twin test holds it so).
//! The first bytes are checked for what files that are not text start with (the binary
//! formats [`magic`] knows: a zip, as .xlsx is; an old .xls; Parquet; gzip; …; and UTF-16
//! without a mark), so the error can say what the file appears to be and what to do.

use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::ingest::magic::{self, Format};

/// Bytes the start of a file is judged on: the longest magic number, and bytes after it that
/// tell a magic number in letters (`ARROW1`) from text that starts with them.
const HEAD: usize = 16;

/// The decoding of one file, chunk by chunk.
pub(super) struct Decode {
    configured: &'static Encoding,
    /// The file's first bytes, until [`HEAD`] of them tell its BOM and magic number.
    head: Vec<u8>,
    state: State,
}

enum State {
    Head,
    /// UTF-8 (without its BOM): the bytes as they are.
    Utf8,
    Decoder(encoding_rs::Decoder),
}

/// Why the text could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Failure {
    /// The file starts as a kind of file that is not text.
    NotText(Format),
    /// Bytes that are not valid in the encoding; the text before them has been appended.
    Malformed,
}

/// (what a file of `format`, which is not text, appears to be; what to do); `gz`: the file is
/// already read as gzip.
pub(super) fn hint(format: Format, gz: bool) -> (&'static str, &'static str) {
    match format {
        Format::Zip => (format.what(), "if it is a workbook, name it .xlsx (or .ods); if it is a zipped CSV, unzip it"),
        Format::Gzip if gz => ("gzip-compressed twice", "decompress it once (gunzip) and name it .csv.gz"),
        Format::Gzip => (format.what(), "name it with .gz at the end (e.g. export.csv.gz)"),
        Format::Utf16 { big_endian: false, .. } => (format.what(), "set [input] encoding = \"utf-16le\""),
        Format::Utf16 { big_endian: true, .. } => (format.what(), "set [input] encoding = \"utf-16be\""),
        _ => (format.what(), format.todo()),
    }
}

impl Decode {
    pub(super) fn new(configured: &'static Encoding) -> Decode {
        Decode { configured, head: Vec::with_capacity(HEAD), state: State::Head }
    }

    /// The encoding the text is read in: the BOM's, else the configured one.
    pub(super) fn encoding(&self) -> &'static Encoding {
        match &self.state {
            State::Decoder(d) => d.encoding(),
            State::Utf8 => UTF_8,
            State::Head => self.configured,
        }
    }

    /// Appends `input` decoded to `out`; `last`: the file ends after it (a sequence it cuts
    /// is then malformed).
    pub(super) fn push(&mut self, mut input: &[u8], out: &mut Vec<u8>, last: bool) -> Result<(), Failure> {
        if let State::Head = self.state {
            let take = (HEAD - self.head.len()).min(input.len());
            self.head.extend_from_slice(&input[..take]);
            input = &input[take..];
            if self.head.len() < HEAD && !last {
                return Ok(());
            }
            let head = std::mem::take(&mut self.head);
            let bom = self.start(&head)?;
            self.decode(&head[bom..], out, false)?;
        }
        self.decode(input, out, last)
    }

    /// Chooses how to decode from the file's first bytes; returns the length of its BOM.
    fn start(&mut self, head: &[u8]) -> Result<usize, Failure> {
        let (encoding, bom) = match Encoding::for_bom(head) {
            Some((encoding, bom)) => (encoding, bom),
            None => {
                if let Some(kind) = not_text(magic::sniff(head), self.configured) {
                    return Err(Failure::NotText(kind));
                }
                (self.configured, 0)
            }
        };
        self.state = match encoding == UTF_8 {
            true => State::Utf8,
            false => State::Decoder(encoding.new_decoder_without_bom_handling()),
        };
        Ok(bom)
    }

    fn decode(&mut self, mut input: &[u8], out: &mut Vec<u8>, last: bool) -> Result<(), Failure> {
        let decoder = match &mut self.state {
            State::Utf8 => {
                out.extend_from_slice(input);
                return Ok(());
            }
            State::Decoder(decoder) => decoder,
            State::Head => return Ok(()), // not reached: `push` has left the head
        };
        loop {
            let room = decoder.max_utf8_buffer_length_without_replacement(input.len());
            let at = out.len();
            out.resize(at + room.unwrap_or(3 * input.len() + 16), 0);
            let (result, read, written) = decoder.decode_to_utf8_without_replacement(input, &mut out[at..], last);
            out.truncate(at + written);
            input = &input[read..];
            match result {
                DecoderResult::InputEmpty => return Ok(()),
                DecoderResult::OutputFull => continue,
                DecoderResult::Malformed(..) => return Err(Failure::Malformed),
            }
        }
    }
}

/// `format` ([`magic::sniff`] of a file's start, no BOM) when it is not text: a binary format
/// told by its magic number; UTF-16 when every other byte of ASCII-like text is NUL (unless
/// UTF-16 is what is configured).
pub(super) fn not_text(format: Format, configured: &'static Encoding) -> Option<Format> {
    let utf16 = configured == UTF_16LE || configured == UTF_16BE;
    match format {
        format @ Format::Utf16 { bom: false, .. } if !utf16 => Some(format),
        format if format.known_binary() => Some(format),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::WINDOWS_1252;

    /// `bytes` decoded in chunks of `chunk` bytes.
    fn decoded(bytes: &[u8], encoding: &'static Encoding, chunk: usize) -> Result<Vec<u8>, Failure> {
        let (mut decode, mut out) = (Decode::new(encoding), Vec::new());
        for piece in bytes.chunks(chunk) {
            decode.push(piece, &mut out, false)?;
        }
        decode.push(&[], &mut out, true)?;
        Ok(out)
    }

    /// UTF-16 and windows-1252 text whose multi-byte sequences (a surrogate pair, €) fall across
    /// every chunk boundary.
    fn samples() -> Vec<(Vec<u8>, &'static Encoding, &'static str)> {
        let text = "a\tb\r\n“Café” mug €,\t😀 x\r\n";
        let utf16le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let utf16be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        let cp1252 = b"\x93Caf\xE9\x94 mug \x80".to_vec();
        vec![
            (utf16le, UTF_8, text),
            (utf16be, WINDOWS_1252, text),
            (cp1252, WINDOWS_1252, "“Café” mug €"),
            ([b"\xEF\xBB\xBF", text.as_bytes()].concat(), WINDOWS_1252, text),
        ]
    }

    #[test]
    fn chunked_decoding_equals_whole_file_decoding() {
        for (bytes, encoding, text) in samples() {
            let whole = decoded(&bytes, encoding, bytes.len()).unwrap();
            assert_eq!(String::from_utf8(whole.clone()).unwrap(), text);
            for chunk in 1..bytes.len() {
                assert_eq!(decoded(&bytes, encoding, chunk).unwrap(), whole, "{text:?} in chunks of {chunk}");
            }
        }
    }

    #[test]
    fn windows_1252_is_what_latin_1_means() {
        // 0x93 0x80 0x94: “€” in windows-1252 (ISO-8859-1 would give three C1 controls)
        let latin1 = crate::config::Encoding::for_label("latin-1").unwrap().0;
        assert_eq!(decoded(b"\x93\x80\x94", latin1, 1).unwrap(), "“€”".as_bytes());
        assert_eq!(latin1, WINDOWS_1252);
    }

    #[test]
    fn a_cut_or_bad_sequence_is_malformed() {
        // an unpaired surrogate, and a file ending half-way through a code unit
        assert_eq!(decoded(b"\xFF\xFEa\x00\x00\xD8b\x00", UTF_8, 3), Err(Failure::Malformed));
        assert_eq!(decoded(b"\xFF\xFEa\x00b", UTF_8, 2), Err(Failure::Malformed));
    }

    #[test]
    fn files_that_are_not_text_are_told_by_their_first_bytes() {
        // every format magic knows that is not text (UTF-16 with a mark decodes)
        let binary = magic::SAMPLES
            .into_iter()
            .filter(|(_, f)| f.known_binary() || matches!(f, Format::Utf16 { bom: false, .. }));
        assert_eq!(binary.clone().count(), 11);
        for (bytes, kind) in binary {
            for chunk in 1..=bytes.len() {
                assert_eq!(decoded(bytes, UTF_8, chunk), Err(Failure::NotText(kind)), "{bytes:?}");
            }
        }
        // UTF-16 without a mark reads once it is named; short files, and headers that start
        // with a format's letters, are text
        assert_eq!(decoded(b"C\x00u\x00", UTF_16LE, 1).unwrap(), b"Cu");
        assert_eq!(decoded(b"a\n", UTF_8, 1).unwrap(), b"a\n");
        assert_eq!(decoded(b"ORCID,PAR1\n1,2\n", UTF_8, 1).unwrap(), b"ORCID,PAR1\n1,2\n");
    }
}
