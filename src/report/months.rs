//! Month-labelled series of sweeps and comparisons placed on one shared month axis.
//!
//! As on the single-run charts, month `m` spans `[m, m + 1)` on the x axis, and
//! cumulative cash at the end of month `m` sits at `m + 1`.

use super::axes::{MonthChart, ValueAxis, month_chart};
use super::frame::{Area, Scale, widest};
use super::marks::EndLabel;
use super::text::usd_fmt;
use crate::calendar::{Calendar, YearMonth};
use anyhow::Result;
use plotters::prelude::*;
use std::ops::Range;

/// The frame of a cumulative-cash chart across runs or worlds (`fan.png`,
/// `compare.png`): months on x, cumulative cash in USD on y, and room right of the plot
/// for `end_labels`.
pub(crate) fn cash_month_chart<'a, DB: DrawingBackend>(
    area: &'a Area<DB>,
    k: Scale,
    cal: &Calendar,
    y_usd: Range<f64>,
    end_labels: &[EndLabel],
) -> Result<MonthChart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let texts: Vec<String> = end_labels.iter().map(|l| l.text.clone()).collect();
    let right = widest(area, &texts, &k.note()) + k.px(24.0);
    let y = ValueAxis {
        range: y_usd,
        desc: "Cumulative cash (USD)",
        fmt: &usd_fmt,
    };
    month_chart(area, k, cal, y, right.max(k.px(40.0)))
}

/// Months from `a` to `b` (negative when `b` is earlier).
fn months_between(a: YearMonth, b: YearMonth) -> i64 {
    i64::from(b.year - a.year) * 12 + i64::from(b.month) - i64::from(a.month)
}

/// Where several month-labelled series sit on one shared month axis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthAlignment {
    /// First month of the axis: the earliest label of any series.
    pub start: YearMonth,
    /// Months on the axis: through the latest label of any series, gaps included.
    pub months: u32,
    /// For each series, the axis index of each of its labels.
    pub index: Vec<Vec<u32>>,
}

impl MonthAlignment {
    /// The calendar of the shared axis.
    pub fn calendar(&self) -> Calendar {
        Calendar::new(self.start, self.months.max(1))
    }
}

/// Aligns series by month: the axis is the union of their months, sorted, so worlds
/// with different start months or horizons share one x axis.
pub(crate) fn align_months(series: &[&[YearMonth]]) -> MonthAlignment {
    let all = || series.iter().copied().flatten().copied();
    let (Some(start), Some(end)) = (all().min(), all().max()) else {
        return MonthAlignment {
            start: YearMonth {
                year: 2000,
                month: 1,
            },
            months: 1,
            index: vec![Vec::new(); series.len()],
        };
    };
    let index = series
        .iter()
        .map(|ms| {
            ms.iter()
                .map(|&m| months_between(start, m) as u32)
                .collect()
        })
        .collect();
    MonthAlignment {
        start,
        months: months_between(start, end) as u32 + 1,
        index,
    }
}

/// Cumulative cash as chart points: `(0, 0)` at the start, then month index `m`'s
/// month-end value at `m + 1`. Non-finite values (no runs) are left out.
pub(crate) fn cash_points(index: &[u32], values: &[f64]) -> Vec<(f64, f64)> {
    let first = index.first().map_or(0.0, |&m| f64::from(m));
    std::iter::once((first, 0.0))
        .chain(
            index
                .iter()
                .zip(values)
                .filter(|(_, v)| v.is_finite())
                .map(|(&m, &v)| (f64::from(m) + 1.0, v)),
        )
        .collect()
}

#[cfg(test)]
pub(crate) fn labels(start: &str, n: u32) -> Vec<YearMonth> {
    let s = YearMonth::parse(start).unwrap();
    (0..n).map(|i| s.plus(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worlds_align_on_the_union_of_their_months() {
        let a = labels("2026-01", 12);
        let b = labels("2026-07", 24);
        let al = align_months(&[&a, &b]);
        assert_eq!(al.start, YearMonth::parse("2026-01").unwrap());
        assert_eq!(al.months, 30);
        assert_eq!(al.index[0][0], 0);
        assert_eq!(al.index[1][0], 6);
        assert_eq!(al.index[1][23], 29);
        assert_eq!(align_months(&[]).months, 1);
    }

    #[test]
    fn cash_points_start_at_zero_and_skip_missing_months() {
        let pts = cash_points(&[3, 4, 5], &[-1.0, f64::NAN, 2.0]);
        assert_eq!(pts, vec![(3.0, 0.0), (4.0, -1.0), (6.0, 2.0)]);
    }
}
