//! Sending requests: one shared client (connection pooling), a cookie jar per scenario, a cap on
//! how much of a body is read, and errors that say in one line what went wrong.

use reqwest::cookie::{CookieStore, Jar};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Bodies beyond this are cut off; checks on them then fail with a clear message.
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct Http {
    /// For `http://` URLs: no TLS roots, so it starts instantly.
    plain: reqwest::Client,
    /// For `https://` URLs, built on first use: loading the system's trusted certificates
    /// costs more than a whole local run of a few hundred requests.
    tls: Arc<OnceLock<Result<reqwest::Client, String>>>,
}

/// Leaves the system's trusted certificates unloaded when `url` is plain HTTP: loading them is
/// the slowest part of building a client, and no TLS will be spoken.
pub fn roots_only_for_https(
    builder: reqwest::ClientBuilder,
    url: Option<&str>,
) -> reqwest::ClientBuilder {
    match url {
        Some(u) if u.starts_with("http://") => builder.tls_certs_only(Vec::new()),
        _ => builder,
    }
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tcp_nodelay(true)
        .user_agent(concat!("gigcheck/", env!("CARGO_PKG_VERSION")))
}

/// A fully rendered request.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    pub timeout: Duration,
}

/// What came back.
pub struct Incoming {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    #[error("no response within {} ms (timeout)", .0.as_millis())]
    Timeout(Duration),
    #[error("cannot connect to {url}: {cause}")]
    Connect { url: String, cause: String },
    #[error("the response body is larger than {} MiB; gigcheck reads at most that much", MAX_BODY_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("request to {url} failed: {cause}")]
    Other { url: String, cause: String },
}

impl Http {
    pub fn new() -> Result<Http, String> {
        // One crypto provider for the process; `Err` only means it was already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let plain = builder()
            .tls_certs_only(Vec::new())
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Http {
            plain,
            tls: Arc::new(OnceLock::new()),
        })
    }

    /// The client for `url`: the plain one, or the TLS one (built now if need be).
    fn client(&self, url: &url::Url) -> Result<&reqwest::Client, String> {
        if url.scheme() != "https" {
            return Ok(&self.plain);
        }
        self.tls
            .get_or_init(|| {
                builder()
                    .build()
                    .map_err(|e| format!("cannot set up the HTTPS client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    pub async fn send(&self, jar: &Jar, req: &Outgoing) -> Result<Incoming, SendError> {
        let started = Instant::now();
        let client = self.client(&req.url).map_err(|cause| SendError::Other {
            url: req.url.to_string(),
            cause,
        })?;
        let mut builder = client
            .request(req.method.clone(), req.url.clone())
            .timeout(req.timeout);
        let has_cookie_header = req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("cookie"));
        if !has_cookie_header && let Some(cookies) = jar.cookies(&req.url) {
            builder = builder.header(reqwest::header::COOKIE, cookies);
        }
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let work = async {
            let mut response = builder.send().await.map_err(|e| classify(&e, req))?;
            let status = response.status().as_u16();
            let mut set_cookies = response
                .headers()
                .get_all(reqwest::header::SET_COOKIE)
                .iter();
            jar.set_cookies(&mut set_cookies, &req.url);
            let headers = response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e, req))? {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(SendError::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Incoming {
                status,
                headers,
                body,
                elapsed: started.elapsed(),
            })
        };
        // reqwest's timeout covers the body too; the outer one guards against anything it misses.
        match tokio::time::timeout(req.timeout + Duration::from_millis(100), work).await {
            Ok(result) => result,
            Err(_) => Err(SendError::Timeout(req.timeout)),
        }
    }
}

impl Http {
    /// POSTs a JSON body and expects a 2xx answer (built-in hooks).
    pub async fn post_json(
        &self,
        url: &str,
        body: &serde_json::Value,
        timeout: Duration,
    ) -> Result<(), String> {
        let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
        let response = self
            .client(&parsed)?
            .post(url)
            .json(body)
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| format!("POST {url} failed: {}", root_cause(&e)))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("POST {url} answered {}", response.status()))
        }
    }
}

fn classify(e: &reqwest::Error, req: &Outgoing) -> SendError {
    let url = req.url.to_string();
    if e.is_timeout() {
        return SendError::Timeout(req.timeout);
    }
    let mut cause = root_cause(e);
    if req.url.scheme() == "https" && cause.contains("InvalidContentType") {
        // rustls's words for a server that answered the handshake with something else.
        cause =
            "the server does not speak TLS there (plain HTTP? then the URL starts with http://)"
                .into();
    }
    if e.is_connect() {
        SendError::Connect { url, cause }
    } else {
        SendError::Other { url, cause }
    }
}

/// The innermost error message, which names the real problem ("Connection refused").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    // io errors read "Connection refused (os error 111)": the number helps nobody.
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text,
    }
}

/// Checks that something listens at the URL's host and port, before a run sends anything.
pub async fn probe(url: &url::Url, limit: Duration) -> Result<(), String> {
    let host = url.host_str().ok_or_else(|| format!("{url} has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| format!("{url} has no port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::time::timeout(limit, tokio::net::TcpStream::connect((host, port))).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("cannot reach {url}: {}", root_cause(&e))),
        Err(_) => Err(format!(
            "cannot reach {url}: no answer within {} ms",
            limit.as_millis()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn probe_reports_refused_connections_in_one_line() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let url = url::Url::parse(&format!("http://127.0.0.1:{port}")).unwrap();
        let err = probe(&url, Duration::from_secs(2)).await.unwrap_err();
        assert_eq!(
            err,
            format!("cannot reach http://127.0.0.1:{port}/: connection refused")
        );
    }

    #[test]
    fn plain_urls_use_the_plain_client_and_https_builds_the_tls_one_once() {
        let http = Http::new().unwrap();
        let plain = url::Url::parse("http://127.0.0.1:1/").unwrap();
        let secure = url::Url::parse("https://example.test/").unwrap();
        assert!(http.client(&plain).is_ok());
        assert!(http.tls.get().is_none(), "no TLS client for plain HTTP");
        assert!(
            http.client(&secure).is_ok(),
            "{:?}",
            http.client(&secure).err()
        );
        assert!(http.tls.get().is_some());
        let clone = http.clone();
        assert!(clone.tls.get().is_some(), "clones share the TLS client");
    }
}
