//! Driving an exploration: set the world up (two customers, an address, an order each, the
//! catalogue, a missing order's answer), send the drawn requests with a few at a time, judge each
//! answer, then look at the state the requests left (stock, cancelled orders) and make each
//! finding's example smaller.

use super::cases::{self, Caller, Case};
use super::found::{Cause, Exploration, Finding};
use super::lifecycle;
use super::operations;
use super::send::{Shared, prepare, try_once};
use super::verdict::{Check, Judge};
use super::world::{Account, World};
use crate::contract::Contract;
use crate::engine::http::Http;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

pub use super::send::{Options, Payment};

/// Explores the backend at `opts.base` with requests drawn from `doc`, the OpenAPI document of
/// `contract`. An error means the world could not be set up (the target answered no sign-up).
pub async fn explore(
    doc: Arc<Value>,
    contract: &Contract,
    http: Http,
    opts: Options,
) -> Result<Exploration, String> {
    let start = Instant::now();
    let ops = operations::read(contract, &doc);
    if ops.is_empty() {
        return Err("the contract describes no route the document has".into());
    }
    let first = cases::crossed(&doc, &ops, opts.seed);
    let shared = Arc::new(Shared {
        judge: Judge::new(doc.clone()),
        ops,
        doc,
        world: Mutex::new(World::default()),
        causes: Mutex::new(BTreeMap::new()),
        next: AtomicU64::new(0),
        walked: AtomicU64::new(0),
        first,
        sent: AtomicU64::new(0),
        http,
        deadline: opts.time.map(|t| start + t),
        opts,
    });
    let address = setup(&shared).await?;
    let mut notes = Vec::new();
    // The walks take a small share of the budget, or none when the budget is smaller than that.
    let time_left = shared.deadline.is_none_or(|d| Instant::now() < d);
    if shared.opts.max_requests >= 4 * lifecycle::REQUESTS && time_left {
        notes = lifecycle::walk_all(&shared, address).await;
        let walked = shared.sent.load(Ordering::Relaxed);
        shared.walked.store(walked, Ordering::Relaxed);
    }
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..shared.opts.jobs.max(1) {
        let shared = shared.clone();
        workers.spawn(async move { work(&shared).await });
    }
    while workers.join_next().await.is_some() {}
    invariants(&shared).await;
    let found: Vec<Cause> = shared
        .causes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .values()
        .cloned()
        .collect();
    let mut causes = Vec::with_capacity(found.len());
    for cause in found {
        causes.push(super::shrink::shrink(&shared, cause).await);
    }
    Ok(Exploration {
        requests: shared.sent.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
        causes,
        notes,
    })
}

async fn work(shared: &Shared) {
    loop {
        if shared.deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if index + shared.walked.load(Ordering::Relaxed) >= shared.opts.max_requests {
            return;
        }
        let case = match shared.first.get(index as usize) {
            Some(case) => case.clone(),
            None => cases::draw(&shared.doc, &shared.ops, shared.opts.seed, index),
        };
        send_case(shared, &case, index as usize).await;
        shared.sent.fetch_add(1, Ordering::Relaxed);
    }
}

async fn send_case(shared: &Shared, case: &Case, pick: usize) {
    let p = prepare(shared, case, pick);
    let (verdict, learnt) = try_once(shared, &p).await;
    if let Some((check, found, across)) = verdict {
        shared.record(check, &p.route, across, found);
    }
    if let Some(value) = learnt {
        let op = &shared.ops[p.case.op];
        let sent_id = matches!(p.case.id, cases::PathId::Own)
            .then(|| p.path.rsplit('/').find(|s| s.parse::<i64>().is_ok()))
            .flatten();
        let mut world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        if op.route.ends_with("/cancel")
            && let Some(id) = sent_id.and_then(|s| s.parse().ok())
            && matches!(p.case.caller, Caller::Customer)
        {
            world.cancelled.insert(id);
        }
        world.follow(&shared.ops, p.case.op, sent_id, &value);
    }
}

/// Two customers with an address and an order each, the catalogue, an administrator's token,
/// and what a missing order looks like. Returns the customer's address id.
async fn setup(shared: &Shared) -> Result<Value, String> {
    let tag = format!("{:08x}", fastrand::Rng::new().u32(..));
    let mut accounts = Vec::new();
    for name in ["customer", "other"] {
        let email = format!("explore.{name}+{tag}@example.com");
        let password = format!("Expl0re!{tag}");
        let answer = shared.call(
            "POST",
            "/api/auth/register",
            None,
            Some(json!({ "email": email, "password": password, "first_name": "Explore", "last_name": name })),
            201,
        )
        .await
        .map_err(|e| format!("cannot sign up the {name} to explore as: {e}"))?;
        let token = answer["token"].as_str().unwrap_or_default().to_string();
        shared.opts.redactor.add(&password);
        shared.opts.redactor.add(&token);
        accounts.push(Account {
            email,
            password,
            token,
        });
    }
    let admin_token = match &shared.opts.admin {
        Some((email, password)) => shared
            .call(
                "POST",
                "/api/auth/login",
                None,
                Some(json!({ "email": email, "password": password })),
                200,
            )
            .await
            .ok()
            .and_then(|a| a["token"].as_str().map(String::from)),
        None => None,
    };
    let catalogue = shared
        .call("GET", "/api/products?limit=50", None, None, 200)
        .await
        .map_err(|e| format!("cannot read the catalogue: {e}"))?;
    let products: Vec<i64> = catalogue["products"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["stock_quantity"].as_i64().is_none_or(|s| s > 0))
        .filter_map(|p| p["product_id"].as_i64())
        .collect();
    let Some(&product) = products.first() else {
        return Err("the catalogue has no product in stock to order".into());
    };
    let address = json!({ "first_name": "Explore", "last_name": "Customer", "street_address": "1 Main St",
        "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US" });
    let mut orders = Vec::new();
    for account in &accounts {
        let created = shared
            .call(
                "POST",
                "/api/addresses",
                Some(&account.token),
                Some(address.clone()),
                201,
            )
            .await
            .map_err(|e| format!("cannot add an address to explore with: {e}"))?;
        let address_id = created["address"]["id"].clone();
        let order = shared.call(
            "POST",
            "/api/orders",
            Some(&account.token),
            Some(json!({ "items": [{ "product_id": product, "quantity": 1 }], "shipping_address_id": address_id,
                "billing_address_id": address_id, "shipping_method": "standard" })),
            201,
        )
        .await
        .map_err(|e| format!("cannot place an order to explore with: {e}"))?;
        orders.push((created, order));
    }
    let missing_path = format!("/api/orders/{}", cases::MISSING_ID);
    let mut world = World::default();
    world.customer = accounts[0].clone();
    world.admin_token = admin_token;
    world.products = products;
    world.others_order = orders[1].1["order"]["id"].as_i64();
    world.tag = tag;
    // The customer's own address and order feed the links, as if the exploration had made them.
    // The other customer's feed the requests that put their ids in the customer's bodies.
    let ops = &shared.ops;
    if let Some(i) = ops.iter().position(|o| o.route == "POST /api/addresses") {
        world.follow(ops, i, None, &orders[0].0);
        world.follow_others(ops, i, &orders[1].0);
    }
    if let Some(i) = ops.iter().position(|o| o.route == "POST /api/orders") {
        world.follow(ops, i, None, &orders[0].1);
        world.follow_others(ops, i, &orders[1].1);
    }
    // An intent each: the customer's feeds the links (its confirmation, an order paid by it),
    // the other's the requests that put their intent in the customer's bodies.
    if let Some(i) = ops
        .iter()
        .position(|o| o.route == "POST /api/payment/create-payment-intent")
    {
        for (n, account) in accounts.iter().enumerate() {
            let Ok(intent) = shared
                .call(
                    "POST",
                    "/api/payment/create-payment-intent",
                    Some(&account.token),
                    Some(json!({ "amount": 5000 })),
                    200,
                )
                .await
            else {
                continue;
            };
            if n == 0 {
                world.follow(ops, i, None, &intent);
            } else {
                world.follow_others(ops, i, &intent);
            }
        }
    }
    let token = world.customer.token.clone();
    *shared.world.lock().unwrap_or_else(PoisonError::into_inner) = world;
    let missing = missing_answer(shared, &missing_path, &token).await;
    shared
        .world
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .missing = missing;
    Ok(orders[0].0["address"]["id"].clone())
}

/// Status and body of a missing order, which another customer's must look like.
async fn missing_answer(shared: &Shared, path: &str, token: &str) -> Option<(u16, Value)> {
    let headers = vec![("Authorization".into(), format!("Bearer {token}"))];
    let incoming = shared
        .send("GET", shared.url(path), headers, None)
        .await
        .ok()?;
    Some((
        incoming.status,
        serde_json::from_slice(&incoming.body).unwrap_or(Value::Null),
    ))
}

/// After the requests: no product's stock below zero, every order cancelled still cancelled.
async fn invariants(shared: &Shared) {
    let (products, cancelled, token) = {
        let world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        (
            world.products.clone(),
            world.cancelled.clone(),
            world.customer.token.clone(),
        )
    };
    for id in products.iter().take(20) {
        let path = format!("/api/products/{id}");
        if let Ok(product) = shared.call("GET", &path, None, None, 200).await
            && let Some(stock) = product["stock_quantity"].as_i64()
            && stock < 0
        {
            shared.record(
                Check::Invariant,
                "GET /api/products/{id}",
                None,
                Finding {
                    what: "stock after the exploration".into(),
                    request: format!("GET {path}"),
                    body: None,
                    message: format!("product {id} has stock {stock}, below zero"),
                    replay: None,
                    prepared: None,
                    script: None,
                },
            );
        }
    }
    for id in cancelled.iter().take(50) {
        let path = format!("/api/orders/{id}");
        if let Ok(order) = shared.call("GET", &path, Some(&token), None, 200).await {
            let status = order["order"]["status"].as_str().unwrap_or_default();
            if status != "cancelled" {
                shared.record(
                    Check::Invariant,
                    "GET /api/orders/{id}",
                    None,
                    Finding {
                        what: "a cancelled order after the exploration".into(),
                        request: format!("GET {path}"),
                        body: None,
                        message: format!("order {id} was cancelled, and is now {status:?}"),
                        replay: None,
                        prepared: None,
                        script: None,
                    },
                );
            }
        }
    }
}
