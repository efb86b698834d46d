//! report.html: written by run, sweep and compare; self-contained; escapes the world.

mod common;
#[path = "common/outputs.rs"]
mod outputs;

use outputs::{read, run_ok, summary};
use std::path::Path;

/// `retrofit ARGS` with charts drawn at 800×450 (smaller pages, quicker tests), which
/// must succeed.
fn run_small(args: &[&str]) {
    run_ok(args.iter().chain(&["--width", "800", "--height", "450"]));
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
    run_small(&[
        "run",
        "worlds/reference.ron",
        "--out",
        out.to_str().unwrap(),
    ]);
    let html = read(out.join("report.html"));
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
    for chart in ["power", "revenue", "cash", "timeline", "market", "finance"] {
        assert!(
            html.contains(&format!("id=\"chart-{chart}\"")),
            "chart {chart}"
        );
    }
    assert_eq!(html.matches("<svg").count(), 6);
    assert!(
        html.contains("<input type=\"checkbox\" class=\"fold\" id=\"fold-ledger\">"),
        "the ledger is collapsible"
    );
    assert!(html.contains("@media print"));
    // The lease rate's row carries its source comment from the RON file.
    assert!(html.contains("markets.gpu_lease.usd_per_kw_month"));
    assert!(html.contains("Core Scientific → CoreWeave"));
    // The NPV shown is the summary's.
    let npv = summary(&out)["npv_usd"].as_f64().unwrap();
    assert!(html.contains(&retrofit::text::usd(npv)));
    // Every month of the ledger is a row.
    let months = read(out.join("ledger.csv")).lines().count() - 1;
    assert!(html.contains(&format!("Show all {months} months")));
}

#[test]
fn charts_none_writes_no_report_and_svg_reuses_the_drawn_charts() {
    let d = tempfile::tempdir().unwrap();
    let none = d.path().join("none");
    run_ok([
        "run",
        "worlds/teaching.ron",
        "--out",
        none.to_str().unwrap(),
        "--charts",
        "none",
    ]);
    assert!(!none.join("report.html").exists());
    let svg = d.path().join("svg");
    run_small(&[
        "run",
        "worlds/teaching.ron",
        "--out",
        svg.to_str().unwrap(),
        "--charts",
        "svg",
    ]);
    let html = read(svg.join("report.html"));
    let cash = read(svg.join("cash.svg"));
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
    run_small(&[
        "run",
        world.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--charts",
        "svg",
    ]);
    let html = read(out.join("report.html"));
    assert!(!html.contains("<script"), "no script element");
    assert!(!html.contains("<img"), "no img element");
    assert!(html.contains("&lt;script&gt;alert("));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));

    // The compare report's assumptions tables (the world's name in the side-by-side
    // header and titles, its comments as sources) escape it too.
    let cmp = d.path().join("cmp");
    run_small(&[
        "compare",
        world.to_str().unwrap(),
        "worlds/teaching.ron",
        "--out",
        cmp.to_str().unwrap(),
        "--charts",
        "svg",
    ]);
    let html = read(cmp.join("report.html"));
    assert!(!html.contains("<script"), "no script element");
    assert!(!html.contains("<img"), "no img element");
    let first = &html[html.find("<section id=\"assumptions-1\">").unwrap()..];
    assert!(first.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let differ = &html[html.find("<section id=\"assumptions-differ\">").unwrap()..];
    assert!(differ.contains("<th>1. &lt;script&gt;alert("));
}

#[test]
fn sweep_and_compare_reports_hold_their_tables() {
    let d = tempfile::tempdir().unwrap();
    let sw = d.path().join("sweep");
    run_small(&[
        "sweep",
        "worlds/teaching.ron",
        "--runs",
        "40",
        "--jobs",
        "1",
        "--out",
        sw.to_str().unwrap(),
    ]);
    let html = read(sw.join("report.html"));
    assert_self_contained(&html);
    for id in ["summary-percentiles", "percentiles", "assumptions"] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert!(html.contains("id=\"chart-fan\"") && html.contains("id=\"chart-payback\""));
    let p50 = summary(&sw)["npv_usd"]["p50"].as_f64().unwrap();
    assert!(html.contains(&retrofit::text::usd(p50)));

    let cmp = d.path().join("cmp");
    run_small(&[
        "compare",
        "worlds/keep-mining.ron",
        "worlds/teaching.ron",
        "--out",
        cmp.to_str().unwrap(),
    ]);
    let html = read(cmp.join("report.html"));
    assert!(html.contains("<section id=\"compare\">"));
    let csv = read(cmp.join("compare.csv"));
    let rows = csv.lines().count();
    // One table row per line of compare.csv (header included).
    let section = &html[html.find("<section id=\"compare\">").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert_eq!(section.matches("<tr>").count(), rows);
    // Each world's assumptions, one table per world with a row per input of its text,
    // after the inputs that differ side by side.
    for (k, world) in ["worlds/keep-mining.ron", "worlds/teaching.ron"]
        .iter()
        .enumerate()
    {
        let id = format!("<section id=\"assumptions-{}\">", k + 1);
        let table = &html[html.find(&id).unwrap_or_else(|| panic!("{id}"))..];
        let table = &table[..table.find("</section>").unwrap()];
        let inputs = retrofit::unstable::report::html::assumptions::inputs(&read(Path::new(world)));
        assert!(!inputs.is_empty());
        assert_eq!(table.matches("<tr>").count(), inputs.len() + 1, "{world}");
        assert!(table.contains(&format!("Show all {} inputs", inputs.len())));
    }
    assert!(html.contains("<section id=\"assumptions-differ\">"));
}
