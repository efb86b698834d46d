//! The `sensitivity` output folder, and merging the folders of its shards.
//!
//! A whole run writes `sensitivity.csv`, `thresholds.csv`, `sobol.csv`, `tornado.png`,
//! `sobol.png` (or their SVGs, or no charts, as `--charts` asks) and
//! `sensitivity-state.json`; a shard writes only its state, and `merge`
//! of all shards writes the same files as the whole run, byte for byte.

use super::parts::{self, Part};
use super::{JobResult, Metric, Report, Settings, SobolOutcome, Study, chart};
use crate::output::{OutputError, Staging, names};
use crate::report::ChartOptions;
use crate::sweep::Shard;
use std::fmt;
use std::path::{Path, PathBuf};

/// Why a sensitivity or optimize folder could not be made.
#[derive(Debug)]
pub enum DecideError {
    /// The world, the settings or the parts given cannot be used.
    Input(String),
    /// The folder could not be written.
    Output(OutputError),
    /// A chart or a CSV could not be drawn or encoded.
    Report(String),
}

impl fmt::Display for DecideError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DecideError::Input(m) | DecideError::Report(m) => f.write_str(m),
            DecideError::Output(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DecideError {}

impl From<OutputError> for DecideError {
    fn from(e: OutputError) -> Self {
        DecideError::Output(e)
    }
}

pub(crate) fn report_error(e: impl fmt::Display) -> DecideError {
    DecideError::Report(e.to_string())
}

/// The state of a finished run (or shard) of `study`.
pub fn part(
    study: &Study,
    text: &str,
    origin: &str,
    settings: &Settings,
    metric: Metric,
    shard: Option<Shard>,
    results: Vec<(usize, JobResult)>,
) -> Part<JobResult> {
    Part {
        kind: "sensitivity".into(),
        origin: origin.to_string(),
        world_text: text.to_string(),
        settings: settings.record(metric),
        shard: shard.unwrap_or(Shard { index: 0, count: 1 }),
        total: study.jobs().len(),
        results,
    }
}

/// Writes the folder of `part` into `out`, replacing it atomically. For a whole run
/// (every job present) the report is written too and returned.
pub fn write_dir(
    out: &Path,
    study: &Study,
    part: &Part<JobResult>,
    charts: &ChartOptions,
) -> Result<(PathBuf, Option<Report>), DecideError> {
    let state = serde_json::to_string(part).map_err(report_error)? + "\n";
    let fingerprint = world_fingerprint(&part.world_text);
    let st = Staging::new(out)?.for_world(fingerprint);
    st.write(names::SENSITIVITY_STATE, state)?;
    if part.shard.count > 1 {
        return Ok((st.commit()?, None));
    }
    let (_, metric) = Settings::from_record(&part.settings).map_err(DecideError::Input)?;
    let results: Vec<JobResult> = part.results.iter().map(|(_, r)| r.clone()).collect();
    let report = study.report(&results, metric).map_err(DecideError::Input)?;
    let csv = |f: &dyn Fn(&mut Vec<u8>) -> csv::Result<()>| {
        let mut b = Vec::new();
        f(&mut b).map(|()| b).map_err(report_error)
    };
    st.write(
        names::SENSITIVITY_CSV,
        csv(&|b| report.write_sensitivity_csv(b))?,
    )?;
    st.write(
        names::THRESHOLDS_CSV,
        csv(&|b| report.write_thresholds_csv(b))?,
    )?;
    st.write(names::SOBOL_CSV, csv(&|b| report.write_sobol_csv(b))?)?;
    let world = &study.world_name();
    let tornado = chart::tornado(&report.tornado, metric);
    let mut files = crate::report::tornado_charts(&tornado, world, charts).map_err(report_error)?;
    if let (SobolOutcome::Indices(ix), Some(d)) = (&report.sobol, study.design) {
        let data = chart::sobol(ix, metric);
        files.extend(
            crate::report::sobol_charts(&data, world, d.samples, charts).map_err(report_error)?,
        );
    }
    for (name, bytes) in files {
        st.write(&name, bytes)?;
    }
    Ok((st.commit()?, Some(report)))
}

/// The `name` of a world's site, read from its text (for chart subtitles).
pub(crate) fn site_name(text: &str) -> String {
    crate::world::parse(text, "world")
        .map(|w| w.site.name)
        .unwrap_or_else(|_| "world".into())
}

/// An FNV-1a fingerprint of a world's text, for the output folder's manifest.
pub(crate) fn world_fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Reads the state files of `dirs` (each checked against its manifest first).
pub(crate) fn read_parts<T: serde::de::DeserializeOwned>(
    dirs: &[PathBuf],
    state_file: &str,
) -> Result<Vec<(String, Part<T>)>, DecideError> {
    dirs.iter()
        .map(|d| {
            crate::output::verify(d)?;
            let path = d.join(state_file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| DecideError::Input(format!("{}: {e}", path.display())))?;
            let p: Part<T> = serde_json::from_str(&text).map_err(|e| {
                DecideError::Input(format!(
                    "{}: not a state file retrofit wrote: {e}",
                    path.display()
                ))
            })?;
            Ok((d.display().to_string(), p))
        })
        .collect()
}

/// Merges the folders of a sharded `sensitivity` into `out`: the same files an
/// unsharded run writes.
pub fn merge_dirs(
    dirs: &[PathBuf],
    out: &Path,
    charts: &ChartOptions,
) -> Result<(PathBuf, Study, Report), DecideError> {
    let merged = parts::merge(read_parts::<JobResult>(dirs, names::SENSITIVITY_STATE)?)
        .map_err(DecideError::Input)?;
    let (settings, _) = Settings::from_record(&merged.settings).map_err(DecideError::Input)?;
    let study = Study::from_text(&merged.world_text, &merged.origin, &settings)
        .map_err(|e| DecideError::Input(e.to_string()))?;
    let (dir, report) = write_dir(out, &study, &merged, charts)?;
    let report = report.ok_or_else(|| DecideError::Input("merge left shards".into()))?;
    Ok((dir, study, report))
}

/// True when `dir` holds a sensitivity run or shard.
pub fn is_sensitivity_dir(dir: &Path) -> bool {
    dir.join(names::SENSITIVITY_STATE).is_file()
}
