//! Harness for the sandbox tests (used by `sandbox_*.rs`): starts the
//! sandbox on 127.0.0.1:0 next to a small fake Stripe, and talks to both over real HTTP.
#![allow(dead_code)]

pub mod load;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gigcheck_servers::sandbox::{SandboxConfig, router, webhook};
use gigcheck_servers::{Running, bind};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const ADMIN_EMAIL: &str = "root@giggatek.test";
pub const ADMIN_PASSWORD: &str = "Adm1n!Passw0rd";
pub const WEBHOOK_SECRET: &str = "whsec_sandbox_test_secret";
pub const JWT_SECRET: &str = "jwt-test-secret";
pub const STRIPE_KEY: &str = "sk_test_sandbox_tests";
pub const PASSWORD: &str = "Sup3r$ecretPass";

/// Stock-1 product of the seed catalogue.
pub const LAST_ONE: i64 = 9;
/// Sold-out product.
pub const SOLD_OUT: i64 = 10;

// ---------------------------------------------------------------- fake Stripe

/// What the fake Stripe does with the next calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    Normal = 0,
    /// 500 with an api_error.
    Fail = 1,
    /// Never answers (until the client's timeout).
    Hang = 2,
}

/// One request the fake Stripe received: (method, path, authorization, idempotency-key).
pub type Call = (String, String, String, Option<String>);

#[derive(Default)]
pub struct Fake {
    pub intents: Mutex<HashMap<String, Value>>,
    pub refunds: Mutex<Vec<Value>>,
    pub calls: Mutex<Vec<Call>>,
    mode: AtomicU8,
    next: AtomicUsize,
}

impl Fake {
    pub fn set_mode(&self, mode: Mode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    /// Marks an intent `succeeded`, as a client-side confirmation would.
    pub fn succeed(&self, id: &str) {
        let mut intents = self.intents.lock().unwrap();
        let pi = intents.get_mut(id).expect("known intent");
        pi["status"] = json!("succeeded");
        pi["amount_received"] = pi["amount"].clone();
        pi["latest_charge"] = json!(format!("ch_{id}"));
    }

    pub fn intent(&self, id: &str) -> Value {
        self.intents.lock().unwrap()[id].clone()
    }

    pub fn refund_count(&self) -> usize {
        self.refunds.lock().unwrap().len()
    }

    fn id(&self, prefix: &str) -> String {
        format!(
            "{prefix}_fake{}",
            self.next.fetch_add(1, Ordering::SeqCst) + 1
        )
    }
}

fn stripe_error(status: StatusCode, kind: &str, code: Option<&str>, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"type": kind, "code": code, "message": message}})),
    )
        .into_response()
}

fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

async fn fake_create(State(fake): State<Arc<Fake>>, body: String) -> Response {
    let p = form(&body);
    let Some(amount) = p.get("amount").and_then(|a| a.parse::<i64>().ok()) else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            "Missing required param: amount.",
        );
    };
    if amount < 50 {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("amount_too_small"),
            "Amount must be at least $0.50 usd",
        );
    }
    let id = fake.id("pi");
    let metadata: serde_json::Map<String, Value> = p
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_string(), json!(v)))
        })
        .collect();
    let pi = json!({
        "id": id, "object": "payment_intent", "amount": amount, "amount_received": 0,
        "currency": p.get("currency").cloned().unwrap_or_default(),
        "status": "requires_payment_method", "client_secret": format!("{id}_secret_abc"),
        "metadata": metadata, "latest_charge": null,
    });
    fake.intents.lock().unwrap().insert(id, pi.clone());
    Json(pi).into_response()
}

async fn fake_get(State(fake): State<Arc<Fake>>, Path(id): Path<String>) -> Response {
    match fake.intents.lock().unwrap().get(&id) {
        Some(pi) => Json(pi.clone()).into_response(),
        None => stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            &format!("No such payment_intent: '{id}'"),
        ),
    }
}

async fn fake_confirm(
    State(fake): State<Arc<Fake>>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let p = form(&body);
    let mut intents = fake.intents.lock().unwrap();
    let Some(pi) = intents.get_mut(&id) else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            "No such payment_intent",
        );
    };
    if pi["status"] == "succeeded" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("payment_intent_unexpected_state"),
            "This PaymentIntent's status is succeeded.",
        );
    }
    match p.get("payment_method").map(String::as_str) {
        Some("pm_card_visa") => {
            pi["status"] = json!("succeeded");
            pi["amount_received"] = pi["amount"].clone();
            Json(pi.clone()).into_response()
        }
        Some("pm_card_authenticationRequired") => {
            pi["status"] = json!("requires_action");
            Json(pi.clone()).into_response()
        }
        Some("pm_card_chargeDeclined") => {
            pi["status"] = json!("requires_payment_method");
            stripe_error(
                StatusCode::PAYMENT_REQUIRED,
                "card_error",
                Some("card_declined"),
                "Your card was declined.",
            )
        }
        _ => stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("payment_intent_unexpected_state"),
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
        ),
    }
}

async fn fake_refund(State(fake): State<Arc<Fake>>, body: String) -> Response {
    let p = form(&body);
    let pi_id = p.get("payment_intent").cloned().unwrap_or_default();
    let mut intents = fake.intents.lock().unwrap();
    let Some(pi) = intents.get_mut(&pi_id) else {
        return stripe_error(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            Some("resource_missing"),
            "No such payment_intent",
        );
    };
    if pi["status"] != "succeeded" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            &format!("This PaymentIntent ({pi_id}) does not have a successful charge to refund."),
        );
    }
    if pi["refunded"] == true {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            Some("charge_already_refunded"),
            "Charge has already been refunded.",
        );
    }
    let amount = p
        .get("amount")
        .and_then(|a| a.parse::<i64>().ok())
        .unwrap_or(pi["amount"].as_i64().unwrap());
    pi["refunded"] = json!(true);
    let refund = json!({"id": fake.id("re"), "object": "refund", "amount": amount, "payment_intent": pi_id, "status": "succeeded"});
    fake.refunds.lock().unwrap().push(refund.clone());
    Json(refund).into_response()
}

async fn fake_gate(State(fake): State<Arc<Fake>>, req: Request, next: Next) -> Response {
    let (authorization, key) = {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        (
            header("authorization").unwrap_or_default(),
            header("idempotency-key"),
        )
    };
    let call = (
        req.method().to_string(),
        req.uri().path().to_string(),
        authorization.clone(),
        key,
    );
    fake.calls.lock().unwrap().push(call);
    if authorization != format!("Bearer {STRIPE_KEY}") {
        return stripe_error(
            StatusCode::UNAUTHORIZED,
            "invalid_request_error",
            None,
            "Invalid API Key provided",
        );
    }
    match fake.mode.load(Ordering::SeqCst) {
        1 => stripe_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            None,
            "Something went wrong",
        ),
        2 => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            stripe_error(StatusCode::INTERNAL_SERVER_ERROR, "api_error", None, "late")
        }
        _ => next.run(req).await,
    }
}

pub fn fake_stripe_router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route("/v1/payment_intents", post(fake_create))
        .route("/v1/payment_intents/{id}", get(fake_get))
        .route("/v1/payment_intents/{id}/confirm", post(fake_confirm))
        .route("/v1/refunds", post(fake_refund))
        .layer(axum::middleware::from_fn_with_state(
            fake.clone(),
            fake_gate,
        ))
        .with_state(fake)
}

// ---------------------------------------------------------------- the sandbox

pub struct Sandbox {
    pub url: String,
    pub http: reqwest::Client,
    pub fake: Arc<Fake>,
    running: Option<Running>,
    stripe: Option<Running>,
}

pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub content_type: String,
    pub headers: reqwest::header::HeaderMap,
}

impl std::fmt::Debug for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

impl Resp {
    pub fn error(&self) -> &str {
        self.body["error"].as_str().unwrap_or("<no error field>")
    }

    /// A header's value, "" when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub token: String,
}

pub fn config() -> SandboxConfig {
    SandboxConfig {
        stripe_secret_key: STRIPE_KEY.into(),
        webhook_secret: WEBHOOK_SECRET.into(),
        admin_email: ADMIN_EMAIL.into(),
        admin_password: ADMIN_PASSWORD.into(),
        jwt_secret: Some(JWT_SECRET.into()),
        stripe_timeout: Duration::from_millis(400),
        ..SandboxConfig::default()
    }
}

pub fn unique_email() -> String {
    format!("user-{}@example.test", uuid::Uuid::new_v4().simple())
}

/// A client that shows every answer as it came: redirects are not followed, so a test sees
/// the 308 itself.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The sandbox with a fresh temporary database and a fake Stripe.
pub async fn start() -> Sandbox {
    start_with(config()).await
}

/// The sandbox with `config` (its `stripe_api` is replaced by the fake's unless it is set to
/// something other than the default).
pub async fn start_with(config: SandboxConfig) -> Sandbox {
    start_on(bind(0).await.unwrap(), config).await
}

/// The same as [`start_with`], on a listener bound beforehand (so that its URL can be given
/// to another server first).
pub async fn start_on(listener: tokio::net::TcpListener, mut config: SandboxConfig) -> Sandbox {
    let fake = Arc::new(Fake::default());
    let stripe = Running::spawn(bind(0).await.unwrap(), fake_stripe_router(fake.clone())).unwrap();
    if config.stripe_api == SandboxConfig::default().stripe_api {
        config.stripe_api = stripe.url.clone();
    }
    let app = router(config).expect("sandbox router");
    let running = Running::spawn(listener, app).unwrap();
    Sandbox {
        url: running.url.clone(),
        http: http(),
        fake,
        running: Some(running),
        stripe: Some(stripe),
    }
}

impl Sandbox {
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        if let Some(s) = self.stripe.take() {
            s.stop().await;
        }
    }

    /// Sends raw bytes with the given headers.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Resp {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let res = req.body(body).send().await.unwrap();
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp {
            status,
            body,
            text,
            content_type,
            headers,
        }
    }

    /// A JSON call, with a bearer token if given.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(a) = &auth {
            headers.push(("authorization", a));
        }
        let bytes = match &body {
            Some(b) => {
                headers.push(("content-type", "application/json"));
                serde_json::to_vec(b).unwrap()
            }
            None => Vec::new(),
        };
        self.raw(method, path, &headers, bytes).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call("POST", path, Some(token), Some(body)).await
    }

    /// POSTs every `(path, token, body)` at the same moment; the statuses, sorted.
    pub async fn post_at_once(&self, requests: Vec<(String, String, Option<Value>)>) -> Vec<u16> {
        let tasks: Vec<_> = requests
            .into_iter()
            .map(|(path, token, body)| {
                let mut request = self
                    .http
                    .post(format!("{}{path}", self.url))
                    .bearer_auth(token);
                if let Some(body) = body {
                    request = request
                        .header("content-type", "application/json")
                        .body(serde_json::to_vec(&body).unwrap());
                }
                tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        statuses.sort();
        statuses
    }

    /// `POST /api/orders/{id}/cancel` as the token's owner.
    pub async fn cancel(&self, token: &str, id: i64) -> Resp {
        self.call(
            "POST",
            &format!("/api/orders/{id}/cancel"),
            Some(token),
            None,
        )
        .await
    }

    pub async fn register(&self) -> User {
        let email = unique_email();
        let r = self
            .call(
                "POST",
                "/api/auth/register",
                None,
                Some(json!({"email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Byte"})),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        User {
            id: r.body["user"]["id"].as_i64().unwrap(),
            email,
            token: r.body["token"].as_str().unwrap().to_string(),
        }
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.call(
            "POST",
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await
    }

    pub async fn admin_token(&self) -> String {
        let r = self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["token"].as_str().unwrap().to_string()
    }

    pub async fn address(&self, token: &str) -> i64 {
        let r = self
            .post(
                "/api/addresses",
                token,
                json!({"first_name": "Ada", "last_name": "Byte", "street_address": "1 Loop Rd", "city": "Austin",
                       "state": "TX", "zip_code": "78701", "country": "US", "phone": "+1 555 0100"}),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["address"]["id"].as_i64().unwrap()
    }

    /// A user with an address, ready to order.
    pub async fn customer(&self) -> (User, i64) {
        let user = self.register().await;
        let address = self.address(&user.token).await;
        (user, address)
    }

    pub fn order_body(address: i64, items: Value) -> Value {
        json!({"items": items, "shipping_address_id": address, "billing_address_id": address,
               "shipping_method": "standard"})
    }

    pub async fn order(&self, user: &User, address: i64, items: Value) -> Resp {
        self.post("/api/orders", &user.token, Self::order_body(address, items))
            .await
    }

    /// Places an order that must succeed; its id.
    pub async fn order_ok(&self, user: &User, address: i64, product: i64, quantity: i64) -> i64 {
        let r = self
            .order(
                user,
                address,
                json!([{"product_id": product, "quantity": quantity}]),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["order"]["id"].as_i64().unwrap()
    }

    pub async fn stock(&self, product: i64) -> i64 {
        let r = self
            .call("GET", &format!("/api/products/{product}"), None, None)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["stock_quantity"].as_i64().unwrap()
    }

    pub async fn order_detail(&self, user: &User, id: i64) -> Value {
        let r = self.get(&format!("/api/orders/{id}"), &user.token).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["order"].clone()
    }

    pub async fn order_count(&self, user: &User) -> i64 {
        let r = self.get("/api/orders", &user.token).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["pagination"]["total"].as_i64().unwrap()
    }

    /// Sends a Stripe event signed with `secret` at `t`.
    pub async fn webhook_signed(&self, event: &Value, secret: &str, t: i64) -> Resp {
        let body = serde_json::to_vec(event).unwrap();
        let sig = webhook::sign(&body, secret, t);
        self.raw(
            "POST",
            "/api/payment/webhook",
            &[
                ("content-type", "application/json"),
                ("stripe-signature", &sig),
            ],
            body,
        )
        .await
    }

    pub async fn webhook(&self, event: &Value) -> Resp {
        self.webhook_signed(event, WEBHOOK_SECRET, now()).await
    }

    /// Creates an intent for `amount` cents (optionally for an order) through the sandbox.
    pub async fn intent(&self, user: &User, amount: i64, order_id: Option<i64>) -> String {
        let mut body = json!({"amount": amount});
        if let Some(id) = order_id {
            body["metadata"] = json!({"order_id": id.to_string()});
        }
        let r = self
            .post("/api/payment/create-payment-intent", &user.token, body)
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        // The contract: `payment_intent` is the intent's id.
        r.body["payment_intent"]
            .as_str()
            .unwrap_or_else(|| panic!("no intent id in {r:?}"))
            .to_string()
    }

    /// An order paid at creation with a succeeded intent: (order id, intent id).
    pub async fn paid_order(
        &self,
        user: &User,
        address: i64,
        product: i64,
        cents: i64,
    ) -> (i64, String) {
        let pi = self.intent(user, cents, None).await;
        self.fake.succeed(&pi);
        let mut body = Self::order_body(address, json!([{"product_id": product, "quantity": 1}]));
        body["payment_intent_id"] = json!(pi);
        let r = self.post("/api/orders", &user.token, body).await;
        assert_eq!(r.status, 201, "{r:?}");
        (r.body["order"]["id"].as_i64().unwrap(), pi)
    }

    /// `GET /__sandbox/stats`: (sign-ups, logins) received so far.
    pub async fn stats(&self) -> (i64, i64) {
        let r = self.call("GET", "/__sandbox/stats", None, None).await;
        assert_eq!(r.status, 200, "{r:?}");
        (
            r.body["signups"].as_i64().unwrap(),
            r.body["logins"].as_i64().unwrap(),
        )
    }

    pub async fn set_db(&self, available: bool) {
        let r = self
            .call(
                "POST",
                "/__sandbox/db",
                None,
                Some(json!({"available": available})),
            )
            .await;
        assert_eq!(r.status, 200, "{r:?}");
        assert_eq!(r.body["available"], available);
    }
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A Stripe event.
pub fn event(id: &str, kind: &str, object: Value) -> Value {
    json!({"id": id, "object": "event", "type": kind, "created": now(), "data": {"object": object}})
}

/// Asserts an error body leaks nothing internal.
pub fn assert_no_internals(r: &Resp) {
    let lower = r.text.to_lowercase();
    for needle in [
        "sqlite",
        "rusqlite",
        "select ",
        "insert ",
        "/tmp",
        "panicked",
        "traceback",
        "sk_test",
        "whsec_",
        ".rs:",
    ] {
        assert!(!lower.contains(needle), "{needle:?} in {r:?}");
    }
}
