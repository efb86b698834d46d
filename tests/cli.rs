//! The `retrofit` binary as a user runs it.

mod common;

use std::path::Path;
use std::process::Command;

fn retrofit(args: &[&str]) -> std::process::Output {
    common::retrofit()
        .args(args)
        .output()
        .expect("the binary runs")
}

#[test]
fn run_writes_the_ledger_events_and_summary_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("teaching");
    let o = retrofit(&["run", "worlds/teaching.ron", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("NPV"), "{stdout}");
    assert!(stdout.contains("first GPU energised   2027-03"), "{stdout}");
    let ledger = std::fs::read_to_string(out.join("ledger.csv")).unwrap();
    let header = ledger.lines().next().unwrap();
    for col in [
        "month",
        "asic_it_mw",
        "gpu_it_mw",
        "facility_mw",
        "hashrate_ph_s",
        "btc_mined",
        "asic_revenue_usd",
        "gpu_revenue_usd",
        "energy_cost_usd",
        "opex_usd",
        "capex_usd",
        "net_cash_flow_usd",
        "cumulative_cash_usd",
    ] {
        assert!(
            header.split(',').any(|c| c == col),
            "missing column {col} in {header}"
        );
    }
    assert_eq!(ledger.lines().count(), 1 + 120);
    assert!(ledger.lines().nth(1).unwrap().starts_with("2026-01,"));
    let events = std::fs::read_to_string(out.join("events.csv")).unwrap();
    assert!(events.starts_with("time,event,entity,detail\n"));
    assert!(
        events.contains(",wait,gpu-hall,site interconnect limit"),
        "{events}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["first_gpu_month"], "2027-03");
    assert!(summary["npv_usd"].is_number());
}

#[test]
fn two_seeded_runs_write_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        let o = retrofit(&[
            "run",
            "worlds/teaching.ron",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    for f in ["ledger.csv", "events.csv", "summary.json"] {
        let read = |d: &Path| std::fs::read(d.join(f)).unwrap();
        assert_eq!(read(&a), read(&b), "{f} differs between identical runs");
    }
}

#[test]
fn a_missing_world_file_fails_with_a_clear_message() {
    let o = retrofit(&["run", "worlds/no-such-world.ron"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("worlds/no-such-world.ron") && err.contains("cannot read"),
        "{err}"
    );
}

#[test]
fn init_writes_a_world_that_runs_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.ron");
    let p = path.to_str().unwrap();
    let o = retrofit(&["init", "--template", "teaching", p]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("worlds/teaching.ron"))
            .unwrap()
    );
    let again = retrofit(&["init", p]);
    assert!(
        !again.status.success(),
        "init must not overwrite an existing file"
    );
    let unknown = retrofit(&[
        "init",
        "--template",
        "nope",
        dir.path().join("x.ron").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("blank"));
}

#[test]
fn ctrl_c_stops_a_sweep_cleanly_and_keeps_what_finished_marked_partial() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let child = common::retrofit()
        .args([
            "sweep",
            "worlds/teaching.ron",
            "--runs",
            "10000000",
            "--jobs",
            "2",
            "--out",
        ])
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the sweep is writing (its staging folder exists), let runs finish,
    // then press Ctrl-C.
    // Runs are being recorded once the staging folder's runs.csv has data (the
    // interrupt handler is registered before the first run starts).
    let runs_csv = dir
        .path()
        .join(format!(".sweep.partial-{}", child.id()))
        .join("runs.csv");
    let t0 = std::time::Instant::now();
    while std::fs::metadata(&runs_csv).map_or(0, |m| m.len()) == 0
        && t0.elapsed() < std::time::Duration::from_secs(120)
    {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let o = child.wait_with_output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["partial"], true);
    let done = summary["runs_completed"].as_u64().unwrap();
    assert!(done < 10_000_000);
    let rows = std::fs::read_to_string(out.join("runs.csv"))
        .unwrap()
        .lines()
        .count() as u64;
    assert_eq!(
        rows,
        done + 1,
        "runs.csv holds exactly the runs that finished"
    );
    assert!(out.join("fan.png").exists());
    assert!(String::from_utf8_lossy(&o.stdout).contains("interrupted"));
}

// ---- safe output: an existing output folder is replaced whole, never merged; no partial
// folder is left behind; a file or a foreign folder in the way is not touched ----

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
