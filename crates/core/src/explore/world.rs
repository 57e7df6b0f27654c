//! What the target told the exploration: the accounts it explores as, the catalogue's products,
//! the orders and addresses it made, and the values the contract's links hand from one answer to
//! the next call (an order's id to its detail, an address's id to a new order).

use super::cases::{Body, Case, PathId};
use super::operations::Operation;
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap};

/// An account the exploration acts as.
#[derive(Debug, Clone, Default)]
pub struct Account {
    /// Its email.
    pub email: String,
    /// Its password.
    pub password: String,
    /// Its bearer token.
    pub token: String,
}

/// Everything learnt from the target so far.
#[derive(Debug, Default)]
pub struct World {
    /// The first customer: most requests are theirs.
    pub customer: Account,
    /// An administrator's token, when the target has an administrator to log in as.
    pub admin_token: Option<String>,
    /// Product ids of the catalogue.
    pub products: Vec<i64>,
    /// The other customer's order.
    pub others_order: Option<i64>,
    /// The answer to an order id that does not exist: status and body.
    pub missing: Option<(u16, Value)>,
    /// Orders this exploration cancelled (a cancelled order stays cancelled).
    pub cancelled: BTreeSet<i64>,
    /// Values links delivered: (operation, `path:id` or `body:field`) → the latest few.
    linked: HashMap<(usize, String), Vec<Value>>,
    /// The same for the other customer's answers (their address, their order).
    others_linked: HashMap<(usize, String), Vec<Value>>,
    /// A tag that makes this run's sign-up emails its own.
    pub tag: String,
}

/// How many values of one link are kept.
const KEPT: usize = 16;

impl World {
    /// Whether the other customer's answers gave values for `op_index`'s body (for `field`, or
    /// for any field).
    pub fn has_others_for(&self, op_index: usize, field: Option<&str>) -> bool {
        self.others_linked.iter().any(|((op, slot), values)| {
            *op == op_index
                && slot
                    .strip_prefix("body:")
                    .is_some_and(|f| field.is_none_or(|want| want == f))
                && !values.is_empty()
        })
    }

    /// Whether links gave `op_index`'s body a value for `field`.
    pub fn has_linked(&self, op_index: usize, field: &str) -> bool {
        self.linked
            .get(&(op_index, format!("body:{field}")))
            .is_some_and(|values| !values.is_empty())
    }

    /// The id the case's path parameter gets, as text.
    pub fn path_id(&self, op_index: usize, op: &Operation, case: &Case, pick: usize) -> String {
        match &case.id {
            PathId::Literal(text) => text.clone(),
            PathId::Others => self
                .others_order
                .map(|id| id.to_string())
                .unwrap_or_default(),
            PathId::Own => {
                if let Some(values) = self.linked.get(&(op_index, "path:id".into()))
                    && !values.is_empty()
                {
                    return text_of(&values[pick % values.len()]);
                }
                if op.path.starts_with("/api/products") && !self.products.is_empty() {
                    return self.products[pick % self.products.len()].to_string();
                }
                "1".into()
            }
        }
    }

    /// The case's body with the world's values in place: linked fields, real product ids, the
    /// customer's credentials on a login, a sign-up email of this run's own; ids it cannot fill
    /// are left out.
    pub fn fill(&self, op_index: usize, op: &Operation, body: &Body, pick: usize) -> Body {
        let filled = |valid: &Value| match self.fill(
            op_index,
            op,
            &Body::Json {
                value: valid.clone(),
                fill: true,
            },
            pick,
        ) {
            Body::Json { value, .. } => value,
            _ => valid.clone(),
        };
        match body {
            Body::Typed {
                valid,
                content_type,
            } => return Body::Raw(filled(valid).to_string().into_bytes(), content_type),
            Body::Unknown { valid, field } => {
                let mut value = filled(valid);
                // An optional id the valid body left out is put in, unknown.
                let real = value.get(field.as_str()).cloned().or_else(|| {
                    self.linked
                        .get(&(op_index, format!("body:{field}")))
                        .and_then(|values| values.last().cloned())
                });
                if let (Some(real), Some(object)) = (real, value.as_object_mut()) {
                    object.insert(field.clone(), unknown_like(&real));
                }
                return Body::Json { value, fill: false };
            }
            Body::Taken { valid } => {
                let mut value = filled(valid);
                value["email"] = Value::String(self.customer.email.clone());
                return Body::Json { value, fill: false };
            }
            Body::Others { valid, field } => {
                let mut value = filled(valid);
                if let (Some(object), Some(field)) = (value.as_object_mut(), field) {
                    // The one field of theirs goes in, even where the valid body left it out.
                    object.entry(field.clone()).or_insert(Value::Null);
                }
                if let Some(object) = value.as_object_mut() {
                    for (key, slot) in object.iter_mut() {
                        if field.as_ref().is_some_and(|f| f != key) {
                            continue;
                        }
                        if let Some(theirs) = self
                            .others_linked
                            .get(&(op_index, format!("body:{key}")))
                            .and_then(|v| v.last())
                        {
                            *slot = theirs.clone();
                        }
                    }
                }
                return Body::Json { value, fill: false };
            }
            Body::Mutated { valid, mutation } => {
                let value = super::generate::apply(&filled(valid), mutation)
                    .unwrap_or_else(|| mutation.value.clone());
                return Body::Json { value, fill: false };
            }
            _ => {}
        }
        let Body::Json { value, fill } = body else {
            return body.clone();
        };
        let mut value = value.clone();
        if let Some(object) = value.as_object_mut() {
            if let Some(Value::String(email)) = object.get_mut("email") {
                *email = email.replacen("@example.com", &format!("+{}@example.com", self.tag), 1);
            }
            if *fill {
                self.fill_object(op_index, object, pick);
                if op.route.ends_with("/login") {
                    object.insert("email".into(), Value::String(self.customer.email.clone()));
                    object.insert(
                        "password".into(),
                        Value::String(self.customer.password.clone()),
                    );
                }
            }
        }
        Body::Json { value, fill: *fill }
    }

    fn fill_object(&self, op_index: usize, object: &mut Map<String, Value>, pick: usize) {
        let keys: Vec<String> = object.keys().cloned().collect();
        for key in keys {
            if let Some(values) = self.linked.get(&(op_index, format!("body:{key}")))
                && !values.is_empty()
            {
                object.insert(key, values[values.len() - 1 - pick % values.len()].clone());
                continue;
            }
            if key == "product_id" && !self.products.is_empty() {
                let id = self.products[pick % self.products.len()];
                object.insert(key, Value::from(id));
                continue;
            }
            if key.ends_with("_id") {
                // An id only the target could give, and no link gave: a made-up one would
                // only be refused for the wrong reason.
                object.remove(&key);
                continue;
            }
            match object.get_mut(&key) {
                Some(Value::Object(inner)) => self.fill_object(op_index, inner, pick),
                Some(Value::Array(items)) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        if let Some(inner) = item.as_object_mut() {
                            self.fill_object(op_index, inner, pick + i);
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(Value::Array(items)) = object.get_mut("items") {
            for item in items.iter_mut() {
                if let Some(q) = item.get_mut("quantity").filter(|q| q.is_i64()) {
                    // One or two units: a valid order, not one that empties the stock.
                    *q = Value::from(q.as_i64().unwrap_or(1).clamp(1, 2));
                }
            }
        }
    }

    /// Follows the links of `ops[op_index]` from a successful answer: each hands a value of the
    /// answer (or of the request) to the route it leads to.
    pub fn follow(
        &mut self,
        ops: &[Operation],
        op_index: usize,
        sent_id: Option<&str>,
        answer: &Value,
    ) {
        follow_into(&mut self.linked, ops, op_index, sent_id, answer);
    }

    /// [`World::follow`] for an answer to the other customer.
    pub fn follow_others(&mut self, ops: &[Operation], op_index: usize, answer: &Value) {
        follow_into(&mut self.others_linked, ops, op_index, None, answer);
    }
}

/// Each link of `ops[op_index]` hands a value of `answer` (or of the request) to its target.
fn follow_into(
    linked: &mut HashMap<(usize, String), Vec<Value>>,
    ops: &[Operation],
    op_index: usize,
    sent_id: Option<&str>,
    answer: &Value,
) {
    for link in ops[op_index].links.values() {
        let Some(target) = ops.iter().position(|o| o.route == link.to) else {
            continue;
        };
        let from_params = link
            .parameters
            .iter()
            .map(|(k, e)| (format!("path:{k}"), e));
        let from_body = link.body.iter().map(|(k, e)| (format!("body:{k}"), e));
        for (slot, expression) in from_params.chain(from_body) {
            if let Some(value) = evaluate(expression, answer, sent_id) {
                let kept = linked.entry((target, slot)).or_default();
                kept.push(value);
                if kept.len() > KEPT {
                    kept.remove(0);
                }
            }
        }
    }
}

/// A runtime expression: `$response.body#/order/id` or `$request.path.id`.
fn evaluate(expression: &str, answer: &Value, sent_id: Option<&str>) -> Option<Value> {
    if let Some(pointer) = expression.strip_prefix("$response.body#") {
        return answer.pointer(pointer).filter(|v| !v.is_null()).cloned();
    }
    if expression.starts_with("$request.path.") {
        return sent_id.map(|id| Value::String(id.to_string()));
    }
    None
}

/// An id of the same kind as `real` that nothing has: a number well past any real one, or the
/// same text with its tail changed (`pi_3f…9a` → `pi_3f…00000000`).
fn unknown_like(real: &Value) -> Value {
    match real {
        Value::String(text) => {
            let keep = text.chars().count().saturating_sub(8);
            let mut unknown: String = text.chars().take(keep).collect();
            let tail = if text.ends_with("00000000") {
                "11111111"
            } else {
                "00000000"
            };
            unknown.push_str(tail);
            Value::String(unknown)
        }
        _ => Value::from(2_147_483_000_i64),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
