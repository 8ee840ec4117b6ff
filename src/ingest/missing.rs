//! Missing values written as text: which cells of an export hold no value.
//!
//! An export says "no value" in more ways than an empty cell: SQL clients write `NULL`, pandas
//! `nan` (a float column turned to text), R `NA`, Excel `#N/A`, a quoting writer `""`. Read as
//! values, such a word in the customer column became one customer who bought everything the
//! guests bought, a neighbour of many real customers. [`Missing`] is the one rule every reader
//! applies to every column before anything counts or parses it: a cell whose text, trimmed of
//! whitespace, is empty or one of `[input] null_values` (by default the texts pandas'
//! `read_csv` and `read_excel` read as missing, so the audit counts what the notebook this
//! method grew from counts) is null. One exception keeps an error an error: in the column
//! mapped to the quantity, a word that reads as a number (`NaN`) is left to the quantity's
//! parser, which refuses it naming the row (a quantity of NaN is a broken export, not a gap).

use polars::prelude::*;

use super::find_column;

/// The texts pandas reads as missing (`pandas.read_csv`'s `na_values` default, without the
/// empty text, which is always missing), and the "no value" of the tools shops' exports come
/// from that pandas does not know: `\N` (MySQL's `SELECT … INTO OUTFILE`, PostgreSQL's `COPY`,
/// Hive — a WooCommerce, Magento or PrestaShop database's dump), `(null)` (C's printf),
/// `[NULL]` and `<null>` (SQL clients' grids copied out), `#NULL!` (a spreadsheet's error),
/// `NaT` (pandas' missing time), `undefined` (JavaScript): read as a value, each became one
/// customer who bought every guest purchase (helper-99: `\N`, 5,391 guest lines, a neighbour of
/// 1,003 customers). And the other errors a spreadsheet saved as CSV writes for a cell whose
/// formula failed (Excel's, LibreOffice's and Google Sheets' `#DIV/0!`, `#VALUE!`, `#REF!`,
/// `#NAME?`, `#NUM!`, Sheets' `#ERROR!`, Excel's `#SPILL!` and `#CALC!`): the workbook's error
/// cell reads as missing, and the CSV Excel saved from it made each a customer or an item
/// (helper-159: `#REF!` the most bought item, recommended to 254 of 695 customers).
/// `[input] null_values` unless the pipeline sets it.
pub const DEFAULT_NULL_VALUES: [&str; 35] = [
    "#CALC!",
    "#DIV/0!",
    "#ERROR!",
    "#N/A",
    "#N/A N/A",
    "#NA",
    "#NAME?",
    "#NULL!",
    "#NUM!",
    "#REF!",
    "#SPILL!",
    "#VALUE!",
    "(null)",
    "-1.#IND",
    "-1.#QNAN",
    "-NaN",
    "-nan",
    // MySQL's "zero" date and datetime, which its exports (WooCommerce's, Magento's) write for
    // no date: a cancelled order's, a return's (helper-152: read as dates that do not read, they
    // refused exports whose kept lines were all dated)
    "0000-00-00",
    "0000-00-00 00:00:00",
    "1.#IND",
    "1.#QNAN",
    "<NA>",
    "<null>",
    "N/A",
    "NA",
    "NULL",
    "NaN",
    "NaT",
    "None",
    "[NULL]",
    "\\N",
    "n/a",
    "nan",
    "null",
    "undefined",
];

/// A text's first and last bytes as one number (0 … 65,535); empty is 0.
#[inline]
fn ends_of(bytes: &[u8]) -> usize {
    match (bytes.first(), bytes.last()) {
        (Some(&f), Some(&l)) => (f as usize) << 8 | l as usize,
        _ => 0,
    }
}

/// Which texts are missing values, and which column is the quantity (its number words are
/// not).
#[derive(Debug, Clone)]
pub struct Missing {
    /// Sorted, each once: found by binary search (a linear search of 20,000 words per field
    /// made a CSV's read crawl).
    words: Vec<String>,
    /// The longest word's length: a longer value without whitespace at its ends is no word.
    longest: usize,
    /// A bit for each word's (first byte, last byte): a value without whitespace at its ends
    /// whose two ends are no word's is no word. Nearly every short value of an export — a
    /// quantity `6`, a price `2.55`, a code `85123A`, an id `17850.0` — is settled so; the
    /// binary search it went to instead (a few `memcmp`s a field) was a quarter of the
    /// article pipeline's whole run on the shipped export (perf, session 35).
    ends: Vec<u64>,
    /// The column mapped to the quantity, as the pipeline names it.
    quantity: Option<String>,
}

impl Default for Missing {
    fn default() -> Missing {
        Missing::new(&DEFAULT_NULL_VALUES.map(String::from), None)
    }
}

impl Missing {
    /// `words` read as missing (each trimmed; blanks are missing anyway), `quantity` the
    /// column the pipeline maps to the quantity.
    pub fn new(words: &[String], quantity: Option<&str>) -> Missing {
        let mut words: Vec<String> = words.iter().map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
        words.sort_unstable();
        words.dedup();
        let longest = words.iter().map(String::len).max().unwrap_or(0);
        let mut ends = vec![0u64; 65_536 / 64];
        for w in &words {
            let pair = ends_of(w.as_bytes());
            ends[pair / 64] |= 1 << (pair % 64);
        }
        Missing { words, longest, ends, quantity: quantity.map(str::to_string) }
    }

    /// Whether `text`, a cell of a column whose values are numbers when `number`, is missing.
    /// Runs on every field of a CSV: a value longer than every word with no whitespace at its
    /// ends (nearly every id, date and description) is settled by its length and two bytes.
    #[inline]
    pub fn is(&self, text: &str, number: bool) -> bool {
        let bytes = text.as_bytes();
        let edge = |b: &u8| *b <= b' ' || *b >= 0x80;
        if !bytes.first().is_some_and(edge) && !bytes.last().is_some_and(edge) && !bytes.is_empty() {
            let pair = ends_of(bytes);
            if bytes.len() > self.longest || self.ends[pair / 64] & (1 << (pair % 64)) == 0 {
                return false;
            }
        }
        let text = text.trim();
        text.is_empty()
            || (self.words.binary_search_by(|w| w.as_str().cmp(text)).is_ok()
                && !(number && text.parse::<f64>().is_ok()))
    }

    /// For each of `header`'s columns, whether it is the quantity's (its values are numbers).
    pub fn numbers(&self, header: &[String]) -> Vec<bool> {
        let quantity = self.quantity.as_deref().and_then(|q| find_column(header, q).ok().flatten());
        header.iter().map(|h| Some(h) == quantity).collect()
    }

    /// `frame` with every missing text null, a float column's NaN null (what numpy, Spark and
    /// pandas' writers put for a missing value; a quantity's NaN is left to its parser, as its
    /// text is), and a column of nulls only (Arrow's `null` type, what pandas and polars write
    /// for a column that is all None) as text, as a CSV's empty column reads.
    pub fn apply(&self, frame: DataFrame) -> PolarsResult<DataFrame> {
        let header: Vec<String> = frame.get_column_names().iter().map(|s| s.to_string()).collect();
        let height = frame.height();
        let columns = frame.into_columns().into_iter().zip(self.numbers(&header));
        // the frame made again once: a column replaced at a time (`with_column`) rebuilt its
        // schema each time, quadratic in a Parquet export of thousands of columns
        let read = columns.map(|(column, number)| self.read(column, number)).collect::<PolarsResult<Vec<_>>>()?;
        DataFrame::new(height, read)
    }

    /// A column with its missing marks as nulls (`number`: a role reads it as a number); the
    /// column itself when it has none.
    fn read(&self, column: Column, number: bool) -> PolarsResult<Column> {
        let name = column.name().clone();
        Ok(match column.dtype() {
            DataType::Null => column.cast(&DataType::String)?,
            DataType::String => {
                let ca = column.str()?;
                if !ca.iter().flatten().any(|v| self.is(v, number)) {
                    return Ok(column); // nothing missing in it: no copy
                }
                let read: StringChunked = ca.iter().map(|v| v.filter(|v| !self.is(v, number))).collect();
                read.with_name(name).into_column()
            }
            DataType::Float32 | DataType::Float64 if !number => {
                let values = column.as_materialized_series();
                let wide = values.cast(&DataType::Float64)?;
                if !wide.f64()?.iter().flatten().any(f64::is_nan) {
                    return Ok(column);
                }
                let read: Float64Chunked = wide.f64()?.iter().map(|v| v.filter(|f| !f.is_nan())).collect();
                read.into_series().cast(column.dtype())?.with_name(name).into_column()
            }
            _ => column,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_and_the_words_are_missing_but_a_quantity_keeps_its_nan() {
        let m = Missing::default();
        for text in
            ["", " ", "\t", "\u{a0}", "NULL", " NULL ", "nan", "NaN", "N/A", "#N/A", "None", "NA", "<NA>", "null"]
        {
            assert!(m.is(text, false), "{text:?}");
        }
        for text in ["17850", "Null", "NONE", "nan1", "NULLS", "n a", "A", "0", "NAN SIGN", "BANANA"] {
            assert!(!m.is(text, false), "{text:?}");
        }
        // a quantity's NaN is its parser's (an error naming the row); its NULL is missing
        assert!(!m.is("NaN", true) && !m.is("-nan", true) && !m.is(" nan", true));
        assert!(m.is("NULL", true) && m.is("", true) && m.is("N/A", true));
        // a pipeline's own list replaces the default; blanks stay missing
        let own = Missing::new(&["-".to_string(), " ? ".to_string(), String::new()], None);
        assert!(own.is("-", false) && own.is("?", false) && own.is("  ", false));
        assert!(!own.is("NULL", false) && !own.is("nan", false));
        let none = Missing::new(&[], None);
        assert!(none.is("", false) && !none.is("NULL", false) && !none.is("a", false));
    }

    /// Session 35: the (first, last byte) table settles most values before the search; the
    /// answers are the plain rule's (trimmed, empty or a word) for every text of a few
    /// alphabets up to a word's length and beyond, with the default words and a pipeline's own
    /// (one non-ASCII, one of one byte).
    #[test]
    fn the_ends_table_answers_as_the_plain_rule() {
        let own = ["ø".to_string(), "x".into(), "N A".into(), "-1.#IND".into()];
        for words in [DEFAULT_NULL_VALUES.map(String::from).to_vec(), own.to_vec()] {
            let m = Missing::new(&words, None);
            let plain = |t: &str| t.trim().is_empty() || words.iter().any(|w| w.trim() == t.trim());
            let alphabet = ["N", "A", "/", "#", "n", "a", "1", "-", " ", "ø", "x", ".", "I", "D", "u", "l"];
            let mut texts = vec![String::new()];
            for _ in 0..4 {
                let longer: Vec<String> =
                    texts.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
                texts.extend(longer);
                texts.sort();
                texts.dedup();
            }
            texts.extend(words.iter().flat_map(|w| [w.clone(), format!(" {w}"), format!("{w}\t"), format!("{w}s")]));
            for t in &texts {
                assert_eq!(m.is(t, false), plain(t), "{t:?} with {words:?}");
            }
        }
    }

    /// A database dump's `\N` (MySQL, PostgreSQL, Hive) and the other tools' "no value" texts
    /// are missing by default: each was one customer who bought every guest purchase.
    #[test]
    fn the_tools_no_value_texts_are_missing_by_default() {
        let m = Missing::default();
        for text in ["\\N", " \\N ", "(null)", "[NULL]", "<null>", "#NULL!", "NaT", "undefined", "NULL", "nan"] {
            assert!(m.is(text, false), "{text:?}");
        }
        for text in ["N", "\\n", "\\N1", "nil", "NAT", "Undefined Ltd", "0"] {
            assert!(!m.is(text, false), "{text:?}");
        }
    }

    #[test]
    fn a_frame_loses_its_missing_texts_and_a_null_column_is_text() {
        let m = Missing::new(&DEFAULT_NULL_VALUES.map(String::from), Some("quantity"));
        let frame = df!(
            "Customer ID" => [Some("17850"), Some("NULL"), Some(" "), None, Some("nan")],
            "Quantity" => [Some("1"), Some("NaN"), Some("NULL"), Some("2"), None],
            "price" => [1.0, 2.0, 3.0, 4.0, 5.0],
        )
        .unwrap();
        let empty = Series::full_null("Description".into(), 5, &DataType::Null).into_column();
        let frame = m.apply(frame.hstack(&[empty]).unwrap()).unwrap();
        let text = |name: &str| -> Vec<Option<String>> {
            frame.column(name).unwrap().str().unwrap().iter().map(|v| v.map(str::to_string)).collect()
        };
        assert_eq!(text("Customer ID"), [Some("17850".to_string()), None, None, None, None]);
        // the quantity column found by its key, as the mapping finds it
        assert_eq!(
            text("Quantity"),
            [Some("1".to_string()), Some("NaN".to_string()), None, Some("2".to_string()), None]
        );
        assert_eq!(text("Description"), [None, None, None, None, None]);
        assert_eq!(frame.column("price").unwrap().dtype(), &DataType::Float64);
    }
}
