//! The Stripe emulator over real HTTP: the router is served on 127.0.0.1:0 and driven with
//! reqwest, the way a backend's Stripe client would drive it.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use gigcheck_servers::stripe::{StripeConfig, router};
use gigcheck_servers::{Running, bind};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A decline's `code` and `decline_code`.
type Decline = Option<(&'static str, &'static str)>;
/// Form parameters.
type Form<'a> = &'a [(&'a str, &'a str)];

const SECRET_KEY: &str = "sk_test_gigcheck";
const PUBLISHABLE_KEY: &str = "pk_test_gigcheck";
const WEBHOOK_SECRET: &str = "whsec_integration_test_secret";

/// An answer: status, headers, JSON body (`null` when not JSON).
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn error(&self) -> &Value {
        &self.body["error"]
    }

    fn id(&self) -> String {
        self.body["id"].as_str().unwrap_or_default().to_string()
    }
}

struct Emulator {
    running: Running,
    http: reqwest::Client,
}

fn client(timeout: Duration) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .unwrap()
}

impl Emulator {
    async fn start() -> Emulator {
        Emulator::with(StripeConfig::default()).await
    }

    async fn with(config: StripeConfig) -> Emulator {
        let listener = bind(0).await.unwrap();
        let running = Running::spawn(listener, router(config)).unwrap();
        Emulator {
            running,
            http: client(Duration::from_secs(10)),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.url)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
        }
    }

    fn form(params: &[(&str, &str)]) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish()
    }

    fn post_request(
        &self,
        path: &str,
        key: &str,
        params: &[(&str, &str)],
    ) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(path))
            .bearer_auth(key)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Emulator::form(params))
    }

    /// POST with the secret key.
    async fn post(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        self.send(self.post_request(path, SECRET_KEY, params)).await
    }

    /// POST with the secret key and an `Idempotency-Key`.
    async fn post_once(&self, path: &str, key: &str, params: &[(&str, &str)]) -> Reply {
        self.send(
            self.post_request(path, SECRET_KEY, params)
                .header("idempotency-key", key),
        )
        .await
    }

    /// POST with a publishable key, as Stripe.js does.
    async fn post_from_browser(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        self.send(self.post_request(path, PUBLISHABLE_KEY, params))
            .await
    }

    async fn get(&self, path: &str) -> Reply {
        self.send(self.http.get(self.url(path)).bearer_auth(SECRET_KEY))
            .await
    }

    async fn control(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut request = self.http.request(method, self.url(path));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        self.send(request).await
    }

    async fn add_fault(&self, fault: Value) -> Reply {
        let reply = self
            .control(reqwest::Method::POST, "/__emulator/faults", Some(fault))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply
    }

    /// Creates an intent for `amount` usd confirmed with `payment_method`.
    async fn pay(&self, amount: &str, payment_method: &str) -> Reply {
        self.post(
            "/v1/payment_intents",
            &[
                ("amount", amount),
                ("currency", "usd"),
                ("payment_method", payment_method),
                ("confirm", "true"),
            ],
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Test cards and the status machine

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_test_payment_method_has_its_outcome() {
    let stripe = Emulator::start().await;
    // (payment method, HTTP status, intent status, Some((code, decline_code)) when declined)
    let cases: &[(&str, u16, &str, Decline)] = &[
        ("pm_card_visa", 200, "succeeded", None),
        ("pm_card_mastercard", 200, "succeeded", None),
        ("tok_visa", 200, "succeeded", None),
        (
            "pm_card_chargeDeclined",
            402,
            "requires_payment_method",
            Some(("card_declined", "generic_decline")),
        ),
        (
            "pm_card_visa_chargeDeclined",
            402,
            "requires_payment_method",
            Some(("card_declined", "generic_decline")),
        ),
        (
            "pm_card_chargeDeclinedInsufficientFunds",
            402,
            "requires_payment_method",
            Some(("card_declined", "insufficient_funds")),
        ),
        (
            "pm_card_visa_chargeDeclinedInsufficientFunds",
            402,
            "requires_payment_method",
            Some(("card_declined", "insufficient_funds")),
        ),
        (
            "pm_card_visa_chargeDeclinedLostCard",
            402,
            "requires_payment_method",
            Some(("card_declined", "lost_card")),
        ),
        (
            "pm_card_visa_chargeDeclinedStolenCard",
            402,
            "requires_payment_method",
            Some(("card_declined", "stolen_card")),
        ),
        (
            "pm_card_chargeDeclinedExpiredCard",
            402,
            "requires_payment_method",
            Some(("expired_card", "expired_card")),
        ),
        (
            "pm_card_chargeDeclinedIncorrectCvc",
            402,
            "requires_payment_method",
            Some(("incorrect_cvc", "incorrect_cvc")),
        ),
        (
            "pm_card_chargeDeclinedProcessingError",
            402,
            "requires_payment_method",
            Some(("processing_error", "processing_error")),
        ),
        (
            "pm_card_authenticationRequired",
            200,
            "requires_action",
            None,
        ),
        (
            "pm_card_threeDSecure2Required",
            200,
            "requires_action",
            None,
        ),
    ];
    for (method, status, intent_status, decline) in cases {
        let reply = stripe.pay("2000", method).await;
        assert_eq!(reply.status, *status, "{method}: {}", reply.body);
        let intent = match decline {
            None => reply.body.clone(),
            Some((code, decline_code)) => {
                let error = reply.error();
                assert_eq!(error["type"], "card_error", "{method}");
                assert_eq!(error["code"], *code, "{method}");
                assert_eq!(error["decline_code"], *decline_code, "{method}");
                assert!(
                    !error["message"].as_str().unwrap().is_empty(),
                    "{method}: {error}"
                );
                assert!(error["charge"].as_str().unwrap().starts_with("ch_"));
                let intent = error["payment_intent"].clone();
                assert_eq!(intent["last_payment_error"]["decline_code"], *decline_code);
                assert_eq!(intent["last_payment_error"]["charge"], error["charge"]);
                assert_eq!(intent["latest_charge"], error["charge"]);
                intent
            }
        };
        assert_eq!(intent["status"], *intent_status, "{method}");
        // What was answered is what is stored.
        let stored = stripe
            .get(&format!(
                "/v1/payment_intents/{}",
                intent["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(stored.body["status"], *intent_status, "{method}");
        match *intent_status {
            "succeeded" => {
                assert_eq!(stored.body["amount_received"], 2000);
                let charge = stripe
                    .get(&format!(
                        "/v1/charges/{}",
                        stored.body["latest_charge"].as_str().unwrap()
                    ))
                    .await;
                assert_eq!(charge.body["status"], "succeeded");
                assert_eq!(charge.body["paid"], true);
                assert_eq!(charge.body["payment_intent"], stored.body["id"]);
            }
            "requires_action" => {
                assert_eq!(stored.body["next_action"]["type"], "use_stripe_sdk");
                assert!(stored.body["latest_charge"].is_null());
            }
            _ => {
                let charge = stripe
                    .get(&format!(
                        "/v1/charges/{}",
                        stored.body["latest_charge"].as_str().unwrap()
                    ))
                    .await;
                assert_eq!(charge.body["status"], "failed");
                assert_eq!(charge.body["failure_code"], decline.unwrap().0);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_numbers_work_like_their_payment_methods() {
    let stripe = Emulator::start().await;
    let with_number = |number: &'static str| {
        [
            ("amount", "1500"),
            ("currency", "usd"),
            ("confirm", "true"),
            ("payment_method_data[type]", "card"),
            ("payment_method_data[card][number]", number),
            ("payment_method_data[card][exp_month]", "12"),
            ("payment_method_data[card][exp_year]", "2034"),
            ("payment_method_data[card][cvc]", "123"),
        ]
    };
    let ok = stripe
        .post("/v1/payment_intents", &with_number("4242 4242 4242 4242"))
        .await;
    assert_eq!(ok.body["status"], "succeeded", "{}", ok.body);
    let declined = stripe
        .post("/v1/payment_intents", &with_number("4000000000009995"))
        .await;
    assert_eq!(declined.status, 402);
    assert_eq!(declined.error()["decline_code"], "insufficient_funds");
    let three_ds = stripe
        .post("/v1/payment_intents", &with_number("4000002760003184"))
        .await;
    assert_eq!(three_ds.body["status"], "requires_action");
    let wrong = stripe
        .post("/v1/payment_intents", &with_number("4242424242424241"))
        .await;
    assert_eq!(wrong.status, 402);
    assert_eq!(wrong.error()["code"], "incorrect_number");

    // A payment method created first (Stripe.js style) and used later by id.
    let method = stripe
        .post_from_browser(
            "/v1/payment_methods",
            &[
                ("type", "card"),
                ("card[number]", "5555555555554444"),
                ("billing_details[name]", "Ada"),
            ],
        )
        .await;
    assert_eq!(method.status, 200, "{}", method.body);
    assert_eq!(method.body["card"]["brand"], "mastercard");
    assert_eq!(method.body["billing_details"]["name"], "Ada");
    let paid = stripe.pay("999", &method.id()).await;
    assert_eq!(paid.body["status"], "succeeded");
    assert_eq!(paid.body["payment_method"], method.id().as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_machine_and_its_wrong_state_errors() {
    let stripe = Emulator::start().await;
    let created = stripe
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "2000"),
                ("currency", "USD"),
                ("metadata[order_id]", "12"),
                ("payment_method_types[0]", "card"),
            ],
        )
        .await;
    assert_eq!(created.status, 200);
    let id = created.id();
    assert!(id.starts_with("pi_"));
    assert_eq!(created.body["object"], "payment_intent");
    assert_eq!(created.body["status"], "requires_payment_method");
    assert_eq!(created.body["currency"], "usd");
    assert_eq!(created.body["metadata"], json!({"order_id": "12"}));
    assert_eq!(created.body["payment_method_types"], json!(["card"]));
    assert!(created.body["latest_charge"].is_null());
    assert!(
        created.body["client_secret"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{id}_secret_"))
    );

    // Confirming without a payment method is a wrong state.
    let no_method = stripe
        .post(&format!("/v1/payment_intents/{id}/confirm"), &[])
        .await;
    assert_eq!(no_method.status, 400);
    assert_eq!(no_method.error()["code"], "payment_intent_unexpected_state");

    // Attaching one: requires_confirmation; confirming: succeeded.
    let updated = stripe
        .post(
            &format!("/v1/payment_intents/{id}"),
            &[("payment_method", "pm_card_visa"), ("metadata[note]", "x")],
        )
        .await;
    assert_eq!(
        updated.body["status"], "requires_confirmation",
        "{}",
        updated.body
    );
    assert_eq!(
        updated.body["metadata"],
        json!({"order_id": "12", "note": "x"})
    );
    let confirmed = stripe
        .post(&format!("/v1/payment_intents/{id}/confirm"), &[])
        .await;
    assert_eq!(confirmed.body["status"], "succeeded");

    // Nothing but refunds after success.
    for (action, verb) in [("confirm", "confirm"), ("cancel", "cancel")] {
        let reply = stripe
            .post(&format!("/v1/payment_intents/{id}/{action}"), &[])
            .await;
        assert_eq!(reply.status, 400);
        assert_eq!(reply.error()["type"], "invalid_request_error");
        assert_eq!(reply.error()["code"], "payment_intent_unexpected_state");
        assert!(
            reply.error()["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!(
                    "You cannot {verb} this PaymentIntent because it has a status of succeeded."
                ))
        );
        assert_eq!(reply.error()["payment_intent"]["id"], id.as_str());
    }
    let update = stripe
        .post(&format!("/v1/payment_intents/{id}"), &[("amount", "3000")])
        .await;
    assert_eq!(update.error()["code"], "payment_intent_unexpected_state");

    // Cancel works from every open state; then nothing works.
    for setup in [&[][..], &[("payment_method", "pm_card_visa")][..]] {
        let mut params = vec![("amount", "2000"), ("currency", "usd")];
        params.extend_from_slice(setup);
        let open = stripe.post("/v1/payment_intents", &params).await;
        let open_id = open.id();
        let canceled = stripe
            .post(
                &format!("/v1/payment_intents/{open_id}/cancel"),
                &[("cancellation_reason", "requested_by_customer")],
            )
            .await;
        assert_eq!(canceled.body["status"], "canceled", "{}", canceled.body);
        assert_eq!(
            canceled.body["cancellation_reason"],
            "requested_by_customer"
        );
        assert!(canceled.body["canceled_at"].is_i64());
        for action in ["confirm", "cancel"] {
            let reply = stripe
                .post(
                    &format!("/v1/payment_intents/{open_id}/{action}"),
                    &[("payment_method", "pm_card_visa")],
                )
                .await;
            assert_eq!(reply.status, 400);
            assert_eq!(reply.error()["code"], "payment_intent_unexpected_state");
            assert!(
                reply.error()["message"]
                    .as_str()
                    .unwrap()
                    .contains("status of canceled")
            );
        }
    }
    // A declined intent can be retried with another card, and can be canceled.
    let declined = stripe.pay("2000", "pm_card_chargeDeclined").await;
    let declined_id = declined.error()["payment_intent"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let retried = stripe
        .post(
            &format!("/v1/payment_intents/{declined_id}/confirm"),
            &[("payment_method", "pm_card_visa")],
        )
        .await;
    assert_eq!(retried.body["status"], "succeeded");
    assert!(retried.body["last_payment_error"].is_null());
    let requires_action = stripe.pay("2000", "pm_card_threeDSecure2Required").await;
    let canceled = stripe
        .post(
            &format!("/v1/payment_intents/{}/cancel", requires_action.id()),
            &[],
        )
        .await;
    assert_eq!(canceled.body["status"], "canceled");

    // Unknown intents.
    let missing = stripe.get("/v1/payment_intents/pi_x").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.error()["code"], "resource_missing");
    assert_eq!(missing.error()["message"], "No such payment_intent: 'pi_x'");
    let missing = stripe.post("/v1/payment_intents/pi_x/confirm", &[]).await;
    assert_eq!(missing.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_capture() {
    let stripe = Emulator::start().await;
    let held = stripe
        .post(
            "/v1/payment_intents",
            &[
                ("amount", "5000"),
                ("currency", "usd"),
                ("payment_method", "pm_card_visa"),
                ("capture_method", "manual"),
                ("confirm", "true"),
            ],
        )
        .await;
    assert_eq!(held.body["status"], "requires_capture", "{}", held.body);
    assert_eq!(held.body["amount_capturable"], 5000);
    let id = held.id();
    let too_much = stripe
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "5001")],
        )
        .await;
    assert_eq!(too_much.status, 400);
    let captured = stripe
        .post(
            &format!("/v1/payment_intents/{id}/capture"),
            &[("amount_to_capture", "4000")],
        )
        .await;
    assert_eq!(captured.body["status"], "succeeded");
    assert_eq!(captured.body["amount_received"], 4000);
    let refund = stripe.post("/v1/refunds", &[("payment_intent", &id)]).await;
    assert_eq!(
        refund.body["amount"], 4000,
        "only what was captured can be refunded"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_d_secure_is_completed_by_the_authenticate_step() {
    let stripe = Emulator::start().await;
    let pending = stripe.pay("2500", "pm_card_authenticationRequired").await;
    assert_eq!(pending.body["status"], "requires_action");
    let id = pending.id();
    let secret = pending.body["client_secret"].as_str().unwrap().to_string();

    // The browser completes the challenge (publishable key + client_secret).
    let done = stripe
        .post_from_browser(
            &format!("/v1/payment_intents/{id}/_authenticate"),
            &[("client_secret", &secret), ("outcome", "success")],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body["status"], "succeeded");
    assert!(done.body["next_action"].is_null());
    assert!(
        done.body["latest_charge"]
            .as_str()
            .unwrap()
            .starts_with("ch_")
    );
    let again = stripe
        .post(&format!("/v1/payment_intents/{id}/_authenticate"), &[])
        .await;
    assert_eq!(again.error()["code"], "payment_intent_unexpected_state");

    let failing = stripe.pay("2500", "pm_card_threeDSecure2Required").await;
    let failed = stripe
        .post(
            &format!("/v1/payment_intents/{}/_authenticate", failing.id()),
            &[("outcome", "failure")],
        )
        .await;
    assert_eq!(failed.body["status"], "requires_payment_method");
    assert_eq!(
        failed.body["last_payment_error"]["code"],
        "payment_intent_authentication_failure"
    );
    let bad_outcome = stripe
        .post(
            &format!("/v1/payment_intents/{}/_authenticate", failing.id()),
            &[("outcome", "maybe")],
        )
        .await;
    assert_eq!(bad_outcome.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_js_confirms_with_a_publishable_key_and_the_client_secret() {
    let stripe = Emulator::start().await;
    let created = stripe
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    let id = created.id();
    let secret = created.body["client_secret"].as_str().unwrap().to_string();
    let path = format!("/v1/payment_intents/{id}/confirm");

    let without_secret = stripe
        .post_from_browser(&path, &[("payment_method", "pm_card_visa")])
        .await;
    assert_eq!(without_secret.status, 400);
    assert_eq!(without_secret.error()["param"], "client_secret");
    let wrong_secret = stripe
        .post_from_browser(
            &path,
            &[
                ("payment_method", "pm_card_visa"),
                ("client_secret", "pi_x_secret_y"),
            ],
        )
        .await;
    assert_eq!(wrong_secret.status, 400);
    assert_eq!(wrong_secret.error()["param"], "client_secret");

    let retrieved = stripe
        .send(
            stripe
                .http
                .get(stripe.url(&format!("/v1/payment_intents/{id}?client_secret={secret}")))
                .bearer_auth(PUBLISHABLE_KEY),
        )
        .await;
    assert_eq!(retrieved.body["status"], "requires_payment_method");

    let confirmed = stripe
        .post_from_browser(
            &path,
            &[
                ("payment_method", "pm_card_visa"),
                ("client_secret", &secret),
            ],
        )
        .await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.body);
    assert_eq!(confirmed.body["status"], "succeeded");

    // Everything else needs the secret key.
    let create = stripe
        .post_from_browser(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(create.status, 403);
    assert!(
        create.error()["message"]
            .as_str()
            .unwrap()
            .contains("publishable API key")
    );
    let refund = stripe
        .post_from_browser("/v1/refunds", &[("payment_intent", &id)])
        .await;
    assert_eq!(refund.status, 403);
}

// ---------------------------------------------------------------------------------------------
// Errors and auth

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parameter_errors_are_stripes() {
    let stripe = Emulator::start().await;
    // (parameters, error param, error code, error message)
    let cases: &[(Form, &str, Option<&str>, &str)] = &[
        (
            &[("currency", "usd")],
            "amount",
            Some("parameter_missing"),
            "Missing required param: amount.",
        ),
        (
            &[("amount", "2000")],
            "currency",
            Some("parameter_missing"),
            "Missing required param: currency.",
        ),
        (
            &[("amount", "49"), ("currency", "usd")],
            "amount",
            Some("amount_too_small"),
            "Amount must be at least $0.50 usd",
        ),
        (
            &[("amount", "100000000"), ("currency", "usd")],
            "amount",
            Some("amount_too_large"),
            "Amount must be no more than $999,999.99",
        ),
        (
            &[("amount", "12.5"), ("currency", "usd")],
            "amount",
            Some("parameter_invalid_integer"),
            "Invalid integer: 12.5",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("payment_method", "pm_nope"),
            ],
            "payment_method",
            Some("resource_missing"),
            "No such PaymentMethod: 'pm_nope'",
        ),
        (
            &[("amount", "2000"), ("currency", "usd"), ("confirm", "yes")],
            "confirm",
            None,
            "Invalid boolean: yes",
        ),
        (
            &[
                ("amount", "2000"),
                ("currency", "usd"),
                ("capture_method", "later"),
            ],
            "capture_method",
            None,
            "Invalid capture_method: must be one of automatic, automatic_async, or manual",
        ),
    ];
    for (params, param, code, message) in cases {
        let reply = stripe.post("/v1/payment_intents", params).await;
        assert_eq!(reply.status, 400, "{params:?}: {}", reply.body);
        assert_eq!(reply.error()["type"], "invalid_request_error");
        assert_eq!(reply.error()["param"], *param, "{params:?}");
        assert_eq!(reply.error()["code"].as_str(), *code, "{params:?}");
        assert_eq!(reply.error()["message"], *message, "{params:?}");
    }

    // Bodies that are not Stripe forms.
    let malformed = stripe
        .send(
            stripe
                .http
                .post(stripe.url("/v1/payment_intents"))
                .bearer_auth(SECRET_KEY)
                .body("amount=2000&currency=usd&metadata[a=1"),
        )
        .await;
    assert_eq!(malformed.status, 400);
    assert!(
        malformed.error()["message"]
            .as_str()
            .unwrap()
            .contains("metadata[a")
    );
    let json_body = stripe
        .send(
            stripe
                .http
                .post(stripe.url("/v1/payment_intents"))
                .bearer_auth(SECRET_KEY)
                .header("content-type", "application/json")
                .body(r#"{"amount": 2000, "currency": "usd"}"#),
        )
        .await;
    assert_eq!(json_body.status, 400);
    let unknown = stripe.get("/v1/customers").await;
    assert_eq!(unknown.status, 404);
    assert!(
        unknown.error()["message"]
            .as_str()
            .unwrap()
            .starts_with("Unrecognized request URL (GET: /v1/customers)")
    );
    let wrong_method = stripe
        .send(
            stripe
                .http
                .delete(stripe.url("/v1/payment_intents"))
                .bearer_auth(SECRET_KEY),
        )
        .await;
    assert_eq!(wrong_method.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_are_checked() {
    let stripe = Emulator::start().await;
    let url = stripe.url("/v1/payment_intents");
    let no_key = stripe.send(stripe.http.get(&url)).await;
    assert_eq!(no_key.status, 401);
    assert!(
        no_key.error()["message"]
            .as_str()
            .unwrap()
            .starts_with("You did not provide an API key.")
    );
    for bad in ["sk_live_123456789", "garbage", "sk_test_", "Basic"] {
        let reply = stripe.send(stripe.http.get(&url).bearer_auth(bad)).await;
        assert_eq!(reply.status, 401, "{bad}");
        assert_eq!(reply.error()["type"], "invalid_request_error");
        assert!(
            !reply.error()["message"]
                .as_str()
                .unwrap()
                .contains("123456789"),
            "keys are redacted"
        );
    }
    let basic = stripe
        .send(stripe.http.get(&url).basic_auth(SECRET_KEY, Some("")))
        .await;
    assert_eq!(basic.status, 200);
    assert_eq!(basic.body["object"], "list");
    // An unauthenticated POST does not use up its idempotency key.
    let anonymous = stripe
        .send(
            stripe
                .http
                .post(&url)
                .header("idempotency-key", "anon")
                .body("amount=2000&currency=usd"),
        )
        .await;
    assert_eq!(anonymous.status, 401);
    let real = stripe
        .post_once(
            "/v1/payment_intents",
            "anon",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(real.status, 200);
    assert!(real.header("idempotent-replayed").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_has_a_request_id() {
    let stripe = Emulator::start().await;
    let ok = stripe
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    let bad = stripe.get("/v1/payment_intents/pi_nope").await;
    let anonymous = stripe.send(stripe.http.get(stripe.url("/v1/events"))).await;
    stripe
        .add_fault(json!({"path": "/v1/events", "status": 503}))
        .await;
    let faulted = stripe.get("/v1/events").await;
    assert_eq!(faulted.status, 503);
    let mut ids = Vec::new();
    for reply in [&ok, &bad, &anonymous, &faulted] {
        let id = reply.header("request-id").unwrap().to_string();
        assert!(id.starts_with("req_"), "{id}");
        ids.push(id);
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

// ---------------------------------------------------------------------------------------------
// Idempotency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_and_refuse() {
    let stripe = Emulator::start().await;
    let params = [
        ("amount", "2000"),
        ("currency", "usd"),
        ("metadata[order_id]", "7"),
    ];
    let first = stripe
        .post_once("/v1/payment_intents", "order-7", &params)
        .await;
    assert_eq!(first.status, 200);
    assert!(first.header("idempotent-replayed").is_none());

    // Same key, same parameters (in another order): the same answer, marked as a replay.
    let reordered = [
        ("metadata[order_id]", "7"),
        ("currency", "usd"),
        ("amount", "2000"),
    ];
    let replay = stripe
        .post_once("/v1/payment_intents", "order-7", &reordered)
        .await;
    assert_eq!(replay.status, 200);
    assert_eq!(replay.body, first.body);
    assert_eq!(replay.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        replay.header("original-request"),
        first.header("request-id")
    );
    assert_ne!(replay.header("request-id"), first.header("request-id"));
    let list = stripe.get("/v1/payment_intents").await;
    assert_eq!(
        list.body["data"].as_array().unwrap().len(),
        1,
        "the replay created nothing"
    );
    let created = stripe.get("/v1/events?type=payment_intent.created").await;
    assert_eq!(created.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        created.body["data"][0]["request"]["idempotency_key"],
        "order-7"
    );

    // Same key, other parameters or another endpoint.
    let other = stripe
        .post_once(
            "/v1/payment_intents",
            "order-7",
            &[("amount", "2001"), ("currency", "usd")],
        )
        .await;
    assert_eq!(other.status, 400);
    assert_eq!(other.error()["type"], "idempotency_error");
    assert!(
        other.error()["message"]
            .as_str()
            .unwrap()
            .starts_with("Keys for idempotent requests can only be used with the same parameters they were first used with.")
    );
    let elsewhere = stripe
        .post_once(
            &format!("/v1/payment_intents/{}/cancel", first.id()),
            "order-7",
            &[],
        )
        .await;
    assert_eq!(elsewhere.status, 400);
    assert_eq!(elsewhere.error()["type"], "idempotency_error");

    // A decline is kept and replayed too (402 both times, one charge).
    let decline = [
        ("amount", "2000"),
        ("currency", "usd"),
        ("payment_method", "pm_card_chargeDeclined"),
        ("confirm", "true"),
    ];
    let declined = stripe
        .post_once("/v1/payment_intents", "declined", &decline)
        .await;
    let declined_again = stripe
        .post_once("/v1/payment_intents", "declined", &decline)
        .await;
    assert_eq!((declined.status, declined_again.status), (402, 402));
    assert_eq!(declined.body, declined_again.body);
    assert_eq!(declined_again.header("idempotent-replayed"), Some("true"));

    // A validation error is not kept: the key can be used once the request is fixed.
    let invalid = stripe
        .post_once("/v1/payment_intents", "fix-me", &[("currency", "usd")])
        .await;
    assert_eq!(invalid.status, 400);
    let fixed = stripe
        .post_once(
            "/v1/payment_intents",
            "fix-me",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(fixed.status, 200);
    assert!(fixed.header("idempotent-replayed").is_none());

    // GETs ignore keys.
    let get = stripe
        .send(
            stripe
                .http
                .get(stripe.url("/v1/payment_intents"))
                .bearer_auth(SECRET_KEY)
                .header("idempotency-key", "order-7"),
        )
        .await;
    assert_eq!(get.status, 200);
}

// ---------------------------------------------------------------------------------------------
// Refunds and events

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunds_full_partial_and_over() {
    let stripe = Emulator::start().await;
    let paid = stripe.pay("2000", "pm_card_visa").await;
    let id = paid.id();
    let charge = paid.body["latest_charge"].as_str().unwrap().to_string();

    let partial = stripe
        .post(
            "/v1/refunds",
            &[
                ("payment_intent", &id),
                ("amount", "500"),
                ("reason", "requested_by_customer"),
                ("metadata[ticket]", "9"),
            ],
        )
        .await;
    assert_eq!(partial.status, 200, "{}", partial.body);
    assert!(partial.id().starts_with("re_"));
    assert_eq!(partial.body["object"], "refund");
    assert_eq!(partial.body["amount"], 500);
    assert_eq!(partial.body["status"], "succeeded");
    assert_eq!(partial.body["charge"], charge.as_str());
    assert_eq!(partial.body["payment_intent"], id.as_str());
    assert_eq!(partial.body["reason"], "requested_by_customer");
    assert_eq!(partial.body["metadata"], json!({"ticket": "9"}));

    let over = stripe
        .post(
            "/v1/refunds",
            &[("payment_intent", &id), ("amount", "1600")],
        )
        .await;
    assert_eq!(over.status, 400);
    assert_eq!(over.error()["param"], "amount");
    assert_eq!(
        over.error()["message"],
        "Refund amount ($16.00) is greater than unrefunded amount on charge ($15.00)"
    );

    let rest = stripe.post("/v1/refunds", &[("charge", &charge)]).await;
    assert_eq!(rest.body["amount"], 1500, "{}", rest.body);
    let charge_now = stripe.get(&format!("/v1/charges/{charge}")).await;
    assert_eq!(charge_now.body["amount_refunded"], 2000);
    assert_eq!(charge_now.body["refunded"], true);

    let again = stripe.post("/v1/refunds", &[("payment_intent", &id)]).await;
    assert_eq!(again.status, 400);
    assert_eq!(again.error()["code"], "charge_already_refunded");
    assert_eq!(
        again.error()["message"],
        format!("Charge {charge} has already been refunded.")
    );

    let fetched = stripe.get(&format!("/v1/refunds/{}", partial.id())).await;
    assert_eq!(fetched.body, partial.body);
    let listed = stripe
        .get(&format!("/v1/refunds?payment_intent={id}"))
        .await;
    let listed_ids: Vec<&str> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed_ids, [rest.id().as_str(), partial.id().as_str()]);
    let missing = stripe.get("/v1/refunds/re_nope").await;
    assert_eq!(missing.status, 404);

    // Nothing to refund.
    let unpaid = stripe
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    let nothing = stripe
        .post("/v1/refunds", &[("payment_intent", &unpaid.id())])
        .await;
    assert_eq!(nothing.status, 400);
    assert_eq!(
        nothing.error()["message"],
        format!(
            "This PaymentIntent ({}) does not have a successful charge to refund.",
            unpaid.id()
        )
    );
    let declined = stripe.pay("2000", "pm_card_chargeDeclined").await;
    let declined_id = declined.error()["payment_intent"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        stripe
            .post("/v1/refunds", &[("payment_intent", &declined_id)])
            .await
            .status,
        400
    );
    let neither = stripe.post("/v1/refunds", &[("amount", "100")]).await;
    assert_eq!(neither.status, 400);
    let unknown = stripe
        .post("/v1/refunds", &[("payment_intent", "pi_nope")])
        .await;
    assert_eq!(unknown.error()["code"], "resource_missing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_logged_newest_first() {
    let stripe = Emulator::start().await;
    let paid = stripe.pay("2000", "pm_card_visa").await;
    stripe
        .post(
            "/v1/refunds",
            &[("payment_intent", &paid.id()), ("amount", "700")],
        )
        .await;
    let declined = stripe
        .pay("2000", "pm_card_chargeDeclinedInsufficientFunds")
        .await;
    let canceled = stripe
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    stripe
        .post(
            &format!("/v1/payment_intents/{}/cancel", canceled.id()),
            &[],
        )
        .await;
    stripe.pay("2000", "pm_card_threeDSecure2Required").await;

    let all = stripe.get("/v1/events?limit=100").await;
    let types: Vec<&str> = all.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "payment_intent.requires_action",
            "payment_intent.created",
            "payment_intent.canceled",
            "payment_intent.created",
            "payment_intent.payment_failed",
            "charge.failed",
            "payment_intent.created",
            "charge.refunded",
            "refund.created",
            "payment_intent.succeeded",
            "charge.succeeded",
            "payment_intent.created",
        ]
    );
    assert_eq!(all.body["object"], "list");
    assert_eq!(all.body["has_more"], false);

    let first = &all.body["data"][11];
    assert!(first["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(first["object"], "event");
    assert_eq!(first["data"]["object"]["id"], paid.id().as_str());
    assert_eq!(
        first["data"]["object"]["status"], "requires_confirmation",
        "a snapshot at creation"
    );
    assert_eq!(first["livemode"], false);
    assert_eq!(first["pending_webhooks"], 0);
    let refunded = &all.body["data"][4 + 3];
    assert_eq!(refunded["data"]["object"]["amount_refunded"], 700);
    assert_eq!(
        refunded["data"]["previous_attributes"],
        json!({"amount_refunded": 0, "refunded": false})
    );
    let failed = &all.body["data"][4];
    assert_eq!(
        failed["data"]["object"]["id"],
        declined.error()["payment_intent"]["id"]
    );

    let limited = stripe.get("/v1/events?limit=2").await;
    assert_eq!(limited.body["data"].as_array().unwrap().len(), 2);
    assert_eq!(limited.body["has_more"], true);
    let after = limited.body["data"][1]["id"].as_str().unwrap();
    let next = stripe
        .get(&format!("/v1/events?limit=2&starting_after={after}"))
        .await;
    assert_eq!(next.body["data"][0]["type"], "payment_intent.canceled");

    let created = stripe.get("/v1/events?type=payment_intent.created").await;
    assert_eq!(created.body["data"].as_array().unwrap().len(), 4);
    let charges = stripe.get("/v1/events?type=charge.*").await;
    assert_eq!(charges.body["data"].as_array().unwrap().len(), 3);
    let one = stripe
        .get(&format!("/v1/events/{}", first["id"].as_str().unwrap()))
        .await;
    assert_eq!(&one.body, first);
    assert_eq!(stripe.get("/v1/events/evt_nope").await.status, 404);
}

// ---------------------------------------------------------------------------------------------
// Webhooks

/// A webhook endpoint that answers 500 to the first `failures` deliveries of each event.
#[derive(Default)]
struct Receiver {
    failures: usize,
    /// (headers, body, answered status) of every delivery, in arrival order.
    seen: Mutex<Vec<(HeaderMap, String, u16)>>,
    attempts_per_event: Mutex<HashMap<String, usize>>,
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let event: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let id = event["id"].as_str().unwrap_or("").to_string();
    let attempt = {
        let mut attempts = receiver.attempts_per_event.lock().unwrap();
        let count = attempts.entry(id).or_insert(0);
        *count += 1;
        *count
    };
    let status = if attempt <= receiver.failures {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    };
    receiver
        .seen
        .lock()
        .unwrap()
        .push((headers, body, status.as_u16()));
    status
}

async fn start_receiver(failures: usize) -> (Running, Arc<Receiver>) {
    let receiver = Arc::new(Receiver {
        failures,
        ..Receiver::default()
    });
    let app = axum::Router::new()
        .route("/webhook", post(receive))
        .with_state(receiver.clone());
    let running = Running::spawn(bind(0).await.unwrap(), app).unwrap();
    (running, receiver)
}

/// Checks a `Stripe-Signature` header the way stripe-python does (one `t`, any `v1`, 300 s).
fn signature_is_valid(header: &str, body: &str, secret: &str) -> bool {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.push(s.to_string()),
            _ => {}
        }
    }
    let Some(t) = timestamp else { return false };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    if now - t > 300 {
        return false;
    }
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{body}").as_bytes());
    let expected = hex::encode(mac.finalize().into_bytes());
    signatures.contains(&expected)
}

/// Polls `check` until it holds or 5 s pass.
async fn eventually<F: FnMut() -> bool>(mut check: F) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_and_retried_until_delivered() {
    let (endpoint, receiver) = start_receiver(2).await;
    let stripe = Emulator::with(StripeConfig {
        webhook_url: Some(format!("{}/webhook", endpoint.url)),
        webhook_secret: WEBHOOK_SECRET.into(),
        webhook_backoff: Duration::from_millis(50),
        ..StripeConfig::default()
    })
    .await;
    let paid = stripe.pay("2000", "pm_card_visa").await;
    assert_eq!(paid.status, 200);
    // created, charge.succeeded, succeeded: 3 events × (2 failures + 1 success).
    eventually(|| {
        receiver
            .seen
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d.2 == 200)
            .count()
            == 3
    })
    .await;

    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 9);
    for (headers, body, _) in &seen {
        let signature = headers.get("stripe-signature").unwrap().to_str().unwrap();
        assert!(signature.starts_with("t="), "{signature}");
        assert!(
            signature_is_valid(signature, body, WEBHOOK_SECRET),
            "{signature}"
        );
        assert!(
            !signature_is_valid(signature, &body.replace("2000", "1"), WEBHOOK_SECRET),
            "tampered body"
        );
        assert!(
            !signature_is_valid(signature, body, "whsec_other"),
            "other secret"
        );
        assert_eq!(
            headers.get("content-type").unwrap().to_str().unwrap(),
            "application/json; charset=utf-8"
        );
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["object"], "event");
        assert_eq!(event["pending_webhooks"], 1);
    }
    let delivered: Vec<Value> = seen
        .iter()
        .filter(|d| d.2 == 200)
        .map(|d| serde_json::from_str(&d.1).unwrap())
        .collect();
    let mut types: Vec<&str> = delivered
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "charge.succeeded",
            "payment_intent.created",
            "payment_intent.succeeded"
        ]
    );
    let succeeded = delivered
        .iter()
        .find(|e| e["type"] == "payment_intent.succeeded")
        .unwrap();
    assert_eq!(succeeded["data"]["object"]["id"], paid.id().as_str());
    assert_eq!(succeeded["data"]["object"]["status"], "succeeded");

    // The delivery log says the same.
    let log = stripe
        .get("/__emulator/deliveries?type=payment_intent.succeeded")
        .await;
    let entries = log.body["data"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["status"], "delivered");
    assert_eq!(entries[0]["event_id"], succeeded["id"]);
    let statuses: Vec<&Value> = entries[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(200)]);
    let all = stripe.get("/__emulator/deliveries").await;
    assert_eq!(all.body["data"].as_array().unwrap().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_give_up_after_the_last_attempt() {
    let (endpoint, receiver) = start_receiver(usize::MAX).await;
    let closed = bind(0).await.unwrap();
    let closed_url = format!("http://{}/webhook", closed.local_addr().unwrap());
    drop(closed);
    for (url, expect_status) in [
        (format!("{}/webhook", endpoint.url), true),
        (closed_url, false),
    ] {
        let stripe = Emulator::with(StripeConfig {
            webhook_url: Some(url),
            webhook_secret: WEBHOOK_SECRET.into(),
            webhook_attempts: 3,
            webhook_backoff: Duration::from_millis(10),
            ..StripeConfig::default()
        })
        .await;
        stripe
            .post(
                "/v1/payment_intents",
                &[("amount", "2000"), ("currency", "usd")],
            )
            .await;
        let mut last = Value::Null;
        let deadline = Instant::now() + Duration::from_secs(5);
        while last["status"] != "failed" {
            assert!(Instant::now() < deadline, "timed out: {last}");
            tokio::time::sleep(Duration::from_millis(20)).await;
            last = stripe.get("/__emulator/deliveries").await.body["data"][0].clone();
        }
        let attempts = last["attempts"].as_array().unwrap();
        assert_eq!(attempts.len(), 3);
        for (n, attempt) in attempts.iter().enumerate() {
            assert_eq!(attempt["attempt"], n + 1);
            if expect_status {
                assert_eq!(attempt["status"], 500);
            } else {
                assert!(attempt["status"].is_null());
                assert!(attempt["error"].is_string());
            }
        }
    }
    assert_eq!(receiver.seen.lock().unwrap().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// Faults

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_fault_is_kept_under_its_idempotency_key_like_stripe() {
    let stripe = Emulator::start().await;
    let params = [("amount", "2000"), ("currency", "usd")];
    let fault = stripe
        .add_fault(json!({"path": "/v1/payment_intents", "method": "POST", "status": 500}))
        .await;
    assert_eq!(fault.body["store"], true);
    assert!(fault.body["id"].as_str().unwrap().starts_with("flt_"));

    let failed = stripe
        .post_once("/v1/payment_intents", "retry-me", &params)
        .await;
    assert_eq!(failed.status, 500);
    assert_eq!(failed.error()["type"], "api_error");
    // The client's retry with the same key gets the same 500 back, replayed.
    let retried = stripe
        .post_once("/v1/payment_intents", "retry-me", &params)
        .await;
    assert_eq!(retried.status, 500);
    assert_eq!(retried.header("idempotent-replayed"), Some("true"));
    // Nothing was created; a new key goes through (the fault was used up).
    assert_eq!(
        stripe.get("/v1/payment_intents").await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let fresh = stripe
        .post_once("/v1/payment_intents", "new-key", &params)
        .await;
    assert_eq!(fresh.status, 200);
    let faults = stripe
        .control(reqwest::Method::GET, "/__emulator/faults", None)
        .await;
    assert_eq!(faults.body["data"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_fault_lets_the_retry_through() {
    let stripe = Emulator::start().await;
    let params = [("amount", "2000"), ("currency", "usd")];
    stripe
        .add_fault(json!({
            "path": "/v1/payment_intents", "status": 503, "store": false, "times": 2,
            "headers": {"Stripe-Should-Retry": "true"},
            "body": {"error": {"type": "api_error", "message": "down for a moment"}}
        }))
        .await;
    for _ in 0..2 {
        let failed = stripe.post_once("/v1/payment_intents", "k", &params).await;
        assert_eq!(failed.status, 503);
        assert_eq!(failed.header("stripe-should-retry"), Some("true"));
        assert_eq!(failed.error()["message"], "down for a moment");
    }
    let through = stripe.post_once("/v1/payment_intents", "k", &params).await;
    assert_eq!(through.status, 200);
    assert!(through.header("idempotent-replayed").is_none());

    // Faults match by path prefix and method.
    stripe
        .add_fault(json!({"path": "/v1/payment_intents/", "method": "GET", "status": 429}))
        .await;
    let post = stripe
        .post(&format!("/v1/payment_intents/{}/cancel", through.id()), &[])
        .await;
    assert_eq!(post.status, 200);
    let limited = stripe
        .get(&format!("/v1/payment_intents/{}", through.id()))
        .await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.error()["code"], "rate_limit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hang_fault_outlasts_the_client_timeout() {
    let stripe = Emulator::start().await;
    stripe
        .add_fault(json!({"path": "/v1/payment_intents", "action": "hang", "hang_ms": 3000}))
        .await;
    let impatient = client(Duration::from_millis(300));
    let started = Instant::now();
    let error = impatient
        .post(stripe.url("/v1/payment_intents"))
        .bearer_auth(SECRET_KEY)
        .body("amount=2000&currency=usd")
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(2));
    let next = stripe
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(next.status, 200, "the fault was used once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drop_fault_closes_the_connection_without_an_answer() {
    let stripe = Emulator::start().await;
    stripe
        .add_fault(json!({"path": "/v1/payment_intents", "action": "drop", "times": 2}))
        .await;
    for _ in 0..2 {
        let error = stripe
            .post_request(
                "/v1/payment_intents",
                SECRET_KEY,
                &[("amount", "2000"), ("currency", "usd")],
            )
            .header("idempotency-key", "dropped")
            .send()
            .await
            .unwrap_err();
        assert!(error.status().is_none() && !error.is_timeout(), "{error}");
    }
    // The request never reached the API: the same key now runs it.
    let retried = stripe
        .post_once(
            "/v1/payment_intents",
            "dropped",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(retried.status, 200);
    assert!(retried.header("idempotent-replayed").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delay_fault_serves_the_call_late() {
    let stripe = Emulator::start().await;
    stripe
        .add_fault(json!({"path": "/v1/payment_intents", "action": "delay", "delay_ms": 300}))
        .await;
    let started = Instant::now();
    let slow = stripe
        .post(
            "/v1/payment_intents",
            &[("amount", "2000"), ("currency", "usd")],
        )
        .await;
    assert_eq!(slow.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fault_control_plane() {
    let stripe = Emulator::start().await;
    for bad in [
        json!({"status": 500}),
        json!({"path": "/v1", "action": "explode"}),
        json!({"path": "/v1", "times": 0}),
    ] {
        let reply = stripe
            .control(
                reqwest::Method::POST,
                "/__emulator/faults",
                Some(bad.clone()),
            )
            .await;
        assert_eq!(reply.status, 400, "{bad}");
        assert!(
            reply.error()["message"]
                .as_str()
                .unwrap()
                .starts_with("Invalid fault")
        );
    }
    // A fault on every path leaves the control plane alone.
    stripe.add_fault(json!({"path": "/", "times": 5})).await;
    stripe
        .add_fault(json!({"path": "/v1/events", "action": "drop"}))
        .await;
    let health = stripe
        .control(reqwest::Method::GET, "/__emulator/health", None)
        .await;
    assert_eq!(health.body, json!({"status": "ok"}));
    let listed = stripe
        .control(reqwest::Method::GET, "/__emulator/faults", None)
        .await;
    let remaining: Vec<&Value> = listed.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["remaining"])
        .collect();
    assert_eq!(remaining, [&json!(5), &json!(1)]);
    assert_eq!(
        stripe.get("/v1/events").await.status,
        500,
        "the first matching fault wins"
    );
    let cleared = stripe
        .control(reqwest::Method::DELETE, "/__emulator/faults", None)
        .await;
    assert_eq!(cleared.body, json!({"deleted": 2}));
    assert_eq!(stripe.get("/v1/events").await.status, 200);
}
