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
    after_help = "Example:\n  retrofit check worlds/teaching.ron\n  retrofit run worlds/reference.ron\n  retrofit run worlds/teaching.ron --out output/demo --seed 7"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a world without simulating it and list every problem found.
    /// Exit status: 0 = valid, 1 = invalid, 2 = could not be read or parsed.
    #[command(after_help = "Example:\n  retrofit check worlds/teaching.ron")]
    Check {
        /// World file (RON), e.g. worlds/teaching.ron.
        world: PathBuf,
    },
    /// Simulate one world and write ledger.csv, events.csv and summary.json.
    #[command(after_help = "Example:\n  retrofit run worlds/reference.ron --out output/reference")]
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
        Command::Check { world } => match retrofit::load(&world) {
            Ok(s) => {
                println!("{}: valid ({})", world.display(), s.describe());
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                eprintln!("error: {e}");
                Ok(ExitCode::from(e.exit_code()))
            }
        },
        Command::Run { world, out, seed } => {
            let scenario = match retrofit::load(&world) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(e.exit_code()));
                }
            };
            let result = retrofit::run(&scenario, seed)
                .with_context(|| format!("simulating {}", world.display()))?;
            let out = out.unwrap_or_else(|| default_out(&world));
            let dir = retrofit::report::write_run(&out, &scenario, &result, Vec::new())?;
            print!("{}", retrofit::report::text::summary(&result));
            println!("  outputs               {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}
