//! The world file: a RON description of a site and its retrofit plan.
//!
//! These types mirror the file one to one (stage one of two). [`check()`] turns them into
//! a [`Scenario`], the checked form the engine runs, with ids resolved to indices and
//! units converted once. Every field carries its unit in its name.
//!
//! See `worlds/teaching.ron` for a small, fully commented example.

pub mod check;
pub mod finance;
mod locate;
pub mod reliability;

use crate::dist::Quantity;
use serde::{Deserialize, Serialize};
use std::path::Path;

pub use crate::scenario::{Contract, CoolingKind, Lease, PlantFeed, PricePath, Rental, Scenario};
pub use check::{Problem, Rule, check};

/// A whole world file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(rename = "World")]
pub struct WorldFile {
    /// The site: calendar, grid connection, energy price, fixed opex.
    pub site: Site,
    /// High-voltage substations; each transformer hangs off one.
    pub substations: Vec<Substation>,
    /// Transformers feeding racks; each is fed by one substation.
    pub transformers: Vec<Transformer>,
    /// Cooling loops; each rack is cooled by one.
    pub cooling_loops: Vec<CoolingLoop>,
    /// The catalogue of unit models (ASIC miners and GPU servers) that racks can hold.
    pub unit_models: Vec<UnitModel>,
    /// Racks, declared as groups of identical racks.
    pub racks: Vec<RackGroup>,
    /// Bitcoin and GPU markets.
    pub markets: Markets,
    /// The retrofit plan: a DAG of steps.
    #[serde(default)]
    pub plan: Vec<Step>,
    /// Failures, redundancy, backup power and SLA (issue 14); absent means none.
    #[serde(default, skip_serializing_if = "reliability::Reliability::is_empty")]
    pub reliability: reliability::Reliability,
    /// How network hashrate evolves (default: exogenous growth from `markets`).
    #[serde(default)]
    pub network: crate::network::schema::NetworkSection,
    /// An hourly shape for the site's power price (default: none, a flat monthly price).
    #[serde(default)]
    pub power_prices: Option<crate::price_shape::schema::PowerPricesSection>,
    /// Demand response, coincident-peak charges and curtailment obligations (default: none).
    #[serde(default)]
    pub flexibility: Option<crate::price_shape::schema::FlexibilitySection>,
    /// Deal, financing and tax terms (optional: without them the ledger's own cash flow
    /// is the answer).
    #[serde(default)]
    pub finance: Option<finance::FinanceSection>,
}

/// Site-wide settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// Display name, used in chart titles and summaries.
    pub name: String,
    /// First simulated month, `YYYY-MM`.
    pub start_month: String,
    /// Number of months simulated (1..=1200).
    pub horizon_months: u32,
    /// Annual discount rate for NPV, e.g. 0.10 for 10 %/yr.
    pub discount_rate_per_year: f64,
    /// Grid interconnect limit in MW: facility power (IT × PUE) may never exceed it.
    pub interconnect_mw: f64,
    /// Power factor converting transformer MVA ratings into MW of real power.
    #[serde(default = "default_power_factor")]
    pub power_factor: f64,
    /// All-in electricity price in USD per MWh.
    pub electricity_usd_per_mwh: Series,
    /// Level of the power price: every month's price is multiplied by it (default 1; a
    /// distribution makes the whole path uncertain, drawn after every other draw).
    #[serde(default = "one_quantity")]
    pub electricity_price_factor: Quantity,
    /// Fixed site opex (staff, maintenance, insurance) in USD per month.
    #[serde(default)]
    pub fixed_opex_usd_per_month: f64,
    /// Switch ASICs off while their revenue would not cover their power (default true),
    /// as operators do. They keep their share of every limit and restart when mining
    /// pays again.
    #[serde(default = "yes")]
    pub curtail_unprofitable_asics: bool,
}

fn yes() -> bool {
    true
}

fn default_power_factor() -> f64 {
    0.95
}

/// A value per month: constant, or one value per simulated month.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Series {
    /// The same value every month.
    Constant(f64),
    /// One value per month from the start month; must cover the whole horizon.
    Monthly(Vec<f64>),
}

/// How a piece of equipment comes to exist.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub enum Supply {
    /// Already on site and in service at the start.
    #[default]
    Existing,
    /// Must be ordered by an `Order` plan step and then put in service by an `Install`
    /// step. Its cost is booked as capex when the order is placed.
    ToOrder {
        /// Purchase cost in USD, booked when ordered.
        cost_usd: f64,
        /// Weeks from order to delivery (a number or a distribution).
        lead_time_weeks: Quantity,
    },
}

/// A substation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Substation {
    /// Unique id.
    pub id: String,
    /// Capacity in MW of IT load through its transformers.
    pub capacity_mw: f64,
    /// Existing or to be ordered.
    #[serde(default)]
    pub supply: Supply,
}

/// A transformer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transformer {
    /// Unique id.
    pub id: String,
    /// Id of the substation that feeds it.
    pub substation: String,
    /// Nameplate rating in MVA; usable MW = MVA × the site power factor.
    pub rating_mva: f64,
    /// Existing or to be ordered.
    #[serde(default)]
    pub supply: Supply,
}

/// A cooling loop.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoolingLoop {
    /// Unique id.
    pub id: String,
    /// Cooling technology.
    pub kind: CoolingKind,
    /// Heat it can reject, in kW (equal to the IT load it can carry).
    pub heat_rejection_kw: f64,
    /// Highest IT load per rack it supports, in kW.
    pub max_rack_kw: f64,
    /// Power usage effectiveness of racks on this loop (facility power / IT power), ≥ 1:
    /// a number, or a bounded distribution (`Uniform`, `Triangular`) that every seeded
    /// run draws from (the plain run uses its median).
    pub pue: Quantity,
    /// Where the loop's cooling plant (IT × (PUE − 1)) draws its power from.
    #[serde(default)]
    pub plant_feed: PlantFeed,
    /// Existing or to be ordered.
    #[serde(default)]
    pub supply: Supply,
}

/// A unit model in the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum UnitModel {
    /// A Bitcoin miner.
    Asic {
        /// Unique model id.
        id: String,
        /// Hashrate in TH/s.
        hashrate_th_s: f64,
        /// Wall power in W.
        power_w: f64,
        /// Purchase cost per unit in USD (booked when bought by an `InstallUnits` step).
        #[serde(default)]
        cost_usd: f64,
        /// Weeks from order to delivery when bought by a plan step.
        #[serde(default = "zero_quantity")]
        lead_time_weeks: Quantity,
    },
    /// A GPU server (or a whole rack-scale system such as an NVL72).
    GpuServer {
        /// Unique model id.
        id: String,
        /// GPUs per server.
        gpus: u32,
        /// Power in W per server.
        power_w: f64,
        /// Purchase cost per server in USD, booked only when the site owns the servers
        /// (a `Rental` contract); under a `Lease` the tenant brings them.
        #[serde(default)]
        cost_usd: f64,
        /// Weeks from order to delivery when the site buys them.
        #[serde(default = "zero_quantity")]
        lead_time_weeks: Quantity,
    },
}

fn one_quantity() -> Quantity {
    Quantity::Value(1.0)
}

fn zero_quantity() -> Quantity {
    Quantity::Value(0.0)
}

impl UnitModel {
    /// The model id.
    pub fn id(&self) -> &str {
        match self {
            UnitModel::Asic { id, .. } | UnitModel::GpuServer { id, .. } => id,
        }
    }
}

/// A group of identical racks.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RackGroup {
    /// Unique id of the group (a hall, a row, a container block).
    pub id: String,
    /// Number of racks in the group.
    pub count: u32,
    /// Id of the transformer feeding every rack of the group.
    pub transformer: String,
    /// Id of the cooling loop cooling every rack of the group.
    pub cooling: String,
    /// Units installed and running in each rack at the start, if any.
    #[serde(default)]
    pub units: Option<RackUnits>,
}

/// Units installed in each rack of a group.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RackUnits {
    /// Model id from the catalogue.
    pub model: String,
    /// Units per rack.
    pub per_rack: u32,
    /// Month the units went into service, `YYYY-MM`: ASIC resale ages them from it.
    /// Default: the world's start month (units new on day one). It may not be after the
    /// start month (`in-service-after-start`).
    #[serde(default)]
    pub in_service_since: Option<String>,
}

/// Markets that turn hashrate and GPU capacity into revenue.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Markets {
    /// BTC price in USD.
    pub btc_price_usd: PricePath,
    /// Network hashrate in EH/s at the start month.
    pub network_hashrate_eh_s: f64,
    /// Network hashrate growth per year, e.g. 0.4 for +40 %/yr.
    #[serde(default)]
    pub network_growth_per_year: f64,
    /// Volatility (σ per year) of network hashrate growth, used when sampling.
    #[serde(default)]
    pub network_growth_volatility_per_year: f64,
    /// Block subsidy in BTC at the start month (3.125 since April 2024).
    pub block_subsidy_btc: f64,
    /// Dates (`YYYY-MM-DD`) on which the subsidy halves.
    #[serde(default)]
    pub halvings: Vec<String>,
    /// Average transaction fees per block in BTC.
    #[serde(default)]
    pub fees_btc_per_block: f64,
    /// GPU colocation lease, if the site leases GPU halls.
    #[serde(default)]
    pub gpu_lease: Option<Lease>,
    /// GPU-hour rental, if the site runs its own GPUs.
    #[serde(default)]
    pub gpu_rental: Option<Rental>,
}

/// One step of the retrofit plan.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Unique id.
    pub id: String,
    /// What the step does.
    pub action: Action,
    /// Working time in days once started (a number or a distribution). For `Order`
    /// steps the lead times of the ordered equipment apply instead.
    #[serde(default = "zero_quantity")]
    pub duration_days: Quantity,
    /// Earliest start, `YYYY-MM` or `YYYY-MM-DD`; without it the step starts as soon as
    /// the steps in `after` are done.
    #[serde(default)]
    pub start: Option<String>,
    /// Ids of steps that must finish before this one starts.
    #[serde(default)]
    pub after: Vec<String>,
    /// Labour and materials cost in USD, booked as capex when the step starts (a number
    /// or a distribution: a sampled run draws it after every other draw).
    #[serde(default = "zero_quantity")]
    pub cost_usd: Quantity,
}

/// What a plan step does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Action {
    /// Order equipment (substations, transformers, cooling loops declared `ToOrder`);
    /// the step finishes when the last item is delivered.
    Order(Vec<String>),
    /// Put delivered equipment in service; it carries load when the step finishes.
    Install(Vec<String>),
    /// Switch off and remove every unit in a rack group (power is freed at the start).
    Decommission(String),
    /// Buy (after the model's lead time), install and energise units in every rack of a
    /// group. Energising waits while any limit on the racks' power path would break.
    InstallUnits {
        /// Rack group id.
        racks: String,
        /// Model id from the catalogue.
        model: String,
        /// Units per rack.
        per_rack: u32,
        /// How GPU units earn; ignored for ASICs.
        #[serde(default)]
        contract: Contract,
    },
    /// A scripted failure (issue 14): the named substation, transformer or cooling loop
    /// fails on the step's `start` date, whatever the seed, and comes back as its
    /// failure model's restore says (repair, spare swap or re-order). It takes no
    /// `after`, `duration_days` or `cost_usd`, and no step waits for it.
    Fail(String),
}

/// Largest world file accepted, in bytes. Real worlds are a few kB; the bound keeps a
/// wrong path (a disk image, a log) from being read into memory whole.
pub const MAX_WORLD_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a world file's text, refusing folders, files over [`MAX_WORLD_BYTES`] and
/// files that are not UTF-8 text, each with a message saying so.
pub fn read_text(path: &Path) -> Result<String, LoadError> {
    use std::io::Read;
    let io = |message: String| LoadError::Io {
        path: path.display().to_string(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
    if meta.is_dir() {
        return Err(io(
            "is a folder, not a world file (expected a .ron file)".into()
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| io(e.to_string()))?;
    let mut bytes = Vec::new();
    // Read one byte past the bound to notice a file that grew after `metadata`.
    file.take(MAX_WORLD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io(e.to_string()))?;
    if bytes.len() as u64 > MAX_WORLD_BYTES {
        return Err(io(format!(
            "is larger than {} MiB; world files are small text files",
            MAX_WORLD_BYTES / (1024 * 1024)
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        io(format!(
            "is not a text file: invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        ))
    })
}

/// Deepest nesting of brackets accepted (ron's default). A world nests about five
/// levels; the bound keeps a generated or hostile file from exhausting the stack.
pub const MAX_NESTING: usize = 128;

/// Parses world text; `origin` names it in error messages (usually the file path).
/// A UTF-8 byte-order mark, which some Windows editors write, is skipped.
pub fn parse(text: &str, origin: &str) -> Result<WorldFile, LoadError> {
    let text = without_bom(text);
    if text.trim().is_empty() {
        return Err(LoadError::Syntax {
            origin: origin.to_string(),
            line: 1,
            col: 1,
            message: "the file is empty; a world starts with `World(` (see worlds/teaching.ron)"
                .into(),
        });
    }
    // Optional fields take a bare value (`start: "2026-06"`) as well as `Some(...)`.
    ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .with_recursion_limit(MAX_NESTING)
        .from_str::<WorldFile>(text)
        .map_err(|e| syntax_error(text, origin, &e))
}

/// `text` without a leading UTF-8 byte-order mark.
pub(crate) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A ron error as a [`LoadError::Syntax`], reworded where ron's own message would
/// mislead a user.
fn syntax_error(text: &str, origin: &str, e: &ron::error::SpannedError) -> LoadError {
    use ron::error::Error as E;
    let (line, mut col) = (e.span.start.line, e.span.start.col);
    let message = match &e.code {
        // ron suggests Rust-level fixes (`recursion_limit`, `serde_stacker`).
        E::ExceededRecursionLimit => format!(
            "brackets are nested more than {MAX_NESTING} levels deep here; a world file needs \
             only a few levels (is a bracket left open, or was the file generated wrongly?)"
        ),
        // An integer field written with a fraction or exponent (`120.5`, `1e3`): ron
        // reads the whole part, then stops at `.` or `e` expecting what follows a value.
        E::ExpectedComma
        | E::ExpectedStructLikeEnd
        | E::ExpectedArrayEnd
        | E::ExpectedOptionEnd
        | E::ExpectedMapEnd
        | E::TrailingCharacters
        | E::InvalidIntegerDigit { .. } => match fraction_in_integer(text, line, col) {
            Some((start_col, message)) => {
                col = start_col;
                message
            }
            None => with_suggestion(&e.code.to_string()),
        },
        code => with_suggestion(&code.to_string()),
    };
    LoadError::Syntax {
        origin: origin.to_string(),
        line,
        col,
        message,
    }
}

/// If the parser stopped at the `.` or `e` of a number on 1-based `line`, `col`, the
/// column where that number starts and a message saying a whole number was expected.
fn fraction_in_integer(text: &str, line: usize, col: usize) -> Option<(usize, String)> {
    let chars: Vec<char> = text.lines().nth(line.checked_sub(1)?)?.chars().collect();
    // ron stops at the `.` or `e`, or (for some errors) points at the number's start.
    let mut at = col.checked_sub(1)?;
    while chars.get(at).is_some_and(char::is_ascii_digit) {
        at += 1;
    }
    if !matches!(chars.get(at)?, '.' | 'e' | 'E') {
        return None;
    }
    let digits = chars[..at]
        .iter()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .count();
    if digits == 0 {
        return None;
    }
    let start = at - digits;
    let mut end = at;
    while end < chars.len() {
        let c = chars[end];
        let exponent_sign = matches!(c, '+' | '-') && matches!(chars[end - 1], 'e' | 'E');
        if !(c.is_ascii_alphanumeric() || c == '.' || c == '_' || exponent_sign) {
            break;
        }
        end += 1;
    }
    let number: String = chars[start..end].iter().collect();
    // The field name, when the number directly follows `name:`.
    let before: String = chars[..start].iter().collect();
    let field = before
        .trim_end()
        .strip_suffix(':')
        .map(|b| {
            let b = b.trim_end();
            let from = b
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |i| i + 1);
            &b[from..]
        })
        .filter(|f| !f.is_empty());
    let message = match field {
        Some(f) => format!("`{f}` takes a whole number (an integer), found `{number}`"),
        None => format!("expected a whole number (an integer), found `{number}`"),
    };
    Some((start + 1, message))
}

/// `s` with control characters (terminal escape codes, newlines, NUL) and bidirectional
/// overrides written as `\u{1b}` escapes, so text from a world file prints as one inert
/// line whatever it contains.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        c.is_control()
            || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Why a world file could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadError {
    /// The file could not be read.
    Io {
        /// File path.
        path: String,
        /// OS error.
        message: String,
    },
    /// The text is not a valid world: bad syntax, a wrong type, an unknown field.
    Syntax {
        /// File path (or other origin).
        origin: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
        /// What was expected.
        message: String,
    },
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, message } => {
                write!(
                    f,
                    "{}: cannot read: {}",
                    printable(path),
                    printable(message)
                )
            }
            LoadError::Syntax {
                origin,
                line,
                col,
                message,
            } => write!(
                f,
                "{}:{line}:{col}: {}",
                printable(origin),
                printable(message)
            ),
        }
    }
}

impl std::error::Error for LoadError {}

/// Adds "did you mean `x`?" to ron's unknown-field and unknown-variant messages when a
/// listed alternative is close to what was written.
fn with_suggestion(message: &str) -> String {
    if message.contains("untagged enum Quantity") {
        return "expected a number or a distribution: Fixed(x), Uniform(min: a, max: b), \
                Triangular(min: a, mode: m, max: b) or LogNormal(median: m, p90: p)"
            .to_string();
    }
    if message.contains("Integer is out of bounds") {
        return format!(
            "{message}: a whole-number field (count, per_rack, gpus, horizon_months, \
             ramp_months) must be between 0 and 4294967295"
        );
    }
    let Some(written) = backticked(message).next() else {
        return message.to_string();
    };
    if !(message.contains("Unexpected field") || message.contains("Unexpected variant")) {
        return message.to_string();
    }
    let best = backticked(message)
        .skip(2)
        .map(|cand| (strsim::damerau_levenshtein(written, cand), cand))
        .filter(|&(d, cand)| d <= 2.max(cand.len() / 3))
        .min_by_key(|&(d, _)| d);
    match best {
        Some((_, cand)) => format!("{message} (did you mean `{cand}`?)"),
        None => message.to_string(),
    }
}

fn backticked(s: &str) -> impl Iterator<Item = &str> {
    s.split('`').skip(1).step_by(2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestion_for_a_misspelt_field() {
        let m = "Unexpected field named `capacity_mv` in `Substation`, expected one of `id`, `capacity_mw`, or `supply` instead";
        assert!(with_suggestion(m).ends_with("(did you mean `capacity_mw`?)"));
    }

    #[test]
    fn printable_escapes_control_and_bidi_characters_only() {
        assert!(matches!(
            printable("T1 — café"),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(
            printable("a\u{1b}[2Jb\n\u{202e}"),
            r"a\u{1b}[2Jb\u{a}\u{202e}"
        );
        // Idempotent: printing twice escapes nothing more.
        let once = printable("\u{7}\u{9b}").into_owned();
        assert_eq!(printable(&once), once);
    }

    #[test]
    fn a_fraction_is_found_only_after_digits() {
        let f = |line: &str, col| fraction_in_integer(line, 1, col);
        assert_eq!(f("  n: 12.5,", 8).map(|x| x.0), Some(6));
        assert_eq!(f("  n: 12.5,", 6).map(|x| x.0), Some(6));
        assert_eq!(
            f("  n: 1e-3)", 7).unwrap().1,
            "`n` takes a whole number (an integer), found `1e-3`"
        );
        assert_eq!(f("  n: x.5,", 7), None);
        assert_eq!(f("  n: 12,", 8), None);
    }

    #[test]
    fn no_suggestion_when_nothing_is_close() {
        let m = "Unexpected field named `zzzzzzzz` in `Substation`, expected one of `id`, `capacity_mw`, or `supply` instead";
        assert_eq!(with_suggestion(m), m);
    }
}
