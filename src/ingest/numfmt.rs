//! Excel number formats that write an id's digits otherwise than plainly, applied to whole
//! numbers as Excel shows them.
//!
//! Takes a cell's number format code (the workbook's styles, as calamine 0.38's
//! [`calamine::Style`] gives them) and its number; returns the text Excel shows. A shop types
//! its ids `00012` into a column formatted `00000`, or `A0012` into one formatted `"A"0000`:
//! the cell holds the number 12, Excel shows (and saves as CSV) the id, and read as the number
//! the id was published as `12`, another id than the same shop's CSV export carries.
//!
//! Only a format whose first section is digit placeholders (`0`, `#`) and literal text (quoted,
//! `\`-escaped, or one of the marks Excel shows as they are) is read, and only when it writes
//! some whole number otherwise than plainly: two zeros or more (`00000`), or a literal (`0000-00`).
//! A format of any other kind (decimals, grouping, percent, exponent, fractions, dates, text,
//! conditions, `_`, `*`, `?`) is no id's format, and its cells are read as before. The digits
//! fill the placeholders from the right, those beyond the placeholders going before the first
//! one (`0000-00` shows 123456789 as `1234567-89`); a `0` with no digit left shows `0`, a `#`
//! nothing (ECMA-376 18.8.31, as Excel shows them).
//!
//! Every workbook format's cells come to [`IdStyles`]: an .xlsx's through calamine's styles, an
//! .xls's from its FORMAT and XF records ([`super::biff`]), an .ods's number styles written as
//! the Excel format code LibreOffice reads them as ([`super::ods`]).

use std::collections::BTreeMap;

/// One piece of a format's first section.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    /// `0`: a digit, or `0` where the number has none.
    Zero,
    /// `#`: a digit, or nothing.
    Hash,
    /// Text shown as it is.
    Text(String),
}

/// A number format that writes whole numbers otherwise than plainly ([`IdFormat::parse`]).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct IdFormat {
    parts: Vec<Part>,
    /// How many sections the code has: with three or more, 0 is shown by the third.
    sections: usize,
    /// The format as the workbook writes it, for the note.
    pub code: String,
}

/// A sheet's number cells whose number format writes whole numbers otherwise than plainly
/// ([`IdFormat`]), each by its (row, column) with its style (an index into `formats`), and the
/// workbook's styles' formats (`None` for every other format).
#[derive(Debug, Default, Clone)]
pub(super) struct IdStyles {
    pub cells: BTreeMap<(u32, u32), usize>,
    pub formats: Vec<Option<IdFormat>>,
}

impl IdStyles {
    /// The cell at `to` given the style of the cell at `from` (a merged range's value).
    pub(super) fn copy(&mut self, from: (u32, u32), to: (u32, u32)) {
        match self.cells.get(&from).copied() {
            Some(style) => self.cells.insert(to, style),
            None => self.cells.remove(&to),
        };
    }

    /// Keeps the cell at `at` when its style's format is an id's ([`IdFormat`]).
    pub(super) fn add(&mut self, at: (u32, u32), style: usize) {
        if self.formats.get(style).is_some_and(Option::is_some) {
            self.cells.insert(at, style);
        }
    }
}

/// `text` as a format code writes it to be shown as it is: bare when it is only marks Excel
/// shows as they are, quoted otherwise, each character `\`-escaped when it holds a quote.
pub(super) fn literal(text: &str) -> String {
    if text.chars().all(|c| LITERALS.contains(c)) {
        text.to_string()
    } else if text.contains('"') {
        text.chars().map(|c| format!("\\{c}")).collect()
    } else {
        format!("\"{text}\"")
    }
}

/// The marks Excel shows as they are in a number format without quotes (Excel's "Number
/// format codes": `$ - + ( ) : ! ^ & ' ~ { } < > =` and the space; `/` is left out, as it
/// makes a fraction of the placeholders around it).
const LITERALS: &str = "$-+():!^&'~{}<>= ";

/// The colours a section may name (`[Red]`): they change no text.
const COLOURS: [&str; 8] = ["black", "blue", "cyan", "green", "magenta", "red", "white", "yellow"];

impl IdFormat {
    /// The format of `code` when it writes some whole number otherwise than plainly (two
    /// zeros or more, or a literal, beside one placeholder or more); `None` for every other.
    pub(super) fn parse(code: &str) -> Option<IdFormat> {
        let sections = split_sections(code)?;
        let parts = parse_section(sections.first()?)?;
        let zeros = parts.iter().filter(|p| **p == Part::Zero).count();
        let placeholders = parts.iter().filter(|p| !matches!(p, Part::Text(_))).count();
        let texts = parts.len() - placeholders;
        let plain = placeholders == 0 || (zeros < 2 && texts == 0);
        (!plain).then(|| IdFormat { parts, sections: sections.len(), code: code.to_string() })
    }

    /// `value` as Excel shows it in this format, for a whole number from 0 below 10^15 (an id
    /// Excel keeps digit for digit); `None` for any other number, and for 0 when a third
    /// section shows it.
    pub(super) fn show(&self, value: f64) -> Option<String> {
        let whole = value.fract() == 0.0 && (0.0..1e15).contains(&value);
        if !whole || (value == 0.0 && self.sections >= 3) {
            return None;
        }
        // 0 has no significant digit: `#` shows nothing of it, `0` a zero
        let digits = if value == 0.0 { String::new() } else { format!("{}", value as u64) };
        let mut left = digits.as_bytes();
        let mut out: Vec<String> = Vec::with_capacity(self.parts.len());
        let first = self.parts.iter().position(|p| !matches!(p, Part::Text(_)))?;
        for (k, part) in self.parts.iter().enumerate().rev() {
            let text = match part {
                Part::Text(t) => t.clone(),
                _ if k == first => std::mem::take(&mut left).iter().map(|&b| char::from(b)).collect(),
                _ => match left.split_last() {
                    Some((&last, rest)) => {
                        left = rest;
                        char::from(last).to_string()
                    }
                    None => String::new(),
                },
            };
            let pad = matches!(part, Part::Zero) && text.is_empty();
            out.push(if pad { "0".into() } else { text });
        }
        Some(out.into_iter().rev().collect())
    }
}

/// A format code's sections (split at `;` outside quotes and escapes); `None` when a quote is
/// left open.
fn split_sections(code: &str) -> Option<Vec<String>> {
    let (mut sections, mut current) = (Vec::new(), String::new());
    let (mut quoted, mut escaped) = (false, false);
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if !quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                sections.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    sections.push(current);
    (!quoted && !escaped).then_some(sections)
}

/// A section's placeholders and literals, neighbouring literals joined; `None` when it holds
/// anything else.
fn parse_section(section: &str) -> Option<Vec<Part>> {
    let mut parts: Vec<Part> = Vec::new();
    let text = |parts: &mut Vec<Part>, t: &str| match parts.last_mut() {
        Some(Part::Text(last)) => last.push_str(t),
        _ => parts.push(Part::Text(t.to_string())),
    };
    let mut chars = section.chars();
    while let Some(c) = chars.next() {
        match c {
            '0' => parts.push(Part::Zero),
            '#' => parts.push(Part::Hash),
            '\\' => text(&mut parts, &chars.next()?.to_string()),
            '"' => {
                let quoted: String = chars.by_ref().take_while(|&q| q != '"').collect();
                text(&mut parts, &quoted);
            }
            '[' => {
                let name: String = chars.by_ref().take_while(|&b| b != ']').collect();
                let name = name.to_ascii_lowercase();
                let numbered = name.strip_prefix("color").is_some_and(|n| n.parse::<u8>().is_ok());
                if !COLOURS.contains(&name.as_str()) && !numbered {
                    return None; // a condition, a locale or currency, elapsed time
                }
            }
            c if LITERALS.contains(c) => text(&mut parts, &c.to_string()),
            _ => return None,
        }
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(code: &str, value: f64) -> Option<String> {
        IdFormat::parse(code)?.show(value)
    }

    /// Zero-padded ids as Excel shows them: the zeros before the digits, more digits than
    /// zeros all shown, 0 as zeros.
    #[test]
    fn zeros_pad_a_whole_number() {
        assert_eq!(show("00000", 12.0).as_deref(), Some("00012"));
        assert_eq!(show("0000", 1234567.0).as_deref(), Some("1234567"));
        assert_eq!(show("000000", 0.0).as_deref(), Some("000000"));
        assert_eq!(show("#00000", 7.0).as_deref(), Some("00007"));
        assert_eq!(show("[Red]00000;[Blue]-00000", 12.0).as_deref(), Some("00012"));
        assert_eq!(show("00000;-00000", 17850.0).as_deref(), Some("17850"));
    }

    /// Literals among the digits: quoted, escaped, or marks shown as they are; the digits
    /// beyond the placeholders before the first one.
    #[test]
    fn literals_are_shown_where_they_stand() {
        assert_eq!(show("\"A\"0000", 12.0).as_deref(), Some("A0012"));
        assert_eq!(show("\\A\\-0000", 12.0).as_deref(), Some("A-0012"));
        assert_eq!(show("0000-00", 1234.0).as_deref(), Some("0012-34"));
        assert_eq!(show("0000-00", 123456789.0).as_deref(), Some("1234567-89"));
        assert_eq!(show("\"ID \"#", 5.0).as_deref(), Some("ID 5"));
        assert_eq!(show("\"ID \"#", 0.0).as_deref(), Some("ID "));
        assert_eq!(show("(000) 000-0000", 5551234567.0).as_deref(), Some("(555) 123-4567"));
        assert_eq!(show("\"SKU\"0;\"x\"", 3.0).as_deref(), Some("SKU3"));
    }

    /// Formats that write whole numbers plainly, and formats no id has: not read.
    #[test]
    fn other_formats_are_none() {
        for code in ["General", "0", "#", "##0", "#0", "#,##0", "00.00", "0%", "0.00E+00", "# ?/?", "@"] {
            assert_eq!(IdFormat::parse(code), None, "{code}");
        }
        for code in ["d-mmm", "mm-dd-yy", "[h]:mm:ss", "[>100]0000", "[$-409]0000", "0000_)", "*00000", "00/00"] {
            assert_eq!(IdFormat::parse(code), None, "{code}");
        }
        assert_eq!(IdFormat::parse("\"A0000"), None, "a quote left open");
    }

    /// A number that is no whole id from 0 below 10^15 is left as it is; so is 0 where a third
    /// section shows it.
    #[test]
    fn only_whole_ids_are_shown() {
        assert_eq!(show("00000", 12.5), None);
        assert_eq!(show("00000", -12.0), None);
        assert_eq!(show("00000", 1e15), None);
        assert_eq!(show("00000;-00000;\"-\"", 0.0), None);
        assert_eq!(show("00000;-00000;\"-\"", 3.0).as_deref(), Some("00003"));
    }
}
