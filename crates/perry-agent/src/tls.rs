//! HTTPS on the agent's port: the certificate and key (`perry agent run --tls-cert/--tls-key`
//! or `tls` in config.json), checked at start, and a listener that completes TLS handshakes
//! beside the accept loop, so a client that stalls in its handshake holds up nobody else.
//!
//! rustls with the `ring` provider: no OpenSSL, and it builds with a C compiler alone. The local
//! socket (`agent.sock`) stays plain: only the owner can connect to it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_rustls::server::TlsStream;

use crate::state::config::TlsFiles;

/// How long a client gets from connecting to a finished handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// The cryptography of every TLS connection Perry makes or takes: rustls on `ring`.
///
/// rustls 0.23.48 deprecated its `ring` provider because it lacks the post-quantum key exchange
/// (X25519MLKEM768) that the `aws-lc-rs` provider offers. Perry keeps `ring` anyway: it builds
/// with a C compiler alone, where aws-lc is a far larger C build; connections still use X25519.
#[allow(deprecated)]
pub fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Installs [`crypto_provider`] as the process's default, for any rustls user that asks for
/// the default. `perry` calls it at start; later calls do nothing.
pub fn install_crypto_provider() {
    let _ = Arc::unwrap_or_clone(crypto_provider()).install_default();
}

/// Reads a CA file for `perry config ca`: PEM with at least one certificate.
pub fn read_ca_file(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let pem = std::fs::read(path)
        .with_context(|| format!("cannot read the CA certificate {}", path.display()))?;
    let certificates = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| anyhow::anyhow!("{} is not valid PEM: {error}", path.display()))?;
    if certificates.is_empty() {
        anyhow::bail!(
            "{} holds no certificate (-----BEGIN CERTIFICATE-----); give the CA's certificate in PEM",
            path.display()
        );
    }
    Ok(certificates)
}

/// The certificates of the system's store, read once: `SSL_CERT_FILE` / `SSL_CERT_DIR` when
/// set, else the distribution's bundle (/etc/ssl/certs).
fn system_roots() -> &'static [CertificateDer<'static>] {
    static ROOTS: std::sync::OnceLock<Vec<CertificateDer<'static>>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        for error in &loaded.errors {
            tracing::debug!("system CA certificates: {error}");
        }
        loaded.certs
    })
}

/// TLS for calling an https agent (the CLI's, a relaying agent's): the system's roots and the
/// CA in `ca_file`.
/// A reqwest client from `builder` that trusts the system's certificate authorities (for the
/// agent's own outgoing HTTPS: peers, notification channels). Without them it still speaks
/// plain HTTP, and says why HTTPS will fail.
pub fn http_client(builder: reqwest::ClientBuilder, purpose: &str) -> reqwest::Client {
    let builder = match client_config(None) {
        Ok(tls) => builder.use_preconfigured_tls(tls),
        Err(error) => {
            tracing::warn!("no TLS for {purpose}: {error:#}");
            builder
        }
    };
    builder.build().unwrap_or_default()
}

pub fn client_config(ca_file: Option<&Path>) -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add_parsable_certificates(system_roots().iter().cloned());
    if let Some(path) = ca_file {
        for certificate in read_ca_file(path)? {
            roots.add(certificate).with_context(|| {
                format!(
                    "the CA certificate in {} cannot be used (set another with `perry config ca <file>`)",
                    path.display()
                )
            })?;
        }
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .context("rustls offers no TLS version")?
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// A loaded certificate and key, ready to serve.
#[derive(Debug)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    files: TlsFiles,
    names: Vec<String>,
}

impl ServerTls {
    /// Reads and checks `files`: both must be PEM, the certificate file must hold the chain
    /// (leaf first) and the key must be the leaf's.
    pub fn load(files: &TlsFiles) -> anyhow::Result<ServerTls> {
        let cert_pem = std::fs::read(&files.cert)
            .with_context(|| format!("cannot read the TLS certificate {}", files.cert.display()))?;
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| {
                anyhow::anyhow!(
                    "the TLS certificate {} is not valid PEM: {error}",
                    files.cert.display()
                )
            })?;
        if chain.is_empty() {
            bail!(
                "the TLS certificate {} holds no certificate (-----BEGIN CERTIFICATE-----); give the certificate chain with --tls-cert and its key with --tls-key",
                files.cert.display()
            );
        }
        let key_pem = std::fs::read(&files.key)
            .with_context(|| format!("cannot read the TLS key {}", files.key.display()))?;
        let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| match error {
            rustls::pki_types::pem::Error::NoItemsFound => anyhow::anyhow!(
                "the TLS key {} holds no private key (-----BEGIN PRIVATE KEY-----, RSA or EC); give the key with --tls-key and the certificate with --tls-cert",
                files.key.display()
            ),
            error => anyhow::anyhow!(
                "the TLS key {} is not valid PEM: {error}",
                files.key.display()
            ),
        })?;
        let names = dns_names(&chain[0]).with_context(|| {
            format!(
                "the first certificate in {} cannot be parsed",
                files.cert.display()
            )
        })?;
        let mut config = rustls::ServerConfig::builder_with_provider(crypto_provider())
            .with_safe_default_protocol_versions()
            .context("rustls offers no TLS version")?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|error| match error {
                rustls::Error::InconsistentKeys(_) => anyhow::anyhow!(
                    "the TLS key {} does not belong to the certificate {}: give the key that was made with it",
                    files.key.display(),
                    files.cert.display()
                ),
                error => anyhow::anyhow!(
                    "cannot use the TLS key {} with the certificate {}: {error}",
                    files.key.display(),
                    files.cert.display()
                ),
            })?;
        // The agent's server speaks HTTP/1.1 (WebSockets upgrade from it).
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            config: Arc::new(config),
            files: files.clone(),
            names,
        })
    }

    /// The DNS names the certificate is for (its subject alternative names; wildcards too).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The name to put in the sign-in URL: a browser accepts only a name the certificate
    /// holds. The first name that is neither a wildcard nor `localhost`, else `localhost`.
    pub fn url_host(&self) -> Option<&str> {
        preferred_name(&self.names)
    }

    /// The certificate file, for log lines.
    pub fn cert_path(&self) -> &Path {
        &self.files.cert
    }
}

fn preferred_name(names: &[String]) -> Option<&str> {
    let exact = || names.iter().filter(|name| !name.starts_with("*."));
    exact()
        .find(|name| !name.eq_ignore_ascii_case("localhost"))
        .or_else(|| exact().next())
        .map(String::as_str)
}

/// The DNS names in a certificate's subject alternative names.
fn dns_names(cert: &CertificateDer<'_>) -> anyhow::Result<Vec<String>> {
    let parsed =
        webpki::EndEntityCert::try_from(cert).map_err(|error| anyhow::anyhow!("{error}"))?;
    Ok(parsed.valid_dns_names().map(str::to_owned).collect())
}

/// `files` with relative paths taken from `dir` (config.json's paths are relative to it).
pub fn resolve_in(files: &TlsFiles, dir: &Path) -> TlsFiles {
    let resolve = |path: &PathBuf| {
        if path.is_absolute() {
            path.clone()
        } else {
            dir.join(path)
        }
    };
    TlsFiles {
        cert: resolve(&files.cert),
        key: resolve(&files.key),
    }
}

/// A listener whose connections are TLS streams that finished their handshake. Handshakes run
/// in their own tasks; the listener hands out the ones that succeeded, in the order they did.
pub struct TlsListener {
    local_address: SocketAddr,
    established: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    /// Accepts on `listener` and completes handshakes with `tls`, from now until dropped.
    pub fn new(listener: TcpListener, tls: &ServerTls) -> std::io::Result<TlsListener> {
        let local_address = listener.local_addr()?;
        let acceptor = tokio_rustls::TlsAcceptor::from(tls.config.clone());
        let (sender, established) = mpsc::channel(64);
        let accepting = tokio::spawn(accept_loop(listener, acceptor, sender));
        Ok(TlsListener {
            local_address,
            established,
            accepting,
        })
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        // Stops accepting and drops every handshake under way (their JoinSet goes with it).
        self.accepting.abort();
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.established.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when this listener is dropped.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local_address)
    }
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    established: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let mut handshakes = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = handshakes.join_next() => continue,
        };
        let (stream, address) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait rather than spin (as axum does).
                tracing::debug!("accept failed: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Before the handshake, so the handshake has no Nagle delay either.
        crate::tune_connection(&stream);
        let acceptor = acceptor.clone();
        let established = established.clone();
        handshakes.spawn(async move {
            let handshake = tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake(acceptor, stream));
            match handshake.await {
                Ok(Ok(Some(tls))) => {
                    let _ = established.send((tls, address)).await;
                }
                Ok(Ok(None)) => {}
                Ok(Err(error)) => tracing::debug!("TLS handshake with {address} failed: {error}"),
                Err(_) => tracing::debug!("TLS handshake with {address} timed out"),
            }
        });
    }
}

/// The handshake, or `None` when the client spoke plain HTTP: it gets an answer that says to
/// use https (as an oRPC error, so the CLI shows the message).
async fn handshake(
    acceptor: tokio_rustls::TlsAcceptor,
    mut stream: TcpStream,
) -> std::io::Result<Option<TlsStream<TcpStream>>> {
    let mut first = [0u8; 1];
    if stream.peek(&mut first).await? == 1 && first[0] != TLS_HANDSHAKE_RECORD {
        stream.write_all(&plain_http_refusal()).await?;
        let _ = stream.shutdown().await;
        return Ok(None);
    }
    acceptor.accept(stream).await.map(Some)
}

fn plain_http_refusal() -> Vec<u8> {
    let error = perry_api::RpcError::new(
        perry_api::ErrorCode::BadRequest,
        "This Perry agent speaks HTTPS: use an https:// address (for the CLI: `perry config worker https://<host>:<port>`)",
    );
    let body = serde_json::json!({ "json": error }).to_string();
    format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn the_sign_in_url_takes_the_certificates_real_name_over_localhost_and_wildcards() {
        let tailscale = names(&["*.example.com", "localhost", "box.tail1234.ts.net"]);
        assert_eq!(preferred_name(&tailscale), Some("box.tail1234.ts.net"));
        assert_eq!(
            preferred_name(&names(&["localhost", "*.x.test"])),
            Some("localhost")
        );
        assert_eq!(preferred_name(&names(&["*.x.test"])), None);
        assert_eq!(preferred_name(&[]), None);
    }

    #[test]
    fn relative_paths_in_config_json_are_taken_from_the_config_dir() {
        let files = TlsFiles {
            cert: PathBuf::from("box.crt"),
            key: PathBuf::from("/etc/ssl/private/box.key"),
        };
        let resolved = resolve_in(&files, Path::new("/home/me/.config/perry"));
        assert_eq!(resolved.cert, Path::new("/home/me/.config/perry/box.crt"));
        assert_eq!(resolved.key, Path::new("/etc/ssl/private/box.key"));
    }

    #[test]
    fn plain_http_on_the_tls_port_gets_an_orpc_error_that_says_https() {
        let reply = String::from_utf8(plain_http_refusal()).unwrap();
        let (head, body) = reply.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 400 "), "{head}");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        let error: perry_api::RpcError = serde_json::from_value(body["json"].clone()).unwrap();
        assert_eq!(error.code, perry_api::ErrorCode::BadRequest);
        assert!(error.message.contains("https://"), "{}", error.message);
    }
}
