//! A mergeable quantile sketch with bounded memory (DDSketch, Masson et al., VLDB 2019).
//!
//! Values fall into logarithmic buckets of relative width `2α`, so any quantile it
//! reports is within a relative error `α` of a true sample value of that rank. Buckets
//! hold integer counts: merging two sketches adds counts, so sketches of disjoint shards
//! merge into exactly the sketch of the whole, in any order. Memory depends on the
//! range of values, never on how many were added.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Relative accuracy of reported quantiles (0.5 %).
pub const RELATIVE_ACCURACY: f64 = 0.005;

/// Magnitudes below this count as zero (a thousandth of a dollar or of a megawatt).
const MIN_MAGNITUDE: f64 = 1e-3;

/// A quantile sketch of f64 values (positive, negative and zero).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Sketch {
    positive: BTreeMap<i32, u64>,
    negative: BTreeMap<i32, u64>,
    zeros: u64,
    count: u64,
}

fn gamma_ln() -> f64 {
    let g = (1.0 + RELATIVE_ACCURACY) / (1.0 - RELATIVE_ACCURACY);
    g.ln()
}

fn bucket(magnitude: f64) -> i32 {
    (magnitude.ln() / gamma_ln()).ceil() as i32
}

/// The representative value of bucket `i`: the point whose relative distance to both
/// bucket bounds is α.
fn value(i: i32) -> f64 {
    let g = gamma_ln().exp();
    2.0 * (f64::from(i) * gamma_ln()).exp() / (g + 1.0)
}

impl Sketch {
    /// An empty sketch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value; NaN is ignored.
    pub fn add(&mut self, x: f64) {
        if x.is_nan() {
            return;
        }
        self.count += 1;
        if x.abs() < MIN_MAGNITUDE {
            self.zeros += 1;
        } else if x > 0.0 {
            *self.positive.entry(bucket(x)).or_default() += 1;
        } else {
            *self.negative.entry(bucket(-x)).or_default() += 1;
        }
    }

    /// Adds every count of `other`; `None` (with `self` part-merged) if a count would
    /// overflow, which only a damaged sketch can cause.
    #[must_use]
    pub fn merge(&mut self, other: &Sketch) -> Option<()> {
        for (mine, theirs) in [
            (&mut self.positive, &other.positive),
            (&mut self.negative, &other.negative),
        ] {
            for (&k, &c) in theirs {
                let e = mine.entry(k).or_default();
                *e = e.checked_add(c)?;
            }
        }
        self.zeros = self.zeros.checked_add(other.zeros)?;
        self.count = self.count.checked_add(other.count)?;
        Some(())
    }

    /// True if the bucket counts add up to the total count (a sketch read back from a
    /// file may have been edited).
    pub fn is_consistent(&self) -> bool {
        let mut buckets = self.positive.values().chain(self.negative.values());
        buckets
            .try_fold(self.zeros, |a, &c| a.checked_add(c))
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
        for (&k, &c) in self.negative.iter().rev() {
            seen += c;
            if seen > rank {
                return Some(-value(k));
            }
        }
        seen += self.zeros;
        if seen > rank {
            return Some(0.0);
        }
        for (&k, &c) in &self.positive {
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
}
