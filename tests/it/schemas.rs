//! The JSON Schemas of `fixtures/schemas/` checked against the real thing: the embedded servers
//! are started exactly as `gigcheck run` starts them, a customer and an admin go through the
//! whole order and payment flow over HTTP, and every response is validated against its schema
//! (compiled from its file, `$ref`s resolved relative to it, formats checked, as the runner does).
//! Then copies of real responses with one thing wrong show that the schemas are strict: an
//! extra field, a missing field, a value outside an enumeration each fail where expected.

use gigcheck::embedded::Embedded;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

/// Every response schema; `common.json` holds only shared `$defs`.
const RESPONSE_SCHEMAS: [&str; 17] = [
    "error.json",
    "payment-error.json",
    "auth.json",
    "me.json",
    "address-created.json",
    "addresses-list.json",
    "products-list.json",
    "product.json",
    "order-created.json",
    "orders-list.json",
    "order-detail.json",
    "order-cancelled.json",
    "order-status-updated.json",
    "order-stats.json",
    "payment-intent-created.json",
    "payment-intent-confirmed.json",
    "webhook-ack.json",
];

/// The shared definitions the schemas are built from.
const COMMON_DEFS: [&str; 14] = [
    "order_status",
    "payment_status",
    "timestamp",
    "money",
    "cents",
    "id",
    "user",
    "address",
    "order",
    "order_item",
    "payment",
    "status_history_entry",
    "product_summary",
    "pagination",
];

const PASSWORD: &str = "Sch3ma!Passw0rd";
/// A Stripe test-mode secret key the emulator accepts.
const STRIPE_KEY: &str = "sk_test_gigcheck_schemas";
const SOLD_OUT: i64 = 10;

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/schemas")
}

fn read_json(name: &str) -> Value {
    let path = schema_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name} is not JSON: {e}"))
}

/// Compiles `name` from its file the way the runner does: draft 2020-12, base URI = the file's
/// `file://` URL (so `common.json#/$defs/...` resolves next to it), formats asserted.
fn compile(name: &str) -> jsonschema::Validator {
    let path = schema_dir().join(name);
    let base = url::Url::from_file_path(&path).expect("an absolute path");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .with_base_uri(base.to_string())
        .should_validate_formats(true)
        .build(&read_json(name))
        .unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

/// One way an instance breaks a schema.
struct Violation {
    at: String,
    keyword_path: String,
    message: String,
}

/// One line per violation, for failure messages.
fn describe(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| {
            format!(
                "  at {:?}: {} (keyword {})",
                v.at, v.message, v.keyword_path
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The compiled response schemas, and which of them real responses were checked against.
struct Schemas {
    validators: BTreeMap<&'static str, jsonschema::Validator>,
    used: Mutex<BTreeSet<&'static str>>,
}

impl Schemas {
    fn load() -> Schemas {
        Schemas {
            validators: RESPONSE_SCHEMAS.iter().map(|&n| (n, compile(n))).collect(),
            used: Mutex::new(BTreeSet::new()),
        }
    }

    fn violations(&self, name: &str, instance: &Value) -> Vec<Violation> {
        let validator = self
            .validators
            .get(name)
            .unwrap_or_else(|| panic!("no schema {name}"));
        validator
            .iter_errors(instance)
            .map(|e| Violation {
                at: e.instance_path().to_string(),
                keyword_path: e.schema_path().to_string(),
                message: e.to_string(),
            })
            .collect()
    }

    /// Asserts that a real response is valid, and records that `name` met one.
    fn valid(&self, name: &'static str, instance: &Value) {
        let v = self.violations(name, instance);
        assert!(
            v.is_empty(),
            "{name} rejects a sandbox response:\n{}\n{}",
            describe(&v),
            serde_json::to_string_pretty(instance).unwrap_or_default()
        );
        self.used.lock().unwrap().insert(name);
    }

    /// Asserts that a changed copy of a real response is still valid.
    fn accepts(&self, name: &str, instance: &Value) {
        let v = self.violations(name, instance);
        assert!(
            v.is_empty(),
            "{name} should accept the instance:\n{}",
            describe(&v)
        );
    }

    /// Asserts that `instance` is invalid, with one violation at instance path `at` raised by
    /// `keyword` (the last segment of the failing keyword's path).
    fn rejects(&self, name: &str, instance: &Value, at: &str, keyword: &str) {
        let v = self.violations(name, instance);
        let suffix = format!("/{keyword}");
        assert!(
            v.iter()
                .any(|v| v.at == at && v.keyword_path.ends_with(&suffix)),
            "{name} should reject the instance at {at:?} with {keyword:?}; violations:\n{}",
            describe(&v)
        );
    }
}

/// One thing wrong in a copy of a response (pointers are JSON pointers; "" is the root).
enum Change {
    /// A field the schema does not know, added to the object at the pointer.
    Add(&'static str, &'static str, Value),
    /// A field removed from the object at the pointer.
    Drop(&'static str, &'static str),
    /// The value at the pointer replaced.
    Set(&'static str, Value),
}

impl Change {
    fn applied_to(&self, response: &Value) -> Value {
        let mut copy = response.clone();
        let pointer = match self {
            Change::Add(p, ..) | Change::Drop(p, _) | Change::Set(p, _) => *p,
        };
        let target = copy
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("no {pointer:?} in {response}"));
        match self {
            Change::Add(_, field, value) => {
                let object = target.as_object_mut().expect("an object");
                assert!(object.insert(field.to_string(), value.clone()).is_none());
            }
            Change::Drop(_, field) => {
                let object = target.as_object_mut().expect("an object");
                assert!(object.shift_remove(*field).is_some(), "no {field} to drop");
            }
            Change::Set(_, value) => *target = value.clone(),
        }
        copy
    }
}

struct Reply {
    status: u16,
    body: Value,
}

/// Talks to the sandbox (and, for the browser's part of a payment, to the Stripe emulator).
struct Api {
    http: reqwest::Client,
    sandbox: String,
    stripe: String,
}

impl Api {
    fn new(servers: &Embedded) -> Api {
        let _ = rustls::crypto::ring::default_provider().install_default();
        Api {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("an HTTP client"),
            sandbox: servers.sandbox.url.clone(),
            stripe: servers.stripe.url.clone(),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the sandbox answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let text = response.text().await.expect("a body");
        assert!(
            content_type.starts_with("application/json"),
            "{status} answered with Content-Type {content_type:?}: {text}"
        );
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{status} answered a body that is not JSON ({e}): {text}"));
        Reply { status, body }
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.sandbox));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.request(reqwest::Method::GET, path, token))
            .await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(self.request(reqwest::Method::POST, path, token).json(&body))
            .await
    }

    async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.send(self.request(reqwest::Method::PUT, path, token).json(&body))
            .await
    }

    /// What Stripe.js does in the browser: confirm the intent with a test card, at Stripe.
    async fn confirm_at_stripe(&self, intent_id: &str, card: &str) -> Value {
        let response = self
            .http
            .post(format!(
                "{}/v1/payment_intents/{intent_id}/confirm",
                self.stripe
            ))
            .bearer_auth(STRIPE_KEY)
            .form(&[("payment_method", card)])
            .send()
            .await
            .expect("the Stripe emulator answers");
        assert_eq!(response.status().as_u16(), 200);
        response.json().await.expect("a JSON intent")
    }
}

/// Asserts the status and validates the body against `schema`; returns the body.
fn expect(s: &Schemas, reply: Reply, status: u16, schema: &'static str) -> Value {
    assert_eq!(
        reply.status, status,
        "expected {status} ({schema}), got {}: {}",
        reply.status, reply.body
    );
    s.valid(schema, &reply.body);
    reply.body
}

fn unique_email() -> String {
    format!("schemas-{}@example.test", uuid::Uuid::new_v4().simple())
}

fn cents(dollars: &Value) -> i64 {
    (dollars.as_f64().expect("a price") * 100.0).round() as i64
}

fn id_of(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer)
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("no integer at {pointer} in {v}"))
}

fn str_of<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}

fn order_request(product: i64, quantity: i64, address: i64, intent: Option<&str>) -> Value {
    let mut body = json!({
        "items": [{"product_id": product, "quantity": quantity}],
        "shipping_address_id": address,
        "billing_address_id": address,
        "shipping_method": "standard",
    });
    if let Some(intent) = intent {
        body["payment_intent_id"] = json!(intent);
    }
    body
}

/// A new customer with one address: (token, address id).
async fn customer(api: &Api, s: &Schemas) -> (String, i64) {
    let email = unique_email();
    let body =
        json!({"email": email, "password": PASSWORD, "first_name": "Quinn", "last_name": "Tester"});
    let registered = expect(
        s,
        api.post("/api/auth/register", None, body).await,
        201,
        "auth.json",
    );
    let token = str_of(&registered, "/token").to_string();
    let address = json!({"first_name": "Quinn", "last_name": "Tester", "street_address": "42 Refurb Lane",
                         "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"});
    let created = expect(
        s,
        api.post("/api/addresses", Some(&token), address).await,
        201,
        "address-created.json",
    );
    (token, id_of(&created, "/address/id"))
}

/// A payment intent for `amount` cents, created through the sandbox: (id, response).
async fn intent(api: &Api, s: &Schemas, token: &str, amount: i64) -> (String, Value) {
    let body = json!({"amount": amount, "currency": "usd", "description": "gigcheck schema test"});
    let created = expect(
        s,
        api.post("/api/payment/create-payment-intent", Some(token), body)
            .await,
        200,
        "payment-intent-created.json",
    );
    (str_of(&created, "/payment_intent").to_string(), created)
}

/// Checkout as the storefront does it: intent, card confirmed at Stripe, then the order.
async fn paid_order(api: &Api, s: &Schemas, token: &str, product: i64, address: i64) -> Value {
    let detail = expect(
        s,
        api.get(&format!("/api/products/{product}"), None).await,
        200,
        "product.json",
    );
    let (pi, _) = intent(api, s, token, cents(&detail["purchase_price"])).await;
    let confirmed = api.confirm_at_stripe(&pi, "pm_card_visa").await;
    assert_eq!(confirmed["status"], "succeeded");
    let order = expect(
        s,
        api.post(
            "/api/orders",
            Some(token),
            order_request(product, 1, address, Some(&pi)),
        )
        .await,
        201,
        "order-created.json",
    );
    assert_eq!(
        (&order["order"]["status"], &order["order"]["payment_status"]),
        (&json!("processing"), &json!("paid"))
    );
    order
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// Posts a Stripe event to the sandbox's webhook, signed with `secret`.
async fn webhook(api: &Api, secret: &str, event: &Value) -> Reply {
    let body = serde_json::to_vec(event).expect("JSON");
    let signature = gigcheck_base::webhook_signature::header(secret, unix_now(), &body);
    let request = api
        .request(reqwest::Method::POST, "/api/payment/webhook", None)
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(body);
    api.send(request).await
}

#[test]
fn every_schema_compiles_and_describes_itself() {
    let mut on_disk: Vec<String> = std::fs::read_dir(schema_dir())
        .expect("fixtures/schemas")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".json"))
        .collect();
    on_disk.sort();
    for name in RESPONSE_SCHEMAS.iter().chain(&["common.json"]) {
        assert!(on_disk.iter().any(|n| n == name), "{name} is missing");
    }
    // Every schema in the folder (also ones other tests or specs add) loads the way the runner
    // loads it, and says what it is.
    for name in &on_disk {
        let schema = read_json(name);
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{name}"
        );
        for key in ["title", "description"] {
            assert!(
                schema[key].as_str().is_some_and(|t| !t.trim().is_empty()),
                "{name} has no {key}"
            );
        }
        assert!(
            schema.get("$id").is_none(),
            "{name}: an $id would change what relative $refs resolve against"
        );
        compile(name);
        // And through the runner's own loader.
        let store = gigcheck_core::checks::schema::SchemaStore::new(schema_dir());
        store.compile(name).unwrap_or_else(|e| panic!("{e}"));
    }
    let common = read_json("common.json");
    for def in COMMON_DEFS {
        assert!(
            common["$defs"][def].is_object(),
            "common.json has no $defs/{def}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_responses_match_their_schemas_and_the_schemas_are_strict() {
    let servers = Embedded::start().await.expect("the embedded servers start");
    let api = Api::new(&servers);
    let s = Schemas::load();

    // ---- accounts
    let email = unique_email();
    let registered = expect(
        &s,
        api.post(
            "/api/auth/register",
            None,
            json!({"email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Byte"}),
        )
        .await,
        201,
        "auth.json",
    );
    let login = expect(
        &s,
        api.post(
            "/api/auth/login",
            None,
            json!({"email": email, "password": PASSWORD}),
        )
        .await,
        200,
        "auth.json",
    );
    // auth.json lets is_admin be absent (registration); login must still carry it.
    assert_eq!(login["user"]["is_admin"], false);
    let token = str_of(&login, "/token").to_string();
    let t = Some(token.as_str());
    let me = expect(&s, api.get("/api/auth/me", t).await, 200, "me.json");
    let admin_login = expect(
        &s,
        api.post(
            "/api/auth/login",
            None,
            json!({"email": servers.admin_email, "password": servers.admin_password}),
        )
        .await,
        200,
        "auth.json",
    );
    assert_eq!(admin_login["user"]["is_admin"], true);
    let admin = str_of(&admin_login, "/token").to_string();

    // ---- addresses (one with a phone, one without: phone is null)
    let mut address = json!({"first_name": "Ada", "last_name": "Byte", "street_address": "1 Main St",
                             "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US",
                             "phone": "+1 512 555 0100"});
    let created_address = expect(
        &s,
        api.post("/api/addresses", t, address.clone()).await,
        201,
        "address-created.json",
    );
    let address_id = id_of(&created_address, "/address/id");
    if let Some(fields) = address.as_object_mut() {
        fields.shift_remove("phone");
    }
    expect(
        &s,
        api.post("/api/addresses", t, address).await,
        201,
        "address-created.json",
    );
    let addresses = expect(
        &s,
        api.get("/api/addresses", t).await,
        200,
        "addresses-list.json",
    );
    assert_eq!(addresses["addresses"].as_array().map(Vec::len), Some(2));

    // ---- catalogue
    let products = expect(
        &s,
        api.get("/api/products", None).await,
        200,
        "products-list.json",
    );
    expect(
        &s,
        api.get("/api/products?category=gpu&limit=2&page=2", None)
            .await,
        200,
        "products-list.json",
    );
    let product = expect(
        &s,
        api.get("/api/products/2", None).await,
        200,
        "product.json",
    );

    // ---- orders: unpaid, paid at creation, paid later by the webhook
    let pending = expect(
        &s,
        api.post("/api/orders", t, order_request(2, 2, address_id, None))
            .await,
        201,
        "order-created.json",
    );
    let pending_id = id_of(&pending, "/order/id");
    let paid = paid_order(&api, &s, &token, 1, address_id).await;
    let paid_id = id_of(&paid, "/order/id");
    let later = expect(
        &s,
        api.post("/api/orders", t, order_request(3, 1, address_id, None))
            .await,
        201,
        "order-created.json",
    );
    let later_id = id_of(&later, "/order/id");
    let later_cents = cents(&later["order"]["total"]);
    let event = json!({
        "id": format!("evt_schemas_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {
            "id": format!("pi_schemas{}", uuid::Uuid::new_v4().simple()),
            "object": "payment_intent", "amount": later_cents, "amount_received": later_cents,
            "currency": "usd", "status": "succeeded", "metadata": {"order_id": later_id.to_string()}
        }}
    });
    let ack = expect(
        &s,
        webhook(&api, &servers.webhook_secret, &event).await,
        200,
        "webhook-ack.json",
    );
    let ignored = json!({"id": "evt_schemas_ignored", "object": "event", "type": "customer.created",
                         "data": {"object": {"id": "cus_1"}}});
    expect(
        &s,
        webhook(&api, &servers.webhook_secret, &ignored).await,
        200,
        "webhook-ack.json",
    );

    // ---- confirming through the backend: succeeded, 3-D Secure, declined
    let mut confirmations = Vec::new();
    for (card, status, action) in [
        ("pm_card_visa", "succeeded", false),
        ("pm_card_threeDSecure2Required", "requires_action", true),
    ] {
        let (pi, _) = intent(&api, &s, &token, 5000).await;
        let confirmed = expect(
            &s,
            api.post(
                "/api/payment/confirm-payment-intent",
                t,
                json!({"payment_intent_id": pi, "payment_method": card}),
            )
            .await,
            200,
            "payment-intent-confirmed.json",
        );
        assert_eq!(
            (&confirmed["status"], &confirmed["requires_action"]),
            (&json!(status), &json!(action))
        );
        confirmations.push(confirmed);
    }
    let (declined_pi, created_intent) = intent(&api, &s, &token, 5000).await;
    let declined = expect(
        &s,
        api.post(
            "/api/payment/confirm-payment-intent",
            t,
            json!({"payment_intent_id": declined_pi, "payment_method": "pm_card_chargeDeclined"}),
        )
        .await,
        402,
        "payment-error.json",
    );
    assert_eq!(declined["error"], "Your card was declined.");

    // ---- reading orders
    let list = expect(&s, api.get("/api/orders", t).await, 200, "orders-list.json");
    assert_eq!(list["pagination"]["total"], 3);
    expect(
        &s,
        api.get("/api/orders?status=pending&per_page=1&page=1", t)
            .await,
        200,
        "orders-list.json",
    );
    expect(
        &s,
        api.get("/api/orders?page=9", t).await,
        200,
        "orders-list.json",
    );
    expect(
        &s,
        api.get(&format!("/api/orders/{pending_id}"), t).await,
        200,
        "order-detail.json",
    );
    let paid_detail = expect(
        &s,
        api.get(&format!("/api/orders/{paid_id}"), t).await,
        200,
        "order-detail.json",
    );
    assert_eq!(
        paid_detail["order"]["payments"].as_array().map(Vec::len),
        Some(1)
    );
    let later_detail = expect(
        &s,
        api.get(&format!("/api/orders/{later_id}"), t).await,
        200,
        "order-detail.json",
    );
    assert_eq!(later_detail["order"]["payment_status"], "paid");
    // The webhook's history row has no acting user: created_by is null.
    assert!(
        later_detail["order"]["status_history"]
            .as_array()
            .is_some_and(|h| h.iter().any(|e| e["created_by"].is_null()))
    );

    // ---- cancelling: unpaid (no refund), paid (refunded through Stripe)
    let cancelled_pending = expect(
        &s,
        api.post(&format!("/api/orders/{pending_id}/cancel"), t, json!({}))
            .await,
        200,
        "order-cancelled.json",
    );
    assert!(cancelled_pending.get("refund").is_none());
    let cancelled_paid = expect(
        &s,
        api.post(&format!("/api/orders/{paid_id}/cancel"), t, json!({}))
            .await,
        200,
        "order-cancelled.json",
    );
    assert!(cancelled_paid["refund"].is_object(), "{cancelled_paid}");
    expect(
        &s,
        api.get(&format!("/api/orders/{paid_id}"), t).await,
        200,
        "order-detail.json",
    );

    // ---- admin: move an order on; cancel a paid one (refund)
    let a = Some(admin.as_str());
    let shipped = expect(
        &s,
        api.put(
            &format!("/api/orders/{later_id}/status"),
            a,
            json!({"status": "shipped", "notes": "Handed to the carrier"}),
        )
        .await,
        200,
        "order-status-updated.json",
    );
    let second_paid = paid_order(&api, &s, &token, 4, address_id).await;
    let second_paid_id = id_of(&second_paid, "/order/id");
    let admin_cancelled = expect(
        &s,
        api.put(
            &format!("/api/orders/{second_paid_id}/status"),
            a,
            json!({"status": "cancelled"}),
        )
        .await,
        200,
        "order-status-updated.json",
    );
    assert!(admin_cancelled["refund"].is_object(), "{admin_cancelled}");

    // ---- statistics: with orders, and for someone without any
    let stats = expect(
        &s,
        api.get("/api/orders/stats", t).await,
        200,
        "order-stats.json",
    );
    assert_eq!(stats["total_orders"], 4);
    let (stranger, stranger_address) = customer(&api, &s).await;
    let st = Some(stranger.as_str());
    let empty_stats = expect(
        &s,
        api.get("/api/orders/stats", st).await,
        200,
        "order-stats.json",
    );
    assert!(empty_stats["most_recent_order"].is_null());

    // ---- errors outside the payment routes: {error}
    let unconfirmed_order = order_request(1, 1, address_id, Some(&declined_pi));
    let errors = [
        (api.get("/api/orders", None).await, 401),
        (api.get("/api/auth/me", Some("not.a.token")).await, 401),
        (
            api.post(
                "/api/auth/register",
                None,
                json!({"email": email, "password": PASSWORD, "first_name": "A", "last_name": "B"}),
            )
            .await,
            409,
        ),
        (
            api.post(
                "/api/auth/register",
                None,
                json!({"email": unique_email(), "password": "weak", "first_name": "A", "last_name": "B"}),
            )
            .await,
            400,
        ),
        (
            api.post(
                "/api/auth/login",
                None,
                json!({"email": email, "password": "Wrong!Passw0rd"}),
            )
            .await,
            401,
        ),
        (api.post("/api/addresses", t, json!({"city": "Austin"})).await, 400),
        (api.get("/api/products/9999", None).await, 404),
        (api.get("/api/orders?page=abc", t).await, 400),
        (api.get("/api/orders?status=lost", t).await, 400),
        (api.get(&format!("/api/orders/{later_id}"), st).await, 404),
        (
            api.post(
                "/api/orders",
                st,
                order_request(SOLD_OUT, 1, stranger_address, None),
            )
            .await,
            409,
        ),
        (
            api.post(
                "/api/orders",
                st,
                order_request(9999, 1, stranger_address, None),
            )
            .await,
            404,
        ),
        (
            api.post(
                "/api/orders",
                st,
                order_request(1, 1, address_id, None),
            )
            .await,
            400,
        ),
        (api.post("/api/orders", t, unconfirmed_order).await, 402),
        (
            api.send(
                api.request(reqwest::Method::POST, "/api/orders", t)
                    .header("content-type", "application/json")
                    .body("{not json"),
            )
            .await,
            400,
        ),
        (
            api.post(&format!("/api/orders/{pending_id}/cancel"), t, json!({}))
                .await,
            400,
        ),
        (
            api.put(
                &format!("/api/orders/{later_id}/status"),
                t,
                json!({"status": "delivered"}),
            )
            .await,
            403,
        ),
        (
            api.put(
                &format!("/api/orders/{later_id}/status"),
                a,
                json!({"status": "lost"}),
            )
            .await,
            400,
        ),
        (api.get("/api/no-such-route", None).await, 404),
        (
            api.send(api.request(reqwest::Method::DELETE, "/api/products", None))
                .await,
            405,
        ),
    ];
    let mut error_bodies = Vec::new();
    for (reply, status) in errors {
        error_bodies.push(expect(&s, reply, status, "error.json"));
    }

    // ---- errors of the payment routes: {success: false, error}
    let bad_signature = {
        let body = serde_json::to_vec(&event).expect("JSON");
        let signature = gigcheck_base::webhook_signature::header("whsec_wrong", unix_now(), &body);
        api.send(
            api.request(reqwest::Method::POST, "/api/payment/webhook", None)
                .header("content-type", "application/json")
                .header("stripe-signature", signature)
                .body(body),
        )
        .await
    };
    let payment_errors = [
        (
            api.post("/api/payment/create-payment-intent", t, json!({}))
                .await,
            400,
        ),
        (
            api.post(
                "/api/payment/create-payment-intent",
                None,
                json!({"amount": 5000}),
            )
            .await,
            401,
        ),
        (
            api.post(
                "/api/payment/create-payment-intent",
                st,
                json!({"amount": 5000, "metadata": {"order_id": later_id}}),
            )
            .await,
            404,
        ),
        (
            api.post(
                "/api/payment/confirm-payment-intent",
                st,
                json!({"payment_intent_id": declined_pi}),
            )
            .await,
            404,
        ),
        (bad_signature, 400),
    ];
    let mut payment_error_bodies = Vec::new();
    for (reply, status) in payment_errors {
        payment_error_bodies.push(expect(&s, reply, status, "payment-error.json"));
    }

    // Every response schema met a real response.
    let used = s.used.lock().unwrap().clone();
    let all: BTreeSet<&str> = RESPONSE_SCHEMAS.into_iter().collect();
    assert_eq!(used, all, "schemas no sandbox response was checked against");

    // ---- strictness: one thing wrong in a copy of a real response, and the schema says where
    use Change::{Add, Drop, Set};
    #[rustfmt::skip]
    let cases = [
        // Order created: contract-listed fields required, enums, combinations, formats. Money
        // and timestamps may each come two ways, so their violations are the `anyOf`'s.
        ("order-created.json", &pending, Drop("/order", "payment_status"), "/order", "required"),
        ("order-created.json", &pending, Set("/order/status", json!("open")), "/order/status", "enum"),
        ("order-created.json", &paid, Set("/order/payment_status", json!("pending")), "/order", "oneOf"),
        ("order-created.json", &pending, Set("/order/order_date", json!("yesterday")), "/order/order_date", "anyOf"),
        ("order-created.json", &pending, Set("/order/total", json!(459.985)), "/order/total", "anyOf"),
        ("order-created.json", &pending, Set("/order/total", json!("459.985")), "/order/total", "anyOf"),
        ("order-created.json", &pending, Set("/message", json!("ok")), "/message", "const"),
        // Order detail.
        ("order-detail.json", &paid_detail, Drop("/order/status_history/0", "created_at"), "/order/status_history/0", "required"),
        ("order-detail.json", &paid_detail, Drop("/order", "billing_address"), "/order", "required"),
        ("order-detail.json", &paid_detail, Set("/order/status", json!("refunded")), "/order/status", "enum"),
        ("order-detail.json", &paid_detail, Set("/order/payment_status", json!("completed")), "/order/payment_status", "enum"),
        ("order-detail.json", &paid_detail, Set("/order/payments", json!([])), "/order/payments", "minItems"),
        ("order-detail.json", &paid_detail, Set("/order/payments/0/created_at", json!("2024-01-01 10:00:00")), "/order/payments/0/created_at", "anyOf"),
        // Order list.
        ("orders-list.json", &list, Drop("/orders/0", "items"), "/orders/0", "required"),
        ("orders-list.json", &list, Set("/pagination/per_page", json!(51)), "/pagination/per_page", "maximum"),
        // Cancellation and the admin's status update.
        ("order-cancelled.json", &cancelled_paid, Set("/order/payment_status", json!("paid")), "/order/payment_status", "not"),
        ("order-cancelled.json", &cancelled_paid, Drop("/refund", "amount"), "/refund", "required"),
        ("order-cancelled.json", &cancelled_pending, Set("/order/status", json!("pending")), "/order/status", "const"),
        ("order-status-updated.json", &shipped, Set("/order/status", json!("lost")), "/order/status", "enum"),
        ("order-status-updated.json", &shipped, Drop("/order", "status"), "/order", "required"),
        // Statistics (propertyNames reports a bad name at the object, with the enum refusing it).
        ("order-stats.json", &stats, Add("/status_counts", "lost", json!(0)), "/status_counts", "enum"),
        ("order-stats.json", &empty_stats, Drop("", "total_spent"), "", "required"),
        // Accounts, addresses, catalogue.
        ("auth.json", &login, Drop("", "token"), "", "required"),
        ("auth.json", &login, Set("/token", json!("not-a-jwt")), "/token", "pattern"),
        ("me.json", &me, Drop("/user", "is_admin"), "/user", "required"),
        ("me.json", &me, Set("/user/email", json!("not an email")), "/user/email", "format"),
        ("products-list.json", &products, Set("/products/0/purchase_price", json!(-1)), "/products/0/purchase_price", "anyOf"),
        ("me.json", &me, Set("/user/is_admin", json!("yes")), "/user/is_admin", "anyOf"),
        ("product.json", &product, Drop("", "specifications"), "", "required"),
        // Payments.
        ("payment-intent-created.json", &created_intent, Set("/payment_intent", json!(39999)), "/payment_intent", "type"),
        ("payment-intent-created.json", &created_intent, Set("/payment_intent", json!("in_123")), "/payment_intent", "pattern"),
        ("payment-intent-confirmed.json", &confirmations[0], Set("/requires_action", json!(true)), "/requires_action", "const"),
        ("webhook-ack.json", &ack, Set("/success", json!(false)), "/success", "const"),
    ];
    for (schema, response, change, at, keyword) in cases {
        s.rejects(schema, &change.applied_to(response), at, keyword);
    }
    // What the contract's Variations allow is accepted: fields it does not list (a backend may
    // add data fields), money as decimal strings, HTTP-dates, is_admin as 1/0, created_by names.
    #[rustfmt::skip]
    let variations = [
        ("order-created.json", &pending, Set("/order/total", json!("459.98"))),
        ("order-created.json", &pending, Set("/order/order_date", json!("Mon, 07 Dec 2026 01:11:22 GMT"))),
        ("me.json", &me, Set("/user/is_admin", json!(0))),
        ("order-detail.json", &paid_detail, Set("/order/status_history/0/created_by", json!("Admin 1"))),
        ("order-created.json", &pending, Add("/order", "discount_code", json!("FREE"))),
        ("order-detail.json", &paid_detail, Add("/order/items/0", "image_url", json!("/x.jpg"))),
        ("order-detail.json", &paid_detail, Add("/order", "internal_notes", json!("vip"))),
        ("orders-list.json", &list, Add("/orders/0", "tracking_number", json!("1Z"))),
        ("order-cancelled.json", &cancelled_paid, Add("/order", "total", json!(399.99))),
        ("order-stats.json", &stats, Add("/most_recent_order", "password_hash", json!("x"))),
        ("auth.json", &registered, Add("/user", "password_hash", json!("$argon2id$v=19"))),
        ("address-created.json", &created_address, Add("/address", "user_id", json!(1))),
        ("error.json", &error_bodies[0], Add("", "trace", json!("at orders.rs:12"))),
        ("error.json", &payment_error_bodies[0], Add("", "retry_after", json!(60))),
    ];
    for (schema, response, change) in variations {
        s.accepts(schema, &change.applied_to(response));
    }
    // The payment routes' error shape needs its `success: false`.
    s.rejects("payment-error.json", &error_bodies[0], "", "required");
    // No internals in an error message; ordinary messages pass.
    for leak in [
        "Traceback (most recent call last):\n  File \"/app/backend/orders/routes.py\", line 12",
        "SELECT o.id FROM orders o WHERE o.user_id = 3",
        "sqlite3.OperationalError: database is locked",
        "Database error: no such table: users",
        "(1054, \"Unknown column 'o.total' in 'field list'\")",
        "cannot open /var/lib/giggatek/app.db",
        "Invalid API Key provided: sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "thread 'tokio-runtime-worker' panicked at src/main.rs:3:5",
        "error in backend/payment/routes.py:88",
        "config missing in /home/deploy/giggatek/.env",
    ] {
        let body = json!({"error": leak});
        let violations = s.violations("error.json", &body);
        assert!(
            violations
                .iter()
                .any(|v| v.at == "/error" && v.keyword_path.ends_with("/not")),
            "error.json accepts a leaking message {leak:?}:\n{}",
            describe(&violations)
        );
    }
    for fine in [
        "Insufficient stock for NVIDIA GeForce RTX 3090 Founders Edition 24GB (Refurbished): requested 2, available 1",
        "Content-Type must be application/json",
        "Cannot cancel order with status 'shipped'",
        "Payment not completed: payment intent status is 'requires_payment_method'",
        // Stripe's own messages name API paths: a URL path is not a file path.
        "Unrecognized request URL (POST: /v1/payment_intents/pi_123/confirmx). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
        "No such payment_intent: 'pi_3NxAbC'; see /v1/payment_intents for the ones you own",
        "Your card was declined.",
    ] {
        let violations = s.violations("error.json", &json!({"error": fine}));
        assert!(
            violations.is_empty(),
            "{fine:?}:\n{}",
            describe(&violations)
        );
    }

    servers.stop().await;
}
