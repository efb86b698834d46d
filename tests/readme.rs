//! Every command README.md shows is run here, so the README cannot rot.
//!
//! Commands run in a scratch folder where `worlds/` points at the shipped worlds, in
//! README order (so `init` creates the file a later `run` uses). Two changes keep the
//! suite fast in debug builds, and are the only ones: `--runs N` is capped at 16, and
//! the Slurm array script runs its 8 tasks one after another.

mod common;

use std::path::Path;

/// (language, lines) of each fenced code block.
fn code_blocks(text: &str) -> Vec<(String, Vec<String>)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, Vec<String>)> = None;
    for line in text.lines() {
        if let Some(lang) = line.strip_prefix("```") {
            match current.take() {
                Some(b) => blocks.push(b),
                None => current = Some((lang.trim().to_string(), Vec::new())),
            }
        } else if let Some((_, lines)) = current.as_mut() {
            lines.push(line.to_string());
        }
    }
    blocks
}

/// Joins `\` continuations and drops trailing `# comments`.
fn commands(lines: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let mut acc = String::new();
    for l in lines {
        let l = l.trim();
        if let Some(body) = l.strip_suffix('\\') {
            acc.push_str(body);
            acc.push(' ');
            continue;
        }
        acc.push_str(l);
        let cmd = match acc.find(" # ") {
            Some(i) => acc[..i].trim().to_string(),
            None => acc.trim().to_string(),
        };
        if !cmd.is_empty() && !cmd.starts_with('#') {
            out.push(cmd);
        }
        acc.clear();
    }
    out
}

fn cap_runs(args: &mut [String]) {
    for i in 1..args.len() {
        if args[i - 1] == "--runs" {
            let n: u64 = args[i].parse().expect("--runs takes a number");
            args[i] = n.min(16).to_string();
        }
    }
}

fn run_retrofit(dir: &Path, args: &[String]) {
    let o = common::retrofit()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs");
    assert!(
        o.status.success(),
        "README command `retrofit {}` failed:\n{}{}",
        args.join(" "),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn every_readme_command_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let scratch = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(root.join("worlds"), scratch.path().join("worlds")).unwrap();
    let mut ran = 0;
    for (lang, lines) in code_blocks(&readme) {
        for cmd in commands(&lines) {
            let words: Vec<String> = cmd.split_whitespace().map(String::from).collect();
            let args: Vec<String> = match words.as_slice() {
                [c, r, rel, dash, rest @ ..]
                    if c == "cargo" && r == "run" && rel == "--release" && dash == "--" =>
                {
                    rest.to_vec()
                }
                [c, t, ..] if c == "cargo" && t == "test" => continue,
                [r, rest @ ..] if r == "retrofit" && lang == "bash" => rest.to_vec(),
                _ => continue,
            };
            if args.iter().any(|a| a.contains("${SLURM_ARRAY_TASK_ID}")) {
                for task in 0..8 {
                    let mut a: Vec<String> = args
                        .iter()
                        .map(|x| x.replace("${SLURM_ARRAY_TASK_ID}", &task.to_string()))
                        .collect();
                    cap_runs(&mut a);
                    run_retrofit(scratch.path(), &a);
                }
            } else {
                let mut a = args;
                cap_runs(&mut a);
                run_retrofit(scratch.path(), &a);
            }
            ran += 1;
        }
    }
    assert!(
        ran >= 10,
        "expected the README's commands to be found, ran {ran}"
    );
    // The tutorial's outputs are where README says they go.
    for f in [
        "output/reference/ledger.csv",
        "output/class/timeline.png",
        "output/compare/compare.csv",
    ] {
        assert!(scratch.path().join(f).exists(), "{f} missing");
    }
}

#[test]
fn the_readme_starts_with_the_run_and_test_commands() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let (_, first) = &code_blocks(&readme)[0];
    let cmds = commands(first);
    assert_eq!(
        cmds,
        [
            "cargo run --release -- run worlds/reference.ron",
            "scripts/test.sh"
        ]
    );
    let ci =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "scripts/test.sh"),
        ".ci/run must run README's test command"
    );
}
