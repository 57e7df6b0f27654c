//! Postman variables in gigcheck terms: which names are secrets, the environment variable a
//! secret is read from (`POSTMAN_<UPPER_SNAKE>`), valid gigcheck names, and rewriting Postman's
//! `{{var}}` / `{{$dynamic}}` text into gigcheck templates.

use gigcheck_core::spec::template::LITERAL_BRACES;
use std::collections::{BTreeMap, BTreeSet};

/// Words that make a variable a secret when they appear in its name (`adminPassword`,
/// `api_key`, `accessToken`, `client-secret`…).
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "token",
    "secret",
    "apikey",
    "key",
    "credential",
    "credentials",
    "jwt",
];

/// Splits a name into lowercase words at `_`, `-`, spaces, dots and camelCase boundaries:
/// `adminPassword` → `admin password`, `APIKey` → `api key`, `client_secret` → `client secret`.
pub(super) fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = c.is_uppercase()
            && prev.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(char::is_lowercase))
            });
        if boundary && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Whether a variable with this name holds a secret (by its name alone).
pub(super) fn is_secret_name(name: &str) -> bool {
    let words = words(name);
    words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
        || words.concat().contains("apikey")
        || words.concat().contains("password")
}

/// The environment variable a secret is read from: `customerPassword` → `POSTMAN_CUSTOMER_PASSWORD`.
pub(super) fn env_name(name: &str) -> String {
    let snake: Vec<String> = words(name)
        .iter()
        .map(|w| {
            w.chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_uppercase()
        })
        .filter(|w| !w.is_empty())
        .collect();
    if snake.is_empty() {
        "POSTMAN_SECRET".to_string()
    } else {
        format!("POSTMAN_{}", snake.join("_"))
    }
}

/// Names gigcheck gives a meaning of its own: generators, `env`, and the base URL.
const RESERVED: &[&str] = &["uuid", "unique_email", "now", "env", "base_url"];

/// A valid gigcheck variable name for a Postman one: letters, digits, `_` and `-` are kept, any
/// other character (spaces, dots, which gigcheck reads as field access) becomes `_`; a name
/// gigcheck reserves gets a `pm_` prefix.
pub(super) fn gigcheck_name(postman: &str) -> String {
    let mut name: String = postman
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        name = "unnamed".to_string();
    }
    if RESERVED.contains(&name.as_str()) {
        name = format!("pm_{name}");
    }
    name
}

/// Variables the gigcheck runner itself provides (from `GIGCHECK_*` or the embedded sandbox),
/// matched by their name with case, `_` and `-` ignored (`adminPassword` → `admin_password`).
pub(super) fn provided_variable(postman: &str) -> Option<&'static str> {
    let key: String = words(postman).concat();
    gigcheck_core::environment::WELL_KNOWN_VARS
        .iter()
        .map(|(var, _, _)| *var)
        .find(|var| var.replace('_', "") == key)
}

/// Postman's dynamic variables that have a gigcheck generator.
pub(super) fn dynamic_generator(name: &str) -> Option<&'static str> {
    match name {
        "guid" | "randomUUID" => Some("uuid"),
        "randomEmail" | "randomExampleEmail" => Some("unique_email"),
        "isoTimestamp" => Some("now"),
        _ => None,
    }
}

/// How a `{{name}}` reference is written in the specs, decided once for the whole collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Reference {
    /// A spec variable (defined in `vars` or captured).
    Var(String),
    /// The base URL (`{{base_url}}`, which the runner always provides).
    BaseUrl,
    /// A variable the runner provides, e.g. `admin_password`.
    Provided(&'static str),
}

/// Everything known about the collection's variables when templates are rewritten.
#[derive(Debug, Clone, Default)]
pub(super) struct Names {
    /// Postman name → how it is referenced.
    pub refs: BTreeMap<String, Reference>,
    /// gigcheck names whose values are not known to be strings (captures, numbers, booleans):
    /// a JSON string that is only `"{{x}}"` gets `| string`, as Postman would send text.
    pub untyped: BTreeSet<String>,
}

/// Where a template appears: a JSON string that is exactly one `{{x}}` keeps the variable's
/// type in gigcheck but is always text in Postman.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Context {
    Text,
    /// A JSON string value written in quotes in Postman (`"id": "{{x}}"`).
    QuotedJson,
}

impl Names {
    /// How `{{name}}` is written in gigcheck, without braces.
    pub(super) fn reference(&self, postman: &str) -> String {
        match self.refs.get(postman) {
            Some(Reference::Var(n)) => n.clone(),
            Some(Reference::BaseUrl) => "base_url".to_string(),
            Some(Reference::Provided(p)) => p.to_string(),
            None => gigcheck_name(postman),
        }
    }

    /// Rewrites Postman text with `{{…}}` into a gigcheck template string.
    pub(super) fn template(&self, text: &str, context: Context) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut count = 0;
        let mut last_inner = String::new();
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            // Postman sends an unclosed `{{` as it is; so does the literal.
            let Some(end) = after.find("}}") else {
                out.push_str(LITERAL_BRACES);
                rest = after;
                continue;
            };
            let inner = self.placeholder(after[..end].trim());
            out.push_str(&format!("{{{{{inner}}}}}"));
            last_inner = inner;
            count += 1;
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        let lone = count == 1 && out == format!("{{{{{last_inner}}}}}");
        if lone && context == Context::QuotedJson && self.untyped.contains(&last_inner) {
            out = format!("{{{{{last_inner} | string}}}}");
        }
        out
    }

    fn placeholder(&self, inner: &str) -> String {
        if inner.is_empty() {
            return "pm_empty".to_string();
        }
        match inner.strip_prefix('$') {
            Some(dynamic) => match dynamic_generator(dynamic) {
                Some(generator) => generator.to_string(),
                None => dynamic_var(dynamic),
            },
            None => self.reference(inner),
        }
    }
}

/// The variable standing in for a Postman dynamic variable gigcheck has no generator for.
pub(super) fn dynamic_var(name: &str) -> String {
    format!("postman_{}", gigcheck_name(name))
}

/// The Postman variable names referenced in `text` (`{{name}}`, not `{{$dynamic}}`).
pub(super) fn referenced(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let inner = after[..end].trim();
        if !inner.is_empty() && !inner.starts_with('$') {
            out.push(inner.to_string());
        }
        rest = &after[end + 2..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_camel_snake_kebab_and_acronyms() {
        assert_eq!(words("adminPassword"), ["admin", "password"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("x-api-key"), ["x", "api", "key"]);
        assert_eq!(words("client_secret"), ["client", "secret"]);
        assert_eq!(words("orderId2"), ["order", "id2"]);
        assert_eq!(words("baseURL"), ["base", "url"]);
    }

    #[test]
    fn secret_names() {
        for name in [
            "password",
            "adminPassword",
            "ADMIN_PASSWORD",
            "token",
            "authToken",
            "access_token",
            "apiKey",
            "api_key",
            "x-api-key",
            "apikey",
            "clientSecret",
            "key",
            "stripeSecretKey",
            "userpassword",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "baseUrl",
            "orderId",
            "email",
            "monkey",
            "keyboardLayout",
            "tokenizer",
            "passenger",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn env_names_are_upper_snake_with_a_prefix() {
        assert_eq!(env_name("customerPassword"), "POSTMAN_CUSTOMER_PASSWORD");
        assert_eq!(env_name("api-key"), "POSTMAN_API_KEY");
        assert_eq!(env_name("APIKey"), "POSTMAN_API_KEY");
        assert_eq!(env_name("é"), "POSTMAN_SECRET");
    }

    #[test]
    fn gigcheck_names_are_valid_and_avoid_reserved_words() {
        assert_eq!(gigcheck_name("order.id"), "order_id");
        assert_eq!(gigcheck_name("my var"), "my_var");
        assert_eq!(gigcheck_name("api-key"), "api-key");
        assert_eq!(gigcheck_name("now"), "pm_now");
        assert_eq!(gigcheck_name("env"), "pm_env");
    }

    #[test]
    fn provided_variables_match_loosely() {
        assert_eq!(provided_variable("adminPassword"), Some("admin_password"));
        assert_eq!(provided_variable("ADMIN_EMAIL"), Some("admin_email"));
        assert_eq!(provided_variable("webhook-secret"), Some("webhook_secret"));
        assert_eq!(provided_variable("adminName"), None);
    }

    fn names() -> Names {
        let mut n = Names::default();
        n.refs.insert("baseUrl".into(), Reference::BaseUrl);
        n.refs.insert(
            "adminPassword".into(),
            Reference::Provided("admin_password"),
        );
        n.refs
            .insert("orderId".into(), Reference::Var("orderId".into()));
        n.refs.insert("name".into(), Reference::Var("name".into()));
        n.untyped.insert("orderId".into());
        n
    }

    #[test]
    fn templates_are_rewritten() {
        let n = names();
        let t = |s| n.template(s, Context::Text);
        assert_eq!(t("{{baseUrl}}/x"), "{{base_url}}/x");
        assert_eq!(t("pw={{adminPassword}}"), "pw={{admin_password}}");
        assert_eq!(t("{{$guid}}-{{$randomEmail}}"), "{{uuid}}-{{unique_email}}");
        assert_eq!(t("{{$randomInt}}"), "{{postman_randomInt}}");
        assert_eq!(t("{{ orderId }}"), "{{orderId}}");
        assert_eq!(t("{{my.var}}"), "{{my_var}}");
        assert_eq!(t("no templates"), "no templates");
        assert_eq!(t("a {{b"), r#"a {{"{{"}}b"#);
    }

    #[test]
    fn a_lone_untyped_template_in_quoted_json_stays_text() {
        let n = names();
        let q = |s| n.template(s, Context::QuotedJson);
        assert_eq!(q("{{orderId}}"), "{{orderId | string}}");
        assert_eq!(q("{{name}}"), "{{name}}");
        assert_eq!(q("#{{orderId}}"), "#{{orderId}}");
        assert_eq!(n.template("{{orderId}}", Context::Text), "{{orderId}}");
    }

    #[test]
    fn references_are_listed() {
        assert_eq!(referenced("{{a}}/{{ b }}/{{$guid}}/{{c"), ["a", "b"]);
    }
}
