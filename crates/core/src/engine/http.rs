//! Sending requests: one shared client (connection pooling), a cookie jar per scenario, a cap on
//! how much of a body is read, and errors that say in one line what went wrong.

use std::sync::{Arc, OnceLock, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// Bodies beyond this are cut off; checks on them then fail with a clear message.
pub(crate) const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The HTTP client a run sends every request through; cheap to clone, and clones share their
/// connection pools.
#[derive(Clone)]
pub struct Http {
    /// For `http://` URLs: no TLS roots, so it starts instantly.
    plain: reqwest::Client,
    /// For `https://` URLs, built on first use: loading the system's trusted certificates
    /// costs more than a whole local run of a few hundred requests.
    tls: Arc<OnceLock<Result<reqwest::Client, String>>>,
    settings: Arc<Tls>,
}

/// How HTTPS servers are trusted and how gigcheck presents itself to them, besides the system's
/// trusted certificates (which `SSL_CERT_FILE` and `SSL_CERT_DIR` can replace).
#[derive(Clone, Default)]
pub struct Tls {
    /// More trusted certificate authorities (`--cacert`).
    pub roots: Vec<reqwest::Certificate>,
    /// A client certificate and its key (`--cert`, `--key`), for servers that ask for one.
    pub(crate) identity: Option<reqwest::Identity>,
    /// Certificates are not checked at all (`--insecure`).
    pub insecure: bool,
}

impl Tls {
    /// Reads the files the flags name; an error names the file and what is wrong with it.
    pub fn load(
        cacert: Option<&std::path::Path>,
        cert: Option<&std::path::Path>,
        key: Option<&std::path::Path>,
        insecure: bool,
    ) -> Result<Tls, String> {
        let read = |flag: &str, path: &std::path::Path| {
            std::fs::read(path).map_err(|e| {
                format!(
                    "{flag} {}: {}",
                    path.display(),
                    crate::diagnostic::io_reason(&e)
                )
            })
        };
        let mut tls = Tls {
            insecure,
            ..Tls::default()
        };
        if let Some(path) = cacert {
            let pem = read("--cacert", path)?;
            tls.roots = reqwest::Certificate::from_pem_bundle(&pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| {
                    format!(
                        "--cacert {}: no PEM certificate in it (-----BEGIN CERTIFICATE-----)",
                        path.display()
                    )
                })?;
        }
        match (cert, key) {
            (Some(cert_path), key_path) => {
                let mut pem = read("--cert", cert_path)?;
                if let Some(key_path) = key_path {
                    pem.push(b'\n');
                    pem.extend(read("--key", key_path)?);
                }
                let identity = reqwest::Identity::from_pem(&pem).map_err(|_| {
                    format!(
                        "--cert {}: not a PEM certificate with its private key (give the key in the same file or with --key)",
                        cert_path.display()
                    )
                })?;
                tls.identity = Some(identity);
            }
            (None, Some(_)) => {
                return Err("--key goes with --cert: give the client certificate too".into());
            }
            (None, None) => {}
        }
        Ok(tls)
    }
}

/// A scenario's cookies: what the answers' `Set-Cookie` headers stored, sent back where they
/// apply (RFC 6265's domain, path, expiry and `Secure` rules, kept by `cookie_store`, the store
/// reqwest's own jar wraps). A jar of gigcheck's own rather than reqwest's: with reqwest's, every
/// request's URL was parsed once more (about 6 000 of the 150 000 instructions a request costs).
#[derive(Default)]
pub struct CookieJar(RwLock<cookie_store::CookieStore>);

impl CookieJar {
    /// The `Cookie` header for a request to `url`, if any stored cookie applies.
    fn header_for(&self, url: &url::Url) -> Option<String> {
        let store = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut pairs = store.get_request_values(url);
        let (name, value) = pairs.next()?;
        let mut header = format!("{name}={value}");
        for (name, value) in pairs {
            header.push_str("; ");
            header.push_str(name);
            header.push('=');
            header.push_str(value);
        }
        Some(header)
    }

    /// Stores the cookies of an answer's `Set-Cookie` values, for a request to `url`; a value
    /// that is not a cookie is left out, as browsers do.
    fn store<'a>(&self, set_cookies: impl Iterator<Item = &'a [u8]>, url: &url::Url) {
        let cookies = set_cookies
            .filter_map(|value| std::str::from_utf8(value).ok())
            .filter_map(|value| cookie_store::RawCookie::parse(value).ok())
            .map(cookie_store::RawCookie::into_owned);
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .store_response_cookies(cookies, url);
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
    /// The HTTP method.
    pub method: reqwest::Method,
    /// The absolute URL the request goes to.
    pub url: url::Url,
    /// Headers as `(name, value)` in the order sent; a name may repeat. A `Cookie` header here
    /// replaces the scenario's cookie jar for this request.
    pub headers: Vec<(String, String)>,
    /// The body bytes; `None` sends no body.
    pub body: Option<Vec<u8>>,
    /// How long to wait for the whole response, body included.
    pub timeout: Duration,
}

/// What came back.
pub struct Incoming {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers as `(name, value)`, names in lower case, one entry per value.
    pub headers: Vec<(String, String)>,
    /// The whole body, at most 16 MiB.
    pub body: Vec<u8>,
    /// From just before sending until the last body byte arrived.
    pub elapsed: Duration,
}

/// Why a request got no usable response; its message is one line for the report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No complete response within the request's timeout, which it holds.
    #[error("no response within {} ms (timeout)", .0.as_millis())]
    Timeout(Duration),
    /// No connection could be made (refused, DNS, TLS handshake).
    #[error("cannot connect to {url}: {cause}")]
    Connect {
        /// The URL that was requested.
        url: String,
        /// The innermost error, with a hint for TLS problems.
        cause: String,
    },
    /// The body went past 16 MiB; reading stopped there.
    #[error("the response body is larger than {} MiB; gigcheck reads at most that much", MAX_BODY_BYTES / 1024 / 1024)]
    TooLarge,
    /// Any other failure: a header that cannot be sent, a connection lost mid-answer, an
    /// HTTPS client that could not be built.
    #[error("request to {url} failed: {cause}")]
    Other {
        /// The URL that was requested.
        url: String,
        /// The innermost error, with a hint for TLS problems.
        cause: String,
    },
}

impl Http {
    /// A client that trusts the system's certificate authorities.
    pub fn new() -> Result<Http, String> {
        Http::with_tls(Tls::default())
    }

    /// A client whose HTTPS connections follow `tls`.
    pub fn with_tls(tls: Tls) -> Result<Http, String> {
        // One crypto provider for the process; `Err` only means it was already installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let plain = builder()
            .tls_certs_only(Vec::new())
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {e}"))?;
        Ok(Http {
            plain,
            tls: Arc::new(OnceLock::new()),
            settings: Arc::new(tls),
        })
    }

    /// The client for `url`: the plain one, or the TLS one (built now if need be).
    fn client(&self, url: &url::Url) -> Result<&reqwest::Client, String> {
        if url.scheme() != "https" {
            return Ok(&self.plain);
        }
        self.tls
            .get_or_init(|| {
                let settings = &self.settings;
                let mut b = builder().danger_accept_invalid_certs(settings.insecure);
                for root in &settings.roots {
                    b = b.add_root_certificate(root.clone());
                }
                if let Some(identity) = &settings.identity {
                    b = b.identity(identity.clone());
                }
                b.build()
                    .map_err(|e| format!("cannot set up the HTTPS client: {e}"))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Sends one request without following redirects, with `jar`'s cookies unless `req` has a
    /// `Cookie` header, and stores the `Set-Cookie`s of the answer in `jar`.
    pub async fn send(&self, jar: &CookieJar, req: &Outgoing) -> Result<Incoming, SendError> {
        // The clock starts after the client is built: building the first HTTPS client (loading
        // the roots) is gigcheck's cost, not the target's, and must not fail `faster_than`.
        let client = self.client(&req.url).map_err(|cause| SendError::Other {
            url: req.url.to_string(),
            cause,
        })?;
        let started = Instant::now();
        let mut builder = client
            .request(req.method.clone(), req.url.clone())
            .timeout(req.timeout);
        let has_cookie_header = req
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("cookie"));
        if !has_cookie_header && let Some(cookies) = jar.header_for(&req.url) {
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
            let set_cookies = response.headers().get_all(reqwest::header::SET_COOKIE);
            jar.store(set_cookies.iter().map(|v| v.as_bytes()), &req.url);
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
    pub(crate) async fn post_json(
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
    if req.url.scheme() == "https" {
        if cause.contains("InvalidContentType") {
            // rustls's words for a server that answered the handshake with something else.
            cause =
                "the server does not speak TLS there (plain HTTP? then the URL starts with http://)"
                    .into();
        } else if let Some(fix) = tls_fix(&cause) {
            cause = format!("{cause}; {fix}");
        }
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

/// What to do about a TLS failure, from rustls's words for it.
fn tls_fix(cause: &str) -> Option<&'static str> {
    if cause.contains("CertificateRequired") || cause.contains("certificate required") {
        Some("the server asks for a client certificate: pass --cert FILE (and --key FILE)")
    } else if cause.contains("certificate") || cause.contains("Certificate") {
        Some(
            "if a private authority signed the server's certificate, pass --cacert FILE (or set SSL_CERT_FILE); --insecure skips the check",
        )
    } else {
        None
    }
}

/// Checks that something listens at the URL's host and port, and for HTTPS that the TLS
/// handshake succeeds, before a run sends anything.
pub async fn probe(http: &Http, url: &url::Url, limit: Duration) -> Result<(), String> {
    listening(url, limit).await?;
    if url.scheme() != "https" {
        return Ok(());
    }
    let client = http.client(url)?;
    match tokio::time::timeout(limit, client.head(url.clone()).send()).await {
        // A handshake that fails is a connect error (or, in TLS 1.3, a refused client
        // certificate an alert on the first read); any answer, or none in time, is for the
        // run to judge.
        Ok(Err(e)) => {
            let cause = root_cause(&e);
            match tls_fix(&cause) {
                Some(fix) => Err(format!("cannot reach {url}: {cause}; {fix}")),
                None if e.is_connect() => Err(format!("cannot reach {url}: {cause}")),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

/// Checks that something listens at the URL's host and port.
async fn listening(url: &url::Url, limit: Duration) -> Result<(), String> {
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
        let err = probe(&Http::new().unwrap(), &url, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert_eq!(
            err,
            format!("cannot reach http://127.0.0.1:{port}/: connection refused")
        );
    }

    #[test]
    fn the_jar_sends_back_what_applies_and_skips_what_is_not_a_cookie() {
        let jar = CookieJar::default();
        let url = |u: &str| url::Url::parse(u).unwrap();
        assert_eq!(jar.header_for(&url("http://127.0.0.1:1/api/orders")), None);
        let answer: [&[u8]; 4] = [
            b"session=abc; Path=/; HttpOnly",
            b"cart=2; Path=/api",
            b"admin=1; Path=/admin",
            b"\xff not a cookie",
        ];
        jar.store(
            answer.into_iter(),
            &url("http://127.0.0.1:1/api/auth/login"),
        );
        // The store keeps no order among cookies of different paths.
        let mut sent: Vec<String> = jar
            .header_for(&url("http://127.0.0.1:1/api/orders"))
            .unwrap_or_default()
            .split("; ")
            .map(str::to_string)
            .collect();
        sent.sort();
        assert_eq!(sent, ["cart=2", "session=abc"]);
        assert_eq!(
            jar.header_for(&url("http://127.0.0.1:1/")).as_deref(),
            Some("session=abc")
        );
        jar.store(
            [&b"session=; Max-Age=0; Path=/"[..]].into_iter(),
            &url("http://127.0.0.1:1/logout"),
        );
        assert_eq!(
            jar.header_for(&url("http://127.0.0.1:1/api/orders"))
                .as_deref(),
            Some("cart=2")
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
