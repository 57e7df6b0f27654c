//! What real deployments do that a test runner must take as a browser would: redirects within the
//! backend's origin are followed (307/308 keep the method and body, 303 turns into a GET, a loop
//! stops), and a 429 is waited out once when `Retry-After` is short, else it blocks the scenario
//! with the cause "rate limited" — unless the step expects the 429 itself.

use crate::common;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use common::Project;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default)]
struct Counts {
    busy: AtomicUsize,
    limited: AtomicUsize,
    looped: AtomicUsize,
}

fn redirect(status: StatusCode, to: &'static str) -> Response {
    (status, [(header::LOCATION, to)], "").into_response()
}

fn app(counts: Arc<Counts>) -> Router {
    Router::new()
        .route(
            "/api/orders",
            any(|| async { redirect(StatusCode::PERMANENT_REDIRECT, "/api/orders/") }),
        )
        .route(
            "/api/orders/",
            any(|method: Method, body: String| async move {
                axum::Json(json!({"method": method.as_str(), "body": body})).into_response()
            }),
        )
        .route(
            "/api/see-other",
            post(|| async { redirect(StatusCode::SEE_OTHER, "/api/orders/") }),
        )
        .route(
            "/api/loop",
            get(|State(c): State<Arc<Counts>>| async move {
                c.looped.fetch_add(1, Ordering::SeqCst);
                redirect(StatusCode::FOUND, "/api/loop")
            }),
        )
        .route(
            "/api/busy",
            get(|State(c): State<Arc<Counts>>| async move {
                if c.busy.fetch_add(1, Ordering::SeqCst) == 0 {
                    (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(header::RETRY_AFTER, "1")],
                        "slow down",
                    )
                        .into_response()
                } else {
                    axum::Json(json!({"ok": true})).into_response()
                }
            }),
        )
        .route(
            "/api/auth/register",
            post(|State(c): State<Arc<Counts>>| async move {
                c.limited.fetch_add(1, Ordering::SeqCst);
                let mut headers = HeaderMap::new();
                headers.insert(header::RETRY_AFTER, "3412".parse().unwrap());
                headers.insert("x-ratelimit-limit", "10".parse().unwrap());
                headers.insert("x-ratelimit-remaining", "0".parse().unwrap());
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    headers,
                    axum::Json(json!({"error": "Too many sign-ups", "retry_after": 3412})),
                )
                    .into_response()
            }),
        )
        .with_state(counts)
}

struct Server {
    url: String,
    counts: Arc<Counts>,
    _served: common::Served,
}

fn serve() -> Server {
    let counts = Arc::new(Counts::default());
    let served = common::serve(app(counts.clone()));
    Server {
        url: served.url.clone(),
        counts,
        _served: served,
    }
}

const SPEC: &str = r#"
name: Redirects and rate limits
serial: true
scenarios:
  - name: a 308 keeps the method and the body
    steps:
      - request: { method: POST, url: /api/orders, json: { items: [1] } }
        expect: { status: 200, body: { $.method: POST, $.body: '{"items":[1]}' } }
  - name: a 303 after a POST is a GET without a body
    steps:
      - request: { method: POST, url: /api/see-other, json: { items: [1] } }
        expect: { status: 200, body: { $.method: GET, $.body: "" } }
  - name: a step can check the redirect itself
    steps:
      - request: { method: POST, url: /api/orders, json: {} }
        redirects: none
        expect: { status: 308, headers: { location: /api/orders/ } }
  - name: a loop stops
    steps:
      - request: { method: GET, url: /api/loop }
        expect: { status: 302 }
  - name: a short Retry-After is waited out once
    steps:
      - request: { method: GET, url: /api/busy }
        expect: { status: 200, body: { $.ok: true } }
  - name: a step that expects the 429 gets it
    steps:
      - request: { method: POST, url: /api/auth/register, json: {} }
        expect: { status: 429 }
  - name: a long Retry-After blocks the scenario
    steps:
      - request: { method: POST, url: /api/auth/register, json: {} }
        expect: { status: 201 }
"#;

#[test]
fn redirects_are_followed_as_a_browser_does_and_rate_limits_block() {
    let server = serve();
    let p = Project::new();
    p.write("specs/real.yaml", SPEC);
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--report",
        "json=reports/run.json",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let report: Value = serde_json::from_str(&p.read("reports/run.json")).unwrap();
    let scenarios = report["suites"][0]["scenarios"].as_array().unwrap();
    let outcomes: Vec<(&str, &str)> = scenarios
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("a 308 keeps the method and the body", "passed"),
            ("a 303 after a POST is a GET without a body", "passed"),
            ("a step can check the redirect itself", "passed"),
            ("a loop stops", "passed"),
            ("a short Retry-After is waited out once", "passed"),
            ("a step that expects the 429 gets it", "passed"),
            ("a long Retry-After blocks the scenario", "blocked"),
        ],
        "{}",
        out.stdout
    );
    let step = |i: usize| &scenarios[i]["steps"][0];
    assert_eq!(step(0)["redirects"].as_array().unwrap().len(), 1);
    // The loop: the first request and ten redirects, then the 302 is what the step checks.
    assert_eq!(server.counts.looped.load(Ordering::SeqCst), 11);
    assert!(
        step(3)["notes"][0]
            .as_str()
            .unwrap()
            .contains("already 10 redirects in a row"),
        "{}",
        step(3)
    );
    // The short wait: two requests, and the note says so.
    assert_eq!(server.counts.busy.load(Ordering::SeqCst), 2);
    assert!(
        step(4)["notes"][0]
            .as_str()
            .unwrap()
            .contains("waited 1000 ms and sent it again")
    );
    // The long limit: one request each for the two scenarios that sent one, no wait.
    assert_eq!(server.counts.limited.load(Ordering::SeqCst), 2);
    assert_eq!(
        report["causes"][0]["headline"],
        "POST /api/auth/register → 429: rate limited (X-RateLimit-Limit: 10): the backend answered 429"
    );
    assert!(
        step(6)["notes"][0]
            .as_str()
            .unwrap()
            .contains("retry-after: 3412"),
        "{}",
        step(6)
    );
    assert!(out.stdout.contains("Redirects followed"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("  POST /api/orders → 308 → /api/orders/, 1×"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  POST /api/see-other → 303 → /api/orders/, 1×"),
        "{}",
        out.stdout
    );

    // --no-follow-redirects: the 308 is the answer.
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--no-follow-redirects",
        "--filter",
        "308 keeps",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("POST /api/orders → 308 (text/plain), expected 200"),
        "{}",
        out.stdout
    );
}
