//! The sandbox against gigcheck's own Stripe emulator (no fake): the plan's payment flow end to
//! end, with real webhook deliveries from the emulator to the sandbox, a decline, and a refund
//! that fails once through the emulator's fault injection.

use crate::sandbox_support as support;

use gigcheck_servers::sandbox::SandboxConfig;
use gigcheck_servers::stripe::{self, StripeConfig};
use gigcheck_servers::{Running, bind};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::*;

/// The sandbox and the emulator, each knowing the other's URL.
async fn start_pair() -> (Sandbox, Running) {
    let sandbox_listener = bind(0).await.unwrap();
    let sandbox_url = format!("http://{}", sandbox_listener.local_addr().unwrap());
    let emulator = stripe::router(StripeConfig {
        webhook_url: Some(format!("{sandbox_url}/api/payment/webhook")),
        webhook_secret: WEBHOOK_SECRET.into(),
        ..StripeConfig::default()
    });
    let emulator = Running::spawn(bind(0).await.unwrap(), emulator).unwrap();
    let config = SandboxConfig {
        stripe_api: emulator.url.clone(),
        stripe_timeout: Duration::from_secs(3),
        ..config()
    };
    (start_on(sandbox_listener, config).await, emulator)
}

/// Waits (up to 5 s) until the order's payment status is `want`; the detail.
async fn await_payment_status(s: &Sandbox, user: &User, id: i64, want: &str) -> Value {
    let started = Instant::now();
    loop {
        let detail = s.order_detail(user, id).await;
        if detail["payment_status"] == want {
            return detail;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still {} after 5 s",
            detail["payment_status"]
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pay_later_through_the_webhook_then_cancel_with_a_refund() {
    let (s, emulator) = start_pair().await;
    let (user, address) = s.customer().await;
    let id = s.order_ok(&user, address, 1, 1).await;

    let pi = s.intent(&user, 39999, Some(id)).await;
    let r = s
        .post(
            "/api/payment/confirm-payment-intent",
            &user.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (200, Some("succeeded")),
        "{r:?}"
    );

    // The emulator's signed payment_intent.succeeded reaches the sandbox's webhook.
    let detail = await_payment_status(&s, &user, id, "paid").await;
    assert_eq!(detail["status"], "processing");
    assert_eq!(detail["payments"][0]["transaction_id"], pi.as_str());

    // A refund that fails once (500 at the emulator): 502 and nothing changes; then it works.
    let fault = s
        .http
        .post(format!("{}/__emulator/faults", emulator.url))
        .header("content-type", "application/json")
        .body(json!({"path": "/v1/refunds", "method": "POST", "status": 500}).to_string())
        .send()
        .await
        .unwrap();
    assert!(fault.status().is_success());
    let r = s.cancel(&user.token, id).await;
    assert_eq!(r.status, 502, "{r:?}");
    assert_eq!(s.order_detail(&user, id).await["payment_status"], "paid");

    let r = s.cancel(&user.token, id).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.body["order"]["payment_status"], "refunded");
    assert_eq!(r.body["refund"]["amount"], 39999);
    assert_eq!(r.body["refund"]["status"], "succeeded");
    s.stop().await;
    emulator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paid_at_creation_and_declined_cards() {
    let (s, emulator) = start_pair().await;
    let (user, address) = s.customer().await;

    // Pay first, then order with the intent.
    let pi = s.intent(&user, 79999, None).await;
    let mut body =
        support::Sandbox::order_body(address, json!([{"product_id": LAST_ONE, "quantity": 1}]));
    body["payment_intent_id"] = json!(pi);
    let r = s.post("/api/orders", &user.token, body.clone()).await;
    assert_eq!(r.status, 402, "not confirmed yet: {r:?}");
    assert_eq!(s.stock(LAST_ONE).await, 1);
    let r = s
        .post(
            "/api/payment/confirm-payment-intent",
            &user.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_visa"}),
        )
        .await;
    assert_eq!(r.status, 200, "{r:?}");
    let r = s.post("/api/orders", &user.token, body).await;
    assert_eq!(r.status, 201, "{r:?}");
    assert_eq!(
        (
            r.body["order"]["status"].as_str(),
            r.body["order"]["payment_status"].as_str()
        ),
        (Some("processing"), Some("paid"))
    );
    assert_eq!(s.stock(LAST_ONE).await, 0);

    // A declined card: 402 with Stripe's message, and the webhook marks the order failed.
    let id = s.order_ok(&user, address, 2, 1).await;
    let pi = s.intent(&user, 22999, Some(id)).await;
    let r = s
        .post(
            "/api/payment/confirm-payment-intent",
            &user.token,
            json!({"payment_intent_id": pi, "payment_method": "pm_card_chargeDeclined"}),
        )
        .await;
    assert_eq!(
        (r.status, r.error(), r.body["success"].as_bool()),
        (402, "Your card was declined.", Some(false))
    );
    let detail = await_payment_status(&s, &user, id, "failed").await;
    assert_eq!(detail["status"], "pending");
    s.stop().await;
    emulator.stop().await;
}
