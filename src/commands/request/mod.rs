//! `gigcheck request`: one request, shown in full — the Postman habit at a terminal. The URL
//! may be relative to the environment's base URL, templates and variables work as in specs,
//! `--as admin|user` logs in first, `--curl` prints the command to reproduce it, and `--save`
//! keeps it as a spec step ([`save`]).
//!
//! Exit codes: 0 when an answer came (whatever its status), 2 for bad input, 3 when the target
//! could not be reached.

pub mod save;

use crate::cli::{Exit, RequestArgs};
use crate::commands::curl;
use crate::engine::http::{Http, Incoming, SendError};
use crate::engine::request::{BuildError, build};
use crate::engine::scope::Scope;
use crate::environment::Environment;
use crate::redact::Redactor;
use crate::report::pretty;
use crate::report::text::Palette;
use crate::spec::Request;
use reqwest::cookie::Jar;
use save::Typed;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// A failure, printed as one line, and its exit code.
struct Stop(String, Exit);

fn usage(message: impl Into<String>) -> Stop {
    Stop(message.into(), Exit::Usage)
}

pub fn request(args: RequestArgs, color: bool) -> Exit {
    match run(args, Palette { color }) {
        Ok(exit) => exit,
        Err(Stop(message, exit)) => {
            if !message.is_empty() {
                errln!("error: {message}");
            }
            exit
        }
    }
}

fn run(args: RequestArgs, p: Palette) -> Result<Exit, Stop> {
    // A broken environment file has been printed as a diagnostic already.
    let env = super::environment(args.env.as_deref(), &args.vars)
        .map_err(|exit| Stop(String::new(), exit))?;
    let base = env.target(args.base_url.as_deref()).map_err(usage)?;
    let typed = typed(&args)?;
    let req = spec_request(&typed, None)?;
    let redactor = Redactor::default();
    for secret in &env.secret_values {
        redactor.add(secret);
    }
    let mut scope = Scope::new(redactor.clone(), Arc::new(|name| std::env::var(name).ok()));
    for (k, v) in &env.vars {
        scope.set(k, v.clone());
    }
    if let Some(b) = &base {
        scope.set(
            "base_url",
            Value::String(b.as_str().trim_end_matches('/').to_string()),
        );
    }
    let runtime = super::run::runtime().map_err(|exit| Stop(String::new(), exit))?;
    runtime.block_on(async {
        let http = Http::new().map_err(usage)?;
        let jar = Jar::default();
        let timeout = Duration::from_secs_f64(args.timeout);
        let show = |req: &crate::engine::http::Outgoing| {
            if args.curl {
                let redact = (!args.show_secrets).then_some(&redactor);
                outln!("{}", p.dim(&curl::command(req, redact)));
            }
        };
        let mut req = req;
        if let Some(who) = &typed.login_as {
            let token = login(who, &env, &http, &jar, base.as_ref(), timeout, &show).await?;
            redactor.add(&token);
            scope.set(&format!("{who}_token"), Value::String(token));
            if !typed
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            {
                req = spec_request(&typed, Some(&format!("{{{{{who}_token}}}}")))?;
            }
        }
        let outgoing = build(&req, &scope, base.as_ref(), timeout).map_err(|e| match e {
            BuildError::Render { .. } => usage(format!(
                "{e}; define it with --var NAME=VALUE or in the --env file"
            )),
            _ => usage(e.to_string()),
        })?;
        show(&outgoing);
        let incoming = http.send(&jar, &outgoing).await.map_err(sent_error)?;
        print_response(&incoming, &redactor, args.show_secrets, p);
        if let Some(path) = &args.save {
            let saved = save::save(path, &typed, incoming.status)
                .map_err(|e| usage(format!("{e}; the request was sent, but not saved")))?;
            let verb = if saved.created {
                "created"
            } else {
                "appended to"
            };
            errln!(
                "saved: {verb} {} (expects status {})",
                path.display(),
                incoming.status
            );
            if !saved.needs_env.is_empty() {
                errln!(
                    "note: secrets were saved as references; set {} before running it",
                    saved.needs_env.join(", ")
                );
            }
        }
        Ok(Exit::Passed)
    })
}

/// What was typed, with the request parts checked.
fn typed(args: &RequestArgs) -> Result<Typed, Stop> {
    let method = args.method.to_uppercase();
    if reqwest::Method::from_bytes(method.as_bytes()).is_err() || method.is_empty() {
        return Err(usage(format!(
            "`{}` is not an HTTP method, e.g. GET, POST, PUT, DELETE",
            args.method
        )));
    }
    let mut headers = Vec::new();
    for h in &args.headers {
        match h.split_once(':') {
            Some((k, v)) if !k.trim().is_empty() => {
                headers.push((k.trim().to_string(), v.trim().to_string()))
            }
            _ => {
                return Err(usage(format!(
                    "-H `{h}` is not NAME: VALUE, e.g. -H 'Accept: application/json'"
                )));
            }
        }
    }
    let json = args.json.as_deref().map(json_argument).transpose()?;
    Ok(Typed {
        method,
        url: args.url.clone(),
        headers,
        json,
        form: args.form.clone(),
        login_as: args.login_as.clone(),
    })
}

/// `--json '{…}'` or `--json @file.json`.
fn json_argument(arg: &str) -> Result<Value, Stop> {
    let (text, from) = match arg.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| {
                usage(format!(
                    "--json @{path}: cannot read it: {}",
                    crate::loader::discover::io_reason(&e)
                ))
            })?,
            path.to_string(),
        ),
        None => (arg.to_string(), "--json".to_string()),
    };
    serde_json::from_str(&text).map_err(|e| {
        usage(format!(
            "{from}:{}:{}: not JSON: {e} (use @FILE to read a file)",
            e.line(),
            e.column()
        ))
    })
}

/// The typed request as a spec [`Request`], so templates render exactly as in specs; `bearer`
/// is the token template `--as` adds.
fn spec_request(t: &Typed, bearer: Option<&str>) -> Result<Request, Stop> {
    let mut req = Map::new();
    req.insert("method".into(), Value::String(t.method.clone()));
    req.insert("url".into(), Value::String(t.url.clone()));
    if !t.headers.is_empty() {
        let headers: Map<String, Value> = t
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        req.insert("headers".into(), Value::Object(headers));
    }
    if let Some(b) = bearer {
        req.insert("bearer".into(), Value::String(b.to_string()));
    }
    if let Some(j) = &t.json {
        req.insert("json".into(), j.clone());
    }
    if !t.form.is_empty() {
        let form: Map<String, Value> = t
            .form
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        req.insert("form".into(), Value::Object(form));
    }
    serde_json::from_value(Value::Object(req)).map_err(|e| usage(e.to_string()))
}

/// Logs in with the environment's credentials for `who` and returns the token.
async fn login(
    who: &str,
    env: &Environment,
    http: &Http,
    jar: &Jar,
    base: Option<&url::Url>,
    timeout: Duration,
    show: &impl Fn(&crate::engine::http::Outgoing),
) -> Result<String, Stop> {
    let upper = who.to_uppercase();
    let var = |name: &str, env_name: &str| {
        env.vars
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .or_else(|| std::env::var(env_name).ok().filter(|v| !v.is_empty()))
    };
    let (Some(email), Some(password)) = (
        var(&format!("{who}_email"), &format!("GIGCHECK_{upper}_EMAIL")),
        var(
            &format!("{who}_password"),
            &format!("GIGCHECK_{upper}_PASSWORD"),
        ),
    ) else {
        return Err(usage(format!(
            "--as {who} needs {who}_email and {who}_password: set GIGCHECK_{upper}_EMAIL and GIGCHECK_{upper}_PASSWORD, or give them in the --env file"
        )));
    };
    let redactor = Redactor::default();
    redactor.add(&password);
    let mut scope = Scope::new(redactor, Arc::new(|_| None));
    scope.set("email", Value::String(email));
    scope.set("password", Value::String(password));
    let req: Request = serde_json::from_value(serde_json::json!({
        "method": "POST",
        "url": "/api/auth/login",
        "json": {"email": "{{email}}", "password": "{{password}}"}
    }))
    .map_err(|e| usage(e.to_string()))?;
    let outgoing = build(&req, &scope, base, timeout).map_err(|e| usage(e.to_string()))?;
    show(&outgoing);
    let answer = http.send(jar, &outgoing).await.map_err(sent_error)?;
    let token = serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_string));
    match (answer.status, token) {
        (200, Some(token)) => Ok(token),
        (status, _) => Err(Stop(
            format!(
                "--as {who}: logging in at {} answered {status} without a token; check the {who} credentials",
                outgoing.url
            ),
            Exit::Failed,
        )),
    }
}

fn sent_error(e: SendError) -> Stop {
    let exit = match e {
        SendError::Connect { .. } => Exit::Unreachable,
        _ => Exit::Failed,
    };
    Stop(e.to_string(), exit)
}

fn print_response(incoming: &Incoming, redactor: &Redactor, show_secrets: bool, p: Palette) {
    let text = String::from_utf8_lossy(&incoming.body);
    let (headers, body): (Vec<(String, String)>, String) = if show_secrets {
        (incoming.headers.clone(), text.into_owned())
    } else {
        (
            incoming
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), redactor.header(k, v)))
                .collect(),
            redactor.body(&text),
        )
    };
    outln!(
        "{}",
        pretty::status_line(incoming.status, incoming.elapsed, incoming.body.len(), p)
    );
    out!("{}", pretty::headers(&headers, p));
    outln!();
    out!("{}", pretty::body(&body, p));
}
