//! Prints a generated campus world of N halls of ~5 MW (default 200 halls = 1 GW), the
//! sites used by the scaling benchmark:
//!
//! ```sh
//! cargo run --release --example campus -- 200 > /tmp/campus-1gw.ron
//! cargo run --release -- run /tmp/campus-1gw.ron --out /tmp/campus
//! ```

/// A generated campus of `halls` halls of ~5 MW: one S21 per rack so every miner is its
/// own entity (1,430 per hall); half the halls are converted to leased GPU halls by a
/// proportional plan over 10 years.
pub fn campus(halls: u32) -> String {
    let mut subs = String::new();
    let mut trafos = String::new();
    let mut loops = String::new();
    let mut racks = String::new();
    let mut plan = String::new();
    for h in 0..halls {
        if h % 4 == 0 {
            subs += &format!("Substation(id: \"S{}\", capacity_mw: 30.0),\n", h / 4);
        }
        trafos += &format!(
            "Transformer(id: \"T{h}\", substation: \"S{}\", rating_mva: 6.0),\n",
            h / 4
        );
        loops += &format!(
            "CoolingLoop(id: \"AIR{h}\", kind: Air, heat_rejection_kw: 5250.0, max_rack_kw: 15.0, pue: 1.2),\n"
        );
        racks += &format!(
            "RackGroup(id: \"A{h}\", count: 1430, transformer: \"T{h}\", cooling: \"AIR{h}\", units: RackUnits(model: \"S21\", per_rack: 1)),\n"
        );
        if h % 2 == 1 {
            loops += &format!(
                "CoolingLoop(id: \"DLC{h}\", kind: DirectToChip, heat_rejection_kw: 5000.0, max_rack_kw: 140.0, pue: 1.3, supply: ToOrder(cost_usd: 0.0, lead_time_weeks: Triangular(min: 26, mode: 40, max: 60))),\n"
            );
            racks += &format!(
                "RackGroup(id: \"G{h}\", count: 35, transformer: \"T{h}\", cooling: \"DLC{h}\"),\n"
            );
            let start_month = 3 + (h % 48);
            plan += &format!(
                "Step(id: \"order{h}\", action: Order([\"DLC{h}\"]), start: \"{}-{:02}\"),
                 Step(id: \"decom{h}\", action: Decommission(\"A{h}\"), duration_days: 30, start: \"{}-{:02}\"),
                 Step(id: \"conv{h}\", action: Install([\"DLC{h}\"]), duration_days: Triangular(min: 150, mode: 180, max: 270), after: [\"order{h}\", \"decom{h}\"], cost_usd: 41580000.0),
                 Step(id: \"gpu{h}\", action: InstallUnits(racks: \"G{h}\", model: \"NVL72\", per_rack: 1), duration_days: 60, after: [\"conv{h}\"]),\n",
                2026 + start_month / 12,
                start_month % 12 + 1,
                2026 + (start_month + 6) / 12,
                (start_month + 6) % 12 + 1
            );
        }
    }
    format!(
        r#"World(
    site: Site(name: "campus {} MW", start_month: "2026-01", horizon_months: 120,
               discount_rate_per_year: 0.1, interconnect_mw: {ic}, electricity_usd_per_mwh: Constant(40.0),
               fixed_opex_usd_per_month: 100000.0),
    substations: [{subs}],
    transformers: [{trafos}],
    cooling_loops: [{loops}],
    unit_models: [Asic(id: "S21", hashrate_th_s: 200.0, power_w: 3500.0),
                  GpuServer(id: "NVL72", gpus: 72, power_w: 132000.0)],
    racks: [{racks}],
    markets: Markets(btc_price_usd: Gbm(start: 91000.0, drift_per_year: 0.125, volatility_per_year: 0.5),
                     network_hashrate_eh_s: 1100.0, network_growth_per_year: 0.3,
                     block_subsidy_btc: 3.125, halvings: ["2028-04-15", "2032-04-15"],
                     fees_btc_per_block: 0.03, gpu_lease: Lease(usd_per_kw_month: 121.5)),
    plan: [{plan}],
)"#,
        halls * 5,
        ic = f64::from(halls) * 6.25,
    )
}

fn main() {
    let halls = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    print!("{}", campus(halls));
}
