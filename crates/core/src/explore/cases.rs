//! What to send: each request of an exploration is drawn from its index and the seed alone, so
//! one seed gives the same requests whatever order the answers come in. Ids that only the target
//! knows (a real order, a real address) are filled in when the request is sent, from what
//! earlier answers said ([`super::world::World`]).

use super::generate::{Expect, Generator};
use super::operations::Operation;
use crate::contract::Auth;
use serde_json::{Value, json};

/// Who a request is sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The first customer, who owns the exploration's orders.
    Customer,
    /// The administrator, when the target has one.
    Admin,
    /// No `Authorization` header.
    Nobody,
    /// A bearer value that is not a token.
    Garbage,
    /// The customer's token with its header saying `alg: none` and no signature.
    AlgNone,
    /// The customer's token with one character of its signature changed.
    Tampered,
    /// A token signed with the deployment's key whose `exp` has passed (when the key is known).
    Expired,
    /// A token signed with the deployment's key without an `exp` (when the key is known).
    NoExpiry,
}

/// What the answer must be, beyond the checks every answer gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Anything the contract allows.
    Allowed,
    /// A 2xx: the data is valid and the call depends on nothing that could refuse it.
    Success,
    /// A 4xx: the data is invalid.
    Refusal,
    /// 401: no valid token.
    Unauthorized,
    /// 403: a customer on an administrator's route.
    Forbidden,
    /// What a missing id gets: another customer's resource.
    LikeMissing,
    /// 404: an id that does not exist, on a route that documents 404.
    Missing,
    /// Exactly this status, whatever the route documents (an unknown route's 404, a wrong
    /// method's 405, a body too large's 413).
    Exactly(u16),
}

/// An id no resource has (well inside 32 bits, so no backend refuses it as too large).
pub const MISSING_ID: &str = "2147483000";

/// The id a path parameter gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathId {
    /// A real one the exploration made or found (its own order, a catalogue product).
    Own,
    /// The other customer's order.
    Others,
    /// This text, as it is (`abc`, `-1`).
    Literal(String),
}

/// The body a request carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    /// None.
    Empty,
    /// JSON, with fields the world fills in when `fill` is set.
    Json {
        /// The value.
        value: Value,
        /// Whether ids and credentials are taken from the world (a valid request).
        fill: bool,
    },
    /// A valid value, filled in like a valid request's, then changed by one mutation: the one
    /// thing wrong with it is the mutation, not a made-up id.
    Mutated {
        /// The valid value.
        valid: Value,
        /// The change.
        mutation: super::generate::Mutation,
    },
    /// A valid value, filled in, sent under another Content-Type.
    Typed {
        /// The valid value.
        valid: Value,
        /// The Content-Type it is sent as.
        content_type: &'static str,
    },
    /// A valid value filled in, with `field` (an id a link fills) changed to one that does not
    /// exist.
    Unknown {
        /// The valid value.
        valid: Value,
        /// The id field.
        field: String,
    },
    /// A valid value filled in, with the customer's own email, which is taken.
    Taken {
        /// The valid value.
        valid: Value,
    },
    /// A valid value filled in with the other customer's ids (their address, their intent).
    Others {
        /// The valid value.
        valid: Value,
        /// The one field that gets theirs (`None`: every field they have a value for).
        field: Option<String>,
    },
    /// These bytes under this Content-Type.
    Raw(Vec<u8>, &'static str),
}

/// One request to send.
#[derive(Debug, Clone)]
pub struct Case {
    /// Index into the operations.
    pub op: usize,
    /// What this request tries, for a person.
    pub what: String,
    /// Who sends it.
    pub caller: Caller,
    /// The path parameter.
    pub id: PathId,
    /// Query parameters, as sent.
    pub query: Vec<(String, String)>,
    /// The query parameter the request is about (a changed one): shrinking keeps it.
    pub focus: Option<String>,
    /// The body.
    pub body: Body,
    /// What the answer must be.
    pub want: Want,
    /// Another method than the route's (`None`: the route's).
    pub method: Option<&'static str>,
    /// Appended to the path (an unknown route under a known one).
    pub suffix: Option<&'static str>,
}

/// The requests an exploration sends first, one of each on every operation they apply to: another
/// customer's order in the path, their ids in the body, no token, and a customer on an
/// administrator's route. Drawn at random they would come late, or not at all, for a route whose
/// body is rarely valid enough to reach the ownership check.
pub fn crossed(doc: &Value, ops: &[Operation], seed: u64) -> Vec<Case> {
    let mut cases = Vec::new();
    for (op_index, op) in ops.iter().enumerate() {
        for crossing in [
            Try::OthersId,
            Try::OthersIds,
            Try::MissingId,
            Try::TakenEmail,
            Try::NoToken,
            Try::CustomerOnAdmin,
        ] {
            if !options(op).contains(&crossing) {
                continue;
            }
            let index = cases.len() as u64;
            let mut g = Generator::new(doc, seed ^ !index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let base = valid(op, op_index, &mut g);
            let case = apply(op, base, crossing, &mut g);
            if let (Try::OthersIds, Body::Others { valid, .. }) = (crossing, &case.body) {
                // One of their ids at a time, in the smallest valid body: a check on one field
                // must not hide behind a refusal of another (their shipping address refused
                // because their billing one was, or an unpaid intent in an optional field).
                let required = op
                    .body
                    .as_ref()
                    .map(|schema| required_fields(&g, schema))
                    .unwrap_or_default();
                for field in linked_fields(ops, op) {
                    let mut valid = valid.clone();
                    if let Some(object) = valid.as_object_mut() {
                        object.retain(|k, _| required.contains(k) || *k == field);
                    }
                    let mut one = case.clone();
                    one.body = Body::Others {
                        valid: valid.clone(),
                        field: Some(field.clone()),
                    };
                    one.what = format!("another customer's {field} in the body");
                    cases.push(one);
                    // And an id of that kind nobody has.
                    let mut unknown = case.clone();
                    unknown.body = Body::Unknown {
                        valid: valid.clone(),
                        field: field.clone(),
                    };
                    unknown.what = format!("a {field} that does not exist");
                    cases.push(unknown);
                }
            } else {
                cases.push(case);
            }
        }
    }
    cases
}

/// The fields an object schema requires.
fn required_fields(g: &Generator<'_>, schema: &Value) -> Vec<String> {
    g.resolve(schema)
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// The body fields of `op` that the contract's links fill from other answers (an address id, an
/// intent id): the ids a customer could put someone else's in.
fn linked_fields(ops: &[Operation], op: &Operation) -> Vec<String> {
    let mut fields: Vec<String> = ops
        .iter()
        .flat_map(|o| o.links.values())
        .filter(|link| link.to == op.route)
        .flat_map(|link| link.body.keys().cloned())
        .collect();
    fields.sort();
    fields.dedup();
    fields
}

/// The `index`th request of an exploration drawn from `seed`.
pub fn draw(doc: &Value, ops: &[Operation], seed: u64, index: u64) -> Case {
    let op_index = (index % ops.len() as u64) as usize;
    let op = &ops[op_index];
    let mut g = Generator::new(doc, seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let roll = g.rng().u8(..100);
    let mut case = valid(op, op_index, &mut g);
    let valid_body = match &case.body {
        Body::Json { value, .. } => Some(value.clone()),
        _ => None,
    };
    if roll < 30 {
        case.want = Want::Allowed;
        if succeeds_when_valid(op) {
            // The smallest valid request must be accepted; an optional field may meet a rule
            // the schema cannot say (Stripe's minimum charge differs by currency).
            case.want = Want::Success;
            if let (Some(schema), Body::Json { value, .. }) = (&op.body, &mut case.body)
                && let Some(object) = value.as_object_mut()
            {
                let required = required_fields(&g, schema);
                object.retain(|k, _| required.contains(k));
            }
        }
        return case;
    }
    if roll < 65 {
        if let (Some(schema), Some(valid)) = (&op.body, &valid_body) {
            let mutations = g.mutations(schema, valid);
            if !mutations.is_empty() {
                let m = mutations[g.rng().usize(..mutations.len())].clone();
                case.what = m.what.clone();
                case.want = refusal(m.expect);
                case.body = Body::Mutated {
                    valid: valid.clone(),
                    mutation: m,
                };
                return case;
            }
        }
        if let Some((name, schema, _)) =
            (!op.query.is_empty()).then(|| &op.query[g.rng().usize(..op.query.len())])
        {
            let valid = g.valid(schema);
            let mutations: Vec<_> = g
                .mutations(schema, &valid)
                .into_iter()
                .filter(|m| query_mutation_counts(&m.value, schema, &g))
                .collect();
            if !mutations.is_empty() {
                let m = mutations[g.rng().usize(..mutations.len())].clone();
                case.query.retain(|(n, _)| n != name);
                case.query.push((name.clone(), query_text(&m.value)));
                case.focus = Some(name.clone());
                case.what = format!("query {name}: {}", m.what.trim_start_matches("the body: "));
                // An unknown value of an enumerated filter may just match nothing.
                let enumerated = g.resolve(schema).get("enum").is_some();
                case.want = if enumerated {
                    Want::Allowed
                } else {
                    refusal(m.expect)
                };
                return case;
            }
        }
    }
    special(op, case, &mut g)
}

/// A valid request of `op` as its own caller: values drawn for the query (the required ones,
/// and each optional one half of the time) and the body.
fn valid(op: &Operation, op_index: usize, g: &mut Generator<'_>) -> Case {
    let mut case = Case {
        op: op_index,
        what: "valid request".into(),
        caller: match op.auth {
            Some(Auth::Admin) => Caller::Admin,
            Some(Auth::User) => Caller::Customer,
            _ => Caller::Nobody,
        },
        id: PathId::Own,
        query: Vec::new(),
        focus: None,
        body: Body::Empty,
        want: Want::Allowed,
        method: None,
        suffix: None,
    };
    for (name, schema, required) in &op.query {
        if *required || g.rng().bool() {
            let value = g.valid(schema);
            case.query.push((name.clone(), query_text(&value)));
        }
    }
    if let Some(schema) = &op.body {
        case.body = Body::Json {
            value: g.valid(schema),
            fill: true,
        };
    }
    case
}

/// A request that goes round the data rather than through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Try {
    NoToken,
    Garbage,
    AlgNone,
    Tampered,
    Expired,
    NoExpiry,
    CustomerOnAdmin,
    OddId,
    OthersId,
    OthersIds,
    MissingId,
    TakenEmail,
    MalformedJson,
    AsText,
    TooLarge,
    WrongMethod,
    UnknownRoute,
}

/// The requests that go round the data: identities crossed and forged, odd path ids, broken
/// bodies, routes and methods the API does not have.
fn special(op: &Operation, case: Case, g: &mut Generator<'_>) -> Case {
    let options = options(op);
    let chosen = options[g.rng().usize(..options.len())];
    apply(op, case, chosen, g)
}

/// What can be tried on `op` beyond its data.
fn options(op: &Operation) -> Vec<Try> {
    let mut options = vec![Try::UnknownRoute, Try::WrongMethod];
    if op.signed_in() {
        options.extend([
            Try::NoToken,
            Try::Garbage,
            Try::AlgNone,
            Try::Tampered,
            Try::Expired,
            Try::NoExpiry,
        ]);
    }
    if op.auth == Some(Auth::Admin) {
        options.push(Try::CustomerOnAdmin);
    }
    if op.has_id() {
        options.push(Try::OddId);
        if op.documented.contains(&404) {
            options.push(Try::MissingId);
        }
        if op.auth == Some(Auth::User) {
            options.push(Try::OthersId);
        }
    }
    let json_body = op.body.is_some() && op.auth != Some(Auth::StripeSignature);
    // A public route that documents a conflict: signing up with an email already taken.
    if json_body && !op.signed_in() && op.documented.contains(&409) {
        options.push(Try::TakenEmail);
    }
    if json_body {
        options.extend([Try::MalformedJson, Try::AsText, Try::TooLarge]);
        if op.auth == Some(Auth::User) {
            options.push(Try::OthersIds);
        }
    }
    options
}

/// `case` turned into the request `chosen` tries.
fn apply(op: &Operation, mut case: Case, chosen: Try, g: &mut Generator<'_>) -> Case {
    let valid = match &case.body {
        Body::Json { value, .. } => value.clone(),
        _ => json!({}),
    };
    let unauthorized = |case: &mut Case, caller: Caller, what: &str| {
        case.caller = caller;
        case.what = what.into();
        case.want = Want::Unauthorized;
    };
    match chosen {
        Try::NoToken => unauthorized(&mut case, Caller::Nobody, "no Authorization header"),
        Try::Garbage => unauthorized(
            &mut case,
            Caller::Garbage,
            "a bearer value that is not a token",
        ),
        Try::AlgNone => unauthorized(
            &mut case,
            Caller::AlgNone,
            "the customer's token rewritten as alg none, unsigned",
        ),
        Try::Tampered => unauthorized(
            &mut case,
            Caller::Tampered,
            "the customer's token with its signature changed",
        ),
        Try::Expired => unauthorized(
            &mut case,
            Caller::Expired,
            "a token of the customer's that expired an hour ago",
        ),
        Try::NoExpiry => unauthorized(
            &mut case,
            Caller::NoExpiry,
            "a token of the customer's without an exp",
        ),
        Try::CustomerOnAdmin => {
            case.caller = Caller::Customer;
            case.what = "a customer's token on an administrator's route".into();
            case.want = Want::Forbidden;
        }
        Try::OddId => {
            const ODD_IDS: &[&str] = &["abc", "0", "-1", "1.5", "99999999999999999999", "%20"];
            let text = ODD_IDS[g.rng().usize(..ODD_IDS.len())];
            case.id = PathId::Literal(text.into());
            case.what = format!("path id {text:?}");
            case.want = Want::Refusal;
        }
        Try::TakenEmail => {
            if valid.get("email").is_some() {
                case.body = Body::Taken { valid };
                case.what = "an email already taken".into();
                case.want = Want::Exactly(409);
            }
        }
        Try::MissingId => {
            case.id = PathId::Literal(MISSING_ID.into());
            case.what = "an id that does not exist".into();
            case.want = Want::Missing;
        }
        Try::OthersId => {
            case.id = PathId::Others;
            case.what = "another customer's order".into();
            case.want = Want::LikeMissing;
        }
        Try::OthersIds => {
            case.body = Body::Others { valid, field: None };
            case.what = "another customer's ids in the body".into();
            case.want = Want::Refusal;
        }
        Try::MalformedJson => {
            case.body = Body::Raw(
                br#"{"items": [ {"product_id": 1, "#.to_vec(),
                "application/json",
            );
            case.what = "malformed JSON".into();
            case.want = Want::Refusal;
        }
        Try::AsText => {
            case.body = Body::Typed {
                valid,
                content_type: "text/plain",
            };
            case.what = "a JSON body sent as text/plain".into();
            case.want = Want::Refusal;
        }
        Try::TooLarge => {
            let filler = "x".repeat(1024 * 1024 + 1024);
            case.body = Body::Raw(
                json!({ "filler": filler }).to_string().into_bytes(),
                "application/json",
            );
            case.what = "a body over 1 MiB".into();
            case.want = Want::Exactly(413);
        }
        Try::WrongMethod => {
            const METHODS: &[&str] = &["DELETE", "PATCH", "PUT", "POST", "GET"];
            let taken: Vec<&str> = METHODS
                .iter()
                .copied()
                .filter(|m| !op.other_methods.iter().any(|o| o == m) && *m != op.method)
                .collect();
            if let Some(&method) = taken.get(g.rng().usize(..taken.len().max(1))) {
                case.method = Some(method);
                case.body = Body::Empty;
                case.what = format!("{method}, a method {} does not take", op.path);
                case.want = Want::Exactly(405);
            }
        }
        Try::UnknownRoute => {
            case.suffix = Some("/no-such/route");
            case.what = "a path the API does not have".into();
            case.want = Want::Exactly(404);
        }
    }
    case
}

fn refusal(expect: Expect) -> Want {
    match expect {
        Expect::Refused => Want::Refusal,
        Expect::Handled => Want::Allowed,
    }
}

/// Whether a valid request must succeed: nothing about the target's state can refuse it (no
/// path id, no payment that may fail, no stock that may run out) and the caller may make it.
fn succeeds_when_valid(op: &Operation) -> bool {
    !op.has_id()
        && matches!(op.auth, Some(Auth::None | Auth::User) | None)
        && !op.documented.contains(&402)
        && (!op.documented.contains(&409) || op.route.ends_with("/register"))
        && op.documented.iter().any(|s| (200..300).contains(s))
}

/// A query value as sent: text as it is, anything else as JSON text.
fn query_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a mutated query value is still a mutation once written as text (every query value
/// is text: `12345` for a string parameter is just the text "12345").
fn query_mutation_counts(value: &Value, schema: &Value, g: &Generator<'_>) -> bool {
    let schema = g.resolve(schema);
    let is_text = schema.get("type").and_then(Value::as_str) == Some("string")
        && schema.get("enum").is_none();
    !is_text && !value.is_null() && !value.is_array() && !value.is_object()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> (Value, Vec<Operation>) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let contract =
            crate::contract::Contract::load(&root.join("fixtures/contract.yaml")).unwrap();
        let doc = crate::openapi::document(
            &contract,
            &root.join("fixtures/schemas"),
            &crate::openapi::Info::default(),
        )
        .unwrap();
        let ops = super::super::operations::read(&contract, &doc);
        (doc, ops)
    }

    #[test]
    fn the_crossings_reach_every_route_and_each_linked_field_alone() {
        let (doc, ops) = project();
        let cases = crossed(&doc, &ops, 1);
        let on = |route: &str| -> Vec<&Case> {
            cases.iter().filter(|c| ops[c.op].route == route).collect()
        };
        // An order's body takes ids from three links: each is tried alone, as another
        // customer's, so a check on one cannot hide behind a refusal of another.
        let fields: Vec<Option<String>> = on("POST /api/orders")
            .iter()
            .filter_map(|c| match &c.body {
                Body::Others { field, .. } => Some(field.clone()),
                _ => None,
            })
            .collect();
        for field in [
            "billing_address_id",
            "payment_intent_id",
            "shipping_address_id",
        ] {
            assert!(
                fields.contains(&Some(field.to_string())),
                "{field} not crossed alone: {fields:?}"
            );
        }
        let detail = on("GET /api/orders/{id}");
        assert!(
            detail
                .iter()
                .any(|c| c.id == PathId::Others && c.want == Want::LikeMissing)
        );
        assert!(
            detail
                .iter()
                .any(|c| c.want == Want::Missing && c.id == PathId::Literal(MISSING_ID.into()))
        );
        assert!(
            detail
                .iter()
                .any(|c| c.caller == Caller::Nobody && c.want == Want::Unauthorized)
        );
        let status = on("PUT /api/orders/{id}/status");
        assert!(
            status
                .iter()
                .any(|c| c.caller == Caller::Customer && c.want == Want::Forbidden)
        );
        // Signing up with an email already taken must be the documented conflict.
        assert!(
            on("POST /api/auth/register")
                .iter()
                .any(|c| matches!(c.body, Body::Taken { .. }) && c.want == Want::Exactly(409))
        );
        // A public route without ids has nothing to cross.
        assert!(on("GET /api/products").is_empty());
        // The same seed makes the same crossings.
        let again = crossed(&doc, &ops, 1);
        assert_eq!(format!("{cases:?}"), format!("{again:?}"));
    }
}
