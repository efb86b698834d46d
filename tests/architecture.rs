//! Architecture rules, checked on the source itself (issue 10): data flows one way, so
//! the graph of top-level modules has no cycle, and no function outside tests is longer
//! than ~80 lines.
//!
//! The source is read as text, not compiled: comments (doc comments included), string
//! and character literals are blanked first, then `#[cfg(test)]` items, so a path in a
//! comment, a message or a unit test is no dependency. A reference is a path that
//! starts with `crate::` or with `super::` and resolves to a top-level module (one of
//! `src/lib.rs`'s `mod` items), including `use` groups such as `crate::{a, b::c}`. A
//! path to a name the crate root re-exports (`crate::Scenario`) counts as a reference
//! to the module it comes from; the root's own functions (`crate::run`) are the facade,
//! not a module, and are not counted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Longest function allowed outside tests, in lines from `fn` to its closing brace.
const MAX_FN_LINES: usize = 80;

// ---- reading the source ----

/// `src` with comments and the contents of string and character literals replaced by
/// spaces. Newlines are kept, so line numbers stay right, and the quotes are kept, so a
/// literal still separates the tokens around it.
fn blank_comments_and_literals(src: &str) -> String {
    let c: Vec<char> = src.chars().collect();
    let mut out: Vec<char> = c.clone();
    let blank = |out: &mut Vec<char>, from: usize, to: usize| {
        for ch in out.iter_mut().take(to.min(c.len())).skip(from) {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
    };
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            let end = (i..c.len()).find(|&j| c[j] == '\n').unwrap_or(c.len());
            blank(&mut out, i, end);
            i = end;
        } else if c[i] == '/' && next == Some('*') {
            // Block comments nest in Rust.
            let (mut depth, mut j) = (0usize, i);
            while j < c.len() {
                if c[j] == '/' && c.get(j + 1) == Some(&'*') {
                    depth += 1;
                    j += 2;
                } else if c[j] == '*' && c.get(j + 1) == Some(&'/') {
                    depth -= 1;
                    j += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    j += 1;
                }
            }
            blank(&mut out, i, j);
            i = j;
        } else if c[i] == 'r'
            && (i == 0 || !ident(c[i - 1]) || (c[i - 1] == 'b' && (i < 2 || !ident(c[i - 2]))))
            && matches!(next, Some('"') | Some('#'))
        {
            // A raw string r"…", r#"…"#, br"…"; `r#name` is a raw identifier.
            let hashes = (i + 1..c.len()).take_while(|&j| c[j] == '#').count();
            let open = i + 1 + hashes;
            if c.get(open) != Some(&'"') {
                i += 1;
                continue;
            }
            let mut j = open + 1;
            while j < c.len() {
                if c[j] == '"' && (j + 1..j + 1 + hashes).all(|k| c.get(k) == Some(&'#')) {
                    break;
                }
                j += 1;
            }
            blank(&mut out, open + 1, j);
            i = j + 1 + hashes;
        } else if c[i] == '"' {
            let mut j = i + 1;
            while j < c.len() && c[j] != '"' {
                j += if c[j] == '\\' { 2 } else { 1 };
            }
            blank(&mut out, i + 1, j);
            i = j + 1;
        } else if c[i] == '\'' {
            // A char literal ('a', '\n', '\u{1b}'), or a lifetime ('a, 'static).
            if next == Some('\\') {
                let end = (i + 2..c.len()).find(|&j| c[j] == '\'').unwrap_or(c.len());
                blank(&mut out, i + 1, end);
                i = end + 1;
            } else if c.get(i + 2) == Some(&'\'') {
                blank(&mut out, i + 1, i + 2);
                i += 3;
            } else {
                i += 1;
            }
        } else {
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// Blanks every `#[cfg(test)]` item (a test module, a test-only function) of code
/// whose comments and literals are already blank.
fn blank_test_items(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut c: Vec<char> = code.chars().collect();
    let text: String = c.iter().collect();
    let mut starts = Vec::new();
    let mut from = 0;
    while let Some(k) = text[from..].find(MARK) {
        starts.push(text[..from + k].chars().count());
        from += k + MARK.len();
    }
    for start in starts.into_iter().rev() {
        // The item ends at its first `;` or at the brace closing its first `{`, both
        // outside brackets (an array type `[u8; 4]` holds a `;`).
        let mut j = start + MARK.chars().count();
        let (mut brackets, mut braces) = (0i32, 0i32);
        while j < c.len() {
            match c[j] {
                '(' | '[' => brackets += 1,
                ')' | ']' => brackets -= 1,
                ';' if brackets == 0 && braces == 0 => break,
                '{' if brackets == 0 => braces += 1,
                '}' if brackets == 0 => {
                    braces -= 1;
                    if braces == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        let end = (j + 1).min(c.len());
        for ch in c.iter_mut().take(end).skip(start) {
            if *ch != '\n' {
                *ch = ' ';
            }
        }
    }
    c.into_iter().collect()
}

/// A token of blanked code with its line (1-based).
#[derive(Debug, Clone, PartialEq)]
struct Token {
    text: String,
    line: usize,
}

/// Identifiers, `::` and single punctuation characters.
fn tokens(code: &str) -> Vec<Token> {
    let c: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphanumeric() || ch == '_' {
            let j = (i..c.len())
                .find(|&j| !(c[j].is_alphanumeric() || c[j] == '_'))
                .unwrap_or(c.len());
            out.push(Token {
                text: c[i..j].iter().collect(),
                line,
            });
            i = j;
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            out.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            out.push(Token {
                text: ch.to_string(),
                line,
            });
            i += 1;
        }
    }
    out
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read src/") {
            let p = e.expect("read src/ entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The module path of a file under `src/`: `report/tornado.rs` → `[report, tornado]`,
/// `a/mod.rs` → `[a]`, `lib.rs` → `[]`.
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

// ---- paths ----

/// One path of a `use` tree (or of an expression path): its segments, and the name it
/// is bound to (`as` alias, else its last segment).
#[derive(Debug, Clone, PartialEq)]
struct UsePath {
    segments: Vec<String>,
    bound: String,
}

/// Parses a path or use tree starting at `t[i]` (after any leading `crate ::` etc.,
/// which the caller passes as `prefix`), returning its paths and the index after it.
fn parse_tree(t: &[Token], mut i: usize, prefix: Vec<String>) -> (Vec<UsePath>, usize) {
    let mut segs = prefix;
    loop {
        match t.get(i).map(|x| x.text.as_str()) {
            Some("{") => {
                let mut out = Vec::new();
                i += 1;
                while let Some(tok) = t.get(i) {
                    match tok.text.as_str() {
                        "}" => return (out, i + 1),
                        "," => i += 1,
                        _ => {
                            let (mut paths, next) = parse_tree(t, i, segs.clone());
                            out.append(&mut paths);
                            if next == i {
                                i += 1;
                            } else {
                                i = next;
                            }
                        }
                    }
                }
                return (out, i);
            }
            Some("*") => {
                return (
                    vec![UsePath {
                        bound: "*".into(),
                        segments: segs,
                    }],
                    i + 1,
                );
            }
            Some(w) if w.chars().all(|ch| ch.is_alphanumeric() || ch == '_') => {
                segs.push(w.to_string());
                i += 1;
                if t.get(i).is_some_and(|x| x.text == "::")
                    && t.get(i + 1).is_some_and(|x| x.text != "<")
                {
                    i += 1;
                    continue;
                }
                let mut bound = segs.last().cloned().unwrap_or_default();
                if t.get(i).is_some_and(|x| x.text == "as") {
                    if let Some(alias) = t.get(i + 1) {
                        bound = alias.text.clone();
                    }
                    i += 2;
                }
                return (
                    vec![UsePath {
                        segments: segs,
                        bound,
                    }],
                    i,
                );
            }
            _ => return (Vec::new(), i),
        }
    }
}

/// What the crate root knows: its modules, and the names it re-exports with the
/// top-level module each comes from (`Scenario` → `scenario`, `text` → `report`).
struct Root {
    modules: BTreeSet<String>,
    reexports: BTreeMap<String, String>,
}

impl Root {
    fn read(lib: &str) -> Self {
        let t = tokens(&blank_test_items(&blank_comments_and_literals(lib)));
        let mut modules = BTreeSet::new();
        let mut reexports = BTreeMap::new();
        // Inline `pub mod name { pub use … }` blocks re-export under `name`.
        let mut inline: Vec<(String, usize)> = Vec::new();
        let mut depth = 0usize;
        let mut inline_tops: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut i = 0;
        while i < t.len() {
            let w = t[i].text.as_str();
            match w {
                "{" => depth += 1,
                "}" => {
                    depth = depth.saturating_sub(1);
                    if inline.last().is_some_and(|(_, d)| *d == depth) {
                        inline.pop();
                    }
                }
                "mod" => {
                    let name = t.get(i + 1).map(|x| x.text.clone()).unwrap_or_default();
                    match t.get(i + 2).map(|x| x.text.as_str()) {
                        Some(";") if depth == 0 => {
                            modules.insert(name);
                        }
                        Some("{") => {
                            inline.push((name, depth));
                        }
                        _ => {}
                    }
                }
                "use" if i > 0 && t[i - 1].text == "pub" => {
                    let (paths, next) = parse_tree(&t, i + 1, Vec::new());
                    for p in paths {
                        let segs: Vec<&str> = p
                            .segments
                            .iter()
                            .map(String::as_str)
                            .skip_while(|s| *s == "crate" || *s == "self")
                            .collect();
                        let Some(top) = segs.first() else { continue };
                        match inline.first() {
                            Some((outer, _)) => {
                                inline_tops
                                    .entry(outer.clone())
                                    .or_default()
                                    .insert(top.to_string());
                            }
                            None if p.bound != "*" => {
                                reexports.insert(p.bound.clone(), top.to_string());
                            }
                            None => {}
                        }
                    }
                    i = next;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        for (name, tops) in inline_tops {
            if tops.len() == 1 {
                reexports.extend(tops.into_iter().map(|top| (name.clone(), top)));
            }
        }
        Self { modules, reexports }
    }

    /// The top-level module a root-level name belongs to, if any.
    fn top(&self, name: &str) -> Option<String> {
        if self.modules.contains(name) {
            return Some(name.to_string());
        }
        self.reexports
            .get(name)
            .filter(|m| self.modules.contains(*m))
            .cloned()
    }
}

/// The top-level modules a file's code refers to, each with the first line doing so.
/// `file` is the file's module path; inline (non-test) modules inside it are followed
/// so `super::` resolves from where it is written.
fn references(code: &str, file: &[String], root: &Root) -> BTreeMap<String, usize> {
    let t = tokens(code);
    let mut out: BTreeMap<String, usize> = BTreeMap::new();
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < t.len() {
        let w = t[i].text.as_str();
        match w {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            "mod" if t.get(i + 2).is_some_and(|x| x.text == "{") => {
                inline.push((t[i + 1].text.clone(), depth));
            }
            "crate" | "super"
                if t.get(i + 1).is_some_and(|x| x.text == "::")
                    && (i == 0 || t[i - 1].text != "$") =>
            {
                let mut here: Vec<String> = file.to_vec();
                here.extend(inline.iter().map(|(n, _)| n.clone()));
                let mut j = i;
                let base = if w == "crate" {
                    j += 2;
                    Vec::new()
                } else {
                    while t.get(j).is_some_and(|x| x.text == "super")
                        && t.get(j + 1).is_some_and(|x| x.text == "::")
                    {
                        here.pop();
                        j += 2;
                    }
                    here
                };
                let (paths, next) = parse_tree(&t, j, Vec::new());
                for p in paths {
                    let top = match base.first() {
                        Some(top) => Some(top.clone()),
                        None => p.segments.first().and_then(|s| root.top(s)),
                    };
                    if let Some(top) = top {
                        out.entry(top).or_insert(t[i].line);
                    }
                }
                i = next.max(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Edges `from → to` of the module graph, each with where it is first made.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

/// The graph of top-level modules of the crate in `src`.
fn module_graph(src: &Path) -> Graph {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("read src/lib.rs");
    let root = Root::read(&lib);
    let mut graph = Graph::new();
    for path in rust_files(src) {
        let rel = path.strip_prefix(src).expect("under src/");
        // main.rs is the binary, a crate of its own; lib.rs is the facade.
        if rel == Path::new("main.rs") || rel == Path::new("lib.rs") {
            continue;
        }
        let file = module_path(rel);
        let code = blank_test_items(&blank_comments_and_literals(
            &std::fs::read_to_string(&path).expect("read source"),
        ));
        for (to, line) in references(&code, &file, &root) {
            if to != file[0] {
                graph
                    .entry(file[0].clone())
                    .or_default()
                    .entry(to)
                    .or_insert_with(|| format!("src/{}:{line}", rel.display()));
            }
        }
    }
    graph
}

/// A cycle of the graph, spelled out with where each edge is made, if there is one.
fn find_cycle(graph: &Graph) -> Option<String> {
    fn visit(
        n: &str,
        graph: &Graph,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flat_map(|e| e.keys()) {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                0 => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
                1 => {
                    let from = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(m.clone());
                    return Some(cycle);
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0 {
            if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
                let mut text = c[0].clone();
                for w in c.windows(2) {
                    text += &format!(" → {} ({})", w[1], graph[&w[0]][&w[1]]);
                }
                return Some(text);
            }
        }
    }
    None
}

/// Functions of blanked code longer than `max` lines: `(name, first line, lines)`.
fn long_functions(code: &str, max: usize) -> Vec<(String, usize, usize)> {
    let t = tokens(code);
    let mut out = Vec::new();
    for i in 0..t.len() {
        let named = t[i].text == "fn"
            && t.get(i + 1).is_some_and(|x| {
                x.text
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphabetic() || c == '_')
            });
        if !named {
            continue;
        }
        // The body is the first `{` outside brackets; a `;` first means no body.
        let mut j = i + 2;
        let mut brackets = 0i32;
        let open = loop {
            match t.get(j).map(|x| x.text.as_str()) {
                None => break None,
                Some("(" | "[") => brackets += 1,
                Some(")" | "]") => brackets -= 1,
                Some(";") if brackets == 0 => break None,
                Some("{") if brackets == 0 => break Some(j),
                _ => {}
            }
            j += 1;
        };
        let Some(open) = open else { continue };
        let mut depth = 0i32;
        let close = (open..t.len()).find(|&k| {
            match t[k].text.as_str() {
                "{" => depth += 1,
                "}" => depth -= 1,
                _ => {}
            }
            depth == 0
        });
        let end = close.map_or(t[t.len() - 1].line, |k| t[k].line);
        let lines = end - t[i].line + 1;
        if lines > max {
            out.push((t[i + 1].text.clone(), t[i].line, lines));
        }
    }
    out
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

// ---- the rules ----

#[test]
fn the_top_level_modules_import_no_circle() {
    let graph = module_graph(&src_dir());
    // The graph is real: the layers the architecture names depend on each other.
    let edge = |a: &str, b: &str| graph.get(a).is_some_and(|e| e.contains_key(b));
    assert!(
        edge("engine", "scenario") && edge("report", "engine"),
        "{graph:#?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!("import circle between top-level modules: {cycle}");
    }
}

#[test]
fn no_function_outside_tests_is_longer_than_80_lines() {
    let src = src_dir();
    let mut long = Vec::new();
    for path in rust_files(&src) {
        let code = blank_test_items(&blank_comments_and_literals(
            &std::fs::read_to_string(&path).expect("read source"),
        ));
        for (name, line, lines) in long_functions(&code, MAX_FN_LINES) {
            let rel = path.strip_prefix(&src).expect("under src/").display();
            long.push(format!("src/{rel}:{line} {name} ({lines} lines)"));
        }
    }
    assert!(
        long.is_empty(),
        "functions over {MAX_FN_LINES} lines outside tests:\n  {}",
        long.join("\n  ")
    );
}

// ---- the checker checks what it claims ----

#[test]
fn comments_strings_chars_and_test_modules_are_not_code() {
    let src = r##"
// crate::a in a line comment
/* crate::b /* nested crate::c */ still crate::d */
/// crate::e in a doc comment
let s = "crate::f \" crate::g";
let r = r#"crate::h "quoted" crate::i"#;
let c = '"'; let q = '\''; fn f<'a>(x: &'a str) {}
use crate::real;
#[cfg(test)]
mod tests { use crate::j; fn t() { let x = [0u8; 4]; } }
use crate::after;
"##;
    let code = blank_test_items(&blank_comments_and_literals(src));
    let root = Root {
        modules: [
            "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "real", "after",
        ]
        .map(String::from)
        .into(),
        reexports: BTreeMap::new(),
    };
    let refs: Vec<String> = references(&code, &["m".into()], &root)
        .into_keys()
        .collect();
    assert_eq!(refs, ["after", "real"]);
    assert_eq!(code.lines().count(), src.lines().count());
}

#[test]
fn groups_super_paths_and_reexports_resolve_to_their_modules() {
    let root = Root::read(
        "mod a; mod b; mod c; mod d;\npub use d::{Thing, other::Name as Alias};\n\
         pub mod text { pub use crate::c::narrative; }\npub fn run() {}",
    );
    assert_eq!(root.top("Alias").as_deref(), Some("d"));
    assert_eq!(root.top("text").as_deref(), Some("c"));
    assert_eq!(root.top("run"), None);
    let code = "use crate::{a::X, b};\nfn f() { super::super::Thing::new(); crate::run(); }\n\
                mod inner { use super::sibling; }";
    let refs = references(code, &["c".into(), "deep".into()], &root);
    assert_eq!(refs.keys().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
    // `super::sibling` from an inline module of c/deep.rs is c::deep::sibling: c.
    assert_eq!(refs["c"], 3);
}

#[test]
fn a_planted_circle_is_found_and_spelled_out() {
    let mut graph = Graph::new();
    let mut add = |a: &str, b: &str, at: &str| {
        graph
            .entry(a.into())
            .or_default()
            .insert(b.into(), at.into());
    };
    add("engine", "scenario", "src/engine.rs:3");
    add("report", "engine", "src/report.rs:4");
    add("report", "sensitivity", "src/report/tornado.rs:11");
    add("sensitivity", "report", "src/sensitivity/folder.rs:9");
    assert_eq!(
        find_cycle(&graph).as_deref(),
        Some(
            "report → sensitivity (src/report/tornado.rs:11) → report \
             (src/sensitivity/folder.rs:9)"
        )
    );
    graph.get_mut("report").map(|e| e.remove("sensitivity"));
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn function_length_counts_from_fn_to_its_closing_brace() {
    // `short` is exactly 80 lines (1–80), `long` 81 (81–161).
    let body = "    x += 1;\n".repeat(78);
    let code = format!(
        "fn short() -> [u8; 2] {{\n{body}}}\nfn long(a: [u8; 2]) {{\n{body}    x += 1;\n}}\n\
         trait T {{ fn declared(&self); }}\nlet p: fn(&f64) -> String = g;"
    );
    let long = long_functions(&code, MAX_FN_LINES);
    assert_eq!(long, [("long".to_string(), 81, 81)]);
}
