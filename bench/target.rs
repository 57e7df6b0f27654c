//! The benchmark's target: a fixed-response slice of the GigGatek API on 127.0.0.1, so that the
//! time measured is the client's, not the backend's. Run with
//! `cargo run --release --example bench-target -- PORT` (bench/run.sh does).
//!
//! POST /api/auth/login → 200 {token}; GET /api/orders → 200 (401 without the token);
//! POST /api/orders → 201 {order.id}; POST /api/orders/{id}/cancel → 200 {message}.

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

const TOKEN: &str = "bench-token-0123456789abcdef";

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn authorized(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.strip_prefix("Bearer ") == Some(TOKEN))
}

fn unauthorized() -> Response {
    json(StatusCode::UNAUTHORIZED, r#"{"error":"Token is missing"}"#)
}

async fn login() -> Response {
    json(
        StatusCode::OK,
        r#"{"message":"Login successful","token":"bench-token-0123456789abcdef","user":{"id":7,"email":"bench@example.test"}}"#,
    )
}

async fn list_orders(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    json(
        StatusCode::OK,
        r#"{"orders":[{"id":41,"status":"pending","total":399.99,"order_date":"2026-11-25T10:00:00Z"}],"pagination":{"total":1,"page":1,"per_page":10,"total_pages":1}}"#,
    )
}

async fn create_order(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    json(
        StatusCode::CREATED,
        r#"{"message":"Order created successfully","order":{"id":42,"status":"pending","total":399.99}}"#,
    )
}

async fn cancel(headers: HeaderMap) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    json(
        StatusCode::OK,
        r#"{"message":"Order cancelled successfully","order":{"id":42,"status":"cancelled"}}"#,
    )
}

#[tokio::main]
async fn main() {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(8790);
    let app = Router::new()
        .route("/api/auth/login", post(login))
        .route(
            "/api/orders",
            axum::routing::get(list_orders).post(create_order),
        )
        .route("/api/orders/{id}/cancel", post(cancel));
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("bench-target: cannot listen on 127.0.0.1:{port}: {e}");
            std::process::exit(2);
        }
    };
    println!("bench-target listening on http://127.0.0.1:{port}");
    if let Err(e) = axum::serve(listener, app).await {
        eprintln!("bench-target: {e}");
    }
}
