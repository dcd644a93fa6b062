//! An SMTP sink the tests own: a real server on 127.0.0.1 that speaks enough ESMTP for lettre,
//! records every message it accepts, answers with a failure on demand, and can be stopped and
//! started again on the same address to play an SMTP server that went down.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// How the sink answers `RCPT TO` until told otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reply {
    /// `250`: the message is accepted and recorded.
    Accept,
    /// `421`, and the connection is closed: a server that is going away, try later.
    TempFail,
    /// `550`: the mailbox does not exist.
    Reject,
}

/// One message the sink accepted.
#[derive(Debug, Clone)]
pub(crate) struct ReceivedMail {
    /// The envelope sender, without the angle brackets.
    pub(crate) mail_from: String,
    /// The envelope recipients, without the angle brackets.
    pub(crate) rcpt_to: Vec<String>,
    /// Headers and body as sent, dot-unstuffed, with CRLF line ends.
    pub(crate) raw: String,
}

impl ReceivedMail {
    /// The first header called `name` (any case), unfolded and trimmed.
    pub(crate) fn header(&self, name: &str) -> Option<String> {
        header_in(&self.raw, name)
    }

    /// The `Message-ID` header.
    pub(crate) fn message_id(&self) -> Option<String> {
        self.header("Message-ID")
    }

    /// Everything after the blank line that ends the headers.
    pub(crate) fn body(&self) -> &str {
        self.raw.split_once("\r\n\r\n").map_or("", |(_, body)| body)
    }
}

/// The first header called `name` in the header section of `raw`, unfolded and trimmed. Lines
/// may end with CRLF or LF alone, so files written by other programs read the same.
pub(crate) fn header_in(raw: &str, name: &str) -> Option<String> {
    let mut found: Option<String> = None;
    for line in raw.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            // A continuation line: unfolding removes the line break and keeps the blank.
            if let Some(value) = found.as_mut() {
                value.push_str(line);
            }
            continue;
        }
        if found.is_some() {
            break;
        }
        if let Some((field, value)) = line.split_once(':')
            && field.trim().eq_ignore_ascii_case(name)
        {
            found = Some(value.to_owned());
        }
    }
    found.map(|v| v.trim().to_owned())
}

/// A running sink. Dropping it stops it.
#[derive(Debug)]
pub(crate) struct SmtpSink {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug)]
struct Shared {
    /// SMTP sessions open now, and the most ever open at once.
    open: std::sync::atomic::AtomicUsize,
    peak: std::sync::atomic::AtomicUsize,
    reply: Mutex<Reply>,
    messages: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
    connections: Mutex<Vec<JoinHandle<()>>>,
}

impl SmtpSink {
    /// A sink on a free port of 127.0.0.1.
    pub(crate) async fn start() -> SmtpSink {
        Self::start_on("127.0.0.1:0".parse().expect("a socket address")).await
    }

    /// A sink on `addr`, e.g. the address of a sink that was stopped.
    pub(crate) async fn start_on(addr: SocketAddr) -> SmtpSink {
        let listener = TcpListener::bind(addr)
            .await
            .unwrap_or_else(|e| panic!("SMTP sink cannot listen on {addr}: {e}"));
        let addr = listener.local_addr().expect("the sink's address");
        let shared = Arc::new(Shared {
            open: Default::default(),
            peak: Default::default(),
            reply: Mutex::new(Reply::Accept),
            messages: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            connections: Mutex::new(Vec::new()),
        });
        let acceptor = tokio::spawn(accept_loop(listener, shared.clone()));
        SmtpSink {
            addr,
            shared,
            acceptor: Mutex::new(Some(acceptor)),
        }
    }

    /// The most SMTP sessions that were open at once.
    pub(crate) fn peak_sessions(&self) -> usize {
        self.shared.peak.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// How `RCPT TO` is answered from now on.
    pub(crate) fn set_reply(&self, reply: Reply) {
        *self.shared.reply.lock().expect("reply lock") = reply;
    }

    /// Every message accepted so far, in order of arrival.
    pub(crate) fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.messages.lock().expect("messages lock").clone()
    }

    /// Waits until at least `n` messages arrived and returns them all; panics after `timeout`.
    pub(crate) async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before the count is read, so an arrival in between is not missed.
            let arrived = self.shared.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            {
                let messages = self.shared.messages.lock().expect("messages lock");
                if messages.len() >= n {
                    return messages.clone();
                }
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let got = self.shared.messages.lock().expect("messages lock").len();
                panic!("the SMTP sink received {got} of {n} messages within {timeout:?}");
            }
        }
    }

    /// Stops listening and drops every open connection, as a server that went down. Returns
    /// once the port is free again.
    pub(crate) async fn stop(&self) {
        let acceptor = self.acceptor.lock().expect("acceptor lock").take();
        if let Some(acceptor) = acceptor {
            acceptor.abort();
            let _ = acceptor.await;
        }
        let connections = std::mem::take(&mut *self.shared.connections.lock().expect("lock"));
        for connection in &connections {
            connection.abort();
        }
        for connection in connections {
            let _ = connection.await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        if let Some(acceptor) = self.acceptor.lock().expect("acceptor lock").take() {
            acceptor.abort();
        }
        for connection in self.shared.connections.lock().expect("lock").drain(..) {
            connection.abort();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors, say: wait instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        // Replies are small writes answered by the next command; without NODELAY each could
        // wait for a delayed acknowledgement.
        let _ = stream.set_nodelay(true);
        let task = tokio::spawn(serve(stream, shared.clone()));
        let mut connections = shared.connections.lock().expect("connections lock");
        connections.retain(|c| !c.is_finished());
        connections.push(task);
    }
}

/// One SMTP session. Any I/O error ends it quietly: the client went away.
async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    use std::sync::atomic::Ordering;
    let open = shared.open.fetch_add(1, Ordering::SeqCst) + 1;
    shared.peak.fetch_max(open, Ordering::SeqCst);
    let _ = session(stream, &shared).await;
    shared.open.fetch_sub(1, Ordering::SeqCst);
}

async fn session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut stream = BufReader::new(stream);
    stream
        .get_mut()
        .write_all(b"220 sink.test ESMTP hdnd test sink\r\n")
        .await?;
    let mut mail_from: Option<String> = None;
    let mut rcpt_to: Vec<String> = Vec::new();
    let mut line = Vec::with_capacity(256);
    loop {
        line.clear();
        if stream.read_until(b'\n', &mut line).await? == 0 {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        let command = command.trim_end();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => {
                b"250-sink.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
            }
            "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                mail_from = Some(path_of(command));
                rcpt_to.clear();
                b"250 2.1.0 Ok\r\n"
            }
            "RCPT" if mail_from.is_none() => b"503 5.5.1 MAIL first\r\n",
            "RCPT" => match current(&shared.reply) {
                Reply::Accept => {
                    rcpt_to.push(path_of(command));
                    b"250 2.1.5 Ok\r\n"
                }
                Reply::TempFail => {
                    stream
                        .get_mut()
                        .write_all(b"421 4.3.2 Service shutting down, try again later\r\n")
                        .await?;
                    return Ok(());
                }
                Reply::Reject => b"550 5.1.1 Mailbox unavailable\r\n",
            },
            "DATA" if rcpt_to.is_empty() => b"503 5.5.1 RCPT first\r\n",
            "DATA" => {
                stream
                    .get_mut()
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let raw = read_data(&mut stream).await?;
                let mail = ReceivedMail {
                    mail_from: mail_from.take().unwrap_or_default(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    raw,
                };
                shared.messages.lock().expect("messages lock").push(mail);
                shared.arrived.notify_waiters();
                b"250 2.0.0 Ok: queued\r\n"
            }
            "RSET" => {
                mail_from = None;
                rcpt_to.clear();
                b"250 2.0.0 Ok\r\n"
            }
            "NOOP" => b"250 2.0.0 Ok\r\n",
            "QUIT" => {
                stream.get_mut().write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 5.5.2 Command not implemented\r\n",
        };
        stream.get_mut().write_all(reply).await?;
    }
}

/// The reply mode now; the guard is gone before the next `.await`.
fn current(reply: &Mutex<Reply>) -> Reply {
    *reply.lock().expect("reply lock")
}

/// The message after `DATA`, up to the line holding a single dot, dot-unstuffed.
///
/// The first line of the final reply, `250-Receiving`, goes out as soon as the message starts
/// to arrive; `session` sends the last line, `250 …`, after the dot. Together they are one
/// well-formed multi-line reply, and a client that loses the connection before the dot has no
/// complete reply, so it never takes the message for delivered.
// Why early: lettre writes the message and the closing dot as two writes without TCP_NODELAY,
// so Nagle holds the dot until the message is acknowledged, and a receiver that has nothing
// to send acknowledges only after its delayed-ACK timer (40 ms on Linux). That capped a
// connection at about 25 messages a second; the early line carries the acknowledgement at once.
async fn read_data(stream: &mut BufReader<TcpStream>) -> std::io::Result<String> {
    let mut raw = Vec::with_capacity(4096);
    let mut line = Vec::with_capacity(256);
    let mut acknowledged = false;
    loop {
        line.clear();
        if stream.read_until(b'\n', &mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if !acknowledged {
            stream.get_mut().write_all(b"250-Receiving\r\n").await?;
            acknowledged = true;
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(String::from_utf8_lossy(&raw).into_owned());
        }
        let unstuffed = if line.starts_with(b"..") {
            &line[1..]
        } else {
            &line[..]
        };
        raw.extend_from_slice(unstuffed);
    }
}

/// The address in `MAIL FROM:<a@b> SIZE=…` or `RCPT TO:<a@b>`.
fn path_of(command: &str) -> String {
    let after_colon = command.split_once(':').map_or("", |(_, rest)| rest);
    let path = after_colon.split_whitespace().next().unwrap_or("");
    path.trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}
