//! Which inputs matter: one-at-a-time sensitivity (a tornado), thresholds at which the
//! decision changes, and Sobol' global sensitivity indices over the world's
//! distributions.
//!
//! The analysis works on the *world as data*: the parsed world file becomes a value
//! tree, every number in it is an input ([`inputs`]), and each variant is written back,
//! checked and run like any world file ([`eval`]). So an input added to the world
//! schema is analysed without a change here, and a variant that breaks a check rule is
//! reported with that rule rather than dropped.
//!
//! Work is cut into independent jobs ([`Job`]): one per input for the tornado, one per
//! input for its thresholds, one per row of the Sobol' design. Each job is a pure
//! function of the world and the settings, results are kept in job order, and every
//! sum runs in that order, so the outputs are the same bit for bit for any `--jobs`
//! and for any split into shards (`--shard K/M`: the jobs with index ≡ K mod M).
//! Every run is the plain median run; only the Sobol' design samples, from a seeded
//! scrambled sequence.

pub mod chart;
pub mod eval;
pub mod folder;
pub mod inputs;
pub mod metric;
pub mod oat;
pub mod parts;
pub mod sobol;
pub mod threshold;

pub use eval::{Evaluation, Outcome, evaluate, par_map};
pub use folder::DecideError;
pub use inputs::{Input, InputKind};
pub use metric::{Metric, MetricValues};
pub use oat::{OatPair, Range, Ranges, TornadoRow};
pub use sobol::{Design, Indices};
pub use threshold::Crossing;

use crate::world::WorldFile;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::io::Write;

/// Reads a world file's text, with the same limits and messages as loading it (a
/// folder, a huge file or a file that is not UTF-8 is refused).
pub fn read_text(path: &std::path::Path) -> Result<String, crate::LoadError> {
    crate::world::read_text(path)
}

/// Settings of a sensitivity study.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Declared one-at-a-time ranges by input label; also bound the threshold search.
    pub ranges: Ranges,
    /// Half-width of the default one-at-a-time range, as a fraction of the base.
    pub fraction: f64,
    /// Rows `N` of the Sobol' design (0 skips global sensitivity).
    pub samples: usize,
    /// Seed of the Sobol' sequence's scrambling.
    pub seed: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ranges: Ranges::new(),
            fraction: oat::DEFAULT_FRACTION,
            samples: 1024,
            seed: 0,
        }
    }
}

impl Settings {
    /// The settings and the metric as a JSON value that compares exactly (numbers by
    /// their bits), for state files.
    pub fn record(&self, metric: Metric) -> Value {
        let ranges: Vec<(String, u64, u64)> = self
            .ranges
            .iter()
            .map(|(k, &(lo, hi))| (k.clone(), lo.to_bits(), hi.to_bits()))
            .collect();
        serde_json::json!({
            "metric": metric.name(),
            "ranges": ranges,
            "fraction_bits": self.fraction.to_bits(),
            "samples": self.samples,
            "seed": self.seed,
        })
    }

    /// Reads [`Settings::record`] back.
    pub fn from_record(v: &Value) -> Result<(Self, Metric), String> {
        #[derive(Deserialize)]
        struct Record {
            metric: String,
            ranges: Vec<(String, u64, u64)>,
            fraction_bits: u64,
            samples: usize,
            seed: u64,
        }
        let r: Record = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        Ok((
            Self {
                ranges: r
                    .ranges
                    .into_iter()
                    .map(|(k, lo, hi)| (k, (f64::from_bits(lo), f64::from_bits(hi))))
                    .collect(),
                fraction: f64::from_bits(r.fraction_bits),
                samples: r.samples,
                seed: r.seed,
            },
            Metric::parse(&r.metric)?,
        ))
    }
}

/// Why a study cannot be set up.
#[derive(Debug, Clone, PartialEq)]
pub enum StudyError {
    /// The world as given does not run.
    Base(String),
    /// A declared range names no input, or is reversed.
    Range(String),
    /// The Sobol' design cannot be built.
    Design(String),
}

impl std::fmt::Display for StudyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StudyError::Base(m) => write!(f, "the world itself does not run: {m}"),
            StudyError::Range(m) | StudyError::Design(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StudyError {}

/// One unit of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The low and high runs of input `i`.
    Oat(usize),
    /// The threshold search of input `i`.
    Threshold(usize),
    /// Row `j` of the Sobol' design.
    SobolRow(usize),
}

/// The result of one [`Job`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum JobResult {
    /// Low and high runs.
    /// (Boxed: two whole outcomes, far larger than the other variants.)
    Oat(Box<OatPair>),
    /// Decision changes found below and above the base.
    Threshold(Vec<Crossing>),
    /// Every metric at each of the row's `d + 2` points, or why a point did not run.
    SobolRow(Result<Vec<MetricValues>, String>),
}

/// A world prepared for analysis.
#[derive(Debug, Clone)]
pub struct Study {
    /// The world as a value tree.
    pub tree: Value,
    /// Every numeric input.
    pub inputs: Vec<Input>,
    /// The one-at-a-time range of each input.
    pub ranges: Vec<Range>,
    /// The threshold search range of each input.
    pub search: Vec<(f64, f64)>,
    /// The base run.
    pub base: Outcome,
    /// Indices into `inputs` of the distributions (the Sobol' inputs).
    pub distributions: Vec<usize>,
    /// The Sobol' design, if sampling was asked for.
    pub design: Option<Design>,
}

impl Study {
    /// Prepares a world given as text (`origin` names it in messages).
    pub fn from_text(text: &str, origin: &str, settings: &Settings) -> Result<Self, StudyError> {
        let world =
            crate::world::parse(text, origin).map_err(|e| StudyError::Base(e.to_string()))?;
        Self::new(&world, settings)
    }

    /// Prepares `world`: enumerates its inputs, runs the base case, and builds the
    /// Sobol' design.
    pub fn new(world: &WorldFile, settings: &Settings) -> Result<Self, StudyError> {
        let tree = serde_json::to_value(world).map_err(|e| StudyError::Base(e.to_string()))?;
        let base = match evaluate(&tree) {
            Evaluation::Ran(o) => o,
            other => return Err(StudyError::Base(other.why_not())),
        };
        let inputs = inputs::enumerate(&tree);
        for (label, &(lo, hi)) in &settings.ranges {
            if !inputs.iter().any(|i| &i.label == label) {
                return Err(StudyError::Range(unknown_input(label, &inputs)));
            }
            if lo.is_nan() || hi.is_nan() || lo > hi {
                return Err(StudyError::Range(format!(
                    "range for {label}: low ({lo}) must not exceed high ({hi})"
                )));
            }
        }
        let ranges = inputs
            .iter()
            .map(|i| oat::range(i, &settings.ranges, settings.fraction))
            .collect();
        let search = inputs
            .iter()
            .map(|i| threshold::search_range(i, settings.ranges.get(&i.label).copied()))
            .collect();
        let distributions: Vec<usize> = (0..inputs.len())
            .filter(|&i| matches!(inputs[i].kind, InputKind::Quantity(_)))
            .collect();
        // A world without distributions has nothing to decompose: Sobol' is skipped
        // (and says so) rather than refusing the whole analysis.
        let design = match settings.samples {
            _ if distributions.is_empty() => None,
            0 => None,
            n => Some(
                Design::new(n, distributions.len(), settings.seed).map_err(StudyError::Design)?,
            ),
        };
        Ok(Self {
            tree,
            inputs,
            ranges,
            search,
            base,
            distributions,
            design,
        })
    }

    /// The site's name, for chart subtitles.
    pub fn world_name(&self) -> String {
        self.tree["site"]["name"]
            .as_str()
            .unwrap_or("world")
            .to_string()
    }

    /// Jobs that `shard` does (all if `None`), for sizing a progress bar.
    pub fn job_count(&self, shard: Option<crate::sweep::Shard>) -> u64 {
        let n = self.jobs().len() as u64;
        match shard {
            None => n,
            Some(s) => (0..n).filter(|i| i % s.count == s.index).count() as u64,
        }
    }

    /// Every job, in the order results are kept.
    pub fn jobs(&self) -> Vec<Job> {
        let n = self.inputs.len();
        let rows = self.design.map_or(0, |d| d.samples);
        (0..n)
            .map(Job::Oat)
            .chain((0..n).map(Job::Threshold))
            .chain((0..rows).map(Job::SobolRow))
            .collect()
    }

    /// Does one job.
    pub fn run_job(&self, job: Job) -> JobResult {
        match job {
            Job::Oat(i) => {
                let (input, r) = (&self.inputs[i], self.ranges[i]);
                let run = |x: f64| evaluate(&inputs::with_value(&self.tree, input, x));
                JobResult::Oat(Box::new(OatPair {
                    low: run(r.low),
                    high: run(r.high),
                }))
            }
            Job::Threshold(i) => JobResult::Threshold(threshold::crossings(
                &self.tree,
                &self.inputs[i],
                &Evaluation::Ran(self.base.clone()),
                self.search[i],
            )),
            Job::SobolRow(j) => JobResult::SobolRow(self.sobol_row(j)),
        }
    }

    fn sobol_row(&self, j: usize) -> Result<Vec<MetricValues>, String> {
        let Some(design) = self.design else {
            return Err("no Sobol' design".into());
        };
        design
            .row(j)
            .iter()
            .map(|u| {
                let values: Vec<(&Input, f64)> = self
                    .distributions
                    .iter()
                    .zip(u)
                    .map(|(&i, &ui)| {
                        let input = &self.inputs[i];
                        let InputKind::Quantity(d) = input.kind else {
                            return (input, input.base);
                        };
                        (input, d.quantile(ui))
                    })
                    .collect();
                match evaluate(&inputs::with_values(&self.tree, &values)) {
                    Evaluation::Ran(o) => Ok(MetricValues::of(&o)),
                    other => Err(format!("Sobol' sample {j}: {}", other.why_not())),
                }
            })
            .collect()
    }

    /// Runs the jobs of `shard` (all jobs if `None`) on `threads` threads, returning
    /// `(job index, result)` in job order. `progress` is called once per finished job.
    pub fn run(
        &self,
        shard: Option<crate::sweep::Shard>,
        threads: usize,
        progress: &(dyn Fn() + Sync),
    ) -> Vec<(usize, JobResult)> {
        let jobs = self.jobs();
        let mine: Vec<usize> = (0..jobs.len())
            .filter(|&i| shard.is_none_or(|s| i as u64 % s.count == s.index))
            .collect();
        let results = par_map(
            mine.len(),
            threads,
            |k| self.run_job(jobs[mine[k]]),
            progress,
        );
        mine.into_iter().zip(results).collect()
    }

    /// Refuses a metric the base run does not have: a finance metric of a world without
    /// a `finance` section, an equity IRR that is none or ambiguous, a minimum DSCR
    /// without amortising debt.
    pub fn check_metric(&self, metric: Metric) -> Result<(), String> {
        if !metric.value(&self.base).is_nan() {
            return Ok(());
        }
        Err(format!(
            "--metric {} is undefined for this world's base run ({}): choose another metric",
            metric.name(),
            if self.base.finance.is_none() {
                "it has no finance section"
            } else {
                "no single equity IRR, or no amortising debt"
            }
        ))
    }

    /// Analyses the results of every job (in job order) for `metric`.
    pub fn report(&self, results: &[JobResult], metric: Metric) -> Result<Report, String> {
        let n = self.inputs.len();
        if results.len() != self.jobs().len() {
            return Err(format!(
                "expected {} job results, got {}",
                self.jobs().len(),
                results.len()
            ));
        }
        let pairs: Vec<OatPair> = results[..n]
            .iter()
            .map(|r| match r {
                JobResult::Oat(p) => Ok(OatPair::clone(p)),
                _ => Err("job results out of order".to_string()),
            })
            .collect::<Result<_, _>>()?;
        let mut thresholds = Vec::new();
        for (i, r) in results[n..2 * n].iter().enumerate() {
            let JobResult::Threshold(cs) = r else {
                return Err("job results out of order".into());
            };
            thresholds.extend(cs.iter().map(|c| (self.inputs[i].label.clone(), c.clone())));
        }
        self.check_metric(metric)?;
        let sobol = self.sobol_report(&results[2 * n..], metric)?;
        Ok(Report {
            metric,
            tornado: oat::tornado(&self.inputs, &self.ranges, &pairs, &self.base, metric),
            thresholds,
            sobol,
        })
    }

    fn sobol_report(&self, rows: &[JobResult], metric: Metric) -> Result<SobolOutcome, String> {
        if self.design.is_none() {
            return Ok(SobolOutcome::NotRun);
        }
        let mut ys = Vec::with_capacity(rows.len());
        for r in rows {
            match r {
                JobResult::SobolRow(Ok(points)) => {
                    let y: Vec<f64> = points.iter().map(|p| p.get(metric)).collect();
                    // The estimator needs every point of a row; an undefined one stops it.
                    if y.iter().any(|v| v.is_nan()) {
                        return Ok(SobolOutcome::Failed(format!(
                            "{} is undefined in a sampled world",
                            metric.name()
                        )));
                    }
                    ys.push(y)
                }
                JobResult::SobolRow(Err(e)) => return Ok(SobolOutcome::Failed(e.clone())),
                _ => return Err("job results out of order".into()),
            }
        }
        Ok(match sobol::estimate(&ys) {
            Some(ix) => SobolOutcome::Indices(
                self.distributions
                    .iter()
                    .map(|&i| self.inputs[i].label.clone())
                    .zip(ix)
                    .collect(),
            ),
            None => SobolOutcome::NoVariance,
        })
    }
}

fn unknown_input(label: &str, inputs: &[Input]) -> String {
    let near = inputs
        .iter()
        .map(|i| (strsim::damerau_levenshtein(label, &i.label), &i.label))
        .min_by_key(|&(d, _)| d);
    match near {
        Some((d, l)) if d <= 3.max(label.len() / 4) => {
            format!(
                "--range names `{label}`, which is not an input of this world (did you mean `{l}`?)"
            )
        }
        _ => format!("--range names `{label}`, which is not an input of this world"),
    }
}

/// What global sensitivity found.
#[derive(Debug, Clone, PartialEq)]
pub enum SobolOutcome {
    /// Not asked for (0 samples).
    NotRun,
    /// Indices by input label.
    Indices(Vec<(String, Indices)>),
    /// The metric does not vary over the distributions: indices are undefined.
    NoVariance,
    /// A sampled world did not run.
    Failed(String),
}

/// Everything a study found, for one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The metric of the tornado and of the Sobol' indices.
    pub metric: Metric,
    /// One-at-a-time rows, largest swing first.
    pub tornado: Vec<TornadoRow>,
    /// Decision changes by input label.
    pub thresholds: Vec<(String, Crossing)>,
    /// Global sensitivity.
    pub sobol: SobolOutcome,
}

impl Report {
    /// Writes `sensitivity.csv`.
    pub fn write_sensitivity_csv(&self, w: impl Write) -> csv::Result<()> {
        oat::write_csv(&self.tornado, self.metric, w)
    }

    /// Writes `thresholds.csv`: one row per decision change found.
    pub fn write_thresholds_csv(&self, w: impl Write) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record([
            "input",
            "kind",
            "direction",
            "last_same",
            "first_changed",
            "change",
            "detail",
        ])?;
        for (label, c) in &self.thresholds {
            out.write_record([
                label.as_str(),
                if c.is_validity_limit() {
                    "validity"
                } else {
                    "decision"
                },
                if c.upward { "above" } else { "below" },
                &c.last_same.to_string(),
                &c.first_changed.to_string(),
                &c.change.join("; "),
                &c.detail,
            ])?;
        }
        out.flush()?;
        Ok(())
    }

    /// The printed summary: the largest swings, every decision threshold, the inputs
    /// whose validity limits lie within the search range, and the Sobol' indices.
    pub fn text(&self, top: usize) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let m = self.metric;
        let _ = writeln!(out, "Largest swings in {} (one at a time):", m.title());
        for r in self.tornado.iter().take(top).filter(|r| r.swing > 0.0) {
            let _ = writeln!(
                out,
                "  {:<48} {} … {}  swing {}",
                r.input,
                threshold::significant(r.range.low, 4),
                threshold::significant(r.range.high, 4),
                threshold::significant(r.swing, 4)
            );
        }
        let (validity, decision): (Vec<_>, Vec<_>) = self
            .thresholds
            .iter()
            .partition(|(_, c)| c.is_validity_limit());
        let _ = writeln!(out, "Thresholds (the decision changes):");
        if decision.is_empty() {
            let _ = writeln!(out, "  none within the search ranges");
        }
        for (l, c) in &decision {
            let _ = writeln!(out, "  {}", threshold::describe(l, c));
        }
        let _ = writeln!(
            out,
            "Validity limits within the search ranges: {} (thresholds.csv)",
            validity.len()
        );
        match &self.sobol {
            SobolOutcome::NotRun => {
                let _ = writeln!(
                    out,
                    "Sobol' indices: not computed (--samples 0, or the world has no distributions)"
                );
            }
            SobolOutcome::NoVariance => {
                let _ = writeln!(
                    out,
                    "Sobol' indices: undefined ({} does not vary)",
                    m.name()
                );
            }
            SobolOutcome::Failed(e) => {
                let _ = writeln!(out, "Sobol' indices: not computed: {e}");
            }
            SobolOutcome::Indices(_) => {}
        }
        if let SobolOutcome::Indices(ix) = &self.sobol {
            let _ = writeln!(out, "Sobol' indices of {} (first order, total):", m.name());
            let mut ix: Vec<_> = ix.iter().collect();
            ix.sort_by(|a, b| b.1.total.total_cmp(&a.1.total));
            for (l, i) in ix.iter().take(top) {
                let _ = writeln!(out, "  {l:<48} {:>7.3} {:>7.3}", i.first, i.total);
            }
        }
        out
    }

    /// Writes `sobol.csv`, largest total index first; empty of rows (with the reason
    /// in a comment-free `note` column) when the indices are undefined.
    pub fn write_sobol_csv(&self, w: impl Write) -> csv::Result<()> {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["input", "metric", "first_order", "total", "note"])?;
        let m = self.metric.name();
        match &self.sobol {
            SobolOutcome::Indices(ix) => {
                let mut rows: Vec<&(String, Indices)> = ix.iter().collect();
                rows.sort_by(|a, b| b.1.total.total_cmp(&a.1.total));
                for (label, i) in rows {
                    out.write_record([label, m, &i.first.to_string(), &i.total.to_string(), ""])?;
                }
            }
            SobolOutcome::NotRun => {}
            SobolOutcome::NoVariance => out.write_record([
                "",
                m,
                "",
                "",
                "the metric does not vary over the distributions: indices undefined",
            ])?,
            SobolOutcome::Failed(e) => out.write_record(["", m, "", "", e.as_str()])?,
        }
        out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_range_labels_suggest_the_nearest_input() {
        let inputs = vec![Input {
            path: vec![],
            label: "cooling_loops[DLC-2].pue".into(),
            kind: InputKind::Float,
            base: 1.3,
        }];
        let m = unknown_input("cooling_loops[DLC2].pue", &inputs);
        assert!(m.contains("did you mean `cooling_loops[DLC-2].pue`"), "{m}");
    }
}
