//! Numbers for people: `$12.4M`, `48.2 MW`, shares of runs, the phrases chart titles
//! share, and the terminal summary of a run.

use crate::calendar::YearMonth;
use crate::engine::{RunResult, Summary};
use crate::sweep::SweepSummary;
use std::fmt::Write;

/// USD with a magnitude suffix: `$1.2M`, `-$350k`, `$3.50B`.
pub fn usd(v: f64) -> String {
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    if a >= 1e9 {
        format!("{sign}${:.2}B", a / 1e9)
    } else if a >= 1e6 {
        format!("{sign}${:.1}M", a / 1e6)
    } else if a >= 1e3 {
        format!("{sign}${:.0}k", a / 1e3)
    } else {
        format!("{sign}${a:.0}")
    }
}

/// A count with thousands separators: `10,000`.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A USD axis label: [`usd`], with values that round to zero shown as `$0`.
pub(crate) fn usd_fmt(v: &f64) -> String {
    if v.abs() < 0.5 { "$0".into() } else { usd(*v) }
}

/// An MW axis label: one decimal below 10 MW when the value is not whole.
pub(crate) fn mw_fmt(v: &f64) -> String {
    if v.abs() < 10.0 && v.fract().abs() > 1e-9 {
        format!("{v:.1}")
    } else {
        format!("{v:.0}")
    }
}

/// A share of runs as a percentage that never rounds to a misleading 0 % or 100 %.
pub(crate) fn share_text(part: u64, total: u64) -> String {
    if total == 0 {
        return "–".into();
    }
    let p = part as f64 * 100.0 / total as f64;
    if part > 0 && p < 1.0 {
        "<1%".into()
    } else if part < total && p > 99.0 {
        ">99%".into()
    } else {
        format!("{p:.0}%")
    }
}

/// The first subtitle line of a partial sweep (interrupted, or one shard), else empty.
pub(crate) fn partial_note(sum: &SweepSummary) -> String {
    if sum.partial {
        format!(
            "Partial: {} of {} planned runs (interrupted, or one shard: \
             `retrofit merge` the shards)\n",
            count(sum.runs_completed),
            count(sum.runs_planned)
        )
    } else {
        String::new()
    }
}

/// `1,000 runs`, or `600 of 1,000 runs` for a partial sweep.
pub(crate) fn runs_phrase(sum: &SweepSummary) -> String {
    if sum.runs_completed == sum.runs_planned {
        format!("{} runs", count(sum.runs_completed))
    } else {
        format!(
            "{} of {} runs",
            count(sum.runs_completed),
            count(sum.runs_planned)
        )
    }
}

/// The payback month of a run, or why it has none (still negative at the horizon, or
/// never negative so nothing to pay back).
pub(crate) fn payback_text(s: &Summary) -> String {
    match (s.payback_month, &s.payback_note) {
        (Some(m), _) => m.to_string(),
        (None, Some(note)) => note.clone(),
        (None, None) => "none".to_string(),
    }
}

/// The ledger NPV line. With a finance section the ledger NPV is not the decision
/// figure: it leaves out tax, opex by state and the terminal value, which the finance
/// block adds. The line says so, so the two NPVs are never read as one contradicting
/// the other.
fn npv_line(result: &RunResult) -> String {
    let s = &result.summary;
    let note = if result.finance.is_some() {
        " (ledger only: no tax, opex by state or exit value; the finance block decides)"
    } else {
        ""
    };
    format!(
        "  NPV @ {:.1}%/yr        {}{note}\n",
        s.discount_rate_per_year * 100.0,
        usd(s.npv_usd)
    )
}

/// The short human summary printed after a run.
pub fn summary(result: &RunResult) -> String {
    let s: &Summary = &result.summary;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} — {} months from {}",
        s.world, s.horizon_months, s.start_month
    );
    out.push_str(&npv_line(result));
    let _ = writeln!(
        out,
        "  final cumulative cash {}",
        usd(s.final_cumulative_cash_usd)
    );
    let _ = writeln!(out, "  payback month         {}", payback_text(s));
    let _ = writeln!(
        out,
        "  first GPU energised   {}",
        s.first_gpu_month.map_or_else(
            || "never (within the horizon)".to_string(),
            |m| m.to_string()
        )
    );
    let _ = writeln!(
        out,
        "  peak IT / facility    {:.1} MW / {:.1} MW (interconnect {:.1} MW)",
        s.peak_it_mw, s.peak_facility_mw, s.interconnect_mw
    );
    let _ = write!(
        out,
        "  waited on limits      {:.1} months",
        s.months_waited_on_limits
    );
    if !s.months_waited_by_limit.is_empty() {
        let parts: Vec<String> = s
            .months_waited_by_limit
            .iter()
            .map(|(k, v)| format!("{k} {v:.1}"))
            .collect();
        let _ = write!(out, " ({})", parts.join(", "));
    }
    out.push('\n');
    for u in &s.unfinished_steps {
        let _ = writeln!(out, "  ! step {} did not finish: {}", u.step, u.reason);
    }
    if let Some(f) = &s.flexibility {
        let _ = writeln!(
            out,
            "  flexibility revenue   {} (DR credits {} + coincident-peak charges avoided {}); \
             peak charges paid {}, SLA credits {}",
            usd(f.flexibility_revenue_usd),
            usd(f.dr_credits_usd),
            usd(f.peak_charges_avoided_usd),
            usd(f.peak_charges_paid_usd),
            usd(f.sla_credits_usd)
        );
        // The one figure `compare` sets against a keep-mining baseline.
        let _ = writeln!(
            out,
            "  flexibility value     {} net (revenue − peak charges paid − SLA credits)",
            usd(f.net_value_usd())
        );
    }
    if let (Some(f), Ok(start)) = (&result.finance, YearMonth::parse(&s.start_month)) {
        let _ = writeln!(out, "{}", super::finance::summary_text(&f.summary, start));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{count, mw_fmt, share_text, usd, usd_fmt};

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(10_000), "10,000");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn usd_uses_magnitude_suffixes() {
        assert_eq!(usd(1_234_567.0), "$1.2M");
        assert_eq!(usd(-350_000.0), "-$350k");
        assert_eq!(usd(3.5e9), "$3.50B");
        assert_eq!(usd(12.0), "$12");
    }

    #[test]
    fn shares_never_round_to_a_false_zero_or_hundred() {
        assert_eq!(share_text(1, 10_000), "<1%");
        assert_eq!(share_text(9_999, 10_000), ">99%");
        assert_eq!(share_text(0, 10), "0%");
        assert_eq!(share_text(10, 10), "100%");
        assert_eq!(share_text(1, 4), "25%");
        assert_eq!(share_text(0, 0), "–");
    }

    #[test]
    fn axis_labels_are_short() {
        assert_eq!(usd_fmt(&0.3), "$0");
        assert_eq!(usd_fmt(&-2.5e6), "-$2.5M");
        assert_eq!(mw_fmt(&2.5), "2.5");
        assert_eq!(mw_fmt(&12.4), "12");
        assert_eq!(mw_fmt(&40.0), "40");
    }
}
