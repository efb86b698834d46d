//! Return figures of a monthly cash-flow series: NPV, IRR, MOIC, peak need, payback.
//!
//! The IRR is defined for every series, including the awkward ones planners meet in
//! practice (a late tenant, a balloon repayment, an exit below debt): it is a rate, a
//! list of rates when NPV crosses zero more than once, or "none" with the reason.
//! It never panics and never returns NaN.

use serde::Serialize;
use std::fmt;

/// Net present value of monthly cash flows at an annual rate, each flow discounted from
/// the end of its month: `Σ cf_m / (1 + r)^((m + 1) / 12)` (the ledger's convention).
pub fn npv(rate_per_year: f64, flows: &[f64]) -> f64 {
    flows
        .iter()
        .enumerate()
        .map(|(m, cf)| cf / (1.0 + rate_per_year).powf((m as f64 + 1.0) / 12.0))
        .sum()
}

/// The internal rate of return of a monthly series, as an annual rate, or why there is
/// no single one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Irr {
    /// The one annual rate at which NPV is zero.
    Rate(f64),
    /// NPV changes sign at more than one rate (flows change sign several times): every
    /// such annual rate, lowest first. No single rate summarises the series.
    Multiple(Vec<f64>),
    /// No rate makes NPV zero.
    None {
        /// Why, in words a planner can act on.
        reason: String,
    },
}

impl Irr {
    /// The rate when there is exactly one.
    pub fn rate(&self) -> Option<f64> {
        match self {
            Irr::Rate(r) => Some(*r),
            _ => None,
        }
    }

    fn none(reason: &str) -> Self {
        Irr::None {
            reason: reason.to_string(),
        }
    }
}

impl fmt::Display for Irr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Irr::Rate(r) => write!(f, "{:.2} %", r * 100.0),
            Irr::Multiple(rates) => {
                write!(f, "ambiguous: NPV is zero at")?;
                for (i, r) in rates.iter().enumerate() {
                    write!(f, "{} {:.2} %", if i == 0 { "" } else { "," }, r * 100.0)?;
                }
                Ok(())
            }
            Irr::None { reason } => write!(f, "none ({reason})"),
        }
    }
}

/// Lowest and highest annual rate searched: −99 %/yr and 999,900 %/yr, as `ln(1 + r)`.
/// Outside that band a rate means nothing to a planner.
const LOG_GROWTH_MIN: f64 = -4.605_170_185_988_091; // ln(0.01)
const LOG_GROWTH_MAX: f64 = 9.210_340_371_976_184; // ln(10_000)
/// Grid cells the band is cut into before bisecting each cell where NPV changes sign.
const GRID_CELLS: usize = 400;

/// A positive multiple of NPV at annual growth `x = ln(1 + r)`, computed without
/// overflow: every exponent is ≤ 0. For x ≥ 0 flows are discounted to month 0; for
/// x < 0 they are compounded to the last month. Same sign and same zeros as NPV.
fn scaled_npv(flows: &[f64], x: f64) -> f64 {
    // Horner's rule in q = e^(−|x|/12) ≤ 1: no exp per month, and no term can grow.
    let q = (-x.abs() / 12.0).exp();
    if x >= 0.0 {
        flows.iter().rev().fold(0.0, |acc, cf| acc * q + cf)
    } else {
        flows.iter().fold(0.0, |acc, cf| acc * q + cf)
    }
}

/// Internal rate of return of monthly flows, annualised: the `r` with
/// `Σ cf_m / (1 + r)^(m/12) = 0`, between −99 %/yr and 999,900 %/yr, bisected to 1e-13
/// in `ln(1 + r)`. Flows that change sign once have exactly one such rate (Descartes'
/// rule of signs), found by bisecting the whole band. Others are scanned on a grid of
/// [`GRID_CELLS`] cells in `ln(1 + r)`: two roots closer than one cell (≈ 3.5 % in
/// `1 + r`) can be missed, as can a root where NPV touches zero without crossing.
pub fn irr(flows: &[f64]) -> Irr {
    if flows.iter().any(|f| !f.is_finite()) {
        return Irr::none("a cash flow is not a finite number");
    }
    let has_in = flows.iter().any(|&f| f < 0.0);
    let has_out = flows.iter().any(|&f| f > 0.0);
    match (has_in, has_out) {
        (false, false) => return Irr::none("every cash flow is zero"),
        (false, true) => return Irr::none("no cash is ever put in: the return is unbounded"),
        (true, false) => return Irr::none("no cash ever comes back"),
        (true, true) => {}
    }
    let changes = sign_changes(flows);
    if changes == 1 && flows.iter().find(|&&f| f != 0.0).is_some_and(|&f| f > 0.0) {
        // Cash in first, cash out later is a loan, not an investment: NPV rises with the
        // rate, so its one root is a borrowing cost, and reading it as a return (a
        // 400 %/yr "IRR" on a dark mining site that pays its bills after earning) would
        // rank the worst plans first.
        return Irr::none(
            "cash comes in before it goes out, like a loan: the one rate is a borrowing cost, not a return; read the NPV",
        );
    }
    let roots = if changes == 1 {
        // Descartes' rule of signs: NPV, a polynomial in (1 + r)^(−1/12), has exactly
        // one root for r > −1, so bracketing the whole band finds it.
        let (lo, hi) = (LOG_GROWTH_MIN, LOG_GROWTH_MAX);
        let (v_lo, v_hi) = (scaled_npv(flows, lo), scaled_npv(flows, hi));
        if v_lo == 0.0 {
            vec![lo]
        } else if v_lo.signum() != v_hi.signum() {
            vec![bisect(flows, lo, hi, v_lo)]
        } else {
            Vec::new()
        }
    } else {
        let roots = grid_roots(flows);
        // NPV > 0 below the lowest rate and < 0 from it to the next (and last) one: a
        // hurdle below it adds value and one above it (up to an absurd rate) does not,
        // which is what an IRR is read for. A site that earns before it invests (mining
        // before a retrofit's capex) has this shape; its second rate is an artefact.
        if let [(low, true), _] = roots[..] {
            return Irr::Rate(low.exp_m1());
        }
        // One zero through which NPV rises with the rate: however many times the flows
        // change sign (a mining site's winter dips), the series as a whole borrows, and
        // its rate is a borrowing cost. Reading it as a return would rank a site that
        // earns first and pays later (keep mining, then clear the halls) above any plan.
        if let [(_, false)] = roots[..] {
            return Irr::none(
                "NPV rises with the rate through its one zero, like a loan: the rate is a borrowing cost, not a return; read the NPV",
            );
        }
        roots.into_iter().map(|r| r.0).collect()
    };
    let rates: Vec<f64> = roots.iter().map(|x| x.exp_m1()).collect();
    match rates.len() {
        0 => Irr::none("NPV does not change sign at any rate between -99 %/yr and 999,900 %/yr"),
        1 => Irr::Rate(rates[0]),
        _ => Irr::Multiple(rates),
    }
}

/// Sign changes along the series, zeros skipped.
fn sign_changes(flows: &[f64]) -> usize {
    let signs: Vec<bool> = flows
        .iter()
        .filter(|&&f| f != 0.0)
        .map(|&f| f > 0.0)
        .collect();
    signs.windows(2).filter(|w| w[0] != w[1]).count()
}

/// Every root found by scanning [`GRID_CELLS`] cells of the band and bisecting each cell
/// where NPV changes sign.
fn grid_roots(flows: &[f64]) -> Vec<(f64, bool)> {
    let step = (LOG_GROWTH_MAX - LOG_GROWTH_MIN) / GRID_CELLS as f64;
    let xs: Vec<f64> = (0..=GRID_CELLS)
        .map(|k| LOG_GROWTH_MIN + step * k as f64)
        .collect();
    let vs = scaled_npv_many(flows, &xs);
    let mut roots = Vec::new();
    for k in 0..GRID_CELLS {
        let (x0, v0, v1) = (xs[k], vs[k], vs[k + 1]);
        if v0 == 0.0 {
            // A zero on the grid: falling when NPV is negative just above it.
            roots.push((x0, v1 < 0.0));
        } else if v0.is_finite() && v1.is_finite() && v0.signum() != v1.signum() && v1 != 0.0 {
            roots.push((bisect(flows, x0, xs[k + 1], v0), v0 > 0.0));
        }
    }
    roots
}

/// [`scaled_npv`] at many points in one pass over the flows: the per-point Horner
/// steps are independent, so they pipeline (one dependent chain per point is slow).
fn scaled_npv_many(flows: &[f64], xs: &[f64]) -> Vec<f64> {
    let qs: Vec<f64> = xs.iter().map(|x| (-x.abs() / 12.0).exp()).collect();
    let mut acc = vec![0.0; xs.len()];
    let horner = |acc: &mut [f64], qs: &[f64], cf: f64| {
        for (a, q) in acc.iter_mut().zip(qs) {
            *a = *a * q + cf;
        }
    };
    let split = xs.partition_point(|&x| x < 0.0);
    let (neg, pos) = acc.split_at_mut(split);
    for &cf in flows {
        horner(neg, &qs[..split], cf);
    }
    for &cf in flows.iter().rev() {
        horner(pos, &qs[split..], cf);
    }
    acc
}

/// Bisects `[lo, hi]`, where `scaled_npv` has sign `v_lo` at `lo` and the opposite at `hi`.
fn bisect(flows: &[f64], mut lo: f64, mut hi: f64, v_lo: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if hi - lo < 1e-13 || mid <= lo || mid >= hi {
            break;
        }
        let v = scaled_npv(flows, mid);
        if v == 0.0 {
            return mid;
        }
        if v.signum() == v_lo.signum() {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Multiple on invested capital of an equity series: cash returned / cash put in
/// (Σ positive flows / Σ |negative flows|). `None` when nothing was put in.
pub fn moic(flows: &[f64]) -> Option<f64> {
    let put_in: f64 = flows.iter().filter(|&&f| f < 0.0).map(|f| -f).sum();
    let returned: f64 = flows.iter().filter(|&&f| f > 0.0).sum();
    (put_in > 0.0).then(|| returned / put_in)
}

/// Running sums of a series.
pub fn cumulative(flows: &[f64]) -> Vec<f64> {
    flows
        .iter()
        .scan(0.0, |acc, f| {
            *acc += f;
            Some(*acc)
        })
        .collect()
}

/// The most cash the series is ever down: `max(0, −min cumulative)`. For equity flows
/// this is the peak equity need.
pub fn peak_need(flows: &[f64]) -> f64 {
    cumulative(flows)
        .into_iter()
        .fold(0.0, |worst, c| worst.max(-c))
}

/// Whether and when a cumulative cash series pays back (docs/model.md, *Summary figures*).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Payback {
    /// Cumulative cash was negative, and from this month (index) on it stays ≥ 0 to the
    /// end of the series.
    Month(usize),
    /// Cumulative cash was negative and is still (or again) negative in the last month.
    NotWithinHorizon,
    /// Cumulative cash never went below zero: nothing was put in, so nothing pays back.
    /// (Also an empty series.)
    NeverNegative,
}

impl Payback {
    /// The payback month's index, if it paid back.
    pub fn index(self) -> Option<usize> {
        match self {
            Payback::Month(i) => Some(i),
            Payback::NotWithinHorizon | Payback::NeverNegative => None,
        }
    }

    /// The payback month as `label` writes it, or why there is none.
    pub fn describe(self, what: &str, label: impl Fn(usize) -> String) -> String {
        match self {
            Payback::Month(i) => label(i),
            none => none.none_reason(what).unwrap_or_default(),
        }
    }

    /// Why there is no payback month, for `what` (e.g. "cumulative cash"), as printed
    /// in place of the month; `None` when there is one.
    pub fn none_reason(self, what: &str) -> Option<String> {
        match self {
            Payback::Month(_) => None,
            Payback::NotWithinHorizon => Some(format!(
                "none ({what} still negative at the end of the horizon)"
            )),
            Payback::NeverNegative => {
                Some(format!("none ({what} never negative: nothing to pay back)"))
            }
        }
    }
}

/// The payback of a cumulative cash series: the first month at the end of which it is
/// ≥ 0, after having been negative, and from which it stays ≥ 0 to the end of the
/// series. A series that dips below zero again later pays back only after its last
/// negative month; one still negative at the end has not paid back; one never below
/// zero has nothing to pay back.
pub fn payback(cumulative: &[f64]) -> Payback {
    match cumulative.iter().rposition(|&c| c < 0.0) {
        None => Payback::NeverNegative,
        Some(i) if i + 1 < cumulative.len() => Payback::Month(i + 1),
        Some(_) => Payback::NotWithinHorizon,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Annual flows placed 12 months apart, as a monthly series.
    fn yearly(flows: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; (flows.len() - 1) * 12 + 1];
        for (k, f) in flows.iter().enumerate() {
            out[k * 12] = *f;
        }
        out
    }

    #[test]
    fn a_year_end_flow_discounts_by_one_period() {
        let mut flows = vec![0.0; 12];
        flows[11] = 110.0;
        assert!((npv(0.10, &flows) - 100.0).abs() < 1e-9);
    }

    #[test]
    fn ten_percent_a_year_is_found_exactly() {
        let r = irr(&yearly(&[-100.0, 110.0])).rate().unwrap();
        assert!((r - 0.10).abs() < 1e-10, "{r}");
    }

    #[test]
    fn two_roots_are_both_reported() {
        // −100, +230, −132 per year: NPV = 0 at 10 % and 20 % ((1+r) = 1.1, 1.2).
        match irr(&yearly(&[-100.0, 230.0, -132.0])) {
            Irr::Multiple(rates) => {
                assert_eq!(rates.len(), 2);
                assert!((rates[0] - 0.10).abs() < 1e-9 && (rates[1] - 0.20).abs() < 1e-9);
            }
            other => panic!("expected two rates, got {other:?}"),
        }
    }

    #[test]
    fn series_without_a_root_say_why() {
        let cases: [&[f64]; 5] = [
            &[0.0, 0.0],
            &[-5.0, -1.0, 0.0],
            &[5.0, 1.0],
            &[f64::NAN, 1.0],
            &[],
        ];
        for flows in cases {
            assert!(matches!(irr(flows), Irr::None { .. }), "{flows:?}");
        }
        // +100 then −121 a year later: NPV = 100 − 121/(1+r) is zero at r = 21 %, but it
        // rises with r (a loan at 21 %), so it is no return.
        match irr(&yearly(&[100.0, -121.0])) {
            Irr::None { reason } => assert!(reason.contains("like a loan"), "{reason}"),
            other => panic!("a borrowing series has no IRR, got {other:?}"),
        }
        // The same flows the other way round are an investment returning exactly 21 %.
        let r = irr(&yearly(&[-100.0, 121.0])).rate().unwrap();
        assert!((r - 0.21).abs() < 1e-9, "{r}");
        // +1, −3, +1 yearly: NPV ∝ d² − 3d + 1 with d = 1/(1+r); roots d = 0.382, 2.618,
        // i.e. r = −61.8 % and 161.8 %. NPV > 0 below −61.8 % and < 0 up to 161.8 %: the
        // lower rate is the one a hurdle is compared with.
        let r = irr(&yearly(&[1.0, -3.0, 1.0])).rate().unwrap();
        assert!((r + 0.618_033_988_749_895).abs() < 1e-9, "{r}");
        // +5, −1, +5, −12 yearly: three sign changes, but NPV ∝ 5 − d + 5d² − 12d³ falls
        // in d = 1/(1+r) everywhere (its derivative −1 + 10d − 36d² < 0), so it has one
        // zero and rises with r through it: a loan in disguise, no return.
        match irr(&yearly(&[5.0, -1.0, 5.0, -12.0])) {
            Irr::None { reason } => assert!(reason.contains("like a loan"), "{reason}"),
            other => panic!("a borrowing series has no IRR, got {other:?}"),
        }
        // +1, −1, +1 yearly: d² − d + 1 > 0 for every d: two sign changes, no rate.
        assert!(matches!(irr(&yearly(&[1.0, -1.0, 1.0])), Irr::None { .. }));
    }

    #[test]
    fn moic_peak_need_and_payback() {
        let flows = [-100.0, -50.0, 60.0, 120.0];
        assert_eq!(moic(&flows), Some(180.0 / 150.0));
        assert_eq!(moic(&[1.0]), None);
        assert_eq!(peak_need(&flows), 150.0);
        assert_eq!(peak_need(&[5.0, -1.0]), 0.0);
        assert_eq!(payback(&cumulative(&flows)), Payback::Month(3));
    }

    #[test]
    fn payback_needs_cash_to_have_been_negative_and_to_stay_back() {
        // Negative, then back above zero: the first month it is back.
        assert_eq!(payback(&[-5.0, -1.0, 0.0, 3.0]), Payback::Month(2));
        // Back, under again, back: the month after the last negative one.
        assert_eq!(payback(&[-5.0, 1.0, -1.0, 3.0]), Payback::Month(3));
        // Still (or again) negative at the end: none.
        assert_eq!(payback(&[-1.0, 2.0, -0.5]), Payback::NotWithinHorizon);
        assert_eq!(payback(&[-1.0, -2.0]), Payback::NotWithinHorizon);
        // Never negative (zero is not negative): nothing to pay back, not month 0.
        assert_eq!(payback(&[1.0, 2.0]), Payback::NeverNegative);
        assert_eq!(payback(&[0.0, 0.0, 5.0]), Payback::NeverNegative);
        assert_eq!(payback(&[]), Payback::NeverNegative);
        assert_eq!(payback(&[1.0, 2.0]).index(), None);
        assert_eq!(
            payback(&[1.0]).none_reason("cumulative cash").as_deref(),
            Some("none (cumulative cash never negative: nothing to pay back)")
        );
        assert_eq!(payback(&[-1.0, 1.0]).none_reason("cumulative cash"), None);
    }

    #[test]
    fn payback_of_a_level_annuity_is_the_ceiling_of_capex_over_the_monthly_flow() {
        // $1,000,000 capex in month 0 and $30,000 a month from month 1: cumulative cash
        // after month m is 30,000·m − 1,000,000, ≥ 0 from m = ⌈1,000,000 / 30,000⌉ = 34.
        let mut flows = vec![30_000.0; 60];
        flows[0] = -1_000_000.0;
        assert_eq!(payback(&cumulative(&flows)), Payback::Month(34));
        // A capex of exactly 33 months of flow is back to zero, not above, in month 33.
        flows[0] = -990_000.0;
        assert_eq!(payback(&cumulative(&flows)), Payback::Month(33));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The one-pass evaluation equals the point-by-point one.
        #[test]
        fn many_points_match_one_point(flows in proptest::collection::vec(-1e6f64..1e6, 1..100)) {
            let xs = [-4.0, -0.5, 0.0, 0.3, 2.0, 9.0];
            for (x, v) in xs.iter().zip(scaled_npv_many(&flows, &xs)) {
                let one = scaled_npv(&flows, *x);
                prop_assert!((one - v).abs() <= 1e-9 * (1.0 + one.abs()));
            }
        }

        /// Money in, then money out: the one-bracket shortcut finds the grid's root.
        #[test]
        fn one_sign_change_matches_the_grid(
            put_in in proptest::collection::vec(-1e6f64..-1.0, 1..30),
            back in proptest::collection::vec(1.0f64..1e6, 1..150),
        ) {
            let flows: Vec<f64> = put_in.iter().chain(&back).copied().collect();
            let grid: Vec<f64> = grid_roots(&flows).iter().map(|x| x.0.exp_m1()).collect();
            match irr(&flows) {
                Irr::Rate(r) => prop_assert!(grid.len() == 1 && (grid[0] - r).abs() < 1e-9),
                _ => prop_assert!(grid.is_empty()),
            }
        }

        /// Whatever the series, the answer is defined; a single rate really zeroes NPV.
        #[test]
        fn irr_is_always_defined(flows in proptest::collection::vec(-1e9f64..1e9, 0..400)) {
            match irr(&flows) {
                Irr::Rate(r) => {
                    prop_assert!(r.is_finite() && r > -1.0);
                    let scale: f64 = flows.iter().map(|f| f.abs()).sum();
                    let at = |x: f64| scaled_npv(&flows, x) / scale;
                    let x = r.ln_1p();
                    // A sign change within a hair of the root.
                    prop_assert!(at(x - 1e-9) * at(x + 1e-9) <= 0.0 || at(x).abs() < 1e-9);
                }
                Irr::Multiple(rates) => {
                    prop_assert!(rates.len() >= 2);
                    prop_assert!(rates.iter().all(|r| r.is_finite()));
                    prop_assert!(rates.windows(2).all(|w| w[0] < w[1]));
                }
                Irr::None { reason } => prop_assert!(!reason.is_empty()),
            }
        }
    }
}
