//! Shared test harness: a small shop API on 127.0.0.1 (axum) that behaves like the slice of
//! GigGatek the tests need, a scratch project folder, and a way to run the real binary.
#![allow(dead_code)]

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The bearer token the shop hands out; tests check it never shows up in output.
pub const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjo3fQ.c2VjcmV0LXNpZ25hdHVyZQ";
pub const PASSWORD: &str = "Sup3r$ecretPass";

#[derive(Default)]
pub struct Shop {
    pub orders: Mutex<Vec<Value>>,
    /// Calls to /api/eventually so far.
    pub polls: AtomicUsize,
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub requests: AtomicUsize,
    /// The most requests in flight seen by /api/alone on arrival (itself excluded).
    pub company_seen: AtomicUsize,
}

pub struct Server {
    pub url: String,
    pub shop: Arc<Shop>,
    _runtime: tokio::runtime::Runtime,
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {TOKEN}"))
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn login(Json(body): Json<Value>) -> Response {
    if body["password"] == PASSWORD {
        Json(json!({
            "message": "Login successful",
            "token": TOKEN,
            "user": { "id": 7, "email": body["email"], "first_name": "Ada", "last_name": "Byte", "is_admin": false }
        }))
        .into_response()
    } else {
        error(StatusCode::UNAUTHORIZED, "Invalid email or password")
    }
}

async fn list_orders(State(shop): State<Arc<Shop>>, headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Token is missing");
    }
    let orders = shop.orders.lock().unwrap().clone();
    let total = orders.len();
    Json(json!({ "orders": orders, "pagination": { "total": total, "page": 1, "per_page": 10, "total_pages": 1 } }))
        .into_response()
}

async fn create_order(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Token is missing");
    }
    let Some(items) = body["items"].as_array().filter(|i| !i.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "Order must contain at least one item",
        );
    };
    let mut orders = shop.orders.lock().unwrap();
    let id = 1000 + orders.len() as u64;
    let order = json!({
        "id": id, "user_id": 7, "status": "pending", "payment_status": "pending",
        "total": 399.99, "order_date": "2026-11-25T12:00:00Z", "items": items.clone()
    });
    orders.push(order.clone());
    (
        StatusCode::CREATED,
        Json(json!({ "message": "Order created successfully", "order": order })),
    )
        .into_response()
}

async fn order_detail(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Token is missing");
    }
    let orders = shop.orders.lock().unwrap();
    match orders.iter().find(|o| o["id"] == id) {
        Some(order) => Json(json!({ "order": order })).into_response(),
        None => error(StatusCode::NOT_FOUND, "Order not found or access denied"),
    }
}

async fn cancel(
    State(shop): State<Arc<Shop>>,
    headers: HeaderMap,
    Path(id): Path<u64>,
) -> Response {
    if !authorized(&headers) {
        return error(StatusCode::UNAUTHORIZED, "Token is missing");
    }
    let mut orders = shop.orders.lock().unwrap();
    match orders.iter_mut().find(|o| o["id"] == id) {
        Some(order) if order["status"] == "pending" => {
            order["status"] = json!("cancelled");
            Json(json!({ "message": "Order cancelled successfully", "order": { "id": id, "status": "cancelled" } }))
                .into_response()
        }
        Some(order) => {
            let status = order["status"].as_str().unwrap_or("?").to_string();
            error(
                StatusCode::BAD_REQUEST,
                &format!("Cannot cancel order with status '{status}'"),
            )
        }
        None => error(StatusCode::NOT_FOUND, "Order not found or access denied"),
    }
}

/// `pending` for the first two calls, then `paid`: an effect that arrives late, like a webhook.
async fn eventually(State(shop): State<Arc<Shop>>) -> Json<Value> {
    let n = shop.polls.fetch_add(1, Ordering::SeqCst);
    Json(json!({ "payment_status": if n >= 2 { "paid" } else { "pending" } }))
}

/// Sleeps a little while counting how many requests are in flight at once.
async fn busy(State(shop): State<Arc<Shop>>) -> Json<Value> {
    let now = shop.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shop.max_in_flight.fetch_max(now, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(150)).await;
    shop.in_flight.fetch_sub(1, Ordering::SeqCst);
    Json(json!({ "ok": true }))
}

/// Like /api/busy, but records how many other requests were in flight when it arrived.
async fn alone(State(shop): State<Arc<Shop>>) -> Json<Value> {
    let others = shop.in_flight.load(Ordering::SeqCst);
    shop.company_seen.fetch_max(others, Ordering::SeqCst);
    busy(State(shop)).await
}

async fn slow() -> Json<Value> {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Json(json!({ "ok": true }))
}

async fn html() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [("content-type", "text/html")],
        "<html><body>Traceback: boom</body></html>",
    )
        .into_response()
}

async fn set_cookie() -> Response {
    (
        [("set-cookie", "session=s3ss10n-value; Path=/")],
        Json(json!({ "ok": true })),
    )
        .into_response()
}

async fn echo(headers: HeaderMap, body: String) -> Json<Value> {
    let h: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v.to_str().unwrap_or(""))))
        .collect();
    Json(json!({ "headers": h, "body": body }))
}

/// The webhook secret the shop verifies Stripe events with.
pub const WEBHOOK_SECRET: &str = "whsec_shop_test_secret";

async fn webhook(headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    match gigcheck_base::webhook_signature::verify(signature, &body, WEBHOOK_SECRET, now, 300) {
        Ok(()) => {
            let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            Json(json!({ "success": true, "type": event["type"], "object_id": event["data"]["object"]["id"] })).into_response()
        }
        Err(_) => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "success": false, "error": "Invalid signature" })),
        )
            .into_response(),
    }
}

pub fn router(shop: Arc<Shop>) -> Router {
    let counted = shop.clone();
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/orders", get(list_orders).post(create_order))
        .route("/api/orders/{id}", get(order_detail))
        .route("/api/orders/{id}/cancel", post(cancel))
        .route("/api/eventually", get(eventually))
        .route("/api/busy", get(busy))
        .route("/api/alone", get(alone))
        .route("/api/slow", get(slow))
        .route("/api/html", get(html))
        .route("/api/cookie", get(set_cookie))
        .route("/api/echo", get(echo).post(echo))
        .route("/api/payment/webhook", post(webhook))
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| {
                counted.requests.fetch_add(1, Ordering::SeqCst);
                async move { next.run(req).await }
            },
        ))
        .with_state(shop)
}

/// Starts the shop on an ephemeral port of 127.0.0.1, in its own runtime.
pub fn start() -> Server {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let shop = Arc::new(Shop::default());
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router(shop.clone());
    runtime.spawn(async move { axum::serve(listener, app).await });
    Server {
        url,
        shop,
        _runtime: runtime,
    }
}

/// A port nothing listens on.
pub fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// A scratch project: `specs/`, `fixtures/schemas/`, `reports/`.
pub struct Project {
    pub dir: tempfile::TempDir,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Project {
    pub fn new() -> Project {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("specs")).unwrap();
        std::fs::create_dir_all(dir.path().join("fixtures/schemas")).unwrap();
        Project { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn write(&self, rel: &str, contents: &str) -> &Project {
        let path = self.path(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
        self
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    pub fn exists(&self, rel: &str) -> bool {
        self.path(rel).exists()
    }

    /// Runs the real binary in the project folder, colours off.
    pub fn gigcheck(&self, args: &[&str]) -> Output {
        self.gigcheck_env(args, &[])
    }

    pub fn gigcheck_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        gigcheck_in(self.dir.path(), args, env)
    }
}

/// Runs the real binary in `dir` with these environment variables, colours off.
pub fn gigcheck_in(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_gigcheck"));
    cmd.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A server for one test: `app` on an ephemeral port of 127.0.0.1, in its own runtime (kept
/// alive by the returned value).
pub struct Served {
    pub url: String,
    pub runtime: tokio::runtime::Runtime,
}

pub fn serve(app: Router) -> Served {
    let (runtime, listener) = listen();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    Served { url, runtime }
}

/// A one-thread runtime and a listener on an ephemeral port of 127.0.0.1, for a test's server.
pub fn listen() -> (tokio::runtime::Runtime, tokio::net::TcpListener) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    (runtime, listener)
}

/// `--report` for each format besides JUnit, under `reports/run.*`.
pub const EVERY_REPORT: &[&str] = &[
    "--report",
    "json=reports/run.json",
    "--report",
    "html=reports/run.html",
    "--report",
    "markdown=reports/run.md",
];

/// Replaces what changes between runs (ports, timings, temp paths) for snapshot tests.
pub fn stable(text: &str, server: Option<&Server>) -> String {
    let mut out = text.to_string();
    if let Some(s) = server {
        out = out.replace(&s.url, "http://127.0.0.1:[port]");
        out = out.replace(s.url.trim_start_matches("http://"), "127.0.0.1:[port]");
    }
    // The slowest-scenarios list is ordered by time, which varies from run to run.
    let slowest = regex::Regex::new(r"\nSlowest\n(  .*\n)+").unwrap();
    out = slowest
        .replace_all(&out, "\nSlowest\n  [by time]\n")
        .into_owned();
    let times = regex::Regex::new(r"\d+(\.\d+)? (ms|s)\b").unwrap();
    times.replace_all(&out, "[time]").into_owned()
}

/// The login fragment most specs include.
pub const LOGIN_FRAGMENT: &str = r#"
description: Log in and keep the token
params: [email, password]
steps:
  - name: Log in
    request:
      method: POST
      url: /api/auth/login
      json: { email: "{{email}}", password: "{{password}}" }
    expect:
      status: 200
      body:
        $.user.email: "{{email}}"
    capture:
      token: $.token
"#;

pub const CREATED_ORDER_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["message", "order"],
  "properties": { "order": { "$ref": "order.json" }, "message": { "type": "string" } }
}"#;

pub const ORDER_SCHEMA: &str = r#"{
  "type": "object",
  "required": ["id", "status", "total"],
  "properties": {
    "id": { "type": "integer" },
    "status": { "enum": ["pending", "processing", "shipped", "delivered", "cancelled"] },
    "total": { "type": "number" },
    "order_date": { "type": "string", "format": "date-time" }
  }
}"#;

impl Project {
    /// A project with the login fragment and the order schemas in place.
    pub fn shop() -> Project {
        let p = Project::new();
        p.write("specs/_fragments/login.yaml", LOGIN_FRAGMENT)
            .write("fixtures/schemas/created-order.json", CREATED_ORDER_SCHEMA)
            .write("fixtures/schemas/order.json", ORDER_SCHEMA);
        p
    }
}

/// The project's own `fixtures/` (schemas, plan, contract, roles) copied into a scratch project.
pub fn copy_project_fixtures(p: &Project) {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    copy(&root.join("fixtures"), &p.path("fixtures"));
}

/// The Python of the tests' virtualenv (under target/, made on first use, packages pinned in
/// `tests/python/requirements.txt`): real clients and report readers from PyPI.
pub fn python() -> PathBuf {
    static READY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    READY
        .get_or_init(|| {
            let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("python-venv");
            let python = venv.join("bin").join("python");
            if !python.exists() {
                run_ok(
                    std::process::Command::new("python3")
                        .args(["-m", "venv"])
                        .arg(&venv),
                    "python3 -m venv",
                );
            }
            run_ok(
                std::process::Command::new(&python)
                    .args([
                        "-m",
                        "pip",
                        "install",
                        "--quiet",
                        "--disable-pip-version-check",
                        "-r",
                    ])
                    .arg(root.join("tests/python/requirements.txt")),
                "pip install -r tests/python/requirements.txt",
            );
            python
        })
        .clone()
}

/// Runs a command that must succeed, showing its output when it does not.
pub fn run_ok(cmd: &mut std::process::Command, what: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
