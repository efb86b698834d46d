//! Decision variables written in the world file where the values are:
//!
//! ```ron
//! start: Choose(from: "2026-01", to: "2027-06", step_months: 1),
//! count: Choose([0, 120, 240]),
//! contract: Choose([Lease, Rental]),
//! spare: Choose([true, false], base: false),
//! ```
//!
//! They are found in the world's text before it is parsed, and every candidate plan is
//! the same text with each `Choose(...)` replaced by one of its alternatives. So the
//! world schema needs no change, any value anywhere in the file can become a decision,
//! and `best.ron` is the user's own file, comments and all, with the choices filled
//! in. The first alternative (or `base:`) is the plan as shipped, against which the
//! best plan is explained.

use std::fmt;

/// One decision variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Readable name: the nearest enclosing `id` and the field, e.g. `order-T-G2.start`.
    pub label: String,
    /// Byte range of `Choose(...)` in the text.
    pub span: (usize, usize),
    /// 1-based line and column of `Choose`.
    pub position: (usize, usize),
    /// Each alternative as RON text.
    pub alternatives: Vec<String>,
    /// Index of the shipped alternative.
    pub base: usize,
    /// True when the alternatives have an order (a range, or a list of numbers), so
    /// a search may step between neighbours.
    pub ordered: bool,
}

/// A `Choose(...)` that cannot be used, with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChooseError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
    /// What is wrong and what would fix it.
    pub message: String,
}

impl fmt::Display for ChooseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.col, self.message)
    }
}

/// Every `Choose(...)` in `text`, in file order.
pub fn find(text: &str) -> Result<Vec<Choice>, ChooseError> {
    let mut out = Vec::new();
    for start in occurrences(text) {
        let (line, col) = line_col(text, start);
        let err = |message: String| ChooseError { line, col, message };
        let open = start + "Choose".len() + skip_ws(&text[start + "Choose".len()..]);
        let close = matching(text, open).ok_or_else(|| err("`Choose(` is never closed".into()))?;
        let inner = text[open + 1..close].trim();
        let (alternatives, base, ordered) = alternatives(inner).map_err(err)?;
        out.push(Choice {
            label: label_before(text, start),
            span: (start, close + 1),
            position: (line, col),
            alternatives,
            base,
            ordered,
        });
    }
    Ok(out)
}

/// `text` with choice `i` set to alternative `picks[i]`.
pub fn substitute(text: &str, choices: &[Choice], picks: &[usize]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (c, &k) in choices.iter().zip(picks) {
        out.push_str(&text[at..c.span.0]);
        out.push_str(&c.alternatives[k]);
        at = c.span.1;
    }
    out.push_str(&text[at..]);
    out
}

/// Byte offsets of the `Choose` identifiers followed by `(`, outside strings and
/// comments.
fn occurrences(text: &str) -> Vec<usize> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string(b, i),
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(b.len(), |n| i + n);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            }
            _ if text[i..].starts_with("Choose")
                && (i == 0 || !is_ident(b[i - 1]))
                && text[i + 6..].trim_start().starts_with('(') =>
            {
                out.push(i);
                i += 6;
            }
            _ => i += 1,
        }
    }
    out
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Index just past the string starting at `i` (which holds `"`).
pub(super) fn skip_string(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

fn skip_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// The index of the bracket closing the one at `open`.
pub(super) fn matching(text: &str, open: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Splits at top-level commas (outside brackets and strings); empty pieces dropped.
fn split_top(s: &str) -> Vec<&str> {
    let b = s.as_bytes();
    let (mut depth, mut start, mut i) = (0i32, 0, 0);
    let mut out = Vec::new();
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth -= 1,
            b',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(s[start..].trim());
    out.retain(|p| !p.is_empty());
    out
}

/// The alternatives of a `Choose(...)`'s inside, the index of the base, and whether
/// they are ordered.
fn alternatives(inner: &str) -> Result<(Vec<String>, usize, bool), String> {
    let parts = split_top(inner);
    let mut list: Option<Vec<String>> = None;
    let mut fields: Vec<(&str, &str)> = Vec::new();
    for p in &parts {
        if p.starts_with('[') {
            let close = p.len() - 1;
            if !p.ends_with(']') {
                return Err(format!("expected a list of alternatives, got `{p}`"));
            }
            list = Some(
                split_top(&p[1..close])
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            );
        } else if let Some((k, v)) = p.split_once(':') {
            fields.push((k.trim(), v.trim()));
        } else {
            return Err(format!(
                "expected `[a, b, …]` or `from: …, to: …`, got `{p}`"
            ));
        }
    }
    let field = |k: &str| fields.iter().find(|(f, _)| *f == k).map(|(_, v)| *v);
    for (k, _) in &fields {
        if !["from", "to", "step", "step_months", "base"].contains(k) {
            return Err(format!(
                "unknown field `{k}` in Choose: expected from, to, step, step_months or base"
            ));
        }
    }
    let (alts, ordered) = match list {
        Some(l) => {
            let numbers = l.iter().all(|a| a.parse::<f64>().is_ok());
            (l, numbers)
        }
        None => (
            range(
                field("from"),
                field("to"),
                field("step"),
                field("step_months"),
            )?,
            true,
        ),
    };
    if alts.is_empty() {
        return Err("Choose has no alternatives: list at least one value".into());
    }
    let base = match field("base") {
        None => 0,
        Some(b) => alts.iter().position(|a| a == b).ok_or_else(|| {
            format!(
                "base `{b}` is not one of the alternatives ({})",
                alts.join(", ")
            )
        })?,
    };
    Ok((alts, base, ordered))
}

/// A range of months (`"YYYY-MM"` ends, `step_months`) or of numbers (`step`).
fn range(
    from: Option<&str>,
    to: Option<&str>,
    step: Option<&str>,
    step_months: Option<&str>,
) -> Result<Vec<String>, String> {
    let (Some(from), Some(to)) = (from, to) else {
        return Err("Choose needs a list `[a, b, …]` or both `from:` and `to:`".into());
    };
    if let (Some(a), Some(b)) = (month(from), month(to)) {
        let step: i64 = step_months.unwrap_or("1").parse().map_err(|_| {
            format!(
                "step_months must be a whole number of months, got `{}`",
                step_months.unwrap_or("")
            )
        })?;
        if step < 1 {
            return Err(format!("step_months must be at least 1, got {step}"));
        }
        if a > b {
            return Err(format!(
                "the range is reversed: from {from} is after to {to}"
            ));
        }
        let n = (b - a) / step + 1;
        if n > 100_000 {
            return Err(format!(
                "the range has {n} values; at most 100000 are allowed"
            ));
        }
        return Ok((0..n)
            .map(|k| {
                let m = a + k * step;
                format!("\"{:04}-{:02}\"", m.div_euclid(12), m.rem_euclid(12) + 1)
            })
            .collect());
    }
    let num = |s: &str| {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("expected a number or a \"YYYY-MM\" month, got `{s}`"))
    };
    let (a, b) = (num(from)?, num(to)?);
    let step = match step {
        Some(s) => num(s)?,
        None => 1.0,
    };
    if step <= 0.0 {
        return Err(format!("step must be positive, got {step}"));
    }
    if a > b {
        return Err(format!(
            "the range is reversed: from {from} is above to {to}"
        ));
    }
    let n = ((b - a) / step + 1e-9).floor() as u64 + 1;
    if n > 100_000 {
        return Err(format!(
            "the range has {n} values; at most 100000 are allowed"
        ));
    }
    let integer = [from, to].iter().all(|s| !s.contains(['.', 'e', 'E'])) && step.fract() == 0.0;
    Ok((0..n)
        .map(|k| {
            let v = a + k as f64 * step;
            if integer {
                format!("{}", v as i64)
            } else {
                format!("{v:?}")
            }
        })
        .collect())
}

/// `"YYYY-MM"` as months since year 0.
fn month(s: &str) -> Option<i64> {
    let s = s.strip_prefix('"')?.strip_suffix('"')?;
    if s.len() != 7 || s.as_bytes()[4] != b'-' {
        return None;
    }
    let (y, m): (i64, i64) = (s[..4].parse().ok()?, s[5..].parse().ok()?);
    (1..=12).contains(&m).then_some(y * 12 + m - 1)
}

pub(super) fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |n| n + 1) + 1;
    (line, col)
}

/// `id.field` for the `Choose` at `at`: the field it is the value of (through a
/// variant wrapper such as `Constant(Choose(...))`), and the `id` of the element
/// holding that field or of its parent, if either has one. A best effort: it only
/// names things.
fn label_before(text: &str, at: usize) -> String {
    let mut before = text[..at].trim_end();
    // Step out of variant wrappers: `btc_price_usd: Constant(` → `btc_price_usd:`.
    while let Some(b) = before.strip_suffix('(') {
        let b = b.trim_end();
        let start = b
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |n| n + 1);
        before = b[..start].trim_end();
    }
    let field = before
        .strip_suffix(':')
        .map(|b| {
            let b = b.trim_end();
            let start = b
                .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .map_or(0, |n| n + 1);
            b[start..].to_string()
        })
        .unwrap_or_else(|| "value".into());
    let id = enclosing_opens(before, 2)
        .into_iter()
        .find_map(|open| own_id(&before[open..]));
    match id {
        Some(id) => format!("{id}.{field}"),
        None => field,
    }
}

/// Byte offsets of the innermost `levels` unclosed `(` in `text`.
fn enclosing_opens(text: &str, levels: usize) -> Vec<usize> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    for (i, c) in text.char_indices().rev() {
        match c {
            ')' | ']' => depth += 1,
            '(' | '[' if depth > 0 => depth -= 1,
            '(' => {
                out.push(i);
                if out.len() == levels {
                    break;
                }
            }
            _ => {}
        }
    }
    out
}

/// The `id: "…"` of the element whose text starts at `element` (its opening `(`), if
/// written at its top level.
fn own_id(element: &str) -> Option<String> {
    let mut depth = 0i32;
    for (i, c) in element.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            'i' if depth == 1 && element[i..].starts_with("id: \"") => {
                let rest = &element[i + 5..];
                return rest.find('"').map(|e| rest[..e].to_string());
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"World( // Choose( in a comment is not a choice
    plan: [
        Step(id: "order-T", action: Order(["T"]),
             start: Choose(from: "2026-11", to: "2027-02", step_months: 1, base: "2027-01")),
        Step(id: "gpu", action: InstallUnits(racks: "G", model: "M", per_rack: 1,
             contract: Choose([Lease, Rental])), note: "Choose(x)"),
        Group(id: "G", count: Choose(from: 0, to: 240, step: 120)),
    ],
)"#;

    #[test]
    fn finds_lists_and_ranges_with_labels_and_positions() {
        let cs = find(TEXT).unwrap();
        assert_eq!(cs.len(), 3);
        assert_eq!(cs[0].label, "order-T.start");
        assert_eq!(
            cs[0].alternatives,
            ["\"2026-11\"", "\"2026-12\"", "\"2027-01\"", "\"2027-02\""]
        );
        assert_eq!(cs[0].base, 2);
        assert_eq!(cs[0].position, (4, 21));
        assert_eq!(cs[1].label, "gpu.contract");
        assert_eq!(cs[1].alternatives, ["Lease", "Rental"]);
        assert_eq!(cs[2].alternatives, ["0", "120", "240"]);
        let t = substitute(TEXT, &cs, &[0, 1, 2]);
        assert!(t.contains(r#"start: "2026-11")"#) && t.contains("contract: Rental)"));
        assert!(t.contains("count: 240)") && t.contains(r#"note: "Choose(x)""#));
    }

    #[test]
    fn empty_and_reversed_ranges_are_refused_with_their_place() {
        let e = find("x: [\n  a: Choose([]),\n]").unwrap_err();
        assert_eq!((e.line, e.col), (2, 6));
        assert!(e.message.contains("no alternatives"), "{e}");
        let e = find(r#"s: Choose(from: "2027-06", to: "2026-01")"#).unwrap_err();
        assert!(e.message.contains("reversed"), "{e}");
        let e = find("c: Choose(from: 10, to: 0, step: 5)").unwrap_err();
        assert!(e.message.contains("reversed"), "{e}");
        assert!(find("c: Choose([1, 2]").is_err());
        assert!(
            find("c: Choose(form: 1, to: 2)")
                .unwrap_err()
                .message
                .contains("unknown field")
        );
        assert!(
            find("c: Choose([1, 2], base: 3)")
                .unwrap_err()
                .message
                .contains("base `3`")
        );
    }
}
