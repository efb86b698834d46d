//! The event log told as a story, month by month, for classroom demos:
//! `2027-01: transformer T3 delivered after 52.6 weeks; install-T3 started; ...`.

use super::text::usd;
use crate::engine::{EventRecord, RunResult};
use crate::scenario::Scenario;
use std::fmt::Write;

/// The run's events as one paragraph per month (month ends left out), followed by a
/// line per year-end with the cumulative cash, and the payback month.
pub fn narrative(s: &Scenario, r: &RunResult) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "What happened at {} ({} months from {}):",
        s.name,
        s.calendar.months(),
        s.calendar.start()
    );
    let mut current: Option<u32> = None;
    let mut phrases: Vec<String> = Vec::new();
    let flush = |m: Option<u32>, phrases: &mut Vec<String>, out: &mut String| {
        if let Some(m) = m
            && !phrases.is_empty()
        {
            let _ = writeln!(out, "{}: {}.", s.calendar.label(m), phrases.join("; "));
        }
        phrases.clear();
    };
    for e in &r.events {
        let Some(text) = phrase(e) else { continue };
        let m = s.calendar.month_of(e.day);
        if current != Some(m) {
            flush(current, &mut phrases, &mut out);
            current = Some(m);
        }
        phrases.push(text);
    }
    flush(current, &mut phrases, &mut out);
    let years: Vec<String> = r
        .ledger
        .iter()
        .enumerate()
        .filter(|(m, row)| row.month.month == 12 || m + 1 == r.ledger.len())
        .map(|(_, row)| format!("{} {}", row.month, usd(row.cumulative_cash_usd)))
        .collect();
    if !years.is_empty() {
        let _ = writeln!(out, "Cumulative cash: {}.", years.join(", "));
    }
    let _ = writeln!(out, "Payback: {}.", super::text::payback_text(&r.summary));
    out
}

/// One event as a short clause, or `None` for events not worth telling (month ends,
/// "finished" bookkeeping).
fn phrase(e: &EventRecord) -> Option<String> {
    let detail = friendly_usd(&e.detail).replace("; ", ", ");
    let entity = &e.entity;
    Some(match e.event {
        "month-end" | "step-done" => return None,
        "delivered" | "ordered" | "decommissioned" => format!("{entity} {detail}"),
        "in-service" => format!("{entity} in service"),
        "energised" => format!("{entity}: {detail}"),
        "step-start" => format!("step {entity}: {detail}"),
        "units-ordered" => format!("step {entity}: {detail}"),
        "units-delivered" => format!("step {entity}: {detail}"),
        "wait" => format!("step {entity} blocked: {detail}"),
        "wait-over" => format!("step {entity} {detail}"),
        "halving" => format!("Bitcoin halving: {detail}"),
        _ => format!("{entity}: {detail}"),
    })
}

/// Rewrites `12345678 USD` as `$12.3M` so the story reads like a report.
fn friendly_usd(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let next_is_usd = words
            .get(i + 1)
            .is_some_and(|w| w.trim_end_matches([',', ';', '.', ')']) == "USD");
        match words[i].parse::<f64>() {
            Ok(v) if next_is_usd => {
                let tail = &words[i + 1]["USD".len()..];
                out.push(format!("{}{tail}", usd(v)));
                i += 2;
            }
            _ => {
                out.push(words[i].to_string());
                i += 1;
            }
        }
    }
    out.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_amounts_read_like_a_report() {
        assert_eq!(
            friendly_usd("ordered for 400000 USD; delivery due 2027-01-04"),
            "ordered for $400k; delivery due 2027-01-04"
        );
        assert_eq!(
            friendly_usd("install started; step cost 9960000 USD booked as capex"),
            "install started; step cost $10.0M booked as capex"
        );
        assert_eq!(friendly_usd("no money here"), "no money here");
    }

    #[test]
    fn month_ends_are_left_out() {
        let e = EventRecord {
            day: 0,
            event: "month-end",
            entity: "site".into(),
            detail: "x".into(),
        };
        assert_eq!(phrase(&e), None);
    }
}
