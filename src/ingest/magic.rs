//! Magic: what a file's first bytes say it is.
//!
//! Every reader refuses a file named for another format by saying what the file appears to be
//! and what to do: a CSV named .parquet, a workbook or Parquet named .csv, Parquet named .xlsx,
//! an HTML page named .xls. They all ask here, so that a format one reader tells, every reader
//! tells (helper-116's table for Parquet and the CSV reader's had drifted: zstd, ORC, Avro and
//! Feather named .csv read as text, and Parquet named .xlsx reached calamine's "Invalid OLE
//! signature").
//!
//! First the magic numbers of the binary formats a shop's export or a data lake holds:
//! Parquet, ORC, Avro, Arrow IPC (Feather), gzip, zstd, zip (xlsx, ods), OLE (xls). Then text,
//! by its byte-order mark or UTF-16's NULs, and by its first character and line: XML, HTML,
//! JSON, tab- or comma-separated. A magic number spelled in letters (`PAR1`, `ORC`, `ARROW1`)
//! counts only when a byte no text holds follows it in the head, so that a CSV whose header
//! starts `ORCID` stays text.

use std::io::Read;
use std::path::Path;

/// Bytes a reader hands to [`sniff`]: the longest magic number, room after it for the byte
/// that tells a magic number in letters from text, and a first line to look at.
pub(crate) const HEAD: usize = 512;

/// The first [`HEAD`] bytes of `file` (all of it when shorter), as [`sniff`] takes them.
pub(crate) fn head(file: impl Read) -> std::io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD);
    file.take(HEAD as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// What the file at `path` appears to be and what to do, as "; it appears to be …; …", for
/// a file whose name says no format kindred reads (`export`, `x.json`, `part-0000`); empty
/// when it cannot be read.
pub(crate) fn appears(path: &Path) -> String {
    match std::fs::File::open(path).and_then(head) {
        Ok(head) => {
            let format = sniff(&head);
            format!("; it appears to be {}; {}", format.what(), format.todo())
        }
        Err(_) => String::new(),
    }
}

/// What a file appears to be, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Parquet,
    Orc,
    Avro,
    Arrow,
    Gzip,
    Zstd,
    /// A zip archive: .xlsx, .xlsm, .xlsb and .ods are.
    Zip,
    /// An OLE container: .xls is (and an encrypted .xlsx).
    Ole,
    /// UTF-16 text: with a byte-order mark, or told by the NULs between ASCII characters.
    Utf16 {
        big_endian: bool,
        bom: bool,
    },
    Xml,
    Html,
    Json,
    /// Text whose first line holds a tab.
    TabText,
    /// Other text: comma- or semicolon-separated, as far as its start tells.
    Text,
    /// Bytes of a kind not known here: a control byte no text holds.
    Binary,
    Empty,
}

/// Binary formats by their magic number, and whether the number is spelled in letters (it
/// then needs a byte no text holds after it).
const MAGIC: [(&[u8], Format, bool); 9] = [
    (b"PAR1", Format::Parquet, true),
    (b"ORC", Format::Orc, true),
    (b"ARROW1", Format::Arrow, true),
    (b"Obj\x01", Format::Avro, false),
    (b"\x1f\x8b", Format::Gzip, false),
    (b"(\xb5/\xfd", Format::Zstd, false),
    (b"PK\x03\x04", Format::Zip, false),
    (b"PK\x05\x06", Format::Zip, false), // an empty archive
    (b"\xd0\xcf\x11\xe0", Format::Ole, false),
];

/// A byte that text does not hold: a control character other than tab, line ends and form feed.
fn binary(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c)
}

/// What a file whose first bytes are `head` (up to [`HEAD`] of them) appears to be.
pub(crate) fn sniff(head: &[u8]) -> Format {
    let spelled_out = |magic: &[u8]| head[magic.len()..].iter().any(|&b| binary(b));
    if let Some(&(_, format, _)) =
        MAGIC.iter().find(|(magic, _, letters)| head.starts_with(magic) && (!letters || spelled_out(magic)))
    {
        return format;
    }
    let text = match head {
        [] => return Format::Empty,
        [0xFF, 0xFE, ..] => return Format::Utf16 { big_endian: false, bom: true },
        [0xFE, 0xFF, ..] => return Format::Utf16 { big_endian: true, bom: true },
        [a, 0, b, 0, ..] if *a != 0 && *b != 0 => return Format::Utf16 { big_endian: false, bom: false },
        [0, a, 0, b, ..] if *a != 0 && *b != 0 => return Format::Utf16 { big_endian: true, bom: false },
        [0xEF, 0xBB, 0xBF, rest @ ..] => rest,
        _ => head,
    };
    if text.iter().any(|&b| binary(b)) {
        return Format::Binary;
    }
    let text = String::from_utf8_lossy(text);
    let start = text.trim_start();
    match start.chars().next() {
        _ if start.starts_with("<?xml") => Format::Xml,
        Some('<') => Format::Html,
        Some('{' | '[') => Format::Json,
        _ if start.lines().next().is_some_and(|line| line.contains('\t')) => Format::TabText,
        _ => Format::Text,
    }
}

impl Format {
    /// Whether the format is one of the binary formats told by a magic number: a file no
    /// reader of text may read, whatever its encoding.
    pub(crate) fn known_binary(self) -> bool {
        MAGIC.iter().any(|&(_, format, _)| format == self)
    }

    /// What a file of this format appears to be, as a person says it.
    pub(crate) fn what(self) -> &'static str {
        use Format as F;
        match self {
            F::Parquet => "a Parquet file",
            F::Orc => "an ORC file (Hive's other columnar format)",
            F::Avro => "an Avro file (as Glue and BigQuery export)",
            F::Arrow => "an Arrow IPC (Feather) file",
            F::Gzip => "gzip-compressed",
            F::Zstd => "zstd-compressed",
            F::Zip => "a zip archive, as an Excel workbook (.xlsx) is",
            F::Ole => "an old-style Excel workbook (.xls)",
            F::Utf16 { big_endian: false, bom: true } => "UTF-16LE text",
            F::Utf16 { big_endian: true, bom: true } => "UTF-16BE text",
            F::Utf16 { big_endian: false, bom: false } => "UTF-16LE text without a byte-order mark",
            F::Utf16 { big_endian: true, bom: false } => "UTF-16BE text without a byte-order mark",
            F::Xml => "XML",
            F::Html => "an HTML page",
            F::Json => "JSON text",
            F::TabText => "tab-separated text",
            F::Text => "text (CSV?)",
            F::Binary => "binary of a kind kindred does not know",
            F::Empty => "an empty file (0 bytes)",
        }
    }

    /// What to do with a file of this format that was named as another: the name kindred
    /// reads it by, or how to make it one kindred reads.
    pub(crate) fn todo(self) -> &'static str {
        use Format as F;
        match self {
            F::Parquet => "name it .parquet",
            F::Orc => "write the table as Parquet, or convert it (duckdb, Spark)",
            F::Arrow => "write it as Parquet (pyarrow.parquet.write_table, polars' write_parquet)",
            F::Gzip => "decompress it (gunzip) and name it for what it holds",
            F::Zstd => "decompress it (zstd -d) and name it for what it holds",
            F::Zip => "if it is a workbook, name it .xlsx (or .ods); if it is a zipped export, unzip it",
            F::Ole => "name it .xls",
            F::Utf16 { big_endian: false, bom: false } => {
                "name it .csv and set [input] encoding = \"utf-16le\" to read it as text"
            }
            F::Utf16 { big_endian: true, bom: false } => {
                "name it .csv and set [input] encoding = \"utf-16be\" to read it as text"
            }
            F::Utf16 { .. } => "name it .csv (or .tsv when tab-separated) to read it as text",
            F::TabText => "name it .tsv to read it as text",
            F::Text => "name it .csv to read it as text",
            F::Empty => "export it again",
            F::Avro | F::Xml | F::Html | F::Json | F::Binary => "export it as Parquet or CSV",
        }
    }
}

/// A file's start for each format, and what it is told as: the readers' tests run them all
/// (the CSV reader must refuse each that is not text).
#[cfg(test)]
pub(crate) const SAMPLES: [(&[u8], Format); 20] = [
    (b"PAR1\x15\x04\x15\x00", Format::Parquet),
    (b"ORC\x0a\x03\x08\x00\x10", Format::Orc),
    (b"ARROW1\x00\x00\xff\xff", Format::Arrow),
    (b"Obj\x01\x04\x14avro", Format::Avro),
    (b"\x1f\x8b\x08\x00", Format::Gzip),
    (b"(\xb5/\xfd\x04\x00", Format::Zstd),
    (b"PK\x03\x04\x14\x00\x06\x00", Format::Zip),
    (b"PK\x05\x06\x00\x00", Format::Zip),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", Format::Ole),
    (b"\xff\xfeC\x00u\x00", Format::Utf16 { big_endian: false, bom: true }),
    (b"\xfe\xff\x00C\x00u", Format::Utf16 { big_endian: true, bom: true }),
    (b"C\x00u\x00s\x00", Format::Utf16 { big_endian: false, bom: false }),
    (b"\x00C\x00u\x00s", Format::Utf16 { big_endian: true, bom: false }),
    (b"  <?xml version=\"1.0\"?><Workbook/>", Format::Xml),
    (b"\n <html><table>", Format::Html),
    (b"\xef\xbb\xbf[{\"CustomerID\": 1}]", Format::Json),
    (b"\xef\xbb\xbfCustomerID\tStockCode\n1\t2\n", Format::TabText),
    (b"CustomerID;StockCode\n1;A\n", Format::Text),
    (b"\x01\x02\x03\x04", Format::Binary),
    (b"", Format::Empty),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_format_is_told_by_its_first_bytes() {
        for (k, (head, format)) in SAMPLES.into_iter().enumerate() {
            assert_eq!(sniff(head), format, "{head:?}");
            assert_eq!(format.known_binary(), k < 9, "{format:?}");
        }
    }

    #[test]
    fn a_magic_number_in_letters_needs_binary_after_it() {
        // headers that start with a format's letters, and a file that is only the letters
        for head in [&b"ORCID,Customer\n1,2\n"[..], b"PAR1 code,qty\n", b"ARROW1\tx\n", b"ORC"] {
            assert!(matches!(sniff(head), Format::Text | Format::TabText), "{head:?}");
        }
    }
}
