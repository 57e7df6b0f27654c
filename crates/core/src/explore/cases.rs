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
    /// Exactly this status, whatever the route documents (an unknown route's 404, a wrong
    /// method's 405, a body too large's 413).
    Exactly(u16),
}

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
    /// A valid value filled in with the other customer's ids (their address, their intent).
    Others {
        /// The valid value.
        valid: Value,
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
    /// The body.
    pub body: Body,
    /// What the answer must be.
    pub want: Want,
    /// Another method than the route's (`None`: the route's).
    pub method: Option<&'static str>,
    /// Appended to the path (an unknown route under a known one).
    pub suffix: Option<&'static str>,
}

/// The `index`th request of an exploration drawn from `seed`.
pub fn draw(doc: &Value, ops: &[Operation], seed: u64, index: u64) -> Case {
    let op_index = (index % ops.len() as u64) as usize;
    let op = &ops[op_index];
    let mut g = Generator::new(doc, seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let roll = g.rng().u8(..100);
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
    let valid_body = op.body.as_ref().map(|schema| g.valid(schema));
    if let Some(value) = &valid_body {
        case.body = Body::Json {
            value: value.clone(),
            fill: true,
        };
    }
    if roll < 30 {
        case.want = Want::Allowed;
        if succeeds_when_valid(op) {
            // The smallest valid request must be accepted; an optional field may meet a rule
            // the schema cannot say (Stripe's minimum charge differs by currency).
            case.want = Want::Success;
            if let (Some(schema), Body::Json { value, .. }) = (&op.body, &mut case.body)
                && let Some(object) = value.as_object_mut()
            {
                let required: Vec<String> = g
                    .resolve(schema)
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default();
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

/// The requests that go round the data: identities crossed and forged, odd path ids, broken
/// bodies, routes and methods the API does not have.
fn special(op: &Operation, mut case: Case, g: &mut Generator<'_>) -> Case {
    #[derive(Clone, Copy)]
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
        MalformedJson,
        AsText,
        TooLarge,
        WrongMethod,
        UnknownRoute,
    }
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
        if op.auth == Some(Auth::User) {
            options.push(Try::OthersId);
        }
    }
    let json_body = op.body.is_some() && op.auth != Some(Auth::StripeSignature);
    if json_body {
        options.extend([Try::MalformedJson, Try::AsText, Try::TooLarge]);
        if op.auth == Some(Auth::User) {
            options.push(Try::OthersIds);
        }
    }
    let valid = match &case.body {
        Body::Json { value, .. } => value.clone(),
        _ => json!({}),
    };
    let unauthorized = |case: &mut Case, caller: Caller, what: &str| {
        case.caller = caller;
        case.what = what.into();
        case.want = Want::Unauthorized;
    };
    match options[g.rng().usize(..options.len())] {
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
        Try::OthersId => {
            case.id = PathId::Others;
            case.what = "another customer's order".into();
            case.want = Want::LikeMissing;
        }
        Try::OthersIds => {
            case.body = Body::Others { valid };
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
