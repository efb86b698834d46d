//! Monte Carlo what-ifs: many seeded runs of one world, run concurrently, summarised as
//! P10/P50/P90.
//!
//! Run `i` of a sweep with seed `S` is exactly `retrofit run --seed seed_for(S, i)`, so
//! any run in `runs.csv` can be replayed alone. Results stream into mergeable sketches
//! ([`Sketch`]) and a run-ordered CSV, so memory stays flat in the number of runs, and
//! the outputs do not depend on `--jobs`, on the order runs finish, or on how the sweep
//! was split into shards.

pub mod reliability;

mod error;
mod exec;
mod merge;

pub use error::SweepError;
pub use exec::{execute, sweep_to_dir};
pub use merge::merge_dirs;

use crate::calendar::YearMonth;
use crate::engine::RunResult;
use crate::finance::stats::{FinanceStats, FinanceSweepSummary};
use crate::ledger::Payback;
use crate::output::{Staging, names};
use crate::scenario::Scenario;
pub use crate::sketch::Sketch;
use serde::{Deserialize, Serialize};

/// A sweep result, or why there is none.
pub type Result<T, E = SweepError> = std::result::Result<T, E>;

pub use crate::output::fingerprint;

/// SplitMix64 finaliser: a bijective mix of 64 bits.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of run `i` of a sweep seeded with `seed`: independent streams for every
/// (seed, run) pair, the same whichever worker runs it.
pub fn seed_for(seed: u64, i: u64) -> u64 {
    splitmix64(splitmix64(seed) ^ splitmix64(i.wrapping_add(0x5EED)))
}

/// Which runs this process does: those with index ≡ `index` (mod `count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// K in `--shard K/M`.
    pub index: u64,
    /// M in `--shard K/M`.
    pub count: u64,
}

impl Shard {
    /// Parses `K/M` with `0 <= K < M`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |reason: &'static str| SweepError::BadShard {
            text: s.to_string(),
            reason,
        };
        let (k, m) = s
            .split_once('/')
            .ok_or_else(|| bad("expected K/M, e.g. 0/4"))?;
        let index: u64 = k.trim().parse().map_err(|_| bad("bad shard index"))?;
        let count: u64 = m.trim().parse().map_err(|_| bad("bad shard count"))?;
        if count == 0 || index >= count {
            return Err(bad("need 0 <= K < M"));
        }
        Ok(Self { index, count })
    }

    /// The whole sweep as one shard.
    pub fn all() -> Self {
        Self { index: 0, count: 1 }
    }

    /// True if run `i` belongs to this shard.
    pub fn contains(self, i: u64) -> bool {
        i % self.count == self.index
    }

    /// How many of the runs `0..total` belong to this shard, computed without counting
    /// them (a sweep of u64::MAX runs must not take time or memory up front).
    pub fn runs_in(self, total: u64) -> u64 {
        total / self.count + u64::from(self.index < total % self.count)
    }

    /// The `k`-th run index of this shard (`k < runs_in(total)`).
    pub fn nth(self, k: u64) -> u64 {
        self.index + k * self.count
    }
}

/// Settings of a sweep.
#[derive(Debug, Clone)]
pub struct SweepConfig {
    /// Total runs in the whole sweep (all shards).
    pub runs: u64,
    /// Base seed.
    pub seed: u64,
    /// Worker threads.
    pub jobs: usize,
    /// This process's share of the runs.
    pub shard: Option<Shard>,
    /// Install handlers so Ctrl-C, SIGTERM or SIGHUP stop the sweep cleanly, keeping the
    /// runs that finished (for library callers; the `retrofit` binary installs its own
    /// before staging the output and passes `false`).
    pub handle_interrupt: bool,
}

/// One line of `runs.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRecord {
    /// Run index in the sweep.
    pub run: u64,
    /// The seed that reproduces it with `retrofit run --seed`.
    pub seed: u64,
    /// NPV, USD.
    pub npv_usd: f64,
    /// Payback month, empty if none.
    pub payback_month: Option<YearMonth>,
    /// First month a GPU energised, empty if none.
    pub first_gpu_month: Option<YearMonth>,
    /// Months steps waited on limits.
    pub months_waited_on_limits: f64,
    /// Cumulative cash at the horizon, USD.
    pub final_cumulative_cash_usd: f64,
}

/// What of one run a sweep sums in floating point, which must be added in run order
/// (floating-point addition is not associative): the rest of a run goes into
/// sketches and counts ([`Aggregate::add_order_free`]), which a worker can fold itself.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct InOrder {
    /// The run's SLA credits over the horizon, USD (worlds with reliability).
    sla_credits_usd: Option<f64>,
}

impl InOrder {
    /// The in-order part of run `r`.
    pub(crate) fn of(r: &RunResult) -> Self {
        Self {
            sla_credits_usd: r
                .reliability
                .as_ref()
                .map(reliability::ReliabilityAggregate::credits_usd_of),
        }
    }
}

/// Streaming aggregate of many runs: sketches per month and of the summary figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Aggregate {
    /// The months of the horizon (written as `YYYY-MM` labels).
    #[serde(with = "month_labels")]
    pub months: Vec<YearMonth>,
    /// Cumulative cash per month, USD.
    pub cumulative_cash_usd: Vec<Sketch>,
    /// GPU IT load per month, MW.
    pub gpu_it_mw: Vec<Sketch>,
    /// Revenue (ASIC + GPU) per month, USD.
    pub revenue_usd: Vec<Sketch>,
    /// NPV, USD.
    pub npv_usd: Sketch,
    /// Months waited on limits.
    pub months_waited: Sketch,
    /// Runs paying back in month `m` (index), exact counts.
    pub payback_by_month: Vec<u64>,
    /// Runs whose cumulative cash never went below zero: nothing to pay back, so in no
    /// month of `payback_by_month` and not among the runs that never pay back. (Absent
    /// from state files written before it was counted: 0.)
    #[serde(default)]
    pub never_negative_runs: u64,
    /// Runs whose first GPU energised in month `m`, exact counts.
    pub first_gpu_by_month: Vec<u64>,
    /// Runs aggregated.
    pub runs: u64,
    /// Failure figures, for worlds with a reliability section (issue 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reliability: Option<reliability::ReliabilityAggregate>,
    /// Finance figures, for worlds with a `finance` section (absent from the state file
    /// otherwise, so other worlds' files are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finance: Option<FinanceStats>,
    /// Cumulative equity cash per month before the exit at the horizon, USD, for worlds
    /// with a `finance` section (the equity fan); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cumulative_equity_cash_usd: Option<Vec<Sketch>>,
    /// Net flexibility value of each run over the horizon, USD, for worlds that price
    /// power by the hour or have flexibility terms (absent otherwise, so other worlds'
    /// files are unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flexibility_value_usd: Option<Sketch>,
}

impl Aggregate {
    /// An empty aggregate for a scenario's months.
    pub fn new(s: &Scenario) -> Self {
        let n = s.calendar.months() as usize;
        Self {
            months: (0..n as u32).map(|m| s.calendar.label(m)).collect(),
            cumulative_cash_usd: vec![Sketch::new(); n],
            gpu_it_mw: vec![Sketch::new(); n],
            revenue_usd: vec![Sketch::new(); n],
            npv_usd: Sketch::new(),
            months_waited: Sketch::new(),
            payback_by_month: vec![0; n],
            never_negative_runs: 0,
            first_gpu_by_month: vec![0; n],
            runs: 0,
            reliability: reliability::ReliabilityAggregate::new(s),
            finance: s
                .finance
                .as_ref()
                .map(|f| FinanceStats::new(f.equity_hurdle_per_year)),
            cumulative_equity_cash_usd: s.finance.as_ref().map(|_| vec![Sketch::new(); n]),
            flexibility_value_usd: crate::ledger::hourly_pricing(s).then(Sketch::new),
        }
    }

    /// Adds one run.
    pub fn add(&mut self, r: &RunResult) {
        self.add_order_free(r);
        self.add_in_order(&InOrder::of(r));
    }

    /// Adds what of one run goes into sketches and integer counts: the same aggregate
    /// whatever the order of the runs, and whether they are added to one aggregate or
    /// to several merged afterwards ([`Aggregate::merge`]). The floating-point sums
    /// ([`InOrder`]) are left out: they must be added in run order.
    pub(crate) fn add_order_free(&mut self, r: &RunResult) {
        let rows = &r.ledger;
        Sketch::add_each(
            &mut self.cumulative_cash_usd,
            rows.iter().map(|row| row.cumulative_cash_usd),
        );
        Sketch::add_each(&mut self.gpu_it_mw, rows.iter().map(|row| row.gpu_it_mw));
        Sketch::add_each(
            &mut self.revenue_usd,
            rows.iter()
                .map(|row| row.asic_revenue_usd + row.gpu_revenue_usd),
        );
        self.npv_usd.add(r.summary.npv_usd);
        self.months_waited.add(r.summary.months_waited_on_limits);
        // A month's index is its distance from the first month: no label search.
        if let Some(i) = r.summary.payback_month.and_then(|m| self.index_of(m)) {
            self.payback_by_month[i] += 1;
        }
        if r.summary.payback == Payback::NeverNegative {
            self.never_negative_runs += 1;
        }
        if let Some(i) = r.summary.first_gpu_month.and_then(|m| self.index_of(m)) {
            self.first_gpu_by_month[i] += 1;
        }
        if let (Some(a), Some(rel)) = (&mut self.reliability, &r.reliability) {
            a.add_order_free(rel);
        }
        if let (Some(stats), Some(f)) = (self.finance.as_mut(), r.finance.as_ref()) {
            stats.add(&f.summary);
        }
        if let (Some(eq), Some(f)) = (&mut self.cumulative_equity_cash_usd, &r.finance) {
            Sketch::add_each(eq, f.cumulative_equity_cash_before_exit_usd());
        }
        if let (Some(k), Some(f)) = (&mut self.flexibility_value_usd, &r.summary.flexibility) {
            k.add(f.net_value_usd());
        }
        self.runs += 1;
    }

    /// Adds the floating-point sums of one run; called in run order, so a sum is
    /// bit for bit the same whatever `--jobs`.
    pub(crate) fn add_in_order(&mut self, part: &InOrder) {
        if let (Some(a), Some(credits)) = (&mut self.reliability, part.sla_credits_usd) {
            a.add_credits(credits);
        }
    }

    /// The index of month `m` in the horizon; `None` outside it.
    pub fn index_of(&self, m: YearMonth) -> Option<usize> {
        let first = *self.months.first()?;
        usize::try_from(m.months_since(first))
            .ok()
            .filter(|&i| i < self.months.len())
    }

    /// Adds another aggregate of the same world. Fails (leaving `self` unusable) if
    /// the months differ or a count would overflow.
    pub fn merge(&mut self, o: &Aggregate) -> std::result::Result<(), String> {
        if o.months != self.months {
            return Err("cannot merge sweeps over different months".into());
        }
        let overflow = || "run counts overflow".to_string();
        for (a, b) in [
            (&mut self.cumulative_cash_usd, &o.cumulative_cash_usd),
            (&mut self.gpu_it_mw, &o.gpu_it_mw),
            (&mut self.revenue_usd, &o.revenue_usd),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                x.merge(y).ok_or_else(overflow)?;
            }
        }
        self.npv_usd.merge(&o.npv_usd).ok_or_else(overflow)?;
        self.months_waited
            .merge(&o.months_waited)
            .ok_or_else(overflow)?;
        for (a, b) in [
            (&mut self.payback_by_month, &o.payback_by_month),
            (&mut self.first_gpu_by_month, &o.first_gpu_by_month),
        ] {
            for (x, y) in a.iter_mut().zip(b) {
                *x = x.checked_add(*y).ok_or_else(overflow)?;
            }
        }
        if let (Some(a), Some(b)) = (&mut self.reliability, &o.reliability) {
            a.merge(b)?;
        }
        match (
            &mut self.cumulative_equity_cash_usd,
            &o.cumulative_equity_cash_usd,
        ) {
            (Some(a), Some(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    x.merge(y).ok_or_else(overflow)?;
                }
            }
            (None, None) => {}
            _ => return Err("cannot merge a sweep with equity cash and one without".into()),
        }
        match (&mut self.flexibility_value_usd, &o.flexibility_value_usd) {
            (Some(a), Some(b)) => a.merge(b).ok_or_else(overflow)?,
            (None, None) => {}
            _ => {
                return Err("cannot merge a sweep with flexibility figures and one without".into());
            }
        }
        self.runs = self.runs.checked_add(o.runs).ok_or_else(overflow)?;
        self.never_negative_runs = self
            .never_negative_runs
            .checked_add(o.never_negative_runs)
            .ok_or_else(overflow)?;
        match (self.finance.as_mut(), o.finance.as_ref()) {
            (Some(a), Some(b)) => a.merge(b).ok_or_else(overflow)?,
            (None, None) => {}
            _ => return Err("cannot merge a sweep with finance figures and one without".into()),
        }
        Ok(())
    }

    /// Checks that the aggregate could have come from `runs` runs: one sketch and one
    /// histogram slot per month, every sketch holding exactly one value per run, and no
    /// more paybacks or first GPUs than runs. A damaged `sweep-state.json` fails here
    /// instead of panicking or merging into wrong percentiles.
    pub fn check(&self) -> std::result::Result<(), String> {
        let n = self.months.len();
        for (what, len) in [
            ("cumulative_cash_usd", self.cumulative_cash_usd.len()),
            ("gpu_it_mw", self.gpu_it_mw.len()),
            ("revenue_usd", self.revenue_usd.len()),
            ("payback_by_month", self.payback_by_month.len()),
            ("first_gpu_by_month", self.first_gpu_by_month.len()),
        ] {
            if len != n {
                return Err(format!("{what} has {len} entries for {n} months"));
            }
        }
        let equity = self.cumulative_equity_cash_usd.as_deref().unwrap_or(&[]);
        if self.cumulative_equity_cash_usd.is_some() && equity.len() != n {
            let len = equity.len();
            return Err(format!(
                "cumulative_equity_cash_usd has {len} entries for {n} months"
            ));
        }
        let sketches = self
            .cumulative_cash_usd
            .iter()
            .chain(&self.gpu_it_mw)
            .chain(&self.revenue_usd)
            .chain(equity)
            .chain([&self.npv_usd, &self.months_waited])
            .chain(&self.flexibility_value_usd);
        for k in sketches {
            if !k.is_consistent() || k.count() != self.runs {
                return Err(format!(
                    "a sketch holds {} values for {} runs",
                    k.count(),
                    self.runs
                ));
            }
        }
        for (what, h) in [
            ("payback_by_month", &self.payback_by_month),
            ("first_gpu_by_month", &self.first_gpu_by_month),
        ] {
            let total = h.iter().try_fold(0u64, |a, &c| a.checked_add(c));
            if total.is_none_or(|t| t > self.runs) {
                return Err(format!("{what} counts more runs than {}", self.runs));
            }
        }
        // A run pays back, never goes negative, or neither: never both.
        let paid = self.payback_by_month.iter().sum::<u64>();
        if paid
            .checked_add(self.never_negative_runs)
            .is_none_or(|t| t > self.runs)
        {
            return Err(format!(
                "payback_by_month and never_negative_runs count more runs than {}",
                self.runs
            ));
        }
        Ok(())
    }

    /// `percentiles.csv`: per month, P10/P50/P90 of cumulative cash, GPU IT MW and
    /// revenue.
    pub fn percentiles_csv(&self) -> Result<Vec<u8>> {
        // Written directly, not through `csv` and `Display`: no field can need quoting
        // (month labels and decimal numbers), and `push_f64` is `Display` byte for byte
        // at a fraction of its cost. `percentiles_csv_is_what_the_csv_writer_wrote`
        // keeps the two equal.
        let mut out = String::from(
            "month,cumulative_cash_usd_p10,cumulative_cash_usd_p50,cumulative_cash_usd_p90,\
             gpu_it_mw_p10,gpu_it_mw_p50,gpu_it_mw_p90,revenue_usd_p10,revenue_usd_p50,\
             revenue_usd_p90\n",
        );
        for (m, month) in self.months.iter().enumerate() {
            out.push_str(&month.to_string());
            for s in [
                &self.cumulative_cash_usd[m],
                &self.gpu_it_mw[m],
                &self.revenue_usd[m],
            ] {
                for q in [0.1, 0.5, 0.9] {
                    out.push(',');
                    if let Some(v) = s.quantile(q) {
                        crate::decimal::push_f64(&mut out, v);
                    }
                }
            }
            out.push('\n');
        }
        Ok(out.into_bytes())
    }

    /// The month label at quantile `q` of an exact per-month histogram of `runs` runs,
    /// those not in it beyond the horizon (`None` if the quantile falls among them).
    fn month_quantile(&self, hist: &[u64], runs: u64, q: f64) -> Option<YearMonth> {
        if runs == 0 {
            return None;
        }
        let rank = (q * (runs - 1) as f64).floor() as u64;
        let mut seen = 0;
        for (m, &c) in hist.iter().enumerate() {
            seen += c;
            if seen > rank {
                return self.months.get(m).copied();
            }
        }
        None
    }

    /// The sweep's summary figures.
    pub fn summary(
        &self,
        world: &str,
        cfg_seed: u64,
        runs_planned: u64,
        partial: bool,
    ) -> SweepSummary {
        let paid: u64 = self.payback_by_month.iter().sum();
        let q = |s: &Sketch| Percentiles {
            p10: s.quantile(0.1),
            p50: s.quantile(0.5),
            p90: s.quantile(0.9),
        };
        let mq = |h: &[u64], runs: u64| MonthPercentiles {
            p10: self.month_quantile(h, runs, 0.1),
            p50: self.month_quantile(h, runs, 0.5),
            p90: self.month_quantile(h, runs, 0.9),
        };
        let share = |n: u64| {
            if self.runs == 0 {
                0.0
            } else {
                n as f64 / self.runs as f64
            }
        };
        // Payback percentiles are over the runs that had something to pay back.
        let went_negative = self.runs.saturating_sub(self.never_negative_runs);
        SweepSummary {
            world: world.to_string(),
            seed: cfg_seed,
            runs_planned,
            runs_completed: self.runs,
            partial,
            npv_usd: q(&self.npv_usd),
            payback_month: mq(&self.payback_by_month, went_negative),
            probability_payback_within_horizon: share(paid),
            probability_cumulative_cash_never_negative: share(self.never_negative_runs),
            first_gpu_month: mq(&self.first_gpu_by_month, self.runs),
            months_waited_on_limits: q(&self.months_waited),
            final_cumulative_cash_usd: self.cumulative_cash_usd.last().map(q).unwrap_or(
                Percentiles {
                    p10: None,
                    p50: None,
                    p90: None,
                },
            ),
            reliability: self.reliability.as_ref().map(|r| r.summary()),
            finance: self.finance.as_ref().map(FinanceStats::summary),
            flexibility_value_usd: self.flexibility_value_usd.as_ref().map(q),
        }
    }
}

/// P10/P50/P90 of a figure (`None` when no run completed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Percentiles {
    /// 10th percentile.
    pub p10: Option<f64>,
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
}

/// P10/P50/P90 of a month; `None` where that share of runs never reached it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthPercentiles {
    /// 10th percentile.
    pub p10: Option<YearMonth>,
    /// Median.
    pub p50: Option<YearMonth>,
    /// 90th percentile.
    pub p90: Option<YearMonth>,
}

/// `summary.json` of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepSummary {
    /// World name.
    pub world: String,
    /// Base seed.
    pub seed: u64,
    /// Runs asked for.
    pub runs_planned: u64,
    /// Runs that finished.
    pub runs_completed: u64,
    /// True when the sweep was interrupted (or is one shard of a larger sweep).
    pub partial: bool,
    /// NPV, USD.
    pub npv_usd: Percentiles,
    /// Payback month, over the runs whose cumulative cash went negative (those that do
    /// not pay back rank beyond the horizon; never-negative runs are left out).
    pub payback_month: MonthPercentiles,
    /// Share of all runs whose cumulative cash went negative and pays back within the
    /// horizon.
    pub probability_payback_within_horizon: f64,
    /// Share of all runs whose cumulative cash never went negative (nothing to pay
    /// back). With the share above it leaves `1 − both` still negative at the horizon.
    pub probability_cumulative_cash_never_negative: f64,
    /// First GPU month.
    pub first_gpu_month: MonthPercentiles,
    /// Months waited on limits.
    pub months_waited_on_limits: Percentiles,
    /// Cumulative cash at the horizon, USD.
    pub final_cumulative_cash_usd: Percentiles,
    /// Availability, SLA credits and longest outage (worlds with a reliability section).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reliability: Option<reliability::ReliabilitySummary>,
    /// IRR bands, P(equity IRR ≥ hurdle) and P(any covenant breach), for worlds with a
    /// `finance` section.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finance: Option<FinanceSweepSummary>,
    /// Net flexibility value over the horizon (DR credits + coincident-peak charges
    /// avoided − peak charges paid − SLA credits), USD, for worlds that price power by the
    /// hour or have flexibility terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flexibility_value_usd: Option<Percentiles>,
}

/// What a shard (or whole sweep) leaves for `retrofit merge`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepState {
    /// World name.
    pub world: String,
    /// Fingerprint of the checked world (every figure, not just its name), so shards of
    /// different worlds are never merged.
    pub world_fingerprint: String,
    /// Base seed.
    pub seed: u64,
    /// Total runs of the whole sweep.
    pub runs: u64,
    /// Which shard this is.
    pub shard: Shard,
    /// True if interrupted.
    pub interrupted: bool,
    /// The aggregate.
    pub aggregate: Aggregate,
}

impl SweepState {
    /// The summary figures its folder's `summary.json` holds. It is partial when the
    /// sweep was interrupted or is one shard of several.
    pub fn summary(&self) -> SweepSummary {
        let partial = self.interrupted || self.shard.count > 1;
        self.aggregate
            .summary(&self.world, self.seed, self.runs, partial)
    }
}

/// File name of the merge state inside a sweep folder.
pub const STATE_FILE: &str = names::SWEEP_STATE;

/// `YYYY-MM` labels in files, typed months in memory.
mod month_labels {
    use crate::calendar::YearMonth;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(months: &[YearMonth], s: S) -> Result<S::Ok, S::Error> {
        months.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<YearMonth>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|l| YearMonth::parse(l).map_err(serde::de::Error::custom))
            .collect()
    }
}

/// Charts a sweep folder may carry, rendered by the caller: (file name, PNG bytes).
pub type Charts = Vec<(String, Vec<u8>)>;

/// The header of `runs.csv` (the field order of [`RunRecord`]).
const RUNS_HEADER: [&str; 7] = [
    "run",
    "seed",
    "npv_usd",
    "payback_month",
    "first_gpu_month",
    "months_waited_on_limits",
    "final_cumulative_cash_usd",
];

/// Writes a sweep folder's `percentiles.csv`, `summary.json`, merge state and `charts`
/// made from the aggregate (`runs.csv` is streamed by the caller).
fn write_outputs(
    st: &Staging,
    s_name: &str,
    state: &SweepState,
    charts: impl FnOnce(&Aggregate, &SweepSummary) -> Result<Charts>,
) -> Result<()> {
    let partial = state.interrupted || state.shard.count > 1;
    // Named after the scenario, not the state, in case a merged state's name differs.
    let summary = state
        .aggregate
        .summary(s_name, state.seed, state.runs, partial);
    st.write(names::PERCENTILES, state.aggregate.percentiles_csv()?)?;
    st.write(
        names::SUMMARY,
        serde_json::to_string_pretty(&summary)? + "\n",
    )?;
    st.write(STATE_FILE, serde_json::to_string(state)? + "\n")?;
    for (name, bytes) in charts(&state.aggregate, &summary)? {
        st.write(&name, bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_differ_per_run_and_per_base_seed() {
        let a: Vec<u64> = (0..100).map(|i| seed_for(1, i)).collect();
        let mut d = a.clone();
        d.sort_unstable();
        d.dedup();
        assert_eq!(d.len(), 100);
        assert_ne!(seed_for(1, 0), seed_for(2, 0));
    }

    #[test]
    fn shards_parse_and_partition() {
        let s = Shard::parse("1/3").unwrap();
        assert_eq!(
            (0..9).filter(|&i| s.contains(i)).collect::<Vec<_>>(),
            vec![1, 4, 7]
        );
        assert!(Shard::parse("3/3").is_err());
        assert!(Shard::parse("x").is_err());
    }

    #[test]
    fn shard_sizes_are_computed_without_counting() {
        for total in [0u64, 1, 2, 9, 10, 11, 1000] {
            for count in 1..7 {
                for index in 0..count {
                    let s = Shard { index, count };
                    let counted = (0..total).filter(|&i| s.contains(i)).count() as u64;
                    assert_eq!(s.runs_in(total), counted, "{index}/{count} of {total}");
                    let listed: Vec<u64> = (0..counted).map(|k| s.nth(k)).collect();
                    let expected: Vec<u64> = (0..total).filter(|&i| s.contains(i)).collect();
                    assert_eq!(listed, expected);
                }
            }
        }
        let s = Shard { index: 1, count: 2 };
        assert_eq!(s.runs_in(u64::MAX), u64::MAX / 2);
        assert_eq!(s.nth(s.runs_in(u64::MAX) - 1), u64::MAX - 2);
    }

    /// `percentiles.csv` as the `csv` writer and `Display` wrote it before.
    fn percentiles_csv_by_the_csv_writer(a: &Aggregate) -> Vec<u8> {
        let mut w = csv::Writer::from_writer(Vec::new());
        let mut header = vec!["month".to_string()];
        for figure in ["cumulative_cash_usd", "gpu_it_mw", "revenue_usd"] {
            for p in ["p10", "p50", "p90"] {
                header.push(format!("{figure}_{p}"));
            }
        }
        w.write_record(&header).unwrap();
        for (m, month) in a.months.iter().enumerate() {
            let mut rec = vec![month.to_string()];
            for s in [
                &a.cumulative_cash_usd[m],
                &a.gpu_it_mw[m],
                &a.revenue_usd[m],
            ] {
                for q in [0.1, 0.5, 0.9] {
                    rec.push(s.quantile(q).map(|v| v.to_string()).unwrap_or_default());
                }
            }
            w.write_record(&rec).unwrap();
        }
        w.into_inner().unwrap()
    }

    #[test]
    fn percentiles_csv_is_what_the_csv_writer_wrote() {
        let s = crate::load("worlds/teaching.ron").unwrap();
        let mut a = Aggregate::new(&s);
        // Negative, zero, tiny, huge and fractional figures; some months left empty
        // (empty fields) and the GPU load zero until it is not.
        let mut x = 0.618_033_988_749_895_f64;
        for run in 0..200 {
            for m in 0..a.months.len() {
                x = (x * 997.0 + 0.123_456_789).fract();
                if m % 17 == 5 {
                    continue;
                }
                let cash = (x - 0.4) * 10f64.powi((m % 12) as i32);
                a.cumulative_cash_usd[m].add(cash);
                a.gpu_it_mw[m].add(if m < 30 { 0.0 } else { x * 38.8 });
                a.revenue_usd[m].add(x * 1e6 + f64::from(run));
            }
        }
        let text = a.percentiles_csv().unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            String::from_utf8(percentiles_csv_by_the_csv_writer(&a)).unwrap()
        );
    }
}
