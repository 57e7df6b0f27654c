//! A finding written as a spec that `gigcheck run` runs: the accounts, address and order the
//! request needs are made by steps of its own, the request is the one that broke the contract
//! (its ids replaced by what those steps capture), and its checks say what the contract wants
//! there, so the spec fails while the backend misbehaves and passes once it is fixed.

use super::cases::{Caller, Want};
use super::found::{Cause, PASSWORD, Replay};
use super::verdict::Check;
use crate::yaml::write::{Node, render};
use serde_json::{Map, Value, json};

/// The file name and text of the spec reproducing `cause`, or `None` for a cause no single
/// request shows (a broken invariant).
pub fn spec(cause: &Cause, seed: u64) -> Option<(String, String)> {
    if let Some(script) = &cause.example.script {
        return walk(cause, script, seed);
    }
    let replay = cause.example.replay.as_ref()?;
    if cause.check == Check::Invariant {
        return None;
    }
    let mut last = the_request(cause, replay);
    if let Some(caller @ (Caller::Expired | Caller::NoExpiry)) = replay.caller {
        // Signed with the deployment's key (the `jwt_secret` variable) as the customer.
        let mut claims = json!({ "user_id": "{{user_id}}", "is_admin": false });
        if caller == Caller::Expired {
            claims["exp"] = json!("{{unix_time | minus(3600)}}");
        }
        last["vars"] = json!({ "claims": claims });
    }
    if let Some(Want::Exactly(413)) = replay.want {
        last["vars"] = json!({ "pad": "x" });
    }
    // Only the steps the request stands on: an account for a token, an address or an order
    // only when their ids are in it.
    let uses = last.to_string();
    let forged = replay.bearer.is_some();
    let mut steps = account("", &uses, replay.product, forged);
    if replay.others {
        steps.extend(account("others_", &uses, replay.product, false));
    }
    if replay.caller == Some(Caller::Admin) {
        steps.push(admin_login());
    }
    steps.push(last);
    suite(cause, steps, false, seed)
}

/// A walk's finding as a spec: an account and address of its own, the administrator when the
/// walk used one, then the walk's calls up to the one whose assertion is the broken rule.
fn walk(cause: &Cause, script: &[Value], seed: u64) -> Option<(String, String)> {
    let uses = Value::Array(script.to_vec()).to_string();
    let mut steps = account("", &uses, None, false);
    if uses.contains("{{admin_token}}") {
        steps.push(admin_login());
    }
    steps.extend(script.iter().cloned());
    // The publishable key, the cards and the auditor's key are the project's Stripe fixtures.
    let stripe = uses.contains("{{stripe_");
    suite(cause, steps, stripe, seed)
}

fn admin_login() -> Value {
    json!({
        "name": "The administrator logs in",
        "precondition": true,
        "request": { "method": "POST", "url": "/api/auth/login",
            "json": { "email": "{{admin_email}}", "password": "{{admin_password}}" } },
        "expect": { "status": 200 },
        "capture": { "admin_token": "$.token" },
    })
}

/// The file name and text of a one-scenario suite of `steps` for `cause`.
fn suite(cause: &Cause, steps: Vec<Value>, stripe: bool, seed: u64) -> Option<(String, String)> {
    let name = format!("explore: {} on {}", cause.check.name(), cause.route);
    let mut suite = json!({ "name": name });
    if stripe {
        suite["fixtures"] = json!(["stripe.yaml"]);
    }
    suite["scenarios"] = json!([{ "name": cause.example.what, "steps": steps }]);
    let header = vec![
        format!(
            "Found by `gigcheck explore --seed {seed}`: {} on {}.",
            cause.check.name(),
            cause.route
        ),
        format!("{} ({}×)", cause.example.message, cause.count),
        "It fails while the backend does this, and passes once it keeps the contract.".into(),
    ];
    let Node::Map(entries) = Node::from_json(&suite) else {
        return None;
    };
    let file = format!("{}--{}.yaml", slug(cause.check.name()), slug(&cause.route));
    Some((file, render(&header, &entries)))
}

/// Steps that sign up a customer (`prefix` names their variables) with an address and an order,
/// when the request acts as them: it names one of their variables (`uses` is the request as
/// text), or `forged` (a forged token names the customer's id, which a fresh backend gives the
/// spec's own customer). A request that acts as nobody gets none. The address and order stay
/// even when the request does not name them: what it reads may show the fault only with them
/// (a list's schema, with an order in it).
fn account(prefix: &str, uses: &str, product: Option<i64>, forged: bool) -> Vec<Value> {
    let names = |var: &str| uses.contains(&format!("{{{{{prefix}{var}"));
    let acts = forged
        || ["token", "user_id", "email", "address_id", "order_id"]
            .iter()
            .any(|var| names(var));
    if !acts {
        return Vec::new();
    }
    let who = if prefix.is_empty() {
        "A customer"
    } else {
        "Another customer"
    };
    let token = format!("{{{{{prefix}token}}}}");
    let address = format!("{{{{{prefix}address_id}}}}");
    let mut steps = vec![
        json!({
            "name": format!("{who} of its own"),
            "precondition": true,
            "request": { "method": "POST", "url": "/api/auth/register",
                "json": { "email": "{{unique_email}}", "password": PASSWORD, "first_name": "Explore", "last_name": "Repro" } },
            "expect": { "status": 201 },
            "capture": { format!("{prefix}token"): "$.token", format!("{prefix}user_id"): "$.user.id",
                format!("{prefix}email"): "$.user.email" },
        }),
        json!({
            "name": format!("{who}'s address"),
            "precondition": true,
            "request": { "method": "POST", "url": "/api/addresses", "bearer": token,
                "json": { "first_name": "Explore", "last_name": "Repro", "street_address": "1 Main St",
                    "city": "Austin", "state": "TX", "zip_code": "78701", "country": "US" } },
            "expect": { "status": 201 },
            "capture": { format!("{prefix}address_id"): "$.address.id" },
        }),
    ];
    if let Some(product) = product {
        steps.push(json!({
            "name": format!("{who}'s order"),
            "precondition": true,
            "request": { "method": "POST", "url": "/api/orders", "bearer": token,
                "json": { "items": [{ "product_id": product, "quantity": 1 }],
                    "shipping_address_id": address, "billing_address_id": address, "shipping_method": "standard" } },
            "expect": { "status": 201 },
            "capture": { format!("{prefix}order_id"): "$.order.id" },
        }));
    }
    steps
}

/// The request that broke the contract, with what the contract wants of its answer.
fn the_request(cause: &Cause, r: &Replay) -> Value {
    let mut request = Map::new();
    request.insert("method".into(), json!(r.method));
    request.insert("url".into(), json!(r.path));
    if !r.query.is_empty() {
        let query: Map<String, Value> =
            r.query.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        request.insert("query".into(), Value::Object(query));
    }
    match (r.caller, &r.bearer) {
        (_, Some(literal)) => {
            request.insert("bearer".into(), json!(literal));
        }
        (Some(Caller::Customer), _) => {
            request.insert("bearer".into(), json!("{{token}}"));
        }
        (Some(Caller::Admin), _) => {
            request.insert("bearer".into(), json!("{{admin_token}}"));
        }
        (Some(Caller::Expired | Caller::NoExpiry), _) => {
            request.insert("bearer".into(), json!("{{claims | jwt}}"));
        }
        _ => {}
    }
    match &r.json {
        Some(object @ Value::Object(_)) => {
            request.insert("json".into(), object.clone());
        }
        // A body that is not an object is sent as its JSON text (`json: null` would be no body).
        Some(other) => {
            request.insert("body".into(), json!(other.to_string()));
            request.insert(
                "headers".into(),
                json!({ "Content-Type": "application/json" }),
            );
        }
        None => {}
    }
    if let Some((text, content_type)) = &r.raw {
        request.insert("body".into(), json!(text));
        request.insert("headers".into(), json!({ "Content-Type": content_type }));
    }
    let mut expect = Map::new();
    let status = match r.want {
        Some(Want::Exactly(n)) => json!(n),
        Some(Want::Unauthorized) => json!(401),
        Some(Want::Forbidden) => json!(403),
        Some(Want::Refusal) => json!("4xx"),
        Some(Want::Success) => json!("2xx"),
        Some(Want::Missing) => json!(404),
        Some(Want::LikeMissing) => match &r.missing {
            Some((status, _)) => json!(status),
            None => json!(404),
        },
        _ => {
            let fine: Vec<u16> = r
                .answers
                .iter()
                .copied()
                .filter(|s| *s < 500 || matches!(s, 502 | 503))
                .collect();
            json!(fine)
        }
    };
    match (&r.schema, cause.check) {
        (Some((seen, schema)), Check::ResponseSchema) => {
            expect.insert("status".into(), json!(seen));
            expect.insert("schema".into(), json!(schema));
        }
        _ => {
            expect.insert("status".into(), status);
        }
    }
    if let (Some(Want::LikeMissing), Some((_, Some(message)))) = (r.want, &r.missing) {
        expect.insert("body".into(), json!({ "$.error": message }));
    }
    if matches!(cause.check, Check::ContentType | Check::Convention) {
        expect.insert(
            "headers".into(),
            json!({ "content-type": { "matches": "^application/json" } }),
        );
    }
    if let (Check::Leak, Some(leak)) = (cause.check, &r.leak) {
        expect.insert("text".into(), json!({ "not_matches": leak }));
    }
    json!({
        "name": format!("{} ({})", cause.example.what, cause.check.name()),
        "request": request,
        "expect": expect,
    })
}

/// `GET /api/orders/{id}` → `get-api-orders-id`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}
