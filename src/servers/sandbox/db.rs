//! The database: one SQLite connection behind a mutex, used from blocking threads, so every
//! write transaction (`BEGIN IMMEDIATE`) runs alone and is all-or-nothing. Also the schema
//! (numbered migrations kept in `PRAGMA user_version`), the seed catalogue, the admin
//! account, and the outage switch: while the database is marked unavailable, every access
//! answers 503 and nothing is read or written; switching back finds all earlier data.
//!
//! Money is stored in integer cents and shown in dollars; timestamps are RFC 3339 text.
//!
//! How an outage is answered is where two defects live ([`super::defects`]):
//! `db-outage-500-trace` answers it 500 with the stack trace of the failure, and
//! `sql-in-error-body` runs the route's statements against a hollow copy of the schema (so they
//! really fail in the driver) and hands the driver's message, SQL included, to the client.

use super::defects::{Defect, Defects};
use super::errors::ApiError;
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
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
        self.available.store(available, Ordering::SeqCst);
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

/// One product of the seed catalogue.
struct Seed {
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

/// GigGatek-like refurbished hardware. Product 9 has one unit left (oversell tests), product
/// 10 is sold out, product 6 has two.
const CATALOGUE: &[Seed] = &[
    Seed {
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

/// Fills the catalogue if it is empty.
pub fn seed_catalogue(tx: &Transaction) -> rusqlite::Result<()> {
    let count: i64 = tx.query_row("SELECT COUNT(*) FROM products", [], |r| r.get(0))?;
    if count > 0 {
        return Ok(());
    }
    let mut insert = tx.prepare(
        "INSERT INTO products (sku, name, category, description, specifications, price_cents,
                               stock_quantity, condition_rating, primary_image)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for p in CATALOGUE {
        insert.execute(params![
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
            db.write_now(seed_catalogue).unwrap();
            db.write_now(|tx| meta_value(tx, "k", || "v1".into()))
                .unwrap();
        }
        let db = Db::open(Some(&file)).unwrap();
        db.write_now(seed_catalogue).unwrap();
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
    fn specifications_are_json_objects() {
        for p in CATALOGUE {
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
}
