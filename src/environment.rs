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

use crate::loader::diagnostic::{self, Diagnostic};
use crate::spec::Loc;
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvFile {
    pub base_url: Option<String>,
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub vars: IndexMap<String, Value>,
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub secrets: IndexMap<String, String>,
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub hooks: IndexMap<String, String>,
}

/// Variables from outside the specs, after reading the environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub base_url: Option<String>,
    /// Plain and secret variables together; secret values are also in `secret_values`.
    pub vars: IndexMap<String, Value>,
    pub secret_values: Vec<String>,
    /// Secret variables whose environment variable is not set: variable → env var name.
    pub missing_secrets: IndexMap<String, String>,
    pub hooks: IndexMap<String, String>,
}

impl EnvFile {
    pub fn load(path: &Path) -> Result<EnvFile, Diagnostic> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::error(
                Loc {
                    file: display.clone(),
                    ..Loc::default()
                },
                format!("cannot read environment file: {e}"),
            )
            .with_hint("check the path given to --env")
        })?;
        serde_yaml::from_str(&text).map_err(|e| diagnostic::from_yaml_error(&e, &display, &text))
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
            hooks: file.hooks,
            ..Environment::default()
        };
        for (var, env_name) in file.secrets {
            match getenv(&env_name).filter(|v| !v.is_empty()) {
                Some(value) => {
                    env.secret_values.push(value.clone());
                    env.vars.insert(var, Value::String(value));
                }
                None => {
                    env.missing_secrets.insert(var, env_name);
                }
            }
        }
        for (k, v) in overrides {
            env.vars.insert(k.clone(), parse_cli_value(v));
        }
        env
    }
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
        let file: EnvFile = serde_yaml::from_str(
            "base_url: http://x\nvars: {a: 1, b: two}\nsecrets: {pw: PW_VAR, key: UNSET_VAR}\nhooks: {db_down: 'true'}\n",
        )
        .unwrap();
        let getenv = |name: &str| (name == "PW_VAR").then(|| "pa55word".to_string());
        let env = Environment::resolve(Some(file), &[("b".into(), "3".into())], &getenv);
        assert_eq!(env.base_url.as_deref(), Some("http://x"));
        assert_eq!(env.vars["pw"], json!("pa55word"));
        assert_eq!(env.vars["b"], json!(3));
        assert_eq!(env.secret_values, ["pa55word"]);
        assert_eq!(env.missing_secrets["key"], "UNSET_VAR");
        assert_eq!(env.hooks["db_down"], "true");
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
    fn cli_values_are_typed() {
        assert_eq!(parse_cli_value("3"), json!(3));
        assert_eq!(parse_cli_value("true"), json!(true));
        assert_eq!(parse_cli_value("abc"), json!("abc"));
        assert_eq!(parse_cli_value("\"q\""), json!("\"q\""));
    }
}
