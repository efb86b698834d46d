//! `retrofit serve`: one input change of the classroom page, answered through HTTP with
//! the re-run's headline numbers and new SVG charts, for the reference world. Target:
//! under 100 ms at the median (issue 17). Figures in BENCHMARKS.md.
//!
//!   cargo bench --bench serve

use criterion::{Criterion, criterion_group, criterion_main};
use retrofit::serve::{Classroom, bind, serve};
use std::net::SocketAddr;
use std::time::Duration;

fn input_change(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let text = std::fs::read_to_string("worlds/reference.ron").unwrap();
    let classroom = Classroom::new(text, "reference.ron".into()).unwrap();
    let url = rt.block_on(async {
        let l = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let url = format!("http://{}/api/run", l.local_addr().unwrap());
        tokio::spawn(serve(l, classroom, std::future::pending()));
        url
    });
    let http = reqwest::Client::new();
    let mut rate = 100.0;
    let mut g = c.benchmark_group("serve");
    g.sample_size(30).measurement_time(Duration::from_secs(10));
    g.bench_function("input change → new SVGs (reference world)", |b| {
        b.iter(|| {
            // A new lease rate each time: every answer is a fresh run and fresh charts.
            rate += 0.5;
            let body =
                serde_json::json!({ "values": { "lease_usd_per_kw_month": format!("{rate}") } });
            let answer = rt.block_on(async {
                let r = http.post(&url).json(&body).send().await.unwrap();
                assert!(r.status().is_success());
                r.bytes().await.unwrap()
            });
            assert!(answer.len() > 10_000);
            answer
        })
    });
    g.finish();
}

criterion_group!(benches, input_change);
criterion_main!(benches);
