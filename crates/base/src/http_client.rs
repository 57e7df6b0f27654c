//! How gigcheck's HTTP clients are built, the runner's and the servers' alike.

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
