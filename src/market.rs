//! Market paths: BTC price, network hashrate, electricity and GPU rental prices, one
//! value per simulated month.
//!
//! A path is fixed before the run starts, so the engine only reads it. The *median*
//! path is what a plain `retrofit run` uses; a seeded run draws a sample path. Each
//! stochastic series is a log-normal random walk whose median equals the deterministic
//! path, so sampled runs scatter around the plain run.

use crate::network::{NetworkModel, Subsidy, SupplyInputs};
use crate::scenario::MarketSpec;
use crate::scenario::PricePath;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// One realised set of monthly market series.
#[derive(Debug, Clone, PartialEq)]
pub struct MarketPath {
    /// BTC price in USD, per month.
    pub btc_price_usd: Vec<f64>,
    /// Network hashrate in GH/s, per month.
    pub network_hashrate_gh_s: Vec<f64>,
    /// Electricity in USD/MWh, per month.
    pub electricity_usd_per_mwh: Vec<f64>,
    /// GPU rental price in USD per GPU-hour, per month (zeros without a rental market).
    pub rental_usd_per_gpu_hour: Vec<f64>,
}

/// Years per month, the step of every monthly walk.
const DT_YEARS: f64 = 1.0 / 12.0;

impl MarketPath {
    /// This run's network path under `model`: an exogenous model keeps the path already
    /// here (median or sampled, so existing runs stay bit for bit the same); a supply
    /// model replaces it with the fleet's answer to the run's own BTC price path, subsidy
    /// schedule and fees.
    pub fn apply_network(
        &mut self,
        model: &NetworkModel,
        spec: &MarketSpec,
        calendar: &crate::calendar::Calendar,
    ) {
        if let NetworkModel::Supply(_) = model {
            let months = self.btc_price_usd.len();
            let subsidy =
                Subsidy::from_calendar(spec.block_subsidy_btc, &spec.halving_days, calendar);
            let fees = [spec.fees_btc_per_block];
            let inputs = SupplyInputs {
                start_hashrate_gh_s: spec.network_hashrate_gh_s,
                btc_price_usd: &self.btc_price_usd,
                fees_btc_per_block: &fees,
                subsidy: &subsidy,
            };
            self.network_hashrate_gh_s = model.path(&inputs, months).hashrate_gh_s;
        }
    }

    /// The median path over `months` months.
    pub fn median(spec: &MarketSpec, months: u32) -> Self {
        Self::build(spec, months, &mut |_| 0.0)
    }

    /// A sampled path; draws `3 × months` standard normals from `rng`, in a fixed order.
    pub fn sample<R: Rng + ?Sized>(spec: &MarketSpec, months: u32, rng: &mut R) -> Self {
        Self::build(spec, months, &mut |_| StandardNormal.sample(rng))
    }

    fn build(spec: &MarketSpec, months: u32, z: &mut dyn FnMut(u32) -> f64) -> Self {
        let n = months as usize;
        let btc_price_usd = match &spec.btc_price_usd {
            PricePath::Constant(p) => vec![*p; n],
            PricePath::Monthly(v) => v.iter().copied().take(n).collect(),
            PricePath::Gbm {
                start,
                drift_per_year,
                volatility_per_year: sigma,
            } => {
                let mu = (drift_per_year - 0.5 * sigma * sigma) * DT_YEARS;
                walk(*start, n, |m| mu + sigma * DT_YEARS.sqrt() * z(m))
            }
        };
        let g = (1.0 + spec.network_growth_per_year).ln() * DT_YEARS;
        let s = spec.network_growth_volatility_per_year * DT_YEARS.sqrt();
        let network_hashrate_gh_s = walk(spec.network_hashrate_gh_s, n, |m| g + s * z(m));
        let rental_usd_per_gpu_hour = match &spec.gpu_rental {
            Some(r) => {
                let d = (1.0 - r.decline_per_year).ln() * DT_YEARS;
                let s = r.volatility_per_year * DT_YEARS.sqrt();
                walk(r.usd_per_gpu_hour, n, |m| d + s * z(m))
            }
            None => vec![0.0; n],
        };
        Self {
            btc_price_usd,
            network_hashrate_gh_s,
            electricity_usd_per_mwh: spec.electricity_usd_per_mwh.clone(),
            rental_usd_per_gpu_hour,
        }
    }
}

/// `x0` in month 0, then multiplied by `exp(step(m))` each month. The step closure is
/// called once per month (so a sampler draws exactly one normal per month).
fn walk(x0: f64, n: usize, mut step: impl FnMut(u32) -> f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(n);
    let mut log_growth = 0.0;
    for m in 0..n as u32 {
        if m > 0 {
            log_growth += step(m);
        }
        // Multiplying x0 (rather than exponentiating its log) keeps flat paths exact.
        out.push(if log_growth == 0.0 {
            x0
        } else {
            x0 * log_growth.exp()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn spec() -> MarketSpec {
        MarketSpec {
            btc_price_usd: PricePath::Gbm {
                start: 90_000.0,
                drift_per_year: 0.2,
                volatility_per_year: 0.6,
            },
            network_hashrate_gh_s: 1.1e12,
            network_growth_per_year: 0.4,
            network_growth_volatility_per_year: 0.1,
            block_subsidy_btc: 3.125,
            halving_days: vec![],
            fees_btc_per_block: 0.03,
            gpu_lease: None,
            gpu_rental: None,
            electricity_usd_per_mwh: vec![40.0; 24],
        }
    }

    #[test]
    fn median_path_compounds_growth_exactly_once_a_year() {
        let p = MarketPath::median(&spec(), 25);
        let ratio = p.network_hashrate_gh_s[12] / p.network_hashrate_gh_s[0];
        assert!((ratio - 1.4).abs() < 1e-12, "{ratio}");
        // GBM median: exp((mu - sigma^2/2) t)
        let expect = 90_000.0 * ((0.2 - 0.18) * 2.0_f64).exp();
        assert!((p.btc_price_usd[24] - expect).abs() < 1e-6);
    }

    #[test]
    fn sampled_paths_centre_on_the_median_path() {
        let s = spec();
        let median = MarketPath::median(&s, 13).btc_price_usd[12];
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(11);
        let mut finals: Vec<f64> = (0..4001)
            .map(|_| MarketPath::sample(&s, 13, &mut rng).btc_price_usd[12])
            .collect();
        finals.sort_by(f64::total_cmp);
        let sampled = finals[2000];
        assert!(
            (sampled / median - 1.0).abs() < 0.05,
            "{sampled} vs {median}"
        );
    }
}
