//! `retrofit serve`'s HTTP API, with a real HTTP client against a free local port.

#[path = "common/classroom.rs"]
mod classroom;

use classroom::Server;
use retrofit::serve::{Classroom, MAX_BODY_BYTES, bind};
use serde_json::json;
use std::collections::BTreeMap;
use std::net::SocketAddr;

fn teaching() -> String {
    std::fs::read_to_string("worlds/teaching.ron").unwrap()
}

fn reference() -> String {
    std::fs::read_to_string("worlds/reference.ron").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_round_trips_to_the_library_and_downloads_a_world_that_loads() {
    let server = Server::start(&reference()).await;
    let world = server.get_json("/api/world").await;
    assert!(
        world["controls"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "lease_usd_per_kw_month")
    );

    let body = json!({ "values": { "lease_usd_per_kw_month": "100" } });
    let r = server.post_json("/api/run", &body).await;
    assert_eq!(r.status(), 200);
    let view: serde_json::Value = r.json().await.unwrap();
    // The library, edited the same way, computes the same NPV.
    let c = Classroom::new(reference(), "x".into()).unwrap();
    let values = BTreeMap::from([("lease_usd_per_kw_month".to_string(), "100".to_string())]);
    let (text, s) = c.edited(&values).unwrap();
    let npv = retrofit::run(&s, None).unwrap().summary.npv_usd;
    assert_eq!(view["npv_usd"].as_f64().unwrap(), npv);
    let base = retrofit::run(&retrofit::load("worlds/reference.ron").unwrap(), None).unwrap();
    assert!(
        npv < base.summary.npv_usd,
        "a lower lease rate lowers the NPV"
    );
    // cash, power, revenue, timeline, market, and finance (the world has a finance section).
    assert_eq!(view["charts"].as_array().unwrap().len(), 6);
    assert!(
        view["charts"][0]["svg"]
            .as_str()
            .unwrap()
            .starts_with("<svg")
    );

    let ron = server.post_json("/api/world.ron", &body).await;
    assert_eq!(ron.status(), 200);
    let downloaded = ron.text().await.unwrap();
    assert_eq!(downloaded, text);
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("world.ron");
    std::fs::write(&path, &downloaded).unwrap();
    let again = retrofit::load(&path).unwrap();
    assert_eq!(retrofit::run(&again, None).unwrap().summary.npv_usd, npv);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_answers_and_never_stop_the_server() {
    let server = Server::start(&teaching()).await;
    for path in [
        "/nope",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e%2fCargo.toml",
        "/assets/",
        "/api/sweep/999",
        "/api/sweep/x",
    ] {
        let r = server.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(r.text().await.unwrap(), "not found\n", "{path}");
    }
    let malformed = server.post("/api/run", "{\"values\": ").await;
    assert_eq!(malformed.status(), 400);
    let msg: serde_json::Value = malformed.json().await.unwrap();
    assert!(
        msg["error"]
            .as_str()
            .unwrap()
            .starts_with("malformed request"),
        "{msg}"
    );
    let oversize = server
        .post("/api/run", vec![b' '; MAX_BODY_BYTES + 1])
        .await;
    assert_eq!(oversize.status(), 413);
    // A value the checker refuses gets check's message, naming the file, line and rule.
    let body = json!({ "values": { "lease_usd_per_kw_month": "-5" } });
    let bad = server.post_json("/api/run", &body).await;
    assert_eq!(bad.status(), 422);
    let msg: serde_json::Value = bad.json().await.unwrap();
    let text = teaching().replace("usd_per_kw_month: 121.5", "usd_per_kw_month: -5.0");
    let check = retrofit::load_str(&text, "test.ron")
        .unwrap_err()
        .to_string();
    assert_eq!(msg["error"].as_str().unwrap(), check);
    // Still serving.
    assert_eq!(server.get("/").await.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn world_names_are_escaped_on_the_page_and_the_font_is_served() {
    let text = teaching().replacen("name: \"", "name: \"<script>alert(1)</script>", 1);
    let server = Server::start(&text).await;
    let page = server.get("/").await.text().await.unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)"));
    assert!(!page.contains("<script>alert"));
    let font = server
        .get("/assets/DejaVuSans.ttf")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        &font[..],
        &std::fs::read("assets/fonts/DejaVuSans.ttf").unwrap()[..]
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_reports_progress_and_its_percentiles() {
    let server = Server::start(&teaching()).await;
    let body = json!({ "values": {}, "runs": 20 });
    let started: serde_json::Value = server
        .post_json("/api/sweep", &body)
        .await
        .json()
        .await
        .unwrap();
    let id = started["id"].as_u64().unwrap();
    let status = loop {
        let s = server.get_json(&format!("/api/sweep/{id}")).await;
        assert!(s["done"].as_u64().unwrap() <= 20);
        if s["finished"].as_bool().unwrap() {
            break s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(status["done"], 20);
    assert_eq!(status["result"]["summary"]["runs_completed"], 20);
    assert_eq!(status["result"]["charts"].as_array().unwrap().len(), 2);
    let too_many = json!({ "runs": 1_000_000 });
    let r = server.post_json("/api/sweep", &too_many).await;
    assert_eq!(r.status(), 400);
    server.stop().await;
}

#[tokio::test]
async fn a_port_in_use_is_an_error_naming_the_port() {
    let l = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = l.local_addr().unwrap();
    let e = bind(addr).await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("port {}", addr.port())) && e.contains("in use"),
        "{e}"
    );
}
