//! Audit: missing values per column before any cleaning, and the mapped roles parsed.
//!
//! Takes the ingested [`Table`]; returns the *canonical* frame (one typed column per role:
//! `customer` and `item` as text, `quantity` as f64, `description` as text, `date` as epoch
//! seconds) and the [`AuditReport`]: per column the null count and percent, plus the total —
//! the article's three views. Values that do not parse in a required role (customer, item,
//! quantity) are counted as `invalid` and become nulls, so the clean stage drops them; so are
//! dates that do not read (or lie after the horizon), and ids written with whitespace around
//! them are counted as `trimmed`. A CSV's
//! roles arrive parsed (ingest reads each field once, with the same [`crate::roles`] functions);
//! the audit then only reports.
//!
//! It is also the first look a person takes at the export (the article's `df.info()` and
//! `df.head()`): per column the type as read and the type its values look like, the type its
//! role parses it to, non-null and distinct counts, the least and greatest value (a quantity's
//! and a date's as parsed for their role), and the first rows — ingest's [`Look`], joined here
//! with the roles.

use crate::words::{counted, plural};
use std::collections::HashMap;
use std::time::Instant;

use polars::prelude::*;
use serde::Serialize;

use crate::config::{Columns, InputConfig};
use crate::error::{InputError, Result};
use crate::ingest::look::{datetime_text, ColumnLook, Head, Look};
use crate::ingest::{null_counts, Table};
use crate::progress::{printable, Lines};
use crate::roles::{self, col, number_text, DateOrder, Parsed};

/// One column's missing values.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnAudit {
    pub column: String,
    /// The role the pipeline maps this column to, if any.
    pub role: Option<String>,
    pub nulls: usize,
    /// Non-null values that do not parse for the column's role (counted as missing).
    pub invalid: usize,
    pub null_percent: f64,
    /// Ids read without the whitespace written around them.
    pub trimmed: usize,
    /// The date column's day-month order, when it has dates written with the year last.
    pub date_order: Option<DateOrder>,
    /// What the parsing tells about the column (the date order read and why, dates dropped).
    pub notes: Vec<String>,
    /// What the run warns of in the column (ids that lost digits; dates after the clock read as
    /// dates, [`run_dated`]).
    pub warnings: Vec<String>,
    /// A date column's days of the dates after the horizon ([`Parsed::future_days`]).
    #[serde(skip)]
    pub future_days: Vec<roles::Ahead>,
    /// The customer's or item's id values written in scientific notation with digits lost
    /// (`[gates] max_ids_lost_digits_share`); 0 for other columns.
    pub lost_digits: usize,
    /// The type kindred's reader gives the column ("String" for CSV and Excel cells).
    pub type_read: String,
    /// The type every non-null value reads as (a text column of numbers: "Int64").
    pub type_inferred: Option<String>,
    /// The type the column's role parses it to; null for an unmapped column.
    pub type_parsed: Option<String>,
    pub non_null: usize,
    /// Distinct non-null values: exact but for 64-bit hash collisions, up to
    /// [`crate::ingest::look::DISTINCT_LIMIT`] (`distinct_capped` past it).
    pub distinct: usize,
    pub distinct_capped: bool,
    /// The least and greatest value: a quantity's and a date's as parsed for their role, an
    /// unmapped column's when all its values are numbers or year-first dates.
    pub min: Option<String>,
    pub max: Option<String>,
}

/// The audit of the whole file.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub rows_in: usize,
    pub rows_out: usize,
    pub columns: Vec<ColumnAudit>,
    pub total_nulls: usize,
    pub total_invalid: usize,
    pub total_trimmed: usize,
    pub seconds: f64,
    /// The first rows as read.
    pub head: Head,
    /// Each mapped role and its column, as resolved against the file: (role, column).
    #[serde(skip)]
    pub mapped: Vec<(&'static str, String)>,
}

/// Audits `table` and parses its mapped roles into the canonical frame.
/// Takes the table by value: once every column's nulls are counted, the columns no role
/// needs are dropped before the roles are parsed (a million customers' export holds gigabytes
/// of invoice numbers and countries nobody reads again).
pub fn run(mut table: Table) -> Result<(DataFrame, AuditReport)> {
    let start = Instant::now();
    let map = &table.columns;
    if let Some(mut found) = table.parsed.take() {
        let rows = table.frame.height();
        let canonical = timed(std::mem::take(&mut table.frame), map, &mut found, &table.path)?;
        let mut report = report(&table.nulls, rows, map, &found, table.look, start);
        parsed_ranges(&canonical, &mut report);
        ids_lost_digits(&canonical, &table.long_ids, &mut report);
        id_warnings(&table.id_warnings, &mut report);
        time_hint(&canonical, map, &mut report);
        return Ok((canonical, report));
    }
    let frame = std::mem::take(&mut table.frame)
        .select(table.columns.parsed().iter().map(|s| s.as_str()))
        .map_err(|e| InputError::Parse { path: table.path.clone(), detail: e.to_string() })?;
    let rows = frame.height();
    let (map, path) = (&table.columns, &table.path);
    // a float column's ids from 2^53 on: read off the typed column, before it is text
    let mut long_ids = table.long_ids.clone();
    for (long, name) in long_ids.iter_mut().zip([&map.customer, &map.item]) {
        if let (0, Ok(column)) = (long.0, frame.column(name)) {
            *long = roles::long_floats(column);
        }
    }
    let (canonical, mut found) = roles::parse(frame, map, (&table.dates, table.decimal), path)?;
    let canonical = timed(canonical, map, &mut found, path)?;
    let mut report = report(&table.nulls, rows, map, &found, table.look, start);
    parsed_ranges(&canonical, &mut report);
    ids_lost_digits(&canonical, &long_ids, &mut report);
    id_warnings(&table.id_warnings, &mut report);
    time_hint(&canonical, map, &mut report);
    Ok((canonical, report))
}

/// [`run`] of `table`, read from the export `input` names with `columns`: when dates after the
/// run's clock + 1 day ([`crate::roles::DateRule`]; not `[input] max_date`, the user's word)
/// continue the export's dated days as the shop's own flow of purchases
/// ([`roles::continuing`]) — its newest days read on a machine whose clock is behind — the
/// export is read again with them valid up to the end of their last day
/// ([`roles::DateRule::continued`]), and the date column warns of it. Invalid, they were
/// undated, and the newest purchase every age counts back from moved with the machine's clock
/// (helper-165: 1.5 days behind, 18,859 of the shipped export's 43,390 recommendations changed
/// at exit 0).
pub fn run_dated(table: Table, (input, columns): (&InputConfig, &Columns)) -> Result<(DataFrame, AuditReport)> {
    let by_clock = input.max_date.is_none();
    let clock = table.dates.max;
    let (canonical, report) = run(table)?;
    let last = by_clock.then(|| dates_ahead(&canonical, &report)).flatten();
    let Some(day) = last.and_then(|last| chrono::DateTime::from_timestamp(last * 86_400, 0)).map(|t| t.date_naive())
    else {
        return Ok((canonical, report));
    };
    drop(canonical);
    crate::progress::trim_freed_memory();
    let again = InputConfig { dates_continue_to: Some(day), ..input.clone() };
    let (table, _) = crate::ingest::run(&again, columns)?;
    let (canonical, mut dated) = run(table)?;
    let invalid = |r: &AuditReport| r.date().map_or(0, |c| c.invalid);
    let ahead = invalid(&report).saturating_sub(invalid(&dated));
    let at = |t: i64| {
        chrono::DateTime::from_timestamp(t, 0)
            .map_or_else(String::new, |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
    };
    let last = day.to_string();
    if let Some(c) = dated.columns.iter_mut().find(|c| c.role.as_deref() == Some("date")) {
        c.warnings.push(format!(
            "{} dated after this machine's clock + 1 day ({}), up to {last}, continue the export's purchases as its own flow: read as dates, as [input] max_date = \"{last}\" reads them — this machine's clock is behind, or the export dates its orders ahead; set [input] max_date to decide which dates are valid",
            counted(ahead, "value"),
            at(clock)
        ));
    }
    Ok((canonical, dated))
}

/// The last day of the date column's values after the horizon that continue its dated days
/// ([`roles::continuing`]), if any.
fn dates_ahead(canonical: &DataFrame, report: &AuditReport) -> Option<i64> {
    let date = report.date()?;
    if date.future_days.is_empty() {
        return None;
    }
    let dates = canonical.column(col::DATE).ok()?.i64().ok()?;
    // each day's values and latest instant
    let mut per_day: HashMap<i64, (usize, i64)> = HashMap::new();
    for t in dates.iter().flatten() {
        let day = per_day.entry(t.div_euclid(86_400)).or_insert((0, t));
        (day.0, day.1) = (day.0 + 1, day.1.max(t));
    }
    let mut days: Vec<(i64, usize, i64)> = per_day.into_iter().map(|(d, (n, t))| (d, n, t)).collect();
    days.sort_unstable();
    roles::continuing(&days, &date.future_days)
}

/// The reader's warnings on the customer's and the item's ids (a workbook's date cells among
/// them) given to their columns.
fn id_warnings(warnings: &crate::ingest::IdWarnings, report: &mut AuditReport) {
    for (role, warnings) in ["customer", "item"].into_iter().zip(warnings) {
        if let Some(c) = report.columns.iter_mut().find(|c| c.role.as_deref() == Some(role)) {
            c.warnings.extend(warnings.iter().cloned());
        }
    }
}

/// A warning on the customer's and the item's columns whose ids lost digits, and their count
/// (`lost_digits`, which the gate `max_ids_lost_digits_share` weighs): those written in
/// scientific notation ([`roles::LostDigits`], read off the canonical frame whichever reader
/// parsed it) and those the reader read from numbers longer than their type keeps (`long`: a
/// workbook's cells of 16 digits or more, a float column's values from 2^53).
fn ids_lost_digits(canonical: &DataFrame, long: &roles::LongIds, report: &mut AuditReport) {
    for ((name, role), (numbers, first)) in [(col::CUSTOMER, "customer"), (col::ITEM, "item")].into_iter().zip(long) {
        let Ok(ids) = canonical.column(name).and_then(|c| c.str().cloned()) else { continue };
        let lost = roles::LostDigits::of(&ids);
        let mut warnings = Vec::new();
        if let Some(example) = &lost.example {
            let (n, ids) = (thousands(lost.values), plural(lost.values, "id"));
            warnings.push(format!(
                "{n} {ids} written in scientific notation ('{example}', {} distinct): the digits not written are lost, so ids that differed only there read as one; export the column as text (a spreadsheet: format it as Text, or as a number without decimals, before saving the CSV)",
                thousands(lost.distinct)
            ));
        }
        if *numbers > 0 {
            let (n, ids) = (thousands(*numbers), plural(*numbers, "id"));
            let what = first.as_deref().unwrap_or("numbers of 16 digits or more");
            warnings.push(format!(
                "{n} {ids} read from numbers longer than their type keeps ({what}): a workbook keeps 15 significant digits, a float column 15 to 17 (7 in 32 bits), so ids that differed only past them read as one; store the column as text"
            ));
        }
        if let Some(c) = report.columns.iter_mut().find(|c| c.role.as_deref() == Some(role)) {
            c.lost_digits = lost.values + numbers;
            c.warnings.extend(warnings);
        }
    }
}

/// The canonical frame with its dates set to the time column's times of day
/// ([`roles::with_time`]), what reading it found merged into `found`.
fn timed(
    canonical: DataFrame,
    map: &crate::config::Columns,
    found: &mut Vec<Parsed>,
    path: &std::path::Path,
) -> Result<DataFrame> {
    let Some(column) = &map.time else { return Ok(canonical) };
    let (canonical, time) = roles::with_time(canonical, column)
        .map_err(|e| InputError::Parse { path: path.to_path_buf(), detail: e.to_string() })?;
    if let Some(time) = time {
        match found.iter_mut().find(|f| f.column == time.column) {
            Some(f) => {
                f.invalid += time.invalid;
                f.notes.extend(time.notes);
            }
            None => found.push(time),
        }
    }
    Ok(canonical)
}

/// A note on the date column when every date read is a midnight (days alone) and a column no
/// role reads holds times of day in (three in four of) its first rows (a till's `Date` and `Time`): each day's
/// purchases read as one instant, which no message said.
fn time_hint(canonical: &DataFrame, map: &crate::config::Columns, report: &mut AuditReport) {
    let (None, Some(date)) = (&map.time, &map.date) else { return };
    let Ok(dates) = canonical.column(col::DATE).and_then(|c| c.i64().cloned()) else { return };
    if dates.null_count() == dates.len() || dates.iter().flatten().any(|d| d.rem_euclid(86_400) != 0) {
        return;
    }
    let head = &report.head;
    let times = |k: usize| {
        let values: Vec<&str> = head.rows.iter().filter_map(|r| r.get(k)?.as_deref()).map(str::trim).collect();
        // a time alone: a date and time would be a date column
        let alone = |v: &&str| roles::time_alone(v).is_some();
        // three in four: a row's stray value ("noon", "n/a") does not hide the column
        !values.is_empty() && 4 * values.iter().filter(|v| alone(v)).count() >= 3 * values.len()
    };
    let unmapped = |name: &String| report.columns.iter().any(|c| &c.column == name && c.role.is_none());
    let Some(k) = (0..head.columns.len()).find(|&k| unmapped(&head.columns[k]) && times(k)) else { return };
    let column = head.columns[k].clone();
    if let Some(c) = report.columns.iter_mut().find(|c| &c.column == date) {
        c.notes.push(format!(
            "every date is a day alone (read as midnight) and column '{column}' holds times of day: set [columns] time = {} to read each line's time",
            crate::config::toml_text(&column)
        ));
    }
}

/// The type a role parses its column to.
fn parsed_type(role: &str) -> &'static str {
    match role {
        "quantity" => "Float64",
        "date" => "Datetime",
        "time" => "Time",
        _ => "String",
    }
}

/// The least and greatest quantity and date as parsed for their roles (the canonical frame's),
/// on their columns' rows of the report.
fn parsed_ranges(canonical: &DataFrame, report: &mut AuditReport) {
    for (role, name) in report.mapped.clone() {
        let range = match role {
            "quantity" => canonical.column(col::QUANTITY).ok().and_then(|c| c.f64().ok()).and_then(|q| {
                let (lo, hi) = q.iter().flatten().fold((None, None), |(lo, hi), v| {
                    (Some(lo.map_or(v, |l: f64| l.min(v))), Some(hi.map_or(v, |h: f64| h.max(v))))
                });
                Some((number_text(lo?), number_text(hi?)))
            }),
            "date" => canonical.column(col::DATE).ok().and_then(|c| c.i64().ok()).and_then(|d| {
                let (lo, hi) = (d.iter().flatten().min()?, d.iter().flatten().max()?);
                Some((datetime_text(lo), datetime_text(hi)))
            }),
            _ => continue,
        };
        // a role that parses no value keeps the range of the column's numbers, if it has one
        // (a date column of day numbers: the refusal reads its greatest)
        if let Some((c, range)) = report.columns.iter_mut().find(|c| c.column == name).zip(range) {
            (c.min, c.max) = (Some(range.0), Some(range.1));
        }
    }
}

/// The audit of an export whose columns are not mapped: nulls per column, no roles.
pub fn nulls_only(frame: &DataFrame, look: Look) -> AuditReport {
    let map = crate::config::Columns::new("", "");
    report(&null_counts(frame), frame.height(), &map, &[], look, Instant::now())
}

/// Each role's column as the pipeline maps it, in the roles' order, then the row filters'
/// columns: (role, column); a role mapped to no column (or to "") is left out.
fn mapped_roles(map: &crate::config::Columns) -> Vec<(&'static str, String)> {
    let roles = [
        (Some(&map.customer), "customer"),
        (Some(&map.item), "item"),
        (map.quantity.as_ref(), "quantity"),
        (map.description.as_ref(), "description"),
        (map.invoice.as_ref(), "invoice"),
        (map.date.as_ref(), "date"),
        (map.time.as_ref(), "time"),
        (map.segment.as_ref(), "segment"),
    ];
    let filters = map.rows.iter().map(|c| (Some(c), "row_filter"));
    roles.into_iter().chain(filters).filter_map(|(n, r)| Some((r, n.filter(|n| !n.is_empty())?.clone()))).collect()
}

fn report(
    nulls: &[(String, usize)],
    rows: usize,
    map: &crate::config::Columns,
    found: &[Parsed],
    look: Look,
    start: Instant,
) -> AuditReport {
    let mapped = mapped_roles(map);
    // by name: a search of every column for each was quadratic (200,000 empty columns in a
    // CSV's header, 102 s)
    let mut seen: HashMap<String, ColumnLook> = look.columns.into_iter().map(|l| (l.column.clone(), l)).collect();
    let columns: Vec<ColumnAudit> = nulls
        .iter()
        .map(|(name, nulls)| {
            let (name, nulls) = (name.clone(), *nulls);
            let found = found.iter().find(|f| f.column == name).cloned().unwrap_or_default();
            let role = mapped.iter().find(|(_, n)| *n == name).map(|(r, _)| *r);
            let seen = seen.remove(&name).unwrap_or_default();
            ColumnAudit {
                role: role.map(String::from),
                type_parsed: role.map(|r| parsed_type(r).to_string()),
                type_read: seen.type_read,
                type_inferred: seen.type_inferred,
                non_null: seen.non_null,
                distinct: seen.distinct,
                distinct_capped: seen.distinct_capped,
                min: seen.min,
                max: seen.max,
                invalid: found.invalid,
                null_percent: percent(nulls, rows),
                trimmed: found.trimmed,
                date_order: found.date_order,
                notes: found.notes,
                future_days: found.future_days,
                warnings: Vec::new(),
                lost_digits: 0,
                column: name,
                nulls,
            }
        })
        .collect();
    AuditReport {
        rows_in: rows,
        rows_out: rows,
        total_nulls: columns.iter().map(|c| c.nulls).sum(),
        total_invalid: columns.iter().map(|c| c.invalid).sum(),
        total_trimmed: columns.iter().map(|c| c.trimmed).sum(),
        columns,
        seconds: start.elapsed().as_secs_f64(),
        head: look.head,
        mapped,
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// Widest a printed table may be (a terminal's, a cron mail's).
const WIDTH: usize = 100;

/// How many terminal columns `text` takes as a table prints it (escaped as by [`cut`]): a CJK
/// character or an emoji 2, a combining mark 0.
pub(crate) fn width(text: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(&*printable(text, Lines::Escaped))
}

/// `text` in at most `n` terminal columns, cut with `…`, its control characters escaped
/// ([`printable`]: a line end must not break the table's row).
pub(crate) fn cut(text: &str, n: usize) -> String {
    let text = &*printable(text, Lines::Escaped);
    if width(text) <= n {
        return text.to_string();
    }
    let (mut out, mut taken) = (String::new(), 0);
    for ch in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
        if taken + w > n.saturating_sub(1) {
            break;
        }
        out.push(ch);
        taken += w;
    }
    out + "…"
}

/// `text` (escaped as by [`cut`]) and the spaces that bring it to `n` terminal columns (`format!`'s `{:<n}` counts
/// characters, so a CJK description would push the next column right).
pub(crate) fn pad(text: &str, n: usize) -> String {
    let text = printable(text, Lines::Escaped);
    format!("{text}{}", " ".repeat(n.saturating_sub(width(&text))))
}

impl AuditReport {
    /// The first look printed for a person (`kindred audit`): the nulls table (the article's
    /// three views), each column's types and counts, the ranges, the first rows, then the
    /// notes. Each table fits [`WIDTH`] columns; long values are cut with `…`.
    pub fn render(&self) -> String {
        let mut out = self.table();
        for part in [self.types_table(), self.ranges_table(), self.head_table()] {
            if !part.is_empty() {
                out += "\n";
                out += &part;
            }
        }
        for warning in self.warnings() {
            out += &format!("warning: {warning}\n");
        }
        for note in self.notes() {
            out += &format!("note: {note}\n");
        }
        out
    }

    /// Each column's notes (how its dates were read, say), naming the column.
    pub fn notes(&self) -> Vec<String> {
        self.columns.iter().flat_map(|c| c.notes.iter().map(move |n| format!("column '{}': {n}", c.column))).collect()
    }

    /// The date column's audit, when a date column is mapped.
    pub fn date(&self) -> Option<&ColumnAudit> {
        self.columns.iter().find(|c| c.role.as_deref() == Some("date"))
    }

    /// Each column's warnings (ids that lost digits, dates after the clock), naming the column.
    pub fn warnings(&self) -> Vec<String> {
        self.columns
            .iter()
            .flat_map(|c| c.warnings.iter().map(move |w| format!("column '{}': {w}", c.column)))
            .collect()
    }

    /// The table alone.
    /// Names are cut as in the other tables, so that every line, the totals' too, fits
    /// [`WIDTH`] (a column named by a 300-character header made lines of 350).
    pub fn table(&self) -> String {
        let (rows, columns) = (plural(self.rows_in, "row"), counted(self.columns.len(), "column"));
        let shape = format!("   ({} {rows} × {columns})", thousands(self.rows_in));
        let room = WIDTH.saturating_sub(48 + width(&shape)).max(6);
        let width = self.name_width().min(room);
        let mut out =
            format!("{:<width$}  {:>12}  {:>8}  {:>10}  {:>10}\n", "column", "nulls", "null %", "invalid", "trimmed");
        for c in &self.columns {
            out += &format!(
                "{}  {:>12}  {:>7.2}%  {:>10}  {:>10}\n",
                pad(&cut(&c.column, width), width),
                thousands(c.nulls),
                c.null_percent,
                thousands(c.invalid),
                thousands(c.trimmed)
            );
        }
        let cells = self.rows_in * self.columns.len();
        out += &format!(
            "{:<width$}  {:>12}  {:>7.2}%  {:>10}  {:>10}{shape}\n",
            "total",
            thousands(self.total_nulls),
            percent(self.total_nulls, cells),
            thousands(self.total_invalid),
            thousands(self.total_trimmed),
        );
        out
    }

    /// `kindred audit --json`: the report's object (the manifest's `reports.audit`) with the
    /// reader's `notes` (sheets not read, title rows, columns of a type no role reads), which a
    /// run records in `reports.ingest`.
    pub fn to_json(&self, notes: &[String]) -> String {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        if let Some(object) = value.as_object_mut() {
            object.insert("notes".into(), serde_json::json!(notes));
        }
        serde_json::to_string_pretty(&value).unwrap_or_default()
    }

    /// Width of the column names in the look's tables (cut beyond 24 characters).
    fn name_width(&self) -> usize {
        self.columns.iter().map(|c| width(&c.column)).max().unwrap_or(6).clamp(6, 24)
    }

    /// Each column's types and counts (`df.info()`): as read, as its values look, its role and
    /// the type the role parses it to, non-null and distinct values.
    pub fn types_table(&self) -> String {
        let w = self.name_width();
        let line = |cells: [&str; 7]| {
            let [name, read, looks, role, parsed, non_null, distinct] = cells;
            let name = pad(name, w);
            format!("{name}  {read:<8}  {looks:<10}  {role:<11}  {parsed:<8}  {non_null:>11}  {distinct:>11}\n")
        };
        let mut out = line(["column", "read", "looks like", "role", "parsed", "non-null", "distinct"]);
        for c in &self.columns {
            let distinct = match c.distinct_capped {
                true => format!("≥{}", thousands(c.distinct)),
                false => thousands(c.distinct),
            };
            out += &line([
                &cut(&c.column, w),
                &cut(&c.type_read, 8),
                &cut(c.type_inferred.as_deref().unwrap_or("-"), 10),
                c.role.as_deref().unwrap_or("-"),
                c.type_parsed.as_deref().unwrap_or("-"),
                &thousands(c.non_null),
                &distinct,
            ]);
        }
        out
    }

    /// The least and greatest value of each column that has them (empty when none has).
    pub fn ranges_table(&self) -> String {
        let w = self.name_width();
        let ranged: Vec<&ColumnAudit> = self.columns.iter().filter(|c| c.min.is_some() || c.max.is_some()).collect();
        if ranged.is_empty() {
            return String::new();
        }
        let line = |name: &str, min: &str, max: &str| {
            format!("{}  {}  {}", pad(&cut(name, w), w), pad(&cut(min, 34), 34), cut(max, 34)).trim_end().to_string()
                + "\n"
        };
        let mut out = line("column", "min", "max");
        for c in ranged {
            out += &line(&c.column, c.min.as_deref().unwrap_or("-"), c.max.as_deref().unwrap_or("-"));
        }
        out
    }

    /// The first rows as read (`df.head()`), their columns in blocks that fit [`WIDTH`]:
    /// the widest columns are narrowed first, to 20 characters at least (a date and time stays
    /// whole), and what still does not fit goes on in the next block.
    pub fn head_table(&self) -> String {
        let head = &self.head;
        if head.rows.is_empty() {
            return String::new();
        }
        let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "null".into());
        let mut widths: Vec<usize> = (0..head.columns.len())
            .map(|k| head.rows.iter().map(|r| r.get(k).map_or(0, |v| width(&cell(v)))).max().unwrap_or(0))
            .zip(&head.columns)
            .map(|(w, name)| w.max(width(name)).max(1))
            .collect();
        let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
        while total(&widths) > WIDTH {
            let Some((k, &w)) = widths.iter().enumerate().max_by_key(|(_, w)| **w) else { break };
            if w <= 20 {
                break;
            }
            widths[k] = w - 1;
        }
        let mut out = format!("first {}:\n", counted(head.rows.len(), "row"));
        // every row's cells once: made again for each block of columns, a header of 25,000
        // empty columns took 21 s to print
        let rows: Vec<Vec<String>> = head.rows.iter().map(|row| row.iter().map(cell).collect()).collect();
        for (b, block) in blocks(&widths).into_iter().enumerate() {
            if b > 0 {
                out += "\n";
            }
            let line = |cells: &[String]| {
                let cells: Vec<String> = block.clone().map(|k| pad(&cut(&cells[k], widths[k]), widths[k])).collect();
                cells.join("  ").trim_end().to_string() + "\n"
            };
            out += &line(&head.columns);
            for row in &rows {
                out += &line(row);
            }
        }
        out
    }

    /// Why the date column's dates written with the year last were not read (their day-month
    /// order is ambiguous or mixed), naming the column, if they were not: whatever needs
    /// dates must refuse.
    pub fn unread_dates(&self) -> Option<String> {
        let c = self.columns.iter().find(|c| c.date_order.is_some_and(DateOrder::unread))?;
        Some(format!("column '{}': {}", c.column, c.notes.first().map_or("", String::as_str)))
    }

    /// The audit as a frame for `null_audit.parquet`; the last row (`column` = "(total)")
    /// sums every column, its percent over all cells, `total` true on it alone. `trimmed` came
    /// last (issue 14), then `total` (0.4.0): added at the end, so readers of the first six
    /// columns are unchanged.
    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        let n = self.columns.len() + 1;
        let mut names: Vec<String> = self.columns.iter().map(|c| c.column.clone()).collect();
        names.push("(total)".into());
        let mut roles: Vec<Option<String>> = self.columns.iter().map(|c| c.role.clone()).collect();
        roles.push(None);
        let mut nulls: Vec<i64> = self.columns.iter().map(|c| c.nulls as i64).collect();
        nulls.push(self.total_nulls as i64);
        let mut invalid: Vec<i64> = self.columns.iter().map(|c| c.invalid as i64).collect();
        invalid.push(self.total_invalid as i64);
        let mut pct: Vec<f64> = self.columns.iter().map(|c| c.null_percent).collect();
        pct.push(percent(self.total_nulls, self.rows_in * self.columns.len()));
        let mut rows = vec![self.rows_in as i64; n - 1];
        rows.push((self.rows_in * self.columns.len()) as i64);
        let mut trimmed: Vec<i64> = self.columns.iter().map(|c| c.trimmed as i64).collect();
        trimmed.push(self.total_trimmed as i64);
        // what tells the total row from an input column named `(total)` (helper-109: a BI
        // filter on the name found two rows)
        let total: Vec<bool> = (0..n).map(|row| row == n - 1).collect();
        DataFrame::new(
            n,
            vec![
                Column::new("column".into(), names),
                Column::new("role".into(), roles),
                Column::new("nulls".into(), nulls),
                Column::new("null_percent".into(), pct),
                Column::new("invalid".into(), invalid),
                Column::new("values".into(), rows),
                Column::new("trimmed".into(), trimmed),
                Column::new("total".into(), total),
            ],
        )
    }
}

/// The columns of `widths` in runs that fit [`WIDTH`] with two spaces between (each at least one).
fn blocks(widths: &[usize]) -> Vec<std::ops::Range<usize>> {
    let (mut out, mut start, mut used) = (Vec::new(), 0, 0);
    for (k, w) in widths.iter().enumerate() {
        if k > start && used + 2 + w > WIDTH {
            out.push(start..k);
            (start, used) = (k, 0);
        }
        used += if k == start { *w } else { 2 + w };
    }
    out.push(start..widths.len());
    out
}

/// 1234567 → "1,234,567".
pub fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables line up in a terminal whatever the script: a CJK character or an emoji takes two
    /// columns, and a cut never splits one.
    #[test]
    fn text_is_measured_cut_and_padded_in_terminal_columns() {
        assert_eq!((width("WHITE MUG"), width("咖啡杯"), width("😀x"), width("é")), (9, 6, 3, 1));
        assert_eq!(pad("咖啡", 6), "咖啡  ");
        assert_eq!(width(&pad("咖啡杯 cup", 12)), 12);
        assert_eq!(pad("longer than n", 4), "longer than n");
        assert_eq!(cut("咖啡杯子", 6), "咖啡…");
        assert_eq!(cut("咖啡杯子", 8), "咖啡杯子");
        assert_eq!(cut("abcdef", 4), "abc…");
        assert!(width(&cut("咖啡杯子", 5)) <= 5);
    }

    /// A value's control characters are printed escaped and measured so: a line end or a
    /// carriage return kept the row from lining up, an escape sequence ran in the terminal.
    #[test]
    fn control_characters_are_printed_escaped_in_a_cell() {
        assert_eq!(pad("TWO\nLINES", 11), "TWO\\nLINES ");
        assert_eq!(cut("MUG \u{1b}[2J RED", 40), "MUG \\u{1b}[2J RED");
        assert_eq!(width("a\rb\tc"), 7);
        assert_eq!(cut("a\nbcdef", 4), "a\\n…");
    }
    use std::path::Path;

    use crate::config::Columns;
    use crate::roles::col;

    fn table(columns: Vec<Column>) -> Table {
        let height = columns[0].len();
        Table::new(
            DataFrame::new(height, columns).unwrap(),
            Columns { quantity: Some("Q".into()), date: Some("D".into()), ..Columns::new("C", "I") },
            Path::new("t.csv"),
            roles::DateRule::new(None, None),
        )
    }

    #[test]
    fn counts_nulls_and_invalid_values() {
        let t = table(vec![
            Column::new("C".into(), [Some("17850.0"), None, Some("  "), Some("007")]),
            Column::new("I".into(), [Some("A"), Some("B"), None, Some("C")]),
            Column::new("Q".into(), [Some("1"), Some("abc"), Some("2"), None]),
            Column::new("D".into(), [Some("2011-01-02 10:00:00"), Some("2010-12-01 08:26:00"), Some("soon"), None]),
        ]);
        let (frame, report) = run(t).unwrap();
        let by = |n: &str| report.columns.iter().find(|c| c.column == n).unwrap().clone();
        assert_eq!((by("C").nulls, by("C").invalid), (1, 1));
        assert_eq!((by("I").nulls, by("I").invalid), (1, 0));
        assert_eq!((by("Q").nulls, by("Q").invalid), (1, 1));
        assert_eq!((by("D").nulls, by("D").invalid), (1, 1));
        assert_eq!(by("C").null_percent, 25.0);
        assert_eq!(report.total_nulls, 4);
        let customers: Vec<Option<&str>> = frame.column(col::CUSTOMER).unwrap().str().unwrap().iter().collect();
        assert_eq!(customers, [Some("17850"), None, None, Some("007")]);
        let q: Vec<Option<f64>> = frame.column(col::QUANTITY).unwrap().f64().unwrap().iter().collect();
        assert_eq!(q, [Some(1.0), None, Some(2.0), None]);
        let d: Vec<Option<i64>> = frame.column(col::DATE).unwrap().i64().unwrap().iter().collect();
        assert_eq!(d[0], Some(1_293_962_400));
        assert_eq!(d[1], Some(1_291_191_960));
        assert_eq!(d[2], None);
    }

    #[test]
    fn unmapped_roles_read_as_one_of_each_item_undescribed_and_undated() {
        let mut t = table(vec![Column::new("C".into(), ["1", "2"]), Column::new("I".into(), ["A", "B"])]);
        (t.columns.quantity, t.columns.date) = (None, None);
        let (frame, report) = run(t).unwrap();
        let names: Vec<&str> = frame.get_column_names().iter().map(|n| n.as_str()).collect();
        assert_eq!(names, [col::CUSTOMER, col::ITEM, col::QUANTITY, col::DESCRIPTION, col::DATE]);
        let quantity: Vec<_> = frame.column(col::QUANTITY).unwrap().f64().unwrap().iter().collect();
        assert_eq!(quantity, [Some(1.0), Some(1.0)]);
        assert_eq!(frame.column(col::DESCRIPTION).unwrap().null_count(), 2);
        assert_eq!(frame.column(col::DATE).unwrap().null_count(), 2);
        assert_eq!(report.rows_in, 2);
    }

    /// An input column named `(total)` and the total row: `total` tells them apart.
    #[test]
    fn the_total_row_is_told_by_its_flag_not_its_name() {
        let t = table(vec![
            Column::new("C".into(), ["1", "2"]),
            Column::new("I".into(), ["A", "B"]),
            Column::new("Q".into(), ["1", "2"]),
            Column::new("D".into(), [None::<&str>, None]),
            Column::new("(total)".into(), [Some("x"), None]),
        ]);
        let frame = run(t).unwrap().1.to_frame().unwrap();
        let names: Vec<_> = frame.column("column").unwrap().str().unwrap().iter().flatten().collect();
        let total: Vec<_> = frame.column("total").unwrap().bool().unwrap().iter().flatten().collect();
        let nulls: Vec<_> = frame.column("nulls").unwrap().i64().unwrap().iter().flatten().collect();
        let last = names.len() - 1;
        assert_eq!(names.iter().filter(|n| **n == "(total)").count(), 2, "{names:?}");
        assert_eq!(total, (0..=last).map(|k| k == last).collect::<Vec<_>>());
        assert_eq!(nulls[last], nulls[..last].iter().sum::<i64>());
    }

    #[test]
    fn nan_quantity_is_an_error_naming_the_row() {
        let t = table(vec![
            Column::new("C".into(), ["1", "2"]),
            Column::new("I".into(), ["A", "B"]),
            Column::new("Q".into(), ["1", "NaN"]),
            Column::new("D".into(), [None::<&str>, None]),
        ]);
        let err = run(t).unwrap_err().to_string();
        assert!(err.contains("row 2") && err.contains("'Q'") && err.contains("NaN"), "{err}");
    }

    #[test]
    fn one_column_may_serve_two_roles_and_unmapped_columns_are_still_audited() {
        let mut t = table(vec![
            Column::new("C".into(), ["1", "2"]),
            Column::new("I".into(), ["A", "B"]),
            Column::new("Q".into(), ["1", "2"]),
            Column::new("D".into(), [None::<&str>, None]),
            Column::new("Country".into(), [None, Some("UK")]),
        ]);
        t.columns.description = Some("I".into());
        let (frame, report) = run(t).unwrap();
        let d: Vec<Option<&str>> = frame.column(col::DESCRIPTION).unwrap().str().unwrap().iter().collect();
        assert_eq!(d, [Some("A"), Some("B")]);
        let country = report.columns.iter().find(|c| c.column == "Country").unwrap();
        assert_eq!((country.nulls, country.role.as_deref()), (1, None));
        assert_eq!(report.columns.len(), 5);
    }

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(541909), "541,909");
        assert_eq!(thousands(999), "999");
    }
}
