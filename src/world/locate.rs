//! Finds where an entity is declared in the world text, so that a problem can point at
//! `file:line:col`. A small scanner skips comments and string contents, so a mention of
//! an id in a comment or in another entity's reference is never taken for its
//! declaration.

use super::check::Kind;
use std::borrow::Cow;

/// A token of the world text that matters for locating: identifiers, string literals
/// and the punctuation around them, with its byte offset.
#[derive(Debug, PartialEq)]
enum Tok<'a> {
    Ident(&'a str),
    /// A string literal's value, escapes decoded (`"T\u{31}"` is `T1`).
    Str(Cow<'a, str>),
    Punct(char),
}

fn scan(text: &str) -> Vec<(usize, Tok<'_>)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                let end = i.min(b.len());
                if let Some(s) = text.get(start..end).and_then(unescape) {
                    out.push((start - 1, Tok::Str(s)));
                }
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                    i += 1;
                }
                out.push((start, Tok::Ident(&text[start..i])));
            }
            c @ (b'(' | b')' | b'[' | b']' | b':' | b',') => {
                out.push((i, Tok::Punct(c as char)));
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The value of a string literal's contents, decoding ron's escapes (`\n`, `\x41`,
/// `\u{41}`, …) as the parser does; `None` if an escape is malformed (ron refuses it).
fn unescape(raw: &str) -> Option<Cow<'_, str>> {
    if !raw.contains('\\') {
        return Some(Cow::Borrowed(raw));
    }
    // Bytes, so that `\xC3\xA9` sequences rebuild a multi-byte character.
    let mut out = Vec::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            continue;
        }
        let decoded = match chars.next()? {
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            '0' => '\0',
            'x' => {
                let hex: String = chars.by_ref().take(2).collect();
                out.push(u8::from_str_radix(&hex, 16).ok()?);
                continue;
            }
            'u' => {
                let rest = chars.as_str().strip_prefix('{')?;
                let (hex, after) = rest.split_once('}')?;
                chars = after.chars();
                char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
            }
            c @ ('\'' | '"' | '\\') => c,
            _ => return None,
        };
        out.extend_from_slice(decoded.encode_utf8(&mut [0; 4]).as_bytes());
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

/// Sections and site-wide entities, located by their key.
fn section_key(entity: &str) -> Option<&'static str> {
    Some(match entity {
        "site" => "site",
        "markets" => "markets",
        "racks" => "racks",
        "plan" => "plan",
        "network" => "network",
        "power_prices" => "power_prices",
        "flexibility" => "flexibility",
        "site interconnect" => "interconnect_mw",
        "sla" => "sla",
        "finance" => "finance",
        "finance leases" => "leases",
        "finance opex" => "opex",
        "finance capital" => "capital",
        "finance tax" => "tax",
        "finance terminal value" => "terminal_value",
        _ => return None,
    })
}

/// Name of the struct whose parentheses enclose token `at`, if written.
fn enclosing_struct<'a>(toks: &[(usize, Tok<'a>)], at: usize) -> Option<&'a str> {
    let mut depth = 0usize;
    for j in (0..at).rev() {
        match toks[j].1 {
            Tok::Punct(')') | Tok::Punct(']') => depth += 1,
            Tok::Punct('(') | Tok::Punct('[') if depth > 0 => depth -= 1,
            Tok::Punct('(') => {
                return match toks.get(j.wrapping_sub(1)) {
                    Some((_, Tok::Ident(name))) => Some(name),
                    _ => None,
                };
            }
            _ => {}
        }
    }
    None
}

/// An index of the world text, built once, that answers where entities are declared.
pub(crate) struct Locator<'a> {
    text: &'a str,
    toks: Vec<(usize, Tok<'a>)>,
    /// Token indices of `id: "X"` strings, by id, in file order.
    decls: std::collections::HashMap<Cow<'a, str>, Vec<usize>>,
    /// Byte offsets of line starts.
    lines: Vec<usize>,
}

impl<'a> Locator<'a> {
    /// Scans `text` once.
    pub(crate) fn new(text: &'a str) -> Self {
        // Columns count from after a byte-order mark, as the parser's do.
        let text = super::without_bom(text);
        let toks = scan(text);
        let mut decls: std::collections::HashMap<Cow<str>, Vec<usize>> = Default::default();
        for i in 2..toks.len() {
            if let (Tok::Str(id), Tok::Punct(':'), Tok::Ident("id")) =
                (&toks[i].1, &toks[i - 1].1, &toks[i - 2].1)
            {
                decls.entry(id.clone()).or_default().push(i);
            }
        }
        let lines = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            text,
            toks,
            decls,
            lines,
        }
    }

    /// Byte offset of the `nth` (0-based) declaration of `entity`: the `id: "X"` string
    /// of an entity of that kind (`substation X`, `plan step X`, …), or the key of a
    /// section (`site`, `markets`). Falls back to the first `id: "X"` of any kind, then
    /// to the first `"X"` anywhere.
    pub(crate) fn offset(&self, entity: &str, nth: usize) -> Option<usize> {
        let toks = &self.toks;
        if let Some(key) = section_key(entity) {
            return toks.windows(2).find_map(|w| match w {
                [(at, Tok::Ident(k)), (_, Tok::Punct(':'))] if *k == key => Some(*at),
                _ => None,
            });
        }
        if let Some(at) = entity
            .strip_prefix("hall ")
            .and_then(|hall| self.hall_declaration(hall, nth))
        {
            return Some(at);
        }
        let (kind, mut id) = split_entity(entity)?;
        // An entity without an id is named by position (`substation #2`); point at its
        // `id: ""`.
        if id.starts_with('#') && kind.is_some() {
            id = "";
        }
        let decls: &[usize] = self.decls.get(id).map_or(&[], |v| v.as_slice());
        let of_kind: Vec<usize> = match kind.map(Kind::constructors) {
            Some(names) => decls
                .iter()
                .copied()
                .filter(|&i| enclosing_struct(toks, i - 2).is_none_or(|n| names.contains(&n)))
                .collect(),
            None => Vec::new(),
        };
        of_kind
            .get(nth)
            .or_else(|| of_kind.last())
            .or_else(|| decls.first())
            .map(|&i| toks[i].0)
            .or_else(|| {
                toks.iter().find_map(|(at, t)| match t {
                    Tok::Str(s) if s == id => Some(*at),
                    _ => None,
                })
            })
    }

    /// Byte offset of the `hall: "X"` string opening the `nth` (0-based; the last if
    /// fewer) `redundancy` declaration of hall X, `(hall: "X", …)`: a `backup` entry
    /// names its hall after its id, so it never opens with `hall`.
    fn hall_declaration(&self, hall: &str, nth: usize) -> Option<usize> {
        let found: Vec<usize> = self
            .toks
            .windows(4)
            .filter_map(|w| match w {
                [
                    (_, Tok::Punct('(')),
                    (_, Tok::Ident("hall")),
                    (_, Tok::Punct(':')),
                    (at, Tok::Str(s)),
                ] if s == hall => Some(*at),
                _ => None,
            })
            .collect();
        found.get(nth).or(found.last()).copied()
    }

    /// 1-based (line, column) of a byte offset, columns counted in characters.
    pub(crate) fn line_col(&self, at: usize) -> (usize, usize) {
        let line = self.lines.partition_point(|&s| s <= at).max(1);
        let start = self.lines[line - 1];
        let col = self.text.get(start..at).map_or(0, |s| s.chars().count());
        (line, col + 1)
    }

    /// [`Locator::offset`] as a 1-based (line, column).
    pub(crate) fn locate(&self, entity: &str, nth: usize) -> Option<(usize, usize)> {
        self.offset(entity, nth).map(|at| self.line_col(at))
    }
}

/// Splits `plan step gpu-1` into (the kind, `gpu-1`); the kind is `None` for other
/// entities (`site interconnect`), whose last word is taken as the id.
fn split_entity(entity: &str) -> Option<(Option<Kind>, &str)> {
    for kind in Kind::ALL {
        let noun = kind.noun();
        if let Some(id) = entity.strip_prefix(noun).and_then(|r| r.strip_prefix(' ')) {
            return Some((Some(kind), id));
        }
    }
    entity.rsplit_once(' ').map(|(_, id)| (None, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"World(
    // T1 is "T1" in a comment
    site: Site(name: "x"),
    transformers: [
        Transformer(id: "T2", substation: "T1"),
        Transformer(id: "T1", substation: "S"),
        Transformer(id: "T1", substation: "S"),
    ],
    racks: [RackGroup(id: "T1", transformer: "T1")],
    markets: Markets(),
)"#;

    fn locate(text: &str, entity: &str, nth: usize) -> Option<(usize, usize)> {
        Locator::new(text).locate(entity, nth)
    }

    #[test]
    fn points_at_the_declaration_not_the_first_mention() {
        assert_eq!(locate(TEXT, "transformer T1", 0), Some((6, 25)));
        assert_eq!(locate(TEXT, "transformer T1", 1), Some((7, 25)));
    }

    #[test]
    fn tells_kinds_apart() {
        assert_eq!(locate(TEXT, "rack group T1", 0), Some((9, 27)));
    }

    #[test]
    fn sections_point_at_their_key() {
        assert_eq!(locate(TEXT, "site", 0), Some((3, 5)));
        assert_eq!(locate(TEXT, "markets", 0), Some((10, 5)));
    }

    #[test]
    fn string_escapes_are_decoded_as_the_parser_does() {
        assert_eq!(unescape("T1").as_deref(), Some("T1"));
        assert_eq!(unescape(r"T\u{31}").as_deref(), Some("T1"));
        assert_eq!(
            unescape(r#"\x54\x31\n\t\\\""#).as_deref(),
            Some("T1\n\t\\\"")
        );
        assert_eq!(unescape(r"caf\xC3\xA9").as_deref(), Some("café"));
        assert_eq!(unescape(r"\q"), None);
        assert_eq!(unescape(r"\u{110000}"), None);
    }

    #[test]
    fn a_byte_order_mark_does_not_shift_columns() {
        let with = format!("\u{feff}{TEXT}");
        assert_eq!(locate(&with, "transformer T1", 0), Some((6, 25)));
        assert_eq!(locate(&with, "site", 0), Some((3, 5)));
    }

    #[test]
    fn unknown_entities_are_not_located() {
        assert_eq!(locate(TEXT, "plan step nope", 0), None);
    }
}
