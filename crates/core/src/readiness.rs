//! Readiness: whether a target can be tested at all, said before anything is tested — reachable,
//! its routes there, accounts and hooks configured, rate limits announced, and (for `gigcheck
//! doctor`) whether the admin is an admin and the backend's Stripe calls reach the emulator.
//!
//! `gigcheck run` against an external backend prints the cheap checks (no login, no sign-up: a
//! run's budget of those belongs to the plan); `gigcheck doctor` runs every check and nothing else.

use crate::engine::http::CookieJar;
use crate::engine::http::{Http, Incoming, Outgoing};
use crate::environment::Environment;
use serde_json::{Value, json};
use std::time::Duration;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Works as the run needs it.
    Ok,
    /// Works, with something the user should know (a skipped part, a variation).
    Note,
    /// Broken: scenarios that need it will be blocked.
    Fail,
}

/// One line of the readiness table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What was checked (`reachable`, `routes`, `admin`…).
    pub name: &'static str,
    /// How it came out.
    pub status: Status,
    /// What was seen, and for a failure what to do about it, in one line.
    pub detail: String,
}

/// The readiness table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readiness {
    /// The checks' results, in the order they ran.
    pub rows: Vec<Row>,
}

impl Readiness {
    /// Whether any check failed.
    pub fn failed(&self) -> bool {
        self.rows.iter().any(|r| r.status == Status::Fail)
    }

    fn add(&mut self, name: &'static str, status: Status, detail: impl Into<String>) {
        self.rows.push(Row {
            name,
            status,
            detail: detail.into(),
        });
    }
}

/// What the checks need.
pub struct Target<'a> {
    /// The client to send the probes through.
    pub http: &'a Http,
    /// The backend's base URL; probed paths are resolved against it.
    pub base: &'a url::Url,
    /// The resolved environment: accounts, Stripe emulator URL, hooks.
    pub env: &'a Environment,
    /// The contract's routes (`METHOD /path`, `{id}` for one segment).
    pub routes: &'a [String],
    /// How long each probe request may take.
    pub timeout: Duration,
}

/// Routes not probed: each call of them counts against the backend's rate limits.
const NOT_PROBED: [&str; 2] = ["POST /api/auth/register", "POST /api/auth/login"];

/// The checks `gigcheck run` makes before it starts: nothing that logs in or signs up.
pub async fn quick(t: &Target<'_>) -> Readiness {
    let mut r = Readiness::default();
    let client = Client::new(t);
    let mut limits = Vec::new();
    match client.send("GET", "/api/products", None, None).await {
        Ok(answer) => {
            note_limits(&answer, &mut limits);
            r.add(
                "reachable",
                Status::Ok,
                format!(
                    "GET /api/products → {} in {} ms",
                    answer.status,
                    answer.elapsed.as_millis()
                ),
            );
        }
        Err(e) => {
            r.add("reachable", Status::Fail, e);
            return r;
        }
    }
    routes(&client, t.routes, &mut r, &mut limits).await;
    accounts(t.env, &mut r);
    stripe(t.env, &mut r);
    hooks(t.env, &mut r);
    r.add(
        "rate limits",
        Status::Note,
        if limits.is_empty() {
            "none announced (X-RateLimit-*); a 429 is waited out once when Retry-After is short"
                .to_string()
        } else {
            format!("announced: {}", limits.join(", "))
        },
    );
    r
}

/// Every check: the quick ones, then the admin's login (is it an admin?), the given accounts'
/// logins, and an intent created through the backend looked up at the emulator.
pub async fn thorough(t: &Target<'_>) -> Readiness {
    let mut r = quick(t).await;
    if r.rows.first().is_some_and(|row| row.status == Status::Fail) {
        return r;
    }
    let client = Client::new(t);
    admin(&client, t.env, &mut r).await;
    let customer = customer_token(&client, t.env, &mut r).await;
    if given(t.env, "user2_email") {
        second_customer(&client, t.env, &mut r).await;
    }
    if let Some(token) = customer {
        stripe_wiring(&client, t.env, &token, &mut r).await;
    }
    r
}

/// Each contract route answers something other than "no such route".
async fn routes(
    client: &Client<'_>,
    routes: &[String],
    r: &mut Readiness,
    limits: &mut Vec<String>,
) {
    if routes.is_empty() {
        return;
    }
    let mut missing = Vec::new();
    let mut probed = 0;
    for route in routes
        .iter()
        .filter(|route| !NOT_PROBED.contains(&route.as_str()))
    {
        let Some((method, path)) = route.split_once(' ') else {
            continue;
        };
        // `0` names no object: an existing route answers 401, 404 JSON or the like.
        let concrete = path.replace("{id}", "0");
        let body = (method != "GET").then(|| json!({}));
        probed += 1;
        match client.send(method, &concrete, body, None).await {
            Ok(answer) => {
                note_limits(&answer, limits);
                if route_missing(path, &answer) {
                    missing.push(format!("{method} {path} → {}", answer.status));
                }
            }
            Err(e) => missing.push(format!("{method} {path}: {e}")),
        }
    }
    if missing.is_empty() {
        r.add(
            "routes",
            Status::Ok,
            format!("{probed} contract routes answer (register and login are left to the run)"),
        );
    } else {
        r.add(
            "routes",
            Status::Fail,
            format!(
                "not there: {}; scenarios that need them will be blocked",
                missing.join(", ")
            ),
        );
    }
}

/// Whether an answer says there is no such route: a 404 or 405 page that is not JSON, or a
/// 404 for a route that names no object (one that does may be "no such order").
fn route_missing(path: &str, answer: &Incoming) -> bool {
    let json = crate::outcome::other_media(&answer.headers).is_none();
    match answer.status {
        404 | 405 if !json => true,
        404 => !path.contains("{id}"),
        _ => false,
    }
}

fn note_limits(answer: &Incoming, limits: &mut Vec<String>) {
    for (k, v) in &answer.headers {
        let k = k.to_ascii_lowercase();
        if k.starts_with("x-ratelimit-limit") {
            let seen = format!("{k}: {v}");
            if !limits.contains(&seen) {
                limits.push(seen);
            }
        }
    }
}

fn given(env: &Environment, var: &str) -> bool {
    env.vars
        .get(var)
        .is_some_and(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.is_empty()))
}

fn accounts(env: &Environment, r: &mut Readiness) {
    let who = |var: &str, name: &str| {
        if given(env, var) {
            format!("{name} given ({})", env.vars[var].as_str().unwrap_or("?"))
        } else {
            format!("{name} signed up once for the run")
        }
    };
    let admin = if given(env, "admin_email") && given(env, "admin_password") {
        Status::Ok
    } else {
        Status::Fail
    };
    let admin_text = if admin == Status::Ok {
        "admin from GIGCHECK_ADMIN_EMAIL/_PASSWORD".to_string()
    } else {
        "no admin: set GIGCHECK_ADMIN_EMAIL and GIGCHECK_ADMIN_PASSWORD (admin scenarios are skipped)"
            .to_string()
    };
    r.add(
        "accounts",
        admin,
        format!(
            "{}; {}; {admin_text}",
            who("user_email", "customer"),
            who("user2_email", "second customer")
        ),
    );
}

fn stripe(env: &Environment, r: &mut Readiness) {
    match env.vars.get("stripe_url").and_then(Value::as_str) {
        Some(url) => r.add(
            "stripe",
            Status::Ok,
            format!(
                "the emulator at {url}, which the backend must call (its stripe.api_base); the payment scenarios check that it does, once"
            ),
        ),
        None => r.add(
            "stripe",
            Status::Fail,
            "no emulator: pass --stripe-emulator PORT (or set GIGCHECK_STRIPE_URL); payment scenarios are skipped",
        ),
    }
}

fn hooks(env: &Environment, r: &mut Readiness) {
    let set = |h: &str| env.hooks.contains_key(h);
    if set("db_down") && set("db_up") {
        r.add("database hooks", Status::Ok, "db_down and db_up are set");
    } else {
        r.add(
            "database hooks",
            Status::Note,
            "not set: the outage scenarios are skipped (GIGCHECK_DB_DOWN_CMD and GIGCHECK_DB_UP_CMD, e.g. `docker stop giggatek-db`)",
        );
    }
}

/// The admin logs in, and the answer says it is an admin.
async fn admin(client: &Client<'_>, env: &Environment, r: &mut Readiness) {
    let (Some(email), Some(password)) =
        (env.vars.get("admin_email"), env.vars.get("admin_password"))
    else {
        return;
    };
    let body = json!({"email": email, "password": password});
    match client.send("POST", "/api/auth/login", Some(body), None).await {
        Ok(answer) if answer.status == 200 => {
            let flag = json_of(&answer).and_then(|b| b.pointer("/user/is_admin").cloned());
            let is_admin = matches!(flag, Some(Value::Bool(true))) || flag == Some(json!(1));
            if is_admin {
                r.add("admin", Status::Ok, "logs in, and is an admin");
            } else {
                r.add(
                    "admin",
                    Status::Fail,
                    format!(
                        "logs in, but is not an admin (is_admin: {}): give an admin account in GIGCHECK_ADMIN_EMAIL",
                        flag.map_or_else(|| "absent".to_string(), |v| v.to_string())
                    ),
                );
            }
        }
        Ok(answer) => r.add(
            "admin",
            Status::Fail,
            format!(
                "cannot log in: POST /api/auth/login → {}; check GIGCHECK_ADMIN_EMAIL and GIGCHECK_ADMIN_PASSWORD",
                answer.status
            ),
        ),
        Err(e) => r.add("admin", Status::Fail, e),
    }
}

/// A customer's token for the Stripe check: the given account's, else one signed up for it.
async fn customer_token(
    client: &Client<'_>,
    env: &Environment,
    r: &mut Readiness,
) -> Option<String> {
    let (path, body, what) = if given(env, "user_email") {
        (
            "/api/auth/login",
            json!({"email": env.vars["user_email"], "password": env.vars.get("user_password")}),
            "the given customer logs in",
        )
    } else {
        let email = format!(
            "doctor+{}@gigcheck.example.com",
            uuid::Uuid::new_v4().simple()
        );
        (
            "/api/auth/register",
            json!({"email": email, "password": "Qa!Passw0rd-2026", "first_name": "Gigcheck", "last_name": "Doctor"}),
            "a customer signs up (one sign-up, for the Stripe check)",
        )
    };
    match client.send("POST", path, Some(body), None).await {
        Ok(answer) if (200..300).contains(&answer.status) => {
            r.add("customer", Status::Ok, what);
            json_of(&answer)
                .and_then(|b| b.get("token").and_then(Value::as_str).map(str::to_string))
        }
        Ok(answer) => {
            r.add(
                "customer",
                Status::Fail,
                format!("{what}: POST {path} → {}", answer.status),
            );
            None
        }
        Err(e) => {
            r.add("customer", Status::Fail, e);
            None
        }
    }
}

/// The given second customer logs in.
async fn second_customer(client: &Client<'_>, env: &Environment, r: &mut Readiness) {
    let body =
        json!({"email": env.vars["user2_email"], "password": env.vars.get("user2_password")});
    match client.send("POST", "/api/auth/login", Some(body), None).await {
        Ok(answer) if answer.status == 200 => {
            r.add("second customer", Status::Ok, "the given second customer logs in")
        }
        Ok(answer) => r.add(
            "second customer",
            Status::Fail,
            format!(
                "the given second customer cannot log in: POST /api/auth/login → {}; check GIGCHECK_USER2_EMAIL and GIGCHECK_USER2_PASSWORD",
                answer.status
            ),
        ),
        Err(e) => r.add("second customer", Status::Fail, e),
    }
}

/// An intent created through the backend is at the emulator.
async fn stripe_wiring(client: &Client<'_>, env: &Environment, token: &str, r: &mut Readiness) {
    let Some(stripe) = env.vars.get("stripe_url").and_then(Value::as_str) else {
        return;
    };
    let body = json!({"amount": 100, "currency": "usd", "description": "gigcheck doctor"});
    let created = client
        .send(
            "POST",
            "/api/payment/create-payment-intent",
            Some(body),
            Some(token),
        )
        .await;
    let id = match &created {
        Ok(answer) if answer.status == 200 => json_of(answer).and_then(|b| {
            let pi = b.get("payment_intent")?;
            pi.as_str()
                .or_else(|| pi.get("id").and_then(Value::as_str))
                .map(str::to_string)
        }),
        _ => None,
    };
    let Some(id) = id else {
        let what = match created {
            Ok(answer) => format!("→ {}", answer.status),
            Err(e) => e,
        };
        r.add(
            "stripe calls",
            Status::Fail,
            format!("POST /api/payment/create-payment-intent {what}: no intent to look for"),
        );
        return;
    };
    let key = env
        .vars
        .get("stripe_audit_key")
        .and_then(Value::as_str)
        .unwrap_or("sk_test_gigcheck_auditor");
    let url = format!("{}/v1/payment_intents/{id}", stripe.trim_end_matches('/'));
    match client.send_url("GET", &url, key).await {
        Ok(answer) if answer.status == 200 => r.add(
            "stripe calls",
            Status::Ok,
            "an intent created through the backend is at the emulator",
        ),
        Ok(answer) => r.add(
            "stripe calls",
            Status::Fail,
            format!(
                "the backend created {id}, but the emulator at {stripe} does not know it (GET → {}): the backend calls another Stripe; point its stripe.api_base (e.g. STRIPE_API_BASE) at {stripe}",
                answer.status
            ),
        ),
        Err(e) => r.add("stripe calls", Status::Fail, e),
    }
}

fn json_of(answer: &Incoming) -> Option<Value> {
    serde_json::from_slice(&answer.body).ok()
}

/// Requests to the target, redirects followed as in a run; cookies kept between probes in a jar
/// of their own, as a browser session would.
struct Client<'a> {
    http: &'a Http,
    base: &'a url::Url,
    timeout: Duration,
    jar: CookieJar,
}

impl<'a> Client<'a> {
    fn new(t: &Target<'a>) -> Client<'a> {
        Client {
            http: t.http,
            base: t.base,
            timeout: t.timeout,
            jar: CookieJar::default(),
        }
    }

    async fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        token: Option<&str>,
    ) -> Result<Incoming, String> {
        let url = crate::engine::request::resolve_url(path, Some(self.base))
            .map_err(|e| e.to_string())?;
        let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
        if body.is_some() {
            headers.push(("Content-Type".into(), "application/json".into()));
        }
        if let Some(token) = token {
            headers.push(("Authorization".into(), format!("Bearer {token}")));
        }
        self.go(
            method,
            url,
            headers,
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
    }

    async fn send_url(&self, method: &str, url: &str, key: &str) -> Result<Incoming, String> {
        let url = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let headers = vec![("Authorization".to_string(), format!("Bearer {key}"))];
        self.go(method, url, headers, None).await
    }

    async fn go(
        &self,
        method: &str,
        url: url::Url,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    ) -> Result<Incoming, String> {
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|e| format!("bad method {method}: {e}"))?;
        let shown = format!("{method} {}", url.path());
        let outgoing = Outgoing {
            method,
            url,
            headers,
            body,
            timeout: self.timeout,
        };
        crate::engine::redirect::send(self.http, &self.jar, outgoing, true, |_| {})
            .await
            .result
            .map_err(|e| format!("{shown}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, content_type: &str) -> Incoming {
        Incoming {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn a_missing_route_is_told_from_a_missing_object() {
        assert!(route_missing(
            "/api/addresses",
            &answer(404, "application/json")
        ));
        assert!(route_missing("/api/orders/{id}", &answer(404, "text/html")));
        assert!(route_missing("/api/orders", &answer(405, "text/html")));
        assert!(!route_missing(
            "/api/orders/{id}",
            &answer(404, "application/json")
        ));
        assert!(!route_missing(
            "/api/orders",
            &answer(401, "application/json")
        ));
        assert!(!route_missing(
            "/api/orders",
            &answer(405, "application/json")
        ));
    }
}
