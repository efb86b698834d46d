#!/usr/bin/env bash
# The project's one test command (README and .ci/run call exactly this):
#   1. cargo test: unit, behaviour, golden, property and documentation tests;
#   2. scripts/slurm-local.sh: a real one-node Slurm cluster (installed with apt-get if
#      missing, started here, stopped by process id) runs README's sharded array job and
#      dependent merge job, and checks the merge equals an unsharded sweep byte for byte.
# Extra arguments go to cargo test (e.g. scripts/test.sh --test golden).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test "$@"
cargo build --quiet --bin retrofit
RETROFIT_BIN="$PWD/target/debug/retrofit" scripts/slurm-local.sh
