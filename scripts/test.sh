#!/usr/bin/env bash
# The project's one test command (README and .ci/run call exactly this):
#   1. cargo test: unit, behaviour, golden, property and documentation tests;
#   2. scripts/slurm-local.sh: a real one-node Slurm cluster (installed with apt-get if
#      missing, started here, stopped by process id) runs README's sharded array job and
#      dependent merge job, and checks the merge equals an unsharded sweep byte for byte;
#   3. tests/browser.rs: headless Chromium (Debian's `chromium`, installed with apt-get if
#      missing) opens report.html and `retrofit serve`'s page. RETROFIT_BROWSER_TEST=1 is
#      always set here, so the browser test runs (and fails loudly) rather than skipping.
# Extra arguments go to cargo test (e.g. scripts/test.sh --test golden).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium for the browser test (apt-get)" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
export RETROFIT_BROWSER_TEST=1
export RETROFIT_CHROMIUM="${RETROFIT_CHROMIUM:-$(command -v chromium)}"
cargo test "$@"
cargo build --quiet --bin retrofit
RETROFIT_BIN="$PWD/target/debug/retrofit" scripts/slurm-local.sh
