//! The SMTP listener through real sockets: a mail sent by the hub's own SMTP client is stored
//! in `inbound` byte for byte before the 250; the same bytes delivered again are one row; a
//! message over the limit gets 552 and the session goes on; a dot-stuffed line comes out
//! unstuffed. Both databases.

use std::sync::Arc;
use std::time::Duration;

use hdnd_hub::SystemClock;
use hdnd_hub::delivery::email::{EmailChannel, EmailSettings, SmtpSecurity, SmtpSettings};
use hdnd_hub::delivery::{Channel, ChannelKind, Content, EmailMessage, Outgoing};
use hdnd_hub::inbound::{InboundSettings, InboundWorker};
use hdnd_mail::listener::SmtpListener;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::bot_transport::stored_payloads;
use crate::helpers::{TestDb, contract_tests};

contract_tests!(a_mail_delivered_to_the_listener_is_stored_once_before_it_is_acknowledged,);

/// One SMTP session of `steps` (each a command line, or the message after DATA): the greeting
/// and the answer to each step, a multi-line answer as its last line.
async fn session(addr: std::net::SocketAddr, steps: &[&str]) -> Vec<String> {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let mut answers = vec![reply(&mut read).await];
    for step in steps {
        write.write_all(step.as_bytes()).await.unwrap();
        answers.push(reply(&mut read).await);
    }
    answers
}

/// One reply: lines up to the one whose code is followed by a space.
async fn reply(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> String {
    loop {
        let mut line = String::new();
        read.read_line(&mut line).await.unwrap();
        if line.as_bytes().get(3) != Some(&b'-') {
            return line.trim_end().to_owned();
        }
    }
}

async fn a_mail_delivered_to_the_listener_is_stored_once_before_it_is_acknowledged(db: TestDb) {
    // Arrange
    let store = db.open(Arc::new(SystemClock)).await;
    let inbound = InboundWorker::new(store, InboundSettings::default());
    let listener = SmtpListener::bind(
        "127.0.0.1:0".parse().unwrap(),
        inbound,
        4096,
        "mx.hongbang.example",
    )
    .await
    .unwrap();
    let addr = listener.local_addr().unwrap();
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(listener.run_until_stopped(stopped));
    let mut smtp = SmtpSettings::new(addr.ip().to_string(), addr.port(), SmtpSecurity::Plain);
    smtp.timeout_secs = 5;
    let client = EmailChannel::new(&EmailSettings {
        from: "Cử tri <cu.tri@example.com>".to_owned(),
        smtp: Some(smtp),
        ..EmailSettings::default()
    })
    .unwrap();
    let mail = Outgoing {
        outbox_id: 1,
        channel: ChannelKind::Email,
        address: "hdnd@hongbang.example".to_owned(),
        content: Content::Email(EmailMessage {
            subject: "Kiến nghị sửa đèn".to_owned(),
            text: "Đèn ngõ 12 hỏng.\n.dòng bắt đầu bằng dấu chấm\n".to_owned(),
            ..EmailMessage::default()
        }),
    };

    // Act: a real client's mail; then by hand the same bytes twice, and one over the limit.
    client.send(&mail).await.expect("the listener answers 250");
    let first = stored_payloads(&db.url, "email").await;
    let raw = String::from_utf8(first[0].1.clone()).unwrap();
    // The stored bytes end with their line break; the terminating dot follows them.
    let data = format!("{}.\r\n", raw.replace("\r\n.", "\r\n.."));
    let again = session(
        addr,
        &[
            "EHLO relay\r\n",
            "MAIL FROM:<a@example.com>\r\n",
            "RCPT TO:<hdnd@hongbang.example>\r\n",
            "DATA\r\n",
            &data,
            "QUIT\r\n",
        ],
    )
    .await;
    let big = format!("{}\r\n.\r\n", "x".repeat(5000));
    let refused = session(
        addr,
        &[
            "HELO relay\r\n",
            "MAIL FROM:<a@example.com>\r\n",
            "RCPT TO:<hdnd@hongbang.example>\r\n",
            "DATA\r\n",
            &big,
            "NOOP\r\n",
        ],
    )
    .await;

    let dotted = session(
        addr,
        &[
            "HELO relay\r\n",
            "MAIL FROM:<a@example.com>\r\n",
            "RCPT TO:<hdnd@hongbang.example>\r\n",
            "DATA\r\n",
            "Subject: x\r\n\r\n..chấm đầu dòng\r\n.\r\n",
        ],
    )
    .await;

    // Assert
    assert!(raw.contains("Subject:"), "{raw}");
    assert!(again[4].starts_with("354"), "{again:?}");
    assert!(again[5].starts_with("250"), "{again:?}");
    assert!(refused[5].starts_with("552"), "{refused:?}");
    assert!(
        refused[6].starts_with("250"),
        "the session goes on: {refused:?}"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    let rows = stored_payloads(&db.url, "email").await;
    assert!(dotted[5].starts_with("250"), "{dotted:?}");
    assert_eq!(rows.len(), 2, "the same bytes are one row");
    assert!(rows[0].0.starts_with("smtp:"));
    assert_eq!(
        rows[1].1,
        "Subject: x\r\n\r\n.chấm đầu dòng\r\n".as_bytes(),
        "unstuffed"
    );
}
