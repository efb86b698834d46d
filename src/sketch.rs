//! A mergeable quantile sketch with bounded memory (DDSketch, Masson et al., VLDB 2019).
//!
//! Values fall into logarithmic buckets of relative width `2α`, so any quantile it
//! reports is within a relative error `α` of a true sample value of that rank. Buckets
//! hold integer counts: merging two sketches adds counts, so sketches of disjoint shards
//! merge into exactly the sketch of the whole, in any order. Memory depends on the
//! range of values, never on how many were added.
//!
//! Counts are kept densely, one slot per bucket index between the lowest and highest
//! bucket seen. A sweep adds one value per month per figure per run, and a dense slot is
//! one index computation away, where a `BTreeMap` entry was a tree walk per value (17 %
//! of a two-worker sweep's CPU). The span is bounded whatever the values: finite
//! magnitudes from [`MIN_MAGNITUDE`] to `f64::MAX` need at most about 71,700 slots
//! (560 kB), and a sweep's monthly figures use a few hundred.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// Relative accuracy of reported quantiles (0.5 %).
pub const RELATIVE_ACCURACY: f64 = 0.005;

/// Magnitudes below this count as zero (a thousandth of a dollar or of a megawatt).
const MIN_MAGNITUDE: f64 = 1e-3;

/// The bucket of an infinite magnitude: `ceil(inf)` saturates to `i32::MAX`. It is kept
/// apart from the dense slots, so one infinite value cannot stretch them to 2^31 slots.
const INFINITE_BUCKET: i32 = i32::MAX;

/// A quantile sketch of f64 values (positive, negative and zero).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sketch {
    positive: Buckets,
    negative: Buckets,
    zeros: u64,
    count: u64,
}

fn gamma_ln() -> f64 {
    let g = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY);
    g.ln()
}

/// The bucket of a magnitude: `⌈ln(m) / ln γ⌉`. This formula defines the buckets; a
/// sweep computes it through [`fast_bucket`], which the tests hold equal to it.
fn bucket(magnitude: f64) -> i32 {
    (magnitude.ln() / gamma_ln()).ceil() as i32
}

/// Mantissa bits that pick a cell of [`BucketTable`]: 2⁷ cells per power of two, each
/// spanning a ratio of at most 1 + 2⁻⁷ ≈ 1.0078, less than a bucket's γ ≈ 1.01005, so a
/// cell holds at most one bucket edge.
const CELL_BITS: u32 = 7;
const CELL_SHIFT: u32 = 52 - CELL_BITS;
/// The table's range of magnitudes, [2⁻¹⁰, 2⁵⁰): from below [`MIN_MAGNITUDE`] to about
/// 1.1 × 10¹⁵ (of dollars, megawatts or hours). Magnitudes outside it take the formula.
const TABLE_LOW: f64 = 1.0 / 1024.0;
const TABLE_HIGH: f64 = 1_125_899_906_842_624.0; // 2^50

/// One cell of [`BucketTable`]: magnitudes in it below `edge` fall in bucket `k`, those
/// at or above it in `k + 1`. `k == FORMULA` marks a cell the table does not vouch for.
#[derive(Debug, Clone, Copy)]
struct Cell {
    edge: f64,
    k: i32,
}

const FORMULA: i32 = i32::MIN;

/// [`bucket`] tabulated by the leading bits of the magnitude: a shift, a load and a
/// comparison in place of a logarithm, a division and a rounding, which were half of
/// what folding a run into a sweep's sketches cost (issue 15: folding sits on the
/// critical path at `--jobs 2`, so it bounds the speed-up).
///
/// Each cell's edge is found with [`bucket`] itself, as the least magnitude of the cell
/// whose bucket is above the bucket of the cell's first magnitude, so the table equals
/// the formula wherever the formula does not decrease within a cell. A cell where it
/// would (two edges found, which a monotone `ln` cannot give) falls back to the formula.
/// Built once per process, in about 0.6 ms, on the first sketch insert (sweeps only).
struct BucketTable {
    cells: Vec<Cell>,
}

impl BucketTable {
    fn first_bits() -> u64 {
        TABLE_LOW.to_bits() >> CELL_SHIFT
    }

    fn build() -> Self {
        let (lo_cell, hi_cell) = (Self::first_bits(), TABLE_HIGH.to_bits() >> CELL_SHIFT);
        let mut cells = Vec::with_capacity((hi_cell - lo_cell) as usize);
        let mut k_at_start = bucket(f64::from_bits(lo_cell << CELL_SHIFT));
        for c in lo_cell..hi_cell {
            let (start, end) = (c << CELL_SHIFT, (c + 1) << CELL_SHIFT);
            let k = k_at_start;
            let k_at_end = bucket(f64::from_bits(end));
            let cell = if k_at_end == k {
                // Nothing in the cell can be above its end's bucket or below its start's.
                Cell {
                    edge: f64::INFINITY,
                    k,
                }
            } else {
                // The least magnitude of (start, end] whose bucket is above k; `end`
                // itself (the next cell's first) if no magnitude of the cell is.
                let above = |b: u64| bucket(f64::from_bits(b)) > k;
                let edge = least_above(start, end, (f64::from(k) * gamma_ln()).exp(), above);
                let one_edge =
                    k_at_end == k + 1 && (edge == end || bucket(f64::from_bits(end - 1)) == k + 1);
                Cell {
                    edge: f64::from_bits(edge),
                    k: if one_edge { k } else { FORMULA },
                }
            };
            cells.push(cell);
            k_at_start = k_at_end;
        }
        BucketTable { cells }
    }

    #[inline]
    fn bucket(&self, magnitude: f64) -> i32 {
        let c = (magnitude.to_bits() >> CELL_SHIFT).wrapping_sub(Self::first_bits());
        match self.cells.get(c as usize) {
            Some(&Cell { edge, k }) if k != FORMULA => k + i32::from(magnitude >= edge),
            _ => bucket(magnitude),
        }
    }
}

/// The least bit pattern in `(start, end]` for which `above` holds, given that it holds
/// at `end`, not at `start`, and that it does not turn false again: a search that gallops
/// out from the bits of `guess` (the edge by real arithmetic, a few ulps off), then halves.
fn least_above(start: u64, end: u64, guess: f64, above: impl Fn(u64) -> bool) -> u64 {
    let g = guess.to_bits().clamp(start + 1, end);
    // Bracket: `below` fails `above`, `top` holds it.
    let mut step = 1u64;
    let (mut below, mut top) = if above(g) {
        let mut top = g;
        loop {
            let probe = g.saturating_sub(step).max(start);
            if probe == start || !above(probe) {
                break (probe, top);
            }
            top = probe;
            step *= 2;
        }
    } else {
        let mut below = g;
        loop {
            let probe = g.saturating_add(step).min(end);
            if probe == end || above(probe) {
                break (below, probe);
            }
            below = probe;
            step *= 2;
        }
    };
    while top - below > 1 {
        let mid = below + (top - below) / 2;
        if above(mid) {
            top = mid;
        } else {
            below = mid;
        }
    }
    top
}

/// [`bucket`], by [`BucketTable`].
#[inline]
fn fast_bucket(magnitude: f64) -> i32 {
    static TABLE: std::sync::OnceLock<BucketTable> = std::sync::OnceLock::new();
    TABLE.get_or_init(BucketTable::build).bucket(magnitude)
}

/// The representative value of bucket `i`: the point whose relative distance to both
/// bucket bounds is α.
fn value(i: i32) -> f64 {
    let g = gamma_ln().exp();
    2.0 * (f64::from(i) * gamma_ln()).exp() / (g + 1.0)
}

/// Where one value goes: computed apart from bumping the count (see [`Sketch::add_each`]).
#[derive(Debug, Clone, Copy)]
enum Slot {
    Nan,
    Zero,
    Positive(i32),
    Negative(i32),
}

impl Slot {
    fn of(x: f64) -> Slot {
        if x.is_nan() {
            Slot::Nan
        } else if x.abs() < MIN_MAGNITUDE {
            Slot::Zero
        } else if x > 0.0 {
            Slot::Positive(fast_bucket(x))
        } else {
            Slot::Negative(fast_bucket(-x))
        }
    }
}

/// Counts per bucket index of one sign: `counts[j]` is bucket `first + j`. Equality and
/// the serialised form see only the non-zero buckets, as a map from index to count in
/// ascending order (the form a `BTreeMap<i32, u64>` had, so saved sweep states still read).
#[derive(Debug, Clone, Default)]
struct Buckets {
    first: i32,
    counts: Vec<u64>,
    infinite: u64,
}

impl Buckets {
    /// The count of bucket `k`, created at zero if new.
    #[inline]
    fn count_mut(&mut self, k: i32) -> &mut u64 {
        // Fast path: a bucket inside the range already held (nearly every value).
        let j = k.wrapping_sub(self.first) as u32 as usize;
        if j < self.counts.len() {
            return &mut self.counts[j];
        }
        self.count_mut_cold(k)
    }

    #[cold]
    fn count_mut_cold(&mut self, k: i32) -> &mut u64 {
        if k == INFINITE_BUCKET {
            return &mut self.infinite;
        }
        let j = self.slot(k);
        &mut self.counts[j]
    }

    /// Adds `by` to bucket `k`; `None` if the count would overflow.
    fn add(&mut self, k: i32, by: u64) -> Option<()> {
        let c = self.count_mut(k);
        *c = c.checked_add(by)?;
        Some(())
    }

    /// Adds every count of `other`; `None` (part-merged) if a count would overflow.
    /// Slot by slot over `other`'s dense range, which is covered first: merging a
    /// sweep's partial aggregates walks a few hundred thousand slots.
    fn merge(&mut self, other: &Buckets) -> Option<()> {
        if let Some(last) = other.counts.len().checked_sub(1) {
            // Growing at the front first: growing at the back then moves no slot.
            let from = self.slot(other.first);
            let to = self.slot(other.first + last as i32);
            for (mine, &theirs) in self.counts[from..=to].iter_mut().zip(&other.counts) {
                *mine = mine.checked_add(theirs)?;
            }
        }
        self.infinite = self.infinite.checked_add(other.infinite)?;
        Some(())
    }

    /// The slot of finite bucket `k`, growing the dense range to cover it.
    fn slot(&mut self, k: i32) -> usize {
        if self.counts.is_empty() {
            self.first = k;
            self.counts.push(0);
        } else if k < self.first {
            let grow = (self.first - k) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.first = k;
        }
        let j = (k - self.first) as usize;
        if j >= self.counts.len() {
            self.counts.resize(j + 1, 0);
        }
        j
    }

    /// Non-zero buckets in ascending index order.
    fn iter(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        let finite = self
            .counts
            .iter()
            .enumerate()
            .map(|(j, &c)| (self.first + j as i32, c));
        finite
            .chain(std::iter::once((INFINITE_BUCKET, self.infinite)))
            .filter(|&(_, c)| c > 0)
    }
}

impl PartialEq for Buckets {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Serialize for Buckets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Buckets {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<i32, u64>::deserialize(d)?;
        // Only indices that some finite magnitude ≥ MIN_MAGNITUDE maps to (or the
        // infinite bucket) can come from a sketch; anything else is a damaged file, and
        // must not make the dense range allocate gigabytes.
        let (lo, hi) = (bucket(MIN_MAGNITUDE), bucket(f64::MAX));
        let mut b = Buckets::default();
        for (k, c) in map {
            if k != INFINITE_BUCKET && !(lo..=hi).contains(&k) {
                return Err(serde::de::Error::custom(format!(
                    "sketch bucket {k} is outside {lo}..={hi}: the file is damaged"
                )));
            }
            b.add(k, c)
                .ok_or_else(|| serde::de::Error::custom("sketch bucket count overflows"))?;
        }
        Ok(b)
    }
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value; NaN is ignored.
    pub fn add(&mut self, x: f64) {
        self.add_slot(Slot::of(x));
    }

    /// Adds `values[i]` to `sketches[i]`, for as many pairs as the shorter gives.
    ///
    /// Same result as calling [`Sketch::add`] pair by pair, but faster for a sweep's
    /// per-month sketches: the bucket indices of 64 values are computed first, then
    /// their counts are bumped in a tight loop whose memory accesses do not wait on one
    /// another. A sweep's hundreds of sketches do not stay in cache between runs, and
    /// bumping them one index at a time made each count a serial cache miss.
    pub fn add_each(sketches: &mut [Sketch], values: impl IntoIterator<Item = f64>) {
        // In chunks on the stack, not a heap buffer per call.
        const CHUNK: usize = 64;
        let mut values = values.into_iter();
        for chunk in sketches.chunks_mut(CHUNK) {
            let mut slots = [Slot::Nan; CHUNK];
            let mut n = 0;
            for (slot, x) in slots.iter_mut().zip(values.by_ref().take(chunk.len())) {
                *slot = Slot::of(x);
                n += 1;
            }
            for (k, &slot) in chunk.iter_mut().zip(&slots[..n]) {
                k.add_slot(slot);
            }
            if n < chunk.len() {
                return;
            }
        }
    }

    fn add_slot(&mut self, slot: Slot) {
        // Unchecked like `count`: a bucket's count is at most `count`.
        match slot {
            Slot::Nan => return,
            Slot::Zero => self.zeros += 1,
            Slot::Positive(k) => *self.positive.count_mut(k) += 1,
            Slot::Negative(k) => *self.negative.count_mut(k) += 1,
        }
        self.count += 1;
    }

    /// Adds every count of `other`; `None` (with `self` part-merged) if a count would
    /// overflow, which only a damaged sketch can cause.
    #[must_use]
    pub fn merge(&mut self, other: &Sketch) -> Option<()> {
        self.positive.merge(&other.positive)?;
        self.negative.merge(&other.negative)?;
        self.zeros = self.zeros.checked_add(other.zeros)?;
        self.count = self.count.checked_add(other.count)?;
        Some(())
    }

    /// True if the bucket counts add up to the total count (a sketch read back from a
    /// file may have been edited).
    pub fn is_consistent(&self) -> bool {
        let mut buckets = self.positive.iter().chain(self.negative.iter());
        buckets
            .try_fold(self.zeros, |a, (_, c)| a.checked_add(c))
            .is_some_and(|sum| sum == self.count)
    }

    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) by the nearest-rank rule `rank = ⌊q·(n−1)⌋`;
    /// `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * (self.count - 1) as f64).floor() as u64;
        let mut seen = 0u64;
        // Ascending order: most negative first (largest magnitude bucket first).
        for (k, c) in self.negative.iter().rev() {
            seen += c;
            if seen > rank {
                return Some(-value(k));
            }
        }
        seen += self.zeros;
        if seen > rank {
            return Some(0.0);
        }
        for (k, c) in self.positive.iter() {
            seen += c;
            if seen > rank {
                return Some(value(k));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(xs: &[f64], q: f64) -> f64 {
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        v[(q * (v.len() - 1) as f64).floor() as usize]
    }

    /// A deterministic stream of bit patterns (SplitMix64).
    fn bits_stream(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
    }

    #[test]
    fn the_table_gives_the_formulas_bucket_around_every_edge() {
        let table = BucketTable::build();
        let lo = BucketTable::first_bits();
        let mut edges = 0;
        for (i, cell) in table.cells.iter().enumerate() {
            let (start, end) = (
                (lo + i as u64) << CELL_SHIFT,
                (lo + i as u64 + 1) << CELL_SHIFT,
            );
            assert_ne!(cell.k, FORMULA, "cell {i} fell back to the formula");
            // The cell's first and last magnitudes, and 300 ulps each side of its edge:
            // where `ln`'s rounding could make the formula step anywhere but the edge.
            let mut check = |b: u64| {
                let m = f64::from_bits(b);
                assert_eq!(table.bucket(m), bucket(m), "{m:e} (bits {b:#x})");
            };
            check(start);
            check(end - 1);
            if cell.edge.is_finite() && cell.edge.to_bits() < end {
                edges += 1;
                let e = cell.edge.to_bits();
                (e.saturating_sub(300).max(start)..(e + 300).min(end)).for_each(&mut check);
            }
        }
        // One edge per bucket of the range: ln(2⁶⁰) / ln γ of them, give or take one.
        let expected = (TABLE_HIGH / TABLE_LOW).ln() / gamma_ln();
        assert!(
            (f64::from(edges) - expected).abs() <= 1.0,
            "{edges} vs {expected}"
        );
    }

    #[test]
    fn the_table_gives_the_formulas_bucket_for_any_magnitude() {
        let table = BucketTable::build();
        let mut next = bits_stream(15);
        for _ in 0..200_000 {
            // Magnitudes from 2⁻¹² to 2⁶⁴ (inside and past both ends of the table).
            let m = 2f64.powf((next() >> 11) as f64 / (1u64 << 53) as f64 * 76.0 - 12.0);
            assert_eq!(table.bucket(m), bucket(m), "{m:e}");
        }
        for m in [
            MIN_MAGNITUDE,
            TABLE_LOW,
            TABLE_HIGH,
            f64::MAX,
            f64::INFINITY,
            1.0,
            2.0,
        ] {
            assert_eq!(table.bucket(m), bucket(m), "{m:e}");
        }
    }

    #[test]
    fn the_edge_search_finds_the_least_bits_above() {
        // Every start, end and guess around a step at 1,000: the first bits at or above it.
        for step in [1_001u64, 1_500, 1_999, 2_000] {
            for guess in [0.0, f64::from_bits(1_000), f64::from_bits(step), f64::MAX] {
                let got = least_above(1_000, 2_000, guess, |b| b >= step);
                assert_eq!(got, step, "step {step}, guess {guess:e}");
            }
        }
    }

    #[test]
    fn quantiles_are_within_the_relative_accuracy() {
        // A deterministic spread of values across signs and magnitudes.
        let xs: Vec<f64> = (0..5000)
            .map(|i| {
                let t = i as f64;
                (t * 0.7).sin() * 10f64.powf(2.0 + (t * 0.013).cos() * 4.0)
            })
            .collect();
        let mut s = Sketch::new();
        xs.iter().for_each(|&x| s.add(x));
        for q in [0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0] {
            let (e, got) = (exact(&xs, q), s.quantile(q).unwrap());
            assert!(
                (got - e).abs() <= RELATIVE_ACCURACY * e.abs() * 1.0001 + MIN_MAGNITUDE,
                "q{q}: {got} vs {e}"
            );
        }
    }

    #[test]
    fn merging_shards_equals_adding_everything_to_one_sketch() {
        let xs: Vec<f64> = (0..1000).map(|i| (i as f64 - 400.0) * 1234.5).collect();
        let mut whole = Sketch::new();
        let (mut a, mut b) = (Sketch::new(), Sketch::new());
        for (i, &x) in xs.iter().enumerate() {
            whole.add(x);
            if i % 3 == 0 { a.add(x) } else { b.add(x) }
        }
        b.merge(&a).unwrap();
        assert_eq!(b, whole);
        assert!(b.is_consistent());
    }

    /// docs/model.md's worked example, to the cent.
    #[test]
    fn the_worked_example_of_docs_model_md() {
        let cents = |x: f64| (x * 100.0).round() / 100.0;
        let m = 1_000_000.0;
        assert_eq!(bucket(m), 1382);
        assert_eq!(fast_bucket(m), 1382);
        let g_ln = gamma_ln();
        assert_eq!(cents((1381.0 * g_ln).exp()), 994_619.06);
        assert_eq!(cents((1382.0 * g_ln).exp()), 1_004_615.23);
        let mut s = Sketch::new();
        s.add(m);
        assert_eq!(s.quantile(0.5).map(cents), Some(999_592.15));
    }

    #[test]
    fn merging_covers_ranges_on_either_side_and_the_infinite_bucket() {
        let low: Vec<f64> = (1..50).map(|i| f64::from(i) * 0.37).collect();
        let high: Vec<f64> = (1..50).map(|i| f64::from(i) * 1e6).collect();
        for (mine, theirs) in [(&low, &high), (&high, &low)] {
            let mut whole = Sketch::new();
            let (mut a, mut b) = (Sketch::new(), Sketch::new());
            for &x in mine {
                for v in [x, -x] {
                    a.add(v);
                    whole.add(v);
                }
            }
            for &x in theirs.iter().chain(&[f64::INFINITY]) {
                b.add(x);
                whole.add(x);
            }
            a.merge(&b).unwrap();
            assert_eq!(a, whole);
            assert_eq!(
                serde_json::to_string(&a).unwrap(),
                serde_json::to_string(&whole).unwrap()
            );
        }
        // A count that would overflow is refused.
        let mut full: Sketch = serde_json::from_str(&format!(
            r#"{{"positive":{{"0":{m}}},"negative":{{}},"zeros":0,"count":{m}}}"#,
            m = u64::MAX
        ))
        .unwrap();
        let one: Sketch =
            serde_json::from_str(r#"{"positive":{"0":1},"negative":{},"zeros":0,"count":1}"#)
                .unwrap();
        assert!(full.merge(&one).is_none());
    }

    /// The sketch as it was stored before the dense slots: the reference the dense form
    /// must equal in every bucket and in its serialised text.
    #[derive(Serialize)]
    struct MapSketch {
        positive: BTreeMap<i32, u64>,
        negative: BTreeMap<i32, u64>,
        zeros: u64,
        count: u64,
    }

    fn map_sketch(xs: &[f64]) -> MapSketch {
        let mut m = MapSketch {
            positive: BTreeMap::new(),
            negative: BTreeMap::new(),
            zeros: 0,
            count: 0,
        };
        for &x in xs.iter().filter(|x| !x.is_nan()) {
            m.count += 1;
            if x.abs() < MIN_MAGNITUDE {
                m.zeros += 1;
            } else if x > 0.0 {
                *m.positive.entry(bucket(x)).or_default() += 1;
            } else {
                *m.negative.entry(bucket(-x)).or_default() += 1;
            }
        }
        m
    }

    fn spread() -> Vec<f64> {
        let mut xs: Vec<f64> = (0..3000)
            .map(|i| {
                let t = i as f64;
                (t * 0.37).sin() * 10f64.powf((t * 0.011).cos() * 9.0)
            })
            .collect();
        xs.extend([
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            0.0,
            -0.0,
            5e-4,
            f64::MAX,
        ]);
        xs.extend([f64::MIN, 1e-3, -1e-3, f64::MIN_POSITIVE, 1e300, -1e-300]);
        xs
    }

    #[test]
    fn dense_buckets_serialise_exactly_as_the_map_of_buckets_did() {
        let xs = spread();
        let mut s = Sketch::new();
        xs.iter().for_each(|&x| s.add(x));
        let dense = serde_json::to_string(&s).unwrap();
        assert_eq!(dense, serde_json::to_string(&map_sketch(&xs)).unwrap());
        // ... and a saved state reads back into an equal sketch.
        let back: Sketch = serde_json::from_str(&dense).unwrap();
        assert_eq!(back, s);
        assert!(back.is_consistent());
        assert_eq!(back.quantile(1.0), Some(f64::INFINITY));
        assert_eq!(back.quantile(0.0), Some(f64::NEG_INFINITY));
    }

    #[test]
    fn equality_sees_counts_not_how_the_slots_grew() {
        // Descending values grow the slots at the front, ascending at the back; a merge
        // of a sketch holding explicit zero counts adds nothing.
        let xs: Vec<f64> = (1..400).map(|i| f64::from(i) * 17.0).collect();
        let (mut up, mut down) = (Sketch::new(), Sketch::new());
        xs.iter().for_each(|&x| up.add(x));
        xs.iter().rev().for_each(|&x| down.add(x));
        assert_eq!(up, down);
        let zeros: Sketch = serde_json::from_str(
            r#"{"positive":{"5":0,"900":0},"negative":{},"zeros":0,"count":0}"#,
        )
        .unwrap();
        let before = up.clone();
        up.merge(&zeros).unwrap();
        assert_eq!(up, before);
        assert_eq!(
            serde_json::to_string(&up).unwrap(),
            serde_json::to_string(&before).unwrap()
        );
    }

    #[test]
    fn a_damaged_bucket_index_is_refused_not_allocated() {
        for k in [
            i32::MIN,
            -100_000,
            bucket(MIN_MAGNITUDE) - 1,
            bucket(f64::MAX) + 1,
        ] {
            let text = format!(r#"{{"positive":{{"{k}":1}},"negative":{{}},"zeros":0,"count":1}}"#);
            let err = serde_json::from_str::<Sketch>(&text)
                .unwrap_err()
                .to_string();
            assert!(err.contains("damaged"), "{k}: {err}");
        }
        // The lowest and highest finite buckets and the infinite one are real.
        for k in [bucket(MIN_MAGNITUDE), bucket(f64::MAX), i32::MAX] {
            let text = format!(r#"{{"positive":{{"{k}":1}},"negative":{{}},"zeros":0,"count":1}}"#);
            assert!(
                serde_json::from_str::<Sketch>(&text)
                    .unwrap()
                    .is_consistent()
            );
        }
    }

    #[test]
    fn adding_each_equals_adding_one_by_one() {
        let xs = spread();
        let mut one = vec![Sketch::new(); 7];
        let mut each = vec![Sketch::new(); 7];
        for run in xs.chunks_exact(7) {
            for (k, &x) in one.iter_mut().zip(run) {
                k.add(x);
            }
            // A longer iterator than there are sketches adds only to the sketches.
            Sketch::add_each(&mut each, run.iter().copied().chain([1.0, 2.0]));
        }
        assert_eq!(one, each);
        assert_eq!(
            serde_json::to_string(&one).unwrap(),
            serde_json::to_string(&each).unwrap()
        );
    }
}
