//! Charts of a real run: each PNG is produced at the requested size and is not blank.

mod common;

use retrofit::unstable::report::{self, ChartSize};

/// Decodes a PNG and returns (width, height, variance of the grey level).
fn decode(bytes: &[u8]) -> (u32, u32, f64) {
    let decoder = png::Decoder::new(bytes);
    let mut reader = decoder.read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    let channels = info.color_type.samples();
    let px: Vec<f64> = buf[..info.buffer_size()]
        .chunks(channels)
        .map(|c| c.iter().take(3).map(|&v| f64::from(v)).sum::<f64>() / 3.0)
        .collect();
    let mean = px.iter().sum::<f64>() / px.len() as f64;
    let var = px.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / px.len() as f64;
    (info.width, info.height, var)
}

#[test]
fn every_chart_has_the_requested_size_and_is_not_blank() {
    let s = retrofit::load("worlds/teaching.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let size = ChartSize {
        width: 960,
        height: 540,
    };
    let charts = report::all_charts(&s, &r, size).unwrap();
    let names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, report::CHART_FILES);
    for (name, bytes) in &charts {
        let (w, h, var) = decode(bytes);
        assert_eq!((w, h), (960, 540), "{name}");
        // A white page with a few lines has a variance of a few hundred; filled areas,
        // bars and text push it well above.
        assert!(
            var > 500.0,
            "{name} looks blank: grey-level variance {var:.0}"
        );
    }
}

#[test]
fn a_too_small_chart_is_refused_with_a_reason() {
    let s = retrofit::load("worlds/teaching.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    let err = report::all_charts(
        &s,
        &r,
        ChartSize {
            width: 100,
            height: 50,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("too small"), "{err}");
}

#[test]
fn the_cli_writes_the_four_charts_and_explains() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("teach");
    let o = common::retrofit()
        .args(["run", "worlds/teaching.ron", "--explain", "--width", "800"])
        .arg("--height")
        .arg("450")
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("2027-01: transformer T3 delivered after"),
        "{stdout}"
    );
    assert!(stdout.contains("Payback: 2035-02."), "{stdout}");
    for name in report::CHART_FILES {
        let (w, h, _) = decode(&std::fs::read(out.join(name)).unwrap());
        assert_eq!((w, h), (800, 450), "{name}");
    }
}

/// Asserts a PNG has the requested size and is not blank.
fn assert_chart(name: &str, bytes: &[u8], size: ChartSize) {
    let (w, h, var) = decode(bytes);
    assert_eq!((w, h), (size.width, size.height), "{name}");
    assert!(
        var > 500.0,
        "{name} looks blank: grey-level variance {var:.0}"
    );
}

#[test]
fn sweep_and_compare_charts_have_the_requested_size_and_are_not_blank() {
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;
    let size = ChartSize {
        width: 800,
        height: 450,
    };
    let d = tempfile::tempdir().unwrap();
    let s = Arc::new(retrofit::load("worlds/teaching.ron").unwrap());
    let cfg = retrofit::SweepConfig {
        runs: 20,
        seed: 3,
        jobs: 2,
        shard: None,
        handle_interrupt: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (dir, _) =
        retrofit::sweep(s.clone(), &cfg, &d.path().join("sweep"), stop, || {}, size).unwrap();
    for name in report::SWEEP_CHART_FILES {
        assert_chart(name, &std::fs::read(dir.join(name)).unwrap(), size);
    }
    let worlds = vec![
        ("teaching".to_string(), s),
        (
            "keep-mining".to_string(),
            Arc::new(retrofit::load("worlds/keep-mining.ron").unwrap()),
        ),
    ];
    let (_, paths) = retrofit::compare(&worlds, None, 1, 1).unwrap();
    let png = report::compare_png(&paths, size).unwrap();
    assert_chart(report::COMPARE_CHART_FILE, &png, size);
}

#[test]
fn the_cli_writes_compare_png_beside_compare_csv() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let o = common::retrofit()
        .args(["compare", "worlds/teaching.ron", "worlds/keep-mining.ron"])
        .args(["--width", "640", "--height", "360", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("compare.csv").exists());
    let (w, h, _) = decode(&std::fs::read(out.join("compare.png")).unwrap());
    assert_eq!((w, h), (640, 360));
}
