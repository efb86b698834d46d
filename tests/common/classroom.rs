//! `retrofit serve`'s classroom, started in-process on a free local port, with the
//! requests the serve tests make. Declared by tests/serve.rs with
//! `#[path = "common/classroom.rs"] mod classroom;` (see outputs.rs for why not in
//! mod.rs).

use retrofit::serve::{Classroom, bind, serve};
use serde_json::Value;
use std::net::SocketAddr;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running classroom: its base URL and a client. [`Server::stop`] shuts it down
/// through the same graceful path as Ctrl-C and checks it ended without error.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    http: reqwest::Client,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Server {
    /// Serves the world `text` (named `test.ron` in messages) on a free port.
    pub async fn start(text: &str) -> Server {
        let c = Classroom::new(text.to_string(), "test.ron".into()).unwrap();
        let l = bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let (stop, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            serve(l, c, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
        Server {
            url,
            http: reqwest::Client::new(),
            stop,
            task,
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(self.http.get(format!("{}{path}", self.url)))
            .await
    }

    /// `GET path`, answered with JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.unwrap()
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.send(self.http.post(format!("{}{path}", self.url)).json(body))
            .await
    }

    /// `POST path` with raw bytes (for malformed and oversized requests).
    pub async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.send(self.http.post(format!("{}{path}", self.url)).body(body))
            .await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> reqwest::Response {
        request.send().await.unwrap()
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(self) {
        self.stop.send(()).unwrap();
        self.task.await.unwrap();
    }
}
