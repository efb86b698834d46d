//! The assumptions table: every input written in a world file, with its value, unit and
//! the source comment written beside it, read from the world text by position.
//!
//! A small scanner walks the RON text (the parsed world keeps no comments or positions).
//! Each scalar leaf (number, string, bool, enum name) becomes one [`Input`] with its
//! dotted path (`markets.gpu_lease.usd_per_kw_month`, `plan[3].start`), its byte span in
//! the text (so `serve` can edit the value in place and keep every comment), and the
//! comment that explains it: the one after it on its own line, else the comment lines
//! just above it or above the item that holds it.

/// One input of a world: a scalar value in the text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Input {
    /// Dotted path with list indices, e.g. `plan[3].start` or `markets.btc_price_usd.start`.
    pub path: String,
    /// The entity it belongs to: the `id` of the nearest list item that has one, else
    /// the top-level section (`site`, `markets`).
    pub entity: String,
    /// The value as written (strings without their quotes).
    pub value: String,
    /// The unit, read from the field name's suffix (`_mw` → MW); empty if none.
    pub unit: String,
    /// The comment that gives the value's source or reason; empty if none.
    pub source: String,
    /// Byte span of the value in the text (quotes included for strings).
    pub span: (usize, usize),
    /// 1-based line of the value.
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Punct(char),
}

/// A token with its byte span and line.
#[derive(Debug, Clone)]
struct Lexeme {
    tok: Tok,
    start: usize,
    end: usize,
    line: usize,
}

/// Tokens and comments (line → comment text) of a RON text.
struct Scanned {
    toks: Vec<Lexeme>,
    /// For each line (0-based index = line − 1): its comment, and whether the line holds
    /// nothing but that comment.
    comments: Vec<Option<(String, bool)>>,
}

fn scan(text: &str) -> Scanned {
    let mut s = Scanner {
        text,
        b: text.as_bytes(),
        i: 0,
        line: 1,
        line_has_token: false,
        out: Scanned {
            toks: Vec::new(),
            comments: vec![None; text.lines().count() + 1],
        },
    };
    while s.i < s.b.len() {
        s.step();
    }
    s.out
}

/// The tokenizer's cursor: where it is in the text, on which line, and whether that
/// line has held a token yet (which tells a comment beside code from a comment line).
struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    line: usize,
    line_has_token: bool,
    out: Scanned,
}

impl Scanner<'_> {
    /// Reads one token, comment, newline or run of skipped text at the cursor.
    fn step(&mut self) {
        let (b, i) = (self.b, self.i);
        match b[i] {
            b'\n' => {
                self.line += 1;
                self.line_has_token = false;
                self.i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => self.line_comment(),
            b'/' if b.get(i + 1) == Some(&b'*') => self.block_comment(),
            // `#![enable(...)]`: an attribute, not an input.
            b'#' => self.skip_to_line_end(),
            b'"' => self.string(),
            c if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.') => {
                let number =
                    |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b'+');
                let end = self.run_while(number);
                self.push(Tok::Num(self.text[i..end].into()), i, end);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let end = self.run_while(|c| c.is_ascii_alphanumeric() || c == b'_');
                self.push(Tok::Ident(self.text[i..end].into()), i, end);
            }
            c if c.is_ascii_whitespace() => self.i += 1,
            c if c.is_ascii() => self.push(Tok::Punct(c as char), i, i + 1),
            // Non-ASCII outside strings and comments: not RON; step over it.
            _ => self.i += self.text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }

    /// The end of the run of bytes from the cursor that `keep` accepts.
    fn run_while(&self, keep: impl Fn(u8) -> bool) -> usize {
        let mut end = self.i;
        while end < self.b.len() && keep(self.b[end]) {
            end += 1;
        }
        end
    }

    /// Records a token spanning `start..end` and moves the cursor past it.
    fn push(&mut self, tok: Tok, start: usize, end: usize) {
        self.out.toks.push(lex(tok, start, end, self.line));
        self.line_has_token = true;
        self.i = end;
    }

    fn skip_to_line_end(&mut self) {
        self.i = self.run_while(|c| c != b'\n');
    }

    /// `// …`: kept as the comment of its line, marked as a comment line when no token
    /// came before it on that line.
    fn line_comment(&mut self) {
        let start = self.i + 2;
        self.skip_to_line_end();
        let body = self.text[start..self.i].trim().to_string();
        let alone = !self.line_has_token;
        if let Some(slot) = self.out.comments.get_mut(self.line - 1) {
            *slot = Some((body, alone));
        }
    }

    /// `/* … */`: skipped, counting its lines.
    fn block_comment(&mut self) {
        let b = self.b;
        self.i += 2;
        while self.i < b.len() && !(b[self.i] == b'*' && b.get(self.i + 1) == Some(&b'/')) {
            if b[self.i] == b'\n' {
                self.line += 1;
            }
            self.i += 1;
        }
        self.i = (self.i + 2).min(b.len());
    }

    /// A quoted string: its value unescaped, its span with the quotes.
    fn string(&mut self) {
        let (b, start) = (self.b, self.i);
        self.i += 1;
        let mut value = String::new();
        while self.i < b.len() && b[self.i] != b'"' {
            if b[self.i] == b'\\' && self.i + 1 < b.len() {
                value.push(b[self.i + 1] as char);
                self.i += 2;
                continue;
            }
            let ch = self.text[self.i..].chars().next().unwrap_or('\u{fffd}');
            if ch == '\n' {
                self.line += 1;
            }
            value.push(ch);
            self.i += ch.len_utf8().max(1);
        }
        let end = (self.i + 1).min(b.len());
        self.push(Tok::Str(value), start, end);
    }
}

fn lex(tok: Tok, start: usize, end: usize, line: usize) -> Lexeme {
    Lexeme {
        tok,
        start,
        end,
        line,
    }
}

/// Walks the tokens as nested values and collects the scalar leaves.
struct Walker<'a> {
    s: &'a Scanned,
    pos: usize,
    out: Vec<Input>,
}

impl Walker<'_> {
    fn peek(&self, k: usize) -> Option<&Tok> {
        self.s.toks.get(self.pos + k).map(|l| &l.tok)
    }

    /// The comment block written on the lines just above `line` (comment-only lines,
    /// nearest last), joined with spaces.
    fn comment_above(&self, line: usize) -> Option<String> {
        let mut parts = Vec::new();
        let mut l = line.checked_sub(1)?;
        while l >= 1 {
            match self.s.comments.get(l - 1) {
                Some(Some((text, true))) => parts.push(text.clone()),
                _ => break,
            }
            l -= 1;
        }
        parts.reverse();
        (!parts.is_empty()).then(|| parts.join(" "))
    }

    /// The comment after the code on `line`, if any.
    fn comment_beside(&self, line: usize) -> Option<String> {
        match self.s.comments.get(line.checked_sub(1)?) {
            Some(Some((text, false))) => Some(text.clone()),
            _ => None,
        }
    }

    /// One value at `path`; `context` is the comment inherited from its holders.
    fn value(&mut self, path: &str, entity: &str, context: &str) {
        let Some(first) = self.s.toks.get(self.pos).cloned() else {
            return;
        };
        // The file's header comment describes the whole world, not each input.
        let own = (!path.is_empty())
            .then(|| self.comment_above(first.line))
            .flatten();
        let context = own.as_deref().unwrap_or(context).to_string();
        match &first.tok {
            Tok::Punct('[') => {
                self.pos += 1;
                self.items(path, entity, &context, ']');
            }
            Tok::Punct('(') => {
                self.pos += 1;
                self.items(path, entity, &context, ')');
            }
            Tok::Ident(name) if self.peek(1) == Some(&Tok::Punct('(')) => {
                // A struct or enum variant: `Lease(...)`, `Constant(40.0)`.
                let _ = name;
                self.pos += 2;
                self.items(path, entity, &context, ')');
            }
            Tok::Str(v) | Tok::Num(v) | Tok::Ident(v) => {
                self.pos += 1;
                let source = self.comment_beside(first.line).unwrap_or(context);
                self.out.push(Input {
                    path: path.to_string(),
                    entity: entity.to_string(),
                    value: v.clone(),
                    unit: unit_of(path),
                    source,
                    span: (first.start, first.end),
                    line: first.line,
                });
            }
            Tok::Punct(_) => self.pos += 1,
        }
    }

    /// The fields or items inside brackets, up to and including `close`.
    fn items(&mut self, path: &str, entity: &str, context: &str, close: char) {
        let in_list = close == ']';
        let mut index = 0;
        while let Some(t) = self.peek(0).cloned() {
            match t {
                Tok::Punct(c) if c == close => {
                    self.pos += 1;
                    return;
                }
                Tok::Punct(',') => self.pos += 1,
                Tok::Punct(')') | Tok::Punct(']') => {
                    // Unbalanced text: stop at the first stray closer.
                    self.pos += 1;
                    return;
                }
                Tok::Ident(name) if self.peek(1) == Some(&Tok::Punct(':')) => {
                    self.pos += 2;
                    let child = join(path, &name);
                    let entity = if entity.is_empty() {
                        name.clone()
                    } else {
                        entity.into()
                    };
                    self.value(&child, &entity, context);
                }
                _ => {
                    let child = if in_list {
                        format!("{path}[{index}]")
                    } else {
                        join(path, &index.to_string())
                    };
                    let entity = if in_list {
                        self.item_id(close).unwrap_or_else(|| entity.to_string())
                    } else {
                        entity.to_string()
                    };
                    index += 1;
                    self.value(&child, &entity, context);
                }
            }
        }
    }

    /// The `id: "…"` of the item starting here, looked up ahead without consuming.
    fn item_id(&self, _close: char) -> Option<String> {
        let toks = &self.s.toks[self.pos..];
        let mut depth = 0i32;
        for w in toks.windows(3) {
            match &w[0].tok {
                Tok::Punct('(' | '[') => depth += 1,
                Tok::Punct(')' | ']') => {
                    depth -= 1;
                    if depth <= 0 {
                        return None;
                    }
                }
                Tok::Ident(f) if f == "id" && depth == 1 && w[1].tok == Tok::Punct(':') => {
                    if let Tok::Str(id) = &w[2].tok {
                        return Some(id.clone());
                    }
                }
                _ => {}
            }
        }
        None
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Unit words of field-name suffixes, as shown.
const UNITS: [(&str, &str); 20] = [
    ("usd", "USD"),
    ("mw", "MW"),
    ("mva", "MVA"),
    ("kw", "kW"),
    ("w", "W"),
    ("mwh", "MWh"),
    ("weeks", "weeks"),
    ("days", "days"),
    ("months", "months"),
    ("month", "month"),
    ("year", "year"),
    ("hour", "hour"),
    ("th", "TH/s"),
    ("eh", "EH/s"),
    ("btc", "BTC"),
    ("block", "block"),
    ("gpu", "GPU"),
    ("per", "per"),
    ("kwh", "kWh"),
    ("rate", ""),
];

/// The unit of the nearest path segment whose name ends in unit words, e.g.
/// `usd_per_kw_month` → `USD per kW month`, `lead_time_weeks.min` → `weeks`.
fn unit_of(path: &str) -> String {
    for seg in path.rsplit('.') {
        let name = seg.split('[').next().unwrap_or(seg);
        let words: Vec<&str> = name.split('_').filter(|w| *w != "s").collect();
        let unit_word = |w: &str| UNITS.iter().find(|(k, _)| *k == w).map(|(_, v)| *v);
        // The unit is the longest tail of words that are all unit words, starting with a
        // measure (not `per`).
        let mut start = words.len();
        while start > 0 && unit_word(words[start - 1]).is_some() {
            start -= 1;
        }
        while start < words.len() && words[start] == "rate" {
            start += 1;
        }
        if start < words.len() {
            let shown: Vec<&str> = words[start..]
                .iter()
                .filter_map(|w| unit_word(w))
                .filter(|w| !w.is_empty())
                .collect();
            return shown.join(" ");
        }
        if name == "pue" || name == "power_factor" {
            return "ratio".into();
        }
    }
    String::new()
}

/// Every input written in a world text, in the order written.
pub fn inputs(text: &str) -> Vec<Input> {
    let scanned = scan(text);
    let mut w = Walker {
        s: &scanned,
        pos: 0,
        out: Vec::new(),
    };
    // The file is one value (`World(...)`); anything after it is walked too, so no
    // input is silently skipped.
    while w.pos < scanned.toks.len() {
        let before = w.pos;
        w.value("", "", "");
        if w.pos == before {
            w.pos += 1;
        }
    }
    w.out
}

#[cfg(test)]
mod tests {
    use super::*;

    const WORLD: &str = r#"#![enable(implicit_some)]
World(
    site: Site(
        name: "Site <b>",
        horizon_months: 180, // 15 years
        // Hurdle rate: assumption.
        discount_rate_per_year: 0.10,
    ),
    transformers: [
        // One per hall.
        Transformer(id: "T-A", substation: "SUB-1", rating_mva: 25.0),
    ],
    markets: Markets(
        btc_price_usd: Constant(50000.0), // Luxor 2025
        gpu_lease: Lease(usd_per_kw_month: 121.5, power_pass_through: true),
    ),
)
"#;

    #[test]
    fn every_scalar_is_an_input_with_its_comment_and_unit() {
        let all = inputs(WORLD);
        let get = |p: &str| all.iter().find(|i| i.path == p).unwrap();
        assert_eq!(get("site.name").value, "Site <b>");
        let h = get("site.horizon_months");
        assert_eq!(
            (h.value.as_str(), h.unit.as_str(), h.source.as_str()),
            ("180", "months", "15 years")
        );
        let d = get("site.discount_rate_per_year");
        assert_eq!(d.source, "Hurdle rate: assumption.");
        let t = get("transformers[0].rating_mva");
        assert_eq!(
            (t.unit.as_str(), t.entity.as_str(), t.source.as_str()),
            ("MVA", "T-A", "One per hall.")
        );
        let b = get("markets.btc_price_usd.0");
        assert_eq!(
            (b.value.as_str(), b.unit.as_str(), b.source.as_str()),
            ("50000.0", "USD", "Luxor 2025")
        );
        assert_eq!(
            get("markets.gpu_lease.usd_per_kw_month").unit,
            "USD per kW month"
        );
        assert_eq!(all.len(), 9);
    }

    #[test]
    fn spans_point_at_the_values_in_the_text() {
        for i in inputs(WORLD) {
            let written = &WORLD[i.span.0..i.span.1];
            assert_eq!(written.trim_matches('"'), i.value, "{}", i.path);
        }
    }

    #[test]
    fn the_shipped_reference_world_gives_every_figure_a_source() {
        let text = include_str!("../../../worlds/reference.ron");
        let all = inputs(text);
        let lease = all
            .iter()
            .find(|i| i.path == "markets.gpu_lease.usd_per_kw_month")
            .unwrap();
        assert!(lease.source.contains("CoreWeave"), "{}", lease.source);
        assert!(
            all.iter()
                .any(|i| i.path.starts_with("plan[") && i.path.ends_with(".start"))
        );
    }

    #[test]
    fn unbalanced_or_garbage_text_never_panics() {
        for t in [
            "",
            "(",
            ")",
            "World(a: [1, 2",
            "\"unterminated",
            "a: /* x",
            "é(ü: 1)",
        ] {
            let _ = inputs(t);
        }
    }
}
