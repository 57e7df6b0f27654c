//! Turns a spec [`Request`] into an [`Outgoing`] request, rendering every template, and into the
//! redacted [`RequestLog`] that reports show.

mod webhook;

use super::http::Outgoing;
use super::scope::Scope;
use crate::outcome::RequestLog;
use crate::redact::Redactor;
use crate::spec::template::{Lookup, RenderError};
use crate::spec::{Call, Request};
use std::time::Duration;

/// Why a step's request could not be built, so nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A template in the request could not be rendered.
    #[error("{field}: {error}")]
    Render {
        /// Where the template is: `url`, `json`, `body`, `bearer`, or a header, query or form
        /// field name.
        field: String,
        /// Why it could not be rendered.
        error: RenderError,
    },
    /// The URL, which it holds, is relative and the run has no base URL.
    #[error(
        "`{0}` is a relative URL and there is no base URL: pass --base-url or set base_url in the --env file"
    )]
    NoBase(String),
    /// The rendered URL (joined to the base URL if relative) does not parse.
    #[error("`{url}` is not a valid URL: {error}")]
    BadUrl {
        /// The URL as rendered, before joining.
        url: String,
        /// The parser's reason.
        error: String,
    },
    /// A header, named here, whose rendered name or value HTTP does not allow (a newline, say).
    #[error("header `{0}` is not a valid HTTP header")]
    BadHeader(String),
}

fn render_err(field: &str) -> impl Fn(RenderError) -> BuildError + '_ {
    move |error| BuildError::Render {
        field: field.to_string(),
        error,
    }
}

/// Renders a step's call, whatever it is, into a request.
pub(crate) fn build_call(
    call: &Call,
    scope: &Scope,
    base: Option<&url::Url>,
    timeout: Duration,
) -> Result<Outgoing, BuildError> {
    match call {
        Call::Request(req) => build(req, scope, base, timeout),
        Call::Webhook(hook) => webhook::build(hook, scope, base, timeout),
    }
}

/// Renders a spec request into one ready to send: the URL resolved against `base`, query,
/// headers, bearer token and body filled in, a Content-Type added for `json` and `form` bodies
/// unless one is given, and `default_timeout` unless the request sets its own.
pub fn build(
    req: &Request,
    scope: &Scope,
    base: Option<&url::Url>,
    default_timeout: Duration,
) -> Result<Outgoing, BuildError> {
    let target = req.url.render(scope).map_err(render_err("url"))?;
    let mut url = resolve_url(&target, base)?;
    if !req.query.is_empty() {
        let mut pairs = Vec::with_capacity(req.query.len());
        for (k, v) in &req.query {
            pairs.push((k.clone(), v.render(scope).map_err(render_err(k))?));
        }
        url.query_pairs_mut().extend_pairs(pairs);
    }
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in &req.headers {
        headers.push((k.clone(), v.render(scope).map_err(render_err(k))?));
    }
    if let Some(token) = &req.bearer {
        let token = token.render(scope).map_err(render_err("bearer"))?;
        scope.note_secret(&token);
        headers.push(("Authorization".into(), format!("Bearer {token}")));
    }
    let set_type = |content_type: &str, headers: &mut Vec<(String, String)>| {
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), content_type.to_string()));
        }
    };
    let body = if let Some(json) = &req.json {
        let value = json.render(scope).map_err(render_err("json"))?;
        set_type("application/json", &mut headers);
        Some(serde_json::to_vec(&value).unwrap_or_default())
    } else if let Some(form) = &req.form {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form {
            ser.append_pair(k, &v.render(scope).map_err(render_err(k))?);
        }
        set_type("application/x-www-form-urlencoded", &mut headers);
        Some(ser.finish().into_bytes())
    } else if let Some(raw) = &req.body {
        Some(raw.render(scope).map_err(render_err("body"))?.into_bytes())
    } else {
        None
    };
    for (k, v) in &headers {
        if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(v).is_err()
        {
            return Err(BuildError::BadHeader(k.clone()));
        }
    }
    let method =
        reqwest::Method::from_bytes(req.method.as_str().as_bytes()).unwrap_or(reqwest::Method::GET);
    Ok(Outgoing {
        method,
        url,
        headers,
        body,
        timeout: req.timeout.map_or(default_timeout, |t| t.0),
    })
}

/// `url` as is when absolute, else appended to `base` (keeping any path the base has).
pub(crate) fn resolve_url(target: &str, base: Option<&url::Url>) -> Result<url::Url, BuildError> {
    let bad = |error: url::ParseError| BuildError::BadUrl {
        url: target.to_string(),
        error: error.to_string(),
    };
    let scheme = target.split_once("://").map(|(scheme, _)| scheme);
    if scheme.is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https")) {
        return url::Url::parse(target).map_err(bad);
    }
    let base = base.ok_or_else(|| BuildError::NoBase(target.to_string()))?;
    let joined = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        target.trim_start_matches('/')
    );
    // The same URL, read against the base: its scheme, host and port are taken as they are
    // rather than parsed again (host parsing was most of the cost of building a request).
    let origin = base[..url::Position::BeforePath].len();
    match joined.get(origin..) {
        Some(reference) if reference.starts_with('/') && !reference.starts_with("//") => {
            base.join(reference).map_err(bad)
        }
        _ => url::Url::parse(&joined).map_err(bad),
    }
}

/// What reports show of a request: credentials and secret values replaced.
pub fn log(req: &Outgoing, redactor: &Redactor) -> RequestLog {
    let is_form = req.headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("content-type") && v.starts_with("application/x-www-form-urlencoded")
    });
    RequestLog {
        method: req.method.to_string(),
        url: redactor.text(req.url.as_str()),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), redactor.header(k, v)))
            .collect(),
        body: req.body.as_ref().map(|b| {
            let text = String::from_utf8_lossy(b);
            let shown = if is_form {
                redactor.form(&text)
            } else {
                redactor.body(&text)
            };
            super::shorten(&shown)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_urls_keep_the_base_path() {
        let base = url::Url::parse("http://127.0.0.1:5000/v1/").unwrap();
        assert_eq!(
            resolve_url("/api/orders", Some(&base)).unwrap().as_str(),
            "http://127.0.0.1:5000/v1/api/orders"
        );
        assert_eq!(
            resolve_url("https://x.test/a", None).unwrap().as_str(),
            "https://x.test/a"
        );
        assert!(matches!(
            resolve_url("/a", None),
            Err(BuildError::NoBase(_))
        ));
    }

    #[test]
    fn a_url_read_against_the_base_is_the_url_parsed_whole() {
        let bases = [
            "http://127.0.0.1:5000/",
            "http://127.0.0.1:5000/v1/",
            "http://127.0.0.1:5000/v1",
            "https://shop.example.test/api//",
            "http://[::1]:8080/a//b/",
            "http://user:pw@host.test/p?q=1",
            "http://h.test//x",
        ];
        let targets = [
            "/api/orders",
            "api/orders?page=2&sort=-id#top",
            "//evil.test/x",
            "/a/../b/./c",
            "/spaces in path/é",
            "/back\\slash",
            "/%2e%2e/x",
            "/orders/{id}",
            "",
            "/",
            "?only=query",
            "#only-fragment",
        ];
        for base in bases {
            let base = url::Url::parse(base).unwrap();
            for target in targets {
                let joined = format!(
                    "{}/{}",
                    base.as_str().trim_end_matches('/'),
                    target.trim_start_matches('/')
                );
                assert_eq!(
                    resolve_url(target, Some(&base)).map_err(|e| e.to_string()),
                    url::Url::parse(&joined).map_err(|e| e.to_string()),
                    "{base} + {target}"
                );
            }
        }
    }

    #[test]
    fn a_scheme_in_capitals_is_still_an_absolute_url() {
        let base = url::Url::parse("http://127.0.0.1:5000/").unwrap();
        assert_eq!(
            resolve_url("HTTPS://x.test/a", Some(&base))
                .unwrap()
                .as_str(),
            "https://x.test/a"
        );
    }

    #[test]
    fn builds_json_with_auth_and_query() {
        let req: Request = crate::yaml::from_str(
            "{ method: POST, url: '/api/orders', query: { page: 2 }, bearer: '{{token}}', json: { qty: '{{n}}' } }",
        )
        .unwrap();
        let mut scope = Scope::new(Redactor::default(), std::sync::Arc::new(|_| None));
        scope.set("token", serde_json::json!("abc.def.ghi"));
        scope.set("n", serde_json::json!(2));
        let base = url::Url::parse("http://h:1").unwrap();
        let out = build(&req, &scope, Some(&base), Duration::from_secs(1)).unwrap();
        assert_eq!(out.url.as_str(), "http://h:1/api/orders?page=2");
        assert_eq!(out.body.as_deref(), Some(&b"{\"qty\":2}"[..]));
        assert!(
            out.headers
                .contains(&("Content-Type".into(), "application/json".into()))
        );
        let shown = log(&out, scope.redactor());
        assert!(
            shown
                .headers
                .contains(&("Authorization".into(), "[redacted]".into()))
        );
    }

    #[test]
    fn undefined_variables_name_the_field() {
        let req: Request =
            crate::yaml::from_str("{ method: GET, url: '/api/orders/{{order_id}}' }").unwrap();
        let scope = Scope::new(Redactor::default(), std::sync::Arc::new(|_| None));
        let err = build(&req, &scope, None, Duration::from_secs(1)).unwrap_err();
        assert_eq!(err.to_string(), "url: variable `order_id` is not defined");
    }
}
