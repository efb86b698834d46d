//! The draws of one run: every random quantity, fixed before the run starts, so event
//! order never changes what is drawn.

use crate::calendar::Day;
use crate::dist::Dist;
use crate::market::MarketPath;
use crate::scenario::{ActionSpec, EquipmentRef, ModelKind, Scenario, SupplySpec};
use crate::world::Contract;
use rand::{Rng, SeedableRng};

/// Every random quantity of one run, drawn before it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Draws {
    /// Lead time in days of each substation (0 for existing ones).
    pub substation_lead_days: Vec<Day>,
    /// Lead time in days of each transformer.
    pub transformer_lead_days: Vec<Day>,
    /// Lead time in days of each cooling loop.
    pub cooling_lead_days: Vec<Day>,
    /// Working time in days of each plan step.
    pub step_days: Vec<Day>,
    /// Lead time in days of the units bought by each plan step (0 if none).
    pub unit_lead_days: Vec<Day>,
    /// Market series.
    pub market: MarketPath,
}

fn weeks_to_days(weeks: f64) -> Day {
    (weeks * 7.0).round() as Day
}

impl Draws {
    /// Medians of every distribution and the median market path: the plain run.
    pub fn median(s: &Scenario) -> Self {
        Self::build(s, &mut Medians)
    }

    /// The draws of the run with `seed`: [`Draws::median`] for `None`, else
    /// [`Draws::sample`] from a `rand_pcg` stream seeded with it.
    pub fn for_seed(s: &Scenario, seed: Option<u64>) -> Self {
        match seed {
            None => Self::median(s),
            Some(seed) => Self::sample(s, &mut rand_pcg::Pcg64Mcg::seed_from_u64(seed)),
        }
    }

    /// One sample of every distribution and of the markets, in a fixed order:
    /// substations, transformers, cooling loops, step durations, unit lead times, then
    /// the market path.
    pub fn sample<R: Rng + ?Sized>(s: &Scenario, rng: &mut R) -> Self {
        Self::build(s, &mut Samples(rng))
    }

    fn build(s: &Scenario, source: &mut dyn DrawSource) -> Self {
        let mut lead = |e: EquipmentRef| match s.equipment_supply(e) {
            SupplySpec::Existing => 0,
            SupplySpec::ToOrder {
                lead_time_weeks, ..
            } => weeks_to_days(source.value(lead_time_weeks)),
        };
        let substation_lead_days = (0..s.substations.len())
            .map(|i| lead(EquipmentRef::Substation(i)))
            .collect();
        let transformer_lead_days = (0..s.transformers.len())
            .map(|i| lead(EquipmentRef::Transformer(i)))
            .collect();
        let cooling_lead_days = (0..s.cooling_loops.len())
            .map(|i| lead(EquipmentRef::CoolingLoop(i)))
            .collect();
        let step_days = s
            .plan
            .iter()
            .map(|st| source.value(st.duration_days).round() as Day)
            .collect();
        let unit_lead_days = s
            .plan
            .iter()
            .map(|st| match st.action {
                ActionSpec::InstallUnits {
                    model, contract, ..
                } if owns_units(s, model, contract) => {
                    weeks_to_days(source.value(s.models[model].lead_time_weeks))
                }
                _ => 0,
            })
            .collect();
        Self {
            substation_lead_days,
            transformer_lead_days,
            cooling_lead_days,
            step_days,
            unit_lead_days,
            market: source.market(s),
        }
    }

    /// Lead time in days of an equipment item.
    pub fn lead_days(&self, e: EquipmentRef) -> Day {
        match e {
            EquipmentRef::Substation(i) => self.substation_lead_days[i],
            EquipmentRef::Transformer(i) => self.transformer_lead_days[i],
            EquipmentRef::CoolingLoop(i) => self.cooling_lead_days[i],
        }
    }
}

/// Where a run's uncertain quantities come from: medians, or a random stream.
trait DrawSource {
    fn value(&mut self, d: Dist) -> f64;
    fn market(&mut self, s: &Scenario) -> MarketPath;
}

struct Medians;

impl DrawSource for Medians {
    fn value(&mut self, d: Dist) -> f64 {
        d.median()
    }
    fn market(&mut self, s: &Scenario) -> MarketPath {
        MarketPath::median(&s.markets, s.calendar.months())
    }
}

struct Samples<'a, R: ?Sized>(&'a mut R);

impl<R: Rng + ?Sized> DrawSource for Samples<'_, R> {
    fn value(&mut self, d: Dist) -> f64 {
        d.sample(self.0)
    }
    fn market(&mut self, s: &Scenario) -> MarketPath {
        MarketPath::sample(&s.markets, s.calendar.months(), self.0)
    }
}

/// True when the site buys the units (ASICs, or GPUs it rents out); leased halls are
/// filled with the tenant's servers.
pub fn owns_units(s: &Scenario, model: usize, contract: Contract) -> bool {
    match s.models[model].kind {
        ModelKind::Asic { .. } => true,
        ModelKind::Gpu { .. } => contract == Contract::Rental,
    }
}
