//! Environment files (`--env FILE`): the target, variables, secrets and hooks of one deployment.
//!
//! ```yaml
//! base_url: https://staging.giggatek.example
//! vars:
//!   admin_email: qa-admin@giggatek.example
//! secrets:                 # variable → environment variable that holds its value
//!   admin_password: GIGCHECK_ADMIN_PASSWORD
//! hooks:                   # named shell commands specs can call
//!   db_down: systemctl stop mariadb
//!   db_up: systemctl start mariadb
//! ```
//! Secret values never appear in a file: the file names the environment variable instead.

use crate::diagnostic::{self, Diagnostic};
use crate::redact::Redactor;
use crate::spec::Loc;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

/// An environment file as written, before the process environment is read.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvFile {
    /// The backend's URL; `None` leaves it to `--base-url`.
    pub base_url: Option<String>,
    /// Plain variables: name → value, with its YAML type kept.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub vars: IndexMap<String, Value>,
    /// Secret variables: name → the environment variable that holds the value.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub secrets: IndexMap<String, String>,
    /// Hooks: name → the shell command a `hook` step runs.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub hooks: IndexMap<String, String>,
}

/// Variables every target may provide, by the environment variable that provides them, and
/// whether the value is a secret. Specs may use them; a scenario that uses one that is not set
/// is skipped. The embedded default sets them all.
pub const WELL_KNOWN_VARS: &[(&str, &str, bool)] = &[
    ("stripe_url", "GIGCHECK_STRIPE_URL", false),
    ("webhook_secret", "GIGCHECK_WEBHOOK_SECRET", true),
    ("admin_email", "GIGCHECK_ADMIN_EMAIL", false),
    ("admin_password", "GIGCHECK_ADMIN_PASSWORD", true),
    // The deployment's JWT signing key, for minting tokens it must refuse (expired, no `exp`).
    ("jwt_secret", "GIGCHECK_JWT_SECRET", true),
];

/// Variables a target may provide but need not: the accounts to test with, instead of signing
/// up new ones, and addresses they already own (for a backend without an addresses route).
/// Unset, they are simply not defined here, so the specs' own defaults apply.
pub(crate) const OPTIONAL_VARS: &[(&str, &str, bool)] = &[
    ("user_email", "GIGCHECK_USER_EMAIL", false),
    ("user_password", "GIGCHECK_USER_PASSWORD", true),
    ("user_address_id", "GIGCHECK_USER_ADDRESS_ID", false),
    ("user2_email", "GIGCHECK_USER2_EMAIL", false),
    ("user2_password", "GIGCHECK_USER2_PASSWORD", true),
    ("user2_address_id", "GIGCHECK_USER2_ADDRESS_ID", false),
];

/// Hooks every target may provide, by the environment variable holding their shell command.
pub(crate) const WELL_KNOWN_HOOKS: &[(&str, &str)] = &[
    ("db_down", "GIGCHECK_DB_DOWN_CMD"),
    ("db_up", "GIGCHECK_DB_UP_CMD"),
];

/// A named action a spec can trigger with a `hook` step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hook {
    /// A shell command (`sh -c`), e.g. `systemctl stop mariadb`.
    Shell(String),
    /// A JSON POST, used for the embedded sandbox's built-in hooks.
    Post {
        /// Where the JSON is POSTed.
        url: String,
        /// The JSON body sent.
        body: Value,
    },
}

/// Variables from outside the specs, after reading the environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    /// The environment file's `base_url`; `None` if there is no file or it gives none.
    pub base_url: Option<String>,
    /// Plain and secret variables together; secret values are also in `secret_values`.
    pub vars: IndexMap<String, Value>,
    /// Every secret value that was found, for the run's redactor to hide.
    pub secret_values: Vec<String>,
    /// Declared variables with no value: variable → the environment variable to set.
    pub missing: IndexMap<String, String>,
    /// Hooks by name: the file's, then the well-known ones set through environment variables.
    pub hooks: IndexMap<String, Hook>,
}

impl EnvFile {
    /// Reads and parses an environment file; the diagnostic names the line at fault, or says
    /// when the file is a Postman export and how to convert it.
    pub fn load(path: &Path) -> Result<EnvFile, Diagnostic> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::error(
                Loc {
                    file: display.clone(),
                    ..Loc::default()
                },
                format!(
                    "cannot read environment file: {}",
                    crate::diagnostic::io_reason(&e)
                ),
            )
            .with_hint("check the path given to --env")
        })?;
        let text = text.trim_start_matches(crate::diagnostic::BOM);
        if let Some(kind) = postman_export(text) {
            return Err(Diagnostic::error(
                Loc {
                    file: display.clone(),
                    ..Loc::default()
                },
                format!("this is a Postman {kind} export, not a gigcheck environment file"),
            )
            .with_hint(match kind {
                "environment" => format!(
                    "convert it: `gigcheck import postman COLLECTION.json --environment {display}` turns its values into spec variables (secrets into {{{{env.POSTMAN_…}}}} references)"
                ),
                _ => format!("convert it: `gigcheck import postman {display}`"),
            }));
        }
        crate::yaml::from_str(text).map_err(|e| diagnostic::from_yaml_error(&e, &display, text))
    }
}

/// `environment` or `collection` when `text` is one of Postman's JSON exports (which YAML would
/// read too, and then refuse field by field).
fn postman_export(text: &str) -> Option<&'static str> {
    let value: Value = serde_json::from_str(text).ok()?;
    let object = value.as_object()?;
    if object.contains_key("_postman_variable_scope")
        || object.get("values").is_some_and(Value::is_array)
    {
        Some("environment")
    } else if object.contains_key("info") && object.contains_key("item") {
        Some("collection")
    } else {
        None
    }
}

impl Environment {
    /// Combines an environment file (if any) with `--var` overrides, reading secrets from
    /// the process environment through `getenv`.
    pub fn resolve(
        file: Option<EnvFile>,
        overrides: &[(String, String)],
        getenv: &dyn Fn(&str) -> Option<String>,
    ) -> Environment {
        let file = file.unwrap_or_default();
        let mut env = Environment {
            base_url: file.base_url,
            vars: file.vars,
            hooks: file
                .hooks
                .into_iter()
                .map(|(k, v)| (k, Hook::Shell(v)))
                .collect(),
            ..Environment::default()
        };
        let getenv = |name: &str| getenv(name).filter(|v| !v.is_empty());
        for (var, env_name) in file.secrets {
            match getenv(&env_name) {
                Some(value) => env.set_secret(&var, value),
                None => {
                    env.missing.insert(var, env_name);
                }
            }
        }
        let required = WELL_KNOWN_VARS.iter().map(|v| (v, true));
        let optional = OPTIONAL_VARS.iter().map(|v| (v, false));
        for ((var, env_name, secret), required) in required.chain(optional) {
            if env.vars.contains_key(*var) || env.missing.contains_key(*var) {
                continue;
            }
            match getenv(env_name) {
                Some(value) if *secret => env.set_secret(var, value),
                // The optional ones are ids and the like: `12` is a number, as with `--var`.
                Some(value) if !required => {
                    env.vars.insert(var.to_string(), parse_cli_value(&value));
                }
                Some(value) => {
                    env.vars.insert(var.to_string(), Value::String(value));
                }
                None if required => {
                    env.missing.insert(var.to_string(), env_name.to_string());
                }
                None => {}
            }
        }
        for (hook, env_name) in WELL_KNOWN_HOOKS {
            if !env.hooks.contains_key(*hook)
                && let Some(command) = getenv(env_name)
            {
                env.hooks.insert(hook.to_string(), Hook::Shell(command));
            }
        }
        for (k, v) in overrides {
            if is_secret_var(k) {
                // `--var admin_password=…` is as secret as the variable it sets.
                env.set_secret(k, v.clone());
            } else {
                env.missing.shift_remove(k);
                env.vars.insert(k.clone(), parse_cli_value(v));
            }
        }
        env
    }

    /// The backend to talk to: `flag` (`--base-url`) or the file's `base_url`, if either is
    /// given; anything but an http(s) URL is an error.
    pub fn target(&self, flag: Option<&str>) -> Result<Option<url::Url>, String> {
        let Some(base) = flag.or(self.base_url.as_deref()) else {
            return Ok(None);
        };
        let given = if flag.is_some() {
            "--base-url"
        } else {
            "the --env file's base_url"
        };
        match url::Url::parse(base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(Some(u)),
            _ => Err(format!(
                "{given} `{base}` is not an http(s) URL: write it like http://127.0.0.1:5000"
            )),
        }
    }

    /// Sets a variable whose value must never be shown.
    pub fn set_secret(&mut self, name: &str, value: String) {
        self.missing.shift_remove(name);
        self.secret_values.push(value.clone());
        self.vars.insert(name.to_string(), Value::String(value));
    }
}

/// Whether a variable holds a secret: a well-known secret one, or one named like a secret.
fn is_secret_var(name: &str) -> bool {
    WELL_KNOWN_VARS
        .iter()
        .chain(OPTIONAL_VARS)
        .any(|(var, _, secret)| *secret && *var == name)
        || Redactor::is_secret_field(name)
}

/// `--var n=3` gives the number 3, `--var flag=true` a boolean, anything else a string.
pub fn parse_cli_value(text: &str) -> Value {
    match serde_json::from_str::<Value>(text) {
        Ok(v @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => v,
        _ => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secrets_come_from_the_environment_and_overrides_win() {
        let file: EnvFile = crate::yaml::from_str(
            "base_url: http://x\nvars: {a: 1, b: two}\nsecrets: {pw: PW_VAR, key: UNSET_VAR}\nhooks: {db_down: 'true'}\n",
        )
        .unwrap();
        let getenv = |name: &str| match name {
            "PW_VAR" => Some("pa55word".to_string()),
            "GIGCHECK_ADMIN_PASSWORD" => Some("adm1n-pass".to_string()),
            "GIGCHECK_DB_UP_CMD" => Some("systemctl start mariadb".to_string()),
            _ => None,
        };
        let env = Environment::resolve(Some(file), &[("b".into(), "3".into())], &getenv);
        assert_eq!(env.base_url.as_deref(), Some("http://x"));
        assert_eq!(env.vars["pw"], json!("pa55word"));
        assert_eq!(env.vars["b"], json!(3));
        assert_eq!(env.secret_values, ["pa55word", "adm1n-pass"]);
        assert_eq!(env.missing["key"], "UNSET_VAR");
        assert_eq!(env.missing["stripe_url"], "GIGCHECK_STRIPE_URL");
        assert_eq!(env.vars["admin_password"], json!("adm1n-pass"));
        assert_eq!(env.hooks["db_down"], Hook::Shell("true".into()));
        assert_eq!(
            env.hooks["db_up"],
            Hook::Shell("systemctl start mariadb".into())
        );
    }

    #[test]
    fn a_secret_given_with_var_is_hidden_by_its_value() {
        let overrides = [
            ("admin_password".to_string(), "s3cret-given".to_string()),
            ("api_token".to_string(), "tok-given".to_string()),
            ("order_id".to_string(), "12".to_string()),
        ];
        let env = Environment::resolve(None, &overrides, &|_: &str| None);
        assert_eq!(env.secret_values, ["s3cret-given", "tok-given"]);
        assert_eq!(env.vars["admin_password"], json!("s3cret-given"));
        assert_eq!(env.vars["order_id"], json!(12));
        assert!(!env.missing.contains_key("admin_password"));
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("env.yaml");
        std::fs::write(&path, "base_url: http://x\nsecret: {}\n").unwrap();
        let d = EnvFile::load(&path).unwrap_err();
        assert_eq!(d.loc.line, 2);
        assert_eq!(d.hint.as_deref(), Some("did you mean `secrets`?"));
    }

    #[test]
    fn postman_exports_are_told_apart() {
        let env = r#"{"id": "1", "name": "Local", "values": [{"key": "baseUrl", "value": "http://x", "enabled": true}], "_postman_variable_scope": "environment"}"#;
        assert_eq!(postman_export(env), Some("environment"));
        assert_eq!(
            postman_export(r#"{"info": {"name": "Shop"}, "item": []}"#),
            Some("collection")
        );
        assert_eq!(postman_export("base_url: http://x\n"), None);
        assert_eq!(postman_export(r#"{"base_url": "http://x"}"#), None);
    }

    #[test]
    fn cli_values_are_typed() {
        assert_eq!(parse_cli_value("3"), json!(3));
        assert_eq!(parse_cli_value("true"), json!(true));
        assert_eq!(parse_cli_value("abc"), json!("abc"));
        assert_eq!(parse_cli_value("\"q\""), json!("\"q\""));
    }
}
