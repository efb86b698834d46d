//! The world file's optional `power_prices:` and `flexibility:` sections.
//!
//! ```ron
//! power_prices: (
//!     shape: Ercot2024,                         // or DurationCurve([(usd_per_mwh: 25, hours_per_year: 8000), …])
//!                                               // or HourlyFile("prices/ercot-north-2024.csv")
//!     mean_follows_site_price: false,           // true: scale each month to the site's price
//! ),
//! flexibility: (
//!     demand_response: Some((usd_per_mw_month: 3000, event_hours_per_month: 4)),
//!     coincident_peak: Some((usd_per_kw_year: 100, flexible_capture: 1.0)),
//!     curtailment_obligation: Some((threshold_mw: 75, emergency_hours_per_year: 20,
//!                                   firm_response: BackupGeneration)),
//! ),
//! ```
//!
//! A year's shape becomes one curve per calendar month: a duration curve (or the shipped
//! ERCOT year) is the same in every month, scaled to the month's hours; an hourly file of
//! 8,760 rows (a non-leap year, January first) gives each month its own hours, and a leap
//! February stretches February's 672 hours to 696.

use super::flexibility::{CoincidentPeak, CurtailmentObligation, DemandResponse, FirmResponse};
use super::{MAX_ABS_PRICE_USD_PER_MWH, PriceDurationCurve, load_hourly};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Hours in the non-leap year an hourly file holds.
pub const HOURLY_FILE_ROWS: usize = 8_760;
/// Days of each month of a non-leap year.
const MONTH_DAYS: [usize; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/// `power_prices: (...)` as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PowerPricesSection {
    /// The hourly shape.
    pub shape: ShapeSection,
    /// Scale each month's curve so its mean equals the site's price that month.
    #[serde(default)]
    pub mean_follows_site_price: bool,
}

/// Where the hourly shape comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShapeSection {
    /// The shipped ERCOT-derived year (`assets/data/ercot-duration-2024.csv`).
    Ercot2024,
    /// A year's duration curve, level by level.
    DurationCurve(Vec<LevelSection>),
    /// An hourly CSV file (8,760 rows, a `usd_per_mwh` column), relative to the world file.
    HourlyFile(String),
}

/// A level of a duration curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelSection {
    /// Price, USD/MWh.
    pub usd_per_mwh: f64,
    /// Hours a year at it.
    pub hours_per_year: f64,
}

/// `flexibility: (...)` as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlexibilitySection {
    /// Demand response for every flexible (ASIC) MW.
    #[serde(default)]
    pub demand_response: Option<DemandResponse>,
    /// Coincident-peak transmission tariff.
    #[serde(default)]
    pub coincident_peak: Option<CoincidentPeak>,
    /// Large-load curtailment obligation.
    #[serde(default)]
    pub curtailment_obligation: Option<ObligationSection>,
}

/// The obligation as written.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObligationSection {
    /// Site load from which it applies, MW (75 in SB 6).
    pub threshold_mw: f64,
    /// Emergency hours a year.
    pub emergency_hours_per_year: f64,
    /// What a firm GPU hall does in them.
    pub firm_response: FirmResponse,
}

/// Which check rule a problem breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// An hourly price file is missing, unreadable, malformed or has the wrong row count.
    PriceFile,
    /// A number is outside its supported range.
    OutOfRange,
    /// A price or amount that must not be negative is.
    NegativeValue,
    /// A curtailment threshold or share that makes no sense.
    CurtailmentThreshold,
}

/// A problem in one of the sections.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionProblem {
    /// The field, e.g. `power_prices.shape`.
    pub field: String,
    /// The rule it breaks.
    pub kind: ProblemKind,
    /// What is wrong.
    pub message: String,
}

fn problem(field: &str, kind: ProblemKind, message: impl Into<String>) -> SectionProblem {
    SectionProblem {
        field: field.to_string(),
        kind,
        message: message.into(),
    }
}

/// The checked shape: a curve per calendar month (January first).
#[derive(Debug, Clone, PartialEq)]
pub struct PriceShapeSpec {
    months: Vec<PriceDurationCurve>,
    /// Scale each month's curve to the site's price.
    pub mean_follows_site_price: bool,
}

impl PriceShapeSpec {
    /// The curve for calendar month `month` (1..=12) of `hours` hours; with
    /// `mean_follows_site_price`, its prices are scaled so the mean is `site_usd_per_mwh`.
    pub fn month_curve(&self, month: u32, hours: f64, site_usd_per_mwh: f64) -> PriceDurationCurve {
        let base = &self.months[(month.clamp(1, 12) - 1) as usize];
        let curve = base.scaled_to_hours(hours);
        if !self.mean_follows_site_price {
            return curve;
        }
        // Checked: every month's mean is > 0 when following the site price.
        let k = site_usd_per_mwh / curve.mean_price_usd_per_mwh();
        let levels: Vec<(f64, f64)> = curve.levels().map(|(p, h)| (p * k, h)).collect();
        PriceDurationCurve::from_levels(&levels).unwrap_or(curve)
    }
}

/// Validates `power_prices`; hourly files are read relative to `base_dir`.
pub fn check_prices(
    s: &PowerPricesSection,
    base_dir: Option<&Path>,
) -> Result<PriceShapeSpec, Vec<SectionProblem>> {
    let field = "power_prices.shape";
    let months = match &s.shape {
        ShapeSection::Ercot2024 => {
            let year = PriceDurationCurve::ercot_2024()
                .map_err(|e| vec![problem(field, ProblemKind::PriceFile, e)])?;
            vec![year; 12]
        }
        ShapeSection::DurationCurve(levels) => {
            let levels: Vec<(f64, f64)> = levels
                .iter()
                .map(|l| (l.usd_per_mwh, l.hours_per_year))
                .collect();
            let year = PriceDurationCurve::from_levels(&levels)
                .map_err(|e| vec![problem(field, ProblemKind::OutOfRange, e.to_string())])?;
            vec![year; 12]
        }
        ShapeSection::HourlyFile(name) => {
            let path = match base_dir {
                Some(dir) => dir.join(name),
                None => Path::new(name).to_path_buf(),
            };
            let hourly = load_hourly(&path, HOURLY_FILE_ROWS)
                .map_err(|e| vec![problem(field, ProblemKind::PriceFile, e.to_string())])?;
            split_months(&hourly).map_err(|e| vec![problem(field, ProblemKind::PriceFile, e)])?
        }
    };
    if s.mean_follows_site_price {
        if let Some(m) = months
            .iter()
            .position(|c| c.mean_price_usd_per_mwh() <= 0.0)
        {
            return Err(vec![problem(
                "power_prices.mean_follows_site_price",
                ProblemKind::OutOfRange,
                format!(
                    "month {} of the shape has a mean price <= 0, so it cannot be scaled to the site's price",
                    m + 1
                ),
            )]);
        }
    }
    Ok(PriceShapeSpec {
        months,
        mean_follows_site_price: s.mean_follows_site_price,
    })
}

fn split_months(hourly: &[f64]) -> Result<Vec<PriceDurationCurve>, String> {
    let mut start = 0;
    MONTH_DAYS
        .iter()
        .map(|days| {
            let end = start + days * 24;
            let slice = hourly
                .get(start..end)
                .ok_or("the file has fewer than 8,760 hours")?;
            start = end;
            PriceDurationCurve::from_hourly(slice).map_err(|e| e.to_string())
        })
        .collect()
}

/// The checked flexibility terms.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct FlexibilitySpec {
    /// Demand response, if the flexible load takes part.
    pub demand_response: Option<DemandResponse>,
    /// Coincident-peak tariff, if one applies.
    pub coincident_peak: Option<CoincidentPeak>,
    /// Curtailment obligation and the firm hall's response, if one applies.
    pub curtailment_obligation: Option<(CurtailmentObligation, FirmResponse)>,
}

/// Validates `flexibility`.
pub fn check_flexibility(s: &FlexibilitySection) -> Result<FlexibilitySpec, Vec<SectionProblem>> {
    let mut out = Vec::new();
    let mut non_negative = |field: &str, v: f64, max: f64| {
        if !(v.is_finite() && v >= 0.0) {
            out.push(problem(
                field,
                ProblemKind::NegativeValue,
                format!("{v} must be a number >= 0"),
            ));
        } else if v > max {
            out.push(problem(
                field,
                ProblemKind::OutOfRange,
                format!("{v} is above {max}"),
            ));
        }
    };
    if let Some(dr) = &s.demand_response {
        non_negative(
            "flexibility.demand_response.usd_per_mw_month",
            dr.usd_per_mw_month,
            1e6,
        );
        non_negative(
            "flexibility.demand_response.event_hours_per_month",
            dr.event_hours_per_month,
            744.0,
        );
    }
    if let Some(cp) = &s.coincident_peak {
        non_negative(
            "flexibility.coincident_peak.usd_per_kw_year",
            cp.usd_per_kw_year,
            10_000.0,
        );
    }
    if let Some(ob) = &s.curtailment_obligation {
        non_negative(
            "flexibility.curtailment_obligation.emergency_hours_per_year",
            ob.emergency_hours_per_year,
            8_760.0,
        );
    }
    thresholds(s, &mut out);
    if !out.is_empty() {
        return Err(out);
    }
    Ok(FlexibilitySpec {
        demand_response: s.demand_response,
        coincident_peak: s.coincident_peak,
        curtailment_obligation: s.curtailment_obligation.map(|o| {
            (
                CurtailmentObligation {
                    threshold_mw: o.threshold_mw,
                    emergency_hours_per_year: o.emergency_hours_per_year,
                },
                o.firm_response,
            )
        }),
    })
}

/// Thresholds and shares that make no sense: a capture outside 0..=1 (a load cannot be
/// off in more than every peak) and an obligation threshold that is not a positive size.
fn thresholds(s: &FlexibilitySection, out: &mut Vec<SectionProblem>) {
    if let Some(cp) = &s.coincident_peak {
        let c = cp.flexible_capture;
        if !(c.is_finite() && (0.0..=1.0).contains(&c)) {
            out.push(problem(
                "flexibility.coincident_peak.flexible_capture",
                ProblemKind::CurtailmentThreshold,
                format!("{c} is a share of the peak intervals: expected 0..=1"),
            ));
        }
    }
    if let Some(ob) = &s.curtailment_obligation {
        let t = ob.threshold_mw;
        if !(t.is_finite() && t > 0.0 && t <= MAX_ABS_PRICE_USD_PER_MWH * 10.0) {
            out.push(problem(
                "flexibility.curtailment_obligation.threshold_mw",
                ProblemKind::CurtailmentThreshold,
                format!("{t} MW is not a load size from which an obligation could apply: expected 0 < MW <= 100000"),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prices(text: &str) -> PowerPricesSection {
        ron::from_str(text).unwrap()
    }

    #[test]
    fn the_ercot_shape_gives_every_month_the_years_mean() {
        let spec = check_prices(&prices("(shape: Ercot2024)"), None).unwrap();
        let jan = spec.month_curve(1, 744.0, 40.0);
        assert!((jan.total_hours() - 744.0).abs() < 1e-9);
        assert!((jan.mean_price_usd_per_mwh() - 32.0).abs() < 1e-9);
        let follow = check_prices(
            &prices("(shape: Ercot2024, mean_follows_site_price: true)"),
            None,
        )
        .unwrap();
        assert!((follow.month_curve(1, 744.0, 40.0).mean_price_usd_per_mwh() - 40.0).abs() < 1e-9);
    }

    #[test]
    fn a_duration_curve_is_checked() {
        let ok = prices(
            "(shape: DurationCurve([(usd_per_mwh: 20, hours_per_year: 8000), (usd_per_mwh: 300, hours_per_year: 760)]))",
        );
        assert!(check_prices(&ok, None).is_ok());
        let bad = prices("(shape: DurationCurve([(usd_per_mwh: 20, hours_per_year: -8000)]))");
        let e = check_prices(&bad, None).unwrap_err();
        assert_eq!(e[0].kind, ProblemKind::OutOfRange);
        let negative_mean = prices(
            "(shape: DurationCurve([(usd_per_mwh: -20, hours_per_year: 10)]), mean_follows_site_price: true)",
        );
        assert_eq!(
            check_prices(&negative_mean, None).unwrap_err()[0].kind,
            ProblemKind::OutOfRange
        );
    }

    #[test]
    fn an_hourly_file_splits_into_calendar_months_and_its_errors_name_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("usd_per_mwh\n");
        for h in 0..HOURLY_FILE_ROWS {
            // January $10, every later month $20.
            text.push_str(if h < 744 { "10\n" } else { "20\n" });
        }
        std::fs::write(dir.path().join("year.csv"), &text).unwrap();
        let spec = check_prices(
            &prices("(shape: HourlyFile(\"year.csv\"))"),
            Some(dir.path()),
        )
        .unwrap();
        assert!((spec.month_curve(1, 744.0, 0.0).mean_price_usd_per_mwh() - 10.0).abs() < 1e-9);
        // A leap February stretches February's hours.
        let feb = spec.month_curve(2, 696.0, 0.0);
        assert!((feb.mean_price_usd_per_mwh() - 20.0).abs() < 1e-9);
        assert!((feb.total_hours() - 696.0).abs() < 1e-9);
        std::fs::write(dir.path().join("short.csv"), &text[..text.len() - 3]).unwrap();
        let e = check_prices(
            &prices("(shape: HourlyFile(\"short.csv\"))"),
            Some(dir.path()),
        )
        .unwrap_err();
        assert_eq!(e[0].kind, ProblemKind::PriceFile);
        assert!(
            e[0].message
                .ends_with("short.csv:8761: expected 8760 hourly prices, found 8759"),
            "{}",
            e[0].message
        );
        let e = check_prices(
            &prices("(shape: HourlyFile(\"none.csv\"))"),
            Some(dir.path()),
        )
        .unwrap_err();
        assert!(
            e[0].message.ends_with("none.csv: file not found"),
            "{}",
            e[0].message
        );
        std::fs::write(
            dir.path().join("text.csv"),
            text.replacen("20\n", "twenty\n", 1),
        )
        .unwrap();
        let e = check_prices(
            &prices("(shape: HourlyFile(\"text.csv\"))"),
            Some(dir.path()),
        )
        .unwrap_err();
        assert!(
            e[0].message
                .ends_with("text.csv:746: expected a price in USD/MWh, found \"twenty\""),
            "{}",
            e[0].message
        );
    }

    fn flex(text: &str) -> FlexibilitySection {
        ron::from_str(text).unwrap()
    }

    #[test]
    fn flexibility_terms_check_and_nonsense_thresholds_are_named() {
        let ok = flex(
            "(demand_response: Some((usd_per_mw_month: 3000, event_hours_per_month: 4)), coincident_peak: Some((usd_per_kw_year: 100, flexible_capture: 1.0)), curtailment_obligation: Some((threshold_mw: 75, emergency_hours_per_year: 20, firm_response: BackupGeneration)))",
        );
        let spec = check_flexibility(&ok).unwrap();
        assert_eq!(
            spec.curtailment_obligation.map(|o| o.1),
            Some(FirmResponse::BackupGeneration)
        );
        let bad = flex(
            "(coincident_peak: Some((usd_per_kw_year: -5, flexible_capture: 1.5)), curtailment_obligation: Some((threshold_mw: 0, emergency_hours_per_year: 9000, firm_response: CurtailWithSlaCredits)))",
        );
        let e = check_flexibility(&bad).unwrap_err();
        let kinds: Vec<(&str, ProblemKind)> =
            e.iter().map(|p| (p.field.as_str(), p.kind)).collect();
        assert!(kinds.contains(&(
            "flexibility.coincident_peak.usd_per_kw_year",
            ProblemKind::NegativeValue
        )));
        assert!(kinds.contains(&(
            "flexibility.coincident_peak.flexible_capture",
            ProblemKind::CurtailmentThreshold
        )));
        assert!(kinds.contains(&(
            "flexibility.curtailment_obligation.threshold_mw",
            ProblemKind::CurtailmentThreshold
        )));
        assert!(kinds.contains(&(
            "flexibility.curtailment_obligation.emergency_hours_per_year",
            ProblemKind::OutOfRange
        )));
        assert_eq!(
            check_flexibility(&FlexibilitySection::default()).unwrap(),
            FlexibilitySpec::default()
        );
    }
}
