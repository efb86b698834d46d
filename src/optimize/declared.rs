//! The `optimize:` section of a world file: the objective and constraints a planner
//! declares beside the decision variables, in the same words as the command line.
//!
//! ```ron
//! optimize: Optimize(
//!     objective: "p50:equity-irr",
//!     constraints: ["mean:covenant-breach<=0.1", "p90:first-gpu-month<=30"],
//! ),
//! ```
//!
//! Like `Choose(...)`, the section belongs to the decision layer and is read from the
//! text: it is found among the world's top-level fields, checked (an unknown metric or
//! statistic is an error at its `file:line:col`), and commented out of the text every
//! candidate is built from, so candidates and `best.ron` are plain worlds `retrofit run`
//! accepts. `--objective` and `--constraint` on the command line override it.

use super::choose::ChooseError;
use super::{Constraint, Target};
use serde::Deserialize;

/// What the section declares.
#[derive(Debug, Clone, PartialEq)]
pub struct Declared {
    /// The objective, if declared.
    pub objective: Option<Target>,
    /// The constraints (empty if none are declared).
    pub constraints: Vec<Constraint>,
}

/// The section as written.
#[derive(Deserialize)]
#[serde(rename = "Optimize", deny_unknown_fields)]
struct Section {
    /// Empty when not declared (a plain string reads better than `Some("…")`).
    #[serde(default)]
    objective: String,
    #[serde(default)]
    constraints: Vec<String>,
}

/// Finds and checks the `optimize:` section of `text`. Returns the text with the
/// section commented out (every other line and column unchanged) and what it declares;
/// a world without the section comes back as it is, with `None`.
pub fn extract(text: &str) -> Result<(String, Option<Declared>), ChooseError> {
    let Some((field, open)) = find_field(text) else {
        return Ok((text.to_string(), None));
    };
    let (line, col) = super::choose::line_col(text, field);
    let at = |line: usize, col: usize, message: String| ChooseError { line, col, message };
    let close = super::choose::matching(text, open)
        .ok_or_else(|| at(line, col, "the `optimize:` section is never closed".into()))?;
    let value_start = field + "optimize".len();
    let value_start = value_start + text[value_start..].find(':').map_or(0, |n| n + 1);
    let value = &text[value_start..=close];
    let section: Section = ron::from_str(value).map_err(|e| {
        // ron counts from the start of the value; the file counts from its own start.
        let (vl, vc) = super::choose::line_col(text, value_start);
        let (l, c) = (e.span.start.line, e.span.start.col);
        let c = if l == 1 { c + vc - 1 } else { c };
        at(
            l + vl - 1,
            c,
            format!(
                "optimize: {}; expected Optimize(objective: \"p50:npv\", constraints: \
                 [\"p90:first-gpu-month<=30\"])",
                e.code
            ),
        )
    })?;
    // Each string is checked where it is written.
    let mut from = value_start;
    let mut place = |s: &str| {
        let quoted = format!("\"{s}\"");
        let k = text
            .get(from..=close)
            .and_then(|v| v.find(&quoted))
            .map_or(from, |n| from + n);
        from = (k + quoted.len()).min(close);
        super::choose::line_col(text, k)
    };
    let objective = match Some(&section.objective).filter(|o| !o.is_empty()) {
        None => None,
        Some(o) => {
            let (l, c) = place(o);
            Some(Target::parse(o).map_err(|m| at(l, c, format!("optimize.objective: {m}")))?)
        }
    };
    let constraints = section
        .constraints
        .iter()
        .map(|k| {
            let (l, c) = place(k);
            Constraint::parse(k).map_err(|m| at(l, c, format!("optimize.constraints: {m}")))
        })
        .collect::<Result<_, _>>()?;
    let end = close + 1 + text[close + 1..].len() - text[close + 1..].trim_start().len();
    let end = if text[end..].starts_with(',') {
        end + 1
    } else {
        end
    };
    Ok((
        comment_out(text, field, end),
        Some(Declared {
            objective,
            constraints,
        }),
    ))
}

/// The byte offset of the top-level field `optimize` (a field of `World(...)`) and of
/// the bracket opening its value, skipping strings and comments.
fn find_field(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let (mut depth, mut i) = (0usize, 0usize);
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = super::choose::skip_string(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ if depth == 1
                && text[i..].starts_with("optimize")
                && (i == 0 || !ident(b[i - 1]))
                && !b.get(i + 8).is_some_and(|&c| ident(c))
                && text[i + 8..].trim_start().starts_with(':') =>
            {
                let open = i + text[i..].find('(')?;
                return Some((i, open));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `text` with `[start, end)` commented out: a `// ` before the section and at the start
/// of each further line of it, when the section has its lines to itself (the usual
/// layout); otherwise the section is blanked with spaces. Either way every line and
/// every column outside the section stay where they were, so positions of `Choose(...)`
/// in messages are the file's own.
fn comment_out(text: &str, start: usize, end: usize) -> String {
    let line_start = text[..start].rfind('\n').map_or(0, |n| n + 1);
    let line_end = text[end..].find('\n').map_or(text.len(), |n| end + n);
    let alone = text[line_start..start].trim().is_empty() && text[end..line_end].trim().is_empty();
    if !alone {
        let blank: String = text[start..end]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' })
            .collect();
        return format!("{}{blank}{}", &text[..start], &text[end..]);
    }
    let mut out = String::with_capacity(text.len() + 64);
    out.push_str(&text[..line_start]);
    for line in text[line_start..line_end].split_inclusive('\n') {
        let indent = line.len() - line.trim_start().len();
        if line.trim().is_empty() {
            out.push_str(line);
        } else {
            out.push_str(&line[..indent]);
            out.push_str("// ");
            out.push_str(&line[indent..]);
        }
    }
    out.push_str(&text[line_end..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sensitivity::Metric;

    const WORLD: &str = "World(\n    site: Site(name: \"optimize: no\"),\n    \
        optimize: Optimize(\n        objective: \"p50:equity-irr\",\n        \
        constraints: [\"mean:covenant-breach<=0.1\"],\n    ),\n    plan: [],\n)";

    #[test]
    fn the_section_is_read_and_commented_out_of_the_world() {
        let (text, d) = extract(WORLD).unwrap();
        let d = d.expect("a section");
        assert_eq!(d.objective.map(|t| t.metric), Some(Metric::EquityIrr));
        assert_eq!(d.constraints.len(), 1);
        assert_eq!(d.constraints[0].bound, 0.1);
        assert!(text.contains("    // optimize: Optimize(\n        // objective:"));
        assert!(text.contains("    // ),\n    plan: [],"), "{text}");
        assert_eq!(text.lines().count(), WORLD.lines().count());
        // Commented out, the section is gone: nothing is found a second time.
        assert_eq!(extract(&text).unwrap(), (text.clone(), None));
    }

    #[test]
    fn an_unknown_metric_is_refused_where_it_is_written() {
        let bad = WORLD.replace("mean:covenant-breach", "mean:irr");
        let e = extract(&bad).unwrap_err();
        // Line 5: `        constraints: ["mean:irr<=0.1"],`, the string at column 23.
        assert_eq!((e.line, e.col), (5, 23), "{e}");
        assert!(e.message.contains("unknown metric `irr`"), "{e}");
        let e = extract(&WORLD.replace("p50:equity-irr", "p55:npv")).unwrap_err();
        assert_eq!((e.line, e.col), (4, 20), "{e}");
        assert!(e.message.contains("unknown statistic `p55`"), "{e}");
        let e = extract(&WORLD.replace("objective:", "objectiv:")).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
    }
}
