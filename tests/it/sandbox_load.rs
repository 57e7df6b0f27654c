//! Owns the robustness tests of issue 7: the sandbox under load and faults, each against the
//! real binaries (`gigcheck sandbox`, `gigcheck stripe`) on ephemeral ports of 127.0.0.1. The
//! harness (processes, recorded HTTP calls, the clients' ledger, end-state checks) is
//! `sandbox_support/load.rs`; the workloads and the three tests are here.
//!
//! - **load**: 48 customers and 2 admins (50 clients) send 30 s of mixed order traffic — log in,
//!   browse, order (also the scarce products, racing for the last units), pay through the Stripe
//!   emulator, cancel (refunds included), read back, list, stats, admin status moves — after
//!   three races at once (48 buyers for 2 units, 10 sign-ups with one email, 10 orders paid by
//!   one intent). Then: no 5xx, no order lost, duplicated or made up, every order readable with
//!   its items, exactly one successful cancellation per cancelled order, refunds at Stripe match
//!   the orders, and for every product `stock + units in non-cancelled orders == initial stock`.
//!   Latency percentiles are printed (`--nocapture`), never asserted.
//! - **crash**: the sandbox is killed with SIGKILL three times in the middle of such load and
//!   restarted on the same `--db` file: every order answered 201 is there with its items, nothing
//!   is half-written, the stock rule holds, and requests cut off by the kill either happened
//!   whole or not at all (a cut-off cancellation is finished by cancelling again).
//! - **refunds**: concurrent refunds on two payment intents at the Stripe emulator (with shared
//!   idempotency keys, abandoned requests and injected faults) never refund more than was
//!   captured, and each is either fully recorded (refund object, `amount_refunded`, event) or
//!   not at all. The emulator keeps its state in memory only; the test pins that down.

use crate::sandbox_support::load;

use load::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PLENTIFUL: [i64; 5] = [1, 2, 3, 4, 5];
const LOW: [i64; 2] = [7, 8];
const SCARCE: [i64; 2] = [6, 9];
const SOLD_OUT: i64 = 10;

// ------------------------------------------------------------------ what a customer does

/// Places an order; `Some(id)` when answered 201. A lost answer goes to the uncertain list.
async fn place(
    api: &Api,
    shop: &Shop,
    me: &mut Customer,
    op: &'static str,
    items: BTreeMap<i64, i64>,
    intent: Option<String>,
) -> Result<Option<i64>, String> {
    let mut body = json!({"items": items_json(&items), "shipping_address_id": me.address,
                          "billing_address_id": me.address, "shipping_method": "standard"});
    if let Some(pi) = &intent {
        body["payment_intent_id"] = json!(pi);
    }
    let placed = Placed {
        owner: me.idx,
        total_cents: shop.total(&items),
        items,
        intent,
    };
    let r = match api.post(op, "/api/orders", Some(&me.token), &body).await {
        Ok(r) => r,
        Err(e) => {
            shop.ledger().uncertain_creates.push(placed);
            return Err(e);
        }
    };
    api.rec.expect(op, &r, &[201, 409]);
    if r.status != 201 {
        return Ok(None);
    }
    let order = &r.body["order"];
    let id = order["id"].as_i64().unwrap();
    let want_status = if placed.intent.is_some() {
        "processing"
    } else {
        "pending"
    };
    if items_of(order) != placed.items
        || order["status"] != want_status
        || (order["total"].as_f64().unwrap_or(-1.0) * 100.0).round() as i64 != placed.total_cents
    {
        api.rec.lock().unexpected.push(format!(
            "{op}: the 201 does not match the request {placed:?}: {order}"
        ));
    }
    shop.ledger().placed(id, placed);
    me.orders.push(id);
    me.open.push(id);
    Ok(Some(id))
}

/// An intent for `items`' total, confirmed with Stripe's test Visa, then the order paid by it.
async fn place_paid(
    api: &Api,
    shop: &Shop,
    me: &mut Customer,
    items: BTreeMap<i64, i64>,
) -> Result<Option<i64>, String> {
    let amount = shop.total(&items);
    let r = api
        .post(
            "create intent",
            "/api/payment/create-payment-intent",
            Some(&me.token),
            &json!({"amount": amount}),
        )
        .await?;
    if !api.rec.expect("create intent", &r, &[200]) {
        return Ok(None);
    }
    let pi = r.body["payment_intent"].as_str().unwrap().to_string();
    let r = api
        .post(
            "confirm intent",
            "/api/payment/confirm-payment-intent",
            Some(&me.token),
            &json!({"payment_intent_id": pi, "payment_method": "pm_card_visa"}),
        )
        .await?;
    if !api.rec.expect("confirm intent", &r, &[200]) || r.body["status"] != "succeeded" {
        api.rec
            .lock()
            .unexpected
            .push(format!("confirm intent: {}", r.body));
        return Ok(None);
    }
    place(api, shop, me, "order (paid)", items, Some(pi)).await
}

async fn cancel(api: &Api, shop: &Shop, me: &mut Customer, rng: &mut Rng) -> Result<(), String> {
    let id = if !me.open.is_empty() && rng.below(100) < 85 {
        let at = rng.below(me.open.len() as u64) as usize;
        me.open.swap_remove(at)
    } else if !me.orders.is_empty() {
        rng.pick(&me.orders)
    } else {
        return Ok(());
    };
    let r = match api
        .send(
            "cancel",
            Method::POST,
            &format!("/api/orders/{id}/cancel"),
            Some(&me.token),
            None,
        )
        .await
    {
        Ok(r) => r,
        Err(e) => {
            shop.ledger().uncertain_cancels.push((me.idx, id));
            return Err(e);
        }
    };
    if api.rec.expect("cancel", &r, &[200, 400]) && r.status == 200 {
        shop.ledger().cancelled(id);
    } else if r.status == 400
        && !r.body["error"]
            .as_str()
            .unwrap_or("")
            .starts_with("Cannot cancel order with status '")
    {
        api.rec
            .lock()
            .unexpected
            .push(format!("cancel {id}: {}", r.body));
    }
    Ok(())
}

fn some_items(rng: &mut Rng) -> BTreeMap<i64, i64> {
    let mut items = BTreeMap::new();
    for _ in 0..=rng.below(2) {
        let product = if rng.below(100) < 85 {
            rng.pick(&PLENTIFUL)
        } else {
            rng.pick(&LOW)
        };
        *items.entry(product).or_default() += 1 + rng.below(3) as i64;
    }
    items
}

/// One step of the load test's mix.
async fn browse_or_buy(
    api: &Api,
    shop: &Shop,
    me: &mut Customer,
    rng: &mut Rng,
) -> Result<(), String> {
    let token = me.token.clone();
    match rng.below(100) {
        0..=9 => {
            let r = api
                .get("products", "/api/products?limit=100", &token)
                .await?;
            api.rec.expect("products", &r, &[200]);
        }
        10..=14 => {
            let id = 1 + rng.below(10);
            let r = api
                .get("product", &format!("/api/products/{id}"), &token)
                .await?;
            api.rec.expect("product", &r, &[200]);
        }
        15..=39 => {
            place(api, shop, me, "order", some_items(rng), None).await?;
        }
        40..=46 => {
            let items = BTreeMap::from([(rng.pick(&SCARCE), 1)]);
            place(api, shop, me, "order (scarce)", items, None).await?;
        }
        47..=51 => {
            let items = BTreeMap::from([(rng.pick(&[1, 2, 3, 7]), 1 + rng.below(2) as i64)]);
            place_paid(api, shop, me, items).await?;
        }
        52..=63 => cancel(api, shop, me, rng).await?,
        64..=73 if !me.orders.is_empty() => {
            let id = rng.pick(&me.orders);
            let r = api
                .get("order detail", &format!("/api/orders/{id}"), &token)
                .await?;
            let placed = shop.ledger().orders.get(&id).map(|p| p.items.clone());
            if api.rec.expect("order detail", &r, &[200])
                && (r.body["order"]["id"] != id || Some(items_of(&r.body["order"])) != placed)
            {
                api.rec
                    .lock()
                    .unexpected
                    .push(format!("order detail {id}: {}", r.body));
            }
        }
        // A customer is the only one placing its orders, so it reads its own writes: the list
        // and the stats count exactly the orders it was answered 201 for.
        64..=85 => {
            let page = 1 + rng.below(3);
            let per_page = 5 + rng.below(46);
            let status = ["", "", "&status=pending", "&status=cancelled"][rng.below(4) as usize];
            let r = api
                .get(
                    "order list",
                    &format!("/api/orders?page={page}&per_page={per_page}{status}"),
                    &token,
                )
                .await?;
            if api.rec.expect("order list", &r, &[200])
                && status.is_empty()
                && r.body["pagination"]["total"] != me.orders.len()
            {
                api.rec.lock().unexpected.push(format!(
                    "order list: total {}, placed {}",
                    r.body["pagination"]["total"],
                    me.orders.len()
                ));
            }
        }
        86..=89 => {
            let r = api.get("stats", "/api/orders/stats", &token).await?;
            if api.rec.expect("stats", &r, &[200]) && r.body["total_orders"] != me.orders.len() {
                api.rec.lock().unexpected.push(format!(
                    "stats: {} orders, placed {}",
                    r.body["total_orders"],
                    me.orders.len()
                ));
            }
        }
        90..=93 => {
            // Refused orders: they must change nothing.
            let (items, want) = match rng.below(3) {
                0 => (json!([{"product_id": 1, "quantity": 0}]), 400),
                1 => (json!([{"product_id": SOLD_OUT, "quantity": 1}]), 409),
                _ => (json!([{"product_id": 999, "quantity": 1}]), 404),
            };
            let body = json!({"items": items, "shipping_address_id": me.address,
                              "billing_address_id": me.address, "shipping_method": "standard"});
            let r = api
                .post("order (refused)", "/api/orders", Some(&token), &body)
                .await?;
            api.rec.expect("order (refused)", &r, &[want]);
        }
        _ => {
            let r = api.get("me", "/api/auth/me", &token).await?;
            api.rec.expect("me", &r, &[200]);
        }
    }
    Ok(())
}

/// One step of an admin: status moves (cancelling refunds and restocks), stats, and another
/// user's order (404, as for anyone).
async fn administer(api: &Api, shop: &Shop, token: &str, rng: &mut Rng) -> Result<(), String> {
    let id = {
        let ledger = shop.ledger();
        if ledger.ids.is_empty() {
            None
        } else {
            Some(ledger.ids[rng.below(ledger.ids.len() as u64) as usize])
        }
    };
    match (rng.below(100), id) {
        (0..=69, Some(id)) => {
            let to = rng.pick(&[
                "processing",
                "shipped",
                "delivered",
                "cancelled",
                "cancelled",
            ]);
            let r = api
                .send(
                    "admin status",
                    Method::PUT,
                    &format!("/api/orders/{id}/status"),
                    Some(token),
                    Some(&json!({"status": to, "notes": "load test"})),
                )
                .await?;
            if api.rec.expect("admin status", &r, &[200, 400]) && r.status == 200 {
                if to == "cancelled" {
                    shop.ledger().cancelled(id);
                }
            } else if r.status == 400
                && !r.body["error"]
                    .as_str()
                    .unwrap_or("")
                    .starts_with("Cannot change status of order with status '")
            {
                api.rec
                    .lock()
                    .unexpected
                    .push(format!("admin status {id}: {}", r.body));
            }
        }
        (70..=84, Some(id)) => {
            let r = api
                .get("admin detail", &format!("/api/orders/{id}"), token)
                .await?;
            api.rec.expect("admin detail", &r, &[404]);
        }
        _ => {
            let r = api.get("stats", "/api/orders/stats", token).await?;
            api.rec.expect("stats", &r, &[200]);
        }
    }
    Ok(())
}

// ------------------------------------------------------------------ 1. load

const CUSTOMERS: usize = 48;
const ADMINS: usize = 2;
const LOAD_FOR: Duration = Duration::from_secs(30);
/// Bound on each client's steps, whatever the machine's speed.
const MAX_STEPS: usize = 20_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_for_thirty_seconds_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = prepare_db(dir.path());
    let stripe = Server::stripe();
    let sandbox = Server::sandbox(&db, &stripe.url);
    let rec = Arc::new(Recorder::default());
    let setup = Api::new(&sandbox.url, &Arc::new(Recorder::default()));
    let (prices, initial) = catalogue(&setup).await;
    assert_eq!(initial[&6], 2, "{initial:?}");
    let shop = Arc::new(Shop {
        prices,
        ledger: Mutex::new(Ledger::default()),
    });

    let customers = sign_up_all(&sandbox.url, &rec, CUSTOMERS).await;

    // Ten sign-ups with one email at once: one account.
    let email = format!("twice-{}@example.test", uuid::Uuid::new_v4().simple());
    let body =
        json!({"email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Byte"});
    let mut signups = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (api, body) = (setup.clone(), body.clone());
        signups.spawn(async move {
            let r = api
                .post("register", "/api/auth/register", None, &body)
                .await;
            r.unwrap().status
        });
    }
    let mut statuses = signups.join_all().await;
    statuses.sort();
    let mut want = vec![201];
    want.extend([409; 9]);
    assert_eq!(statuses, want, "ten sign-ups with one email");

    // Everyone at once for the two units of product 6: exactly two win.
    let barrier = Arc::new(tokio::sync::Barrier::new(CUSTOMERS));
    let mut tasks = tokio::task::JoinSet::new();
    for mut me in customers {
        let (api, shop, barrier) = (Api::new(&sandbox.url, &rec), shop.clone(), barrier.clone());
        tasks.spawn(async move {
            barrier.wait().await;
            let won = place(
                &api,
                &shop,
                &mut me,
                "order (scarce)",
                BTreeMap::from([(6, 1)]),
                None,
            )
            .await
            .expect("the race for product 6 is answered");
            (me, won.is_some())
        });
    }
    let mut customers = Vec::new();
    let mut winners = 0;
    while let Some(done) = tasks.join_next().await {
        let (me, won) = done.unwrap();
        winners += usize::from(won);
        customers.push(me);
    }
    customers.sort_by_key(|c| c.idx);
    assert_eq!(winners, 2, "{CUSTOMERS} customers raced for 2 units");

    // One paid intent sent with ten orders at once (a client retrying hard): one order.
    let me = &mut customers[0];
    let items = BTreeMap::from([(1, 1)]);
    let r = setup
        .post(
            "create intent",
            "/api/payment/create-payment-intent",
            Some(&me.token),
            &json!({"amount": shop.total(&items)}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let pi = r.body["payment_intent"].as_str().unwrap().to_string();
    let r = setup
        .post(
            "confirm intent",
            "/api/payment/confirm-payment-intent",
            Some(&me.token),
            &json!({"payment_intent_id": pi, "payment_method": "pm_card_visa"}),
        )
        .await
        .unwrap();
    assert_eq!(r.body["status"], "succeeded", "{}", r.body);
    let body = json!({"items": items_json(&items), "shipping_address_id": me.address,
                      "billing_address_id": me.address, "shipping_method": "standard",
                      "payment_intent_id": pi});
    let mut retries = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (api, token, body) = (setup.clone(), me.token.clone(), body.clone());
        retries.spawn(async move {
            let r = api
                .post("order (paid)", "/api/orders", Some(&token), &body)
                .await;
            let r = r.unwrap();
            (r.status, r.body["order"]["id"].as_i64())
        });
    }
    let mut answers = retries.join_all().await;
    answers.sort();
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    let mut want = vec![201];
    want.extend([402; 9]);
    assert_eq!(statuses, want, "ten orders paid by one intent");
    let id = answers[0].1.unwrap();
    let placed = Placed {
        owner: me.idx,
        total_cents: shop.total(&items),
        items,
        intent: Some(pi),
    };
    shop.ledger().placed(id, placed);
    me.orders.push(id);
    me.open.push(id);
    // The figures are the load phase's; failures found so far stay.
    rec.lock().samples.clear();

    // 30 s of mixed traffic.
    let started = Instant::now();
    let deadline = started + LOAD_FOR;
    let mut tasks = tokio::task::JoinSet::new();
    for mut me in customers {
        let (api, shop) = (Api::new(&sandbox.url, &rec), shop.clone());
        tasks.spawn(async move {
            let mut rng = Rng::new(me.idx as u64 + 1);
            for _ in 0..MAX_STEPS {
                if Instant::now() >= deadline {
                    break;
                }
                let _ = browse_or_buy(&api, &shop, &mut me, &mut rng).await;
            }
            Some(me)
        });
    }
    for n in 0..ADMINS {
        let (api, shop) = (Api::new(&sandbox.url, &rec), shop.clone());
        tasks.spawn(async move {
            let token = admin_token(&api).await;
            let mut rng = Rng::new(1000 + n as u64);
            for _ in 0..MAX_STEPS {
                if Instant::now() >= deadline {
                    break;
                }
                let _ = administer(&api, &shop, &token, &mut rng).await;
                // Admins work at a human pace next to the customers.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            None
        });
    }
    let mut customers: Vec<Customer> = tasks.join_all().await.into_iter().flatten().collect();
    customers.sort_by_key(|c| c.idx);
    let elapsed = started.elapsed();

    {
        let rec = rec.lock();
        print_figures(&rec, elapsed);
        let ledger = shop.ledger();
        eprintln!(
            "  orders created {} (paid {}), cancelled {}",
            ledger.orders.len(),
            ledger
                .orders
                .values()
                .filter(|p| p.intent.is_some())
                .count(),
            ledger.cancelled.len()
        );
        assert_none("5xx answers", &rec.server_errors);
        assert_none("requests without an answer", &rec.transport_errors);
        assert_none("unexpected answers", &rec.unexpected);
        assert!(
            ledger.orders.len() >= CUSTOMERS,
            "hardly any orders were placed"
        );
        assert!(!ledger.cancelled.is_empty(), "nothing was cancelled");
        assert!(
            ledger.orders.values().any(|p| p.intent.is_some()),
            "no paid order was placed"
        );
    }

    // The end state, through the API, the database file and the emulator.
    let verify = Api::new(&sandbox.url, &Arc::new(Recorder::default()));
    let ledger = std::mem::take(&mut *shop.ledger());
    let users: Vec<i64> = customers.iter().map(|c| c.user_id).collect();
    let (orders, stock) = read_db(&db);
    assert_none(
        "database",
        &check_db(&orders, &stock, &initial, &ledger, &users),
    );
    let (_, stock_now) = catalogue(&verify).await;
    assert_eq!(stock_now, stock, "the API shows the database's stock");
    assert_none(
        "order lists",
        &check_lists(&verify, &customers, &ledger).await,
    );
    assert_none(
        "order details",
        &check_details(&verify, &customers, &ledger, 8).await,
    );
    assert_none("Stripe", &check_stripe(&stripe.url, &ledger).await);
}

// ------------------------------------------------------------------ 2. crash

const CRASH_CUSTOMERS: usize = 16;
/// How long the load runs before each SIGKILL.
const CRASH_AFTER_MS: [u64; 3] = [1200, 1900, 2600];

/// One step of the crash test's mix: mostly writes, so that the kill lands in one.
async fn write_heavy(
    api: &Api,
    shop: &Shop,
    me: &mut Customer,
    rng: &mut Rng,
) -> Result<(), String> {
    match rng.below(100) {
        0..=44 => {
            place(api, shop, me, "order", some_items(rng), None).await?;
        }
        45..=54 => {
            let items = BTreeMap::from([(rng.pick(&SCARCE), 1)]);
            place(api, shop, me, "order (scarce)", items, None).await?;
        }
        55..=69 => {
            let items = BTreeMap::from([(rng.pick(&[1, 2, 7]), 1 + rng.below(2) as i64)]);
            place_paid(api, shop, me, items).await?;
        }
        70..=94 => cancel(api, shop, me, rng).await?,
        _ if !me.orders.is_empty() => {
            let id = rng.pick(&me.orders);
            let r = api
                .get("order detail", &format!("/api/orders/{id}"), &me.token)
                .await?;
            api.rec.expect("order detail", &r, &[200]);
        }
        _ => {}
    }
    Ok(())
}

/// What the restart found of the requests the kill cut off.
#[derive(Debug, Default)]
struct CutOff {
    /// Creations that had happened (the order is there, whole).
    creates_done: usize,
    /// Creations that had not (no trace of them).
    creates_not_done: usize,
    /// Paid creations that had not, placed again with the same intent.
    paid_again: usize,
    /// Cancellations asked again: (answered 200, found already cancelled).
    cancels_finished: usize,
    cancels_done: usize,
}

/// After a restart: every order no client was answered for must be one of the creations the
/// kill cut off, whole and exactly as asked (it joins the ledger); a cut-off paid creation that
/// left no order is placed again with its intent; every cut-off cancellation is asked again
/// (the sandbox's answer to a refund made at Stripe but not yet written down: cancelling again
/// finishes the job).
async fn reconcile(
    api: &Api,
    shop: &Shop,
    customers: &mut [Customer],
    db: &Path,
    cut: &mut CutOff,
) -> Vec<String> {
    let mut problems = Vec::new();
    let (orders, _) = read_db(db);
    let (mut creates, cancels) = {
        let mut ledger = shop.ledger();
        (
            std::mem::take(&mut ledger.uncertain_creates),
            std::mem::take(&mut ledger.uncertain_cancels),
        )
    };
    for (id, o) in &orders {
        if shop.ledger().orders.contains_key(id) {
            continue;
        }
        let cut_off = creates.iter().position(|p| {
            customers[p.owner].user_id == o.user_id
                && p.items == o.items
                && p.intent == o.intent
                && p.total_cents == o.total_cents
        });
        match cut_off {
            Some(at) => {
                let placed = creates.swap_remove(at);
                let me = &mut customers[placed.owner];
                me.orders.push(*id);
                me.open.push(*id);
                shop.ledger().placed(*id, placed);
                cut.creates_done += 1;
            }
            None => problems.push(format!(
                "order {id} exists but no client asked for it: {o:?}"
            )),
        }
    }
    for placed in creates {
        cut.creates_not_done += 1;
        if placed.intent.is_some() {
            let me = &mut customers[placed.owner];
            let items = placed.items.clone();
            if place(api, shop, me, "order (paid again)", items, placed.intent)
                .await
                .is_ok_and(|id| id.is_some())
            {
                cut.paid_again += 1;
            }
        }
    }
    for (owner, id) in cancels {
        let r = api
            .send(
                "cancel again",
                Method::POST,
                &format!("/api/orders/{id}/cancel"),
                Some(&customers[owner].token),
                None,
            )
            .await
            .unwrap();
        let mut ledger = shop.ledger();
        match (r.status, r.body["error"].as_str()) {
            (200, _) => {
                ledger.cancelled(id);
                cut.cancels_finished += 1;
            }
            (400, Some("Cannot cancel order with status 'cancelled'")) => {
                if !ledger.is_cancelled(id) {
                    ledger.cancelled(id);
                    cut.cancels_done += 1;
                }
            }
            _ => problems.push(format!(
                "cancelling order {id} again: {} {}",
                r.status, r.body
            )),
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_in_the_middle_of_load_loses_no_acknowledged_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = prepare_db(dir.path());
    let stripe = Server::stripe();
    let mut sandbox = Server::sandbox(&db, &stripe.url);
    let rec = Arc::new(Recorder::default());
    let (prices, initial) = catalogue(&Api::new(&sandbox.url, &rec)).await;
    let shop = Arc::new(Shop {
        prices,
        ledger: Mutex::new(Ledger::default()),
    });
    let mut customers = sign_up_all(&sandbox.url, &rec, CRASH_CUSTOMERS).await;
    let users: Vec<i64> = customers.iter().map(|c| c.user_id).collect();

    let mut cut = CutOff::default();
    for (cycle, after_ms) in CRASH_AFTER_MS.into_iter().enumerate() {
        let stop = Arc::new(AtomicBool::new(false));
        let mut tasks = tokio::task::JoinSet::new();
        for mut me in customers {
            let (api, shop, stop) = (Api::new(&sandbox.url, &rec), shop.clone(), stop.clone());
            tasks.spawn(async move {
                let mut rng = Rng::new(((cycle as u64) << 32) + me.idx as u64 + 7);
                for _ in 0..MAX_STEPS {
                    // A request the kill cuts off ends this client's round.
                    if stop.load(Ordering::SeqCst)
                        || write_heavy(&api, &shop, &mut me, &mut rng).await.is_err()
                    {
                        break;
                    }
                }
                me
            });
        }
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        let errors_before = rec.lock().transport_errors.len();
        sandbox.kill();
        stop.store(true, Ordering::SeqCst);
        customers = tasks.join_all().await;
        customers.sort_by_key(|c| c.idx);
        assert!(
            rec.lock().transport_errors.len() > errors_before,
            "cycle {cycle}: the kill cut off no request; it did not land in the middle of the load"
        );

        sandbox = Server::sandbox(&db, &stripe.url);
        let api = Api::new(&sandbox.url, &rec);
        let problems = reconcile(&api, &shop, &mut customers, &db, &mut cut).await;
        assert_none(&format!("cycle {cycle}: after the restart"), &problems);
        let ledger = std::mem::take(&mut *shop.ledger());
        let (orders, stock) = read_db(&db);
        assert_none(
            &format!("cycle {cycle}: database"),
            &check_db(&orders, &stock, &initial, &ledger, &users),
        );
        assert_none(
            &format!("cycle {cycle}: order lists"),
            &check_lists(&api, &customers, &ledger).await,
        );
        assert_none(
            &format!("cycle {cycle}: Stripe"),
            &check_stripe(&stripe.url, &ledger).await,
        );
        *shop.ledger() = ledger;
    }

    let rec = rec.lock();
    let ledger = shop.ledger();
    eprintln!(
        "sandbox crash: {} kills, {} requests answered, {} cut off; orders {} (paid {}), cancelled {}; {cut:?}",
        CRASH_AFTER_MS.len(),
        rec.samples.len(),
        rec.transport_errors.len(),
        ledger.orders.len(),
        ledger
            .orders
            .values()
            .filter(|p| p.intent.is_some())
            .count(),
        ledger.cancelled.len()
    );
    assert_none("5xx answers", &rec.server_errors);
    assert_none("unexpected answers", &rec.unexpected);
    assert!(
        ledger.orders.len() >= CRASH_CUSTOMERS,
        "hardly any orders were placed"
    );
}

// ------------------------------------------------------------------ 3. refunds at the emulator

/// A form POST to the emulator: `Ok((status, body))`, or `Err` when no answer came (a dropped
/// connection, or `timeout` passed).
async fn stripe_post(
    http: &reqwest::Client,
    url: &str,
    form: &[(&str, String)],
    key: Option<String>,
    timeout: Duration,
) -> Result<(u16, Value), String> {
    let mut request = http
        .post(url)
        .bearer_auth(STRIPE_KEY)
        .form(form)
        .timeout(timeout);
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.map_err(|e| e.to_string())?;
    Ok((status, body))
}

async fn stripe_get(http: &reqwest::Client, url: &str) -> Value {
    let r = http.get(url).bearer_auth(STRIPE_KEY).send().await.unwrap();
    assert_eq!(r.status(), 200, "{url}");
    r.json().await.unwrap()
}

/// Every object of a list endpoint, following `has_more`.
async fn stripe_list(http: &reqwest::Client, url: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    loop {
        let after = all
            .last()
            .map(|o| format!("&starting_after={}", o["id"].as_str().unwrap()))
            .unwrap_or_default();
        let page = stripe_get(http, &format!("{url}&limit=100{after}")).await;
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        if page["has_more"] != true {
            return all;
        }
    }
}

/// A succeeded intent of `amount` cents with `captured` of it captured: (intent, charge).
async fn captured_intent(
    http: &reqwest::Client,
    base: &str,
    amount: i64,
    captured: i64,
) -> (String, String) {
    let long = Duration::from_secs(30);
    let manual = captured < amount;
    let mut form = vec![
        ("amount", amount.to_string()),
        ("currency", "usd".to_string()),
        ("payment_method_types[0]", "card".to_string()),
    ];
    if manual {
        form.push(("capture_method", "manual".to_string()));
    }
    let url = format!("{base}/v1/payment_intents");
    let (status, pi) = stripe_post(http, &url, &form, None, long).await.unwrap();
    assert_eq!(status, 200, "{pi}");
    let id = pi["id"].as_str().unwrap().to_string();
    let form = [("payment_method", "pm_card_visa".to_string())];
    let url = format!("{base}/v1/payment_intents/{id}/confirm");
    let (status, mut pi) = stripe_post(http, &url, &form, None, long).await.unwrap();
    assert_eq!(status, 200, "{pi}");
    if manual {
        assert_eq!(pi["status"], "requires_capture", "{pi}");
        let form = [("amount_to_capture", captured.to_string())];
        let url = format!("{base}/v1/payment_intents/{id}/capture");
        let (status, captured_pi) = stripe_post(http, &url, &form, None, long).await.unwrap();
        assert_eq!(status, 200, "{captured_pi}");
        pi = captured_pi;
    }
    assert_eq!(pi["status"], "succeeded", "{pi}");
    (id, pi["latest_charge"].as_str().unwrap().to_string())
}

/// How one refund request of the storm is sent.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ask {
    /// This amount, no idempotency key.
    Plain(i64),
    /// This amount, the same idempotency key as the others of its kind.
    SameKey(i64),
    /// No amount (all that is left), a key of its own.
    Rest,
    /// This amount, a key of its own, and a client that gives up after 100 ms.
    Impatient(i64),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refunds_never_exceed_the_capture_and_are_all_or_nothing() {
    let mut stripe = Server::stripe();
    let base = stripe.url.clone();
    let http = client();
    // One intent captured in full, one of which only 70.00 of 100.00 was captured.
    let intents = [
        captured_intent(&http, &base, 5_000, 5_000).await,
        captured_intent(&http, &base, 10_000, 7_000).await,
    ];
    let captured = [5_000, 7_000];

    // The first refund calls are held, the next ones dropped without an answer.
    for fault in [
        json!({"path": "/v1/refunds", "method": "POST", "action": "delay", "delay_ms": 300, "times": 6}),
        json!({"path": "/v1/refunds", "method": "POST", "action": "drop", "times": 4}),
    ] {
        let r = http
            .post(format!("{base}/__emulator/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{fault}");
    }

    let mut asks = Vec::new();
    for (n, (pi, _)) in intents.iter().enumerate() {
        for i in 0..60 {
            let ask = match i {
                0..=23 => Ask::Plain(300),
                24..=31 => Ask::SameKey(300),
                32..=37 => Ask::Rest,
                38..=43 => Ask::Plain(2_000),
                _ => Ask::Impatient(300),
            };
            asks.push((n, pi.clone(), i, ask));
        }
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(asks.len()));
    let mut tasks = tokio::task::JoinSet::new();
    for (n, pi, i, ask) in asks {
        let (http, url, barrier) = (http.clone(), format!("{base}/v1/refunds"), barrier.clone());
        tasks.spawn(async move {
            let mut form = vec![("payment_intent", pi.clone())];
            let (key, timeout) = match ask {
                Ask::Plain(amount) => {
                    form.push(("amount", amount.to_string()));
                    (None, Duration::from_secs(30))
                }
                Ask::SameKey(amount) => {
                    form.push(("amount", amount.to_string()));
                    (Some(format!("same-{pi}")), Duration::from_secs(30))
                }
                Ask::Rest => (Some(format!("rest-{pi}-{i}")), Duration::from_secs(30)),
                Ask::Impatient(amount) => {
                    form.push(("amount", amount.to_string()));
                    (
                        Some(format!("impatient-{pi}-{i}")),
                        Duration::from_millis(100),
                    )
                }
            };
            barrier.wait().await;
            (n, ask, stripe_post(&http, &url, &form, key, timeout).await)
        });
    }
    let outcomes = tasks.join_all().await;

    let mut all_refunds = BTreeSet::new();
    for (n, (pi, charge_id)) in intents.iter().enumerate() {
        let mut answered: BTreeMap<String, i64> = BTreeMap::new();
        let mut same_key_ids = BTreeSet::new();
        let (mut unanswered, mut refused) = (0, 0);
        for (_, ask, outcome) in outcomes.iter().filter(|o| o.0 == n) {
            match outcome {
                Err(_) => unanswered += 1,
                Ok((200, refund)) => {
                    let id = refund["id"].as_str().unwrap().to_string();
                    assert_eq!(refund["payment_intent"], pi.as_str(), "{refund}");
                    assert_eq!(refund["status"], "succeeded", "{refund}");
                    if let Ask::SameKey(_) = ask {
                        same_key_ids.insert(id.clone());
                    }
                    let amount = refund["amount"].as_i64().unwrap();
                    if let Some(before) = answered.insert(id.clone(), amount) {
                        // Only a replay answers the same refund twice, identically.
                        assert!(
                            matches!(ask, Ask::SameKey(_)) && before == amount,
                            "{refund}"
                        );
                    }
                }
                Ok((400, e)) => {
                    let message = e["error"]["message"].as_str().unwrap_or("");
                    assert!(
                        e["error"]["code"] == "charge_already_refunded"
                            || message.contains("is greater than unrefunded amount"),
                        "{ask:?}: {e}"
                    );
                    refused += 1;
                }
                Ok((409, e)) => {
                    assert!(matches!(ask, Ask::SameKey(_)), "{ask:?}: {e}");
                    assert_eq!(e["error"]["code"], "idempotency_key_in_use", "{e}");
                }
                Ok((status, body)) => panic!("{ask:?}: unexpected {status} {body}"),
            }
        }
        let listed = stripe_list(&http, &format!("{base}/v1/refunds?payment_intent={pi}")).await;
        let charge = stripe_get(&http, &format!("{base}/v1/charges/{charge_id}")).await;
        let listed_ids: BTreeSet<String> = listed
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect();
        let sum: i64 = listed.iter().map(|r| r["amount"].as_i64().unwrap()).sum();
        eprintln!(
            "refunds on {pi} (captured {}): {} answered 200, {refused} refused, {unanswered} unanswered; {} refunds totalling {sum}",
            captured[n],
            answered.len(),
            listed.len()
        );
        assert_eq!(listed_ids.len(), listed.len(), "a refund listed twice");
        assert_eq!(charge["amount_captured"], captured[n]);
        assert_eq!(
            charge["amount_refunded"], sum,
            "the charge disagrees with its refunds"
        );
        assert!(
            sum <= captured[n],
            "refunded {sum} of {} captured",
            captured[n]
        );
        assert_eq!(charge["refunded"], sum == captured[n], "{charge}");
        assert!(
            same_key_ids.len() <= 1,
            "one key, several refunds: {same_key_ids:?}"
        );
        assert!(
            refused > 0,
            "the storm asked for more than was captured; some must be refused"
        );
        for (id, amount) in &answered {
            let refund = listed.iter().find(|r| r["id"] == id.as_str());
            assert_eq!(
                refund.map(|r| r["amount"].clone()),
                Some(json!(amount)),
                "refund {id} was answered 200 but is not recorded as answered"
            );
        }
        // Refunds nobody was told about can only come from requests whose answer was lost.
        assert!(
            listed.len() - answered.len() <= unanswered,
            "{} refunds recorded, {} answered, {unanswered} unanswered",
            listed.len(),
            answered.len()
        );
        // What is left can still be refunded, once, and then nothing more.
        let url = format!("{base}/v1/refunds");
        let form = [("payment_intent", pi.clone())];
        let long = Duration::from_secs(30);
        let (status, body) = stripe_post(&http, &url, &form, None, long).await.unwrap();
        assert!(
            status == 200 || body["error"]["code"] == "charge_already_refunded",
            "{status} {body}"
        );
        if status == 200 {
            assert_eq!(body["amount"], captured[n] - sum, "{body}");
        }
        let (status, body) = stripe_post(&http, &url, &form, None, long).await.unwrap();
        assert_eq!(
            (status, &body["error"]["code"]),
            (400, &json!("charge_already_refunded"))
        );
        let charge = stripe_get(&http, &format!("{base}/v1/charges/{charge_id}")).await;
        assert_eq!(charge["amount_refunded"], captured[n], "{charge}");
        assert_eq!(charge["refunded"], true, "{charge}");
        let listed = stripe_list(&http, &format!("{base}/v1/refunds?payment_intent={pi}")).await;
        let sum: i64 = listed.iter().map(|r| r["amount"].as_i64().unwrap()).sum();
        assert_eq!(sum, captured[n]);
        all_refunds.extend(listed.iter().map(|r| r["id"].as_str().unwrap().to_string()));
    }
    // Each refund has its event, once, and there is no event of a refund that does not exist.
    let events = stripe_list(&http, &format!("{base}/v1/events?type=refund.created")).await;
    let mut evented: Vec<String> = events
        .iter()
        .map(|e| e["data"]["object"]["id"].as_str().unwrap().to_string())
        .collect();
    evented.sort();
    assert_eq!(evented, all_refunds.into_iter().collect::<Vec<_>>());

    // The emulator keeps its objects in memory only: after a kill there is nothing, so nothing
    // can be half-written either. (Should it ever keep state on disk, this fails first, as a
    // reminder to check its crash safety here too.)
    stripe.kill();
    let again = Server::stripe();
    let r = http
        .get(format!("{}/v1/payment_intents/{}", again.url, intents[0].0))
        .bearer_auth(STRIPE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
