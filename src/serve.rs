//! `retrofit serve WORLD`: the classroom page. A local web server (axum on tokio) shows
//! the world's charts and headline numbers with controls a teacher moves; each change
//! edits the world text, checks it as `check` would, re-runs the engine and answers
//! with new SVG charts.
//!
//! Safety: request bodies are bounded ([`MAX_BODY_BYTES`]), so are concurrent runs (a
//! semaphore of [`MAX_CONCURRENT_RUNS`] permits; sweeps take one too), malformed JSON is
//! answered `400` with a message, every path outside the served assets is `404`, and no
//! request can panic the server: handlers return errors as responses.

mod edit;

pub use edit::{BadValue, Control, apply, controls};

use crate::engine::RunResult;
use crate::report::html::Figure;
use crate::report::{ChartFormat, ChartOptions, ChartSize};
use crate::scenario::Scenario;
use crate::sweep::SweepConfig;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Largest request body accepted: a page sends a few control values.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Runs and sweeps computed at once; more requests wait their turn (runs) or are told
/// to retry (sweeps).
pub const MAX_CONCURRENT_RUNS: usize = 4;
/// Most runs one sweep from the page may ask for.
pub const MAX_SWEEP_RUNS: u64 = 2_000;
/// Chart size on the page (the SVG scales to the window).
const CHART_SIZE: ChartSize = ChartSize {
    width: 1200,
    height: 675,
};

/// Why the server could not start.
#[derive(Debug)]
pub enum ServeError {
    /// The address could not be bound: the port in use, say.
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The system's reason.
        source: std::io::Error,
    },
    /// Serving failed after start.
    Io(std::io::Error),
}

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServeError::Bind { addr, source } if source.kind() == std::io::ErrorKind::AddrInUse => {
                write!(
                    f,
                    "port {} is already in use on {}: choose another with --port",
                    addr.port(),
                    addr.ip()
                )
            }
            ServeError::Bind { addr, source } => {
                write!(
                    f,
                    "cannot listen on {addr} (port {}): {source}",
                    addr.port()
                )
            }
            ServeError::Io(e) => write!(f, "serving failed: {e}"),
        }
    }
}

impl std::error::Error for ServeError {}

/// The classroom: one world's text, its controls and the run limits. Cheap to clone.
#[derive(Clone)]
pub struct Classroom {
    inner: Arc<Inner>,
}

struct Inner {
    text: String,
    origin: String,
    name: String,
    controls: Vec<Control>,
    runs: Arc<Semaphore>,
    sweeps: Mutex<BTreeMap<u64, Arc<SweepJob>>>,
    next_sweep: AtomicU64,
}

/// A sweep started from the page: progress and, once done, its result.
struct SweepJob {
    total: u64,
    done: AtomicU64,
    result: Mutex<Option<Result<serde_json::Value, String>>>,
}

/// What the page sends: control id → value (as text, as the inputs hold it).
#[derive(Deserialize)]
struct Edit {
    #[serde(default)]
    values: BTreeMap<String, String>,
    #[serde(default)]
    runs: Option<u64>,
}

/// One run's answer: headline numbers and the charts.
#[derive(Serialize)]
pub struct RunView {
    /// NPV in USD, as computed (the page shows it formatted, and keeps this number).
    pub npv_usd: f64,
    /// NPV as the page shows it.
    pub npv_text: String,
    /// Headline numbers, (label, value).
    pub headline: Vec<(String, String)>,
    /// Charts with captions, inline SVG.
    pub charts: Vec<Figure>,
}

impl Classroom {
    /// A classroom for the world `text` (named `origin` in messages). The world must
    /// load: the same checks and messages as `retrofit check`.
    pub fn new(text: String, origin: String) -> Result<Self, crate::WorldError> {
        let s = crate::load_str(&text, &origin)?;
        let controls = controls(&text, &s);
        Ok(Classroom {
            inner: Arc::new(Inner {
                name: s.name.clone(),
                text,
                origin,
                controls,
                runs: Arc::new(Semaphore::new(MAX_CONCURRENT_RUNS)),
                sweeps: Mutex::new(BTreeMap::new()),
                next_sweep: AtomicU64::new(1),
            }),
        })
    }

    /// The controls the page offers.
    pub fn controls(&self) -> &[Control] {
        &self.inner.controls
    }

    /// The world text with `values` written in, checked: an invalid world gives the
    /// messages `check` prints.
    pub fn edited(&self, values: &BTreeMap<String, String>) -> Result<(String, Scenario), String> {
        let text = apply(&self.inner.text, &self.inner.controls, values).map_err(|e| e.0)?;
        let s = crate::load_str(&text, &self.inner.origin).map_err(|e| e.to_string())?;
        Ok((text, s))
    }

    /// Edits, checks and runs the world (median run) and draws its charts as SVG: what
    /// the page gets back for one change of its controls.
    pub fn rerun(&self, values: &BTreeMap<String, String>) -> Result<RunView, String> {
        let (_, s) = self.edited(values)?;
        let r = crate::run(&s, None).map_err(|e| format!("the run failed: {e:?}"))?;
        view(&s, &r)
    }

    /// The router serving the page, its assets and its API.
    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(index))
            .route("/assets/{name}", get(asset))
            .route("/api/world", get(world))
            .route("/api/run", post(run))
            .route("/api/world.ron", post(download))
            .route("/api/sweep", post(start_sweep))
            .route("/api/sweep/{id}", get(sweep_status))
            .fallback(not_found)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(self)
    }
}

fn view(s: &Scenario, r: &RunResult) -> Result<RunView, String> {
    let opts = ChartOptions {
        format: ChartFormat::Svg,
        size: CHART_SIZE,
    };
    let files = crate::report::run_charts(s, r, &opts).map_err(|e| format!("{e:#}"))?;
    Ok(RunView {
        npv_usd: r.summary.npv_usd,
        npv_text: crate::report::text::usd(r.summary.npv_usd),
        headline: crate::report::html::run_headline(r),
        charts: files.iter().map(|(n, b)| Figure::from_file(n, b)).collect(),
    })
}

/// Binds `addr`; a port in use is an error naming the port.
pub async fn bind(addr: SocketAddr) -> Result<tokio::net::TcpListener, ServeError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServeError::Bind { addr, source })
}

/// Serves `classroom` on `listener` until `shutdown` completes, then finishes the
/// requests in flight and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    classroom: Classroom,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    axum::serve(listener, classroom.router())
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServeError::Io)
}

// ---- handlers ----

fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": message.into() });
    (status, axum::Json(body)).into_response()
}

/// The edit a request body asks for, or the 400 answer (boxed: a `Response` is large).
fn parse_edit(body: &Bytes) -> Result<Edit, Box<Response>> {
    serde_json::from_slice(body).map_err(|e| {
        Box::new(error(
            StatusCode::BAD_REQUEST,
            format!("malformed request: {e}"),
        ))
    })
}

async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found\n").into_response()
}

async fn index(State(c): State<Classroom>) -> Response {
    let page = page::index(&c.inner.name);
    match page {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

async fn asset(Path(name): Path<String>) -> Response {
    match page::asset(&name) {
        Some((mime, bytes)) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => not_found().await,
    }
}

async fn world(State(c): State<Classroom>) -> Response {
    axum::Json(serde_json::json!({
        "name": c.inner.name,
        "controls": c.inner.controls,
    }))
    .into_response()
}

async fn run(State(c): State<Classroom>, body: Bytes) -> Response {
    let edit = match parse_edit(&body) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let Ok(_permit) = c.inner.runs.clone().acquire_owned().await else {
        return error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping");
    };
    let c2 = c.clone();
    let answer = tokio::task::spawn_blocking(move || c2.rerun(&edit.values)).await;
    match answer {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(msg)) => error(StatusCode::UNPROCESSABLE_ENTITY, msg),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the run failed: {e}"),
        ),
    }
}

async fn download(State(c): State<Classroom>, body: Bytes) -> Response {
    let edit = match parse_edit(&body) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    match c.edited(&edit.values) {
        Ok((text, _)) => (
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"world.ron\"",
                ),
            ],
            text,
        )
            .into_response(),
        Err(msg) => error(StatusCode::UNPROCESSABLE_ENTITY, msg),
    }
}

async fn start_sweep(State(c): State<Classroom>, body: Bytes) -> Response {
    let edit = match parse_edit(&body) {
        Ok(e) => e,
        Err(r) => return *r,
    };
    let runs = edit.runs.unwrap_or(200);
    if runs == 0 || runs > MAX_SWEEP_RUNS {
        return error(
            StatusCode::BAD_REQUEST,
            format!("runs must be 1 to {MAX_SWEEP_RUNS}"),
        );
    }
    let s = match c.edited(&edit.values) {
        Ok((_, s)) => s,
        Err(msg) => return error(StatusCode::UNPROCESSABLE_ENTITY, msg),
    };
    let Ok(permit) = c.inner.runs.clone().try_acquire_owned() else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy: too many runs at once, try again",
        );
    };
    let job = Arc::new(SweepJob {
        total: runs,
        done: AtomicU64::new(0),
        result: Mutex::new(None),
    });
    let id = c.inner.next_sweep.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut jobs) = c.inner.sweeps.lock() {
        // Keep the latest few jobs only: memory stays bounded.
        while jobs.len() >= 16 {
            jobs.pop_first();
        }
        jobs.insert(id, job.clone());
    }
    // The sweep runs its own runtime, so it gets a plain thread, not a tokio task.
    std::thread::spawn(move || {
        let out = sweep_view(Arc::new(s), runs, &job);
        if let Ok(mut slot) = job.result.lock() {
            *slot = Some(out);
        }
        drop(permit);
    });
    axum::Json(serde_json::json!({ "id": id, "total": runs })).into_response()
}

fn sweep_view(s: Arc<Scenario>, runs: u64, job: &SweepJob) -> Result<serde_json::Value, String> {
    let cfg = SweepConfig {
        runs,
        seed: 1,
        jobs: 1,
        shard: None,
        handle_interrupt: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (agg, _) = crate::sweep::execute(
        s.clone(),
        &cfg,
        stop,
        |_| Ok(()),
        || {
            job.done.fetch_add(1, Ordering::Relaxed);
        },
    )
    .map_err(|e| e.to_string())?;
    let sum = agg.summary(&s.name, cfg.seed, runs, false);
    let opts = ChartOptions {
        format: ChartFormat::Svg,
        size: CHART_SIZE,
    };
    let files = crate::report::sweep_charts(&agg, &sum, &opts).map_err(|e| format!("{e:#}"))?;
    let charts: Vec<Figure> = files.iter().map(|(n, b)| Figure::from_file(n, b)).collect();
    Ok(serde_json::json!({
        "summary": sum,
        "charts": charts,
    }))
}

async fn sweep_status(State(c): State<Classroom>, Path(id): Path<String>) -> Response {
    let job = id
        .parse::<u64>()
        .ok()
        .and_then(|id| c.inner.sweeps.lock().ok()?.get(&id).cloned());
    let Some(job) = job else {
        return not_found().await;
    };
    let result = job.result.lock().map(|r| r.clone()).unwrap_or(None);
    let (finished, value, err) = match result {
        None => (false, None, None),
        Some(Ok(v)) => (true, Some(v), None),
        Some(Err(e)) => (true, None, Some(e)),
    };
    axum::Json(serde_json::json!({
        "done": job.done.load(Ordering::Relaxed),
        "total": job.total,
        "finished": finished,
        "result": value,
        "error": err,
    }))
    .into_response()
}

mod page;
