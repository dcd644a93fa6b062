//! The SMTP listener (`[email.inbound] smtp_listen`): the council's own mail server delivers
//! the mailbox's messages here directly. Each message is stored in `inbound` (key: the SHA-256
//! of its bytes, so a relay's retry after a lost reply is the same row) before the listener
//! answers 250; if the store fails, the answer is 451 and the relay keeps the message and tries
//! again. Nothing is parsed here: a malformed message is stored like any other and fails in the
//! handler with its reason.
//!
//! A deliberately small server for a trusted relay on a private network: EHLO/HELO, MAIL,
//! RCPT, DATA (with dot-unstuffing and a size limit), RSET, NOOP, QUIT; no AUTH, no TLS (put
//! it on loopback or a private link), no relaying anywhere: the recipient is not checked
//! because every message delivered here is for the council's mailbox.

use std::net::SocketAddr;
use std::time::Duration;

use hdnd_hub::domain::{ExternalKey, InboundSource, NewInbound};
use hdnd_hub::inbound::InboundWorker;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The largest message accepted unless configured otherwise: 25 MiB, a common provider limit.
pub const DEFAULT_MAX_BYTES: usize = 25 * 1024 * 1024;
/// A session silent this long is closed (RFC 5321 §4.5.3.2 asks at least 5 minutes).
const IDLE: Duration = Duration::from_secs(300);
/// The longest command line accepted (RFC 5321 §4.5.3.1.4: 512 octets).
const MAX_LINE: usize = 1000;

/// A bound listener; [`SmtpListener::run_until_stopped`] serves it.
#[derive(Debug)]
pub struct SmtpListener {
    listener: TcpListener,
    inbound: InboundWorker,
    max_bytes: usize,
    hostname: String,
}

impl SmtpListener {
    /// Binds `address`; messages go to `inbound`.
    pub async fn bind(
        address: SocketAddr,
        inbound: InboundWorker,
        max_bytes: usize,
        hostname: &str,
    ) -> std::io::Result<Self> {
        Ok(Self {
            listener: TcpListener::bind(address).await?,
            inbound,
            max_bytes,
            hostname: hostname.to_owned(),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves sessions until `stop` turns true; a session in progress finishes on its own.
    pub async fn run_until_stopped(self, mut stop: watch::Receiver<bool>) {
        while !*stop.borrow() {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let session = Session {
                            inbound: self.inbound.clone(),
                            max_bytes: self.max_bytes,
                            hostname: self.hostname.clone(),
                        };
                        tokio::spawn(async move {
                            if let Err(e) = session.serve(stream).await {
                                tracing::debug!(error.message = %e, "an SMTP session ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error.message = %e, "the SMTP listener could not accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        return;
                    }
                }
            }
        }
    }
}

struct Session {
    inbound: InboundWorker,
    max_bytes: usize,
    hostname: String,
}

impl Session {
    async fn serve(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut read = BufReader::new(read);
        write
            .write_all(format!("220 {} hdnd ESMTP\r\n", self.hostname).as_bytes())
            .await?;
        let mut sender = false;
        let mut recipients = 0usize;
        loop {
            let Some(line) = read_line(&mut read).await? else {
                return Ok(());
            };
            let upper = line.to_ascii_uppercase();
            let verb = upper.split([' ', ':']).next().unwrap_or_default();
            let reply: &[u8] = match verb {
                "EHLO" => {
                    let greeting = format!(
                        "250-{}\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE {}\r\n",
                        self.hostname, self.max_bytes
                    );
                    write.write_all(greeting.as_bytes()).await?;
                    continue;
                }
                "HELO" => b"250 ok\r\n",
                "MAIL" => {
                    sender = true;
                    recipients = 0;
                    b"250 2.1.0 ok\r\n"
                }
                "RCPT" if !sender => b"503 5.5.1 MAIL first\r\n",
                "RCPT" => {
                    recipients += 1;
                    b"250 2.1.5 ok\r\n"
                }
                "DATA" if recipients == 0 => b"503 5.5.1 RCPT first\r\n",
                "DATA" => {
                    write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                    let reply = match read_data(&mut read, self.max_bytes).await? {
                        Data::Message(raw) => self.store(raw).await,
                        Data::TooLarge => "552 5.3.4 message too large\r\n",
                        Data::Closed => return Ok(()),
                    };
                    sender = false;
                    recipients = 0;
                    write.write_all(reply.as_bytes()).await?;
                    continue;
                }
                "RSET" => {
                    sender = false;
                    recipients = 0;
                    b"250 2.0.0 ok\r\n"
                }
                "NOOP" => b"250 2.0.0 ok\r\n",
                "QUIT" => {
                    write.write_all(b"221 2.0.0 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 5.5.2 command not implemented\r\n",
            };
            write.write_all(reply).await?;
        }
    }

    /// Stores `raw` and says so; only then may the relay forget it.
    async fn store(&self, raw: Vec<u8>) -> &'static str {
        let message = NewInbound {
            source: InboundSource::Email,
            key: ExternalKey::smtp(&raw),
            payload: raw,
            sealed: false,
        };
        match self.inbound.receive(message).await {
            Ok(received) => {
                tracing::debug!(
                    inbound.id = received.id,
                    inbound.fresh = received.fresh,
                    "a mail delivered by SMTP is stored"
                );
                "250 2.0.0 stored\r\n"
            }
            Err(e) => {
                tracing::warn!(error.message = %e, "a mail delivered by SMTP could not be stored; the relay will try again");
                "451 4.3.0 cannot store the message now, try again later\r\n"
            }
        }
    }
}

/// One command line without its line ending; `None` at the end of the stream or when idle.
async fn read_line(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
) -> std::io::Result<Option<String>> {
    let mut line = Vec::new();
    let n = match tokio::time::timeout(IDLE, read.read_until(b'\n', &mut line)).await {
        Ok(n) => n?,
        Err(_) => return Ok(None),
    };
    if n == 0 || line.len() > MAX_LINE {
        return Ok(None);
    }
    Ok(Some(
        String::from_utf8_lossy(&line)
            .trim_end_matches(['\r', '\n'])
            .to_owned(),
    ))
}

enum Data {
    Message(Vec<u8>),
    TooLarge,
    Closed,
}

/// The message after DATA up to the lone dot, dot-unstuffed (RFC 5321 §4.5.2); past
/// `max_bytes` the rest is read and dropped, so the session can answer 552 and go on.
async fn read_data(
    read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    max_bytes: usize,
) -> std::io::Result<Data> {
    let mut message = Vec::new();
    let mut too_large = false;
    loop {
        let mut line = Vec::new();
        let n = match tokio::time::timeout(IDLE, read.read_until(b'\n', &mut line)).await {
            Ok(n) => n?,
            Err(_) => return Ok(Data::Closed),
        };
        if n == 0 {
            return Ok(Data::Closed);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(if too_large {
                Data::TooLarge
            } else {
                Data::Message(message)
            });
        }
        let line = line.strip_prefix(b".").unwrap_or(&line);
        if message.len() + line.len() > max_bytes {
            too_large = true;
            message = Vec::new();
        }
        if !too_large {
            message.extend_from_slice(line);
        }
    }
}
