//! The draws of one run: every random quantity, fixed before the run starts, so event
//! order never changes what is drawn.

use crate::calendar::Day;
use crate::dist::Dist;
use crate::finance::spec::FinanceSpec;
use crate::finance::{FinanceDraws, FinanceTerms};
use crate::market::MarketPath;
use crate::scenario::Contract;
use crate::scenario::{ActionSpec, EquipmentRef, ModelKind, Scenario, SupplySpec};
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
    /// Failure times, restores, swaps and backup lead times (issue 14), drawn last.
    pub failures: super::failures::FailureDraws,
    /// Finance terms (sampled figures drawn) and renewal choices, for worlds with a
    /// `finance` section. Drawn after everything else, so a world without one draws
    /// exactly what it did before.
    pub finance: Option<(FinanceTerms, FinanceDraws)>,
    /// Capex of each plan step, USD. Drawn after the finance terms, and only for steps
    /// whose cost is a distribution (a number draws nothing), so worlds that give
    /// numbers keep their streams.
    pub step_cost_usd: Vec<f64>,
    /// The power-price level the market path's electricity price was multiplied by,
    /// drawn after the step capex (only when the world gives a distribution).
    pub electricity_price_factor: f64,
    /// The PUE each cooling loop runs at, in loop order: drawn last of all, one draw per
    /// loop whose PUE is a distribution (a number draws nothing, so worlds that give
    /// numbers keep their streams); the medians in the plain run. The facility carries
    /// it ([`crate::facility::Facility::reset`]).
    pub cooling_pue: Vec<f64>,
}

fn weeks_to_days(weeks: f64) -> Day {
    (weeks * 7.0).round() as Day
}

impl Draws {
    /// Medians of every distribution and the median market path: the plain run.
    pub fn median(s: &Scenario) -> Self {
        let mut d = Self::build(s, &mut Medians);
        d.finance = s.finance.as_ref().map(FinanceSpec::median);
        d.economics(s, &mut Medians);
        d
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
    /// substations, transformers, cooling loops, step durations, unit lead times, the
    /// market path, failures, finance terms, then the economic inputs added later (step
    /// capex, power-price level, each cooling loop's PUE), so a world that declares none
    /// of those draws exactly what it drew before they existed.
    pub fn sample<R: Rng + ?Sized>(s: &Scenario, rng: &mut R) -> Self {
        let mut d = Self::build(s, &mut Samples(&mut *rng));
        d.finance = s.finance.as_ref().map(|f| f.sample(rng));
        d.economics(s, &mut Samples(rng));
        d
    }

    /// Step capex, the power-price level and the loops' PUE, drawn after everything
    /// else in that order; the level scales the market path's electricity price.
    fn economics(&mut self, s: &Scenario, source: &mut dyn DrawSource) {
        self.step_cost_usd = s.plan.iter().map(|st| source.value(st.cost_dist)).collect();
        self.electricity_price_factor = source.value(s.electricity_price_factor);
        self.cooling_pue = s
            .cooling_loops
            .iter()
            .map(|l| source.value(l.pue_dist))
            .collect();
        if self.electricity_price_factor != 1.0 {
            let f = self.electricity_price_factor;
            self.market
                .electricity_usd_per_mwh
                .iter_mut()
                .for_each(|p| *p *= f);
        }
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
            failures: source.failures(s),
            finance: None,
            step_cost_usd: Vec::new(),
            electricity_price_factor: 1.0,
            cooling_pue: Vec::new(),
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
    fn failures(&mut self, s: &Scenario) -> super::failures::FailureDraws;
}

struct Medians;

impl DrawSource for Medians {
    fn value(&mut self, d: Dist) -> f64 {
        d.median()
    }
    fn market(&mut self, s: &Scenario) -> MarketPath {
        let mut m = MarketPath::median(&s.markets, s.calendar.months());
        m.apply_network(&s.network.median, &s.markets, &s.calendar);
        m
    }
    fn failures(&mut self, s: &Scenario) -> super::failures::FailureDraws {
        super::failures::FailureDraws::build::<rand_pcg::Pcg64Mcg>(s, None)
    }
}

struct Samples<'a, R: ?Sized>(&'a mut R);

impl<R: Rng + ?Sized> DrawSource for Samples<'_, R> {
    fn value(&mut self, d: Dist) -> f64 {
        d.sample(self.0)
    }
    fn market(&mut self, s: &Scenario) -> MarketPath {
        let mut m = MarketPath::sample(&s.markets, s.calendar.months(), self.0);
        // A supply model's parameters are drawn after the market path (none otherwise, so
        // worlds without one keep their streams), then it answers the sampled prices.
        let model = s.network.sample(self.0);
        m.apply_network(&model, &s.markets, &s.calendar);
        m
    }
    fn failures(&mut self, s: &Scenario) -> super::failures::FailureDraws {
        super::failures::FailureDraws::build(s, Some(&mut *self.0))
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
