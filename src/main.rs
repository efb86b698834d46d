//! The `retrofit` command line: parse arguments, call the library, print, set the exit
//! code. All logic lives in the library.

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "retrofit",
    version,
    about = "Simulate a Bitcoin-mining site converting from ASIC miners to AI GPU racks",
    after_help = "Example:\n  retrofit run worlds/reference.ron\n  retrofit run worlds/teaching.ron --out output/demo --seed 7"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate one world and write ledger.csv, events.csv, summary.json and the charts
    /// power.png, revenue.png, cash.png and timeline.png.
    #[command(
        after_help = "Example:\n  retrofit run worlds/reference.ron --out output/reference\n  retrofit run worlds/teaching.ron --explain --width 1280 --height 720"
    )]
    Run {
        /// World file (RON), e.g. worlds/reference.ron.
        world: PathBuf,
        /// Output folder [default: output/<world file stem>]. Replaced atomically.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Sample every distribution and market path from this seed. Without it, each
        /// distribution takes its median and markets follow their median path.
        #[arg(long)]
        seed: Option<u64>,
        /// Chart width in pixels.
        #[arg(long, default_value_t = 1600, value_parser = clap::value_parser!(u32).range(480..=10_000))]
        width: u32,
        /// Chart height in pixels.
        #[arg(long, default_value_t = 900, value_parser = clap::value_parser!(u32).range(270..=10_000))]
        height: u32,
        /// Also print the event log as a month-by-month story (for classroom demos).
        #[arg(long)]
        explain: bool,
    },
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn default_out(world: &Path) -> PathBuf {
    let stem = world
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "run".into());
    Path::new("output").join(stem)
}

fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run {
            world,
            out,
            seed,
            width,
            height,
            explain,
        } => {
            let scenario = match retrofit::load(&world) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(1));
                }
            };
            let result = retrofit::run(&scenario, seed)
                .with_context(|| format!("simulating {}", world.display()))?;
            let out = out.unwrap_or_else(|| default_out(&world));
            let size = retrofit::report::plots::ChartSize { width, height };
            let charts = retrofit::report::plots::all_charts(&scenario, &result, size)
                .context("drawing charts")?;
            let dir = retrofit::report::write_run(&out, &scenario, &result, charts)?;
            if explain {
                print!(
                    "{}",
                    retrofit::report::explain::narrative(&scenario, &result)
                );
                println!();
            }
            print!("{}", retrofit::report::text::summary(&result));
            println!("  outputs               {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
