//! The performance peer computes the same thing: our ledger for the peer world equals the
//! SimPy port's, byte for byte (tests/data/peer/ledger.csv, written by the port via
//! scripts/regen-peer-fixture.sh). If this fails after a deliberate model change, the
//! speed comparison in scripts/bench-vs-simpy.sh no longer compares like with like.

use std::process::Command;

#[test]
fn peer_world_ledger_equals_the_simpy_ports() {
    let root = env!("CARGO_MANIFEST_DIR");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("peer");
    let o = Command::new(env!("CARGO_BIN_EXE_retrofit"))
        .args(["run", "benches/peer-reference.ron", "--out"])
        .arg(&out)
        .current_dir(root)
        .output()
        .expect("the binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ours = std::fs::read_to_string(out.join("ledger.csv")).unwrap();
    let theirs = std::fs::read_to_string(format!("{root}/tests/data/peer/ledger.csv")).unwrap();
    assert_eq!(
        ours.lines().count(),
        theirs.lines().count(),
        "row counts differ"
    );
    for (i, (a, b)) in ours.lines().zip(theirs.lines()).enumerate() {
        assert_eq!(
            a,
            b,
            "ledger line {} differs (ours, then the port's)",
            i + 1
        );
    }
    assert_eq!(ours, theirs);
}
