//! Why a look at the mailbox failed. Every message is fit for an operator's log: it names the
//! step and the server's or the library's reason, never a mail's content, an address or the
//! password.

/// Why the poller's session with the IMAP server ended, or a message was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot reach the IMAP server: {0}")]
    Connect(#[source] std::io::Error),
    #[error("TLS with the IMAP server failed: {0}")]
    Tls(String),
    #[error("the IMAP server refused STARTTLS: {0}")]
    Starttls(String),
    #[error("the IMAP server refused the login: {0}")]
    Login(String),
    #[error("the IMAP server closed the connection")]
    Closed,
    #[error("the IMAP {0} took too long")]
    Timeout(&'static str),
    #[error("the IMAP server failed {step}: {reason}")]
    Command { step: &'static str, reason: String },
    /// Without UIDVALIDITY a UID names no message for good, so nothing could be keyed.
    #[error("the IMAP folder has no UIDVALIDITY; its mail cannot be keyed")]
    NoUidValidity,
    /// The store could not keep a fetched mail; it stays unread on the server.
    #[error("cannot store a fetched mail: {0}")]
    Store(#[source] hdnd_hub::Error),
}

/// The library's error as a log may show it. Its parse errors carry the bytes that did not
/// parse (which may be a mail's text), so those are named, not shown; the server's own NO and
/// BAD texts are kept, cut short.
pub(crate) fn describe(e: &async_imap::error::Error) -> String {
    use async_imap::error::Error;
    match e {
        Error::Io(e) => format!("io: {e}"),
        Error::Bad(text) => format!("BAD {}", cut(text)),
        Error::No(text) => format!("NO {}", cut(text)),
        Error::ConnectionLost => "connection lost".to_owned(),
        Error::Parse(_) => "an answer that could not be read".to_owned(),
        Error::Validate(_) => "a name IMAP cannot quote".to_owned(),
        Error::Append => "APPEND refused".to_owned(),
        _ => "an unknown error".to_owned(),
    }
}

fn cut(text: &str) -> String {
    text.chars().take(200).collect()
}

/// Maps the library's error of `step` into ours.
pub(crate) fn failed(step: &'static str) -> impl Fn(async_imap::error::Error) -> ImapError {
    move |e| match e {
        async_imap::error::Error::ConnectionLost => ImapError::Closed,
        e => ImapError::Command {
            step,
            reason: describe(&e),
        },
    }
}
