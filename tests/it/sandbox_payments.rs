//! The sandbox's payment side over real HTTP against a fake Stripe: payment intents, orders paid
//! at creation (402/502 leave nothing behind), refunding cancellations, the signed webhook, and
//! the robustness guarantees: concurrency, the database outage switch, restart on a kept file.

use crate::sandbox_support as support;

use gigcheck_servers::sandbox::SandboxConfig;
use serde_json::json;
use std::time::{Duration, Instant};
use support::*;

const PROVIDER_DOWN: &str = "Payment provider unavailable, please try again";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_payment_intent() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let stranger = s.register().await;
    let order = s.order_ok(&user, address, 1, 1).await;

    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 39999, "currency": "usd", "description": "GigGatek order", "metadata": {"order_id": order.to_string()}}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["success"], true);
    // The contract: `payment_intent` is the intent's id; its amount is Stripe's to show.
    let pi = r.body["payment_intent"].as_str().unwrap().to_string();
    assert!(
        r.body["client_secret"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{pi}_secret_"))
    );
    // What reached Stripe: form-encoded, bearer key, idempotency key, metadata.
    let sent = s.fake.intent(&pi);
    assert_eq!(sent["metadata"]["order_id"], order.to_string());
    assert_eq!(sent["metadata"]["user_id"], user.id.to_string());
    assert_eq!(sent["currency"], "usd");
    let calls = s.fake.calls.lock().unwrap().clone();
    let (method, path, auth, key) = calls.last().unwrap();
    assert_eq!(
        (method.as_str(), path.as_str()),
        ("POST", "/v1/payment_intents")
    );
    assert_eq!(auth, &format!("Bearer {STRIPE_KEY}"));
    assert!(key.as_ref().is_some_and(|k| !k.is_empty()));

    // Without metadata: any positive amount.
    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 5000}),
        )
        .await;
    assert_eq!((r.status, r.body["success"].as_bool()), (200, Some(true)));

    // 400s.
    for body in [
        json!({}),
        json!({"amount": 0}),
        json!({"amount": -5}),
        json!({"amount": 10.5}),
        json!({"amount": "100"}),
        json!({"amount": 100, "currency": "dollars"}),
    ] {
        let r = s
            .post(
                "/api/payment/create-payment-intent",
                &user.token,
                body.clone(),
            )
            .await;
        assert_eq!(r.status, 400, "{body}: {r:?}");
        assert_eq!(r.body["success"], false);
        assert!(r.body["error"].is_string());
    }
    // Amount must match the order it pays.
    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 100, "metadata": {"order_id": order}}),
        )
        .await;
    assert_eq!(r.status, 400, "{r:?}");
    // Stripe's own 400 comes through as a 400.
    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 10}),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Amount must be at least $0.50 usd")
    );

    // 404: someone else's order.
    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &stranger.token,
            json!({"amount": 39999, "metadata": {"order_id": order}}),
        )
        .await;
    assert_eq!(
        (r.status, r.error()),
        (404, "Order not found or access denied")
    );
    assert_eq!(r.body["success"], false);

    // 502: Stripe failing, hanging (quickly), unreachable.
    s.fake.set_mode(Mode::Fail);
    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 5000}),
        )
        .await;
    assert_eq!(
        (r.status, r.error(), r.body["success"].as_bool()),
        (502, PROVIDER_DOWN, Some(false))
    );
    s.fake.set_mode(Mode::Hang);
    let started = Instant::now();
    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 5000}),
        )
        .await;
    assert_eq!((r.status, r.error()), (502, PROVIDER_DOWN));
    // The sandbox gives up after its 400 ms Stripe timeout; the bound only tells that from a
    // hang, with room for a loaded machine.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    s.stop().await;

    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let s = start_with(SandboxConfig {
        stripe_api: dead_url,
        ..config()
    })
    .await;
    let user = s.register().await;
    let r = s
        .post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 5000}),
        )
        .await;
    assert_eq!((r.status, r.error()), (502, PROVIDER_DOWN));
    assert_no_internals(&r);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirm_payment_intent() {
    let s = start().await;
    let user = s.register().await;
    let stranger = s.register().await;
    let path = "/api/payment/confirm-payment-intent";

    let pi = s.intent(&user, 5000, None).await;
    let r = s
        .post(
            path,
            &user.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["success"], true);
    assert_eq!(r.body["status"], "succeeded");
    assert_eq!(r.body["requires_action"], false);
    assert!(r.body["client_secret"].is_string());

    let pi = s.intent(&user, 5000, None).await;
    let r = s
        .post(
            path,
            &user.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_authenticationRequired"}),
        )
        .await;
    assert_eq!(
        (
            r.status,
            r.body["status"].as_str(),
            r.body["requires_action"].as_bool()
        ),
        (200, Some("requires_action"), Some(true))
    );

    let pi = s.intent(&user, 5000, None).await;
    let r = s
        .post(
            path,
            &user.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_chargeDeclined"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error(), r.body["success"].as_bool()),
        (402, "Your card was declined.", Some(false))
    );

    let r = s
        .post(
            path,
            &stranger.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!((r.status, r.body["success"].as_bool()), (404, Some(false)));
    let r = s
        .post(
            path,
            &user.token,
            json!({"payment_intent_id": "pi_unknown123", "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(r.status, 404);
    let r = s.post(path, &user.token, json!({})).await;
    assert_eq!(
        (r.status, r.error()),
        (400, "Missing required field: payment_intent_id")
    );

    s.fake.set_mode(Mode::Fail);
    let r = s
        .post(
            path,
            &user.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!((r.status, r.error()), (502, PROVIDER_DOWN));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_paid_at_creation() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let stranger = s.register().await;
    let before = s.stock(LAST_ONE).await;

    let (id, pi) = s.paid_order(&user, address, LAST_ONE, 79999).await;
    let detail = s.order_detail(&user, id).await;
    assert_eq!(
        (detail["status"].as_str(), detail["payment_status"].as_str()),
        (Some("processing"), Some("paid"))
    );
    assert_eq!(detail["payments"].as_array().unwrap().len(), 1);
    assert_eq!(detail["payments"][0]["transaction_id"], pi.as_str());
    assert_eq!(detail["payments"][0]["amount"], 799.99);
    assert_eq!(s.stock(LAST_ONE).await, before - 1);
    let r = s.get("/api/orders/stats", &user.token).await;
    assert_eq!(r.body["total_spent"], 799.99);

    let body = |pi: &str| {
        let mut b =
            support::Sandbox::order_body(address, json!([{"product_id": 1, "quantity": 1}]));
        b["payment_intent_id"] = json!(pi);
        b
    };
    let orders_before = s.order_count(&user).await;
    let stock_before = s.stock(1).await;

    // Not succeeded → 402, nothing written.
    let pending = s.intent(&user, 39999, None).await;
    let r = s.post("/api/orders", &user.token, body(&pending)).await;
    assert_eq!(
        (r.status, r.error()),
        (
            402,
            "Payment not completed: payment intent status is 'requires_payment_method'"
        )
    );
    // Wrong amount → 402.
    let cheap = s.intent(&user, 100, None).await;
    s.fake.succeed(&cheap);
    let r = s.post("/api/orders", &user.token, body(&cheap)).await;
    assert_eq!(r.status, 402, "{r:?}");
    assert!(r.error().starts_with("Payment not completed: "));
    // Someone else's intent, an unknown one, a reused one → 402.
    let theirs = s.intent(&stranger, 39999, None).await;
    s.fake.succeed(&theirs);
    for pi in [theirs.as_str(), "pi_nonexistent", "not an id", pi.as_str()] {
        let r = s.post("/api/orders", &user.token, body(pi)).await;
        assert_eq!(r.status, 402, "{pi}: {r:?}");
        assert!(r.error().starts_with("Payment not completed: "), "{r:?}");
    }
    // Stripe down during verification → 502.
    let good = s.intent(&user, 39999, None).await;
    s.fake.succeed(&good);
    s.fake.set_mode(Mode::Fail);
    let r = s.post("/api/orders", &user.token, body(&good)).await;
    assert_eq!((r.status, r.error()), (502, PROVIDER_DOWN));
    s.fake.set_mode(Mode::Hang);
    let r = s.post("/api/orders", &user.token, body(&good)).await;
    assert_eq!(r.status, 502);
    s.fake.set_mode(Mode::Normal);

    assert_eq!(s.order_count(&user).await, orders_before, "no order rows");
    assert_eq!(s.stock(1).await, stock_before, "no stock change");

    // And once Stripe is back, the same intent pays.
    let r = s.post("/api/orders", &user.token, body(&good)).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(r.body["order"]["payment_status"], "paid");
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_a_paid_order_refunds_it() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let (id, pi) = s.paid_order(&user, address, 4, 17999).await;
    let stock = s.stock(4).await;

    // The refund fails: nothing changes.
    s.fake.set_mode(Mode::Fail);
    let r = s.cancel(&user.token, id).await;
    assert_eq!((r.status, r.error()), (502, PROVIDER_DOWN));
    s.fake.set_mode(Mode::Normal);
    let detail = s.order_detail(&user, id).await;
    assert_eq!(
        (detail["status"].as_str(), detail["payment_status"].as_str()),
        (Some("processing"), Some("paid"))
    );
    assert_eq!(s.stock(4).await, stock);
    assert_eq!(s.fake.refund_count(), 0);

    let r = s.cancel(&user.token, id).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.body["order"],
        json!({"id": id, "status": "cancelled", "payment_status": "refunded"})
    );
    assert_eq!(r.body["refund"]["amount"], 17999);
    assert_eq!(r.body["refund"]["status"], "succeeded");
    assert!(r.body["refund"]["id"].as_str().unwrap().starts_with("re_"));
    assert_eq!(s.stock(4).await, stock + 1);
    let refunds = s.fake.refunds.lock().unwrap().clone();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["payment_intent"], pi.as_str());
    let detail = s.order_detail(&user, id).await;
    assert_eq!(detail["payments"][0]["status"], "refunded");

    // An admin cancelling a paid order refunds too.
    let admin = s.admin_token().await;
    let (id, _) = s.paid_order(&user, address, 4, 17999).await;
    let r = s
        .call(
            "PUT",
            &format!("/api/orders/{id}/status"),
            Some(&admin),
            Some(json!({"status": "shipped"})),
        )
        .await;
    assert_eq!(r.status, 200);
    let r = s
        .call(
            "PUT",
            &format!("/api/orders/{id}/status"),
            Some(&admin),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["order"]["payment_status"], "refunded");
    assert_eq!(s.fake.refund_count(), 2);
    assert_eq!(s.stock(4).await, stock + 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_effects_and_idempotency() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let id = s.order_ok(&user, address, 3, 1).await;
    let pi = s.intent(&user, 27999, Some(id)).await;
    let object = json!({"id": pi, "object": "payment_intent", "amount": 27999, "amount_received": 27999,
                        "currency": "usd", "status": "succeeded", "metadata": {"order_id": id.to_string()}});

    // A failure first: payment_status failed, status unchanged.
    let failed = event(
        "evt_fail_1",
        "payment_intent.payment_failed",
        object.clone(),
    );
    let r = s.webhook(&failed).await;
    assert_eq!((r.status, r.body.clone()), (200, json!({"success": true})));
    let detail = s.order_detail(&user, id).await;
    assert_eq!(
        (detail["status"].as_str(), detail["payment_status"].as_str()),
        (Some("pending"), Some("failed"))
    );

    // Success, delivered three times: one effect.
    let succeeded = event("evt_ok_1", "payment_intent.succeeded", object.clone());
    for _ in 0..3 {
        let r = s.webhook(&succeeded).await;
        assert_eq!(r.status, 200, "{r:?}");
    }
    let detail = s.order_detail(&user, id).await;
    assert_eq!(
        (detail["status"].as_str(), detail["payment_status"].as_str()),
        (Some("processing"), Some("paid"))
    );
    assert_eq!(detail["payments"].as_array().unwrap().len(), 1);
    assert_eq!(detail["payments"][0]["transaction_id"], pi.as_str());
    let statuses: Vec<&str> = detail["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pending", "processing"]);
    // A late failure of an earlier attempt does not unpay it.
    let r = s
        .webhook(&event(
            "evt_fail_2",
            "payment_intent.payment_failed",
            object.clone(),
        ))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(s.order_detail(&user, id).await["payment_status"], "paid");

    // Paid through the webhook, then cancelled: refunded through the recorded intent.
    s.fake.succeed(&pi);
    let r = s.cancel(&user.token, id).await;
    assert_eq!(
        (r.status, r.body["order"]["payment_status"].as_str()),
        (200, Some("refunded")),
        "{r:?}"
    );
    assert_eq!(s.fake.refund_count(), 1);

    // charge.refunded → refunded (another order, paid at creation).
    let (paid, paid_pi) = s.paid_order(&user, address, 2, 22999).await;
    let charge = json!({"id": "ch_1", "object": "charge", "payment_intent": paid_pi, "amount": 22999, "refunded": true, "metadata": {}});
    let r = s
        .webhook(&event("evt_refund_1", "charge.refunded", charge))
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        s.order_detail(&user, paid).await["payment_status"],
        "refunded"
    );

    // Unknown types and unknown orders are acknowledged and ignored.
    let r = s
        .webhook(&event(
            "evt_other",
            "customer.created",
            json!({"id": "cus_1"}),
        ))
        .await;
    assert_eq!((r.status, r.body["success"].as_bool()), (200, Some(true)));
    let mut ghost = object.clone();
    ghost["metadata"]["order_id"] = json!("987654");
    assert_eq!(
        s.webhook(&event("evt_ghost", "payment_intent.succeeded", ghost))
            .await
            .status,
        200
    );

    // A succeeded event for the wrong amount does not mark an order paid.
    let other = s.order_ok(&user, address, 2, 1).await;
    let mut cheap = object.clone();
    cheap["metadata"]["order_id"] = json!(other.to_string());
    cheap["amount"] = json!(100);
    cheap["amount_received"] = json!(100);
    assert_eq!(
        s.webhook(&event("evt_cheap", "payment_intent.succeeded", cheap))
            .await
            .status,
        200
    );
    assert_eq!(
        s.order_detail(&user, other).await["payment_status"],
        "pending"
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_signature_rules() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let id = s.order_ok(&user, address, 3, 1).await;
    let e = event(
        "evt_sig",
        "payment_intent.succeeded",
        json!({"id": "pi_sig", "amount": 27999, "currency": "usd", "metadata": {"order_id": id.to_string()}}),
    );
    let invalid = (400, "Invalid signature");

    let r = s.webhook_signed(&e, "whsec_wrong", now()).await;
    assert_eq!((r.status, r.error()), invalid);
    assert_eq!(r.body["success"], false);
    let r = s
        .webhook_signed(&e, WEBHOOK_SECRET.trim_start_matches("whsec_"), now())
        .await;
    assert_eq!(
        (r.status, r.error()),
        invalid,
        "the whsec_ prefix is part of the key"
    );
    let r = s.webhook_signed(&e, WEBHOOK_SECRET, now() - 301).await;
    assert_eq!((r.status, r.error()), invalid, "older than 300 s");
    let r = s.webhook_signed(&e, WEBHOOK_SECRET, now() - 290).await;
    assert_eq!(r.status, 200, "within tolerance: {r:?}");

    // Tampered body: signed one thing, sent another.
    let body = serde_json::to_vec(&e).unwrap();
    let sig = gigcheck_servers::sandbox::webhook::sign(&body, WEBHOOK_SECRET, now());
    let mut tampered = e.clone();
    tampered["data"]["object"]["amount"] = json!(1);
    let r = s
        .raw(
            "POST",
            "/api/payment/webhook",
            &[
                ("content-type", "application/json"),
                ("stripe-signature", &sig),
            ],
            serde_json::to_vec(&tampered).unwrap(),
        )
        .await;
    assert_eq!((r.status, r.error()), invalid);
    let r = s
        .raw(
            "POST",
            "/api/payment/webhook",
            &[("content-type", "application/json")],
            body.clone(),
        )
        .await;
    assert_eq!((r.status, r.error()), invalid, "no header");

    let garbage = b"{not json".to_vec();
    let sig = gigcheck_servers::sandbox::webhook::sign(&garbage, WEBHOOK_SECRET, now());
    let r = s
        .raw(
            "POST",
            "/api/payment/webhook",
            &[("stripe-signature", &sig)],
            garbage,
        )
        .await;
    assert_eq!((r.status, r.error()), (400, "Invalid payload"));
    let r = s.webhook(&json!({"hello": "world"})).await;
    assert_eq!((r.status, r.error()), (400, "Invalid payload"));
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_cancellations_refund_once() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let (id, _) = s.paid_order(&user, address, 7, 89999).await;
    let stock = s.stock(7).await;
    let cancel = (format!("/api/orders/{id}/cancel"), user.token.clone(), None);
    let statuses = s.post_at_once(vec![cancel; 10]).await;
    assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400, 400, 400]);
    assert_eq!(s.fake.refund_count(), 1);
    let refund_calls = s
        .fake
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.1 == "/v1/refunds")
        .count();
    assert_eq!(
        refund_calls, 1,
        "one refund call, not one refund and nine refusals"
    );
    assert_eq!(s.stock(7).await, stock + 1, "restocked once");
    let history = s.order_detail(&user, id).await["status_history"].clone();
    assert_eq!(
        history
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["status"] == "cancelled")
            .count(),
        1
    );
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_buyers_one_unit() {
    let s = start().await;
    let mut buyers = Vec::new();
    for _ in 0..5 {
        buyers.push(s.customer().await);
    }
    let orders = buyers
        .iter()
        .map(|(user, address)| {
            let body = support::Sandbox::order_body(
                *address,
                json!([{"product_id": LAST_ONE, "quantity": 1}]),
            );
            ("/api/orders".to_string(), user.token.clone(), Some(body))
        })
        .collect();
    let statuses = s.post_at_once(orders).await;
    assert_eq!(statuses, [201, 409, 409, 409, 409]);
    assert_eq!(s.stock(LAST_ONE).await, 0);
    let mut orders = 0;
    for (user, _) in &buyers {
        orders += s.order_count(user).await;
    }
    assert_eq!(orders, 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_outage_switch() {
    let s = start().await;
    let (user, address) = s.customer().await;
    let id = s.order_ok(&user, address, 1, 1).await;
    let stock = s.stock(1).await;
    let r = s.call("GET", "/__sandbox/db", None, None).await;
    assert_eq!(r.body, json!({"available": true}));

    s.set_db(false).await;
    assert_eq!(
        s.call("GET", "/__sandbox/db", None, None).await.body,
        json!({"available": false})
    );
    let down = (
        503,
        "Service temporarily unavailable, please try again later",
    );
    let responses = [
        s.call("GET", "/api/products", None, None).await,
        s.call("GET", "/api/products/1", None, None).await,
        s.login(&user.email, PASSWORD).await,
        s.call("POST", "/api/auth/register", None, Some(json!({"email": unique_email(), "password": PASSWORD, "first_name": "A", "last_name": "B"}))).await,
        s.get("/api/auth/me", &user.token).await,
        s.get("/api/orders", &user.token).await,
        s.get(&format!("/api/orders/{id}"), &user.token).await,
        s.order(&user, address, json!([{"product_id": 1, "quantity": 1}])).await,
        s.cancel(&user.token, id).await,
        s.get("/api/orders/stats", &user.token).await,
        s.get("/api/addresses", &user.token).await,
    ];
    for r in &responses {
        assert_eq!((r.status, r.error()), down, "{r:?}");
        assert_no_internals(r);
    }
    for r in [
        s.post(
            "/api/payment/create-payment-intent",
            &user.token,
            json!({"amount": 5000}),
        )
        .await,
        s.webhook(&event(
            "evt_down",
            "payment_intent.succeeded",
            json!({"id": "pi_x", "metadata": {"order_id": id.to_string()}}),
        ))
        .await,
    ] {
        assert_eq!(
            (r.status, r.error(), r.body["success"].as_bool()),
            (down.0, down.1, Some(false)),
            "{r:?}"
        );
    }
    // Still a 401 without a token: that needs no database.
    assert_eq!(s.call("GET", "/api/orders", None, None).await.status, 401);

    s.set_db(true).await;
    let detail = s.order_detail(&user, id).await;
    assert_eq!(
        detail["status"], "pending",
        "the cancel during the outage did nothing"
    );
    assert_eq!(
        s.order_count(&user).await,
        1,
        "the order during the outage was not written"
    );
    assert_eq!(s.stock(1).await, stock);
    assert_eq!(s.login(&user.email, PASSWORD).await.status, 200);
    let r = s
        .call(
            "POST",
            "/__sandbox/db",
            None,
            Some(json!({"available": "maybe"})),
        )
        .await;
    assert_eq!(r.status, 400);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_with_a_kept_database() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kept.db");
    let keep = |password: &str| SandboxConfig {
        db: Some(file.clone()),
        admin_password: password.into(),
        jwt_secret: None,
        ..config()
    };

    let s = start_with(keep(ADMIN_PASSWORD)).await;
    let (user, address) = s.customer().await;
    let id = s.order_ok(&user, address, 6, 1).await;
    let stock = s.stock(6).await;
    s.stop().await;

    let s = start_with(keep("N3w!AdminPass")).await;
    assert_eq!(s.login(&user.email, PASSWORD).await.status, 200);
    // Tokens survive: the signing key is kept with the data.
    let detail = s.order_detail(&user, id).await;
    assert_eq!(detail["items"][0]["product_id"], 6);
    assert_eq!(s.stock(6).await, stock, "not re-seeded");
    assert_eq!(
        s.get("/api/addresses", &user.token).await.body["addresses"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // The admin account takes the password given at this start.
    assert_eq!(s.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status, 401);
    assert_eq!(s.login(ADMIN_EMAIL, "N3w!AdminPass").await.status, 200);
    s.stop().await;
    assert!(file.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_configuration_says_what_to_do() {
    for (config, needle) in [
        (
            SandboxConfig {
                stripe_api: "not a url".into(),
                ..config()
            },
            "--stripe-api",
        ),
        (
            SandboxConfig {
                stripe_secret_key: String::new(),
                ..config()
            },
            "--stripe-secret-key",
        ),
        (
            SandboxConfig {
                admin_email: "nope".into(),
                ..config()
            },
            "--admin-email",
        ),
        (
            SandboxConfig {
                db: Some("/nonexistent-dir/x/y.db".into()),
                ..config()
            },
            "--db",
        ),
    ] {
        let Err(err) = gigcheck_servers::sandbox::router(config) else {
            panic!("no error for {needle}");
        };
        assert!(err.contains(needle), "{err}");
    }
}
