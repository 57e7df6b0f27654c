//! A walk's calls written down as a spec's steps while they are made: the ids the target gave
//! become the variables the steps capture, and each rule the walk checks becomes an assertion of
//! the step that showed it. A walk that broke a rule is then saved as a spec making the same calls
//! up to the one that broke it ([`super::reproduce`]).

use serde_json::{Map, Value, json};

/// The steps so far, and the ids they name.
#[derive(Debug, Default)]
pub(super) struct Script {
    steps: Vec<Value>,
    /// An id's text as the target gave it, and the variable that stands for it.
    ids: Vec<(String, String)>,
}

impl Script {
    /// Starts a new walk's script.
    pub(super) fn clear(&mut self) {
        self.steps.clear();
        self.ids.clear();
    }

    /// From now on `value` (an id the target gave) is written `{{var}}`.
    pub(super) fn name(&mut self, value: &Value, var: &str) {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return,
        };
        if !text.is_empty() {
            self.ids.retain(|(_, v)| v != var);
            self.ids.push((text, var.to_string()));
        }
    }

    /// A call: `request` in the spec's form (method, url, bearer, json, form, query) with the
    /// named ids put back as variables, and the status(es) it must answer.
    pub(super) fn call(&mut self, name: &str, mut request: Value, status: Value) {
        self.template(&mut request, None);
        self.steps.push(json!({
            "name": name,
            "request": request,
            "expect": { "status": status },
        }));
    }

    /// The last call keeps `path` of its answer as `var` (and names that id).
    pub(super) fn capture(&mut self, var: &str, path: &str) {
        if let Some(step) = self.steps.last_mut() {
            step["capture"][var] = json!(path);
        }
    }

    /// The last call's answer must have `value` at `path`.
    pub(super) fn assert(&mut self, path: &str, value: Value) {
        if let Some(step) = self.steps.last_mut() {
            step["expect"]["body"][path] = value;
        }
    }

    /// Sets what `pointer` points at in the last call (a value the spec computes, such as an
    /// amount from the captured price).
    pub(super) fn patch(&mut self, pointer: &str, value: Value) {
        if let Some(slot) = self.steps.last_mut().and_then(|s| s.pointer_mut(pointer)) {
            *slot = value;
        }
    }

    /// The steps so far.
    pub(super) fn steps(&self) -> Vec<Value> {
        self.steps.clone()
    }

    /// Puts variables back where the named ids are: the value of a field named after the
    /// variable (`shipping_address_id` for `address_id`), and the URL segment after the
    /// collection the id belongs to (`/orders/12` for `order_id`).
    fn template(&self, value: &mut Value, key: Option<&str>) {
        let var = |text: &str, fits: &dyn Fn(&str) -> bool| {
            self.ids
                .iter()
                .find(|(t, v)| t == text && fits(v))
                .map(|(_, v)| format!("{{{{{v}}}}}"))
        };
        match value {
            Value::Object(object) => {
                for (k, v) in object.iter_mut() {
                    self.template(v, Some(k));
                }
            }
            Value::String(text) if key == Some("url") => {
                let mut out: Vec<String> = Vec::new();
                for segment in text.split('/') {
                    let after = out.last().map(String::as_str).unwrap_or_default();
                    let collection = URL_IDS.iter().find(|(c, _)| *c == after).map(|(_, v)| *v);
                    let replaced = collection
                        .and_then(|want| var(segment, &|v: &str| v == want))
                        .unwrap_or_else(|| segment.to_string());
                    out.push(replaced);
                }
                *text = out.join("/");
            }
            Value::String(text) => {
                if let Some(key) = key
                    && let Some(v) = var(text, &|v: &str| fits(key, v))
                {
                    *text = v;
                }
            }
            Value::Number(n) => {
                if let Some(key) = key
                    && let Some(v) = var(&n.to_string(), &|v: &str| fits(key, v))
                {
                    *value = Value::String(v);
                }
            }
            _ => {}
        }
    }
}

/// Whether a field named `key` holds the id `var` names: `shipping_address_id` holds an
/// `address_id`, and Stripe's `payment_intent` parameter an `intent_id`.
fn fits(key: &str, var: &str) -> bool {
    key.ends_with(var) || key.ends_with(var.trim_end_matches("_id"))
}

/// The URL segment an id follows, and its variable.
const URL_IDS: [(&str, &str); 2] = [("orders", "order_id"), ("payment_intents", "intent_id")];

/// A request in the spec's form.
pub(super) fn request(method: &str, url: &str, bearer: Option<&str>) -> Value {
    let mut request = Map::new();
    request.insert("method".into(), json!(method));
    request.insert("url".into(), json!(url));
    if let Some(bearer) = bearer {
        request.insert("bearer".into(), json!(bearer));
    }
    Value::Object(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_the_variables_that_captured_them() {
        let mut script = Script::default();
        script.name(&json!(3), "address_id");
        let mut order = request("POST", "/api/orders", Some("{{token}}"));
        order["json"] = json!({ "items": [{ "product_id": 3, "quantity": 3 }],
            "shipping_address_id": 3, "billing_address_id": 3 });
        script.call("place", order, json!(201));
        script.capture("order_id", "$.order.id");
        script.name(&json!(12), "order_id");
        script.call(
            "cancel",
            request("POST", "/api/orders/12/cancel", Some("{{token}}")),
            json!(200),
        );
        script.assert("$.order.status", json!("cancelled"));
        script.call(
            "product",
            request("GET", "/api/products/12", None),
            json!(200),
        );
        let steps = script.steps();
        assert_eq!(
            steps[0]["request"]["json"]["shipping_address_id"],
            "{{address_id}}"
        );
        // A product id or a quantity that happens to equal an id stays as it is.
        assert_eq!(steps[0]["request"]["json"]["items"][0]["quantity"], 3);
        assert_eq!(steps[0]["request"]["json"]["items"][0]["product_id"], 3);
        assert_eq!(steps[2]["request"]["url"], "/api/products/12");
        assert_eq!(steps[0]["capture"]["order_id"], "$.order.id");
        assert_eq!(
            steps[1]["request"]["url"],
            "/api/orders/{{order_id}}/cancel"
        );
        assert_eq!(steps[1]["expect"]["body"]["$.order.status"], "cancelled");
        assert!(fits("payment_intent", "intent_id") && !fits("product_id", "order_id"));
        assert!(steps[2]["expect"]["body"].is_null());
        script.clear();
        assert!(script.steps().is_empty());
    }
}
