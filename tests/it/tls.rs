//! HTTPS backends: one signed by a private authority is refused in one line with the fix,
//! trusted with `--cacert`, reached with `--insecure` (said loudly), and one that asks for a
//! client certificate gets it from `--cert`/`--key`.

use crate::common;
use common::*;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::rustls;

/// A private authority, and a certificate for 127.0.0.1 it signed.
struct Pki {
    ca_pem: String,
    issuer: CertifiedIssuer<'static, KeyPair>,
    server_cert: rustls::pki_types::CertificateDer<'static>,
    server_key: rustls::pki_types::PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "gigcheck test authority");
    let issuer = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    Pki {
        ca_pem: issuer.pem(),
        server_cert: server.der().clone(),
        server_key: rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        issuer,
    }
}

/// A client certificate the authority signed: (certificate PEM, key PEM).
fn client_identity(pki: &Pki) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["qa-client".to_string()])
        .unwrap()
        .signed_by(&key, &pki.issuer)
        .unwrap();
    (cert.pem(), key.serialize_pem())
}

/// An HTTPS server on 127.0.0.1 that answers every request `200 {"status":"ok"}`; with
/// `client_auth`, only to clients whose certificate the authority signed.
fn https_server(pki: &Pki, client_auth: bool) -> Served {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let builder = rustls::ServerConfig::builder();
    let builder = if client_auth {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.issuer.der().clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(vec![pki.server_cert.clone()], pki.server_key.clone_key())
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let (runtime, listener) = listen();
    let url = format!("https://{}", listener.local_addr().unwrap());
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => seen.extend_from_slice(&buf[..n]),
                    }
                }
                let body = br#"{"status":"ok"}"#;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = tls.write_all(head.as_bytes()).await;
                if !seen.starts_with(b"HEAD") {
                    let _ = tls.write_all(body).await;
                }
                let _ = tls.shutdown().await;
            });
        }
    });
    Served { url, runtime }
}

const SPEC: &str = r#"
scenarios:
  - name: the backend answers over HTTPS
    steps:
      - request: { method: GET, url: /api/health }
        expect: { status: 200, body: { $.status: ok } }
"#;

#[test]
fn a_private_authority_is_refused_in_one_line_then_trusted_with_cacert() {
    let pki = pki();
    let server = https_server(&pki, false);
    let p = Project::new();
    p.write("specs/a.yaml", SPEC);
    p.write("ca.pem", &pki.ca_pem);

    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 3, "{}", out.all());
    let line = out.stderr.trim();
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(line.contains("invalid peer certificate"), "{line}");
    assert!(line.contains("pass --cacert FILE"), "{line}");

    let out = p.gigcheck(&["run", "--base-url", &server.url, "--cacert", "ca.pem"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.all().contains("--insecure"), "{}", out.all());

    // The environment variable OpenSSL users know does the same.
    let ca = p.path("ca.pem");
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url],
        &[("SSL_CERT_FILE", ca.to_str().unwrap())],
    );
    assert_eq!(out.code, 0, "{}", out.all());

    // `request` takes the same flags, and says the same.
    let url = format!("{}/api/health", server.url);
    let out = p.gigcheck(&["request", "GET", &url]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(out.stderr.contains("pass --cacert FILE"), "{}", out.stderr);
    let out = p.gigcheck(&["request", "GET", &url, "--cacert", "ca.pem"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("HTTP 200"), "{}", out.stdout);

    // A file that holds no certificate is a usage error, before anything is sent.
    p.write("not-a-cert.pem", "hello");
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--cacert",
        "not-a-cert.pem",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("no PEM certificate"), "{}", out.stderr);
}

#[test]
fn insecure_reaches_it_and_every_report_says_so() {
    let pki = pki();
    let server = https_server(&pki, false);
    let p = Project::new();
    p.write("specs/a.yaml", SPEC);
    let out = p.gigcheck(
        &[
            &["run", "--base-url", &server.url, "--insecure"][..],
            EVERY_REPORT,
        ]
        .concat(),
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let warning = "TLS certificate was not checked";
    assert!(out.stderr.contains(warning), "{}", out.stderr);
    assert!(out.stdout.contains(warning), "{}", out.stdout);
    assert!(p.read("reports/run.json").contains("\"insecure\": true"));
    assert!(p.read("reports/run.html").contains(warning));
    assert!(p.read("reports/run.md").contains(warning));
}

#[test]
fn a_server_that_wants_a_client_certificate_gets_it() {
    let pki = pki();
    let server = https_server(&pki, true);
    let (cert, key) = client_identity(&pki);
    let p = Project::new();
    p.write("specs/a.yaml", SPEC);
    p.write("ca.pem", &pki.ca_pem);
    p.write("client.pem", &cert);
    p.write("client.key", &key);

    let out = p.gigcheck(&["run", "--base-url", &server.url, "--cacert", "ca.pem"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(out.stderr.contains("pass --cert FILE"), "{}", out.stderr);

    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--cacert",
        "ca.pem",
        "--cert",
        "client.pem",
        "--key",
        "client.key",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
}
