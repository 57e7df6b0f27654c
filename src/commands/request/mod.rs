//! `gigcheck request`: one request, shown in full — the Postman habit at a terminal. The URL
//! may be relative to the environment's base URL, `--query` adds parameters, templates and
//! variables work as in specs, `--as admin|user` logs in first, `--data` sends a raw body, `-o`
//! writes the answer's body to a file, `--capture` keeps values of the answer for later requests
//! ([`state`]), `--curl` prints the command to reproduce it, and `--save` keeps it as a spec step
//! ([`save`]).
//!
//! Exit codes: 0 when an answer came (whatever its status); 1 when it came but a `--capture`
//! found nothing in it, `--as` got no token, the body was too large or a file could not be
//! written after all; 2 for bad input (nothing sent); 3 when nothing answered.

pub mod save;
pub mod state;

use crate::cli::{Exit, RequestArgs};
use crate::commands::curl;
use gigcheck_core::engine::http::CookieJar;
use gigcheck_core::engine::http::{Http, Incoming, SendError};
use gigcheck_core::engine::request::{BuildError, build};
use gigcheck_core::engine::scope::Scope;
use gigcheck_core::environment::Environment;
use gigcheck_core::redact::Redactor;
use gigcheck_core::report::pretty;
use gigcheck_core::report::text::Palette;
use gigcheck_core::spec::Request;
use gigcheck_core::spec::template::{Placeholder, Template};
use gigcheck_core::spec::values::BodyPath;
use save::Typed;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// A failure, printed as one line, and its exit code.
struct Stop(String, Exit);

fn usage(message: impl Into<String>) -> Stop {
    Stop(message.into(), Exit::Usage)
}

/// A failure already printed.
fn printed(exit: Exit) -> Stop {
    Stop(String::new(), exit)
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
    let state_path = state::path();
    let (Some(method), Some(url)) = (&args.method, &args.url) else {
        // `--forget` alone: clap asks for METHOD and URL otherwise.
        forget(&state_path)?;
        return Ok(Exit::Passed);
    };
    // A broken environment file has been printed as a diagnostic already.
    let env = super::environment(args.env.as_deref(), &args.vars).map_err(printed)?;
    let base = env.target(args.base_url.as_deref()).map_err(usage)?;
    let typed = typed(&args, method, url)?;
    let req = spec_request(&typed, None)?;
    let stored = if args.forget {
        state::Stored::new()
    } else {
        state::load(&state_path).map_err(usage)?
    };
    let keeps_state = !typed.captures.is_empty() || args.forget;
    super::check_outputs(
        args.output
            .as_deref()
            .into_iter()
            .chain(args.save.as_deref())
            .chain(keeps_state.then_some(state_path.as_path())),
    )
    .map_err(printed)?;
    if let Some(path) = &args.save {
        save::check(path).map_err(usage)?;
    }
    let redactor = Redactor::default();
    for secret in &env.secret_values {
        redactor.add(secret);
    }
    let mut scope = Scope::new(redactor.clone(), Arc::new(|name| std::env::var(name).ok()));
    for (k, v) in &env.vars {
        scope.set(k, v.clone());
    }
    // Stored values over the environment file's; a `--var` over both.
    for (k, v) in &stored {
        if !args.vars.iter().any(|(name, _)| name == k) {
            scope.set(k, v.clone());
        }
    }
    if let Some(b) = &base {
        scope.set(
            "base_url",
            Value::String(b.as_str().trim_end_matches('/').to_string()),
        );
    }
    let tls = args.tls.load().map_err(usage)?;
    if tls.insecure {
        errln!("warning: {}", gigcheck_core::outcome::INSECURE);
    }
    let runtime = super::run::runtime().map_err(printed)?;
    runtime.block_on(async {
        let http = Http::with_tls(tls).map_err(usage)?;
        let jar = CookieJar::default();
        let timeout = Duration::from_secs_f64(args.timeout);
        let show = |req: &gigcheck_core::engine::http::Outgoing| {
            if args.curl {
                let redact = (!args.show_secrets).then_some(&redactor);
                outln!("{}", p.dim(&curl::command(req, redact)));
            }
        };
        let render = |req: &Request, scope: &Scope| {
            build(req, scope, base.as_ref(), timeout).map_err(|e| match e {
                BuildError::Render { .. } => usage(format!(
                    "{e}; define it with --var NAME=VALUE, in the --env file, or with --capture in an earlier request"
                )),
                _ => usage(e.to_string()),
            })
        };
        let token_var = typed.login_as.as_ref().map(|who| format!("{who}_token"));
        if let Some(var) = &token_var {
            // Rendered once before `--as` logs in, so a mistake stops it before anything is sent.
            scope.set(var, Value::String(format!("({var})")));
        }
        let mut outgoing = render(&req, &scope)?;
        if let (Some(who), Some(var)) = (&typed.login_as, &token_var) {
            let token = login(who, &env, &http, &jar, base.as_ref(), timeout, &show).await?;
            redactor.add(&token);
            scope.set(var, Value::String(token));
            let req = if typed
                .headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("authorization"))
            {
                req
            } else {
                spec_request(&typed, Some(&format!("{{{{{var}}}}}")))?
            };
            outgoing = render(&req, &scope)?;
        }
        if let Some(data) = &typed.data {
            outgoing.body = Some(data.clone());
        }
        if args.forget {
            forget(&state_path)?;
        }
        show(&outgoing);
        let incoming = http.send(&jar, &outgoing).await.map_err(sent_error)?;
        print_response(&incoming, &redactor, args.show_secrets, args.output.is_none(), p);
        // From here on the answer has come: what fails is exit 1, after the rest is done.
        let mut done = true;
        if let Some(path) = &args.output {
            match gigcheck_core::atomic::write(path, &incoming.body) {
                Ok(()) => errln!(
                    "body: {} written to {}",
                    gigcheck_base::text::count(incoming.body.len(), "byte"),
                    path.display()
                ),
                Err(e) => {
                    errln!("error: cannot write {}: {e}", path.display());
                    done = false;
                }
            }
        }
        let captured = state::capture(&typed.captures, &incoming, &scope, args.show_secrets);
        let all_found = captured.is_some();
        done &= all_found;
        if let Some(captured) = captured.filter(|c| !c.is_empty()) {
            let mut values = stored;
            values.extend(captured);
            match state::store(&state_path, &values) {
                Ok(()) => errln!(
                    "stored in {} for later requests (`--forget` clears it)",
                    state_path.display()
                ),
                Err(e) => {
                    errln!("error: {e}");
                    done = false;
                }
            }
        }
        if let Some(path) = &args.save {
            if all_found {
                done &= save_step(path, &typed, incoming.status);
            } else {
                errln!(
                    "not saved to {}: its step would capture nothing either",
                    path.display()
                );
            }
        }
        Ok(if done { Exit::Passed } else { Exit::Failed })
    })
}

/// `--forget`: removes the stored values, saying how many there were.
fn forget(path: &Path) -> Result<(), Stop> {
    match state::forget(path).map_err(usage)? {
        0 => errln!("nothing was stored ({})", path.display()),
        n => errln!(
            "forgot {} ({})",
            gigcheck_base::text::count(n, "stored value"),
            path.display()
        ),
    }
    Ok(())
}

/// Appends the request to the spec `path` and says so; false when it could not be written.
fn save_step(path: &Path, typed: &Typed, status: u16) -> bool {
    let saved = match save::save(path, typed, status) {
        Ok(saved) => saved,
        Err(e) => {
            errln!("error: {e}; the request was sent, but not saved");
            return false;
        }
    };
    let verb = if saved.created {
        "created"
    } else {
        "appended to"
    };
    errln!("saved: {verb} {} (expects status {status})", path.display());
    if !saved.needs_env.is_empty() {
        errln!(
            "note: secrets were saved as references; set {} before running it",
            saved.needs_env.join(", ")
        );
    }
    true
}

/// What was typed, with the request parts checked.
fn typed(args: &RequestArgs, typed_method: &str, url: &str) -> Result<Typed, Stop> {
    let method = typed_method.to_uppercase();
    if reqwest::Method::from_bytes(method.as_bytes()).is_err() || method.is_empty() {
        return Err(usage(format!(
            "`{typed_method}` is not an HTTP method, e.g. GET, POST, PUT, DELETE"
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
    let mut query: Vec<(String, String)> = Vec::new();
    for (k, v) in &args.query {
        if query.iter().any(|(seen, _)| seen == k) {
            return Err(usage(format!(
                "--query {k} is given twice; a request has one value per --query name (as a spec's `query` does): put repeated parameters in the URL, e.g. '{url}?{k}=a&{k}=b'"
            )));
        }
        query.push((k.clone(), v.clone()));
    }
    let json = args.json.as_deref().map(json_argument).transpose()?;
    let data = args.data.as_deref().map(data_argument).transpose()?;
    if let (Some(bytes), Some(path)) = (&data, &args.save)
        && std::str::from_utf8(bytes).is_err()
    {
        return Err(usage(format!(
            "--save {}: the --data body is not UTF-8 text, and a spec's `body` holds text; send it without --save",
            path.display()
        )));
    }
    let mut captures: Vec<(String, BodyPath)> = Vec::new();
    for (name, path) in &args.captures {
        if !is_variable_name(name) {
            return Err(usage(format!(
                "--capture {name}={path}: `{name}` is not a variable name: use letters, digits, `_` and `-`, e.g. order_id=$.order.id"
            )));
        }
        if captures.iter().any(|(seen, _)| seen == name) {
            return Err(usage(format!("--capture {name} is given twice")));
        }
        let parsed =
            BodyPath::parse(path).map_err(|e| usage(format!("--capture {name}={path}: {e}")))?;
        captures.push((name.clone(), parsed));
    }
    Ok(Typed {
        method,
        url: url.to_string(),
        query,
        headers,
        json,
        form: args.form.clone(),
        data,
        login_as: args.login_as.clone(),
        vars: args.vars.clone(),
        captures,
    })
}

/// Whether `{{name}}` reads the variable `name` (not a field of another, a generator or the
/// process environment).
fn is_variable_name(name: &str) -> bool {
    let Ok(template) = Template::parse(&format!("{{{{{name}}}}}")) else {
        return false;
    };
    let found: Vec<&Placeholder> = template.placeholders().collect();
    matches!(found.as_slice(), [Placeholder::Var { name: n, fields }] if n == name && fields.is_empty())
}

/// `--data TEXT` or `--data @file`: the bytes as they are.
fn data_argument(arg: &str) -> Result<Vec<u8>, Stop> {
    match arg.strip_prefix('@') {
        Some(path) => std::fs::read(path).map_err(|e| {
            usage(format!(
                "--data @{path}: cannot read it: {}",
                gigcheck_core::diagnostic::io_reason(&e)
            ))
        }),
        None => Ok(arg.as_bytes().to_vec()),
    }
}

/// `--json '{…}'` or `--json @file.json`.
fn json_argument(arg: &str) -> Result<Value, Stop> {
    let (text, from) = match arg.strip_prefix('@') {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| {
                usage(format!(
                    "--json @{path}: cannot read it: {}",
                    gigcheck_core::diagnostic::io_reason(&e)
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
/// is the token template `--as` adds. A raw body (`--data`) is not a template: it is put in
/// the built request as it is, and only its Content-Type goes here.
/// Name → value pairs as a JSON object of strings.
pub(super) fn strings<'a>(pairs: impl IntoIterator<Item = &'a (String, String)>) -> Value {
    Value::Object(
        pairs
            .into_iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn spec_request(t: &Typed, bearer: Option<&str>) -> Result<Request, Stop> {
    let mut req = Map::new();
    req.insert("method".into(), Value::String(t.method.clone()));
    req.insert("url".into(), Value::String(t.url.clone()));
    if !t.query.is_empty() {
        req.insert("query".into(), strings(&t.query));
    }
    let content_type = t
        .data_content_type()
        .map(|v| ("Content-Type".to_string(), v.to_string()));
    if !t.headers.is_empty() || content_type.is_some() {
        req.insert(
            "headers".into(),
            strings(t.headers.iter().chain(&content_type)),
        );
    }
    if let Some(b) = bearer {
        req.insert("bearer".into(), Value::String(b.to_string()));
    }
    if let Some(j) = &t.json {
        req.insert("json".into(), j.clone());
    }
    if !t.form.is_empty() {
        req.insert("form".into(), strings(&t.form));
    }
    serde_json::from_value(Value::Object(req)).map_err(|e| usage(e.to_string()))
}

/// Logs in with the environment's credentials for `who` and returns the token.
async fn login(
    who: &str,
    env: &Environment,
    http: &Http,
    jar: &CookieJar,
    base: Option<&url::Url>,
    timeout: Duration,
    show: &impl Fn(&gigcheck_core::engine::http::Outgoing),
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

/// Nothing answered (exit 3), or an answer too large to read (exit 1).
fn sent_error(e: SendError) -> Stop {
    let exit = match e {
        SendError::TooLarge => Exit::Failed,
        SendError::Connect { .. } | SendError::Timeout(_) | SendError::Other { .. } => {
            Exit::Unreachable
        }
    };
    Stop(e.to_string(), exit)
}

/// The status line and headers, and the body unless it goes to a file (`-o`).
fn print_response(
    incoming: &Incoming,
    redactor: &Redactor,
    show_secrets: bool,
    show_body: bool,
    p: Palette,
) {
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
    if show_body {
        outln!();
        out!("{}", pretty::body(&body, p));
    }
}
