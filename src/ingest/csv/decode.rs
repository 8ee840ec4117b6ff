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
    /// A single-byte encoding's input read as UTF-8 too ([`Utf8Check`]).
    utf8: Option<Utf8Check>,
}

/// Whether a file read in a single-byte encoding (windows-1252, latin-1, …) may be UTF-8 text:
/// its bytes all valid UTF-8, with a character beyond ASCII. Every byte is valid in those
/// encodings, so UTF-8 read in one is garbled without a decoding error (`café` read as
/// `cafÃ©`): an exporter switched to Excel's "CSV UTF-8" garbled 98 item codes and 134 names
/// of a helper's export, 45.8% of the lists changed at exit 0 (helper-154). The reverse
/// (windows-1252 bytes read as UTF-8) is a decoding error already. Windows-1252 text is hardly
/// ever valid UTF-8 beyond ASCII: each accented letter must be followed by one to three bytes of
/// 0x80–0xBF, symbols and punctuation there (`Ã©`, `â€™`: text already garbled); but in
/// windows-1250 0xA3 is `Ł`, and `KÓŁKO` is valid UTF-8 (helper-157): said, not refused.
#[derive(Default)]
struct Utf8Check {
    /// The bytes of a sequence cut by a chunk's end.
    tail: Vec<u8>,
    /// A byte so far is not valid UTF-8.
    invalid: bool,
    /// Line ends before the first character beyond ASCII, until it is found.
    lines: usize,
    /// The first character beyond ASCII: its line (1-based) and the character.
    first: Option<(usize, char)>,
}

impl Utf8Check {
    /// Reads `input` (the file goes on after it unless `last`).
    fn see(&mut self, input: &[u8], last: bool) {
        if self.invalid {
            return;
        }
        let mut bytes = std::mem::take(&mut self.tail);
        bytes.extend_from_slice(input);
        let (valid, rest) = match std::str::from_utf8(&bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let text = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
                (text, Some((e.valid_up_to(), e.error_len())))
            }
        };
        if self.first.is_none() {
            match valid.char_indices().find(|(_, c)| !c.is_ascii()) {
                Some((at, c)) => {
                    self.lines += memchr::memchr_iter(b'\n', &valid.as_bytes()[..at]).count();
                    self.first = Some((self.lines + 1, c));
                }
                None => self.lines += memchr::memchr_iter(b'\n', valid.as_bytes()).count(),
            }
        }
        match rest {
            None => {}
            Some((at, None)) if !last => self.tail = bytes[at..].to_vec(),
            Some(_) => self.invalid = true,
        }
    }

    /// The first character beyond ASCII (its line, the character) when every byte read was
    /// valid UTF-8.
    fn utf8(&self) -> Option<(usize, char)> {
        self.first.filter(|_| !self.invalid)
    }
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
        Decode { configured, head: Vec::with_capacity(HEAD), state: State::Head, utf8: None }
    }

    /// Once the file has ended: a single-byte encoding was configured and every byte is valid
    /// UTF-8, with a character beyond ASCII ([`Utf8Check`]): the line of the first such, and
    /// it. Said, not refused: windows-1250's `ÓŁ` (Polish capitals, `KÓŁKO`) is valid UTF-8 too
    /// (helper-157).
    pub(super) fn utf8_text(&self) -> Option<(usize, char)> {
        self.utf8.as_ref().and_then(Utf8Check::utf8)
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
        // no BOM (a BOM decides) and a single-byte encoding: UTF-8 would read without an error
        self.utf8 = (bom == 0 && encoding.is_single_byte()).then(Utf8Check::default);
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
        if let Some(check) = self.utf8.as_mut() {
            check.see(input, last);
        }
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

    /// `bytes` decoded in chunks of `chunk` bytes, and what [`Decode::utf8_text`] says then.
    fn utf8_of(bytes: &[u8], encoding: &'static Encoding, chunk: usize) -> Option<(usize, char)> {
        let (mut decode, mut out) = (Decode::new(encoding), Vec::new());
        for piece in bytes.chunks(chunk) {
            decode.push(piece, &mut out, false).unwrap();
        }
        decode.push(&[], &mut out, true).unwrap();
        decode.utf8_text()
    }

    /// UTF-8 read in a single-byte encoding is told, naming the first character beyond ASCII
    /// and its line, in chunks of any size (a sequence cut by a chunk's end); text of that
    /// encoding, ASCII, and UTF-8 with one byte that is not, are not.
    #[test]
    fn utf8_text_read_in_a_single_byte_encoding_is_told() {
        let utf8 = "id,name\n1,mug\n2,Café crème\n";
        for chunk in 1..=utf8.len() {
            assert_eq!(utf8_of(utf8.as_bytes(), WINDOWS_1252, chunk), Some((3, 'é')), "chunks of {chunk}");
        }
        let latin2 = crate::config::Encoding::for_label("windows-1250").unwrap().0;
        assert_eq!(utf8_of("a\nŁódź\n".as_bytes(), latin2, 2), Some((2, 'Ł')));
        for (bytes, encoding) in [
            (b"id\n1,Caf\xE9 cr\xE8me\n".to_vec(), WINDOWS_1252),
            (b"id\n1,mug\n".to_vec(), WINDOWS_1252),
            // valid UTF-8 but for one byte: the encoding's text
            ([utf8.as_bytes(), b"\xE9\n"].concat(), WINDOWS_1252),
            // UTF-8 and a BOM: read as UTF-8 whatever is set
            ([b"\xEF\xBB\xBF", utf8.as_bytes()].concat(), WINDOWS_1252),
            (utf8.as_bytes().to_vec(), UTF_8),
        ] {
            assert_eq!(utf8_of(&bytes, encoding, 3), None, "{bytes:?}");
        }
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
