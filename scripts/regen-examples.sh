#!/bin/sh
# Regenerates the README's example charts (docs/examples/*.png) from the reference world.
# Usage: scripts/regen-examples.sh   (from the repository root)
set -eu
cargo run --release --quiet -- run worlds/reference.ron --out output/examples-reference >/dev/null
for chart in power revenue cash timeline; do
    cp "output/examples-reference/$chart.png" "docs/examples/$chart.png"
done
echo "docs/examples/{power,revenue,cash,timeline}.png regenerated from worlds/reference.ron"
