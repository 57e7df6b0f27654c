//! The database: one SQLite connection behind a mutex, used from blocking threads, so every
//! write transaction (`BEGIN IMMEDIATE`) runs alone and is all-or-nothing. Also the schema
//! (numbered migrations kept in `PRAGMA user_version`), the seed catalogue, the admin
//! account, and the outage switch: while the database is marked unavailable, every access
//! answers 503 and nothing is read or written; switching back finds all earlier data.
//!
//! Money is stored in integer cents and shown in dollars ([`money`]); timestamps are stored as
//! RFC 3339 text and shown by [`shown_time`]. How they are shown is where two variations live
//! ([`super::variations`]): `string-money` writes dollars as `"399.99"`, `http-dates` writes
//! timestamps as HTTP-dates. A third, `other-catalogue`, picks the seed ([`seed_catalogue`]).
//!
//! How an outage is answered is where two defects live ([`super::defects`]):
//! `db-outage-500-trace` answers it 500 with the stack trace of the failure, and
//! `sql-in-error-body` runs the route's statements against a hollow copy of the schema (so they
//! really fail in the driver) and hands the driver's message, SQL included, to the client.

use super::defects::{Defect, Defects};
use super::errors::ApiError;
use super::variations::{Variation, Variations};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub struct Db {
    conn: Arc<Mutex<Connection>>,
    available: Arc<AtomicBool>,
    defects: Defects,
    /// Where the file is; for a temporary database, the folder that is removed with it.
    pub path: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Db {
    /// Opens (creating if needed) the database at `path`, or a temporary one, and migrates it.
    pub fn open(path: Option<&Path>) -> Result<Db, String> {
        let (file, temp) = match path {
            Some(p) => (p.to_path_buf(), None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("gigcheck-sandbox-")
                    .tempdir()
                    .map_err(|e| {
                        format!("cannot create a temporary database: {e}; pass a file with --db")
                    })?;
                (dir.path().join("sandbox.db"), Some(dir))
            }
        };
        let shown = file.display().to_string();
        let cannot = |e: rusqlite::Error| {
            format!("cannot open database {shown}: {e}; pass a writable SQLite file with --db")
        };
        let mut conn = Connection::open(&file).map_err(cannot)?;
        conn.busy_timeout(Duration::from_secs(5)).map_err(cannot)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
        )
        .map_err(cannot)?;
        migrate(&mut conn).map_err(|e| {
            format!("cannot prepare database {shown}: {e}; is it a gigcheck sandbox database? pass another file with --db")
        })?;
        Ok(Db {
            conn: Arc::new(Mutex::new(conn)),
            available: Arc::new(AtomicBool::new(true)),
            defects: Defects::NONE,
            path: file,
            _temp: temp,
        })
    }

    /// The same database, answering outages as `defects` say.
    pub fn with_defects(mut self, defects: Defects) -> Db {
        self.defects = defects;
        self
    }

    pub fn is_temporary(&self) -> bool {
        self._temp.is_some()
    }

    pub fn set_available(&self, available: bool) {
        let was = self.available.swap(available, Ordering::SeqCst);
        if available && !was && self.defects.has(Defect::OutageLosesOrders) {
            // The bug: back from the outage on a fresh store; the orders are gone.
            let conn = self
                .conn
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let _ = conn.execute_batch(
                "UPDATE payment_intents SET order_id = NULL; DELETE FROM order_items; DELETE FROM order_status_history; DELETE FROM payments; DELETE FROM orders;",
            );
        }
    }

    pub fn is_available(&self) -> bool {
        self.available.load(Ordering::SeqCst)
    }

    /// Runs `f` on the connection, on a blocking thread, with nothing else touching the
    /// database meanwhile.
    pub async fn read<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ApiError> + Send + 'static,
    {
        let conn = self.conn.clone();
        let available = self.available.clone();
        let defects = self.defects;
        tokio::task::spawn_blocking(move || {
            let guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !available.load(Ordering::SeqCst) {
                return Err(outage(defects, || {
                    let hollow = hollow_copy(&guard)?;
                    f(&hollow).map(drop)
                }));
            }
            f(&guard)
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: committed if it returns `Ok`, rolled
    /// back otherwise.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction) -> Result<T, ApiError> + Send + 'static,
    {
        let conn = self.conn.clone();
        let available = self.available.clone();
        let defects = self.defects;
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if !available.load(Ordering::SeqCst) {
                return Err(outage(defects, || {
                    let mut hollow = hollow_copy(&guard)?;
                    let tx = hollow.transaction()?;
                    f(&tx).map(drop)
                }));
            }
            let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?; // dropping `tx` on error rolls back
            tx.commit()?;
            Ok(value)
        })
        .await
        .map_err(|e| ApiError::internal(format!("database task failed: {e}")))?
    }

    /// The same as [`Db::write`], for start-up (no runtime needed, no outage check).
    pub fn write_now<T>(
        &self,
        f: impl FnOnce(&Transaction) -> rusqlite::Result<T>,
    ) -> Result<T, String> {
        let mut guard = self
            .conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let run = || -> rusqlite::Result<T> {
            let tx = guard.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run().map_err(|e| format!("cannot write to database {}: {e}", self.path.display()))
    }
}

/// The answer to a request while the database is down: 503 with the contract's sentence. With
/// `db-outage-500-trace`, the failure escapes as a 500 carrying its stack trace; with
/// `sql-in-error-body`, `attempt` runs the route's work against an empty database (so it fails
/// at its first statement, for real) and the driver's message, SQL included, is the answer.
fn outage(defects: Defects, attempt: impl FnOnce() -> Result<(), ApiError>) -> ApiError {
    if defects.has(Defect::DbOutage500Trace) {
        let trace = std::backtrace::Backtrace::force_capture();
        return ApiError::Leaked {
            status: 500,
            message: "database unavailable: unable to open database file".into(),
            trace: Some(trace.to_string()),
        };
    }
    if defects.has(Defect::SqlInErrorBody)
        && let Err(ApiError::Internal(cause)) = attempt()
    {
        let driver = cause.strip_prefix("database: ").unwrap_or(&cause);
        return ApiError::Leaked {
            status: 503,
            message: format!("Database error: {driver}"),
            trace: None,
        };
    }
    if defects.has(Defect::OutageAnswers500) {
        return ApiError::internal("database unavailable");
    }
    if defects.has(Defect::OutageMessage) {
        return ApiError::Unavailable.with_message("Database unavailable");
    }
    ApiError::Unavailable
}

/// An in-memory database with the tables of `conn`, each with one column nobody queries: a
/// route's statements fail on it in the driver, as they would on a database that is gone.
fn hollow_copy(conn: &Connection) -> rusqlite::Result<Connection> {
    let hollow = Connection::open_in_memory()?;
    let mut tables = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    for name in tables.query_map([], |r| r.get::<_, String>(0))? {
        let name = name?.replace('"', "");
        hollow.execute_batch(&format!("CREATE TABLE \"{name}\" (unavailable)"))?;
    }
    Ok(hollow)
}

/// Now, as RFC 3339 (UTC, whole seconds).
pub fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    now.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

/// Cents → dollars for JSON (`39999` → `399.99`).
pub fn dollars(cents: i64) -> f64 {
    cents as f64 / 100.0
}

/// Cents → dollars with exactly two decimals, as text (`39999` → `"399.99"`), the way a
/// `DECIMAL(10,2)` column prints.
pub fn decimal_dollars(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    format!("{sign}{}.{:02}", abs / 100, abs % 100)
}

/// A dollar amount as an answer shows it: a number, or with `string-money` a decimal string.
pub fn money(cents: i64, variations: Variations) -> Value {
    if variations.has(Variation::StringMoney) {
        Value::String(decimal_dollars(cents))
    } else {
        json!(dollars(cents))
    }
}

/// A stored RFC 3339 timestamp (`2026-12-07T01:11:22Z`, as [`now`] writes them) as an HTTP-date
/// (`Mon, 07 Dec 2026 01:11:22 GMT`); `None` if it is not in that form.
pub fn http_date(rfc3339: &str) -> Option<String> {
    let b = rfc3339.as_bytes();
    let shape_ok = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape_ok {
        return None;
    }
    let field = |at: usize, len: usize| rfc3339.get(at..at + len)?.parse::<u32>().ok();
    let year = i32::try_from(field(0, 4)?).ok()?;
    let month = time::Month::try_from(u8::try_from(field(5, 2)?).ok()?).ok()?;
    let day = u8::try_from(field(8, 2)?).ok()?;
    let (h, m, s) = (field(11, 2)?, field(14, 2)?, field(17, 2)?);
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let clock =
        time::Time::from_hms(h.try_into().ok()?, m.try_into().ok()?, s.try_into().ok()?).ok()?;
    let unix = date.with_time(clock).assume_utc().unix_timestamp();
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(unix).ok()?);
    Some(httpdate::fmt_http_date(at))
}

/// A stored timestamp as an answer shows it: as stored (RFC 3339), or with `http-dates` as an
/// HTTP-date.
pub fn shown_time(stored: String, variations: Variations) -> Value {
    if variations.has(Variation::HttpDates) {
        // Every stored timestamp comes from `now`; one that does not parse is shown as it is.
        return Value::String(http_date(&stored).unwrap_or(stored));
    }
    Value::String(stored)
}

/// The schema, one step per version; `PRAGMA user_version` says how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    r#"
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        is_admin INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE products (
        product_id INTEGER PRIMARY KEY AUTOINCREMENT,
        sku TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        description TEXT NOT NULL,
        specifications TEXT NOT NULL,
        price_cents INTEGER NOT NULL CHECK (price_cents > 0),
        stock_quantity INTEGER NOT NULL CHECK (stock_quantity >= 0),
        condition_rating TEXT NOT NULL,
        primary_image TEXT NOT NULL
    );
    CREATE TABLE addresses (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id),
        first_name TEXT NOT NULL,
        last_name TEXT NOT NULL,
        street_address TEXT NOT NULL,
        city TEXT NOT NULL,
        state TEXT NOT NULL,
        zip_code TEXT NOT NULL,
        country TEXT NOT NULL,
        phone TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE orders (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        user_id INTEGER NOT NULL REFERENCES users(id),
        order_date TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        total_cents INTEGER NOT NULL,
        status TEXT NOT NULL,
        payment_status TEXT NOT NULL,
        shipping_address_id INTEGER NOT NULL REFERENCES addresses(id),
        billing_address_id INTEGER NOT NULL REFERENCES addresses(id),
        shipping_method TEXT NOT NULL,
        payment_intent_id TEXT UNIQUE
    );
    CREATE INDEX orders_by_user ON orders(user_id, id);
    CREATE TABLE order_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id INTEGER NOT NULL REFERENCES orders(id),
        product_id INTEGER NOT NULL REFERENCES products(product_id),
        product_name TEXT NOT NULL,
        sku TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 1),
        price_cents INTEGER NOT NULL
    );
    CREATE INDEX items_by_order ON order_items(order_id);
    CREATE TABLE order_status_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id INTEGER NOT NULL REFERENCES orders(id),
        status TEXT NOT NULL,
        notes TEXT,
        created_at TEXT NOT NULL,
        created_by INTEGER
    );
    CREATE INDEX history_by_order ON order_status_history(order_id);
    CREATE TABLE payments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id INTEGER NOT NULL REFERENCES orders(id),
        payment_method TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        status TEXT NOT NULL,
        transaction_id TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX payments_by_order ON payments(order_id);
    CREATE TABLE payment_intents (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        order_id INTEGER REFERENCES orders(id),
        amount_cents INTEGER NOT NULL,
        currency TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    "#,
];

fn migrate(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, step) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

/// A value kept in the `meta` table, created by `make` on first use (e.g. the JWT secret, so
/// that tokens survive a restart on a kept database).
pub fn meta_value(
    tx: &Transaction,
    key: &str,
    make: impl FnOnce() -> String,
) -> rusqlite::Result<String> {
    let existing: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()?;
    match existing {
        Some(v) => Ok(v),
        None => {
            let v = make();
            tx.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![key, v],
            )?;
            Ok(v)
        }
    }
}

/// Creates the admin account, or makes the existing account of that email an admin with the
/// given password (so the credentials printed at start always work).
pub fn upsert_admin(tx: &Transaction, email: &str, password_hash: &str) -> rusqlite::Result<()> {
    let updated = tx.execute(
        "UPDATE users SET is_admin = 1, password_hash = ?2 WHERE email = ?1",
        params![email, password_hash],
    )?;
    if updated == 0 {
        tx.execute(
            "INSERT INTO users (email, password_hash, first_name, last_name, is_admin, created_at)
             VALUES (?1, ?2, 'Admin', 'GigGatek', 1, ?3)",
            params![email, password_hash, now()],
        )?;
    }
    Ok(())
}

/// One product of a seed catalogue.
struct Seed {
    id: i64,
    sku: &'static str,
    name: &'static str,
    category: &'static str,
    description: &'static str,
    specifications: &'static str,
    price_cents: i64,
    stock: i64,
    condition: &'static str,
    image: &'static str,
}

/// GigGatek-like refurbished hardware, ids 1 to 10. Product 9 has one unit left (oversell
/// tests), product 10 is sold out, product 6 has two.
const CATALOGUE: &[Seed] = &[
    Seed {
        id: 1,
        sku: "GPU-RTX3080-10G",
        name: "NVIDIA GeForce RTX 3080 10GB (Refurbished)",
        category: "gpu",
        description: "Ex-lease RTX 3080, cleaned, re-pasted and stress-tested for 24 hours.",
        specifications: r#"{"memory":"10 GB GDDR6X","boost_clock_mhz":1710,"tdp_w":320,"outputs":["3x DisplayPort 1.4a","1x HDMI 2.1"]}"#,
        price_cents: 39999,
        stock: 25,
        condition: "Excellent",
        image: "/images/products/gpu-rtx3080.jpg",
    },
    Seed {
        id: 2,
        sku: "GPU-RTX2070S-8G",
        name: "NVIDIA GeForce RTX 2070 Super 8GB (Refurbished)",
        category: "gpu",
        description: "A dependable 1440p card with light cosmetic wear on the backplate.",
        specifications: r#"{"memory":"8 GB GDDR6","boost_clock_mhz":1770,"tdp_w":215}"#,
        price_cents: 22999,
        stock: 40,
        condition: "Good",
        image: "/images/products/gpu-rtx2070s.jpg",
    },
    Seed {
        id: 3,
        sku: "GPU-RX6700XT-12G",
        name: "AMD Radeon RX 6700 XT 12GB (Refurbished)",
        category: "gpu",
        description: "Open-box return, fans replaced, full warranty.",
        specifications: r#"{"memory":"12 GB GDDR6","game_clock_mhz":2424,"tdp_w":230}"#,
        price_cents: 27999,
        stock: 15,
        condition: "Very Good",
        image: "/images/products/gpu-rx6700xt.jpg",
    },
    Seed {
        id: 4,
        sku: "CPU-R7-5800X",
        name: "AMD Ryzen 7 5800X (Refurbished)",
        category: "cpu",
        description: "8 cores, 16 threads, pulled from a workstation upgrade.",
        specifications: r#"{"cores":8,"threads":16,"base_clock_ghz":3.8,"boost_clock_ghz":4.7,"socket":"AM4"}"#,
        price_cents: 17999,
        stock: 30,
        condition: "Excellent",
        image: "/images/products/cpu-r7-5800x.jpg",
    },
    Seed {
        id: 5,
        sku: "CPU-I7-10700K",
        name: "Intel Core i7-10700K (Refurbished)",
        category: "cpu",
        description: "Unlocked 8-core desktop processor, tested at stock clocks.",
        specifications: r#"{"cores":8,"threads":16,"base_clock_ghz":3.8,"boost_clock_ghz":5.1,"socket":"LGA1200"}"#,
        price_cents: 15999,
        stock: 20,
        condition: "Good",
        image: "/images/products/cpu-i7-10700k.jpg",
    },
    Seed {
        id: 6,
        sku: "CPU-R9-5950X",
        name: "AMD Ryzen 9 5950X (Refurbished)",
        category: "cpu",
        description: "16 cores for heavy builds; only a couple left.",
        specifications: r#"{"cores":16,"threads":32,"base_clock_ghz":3.4,"boost_clock_ghz":4.9,"socket":"AM4"}"#,
        price_cents: 34999,
        stock: 2,
        condition: "Excellent",
        image: "/images/products/cpu-r9-5950x.jpg",
    },
    Seed {
        id: 7,
        sku: "SYS-GAMER-3070",
        name: "GigGatek Refurb Gaming Desktop (Ryzen 5 5600X, RTX 3070)",
        category: "system",
        description: "Rebuilt by GigGatek: new PSU and SSD, 32 GB RAM, Windows 11 ready.",
        specifications: r#"{"cpu":"Ryzen 5 5600X","gpu":"RTX 3070 8GB","ram":"32 GB DDR4","storage":"1 TB NVMe"}"#,
        price_cents: 89999,
        stock: 8,
        condition: "Excellent",
        image: "/images/products/sys-gamer-3070.jpg",
    },
    Seed {
        id: 8,
        sku: "SYS-PRECISION-5820",
        name: "Dell Precision 5820 Workstation (Xeon W-2145, 64 GB)",
        category: "system",
        description: "Off-lease workstation, ECC memory, ideal for CAD and rendering.",
        specifications: r#"{"cpu":"Xeon W-2145","ram":"64 GB DDR4 ECC","storage":"512 GB NVMe","gpu":"Quadro P2000"}"#,
        price_cents: 74999,
        stock: 5,
        condition: "Very Good",
        image: "/images/products/sys-precision-5820.jpg",
    },
    Seed {
        id: 9,
        sku: "GPU-RTX3090-FE",
        name: "NVIDIA GeForce RTX 3090 Founders Edition 24GB (Refurbished)",
        category: "gpu",
        description: "The last one in stock.",
        specifications: r#"{"memory":"24 GB GDDR6X","boost_clock_mhz":1695,"tdp_w":350}"#,
        price_cents: 79999,
        stock: 1,
        condition: "Very Good",
        image: "/images/products/gpu-rtx3090-fe.jpg",
    },
    Seed {
        id: 10,
        sku: "SYS-M720Q-I5",
        name: "Lenovo ThinkCentre M720q Tiny (i5-8500T)",
        category: "system",
        description: "A quiet office mini PC. Sold out; more are being refurbished.",
        specifications: r#"{"cpu":"Core i5-8500T","ram":"16 GB DDR4","storage":"256 GB SSD"}"#,
        price_cents: 19999,
        stock: 0,
        condition: "Good",
        image: "/images/products/sys-m720q.jpg",
    },
];

/// The `other-catalogue` seed: another deployment's data. Ids start at 101 and skip, the
/// categories are the public seed's (`GPUs`, `CPUs`, `Systems`), and every product has at least
/// 5 units, so there is no last unit to race for and nothing sold out.
const OTHER_CATALOGUE: &[Seed] = &[
    Seed {
        id: 101,
        sku: "GG-GPU-3060TI-TUF",
        name: "ASUS TUF Gaming GeForce RTX 3060 Ti 8GB (Refurbished)",
        category: "GPUs",
        description: "Triple-fan 3060 Ti from a retired render farm, bench-tested and re-pasted.",
        specifications: r#"{"memory":"8 GB GDDR6","boost_clock_mhz":1785,"tdp_w":200}"#,
        price_cents: 32949,
        stock: 12,
        condition: "Excellent",
        image: "/static/img/gpus/rtx3060ti-tuf.webp",
    },
    Seed {
        id: 103,
        sku: "GG-GPU-RX6800-MSI",
        name: "MSI Radeon RX 6800 Gaming X Trio 16GB (Refurbished)",
        category: "GPUs",
        description: "16 GB for 1440p and beyond; minor scuffs on the shroud.",
        specifications: r#"{"memory":"16 GB GDDR6","game_clock_mhz":2155,"tdp_w":250}"#,
        price_cents: 41950,
        stock: 7,
        condition: "Good",
        image: "/static/img/gpus/rx6800-trio.webp",
    },
    Seed {
        id: 106,
        sku: "GG-GPU-1080TI-EVGA",
        name: "EVGA GeForce GTX 1080 Ti FTW3 11GB (Refurbished)",
        category: "GPUs",
        description: "A classic, still strong at 1080p; new thermal pads.",
        specifications: r#"{"memory":"11 GB GDDR5X","boost_clock_mhz":1721,"tdp_w":280}"#,
        price_cents: 18900,
        stock: 20,
        condition: "Very Good",
        image: "/static/img/gpus/gtx1080ti-ftw3.webp",
    },
    Seed {
        id: 110,
        sku: "GG-CPU-I9-9900K",
        name: "Intel Core i9-9900K (Refurbished)",
        category: "CPUs",
        description: "8 cores at up to 5 GHz, delidded and tested.",
        specifications: r#"{"cores":8,"threads":16,"base_clock_ghz":3.6,"boost_clock_ghz":5.0,"socket":"LGA1151"}"#,
        price_cents: 21450,
        stock: 9,
        condition: "Excellent",
        image: "/static/img/cpus/i9-9900k.webp",
    },
    Seed {
        id: 115,
        sku: "GG-CPU-R5-3600",
        name: "AMD Ryzen 5 3600 (Refurbished)",
        category: "CPUs",
        description: "The budget builder's favourite, with a stock cooler.",
        specifications: r#"{"cores":6,"threads":12,"base_clock_ghz":3.6,"boost_clock_ghz":4.2,"socket":"AM4"}"#,
        price_cents: 7999,
        stock: 50,
        condition: "Good",
        image: "/static/img/cpus/r5-3600.webp",
    },
    Seed {
        id: 121,
        sku: "GG-CPU-E5-2690V4",
        name: "Intel Xeon E5-2690 v4 (Refurbished)",
        category: "CPUs",
        description: "14-core server part pulled from decommissioned racks.",
        specifications: r#"{"cores":14,"threads":28,"base_clock_ghz":2.6,"boost_clock_ghz":3.5,"socket":"LGA2011-3"}"#,
        price_cents: 5499,
        stock: 30,
        condition: "Very Good",
        image: "/static/img/cpus/e5-2690v4.webp",
    },
    Seed {
        id: 128,
        sku: "GG-SYS-HP-Z4G4",
        name: "HP Z4 G4 Workstation (Xeon W-2133, 32 GB)",
        category: "Systems",
        description: "Quiet tower workstation with ECC memory and a fresh SSD.",
        specifications: r#"{"cpu":"Xeon W-2133","ram":"32 GB DDR4 ECC","storage":"1 TB NVMe","gpu":"Quadro P1000"}"#,
        price_cents: 64900,
        stock: 5,
        condition: "Very Good",
        image: "/static/img/systems/hp-z4-g4.webp",
    },
    Seed {
        id: 136,
        sku: "GG-SYS-CREATOR-3900X",
        name: "GigGatek Creator Tower (Ryzen 9 3900X, RTX 2080 Super)",
        category: "Systems",
        description: "Rebuilt for video work: 64 GB RAM, 2 TB NVMe, new 850 W PSU.",
        specifications: r#"{"cpu":"Ryzen 9 3900X","gpu":"RTX 2080 Super 8GB","ram":"64 GB DDR4","storage":"2 TB NVMe"}"#,
        price_cents: 119900,
        stock: 6,
        condition: "Excellent",
        image: "/static/img/systems/creator-3900x.webp",
    },
    Seed {
        id: 145,
        sku: "GG-SYS-OPTIPLEX-7070M",
        name: "Dell OptiPlex 7070 Micro (i7-9700T, 16 GB)",
        category: "Systems",
        description: "A palm-sized office PC with a VESA mount.",
        specifications: r#"{"cpu":"Core i7-9700T","ram":"16 GB DDR4","storage":"512 GB SSD"}"#,
        price_cents: 28999,
        stock: 15,
        condition: "Good",
        image: "/static/img/systems/optiplex-7070m.webp",
    },
];

/// Fills the catalogue if it is empty: the reference one, or with `other-catalogue`
/// [`OTHER_CATALOGUE`].
pub fn seed_catalogue(tx: &Transaction, variations: Variations) -> rusqlite::Result<()> {
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))?;
    if count > 0 {
        return Ok(());
    }
    let seed = if variations.has(Variation::OtherCatalogue) {
        OTHER_CATALOGUE
    } else {
        CATALOGUE
    };
    let mut insert = tx.prepare(
        "INSERT INTO products (product_id, sku, name, category, description, specifications, price_cents,
                               stock_quantity, condition_rating, primary_image)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for p in seed {
        insert.execute(params![
            p.id,
            p.sku,
            p.name,
            p.category,
            p.description,
            p.specifications,
            p.price_cents,
            p.stock,
            p.condition,
            p.image
        ])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_seeds_and_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("s.db");
        {
            let db = Db::open(Some(&file)).unwrap();
            db.write_now(|tx| seed_catalogue(tx, Variations::NONE))
                .unwrap();
            db.write_now(|tx| meta_value(tx, "k", || "v1".into()))
                .unwrap();
        }
        let db = Db::open(Some(&file)).unwrap();
        // A kept database keeps the catalogue it was first seeded with.
        db.write_now(|tx| seed_catalogue(tx, Variation::OtherCatalogue.into()))
            .unwrap();
        let count: i64 = db
            .write_now(|tx| tx.query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(count, CATALOGUE.len() as i64);
        assert_eq!(
            db.write_now(|tx| meta_value(tx, "k", || "v2".into()))
                .unwrap(),
            "v1"
        );
    }

    #[test]
    fn the_reference_catalogue_is_numbered_from_1() {
        let ids: Vec<i64> = CATALOGUE.iter().map(|p| p.id).collect();
        assert_eq!(ids, (1..=10).collect::<Vec<_>>());
    }

    #[test]
    fn the_other_catalogue_is_another_deployments() {
        let ids: Vec<i64> = OTHER_CATALOGUE.iter().map(|p| p.id).collect();
        assert!(ids.len() >= 8, "enough to page through");
        assert!(ids.iter().all(|id| *id >= 101));
        assert!(ids.windows(2).any(|w| w[1] - w[0] > 1), "not contiguous");
        for category in ["GPUs", "CPUs", "Systems"] {
            let n = OTHER_CATALOGUE
                .iter()
                .filter(|p| p.category == category)
                .count();
            assert!(n >= 2, "{category}: {n}");
        }
        assert!(
            OTHER_CATALOGUE
                .iter()
                .all(|p| p.stock >= 5 && p.price_cents > 0)
        );
        let mut skus = std::collections::HashSet::new();
        assert!(OTHER_CATALOGUE.iter().all(|p| skus.insert(p.sku)));
        let db = Db::open(None).unwrap();
        db.write_now(|tx| seed_catalogue(tx, Variation::OtherCatalogue.into()))
            .unwrap();
        let seeded: Vec<i64> = db
            .write_now(|tx| {
                let mut stmt = tx.prepare("SELECT product_id FROM products ORDER BY product_id")?;
                let ids = stmt
                    .query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<i64>>>()?;
                Ok(ids)
            })
            .unwrap();
        assert_eq!(seeded, ids);
    }

    #[test]
    fn specifications_are_json_objects() {
        for p in CATALOGUE.iter().chain(OTHER_CATALOGUE) {
            let v: serde_json::Value = serde_json::from_str(p.specifications).unwrap();
            assert!(v.is_object(), "{}", p.sku);
        }
    }

    #[tokio::test]
    async fn outages_as_the_defects_answer_them() {
        let query = |conn: &Connection| -> Result<i64, ApiError> {
            Ok(
                conn.query_row("SELECT COUNT(*) FROM orders WHERE user_id = ?1", [1], |r| {
                    r.get(0)
                })?,
            )
        };
        let clean = Db::open(None).unwrap();
        clean.set_available(false);
        assert_eq!(clean.read(query).await, Err(ApiError::Unavailable));
        assert_eq!(
            clean
                .write(|tx| Ok(tx.execute("DELETE FROM orders", [])?))
                .await,
            Err(ApiError::Unavailable)
        );

        let leaky = Db::open(None)
            .unwrap()
            .with_defects(Defect::SqlInErrorBody.into());
        leaky.set_available(false);
        match leaky.read(query).await {
            Err(ApiError::Leaked {
                status: 503,
                message,
                trace: None,
            }) => assert_eq!(
                message,
                "Database error: no such column: user_id in SELECT COUNT(*) FROM orders WHERE user_id = ?1 at offset 34"
            ),
            other => panic!("{other:?}"),
        }
        leaky.set_available(true);
        assert_eq!(leaky.read(query).await, Ok(0));

        let tracing = Db::open(None)
            .unwrap()
            .with_defects(Defect::DbOutage500Trace.into());
        tracing.set_available(false);
        match tracing
            .write(|tx| Ok(tx.execute("DELETE FROM orders", [])?))
            .await
        {
            Err(ApiError::Leaked {
                status: 500,
                trace: Some(trace),
                ..
            }) => assert!(!trace.is_empty()),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn money_and_time() {
        assert_eq!(dollars(39999), 399.99);
        assert!(now().ends_with('Z'));
    }

    #[test]
    fn money_as_numbers_or_decimal_strings() {
        for (cents, text) in [
            (39999, "399.99"),
            (100, "1.00"),
            (5, "0.05"),
            (0, "0.00"),
            (119900, "1199.00"),
            (-250, "-2.50"),
            (i64::MIN, "-92233720368547758.08"),
        ] {
            assert_eq!(decimal_dollars(cents), text);
        }
        assert_eq!(money(79998, Variations::NONE), json!(799.98));
        assert_eq!(money(79998, Variation::StringMoney.into()), json!("799.98"));
        assert_eq!(money(79900, Variation::StringMoney.into()), json!("799.00"));
    }

    #[test]
    fn timestamps_as_rfc3339_or_http_dates() {
        assert_eq!(
            http_date("2026-12-07T01:11:22Z").as_deref(),
            Some("Mon, 07 Dec 2026 01:11:22 GMT")
        );
        assert_eq!(
            http_date("2024-02-29T23:59:59Z").as_deref(),
            Some("Thu, 29 Feb 2024 23:59:59 GMT")
        );
        assert_eq!(
            http_date("1970-01-01T00:00:00Z").as_deref(),
            Some("Thu, 01 Jan 1970 00:00:00 GMT")
        );
        for bad in [
            "",
            "2026-12-07",
            "2026-12-07T01:11:22+01:00",
            "2026-13-07T01:11:22Z",
            "2026-02-30T01:11:22Z",
            "2026-12-07T25:11:22Z",
            "2026-1x-07T01:11:22Z",
            "1969-12-31T23:59:59Z",
        ] {
            assert_eq!(http_date(bad), None, "{bad}");
        }
        let stored = now();
        assert_eq!(shown_time(stored.clone(), Variations::NONE), json!(stored));
        let shown = shown_time(stored.clone(), Variation::HttpDates.into());
        let parsed = httpdate::parse_http_date(shown.as_str().unwrap()).unwrap();
        assert_eq!(http_date(&stored).unwrap(), httpdate::fmt_http_date(parsed));
        assert_eq!(
            shown_time("not a time".into(), Variation::HttpDates.into()),
            json!("not a time")
        );
    }
}
