//! Harness of `sandbox_load.rs` (the load, crash and refund tests): the
//! `gigcheck sandbox` and `gigcheck stripe` processes, HTTP calls that record status and
//! latency, the ledger of what clients were answered, and the checks of the end state against
//! the API, the database file and the Stripe emulator.

use gigcheck_servers::sandbox::Variations;
use gigcheck_servers::sandbox::db::{Db, seed_catalogue};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "Sup3r$ecretPass";
pub const ADMIN_EMAIL: &str = "admin@load.test";
pub const ADMIN_PASSWORD: &str = "Adm1n!Passw0rd";
pub const STRIPE_KEY: &str = "sk_test_sandbox_load";

/// Products 1–5 get this many units before the sandbox starts, so that most orders go through;
/// 6 (two units), 7 (eight), 8 (five) and 9 (one) stay scarce and are raced for; 10 is sold out.
pub const PLENTY: i64 = 100_000;

// ------------------------------------------------------------------ processes

/// A `gigcheck` server process; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    /// The last lines of its output, for failure messages.
    tail: Arc<Mutex<VecDeque<String>>>,
}

fn keep_tail(tail: &Arc<Mutex<VecDeque<String>>>, reader: impl std::io::Read + Send + 'static) {
    let tail = tail.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            let mut tail = tail.lock().unwrap();
            if tail.len() == 40 {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    });
}

impl Server {
    /// Starts `gigcheck <args>` and waits for the line `<banner><url>`.
    pub fn start(args: &[&str], banner: &'static str) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
            .args(args)
            .env_remove("GIGCHECK_STRIPE_URL")
            .env_remove("GIGCHECK_STRIPE_SECRET_KEY")
            .env_remove("GIGCHECK_WEBHOOK_SECRET")
            .env_remove("GIGCHECK_ADMIN_EMAIL")
            .env_remove("GIGCHECK_ADMIN_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the gigcheck binary");
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        keep_tail(&tail, child.stderr.take().unwrap());
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let out_tail = tail.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(banner).nth(1) {
                    let url = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(url);
                }
                out_tail.lock().unwrap().push_back(line);
            }
        });
        let mut server = Server {
            child,
            url: String::new(),
            tail,
        };
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => server.url = url,
            Err(_) => panic!("{args:?} did not start:\n{}", server.output()),
        }
        assert!(
            server.url.starts_with("http://127.0.0.1:"),
            "{}",
            server.url
        );
        server
    }

    pub fn sandbox(db: &Path, stripe: &str) -> Server {
        Server::start(
            &[
                "sandbox",
                "--port",
                "0",
                "--db",
                db.to_str().unwrap(),
                "--stripe-api",
                stripe,
                "--stripe-secret-key",
                STRIPE_KEY,
                "--webhook-secret",
                "whsec_sandbox_load",
                "--admin-email",
                ADMIN_EMAIL,
                "--admin-password",
                ADMIN_PASSWORD,
            ],
            "GigGatek sandbox listening on ",
        )
    }

    pub fn stripe() -> Server {
        Server::start(
            &["stripe", "--port", "0", "--webhook-secret", "whsec_load"],
            "Stripe emulator listening on ",
        )
    }

    pub fn output(&self) -> String {
        let tail = self.tail.lock().unwrap();
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// SIGKILL (what `Child::kill` sends on Unix), and waits until the process is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A sandbox database file with the seed catalogue, products 1–5 raised to [`PLENTY`] units.
pub fn prepare_db(dir: &Path) -> PathBuf {
    let path = dir.join("sandbox.db");
    let db = Db::open(Some(&path)).expect("open the database");
    db.write_now(|tx| {
        seed_catalogue(tx, Variations::NONE)?;
        tx.execute(
            "UPDATE products SET stock_quantity = ?1 WHERE product_id <= 5",
            [PLENTY],
        )
    })
    .expect("prepare the database");
    path
}

// ------------------------------------------------------------------ HTTP and records

pub struct Reply {
    pub status: u16,
    pub body: Value,
}

/// What the clients saw.
#[derive(Default)]
pub struct Rec {
    /// (operation, status, latency in µs) of every answered request.
    pub samples: Vec<(&'static str, u16, u64)>,
    pub server_errors: Vec<String>,
    pub transport_errors: Vec<String>,
    pub unexpected: Vec<String>,
}

#[derive(Default)]
pub struct Recorder(Mutex<Rec>);

impl Recorder {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Rec> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes `reply` as unexpected unless its status is one of `allowed`.
    pub fn expect(&self, op: &str, reply: &Reply, allowed: &[u16]) -> bool {
        let ok = allowed.contains(&reply.status);
        if !ok {
            self.lock()
                .unexpected
                .push(format!("{op}: {} {}", reply.status, reply.body));
        }
        ok
    }
}

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
    pub rec: Arc<Recorder>,
}

pub fn client() -> reqwest::Client {
    // reqwest is built without a default TLS provider; a client needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

impl Api {
    pub fn new(base: &str, rec: &Arc<Recorder>) -> Api {
        Api {
            http: client(),
            base: base.to_string(),
            rec: rec.clone(),
        }
    }

    pub async fn send(
        &self,
        op: &'static str,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> Result<Reply, String> {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let started = Instant::now();
        let answered = async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        }
        .await;
        let micros = started.elapsed().as_micros() as u64;
        let mut rec = self.rec.lock();
        match answered {
            Ok((status, text)) => {
                let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
                rec.samples.push((op, status, micros));
                if status >= 500 {
                    rec.server_errors
                        .push(format!("{op} {path}: {status} {body}"));
                }
                Ok(Reply { status, body })
            }
            Err(e) => {
                let e = format!("{op} {path}: {e}");
                rec.transport_errors.push(e.clone());
                Err(e)
            }
        }
    }

    pub async fn get(&self, op: &'static str, path: &str, token: &str) -> Result<Reply, String> {
        self.send(op, Method::GET, path, Some(token), None).await
    }

    pub async fn post(
        &self,
        op: &'static str,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Reply, String> {
        self.send(op, Method::POST, path, token, Some(body)).await
    }
}

/// xorshift64: every client draws its own reproducible sequence.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x % n
    }

    pub fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.below(from.len() as u64) as usize]
    }
}

// ------------------------------------------------------------------ the ledger

/// An order as its client placed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub owner: usize,
    pub items: BTreeMap<i64, i64>,
    pub intent: Option<String>,
    pub total_cents: i64,
}

/// What the clients know happened, from the answers they got.
#[derive(Default)]
pub struct Ledger {
    /// Orders answered 201, by id.
    pub orders: BTreeMap<i64, Placed>,
    pub ids: Vec<i64>,
    /// Ids answered 201 more than once.
    pub duplicates: Vec<i64>,
    /// Successful (200) cancellations per order, by the customer or an admin.
    pub cancelled: BTreeMap<i64, u32>,
    /// Creations and cancellations whose answer never came (the crash test's kill).
    pub uncertain_creates: Vec<Placed>,
    pub uncertain_cancels: Vec<(usize, i64)>,
}

impl Ledger {
    pub fn placed(&mut self, id: i64, placed: Placed) {
        if self.orders.insert(id, placed).is_some() {
            self.duplicates.push(id);
        } else {
            self.ids.push(id);
        }
    }

    pub fn cancelled(&mut self, id: i64) {
        *self.cancelled.entry(id).or_default() += 1;
    }

    pub fn is_cancelled(&self, id: i64) -> bool {
        self.cancelled.contains_key(&id)
    }
}

/// What every client shares.
pub struct Shop {
    /// Catalogue prices in cents.
    pub prices: BTreeMap<i64, i64>,
    pub ledger: Mutex<Ledger>,
}

impl Shop {
    pub fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn total(&self, items: &BTreeMap<i64, i64>) -> i64 {
        items.iter().map(|(p, q)| self.prices[p] * q).sum()
    }
}

pub struct Customer {
    pub idx: usize,
    pub user_id: i64,
    pub token: String,
    pub address: i64,
    /// Every order this customer got a 201 for.
    pub orders: Vec<i64>,
    /// Those not known to be cancelled or moved on by an admin.
    pub open: Vec<i64>,
}

/// Registers, logs in (the login's token is used) and adds an address.
/// `count` customers signed up at once, in index order.
pub async fn sign_up_all(url: &str, rec: &Arc<Recorder>, count: usize) -> Vec<Customer> {
    let mut signups = tokio::task::JoinSet::new();
    for idx in 0..count {
        let api = Api::new(url, rec);
        signups.spawn(async move { sign_up(&api, idx).await });
    }
    let mut customers = signups.join_all().await;
    customers.sort_by_key(|c| c.idx);
    customers
}

pub async fn sign_up(api: &Api, idx: usize) -> Customer {
    let email = format!("load-{idx}-{}@example.test", uuid::Uuid::new_v4().simple());
    let r = api
        .post(
            "register",
            "/api/auth/register",
            None,
            &json!({"email": email, "password": PASSWORD, "first_name": "Ada", "last_name": "Byte"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    let user_id = r.body["user"]["id"].as_i64().unwrap();
    let r = api
        .post(
            "login",
            "/api/auth/login",
            None,
            &json!({"email": email, "password": PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.body["token"].as_str().unwrap().to_string();
    let r = api
        .post(
            "address",
            "/api/addresses",
            Some(&token),
            &json!({"first_name": "Ada", "last_name": "Byte", "street_address": "1 Loop Rd",
                    "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US"}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.body);
    Customer {
        idx,
        user_id,
        token,
        address: r.body["address"]["id"].as_i64().unwrap(),
        orders: Vec::new(),
        open: Vec::new(),
    }
}

pub async fn admin_token(api: &Api) -> String {
    let r = api
        .post(
            "login",
            "/api/auth/login",
            None,
            &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["token"].as_str().unwrap().to_string()
}

/// Catalogue prices (cents) and stock, through the API.
pub async fn catalogue(api: &Api) -> (BTreeMap<i64, i64>, BTreeMap<i64, i64>) {
    let r = api
        .send(
            "products",
            Method::GET,
            "/api/products?limit=100",
            None,
            None,
        )
        .await
        .unwrap();
    assert_eq!(r.status, 200, "{}", r.body);
    let mut prices = BTreeMap::new();
    let mut stock = BTreeMap::new();
    for p in r.body["products"].as_array().unwrap() {
        let id = p["product_id"].as_i64().unwrap();
        prices.insert(
            id,
            (p["purchase_price"].as_f64().unwrap() * 100.0).round() as i64,
        );
        stock.insert(id, p["stock_quantity"].as_i64().unwrap());
    }
    (prices, stock)
}

pub fn items_json(items: &BTreeMap<i64, i64>) -> Value {
    items
        .iter()
        .map(|(p, q)| json!({"product_id": p, "quantity": q}))
        .collect()
}

/// product → quantity of an order's `items` as the API shows them.
pub fn items_of(order: &Value) -> BTreeMap<i64, i64> {
    let mut items = BTreeMap::new();
    for i in order["items"].as_array().into_iter().flatten() {
        *items
            .entry(i["product_id"].as_i64().unwrap_or(-1))
            .or_default() += i["quantity"].as_i64().unwrap_or(-1);
    }
    items
}

// ------------------------------------------------------------------ checking the end state

/// One order as the database has it.
#[derive(Debug)]
pub struct DbOrder {
    pub user_id: i64,
    pub status: String,
    pub payment_status: String,
    pub intent: Option<String>,
    pub total_cents: i64,
    pub items: BTreeMap<i64, i64>,
    pub history: Vec<String>,
    /// (status, transaction id, amount in cents)
    pub payments: Vec<(String, String, i64)>,
}

/// Everything the checks read from the database file (read-only, beside the running sandbox).
pub fn read_db(path: &Path) -> (BTreeMap<i64, DbOrder>, BTreeMap<i64, i64>) {
    let conn =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let mut orders = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT id, user_id, status, payment_status, payment_intent_id, total_cents FROM orders")
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                DbOrder {
                    user_id: r.get(1)?,
                    status: r.get(2)?,
                    payment_status: r.get(3)?,
                    intent: r.get(4)?,
                    total_cents: r.get(5)?,
                    items: BTreeMap::new(),
                    history: Vec::new(),
                    payments: Vec::new(),
                },
            ))
        })
        .unwrap();
    for row in rows {
        let (id, order) = row.unwrap();
        orders.insert(id, order);
    }
    let mut stmt = conn
        .prepare("SELECT order_id, product_id, quantity FROM order_items")
        .unwrap();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .unwrap()
    {
        let (order, product, quantity) = row.unwrap();
        // An item of an order that does not exist is itself a half-written order.
        let o = orders.entry(order).or_insert_with(|| DbOrder {
            user_id: -1,
            status: "<no order row>".into(),
            payment_status: String::new(),
            intent: None,
            total_cents: 0,
            items: BTreeMap::new(),
            history: Vec::new(),
            payments: Vec::new(),
        });
        *o.items.entry(product).or_default() += quantity;
    }
    let mut stmt = conn
        .prepare("SELECT order_id, status FROM order_status_history ORDER BY id")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (order, status) = row.unwrap();
        if let Some(o) = orders.get_mut(&order) {
            o.history.push(status);
        }
    }
    let mut stmt = conn
        .prepare("SELECT order_id, status, transaction_id, amount_cents FROM payments")
        .unwrap();
    for row in stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })
        .unwrap()
    {
        let (order, status, txn, amount) = row.unwrap();
        if let Some(o) = orders.get_mut(&order) {
            o.payments.push((status, txn, amount));
        }
    }
    let mut stock = BTreeMap::new();
    let mut stmt = conn
        .prepare("SELECT product_id, stock_quantity FROM products")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
        .unwrap()
    {
        let (id, n) = row.unwrap();
        stock.insert(id, n);
    }
    (orders, stock)
}

/// The database against the ledger: the same orders, each whole, and the stock rule (for every
/// product, `stock + units in orders not cancelled == initial stock`: checkout takes the units,
/// a cancellation by anyone puts them back, other status moves leave them out).
pub fn check_db(
    orders: &BTreeMap<i64, DbOrder>,
    stock: &BTreeMap<i64, i64>,
    initial: &BTreeMap<i64, i64>,
    ledger: &Ledger,
    users: &[i64],
) -> Vec<String> {
    let mut problems = Vec::new();
    for id in ledger.orders.keys() {
        if !orders.contains_key(id) {
            problems.push(format!(
                "order {id} was answered 201 but is not in the database"
            ));
        }
    }
    for id in &ledger.duplicates {
        problems.push(format!("order id {id} was answered 201 twice"));
    }
    for (id, n) in &ledger.cancelled {
        if *n > 1 {
            problems.push(format!("order {id} was cancelled successfully {n} times"));
        }
    }
    let mut held: BTreeMap<i64, i64> = BTreeMap::new();
    for (id, o) in orders {
        let Some(placed) = ledger.orders.get(id) else {
            problems.push(format!(
                "order {id} exists but no client was answered 201 for it: {o:?}"
            ));
            continue;
        };
        if o.items.is_empty() {
            problems.push(format!("order {id} has no items"));
        }
        if o.items != placed.items {
            problems.push(format!(
                "order {id} has items {:?}, placed {:?}",
                o.items, placed.items
            ));
        }
        if o.user_id != users[placed.owner] || o.total_cents != placed.total_cents {
            problems.push(format!("order {id} is {o:?}, placed {placed:?}"));
        }
        if o.intent != placed.intent {
            problems.push(format!(
                "order {id} is paid by {:?}, placed with {:?}",
                o.intent, placed.intent
            ));
        }
        if o.history.first().map(String::as_str) != Some("pending") {
            problems.push(format!("order {id} has history {:?}", o.history));
        }
        let cancelled = o.status == "cancelled";
        if cancelled != ledger.is_cancelled(*id) {
            problems.push(format!(
                "order {id} is '{}' but {} successful cancellation(s) were answered",
                o.status,
                ledger.cancelled.get(id).unwrap_or(&0)
            ));
        }
        if cancelled != o.history.iter().any(|h| h == "cancelled") {
            problems.push(format!(
                "order {id} is '{}' with history {:?}",
                o.status, o.history
            ));
        }
        let want_payment = match (&placed.intent, cancelled) {
            (None, _) => "pending",
            (Some(_), false) => "paid",
            (Some(_), true) => "refunded",
        };
        let want_rows: Vec<(String, String, i64)> = match &placed.intent {
            None => Vec::new(),
            Some(pi) => {
                let row_status = if cancelled { "refunded" } else { "completed" };
                vec![(row_status.to_string(), pi.clone(), placed.total_cents)]
            }
        };
        if o.payment_status != want_payment || o.payments != want_rows {
            problems.push(format!(
                "order {id} ('{}') is '{}' with payments {:?}; expected '{want_payment}' with {want_rows:?}",
                o.status, o.payment_status, o.payments
            ));
        }
        if !cancelled {
            for (p, q) in &o.items {
                *held.entry(*p).or_default() += q;
            }
        }
    }
    for (product, first) in initial {
        let now = stock.get(product).copied().unwrap_or(i64::MIN);
        let out = held.get(product).copied().unwrap_or(0);
        if now < 0 || now + out != *first {
            problems.push(format!(
                "product {product}: stock {now} + {out} in open orders != initial {first}"
            ));
        }
    }
    problems
}

/// Every customer's order list, page by page: each order exactly once, the ones the customer
/// placed and no other, with their items and cancellation state.
pub async fn check_lists(api: &Api, customers: &[Customer], ledger: &Ledger) -> Vec<String> {
    let mut problems = Vec::new();
    for c in customers {
        let mut seen = BTreeMap::new();
        let mut page = 1;
        loop {
            let r = api
                .get(
                    "verify list",
                    &format!("/api/orders?page={page}&per_page=50"),
                    &c.token,
                )
                .await
                .unwrap();
            assert_eq!(r.status, 200, "{}", r.body);
            let total = r.body["pagination"]["total"].as_i64().unwrap();
            if total != c.orders.len() as i64 {
                problems.push(format!(
                    "customer {}: list total {total}, placed {}",
                    c.idx,
                    c.orders.len()
                ));
            }
            for o in r.body["orders"].as_array().unwrap() {
                let id = o["id"].as_i64().unwrap();
                if seen.insert(id, o.clone()).is_some() {
                    problems.push(format!("customer {}: order {id} listed twice", c.idx));
                }
            }
            if page >= r.body["pagination"]["total_pages"].as_i64().unwrap() {
                break;
            }
            page += 1;
        }
        let mine: BTreeSet<i64> = c.orders.iter().copied().collect();
        let listed: BTreeSet<i64> = seen.keys().copied().collect();
        if mine != listed {
            problems.push(format!(
                "customer {}: placed but not listed {:?}, listed but not placed {:?}",
                c.idx,
                mine.difference(&listed).collect::<Vec<_>>(),
                listed.difference(&mine).collect::<Vec<_>>()
            ));
        }
        for (id, o) in &seen {
            if let Some(placed) = ledger.orders.get(id)
                && (items_of(o) != placed.items
                    || (o["status"] == "cancelled") != ledger.is_cancelled(*id))
            {
                problems.push(format!("order {id} listed as {o}, placed {placed:?}"));
            }
        }
    }
    problems
}

/// Every order through `GET /api/orders/<id>` as its owner, `workers` at a time.
pub async fn check_details(
    api: &Api,
    customers: &[Customer],
    ledger: &Ledger,
    workers: usize,
) -> Vec<String> {
    let tokens: Vec<String> = customers.iter().map(|c| c.token.clone()).collect();
    let jobs: Vec<(i64, Placed, bool)> = ledger
        .orders
        .iter()
        .map(|(id, p)| (*id, p.clone(), ledger.is_cancelled(*id)))
        .collect();
    let jobs = Arc::new(Mutex::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let (api, jobs, tokens) = (api.clone(), jobs.clone(), tokens.clone());
        tasks.spawn(async move {
            let mut problems = Vec::new();
            loop {
                let Some((id, placed, cancelled)) = jobs.lock().unwrap().pop() else {
                    return problems;
                };
                let r = api
                    .get(
                        "verify detail",
                        &format!("/api/orders/{id}"),
                        &tokens[placed.owner],
                    )
                    .await
                    .unwrap();
                let o = &r.body["order"];
                let history = o["status_history"].as_array().map_or(0, Vec::len);
                if r.status != 200
                    || items_of(o) != placed.items
                    || (o["status"] == "cancelled") != cancelled
                    || history < 1
                    || o["payments"].as_array().map_or(0, Vec::len) != placed.intent.iter().len()
                {
                    problems.push(format!(
                        "order {id}: {} {}, placed {placed:?}",
                        r.status, r.body
                    ));
                }
            }
        });
    }
    let mut problems = Vec::new();
    while let Some(done) = tasks.join_next().await {
        problems.extend(done.unwrap());
    }
    problems
}

/// The emulator's side of every paid order: captured in full, refunded in full exactly when
/// the order is cancelled, and never refunded twice.
pub async fn check_stripe(stripe: &str, ledger: &Ledger) -> Vec<String> {
    let http = client();
    let get = |path: String| {
        let request = http.get(format!("{stripe}{path}")).bearer_auth(STRIPE_KEY);
        async move {
            let r = request.send().await.unwrap();
            assert_eq!(r.status(), 200, "{path}");
            r.json::<Value>().await.unwrap()
        }
    };
    let mut problems = Vec::new();
    for (id, placed) in &ledger.orders {
        let Some(pi) = &placed.intent else { continue };
        let intent = get(format!("/v1/payment_intents/{pi}")).await;
        let charge = get(format!(
            "/v1/charges/{}",
            intent["latest_charge"].as_str().unwrap_or("none")
        ))
        .await;
        let refunds = get(format!("/v1/refunds?payment_intent={pi}&limit=100")).await;
        let refunded: i64 = refunds["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["amount"].as_i64().unwrap())
            .sum();
        let want = if ledger.is_cancelled(*id) {
            placed.total_cents
        } else {
            0
        };
        if charge["amount_captured"] != placed.total_cents
            || charge["amount_refunded"] != want
            || refunded != want
            || refunds["data"].as_array().unwrap().len() > 1
        {
            problems.push(format!(
                "order {id} ({pi}): captured {}, amount_refunded {}, refunds {refunded} in {}; expected {want}",
                charge["amount_captured"],
                charge["amount_refunded"],
                refunds["data"].as_array().unwrap().len()
            ));
        }
    }
    problems
}

pub fn assert_none(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n{}",
        problems.len(),
        problems
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

pub fn percentile(sorted: &[u64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() * p).div_ceil(100)).clamp(1, sorted.len()) - 1;
    sorted[at] as f64 / 1000.0
}

/// Prints request counts and latency percentiles, overall and per operation.
pub fn print_figures(rec: &Rec, elapsed: Duration) {
    let mut all: Vec<u64> = rec.samples.iter().map(|s| s.2).collect();
    all.sort_unstable();
    eprintln!(
        "sandbox load: {} requests in {:.1} s ({:.0}/s); latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        all.len(),
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        percentile(&all, 50),
        percentile(&all, 90),
        percentile(&all, 99),
        percentile(&all, 100)
    );
    let mut by_op: BTreeMap<&str, (Vec<u64>, BTreeMap<u16, usize>)> = BTreeMap::new();
    for (op, status, micros) in &rec.samples {
        let entry = by_op.entry(op).or_default();
        entry.0.push(*micros);
        *entry.1.entry(*status).or_default() += 1;
    }
    for (op, (mut times, statuses)) in by_op {
        times.sort_unstable();
        eprintln!(
            "  {op:<16} {:>6}  p50 {:>6.1} ms  p99 {:>6.1} ms  statuses {statuses:?}",
            times.len(),
            percentile(&times, 50),
            percentile(&times, 99)
        );
    }
}
