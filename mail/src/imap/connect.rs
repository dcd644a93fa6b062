//! The way to the IMAP server: TCP, then TLS from the first byte or after STARTTLS (rustls
//! with the Mozilla roots; never OpenSSL), then LOGIN. Whatever security is configured is
//! required: a failed handshake or a refused STARTTLS ends the attempt before the password is
//! sent, never falls back to a plain login.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use async_imap::{Client, Session};
use hdnd_hub::delivery::email::{ImapSecurity, ImapSettings};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::{self, ClientConfig, RootCertStore, pki_types::ServerName};

use super::error::{ImapError, describe};

/// The connection under the IMAP session: plain TCP (`security = "plain"`) or TLS.
#[derive(Debug)]
pub(crate) enum Connection {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// A logged-in session.
pub(crate) type ImapSession = Session<Connection>;

/// Connects, protects the connection as configured and logs in, each step within `timeout`.
pub(crate) async fn log_in(
    settings: &ImapSettings,
    timeout: Duration,
) -> Result<ImapSession, ImapError> {
    let host = settings.host.trim();
    let tcp = within(timeout, "connect", async {
        TcpStream::connect((host, settings.port()))
            .await
            .map_err(ImapError::Connect)
    })
    .await?;
    let client = match settings.security {
        ImapSecurity::Tls => {
            let tls = within(timeout, "TLS handshake", handshake(host, tcp)).await?;
            let mut client = Client::new(Connection::Tls(Box::new(tls)));
            within(timeout, "greeting", greeting(&mut client)).await?;
            client
        }
        ImapSecurity::Starttls => {
            let mut client = Client::new(Connection::Plain(tcp));
            within(timeout, "greeting", greeting(&mut client)).await?;
            within(timeout, "STARTTLS", async {
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| ImapError::Starttls(describe(&e)))
            })
            .await?;
            // Whatever the server sent after its answer is dropped with the old client: bytes
            // injected before the handshake must not be read as the protected session's.
            let Connection::Plain(tcp) = client.into_inner() else {
                unreachable!("the client was built on a plain connection")
            };
            let tls = within(timeout, "TLS handshake", handshake(host, tcp)).await?;
            // No greeting follows STARTTLS (RFC 3501 §6.2.1).
            Client::new(Connection::Tls(Box::new(tls)))
        }
        ImapSecurity::Plain => {
            let mut client = Client::new(Connection::Plain(tcp));
            within(timeout, "greeting", greeting(&mut client)).await?;
            client
        }
    };
    within(timeout, "LOGIN", async {
        client
            .login(settings.username.trim(), &settings.password)
            .await
            .map_err(|(e, _)| ImapError::Login(describe(&e)))
    })
    .await
}

/// Runs `step`, or fails as timed out after `timeout`.
pub(crate) async fn within<T>(
    timeout: Duration,
    step: &'static str,
    future: impl Future<Output = Result<T, ImapError>>,
) -> Result<T, ImapError> {
    tokio::time::timeout(timeout, future)
        .await
        .unwrap_or(Err(ImapError::Timeout(step)))
}

async fn greeting(client: &mut Client<Connection>) -> Result<(), ImapError> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(ImapError::Closed),
        Err(e) => Err(ImapError::Connect(e)),
    }
}

async fn handshake(host: &str, tcp: TcpStream) -> Result<TlsStream<TcpStream>, ImapError> {
    let name = ServerName::try_from(host.to_owned())
        .map_err(|_| ImapError::Tls(format!("`{host}` is not a name TLS can check")))?;
    TlsConnector::from(tls_config())
        .connect(name, tcp)
        .await
        .map_err(|e| ImapError::Tls(e.to_string()))
}

/// One TLS configuration for the process: ring (the provider lettre and reqwest use too) and
/// the Mozilla roots, so the same certificates are trusted as for outgoing mail.
fn tls_config() -> Arc<ClientConfig> {
    static CONFIG: OnceLock<Arc<ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let config = ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_flush(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Connection::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Connection::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
