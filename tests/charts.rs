//! Charts of real runs, sweeps and comparisons: each PNG has the requested size and is
//! not blank; each SVG is well-formed XML of the requested size whose text is outlined
//! in the bundled font; `--charts` chooses the files without touching any other output.

mod common;

use retrofit::unstable::output::names;
use retrofit::unstable::report;
use retrofit::{ChartFormat, ChartOptions, ChartSize};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

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

fn options(format: ChartFormat, width: u32, height: u32) -> ChartOptions {
    ChartOptions {
        format,
        size: ChartSize { width, height },
    }
}

fn files(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| n.to_string()).collect()
}

/// Asserts a PNG has the requested size and is not blank.
fn assert_png(name: &str, bytes: &[u8], size: ChartSize) {
    let (w, h, var) = decode(bytes);
    assert_eq!((w, h), (size.width, size.height), "{name}");
    // A white page with a few lines has a variance of a few hundred; filled areas,
    // bars and text push it well above.
    assert!(
        var > 500.0,
        "{name} looks blank: grey-level variance {var:.0}"
    );
}

/// Asserts an SVG parses as XML, has the requested size and viewBox, names the bundled
/// font, holds no `<text>` (every text is outlined), places only glyphs it defines, and
/// has a text run labelled `title`.
fn assert_svg(name: &str, bytes: &[u8], size: ChartSize, title: &str) {
    let text = std::str::from_utf8(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let doc = roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let svg = doc.root_element();
    assert_eq!(svg.tag_name().name(), "svg", "{name}");
    let (w, h) = (size.width.to_string(), size.height.to_string());
    assert_eq!(svg.attribute("width"), Some(w.as_str()), "{name}");
    assert_eq!(svg.attribute("height"), Some(h.as_str()), "{name}");
    let view_box = format!("0 0 {w} {h}");
    assert_eq!(svg.attribute("viewBox"), Some(view_box.as_str()), "{name}");
    let desc = doc
        .descendants()
        .find(|n| n.has_tag_name("desc"))
        .and_then(|n| n.text())
        .unwrap_or_default();
    assert!(desc.contains("DejaVu Sans"), "{name}: desc {desc:?}");
    assert!(
        !doc.descendants().any(|n| n.has_tag_name("text")),
        "{name}: a <text> was left for the viewer's fonts"
    );
    let defined: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("path"))
        .filter_map(|n| n.attribute("id"))
        .collect();
    let uses: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("use"))
        .filter_map(|n| n.attribute("href"))
        .collect();
    assert!(uses.len() > 50, "{name}: only {} glyphs placed", uses.len());
    for href in uses {
        let id = href.strip_prefix('#').expect("a local reference");
        assert!(defined.contains(&id), "{name}: glyph {id} is not defined");
    }
    let labels: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("aria-label"))
        .collect();
    assert!(
        labels.contains(&title),
        "{name}: no text {title:?} in {labels:?}"
    );
}

fn teaching() -> (retrofit::Scenario, retrofit::RunResult) {
    let s = retrofit::load("worlds/teaching.ron").unwrap();
    let r = retrofit::run(&s, None).unwrap();
    (s, r)
}

#[test]
fn every_chart_has_the_requested_size_and_is_not_blank() {
    let (s, r) = teaching();
    let opts = options(ChartFormat::Png, 960, 540);
    let charts = report::run_charts(&s, &r, &opts).unwrap();
    let names: Vec<String> = charts.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, files(&names::RUN_CHARTS));
    for (name, bytes) in &charts {
        assert_png(name, bytes, opts.size);
    }
}

#[test]
fn a_too_small_chart_is_refused_with_a_reason() {
    let (s, r) = teaching();
    for format in [ChartFormat::Png, ChartFormat::Svg] {
        let err = report::run_charts(&s, &r, &options(format, 100, 50)).unwrap_err();
        assert!(err.to_string().contains("too small"), "{err}");
    }
}

#[test]
fn no_chart_format_draws_nothing() {
    let (s, r) = teaching();
    let none = report::run_charts(&s, &r, &options(ChartFormat::None, 100, 50)).unwrap();
    assert!(
        none.is_empty(),
        "not even the size is checked when nothing is drawn"
    );
}

#[test]
fn every_svg_chart_is_xml_of_the_requested_size_in_the_bundled_font() {
    let (s, r) = teaching();
    let opts = options(ChartFormat::Svg, 800, 450);
    let charts = report::run_charts(&s, &r, &opts).unwrap();
    let names: Vec<String> = charts.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, files(&names::RUN_CHARTS_SVG));
    let titles = ["site power", "monthly revenue and operating cost"];
    let titles = titles
        .iter()
        .map(|t| format!("{} — {t}", s.name))
        .chain([format!("{} — cumulative cash", s.name)])
        .chain([format!("{} — retrofit plan", s.name)]);
    for ((name, bytes), title) in charts.iter().zip(titles) {
        assert_svg(name, bytes, opts.size, &title);
    }
    let (agg, sum, paths) = sweep_and_compare();
    let charts = report::sweep_charts(&agg, &sum, &opts).unwrap();
    let names: Vec<String> = charts.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, files(&names::SWEEP_CHARTS_SVG));
    let fan = format!("{} — cumulative cash, 20 runs", s.name);
    assert_svg(&names[0], &charts[0].1, opts.size, &fan);
    let payback = format!("{} — payback month, 20 runs", s.name);
    assert_svg(&names[1], &charts[1].1, opts.size, &payback);
    let compared = report::compare_charts(&paths, &opts).unwrap();
    assert_eq!(compared.len(), 1);
    let title = "Cumulative cash compared — 2 worlds";
    assert_svg(&compared[0].0, &compared[0].1, opts.size, title);
}

/// A 20-run sweep of the teaching world, and a comparison with keep-mining.
fn sweep_and_compare() -> (
    retrofit::unstable::sweep::Aggregate,
    retrofit::SweepSummary,
    Vec<retrofit::CashPath>,
) {
    let s = Arc::new(retrofit::load("worlds/teaching.ron").unwrap());
    let cfg = retrofit::SweepConfig {
        runs: 20,
        seed: 3,
        jobs: 2,
        shard: None,
        handle_interrupt: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (agg, interrupted) =
        retrofit::unstable::sweep::execute(s.clone(), &cfg, stop, |_| Ok(()), || {})
            .expect("the sweep runs");
    let sum = agg.summary(&s.name, cfg.seed, cfg.runs, interrupted);
    let worlds = vec![
        ("teaching".to_string(), s),
        (
            "keep-mining".to_string(),
            Arc::new(retrofit::load("worlds/keep-mining.ron").unwrap()),
        ),
    ];
    let (_, paths) = retrofit::compare(&worlds, None, 1, 1).unwrap();
    (agg, sum, paths)
}

#[test]
fn sweep_and_compare_charts_have_the_requested_size_and_are_not_blank() {
    let opts = options(ChartFormat::Png, 800, 450);
    let (agg, sum, paths) = sweep_and_compare();
    let charts = report::sweep_charts(&agg, &sum, &opts).unwrap();
    let names: Vec<String> = charts.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(names, files(&names::SWEEP_CHARTS));
    for (name, bytes) in &charts {
        assert_png(name, bytes, opts.size);
    }
    let compared = report::compare_charts(&paths, &opts).unwrap();
    assert_eq!(compared.len(), 1);
    assert_eq!(compared[0].0, "compare.png");
    assert_png(&compared[0].0, &compared[0].1, opts.size);
}

/// Runs the binary; panics with its stderr if it fails.
fn retrofit(args: &[&str], out: &Path) {
    let o = common::retrofit()
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "retrofit {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Every file of a folder, by name.
fn folder(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// Charts, and report.html which carries them inline (not written with `--charts none`).
fn is_chart(name: &str) -> bool {
    name.ends_with(".png") || name.ends_with(".svg") || name == "report.html"
}

/// Runs `args` with the default charts and with `--charts none`: the second folder
/// holds no chart and exactly the first one's other files, byte for byte.
fn assert_no_charts_changes_nothing_else(args: &[&str], root: &Path, case: &str) {
    let (with, without) = (root.join(case), root.join(format!("{case}-none")));
    retrofit(args, &with);
    let none: Vec<&str> = args.iter().copied().chain(["--charts", "none"]).collect();
    retrofit(&none, &without);
    let (with, without) = (folder(&with), folder(&without));
    assert!(with.keys().any(|n| n.ends_with(".png")), "{case}: {with:?}");
    assert!(
        without.keys().all(|n| !is_chart(n)),
        "{case}: {:?}",
        without.keys()
    );
    let others: BTreeMap<_, _> = with.into_iter().filter(|(n, _)| !is_chart(n)).collect();
    assert_eq!(
        others.keys().collect::<Vec<_>>(),
        without.keys().collect::<Vec<_>>(),
        "{case}"
    );
    for (name, bytes) in &others {
        if name == names::MANIFEST {
            continue;
        }
        assert!(
            &without[name] == bytes,
            "{case}: {name} differs without charts"
        );
    }
    // The manifest lists what was written: the same entries, less the charts.
    let listed = |bytes: &[u8]| -> Vec<serde_json::Value> {
        let m: serde_json::Value = serde_json::from_slice(bytes).unwrap();
        let files = m["files"].as_array().unwrap().iter();
        files
            .filter(|f| !is_chart(f["name"].as_str().unwrap()))
            .cloned()
            .collect()
    };
    let (a, b) = (&others[names::MANIFEST], &without[names::MANIFEST]);
    assert_eq!(
        listed(a),
        listed(b),
        "{case}: manifests list different files"
    );
    assert_eq!(
        listed(b).len(),
        without.len() - 1,
        "{case}: manifest incomplete"
    );
}

#[test]
fn charts_none_writes_no_chart_and_leaves_every_other_output_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let small = ["--width", "480", "--height", "270"];
    let run: Vec<&str> = ["run", "worlds/teaching.ron", "--seed", "7"]
        .into_iter()
        .chain(small)
        .collect();
    assert_no_charts_changes_nothing_else(&run, root, "run");
    let sweep = [
        "sweep",
        "worlds/teaching.ron",
        "--runs",
        "20",
        "--jobs",
        "2",
    ];
    let sweep: Vec<&str> = sweep.into_iter().chain(small).collect();
    assert_no_charts_changes_nothing_else(&sweep, root, "sweep");
    let compare = ["compare", "worlds/teaching.ron", "worlds/keep-mining.ron"];
    let compare: Vec<&str> = compare.into_iter().chain(small).collect();
    assert_no_charts_changes_nothing_else(&compare, root, "compare");
    // Merge: two shards written without charts, merged with and without.
    for k in ["0/2", "1/2"] {
        let part = root.join(format!("part{}", &k[..1]));
        let shard = ["sweep", "worlds/teaching.ron", "--runs", "20", "--shard", k];
        let args: Vec<&str> = shard.into_iter().chain(["--charts", "none"]).collect();
        retrofit(&args, &part);
    }
    let (p0, p1) = (root.join("part0"), root.join("part1"));
    let merge = ["merge", p0.to_str().unwrap(), p1.to_str().unwrap()];
    let merge: Vec<&str> = merge.into_iter().chain(small).collect();
    assert_no_charts_changes_nothing_else(&merge, root, "merge");
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
    for name in files(&names::RUN_CHARTS) {
        let (w, h, _) = decode(&std::fs::read(out.join(&name)).unwrap());
        assert_eq!((w, h), (800, 450), "{name}");
    }
}

#[test]
fn charts_both_adds_svgs_beside_unchanged_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let small = ["--width", "640", "--height", "360"];
    let png: Vec<&str> = ["run", "worlds/teaching.ron"]
        .into_iter()
        .chain(small)
        .collect();
    retrofit(&png, &dir.path().join("png"));
    let both: Vec<&str> = png.iter().copied().chain(["--charts", "both"]).collect();
    retrofit(&both, &dir.path().join("both"));
    let (png, both) = (
        folder(&dir.path().join("png")),
        folder(&dir.path().join("both")),
    );
    for name in files(&names::RUN_CHARTS) {
        assert!(png[&name] == both[&name], "{name} changed beside its SVG");
    }
    for name in files(&names::RUN_CHARTS_SVG) {
        assert!(!png.contains_key(&name), "{name} written by default");
        let size = ChartSize {
            width: 640,
            height: 360,
        };
        let svg = std::str::from_utf8(&both[&name]).unwrap();
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(svg.contains(&format!(r#"viewBox="0 0 {} {}""#, size.width, size.height)));
    }
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
