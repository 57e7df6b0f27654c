//! Each legitimate variation of the sandbox, over real HTTP: what the sandbox answers with the
//! variation on, and (where it is cheap) that the reference sandbox still answers as before.
//! Also the sign-up and login counts at `GET /__sandbox/stats`, the `no-addresses-route` and
//! `html-error-pages` defects together, `all`, and the command-line flags.

use crate::sandbox_support as support;

use crate::common;

use gigcheck_servers::sandbox::{Defect, Variation, Variations};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use support::*;

/// A sandbox with these variations (and defects) on.
async fn sandbox_with(variations: &[Variation], defects: &[Defect]) -> Sandbox {
    let mut config = config();
    config.variations = variations.to_vec();
    config.defects = defects.to_vec();
    start_with(config).await
}

async fn sandbox(variations: &[Variation]) -> Sandbox {
    sandbox_with(variations, &[]).await
}

async fn set_status(s: &Sandbox, token: &str, id: i64, status: &str) -> Resp {
    s.call(
        "PUT",
        &format!("/api/orders/{id}/status"),
        Some(token),
        Some(json!({ "status": status })),
    )
    .await
}

/// `POST /api/orders/` (the collection with its slash, which every sandbox answers).
async fn order_at_slash(s: &Sandbox, user: &User, address: i64, product: i64, qty: i64) -> Resp {
    let body = Sandbox::order_body(address, json!([{"product_id": product, "quantity": qty}]));
    s.post("/api/orders/", &user.token, body).await
}

async fn order_id(s: &Sandbox, user: &User, address: i64, product: i64, qty: i64) -> i64 {
    let r = order_at_slash(s, user, address, product, qty).await;
    assert_eq!(r.status, 201, "{r:?}");
    r.body["order"]["id"].as_i64().unwrap()
}

/// Every key of every object in `v`, however deep.
fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, inner) in map {
                out.insert(k.clone());
                keys(inner, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| keys(i, out)),
        _ => {}
    }
}

fn is_http_date(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.ends_with(" GMT")
            && httpdate::parse_http_date(s).is_ok_and(|t| {
                let age = std::time::SystemTime::now()
                    .duration_since(t)
                    .unwrap_or_default();
                age.as_secs() < 600
            })
    })
}

fn is_rfc3339(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z'))
}

// ------------------------------------------------------------------ trailing-slash

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trailing_slash() {
    let clean = sandbox(&[]).await;
    let user = clean.register().await;
    assert_eq!(clean.get("/api/orders", &user.token).await.status, 200);
    assert_eq!(clean.get("/api/orders/", &user.token).await.status, 200);
    clean.stop().await;

    let s = sandbox(&[Variation::TrailingSlash]).await;
    let (user, address) = s.customer().await;
    let r = s
        .get("/api/orders?status=pending&per_page=5", &user.token)
        .await;
    assert_eq!(r.status, 308, "{r:?}");
    assert_eq!(
        r.header("location"),
        "/api/orders/?status=pending&per_page=5"
    );
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    assert!(
        r.text.starts_with("<!doctype html>") && r.text.contains("Redirecting..."),
        "{}",
        r.text
    );
    assert!(
        r.text
            .contains("href=\"/api/orders/?status=pending&amp;per_page=5\"")
    );
    let body = Sandbox::order_body(address, json!([{"product_id": 1, "quantity": 1}]));
    let r = s.post("/api/orders", &user.token, body.clone()).await;
    assert_eq!((r.status, r.header("location")), (308, "/api/orders/"));
    let listed = s.get("/api/orders/", &user.token).await;
    assert_eq!(
        listed.body["pagination"]["total"], 0,
        "the redirect placed nothing"
    );

    // The collection itself answers at its slash; the other order routes are unchanged.
    let listed = s
        .get("/api/orders/?status=pending&per_page=5", &user.token)
        .await;
    assert_eq!(listed.status, 200, "{listed:?}");
    let id = order_id(&s, &user, address, 1, 1).await;
    assert_eq!(s.order_detail(&user, id).await["id"], id);
    assert_eq!(s.get("/api/orders/stats", &user.token).await.status, 200);

    // A client that follows 308 as browsers do (method and body kept) gets the real answer.
    let following = reqwest::Client::new()
        .post(format!("{}/api/orders", s.url))
        .bearer_auth(&user.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(following.status(), 201);
    assert_eq!(
        s.get("/api/orders/", &user.token).await.body["pagination"]["total"],
        2
    );
    s.stop().await;
}

// ------------------------------------------------------------------ rate-limits

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_signups_ten_an_hour() {
    let s = sandbox(&[Variation::RateLimits]).await;
    for _ in 0..10 {
        s.register().await;
    }
    let r = s
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"email": unique_email(), "password": PASSWORD, "first_name": "A", "last_name": "B"})),
        )
        .await;
    assert_eq!(r.status, 429, "{r:?}");
    assert!(r.content_type.starts_with("application/json"));
    let retry_after: u64 = r.header("retry-after").parse().unwrap();
    // The first sign-up leaves the hour a few seconds after it was made.
    assert!((3500..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(r.header("x-ratelimit-limit"), "10");
    assert_eq!(r.header("x-ratelimit-remaining"), "0");
    let reset: i64 = r.header("x-ratelimit-reset").parse().unwrap();
    assert!((reset - now() - retry_after as i64).abs() <= 2, "{reset}");
    assert_eq!(r.body["error"], "Too many requests");
    assert_eq!(r.body["retry_after"], retry_after);
    assert_eq!(r.body["limit"], "10 per 1 hour");
    assert!(r.body["message"].is_string());
    // The 11th is counted as received, even though it was refused.
    assert_eq!(s.stats().await, (11, 0));
    // Logins are limited apart from sign-ups.
    assert_eq!(s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 200);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_logins_five_a_minute_failed_ones_count() {
    let s = sandbox(&[Variation::RateLimits]).await;
    let user = s.register().await;
    for password in ["wrong-1", "wrong-2", PASSWORD, "wrong-3", PASSWORD] {
        let r = s.login(&user.email, password).await;
        assert!(matches!(r.status, 200 | 401), "{r:?}");
    }
    let r = s.login(&user.email, PASSWORD).await;
    assert_eq!(r.status, 429, "{r:?}");
    let retry_after: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    assert_eq!(r.header("x-ratelimit-limit"), "5");
    assert_eq!(r.body["retry_after"], retry_after);
    assert_eq!(r.body["limit"], "5 per 1 minute");
    // Per client IP, not per account: the admin from the same address is refused too.
    assert_eq!(s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 429);
    // A malformed login still counts as a login attempt received.
    let r = s
        .raw(
            "POST",
            "/api/auth/login",
            &[("content-type", "application/json")],
            b"{oops".to_vec(),
        )
        .await;
    assert_eq!(r.status, 429);
    assert_eq!(s.stats().await, (1, 8));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_without_the_variation_and_nothing_is_limited() {
    let s = sandbox(&[]).await;
    assert_eq!(s.stats().await, (0, 0));
    let mut users = Vec::new();
    for _ in 0..11 {
        users.push(s.register().await);
    }
    for _ in 0..6 {
        assert_eq!(s.login(&users[0].email, PASSWORD).await.status, 200);
    }
    assert_eq!(s.login(&users[0].email, "nope").await.status, 401);
    // A taken email and a bad body are sign-up requests received, too.
    let again =
        json!({"email": users[0].email, "password": PASSWORD, "first_name": "A", "last_name": "B"});
    let r = s
        .call("POST", "/api/auth/register", None, Some(again))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(s.stats().await, (12, 7));
    // Read-only: other methods are not allowed.
    let r = s
        .call(
            "POST",
            "/__sandbox/stats",
            None,
            Some(json!({"signups": 0})),
        )
        .await;
    assert_eq!(r.status, 405);
    assert_eq!(s.stats().await, (12, 7));
    s.stop().await;
}

// ------------------------------------------------------------------ string-money

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn string_money() {
    let clean = sandbox(&[]).await;
    let (user, address) = clean.customer().await;
    let r = order_at_slash(&clean, &user, address, 1, 2).await;
    assert_eq!(r.body["order"]["total"], json!(799.98));
    assert_eq!(r.body["order"]["items"][0]["price"], json!(399.99));
    clean.stop().await;

    let s = sandbox(&[Variation::StringMoney]).await;
    let (user, address) = s.customer().await;
    let r = order_at_slash(&s, &user, address, 1, 2).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["order"]["total"], json!("799.98"));
    assert_eq!(r.body["order"]["items"][0]["price"], json!("399.99"));
    assert_eq!(r.body["order"]["items"][0]["subtotal"], json!("799.98"));
    let product = s.call("GET", "/api/products/7", None, None).await;
    assert_eq!(product.body["purchase_price"], json!("899.99"));
    let list = s.call("GET", "/api/products?limit=3", None, None).await;
    assert_eq!(list.body["products"][0]["purchase_price"], json!("399.99"));

    let (paid, _) = s.paid_order(&user, address, 5, 15999).await;
    let detail = s.order_detail(&user, paid).await;
    assert_eq!(detail["total"], json!("159.99"));
    assert_eq!(detail["payments"][0]["amount"], json!("159.99"));
    let stats = s.get("/api/orders/stats", &user.token).await;
    assert_eq!(
        stats.body["total_spent"],
        json!("959.97"),
        "799.98 pending + 159.99 paid"
    );
    assert_eq!(stats.body["most_recent_order"]["total"], json!("159.99"));

    // Stripe amounts stay integer cents.
    let cancelled = s.cancel(&user.token, paid).await;
    assert_eq!(cancelled.body["refund"]["amount"], json!(15999));
    s.stop().await;
}

// ------------------------------------------------------------------ http-dates

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_dates() {
    let clean = sandbox(&[]).await;
    let (user, address) = clean.customer().await;
    let id = order_id(&clean, &user, address, 1, 1).await;
    let detail = clean.order_detail(&user, id).await;
    assert!(
        is_rfc3339(&detail["order_date"]),
        "{}",
        detail["order_date"]
    );
    assert!(is_rfc3339(&detail["status_history"][0]["created_at"]));
    clean.stop().await;

    let s = sandbox(&[Variation::HttpDates]).await;
    let (user, address) = s.customer().await;
    let created = order_at_slash(&s, &user, address, 1, 1).await;
    assert!(
        is_http_date(&created.body["order"]["order_date"]),
        "{created:?}"
    );
    let (paid, _) = s.paid_order(&user, address, 2, 22999).await;
    let detail = s.order_detail(&user, paid).await;
    for at in [
        &detail["order_date"],
        &detail["updated_at"],
        &detail["status_history"][0]["created_at"],
        &detail["payments"][0]["created_at"],
        &detail["shipping_address"]["created_at"],
    ] {
        assert!(is_http_date(at), "{at} in {detail}");
    }
    let addresses = s.get("/api/addresses", &user.token).await;
    assert!(is_http_date(&addresses.body["addresses"][0]["created_at"]));
    let listed = s.get("/api/orders", &user.token).await;
    assert!(is_http_date(&listed.body["orders"][0]["order_date"]));
    let stats = s.get("/api/orders/stats", &user.token).await;
    assert!(is_http_date(&stats.body["most_recent_order"]["updated_at"]));
    s.stop().await;
}

// ------------------------------------------------------------------ extra-fields

const EXTRA: [&str; 9] = [
    "tracking_number",
    "notes",
    "image_url",
    "image_urls",
    "rental_price_3m",
    "rental_price_6m",
    "rental_price_12m",
    "created_at",
    "is_default",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn extra_fields() {
    let clean = sandbox(&[]).await;
    let product = clean.call("GET", "/api/products/1", None, None).await.body;
    assert!(product.get("image_url").is_none() && product.get("rental_price_3m").is_none());
    let user = clean.register().await;
    let me = clean.get("/api/auth/me", &user.token).await.body;
    assert!(me["user"].get("created_at").is_none());
    clean.stop().await;

    let s = sandbox(&[Variation::ExtraFields]).await;
    let product = s.call("GET", "/api/products/1", None, None).await.body;
    assert_eq!(product["image_url"], product["primary_image"]);
    assert_eq!(product["image_urls"], json!([product["primary_image"]]));
    for months in ["3m", "6m", "12m"] {
        let price = &product[format!("rental_price_{months}")];
        assert!(
            price.as_f64().is_some_and(|p| p > 0.0 && p < 399.99),
            "{product}"
        );
    }
    let listed = s.call("GET", "/api/products", None, None).await.body;
    assert!(listed["products"][0]["rental_price_12m"].is_number());

    let (user, address) = s.customer().await;
    let registered = s
        .call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({"email": unique_email(), "password": PASSWORD, "first_name": "A", "last_name": "B"})),
        )
        .await;
    assert!(
        is_rfc3339(&registered.body["user"]["created_at"]),
        "{registered:?}"
    );
    let login = s.login(&user.email, PASSWORD).await;
    assert!(is_rfc3339(&login.body["user"]["created_at"]), "{login:?}");
    let me = s.get("/api/auth/me", &user.token).await;
    assert_eq!(
        me.body["user"]["created_at"],
        login.body["user"]["created_at"]
    );

    let created = order_at_slash(&s, &user, address, 1, 1).await;
    let order = &created.body["order"];
    assert_eq!(order["tracking_number"], Value::Null);
    assert_eq!(order["notes"], Value::Null);
    assert_eq!(order["items"][0]["image_url"], product["primary_image"]);
    let id = order["id"].as_i64().unwrap();
    let admin = s.admin_token().await;
    assert_eq!(set_status(&s, &admin, id, "shipped").await.status, 200);
    let detail = s.order_detail(&user, id).await;
    assert!(detail["tracking_number"].is_string(), "{detail}");
    assert_eq!(detail["shipping_address"]["is_default"], true);

    // Data only: nothing secret or internal among all those keys.
    let mut seen = BTreeSet::new();
    for v in [
        &product,
        &listed,
        &registered.body,
        &login.body,
        &me.body,
        &detail,
    ] {
        keys(v, &mut seen);
    }
    for extra in EXTRA {
        assert!(seen.contains(extra), "{extra} missing");
    }
    for k in &seen {
        assert!(
            !["password", "hash", "secret", "salt", "jwt"]
                .iter()
                .any(|bad| k.contains(bad)),
            "{k} is not a data field"
        );
    }
    s.stop().await;
}

// ------------------------------------------------------------------ lean-answers

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lean_answers() {
    let clean = sandbox(&[]).await;
    let (user, address) = clean.customer().await;
    let id = order_id(&clean, &user, address, 1, 1).await;
    let r = clean.cancel(&user.token, id).await;
    assert_eq!(r.body["order"]["status"], "cancelled");
    clean.stop().await;

    let s = sandbox(&[Variation::LeanAnswers]).await;
    let (user, address) = s.customer().await;
    let before = s.stock(2).await;
    let id = order_id(&s, &user, address, 2, 2).await;
    let r = s.cancel(&user.token, id).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!({"message": "Order cancelled successfully"}));
    // The same effects: read them back.
    assert_eq!(s.order_detail(&user, id).await["status"], "cancelled");
    assert_eq!(s.stock(2).await, before);
    assert_eq!(s.cancel(&user.token, id).await.status, 400);

    let admin = s.admin_token().await;
    let id = order_id(&s, &user, address, 1, 1).await;
    let r = set_status(&s, &admin, id, "shipped").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.body,
        json!({"message": "Order status updated successfully"})
    );
    assert_eq!(s.order_detail(&user, id).await["status"], "shipped");

    // A paid order is still refunded; the answer just does not say so.
    let (paid, _) = s.paid_order(&user, address, 1, 39999).await;
    let r = s.cancel(&user.token, paid).await;
    assert_eq!(r.body, json!({"message": "Order cancelled successfully"}));
    assert_eq!(s.fake.refund_count(), 1);
    assert_eq!(
        s.order_detail(&user, paid).await["payment_status"],
        "refunded"
    );
    let (paid, _) = s.paid_order(&user, address, 1, 39999).await;
    let r = set_status(&s, &admin, paid, "cancelled").await;
    assert_eq!(
        r.body,
        json!({"message": "Order status updated successfully"})
    );
    assert_eq!(s.fake.refund_count(), 2);
    s.stop().await;
}

// ------------------------------------------------------------------ stock-400

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_400() {
    let message =
        "Insufficient stock for AMD Ryzen 9 5950X (Refurbished): requested 3, available 2";
    let clean = sandbox(&[]).await;
    let (user, address) = clean.customer().await;
    let r = order_at_slash(&clean, &user, address, 6, 3).await;
    assert_eq!((r.status, r.error()), (409, message));
    clean.stop().await;

    let s = sandbox(&[Variation::Stock400]).await;
    let (user, address) = s.customer().await;
    let r = order_at_slash(&s, &user, address, 6, 3).await;
    assert_eq!((r.status, r.error()), (400, message));
    let r = order_at_slash(&s, &user, address, SOLD_OUT, 1).await;
    assert_eq!(r.status, 400);
    assert!(r.error().contains("requested 1, available 0"), "{r:?}");
    assert_eq!(s.order_count(&user).await, 0);
    assert_eq!(s.stock(6).await, 2);
    s.stop().await;
}

// ------------------------------------------------------------------ other-catalogue

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_catalogue() {
    let s = sandbox(&[Variation::OtherCatalogue]).await;
    let r = s.call("GET", "/api/products?limit=100", None, None).await;
    let products = r.body["products"].as_array().unwrap().clone();
    assert!(products.len() >= 8, "{r:?}");
    assert_eq!(r.body["total"], products.len());
    let ids: Vec<i64> = products
        .iter()
        .map(|p| p["product_id"].as_i64().unwrap())
        .collect();
    assert!(ids.iter().all(|id| *id >= 101), "{ids:?}");
    assert!(
        ids.windows(2).any(|w| w[1] - w[0] > 1),
        "contiguous: {ids:?}"
    );
    let categories: BTreeSet<&str> = products
        .iter()
        .map(|p| p["category"].as_str().unwrap())
        .collect();
    assert_eq!(categories, BTreeSet::from(["CPUs", "GPUs", "Systems"]));
    for p in &products {
        assert!(p["stock_quantity"].as_i64().unwrap() >= 5, "{p}");
    }
    for category in ["GPUs", "CPUs", "Systems"] {
        let r = s
            .call(
                "GET",
                &format!("/api/products?category={category}"),
                None,
                None,
            )
            .await;
        assert!(r.body["total"].as_i64().unwrap() >= 2, "{category}: {r:?}");
    }
    // Paging works through the whole catalogue.
    let page = s
        .call("GET", "/api/products?limit=3&page=3", None, None)
        .await;
    assert_eq!(page.body["products"][0]["product_id"], ids[6]);
    assert_eq!(page.body["pages"], products.len().div_ceil(3));
    // The reference ids are not there; the new ones can be ordered.
    assert_eq!(
        s.call("GET", "/api/products/1", None, None).await.status,
        404
    );
    let (user, address) = s.customer().await;
    let r = order_at_slash(&s, &user, address, 1, 1).await;
    assert_eq!(r.status, 404);
    let before = s.stock(ids[0]).await;
    order_id(&s, &user, address, ids[0], 2).await;
    assert_eq!(s.stock(ids[0]).await, before - 2);
    s.stop().await;
}

// ------------------------------------------------------------------ admin-as-int

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_as_int() {
    let clean = sandbox(&[]).await;
    assert_eq!(
        clean.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.body["user"]["is_admin"],
        true
    );
    clean.stop().await;

    let s = sandbox(&[Variation::AdminAsInt]).await;
    let login = s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(login.body["user"]["is_admin"], json!(1));
    let admin = login.body["token"].as_str().unwrap().to_string();
    assert_eq!(
        s.get("/api/auth/me", &admin).await.body["user"]["is_admin"],
        json!(1)
    );
    let (user, address) = s.customer().await;
    assert_eq!(
        s.login(&user.email, PASSWORD).await.body["user"]["is_admin"],
        json!(0)
    );
    assert_eq!(
        s.get("/api/auth/me", &user.token).await.body["user"]["is_admin"],
        json!(0)
    );
    // The token still carries the right to act as admin, and only for the admin.
    let id = order_id(&s, &user, address, 1, 1).await;
    assert_eq!(set_status(&s, &admin, id, "processing").await.status, 200);
    assert_eq!(set_status(&s, &user.token, id, "shipped").await.status, 403);
    s.stop().await;
}

// ------------------------------------------------------------------ created-by-strings

/// The `created_by` of each history row, in order; one row written by the webhook (null).
async fn history_authors(s: &Sandbox) -> (i64, i64, Vec<Value>) {
    let (user, address) = s.customer().await;
    let id = order_id(s, &user, address, 1, 1).await;
    let paid = event(
        &format!("evt_{}", uuid::Uuid::new_v4().simple()),
        "payment_intent.succeeded",
        json!({"id": "pi_hook", "object": "payment_intent", "amount": 39999, "amount_received": 39999,
               "currency": "usd", "status": "succeeded", "metadata": {"order_id": id.to_string()}}),
    );
    assert_eq!(s.webhook(&paid).await.status, 200);
    let login = s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let admin_id = login.body["user"]["id"].as_i64().unwrap();
    let admin = login.body["token"].as_str().unwrap();
    assert_eq!(set_status(s, admin, id, "shipped").await.status, 200);
    let history = s.order_detail(&user, id).await["status_history"].clone();
    let authors = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["created_by"].clone())
        .collect();
    (user.id, admin_id, authors)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_by_strings() {
    let clean = sandbox(&[]).await;
    let (customer, admin, authors) = history_authors(&clean).await;
    assert_eq!(authors, [json!(customer), Value::Null, json!(admin)]);
    clean.stop().await;

    let s = sandbox(&[Variation::CreatedByStrings]).await;
    let (customer, admin, authors) = history_authors(&s).await;
    assert_eq!(
        authors,
        [
            json!(format!("Customer {customer}")),
            Value::Null,
            json!(format!("Admin {admin}")),
        ]
    );
    s.stop().await;
}

// ------------------------------------------------------------------ the two defects

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_addresses_route_with_html_error_pages_is_an_html_404() {
    let s = sandbox_with(&[], &[Defect::NoAddressesRoute, Defect::HtmlErrorPages]).await;
    let user = s.register().await;
    let r = s
        .post(
            "/api/addresses",
            &user.token,
            json!({"first_name": "Ada", "last_name": "Byte", "street_address": "1 Loop Rd", "city": "Austin",
                   "state": "TX", "zip_code": "78701", "country": "US"}),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.content_type, "text/html; charset=utf-8");
    assert!(
        r.text.contains("<title>404 Not Found</title>"),
        "{}",
        r.text
    );
    assert_eq!(s.get("/api/addresses", &user.token).await.status, 404);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defects_still_show_with_every_variation_on() {
    let s = sandbox_with(&Variation::ALL, &[Defect::HtmlErrorPages]).await;
    let user = s.register().await;
    let r = s
        .raw(
            "POST",
            "/api/orders/",
            &[
                ("authorization", &format!("Bearer {}", user.token)),
                ("content-type", "application/json"),
            ],
            b"{not json".to_vec(),
        )
        .await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (400, "text/html; charset=utf-8")
    );
    let r = s.get("/api/nothing-here", &user.token).await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (404, "text/html; charset=utf-8")
    );
    s.stop().await;
}

// ------------------------------------------------------------------ all

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_switches_every_variation_on() {
    let all: Variations = "all".parse().unwrap();
    let s = sandbox(&all.iter().collect::<Vec<_>>()).await;

    // other-catalogue, string-money, extra-fields
    let products = s
        .call("GET", "/api/products?limit=100", None, None)
        .await
        .body;
    let first = &products["products"][0];
    assert_eq!(first["product_id"], 101);
    assert!(first["purchase_price"].is_string(), "{first}");
    assert!(first["rental_price_3m"].is_string(), "{first}");

    // admin-as-int
    let admin = s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(admin.body["user"]["is_admin"], json!(1));
    let admin = admin.body["token"].as_str().unwrap().to_string();

    let (user, address) = s.customer().await;
    // trailing-slash
    let r = s.get("/api/orders", &user.token).await;
    assert_eq!((r.status, r.header("location")), (308, "/api/orders/"));
    // stock-400 (every product has 5+ units, so ask for more than there are)
    let r = order_at_slash(&s, &user, address, 101, 10_000).await;
    assert_eq!(r.status, 400, "{r:?}");
    assert!(r.error().contains("requested 10000"), "{r:?}");
    // http-dates, extra-fields, string-money on an order
    let created = order_at_slash(&s, &user, address, 101, 1).await;
    assert_eq!(created.status, 201, "{created:?}");
    let order = &created.body["order"];
    assert!(is_http_date(&order["order_date"]), "{order}");
    assert_eq!(order["total"], first["purchase_price"]);
    assert!(order.get("tracking_number").is_some());
    let id = order["id"].as_i64().unwrap();
    // lean-answers
    let r = set_status(&s, &admin, id, "processing").await;
    assert_eq!(
        r.body,
        json!({"message": "Order status updated successfully"})
    );
    // created-by-strings
    let detail = s.order_detail(&user, id).await;
    let authors: Vec<&Value> = detail["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| &h["created_by"])
        .collect();
    assert!(authors.iter().all(|a| a.is_string()), "{authors:?}");
    // rate-limits: one login so far from this address (the admin's); four more, then 429.
    for _ in 0..4 {
        assert_eq!(s.login(&user.email, PASSWORD).await.status, 200);
    }
    assert_eq!(s.login(&user.email, PASSWORD).await.status, 429);
    assert_eq!(s.stats().await, (1, 6));
    s.stop().await;
}

// ------------------------------------------------------------------ the command line

/// A project with one scenario that any sandbox passes.
fn project() -> common::Project {
    let p = common::Project::new();
    p.write(
        "specs/catalogue.yaml",
        r#"
name: Catalogue
scenarios:
  - id: "C.1"
    name: The catalogue answers
    steps:
      - request: { method: GET, url: /api/products }
        expect: { status: 200 }
"#,
    );
    p
}

#[test]
fn unknown_variations_and_conflicts_are_usage_errors() {
    let p = project();
    for args in [
        &["sandbox", "--variation", "nope"][..],
        &["run", "--sandbox-variation", "nope"],
        &["mutants", "--sandbox-variation", "nope"],
    ] {
        let out = p.gigcheck(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert!(
            out.stderr.contains("nope")
                && out.stderr.contains("trailing-slash")
                && out.stderr.contains("created-by-strings")
                && out.stderr.contains("all"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        "http://127.0.0.1:9",
        "--sandbox-variation",
        "all",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    p.write("env.yaml", "base_url: http://127.0.0.1:9\n");
    let out = p.gigcheck(&[
        "run",
        "--env",
        "env.yaml",
        "--sandbox-variation",
        "stock-400",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("--sandbox-variation is for the embedded sandbox"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_run_banner_names_the_variations() {
    let p = project();
    let out = p.gigcheck(&[
        "run",
        "--sandbox-variation",
        "stock-400",
        "--sandbox-variation",
        "http-dates",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains(") with variations: http-dates, stock-400 with"),
        "{}",
        out.all()
    );
    let out = p.gigcheck(&[
        "run",
        "--sandbox-defect",
        "no-addresses-route",
        "--sandbox-variation",
        "all",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(
            "with defects: addresses.create.ok and variations: trailing-slash, rate-limits,"
        ),
        "{}",
        out.all()
    );
}
