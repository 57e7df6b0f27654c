//! Driving an exploration: set the world up (two customers, an address, an order each, the
//! catalogue, a missing order's answer), send the drawn requests with a few at a time, judge each
//! answer, then look at the state the requests left (stock, cancelled orders).

use super::cases::{self, Body, Caller, Case};
use super::operations::{self, Operation};
use super::verdict::{Answer, Check, Judge, excerpt};
use super::world::{Account, World};
use crate::contract::Contract;
use crate::engine::http::{Http, Outgoing};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How to explore.
#[derive(Clone)]
pub struct Options {
    /// The backend.
    pub base: url::Url,
    /// One seed, one set of requests.
    pub seed: u64,
    /// At most this many requests (setup excluded).
    pub max_requests: u64,
    /// Stop drawing new requests after this long.
    pub time: Option<Duration>,
    /// Requests at once.
    pub jobs: usize,
    /// Per request.
    pub timeout: Duration,
    /// An administrator to log in as (email, password), if the target has one.
    pub admin: Option<(String, String)>,
    /// The deployment's token signing key, when known: then expired tokens are tried too.
    pub jwt_secret: Option<String>,
    /// Hides the target's secrets (and the exploration's own accounts') in what it reports.
    pub redactor: crate::redact::Redactor,
    /// Called with a line for every request sent (`--verbose`).
    pub log: Option<Arc<dyn Fn(String) + Send + Sync>>,
}

/// One answer that broke a check.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What the request tried.
    pub what: String,
    /// `POST http://…/api/orders`.
    pub request: String,
    /// The body sent, shortened.
    pub body: Option<String>,
    /// What was wrong.
    pub message: String,
    /// What a spec needs to send it again.
    pub replay: Option<super::reproduce::Replay>,
}

/// Findings that share a check and a route: one cause.
#[derive(Debug, Clone)]
pub struct Cause {
    /// The check broken.
    pub check: Check,
    /// The route of the example (`GET /api/orders`).
    pub route: String,
    /// Every route it was seen on: one for most checks; several when one way of answering
    /// (an HTML error page, a wrong status for a method no route takes) runs through the API.
    pub routes: std::collections::BTreeSet<String>,
    /// How many answers broke it.
    pub count: usize,
    /// The smallest request that broke it (by body size).
    pub example: Finding,
}

/// What an exploration found.
#[derive(Debug, Clone)]
pub struct Exploration {
    /// Requests sent, setup excluded.
    pub requests: u64,
    /// How long it took, setup included.
    pub elapsed: Duration,
    /// The causes, worst check first.
    pub causes: Vec<Cause>,
}

struct Shared {
    ops: Vec<Operation>,
    doc: Arc<Value>,
    judge: Judge,
    world: Mutex<World>,
    causes: Mutex<BTreeMap<(Check, String), Cause>>,
    next: AtomicU64,
    sent: AtomicU64,
    http: Http,
    opts: Options,
    deadline: Option<Instant>,
}

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
    let shared = Arc::new(Shared {
        judge: Judge::new(doc.clone()),
        ops,
        doc,
        world: Mutex::new(World::default()),
        causes: Mutex::new(BTreeMap::new()),
        next: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        http,
        deadline: opts.time.map(|t| start + t),
        opts,
    });
    setup(&shared).await?;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..shared.opts.jobs.max(1) {
        let shared = shared.clone();
        workers.spawn(async move { work(&shared).await });
    }
    while workers.join_next().await.is_some() {}
    invariants(&shared).await;
    let causes = shared
        .causes
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .values()
        .cloned()
        .collect();
    Ok(Exploration {
        requests: shared.sent.load(Ordering::Relaxed),
        elapsed: start.elapsed(),
        causes,
    })
}

async fn work(shared: &Shared) {
    loop {
        if shared.deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        if index >= shared.opts.max_requests {
            return;
        }
        let case = cases::draw(&shared.doc, &shared.ops, shared.opts.seed, index);
        send_case(shared, &case, index as usize).await;
        shared.sent.fetch_add(1, Ordering::Relaxed);
    }
}

async fn send_case(shared: &Shared, case: &Case, pick: usize) {
    let op = &shared.ops[case.op];
    let mut what = case.what.clone();
    let mut case = case.clone();
    let (path, body, token) = {
        let world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        if matches!(case.body, Body::Others { .. }) && !world.has_others_for(case.op) {
            // Nothing of theirs to put in: a valid request like any other.
            case.want = cases::Want::Allowed;
            what = "valid request".into();
        }
        let id = world.path_id(case.op, op, &case, pick);
        let customer = &world.customer.token;
        let token = match case.caller {
            Caller::Customer => Some(customer.clone()),
            Caller::Admin => world.admin_token.clone().or_else(|| Some(customer.clone())),
            Caller::Nobody => None,
            Caller::Garbage => Some("not-a-token".to_string()),
            Caller::AlgNone => Some(forged::alg_none(customer)),
            Caller::Tampered => Some(forged::tampered(customer)),
            Caller::Expired | Caller::NoExpiry => match &shared.opts.jwt_secret {
                Some(secret) => forged::resigned(customer, secret, case.caller == Caller::Expired),
                None => {
                    what = "the customer's token with its signature changed".into();
                    Some(forged::tampered(customer))
                }
            },
        };
        (
            format!("{}{}", op.path_with(&id), case.suffix.unwrap_or_default()),
            world.fill(case.op, op, &case.body, pick),
            token,
        )
    };
    let method_name = case.method.unwrap_or(op.method.as_str());
    let route = match (case.method, case.suffix) {
        (None, None) => op.route.clone(),
        (method, suffix) => format!(
            "{} {}{}",
            method.unwrap_or(op.method.as_str()),
            op.path,
            suffix.unwrap_or_default()
        ),
    };
    let mut url = shared.opts.base.clone();
    url.set_path(&format!(
        "{}{path}",
        shared.opts.base.path().trim_end_matches('/')
    ));
    if !case.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&case.query);
    }
    let (bytes, content_type) = match &body {
        Body::Empty => (None, None),
        Body::Json { value, .. }
        | Body::Mutated { valid: value, .. }
        | Body::Others { valid: value }
        | Body::Typed { valid: value, .. } => (
            Some(value.to_string().into_bytes()),
            Some("application/json"),
        ),
        Body::Raw(bytes, ct) => (Some(bytes.clone()), Some(*ct)),
    };
    let mut headers = Vec::new();
    if let Some(ct) = content_type {
        headers.push(("Content-Type".to_string(), ct.to_string()));
    }
    if let Some(token) = &token {
        headers.push(("Authorization".to_string(), format!("Bearer {token}")));
    }
    let redactor = &shared.opts.redactor;
    let shown_body = bytes
        .as_ref()
        .map(|b| excerpt(&redactor.body(&String::from_utf8_lossy(b))));
    if let Some(log) = &shared.opts.log {
        log(format!(
            "{} {}{}",
            method_name,
            url.as_str()
                .trim_start_matches(shared.opts.base.as_str().trim_end_matches('/')),
            shown_body
                .as_ref()
                .map(|b| format!(" {b}"))
                .unwrap_or_default()
        ));
    }
    let method =
        reqwest::Method::from_bytes(method_name.as_bytes()).unwrap_or(reqwest::Method::GET);
    let outgoing = Outgoing {
        method,
        url: url.clone(),
        headers,
        body: bytes,
        timeout: shared.opts.timeout,
    };
    let jar = reqwest::cookie::Jar::default();
    let followed = crate::engine::redirect::send(&shared.http, &jar, outgoing, true, |_| {}).await;
    let replay = replay_of(shared, op, &case, method_name, &body, token.as_deref());
    let finding = |message: String| Finding {
        what: what.clone(),
        request: redactor.text(&format!("{method_name} {url}")),
        body: shown_body.clone(),
        message: redactor.text(&message),
        replay: Some(replay.clone()),
    };
    let incoming = match followed.result {
        Ok(incoming) => incoming,
        // A server may refuse a body too large by answering and closing before reading it all;
        // the connection then breaks under the rest of the body.
        Err(_) if case.want == cases::Want::Exactly(413) => return,
        Err(e) => {
            record(
                shared,
                Check::ServerError,
                &route,
                None,
                finding(format!("no answer: {e}")),
            );
            return;
        }
    };
    let content_type = incoming
        .headers
        .iter()
        .find(|(n, _)| n == "content-type")
        .map(|(_, v)| v.as_str());
    let answer = Answer {
        status: incoming.status,
        content_type,
        body: &incoming.body,
    };
    let missing = shared
        .world
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .missing
        .clone();
    if let Some((check, message)) = shared.judge.judge(op, &case, &answer, missing.as_ref()) {
        let mut found = finding(message);
        if let (Some(replay), Some(Some(schema))) =
            (&mut found.replay, op.answers.get(&incoming.status))
        {
            replay.schema = schema_file(schema).map(|file| (incoming.status, file));
        }
        // A way of answering that is the same everywhere is one cause, whatever the route.
        let across = match check {
            Check::ContentType => Some(format!(
                "{} {}",
                incoming.status,
                content_type
                    .unwrap_or("-")
                    .split(';')
                    .next()
                    .unwrap_or_default()
            )),
            Check::Convention => Some(found.message.clone()),
            _ => None,
        };
        record(shared, check, &route, across, found);
    }
    if (case.method, case.suffix) == (None, None)
        && (200..300).contains(&incoming.status)
        && let Ok(value) = serde_json::from_slice::<Value>(&incoming.body)
    {
        let sent_id = matches!(case.id, cases::PathId::Own)
            .then(|| path.rsplit('/').find(|s| s.parse::<i64>().is_ok()))
            .flatten();
        let mut world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
        if op.route.ends_with("/cancel")
            && let Some(id) = sent_id.and_then(|s| s.parse().ok())
            && matches!(case.caller, Caller::Customer)
        {
            world.cancelled.insert(id);
        }
        world.follow(&shared.ops, case.op, sent_id, &value);
    }
}

/// `{"$ref": "#/components/schemas/requests.order"}` → `requests/order.json`, the file in the
/// schemas folder it was bundled from.
fn schema_file(schema: &Value) -> Option<String> {
    let name = schema["$ref"]
        .as_str()?
        .strip_prefix("#/components/schemas/")?;
    (!name.contains('/')).then(|| format!("{}.json", name.replace('.', "/")))
}

/// What a spec needs to send this request again, its ids as the spec's own steps capture them.
fn replay_of(
    shared: &Shared,
    op: &Operation,
    case: &Case,
    method: &str,
    body: &Body,
    token: Option<&str>,
) -> super::reproduce::Replay {
    use super::reproduce::Replay;
    let world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
    let others =
        matches!(case.id, cases::PathId::Others) || matches!(case.body, Body::Others { .. });
    let id = match &case.id {
        cases::PathId::Literal(text) => text.clone(),
        cases::PathId::Others => "{{others_order_id}}".into(),
        cases::PathId::Own if op.path.starts_with("/api/orders") => "{{order_id}}".into(),
        cases::PathId::Own => world.path_id(case.op, op, case, 0),
    };
    let address = if others {
        "{{others_address_id}}"
    } else {
        "{{address_id}}"
    };
    // The exploration's own customer and sign-ups become the spec's.
    let tagged = format!("+{}@example.com", world.tag);
    let own = |text: &str| -> String {
        let text = text
            .replace(&world.customer.email, "{{email}}")
            .replace(&world.customer.password, super::reproduce::PASSWORD);
        if text.contains(&tagged) && !text.starts_with('{') {
            "{{unique_email}}".to_string()
        } else {
            text
        }
    };
    let (json, raw) = match body {
        Body::Json { value, .. } => {
            let mut value = value.clone();
            if let Some(object) = value.as_object_mut() {
                for (key, slot) in object.iter_mut() {
                    if key.ends_with("address_id") && slot.is_i64() {
                        *slot = Value::String(address.into());
                    } else if let Value::String(text) = slot {
                        *text = own(text);
                    }
                }
            }
            (Some(value), None)
        }
        Body::Raw(_, ct) if case.want == cases::Want::Exactly(413) => (
            None,
            Some((
                r#"{"filler": "{{pad | repeat(1049600)}}"}"#.to_string(),
                ct.to_string(),
            )),
        ),
        Body::Raw(bytes, ct) => {
            // Inside JSON text a sign-up email keeps its quotes around a template of its own.
            let text =
                own(&String::from_utf8_lossy(bytes)).replace(&tagged, "+{{uuid}}@example.com");
            (None, Some((text, ct.to_string())))
        }
        _ => (None, None),
    };
    let forged = matches!(
        case.caller,
        Caller::Garbage | Caller::AlgNone | Caller::Tampered
    );
    Replay {
        method: method.to_string(),
        path: format!("{}{}", op.path_with(&id), case.suffix.unwrap_or_default()),
        query: case.query.clone(),
        json,
        raw,
        caller: Some(case.caller),
        bearer: token.filter(|_| forged).map(String::from),
        others,
        want: Some(case.want),
        answers: op.answers.keys().copied().collect(),
        schema: None,
        missing: world
            .missing
            .as_ref()
            .map(|(status, body)| (*status, body["error"].as_str().map(String::from))),
        leak: shared.judge.leak_pattern().map(String::from),
        product: world.products.first().copied(),
    }
}

/// Adds a finding to its cause: `(check, route)`, or `(check, across)` for a way of answering
/// that does not depend on the route.
fn record(shared: &Shared, check: Check, route: &str, across: Option<String>, finding: Finding) {
    let mut causes = shared.causes.lock().unwrap_or_else(PoisonError::into_inner);
    let size = |f: &Finding| f.body.as_ref().map_or(0, String::len) + f.request.len();
    let key = (check, across.unwrap_or_else(|| route.to_string()));
    let cause = causes.entry(key).or_insert_with(|| Cause {
        check,
        route: route.to_string(),
        routes: Default::default(),
        count: 0,
        example: finding.clone(),
    });
    cause.count += 1;
    cause.routes.insert(route.to_string());
    if size(&finding) < size(&cause.example) {
        cause.example = finding;
        cause.route = route.to_string();
    }
}

/// One request of the setup: its JSON answer when the status is the one wanted.
async fn call(
    shared: &Shared,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
    want: u16,
) -> Result<Value, String> {
    let mut url = shared.opts.base.clone();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    url.set_path(&format!(
        "{}{path}",
        shared.opts.base.path().trim_end_matches('/')
    ));
    if !query.is_empty() {
        url.set_query(Some(query));
    }
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    if let Some(token) = token {
        headers.push(("Authorization".to_string(), format!("Bearer {token}")));
    }
    let outgoing = Outgoing {
        method: reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
        url,
        headers,
        body: body.map(|b| b.to_string().into_bytes()),
        timeout: shared.opts.timeout,
    };
    let jar = reqwest::cookie::Jar::default();
    let followed = crate::engine::redirect::send(&shared.http, &jar, outgoing, true, |_| {}).await;
    let incoming = followed
        .result
        .map_err(|e| format!("{method} {path}: {e}"))?;
    let text = String::from_utf8_lossy(&incoming.body).to_string();
    if incoming.status != want {
        return Err(format!(
            "{method} {path} answered {} {}, not {want}",
            incoming.status,
            excerpt(&text)
        ));
    }
    Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Two customers with an address and an order each, the catalogue, an administrator's token,
/// and what a missing order looks like.
async fn setup(shared: &Shared) -> Result<(), String> {
    let tag = format!("{:08x}", fastrand::Rng::new().u32(..));
    let mut accounts = Vec::new();
    for name in ["customer", "other"] {
        let email = format!("explore.{name}+{tag}@example.com");
        let password = format!("Expl0re!{tag}");
        let answer = call(
            shared,
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
        Some((email, password)) => call(
            shared,
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
    let catalogue = call(shared, "GET", "/api/products?limit=50", None, None, 200)
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
        let created = call(
            shared,
            "POST",
            "/api/addresses",
            Some(&account.token),
            Some(address.clone()),
            201,
        )
        .await
        .map_err(|e| format!("cannot add an address to explore with: {e}"))?;
        let address_id = created["address"]["id"].clone();
        let order = call(
            shared,
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
    let missing_path = "/api/orders/2147483000";
    let mut world = World::default();
    world.customer = accounts[0].clone();
    world.other = accounts[1].clone();
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
    if let Some(i) = ops
        .iter()
        .position(|o| o.route == "POST /api/payment/create-payment-intent")
        && let Ok(intent) = call(
            shared,
            "POST",
            "/api/payment/create-payment-intent",
            Some(&accounts[1].token),
            Some(json!({ "amount": 5000 })),
            200,
        )
        .await
    {
        world.follow_others(ops, i, &intent);
    }
    let token = world.customer.token.clone();
    *shared.world.lock().unwrap_or_else(PoisonError::into_inner) = world;
    let missing = missing_answer(shared, missing_path, &token).await;
    shared
        .world
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .missing = missing;
    Ok(())
}

/// Status and body of a missing order, which another customer's must look like.
async fn missing_answer(shared: &Shared, path: &str, token: &str) -> Option<(u16, Value)> {
    let mut url = shared.opts.base.clone();
    url.set_path(&format!(
        "{}{path}",
        shared.opts.base.path().trim_end_matches('/')
    ));
    let outgoing = Outgoing {
        method: reqwest::Method::GET,
        url,
        headers: vec![("Authorization".into(), format!("Bearer {token}"))],
        body: None,
        timeout: shared.opts.timeout,
    };
    let jar = reqwest::cookie::Jar::default();
    let incoming = crate::engine::redirect::send(&shared.http, &jar, outgoing, true, |_| {})
        .await
        .result
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
        if let Ok(product) = call(shared, "GET", &path, None, None, 200).await
            && let Some(stock) = product["stock_quantity"].as_i64()
            && stock < 0
        {
            record(
                shared,
                Check::Invariant,
                "GET /api/products/{id}",
                None,
                Finding {
                    what: "stock after the exploration".into(),
                    request: format!("GET {path}"),
                    body: None,
                    message: format!("product {id} has stock {stock}, below zero"),
                    replay: None,
                },
            );
        }
    }
    for id in cancelled.iter().take(50) {
        let path = format!("/api/orders/{id}");
        if let Ok(order) = call(shared, "GET", &path, Some(&token), None, 200).await {
            let status = order["order"]["status"].as_str().unwrap_or_default();
            if status != "cancelled" {
                record(
                    shared,
                    Check::Invariant,
                    "GET /api/orders/{id}",
                    None,
                    Finding {
                        what: "a cancelled order after the exploration".into(),
                        request: format!("GET {path}"),
                        body: None,
                        message: format!("order {id} was cancelled, and is now {status:?}"),
                        replay: None,
                    },
                );
            }
        }
    }
}

/// Tokens made from the customer's own, that the target must refuse.
mod forged {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// The token with `{"alg":"none"}` as its header and no signature.
    pub(super) fn alg_none(token: &str) -> String {
        let payload = token.split('.').nth(1).unwrap_or_default();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        format!("{header}.{payload}.")
    }

    /// The token with one character in the middle of its signature changed.
    pub(super) fn tampered(token: &str) -> String {
        let Some((signed, signature)) = token.rsplit_once('.') else {
            return format!("{token}x");
        };
        let mut chars: Vec<char> = signature.chars().collect();
        let middle = chars.len() / 2;
        if let Some(c) = chars.get_mut(middle) {
            *c = if *c == 'A' { 'B' } else { 'A' };
        }
        format!("{signed}.{}", chars.into_iter().collect::<String>())
    }

    /// The token's claims signed again with `secret`: with an `exp` an hour ago when `expired`,
    /// else with no `exp` at all.
    pub(super) fn resigned(token: &str, secret: &str, expired: bool) -> Option<String> {
        let (_, mut claims) = gigcheck_base::jwt::parts(token).ok()?;
        let claims_map = claims.as_object_mut()?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if expired {
            claims_map.insert("exp".into(), serde_json::json!(now - 3600));
            claims_map.insert("iat".into(), serde_json::json!(now - 7200));
        } else {
            claims_map.remove("exp");
        }
        gigcheck_base::jwt::sign(&claims, secret.as_bytes()).ok()
    }
}
