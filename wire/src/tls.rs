//! TLS for NATS connections: the binaries link two rustls crypto providers (async-nats brings
//! `ring`, reqwest `aws-lc-rs`), so rustls cannot pick one by itself and a `tls://` connection
//! would panic. Each binary calls [`install_crypto_provider`] first.

/// Makes `ring` the process's rustls crypto provider (a second call does nothing).
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
