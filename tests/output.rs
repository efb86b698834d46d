//! Safe output through the command line: an existing output folder is replaced whole,
//! never merged, no partial folder is left behind, and a file in the way is not touched.

use std::process::Command;

fn retrofit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_retrofit"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run retrofit")
}

#[test]
fn an_existing_output_folder_is_replaced_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("fan.png"), "from an older sweep").unwrap();
    let o = retrofit(&[
        "run",
        "tests/data/valid-small.ron",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{o:?}");
    assert!(!out.join("fan.png").exists(), "old files must not survive");
    for f in ["ledger.csv", "events.csv", "summary.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["out"], "no temporary folder is left next to it");
}

#[test]
fn a_file_in_the_way_of_the_output_folder_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::write(&out, "not a folder").unwrap();
    let o = retrofit(&[
        "run",
        "tests/data/valid-small.ron",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("is not a folder"),
        "{o:?}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "not a folder");
}

// Regression: `--out` naming a folder of the user's used to delete everything in it.
#[test]
fn a_folder_holding_other_files_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
    let o = retrofit(&[
        "run",
        "tests/data/valid-small.ron",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{o:?}");
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("notes.txt"),
        "{o:?}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "mine"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing written beside it either");
}
