//! Email: rendering a notification into a message with threading headers, and sending it with
//! lettre over an SMTP pool or into files.
//!
//! The message carries the Message-ID stored with the outbox row, so a retry threads (and
//! deduplicates in mail clients) like the first attempt; `In-Reply-To` and `References` attach
//! it to the first mail about the same case; `Auto-Submitted` keeps auto-responders from
//! answering; reminders and digests carry a one-click unsubscribe (RFC 8058).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use lettre::address::Envelope;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::response::Response;
use lettre::{Address, AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::{Channel, ChannelKind, Content, DeliveryError, EmailMessage, Outgoing, ProviderId};
use crate::config::{InvalidSetting, at_least_one};
use crate::domain::MailKey;

/// The header every mail hdnd sends carries (its value: the Message-ID domain), so that the
/// gateway knows a copy of its own mail that comes back in and never answers it.
pub const LOOP_HEADER: &str = "X-Hdnd-Loop";

/// `[email]`: who the mail is from, and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// The `From` of every message: `Name <address>`.
    pub from: String,
    /// The domain after the `@` of the Message-IDs hdnd generates.
    pub message_id_domain: String,
    /// Where messages are written as `.eml` files when `smtp` is not set.
    pub file_dir: PathBuf,
    /// The SMTP server; without it, mail goes to `file_dir`.
    pub smtp: Option<SmtpSettings>,
    /// The council's own mailbox (`hdnd@hongbang.example`), where replies and bounces come
    /// back: when set, every mail's envelope sender is its signed bounce address
    /// (`hdnd-bounce+<outbox id>.<tag>@…`), so that a delivery report names the row.
    pub mailbox: Option<String>,
    /// `[email.inbound]`: how mail comes in, to `mailbox`.
    pub inbound: InboundMailSettings,
}

/// `[email.inbound]`: the council's mailbox read by the gateway. Nothing comes in unless a
/// way in is set, and every way in needs `email.mailbox` (the address replies and bounces
/// are signed for).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct InboundMailSettings {
    /// Where the SMTP listener takes direct delivery from the council's mail server
    /// (`127.0.0.1:2525`); without it, none.
    pub smtp_listen: Option<std::net::SocketAddr>,
    /// The largest message taken; a larger one is refused at once (552), never cut.
    pub max_message_bytes: u64,
    /// Acknowledgements to one sender in an hour; past it the case is filed all the same,
    /// its receipt kept unsent, so that a loop with an auto-responder stops.
    pub acknowledgements_per_hour: u32,
    /// `[email.inbound.imap]`: the mailbox read over IMAP; without it, none.
    pub imap: Option<ImapSettings>,
}

impl Default for InboundMailSettings {
    fn default() -> Self {
        Self {
            smtp_listen: None,
            max_message_bytes: 25 * 1024 * 1024,
            acknowledgements_per_hour: 5,
            imap: None,
        }
    }
}

impl InboundMailSettings {
    /// Whether any way in is set.
    pub fn enabled(&self) -> bool {
        self.smtp_listen.is_some() || self.imap.is_some()
    }
}

/// The longest `poll_secs` allowed: RFC 2177 asks a client to re-issue IDLE at least every 29
/// minutes, or the server may log it off.
pub const IMAP_MAX_POLL_SECS: u64 = 29 * 60 - 1;

/// `[email.inbound.imap]`: the council's mailbox, read over IMAP by one instance at a time
/// (the holder of a leader lease). Each message is stored before it is flagged `\Seen`.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSettings {
    /// The server's host name, also the name its TLS certificate must carry.
    pub host: String,
    /// The port; when absent, the usual one for `security` (993 for `tls`, else 143).
    #[serde(default)]
    pub port: Option<u16>,
    /// `tls` (the default), `starttls` or `plain`.
    #[serde(default)]
    pub security: ImapSecurity,
    pub username: String,
    /// A secret: never printed.
    pub password: String,
    /// The folder read (`INBOX` unless set).
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Seconds between looks at the folder when the server offers no IDLE, and the longest an
    /// IDLE lasts before it is issued again; under 29 minutes.
    #[serde(default = "default_poll_secs")]
    pub poll_secs: u64,
    /// How long one IMAP command (a connection, a login, a fetch) may take, in seconds.
    #[serde(default = "default_imap_timeout_secs")]
    pub timeout_secs: u64,
    /// How often the instance reading the mailbox renews its lease, in milliseconds; a standby
    /// takes over within two of these after it dies.
    #[serde(default = "default_leader_renew_ms")]
    pub leader_renew_ms: u64,
}

fn default_folder() -> String {
    "INBOX".to_owned()
}

fn default_poll_secs() -> u64 {
    60
}

fn default_imap_timeout_secs() -> u64 {
    60
}

fn default_leader_renew_ms() -> u64 {
    10_000
}

impl ImapSettings {
    /// The settings for `username` on `host:port` with every other field at its default.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        security: ImapSecurity,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            host: host.into(),
            port: Some(port),
            security,
            username: username.into(),
            password: password.into(),
            folder: default_folder(),
            poll_secs: default_poll_secs(),
            timeout_secs: default_imap_timeout_secs(),
            leader_renew_ms: default_leader_renew_ms(),
        }
    }

    /// The configured port, or the usual one for the security mode.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            ImapSecurity::Tls => 993,
            ImapSecurity::Starttls | ImapSecurity::Plain => 143,
        })
    }

    /// What the stored mail's keys name as its mailbox: the account and the folder
    /// (`user@host/INBOX`), so that another account's UIDs are never taken for replays.
    pub fn mailbox(&self) -> String {
        format!(
            "{}@{}/{}",
            self.username.trim(),
            self.host.trim().to_ascii_lowercase(),
            self.folder
        )
    }

    fn check(&self) -> Result<(), InvalidSetting> {
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            return Err(InvalidSetting::new(
                "email.inbound.imap.host",
                format!("`{host}` is not a host name like imap.example.org (no scheme, no path)"),
            ));
        }
        if self.port == Some(0) {
            return Err(InvalidSetting::new(
                "email.inbound.imap.port",
                "must be between 1 and 65535",
            ));
        }
        if self.username.trim().is_empty() || self.username.contains(['\r', '\n']) {
            return Err(InvalidSetting::new(
                "email.inbound.imap.username",
                "the mailbox's login is needed, on one line",
            ));
        }
        if self.password.is_empty() || self.password.contains(['\r', '\n']) {
            // The value itself is never repeated.
            return Err(InvalidSetting::new(
                "email.inbound.imap.password",
                "the mailbox's password is needed, on one line",
            ));
        }
        if self.folder.trim().is_empty() || self.folder.contains(['\r', '\n', '"', '\\']) {
            return Err(InvalidSetting::new(
                "email.inbound.imap.folder",
                format!("`{}` is not a folder name like INBOX", self.folder),
            ));
        }
        if !(1..=IMAP_MAX_POLL_SECS).contains(&self.poll_secs) {
            return Err(InvalidSetting::new(
                "email.inbound.imap.poll_secs",
                format!(
                    "must be between 1 and {IMAP_MAX_POLL_SECS} (an IDLE must be issued again within 29 minutes)"
                ),
            ));
        }
        at_least_one("email.inbound.imap.timeout_secs", self.timeout_secs)?;
        at_least_one("email.inbound.imap.leader_renew_ms", self.leader_renew_ms)?;
        Ok(())
    }
}

// Written by hand: the password must not reach a log line.
impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"***")
            .field("folder", &self.folder)
            .field("poll_secs", &self.poll_secs)
            .field("timeout_secs", &self.timeout_secs)
            .field("leader_renew_ms", &self.leader_renew_ms)
            .finish()
    }
}

/// How the connection to the IMAP server is protected. Whatever is chosen is required: a
/// failed TLS handshake or a server without STARTTLS is an error, never a plain login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapSecurity {
    /// TLS from the first byte (IMAPS).
    #[default]
    Tls,
    /// A plain connection upgraded with STARTTLS, which must succeed.
    Starttls,
    /// No TLS at all: the password crosses in clear, so only for a server on the same
    /// machine or in tests.
    Plain,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            from: "HĐND phường Hồng Bàng <no-reply@hongbang.example>".to_owned(),
            message_id_domain: "hongbang.example".to_owned(),
            file_dir: PathBuf::from("data/mail"),
            smtp: None,
            mailbox: None,
            inbound: InboundMailSettings::default(),
        }
    }
}

impl EmailSettings {
    /// The address of `from`, lower-cased: mail from it is our own.
    pub fn from_address(&self) -> Option<String> {
        let from = self.from.parse::<Mailbox>().ok()?;
        Some(from.email.to_string().to_lowercase())
    }

    /// Checks what can be checked without a network: the `From` mailbox, the Message-ID
    /// domain, and the SMTP server's host, port, login and pool.
    pub fn check(&self) -> Result<(), InvalidSetting> {
        if let Err(e) = self.from.parse::<Mailbox>() {
            return Err(InvalidSetting::new(
                "email.from",
                format!(
                    "`{}` is not a mailbox like `Name <address@example.org>`: {e}",
                    self.from
                ),
            ));
        }
        if let Some(mailbox) = &self.mailbox {
            let plain =
                !mailbox.contains(['+', '<', ' ']) && mailbox.trim().parse::<Address>().is_ok();
            if !plain {
                return Err(InvalidSetting::new(
                    "email.mailbox",
                    format!("`{mailbox}` is not a plain address like hdnd@hongbang.example"),
                ));
            }
        }
        if self.inbound.enabled() && self.mailbox.is_none() {
            return Err(InvalidSetting::new(
                "email.inbound",
                "mail can come in only to the council's mailbox: set email.mailbox",
            ));
        }
        at_least_one(
            "email.inbound.max_message_bytes",
            self.inbound.max_message_bytes,
        )?;
        at_least_one(
            "email.inbound.acknowledgements_per_hour",
            u64::from(self.inbound.acknowledgements_per_hour),
        )?;
        if let Some(imap) = &self.inbound.imap {
            imap.check()?;
        }
        let domain = self.message_id_domain.trim();
        let domain_ok = !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !domain_ok {
            return Err(InvalidSetting::new(
                "email.message_id_domain",
                format!("`{domain}` is not a domain name like hongbang.example"),
            ));
        }
        let Some(smtp) = &self.smtp else {
            return Ok(());
        };
        let host = smtp.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) || host.contains('/') {
            return Err(InvalidSetting::new(
                "email.smtp.host",
                format!("`{host}` is not a host name like smtp.example.org (no scheme, no path)"),
            ));
        }
        if smtp.port == Some(0) {
            return Err(InvalidSetting::new(
                "email.smtp.port",
                "must be between 1 and 65535",
            ));
        }
        if smtp.username.is_some() != smtp.password.is_some() {
            return Err(InvalidSetting::new(
                "email.smtp.username",
                "username and password must be given together",
            ));
        }
        at_least_one("email.smtp.pool_size", u64::from(smtp.pool_size))?;
        at_least_one("email.smtp.timeout_secs", smtp.timeout_secs)?;
        Ok(())
    }
}

/// `[email.smtp]`: the SMTP server hdnd submits mail to.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// The server's host name, also the name its TLS certificate must carry.
    pub host: String,
    /// The port; when absent, the usual one for `security` (25, 587 or 465).
    #[serde(default)]
    pub port: Option<u16>,
    /// `plain`, `starttls` (the default) or `tls`.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// The login, when the server asks for one; given together with `password`.
    #[serde(default)]
    pub username: Option<String>,
    /// A secret: never printed.
    #[serde(default)]
    pub password: Option<String>,
    /// How many SMTP sessions may be open at once, whatever the batch size: sends beyond it
    /// wait for a session to be free.
    #[serde(default = "default_pool_size")]
    pub pool_size: u32,
    /// How long one SMTP command may take, in seconds.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
}

fn default_pool_size() -> u32 {
    4
}

fn default_timeout_secs() -> u64 {
    15
}

impl SmtpSettings {
    /// The settings for `host:port` with every other field at its default.
    pub fn new(host: impl Into<String>, port: u16, security: SmtpSecurity) -> Self {
        Self {
            host: host.into(),
            port: Some(port),
            security,
            username: None,
            password: None,
            pool_size: default_pool_size(),
            timeout_secs: default_timeout_secs(),
        }
    }

    /// The configured port, or the usual one for the security mode.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
        })
    }
}

// Written by hand: the password must not reach a log line.
impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("pool_size", &self.pool_size)
            .field("timeout_secs", &self.timeout_secs)
            .finish()
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// No TLS at all: only for a relay on the same machine or in tests.
    Plain,
    /// A plain connection upgraded with STARTTLS, which must succeed.
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// Why an [`EmailChannel`] could not be built from its settings.
#[derive(Debug, thiserror::Error)]
pub enum EmailSetupError {
    /// The SMTP settings are inconsistent, or TLS cannot be set up for the host.
    #[error("email.smtp: {0}")]
    Smtp(String),
    /// A value is out of range or malformed.
    #[error(transparent)]
    Invalid(#[from] InvalidSetting),
    /// The folder for `.eml` files cannot be created.
    #[error("email.file_dir {}: cannot create it: {source}", path.display())]
    FileDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A fresh Message-ID, `<32 random hex digits@domain>`.
pub fn new_message_id(domain: &str) -> String {
    format!("<{:032x}@{domain}>", rand::random::<u128>())
}

/// The email [`Channel`]: lettre over an SMTP connection pool, or `.eml` files in a folder.
pub struct EmailChannel {
    from: Mailbox,
    message_id_domain: String,
    transport: Transport,
    /// The signed bounce addresses on the council's mailbox; without it, the envelope sender
    /// is the `From` address.
    bounces: Option<(MailKey, String)>,
}

enum Transport {
    Smtp {
        pool: SmtpPool,
        target: String,
    },
    File {
        transport: AsyncFileTransport<Tokio1Executor>,
        dir: PathBuf,
    },
}

// Written by hand: lettre's transport would print the SMTP credentials.
impl fmt::Debug for EmailChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("EmailChannel");
        s.field("from", &self.from.email.to_string());
        match &self.transport {
            Transport::Smtp { target, .. } => s.field("smtp", target),
            Transport::File { dir, .. } => s.field("file_dir", dir),
        };
        s.finish()
    }
}

impl EmailChannel {
    /// Builds the channel: an SMTP pool when `settings.smtp` is set (no connection is opened
    /// yet), otherwise a file transport into `settings.file_dir`, which is created. Must be
    /// called inside a Tokio runtime: the pool spawns its clean-up task at once.
    pub fn new(settings: &EmailSettings) -> Result<EmailChannel, EmailSetupError> {
        settings.check()?;
        let from = settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| InvalidSetting::new("email.from", e.to_string()))?;
        let transport = match &settings.smtp {
            Some(smtp) => smtp_transport(smtp)?,
            None => {
                let dir = settings.file_dir.clone();
                std::fs::create_dir_all(&dir).map_err(|source| EmailSetupError::FileDir {
                    path: dir.clone(),
                    source,
                })?;
                Transport::File {
                    transport: AsyncFileTransport::new(&dir),
                    dir,
                }
            }
        };
        Ok(EmailChannel {
            from,
            message_id_domain: settings.message_id_domain.clone(),
            transport,
            bounces: None,
        })
    }

    /// The same channel, sending every mail with the signed bounce address of its outbox row
    /// on `mailbox` as its envelope sender (VERP), made with `key`: the hub's
    /// [`Hub::mail_key`](crate::Hub::mail_key), so that the gateway can read it back.
    pub fn with_bounces(mut self, key: MailKey, mailbox: &str) -> Self {
        self.bounces = Some((key, mailbox.trim().to_owned()));
        self
    }

    /// Who the SMTP envelope says the mail is from, and whom it goes to.
    fn envelope(&self, outgoing: &Outgoing, email: &Message) -> Result<Envelope, DeliveryError> {
        let Some(bounce) = self
            .bounces
            .as_ref()
            .and_then(|(key, mailbox)| key.bounce_address(mailbox, outgoing.outbox_id))
        else {
            return Ok(email.envelope().clone());
        };
        let from = bounce.parse::<Address>().map_err(|e| {
            DeliveryError::Permanent(format!("the bounce address is not valid: {e}"))
        })?;
        Envelope::new(Some(from), email.envelope().to().to_vec())
            .map_err(|e| DeliveryError::Permanent(format!("cannot build the envelope: {e}")))
    }

    /// The message as it goes on the wire, minus the transport's envelope.
    fn build(&self, outgoing: &Outgoing) -> Result<Message, DeliveryError> {
        let Content::Email(email) = &outgoing.content else {
            return Err(DeliveryError::Permanent(
                "the email channel was handed a Telegram message".to_owned(),
            ));
        };
        self.build_email(&outgoing.address, email)
    }

    fn build_email(
        &self,
        address: &str,
        outgoing: &EmailMessage,
    ) -> Result<Message, DeliveryError> {
        let to = address.parse::<Address>().map_err(|e| {
            // The address itself stays out of the message: it may end up in a log line.
            DeliveryError::Permanent(format!("the recipient's email address is not valid: {e}"))
        })?;
        // The outbox generates the Message-ID at enqueue; one made here would change on every
        // retry, so it is only a fallback for a row that lacks one.
        let message_id = outgoing
            .message_id
            .clone()
            .unwrap_or_else(|| new_message_id(&self.message_id_domain));

        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(outgoing.subject.as_str())
            .message_id(Some(message_id))
            .raw_header(header("Auto-Submitted", "auto-generated"))
            // Our own mark: a copy of this mail that comes back in is never answered.
            .raw_header(header(LOOP_HEADER, &self.message_id_domain));
        if let Some(parent) = &outgoing.in_reply_to {
            builder = builder.in_reply_to(parent.clone());
        }
        // A reply address that does not parse is left off: the mail still goes.
        if let Some(reply_to) = outgoing.reply_to.as_deref().and_then(|r| r.parse().ok()) {
            builder = builder.reply_to(Mailbox::new(None, reply_to));
        }
        if !outgoing.references.is_empty() {
            builder = builder.references(outgoing.references.join(" "));
        }
        if let Some(url) = &outgoing.list_unsubscribe {
            builder = builder
                .raw_header(header("List-Unsubscribe", &format!("<{url}>")))
                .raw_header(header(
                    "List-Unsubscribe-Post",
                    "List-Unsubscribe=One-Click",
                ));
        }

        let text = SinglePart::plain(outgoing.text.clone());
        let built = match &outgoing.html {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(text)
                    .singlepart(SinglePart::html(html.clone())),
            ),
            None => builder.singlepart(text),
        };
        built.map_err(|e| DeliveryError::Permanent(format!("cannot build the message: {e}")))
    }
}

#[async_trait]
impl Channel for EmailChannel {
    fn kind(&self) -> ChannelKind {
        ChannelKind::Email
    }

    async fn send(&self, message: &Outgoing) -> Result<ProviderId, DeliveryError> {
        let email = self.build(message)?;
        let envelope = self.envelope(message, &email)?;
        match &self.transport {
            Transport::Smtp { pool, .. } => {
                let response = pool
                    .send(&envelope, &email.formatted())
                    .await
                    .map_err(classify_smtp)?;
                let answer = std::iter::once(response.code().to_string())
                    .chain(response.message().map(str::to_owned))
                    .collect::<Vec<_>>()
                    .join(" ");
                Ok(ProviderId(without_addresses(&answer)))
            }
            // A full disk or a missing folder may be mended by an operator: retry.
            Transport::File { transport, .. } => transport
                .send_raw(&envelope, &email.formatted())
                .await
                .map(|id| ProviderId(id.to_string()))
                .map_err(|e| DeliveryError::Transient {
                    reason: format!("cannot write the message file: {e}"),
                    retry_after: None,
                }),
        }
    }
}

fn smtp_transport(smtp: &SmtpSettings) -> Result<Transport, EmailSetupError> {
    let tls = match smtp.security {
        SmtpSecurity::Plain => None,
        SmtpSecurity::Starttls | SmtpSecurity::Tls => Some(
            TlsParameters::new(smtp.host.clone())
                .map_err(|e| EmailSetupError::Smtp(e.to_string()))?,
        ),
    };
    // One without the other is refused by `EmailSettings::check`.
    let credentials = match (&smtp.username, &smtp.password) {
        (Some(username), Some(password)) => {
            Some(Credentials::new(username.clone(), password.clone()))
        }
        _ => None,
    };
    Ok(Transport::Smtp {
        pool: SmtpPool {
            host: smtp.host.clone(),
            port: smtp.port(),
            security: smtp.security,
            tls,
            credentials,
            timeout: Duration::from_secs(smtp.timeout_secs),
            hello: ClientId::default(),
            // `EmailSettings::check` refuses 0, which would never send.
            sessions: tokio::sync::Semaphore::new(smtp.pool_size.max(1) as usize),
            idle: std::sync::Mutex::new(Vec::new()),
        },
        target: format!("{}:{} ({:?})", smtp.host, smtp.port(), smtp.security),
    })
}

/// SMTP sessions, at most `pool_size` open at once, each reused while it works.
// Not lettre's pool: its `max_size` bounds the idle connections it keeps, not those it opens,
// and it hands a used connection back from a task of its own, after the send returned; a
// batch of 32 opened 32 sessions. Here a session exists only in the hands of a send holding a
// permit, or idle in `idle`, and a send opens one only when none is idle, so the sessions
// never outnumber the permits.
struct SmtpPool {
    host: String,
    port: u16,
    security: SmtpSecurity,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
    sessions: tokio::sync::Semaphore,
    idle: std::sync::Mutex<Vec<AsyncSmtpConnection>>,
}

impl SmtpPool {
    async fn send(
        &self,
        envelope: &Envelope,
        email: &[u8],
    ) -> Result<Response, lettre::transport::smtp::Error> {
        // The semaphore is never closed.
        let _permit = self.sessions.acquire().await;
        let mut session = loop {
            let parked = self.lock_idle().pop();
            let Some(mut session) = parked else {
                break self.connect().await?;
            };
            if session.test_connected().await {
                break session;
            }
            session.abort().await;
        };
        let result = session.send(envelope, email).await;
        // lettre aborts a session on any error reply, so a broken one is simply dropped.
        if session.has_broken() {
            session.abort().await;
        } else {
            self.lock_idle().push(session);
        }
        result
    }

    async fn connect(&self) -> Result<AsyncSmtpConnection, lettre::transport::smtp::Error> {
        let wrapper = match self.security {
            SmtpSecurity::Tls => self.tls.clone(),
            SmtpSecurity::Plain | SmtpSecurity::Starttls => None,
        };
        let mut session = AsyncSmtpConnection::connect_tokio1(
            (self.host.as_str(), self.port),
            Some(self.timeout),
            &self.hello,
            wrapper,
            None,
        )
        .await?;
        if let (SmtpSecurity::Starttls, Some(tls)) = (self.security, &self.tls) {
            session.starttls(tls.clone(), &self.hello).await?;
        }
        if let Some(credentials) = &self.credentials {
            session.auth(DEFAULT_MECHANISMS, credentials).await?;
        }
        Ok(session)
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<AsyncSmtpConnection>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A header lettre has no type for; the value is folded and, if need be, encoded by lettre.
fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_owned())
}

/// 5xx replies are permanent; 4xx replies, lost connections, timeouts and TLS trouble are
/// worth retrying.
// A TLS or protocol failure is a property of the server, not of the recipient: calling it
// permanent would move every recipient to their next channel because of one bad relay.
fn classify_smtp(error: lettre::transport::smtp::Error) -> DeliveryError {
    let reason = without_addresses(&error.to_string());
    if error.is_permanent() {
        DeliveryError::Permanent(reason)
    } else {
        DeliveryError::Transient {
            reason,
            retry_after: None,
        }
    }
}

/// The server's message with every word that holds an `@` replaced: servers like to quote the
/// rejected address, and the reason is stored and logged.
fn without_addresses(message: &str) -> String {
    message
        .split(' ')
        .map(|word| if word.contains('@') { "<…>" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mailbox_must_be_a_plain_address() {
        let with = |mailbox: &str| EmailSettings {
            mailbox: Some(mailbox.to_owned()),
            ..EmailSettings::default()
        };
        assert_eq!(with("hdnd@hongbang.example").check(), Ok(()));
        for bad in [
            "hdnd",
            "hdnd+x@hongbang.example",
            "HĐND <hdnd@hongbang.example>",
        ] {
            assert_eq!(with(bad).check().unwrap_err().key, "email.mailbox", "{bad}");
        }
    }

    #[test]
    fn settings_read_defaults_and_reject_unknown_keys() {
        // Arrange
        let text = r#"
            [smtp]
            host = "smtp.example"
            username = "hdnd"
            password = "s3cret"
        "#;

        // Act
        let settings: EmailSettings = toml::from_str(text).unwrap();
        let unknown = toml::from_str::<EmailSettings>("[smtp]\nhost = \"x\"\ntls = true\n");

        // Assert
        let smtp = settings.smtp.as_ref().unwrap();
        assert_eq!(smtp.security, SmtpSecurity::Starttls);
        assert_eq!(smtp.port(), 587);
        assert_eq!(smtp.pool_size, 4);
        assert_eq!(smtp.timeout_secs, 15);
        assert_eq!(settings.file_dir, PathBuf::from("data/mail"));
        assert_eq!(settings.message_id_domain, "hongbang.example");
        assert!(unknown.is_err());
    }

    // The SMTP pool starts its clean-up task at once, so it needs a Tokio runtime.
    #[tokio::test]
    async fn smtp_password_never_shows_in_debug() {
        // Arrange
        let mut smtp = SmtpSettings::new("smtp.example", 587, SmtpSecurity::Starttls);
        smtp.username = Some("hdnd".to_owned());
        smtp.password = Some("s3cret".to_owned());
        let settings = EmailSettings {
            smtp: Some(smtp),
            ..EmailSettings::default()
        };

        // Act
        let printed = format!("{settings:?}");
        let channel = format!("{:?}", EmailChannel::new(&settings).unwrap());

        // Assert
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("***"), "{printed}");
        assert!(!channel.contains("s3cret"), "{channel}");
    }

    #[test]
    fn imap_settings_read_defaults_by_security_and_keep_the_password_out_of_debug() {
        // Arrange
        let text = r#"
            mailbox = "hdnd@hongbang.example"
            [inbound.imap]
            host = "imap.example"
            username = "hdnd"
            password = "s3cret"
        "#;

        // Act
        let settings: EmailSettings = toml::from_str(text).unwrap();
        let printed = format!("{settings:?}");

        // Assert
        let imap = settings.inbound.imap.as_ref().unwrap();
        assert!(settings.inbound.enabled());
        assert_eq!(settings.check(), Ok(()));
        assert_eq!(imap.security, ImapSecurity::Tls);
        assert_eq!(imap.port(), 993);
        assert_eq!(imap.folder, "INBOX");
        assert_eq!(imap.mailbox(), "hdnd@imap.example/INBOX");
        let starttls = ImapSettings {
            security: ImapSecurity::Starttls,
            port: None,
            ..imap.clone()
        };
        assert_eq!(starttls.port(), 143);
        assert!(!printed.contains("s3cret"), "{printed}");
        assert!(printed.contains("***"), "{printed}");
    }

    #[test]
    fn imap_settings_name_the_key_that_is_wrong() {
        let good = ImapSettings::new("imap.example", 993, ImapSecurity::Tls, "hdnd", "s3cret");
        let with = |imap: ImapSettings| EmailSettings {
            mailbox: Some("hdnd@hongbang.example".to_owned()),
            inbound: InboundMailSettings {
                imap: Some(imap),
                ..InboundMailSettings::default()
            },
            ..EmailSettings::default()
        };
        assert_eq!(with(good.clone()).check(), Ok(()));
        let cases = [
            (
                "email.inbound.imap.host",
                ImapSettings {
                    host: "imaps://imap.example".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "email.inbound.imap.port",
                ImapSettings {
                    port: Some(0),
                    ..good.clone()
                },
            ),
            (
                "email.inbound.imap.username",
                ImapSettings {
                    username: " ".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "email.inbound.imap.password",
                ImapSettings {
                    password: String::new(),
                    ..good.clone()
                },
            ),
            (
                "email.inbound.imap.folder",
                ImapSettings {
                    folder: "IN\r\nBOX".to_owned(),
                    ..good.clone()
                },
            ),
            (
                "email.inbound.imap.poll_secs",
                ImapSettings {
                    poll_secs: 0,
                    ..good.clone()
                },
            ),
            (
                "email.inbound.imap.poll_secs",
                ImapSettings {
                    poll_secs: 29 * 60,
                    ..good.clone()
                },
            ),
            (
                "email.inbound.imap.timeout_secs",
                ImapSettings {
                    timeout_secs: 0,
                    ..good.clone()
                },
            ),
        ];
        for (key, imap) in cases {
            let error = with(imap).check().unwrap_err();
            assert_eq!(error.key, key, "{}", error.message);
            assert!(!error.message.contains("s3cret"), "{}", error.message);
        }
        let without_mailbox = EmailSettings {
            mailbox: None,
            ..with(good)
        };
        assert_eq!(without_mailbox.check().unwrap_err().key, "email.inbound");
    }

    #[test]
    fn new_message_id_is_random_hex_at_the_domain() {
        // Act
        let first = new_message_id("hongbang.example");
        let second = new_message_id("hongbang.example");

        // Assert
        assert_ne!(first, second);
        let inner = first
            .strip_prefix('<')
            .and_then(|s| s.strip_suffix("@hongbang.example>"))
            .unwrap();
        assert_eq!(inner.len(), 32);
        assert!(inner.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn setup_fails_when_from_is_not_a_mailbox() {
        let settings = EmailSettings {
            from: "HĐND phường Hồng Bàng".to_owned(),
            ..EmailSettings::default()
        };
        assert!(matches!(
            EmailChannel::new(&settings),
            Err(EmailSetupError::Invalid(InvalidSetting {
                key: "email.from",
                ..
            }))
        ));
    }

    #[test]
    fn server_messages_lose_their_addresses() {
        assert_eq!(
            without_addresses("permanent error (550): 5.1.1 <dan@example.vn>: Recipient unknown"),
            "permanent error (550): 5.1.1 <…> Recipient unknown"
        );
    }
}
