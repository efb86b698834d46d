//! Calendar arithmetic at the reporting edge.
//!
//! Simulation time is an integer count of days since the first day of the world's start
//! month ([`Day`]). Calendar months and dates exist only to read world files and to label
//! outputs; the engine never accumulates fractional time.

use std::fmt;

/// Simulation time: whole days since 00:00 of the first day of the start month.
pub type Day = u32;

/// Hours in a day, for converting power (kW) over days into energy (kWh).
pub const HOURS_PER_DAY: f64 = 24.0;

/// Average days per month (365.25 / 12), used only to express day counts as "months"
/// in summaries (e.g. months waited on a limit).
pub const DAYS_PER_MONTH_AVG: f64 = 365.25 / 12.0;

/// A calendar month, e.g. 2026-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    /// Gregorian year.
    pub year: i32,
    /// Month of the year, 1..=12.
    pub month: u32,
}

/// A calendar date, e.g. 2028-04-15.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Gregorian year.
    pub year: i32,
    /// Month of the year, 1..=12.
    pub month: u32,
    /// Day of the month, 1..=31.
    pub day: u32,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` of `year`.
pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

/// Days from 1970-01-01 to the given civil date (Howard Hinnant's algorithm), so two
/// dates can be subtracted exactly.
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> Date {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Date {
        year: (y + i64::from(m <= 2)) as i32,
        month: m,
        day: d,
    }
}

impl YearMonth {
    /// Parses `YYYY-MM`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (y, m) = s
            .trim()
            .split_once('-')
            .ok_or_else(|| format!("`{s}` is not a month: expected YYYY-MM, e.g. 2026-01"))?;
        let year: i32 = y
            .parse()
            .map_err(|_| format!("`{s}` is not a month: expected YYYY-MM, e.g. 2026-01"))?;
        let month: u32 = m
            .parse()
            .map_err(|_| format!("`{s}` is not a month: expected YYYY-MM, e.g. 2026-01"))?;
        if !(1..=12).contains(&month)
            || !(1900..=9999).contains(&year)
            || y.len() != 4
            || m.len() != 2
        {
            return Err(format!(
                "`{s}` is not a month: expected YYYY-MM with a month 01..12, e.g. 2026-01"
            ));
        }
        Ok(Self { year, month })
    }

    /// The month `n` months after this one.
    pub fn plus(self, n: u32) -> Self {
        let idx = self.year as i64 * 12 + i64::from(self.month - 1) + i64::from(n);
        Self {
            year: idx.div_euclid(12) as i32,
            month: (idx.rem_euclid(12) + 1) as u32,
        }
    }

    /// Whole months from `origin` to this month (negative if before it).
    pub fn months_since(self, origin: YearMonth) -> i64 {
        (i64::from(self.year) - i64::from(origin.year)) * 12 + i64::from(self.month)
            - i64::from(origin.month)
    }

    /// The first day of this month.
    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: 1,
        }
    }

    /// Number of days in this month.
    pub fn days(self) -> u32 {
        days_in_month(self.year, self.month)
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_label(f, self.year, &[self.month])
    }
}

/// Writes `year` and `parts` as `write!(f, "{:04}-{:02}-{:02}", …)` would, for years
/// 0..=9999 and parts below 100 with one `write_str` of a stack buffer: a label is
/// written for every ledger row and event, and `write!` with padding cost about a
/// thousand instructions each. Anything else goes through `write!`.
fn write_label(f: &mut fmt::Formatter<'_>, year: i32, parts: &[u32]) -> fmt::Result {
    let mut buf = [b'-'; 10];
    let fits = (0..=9999).contains(&year) && parts.len() <= 2 && parts.iter().all(|p| *p < 100);
    if !fits {
        write!(f, "{year:04}")?;
        for p in parts {
            write!(f, "-{p:02}")?;
        }
        return Ok(());
    }
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let y = year.unsigned_abs();
    buf[..4].copy_from_slice(&[digit(y / 1000), digit(y / 100), digit(y / 10), digit(y)]);
    let mut len = 4;
    for p in parts {
        buf[len + 1] = digit(p / 10);
        buf[len + 2] = digit(*p);
        len += 3;
    }
    // ASCII digits and dashes: always UTF-8.
    f.write_str(std::str::from_utf8(&buf[..len]).unwrap_or_default())
}

/// Written as its label, `YYYY-MM`: results carry typed months and only output makes
/// text of them.
impl serde::Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Date {
    /// Parses `YYYY-MM-DD`, or `YYYY-MM` meaning the first day of that month.
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let bad =
            || format!("`{s}` is not a date: expected YYYY-MM-DD or YYYY-MM, e.g. 2028-04-15");
        let parts: Vec<&str> = s.split('-').collect();
        match parts.as_slice() {
            [_, _] => YearMonth::parse(s)
                .map(YearMonth::first_day)
                .map_err(|_| bad()),
            [y, m, d] => {
                // Parse the parts, not a byte slice: `s[..7]` panicked on short or
                // non-ASCII input such as `1-2-3` (found by tests/fuzz.rs).
                let ym = YearMonth::parse(&format!("{y}-{m}")).map_err(|_| bad())?;
                let day: u32 = d.parse().map_err(|_| bad())?;
                if s.len() != 10 || day == 0 || day > ym.days() {
                    return Err(bad());
                }
                Ok(Date {
                    year: ym.year,
                    month: ym.month,
                    day,
                })
            }
            _ => Err(bad()),
        }
    }

    /// Whole days from `origin` to this date (negative if before it).
    pub fn days_since(self, origin: Date) -> i64 {
        days_from_civil(self.year, self.month, self.day)
            - days_from_civil(origin.year, origin.month, origin.day)
    }

    /// The date `days` days after this one.
    pub fn plus_days(self, days: i64) -> Date {
        civil_from_days(days_from_civil(self.year, self.month, self.day) + days)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_label(f, self.year, &[self.month, self.day])
    }
}

/// Maps simulation days to calendar months for one run: month `m` (0-based) spans
/// `[month_start(m), month_start(m + 1))`.
#[derive(Debug, Clone)]
pub struct Calendar {
    start: YearMonth,
    /// Day on which each month starts, plus one entry for the end of the horizon.
    month_starts: Vec<Day>,
}

impl Calendar {
    /// A calendar of `horizon_months` months from `start`.
    pub fn new(start: YearMonth, horizon_months: u32) -> Self {
        let mut month_starts = Vec::with_capacity(horizon_months as usize + 1);
        let mut day: Day = 0;
        for m in 0..horizon_months {
            month_starts.push(day);
            day += start.plus(m).days();
        }
        month_starts.push(day);
        Self {
            start,
            month_starts,
        }
    }

    /// The first month of the run.
    pub fn start(&self) -> YearMonth {
        self.start
    }

    /// Number of months simulated.
    pub fn months(&self) -> u32 {
        (self.month_starts.len() - 1) as u32
    }

    /// The day month `m` starts (for `m == months()`, the end of the horizon).
    pub fn month_start(&self, m: u32) -> Day {
        self.month_starts[m as usize]
    }

    /// The last simulated day plus one: the end of the horizon.
    pub fn end(&self) -> Day {
        *self.month_starts.last().unwrap_or(&0)
    }

    /// Calendar label of month `m`.
    pub fn label(&self, m: u32) -> YearMonth {
        self.start.plus(m)
    }

    /// The 0-based index of calendar month `ym` in this run; `None` outside the horizon.
    pub fn index_of(&self, ym: YearMonth) -> Option<u32> {
        u32::try_from(ym.months_since(self.start))
            .ok()
            .filter(|&m| m < self.months())
    }

    /// The 0-based month that contains `day` (the last month for days at or past the end).
    pub fn month_of(&self, day: Day) -> u32 {
        let idx = self.month_starts.partition_point(|&s| s <= day);
        (idx.saturating_sub(1) as u32).min(self.months().saturating_sub(1))
    }

    /// The calendar date of simulation day `day`.
    pub fn date(&self, day: Day) -> Date {
        self.start.first_day().plus_days(i64::from(day))
    }

    /// Simulation day of a calendar date; `None` if it is before the start.
    pub fn day_of(&self, date: Date) -> Option<Day> {
        let d = date.days_since(self.start.first_day());
        u32::try_from(d).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_what_padded_write_makes() {
        for year in (-1200..12_000)
            .step_by(7)
            .chain([0, 9, 99, 999, 9999, 10_000, -1])
        {
            for month in (0..130).step_by(3).chain([1, 9, 10, 12, 99, 100]) {
                let ym = YearMonth { year, month };
                assert_eq!(ym.to_string(), format!("{year:04}-{month:02}"));
                for day in [0, 1, 9, 10, 31, 99, 100, 4_000_000_000] {
                    let d = Date { year, month, day };
                    assert_eq!(d.to_string(), format!("{year:04}-{month:02}-{day:02}"));
                }
            }
        }
    }

    #[test]
    fn month_lengths_and_leap_years() {
        assert_eq!(days_in_month(2028, 2), 29);
        assert_eq!(days_in_month(2100, 2), 28);
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(2026, 4), 30);
    }

    #[test]
    fn calendar_round_trips_dates() {
        let cal = Calendar::new(YearMonth::parse("2026-01").unwrap(), 120);
        assert_eq!(cal.end(), 3652); // 2026..2035 inclusive has 2028 and 2032 as leap years
        let halving = Date::parse("2028-04-15").unwrap();
        let day = cal.day_of(halving).unwrap();
        assert_eq!(cal.date(day), halving);
        assert_eq!(cal.label(cal.month_of(day)).to_string(), "2028-04");
        assert_eq!(cal.month_of(0), 0);
        assert_eq!(cal.month_of(31), 1);
        assert_eq!(cal.month_of(30), 0);
        assert_eq!(cal.index_of(cal.label(27)), Some(27));
        assert_eq!(cal.index_of(YearMonth::parse("2025-12").unwrap()), None);
        assert_eq!(cal.index_of(cal.label(120)), None);
    }

    #[test]
    fn bad_months_are_rejected_with_the_expected_form() {
        assert!(YearMonth::parse("2026-13").unwrap_err().contains("YYYY-MM"));
        assert!(Date::parse("2026-02-30").is_err());
        assert_eq!(
            Date::parse("2026-03").unwrap(),
            Date {
                year: 2026,
                month: 3,
                day: 1
            }
        );
    }
}
