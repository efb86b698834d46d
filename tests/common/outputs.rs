//! Running the binary and reading what it wrote, for the tests that check its output
//! folders (cli, report_html, browser). Declared by those tests with
//! `#[path = "common/outputs.rs"] mod outputs;` beside `mod common;`, so that a test
//! that does not use these helpers does not compile them (and warn them unused).

use std::ffi::OsStr;
use std::path::Path;
use std::process::Output;

/// Runs `retrofit ARGS` from the crate root and returns what it did, whatever its exit
/// status.
pub fn output<S: AsRef<OsStr>>(args: impl IntoIterator<Item = S>) -> Output {
    super::common::retrofit()
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs `retrofit ARGS`, which must succeed; a failure shows the arguments and stderr.
pub fn run_ok<S: AsRef<OsStr> + std::fmt::Debug>(args: impl IntoIterator<Item = S>) -> Output {
    let args: Vec<S> = args.into_iter().collect();
    let o = output(&args);
    assert!(
        o.status.success(),
        "retrofit {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// A text file the test expects to exist.
pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `summary.json` in an output folder.
pub fn summary(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&read(dir.join("summary.json"))).expect("summary.json is JSON")
}
