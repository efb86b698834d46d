//! report.html: written by run, sweep and compare; self-contained; escapes the world.

mod common;

use common::retrofit;
use std::path::Path;

fn run_ok(args: &[&str]) {
    let o = retrofit().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "retrofit {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

/// The page fetches nothing: no URL that a browser would load from the network.
fn assert_self_contained(html: &str) {
    for needle in [
        "http://", "https://", "src=\"/", "href=\"/", "url(/", "url(\"/", "//cdn",
    ] {
        let hits: Vec<_> = html
            .match_indices(needle)
            .map(|(i, _)| &html[i.saturating_sub(40)..(i + 60).min(html.len())])
            .collect();
        // The SVG namespace is an identifier, not a fetch.
        let fetches: Vec<_> = hits
            .into_iter()
            .filter(|h| !h.contains("www.w3.org/"))
            .collect();
        assert!(fetches.is_empty(), "{needle}: {fetches:?}");
    }
}

#[test]
fn a_run_report_holds_every_section_the_charts_and_the_sources() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("ref");
    run_ok(&[
        "run",
        "worlds/reference.ron",
        "--out",
        out.to_str().unwrap(),
        "--width",
        "800",
        "--height",
        "450",
    ]);
    let html = read(&out.join("report.html"));
    assert_self_contained(&html);
    for id in [
        "headline",
        "charts",
        "plan",
        "waits",
        "ledger",
        "assumptions",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    for chart in ["power", "revenue", "cash", "timeline", "market"] {
        assert!(
            html.contains(&format!("id=\"chart-{chart}\"")),
            "chart {chart}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 5);
    assert!(html.contains("<details>"), "the ledger is collapsible");
    assert!(html.contains("@media print"));
    // The lease rate's row carries its source comment from the RON file.
    assert!(html.contains("markets.gpu_lease.usd_per_kw_month"));
    assert!(html.contains("Core Scientific → CoreWeave"));
    // The NPV shown is the summary's.
    let summary: serde_json::Value =
        serde_json::from_str(&read(&out.join("summary.json"))).unwrap();
    let npv = summary["npv_usd"].as_f64().unwrap();
    assert!(html.contains(&retrofit::text::usd(npv)));
    // Every month of the ledger is a row.
    let months = read(&out.join("ledger.csv")).lines().count() - 1;
    assert!(html.contains(&format!("Show all {months} months")));
}

#[test]
fn charts_none_writes_no_report_and_svg_reuses_the_drawn_charts() {
    let d = tempfile::tempdir().unwrap();
    let none = d.path().join("none");
    run_ok(&[
        "run",
        "worlds/teaching.ron",
        "--out",
        none.to_str().unwrap(),
        "--charts",
        "none",
    ]);
    assert!(!none.join("report.html").exists());
    let svg = d.path().join("svg");
    run_ok(&[
        "run",
        "worlds/teaching.ron",
        "--out",
        svg.to_str().unwrap(),
        "--charts",
        "svg",
        "--width",
        "800",
        "--height",
        "450",
    ]);
    let html = read(&svg.join("report.html"));
    let cash = read(&svg.join("cash.svg"));
    let inline = &cash[cash.find("<svg").unwrap()..];
    assert!(
        html.contains(inline),
        "the inline chart is the cash.svg written beside it"
    );
}

#[test]
fn a_world_whose_names_hold_script_tags_renders_them_as_text() {
    let d = tempfile::tempdir().unwrap();
    let text = read(Path::new("worlds/teaching.ron"))
        .replacen("name: \"", "name: \"<script>alert('x')</script> & ", 1)
        .replace("// ", "// <img src=x onerror=alert(1)> ");
    let world = d.path().join("evil.ron");
    std::fs::write(&world, text).unwrap();
    let out = d.path().join("out");
    run_ok(&[
        "run",
        world.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--charts",
        "svg",
        "--width",
        "800",
        "--height",
        "450",
    ]);
    let html = read(&out.join("report.html"));
    assert!(!html.contains("<script"), "no script element");
    assert!(!html.contains("<img"), "no img element");
    assert!(html.contains("&lt;script&gt;alert("));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
}

#[test]
fn sweep_and_compare_reports_hold_their_tables() {
    let d = tempfile::tempdir().unwrap();
    let sw = d.path().join("sweep");
    run_ok(&[
        "sweep",
        "worlds/teaching.ron",
        "--runs",
        "40",
        "--jobs",
        "1",
        "--out",
        sw.to_str().unwrap(),
        "--width",
        "800",
        "--height",
        "450",
    ]);
    let html = read(&sw.join("report.html"));
    assert_self_contained(&html);
    for id in ["summary-percentiles", "percentiles", "assumptions"] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert!(html.contains("id=\"chart-fan\"") && html.contains("id=\"chart-payback\""));
    let summary: serde_json::Value = serde_json::from_str(&read(&sw.join("summary.json"))).unwrap();
    let p50 = summary["npv_usd"]["p50"].as_f64().unwrap();
    assert!(html.contains(&retrofit::text::usd(p50)));

    let cmp = d.path().join("cmp");
    run_ok(&[
        "compare",
        "worlds/keep-mining.ron",
        "worlds/teaching.ron",
        "--out",
        cmp.to_str().unwrap(),
        "--width",
        "800",
        "--height",
        "450",
    ]);
    let html = read(&cmp.join("report.html"));
    assert!(html.contains("<section id=\"compare\">"));
    let csv = read(&cmp.join("compare.csv"));
    let rows = csv.lines().count();
    // One table row per line of compare.csv (header included).
    let section = &html[html.find("<section id=\"compare\">").unwrap()..];
    assert_eq!(section.matches("<tr>").count(), rows);
}
