//! Shards and their merge, for `sensitivity` and `optimize`.
//!
//! A run writes a state file holding the world's text, the settings, which shard it is
//! and the result of each of its jobs (numbers stored by their bits). `merge` checks
//! that the parts belong together (same kind, world, settings, shard count; each shard
//! once; every job present once) and puts the results back in job order. An unsharded
//! run writes the same state with every job, so a merged folder equals it byte for
//! byte.

use crate::sweep::Shard;
use serde::{Deserialize, Serialize};

/// The state file of one run or shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Part<T> {
    /// `sensitivity` or `optimize`.
    pub kind: String,
    /// Where the world came from (for messages).
    pub origin: String,
    /// The world's text, so `merge` needs no other file.
    pub world_text: String,
    /// The settings, in a form that compares exactly.
    pub settings: serde_json::Value,
    /// This part's share of the jobs.
    pub shard: Shard,
    /// Jobs in the whole run.
    pub total: usize,
    /// `(job index, result)` in job order.
    pub results: Vec<(usize, T)>,
}

/// Merges parts (each with a name for messages) into one part holding every job.
pub fn merge<T>(parts: Vec<(String, Part<T>)>) -> Result<Part<T>, String> {
    let mut iter = parts.into_iter();
    let (first_name, mut merged) = iter.next().ok_or("no parts given")?;
    let mut seen = vec![merged.shard.index];
    for (name, part) in iter {
        let differs = [
            ("kind", merged.kind != part.kind),
            ("world", merged.world_text != part.world_text),
            ("settings", merged.settings != part.settings),
            ("shard count", merged.shard.count != part.shard.count),
            ("job count", merged.total != part.total),
        ];
        if let Some((what, _)) = differs.iter().find(|(_, d)| *d) {
            return Err(format!(
                "{name} is from a different run than {first_name}: its {what} differs"
            ));
        }
        if seen.contains(&part.shard.index) {
            return Err(format!(
                "shard {}/{} is given more than once ({name})",
                part.shard.index, part.shard.count
            ));
        }
        seen.push(part.shard.index);
        merged.results.extend(part.results);
    }
    let count = merged.shard.count;
    let missing: Vec<String> = (0..count)
        .filter(|k| !seen.contains(k))
        .map(|k| format!("{k}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "merge needs all {count} shards; missing {}",
            missing.join(", ")
        ));
    }
    merged.results.sort_by_key(|(i, _)| *i);
    let complete = merged.results.len() == merged.total
        && merged.results.iter().enumerate().all(|(k, (i, _))| k == *i);
    if !complete {
        return Err(format!(
            "the parts hold {} results for {} jobs: a part is incomplete or edited",
            merged.results.len(),
            merged.total
        ));
    }
    merged.shard = Shard { index: 0, count: 1 };
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(index: u64, count: u64, results: Vec<(usize, u8)>) -> (String, Part<u8>) {
        (
            format!("part{index}"),
            Part {
                kind: "sensitivity".into(),
                origin: "w.ron".into(),
                world_text: "World()".into(),
                settings: serde_json::json!({"samples": 4}),
                shard: Shard { index, count },
                total: 4,
                results,
            },
        )
    }

    #[test]
    fn merge_puts_jobs_back_in_order_and_refuses_missing_or_foreign_parts() {
        let m = merge(vec![
            part(1, 2, vec![(1, 11), (3, 13)]),
            part(0, 2, vec![(0, 10), (2, 12)]),
        ])
        .unwrap();
        assert_eq!(m.results, [(0, 10), (1, 11), (2, 12), (3, 13)]);
        assert_eq!(m.shard, Shard { index: 0, count: 1 });
        let e = merge(vec![part(0, 2, vec![(0, 10), (2, 12)])]).unwrap_err();
        assert!(e.contains("missing 1/2"), "{e}");
        let mut other = part(1, 2, vec![(1, 11), (3, 13)]);
        other.1.world_text = "World(x)".into();
        let e = merge(vec![part(0, 2, vec![(0, 10), (2, 12)]), other]).unwrap_err();
        assert!(e.contains("its world differs"), "{e}");
        let e = merge(vec![
            part(0, 2, vec![(0, 10)]),
            part(1, 2, vec![(1, 11), (3, 13)]),
        ])
        .unwrap_err();
        assert!(e.contains("3 results for 4 jobs"), "{e}");
        let e = merge(vec![part(0, 2, vec![]), part(0, 2, vec![])]).unwrap_err();
        assert!(e.contains("more than once"), "{e}");
    }
}
