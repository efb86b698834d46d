//! Monthly BTC price and network hashrate, 2023-01 … 2025-12, and the supply model's
//! calibration against them.
//!
//! The data are monthly aggregates of Coin Metrics' community data (CC BY-NC 4.0), shipped
//! in `assets/data/btc-monthly-2023-2025.csv` with their source and aggregation method
//! (assets/data/README.md).

use super::{Cohort, NetworkModel, NetworkPath, Subsidy, SupplyInputs, SupplyParams};

/// The shipped monthly file.
pub const MONTHLY_CSV: &str = include_str!("../../assets/data/btc-monthly-2023-2025.csv");

/// The fourth halving (block 840,000, 2024-04-20 00:09 UTC) as a month index from
/// 2023-01: 19 of April's 30 days had passed.
pub const HALVING_2024_MONTH: f64 = 15.0 + 19.0 / 30.0;

/// One month of history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryMonth {
    /// `YYYY-MM`.
    pub month: String,
    /// Days with data.
    pub days: u32,
    /// Mean daily BTC price, USD.
    pub btc_price_usd: f64,
    /// Mean daily network hashrate, EH/s.
    pub hashrate_eh_s: f64,
    /// Blocks found.
    pub blocks: u32,
    /// Subsidy issued, BTC.
    pub subsidy_btc: f64,
    /// Fees paid, BTC.
    pub fees_btc: f64,
}

impl HistoryMonth {
    /// Subsidy plus fees per block, BTC.
    pub fn btc_per_block(&self) -> f64 {
        (self.subsidy_btc + self.fees_btc) / f64::from(self.blocks.max(1))
    }

    /// Implied hashprice, USD per PH/s per day, with this month's actual block rate.
    pub fn hashprice_usd_per_ph_day(&self) -> f64 {
        let btc_per_day = (self.subsidy_btc + self.fees_btc) / f64::from(self.days.max(1));
        btc_per_day * self.btc_price_usd / (self.hashrate_eh_s * 1000.0)
    }
}

/// Parses the shipped file; `Err` names the line that is wrong.
pub fn monthly() -> Result<Vec<HistoryMonth>, String> {
    parse(MONTHLY_CSV)
}

/// Parses text in the format of [`MONTHLY_CSV`] (`#` lines are comments).
pub fn parse(text: &str) -> Result<Vec<HistoryMonth>, String> {
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            header_seen = true;
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let bad = |what: &str| format!("btc-monthly-2023-2025.csv:{}: {what}", i + 1);
        if f.len() != 7 {
            return Err(bad("expected 7 columns"));
        }
        let num = |k: usize| {
            f[k].parse::<f64>()
                .map_err(|_| bad("a number was expected"))
        };
        let int = |k: usize| {
            f[k].parse::<u32>()
                .map_err(|_| bad("a whole number was expected"))
        };
        out.push(HistoryMonth {
            month: f[0].to_string(),
            days: int(1)?,
            btc_price_usd: num(2)?,
            hashrate_eh_s: num(3)?,
            blocks: int(4)?,
            subsidy_btc: num(5)?,
            fees_btc: num(6)?,
        });
    }
    Ok(out)
}

/// The subsidy schedule seen from 2023-01: 6.25 BTC, halving in April 2024.
pub fn subsidy_from_2023() -> Subsidy {
    Subsidy {
        start_btc: 6.25,
        halving_months: vec![HALVING_2024_MONTH],
    }
}

/// The calibrated supply-model parameters (docs/model.md explains each and its source).
pub fn calibrated_params() -> SupplyParams {
    SupplyParams {
        // Assumption: shares of the January 2023 fleet by class (share by generation
        // "not found" in docs/domain.md). 21.5 = S19 XP, 29.5 = S19j Pro (spec sheets);
        // 34.5 (S19-class) and 45 (S17/T17-class) are assumptions.
        cohorts: vec![
            Cohort {
                efficiency_j_per_th: 21.5,
                share: 0.10,
            },
            Cohort {
                efficiency_j_per_th: 29.5,
                share: 0.45,
            },
            Cohort {
                efficiency_j_per_th: 34.5,
                share: 0.30,
            },
            Cohort {
                efficiency_j_per_th: 45.0,
                share: 0.15,
            },
        ],
        // Calibrated; inside the $30–50/MWh all-in range of docs/domain.md.
        marginal_power_usd_per_mwh: 50.0,
        // The calibration fits power and non-power cost only through their sum (they add
        // in every cash cost), so it is run with the whole $50/MWh as power, as before.
        non_power_cost_usd_per_mwh: 0.0,
        // S19 XP, the best air-cooled model on sale in early 2023.
        new_efficiency_j_per_th: 21.5,
        // Derived: S19 XP 21.5 → S21 XP 13.5 J/TH in about 2.5 years.
        efficiency_gain_per_year: 0.17,
        // Assumption: about a third of today's best (12 J/TH); it does not bind before
        // late 2030 at 17 %/yr from 21.5 J/TH in 2023.
        efficiency_floor_j_per_th: 5.0,
        // $20/TH machines (S19 XP class, CoinDesk July 2023) + $3.5/TH site build
        // ($0.2 M/MW ÷ 57.1 PH/s per MW at 17.5 J/TH).
        capex_usd_per_th: 23.5,
        // Calibrated (assumption): 30 months.
        payback_months: 30,
        // Calibrated (assumption).
        build_share_per_month: 0.3,
        // Calibrated: consistent with the 1–6 week price → hashrate response
        // (Fantazzini & Kolodin 2020).
        lag_months: 1,
    }
}

/// The model run over history and its fit.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// The months of history.
    pub history: Vec<HistoryMonth>,
    /// The modelled path.
    pub path: NetworkPath,
    /// Modelled / historical hashrate − 1, per month.
    pub relative_error: Vec<f64>,
}

impl Calibration {
    /// Largest |relative error| over the months.
    pub fn max_abs_error(&self) -> f64 {
        self.relative_error.iter().fold(0.0, |a, e| a.max(e.abs()))
    }

    /// Mean |relative error| over the months.
    pub fn mean_abs_error(&self) -> f64 {
        let n = self.relative_error.len().max(1) as f64;
        self.relative_error.iter().map(|e| e.abs()).sum::<f64>() / n
    }

    /// Index of a month, e.g. `"2024-12"`.
    pub fn index(&self, month: &str) -> Option<usize> {
        self.history.iter().position(|h| h.month == month)
    }
}

/// Runs `params` over the historical BTC price path, starting from the January 2023
/// hashrate. Fees per block are each month's actual subsidy + fees per block minus the
/// schedule's subsidy, so modelled network revenue equals the historical one.
pub fn calibrate(params: &SupplyParams) -> Result<Calibration, String> {
    let history = monthly()?;
    let first = history
        .first()
        .ok_or("btc-monthly-2023-2025.csv has no rows")?;
    let subsidy = subsidy_from_2023();
    let prices: Vec<f64> = history.iter().map(|h| h.btc_price_usd).collect();
    let fees: Vec<f64> = history
        .iter()
        .enumerate()
        .map(|(m, h)| h.btc_per_block() - subsidy.month_mean_btc(m as u32))
        .collect();
    let inputs = SupplyInputs {
        start_hashrate_gh_s: first.hashrate_eh_s * 1e9,
        btc_price_usd: &prices,
        fees_btc_per_block: &fees,
        subsidy: &subsidy,
    };
    let path = NetworkModel::Supply(params.clone()).path(&inputs, history.len());
    let relative_error = path
        .hashrate_gh_s
        .iter()
        .zip(&history)
        .map(|(model, h)| model / (h.hashrate_eh_s * 1e9) - 1.0)
        .collect();
    Ok(Calibration {
        history,
        path,
        relative_error,
    })
}
