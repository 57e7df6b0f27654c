//! The servers gigcheck carries: a reference GigGatek backend ([`sandbox`]) and a stateful
//! Stripe emulator ([`stripe`]). Each is an axum router plus handlers plus state; this module
//! only knows how to serve a router on a listener and stop it. The command line wires them
//! together (`gigcheck`'s `embedded` module); neither knows the runner.

#[macro_use]
extern crate gigcheck_base;

pub mod sandbox;
pub mod stripe;

use std::net::SocketAddr;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running in this process.
pub struct Running {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub url: String,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Running {
    /// Serves `app` on `listener` until [`Running::stop`]. Handlers can read the peer's address
    /// (`ConnectInfo<SocketAddr>`): the sandbox's rate limits count per client IP.
    pub fn spawn(listener: TcpListener, app: axum::Router) -> Result<Running, String> {
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot read the listening address: {e}"))?;
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let app = app.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Running {
            url: format!("http://{addr}"),
            shutdown: Some(tx),
            task,
        })
    }

    /// Stops accepting connections and waits for in-flight requests to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

/// Binds 127.0.0.1:`port` (0 for an ephemeral port) with a message that says what to do.
pub async fn bind(port: u16) -> Result<TcpListener, String> {
    TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| {
        format!("cannot listen on 127.0.0.1:{port}: {e}; pick another port with --port")
    })
}
