//! The time of day of each line's date from a column of its own (`[columns] time`): a till's
//! or a booking system's export writes `Date` and `Time` apart, and its dates alone read as
//! midnight — every purchase of a day at one instant, said nowhere.

use polars::prelude::*;

use super::{col, Parsed};
use crate::config::TIME_COLUMN;

/// The seconds since midnight a text writes: `14:30`, `14:30:05`, `14:30:05.250` (the
/// fraction dropped), `2:30 PM`, `2:30:05 p.m.`, `12:15 AM` (0:15); a date and time
/// (`2011-12-01 14:30:00`, `2011-12-01T14:30:00`, `01/12/2011 14:30`: a sheet's time cells
/// that carry a day, a database's timestamps) gives its time. `None` for anything else: a
/// number but a fraction of a day below 1 (`0.6041666` is 14:30: [`day_fraction`]; `1430` is
/// none), an hour past 23 (or 12 with AM/PM), a minute or second past 59.
pub(crate) fn time_of_day(text: &str) -> Option<i64> {
    read(text).map(|(seconds, _)| seconds).or_else(|| day_fraction(text))
}

/// A workbook's time as a number, the fraction of a day (`0.6041666` is 14:30): a time cell
/// whose format was lost (General), as Excel stores every time. Only in a time column: a
/// column of fractions elsewhere is no time ([`time_alone`] does not read them).
fn day_fraction(text: &str) -> Option<i64> {
    let f: f64 = text.trim().parse().ok()?;
    (0.0..1.0).contains(&f).then(|| ((f * 86_400.0).round() as i64).min(86_399))
}

/// [`time_of_day`] of a text that writes a time alone, without a date (`14:30`, `2:30 PM`).
pub(crate) fn time_alone(text: &str) -> Option<i64> {
    read(text).filter(|&(_, dated)| !dated).map(|(seconds, _)| seconds)
}

/// The seconds since midnight a text writes, and whether a date came before them.
fn read(text: &str) -> Option<(i64, bool)> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let (body, meridiem) = match ["am", "a.m.", "pm", "p.m."].iter().find(|m| lower.ends_with(*m)) {
        Some(m) => (text[..text.len() - m.len()].trim_end(), Some(m.starts_with('p'))),
        None => (text, None),
    };
    // the time is the last part of a date and time
    let time = body.rsplit([' ', 'T']).next()?;
    let dated = time.len() < body.len();
    let mut parts = time.split(':');
    let number = |part: Option<&str>, digits: std::ops::RangeInclusive<usize>| {
        part.filter(|p| digits.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))?.parse::<i64>().ok()
    };
    let hour = number(parts.next(), 1..=2)?;
    let minute = number(parts.next(), 2..=2)?;
    let second = match parts.next() {
        None => 0,
        Some(s) => {
            let (whole, fraction) = s.split_once(['.', ',']).unwrap_or((s, "0"));
            number(Some(fraction), 1..=9)?;
            number(Some(whole), 2..=2)?
        }
    };
    if parts.next().is_some() || minute > 59 || second > 59 {
        return None;
    }
    let hour = match meridiem {
        None if hour <= 23 => hour,
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        _ => return None,
    };
    Some((hour * 3600 + minute * 60 + second, dated))
}

/// The canonical frame with each line's date set to its time of day from the time column
/// read as text ([`TIME_COLUMN`], dropped here), and what reading it found for the audit
/// (`column` is its name in the file). A date keeps its own time where the time is empty or
/// reads as none (counted invalid, with examples); a time is set on the date's day, in place
/// of any time the date column had (noted). Unchanged, with nothing found, without the column.
pub fn with_time(mut frame: DataFrame, column: &str) -> PolarsResult<(DataFrame, Option<Parsed>)> {
    let Ok(times) = frame.drop_in_place(TIME_COLUMN) else { return Ok((frame, None)) };
    let times = times.str()?.clone();
    let dates = frame.column(col::DATE)?.i64()?.clone();
    let zone = Midnights::of(&dates);
    let day_of = |date: i64| match &zone {
        Some(zone) => zone.day(date),
        None => date - date.rem_euclid(86_400),
    };
    let hours = whole_hours(&times);
    let (mut invalid, mut replaced, mut examples) = (0, 0, Vec::new());
    let set: Int64Chunked = dates
        .iter()
        .zip(times.iter())
        .map(|(date, time)| {
            let Some(time) = time.map(str::trim).filter(|t| !t.is_empty()) else { return date };
            let hour = || whole(time).filter(|&h| hours && h <= 23).map(|h| i64::from(h) * 3_600);
            let Some(seconds) = hour().or_else(|| time_of_day(time)) else {
                invalid += 1;
                super::keep_example(&mut examples, time);
                return date;
            };
            let date = date?;
            let day = day_of(date);
            replaced += (zone.is_none() && date != day) as usize;
            Some(day + seconds)
        })
        .collect();
    frame.replace(col::DATE, set.with_name(col::DATE.into()).into_column())?;
    let mut notes = notes((invalid, &examples), replaced, zone);
    if hours {
        notes.insert(0, "its whole numbers read as the hour of the day (0 to 23: 14 is 14:00)".to_string());
    }
    let parsed = Parsed { notes, ..Parsed::new(column, invalid, 0) };
    Ok((frame, Some(parsed)))
}

/// A date column of one time zone's midnights read as UTC instants
/// (`2009-12-01T00:00:00+01:00` is 2009-11-30 23:00 UTC): their day is the day as written, not
/// the UTC day (every line moved a day back). Every date is one time of day other than
/// midnight, or two an hour or half an hour apart — the zone's standard and summer time:
/// Berlin's 23:00 and 22:00, London's 00:00 and 23:00 (of pairs with midnight UTC, the only
/// one taken), Lord Howe's half hour (one value only was taken, and a zone with summer time
/// moved every line a day back: helper-124) — each in whole quarter hours, as offsets are.
#[derive(Debug, PartialEq)]
struct Midnights {
    /// Each time of day (seconds after midnight UTC) with the seconds to add to reach the
    /// zone's midnight: a zone east of UTC writes its midnight the UTC day before.
    times: Vec<(i64, i64)>,
}

impl Midnights {
    fn of(dates: &Int64Chunked) -> Option<Midnights> {
        let mut times: Vec<i64> = Vec::new();
        for t in dates.iter().flatten().map(|d| d.rem_euclid(86_400)) {
            if !times.contains(&t) {
                times.push(t);
                if times.len() > 2 || t % 900 != 0 {
                    return None;
                }
            }
        }
        times.sort_unstable();
        match times[..] {
            [] | [0] => return None,
            [_] => {}
            // with midnight UTC itself, only London's (Lisbon's, Dublin's) winter and summer:
            // midnight and one more time of day is more likely dates that carry times
            [0, b] if b != 82_800 => return None,
            [a, b] if [1_800, 3_600].contains(&(b - a).min(86_400 - (b - a))) && seasonal(dates) => {}
            _ => return None,
        }
        // east of UTC from noon on (23:00 UTC is +01:00's midnight), west before it; of two
        // read an offset apart by more than the hour (New Zealand's 12:00 and 11:00: +12:00
        // and −11:00), the one read west is the east's summer time (+13:00)
        let east = |t: i64| t >= 43_200;
        let offset = |t: i64, east: bool| if east { 86_400 - t } else { -t };
        let straddles =
            times.len() == 2 && (offset(times[0], east(times[0])) - offset(times[1], east(times[1]))).abs() > 3_600;
        let times = times.iter().map(|&t| (t, if east(t) || straddles { 86_400 } else { 0 })).collect();
        Some(Midnights { times })
    }

    /// The midnight of the day `date` writes in the zone, as a UTC day's start.
    fn day(&self, date: i64) -> i64 {
        let t = date.rem_euclid(86_400);
        let add = self.times.iter().find(|(of_day, _)| *of_day == t).map_or(0, |&(_, add)| add);
        date - t + if t == 0 { 0 } else { add }
    }
}

/// Whether a date column's two times of day take turns as standard and summer time do: in
/// date order, each run of one of them but the first and the last lasts a season (60 days at
/// least) — they alternate twice a year, not within a week. A batch's 14:00 and 15:00 stamps
/// were taken for a zone's midnights and moved every line a day forward, and a few lines at
/// 23:00 among a column of midnights for London's summer (helper-125). The distinct dates
/// only: a few per day.
fn seasonal(dates: &Int64Chunked) -> bool {
    let distinct: std::collections::BTreeSet<i64> = dates.iter().flatten().collect();
    let mut starts = Vec::new();
    let mut before = None;
    for &date in &distinct {
        let t = date.rem_euclid(86_400);
        if before != Some(t) {
            starts.push(date);
            before = Some(t);
        }
    }
    starts.windows(2).skip(1).all(|w| w[1] - w[0] >= 60 * 86_400)
}

/// Whether the whole numbers of a time column are hours of the day: each of them 0 to 23, one
/// at least above 0 (a lone 0 is midnight either way). An order's `order_hour_of_day` read as
/// fractions of a day left 99.4% of a helper's values unread, its 0s alone read as midnight; a
/// whole number past 23 (`1430`, a clock without its colon) leaves them all unread, as before.
fn whole_hours(times: &StringChunked) -> bool {
    let mut above_zero = false;
    for time in times.iter().flatten() {
        match whole(time) {
            Some(hour) if hour <= 23 => above_zero |= hour > 0,
            Some(_) => return false,
            None => {}
        }
    }
    above_zero
}

/// A whole number as a column of them is written: `14`, or `14.0` (a column of integers with
/// gaps, which pandas writes as floats).
fn whole(text: &str) -> Option<u32> {
    let text = text.trim();
    let digits = text.strip_suffix(".0").unwrap_or(text);
    digits.parse().ok()
}

/// What reading a time column found, in words: the values that read as no time of day
/// (`invalid`, a few `examples`), the dates whose own time was `replaced`, a `zone`'s midnights.
fn notes((invalid, examples): (usize, &[String]), replaced: usize, zone: Option<Midnights>) -> Vec<String> {
    let mut notes = Vec::new();
    if invalid > 0 {
        let lines = if invalid == 1 { "its line keeps its" } else { "their lines keep their" };
        notes.push(format!(
            "{}: {lines} date's own time (midnight for a date alone); times read as 14:30, 14:30:05 or 2:30 PM",
            super::unread_values(invalid, examples, "time of day")
        ));
    }
    if let Some(zone) = zone {
        let clock = |t: &(i64, i64)| format!("{:02}:{:02}", t.0 / 3600, t.0 % 3600 / 60);
        let times: Vec<String> = zone.times.iter().map(clock).collect();
        notes.push(match &times[..] {
            [one] => format!("every date is the same time of day in UTC ({one}), a time zone's midnight: each line's time is set on the day as written, the nearest midnight"),
            _ => format!("every date is one of two times of day in UTC ({}), a time zone's midnights in standard and summer time: each line's time is set on the day as written", times.join(" or ")),
        });
    }
    if replaced > 0 {
        let s = if replaced == 1 { "" } else { "s" };
        notes.push(format!(
            "{replaced} date{s} had a time of day of {}, replaced by this column's ([columns] time)",
            if replaced == 1 { "its own" } else { "their own" }
        ));
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day_read_as_people_and_systems_write_them() {
        let read = [
            ("14:30", 52_200),
            ("9:05", 32_700),
            ("09:05:07", 32_707),
            ("14:30:05.250", 52_205),
            ("14:30:05,5", 52_205),
            (" 2:30 PM ", 52_200),
            ("2:30:05 p.m.", 52_205),
            ("12:15 AM", 900),
            ("12:15 pm", 44_100),
            ("2011-12-01 14:30:00", 52_200),
            ("2011-12-01T14:30:00", 52_200),
            ("01/12/2011 2:30 PM", 52_200),
            ("00:00", 0),
            ("23:59:59", 86_399),
        ];
        for (text, seconds) in read {
            assert_eq!(time_of_day(text), Some(seconds), "{text}");
        }
        assert_eq!((time_alone("2:30 PM"), time_alone("14:30:05")), (Some(52_200), Some(52_205)));
        assert_eq!((time_alone("2011-12-01 14:30:00"), time_alone("01/12/2011 2:30 PM")), (None, None));
        assert_eq!(
            (time_of_day("0.6041666667"), time_of_day("0"), time_of_day("0.99999999")),
            (Some(52_200), Some(0), Some(86_399))
        );
        assert_eq!(time_alone("0.6041666667"), None, "a fraction outside a time column is no time");
        for text in ["", "1.5", "1430", "24:00", "13:00 PM", "0:30 AM", "14:3", "14:60", "14:30:61", "14:30:05:01", "x"]
        {
            assert_eq!(time_of_day(text), None, "{text}");
        }
    }

    #[test]
    fn a_time_sets_its_dates_day_and_one_that_does_not_read_is_counted() {
        let day = 1_322_697_600; // 2011-12-01 00:00:00 UTC
        let frame = df!(
            col::DATE => [Some(day), Some(day + 3_600), Some(day), None, Some(day)],
            TIME_COLUMN => [Some("14:30"), Some("09:00:30"), Some("noon"), Some("10:00"), None]
        )
        .unwrap();
        let (frame, parsed) = with_time(frame, "Time").unwrap();
        let dates: Vec<Option<i64>> = frame.column(col::DATE).unwrap().i64().unwrap().iter().collect();
        assert_eq!(dates, [Some(day + 52_200), Some(day + 32_430), Some(day), None, Some(day)]);
        assert!(frame.column(TIME_COLUMN).is_err(), "the time column is dropped");
        let parsed = parsed.unwrap();
        assert_eq!((parsed.column.as_str(), parsed.invalid), ("Time", 1));
        assert!(
            parsed.notes[0].starts_with("1 value reads as no time of day ('noon'): its line keeps"),
            "{:?}",
            parsed.notes
        );
        assert!(parsed.notes[1].starts_with("1 date had a time of day of its own"), "{:?}", parsed.notes);
        // Session 43 (helper-96): whole hours (an order's hour of the day), 0 to 23, read as
        // hours — beside a clock's time, an empty one, one that reads as none; a whole number
        // past 23 (a clock without its colon) leaves the whole numbers unread, as before
        let hours = |texts: [Option<&str>; 5]| {
            let frame = df!(col::DATE => [Some(day); 5], TIME_COLUMN => texts).unwrap();
            let (frame, parsed) = with_time(frame, "order_hour").unwrap();
            let dates: Vec<Option<i64>> = frame.column(col::DATE).unwrap().i64().unwrap().iter().collect();
            (dates, parsed.unwrap())
        };
        let (dates, parsed) = hours([Some("0"), Some("11.0"), Some(" 23 "), Some("9:30"), None]);
        assert_eq!(dates, [Some(day), Some(day + 39_600), Some(day + 82_800), Some(day + 34_200), Some(day)]);
        assert_eq!(parsed.invalid, 0);
        assert!(parsed.notes[0].contains("whole numbers read as the hour of the day"), "{:?}", parsed.notes);
        let (dates, parsed) = hours([Some("0"), Some("11"), Some("1430"), Some("noon"), Some("0.5")]);
        assert_eq!(dates, [Some(day), Some(day), Some(day), Some(day), Some(day + 43_200)]);
        assert_eq!(parsed.invalid, 3, "{:?}", parsed.notes);
        assert!(!parsed.notes.iter().any(|n| n.contains("hour of the day")), "{:?}", parsed.notes);
        let plain = df!(col::DATE => [Some(day)]).unwrap();
        assert!(with_time(plain, "Time").unwrap().1.is_none());
        // Berlin's and New York's midnights read as UTC instants: the day as written (session
        // 40: every line moved a day back)
        for offset in [-3_600, 5 * 3_600] {
            let zoned = df!(
                col::DATE => [Some(day + offset), Some(day + 86_400 + offset)],
                TIME_COLUMN => [Some("09:28"), Some("10:00")]
            )
            .unwrap();
            let (zoned, parsed) = with_time(zoned, "Time").unwrap();
            let dates: Vec<Option<i64>> = zoned.column(col::DATE).unwrap().i64().unwrap().iter().collect();
            assert_eq!(dates, [Some(day + 34_080), Some(day + 86_400 + 36_000)], "{offset}");
            assert!(parsed.unwrap().notes[0].contains("a time zone's midnight"));
        }
        // a zone with summer time writes two: Berlin's 23:00 and 22:00, London's 00:00 and
        // 23:00, New York's 05:00 and 04:00, New Zealand's 12:00 and 11:00 (+12, +13), Lord
        // Howe's 13:30 and 13:00 (helper-124: Berlin's moved every line a day back)
        for (winter, summer) in
            [(-3_600, -7_200), (0, -3_600), (5 * 3_600, 4 * 3_600), (-43_200, -46_800), (-37_800, -39_600)]
        {
            let zoned = df!(
                col::DATE => [Some(day + winter), Some(day + 86_400 * 120 + summer), Some(day + 86_400 + winter)],
                TIME_COLUMN => [Some("09:28"), Some("10:00"), Some("11:00")]
            )
            .unwrap();
            let (zoned, parsed) = with_time(zoned, "Time").unwrap();
            let dates: Vec<Option<i64>> = zoned.column(col::DATE).unwrap().i64().unwrap().iter().collect();
            let want = [Some(day + 34_080), Some(day + 86_400 * 120 + 36_000), Some(day + 86_400 + 39_600)];
            assert_eq!(dates, want, "{winter} {summer}");
            let notes = parsed.unwrap().notes;
            assert!(notes.iter().any(|n| n.contains("standard and summer time")), "{notes:?}");
        }
        // two times of day taking turns within days are a batch's stamps, not summer time, and
        // a few lines at 23:00 among midnights are no London summer (helper-125)
        let stamps: Vec<i64> =
            (0..40).map(|d| day + d * 86_400 + [14 * 3_600, 15 * 3_600][(d % 3 == 0) as usize]).collect();
        assert_eq!(Midnights::of(&Int64Chunked::new("d".into(), &stamps)), None);
        let few: Vec<i64> = (0..40).map(|d| day + d * 86_400 - if d == 20 { 3_600 } else { 0 }).collect();
        assert_eq!(Midnights::of(&Int64Chunked::new("d".into(), &few)), None);
        // Berlin over two years: two switches a year
        let berlin: Vec<i64> =
            (0..730).map(|d| day + d * 86_400 - if (120..330).contains(&(d % 365)) { 7_200 } else { 3_600 }).collect();
        assert!(Midnights::of(&Int64Chunked::new("d".into(), &berlin)).is_some());
        // midnight and 01:00 are dates that carry times (the Azores' zone is not told apart);
        // two times of day three hours apart are no zone's: each line's UTC day
        assert_eq!(Midnights::of(&Int64Chunked::new("d".into(), [day, day + 3_600])), None);
        let two =
            df!(col::DATE => [Some(day + 3_600), Some(day + 4 * 3_600)], TIME_COLUMN => [Some("09:00"), Some("09:00")])
                .unwrap();
        let (two, _) = with_time(two, "Time").unwrap();
        let dates: Vec<Option<i64>> = two.column(col::DATE).unwrap().i64().unwrap().iter().collect();
        assert_eq!(dates, [Some(day + 32_400); 2]);
    }
}
