#!/usr/bin/env bash
# Side-by-side speed of retrofit and its SimPy peer on the same world
# (benches/peer-reference.ron), alternating runs, medians. A benchmark, not a test.
#
#   scripts/bench-vs-simpy.sh [ROUNDS] [RUNS]      defaults: 5 rounds, 1000-run sweeps
#
# Environment: PEER=path/to/simpy_retrofit.py (default ../shared/peers/simpy_retrofit.py).
# Installs SimPy with pip if it is missing. Both sweeps use one worker (--jobs 1 for us;
# the port is single-threaded). Prints each median and the ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
runs=${2:-1000}
peer=${PEER:-../shared/peers/simpy_retrofit.py}
world=benches/peer-reference.ron
[ -f "$peer" ] || { echo "error: SimPy port not found at $peer (set PEER=...)" >&2; exit 2; }
python3 -c 'import simpy' 2>/dev/null || python3 -m pip install --quiet simpy
cargo build --release --quiet
bin=target/release/retrofit
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Charts are skipped where the binary can (--charts none); older builds always draw them.
charts=()
"$bin" run --help | grep -q -- '--charts' && charts=(--charts none)

now() { date +%s.%N; }
secs() { local t0; t0=$(now); "$@" >/dev/null 2>&1; calc "$(now) - $t0"; }
calc() { awk "BEGIN { print $1 }"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

: >"$tmp/ours_sweep"; : >"$tmp/peer_sweep"; : >"$tmp/ours_run"; : >"$tmp/peer_run"
for r in $(seq "$rounds"); do
    secs "$bin" sweep "$world" --runs "$runs" --jobs 1 --seed "$r" --out "$tmp/o$r" "${charts[@]}" >>"$tmp/ours_sweep"
    secs python3 "$peer" sweep "$world" --runs "$runs" --seed "$r" --out "$tmp/p$r" >>"$tmp/peer_sweep"
    secs "$bin" run "$world" --out "$tmp/or$r" "${charts[@]}" >>"$tmp/ours_run"
    secs python3 "$peer" "$world" --out "$tmp/pr$r" >>"$tmp/peer_run"
done
os=$(median <"$tmp/ours_sweep"); ps=$(median <"$tmp/peer_sweep")
orun=$(median <"$tmp/ours_run"); prun=$(median <"$tmp/peer_run")
printf '%-34s %12s %12s %8s\n' "work ($rounds rounds, medians)" retrofit simpy ratio
printf '%-34s %11.3fs %11.3fs %7.1fx\n' "sweep $runs runs, 1 worker" "$os" "$ps" "$(calc "$ps / $os")"
printf '%-34s %11.3fs %11.3fs %7.1fx\n' "one run${charts:+ (--charts none)}" "$orun" "$prun" "$(calc "$prun / $orun")"
printf '%-34s %11.3fms\n' "retrofit per sweep run" "$(calc "$os * 1000 / $runs")"
