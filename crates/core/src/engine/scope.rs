//! A scenario's variables: spec, environment and captured values, plus its secrets.

use crate::redact::Redactor;
use crate::spec::template::Lookup;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// Reads the process environment (replaced in tests).
pub(crate) type GetEnv = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// The variables one scenario's templates see, `{{env.…}}` lookups, and the redactor that
/// learns the secrets among them.
pub struct Scope {
    vars: HashMap<String, Value>,
    redactor: Redactor,
    getenv: GetEnv,
}

impl Scope {
    /// A scope with no variables yet, adding secrets to `redactor` and reading `{{env.…}}`
    /// through `getenv`.
    pub fn new(redactor: Redactor, getenv: GetEnv) -> Scope {
        Scope {
            vars: HashMap::new(),
            redactor,
            getenv,
        }
    }

    /// Sets a variable. Values of variables named like secrets (`token`, `password`…) are
    /// remembered so they are redacted wherever they show up.
    pub fn set(&mut self, name: &str, value: Value) {
        if Redactor::is_secret_field(name)
            && let Value::String(s) = &value
        {
            self.redactor.add(s);
        }
        self.vars.insert(name.to_string(), value);
    }

    /// Removes a variable, returning its old value (to restore shadowed names after an include).
    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.vars.remove(name)
    }

    /// The redactor for everything this scenario shows.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Every variable and its value, as they are now.
    pub fn snapshot(&self) -> HashMap<String, Value> {
        self.vars.clone()
    }
}

impl Lookup for Scope {
    fn var(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }

    fn env(&self, name: &str) -> Option<String> {
        (self.getenv)(name)
    }

    fn note_secret(&self, value: &str) {
        self.redactor.add(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::template::Template;
    use serde_json::json;

    #[test]
    fn env_values_and_token_captures_become_secrets() {
        let getenv: GetEnv = Arc::new(|n| (n == "PW").then(|| "pa55word".to_string()));
        let mut scope = Scope::new(Redactor::default(), getenv);
        scope.set("auth_token", json!("tok-123456"));
        scope.set("order_id", json!("12345"));
        Template::parse("{{env.PW}}")
            .unwrap()
            .render(&scope)
            .unwrap();
        let shown = scope.redactor().text("pa55word tok-123456 12345");
        assert_eq!(shown, "[redacted] [redacted] 12345");
    }
}
