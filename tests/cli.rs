//! The `retrofit` binary as a user runs it.

mod common;
#[path = "common/outputs.rs"]
mod outputs;

use outputs::{output, read, run_ok, summary};
use std::path::Path;
use std::process::Command;

#[test]
fn run_writes_the_ledger_events_and_summary_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("teaching");
    let o = run_ok(["run", "worlds/teaching.ron", "--out", out.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("NPV"), "{stdout}");
    assert!(stdout.contains("first GPU energised   2027-03"), "{stdout}");
    let ledger = read(out.join("ledger.csv"));
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
    let events = read(out.join("events.csv"));
    assert!(events.starts_with("time,event,entity,detail\n"));
    assert!(
        events.contains(",wait,gpu-hall,site interconnect limit"),
        "{events}"
    );
    let summary = summary(&out);
    assert_eq!(summary["first_gpu_month"], "2027-03");
    assert!(summary["npv_usd"].is_number());
}

#[test]
fn two_seeded_runs_write_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    for out in [&a, &b] {
        run_ok([
            "run",
            "worlds/teaching.ron",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    for f in ["ledger.csv", "events.csv", "summary.json"] {
        let read = |d: &Path| std::fs::read(d.join(f)).unwrap();
        assert_eq!(read(&a), read(&b), "{f} differs between identical runs");
    }
}

#[test]
fn a_missing_world_file_fails_with_a_clear_message() {
    let o = output(["run", "worlds/no-such-world.ron"]);
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
    run_ok(["init", "--template", "teaching", p]);
    assert_eq!(
        read(&path),
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("worlds/teaching.ron"))
            .unwrap()
    );
    let again = output(["init", p]);
    assert!(
        !again.status.success(),
        "init must not overwrite an existing file"
    );
    let unknown = output([
        "init",
        "--template",
        "nope",
        dir.path().join("x.ron").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("blank"));
}

/// Entries of `dir`, sorted, hidden ones included.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The failure a user should see: exit status 1 and one line on stderr that names
/// `path`, with no panic or backtrace.
fn assert_clean_refusal(o: &std::process::Output, path: &Path, what: &str) {
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    assert!(
        err.contains(&path.display().to_string()),
        "names {path:?}: {err}"
    );
    assert!(err.contains(what), "says `{what}`: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
}

/// Starts a sweep of `runs` runs into `<dir>/sweep`, waits until it is recording runs
/// (its staging folder's runs.csv has data: the signal handlers are in place before
/// the first run starts), sends `signal`, and returns its output.
fn signal_a_running_sweep(
    dir: &Path,
    runs: &str,
    extra: &[&str],
    signal: &str,
) -> std::process::Output {
    let out = dir.join("sweep");
    let child = common::retrofit()
        .args([
            "sweep",
            "worlds/teaching.ron",
            "--runs",
            runs,
            "--jobs",
            "2",
        ])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let recording = || {
        std::fs::read_dir(dir).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name()
                .to_string_lossy()
                .starts_with(".sweep.partial-")
                && std::fs::metadata(e.path().join("runs.csv")).is_ok_and(|m| m.len() > 0)
        })
    };
    wait_until(recording);
    send_signal(&child, signal);
    child.wait_with_output().unwrap()
}

/// Polls `ready` until it holds (or a generous five minutes pass: the caller's next
/// step then shows what was missing).
fn wait_until(ready: impl Fn() -> bool) {
    let t0 = std::time::Instant::now();
    while !ready() && t0.elapsed() < std::time::Duration::from_secs(300) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// [`wait_until`] for a check that needs `&mut` (polling a child's exit).
fn wait_until_mut(mut ready: impl FnMut() -> bool) {
    let t0 = std::time::Instant::now();
    while !ready() && t0.elapsed() < std::time::Duration::from_secs(300) {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Sends `signal` (a name: TERM, HUP, INT) to `child` with kill(1).
fn send_signal(child: &std::process::Child, signal: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill -{signal}");
}

/// What an interrupted sweep must leave: exit 130, a partial summary, runs.csv with
/// exactly the runs that finished, charts, and nothing hidden beside the folder.
fn assert_kept_what_finished(dir: &Path, o: &std::process::Output, planned: u64) {
    let out = dir.join("sweep");
    assert_eq!(
        o.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let summary = summary(&out);
    assert_eq!(summary["partial"], true);
    assert_eq!(summary["runs_planned"].as_u64(), Some(planned));
    let done = summary["runs_completed"].as_u64().unwrap();
    assert!(done >= 1 && done < planned, "{done}");
    let rows = read(out.join("runs.csv")).lines().count() as u64;
    assert_eq!(
        rows,
        done + 1,
        "runs.csv holds exactly the runs that finished"
    );
    assert!(out.join("fan.png").exists());
    assert!(String::from_utf8_lossy(&o.stdout).contains("interrupted"));
    assert_eq!(entries(dir), ["sweep"], "no hidden sibling left");
}

#[test]
fn ctrl_c_stops_a_sweep_cleanly_and_keeps_what_finished_marked_partial() {
    let dir = tempfile::tempdir().unwrap();
    let o = signal_a_running_sweep(dir.path(), "10000000", &[], "INT");
    assert_kept_what_finished(dir.path(), &o, 10_000_000);
}

// Regression (issue 11): SIGTERM and SIGHUP (Slurm, `timeout`) left a hidden
// `.NAME.partial-PID` folder and saved nothing.
#[test]
fn sigterm_and_sighup_stop_a_sweep_like_ctrl_c() {
    for signal in ["TERM", "HUP"] {
        let dir = tempfile::tempdir().unwrap();
        let o = signal_a_running_sweep(dir.path(), "10000000", &[], signal);
        assert_kept_what_finished(dir.path(), &o, 10_000_000);
    }
}

// Regression (issue 11): `--runs 18446744073709551615 --shard 0/2` counted its runs up
// front (nothing for 15 s), and huge counts listed every run index (an allocation
// failure and a backtrace at 10^10). Now runs start at once and memory stays flat.
#[test]
fn a_sweep_of_u64_max_runs_starts_at_once_and_stops_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let max = u64::MAX.to_string();
    let o = signal_a_running_sweep(dir.path(), &max, &["--shard", "1/2"], "TERM");
    assert_kept_what_finished(dir.path(), &o, u64::MAX);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !err.contains("memory allocation") && !err.contains("panicked"),
        "{err}"
    );
}

// Regression (issue 11): a signal during `run` left a hidden `.NAME.partial-PID`.
//
// Deterministic on a busy machine: the signal is sent only once the run is observably
// writing (a file inside its hidden staging folder, so the folder is recorded for the
// handler) or has already exited, never after a fixed sleep. Whichever way the race
// between the signal and the end of the run goes, the outcome must be one of the three
// legitimate ones, and nothing hidden may be left beside the folder.
#[test]
fn a_run_stopped_by_a_signal_keeps_the_old_output_and_leaves_nothing_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(["run", "worlds/teaching.ron", "--out", out.to_str().unwrap()]);
    for signal in ["TERM", "HUP", "INT"] {
        let before = std::fs::read(out.join("retrofit-manifest.json")).unwrap();
        // Large charts keep the command busy long enough to be caught mid-write.
        let mut child = common::retrofit()
            .args([
                "run",
                "worlds/reference.ron",
                "--width",
                "6000",
                "--height",
                "4000",
            ])
            .arg("--out")
            .arg(&out)
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let writing = || {
            std::fs::read_dir(dir.path()).unwrap().any(|e| {
                let e = e.unwrap();
                e.file_name().to_string_lossy().starts_with(".out.partial-")
                    && std::fs::read_dir(e.path()).is_ok_and(|mut d| d.next().is_some())
            })
        };
        let mut exited = || child.try_wait().unwrap().is_some();
        wait_until_mut(|| writing() || exited());
        // Sent to a child that has exited (not yet reaped), the signal does nothing.
        send_signal(&child, signal);
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let after = std::fs::read(out.join("retrofit-manifest.json")).unwrap();
        let code = match signal {
            "TERM" => 143,
            "HUP" => 129,
            _ => 130,
        };
        // Which way the race went, for a reader of `--nocapture` output.
        eprintln!("{signal}: {:?}, {}", o.status.code(), err.trim());
        if o.status.success() {
            // The run finished before the signal: its folder replaced the old one.
            assert_ne!(
                after, before,
                "{signal}: a finished run replaces the output"
            );
        } else {
            assert_eq!(o.status.code(), Some(code), "{signal}: {err}");
            if err.contains("nothing was written") {
                // Stopped while writing: the old folder is kept as it was.
                assert_eq!(after, before, "{signal}: the old output is kept");
            } else {
                // Stopped just after the new folder was put in place, whole: the
                // handler waited for it and says so.
                assert!(
                    err.contains("after the outputs were written in full"),
                    "{err}"
                );
                assert_ne!(after, before, "{signal}: {err}");
            }
        }
        // Old or new, the folder is whole: every file its manifest lists, byte for byte.
        retrofit::unstable::output::verify(&out)
            .unwrap_or_else(|e| panic!("{signal}: the output folder is whole: {e}"));
        assert_eq!(
            entries(dir.path()),
            ["out"],
            "{signal}: no hidden sibling left"
        );
    }
}

// ---- safe output: a folder is retrofit's only if its manifest says so ----

#[test]
fn an_existing_output_folder_is_replaced_not_merged() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok([
        "sweep",
        "tests/data/valid-small.ron",
        "--runs",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(out.join("fan.png").exists());
    run_ok([
        "run",
        "tests/data/valid-small.ron",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!out.join("fan.png").exists(), "old files must not survive");
    for f in [
        "ledger.csv",
        "events.csv",
        "summary.json",
        "retrofit-manifest.json",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert_eq!(
        entries(dir.path()),
        ["out"],
        "no temporary folder is left next to it"
    );
}

#[test]
fn a_file_in_the_way_of_the_output_folder_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::write(&out, "not a folder").unwrap();
    let o = output([
        "run",
        "tests/data/valid-small.ron",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_clean_refusal(&o, &out, "is not a folder");
    assert_eq!(read(&out), "not a folder");
}

// Regression (issue 11): `mydocs/summary.json` was overwritten because its name looked
// like an output; and earlier, `--out` naming a folder of the user's deleted its files.
#[test]
fn a_users_folder_is_refused_whatever_its_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let mine = dir.path().join("mydocs");
    std::fs::create_dir(&mine).unwrap();
    std::fs::write(mine.join("summary.json"), "mine").unwrap();
    std::fs::write(mine.join("notes.txt"), "mine too").unwrap();
    for cmd in [
        vec!["run", "worlds/teaching.ron"],
        vec!["sweep", "worlds/teaching.ron", "--runs", "2"],
        vec!["compare", "worlds/teaching.ron", "worlds/keep-mining.ron"],
    ] {
        let mut args = cmd.clone();
        args.extend(["--out", mine.to_str().unwrap()]);
        let o = output(&args);
        assert_clean_refusal(&o, &mine, "retrofit-manifest.json");
        assert_eq!(read(mine.join("summary.json")), "mine");
        assert_eq!(entries(&mine), ["notes.txt", "summary.json"], "{cmd:?}");
        assert_eq!(
            entries(dir.path()),
            ["mydocs"],
            "{cmd:?}: nothing beside it"
        );
    }
}

// Issue 11: a symlink given as --out was replaced by a real folder and its target kept
// stale outputs. retrofit refuses it (README, "Where outputs go").
#[cfg(unix)]
#[test]
fn a_symlink_given_as_out_is_refused_and_both_ends_are_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real");
    run_ok([
        "run",
        "tests/data/valid-small.ron",
        "--out",
        real.to_str().unwrap(),
    ]);
    let before = std::fs::read(real.join("retrofit-manifest.json")).unwrap();
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = output([
        "run",
        "worlds/teaching.ron",
        "--out",
        link.to_str().unwrap(),
    ]);
    assert_clean_refusal(&o, &link, "symbolic link");
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read(real.join("retrofit-manifest.json")).unwrap(),
        before
    );
    assert_eq!(entries(dir.path()), ["link", "real"]);
}

// Regression (issue 11): concurrent writers to one --out left `.NAME.old-PID` folders,
// and one of 150 failed with `Directory not empty`.
#[test]
fn concurrent_runs_to_one_folder_all_succeed_and_leave_one_whole_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let children: Vec<_> = (0..12)
        .map(|i| {
            common::retrofit()
                .args([
                    "run",
                    "tests/data/valid-small.ron",
                    "--seed",
                    &i.to_string(),
                ])
                .arg("--out")
                .arg(&out)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let o = c.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    assert_eq!(entries(dir.path()), ["out"], "no hidden sibling left");
    // The folder is one writer's whole output: replacing it again is accepted, which
    // requires every file to match the manifest.
    run_ok([
        "run",
        "tests/data/valid-small.ron",
        "--out",
        out.to_str().unwrap(),
    ]);
}

// Regression (issue 11): a legal 250-character folder name failed because the hidden
// temporary's name was longer than the file system allows.
#[test]
fn a_250_character_folder_name_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r".repeat(250));
    for _ in 0..2 {
        run_ok([
            "run",
            "tests/data/valid-small.ron",
            "--out",
            out.to_str().unwrap(),
        ]);
    }
    assert_eq!(entries(dir.path()), ["r".repeat(250)]);
}

/// Runs retrofit with a file-size limit of `kib` KiB (what a full disk looks like to a
/// writer: the write that crosses it fails).
#[cfg(unix)]
fn retrofit_with_file_limit(kib: u32, args: &[&str]) -> std::process::Output {
    let script = format!("ulimit -f {}; exec \"$0\" \"$@\"", kib * 2);
    Command::new("sh")
        .args(["-c", &script, env!("CARGO_BIN_EXE_retrofit")])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

// Regression (issue 11): `init` on a full disk left a truncated world file, and the
// next `init` refused to overwrite it.
#[cfg(unix)]
#[test]
fn init_on_a_full_disk_leaves_no_file_and_the_next_init_works() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.ron");
    let p = path.to_str().unwrap();
    // The reference template is larger than 1 KiB.
    let o = retrofit_with_file_limit(1, &["init", "--template", "reference", p]);
    assert_clean_refusal(&o, &path, "cannot write");
    assert!(
        entries(dir.path()).is_empty(),
        "no file, no temporary: {:?}",
        entries(dir.path())
    );
    run_ok(["init", "--template", "reference", p]);
    assert!(retrofit::load(&path).is_ok());
}

// Issue 11: a disk-full error named no file; the old output must survive it whole.
#[cfg(unix)]
#[test]
fn a_run_on_a_full_disk_names_the_file_and_keeps_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok(["run", "worlds/teaching.ron", "--out", out.to_str().unwrap()]);
    let before = std::fs::read(out.join("ledger.csv")).unwrap();
    let o = retrofit_with_file_limit(
        8,
        &[
            "run",
            "worlds/reference.ron",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&out.display().to_string()) && err.contains("cannot write"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(std::fs::read(out.join("ledger.csv")).unwrap(), before);
    assert_eq!(entries(dir.path()), ["out"]);
}

// Issue 11: `--jobs 1024` was accepted on 2 cores, and memory grows with jobs.
#[test]
fn jobs_beyond_the_cores_are_bounded_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = output([
        "sweep",
        "tests/data/valid-small.ron",
        "--runs",
        "4",
        "--jobs",
        "1024",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cores < 1024 {
        assert!(
            err.contains("--jobs 1024") && err.contains(&format!("using {cores}")),
            "{err}"
        );
    }
}

// Issue 11: escape codes in a site name reached the terminal.
#[test]
fn control_characters_in_a_site_name_are_not_sent_to_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/valid-small.ron"),
    )
    .unwrap();
    let name_at = text.find("name:").expect("the world has a name");
    let quote = name_at + text[name_at..].find('"').unwrap();
    let evil = format!("{}\\u{{1b}}[2J{}", &text[..=quote], &text[quote + 1..]);
    let world = dir.path().join("evil.ron");
    std::fs::write(&world, evil).unwrap();
    let w = world.to_str().unwrap();
    let out = dir.path().join("o");
    for args in [
        vec!["check", w],
        vec!["run", w, "--out", out.to_str().unwrap()],
    ] {
        // Whether the world is accepted or refused, no escape byte may be printed.
        let o = output(&args);
        let printed = [o.stdout.as_slice(), o.stderr.as_slice()].concat();
        assert!(
            !printed.contains(&0x1b),
            "{args:?}: {}",
            String::from_utf8_lossy(&printed)
        );
        if args[0] == "run" && o.status.success() {
            assert!(
                String::from_utf8_lossy(&o.stdout).contains("\\u{1b}[2J"),
                "{o:?}"
            );
        }
    }
}

// Regression (issue 11): a read-only old output left `.NAME.old-PID` with no warning.
// A write-protected output folder is refused, untouched; a user who may write anyway
// (root ignores permission bits) gets it replaced. Either way nothing is left beside it.
#[cfg(unix)]
#[test]
fn a_write_protected_output_is_refused_or_replaced_never_left_half_moved() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run_ok([
        "run",
        "tests/data/valid-small.ron",
        "--out",
        out.to_str().unwrap(),
    ]);
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o555)).unwrap();
    let o = output(
        ["run", "tests/data/valid-small.ron", "--seed", "3", "--out"]
            .iter()
            .copied()
            .chain([out.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    if !o.status.success() {
        assert_clean_refusal(&o, &out, "write-protected");
        let manifest = read(out.join("retrofit-manifest.json"));
        assert!(manifest.contains("\"world_fingerprint\""));
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    assert_eq!(entries(dir.path()), ["out"], "no hidden sibling left");
}
