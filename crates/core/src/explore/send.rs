//! Sending one drawn request: made concrete from the world (ids, body, token), sent with its
//! redirects followed, and its answer judged — for the exploration's requests and for shrinking
//! their examples alike.

use super::cases::{self, Body, Caller, Case};
use super::found::{Cause, Finding, PASSWORD, Prepared, Replay};
use super::operations::Operation;
use super::verdict::{Answer, Check, Judge, excerpt};
use super::world::World;
use crate::engine::http::{Http, Outgoing};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
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
    /// How the lifecycle walks pay, when the target's Stripe can be reached.
    pub payment: Option<Payment>,
}

/// How a walk pays: Stripe's API as a browser's Stripe.js reaches it.
#[derive(Debug, Clone)]
pub struct Payment {
    /// Stripe's API (the emulator, or Stripe's test mode).
    pub stripe_api: url::Url,
    /// The publishable key a browser confirms a payment with.
    pub publishable_key: String,
    /// A payment method that succeeds (`pm_card_visa`).
    pub card: String,
    /// A payment method that is declined, if known (`pm_card_chargeDeclined`).
    pub declined_card: Option<String>,
    /// A secret key to read the refunds Stripe made, if known.
    pub audit_key: Option<String>,
}

/// What every request of one exploration shares.
pub(super) struct Shared {
    pub(super) ops: Vec<Operation>,
    pub(super) doc: Arc<Value>,
    pub(super) judge: Judge,
    pub(super) world: Mutex<World>,
    pub(super) causes: Mutex<BTreeMap<(Check, String), Cause>>,
    pub(super) next: AtomicU64,
    /// The requests sent before the drawn ones (the walks): they count against the budget.
    pub(super) walked: AtomicU64,
    /// The first drawn requests, made rather than drawn ([`cases::crossed`]).
    pub(super) first: Vec<Case>,
    pub(super) sent: AtomicU64,
    pub(super) http: Http,
    pub(super) opts: Options,
    pub(super) deadline: Option<Instant>,
}

impl Shared {
    /// `path` (`/api/orders`) under the base URL, which may have a path of its own.
    pub(super) fn url(&self, path: &str) -> url::Url {
        let mut url = self.opts.base.clone();
        url.set_path(&format!(
            "{}{path}",
            self.opts.base.path().trim_end_matches('/')
        ));
        url
    }

    /// Sends one request, following same-origin redirects as a browser does.
    pub(super) async fn send(
        &self,
        method: &str,
        url: url::Url,
        headers: Vec<(String, String)>,
        body: Option<Vec<u8>>,
    ) -> Result<crate::engine::http::Incoming, crate::engine::http::SendError> {
        let outgoing = Outgoing {
            method: reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
            url,
            headers,
            body,
            timeout: self.opts.timeout,
        };
        let jar = crate::engine::http::CookieJar::default();
        crate::engine::redirect::send(&self.http, &jar, outgoing, true, |_| {})
            .await
            .result
    }

    /// One JSON request outside the drawn ones (setup, walks, checks afterwards): its JSON
    /// answer when the status is the one wanted.
    pub(super) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        want: u16,
    ) -> Result<Value, String> {
        let (status, value, text) = self.call_any(method, path, token, body).await?;
        if status != want {
            return Err(format!(
                "{method} {path} answered {status} {}, not {want}",
                excerpt(&text)
            ));
        }
        Ok(value)
    }

    /// [`Shared::call`] whatever the status: status, JSON (null when it is not), and text.
    pub(super) async fn call_any(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Result<(u16, Value, String), String> {
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut url = self.url(path);
        if !query.is_empty() {
            url.set_query(Some(query));
        }
        let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
        if let Some(token) = token {
            headers.push(("Authorization".to_string(), format!("Bearer {token}")));
        }
        let incoming = self
            .send(
                method,
                url,
                headers,
                body.map(|b| b.to_string().into_bytes()),
            )
            .await
            .map_err(|e| format!("{method} {path}: {e}"))?;
        let text = String::from_utf8_lossy(&incoming.body).to_string();
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((incoming.status, value, text))
    }

    /// Adds a finding to its cause: `(check, route)`, or `(check, across)` for a way of
    /// answering (or a rule) that does not depend on the route.
    pub(super) fn record(
        &self,
        check: Check,
        route: &str,
        across: Option<String>,
        finding: Finding,
    ) {
        let mut causes = self.causes.lock().unwrap_or_else(PoisonError::into_inner);
        // A walk's example is as big as its steps.
        let size = |f: &Finding| {
            f.body.as_ref().map_or(0, String::len)
                + f.request.len()
                + f.script.as_ref().map_or(0, |s| s.len() * 1000)
        };
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
        // The example a spec can be made of wins; then the smallest.
        let saveable = |f: &Finding| f.replay.is_some() || f.script.is_some();
        let better = match (saveable(&finding), saveable(&cause.example)) {
            (true, false) => true,
            (false, true) => false,
            _ => size(&finding) < size(&cause.example),
        };
        if better {
            cause.example = finding;
            cause.route = route.to_string();
        }
    }
}

/// The case made concrete from the world: ids, body, token.
pub(super) fn prepare(shared: &Shared, case: &Case, pick: usize) -> Prepared {
    let op = &shared.ops[case.op];
    let mut what = case.what.clone();
    let mut case = case.clone();
    let world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
    let nothing_to_change = match &case.body {
        Body::Others { field, .. } => !world.has_others_for(case.op, field.as_deref()),
        Body::Unknown { field, .. } => !world.has_linked(case.op, field),
        _ => false,
    };
    if nothing_to_change {
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
    let route = match (case.method, case.suffix) {
        (None, None) => op.route.clone(),
        (method, suffix) => format!(
            "{} {}{}",
            method.unwrap_or(op.method.as_str()),
            op.path,
            suffix.unwrap_or_default()
        ),
    };
    Prepared {
        path: format!("{}{}", op.path_with(&id), case.suffix.unwrap_or_default()),
        body: world.fill(case.op, op, &case.body, pick),
        route,
        token,
        what,
        case,
    }
}

/// What was sent, as findings show it.
struct Shown {
    request: String,
    body: Option<String>,
}

/// Sends the prepared request (following same-origin redirects) and says what it was.
async fn exchange(
    shared: &Shared,
    p: &Prepared,
) -> (
    Shown,
    Result<crate::engine::http::Incoming, crate::engine::http::SendError>,
) {
    let op = &shared.ops[p.case.op];
    let method = p.method(op);
    let mut url = shared.url(&p.path);
    if !p.case.query.is_empty() {
        url.query_pairs_mut().extend_pairs(&p.case.query);
    }
    let (bytes, content_type) = match &p.body {
        Body::Empty => (None, None),
        Body::Json { value, .. }
        | Body::Mutated { valid: value, .. }
        | Body::Others { valid: value, .. }
        | Body::Taken { valid: value }
        | Body::Unknown { valid: value, .. }
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
    if let Some(token) = &p.token {
        headers.push(("Authorization".to_string(), format!("Bearer {token}")));
    }
    let redactor = &shared.opts.redactor;
    let shown = Shown {
        request: redactor.text(&format!("{method} {url}")),
        body: bytes
            .as_ref()
            .map(|b| excerpt(&redactor.body(&String::from_utf8_lossy(b)))),
    };
    if let Some(log) = &shared.opts.log {
        log(format!(
            "{} {}{}",
            method,
            url.as_str()
                .trim_start_matches(shared.opts.base.as_str().trim_end_matches('/')),
            shown
                .body
                .as_ref()
                .map(|b| format!(" {b}"))
                .unwrap_or_default()
        ));
    }
    (shown, shared.send(method, url, headers, bytes).await)
}

/// What broke: the check, the finding, and the key that groups it (`None`: by route).
pub(super) type Verdict = (Check, Finding, Option<String>);

/// Sends the prepared request and judges the answer; the answer too, for what it teaches.
pub(super) async fn try_once(shared: &Shared, p: &Prepared) -> (Option<Verdict>, Option<Value>) {
    let op = &shared.ops[p.case.op];
    let (shown, mut result) = exchange(shared, p).await;
    if result.is_err() && p.case.want != cases::Want::Exactly(413) {
        // A pooled connection the server had closed (after a body too large, say) breaks under
        // the next request: that says nothing of this one, which is sent once more.
        result = exchange(shared, p).await.1;
    }
    let redactor = &shared.opts.redactor;
    let replay = replay_of(shared, op, p);
    let finding = |message: String| Finding {
        what: p.what.clone(),
        request: shown.request.clone(),
        body: shown.body.clone(),
        message: redactor.text(&message),
        replay: Some(replay.clone()),
        prepared: Some(p.clone()),
        script: None,
    };
    let incoming = match result {
        Ok(incoming) => incoming,
        // A server may refuse a body too large by answering and closing before reading it all;
        // the connection then breaks under the rest of the body.
        Err(_) if p.case.want == cases::Want::Exactly(413) => return (None, None),
        Err(e) => {
            let found = finding(format!("no answer: {e}"));
            return (Some((Check::ServerError, found, None)), None);
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
    let verdict = shared
        .judge
        .judge(op, &p.case, &answer, missing.as_ref())
        .map(|(check, message)| {
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
            (check, found, across)
        });
    let learnt = ((p.case.method, p.case.suffix) == (None, None)
        && (200..300).contains(&incoming.status))
    .then(|| serde_json::from_slice::<Value>(&incoming.body).ok())
    .flatten();
    (verdict, learnt)
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
fn replay_of(shared: &Shared, op: &Operation, p: &Prepared) -> Replay {
    use Replay;
    let world = shared.world.lock().unwrap_or_else(PoisonError::into_inner);
    let (case, body, token) = (&p.case, &p.body, p.token.as_deref());
    let others =
        matches!(case.id, cases::PathId::Others) || matches!(case.body, Body::Others { .. });
    let id = match &case.id {
        cases::PathId::Literal(text) => text.clone(),
        cases::PathId::Others => "{{others_order_id}}".into(),
        cases::PathId::Own if op.path.starts_with("/api/orders") => "{{order_id}}".into(),
        // The id sent, at the place of `{id}` in the route's path (a catalogue product's).
        cases::PathId::Own => op
            .path
            .split('/')
            .zip(p.path.split('/'))
            .find(|(pattern, _)| pattern.starts_with('{'))
            .map(|(_, sent)| sent.to_string())
            .unwrap_or_default(),
    };
    // The exploration's own customer and sign-ups become the spec's.
    let tagged = format!("+{}@example.com", world.tag);
    let own = |text: &str| -> String {
        let text = text
            .replace(&world.customer.email, "{{email}}")
            .replace(&world.customer.password, PASSWORD);
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
                    if matches!(&case.body, Body::Unknown { field, .. } if field == key) {
                        // The id nobody has is the point: it is sent as it is.
                        continue;
                    }
                    if key.ends_with("address_id") && slot.is_i64() {
                        let theirs = match &case.body {
                            Body::Others { field: Some(f), .. } => f == key,
                            _ => others,
                        };
                        let address = if theirs {
                            "{{others_address_id}}"
                        } else {
                            "{{address_id}}"
                        };
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
        method: p.method(op).to_string(),
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
