//! report.html (of a run, and of a 10,000-run sweep) and `retrofit serve`'s page in a
//! real browser: headless Chromium (Debian's `chromium` package) driven over the
//! DevTools protocol from Rust.
//!
//! Runs only when `RETROFIT_BROWSER_TEST=1`, which `scripts/test.sh` always sets after
//! installing chromium (so CI runs it, and it fails loudly there rather than skipping);
//! a plain `cargo test` on a machine without a browser skips it with a message.
//! `RETROFIT_CHROMIUM` overrides the browser path (default `/usr/bin/chromium`);
//! `RETROFIT_SCREENSHOTS` names a folder to copy the screenshots to (used by
//! `scripts/regen-examples.sh`). Limits are generous; speed is for the benchmark.

mod common;
#[path = "common/outputs.rs"]
mod outputs;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(180);

/// A child process stopped by its pid when dropped, whatever happened.
struct Stopper(Child);

impl Drop for Stopper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts Chromium with the flags a closed network needs; returns it and the DevTools
/// HTTP port.
fn chromium(profile: &Path) -> (Stopper, u16) {
    let bin = std::env::var("RETROFIT_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let mut child = Command::new(&bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1400,1000",
            "--remote-debugging-port=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e} (scripts/test.sh installs chromium)"));
    let stderr = child.stderr.take().unwrap();
    let stopper = Stopper(child);
    let (tx, rx) = std::sync::mpsc::channel();
    // Read stderr to the end on a thread, so the browser never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("DevTools listening on ws://127.0.0.1:").nth(1) {
                let port: u16 = rest.split('/').next().unwrap().parse().unwrap();
                let _ = tx.send(port);
            }
        }
    });
    let port = rx
        .recv_timeout(WAIT)
        .expect("chromium printed no DevTools address");
    (stopper, port)
}

/// Starts `retrofit serve` on a free port; returns it and the page's URL.
fn serve(world: &str) -> (Stopper, String) {
    let mut child = common::retrofit()
        .args(["serve", world, "--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let stopper = Stopper(child);
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    (stopper, url)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One DevTools page session.
struct Page {
    ws: Socket,
    next: u64,
}

impl Page {
    async fn open(devtools_port: u16) -> Page {
        let list: Value = reqwest::get(format!("http://127.0.0.1:{devtools_port}/json/list"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let target = list
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == "page")
            .expect("a page target");
        let url = target["webSocketDebuggerUrl"].as_str().unwrap();
        let (ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        let mut p = Page { ws, next: 0 };
        for m in ["Page.enable", "Runtime.enable", "DOM.enable", "CSS.enable"] {
            p.call(m, json!({})).await;
        }
        p
    }

    async fn call(&mut self, method: &str, params: Value) -> Value {
        self.next += 1;
        let id = self.next;
        let msg = json!({ "id": id, "method": method, "params": params });
        self.ws.send(Message::text(msg.to_string())).await.unwrap();
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let next = tokio::time::timeout(left, self.ws.next()).await;
            let Ok(Some(Ok(Message::Text(text)))) = next else {
                assert!(Instant::now() < deadline, "{method}: no answer");
                continue;
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
        }
    }

    /// Evaluates a JS expression and returns its value.
    async fn eval(&mut self, expr: &str) -> Value {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expr, "returnByValue": true, "awaitPromise": true }),
            )
            .await;
        assert!(
            r.get("exceptionDetails").is_none(),
            "{expr}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Waits until `expr` is true.
    async fn wait_for(&mut self, expr: &str) {
        let deadline = Instant::now() + WAIT;
        while self.eval(expr).await != json!(true) {
            assert!(Instant::now() < deadline, "timed out waiting for {expr}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn goto(&mut self, url: &str) {
        self.call("Page.navigate", json!({ "url": url })).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.wait_for("document.readyState === 'complete'").await;
    }

    /// The fonts the browser used for the first element matching `selector`.
    async fn fonts_of(&mut self, selector: &str) -> Vec<(String, bool)> {
        let doc = self.call("DOM.getDocument", json!({})).await;
        let root = doc["root"]["nodeId"].clone();
        let node = self
            .call(
                "DOM.querySelector",
                json!({ "nodeId": root, "selector": selector }),
            )
            .await;
        let f = self
            .call(
                "CSS.getPlatformFontsForNode",
                json!({ "nodeId": node["nodeId"] }),
            )
            .await;
        f["fonts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["familyName"].as_str().unwrap().to_string(),
                    f["isCustomFont"] == true,
                )
            })
            .collect()
    }

    async fn screenshot(&mut self, to: &Path) {
        let r = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": false }),
            )
            .await;
        let png = base64_decode(r["data"].as_str().unwrap());
        assert_eq!(&png[1..4], b"PNG");
        std::fs::write(to, png).unwrap();
    }
}

fn base64_decode(s: &str) -> Vec<u8> {
    let val = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        _ => 63,
    };
    let clean: Vec<u8> = s
        .bytes()
        .filter(|&c| c != b'=' && !c.is_ascii_whitespace())
        .collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &c)| n | u32::from(val(c)) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Every chart on the page: rendered with a non-zero size, its text drawn as glyph
/// outlines of the bundled font (the SVG's `<desc>` names it, glyphs are `<use>` of its
/// outlines, and there is no `<text>` a system font could draw). Returns the count.
async fn check_charts(page: &mut Page) -> u64 {
    let v = page
        .eval(
            "Array.from(document.querySelectorAll('figure.chart svg')).map(s => {
               const r = s.getBoundingClientRect();
               const glyphs = Array.from(s.querySelectorAll('use'));
               const drawn = glyphs.filter(u => { const b = u.getBBox(); return b.width > 0 && b.height > 0; }).length;
               return { w: r.width, h: r.height, texts: s.querySelectorAll('text').length,
                        glyphs: glyphs.length, drawn,
                        font: (s.querySelector('desc') || {}).textContent || '' };
             })",
        )
        .await;
    let charts = v.as_array().unwrap();
    for c in charts {
        assert!(
            c["w"].as_f64().unwrap() > 100.0 && c["h"].as_f64().unwrap() > 50.0,
            "{c}"
        );
        assert_eq!(c["texts"], 0, "{c}");
        assert!(c["glyphs"].as_u64().unwrap() > 20, "{c}");
        assert!(c["drawn"].as_u64().unwrap() > 20, "{c}");
        assert!(c["font"].as_str().unwrap().contains("DejaVu Sans"), "{c}");
    }
    charts.len() as u64
}

/// Page text is in the bundled font, loaded by the page itself (a custom font), not a
/// system font that happens to be installed.
async fn check_page_font(page: &mut Page) {
    page.wait_for("document.fonts.status === 'loaded'").await;
    let fonts = page.fonts_of(".lede").await;
    assert_eq!(
        fonts.first().map(|f| f.0.as_str()),
        Some("DejaVu Sans"),
        "{fonts:?}"
    );
    assert!(
        fonts[0].1,
        "DejaVu Sans is the page's own font, not a system one: {fonts:?}"
    );
}

/// The ledger table's rows: how many, and how many the browser laid out with a height.
async fn ledger_rows(page: &mut Page) -> (u64, u64) {
    let v = page
        .eval(
            "(() => { const rows = Array.from(document.querySelectorAll('#ledger tbody tr'));
                      return [rows.length, rows.filter(r => r.getBoundingClientRect().height > 0).length]; })()",
        )
        .await;
    (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
}

/// The monthly ledger is folded on screen, opens when its label is clicked, and prints
/// in full while folded: with print media emulated (what "print to PDF" lays out), every
/// row has a height and the fold's label is gone.
async fn check_ledger_folds_on_screen_and_prints_whole(page: &mut Page, months: u64) {
    assert_eq!(ledger_rows(page).await, (months, 0), "folded on screen");
    page.eval("document.querySelector('label[for=fold-ledger]').click(), true")
        .await;
    assert_eq!(
        ledger_rows(page).await,
        (months, months),
        "opened by a click"
    );
    page.eval("document.querySelector('label[for=fold-ledger]').click(), true")
        .await;
    assert_eq!(ledger_rows(page).await, (months, 0), "folded again");
    page.call("Emulation.setEmulatedMedia", json!({ "media": "print" }))
        .await;
    assert_eq!(ledger_rows(page).await, (months, months), "printed whole");
    assert!(
        page.eval(
            "getComputedStyle(document.querySelector('label[for=fold-ledger]')).display === 'none'"
        )
        .await
            == json!(true),
        "the fold's label is not printed"
    );
    page.call("Emulation.setEmulatedMedia", json!({ "media": "" }))
        .await;
    assert_eq!(
        ledger_rows(page).await,
        (months, 0),
        "folded on screen again"
    );
}

fn keep_screenshot(from: &Path, name: &str) {
    if let Ok(dir) = std::env::var("RETROFIT_SCREENSHOTS") {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(from, PathBuf::from(dir).join(name)).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn report_and_classroom_page_render_in_headless_chromium() {
    if std::env::var("RETROFIT_BROWSER_TEST").as_deref() != Ok("1") {
        eprintln!(
            "skipped: set RETROFIT_BROWSER_TEST=1 (scripts/test.sh does) to run the browser test"
        );
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reference");
    let out_arg = out.to_str().unwrap();
    outputs::run_ok([
        "run",
        "worlds/reference.ron",
        "--charts",
        "svg",
        "--out",
        out_arg,
    ]);
    // The 10,000-run sweep's report: the size limit the issue sets, then opened below.
    let sweep = tmp.path().join("reference-sweep");
    outputs::run_ok([
        "sweep",
        "worlds/reference.ron",
        "--runs",
        "10000",
        "--charts",
        "svg",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    let sweep_report = sweep.join("report.html");
    let bytes = std::fs::metadata(&sweep_report).unwrap().len();
    assert!(bytes < 5_000_000, "10,000-run report.html is {bytes} bytes");
    let sweep_charts = svg_files(&sweep);
    assert!(sweep_charts >= 2, "the fan and payback charts at least");
    let (_server, url) = serve("worlds/reference.ron");
    let (_browser, port) = chromium(&tmp.path().join("profile"));
    let mut page = Page::open(port).await;

    // report.html from disk.
    let report = std::fs::canonicalize(out.join("report.html")).unwrap();
    page.goto(&format!("file://{}", report.display())).await;
    assert_eq!(check_charts(&mut page).await, svg_files(&out));
    check_page_font(&mut page).await;
    let months = outputs::read(out.join("ledger.csv")).lines().count() as u64 - 1;
    check_ledger_folds_on_screen_and_prints_whole(&mut page, months).await;
    let shot = tmp.path().join("report.png");
    page.screenshot(&shot).await;
    keep_screenshot(&shot, "report.png");

    // The 10,000-run sweep's report: every chart it wrote is drawn with a size, in the
    // bundled font, and its first headline figure is summary.json's NPV P50.
    let report = std::fs::canonicalize(&sweep_report).unwrap();
    page.goto(&format!("file://{}", report.display())).await;
    assert_eq!(check_charts(&mut page).await, sweep_charts);
    check_page_font(&mut page).await;
    let headline = page
        .eval("document.querySelector('#headline dd').textContent")
        .await;
    let p50 = outputs::summary(&sweep)["npv_usd"]["p50"].as_f64().unwrap();
    assert_eq!(headline, json!(retrofit::text::usd(p50)));
    let shot = tmp.path().join("sweep-report.png");
    page.screenshot(&shot).await;

    // The classroom page: first run drawn, then the lease rate moved.
    page.goto(&url).await;
    // The page draws the same run charts `run` writes for this world.
    let run_charts = svg_files(&out);
    page.wait_for(&format!("!!document.getElementById('npv') && document.querySelectorAll('figure.chart svg').length === {run_charts}")).await;
    assert_eq!(check_charts(&mut page).await, run_charts);
    check_page_font(&mut page).await;
    let before = page
        .eval("document.getElementById('npv').textContent")
        .await;
    page.eval(
        "(() => { const i = document.querySelector('[data-control=lease_usd_per_kw_month]');
                  i.value = '100'; i.dispatchEvent(new Event('input')); return true; })()",
    )
    .await;
    // The library, given the same edit, computes the NPV the page must show.
    let text = outputs::read("worlds/reference.ron");
    let c = retrofit::serve::Classroom::new(text, "reference.ron".into()).unwrap();
    let values = [("lease_usd_per_kw_month".to_string(), "100".to_string())].into();
    let (_, s) = c.edited(&values).unwrap();
    let npv = retrofit::run(&s, None).unwrap().summary.npv_usd;
    let want = retrofit::text::usd(npv);
    assert_ne!(before, json!(want), "the lease rate must move the NPV");
    page.wait_for(&format!(
        "!document.body.dataset.busy && document.getElementById('npv').textContent === {}",
        json!(want)
    ))
    .await;
    let shown = page
        .eval("Number(document.getElementById('npv').dataset.npvUsd)")
        .await;
    assert_eq!(shown.as_f64().unwrap(), npv);
    let shot = tmp.path().join("classroom.png");
    page.screenshot(&shot).await;
    keep_screenshot(&shot, "classroom.png");
}

/// How many `.svg` charts a command wrote into `dir`.
fn svg_files(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().extension() == Some("svg".as_ref()))
        .count() as u64
}
