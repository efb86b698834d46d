//! Builds the chart data of `pareto.png` ([`ParetoData`], a type of
//! [`crate::report`]): every valid candidate as a point of P50 peak funding need (x,
//! lower is better) against P50 NPV (y, higher is better), with the non-dominated
//! front, the chosen plan and the shipped plan marked. Pure data.

use super::{Candidate, Stat};
use crate::report::{ParetoData, ParetoPoint as Point};
use crate::sensitivity::Metric;

/// Prepares the chart from the evaluated candidates; `feasible` says whether one meets
/// the constraints.
pub fn prepare(
    candidates: &[Candidate],
    feasible: impl Fn(&Candidate) -> bool,
    best: Option<u64>,
    base: u64,
) -> ParetoData {
    let points: Vec<Point> = candidates
        .iter()
        .filter_map(|c| {
            let s = c.stats.as_ref().ok()?;
            Some(Point {
                index: c.index,
                x: s.get(Stat::P50, Metric::PeakFunding),
                y: s.get(Stat::P50, Metric::Npv),
                feasible: feasible(c),
            })
        })
        .collect();
    let mut sorted = points.clone();
    // By need, then by NPV descending, so the first of equal needs is the best of them.
    sorted.sort_by(|a, b| a.x.total_cmp(&b.x).then(b.y.total_cmp(&a.y)));
    let mut front: Vec<Point> = Vec::new();
    for p in sorted {
        if front.last().is_none_or(|f| p.y > f.y) {
            front.push(p);
        }
    }
    let find = |i: u64| points.iter().copied().find(|p| p.index == i);
    ParetoData {
        best: best.and_then(find),
        base: find(base),
        front,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optimize::Stats;
    use crate::sensitivity::MetricValues;

    fn cand(index: u64, npv: f64, funding: f64) -> Candidate {
        // Stats in Stat::ALL order, each a MetricValues in Metric::ALL order.
        let v = MetricValues(vec![npv, 0.0, funding, 0.0, 0.0, 0.0, 0.0]);
        Candidate {
            index,
            stats: Ok(Stats(vec![v; 5])),
        }
    }

    #[test]
    fn the_front_keeps_only_non_dominated_points() {
        let cs = vec![
            cand(0, 10.0, 5.0),
            cand(1, 12.0, 5.0),
            cand(2, 8.0, 3.0),
            cand(3, 9.0, 6.0),
            cand(4, 15.0, 9.0),
            Candidate {
                index: 5,
                stats: Err("invalid".into()),
            },
        ];
        let d = prepare(&cs, |_| true, Some(4), 0);
        let front: Vec<u64> = d.front.iter().map(|p| p.index).collect();
        assert_eq!(front, [2, 1, 4]);
        assert_eq!(d.points.len(), 5);
        assert_eq!(d.best.map(|p| p.index), Some(4));
        assert_eq!(d.base.map(|p| (p.x, p.y)), Some((5.0, 10.0)));
    }
}
