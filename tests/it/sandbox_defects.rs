//! Each deliberate defect of the sandbox, over real HTTP: the same requests against the clean
//! sandbox and against one with the defect on, and the difference the defect makes.

use crate::sandbox_support as support;

use gigcheck_servers::sandbox::Defect;
use gigcheck_servers::sandbox::errors::UNAVAILABLE;
use serde_json::{Value, json};
use support::*;

/// A sandbox with `defect` on, or the clean one.
async fn sandbox(defect: Option<Defect>) -> Sandbox {
    let mut config = config();
    config.defects = defect.into_iter().collect();
    start_with(config).await
}

/// Runs `check` against the clean sandbox and against one with `defect`; returns both answers.
async fn clean_and<T, F>(defect: Defect, check: F) -> (T, T)
where
    F: AsyncFn(&Sandbox) -> T,
{
    let clean = sandbox(None).await;
    let a = check(&clean).await;
    clean.stop().await;
    let broken = sandbox(Some(defect)).await;
    let b = check(&broken).await;
    broken.stop().await;
    (a, b)
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

async fn cancel(s: &Sandbox, user: &User, id: i64) -> Resp {
    s.cancel(&user.token, id).await
}

/// A `payment_intent.succeeded` for the pending order `id` of 399.99 (product 1).
fn succeeded(event_id: &str, order_id: i64) -> Value {
    event(
        event_id,
        "payment_intent.succeeded",
        json!({"id": "pi_webhook_test", "object": "payment_intent", "amount": 39999,
               "amount_received": 39999, "currency": "usd", "status": "succeeded",
               "metadata": {"order_id": order_id.to_string()}}),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_when_shipped() {
    let (clean, broken) = clean_and(Defect::CancelWhenShipped, async |s| {
        let (user, address) = s.customer().await;
        let id = s.order_ok(&user, address, 1, 1).await;
        let admin = s.admin_token().await;
        assert_eq!(set_status(s, &admin, id, "shipped").await.status, 200);
        cancel(s, &user, id).await.status
    })
    .await;
    assert_eq!((clean, broken), (400, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_admin_check() {
    let (clean, broken) = clean_and(Defect::NoAdminCheck, async |s| {
        let (owner, address) = s.customer().await;
        let id = s.order_ok(&owner, address, 1, 1).await;
        let (stranger, _) = s.customer().await;
        let r = set_status(s, &stranger.token, id, "delivered").await;
        (r.status, s.order_detail(&owner, id).await["status"].clone())
    })
    .await;
    assert_eq!(clean, (403, json!("pending")));
    assert_eq!(broken, (200, json!("delivered")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_readable_by_others() {
    let (clean, broken) = clean_and(Defect::OrderReadableByOthers, async |s| {
        let (owner, address) = s.customer().await;
        let id = s.order_ok(&owner, address, 1, 1).await;
        let (stranger, _) = s.customer().await;
        let r = s.get(&format!("/api/orders/{id}"), &stranger.token).await;
        (r.status, r.body["order"]["user_id"] == owner.id)
    })
    .await;
    assert_eq!(clean, (404, false));
    assert_eq!(broken, (200, true));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_unverified() {
    let (clean, broken) = clean_and(Defect::WebhookUnverified, async |s| {
        let (user, address) = s.customer().await;
        let id = s.order_ok(&user, address, 1, 1).await;
        let forged = succeeded("evt_forged", id);
        let r = s.webhook_signed(&forged, "whsec_attacker", now()).await;
        let paid = s.order_detail(&user, id).await["payment_status"].clone();
        (r.status, paid)
    })
    .await;
    assert_eq!(clean, (400, json!("pending")));
    assert_eq!(broken, (200, json!("paid")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_without_refund() {
    let (clean, broken) = clean_and(Defect::CancelWithoutRefund, async |s| {
        let (user, address) = s.customer().await;
        let (id, _) = s.paid_order(&user, address, 1, 39999).await;
        let r = cancel(s, &user, id).await;
        assert_eq!(r.status, 200, "{r:?}");
        (
            r.body["order"]["payment_status"].clone(),
            r.body.get("refund").is_some(),
            s.fake.refund_count(),
        )
    })
    .await;
    assert_eq!(clean, (json!("refunded"), true, 1));
    assert_eq!(broken, (json!("paid"), false, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_restock_on_cancel() {
    let (clean, broken) = clean_and(Defect::NoRestockOnCancel, async |s| {
        let (user, address) = s.customer().await;
        let before = s.stock(2).await;
        let id = s.order_ok(&user, address, 2, 2).await;
        assert_eq!(cancel(s, &user, id).await.status, 200);
        before - s.stock(2).await
    })
    .await;
    assert_eq!((clean, broken), (0, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_not_decremented() {
    let (clean, broken) = clean_and(Defect::StockNotDecremented, async |s| {
        let (user, address) = s.customer().await;
        let before = s.stock(1).await;
        s.order_ok(&user, address, 1, 3).await;
        before - s.stock(1).await
    })
    .await;
    assert_eq!((clean, broken), (3, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_off_by_one() {
    let (clean, broken) = clean_and(Defect::PaginationOffByOne, async |s| {
        let (user, address) = s.customer().await;
        for _ in 0..3 {
            s.order_ok(&user, address, 1, 1).await;
        }
        let r = s.get("/api/orders?page=1&per_page=2", &user.token).await;
        assert_eq!(r.status, 200, "{r:?}");
        r.body["orders"].as_array().map_or(0, Vec::len)
    })
    .await;
    assert_eq!((clean, broken), (2, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_page_uncapped() {
    let (clean, broken) = clean_and(Defect::PerPageUncapped, async |s| {
        let user = s.register().await;
        let r = s.get("/api/orders?per_page=1000", &user.token).await;
        r.body["pagination"]["per_page"].clone()
    })
    .await;
    assert_eq!((clean, broken), (json!(50), json!(1000)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_despite_declined_payment() {
    let (clean, broken) = clean_and(Defect::OrderDespiteDeclinedPayment, async |s| {
        let (user, address) = s.customer().await;
        let pi = s.intent(&user, 39999, None).await;
        let r = s
            .post(
                "/api/payment/confirm-payment-intent",
                &user.token,
                json!({"payment_intent_id": pi, "payment_method": "pm_card_chargeDeclined"}),
            )
            .await;
        assert_eq!(r.status, 402, "{r:?}");
        let mut body = Sandbox::order_body(address, json!([{"product_id": 1, "quantity": 1}]));
        body["payment_intent_id"] = json!(pi);
        let r = s.post("/api/orders", &user.token, body).await;
        (r.status, s.order_count(&user).await)
    })
    .await;
    assert_eq!(clean, (402, 0));
    assert_eq!(broken, (201, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_price_trusted() {
    let (clean, broken) = clean_and(Defect::ClientPriceTrusted, async |s| {
        let (user, address) = s.customer().await;
        let r = s
            .order(
                &user,
                address,
                json!([{"product_id": 1, "quantity": 2, "price": 0.01}]),
            )
            .await;
        assert_eq!(r.status, 201, "{r:?}");
        r.body["order"]["total"].clone()
    })
    .await;
    assert_eq!((clean, broken), (json!(799.98), json!(0.02)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_webhook_applied() {
    let (clean, broken) = clean_and(Defect::DuplicateWebhookApplied, async |s| {
        let (user, address) = s.customer().await;
        let id = s.order_ok(&user, address, 1, 1).await;
        let once = succeeded("evt_delivered_twice", id);
        for _ in 0..2 {
            assert_eq!(s.webhook(&once).await.status, 200);
        }
        let detail = s.order_detail(&user, id).await;
        (
            detail["payment_status"].clone(),
            detail["payments"].as_array().map_or(0, Vec::len),
        )
    })
    .await;
    assert_eq!(clean, (json!("paid"), 1));
    assert_eq!(broken, (json!("paid"), 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sql_in_error_body() {
    let (clean, broken) = clean_and(Defect::SqlInErrorBody, async |s| {
        let user = s.register().await;
        s.set_db(false).await;
        let r = s.get("/api/orders", &user.token).await;
        s.set_db(true).await;
        (r.status, r.error().to_string())
    })
    .await;
    assert_eq!(clean, (503, UNAVAILABLE.to_string()));
    assert_eq!(broken.0, 503);
    assert!(
        broken.1.starts_with("Database error: no such column")
            && broken
                .1
                .contains("SELECT id, email, first_name, last_name, is_admin FROM users"),
        "{}",
        broken.1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn db_outage_500_trace() {
    let (clean, broken) = clean_and(Defect::DbOutage500Trace, async |s| {
        s.set_db(false).await;
        let r = s.call("GET", "/api/products", None, None).await;
        s.set_db(true).await;
        let after = s.call("GET", "/api/products", None, None).await.status;
        (
            r.status,
            r.body["trace"].as_str().map(str::to_string),
            after,
        )
    })
    .await;
    assert_eq!(clean, (503, None, 200));
    assert_eq!(broken.0, 500);
    assert!(broken.1.is_some_and(|t| !t.is_empty()));
    assert_eq!(broken.2, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversell_race() {
    let (clean, broken) = clean_and(Defect::OversellRace, async |s| {
        let (a, b, c, d) = (
            s.customer().await,
            s.customer().await,
            s.customer().await,
            s.customer().await,
        );
        let one = json!([{"product_id": LAST_ONE, "quantity": 1}]);
        let (ra, rb, rc, rd) = tokio::join!(
            s.order(&a.0, a.1, one.clone()),
            s.order(&b.0, b.1, one.clone()),
            s.order(&c.0, c.1, one.clone()),
            s.order(&d.0, d.1, one.clone()),
        );
        let sold = [ra, rb, rc, rd].iter().filter(|r| r.status == 201).count();
        (sold, s.stock(LAST_ONE).await)
    })
    .await;
    assert_eq!(clean, (1, 0));
    assert!(broken.0 >= 2, "only {} of 4 sold the last unit", broken.0);
    assert_eq!(broken.1, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reopens_final_order() {
    let (clean, broken) = clean_and(Defect::AdminReopensFinalOrder, async |s| {
        let (user, address) = s.customer().await;
        let id = s.order_ok(&user, address, 1, 1).await;
        let admin = s.admin_token().await;
        assert_eq!(set_status(s, &admin, id, "delivered").await.status, 200);
        set_status(s, &admin, id, "processing").await.status
    })
    .await;
    assert_eq!((clean, broken), (400, 200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_numeric_page_500() {
    let (clean, broken) = clean_and(Defect::NonNumericPage500, async |s| {
        let user = s.register().await;
        let r = s.get("/api/orders?page=abc", &user.token).await;
        assert_no_internals(&r);
        (
            r.status,
            s.get("/api/orders?page=2", &user.token).await.status,
        )
    })
    .await;
    assert_eq!(clean, (400, 200));
    assert_eq!(broken, (500, 200));
}

/// The answer to `method path` with `body` sent as it is, as JSON.
async fn send(s: &Sandbox, method: &str, path: &str, token: &str, body: &[u8]) -> Resp {
    let auth = format!("Bearer {token}");
    s.raw(
        method,
        path,
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        body.to_vec(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_addresses_route() {
    let (clean, broken) = clean_and(Defect::NoAddressesRoute, async |s| {
        let user = s.register().await;
        let address = json!({"first_name": "Ada", "last_name": "Byte", "street_address": "1 Loop Rd",
                             "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"});
        let post = s.post("/api/addresses", &user.token, address.clone()).await;
        let slash = s.post("/api/addresses/", &user.token, address).await;
        let list = s.get("/api/addresses", &user.token).await;
        let unknown = s.get("/api/nothing-here", &user.token).await;
        (
            [post.status, slash.status, list.status],
            post.body.clone(),
            list.body == unknown.body,
            post.content_type,
        )
    })
    .await;
    assert_eq!(clean.0, [201, 201, 200]);
    assert_eq!(broken.0, [404, 404, 404]);
    // Exactly what an unknown route answers: JSON, `Not found`.
    assert_eq!(broken.1, json!({"error": "Not found"}));
    assert!(broken.2);
    assert!(broken.3.starts_with("application/json"), "{}", broken.3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_error_pages() {
    let (clean, broken) = clean_and(Defect::HtmlErrorPages, async |s| {
        let user = s.register().await;
        let unknown = s.get("/api/nothing-here", &user.token).await;
        let wrong_method = send(s, "DELETE", "/api/orders", &user.token, b"").await;
        let malformed = send(s, "POST", "/api/orders", &user.token, b"{not json").await;
        let not_object = send(s, "POST", "/api/orders", &user.token, b"[1]").await;
        [unknown, wrong_method, malformed, not_object]
            .map(|r| (r.status, r.content_type.clone(), r.text.clone()))
    })
    .await;
    for (status, content_type, text) in &clean {
        assert!(
            content_type.starts_with("application/json"),
            "{status} {text}"
        );
    }
    assert_eq!(clean.map(|c| c.0), [404, 405, 400, 400]);
    let [unknown, wrong_method, malformed, not_object] = broken;
    for (page, status, title) in [
        (&unknown, 404, "404 Not Found"),
        (&wrong_method, 405, "405 Method Not Allowed"),
        (&malformed, 400, "400 Bad Request"),
    ] {
        assert_eq!(page.0, status, "{}", page.2);
        assert_eq!(page.1, "text/html; charset=utf-8");
        assert!(
            page.2.starts_with("<!doctype html>\n<html lang=en>\n")
                && page.2.contains(&format!("<title>{title}</title>")),
            "{}",
            page.2
        );
    }
    // A body that is JSON, only not an object, is the route's own (JSON) answer.
    assert_eq!(not_object.0, 400);
    assert!(not_object.1.starts_with("application/json"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn total_ignores_quantity() {
    let (clean, broken) = clean_and(Defect::TotalIgnoresQuantity, async |s| {
        let (user, address) = s.customer().await;
        let id = s.order_ok(&user, address, 1, 3).await;
        let order = s.order_detail(&user, id).await;
        let price = order["items"][0]["price"].as_f64().unwrap();
        (order["total"].as_f64().unwrap() / price).round() as i64
    })
    .await;
    assert_eq!((clean, broken), (3, 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_token_accepted() {
    let (clean, broken) = clean_and(Defect::ExpiredTokenAccepted, async |s| {
        let (user, _) = s.customer().await;
        let claims = json!({"user_id": user.id, "is_admin": false, "exp": 1_000_000_000});
        let expired = gigcheck_base::jwt::sign(&claims, JWT_SECRET.as_bytes()).unwrap();
        s.get("/api/auth/me", &expired).await.status
    })
    .await;
    assert_eq!((clean, broken), (401, 200));
}

/// The defects that were planted before defects were named after rules each have a test here,
/// under their old name; every defect, these and the rest, is run against the whole plan by
/// `gigcheck mutants` (`tests/it/plan.rs`), which must catch it.
#[test]
fn every_classic_defect_is_tested_here() {
    let source = include_str!("sandbox_defects.rs");
    let classic: Vec<&Defect> = Defect::ALL.iter().filter(|d| d.alias().is_some()).collect();
    assert!(classic.len() >= 21);
    for defect in classic {
        let name = defect.alias().unwrap_or_default();
        let test = format!("async fn {}()", name.replace('-', "_"));
        assert!(source.contains(&test), "no test for {defect} ({name})");
    }
}
